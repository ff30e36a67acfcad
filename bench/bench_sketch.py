"""Time to draw one sketch (PNG at the size embedded in the document), median of many.

    python bench/bench_sketch.py [--runs 40]

Target on the 2-core reference machine: 0.08 s or less per sketch. Two numbers per example:
"again" redraws the same case (the workbench at each keystroke, a batch whose legends repeat:
each string's layout and bitmap come from casegen.outputs.raster's per-process caches); "uncached"
clears those caches before each run (the first sketch a process draws, fonts already open).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from casegen.case.reading import read_case
from casegen.outputs import raster
from casegen.outputs.sketch import SketchInput, draw_figure, save_sketch

ROOT = Path(__file__).resolve().parent.parent
TARGET_S = 0.08


def median_time(case, folder: Path, runs: int, *, uncached: bool) -> float:
    times = []
    for run in range(runs):
        if uncached:
            raster.clear_caches()
        start = time.perf_counter()
        save_sketch(draw_figure(SketchInput.from_case(case)), folder / f"{run}.png")
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    cases = []
    for path in sorted((ROOT / "cases").glob("*/case.yaml")):
        cases.append((path.parent.name, read_case(path).case))
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        save_sketch(draw_figure(SketchInput.from_case(cases[0][1])), folder / "warm.png")  # fonts
        for name, case in cases:
            again = median_time(case, folder, args.runs, uncached=False)
            cold = median_time(case, folder, args.runs, uncached=True)
            print(f"{name}: again {again:.3f} s (ratio {again / TARGET_S:.2f}), "
                  f"uncached {cold:.3f} s (ratio {cold / TARGET_S:.2f}); "
                  f"median of {args.runs}, target {TARGET_S} s")


if __name__ == "__main__":
    main()
