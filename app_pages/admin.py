"""Accounts (administrators): who may use the project and with which role; add an account, change
a role, set a password, remove an account, with the refusals of ``bordermap users``. Every
action checks the right to manage accounts when it writes."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from mapping.accounts.accounts import (
    AccountError,
    accounts,
    add_account,
    remove_account,
    set_password,
    set_role,
)
from mapping.accounts.roles import Permission, Role
from mapping.errors import BordermapError
from mapping.i18n import t
from mapping.webapp import data, error_text, format_time, md_text, tables
from mapping.webapp.choices import choose
from mapping.webapp.viewer import acting, current

ctx = data.page()
lang = ctx.lang
store = data.store()
current().require(Permission.ACCOUNTS)
st.title(t("admin.page", lang))
st.caption(t("admin.intro", lang))


def role_name(role: Role | str) -> str:
    return t(f"accounts.roles.{Role(role).value}", lang)


def act(change: Callable[[], str]) -> None:
    """Run ``change`` (it returns the message of what it did) for a viewer who may manage
    accounts; the outcome is shown by the next run."""
    try:
        acting(Permission.ACCOUNTS)
        st.session_state["admin_outcome"] = ("success", change())
    except BordermapError as error:
        st.session_state["admin_outcome"] = ("error", error_text(error, lang))


def checked_twice(first_key: str, second_key: str) -> str:
    first, second = st.session_state.get(first_key) or "", st.session_state.get(second_key) or ""
    if first != second:
        raise AccountError("passwords_differ")
    return str(first)


def add() -> None:
    def change() -> str:
        account = add_account(store, st.session_state.get("admin_new_name") or "",
                              Role(st.session_state.get("admin_new_role") or Role.DELEGATE),
                              checked_twice("admin_new_password", "admin_new_password_again"), current().name)
        return t("admin.added", lang, name=md_text(account.name), role=role_name(account.role))
    act(change)


def change_role(name: str) -> None:
    def change() -> str:
        account = set_role(store, name, Role(st.session_state.get("admin_role") or Role.DELEGATE))
        return t("admin.role_set", lang, name=md_text(account.name), role=role_name(account.role))
    act(change)


def reset_password(name: str) -> None:
    def change() -> str:
        account = set_password(store, name, checked_twice("admin_password", "admin_password_again"))
        return t("admin.password_set", lang, name=md_text(account.name))
    act(change)


def remove(name: str) -> None:
    def change() -> str:
        if not st.session_state.get(f"admin_remove_{name}"):  # the consent ticked
            raise AccountError("remove_consent", name=name)
        account = remove_account(store, name)
        return t("admin.removed", lang, name=md_text(account.name))
    act(change)


if (outcome := st.session_state.pop("admin_outcome", None)) is not None:
    (st.success if outcome[0] == "success" else st.error)(outcome[1])

found = accounts(store)
st.subheader(t("admin.list", lang))
if not found:
    st.info(t("admin.none", lang))
else:
    tables.text_table(pd.DataFrame({
        t("cli.users.name", lang): [a.name for a in found],
        t("cli.users.role", lang): [role_name(a.role) for a in found],
        t("cli.users.created", lang): [format_time(a.created, lang) if a.created else None for a in found],
        t("cli.users.created_by", lang): [a.created_by for a in found],
    }))

roles = [r.value for r in Role]
st.subheader(t("admin.add", lang))
with st.form("admin_add", clear_on_submit=True):
    cols = st.columns(2)
    cols[0].text_input(t("admin.name", lang), key="admin_new_name")
    with cols[1]:
        st.selectbox(t("admin.role", lang), roles, key="admin_new_role", format_func=role_name,
                     index=roles.index(Role.DELEGATE if found else Role.ADMIN))
    cols = st.columns(2)
    cols[0].text_input(t("admin.password", lang), type="password", key="admin_new_password")
    cols[1].text_input(t("admin.password_again", lang), type="password", key="admin_new_password_again")
    st.form_submit_button(t("admin.add_button", lang), on_click=add, type="primary")

if found:
    st.subheader(t("admin.change", lang))
    by_name = {a.name: a for a in found}
    chosen = str(choose(st.selectbox, t("admin.account", lang), list(by_name), "admin_account",
                        lambda n: f"{n} ({role_name(by_name[n].role)})"))
    with st.form("admin_role"):
        st.selectbox(t("admin.new_role", lang), roles, key="admin_role", format_func=role_name,
                     index=roles.index(by_name[chosen].role))
        st.form_submit_button(t("admin.role_button", lang), on_click=change_role, args=(chosen,))
    with st.form("admin_password", clear_on_submit=True):
        cols = st.columns(2)
        cols[0].text_input(t("admin.new_password", lang), type="password", key="admin_password")
        cols[1].text_input(t("admin.password_again", lang), type="password", key="admin_password_again")
        st.form_submit_button(t("admin.password_button", lang), on_click=reset_password, args=(chosen,))
    consent = st.checkbox(t("admin.remove_consent", lang, name=md_text(chosen)), key=f"admin_remove_{chosen}")
    st.button(t("admin.remove_button", lang), key="admin_remove", disabled=not consent, on_click=remove,
              args=(chosen,))
