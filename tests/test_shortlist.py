"""The shortlist equals a brute force over all subsets; each impossible request says which constraint."""

from __future__ import annotations

import itertools
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from conftest import plain

import mapping.scoring.shortlist as shortlist_module
from mapping.scoring.shortlist import ShortlistError, ShortlistInfeasible, running_totals, shortlist

COUNTRIES = ("BFA", "MLI", "NER")


def random_table(seed: int, n: int, missing: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cost = rng.integers(10, 200, n) * 1000.0
    if missing:
        cost[rng.random(n) < 0.2] = np.nan
    return pd.DataFrame({
        "post_id": [f"P{i:02d}" for i in range(n)],
        "iso3": rng.choice(COUNTRIES, n),
        "score": rng.random(n).round(4),
        "rehab_cost_usd": cost,
    })


def brute_force(table: pd.DataFrame, budget: float, top_n: int | None, minimum: dict, maximum: dict):
    """Best total score over every subset of the posts with a cost, or None when none is feasible."""
    usable = table[table["rehab_cost_usd"].notna()]
    n = len(usable)
    masks = ((np.arange(2**n)[:, None] >> np.arange(n)) & 1).astype(bool)
    feasible = masks @ usable["rehab_cost_usd"].to_numpy() <= budget
    if top_n is not None:
        feasible &= masks.sum(axis=1) <= top_n
    for country in COUNTRIES:
        count = masks @ (usable["iso3"] == country).to_numpy(dtype=int)
        feasible &= (count >= minimum.get(country, 0)) & (count <= maximum.get(country, n))
    if not feasible.any():
        return None
    return float((masks[feasible] @ usable["score"].to_numpy()).max())


def limits(rng: np.random.Generator) -> tuple[dict, dict]:
    minimum = {c: int(rng.integers(0, 3)) for c in COUNTRIES if rng.random() < 0.5}
    maximum = {c: minimum.get(c, 0) + int(rng.integers(0, 3)) for c in COUNTRIES if rng.random() < 0.5}
    return minimum, maximum


def check_against_brute_force(table, budget, top_n, minimum, maximum):
    best = brute_force(table, budget, top_n, minimum, maximum)
    if best is None:
        with pytest.raises(ShortlistInfeasible):
            shortlist(table, budget=budget, top_n=top_n, min_per_country=minimum, max_per_country=maximum)
        return
    result = shortlist(table, budget=budget, top_n=top_n, min_per_country=minimum, max_per_country=maximum)
    chosen = table.set_index("post_id").loc[result.selected]
    assert result.total_score == pytest.approx(best, abs=1e-9)
    assert result.total_score == pytest.approx(chosen["score"].sum())
    assert result.total_cost == chosen["rehab_cost_usd"].sum() <= budget
    assert result.budget_left == pytest.approx(budget - result.total_cost)
    assert top_n is None or len(result.selected) <= top_n
    assert set(result.per_country) == set(table["iso3"])
    for country in COUNTRIES:
        count = int((chosen["iso3"] == country).sum())
        assert result.per_country.get(country, 0) == count
        assert minimum.get(country, 0) <= count <= maximum.get(country, len(table))
    assert list(chosen["score"]) == sorted(chosen["score"], reverse=True)
    assert result.status == "optimal"


@pytest.mark.parametrize("seed", range(40))
def test_budget_only_equals_brute_force(seed):
    rng = np.random.default_rng(1000 + seed)
    table = random_table(seed, int(rng.integers(1, 13)))
    budget = float(rng.uniform(0, 0.6) * table["rehab_cost_usd"].sum())
    check_against_brute_force(table, budget, None, {}, {})


@pytest.mark.parametrize("seed", range(60))
def test_budget_with_country_limits_and_top_n_equals_brute_force(seed):
    rng = np.random.default_rng(2000 + seed)
    table = random_table(seed, int(rng.integers(3, 13)), missing=seed % 3 == 0)
    budget = float(rng.uniform(0.1, 0.8) * table["rehab_cost_usd"].sum())
    minimum, maximum = limits(rng)
    present = set(table["iso3"])
    minimum = {c: k for c, k in minimum.items() if c in present}
    maximum = {c: k for c, k in maximum.items() if c in present}
    top_n = int(rng.integers(1, 8)) if seed % 2 else None
    check_against_brute_force(table, budget, top_n, minimum, maximum)


def posts() -> pd.DataFrame:
    return pd.DataFrame({
        "post_id": ["MLI-1", "MLI-2", "NER-1", "NER-2", "BFA-2", "BFA-1", "BFA-3"],
        "iso3": ["MLI", "MLI", "NER", "NER", "BFA", "BFA", "BFA"],
        "score": [0.9, 0.8, 0.7, 0.6, 0.5, 0.5, np.nan],
        "rehab_cost_usd": [100_000, 50_000, 30_000, np.nan, 20_000, 10_000, 5_000],
    })


def test_top_n_alone_takes_the_highest_scores_ties_by_id():
    result = shortlist(posts(), top_n=5)
    assert result.selected == ["MLI-1", "MLI-2", "NER-1", "NER-2", "BFA-1"]
    assert result.tied_at_cutoff == ["BFA-2"]
    assert result.status == "top_n" and result.budget is None and result.budget_left is None
    assert result.cost_unknown == ["NER-2"] and result.total_cost == 190_000
    assert result.excluded_missing_score == ["BFA-3"] and result.excluded_missing_cost == []
    assert result.per_country == {"BFA": 1, "MLI": 2, "NER": 2}


def test_posts_missing_cost_or_score_are_excluded_under_a_budget():
    result = shortlist(posts(), budget=1_000_000)
    assert result.selected == ["MLI-1", "MLI-2", "NER-1", "BFA-1", "BFA-2"]
    assert result.excluded_missing_cost == ["NER-2"]
    assert result.excluded_missing_score == ["BFA-3"]
    assert result.total_cost == 210_000 and result.budget_left == 790_000


def test_top_n_caps_the_count_under_a_budget_and_country_limits_apply_without_one():
    assert shortlist(posts(), budget=1_000_000, top_n=2).selected == ["MLI-1", "MLI-2"]
    capped = shortlist(posts(), top_n=3, max_per_country={"mli": 1}, min_per_country={"BFA": 1})
    assert capped.selected[:2] == ["MLI-1", "NER-1"] and capped.selected[2] in ("BFA-1", "BFA-2")
    assert capped.total_score == pytest.approx(2.1) and capped.status == "optimal"


def messages(error: ShortlistError) -> tuple[str, str]:
    english, french = error.message("en"), plain(error.message("fr"))
    assert "{" not in english + french and english != french
    return english, french


@pytest.mark.parametrize(("kwargs", "code", "english_parts", "french_parts"), [
    ({"budget": 1e6, "min_per_country": {"TCD": 1}}, "unknown_country",
     ["minimum number of posts per country", "“TCD”", "BFA, MLI, NER"],
     ["nombre minimal de postes par pays", "« TCD »", "Pays des postes : BFA, MLI, NER"]),
    ({"top_n": 3, "max_per_country": {"XYZ": 1}}, "unknown_country",
     ["maximum number of posts per country", "“XYZ”"], ["nombre maximal de postes par pays", "« XYZ »"]),
    ({"budget": 1e6, "min_per_country": {"MLI": 2}, "max_per_country": {"MLI": 1}}, "min_above_max",
     ["MLI", "(2)", "(1)"], ["Pour MLI", "(2)", "(1) ;"]),
    ({"top_n": 5, "min_per_country": {"MLI": 3}}, "too_few_posts",
     ["MLI (3)", "(2)"], ["MLI (3)", "(2)"]),
    ({"budget": 1e6, "min_per_country": {"NER": 2}}, "too_few_posts_with_data",
     ["NER (2)", "(1 of 2)", "rehabilitation cost"], ["NER (2)", "(1 sur 2) :", "coût de réhabilitation"]),
    ({"top_n": 2, "min_per_country": {"MLI": 1, "NER": 1, "BFA": 1}}, "minimums_above_top_n",
     ["add up to 3", "(2)"], ["totalisent 3", "(2)"]),
    ({"budget": 100_000, "min_per_country": {"MLI": 2, "BFA": 1}}, "minimums_above_budget",
     ["USD 160,000", "USD 100,000"], ["160 000 USD", "100 000 USD", "budget :"]),
])
def test_each_impossible_request_names_its_constraint(kwargs, code, english_parts, french_parts):
    with pytest.raises(ShortlistInfeasible) as caught:
        shortlist(posts(), **kwargs)
    assert caught.value.code == code
    english, french = messages(caught.value)
    assert str(caught.value) == english
    for part in english_parts:
        assert part in english
    for part in french_parts:
        assert part in french


def test_solver_infeasibility_gets_the_general_message(monkeypatch):
    monkeypatch.setattr(shortlist_module, "milp", lambda *a, **k: SimpleNamespace(status=2, x=None))
    with pytest.raises(ShortlistInfeasible) as caught:
        shortlist(posts(), budget=1e6)
    assert caught.value.code == "infeasible"
    english, french = messages(caught.value)
    assert "constraints" in english and "contraintes" in french


@pytest.mark.parametrize(("kwargs", "code"), [
    ({}, "no_limit"),
    ({"budget": -1.0}, "bad_budget"),
    ({"top_n": 0}, "bad_top_n"),
    ({"top_n": 2, "min_per_country": {"MLI": -1}}, "bad_country_count"),
])
def test_requests_that_make_no_sense_are_refused(kwargs, code):
    with pytest.raises(ShortlistError) as caught:
        shortlist(posts(), **kwargs)
    assert caught.value.code == code and not isinstance(caught.value, ShortlistInfeasible)
    messages(caught.value)


def test_bad_tables_are_refused():
    table = posts()
    with pytest.raises(ShortlistError, match="rehab_cost_usd"):
        shortlist(table.drop(columns="rehab_cost_usd"), top_n=2)
    with pytest.raises(ShortlistError, match="MLI-1"):
        shortlist(pd.concat([table, table.head(1)]), top_n=2)
    with pytest.raises(ShortlistError, match="NER-1"):
        shortlist(table.assign(rehab_cost_usd=table["rehab_cost_usd"].where(table["post_id"] != "NER-1", -5)),
                  budget=10.0)


def test_custom_id_column_and_empty_result():
    table = posts().rename(columns={"post_id": "crossing"})
    result = shortlist(table, budget=1_000.0, id_column="crossing")
    assert result.selected == [] and result.total_cost == 0 and result.total_score == 0


def test_brute_force_helper_agrees_on_a_hand_case():
    table = posts().head(4)
    best = max(sum(s for s, _ in combo)
               for r in range(5) for combo in itertools.combinations(
                   [(0.9, 100_000), (0.8, 50_000), (0.7, 30_000)], r)
               if sum(c for _, c in combo) <= 90_000)
    assert brute_force(table, 90_000, None, {}, {}) == pytest.approx(best) == pytest.approx(1.5)


def test_running_totals_add_each_cost_and_show_the_budget_left():
    costs = pd.Series([100.0, None, 250.0], index=["a", "b", "c"])
    totals = running_totals(costs, 500)
    assert list(totals["running_total"]) == [100, 100, 350] and list(totals["budget_left"]) == [400, 400, 150]
    assert "budget_left" not in running_totals(costs, None)
