"""The 客服中心's bulletin over a large store, and a callback sample.

    python bench/bench_bulletin.py [--units 40 --periods 26 --projects 100 --cases 25]

Targets (printed as ratios, never asserted): `casegen bulletin` for one period (four weeks) over a
store of 40 units × 26 fortnights × 100 projects (附件2 rows) and 25 typical cases ≤ 5 s, and for a
year ≤ 10 s (fresh processes, imports, the .docx, .html and .xlsx included).

The store's index is filled directly (casegen.company.store.record with generated facts, one
package a unit and fortnight, every fifth resubmitted with a changed date), without package
files: the bulletin reads the index only. Receiving and rebuilding are bench_company.py's.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from casegen.company import store as st

PERIOD_S, YEAR_S = 5.0, 10.0
FIRST = dt.date(2025, 1, 6)


def _dates(rng: random.Random, start: dt.date, changed: bool) -> tuple:
    accepted = start + dt.timedelta(days=rng.randrange(14))
    kind = rng.choice(["无外线", "有外线无掘路", "有外线有掘路"])
    limit = {"无外线": 4, "有外线无掘路": 10, "有外线有掘路": 15}[kind]
    working = rng.randrange(1, limit + 3)
    energized = accepted + dt.timedelta(days=working + 2 + changed)
    completed = None if kind == "无外线" else energized - dt.timedelta(days=rng.random() < 0.1)
    return accepted, kind, limit, working, energized, completed


def facts(rng: random.Random, serial: int, start: dt.date, changed: bool) -> st.CaseFacts:
    accepted, kind, limit, working, energized, completed = _dates(rng, start, changed)
    counts = {"数据错误": int(rng.random() < 0.03), "适用范围": 0, "服务目标": int(working > limit),
              "实证材料": int(rng.random() < 0.2), "提示": 0}
    return st.CaseFacts(
        folder=f"cases/{serial}", case_file=f"cases/{serial}/case.yaml", account=f"{7_000_000_000 + serial}",
        customer=f"重庆{serial}号有限公司", company="", kind=kind, business_type="新装", accepted=accepted.isoformat(),
        surveyed=(accepted + dt.timedelta(days=1)).isoformat(), completed=completed and completed.isoformat(),
        energized=energized.isoformat(), working_days=working, calendar_days=working + 2, limit_days=limit,
        within_limit=int(working <= limit), cost_wan=3.2, customer_cost_yuan=0.0, capacity_kw=50.0,
        digest=f"{serial:064x}", counts=counts, evidence=(("evidence/a.pdf", f"{serial:064x}", 1000),),
        phone="13800000000",
        customer_steps=f"申请签约（{accepted.month}月{accepted.day}日），装表接电（{energized.month}月{energized.day}日）",
        missed='["time-limit"]' if working > limit else "[]", evidence_complete=int(not counts["实证材料"]),
        wrong=counts["数据错误"], ledger_row=serial)


def project(rng: random.Random, serial: int, start: dt.date, changed: bool) -> st.ProjectFacts:
    accepted, kind, limit, working, energized, completed = _dates(rng, start, changed)
    return st.ProjectFacts(
        row=serial, account=f"{7_000_000_000 + serial}", customer=f"重庆{serial}号有限公司", business_type="新装",
        kind=kind, kind_known_by="写明", funding="供电企业", cost_wan=3.2, capacity_kw=50.0,
        accepted=accepted.isoformat(), completed=completed and completed.isoformat(), energized=energized.isoformat(),
        working_days=working, calendar_days=working + 2, limit_days=limit, within_limit=int(working <= limit),
        energized_on_completion=None if completed is None else int(completed == energized), phone="13800000000")


def make_index(store: Path, units: int, periods: int, projects: int, cases: int) -> int:
    rng = random.Random(1)
    connection = st.database(store)
    serial, made = 0, 0
    received = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    with st.write_lock(connection):
        for p in range(periods):
            start = FIRST + dt.timedelta(days=14 * p)
            end = start + dt.timedelta(days=13)
            for u in range(units):
                unit = f"测试{u:02d}供电分公司"
                seed = rng.random()

                def package(changed: bool, seed: float = seed, start: dt.date = start, serial: int = serial) -> tuple:
                    again = random.Random(seed)  # the same facts each time, but the one date changed
                    return ([facts(again, serial + n, start, changed and n == 0) for n in range(cases)],
                            [project(again, serial + n, start, changed and n == 0) for n in range(projects)])
                revisions = [package(False)]
                if rng.random() < 0.2:  # sent again with a changed date
                    revisions.append(package(True))
                for number, (listed, rows) in enumerate(revisions, start=1):
                    sha = f"{made:064x}"
                    incoming = st.Incoming(unit, start.isoformat(), end.isoformat(), sha, 1, "", "bench", listed,
                                           rows, st.LEDGER_FROM_UNIT)
                    path = store / st.PACKAGES / unit / f"{start}_{end}" / f"r{number}-{sha[:12]}.zip"
                    when = received + dt.timedelta(days=14 * p + 14 + rng.randrange(6), hours=u)
                    st.record(connection, store, path, number, incoming, when.isoformat())
                    made += 1
                serial += max(cases, projects)
    connection.close()
    return made


def timed(*args: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "casegen", *args], check=False, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=40)
    parser.add_argument("--periods", type=int, default=26)
    parser.add_argument("--projects", type=int, default=100)
    parser.add_argument("--cases", type=int, default=25)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store, out = Path(tmp) / "store", Path(tmp)
        start = time.perf_counter()
        packages = make_index(store, args.units, args.periods, args.projects, args.cases)
        print(f"index of {args.units} units × {args.periods} fortnights × {args.projects} projects and {args.cases} "
              f"typical cases: {packages} packages "
              f"(made in {time.perf_counter() - start:.1f} s)")
        outputs = ["-o", str(out / "t.docx"), "--html", str(out / "t.html"), "--xlsx", str(out / "t.xlsx")]
        month = timed("bulletin", str(store), "--from", "2025-06-09", "--to", "2025-07-06", *outputs)
        print(f"bulletin for four weeks: {month:.2f} s = {month / PERIOD_S:.2f} × the {PERIOD_S:.0f} s target")
        year = timed("bulletin", str(store), "--from", "2025-01-06", "--to", "2026-01-04", *outputs)
        print(f"bulletin for a year: {year:.2f} s = {year / YEAR_S:.2f} × the {YEAR_S:.0f} s target")
        sample = timed("callbacks", "sample", str(store), "--from", "2025-01-06", "--to", "2026-01-04",
                       "-n", "200", "-o", str(out / "s.xlsx"))
        print(f"callback sample of 200 over a year: {sample:.2f} s")


if __name__ == "__main__":
    main()
