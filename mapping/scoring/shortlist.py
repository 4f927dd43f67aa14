"""Shortlist: the N highest scores, or the best set of posts that fits a budget.

Under a budget the shortlist is the set with the highest total score whose total
rehabilitation cost (USD) is within the budget, optionally with at most N posts and
with minimum and maximum numbers of posts per country and per border (the border a post
serves, column ``border_id``: ``MLI-MRT``). It is solved exactly as a 0–1 integer programme
with ``scipy.optimize.milp`` (HiGHS, relative gap 0). Constraints that no set can meet are
detected before the solver where the cause can be named (which country or border, which
amounts), and raise :class:`ShortlistInfeasible` with a catalogue message. A limit on a
country or border that no post has is refused, unless it is zero (a minimum of 0 or a
maximum of 0 asks nothing of posts that do not exist).

Ties: posts with equal scores are ranked by id (ascending); with ``top_n`` alone, a post
tied with the last one selected but left out by that rule is listed in ``tied_at_cutoff``.
When several sets reach the same best total score under the constraints, the solver's
set is reported: it is proved optimal, and the others are equally good.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypedDict

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, milp

from ..errors import BordermapError
from ..i18n import Term
from .selection import BORDER_COLUMN, SelectionError, border_code

COLUMNS = ("iso3", "score", "rehab_cost_usd")
GROUPS = {"country": "iso3", "border": "border"}  # a limit's kind -> the column of ``_prepare``


class ShortlistLimits(TypedDict):
    """Minimum and maximum posts per country (ISO3) and per border (``MLI-MRT``)."""

    min_per_country: dict[str, int]
    max_per_country: dict[str, int]
    min_per_border: dict[str, int]
    max_per_border: dict[str, int]


class ShortlistRequest(ShortlistLimits):
    """What a shortlist is asked to respect: budget (USD), at most N posts, and the limits."""

    budget: float | None
    top_n: int | None


class ShortlistError(BordermapError, ValueError):
    """A shortlist request that cannot be answered; ``code`` names the message ``shortlist.<code>``."""

    section = "shortlist"


class ShortlistInfeasible(ShortlistError):
    """No set of posts meets the constraints; the message says which constraint."""


@dataclass(frozen=True)
class ShortlistResult:
    """The posts selected, in rank order (highest score first, ties by id), and their totals (USD)."""

    selected: list[str]
    total_cost: float
    total_score: float
    budget: float | None
    budget_left: float | None
    per_country: dict[str, int]
    status: str  # "optimal" (proved by the solver) or "top_n" (ranked, no solver needed)
    excluded_missing_cost: list[str] = field(default_factory=list)  # no cost, so not selectable
    excluded_missing_score: list[str] = field(default_factory=list)
    cost_unknown: list[str] = field(default_factory=list)  # selected by top_n with no known cost
    tied_at_cutoff: list[str] = field(default_factory=list)
    per_border: dict[str, int] = field(default_factory=dict)  # posts selected per border served


def shortlist(table: pd.DataFrame, *, budget: float | None = None, top_n: int | None = None,
              min_per_country: dict[str, int] | None = None,
              max_per_country: dict[str, int] | None = None,
              min_per_border: dict[str, int] | None = None,
              max_per_border: dict[str, int] | None = None,
              id_column: str = "post_id") -> ShortlistResult:
    """The shortlist from a table with columns ``id_column``, iso3, score, rehab_cost_usd (USD)
    and, for border limits, ``border_id`` (the border each post serves).

    With ``top_n`` only: the N highest scores. With ``budget`` (USD): the set with the highest
    total score whose total cost ≤ budget; ``top_n`` then caps the number of posts. Country
    and border limits apply in both cases (solved exactly). Posts without a score, and under a
    budget posts without a cost, cannot be selected; they are listed in the result.
    """
    borders = _by_border(min_per_border), _by_border(max_per_border)
    posts = _prepare(table, id_column, need_border=any(borders))
    limits = {"country": (_by_country(min_per_country), _by_country(max_per_country)),
              "border": borders}
    _check_request(budget, top_n, limits)
    excluded_score = posts.index[posts["score"].isna()]
    excluded_cost = posts.index[posts["cost"].isna()] if budget is not None else posts.index[:0]
    eligible = posts.drop(excluded_score.union(excluded_cost))
    limits = _check_feasible(posts, eligible, budget, top_n, limits)
    if budget is None and not any(any(pair) for pair in limits.values()):
        chosen, status = eligible.head(top_n), "top_n"
    else:
        chosen, status = eligible[_solve(eligible, budget, top_n, limits)], "optimal"
    return _result(posts, eligible, chosen, budget, status,
                   list(excluded_cost), list(excluded_score))


def _prepare(table: pd.DataFrame, id_column: str, need_border: bool = False) -> pd.DataFrame:
    """Columns iso3, border, score, cost indexed by id, in rank order (score descending, then id)."""
    needed = (id_column, *COLUMNS, *((BORDER_COLUMN,) if need_border else ()))
    missing = [c for c in needed if c not in table.columns]
    if missing:
        raise ShortlistError("missing_columns", columns=", ".join(missing))
    ids = table[id_column].astype(str)
    if ids.duplicated().any():
        raise ShortlistError("duplicate_ids", ids=", ".join(sorted(set(ids[ids.duplicated()]))))
    posts = pd.DataFrame({
        "iso3": table["iso3"].astype(str).str.upper().to_numpy(),
        "border": (table[BORDER_COLUMN].where(table[BORDER_COLUMN].notna(), None).to_numpy(dtype=object)
                   if BORDER_COLUMN in table else None),
        "score": pd.to_numeric(table["score"], errors="coerce").to_numpy(dtype=float),
        "cost": pd.to_numeric(table["rehab_cost_usd"], errors="coerce").to_numpy(dtype=float),
    }, index=pd.Index(ids.to_numpy(), name="id"))
    if (posts["cost"] < 0).any():
        raise ShortlistError("negative_cost", ids=", ".join(posts.index[posts["cost"] < 0]))
    order = np.lexsort((posts.index.to_numpy(), -posts["score"].fillna(-np.inf).to_numpy()))
    return posts.iloc[order]


def _by_country(limits: dict[str, int] | None) -> dict[str, int]:
    return {country.strip().upper(): int(count) for country, count in (limits or {}).items()}


def _by_border(limits: dict[str, int] | None) -> dict[str, int]:
    """Border limits keyed by :func:`~mapping.scoring.selection.border_code` (``MRT-MLI`` is
    ``MLI-MRT``)."""
    try:
        return {border_code(border): int(count) for border, count in (limits or {}).items()}
    except SelectionError as error:
        raise ShortlistError("bad_border", border=error.params["value"]) from None


Limits = dict[str, tuple[dict[str, int], dict[str, int]]]  # kind -> (minimums, maximums)


def _check_request(budget: float | None, top_n: int | None, limits: Limits) -> None:
    """Requests that make no sense, whatever the posts."""
    if budget is None and top_n is None:
        raise ShortlistError("no_limit")
    if budget is not None and not budget >= 0:
        raise ShortlistError("bad_budget", budget=budget)
    if top_n is not None and top_n < 1:
        raise ShortlistError("bad_top_n", top_n=top_n)
    for minimum, maximum in limits.values():
        for bounds in (minimum, maximum):
            for group, count in bounds.items():
                if count < 0:
                    raise ShortlistError("bad_country_count", country=group, count=count)


def _suffix(kind: str) -> str:
    """The catalogue codes of border limits end in ``_border``; country codes have no ending."""
    return "" if kind == "country" else f"_{kind}"


def _check_feasible(posts: pd.DataFrame, eligible: pd.DataFrame, budget: float | None,
                    top_n: int | None, limits: Limits) -> Limits:
    """Name the constraint that no set can meet, before the solver is asked; returns the
    limits without the zero limits on countries or borders that no post has (they ask nothing)."""
    kept: Limits = {}
    for kind, (minimum, maximum) in limits.items():
        column, suffix = GROUPS[kind], _suffix(kind)
        known = sorted(set(posts[column].dropna()))
        for term, bounds in (("minimum", minimum), ("maximum", maximum)):
            for group, count in bounds.items():
                if group not in known and count > 0:
                    raise ShortlistInfeasible(f"unknown_{kind}", known=", ".join(known) or "-",
                                              constraint=Term(f"shortlist.term_{term}{suffix}"),
                                              **{kind: group})
        minimum = {g: n for g, n in minimum.items() if g in known}
        maximum = {g: n for g, n in maximum.items() if g in known}
        kept[kind] = (minimum, maximum)
        for group, low in minimum.items():
            if group in maximum and low > maximum[group]:
                raise ShortlistInfeasible("min_above_max" + suffix, minimum=low, maximum=maximum[group],
                                          **{kind: group})
        for group, low in minimum.items():
            available, total = (eligible[column] == group).sum(), (posts[column] == group).sum()
            if low > available:
                code = "too_few_posts" if available == total else "too_few_posts_with_data"
                raise ShortlistInfeasible(code + suffix, minimum=low, available=int(available),
                                          total=int(total), **{kind: group})
        # each post is in one group of a kind: the groups' minimums add up, and so do their cheapest costs
        if top_n is not None and sum(minimum.values()) > top_n:
            raise ShortlistInfeasible("minimums_above_top_n" + suffix, total=sum(minimum.values()),
                                      top_n=top_n)
        if budget is not None:
            cheapest = sum(eligible.loc[eligible[column] == group, "cost"].nsmallest(low).sum()
                           for group, low in minimum.items())
            if cheapest > budget:
                raise ShortlistInfeasible("minimums_above_budget" + suffix, cost=float(cheapest),
                                          budget=float(budget))
    return kept


def _solve(eligible: pd.DataFrame, budget: float | None, top_n: int | None,
           limits: Limits) -> np.ndarray:
    """Boolean mask of the eligible posts in the best set: a 0–1 programme solved to optimality."""
    n = len(eligible)
    if n == 0:
        return np.zeros(0, dtype=bool)
    rows, lower, upper = [], [], []
    if budget is not None:
        rows.append(eligible["cost"].to_numpy())
        lower.append(-np.inf)
        upper.append(budget)
    if top_n is not None:
        rows.append(np.ones(n))
        lower.append(0)
        upper.append(top_n)
    for kind, (minimum, maximum) in limits.items():
        for group in sorted(set(minimum) | set(maximum)):
            rows.append((eligible[GROUPS[kind]] == group).to_numpy(dtype=float))
            lower.append(minimum.get(group, 0))
            upper.append(maximum.get(group, np.inf))
    solution = milp(-eligible["score"].to_numpy(), integrality=np.ones(n), bounds=Bounds(0, 1),
                    constraints=LinearConstraint(np.array(rows), lower, upper),
                    options={"mip_rel_gap": 0.0})
    if solution.status == 2:
        raise ShortlistInfeasible("infeasible")
    if solution.x is None or solution.status != 0:
        raise ShortlistInfeasible("solver_failed", detail=solution.message)
    return np.round(solution.x).astype(bool)


def _result(posts: pd.DataFrame, eligible: pd.DataFrame, chosen: pd.DataFrame, budget: float | None,
            status: str, excluded_cost: list[str], excluded_score: list[str]) -> ShortlistResult:
    total_cost = float(chosen["cost"].sum())  # NaN costs (top_n only) count as 0 and are listed
    cutoff = chosen["score"].min()
    tied = eligible.index[(eligible["score"] == cutoff) & ~eligible.index.isin(chosen.index)]
    counts = chosen["iso3"].value_counts()
    served = chosen["border"].value_counts()
    return ShortlistResult(
        selected=list(chosen.index),
        total_cost=total_cost,
        total_score=float(chosen["score"].sum()),
        budget=budget,
        budget_left=None if budget is None else float(budget) - total_cost,
        per_country={country: int(counts.get(country, 0)) for country in sorted(set(posts["iso3"]))},
        status=status,
        excluded_missing_cost=excluded_cost,
        excluded_missing_score=excluded_score,
        cost_unknown=list(chosen.index[chosen["cost"].isna()]),
        tied_at_cutoff=list(tied) if status == "top_n" else [],
        per_border={border: int(served.get(border, 0)) for border in sorted(set(posts["border"].dropna()))},
    )


def running_totals(costs: pd.Series, budget: float | None) -> pd.DataFrame:
    """For costs in shortlist order (USD): the running total after each post and, under a
    budget, what is left of it (USD). A post without a known cost adds nothing."""
    total = costs.astype(float).fillna(0.0).cumsum()
    table = pd.DataFrame({"running_total": total}, index=costs.index)
    if budget is not None:
        table["budget_left"] = float(budget) - total
    return table
