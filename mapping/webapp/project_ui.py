"""The project in the app: the first-run screen (a new project, empty or from the demo), the
notice of a project without posts, its settings and clearing a layer (Layers page)."""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
import streamlit as st

from ..accounts.roles import Permission
from ..errors import BordermapError
from ..i18n import t
from ..layers.clearing import clear_layer
from ..layers.store import LayerStore
from ..project import STARTS, Project, change_settings, init_project
from . import error_text, md_text
from . import viewer as session
from .choices import choose
from .viewer import acting, author, name_field

LAYERS_PAGE = "app_pages/layers.py"
SIGN_IN = {"auto": None, "on": True, "off": False}  # the sign-in choices and the setting they save


def first_run(path: str, shown: str, lang: str) -> None:
    """The screen shown while the store at ``path`` (shown as ``shown``: no password) does not
    exist: start empty or from the demo, with a name; the project is created on the button's
    press, then the app opens on it."""
    st.title(t("app.project.first_run_title", lang))
    st.markdown(md_text(t("app.project.first_run_intro", lang, store=shown)))
    start = choose(st.radio, t("app.project.start", lang), STARTS, "first_run_start",
                   lambda s: t(f"app.project.starts.{s}", lang))
    name = st.text_input(t("app.project.name", lang), key="first_run_name",
                         help=t("app.project.name_help", lang))
    if st.button(t("app.project.create", lang), key="first_run_create", type="primary"):
        try:
            with st.spinner(t("app.loading", lang)):
                init_project(path, str(start), name)
        except BordermapError as error:
            st.error(error_text(error, lang))
            return
        st.session_state["project_outcome"] = ("success", t("app.project.created", lang))
        st.rerun()


def title(project: Project, lang: str) -> None:
    """The app's title, with the project's name (a name typed by a user is shown as typed)."""
    st.title(t("app.title", lang, project=md_text(project.name(lang))))
    if (outcome := st.session_state.pop("project_outcome", None)) is not None:
        st.success(outcome[1])


def require_posts(posts: gpd.GeoDataFrame | None, lang: str) -> gpd.GeoDataFrame:
    """On a page that needs posts: ``posts`` when there are some; when the project has none,
    say what to import and stop the page."""
    if posts is not None:
        return posts
    st.info(t("app.project.no_posts", lang))
    if session.current().may(Permission.IMPORT):  # the Layers page is in the navigation of those only
        st.page_link(LAYERS_PAGE, label=t("app.project.go_layers", lang), icon=":material/upload_file:")
    st.stop()


def _save(store: LayerStore, project: Project, lang: str) -> None:
    """The settings form's callback: saves what was typed and chosen (a name or countries left
    empty, and the default budget left as it is, stay derived), or says what is refused; only
    for a viewer who may change the project settings."""
    try:
        acting(Permission.PROJECT)
    except BordermapError as error:
        st.session_state["project_settings_outcome"] = ("error", error_text(error, lang))
        return
    name = (st.session_state.get("project_name") or "").strip()
    countries = st.session_state.get("project_countries") or []
    budget: float | None = float(st.session_state["project_budget"])
    if project.settings.budget is None and budget == project.budget:
        budget = None  # the default left as it is stays the default
    sign_in = SIGN_IN[st.session_state.get("project_sign_in") or "auto"]
    reset = tuple(k for k, v in (("name", name), ("countries", countries)) if not v)
    try:
        change_settings(store, name=name or None, countries=countries or None, budget=budget,
                        sign_in=sign_in, reset=reset + (("sign_in",) if sign_in is None else ()))
    except BordermapError as error:
        st.session_state["project_settings_outcome"] = ("error", error_text(error, lang))
        return
    st.session_state["project_settings_outcome"] = ("success", t("app.project.saved", lang))


def settings_expander(store: LayerStore, project: Project, known: list[str], lang: str) -> None:
    """Name, countries and default budget of the project (``known``: the countries to choose from)."""
    outcome = st.session_state.pop("project_settings_outcome", None)
    with st.expander(t("app.project.settings", lang), expanded=outcome is not None):
        if outcome is not None:
            (st.success if outcome[0] == "success" else st.error)(outcome[1])
        st.caption(t("app.project.settings_help", lang))
        with st.form("project_settings"):
            st.text_input(t("app.project.name", lang), value=project.settings.name or "", key="project_name",
                          placeholder=project.name(lang), help=t("app.project.name_help", lang))
            chosen = [c for c in (project.settings.countries or ()) if c in known]
            st.multiselect(t("app.project.countries", lang), known, default=chosen, key="project_countries",
                           format_func=lambda c: f"{project.country_name(c, lang)} ({c})",
                           placeholder=", ".join(project.countries))
            st.number_input(t("app.project.budget", lang), min_value=0, step=50_000,
                            value=int(project.budget), key="project_budget")
            current = next(k for k, v in SIGN_IN.items() if v == project.settings.sign_in)
            st.radio(t("app.project.sign_in.label", lang), list(SIGN_IN), index=list(SIGN_IN).index(current),
                     key="project_sign_in", format_func=lambda k: t(f"app.project.sign_in.{k}", lang),
                     horizontal=True, help=t("app.project.sign_in.help", lang))
            st.form_submit_button(t("app.project.save", lang), on_click=_save, args=(store, project, lang))


def _clear(store: LayerStore, kind: str, consent_key: str, lang: str) -> None:
    """The clear button's callback: needs the right to import, a name and the ticked consent
    (checked here too: a disabled button is only the browser's)."""
    try:
        user = author(Permission.IMPORT, "clear_user", kind)
    except BordermapError as error:
        st.session_state["clear_outcome"] = ("error", error_text(error, lang))
        return
    if not st.session_state.get(consent_key):
        st.session_state["clear_outcome"] = ("error", t("app.project.clear_needs_consent", lang))
        return
    try:
        version = clear_layer(store, kind, user)
    except BordermapError as error:
        st.session_state["clear_outcome"] = ("error", error_text(error, lang))
        return
    st.session_state["clear_outcome"] = ("success", t("app.project.clear_done", lang, version=version.version,
                                                       kind=t(f"kinds.{kind}", lang)))


def clear_section(store: LayerStore, layers: Mapping[str, gpd.GeoDataFrame], lang: str) -> None:
    """Clear a vector layer: the kind, its feature count in the consent to tick, the user's name."""
    st.subheader(t("app.project.clear", lang))
    if (outcome := st.session_state.pop("clear_outcome", None)) is not None:
        (st.success if outcome[0] == "success" else st.error)(outcome[1])
    kinds = [k for k, layer in layers.items() if layer is not None and not layer.empty]
    if not kinds:
        st.info(t("app.project.clear_nothing", lang))
        return
    kind = str(choose(st.selectbox, t("app.project.clear_kind", lang), kinds, "clear_kind",
                      lambda k: t(f"kinds.{k}", lang)))
    count = len(layers[kind])
    consent_key = f"clear_consent_{kind}_{count}"
    consent = st.checkbox(t("app.project.clear_consent", lang, count=count,
                            kind=t(f"kinds.{kind}", lang)), key=consent_key)
    cols = st.columns([2, 1], vertical_alignment="bottom")
    name_field(cols[0], t("app.project.clear_user", lang), "clear_user")
    cols[1].button(t("app.project.clear_button", lang), key="clear_button", disabled=not consent,
                   on_click=_clear, args=(store, kind, consent_key, lang))


def known_countries(layers: Mapping[str, gpd.GeoDataFrame], project: Project) -> list[str]:
    """The countries a user may choose for the project: the store's, its posts', the chosen ones."""
    found: set[str] = set(project.countries)
    for kind in ("countries", "posts"):
        if (layer := layers.get(kind)) is not None:
            found |= set(layer["iso3"].dropna().astype(str))
    return sorted(found)

