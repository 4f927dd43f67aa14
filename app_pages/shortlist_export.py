"""Shortlist & export: the posts that fit the budget, and the files for partners and donors."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import streamlit as st

from mapping.access.saved import saved_surges
from mapping.accounts.roles import Permission, Sensitivity
from mapping.errors import BordermapError
from mapping.exports.bundle import build_bundle
from mapping.exports.write import FORMATS, REPORT_FORMATS, export_download
from mapping.i18n import format_number, t
from mapping.i18n.quantities import format_quantity
from mapping.protection.audit import log_export
from mapping.protection.precision import export_viewer
from mapping.scoring.selection import border_name
from mapping.scoring.shortlist import ShortlistRequest, running_totals, shortlist
from mapping.webapp import data, error_text, md_text, project_ui, tables
from mapping.webapp.choices import choose, choose_many
from mapping.webapp.viewer import acting, current

ctx = data.page()
lang, profile = ctx.lang, ctx.profile
st.title(t("app.pages.shortlist", lang))
project_ui.require_posts(data.layer(ctx.path, ctx.version, "posts"), lang)
ranking, results = data.ranking_or_stop(ctx)

cols = st.columns(2)
st.session_state.setdefault("budget", int(data.project(ctx.path, ctx.version).budget))  # USD
st.session_state.setdefault("max_posts", 0)
budget = cols[0].number_input(t("app.budget", lang), min_value=0, step=50_000,
                              key="budget")
top_n = cols[1].number_input(t("app.max_posts", lang), min_value=0, step=1, key="max_posts",
                             help=t("app.max_posts_help", lang))
cols[0].caption(format_quantity(budget, "usd", lang))
names = data.country_names(ctx.path, ctx.version, lang)
if not ctx.selection.everything:
    st.caption(md_text(t("report.selection", lang, selection=ctx.selection.describe(lang, names))))
bounds = {bound: st.column_config.NumberColumn(t(f"app.col.{bound}", lang), min_value=0, step=1)
          for bound in ("min", "max")}


def limits_editor(codes: list[str], title: str, key: str) -> tuple[dict[str, int], dict[str, int]]:
    """Minimum and maximum posts per country or per border, in an editable table."""
    edited: pd.DataFrame = st.data_editor(pd.DataFrame({"code": codes, "min": 0, "max": None}, dtype=object),
                            hide_index=True, key=key, disabled=["code"], placeholder=tables.MISSING,
                            column_config={"code": st.column_config.TextColumn(title)} | bounds)
    return ({r.code: int(r.min) for r in edited.itertuples() if pd.notna(r.min) and int(r.min) > 0},
            {r.code: int(r.max) for r in edited.itertuples() if pd.notna(r.max)})


editors = st.columns(2)
with editors[0]:
    minimum, maximum = limits_editor(sorted(ranking.table["iso3"].dropna().unique()),
                                     t("app.col.country", lang), "country_limits")
with editors[1]:
    served = sorted(ranking.table["border_id"].dropna().unique()) if "border_id" in ranking.table else []
    border_min, border_max = limits_editor(served, t("export.col.border_id", lang), "border_limits")
    st.caption(md_text(", ".join(border_name(code, names) for code in served)))
request: ShortlistRequest = {"budget": float(budget), "top_n": int(top_n) or None,
                             "min_per_country": minimum, "max_per_country": maximum,
                             "min_per_border": border_min, "max_per_border": border_max}

try:
    chosen = shortlist(ranking.table.reset_index(), **request)
except BordermapError as error:
    st.error(error_text(error, lang))
    st.stop()

selected = ranking.table.loc[chosen.selected]
totals = running_totals(selected["rehab_cost_usd"], float(budget))
st.metric(t("app.shortlist_total", lang, count=len(selected)),
          format_quantity(chosen.total_cost, "usd", lang),
          t("app.budget_left", lang, value=format_number(float(budget) - chosen.total_cost, lang, 0)),
          delta_color="off")
tables.text_table(pd.DataFrame({
    t("app.col.rank", lang): selected["rank"].astype(int),
    t("app.col.name", lang): selected["name"],
    t("app.col.country", lang): selected["iso3"],
    t("export.col.border_id", lang): selected.get("border_id"),
    t("app.col.score", lang): [format_quantity(v, "score", lang) for v in selected["score"]],
    t("app.col.cost", lang): [None if pd.isna(v) else format_number(v, lang, 0)
                              for v in selected["rehab_cost_usd"]],
    t("app.col.running_total", lang): [format_number(v, lang, 0) for v in totals["running_total"]],
    t("app.col.budget_left", lang): [format_number(v, lang, 0) for v in totals["budget_left"]],
}))
if chosen.excluded_missing_cost:
    names = ranking.table["name"].reindex(chosen.excluded_missing_cost)
    st.warning(t("app.missing_cost", lang, posts=", ".join(md_text(n) for n in names)))

if not current().may(Permission.EXPORT):
    st.stop()
st.subheader(t("app.export", lang))
actions = st.columns([2, 1, 1])
with actions[0]:
    fmt = str(choose(st.selectbox, t("app.export_format", lang), FORMATS, "export_format",
                     lambda f: t(f"app.formats.{f}", lang)))
saved = saved_surges(data.store())  # records are read at each run: saving one makes no version
surges = choose_many(st.multiselect, t("report_access.app.surges", lang), list(saved), "export_surges",
                     help=t("report_access.app.surges_help", lang)) \
    if saved and fmt in REPORT_FORMATS else []
viewer = current()
# full precision is offered only to a viewer cleared for a sensitive layer (and asked each time)
cleared = viewer.clearance > Sensitivity.PUBLIC and bool(data.limited(ctx.path, export_viewer(viewer, False)))
full = st.checkbox(t("protection.full_precision", lang), key="export_full_precision",
                   help=t("protection.full_precision_help", lang)) if cleared else False
# a prepared file is offered only while everything it was made from is unchanged
settings = json.dumps([ctx.version, data.profile_key(profile), request, lang, fmt, data.today(),
                       ctx.selection.to_dict(), surges,
                       [saved[name].created for name in surges], full, viewer.name, viewer.role.value],
                      sort_keys=True)
if actions[1].button(t("app.export_prepare", lang), key="export_prepare"):
    with st.status(t("app.export_working", lang), expanded=False) as status:
        try:
            acting(Permission.EXPORT)
            bundle = build_bundle(data.store(), profile, lang, layers=data.layers(ctx.path, ctx.version),
                                  indicators=data.indicator_table(ctx.path, ctx.version, profile),
                                  reference_date=dt.date.fromisoformat(data.today()),
                                  selection=ctx.selection, surges=surges,
                                  travel_map=fmt in REPORT_FORMATS, viewer=export_viewer(viewer, full),
                                  **request)
            st.session_state["export_file"] = (settings, *export_download(bundle, f"bordermap-{lang}", fmt))
            log_export(data.store(), viewer, "app.pages.shortlist", st.session_state["export_file"][1],
                       fmt, bundle.record.precision)
            status.update(label=t("app.export_ready", lang), state="complete")
        except BordermapError as error:
            status.update(label=error_text(error, lang), state="error")
if (prepared := st.session_state.get("export_file")) and prepared[0] == settings:
    _, name, content, media_type = prepared
    actions[2].download_button(t("app.download", lang, file=name), content, file_name=name, mime=media_type,
                            key="export_download")
