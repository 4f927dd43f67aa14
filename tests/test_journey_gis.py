"""A GIS officer's whole job in the browser, in French and in English: upload a KoboToolbox
export of part of the posts as an update, replace the layer with explicit consent, upload a bad
file and read its findings, read the history and roll back (the history refreshed at once, the
current state not restored twice), and accept a delegate note after reading what it changes."""

from __future__ import annotations

import json
import time

import pytest
from browser import Browser, browser, demo_app, words
from test_field_updates import FIELD_POSTS, kobo_export

from mapping.layers.notes import add_note, notes
from mapping.layers.user_store import open_store

HUGE = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"post_id": "P1", "name": "X", "iso3": "MRT", "status": "operational"},
     "geometry": {"type": "Point", "coordinates": [1e308, 1e308]}}]}


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    with demo_app(tmp_path_factory.mktemp("gis")) as server:
        yield server


def upload(tab: Browser, path) -> float:
    """Upload a file on the Layers page; the seconds until its findings and diff are shown."""
    started = time.monotonic()
    tab.page.locator("[data-testid=stFileUploaderDropzoneInput]").set_input_files(str(path))
    tab.page.wait_for_timeout(1500)  # the upload reaches the server, which runs the page again
    tab.settle()
    tab.healthy()
    return time.monotonic() - started


def import_as(tab: Browser, user: str, mode: str, lang: str) -> None:
    tab.panel().get_by_label(words("app.user", lang), exact=True).fill(user)
    tab.panel().get_by_role("button", name=words(f"app.import_as.{mode}", lang)).click()
    tab.settle()
    tab.healthy()


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_gis_officer_updates_replaces_rolls_back_and_accepts_a_note(app, lang, tmp_path):
    store = open_store(app.store)
    start = store.history()[-1].version
    border = store.read("borders").geometry.iloc[0].interpolate(0.4, normalized=True)
    note = add_note(store, author=f"Délégué {lang}", organisation="Douanes", country="MLI",
                    kind="new_crossing", text="Gué utilisé par les troupeaux", lon=border.x, lat=border.y,
                    place=f"Gué {lang}")
    other = "en" if lang == "fr" else "fr"
    with browser(app, f"gis-{lang}") as tab:
        if lang == "en":
            tab.language("en")
        tab.open("layers", lang)
        before = store.read("posts").set_index("post_id")

        # 1. a KoboToolbox export of 8 posts: proposed as border posts, imported as an update
        building = {"fr": 1, "en": 3}[lang]  # each run brings news
        upload(tab, kobo_export(store, tmp_path / "evaluation_postes.csv", building=building))
        kind = tab.page.locator("[data-testid=stSelectbox]").filter(has_text=words("app.kind", lang))
        assert kind.locator("input").input_value() == words("kinds.posts", lang)
        assert tab.shows(words("app.diff", lang, features=8, added=0, changed=8, removed=0,
                               unchanged=len(before) - 8))
        tab.shot("kobo-checked")
        import_as(tab, "A. Diallo", "update", lang)
        assert tab.shows(words("app.imported", lang, version=start + 1, kind=words("kinds.posts", lang)))
        after = store.read("posts").set_index("post_id")
        assert len(after) == len(before) and (after.loc[FIELD_POSTS, "building"] == building).all()
        assert after.loc[FIELD_POSTS, "rehab_cost_usd"].equals(before.loc[FIELD_POSTS, "rehab_cost_usd"])
        tab.shot("kobo-imported")

        # 2. a file of 7 posts replaces the layer only with the consent to remove the others
        seven = tmp_path / "sept_postes.geojson"
        after.loc[FIELD_POSTS[:7]].reset_index().to_file(seven)
        upload(tab, seven)
        tab.page.get_by_text(words("app.modes.replace", lang), exact=True).click()
        tab.settle()
        button = tab.panel().get_by_role("button", name=words("app.import_as.replace", lang))
        tab.panel().get_by_label(words("app.user", lang), exact=True).fill("A. Diallo")
        assert button.is_disabled()
        tab.page.get_by_text(words("app.removal_consent", lang, count=len(after) - 7)).click()
        tab.settle()
        assert button.is_enabled()
        button.click()
        tab.settle()
        assert len(store.read("posts")) == 7
        replaced = store.history()[-1].version
        tab.shot("replaced")

        # 3. a bad file: every finding, in words, within seconds; nothing can be imported
        huge = tmp_path / "coordonnees.geojson"
        huge.write_text(json.dumps(HUGE))
        assert upload(tab, huge) < 20
        assert tab.shows("1E308") and tab.shows(words("app.import_blocked", lang))
        assert store.history()[-1].version == replaced
        tab.shot("bad-file")

        # 4. in the other language: the history, a rollback, the history refreshed at once
        tab.language(other)
        tab.tab("app.history", other)
        assert tab.shows(words("cli.action.update", other))
        picker = tab.page.locator("[data-testid=stSelectbox]").filter(
            has_text=words("app.rollback_choose", other))
        tab.choose(picker, f"v{start + 1} ·")
        tab.panel().get_by_label(words("app.user", other), exact=True).fill("A. Diallo")
        tab.panel().get_by_role("button", name=words("app.rollback", other)).click()
        tab.settle()
        restored = store.history()[-1].version
        assert restored == replaced + 1 and len(store.read("posts")) == len(before)
        assert tab.shows(words("app.rolled_back", other, version=start + 1, new=restored))
        history = tab.static_table(words("app.col.changes", other))
        assert history[1][0] == str(restored)  # the new version heads the table already
        tab.shot("rolled-back")
        tab.choose(picker, f"v{restored} ·")  # what is already current is not restored twice
        tab.panel().get_by_role("button", name=words("app.rollback", other)).click()
        tab.settle()
        assert store.history()[-1].version == restored
        assert tab.shows(words("store.already_current", other, version=restored,
                               kind=words("kinds.posts", other)))

        # 5. back in the first language: a note's change read first, then accepted
        tab.language(lang)
        tab.tab("app.notes", lang)
        assert tab.shows(words("app.note_preview", lang))
        assert tab.shows(words("app.diff", lang, features=1, added=1, changed=0, removed=0,
                               unchanged=len(store.read("crossings"))))
        assert store.history()[-1].version == restored  # reading changes nothing
        tab.shot("note-preview")
        tab.panel().get_by_label(words("app.user", lang), exact=True).fill("SIG Bamako")
        tab.panel().get_by_role("button", name=words("app.note_accept", lang)).click()
        tab.settle()
        decided = next(n for n in notes(store) if n.note_id == note.note_id)
        assert decided.status == "accepted" and decided.decided_by == "SIG Bamako"
        crossings = store.read("crossings")
        added = crossings[crossings["crossing_id"] == f"NOTE-{note.note_id}"]
        assert added["name"].item() == f"Gué {lang}"
        tab.shot("note-accepted")
        assert tab.outside == []

