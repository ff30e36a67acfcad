"""监督回访 as actions: a sample of the store's cases to call, the filled call sheet read back
into the store (kept whole there), and the kept sheets read again after a rebuild."""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from casegen.base.errors import UsageError
from casegen.base.period import Period
from casegen.company import bulletin as figures
from casegen.company import callbacks as calls
from casegen.company import store as st
from casegen.outputs.callsheet import CallRow, read_call_sheet, stated_cost, stated_days, write_call_sheet
from casegen.service.store import EVER, open_store, whole_period


@dataclass
class Sampled:
    target: Path
    rows: list[CallRow]
    units: dict[str, int]  # unit → calls drawn
    population: dict[str, int]  # unit → cases it has in the period


def callbacks_sample(store: Path, period: Period, n: int, target: Path, *, seed: int = 0) -> Sampled:
    """`casegen callbacks sample`: `n` cases of the period to call, spread over the units
    (each unit with cases at least one), the same for the same seed; written as a call sheet."""
    period = whole_period(period)
    if n < 1:
        raise UsageError(f"-n 应为正整数，实际为 {n}")
    connection = open_store(store)
    try:
        cases = figures.stored_cases(connection, period)
    finally:
        connection.close()
    drawn = calls.sample(cases, n, seed)
    rows = [CallRow(case.unit, case.customer, case.account or "", case.phone or "", case.customer_steps or "",
                    stated_days(case.working_days, case.limit_days), stated_cost(case.customer_cost_yuan))
            for case in drawn]
    population: dict[str, int] = {}
    for case in cases:
        population[case.unit] = population.get(case.unit, 0) + 1
    units: dict[str, int] = {}
    for case in drawn:
        units[case.unit] = units.get(case.unit, 0) + 1
    notes = [f"监督回访清单：{period}（按受理日期），从 {len(cases)} 个案例中抽取 {len(rows)} 户，随机种子 {seed}。",
             "抽样按供电单位分层：有案例的单位每个至少一户，其余按各单位案例数的比例分配；同一收存库、期间、户数和种子，"
             "抽到的总是同样的案例。",
             "回访后填写黄色表头的各列：回访日期（YYYY-MM-DD）、回访人、三项是否认可（是/否），客户不认可时必须记下客户原话。",
             "填好后用 casegen callbacks record 收存库 本表.xlsx 收回；没有填写结果的行视为尚未回访。"]
    write_call_sheet(rows, target, notes=notes)
    return Sampled(target, rows, units, population)


@dataclass
class Recorded:
    sheet: Path
    recorded: int  # rows recorded now (a row read before replaces its earlier record)
    new: int  # calls not recorded before
    pending: int  # rows not yet filled
    problems: list[str] = field(default_factory=list)
    disagreements: list[tuple[calls.Answer, figures.StoredCase | None]] = field(default_factory=list)


def callbacks_record(store: Path, sheet: Path, *, today: dt.date | None = None) -> Recorded:
    """`casegen callbacks record`: the filled call sheet read back into the store. Each bad row
    is reported with its row number and never stops the others; reading a sheet again adds
    nothing. The sheet is kept whole in the store."""
    try:
        data = sheet.read_bytes()
    except OSError as e:
        raise UsageError(f"无法读取回访清单 {sheet}：{e.strerror or e}") from None
    try:
        rows = [calls.SheetRow(number, cells) for number, cells in read_call_sheet(sheet)]
    except ValueError as e:
        raise UsageError(f"无法读取回访清单 {sheet}：{e}") from None
    connection = open_store(store)
    try:
        with st.write_lock(connection):
            result = _record(connection, store, rows, data, sheet, today or dt.datetime.now(figures.BEIJING).date())
    finally:
        connection.close()
    return result


def _record(connection: sqlite3.Connection, store: Path, rows: list[calls.SheetRow], data: bytes, sheet: Path,
            today: dt.date) -> Recorded:
    known = {case.key: case for case in figures.stored_cases(connection, EVER)}
    answers, problems, pending = calls.check_rows(rows, set(known), today=today)
    sha256 = hashlib.sha256(data).hexdigest()
    if answers:
        kept = st.keep_sheet(store, data, sha256)
        new = calls.record(connection, answers, kept.name)
    else:
        new = 0
    disagreements = [(a, known.get((a.unit, a.account))) for a in answers if a.disagrees]
    return Recorded(sheet, len(answers), new, pending, problems, disagreements)


def replay_sheets(connection: sqlite3.Connection, store: Path) -> int:
    """After a rebuild: the kept call sheets recorded again, in the order they came."""
    replayed = 0
    for path in st.sheet_files(store):
        try:
            rows = [calls.SheetRow(number, cells) for number, cells in read_call_sheet(path)]
        except ValueError:
            continue
        recorded_on = dt.datetime.fromtimestamp(path.stat().st_mtime, figures.BEIJING).date()
        _record(connection, store, rows, path.read_bytes(), path, recorded_on)  # as judged that day
        replayed += 1
    return replayed
