"""The app's sidebar chooses the countries and borders ranked: the map page, the shortlist and
the exports then hold only their posts, ranked among themselves."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from mapping.exports.reproduce import read_record
from mapping.layers.borders import served_borders
from mapping.layers.user_store import open_store
from tests.apptest import keyed, run

APP = str(Path(__file__).resolve().parents[1] / "app.py")
MAP, SHORTLIST = "app_pages/map_ranking.py", "app_pages/shortlist_export.py"


@pytest.fixture
def app(store_copy, monkeypatch):
    monkeypatch.setenv("BORDERMAP_STORE", str(store_copy))
    app = AppTest.from_file(APP, default_timeout=120).run()
    assert not app.exception, app.exception
    return app


def chooser(app: AppTest, key: str):
    return keyed(app.multiselect, key)


def ranked_names(app: AppTest) -> list[str]:
    frame = next(tb.value for tb in app.table if str(tb.value.columns[0]) in ("Rang", "Rank"))
    return [str(name).replace("\\", "") for name in frame.iloc[:, 1]]


def test_one_border_in_the_sidebar_ranks_only_its_posts_then_all_again(app, store_copy):
    store = open_store(store_copy)
    posts = store.read("posts")
    border = served_borders(posts, store.read("borders"))
    names = dict(zip(posts["post_id"], posts["name"], strict=True))
    everyone = ranked_names(app)
    assert set(chooser(app, "filter_borders").options) >= {"Mali – Mauritanie (MLI-MRT)",
                                                            "Mauritanie – Sénégal (MRT-SEN)"}
    chooser(app, "filter_borders").set_value(["MRT-SEN"])
    run(app)
    on_border = sorted(names[p] for p in posts.loc[border == "MRT-SEN", "post_id"])
    assert len(on_border) > 1 and sorted(ranked_names(app)) == on_border
    assert any("remis à l’échelle sur ces seuls postes" in c.value for c in app.caption)
    chooser(app, "filter_borders").set_value([])
    run(app)
    assert ranked_names(app) == everyone


def test_a_country_chosen_holds_on_the_shortlist_page_and_in_the_export(app, tmp_path):
    chooser(app, "filter_countries").set_value(["MLI"])
    run(app)
    assert set(chooser(app, "filter_countries").value) == {"MLI"}
    run(app, SHORTLIST)
    app.number_input(key="budget").set_value(1_000_000)
    run(app)
    next(w for w in app.selectbox if str(w.key).startswith("export_format@")).set_value("csv")
    app.button(key="export_prepare").click()
    run(app)
    _, name, content, _ = app.session_state["export_file"]
    (tmp_path / name).write_bytes(content)
    with zipfile.ZipFile(tmp_path / name) as files:
        files.extractall(tmp_path)
    record = read_record(tmp_path / "bordermap-fr.csv")
    assert record.countries == ["MLI"] and record.borders == []
    assert {post[:3] for post in record.ranks} == {"MLI"}
