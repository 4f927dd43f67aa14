"""Surge scenario (a preparedness workshop): delegates set where displaced people leave from and
the numbers, and see which posts receive them, how many and when they saturate, on the map and
in the tables; scenarios are saved and compared side by side."""

from __future__ import annotations

import streamlit as st

from mapping.i18n import t
from mapping.webapp import data, project_ui
from mapping.webapp import scenario_page as page

ctx = data.page()
lang = ctx.lang
st.title(t("app.pages.scenario", lang))
project_ui.require_posts(data.layer(ctx.path, ctx.version, "posts"), lang)
st.caption(t("scenario_page.intro", lang))

with st.container(border=True):
    origin = page.origin_section(ctx)
with st.container(border=True):
    scenario = page.numbers_section(lang)
run = page.simulate(ctx, scenario, origin) if scenario is not None and origin is not None else None

st.header(t("scenario_page.results", lang))
if run is not None:
    page.headline(run, lang)
st.subheader(t("scenario_page.map_title", lang))
page.results_map(ctx, run, origin)
if run is not None:
    page.site_section(run, lang)
    page.daily_section(run, lang)
page.saved_section(ctx, scenario, origin)
