"""bordermap app: border posts, crossings and their ranking for rehabilitation, FR/EN.

Opens the store named by ``BORDERMAP_STORE`` (the CLI's default otherwise), sets the
language and the scoring controls in the sidebar, and routes to one page per task.
Run with ``streamlit run app.py``.
"""

from __future__ import annotations

import streamlit as st

from mapping.i18n import t
from mapping.webapp import controls, data, md_text
from mapping.webapp.chrome import localise_streamlit

st.set_page_config(page_title="bordermap", layout="wide")
controls.keep_page_settings()

lang = controls.language()
localise_streamlit(lang)
with st.spinner(t("app.loading", lang)):
    path = data.store_path()
    data.store()  # created from the demo data on first use
    version = data.store_version(path)
    data.layers(path, version)

pages = [
    st.Page("app_pages/map_ranking.py", title=t("app.pages.map", lang), default=True),
    st.Page("app_pages/shortlist_export.py", title=t("app.pages.shortlist", lang)),
    st.Page("app_pages/layers.py", title=t("app.pages.layers", lang)),
    st.Page("app_pages/method.py", title=t("app.pages.method", lang)),
]
page = st.navigation(pages)
st.session_state["selection"] = controls.post_selection(lang, path, version)
st.session_state["profile"] = controls.scoring_profile(lang)
st.sidebar.caption(md_text(t("app.store", lang, store=path)))
page.run()
