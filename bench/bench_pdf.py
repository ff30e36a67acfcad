"""PDF through the kept-alive LibreOffice against the one-shot path (a fresh soffice for each
document), in the same run: a batch of 有外线 cases with --jobs 2, and the workbench's PDF download
after the first.

    python bench/bench_pdf.py [--cases 40] [--runs 5]

Targets on the 2-core reference machine: 40 有外线 cases `render --pdf --jobs 2` in 8 s; a
workbench PDF after the first in 0.5 s. After each batch, the LibreOffice processes left are
counted (there should be none).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from synthetic import ROOT, machine, make_cases, timed_casegen

BATCH_TARGET, DOWNLOAD_TARGET = 8.0, 0.5
CASE = "03-有外线有掘路-顺达汽修/case.yaml"


def offices_left() -> int:
    """soffice.bin processes alive (zombies aside) that a casegen office started."""
    count = 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
            arguments = (status.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if "\nState:\tZ" not in text and b"soffice" in arguments and b"casegen-" in arguments:
            count += 1
    return count


def batch(cases: Path, out: Path, *, one_shot: bool) -> float:
    environment = dict(os.environ, CASEGEN_UNO_PYTHON="none" if one_shot else os.environ.get("CASEGEN_UNO_PYTHON", ""))
    elapsed, _ = timed_casegen("render", cases, "-o", out, "--pdf", "--jobs", "2", "--force", env=environment)
    pdfs = len(list(out.glob("*.pdf")))
    assert pdfs == len(list(cases.glob("*/case.yaml"))), f"only {pdfs} PDFs"
    return elapsed


def downloads(folder: Path, runs: int) -> tuple[float, float]:
    """(first PDF download, median of the next `runs`) in the workbench, in this process."""
    from starlette.testclient import TestClient

    from casegen.web.app import create_app

    client = TestClient(create_app(folder), base_url="http://localhost")
    start = time.perf_counter()
    assert client.get(f"/case/{CASE}/document.pdf").status_code == 200
    first = time.perf_counter() - start
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        answer = client.get(f"/case/{CASE}/document.pdf")
        times.append(time.perf_counter() - start)
        assert answer.content.startswith(b"%PDF-")
    return first, statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=40)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(machine())
    with tempfile.TemporaryDirectory() as name:
        root = Path(name)
        make_cases(root / "cases", args.cases, with_evidence=True, kind="有外线")
        timed_casegen("render", root / "cases", "-o", root / "warm", "--jobs", "2")
        kept = batch(root / "cases", root / "kept", one_shot=False)
        left_kept = offices_left()
        one_shot = batch(root / "cases", root / "one", one_shot=True)
        print(f"render --pdf --jobs 2, {args.cases} 有外线 cases: kept-alive {kept:.2f} s "
              f"(target {BATCH_TARGET:.0f} s, ratio {kept / BATCH_TARGET:.2f}); one-shot {one_shot:.2f} s; "
              f"speed-up {one_shot / kept:.1f}×; LibreOffice processes left after the batch: {left_kept}")
        shutil.copytree(ROOT / "cases", root / "serve")
        first, after = downloads(root / "serve", args.runs)
        print(f"workbench PDF download: first {first:.2f} s, then median {after:.3f} s over {args.runs} "
              f"(target {DOWNLOAD_TARGET} s, ratio {after / DOWNLOAD_TARGET:.2f})")


if __name__ == "__main__":
    main()
