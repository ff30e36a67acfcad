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
from casegen.company import calls
from casegen.company import store as st
from casegen.company.bulletin import StoredCase, StoredProject
from casegen.inputs.callsheet import read_call_sheet
from casegen.outputs.callsheet import CallRow, stated_cost, stated_days, write_call_sheet
from casegen.service.store import EVER, open_store, whole_period

Called = StoredCase | StoredProject


def population(connection: sqlite3.Connection, period: Period) -> list[Called]:
    """What may be called: every project of the units' 附件2 (全口径) accepted in `period`,
    stated as its typical case states it where it has one, and the typical cases without a row."""
    cases = figures.stored_cases(connection, period)
    by_account = {(c.unit, c.account): c for c in cases if c.account}
    found: list[Called] = []
    seen = set()
    for project in figures.stored_projects(connection, period):
        found.append(by_account.get((project.unit, project.account), project))
        seen.add((project.unit, project.account))
    return found + [c for c in cases if (c.unit, c.account) not in seen]


def _row(item: Called) -> CallRow:
    if isinstance(item, StoredProject):
        steps = (f"申请签约（{item.accepted or '?'}），装表接电（{item.energized or '未送电'}）"
                 if item.accepted else "")
        cost = stated_cost(None, funding=item.funding, has_works=item.kind != "无外线")
    else:
        steps = item.customer_steps or ""
        cost = stated_cost(item.customer_cost_yuan, funding=item.funding, has_works=item.kind != "无外线")
    return CallRow(item.unit, item.customer, item.account or "", item.phone or "", steps,
                   stated_days(item.working_days, item.limit_days), cost)


def stated_of(item: Called) -> list[str]:
    """What the unit reported of a project, as the call sheet states it: steps, days, payment."""
    row = _row(item)
    return [row.steps or "环节未写明", row.days, f"客户出资 {row.cost}"]


@dataclass
class Sampled:
    target: Path
    rows: list[CallRow]
    units: dict[str, int]  # unit → calls drawn
    population: dict[str, int]  # unit → projects it has in the period


def callbacks_sample(store: Path, period: Period, n: int, target: Path, *, seed: int = 0) -> Sampled:
    """`casegen callbacks sample`: `n` projects of the period to call (every project of the 附件2,
    全口径), spread over the units (each unit with projects at least one), the same for the same
    seed; written as a call sheet stating what the unit reported."""
    period = whole_period(period)
    if n < 1:
        raise UsageError(f"-n 应为正整数，实际为 {n}")
    connection = open_store(store)
    try:
        items = population(connection, period)
    finally:
        connection.close()
    drawn = calls.sample(items, n, seed)
    rows = [_row(item) for item in drawn]
    counts: dict[str, int] = {}
    for item in items:
        counts[item.unit] = counts.get(item.unit, 0) + 1
    units: dict[str, int] = {}
    for item in drawn:
        units[item.unit] = units.get(item.unit, 0) + 1
    notes = [f"监督回访清单：{period}（按受理日期），从各单位附件2 的 {len(items)} 个项目（全口径）中"
             f"抽取 {len(rows)} 户，随机种子 {seed}。",
             "抽样按供电单位分层：有项目的单位每个至少一户，其余按各单位项目数的比例分配；同一收存库、期间、户数和种子，"
             "抽到的总是同样的项目。有典型案例的项目，所报的环节、周期和出资按典型案例写。",
             "回访后填写黄色表头的各列：回访日期（YYYY-MM-DD）、回访人、三项是否认可（是/否），客户不认可时必须记下客户原话。",
             "填好后用 casegen callbacks record 收存库 本表.xlsx 收回；没有填写结果的行视为尚未回访。"]
    write_call_sheet(rows, target, notes=notes)
    return Sampled(target, rows, units, counts)


@dataclass
class Recorded:
    sheet: Path
    recorded: int  # rows recorded now (a row read before replaces its earlier record)
    new: int  # calls not recorded before
    pending: int  # rows not yet filled
    problems: list[str] = field(default_factory=list)
    disagreements: list[tuple[calls.Answer, Called | None]] = field(default_factory=list)


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
    known: dict[tuple[str, str], Called] = {}
    for item in population(connection, EVER):
        known.setdefault((item.unit, item.account or ""), item)
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
