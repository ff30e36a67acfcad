"""监督回访 (notice 四（二）3: “加强监督回访频次…确保数据核查回访结果准确”): a reproducible
sample of the store's cases to call, and the filled call sheet's rows checked and recorded.

The sample is stratified over the units: each unit with cases in the period gets at least one
call, the rest of `n` is shared in proportion to the units' case counts (largest remainders),
and within a unit the cases are drawn by a generator seeded with `seed` from the cases in 户号
order, so the same store, period, n and seed always give the same sheet.
"""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
from dataclasses import dataclass

from casegen.company.bulletin import Callback, StoredCase, StoredProject

YES, NO = "是", "否"
POINTS = (("steps", "环节"), ("time", "时间"), ("cost", "成本"))


def allocation(counts: dict[str, int], n: int) -> dict[str, int]:
    """How many calls each unit gets: one each first (for units with cases), the rest in
    proportion to their cases, never more than a unit has."""
    having = {unit: count for unit, count in counts.items() if count > 0}
    given = {unit: min(1, count) for unit, count in having.items()}
    left = n - sum(given.values())
    total = sum(having.values())
    if left > 0 and total:
        shares = {unit: left * count / total for unit, count in having.items()}
        for unit in having:
            given[unit] = min(having[unit], given[unit] + int(shares[unit]))
        order = sorted(having, key=lambda u: (-(shares[u] - int(shares[u])), u))
        while sum(given.values()) < min(n, total):
            room = [u for u in order if given[u] < having[u]]
            if not room:
                break
            for unit in room:
                if sum(given.values()) >= min(n, total):
                    break
                given[unit] += 1
    return given


def sample(cases: list[StoredCase | StoredProject], n: int, seed: int) -> list[StoredCase | StoredProject]:
    """The projects (or typical cases) to call, by unit then 户号."""
    by_unit: dict[str, list[StoredCase | StoredProject]] = {}
    for case in cases:
        if case.account:  # a case without 户号 cannot be matched when the sheet comes back
            by_unit.setdefault(case.unit, []).append(case)
    quota = allocation({unit: len(found) for unit, found in by_unit.items()}, n)
    drawn = []
    for unit in sorted(by_unit):
        pool = sorted(by_unit[unit], key=lambda c: c.account or "")
        chosen = random.Random(f"{seed}:{unit}").sample(pool, quota.get(unit, 0))
        drawn += sorted(chosen, key=lambda c: c.account or "")
    return drawn


@dataclass(frozen=True)
class SheetRow:
    """A row of a filled call sheet as read: its number and its cells by header."""

    number: int
    cells: dict[str, object]


@dataclass(frozen=True)
class Answer(Callback):
    """A checked result row, ready to record: the call, and the sheet row it came from."""

    number: int = 0


UNIT, ACCOUNT, CALLED, CALLER, WORDS = "供电单位", "户号", "回访日期", "回访人", "客户原话"
AGREED = {"steps": "认可环节（是/否）", "time": "认可时间（是/否）", "cost": "认可成本（是/否）"}
RESULT_COLUMNS = (CALLED, CALLER, *AGREED.values(), WORDS)


def _text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a 户号 Excel turned into a number
    return "" if value is None else str(value).strip()


def _day(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(_text(value))
    except ValueError:
        return None


def check_rows(rows: list[SheetRow], known: set[tuple[str, str]], *,
               today: dt.date) -> tuple[list[Answer], list[str], int]:
    """(rows to record, a Chinese problem per bad row, rows not yet filled). A bad row never
    stops the others; a second row for the same unit and 户号 is refused."""
    answers, problems, pending, seen = [], [], 0, set()
    for row in rows:
        where = f"第 {row.number} 行"
        formulas = [header for header, value in row.cells.items() if isinstance(value, str)
                    and value.startswith("=")]
        if formulas:
            problems.append(f"{where}：{'、'.join(formulas)} 是公式，回访结果只接受填写的值")
            continue
        if not any(_text(row.cells.get(column)) for column in RESULT_COLUMNS):
            pending += 1
            continue
        unit, account = _text(row.cells.get(UNIT)), _text(row.cells.get(ACCOUNT))
        if (unit, account) not in known:
            problems.append(f"{where}：收存库中没有 {unit or '（未填单位）'} 户号 {account or '（未填）'} 的案例")
            continue
        if (unit, account) in seen:
            problems.append(f"{where}：{unit} 户号 {account} 在表中重复，只记录第一行")
            continue
        seen.add((unit, account))
        told = _answer(row, unit, account, today)
        if isinstance(told, str):
            problems.append(f"{where}：{told}")
        else:
            answers.append(told)
    return answers, problems, pending


def _answer(row: SheetRow, unit: str, account: str, today: dt.date) -> Answer | str:
    """The row's answer, or every problem it has, said together."""
    problems = []
    called = _day(row.cells.get(CALLED))
    if called is None:
        problems.append(f"{CALLED}应为日期（如 2025-06-03），实际为 {_text(row.cells.get(CALLED)) or '空'}")
    elif called > today:
        problems.append(f"{CALLED} {called} 晚于今天")
    caller = _text(row.cells.get(CALLER))
    if not caller:
        problems.append(f"请填写{CALLER}")
    agreed = {}
    for key, header in AGREED.items():
        value = _text(row.cells.get(header))
        if value not in (YES, NO):
            problems.append(f"{header}应填“是”或“否”，实际为 {value or '空'}")
        agreed[key] = value == YES
    words = _text(row.cells.get(WORDS)) or None
    if any(_text(row.cells.get(h)) == NO for h in AGREED.values()) and not words:
        problems.append(f"客户不认可时须记下{WORDS}（不可编造）")
    if problems or called is None:
        return "；".join(problems)
    return Answer(unit, account, called, caller, agreed["steps"], agreed["time"], agreed["cost"], words,
                  number=row.number)


def record(connection: sqlite3.Connection, answers: list[Answer], sheet: str) -> int:
    """Write the answers (inside the caller's transaction); a call recorded before for the
    same unit, 户号 and day is replaced, so reading a sheet again adds nothing. Returns the
    number of calls that were not recorded before."""
    new = 0
    for answer in answers:
        before = connection.execute("SELECT 1 FROM callbacks WHERE unit = ? AND account = ? AND called = ?",
                                    (answer.unit, answer.account, answer.called.isoformat())).fetchone()
        new += before is None
        connection.execute(
            "INSERT OR REPLACE INTO callbacks (unit, account, called, caller, steps, time, cost, words, sheet, row)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (answer.unit, answer.account, answer.called.isoformat(), answer.caller, int(answer.steps),
             int(answer.time), int(answer.cost), answer.words, sheet, answer.number))
    return new
