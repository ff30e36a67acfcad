"""Time to draw one sketch (PNG at the size embedded in the document), median of many.

    python bench/bench_sketch.py [--runs 40]

Target on the 2-core reference machine: 0.08 s or less per sketch.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from casegen.pipeline import read_case
from casegen.sketch import SketchInput, draw_figure, save_sketch

ROOT = Path(__file__).resolve().parent.parent
TARGET_S = 0.08


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    cases = []
    for path in sorted((ROOT / "cases").glob("*/case.yaml")):
        cases.append((path.parent.name, read_case(path).case))
    with tempfile.TemporaryDirectory() as folder:
        save_sketch(draw_figure(SketchInput.from_case(cases[0][1])), Path(folder) / "warm.png")  # fonts
        for name, case in cases:
            times = []
            for run in range(args.runs):
                start = time.perf_counter()
                save_sketch(draw_figure(SketchInput.from_case(case)), Path(folder) / f"{run}.png")
                times.append(time.perf_counter() - start)
            median = statistics.median(times)
            print(f"{name}: median {median:.3f} s over {args.runs} runs "
                  f"(target {TARGET_S} s, ratio {median / TARGET_S:.2f})")


if __name__ == "__main__":
    main()
