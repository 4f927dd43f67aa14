"""The population raster as a picture for the web map: reprojected to Web Mercator
(EPSG:3857, the map's projection, so cells land where they are), at most
``MAX_PIXELS`` wide, coloured by people per km² on a log scale, transparent where empty."""

from __future__ import annotations

import base64
import io
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
from PIL import Image
from pyproj import Transformer
from rasterio.warp import Resampling, calculate_default_transform, reproject

MAX_PIXELS = 1200
WEB_MERCATOR = "EPSG:3857"
# yellow -> orange -> dark red (ColorBrewer YlOrRd), for 1, 10, 100, 1,000 and 10,000+ people/km²
RAMP = np.array([[255, 255, 178], [254, 204, 92], [253, 141, 60], [240, 59, 32], [189, 0, 38]], float)
DENSITY_STEPS = (1.0, 10.0, 100.0, 1_000.0, 10_000.0)  # people per km²


@dataclass(frozen=True)
class Overlay:
    """A PNG (as a data URL) and its bounds ``[[south, west], [north, east]]`` in degrees."""

    url: str
    bounds: list[list[float]]


def _colour(density: np.ndarray) -> np.ndarray:
    """RGBA of each cell: the ramp by log10(density); transparent where no one lives or no data."""
    present = np.isfinite(density) & (density > 0)
    level = np.log10(np.clip(np.where(present, density, DENSITY_STEPS[0]), DENSITY_STEPS[0],
                             DENSITY_STEPS[-1]))
    position = (level - math.log10(DENSITY_STEPS[0])) / (math.log10(DENSITY_STEPS[-1]) -
                                                         math.log10(DENSITY_STEPS[0]))
    scaled = position * (len(RAMP) - 1)
    low = np.floor(scaled).astype(int).clip(0, len(RAMP) - 2)
    mix = (scaled - low)[..., None]
    rgb = RAMP[low] * (1 - mix) + RAMP[low + 1] * mix
    alpha = np.where(present, 255, 0)
    return np.dstack([rgb, alpha]).astype(np.uint8)


def population_overlay(path: str | Path) -> Overlay:
    """Read the raster (persons per cell), reproject to EPSG:3857 as density, colour it."""
    with rasterio.open(path) as src:
        transform, width, height = calculate_default_transform(src.crs, WEB_MERCATOR, src.width,
                                                                src.height, *src.bounds)
        scale = max(width / MAX_PIXELS, height / MAX_PIXELS, 1.0)
        full_width, full_height = width, height
        width, height = max(1, round(width / scale)), max(1, round(height / scale))
        transform = transform @ transform.scale(full_width / width, full_height / height)  # same extent
        people = src.read(1, masked=True).astype("float64").filled(np.nan)
        cell_km2 = _cell_areas_km2(src)
        density = np.full((height, width), np.nan)
        reproject(people / cell_km2, density, src_transform=src.transform, src_crs=src.crs,
                  src_nodata=np.nan, dst_transform=transform, dst_crs=WEB_MERCATOR, dst_nodata=np.nan,
                  resampling=Resampling.average)
    west, north = transform @ (0, 0)
    east, south = transform @ (width, height)
    to_degrees = Transformer.from_crs(WEB_MERCATOR, "EPSG:4326", always_xy=True)
    (lon0, lon1), (lat0, lat1) = to_degrees.transform([west, east], [south, north])
    buffer = io.BytesIO()
    Image.fromarray(_colour(density), "RGBA").save(buffer, format="PNG", optimize=True)
    url = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
    return Overlay(url, [[lat0, lon0], [lat1, lon1]])


def _cell_areas_km2(src: rasterio.DatasetReader) -> np.ndarray:
    """Area of each cell's row in km² (a column vector): spherical for degrees, planar otherwise."""
    if src.crs.is_geographic:
        radius_km = 6371.0088
        rows = np.arange(src.height + 1)
        lats = np.radians(src.transform.f + rows * src.transform.e)
        band = np.abs(np.sin(lats[:-1]) - np.sin(lats[1:]))
        return (radius_km ** 2 * math.radians(abs(src.transform.a)) * band)[:, None]
    factor = src.crs.linear_units_factor[1] / 1000.0
    return np.full((src.height, 1), abs(src.transform.a * src.transform.e) * factor ** 2)
