"""Method: the criteria and their weights, how a score is computed, the AHP pairwise editor,
and the data sources with the version of each layer (no feature count of a layer withheld from
the viewer, ``protection.shown.withheld_kind``)."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

import pandas as pd
import streamlit as st

from mapping.accounts.roles import Permission, Sensitivity
from mapping.errors import BordermapError
from mapping.i18n import format_number, format_percent, t
from mapping.i18n.quantities import unit_name
from mapping.protection.shown import withheld_kind
from mapping.scoring.ahp import CR_LIMIT, ahp_weights, judgements_from_weights, matrix_from_upper
from mapping.scoring.explain import label, range_text
from mapping.webapp import controls, data, error_text, format_time, md_text, project_ui, tables
from mapping.webapp.viewer import acting, current

ctx = data.page()
lang, profile = ctx.lang, ctx.profile
st.title(t("app.pages.method", lang))
project_ui.require_posts(data.layer(ctx.path, ctx.version, "posts"), lang)
indicators = data.shown_indicator_table(ctx.path, ctx.version, profile)
units = indicators.attrs.get("units", {})

st.subheader(t("app.criteria", lang))
tables.text_table(pd.DataFrame({
    t("app.col.criterion", lang): [label(c.indicator, lang).capitalize() for c in profile.criteria],
    t("app.col.direction", lang): [t(f"app.direction.{c.direction}", lang) for c in profile.criteria],
    t("app.col.weight", lang): [format_percent(c.weight, lang) for c in profile.criteria],
    t("app.col.missing", lang): [t(f"explain.policy.{c.missing}", lang) for c in profile.criteria],
    t("app.col.range", lang): [range_text(c, lang) for c in profile.criteria],
    t("app.col.unit", lang): [unit_name(units.get(c.indicator), lang)
                              for c in profile.criteria],
}))
st.markdown(t(f"app.method_text.{profile.method}", lang))
st.markdown(t("app.method_rules", lang, radius=profile.indicator_settings.get("radius_km", 20),
              months=profile.indicator_settings.get("assessment_max_age_months", 24)))
if profile.ahp is not None:
    st.caption(t("app.ahp_in_use", lang, cr=format_number(profile.ahp.consistency_ratio, lang, 3)))


st.subheader(t("app.ahp", lang))
st.caption(t("app.ahp_help", lang))
names = profile.names
labels = [label(n, lang).capitalize() for n in names]
start = pd.DataFrame(judgements_from_weights(list(profile.weights)), index=labels, columns=labels)
edited = st.data_editor(start, key=f"ahp_{'-'.join(names)}", width="stretch",
                        column_config={c: st.column_config.TextColumn(c) for c in labels})
try:
    result = ahp_weights(names, matrix_from_upper(edited.to_numpy().tolist()))
except BordermapError as error:
    st.error(error_text(error, lang))
    st.stop()
tables.text_table(pd.DataFrame({t("app.col.criterion", lang): labels,
                               t("app.col.weight", lang): [format_percent(result.weights[n], lang)
                                                           for n in names]}))
(st.success if result.consistent else st.warning)(
    t("app.ahp_cr", lang, cr=format_number(result.consistency_ratio, lang, 3),
      limit=format_number(CR_LIMIT, lang)))
st.caption(t("app.ahp_mirror", lang, example=str(Fraction(1, 3))))


def _apply() -> None:
    """Put the AHP weights into the sidebar sliders (they stay AHP weights until a slider moves);
    only for a viewer who may change the weights."""
    acting(Permission.SCORE)
    controls.set_weights(replace(profile.with_weights(result.weights), ahp=result))


if current().may(Permission.SCORE):
    st.button(t("app.ahp_apply", lang), on_click=_apply, key="ahp_apply", type="primary")

st.subheader(t("app.sources_title", lang))
store = data.store()
versions = {v.kind: v for v in store.history()}
layers = data.shown_layers(ctx.path, ctx.version)
levels = data.levels(ctx.path)
rows = []
for kind, version in versions.items():
    layer = layers.get(kind)
    sources = ([] if layer is None or "source" not in layer
               else sorted(layer["source"].dropna().astype(str).unique()))
    withheld = withheld_kind(kind, levels.get(kind, Sensitivity.PUBLIC), current())
    rows.append({t("app.kind", lang): t(f"kinds.{kind}", lang), t("app.col.version", lang): version.version,
                 t("app.col.time", lang): format_time(version.time, lang),
                 t("app.col.user", lang): version.user, t("app.col.file", lang): version.source_file,
                 t("app.col.features", lang): (t("protection.treatments.withheld", lang) if withheld
                                               else format_number(version.features, lang, 0)),
                 t("app.col.sources", lang): "; ".join(sources)})
tables.text_table(pd.DataFrame(rows))
st.caption(md_text(t("app.population_source." + indicators.attrs.get("population_source", "none"), lang)))
