"""bordermap app: border posts, crossings and their ranking for rehabilitation, FR/EN.

Opens the store named by ``BORDERMAP_STORE`` (the CLI's default otherwise) — when it does not
exist yet, a first-run screen creates it (an empty project, or the demo data) —, sets the
language and the scoring controls in the sidebar, and routes to one page per task.
Run with ``streamlit run app.py``.
"""

from __future__ import annotations

import streamlit as st

from mapping.i18n import t
from mapping.layers.store import UnreadableStoreError
from mapping.layers.user_store import store_at
from mapping.webapp import controls, data, error_text, md_text, project_ui
from mapping.webapp.chrome import localise_streamlit

st.set_page_config(page_title="bordermap", layout="wide")
controls.keep_page_settings()

lang = controls.language()
localise_streamlit(lang)
path = data.store_path()
with st.spinner(t("app.loading", lang)):
    try:
        unopened = store_at(path)
        if not unopened.exists():  # a new project: empty, or from the demo data
            project_ui.first_run(path, unopened.location, lang)
            st.stop()
        data.store()
    except UnreadableStoreError as error:  # a file there that is not a store: said, never replaced
        st.error(error_text(error, lang))
        st.stop()
    version = data.store_version(path)
    data.layer(path, version, "posts")

pages = [
    st.Page("app_pages/map_ranking.py", title=t("app.pages.map", lang), default=True),
    st.Page("app_pages/shortlist_export.py", title=t("app.pages.shortlist", lang)),
    st.Page("app_pages/scenario.py", title=t("app.pages.scenario", lang)),
    st.Page("app_pages/layers.py", title=t("app.pages.layers", lang)),
    st.Page("app_pages/method.py", title=t("app.pages.method", lang)),
]
page = st.navigation(pages)
st.session_state["selection"] = controls.post_selection(lang, path, version)
st.session_state["profile"] = controls.scoring_profile(lang)
st.sidebar.markdown(f"**{md_text(data.project(path, version).name(lang))}**")
st.sidebar.caption(md_text(t("app.store", lang, store=unopened.location)))
page.run()
