"""A delegate reads travel times on the map, in French then in English: switch travel times on,
pick a post and see its bands of travel time with their time scale in the legend and its
travel-time indicators beside the map; show the quickest-post areas and point at one; switch
language, then pick a post by clicking it on the map with the areas shown, and hide the areas.

The store's foot surface is computed before the server starts (as a store that has served the
map before): the journey reads it, as every process after the first does."""

from __future__ import annotations

import re
import shutil
import time

import pytest
from browser import MAP_FRAME, SETTLE_MS, Browser, browser, demo_app, plain, words
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from mapping.layers.user_store import open_store
from mapping.palette import time_band_colours

BASSIKOUNOU = "Bassikounou"


@pytest.fixture(scope="module")
def app(tmp_path_factory, demo_travel_folder):
    folder = tmp_path_factory.mktemp("access-map") / "store"
    shutil.copytree(demo_travel_folder, folder)  # the demo with its travel-time surfaces
    with demo_app(folder) as server:
        yield server


def legend(tab: Browser) -> str:
    return plain(tab.map().locator(".bordermap-legend").inner_text())


def legend_once(tab: Browser, shown: tuple[str, ...] = (), hidden: tuple[str, ...] = ()) -> bool:
    """Whether the legend soon shows every text of ``shown`` and none of ``hidden`` (the map
    redraws its layers just after the app has settled)."""
    deadline = time.monotonic() + 30
    while not (all(s in legend(tab) for s in shown) and not any(h in legend(tab) for h in hidden)):
        if time.monotonic() > deadline:
            return False
        tab.page.wait_for_timeout(250)
    return True


def band_fills(tab: Browser) -> list[str]:
    """The fill colours of the travel-time bands drawn (in their own pane), longest first."""
    bands = tab.map().locator(".leaflet-bordermapAccess-pane path")
    return [bands.nth(i).get_attribute("fill") for i in range(bands.count())]


def map_frame(tab: Browser):
    return next(f for f in tab.page.frames if "st_folium" in f.url)


def point_at(tab: Browser, lat: float, lon: float) -> dict[str, float]:
    """The pixel of the map at ``lat``, ``lon`` (degrees), within the map's frame."""
    x, y = map_frame(tab).evaluate("([lat, lon]) => { const p = window.map.latLngToContainerPoint("
                                   "[lat, lon]); return [p.x, p.y]; }", [lat, lon])
    return {"x": x, "y": y}


def centred_on(tab: Browser, lat: float, lon: float) -> bool:
    """Whether the map soon centres on ``lat``, ``lon`` (degrees, within 1 km): where the app
    takes the map when a post is chosen."""
    try:
        map_frame(tab).wait_for_function(
            "([lat, lon]) => window.map.getCenter().distanceTo([lat, lon]) < 1000", arg=[lat, lon],
            timeout=SETTLE_MS)
    except PlaywrightTimeout:
        return False
    return True


def shot(tab: Browser, what: str) -> None:
    """A screenshot with the map in view (the app's page scrolls inside its own container)."""
    tab.page.locator(MAP_FRAME).scroll_into_view_if_needed()
    tab.shot(what)


def choose_post(tab: Browser, lang: str, typed: str) -> None:
    chosen = tab.page.locator("[data-testid=stSelectbox]").filter(
        has_text=words("app.choose_post", lang)).first
    tab.choose(chosen, typed)
    tab.healthy()


def test_a_delegate_reads_travel_times_on_the_map(app):
    with browser(app, "access-map") as tab:
        # 1. travel times on (French, the profile's mode: on foot), a post picked from the list
        tab.page.get_by_text(words("app.map_options", "fr")).click()
        tab.page.get_by_text(words("map_access.show", "fr"), exact=True).click()
        tab.settle()
        assert tab.page.get_by_role("radio", name=words("map_access.modes.foot", "fr")).is_checked()
        choose_post(tab, "fr", BASSIKOUNOU)
        posts = open_store(app.store).read("posts")
        post = posts.loc[posts["name"] == BASSIKOUNOU].geometry.iloc[0]
        assert centred_on(tab, post.y, post.x)  # the map goes to the post chosen
        assert legend_once(tab, (words("map_access.legend_bands", "fr"), "≤ 60 min à pied", "≤ 120 min")), \
            legend(tab)
        assert band_fills(tab) == list(reversed(time_band_colours(2)))  # longest drawn first, lightest
        assert tab.shows(words("map_access.panel_title", "fr", mode="à pied"))
        values = tab.static_table("Personnes à moins de 60 min à pied")
        people = next(row[1] for row in values if row[0].startswith("Personnes à moins de 60 min"))
        assert re.fullmatch(words("units.persons", "fr", value=r"[\d ]+"), people), people  # 4 433 habitants
        shot(tab, "bands-fr")
        panel_title = words("map_access.panel_title", "fr", mode="à pied")
        tab.page.get_by_text(panel_title).scroll_into_view_if_needed()
        tab.shot("panel-fr")

        # 2. the quickest-post areas: in the legend, and pointing at one names its post and people
        tab.page.get_by_text(words("map_access.areas", "fr"), exact=True).click()
        tab.settle()
        tab.healthy()
        areas_fr = words("map_access.legend_areas", "fr", minutes=120, mode="à pied")
        assert legend_once(tab, (areas_fr,)), legend(tab)
        tab.map().locator(".leaflet-container").hover(position=point_at(tab, post.y + 0.04, post.x))
        tooltip = tab.map().locator(".leaflet-tooltip").filter(has_text="ce poste est le plus rapide")
        tooltip.wait_for(timeout=10_000)
        assert re.search(rf"{BASSIKOUNOU} : [\d ]+ personnes", plain(tooltip.inner_text()))
        shot(tab, "areas-fr")

        # 3. in English: the scale and panel follow; a click on the post ranked first still picks it
        tab.language("en")
        areas_en = words("map_access.legend_areas", "en", minutes=120, mode="on foot")
        assert legend_once(tab, ("≤ 60 min on foot", "≤ 120 min", areas_en), ("à pied",)), legend(tab)
        assert tab.shows(words("map_access.panel_title", "en", mode="on foot"))
        first = tab.ranking("en")[0]
        map_frame(tab).evaluate("([lat, lon]) => { window.map.setView([lat, lon], 9); }",
                                tab.map_ranks()[1])  # the delegate pans to it
        tab.map().locator(".bordermap-rank", has_text=re.compile(r"^1$")).click()
        tab.settle()
        tab.healthy()
        tab.page.locator("[data-testid=stMain] h3").filter(has_text=f"1. {first}").wait_for(timeout=30_000)
        assert legend_once(tab, ("≤ 60 min on foot", areas_en)), legend(tab)
        assert len(band_fills(tab)) >= 1
        shot(tab, "clicked-en")

        # 4. the areas hidden again: gone from the legend, the bands stay
        tab.page.get_by_text(words("app.map_options", "en")).click()  # the options, folded in English
        tab.page.get_by_text(words("map_access.areas", "en"), exact=True).click()
        tab.settle()
        tab.healthy()
        assert legend_once(tab, ("≤ 60 min on foot", "≤ 120 min"), (areas_en,)), legend(tab)
        shot(tab, "areas-hidden-en")
    assert tab.outside == []
