"""The Layers page's tab of sensitivity levels: each layer's level for everyone, the form that
changes one for a viewer who may import (``Permission.IMPORT``), and the audit log of exports
for an administrator (``Permission.ACCOUNTS``)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ..accounts.roles import AccessError, Permission, Sensitivity, Viewer
from ..errors import BordermapError
from ..i18n import t
from ..layers.store import LayerStore
from ..protection.audit import audit_frame, treatment
from ..protection.grid import CELL_KM
from ..protection.levels import LEVELLED_KINDS, layer_levels, set_level
from . import error_text, tables
from .choices import choose
from .viewer import acting


def _set(store: LayerStore, lang: str) -> None:
    """The form's callback: the viewer's role read again now, then the chosen level stored."""
    kind, level = st.session_state["level_kind"], st.session_state["level_value"]
    try:
        set_level(store, str(kind), Sensitivity.parse(str(level)), acting(Permission.IMPORT))
        st.session_state["level_outcome"] = ("success", t("protection.level_set", lang,
                                                          kind=t(f"kinds.{kind}", lang),
                                                          level=t(f"accounts.levels.{level}", lang)))
    except (AccessError, BordermapError) as error:
        st.session_state["level_outcome"] = ("error", error_text(error, lang))


def levels_tab(store: LayerStore, viewer: Viewer, lang: str) -> None:
    """Each levelled kind with its level and what those not cleared see; the form to change a
    level when ``viewer`` may import; the audit log when ``viewer`` may manage accounts."""
    if (outcome := st.session_state.pop("level_outcome", None)) is not None:
        getattr(st, outcome[0])(outcome[1])
    st.caption(t("protection.levels_help", lang, cell=CELL_KM))
    levels = layer_levels(store)
    seen = treatment(levels, viewer)
    tables.text_table(pd.DataFrame({
        t("app.kind", lang): [t(f"kinds.{kind}", lang) for kind in LEVELLED_KINDS],
        t("protection.col.level", lang): [t(f"accounts.levels.{levels[k].label}", lang)
                                          for k in LEVELLED_KINDS],
        t("protection.col.yours", lang): [t(f"protection.seen.{seen.get(k, 'full')}", lang)
                                          for k in LEVELLED_KINDS]}))
    if viewer.may(Permission.IMPORT):
        cols = st.columns([2, 2, 1], vertical_alignment="bottom")
        with cols[0]:
            choose(st.selectbox, t("protection.level_kind", lang), list(LEVELLED_KINDS), "level_kind",
                   lambda k: t(f"kinds.{k}", lang))
        with cols[1]:
            choose(st.selectbox, t("protection.col.level", lang), [s.label for s in Sensitivity],
                   "level_value", lambda s: t(f"accounts.levels.{s}", lang))
        cols[2].button(t("protection.set_level", lang), key="level_button", on_click=_set,
                       args=(store, lang))
    if viewer.may(Permission.ACCOUNTS):
        st.subheader(t("protection.audit_title", lang))
        log = audit_frame(store, viewer, lang)
        if log.empty:
            st.info(t("protection.audit_empty", lang))
        else:
            tables.text_table(log.iloc[::-1])
