"""The publicity booklet: 20 有外线 cases as one PDF (cover, contents, summary, cases), through
the kept-alive LibreOffice, wall time against the target.

    python bench/bench_booklet.py [--cases 20]

Target on the 2-core reference machine: 20 有外线 cases in 30 s.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from synthetic import make_cases

TARGET = 30.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=20)
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as name:
        root = Path(name)
        make_cases(root / "cases", args.cases, with_evidence=True, kind="有外线")
        command = [sys.executable, "-m", "casegen", "booklet", str(root / "cases"), "-o", str(root / "汇编.pdf"),
                   "--docx", str(root / "汇编.docx"), "--allow-marks"]
        start = time.perf_counter()
        result = subprocess.run(command, capture_output=True, text=True)
        elapsed = time.perf_counter() - start
        assert result.returncode == 0, result.stdout + result.stderr
        print(result.stdout.strip().splitlines()[-1])
        print(f"booklet of {args.cases} 有外线 cases (PDF and .docx): {elapsed:.2f} s "
              f"(target {TARGET:.0f} s, ratio {elapsed / TARGET:.2f})")


if __name__ == "__main__":
    main()
