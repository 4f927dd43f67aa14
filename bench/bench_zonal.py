"""Benchmark population within R km of every post: bordermap against one raster read,
rasterstats and exactextract, in one process.

    python bench/generate.py --out bench/data      # once
    python bench/bench_zonal.py [--data bench/data] [--radius-km 20] [--repeat 5] [--vertices 360]

Steps, each timed as its best run (``time.perf_counter``; (a)–(c) taken in turn ``--repeat``
times, (d) and (e) twice):

(a) one plain rasterio read of the window covering every post's circle: the I/O floor;
(b) ``population_within`` from the file (windowed read overlapped with the zonal sums);
(c) ``zonal_sums`` with the grid already in memory;
(d) ``rasterstats.zonal_stats(stats="sum", all_touched=False)`` on geodesic circle polygons;
(e) ``exactextract.exact_extract(..., "sum")`` on the same polygons.

Peak memory is the peak of traced allocations (``tracemalloc``: Python and NumPy, not GDAL's
own caches) during one extra run of each step. Circles for (d) and (e) are geodesic (WGS84)
polygons in EPSG:4326 with ``--vertices`` vertices (default 360: their area falls short of
the circle's by 0.005 %, which bounds how closely (c) can agree with (e)).
"""

from __future__ import annotations

import argparse
import math
import resource
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import exactextract
import geopandas as gpd
import numpy as np
import rasterio
import rasterstats
import shapely
from rasterio.windows import Window

from mapping.geo import GEOD
from mapping.scoring.population import population_within, read_grid, zonal_sums


def circles(lon: np.ndarray, lat: np.ndarray, radius_m: float, vertices: int) -> gpd.GeoSeries:
    """Geodesic circles as polygons (EPSG:4326)."""
    n = lon.size
    azimuths = np.tile(np.linspace(0.0, 360.0, vertices, endpoint=False), n)
    x, y, _ = GEOD.fwd(np.repeat(lon, vertices), np.repeat(lat, vertices), azimuths,
                       np.full(n * vertices, radius_m))
    rings = np.stack([x, y], axis=1).reshape(n, vertices, 2)
    return gpd.GeoSeries(shapely.polygons(rings), crs="EPSG:4326")


def plain_read(path: Path, bounds: tuple[float, float, float, float]) -> np.ndarray:
    """Band 1 of every cell touching ``bounds`` (raster CRS), as stored."""
    with rasterio.open(path) as src:
        (c0, c1), (r0, r1) = ~src.transform @ (np.array(bounds[::2]), np.array(bounds[:0:-2]))
        window = Window(math.floor(c0), math.floor(r0), math.ceil(c1) - math.floor(c0),
                        math.ceil(r1) - math.floor(r0))
        return src.read(1, window=window)


def timed(steps: dict[str, Callable[[], object]], repeat: int) -> dict[str, tuple[float, float, object]]:
    """Per step: best wall time (s) of ``repeat`` runs, taken round-robin over the steps so
    that a change in the machine's load touches them alike; the peak traced memory (MB) of
    one more run; the result."""
    best = dict.fromkeys(steps, math.inf)
    results: dict[str, object] = {}
    for _ in range(repeat):
        for name, step in steps.items():
            start = time.perf_counter()
            results[name] = step()
            best[name] = min(best[name], time.perf_counter() - start)
    out = {}
    for name, step in steps.items():
        tracemalloc.start()
        step()
        out[name] = (best[name], tracemalloc.get_traced_memory()[1] / 2**20, results[name])
        tracemalloc.stop()
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).parent / "data")
    parser.add_argument("--radius-km", type=float, default=20.0)
    parser.add_argument("--repeat", type=int, default=5, help="runs of (a)-(c); (d), (e) run 2")
    parser.add_argument("--vertices", type=int, default=360, help="vertices of the circle polygons")
    args = parser.parse_args(argv)
    raster = args.data / "population_100m.tif"
    posts = gpd.read_file(args.data / "bench.gpkg", layer="posts")
    lon, lat = posts.geometry.x.to_numpy(), posts.geometry.y.to_numpy()
    radius = args.radius_km * 1000
    polygons = circles(lon, lat, radius, args.vertices)
    frame = gpd.GeoDataFrame(geometry=polygons)
    grid = read_grid(raster, (lon.min(), lat.min(), lon.max(), lat.max()), margin_m=radius)

    ours: dict[str, Callable[[], object]] = {
        "(a) plain read of the window": lambda: plain_read(raster, tuple(polygons.total_bounds)),
        "(b) population_within (file)": lambda: population_within(raster, lon, lat, radius),
        "(c) zonal_sums (in memory)": lambda: zonal_sums(grid, lon, lat, radius),
    }
    others: dict[str, Callable[[], object]] = {
        "(d) rasterstats": lambda: np.array([s["sum"] or 0.0 for s in rasterstats.zonal_stats(
            polygons, str(raster), stats="sum", all_touched=False)]),
        "(e) exactextract": lambda: exactextract.exact_extract(
            str(raster), frame, "sum", output="pandas")["sum"].to_numpy(),
    }
    results = timed(ours, args.repeat) | timed(others, 2)
    reference = results["(a) plain read of the window"][0]
    exact = results["(e) exactextract"][2]
    window = results["(a) plain read of the window"][2].shape
    print(f"{len(lon):,} circles of {args.radius_km:g} km; window {window[1]:,} x {window[0]:,} cells; "
          f"polygons of {args.vertices} vertices; best of {args.repeat} runs ((d), (e): 2)\n")
    print("| step | seconds | × read | peak traced MB | rel. diff vs (e): median / max |")
    print("|---|---:|---:|---:|---:|")
    for name, (seconds, peak, result) in results.items():
        diff = "" if np.ndim(result) != 1 or len(result) != len(exact) else _rel_diff(result, exact)
        print(f"| {name} | {seconds:.3f} | {seconds / reference:.2f} | {peak:,.0f} | {diff} |")
    print(f"\nprocess peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10:,.0f} MB")


def _rel_diff(values: np.ndarray, reference: np.ndarray) -> str:
    diff = np.abs(values - reference) / np.maximum(np.abs(reference), 1e-9)
    return f"{np.median(diff):.1e} / {np.max(diff):.1e}"


if __name__ == "__main__":
    main()
