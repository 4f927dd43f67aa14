"""Who is using the app in this browser session (see ``mapping.accounts.roles.Viewer``), and
the name each write records.

The signed-in account's name is kept in Session State (``mapping.webapp.signin`` puts it there)
and its role is read again from the store at every call, so a removed account or a changed role
applies at once, even to a button drawn before. Every write of the app asks
``acting(permission)`` where it writes, so a control a role does not see, or a value sent for
it, is refused on the server all the same.
"""

from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from ..accounts.accounts import find
from ..accounts.roles import AccessError, Permission, Viewer, local_viewer
from ..project import sign_in_required
from . import data

SESSION_KEY = "viewer"


def current() -> Viewer:
    """The viewer of this session: on a project without sign-in, the local user (every right);
    else the signed-in account with its role in the store now; ``AccessError`` ``sign_in_needed``
    when nobody is signed in (or their account was removed)."""
    store = data.store()
    if not sign_in_required(store):
        return local_viewer()
    signed = st.session_state.get(SESSION_KEY)
    account = find(store, signed.name) if isinstance(signed, Viewer) and not signed.local else None
    if account is None:
        raise AccessError("sign_in_needed")
    return Viewer(account.name, account.role)


def acting(permission: Permission) -> Viewer:
    """The current viewer, who must be allowed ``permission`` (``AccessError`` otherwise)."""
    viewer = current()
    viewer.require(permission)
    return viewer


def author(permission: Permission, typed_key: str) -> str:
    """The name a write records, after checking ``permission``: the account's name, or on a
    project without sign-in what was typed in the text field ``typed_key`` (may be empty)."""
    viewer = acting(permission)
    if not viewer.local:
        return viewer.name
    return str(st.session_state.get(typed_key) or "").strip()


def name_field(place: DeltaGenerator, label: str, key: str) -> None:
    """The text field where the single user types their name; nothing when an account is signed
    in (its name is recorded)."""
    if current().local:
        place.text_input(label, key=key)
