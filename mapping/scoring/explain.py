"""One sentence per post saying why it ranks where it does, in English or French.

The sentence names the criteria that push the post up most (largest weight × urgency,
where urgency is the min–max normalised value, 1 = most urgent), with their values in
the words of the catalogue, and says which values were filled in for lack of data.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

import pandas as pd

from ..access.catchments import access_column
from ..access.load import SURGE_LOAD
from ..i18n import Term, catalogue, format_number, t
from ..i18n.quantities import format_quantity, is_missing
from .indicators import WITHHELD
from .profile import Criterion
from .rank import Ranking

TOP_REASONS = 3
REASON_URGENCY = 0.5  # a reason is a criterion on which the post is at least halfway to the most urgent
_RADIUS = re.compile(r"^(pop|unofficial|incidents)_(\d+(?:\.\d+)?)km$")


def ordinal(rank: int, lang: str, tied: bool = False) -> str:
    """``2nd`` / ``2e`` (and ``(tied)`` / ``ex æquo``)."""
    if lang == "fr":
        text = "1er" if rank == 1 else f"{rank}e"
    else:
        suffix = "th" if 10 <= rank % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(rank % 10, "th")
        text = f"{rank}{suffix}"
    return text + (" " + t("explain.tied", lang) if tied else "")


def _singular(count: int, lang: str) -> bool:
    """French uses the singular for 0 and 1, English for 1 only."""
    return count in (0, 1) if lang == "fr" else count == 1


def _quality(score: float) -> Term:
    level = "very_poor" if score < 1.5 else "poor" if score < 2.5 else "fair" if score < 3.5 else "good"
    return Term(f"explain.quality.{level}")


def describe(indicator: str, value: float, lang: str) -> str:
    """An indicator value in words: ``14 unofficial crossings within 20 km``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return t("explain.no_value", lang, name=label(indicator, lang))
    travel = access_column(indicator)
    if travel:
        mode, minutes = Term(f"access.mode.{travel[0]}"), travel[1]
        kind = "pop_time" if minutes is not None else indicator.removesuffix(f"_{travel[0]}")
        return t(f"explain.{kind}", lang, value=round(value), minutes=minutes, mode=mode)
    if indicator == SURGE_LOAD:
        return t("explain.surge_load", lang, value=round(value))
    radius = _RADIUS.match(indicator)
    if radius:
        count = round(value)
        key = f"explain.{radius.group(1)}" + ("_one" if _singular(count, lang) else "")
        return t(key, lang, value=count, radius=float(radius.group(2)))
    if indicator in ("condition_need", "facing_condition_need"):
        score = 4.0 - value
        return t(f"explain.{indicator}", lang, quality=_quality(score), score=round(score, 1))
    if indicator == "facing_post":
        return t("explain.facing_post_yes" if value >= 0.5 else "explain.facing_post_no", lang)
    key = f"explain.{indicator}"
    if key.removeprefix("explain.") in _PLAIN:
        return t(key, lang, value=round(value, 1))
    return t("explain.generic", lang, name=indicator, value=round(value, 2))


_PLAIN = {"unofficial_nearest_km", "coverage_gap_km", "road_km", "daily_crossings",
          "assessment_age_months", "gap_a_km", "gap_b_km", "rehab_cost_usd"}


def gap_text(indicators: pd.Series, side: str, lang: str, names: Mapping[str, str] | None = None) -> str:
    """The post's gap on ``side`` (``a`` or ``b``, :mod:`~mapping.scoring.coverage_gap`) in words, from
    its row of indicators: ``410.6 km towards the east, up to Kayes`` or ``… up to the end of
    the border``; ``names`` gives the posts' names by id (the id is shown without)."""
    length = indicators.get(f"gap_{side}_km")
    if is_missing(length):
        return t("quantity.missing", lang)
    text = format_quantity(length, "km", lang)
    towards = indicators.get(f"gap_{side}_towards")
    if not isinstance(towards, str):  # the post stands at the end of its gap
        return text
    to = indicators.get(f"gap_{side}_to")
    direction = Term(f"gap.direction.{towards}")
    if isinstance(to, str):
        return t("gap.to_post", lang, length=text, direction=direction, post=(names or {}).get(to, to))
    return t("gap.to_end", lang, length=text, direction=direction)


def label(indicator: str, lang: str) -> str:
    """The indicator's name for people: ``pop_20km`` -> ``people within 20 km``."""
    travel = access_column(indicator)
    if travel:
        mode, minutes = Term(f"access.mode.{travel[0]}"), travel[1]
        kind = "pop_time" if minutes is not None else indicator.removesuffix(f"_{travel[0]}")
        return t(f"indicators.{kind}", lang, minutes=minutes, mode=mode)
    radius = _RADIUS.match(indicator)
    if radius:
        return t(f"indicators.{radius.group(1)}", lang, radius=float(radius.group(2)))
    key = f"indicators.{indicator}"
    return t(key, lang) if key in catalogue(lang) else indicator


def range_text(criterion: Criterion, lang: str) -> str:
    """A criterion's fixed min–max range in the locale (``0 – 250``), or "" when it has none."""
    if criterion.low is None or criterion.high is None:
        return ""
    return f"{format_number(criterion.low, lang)} – {format_number(criterion.high, lang)}"


def rule(code: str, lang: str) -> str:
    """An exclusion or flag reason in words: ``status=planned`` -> ``status: planned``,
    ``missing:pop_20km`` -> ``no value for people within 20 km``."""
    if code == "assessment_stale":
        return t("explain.stale", lang)
    if code.startswith("missing:"):
        return t("explain.no_value", lang, name=label(code.removeprefix("missing:"), lang))
    column, _, value = code.partition("=")
    column_key, value_key = f"columns.{column}", f"values.{value}"
    words = catalogue(lang)
    return t("explain.rule", lang, column=t(column_key, lang) if column_key in words else label(column, lang),
             value=t(value_key, lang) if value_key in words else value)


def rules(codes: str, lang: str) -> str:
    return t("explain.separator", lang).join(rule(c, lang) for c in codes.split(";") if c)


def explain_row(row: pd.Series, ranking: Ranking, lang: str) -> str:
    """The sentence for one post of ``ranking.table``: the criteria on which it is among the
    more urgent posts (at least halfway up the range), largest weight × urgency first.
    Values filled in for lack of data are said as such and never given as a reason."""
    filled = dict(part.split(":") for part in row["imputed"].split(";")) if row.get("imputed") else {}
    weights = dict(zip(ranking.profile.names, ranking.profile.weights, strict=True))
    shares = {c: row[f"share:{c}"] for c in ranking.criteria
              if c not in filled and weights[c] > 0 and row[f"share:{c}"] >= REASON_URGENCY * weights[c]}
    strongest = sorted(shares, key=lambda c: -shares[c])[:TOP_REASONS]
    withheld = ranking.table.attrs.get(WITHHELD, ())
    reasons = [t("protection_more.withheld_value", lang, name=label(c, lang)) if c in withheld
               else describe(c, row[f"value:{c}"], lang) for c in strongest]
    text = f"{ordinal(int(row['rank']), lang, bool(row['tied']))}{t('explain.colon', lang)}"
    text += ", ".join(reasons) if reasons else t("explain.no_reason", lang)
    if filled:
        notes = [t("explain.filled", lang, name=label(name, lang),
                   policy=Term(f"explain.policy.{policy}")) for name, policy in filled.items()]
        text += " (" + t("explain.separator", lang).join(notes) + ")"
    if row.get("flagged"):
        text += " " + t("explain.flagged", lang, flag=rules(row["flagged"], lang))
    return text


def explanations(ranking: Ranking, lang: str, top: int | None = None) -> pd.Series:
    """The sentence of every ranked post (or of the ``top`` first), best first, in ``lang``."""
    shown = ranking.table if top is None else ranking.table.head(top)
    return pd.Series([explain_row(row, ranking, lang) for _, row in shown.iterrows()],
                     index=shown.index, name="explanation", dtype=object)


def results_table(ranking: Ranking, lang: str, top: int | None = None) -> pd.DataFrame:
    """Ranked posts best first with their explanation (only the ``top`` first have one when
    given), then the excluded posts with the reason."""
    ranked = ranking.table.copy()
    ranked.insert(ranked.columns.get_loc("rank") + 1, "explanation",
                  explanations(ranking, lang, top).reindex(ranked.index))
    excluded = ranking.excluded.copy()
    excluded["excluded"] = [rules(code, lang) for code in excluded["excluded"]]
    table = pd.concat([ranked, excluded]) if len(excluded) else ranked
    table["rank"] = table["rank"].astype("Int64")
    return table
