"""PDF through LibreOffice, with casegen's own fontconfig so the faces are the free SC faces."""

from __future__ import annotations

import functools
import hashlib
import io
import json
import os
import shutil
import struct
import subprocess
import tempfile
from pathlib import Path

from casegen.base.errors import PdfFailed
from casegen.base.lazy import lazy_import
from casegen.base.writing import atomic_path, cache_root, write_bytes, write_text
from casegen.office.libreoffice import UNO_PYTHON, Office, OfficeFailed, kept_office, uno_python

ttLib = lazy_import("fontTools.ttLib")  # only the one-time extraction of the SC faces needs it


class ToolMissing(Exception):
    """A program casegen drives (LibreOffice) is not installed."""


LIBREOFFICE_HINT = ("未找到 LibreOffice（soffice）：生成 PDF 需要它。"
                    "请安装：apt-get update && apt-get install -y libreoffice-writer-nogui fonts-noto-cjk")


def libreoffice() -> str:
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
    result = subprocess.run(["fc-match", "-f", fields, pattern], capture_output=True, text=True,
                            env=env, check=False)
    return result.stdout.strip()


@functools.cache  # once per process: it asks fc-match four times
def pdf_font_config() -> Path:
    """casegen's fontconfig file for the conversion: the SC faces extracted once into the user's
    cache (rebuilt when the installed collections change), the collections themselves hidden, and
    the template's faces mapped (fontconfig/fonts.conf)."""
    if not shutil.which("fc-match"):
        return FONT_CONFIG
    sources = []
    for pattern in SC_FACES:
        path, _, index = _fc_match(pattern, "%{file}\t%{index}").partition("\t")
        if path.endswith((".ttc", ".otc")) and index.isdigit():  # a collection: its SC face alone
            sources.append((Path(path), int(index)))
    stamp = hashlib.sha256(repr([(str(p), i, p.stat().st_mtime) for p, i in sources]).encode()
                           + FONT_CONFIG.read_bytes()).hexdigest()[:16]

    root = cache_root() / f"pdf-fonts-{stamp}"
    config = root / "fonts.conf"
    if config.is_file():
        return config

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
    buffer = io.BytesIO()
    ttLib.TTCollection(str(path), lazy=True).fonts[index].save(buffer)  # tables copied, not parsed
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
    return dict(os.environ, FONTCONFIG_FILE=str(pdf_font_config()))


def substituted_faces() -> list[str]:
    """The template's faces that this machine cannot map as intended, each with what it gets
    instead (empty when fc-match is missing: LibreOffice then chooses alone)."""
    if not shutil.which("fc-match"):
        return []
    told, env = [], pdf_environment()
    for face, wanted in FACES.items():
        got = _fc_match(face, "%{family[0]}", env)
        if got not in wanted:
            told.append(f"{face} → {got or '（无）'}（应为 {' 或 '.join(wanted)}）")
    return told


# LibreOffice's PDF export options. By default it resamples pictures to 300 ppi and re-encodes
# them: the sketch is 300 ppi already and the photos are prepared JPEGs, so they go in as they
# are, sharper and a third faster.
PDF_EXPORT = {"ReduceImageResolution": False}


def office_for_run() -> Office | None:
    """This process's kept-alive LibreOffice (None without a UNO bridge), not yet started."""
    return kept_office(libreoffice(), pdf_environment())


def start_office() -> None:
    """Start this process's LibreOffice without waiting for it, so that it starts while the
    first document is made (nothing to start without a UNO bridge)."""
    office = office_for_run()
    if office is not None:
        office.start()


def one_shot_notice() -> str | None:
    """What to say when PDFs are made the slow way, each by a fresh LibreOffice."""
    if uno_python() is not None:
        return None
    named = os.environ.get(UNO_PYTHON, "").strip()
    if named.lower() == "none":
        return f"PDF 逐个启动 LibreOffice 转换（较慢）：{UNO_PYTHON}=none"
    if named:
        return f"PDF 逐个启动 LibreOffice 转换（较慢）：{UNO_PYTHON} 指定的 {named} 不能导入 uno"
    return ("PDF 逐个启动 LibreOffice 转换（较慢）：未找到 LibreOffice 的 UNO 桥；"
            "安装 python3-uno 可快数倍：apt-get install -y python3-uno")


def to_pdf(docx: Path, target: Path) -> Path:
    """A PDF of `docx` at `target`, written atomically (a failure leaves no half-written PDF
    and replaces no good one): through this process's kept-alive LibreOffice when there is a
    UNO bridge, otherwise by a LibreOffice started for it. Raises PdfFailed."""
    office = office_for_run()
    if office is None:
        return _one_shot(docx, target)
    with atomic_path(target, durable=False) as temporary:
        try:
            office.convert(docx, temporary, PDF_EXPORT)
        except OfficeFailed as e:
            raise PdfFailed(f"LibreOffice 转换 PDF 失败（已换新的 LibreOffice 重试一次）：{e}") from None
    return target


def _filter_json() -> str:
    """PDF_EXPORT as soffice --convert-to takes it."""
    kinds = {bool: "boolean", int: "long", str: "string"}
    return json.dumps({name: {"type": kinds[type(value)], "value": str(value).lower() if isinstance(value, bool)
                              else str(value)} for name, value in PDF_EXPORT.items()})


def _one_shot(docx: Path, target: Path, *, timeout: float = 180, retries: int = 1) -> Path:
    """A PDF of `docx` by a LibreOffice started for it, with a profile of this process's own
    (two LibreOffice instances sharing one profile block each other)."""
    soffice = libreoffice()
    profile = Path(tempfile.gettempdir()) / f"casegen-lo-{os.getpid()}"
    last_error = ""
    for _ in range(retries + 1):
        with tempfile.TemporaryDirectory(dir=target.parent, prefix=".pdf-") as scratch:
            try:
                result = subprocess.run(
                    [soffice, f"-env:UserInstallation=file://{profile}", "--headless",
                     "--convert-to", f"pdf:writer_pdf_Export:{_filter_json()}", "--outdir", scratch,
                     str(docx)],
                    capture_output=True, text=True, timeout=timeout, env=pdf_environment())
            except subprocess.TimeoutExpired:
                last_error = f"LibreOffice 超过 {timeout:.0f} 秒未完成"
                continue
            produced = Path(scratch) / f"{docx.stem}.pdf"
            if result.returncode == 0 and produced.is_file() and produced.stat().st_size:
                os.replace(produced, target)
                return target
            last_error = (result.stderr or result.stdout or "").strip()[-300:] or "没有生成 PDF"
    raise PdfFailed(f"LibreOffice 转换 PDF 失败：{last_error}")
