"""bordermap app: border posts, crossings and their ranking for rehabilitation, FR/EN.

Opens the store named by ``BORDERMAP_STORE`` (the CLI's default otherwise) — when it does not
exist yet, a first-run screen creates it (an empty project, or the demo data) —, asks who is
there when the project has accounts, sets the language and the scoring controls in the sidebar,
and routes to the pages the viewer's role may use.
Run with ``streamlit run app.py``.
"""

from __future__ import annotations

import streamlit as st

from mapping.accounts.roles import Permission
from mapping.i18n import t
from mapping.layers.store import UnreadableStoreError
from mapping.layers.user_store import open_store, store_at
from mapping.webapp import controls, data, error_text, md_text, project_ui, signin
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
        store = open_store(path)  # checked once per run; the pages' reads use data.store()
    except UnreadableStoreError as error:  # a file there that is not a store: said, never replaced
        st.error(error_text(error, lang))
        st.stop()
    version = data.store_version(path)
    data.layer(path, version, "posts")

viewer = signin.gate(store, lang)
PAGES = (  # page, title key, the permissions of which one opens it
    ("app_pages/map_ranking.py", "app.pages.map", (Permission.VIEW,)),
    ("app_pages/shortlist_export.py", "app.pages.shortlist", (Permission.SHORTLIST, Permission.EXPORT)),
    ("app_pages/scenario.py", "app.pages.scenario", (Permission.SCENARIO,)),
    ("app_pages/layers.py", "app.pages.layers",
     (Permission.IMPORT, Permission.ROLLBACK, Permission.REVIEW_NOTES, Permission.PROJECT)),
    ("app_pages/method.py", "app.pages.method", (Permission.VIEW,)),
    ("app_pages/admin.py", "admin.page", (Permission.ACCOUNTS,)),
)
pages = [st.Page(file, title=t(title, lang), default=file == PAGES[0][0])
         for file, title, needs in PAGES if any(viewer.may(p) for p in needs)]
page = st.navigation(pages)
st.session_state["selection"] = controls.post_selection(lang, path, version)
st.session_state["profile"] = controls.scoring_profile(lang, editable=viewer.may(Permission.SCORE))
st.sidebar.markdown(f"**{md_text(data.project(path, version).name(lang))}**")
signin.sidebar(viewer, lang)
st.sidebar.caption(md_text(t("app.store", lang, store=unopened.location)))
page.run()
