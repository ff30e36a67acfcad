"""Compute first, then write: prepare every case of a run, then produce each one's outputs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from casegen.base.errors import Finding
from casegen.base.policy import FindingClass, Product, gate
from casegen.base.writing import unique_names
from casegen.case.calendar import WorkCalendar, find_calendar_file, load_calendar
from casegen.case.reading import CaseFile, find_case_files, prepare
from casegen.checks.rules import check_folder


@dataclass
class Run:
    """The case files of one command, each with its findings (folder rules included)."""

    files: list[Path]
    cases: list[CaseFile] = field(default_factory=list)  # one per file, in order

    @property
    def findings(self) -> list[Finding]:
        return [f for c in self.cases for f in c.findings]

    @property
    def typed(self) -> list[CaseFile]:
        """The cases that passed the contract."""
        return [c for c in self.cases if c.case is not None]

    def ready(self, product: Product) -> list[CaseFile]:
        """The cases nothing stops from becoming `product` (a case that failed the contract
        always has a data finding that stops the document)."""
        return [c for c in self.cases if not c.stopped(product)]

    def stopped(self, product: Product) -> dict[Path, list[Finding]]:
        return {c.path: stops for c in self.cases if (stops := c.stopped(product))}


def open_calendar(paths: list[Path], calendar_file: Path | None = None) -> WorkCalendar:
    path = calendar_file or find_calendar_file(paths)
    return load_calendar(path) if path else WorkCalendar()


def gather(paths: list[Path], calendar: WorkCalendar, *, across: bool = True) -> Run:
    """Load, type and check every case; folder-wide rules when `across`."""
    run = Run(files=find_case_files(paths))
    run.cases = [prepare(path, calendar) for path in run.files]
    if across:
        by_path = {c.path: c for c in run.cases}
        for finding in check_folder(run.typed):
            by_path[finding.file].findings.append(finding)
    return run


def output_stems(case_files: list[CaseFile], *, redact: bool = False) -> list[str]:
    """One file name per case, from the customer name; 户号 added where two names clash
    (masked in copies for publication)."""
    from casegen.outputs.redact import mask_account

    def account(case_file: CaseFile) -> str:
        number = case_file.case.customer.account_no if case_file.case else case_file.path.parent.name
        return mask_account(number) if redact else number

    return unique_names([(customer_name(c), account(c)) for c in case_files])


def customer_name(case_file: CaseFile) -> str:
    """The customer's name, also for a case that did not pass the contract (for its sketch)."""
    if case_file.case is not None:
        return case_file.case.customer.name
    raw = case_file.raw.data if case_file.raw else {}
    name = raw.get("customer", {}).get("name") if isinstance(raw.get("customer"), dict) else None
    return name if isinstance(name, str) and name.strip() else case_file.path.parent.name


@dataclass
class Rendered:
    """What one render wrote, and the red marks its document carries (for the user to see)."""

    outputs: list[Path]
    marks: list[str] = field(default_factory=list)


def red_marks(case_file: CaseFile, evidence) -> list[str]:
    """The red marks of a document: pending customer words, evidence gaps, missed targets."""
    from casegen.outputs.document import target_note_text

    marks = []
    pending = [f.label for f in case_file.findings if f.rule == "feedback-missing"]
    if pending:
        marks.append(f"客户反馈 {len(pending)} 处“待补充”（{'、'.join(pending)}）")
    gaps = [item.name for item in evidence if item.is_gap]
    if gaps:
        marks.append(f"实证材料缺失或有问题 {len(gaps)} 项（{'、'.join(gaps)}）")
    marks += [target_note_text(f) for f in case_file.findings if f.cls is FindingClass.TARGET]
    return marks


def render_one(case_file: CaseFile, out_dir: Path, stem: str, *,
               template: Path | None = None, redact: bool = False) -> Rendered:
    """The sketch and the document of one prepared case; returns what was written."""
    from casegen.checks.evidence import checklist
    from casegen.outputs.document import Picture, render_docx
    from casegen.outputs.sketch import WIDTH_MM

    facts = case_file.facts
    png = draw_one(case_file, out_dir, stem, svg=False)[0]
    evidence = checklist(case_file.case, case_file.path.parent, has_works=facts.has_works,
                         sketch_file=png.name)
    photos = marked_photos(case_file, evidence, out_dir / f"{stem}_现场图片")
    target = out_dir / f"{stem}{'_公开版' if redact else ''}.docx"
    targets_missed = [f for f in case_file.findings if f.cls is FindingClass.TARGET]
    render_docx(case_file.case, facts, evidence, target, template=template,
                sketch=Picture(png, WIDTH_MM), photos=photos, clear_metadata=redact,
                notes=targets_missed)
    return Rendered([target, png, *(p.path for p in photos)], red_marks(case_file, evidence))


def marked_photos(case_file: CaseFile, evidence, folder: Path) -> list:
    """Marked copies of the usable photos (originals untouched); other files are only listed."""
    from casegen.checks.evidence import PROVIDED
    from casegen.checks.files import IMAGE_SUFFIXES
    from casegen.outputs.document import Picture
    from casegen.outputs.photos import photo_width_mm, prepare_photo

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


def check_evidence(case_file: CaseFile, photos=None):
    """The checklist of one case and its gaps as findings (with `photos`, a `files.PhotoCache`,
    the photos' shooting times and hashes too)."""
    from casegen.checks.evidence import checklist, evidence_findings

    items = checklist(case_file.case, case_file.path.parent, has_works=case_file.facts.has_works,
                      photos=photos)
    return items, evidence_findings(items, case_file)


def audit_case(case_file: CaseFile, photos):
    """One case's evidence as `check` judges it on its own: the checklist's gaps, the photos'
    shooting times against the timeline and the callback (`photos`: a `files.PhotoCache`).
    The seal and the cross-case checks are the caller's: they need the folder."""
    from casegen.checks.audit import callback_findings, photo_time_findings

    items, findings = check_evidence(case_file, photos)
    return items, findings + photo_time_findings(case_file, items) + callback_findings(case_file)


@dataclass
class Checked:
    """One case's evidence as an auditor sees it: the checklist, every 实证材料 finding (gaps,
    photo times, duplicates, callback, seal) and the state of its seal."""

    case_file: CaseFile
    items: list
    findings: list[Finding]
    seal: object  # seal.SealState

    @property
    def complete(self) -> bool:
        return not gate(self.findings, Product.CHECK)


def check_cases(case_files: list[CaseFile], *, seal: bool = False, force: bool = False) -> list[Checked]:
    """`casegen check`: the evidence of every typed case, cross-checked across all of them; with
    `seal`, each complete case folder sealed (a case with findings only under `force`)."""
    from casegen.checks.audit import duplicate_findings, exhibits
    from casegen.checks.files import PhotoCache
    from casegen.checks.seal import Digests, verify

    photos, digests = PhotoCache.open(), Digests()
    warm_photos(photos, case_files)
    checked, found = [], []
    for case_file in case_files:
        items, findings = audit_case(case_file, photos)
        state = verify(case_file, digests)
        findings += state.findings
        found += exhibits(case_file, items, digests)
        checked.append(Checked(case_file, items, findings, state))
    photos.save()
    duplicates = duplicate_findings(found)
    for one in checked:
        one.findings += duplicates.get(one.case_file.path, [])
    if seal:
        for one in checked:
            _seal(one, digests, force=force)
    return checked


WARM_MIN = 32  # fewer photos than this decode faster than worker processes start


def warm_photos(photos, case_files: list[CaseFile], workers: int | None = None) -> None:
    """Decode the images the cache does not know yet on every core: the check that follows
    then finds them all in the cache (the decoding is most of a first check's time)."""
    import os
    from concurrent.futures import ProcessPoolExecutor

    from casegen.checks.evidence import required_items
    from casegen.checks.files import IMAGE_SUFFIXES, photo_facts_job, resolve_inside

    workers = workers or os.cpu_count() or 1
    todo = set()
    for case_file in case_files:
        for *_, file in required_items(case_file.case, case_file.facts.has_works):
            if file is None or Path(file).suffix.lower() not in IMAGE_SUFFIXES:
                continue
            real = resolve_inside(case_file.path.parent, file)
            try:
                if isinstance(real, Path) and not photos.lookup(real, real.stat()):
                    todo.add(real)
            except OSError:
                continue  # the check itself says what is wrong with it
    if workers < 2 or len(todo) < WARM_MIN:
        return
    with ProcessPoolExecutor(min(workers, len(todo) // WARM_MIN + 1)) as pool:
        for real, status, facts in pool.map(photo_facts_job, sorted(todo), chunksize=16):
            if facts is not None:
                photos.store(real, status, facts)


def _seal(checked: Checked, digests, *, force: bool) -> None:
    from casegen.case.load import os_reason
    from casegen.checks.seal import INTACT, SEALED, other_case_files, write_seal

    state = checked.seal
    others = other_case_files(checked.case_file.path)
    if others:
        state.refused = f"文件夹中还有其他案例文件（{'、'.join(others)}）：一个案例一个文件夹才能封存"
    elif not checked.complete and not force:
        problems = len(gate(checked.findings, Product.CHECK))
        state.refused = f"实证材料有 {problems} 项问题，未封存（核对无误后可加 --force 封存）"
    elif state.status == INTACT:
        return  # sealed before and unchanged: the first seal's time stands
    else:
        try:
            state.written = write_seal(checked.case_file.path, digests)
            state.status = SEALED
        except OSError as e:
            state.refused = f"封存清单写入失败（{os_reason(e) if e.errno else e}）"


def draw_one(case_file: CaseFile, out_dir: Path, stem: str, *, svg: bool = True) -> list[Path]:
    """The sketch of one prepared case as PNG (for the document) and SVG (for print)."""
    from casegen.outputs.sketch import SketchInput, draw

    png = out_dir / f"{stem}_工程建设简图.png"
    vector = png.with_suffix(".svg") if svg else None
    if case_file.case is not None:
        drawing = SketchInput.from_case(case_file.case)
    else:  # the contract failed elsewhere in the file: the grid alone is enough to draw
        drawing = SketchInput.from_data(case_file.raw.data, customer_name(case_file))
    draw(drawing, png, vector)
    return [png, vector] if vector else [png]
