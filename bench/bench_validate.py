"""Validation speed: a folder of N case files in one process, and the cold start on one file.

    python bench/bench_validate.py [--cases 2000]

Targets on the 2-core reference machine: 2,000 files well under 10 s; one file from a cold
start under 0.5 s, with no drawing or document library imported.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from synthetic import make_cases

FOLDER_TARGET_S, COLD_TARGET_S = 10.0, 0.5


def folder_run(folder: Path) -> tuple[float, int]:
    from casegen.case.calendar import WorkCalendar
    from casegen.service.cases import gather

    start = time.perf_counter()
    run = gather([folder], WorkCalendar())
    return time.perf_counter() - start, len(run.files) - len(run.failed)


def cold_start(path: Path, runs: int = 7) -> tuple[float, list[str]]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "casegen", "validate", str(path)], check=True,
                       capture_output=True)
        times.append(time.perf_counter() - start)
    probe = ("import contextlib, io, sys\n"
             "from casegen.cli import main\n"
             "with contextlib.redirect_stdout(io.StringIO()):\n"
             "    main(['validate', sys.argv[1]])\n"
             "print(' '.join(m for m in ('matplotlib', 'docx', 'docxtpl', 'openpyxl', 'PIL')"
             " if m in sys.modules))")
    heavy = subprocess.run([sys.executable, "-c", probe, str(path)], capture_output=True,
                           text=True, check=True).stdout.split()
    return statistics.median(times), heavy


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        make_cases(folder, args.cases)
        seconds, clean = folder_run(folder)
        print(f"validate {args.cases} files in one process: {seconds:.2f} s "
              f"({args.cases / seconds:.0f} files/s; {clean} clean; "
              f"target {FOLDER_TARGET_S:.0f} s, ratio {seconds / FOLDER_TARGET_S:.2f})")
        median, heavy = cold_start(folder / "case-00000" / "case.yaml")
        print(f"cold start, `casegen validate` on one file: median {median:.3f} s "
              f"(target {COLD_TARGET_S} s, ratio {median / COLD_TARGET_S:.2f}); "
              f"heavy libraries imported: {', '.join(heavy) or 'none'}")


if __name__ == "__main__":
    main()
