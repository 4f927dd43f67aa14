"""One travel mode's picture of the area: the friction, the time from the quickest post to
every cell, which post that is, and the people in each cell.

The grid covers the posts widened by ``reach_km``; people come from the population raster
(summed into the grid's cells with GDAL's ``sum`` resampling, which keeps the total) or,
without one, from the settlements' ``population`` added to the cell each lies in.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import rasterio
from affine import Affine
from pyproj import CRS
from rasterio.errors import WindowError
from rasterio.warp import Resampling, reproject, transform_bounds
from rasterio.windows import Window, from_bounds

from ..inputs import Layers
from .friction import friction_minutes, speed_surface
from .grid import TravelGrid
from .settings import TravelSettings
from .times import travel_minutes


@dataclass(eq=False)
class Surface:
    """Travel times by ``mode`` on ``grid``: ``friction`` (minutes per cell width, ``inf`` =
    barrier), ``minutes`` from the quickest post, ``nearest`` (index into ``post_ids``, -1 where
    no post is reachable), ``post_cells`` (row, col of each post; -1 outside the grid) and
    ``population`` (persons per cell)."""

    grid: TravelGrid
    mode: str
    friction: np.ndarray
    minutes: np.ndarray
    nearest: np.ndarray
    post_ids: np.ndarray
    post_cells: np.ndarray
    population: np.ndarray
    population_source: str

    def reached(self, minutes: float | None = None) -> np.ndarray:
        """Cells some post reaches (within ``minutes`` when given)."""
        return np.isfinite(self.minutes) if minutes is None else self.minutes <= minutes

    _ARRAYS = ("friction", "minutes", "nearest", "post_cells", "population")

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Surface) and self.grid == other.grid and self.mode == other.mode
                and self.population_source == other.population_source
                and list(self.post_ids) == list(other.post_ids)
                and all(np.array_equal(getattr(self, a), getattr(other, a)) for a in self._ARRAYS))

    def as_payload(self) -> dict:
        """The surface as JSON values: its arrays in one compressed NumPy archive (base64)."""
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **{a: getattr(self, a) for a in self._ARRAYS})
        return {"crs": self.grid.crs.to_wkt(), "transform": list(self.grid.transform)[:6],
                "shape": list(self.grid.shape), "mode": self.mode,
                "post_ids": [str(p) for p in self.post_ids], "population_source": self.population_source,
                "arrays": base64.b64encode(buffer.getvalue()).decode("ascii")}

    @classmethod
    def from_payload(cls, data: dict) -> Surface:
        """The surface saved by :meth:`as_payload` (``ValueError`` when it is not one)."""
        grid = TravelGrid(CRS.from_wkt(data["crs"]), Affine(*data["transform"]),
                          (int(data["shape"][0]), int(data["shape"][1])))
        with np.load(io.BytesIO(base64.b64decode(data["arrays"])), allow_pickle=False) as arrays:
            values = {a: arrays[a] for a in cls._ARRAYS}
        if values["minutes"].shape != grid.shape or len(values["post_cells"]) != len(data["post_ids"]):
            raise ValueError("arrays do not fit the grid")
        return cls(grid, str(data["mode"]), values["friction"], values["minutes"], values["nearest"],
                   np.array(data["post_ids"], dtype=object), values["post_cells"], values["population"],
                   str(data["population_source"]))


def access_grid(inputs: Layers, settings: TravelSettings) -> TravelGrid:
    """The grid covering the placed posts widened by ``reach_km``, of ``cell_m`` cells."""
    posts = inputs.placed_posts()
    if posts.empty:
        raise ValueError("no post has a position")
    return TravelGrid.around(posts.geometry.x.to_numpy(), posts.geometry.y.to_numpy(), settings.cell_m,
                             settings.reach_km)


def build_surface(inputs: Layers, settings: TravelSettings, mode: str,
                  population: tuple[np.ndarray, str] | None = None,
                  progress: Callable[[str], None] | None = None) -> Surface:
    """The travel-time picture of ``mode`` for the placed posts; ``population`` (persons per
    cell of :func:`access_grid` and its source) when already computed for another mode."""
    posts = inputs.placed_posts()
    grid = access_grid(inputs, settings)
    lon, lat = posts.geometry.x.to_numpy(), posts.geometry.y.to_numpy()
    if progress:
        progress("friction")
    layers = replace(inputs, posts=posts)
    friction = friction_minutes(grid, speed_surface(grid, layers, settings, mode)).astype(np.float32)
    rows, cols, inside = grid.cells_of(lon, lat)
    if progress:
        progress("times")
    starts = np.column_stack([rows[inside], cols[inside]])
    times = travel_minutes(friction, starts)
    index = np.flatnonzero(inside).astype(np.int32)
    nearest = np.where(times.nearest >= 0, index[np.maximum(times.nearest, 0)], -1).astype(np.int32)
    if progress:
        progress("population")
    people, source = population or population_on_grid(grid, inputs.population, inputs.settlements)
    cells = np.where(inside[:, None], np.column_stack([rows, cols]), -1)
    return Surface(grid, mode, friction, times.minutes.astype(np.float32), nearest,
                   posts["post_id"].to_numpy(dtype=object), cells, people, source)


def population_on_grid(grid: TravelGrid, raster: str | Path | None,
                       settlements: gpd.GeoDataFrame | None) -> tuple[np.ndarray, str]:
    """Persons per cell of ``grid`` and where they come from (``raster``, ``settlements``, ``none``)."""
    if raster is not None:
        found = Path(raster).stat()
        return _raster_on_grid(grid, str(raster), found.st_mtime_ns, found.st_size), "raster"
    counts = np.zeros(grid.shape)
    if settlements is None or settlements.empty or "population" not in settlements:
        return counts, "none"
    geoms = settlements.geometry
    people = settlements["population"].to_numpy(dtype=float)
    keep = (geoms.notna() & ~geoms.is_empty).to_numpy() & np.isfinite(people) & (people > 0)
    rows, cols, inside = grid.cells_of(geoms.x.to_numpy()[keep], geoms.y.to_numpy()[keep])
    np.add.at(counts, (rows[inside], cols[inside]), people[keep][inside])
    return counts, "settlements"


@lru_cache(maxsize=2)
def _raster_on_grid(grid: TravelGrid, raster: str, modified_ns: int, size: int) -> np.ndarray:
    """The raster's persons summed into the grid's cells (GDAL ``sum`` resampling: totals kept);
    kept for the next travel mode on the same grid while the file is unchanged (its time of
    change and size are part of the key). The array is read-only."""
    west, south, east, north = transform_bounds(grid.crs, "EPSG:4326", *grid_bounds(grid), densify_pts=64)
    out = np.zeros(grid.shape)
    with rasterio.open(raster) as src:
        box = transform_bounds("EPSG:4326", src.crs, west, south, east, north, densify_pts=64)
        window = from_bounds(*box, transform=src.transform).round_offsets().round_lengths()
        try:
            window = window.intersection(Window(0, 0, src.width, src.height))
        except WindowError:  # the raster does not reach the grid
            return out
        data = src.read(1, window=window, masked=True).astype(float)
        values = np.where(data.mask | ~np.isfinite(data.filled(np.nan)) | (data.filled(0) < 0), 0.0,
                          data.filled(0.0))
        reproject(values, out, src_transform=src.window_transform(window), src_crs=src.crs,
                  dst_transform=grid.transform, dst_crs=grid.crs, resampling=Resampling.sum,
                  src_nodata=None, dst_nodata=None, num_threads=2, warp_mem_limit=512)
    people = np.where(np.isfinite(out) & (out > 0), out, 0.0)
    people.flags.writeable = False
    return people


def grid_bounds(grid: TravelGrid) -> tuple[float, float, float, float]:
    """The grid's extent in its own CRS (west, south, east, north; metres)."""
    west, north = grid.transform.c, grid.transform.f
    return west, north - grid.shape[0] * grid.cell_m, west + grid.shape[1] * grid.cell_m, north
