"""The sketch, inspected through the artists handed to matplotlib, plus the saved files."""

from __future__ import annotations

import itertools

import pytest
from conftest import example_paths, load_valid, write_case
from matplotlib import colors, font_manager
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, Rectangle

from casegen.case.calendar import WorkCalendar
from casegen.case.derive import derive
from casegen.case.reading import read_case
from casegen.cli import main
from casegen.outputs import fonts
from casegen.outputs.sketch import BOX_LEFT, SketchInput, draw, draw_figure, drawn

LONG = "井口工业园区主干道东侧现状低压综合配电箱出线"
ROUTE_POOL = [
    {"kind": "switch", "new": False, "name": LONG + "断路器"},
    {"kind": "cable", "length_m": 40, "new": False, "name": LONG + "电缆"},
    {"kind": "branch_box", "new": True, "name": "新建" + LONG + "分支箱"},
    {"kind": "cable", "length_m": 120, "new": True, "spec": "YJV22-0.6/1kV-4×150",
     "excavation_m": 30},
    {"kind": "pole", "new": True, "name": "新立A区8号楼前12米水泥杆"},
    {"kind": "overhead", "length_m": 75, "new": True, "spec": "JKLYJ-1kV-4×70"},
    {"kind": "overhead", "length_m": 35, "new": True, "spec": "JKLYJ-1kV-4×35"},
    {"kind": "cable", "length_m": 35, "new": True, "spec": "YJV22-0.6/1kV-4×95", "excavation_m": 12},
]


def figure_of(path):
    case_file = read_case(path)
    facts = derive(case_file.case, WorkCalendar())
    return draw_figure(SketchInput.from_case(case_file.case)), case_file.case, facts


def route_case(tmp_path, n: int):
    data = load_valid()
    data["customer"]["name"] = "重庆市沙坪坝区井口镇顺达汽车维修与美容服务有限责任公司"
    data["grid"]["route"] = ROUTE_POOL[:n]
    return write_case(tmp_path / f"route{n}", data)


def is_blue(colour) -> bool:
    r, g, b = colors.to_rgb(colour)
    return b > 0.6 and r < 0.3 and g < 0.5


def is_black(colour) -> bool:
    return colors.to_rgb(colour) == (0.0, 0.0, 0.0)


def cases_to_check(tmp_path, examples):
    return example_paths(examples) + [route_case(tmp_path, n) for n in range(1, 9)]


def text_extents(figure):
    figure.canvas.draw()  # lays out the legend as the saved picture has it
    renderer = figure.canvas.get_renderer()
    texts = [t for t in drawn(figure, "texts") if t.get_text().strip()]
    return [(t.get_text(), t.get_window_extent(renderer)) for t in texts]


def test_colours_of_new_and_existing_elements(tmp_path, examples):
    for path in cases_to_check(tmp_path, examples):
        figure, case, _ = figure_of(path)
        for artist in [*drawn(figure, "lines"), *drawn(figure, "patches")]:
            gid = artist.get_gid() or ""
            ink = artist.get_color() if isinstance(artist, Line2D) else artist.get_edgecolor()
            if gid.endswith("-new"):
                assert is_blue(ink), (path, gid)
            elif gid.endswith("-existing"):
                assert is_black(ink), (path, gid)
        new_lines = [a for a in drawn(figure, "lines") if a.get_gid() == "line-new"]
        assert len(new_lines) >= sum(e.new and e.kind in ("cable", "overhead")
                                     for e in case.grid.route)


def test_symbols_after_gb_t_4728(tmp_path):
    figure, _case, _ = figure_of(route_case(tmp_path, 8))
    patches = drawn(figure, "patches")
    transformer = [p for p in patches if (p.get_gid() or "").startswith("transformer")]
    assert len(transformer) == 2 and all(isinstance(p, Circle) for p in transformer)
    assert transformer[0].center != transformer[1].center
    distance = abs(transformer[0].center[0] - transformer[1].center[0])
    assert distance < 2 * transformer[0].radius  # the two circles overlap
    assert any(isinstance(p, Circle) and p.get_gid() == "pole-new" for p in patches)
    assert any(isinstance(p, Rectangle) and p.get_gid() == "branch_box-new" for p in patches)


def test_boundary_is_a_red_dashed_box_with_the_meter_box_on_its_edge(tmp_path, examples):
    for path in example_paths(examples):
        figure, _, _ = figure_of(path)
        patches = drawn(figure, "patches")
        boundary, = [p for p in patches if p.get_gid() == "boundary"]
        r, g, b = colors.to_rgb(boundary.get_edgecolor())
        assert r > 0.7 and g < 0.2 and b < 0.2
        assert boundary.get_linestyle() not in ("-", "solid")  # dashed: (0, (5, 3))
        assert boundary.get_x() == BOX_LEFT
        meter, = [p for p in patches if (p.get_gid() or "").startswith("meter_box")]
        assert meter.get_x() < boundary.get_x() < meter.get_x() + meter.get_width()
        point = [a for a in drawn(figure, "lines") if a.get_gid() == "boundary-point"]
        assert point and "产权分界点" in " ".join(t.get_text() for t in drawn(figure, "texts"))


def test_lengths_excavation_and_money_are_labelled(tmp_path, examples):
    figure, _, _facts = figure_of(example_paths(examples)[2])
    texts = " ".join(t.get_text().replace("\n", " ") for t in drawn(figure, "texts"))
    assert "新建电缆65米" in texts  # 米, as the text says it
    assert "掘路18米 （井口工业园纬一路）" in texts  # the road crossed, named
    assert "新建线路合计65米，其中掘路18米" in texts
    assert "供电企业投资12.65万元" in texts
    customer = next(t.get_text() for t in drawn(figure, "texts") if t.get_gid() == "customer")
    assert customer == "客户：\n重庆沙坪坝区\n顺达汽车维修\n有限公司"  # broken between words only
    legend = [t.get_text() for t in drawn(figure, "texts") if t.get_gid() == "legend"]
    assert legend == ["现状设备（黑色）", "本次新建（蓝色）", "现状电缆", "新建电缆", "掘路（道路开挖）",
                      "配变", "电缆分支箱", "计量表箱", "客户红线", "产权分界点"]


def test_every_label_is_at_least_9_pt_and_the_picture_300_ppi(tmp_path, examples):
    from casegen.outputs.sketch import PNG_DPI, WIDTH_MM

    figure, _, _ = figure_of(example_paths(examples)[2])
    assert figure.get_figwidth() * 25.4 == pytest.approx(WIDTH_MM)  # drawn at its printed width
    assert min(t.get_fontsize() for t in drawn(figure, "texts")) >= 9
    assert PNG_DPI >= 300
    png = tmp_path / "s.png"
    draw(SketchInput.from_case(read_case(example_paths(examples)[2]).case), png)
    from PIL import Image

    assert Image.open(png).width >= WIDTH_MM / 25.4 * 300 - 1


def test_cables_are_not_dashed_and_the_legend_draws_what_the_sketch_draws(examples):
    figure, _, _ = figure_of(example_paths(examples)[2])
    lines = drawn(figure, "lines")
    for line in lines:
        if (line.get_gid() or "").startswith(("line-", "legend-handle")):
            assert line.get_linestyle() in ("-", "solid")  # dashes belong to the red property line
    ticks = {ln.get_gid() for ln in lines if (ln.get_gid() or "").endswith("-tick")}
    assert ticks == {"line-existing-tick", "line-new-tick", "legend-handle-tick"}


def test_a_cabinet_and_a_closed_switch(tmp_path):
    data = load_valid()
    data["grid"]["route"][:0] = [{"kind": "cabinet", "new": False, "name": "低压出线柜"},
                                 {"kind": "switch", "new": False, "name": "出线开关"}]
    figure, _, _ = figure_of(write_case(tmp_path, data))
    legend = [t.get_text() for t in drawn(figure, "texts") if t.get_gid() == "legend"]
    assert "低压柜" in legend and "开关（合）" in legend
    blade = next(ln for ln in drawn(figure, "lines") if ln.get_gid() == "switch-existing")
    (x0, x1), (y0, y1) = blade.get_xdata(), blade.get_ydata()
    assert abs(y1 - y0) < 0.5 * abs(x1 - x0)  # lying on its contact: closed, not open


@pytest.mark.parametrize("n", range(1, 9))
def test_no_text_overlaps_text_or_symbols(tmp_path, n):
    figure, _, _ = figure_of(route_case(tmp_path, n))
    extents = text_extents(figure)
    for (a, box_a), (b, box_b) in itertools.combinations(extents, 2):
        assert not box_a.overlaps(box_b), f"{a!r} overlaps {b!r}"
    renderer = figure.canvas.get_renderer()
    symbols = [p for p in drawn(figure, "patches") if p.get_gid() not in ("boundary", None)]
    symbols += [ln for ln in drawn(figure, "lines") if (ln.get_gid() or "").startswith("line-")]
    for text, box in extents:
        for symbol in symbols:
            assert not box.overlaps(symbol.get_window_extent(renderer)), (text, symbol.get_gid())
        inside = figure.bbox
        assert inside.x0 <= box.x0 and box.x1 <= inside.x1 and inside.y0 <= box.y0
    boundary = next(p for p in drawn(figure, "patches") if p.get_gid() == "boundary")
    edge = boundary.get_window_extent(renderer)
    name = next(t for t in drawn(figure, "texts") if t.get_gid() == "customer")
    text = name.get_window_extent(renderer)
    assert edge.x0 + 2 < text.x0 and text.x1 < edge.x1 - 2 and text.y1 < edge.y1 - 2


def test_examples_have_no_overlaps(examples):
    for path in example_paths(examples):
        extents = text_extents(figure_of(path)[0])
        for (a, box_a), (b, box_b) in itertools.combinations(extents, 2):
            assert not box_a.overlaps(box_b), f"{path}: {a!r} overlaps {b!r}"


def test_chinese_text_uses_a_cjk_font(examples):
    figure, _, _ = figure_of(example_paths(examples)[0])
    cjk = fonts.cjk_font()
    for text in drawn(figure, "texts"):
        if any(ord(ch) > 0x2E80 for ch in text.get_text()):
            found = font_manager.findfont(text.get_fontproperties(), fallback_to_default=False)
            assert found == str(cjk.path)


def test_no_cjk_font_is_a_loud_error(monkeypatch, capsys, tmp_path, examples):
    monkeypatch.setattr(fonts, "bundled_font_path", lambda: None)
    with pytest.raises(fonts.FontMissing) as caught:
        fonts.cjk_font(("No Such CJK Font",))
    assert "找不到中文字体" in str(caught.value)
    original = fonts.cjk_font
    monkeypatch.setattr(fonts, "cjk_font", lambda: original(("No Such",)))
    code = main(["draw", str(example_paths(examples)[0]), "-o", str(tmp_path / "out")])
    assert code == 1
    assert "找不到中文字体" in capsys.readouterr().err


def test_bundled_font_is_an_ofl_cjk_font():
    path = fonts.bundled_font_path()
    assert path is not None and path.suffix == ".otf"
    from matplotlib.ft2font import FT2Font

    face = FT2Font(str(path))
    assert face.family_name == "Noto Sans SC"
    assert all(face.get_char_index(ord(ch)) for ch in "工程建设简图掘路")


def test_png_and_svg_are_byte_reproducible(tmp_path, examples):
    case_file = read_case(example_paths(examples)[2])
    outputs = []
    for run in ("a", "b"):
        png, svg = tmp_path / run / "s.png", tmp_path / run / "s.svg"
        draw(SketchInput.from_case(case_file.case), png, svg)
        outputs.append((png.read_bytes(), svg.read_bytes()))
    assert outputs[0] == outputs[1]
    assert outputs[0][0].startswith(b"\x89PNG") and b"<svg" in outputs[0][1]


def test_draw_command_writes_png_and_svg(tmp_path, capsys, examples):
    assert main(["draw", *map(str, example_paths(examples)), "-o", str(tmp_path / "out")]) == 0
    assert len(list((tmp_path / "out").glob("*.png"))) == 3
    assert len(list((tmp_path / "out").glob("*.svg"))) == 3
    assert not list((tmp_path / "out").glob("*.docx"))


def test_wrapping_keeps_specs_whole_and_brackets_with_their_words():
    from casegen.outputs.sketch import wrap

    assert wrap("YJV22-0.6/1kV-4×95", 5) == "YJV22-0.6/1kV-4×95"
    lines = wrap("井口工业园2号公用配变（更换）", 9).split("\n")
    assert lines == ["井口工业园2号公用", "配变（更换）"]
    assert wrap("井口工业园2号公用配变（更换）", 13) == "井口工业园2号公用配变\n（更换）"
    assert wrap("客户：重庆沙坪坝区顺达汽车维修有限公司", 9).split("\n")[-1] != "司"
    assert not any(line.endswith("（") or line.startswith("）") for line in
                   wrap("甲乙丙丁戊己庚（辛壬癸）子丑寅卯", 7).split("\n"))


def test_draw_draws_a_case_whose_grid_is_valid_though_the_rest_is_not(tmp_path, capsys):
    data = load_valid()
    data["timeline"]["energized"] = "昨天"  # a data error outside the sketch
    data["application"]["capacity_kw"] = 500  # and out of scope
    good = write_case(tmp_path / "good", data)
    broken = load_valid()
    broken["customer"]["account_no"] = "5100000002"
    broken["grid"]["route"][2]["length_m"] = "很长"  # the sketch's own data
    bad = write_case(tmp_path / "bad", broken)
    assert main(["draw", str(good), str(bad), "-o", str(tmp_path / "out")]) == 1
    captured = capsys.readouterr()
    assert f"✗ {bad}：未生成" in captured.err and "grid.route[3].length_m" in captured.err
    assert str(good) not in captured.err
    assert [p.name for p in (tmp_path / "out").glob("*.png")] == ["重庆沙坪坝区顺达汽车维修有限公司_工程建设简图.png"]


def test_a_new_meter_box_on_an_existing_pole_is_fed_by_a_black_lead(examples):
    figure, _, _ = figure_of(example_paths(examples)[0])  # 无外线: nothing blue but the meter box
    lines = [a for a in drawn(figure, "lines") if (a.get_gid() or "").startswith("line-")]
    assert lines and all(a.get_gid() == "line-existing" for a in lines)


@pytest.mark.parametrize("number", ["01", "02", "03"])
def test_the_sketches_look_as_their_references(tmp_path, number, examples):
    """Compared as pictures, with a tolerance (matplotlib's compare_images, as pytest-mpl does);
    after a deliberate change: python scripts/make_sketch_references.py, look, commit."""
    import sys

    from conftest import ROOT
    from matplotlib.testing.compare import compare_images

    sys.path.insert(0, str(ROOT / "scripts"))
    from make_sketch_references import BASELINE, DPI, reference_pictures

    figure = next(f for name, f in reference_pictures(examples).items() if name.startswith(number))
    actual = tmp_path / f"sketch-{number}.png"
    figure.savefig(actual, dpi=DPI, metadata={"Software": None})
    difference = compare_images(str(BASELINE / f"sketch-{number}.png"), str(actual), tol=6)
    assert difference is None, difference


def ink_of(canvas_class, dpi: int):
    """Where a two-line CJK and Latin text puts its ink: bounding box, centre, total."""
    import numpy as np
    from matplotlib.figure import Figure

    from casegen.outputs.sketch import cjk_family

    figure = Figure(figsize=(3, 1), dpi=dpi)
    canvas_class(figure)
    figure.text(0.1, 0.5, "客户红线 Ag 4×95\n第二行（掘路）", fontsize=9, family=cjk_family(),
                va="center", multialignment="center")
    figure.canvas.draw()
    darkness = 255 - np.asarray(figure.canvas.buffer_rgba())[:, :, 0].astype(float)
    rows, cols = np.nonzero(darkness)
    weight = darkness[rows, cols]
    centre = ((rows * weight).sum() / weight.sum(), (cols * weight).sum() / weight.sum())
    return (rows.min(), rows.max(), cols.min(), cols.max()), centre, weight.sum()


@pytest.mark.parametrize("dpi", [100, 300])
def test_cached_text_lands_where_matplotlib_draws_it(dpi):
    """casegen.outputs.raster draws each line from one cached bitmap; matplotlib places glyph by glyph.
    The two may differ by antialiasing and a fraction of a pixel, never by a shift."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from casegen.outputs.raster import SketchCanvas

    box, centre, total = ink_of(FigureCanvasAgg, dpi)
    cached_box, cached_centre, cached_total = ink_of(SketchCanvas, dpi)
    assert all(abs(a - b) <= 1 for a, b in zip(box, cached_box, strict=True)), (box, cached_box)
    assert all(abs(a - b) <= 0.5 for a, b in zip(centre, cached_centre, strict=True))
    assert cached_total == pytest.approx(total, rel=0.01)


def test_the_png_holds_the_canvas_pixels_at_300_ppi(examples):
    import io

    import numpy as np
    from PIL import Image

    from casegen.outputs.raster import png_bytes

    figure, _, _ = figure_of(example_paths(examples)[1])
    picture = Image.open(io.BytesIO(png_bytes(figure)))
    assert picture.info["dpi"] == pytest.approx((300, 300), abs=0.01)
    assert picture.mode == "RGB"  # opaque: no alpha for a PDF to carry as a soft mask
    canvas = np.asarray(figure.canvas.buffer_rgba())
    assert (canvas[:, :, 3] == 255).all()
    assert np.array_equal(np.asarray(picture), canvas[:, :, :3])


def test_text_caches_change_nothing_drawn(tmp_path, examples):
    """The first sketch of a process and a later one give the same bytes."""
    from casegen.outputs import raster

    case = read_case(example_paths(examples)[2]).case
    raster.clear_caches()
    cold, warm = tmp_path / "cold.png", tmp_path / "warm.png"
    draw(SketchInput.from_case(case), cold)
    hits = raster._laid_out.cache_info().hits
    draw(SketchInput.from_case(case), warm)
    assert raster._laid_out.cache_info().hits > hits
    assert cold.read_bytes() == warm.read_bytes()


@pytest.mark.parametrize(("field", "value"), [
    ("customer", "A" * 199),  # no space to break at
    ("customer", "Chongqingshunda" * 2),
    ("customer", "重庆" + "顺达汽车维修" * 13 + "有限公司"),
    ("route", "很长的名字" * 40),
    ("meter", "M" * 199),
])
def test_names_as_long_as_the_contract_allows_stay_on_the_picture(tmp_path, field, value):
    """A name is shown at most 40 characters (with "…"), and a run with no place to break is
    cut to the line: everything stays on the picture, the customer's name inside its box."""
    from casegen.outputs.sketch import NAME_LIMIT

    data = load_valid()
    if field == "customer":
        data["customer"]["name"] = value
    elif field == "meter":
        data["grid"]["meter_box"]["name"] = value
    else:
        for element in data["grid"]["route"]:
            element["name"] = value
            element.pop("spec", None)
    figure, _, _ = figure_of(write_case(tmp_path / "c", data))
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    for text in drawn(figure, "texts"):
        box = text.get_window_extent(renderer)
        assert figure.bbox.x0 <= box.x0 and box.x1 <= figure.bbox.x1, text.get_text()
        assert figure.bbox.y0 <= box.y0 and box.y1 <= figure.bbox.y1, text.get_text()
    shown = " ".join(t.get_text().replace("\n", "") for t in drawn(figure, "texts"))
    if len(value) > NAME_LIMIT:
        assert value not in shown and value[: NAME_LIMIT - 1] + "…" in shown
    else:  # cut into lines only
        assert value in shown
    customer = next(t for t in drawn(figure, "texts") if t.get_gid() == "customer")
    red_box = next(p for p in drawn(figure, "patches") if p.get_gid() == "boundary")
    inside = red_box.get_window_extent(renderer)
    name = customer.get_window_extent(renderer)
    assert inside.x0 <= name.x0 and name.x1 <= inside.x1 and inside.y0 <= name.y0


def test_a_case_without_a_route_draws_its_source_meter_box_and_red_line(tmp_path, examples):
    """无外线 with the meter box on the existing supply: no route to invent (DESIGN's corrections)."""
    path = example_paths(examples)[0]
    text = path.read_text(encoding="utf-8")
    start = text.index("  route:\n")
    end = text.index("  meter_box:")
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    assert main(["validate", str(path)]) == 0
    figure, case, facts = figure_of(path)
    assert case.grid.route == [] and facts.kind.value == "无外线"
    gids = {artist.get_gid() for artist in figure.artists}
    assert {"transformer-existing", "meter_box-new", "boundary"} <= gids, gids
    texts = [t.get_text() for t in drawn(figure, "texts")]
    assert any("解放碑3号公用配变" in t for t in texts) and any("三相计量表箱" in t for t in texts)
    assert main(["draw", str(path), "-o", str(tmp_path / "out")]) == 0
    assert next((tmp_path / "out").glob("*_工程建设简图.png")).stat().st_size > 10_000
