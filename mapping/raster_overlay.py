"""The population raster as a picture for the web map: reprojected to Web Mercator
(EPSG:3857, the map's projection, so cells land where they are), at most
``MAX_PIXELS`` wide, coloured by people per km² on a log scale (``LEVELS`` steps of a
palette), transparent where empty."""

from __future__ import annotations

import base64
import io
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine
from PIL import Image
from pyproj import Transformer
from rasterio.crs import CRS
from rasterio.warp import Resampling, calculate_default_transform, reproject

from .layers.raster_checks import usable_raster

MAX_PIXELS = 1200
# the raster is read at most this many cells a side (averaged when larger): 2 × the picture, so
# the reprojection still averages several cells into each pixel; 46 MB as float64
MAX_READ = 2 * MAX_PIXELS
WEB_MERCATOR = "EPSG:3857"
# yellow -> orange -> dark red (ColorBrewer YlOrRd), for 1, 10, 100, 1,000 and 10,000+ people/km²
RAMP = np.array([[255, 255, 178], [254, 204, 92], [253, 141, 60], [240, 59, 32], [189, 0, 38]], float)
DENSITY_STEPS = (1.0, 10.0, 100.0, 1_000.0, 10_000.0)  # people per km²


@dataclass(frozen=True)
class Overlay:
    """A PNG (as a data URL) and its bounds ``[[south, west], [north, east]]`` in degrees."""

    url: str
    bounds: list[list[float]]


LEVELS = 63  # colours of the picture (palette index 0 is transparent): a light PNG, a smooth ramp


def _ramp(position: np.ndarray) -> np.ndarray:
    """RGB at ``position`` (0–1) along the ramp, interpolated between its colours."""
    scaled = position * (len(RAMP) - 1)
    low = np.floor(scaled).astype(int).clip(0, len(RAMP) - 2)
    mix = (scaled - low)[..., None]
    return RAMP[low] * (1 - mix) + RAMP[low + 1] * mix


def _picture(density: np.ndarray) -> Image.Image:
    """A palette picture of the density: ``LEVELS`` steps of the ramp by log10(density), index 0
    (transparent) where no one lives or there is no data. A palette PNG is several times lighter
    than an RGBA one, and the app sends the map again at every rerun."""
    present = np.isfinite(density) & (density > 0)
    level = np.log10(np.clip(np.where(present, density, DENSITY_STEPS[0]), DENSITY_STEPS[0],
                             DENSITY_STEPS[-1]))
    position = (level - math.log10(DENSITY_STEPS[0])) / (math.log10(DENSITY_STEPS[-1]) -
                                                         math.log10(DENSITY_STEPS[0]))
    index = np.where(present, 1 + np.rint(position * (LEVELS - 1)), 0).astype(np.uint8)
    picture = Image.fromarray(index, "P")
    colours = np.vstack([[0, 0, 0], _ramp(np.linspace(0, 1, LEVELS))]).round().astype(np.uint8)
    picture.putpalette(colours.ravel().tolist())
    picture.info["transparency"] = 0
    return picture


def population_overlay(path: str | Path) -> Overlay:
    """Read the raster (persons per cell), reproject to EPSG:3857 as density, colour it.

    A raster more than ``MAX_READ`` cells a side is read reduced to that (average of the cells,
    nodata left out), so the picture never needs more than ``MAX_READ``² cells in memory.
    Raises ``RasterError`` when the raster cannot be read safely (``usable_raster``).
    """
    usable_raster(path)
    with rasterio.open(path) as src:
        transform, width, height = calculate_default_transform(src.crs, WEB_MERCATOR, src.width,
                                                                src.height, *src.bounds)
        scale = max(width / MAX_PIXELS, height / MAX_PIXELS, 1.0)
        full_width, full_height = width, height
        width, height = max(1, round(width / scale)), max(1, round(height / scale))
        transform = transform @ transform.scale(full_width / width, full_height / height)  # same extent
        people, source = _read_reduced(src)
        density = np.full((height, width), np.nan)
        reproject(people / _cell_areas_km2(src.crs, source, people.shape[0]), density,
                  src_transform=source, src_crs=src.crs, src_nodata=np.nan, dst_transform=transform,
                  dst_crs=WEB_MERCATOR, dst_nodata=np.nan, resampling=Resampling.average)
    west, north = transform @ (0, 0)
    east, south = transform @ (width, height)
    to_degrees = Transformer.from_crs(WEB_MERCATOR, "EPSG:4326", always_xy=True)
    (lon0, lon1), (lat0, lat1) = to_degrees.transform([west, east], [south, north])
    buffer = io.BytesIO()
    _picture(density).save(buffer, format="PNG", optimize=True, transparency=0)
    url = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
    return Overlay(url, [[lat0, lon0], [lat1, lon1]])


def _read_reduced(src: rasterio.DatasetReader) -> tuple[np.ndarray, Affine]:
    """Band 1 as persons per cell of a grid of at most ``MAX_READ`` cells a side (float64, NaN
    where nodata), and that grid's transform: the raster itself when it is that small, else its
    cells averaged into larger ones (persons per cell times the cells each one holds)."""
    rows, cols = min(src.height, MAX_READ), min(src.width, MAX_READ)
    if (rows, cols) == (src.height, src.width):
        return src.read(1, masked=True).astype("float64").filled(np.nan), src.transform
    mean = src.read(1, masked=True, out_shape=(rows, cols), resampling=Resampling.average)
    sx, sy = src.width / cols, src.height / rows
    return mean.astype("float64").filled(np.nan) * (sx * sy), src.transform @ Affine.scale(sx, sy)


def _cell_areas_km2(crs: CRS, transform: Affine, height: int) -> np.ndarray:
    """Area of each cell's row in km² (a column vector): spherical for degrees, planar otherwise."""
    if crs.is_geographic:
        radius_km = 6371.0088
        rows = np.arange(height + 1)
        lats = np.radians(transform.f + rows * transform.e)
        band = np.abs(np.sin(lats[:-1]) - np.sin(lats[1:]))
        return (radius_km ** 2 * math.radians(abs(transform.a)) * band)[:, None]
    factor = crs.linear_units_factor[1] / 1000.0
    return np.full((height, 1), abs(transform.a * transform.e) * factor ** 2)
