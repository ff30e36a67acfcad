"""Batch rendering: throughput serial and with --jobs 2, per-stage medians, peak memory at 100
and 1,000 cases, and the cold start of `casegen validate` — numbers and ratios in one run.

    python bench/bench_batch.py [--cases 100] [--big 1000]

Targets on the 2-core reference machine (docx and sketch, no PDF): at least 20 cases/s with
--jobs 2; peak memory at 1,000 cases within 1.2 times that at 100; cold validate under 0.5 s.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from synthetic import make_cases

RATE_TARGET, MEMORY_RATIO_TARGET, COLD_TARGET = 20.0, 1.2, 0.5

MEASURE = """\
import resource, subprocess, sys, time
start = time.perf_counter()
code = subprocess.call([sys.executable, "-m", "casegen", "render", sys.argv[1], "-o", sys.argv[2],
                        "--jobs", sys.argv[3], "--force"], stdout=subprocess.DEVNULL)
elapsed = time.perf_counter() - start
print(elapsed, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, code)
"""


def render(cases: Path, out: Path, jobs: int) -> tuple[float, int]:
    """Wall time and the peak resident memory (kB) of the largest casegen process."""
    result = subprocess.run([sys.executable, "-c", MEASURE, str(cases), str(out), str(jobs)],
                            capture_output=True, text=True, check=True)
    elapsed, peak, code = result.stdout.split()
    assert code == "0", f"render failed: {result.stderr}"
    return float(elapsed), int(peak)


def stage_medians(cases: Path) -> dict[str, float]:
    from casegen.case.calendar import WorkCalendar
    from casegen.case.reading import find_case_files
    from casegen.checks.evidence import checklist
    from casegen.outputs.document import Picture, render_docx
    from casegen.outputs.sketch import WIDTH_MM, SketchInput, draw
    from casegen.service.cases import assess, output_stems
    from casegen.service.documents import marked_photos

    calendar = WorkCalendar()
    timings: dict[str, list[float]] = {"load+validate": [], "sketch": [], "photos": [], "docx": []}
    paths = find_case_files([cases])[:30]
    with tempfile.TemporaryDirectory() as name:
        out = Path(name)
        for path in paths:
            t0 = time.perf_counter()
            case_file = assess(path, calendar)
            t1 = time.perf_counter()
            stem = output_stems([case_file])[0]
            png = draw(SketchInput.from_case(case_file.case), out / f"{stem}.png")
            t2 = time.perf_counter()
            evidence = checklist(case_file.case, path.parent, has_works=case_file.facts.has_works)
            photos = marked_photos(case_file, evidence, out / stem)
            t3 = time.perf_counter()
            render_docx(case_file.case, case_file.facts, evidence, out / f"{stem}.docx",
                        sketch=Picture(png, WIDTH_MM), photos=photos)
            t4 = time.perf_counter()
            for key, a, b in (("load+validate", t0, t1), ("sketch", t1, t2), ("photos", t2, t3),
                              ("docx", t3, t4)):
                timings[key].append(b - a)
    return {key: statistics.median(values) for key, values in timings.items()}


def cold_validate(path: Path) -> float:
    times = []
    for _ in range(7):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "casegen", "validate", str(path)], check=True,
                       capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=100)
    parser.add_argument("--big", type=int, default=1000)
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as name:
        root = Path(name)
        small = root / "small"
        make_cases(small, args.cases, with_evidence=True)
        render(small, root / "warm", 2)  # font caches, page cache
        serial, _ = render(small, root / "out1", 1)
        parallel, peak_small = render(small, root / "out2", 2)
        print(f"render {args.cases} cases, --jobs 1: {serial:.2f} s = {args.cases / serial:.1f} cases/s")
        print(f"render {args.cases} cases, --jobs 2: {parallel:.2f} s = {args.cases / parallel:.1f} "
              f"cases/s (target {RATE_TARGET:.0f}, ratio {args.cases / parallel / RATE_TARGET:.2f}; "
              f"speed-up over serial {serial / parallel:.2f}×)")
        for stage, seconds in stage_medians(small).items():
            print(f"  stage median {stage}: {seconds * 1000:.1f} ms")
        big = root / "big"
        make_cases(big, args.big, with_evidence=True)
        _, peak_big = render(big, root / "out3", 2)
        ratio = peak_big / peak_small
        print(f"peak memory (largest process): {peak_small / 1024:.0f} MB at {args.cases} cases, "
              f"{peak_big / 1024:.0f} MB at {args.big} cases: ratio {ratio:.2f} "
              f"(target ≤ {MEMORY_RATIO_TARGET})")
        cold = cold_validate(small / "case-00000" / "case.yaml")
        print(f"cold start, casegen validate one file: {cold:.3f} s "
              f"(target {COLD_TARGET} s, ratio {cold / COLD_TARGET:.2f})")


if __name__ == "__main__":
    main()
