"""The publicity booklet: 20 有外线 cases as one PDF (cover, contents, summary, cases), through
the kept-alive LibreOffice, wall time against the target.

    python bench/bench_booklet.py [--cases 20]

Target on the 2-core reference machine: 20 有外线 cases in 30 s.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from synthetic import machine, make_cases, timed_casegen

TARGET = 30.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=20)
    args = parser.parse_args()
    print(machine())
    with tempfile.TemporaryDirectory() as name:
        root = Path(name)
        make_cases(root / "cases", args.cases, with_evidence=True, kind="有外线")
        elapsed, said = timed_casegen("booklet", root / "cases", "-o", root / "汇编.pdf", "--docx", root / "汇编.docx",
                                      "--allow-marks")
        assert (root / "汇编.pdf").exists(), said
        print(said.strip().splitlines()[-1])
        print(f"booklet of {args.cases} 有外线 cases (PDF and .docx): {elapsed:.2f} s "
              f"(target {TARGET:.0f} s, ratio {elapsed / TARGET:.2f})")


if __name__ == "__main__":
    main()
