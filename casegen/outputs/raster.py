"""How the sketch becomes pixels fast: Agg with each string laid out and rasterized once per
process, and a PNG written without Pillow's per-row filter search.

Most of a sketch's drawing time was FreeType loading the same CJK glyphs again and again: every
string was laid out once to measure it, once per placement tried, and once more, glyph by glyph,
to draw it. The legend and the boundary's words are the same on every sketch, and the workbench
redraws one case at each keystroke, so a per-process cache of each string's metrics and bitmap
(as matplotlib drew text before 3.11: one bitmap per line) pays for itself from the second
sketch. Pillow's PNG encoder tries five filters on each row; for line art on white, no filter
with zlib's fastest level gives a smaller file in less than half the time.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from isal import isal_zlib
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg, get_hinting_flag
from matplotlib.font_manager import fontManager, get_font
from PIL import Image


@dataclass(frozen=True)
class Line:
    """One line of text as FreeType laid it out: its metrics in pixels, its grey bitmap, and
    where the bitmap's top-left sits from the pen position."""

    width: float
    height: float
    descent: float
    image: object  # numpy uint8 array, rows from the top
    x_offset: float
    y_offset: float


@lru_cache(maxsize=512)  # a line at 300 ppi: 10 KB typically, 65 KB the widest (the summary)
def _laid_out(text: str, prop, dpi: float, antialiased: bool) -> Line:
    """Measured and rasterized in one pass: the glyphs are loaded once, and a label measured is
    nearly always drawn (rasterizing adds a sixth to the layout's cost). Callers pass every
    argument positionally: lru_cache keys `f(a, b)` and `f(a, b=…)` apart."""
    font = _font(prop, dpi)
    font.set_text(text, 0.0, flags=get_hinting_flag())
    font.draw_glyphs_to_bitmap(antialiased=antialiased)
    width, height = font.get_width_height()
    descent = font.get_descent()
    x_offset, y_offset = font.get_bitmap_offset()
    image = np.array(font.get_image())  # a copy: the font's own buffer is reused
    return Line(width / 64.0, height / 64.0, descent / 64.0, image, x_offset / 64.0,
                (y_offset + descent) / 64.0)


@lru_cache(maxsize=64)
def _height_metrics(prop, dpi: float) -> tuple[float | None, float | None, float | None]:
    """The face's ascent, descent and line gap at this size, as Text._get_layout reads them
    (OS/2, else hhea) each time it lays out a text."""
    font = get_font(fontManager._find_fonts_by_props(prop))
    for table_name, gap, ascent, descent in (("OS/2", "sTypoLineGap", "sTypoAscender", "sTypoDescender"),
                                             ("hhea", "lineGap", "ascent", "descent")):
        table = font.get_sfnt_table(table_name)
        if table is not None:
            scale = prop.get_size_in_points() * dpi / 72 / font.get_sfnt_table("head")["unitsPerEm"]
            return table[ascent] * scale, -table[descent] * scale, table[gap] * scale
    return None, None, None


def clear_caches() -> None:
    """Forget every string laid out (the bench's first-sketch number; tests of the caches)."""
    _laid_out.cache_clear()
    _height_metrics.cache_clear()


def _font(prop, dpi: float):
    font = get_font(fontManager._find_fonts_by_props(prop))
    font.clear()
    font.set_size(prop.get_size_in_points(), dpi)
    return font


class CachedTextRenderer(RendererAgg):
    """RendererAgg whose plain, unrotated text comes from the per-process caches above."""

    def get_text_width_height_descent(self, s, prop, ismath):
        if ismath:
            return super().get_text_width_height_descent(s, prop, ismath)
        line = _laid_out(s, prop.copy(), self.dpi, True)  # a copy: FontProperties hash by state
        return line.width, line.height, line.descent

    def _get_font_height_metrics(self, prop):  # the hook Text._get_layout asks before reading tables
        return _height_metrics(prop.copy(), self.dpi)

    def draw_text(self, gc, x, y, s, prop, angle, ismath=False, mtext=None):
        if ismath or angle:
            return super().draw_text(gc, x, y, s, prop, angle, ismath, mtext)
        line = _laid_out(s, prop.copy(), self.dpi, bool(gc.get_antialiased()))
        if line.image.size:
            # y is from the top at the baseline; the bitmap's rows start at its top edge
            self._renderer.draw_text_image(line.image, round(x + line.x_offset),
                                           round(y + line.y_offset) + 1, 0, gc)
        return None


class SketchCanvas(FigureCanvasAgg):
    """FigureCanvasAgg drawing with CachedTextRenderer (get_renderer as matplotlib writes it)."""

    def get_renderer(self):
        width, height = self.get_width_height(physical=True)
        key = width, height, self.figure.dpi
        if self._lastKey != key:
            self.renderer = CachedTextRenderer(width, height, self.figure.dpi)
            self._lastKey = key
        return self.renderer


def png_bytes(figure) -> bytes:
    """The figure drawn at its own dpi, as an 8-bit RGB PNG with its resolution recorded. The
    picture is opaque, so its alpha channel is dropped (kept, it gave the PDF a soft mask); rows
    go to the compressor one by one, each after its filter byte (None), without another copy.
    ISA-L's deflate (isal) writes the same zlib stream format seven times faster than zlib's
    fastest level, for a file 6 % larger: a tenth of a sketch's time."""
    figure.canvas.draw()
    width, height = figure.canvas.get_width_height(physical=True)
    rgb = memoryview(Image.frombuffer("RGBA", (width, height), figure.canvas.buffer_rgba(), "raw",
                                      "RGBA", 0, 1).tobytes("raw", "RGB"))
    row_bytes = 3 * width
    compressor = isal_zlib.compressobj(1)
    data = []
    for start in range(0, len(rgb), row_bytes):
        data += (compressor.compress(b"\0"), compressor.compress(rgb[start:start + row_bytes]))
    data.append(compressor.flush())
    per_metre = round(figure.dpi / 0.0254)
    return b"".join([
        b"\x89PNG\r\n\x1a\n",
        _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)),
        _chunk(b"pHYs", struct.pack(">IIB", per_metre, per_metre, 1)),
        _chunk(b"IDAT", b"".join(data)),
        _chunk(b"IEND", b""),
    ])


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
