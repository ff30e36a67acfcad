"""Time to build the 附件2 ledger of N cases (reading the files, checking them, writing the .xlsx).

    python bench/bench_ledger.py [--cases 10000]

Target on the 2-core reference machine: under 10 s for 10,000 cases.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from synthetic import make_cases

from casegen.outputs.ledger import ledger_rows
from casegen.outputs.workbooks import write_ledger
from casegen.service.summary import summarize

TARGET_S = 10.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        make_cases(folder / "cases", args.cases)
        start = time.perf_counter()
        rows = ledger_rows(summarize([folder / "cases"], evidence=False).summaries)
        read = time.perf_counter() - start
        write_ledger(rows, folder / "ledger.xlsx")
        total = time.perf_counter() - start
        print(f"ledger of {args.cases} cases: {total:.2f} s in all "
              f"(read and check {read:.2f} s, write xlsx {total - read:.2f} s; "
              f"{args.cases / total:.0f} cases/s; target {TARGET_S:.0f} s, ratio {total / TARGET_S:.2f})")


if __name__ == "__main__":
    main()
