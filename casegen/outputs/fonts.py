"""A CJK font for the sketch and the marked photos: system Noto CJK / WenQuanYi first, then the
Noto Sans SC that `pip install` brings (SIL OFL). No CJK font at all is a loud error, never boxes.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from matplotlib import font_manager
from matplotlib.ft2font import FT2Font
from PIL import ImageFont

try:  # a declared dependency; without it a system CJK font must be there (FontMissing says so)
    import pylopdf_fonts_zh_cn
except ImportError:
    pylopdf_fonts_zh_cn = None

from casegen.base.errors import CaseError, Finding

SYSTEM_FAMILIES = ("Noto Sans CJK SC", "Noto Sans SC", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei")
BUNDLED_FAMILY = "Noto Sans SC"


@dataclass(frozen=True)
class CjkFont:
    family: str
    path: Path
    index: int  # face within a .ttc collection
    origin: str  # "system" or "bundled"


class FontMissing(CaseError):
    def __init__(self, detail: str):
        super().__init__([Finding("font",
                                  f"找不到中文字体，简图中的中文会显示为方框，因此停止。{detail}"
                                  "请安装 fonts-noto-cjk（apt-get install fonts-noto-cjk），"
                                  "或重新安装 casegen 以带上 pylopdf-fonts-zh-cn。")])


def bundled_font_path() -> Path | None:
    if pylopdf_fonts_zh_cn is None:
        return None
    path = Path(pylopdf_fonts_zh_cn.sans_path())
    return path if path.is_file() else None


@cache
def cjk_font(families: tuple[str, ...] = SYSTEM_FAMILIES) -> CjkFont:
    """The CJK font to draw with, registered with matplotlib."""
    by_name = {}
    for entry in font_manager.fontManager.ttflist:  # the regular face of each family, not its bold
        kept = by_name.get(entry.name)
        if kept is None or _regularity(entry) < _regularity(kept):
            by_name[entry.name] = entry
    for family in families:
        entry = by_name.get(family)
        if entry is not None and Path(entry.fname).is_file():
            return CjkFont(family, Path(entry.fname), getattr(entry, "index", 0), "system")
    bundled = bundled_font_path()
    if bundled is None:
        raise FontMissing(f"系统中没有 {'、'.join(families)}，随包字体也不存在。")
    font_manager.fontManager.addfont(str(bundled))
    return CjkFont(BUNDLED_FAMILY, bundled, 0, "bundled")


def _regularity(entry) -> tuple:
    weight = entry.weight if isinstance(entry.weight, int) else 400
    return (entry.style != "normal", abs(weight - 400), entry.fname)


@cache
def pil_font(size: int):
    """The same CJK font for Pillow drawing."""
    font = cjk_font()
    return ImageFont.truetype(str(font.path), size, index=font.index)


@cache
def _faces():
    font = cjk_font()
    dejavu = font_manager.findfont("DejaVu Sans")
    return FT2Font(str(font.path), face_index=font.index), FT2Font(dejavu)


@cache
def covers(char: str) -> bool:
    """Can the CJK font, or DejaVu Sans behind it, draw this character?"""
    return any(face.get_char_index(ord(char)) for face in _faces())
