"""Land borders derived from country polygons.

Two countries share a land border where their polygon boundaries overlap: the
intersection of the two boundaries, kept as lines and merged. Polygons must share
vertices along their common edges (Natural Earth does), otherwise the
intersection degenerates to points and no border is found.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Geod

from ..geo import study_crs
from .schema import STORAGE_CRS

GEOD = Geod(ellps="WGS84")
DERIVED_SOURCE = "derived: shared boundary of the country polygons"
BORDER_COLUMNS = ("border_id", "iso3_a", "iso3_b", "length_km", "source")
_LINESTRING = shapely.GeometryType.LINESTRING


def _intersecting_pairs(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs (i < j) of geometries whose envelopes and shapes intersect (STRtree)."""
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    keep = left < right
    return left[keep], right[keep]


def _line_parts(shared: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The LineString parts of positive length in each geometry, with the index of their source."""
    parts, index = shapely.get_parts(shared, return_index=True)
    parts, sub = shapely.get_parts(parts, return_index=True)  # collections may hold multi-parts
    index = index[sub]
    keep = (shapely.get_type_id(parts) == _LINESTRING) & (shapely.length(parts) > 0)
    return parts[keep], index[keep]


def _merged_multilines(parts: np.ndarray, index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One line-merged MultiLineString per distinct ``index``, and those distinct indices."""
    groups, dense = np.unique(index, return_inverse=True)
    merged = shapely.line_merge(shapely.multilinestrings(parts, indices=dense))
    pieces, owner = shapely.get_parts(merged, return_index=True)
    return shapely.multilinestrings(pieces, indices=owner), groups


def derive_borders(countries: gpd.GeoDataFrame, source: str = DERIVED_SOURCE) -> gpd.GeoDataFrame:
    """Land border lines between each pair of touching countries (schema ``borders``).

    ``countries``: polygons with a unique ``iso3`` column, in EPSG:4326 (reprojected
    if in another CRS). One row per pair, its shared boundary line-merged into one
    MultiLineString (several pieces stay in the same row); ``border_id`` is the
    sorted pair (``MLI-MRT``) and ``length_km`` the geodesic length on the WGS84
    ellipsoid, in kilometres.
    """
    if countries["iso3"].duplicated().any():
        raise ValueError("countries must have one row per iso3")
    if countries.crs is not None:
        countries = countries.to_crs(STORAGE_CRS)
    geoms = countries.geometry.to_numpy()
    iso3 = countries["iso3"].to_numpy(dtype=str)
    left, right = _intersecting_pairs(geoms)
    shared = shapely.intersection(shapely.boundary(geoms[left]), shapely.boundary(geoms[right]))
    parts, index = _line_parts(shared)
    if len(parts) == 0:
        return gpd.GeoDataFrame(columns=list(BORDER_COLUMNS), geometry=[], crs=STORAGE_CRS)
    lines, pairs = _merged_multilines(parts, index)
    ends = np.sort(np.column_stack([iso3[left[pairs]], iso3[right[pairs]]]), axis=1)
    borders = gpd.GeoDataFrame(
        {
            "border_id": np.char.add(np.char.add(ends[:, 0], "-"), ends[:, 1]),
            "iso3_a": ends[:, 0],
            "iso3_b": ends[:, 1],
            "length_km": [round(GEOD.geometry_length(line) / 1000.0, 3) for line in lines],
            "source": source,
        },
        geometry=lines,
        crs=STORAGE_CRS,
    )
    return borders.sort_values("border_id", ignore_index=True)


def pair_id(iso3_a: object, iso3_b: object) -> str:
    """The id of the border between two countries: their ISO3 codes sorted, ``MLI-MRT``."""
    return "-".join(sorted((str(iso3_a), str(iso3_b))))


def border_pairs(borders: gpd.GeoDataFrame) -> gpd.GeoSeries:
    """One geometry per border pair (index: :func:`pair_id`), every piece of the pair in it
    (a ``MultiLineString``, EPSG:4326): a border digitised as several rows is one border."""
    pairs = [pair_id(a, b) for a, b in zip(borders["iso3_a"], borders["iso3_b"], strict=True)]
    grouped = borders.geometry.groupby(pairs).agg(lambda lines: shapely.union_all(lines.values))
    return gpd.GeoSeries(grouped, crs=borders.crs).sort_index()


def served_borders(posts: gpd.GeoDataFrame, borders: gpd.GeoDataFrame | None,
                   snap_km: float = 50.0) -> pd.Series:
    """The border each post serves (:func:`pair_id`, index as ``posts``), None when unknown.

    A post serves the border between its country (``iso3``) and the country of its facing post
    when that border exists; otherwise the nearest border of its own country (geodesic distance
    to the line, WGS84), if it is within ``snap_km`` km. Posts without a position serve the
    facing post's border only."""
    served = pd.Series(None, index=posts.index, dtype=object)
    if borders is None or borders.empty or posts.empty:
        return served
    lines = border_pairs(borders.to_crs(STORAGE_CRS))
    iso3 = posts["iso3"].astype(str)
    country_of = dict(zip(posts["post_id"].astype(str), iso3, strict=True))
    facing = posts["facing_post_id"].map(lambda other: country_of.get(str(other))) \
        if "facing_post_id" in posts else pd.Series(None, index=posts.index)
    by_facing = [pair_id(own, other) if isinstance(other, str) and other != own else None
                 for own, other in zip(iso3, facing, strict=True)]
    served[:] = [pair if pair in lines.index else None for pair in by_facing]
    points = posts.geometry.to_crs(STORAGE_CRS)
    nearest = served.isna().to_numpy() & points.notna().to_numpy() & ~points.is_empty.to_numpy()
    if not nearest.any():
        return served
    crs = study_crs(tuple(points[nearest].total_bounds))
    metric_lines = lines.to_crs(crs)
    where = points.to_crs(crs).to_numpy()
    lon, lat = shapely.get_x(points.to_numpy()), shapely.get_y(points.to_numpy())
    best = np.full(len(posts), np.inf)
    for pair, line in metric_lines.items():
        members = np.flatnonzero(nearest & iso3.isin(str(pair).split("-")).to_numpy())
        if not len(members):
            continue
        ends = gpd.GeoSeries(shapely.get_point(shapely.shortest_line(where[members], line), 1),
                             crs=crs).to_crs(STORAGE_CRS)
        dist = GEOD.inv(lon[members], lat[members], ends.x.to_numpy(), ends.y.to_numpy())[2] / 1000
        closer = (dist < best[members]) & (dist <= snap_km)
        best[members[closer]] = dist[closer]
        served.iloc[members[closer]] = pair
    return served
