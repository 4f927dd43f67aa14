"""Per-post travel times stopped at a time limit on growing windows (what the population within
T minutes and the isochrones use) equal the full run on the largest window up to that limit."""

from __future__ import annotations

import numpy as np
import pytest

from mapping.access.times import times_from_each


def _spread(friction: np.ndarray, starts: np.ndarray, radius: int, limit: float | None) -> list[np.ndarray]:
    """Each start's times laid on the whole grid (``inf`` outside its window)."""
    out: list[np.ndarray] = []

    def visit(_: int, window: tuple[slice, slice], minutes: np.ndarray) -> None:
        full = np.full(friction.shape, np.inf)
        full[window] = minutes
        out.append(full)

    times_from_each(friction, starts, radius, visit, limit=limit)
    return out


@pytest.mark.parametrize("seed", range(12))
def test_times_up_to_the_limit_equal_the_full_window(seed):
    rng = np.random.default_rng(seed)
    shape = (int(rng.integers(20, 160)), int(rng.integers(20, 160)))
    friction = 60.0 / rng.choice([4.0, 5.0, 20.0, 50.0, 80.0], shape) * rng.uniform(0.95, 1.05, shape)
    friction[rng.random(shape) < 0.2] = np.inf
    starts = np.column_stack([rng.integers(0, shape[0], 4), rng.integers(0, shape[1], 4)])
    limit, radius = float(rng.uniform(2.0, 60.0)), int(rng.integers(3, 100))
    whole, stopped = _spread(friction, starts, radius, None), _spread(friction, starts, radius, limit)
    for full, bounded in zip(whole, stopped, strict=True):
        within = full <= limit
        assert np.array_equal(within, bounded <= limit)
        assert np.array_equal(full[within], bounded[within])


def test_a_fast_road_grows_the_window_to_its_end():
    friction = np.full((41, 401), 15.0)  # 4 km/h on 1 km cells
    friction[20] = 0.75  # a road at 80 km/h along the middle row
    starts = np.array([[20, 200]])
    (times,) = _spread(friction, starts, radius=200, limit=60.0)
    assert np.isclose(times[20, 200 + 80], 60.0) and np.isclose(times[20, 200 - 80], 60.0)
    assert times[20, 200 + 81] > 60.0
