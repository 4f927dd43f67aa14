"""The Scenario page run in-process with Streamlit's AppTest on the demo data, in French and in
English: an origin typed, numbers set and the tables following them, a scenario saved and two
compared side by side, bad coordinates refused in the page's language."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from mapping.access.saved import saved_surges
from mapping.i18n import t
from mapping.layers.user_store import open_store
from mapping.webapp import tables
from tests.apptest import keyed as choice
from tests.apptest import run
from tests.conftest import plain

APP = str(Path(__file__).resolve().parents[1] / "app.py")
SCENARIO = "app_pages/scenario.py"
LERE = "-4.91,15.71"  # Léré, Mali: people leaving towards Mauritania (Fassala, Bassikounou)


@pytest.fixture(scope="module")
def computed_store(demo_travel_folder: Path) -> Path:
    """The demo store with its travel-time surfaces kept in it (computed once per session)."""
    return demo_travel_folder


@pytest.fixture
def app(computed_store: Path, tmp_path: Path, monkeypatch) -> AppTest:
    """The Scenario page on a copy of that store, everyone on foot (one surface to read)."""
    shutil.copytree(computed_store, tmp_path / "store")
    monkeypatch.setenv("BORDERMAP_STORE", str(tmp_path / "store" / "store.gpkg"))
    app = AppTest.from_file(APP, default_timeout=300)
    app.session_state["scenario_mix_motorbike"] = 0
    app.session_state["scenario_mix_vehicle"] = 0
    run(app)
    return run(app, SCENARIO)


def shown(text: object) -> str:
    """A Markdown cell of ``st.table`` as the reader sees it (escapes removed, plain spaces)."""
    return plain(re.sub(r"\\(.)", r"\1", str(text)))


def site_table(app: AppTest, lang: str) -> pd.DataFrame:
    """The per-site table: the one with an arrivals column, as the reader sees it."""
    arrivals = plain(t("surge.columns.arrivals", lang))
    frame = next(tb.value for tb in app.table if arrivals in map(shown, tb.value.columns))
    return frame.rename(columns=shown).map(shown)


def whole(text: str) -> int:
    """A whole number as the page writes it (10 000 or 10,000)."""
    return int(re.sub(r"[ ,.]", "", text))


def arrivals(app: AppTest, lang: str) -> dict[str, int]:
    table = site_table(app, lang)
    name, count = plain(t("surge.columns.name", lang)), plain(t("surge.columns.arrivals", lang))
    return {row[name]: whole(row[count]) for _, row in table.iterrows()}


def set_origin(app: AppTest, text: str) -> None:
    choice(app.radio, "scenario_origin_kind").set_value("coordinates")
    run(app)
    app.text_input(key="scenario_lon_lat").set_value(text)
    run(app)


def test_numbers_set_in_french_change_the_table_then_in_english(app):
    assert plain(app.title[0].value) == plain(t("app.pages.scenario", "fr"))
    set_origin(app, LERE)
    app.number_input(key="scenario_people").set_value(100_000)
    app.number_input(key="scenario_days").set_value(30)
    run(app)
    before = arrivals(app, "fr")
    unreached = whole(next(m.value for m in app.metric
                           if plain(m.label) == plain(t("scenario_page.unreached_metric", "fr"))))
    assert sum(before.values()) + unreached == 100_000  # every person counted once
    assert any(" " in v for v in site_table(app, "fr")[plain(t("surge.columns.arrivals", "fr"))])  # 70 000
    app.number_input(key="scenario_people").set_value(50_000)
    run(app)
    after = arrivals(app, "fr")
    assert after.keys() == before.keys()
    assert all(abs(after[n] - before[n] / 2) <= 1 for n in before)  # half the people, half the arrivals

    app.sidebar.radio(key="lang").set_value("en")
    run(app)
    assert plain(app.title[0].value) == t("app.pages.scenario", "en")
    assert arrivals(app, "en") == after  # same scenario, English table
    app.slider(key="scenario_unofficial").set_value(0)  # and acting again, in English
    run(app)
    table = site_table(app, "en")
    assert set(table[t("surge.columns.site_kind", "en")]) == {t("surge.values.post", "en")}
    assert sum(arrivals(app, "en").values()) <= 50_000
    assert any("," in v for v in table[t("surge.columns.arrivals", "en")])  # 50,000 people at most


def test_a_peak_curve_moves_the_saturation_day(app):
    set_origin(app, LERE)
    app.number_input(key="scenario_people").set_value(100_000)
    run(app)
    column = plain(t("surge.columns.saturation_day", "fr"))
    even = site_table(app, "fr")[column].iloc[0]
    choice(app.selectbox, "scenario_curve").set_value("peak")
    run(app)
    app.number_input(key="scenario_peak_day").set_value(20)
    run(app)
    assert site_table(app, "fr")[column].iloc[0] != even


def test_scenarios_saved_then_compared_side_by_side(app, tmp_path):
    set_origin(app, LERE)
    for name, people in (("Léré 100 000", 100_000), ("Léré 20 000", 20_000)):
        app.number_input(key="scenario_people").set_value(people)
        run(app)
        app.text_input(key="scenario_name").set_value(name)
        app.button(key="scenario_save").click()
        run(app)
        assert any(plain(t("scenario_page.saved_as", "fr", name=name)) in shown(s.value) for s in app.success)
    saved = saved_surges(open_store(tmp_path / "store" / "store.gpkg"))
    assert [s.scenario.people for s in saved.values()] == [100_000, 20_000]
    assert choice(app.multiselect, "scenario_compare").value == ["Léré 100 000", "Léré 20 000"]
    compared = next(tb.value for tb in app.table if isinstance(tb.value.columns, pd.MultiIndex))
    groups = list(dict.fromkeys(shown(c) for c in compared.columns.get_level_values(0)))
    assert groups == ["Léré 100 000", "Léré 20 000"]
    first = compared.iloc[0]
    measure = plain(t("surge.columns.arrivals", "fr"))
    big, small = (whole(shown(first[(g, c)])) for g, c in compared.columns if shown(c) == measure)
    assert big == 5 * small
    assert tables.MISSING in {shown(v) for v in compared.to_numpy().ravel()}  # unofficial crossings: no queue
    assert not {"nan", "None", "<NA>"} & {shown(v) for v in compared.to_numpy().ravel()}

    app.sidebar.radio(key="lang").set_value("en")
    run(app)
    compared = next(tb.value for tb in app.table if isinstance(tb.value.columns, pd.MultiIndex))
    assert t("surge.columns.peak_queue", "en") in {shown(c) for c in compared.columns.get_level_values(1)}


def test_bad_coordinates_are_refused_in_the_language_of_the_page(app):
    set_origin(app, "Léré")
    assert plain(t("surge.errors.bad_origin", "fr", value="Léré")) in [shown(e.value) for e in app.error]
    column = plain(t("surge.columns.arrivals", "fr"))
    assert not any(column in map(shown, tb.value.columns) for tb in app.table)
    app.sidebar.radio(key="lang").set_value("en")
    run(app)
    assert t("surge.errors.bad_origin", "en", value="Léré") in [shown(e.value) for e in app.error]
    app.text_input(key="scenario_lon_lat").set_value("-4,91;15,71")  # decimal commas
    run(app)
    assert not app.error and arrivals(app, "en")
