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


def _excluded_by_rules(table: pd.DataFrame, profile: Profile) -> dict[str, str]:
    reasons: dict[str, str] = {}
    for column, values in profile.exclude.items():
        if column not in table:
            continue
        hits = table.index[table[column].astype(str).isin(values)]
        for post in hits:
            reasons.setdefault(str(post), f"{column}={table.at[post, column]}")
    return reasons


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


def score(table: pd.DataFrame, profile: Profile) -> Ranking:
    """Rank the posts of an indicator table (index: post id) under ``profile``."""
    unknown = [c for c in profile.names if c not in table.columns]
    if unknown:
        raise ProfileError("unknown_indicator", indicator=", ".join(unknown),
                           available=", ".join(c for c in table.columns if table[c].dtype.kind in "fiub"))
    excluded = _excluded_by_rules(table, profile)
    kept = table.loc[~table.index.astype(str).isin(excluded)]
    values = kept[profile.names].apply(pd.to_numeric, errors="coerce").astype(float)
    for criterion in profile.criteria:
        if criterion.missing == "exclude":
            for post in values.index[values[criterion.indicator].isna()]:
                excluded.setdefault(str(post), f"missing:{criterion.indicator}")
    values = values.loc[~values.index.astype(str).isin(excluded)]
    filled, imputed = {}, {}
    for criterion in profile.criteria:
        filled[criterion.indicator], imputed[criterion.indicator] = _fill(values[criterion.indicator],
                                                                          criterion)
    values = pd.DataFrame(filled, index=values.index)
    empty = [c for c in profile.names if values[c].isna().all()]
    matrix = values.fillna(0.0).to_numpy()
    weights, benefit = profile.weights, profile.benefit
    normalised = normalise(matrix, benefit, profile.method, profile.low, profile.high)
    urgency = min_max(matrix, benefit, profile.low, profile.high)
    if empty:  # a criterion with no value anywhere says nothing about any post
        columns = [profile.names.index(c) for c in empty]
        urgency[:, columns] = 0.0
    scores = aggregate(normalised, weights, profile.method, benefit) if len(matrix) else np.array([])
    ranks, tied = _ranks(scores)
    parts = contributions(normalised, weights, profile.method)
    out = pd.DataFrame({"score": scores, "rank": ranks, "tied": tied}, index=values.index)
    out["flagged"] = _flags(kept.loc[values.index], profile)
    imputed_frame = pd.DataFrame(imputed, index=values.index)
    out["imputed"] = [
        ";".join(f"{c}:{profile.criteria[j].missing}" for j, c in enumerate(profile.names)
                 if imputed_frame.at[post, c])
        for post in values.index
    ]
    for j, name in enumerate(profile.names):
        out[f"value:{name}"] = matrix[:, j] if name not in empty else np.nan
        out[f"norm:{name}"] = normalised[:, j]
        out[f"share:{name}"] = urgency[:, j] * weights[j]
        out[f"contrib:{name}"] = parts[:, j]
    passthrough = [c for c in ("name", "iso3", "status", "rehab_cost_usd") if c in table]
    out = kept.loc[values.index, passthrough].join(out)
    left_out = table.loc[table.index.astype(str).isin(excluded), passthrough].copy()
    left_out["excluded"] = [excluded[str(post)] for post in left_out.index]
    return Ranking(out.sort_values(["rank", "score"], ascending=[True, False], kind="stable"),
                   profile, left_out, empty)


def _flags(rows: pd.DataFrame, profile: Profile) -> pd.Series:
    flagged = pd.Series("", index=rows.index, dtype=object)
    for column, values in profile.flag.items():
        if column in rows:
            hit = rows[column].astype(str).isin(values)
            flagged[hit] = f"{column}=" + rows.loc[hit, column].astype(str)
    return flagged
