"""Documents and sketches: one case rendered or drawn, and the batch actions `render` and `draw`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from casegen.base.errors import CaseError, Finding, PdfFailed, os_reason
from casegen.base.policy import FindingClass, Product, evidence_count_text, evidence_problems
from casegen.case.calendar import WorkCalendar, find_calendar_file
from casegen.case.reading import CaseFile
from casegen.case.redact import redact
from casegen.checks.evidence import PROVIDED
from casegen.checks.files import IMAGE_SUFFIXES, PhotoCache
from casegen.checks.seal import Digests, verify
from casegen.checks.template import check_template as template_problems
from casegen.office.pdf import (
    FONT_PACKAGES,
    ToolMissing,
    libreoffice,
    one_shot_notice,
    start_office,
    substituted_faces,
    to_pdf,
)
from casegen.outputs.document import (
    Picture,
    making_stamp,
    photo_caption,
    png_size,
    render_docx,
    sketch_width_mm,
    stamp_of,
    target_note_text,
)
from casegen.outputs.photos import photo_width_mm, prepare_photo
from casegen.outputs.sketch import SketchInput
from casegen.outputs.sketch import draw as draw_sketch
from casegen.service.batch import FAILED, RENDERED, Outcome, remove_stale_temporaries, run_jobs
from casegen.service.cases import Run, assess, customer_name, gather, open_calendar, output_stems
from casegen.service.evidence import audit_case


@dataclass
class Rendered:
    """What one render wrote, and the red marks its document carries (for the user to see)."""

    outputs: list[Path]
    marks: list[str] = field(default_factory=list)


def red_marks(case_file: CaseFile, audited: list[Finding]) -> list[str]:
    """The red marks of a document: pending customer words, evidence problems (counted as
    `check` counts them, each said, "；" between), missed targets."""
    marks = []
    pending = [f.label for f in case_file.findings if f.rule == "feedback-missing"]
    if pending:
        marks.append(f"客户反馈 {len(pending)} 处“待补充”（{'、'.join(pending)}）")
    problems = evidence_problems(audited)
    if problems:
        marks.append(f"{evidence_count_text(len(problems))}：{'；'.join(f.message for f in problems)}")
    marks += [target_note_text(f) for f in case_file.findings if f.cls is FindingClass.TARGET]
    return marks


def render_one(case_file: CaseFile, out_dir: Path, stem: str, *,
               template: Path | None = None, redact: bool = False) -> Rendered:
    """The sketch and the document of one prepared case; returns what was written."""
    facts = case_file.facts
    png = draw_one(case_file, out_dir, stem, svg=False)[0]
    # the checklist as `check` makes it (photo times read, so an undated photo is noted), and
    # the same problems it counts (the seal too; photos and files across cases are check's)
    evidence, audited = audit_case(case_file, PhotoCache.open(), sketch_file=png.name)
    audited += verify(case_file, Digests()).findings
    photos = marked_photos(case_file, evidence, out_dir / f"{stem}_现场图片")
    target = out_dir / f"{stem}{'_公开版' if redact else ''}.docx"
    targets_missed = [f for f in case_file.findings if f.cls is FindingClass.TARGET]
    width = sketch_width_mm(case_file.case, facts, targets_missed, png_size(png))
    render_docx(case_file.case, facts, evidence, target, template=template,
                sketch=Picture(png, width), photos=photos, clear_metadata=redact,
                notes=targets_missed)
    return Rendered([target, png, *(p.path for p in photos)], red_marks(case_file, audited))


def marked_photos(case_file: CaseFile, evidence, folder: Path) -> list:
    """Marked copies of the usable photos (originals untouched); other files are only listed."""
    usable = {item.file for item in evidence if item.group == "现场图片" and item.status == PROVIDED}
    pictures = []
    for number, photo in enumerate(case_file.case.evidence.photos, start=1):
        if photo.file not in usable or Path(photo.file).suffix.lower() not in IMAGE_SUFFIXES:
            continue
        target = folder / f"{number:02d}.jpg"
        size = prepare_photo(case_file.path.parent / photo.file, target, photo.marks)
        caption = photo_caption(photo)
        pictures.append(Picture(target, photo_width_mm(size), caption))
    return pictures


def draw_one(case_file: CaseFile, out_dir: Path, stem: str, *, svg: bool = True) -> list[Path]:
    """The sketch of one prepared case as PNG (for the document) and SVG (for print)."""
    png = out_dir / f"{stem}_工程建设简图.png"
    vector = png.with_suffix(".svg") if svg else None
    if case_file.case is not None:
        drawing = SketchInput.from_case(case_file.case)
    else:  # the contract failed elsewhere in the file: the grid alone is enough to draw
        drawing = SketchInput.from_data(case_file.raw.data, customer_name(case_file))
    draw_sketch(drawing, png, vector)
    return [png, vector] if vector else [png]


@dataclass(frozen=True)
class Job:
    case_file: CaseFile
    stem: str
    out_dir: Path
    template: Path | None = None
    pdf: bool = False
    redact: bool = False
    calendar_file: Path | None = None

    @property
    def target(self) -> Path:
        suffix = "_公开版" if self.redact else ""
        return self.out_dir / f"{self.stem}{suffix}.docx"

    def outputs(self) -> list[Path]:
        return [self.target] + ([self.target.with_suffix(".pdf")] if self.pdf else [])

    def inputs(self) -> list[Path]:
        folder = self.case_file.path.parent
        photos = [folder / p.file for p in self.case_file.case.evidence.photos]
        extra = [self.template, self.calendar_file]
        return [self.case_file.path, *photos, *(p for p in extra if p)]

    def up_to_date(self) -> bool:
        """Every output exists and is newer than every input that exists, the PDF is not older
        than the document, and the document was made with this template and this casegen (a
        template older than the document, or switched back, would otherwise leave it as it was)."""
        try:
            oldest_output = min(p.stat().st_mtime for p in self.outputs())
            newest_input = max((p.stat().st_mtime for p in self.inputs() if p.exists()), default=0)
            # a PDF older than its document is of an earlier one (its conversion failed since)
            pdf_current = not self.pdf or (self.target.with_suffix(".pdf").stat().st_mtime
                                           >= self.target.stat().st_mtime)
            return (oldest_output > newest_input and pdf_current
                    and stamp_of(self.target) == making_stamp(self.template))
        except OSError:  # an output missing, a template gone: render and say what is wrong
            return False


def render_job(job: Job) -> Outcome:
    """Render one case (in a worker process): the sketch, photos, document, and PDF if asked."""
    rendered = None
    try:
        case_file = job.case_file
        if job.redact:
            case_file = CaseFile(case_file.path, redact(case_file.case), case_file.lines,
                                 case_file.findings, case_file.facts)
        rendered = render_one(case_file, job.out_dir, job.stem, template=job.template,
                              redact=job.redact)
        outputs = rendered.outputs
        if job.pdf:
            outputs.append(to_pdf(job.target, job.target.with_suffix(".pdf")))
        return Outcome(job.case_file.path, RENDERED, outputs, marks=rendered.marks)
    except CaseError as e:
        return Outcome(job.case_file.path, FAILED, reason="；".join(f.message for f in e.findings))
    except PdfFailed as e:  # the document stands; its PDF is missing, and why is said
        return Outcome(job.case_file.path, FAILED, rendered.outputs if rendered else [], reason=str(e))
    except OSError as e:  # a full disk, a folder that cannot be written

        where = f"{e.filename}：" if e.filename else ""
        return Outcome(job.case_file.path, FAILED, reason=f"写文件失败：{where}{os_reason(e)}")
    except Exception as e:  # one bad case must not stop the batch; the reason is reported
        return Outcome(job.case_file.path, FAILED,
                       reason=f"生成时出错（程序内部错误 {type(e).__name__}，请把这个案例文件发给维护者）")


class Progress(Protocol):
    """What a face shows while documents are made."""

    def start(self, stopped: dict[Path, list[Finding]], total: int, notes: list[str]) -> None: ...

    def step(self, outcome: Outcome, hints: list[Finding]) -> None: ...


@dataclass
class Produced:
    """What a batch action did: every case read, the ones stopped (with why), each case's
    outcome as it finished, and the counts the summary line gives."""

    run: Run
    stopped: dict[Path, list[Finding]]
    outcomes: list[Outcome] = field(default_factory=list)
    template_problems: list[Finding] = field(default_factory=list)  # a user's template not usable: nothing made
    pdf_missing: str | None = None  # why no PDF can be made (nothing made)
    pdf_notes: list[str] = field(default_factory=list)  # faces LibreOffice substitutes, the slow path

    @property
    def refused(self) -> bool:
        """Whether the action was refused before any case was read (template or PDF)."""
        return bool(self.template_problems or self.pdf_missing)

    @property
    def cases(self) -> int:
        return len(self.run.cases)

    def count(self, status: str) -> int:
        return sum(o.status == status for o in self.outcomes)

    @property
    def failed(self) -> int:
        """Cases that did not become a document: stopped by their findings or failed writing."""
        return self.count(FAILED) + len(self.stopped)

    @property
    def marked(self) -> int:
        return sum(bool(o.marks) for o in self.outcomes)


def pdf_readiness() -> tuple[str | None, list[str], str | None]:
    """(why no PDF can be made, or None; the template's faces LibreOffice would substitute;
    a notice that each PDF will start a LibreOffice of its own, or None)."""
    try:
        libreoffice()
    except ToolMissing as e:
        return str(e), [], None
    return None, [f"{told}；安装：{FONT_PACKAGES}" for told in substituted_faces()], one_shot_notice()


def render(paths: list[Path], out_dir: Path, *, template: Path | None = None,
           calendar_file: Path | None = None, pdf: bool = False, redact: bool = False,
           jobs: int = 1, force: bool = False,
           progress: Progress | None = None) -> Produced:
    """`casegen render`: every case that nothing stops becomes its document (sketch, marked
    photos, .docx, and PDF with `pdf`), `jobs` at a time, skipping what is up to date unless
    `force`. A user's `template` is checked first and a PDF's LibreOffice looked for: either
    missing, nothing is made and the returned value says why. `progress` hears of the cases
    stopped and the number to render before the work starts, then of each case as it
    finishes, with the hints (warnings) it carries."""
    if template is not None:
        problems = check_template(template)
        if problems:
            return Produced(Run(files=[]), {}, template_problems=problems)
    notes: list[str] = []
    if pdf:
        missing, substituted, slow = pdf_readiness()
        if missing:
            return Produced(Run(files=[]), {}, pdf_missing=missing)
        notes = [f"PDF 字体替代：{told}" for told in substituted] + ([slow] if slow else [])
    calendar_file = calendar_file or find_calendar_file(paths)
    run = gather(paths, open_calendar(paths, calendar_file))
    remove_stale_temporaries(out_dir)
    ready = run.ready(Product.RENDER)
    work = [Job(c, stem, out_dir, template, pdf, redact, calendar_file)
            for c, stem in zip(ready, output_stems(ready, redact=redact), strict=True)]
    hints = {c.path: [f for f in c.findings if not f.is_error] for c in ready}
    produced = Produced(run, run.stopped(Product.RENDER), pdf_notes=notes)
    if progress is not None:
        progress.start(produced.stopped, len(work), notes)
    for outcome in run_jobs(work, render_job, workers=jobs, force=force, prepare=start_office if pdf else None):
        produced.outcomes.append(outcome)
        if progress is not None:
            progress.step(outcome, hints.get(outcome.path, []))
    return produced


def draw(paths: list[Path], out_dir: Path, *, calendar_file: Path | None = None) -> Produced:
    """`casegen draw`: the sketch of every case whose grid can be drawn, as PNG and SVG."""
    run = gather(paths, open_calendar(paths, calendar_file))
    ready = run.ready(Product.DRAW)
    produced = Produced(run, run.stopped(Product.DRAW))
    for case_file, stem in zip(ready, output_stems(ready), strict=True):
        produced.outcomes.append(Outcome(case_file.path, RENDERED, draw_one(case_file, out_dir, stem)))
    return produced


def render_case(path: Path, out_dir: Path, *, calendar_file: Path | None = None,
                calendar: WorkCalendar | None = None, pdf: bool = False) -> Rendered:
    """One case file to its document in `out_dir` (the workbench's download, a script's call),
    counted in `calendar` (or the one found beside the case, or `calendar_file`); with `pdf`,
    the PDF comes first among the outputs. Raises CaseError with the findings that stop it."""
    case_file = assess(path, calendar or open_calendar([path], calendar_file))
    stops = case_file.stopped(Product.RENDER)
    if stops:
        raise CaseError(stops)
    rendered = render_one(case_file, out_dir, output_stems([case_file])[0])
    if pdf:
        document = rendered.outputs[0]
        rendered.outputs.insert(0, to_pdf(document, document.with_suffix(".pdf")))
    return rendered


def check_template(path: Path) -> list[Finding]:
    """`casegen template check`: every problem of a user's 附件3 template (none: usable)."""
    return template_problems(path)
