"""bordermap app: the map of the layer store and the live ranking of posts.

A first version of the workshop app: French/English, a map drawn from the store, and
weight sliders that re-rank at once (layers and indicators are cached; only the
ranking is recomputed when a weight moves).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from mapping.i18n import LANGUAGES, format_number, t
from mapping.layers.user_store import default_store_path, open_store
from mapping.maps import build_map
from mapping.scoring.explain import label, results_table
from mapping.scoring.indicators import Layers, compute_indicators
from mapping.scoring.methods import METHODS
from mapping.scoring.pipeline import indicator_params
from mapping.scoring.profile import Profile, load_profile
from mapping.scoring.rank import score
from mapping.web_assets import localise

st.set_page_config(page_title="bordermap", layout="wide")


@st.cache_resource(show_spinner=False)
def load_layers(store_path: str, version: int) -> dict:
    """Every current vector layer of the store (read once per store version and process)."""
    store = open_store(store_path)
    return {kind: store.read(kind) for kind in store.kinds() if kind != "population"}


@st.cache_resource(show_spinner=False)
def load_profile_once() -> Profile:
    return load_profile()


@st.cache_data(show_spinner=False)
def load_indicators(store_path: str, version: int) -> pd.DataFrame:
    """The indicator table of every post (computed once per store version, from the cached layers)."""
    stored = load_layers(store_path, version)
    layers = Layers(posts=stored["posts"], crossings=stored.get("crossings"),
                    borders=stored.get("borders"), roads=stored.get("roads"),
                    settlements=stored.get("settlements"), flows=stored.get("flows"),
                    incidents=stored.get("incidents"),
                    population=open_store(store_path).raster_path("population"))
    return compute_indicators(layers, indicator_params(load_profile_once()))


def store_version(store_path: str) -> int:
    history = open_store(store_path).history()
    return history[-1].version if history else 0


lang = st.sidebar.radio("Langue / Language", LANGUAGES, index=1,
                        format_func=lambda code: {"en": "English", "fr": "Français"}[code])
st.title(t("app.title", lang))
store_path = str(default_store_path())
with st.spinner(t("app.loading", lang)):
    version = store_version(store_path)
    layers = load_layers(store_path, version)
    indicators = load_indicators(store_path, version)

profile = load_profile_once()
st.sidebar.subheader(t("app.weights", lang))
method = st.sidebar.selectbox(t("app.method", lang), METHODS, index=METHODS.index(profile.method),
                              format_func=lambda m: t(f"app.methods.{m}", lang))
weights = {c.indicator: st.sidebar.slider(label(c.indicator, lang).capitalize(), 0, 100,
                                          round(c.weight * 100), key=f"weight_{c.indicator}")
           for c in profile.criteria}
if sum(weights.values()) == 0:
    st.sidebar.warning(t("app.no_weight", lang))
    weights = {c.indicator: c.weight for c in profile.criteria}
ranking = score(indicators, profile.with_weights(weights).with_method(method))
results = results_table(ranking, lang)
ranked = results[results["rank"].notna()]

st.caption(t("app.store", lang, store=store_path))
st_folium(localise(build_map(layers, lang, ranks=ranked["rank"].astype(int).to_dict())), height=560,
          use_container_width=True, returned_objects=[])
st.subheader(t("app.ranking", lang))
shown = pd.DataFrame({
    t("app.col.rank", lang): ranked["rank"].astype(int),
    t("app.col.name", lang): ranked["name"],
    t("app.col.country", lang): ranked["iso3"],
    t("app.col.score", lang): [format_number(v, lang, 3) for v in ranked["score"]],
    t("app.col.explanation", lang): ranked["explanation"],
})
st.dataframe(shown, hide_index=True, width="stretch")
