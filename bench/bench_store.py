"""Benchmark the cost of one import into a GeoPackage store against the store's size: the
previous commit (copy the whole GeoPackage, write there, ``os.replace``) against the commit in
place (one SQLite transaction), in one process, on the same store files.

    python bench/bench_store.py [--versions 1 10 50] [--megabytes 10] [--repeat 3]

The layer: the demo's roads, densified (a vertex every ~20 m) and repeated under new ids until
its geometries hold ``--megabytes`` of WKB (seeded, synthetic). A store holds ``N`` versions of
it (each kept whole as its history snapshot, as the store does), built once per ``N``. Then
each way imports the layer again (a few roads moved, so the import is a real change), best of
``--repeat``; the previous code is the store module of commit ``BEFORE``, read from git.

Reference, in the same process: one ``shutil.copyfile`` of the layer's own GeoPackage (what
the layer weighs on disk): the import's cost is given as a multiple of it.
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mapping.layers.gpkg_store import GeoPackageStore  # noqa: E402
from mapping.layers.schema import get_kind, with_schema_types  # noqa: E402
from mapping.layers.store import CommitInfo  # noqa: E402
from mapping.layers.user_store import DEMO_GPKG, demo_dir  # noqa: E402

BEFORE = "ab73652"  # the last commit whose store copied the whole GeoPackage at every commit


def previous_store_module() -> ModuleType:
    """``mapping/layers/store.py`` as it was at ``BEFORE``, as a module of ``mapping.layers``."""
    source = subprocess.run(["git", "show", f"{BEFORE}:mapping/layers/store.py"], cwd=ROOT,
                            check=True, capture_output=True, text=True).stdout
    spec = importlib.util.spec_from_loader("mapping.layers.store_before", loader=None)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    module.__package__ = "mapping.layers"
    sys.modules[spec.name] = module
    exec(compile(source, f"{BEFORE}:mapping/layers/store.py", "exec"), module.__dict__)
    return module


def big_roads(megabytes: float) -> gpd.GeoDataFrame:
    """The demo roads densified and repeated (new ids) up to ``megabytes`` of geometry."""
    roads = with_schema_types(pyogrio.read_dataframe(demo_dir() / DEMO_GPKG, layer="roads"),
                              get_kind("roads"))
    roads = roads.set_geometry(shapely.segmentize(roads.geometry.array, 0.0002))
    size = sum(len(w) for w in shapely.to_wkb(roads.geometry.array)) / 1e6
    copies = max(1, round(megabytes / size))
    return pd.concat([roads.assign(road_id=roads["road_id"] + f"-{n}") for n in range(copies)],
                     ignore_index=True)


def moved(layer: gpd.GeoDataFrame, n: int) -> gpd.GeoDataFrame:
    """``layer`` with its first roads shifted by ``n`` × 10 m: a real change to import."""
    out = layer.copy()
    out.loc[out.index[:20], "geometry"] = out.geometry.iloc[:20].translate(n * 1e-4, 0)
    return out


def best_of(step: Callable[[int], object], repeat: int) -> float:
    best = float("inf")
    for n in range(repeat):
        start = time.perf_counter()
        step(n)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", type=int, nargs="+", default=[1, 10, 50])
    parser.add_argument("--megabytes", type=float, default=10.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    before = previous_store_module()
    with tempfile.TemporaryDirectory(prefix="bench-store-") as tmp:
        folder = Path(tmp)
        layer = big_roads(args.megabytes)
        alone = folder / "layer.gpkg"
        pyogrio.write_dataframe(layer, alone, layer="roads", driver="GPKG")
        reference = best_of(lambda n: shutil.copyfile(alone, folder / "copy.gpkg"), args.repeat)
        print(f"layer: {len(layer):,} roads, {alone.stat().st_size / 1e6:.1f} MB as a GeoPackage; "
              f"reference (copy of it): {reference:.3f} s")
        print(f"{'versions':>8} {'store MB':>9} {'before ×ref':>12} {'after ×ref':>11} {'before/after':>13}")
        store = GeoPackageStore(folder / "store.gpkg")
        for count in sorted(args.versions):
            while len(store.history()) < count:
                store.commit_layer("roads", moved(layer, len(store.history()) + 1000),
                                   CommitInfo("bench"))
            size = store.path.stat().st_size / 1e6
            old = before.GeoPackageStore(store.path)
            copy_and_replace = best_of(lambda n, old=old: old.commit_layer(
                "roads", moved(layer, n), CommitInfo("old")), args.repeat)
            in_place = best_of(lambda n: store.commit_layer(
                "roads", moved(layer, n + 500), CommitInfo("new")), args.repeat)
            print(f"{count:>8} {size:>9.0f} {copy_and_replace / reference:>12.1f} "
                  f"{in_place / reference:>11.1f} {copy_and_replace / in_place:>13.2f}")


if __name__ == "__main__":
    main()
