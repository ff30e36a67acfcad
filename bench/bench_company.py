"""The company's intake: receiving a package, rebuilding a store's index, memory.

    python bench/bench_company.py [--units 40 --periods 26 --cases 25] [--skip-store]

Targets (printed as ratios, never asserted):
- `casegen receive` of one 25-case package with evidence: ≤ 2 s (the package made by `casegen submit`);
- `casegen receive --reindex` of a store of units × periods packages of `--cases` cases each
  (40 × 26 × 25 = 26,000 cases at full size): ≤ 60 s, every package verified again and its facts
  taken from the record made when it was read; printed beside it, the same rebuild reading
  every case again from the packages alone (`--full`);
- memory flat in the number of packages: the peak RSS of reindexing 1× and 4× the packages.

Packages for the store are built with casegen.company.package.build straight from the example
case files (each case its own 户号 and name, dates moved by two weeks per period, evidence
copied), without 附件2 and report (the index does not read them), and placed as a store holds them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic import ACCOUNTS, ROOT, make_cases

from casegen.company import package as pkg
from casegen.company import store as st

RECEIVE_S, REINDEX_S = 2.0, 60.0
DATE = re.compile(r"\b(20\d\d-\d\d-\d\d)\b")
MEASURE = """
import resource, sys
from casegen.cli import main
code = main(sys.argv[1:])
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, code)
"""


def run(*args: str) -> tuple[float, float, str]:
    """Seconds and peak RSS (MB: the main process, or its largest worker if larger) of a casegen
    command in a fresh process."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", MEASURE, *args], capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"failed: {' '.join(args)}\n{done.stderr}")
    own, workers = done.stdout.strip().splitlines()[-1].split()[:2]
    peak = max(int(own), int(workers)) / 1024
    return elapsed, peak, done.stdout


def shifted(text: str, days: int) -> str:
    return DATE.sub(lambda m: (dt.date.fromisoformat(m.group(1)) + dt.timedelta(days=days)).isoformat(), text)


def make_store(store: Path, units: int, periods: int, cases: int) -> int:
    sources = sorted(ROOT.glob("cases/*/case.yaml"))
    texts = [p.read_text(encoding="utf-8") for p in sources]
    evidence = [sorted(p for p in s.parent.joinpath("evidence").iterdir() if p.is_file()) for s in sources]
    first = dt.date(2025, 1, 6)
    made, serial = 0, 0
    for u in range(units):
        unit = f"测试{u:02d}供电分公司"
        for p in range(periods):
            start = first + dt.timedelta(days=14 * p)
            end = start + dt.timedelta(days=13)
            files, listed = {}, []
            for n in range(cases):
                serial += 1
                which = serial % len(texts)
                text = texts[which].replace(ACCOUNTS[which], f"{7000000000 + serial}")
                text = text.replace("name: 重庆", f"name: 重庆{serial}号", 1)
                text = shifted(text, 14 * p)
                folder = f"cases/{n:02d}-{which}"
                files[f"{folder}/case.yaml"] = text.encode("utf-8")
                for path in evidence[which]:
                    files[f"{folder}/evidence/{path.name}"] = path
                listed.append({"folder": folder, "case_file": f"{folder}/case.yaml", "account": None,
                               "customer": "", "counts": {}})
            head = {"format": pkg.FORMAT, "unit": unit, "period": {"from": start.isoformat(), "to": end.isoformat()},
                    "made": pkg.made_text(dt.datetime(2025, 6, 1)), "casegen": "bench"}
            target = store / st.PACKAGES / unit / f"{start}_{end}" / f"r1-{made:012x}.zip"
            pkg.build(target, files, head, listed)
            received = 1_750_000_000 + made
            os.utime(target, (received, received))
            made += 1
    return made


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=40)
    parser.add_argument("--periods", type=int, default=26)
    parser.add_argument("--cases", type=int, default=25)
    parser.add_argument("--skip-store", action="store_true", help="only the one-package receive")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        make_cases(tmp / "cases", 25, with_evidence=True)
        package = tmp / "p.zip"
        elapsed, _, _ = run("submit", str(tmp / "cases"), "--unit", "测试供电分公司", "--from", "2024-01-01",
                            "--to", "2025-12-31", "-o", str(package))
        print(f"submit of 25 cases with evidence: {elapsed:.2f} s ({package.stat().st_size // 1024} KB)")
        elapsed, peak, _ = run("receive", str(package), "--store", str(tmp / "store"))
        print(f"receive of that package: {elapsed:.2f} s = {elapsed / RECEIVE_S:.2f} × the {RECEIVE_S:.0f} s target "
              f"(fresh process, imports included); peak {peak:.0f} MB")
        elapsed, peak, _ = run("receive", str(package), "--store", str(tmp / "store"))
        print(f"receive of the same package again (already kept): {elapsed:.2f} s")
    if args.skip_store:
        return
    peaks = []
    for factor in (1, 4):
        units = args.units if factor == 4 else max(1, args.units // 4)
        with tempfile.TemporaryDirectory() as tmp:
            store = Path(tmp) / "store"
            start = time.perf_counter()
            count = make_store(store, units, args.periods, args.cases)
            made_s = time.perf_counter() - start
            # the store as a bench builds it holds no reading records: this first rebuild reads
            # every case from its package (what `--reindex --full` does), and keeps the records
            full_s, peak, _ = run("receive", "--store", str(store), "--reindex")
            (store / "store.sqlite").unlink()
            elapsed, peak_again, _ = run("receive", "--store", str(store), "--reindex")
            peaks.append(max(peak, peak_again))
            cases = count * args.cases
            line = (f"reindex of {units} units × {args.periods} periods × {args.cases} cases = {count} packages, "
                    f"{cases} cases (made in {made_s:.0f} s): {elapsed:.1f} s with the reading records "
                    f"({elapsed / count * 1000:.0f} ms a package)")
            if factor == 4:
                line += f" = {elapsed / REINDEX_S:.2f} × the {REINDEX_S:.0f} s target"
            line += f"; {full_s:.1f} s reading every case again (--full; {full_s / count * 1000:.0f} ms a package)"
            print(line + f"; peak {max(peak, peak_again):.0f} MB")
    print(f"memory: peak {peaks[0]:.0f} MB for 1×, {peaks[1]:.0f} MB for 4× the packages "
          f"(ratio {peaks[1] / peaks[0]:.2f}; flat is 1.0)")
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "casegen"
    print(f"photo cache size now: {sum(p.stat().st_size for p in cache.glob('photos-*.json')) // 1024} KB")


if __name__ == "__main__":
    main()
