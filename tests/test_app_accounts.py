"""Accounts in the app (AppTest, demo data): the sign-in screen, each role's pages and controls,
writes refused on the server for a role that may not make them (the store unchanged), the
account's name recorded, the admin page and the single-user mode."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from mapping.accounts.accounts import accounts, add_account, find, remove_account, set_password, set_role
from mapping.accounts.roles import Role, Viewer
from mapping.i18n import t
from mapping.layers.clearing import clear_layer
from mapping.layers.notes import add_note, notes
from mapping.layers.user_store import open_store
from mapping.project import change_settings, load_settings
from mapping.webapp import signin
from mapping.webapp.viewer import SignedIn
from tests.apptest import keyed as choice
from tests.apptest import run
from tests.conftest import plain

APP = str(Path(__file__).resolve().parents[1] / "app.py")
PAGES = {name: f"app_pages/{name}.py" for name in
         ("map_ranking", "shortlist_export", "scenario", "layers", "method", "admin")}
PEOPLE = {"Aminata": Role.ADMIN, "Ibrahim": Role.GIS, "Mariam": Role.MANAGER, "Moussa": Role.DELEGATE}
PASSWORD = "sahel-2026"


@pytest.fixture
def store_path(store_copy, monkeypatch) -> Path:
    """The demo store with one account per role."""
    monkeypatch.setenv("BORDERMAP_STORE", str(store_copy))
    store = open_store(store_copy)
    for name, role in PEOPLE.items():
        add_account(store, name, role, PASSWORD, "test")
    return store_copy


def signed_in(name: str) -> AppTest:
    """The app with ``name`` signed in (as the sign-in screen leaves it)."""
    app = AppTest.from_file(APP, default_timeout=120)
    app.session_state["viewer"] = session_of(name)
    return run(app)


def session_of(name: str) -> SignedIn:
    """What the sign-in screen keeps in Session State for the account ``name``."""
    return SignedIn(name, find(open_store(os.environ["BORDERMAP_STORE"]), name).session_key)


def pages(app: AppTest) -> set[str]:
    """The pages the navigation offers (a page it does not offer cannot be switched to)."""
    offered = set()
    for name, page in PAGES.items():
        try:
            app.switch_page(page)
        except ValueError:
            continue
        offered.add(name)
    app.switch_page(PAGES["map_ranking"])
    return offered


def unescaped(markdown: str) -> str:
    """Markdown text as the reader sees it (escapes removed, spaces plain)."""
    return plain(re.sub(r"\\(.)", r"\1", markdown))


def sidebar_text(app: AppTest) -> str:
    return unescaped(" ".join(m.value for m in app.sidebar.markdown))


def sign_in(app: AppTest, name: str, password: str) -> AppTest:
    app.text_input(key="signin_name").input(name)
    app.text_input(key="signin_password").input(password)
    app.button[0].click()
    return run(app)


def test_sign_in_is_asked_and_a_wrong_name_or_password_get_the_same_message(store_path):
    app = run(AppTest.from_file(APP, default_timeout=120))
    assert [t.value for t in app.title] == ["Connexion"] and not app.table  # nothing of the project shown
    sign_in(app, "Moussa", "pas-le-bon")
    wrong_password = [e.value for e in app.error]
    sign_in(app, "Personne", PASSWORD)
    assert [e.value for e in app.error] == wrong_password == ["Nom ou mot de passe erroné."]
    sign_in(app, "moussa", PASSWORD)
    assert "postes frontières" in app.title[0].value
    assert "Connecté : Moussa (délégué)" in sidebar_text(app)
    app.button(key="sign_out").click()
    run(app)
    assert [t.value for t in app.title] == ["Connexion"]


def test_failed_sign_ins_on_a_name_slow_the_next_ones_until_one_succeeds():
    name = "Personne-delai"
    assert signin.delay(name) == 0
    for _ in range(3):
        signin.count(name, failed=True)
    assert signin.delay(name.upper()) == 3 * signin.FAILURE_DELAY
    for _ in range(20):
        signin.count(name, failed=True)
    assert signin.delay(name) == signin.MAX_DELAY
    signin.count(name, failed=False)
    assert signin.delay(name) == 0


@pytest.mark.parametrize(("name", "offered"), [
    ("Moussa", {"map_ranking", "method"}),
    ("Mariam", {"map_ranking", "shortlist_export", "scenario", "method"}),
    ("Ibrahim", {"map_ranking", "layers", "method"}),
    ("Aminata", set(PAGES)),
])
def test_each_role_sees_its_pages_and_controls(store_path, name, offered):
    app = signed_in(name)
    assert pages(app) == offered
    weights = [s for s in app.sidebar.slider if str(s.key).startswith("weight_")]
    assert bool(weights) == (PEOPLE[name] in (Role.MANAGER, Role.ADMIN))  # weights: the scoring right
    assert [t.key for t in app.toggle if t.key == "note_mode"] == ["note_mode"]  # every role leaves notes


def test_a_session_that_claims_a_role_gets_its_account_s_role(store_path):
    app = AppTest.from_file(APP, default_timeout=120)
    app.session_state["viewer"] = Viewer("Moussa", Role.ADMIN)  # not what sign-in keeps: refused
    run(app)
    assert t("signin.intro", "fr") in [c.value for c in app.caption]
    app.session_state["viewer"] = session_of("Moussa")  # a delegate's session: the store's role
    run(app)
    assert pages(app) == {"map_ranking", "method"}
    assert not [s for s in app.sidebar.slider if str(s.key).startswith("weight_")]


def test_a_session_ends_when_its_account_is_made_again_or_given_a_new_password(store_path):
    store = open_store(store_path)
    app = signed_in("Moussa")
    assert "map_ranking" in pages(app)
    set_password(store, "Moussa", "nouveau-mot-2026")  # reset by an administrator
    run(app)
    assert t("signin.intro", "fr") in [c.value for c in app.caption]  # signed out
    app = signed_in("Moussa")
    remove_account(store, "Moussa")
    add_account(store, "moussa", Role.ADMIN, PASSWORD, "Aminata")  # someone else, same name
    run(app)
    assert t("signin.intro", "fr") in [c.value for c in app.caption]


def test_a_gis_account_acts_under_its_name_and_a_demoted_one_is_refused(store_path):
    store = open_store(store_path)
    clear_layer(store, "crossings", "setup")  # a version to roll back from
    app = signed_in("Ibrahim")
    run(app, PAGES["layers"])
    assert not [t for t in app.text_input if t.key in ("upload_user", "rollback_user", "note_user")]
    assert t("app.project.settings", "fr") not in [e.label for e in app.expander]  # administrators only
    choice(app.selectbox, "rollback_version").set_value(store.history("crossings")[-2].version)
    app.button(key="rollback_button").click()
    run(app)
    assert store.history()[-1].user == "Ibrahim"
    # the role changes while the page is open: the button drawn before is refused on the server
    set_role(store, "Ibrahim", Role.DELEGATE)
    before = store.history()
    choice(app.selectbox, "rollback_version").set_value(store.history("crossings")[-2].version)
    app.button(key="rollback_button").click()
    run(app)
    assert store.history() == before  # no version made (the file may hold the app's derived caches)
    kind, message = app.session_state["rollback_outcome"]  # the page is no longer offered to show it
    assert kind == "error" and "Ibrahim (délégué)" in unescaped(message)
    assert "layers" not in pages(app)


def test_a_note_decision_from_a_delegate_s_session_is_refused(store_path):
    store = open_store(store_path)
    near = store.read("borders").geometry.iloc[0].interpolate(0.5, normalized=True)
    add_note(store, author="Moussa", organisation="Douanes", country="MRT", kind="other", text="Horaires",
             lon=near.x, lat=near.y)
    app = signed_in("Ibrahim")
    run(app, PAGES["layers"])
    app.session_state["viewer"] = session_of("Moussa")  # the session changed under the page
    before = store.history()
    app.button(key="note_dismiss").click()
    app.run()
    assert notes(store)[0].status == "open" and store.history() == before


def test_the_admin_page_adds_and_refuses_as_the_command_line_does(store_path):
    store = open_store(store_path)
    app = signed_in("Aminata")
    run(app, PAGES["admin"])
    app.text_input(key="admin_new_name").input("Fatou")
    choice_box = next(s for s in app.selectbox if s.key == "admin_new_role")
    choice_box.set_value("delegate")
    app.text_input(key="admin_new_password").input("delegue-22")
    app.text_input(key="admin_new_password_again").input("delegue-23")
    app.button(key="FormSubmitter:admin_add-Ajouter").click()
    run(app)
    assert "Les deux mots de passe ne sont pas les mêmes." in [unescaped(e.value) for e in app.error]
    assert find(store, "Fatou") is None
    app.text_input(key="admin_new_name").input("Fatou")
    next(s for s in app.selectbox if s.key == "admin_new_role").set_value("delegate")
    app.text_input(key="admin_new_password").input("delegue-22")
    app.text_input(key="admin_new_password_again").input("delegue-22")
    app.button(key="FormSubmitter:admin_add-Ajouter").click()
    run(app)
    added = find(store, "Fatou")
    assert added is not None and added.role is Role.DELEGATE and added.created_by == "Aminata"
    # the last administrator cannot leave
    choice(app.selectbox, "admin_account").set_value("Aminata")
    run(app)
    app.checkbox(key="admin_remove_Aminata").check()
    run(app)
    app.button(key="admin_remove").click()
    run(app)
    assert any("dernier administrateur" in unescaped(e.value) for e in app.error)
    assert [a.name for a in accounts(store)] == [*PEOPLE, "Fatou"]


def test_an_admin_turns_sign_in_off_in_the_project_settings(store_path):
    app = signed_in("Aminata")
    run(app, PAGES["layers"])
    app.radio(key="project_sign_in").set_value("off")
    next(b for b in app.button if b.label == t("app.project.save", "fr")).click()
    run(app)
    assert load_settings(open_store(store_path)).sign_in is False
    assert "Un seul utilisateur" in " ".join(c.value for c in app.sidebar.caption)  # no one to sign out


def test_single_user_mode_asks_no_sign_in_and_keeps_the_typed_names(store_path):
    change_settings(open_store(store_path), sign_in=False)
    app = run(AppTest.from_file(APP, default_timeout=120))
    assert "postes frontières" in app.title[0].value
    assert pages(app) == set(PAGES)
    run(app, PAGES["layers"])
    assert {"rollback_user", "clear_user"} <= {t.key for t in app.text_input}  # the names typed, as before
