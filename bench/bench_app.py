"""Benchmark: the app's first page load and its rerun after a weight change, demo and 1,000 posts.

    python bench/generate.py --out bench/data      # once, for the 1,000-post run
    python bench/bench_app.py --data bench/data [--profile]

Runs ``app.py`` in-process with Streamlit's ``AppTest`` on a fresh store (``BORDERMAP_STORE``
in a temporary folder), first from the demo data, then from the generated 1,000 posts. Times
(``time.perf_counter``): the store's creation (separately), the first ``at.run()``, and
``--changes`` reruns after moving one sidebar weight slider (``weight_<indicator>``) to a new
value (median and max). Each is a ratio to a reference run in the same process: one call of
``mapping.scoring.rank.score`` on the same indicator table with the default profile.

Then the first load in a new process (``--first-load STORE`` in a subprocess, imports
included, as after a server restart): on a copy of the store made before any page was loaded
(every derived result computed, as before ``mapping.derived``), and on the store as the first
load left it (indicators, population picture and base-map layers read back from the store).

AppTest runs no browser: the times are the script's rerun on the Python side only
(caches, scoring, building the page's elements and streamlit-folium's rendering of the
map to HTML), not the transfer to the browser nor Leaflet's drawing there. ``--profile``
adds one cProfiled weight-change rerun per data set and lists the ten functions of the
app's own code and of streamlit_folium with the largest cumulative time.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from generate import data_files, data_parser  # noqa: E402

from mapping.layers.gpkg_store import GeoPackageStore  # noqa: E402
from mapping.layers.user_store import DEMO_GPKG, DEMO_RASTER, open_store, seed_from_demo  # noqa: E402

TARGETS = {"demo": {"first": 5.0, "change": 0.3}, "1,000 posts": {"change": 1.0, "new_warm": 5.0}}
VALUES = (5, 42, 12, 77, 30, 60, 8, 95, 21, 50, 3, 66)  # points (0–100), all distinct


def timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def reference_score(store: GeoPackageStore, repeat: int = 5) -> tuple[float, int]:
    """Median time of one ``score()`` of the default profile on the store's indicator table."""
    from mapping.scoring.indicators import compute_indicators
    from mapping.scoring.pipeline import layers_from_layers, params_from_settings
    from mapping.scoring.profile import load_profile
    from mapping.scoring.rank import score

    profile = load_profile(ROOT / "profiles" / "default.toml")
    layers = {kind: store.read(kind) for kind in store.kinds() if kind != "population"}
    table = compute_indicators(layers_from_layers(layers, store),
                               params_from_settings(profile.indicator_settings))
    return statistics.median(timed(lambda: score(table, profile)) for _ in range(repeat)), len(table)


def profiled(run: Callable[[], object], top: int = 10) -> list[tuple[float, float, str]]:
    """Cumulative and own seconds of the ``top`` app / streamlit_folium functions of one run."""
    profilers = []

    def start(*_) -> None:  # AppTest runs the script in a new thread: profile every new thread
        profilers.append(cProfile.Profile())
        profilers[-1].enable()

    threading.setprofile(start)
    try:
        run()
    finally:
        threading.setprofile(None)
    stats = pstats.Stats(*profilers).stats  # (file, line, name) -> (cc, nc, tottime, cumtime, callers)
    rows = []
    for (file, line, name), (_, _, own, cumulative, _) in stats.items():
        path = Path(file)
        if "streamlit_folium" in file:
            where = f"streamlit_folium/{path.name}"
        elif path.is_relative_to(ROOT) and ".venv" not in path.parts:
            where = str(path.relative_to(ROOT))
        else:
            continue
        rows.append((cumulative, own, f"{where}:{line} {name}"))
    return sorted(rows, reverse=True)[:top]


def first_load(store_path: Path) -> float:
    """Seconds of the first ``at.run()`` of the app on ``store_path`` in this process."""
    from streamlit.testing.v1 import AppTest

    os.environ["BORDERMAP_STORE"] = str(store_path)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    seconds = timed(at.run)
    if at.exception:
        raise RuntimeError(f"the first run failed: {at.exception[0].message}")
    return seconds


def first_load_in_new_process(store_path: Path) -> float:
    """Seconds of the app's first load on ``store_path`` in a new Python process."""
    done = subprocess.run([sys.executable, __file__, "--first-load", str(store_path)], cwd=ROOT,
                          capture_output=True, text=True, check=True)
    return float(done.stdout.strip().splitlines()[-1])


def copy_store(store_path: Path, folder: Path) -> Path:
    """A copy of the store's folder (GeoPackage and rasters) as ``folder``; the copied GeoPackage."""
    shutil.copytree(store_path.parent, folder)
    return folder / store_path.name


def run_app(name: str, store_path: Path, create: Callable[[], object], changes: int,
            profile: bool, cold_copy: Path | None = None) -> dict:
    """Create the store, load the first page, then move weights; every time in seconds.
    ``cold_copy``: a folder where to copy the store before its first load."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    st.cache_data.clear()
    st.cache_resource.clear()
    os.environ["BORDERMAP_STORE"] = str(store_path)
    result: dict = {"name": name, "create": timed(create)}
    if cold_copy is not None:
        result["cold_store"] = copy_store(store_path, cold_copy)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    result["first"] = timed(at.run)
    if at.exception:
        raise RuntimeError(f"{name}: the first run failed: {at.exception[0].message}")
    sliders = [s.key for s in at.sidebar.slider if s.key and s.key.startswith("weight_")]
    result["changes"] = []
    for i in range(changes):
        key = sliders[i % len(sliders)]
        at.sidebar.slider(key=key).set_value(VALUES[i % len(VALUES)])
        result["changes"].append(timed(at.run))
        if at.exception:
            raise RuntimeError(f"{name}: the rerun after {key} failed: {at.exception[0].message}")
    if profile:
        at.sidebar.slider(key=sliders[0]).set_value(99)
        result["profile"] = profiled(at.run)
    result["score"], result["posts"] = reference_score(GeoPackageStore(store_path))
    if cold_copy is not None:
        result["new_cold"] = first_load_in_new_process(result["cold_store"])
        result["new_warm"] = first_load_in_new_process(store_path)
    return result


def print_table(result: dict) -> None:
    targets = TARGETS.get(result["name"], {})
    reference = result["score"]
    changes = result["changes"]

    def target(kind: str) -> str:
        return f"< {targets[kind]:g} s" if kind in targets else ""

    print(f"\n### {result['name']} ({result['posts']:,} posts)\n")
    print("| step | seconds | × one score pass | target |")
    print("|---|---:|---:|---|")
    print(f"| one `score()` of the default profile (reference) | {reference:.4f} | 1 | |")
    print(f"| creating the store from the data (not in the page load) | {result['create']:.3f} "
          f"| {result['create'] / reference:,.0f} | |")
    print(f"| first page load (`at.run()`) | {result['first']:.3f} | {result['first'] / reference:,.0f} "
          f"| {target('first')} |")
    if "new_warm" in result:
        for key, label in (("new_cold", "first load in a new process, nothing derived in the store (before)"),
                           ("new_warm", "first load in a new process, derived data read from the store")):
            print(f"| {label} | {result[key]:.3f} | {result[key] / reference:,.0f} | {target(key)} |")
    for label, seconds in (("median", statistics.median(changes)), ("max", max(changes))):
        print(f"| weight change → finished rerun, {label} of {len(changes)} | {seconds:.3f} "
              f"| {seconds / reference:,.0f} | {target('change')} |")
    if "profile" in result:
        print("\nOne weight-change rerun under cProfile, top 10 by cumulative time "
              "(app code and streamlit_folium):\n")
        print("| cumulative s | own s | function |")
        print("|---:|---:|---|")
        for cumulative, own, where in result["profile"]:
            print(f"| {cumulative:.3f} | {own:.3f} | `{where}` |")
    sys.stdout.flush()


def main() -> None:
    parser = data_parser(__doc__)
    parser.add_argument("--changes", type=int, default=10, help="weight changes per data set")
    parser.add_argument("--profile", action="store_true", help="cProfile one more weight change")
    parser.add_argument("--first-load", type=Path, help="only time the first load on this store, in seconds")
    args = parser.parse_args()
    os.chdir(ROOT)
    if args.first_load:
        print(f"{first_load(args.first_load):.4f}")
        return
    gpkg, raster = data_files(args.data)

    with tempfile.TemporaryDirectory(prefix="bench_app_") as tmp:
        tmp = Path(tmp)
        # The first run in the process also imports the pages' modules (folium, altair, ...),
        # as a freshly started server would.
        demo_store = tmp / "demo" / "store.gpkg"
        demo_store.parent.mkdir()
        print_table(run_app("demo", demo_store, lambda: open_store(demo_store), args.changes, args.profile))
        if gpkg.exists() and raster.exists():
            source = tmp / "bench_source"
            source.mkdir()
            (source / DEMO_GPKG).symlink_to(gpkg.resolve())
            (source / DEMO_RASTER).symlink_to(raster.resolve())
            bench_store = tmp / "bench" / "store.gpkg"
            bench_store.parent.mkdir()
            print_table(run_app("1,000 posts", bench_store,
                                lambda: seed_from_demo(GeoPackageStore(bench_store), source),
                                args.changes, args.profile, cold_copy=tmp / "bench_cold"))
        else:
            print(f"{gpkg} or {raster} missing: make them with "
                  f"`python bench/generate.py --out {args.data}` (skipping the 1,000-post run)")


if __name__ == "__main__":
    main()
