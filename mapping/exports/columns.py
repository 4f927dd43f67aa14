"""The tables the spreadsheet and KML exports show, built once from an :class:`ExportBundle`.

Tables keep machine column names (``post_id``, ``pop_20km`` …); :func:`headers` gives the
column titles in the bundle's language, with units, and :func:`hxl_tags` the HXL hashtag
row (Humanitarian Exchange Language, https://hxlstandard.org) for HDX. Text values are in
the bundle's language (status, flags, yes/no); numbers stay numbers. Costs are USD,
coordinates WGS 84 degrees (EPSG:4326).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..i18n import catalogue, t
from ..i18n.quantities import unit_name, value_word, yes_no_word
from ..scoring.explain import label, rules
from ..scoring.shortlist import running_totals
from ..tables import SCORE_DIGITS, VALUE_DIGITS
from .bundle import ExportBundle

BASE = ("post_id", "name", "iso3", "status", "lat", "lon", "rank", "score", "tied", "shortlisted",
        "rehab_cost_usd", "explanation", "flagged", "border_id")
SHORTLIST = ("rank", "post_id", "name", "iso3", "score", "rehab_cost_usd", "running_total", "budget_left")
UNITLESS = ("count", "yes_no")
HXL = {"post_id": "#loc+code", "name": "#loc+name", "iso3": "#country+code", "border_id": "#loc+border+code",
       "status": "#status",
       "lat": "#geo+lat", "lon": "#geo+lon", "rank": "#meta+rank", "score": "#meta+score",
       "tied": "#meta+tied", "shortlisted": "#meta+shortlisted", "rehab_cost_usd": "#value+cost+usd",
       "explanation": "#description+explanation", "flagged": "#meta+flags",
       "running_total": "#value+cost+total+usd", "budget_left": "#value+budget+remaining+usd"}
COORDINATE_DIGITS = 6


def yes_no(value: Any, lang: str) -> Any:
    """``yes``/``no`` in ``lang`` for a boolean, anything else unchanged."""
    return yes_no_word(bool(value), lang) if isinstance(value, bool | np.bool_) else value


def indicator_values(values: pd.Series, unit: str | None, lang: str) -> pd.Series:
    """An indicator column as an export shows it: numbers rounded to ``VALUE_DIGITS``, yes/no
    indicators (stored 0/1) and booleans as words, coded values (road classes) in words."""
    if unit == "yes_no":
        return values.map(lambda v: v if pd.isna(v) else yes_no_word(float(v) >= 0.5, lang))
    if pd.api.types.is_float_dtype(values):
        return values.astype(float).round(VALUE_DIGITS)
    return values.map(lambda v: value_word(v, lang) if isinstance(v, str) else yes_no(v, lang))


def ranking_table(bundle: ExportBundle) -> pd.DataFrame:
    """Every ranked post, best first: ``BASE`` columns then every indicator (raw units)."""
    posts, lang = bundle.posts, bundle.lang
    chosen = set(bundle.shortlist.selected) if bundle.shortlist else set()
    table = pd.DataFrame({
        "post_id": posts.index.astype(str),
        "lat": posts.geometry.y.round(COORDINATE_DIGITS).to_numpy(),
        "lon": posts.geometry.x.round(COORDINATE_DIGITS).to_numpy(),
        "shortlisted": [yes_no(post in chosen, lang) for post in posts.index],
    }, index=posts.index)
    for column in ("name", "iso3", "border_id", "status", "rank", "score", "tied", "explanation", "flagged"):
        if column in posts:
            table[column] = posts[column]
    if "status" in table:
        table["status"] = table["status"].map(lambda v: value_word(v, lang) if isinstance(v, str) else v)
    if "flagged" in table:
        table["flagged"] = table["flagged"].fillna("").map(lambda codes: rules(codes, lang))
    table["tied"] = table["tied"].map(lambda v: yes_no(bool(v), lang))
    table["score"] = table["score"].astype(float).round(SCORE_DIGITS)
    indicators = [c for c in posts.columns if c in bundle.indicators.attrs.get("units", {})
                  or c in ("road_class", "rehab_cost_usd")]
    units = bundle.indicators.attrs.get("units", {})
    for column in indicators:
        table[column] = indicator_values(posts[column], units.get(column), lang)
    ordered = [c for c in BASE if c in table] + [c for c in indicators if c not in BASE]
    if not bundle.shortlist:
        ordered.remove("shortlisted")
    return table[ordered].reset_index(drop=True)


def shortlist_table(bundle: ExportBundle) -> pd.DataFrame:
    """The shortlisted posts in rank order with their cost, the running total of costs and,
    under a budget, what is left of it after each post (USD)."""
    chosen = bundle.shortlist
    if chosen is None:
        return pd.DataFrame(columns=list(SHORTLIST))
    table = ranking_table(bundle).set_index("post_id", drop=False).loc[chosen.selected]
    table = table.join(running_totals(table["rehab_cost_usd"], chosen.budget))
    return table[[c for c in SHORTLIST if c in table]].reset_index(drop=True)


def with_unit(title: str, unit: str | None, lang: str) -> str:
    """``title (unit)``, unless the unit is a count or yes/no, or the title already names it
    (``people within 20 km`` is not followed by ``(people)``)."""
    name = unit_name(unit, lang) if unit not in UNITLESS else ""
    return t("export.with_unit", lang, label=title, unit=name) if name and name not in title else title


def headers(columns: list[str], bundle: ExportBundle) -> list[str]:
    """Column titles in the bundle's language: indicators by their label with the unit."""
    lang, units = bundle.lang, bundle.indicators.attrs.get("units", {})
    words = catalogue(lang)
    titles = []
    for column in columns:
        key = "export.col.cost" if column == "rehab_cost_usd" else f"export.col.{column}"
        if key in words:
            titles.append(t(key, lang, top=min(bundle.profile.top_n, len(bundle.posts)))
                          if column == "p_top_n" else t(key, lang))
        else:
            titles.append(with_unit(label(column, lang), units.get(column), lang))
    return titles


def hxl_tags(table: pd.DataFrame) -> list[str]:
    """The HXL hashtag of each column; other columns are ``#indicator+<name>``, with ``+num``
    when numeric."""
    numeric = {c: pd.api.types.is_numeric_dtype(table[c]) for c in table.columns}
    return [HXL.get(c, f"#indicator+{c.lower()}" + ("+num" if numeric[c] else "")) for c in table.columns]
