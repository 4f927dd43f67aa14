"""What a population raster must be for bordermap to use it: checked before it is committed,
and its header checked again before the indicators or the map read a stored one.

A population raster is a GeoTIFF of persons per cell. The indicators
(``mapping.scoring.population``) read band 1 in windows around the posts, the map
(``mapping.raster_overlay``) reads it reduced to a picture; neither ever reads the whole file
at full resolution. What they need, and what is checked here:

- a CRS on the Earth that PROJ converts to longitude/latitude WGS 84 (EPSG:4326): geographic
  (degrees) or projected (metres, feet), not a local engineering grid nor another planet;
- an invertible, north-up affine transform: finite, non-zero pixel size of at least
  ``MIN_PIXEL_M`` metres, no rotation terms, an extent that lands on the Earth;
- a size the readers can bound: at most ``MAX_RASTER_CELLS`` cells and blocks (tiles or
  strips, decompressed whole by GDAL) of at most ``MAX_BLOCK_BYTES``;
- values that are persons: finite, non-negative, at most ``MAX_PERSONS_PER_CELL``, not all
  "no data" (checked on at most about a million cells, in windows spread evenly over the
  raster; nodata and NaN cells are empty);
- the stored posts under it: an error when it covers none, a warning naming those outside.

Each problem is a ``Finding`` whose message is ``validation.<code>`` in the catalogues
(``mapping/i18n/<lang>/raster.toml``).
"""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import rasterio
from affine import Affine
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError, ProjError
from rasterio.errors import RasterioError
from rasterio.windows import Window

from ..errors import BordermapError
from ..i18n import Term, t
from .diff import listed
from .findings import ERROR, WARNING, Finding, LayerReadError
from .readers import RasterInfo, read_raster_info
from .schema import STORAGE_CRS
from .validate import ValidationSettings, validate_raster

# -- limits ------------------------------------------------------------------------------
# The 100 m raster of the whole Mauritania–Mali border is 11,112 × 5,556 cells (62 million),
# the G5 Sahel region at 100 m about 55,000 × 22,000 (1.2 billion; 4.8 GB as float32, never read
# whole). A file may hold up to 2 billion cells: the G5 region at 100 m with room to spare; a
# header claiming more is damaged, crafted or a continent to clip first.
MAX_RASTER_CELLS = 2_000_000_000
# The indicators read one window of cells around a group of posts: float32 cells plus float64
# prefix sums, 12 bytes a cell. 2**26 cells (67 million, e.g. 8,192 × 8,192) is at most 768 MiB
# and holds the whole Mauritania–Mali border at 100 m in one window; posts spread wider are
# summed in several windows (mapping.scoring.population.population_within).
MAX_WINDOW_CELLS = 2**26
BYTES_PER_WINDOW_CELL = 12
# GDAL decompresses a whole block (tile or strip) to read any cell of it. A striped G5 raster
# at 100 m has blocks of 55,000 × 1 cells (220 KB); 256 MiB is a tile of 8,192 × 8,192 float32.
MAX_BLOCK_BYTES = 256 * 2**20
# Population rasters have cells of 30 m (HRSL) to 1 km (WorldPop 1 km); a pixel under 1 m is
# a header with wrong units or a damaged transform.
MIN_PIXEL_M = 1.0
MEAN_EARTH_RADIUS_M = 6_371_008.8
# Earth ellipsoids (Clarke, Bessel, Everest, WGS 84 …) have semi-major axes of 6,377 to 6,379 km
EARTH_SEMI_MAJOR_M = (6_350_000.0, 6_400_000.0)
# Values are checked on at most 1,048,576 cells (8 MB as float64): the whole raster when it is
# that small, else 32 × 32 windows of 32 × 32 cells spread evenly, each starting at a tile's
# corner (tiles up to 1,024 cells a side), so at most 1,024 blocks are decompressed: about 3 s for
# a G5 raster at 100 m, where a decimated read would decompress every tile.
SAMPLE_WINDOWS = 32
SAMPLE_WINDOW = 32
SAMPLE_TILE = 1024
# The densest city blocks hold about 100,000 persons per km²; a cell of a billion persons
# (more than live in Africa) is another quantity or an undeclared nodata value.
MAX_PERSONS_PER_CELL = 1e9


class RasterError(BordermapError):
    """The population raster in the store cannot be read safely: ``problems`` (findings or read
    errors) say why; the message ends with how to replace it."""

    section = "raster"

    def __init__(self, code: str, problems: tuple[Finding | BordermapError, ...] = (),
                 **params: object) -> None:
        super().__init__(code, **params)
        self.problems = problems

    def message(self, lang: str | None = None) -> str:
        parts = [super().message(lang), *(p.message(lang) for p in self.problems)]
        if self.code == "unusable":
            parts.append(t("raster.replace_hint", lang))
        return " ".join(parts)


# -- public API ---------------------------------------------------------------------------


def check_raster(path: str | Path, posts: gpd.GeoDataFrame | None = None,
                 settings: ValidationSettings | None = None) -> list[Finding]:
    """Every finding for the GeoTIFF at ``path`` as a population raster: its header (CRS,
    transform, size, blocks), a sample of its values, and the ``posts`` (EPSG:4326) it covers.

    Values are read only when the size and blocks are within the limits, so a damaged or
    crafted header never makes bordermap allocate what it claims. Raises ``LayerReadError``
    when the file is not a readable GeoTIFF.
    """
    info = read_raster_info(path)
    findings = validate_raster(info, settings) + header_findings(info, settings)
    codes = {f.code for f in findings}
    if not codes & {"raster_too_large", "raster_block_too_large"}:
        findings += value_findings(path, info)
    if posts is not None and not codes & _NOT_PLACED:
        findings += post_findings(info, posts)
    return findings


def usable_raster(path: str | Path) -> RasterInfo:
    """The header of a stored raster the indicators or the map are about to read; raises
    ``RasterError`` naming its problems when reading it would fail or exhaust memory."""
    try:
        info = read_raster_info(path)
    except LayerReadError as error:
        raise RasterError("unusable", (error,), file=Path(path).name) from None
    errors = [f for f in validate_raster(info) + header_findings(info) if f.severity == ERROR]
    if errors:
        raise RasterError("unusable", tuple(errors), file=Path(path).name)
    return info


def header_findings(info: RasterInfo, settings: ValidationSettings | None = None) -> list[Finding]:
    """Findings from the header alone: CRS, transform, size and blocks, position on the Earth.
    Reads no cell."""
    settings = settings or ValidationSettings()
    transform = _transform_findings(info)
    crs, crs_findings = _crs(info)
    findings = _size_findings(info) + transform + crs_findings
    if crs is not None and not transform:
        findings += _pixel_findings(info, crs) + _extent_findings(info, crs, settings)
    return findings


def value_findings(path: str | Path, info: RasterInfo) -> list[Finding]:
    """Findings from band 1's values (persons per cell), nodata and NaN cells left out, on at
    most about a million cells read evenly across the raster (``_sample``)."""
    try:
        values = _sample(path, info)
    except (RasterioError, OSError, ValueError) as error:
        return [Finding(ERROR, "raster_unreadable_cells", params={"detail": str(error)[:200]})]
    sampled = int(values.size)
    present = values[~np.isnan(values)]
    if present.size == 0:
        nodata = Term("raster.nodata_none") if info.nodata is None else info.nodata
        return [Finding(ERROR, "raster_all_nodata", params={"sampled": sampled, "nodata": nodata})]
    out = []
    infinite = np.isinf(present)
    if infinite.any():
        out.append(Finding(ERROR, "raster_not_finite", params={"count": int(infinite.sum()),
                                                               "sampled": sampled}))
    finite = present[~infinite]
    negative = finite < 0
    if negative.any():
        out.append(Finding(ERROR, "raster_negative", params={
            "count": int(negative.sum()), "sampled": sampled, "minimum": float(finite.min())}))
    huge = finite > MAX_PERSONS_PER_CELL
    if huge.any():
        out.append(Finding(ERROR, "raster_implausible", params={
            "count": int(huge.sum()), "sampled": sampled, "maximum": float(finite.max()),
            "limit": MAX_PERSONS_PER_CELL}))
    if finite.size and not finite.any():
        out.append(Finding(WARNING, "raster_all_zero", params={"sampled": sampled}))
    return out


def post_findings(info: RasterInfo, posts: gpd.GeoDataFrame) -> list[Finding]:
    """An error when the raster covers none of ``posts`` (EPSG:4326), a warning naming those
    outside its extent (their population counts only the cells on the raster)."""
    points = posts[posts.geometry.notna() & ~posts.geometry.is_empty]
    if points.empty or info.crs is None:
        return []
    points = points.to_crs(STORAGE_CRS) if points.crs is not None else points
    lon, lat = points.geometry.x.to_numpy(), points.geometry.y.to_numpy()
    try:
        x, y = Transformer.from_crs(STORAGE_CRS, info.crs, always_xy=True).transform(lon, lat)
    except ProjError:
        return []  # the CRS findings already say why
    col, row = ~Affine(*info.transform) @ (np.asarray(x), np.asarray(y))
    inside = (col >= 0) & (col < info.width) & (row >= 0) & (row < info.height)
    ids = (points["post_id"].astype(str) if "post_id" in points.columns
           else points.index.astype(str).to_series()).to_numpy()
    if not inside.any():
        west, south, east, north = _lonlat_bounds(info)
        return [Finding(ERROR, "raster_covers_no_post", params={
            "posts": len(points), "west": west, "south": south, "east": east, "north": north})]
    if inside.all():
        return []
    outside = [str(i) for i in ids[~inside]]
    return [Finding(WARNING, "raster_posts_outside", params={
        "count": len(outside), "total": len(points), "posts": listed(outside)})]


def window_error(file: str, width: int, height: int, radius_m: float,
                 limit: int = MAX_WINDOW_CELLS) -> RasterError:
    """The error for a window of ``width`` × ``height`` cells (one post's circle) above
    ``limit`` cells: the raster is too fine for the radius."""
    return RasterError("window_too_large", file=file, width=width, height=height,
                       radius_km=radius_m / 1000.0, limit=limit)


# -- header -------------------------------------------------------------------------------

# codes after which the raster cannot be placed under the posts
_NOT_PLACED = frozenset({
    "raster_no_crs", "raster_crs_unknown", "raster_crs_local", "raster_crs_not_earth", "raster_crs_not_map",
    "raster_crs_untransformable", "raster_transform_not_finite", "raster_pixel_size_zero",
    "raster_rotated", "raster_not_on_earth"})


def _size_findings(info: RasterInfo) -> list[Finding]:
    out = []
    itemsize = np.dtype(info.dtype).itemsize
    cells = info.width * info.height
    if cells > MAX_RASTER_CELLS:
        out.append(Finding(ERROR, "raster_too_large", params={
            "width": info.width, "height": info.height, "cells": cells,
            "gigabytes": cells * itemsize / 1e9, "dtype": info.dtype, "limit": MAX_RASTER_CELLS,
            "disk_mb": info.file_bytes / 1e6}))
    rows, cols = info.block_shape
    bands = info.count if info.interleave == "pixel" else 1
    block_bytes = rows * cols * itemsize * bands
    if block_bytes > MAX_BLOCK_BYTES:
        out.append(Finding(ERROR, "raster_block_too_large", params={
            "block_width": cols, "block_height": rows, "megabytes": block_bytes / 2**20,
            "limit_mb": MAX_BLOCK_BYTES // 2**20}))
    return out


def _transform_findings(info: RasterInfo) -> list[Finding]:
    a, b, c, d, e, f = info.transform
    terms = {"a": a, "b": b, "c": c, "d": d, "e": e, "f": f}
    if not all(math.isfinite(v) for v in terms.values()):
        return [Finding(ERROR, "raster_transform_not_finite", params=terms)]
    if a == 0 or e == 0:
        return [Finding(ERROR, "raster_pixel_size_zero", params={"a": a, "e": e})]
    if b != 0 or d != 0:
        return [Finding(ERROR, "raster_rotated", params={"b": b, "d": d})]
    return []


def _crs(info: RasterInfo) -> tuple[CRS | None, list[Finding]]:
    """The raster's CRS if it is on the Earth and converts to EPSG:4326, else the findings why
    (none when the raster has no CRS: ``validate_raster`` says so)."""
    if not info.crs:
        return None, []
    name = info.crs if len(info.crs) <= 60 else info.crs[:57] + "…"
    try:
        crs = CRS.from_user_input(info.crs)
    except CRSError as error:
        return None, [Finding(ERROR, "raster_crs_unknown", params={"crs": name, "detail": str(error)[:200]})]
    name = crs.name or name
    if crs.is_engineering:
        return None, [Finding(ERROR, "raster_crs_local", params={"crs": name})]
    if not (crs.is_geographic or crs.is_projected):
        return None, [Finding(ERROR, "raster_crs_not_map", params={"crs": name, "crs_type": crs.type_name})]
    semi_major = crs.ellipsoid.semi_major_metre if crs.ellipsoid is not None else None
    if semi_major is not None and not EARTH_SEMI_MAJOR_M[0] <= semi_major <= EARTH_SEMI_MAJOR_M[1]:
        return None, [Finding(ERROR, "raster_crs_not_earth", params={"crs": name,
                                                                     "radius_km": semi_major / 1000})]
    try:
        Transformer.from_crs(crs, STORAGE_CRS, always_xy=True)
    except ProjError as error:
        return None, [Finding(ERROR, "raster_crs_untransformable",
                              params={"crs": name, "detail": str(error)[:200]})]
    return crs, []


def _pixel_findings(info: RasterInfo, crs: CRS) -> list[Finding]:
    """A pixel under ``MIN_PIXEL_M`` metres (degrees at the equator for geographic CRS)."""
    a, e = abs(info.transform[0]), abs(info.transform[4])
    factor = crs.axis_info[0].unit_conversion_factor if crs.axis_info else 1.0
    to_metres = factor * (MEAN_EARTH_RADIUS_M if crs.is_geographic else 1.0)
    size_m = min(a, e) * to_metres
    if size_m < MIN_PIXEL_M:
        return [Finding(ERROR, "raster_pixel_too_small", params={"size_m": size_m, "limit_m": MIN_PIXEL_M})]
    return []


def _extent_findings(info: RasterInfo, crs: CRS, settings: ValidationSettings) -> list[Finding]:
    """The extent in longitude/latitude must be on the Earth; outside the study area, a warning."""
    try:
        west, south, east, north = _lonlat_bounds(info, crs)
    except ProjError:
        west = south = east = north = math.nan
    on_earth = (all(math.isfinite(v) for v in (west, south, east, north))
                and -90.000001 <= south <= north <= 90.000001 and -360 <= west <= east <= 360)
    if not on_earth:
        left, bottom, right, top = info.bounds
        return [Finding(ERROR, "raster_not_on_earth", params={
            "left": left, "bottom": bottom, "right": right, "top": top, "crs": crs.name})]
    box = settings.study_bounds
    if east < box[0] or west > box[2] or north < box[1] or south > box[3]:
        return [Finding(WARNING, "raster_outside_study_area")]
    return []


def _lonlat_bounds(info: RasterInfo, crs: CRS | str | None = None) -> tuple[float, float, float, float]:
    """The raster's bounds in longitude/latitude degrees (west, south, east, north)."""
    to_lonlat = Transformer.from_crs(crs or info.crs, STORAGE_CRS, always_xy=True)
    west, south, east, north = to_lonlat.transform_bounds(*info.bounds, densify_pts=21)
    return float(west), float(south), float(east), float(north)


# -- values -------------------------------------------------------------------------------


def _sample(path: str | Path, info: RasterInfo) -> np.ndarray:
    """Band 1's cells as float64 with NaN for nodata: all of them when there are at most
    ``SAMPLE_WINDOWS``² × ``SAMPLE_WINDOW``² (1,048,576), else a grid of ``SAMPLE_WINDOWS`` ×
    ``SAMPLE_WINDOWS`` windows of ``SAMPLE_WINDOW`` × ``SAMPLE_WINDOW`` cells spread evenly,
    each starting at a tile's corner and read tile by tile, so that at most that many blocks
    are decompressed, each once."""
    with rasterio.open(path) as src:
        if info.width * info.height <= (SAMPLE_WINDOWS * SAMPLE_WINDOW) ** 2:
            return np.ma.filled(src.read(1, masked=True).astype("float64"), np.nan)
        rows, cols = info.block_shape
        tops = _starts(info.height, rows)
        lefts = _starts(info.width, cols)
        corners = sorted((top // rows, left // cols, top, left) for top in tops for left in lefts)
        parts = [src.read(1, window=Window(left, top, min(SAMPLE_WINDOW, info.width - left),
                                           min(SAMPLE_WINDOW, info.height - top)), masked=True)
                 for *_, top, left in corners]
    return np.concatenate([np.ma.filled(part.astype("float64"), np.nan).ravel() for part in parts])


def _starts(size: int, block: int) -> list[int]:
    """``SAMPLE_WINDOWS`` window starts spread evenly over ``size`` cells, moved back to the start
    of their block when blocks are tiles (at most ``SAMPLE_TILE`` cells); no two the same."""
    starts = np.linspace(0, max(size - SAMPLE_WINDOW, 0), SAMPLE_WINDOWS).astype(np.int64)
    if block <= SAMPLE_TILE:
        starts = starts // block * block
    return sorted({int(v) for v in starts})
