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
        "customer_steps": facts.customer_steps,
        "steps": facts.steps,
        "feedback": _feedback(case),
        "evidence": [_evidence_row(item) for item in evidence],
        "evidence_groups": _evidence_groups(evidence),
        "evidence_summary": _evidence_summary(evidence),
        "photos": list(photos),
        "target_notes": [_target_note(f) for f in notes],
    }


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
    return {"group": item.group, "name": item.name,
            "required": "是" if item.required else "否",
            "status": status, "file": _file_name(item.file)}


FILE_COLUMN_WIDTH = 34  # half-widths: the template's 文件 column (3937 twips) holds 17 五号 characters


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
