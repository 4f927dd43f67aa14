"""The sidebar every page shares: language, profile or saved scenario, method, weights.

Weights live in Session State under ``weight_<indicator>`` (percent, 0–100), so they
survive page changes; choosing another profile or scenario resets them to its weights.
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from ..i18n import LANGUAGES, catalogue, t
from ..paths import shipped
from ..scoring.explain import label
from ..scoring.methods import METHODS
from ..scoring.profile import Profile, load_profile
from ..scoring.scenarios import scenarios
from . import data

PROFILES_DIR = shipped("profiles", "profiles")
# settings drawn on one page only: Streamlit forgets a widget's value on a run that does not
# draw it, so they are carried over at the start of every run (``keep_page_settings``)
PAGE_SETTINGS = ("post", "opacity", "online_tiles", "note_mode", "robustness", "scenario_a", "scenario_b",
                 "budget", "max_posts", "export_format", "upload_kind", "upload_fix", "upload_user",
                 "rollback_user", "note_user", "note_crossing_kind")
WEIGHT_STEP = 0.5  # percent
DEFAULT_CHOICE = "profile:default"


def keep_page_settings() -> None:
    """Keep each page's settings while another page is shown (Streamlit's documented way)."""
    for key in PAGE_SETTINGS:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def language() -> str:
    """The FR/EN switch (French first: most delegates work in French)."""
    return st.sidebar.radio("Langue / Language", LANGUAGES, index=1, key="lang", horizontal=True,
                            format_func=lambda code: {"en": "English", "fr": "Français"}[code])


@st.cache_resource(show_spinner=False)
def shipped_profiles() -> dict[str, Profile]:
    """The profiles shipped in ``profiles/``, read once per process."""
    return {f"profile:{path.stem}": load_profile(path) for path in sorted(PROFILES_DIR.glob("*.toml"))}


def _choices() -> dict[str, Profile]:
    """Shipped profiles, then the scenarios saved in the store (read at each run: any user may save)."""
    profiles = shipped_profiles()
    saved = {f"scenario:{name}": s.profile for name, s in scenarios(data.store()).items()}
    return profiles | saved


def _choice_label(choice: str, lang: str) -> str:
    kind, _, name = choice.partition(":")
    described = f"app.profiles.{name}"
    if kind == "profile" and described in catalogue(lang):
        name = t(described, lang)
    return t(f"app.choice.{kind}", lang, name=name)


def slider_value(weight: float) -> float:
    """A weight (0–1) as a slider position: percent, to the slider's step."""
    return round(weight * 100 / WEIGHT_STEP) * WEIGHT_STEP


def set_weights(profile: Profile) -> None:
    """Put ``profile``'s method and weights into the sidebar controls (next run)."""
    st.session_state["method"] = profile.method
    for criterion in profile.criteria:
        st.session_state[f"weight_{criterion.indicator}"] = slider_value(criterion.weight)
    st.session_state["ahp"] = profile.ahp


def _on_choice() -> None:
    set_weights(_choices()[st.session_state["choice"]])


def scoring_profile(lang: str) -> Profile:
    """The profile the sidebar describes now: the chosen profile with the slider weights."""
    choices = _choices()
    if st.session_state.get("choice") not in choices:
        st.session_state["choice"] = DEFAULT_CHOICE
        set_weights(choices[DEFAULT_CHOICE])
    sidebar = st.sidebar
    sidebar.selectbox(t("app.profile", lang), list(choices), key="choice", on_change=_on_choice,
                      format_func=lambda c: _choice_label(c, lang))
    chosen = choices[st.session_state["choice"]]
    method = sidebar.selectbox(t("app.method", lang), METHODS, key="method",
                               format_func=lambda m: t(f"app.methods.{m}", lang))
    sidebar.subheader(t("app.weights", lang))
    weights = {}
    for criterion in chosen.criteria:
        key = f"weight_{criterion.indicator}"
        if key not in st.session_state:
            st.session_state[key] = slider_value(criterion.weight)
        weights[criterion.indicator] = sidebar.slider(label(criterion.indicator, lang).capitalize(), 0.0,
                                                      100.0, step=WEIGHT_STEP, key=key, format="%.1f %%")
    if sum(weights.values()) == 0:
        sidebar.warning(t("app.no_weight", lang))
        weights = {c.indicator: c.weight for c in chosen.criteria}
    profile = chosen.with_weights(weights).with_method(method)
    ahp = st.session_state.get("ahp")
    if ahp is not None and all(slider_value(ahp.weights.get(c.indicator, -1)) == weights[c.indicator]
                               for c in chosen.criteria):
        profile = replace(profile, ahp=ahp)  # the sliders still hold the AHP weights
    return profile
