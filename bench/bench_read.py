"""`casegen read` on 100 documents casegen rendered from synthetic cases (all three kinds): wall
time of the whole command, documents per second, against the target.

    python bench/bench_read.py [--documents 100]

Target on the 2-core reference machine: 100 documents in 10 s.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from synthetic import machine, make_cases, timed_casegen

TARGET = 10.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=100)
    args = parser.parse_args()
    print(machine())
    with tempfile.TemporaryDirectory() as name:
        root = Path(name)
        make_cases(root / "cases", args.documents)
        timed_casegen("render", root / "cases", "-o", root / "docx", "--jobs", "2")
        documents = sorted((root / "docx").glob("*.docx"))
        assert len(documents) == args.documents
        elapsed, said = timed_casegen("read", root / "docx", "-o", root / "read")
        written = len(list((root / "read").glob("*/case.yaml")))
        assert "有错误或不一致的 0 个" in said, said[-2000:]  # casegen's own documents read back whole
        print(said.strip().splitlines()[-1])
        print(f"read {len(documents)} documents ({written} case files): {elapsed:.2f} s = "
              f"{len(documents) / elapsed:.0f} documents/s (target {TARGET:.0f} s, ratio {elapsed / TARGET:.2f})")


if __name__ == "__main__":
    main()
