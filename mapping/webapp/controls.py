"""The sidebar every page shares: language, the countries and borders ranked, profile or saved
scenario, method, weights.

The chosen profile and method are kept by ``choices.choose`` (stable values, whatever the
language). Weights live in Session State under ``weight_<indicator>``: each slider holds the
criterion's importance in points (0–100) and its label shows the effective weight, the points
divided by their sum, in the locale's format.
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from ..i18n import LANGUAGES, catalogue, format_percent, t
from ..paths import shipped
from ..scoring.explain import label
from ..scoring.methods import METHODS
from ..scoring.profile import Profile, load_profile
from ..scoring.scenarios import scenarios
from ..scoring.selection import Selection, border_name, country_name
from . import data, scenario_page
from .choices import choose, choose_many

PROFILES_DIR = shipped("profiles", "profiles")
# settings drawn on one page only: Streamlit forgets a widget's value on a run that does not
# draw it, so they are carried over at the start of every run (``keep_page_settings``); the
# choices made with ``choices.choose`` are kept without help
PAGE_SETTINGS = ("opacity", "online_tiles", "note_mode", "presentation", "robustness", "budget", "max_posts",
                 "upload_fix", "upload_user", "rollback_user", "note_user", "access_map", "access_areas",
                 *scenario_page.KEPT)
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


def slider_value(weight: float) -> int:
    """A weight (0–1) as a slider position: points out of 100."""
    return round(weight * 100)


def set_weights(profile: Profile) -> None:
    """Put ``profile``'s method and weights into the sidebar controls (next run)."""
    st.session_state["method"] = profile.method
    for criterion in profile.criteria:
        st.session_state[f"weight_{criterion.indicator}"] = slider_value(criterion.weight)
    st.session_state["ahp"] = profile.ahp


def _on_choice() -> None:
    set_weights(_choices()[st.session_state["choice"]])


def scoring_profile(lang: str, editable: bool = True) -> Profile:
    """The profile the sidebar describes now: the chosen profile with the slider weights; when
    not ``editable`` (a role without the scoring right), the default profile, named, with no
    control (whatever the session holds)."""
    choices = _choices()
    if not editable:
        st.sidebar.caption(t("signin.fixed_profile", lang, profile=_choice_label(DEFAULT_CHOICE, lang)))
        return choices[DEFAULT_CHOICE]
    if st.session_state.get("choice") not in choices:
        st.session_state["choice"] = DEFAULT_CHOICE
        set_weights(choices[DEFAULT_CHOICE])
    sidebar = st.sidebar
    chosen_key = choose(sidebar.selectbox, t("app.profile", lang), list(choices), "choice",
                        lambda c: _choice_label(c, lang), on_change=_on_choice)
    chosen = choices[str(chosen_key)]
    method = str(choose(sidebar.selectbox, t("app.method", lang), METHODS, "method",
                        lambda m: t(f"app.methods.{m}", lang), default=chosen.method))
    sidebar.subheader(t("app.weights", lang))
    sidebar.caption(t("app.weights_help", lang))
    points = {}
    for criterion in chosen.criteria:
        key = f"weight_{criterion.indicator}"
        st.session_state.setdefault(key, slider_value(criterion.weight))
        points[criterion.indicator] = st.session_state[key]
    total = sum(points.values())
    for criterion in chosen.criteria:
        share = points[criterion.indicator] / total if total else 0.0
        name = t("app.weight_label", lang, criterion=label(criterion.indicator, lang).capitalize(),
                 weight=format_percent(share, lang))
        points[criterion.indicator] = sidebar.slider(name, 0, 100, step=1,
                                                     key=f"weight_{criterion.indicator}")
    if sum(points.values()) == 0:
        sidebar.warning(t("app.no_weight", lang))
        return chosen.with_method(method)
    ahp = st.session_state.get("ahp")
    if ahp is not None and all(slider_value(ahp.weights.get(c.indicator, -1)) == points[c.indicator]
                               for c in chosen.criteria):
        return replace(chosen.with_weights(ahp.weights).with_method(method), ahp=ahp)  # exact AHP weights
    return chosen.with_weights(points).with_method(method)


def post_selection(lang: str, path: str, version: int) -> Selection:
    """The countries and borders whose posts are ranked (none chosen: every post, all of the
    G5 together); the options are the countries of the posts and the borders they serve."""
    posts = data.layer(path, version, "posts")
    if posts is None:  # an empty project: nothing to choose among
        return Selection()
    names = data.country_names(path, version, lang)
    served = data.served(path, version)
    sidebar = st.sidebar
    chosen_countries = choose_many(sidebar.multiselect, t("app.filter.countries", lang),
                                   sorted(posts["iso3"].dropna().astype(str).unique()), "filter_countries",
                                   lambda code: country_name(code, names),
                                   placeholder=t("app.filter.all_countries", lang))
    chosen_borders = choose_many(sidebar.multiselect, t("app.filter.borders", lang),
                                 sorted(served.dropna().unique()), "filter_borders",
                                 lambda code: border_name(code, names),
                                 placeholder=t("app.filter.all_borders", lang),
                                 help=t("app.filter.help", lang))
    return Selection.of(chosen_countries, chosen_borders)
