"""GRASS GIS ``r.cost`` run headless on a numpy friction array, as the reference the travel
times are checked against (tests) and timed against (bench).

The friction is written as a Float64 GeoTIFF (no CRS; square cells of ``cell_size`` units, row 0
at the north) with barriers (``inf``, ``nan`` or negative) as nodata, the start cells as an
Int32 GeoTIFF holding each start's index + 1; both are linked into a temporary XY location
(``r.external``), ``r.cost`` runs over them with its default 8 neighbours (no ``-k`` knight's
move) and its outputs are written back as GeoTIFFs (``r.out.gdal``) and read with rasterio.
Since the friction is DCELL, ``r.cost`` adds it up in double precision and writes DCELL.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine

NODATA = -1.0  # r.cost turns negative costs into null too
# Runs inside the GRASS session: every module in turn, timing r.cost alone (seconds to a file).
_DRIVER = """
import json, subprocess, sys, time
work = sys.argv[1]
steps = json.load(open(work + "/steps.json"))
for name, command in steps:
    start = time.perf_counter()
    subprocess.run(command, check=True, cwd=work)
    if name == "r.cost":
        open(work + "/r_cost_seconds", "w").write(repr(time.perf_counter() - start))
"""


@dataclass(frozen=True)
class RCostRun:
    """``cost``: cumulative cost from the nearest start (``inf`` where ``r.cost`` wrote null);
    ``nearest``: index of that start (-1 where null); wall-clock seconds of ``r.cost`` alone and
    of the whole run (GeoTIFFs written, GRASS started, imported, exported and read back)."""

    cost: np.ndarray
    nearest: np.ndarray
    r_cost_seconds: float
    total_seconds: float


def grass_available() -> bool:
    """Whether the ``grass`` command (GRASS GIS 8) is on the PATH."""
    return shutil.which("grass") is not None


def _write(path: Path, values: np.ndarray, transform: Affine, nodata: float) -> None:
    with rasterio.open(path, "w", driver="GTiff", width=values.shape[1], height=values.shape[0], count=1,
                       dtype=values.dtype, transform=transform, nodata=nodata) as out:
        out.write(values, 1)


def _read(path: Path) -> np.ndarray:
    with rasterio.open(path) as raster:
        return raster.read(1, masked=True)


def run_r_cost(friction: np.ndarray, starts: np.ndarray, cell_size: float = 1.0,
               max_cost: int = 0, memory_mb: int = 300) -> RCostRun:
    """``r.cost`` over ``friction`` (cost per cell width; ``inf``, ``nan`` or negative: barrier)
    from ``starts`` (rows of (row, col); a later start on the same cell replaces an earlier one).
    ``max_cost``: stop there (``r.cost`` reads it as an integer; 0: no limit); ``memory_mb``:
    ``r.cost``'s cache. A start on a barrier gets cost 0 and reaches nothing (``-n`` does
    not change that without ``null_cost``)."""
    began = time.perf_counter()
    friction = np.asarray(friction, dtype=np.float64)
    starts = np.asarray(starts, dtype=np.int64).reshape(-1, 2)
    if not len(starts):
        raise ValueError("r.cost needs at least one start cell")
    transform = Affine(cell_size, 0.0, 0.0, 0.0, -cell_size, friction.shape[0] * cell_size)
    start_raster = np.zeros(friction.shape, dtype=np.int32)
    start_raster[starts[:, 0], starts[:, 1]] = np.arange(1, len(starts) + 1, dtype=np.int32)
    with tempfile.TemporaryDirectory(prefix="rcost-") as folder:
        work = Path(folder)
        _write(work / "friction.tif", np.where(np.isfinite(friction) & (friction >= 0), friction, NODATA),
               transform, NODATA)
        _write(work / "starts.tif", start_raster, transform, 0)
        flags = ["--quiet", "--overwrite"]
        steps = [
            ("link", ["r.external", "-o", "input=friction.tif", "output=friction", *flags]),
            ("link", ["r.external", "-o", "input=starts.tif", "output=starts", *flags]),
            ("region", ["g.region", "raster=friction"]),
            ("r.cost", ["r.cost", "input=friction", "start_raster=starts", "output=cost", "nearest=nearest",
                        f"max_cost={max_cost}", f"memory={memory_mb}", *flags]),
            ("export", ["r.out.gdal", "input=cost", "output=cost.tif", "type=Float64", "-c", *flags]),
            ("export", ["r.out.gdal", "input=nearest", "output=nearest.tif", "type=Int32", "-c", *flags]),
        ]
        (work / "steps.json").write_text(json.dumps(steps))
        subprocess.run(["grass", "--tmp-location", "XY", "--exec", sys.executable, "-c", _DRIVER, str(work)],
                       check=True, capture_output=True, text=True, cwd=work)
        cost, nearest = _read(work / "cost.tif"), _read(work / "nearest.tif")
        seconds = float((work / "r_cost_seconds").read_text())
    return RCostRun(cost.filled(np.inf).astype(np.float64), (nearest.filled(0) - 1).astype(np.int64),
                    seconds, time.perf_counter() - began)


def r_cost(friction: np.ndarray, starts: np.ndarray, cell_size: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """The cumulative cost and the index of the nearest start (see :func:`run_r_cost`)."""
    run = run_r_cost(friction, starts, cell_size)
    return run.cost, run.nearest
