"""The profile of one post: why it ranks where it does, with its values, units and sources."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import streamlit as st

from ..i18n import Term, format_day, format_number, format_percent, t
from ..i18n.quantities import format_quantity
from ..scoring.explain import explain_row, gap_text, label
from ..scoring.indicators import WITHHELD
from ..scoring.rank import Ranking
from . import charts, md_text, tables

CONTEXT_INDICATORS = ("border_id", "unofficial_nearest_km", "gap_a_km", "gap_b_km", "road_class",
                      "assessment_age_months", "rehab_cost_usd")


def filled_in(post: str, ranking: Ranking) -> set[str]:
    """The criteria whose value the post lacked and the profile's rule filled in."""
    imputed = ranking.table.at[post, "imputed"] or ""
    return {part.split(":")[0] for part in imputed.split(";") if part}


def indicator_rows(post: str, ranking: Ranking, indicators: pd.DataFrame, lang: str) -> pd.DataFrame:
    """One row per criterion (value, weight, contribution) then the context indicators; a
    filled-in value is marked with ``*``."""
    units = indicators.attrs.get("units", {})
    withheld = indicators.attrs.get(WITHHELD, ())
    row = ranking.table.loc[post]
    filled = filled_in(post, ranking)
    weights = dict(zip(ranking.profile.names, ranking.profile.weights, strict=True))
    rows = [{t("app.col.criterion", lang): label(c, lang).capitalize(),
             t("app.col.value", lang): (t("protection_more.withheld_value", lang, name=label(c, lang))
                                        if c in withheld
                                        else format_quantity(indicators.at[post, c], units.get(c), lang))
             + (" *" if c in filled else ""),
             t("app.col.weight", lang): format_percent(weights[c], lang),
             t("app.col.contribution", lang): format_number(row[f"contrib:{c}"], lang, 3, fixed=True)}
            for c in ranking.criteria]
    names = indicators["name"].astype(str).to_dict() if "name" in indicators else {}
    rows += [{t("app.col.criterion", lang): label(c, lang).capitalize(),
              t("app.col.value", lang): context_value(indicators.loc[post], c, units.get(c), names, lang,
                                                      withheld),
              t("app.col.weight", lang): "", t("app.col.contribution", lang): ""}
             for c in CONTEXT_INDICATORS if c in indicators and c not in ranking.criteria]
    return pd.DataFrame(rows)


def context_value(row: pd.Series, column: str, unit: str | None, names: dict[str, str], lang: str,
                  withheld: tuple[str, ...] = ()) -> str:
    """A context indicator of the post in words; a gap says its direction and where it ends;
    one of ``withheld`` (computed from a layer withheld from the viewer) says so."""
    side = {"gap_a_km": "a", "gap_b_km": "b"}.get(column)
    if column in withheld:
        return t("protection_more.withheld_value", lang, name=label(column, lang))
    if side:
        return gap_text(row, side, lang, names)
    return format_quantity(row[column], unit, lang)


def show(post: str, ranking: Ranking, results: pd.DataFrame, indicators: pd.DataFrame,
         posts: gpd.GeoDataFrame, intervals: pd.DataFrame | None, lang: str) -> None:
    """The post's profile in the current container."""
    if post not in ranking.table.index:
        reason = results.at[post, "excluded"] if post in results.index and "excluded" in results else ""
        st.info(t("app.post_not_ranked", lang, name=md_text(posts.set_index("post_id").at[post, "name"]),
                  reason=md_text(reason or "-")))
        return
    row, result = ranking.table.loc[post], results.loc[post]
    record = posts.drop_duplicates("post_id").set_index("post_id").loc[post]
    st.subheader(t("app.post_title", lang, rank=int(row["rank"]), name=md_text(row["name"]),
                   iso3=md_text(row["iso3"])))
    st.markdown(t("app.post_score", lang, score=format_quantity(row["score"], "score", lang),
                  status=t(f"values.{row['status']}", lang)))
    explanation = result["explanation"]
    st.markdown(md_text(explanation if isinstance(explanation, str) else explain_row(row, ranking, lang)))
    if intervals is not None and post in intervals.index:
        span = intervals.loc[post]
        st.caption(t("app.post_interval", lang, low=int(span["rank_p05"]), high=int(span["rank_p95"]),
                     p=format_number(span["p_top_n"] * 100, lang, 0), top=ranking.profile.top_n))
    shares = pd.DataFrame({"criterion": [label(c, lang).capitalize() for c in ranking.criteria],
                           "contribution": [row[f"contrib:{c}"] for c in ranking.criteria]})
    st.altair_chart(charts.contributions(shares, t("app.col.contribution", lang), lang), width="stretch")
    tables.text_table(indicator_rows(post, ranking, indicators, lang))
    if filled_in(post, ranking):
        st.caption(md_text(t("app.imputed_note", lang)))
    facing = record.get("facing_post_id")
    if isinstance(facing, str) and facing:
        everyone = posts.drop_duplicates("post_id").set_index("post_id")
        name = everyone.at[facing, "name"] if facing in everyone.index else facing
        st.markdown(t("app.facing", lang, name=md_text(name)))
    else:
        st.markdown(t("app.no_facing", lang))
    assessed = record.get("last_assessed")
    st.markdown(t("app.assessed", lang, date=format_day(pd.Timestamp(assessed).date(), lang))
                if pd.notna(assessed) else t("app.not_assessed", lang))
    st.caption(t("app.sources", lang, post=md_text(record.get("source") or "-"),
                 population=t(f"app.population_source.{indicators.attrs.get('population_source', 'none')}",
                              lang)))


def travel_rows(post: str, values: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The post's travel-time indicators (``values``: ``catchments.access_columns`` of one mode)
    in words: people within each time, people for whom it is the quickest, minutes from the
    nearest town; "no data" for a post off the travel grid."""
    row = values.loc[post] if post in values.index else pd.Series(dtype=float)
    units = {c: "minutes" if c.startswith("town_min_") else "persons" for c in values.columns}
    return pd.DataFrame({
        t("app.col.criterion", lang): [label(c, lang).capitalize() for c in values.columns],
        t("app.col.value", lang): [format_quantity(row.get(c), units[c], lang) for c in values.columns]})


def travel_times(post: str, values: pd.DataFrame, mode: str, placed: bool, lang: str) -> None:
    """The post's travel-time indicators by ``mode`` in the current container (``placed``:
    whether its travel-time bands are on the map)."""
    st.markdown(f"**{t('map_access.panel_title', lang, mode=Term(f'access.mode.{mode}'))}**")
    tables.text_table(travel_rows(post, values, lang))
    if not placed:
        st.caption(t("map_access.no_band", lang))
