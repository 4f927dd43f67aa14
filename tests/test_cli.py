"""The `bordermap layers` commands as a GIS officer runs them."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import rasterio
from click.testing import CliRunner
from conftest import BORDER_LINE, make_posts, plain
from rasterio.transform import from_origin

from mapping.cli import main
from mapping.layers.gpkg_store import GeoPackageStore
from mapping.layers.schema import KINDS
from mapping.layers.store import CommitInfo
from mapping.layers.validate import validate_layer

CSV_OK = (
    "identifiant;Nom;Pays;Statut;Latitude;Longitude;batiment\n"
    "MRT-001;Kobenni;MRT;Opérationnel;15,90;-9,42;2\n"
    "MLI-001;Gogui;MLI;dégradé;15,36;-9,35;1,5\n"
)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def store(tmp_path) -> GeoPackageStore:
    """A store holding a border line and three posts (not the demo, so tests stay small)."""
    store = GeoPackageStore(tmp_path / "store.gpkg")
    borders = gpd.GeoDataFrame({"border_id": ["MLI-MRT"], "iso3_a": ["MLI"], "iso3_b": ["MRT"]},
                               geometry=[BORDER_LINE], crs="EPSG:4326")
    with store.transaction() as tx:
        tx.commit_layer("borders", borders, CommitInfo("setup"))
        tx.commit_layer("posts", validate_layer(make_posts(), KINDS["posts"]).layer,
                        CommitInfo("setup", "posts.csv"))
    return store


def run(store: GeoPackageStore, *args: str, lang: str = "en"):
    result = CliRunner().invoke(main, [*args, "--store", str(store.path), "--lang", lang])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_validate_clean_french_csv_exits_0(store, tmp_path):
    result = run(store, "layers", "validate", str(write(tmp_path, "postes.csv", CSV_OK)),
                 "--kind", "posts")
    assert result.exit_code == 0, result.output
    assert "2 features, 0 errors" in result.output


def test_validate_reports_every_problem_as_json(store, tmp_path):
    bad = CSV_OK + "MLI-001;;MLI;démoli;15,4;-9,3;9\nMRT-009;Swapped;MRT;fermé;-9,42;15,90;\n"
    result = run(store, "layers", "validate", str(write(tmp_path, "postes.csv", bad)),
                 "--kind", "posts", "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["kind"] == "posts" and report["features"] == 4
    found = {(f["code"], f["feature_id"]) for f in report["findings"]}
    assert {("duplicate_id", "MLI-001"), ("missing_value", "MLI-001"),
            ("value_not_allowed", "MLI-001"), ("out_of_range", "MLI-001"),
            ("swapped_lat_lon", "MRT-009")} <= found
    assert all(f["severity"] in ("error", "warning") and f["message"] for f in report["findings"])


def test_validate_in_french(store, tmp_path):
    result = run(store, "layers", "validate", str(write(tmp_path, "p.csv", "nom;lat;lon\nX;15;-9\n")),
                 "--kind", "posts", lang="fr")
    assert result.exit_code == 1
    assert "La colonne obligatoire « status » est absente" in plain(result.output)
    assert "ERREUR" in result.output


@pytest.mark.parametrize("content", [b"", b"SQLite format 3\x00" + b"\x00" * 50])
def test_unreadable_file_exits_2_with_a_message(store, tmp_path, content):
    path = tmp_path / "broken.gpkg"
    path.write_bytes(content)
    result = run(store, "layers", "validate", str(path), "--kind", "posts")
    assert result.exit_code == 2
    assert "Traceback" not in result.output and result.output.strip()


def test_import_with_errors_changes_nothing(store, tmp_path):
    before = digest(store.path)
    bad = write(tmp_path, "postes.csv", CSV_OK + "MRT-002;Adel Bagrou;MRT;???;15,54;-7,53;\n")
    result = run(store, "layers", "import", str(bad), "--kind", "posts", "--user", "aminata")
    assert result.exit_code == 1
    assert "Nothing was imported" in result.output
    assert digest(store.path) == before


def test_import_is_versioned_with_user_file_checksum_and_changes(store, tmp_path):
    path = write(tmp_path, "postes.csv", CSV_OK)
    result = run(store, "layers", "import", str(path), "--kind", "posts", "--user", "aminata")
    assert result.exit_code == 0, result.output
    latest = store.history("posts")[-1]
    assert (latest.user, latest.source_file, latest.sha256) == (
        "aminata", "postes.csv", hashlib.sha256(path.read_bytes()).hexdigest())
    assert (latest.added, latest.removed) == ([], ["MRT-002"])
    assert latest.changed == ["MLI-001", "MRT-001"]  # date and condition columns differ


def test_import_fix_repairs_swapped_coordinates_with_consent(store, tmp_path):
    swapped = write(tmp_path, "p.csv", CSV_OK.replace("15,90;-9,42", "-9,42;15,90"))
    assert run(store, "layers", "import", str(swapped), "--kind", "posts").exit_code == 1
    result = run(store, "layers", "import", str(swapped), "--kind", "posts", "--fix")
    assert result.exit_code == 0, result.output
    assert store.history("posts")[-1].fixes == ["swapped_lat_lon:MRT-001"]
    point = store.read("posts").set_index("post_id").geometry["MRT-001"]
    assert (round(point.x, 2), round(point.y, 2)) == (-9.42, 15.90)


def test_diff_shows_changes_without_changing_the_store(store, tmp_path):
    before = digest(store.path)
    result = run(store, "layers", "diff", str(write(tmp_path, "p.csv", CSV_OK)), "--kind", "posts",
                 "--format", "json")
    assert result.exit_code == 0
    change = json.loads(result.output)["diff"]
    assert change["changed"] == ["MLI-001", "MRT-001"] and change["removed"] == ["MRT-002"]
    assert change["added"] == []
    assert digest(store.path) == before


def test_history_rollback_list_and_export_round_trip(store, tmp_path):
    run(store, "layers", "import", str(write(tmp_path, "p.csv", CSV_OK)), "--kind", "posts")
    history = json.loads(run(store, "layers", "history", "--kind", "posts", "--format", "json").output)
    assert [v["version"] for v in history] == [2, 3]
    result = run(store, "layers", "rollback", "2")
    assert result.exit_code == 0 and "version 2" in result.output
    assert sorted(store.read("posts")["post_id"]) == ["MLI-001", "MRT-001", "MRT-002"]
    listing = json.loads(run(store, "layers", "list", "--format", "json").output)
    assert {row["kind"]: row["features"] for row in listing["layers"]} == {"borders": 1, "posts": 3}
    target = tmp_path / "posts.geojson"
    assert run(store, "layers", "export", "posts", "--to", str(target)).exit_code == 0
    exported = pyogrio.read_dataframe(target)
    assert sorted(exported["post_id"]) == ["MLI-001", "MRT-001", "MRT-002"]
    assert run(store, "layers", "rollback", "42").exit_code == 1


def test_zip_slip_is_refused_and_nothing_is_written(store, tmp_path):
    before = digest(store.path)
    archive = tmp_path / "posts.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("../../evil.shp", b"\x00\x00\x27\x0a" + b"\x00" * 96)
        zf.writestr("posts.shp", b"\x00\x00\x27\x0a" + b"\x00" * 96)
    result = run(store, "layers", "import", str(archive), "--kind", "posts")
    assert result.exit_code == 2
    assert "outside" in result.output
    assert digest(store.path) == before
    assert not (tmp_path.parent / "evil.shp").exists()


def test_raster_import_validates_and_versions(store, tmp_path):
    good, bad = tmp_path / "pop.tif", tmp_path / "nocrs.tif"
    data = np.ones((10, 10), dtype="float32")
    profile = {"driver": "GTiff", "width": 10, "height": 10, "count": 1, "dtype": "float32",
               "transform": from_origin(-10, 16, 0.1, 0.1)}
    with rasterio.open(good, "w", crs="EPSG:4326", nodata=-9999, **profile) as dst:
        dst.write(data, 1)
    with rasterio.open(bad, "w", **profile) as dst:
        dst.write(data, 1)
    result = run(store, "layers", "validate", str(bad), "--kind", "population", "--format", "json")
    codes = {f["code"] for f in json.loads(result.output)["findings"]}
    assert result.exit_code == 1 and codes == {"raster_no_crs", "raster_no_nodata"}
    assert run(store, "layers", "import", str(bad), "--kind", "population").exit_code == 1
    assert store.raster_source() is None
    assert run(store, "layers", "import", str(good), "--kind", "population").exit_code == 0
    assert Path(store.raster_source()).read_bytes() == good.read_bytes()


def test_demo_build_reproduces_the_committed_demo_data(store, tmp_path):
    result = run(store, "demo", "build", "--out", str(tmp_path / "demo"), lang="fr")
    assert result.exit_code == 0, result.output
    assert "postes frontières" in result.output
    committed = Path(__file__).resolve().parents[1] / "data" / "geo"
    built = tmp_path / "demo"
    for name, _ in pyogrio.list_layers(committed / "demo.gpkg"):
        expected = pyogrio.read_dataframe(committed / "demo.gpkg", layer=name)
        actual = pyogrio.read_dataframe(built / "demo.gpkg", layer=name)
        assert actual.equals(expected), name
    with rasterio.open(committed / "population.tif") as a, rasterio.open(built / "population.tif") as b:
        assert np.array_equal(a.read(1), b.read(1)) and a.profile == b.profile
