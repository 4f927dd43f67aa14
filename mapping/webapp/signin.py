"""Signing in and out of the app: the sign-in screen when the project requires it, the signed-in
account in the sidebar.

A wrong name and a wrong password get the same message. Each failed attempt on a name makes the
next attempt on that name (from any browser) wait ``FAILURE_DELAY`` seconds more, up to
``MAX_DELAY``; a success clears the count. A removed account is signed out at the next run.
"""

from __future__ import annotations

import threading
import time

import streamlit as st

from ..accounts.accounts import verify
from ..accounts.roles import AccessError, Viewer
from ..i18n import t
from ..layers.store import LayerStore
from . import md_text
from . import viewer as session
from .viewer import SESSION_KEY, SignedIn

FAILURE_DELAY = 1.0  # seconds added per failed attempt on a name
MAX_DELAY = 10.0  # seconds
_failures: dict[str, int] = {}  # casefolded name -> failed attempts since the last success
_failures_lock = threading.Lock()


def delay(name: str) -> float:
    """The seconds the next sign-in attempt on ``name`` (any case) waits."""
    with _failures_lock:
        failures = _failures.get(name.strip().casefold(), 0)
    return min(failures * FAILURE_DELAY, MAX_DELAY)


def count(name: str, failed: bool) -> None:
    """Count a failed attempt on ``name``, or forget its failures after a success."""
    key = name.strip().casefold()
    with _failures_lock:
        if failed:
            _failures[key] = _failures.get(key, 0) + 1
        else:
            _failures.pop(key, None)


def gate(store: LayerStore, lang: str) -> Viewer:
    """The viewer of this run (``viewer.current``); when nobody is signed in and the project
    requires it, the sign-in screen, and the run stops."""
    try:
        return session.current()
    except AccessError:
        st.session_state.pop(SESSION_KEY, None)
    _sign_in_screen(store, lang)
    st.stop()


def _sign_in_screen(store: LayerStore, lang: str) -> None:
    st.title(t("signin.title", lang))
    st.caption(t("signin.intro", lang))
    with st.form("sign_in", clear_on_submit=True):
        name = st.text_input(t("signin.name", lang), key="signin_name")
        password = st.text_input(t("signin.password", lang), type="password", key="signin_password")
        submitted = st.form_submit_button(t("signin.submit", lang), type="primary")
    if not submitted:
        return
    time.sleep(delay(name))
    account = verify(store, name, password)
    count(name, failed=account is None)
    if account is None:
        st.error(t("signin.failed", lang))
        return
    st.session_state[SESSION_KEY] = SignedIn(account.name, account.session_key)
    st.rerun()


KEPT_AT_SIGN_OUT = ("lang",)  # the sidebar's language switch


def _sign_out() -> None:
    """Forget everything of this session (the next person at this browser starts afresh),
    but its language."""
    kept = {key: st.session_state[key] for key in KEPT_AT_SIGN_OUT if key in st.session_state}
    st.session_state.clear()
    st.session_state.update(kept)


def sidebar(viewer: Viewer, lang: str) -> None:
    """Who is signed in, with their role, and the sign-out button (nothing to sign out of when
    the project has one user)."""
    if viewer.local:
        st.sidebar.caption(t("signin.local_user", lang))
        return
    st.sidebar.markdown(md_text(t("signin.signed_in_as", lang, name=viewer.name,
                                  role=t(f"accounts.roles.{viewer.role.value}", lang))))
    st.sidebar.button(t("signin.sign_out", lang), key="sign_out", on_click=_sign_out)
