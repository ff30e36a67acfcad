"""现场图片: a copy of each photo, turned upright, resized, with the case's marks drawn on it.

The original file is only read. Marks are an arrow or a box with a Chinese label, so the photo
shows the works and the meter position as the notice asks.
"""

from __future__ import annotations

import errno
import math
import os
from pathlib import Path

from PIL import Image, ImageDraw, ImageOps

from casegen.base.writing import atomic_path
from casegen.case.model import Mark
from casegen.outputs.fonts import pil_font

MAX_SIDE = 1600
MARK_RED = (220, 0, 0)


def prepare_photo(source: Path, target: Path, marks: list[Mark] = (), *,
                  max_side: int = MAX_SIDE) -> tuple[int, int]:
    """Write the marked copy as JPEG; return its size in pixels."""
    with Image.open(source) as original:
        image = ImageOps.exif_transpose(original).convert("RGB")
    image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    for mark in marks:
        draw_mark(image, mark)
    with atomic_path(target) as temporary:
        with open(temporary, "wb") as handle:
            image.save(handle, format="JPEG", quality=88)
            handle.flush()
            os.fsync(handle.fileno())  # a full disk shows here, not after the rename
        _verify(temporary, image.size)
    return image.size


def _verify(path: Path, size: tuple[int, int]) -> None:
    """Read the written copy back whole: a short write (a full disk Pillow did not notice) must
    never be published under the final name."""
    with Image.open(path) as written:
        written.load()
        if written.size != size:
            raise OSError(errno.EIO, "written photo does not read back")


def mark_point(size: tuple[int, int], mark: Mark) -> tuple[int, int]:
    width, height = size
    return round(mark.at[0] * width), round(mark.at[1] * height)


def draw_mark(image, mark: Mark) -> None:
    draw = ImageDraw.Draw(image)
    side = max(image.size)
    stroke = max(3, side // 250)
    x, y = mark_point(image.size, mark)
    font = pil_font(max(18, side // 32))
    if mark.shape == "box":
        half_w, half_h = image.width * 0.09, image.height * 0.09
        box = [max(x - half_w, stroke), max(y - half_h, stroke),
               min(x + half_w, image.width - stroke), min(y + half_h, image.height - stroke)]
        draw.rectangle(box, outline=MARK_RED, width=stroke)
        anchor = (box[0], box[1] - stroke)
        _label(draw, anchor, mark.label, font, stroke, above=True)
        return
    tail = _arrow_tail(image.size, (x, y), side * 0.12)
    draw.line([tail, (x, y)], fill=MARK_RED, width=stroke)
    angle = math.atan2(y - tail[1], x - tail[0])
    head = side * 0.025
    for turn in (math.pi * 0.85, -math.pi * 0.85):
        draw.line([(x, y), (x + head * math.cos(angle + turn), y + head * math.sin(angle + turn))],
                  fill=MARK_RED, width=stroke)
    _label(draw, tail, mark.label, font, stroke, above=tail[1] < y)


def _arrow_tail(size, point, length):
    """Start the arrow from the side with more room, so its label stays on the picture."""
    x, y = point
    dx = -length if x > size[0] / 2 else length
    dy = -length if y > size[1] / 2 else length
    return x + dx, y + dy


def _label(draw, anchor, text, font, stroke, *, above: bool) -> None:
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    width, height = right - left, bottom - top
    pad = stroke * 2
    x = min(max(anchor[0] - width / 2, pad), draw.im.size[0] - width - pad)
    y = anchor[1] - height - pad * 2 if above else anchor[1] + pad
    y = min(max(y, pad), draw.im.size[1] - height - pad)
    draw.rectangle([x - pad, y - pad, x + width + pad, y + height + pad], fill=(255, 255, 255),
                   outline=MARK_RED, width=max(1, stroke // 2))
    draw.text((x - left, y - top), text, font=font, fill=MARK_RED)


def photo_width_mm(size: tuple[int, int], *, max_width: float = 140, max_height: float = 88) -> float:
    """Width on the page that keeps the photo within max_width × max_height: 88 mm high, two
    photos and their captions share the 225 mm type area of a page."""
    width, height = size
    return min(max_width, max_height * width / height)
