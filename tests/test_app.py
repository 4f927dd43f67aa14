"""The first map page runs on the demo data and switches language."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def test_app_opens_a_new_store_from_the_demo_and_switches_language(tmp_path, monkeypatch):
    store = tmp_path / "store.gpkg"
    monkeypatch.setenv("BORDERMAP_STORE", str(store))
    app = AppTest.from_file(APP, default_timeout=60).run()
    assert not app.exception
    assert store.exists()  # the user's store was created from the demo data
    assert "postes frontières" in app.title[0].value
    app.sidebar.radio[0].set_value("en").run()
    assert not app.exception
    assert "border posts" in app.title[0].value
