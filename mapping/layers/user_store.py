"""Where the user's store lives, and its creation from the demo data.

By default every user works on their own store (``BORDERMAP_STORE`` or the
platform's user data folder), so the repository's ``data/geo/`` is never modified by use.
``open_store`` creates a missing store from the demo data (the quick start, and tests);
the CLI does so for the default store only, and the app asks first (``mapping.project``:
a new project, empty or from the demo).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import platformdirs
import pyogrio

from ..paths import shipped
from .importing import sha256_of
from .schema import VECTOR_KINDS
from .store import CommitInfo, GeoPackageStore

DEMO_GPKG = "demo.gpkg"
DEMO_RASTER = "population.tif"
DEMO_USER = "bordermap demo"


def demo_dir() -> Path:
    """The demo data folder: inside an installed wheel, else ``data/geo`` of the source tree."""
    return shipped("demo_data", "data/geo")


def default_store_path() -> Path:
    """``BORDERMAP_STORE`` if set, else ``store.gpkg`` in the user's data folder."""
    configured = os.environ.get("BORDERMAP_STORE")
    if configured:
        return Path(configured).expanduser()
    return platformdirs.user_data_path("bordermap") / "store.gpkg"


def open_store(path: str | Path | None = None, seed: bool = True,
               progress: Callable[[str], None] | None = None) -> GeoPackageStore:
    """The store at ``path`` (default: ``default_store_path()``), created from the demo if new;
    ``UnreadableStoreError`` when the file there is not a GeoPackage (see ``GeoPackageStore.check``),
    whatever is then asked of it: reading, or importing a raster into it."""
    store = GeoPackageStore(Path(path) if path else default_store_path())
    store.check()
    if seed and not store.path.exists():
        seed_from_demo(store, demo_dir(), progress)
    return store


def seed_from_demo(store: GeoPackageStore, source: Path,
                   progress: Callable[[str], None] | None = None, new: bool = False) -> None:
    """Commit every layer of the demo folder as version 1.. of a new store, in one transaction
    (``new``: refused with ``StoreError`` ``store_exists`` when the store exists)."""
    gpkg = source / DEMO_GPKG
    digest = sha256_of(gpkg)
    present = {str(name) for name, _ in pyogrio.list_layers(gpkg)}
    with store.transaction(new=new) as tx:
        for kind in (k for k in VECTOR_KINDS if k in present):
            if progress:
                progress(kind)
            layer = pyogrio.read_dataframe(gpkg, layer=kind)
            tx.commit_layer(kind, layer, CommitInfo(DEMO_USER, DEMO_GPKG, digest, "demo"))
        raster = source / DEMO_RASTER
        if raster.exists():
            tx.commit_raster("population", raster,
                             CommitInfo(DEMO_USER, DEMO_RASTER, sha256_of(raster), "demo"))
