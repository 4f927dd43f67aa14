"""Benchmark of the Monte Carlo weight sensitivity against simpler ways of ranking every draw.

Run: ``python bench/bench_montecarlo.py [--posts 5000] [--criteria 8] [--samples 10000]
[--method wsum]``. Synthetic normalised values (seeded uniform [0, 1], which makes posts
alike and ranks shuffle a lot: a hard case), one process, best of 3 with
``time.perf_counter``; peak memory from ``tracemalloc`` (NumPy reports its buffers to it)
in a separate, untimed run of each step. Prints a Markdown table.

(a) scores only: one vectorised float32 pass over the draws in chunks of ``CHUNK``
    (``aggregate`` on float32 inputs);
(b) ``monte_carlo``: rank percentiles (5, 50, 95) and P(top N), exact;
(c) the scores of (a), then a plain ``np.argsort`` of every draw (no ranks or percentiles yet);
(d) a Python loop: score one draw, ``scipy.stats.rankdata`` it; timed on 200 draws and scaled
    to all draws.
"""

from __future__ import annotations

import argparse
import os
import time
import tracemalloc
from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from mapping.scoring.explain import results_table
from mapping.scoring.methods import aggregate
from mapping.scoring.profile import profile_from_dict
from mapping.scoring.rank import score
from mapping.scoring.sensitivity import CHUNK, monte_carlo, sample_weights

LOOP_SAMPLES = 200
REPEATS = 3


def best_time(step: Callable[[], object]) -> float:
    """Best of REPEATS wall-clock times, seconds."""
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return min(times)


def peak_memory(step: Callable[[], object]) -> float:
    """Peak memory allocated while ``step`` runs, MB."""
    tracemalloc.start()
    step()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=5000)
    parser.add_argument("--criteria", type=int, default=8)
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--method", default="wsum")
    args = parser.parse_args()

    rng = np.random.default_rng(20240601)
    normalised = rng.uniform(0.01, 1.0, (args.posts, args.criteria))
    benefit = np.ones(args.criteria, dtype=bool)
    weights = rng.dirichlet(np.full(args.criteria, 5.0))
    draws = sample_weights(weights, args.samples, 50.0, 0)
    values, draws32 = normalised.astype(np.float32), draws.astype(np.float32)

    def scores(start: int, stop: int) -> np.ndarray:
        return aggregate(values, draws32[start:stop], args.method, benefit)

    def scores_only() -> None:
        for start in range(0, args.samples, CHUNK):
            scores(start, start + CHUNK)

    def full() -> None:
        monte_carlo(normalised, benefit, weights, args.method, samples=args.samples)

    def argsort_all() -> None:
        for start in range(0, args.samples, CHUNK):
            np.argsort(scores(start, start + CHUNK), axis=1)

    def rankdata_loop() -> None:
        for i in range(LOOP_SAMPLES):
            rankdata(-scores(i, i + 1)[0], method="min")

    names = [f"c{j}" for j in range(args.criteria)]
    table = pd.DataFrame(normalised, columns=names,
                         index=pd.Index([f"P{i:05d}" for i in range(args.posts)], name="post_id"))
    profile = profile_from_dict({"method": args.method, "criteria": [
        {"indicator": name, "weight": float(w)} for name, w in zip(names, weights, strict=True)]})

    def ranking_with_explanations() -> None:
        results_table(score(table, profile), "fr")

    steps = [
        (f"(a) scores only, float32, chunks of {CHUNK}", scores_only, 1),
        ("(b) monte_carlo: rank p05/p50/p95 + P(top 10), exact", full, 1),
        ("(c) scores + plain argsort of every draw", argsort_all, 1),
        (f"(d) loop: score + rankdata per draw (timed on {LOOP_SAMPLES}, ×{args.samples // LOOP_SAMPLES})",
         rankdata_loop, args.samples / LOOP_SAMPLES),
        ("(e) score() of the profile: ranks, contributions, French explanations",
         ranking_with_explanations, 1),
    ]
    results = [(name, best_time(step) * scale, peak_memory(step)) for name, step, scale in steps]
    base = results[0][1]
    print(f"{args.posts} posts × {args.criteria} criteria × {args.samples} draws, method {args.method}, "
          f"numpy {np.__version__}, {os.cpu_count()} CPUs, best of {REPEATS}\n")
    print("| step | seconds | × (a) | peak memory (MB) |")
    print("|---|---:|---:|---:|")
    for name, seconds, memory in results:
        print(f"| {name} | {seconds:.3f} | {seconds / base:.1f} | {memory:.0f} |")
    loop = results[3][1]
    print(f"\nmonte_carlo is {loop / results[1][1]:.0f}× faster than the rankdata loop.")


if __name__ == "__main__":
    main()
