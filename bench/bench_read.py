"""`casegen read` on 100 documents casegen rendered from synthetic cases (all three kinds): wall
time of the whole command, documents per second, against the target.

    python bench/bench_read.py [--documents 100]

Target on the 2-core reference machine: 100 documents in 10 s.
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

TARGET = 10.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=100)
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as name:
        root = Path(name)
        make_cases(root / "cases", args.documents)
        subprocess.run([sys.executable, "-m", "casegen", "render", str(root / "cases"), "-o", str(root / "docx"),
                        "--jobs", "2"], check=True, stdout=subprocess.DEVNULL)
        documents = sorted((root / "docx").glob("*.docx"))
        assert len(documents) == args.documents
        start = time.perf_counter()
        result = subprocess.run([sys.executable, "-m", "casegen", "read", str(root / "docx"), "-o", str(root / "read")],
                                capture_output=True, text=True)
        elapsed = time.perf_counter() - start
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr
        written = len(list((root / "read").glob("*/case.yaml")))
        print(result.stdout.strip().splitlines()[-1])
        print(f"read {len(documents)} documents ({written} case files): {elapsed:.2f} s = "
              f"{len(documents) / elapsed:.0f} documents/s (target {TARGET:.0f} s, ratio {elapsed / TARGET:.2f})")


if __name__ == "__main__":
    main()
