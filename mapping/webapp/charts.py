"""The app's charts (Vega-Lite through Altair), with numbers in the chosen language."""

from __future__ import annotations

from typing import TypeVar

import altair as alt
import pandas as pd

ChartT = TypeVar("ChartT", alt.Chart, alt.LayerChart)

# d3-format locales: French writes 0,25 and 10 000
NUMBER_LOCALES = {"en": {"decimal": ".", "thousands": ",", "grouping": [3], "currency": ["$", ""]},
                  "fr": {"decimal": ",", "thousands": "\u202f", "grouping": [3], "currency": ["", "\u00a0$"]}}


def localised(chart: ChartT, lang: str) -> ChartT:
    """``chart`` with its axis and tooltip numbers formatted for ``lang``."""
    return chart.configure(locale={"number": NUMBER_LOCALES[lang]})


def contributions(shares: pd.DataFrame, x_title: str, lang: str) -> alt.Chart:
    """Horizontal bars: ``contribution`` (score points) by ``criterion``, in profile order."""
    chart = alt.Chart(shares).mark_bar(color="#2166ac").encode(
        y=alt.Y("criterion:N", sort=None, title=None, axis=alt.Axis(labelLimit=0)),  # names in full
        x=alt.X("contribution:Q", title=x_title),
        tooltip=[alt.Tooltip("criterion:N", title=" "),
                 alt.Tooltip("contribution:Q", format=".3f", title=x_title)],
    ).properties(height=28 * len(shares) + 40)
    return localised(chart, lang)


def rank_intervals(spans: pd.DataFrame, rank_title: str, p_title: str, lang: str) -> alt.LayerChart:
    """One rule per post from its 5th to 95th percentile rank (``rank_p05``, ``rank_p95``), a dot
    at the median, coloured by ``p_top`` (percent of draws in the top N); posts by ``label``."""
    y = alt.Y("label:N", sort=list(spans.sort_values("rank")["label"]), title=None)
    bars = alt.Chart(spans).mark_rule(strokeWidth=3).encode(
        y=y, x=alt.X("rank_p05:Q", title=rank_title, scale=alt.Scale(zero=False)), x2="rank_p95:Q",
        color=alt.Color("p_top:Q", title=p_title, scale=alt.Scale(scheme="reds", domain=[0, 100])))
    median = alt.Chart(spans).mark_point(filled=True, color="black").encode(y=y, x="rank_median:Q")
    return localised(bars + median, lang)


def daily_lines(days: pd.DataFrame, day_title: str, people_title: str, lang: str) -> alt.Chart:
    """One line per ``measure`` (its name shown) of ``people`` by ``day`` (a surge at one site)."""
    chart = alt.Chart(days).mark_line(point=alt.OverlayMarkDef(size=18)).encode(
        x=alt.X("day:Q", title=day_title, axis=alt.Axis(tickMinStep=1, format="d")),
        y=alt.Y("people:Q", title=people_title),
        color=alt.Color("measure:N", title=None, legend=alt.Legend(orient="top")),
        tooltip=[alt.Tooltip("day:Q", title=day_title), alt.Tooltip("measure:N", title=" "),
                 alt.Tooltip("people:Q", format=",d", title=people_title)],
    ).properties(height=300)
    return localised(chart, lang)
