"""Land borders derived from country polygons.

Two countries share a land border where their polygon boundaries overlap: the
intersection of the two boundaries, kept as lines and merged. Polygons must share
vertices along their common edges (Natural Earth does), otherwise the
intersection degenerates to points and no border is found.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from pyproj import Geod

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
