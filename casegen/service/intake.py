"""The 客服中心's intake as actions: `casegen receive` verifies each unit's package, reads its
cases with casegen's own stages and keeps it in the store as a new revision; `--reindex`
rebuilds the store's index from the kept packages. Nothing prints."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import signal
import sqlite3
import stat
import time
from collections import deque
from concurrent import futures  # its process pool is imported when first asked for (a package __getattr__)
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path, PurePosixPath

from casegen import __version__
from casegen.base.errors import CaseError, UsageError, os_reason
from casegen.base.writing import temporary_folder
from casegen.case.annex2 import CYCLE
from casegen.case.calendar import WorkCalendar, load_calendar
from casegen.company import package as pkg
from casegen.company import store as st
from casegen.company.facts import case_facts, project_entries
from casegen.company.units import read_units
from casegen.inputs.ledger import project_of, read_ledger
from casegen.service.calls import replay_sheets
from casegen.service.summary import summarize

MISPLACED = ("文件名或所在文件夹不是收存库的格式"
             "（packages/<单位>/<YYYY-MM-DD>_<YYYY-MM-DD>/r<版本>-<SHA-256 前 12 位>.zip），未编入")
RECEIVED_FROM = dt.date(2019, 11, 1)  # the notice took effect then: no package came earlier
FACTS_FORMAT = 2  # what a facts record holds: a record of another format is read again
KILL_HOOK = "CASEGEN_RECEIVE_KILL_AT"  # tests only: "copied" or "linked" makes receive SIGKILL itself there


# --- receive -----------------------------------------------------------------------------------

KEPT, ALREADY, REFUSED = "已收存", "此前已收存", "拒收"
NEW, WITHDRAWN, CHANGED = st.NEW, st.WITHDRAWN, st.CHANGED
REPLACED, REMOVED, ADDED = st.REPLACED, st.REMOVED, st.ADDED


@dataclass
class Received:
    file: Path
    status: str
    reason: str | None = None
    sha256: str | None = None
    kept: st.Kept | None = None
    cases: int = 0
    stored: str | None = None  # the package's path in the store
    notes: list[str] = field(default_factory=list)  # how a package re-made outside casegen was read

    @property
    def flagged(self) -> list[st.Change]:
        return [c for c in self.kept.changes if c.flagged] if self.kept else []




def facts_of(package: pkg.Package, calendar_file: Path | None, scratch_root: Path) -> tuple[
        list[st.CaseFacts], list[st.ProjectFacts], str | None]:
    """Each typical case and each 附件2 project of a verified package as casegen reads them: the
    files extracted to a temporary folder in `scratch_root` (the store: a kill leaves nothing in
    /tmp, and the next receive removes it), the cases summarized (the same stages as validate
    and check) and the 附件2 read with the reader of `casegen import`; the manifest's own facts
    are never used. Only the company's calendar counts the days (a calendar file inside a unit's
    package is not read)."""
    calendar = load_calendar(calendar_file) if calendar_file else WorkCalendar()
    with temporary_folder(scratch_root, "receive") as scratch:
        base = Path(scratch)
        root = pkg.extract_cases(package, base)
        overview = summarize([root], calendar_file=calendar_file, workers=1, find_calendar=False)
        folders = {s.path.parent.relative_to(base).as_posix() for s in overview.summaries}
        owner: dict[str, str] = {}
        for name in package.members:  # each file to the deepest case folder holding it
            parents = [p.as_posix() for p in PurePosixPath(name).parents]
            holder = next((p for p in parents if p in folders), None)
            if holder:
                owner[name] = holder
        summaries = {s.path.parent.relative_to(base).as_posix(): s for s in overview.summaries}
        ledger = pkg.extract_member(package, pkg.LEDGER, base / "附件2.xlsx")
        rows, problem = _ledger_rows(ledger) if ledger else ([], f"包中没有 {pkg.LEDGER}")
        records = {folder: (s.account, s.record) for folder, s in summaries.items()}
        projects, rows_of, against = project_entries(rows, calendar, Path(pkg.LEDGER),
                                                     dt.date.fromisoformat(package.end), records)
        found = []
        for folder, summary in summaries.items():
            case_file = summary.path.relative_to(base).as_posix()
            evidence = tuple((name[len(folder) + 1:], m.sha256, m.size) for name, m in sorted(package.members.items())
                             if owner.get(name) == folder and name != case_file)
            found.append(case_facts(summary, folder, case_file, evidence, ledger_row=rows_of.get(folder),
                                    ledger_findings=tuple(against.get(folder, ()))))
    return sorted(found, key=lambda c: (c.folder, c.case_file)), projects, problem


def _ledger_rows(path: Path) -> tuple[list[tuple], str | None]:
    """(row, its reading problems, 全流程时长 as stated) of each row of a package's 附件2, and
    why the workbook could not be read at all (then no rows)."""
    notes: list = []
    try:
        return [(project_of(row), row.problems, row.cells.get(CYCLE)) for row in read_ledger(path, notes)], None
    except CaseError as e:
        return [], "；".join(f.text for f in e.findings)


def _incoming(package: pkg.Package, calendar_file: Path | None, store: Path, *, reuse: bool = True) -> st.Incoming:
    """What the store records of a verified package: read by casegen from its case files, or,
    with `reuse`, the record of what this casegen with this calendar read of this very package
    before (kept in the store when it was first read)."""
    key = _reading_key(calendar_file)
    known = st.read_facts(store, package.sha256, key) if reuse else None
    if known is not None:
        return known
    cases, projects, problem = facts_of(package, calendar_file, st.scratch_folder(store))
    ledger = st.LEDGER_FROM_UNIT if package.manifest.get("ledger") == st.LEDGER_FROM_UNIT else st.LEDGER_FROM_CASES
    incoming = st.Incoming(package.unit, package.start, package.end, package.sha256, package.size, package.made,
                           package.manifest["casegen"], cases, projects, ledger, problem)
    st.write_facts(store, incoming, key)
    return incoming


def _reading_key(calendar_file: Path | None) -> str:
    """What the facts read from a package depend on besides its bytes: casegen's rules, the
    calendar file and the holidays library's arrangements."""
    calendar = hashlib.sha256(calendar_file.read_bytes()).hexdigest() if calendar_file else "library"
    return f"casegen {__version__}; facts {FACTS_FORMAT}; holidays {version('holidays')}; calendar {calendar}"


def _hook(point: str) -> None:
    if os.environ.get(KILL_HOOK) == point:
        os.kill(os.getpid(), signal.SIGKILL)


def _sha256(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _recover(connection, store: Path, calendar_file: Path | None) -> None:
    """Index the packages a killed receive linked but did not record (inside the lock)."""
    for path in st.unrecorded(connection, store):
        try:
            package = pkg.verify(path)
        except pkg.Refused:
            continue  # not ours to judge here; reindex reports it
        number = st.parse_location(store, path)[3]
        st.record(connection, store, path, number, _incoming(package, calendar_file, store),
                  st.received_time(path))


def receive_one(source: Path, store: Path, connection, *, units: list[str] | None,
                calendar_file: Path | None, limits: pkg.Limits = pkg.LIMITS,
                received: dt.datetime | None = None) -> Received:
    temporary, placed = None, None
    try:
        try:
            mode = source.stat().st_mode
        except OSError as e:
            raise pkg.Refused(f"无法读取：{os_reason(e)}") from None
        if not stat.S_ISREG(mode):
            raise pkg.Refused("不是普通文件")
        if source.stat().st_size > limits.zip_bytes:
            raise pkg.Refused(f"文件过大（上限 {limits.zip_bytes} 字节）")
        sha = _sha256(source)
        stored = st.recorded(connection, sha)
        if stored:
            return Received(source, ALREADY, sha256=sha, stored=stored)
        temporary = st.temporary_copy(store, sha)
        shutil.copyfile(source, temporary)
        package = pkg.verify(temporary, limits)  # the copy, so that what is checked is what is kept
        if package.sha256 != sha:
            raise pkg.Refused("文件在复制时被改动")
        if units is not None and package.unit not in units:
            raise pkg.Refused(f"供电单位“{package.unit}”不在供电单位名单中")
        if received is not None and not (RECEIVED_FROM <= received.date() <= dt.date.today() + dt.timedelta(days=1)):
            raise pkg.Refused(f"--received 给出的收到时间 {received:%Y-%m-%d} 不在 {RECEIVED_FROM} 至今天之间")
        if received is not None and received < dt.datetime.fromisoformat(package.made):
            raise pkg.Refused(f"--received 给出的收到时间 {received:%Y-%m-%d %H:%M} 早于包的生成时间 {package.made}："
                              "请核对收到的日期")
        incoming = _incoming(package, calendar_file, store, reuse=False)
        _hook("copied")
        with st.write_lock(connection):
            _recover(connection, store, calendar_file)
            stored = st.recorded(connection, sha)
            if stored:
                return Received(source, ALREADY, sha256=sha, stored=stored)
            path, number = st.next_path(connection, store, incoming)
            latest = st.latest_received(connection, incoming)
            if received is not None and latest is not None and received < latest:
                raise pkg.Refused(f"--received 给出的收到时间早于该单位本期已收存的上一版（{latest:%Y-%m-%d %H:%M}）："
                                  "各版须按收到的先后收存")
            received_ns = (time.time_ns() if received is None else int(received.timestamp()) * 10**9) // 1000 * 1000
            os.utime(temporary, ns=(received_ns, received_ns))
            kept = st.record(connection, store, path, number, incoming, st.received_time(temporary))
            st.place(temporary, path, received_ns)
            placed = path
            _hook("linked")
        return Received(source, KEPT, sha256=sha, kept=kept, cases=len(incoming.cases),
                        stored=st.relative(store, path), notes=package.notes)
    except pkg.Refused as e:
        return Received(source, REFUSED, str(e))
    except (OSError, CaseError, sqlite3.Error) as e:
        _unplace(placed, connection, store)
        if isinstance(e, sqlite3.Error):
            reason = "收存库的索引写入失败（磁盘空间不足？）" if "full" in str(e) else f"收存库的索引写入失败（{e}）"
        else:
            reason = os_reason(e) if isinstance(e, OSError) else "; ".join(str(f) for f in e.findings)
        return Received(source, REFUSED, f"无法收存：{reason}")
    except Exception as e:  # one package must never stop the others; the reason is reported
        _unplace(placed, connection, store)
        return Received(source, REFUSED, f"无法收存：程序内部错误 {type(e).__name__}，请把这个包交给维护人员")
    finally:
        if temporary is not None:
            temporary.unlink(missing_ok=True)


def _unplace(placed: Path | None, connection, store: Path) -> None:
    """A package linked into place whose rows were not committed (the index failed to write)
    is taken back out: the store keeps no package it has not recorded."""
    if placed is not None and not st.recorded_path(connection, st.relative(store, placed)):
        placed.unlink(missing_ok=True)


def receive(sources: list[Path], store: Path, *, units_file: Path | None = None,
            calendar_file: Path | None = None, limits: pkg.Limits = pkg.LIMITS,
            received: dt.datetime | None = None) -> list[Received]:
    """`casegen receive`: each package verified, read and kept as a new revision (or refused,
    keeping nothing of it); one bad package never stops the others. `received`: when the
    packages arrived, if not now (an e-mail read days later), for the bulletin's rhythm."""
    units = read_units(units_file) if units_file else None
    calendar_file = calendar_file or _store_calendar(store)
    try:
        connection = st.database(store)
    except (OSError, sqlite3.Error) as e:
        raise UsageError(f"无法打开收存库 {store}：{e}") from None
    try:
        st.clean_strays(store)
        return [receive_one(source, store, connection, units=units, calendar_file=calendar_file, limits=limits,
                            received=received) for source in sources]
    finally:
        connection.close()


def _store_calendar(store: Path) -> Path | None:
    """The company's own calendar beside the store, if it keeps one (the units' are not trusted)."""
    path = store / "casegen.calendar.yaml"
    return path if path.is_file() else None


@dataclass
class Reindexed:
    packages: int
    cases: int
    sheets: int = 0  # call sheets recorded again
    problems: list[tuple[Path, str]] = field(default_factory=list)


def _read_package(job: tuple) -> tuple[Path, st.Incoming | None, str | None]:
    """A worker's share of a reindex: one kept package verified, and read (or its facts as
    recorded when it was received, unless `full`)."""
    store, path, calendar_file, full = job
    try:
        package = pkg.verify(path)
    except pkg.Refused as e:
        return path, None, str(e)
    unit, start, end, _ = st.parse_location(store, path)
    if (unit, start, end) != (package.unit, package.start, package.end):
        return path, None, "所在位置与包中清单的供电单位或期间不符，未编入"
    return path, _incoming(package, calendar_file, store, reuse=not full), None


def _read_packages(store: Path, paths: list[Path], calendar_file: Path | None, workers: int, full: bool):
    """The packages read in order; on several cores in worker processes, a few ahead at a time
    (memory stays flat in the number of packages)."""
    jobs = [(store, path, calendar_file, full) for path in paths]
    if workers <= 1 or len(jobs) < 2:
        yield from map(_read_package, jobs)
        return
    with futures.ProcessPoolExecutor(workers) as pool:
        window: deque = deque()
        for job in jobs:
            window.append(pool.submit(_read_package, job))
            if len(window) >= 4 * workers:
                yield window.popleft().result()
        while window:
            yield window.popleft().result()


def reindex(store: Path, *, calendar_file: Path | None = None, workers: int | None = None,
            full: bool = False) -> Reindexed:
    """`casegen receive --reindex`: the index rebuilt from the kept packages, in the order they
    were received, in one transaction. Every package is verified again (its members' hashes);
    its facts are those casegen read from it when it was received (`facts/<sha256>.json`, kept
    only while casegen, the calendar and the holidays library are the same), or read from its
    case files again when that record is missing, stale, or `full` asks (on every core)."""
    if not store.is_dir():
        raise UsageError(f"找不到收存库：{store}")
    st.clean_strays(store)
    calendar_file = calendar_file or _store_calendar(store)
    try:
        connection = st.open_index(store, rebuild=True)
    except UsageError:  # a damaged index is what a rebuild is for: kept aside, never deleted
        index = store / st.DATABASE
        index.replace(index.with_name(f"{st.DATABASE}.damaged-{time.strftime('%Y%m%d%H%M%S')}"))
        connection = st.database(store)
    result = Reindexed(0, 0)
    try:
        with st.write_lock(connection):
            st.clear(connection)
            paths = st.package_files(store)
            result.problems += [(path, MISPLACED) for path in st.misplaced_files(store)]
            for path, incoming, problem in _read_packages(store, paths, calendar_file, workers or os.cpu_count() or 1,
                                                             full):
                if incoming is None:
                    result.problems.append((path, problem))
                    continue
                number = st.parse_location(store, path)[3]
                st.record(connection, store, path, number, incoming, st.received_time(path))
                result.packages += 1
                result.cases += len(incoming.cases)
            result.sheets = replay_sheets(connection, store)
    finally:
        connection.close()
    return result



