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
    for country in np.unique(places.iso3[here]):
        group = np.flatnonzero(places.iso3[here] == country)
        anchors = group[places.operational[here[group]]]
        anchors = anchors[np.lexsort((anchors, where[anchors]))]  # along the line, then by index
        rank = np.full(len(here), -1)
        rank[anchors] = np.arange(len(anchors))
        count = np.searchsorted(where[anchors], where[group], side="right")  # anchors at or before
        before = count - 1
        before = np.where(before == rank[group], before - 1, before)  # not the post itself
        after = count  # anchors strictly after; the post itself is never among them
        has_before, has_after = before >= 0, after < len(anchors)
        previous = np.where(has_before, anchors[np.clip(before, 0, None)] if len(anchors) else 0, -1)
        following = np.where(has_after, anchors[np.clip(after, None, len(anchors) - 1)]
                             if len(anchors) else 0, -1)
        _fill(gaps, "a", here, group, previous,
              np.where(has_before, where[group] - where[np.maximum(previous, 0)], where[group]),
              line.coords[0][:2], places)
        _fill(gaps, "b", here, group, following,
              np.where(has_after, where[np.maximum(following, 0)] - where[group], total - where[group]),
              line.coords[-1][:2], places)


def _fill(gaps: dict[str, np.ndarray], side: str, here: np.ndarray, group: np.ndarray,
          neighbour: np.ndarray, gap_m: np.ndarray, line_end: tuple[float, float],
          places: Places) -> None:
    """One side's columns for the posts ``here[group]``: the gap (km), the compass point from
    the post to its end (the neighbour post, or ``line_end`` where ``neighbour`` is −1) and the
    neighbour's id (None at the line's end)."""
    posts = here[group]
    other = np.where(neighbour >= 0, here[np.maximum(neighbour, 0)], -1)
    x = np.where(other >= 0, places.lon[np.maximum(other, 0)], line_end[0])
    y = np.where(other >= 0, places.lat[np.maximum(other, 0)], line_end[1])
    gaps[f"gap_{side}_km"][posts] = np.maximum(gap_m, 0.0) / 1000.0
    ids = places.ids[np.maximum(other, 0)].astype(object)
    ids[other < 0] = None
    gaps[f"gap_{side}_to"][posts] = ids
    azimuth = np.asarray(GEOD.inv(places.lon[posts], places.lat[posts], x, y)[0])
    elsewhere = (x != places.lon[posts]) | (y != places.lat[posts])  # no direction to itself
    towards = compass_point(azimuth)
    towards[~elsewhere] = None
    gaps[f"gap_{side}_towards"][posts] = towards
