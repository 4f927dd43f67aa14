"""Multi-criteria aggregation: normalisation and the weighted sum, weighted geometric mean
and TOPSIS, written as matrix products so one call scores many weight sets at once.

Conventions: ``values`` is a float array of shape (posts, criteria) with no missing
values (the missing-value policy is applied before); ``benefit`` is a boolean array
(criteria,): True when a higher value raises priority. ``weights`` is (criteria,) or
(samples, criteria), each row summing to 1. Scores are higher for higher priority.
"""

from __future__ import annotations

import numpy as np

METHODS = ("wsum", "wgm", "topsis")
GEOMETRIC_FLOOR = 0.01  # min–max values are lifted into [0.01, 1] for the geometric mean


def min_max(values: np.ndarray, benefit: np.ndarray, low: np.ndarray | None = None,
            high: np.ndarray | None = None) -> np.ndarray:
    """Min–max normalisation to [0, 1], 1 = most urgent; a criterion with the same value for
    every post gives 0 for all (it sets no post apart).

    ``low``/``high`` (criteria,) fix a criterion's reference range (NaN: the observed
    minimum/maximum); values outside a fixed range are clipped to it. A fixed range makes
    a post's normalised value independent of the other posts.
    """
    observed_low, observed_high = np.min(values, axis=0), np.max(values, axis=0)
    low = observed_low if low is None else np.where(np.isnan(low), observed_low, low)
    high = observed_high if high is None else np.where(np.isnan(high), observed_high, high)
    span = np.where(high > low, high - low, 1.0)
    scaled = np.clip((values - low) / span, 0.0, 1.0)
    scaled = np.where(benefit, scaled, 1.0 - scaled)
    return np.where(high > low, scaled, 0.0)


def vector_normalise(values: np.ndarray) -> np.ndarray:
    """TOPSIS vector normalisation: each column divided by its Euclidean norm (Hwang and Yoon)."""
    norms = np.linalg.norm(values, axis=0)
    return values / np.where(norms > 0, norms, 1.0)


def normalise(values: np.ndarray, benefit: np.ndarray, method: str, low: np.ndarray | None = None,
              high: np.ndarray | None = None) -> np.ndarray:
    """The normalised matrix each method aggregates (its 'normalised value' per criterion);
    ``low``/``high`` are the fixed min–max ranges (ignored by TOPSIS)."""
    if method == "topsis":
        return vector_normalise(values)
    scaled = min_max(values, benefit, low, high)
    if method == "wgm":
        return GEOMETRIC_FLOOR + (1 - GEOMETRIC_FLOOR) * scaled
    return scaled


def aggregate(normalised: np.ndarray, weights: np.ndarray, method: str,
              benefit: np.ndarray) -> np.ndarray:
    """Scores for one weight vector (posts,) or many (samples, posts).

    - wsum: sum_j w_j x_ij;
    - wgm: prod_j x_ij ** w_j, computed as exp(sum_j w_j log x_ij);
    - topsis: relative closeness d- / (d+ + d-) with Euclidean distances of the weighted
      vector-normalised matrix to the ideal and anti-ideal solutions.
    """
    w = np.asarray(weights, dtype=normalised.dtype)
    if method == "wsum":
        return w @ normalised.T
    if method == "wgm":
        return np.exp(w @ np.log(normalised).T)
    if method == "topsis":
        best = np.where(benefit, normalised.max(axis=0), normalised.min(axis=0))
        worst = np.where(benefit, normalised.min(axis=0), normalised.max(axis=0))
        # weights are positive, so the ideal of the weighted matrix is w * best
        d_best = np.sqrt((w * w) @ ((normalised - best) ** 2).T)
        d_worst = np.sqrt((w * w) @ ((normalised - worst) ** 2).T)
        total = d_best + d_worst
        return np.divide(d_worst, total, out=np.ones_like(total), where=total > 0)
    raise ValueError(f"unknown method {method!r}; use one of {', '.join(METHODS)}")


def contributions(normalised: np.ndarray, weights: np.ndarray, method: str,
                  benefit: np.ndarray) -> np.ndarray:
    """Each criterion's part of each post's score (posts, criteria), larger = more urgent.

    Weighted sum: w_j x_ij (they add up to the score). Geometric mean: w_j log x_ij
    (they add up to the log of the score). TOPSIS: w_j times how far the post lies from
    the anti-ideal towards the ideal on criterion j (0 to 1), an indication only:
    closeness itself does not split exactly by criterion.
    """
    w = np.asarray(weights, dtype=float)
    if method == "wgm":
        return np.log(normalised) * w
    if method == "topsis":
        low, high = normalised.min(axis=0), normalised.max(axis=0)
        span = np.where(high > low, high - low, 1.0)
        toward_ideal = np.where(benefit, normalised - low, high - normalised) / span
        return toward_ideal * w
    return normalised * w
