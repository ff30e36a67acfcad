"""Workbooks: the 附件2 ledger and the 附件1 roster (openpyxl, write-only, written atomically)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from casegen.base.collation import display_width
from casegen.base.writing import atomic_path
from casegen.outputs.ledger import BY_HEADER, CYCLE, HEADERS, MARK_ERROR, WORKS, LedgerRow

ROSTER_COLUMNS = ("序号", "供电单位", "供电所", "服务片区（行政区域）", "是否营配融合", "营销客户经理",
                  "配电项目经理")
HEADER_FILL, ERROR_FILL, TARGET_FILL = "D9D9D9", "FFC7CE", "FFEB9C"
FORMULA_STARTS = ("=", "+", "-", "@")
UNIT = {"working": "工作日", "calendar": "日历天"}
DAYS_NOTE = {
    "working": "节假日与调休按国务院办公厅公布的安排（尚未公布的年份按法定节假日推算，见 casegen validate）。",
    "calendar": "按日历天计，不区分工作日与节假日。",
}


def column_notes(days: str) -> list[str]:
    """What each derived column means, in the words of the 说明 sheet."""
    unit = UNIT[days]
    return [
        f"{CYCLE}：业务受理时间至装表送电时间的{unit}数，受理当日不计、送电当日计"
        "（《民法典》第二百零一条的计算方法，与附件3 文档中的接电周期一致）。" + DAYS_NOTE[days],
        f"{WORKS}：配套工程第一个环节（外线设计、施工准备、行政审批或施工中最早的一个）至工程竣工时间的"
        f"{unit}数，与全流程时长同样计算（第一天不计、竣工当天计）；无外线工程为空。",
        "工程实施时间、工程竣工时间：接入工程施工的起止日期（只有一天时两者相同）。",
        "工程金额（万元）：供电企业出资的工程建设总费用（红线外），保留两位小数。",
    ]


def _cell(sheet, value, *, bold=False, fill=None, number_format=None):
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill

    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        cell.data_type = "s"  # a name such as "=HYPERLINK(…)" is text, never a live formula
    if bold:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
    if fill:
        cell.fill = PatternFill("solid", start_color=fill, end_color=fill)
    if number_format:
        cell.number_format = number_format
    return cell


def _table_sheet(book, title: str, columns, rows: list[list], fills: dict[int, str] | None = None):
    """A sheet with a frozen, filtered header and widths fitted to the content."""
    from openpyxl.utils import get_column_letter

    sheet = book.create_sheet(title)
    for index, column in enumerate(columns, start=1):
        sample = [display_width(column)] + [display_width(r[index - 1]) for r in rows[:500]]
        sheet.column_dimensions[get_column_letter(index)].width = min(max(sample) + 2, 48)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(rows) + 1}"
    sheet.append([_cell(sheet, c, bold=True, fill=HEADER_FILL) for c in columns])
    for number, values in enumerate(rows):
        fill = (fills or {}).get(number)
        sheet.append([_cell(sheet, v, fill=fill, number_format=_format(columns[i], v))
                      for i, v in enumerate(values)])
    return sheet


def _format(header: str, value) -> str | None:
    column = BY_HEADER.get(header)
    if column is None or value is None or isinstance(value, str):
        return None
    return column.kind.number_format


def write_ledger(rows: list[LedgerRow], target: Path, *, days: str = "working") -> Path:
    with atomic_path(target) as temporary:  # entered first: an unwritable folder fails early
        _ledger_book(rows, days).save(temporary)
    return target


def _ledger_book(rows: list[LedgerRow], days: str):
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    values = [[row.cells.get(c) for c in HEADERS] for row in rows]
    fills = {i: ERROR_FILL if row.mark == MARK_ERROR else TARGET_FILL
             for i, row in enumerate(rows) if row.mark}
    _table_sheet(book, "低压小微企业项目明细表", HEADERS, values, fills)
    problems = [[row.cells.get("户号"), row.cells.get("户名"), str(row.path), row.mark, f.cls.value,
                 f.rule, str(f), str(f.clause)]
                for row in rows for f in row.problems]
    _table_sheet(book, "核验问题", ("户号", "户名", "案例文件", "标记", "类别", "规则", "问题", "依据"),
                 problems)
    note = book.create_sheet("说明")
    note.column_dimensions["A"].width = 110
    errors = sum(row.mark == MARK_ERROR for row in rows)
    missed = sum(bool(row.mark) for row in rows) - errors
    for line in (
        "附件2 低压小微企业项目明细表（casegen 生成）",
        f"生成日期：{dt.date.today().isoformat()}；案例 {len(rows)} 个，其中数据错误或超出适用范围 {errors} 个"
        f"（红底），超时或未达服务目标 {missed} 个（黄底）；问题见“核验问题”表。",
        *column_notes(days),
    ):
        note.append([line])
    return book


@dataclass(frozen=True)
class TeamRow:
    company: str
    station: str
    area: str
    integrated: str
    customer_manager: str
    project_manager: str


def write_roster(teams: list[TeamRow], target: Path) -> Path:
    from openpyxl import Workbook

    with atomic_path(target) as temporary:
        book = Workbook(write_only=True)
        rows = [[n, t.company, t.station, t.area, t.integrated, t.customer_manager,
                 t.project_manager] for n, t in enumerate(teams, start=1)]
        _table_sheet(book, "“1+1”双经理情况统计", ROSTER_COLUMNS, rows)
        book.save(temporary)
    return target


class ToolMissing(Exception):
    """A program casegen drives (LibreOffice) is not installed."""


LIBREOFFICE_HINT = ("未找到 LibreOffice（soffice）：生成 PDF 需要它。"
                    "请安装：apt-get update && apt-get install -y libreoffice-writer-nogui fonts-noto-cjk")


def libreoffice() -> str:
    import shutil

    found = shutil.which("soffice") or shutil.which("libreoffice")
    if not found:
        raise ToolMissing(LIBREOFFICE_HINT)
    return found


FONT_CONFIG = Path(__file__).parent.parent / "fontconfig" / "fonts.conf"
# the faces the template names → the free faces casegen's fontconfig maps them to
FACES = {"仿宋_GB2312": ("FangSong", "Noto Serif CJK SC"), "方正小标宋简体": ("Noto Serif CJK SC",),
         "黑体": ("Noto Sans CJK SC",), "楷体_GB2312": ("LXGW WenKai", "AR PL UKai CN"),
         "宋体": ("Noto Serif CJK SC",)}
FONT_PACKAGES = "apt-get install -y fonts-noto-cjk fonts-lxgw-wenkai"
# Debian ships Noto CJK as collections whose faces share one CFF table named "…jp…": LibreOffice
# embeds that name (and pdffonts shows a JP face) whichever face it took. casegen extracts the SC
# faces into files of their own, named SC throughout (SIL OFL 1.1; Noto has no reserved names).
SC_FACES = ("Noto Serif CJK SC:style=Regular", "Noto Serif CJK SC:style=Bold",
            "Noto Sans CJK SC:style=Regular", "Noto Sans CJK SC:style=Bold")


def _fc_match(pattern: str, fields: str, env: dict | None = None) -> str:
    import subprocess

    result = subprocess.run(["fc-match", "-f", fields, pattern], capture_output=True, text=True,
                            env=env, check=False)
    return result.stdout.strip()


def pdf_font_config() -> Path:
    """casegen's fontconfig file for the conversion: the SC faces extracted once into the user's
    cache (rebuilt when the installed collections change), the collections themselves hidden, and
    the template's faces mapped (fontconfig/fonts.conf)."""
    import hashlib
    import shutil

    if not shutil.which("fc-match"):
        return FONT_CONFIG
    sources = []
    for pattern in SC_FACES:
        path, _, index = _fc_match(pattern, "%{file}\t%{index}").partition("\t")
        if path.endswith((".ttc", ".otc")) and index.isdigit():  # a collection: its SC face alone
            sources.append((Path(path), int(index)))
    stamp = hashlib.sha256(repr([(str(p), i, p.stat().st_mtime) for p, i in sources]).encode()
                           + FONT_CONFIG.read_bytes()).hexdigest()[:16]
    from casegen.base.writing import cache_root

    root = cache_root() / f"pdf-fonts-{stamp}"
    config = root / "fonts.conf"
    if config.is_file():
        return config
    from casegen.base.writing import write_bytes, write_text

    for path, index in dict.fromkeys(sources):
        write_bytes(root / f"{path.stem}-{index}.otf", _sc_face(path, index))
    rejected = "".join(f"<glob>{p}</glob>" for p in sorted({str(p) for p, _ in sources}))
    rules = FONT_CONFIG.read_text(encoding="utf-8").split("<fontconfig>", 1)[1]
    write_text(config, f"""<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">
<fontconfig>
  <dir>{root}</dir>
  <cachedir>{root / "cache"}</cachedir>
  <selectfont><rejectfont>{rejected}</rejectfont></selectfont>{rules}""")
    return config


def _sc_face(path: Path, index: int) -> bytes:
    """One face of a collection as a font file of its own, its CFF names saying SC. The names are
    patched in the bytes (same length): decompiling a CFF of 65,000 glyphs takes a minute."""
    import io
    import struct

    from fontTools.ttLib import TTCollection

    buffer = io.BytesIO()
    TTCollection(str(path), lazy=True).fonts[index].save(buffer)  # tables copied, not parsed
    data = bytearray(buffer.getvalue())
    (tables,) = struct.unpack(">H", data[4:6])
    for record in range(12, 12 + 16 * tables, 16):
        tag, _checksum, offset, length = struct.unpack(">4sIII", data[record:record + 16])
        if tag != b"CFF ":
            continue
        data[offset:offset + length] = bytes(data[offset:offset + length]).replace(b"CJKjp", b"CJKsc")
        padded = bytes(data[offset:offset + length]) + b"\0" * (-length % 4)
        checksum = sum(struct.unpack(f">{len(padded) // 4}I", padded)) & 0xFFFFFFFF
        data[record + 4:record + 8] = struct.pack(">I", checksum)
    return bytes(data)


def pdf_environment() -> dict:
    """The environment LibreOffice converts in: casegen's face mapping first."""
    import os

    return dict(os.environ, FONTCONFIG_FILE=str(pdf_font_config()))


def substituted_faces() -> list[str]:
    """The template's faces that this machine cannot map as intended, each with what it gets
    instead (empty when fc-match is missing: LibreOffice then chooses alone)."""
    import shutil

    if not shutil.which("fc-match"):
        return []
    told, env = [], pdf_environment()
    for face, wanted in FACES.items():
        got = _fc_match(face, "%{family[0]}", env)
        if got not in wanted:
            told.append(f"{face} → {got or '（无）'}（应为 {' 或 '.join(wanted)}）")
    return told


def to_pdf(docx: Path, target: Path, *, timeout: float = 180, retries: int = 1) -> Path:
    """A PDF of `docx` by LibreOffice headless, with a profile of this process's own (two
    LibreOffice instances sharing one profile block each other); written atomically."""
    import os
    import subprocess
    import tempfile

    soffice = libreoffice()
    profile = Path(tempfile.gettempdir()) / f"casegen-lo-{os.getpid()}"
    last_error = ""
    for _ in range(retries + 1):
        with tempfile.TemporaryDirectory(dir=target.parent, prefix=".pdf-") as scratch:
            try:
                result = subprocess.run(
                    [soffice, f"-env:UserInstallation=file://{profile}", "--headless",
                     "--convert-to", "pdf", "--outdir", scratch, str(docx)],
                    capture_output=True, text=True, timeout=timeout, env=pdf_environment())
            except subprocess.TimeoutExpired:
                last_error = f"LibreOffice 超过 {timeout:.0f} 秒未完成"
                continue
            produced = Path(scratch) / f"{docx.stem}.pdf"
            if result.returncode == 0 and produced.is_file() and produced.stat().st_size:
                os.replace(produced, target)
                return target
            last_error = (result.stderr or result.stdout or "").strip()[-300:] or "没有生成 PDF"
    raise RuntimeError(f"LibreOffice 转换 PDF 失败：{last_error}")
