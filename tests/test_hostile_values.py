"""Hostile values and coordinates, through the command line as a GIS officer runs it.

Each file is made here, then checked with ``bordermap layers validate`` and imported with
``bordermap layers import`` in English and in French: the exit code, the finding in words,
no traceback, and a refused import leaves the store byte for byte as it was.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import geopandas as gpd
import pytest
from click.testing import CliRunner, Result
from conftest import plain

from mapping.cli import main
from mapping.layers.user_store import open_store

LANGS = ("en", "fr")
EXIT_OK, EXIT_ERRORS = 0, 1


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store seeded with the demo once; each test works on a copy (``store``)."""
    folder = tmp_path_factory.mktemp("demo-store")
    open_store(folder / "store.gpkg")
    return folder


@pytest.fixture
def store(demo_store: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "store"
    shutil.copytree(demo_store, folder)
    return folder / "store.gpkg"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def cli(store: Path, *args: str) -> Result:
    result = CliRunner().invoke(main, [*args, "--store", str(store)])
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result


def validate(store: Path, file: Path, lang: str) -> Result:
    return cli(store, "layers", "validate", str(file), "--kind", "posts", "--lang", lang)


def imported(store: Path, file: Path, lang: str, *extra: str) -> Result:
    return cli(store, "layers", "import", str(file), "--kind", "posts", "--lang", lang,
               "--user", "test", *extra)


def refused(store: Path, file: Path, lang: str, *extra: str) -> Result:
    """Import ``file``; it must be refused with the store unchanged byte for byte."""
    before = sha256(store)
    result = imported(store, file, lang, *extra)
    assert result.exit_code == EXIT_ERRORS, result.output
    assert sha256(store) == before
    return result


def posts(lon: list[float], lat: list[float], crs: object = "EPSG:4326", **columns: list) -> gpd.GeoDataFrame:
    """Border posts at (lon, lat) in ``crs`` with every required value; override any column."""
    n = len(lon)
    data: dict[str, list] = {"post_id": [f"T-{i + 1}" for i in range(n)],
                             "name": [f"Poste {i + 1}" for i in range(n)],
                             "iso3": ["MRT"] * n, "status": ["operational"] * n}
    data.update(columns)
    return gpd.GeoDataFrame(data, geometry=gpd.points_from_xy(lon, lat), crs=crs)


# ------------------------------------------------------------------ absurd numbers
@pytest.mark.parametrize("lang", LANGS)
def test_an_absurd_cost_and_staff_are_refused_with_the_bound_named(tmp_path, store, lang):
    file = tmp_path / "posts.csv"
    file.write_text("post_id,name,iso3,status,lat,lon,rehab_cost_usd,staff\n"
                    "T-1,Kobenni,MRT,operational,15.9,-9.42,1e30,12\n"
                    "T-2,Gogui,MLI,degraded,15.36,-9.35,250000,1e30\n", encoding="utf-8")
    result = validate(store, file, lang)
    assert result.exit_code == EXIT_ERRORS
    text = plain(result.output)
    assert text.count("implausible_value") == 2
    if lang == "en":
        assert "1E30 in column “rehab_cost_usd” is more than 1,000,000,000" in text
        assert "more than 10,000" in text and "hundreds of millions of US dollars" in text
    else:
        assert "1E30 dans la colonne « rehab_cost_usd » dépasse 1 000 000 000" in text
        assert "dépasse 10 000" in text and "centaines de millions de dollars US" in text
    refused(store, file, lang)


def test_the_largest_plausible_cost_is_accepted(tmp_path, store):
    file = tmp_path / "posts.gpkg"
    posts([-9.42], [15.9], rehab_cost_usd=[1e9], staff=[10_000]).to_file(file)
    assert validate(store, file, "en").exit_code == EXIT_OK
