"""One case rendered start to finish, against the floor of importing what it needs.

    python bench/bench_one_case.py [--runs 5]

Prints, as CPU seconds (user + system) of the whole process, medians over the runs:
- the import floor: a Python that only imports matplotlib (Agg), docxtpl and python-docx;
- `casegen render` of one example case (--force, default --jobs), and the ratio to the floor
  (target: at most 1.5), the two run alternately;
- the three examples rendered with --jobs 1 and with --jobs 2, in wall-clock seconds: a pool must
  not make a batch slower.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLOOR = "import matplotlib.figure, matplotlib.backends.backend_agg, docxtpl, docx"
# the same imports, leaving as casegen's console script does (cli.run: no interpreter teardown)
FLOOR_HARD_EXIT = FLOOR + "; import os; os._exit(0)"
TARGET_RATIO = 1.5


# as a user's shell has it: byte code cached (a development shell may turn that off)
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def cpu_seconds(command: list[str]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of a child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, env=ENV)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), wall


def median_of(command: list[str], runs: int) -> tuple[float, float]:
    results = [cpu_seconds(command) for _ in range(runs)]
    return statistics.median(r[0] for r in results), statistics.median(r[1] for r in results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    casegen = [sys.executable, "-m", "casegen"]
    one = str(ROOT / "cases" / "03-有外线有掘路-顺达汽修" / "case.yaml")
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run([*casegen, "render", one, "-o", folder], check=True, capture_output=True,
                       env=ENV)  # warm: byte code, font and calendar caches
        # floor and case alternate, so that a slow spell of a shared machine weighs on both
        pairs, bare_floors = [], []
        for _ in range(args.runs):
            pairs.append((cpu_seconds([sys.executable, "-c", FLOOR]),
                          cpu_seconds([*casegen, "render", one, "-o", folder, "--force"])))
            bare_floors.append(cpu_seconds([sys.executable, "-c", FLOOR_HARD_EXIT])[0])
        floor = statistics.median(f[0] for f, _ in pairs)
        single = statistics.median(c[0] for _, c in pairs)
        single_wall = statistics.median(c[1] for _, c in pairs)
        ratios = sorted(c[0] / f[0] for f, c in pairs)
        jobs1 = median_of([*casegen, "render", str(ROOT / "cases"), "-o", folder, "--force",
                           "--jobs", "1"], args.runs)[1]
        jobs2 = median_of([*casegen, "render", str(ROOT / "cases"), "-o", folder, "--force",
                           "--jobs", "2"], args.runs)[1]
    bare_floor = statistics.median(bare_floors)
    print(f"import floor (matplotlib, docxtpl, python-docx): {floor:.2f} s CPU; "
          f"{bare_floor:.2f} s leaving without interpreter teardown, as casegen does")
    print(f"one case rendered: {single:.2f} s CPU ({single_wall:.2f} s wall); "
          f"ratio to the floor {single / floor:.2f} (target at most {TARGET_RATIO}); "
          f"ratio within each pair: median {statistics.median(ratios):.2f}, "
          f"range {ratios[0]:.2f}–{ratios[-1]:.2f}; "
          f"to the floor without teardown {single / bare_floor:.2f}")
    print(f"three examples: --jobs 1 {jobs1:.2f} s wall, --jobs 2 {jobs2:.2f} s wall "
          f"(ratio {jobs2 / jobs1:.2f}; at most 1.00 wanted)")


if __name__ == "__main__":
    main()
