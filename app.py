"""bordermap app: a first map of the layer store (the full workshop app is a later issue)."""

from __future__ import annotations

import streamlit as st
from streamlit_folium import st_folium

from mapping.i18n import LANGUAGES, t
from mapping.layers.user_store import default_store_path, open_store
from mapping.maps import build_map

st.set_page_config(page_title="bordermap", layout="wide")


@st.cache_resource(show_spinner=False)
def load_layers(store_path: str) -> dict:
    """Every current vector layer of the store (read once per store and process)."""
    store = open_store(store_path)
    return {kind: store.read(kind) for kind in store.kinds() if kind != "population"}


lang = st.sidebar.radio("Langue / Language", LANGUAGES, index=1,
                        format_func=lambda code: {"en": "English", "fr": "Français"}[code])
st.title(t("app.title", lang))
store_path = str(default_store_path())
with st.spinner(t("app.loading", lang)):
    layers = load_layers(store_path)
st.caption(t("app.store", lang, store=store_path))
st_folium(build_map(layers, lang), height=640, use_container_width=True, returned_objects=[])
