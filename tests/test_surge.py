"""Surge scenarios: every displaced person is counted once, posts never process more than
their capacity, people go where the choice rule sends them, and bad settings are refused."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mapping.access.scenario import (
    SurgeError,
    SurgeScenario,
    departure_fractions,
    scenario_from_dict,
    scenario_to_dict,
)
from mapping.access.surge import compare, post_capacity, simulate

INF = math.inf


def sites_table(kinds: list[str], capacity: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"site_id": [f"S{i}" for i in range(len(kinds))],
                         "name": [f"site {i}" for i in range(len(kinds))],
                         "site_kind": kinds, "capacity_per_day": capacity})


@contextlib.contextmanager
def raises_code(code: str) -> Iterator[None]:
    with pytest.raises(SurgeError) as caught:
        yield
    assert caught.value.code == code, caught.value.code


def same_minutes(values: list[float]) -> dict[str, np.ndarray]:
    return {mode: np.array(values, dtype=float) for mode in ("foot", "motorbike", "vehicle")}


def check_conserved_and_capped(result, people: int) -> None:
    daily = result.daily
    assert result.departures.sum() == people
    assert daily["arrivals"].sum() + sum(result.unreached.values()) == people
    assert result.unreached_by_day.sum() == sum(result.unreached.values())
    posts = daily[daily["site_kind"] == "post"]
    processed = posts["processed"].to_numpy(dtype=np.int64)
    assert (processed >= 0).all() and (processed <= posts["capacity_per_day"].to_numpy(dtype=np.int64)).all()
    # whoever arrives at a post is processed or still queueing at the end
    assert processed.sum() + posts.groupby("post_id")["queue"].last().sum() == posts["arrivals"].sum()


def test_hand_computed_queues_on_two_posts_over_three_days():
    # 600 people over 3 days: 200 a day, half on foot to A (same day), half by vehicle to B
    # (1,500 minutes: arriving the next day)
    sites = sites_table(["post", "post"], [60, 80])
    minutes = {"foot": np.array([30.0, INF]), "motorbike": np.array([INF, INF]),
               "vehicle": np.array([INF, 1500.0])}
    scenario = SurgeScenario(people=600, days=3, mode_mix={"foot": 0.5, "vehicle": 0.5}, unofficial_share=0)
    result = simulate(scenario, sites, minutes)
    table = result.daily.set_index(["post_id", "day"])
    a, b = table.loc["S0"], table.loc["S1"]
    assert result.horizon_days == 5
    assert list(a["arrivals"]) == [100, 100, 100, 0, 0]
    assert list(a["processed"]) == [60, 60, 60, 60, 60]
    assert list(a["queue"]) == [40, 80, 120, 60, 0]
    assert list(b["arrivals"]) == [0, 100, 100, 100, 0]
    assert list(b["processed"]) == [0, 80, 80, 80, 60]
    assert list(b["queue"]) == [0, 20, 40, 60, 0]
    summary = result.summary.set_index("post_id")
    assert list(summary["saturation_day"]) == [1, 2]
    assert list(summary["days_to_clear"]) == [5, 5]
    assert list(summary["peak_queue"]) == [120, 60]
    assert list(summary["arrivals_foot"]) == [300, 0] and list(summary["arrivals_vehicle"]) == [0, 300]
    assert result.first_saturated == ("S0", "S1") and result.never_cleared == ()


def test_conservation_for_each_day_of_departure():
    sites = sites_table(["post", "post", "unofficial"], [100, 50, math.nan])
    scenario = SurgeScenario(people=12_345, days=7, curve="early", choice_k=3)
    same_day = simulate(scenario, sites, same_minutes([100, 400, 700]))
    arrivals_per_day = same_day.daily.groupby("day")["arrivals"].sum().to_numpy()[:7]
    assert (arrivals_per_day + same_day.unreached_by_day == same_day.departures).all()
    next_day = simulate(scenario, sites, same_minutes([1500, 2000, 2800]))  # all arrive a day later
    per_day = next_day.daily.groupby("day")["arrivals"].sum().to_numpy()
    assert per_day[0] == 0 and (per_day[1:8] == next_day.departures).all()
    check_conserved_and_capped(next_day, 12_345)


def test_sites_beyond_reach_receive_no_one():
    sites = sites_table(["post", "post", "post", "unofficial", "unofficial"],
                        [10, 10, 10, math.nan, math.nan])
    scenario = SurgeScenario(people=5000, max_travel_hours=10, choice_k=5)
    result = simulate(scenario, sites, same_minutes([INF, 601, 120, 11 * 60, 30]))
    received = result.summary.set_index("post_id")["arrivals"]
    assert received["S0"] == 0 and received["S1"] == 0 and received["S3"] == 0
    assert received["S2"] + received["S4"] == 5000
    nowhere = simulate(scenario, sites, same_minutes([INF, 601, 700, INF, 900]))
    assert nowhere.daily["arrivals"].sum() == 0 and sum(nowhere.unreached.values()) == 5000
    assert nowhere.unreached == {"foot": 3000, "motorbike": 1250, "vehicle": 750}


def test_no_post_in_reach_leaves_the_official_share_unreached():
    sites = sites_table(["post", "unofficial"], [100, math.nan])
    scenario = SurgeScenario(people=1000, mode_mix={"foot": 1}, unofficial_share=0.3)
    result = simulate(scenario, sites, same_minutes([INF, 60]))
    assert result.unreached["foot"] == 700 and result.summary["arrivals"].tolist() == [0, 300]


def test_without_an_unofficial_crossing_in_reach_everyone_goes_to_the_posts():
    sites = sites_table(["post", "unofficial"], [100, math.nan])
    scenario = SurgeScenario(people=1000, mode_mix={"foot": 1}, unofficial_share=0.3)
    result = simulate(scenario, sites, same_minutes([60, INF]))
    assert result.summary["arrivals"].tolist() == [1000, 0] and result.unreached["foot"] == 0


def test_closed_posts_receive_no_one():
    sites = sites_table(["post", "post"], [0, 100])
    scenario = SurgeScenario(people=1000, unofficial_share=0)
    result = simulate(scenario, sites, same_minutes([10, 500]))
    assert result.summary["arrivals"].tolist() == [0, 1000]


def test_choice_rule_splits_over_the_k_quickest_by_the_logit_weight():
    sites = sites_table(["post", "post", "post"], [1e6, 1e6, 1e6])
    scenario = SurgeScenario(people=10_000, days=1, choice_k=2, choice_tau_minutes=60, unofficial_share=0)
    result = simulate(scenario, sites, same_minutes([120, 60, 90]))  # the two quickest: S1 (60), S2 (90)
    share = 1 / (1 + math.exp(-30 / 60))
    assert result.summary["arrivals"].tolist() == [0, round(10_000 * share), 10_000 - round(10_000 * share)]
    only_quickest = simulate(SurgeScenario(people=10_000, choice_k=1, unofficial_share=0), sites,
                             same_minutes([120, 60, 90]))
    assert only_quickest.summary["arrivals"].tolist() == [0, 10_000, 0]


def test_equal_shares_stay_even_over_the_days():
    sites = sites_table(["post", "post", "post"], [1e6, 1e6, 1e6])
    scenario = SurgeScenario(people=300, days=30, choice_k=3, mode_mix={"foot": 1}, unofficial_share=0)
    result = simulate(scenario, sites, same_minutes([60, 60, 60]))  # 10 a day over 3 sites
    assert result.summary["arrivals"].tolist() == [100, 100, 100]


@pytest.mark.parametrize("curve", ["even", "early", "peak"])
@pytest.mark.parametrize("days", [1, 2, 7, 30, 365])
def test_departure_curves_sum_to_one(curve, days):
    fractions = departure_fractions(SurgeScenario(days=days, curve=curve))
    assert len(fractions) == days and (fractions > 0).all()
    assert math.isclose(fractions.sum(), 1, abs_tol=1e-12)


def test_departure_curve_shapes():
    assert np.allclose(departure_fractions(SurgeScenario(days=10)), 0.1)
    early = departure_fractions(SurgeScenario(days=10, curve="early"))
    assert (np.diff(early) < 0).all() and early[0] / early[-1] == pytest.approx(2 ** 3.6)
    peak = departure_fractions(SurgeScenario(days=10, curve="peak", peak_day=3))
    assert peak.argmax() == 2 and (np.diff(peak[:3]) > 0).all() and (np.diff(peak[2:]) < 0).all()
    assert departure_fractions(SurgeScenario(days=9, curve="peak")).argmax() == 4  # the middle day


def test_scenario_round_trip_and_mix_normalised():
    thirds = {"foot": 0.33, "motorbike": 0.33, "vehicle": 0.33}
    scenario = scenario_from_dict({"name": " Bassikounou  exercise ", "people": 20_000.0, "curve": "peak",
                                   "peak_day": 5, "mode_mix": thirds})
    assert scenario.name == "Bassikounou exercise" and scenario.people == 20_000
    assert scenario.mode_mix == pytest.approx({"foot": 1 / 3, "motorbike": 1 / 3, "vehicle": 1 / 3})
    assert scenario_from_dict(scenario_to_dict(scenario)) == scenario
    assert "peak_day" not in scenario_to_dict(SurgeScenario())


@pytest.mark.parametrize(("data", "code"), [
    ({"people": -1}, "bad_integer"),
    ({"people": 10.5}, "bad_integer"),
    ({"days": 0}, "bad_integer"),
    ({"days": True}, "bad_integer"),
    ({"curve": "sudden"}, "bad_choice"),
    ({"days": 10, "peak_day": 11}, "bad_integer"),
    ({"mode_mix": {"foot": 0.5, "vehicle": 0.2}}, "bad_mix"),
    ({"mode_mix": {"foot": 0.5, "camel": 0.5}}, "unknown_key"),
    ({"mode_mix": [0.5, 0.5]}, "bad_table"),
    ({"mode_mix": {"foot": -0.5, "vehicle": 1.5}}, "bad_number"),
    ({"unofficial_share": 1.2}, "bad_number"),
    ({"choice_k": 0}, "bad_integer"),
    ({"choice_tau_minutes": float("nan")}, "bad_number"),
    ({"max_travel_hours": float("inf")}, "bad_number"),
    ({"hours_per_day": 25}, "bad_number"),
    ({"throughput_per_staff_hour": "ten"}, "bad_number"),
    ({"name": "x" * 81}, "bad_name"),
    ({"peolpe": 100}, "unknown_key"),
])
def test_bad_scenario_values_are_refused_in_both_languages(data, code):
    with pytest.raises(SurgeError) as caught:
        scenario_from_dict(data)
    error = caught.value
    assert error.code == code
    english, french = error.message("en"), error.message("fr")
    assert english != french and "{" not in english + french


def test_not_a_table_is_refused():
    with raises_code("bad_table"):
        scenario_from_dict([("people", 10)])


@pytest.mark.parametrize(("change", "code"), [
    ({"capacity_per_day": [10, -1]}, "bad_capacity"),
    ({"site_kind": ["post", "ferry"]}, "bad_site_kind"),
    ({"site_id": ["S0", "S0"]}, "duplicate_site"),
])
def test_bad_sites_are_refused(change, code):
    sites = sites_table(["post", "post"], [10, 10]).assign(**change)
    with pytest.raises(SurgeError) as caught:
        simulate(SurgeScenario(), sites, same_minutes([1, 2]))
    assert caught.value.code == code


def test_bad_minutes_are_refused():
    sites = sites_table(["post", "post"], [10, 10])
    with raises_code("missing_mode"):
        simulate(SurgeScenario(), sites, {"foot": np.array([1.0, 2.0])})
    with raises_code("bad_minutes"):
        simulate(SurgeScenario(), sites, same_minutes([1, -2]))
    with raises_code("bad_minutes"):
        simulate(SurgeScenario(), sites, same_minutes([1, 2, 3]))
    on_foot = simulate(SurgeScenario(mode_mix={"foot": 1}), sites, {"foot": np.array([1.0, 2.0])})
    assert on_foot.daily["arrivals"].sum() == 10_000  # modes nobody uses may be left out


def test_post_capacity_from_the_column_the_staff_or_the_median():
    posts = pd.DataFrame({"post_id": ["A", "B", "C", "D", "E"],
                          "status": ["operational", "degraded", "operational", "closed", "planned"],
                          "capacity_per_day": [500, None, None, 300, None],
                          "staff": [None, 4, None, 10, 2]})
    capacity, source = post_capacity(posts, SurgeScenario(throughput_per_staff_hour=10, hours_per_day=12))
    assert capacity.tolist() == [500, 480, 490, 0, 0]
    assert source.tolist() == ["capacity_per_day", "staff", "assumed", "closed", "closed"]


def test_post_capacity_needs_one_figure_and_refuses_negative_ones():
    unknown = pd.DataFrame({"post_id": ["A"], "status": ["operational"]})
    with raises_code("no_capacity"):
        post_capacity(unknown, SurgeScenario())
    negative = pd.DataFrame({"post_id": ["A"], "status": ["operational"], "staff": [-3]})
    with raises_code("bad_capacity"):
        post_capacity(negative, SurgeScenario())


def test_compare_puts_scenarios_side_by_side():
    sites = sites_table(["post", "post"], [50, 50])
    small = simulate(SurgeScenario(people=100, days=1), sites, same_minutes([10, 20]))
    large = simulate(SurgeScenario(people=1000, days=1), sites, same_minutes([10, 20]))
    table = compare({"small": small, "large": large})
    assert list(table.columns.get_level_values("scenario").unique()) == ["small", "large"]
    assert table[("large", "arrivals")].tolist() == [1000, 0]
    saturation = table[("small", "saturation_day")]
    assert saturation.iloc[0] == 1 and pd.isna(saturation.iloc[1])
    assert table[("large", "peak_queue")].tolist() == [950, 0]


@st.composite
def surge_cases(draw):
    n = draw(st.integers(1, 8))
    kinds = draw(st.lists(st.sampled_from(["post", "unofficial"]), min_size=n, max_size=n))
    capacity = [draw(st.floats(0, 500)) if kind == "post" else math.nan for kind in kinds]
    times = st.one_of(st.just(INF), st.floats(0, 6000))
    minutes = {mode: np.array(draw(st.lists(times, min_size=n, max_size=n)))
               for mode in ("foot", "motorbike", "vehicle")}
    shares = draw(st.lists(st.floats(0, 1), min_size=3, max_size=3).filter(lambda s: sum(s) > 0.01))
    scenario = SurgeScenario(
        people=draw(st.integers(0, 50_000)), days=draw(st.integers(1, 40)),
        curve=draw(st.sampled_from(["even", "early", "peak"])),
        mode_mix=dict(zip(("foot", "motorbike", "vehicle"), (s / sum(shares) for s in shares), strict=True)),
        unofficial_share=draw(st.floats(0, 1)), choice_k=draw(st.integers(1, 4)),
        choice_tau_minutes=draw(st.floats(1, 600)), max_travel_hours=draw(st.floats(1, 100)))
    return scenario, sites_table(kinds, capacity), minutes


@settings(max_examples=150, deadline=None)
@given(surge_cases())
def test_people_are_conserved_and_capacities_never_exceeded(case):
    scenario, sites, minutes = case
    result = simulate(scenario, sites, minutes)
    check_conserved_and_capped(result, scenario.people)
    far = np.all([(minutes[m] > scenario.max_travel_hours * 60) for m in minutes], axis=0)
    assert (result.summary["arrivals"].to_numpy()[far] == 0).all()
    posts = result.daily[result.daily["site_kind"] == "post"]
    before = posts.groupby("post_id")["queue"].shift(fill_value=0).to_numpy(dtype=np.int64)
    available = before + posts["arrivals"].to_numpy()
    processed = np.minimum(posts["capacity_per_day"].to_numpy(dtype=np.int64), available)
    assert (posts["processed"].to_numpy(dtype=np.int64) == processed).all()
    assert (posts["queue"].to_numpy(dtype=np.int64) == available - processed).all()
    crossings = result.daily[result.daily["site_kind"] == "unofficial"]
    assert crossings[["processed", "queue", "capacity_per_day"]].isna().all().all()
