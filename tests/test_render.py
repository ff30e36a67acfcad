"""The 附件3 document: docx text, layout settings, escaping, and the PDF LibreOffice makes of it."""

from __future__ import annotations

import copy
import re
import zipfile

import pytest
from conftest import copy_examples, docx_text, example_paths, load_valid, pdf_text, table_with, to_pdf, write_case

from casegen.case.reading import read_case
from casegen.cli import main

SPECIAL_NAME = 'A&B<餐饮>"有限"公司 🍲'

# what each example must show; working days counted by hand on the 2019–2025 calendars
EXPECTED = {
    "01-无外线-山城味道餐饮": dict(
        name="重庆山城味道餐饮管理有限公司", account="0512034567", days=2, calendar_days=9,
        kind="无外线工程", capacity="30 千瓦",
        steps=["1.受理申请并签约：9月29日", "2.现场勘查：9月30日", "3.外线设计并生成物料清单：不涉及",
               "4.施工准备：不涉及", "5.行政审批时间：不涉及", "6.接入工程施工：不涉及", "7.装表接电：10月8日"]),
    "02-有外线无掘路-九龙便民超市": dict(
        name="重庆九龙便民超市有限公司", account="5102998877", days=7, calendar_days=9,
        kind="有外线无掘路工程", capacity="60 千瓦",
        steps=["1.受理申请并签约：3月10日", "2.现场勘查：3月11日", "3.外线设计并生成物料清单：3月12日",
               "4.施工准备：3月12日—3月14日", "5.行政审批时间：不涉及", "6.接入工程施工：3月17日—3月19日",
               "7.装表接电：3月19日"]),
    "03-有外线有掘路-顺达汽修": dict(
        name="重庆沙坪坝区顺达汽车维修有限公司", account="5103765432", days=9, calendar_days=16,
        kind="有外线有掘路工程", capacity="100 千瓦（原有 30 千瓦，增容后 130 千瓦）",
        steps=["1.受理申请并签约：4月28日", "2.现场勘查：4月29日", "3.外线设计并生成物料清单：4月30日",
               "4.施工准备（含报行政审批所需材料的时间）：4月30日—5月6日", "5.行政审批时间：5月6日—5月9日",
               "6.接入工程施工：5月12日—5月14日", "7.装表接电：5月14日"]),
}


@pytest.fixture(scope="session")
def rendered(tmp_path_factory):
    """The three examples and a case full of XML-special characters, rendered and converted."""
    out = tmp_path_factory.mktemp("rendered")
    special = copy.deepcopy(load_valid())
    special["customer"]["name"] = SPECIAL_NAME
    special["customer"]["account_no"] = "5109000001"  # not example 3's: one 户号, one address
    special["customer"]["address"] = "重庆市-沙坪坝区-井口镇-井口工业园B区2号"
    special["customer"]["purpose"] = "<b>粗体</b> & 'quotes'"
    special["feedback"]["cost"] = "零投资 ✅ & 没跑腿 <真的>"
    special_path = write_case(out / "special", special)
    examples = copy_examples(tmp_path_factory.mktemp("examples"))
    code = main(["render", *map(str, example_paths(examples)), str(special_path), "-o", str(out / "docx")])
    assert code == 0
    docx_files = sorted((out / "docx").glob("*.docx"))
    pdfs = to_pdf(docx_files, out / "pdf")
    return {p.stem: (p, pdf) for p, pdf in zip(docx_files, pdfs, strict=True)}


def _by_customer(rendered, name):
    """File names replace the characters Windows refuses (<>:"/\\|?*)."""
    return next(v for k, v in rendered.items() if k.startswith(name[:3]))


def test_one_document_per_case_named_after_the_customer(rendered):
    names = set(rendered)
    for expected in EXPECTED.values():
        assert expected["name"] in names
    assert len(names) == 4


@pytest.mark.parametrize("folder", sorted(EXPECTED))
def test_docx_and_pdf_show_the_facts(rendered, folder, examples):
    expected = EXPECTED[folder]
    docx_path, pdf_path = rendered[expected["name"]]
    case = read_case(next(p for p in example_paths(examples) if p.parent.name == folder)).case
    for text in (docx_text(docx_path), pdf_text(pdf_path)):
        flat = re.sub(r"\s+", "", text)
        assert expected["name"] in flat
        assert f"户号：{expected['account']}" in flat
        address = re.sub(r"[-\s]+", "", case.customer.address)
        assert f"位于{address}，" in flat  # printed without hyphens
        assert re.sub(r"\s+", "", expected["capacity"]) in flat
        assert expected["kind"] in flat
        assert f"接电周期{expected['days']}个工作日（{expected['calendar_days']}个日历日）" in flat
        for step in expected["steps"]:
            assert re.sub(r"\s+", "", step) in flat
    numbered = re.findall(r"^(\d)\.", docx_text(docx_path), re.M)
    assert numbered == [str(n) for n in range(1, 8)]  # the template's seven, 不涉及 where a step does not apply


def test_sections_in_order_numbered_continuously(rendered):
    text = docx_text(rendered[EXPECTED["01-无外线-山城味道餐饮"]["name"]][0])
    headings = ["附件3", "国网重庆电力小微企业典型案例", "一、项目简介", "附：工程建设简图",
                "二、办理流程", "（一）客户环节", "（二）供电企业内部环节", "三、客户反馈", "四、实证材料"]
    positions = [text.index(h) for h in headings]
    assert positions == sorted(positions)
    assert "五、" not in text


def test_external_works_paragraph_only_with_works(rendered):
    without = docx_text(rendered[EXPECTED["01-无外线-山城味道餐饮"]["name"]][0])
    with_works = docx_text(rendered[EXPECTED["03-有外线有掘路-顺达汽修"]["name"]][0])
    assert "有外线工程，" not in without
    assert "客户由380V三相供电，有外线工程，由电缆接入。" in with_works
    assert "工程建设总费用12.65万元，均由供电企业出资（红线外投资）。" in with_works
    assert "5.行政审批时间：不涉及" in without


def test_special_characters_and_emoji_come_out_intact(rendered):
    docx_path, pdf_path = _by_customer(rendered, SPECIAL_NAME)
    text = docx_text(docx_path)
    assert SPECIAL_NAME in text
    assert "<b>粗体</b> & 'quotes'" in text
    assert "零投资 ✅ & 没跑腿 <真的>" in text
    assert 'A&B<餐饮>"有限"公司' in pdf_text(pdf_path)


def test_layout_after_gb_t_9704(rendered):
    import docx

    document = docx.Document(str(rendered[EXPECTED["03-有外线有掘路-顺达汽修"]["name"]][0]))
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    margins = (section.top_margin, section.left_margin, section.right_margin, section.bottom_margin)
    assert [round(m.mm) for m in margins] == [37, 28, 26, 35]
    styles = document.styles
    east_asia = {name: styles[name].element.rPr.rFonts.get(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia")
        for name in ("CaseBody", "CaseTitle", "CaseHeading1", "CaseHeading2")}
    assert east_asia == {"CaseBody": "仿宋_GB2312", "CaseTitle": "方正小标宋简体",
                         "CaseHeading1": "黑体", "CaseHeading2": "楷体_GB2312"}
    assert styles["CaseBody"].font.size.pt == 16 and styles["CaseTitle"].font.size.pt == 22


def test_page_numbers_in_the_footer(rendered):
    _, pdf_path = rendered[EXPECTED["03-有外线有掘路-顺达汽修"]["name"]]
    text = pdf_text(pdf_path)
    assert re.search(r"—\s*1\s*—", text) and re.search(r"—\s*2\s*—", text)


def test_missing_feedback_shows_a_visible_mark(tmp_path):
    data = load_valid()
    del data["feedback"]
    path = write_case(tmp_path / "c", data)
    assert main(["render", str(path), "-o", str(tmp_path / "out")]) == 0
    text = docx_text(next((tmp_path / "out").glob("*.docx")))
    assert text.count("【待补充：客户原话】") == 3


def test_document_has_the_sketch_picture(rendered):
    docx_path, _ = rendered[EXPECTED["02-有外线无掘路-九龙便民超市"]["name"]]
    with zipfile.ZipFile(docx_path) as package:
        media = [n for n in package.namelist() if n.startswith("word/media/")]
        body = package.read("word/document.xml").decode()
    assert media and "<pic:pic" in body


def test_rendering_does_not_overwrite_a_good_file_on_failure(tmp_path):
    good = write_case(tmp_path / "c", load_valid())
    out = tmp_path / "out"
    assert main(["render", str(good), "-o", str(out)]) == 0
    target = next(out.glob("*.docx"))
    before = target.read_bytes()
    broken = load_valid()
    broken["project"]["kind"] = "坏的"
    write_case(tmp_path / "c", broken)
    assert main(["render", str(good), "-o", str(out)]) == 1
    assert target.read_bytes() == before
    assert not list(out.glob(".*.tmp*"))


def test_evidence_checklist_and_photo_pages_in_the_pdf(rendered):
    _, pdf_path = rendered[EXPECTED["02-有外线无掘路-九龙便民超市"]["name"]]
    flat = re.sub(r"\s+", "", pdf_text(pdf_path))
    assert "类别材料状态文件" in flat  # the header row: no column that says the same on every row
    assert re.search("编制说明.{0,4}缺失", flat)
    assert "施工前图片缺失" in flat
    assert flat.count("现场图片") == 1 + flat.count("附：现场图片")  # 类别 merged down its rows
    assert "附：现场图片" in flat and "图1施工后：新立6号杆至表箱的架空线及表箱" in flat


def test_late_energising_renders_the_true_dates_and_a_verification_note(tmp_path, capsys):
    data = load_valid()
    data["timeline"]["energized"] = "2025-05-15"  # works completed 05-14: a day late
    path = write_case(tmp_path / "c", data)
    assert main(["validate", str(path)]) == 1
    assert main(["render", str(path), "-o", str(tmp_path / "out")]) == 0
    assert "! 文档中标红：【核验提示】" in capsys.readouterr().out
    docx_path = next((tmp_path / "out").glob("*.docx"))
    text = docx_text(docx_path)
    assert "7.装表接电：5月15日" in text and "6.接入工程施工：5月12日—5月14日" in text
    assert "2025年5月15日完成送电" in text
    note = next(line for line in text.splitlines() if line.startswith("【核验提示】"))
    assert "2025年5月14日完工，2025年5月15日才装表接电" in note
    assert "渝电营〔2019〕32号 通知三（二）：“电网企业在规定办理时限内完成外线工程建设，工程完工当天装表接电”" in note
    import docx

    run = next(r for p in docx.Document(str(docx_path)).paragraphs for r in p.runs
               if "核验提示" in r.text)
    assert str(run.font.color.rgb) == "C00000"


def test_an_on_time_case_carries_no_verification_note(rendered):
    for docx_path, _ in rendered.values():
        assert "核验提示" not in docx_text(docx_path)


def test_out_of_scope_case_gets_no_document_but_its_sketch(tmp_path, capsys):
    data = load_valid()
    data["application"]["capacity_kw"] = 200
    path = write_case(tmp_path / "c", data)
    assert main(["render", str(path), "-o", str(tmp_path / "out")]) == 1
    assert "scope-capacity" in capsys.readouterr().err
    assert not list((tmp_path / "out").glob("*.docx"))
    assert main(["draw", str(path), "-o", str(tmp_path / "sketch")]) == 0
    assert len(list((tmp_path / "sketch").glob("*.png"))) == 1


@pytest.mark.parametrize("folder", sorted(EXPECTED))
def test_each_document_embeds_its_own_sketch(tmp_path, folder, examples):
    path = next(p for p in example_paths(examples) if p.parent.name == folder)
    assert main(["render", str(path), "-o", str(tmp_path)]) == 0
    sketch = next(tmp_path.glob("*_工程建设简图.png")).read_bytes()
    with zipfile.ZipFile(next(tmp_path.glob("*.docx"))) as package:
        media = [package.read(n) for n in package.namelist() if n.startswith("word/media/")]
    assert sketch in media


def _pdf_fonts(pdf) -> list[str]:
    import subprocess

    listing = subprocess.run(["pdffonts", str(pdf)], check=True, capture_output=True, text=True).stdout
    return [line.split()[0] for line in listing.splitlines()[2:]]


@pytest.mark.parametrize("folder", sorted(EXPECTED))
def test_pdf_faces_are_simplified_chinese_serif_and_kai(rendered, folder):
    _, pdf = rendered[EXPECTED[folder]["name"]]
    fonts = _pdf_fonts(pdf)
    assert not [f for f in fonts if "jp" in f.lower() or "JP" in f]  # never the Japanese forms
    assert any("NotoSerifCJKsc" in f or "FangSong" in f for f in fonts)  # 仿宋 body: a serif face
    assert any("NotoSerifCJKsc-Bold" in f for f in fonts)  # 方正小标宋 title
    assert any("WenKai" in f or "UKai" in f for f in fonts)  # 楷体 subheadings


def _pdf_images(pdf) -> list[dict]:
    import subprocess

    listing = subprocess.run(["pdfimages", "-list", str(pdf)], check=True, capture_output=True,
                             text=True).stdout
    rows = []
    for line in listing.splitlines()[2:]:
        cells = line.split()
        rows.append({"page": int(cells[0]), "type": cells[2], "width": int(cells[3]),
                     "x_ppi": int(cells[12])})
    return rows


def test_the_sketch_is_300_ppi_and_the_two_photos_share_a_page(rendered):
    from casegen.outputs.sketch import WIDTH_MM

    _, pdf = rendered[EXPECTED["03-有外线有掘路-顺达汽修"]["name"]]
    images = _pdf_images(pdf)
    assert {i["type"] for i in images} == {"image"}  # opaque pictures: no soft masks
    sketch = max(images, key=lambda i: i["width"])
    assert sketch["width"] >= WIDTH_MM / 25.4 * 300 - 1 and sketch["x_ppi"] >= 295
    photos = [i for i in images if i is not sketch]
    assert len(photos) == 2 and photos[0]["page"] == photos[1]["page"]


def test_no_drafting_instruction_is_printed_and_the_lead_in_ends_the_text_before_its_figure(rendered):
    import docx

    docx_path, pdf = rendered[EXPECTED["03-有外线有掘路-顺达汽修"]["name"]]
    for text in (docx_text(docx_path), pdf_text(pdf)):
        assert "以黑色线条标明既有设备" not in text and "以红线虚框标明" not in text
    paragraphs = docx.Document(str(docx_path)).paragraphs
    title = next(n for n, p in enumerate(paragraphs) if p.text == "附：工程建设简图")
    # the last words before the figure, not a line of their own that took the figure to page 2
    assert paragraphs[title - 1].text.endswith("均由供电企业出资（红线外投资）。详细情况请见下图。")
    assert paragraphs[title].style.paragraph_format.keep_with_next  # the title never alone above a break


def test_pictures_are_stored_not_deflated_again(rendered, recwarn):
    docx_path, _ = rendered[EXPECTED["03-有外线有掘路-顺达汽修"]["name"]]
    with zipfile.ZipFile(docx_path) as package:
        media = [i for i in package.infolist() if i.filename.startswith("word/media/")]
    assert media and all(i.compress_type == zipfile.ZIP_STORED for i in media)


def test_the_ordinary_save_is_taken_with_a_warning_if_python_docx_changes(tmp_path, monkeypatch):
    from casegen.outputs import document as render

    def moved(*args):
        raise AttributeError("PackageWriter._write_parts")  # as a python-docx release might
    monkeypatch.setattr(render, "_save_stored", moved)
    path = write_case(tmp_path / "c", load_valid())
    with pytest.warns(RuntimeWarning, match="python-docx 的内部接口已变"):
        assert main(["render", str(path), "-o", str(tmp_path / "out")]) == 0
    assert zipfile.is_zipfile(next((tmp_path / "out").glob("*.docx")))


def test_template_code_is_reused_across_processes_and_a_damaged_cache_ignored(tmp_path, monkeypatch, examples):
    """The compiled template parts are kept in Jinja's bytecode cache: a fresh environment (a new
    process) renders from it without compiling, the same document; damaged files only cost a
    compile, and are rewritten."""
    from casegen.outputs import document as render

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    out = tmp_path / "out"

    def render_once(name: str) -> str:
        render.jinja_environment.cache_clear()
        assert main(["render", str(example_paths(examples)[2]), "-o", str(out / name)]) == 0
        return docx_text(next((out / name).glob("*.docx")))

    first = render_once("a")
    stored = list((tmp_path / "cache" / "casegen" / "jinja").glob("*.cache"))
    assert stored

    def no_compile(self, *args, **kwargs):
        raise AssertionError("compiled although the cache holds the code")

    from jinja2.sandbox import SandboxedEnvironment

    with monkeypatch.context() as patch:
        patch.setattr(SandboxedEnvironment, "compile", no_compile)
        assert render_once("b") == first
    import hashlib
    import io
    import pickle

    from jinja2.bccache import bc_magic

    def split(data: bytes) -> tuple[bytes, bytes]:
        """(digest and Jinja's header, the marshalled code)."""
        stream = io.BytesIO(data[32:])
        stream.read(len(bc_magic))
        pickle.load(stream)
        return data[:32 + stream.tell()], data[32 + stream.tell():]

    assert len(stored) >= 2
    originals = [path.read_bytes() for path in stored]
    for number, path in enumerate(stored):
        if number == 0:
            path.write_bytes(originals[0][:40])  # cut short
        else:  # the code of another part under this part's header: it loads, and misleads
            path.write_bytes(split(originals[number])[0] + split(originals[number - 1])[1])
    assert render_once("c") == first
    for path in stored:  # compiled again and rewritten whole
        data = path.read_bytes()
        assert hashlib.sha256(data[32:]).digest() == data[:32]
    render.jinja_environment.cache_clear()


# --- pages a manager signs as they are (issue 32.9) ------------------------------------------------

def _year_case(tmp_path, examples, *, undated: bool = False):
    """Example 01 as a convenience store over New Year 2026, with no route (the browser try's)."""
    path = example_paths(examples)[0]
    text = path.read_text(encoding="utf-8")
    text = text[:text.index("  route:\n")] + text[text.index("  meter_box:"):]
    for old, new in (("2024-09-29", "2025-12-30"), ("2024-09-30", "2025-12-31"), ("2024-10-08", "2026-01-05"),
                     ("2024-10-15", "2026-01-12"), ("重庆山城味道餐饮管理有限公司", "重庆渝北区小王便利店")):
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    if undated:  # photos as many phone apps send them: no EXIF
        from PIL import Image

        for photo in (path.parent / "evidence").glob("*.jpg"):
            Image.open(photo).convert("RGB").save(photo, "JPEG")
    return path


def test_a_process_across_a_year_gives_its_dates_years_and_no_date_breaks_across_lines(tmp_path, examples):
    path = _year_case(tmp_path, examples, undated=True)
    assert main(["render", str(path), "-o", str(tmp_path / "out")]) == 0
    document = tmp_path / "out" / "重庆渝北区小王便利店.docx"
    text = docx_text(document)
    # the two steps on two lines when they do not fit on one: never "（2026" at a line's end
    assert "（一）客户环节：申请签约（2025年12月30日），\n装表接电（2026年1月5日）" in text
    assert "1.受理申请并签约：2025年12月30日" in text and "7.装表接电：2026年1月5日" in text
    assert "于2025年12月30日向" in text and "2026年1月5日完成送电" in text
    pdf = to_pdf([document], tmp_path / "pdf")[0]
    lines = pdf_text(pdf).splitlines()
    step_line = next(n for n, line in enumerate(lines) if "客户环节" in line)
    assert re.sub(r"\s+", "", lines[step_line]).endswith("申请签约（2025年12月30日），")
    assert re.sub(r"\s+", "", lines[step_line + 1]) == "装表接电（2026年1月5日）"


def test_a_short_case_keeps_its_sketch_on_page_one_scaled_no_smaller_than_readable(tmp_path, examples):
    from casegen.outputs.document import READABLE_PT, SKETCH_LABEL_PT
    from casegen.outputs.sketch import WIDTH_MM

    path = _year_case(tmp_path, examples)
    assert main(["render", str(path), str(example_paths(examples)[2]), "-o", str(tmp_path / "out")]) == 0
    short = tmp_path / "out" / "重庆渝北区小王便利店.docx"
    long = tmp_path / "out" / f"{EXPECTED['03-有外线有掘路-顺达汽修']['name']}.docx"

    def sketch_mm(document):
        with zipfile.ZipFile(document) as package:
            xml = package.read("word/document.xml").decode("utf-8")
        return int(re.search(r'<wp:extent cx="(\d+)"', xml).group(1)) / 36000

    assert WIDTH_MM * READABLE_PT / SKETCH_LABEL_PT <= sketch_mm(short) < WIDTH_MM
    assert sketch_mm(long) == pytest.approx(WIDTH_MM)  # a long text: the sketch at its size on page 2
    pdfs = to_pdf([short, long], tmp_path / "pdf")
    sketch_pages = [max(_pdf_images(pdf), key=lambda i: i["width"])["page"] for pdf in pdfs]
    assert sketch_pages == [1, 2]
    assert "附：工程建设简图" in pdf_text(pdfs[0]).split("\f")[0]


def test_the_evidence_table_is_set_in_sihao_and_notes_a_photo_without_a_date(tmp_path, examples):
    import docx

    path = _year_case(tmp_path, examples, undated=True)
    assert main(["render", str(path), "-o", str(tmp_path / "out")]) == 0
    document = docx.Document(str(tmp_path / "out" / "重庆渝北区小王便利店.docx"))
    assert document.styles["CaseEvidenceText"].font.size.pt == 14  # 四号: near the body's 三号, not 五号
    assert document.tables[0].rows[1].cells[1].paragraphs[0].style.name == "CaseEvidenceText"
    rows = table_with(tmp_path / "out" / "重庆渝北区小王便利店.docx", "状态")
    photos = [row for row in rows if row.cells[0].text == "现场图片"]
    assert len(photos) == 2
    assert all(row.cells[2].text == "已提供（无拍摄时间，未能与办理时间核对）" for row in photos)
    screenshot = next(row for row in rows if row.cells[1].text.startswith("受理申请工单"))
    assert screenshot.cells[2].text == "已提供"  # a screenshot has no shooting time to miss


def test_a_photo_of_no_stage_is_captioned_by_its_words_alone(tmp_path, examples):
    path = example_paths(examples)[0]
    text = path.read_text(encoding="utf-8").replace("      stage: 施工前\n", "      stage: 其他\n", 1)
    path.write_text(text, encoding="utf-8")
    assert main(["render", str(path), "-o", str(tmp_path / "out")]) == 0
    captions = [line for line in docx_text(next((tmp_path / "out").glob("*.docx"))).splitlines()
                if line.startswith("图 ")]
    assert captions == ["图 1　民族路168号外墙，拟装表箱的位置", "图 2　施工后：三相计量表箱安装在民族路168号外墙"]
