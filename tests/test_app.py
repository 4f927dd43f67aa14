"""The first app page runs on the demo data, switches language and re-ranks live."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.fixture
def app(tmp_path, monkeypatch):
    store = tmp_path / "store.gpkg"
    monkeypatch.setenv("BORDERMAP_STORE", str(store))
    app = AppTest.from_file(APP, default_timeout=90).run()
    assert not app.exception
    assert store.exists()  # the user's store was created from the demo data
    return app


def first_post(app: AppTest) -> str:
    return app.dataframe[0].value.iloc[0, 1]


def test_app_opens_in_french_and_switches_to_english(app):
    assert "postes frontières" in app.title[0].value
    assert list(app.dataframe[0].value.columns)[:2] == ["Rang", "Poste"]
    assert app.dataframe[0].value.iloc[0, 4].startswith("1er")
    app.sidebar.radio[0].set_value("en").run()
    assert not app.exception
    assert "border posts" in app.title[0].value
    assert app.dataframe[0].value.iloc[0, 4].startswith("1st")


def test_moving_weights_re_ranks_the_posts(app):
    before = first_post(app)
    for slider in app.sidebar.slider:
        slider.set_value(100 if slider.key == "weight_pop_20km" else 0)
    app.run()
    assert not app.exception
    table = app.dataframe[0].value
    assert first_post(app) != before
    assert table.iloc[0, 4].split(":")[0].strip() == "1er"
    assert "habitants à moins de 20 km" in table.iloc[0, 4]
