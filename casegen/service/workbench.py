"""What the workbench asks beyond the command line's actions: a case checked and drawn as the form
holds it, the form saved into the case file (comments and key order kept), uploads kept as
evidence, and the workbooks of the served folder. Refusals carry a status and a Chinese reason."""

from __future__ import annotations

import hashlib
import hmac
import io
import re
import shutil
import tempfile
from collections import OrderedDict
from pathlib import Path

import matplotlib
import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from casegen.base.errors import CaseError, PdfFailed
from casegen.base.policy import Product
from casegen.base.writing import safe_name, write_bytes
from casegen.case.calendar import WorkCalendar
from casegen.case.load import decode, load_raw, scalar_problem
from casegen.case.model import VALUE_LABELS, Case, blank, label_of, said, spoken_path, submodel
from casegen.case.reading import read_raw
from casegen.case.scaffold import EVIDENCE_GUIDE_NAME
from casegen.checks import history
from casegen.checks.files import MAGIC, PhotoCache
from casegen.office.pdf import ToolMissing
from casegen.outputs.sketch import SketchInput, draw_figure
from casegen.service.authoring import new_case
from casegen.service.cases import assess, customer_name
from casegen.service.documents import render_case
from casegen.service.evidence import audit_case
from casegen.service.tables import ledger, roster

MAX_UPLOAD_BYTES = 20_000_000
UPLOAD_SUFFIXES = {".pdf", ".jpg", ".jpeg", ".png", ".gif", ".bmp", ".tif", ".tiff", ".webp", ".doc", ".docx",
                   ".xls", ".xlsx"}


class Refused(Exception):
    """A request casegen will not do, with the Chinese reason and the HTTP status (and, for a
    conflict, the others' changes since the page was opened)."""

    def __init__(self, status: int, message: str, since: list | None = None, *, confirm: bool = False,
                 problems: list[str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.since = since or []
        self.confirm = confirm  # the same request again, confirmed, is done
        self.problems = problems or []


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def same_secret(given, expected: str) -> bool:
    """Constant-time comparison of any text a request carries (compare_digest refuses non-ASCII
    str: that must be a 403, not a crash)."""
    return hmac.compare_digest(str(given).encode("utf-8", "replace"), expected.encode("utf-8"))


def form_text(data: dict) -> str:
    """The YAML text of a submitted form's data (for checking it before it is saved)."""
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def check_form(path: Path, data: dict, calendar: WorkCalendar, photos: PhotoCache):
    """The case as the form holds it now: its findings, its evidence checklist, the photos'
    times against its timeline and its callback (as `check` says them; the cross-case checks
    need the whole folder and stay with `check`)."""
    return _audited(assess(path, calendar, text=form_text(data)), photos)


def check_file(path: Path, calendar: WorkCalendar, photos: PhotoCache):
    """The case as its file holds it now, checked as `check_form` checks a form (what a
    reviewer approves)."""
    return _audited(assess(path, calendar), photos)


def _audited(case_file, photos: PhotoCache):
    items = []
    if case_file.case is not None:
        items, audited = audit_case(case_file, photos)
        case_file.findings.extend(audited)
    return case_file, items


def sketch_svg(case_file) -> str:
    """The sketch as SVG; drawn again only when what it is drawn from changed (most typing is
    in other fields)."""
    drawing = SketchInput.from_case(case_file.case) if case_file.case is not None else \
        SketchInput.from_data(case_file.raw.data, customer_name(case_file))
    key = repr(drawing)
    if key not in _SKETCHES:
        _SKETCHES[key] = _drawn(drawing)
        while len(_SKETCHES) > 32:
            _SKETCHES.popitem(last=False)
    _SKETCHES.move_to_end(key)
    return _SKETCHES[key]


_SKETCHES: OrderedDict[str, str] = OrderedDict()  # the last sketches drawn, by what they show


def _drawn(drawing) -> str:
    buffer = io.StringIO()
    # text as text: the browser sets it in the page's CJK font, and the preview is drawn in
    # half the time of glyphs turned into paths
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "casegen"}):
        draw_figure(drawing).savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    text = text[text.index("<svg"):]
    # nothing on the page but the drawing: matplotlib's metadata and its one style rule (which
    # a page's text, as a screen reader or a copy reads it, would carry) as the root's attributes
    text = re.sub(r"\s*<metadata>.*?</metadata>", "", text, count=1, flags=re.S)
    style = re.search(r"\s*<defs>\s*<style[^>]*>\*\{stroke-linejoin: (\w+); stroke-linecap: (\w+)\}</style>\s*</defs>",
                      text)
    if style:
        text = text[:style.start()] + text[style.end():]
        text = text.replace("<svg ", f'<svg stroke-linejoin="{style[1]}" stroke-linecap="{style[2]}" ', 1)
    return text


def _round_trip() -> YAML:
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)  # "  - item", as casegen new and the examples write
    return yaml


# The case files this server has shown in a form, by SHA-256 → whether the loader read them whole.
# A save holds the file it overwrites to the one its page showed (the same digest), so it needs
# no second parse to know the form could show it; a file never shown here is read by the loader.
_SHOWN: OrderedDict[str, bool] = OrderedDict()


def _shown(digest_: str, whole: bool) -> None:
    _SHOWN[digest_] = whole
    _SHOWN.move_to_end(digest_)
    while len(_SHOWN) > 256:
        _SHOWN.popitem(last=False)


APPROVED_EDIT = ("这个案例已通过审核：保存修改后审核即作废，案例回到草稿，须重新提交审核。"
                 "确定要保存吗？")


def save_form(path: Path, data: dict, opened_digest: str, user: str = "", *,
              confirmed: bool = False) -> tuple[str, str]:
    """Write the form into the case file: comments and key order kept (ruamel.yaml round
    trip), atomically; refused when the file changed on disk since the page was opened (with
    the changes recorded since). The save is recorded in the case's history: who, when, and
    each field's old and new value. A real change of an approved case is refused until
    `confirmed` (its approval is lost). Returns the new digest and the case's review state.

    Under the case's lock the file is read once, hashed once and parsed once (by the round
    trip; the loader's verdict on it is the one its page was shown with), and the history is
    read once; the changes come from the merge itself, not from reading the file back."""
    with history.locked(path):
        current = path.read_bytes()
        now = digest(current)
        found = history.read_history(path, digest=now)
        if not same_secret(opened_digest, now):
            raise Refused(409, "文件在你打开之后被改过（可能是别人或另一个窗口）：为免覆盖，没有保存。"
                               "下面是别人的改动；你填写的内容仍在页面上。", since=found.since(str(opened_digest)))
        if not _SHOWN.get(now, False):
            _refuse_unloadable(path, current, now)
        try:
            document = _round_trip().load(current.decode("utf-8-sig"))
        except Exception:  # ruamel's many kinds of error: one refusal, in Chinese
            raise Refused(422, "这个文件的 YAML 格式工作台无法保留，为免丢失内容不在这里保存："
                               "请先用文本编辑器改正。") from None
        if not isinstance(document, dict):
            raise Refused(422, "这个文件最外层不是“键: 值”形式，不在工作台保存：请先用文本编辑器改正。")
        changes: list[list] = []
        merged = _merge(document, data, Case, (), changes)
        if not changes:
            return now, found.state  # nothing changed: the file is left as it is
        if found.state == history.APPROVED and not confirmed:
            raise Refused(409, APPROVED_EDIT, confirm=True)
        note_outside_change(path, user, found)
        buffer = io.StringIO()
        _round_trip().dump(merged, buffer)
        written = buffer.getvalue().encode("utf-8")
        write_bytes(path, written)
        new = digest(written)
        history.record(path, user, "保存", changes=changes, history=found, digest=new)
        _shown(new, _clean(data))
        return new, found.state


def _refuse_unloadable(path: Path, blob: bytes, digest_: str) -> None:
    """Refuse to save over a file the form could not show whole (it would be saved empty)."""
    try:
        load_raw(path, text=decode(blob, path))
    except CaseError as e:  # anything the loader refuses could not be shown in the form: never saved over
        told = "；".join(f.in_file for f in e.findings[:3])
        raise Refused(422, f"这个文件有格式问题，工作台不能完整显示它，为免丢失内容不在这里保存：{told}。"
                           "请先用文本编辑器改正。") from None
    _shown(digest_, True)


def _clean(data) -> bool:
    """Whether every value of the form is one the loader takes as it is (so the file written
    from it is one the form can show again)."""
    if isinstance(data, dict):
        return all(_clean(v) for v in data.values())
    if isinstance(data, list):
        return all(_clean(v) for v in data)
    return not isinstance(data, str) or scalar_problem(data) is None


REVIEW_STATES = (history.DRAFT, history.PENDING, history.RETURNED, history.APPROVED)
REVIEW_ACTIONS = (history.SUBMIT, history.APPROVE, history.SEND_BACK)
ALONE = history.ALONE
# Declared rule of the review (README 审核状态): a case with open evidence problems is approved
# only once the reviewer has seen them and confirmed; the approval's entry says how many there were.
APPROVE_WITH_PROBLEMS = "实证材料有问题的案例，审核人看过问题并确认后才能通过审核；审核记录写明当时有几项问题"


def history_of(path: Path) -> history.History:
    """The case's history, for its page."""
    return history.read_history(path)


def review_state(path: Path) -> str:
    return history.read_history(path).state


def note_outside_change(path: Path, user: str, found: history.History | None = None) -> None:
    """A case changed since its last entry, outside the workbench: said in the history before
    anything else is recorded (what changed in the case file is not known; the files an
    approval bound are named). `found`: the history as the caller read it under the lock."""
    found = found if found is not None else history.read_history(path)
    if found.outside or found.unbound:
        told = ["案例文件在工作台之外被改过，改动内容不明"] if found.outside else []
        history.record(path, user, "外部改动", comment="；".join(told + found.unbound_text()) + "（由下一次操作发现）",
                       history=found)


def review(path: Path, user: str, action: str, comment: str = "", *, self_review: bool = False,
           confirmed: bool = False, problems: list[str] | None = None) -> str:
    """A review step (提交审核, 通过审核, 退回修改) recorded in the history; the new state. An
    approval needs a second person: not the one who last submitted or changed the case, unless
    `self_review` (a one-person station), which its entry then says. An approval of a case with
    evidence `problems` is refused until `confirmed` (APPROVE_WITH_PROBLEMS)."""
    comment = comment.strip()
    with history.locked(path):
        found = history.read_history(path)
        state = found.state
        allowed = {history.SUBMIT: (history.DRAFT, history.RETURNED), history.APPROVE: (history.PENDING,),
                   history.SEND_BACK: (history.PENDING, history.APPROVED)}
        if action not in allowed:
            raise Refused(400, f"不认识的审核操作：{action[:20]}")
        if state not in allowed[action]:
            raise Refused(409, f"案例现在是“{state}”，不能{action}")
        if action == history.SEND_BACK and not comment:
            raise Refused(400, "退回修改须写明意见：请在意见框中写明要改什么，再点“退回修改”")
        alone = action == history.APPROVE and found.last_author() == user
        if alone and not self_review:
            raise Refused(403, f"通过审核须由另一人：最后提交或修改这个案例的是{user}本人（两人核对）。"
                               "只有一人的供电所，请管理员在启动工作台时允许同一人审核")
        if action == history.APPROVE and problems and not confirmed:
            raise Refused(409, f"实证材料还有 {len(problems)} 项问题（见下）。{APPROVE_WITH_PROBLEMS}。"
                               "确认仍要通过吗？", confirm=True, problems=problems)
        if action == history.APPROVE and problems:
            comment = (comment + "；" if comment else "") + f"审核时实证材料问题 {len(problems)} 项，审核人已确认"
        note_outside_change(path, user, found)
        bound = _bound(path) if action == history.APPROVE else None
        history.record(path, user, action, comment=comment[:2000], alone=alone, bound=bound, history=found)
        return history.REVIEW_STATES[action]


def _bound(path: Path) -> dict[str, str]:
    """What an approval vouches for: the case file and every other file of its folder, by hash."""
    try:
        return history.bound_files(path)
    except OSError as e:
        raise Refused(409, f"案例文件夹中有文件无法读取，审核不能为它们作证：{e}") from None


def _merge(target, new, model, path: tuple, changes: list[list]):
    """`new` written into the loaded document: values replaced in place, keys the form left
    empty kept but emptied (their comments stay), new keys added at the end. Keys the contract
    does not know (the form cannot show them) are left exactly as they are. Each value changed
    is added to `changes` as [dotted key, old, new] (plain values), as the history records it."""
    if isinstance(new, dict) and isinstance(target, CommentedMap) and model is not None:
        fields = model.model_fields
        for key in list(target):
            if key in fields and key not in new and not _empty(target[key]):
                _changed(changes, (*path, key), target[key], None)
                target[key] = None
        for key, value in new.items():
            child = submodel(fields[key].annotation) if key in fields else None
            if key in target:
                target[key] = _merge(target[key], value, child, (*path, key), changes)
            else:
                _changed(changes, (*path, key), None, value)
                target[key] = _styled(value, target)
        return target
    if isinstance(new, list) and isinstance(target, CommentedSeq):
        flow = target.fa.flow_style()
        for index, value in enumerate(new):
            if index < len(target):
                target[index] = _merge(target[index], value, model, (*path, index), changes)
            else:
                _changed(changes, (*path, index), None, value)
                target.append(_styled(value, target))
        for index in range(len(new), len(target)):
            _changed(changes, (*path, index), target[index], None)
        del target[len(new):]
        if flow:
            target.fa.set_flow_style()
        return target
    if isinstance(new, bool):
        if type(target).__name__ in ("bool", "ScalarBoolean") and bool(target) is new:
            return target  # False stays False, not false
    elif not isinstance(new, dict | list) and target == new:
        return target  # the same value: kept as the file writes it (0.40 stays 0.40)
    _changed(changes, path, target, new)
    return _styled(new, None)


def _changed(changes: list[list], path: tuple, old, new) -> None:
    old, new = _plain(old), _plain(new)
    if _text(old) != _text(new):  # "100" quoted and 100 plain are one value to the loader
        changes.append([".".join(map(str, path)), old, new])


def _plain(value):
    """A value of the round-trip document or of the form as JSON holds it (dates as text)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return int(value) if float(value).is_integer() else float(value)
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _text(value) -> str:
    return "" if value is None or value == "" else str(value).lower() if isinstance(value, bool) else str(value)


def _empty(value) -> bool:
    """Nothing written: also a section whose keys are all empty (a new case's 回访, 实证材料)."""
    return blank(value) or (isinstance(value, list | dict | str) and not value)


def _styled(value, sibling):
    """A new value in the file's style: date ranges and short lists inline."""
    if isinstance(value, list):
        seq = CommentedSeq(_styled(v, None) for v in value)
        if all(not isinstance(v, dict | list) for v in value):
            seq.fa.set_flow_style()
        return seq
    if isinstance(value, dict):
        mapping = CommentedMap((k, _styled(v, None)) for k, v in value.items())
        if all(not isinstance(v, dict) for v in value.values()) and isinstance(sibling, CommentedSeq):
            mapping.fa.set_flow_style()
        return mapping
    return value


def upload(root: Path, path: Path, files: list[tuple[str, bytes]], user: str = "") -> list[str]:
    """Keep uploaded files in the case's evidence/ folder, all checked before any is written and
    none over an existing file, each recorded in the case's history (name, size, SHA-256);
    returns their paths as the case file writes them (evidence/…)."""
    folder = path.parent / "evidence"
    if folder.exists() and not folder.is_dir():
        raise Refused(409, "evidence 不是文件夹：请先把同名的文件改名")
    if not inside(root, folder):
        raise Refused(403, "evidence 文件夹指向案例文件夹之外：不在这里存放上传的文件")
    names = [_checked_upload(name, data) for name, data in files]
    stored = []
    with history.locked(path):
        if names:
            note_outside_change(path, user)  # before the files: they are this upload's, not an outside change
        for name, (_, data) in zip(names, files, strict=True):
            target = _free_name(folder, name)
            write_bytes(target, data)
            stored.append(f"evidence/{target.name}")
        if stored:
            history.record(path, user, "上传", files=[f"{name}（{len(data)} 字节，SHA-256 {digest(data)[:16]}…）"
                                                      for name, (_, data) in zip(stored, files, strict=True)])
    return stored


def _free_name(folder: Path, name: str) -> Path:
    """The name, or name_2, name_3 …: an upload never replaces evidence already there."""
    stem, suffix = Path(name).stem, Path(name).suffix
    target, number = folder / name, 2
    while target.exists() or target.is_symlink():
        target, number = folder / f"{stem}_{number}{suffix}", number + 1
    return target


def _checked_upload(name: str, data: bytes) -> str:
    """The safe file name of an acceptable upload, or a refusal saying why."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise Refused(413, f"文件过大（上限 {MAX_UPLOAD_BYTES // 1_000_000} MB）：{name}")
    suffix = Path(name).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        raise Refused(415, f"不接受这种文件（{suffix or '无扩展名'}）：只接受 PDF、图片、Word、Excel")
    magic = MAGIC.get(suffix)
    if not data or (magic and not data.startswith(magic)):
        raise Refused(415, f"文件内容与扩展名 {suffix} 不符：{name}")
    return f"{safe_name(Path(name).stem.replace('..', '_'), 100)}{suffix}"


def evidence_files(path: Path) -> list[str]:
    folder = path.parent / "evidence"
    if not folder.is_dir():
        return []
    return sorted(f"evidence/{p.name}" for p in folder.iterdir()
                  if p.is_file() and not p.name.startswith(".") and p.name != EVIDENCE_GUIDE_NAME)


def inside(root: Path, path: Path) -> bool:
    """Whether `path`, links followed, stays in the folder `root`."""
    try:
        real_root = root.resolve()
        real = path.resolve()
    except (OSError, RuntimeError):
        return False
    return real == real_root or real_root in real.parents


def sketch_preview(path: Path, data: dict, calendar: WorkCalendar) -> str | None:
    """The sketch of the case as the form holds it, as SVG; None when its grid cannot be drawn."""
    case_file = assess(path, calendar, text=form_text(data))
    if case_file.stopped(Product.DRAW):
        return None
    return sketch_svg(case_file)


def form_data(path: Path) -> tuple[dict, str, str]:
    """The case file's data for the form, why the form cannot show it whole (empty: it can), and
    the digest of the bytes it was read from (the save holds the page to them)."""
    blob = path.read_bytes()
    shown = digest(blob)
    try:
        data = read_raw(path, text=decode(blob, path)).data
    except CaseError as e:  # the form could not show it: said, and saving is refused
        _shown(shown, False)
        return {}, "；".join(f.in_file for f in e.findings[:5]), shown
    _shown(shown, True)
    return data, "", shown


def create_case(root: Path, name: str, user: str = "") -> Path:
    """A new case in its own folder under `root`, from the scaffold; returns its case file."""
    folder_name = safe_name(name.strip().replace("..", "_"), 100)
    if not name.strip():
        raise Refused(400, "请填写新案例的文件夹名称（如客户简称）")
    path = root / folder_name / "case.yaml"
    if (root / folder_name).is_symlink() or not inside(root, path.parent.parent):
        raise Refused(403, f"不能在这里新建：{folder_name}")
    if (root / folder_name).exists():
        raise Refused(409, f"已有同名案例：{folder_name}")
    try:
        new_case(path)
    except FileExistsError:
        raise Refused(409, f"已有同名案例：{folder_name}") from None
    with history.locked(path):
        history.record(path, user, "新建")
    return path


def document(path: Path, kind: str, calendar: WorkCalendar) -> Path:
    """The case's document (`kind` docx or pdf) in a temporary folder of its own, which the
    caller removes when it has sent it."""
    if kind not in ("docx", "pdf"):
        raise Refused(404, "只能下载 .docx 或 .pdf")
    out = Path(tempfile.mkdtemp(prefix="casegen-serve-"))
    try:
        return render_case(path, out, calendar=calendar, pdf=kind == "pdf").outputs[0]
    except CaseError as e:
        shutil.rmtree(out, ignore_errors=True)
        missing = [f for f in e.findings if f.rule == "required"]
        if missing:
            named = "、".join(spoken_path(f.key_path) for f in missing[:10] if f.key_path)
            raise Refused(422, f"案例还未填完（{len(missing)} 项必填未填），不生成文档：{named}"
                               + ("等" if len(missing) > 10 else "")) from None
        told = "；".join(said(f) for f in e.findings[:5])
        raise Refused(422, f"数据有错误或超出适用范围，不生成文档：{told}") from None
    except ToolMissing as e:
        shutil.rmtree(out, ignore_errors=True)
        raise Refused(501, str(e)) from None
    except PdfFailed as e:
        shutil.rmtree(out, ignore_errors=True)
        raise Refused(500, str(e)) from None


def workbook(root: Path, which: str) -> Path:
    """附件2 or 附件1 of the served folder, in a temporary folder the caller removes."""
    if which not in ("附件2", "附件1"):
        raise Refused(404, "没有这个表")
    out = Path(tempfile.mkdtemp(prefix="casegen-serve-")) / f"{which}.xlsx"
    if which == "附件2":
        ledger([root], out)
    else:
        roster([root], out)
    return out


def photo_cache() -> PhotoCache:
    """The photo facts the workbench keeps in memory for its life (a photo is decoded once)."""
    return PhotoCache(None)


# --- the history as a clerk reads it -------------------------------------------------------------

def readable_change(key: str, old, new) -> tuple[str, str, str]:
    """A recorded change as the page says it: the field's Chinese name (联系电话, 接入路径第 2 项
    的长度) and each value in words (是/否, 电缆, 回访人：王某，…; （空） for nothing)."""
    path = tuple(int(part) if part.isascii() and part.isdigit() else part for part in key.split("."))
    said = spoken_path(path) or key
    if len(path) > 1 and label_of(path[:1]):  # 客户·联系电话: the section says which 环节 it is
        said = f"{label_of(path[:1])}·{said}"
    return said, readable_value(path, old), readable_value(path, new)


def readable_value(path: tuple, value) -> str:
    if value is None or value == "" or value == []:
        return "（空）"
    if isinstance(value, bool) or (isinstance(value, str) and value.lower() in ("true", "false")):
        return "是" if str(value).lower() == "true" else "否"
    if isinstance(value, dict):
        return "，".join(f"{label_of((*path, k)) or k}：{readable_value((*path, k), v)}" for k, v in value.items())
    if isinstance(value, list):
        return "；".join(readable_value((*path, n), v) for n, v in enumerate(value))
    return VALUE_LABELS.get(str(value), str(value))
