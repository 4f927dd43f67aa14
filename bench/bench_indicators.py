"""Benchmark: every indicator for all 1,000 posts of the generated data, in one process.

    python bench/generate.py --out bench/data      # once
    python bench/bench_indicators.py --data bench/data

Reports wall time (best of ``--repeat`` runs, ``time.perf_counter``) and peak traced
memory for the whole indicator table (raster and settlement-fallback population), each
as a ratio to a reference run in the same process: one plain read of the raster window
covering all the posts' catchment circles (the I/O floor of the population indicator).
"""

from __future__ import annotations

import datetime as dt
import time
import tracemalloc
from collections.abc import Callable

import pyogrio
import rasterio
from generate import data_files, data_parser
from rasterio.windows import from_bounds

from mapping.layers.schema import KINDS, with_schema_types
from mapping.scoring.indicators import IndicatorParams, Layers, compute_indicators

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

    def plain_read() -> None:
        with rasterio.open(raster) as src:
            src.read(1, window=from_bounds(x0 - margin, y0 - margin, x1 + margin, y1 + margin,
                                           src.transform))

    def table(population) -> Callable[[], object]:
        return lambda: compute_indicators(Layers(
            layers["posts"], crossings=layers["crossings"], borders=layers["borders"],
            roads=layers["roads"], settlements=layers["settlements"], population=population), params)

    reference, reference_mem = best_of(args.repeat, plain_read)
    rows = [("one plain read of the raster window (reference)", reference, reference_mem),
            ("all indicators, population from the 100 m raster", *best_of(args.repeat, table(raster))),
            ("all indicators, population from 100,000 settlements", *best_of(args.repeat, table(None)))]
    print(f"{len(layers['posts']):,} posts, {len(layers['crossings']):,} crossings, "
          f"{len(layers['roads']):,} road segments, {len(layers['settlements']):,} settlements\n")
    print("| run | seconds | × reference | peak traced MiB |")
    print("|---|---:|---:|---:|")
    for name, seconds, memory in rows:
        print(f"| {name} | {seconds:.3f} | {seconds / reference:.2f} | {memory:.0f} |")


if __name__ == "__main__":
    main()
