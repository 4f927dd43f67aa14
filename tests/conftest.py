"""Shared fixtures: small layers made in code, and the real reference data when present."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from filelock import FileLock
from postgis import postgis_server, postgis_url  # noqa: F401  (fixtures of the PostGIS store tests)

from mapping.access.settings import TRAVEL_MODES, default_settings
from mapping.derived import access_surface
from mapping.layers.user_store import open_store


def plain(text: str) -> str:
    """Text with French non-breaking spaces as plain spaces, for comparisons in tests."""
    return text.replace("\u00a0", " ").replace("\u202f", " ")


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file's bytes (a store unchanged byte for byte has the same)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="session")
def demo_store_folder(tmp_path_factory) -> Path:
    """A folder with a store seeded from the demo (``store.gpkg`` and its rasters), made once."""
    folder = tmp_path_factory.mktemp("demo-store")
    open_store(folder / "store.gpkg")
    return folder


@pytest.fixture(scope="session")
def demo_travel_folder(tmp_path_factory) -> Path:
    """A demo store with the default profile's travel-time surfaces (foot, motorbike, vehicle)
    kept in it, computed once per test run: tests copy it rather than compute them again, and
    never write into it. The processes of a pytest-xdist run share it: the first that needs it
    computes it under a file lock and the others wait for it (as pytest-xdist's documentation
    does for session fixtures)."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the run's folder, above each worker's own
    folder = root / "demo-travel" / "store"
    with FileLock(root / "demo-travel.lock"):
        if not folder.exists():
            partial = root / "demo-travel-partial"
            shutil.rmtree(partial, ignore_errors=True)  # left by a run stopped while computing
            store = open_store(partial / "store" / "store.gpkg")
            for mode in TRAVEL_MODES:
                access_surface(store, store.read, default_settings(), mode)
            partial.rename(folder.parent)
    return folder


@pytest.fixture
def travel_store_copy(demo_travel_folder: Path, tmp_path: Path) -> Path:
    """A fresh copy of the demo store with its travel-time surfaces: the path of its GeoPackage."""
    shutil.copytree(demo_travel_folder, tmp_path / "store")
    return tmp_path / "store" / "store.gpkg"


@pytest.fixture
def store_copy(demo_store_folder: Path, tmp_path: Path) -> Path:
    """A fresh copy of the demo store for one test: the path of its GeoPackage."""
    shutil.copytree(demo_store_folder, tmp_path / "store")
    return tmp_path / "store" / "store.gpkg"


SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` (real public reference data); the test is skipped when absent."""
    if not (SHARED_DATA / "sahel_reference.gpkg").exists():
        pytest.skip(f"real reference data not found at {SHARED_DATA}")
    return SHARED_DATA


# The Mauritania–Mali border near Gogui/Kobenni runs roughly along latitude 15.5 N.
BORDER_LINE = shapely.LineString([(-11.5, 15.5), (-9.5, 15.5), (-7.0, 15.6)])


@pytest.fixture
def borders() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"border_id": ["MLI-MRT"], "iso3_a": ["MLI"], "iso3_b": ["MRT"]},
                            geometry=[BORDER_LINE], crs="EPSG:4326")


def make_posts(**overrides: list) -> gpd.GeoDataFrame:
    """Three valid posts near the border, in field-style French columns; override any column."""
    data = {
        "identifiant": ["MRT-001", "MLI-001", "MRT-002"],
        "Nom": ["Kobenni", "Gogui", "Adel Bagrou"],
        "Pays": ["MRT", "MLI", "MRT"],
        "Statut": ["Opérationnel", "dégradé", "fermé"],
        "batiment": ["2", "1,5", ""],
        "Date évaluation": ["12/03/2025", "2024-11-02", ""],
    }
    data.update(overrides)
    lon = data.pop("lon", [-9.42, -9.35, -7.53])
    lat = data.pop("lat", [15.90, 15.36, 15.54])
    return gpd.GeoDataFrame(data, geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")

