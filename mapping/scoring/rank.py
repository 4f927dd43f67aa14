"""Score and rank posts from an indicator table and a profile, with every step recorded.

Steps: exclusion rules (e.g. closed posts); the missing-value policy of each criterion
(exclude the post, use the worst value, or the median), recorded per post; normalisation
and aggregation by the profile's method; ranks (1 = most urgent; ties share the
smaller rank and are marked); each criterion's normalised value and contribution.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .methods import aggregate, contributions, min_max, normalise
from .profile import Criterion, Profile, ProfileError

TIE_TOLERANCE = 1e-9


@dataclass
class Ranking:
    """Scores of the ranked posts and what was done to get them.

    ``table`` (index: post id, best first): ``score``, ``rank``, ``tied``, ``flagged``,
    ``flagged`` (rules met, e.g. ``status=planned``, and ``assessment_stale``),
    ``imputed`` (criteria whose value was filled in, with the policy), and per criterion
    ``value:<c>`` (raw, after filling), ``norm:<c>`` (normalised as the method uses it),
    ``share:<c>`` (weight × min–max urgency, used to explain) and ``contrib:<c>``.
    ``excluded`` (index: post id): name, iso3, status where known, and ``excluded``, the
    reason (the rule, e.g. ``status=closed``, or ``missing:<criterion>``).
    """

    table: pd.DataFrame
    profile: Profile
    excluded: pd.DataFrame = field(default_factory=pd.DataFrame)
    empty_criteria: list[str] = field(default_factory=list)

    @property
    def criteria(self) -> list[str]:
        return self.profile.names


def _matches(column: pd.Series, values: tuple[str, ...]) -> pd.Series:
    """Cells equal to one of the rule's values, as text or, for numbers, numerically."""
    hit = column.astype(str).isin(values)
    numbers = pd.to_numeric(pd.Series(values), errors="coerce").dropna()
    if len(numbers) and pd.api.types.is_numeric_dtype(column):
        hit |= column.isin(numbers.tolist())
    return hit


def _rule_hits(table: pd.DataFrame, rules: dict[str, tuple[str, ...]]) -> pd.Series:
    """Per post, the rules it meets as ``column=value`` joined by ``;`` (empty: none)."""
    hits = pd.Series("", index=table.index, dtype=object)
    for column, values in rules.items():
        if column not in table:
            continue
        hit = _matches(table[column], values)
        codes = f"{column}=" + table.loc[hit, column].astype(str)
        hits[hit] = (hits[hit] + ";" + codes).str.lstrip(";")
    return hits


def _fill(values: pd.Series, criterion: Criterion) -> tuple[pd.Series, pd.Series]:
    """Apply the missing-value policy; returns the filled values and the mask of filled cells."""
    missing = values.isna()
    if not missing.any() or criterion.missing == "exclude" or missing.all():
        return values, missing & False
    if criterion.missing == "median":
        fill = values.median()
    else:  # worst: the least urgent value observed
        fill = values.min() if criterion.benefit else values.max()
    return values.fillna(fill), missing


def _ranks(scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rank 1 for the highest score; equal scores share the smaller rank and are marked tied."""
    order = np.argsort(-scores, kind="stable")
    sorted_scores = scores[order]
    new_group = np.r_[True, np.abs(np.diff(sorted_scores)) > TIE_TOLERANCE]
    group_rank = np.maximum.accumulate(np.where(new_group, np.arange(1, len(scores) + 1), 0))
    ranks = np.empty(len(scores), dtype=int)
    ranks[order] = group_rank
    counts = np.bincount(ranks)
    return ranks, counts[ranks] > 1


def _imputed_labels(imputed: pd.DataFrame, profile: Profile) -> list[str]:
    labels = np.array([f"{c.indicator}:{c.missing}" for c in profile.criteria], dtype=object)
    return [";".join(labels[row]) for row in imputed.to_numpy(dtype=bool)]


def score(table: pd.DataFrame, profile: Profile) -> Ranking:
    """Rank the posts of an indicator table (index: post id) under ``profile``.

    A criterion without a value for any post is left out and the other weights are
    rescaled; it is listed in ``empty_criteria`` so that the user is told.
    """
    unknown = [c for c in profile.names if c not in table.columns]
    if unknown:
        raise ProfileError("unknown_indicator", indicator=", ".join(unknown),
                           available=", ".join(c for c in table.columns if table[c].dtype.kind in "fiub"))
    table = table.copy(deep=False)
    table.attrs = {}  # pandas copies a frame's attrs at every step: the units are not needed here
    reasons = _rule_hits(table, profile.exclude)
    values = table[profile.names].apply(pd.to_numeric, errors="coerce").astype(float)
    values = values.where(np.isfinite(values))
    for criterion in profile.criteria:
        if criterion.missing == "exclude":
            missing = values[criterion.indicator].isna() & (reasons == "")
            reasons[missing] = f"missing:{criterion.indicator}"
    kept = reasons == ""
    empty = [c for c in profile.names if values.loc[kept, c].isna().all()]
    if len(empty) == len(profile.names):
        raise ProfileError("no_data", criteria=", ".join(empty))
    if empty:
        profile = profile.with_weights({c: 0.0 for c in empty})
    values = values.loc[kept]
    filled, imputed = {}, {}
    for criterion in profile.criteria:
        filled[criterion.indicator], imputed[criterion.indicator] = _fill(values[criterion.indicator],
                                                                          criterion)
    values = pd.DataFrame(filled, index=values.index)
    matrix = values.fillna(0.0).to_numpy()
    weights, benefit = profile.weights, profile.benefit
    normalised = normalise(matrix, benefit, profile.method, profile.low, profile.high)
    urgency = min_max(matrix, benefit, profile.low, profile.high)
    scores = aggregate(normalised, weights, profile.method, benefit) if len(matrix) else np.array([])
    ranks, tied = _ranks(scores)
    parts = contributions(normalised, weights, profile.method, benefit)
    flags = _rule_hits(table.loc[values.index], profile.flag)
    if "assessment_stale" in table:
        stale = table.loc[values.index, "assessment_stale"].fillna(False).astype(bool)
        flags[stale] = (flags[stale] + ";assessment_stale").str.lstrip(";")
    imputed_labels = _imputed_labels(pd.DataFrame(imputed, index=values.index), profile)
    columns: dict[str, object] = {"score": scores, "rank": ranks, "tied": tied, "flagged": flags.to_numpy(),
                                  "imputed": imputed_labels}
    for j, name in enumerate(profile.names):
        columns[f"value:{name}"] = matrix[:, j] if name not in empty else np.full(len(matrix), np.nan)
        columns[f"norm:{name}"] = normalised[:, j]
        columns[f"share:{name}"] = urgency[:, j] * weights[j]
        columns[f"contrib:{name}"] = parts[:, j]
    passthrough = [c for c in ("name", "iso3", "status", "rehab_cost_usd", "border_id") if c in table]
    out = table.loc[values.index, passthrough].join(pd.DataFrame(columns, index=values.index))
    left_out = table.loc[~kept, passthrough].copy()
    left_out["excluded"] = reasons[~kept]
    return Ranking(out.sort_values(["rank", "score"], ascending=[True, False], kind="stable"),
                   profile, left_out, empty)
