"""The GeoPackage store survives a killed import: SQLite's journal keeps the file whole, the
next opening rolls the unfinished transaction back and removes what the writer left."""

from __future__ import annotations

import multiprocessing
import os
import random
import shutil
import signal
import sqlite3
import time
from contextlib import closing
from multiprocessing.synchronize import Event
from pathlib import Path

import pandas as pd
from filelock import FileLock

from mapping.layers.gpkg_store import GeoPackageStore
from mapping.layers.store import CommitInfo, UnreadableStoreError
from mapping.layers.user_store import open_store


def import_forever(path: Path, ready: Event) -> None:
    """Import the demo settlements ten times over (5,000 points), one import after the other,
    alternating between two layers: all of them, and every other one."""
    store = open_store(path, seed=False)
    one = store.snapshot(store.history("settlements")[0])  # the demo's, whatever came after
    many = pd.concat([one.assign(settlement_id=one["settlement_id"] + f"-{n}") for n in range(10)])
    ready.set()
    for n in range(1000):
        store.commit_layer("settlements", many.iloc[::1 + n % 2], CommitInfo("killed"))


def test_an_import_killed_at_any_moment_leaves_the_old_or_the_new_layer_whole(store_copy):
    settlements = len(GeoPackageStore(store_copy).read("settlements"))
    rng = random.Random(15)
    fork = multiprocessing.get_context("fork")  # a copy of this process: no second start-up
    for _ in range(10):
        ready = fork.Event()
        importer = fork.Process(target=import_forever, args=(store_copy, ready))
        importer.start()
        assert ready.wait(60)
        time.sleep(rng.uniform(0.2, 3.0))
        os.kill(importer.pid or 0, signal.SIGKILL)
        importer.join()
        opened = open_store(store_copy, seed=False)  # rolls the killed transaction back
        with sqlite3.connect(store_copy) as db:
            assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        last = opened.history("settlements")[-1]
        current = opened.read("settlements")
        assert len(current) == last.features in {settlements, settlements * 10, settlements * 5}
        assert opened.diff("settlements", opened.snapshot(last)).empty
        assert sorted(p.name for p in store_copy.parent.iterdir()) == [
            ".store.gpkg.lock", "store-rasters", "store.gpkg"]
    assert len(opened.history("settlements")) >= 2  # imports committed between the kills


def test_leftovers_of_killed_writers_are_removed_when_no_writer_is_at_work(store_copy):
    copy = store_copy.with_name(".store-0123456789abcdef0123456789abcdef.tmp.gpkg")
    shutil.copyfile(store_copy, copy)  # what older versions left: a whole-store copy
    last = GeoPackageStore(store_copy).history()[-1].version
    orphan = store_copy.with_name("store-rasters") / f"population-v{last + 1:04d}.tif"
    orphan.write_bytes(b"a raster whose version never committed")
    with FileLock(store_copy.with_name(".store.gpkg.lock")):  # another program is writing
        open_store(store_copy, seed=False)
        assert copy.exists() and orphan.exists()
    kept = GeoPackageStore(store_copy).raster_source()
    open_store(store_copy, seed=False)
    assert not copy.exists() and not orphan.exists()
    assert kept is not None and Path(kept).exists()


def test_a_store_another_connection_is_writing_is_not_taken_for_another_file(store_copy):
    """While a writer holds the file (as in the middle of a commit, or a killed writer's
    journal not yet rolled back), opening the store does not call it "not a GeoPackage"."""
    with closing(sqlite3.connect(store_copy, isolation_level=None)) as other:
        other.execute("BEGIN EXCLUSIVE")
        try:
            open_store(store_copy, seed=False)
        except UnreadableStoreError as error:  # busy, and said so: not "not a store"
            assert error.code == "backend_failed", error.message("en")
        other.execute("ROLLBACK")
    assert open_store(store_copy, seed=False).read("posts") is not None
