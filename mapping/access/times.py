"""Cost-distance travel times over a friction surface, with scikit-image's minimum-cost-path
(``skimage.graph.MCP_Geometric``), the rule GRASS GIS ``r.cost`` follows: a step between
two of the 8 neighbouring cells costs the mean of their two frictions times the step's length
in cell widths (1, or √2 on a diagonal); a start cell costs 0, even on a barrier, from which
nothing else is reached; ``inf`` friction is a barrier. Times equal ``r.cost``'s (8
neighbours, no knight's move) to double precision, and so does the allocation except where
two starts are tied; where two starts share a cell the first listed wins here, the last one in
``r.cost`` (tests/test_travel_times.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from skimage.graph import MCP_Geometric


@dataclass(frozen=True)
class TravelTimes:
    """``minutes`` from the nearest start to every cell (``inf`` where none is reachable) and
    ``nearest``: the index of that start in the list given (-1 where none is reachable)."""

    minutes: np.ndarray
    nearest: np.ndarray


def travel_minutes(friction: np.ndarray, starts: np.ndarray) -> TravelTimes:
    """Travel times from the quickest of ``starts`` (rows of (row, col)) over ``friction``
    (minutes per cell width, ``inf`` for barriers). A start on a barrier reaches only its own
    cell, at 0 minutes; where two starts share a cell the first listed wins."""
    starts = np.asarray(starts, dtype=np.int64).reshape(-1, 2)
    usable = np.isfinite(friction[starts[:, 0], starts[:, 1]]) if len(starts) else np.array([], bool)
    if usable.any():
        mcp = MCP_Geometric(friction, fully_connected=True)
        minutes, traceback = mcp.find_costs([tuple(s) for s in starts[usable]])
        nearest = _allocation(traceback, np.asarray(mcp.offsets), starts[usable], np.flatnonzero(usable),
                              np.isfinite(minutes))
    else:
        minutes, nearest = np.full(friction.shape, np.inf), np.full(friction.shape, -1, dtype=np.int32)
    stuck = np.flatnonzero(~usable)[::-1]  # assigned last first: the first listed wins
    minutes[starts[stuck, 0], starts[stuck, 1]] = 0.0
    nearest[starts[stuck, 0], starts[stuck, 1]] = stuck.astype(np.int32)
    return TravelTimes(minutes, nearest)


def _allocation(traceback: np.ndarray, offsets: np.ndarray, starts: np.ndarray, index: np.ndarray,
                reached: np.ndarray) -> np.ndarray:
    """The start each cell's quickest path comes from: follow the traceback to its root by
    pointer jumping (each pass doubles the length followed), then look the root up."""
    nrows, ncols = traceback.shape
    cell = np.arange(nrows * ncols, dtype=np.int64)
    step = offsets[:, 0].astype(np.int64) * ncols + offsets[:, 1].astype(np.int64)
    flat = traceback.ravel()
    parent = np.where(flat >= 0, cell - step[np.maximum(flat, 0)], cell)
    while True:
        grand = parent[parent]
        if np.array_equal(grand, parent):
            break
        parent = grand
    start_of_cell = np.full(nrows * ncols, -1, dtype=np.int32)
    flat_starts = starts[:, 0] * ncols + starts[:, 1]
    start_of_cell[flat_starts[::-1]] = index[::-1].astype(np.int32)  # the first listed wins
    nearest = start_of_cell[parent].reshape(nrows, ncols)
    return np.where(reached, nearest, -1).astype(np.int32)


def window_radius(minutes: float, max_speed_kmh: float, shortest_ground_cell_m: float) -> int:
    """Cells from a start within which everything reachable in ``minutes`` lies."""
    reach_m = max_speed_kmh * 1000.0 * minutes / 60.0
    return int(np.ceil(reach_m / shortest_ground_cell_m)) + 1


FIRST_WINDOW_SHARE = 8  # a bounded run starts on a window of 1/8 of the radius, doubled as needed


class _Bounded(MCP_Geometric):
    """``MCP_Geometric`` that stops once the quickest cell left costs more than ``limit``."""

    limit = np.inf

    def goal_reached(self, index: int, cumcost: float) -> int:
        return 2 if cumcost > self.limit else 0


def times_from_each(friction: np.ndarray, starts: np.ndarray, radius: int,
                    visit: Callable[[int, tuple[slice, slice], np.ndarray], None],
                    progress: Callable[[int], None] | None = None, limit: float | None = None) -> None:
    """For each start (row, col), the travel times over the window of ``radius`` cells around
    it (``visit(i, window, minutes)``); nothing outside the window is reachable within the
    time ``radius`` was computed for (:func:`window_radius`).

    With ``limit`` (minutes), only the times up to ``limit`` are exact (the others are above it
    or ``inf``): each run stops there, and starts on a smaller window, doubled while a cell on
    its edge is reached within ``limit`` (until then no quicker path can leave it)."""
    nrows, ncols = friction.shape
    for i, (row, col) in enumerate(np.asarray(starts, dtype=np.int64).reshape(-1, 2)):
        size = radius if limit is None else max(radius // FIRST_WINDOW_SHARE, 1)
        while True:
            window = (slice(max(row - size, 0), min(row + size + 1, nrows)),
                      slice(max(col - size, 0), min(col + size + 1, ncols)))
            minutes = _times_in(friction[window], (row - window[0].start, col - window[1].start), limit)
            if size >= radius or not _edge_reached(minutes, window, friction.shape, limit):
                break
            size = min(size * 2, radius)
        visit(i, window, minutes)
        if progress is not None:
            progress(1)


def _times_in(local: np.ndarray, start: tuple[int, int], limit: float | None) -> np.ndarray:
    """Times from ``start`` over ``local`` (exact up to ``limit`` when given)."""
    if not np.isfinite(local[start]):  # a start on a barrier reaches only its own cell
        minutes = np.full(local.shape, np.inf)
        minutes[start] = 0.0
        return minutes
    if limit is None:
        return MCP_Geometric(local, fully_connected=True).find_costs([start])[0]
    mcp = _Bounded(local, fully_connected=True)
    mcp.limit = limit
    return mcp.find_costs([start])[0]


def _edge_reached(minutes: np.ndarray, window: tuple[slice, slice], shape: tuple[int, int],
                  limit: float | None) -> bool:
    """Whether a cell on an edge of ``window`` that is not the grid's edge is within ``limit``."""
    bound = np.inf if limit is None else limit
    edges = []
    if window[0].start > 0:
        edges.append(minutes[0])
    if window[0].stop < shape[0]:
        edges.append(minutes[-1])
    if window[1].start > 0:
        edges.append(minutes[:, 0])
    if window[1].stop < shape[1]:
        edges.append(minutes[:, -1])
    return any(bool((edge <= bound).any()) for edge in edges)
