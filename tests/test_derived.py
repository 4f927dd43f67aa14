"""Derived data kept in the store: the app's indicators, population picture and base-map layers
are computed once per import and read back by every later process, never stale, never damaged."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from mapping import derived
from mapping.layers.gpkg_store import RECORDS_TABLE, GeoPackageStore
from mapping.layers.store import CommitInfo, StoreFailedError
from mapping.maps import MapLayers, base_map, prepare_map_layers
from mapping.raster_overlay import population_overlay
from mapping.scoring.indicators import compute_indicators
from mapping.scoring.pipeline import layers_from_store, params_from_settings

DAY = dt.date(2026, 11, 30)
SETTINGS = {"radius_km": 20}
ROOT = Path(__file__).resolve().parents[1]


def fresh_indicators(store: GeoPackageStore, settings: dict = SETTINGS) -> pd.DataFrame:
    return compute_indicators(layers_from_store(store), params_from_settings(settings, DAY))


def cached_indicators(store: GeoPackageStore, settings: dict = SETTINGS) -> pd.DataFrame:
    return derived.indicator_table(store, store.read, settings, DAY)


def refuse(*_args, **_kwargs):
    raise AssertionError("computed again although the store holds it")


def test_indicators_are_computed_once_then_read_back_exactly(store_copy, monkeypatch):
    store = GeoPackageStore(store_copy)
    first = cached_indicators(store)
    expected = fresh_indicators(store)
    pd.testing.assert_frame_equal(first, expected, check_exact=True)
    monkeypatch.setattr(derived, "compute_indicators", refuse)
    again = cached_indicators(GeoPackageStore(store_copy))
    pd.testing.assert_frame_equal(again, expected, check_exact=True)
    assert again.attrs == expected.attrs and list(again.dtypes) == list(expected.dtypes)


def test_a_new_process_reads_the_saved_indicators_without_computing_them(store_copy):
    store = GeoPackageStore(store_copy)
    expected = cached_indicators(store)
    derived.map_layers(store, store.read)
    code = ("import sys, datetime as dt; from mapping import derived; "
            "from mapping.layers.gpkg_store import GeoPackageStore\n"
            "def refuse(*a, **k): raise SystemExit('computed again')\n"
            "derived.compute_indicators = refuse; derived.prepare_map_layers = refuse\n"
            f"s = GeoPackageStore({str(store_copy)!r})\n"
            f"t = derived.indicator_table(s, s.read, {SETTINGS!r}, dt.date(2026, 11, 30))\n"
            "derived.map_layers(s, s.read)\n"
            "print(t.to_json(double_precision=15))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout) == json.loads(expected.to_json(double_precision=15))


def test_an_import_or_other_settings_make_the_saved_indicators_stale(store_copy, monkeypatch):
    store = GeoPackageStore(store_copy)
    cached_indicators(store)
    posts = store.read("posts").iloc[:-1]  # one post removed
    store.commit_layer("posts", posts, CommitInfo("aminata", "posts.gpkg"))
    after_import = cached_indicators(store)
    assert len(after_import) == len(posts)
    pd.testing.assert_frame_equal(after_import, fresh_indicators(store), check_exact=True)
    wider = cached_indicators(store, {"radius_km": 35})
    pd.testing.assert_frame_equal(wider, fresh_indicators(store, {"radius_km": 35}), check_exact=True)
    assert wider.attrs["radius_km"] == 35
    # one record per purpose: the stale ones were replaced, not piled up
    purposes = [r["purpose"] for r in store.records(derived.COLLECTION)]
    assert sorted(purposes) == sorted(set(purposes))


def damage(store_path: Path, purpose: str, text: str) -> None:
    with sqlite3.connect(store_path) as db:
        db.execute(f"UPDATE {RECORDS_TABLE} SET data = ? WHERE collection = ? AND id = ?",
                   (text, derived.COLLECTION, purpose))


@pytest.mark.parametrize("how", ["not json", "wrong shape", "short column", "wrong type", "other number",
                                 "wrong shape, digest matching"])
def test_a_damaged_record_is_ignored_recomputed_and_replaced(store_copy, how):
    store = GeoPackageStore(store_copy)
    expected = cached_indicators(store)
    record = next(r for r in store.records(derived.COLLECTION) if r["purpose"] == "indicators")
    payload = record["payload"]
    number = next(i for i, (_, dtype, _) in enumerate(payload["columns"]) if dtype == "float64")
    if how == "not json":
        text = "{not json"
    elif how == "wrong shape":
        text = json.dumps({**record, "payload": {"index": 3}})
    elif how == "short column":
        payload["columns"][number][2] = payload["columns"][number][2][:-1]
        text = json.dumps(record)
    elif how == "wrong type":
        payload["columns"][number][2][0] = "many"  # a word in a column of numbers
        text = json.dumps(record)
    elif how == "other number":
        payload["columns"][number][2][0] = 123456.0  # still a table, but not what was computed
        text = json.dumps(record)
    else:
        payload["columns"][number][2] = payload["columns"][number][2][:-1]
        text = json.dumps({**record, "sha256": derived.payload_digest(payload)})
    damage(store_copy, "indicators", text)
    again = cached_indicators(GeoPackageStore(store_copy))
    pd.testing.assert_frame_equal(again, expected, check_exact=True)
    saved = next(r for r in GeoPackageStore(store_copy).records(derived.COLLECTION)
                 if r["purpose"] == "indicators")
    assert saved["payload"] == derived.table_to_json(expected)


def test_the_base_map_from_saved_layers_is_the_map_drawn_from_the_layers(store_copy, monkeypatch):
    store = GeoPackageStore(store_copy)
    layers = {kind: store.read(kind) for kind in store.kinds() if kind != "population"}
    expected = prepare_map_layers(layers)
    assert derived.map_layers(store, store.read) == expected
    monkeypatch.setattr(derived, "prepare_map_layers", refuse)
    saved = derived.map_layers(GeoPackageStore(store_copy), store.read)
    assert saved == expected and MapLayers.from_dict(saved.as_dict()) == saved
    small = {k: v for k, v in layers.items() if k in ("countries", "borders")}
    html = base_map(small, "fr", prepared=saved).get_root().render()
    assert saved.roads
    for _, text in saved.roads:
        assert text.replace("</", "<\\/") in html
    assert saved.settlements is not None and saved.settlements.replace("</", "<\\/") in html


def test_the_population_picture_is_kept_per_raster_version(store_copy, monkeypatch):
    store = GeoPackageStore(store_copy)
    raster = store.raster_source("population")
    first = derived.population_overlay(store, lambda: population_overlay(raster))
    assert first is not None
    again = derived.population_overlay(GeoPackageStore(store_copy), refuse)
    assert again == first


def test_a_store_that_cannot_be_written_still_gives_the_results(store_copy, monkeypatch):
    store = GeoPackageStore(store_copy)

    def read_only(*_args, **_kwargs):  # what a backend raises when its database cannot be written
        raise StoreFailedError(str(store_copy), sqlite3.OperationalError("attempt to write a readonly "
                                                                          "database"))

    monkeypatch.setattr(store, "save_record", read_only)
    pd.testing.assert_frame_equal(cached_indicators(store), fresh_indicators(store), check_exact=True)
    assert store.records(derived.COLLECTION) == []
