"""The friction surface: minutes to cross one cell, per cell and travel mode.

Every land cell gets the mode's off-road speed, and a road cell the speed of its fastest road
(class x surface x season, :class:`~mapping.access.settings.TravelSettings`), never slower
than off road. Lakes and rivers are barriers (no speed), as are the sea (outside every
country, when the countries layer is there) and cells farther than ``reach_km`` from every
post. As in AccessMod's merged land cover, a road drawn across a river is a bridge (or a
ferry): the road's cells stay passable. A post opens its own cell, and a crossing (a ford, a
ferry or a bridge) its cell and the 8 around it: a river drawn on every cell it touches is up
to two cells wide, so opening the crossing's cell alone may leave it closed. Where two river
cells touch only at a corner one more cell is closed, so that no diagonal step slips between
them.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from rasterio import features
from scipy import ndimage

from ..inputs import Layers
from .grid import TravelGrid
from .settings import TravelSettings

MINUTES_PER_HOUR = 60.0
FRICTION_KINDS = ("countries", "lakes", "rivers", "roads", "crossings")  # what ``speed_surface`` reads


def _shapes(layer: gpd.GeoDataFrame | None, grid: TravelGrid) -> np.ndarray:
    """The layer's geometries in the grid's CRS (empty and missing ones dropped)."""
    if layer is None or layer.empty:
        return np.array([], dtype=object)
    geoms = layer.geometry.to_crs(grid.crs).to_numpy()
    return geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]


def _burn(geoms: np.ndarray, grid: TravelGrid, values: np.ndarray | None = None,
          all_touched: bool = True) -> np.ndarray:
    """Rasterise ``geoms`` (grid CRS): their values (the last drawn wins), or 1 where drawn."""
    if len(geoms) == 0:
        return np.zeros(grid.shape, dtype=np.float64 if values is not None else np.uint8)
    if values is None:
        return features.rasterize(((g, 1) for g in geoms), out_shape=grid.shape, transform=grid.transform,
                                  fill=0, all_touched=all_touched, dtype=np.uint8)
    return features.rasterize(zip(geoms, values, strict=True), out_shape=grid.shape,
                              transform=grid.transform, fill=0.0, all_touched=all_touched,
                              dtype=np.float64)


def close_corners(barrier: np.ndarray) -> np.ndarray:
    """``barrier`` with one more cell closed wherever two of its cells meet only at a corner,
    so that a step between diagonal neighbours never passes between them."""
    barrier = barrier.copy()
    while True:
        a, b = barrier[:-1, :-1], barrier[:-1, 1:]
        c, d = barrier[1:, :-1], barrier[1:, 1:]
        falling = a & d & ~b & ~c
        rising = b & c & ~a & ~d
        if not (falling.any() or rising.any()):
            return barrier
        barrier[:-1, 1:] |= falling
        barrier[:-1, :-1] |= rising


def road_speeds(roads: gpd.GeoDataFrame, settings: TravelSettings, mode: str) -> np.ndarray:
    """Speed (km/h) of ``mode`` on each road."""
    surface = roads["surface"] if "surface" in roads else [None] * len(roads)
    all_season = roads["all_season"] if "all_season" in roads else [None] * len(roads)
    return np.array([settings.road_speed_kmh(mode, str(cls), None if s is None or s != s else str(s),
                                             bool(a) if a is not None and a == a else False)
                     for cls, s, a in zip(roads["road_class"], surface, all_season, strict=True)],
                    dtype=float)


def speed_surface(grid: TravelGrid, layers: Layers, settings: TravelSettings,
                  mode: str) -> np.ndarray:
    """Speed (km/h) per cell of ``grid`` for ``mode``; 0 where no one can move."""
    off_road = settings.off_road_kmh(mode)
    land = np.ones(grid.shape, dtype=bool)
    countries = _shapes(layers.countries, grid)
    if len(countries):
        land = _burn(countries, grid, all_touched=True).astype(bool)
    water = close_corners(_burn(_shapes(layers.lakes, grid), grid, all_touched=False).astype(bool)
                          | _burn(_shapes(layers.rivers, grid), grid).astype(bool))
    speed = np.where(land & ~water, off_road, 0.0)
    if layers.roads is not None and not layers.roads.empty:
        geoms = layers.roads.geometry.to_crs(grid.crs).to_numpy()
        speeds = road_speeds(layers.roads, settings, mode)
        keep = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms)) & (speeds > 0)
        order = np.argsort(speeds[keep], kind="stable")  # drawn slowest first: the fastest road wins
        on_road = _burn(geoms[keep][order], grid, speeds[keep][order])
        speed = np.where(on_road > 0, np.maximum(on_road, np.where(water, 0.0, off_road)), speed)
    opened = np.zeros(grid.shape, dtype=bool)
    opened[_cells(grid, layers.crossings)] = True
    opened = ndimage.binary_dilation(opened, structure=np.ones((3, 3), dtype=bool))
    opened[_cells(grid, layers.posts)] = True
    speed[opened] = np.maximum(speed[opened], max(off_road, 1e-9))
    return np.where(_within_reach(grid, layers.posts, settings.reach_km), speed, 0.0)


def _cells(grid: TravelGrid, layer: gpd.GeoDataFrame | None) -> tuple[np.ndarray, np.ndarray]:
    """Cells (rows, columns) of the layer's points that fall inside the grid."""
    if layer is None or layer.empty:
        return np.array([], dtype=np.int64), np.array([], dtype=np.int64)
    geoms = layer.geometry
    placed = (geoms.notna() & ~geoms.is_empty).to_numpy()
    if not placed.any():
        return np.array([], dtype=np.int64), np.array([], dtype=np.int64)
    rows, cols, inside = grid.cells_of(geoms.x.to_numpy()[placed], geoms.y.to_numpy()[placed])
    return rows[inside], cols[inside]


def _within_reach(grid: TravelGrid, posts: gpd.GeoDataFrame, reach_km: float) -> np.ndarray:
    """Cells within ``reach_km`` (ground distance) of a post's cell, and a few more: cells are
    counted at the grid's shortest ground cell length, plus one cell."""
    rows, cols = _cells(grid, posts)
    seeds = np.ones(grid.shape, dtype=bool)
    seeds[rows, cols] = False
    if seeds.all():
        return np.zeros(grid.shape, dtype=bool)
    cells = ndimage.distance_transform_edt(seeds)
    ground = grid.ground_cell_m()
    return cells * float(ground.min()) <= reach_km * 1000.0 + float(ground.max())


def friction_minutes(grid: TravelGrid, speed_kmh: np.ndarray) -> np.ndarray:
    """Minutes to cross one cell width at each cell (``inf`` where the speed is 0), from the
    ground length of the cell (:meth:`TravelGrid.ground_cell_m`)."""
    with np.errstate(divide="ignore"):
        return np.where(speed_kmh > 0, grid.ground_cell_m() / 1000.0 / speed_kmh * MINUTES_PER_HOUR,
                        np.inf)
