"""Monte Carlo ranks equal a brute-force rankdata loop; one-at-a-time changes have the right shape."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import rankdata

from mapping.scoring.methods import METHODS, normalise
from mapping.scoring.sensitivity import monte_carlo, one_at_a_time, sample_scores, sample_weights

PERCENTS = (5, 50, 95)


def case(seed: int, posts: int = 30, criteria: int = 6) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Random raw values (posts, criteria), benefit flags and profile weights."""
    rng = np.random.default_rng(seed)
    values = rng.random((posts, criteria)) * rng.uniform(1, 1000, criteria)
    benefit = rng.random(criteria) < 0.7
    weights = rng.dirichlet(np.full(criteria, 3.0))
    return values, benefit, weights


def brute_force(normalised, benefit, weights, method, *, samples, concentration, top_n, seed):
    """Percentile ranks and P(top N) from scipy's rankdata, one draw at a time."""
    draws = sample_weights(weights, samples, concentration, seed)
    scores = sample_scores(normalised, benefit, draws, method)
    ranks = np.array([rankdata(-row, method="min") for row in scores])
    percentiles = [np.percentile(ranks, p, axis=0, method="inverted_cdf") for p in PERCENTS]
    return percentiles, (ranks <= top_n).mean(axis=0)


def assert_equals_brute_force(normalised, benefit, weights, method, **settings):
    """Run monte_carlo and check every percentile rank and P(top N) against brute force."""
    result = monte_carlo(normalised, benefit, weights, method, **settings)
    (p05, median, p95), p_top = brute_force(normalised, benefit, weights, method, **settings)
    np.testing.assert_array_equal([result.rank_p05, result.rank_median, result.rank_p95],
                                  [p05, median, p95])
    np.testing.assert_array_equal(result.p_top_n, p_top)
    return result


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_monte_carlo_equals_brute_force(method, seed):
    values, benefit, weights = case(seed)
    normalised = normalise(values, benefit, method)
    settings = {"samples": 200, "concentration": 20.0, "top_n": 5, "seed": seed}
    result = monte_carlo(normalised, benefit, weights, method, **settings)
    (p05, median, p95), p_top = brute_force(normalised, benefit, weights, method, **settings)
    np.testing.assert_array_equal(result.rank_p05, p05)
    np.testing.assert_array_equal(result.rank_median, median)
    np.testing.assert_array_equal(result.rank_p95, p95)
    np.testing.assert_array_equal(result.p_top_n, p_top)


def test_ties_share_the_better_rank_like_rankdata_min():
    values, benefit, weights = case(3, posts=12)
    values = np.vstack([values, values[:4], values[:2]])  # exact duplicates tie in every draw
    normalised = normalise(values, benefit, "wsum")
    settings = {"samples": 150, "concentration": 10.0, "top_n": 4, "seed": 3}
    result = assert_equals_brute_force(normalised, benefit, weights, "wsum", **settings)
    np.testing.assert_array_equal(result.rank_median[12:16], result.rank_median[:4])


def test_ties_at_both_ends_of_every_draw():
    values, benefit, weights = case(12, posts=10)
    best = np.where(benefit, values.max(axis=0) * 2, values.min(axis=0) / 2)
    worst = np.where(benefit, values.min(axis=0) / 2, values.max(axis=0) * 2)
    values = np.vstack([worst, values, best, worst, best, worst])
    normalised = normalise(values, benefit, "wsum")
    settings = {"samples": 100, "concentration": 5.0, "top_n": 2, "seed": 12}
    result = assert_equals_brute_force(normalised, benefit, weights, "wsum", **settings)
    assert result.rank_p95[0] == result.rank_p05[0] == 13  # three posts tied last among 15


@pytest.mark.parametrize("method", ["wsum", "topsis"])
def test_negative_normalised_values_rank_like_rankdata(method):
    values, benefit, weights = case(13)
    normalised = values / values.max(axis=0) - 0.5  # wsum scores below and above zero
    normalised[:2], normalised[2:4] = -0.0, 0.0  # equal scores whatever their sign bit
    settings = {"samples": 120, "concentration": 30.0, "top_n": 3, "seed": 13}
    result = monte_carlo(normalised, benefit, weights, method, **settings)
    (p05, median, p95), p_top = brute_force(normalised, benefit, weights, method, **settings)
    np.testing.assert_array_equal([result.rank_p05, result.rank_median, result.rank_p95], [p05, median, p95])
    np.testing.assert_array_equal(result.p_top_n, p_top)


def test_several_chunks_and_progress(monkeypatch):
    import mapping.scoring.sensitivity as sensitivity

    values, benefit, weights = case(4)
    normalised = normalise(values, benefit, "topsis")
    whole = monte_carlo(normalised, benefit, weights, "topsis", samples=230, seed=4)
    monkeypatch.setattr(sensitivity, "CHUNK", 50)
    calls = []
    chunked = monte_carlo(normalised, benefit, weights, "topsis", samples=230, seed=4,
                          progress=lambda done, total: calls.append((done, total)))
    assert calls == [(50, 230), (100, 230), (150, 230), (200, 230), (230, 230)]
    np.testing.assert_array_equal(chunked.rank_median, whole.rank_median)
    np.testing.assert_array_equal(chunked.p_top_n, whole.p_top_n)


def test_many_posts_with_float32_ties_over_several_chunks(monkeypatch):
    import mapping.scoring.sensitivity as sensitivity

    monkeypatch.setattr(sensitivity, "CHUNK", 64)
    values, benefit, weights = case(14, posts=3000, criteria=5)
    normalised = normalise(values, benefit, "wsum")
    settings = {"samples": 150, "concentration": 50.0, "top_n": 100, "seed": 14}
    draws = sample_weights(weights, settings["samples"], 50.0, 14)
    scores = sample_scores(normalised, benefit, draws, "wsum")
    assert sum(len(row) - len(np.unique(row)) for row in scores) > 10  # ties at float32 precision
    result = monte_carlo(normalised, benefit, weights, "wsum", **settings)
    (p05, median, p95), p_top = brute_force(normalised, benefit, weights, "wsum", **settings)
    np.testing.assert_array_equal([result.rank_p05, result.rank_median, result.rank_p95], [p05, median, p95])
    np.testing.assert_array_equal(result.p_top_n, p_top)


def test_seeded_runs_repeat_and_seeds_differ():
    values, benefit, weights = case(5)
    normalised = normalise(values, benefit, "wsum")
    first, again, other = (monte_carlo(normalised, benefit, weights, "wsum", samples=300, seed=s)
                           for s in (7, 7, 8))
    for field in ("rank_p05", "rank_median", "rank_p95", "p_top_n"):
        np.testing.assert_array_equal(getattr(first, field), getattr(again, field))
    assert not np.array_equal(first.p_top_n, other.p_top_n)
    np.testing.assert_array_equal(sample_weights(weights, 5, 50.0, 7), sample_weights(weights, 5, 50.0, 7))


def test_sample_weights_are_centred_rows_summing_to_one():
    weights = np.array([0.5, 0.3, 0.2, 0.0])
    draws = sample_weights(weights, 20_000, 50.0, 0)
    assert draws.shape == (20_000, 4) and draws.dtype == np.float64
    np.testing.assert_allclose(draws.sum(axis=1), 1.0)
    np.testing.assert_allclose(draws.mean(axis=0), weights, atol=0.005)
    assert np.all(draws[:, 3] == 0)


def test_higher_concentration_narrows_the_intervals():
    values, benefit, weights = case(6, posts=60)
    normalised = normalise(values, benefit, "wsum")
    width = {c: monte_carlo(normalised, benefit, weights, "wsum", samples=500, concentration=c)
             for c in (5.0, 50.0, 500.0)}
    spread = {c: np.mean(r.rank_p95 - r.rank_p05) for c, r in width.items()}
    assert spread[5.0] > spread[50.0] > spread[500.0]


@pytest.mark.parametrize("method", METHODS)
def test_a_post_best_on_every_criterion_is_always_first(method):
    values, benefit, weights = case(7)
    best = np.where(benefit, values.max(axis=0) * 1.5, values.min(axis=0) * 0.5)
    values = np.vstack([values[:10], best, values[10:]])
    normalised = normalise(values, benefit, method)
    result = monte_carlo(normalised, benefit, weights, method, samples=300, concentration=2.0, top_n=1)
    assert (result.rank_p05[10], result.rank_p95[10], result.p_top_n[10]) == (1, 1, 1.0)
    assert result.p_top_n.sum() == 1.0


def test_to_frame_is_indexed_by_post_id():
    values, benefit, weights = case(8, posts=5)
    result = monte_carlo(normalise(values, benefit, "wsum"), benefit, weights, "wsum", samples=50)
    ids = [f"P{i}" for i in range(5)]
    frame = result.to_frame(ids)
    assert list(frame.index) == ids and frame.index.name == "post_id"
    assert list(frame.columns) == ["rank_p05", "rank_median", "rank_p95", "p_top_n"]
    assert (frame["rank_p05"] <= frame["rank_median"]).all()
    assert (frame["rank_median"] <= frame["rank_p95"]).all()
    with pytest.raises(ValueError):
        result.to_frame(ids[:4])


def test_bad_inputs_are_refused():
    values, benefit, weights = case(9, posts=5)
    normalised = normalise(values, benefit, "wsum")
    with pytest.raises(ValueError):
        monte_carlo(normalised, benefit, weights, "median")
    with pytest.raises(ValueError):
        monte_carlo(normalised, benefit, weights * 2, "wsum")
    with pytest.raises(ValueError):
        monte_carlo(np.where(normalised > 0.5, np.nan, normalised), benefit, weights, "wsum")
    with pytest.raises(ValueError):
        sample_weights(weights, 10, 0.0, 0)


def test_one_at_a_time_shape_and_no_change_at_factor_one():
    values, benefit, weights = case(10, posts=8, criteria=4)
    normalised = normalise(values, benefit, "wgm")
    criteria = ["population", "crossings", "gap", "condition"]
    ids = [f"P{i}" for i in range(8)]
    factors = (0.5, 1.0, 1.5)
    frame = one_at_a_time(normalised, benefit, weights, "wgm", criteria, factors=factors, ids=ids)
    assert list(frame.columns) == ["criterion", "factor", "weight", "post_id", "rank", "rank_change"]
    assert len(frame) == 4 * 3 * 8
    assert (frame[frame["factor"] == 1.0]["rank_change"] == 0).all()
    for (name, factor), group in frame.groupby(["criterion", "factor"]):
        j = criteria.index(name)
        assert group["weight"].iloc[0] == pytest.approx(min(weights[j] * factor, 1.0))
        assert sorted(group["rank"]) == list(range(1, 9))  # no ties in random data
        assert list(group["post_id"]) == ids


def test_one_at_a_time_caps_the_weight_at_one():
    values, benefit, _ = case(11, posts=6, criteria=3)
    weights = np.array([0.8, 0.1, 0.1])
    frame = one_at_a_time(normalise(values, benefit, "wsum"), benefit, weights, "wsum", ["a", "b", "c"],
                          factors=(1.5,), ids=list("uvwxyz"))
    assert frame.loc[frame["criterion"] == "a", "weight"].iloc[0] == 1.0
