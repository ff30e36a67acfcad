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
    cases: list[CaseFile] = field(default_factory=list)  # every case that loaded
    ready: list[CaseFile] = field(default_factory=list)  # … and has no error
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
        run.cases.append(case_file)
    if across:
        for finding in check_folder(run.cases):
            next(c for c in run.cases if c.path == finding.file).findings.append(finding)
    for case_file in run.cases:
        run.findings.extend(case_file.findings)
        if case_file.has_errors:
            run.failed[case_file.path] = [f for f in case_file.findings if f.is_error]
    run.ready = [c for c in run.cases if not c.has_errors]
    return run


def output_stems(case_files: list[CaseFile], *, redact: bool = False) -> list[str]:
    """One file name per case, from the customer name; 户号 added where two names clash
    (masked in copies for publication)."""
    from casegen.redact import mask_account

    def account(case_file: CaseFile) -> str:
        number = case_file.case.customer.account_no
        return mask_account(number) if redact else number

    return unique_names([(c.case.customer.name, account(c)) for c in case_files])


def render_one(case_file: CaseFile, out_dir: Path, stem: str, *,
               template: Path | None = None, redact: bool = False) -> list[Path]:
    """The sketch and the document of one prepared case; returns what was written."""
    from casegen.evidence import checklist
    from casegen.render import Picture, render_docx
    from casegen.sketch import WIDTH_MM

    facts = case_file.facts
    evidence = checklist(case_file.case, case_file.path.parent, has_works=facts.has_works)
    png = draw_one(case_file, out_dir, stem, svg=False)[0]
    photos = marked_photos(case_file, evidence, out_dir / f"{stem}_现场图片")
    target = out_dir / f"{stem}{'_公开版' if redact else ''}.docx"
    render_docx(case_file.case, facts, evidence, target, template=template,
                sketch=Picture(png, WIDTH_MM), photos=photos, clear_metadata=redact)
    return [target, png, *(p.path for p in photos)]


def marked_photos(case_file: CaseFile, evidence, folder: Path) -> list:
    """Marked copies of the usable photos (originals untouched); other files are only listed."""
    from casegen.evidence import PROVIDED
    from casegen.files import IMAGE_SUFFIXES
    from casegen.photos import photo_width_mm, prepare_photo
    from casegen.render import Picture

    usable = {item.file for item in evidence if item.group == "现场图片" and item.status == PROVIDED}
    pictures = []
    for number, photo in enumerate(case_file.case.evidence.photos, start=1):
        if photo.file not in usable or Path(photo.file).suffix.lower() not in IMAGE_SUFFIXES:
            continue
        target = folder / f"{number:02d}.jpg"
        size = prepare_photo(case_file.path.parent / photo.file, target, photo.marks)
        caption = f"{photo.stage}：{photo.caption}" if photo.caption else photo.stage
        pictures.append(Picture(target, photo_width_mm(size), caption))
    return pictures


def check_evidence(case_file: CaseFile):
    """The checklist of one case and its gaps as findings."""
    from casegen.evidence import checklist, evidence_findings

    items = checklist(case_file.case, case_file.path.parent, has_works=case_file.facts.has_works)
    return items, evidence_findings(items, case_file)


def draw_one(case_file: CaseFile, out_dir: Path, stem: str, *, svg: bool = True) -> list[Path]:
    """The sketch of one prepared case as PNG (for the document) and SVG (for print)."""
    from casegen.sketch import draw

    png = out_dir / f"{stem}_工程建设简图.png"
    vector = png.with_suffix(".svg") if svg else None
    draw(case_file.case, case_file.facts, png, vector)
    return [png, vector] if vector else [png]
