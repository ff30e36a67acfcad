"""工程建设简图: the route from the public transformer to the meter box, drawn with matplotlib.

Existing equipment black, what the utility builds blue (with lengths and 掘路), the customer's
property line a red dashed box with the meter box on its edge and the 产权分界点 marked. Symbols
after GB/T 4728: transformer two overlapping circles, pole a small circle, boxes rectangles.
Labels are placed greedily and measured with the renderer so that no two overlap. Drawn on the
figure itself in units of 2.5 mm (no Axes), rasterized by casegen.outputs.raster.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from pathlib import Path

import matplotlib
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, Patch, Rectangle
from matplotlib.text import Text
from matplotlib.transforms import Affine2D, Bbox

from casegen.base.writing import atomic_path
from casegen.case.derive import number_text
from casegen.case.model import ELEMENT_KINDS, LINE_KINDS, Case, Element, Grid, Transformer, parse_number
from casegen.outputs import fonts
from casegen.outputs.raster import SketchCanvas, png_bytes

EXISTING, NEW, BOUNDARY, ROAD = "#000000", "#0047D6", "#D40000", "#8C8C8C"
WIDTH_MM, HEIGHT_MM = 150, 92  # drawn at the width it has on the A4 page
PNG_DPI = 300  # 150 mm wide: 1,772 px, a print's resolution
FONT_PT = 9  # labels as printed: the figure is drawn at its size on the page
W, H = 60.0, 60.0 * HEIGHT_MM / WIDTH_MM  # data units of 2.5 mm, the same along x and y
MAIN_Y = 24.0
FOOTER_TOP = 10.4
BOX_LEFT, BOX_RIGHT, BOX_BOTTOM, BOX_TOP = 45.5, 59.0, FOOTER_TOP + 1.0, H - 1.0


def cjk_family() -> list[str]:
    """The CJK font, with DejaVu Sans (matplotlib's own) behind it for symbols such as ×."""
    return [fonts.cjk_font().family, "DejaVu Sans"]


def drawable(text: str) -> str:
    """Drop characters no font here can draw (emoji): a box in a published sketch is worse."""
    return "".join(ch for ch in text if ch in "\n " or fonts.covers(ch))


NAME_LIMIT = 40  # characters of a name the sketch shows; the document's text gives it whole


def clipped(name: str) -> str:
    """A name cut to NAME_LIMIT characters with "…": a 200-character name (the contract allows
    it) ran over the other labels and off the picture."""
    return name if len(name) <= NAME_LIMIT else name[: NAME_LIMIT - 1] + "…"


def colour(new: bool) -> str:
    return NEW if new else EXISTING


@dataclass(frozen=True)
class SketchInput:
    """What the sketch is drawn from: the grid, the customer's name, the transformer and the
    cost. Made from a typed case, or from the plain data of a case whose other parts fail the
    contract (`draw` still draws it; `policy.SKETCH_NEEDS` names these same parts)."""

    customer: str
    grid: Grid
    transformer: Transformer | None
    cost_yuan: float

    @classmethod
    def from_case(cls, case: Case) -> SketchInput:
        return cls(case.customer.name, case.grid, case.project.transformer, case.project.cost_yuan or 0)

    @classmethod
    def from_data(cls, data: dict, customer: str) -> SketchInput:
        project = data.get("project") if isinstance(data.get("project"), dict) else {}
        transformer = project.get("transformer")
        try:
            cost = float(parse_number(project.get("cost_yuan")) or 0)
        except ValueError:  # a bad cost is reported by validate; the sketch leaves it out
            cost = 0.0
        return cls(customer, Grid.model_validate(data.get("grid")),
                   Transformer.model_validate(transformer) if transformer else None, cost)

    @property
    def new_lines(self) -> list[Element]:
        return [e for e in self.grid.route if e.new and e.kind in LINE_KINDS]

    @property
    def new_line_m(self) -> float:
        return sum(e.length_m for e in self.new_lines)

    @property
    def excavation_m(self) -> float:
        return sum(e.excavation_m or 0 for e in self.new_lines)

    @property
    def cost_wan(self) -> float:
        return round(self.cost_yuan / 10_000, 2)


@dataclass
class Node:
    """A point on the main line: source, pole, box, switch, joint or the meter box."""

    kind: str  # transformer | pole | branch_box | switch | joint | meter_box
    new: bool
    label: str
    x: float = 0.0


@dataclass
class Edge:
    """A stretch between two nodes: a line of the route, or a short lead."""

    new: bool
    element: Element | None  # None for a lead with no length of its own
    start: Node | None = None
    end: Node | None = None


def layout(drawing: SketchInput) -> tuple[list[Node], list[Edge]]:
    """Turn the route into nodes and the edges between them, positioned along x."""
    source, transformer = drawing.grid.source, drawing.transformer
    capacity = f"\n{number_text(source.capacity_kva)}kVA" if source.capacity_kva else ""
    if not source.new and transformer is not None:
        capacity += f" 负荷率{transformer.load_rate:.0%}"
    action = {"新增": "（新增）", "更换": "（更换）"}.get(transformer.action if transformer else "", "")
    nodes = [Node("transformer", source.new, f"{clipped(source.name)}{action}{capacity}")]
    edges: list[Edge] = []
    pending: Edge | None = None
    for element in drawing.grid.route:
        if element.kind in LINE_KINDS:
            if pending is not None:  # two lines in a row meet at a joint
                nodes.append(Node("joint", pending.new, ""))
                edges.append(pending)
            pending = Edge(element.new, element)
            continue
        nodes.append(Node(element.kind, element.new, clipped(element.label)))
        edges.append(pending or Edge(_lead_is_new(nodes[-2], element.new), None))
        pending = None
    box = drawing.grid.meter_box
    nodes.append(Node("meter_box", box.new, clipped(box.name)))
    edges.append(pending or Edge(_lead_is_new(nodes[-2], box.new), None))
    for edge, start, end in zip(edges, nodes[:-1], nodes[1:], strict=True):
        edge.start, edge.end = start, end
    weights = [3.0 if e.element else 1.3 for e in edges]
    left, right = 5.0, BOX_LEFT
    scale = (right - left) / sum(weights)
    x = left
    nodes[0].x = x
    for node, weight in zip(nodes[1:], weights, strict=True):
        x += weight * scale
        node.x = x
    return nodes, edges


def _lead_is_new(upstream: Node, downstream_new: bool) -> bool:
    """A lead with no line of its own (equipment joined directly) is new only when both ends
    are: a new meter box on an existing pole is fed by the existing lead, drawn black."""
    return upstream.new and downstream_new


def line_label(element: Element) -> str:
    kind = ELEMENT_KINDS[element.kind]
    title = clipped(element.spec or element.name or kind)
    verb = "新建" if element.new else "现状"
    length = f"{number_text(element.length_m)}米"
    parts = [title, f"{verb}{kind}{length}" if element.new or title == kind else length]
    if element.excavation_m:
        road = f"（{clipped(element.road)}）" if element.road else ""
        parts.append(f"掘路{number_text(element.excavation_m)}米{road}")
    return "\n".join(parts)


# where a company name may break: after a place, before its legal form (never inside a word)
_PLACE_END = re.compile(r"(?<=[省市区县镇乡])(?=[^市区县镇乡])")
_LEGAL_FORMS = ("有限责任公司", "股份有限公司", "有限公司", "分公司", "公司")


def wrap_name(text: str, width: int) -> str:
    """A name wrapped only where a reader would break it: after 市/区/县/镇, before 有限公司;
    a part longer than a line is wrapped like any text."""
    form = next((f for f in _LEGAL_FORMS if text.endswith(f) and len(text) > len(f)), "")
    head = text[: len(text) - len(form)]
    parts = [p for p in _PLACE_END.split(head) if p] + ([form] if form else [])
    lines, line = [], ""
    for part in parts:
        if line and _width(line + part) > width:
            lines.append(line)
            line = part
        else:
            line += part
    lines.append(line)
    wrapped = "\n".join(wrap(ln, width, width) if _width(ln) > width else ln
                         for ln in lines).split("\n")
    if len(wrapped) > 2 and form and _width(wrapped[-2] + wrapped[-1]) <= width:
        wrapped[-2:] = [wrapped[-2] + wrapped[-1]]  # "管理" alone above "有限公司": one line
    return "\n".join(wrapped)


def _tokens(text: str) -> list[str]:
    """Runs of Latin letters, digits and signs stay whole (a cable spec); CJK breaks anywhere,
    but a short bracketed word stays whole, an opening bracket never ends a line and closing
    punctuation never starts one."""
    return re.findall(r"（[^（）]{1,10}）|[（“]?(?:[A-Za-z0-9.\-/×*+()]+\s*|\s+|.)[）”，、。：]?", text)


def _split_long(tokens: list[str], width: int) -> list[str]:
    """A run wider than a whole line (a name of Latin letters with no space) cut into pieces
    that fit: kept whole, it stuck out of the red box and off the picture."""
    pieces = []
    for token in tokens:
        while _width(token) > width:
            cut, used = 0, 0.0
            while cut < len(token) and used + _width(token[cut]) <= width:
                used += _width(token[cut])
                cut += 1
            cut = max(cut, 1)
            pieces.append(token[:cut])
            token = token[cut:]
        pieces.append(token)
    return pieces


def _width(token: str) -> float:
    return sum(1.0 if ord(ch) > 0x2E80 else 0.55 for ch in token)


def wrap(text: str, width: int, longest: int | None = None) -> str:
    """Wrap to about `width` CJK characters per line, never inside a spec such as YJV22-4×35;
    only a run wider than `longest` (the widest a label may be) is cut."""
    lines = []
    for part in text.split("\n"):
        line, used = "", 0.0
        for token in _split_long(_tokens(part), longest or WRAP_WIDTHS[0]):
            if line and used + _width(token) > width:
                lines.append(line.rstrip())
                line, used = token.lstrip(), _width(token.lstrip())
            else:
                line, used = line + token, used + _width(token)
        lines.append(line.rstrip())
        if len(lines) > 1 and len(lines[-1]) == 1 and len(lines[-2]) > 3:
            lines[-2:] = [lines[-2][:-1], lines[-2][-1] + lines[-1]]  # no lone last character
    return "\n".join(lines)


TALLER_MM = (HEIGHT_MM, HEIGHT_MM + 22, HEIGHT_MM + 44)  # a dense route gets room above its line


def _set_height(height_mm: float) -> None:
    """The picture's height: the line and the footer stay, the room above the line grows."""
    global H, BOX_TOP
    H = W * height_mm / WIDTH_MM
    BOX_TOP = H - 1.0


def draw_figure(drawing: SketchInput):
    """The sketch as a matplotlib Figure (not saved): tests inspect its artists. Labels never
    shrink below 9 pt: a route whose labels do not fit is drawn taller."""

    # a name holding "$" is text, never mathtext (r"$\\foo{$" would not parse)
    with matplotlib.rc_context({"text.parse_math": False}):
        try:
            for height_mm in TALLER_MM:
                _set_height(height_mm)
                figure, placed = _draw_figure(drawing, height_mm)
                if placed:
                    break
            return figure
        finally:
            _set_height(HEIGHT_MM)


def _draw_figure(drawing: SketchInput, height_mm: float):
    family = cjk_family()
    figure = Figure(figsize=(WIDTH_MM / 25.4, height_mm / 25.4), dpi=PNG_DPI)
    SketchCanvas(figure)
    sheet = Sheet(figure)
    nodes, edges = layout(drawing)
    _draw_boundary(sheet, drawing.customer, family)
    legend: dict = {}  # what was drawn, in order: the legend shows exactly that
    for edge in edges:
        _draw_edge(sheet, edge, legend)
    for node in nodes:
        _draw_node(sheet, node, legend)
    _draw_footer(sheet, drawing, family, legend)
    placed = _place(sheet, _node_labels(nodes) + _edge_labels(edges), _forbidden(sheet, edges))
    return figure, placed


class Sheet:
    """The figure in the sketch's own units (2.5 mm along x and y), with the few Axes methods
    the drawing uses. Not an Axes: its ticks, limits and clipping cost more than the sketch."""

    def __init__(self, figure):
        self.figure = figure
        self.bbox = figure.bbox
        self.transData = Affine2D().scale(1 / W, 1 / H) + figure.transFigure

    def add_artist(self, artist):
        artist.set_transform(self.transData)
        return self.figure.add_artist(artist)

    def text(self, x: float, y: float, text: str, **style):
        return self.add_artist(Text(x, y, text, **style))

    @property
    def texts(self) -> list:
        return drawn(self.figure, "texts")


def drawn(figure, kind: str) -> list:
    """The sketch's texts, lines or patches (kind: "texts", "lines", "patches")."""
    wanted = {"texts": Text, "lines": Line2D, "patches": Patch}[kind]
    return [a for a in figure.artists if isinstance(a, wanted)]


def _draw_boundary(sheet, customer: str, family: list[str]) -> None:
    sheet.add_artist(Rectangle((BOX_LEFT, BOX_BOTTOM), BOX_RIGHT - BOX_LEFT, BOX_TOP - BOX_BOTTOM,
                             fill=False, edgecolor=BOUNDARY, linestyle=(0, (5, 3)), linewidth=1.4,
                             gid="boundary"))
    name = "客户：\n" + wrap_name(clipped(drawable(customer)), 8)
    sheet.text((BOX_LEFT + BOX_RIGHT) / 2 + 0.3, BOX_TOP - 1.0, name, ha="center", va="top",
              fontsize=FONT_PT, color=BOUNDARY, family=family, gid="customer")
    sheet.text((BOX_LEFT + BOX_RIGHT) / 2 + 0.6, BOX_BOTTOM + 0.8, "客户红线\n（客户出资范围）",
              ha="center", va="bottom", fontsize=FONT_PT, color=BOUNDARY, family=family,
              gid="boundary-label")
    sheet.text(BOX_LEFT + 3.2, MAIN_Y - 3.2, "产权分界点\n（表箱出线\n压接螺栓处）", ha="left", va="top",
              fontsize=FONT_PT, color=BOUNDARY, family=family, gid="boundary-point-label")
    _plot(sheet, [BOX_LEFT + 1.2], [MAIN_Y], marker="o", markersize=5, color=BOUNDARY,
              gid="boundary-point", zorder=6)
    _plot(sheet, [BOX_LEFT + 1.2, BOX_LEFT + 3.0], [MAIN_Y, MAIN_Y - 2.6], color=BOUNDARY,
              linewidth=0.6, gid="boundary-point-leader")


def _plot(sheet, xs, ys, **style):
    """A line added as it is: Axes.plot's argument parsing costs more than drawing the line."""
    return sheet.add_artist(Line2D(xs, ys, **style))



def _line(sheet, x0: float, x1: float, y: float, ink: str, kind: str | None, gid: str, width=2.2):
    """A line as the sketch and its legend draw it: overhead solid; cable solid with short cross
    ticks (dashes would read as the red dashed property line); a lead thinner."""
    _plot(sheet, [x0, x1], [y, y], color=ink, linewidth=width if kind else 1.6,
              solid_capstyle="butt", zorder=2, gid=gid)
    if kind == "cable":  # one artist for all the ticks: a plot call costs more than drawing

        step = 1.1
        xs, ys = [], []
        for n in range(max(int((x1 - x0) / step), 1)):
            x = x0 + step / 2 + n * step
            xs += [x - 0.18, x + 0.18, float("nan")]
            ys += [y - 0.45, y + 0.45, float("nan")]
        sheet.add_artist(Line2D(xs, ys, color=ink, linewidth=1.0, zorder=2, gid=f"{gid}-tick"))


def _draw_edge(sheet, edge: Edge, legend: dict) -> None:
    start, end = edge.start.x, edge.end.x
    kind = edge.element.kind if edge.element is not None else None
    state = "new" if edge.new else "existing"
    _line(sheet, start, end, MAIN_Y, colour(edge.new), kind, f"line-{state}")
    if kind:
        legend.setdefault(f"{kind}-{state}", (f"{'新建' if edge.new else '现状'}{ELEMENT_KINDS[kind]}",
                                              ("line", kind, colour(edge.new))))
    if edge.element is not None and edge.element.excavation_m:
        middle = (start + end) / 2
        sheet.add_artist(Rectangle((middle - 1.1, MAIN_Y - 2.6), 2.2, 5.2, facecolor="none",
                                 edgecolor=ROAD, hatch="////", linewidth=0.8, gid="road", zorder=1))
        for x in (middle - 1.1, middle + 1.1):
            _plot(sheet, [x, x], [MAIN_Y - 3.2, MAIN_Y + 3.2], color=ROAD, linewidth=1.2,
                      gid="road-edge", zorder=1)
        legend.setdefault("road", ("掘路（道路开挖）", ("road", None, ROAD)))


def _symbol(sheet, kind: str, x: float, y: float, ink: str, gid: str, *, scale: float = 1.0) -> None:
    """A node's symbol after GB/T 4728, at (x, y): the sketch and its legend draw the same."""
    if kind == "transformer":  # two overlapping circles
        for dx in (-0.75, 0.75):
            sheet.add_artist(Circle((x + dx * scale, y), 1.25 * scale, fill=True, facecolor="white",
                                  edgecolor=ink, linewidth=1.5, zorder=4, gid=gid))
    elif kind == "pole":
        sheet.add_artist(Circle((x, y), 0.6 * scale, facecolor="white", edgecolor=ink,
                              linewidth=1.5, zorder=4, gid=gid))
    elif kind in ("branch_box", "meter_box"):
        width, height = (2.2, 2.8) if kind == "meter_box" else (2.6, 2.0)
        sheet.add_artist(Rectangle((x - width * scale / 2, y - height * scale / 2), width * scale,
                                 height * scale, facecolor="white", edgecolor=ink, linewidth=1.5,
                                 zorder=4, gid=gid))
    elif kind == "cabinet":  # a switchgear cabinet: a tall box with its panels
        width, height = 2.4 * scale, 3.2 * scale
        sheet.add_artist(Rectangle((x - width / 2, y - height / 2), width, height, facecolor="white",
                                 edgecolor=ink, linewidth=1.5, zorder=4, gid=gid))
        for dy in (-height / 6, height / 6):
            _plot(sheet, [x - width / 2, x + width / 2], [y + dy, y + dy], color=ink, linewidth=0.9,
                      zorder=5, gid=gid)
    elif kind == "switch":  # closed: the blade lies on its contact, the circuit continues
        sheet.add_artist(Rectangle((x - 0.9 * scale, y - 0.25), 1.8 * scale, 0.5, facecolor="white",
                                 edgecolor="white", zorder=3))
        _plot(sheet, [x - 0.9 * scale, x + 0.9 * scale], [y, y + 0.35 * scale], color=ink,
                  linewidth=1.6, zorder=4, gid=gid)
        _plot(sheet, [x + 0.9 * scale, x + 0.9 * scale], [y - 0.5 * scale, y + 0.5 * scale], color=ink,
                  linewidth=1.6, zorder=4, gid=gid)
        _plot(sheet, [x - 0.9 * scale], [y], marker="o", markersize=3, color=ink, zorder=4, gid=gid)
    elif kind == "joint":
        _plot(sheet, [x], [y], marker="o", markersize=2.5, color=ink, zorder=4, gid=gid)


SYMBOL_NAMES = {"transformer": "配变", "pole": "杆", "branch_box": "电缆分支箱", "cabinet": "低压柜",
                "switch": "开关（合）", "meter_box": "计量表箱"}


def _draw_node(sheet, node: Node, legend: dict) -> None:
    ink = colour(node.new)
    gid = f"{node.kind}-{'new' if node.new else 'existing'}"
    x = BOX_LEFT if node.kind == "meter_box" else node.x
    _symbol(sheet, node.kind, x, MAIN_Y, ink, gid)
    if node.kind == "meter_box":
        _plot(sheet, [BOX_LEFT, BOX_LEFT + 1.2], [MAIN_Y, MAIN_Y], color=ink, linewidth=1.2,
                  zorder=5, gid=f"meter-lead-{'new' if node.new else 'existing'}")
    if node.kind in SYMBOL_NAMES:
        legend.setdefault(node.kind, (SYMBOL_NAMES[node.kind], ("symbol", node.kind, EXISTING)))


@dataclass
class Label:
    text: str
    x: float
    colour: str
    heights: tuple[float, ...]  # offsets from the main line to try, in order (+ above)
    gid: str
    aligns: tuple[str, ...] = ("center", "left", "right")
    widest: int = 13  # characters per line at most


def _node_labels(nodes: list[Node]) -> list[Label]:
    labels = []
    for node in nodes[:-1]:
        if not node.label:
            continue
        lift = 1.9 if node.kind == "transformer" else 1.5
        labels.append(Label(node.label, node.x, colour(node.new),
                            (lift, lift + 3.8, lift + 7.6, -lift - 6.4, -lift - 10.2, lift + 11.4,
                             lift + 15.2, lift + 19.0), "label-node"))
    box = nodes[-1]
    labels.append(Label(box.label, BOX_LEFT - 1.5, colour(box.new), (1.9, 5.5, -1.9),
                        "label-meter", aligns=("right",)))
    return labels


def _edge_labels(edges: list[Edge]) -> list[Label]:
    labels = []
    for edge in edges:
        if edge.element is None:
            continue
        x = (edge.start.x + edge.end.x) / 2
        below = -3.6 if edge.element.excavation_m else -1.7
        # no wider than its stretch of line (a character is 1.27 units): beside the next
        # stretch's label it would read as one with it
        widest = min(max(int((edge.end.x - edge.start.x) / 1.27), WRAP_WIDTHS[2]), WRAP_WIDTHS[0])
        labels.append(Label(line_label(edge.element), x, colour(edge.new),
                            (below, below - 4.6, below - 8.6, 1.3, 5.1, 8.9, 12.7, 16.5, 20.3),
                            "label-line", widest=widest))
    return labels


def _forbidden(sheet, edges: list[Edge]):
    """Display boxes no label may touch: the main line, the red box, roads, the footer band."""
    zones = [(0, MAIN_Y - 1.8, BOX_LEFT, MAIN_Y + 1.8),  # the line and the symbols on it
             (BOX_LEFT - 0.4, BOX_BOTTOM - 0.4, W, BOX_TOP + 0.4),
             (0, 0, W, FOOTER_TOP)]
    for edge in edges:
        if edge.element is not None and edge.element.excavation_m:
            middle = (edge.start.x + edge.end.x) / 2
            zones.append((middle - 1.3, MAIN_Y - 3.4, middle + 1.3, MAIN_Y + 3.4))
    return [Bbox(sheet.transData.transform([(x0, y0), (x1, y1)])) for x0, y0, x1, y1 in zones]


WRAP_WIDTHS = (13, 10, 8, 6, 5, 4)  # characters per line, widest first


def _place(sheet, labels: list[Label], forbidden) -> bool:
    """Greedy placement: each label takes the first spot, nearest its symbol first, that
    touches nothing placed so far, wrapped as wide as fits there (at most two steps narrower,
    so a label stays by its symbol rather than move away whole); when some label finds no spot,
    all are placed again one width narrower."""
    renderer = sheet.figure.canvas.get_renderer()
    fixed = [t.get_window_extent(renderer).padded(*_label_pad(sheet)) for t in sheet.texts]
    for start in range(len(WRAP_WIDTHS)):
        placed, artists = [], []
        for label in labels:
            widths = [w for w in WRAP_WIDTHS[start:] if w <= label.widest] or [WRAP_WIDTHS[-1]]
            found = _first_fit(sheet, renderer, label, tuple(widths[:3]), fixed + placed + forbidden)
            if found is None:
                break
            artists.append(found[0])
            placed.append(found[1])
        else:
            return True
        for artist in artists:
            artist.remove()
    for label in labels:  # nothing fits: draw anyway (a taller picture is tried next)
        _move(_text(sheet, label, 4), label, label.heights[0], label.aligns[0])
    return False


NUDGE = {"center": 0.0, "left": -0.6, "right": 0.6}  # data units, so a side label clears its symbol


def _first_fit(sheet, renderer, label: Label, widths: tuple[int, ...], taken):
    """The first spot, in the label's order of heights, at the widest wrapping and the first
    alignment that stay on the picture and touch nothing taken: (the text, its padded extent),
    or None. Each wrapping and alignment is measured once; the heights only move that box
    (text layout is the slow part)."""
    artists = {}  # made when first tried: most labels fit at their widest
    x_unit, y_unit = sheet.bbox.width / W, sheet.bbox.height / H  # display pixels per data unit
    margin = sheet.figure.dpi * 1.5 / 25.4  # 1.5 mm of paper
    shapes = {}
    found = None
    for height, width, align in itertools.product(label.heights, widths, label.aligns):
        if width not in artists:
            artists[width] = _text(sheet, label, width)
        artist = artists[width]
        key = width, align, height > 0
        if key not in shapes:
            _move(artist, label, 0.0, align, above=height > 0)
            shapes[key] = artist.get_window_extent(renderer)
        extent = shapes[key].translated(0, height * y_unit)
        # shifted sideways to stay 1.5 mm inside the picture
        shift = max(sheet.bbox.x0 + margin - extent.x0, 0) - max(extent.x1 - (sheet.bbox.x1 - margin), 0)
        extent = extent.translated(shift, 0).padded(*_label_pad(sheet))
        inside = sheet.bbox.y0 <= extent.y0 and extent.y1 <= sheet.bbox.y1
        if inside and not any(extent.overlaps(box) for box in taken):
            _move(artist, label, height, align, shift / x_unit)
            found = artist, extent
            break
    for artist in artists.values():
        if found is None or artist is not found[0]:
            artist.remove()
    return found


def _label_pad(sheet) -> tuple[float, float]:
    """Display pixels kept beside and above each label: two labels side by side stay 1.2 mm
    apart, or they read as one ("…正街线JKLYJ-1kV-4×70"); lines of text above one another
    are told apart by their line spacing already."""
    return sheet.figure.dpi * 0.6 / 25.4, 2.0


def _move(artist, label: Label, height: float, align: str, shift: float = 0.0, *,
          above: bool | None = None) -> None:
    """Put a label's text `height` above the main line (below when negative): standing on that
    height when above the line, hanging from it when below."""
    artist.set_position((label.x + NUDGE[align] + shift, MAIN_Y + height))
    artist.set_horizontalalignment(align)
    artist.set_verticalalignment("bottom" if (height > 0 if above is None else above) else "top")


def _text(sheet, label: Label, width: int):
    return sheet.text(label.x, MAIN_Y, wrap(drawable(label.text), width), fontsize=FONT_PT,
                     color=label.colour, gid=label.gid, linespacing=1.15,
                     multialignment="center", family=cjk_family())


def _draw_footer(sheet, facts: SketchInput, family: list[str], legend: dict) -> None:
    """Summary line and legend, drawn by hand: matplotlib's Legend costs more than the rest."""
    if facts.new_line_m:
        dig = f"，其中掘路{number_text(facts.excavation_m)}米" if facts.excavation_m else "，不涉及掘路"
        summary = f"新建线路合计{number_text(facts.new_line_m)}米{dig}"
    elif facts.grid.source.new or any(e.new for e in facts.grid.route):
        summary = "无新建线路，不涉及掘路"
    else:
        summary = "无外线工程：由现状线路直接装表接电"
    if facts.cost_wan:
        summary += f"；供电企业投资{facts.cost_wan:.2f}万元"
    sheet.text(0.8, FOOTER_TOP - 1.9, summary, ha="left", va="bottom", fontsize=FONT_PT,
              color=EXISTING, family=family, gid="summary")
    entries = [("现状设备（黑色）", ("line", None, EXISTING)), ("本次新建（蓝色）", ("line", None, NEW)),
               *legend.values(), ("客户红线", ("boundary", None, BOUNDARY)),
               ("产权分界点", ("point", None, BOUNDARY))]
    _draw_legend(sheet, family, entries)


def _draw_legend(sheet, family: list[str], entries) -> None:
    renderer = sheet.figure.canvas.get_renderer()
    to_data = sheet.transData.inverted()
    x, y = 0.8, FOOTER_TOP - 3.9
    for label, (shape, kind, ink) in entries:
        text = sheet.text(x + 3.3, y, label, ha="left", va="center", fontsize=FONT_PT,
                         color=EXISTING, family=family, gid="legend")
        right = to_data.transform([(text.get_window_extent(renderer).x1, 0)])[0][0]
        if right > W - 0.8 and x > 0.8:  # the next row
            text.remove()
            x, y = 0.8, y - 2.4
            text = sheet.text(x + 3.3, y, label, ha="left", va="center", fontsize=FONT_PT,
                             color=EXISTING, family=family, gid="legend")
            right = to_data.transform([(text.get_window_extent(renderer).x1, 0)])[0][0]
        if shape == "line":
            _line(sheet, x, x + 2.6, y, ink, kind, "legend-handle", width=2.0)
        elif shape == "symbol":
            _symbol(sheet, kind, x + 1.3, y, ink, "legend-handle", scale=0.6)
        elif shape == "point":
            _plot(sheet, [x + 1.3], [y], marker="o", markersize=5, color=ink, gid="legend-handle")
        else:
            sheet.add_artist(Rectangle((x, y - 0.6), 2.6, 1.2, fill=False, edgecolor=ink,
                                     linestyle=(0, (5, 3)) if shape == "boundary" else "solid",
                                     hatch="////" if shape == "road" else None, linewidth=1.2,
                                     gid="legend-handle"))
        x = right + 1.6


def save_sketch(figure, png: Path, svg: Path | None = None) -> None:
    """PNG (and SVG), written atomically; the same case gives the same bytes."""
    with atomic_path(png) as temporary:
        temporary.write_bytes(png_bytes(figure))
    with matplotlib.rc_context({"svg.hashsalt": "casegen", "svg.fonttype": "path"}):
        if svg is not None:
            with atomic_path(svg) as temporary:
                figure.savefig(temporary, format="svg", metadata={"Date": None, "Creator": None})


def draw(drawing: SketchInput, png: Path, svg: Path | None = None) -> Path:
    save_sketch(draw_figure(drawing), png, svg)
    return png
