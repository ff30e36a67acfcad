"""Compute first, then write: prepare every case of a run, then produce each one's outputs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from casegen.calendar import WorkCalendar, find_calendar_file, load_calendar
from casegen.errors import CaseError, Finding
from casegen.output import unique_names
from casegen.pipeline import CaseFile, find_case_files, prepare
from casegen.rules import check_folder


@dataclass
class Run:
    """The cases of one command: those ready to use and the findings of every case."""

    files: list[Path]
    ready: list[CaseFile] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    failed: dict[Path, list[Finding]] = field(default_factory=dict)


def open_calendar(paths: list[Path], calendar_file: Path | None = None) -> WorkCalendar:
    path = calendar_file or find_calendar_file(paths)
    return load_calendar(path) if path else WorkCalendar()


def gather(paths: list[Path], calendar: WorkCalendar, *, across: bool = True) -> Run:
    """Load, type and check every case; folder-wide rules when `across`."""
    run = Run(files=find_case_files(paths))
    for path in run.files:
        try:
            case_file = prepare(path, calendar)
        except CaseError as e:
            run.findings.extend(e.findings)
            run.failed[path] = [f for f in e.findings if f.is_error]
            continue
        run.ready.append(case_file)
    if across:
        for finding in check_folder(run.ready):
            next(c for c in run.ready if c.path == finding.file).findings.append(finding)
    for case_file in run.ready:
        run.findings.extend(case_file.findings)
        if case_file.has_errors:
            run.failed[case_file.path] = [f for f in case_file.findings if f.is_error]
    run.ready = [c for c in run.ready if not c.has_errors]
    return run


def output_stems(case_files: list[CaseFile]) -> list[str]:
    """One file name per case, from the customer name; 户号 added where two names clash."""
    return unique_names([(c.case.customer.name, c.case.customer.account_no) for c in case_files])


def render_one(case_file: CaseFile, out_dir: Path, stem: str, *,
               template: Path | None = None) -> list[Path]:
    """The sketch and the document of one prepared case; returns what was written."""
    from casegen.evidence import checklist
    from casegen.render import Picture, render_docx
    from casegen.sketch import WIDTH_MM

    facts = case_file.facts
    evidence = checklist(case_file.case, case_file.path.parent, has_works=facts.has_works)
    png, svg = draw_one(case_file, out_dir, stem)
    target = out_dir / f"{stem}.docx"
    render_docx(case_file.case, facts, evidence, target, template=template,
                sketch=Picture(png, WIDTH_MM))
    return [target, png, svg]


def draw_one(case_file: CaseFile, out_dir: Path, stem: str) -> tuple[Path, Path]:
    """The sketch of one prepared case as PNG and SVG."""
    from casegen.sketch import draw

    png = out_dir / f"{stem}_工程建设简图.png"
    svg = png.with_suffix(".svg")
    draw(case_file.case, case_file.facts, png, svg)
    return png, svg
