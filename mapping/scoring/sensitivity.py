"""Weight sensitivity: Monte Carlo perturbation of the weights and one-at-a-time changes.

Monte Carlo draws weight vectors from a Dirichlet distribution centred on the profile
weights, scores every post under every draw, and reports each post's rank interval
(5th, 50th and 95th percentiles of its rank over the draws) and its probability of
staying in the top N.

Ranks are exact: rank = 1 + the number of posts with a strictly higher score (ties share
the better rank, like ``scipy.stats.rankdata(-scores, method="min")``), on float32 scores
(:func:`sample_scores`). Percentiles are order statistics ("inverted CDF"): ``rank_p05``
is the best rank r such that at least 5 % of the draws rank the post r or better, so at
least 90 % of the draws fall within ``[rank_p05, rank_p95]``.

How it stays fast and small: draws are scored in chunks; the posts are laid out in the
order of their profile score, so each draw's scores are nearly sorted and sort quickly; each
score is sorted together with its post index packed in one 64-bit key, which gives the
exact order with no argsort; and instead of keeping every rank, a table
``counts[rank - 1, post]`` (posts², 2 bytes per cell below 65,536 draws) counts how
often each post takes each rank, from which percentiles and P(top N) are read exactly.
"""

from __future__ import annotations

import os
import sys
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .methods import METHODS, aggregate
from .rank import Ranking

CHUNK = 500  # draws scored at once: 500 draws × 5,000 posts is 10 MB of float32 scores
PERCENTS = (5, 50, 95)
SENSITIVITY_SAMPLES = 1000  # draws for the rank intervals shown in the app and exports
WORKERS = min(4, os.cpu_count() or 1)  # threads sorting chunks (NumPy sorts without the GIL)
_LOW, _HIGH = (0, 1) if sys.byteorder == "little" else (1, 0)  # int32 halves of an int64


@dataclass(frozen=True, eq=False)
class MonteCarloResult:
    """Rank interval (1 = highest score) and P(top N) of each post, in input order, with the settings."""

    rank_p05: np.ndarray
    rank_median: np.ndarray
    rank_p95: np.ndarray
    p_top_n: np.ndarray
    samples: int
    concentration: float
    top_n: int
    seed: int
    method: str

    def to_frame(self, ids: list[str]) -> pd.DataFrame:
        """One row per post, indexed by post id."""
        if len(ids) != len(self.p_top_n):
            raise ValueError(f"{len(ids)} ids for {len(self.p_top_n)} posts")
        return pd.DataFrame(
            {"rank_p05": self.rank_p05, "rank_median": self.rank_median,
             "rank_p95": self.rank_p95, "p_top_n": self.p_top_n},
            index=pd.Index(ids, name="post_id"),
        )


def sample_weights(weights: np.ndarray, samples: int, concentration: float, seed: int) -> np.ndarray:
    """Dirichlet samples centred on the profile weights, (samples, criteria) float64 rows summing to 1.

    alpha = concentration * weights: a higher concentration gives less spread (each
    weight's variance is w (1 - w) / (concentration + 1)). A criterion with weight 0
    keeps weight 0 in every sample.
    """
    w = _check_weights(weights)
    if samples < 1 or concentration <= 0:
        raise ValueError("samples must be ≥ 1 and concentration > 0")
    out = np.zeros((samples, w.size))
    used = w > 0
    out[:, used] = np.random.default_rng(seed).dirichlet(concentration * w[used], size=samples)
    return out


def sample_scores(normalised: np.ndarray, benefit: np.ndarray, weights: np.ndarray,
                  method: str) -> np.ndarray:
    """The float32 scores (samples, posts) that Monte Carlo ranks, for weights (samples, criteria).

    Computed in float64 and rounded once to float32: float32 matrix products differ in the
    last bit with the chunk size and the order of the posts, which would reorder posts tied
    within float32 precision; rounded float64 scores do not depend on them.
    """
    w = np.asarray(weights, dtype=float)
    return aggregate(np.asarray(normalised, dtype=float), w, method, benefit).astype(np.float32)


def monte_carlo(normalised: np.ndarray, benefit: np.ndarray, weights: np.ndarray, method: str, *,
                samples: int = 1000, concentration: float = 50.0, top_n: int = 10, seed: int = 0,
                progress: Callable[[int, int], None] | None = None) -> MonteCarloResult:
    """Rank intervals and P(top N) over ``samples`` Dirichlet weight draws (:func:`sample_weights`).

    ``progress(done, samples)`` is called after each chunk of draws.
    """
    x = _check_matrix(normalised, method)
    if top_n < 1:
        raise ValueError("top_n must be ≥ 1")
    draws = sample_weights(weights, samples, concentration, seed)
    order = np.argsort(sample_scores(x, benefit, _check_weights(weights)[None, :], method)[0],
                       kind="stable")
    ordered = x[order]
    counts = np.zeros((len(x), len(x)), dtype=np.uint16 if samples < 2**16 else np.uint32)

    def cells(chunk: np.ndarray) -> np.ndarray:
        return _rank_cells(sample_scores(ordered, benefit, chunk, method))

    done = 0
    chunks = (draws[start:start + CHUNK] for start in range(0, samples, CHUNK))
    with ThreadPoolExecutor(WORKERS) as pool:
        for cell in _in_order(pool, cells, chunks):
            np.add.at(counts.reshape(-1), cell.reshape(-1), counts.dtype.type(1))
            done += cell.shape[1]
            if progress is not None:
                progress(done, samples)
    p05, median, p95 = _percentile_ranks(counts, samples)
    back = np.argsort(order)  # from profile order back to input order
    return MonteCarloResult(
        rank_p05=p05[back], rank_median=median[back], rank_p95=p95[back],
        p_top_n=counts[:top_n].sum(axis=0, dtype=np.int64)[back] / samples,
        samples=samples, concentration=concentration, top_n=top_n, seed=seed, method=method,
    )


def one_at_a_time(normalised: np.ndarray, benefit: np.ndarray, weights: np.ndarray, method: str,
                  criteria: list[str], *, factors: tuple[float, ...] = (0.5, 0.75, 1.25, 1.5),
                  ids: list[str]) -> pd.DataFrame:
    """Every post's rank when one criterion's weight is scaled by each factor, the others
    renormalised to keep their proportions and the sum 1 (the scaled weight is capped at 1).

    Long format, one row per criterion, factor and post: criterion, factor, weight (the
    criterion's new weight), post_id, rank, ``rank_change`` = rank − rank at the profile weights
    (negative = moves up the list). Scores in float64.
    """
    x = _check_matrix(normalised, method)
    w = _check_weights(weights)
    if len(criteria) != w.size or len(ids) != len(x):
        raise ValueError("one name per criterion and one id per post are needed")
    base = _ranks(aggregate(x, w, method, benefit))
    frames = []
    for j, name in enumerate(criteria):
        for factor in factors:
            changed = _scale_weight(w, j, factor)
            rank = _ranks(aggregate(x, changed, method, benefit))
            frames.append(pd.DataFrame({
                "criterion": name, "factor": float(factor), "weight": changed[j],
                "post_id": ids, "rank": rank, "rank_change": rank - base,
            }))
    return pd.concat(frames, ignore_index=True)


def _check_weights(weights: np.ndarray) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    if w.ndim != 1 or np.any(w < 0) or not np.isclose(w.sum(), 1.0):
        raise ValueError("weights must be one non-negative vector summing to 1")
    return w


def _check_matrix(normalised: np.ndarray, method: str) -> np.ndarray:
    x = np.asarray(normalised, dtype=float)
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; use one of {', '.join(METHODS)}")
    if x.ndim != 2 or not np.isfinite(x).all():
        raise ValueError("normalised values must be a (posts, criteria) array with no missing values")
    if method == "wgm" and np.any(x <= 0):
        raise ValueError("the weighted geometric mean needs normalised values > 0")
    return x


def _scale_weight(weights: np.ndarray, j: int, factor: float) -> np.ndarray:
    """Weight j times ``factor`` (capped at 1), the others scaled to keep their proportions and sum 1."""
    new = min(weights[j] * factor, 1.0)
    rest = 1.0 - weights[j]
    out = weights * ((1.0 - new) / rest) if rest > 0 else weights.copy()
    out[j] = new
    return out


def _ranks(scores: np.ndarray) -> np.ndarray:
    """1 + the number of strictly higher scores (ties share the better rank)."""
    ascending = np.sort(scores)
    return len(scores) - np.searchsorted(ascending, scores, side="right") + 1


def _sort_keys(scores: np.ndarray) -> np.ndarray:
    """Each row of float32 scores sorted ascending as int64 keys: score bits << 32 | column."""
    if np.signbit(scores).any():
        scores = scores + np.float32(0)  # -0.0 becomes 0.0
        bits = scores.view(np.int32)
        bits ^= (bits >> 31) & 0x7FFFFFFF  # negative floats: int order = float order
    keys = scores.view(np.int32).astype(np.int64)
    keys <<= 32
    keys |= np.arange(scores.shape[1], dtype=np.int64)
    keys.sort(axis=1)
    return keys


def _tied(value: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(draw, position) of each element of ascending rows whose right neighbour is equal, and the
    last position of its run of equal values. float32 ties are common (about one per draw at
    5,000 posts) but few, so they are handled apart."""
    draw, position = np.divmod(np.flatnonzero(value[:, 1:] == value[:, :-1]), value.shape[1] - 1)
    starts = np.ones(position.size, dtype=bool)
    starts[1:] = (np.diff(position) != 1) | (draw[1:] != draw[:-1])
    ends = np.ones(position.size, dtype=bool)
    ends[:-1] = starts[1:]
    return draw, position, position[ends][np.cumsum(starts) - 1] + 1


def _rank_cells(scores: np.ndarray) -> np.ndarray:
    """Cells ``(rank - 1) * posts + post`` of ``counts`` for scores (draws, posts), shape (posts, draws).

    Rank of ascending position p = n - p, or n - (last position of its run of ties). Cells come
    in (position, draw) order so that consecutive updates hit one row of ``counts``.
    """
    draws, n = scores.shape
    halves = _sort_keys(scores).view(np.int32)
    post, value = halves[:, _LOW::2], halves[:, _HIGH::2]
    cell = np.empty((n, draws), dtype=np.int32 if n * n < 2**31 else np.int64)
    np.add(post.T, ((n - 1 - np.arange(n, dtype=cell.dtype)) * n)[:, None], out=cell)
    draw, position, last = _tied(value)
    cell[position, draw] = (n - 1 - last) * n + post[draw, position]
    return cell


def _in_order(pool: ThreadPoolExecutor, function: Callable[[np.ndarray], np.ndarray],
              items: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
    """``pool.map`` in order with at most WORKERS + 1 results pending, to bound memory."""
    pending: deque[Future] = deque()
    for item in items:
        pending.append(pool.submit(function, item))
        if len(pending) > WORKERS:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


def _percentile_ranks(counts: np.ndarray, samples: int) -> np.ndarray:
    """Ranks at PERCENTS (inverted CDF), shape (percents, posts), from ``counts[rank - 1, post]``."""
    needed = np.array([-(-p * samples // 100) for p in PERCENTS])[:, None]  # draws at or better
    below = np.zeros((len(PERCENTS), counts.shape[1]), dtype=np.int64)
    running = np.zeros(counts.shape[1], dtype=np.int64)
    for row in counts:  # row by row: a cumulative sum down the columns is 3x slower
        running += row
        below += running < needed
    return below + 1


def rank_intervals(ranking: Ranking, samples: int = SENSITIVITY_SAMPLES, seed: int = 0) -> pd.DataFrame:
    """Monte Carlo rank interval and P(top N) of each ranked post (profile's top_n), best first."""
    profile = ranking.profile
    norms = ranking.table[[f"norm:{c}" for c in profile.names]].to_numpy()
    result = monte_carlo(norms, profile.benefit, profile.weights, profile.method, samples=samples,
                         top_n=min(profile.top_n, len(norms)), seed=seed)
    return result.to_frame(list(ranking.table.index))
