"""A workshop delegate in the browser, in French then in English: opens the Scenario page, picks
Mbera (the camp beside Bassikounou) as where people leave from, sets 100,000 people over 30 days,
reads the table and sees the flows drawn on the map, halves the number of people and sees the
arrivals follow, then switches to English and changes the days."""

from __future__ import annotations

import re
import shutil

import pytest
from browser import SETTLE_MS, Browser, app_server, browser, plain, words

from mapping.surge_map import FLOW_COLOUR

FIRST_RUN_MS = 300_000  # the page reads the travel-time surfaces kept in the store (or computes them)


@pytest.fixture(scope="module")
def app(tmp_path_factory, demo_travel_folder):
    """The app on a demo store whose travel-time surfaces were computed before the server starts."""
    folder = tmp_path_factory.mktemp("scenario") / "store"
    shutil.copytree(demo_travel_folder, folder)
    with app_server(folder / "store.gpkg") as server:
        yield server
    assert server.outside.requests == []


def site_rows(tab: Browser, lang: str) -> dict[str, int]:
    """Arrivals by site name, from the per-site table."""
    header, *rows = tab.static_table(words("surge.columns.capacity_source", lang))
    name = header.index(words("surge.columns.name", lang))
    arrivals = header.index(words("surge.columns.arrivals", lang))
    return {row[name]: int(re.sub(r"[ ,]", "", row[arrivals])) for row in rows}


def flows(tab: Browser) -> list[tuple[float, str]]:
    """The flow lines on the map: (width in pixels, tooltip), read from Leaflet."""
    tab.map()
    frame = next(f for f in tab.page.frames if "st_folium" in f.url)
    return [(w, plain(text)) for w, text in frame.evaluate(
        """colour => Object.values(window.map._layers)
            .filter(l => l instanceof L.Polyline && !(l instanceof L.Polygon) && l.options.color === colour)
            .map(l => [l.options.weight, l.getTooltip() ? l.getTooltip().getContent() : ''])""", FLOW_COLOUR)]


def set_number(tab: Browser, label_key: str, lang: str, value: int) -> None:
    box = tab.page.locator("[data-testid=stNumberInput]").filter(has_text=words(label_key, lang))
    box.locator("input").fill(str(value))
    box.locator("input").press("Enter")
    tab.settle()
    tab.healthy()


def test_a_delegate_sets_a_surge_from_mbera_and_sees_the_posts_fill(app):
    with browser(app, "scenario") as tab:
        tab.page.locator("[data-testid=stSidebarNav]").get_by_text(words("app.pages.scenario", "fr"),
                                                                   exact=True).click()
        tab.page.locator("[data-testid=stTable]").first.wait_for(timeout=FIRST_RUN_MS)  # the default origin's
        tab.settle()
        tab.healthy()
        assert words("scenario_page.computing_routes", "fr") not in tab.text()
        tab.shot("opened")

        # 1. Mbera, 100 000 people over 30 days: the table and the flows on the map
        settlement = words("scenario_page.settlement", "fr")
        chooser = tab.page.locator("[data-testid=stSelectbox]").filter(has_text=settlement)
        assert tab.choose(chooser, "Mbera").startswith("Mbera")
        set_number(tab, "scenario_page.people", "fr", 100_000)
        set_number(tab, "scenario_page.days", "fr", 30)
        before = site_rows(tab, "fr")
        assert "Bassikounou" in before and sum(before.values()) == 100_000
        drawn = flows(tab)
        assert len(drawn) == len(before)  # one line per site that receives people
        widest = max(drawn)
        assert "Bassikounou" in widest[1] and "70 000" in widest[1]  # the widest line: the most people
        first = words("scenario_page.saturation_item", "fr", post="Bassikounou", day=1)
        assert tab.shows(words("scenario_page.saturation_line", "fr", posts=first))
        tab.page.locator("iframe[title='streamlit_folium.st_folium']").scroll_into_view_if_needed()
        tab.shot("mbera-100000")

        # 2. half the people: the arrivals and the map follow
        set_number(tab, "scenario_page.people", "fr", 50_000)
        after = site_rows(tab, "fr")
        assert after.keys() == before.keys() and after["Bassikounou"] == before["Bassikounou"] // 2
        tab.page.frame_locator("iframe[title='streamlit_folium.st_folium']").locator(".leaflet-container").wait_for(
            timeout=SETTLE_MS)
        assert "35 000" in max(flows(tab))[1]
        tab.page.locator("[data-testid=stTable]").first.scroll_into_view_if_needed()
        tab.shot("mbera-50000")

        # 3. in English: the same table in English, and the days changed
        tab.language("en")
        assert site_rows(tab, "en") == after
        set_number(tab, "scenario_page.days", "en", 10)
        assert tab.shows(words("scenario_page.first_metric_day", "en", day=1))
        queue = tab.static_table(words("surge.columns.capacity_source", "en"))
        assert queue[0][0] == words("surge.columns.name", "en")
        assert "35,000" in " ".join(queue[1])
        tab.page.locator("[data-testid=stVegaLiteChart]").first.scroll_into_view_if_needed()
        tab.shot("english-10-days")

        # 4. two scenarios saved, side by side
        for days in (10, 30):
            set_number(tab, "scenario_page.days", "en", days)
            name = tab.page.get_by_label(words("scenario_page.scenario_name", "en"), exact=True)
            name.fill(f"Mbera {days} days")
            name.press("Enter")
            tab.page.get_by_role("button", name=words("scenario_page.save_button", "en")).click()
            tab.settle()
            assert tab.shows(words("scenario_page.saved_as", "en", name=f"Mbera {days} days"))
        compared = tab.page.locator("[data-testid=stTable]").filter(
            has_text=words("surge.columns.peak_queue", "en")).filter(has_text="Mbera 10 days")
        header = compared.locator("thead tr").first.inner_text()
        assert "Mbera 10 days" in header and "Mbera 30 days" in header  # one column group each
        assert "Bassikounou" in compared.inner_text() and "nan" not in compared.inner_text()
        compared.scroll_into_view_if_needed()
        tab.shot("compared")
        assert tab.outside == []
