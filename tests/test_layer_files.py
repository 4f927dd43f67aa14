"""What the Layers page needs of a file before it is imported: a safe name for the upload, the
kind of layer it most likely holds, and the dates and columns of KoboToolbox and ODK exports."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest

from mapping.layers.columns import map_columns
from mapping.layers.guess import guess_kind
from mapping.layers.schema import KINDS
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
                                  "flows"])
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
