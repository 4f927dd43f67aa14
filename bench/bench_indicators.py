"""Benchmark: every indicator for all the posts of the generated data, in one process.

    python bench/generate.py --out bench/data      # once (1,000 posts, Mauritania–Mali)
    python bench/bench_indicators.py --data bench/data
    python bench/generate.py --out bench/data_g5 --region g5   # every G5 border
    python bench/bench_indicators.py --data bench/data_g5 --repeat 1

Reports wall time (best of ``--repeat`` runs, ``time.perf_counter``) and peak traced
memory for the whole indicator table (raster and settlement-fallback population), each
as a ratio to a reference run in the same process: one plain read of the raster windows
covering all the posts' catchment circles, the windows ``population_within`` reads (its
groups of posts, each window at most ``MAX_WINDOW_CELLS`` cells): the I/O floor of the
population indicator. When the posts fit one window of the old reference (a 0.25° margin
around all posts), that read is listed too, for comparison with earlier figures.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyogrio
import rasterio
from rasterio.windows import from_bounds

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this source tree's bordermap

from generate import data_files, data_parser

from mapping.inputs import Layers
from mapping.layers.raster_checks import MAX_WINDOW_CELLS
from mapping.layers.schema import KINDS, with_schema_types
from mapping.scoring.indicators import IndicatorParams, compute_indicators
from mapping.scoring.population import _groups, _window

LAYERS = ("posts", "crossings", "roads", "settlements", "borders")


def best_of(repeat: int, work: Callable[[], object]) -> tuple[float, float]:
    """Best wall time in seconds over ``repeat`` runs, and the peak traced memory in MiB."""
    times = []
    tracemalloc.start()
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return min(times), peak / 2**20


def main() -> None:
    parser = data_parser(__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    gpkg, raster = data_files(args.data)
    layers = {k: with_schema_types(pyogrio.read_dataframe(gpkg, layer=k), KINDS[k]) for k in LAYERS}
    params = IndicatorParams(reference_date=dt.date(2026, 11, 23))
    margin = params.radius_km / 100 + 0.05  # degrees: covers a 20 km circle at these latitudes
    x0, y0, x1, y1 = layers["posts"].total_bounds
    lon, lat = layers["posts"].geometry.x.to_numpy(), layers["posts"].geometry.y.to_numpy()
    with rasterio.open(raster) as src:
        windows = [_window(src, (lon[g].min(), lat[g].min(), lon[g].max(), lat[g].max()),
                           params.radius_km * 1000)
                   for g in _groups(src, lon, lat, np.arange(lon.size), params.radius_km * 1000)]
        wide = from_bounds(x0 - margin, y0 - margin, x1 + margin, y1 + margin, src.transform)

    def plain_read() -> None:
        with rasterio.open(raster) as src:
            for window in windows:
                src.read(1, window=window)

    def wide_read() -> None:
        with rasterio.open(raster) as src:
            src.read(1, window=wide)

    def table(population) -> Callable[[], object]:
        return lambda: compute_indicators(Layers(
            layers["posts"], crossings=layers["crossings"], borders=layers["borders"],
            roads=layers["roads"], settlements=layers["settlements"], population=population), params)

    reference, reference_mem = best_of(args.repeat, plain_read)
    cells = sum(w.width * w.height for w in windows)
    rows = [(f"one plain read of the {len(windows)} raster window(s) `population_within` reads, "
             f"{cells / 1e6:,.0f} M cells (reference)", reference, reference_mem)]
    if wide.width * wide.height <= MAX_WINDOW_CELLS * 2:
        rows.append(("one plain read of a window 0.25° around all posts (earlier reference)",
                     *best_of(args.repeat, wide_read)))
    fallback = f"all indicators, population from {len(layers['settlements']):,} settlements"
    rows += [("all indicators, population from the 100 m raster", *best_of(args.repeat, table(raster))),
             (fallback, *best_of(args.repeat, table(None)))]
    print(f"{len(layers['posts']):,} posts, {len(layers['crossings']):,} crossings, "
          f"{len(layers['roads']):,} road segments, {len(layers['settlements']):,} settlements\n")
    print("| run | seconds | × reference | peak traced MiB |")
    print("|---|---:|---:|---:|")
    for name, seconds, memory in rows:
        print(f"| {name} | {seconds:.3f} | {seconds / reference:.2f} | {memory:.0f} |")


if __name__ == "__main__":
    main()
