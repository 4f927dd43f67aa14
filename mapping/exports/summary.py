"""The ranked posts summed up per country and per border, for the report and the workbook.

One row per country (``iso3``) or per border served (``border_id``, ``MLI-MRT``; posts that
serve no known border have a row of their own, code empty): posts ranked, their
rehabilitation cost (USD, known costs only), and, when the export has a shortlist, the posts
shortlisted and their cost (USD).
"""

from __future__ import annotations

import pandas as pd

from ..i18n import t
from ..scoring.selection import BORDER_COLUMN, country_name
from ..scoring.selection import country_names as names_of
from .bundle import ExportBundle

GROUPS = ("iso3", BORDER_COLUMN)
COLUMNS = ("code", "label", "posts", "cost_usd", "shortlisted_posts", "shortlist_cost_usd")


def country_names(bundle: ExportBundle) -> dict[str, str]:
    """ISO3 -> country name in the bundle's language, from the countries layer."""
    return names_of(bundle.layers.get("countries"), bundle.lang)


def summary(bundle: ExportBundle, by: str) -> pd.DataFrame:
    """Per country (``by="iso3"``) or per border (``by="border_id"``), sorted by code:
    ``COLUMNS`` (the shortlist columns only when the bundle has a shortlist)."""
    if by not in GROUPS:
        raise ValueError(f"summary by one of {', '.join(GROUPS)}, not {by!r}")
    posts = bundle.posts
    groups = posts[by] if by in posts else pd.Series(None, index=posts.index, dtype=object)
    groups = groups.where(groups.notna(), "").astype(str)
    cost = pd.to_numeric(posts.get("rehab_cost_usd"), errors="coerce") if "rehab_cost_usd" in posts \
        else pd.Series(float("nan"), index=posts.index)
    table = pd.DataFrame({"posts": groups.groupby(groups).size(),
                          "cost_usd": cost.groupby(groups).sum(min_count=0)})
    if bundle.shortlist is not None:
        chosen = posts.index.isin(bundle.shortlist.selected)
        table["shortlisted_posts"] = pd.Series(chosen, index=posts.index).groupby(groups).sum().astype(int)
        table["shortlist_cost_usd"] = cost.where(chosen, 0.0).fillna(0.0).groupby(groups).sum()
    names = country_names(bundle)
    table = table.sort_index(key=lambda codes: codes.map(lambda c: (c == "", c)))
    table.insert(0, "label", [_name(code, by, names, bundle.lang) for code in table.index])
    table.insert(0, "code", table.index)
    return table.reset_index(drop=True)


def _name(code: str, by: str, names: dict[str, str], lang: str) -> str:
    if not code:
        return t("selection.no_border", lang) if by == BORDER_COLUMN else t("report.none", lang)
    if by == BORDER_COLUMN:
        first, _, second = code.partition("-")
        return f"{country_name(first, names)} – {country_name(second, names)}"
    return country_name(code, names)
