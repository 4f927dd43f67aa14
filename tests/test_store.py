"""The layer store's contract, on both backends (GeoPackage, PostGIS): atomic commits,
history, diff, rollback, rasters and records; then what each backend adds."""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import geopandas as gpd
import psycopg
import pytest
import rasterio
from click.testing import CliRunner
from conftest import make_posts, plain, sha256_of
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from mapping.cli import main
from mapping.i18n import t
from mapping.layers import gpkg_store, postgis_pool, postgis_store
from mapping.layers.gpkg_store import GeoPackageStore
from mapping.layers.notes import add_note, notes
from mapping.layers.schema import KINDS
from mapping.layers.store import CommitInfo, LayerStore, StoreError, StoreFailedError, UnreadableStoreError
from mapping.layers.user_store import DEMO_RASTER, demo_dir, store_at
from mapping.layers.validate import validate_layer
from mapping.project import load_project


def posts(**overrides):
    return validate_layer(make_posts(**overrides), KINDS["posts"]).layer


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(params=["gpkg", "postgis"])
def empty_store(request, tmp_path, monkeypatch) -> LayerStore:
    """A store not created yet, on each backend (PostGIS: a new database of the test cluster)."""
    if request.param == "gpkg":
        return store_at(tmp_path / "store.gpkg")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # rasters handed out
    return store_at(request.getfixturevalue("postgis_url"))


@pytest.fixture
def store(empty_store):
    empty_store.commit_layer("posts", posts(), CommitInfo("aminata", "posts.csv", "abc"))
    return empty_store


@pytest.fixture
def gpkg(tmp_path) -> GeoPackageStore:
    store = GeoPackageStore(tmp_path / "store.gpkg")
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


def test_failed_commit_leaves_the_store_byte_for_byte_unchanged(gpkg, monkeypatch):
    store, path = gpkg, gpkg.path
    before = digest(path)
    real_write = gpkg_store.write_layer
    calls = []

    def disk_full_on_second_write(db, table, encoded, copy_of=None):
        calls.append(table)
        if len(calls) == 2:
            raise sqlite3.OperationalError("database or disk is full")
        return real_write(db, table, encoded, copy_of)

    monkeypatch.setattr(gpkg_store, "write_layer", disk_full_on_second_write)
    with pytest.raises(StoreFailedError) as failed:
        store.commit_layer("posts", posts().iloc[:1], CommitInfo("x"))
    french = failed.value.message("fr")
    assert "disk is full" in french and "Rien n’a été modifié" in french
    assert calls == ["history_posts_v0002", "posts"]  # the snapshot was already written
    assert digest(path) == before
    assert sorted(p.name for p in path.parent.iterdir()) == [".store.gpkg.lock", "store.gpkg"]
    assert len(store.history()) == 1 and len(store.read("posts")) == 3


def test_a_database_failure_is_told_and_nothing_is_committed(postgis_url, monkeypatch):
    store = store_at(postgis_url)
    store.commit_layer("posts", posts(), CommitInfo("aminata", "posts.csv", "abc"))
    monkeypatch.setattr(postgis_store, "_write_rows", disk_full)
    with pytest.raises(StoreFailedError) as failed:
        store.commit_layer("posts", posts().iloc[:1], CommitInfo("x"))
    assert "(could not extend file). Nothing was changed." in failed.value.message("en")
    assert len(store.history()) == 1 and len(store.read("posts")) == 3


def disk_full(*args) -> None:
    raise psycopg.errors.DiskFull("could not extend file")


def test_transaction_commits_several_layers_together_or_none(store, tmp_path):
    before = store.history()
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.commit_layer("posts", posts().iloc[:2], CommitInfo("x"))
        assert len(tx.current("posts")) == 2  # the transaction sees its own commit
        tx.save_record("notes", "n1", {"text": "lost"})
        raise RuntimeError("power cut")
    assert store.history() == before and len(store.read("posts")) == 3
    assert store.records("notes") == []


def test_a_gpkg_failed_transaction_leaves_the_file_byte_for_byte_unchanged(gpkg):
    before = digest(gpkg.path)
    with pytest.raises(RuntimeError), gpkg.transaction() as tx:
        tx.commit_layer("posts", posts().iloc[:2], CommitInfo("x"))
        raise RuntimeError("power cut")
    assert digest(gpkg.path) == before


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


def test_two_rollbacks_to_one_version_at_once_make_one_version(store, tmp_path, monkeypatch):
    """Two GIS officers restore the same raster at once: the other's rollback commits just before
    ours takes the writer's lock; ours is then refused as already current, not made twice."""
    rasters = []
    for name in ("a.tif", "b.tif"):
        (tmp_path / name).write_bytes(name.encode())
        rasters.append(store.commit_raster("population", tmp_path / name,
                                           CommitInfo("x", name, digest(tmp_path / name))))
    ours = store.transaction

    def the_other_first(new: bool = False):
        store_at(store.location).rollback(rasters[0].version, "moussa")
        return ours(new)

    monkeypatch.setattr(store, "transaction", the_other_first)
    with pytest.raises(StoreError) as refused:
        store.rollback(rasters[0].version, "aminata")
    assert refused.value.code == "already_current"
    assert [(v.action, v.user) for v in store.history("population")[2:]] == [("rollback", "moussa")]
    assert Path(store.raster_source()).read_bytes() == b"a.tif"


def test_restoring_the_current_state_is_refused_without_a_new_version(store):
    current = store.history("posts")[-1].version
    with pytest.raises(StoreError) as refused:
        store.rollback(current, "GIS")
    assert refused.value.code == "already_current" and "already" in refused.value.message("en")
    assert store.history()[-1].version == current


def test_records_are_saved_replaced_listed_in_order_and_deleted(store):
    store.save_record("notes", "a", {"text": "première"})
    store.save_record("notes", "b", {"text": "second", "n": 2})
    store.save_record("notes", "a", {"text": "première, revue"})
    store.save_record("scenarios", "a", {"name": "surge"})
    assert store.records("notes") == [{"text": "première, revue"}, {"text": "second", "n": 2}]
    assert store.delete_record("notes", "a") is True
    assert store.delete_record("notes", "a") is False
    assert store.records("notes") == [{"text": "second", "n": 2}]
    assert store.records("scenarios") == [{"name": "surge"}]
    assert len(store.history()) == 1  # records are not versions


def test_a_new_store_is_made_once_and_never_over_an_existing_one(empty_store):
    assert not empty_store.exists() and empty_store.kinds() == [] and empty_store.history() == []
    empty_store.check()  # nothing there yet: usable
    with empty_store.transaction(new=True):
        pass
    assert empty_store.exists() and empty_store.history() == []
    with pytest.raises(StoreError) as refused, empty_store.transaction(new=True):
        pass
    assert refused.value.code == "store_exists"


def test_a_cleared_layer_is_no_current_layer_and_can_be_restored(store):
    store.commit_layer("posts", posts().iloc[:0], CommitInfo("x", action="clear"))
    assert store.read("posts") is None and store.kinds() == []
    store.rollback(1, "x")
    assert len(store.read("posts")) == 3 and store.kinds() == ["posts"]


def test_the_raster_is_handed_out_as_a_gdal_dataset_name(store):
    demo = demo_dir() / DEMO_RASTER
    store.commit_raster("population", demo, CommitInfo("x", DEMO_RASTER))
    source = store.raster_source("population")
    assert isinstance(source, str)
    with rasterio.open(source) as raster, rasterio.open(demo) as original:
        assert (raster.read(1) == original.read(1)).all() and raster.crs == original.crs
    assert store.owns(source)  # an export onto it is refused


def test_the_location_shown_never_holds_a_password():
    shown = store_at("postgresql://gis:s3cret@db.example.org:5432/sahel").location
    assert shown == "postgresql://gis@db.example.org:5432/sahel"
    assert store_at("gpkg:/data/store.gpkg").location == "/data/store.gpkg"
    with pytest.raises(UnreadableStoreError) as refused:
        store_at("mysql://db/sahel")
    assert refused.value.code == "unknown_store_url" and "PostgreSQL" in refused.value.message("fr")


def test_an_unreachable_database_is_told_in_words(tmp_path):
    store = store_at(f"postgresql://nobody:pw@/none?host={tmp_path}&connect_timeout=2")
    with pytest.raises(StoreFailedError) as failed:
        store.history()
    assert failed.value.params["store"] == f"postgresql://nobody@/none?host={tmp_path}&connect_timeout=2"
    french = failed.value.message("fr")
    assert "n’a pas pu être lue ou écrite" in french and "pw" not in french


def test_reads_share_the_connections_of_one_pool(postgis_url, monkeypatch):
    """An app server's sessions read the store again and again: the reads reuse the pool's
    connections and open none (psycopg counted: one place, whatever connects)."""
    store = store_at(postgis_url)
    store.commit_layer("posts", posts(), CommitInfo("aminata", "posts.csv", "abc"))
    connects = []
    real = psycopg.Connection.connect.__func__

    def counted(cls, *args, **kwargs):
        connects.append(args)
        return real(cls, *args, **kwargs)

    monkeypatch.setattr(psycopg.Connection, "connect", classmethod(counted))
    monkeypatch.setattr(psycopg, "connect", psycopg.Connection.connect)
    for _ in range(30):
        assert len(store.history()) == 1 and len(store.read("posts")) == 3
        assert store.kinds() == ["posts"] and store_at(postgis_url).records("notes") == []
    assert connects == []


def test_writers_queued_behind_the_lock_never_starve_the_transaction_that_holds_it(postgis_url, monkeypatch):
    """A transaction reads as it decides (the note still open?) on its own connection: with
    every other connection of the pool taken by a writer waiting for the lock, it still ends."""
    monkeypatch.setattr(postgis_pool, "MAX_SIZE", 2)
    store = store_at(f"{postgis_url}&connect_timeout=1")  # a pool of its own, waiting 1 s at most
    note = add_note(store, author="Moussa", organisation="Police", country="MLI", kind="other",
                    text="Piste ouverte", lon=-8.0, lat=15.0)
    with ThreadPoolExecutor(1) as queue:
        with store.transaction() as tx:  # the lock held on one connection
            waiting = queue.submit(store.save_record, "waiting", "w", {"n": 1})  # takes the other
            time.sleep(0.5)
            assert not waiting.done()
            assert [n.note_id for n in notes(store) if n.status == "open"] == [note.note_id]
            tx.save_record("checked", "c", {"ok": True})
        assert waiting.result(timeout=30) is None
    assert store.records("checked") == [{"ok": True}]


def test_reading_the_store_during_a_write_keeps_the_writers_locks(gpkg):
    """An app server reads the store (history, records) in one session while it writes a note
    for another: another process must still see the write as in progress, not its journal as a
    killed writer's (closing a descriptor of the file would drop the writer's POSIX locks)."""
    probe = ("import fcntl, os, sys\n"  # SQLite's RESERVED lock: one byte after its PENDING byte
             "fd = os.open(sys.argv[1], os.O_RDWR)\n"
             "try:\n    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, 0x40000001)\n    print('free')\n"
             "except OSError:\n    print('held')")
    with gpkg.transaction() as tx:
        tx.save_record("notes", "n1", {"text": "Poste fermé"})  # the journal is written
        with ThreadPoolExecutor(1) as session:
            session.submit(lambda: (gpkg.history(), gpkg.records("notes"))).result()
        other = subprocess.run([sys.executable, "-c", probe, str(gpkg.path)], capture_output=True, text=True)
        assert other.stdout.strip() == "held", other.stderr  # the write is still seen in progress
    assert gpkg.records("notes") == [{"text": "Poste fermé"}]


def test_readers_are_served_while_writers_queue_behind_a_long_write(postgis_url, monkeypatch):
    """A long import holds the lock; notes saved meanwhile queue in the process, not on the
    pool's connections: pages (reads) of every session are still served at once."""
    monkeypatch.setattr(postgis_pool, "MAX_SIZE", 3)
    store = store_at(f"{postgis_url}&connect_timeout=1")  # a pool of its own, waiting 1 s at most
    store.commit_layer("posts", posts(), CommitInfo("aminata", "posts.csv", "abc"))
    with ThreadPoolExecutor(3) as queue:
        with store.transaction() as tx:  # the long import
            notes_saved = [queue.submit(store.save_record, "notes", f"n{i}", {"n": i}) for i in range(3)]
            time.sleep(0.5)
            with ThreadPoolExecutor(1) as reader:  # another session's page, on another thread
                assert len(reader.submit(store.history).result(timeout=30)) == 1
            assert not any(saved.done() for saved in notes_saved)
            tx.save_record("imports", "big", {"done": True})
        assert [saved.result(timeout=30) for saved in notes_saved] == [None] * 3
    assert len(store.records("notes")) == 3 and store.records("imports") == [{"done": True}]


def test_a_transaction_within_another_is_refused_and_nothing_lands(store):
    """A store method that opens its own transaction, called inside one, would commit half
    of the outer's work: both backends refuse it, and the outer's writes are rolled back."""
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.save_record("notes", "outer", {"n": 1})
        store.save_record("notes", "inner", {"n": 2})
    assert store.records("notes") == []


def test_an_error_of_the_users_file_within_a_transaction_is_the_files(store, tmp_path):
    """A raster file that is gone is the user's problem, not the store's: not StoreFailedError."""
    with pytest.raises(OSError) as failed, store.transaction() as tx:
        tx.commit_raster("population", tmp_path / "gone.tif", CommitInfo("x", "gone.tif"))
    assert not isinstance(failed.value, StoreFailedError)
    assert store.history("population") == []


def test_a_server_stopped_is_told_in_words_and_used_again_once_restarted(postgis_server, postgis_url):
    store = store_at(f"{postgis_url}&connect_timeout=1")  # a pool of its own, waiting 1 s at most
    store.commit_layer("posts", posts(), CommitInfo("aminata", "posts.csv", "abc"))
    postgis_server.stop()
    try:
        for _ in range(2):  # the pool's connection found closed; then no pool
            with pytest.raises(StoreFailedError) as failed:
                store.history()
            assert "could not be read" in failed.value.message("en")
            assert "n’a pas pu être lue ou écrite" in failed.value.message("fr")
    finally:
        postgis_server.start()
    assert len(store.history()) == 1 and len(store.read("posts")) == 3


def test_concurrent_imports_lose_no_version(store):
    """Four writers (threads, each with its own store and connections) import three layers each
    at once: every import is a version, numbered one after the other, and the current layer is
    one of them whole."""
    def write(writer: int) -> list[tuple[int, set[str]]]:
        mine = store_at(store.location)  # the test cluster has no password
        done = []
        for n in range(3):
            ids = [f"W{writer}-{n}-{i}" for i in range(3)]
            version = mine.commit_layer("posts", posts(identifiant=ids), CommitInfo(f"writer {writer}"))
            done.append((version.version, set(ids)))
        return done

    with ThreadPoolExecutor(4) as pool:
        committed = dict(pair for done in pool.map(write, range(4)) for pair in done)
    history = store.history("posts")
    assert [v.version for v in history] == list(range(1, 14))
    assert set(committed) == set(range(2, 14))
    assert {v.user for v in history[1:]} == {f"writer {w}" for w in range(4)}
    assert store.ids("posts") == committed[13]


def ogrinfo(source: str, *layers: str) -> str:
    """What GDAL's ogrinfo says of ``layers`` (a summary; all layers listed when none)."""
    done = subprocess.run(["ogrinfo", "-ro", "-so", source, *layers], capture_output=True, text=True,
                          check=True, timeout=120)
    return done.stdout


def test_each_current_layer_is_a_view_gdal_lists_with_its_geometry_and_follows_new_versions(
        store_copy, postgis_url, tmp_path):
    """GIS staff open the shared store in QGIS: each kind's current layer is a layer there,
    typed (geometry type, EPSG:4326), read-only, and its latest version whatever comes next."""
    demo = store_at(store_copy)
    store = store_at(postgis_url)
    with store.transaction() as tx:
        for kind in ("posts", "roads", "countries"):
            tx.commit_layer(kind, demo.read(kind), CommitInfo("aminata", f"{kind}.gpkg"))
    source = "PG:" + make_conninfo("", **conninfo_to_dict(postgis_url))
    for kind, geometry in (("posts", "Point"), ("roads", "Multi Line String"),
                           ("countries", "Multi Polygon")):
        info = ogrinfo(source, f"bordermap.{kind}")
        assert f"Geometry: {geometry}" in info and f"Feature Count: {len(demo.read(kind))}" in info
        assert 'ID["EPSG",4326]' in info
    posts_info = ogrinfo(source, "bordermap.posts")
    fields = ("post_id: String", "building: Real", "staff: Integer64", "last_assessed: Date")
    assert all(f"{field} (0.0)\n" in posts_info for field in fields)
    # a kind with no version yet: an empty layer (named without its schema here, where the
    # schema is also the user's name, so on PostgreSQL's search path)
    assert re.search(r"^\d+: (bordermap\.)?crossings \(Point\)$", ogrinfo(source), re.MULTILINE)
    copied = tmp_path / "posts.gpkg"  # as GDAL reads it (pyogrio's own GDAL has no PostgreSQL driver)
    subprocess.run(["ogr2ogr", "-f", "GPKG", str(copied), source, "bordermap.posts"], check=True, timeout=120)
    shown = gpd.read_file(copied).sort_values("post_id", ignore_index=True)
    current = demo.read("posts")
    expected = current.sort_values("post_id", ignore_index=True)
    assert list(shown["post_id"]) == list(expected["post_id"])
    assert list(shown["last_assessed"].astype(str)) == list(expected["last_assessed"].dt.date.astype(str))
    assert list(shown["staff"]) == list(expected["staff"])
    assert shown.geometry.geom_equals(expected.geometry).all()

    store.commit_layer("posts", current.iloc[:5], CommitInfo("moussa", "posts.csv"))
    assert "Feature Count: 5" in ogrinfo(source, "bordermap.posts")
    store.rollback(1, "aminata")
    assert f"Feature Count: {len(current)}" in ogrinfo(source, "bordermap.posts")
    with psycopg.connect(postgis_url) as conn, pytest.raises(psycopg.Error) as refused:
        conn.execute("DELETE FROM bordermap.posts")
    assert "cannot delete from view" in str(refused.value)
    assert len(store.read("posts")) == len(current)


def test_a_view_missing_or_out_of_date_is_made_again_at_the_next_write(postgis_url):
    """A store made before a kind had its view, or before a column was added to a kind."""
    store = store_at(postgis_url)
    store.commit_layer("posts", posts(), CommitInfo("aminata", "posts.csv", "abc"))
    with psycopg.connect(postgis_url) as conn:
        conn.execute("DROP VIEW bordermap.posts")
        conn.execute("ALTER VIEW bordermap.crossings RENAME TO crossings_old")
        conn.execute("CREATE VIEW bordermap.crossings AS SELECT crossing_id FROM bordermap.crossings_old")
    store.save_record("notes", "n1", {"text": "Poste à revoir"})
    with psycopg.connect(postgis_url) as conn:
        assert conn.execute("SELECT count(*) FROM bordermap.posts").fetchone() == (3,)
        columns = conn.execute("SELECT * FROM bordermap.crossings").description
    assert [c.name for c in columns] == ["fid", *KINDS["crossings"].names, "geom"]
    with psycopg.connect(postgis_url) as conn:  # a view of their own on one out of date
        conn.execute("DROP VIEW bordermap.posts")
        conn.execute("CREATE VIEW bordermap.posts AS SELECT 1 AS fid")
        conn.execute("CREATE VIEW bordermap.mine AS SELECT * FROM bordermap.posts")
    store.commit_layer("posts", posts().iloc[:1], CommitInfo("moussa"))  # writes go on
    with psycopg.connect(postgis_url) as conn:
        assert conn.execute("SELECT * FROM bordermap.mine").fetchall() == [(1,)]
    assert len(store.read("posts")) == 1


def test_a_store_migrates_whole_to_postgis_and_back(store_copy, postgis_url, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    demo = store_at(store_copy)
    demo.save_record("notes", "n1", {"text": "Poste à réhabiliter « vite »"})
    demo.commit_layer("posts", demo.read("posts").iloc[:10], CommitInfo("aminata", "posts.csv"))
    back = tmp_path / "back.gpkg"
    for source, target in ((str(store_copy), postgis_url), (postgis_url, str(back))):
        result = CliRunner().invoke(main, ["store", "migrate", source, target, "--lang", "fr"])
        assert result.exit_code == 0, result.output
        assert f"{len(demo.history())} versions copiées" in result.output
    for copy in (store_at(postgis_url), store_at(back)):
        assert copy.history() == demo.history() and copy.kinds() == demo.kinds()
        assert copy.all_records() == demo.all_records()
        for kind in demo.kinds():
            if kind == "population":
                assert sha256_of(Path(copy.raster_source())) == sha256_of(Path(demo.raster_source()))
            else:
                assert copy.diff(kind, demo.read(kind)).empty
        copy.rollback(demo.history("posts")[0].version, "GIS")  # snapshots came along
        assert len(copy.read("posts")) == 53
    again = CliRunner().invoke(main, ["store", "migrate", str(store_copy), str(back)])
    assert again.exit_code == 1 and "There is already" in again.output


def drop_gpkg_table(path: Path, table: str) -> None:
    """Remove ``table`` from the GeoPackage at ``path`` as a user would in another GIS program."""
    with sqlite3.connect(path) as db:
        db.execute(f"DROP TABLE {table}")
        db.execute(f"DROP TABLE IF EXISTS rtree_{table}_geom")
        for registry in ("gpkg_contents", "gpkg_geometry_columns", "gpkg_extensions", "gpkg_ogr_contents"):
            db.execute(f"DELETE FROM {registry} WHERE table_name = ?", (table,))


@pytest.mark.parametrize("lost, backend", [("layer", "gpkg"), ("raster", "postgis")])
def test_a_store_missing_a_saved_version_is_not_migrated(store_copy, tmp_path, monkeypatch, request,
                                                          lost, backend):
    """A version whose saved layer table or raster file was removed by hand: the copy is refused,
    naming the layer and the version, in English and French; the target is not created."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    demo = store_at(store_copy)
    if lost == "layer":
        gone = demo.history("posts")[0]
        drop_gpkg_table(store_copy, f"history_posts_v{gone.version:04d}")
    else:
        gone = demo.history("population")[-1]
        Path(demo.stored_raster(gone)).unlink()
    target = str(tmp_path / "copy.gpkg") if backend == "gpkg" else request.getfixturevalue("postgis_url")
    kind = {"en": t(f"kinds.{gone.kind}", "en"), "fr": t(f"kinds.{gone.kind}", "fr")}
    for lang, words in (("en", f"version {gone.version} of the {kind['en']} layer is missing"),
                        ("fr", f"version {gone.version} de la couche {kind['fr']} manque")):
        refused = CliRunner().invoke(main, ["store", "migrate", str(store_copy), target, "--lang", lang])
        assert refused.exit_code == 1 and words in plain(refused.output), refused.output
    assert not store_at(target).exists()
    assert {p.name for p in tmp_path.iterdir()} <= {"cache", "store", ".copy.gpkg.lock"}  # no copy


def test_init_makes_a_project_from_the_demo_in_postgis(postgis_url, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    made = CliRunner().invoke(main, ["init", "--store", postgis_url, "--from", "demo", "--name", "Sahel"])
    assert made.exit_code == 0, made.output
    listed = CliRunner().invoke(main, ["layers", "list", "--store", postgis_url, "--format", "json"])
    layers = {row["kind"]: row["features"] for row in json.loads(listed.output)["layers"]}
    assert layers["posts"] == 53 and "population" in layers
    assert load_project(store_at(postgis_url)).name("en") == "Sahel"
    again = CliRunner().invoke(main, ["init", "--store", postgis_url, "--from", "empty"])
    assert again.exit_code != 0 and "There is already" in again.output
