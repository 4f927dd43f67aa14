"""Shortlist limits per border beside those per country: still exact (brute force over every
subset), zero limits on absent countries or borders accepted, others refused by name."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import plain

from mapping.scoring.shortlist import ShortlistError, ShortlistInfeasible, shortlist

COUNTRIES = ("BFA", "MLI", "NER")
BORDERS = ("BFA-MLI", "BFA-NER", "MLI-NER")


def random_table(seed: int, n: int) -> pd.DataFrame:
    """Posts in three countries, each serving one of the borders of its country (or none)."""
    rng = np.random.default_rng(seed)
    iso3 = rng.choice(COUNTRIES, n)
    border = [rng.choice([b for b in BORDERS if c in b] + [None]) for c in iso3]
    return pd.DataFrame({
        "post_id": [f"P{i:02d}" for i in range(n)],
        "iso3": iso3,
        "border_id": border,
        "score": rng.random(n).round(4),
        "rehab_cost_usd": rng.integers(10, 200, n) * 1000.0,
    })


def brute_force(table: pd.DataFrame, budget: float | None, top_n: int | None,
                limits: dict[str, tuple[dict, dict]]) -> float | None:
    """Best total score over every subset meeting every limit, or None when none does."""
    n = len(table)
    masks = ((np.arange(2**n)[:, None] >> np.arange(n)) & 1).astype(bool)
    feasible = np.ones(len(masks), dtype=bool)
    if budget is not None:
        feasible &= masks @ table["rehab_cost_usd"].to_numpy() <= budget
    if top_n is not None:
        feasible &= masks.sum(axis=1) <= top_n
    for column, (minimum, maximum) in limits.items():
        for group in set(minimum) | set(maximum):
            count = masks @ (table[column] == group).to_numpy(dtype=int)
            feasible &= (count >= minimum.get(group, 0)) & (count <= maximum.get(group, n))
    if not feasible.any():
        return None
    return float((masks[feasible] @ table["score"].to_numpy()).max())


def random_limits(rng: np.random.Generator, groups: tuple[str, ...]) -> tuple[dict, dict]:
    minimum = {g: int(rng.integers(0, 3)) for g in groups if rng.random() < 0.5}
    maximum = {g: minimum.get(g, 0) + int(rng.integers(0, 3)) for g in groups if rng.random() < 0.5}
    return minimum, maximum


@pytest.mark.parametrize("seed", range(60))
def test_border_and_country_limits_equal_brute_force(seed):
    rng = np.random.default_rng(7000 + seed)
    table = random_table(seed, int(rng.integers(2, 12)))
    budget = float(rng.uniform(0.2, 0.8) * table["rehab_cost_usd"].sum()) if rng.random() < 0.8 else None
    top_n = int(rng.integers(1, len(table) + 1)) if budget is None or rng.random() < 0.4 else None
    present = tuple(sorted(set(table["border_id"].dropna())))
    countries = tuple(sorted(set(table["iso3"])))
    min_border, max_border = random_limits(rng, present)
    min_country, max_country = random_limits(rng, countries) if rng.random() < 0.5 else ({}, {})
    kwargs = {"budget": budget, "top_n": top_n, "min_per_border": min_border, "max_per_border": max_border,
              "min_per_country": min_country, "max_per_country": max_country}
    best = brute_force(table, budget, top_n, {"border_id": (min_border, max_border),
                                              "iso3": (min_country, max_country)})
    if best is None:
        with pytest.raises(ShortlistInfeasible):
            shortlist(table, **kwargs)
        return
    result = shortlist(table, **kwargs)
    chosen = table.set_index("post_id").loc[result.selected]
    assert result.total_score == pytest.approx(best, abs=1e-9)
    assert budget is None or result.total_cost <= budget
    served = chosen["border_id"].value_counts()
    assert result.per_border == {b: int(served.get(b, 0)) for b in present}
    for border in present:
        assert min_border.get(border, 0) <= served.get(border, 0) <= max_border.get(border, len(table))


def posts() -> pd.DataFrame:
    """Five posts: two on Mali–Niger, two on Burkina Faso–Mali, one on no known border."""
    return pd.DataFrame({
        "post_id": ["MLI-1", "MLI-2", "NER-1", "BFA-1", "BFA-2"],
        "iso3": ["MLI", "MLI", "NER", "BFA", "BFA"],
        "border_id": ["MLI-NER", "BFA-MLI", "MLI-NER", "BFA-MLI", None],
        "score": [0.9, 0.8, 0.7, 0.6, 0.5],
        "rehab_cost_usd": [100_000, 60_000, 80_000, 50_000, 40_000],
    })


def test_a_border_maximum_and_minimum_change_the_shortlist():
    free = shortlist(posts(), top_n=2)
    assert free.selected == ["MLI-1", "MLI-2"]
    capped = shortlist(posts(), top_n=2, max_per_border={"NER-MLI": 0})  # written either way round
    assert capped.selected == ["MLI-2", "BFA-1"] and capped.status == "optimal"
    assert capped.per_border == {"BFA-MLI": 2, "MLI-NER": 0}
    floor = shortlist(posts(), budget=200_000, min_per_border={"BFA-MLI": 2})
    assert {"MLI-2", "BFA-1"} <= set(floor.selected) and floor.total_cost <= 200_000


@pytest.mark.parametrize("kwargs", [
    {"min_per_border": {"MLI-MRT": 0}}, {"max_per_border": {"MLI-MRT": 0}},
    {"min_per_country": {"TCD": 0}}, {"max_per_country": {"TCD": 0}},
])
def test_a_zero_limit_on_an_absent_border_or_country_is_accepted(kwargs):
    assert shortlist(posts(), top_n=2, **kwargs).selected == ["MLI-1", "MLI-2"]


def messages(error: ShortlistError) -> tuple[str, str]:
    english, french = error.message("en"), plain(error.message("fr"))
    assert "{" not in english + french and english != french
    return english, french


@pytest.mark.parametrize(("kwargs", "code", "english_parts", "french_parts"), [
    ({"top_n": 2, "max_per_border": {"MLI-MRT": 1}}, "unknown_border",
     ["maximum number of posts per border", "“MLI-MRT”", "BFA-MLI, MLI-NER"],
     ["nombre maximal de postes par frontière", "« MLI-MRT »", "Frontières des postes : BFA-MLI, MLI-NER"]),
    ({"top_n": 2, "min_per_border": {"MLI-MRT": 2}}, "unknown_border",
     ["minimum number of posts per border"], ["nombre minimal de postes par frontière"]),
    ({"top_n": 2, "min_per_country": {"TCD": 1}}, "unknown_country", ["“TCD”"], ["« TCD »"]),
    ({"top_n": 4, "min_per_border": {"MLI-NER": 2}, "max_per_border": {"MLI-NER": 1}},
     "min_above_max_border", ["border MLI-NER", "(2)", "(1)"], ["frontière MLI-NER", "(2)", "(1) ;"]),
    ({"top_n": 4, "min_per_border": {"BFA-MLI": 3}}, "too_few_posts_border",
     ["BFA-MLI (3)", "(2)"], ["BFA-MLI (3)", "(2)"]),
    ({"top_n": 3, "min_per_border": {"BFA-MLI": 2, "MLI-NER": 2}}, "minimums_above_top_n_border",
     ["add up to 4", "(3)"], ["totalisent 4", "(3)"]),
    ({"budget": 120_000, "min_per_border": {"BFA-MLI": 1, "MLI-NER": 1}}, "minimums_above_budget_border",
     ["per border", "USD 130,000", "USD 120,000"], ["par frontière", "130 000 USD", "120 000 USD"]),
])
def test_each_impossible_border_limit_names_its_border(kwargs, code, english_parts, french_parts):
    with pytest.raises(ShortlistInfeasible) as caught:
        shortlist(posts(), **kwargs)
    assert caught.value.code == code
    english, french = messages(caught.value)
    for part in english_parts:
        assert part in english
    for part in french_parts:
        assert part in french


def test_border_limits_need_the_border_column_and_a_border_code():
    with pytest.raises(ShortlistError, match="border_id"):
        shortlist(posts().drop(columns="border_id"), top_n=2, max_per_border={"MLI-NER": 1})
    with pytest.raises(ShortlistError) as caught:
        shortlist(posts(), top_n=2, max_per_border={"Mali": 1})
    assert caught.value.code == "bad_border" and "“Mali”" in caught.value.message("en")
    assert shortlist(posts().drop(columns="border_id"), top_n=2).per_border == {}
