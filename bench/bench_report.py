"""`casegen report` of a large folder: 2,000 cases in at most 10 s, memory flat in the number
of cases.

    python bench/bench_report.py [--cases 500 2000]

Cases are copies of the examples (bench/synthetic.make_cases), without evidence files (every
item a gap: the report's evidence table is at its longest). Prints, for each size, the time and
the peak memory of `casegen report … -o r.html` in a fresh process, and the ratios to the
target and to the smallest size.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic import make_cases

TARGET_S = 10.0
MEASURE = """
import resource, sys
from casegen.cli import main
code = main(sys.argv[1:])
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, nargs="+", default=[500, 2000])
    args = parser.parse_args()
    first_memory = None
    for count in args.cases:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "cases"
            make_cases(folder, count)
            start = time.perf_counter()
            result = subprocess.run([sys.executable, "-c", MEASURE, "report", str(folder), "-o",
                                     str(Path(tmp) / "r.html")], capture_output=True, text=True, check=True)
            elapsed = time.perf_counter() - start
            # the parent's own peak is small; the child's is what the report cost
            peak_mb = int(result.stdout.strip().splitlines()[-1]) / 1024
            children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            first_memory = first_memory or peak_mb
            print(f"{count:5d} cases: {elapsed:5.1f} s = {elapsed / TARGET_S:.2f} × the {TARGET_S:.0f} s target; "
                  f"peak memory {peak_mb:.0f} MB in the main process ({peak_mb / first_memory:.2f} × the first size; "
                  f"largest worker so far {children:.0f} MB)")


if __name__ == "__main__":
    main()
