"""Benchmark a surge scenario re-computed after a change of numbers, on the demo store, in one
process.

    python bench/bench_surge.py [--repeat 20]

A temporary store is made with ``bordermap init --from demo``. The scenario: 100,000 people
over 30 days from a 20 km circle around Léré (Mali, lon −4.91, lat 15.71), the default mode
mix and settings (``profiles/default.toml``: 1 km cells, reach 100 km). First run, timed once:
the travel-time surfaces of the modes used (computed and kept in the store), the sites and the
minutes from the origin to each (``run.origin_minutes``), and the simulation. Then each change
of numbers (people, days, curve, mode mix over the same modes, unofficial share) is simulated
again with the surfaces and origin times cached, two ways, each the best of ``--repeat``:

- ``surge.simulate`` on the cached sites and minutes;
- the app's path, ``mapping.webapp.data.surge`` (Streamlit's caches, here without a running
  server: in memory), after one call that filled its caches.

Reference, in the same process: one read of the posts layer from the store
(``store.read("posts")``, the demo's 53 posts).
"""

from __future__ import annotations

import argparse
import dataclasses
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mapping.access import run
from mapping.access.routing import origin_around, surge_sites
from mapping.access.scenario import SurgeScenario
from mapping.access.settings import default_settings
from mapping.access.surge import simulate
from mapping.layers.gpkg_store import GeoPackageStore

CHANGES: dict[str, dict[str, Any]] = {
    "people 100,000 → 150,000": {"people": 150_000},
    "days 30 → 20": {"days": 20},
    "curve even → peak on day 5": {"curve": "peak", "peak_day": 5},
    "mode mix 60/25/15 → 40/30/30 %": {"mode_mix": {"foot": 0.4, "motorbike": 0.3, "vehicle": 0.3}},
    "unofficial share 0.3 → 0.5": {"unofficial_share": 0.5},
}


def best_of(step: Callable[[], Any], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        step()
        best = min(best, time.perf_counter() - start)
    return best


def once(step: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = step()
    return time.perf_counter() - start, result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args(argv)
    from mapping.webapp import data

    with tempfile.TemporaryDirectory(prefix="bench-surge-") as folder:
        path = str(Path(folder) / "demo.gpkg")
        subprocess.run([sys.executable, "-c", "from mapping.cli import main; main()", "init", "--store", path,
                        "--from", "demo"], check=True, capture_output=True)
        store = GeoPackageStore(Path(path))
        settings = default_settings()
        origin = origin_around(-4.91, 15.71, 20.0)
        scenario = SurgeScenario(name="bench", people=100_000, days=30)
        modes = run.used_modes(scenario)

        surfaces_s, by_mode = once(lambda: run.surfaces(store, store.read, settings, modes))
        posts, crossings = store.read("posts"), store.read("crossings")
        sites = surge_sites(posts, crossings, scenario)
        origin_s, minutes = once(lambda: run.origin_minutes(by_mode, origin, sites))
        first_sim_s, result = once(lambda: simulate(scenario, sites, minutes))
        reference = best_of(lambda: store.read("posts"), args.repeat)
        version = data.store_version(path)
        app_first_s, _ = once(lambda: data.surge(path, version, settings, scenario, origin))

        print(f"demo store: {len(posts)} posts, {len(crossings)} crossings; {len(sites)} sites; modes "
              f"{', '.join(modes)}; grid {by_mode[modes[0]].grid.shape[0]:,} x "
              f"{by_mode[modes[0]].grid.shape[1]:,} cells of {settings.cell_m:g} m; "
              f"{scenario.people:,} people over {scenario.days} days, "
              f"{sum(result.unreached.values()):,.0f} unreached; "
              f"best of {args.repeat}\n")
        print("| step | seconds | × read posts |")
        print("|---|---:|---:|")
        rows = [("read the posts layer (reference)", reference),
                ("first run: surfaces of the 3 modes (computed, kept in the store)", surfaces_s),
                ("first run: minutes from the origin to every site", origin_s),
                ("first run: simulation", first_sim_s),
                ("app `data.surge`, first call (surfaces read back from the store)", app_first_s)]
        worst = 0.0
        for label, change in CHANGES.items():
            changed = dataclasses.replace(scenario, **change)
            sim = best_of(lambda c=changed: simulate(c, sites, minutes), args.repeat)
            app = best_of(lambda c=changed: data.surge(path, version, settings, c, origin), args.repeat)
            worst = max(worst, sim, app)
            rows += [(f"{label}: `simulate`", sim), (f"{label}: app `data.surge` (cached)", app)]
        for label, seconds in rows:
            print(f"| {label} | {seconds:.4f} | {seconds / reference:.1f} |")
        changed = dataclasses.replace(scenario, **CHANGES["mode mix 60/25/15 → 40/30/30 %"])
        tracemalloc.start()
        data.surge(path, version, settings, changed, origin)
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        print(f"\nslowest recompute {worst:.4f} s (target < 1 s: {'met' if worst < 1 else 'NOT met'}); "
              f"peak traced memory of one cached recompute {peak:.1f} MiB")


if __name__ == "__main__":
    main()
