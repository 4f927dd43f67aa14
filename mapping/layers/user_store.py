"""Where the user's store lives, and its creation from the demo data.

By default every user works on their own store (``BORDERMAP_STORE``, a path or a
``postgresql://`` URL, or the platform's user data folder), so the repository's ``data/geo/``
is never modified by use.
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
from .gpkg_store import GeoPackageStore
from .importing import sha256_of
from .schema import VECTOR_KINDS
from .store import CommitInfo, LayerStore, UnreadableStoreError

DEMO_GPKG = "demo.gpkg"
DEMO_RASTER = "population.tif"
DEMO_USER = "bordermap demo"


def demo_dir() -> Path:
    """The demo data folder: inside an installed wheel, else ``data/geo`` of the source tree."""
    return shipped("demo_data", "data/geo")


def default_store_location() -> str:
    """``BORDERMAP_STORE`` if set (a path or a ``postgresql://`` URL), else ``store.gpkg`` in
    the user's data folder."""
    configured = os.environ.get("BORDERMAP_STORE")
    if configured:
        return configured
    return str(platformdirs.user_data_path("bordermap") / "store.gpkg")


def store_at(location: str | Path) -> LayerStore:
    """The store at ``location``, its backend picked from it: ``postgresql://…`` (or
    ``postgres://…``) is a PostGIS database, ``gpkg:PATH`` or any other path a GeoPackage;
    ``UnreadableStoreError`` ``unknown_store_url`` for another kind of URL. Nothing is opened."""
    text = str(location)
    scheme = text.partition("://")[0].lower() if "://" in text else ""
    if scheme in ("postgresql", "postgres"):
        from .postgis_store import PostGISStore  # psycopg is imported only for such a store

        return PostGISStore(text)
    if scheme:
        raise UnreadableStoreError("unknown_store_url", store=text)
    return GeoPackageStore(Path(text.removeprefix("gpkg:")).expanduser())


def open_store(location: str | Path | None = None, seed: bool = True,
               progress: Callable[[str], None] | None = None) -> LayerStore:
    """The store at ``location`` (default: ``default_store_location()``), created from the demo
    if new; ``UnreadableStoreError`` when what is there cannot be used (``LayerStore.check``),
    whatever is then asked of it: reading, or importing a raster into it."""
    store = store_at(location or default_store_location())
    store.check()
    if seed and not store.exists():
        seed_from_demo(store, demo_dir(), progress)
    return store


def seed_from_demo(store: LayerStore, source: Path,
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
