"""The versioned layer store: atomic commits, history, diff and rollback."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest
from conftest import make_posts

from mapping.layers import gpkg_store
from mapping.layers.schema import KINDS
from mapping.layers.store import CommitInfo, StoreError, StoreFailedError
from mapping.layers.user_store import store_at
from mapping.layers.validate import validate_layer


def posts(**overrides):
    return validate_layer(make_posts(**overrides), KINDS["posts"]).layer


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def store(tmp_path):
    store = store_at(tmp_path / "store.gpkg")
    store.commit_layer("posts", posts(), CommitInfo("aminata", "posts.csv", "abc"))
    return store


def test_commit_then_read_round_trips_types_and_values(store):
    layer = store.read("posts")
    assert list(layer["post_id"]) == ["MRT-001", "MLI-001", "MRT-002"]
    assert layer["building"].iloc[1] == 1.5
    assert layer["last_assessed"].iloc[0].date().isoformat() == "2025-03-12"
    assert layer.crs.to_epsg() == 4326
    assert store.kinds() == ["posts"]
    assert store.diff("posts", posts()).empty


def test_versions_record_who_what_and_changes_by_id(store):
    changed = posts(Nom=["Kobenni", "Gogui (Mali)", "Adel Bagrou"],
                    identifiant=["MRT-001", "MLI-001", "MRT-003"])
    store.commit_layer("posts", changed, CommitInfo("moussa", "posts_v2.xlsx", "def"))
    first, second = store.history("posts")
    assert (first.version, first.user, first.source_file, first.added) == (
        1, "aminata", "posts.csv", ["MLI-001", "MRT-001", "MRT-002"])
    assert (second.user, second.sha256) == ("moussa", "def")
    assert (second.added, second.changed, second.removed) == (["MRT-003"], ["MLI-001"], ["MRT-002"])


def test_moved_point_counts_as_changed(store):
    moved = posts(lon=[-9.42, -9.35, -7.50])
    assert store.diff("posts", moved).changed == ["MRT-002"]


def test_rollback_restores_a_version_and_is_itself_a_version(store):
    store.commit_layer("posts", posts().iloc[:1], CommitInfo("moussa"))
    assert len(store.read("posts")) == 1
    restored = store.rollback(1, "aminata")
    assert (restored.version, restored.action, restored.restored_from) == (3, "rollback", 1)
    assert restored.added == ["MLI-001", "MRT-002"]
    layer = store.read("posts")
    assert list(layer["post_id"]) == ["MRT-001", "MLI-001", "MRT-002"]
    assert store.diff("posts", posts()).empty
    with pytest.raises(StoreError) as error:
        store.rollback(99, "x")
    assert error.value.code == "unknown_version"


def test_failed_commit_leaves_the_store_byte_for_byte_unchanged(store, monkeypatch):
    path = Path(store.location)
    before = digest(path)
    real_write = gpkg_store.write_layer
    calls = []

    def disk_full_on_second_write(db, table, encoded):
        calls.append(table)
        if len(calls) == 2:
            raise sqlite3.OperationalError("database or disk is full")
        return real_write(db, table, encoded)

    monkeypatch.setattr(gpkg_store, "write_layer", disk_full_on_second_write)
    with pytest.raises(StoreFailedError) as failed:
        store.commit_layer("posts", posts().iloc[:1], CommitInfo("x"))
    french = failed.value.message("fr")
    assert "disk is full" in french and "Rien n’a été modifié" in french
    assert calls == ["posts", "history_posts_v0002"]  # the current layer was already rewritten
    assert digest(path) == before
    assert sorted(p.name for p in path.parent.iterdir()) == [".store.gpkg.lock", "store.gpkg"]
    assert len(store.history()) == 1 and len(store.read("posts")) == 3


def test_transaction_commits_several_layers_together_or_none(store, tmp_path):
    before = digest(Path(store.location))
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.commit_layer("posts", posts().iloc[:2], CommitInfo("x"))
        raise RuntimeError("power cut")
    assert digest(Path(store.location)) == before


def test_raster_versions_and_rollback(store, tmp_path):
    first = tmp_path / "a.tif"
    first.write_bytes(b"first raster")
    second = tmp_path / "b.tif"
    second.write_bytes(b"second raster")
    store.commit_raster("population", first, CommitInfo("x", "a.tif"))
    v = store.commit_raster("population", second, CommitInfo("x", "b.tif"))
    assert Path(store.raster_source()).read_bytes() == b"second raster"
    assert "population" in store.kinds()
    store.rollback(v.version - 1, "x")
    assert Path(store.raster_source()).read_bytes() == b"first raster"


def test_restoring_the_current_state_is_refused_without_a_new_version(store):
    current = store.history("posts")[-1].version
    with pytest.raises(StoreError) as refused:
        store.rollback(current, "GIS")
    assert refused.value.code == "already_current" and "already" in refused.value.message("en")
    assert store.history()[-1].version == current
