"""What the Layers page needs of a file before it is imported: a safe name for the upload, the
kind of layer it most likely holds, and the dates and columns of KoboToolbox and ODK exports."""

from __future__ import annotations

import sqlite3

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from mapping.layers.columns import map_columns
from mapping.layers.gpkg_store import GeoPackageStore
from mapping.layers.guess import guess_kind
from mapping.layers.readers import read_vector
from mapping.layers.schema import KINDS
from mapping.layers.update import name_key, name_matches
from mapping.layers.uploads import safe_file_name, saved_upload
from mapping.layers.user_store import demo_dir
from mapping.layers.values import to_dates


@pytest.mark.parametrize("name, safe", [("../../etc/passwd", "passwd"), ("..", "upload"),
                                        ("C:\\x\\postes terrain.CSV", "postes_terrain.csv"),
                                        ("a" * 300 + ".gpkg", "a" * 100 + ".gpkg"),
                                        ("<script>.kml", "_script_.kml")])
def test_an_upload_is_kept_under_a_safe_name(name, safe):
    assert safe_file_name(name) == safe
    with saved_upload(name, b"x") as path:
        assert path.name == safe and path.read_bytes() == b"x"
    assert not path.exists()  # removed after use


@pytest.mark.parametrize("kind", ["countries", "borders", "posts", "crossings", "roads", "settlements",
                                  "flows", "rivers"])
def test_the_kind_of_a_demo_layer_is_guessed_from_its_columns(tmp_path, kind):
    path = tmp_path / f"layer-{kind}.geojson"
    gpd.read_file(demo_dir() / "demo.gpkg", layer=kind).to_file(path)
    assert guess_kind(path) == kind


def test_a_raster_is_population_and_an_unreadable_file_has_no_guess(tmp_path):
    assert guess_kind(demo_dir() / "population.tif") == "population"
    (tmp_path / "x.csv").write_text("a,b\n1,2\n")
    assert guess_kind(tmp_path / "x.csv") is None


def test_kobo_and_odk_date_times_are_the_dates_written():
    cells = pd.Series(["2025-03-02T09:14:00.000+00:00", "2025-03-02T23:30:00-05:00", "2025-03-02T10:02:11Z",
                       "2025-03-02 10:02", "02/03/2025 14:00", "2025-03-02T25:00:00Z", "31/02/2025"])
    dates, bad = to_dates(cells)
    assert [str(d) for d in dates[:5]] == ["2025-03-02"] * 4 + ["2025-03-02"]
    assert list(bad) == [False] * 5 + [True, True]


def test_a_forms_own_columns_win_over_kobo_and_odk_metadata():
    kobo = ["start", "end", "today", "grp/identifiant", "grp/date_evaluation", "_id", "_submission_time"]
    mapping, unused = map_columns(kobo, KINDS["posts"])
    assert mapping == {"grp/identifiant": "post_id", "grp/date_evaluation": "last_assessed"}
    assert unused == []  # metadata left aside without a warning
    odk = ["SubmissionDate", "grp-statut", "KEY", "Status"]
    assert map_columns(odk, KINDS["posts"])[0] == {"grp-statut": "status", "SubmissionDate": "last_assessed"}
    assert map_columns(["nom_site", "nom"], KINDS["posts"])[1] == [("nom_site", "nom")]


def test_export_metadata_never_stands_for_an_id_or_a_status():
    mapping, _ = map_columns(["today", "_id", "_status", "staff"], KINDS["posts"])
    assert mapping == {"today": "last_assessed", "staff": "staff"}
    odk, _ = map_columns(["SubmissionDate", "KEY", "Status"], KINDS["posts"])
    assert odk == {"SubmissionDate": "last_assessed"}


def test_a_date_time_with_its_time_zone_is_the_date_on_its_own_clock(tmp_path):
    path = tmp_path / "kobo.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": '
                    '{"start": "2025-03-02T23:30:00-05:00"}, "geometry": {"type": "Point", '
                    '"coordinates": [-10.5, 15.2]}}]}')
    start = read_vector(path)["start"]
    assert [str(d) for d in to_dates(start)[0]] == ["2025-03-02"]  # not 03-03, the date in UTC
    aware = pd.Series([pd.Timestamp("2025-03-02 23:30", tz="America/New_York")], dtype=object)
    assert str(to_dates(aware)[0].iloc[0]) == "2025-03-02"


def test_names_compare_in_every_script_and_only_points_are_matched():
    assert name_key("Nioro-du-Sahel ") == name_key("NIORO DU SAHEL") == "nioro du sahel"
    assert name_key("نارة") != name_key("روصو") and name_key("---") == ""
    roads = gpd.GeoDataFrame({"road_id": ["R1"], "name": ["N3"]},
                             geometry=[shapely.LineString([(0, 0), (1, 1)])], crs=4326)
    assert name_matches(roads.assign(road_id="R9"), roads, KINDS["roads"]) == []


def test_the_store_sees_commits_made_while_another_program_holds_it_in_wal_mode(tmp_path):
    store = GeoPackageStore(tmp_path / "store.gpkg")
    store.save_record("notes", "a", {"n": 1})
    qgis = sqlite3.connect(store.path)
    qgis.execute("PRAGMA journal_mode=WAL")
    assert len(store.records("notes")) == 1
    store.save_record("notes", "b", {"n": 2})
    assert len(store.records("notes")) == 2
    qgis.close()
