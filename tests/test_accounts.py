"""Local accounts: hashed passwords, refusals that write nothing, the last administrator kept,
the ``bordermap users`` commands and the project's sign-in setting."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from click.testing import CliRunner
from conftest import plain, sha256_of

from mapping.accounts.accounts import (
    AccountError,
    accounts,
    add_account,
    find,
    remove_account,
    set_password,
    set_role,
    verify,
)
from mapping.accounts.roles import Role
from mapping.cli import main
from mapping.layers.gpkg_store import GeoPackageStore
from mapping.project import ProjectError, change_settings, init_project, load_settings, sign_in_required

PASSWORD = "sahel-2026"


@pytest.fixture
def store(tmp_path) -> GeoPackageStore:
    """An empty project (accounts need no layer)."""
    return init_project(tmp_path / "store.gpkg", "empty")


def with_admin(store: GeoPackageStore) -> GeoPackageStore:
    add_account(store, "Aminata", Role.ADMIN, PASSWORD, "test")
    return store


def test_a_password_is_stored_hashed_and_verified(store):
    with_admin(store)
    stored = json.dumps(store.records("accounts"))
    assert PASSWORD not in stored
    assert verify(store, "aminata", PASSWORD).name == "Aminata"  # any case
    assert verify(store, "Aminata", PASSWORD + "x") is None
    assert verify(store, "Moussa", PASSWORD) is None


def test_a_hash_made_with_older_parameters_is_replaced_at_sign_in(store):
    old = PasswordHasher(time_cost=1, memory_cost=8192)
    store.save_record("accounts", "Aminata", {"id": "Aminata", "name": "Aminata", "role": "admin",
                                              "created": "", "created_by": "",
                                              "password_hash": old.hash(PASSWORD)})
    assert verify(store, "Aminata", PASSWORD) is not None
    renewed = find(store, "Aminata").password_hash
    assert not PasswordHasher().check_needs_rehash(renewed)
    assert verify(store, "Aminata", PASSWORD) is not None


def test_the_first_account_must_be_an_administrator(store):
    with pytest.raises(AccountError) as refused:
        add_account(store, "Moussa", Role.DELEGATE, PASSWORD, "test")
    assert refused.value.code == "first_admin"
    assert accounts(store) == []


@pytest.mark.parametrize(("name", "password", "code"), [
    ("aminata", PASSWORD, "name_taken"), (" AMINATA ", PASSWORD, "name_taken"), ("", PASSWORD, "bad_name"),
    ("Moussa\x1b[2J", PASSWORD, "bad_name"), ("x" * 65, PASSWORD, "bad_name"),
    ("Moussa", "short", "short_password")])
def test_a_refused_account_writes_nothing(store, name, password, code):
    with_admin(store)
    before = store.records("accounts")
    with pytest.raises(AccountError) as refused:
        add_account(store, name, Role.DELEGATE, password, "test")
    assert refused.value.code == code
    assert store.records("accounts") == before


def test_the_last_administrator_is_neither_removed_nor_demoted(store):
    with_admin(store)
    add_account(store, "Moussa", Role.DELEGATE, PASSWORD, "Aminata")
    for change in (lambda: remove_account(store, "Aminata"), lambda: set_role(store, "aminata", Role.GIS)):
        with pytest.raises(AccountError) as refused:
            change()
        assert refused.value.code == "last_admin"
    set_role(store, "Moussa", Role.ADMIN)
    set_role(store, "Aminata", Role.MANAGER)  # another administrator now exists
    remove_account(store, "Aminata")
    assert [(a.name, a.role) for a in accounts(store)] == [("Moussa", Role.ADMIN)]


def test_a_new_password_replaces_the_old_one(store):
    with_admin(store)
    set_password(store, "Aminata", "nouveau-mot")
    assert verify(store, "Aminata", PASSWORD) is None
    assert verify(store, "Aminata", "nouveau-mot") is not None


def test_sign_in_is_required_once_accounts_exist_unless_the_project_says_one_user(store):
    assert not sign_in_required(store)
    with pytest.raises(ProjectError):
        change_settings(store, sign_in=True)  # nobody could sign in
    with_admin(store)
    assert sign_in_required(store)
    change_settings(store, sign_in=False)
    assert not sign_in_required(store)
    change_settings(store, reset=("sign_in",))
    assert load_settings(store).sign_in is None and sign_in_required(store)


# ------------------------------------------------------------------ bordermap users
def cli(store: Path, *args: str, lang: str = "en", input: str | None = None):
    result = CliRunner().invoke(main, [*args, "--store", str(store), "--lang", lang], input=input)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def test_users_add_reads_one_line_of_standard_input(store_copy):
    added = cli(store_copy, "users", "add", "Aminata", "--role", "admin", "--password-stdin",
                input=PASSWORD + "\n")
    assert added.exit_code == 0, added.output
    assert "Added the account Aminata (administrator)." in added.output
    assert PASSWORD not in added.output
    assert verify(GeoPackageStore(store_copy), "Aminata", PASSWORD) is not None


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_users_add_asks_the_password_twice(store_copy, lang):
    cli(store_copy, "users", "add", "Aminata", "--role", "admin", "--password-stdin", input=PASSWORD)
    added = cli(store_copy, "users", "add", "Moussa", "--role", "delegate", lang=lang,
                input="delegue-1\ndelegue-1\n")
    assert added.exit_code == 0, added.output
    assert {"en": "Password for Moussa", "fr": "Mot de passe de Moussa"}[lang] in added.output
    assert "delegue-1" not in added.output  # hidden
    assert {"en": "(delegate)", "fr": "(délégué)"}[lang] in added.output
    before = sha256_of(store_copy)
    differ = cli(store_copy, "users", "passwd", "Moussa", lang=lang, input="autre-mot-1\nautre-mot-2\n")
    assert differ.exit_code == 1
    assert {"en": "The two passwords are not the same.",
            "fr": "Les deux mots de passe ne sont pas les mêmes."}[lang] in differ.output
    assert sha256_of(store_copy) == before
    listed = plain(cli(store_copy, "users", "list", lang=lang).output)
    assert {"en": "Created by", "fr": "Créé par"}[lang] in listed
    assert "Moussa" in listed and {"en": "delegate", "fr": "délégué"}[lang] in listed


@pytest.mark.parametrize(("args", "stdin", "words"), [
    (("users", "add", "Moussa", "--role", "delegate", "--password-stdin"), PASSWORD,
     "Le premier compte doit être un administrateur"),
    (("users", "add", "Aminata", "--role", "admin", "--password-stdin"), "", "Aucun mot de passe"),
    (("users", "remove", "Personne"), None, "Il n’y a pas de compte « Personne »"),
])
def test_a_refused_command_says_why_in_french_and_changes_nothing(store_copy, args, stdin, words):
    before = sha256_of(store_copy)
    result = cli(store_copy, *args, lang="fr", input=stdin)
    assert result.exit_code == 1
    assert words in plain(result.output)
    assert sha256_of(store_copy) == before


def test_users_remove_refuses_the_last_admin_and_list_gives_json(store_copy):
    cli(store_copy, "users", "add", "Aminata", "--role", "admin", "--password-stdin", input=PASSWORD)
    refused = cli(store_copy, "users", "remove", "aminata")
    assert refused.exit_code == 1 and "last administrator" in refused.output
    cli(store_copy, "users", "add", "Moussa", "--role", "gis", "--password-stdin", input=PASSWORD)
    assert cli(store_copy, "users", "role", "Moussa", "admin").exit_code == 0
    assert cli(store_copy, "users", "remove", "Aminata").exit_code == 0
    found = json.loads(cli(store_copy, "users", "list", "--format", "json").output)
    assert [(a["name"], a["role"]) for a in found] == [("Moussa", "admin")]
    assert set(found[0]) == {"name", "role", "created", "created_by"}


def test_project_set_sign_in(store_copy):
    refused = cli(store_copy, "project", "set", "--sign-in", "on", lang="fr")
    assert refused.exit_code == 1 and "aucun compte" in refused.output
    cli(store_copy, "users", "add", "Aminata", "--role", "admin", "--password-stdin", input=PASSWORD)
    assert sign_in_required(GeoPackageStore(store_copy))
    off = cli(store_copy, "project", "set", "--sign-in", "off")
    assert off.exit_code == 0 and "Sign-in: off" in off.output
    assert not sign_in_required(GeoPackageStore(store_copy))


def test_two_admins_demoting_each_other_at_once_leave_one_admin(store):
    """The last-admin check and the change are made under the store's writer lock: of two
    administrators demoting each other at the same moment, one is refused."""
    with_admin(store)
    add_account(store, "Oumar", Role.ADMIN, PASSWORD, "Aminata")
    for _ in range(5):
        start, refused = threading.Barrier(2), []

        def demote(name: str, start: threading.Barrier = start, refused: list = refused) -> None:
            start.wait()
            try:
                set_role(GeoPackageStore(store.path), name, Role.DELEGATE)
            except AccountError as error:
                refused.append(error.code)

        threads = [threading.Thread(target=demote, args=(name,)) for name in ("Aminata", "Oumar")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert refused == ["last_admin"]
        assert [a.name for a in accounts(store) if a.role is Role.ADMIN] != []
        for account in accounts(store):  # both administrators again for the next round
            set_role(store, account.name, Role.ADMIN)
