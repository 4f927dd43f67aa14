"""Benchmark travel-time catchments of the 1,000 benchmark posts on the 100 m grid: bordermap
against GRASS GIS ``r.cost`` on the same friction grid, in one process.

    python bench/generate.py --out bench/data      # once
    python bench/bench_access.py [--data bench/data] [--modes foot,vehicle] [--reach-km 50]
                                 [--minutes 60] [--grass-posts 100]

The friction surface of each mode is built once with ``mapping.access`` (``cell_m`` 100,
``reach_km`` as given, default speeds) from the posts, roads and crossings of ``bench.gpkg``, and
the population raster summed onto the same grid. Then, on that same friction array:

(a1) ours, all posts: ``travel_minutes`` (minutes from the quickest post to every cell and the
     allocation of each cell to that post);
(b1) ``r.cost`` with every post as a start and ``nearest=`` (the same two outputs), through
     ``tests/grass.py``: seconds of ``r.cost`` alone, and of the whole run (GeoTIFFs written,
     GRASS started, linked, exported and read back);
(a2) ours, population within ``--minutes`` of each post: ``population_within_times`` (one
     cost-distance run per post over a window wide enough at the mode's top speed);
(b2) what a GRASS user would do for the same figures, in one GRASS session with the friction and
     population linked once: per post, ``g.region`` to the same window, ``r.cost
     start_coordinates=… max_cost=<minutes>``, ``r.mapcalc`` keeping the population where the
     cost is within the minutes, ``r.univar -g`` for its sum. Run for the first
     ``--grass-posts`` posts and scaled to all posts (the seconds per post are what matters;
     ``--grass-posts 0``: all of them).

Times are checked equal (max abs difference over the cells reached; same cells reached;
allocation equal outside ties), and (a2)'s populations against (b2)'s. Peak memory: traced
allocations (``tracemalloc``) during the timed runs of (a1) (a few large arrays: tracing costs
nothing noticeable) and during one extra run of (a2) over the first 20 posts (the loop holds one
window at a time); GRASS's child processes: the largest max RSS
(``resource.getrusage(RUSAGE_CHILDREN)``).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import rasterio
from affine import Affine

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mapping.access.catchments import population_within_times
from mapping.access.friction import friction_minutes, speed_surface
from mapping.access.settings import default_settings
from mapping.access.surface import Surface, access_grid, population_on_grid
from mapping.access.times import travel_minutes, window_radius
from mapping.inputs import Layers
from tests.grass import grass_available, run_r_cost

NODATA = -1.0
# Runs inside one GRASS session: friction and population linked once, then per post the region,
# r.cost with max_cost, r.mapcalc and r.univar. Writes the sums, the seconds and max RSS.
_PER_POST = """
import json, resource, subprocess, sys, time
work = sys.argv[1]
job = json.load(open(work + "/job.json"))
q = ["--quiet", "--overwrite"]
def run(*args, out=False):
    done = subprocess.run(list(args), check=True, cwd=work, capture_output=True, text=True)
    return done.stdout
run("r.external", "-o", "input=friction.tif", "output=friction", *q)
run("r.external", "-o", "input=population.tif", "output=pop", *q)
sums, r_cost = [], 0.0
began = time.perf_counter()
for (n, s, e, w), (x, y) in zip(job["regions"], job["starts"]):
    run("g.region", f"n={n}", f"s={s}", f"e={e}", f"w={w}", "res=" + str(job["res"]))
    start = time.perf_counter()
    run("r.cost", "input=friction", f"start_coordinates={x},{y}", "output=c",
        f"max_cost={job['minutes']}", *q)
    r_cost += time.perf_counter() - start
    run("r.mapcalc", f"expression=p = if(c <= {job['minutes']}, pop, null())", *q)
    stats = dict(line.split("=", 1) for line in run("r.univar", "-g", "map=p").split())
    sums.append(float(stats.get("sum", "0") or 0) if stats.get("n", "0") != "0" else 0.0)
json.dump({"sums": sums, "loop": time.perf_counter() - began, "r_cost": r_cost,
           "maxrss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss},
          open(work + "/result.json", "w"))
"""


def _write(path: Path, values: np.ndarray, transform: Affine) -> None:
    with rasterio.open(path, "w", driver="GTiff", width=values.shape[1], height=values.shape[0], count=1,
                       dtype=values.dtype, transform=transform, nodata=NODATA, tiled=True) as out:
        out.write(values, 1)


def grass_per_post(friction: np.ndarray, population: np.ndarray, cells: np.ndarray, radius: int,
                   minutes: float, cell: float) -> dict[str, Any]:
    """(b2): population within ``minutes`` of each post cell, one ``r.cost`` per post."""
    began = time.perf_counter()
    nrows, ncols = friction.shape
    transform = Affine(cell, 0.0, 0.0, 0.0, -cell, nrows * cell)
    regions, starts = [], []
    for row, col in cells:
        r0, r1 = max(row - radius, 0), min(row + radius + 1, nrows)
        c0, c1 = max(col - radius, 0), min(col + radius + 1, ncols)
        regions.append(((nrows - r0) * cell, (nrows - r1) * cell, c1 * cell, c0 * cell))
        starts.append(((col + 0.5) * cell, (nrows - row - 0.5) * cell))
    with tempfile.TemporaryDirectory(prefix="rcost-posts-") as folder:
        work = Path(folder)
        _write(work / "friction.tif", np.where(np.isfinite(friction), friction, NODATA).astype(np.float64),
               transform)
        _write(work / "population.tif", population.astype(np.float64), transform)
        (work / "job.json").write_text(json.dumps({"regions": regions, "starts": starts, "res": cell,
                                                   "minutes": int(minutes)}))
        setup = time.perf_counter() - began
        command = ["grass", "--tmp-location", "XY", "--exec", sys.executable, "-c", _PER_POST, str(work)]
        subprocess.run(command, check=True, capture_output=True, text=True, cwd=work)
        result = json.loads((work / "result.json").read_text())
    result["setup"] = setup
    result["total"] = time.perf_counter() - began
    return result


def best_of(step: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = step()
        best = min(best, time.perf_counter() - start)
    return best, result


def traced_mib(step: Callable[[], Any]) -> float:
    tracemalloc.start()
    step()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return peak


def children_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**10


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).parent / "data")
    parser.add_argument("--modes", default="foot,vehicle")
    parser.add_argument("--reach-km", type=float, default=50.0)
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--repeat", type=int, default=1, help="runs of (a1), (a2); the best is kept")
    parser.add_argument("--grass-posts", type=int, default=100, help="posts run through (b2); 0: all")
    args = parser.parse_args(argv)
    if not grass_available():
        sys.exit("GRASS GIS (`grass`, Debian grass-core) is not installed")
    gpkg = args.data / "bench.gpkg"
    began = time.perf_counter()
    posts = gpd.read_file(gpkg, layer="posts")
    roads = gpd.read_file(gpkg, layer="roads")
    crossings = gpd.read_file(gpkg, layer="crossings")
    settings = default_settings().with_changes(cell_m=100.0, reach_km=args.reach_km, minutes=[args.minutes])
    raster = args.data / "population_100m.tif"
    inputs = Layers(posts, roads=roads, crossings=crossings, population=raster)
    grid = access_grid(inputs, settings)
    load = time.perf_counter() - began
    seconds, (people, _) = best_of(lambda: population_on_grid(grid, inputs.population, None), 1)
    lon, lat = posts.geometry.x.to_numpy(), posts.geometry.y.to_numpy()
    rows, cols, inside = grid.cells_of(lon, lat)
    assert inside.all()
    starts = np.column_stack([rows, cols])
    cells_m = float(grid.ground_cell_m().min())
    print(f"{len(posts):,} posts; grid {grid.shape[0]:,} x {grid.shape[1]:,} cells "
          f"({grid.shape[0] * grid.shape[1] / 1e6:.1f} M) of {grid.cell_m:g} m, reach {args.reach_km:g} km; "
          f"layers read in {load:.1f} s; population onto the grid {seconds:.1f} s "
          f"({people.sum():,.0f} people)\n")
    for mode in args.modes.split(","):
        start = time.perf_counter()
        layers = Layers(posts, roads=roads, crossings=crossings)
        friction = friction_minutes(grid, speed_surface(grid, layers, settings, mode)).astype(np.float32)
        build = time.perf_counter() - start
        radius = window_radius(args.minutes, settings.max_speed_kmh(mode), cells_m)
        print(f"## {mode}: friction built in {build:.1f} s; {np.isfinite(friction).mean():.0%} of cells "
              f"passable; per-post window {2 * radius + 1:,} x {2 * radius + 1:,} cells")

        tracemalloc.start()
        a1, ours = best_of(lambda f=friction: travel_minutes(f, starts), args.repeat)
        a1_mib = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        before = children_rss_mib()
        grass = run_r_cost(friction, starts, cell_size=grid.cell_m)
        b1_rss = children_rss_mib()
        reached = np.isfinite(ours.minutes)
        same_reach = bool(np.array_equal(reached, np.isfinite(grass.cost)))
        diff = float(np.max(np.abs(ours.minutes[reached] - grass.cost[reached])))
        agree = float(np.mean(ours.nearest[reached] == grass.nearest[reached]))
        b1, b1_total = grass.r_cost_seconds, grass.total_seconds
        del grass

        surface = Surface(grid, mode, friction, ours.minutes.astype(np.float32), ours.nearest,
                          posts["post_id"].to_numpy(dtype=object), starts, people, "raster")
        del ours
        top = settings.max_speed_kmh(mode)
        a2, within = best_of(lambda s=surface, t=top: population_within_times(s, settings, t)[:, 0],
                             args.repeat)
        first20 = Surface(grid, mode, friction, surface.minutes, surface.nearest, surface.post_ids[:20],
                          starts[:20], people, "raster")
        a2_mib = traced_mib(lambda s=first20, t=top: population_within_times(s, settings, t))
        n = len(starts) if args.grass_posts <= 0 else min(args.grass_posts, len(starts))
        per_post = grass_per_post(friction, people, starts[:n], radius, args.minutes, grid.cell_m)
        scale = len(starts) / n
        sums = np.array(per_post["sums"])
        pop_diff = np.abs(within[:n] - sums) / np.maximum(within[:n], 1.0)
        print(f"times: same cells reached {same_reach}; max |ours - r.cost| {diff:.2e} min; "
              f"nearest post equal on {agree:.4%} of reached cells; population within {args.minutes:g} min "
              f"of the first {n} posts: max rel. diff {pop_diff.max():.1e} (median population "
              f"{np.median(within):,.0f})")
        b2_rss = per_post["maxrss_kb"] / 2**10
        note = "" if n == len(starts) else f", {n} posts run x {scale:g}"
        b2 = per_post["r_cost"] * scale
        table = [
            ("(a1) ours: `travel_minutes`, all posts (times + allocation)", a1, None,
             f"{a1_mib:,.0f} traced"),
            ("(b1) `r.cost` alone, all posts, `nearest=`", b1, a1, f"{b1_rss:,.0f} RSS (children)"),
            ("(b1) the same, whole run (GeoTIFFs, GRASS session, export, read back)", b1_total, a1, ""),
            (f"(a2) ours: `population_within_times`, {args.minutes:g} min, every post", a2, None,
             f"{a2_mib:,.0f} traced"),
            (f"(b2) GRASS loop per post, `r.cost` alone{note}", b2, a2, ""),
            (f"(b2) GRASS loop per post, all 4 modules{note}", per_post["loop"] * scale, a2,
             f"{b2_rss:,.0f} RSS (children)"),
            ("(a1) + (a2) against `r.cost` alone in (b1) + (b2)", a1 + a2, None, ""),
            ("(b1) + (b2), `r.cost` alone", b1 + b2, a1 + a2, ""),
        ]
        print("| step | seconds | ours / GRASS | peak MiB |")
        print("|---|---:|---:|---:|")
        for name, sec, ours_s, mib in table:
            ratio = "" if ours_s is None else f"{ours_s / sec:.2f}"
            print(f"| {name} | {sec:.2f} | {ratio} | {mib} |")
        print(f"\n(children max RSS before (b1): {before:,.0f} MiB; (b2) setup, GeoTIFFs written: "
              f"{per_post['setup']:.1f} s)\n", flush=True)
        del surface, friction, first20


if __name__ == "__main__":
    main()
