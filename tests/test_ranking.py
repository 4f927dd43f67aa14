"""Ranking from an indicator table and a profile: policies, ties, explanations, invariants."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import plain
from hypothesis import given, settings
from hypothesis import strategies as st

from mapping.scoring.explain import ordinal, results_table
from mapping.scoring.profile import ProfileError, load_profile, profile_from_dict
from mapping.scoring.rank import score


def profile(method="wsum", **extra):
    data = {"method": method, "criteria": [
        {"indicator": "pop_20km", "direction": "benefit", "weight": 3},
        {"indicator": "unofficial_20km", "direction": "benefit", "weight": 2, "missing": "worst"},
        {"indicator": "road_km", "direction": "cost", "weight": 1, "missing": "median"},
    ]}
    data.update(extra)
    return profile_from_dict(data)


TABLE = pd.DataFrame({
    "name": ["Kobenni", "Gogui", "Nara", "Fassala"],
    "iso3": ["MRT", "MLI", "MLI", "MRT"],
    "status": ["operational", "degraded", "closed", "planned"],
    "pop_20km": [38000.0, 12000.0, 30000.0, 5000.0],
    "unofficial_20km": [14.0, np.nan, 3.0, 2.0],
    "road_km": [0.0, 10.0, 4.0, np.nan],
}, index=pd.Index(["MRT-001", "MLI-001", "MLI-002", "MRT-002"], name="post_id"))


def test_weights_are_normalised_and_posts_ranked_with_contributions():
    ranking = score(TABLE, profile())
    assert ranking.profile.weights.tolist() == pytest.approx([0.5, 1 / 3, 1 / 6])
    table = ranking.table
    assert list(table.index) == ["MRT-001", "MLI-002", "MLI-001", "MRT-002"]
    kobenni = table.loc["MRT-001"]
    assert kobenni["score"] == pytest.approx(1.0) and kobenni["rank"] == 1
    contributions = table[[c for c in table if c.startswith("contrib:")]].sum(axis=1)
    assert np.allclose(contributions, table["score"])  # weighted sum: parts add up


def test_missing_values_follow_each_criterion_policy_and_are_reported():
    table = score(TABLE, profile()).table
    # unofficial: worst = least urgent observed value (2); road: median of 0, 10, 4 = 4
    assert table.at["MLI-001", "value:unofficial_20km"] == 2.0
    assert table.at["MRT-002", "value:road_km"] == 4.0
    assert table.at["MLI-001", "imputed"] == "unofficial_20km:worst"
    assert table.at["MRT-002", "imputed"] == "road_km:median"
    strict = profile_from_dict({"criteria": [{"indicator": "road_km", "missing": "exclude"}]})
    ranking = score(TABLE, strict)
    assert ranking.excluded.loc["MRT-002", "excluded"] == "missing:road_km"
    assert "MRT-002" not in ranking.table.index


def test_exclusion_rules_and_flags():
    ranking = score(TABLE, profile(exclude={"status": ["closed"]}, flag={"status": ["planned"]}))
    assert list(ranking.excluded.index) == ["MLI-002"]
    assert ranking.excluded.at["MLI-002", "name"] == "Nara"
    assert ranking.table.at["MRT-002", "flagged"] == "status=planned"


def test_ties_share_the_rank_and_are_stated():
    tied = TABLE.copy()
    tied.loc["MLI-001", ["pop_20km", "unofficial_20km", "road_km"]] = [38000.0, 14.0, 0.0]
    table = score(tied, profile()).table
    assert table.loc[["MRT-001", "MLI-001"], "rank"].tolist() == [1, 1]
    assert table.loc[["MRT-001", "MLI-001"], "tied"].all()
    assert table["rank"].tolist()[2] == 3


def test_explanations_in_english_and_french():
    ranking = score(TABLE, profile())
    english = results_table(ranking, "en").loc["MLI-002", "explanation"]
    assert english.startswith("2nd: ")
    assert "30,000 people within 20 km" in english
    french = results_table(ranking, "fr").map(lambda v: plain(v) if isinstance(v, str) else v)
    assert "30 000 habitants à moins de 20 km" in french.loc["MLI-002", "explanation"]
    assert "(points de passage non officiels à moins de 20 km : pas de donnée, valeur la moins " \
           "urgente utilisée)" in french.loc["MLI-001", "explanation"]
    assert ordinal(1, "fr") == "1er" and ordinal(2, "fr", tied=True) == "2e ex æquo"
    assert ordinal(11, "en") == "11th" and ordinal(23, "en") == "23rd"


def test_profile_errors_name_the_problem():
    with pytest.raises(ProfileError) as error:
        score(TABLE, profile_from_dict({"criteria": [{"indicator": "nope"}]}))
    assert error.value.code == "unknown_indicator" and "pop_20km" in error.value.params["available"]
    for bad, code in [({"criteria": []}, "no_criteria"),
                      ({"method": "vote", "criteria": [{"indicator": "a"}]}, "unknown_method"),
                      ({"criteria": [{"indicator": "a", "direction": "up"}]}, "bad_direction"),
                      ({"criteria": [{"indicator": "a", "weight": -1}]}, "bad_weights")]:
        with pytest.raises(ProfileError) as error:
            profile_from_dict(bad)
        assert error.value.code == code


def test_ahp_matrix_in_a_profile_sets_the_weights():
    p = profile(ahp={"matrix": [["1", "3", "5"], ["1/3", "1", "3"], ["1/5", "1/3", "1"]]})
    assert p.weights.tolist() == pytest.approx([0.637, 0.258, 0.105], abs=1e-3)
    assert p.ahp.consistency_ratio < 0.1


def test_the_shipped_default_profile_ranks_every_method():
    default = load_profile()
    assert default.weights.sum() == pytest.approx(1.0)
    assert default.exclude == {"status": ("closed", "planned")} and default.flag == {}


# ------------------------------------------------------------------ invariants
matrices = st.integers(3, 12).flatmap(lambda n: st.lists(
    st.lists(st.floats(0, 100, allow_nan=False), min_size=3, max_size=3), min_size=n, max_size=n))
weight_lists = st.lists(st.floats(0.05, 10), min_size=3, max_size=3)


def as_table(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["a", "b", "c"],
                        index=pd.Index([f"P{i}" for i in range(len(rows))], name="post_id"))


def make_profile(weights, method="wsum", ranges=False):
    return profile_from_dict({"method": method, "criteria": [
        {"indicator": name, "direction": direction, "weight": w,
         **({"range": [0, 100]} if ranges else {})}
        for name, direction, w in zip("abc", ("benefit", "cost", "benefit"), weights, strict=True)]})


@settings(max_examples=60, deadline=None)
@given(matrices, weight_lists, st.floats(0.1, 1000), st.sampled_from(["wsum", "wgm", "topsis"]))
def test_scaling_all_weights_changes_nothing(rows, weights, factor, method):
    table = as_table(rows)
    base = score(table, make_profile(weights, method)).table["score"]
    scaled = score(table, make_profile([w * factor for w in weights], method)).table["score"]
    assert np.allclose(base.sort_index(), scaled.sort_index())


@settings(max_examples=60, deadline=None)
@given(matrices, weight_lists, st.data(), st.sampled_from(["wsum", "wgm", "topsis"]))
def test_improving_a_post_never_lowers_its_score(rows, weights, data, method):
    table = as_table(rows)
    post = data.draw(st.sampled_from(list(table.index)))
    column = data.draw(st.sampled_from(["a", "b", "c"]))
    step = data.draw(st.floats(0.01, 50))
    better = table.copy()
    better.loc[post, column] += -step if column == "b" else step  # b is a cost criterion
    before = score(table, make_profile(weights, method)).table.at[post, "score"]
    after = score(better, make_profile(weights, method)).table.at[post, "score"]
    assert after >= before - 1e-9


@settings(max_examples=60, deadline=None)
@given(matrices, weight_lists, st.data())
def test_adding_a_dominated_post_keeps_the_order_of_the_others(rows, weights, data):
    """Under the weighted sum with a fixed min–max range per criterion."""
    table = as_table(rows)
    worst = [table["a"].min(), table["b"].max(), table["c"].min()]
    shift = data.draw(st.lists(st.floats(0, 20), min_size=3, max_size=3))
    dominated = [max(worst[0] - shift[0], 0), min(worst[1] + shift[1], 100), max(worst[2] - shift[2], 0)]
    bigger = pd.concat([table, as_table([dominated]).rename(index={"P0": "DOMINATED"})])
    p = make_profile(weights, ranges=True)
    before = score(table, p).table["score"]
    after = score(bigger, p).table["score"].drop("DOMINATED")
    assert np.allclose(before.sort_index(), after.sort_index())


def test_with_observed_ranges_a_dominated_post_can_reorder_the_others():
    """Why the invariant above needs fixed ranges: min–max over the observed values moves
    each criterion's minimum when a dominated post is added, which rescales criteria unequally."""
    table = as_table([[10, 99, 2.5], [4, 99, 8], [7, 99, 2]])
    p = profile_from_dict({"criteria": [{"indicator": "a", "weight": 1}, {"indicator": "c", "weight": 1}]})
    assert list(score(table, p).table.index[:2]) == ["P0", "P1"]
    bigger = pd.concat([table, as_table([[0, 99, 0]]).rename(index={"P0": "D"})])
    assert list(score(bigger, p).table.index[:2]) == ["P1", "P0"]


# ------------------------------------------------------------------ review regressions
def test_a_criterion_without_any_value_is_left_out_and_reported():
    table = TABLE.assign(incidents_20km=np.nan)
    p = profile_from_dict({"criteria": [{"indicator": "pop_20km", "weight": 1},
                                        {"indicator": "incidents_20km", "weight": 1}]})
    ranking = score(table, p)
    assert ranking.empty_criteria == ["incidents_20km"]
    assert ranking.profile.weights.tolist() == [1.0, 0.0]
    assert ranking.table["score"].max() == pytest.approx(1.0)
    with pytest.raises(ProfileError) as error:
        score(table, profile_from_dict({"criteria": [{"indicator": "incidents_20km"}]}))
    assert error.value.code == "no_data"


def test_a_constant_criterion_raises_no_score_and_is_never_a_reason():
    table = TABLE.assign(incidents_20km=0.0)
    p = profile_from_dict({"criteria": [{"indicator": "pop_20km", "weight": 1},
                                        {"indicator": "incidents_20km", "weight": 1}]})
    ranking = score(table, p)
    assert ranking.table["score"].min() == pytest.approx(0.0)
    assert not results_table(ranking, "en")["explanation"].str.contains("incident").any()


def test_non_finite_weights_and_bad_settings_are_refused_with_a_reason():
    cases = [({"criteria": [{"indicator": "a", "weight": float("nan")}]}, "bad_weights"),
             ({"criteria": [{"indicator": "a", "weight": float("inf")}]}, "bad_weights"),
             ({"criteria": [{"indicator": "a", "range": 5}]}, "bad_range"),
             ({"criteria": ["a"]}, "criterion_without_indicator"),
             ({"criteria": [{"indicator": "a"}], "exclude": ["closed"]}, "bad_table"),
             ({"criteria": [{"indicator": "a"}], "top_n": "x"}, "bad_setting"),
             ({"criteria": [{"indicator": "a"}], "indicators": {"radius": 10}}, "unknown_setting"),
             ({"criteria": [{"indicator": "a"}], "indicators": {"radius_km": 0}}, "bad_setting"),
             ({"criteria": [{"indicator": "a"}, {"indicator": "b"}],
               "ahp": {"matrix": [["1", "x"], ["1", "1"]]}}, "bad_ahp_matrix")]
    for data, code in cases:
        with pytest.raises(ProfileError) as error:
            profile_from_dict(data)
        assert error.value.code == code, data


def test_numeric_rules_stale_assessments_and_several_flags():
    table = TABLE.assign(facing_post=[0.0, 1.0, 1.0, 0.0],
                         assessment_stale=[False, True, False, True])
    ranking = score(table, profile(exclude={"facing_post": [0]}, flag={"status": ["degraded"]}))
    assert sorted(ranking.excluded.index) == ["MRT-001", "MRT-002"]
    assert ranking.table.at["MLI-001", "flagged"] == "status=degraded;assessment_stale"
    french = results_table(ranking, "fr").map(lambda v: plain(v) if isinstance(v, str) else v)
    assert "[signalé : statut : dégradé ; évaluation de terrain absente" in \
        french.loc["MLI-001", "explanation"]
    assert french.loc["MRT-001", "excluded"] == "poste en face de l’autre côté de la frontière : 0.0"


def test_french_counts_of_zero_and_one_are_singular():
    from mapping.scoring.explain import describe

    assert describe("unofficial_20km", 0.0, "fr") == \
        "0 point de passage non officiel à moins de 20 km"
    assert describe("unofficial_20km", 0.0, "en") == "0 unofficial crossings within 20 km"


def test_decimal_commas_in_a_french_indicator_table(tmp_path):
    from mapping.scoring.pipeline import read_indicator_table

    path = tmp_path / "indicateurs.csv"
    path.write_text("post_id;pop_20km;condition_need\nA;38 000;3,5\nB;1 200,5;0,5\n", encoding="utf-8")
    table = read_indicator_table(path)
    assert table.loc["A", "condition_need"] == 3.5 and table.loc["B", "pop_20km"] == 1200.5
