"""The grid travel times are computed on: square cells of ``cell_m`` metres in a conformal
projection (Lambert conformal conic, WGS84) fitted to the area.

A conformal projection's scale factor k is the same in every direction at a point, so one
step of ``cell_m`` map metres covers ``cell_m / k`` metres on the ground whichever way it goes:
:meth:`TravelGrid.ground_cell_m` gives that length per cell and the friction surface uses it,
so times do not carry the projection's scale error (which a non-conformal projection would
make direction-dependent).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from affine import Affine
from pyproj import CRS, Proj, Transformer

from ..geo import widen_bounds

SCALE_BLOCK = 16  # the scale factor is evaluated once per block of 16 x 16 cells (it varies slowly)


def conformal_crs(bounds: tuple[float, float, float, float]) -> CRS:
    """Lambert conformal conic (metres, WGS84) with standard parallels at 1/6 and 5/6 of the
    latitude span of ``bounds`` (lon/lat degrees), centred on it."""
    west, south, east, north = bounds
    span = north - south
    lat1, lat2 = south + span / 6, north - span / 6
    lon0, lat0 = (west + east) / 2, (south + north) / 2
    if abs(lat1 + lat2) < 1e-6:  # a cone centred on the equator is a cylinder: Mercator
        return CRS.from_proj4(f"+proj=merc +lon_0={lon0:.6f} +datum=WGS84 +units=m +no_defs")
    return CRS.from_proj4(f"+proj=lcc +lat_1={lat1:.6f} +lat_2={lat2:.6f} +lat_0={lat0:.6f} "
                          f"+lon_0={lon0:.6f} +datum=WGS84 +units=m +no_defs")


@dataclass(frozen=True)
class TravelGrid:
    """Rows x columns of square cells of ``cell_m`` map metres; ``transform`` maps (col, row)
    to map coordinates of ``crs`` (row 0 at the north)."""

    crs: CRS
    transform: Affine
    shape: tuple[int, int]

    @property
    def cell_m(self) -> float:
        return float(self.transform.a)

    @classmethod
    def around(cls, lon: np.ndarray, lat: np.ndarray, cell_m: float, margin_km: float) -> TravelGrid:
        """The grid covering the points (lon/lat degrees) widened by ``margin_km`` (geodesic)."""
        lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
        bounds = widen_bounds((float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max())),
                              margin_km * 1000.0)
        crs = conformal_crs(bounds)
        to_map = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
        edge_lon = np.concatenate([np.linspace(bounds[0], bounds[2], 64), np.full(64, bounds[2]),
                                   np.linspace(bounds[0], bounds[2], 64), np.full(64, bounds[0])])
        edge_lat = np.concatenate([np.full(64, bounds[1]), np.linspace(bounds[1], bounds[3], 64),
                                   np.full(64, bounds[3]), np.linspace(bounds[1], bounds[3], 64)])
        x, y = to_map.transform(edge_lon, edge_lat)
        x0, x1 = math.floor(min(x) / cell_m) * cell_m, math.ceil(max(x) / cell_m) * cell_m
        y0, y1 = math.floor(min(y) / cell_m) * cell_m, math.ceil(max(y) / cell_m) * cell_m
        shape = (round((y1 - y0) / cell_m), round((x1 - x0) / cell_m))
        return cls(crs, Affine(cell_m, 0.0, x0, 0.0, -cell_m, y1), shape)

    def to_map(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x, y = Transformer.from_crs("EPSG:4326", self.crs, always_xy=True).transform(
            np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
        return np.asarray(x), np.asarray(y)

    def cells_of(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Row and column of the cell holding each point (lon/lat degrees), and whether it is
        inside the grid (row and column are clipped to the grid where it is not)."""
        x, y = self.to_map(lon, lat)
        col = np.floor((x - self.transform.c) / self.cell_m).astype(np.int64)
        row = np.floor((self.transform.f - y) / self.cell_m).astype(np.int64)
        inside = (row >= 0) & (row < self.shape[0]) & (col >= 0) & (col < self.shape[1])
        return np.clip(row, 0, self.shape[0] - 1), np.clip(col, 0, self.shape[1] - 1), inside

    def centres_lonlat(self, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x = self.transform.c + (np.asarray(cols) + 0.5) * self.cell_m
        y = self.transform.f - (np.asarray(rows) + 0.5) * self.cell_m
        lon, lat = Transformer.from_crs(self.crs, "EPSG:4326", always_xy=True).transform(x, y)
        return np.asarray(lon), np.asarray(lat)

    def ground_cell_m(self) -> np.ndarray:
        """Ground length (m, WGS84) of one cell width at each cell: ``cell_m`` / k, with k the
        projection's point scale factor (evaluated per block of 16 x 16 cells)."""
        rows = np.arange(0, self.shape[0], SCALE_BLOCK) + min(SCALE_BLOCK, self.shape[0]) / 2
        cols = np.arange(0, self.shape[1], SCALE_BLOCK) + min(SCALE_BLOCK, self.shape[1]) / 2
        rr, cc = np.meshgrid(np.minimum(rows, self.shape[0] - 0.5), np.minimum(cols, self.shape[1] - 0.5),
                             indexing="ij")
        lon, lat = self.centres_lonlat(rr - 0.5, cc - 0.5)
        k = np.asarray(Proj(self.crs).get_factors(lon, lat).meridional_scale)
        blocks = self.cell_m / k
        full = np.repeat(np.repeat(blocks, SCALE_BLOCK, axis=0), SCALE_BLOCK, axis=1)
        return full[:self.shape[0], :self.shape[1]]

    def window_around(self, row: int, col: int, radius: int) -> tuple[slice, slice]:
        """The rows and columns within ``radius`` cells of (row, col), clipped to the grid."""
        return (slice(max(row - radius, 0), min(row + radius + 1, self.shape[0])),
                slice(max(col - radius, 0), min(col + radius + 1, self.shape[1])))
