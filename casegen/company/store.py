"""The company store: received packages kept whole, and an SQLite index of them.

    STORE/packages/<供电单位>/<from>_<to>/r<N>-<sha256 前 12 位>.zip   never modified or overwritten
    STORE/store.sqlite                                                 the index; rebuilt by reindex
    STORE/facts/<sha256>.json                                          what casegen read of each package
    STORE/callbacks/<sha256>.xlsx                                      filled call sheets, kept whole

A package file's modification time is its received time (set when it is kept), so the index —
units, periods, revisions, cases, evidence digests and change records — can always be rebuilt
from the packages alone, in the order they were received. Reading a package's 25 cases again
(photos decoded, rules run) takes half a second; what casegen read of it when it was received
is kept beside it in facts/, under the SHA-256 of the package and a key naming what else the
reading depended on (casegen's version, the calendar, the holidays library), so a rebuild with
the same casegen only verifies each package and takes that record. A missing or stale record is
read again from the package; `reindex --full` reads every package again.

Keeping a package: the caller has copied it to a temporary name in the store and verified and
read that copy. Under the database's write lock (BEGIN IMMEDIATE) the rows are written, the copy
is linked to its final name (never over an existing file), and the transaction committed. A
kill before the link leaves the store as it was (a stray temporary, or the scratch folder the
cases were unpacked into, removed by the next receive or rebuild); a kill between the link and
the commit leaves a package without rows, which the next receive indexes (`unrecorded`) before
anything else — it was verified in full before the link.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from casegen.base.errors import UsageError
from casegen.base.writing import TEMPORARY_PREFIX, remove_abandoned, write_bytes, write_text

DATABASE, PACKAGES, FACTS, SHEETS = "store.sqlite", "packages", "facts", "callbacks"
SCHEMA_VERSION = 2  # PRAGMA user_version: an index of another version is rebuilt, never read
BUSY_SECONDS = 120
REVISION = re.compile(r"^r(\d+)-([0-9a-f]{12})\.zip$")
PERIOD = re.compile(r"^(\d{4}-\d{2}-\d{2})_(\d{4}-\d{2}-\d{2})$")
CLASSES = ("数据错误", "适用范围", "服务目标", "实证材料", "提示")
LEDGER_FROM_UNIT, LEDGER_FROM_CASES = "单位的附件2", "由典型案例生成"

SCHEMA = """
CREATE TABLE IF NOT EXISTS units (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS periods (
    id INTEGER PRIMARY KEY, unit_id INTEGER NOT NULL REFERENCES units(id),
    start TEXT NOT NULL, end TEXT NOT NULL, UNIQUE (unit_id, start, end));
CREATE TABLE IF NOT EXISTS revisions (
    id INTEGER PRIMARY KEY, period_id INTEGER NOT NULL REFERENCES periods(id), number INTEGER NOT NULL,
    path TEXT NOT NULL UNIQUE, sha256 TEXT NOT NULL UNIQUE, size INTEGER NOT NULL,
    received TEXT NOT NULL, made TEXT NOT NULL, casegen TEXT NOT NULL, ledger TEXT NOT NULL, ledger_problem TEXT,
    previous_id INTEGER REFERENCES revisions(id), UNIQUE (period_id, number));
CREATE TABLE IF NOT EXISTS cases (
    id INTEGER PRIMARY KEY, revision_id INTEGER NOT NULL REFERENCES revisions(id),
    folder TEXT NOT NULL, case_file TEXT NOT NULL, account TEXT, customer TEXT, company TEXT, kind TEXT,
    business_type TEXT, capacity_kw REAL, accepted TEXT, surveyed TEXT, works_started TEXT, completed TEXT,
    energized TEXT, working_days INTEGER, calendar_days INTEGER, limit_days INTEGER, within_limit INTEGER,
    energized_on_completion INTEGER, cost_wan REAL, customer_cost_yuan REAL, funding TEXT, permit_by TEXT,
    contacts INTEGER, phone TEXT, customer_steps TEXT, words_steps TEXT, words_time TEXT, words_cost TEXT,
    callback TEXT, missed TEXT, digest TEXT, evidence_complete INTEGER, wrong INTEGER, problems TEXT,
    ledger_row INTEGER, ledger_problems TEXT,
    数据错误 INTEGER NOT NULL, 适用范围 INTEGER NOT NULL, 服务目标 INTEGER NOT NULL,
    实证材料 INTEGER NOT NULL, 提示 INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS projects (
    id INTEGER PRIMARY KEY, revision_id INTEGER NOT NULL REFERENCES revisions(id), row INTEGER NOT NULL,
    account TEXT NOT NULL, customer TEXT NOT NULL, company TEXT, station TEXT, phone TEXT, business_type TEXT,
    works_class TEXT, funding TEXT, cost_wan REAL, capacity_kw REAL, accepted TEXT, works_started TEXT,
    completed TEXT, energized TEXT, kind TEXT, kind_known_by TEXT, working_days INTEGER, calendar_days INTEGER,
    limit_days INTEGER, within_limit INTEGER, energized_on_completion INTEGER, overdue_days INTEGER,
    problems TEXT NOT NULL, wrong INTEGER NOT NULL, case_folder TEXT);
CREATE TABLE IF NOT EXISTS evidence (
    id INTEGER PRIMARY KEY, case_id INTEGER NOT NULL REFERENCES cases(id),
    path TEXT NOT NULL, sha256 TEXT NOT NULL, size INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS changes (
    id INTEGER PRIMARY KEY, revision_id INTEGER NOT NULL REFERENCES revisions(id),
    previous_id INTEGER REFERENCES revisions(id), item TEXT NOT NULL, account TEXT, folder TEXT,
    change TEXT NOT NULL, field TEXT, old TEXT, new TEXT, flagged INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS callbacks (
    id INTEGER PRIMARY KEY, unit TEXT NOT NULL, account TEXT NOT NULL, called TEXT NOT NULL, caller TEXT NOT NULL,
    steps INTEGER NOT NULL, time INTEGER NOT NULL, cost INTEGER NOT NULL, words TEXT,
    sheet TEXT NOT NULL, row INTEGER NOT NULL, UNIQUE (unit, account, called));
CREATE INDEX IF NOT EXISTS cases_revision ON cases (revision_id);
CREATE INDEX IF NOT EXISTS projects_revision ON projects (revision_id);
CREATE INDEX IF NOT EXISTS projects_accepted ON projects (accepted);
CREATE INDEX IF NOT EXISTS evidence_case ON evidence (case_id);
CREATE INDEX IF NOT EXISTS changes_revision ON changes (revision_id);
"""
TABLES = ("callbacks", "changes", "evidence", "projects", "cases", "revisions", "periods", "units")

# the facts compared between packages: column → Chinese name; those a true history never
# changes are flagged 须核查 (dates, costs, 户号, capacity, the customer's words: company.bulletin)
FIELDS = {
    "account": "户号", "customer": "户名", "kind": "工程类别", "business_type": "业务类型",
    "capacity_kw": "申请容量（千瓦）", "accepted": "受理日期", "surveyed": "勘查日期", "works_started": "施工开始日期",
    "completed": "竣工日期", "energized": "装表接电日期", "working_days": "接电周期（工作日）",
    "limit_days": "时限（天）", "cost_wan": "工程费用（万元）", "customer_cost_yuan": "客户出资（元）",
    "funding": "工程资金来源", "permit_by": "行政审批办理方", "contacts": "交互次数",
    "words_steps": "客户原话（环节）", "words_time": "客户原话（时间）", "words_cost": "客户原话（成本）",
    "callback": "单位回访记录", "数据错误": "数据错误", "适用范围": "适用范围", "服务目标": "服务目标",
    "实证材料": "实证材料", "提示": "提示",
}
FLAGGED = {"account", "accepted", "surveyed", "works_started", "completed", "energized", "cost_wan",
           "customer_cost_yuan", "capacity_kw", "funding", "words_steps", "words_time", "words_cost", "callback"}
PROJECT_FIELDS = {
    "customer": "户名", "kind": "工程类别", "capacity_kw": "容量（kVA）", "accepted": "业务受理时间",
    "works_started": "工程实施时间", "completed": "工程竣工时间", "energized": "装表送电时间",
    "cost_wan": "工程金额（万元）", "funding": "工程资金来源",
}
# a date filled in later (a project energized since the last package) is progress, not a change
PROJECT_FLAGGED = {"capacity_kw", "accepted", "works_started", "completed", "energized", "cost_wan", "funding"}
NEW, WITHDRAWN, CHANGED = "新增案例", "撤回案例", "修改"
NEW_PROJECT, WITHDRAWN_PROJECT = "新增项目", "撤回项目"
REPLACED, REMOVED, ADDED = "实证材料替换", "实证材料删除", "实证材料新增"
CASE, PROJECT = "典型案例", "附件2 项目"


@dataclass(frozen=True)
class CaseFacts:
    """One typical case of a package as casegen itself read it (never as the manifest says):
    its identity, and what the typed case states (`case.record`); None where the case did not
    pass the contract."""

    folder: str
    case_file: str
    account: str | None
    customer: str
    company: str
    digest: str
    counts: dict[str, int]
    kind: str | None = None
    business_type: str | None = None
    capacity_kw: float | None = None
    accepted: str | None = None
    surveyed: str | None = None
    works_started: str | None = None
    completed: str | None = None
    energized: str | None = None
    working_days: int | None = None
    calendar_days: int | None = None
    limit_days: int | None = None
    within_limit: int | None = None
    energized_on_completion: int | None = None
    cost_wan: float | None = None
    customer_cost_yuan: float | None = None
    funding: str | None = None
    permit_by: str | None = None
    contacts: int | None = None
    phone: str | None = None  # for the company's callbacks
    customer_steps: str | None = None  # what the case states of the customer's steps, with dates
    words_steps: str | None = None  # the customer's own words
    words_time: str | None = None
    words_cost: str | None = None
    callback: str | None = None  # the unit's own callback as the case records it (JSON), if any
    missed: str = "[]"  # JSON: the rule ids of the service targets missed
    evidence_complete: int | None = None  # 1: no 实证材料 finding that fails `check`
    wrong: int | None = None  # 1: a data or scope error
    problems: str = "[]"  # JSON: [rule, message] of its data and scope errors
    ledger_row: int | None = None  # its row in the package's 附件2
    ledger_problems: str = "[]"  # JSON: [rule, message] of the case against the 附件2
    evidence: tuple[tuple[str, str, int], ...] = ()  # (path in the case folder, sha256, size)

    def value(self, name: str):
        return self.counts.get(name, 0) if name in CLASSES else getattr(self, name)


@dataclass(frozen=True)
class ProjectFacts:
    """One row of a package's 附件2 (every project of the unit, 全口径), typed and counted."""

    row: int
    account: str
    customer: str
    company: str | None = None
    station: str | None = None
    phone: str | None = None
    business_type: str | None = None
    works_class: str | None = None
    funding: str | None = None
    cost_wan: float | None = None
    capacity_kw: float | None = None
    accepted: str | None = None
    works_started: str | None = None
    completed: str | None = None
    energized: str | None = None
    kind: str | None = None
    kind_known_by: str | None = None
    working_days: int | None = None
    calendar_days: int | None = None
    limit_days: int | None = None
    within_limit: int | None = None
    energized_on_completion: int | None = None
    overdue_days: int | None = None  # not energized: working days past the limit at the period's end
    problems: str = "[]"  # JSON: [rule, message] of every finding on the row
    wrong: int = 0  # 1: a data or scope error on the row
    case_folder: str | None = None  # the typical case that is this row, if any

    @property
    def key(self) -> tuple[str, str, str]:
        return self.account, self.business_type or "", self.accepted or ""

    def value(self, name: str):
        return getattr(self, name)


@dataclass(frozen=True)
class Change:
    change: str
    account: str | None
    folder: str
    field: str | None = None
    old: str | None = None
    new: str | None = None
    flagged: bool = False
    item: str = CASE

    @property
    def label(self) -> str | None:
        if not self.field:
            return None
        names = PROJECT_FIELDS if self.item == PROJECT else FIELDS
        return names.get(self.field, self.field)


@dataclass
class Kept:
    """A package kept: where, which revision, and what changed since the unit's previous one."""

    path: Path
    unit: str
    start: str
    end: str
    number: int
    previous: str | None  # the previous package's path in the store, when there is one
    changes: list[Change] = field(default_factory=list)


def database(store: Path, *, rebuild: bool = False) -> sqlite3.Connection:
    """The store's index (created when missing), in autocommit mode: transactions are explicit.
    An index made by another version of casegen is refused (UsageError) unless `rebuild`, which
    empties it for a reindex."""
    store.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(store / DATABASE, timeout=BUSY_SECONDS, isolation_level=None)
    connection.execute(f"PRAGMA busy_timeout = {BUSY_SECONDS * 1000}")
    connection.execute("PRAGMA foreign_keys = ON")
    try:
        _schema(connection, rebuild=rebuild)
    except UsageError as e:
        connection.close()
        raise UsageError(f"收存库 {store} {e}") from None
    return connection


def _schema(connection: sqlite3.Connection, *, rebuild: bool) -> None:
    with write_lock(connection):  # two first receives at once: one makes the tables, the other sees them made
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        existing = connection.execute("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
        if existing and version != SCHEMA_VERSION and not rebuild:
            raise UsageError(f"的索引是另一版本的 casegen 建立的（格式 {version}，本程序为 {SCHEMA_VERSION}）："
                             "请运行 casegen receive --store 收存库 --reindex 重建（包都保留）")
        if existing and version != SCHEMA_VERSION:
            for table in TABLES:
                connection.execute(f"DROP TABLE IF EXISTS {table}")
        for statement in SCHEMA.split(";"):  # executescript would commit the lock away
            if statement.strip():
                connection.execute(statement)
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def open_index(store: Path, *, rebuild: bool = False) -> sqlite3.Connection:
    """The index of an existing store, or UsageError in Chinese when it cannot be used (with
    `rebuild`, an index of another version is emptied instead)."""
    try:
        connection = database(store, rebuild=rebuild)
        connection.execute("SELECT COUNT(*) FROM revisions").fetchone()
        return connection
    except sqlite3.Error as e:
        raise UsageError(f"无法打开收存库 {store}：索引 {DATABASE} 已损坏或不是收存库的索引（{e}）；"
                         "可删除它后用 casegen receive --store … --reindex 重建") from None


@contextmanager
def write_lock(connection: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One transaction holding the store's write lock: committed on success, rolled back otherwise."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield connection
        connection.execute("COMMIT")
    except BaseException:  # a failed COMMIT (a full disk) is rolled back too
        with contextlib.suppress(sqlite3.Error):
            connection.execute("ROLLBACK")
        raise


def clean_strays(store: Path) -> list[Path]:
    """Temporary copies and scratch folders left by a receive that was killed (its process
    gone); removed."""
    return remove_abandoned([store]) if store.is_dir() else []


def scratch_folder(store: Path) -> Path:
    """Where a receive unpacks a package's cases to read them: in the store, never the system's
    temporary folder, so that the scratch of a killed receive is found and removed by the next."""
    store.mkdir(parents=True, exist_ok=True)
    return store


def temporary_copy(store: Path, sha256: str) -> Path:
    """The name a package is copied to in the store before it is verified and kept."""
    return store / f"{TEMPORARY_PREFIX}incoming-{sha256[:12]}.{os.getpid()}.tmp.zip"


def package_files(store: Path) -> list[Path]:
    """Every kept package, in the order received (file time, then name)."""
    root = store / PACKAGES
    found = [p for p in root.glob("*/*/*.zip") if REVISION.match(p.name) and PERIOD.match(p.parent.name)
             and p.is_file() and not p.is_symlink()] if root.is_dir() else []
    return sorted(found, key=lambda p: (p.stat().st_mtime_ns, p.relative_to(root).as_posix()))


def relative(store: Path, path: Path) -> str:
    return path.relative_to(store).as_posix()


def recorded(connection: sqlite3.Connection, sha256: str) -> str | None:
    """The store path of the package with this SHA-256, when it was already received."""
    row = connection.execute("SELECT path FROM revisions WHERE sha256 = ?", (sha256,)).fetchone()
    return row[0] if row else None


def unrecorded(connection: sqlite3.Connection, store: Path) -> list[Path]:
    """Packages in the store without rows (a receive killed between the link and the commit)."""
    known = {row[0] for row in connection.execute("SELECT path FROM revisions")}
    return [p for p in package_files(store) if relative(store, p) not in known]


def received_time(path: Path) -> str:
    return dt.datetime.fromtimestamp(path.stat().st_mtime_ns // 1000 / 1e6, dt.UTC).isoformat(timespec="microseconds")


def _id(connection, table: str, where: dict) -> int:
    keys = " AND ".join(f"{k} = ?" for k in where)
    row = connection.execute(f"SELECT id FROM {table} WHERE {keys}", tuple(where.values())).fetchone()
    if row:
        return row[0]
    columns = ", ".join(where)
    marks = ", ".join("?" for _ in where)
    return connection.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks})", tuple(where.values())).lastrowid


def _previous(connection, unit_id: int, period_id: int, start: str) -> int | None:
    """The unit's previous package: the latest revision of this period, else of its latest earlier period."""
    row = connection.execute("SELECT id FROM revisions WHERE period_id = ? ORDER BY number DESC LIMIT 1",
                             (period_id,)).fetchone()
    if row:
        return row[0]
    row = connection.execute(
        "SELECT r.id FROM revisions r JOIN periods p ON r.period_id = p.id WHERE p.unit_id = ? AND p.start < ?"
        " ORDER BY p.start DESC, p.end DESC, r.number DESC LIMIT 1", (unit_id, start)).fetchone()
    return row[0] if row else None


CASE_COLUMNS = tuple(f.name for f in fields(CaseFacts) if f.name not in ("counts", "evidence")) + CLASSES
PROJECT_COLUMNS = tuple(f.name for f in fields(ProjectFacts))


def cases_of(connection, revision_id: int) -> list[CaseFacts]:
    rows = connection.execute(f"SELECT id, {', '.join(CASE_COLUMNS)} FROM cases WHERE revision_id = ? ORDER BY id",
                              (revision_id,)).fetchall()
    found = []
    for row in rows:
        values = dict(zip(CASE_COLUMNS, row[1:], strict=True))
        counts = {name: values.pop(name) for name in CLASSES}
        evidence = tuple(connection.execute("SELECT path, sha256, size FROM evidence WHERE case_id = ? ORDER BY path",
                                            (row[0],)).fetchall())
        found.append(CaseFacts(**values, counts=counts, evidence=evidence))
    return found


def projects_of(connection, revision_id: int) -> list[ProjectFacts]:
    rows = connection.execute(f"SELECT {', '.join(PROJECT_COLUMNS)} FROM projects WHERE revision_id = ? ORDER BY row",
                              (revision_id,)).fetchall()
    return [ProjectFacts(**dict(zip(PROJECT_COLUMNS, row, strict=True))) for row in rows]


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def callback_text(value: str | None) -> str | None:
    """A unit's callback record (JSON) as a person reads it: date, who, and each point."""
    if not value:
        return None
    try:
        record = json.loads(value)
        points = "；".join(f"{label}{'认可' if answer.get('confirmed') else '不认可'}"
                          + (f"（{answer['words']}）" if answer.get("words") else "")
                          for label, answer in record.get("points", {}).items())
        return f"{record.get('date')} {record.get('by')}（{record.get('channel')}）：{points or '未记各项'}"
    except (ValueError, AttributeError, TypeError):
        return value


def _shown(name: str, value) -> str | None:
    return callback_text(value) if name == "callback" else _text(value)


def _paired(old: list, new: list, keys) -> tuple[list[tuple], list, list]:
    """Items of two packages paired by the first of `keys` that matches (each key a function of
    an item; an empty key never matches); the unpaired old and new ones."""
    left, pairs, unmatched = list(old), [], list(new)
    for key in keys:
        still = []
        for item in unmatched:
            mine = key(item)
            before = next((c for c in left if mine and key(c) == mine), None) if mine else None
            if before is None:
                still.append(item)
            else:
                left.remove(before)
                pairs.append((before, item))
        unmatched = still
    return pairs, left, unmatched


def compare(old: list[CaseFacts], new: list[CaseFacts], *, same_period: bool) -> list[Change]:
    """What changed between two packages' typical cases. Cases are matched by 户号, and by
    folder when the 户号 changed. Across periods a case of the earlier period that is not in the
    new one belongs to its own period: only the same period's resubmission withdraws cases."""
    pairs, left, unmatched = _paired(old, new, (lambda c: c.account, lambda c: c.folder))
    changes = [Change(NEW, case.account, case.folder) for case in unmatched]
    if same_period:
        # a case reported and then taken back is for the 客服中心 to look at: a true history keeps it
        changes += [Change(WITHDRAWN, c.account, c.folder, flagged=True) for c in left]
    for before, case in pairs:
        for name in FIELDS:
            was, now = _shown(name, before.value(name)), _shown(name, case.value(name))
            if was != now:
                changes.append(Change(CHANGED, case.account, case.folder, name, was, now, name in FLAGGED))
        old_files = {path: sha for path, sha, _ in before.evidence}
        new_files = {path: sha for path, sha, _ in case.evidence}
        for path in sorted(old_files.keys() | new_files.keys()):
            if path not in new_files:
                changes.append(Change(REMOVED, case.account, case.folder, path, old_files[path], None, True))
            elif path not in old_files:
                changes.append(Change(ADDED, case.account, case.folder, path, None, new_files[path]))
            elif old_files[path] != new_files[path]:
                changes.append(Change(REPLACED, case.account, case.folder, path, old_files[path], new_files[path],
                                      True))
    return changes


def row_place(row: int) -> str:
    return f"附件2 第 {row} 行"


def compare_projects(old: list[ProjectFacts], new: list[ProjectFacts], *, same_period: bool) -> list[Change]:
    """What changed between two packages' 附件2 rows, matched as one project by 户号, business
    type and acceptance date, else by 户号 and business type (its date then changed). A date
    filled in since (a project energized) is progress: only a value that was there and is now
    different is flagged."""
    pairs, left, unmatched = _paired(old, new, (lambda p: p.key, lambda p: (p.account, p.business_type or "")
                                                if p.account else None))
    changes = [Change(NEW_PROJECT, p.account, row_place(p.row), item=PROJECT) for p in unmatched]
    if same_period:
        changes += [Change(WITHDRAWN_PROJECT, p.account, row_place(p.row), flagged=True, item=PROJECT) for p in left]
    for before, project in pairs:
        for name in PROJECT_FIELDS:
            was, now = _text(before.value(name)), _text(project.value(name))
            if was != now:
                flagged = name in PROJECT_FLAGGED and was is not None
                changes.append(Change(CHANGED, project.account, row_place(project.row), name, was, now, flagged,
                                      PROJECT))
    return changes


@dataclass(frozen=True)
class Incoming:
    """A verified package, read: what the store records of it."""

    unit: str
    start: str
    end: str
    sha256: str
    size: int
    made: str
    casegen: str
    cases: list[CaseFacts]
    projects: list[ProjectFacts] = field(default_factory=list)
    ledger: str = LEDGER_FROM_CASES  # where its 附件2 came from
    ledger_problem: str | None = None  # why its 附件2 could not be read at all


def next_path(connection, store: Path, incoming: Incoming) -> tuple[Path, int]:
    """Where the next revision of this unit and period goes, and its number (under the lock)."""
    row = connection.execute(
        "SELECT MAX(r.number) FROM revisions r JOIN periods p ON r.period_id = p.id JOIN units u ON p.unit_id = u.id"
        " WHERE u.name = ? AND p.start = ? AND p.end = ?", (incoming.unit, incoming.start, incoming.end)).fetchone()
    number = (row[0] or 0) + 1
    folder = store / PACKAGES / incoming.unit / f"{incoming.start}_{incoming.end}"
    while True:  # a file of a killed receive may hold the number: never overwrite, take the next
        path = folder / f"r{number}-{incoming.sha256[:12]}.zip"
        if not any(folder.glob(f"r{number}-*.zip")):
            return path, number
        number += 1


def record(connection, store: Path, path: Path, number: int, incoming: Incoming, received: str) -> Kept:
    """The rows of one package (inside the caller's transaction); what changed since the previous."""
    unit_id = _id(connection, "units", {"name": incoming.unit})
    period_id = _id(connection, "periods", {"unit_id": unit_id, "start": incoming.start, "end": incoming.end})
    previous_id = _previous(connection, unit_id, period_id, incoming.start)
    revision_id = connection.execute(
        "INSERT INTO revisions (period_id, number, path, sha256, size, received, made, casegen, ledger,"
        " ledger_problem, previous_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (period_id, number, relative(store, path), incoming.sha256, incoming.size, received, incoming.made,
         incoming.casegen, incoming.ledger, incoming.ledger_problem, previous_id)).lastrowid
    for case in incoming.cases:
        values = [case.value(name) for name in CASE_COLUMNS]
        case_id = connection.execute(
            f"INSERT INTO cases (revision_id, {', '.join(CASE_COLUMNS)}) VALUES (?{', ?' * len(CASE_COLUMNS)})",
            (revision_id, *values)).lastrowid
        connection.executemany("INSERT INTO evidence (case_id, path, sha256, size) VALUES (?, ?, ?, ?)",
                               [(case_id, *item) for item in case.evidence])
    connection.executemany(
        f"INSERT INTO projects (revision_id, {', '.join(PROJECT_COLUMNS)}) VALUES (?{', ?' * len(PROJECT_COLUMNS)})",
        [(revision_id, *(project.value(name) for name in PROJECT_COLUMNS)) for project in incoming.projects])
    changes, previous_path = [], None
    if previous_id is not None:
        previous_path, previous_period = connection.execute(
            "SELECT path, period_id FROM revisions WHERE id = ?", (previous_id,)).fetchone()
        same = previous_period == period_id
        changes = (compare(cases_of(connection, previous_id), incoming.cases, same_period=same)
                   + compare_projects(projects_of(connection, previous_id), incoming.projects, same_period=same))
        connection.executemany(
            "INSERT INTO changes (revision_id, previous_id, item, account, folder, change, field, old, new, flagged)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(revision_id, previous_id, c.item, c.account, c.folder, c.change, c.field, c.old, c.new, int(c.flagged))
             for c in changes])
    return Kept(path, incoming.unit, incoming.start, incoming.end, number, previous_path, changes)


def place(temporary: Path, path: Path, received_ns: int) -> None:
    """The verified copy given its final name, never over an existing file; its time is the received time."""
    os.utime(temporary, ns=(received_ns, received_ns))
    path.parent.mkdir(parents=True, exist_ok=True)
    os.link(temporary, path)  # FileExistsError rather than overwrite
    temporary.unlink()
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def clear(connection) -> None:
    for table in TABLES:
        connection.execute(f"DELETE FROM {table}")


def parse_location(store: Path, path: Path) -> tuple[str, str, str, int]:
    """(unit, from, to, revision number) from a kept package's place in the store."""
    found, period = REVISION.match(path.name), PERIOD.match(path.parent.name)
    return path.parent.parent.name, period.group(1), period.group(2), int(found.group(1))


# --- listing -----------------------------------------------------------------------------------

def table(connection, sql: str, parameters: tuple = ()) -> list[dict]:
    cursor = connection.execute(sql, parameters)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def dump(connection) -> dict[str, list[dict]]:
    """Every table's content without row ids (what a reindex must give again)."""
    return {
        "revisions": table(connection, "SELECT u.name unit, p.start, p.end, r.number, r.path, r.sha256, r.size,"
                           " r.received, r.made, r.casegen, r.ledger, r.ledger_problem, q.path previous"
                           " FROM revisions r"
                           " JOIN periods p ON r.period_id = p.id JOIN units u ON p.unit_id = u.id"
                           " LEFT JOIN revisions q ON r.previous_id = q.id ORDER BY r.path"),
        "cases": table(connection, f"SELECT r.path package, {', '.join('c.' + n for n in CASE_COLUMNS)} FROM cases c"
                       " JOIN revisions r ON c.revision_id = r.id ORDER BY r.path, c.folder, c.case_file"),
        "projects": table(connection, f"SELECT r.path package, {', '.join('x.' + n for n in PROJECT_COLUMNS)}"
                          " FROM projects x JOIN revisions r ON x.revision_id = r.id ORDER BY r.path, x.row"),
        "evidence": table(connection, "SELECT r.path package, c.case_file, e.path, e.sha256, e.size FROM evidence e"
                          " JOIN cases c ON e.case_id = c.id JOIN revisions r ON c.revision_id = r.id"
                          " ORDER BY r.path, c.case_file, e.path"),
        "callbacks": table(connection, "SELECT unit, account, called, caller, steps, time, cost, words, sheet, row"
                           " FROM callbacks ORDER BY unit, account, called"),
        "changes": table(connection, "SELECT r.path package, q.path previous, g.item, g.account, g.folder, g.change,"
                         " g.field,"
                         " g.old, g.new, g.flagged FROM changes g JOIN revisions r ON g.revision_id = r.id"
                         " LEFT JOIN revisions q ON g.previous_id = q.id ORDER BY g.id"),
    }


# --- what casegen read of a package ------------------------------------------------------------

def facts_file(store: Path, sha256: str) -> Path:
    return store / FACTS / f"{sha256}.json"


def write_facts(store: Path, incoming: Incoming, key: str) -> None:
    """Keep what casegen read of a package, for a rebuild (best effort: a rebuild reads again)."""
    record = {"key": key, "incoming": asdict(incoming)}
    with contextlib.suppress(OSError):
        write_text(facts_file(store, incoming.sha256), json.dumps(record, ensure_ascii=False), durable=False)


def read_facts(store: Path, sha256: str, key: str) -> Incoming | None:
    """What casegen read of the package `sha256` with the same `key`, or None (missing, stale,
    damaged: the package is then read again)."""
    try:
        record = json.loads(facts_file(store, sha256).read_text(encoding="utf-8"))
        if record.get("key") != key or record["incoming"]["sha256"] != sha256:
            return None
        data = dict(record["incoming"])
        cases = [CaseFacts(**{**case, "evidence": tuple(tuple(item) for item in case["evidence"])})
                 for case in data.pop("cases")]
        projects = [ProjectFacts(**project) for project in data.pop("projects")]
        return Incoming(**data, cases=cases, projects=projects)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def keep_sheet(store: Path, data: bytes, sha256: str) -> Path:
    """A filled call sheet kept whole (as packages are), so a rebuild reads it again."""
    path = store / SHEETS / f"{sha256}.xlsx"
    if path.exists():
        os.utime(path)  # recorded again now: a rebuild replays the sheets in the order last recorded
    else:
        write_bytes(path, data)
    return path


def sheet_files(store: Path) -> list[Path]:
    """The kept call sheets, in the order they were recorded."""
    root = store / SHEETS
    found = [p for p in root.glob("*.xlsx") if p.is_file() and not p.is_symlink()] if root.is_dir() else []
    return sorted(found, key=lambda p: (p.stat().st_mtime_ns, p.name))


def latest_received(connection: sqlite3.Connection, incoming: Incoming) -> dt.datetime | None:
    """When the unit's latest revision of this period was received (revisions are kept in the
    order they came, and a rebuild orders them by that time)."""
    row = connection.execute(
        "SELECT MAX(r.received) FROM revisions r JOIN periods p ON r.period_id = p.id JOIN units u ON p.unit_id = u.id"
        " WHERE u.name = ? AND p.start = ? AND p.end = ?", (incoming.unit, incoming.start, incoming.end)).fetchone()
    return dt.datetime.fromisoformat(row[0]) if row and row[0] else None


def recorded_path(connection: sqlite3.Connection, relative_path: str) -> bool:
    try:
        return connection.execute("SELECT 1 FROM revisions WHERE path = ?", (relative_path,)).fetchone() is not None
    except sqlite3.Error:
        return False


def misplaced_files(store: Path) -> list[Path]:
    """Files under packages/ that are not where a kept package goes (a rebuild says so)."""
    root = store / PACKAGES
    if not root.is_dir():
        return []
    kept = set(package_files(store))
    return sorted(p for p in root.rglob("*") if (p.is_file() or p.is_symlink()) and p not in kept
                  and not p.name.startswith("."))
