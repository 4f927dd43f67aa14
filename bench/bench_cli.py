"""Benchmark: how long `bordermap --help` takes to answer, against Python starting and `rio --help`.

    python bench/bench_cli.py [--repeat 10] [--before /path/to/older/checkout]

Each command runs ``--repeat`` times in a new interpreter (``subprocess``, wall time by
``time.perf_counter``); the table gives the median and the ratio to ``python -c pass`` in the
same run. ``bordermap`` runs from this source tree (``python -c "from mapping.cli import
main; main()"``), as does ``--before``'s tree when given (the figure before a change).
``rio --help`` is rasterio's command line, a reference for a GIS tool's start-up.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BORDERMAP = "from mapping.cli import main; main()"


def median_seconds(command: list[str], cwd: Path, repeat: int) -> float:
    """Median wall time in seconds of ``repeat`` runs of ``command`` (output discarded)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--before", type=Path, help="another checkout of bordermap to time as well")
    args = parser.parse_args()
    python = sys.executable
    runs = [("`python -c pass` (reference)", [python, "-c", "pass"], ROOT)]
    rio = shutil.which("rio", path=str(Path(python).parent)) or shutil.which("rio")
    if rio:
        runs.append(("`rio --help` (rasterio)", [rio, "--help"], ROOT))
    if args.before:
        runs.append((f"`bordermap --help` before ({args.before})", [python, "-c", BORDERMAP, "--help"],
                     args.before))
    runs += [("`bordermap --help`", [python, "-c", BORDERMAP, "--help"], ROOT),
             ("`bordermap score --help` (imports the scoring modules)",
              [python, "-c", BORDERMAP, "score", "--help"], ROOT)]
    results = [(name, median_seconds(command, cwd, args.repeat)) for name, command, cwd in runs]
    reference = results[0][1]
    print(f"median of {args.repeat} runs each\n")
    print("| command | median s | × python -c pass |")
    print("|---|---:|---:|")
    for name, seconds in results:
        print(f"| {name} | {seconds:.3f} | {seconds / reference:.1f} |")


if __name__ == "__main__":
    main()
