"""The coarsening grid: square cells of ``CELL_M`` metres in ``GRID_CRS``, an equal-area
projection, so every cell covers the same 100 km² wherever it lies in the Sahel."""

from __future__ import annotations

import geopandas as gpd
import numpy as np

GRID_CRS = "EPSG:6933"  # WGS 84 / NSIDC EASE-Grid 2.0 Global: cylindrical equal-area, metres
CELL_M = 10_000.0  # metres: a coarsened point is at most ~7.1 km (half the diagonal) from its position
CELL_KM = CELL_M / 1000


def cells(points: gpd.GeoSeries) -> tuple[np.ndarray, np.ndarray, gpd.GeoSeries]:
    """Each point's cell (column and row numbers in ``GRID_CRS``) and the cell's centre in the
    points' own CRS (EPSG:4326 for stored layers)."""
    projected = points.to_crs(GRID_CRS)
    column = np.floor(projected.x.to_numpy() / CELL_M).astype(np.int64)
    row = np.floor(projected.y.to_numpy() / CELL_M).astype(np.int64)
    centres = gpd.GeoSeries(gpd.points_from_xy((column + 0.5) * CELL_M, (row + 0.5) * CELL_M),
                            index=points.index, crs=GRID_CRS).to_crs(points.crs)
    return column, row, centres


def rounded_km(distance_km: float) -> float:
    """A distance (km) rounded up to the next whole number of cells (``CELL_KM``), so that it
    says "within 10 km", "within 20 km"… and no longer pins a restricted position down."""
    return float(np.ceil(distance_km / CELL_KM) * CELL_KM) if np.isfinite(distance_km) else distance_km
