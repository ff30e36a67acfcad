"""Evidence files on disk: is a declared file there, inside the case folder, and what it claims?

Every problem is returned as a Chinese sentence, never raised: a bad file is a finding.
"""

from __future__ import annotations

import warnings
from pathlib import Path

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".gif", ".bmp", ".tif", ".tiff", ".webp"}
MAX_IMAGE_PIXELS = 60_000_000  # ~ a 60-megapixel photo; larger is a decompression bomb for us
MAX_ASPECT = 20  # a photo of a site is not a 1 × 59,000,000 strip
MIN_SIDE = 16
_MAGIC = {
    ".pdf": (b"%PDF",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".gif": (b"GIF87a", b"GIF89a"),
    ".bmp": (b"BM",),
    ".tif": (b"II*\x00", b"MM\x00*"),
    ".tiff": (b"II*\x00", b"MM\x00*"),
    ".webp": (b"RIFF",),
    ".docx": (b"PK\x03\x04",),
    ".xlsx": (b"PK\x03\x04",),
    ".doc": (b"\xd0\xcf\x11\xe0",),
    ".xls": (b"\xd0\xcf\x11\xe0",),
}


MAX_NAME_BYTES = 255  # what a Linux file name holds


def resolve_inside(folder: Path, relative: str) -> Path | str:
    """The real path of `relative` under `folder`, or a message if it leaves the folder or
    cannot be followed (a symbolic-link loop, a name too long)."""
    from casegen.load import os_reason

    if any(len(part.encode("utf-8")) > MAX_NAME_BYTES for part in Path(relative).parts):
        return f"文件名过长（超过 {MAX_NAME_BYTES} 字节）：{relative}"
    try:
        root = folder.resolve()
        real = (root / relative).resolve()
    except RuntimeError:  # Python 3.11 raises this for a symbolic-link loop
        return f"符号链接循环，无法打开：{relative}"
    except OSError as e:
        return f"无法打开：{relative}（{os_reason(e)}）"
    if real != root and root not in real.parents:
        return f"{relative} 指向案例文件夹之外（{real}）：证据文件须放在案例文件夹内"
    return real


class Missing(str):
    """A problem that is the file's absence (as against a file that is there but unusable)."""


def inspect_file(folder: Path, relative: str) -> str | None:
    """None when the file is usable evidence, else what is wrong with it (a `Missing` when it
    is simply not there)."""
    from casegen.load import os_reason

    real = resolve_inside(folder, relative)
    if isinstance(real, str):
        return real
    try:
        if not real.exists():
            return Missing(f"文件不存在：{relative}")
        if not real.is_file():
            return f"不是普通文件：{relative}"
        with open(real, "rb") as handle:
            head = handle.read(16)
    except OSError as e:
        return f"无法读取：{relative}（{os_reason(e)}）"
    if not head:
        return f"文件是空的：{relative}"
    suffix = real.suffix.lower()
    magic = _MAGIC.get(suffix)
    if magic and not head.startswith(magic):
        return f"内容与扩展名 {suffix} 不符：{relative}"
    if suffix in IMAGE_SUFFIXES:
        return _inspect_image(real, relative)
    return None


def _check_complete(image, real: Path) -> None:
    """Raise OSError for a truncated or damaged image, as cheaply as the format allows."""
    if image.format == "JPEG":
        with open(real, "rb") as handle:  # every JPEG ends with the EOI marker
            handle.seek(-2, 2)
            if handle.read(2) != b"\xff\xd9":
                raise OSError("文件末尾缺少 JPEG 结束标记")
        image.draft("RGB", (max(image.width // 8, 1), max(image.height // 8, 1)))
        image.load()  # every coded byte is read; at 1/8 scale the transform costs little
    else:
        # decodes every byte: a truncated file fails here, and so does a PNG whose IDAT is
        # corrupt behind good checksums (verify() alone would pass it)
        image.load()


def _inspect_image(real: Path, relative: str) -> str | None:
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(real) as image:
                width, height = image.size
                if width * height > MAX_IMAGE_PIXELS:
                    return (f"图片过大（{width}×{height} 像素，上限 "
                            f"{MAX_IMAGE_PIXELS // 1_000_000} 百万像素）：{relative}")
                if min(width, height) < MIN_SIDE or max(width, height) > MAX_ASPECT * min(width, height):
                    return f"图片尺寸不像现场照片（{width}×{height} 像素）：{relative}"
                _check_complete(image, real)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return f"图片过大：像素数超出安全上限（{MAX_IMAGE_PIXELS // 1_000_000} 百万像素）：{relative}"
    except (OSError, SyntaxError, ValueError, EOFError, MemoryError):  # Pillow's words are English
        return f"图片已损坏或被截断，无法解码：{relative}"
    return None
