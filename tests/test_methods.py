"""MCDA methods and AHP against published worked examples and hand computations."""

from __future__ import annotations

import numpy as np
import pytest

from mapping.scoring.ahp import AHPError, ahp_weights, judgements_from_weights, matrix_from_upper, read_matrix
from mapping.scoring.methods import aggregate, min_max, normalise

DRINKS = ["coffee", "wine", "tea", "beer", "sodas", "milk", "water"]
DRINKS_MATRIX = np.array([
    [1, 9, 5, 2, 1, 1, 1 / 2],
    [1 / 9, 1, 1 / 3, 1 / 9, 1 / 9, 1 / 9, 1 / 9],
    [1 / 5, 3, 1, 1 / 3, 1 / 4, 1 / 3, 1 / 9],
    [1 / 2, 9, 3, 1, 1 / 2, 1, 1 / 3],
    [1, 9, 4, 2, 1, 2, 1 / 2],
    [1, 9, 3, 1, 1 / 2, 1, 1 / 3],
    [2, 9, 9, 3, 2, 3, 1],
])


def test_ahp_reproduces_saaty_2008_drink_consumption_example():
    """Saaty, 'Decision making with the analytic hierarchy process', Int. J. Services
    Sciences 1(1), 2008: eigenvector .177 .019 .042 .116 .190 .129 .327, CR .022."""
    result = ahp_weights(DRINKS, DRINKS_MATRIX)
    published = [0.177, 0.019, 0.042, 0.116, 0.190, 0.129, 0.327]
    assert [round(result.weights[d], 3) for d in DRINKS] == published
    assert round(result.consistency_ratio, 3) == 0.022
    assert result.consistent


def test_ahp_reads_fractions_and_flags_inconsistency():
    names, matrix = read_matrix("criterion;a;b;c\na;1;3;1/5\nb;1/3;1;5\nc;5;1/5;1\n")
    assert names == ["a", "b", "c"] and matrix[0, 2] == pytest.approx(0.2)
    result = ahp_weights(names, matrix)
    assert result.consistency_ratio > 0.10 and not result.consistent
    with pytest.raises(AHPError) as error:
        ahp_weights(["a", "b"], np.array([[1, 3], [3, 1]]))
    assert error.value.code == "not_reciprocal"


def test_topsis_reproduces_hwang_and_yoon_fighter_aircraft_example():
    """Hwang and Yoon (1981), fighter aircraft: 4 aircraft, 6 criteria (cost is the only
    cost criterion), weights .2 .1 .1 .1 .2 .3; relative closeness A1 0.643, A2 0.268,
    order A1 > A3 > A4 > A2."""
    x = np.array([[2.0, 1500, 20000, 5.5, 5, 9], [2.5, 2700, 18000, 6.5, 3, 5],
                  [1.8, 2000, 21000, 4.5, 7, 7], [2.2, 1800, 20000, 5.0, 5, 5]])
    benefit = np.array([True, True, True, False, True, True])
    w = np.array([0.2, 0.1, 0.1, 0.1, 0.2, 0.3])
    closeness = aggregate(normalise(x, benefit, "topsis"), w, "topsis", benefit)
    assert round(closeness[0], 3) == 0.643 and round(closeness[1], 3) == 0.268
    assert list(np.argsort(-closeness)) == [0, 2, 3, 1]


def test_weighted_sum_and_geometric_mean_by_hand():
    x = np.array([[10.0, 2.0], [0.0, 6.0], [5.0, 4.0]])
    benefit = np.array([True, False])  # second criterion: lower is more urgent
    n = min_max(x, benefit)
    assert n.tolist() == [[1.0, 1.0], [0.0, 0.0], [0.5, 0.5]]
    w = np.array([0.75, 0.25])
    assert aggregate(normalise(x, benefit, "wsum"), w, "wsum", benefit).tolist() == [1.0, 0.0, 0.5]
    wgm = aggregate(normalise(x, benefit, "wgm"), w, "wgm", benefit)
    assert wgm[0] == pytest.approx(1.0) and wgm[1] == pytest.approx(0.01)
    assert wgm[2] == pytest.approx((0.01 + 0.99 * 0.5) ** 1.0)


def test_many_weight_sets_at_once_equal_one_at_a_time():
    rng = np.random.default_rng(1)
    x = rng.random((20, 4))
    benefit = np.array([True, False, True, True])
    weights = rng.dirichlet(np.ones(4), size=5)
    for method in ("wsum", "wgm", "topsis"):
        n = normalise(x, benefit, method)
        together = aggregate(n, weights, method, benefit)
        for k in range(5):
            assert np.allclose(together[k], aggregate(n, weights[k], method, benefit))


def test_the_ahp_editor_reads_judgements_above_the_diagonal_and_mirrors_them():
    cells = [["1", "3", "5"], ["9", "1", "1/2"], ["x", "0", "1"]]  # below the diagonal: ignored
    matrix = matrix_from_upper(cells)
    np.testing.assert_allclose(matrix, [[1, 3, 5], [1 / 3, 1, 0.5], [0.2, 2, 1]])
    judgements = judgements_from_weights([0.6, 0.2, 0.2, 0.0])
    assert judgements[0][:3] == ["1", "3", "3"] and judgements[1][0] == "1/3" and judgements[3][0] == "1"
    with pytest.raises(AHPError):
        matrix_from_upper([["1", "trois"], ["1", "1"]])
