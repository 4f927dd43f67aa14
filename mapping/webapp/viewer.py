"""Who is using the app in this browser session (see ``mapping.accounts.roles.Viewer``), and
the name each write records.

The signed-in account's name is kept in Session State (``mapping.webapp.signin`` puts it there)
and its role is read again from the store at every call, so a removed account or a changed role
applies at once, even to a button drawn before. Every write of the app asks
``acting(permission)`` where it writes, so a control a role does not see, or a value sent for
it, is refused on the server all the same.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from ..accounts.accounts import find
from ..accounts.roles import AccessError, Permission, Viewer, local_viewer
from ..project import sign_in_required
from ..protection.levels import require_cleared
from . import data

SESSION_KEY = "viewer"


@dataclass(frozen=True)
class SignedIn:
    """What Session State keeps of a signed-in account: its name and ``Account.session_key``."""

    name: str
    key: str


def current() -> Viewer:
    """The viewer of this session: on a project without sign-in, the local user (every right);
    else the signed-in account with its role in the store now; ``AccessError`` ``sign_in_needed``
    when nobody is signed in, or their account was removed, made again or given a new password
    since they signed in."""
    store = data.store()
    if not sign_in_required(store):
        return local_viewer()
    signed = st.session_state.get(SESSION_KEY)
    if not isinstance(signed, SignedIn):
        raise AccessError("sign_in_needed")
    account = find(store, signed.name)
    if account is None or account.session_key != signed.key:
        raise AccessError("sign_in_needed")
    return Viewer(account.name, account.role)


def acting(permission: Permission) -> Viewer:
    """The current viewer, who must be allowed ``permission`` (``AccessError`` otherwise)."""
    viewer = current()
    viewer.require(permission)
    return viewer


def author(permission: Permission, typed_key: str, kind: str | None = None) -> str:
    """The name a write records, after checking ``permission`` (and, for a write to the layer
    ``kind``, that the viewer may see it at full precision: ``protection.levels.require_cleared``):
    the account's name, or on a project without sign-in what was typed in the text field
    ``typed_key``; ``AccessError`` ``name_needed`` when nothing was typed."""
    viewer = acting(permission)
    if kind is not None:
        require_cleared(data.store(), kind, viewer)
    name = viewer.name if not viewer.local else str(st.session_state.get(typed_key) or "").strip()
    if not name:
        raise AccessError("name_needed")
    return name


def name_field(place: DeltaGenerator, label: str, key: str) -> None:
    """The text field where the single user types their name; nothing when an account is signed
    in (its name is recorded)."""
    if current().local:
        place.text_input(label, key=key)
