"""A workshop delegate's whole job in the browser, in French and in English: open the app with
no internet, switch language and use every page in it and back, pick a post by clicking it on
the map, read its profile, leave a note with one click on the map, and find it on the Layers page.
A post named like an HTML attack shows as text everywhere and runs nothing."""

from __future__ import annotations

import re

import pandas as pd
import pytest
import shapely
from browser import Browser, app_server, browser, words

from mapping.layers.importing import import_file
from mapping.layers.notes import notes
from mapping.layers.schema import CONDITION_SCORES
from mapping.layers.user_store import open_store

HOSTILE_NAME = "<img src=x onerror=\"window.__attacked=1\">`${1+1}`"
NOTE_TEXT = "Passage de motos la nuit <b>gras</b>"
PAGES = ("map", "shortlist", "layers", "method")
PAGE_HEADINGS = {"map": "app.ranking", "shortlist": "app.export", "layers": "app.upload",
                 "method": "app.criteria"}


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """The app on the demo data plus one post with a hostile name, in poor condition (ranked high)."""
    folder = tmp_path_factory.mktemp("delegate")
    store = open_store(folder / "store.gpkg")
    posts = store.read("posts")
    ruined = dict.fromkeys(CONDITION_SCORES, 0.0)
    hostile = posts.iloc[[0]].assign(post_id="MRT-XSS", name=HOSTILE_NAME, facing_post_id=None,
                                     crossing_id=None, geometry=[shapely.Point(-10.1, 15.8)], **ruined)
    pd.concat([posts, hostile]).to_file(folder / "posts.gpkg", layer="posts")
    assert import_file(folder / "posts.gpkg", "posts", store, user="setup").committed
    with app_server(store.path) as server:
        yield server
    assert server.outside.requests == []  # the server asked nothing of the internet, ever


def attacked(tab: Browser) -> bool:
    """Whether the hostile name ran its script in the page or any frame."""
    return any(frame.evaluate("window.__attacked || 0") for frame in tab.page.frames)


def other(lang: str) -> str:
    return "en" if lang == "fr" else "fr"


def visit_every_page(tab: Browser, lang: str) -> None:
    """Open each page and check it speaks ``lang`` and works (no exception)."""
    for page in PAGES:
        tab.open(page, lang)
        assert tab.shows(words(PAGE_HEADINGS[page], lang)), page
    tab.open("map", lang)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_delegate_reviews_the_map_picks_a_post_and_leaves_a_note(app, lang):
    with browser(app, f"delegate-{lang}") as tab:
        # 1. the app opens in French, the map draws with no internet and its legend in French
        legend = tab.map().locator(".bordermap-legend")
        assert words("map.legend.rank_scale", "fr") in legend.inner_text()
        measure = tab.map().locator("a.leaflet-control-measure-toggle")
        assert measure.get_attribute("title") == "Mesurer les distances et superficies"
        tab.shot("opened")
        if lang == "en":
            tab.language("en")
            assert words("map.legend.rank_scale", "en") in tab.map().locator(".bordermap-legend").inner_text()
            assert measure.get_attribute("title") == "Measure distances and areas"
        # 2. every page in this language, then in the other and back: each next action works
        visit_every_page(tab, lang)
        tab.language(other(lang))
        visit_every_page(tab, other(lang))
        tab.language(lang)
        assert words("app.ranking", lang) in tab.text()
        tab.shot("pages")

        # 3. a click on the post ranked first selects it: list, profile, catchment circle
        ranks = tab.map_ranks()
        first = tab.ranking(lang)[0]
        tab.map().locator(".bordermap-rank", has_text=re.compile(r"^1$")).click()
        tab.settle()
        tab.healthy()
        profile = tab.page.locator("[data-testid=stMain] h3").filter(has_text=f"1. {first}")
        profile.wait_for(timeout=30_000)
        chosen = tab.page.locator("[data-testid=stSelectbox]").filter(
            has_text=words("app.choose_post", lang)).first
        assert chosen.locator("input").input_value() == f"1. {first}"
        assert tab.map().locator("path.leaflet-interactive[stroke='#08519c']").count() >= 1  # circle
        assert ranks[1] == tab.map_ranks()[1]
        tab.shot("post-picked")
        # the post's values with units and effective weights: read in full, nothing cut off
        values = tab.page.locator("[data-testid=stTable]").first
        assert " km" in values.inner_text() and "%" in values.inner_text()

        # 4. a note with one click on the map, right after the note mode is switched on
        tab.page.get_by_text(words("app.map_options", lang)).click()
        tab.page.get_by_text(words("app.note_mode", lang)).click()
        tab.settle()
        tab.map().locator(".leaflet-container").click(position={"x": 120, "y": 160})
        tab.settle()
        form = tab.page.locator("[data-testid=stForm]").filter(has_text=words("app.note.save", lang))
        form.wait_for(timeout=30_000)
        author = f"Délégué {lang}"
        form.get_by_label(words("app.note.author", lang), exact=True).fill(author)
        form.get_by_label(words("app.note.organisation", lang), exact=True).fill("Police des frontières")
        form.get_by_text(words("notes.kinds.new_crossing", lang), exact=True).click()
        form.get_by_label(words("app.note.place", lang), exact=True).fill(f"Gué {lang}")
        form.get_by_label(words("app.note.text", lang), exact=True).fill(NOTE_TEXT)
        tab.shot("note-form")
        form.get_by_role("button", name=words("app.note.save", lang)).click()
        tab.settle()
        assert words("app.note.saved", lang) in tab.text()
        saved = [n for n in notes(open_store(app.store)) if n.author == author]
        assert len(saved) == 1 and saved[0].kind == "new_crossing" and saved[0].place == f"Gué {lang}"

        # 5. in the other language, the note is on the Layers page, on its map and in its table
        tab.language(other(lang))
        tab.open("layers", other(lang))
        tab.tab("app.notes", other(lang))
        assert author in tab.text() and NOTE_TEXT in tab.text()
        assert tab.map().locator(".bordermap-legend").count() == 1
        tab.shot("note-listed")
        tab.language(lang)
        tab.open("map", lang)
        post_list = tab.page.locator("[data-testid=stSelectbox]").filter(
            has_text=words("app.choose_post", lang))
        tab.choose(post_list, "img src")  # the delegate looks the post up in the list
        heading = tab.page.locator("[data-testid=stMain] h3").first
        assert HOSTILE_NAME in heading.inner_text()  # shown as text
        assert not attacked(tab)
        assert tab.outside == []  # the browser asked nothing of the internet
