"""The service layer: what a face (the command line, the report) asks of a folder of cases.

`summarize` reads every case once (load → model → rules → evidence, the same stages as
`validate` and `check`) and keeps of each only a `CaseSummary` and the little the cross-case
rules need, so memory stays flat in the number of cases; on several cores the cases are read in
worker processes. Nothing here prints.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

from casegen.base.errors import Finding
from casegen.base.policy import FindingClass, Product, Severity, gate


@dataclass(frozen=True)
class Period:
    """Acceptance dates from `start` to `end`, both included (either may be open)."""

    start: dt.date | None = None
    end: dt.date | None = None

    def holds(self, day: dt.date | None) -> bool:
        if day is None:
            return True  # a case whose date is unknown is never dropped silently
        return (self.start is None or day >= self.start) and (self.end is None or day <= self.end)

    def previous(self) -> Period | None:
        """The period of the same length just before (the last submission's)."""
        if self.start is None or self.end is None:
            return None
        length = self.end - self.start + dt.timedelta(days=1)
        try:
            return Period(self.start - length, self.start - dt.timedelta(days=1))
        except OverflowError:  # a period starting in year 1 has no period before it
            return None

    def __str__(self) -> str:
        start = self.start.isoformat() if self.start else "最早"
        end = self.end.isoformat() if self.end else "最近"
        return f"{start} 至 {end}"


@dataclass(frozen=True)
class CaseSummary:
    """One case as the report reads it."""

    path: Path
    customer: str
    account: str | None
    company: str
    station: str
    kind: str | None  # None when the case did not pass the contract
    limit_days: int | None
    working_days: int | None
    accepted: dt.date | None
    cost_wan: float | None
    evidence_items: int
    evidence_provided: int
    digest: str  # SHA-256 of the case file: "changed since the last report"
    findings: tuple[Finding, ...] = ()
    cells: dict = field(default_factory=dict)  # its 附件2 row, header → cell

    @property
    def ledger_problems(self) -> list[Finding]:
        """What marks its 附件2 row: everything when the file could not be read at all."""
        if not self.cells.keys() - {"户名"}:
            return list(self.findings)
        return gate(self.findings, Product.VALIDATE)

    def of_class(self, *classes: FindingClass, errors_only: bool = True) -> list[Finding]:
        return [f for f in self.findings if f.cls in classes
                and (f.severity is Severity.ERROR or not errors_only)]

    @property
    def within_target(self) -> bool:
        return self.kind is not None and not self.of_class(FindingClass.TARGET)

    @property
    def evidence_complete(self) -> bool:
        return self.kind is not None and not gate(self.findings, Product.CHECK)


@dataclass
class Overview:
    """Every case of a folder (in the period), and what was left out of the period."""

    summaries: list[CaseSummary]
    period: Period
    outside: int = 0  # cases read but accepted outside the period
    files: int = 0


# --- reading one case, in whichever process ----------------------------------------------------

@dataclass
class _Slim:
    """What the cross-case rules read of a case after the rest of it is let go."""

    path: Path
    case: SimpleNamespace
    lines: dict = field(default_factory=dict)

    def line_of(self, key_path) -> int | None:
        return self.lines.get(tuple(key_path))


def _slim(case_file, items) -> _Slim:
    case = case_file.case
    keys = [("customer", "account_no"), ("customer", "address"), *(item.key for item in items)]
    return _Slim(case_file.path, SimpleNamespace(
        customer=SimpleNamespace(name=case.customer.name, account_no=case.customer.account_no,
                                 address=case.customer.address),
        evidence=SimpleNamespace(photos=[SimpleNamespace(stage=p.stage) for p in case.evidence.photos])),
        {key: case_file.line_of(key) for key in keys})


def accepted(case_file) -> dt.date | None:
    if case_file.case is not None:
        return case_file.case.timeline.accepted
    timeline = (case_file.raw.data or {}).get("timeline") if case_file.raw else None
    value = timeline.get("accepted") if isinstance(timeline, dict) else None
    return value if isinstance(value, dt.date) else None


def _raw_text(case_file, *keys) -> str:
    node = case_file.raw.data if case_file.raw else None
    for key in keys:
        node = node.get(key) if isinstance(node, dict) else None
    return node if isinstance(node, str) else ""


def _read(path: Path, calendar, period: Period, photos, digests, *, evidence: bool, days: str):
    """(summary, slim case, exhibits) of one case file, or None when outside the period."""
    from casegen.case.reading import prepare
    from casegen.checks.audit import exhibits
    from casegen.checks.seal import verify
    from casegen.outputs.ledger import cells_of
    from casegen.service.build import audit_case, customer_name

    case_file = prepare(path, calendar)
    day = accepted(case_file)
    if not period.holds(day):
        return None
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        digest = ""
    findings = list(case_file.findings)
    case, facts = case_file.case, case_file.facts
    cells = cells_of(case_file, calendar, days=days) if case_file.raw else {"户名": path.parent.name}
    if case is None:
        summary = CaseSummary(path, customer_name(case_file), _raw_text(case_file, "customer", "account_no") or None,
                              _raw_text(case_file, "unit", "company") or "（未填写）",
                              _raw_text(case_file, "unit", "station") or "（未填写）", None, None, None,
                              day, None, 0, 0, digest, tuple(findings), cells)
        return summary, None, []
    items = []
    if evidence:
        items, audited = audit_case(case_file, photos)
        findings += audited + verify(case_file, digests).findings
    applicable = [i for i in items if i.applicable]
    summary = CaseSummary(
        path, case.customer.name, case.customer.account_no, case.unit.company, case.unit.station,
        str(facts.kind), facts.limit_days, facts.working_days, day,
        facts.cost_wan if facts.has_works else 0.0, len(applicable),
        sum(i.status in ("已提供", "自动生成") for i in applicable), digest, tuple(findings), cells)
    slim = _slim(case_file, items)
    found = [exhibit.__class__(slim, exhibit.item, exhibit.sha256)
             for exhibit in exhibits(case_file, items, digests)]
    return summary, slim, found


def _read_chunk(job: tuple) -> tuple[list, list, list, dict]:
    """A worker's share: its cases read, and the photo facts it learnt for the cache."""
    from casegen.checks.files import PhotoCache
    from casegen.checks.seal import Digests
    from casegen.service.build import open_calendar

    paths, calendar_file, period, evidence, days = job
    calendar = open_calendar(paths, calendar_file)
    photos, digests = PhotoCache.open(), Digests()
    photos.entries, known = dict(photos.entries), set(photos.entries)
    summaries, slims, found = [], [], []
    for path in paths:
        read = _read(path, calendar, period, photos, digests, evidence=evidence, days=days)
        if read is None:
            continue
        summary, slim, exhibits = read
        summaries.append(summary)
        if slim is not None:
            slims.append(slim)
        found.extend(exhibits)
    learnt = {path: entry for path, entry in photos.entries.items() if path not in known}
    return summaries, slims, found, learnt


PARALLEL_MIN = 64  # fewer cases than this read faster than worker processes start


def summarize(paths: list[Path], *, calendar_file: Path | None = None, period: Period | None = None,
              evidence: bool = True, days: str = "working", workers: int | None = None) -> Overview:
    """Every case under `paths` accepted in `period`, with its findings, folder rules (one 户号,
    one address), its 附件2 row (`days`: working or calendar) and, with `evidence`, its
    evidence checked and cross-checked (the same file or photo in two cases)."""
    from casegen.case.reading import find_case_files
    from casegen.checks.audit import duplicate_findings
    from casegen.checks.files import PhotoCache
    from casegen.checks.rules import check_folder

    period = period or Period()
    files = find_case_files(paths)
    workers = workers or os.cpu_count() or 1
    shares = workers if workers > 1 and len(files) >= PARALLEL_MIN else 1
    jobs = [(files[n::shares], calendar_file, period, evidence, days) for n in range(shares)]
    if shares == 1:
        results = [_read_chunk(jobs[0])]
    else:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(shares) as pool:
            results = list(pool.map(_read_chunk, jobs))
    cache = PhotoCache.open()
    summaries, slims, found = [], [], []
    for part_summaries, part_slims, part_found, learnt in results:
        summaries += part_summaries
        slims += part_slims
        found += part_found
        cache.entries.update(learnt)
        cache.changed |= bool(learnt)
    cache.save()
    extra: dict[Path, list[Finding]] = {}
    for finding in check_folder(slims):
        extra.setdefault(finding.file, []).append(finding)
    for path, findings in duplicate_findings(found).items():
        extra.setdefault(path, []).extend(findings)
    order = {path: n for n, path in enumerate(files)}
    summaries.sort(key=lambda s: order[s.path])
    summaries = [_with(s, extra.get(s.path, [])) for s in summaries]
    return Overview(summaries, period, outside=len(files) - len(summaries), files=len(files))


def _with(summary: CaseSummary, findings: list[Finding]) -> CaseSummary:
    if not findings:
        return summary
    from dataclasses import replace

    return replace(summary, findings=(*summary.findings, *findings))
