"""What GIS staff do between imports: export, edit elsewhere, import again, without surprises."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from mapping.cli import main
from mapping.layers.user_store import open_store


@pytest.fixture
def store(tmp_path):
    """A store created from the demo data, in a folder whose name needs escaping."""
    return open_store(tmp_path / "odd #1 ?" / "store.gpkg")


def run(store, *args):
    result = CliRunner().invoke(main, [*args, "--store", str(store.path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


@pytest.mark.parametrize("kind,suffix", [("posts", "csv"), ("posts", "geojson"), ("posts", "kml"),
                                         ("crossings", "gpkg"), ("flows", "csv"),
                                         ("settlements", "gpkg"), ("roads", "csv"), ("rivers", "csv"),
                                         ("rivers", "kml")])
def test_an_exported_layer_imports_back_unchanged(store, tmp_path, kind, suffix):
    target = tmp_path / f"{kind}.{suffix}"  # crossings and flows are restricted: coarsened unless asked
    assert run(store, "layers", "export", kind, "--to", str(target), "--full-precision").exit_code == 0
    diff = run(store, "layers", "diff", str(target), "--kind", kind, "--format", "json")
    change = json.loads(diff.output)["diff"]
    assert (change["added"], change["changed"], change["removed"], change["columns"]) == ([], [], [], {})
    assert change["unchanged"] == len(store.read(kind))
    versions = len(store.history())
    result = run(store, "layers", "import", str(target), "--kind", kind)
    assert result.exit_code == 0 and "identical" in result.output
    assert len(store.history()) == versions  # no empty version


def test_the_history_of_a_store_in_a_folder_with_odd_characters(store):
    assert [v.kind for v in store.history()][:2] == ["countries", "borders"]
    assert Path(store.raster_source()).exists()


def test_a_file_without_features_or_with_few_is_refused_unless_allowed(store, tmp_path):
    before = hashlib.sha256(store.path.read_bytes()).hexdigest()
    empty = tmp_path / "empty.csv"
    empty.write_text("post_id;name;iso3;status;latitude;longitude\n", encoding="utf-8")
    result = run(store, "layers", "import", str(empty), "--kind", "posts")
    assert result.exit_code == 1 and "no features" in result.output
    one = tmp_path / "one.csv"
    one.write_text("post_id;name;iso3;status;latitude;longitude\n"
                   "MRT-KOB;Kobenni;MRT;operational;15,87;-9,41\n", encoding="utf-8")
    result = run(store, "layers", "import", str(one), "--kind", "posts")
    assert result.exit_code == 1 and "--allow-removals" in result.output
    assert hashlib.sha256(store.path.read_bytes()).hexdigest() == before
    assert run(store, "layers", "import", str(one), "--kind", "posts", "--allow-removals").exit_code == 0
    assert len(store.read("posts")) == 1


def test_export_never_writes_over_the_store(store):
    before = hashlib.sha256(store.path.read_bytes()).hexdigest()
    result = run(store, "layers", "export", "population", "--to", str(store.path))
    assert result.exit_code == 1 and "store itself" in result.output
    assert hashlib.sha256(store.path.read_bytes()).hexdigest() == before
