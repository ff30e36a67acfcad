"""工程建设简图: the route from the public transformer to the meter box, drawn with matplotlib.

Existing equipment black, what the utility builds blue (with lengths and 掘路), the customer's
property line a red dashed box with the meter box on its edge and the 产权分界点 marked. Symbols
after GB/T 4728: transformer two overlapping circles, pole a small circle, boxes rectangles.
Labels are placed greedily and measured with the renderer so that no two overlap.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from casegen.derive import number_text
from casegen.model import ELEMENT_KINDS, LINE_KINDS, Case, Element, Grid, Transformer, parse_number
from casegen.output import atomic_path

EXISTING, NEW, BOUNDARY, ROAD = "#000000", "#0047D6", "#D40000", "#8C8C8C"
WIDTH_MM, HEIGHT_MM = 150, 84  # drawn at the width it has on the A4 page
PNG_DPI = 150  # 150 mm wide: 886 px, sharp in Word and on a laser print
FONT_PT = 7.5
W, H = 60.0, 60.0 * HEIGHT_MM / WIDTH_MM  # data units of 2.5 mm, the same along x and y
MAIN_Y = 19.5
FOOTER_TOP = 7.4
BOX_LEFT, BOX_RIGHT, BOX_BOTTOM, BOX_TOP = 45.5, 59.0, 8.6, H - 1.5


def cjk_family() -> list[str]:
    """The CJK font, with DejaVu Sans (matplotlib's own) behind it for symbols such as ×."""
    from casegen.fonts import cjk_font

    return [cjk_font().family, "DejaVu Sans"]


def drawable(text: str) -> str:
    """Drop characters no font here can draw (emoji): a box in a published sketch is worse."""
    from casegen.fonts import covers

    return "".join(ch for ch in text if ch in "\n " or covers(ch))


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
    nodes = [Node("transformer", source.new, f"{source.name}{action}{capacity}")]
    edges: list[Edge] = []
    pending: Edge | None = None
    for element in drawing.grid.route:
        if element.kind in LINE_KINDS:
            if pending is not None:  # two lines in a row meet at a joint
                nodes.append(Node("joint", pending.new, ""))
                edges.append(pending)
            pending = Edge(element.new, element)
            continue
        nodes.append(Node(element.kind, element.new, element.label))
        edges.append(pending or Edge(_lead_is_new(nodes[-2], element.new), None))
        pending = None
    box = drawing.grid.meter_box
    nodes.append(Node("meter_box", box.new, box.name))
    edges.append(pending or Edge(_lead_is_new(nodes[-2], box.new), None))
    for edge, start, end in zip(edges, nodes[:-1], nodes[1:], strict=True):
        edge.start, edge.end = start, end
    weights = [3.0 if e.element else 1.3 for e in edges]
    left, right = 3.5, BOX_LEFT
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
    title = element.spec or element.name or kind
    verb = "新建" if element.new else "现状"
    length = f"{number_text(element.length_m)} m"
    parts = [title, f"{verb}{kind} {length}" if element.new or title == kind else length]
    if element.excavation_m:
        parts.append(f"掘路 {number_text(element.excavation_m)} m")
    return "\n".join(parts)


def _tokens(text: str) -> list[str]:
    """Runs of Latin letters, digits and signs stay whole (a cable spec); CJK breaks anywhere,
    but a short bracketed word stays whole, an opening bracket never ends a line and closing
    punctuation never starts one."""
    return re.findall(r"（[^（）]{1,4}）|[（“]?(?:[A-Za-z0-9.\-/×*+()]+\s*|\s+|.)[）”，、。：]?", text)


def _width(token: str) -> float:
    return sum(1.0 if ord(ch) > 0x2E80 else 0.55 for ch in token)


def wrap(text: str, width: int) -> str:
    """Wrap to about `width` CJK characters per line, never inside a spec such as YJV22-4×35."""
    lines = []
    for part in text.split("\n"):
        line, used = "", 0.0
        for token in _tokens(part):
            if line and used + _width(token) > width:
                lines.append(line.rstrip())
                line, used = token.lstrip(), _width(token.lstrip())
            else:
                line, used = line + token, used + _width(token)
        lines.append(line.rstrip())
        if len(lines) > 1 and len(lines[-1]) == 1 and len(lines[-2]) > 3:
            lines[-2:] = [lines[-2][:-1], lines[-2][-1] + lines[-1]]  # no lone last character
    return "\n".join(lines)


def draw_figure(drawing: SketchInput):
    """The sketch as a matplotlib Figure (not saved): tests inspect its artists."""
    import matplotlib

    # a name holding "$" is text, never mathtext (r"$\\foo{$" would not parse)
    with matplotlib.rc_context({"text.parse_math": False}):
        return _draw_figure(drawing)


def _draw_figure(drawing: SketchInput):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    family = cjk_family()
    figure = Figure(figsize=(WIDTH_MM / 25.4, HEIGHT_MM / 25.4), dpi=PNG_DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_axes((0, 0, 1, 1))
    axes.set_xlim(0, W)
    axes.set_ylim(0, H)
    axes.set_axis_off()
    nodes, edges = layout(drawing)
    _draw_boundary(axes, drawing.customer, family)
    for edge in edges:
        _draw_edge(axes, edge)
    for node in nodes:
        _draw_node(axes, node)
    _draw_footer(axes, drawing, family)
    _place(figure, axes, _node_labels(nodes) + _edge_labels(edges), _forbidden(axes, edges))
    return figure


def _draw_boundary(axes, customer: str, family: list[str]) -> None:
    from matplotlib.patches import Rectangle

    axes.add_patch(Rectangle((BOX_LEFT, BOX_BOTTOM), BOX_RIGHT - BOX_LEFT, BOX_TOP - BOX_BOTTOM,
                             fill=False, edgecolor=BOUNDARY, linestyle=(0, (5, 3)), linewidth=1.4,
                             gid="boundary"))
    name = wrap(drawable(f"客户：{customer}"), 9)
    axes.text((BOX_LEFT + BOX_RIGHT) / 2 + 0.3, BOX_TOP - 1.0, name, ha="center", va="top",
              fontsize=FONT_PT, color=BOUNDARY, family=family, gid="customer")
    axes.text((BOX_LEFT + BOX_RIGHT) / 2 + 0.6, BOX_BOTTOM + 0.8, "客户红线（客户出资范围）",
              ha="center", va="bottom", fontsize=FONT_PT - 0.5, color=BOUNDARY, family=family,
              gid="boundary-label")
    axes.text(BOX_LEFT + 3.2, MAIN_Y - 3.2, "产权分界点\n（表箱出线端子）", ha="left", va="top",
              fontsize=FONT_PT - 0.5, color=BOUNDARY, family=family, gid="boundary-point-label")
    axes.plot([BOX_LEFT + 1.2], [MAIN_Y], marker="o", markersize=5, color=BOUNDARY,
              gid="boundary-point", zorder=6)
    axes.plot([BOX_LEFT + 1.2, BOX_LEFT + 3.0], [MAIN_Y, MAIN_Y - 2.6], color=BOUNDARY,
              linewidth=0.6, gid="boundary-point-leader")


def _draw_edge(axes, edge: Edge) -> None:
    from matplotlib.patches import Rectangle

    start, end = edge.start.x, edge.end.x
    width = 2.2 if edge.element is not None else 1.6
    dashes = (0, (4, 1.5)) if edge.element is not None and edge.element.kind == "cable" else "solid"
    axes.plot([start, end], [MAIN_Y, MAIN_Y], color=colour(edge.new), linewidth=width,
              linestyle=dashes, solid_capstyle="butt", zorder=2,
              gid=f"line-{'new' if edge.new else 'existing'}")
    if edge.element is not None and edge.element.excavation_m:
        middle = (start + end) / 2
        axes.add_patch(Rectangle((middle - 1.1, MAIN_Y - 2.6), 2.2, 5.2, facecolor="none",
                                 edgecolor=ROAD, hatch="////", linewidth=0.8, gid="road", zorder=1))
        for x in (middle - 1.1, middle + 1.1):
            axes.plot([x, x], [MAIN_Y - 3.2, MAIN_Y + 3.2], color=ROAD, linewidth=1.2,
                      gid="road-edge", zorder=1)


def _draw_node(axes, node: Node) -> None:
    from matplotlib.patches import Circle, Rectangle

    ink = colour(node.new)
    gid = f"{node.kind}-{'new' if node.new else 'existing'}"
    if node.kind == "transformer":  # GB/T 4728: two overlapping circles
        for dx in (-0.75, 0.75):
            axes.add_patch(Circle((node.x + dx, MAIN_Y), 1.25, fill=True, facecolor="white",
                                  edgecolor=ink, linewidth=1.5, zorder=4, gid=gid))
    elif node.kind == "pole":
        axes.add_patch(Circle((node.x, MAIN_Y), 0.6, facecolor="white", edgecolor=ink,
                              linewidth=1.5, zorder=4, gid=gid))
    elif node.kind in ("branch_box", "meter_box"):
        width, height = (2.2, 2.8) if node.kind == "meter_box" else (2.6, 2.0)
        x = BOX_LEFT - width / 2 if node.kind == "meter_box" else node.x - width / 2
        axes.add_patch(Rectangle((x, MAIN_Y - height / 2), width, height, facecolor="white",
                                 edgecolor=ink, linewidth=1.5, zorder=4, gid=gid))
        if node.kind == "meter_box":
            axes.plot([BOX_LEFT, BOX_LEFT + 1.2], [MAIN_Y, MAIN_Y], color=ink, linewidth=1.2,
                      zorder=5, gid=f"meter-lead-{'new' if node.new else 'existing'}")
    elif node.kind == "switch":  # a breaking contact drawn as a slanted blade
        axes.add_patch(Rectangle((node.x - 0.9, MAIN_Y - 0.2), 1.8, 0.4, facecolor="white",
                                 edgecolor="white", zorder=3))
        axes.plot([node.x - 0.9, node.x + 0.8], [MAIN_Y, MAIN_Y + 1.2], color=ink, linewidth=1.6,
                  zorder=4, gid=gid)
        axes.plot([node.x + 0.9], [MAIN_Y], marker="x", markersize=5, color=ink, zorder=4,
                  gid=gid)
    elif node.kind == "joint":
        axes.plot([node.x], [MAIN_Y], marker="o", markersize=2.5, color=ink, zorder=4, gid=gid)


@dataclass
class Label:
    text: str
    x: float
    colour: str
    heights: tuple[float, ...]  # offsets from the main line to try, in order (+ above)
    gid: str
    aligns: tuple[str, ...] = ("center", "left", "right")


def _node_labels(nodes: list[Node]) -> list[Label]:
    labels = []
    for node in nodes[:-1]:
        if not node.label:
            continue
        lift = 1.9 if node.kind == "transformer" else 1.5
        labels.append(Label(node.label, node.x, colour(node.new),
                            (lift, lift + 3.8, lift + 7.6, -lift - 6.4), "label-node"))
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
        labels.append(Label(line_label(edge.element), x, colour(edge.new),
                            (below, below - 4.6, 1.3, 5.1, 8.9), "label-line"))
    return labels


def _forbidden(axes, edges: list[Edge]):
    """Display boxes no label may touch: the main line, the red box, roads, the footer band."""
    from matplotlib.transforms import Bbox

    zones = [(0, MAIN_Y - 1.2, BOX_LEFT, MAIN_Y + 1.2),
             (BOX_LEFT - 0.4, BOX_BOTTOM - 0.4, W, BOX_TOP + 0.4),
             (0, 0, W, FOOTER_TOP)]
    for edge in edges:
        if edge.element is not None and edge.element.excavation_m:
            middle = (edge.start.x + edge.end.x) / 2
            zones.append((middle - 1.3, MAIN_Y - 3.4, middle + 1.3, MAIN_Y + 3.4))
    return [Bbox(axes.transData.transform([(x0, y0), (x1, y1)])) for x0, y0, x1, y1 in zones]


def _place(figure, axes, labels: list[Label], forbidden) -> None:
    """Greedy placement: each label takes the first spot that touches nothing placed so far;
    when some label finds none, all are placed again with narrower wrapping."""
    renderer = figure.canvas.get_renderer()
    fixed = [t.get_window_extent(renderer).padded(2) for t in axes.texts]
    for width in (13, 10, 8, 6, 4):
        placed, artists = [], []
        for label in labels:
            artist = _first_fit(axes, renderer, label, width, fixed + placed + forbidden)
            if artist is None:
                break
            artists.append(artist)
            placed.append(artist.get_window_extent(renderer).padded(2))
        else:
            return
        for artist in artists:
            artist.remove()
    for label in labels:  # nothing fits: draw anyway (tests and the overlap check will say so)
        _text(axes, label, 4, label.heights[0], label.aligns[0])


def _first_fit(axes, renderer, label: Label, width: int, taken):
    for height in label.heights:
        for align in label.aligns:
            artist = _text(axes, label, width, height, align)
            extent = _keep_inside(axes, renderer, artist)
            if not any(extent.overlaps(box) for box in taken):
                return artist
            artist.remove()
    return None


def _keep_inside(axes, renderer, artist):
    """Shift a text sideways so it stays on the picture; return its padded extent."""
    extent = artist.get_window_extent(renderer)
    shift = max(axes.bbox.x0 + 2 - extent.x0, 0) - max(extent.x1 - (axes.bbox.x1 - 2), 0)
    if shift:
        x, _y = artist.get_position()
        dx = axes.transData.inverted().transform([(shift, 0)])[0][0] - \
            axes.transData.inverted().transform([(0, 0)])[0][0]
        artist.set_x(x + dx)
        extent = artist.get_window_extent(renderer)
    return extent.padded(2)


def _text(axes, label: Label, width: int, height: float, align: str):
    nudge = {"center": 0.0, "left": -0.6, "right": 0.6}[align]
    return axes.text(label.x + nudge, MAIN_Y + height, wrap(drawable(label.text), width), ha=align,
                     va="bottom" if height > 0 else "top", fontsize=FONT_PT, color=label.colour,
                     gid=label.gid, linespacing=1.15, multialignment="center",
                     family=cjk_family())


LEGEND = (("现状设备", "line", EXISTING), ("新建工程", "line", NEW), ("客户红线", "boundary", BOUNDARY),
          ("掘路", "road", ROAD))


def _draw_footer(axes, facts: SketchInput, family: list[str]) -> None:
    """Summary line and legend, drawn by hand: matplotlib's Legend costs more than the rest."""
    if facts.new_line_m:
        dig = f"，其中掘路 {number_text(facts.excavation_m)} m" if facts.excavation_m else "，不涉及掘路"
        summary = f"新建线路合计 {number_text(facts.new_line_m)} m{dig}"
    elif facts.grid.source.new or any(e.new for e in facts.grid.route):
        summary = "无新建线路，不涉及掘路"
    else:
        summary = "无外线工程：由现状线路直接装表接电"
    if facts.cost_wan:
        summary += f"；供电企业投资 {facts.cost_wan:.2f} 万元"
    axes.text(0.8, 4.4, summary, ha="left", va="bottom", fontsize=FONT_PT, color=EXISTING,
              family=family, gid="summary")
    _draw_legend(axes, family)


def _draw_legend(axes, family: list[str]) -> None:
    from matplotlib.patches import Rectangle

    renderer = axes.figure.canvas.get_renderer()
    to_data = axes.transData.inverted()
    x, y = 0.8, 1.9
    for label, kind, ink in LEGEND:
        if kind == "line":
            axes.plot([x, x + 2.6], [y, y], color=ink, linewidth=2, gid="legend-handle")
        else:
            axes.add_patch(Rectangle((x, y - 0.6), 2.6, 1.2, fill=False, edgecolor=ink,
                                     linestyle=(0, (5, 3)) if kind == "boundary" else "solid",
                                     hatch="////" if kind == "road" else None, linewidth=1.2,
                                     gid="legend-handle"))
        text = axes.text(x + 3.3, y, label, ha="left", va="center", fontsize=FONT_PT,
                         color=EXISTING, family=family, gid="legend")
        extent = text.get_window_extent(renderer)
        x = to_data.transform([(extent.x1, 0)])[0][0] + 2.2


def save_sketch(figure, png: Path, svg: Path | None = None) -> None:
    """PNG (and SVG), written atomically; the same case gives the same bytes."""
    import matplotlib

    with matplotlib.rc_context({"svg.hashsalt": "casegen", "svg.fonttype": "path"}):
        with atomic_path(png) as temporary:
            # zlib level 1: a third of the time of the default for a slightly larger file
            figure.savefig(temporary, format="png", dpi=PNG_DPI, metadata={"Software": None},
                           pil_kwargs={"compress_level": 1})
        if svg is not None:
            with atomic_path(svg) as temporary:
                figure.savefig(temporary, format="svg", metadata={"Date": None, "Creator": None})


def draw(drawing: SketchInput, png: Path, svg: Path | None = None) -> Path:
    save_sketch(draw_figure(drawing), png, svg)
    return png
