"""The coverage gap of each post: the stretch of its own border it answers for.

A post serves one border, :func:`mapping.layers.borders.served_borders` (its country and the
facing post's, else its country's nearest within 50 km). Every piece of that pair is gathered
(:func:`~mapping.layers.borders.border_pairs`) and line-merged: pieces that connect form one
line, a piece that does not is a stretch of its own, and the post lies on the stretch nearest
to it. Along that stretch, each way, the gap runs to the next operational post of the same
country serving the same border, or to the stretch's end (a tripoint, the coast, where the
pair's border stops): another border never gives a post its gap.

Positions along a stretch: the post's foot on the line is found in the study CRS (the point of
the line nearest to it there, which for a post on or near the border is its foot on the
ellipsoid to within the CRS's scale error times the post's distance to the line); lengths
along the line are geodesic (WGS84): the geodesic length of every vertex-to-vertex segment up
to the foot, as ``pyproj.Geod.geometry_length`` of ``shapely.ops.substring`` would give.

The two ways are named so that a delegate can tell them apart on the map: way ``a`` leads to
the stretch's western end when the stretch runs more east–west than north–south (judged on the
azimuth from one end to the other), else to its northern end; way ``b`` to the other end. Each
gap also carries the compass point (8 points) from the post to where it ends and the post it
ends at (None at the stretch's end).
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..geo import GEOD
from ..layers.borders import border_pairs
from ..layers.schema import STORAGE_CRS

COMPASS = ("N", "NE", "E", "SE", "S", "SW", "W", "NW")
GAP_COLUMNS = ("gap_a_km", "gap_a_towards", "gap_a_to",
               "gap_b_km", "gap_b_towards", "gap_b_to", "coverage_gap_km")


def compass_point(azimuth_deg: np.ndarray | float) -> np.ndarray:
    """The 8-point compass direction (``N``, ``NE`` … ``NW``) of azimuths in degrees clockwise
    from north."""
    sector = np.floor((np.asarray(azimuth_deg, dtype=float) % 360.0 + 22.5) / 45.0).astype(int) % 8
    return np.asarray(COMPASS, dtype=object)[sector]


def oriented(line: shapely.LineString) -> shapely.LineString:
    """``line`` (EPSG:4326) running from its ``a`` end: west to east when its ends lie more
    east–west of each other than north–south (geodesic azimuth), else north to south."""
    (x0, y0), (x1, y1) = line.coords[0], line.coords[-1]
    if (x0, y0) == (x1, y1):
        return line
    azimuth = np.radians(GEOD.inv(x0, y0, x1, y1)[0])
    east_west = abs(np.sin(azimuth)) >= abs(np.cos(azimuth))
    backwards = np.sin(azimuth) < 0 if east_west else np.cos(azimuth) > 0
    return shapely.reverse(line) if backwards else line


def stretches(pair: shapely.Geometry) -> list[shapely.LineString]:
    """The connected lines of one border pair (EPSG:4326), each from its ``a`` end."""
    merged = shapely.line_merge(pair)
    return [oriented(part) for part in shapely.get_parts(merged) if part.length > 0]


def _positions(line: shapely.LineString, metric_line: shapely.LineString,
               metric_points: np.ndarray, crs) -> np.ndarray:
    """Geodesic distance (m, WGS84) along ``line`` from its start to each point's foot (the
    nearest point of the line in ``crs``)."""
    lon, lat = np.asarray(line.coords).T[:2]
    along_geo = np.concatenate([[0.0], np.cumsum(GEOD.inv(lon[:-1], lat[:-1], lon[1:], lat[1:])[2])])
    mx, my = np.asarray(metric_line.coords).T[:2]
    along_metric = np.concatenate([[0.0], np.cumsum(np.hypot(np.diff(mx), np.diff(my)))])
    where = shapely.line_locate_point(metric_line, metric_points)
    segment = np.clip(np.searchsorted(along_metric, where, side="right") - 1, 0, len(lon) - 2)
    feet = gpd.GeoSeries(shapely.line_interpolate_point(metric_line, where), crs=crs).to_crs(STORAGE_CRS)
    rest = GEOD.inv(lon[segment], lat[segment], feet.x.to_numpy(), feet.y.to_numpy())[2]
    return along_geo[segment] + rest


def coverage_gaps(posts: gpd.GeoDataFrame, served: pd.Series, borders: gpd.GeoDataFrame | None,
                  crs) -> pd.DataFrame:
    """The gap table of ``posts`` (EPSG:4326, every one with a position; index kept): the
    served ``border_id``; for ways ``a`` and ``b`` the gap in km (geodesic, along the line),
    the compass point towards its end and the post at that end (None at the stretch's end);
    and ``coverage_gap_km``, half of both gaps. ``served``: :func:`served_borders` of the
    posts. NaN/None for a post that serves no border. ``crs``: the metric CRS of the feet."""
    n = len(posts)
    served_ids = np.array([pair if isinstance(pair, str) else None for pair in served], dtype=object)
    gaps = {column: np.full(n, np.nan) if column.endswith("_km") else np.full(n, None, dtype=object)
            for column in GAP_COLUMNS}
    pairs = border_pairs(borders.to_crs(STORAGE_CRS)) if borders is not None and not borders.empty \
        else gpd.GeoSeries([], crs=STORAGE_CRS)
    metric_posts = posts.geometry.to_crs(crs).to_numpy()
    places = Places(posts["post_id"].astype(str).to_numpy(), posts["iso3"].astype(str).to_numpy(),
                    (posts["status"] == "operational").to_numpy(),
                    posts.geometry.x.to_numpy(), posts.geometry.y.to_numpy())
    for pair in sorted({p for p in served_ids if p is not None} & set(pairs.index)):
        members = np.flatnonzero(served_ids == pair)
        lines = stretches(pairs[pair])
        metric_lines = gpd.GeoSeries(lines, crs=STORAGE_CRS).to_crs(crs).to_numpy()
        on = np.argmin(shapely.distance(metric_posts[members][:, None], metric_lines[None, :]), axis=1)
        for which, (line, metric_line) in enumerate(zip(lines, metric_lines, strict=True)):
            here = members[on == which]
            if len(here):
                where = _positions(line, metric_line, metric_posts[here], crs)
                _gaps_along(gaps, here, line, where, places)
    table = pd.DataFrame({"border_id": served_ids, **gaps}, index=posts.index)
    table["coverage_gap_km"] = (table["gap_a_km"] + table["gap_b_km"]) / 2
    return table


@dataclass(frozen=True)
class Places:
    """The posts' ids, countries, operational flags and lon/lat (degrees), as arrays."""

    ids: np.ndarray
    iso3: np.ndarray
    operational: np.ndarray
    lon: np.ndarray
    lat: np.ndarray


def _gaps_along(gaps: dict[str, np.ndarray], here: np.ndarray, line: shapely.LineString,
                where: np.ndarray, places: Places) -> None:
    """Fill ``gaps`` for the posts ``here`` lying at ``where`` metres along ``line``: each way,
    to the nearest other operational post of the same country, or to the line's end."""
    total = GEOD.geometry_length(line)
    line_ends = line.coords[0][:2], line.coords[-1][:2]
    lon, lat = places.lon, places.lat
    for k, post in enumerate(here):
        anchors = np.flatnonzero((places.iso3[here] == places.iso3[post]) & places.operational[here])
        anchors = anchors[anchors != k]
        before = anchors[where[anchors] <= where[k]]
        after = anchors[where[anchors] > where[k]]
        previous = before[np.argmax(where[before])] if len(before) else None
        following = after[np.argmin(where[after])] if len(after) else None
        ends = ((where[k] - (where[previous] if previous is not None else 0.0), previous),
                ((where[following] if following is not None else total) - where[k], following))
        for side, (gap_m, neighbour), end in zip("ab", ends, line_ends, strict=True):
            other = here[neighbour] if neighbour is not None else None
            x, y = (lon[other], lat[other]) if other is not None else end
            gaps[f"gap_{side}_km"][post] = max(gap_m, 0.0) / 1000.0
            gaps[f"gap_{side}_to"][post] = places.ids[other] if other is not None else None
            if (x, y) != (lon[post], lat[post]):
                azimuth = GEOD.inv(lon[post], lat[post], x, y)[0]
                gaps[f"gap_{side}_towards"][post] = str(compass_point(azimuth))
