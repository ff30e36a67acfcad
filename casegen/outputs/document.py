"""The 附件3 document: a typed case and its facts poured into the docxtpl template."""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import re
import warnings
import zipfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from zipfile import ZIP_DEFLATED, ZIP_STORED, ZipFile

import jinja2
from docx.opc.pkgwriter import PackageWriter
from docx.oxml.ns import nsmap
from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage, RichText

from casegen import __version__
from casegen.base.collation import display_width
from casegen.base.errors import CaseError, Finding
from casegen.base.policy import NOTICE
from casegen.base.templating import jinja_environment, template_problem
from casegen.base.writing import atomic_path
from casegen.case.derive import Facts, address_text, capacity_note, day_text, number_text, use_text
from casegen.case.model import Case
from casegen.checks.evidence import GENERATED, MISSING, NOT_APPLICABLE, PROVIDED, Item

# docxtpl imports docxcompose, which points python-docx's "cp" prefix at the custom-properties
# namespace, for every document: "last modified by" was then written twice, once under a name
# Word rejects. The core-properties namespace back, as python-docx has it (docxcompose names its
# own namespaces in its own queries).
nsmap["cp"] = "http://schemas.openxmlformats.org/package/2006/metadata/core-properties"

PENDING = "【待补充：客户原话】"
STATUS_COLOURS = {MISSING: "C00000", NOT_APPLICABLE: "808080", PROVIDED: "000000",
                  GENERATED: "000000"}


def making_stamp(template: Path | None) -> str:
    """What a document was made with: casegen's version and the template's SHA-256 (head).
    Kept in the document's properties (dc:identifier), so that a batch re-renders a document
    made with another template or another casegen, however old the files' times."""
    path = Path(template or default_template())
    return f"casegen {__version__}；模板 {_template_digest(path, path.stat().st_mtime_ns)}"


@cache
def _template_digest(path: Path, _mtime_ns: int) -> str:  # once per template and change
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def stamp_of(document: Path) -> str | None:
    """The making stamp a rendered .docx carries, or None (not ours, or unreadable)."""
    try:
        with zipfile.ZipFile(document) as package:
            core = package.read("docProps/core.xml").decode("utf-8")
    except (OSError, KeyError, zipfile.BadZipFile, UnicodeDecodeError):
        return None
    found = re.search(r"<dc:identifier>([^<]*)</dc:identifier>", core)
    return html.unescape(found.group(1)) if found else None


def default_template() -> Path:
    """The template shipped in the wheel, or the one in the source tree."""
    package = Path(__file__).parent.parent
    for candidate in (package / "templates", package.parent / "templates"):
        if (candidate / "case_template.docx").is_file():
            return candidate / "case_template.docx"
    raise FileNotFoundError("casegen 安装不完整：找不到 case_template.docx")


def photo_caption(photo) -> str:
    """A photo's caption: its stage and its words (施工前：…); a photo of no stage (其他) is its
    words alone, never "其他：…"."""
    stage = "" if photo.stage == "其他" else photo.stage
    if photo.caption:
        return f"{stage}：{photo.caption}" if stage else photo.caption
    return stage or "现场图片"


# --- the sketch on page 1 when it fits there, scaled no smaller than a label can be read ---------

TYPE_AREA_MM = 225.0  # GB/T 9704: 297 mm less 37 mm and 35 mm of margins
LINE_MM = 28.95 * 25.4 / 72  # the template's line pitch: 22 lines in the type area
LINE_UNITS = 56  # half-widths in a line of 三号 (28 characters across 156 mm)
SKETCH_LABEL_PT = 9.0  # the sketch's labels at its natural width (outputs.sketch.FONT_PT)
READABLE_PT = 6.5  # 小六, the smallest size print uses for words to be read: the scale's floor
TITLE_LINES = 6.0  # 附件3, a blank line, the title (二号), the subtitle, a blank line, 一、项目简介 (measured)
AFTER_TEXT_LINES = 1  # 附：工程建设简图 (kept with the picture)
LEAD_IN = "详细情况请见下图。"  # the template ends the paragraph before the figure with it


def _lines(text: str, indent: int = 4) -> int:
    """The lines a body paragraph takes (its first line indented two characters)."""
    return max(1, -(-(display_width(text) + indent) // LINE_UNITS))


def sketch_width_mm(case: Case, facts: Facts, notes: list, size: tuple[int, int],
                    natural_mm: float = 150.0) -> float:
    """The sketch's width in the document: its natural width, or less when that keeps it on page 1
    beside a short case's text (it would otherwise move to page 2 with its lead-in and leave page 1
    half empty), but never smaller than READABLE_PT for its labels. An estimate of the default
    template's first page: the paragraphs before the sketch, counted in lines."""
    customer, application = case.customer, case.application
    opening = (f"{customer.name}为低压供电非居民客户，属于{facts.kind_text}项目。客户已送电，"
               f"接电周期 {facts.working_days} 个工作日（{facts.calendar_days} 个日历日）。")
    introduction = (f"{customer.name}（户号：{customer.account_no}）位于{address_text(customer.address)}，"
                    f"于XXXX年XX月XX日向{case.unit.company}提出{application.business_type}用电申请，申请容量 "
                    f"{number_text(application.capacity_kw)} 千瓦{capacity_note(case)}，用于{use_text(case)}。"
                    "XXXX年XX月XX日完成送电。" + ("" if facts.has_works else LEAD_IN))
    text_lines = (TITLE_LINES + _lines(f"——{customer.name}", 0) - 1 + _lines(opening)
                  + sum(_lines(target_note_text(f)) for f in notes) + _lines(introduction)
                  + (_lines(facts.works_text + LEAD_IN) if facts.has_works else 0) + AFTER_TEXT_LINES)
    room = TYPE_AREA_MM - text_lines * LINE_MM - LINE_MM / 4  # a quarter line below the picture
    height = natural_mm * size[1] / size[0]
    if height <= room:
        return natural_mm
    scale = room / height
    return round(natural_mm * scale, 1) if scale >= READABLE_PT / SKETCH_LABEL_PT else natural_mm


def png_size(path: Path) -> tuple[int, int]:
    """A PNG's width and height in pixels, from its header."""
    with open(path, "rb") as handle:
        head = handle.read(24)
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


@dataclass(frozen=True)
class Picture:
    """A picture to place in the document: its file and its width on the page."""

    path: Path
    width_mm: float
    caption: str = ""


# every name the template may use: what `context` gives (a test holds the two together)


def context(case: Case, facts: Facts, evidence: list[Item], *, sketch=None, photos=(),
            notes=()) -> dict:
    """Everything the template shows, as plain values (docxtpl escapes them)."""
    customer, application = case.customer, case.application
    estimate = ""
    if facts.estimated_years:
        years = "、".join(str(y) for y in facts.estimated_years)
        estimate = RichText(f"（{years} 年放假安排尚未公布，工作日为估算）", color="C00000")
    return {
        "name": customer.name,
        "account_no": customer.account_no,
        "address": address_text(customer.address),
        "company": case.unit.company,
        "business_type": application.business_type,
        "capacity": number_text(application.capacity_kw),
        "capacity_note": capacity_note(case),
        "use": use_text(case),
        "applied_on": day_text(application.date, with_year=True),
        "energized_on": day_text(case.timeline.energized, with_year=True),
        "kind_text": facts.kind_text,
        "working_days": facts.working_days,
        "calendar_days": facts.calendar_days,
        "estimate_note": RichText(estimate) if isinstance(estimate, str) else estimate,
        "has_works": facts.has_works,
        "works_text": facts.works_text,
        "sketch": sketch,
        "customer_steps": customer_steps_line(facts.customer_steps),
        "steps": facts.steps,
        "feedback": _feedback(case),
        "evidence": [_evidence_row(item) for item in evidence],
        "evidence_groups": _evidence_groups(evidence),
        "evidence_summary": _evidence_summary(evidence),
        "photos": list(photos),
        "target_notes": [_target_note(f) for f in notes],
    }


HEADING_UNITS = 52  # half-widths on a 三号 line after the two-character indent
_SCRIPT_CHANGE = re.compile(r"(?<=[0-9A-Za-z])(?=[^\x00-\x7f])|(?<=[^\x00-\x7f])(?=[0-9A-Za-z])")


def customer_steps_line(steps: str) -> str:
    """（一）客户环节's two steps: on one line when they fit, else the second on a line of its own
    (申请签约（…），⏎装表接电（…）), so that no date is broken across two lines ("装表接电（10" at
    a line's end, "月14日）" below: LibreOffice breaks where the script changes, whatever joiner
    stands there). The width counts the quarter-em the word processor puts between a digit and a
    Chinese character."""
    line = f"（一）客户环节：{steps}"
    width = display_width(line) + len(_SCRIPT_CHANGE.findall(line)) / 2
    if width <= HEADING_UNITS or "，" not in steps:
        return steps
    first, second = steps.split("，", 1)
    return f"{first}，\n{second}"


def target_note_text(finding) -> str:
    """A missed service target as the document states it: the target, the figure, the clause."""
    told = finding.message
    if finding.label and told.startswith(("为", "未")):
        told = f"{finding.label}{told}"
    told = re.sub(r" ?(\d{4})-(\d{2})-(\d{2}) ?",
                  lambda m: f"{int(m[1])}年{int(m[2])}月{int(m[3])}日", told)  # dates as the text writes them
    clause = finding.clause
    cited = f"{NOTICE} {clause.section}：“{clause.words}”" if clause.quoted else clause.section
    return f"【核验提示】{told}（{cited}）"


def _target_note(finding):
    return RichText(target_note_text(finding), color="C00000", bold=True)


def _feedback(case: Case) -> list[dict]:
    rows = []
    for key, aspect in (("steps", "环节"), ("time", "时间"), ("cost", "成本")):
        words = getattr(case.feedback, key)
        text = RichText()
        if words:
            text.add(f"“{words}”")
        else:
            text.add(PENDING, color="C00000", bold=True)  # docxtpl highlight writes an invalid w:shd
        rows.append({"aspect": aspect, "words": text})
    return rows


def _evidence_row(item: Item) -> dict:
    status = RichText(item.status, color=STATUS_COLOURS.get(item.status, "C00000"),
                      bold=item.is_gap)
    if item.group == "现场图片" and item.usable and item.photo is not None and item.photo.taken is None:
        status.add("（无拍摄时间，未能与办理时间核对）", color="808080")  # as check reminds
    return {"group": item.group, "name": item.name,
            "required": "是" if item.required else "否",
            "status": status, "file": _file_name(item.file)}


FILE_COLUMN_WIDTH = 21  # half-widths: the template's 文件 column (58 mm) holds 10½ 四号 characters


def _file_name(file: str | None) -> str:
    """The file's own name (not its folder). A name too long for its column is broken after a
    "_" (docxtpl makes the newline a line break), so that "<客户名称>_工程建设简图.png" does not
    break inside the customer's name; no invisible characters, which a copied name would keep."""
    if not file:
        return "—"
    name = file.replace("\\", "/").rsplit("/", 1)[-1]
    lines = [""]
    for part in re.findall(r"[^_]*_|[^_]+$", name):
        # a new line for a part that fills one: a part wider than the column is left to the
        # word processor, and ".pdf" or "_" never stands alone on a line
        worth_a_line = 8 <= display_width(part) <= FILE_COLUMN_WIDTH
        if lines[-1] and worth_a_line and display_width(lines[-1] + part) > FILE_COLUMN_WIDTH:
            lines.append(part)
        else:
            lines[-1] += part
    return "\n".join(lines)



def _evidence_groups(evidence: list[Item]) -> list[dict]:
    """The checklist by 类别, in the seed's order: the table merges each group's first cell."""
    groups: dict[str, list] = {}
    for item in evidence:
        groups.setdefault(item.group, []).append(_evidence_row(item))
    return [{"name": name, "rows": rows} for name, rows in groups.items()]


def _evidence_summary(evidence: list[Item]) -> str:
    gaps = [item for item in evidence if item.is_gap]
    if not gaps:
        return "本案例所需实证材料均已提供，清单如下。"
    return f"本案例尚有 {len(gaps)} 项必需的实证材料缺失或有问题（表中标红），清单如下。"








def render_docx(case: Case, facts: Facts, evidence: list[Item], target: Path, *,
                template: Path | None = None, sketch: Picture | None = None,
                photos: list[Picture] = (), clear_metadata: bool = False,
                notes: list = ()) -> Path:
    """Write the case document to `target` (atomically)."""
    document = DocxTemplate(str(template or default_template()))
    inline = None
    if sketch is not None:
        inline = InlineImage(document, str(sketch.path), width=Mm(sketch.width_mm))
    photo_rows = [
        {"number": n, "caption": p.caption,
         "image": InlineImage(document, str(p.path), width=Mm(p.width_mm))}
        for n, p in enumerate(photos, start=1)
    ]
    try:
        document.render(context(case, facts, evidence, sketch=inline, photos=photo_rows, notes=notes),
                         jinja_env=jinja_environment(), autoescape=True)
    except jinja2.TemplateError as e:
        raise CaseError([Finding("template", template_problem(e), Path(document.template_file))]) from e
    core = document.docx.core_properties
    core.title = f"国网重庆电力小微企业典型案例——{case.customer.name}"
    core.subject = "低压小微企业典型案例（附件3）"
    core.author = core.last_modified_by = "" if clear_metadata else case.unit.company
    core.comments = ""
    core.identifier = making_stamp(template)
    core.created = core.modified = dt.datetime.now(dt.UTC).replace(microsecond=0, tzinfo=None)
    with atomic_path(target) as temporary:
        _save(document, temporary)
    return target


def _save(document, path: Path) -> None:
    save_document(document.docx, path)


def save_document(document, path: Path) -> None:
    """Save a python-docx document, storing the pictures instead of deflating them again (they
    are PNG and JPEG already, and deflate spent a fifth of the document's time on them);
    python-docx's ordinary save, with a warning, if its internals ever change."""
    try:
        _save_stored(document, path)
    except AttributeError:  # python-docx changed its internals: the ordinary save still works

        warnings.warn("python-docx 的内部接口已变，改用其普通保存（图片会再压缩一次，稍慢）；"
                      "pyproject.toml 中的 python-docx 版本范围需要更新", RuntimeWarning, stacklevel=2)
        document.save(str(path))


def _save_stored(document, path: Path) -> None:
    """python-docx's package writer, with a zip writer of ours that stores word/media/."""
    package = document.part.package
    parts = list(package.parts)
    for part in parts:
        part.before_marshal()
    with ZipFile(path, "w", ZIP_DEFLATED) as archive:
        class Writer:
            @staticmethod
            def write(pack_uri, blob):
                name = pack_uri.membername
                kind = ZIP_STORED if name.startswith("word/media/") else ZIP_DEFLATED
                archive.writestr(name, blob, compress_type=kind)

        PackageWriter._write_content_types_stream(Writer, parts)
        PackageWriter._write_pkg_rels(Writer, package.rels)
        PackageWriter._write_parts(Writer, parts)
