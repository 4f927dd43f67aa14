"""Travel times on the map page, run in-process with Streamlit's AppTest on the demo data: the
controls in French, the selected post's travel-time indicators beside the map, then in English
another travel mode. Each mode's surface is computed once (about 20 s on the demo)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.apptest import keyed as choice
from tests.apptest import run
from tests.conftest import plain

APP = str(Path(__file__).resolve().parents[1] / "app.py")
BASSIKOUNOU = "MRT-BSK"


@pytest.fixture
def app(travel_store_copy, monkeypatch):
    monkeypatch.setenv("BORDERMAP_STORE", str(travel_store_copy))
    return run(AppTest.from_file(APP, default_timeout=240))


def travel_values(app: AppTest, first_row: str) -> dict[str, str]:
    """The travel-time table beside the map (criterion -> value shown), found by its first row."""
    for shown in app.table:
        frame = shown.value
        rows = dict(zip(frame.iloc[:, 0].map(plain), frame.iloc[:, 1].map(plain), strict=True))
        if first_row in rows:
            return rows
    raise AssertionError(f"no table with {first_row!r}")


def people(text: str) -> int:
    return int(re.sub(r"\D", "", text))


def test_travel_times_on_the_map_page_in_french_then_english(app):
    assert not any(str(w.key).startswith("access_mode@") for w in app.radio)  # off until asked for
    app.toggle(key="access_map").set_value(True)
    run(app)
    mode = choice(app.radio, "access_mode")
    assert mode.value == "foot"  # the profile's mode
    assert list(mode.options) == ["À pied", "À moto", "En véhicule"]
    choice(app.selectbox, "post").set_value(BASSIKOUNOU)
    run(app)
    assert any(m.value == "**Temps de trajet à pied**" for m in app.markdown)
    foot = travel_values(app, "Personnes à moins de 60 min à pied")
    assert list(foot) == ["Personnes à moins de 60 min à pied", "Personnes à moins de 120 min à pied",
                          "Personnes pour qui ce poste est le plus rapide à pied",
                          "Temps depuis la ville la plus proche à pied"]
    within = [foot[f"Personnes à moins de {m} min à pied"] for m in (60, 120)]
    assert all(v.endswith(" habitants") for v in within)
    assert 0 < people(within[0]) <= people(within[1])  # more people within a longer time
    app.toggle(key="access_areas").set_value(True)
    run(app)
    assert app.session_state["access_areas"]

    # English: the same post and mode, then the delegate chooses another mode
    app.sidebar.radio(key="lang").set_value("en")
    run(app)
    assert any(m.value == "**Travel time on foot**" for m in app.markdown)
    assert travel_values(app, "People within 60 min on foot")["People within 60 min on foot"] \
        == f"{people(within[0]):,} people"
    choice(app.radio, "access_mode").set_value("vehicle")
    run(app)
    assert app.session_state["access_mode"] == "vehicle"
    assert any(m.value == "**Travel time by vehicle**" for m in app.markdown)
    vehicle = travel_values(app, "People within 60 min by vehicle")
    assert people(vehicle["People within 60 min by vehicle"]) >= people(within[0])  # roads are faster
    assert app.session_state["access_map"] and app.session_state["access_areas"]
