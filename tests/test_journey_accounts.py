"""Accounts in the browser: the administrator signs in (in French) and adds a delegate's account;
the delegate signs in, is offered no Layers import and no Accounts page, leaves a note on the map
(recorded under their account's name), switches to English and leaves another."""

from __future__ import annotations

import pytest
from browser import SIGN_IN_READY, Browser, accounts_app, browser, plain, sign_in, words

from mapping.accounts.accounts import find
from mapping.accounts.roles import Role
from mapping.layers.notes import notes
from mapping.layers.user_store import open_store

ADMIN, DELEGATE = ("Aminata", "sahel-2026"), ("Moussa", "delegue-2026")


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """The app on the demo data with one administrator account."""
    with accounts_app(tmp_path_factory.mktemp("accounts"), ADMIN) as server:
        yield server


def sidebar(tab: Browser) -> str:
    return plain(tab.page.locator("[data-testid=stSidebar]").inner_text())


def nav(tab: Browser) -> str:
    return plain(tab.page.locator("[data-testid=stSidebarNav]").inner_text())


def leave_note(tab: Browser, text: str, lang: str, at: dict, switch_on: bool) -> None:
    """Switch the note mode on (``switch_on``: it stays on through a language switch), click the
    map at ``at``, fill and save the note form."""
    if switch_on:
        tab.page.get_by_text(words("app.map_options", lang)).click()
        tab.page.get_by_text(words("app.note_mode", lang)).click()
        tab.settle()
    tab.map().locator(".leaflet-container").click(position=at)
    tab.settle()
    form = tab.page.locator("[data-testid=stForm]").filter(has_text=words("app.note.save", lang))
    form.wait_for(timeout=30_000)
    assert form.get_by_label(words("app.note.author", lang), exact=True).count() == 0  # the account's name
    form.get_by_label(words("app.note.organisation", lang), exact=True).fill("Douanes")
    form.get_by_label(words("app.note.text", lang), exact=True).fill(text)
    tab.shot(f"note-form-{lang}")
    form.get_by_role("button", name=words("app.note.save", lang)).click()
    tab.settle()
    tab.healthy()
    assert words("app.note.saved", lang) in tab.text()


def test_an_admin_adds_a_delegate_who_signs_in_and_leaves_notes(app):
    store = open_store(app.store)
    with browser(app, "accounts-admin", ready=SIGN_IN_READY) as tab:
        assert words("signin.intro", "fr") in tab.text()
        tab.shot("sign-in")
        sign_in(tab, *ADMIN, "fr")
        assert words("signin.signed_in_as", "fr", name=ADMIN[0], role=words("accounts.roles.admin", "fr")) \
            in sidebar(tab)
        navigation = tab.page.locator("[data-testid=stSidebarNav]")
        navigation.get_by_text(words("admin.page", "fr"), exact=True).click()
        tab.page.locator("[data-testid=stMain] h1").filter(has_text=words("admin.page", "fr")).wait_for()
        tab.settle()
        form = tab.page.locator("[data-testid=stForm]").filter(has_text=words("admin.add_button", "fr"))
        form.get_by_label(words("admin.name", "fr"), exact=True).fill(DELEGATE[0])
        tab.choose(form.locator("[data-testid=stSelectbox]"), words("accounts.roles.delegate", "fr"))
        form.get_by_label(words("admin.password", "fr"), exact=True).fill(DELEGATE[1])
        form.get_by_label(words("admin.password_again", "fr"), exact=True).fill(DELEGATE[1])
        form.get_by_role("button", name=words("admin.add_button", "fr")).click()
        tab.settle()
        tab.healthy()
        assert tab.shows(words("admin.added", "fr", name=DELEGATE[0],
                               role=words("accounts.roles.delegate", "fr")))
        added = find(store, DELEGATE[0])
        assert added is not None and added.role is Role.DELEGATE and added.created_by == ADMIN[0]
        tab.shot("delegate-added")
        tab.page.get_by_role("button", name=words("signin.sign_out", "fr")).click()
        tab.settle()
        assert tab.shows(words("signin.intro", "fr"))

    with browser(app, "accounts-delegate", ready=SIGN_IN_READY) as tab:
        sign_in(tab, *DELEGATE, "fr")
        tab.shot("delegate-signed-in")
        shown = nav(tab)
        assert words("app.pages.map", "fr") in shown
        assert words("app.pages.layers", "fr") not in shown and words("admin.page", "fr") not in shown
        assert tab.page.locator("[data-testid=stSidebar] [data-testid=stSlider]").count() == 0  # no weights
        leave_note(tab, "Poste fermé la nuit", "fr", {"x": 120, "y": 160}, switch_on=True)
        tab.language("en")
        assert words("signin.signed_in_as", "en", name=DELEGATE[0],
                     role=words("accounts.roles.delegate", "en")) in sidebar(tab)
        assert words("app.pages.layers", "en") not in nav(tab)
        leave_note(tab, "Queue of lorries at dawn", "en", {"x": 160, "y": 200}, switch_on=False)
        tab.shot("delegate-english")
    left = {n.text: n.author for n in notes(store)}
    assert left == {"Poste fermé la nuit": DELEGATE[0], "Queue of lorries at dawn": DELEGATE[0]}
