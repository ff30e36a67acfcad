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
from concurrent import futures  # its process pool is imported when first asked for (a package __getattr__)
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import SimpleNamespace

from casegen.base.errors import Finding
from casegen.base.period import Period
from casegen.case.calendar import WorkCalendar
from casegen.case.model import Incomplete
from casegen.case.reading import find_case_files
from casegen.case.record import case_record
from casegen.case.summary import CaseSummary, Overview
from casegen.checks.audit import duplicate_findings, exhibits
from casegen.checks.files import PhotoCache
from casegen.checks.rules import check_folder
from casegen.checks.seal import Digests, verify
from casegen.outputs.ledger import cells_of
from casegen.service.cases import assess, customer_name, open_calendar
from casegen.service.evidence import audit_case

# --- reading one case, in whichever process ----------------------------------------------------

@dataclass
class _Slim:
    """What the cross-case rules read of a case after the rest of it is let go."""

    path: Path
    case: SimpleNamespace
    lines: dict = field(default_factory=dict)

    def line_of(self, key_path) -> int | None:
        return self.lines.get(tuple(key_path))


def _known(read):
    """A value of a case as far as it is typed; None where its field is missing or wrong."""
    try:
        return read()
    except Incomplete:
        return None


def _slim(case_file, items) -> _Slim:
    case = case_file.case if case_file.case is not None else case_file.partial
    keys = [("customer", "account_no"), ("customer", "address"), *(item.key for item in items)]
    return _Slim(case_file.path, SimpleNamespace(
        customer=SimpleNamespace(name=_known(lambda: case.customer.name),
                                 account_no=_known(lambda: case.customer.account_no),
                                 address=_known(lambda: case.customer.address)),
        application=SimpleNamespace(business_type=_known(lambda: case.application.business_type)),
        timeline=SimpleNamespace(accepted=_known(lambda: case.timeline.accepted)),
        evidence=SimpleNamespace(photos=_known(lambda: [SimpleNamespace(stage=p.stage) for p in case.evidence.photos])
                                 or [])),
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
    case_file = assess(path, calendar)
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
                              day, None, 0, 0, digest, tuple(findings), cells,
                              verdict=case_file.verdict, missing=len(case_file.missing))
        return summary, (_slim(case_file, []) if case_file.partial is not None else None), []
    items = []
    if evidence:
        items, audited = audit_case(case_file, photos)
        findings += audited + verify(case_file, digests).findings
    applicable = [i for i in items if i.applicable]
    summary = CaseSummary(
        path, case.customer.name, case.customer.account_no, case.unit.company, case.unit.station,
        str(facts.kind), facts.limit_days, facts.working_days, day,
        facts.cost_wan if facts.has_works else 0.0, len(applicable),
        sum(i.status in ("已提供", "自动生成") for i in applicable), digest, tuple(findings), cells,
        case_record(case, facts, findings), verdict=case_file.verdict)
    slim = _slim(case_file, items)
    found = [exhibit.__class__(slim, exhibit.item, exhibit.sha256)
             for exhibit in exhibits(case_file, items, digests)]
    return summary, slim, found


def _read_chunk(job: tuple) -> tuple[list, list, list, dict]:
    """A worker's share: its cases read, and the photo facts it learnt for the cache."""
    paths, calendar_file, period, evidence, days, find_calendar = job
    calendar = open_calendar(paths, calendar_file) if find_calendar or calendar_file else WorkCalendar()
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
              evidence: bool = True, days: str = "working", workers: int | None = None,
              find_calendar: bool = True) -> Overview:
    """Every case under `paths` accepted in `period`, with its findings, folder rules (one 户号,
    one address), its 附件2 row (`days`: working or calendar) and, with `evidence`, its
    evidence checked and cross-checked (the same file or photo in two cases). Without
    `find_calendar`, only `calendar_file` (or the library's calendar) counts the days, never a
    calendar file found beside the cases."""
    period = period or Period()
    files = find_case_files(paths)
    workers = workers or os.cpu_count() or 1
    shares = workers if workers > 1 and len(files) >= PARALLEL_MIN else 1
    jobs = [(files[n::shares], calendar_file, period, evidence, days, find_calendar) for n in range(shares)]
    if shares == 1:
        results = [_read_chunk(jobs[0])]
    else:
        with futures.ProcessPoolExecutor(shares) as pool:
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

    return replace(summary, findings=(*summary.findings, *findings))


__all__ = ["CaseSummary", "Overview", "summarize"]
