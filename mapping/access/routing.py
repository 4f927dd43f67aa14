"""Where displaced people leave from and how long they take to reach each site.

An origin is an area (polygons: drawn, imported, or a circle of ``radius_km`` around a point)
or places (points, e.g. settlements). Its cells are those whose centre lies in the area (at
least the cell of its centroid), or the cells of the points. The travel time to a site is
that of the quickest path from any cell of the origin (one cost-distance run per travel
mode over the mode's friction, :func:`~mapping.access.times.travel_minutes`): the origin is
treated as one place. Sites are the posts and the unofficial crossings.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from rasterio import features

from ..layers.readers import read_vector
from .scenario import SurgeError, SurgeScenario
from .surface import Surface
from .surge import post_capacity
from .times import travel_minutes

CIRCLE_SEGMENTS = 64


@dataclass(frozen=True)
class Origin:
    """Where people leave from: geometries in EPSG:4326 (an area, or points)."""

    geometry: tuple[shapely.Geometry, ...]
    label: str

    def key(self) -> str:
        """The origin as text, for caches and saved scenarios (WKT)."""
        return shapely.to_wkt(shapely.GeometryCollection(list(self.geometry)), rounding_precision=6)

    @classmethod
    def from_key(cls, text: str, label: str = "") -> Origin:
        return cls(tuple(shapely.get_parts(shapely.from_wkt(text))), label)


def origin_around(lon: float, lat: float, radius_km: float) -> Origin:
    """The geodesic circle of ``radius_km`` around (lon, lat) (degrees), or the point itself
    for a radius of 0."""
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise SurgeError("bad_origin_point", lon=lon, lat=lat)
    point = shapely.Point(lon, lat)
    if radius_km <= 0:
        return Origin((point,), f"{lat:.4f}, {lon:.4f}")
    local = CRS.from_proj4(f"+proj=aeqd +lat_0={lat} +lon_0={lon} +datum=WGS84 +units=m")
    circle = gpd.GeoSeries([shapely.Point(0, 0).buffer(radius_km * 1000.0, CIRCLE_SEGMENTS)], crs=local)
    return Origin((circle.to_crs("EPSG:4326").iloc[0],), f"{lat:.4f}, {lon:.4f} ± {radius_km:g} km")


def parse_lon_lat(text: str) -> tuple[float, float]:
    """``LON,LAT`` in decimal degrees (also ``LON;LAT`` with decimal commas, or ``LON LAT``);
    ``SurgeError("bad_origin")`` otherwise."""
    cleaned = text.strip().replace("−", "-")
    if ";" in cleaned:
        parts = [p.replace(",", ".") for p in cleaned.split(";")]
    elif "," in cleaned:
        parts = cleaned.split(",")
    else:
        parts = cleaned.split()
    try:
        lon, lat = (float(p) for p in parts)
    except ValueError:
        raise SurgeError("bad_origin", value=text) from None
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise SurgeError("bad_origin", value=text)
    return lon, lat


def origin_from_file(path: str | Path) -> Origin:
    """The areas or points of a vector file (any format ``read_vector`` reads), in EPSG:4326."""
    layer = read_vector(path)
    if layer.crs is None:
        raise SurgeError("origin_without_crs", file=Path(path).name)
    geoms = layer.geometry.to_crs("EPSG:4326").to_numpy()
    geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    geoms = shapely.make_valid(geoms) if len(geoms) else geoms
    if not len(geoms):
        raise SurgeError("origin_empty", file=Path(path).name)
    return Origin(tuple(geoms), Path(path).name)


def origin_cells(surface: Surface, origin: Origin) -> np.ndarray:
    """The grid cells (rows of (row, col)) the origin covers; ``SurgeError`` when none is
    inside the modelled area."""
    grid = surface.grid
    geoms = gpd.GeoSeries(list(origin.geometry), crs="EPSG:4326").to_crs(grid.crs).to_numpy()
    areas = geoms[shapely.area(geoms) > 0]
    cells = np.zeros(grid.shape, dtype=bool)
    if len(areas):
        cells |= features.rasterize(((g, 1) for g in areas), out_shape=grid.shape,
                                    transform=grid.transform, fill=0, dtype=np.uint8).astype(bool)
    points = gpd.GeoSeries(list(origin.geometry), crs="EPSG:4326")
    anchor = points.representative_point()
    rows, cols, inside = grid.cells_of(anchor.x.to_numpy(), anchor.y.to_numpy())
    cells[rows[inside], cols[inside]] = True
    found = np.argwhere(cells)
    if not len(found):
        raise SurgeError("origin_outside")
    return found


def surge_sites(posts: gpd.GeoDataFrame, crossings: gpd.GeoDataFrame | None,
                scenario: SurgeScenario) -> gpd.GeoDataFrame:
    """The sites people go to: the placed posts (with their processing capacity a day and
    where it comes from) and the unofficial crossings (no capacity: no one processes there)."""
    geoms = posts.geometry
    placed = posts[(geoms.notna() & ~geoms.is_empty).to_numpy()].reset_index(drop=True)
    capacity, source = post_capacity(placed, scenario)
    rows = [gpd.GeoDataFrame({"site_id": placed["post_id"].astype(str), "name": placed["name"].astype(str),
                              "site_kind": "post", "capacity_per_day": capacity, "capacity_source": source,
                              "iso3": placed["iso3"]}, geometry=placed.geometry.to_numpy(), crs=posts.crs)]
    if crossings is not None and not crossings.empty:
        geoms = crossings.geometry
        unofficial = crossings[(crossings["kind"] == "unofficial").to_numpy()
                               & (geoms.notna() & ~geoms.is_empty).to_numpy()]
        names = unofficial["name"] if "name" in unofficial else unofficial["crossing_id"]
        rows.append(gpd.GeoDataFrame({
            "site_id": unofficial["crossing_id"].astype(str).to_numpy(),
            "name": names.fillna(unofficial["crossing_id"]).astype(str).to_numpy(),
            "site_kind": "unofficial", "capacity_per_day": np.nan, "capacity_source": "",
            "iso3": unofficial["iso3_a"].to_numpy() if "iso3_a" in unofficial else None},
            geometry=unofficial.geometry.to_numpy(), crs=crossings.crs))
    return gpd.GeoDataFrame(pd.concat(rows, ignore_index=True), crs="EPSG:4326")


def minutes_to_sites(surface: Surface, origin_at: np.ndarray, sites: gpd.GeoDataFrame) -> np.ndarray:
    """Travel minutes (the surface's mode) from the origin's cells to each site (``inf``:
    unreachable, or outside the modelled area)."""
    times = travel_minutes(surface.friction, origin_at).minutes
    rows, cols, inside = surface.grid.cells_of(sites.geometry.x.to_numpy(), sites.geometry.y.to_numpy())
    return np.where(inside, times[rows, cols], np.inf)
