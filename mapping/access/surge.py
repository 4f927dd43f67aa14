"""Surge simulation: displaced people leaving an origin day by day, travelling to the posts
and unofficial crossings they reach quickest, and queueing at the posts.

Rules (the scenario's parameters are in ``scenario.SurgeScenario``):

- **Routing.** The people of each travel mode are split: ``1 − unofficial_share`` go to
  posts, the rest to unofficial crossings, each by the scenario's choice rule among the
  sites of that kind reachable within ``max_travel_hours`` (a post also needs a capacity of
  at least one person a day: closed and planned posts receive no one). When no unofficial
  crossing is within reach for a mode, its unofficial share goes to the posts (the posts
  must plan for them); people for whom no site is left are *unreached*, counted per mode.
- **Whole people.** Each day's departures (the people × the curve, rounded by largest
  remainder) are split over (mode, site) and the unreached by largest remainder too; a
  share's remainder is counted with what rounding gave or took from it on earlier days, so
  the sites' totals stay close to their exact shares. Every person is counted once:
  arrivals over sites and days + unreached = people, and so for each day of departure.
- **Travel lag.** People leaving on day d arrive on day d + ⌊minutes / 1440⌋.
- **Queues.** A post processes at most ⌊capacity_per_day⌋ people a day; on day d,
  available = queue(d − 1) + arrivals(d), processed(d) = min(capacity, available),
  queue(d) = available − processed(d). The days run until every queue is empty, at most
  ``MAX_EXTRA_DAYS`` after the last arrival (the posts still queueing are ``never_cleared``).
  No one processes people at an unofficial crossing: their processed and queue are empty.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..i18n import t
from .scenario import SurgeError, SurgeScenario, departure_fractions
from .settings import TRAVEL_MODES

SITE_KINDS = ("post", "unofficial")
CLOSED_STATUS = ("closed", "planned")
CAPACITY_SOURCES = ("capacity_per_day", "staff", "assumed", "closed")
SITE_COLUMNS = ("site_id", "name", "site_kind", "capacity_per_day")
MINUTES_PER_DAY = 1440
MAX_EXTRA_DAYS = 365  # days simulated after the last arrival for the queues to clear
COMPARED = ("arrivals", "saturation_day", "peak_queue")


@dataclass(frozen=True)
class SurgeResult:
    """A simulated scenario.

    ``daily``: one row per site and day 1 … ``horizon_days`` (``post_id``, ``name``,
    ``site_kind``, ``day``, ``arrivals``, ``processed``, ``queue`` at the end of the day,
    ``capacity_per_day``; the last three empty at unofficial crossings). ``summary``: one
    row per site: ``arrivals`` (in all and per mode), ``share`` of the people, ``peak_queue``,
    ``saturation_day`` (the first day ending with a queue; empty if none) and
    ``days_to_clear`` (the first day, on or after the post's last arrival, ending with no
    queue; empty for a post nobody reached or one still queueing at the horizon).
    ``departures``: people leaving on each day 1 … days; ``unreached``: per mode, and
    ``unreached_by_day`` per day of departure; ``first_saturated``: the saturated posts by
    saturation day (then longest queue first); ``never_cleared``: posts still queueing at
    the horizon."""

    scenario: SurgeScenario
    daily: pd.DataFrame
    summary: pd.DataFrame
    departures: np.ndarray
    unreached: dict[str, int]
    unreached_by_day: np.ndarray
    first_saturated: tuple[str, ...]
    never_cleared: tuple[str, ...]
    horizon_days: int


def post_capacity(posts: pd.DataFrame, scenario: SurgeScenario) -> tuple[np.ndarray, np.ndarray]:
    """People a day each post can process, and where the figure comes from.

    ``capacity_per_day`` where the post has one; else ``staff`` × the scenario's throughput
    per staff-hour × its hours a day; else (``assumed``) the median of the figures of the
    open posts that have one. Closed and planned posts (``status``) process no one
    (``closed``). ``SurgeError`` for a negative or infinite figure, or when a post needs an
    assumed figure and no open post has one."""
    given = _numbers(posts, "capacity_per_day")
    staff = _numbers(posts, "staff")
    ids = posts["post_id"].astype(str).to_numpy() if "post_id" in posts else np.arange(len(posts)).astype(str)
    for values in (given, staff):
        bad = np.isinf(values) | (values < 0)
        if bad.any():
            raise SurgeError("bad_capacity", post=ids[np.argmax(bad)])
    from_staff = staff * scenario.throughput_per_staff_hour * scenario.hours_per_day
    capacity = np.where(np.isfinite(given), given, from_staff)
    source = np.where(np.isfinite(given), "capacity_per_day",
                      np.where(np.isfinite(staff), "staff", "assumed")).astype(object)
    status = posts["status"].astype(str).to_numpy() if "status" in posts else np.full(len(posts), "")
    closed = np.isin(status, CLOSED_STATUS)
    assumed = ~closed & (source == "assumed")
    if assumed.any():
        known = ~closed & ~assumed
        if not known.any():
            raise SurgeError("no_capacity")
        capacity[assumed] = np.median(capacity[known])
    capacity[closed] = 0.0
    source[closed] = "closed"
    return capacity, source


def simulate(scenario: SurgeScenario, sites: pd.DataFrame, minutes: dict[str, np.ndarray]) -> SurgeResult:
    """Route the scenario's people to ``sites`` (columns ``site_id``, ``name``, ``site_kind``
    post | unofficial, ``capacity_per_day``: people a day, NaN at unofficial crossings) with
    ``minutes[mode]``: travel minutes from the origin to each site (``inf``: unreachable),
    and queue them at the posts (rules in the module's docstring)."""
    n = len(sites)
    kind, capacity = _check_sites(sites)
    times = _check_minutes(scenario, minutes, n)
    shares = _bucket_shares(scenario, kind, capacity, times)  # (modes, n + 1): last column unreached
    departures = _largest_remainder(scenario.people, departure_fractions(scenario))
    counts = _split_days(departures, shares.ravel()).reshape(len(departures), len(TRAVEL_MODES), n + 1)
    reached = shares[:, :n] > 0
    lag = np.where(reached, np.floor(np.where(reached, times, 0) / MINUTES_PER_DAY), 0).astype(np.int64)
    arrivals = np.zeros((len(departures) + int(lag.max(initial=0)), n), dtype=np.int64)
    day = np.arange(len(departures))[:, None]
    for m in range(len(TRAVEL_MODES)):
        np.add.at(arrivals, (day + lag[m][None, :], np.arange(n)[None, :]), counts[:, m, :n])
    queue = _queues(np.where(kind == "post", arrivals, 0), capacity)  # no queue off the posts
    arrivals = np.vstack([arrivals, np.zeros((len(queue) - len(arrivals), n), dtype=np.int64)])
    by_mode = counts[:, :, :n].sum(axis=0)
    return _result(scenario, sites, kind == "post", capacity, arrivals, queue, by_mode, departures,
                   counts[:, :, n])


def compare(results: dict[str, SurgeResult]) -> pd.DataFrame:
    """Scenarios side by side: one row per site (``post_id``, ``name``, ``site_kind``), and
    for each scenario (the keys, in order) its ``arrivals``, ``saturation_day`` and
    ``peak_queue``; a site missing from a scenario's sites has empty cells there."""
    index = ["post_id", "name", "site_kind"]
    parts = {label: result.summary.set_index(index)[list(COMPARED)] for label, result in results.items()}
    if not parts:
        return pd.DataFrame(columns=pd.MultiIndex.from_tuples([], names=["scenario", "measure"]))
    return pd.concat(parts, axis=1, names=["scenario", "measure"])


def column_labels(lang: str | None = None) -> dict[str, str]:
    """The tables' column names in ``lang`` (en or fr), for display."""
    names = ("post_id", "name", "site_kind", "day", "arrivals", "processed", "queue",
             "capacity_per_day", "capacity_source", "share", "peak_queue", "saturation_day",
             "days_to_clear", *(f"arrivals_{mode}" for mode in TRAVEL_MODES), "scenario", "measure")
    return {name: t(f"surge.columns.{name}", lang) for name in names}


def _numbers(table: pd.DataFrame, column: str) -> np.ndarray:
    if column not in table:
        return np.full(len(table), np.nan)
    try:
        return pd.to_numeric(table[column]).to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError) as error:
        raise SurgeError("not_numbers", column=column) from error


def _check_sites(sites: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The sites' kinds and whole people a day each post processes (0 at unofficial crossings)."""
    for column in SITE_COLUMNS:
        if column not in sites:
            raise SurgeError("missing_column", column=column)
    if sites["site_id"].duplicated().any():
        raise SurgeError("duplicate_site", site=str(sites["site_id"][sites["site_id"].duplicated()].iloc[0]))
    kind = sites["site_kind"].astype(str).to_numpy()
    wrong = ~np.isin(kind, SITE_KINDS)
    if wrong.any():
        raise SurgeError("bad_site_kind", value=kind[np.argmax(wrong)], allowed=", ".join(SITE_KINDS))
    capacity = _numbers(sites, "capacity_per_day")
    bad = (kind == "post") & ~(np.isfinite(capacity) & (capacity >= 0))
    if bad.any():
        raise SurgeError("bad_capacity", post=str(sites["site_id"].iloc[np.argmax(bad)]))
    return kind, np.where(kind == "post", np.floor(np.nan_to_num(capacity)), 0).astype(np.int64)


def _check_minutes(scenario: SurgeScenario, minutes: dict[str, np.ndarray], n: int) -> np.ndarray:
    """Minutes per (mode, site); a mode nobody uses may be left out (``inf``)."""
    times = np.full((len(TRAVEL_MODES), n), np.inf)
    for m, mode in enumerate(TRAVEL_MODES):
        if mode not in minutes:
            if scenario.mode_mix[mode] > 0:
                raise SurgeError("missing_mode", mode=mode)
            continue
        values = np.asarray(minutes[mode], dtype=float)
        if values.shape != (n,) or np.isnan(values).any() or (values < 0).any():
            raise SurgeError("bad_minutes", mode=mode, sites=n)
        times[m] = values
    return times


def _choice(times: np.ndarray, eligible: np.ndarray, k: int, tau: float) -> np.ndarray:
    """Weights (sum 1, or all 0 when no site is eligible) of the k quickest eligible sites:
    exp(−(t − t_min) / tau); ties go to the site listed first."""
    weights = np.zeros(len(times))
    t_eligible = np.where(eligible, times, np.inf)
    chosen = np.argsort(t_eligible, kind="stable")[:k]
    chosen = chosen[np.isfinite(t_eligible[chosen])]
    if len(chosen):
        weight = np.exp(-(t_eligible[chosen] - t_eligible[chosen[0]]) / tau)
        weights[chosen] = weight / weight.sum()
    return weights


def _bucket_shares(scenario: SurgeScenario, kind: np.ndarray, capacity: np.ndarray,
                   times: np.ndarray) -> np.ndarray:
    """The share of all people going to each (mode, site), and unreached in the last column."""
    n = len(kind)
    within = times <= scenario.max_travel_hours * 60
    shares = np.zeros((len(TRAVEL_MODES), n + 1))
    official = 1.0 - scenario.unofficial_share
    for m, mode in enumerate(TRAVEL_MODES):
        to_posts = _choice(times[m], within[m] & (kind == "post") & (capacity > 0),
                           scenario.choice_k, scenario.choice_tau_minutes)
        to_unofficial = _choice(times[m], within[m] & (kind == "unofficial"),
                                scenario.choice_k, scenario.choice_tau_minutes)
        if not to_unofficial.any():
            to_unofficial = to_posts  # no unofficial crossing within reach: they use the posts
        mix = scenario.mode_mix[mode]
        shares[m, :n] = mix * (official * to_posts + scenario.unofficial_share * to_unofficial)
        shares[m, n] = mix * (official * (not to_posts.any())
                              + scenario.unofficial_share * (not to_unofficial.any()))
    return shares


def _largest_remainder(total: int, fractions: np.ndarray) -> np.ndarray:
    """Whole numbers summing to ``total``, each the floor or the ceiling of total × fraction."""
    exact = total * fractions
    whole = np.floor(exact).astype(np.int64)
    missing = total - int(whole.sum())
    if missing > 0:
        whole[np.argsort(-(exact - whole), kind="stable")[:missing]] += 1
    return whole


def _split_days(departures: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """Each day's departures split over the buckets by largest remainder, a bucket's
    remainder counted with what rounding gave or took from it on earlier days."""
    counts = np.zeros((len(departures), len(shares)), dtype=np.int64)
    owed = np.zeros(len(shares))
    for d, people in enumerate(departures):
        exact = people * shares
        whole = np.floor(exact)
        remainder = exact - whole
        missing = int(people - whole.sum())
        if missing > 0:
            priority = np.where(remainder > 0, remainder + owed, -np.inf)
            whole[np.argpartition(-priority, missing - 1)[:missing]] += 1
        counts[d] = whole
        owed += exact - whole
    return counts


def _queues(arrivals: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    """End-of-day queues (days × sites), by Lindley's recursion queue(d) = max(0, queue(d − 1)
    + arrivals(d) − capacity) in closed form, continued until every queue is empty or
    ``MAX_EXTRA_DAYS`` after the arrivals."""
    def lindley(load: np.ndarray) -> np.ndarray:
        total = np.cumsum(load - capacity, axis=0)
        return total - np.minimum(np.minimum.accumulate(total, axis=0), 0)

    queue = lindley(arrivals)
    extra = -(-queue[-1] // np.maximum(capacity, 1))  # days to clear what is left (ceil)
    extra = min(int(extra.max(initial=0)), MAX_EXTRA_DAYS)
    if extra == 0:
        return queue
    return lindley(np.vstack([arrivals, np.zeros((extra, len(capacity)), dtype=np.int64)]))


def _repeated(labels: np.ndarray, times: int) -> pd.Categorical:
    """Each label ``times`` times in a row, as a categorical (long tables build quicker)."""
    codes, uniques = pd.factorize(labels)
    return pd.Categorical.from_codes(np.repeat(codes, times), categories=uniques)


def _result(scenario: SurgeScenario, sites: pd.DataFrame, is_post: np.ndarray, capacity: np.ndarray,
            arrivals: np.ndarray, queue: np.ndarray, by_mode: np.ndarray, departures: np.ndarray,
            unreached: np.ndarray) -> SurgeResult:
    horizon, n = arrivals.shape
    before = np.vstack([np.zeros((1, n), dtype=np.int64), queue[:-1]])
    processed = before + arrivals - queue
    ids = sites["site_id"].astype(str).to_numpy()
    not_post = ~is_post

    def per_day(values: np.ndarray) -> pd.arrays.IntegerArray:  # site-major, empty off the posts
        return pd.arrays.IntegerArray(values.T.ravel().copy(), np.repeat(not_post, horizon))

    def per_site(values: np.ndarray, empty: np.ndarray) -> pd.arrays.IntegerArray:
        return pd.arrays.IntegerArray(values.astype(np.int64), empty)

    daily = pd.DataFrame({
        "post_id": _repeated(ids, horizon),
        "name": _repeated(sites["name"].astype(str).to_numpy(), horizon),
        "site_kind": _repeated(sites["site_kind"].astype(str).to_numpy(), horizon),
        "day": np.tile(np.arange(1, horizon + 1), n),
        "arrivals": arrivals.T.ravel(),
        "processed": per_day(processed),
        "queue": per_day(queue),
        "capacity_per_day": per_day(np.broadcast_to(capacity, (horizon, n))),
    })
    total = arrivals.sum(axis=0)
    waiting = queue > 0
    saturated = is_post & waiting.any(axis=0)
    last_arrival = horizon - 1 - np.argmax(arrivals[::-1] > 0, axis=0)
    cleared_at = (~waiting) & (np.arange(horizon)[:, None] >= last_arrival[None, :])
    cleared = is_post & (total > 0) & cleared_at.any(axis=0)
    summary = pd.DataFrame({
        "post_id": ids,
        "name": sites["name"].astype(str).to_numpy(),
        "site_kind": sites["site_kind"].astype(str).to_numpy(),
        "capacity_per_day": per_site(capacity, not_post),
        "arrivals": total,
        **{f"arrivals_{mode}": by_mode[m] for m, mode in enumerate(TRAVEL_MODES)},
        "share": total / scenario.people if scenario.people else np.zeros(n),
        "peak_queue": per_site(queue.max(axis=0, initial=0), not_post),
        "saturation_day": per_site(np.argmax(waiting, axis=0) + 1, ~saturated),
        "days_to_clear": per_site(np.argmax(cleared_at, axis=0) + 1, ~cleared),
    })
    order = summary[saturated].sort_values(["saturation_day", "peak_queue"], ascending=[True, False],
                                          kind="stable")
    never = is_post & (queue[-1] > 0)
    return SurgeResult(
        scenario=scenario, daily=daily, summary=summary, departures=departures,
        unreached={mode: int(unreached[:, m].sum()) for m, mode in enumerate(TRAVEL_MODES)},
        unreached_by_day=unreached.sum(axis=1), first_saturated=tuple(order["post_id"]),
        never_cleared=tuple(ids[never]), horizon_days=horizon)
