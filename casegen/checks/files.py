"""Evidence files on disk: is a declared file there, inside the case folder, and what it claims?

Every problem is returned as a Chinese sentence, never raised: a bad file is a finding.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import struct
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from PIL import Image, ImageOps

from casegen.base.errors import os_reason
from casegen.base.lazy import lazy_import
from casegen.base.writing import cache_root, write_text

if TYPE_CHECKING:  # the type only: the package itself is loaded lazily, below
    from imagehash import ImageHash

imagehash = lazy_import("imagehash")  # only a photo's perceptual hash needs it (30 ms to import)

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".gif", ".bmp", ".tif", ".tiff", ".webp"}
MAX_IMAGE_PIXELS = 60_000_000  # ~ a 60-megapixel photo; larger is a decompression bomb for us
MAX_ASPECT = 20  # a photo of a site is not a 1 × 59,000,000 strip
MIN_SIDE = 16
MAGIC = {
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


@dataclass(frozen=True)
class PhotoFacts:
    """What a sound photo says of itself, for the auditors' cross-checks."""

    taken: dt.datetime | None  # EXIF DateTimeOriginal, else DateTime; None when stripped
    phash: int  # 64-bit perceptual hash (imagehash.phash of the upright picture)
    dhash: int  # 64-bit gradient hash (imagehash.dhash): a second, independent opinion


def inspect_file(folder: Path, relative: str) -> str | None:
    """None when the file is usable evidence, else what is wrong with it (a `Missing` when it
    is simply not there)."""
    return examine(folder, relative)[0]


def examine(folder: Path, relative: str, photos: PhotoCache | None = None
            ) -> tuple[str | None, PhotoFacts | None]:
    """What is wrong with the file (None when usable) and, when `photos` is given and the file
    is a sound image, its facts: from the cache when its size and time are unchanged, else
    from the same decoding that checks it is whole."""
    real = resolve_inside(folder, relative)
    if isinstance(real, str):
        return real, None
    try:
        if not real.exists():
            return Missing(f"文件不存在：{relative}"), None
        if not real.is_file():
            return f"不是普通文件：{relative}", None
        with open(real, "rb") as handle:
            head = handle.read(16)
            status = os.fstat(handle.fileno())
    except OSError as e:
        return f"无法读取：{relative}（{os_reason(e)}）", None
    if not head:
        return f"文件是空的：{relative}", None
    suffix = real.suffix.lower()
    magic = MAGIC.get(suffix)
    if magic and not head.startswith(magic):
        return f"内容与扩展名 {suffix} 不符：{relative}", None
    if suffix not in IMAGE_SUFFIXES:
        return None, None
    if photos is not None and (known := photos.lookup(real, status)):
        return None, known  # found sound before, and unchanged since
    problem, facts = _inspect_image(real, relative, want_facts=photos is not None)
    if facts is not None:  # facts are wanted only with a cache to keep them
        cast(PhotoCache, photos).store(real, status, facts)
    return problem, facts


def _check_complete(image: Image.Image, real: Path) -> None:
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


def _inspect_image(real: Path, relative: str, *, want_facts: bool = False
                   ) -> tuple[str | None, PhotoFacts | None]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(real) as image:
                width, height = image.size
                if width * height > MAX_IMAGE_PIXELS:
                    return (f"图片过大（{width}×{height} 像素，上限 "
                            f"{MAX_IMAGE_PIXELS // 1_000_000} 百万像素）：{relative}"), None
                if min(width, height) < MIN_SIDE or max(width, height) > MAX_ASPECT * min(width, height):
                    return f"图片尺寸不像现场照片（{width}×{height} 像素）：{relative}", None
                _check_complete(image, real)
                facts = _photo_facts(image) if want_facts else None
                if not want_facts:
                    ImageOps.exif_transpose(image)  # render turns it upright: a bad EXIF must show here
                return None, facts
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return f"图片过大：像素数超出安全上限（{MAX_IMAGE_PIXELS // 1_000_000} 百万像素）：{relative}", None
    except (OSError, SyntaxError, ValueError, EOFError, MemoryError):  # Pillow's words are English
        return f"图片已损坏或被截断，无法解码：{relative}", None
    except (struct.error, TypeError, KeyError, IndexError, ZeroDivisionError):
        # what Pillow's EXIF reader raises for a malformed block
        return f"图片的 EXIF 信息已损坏（无法读出方向和拍摄时间）：{relative}", None


def photo_facts_job(real: Path) -> tuple[Path, os.stat_result | None, PhotoFacts | None]:
    """For a worker process: the facts of one sound image and the file state they belong to
    (None for anything else: the serial pass then says what is wrong)."""
    try:
        status = os.stat(real)
    except OSError:
        return real, None, None
    return real, status, examine(real.parent, real.name, PhotoCache(None))[1]


EXIF_IFD, DATE_TIME_ORIGINAL, DATE_TIME = 0x8769, 0x9003, 0x0132


def _photo_facts(image: Image.Image) -> PhotoFacts:
    """The shooting time and the perceptual hash of a decoded image (a JPEG at 1/8 scale: the
    hash looks at 32 × 32 pixels, so it loses nothing)."""
    exif = image.getexif()
    taken = shooting_time(exif.get_ifd(EXIF_IFD).get(DATE_TIME_ORIGINAL)) or \
        shooting_time(exif.get(DATE_TIME))
    upright = ImageOps.exif_transpose(image)  # a phone's rotated copy is the same picture
    return PhotoFacts(taken, _as_int(imagehash.phash(upright)), _as_int(imagehash.dhash(upright)))


def _as_int(image_hash: ImageHash) -> int:
    return int("".join("1" if bit else "0" for bit in image_hash.hash.flatten()), 2)


def shooting_time(value: object) -> dt.datetime | None:
    """EXIF's "YYYY:MM:DD HH:MM:SS"; None for a blank, zeroed or garbled value (apps write all
    three)."""
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    if not isinstance(value, str):
        return None
    try:
        taken = dt.datetime.strptime(value.strip("\x00 ")[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    return taken if 1990 <= taken.year <= 2099 else None


class PhotoCache:
    """Photo facts by real path, size and modification time, kept between runs (decoding is
    the cost of a check; an unchanged file is not decoded again)."""

    VERSION = 2

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.entries: dict[str, Any] = {}  # lists as stored; what was read is checked when used
        self.changed = False

    @classmethod
    def open(cls) -> PhotoCache:
        path = cache_root() / f"photos-v{cls.VERSION}.json"
        cache = cls(path)
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(stored, dict):
                cache.entries = stored
        except (OSError, ValueError):  # absent or damaged: rebuilt
            pass
        return cache

    def lookup(self, real: Path, status: os.stat_result) -> PhotoFacts | None:
        entry: Any = self.entries.get(str(real))  # None when absent: unpacking it raises TypeError
        try:
            size, mtime, phash, dhash, taken = entry
            if (size, mtime) != (status.st_size, status.st_mtime_ns):
                return None
            return PhotoFacts(dt.datetime.fromisoformat(taken) if taken else None, int(phash, 16),
                              int(dhash, 16))
        except (TypeError, ValueError):  # absent, or written by something else
            return None

    def store(self, real: Path, status: os.stat_result, facts: PhotoFacts) -> None:
        self.entries[str(real)] = [status.st_size, status.st_mtime_ns, f"{facts.phash:016x}",
                                   f"{facts.dhash:016x}", facts.taken.isoformat() if facts.taken else None]
        self.changed = True

    def save(self) -> None:
        """Best effort: a cache that cannot be written costs time, never a result."""
        if self.path is None or not self.changed:
            return
        # photos deleted since (test folders, old batches) leave the cache with them
        self.entries = {path: entry for path, entry in self.entries.items() if os.path.exists(path)}
        with contextlib.suppress(OSError):
            write_text(self.path, json.dumps(self.entries, ensure_ascii=False), durable=False)
