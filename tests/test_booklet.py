"""casegen booklet: the contents' pages against the PDF's own pages, one page numbering, the
public copies, who is refused and why, the selection, the .docx's contents field and schema,
the faces."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import copy_examples, docx_text, example_paths, load_valid, shared_path, write_case

from casegen.cli import main

CUSTOMERS = {"0512034567": "重庆山城味道餐饮管理有限公司", "5102998877": "重庆九龙便民超市有限公司",
             "5103765432": "重庆沙坪坝区顺达汽车维修有限公司"}


def page_texts(pdf: Path) -> list[str]:
    """The text of each page, in order (pdftotext one page at a time)."""
    pages = int(re.search(r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(pdf)], capture_output=True,
                                                             text=True, check=True).stdout).group(1))
    return [subprocess.run(["pdftotext", "-layout", "-f", str(n), "-l", str(n), str(pdf), "-"],
                           capture_output=True, text=True, check=True).stdout for n in range(1, pages + 1)]


def footer_number(text: str) -> int | None:
    found = re.findall(r"—\s*(\d+)\s*—", text)
    return int(found[-1]) if found else None


def contents_of(pages: list[str]) -> list[tuple[str, int]]:
    """The contents page's entries: (text, page number)."""
    contents = next(p for p in pages if re.search(r"目\s*录", p))
    return [(m.group(1).strip(), int(m.group(2)))
            for m in re.finditer(r"^\s*(\S.*?)\s*\.{3,}\s*(\d+)\s*$", contents, re.M)]


def chosen(out: str) -> list[str]:
    """The cases the booklet took, in its order, as the command lists them."""
    return re.findall(r"^\s+第\s*\d+ 页\s+(\S+?)（", out, re.M)


@pytest.fixture
def unpaginated(monkeypatch):
    """The booklet's choice and refusals without LibreOffice laying the booklet out: pages
    1, 2, … in the order chosen. The tests of the examples' booklet read the real layout."""
    from casegen.outputs.booklet import Layout
    from casegen.service import booklet as service

    def paginate(made, entries, scratch):
        pdf = scratch / "汇编.pdf"
        pdf.write_bytes(b"%PDF-1.7 not laid out %%EOF")
        return list(range(1, entries + 1)), Layout(pdf, list(range(entries)), entries)

    monkeypatch.setattr(service, "_paginate", paginate)


@pytest.fixture(scope="module")
def examples_booklet(tmp_path_factory):
    out = tmp_path_factory.mktemp("booklet")
    examples = copy_examples(tmp_path_factory.mktemp("examples"))
    code = main(["booklet", str(examples), "-o", str(out / "汇编.pdf"), "--docx", str(out / "汇编.docx"),
                 "--allow-marks", "--date", "2026-11-30"])
    assert code == 0
    return out / "汇编.pdf", out / "汇编.docx", page_texts(out / "汇编.pdf")


def test_each_entry_of_the_contents_starts_on_the_page_it_names(examples_booklet):
    _, _, pages = examples_booklet
    entries = contents_of(pages)
    assert [text for text, _ in entries] == ["入选案例概况", *(f"——{name}" for name in (
        CUSTOMERS["0512034567"], CUSTOMERS["5102998877"], CUSTOMERS["5103765432"]))]  # by acceptance date
    for text, number in entries:
        starts = [n for n, page in enumerate(pages) if text in re.sub(r"\s+", "", page)
                  and not re.search(r"目\s*录", page)]
        assert starts, text
        assert footer_number(pages[starts[0]]) == number, (text, pages[starts[0]][-200:])


def test_one_page_numbering_from_the_body_and_none_on_cover_and_contents(examples_booklet):
    _, _, pages = examples_booklet
    body = next(n for n, page in enumerate(pages) if "入选案例概况" in page and not re.search(r"目\s*录", page))
    assert body % 2 == 0  # the body's page 1 is a right-hand sheet (sheets counted from 0)
    assert all(footer_number(page) is None for page in pages[:body])
    assert [footer_number(page) for page in pages[body:]] == list(range(1, len(pages) - body + 1))
    cover = re.sub(r"\s+", "", pages[0])
    assert "国网重庆市电力公司低压小微企业典型案例汇编" in cover
    assert "国网重庆市电力公司客户服务中心" in cover and "2026年11月" in cover


def test_each_case_starts_a_page_and_leaves_its_attachment_mark_out(examples_booklet):
    _, _, pages = examples_booklet
    for name in CUSTOMERS.values():
        first = next(page for page in pages if f"——{name}" in re.sub(r"\s+", "", page)
                     and not re.search(r"目\s*录", page))
        assert re.sub(r"\s+", "", first).startswith(f"国网重庆电力小微企业典型案例——{name}")
    assert not any("附件3" in re.sub(r"\s+", "", page) for page in pages)


def test_the_public_booklet_masks_personal_data(examples_booklet):
    _, docx, pages = examples_booklet
    text = re.sub(r"\s+", "", "".join(pages))
    for account in CUSTOMERS:
        assert account not in text
    assert "5102****77" in text
    core = zipfile.ZipFile(docx).read("docProps/core.xml").decode()
    assert "供电分公司" not in core  # no author, no "last modified by"


def test_the_summary_gives_the_numbers_of_the_chosen_cases(examples_booklet):
    _, _, pages = examples_booklet
    summary = re.sub(r"\s+", "", next(p for p in pages if "入选案例概况" in p and not re.search(r"目\s*录", p)))
    assert "收入典型案例3个：无外线1个，有外线无掘路1个，有外线有掘路1个。" in summary
    assert "3个案例在时限内接电。" in summary
    assert "有外线工程的2个案例中，客户出资为0元的2个。" in summary
    # the table: kind, cases, limit, shortest—longest, mean, within the limit, customer paid 0
    assert "无外线142—22.01不涉及" in summary
    assert "有外线无掘路1107—77.011" in summary and "有外线有掘路1159—99.011" in summary
    for adjective in ("优秀", "显著", "大幅", "高效", "满意"):
        assert adjective not in summary


def test_the_faces_are_simplified_chinese(examples_booklet):
    pdf, _, _ = examples_booklet
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "NotoSerifCJKsc" in fonts and "jp" not in fonts.lower()


def test_the_docx_has_a_contents_field_word_can_update(examples_booklet):
    _, docx, _ = examples_booklet
    xml = zipfile.ZipFile(docx).read("word/document.xml").decode()
    assert 'TOC \\o "1-1" \\h \\z \\u' in xml
    assert [m.group(1) for m in re.finditer(r'w:fldCharType="(\w+)"', xml)][:3] == ["begin", "separate", "end"]
    assert xml.count("<w:pageBreakBefore/>") == 3  # each case on a page of its own
    assert xml.count("<w:sectPr") == 2 and '<w:pgNumType w:start="1"/>' in xml
    assert "附件3" not in xml


def test_the_docx_passes_the_schemas(examples_booklet):
    validate = shared_path("ooxml/validate.py", "The OOXML schema validator")
    _, docx, _ = examples_booklet
    result = subprocess.run([sys.executable, str(validate), str(docx)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def _folder(tmp_path: Path) -> Path:
    return copy_examples(tmp_path / "cases")


def test_selection_by_account_keeps_the_order_given_and_refuses_marks(tmp_path, capsys, unpaginated):
    code = main(["booklet", str(_folder(tmp_path)), "-o", str(tmp_path / "汇编.pdf"),
                 "--select", "5103765432,0512034567,5102998877", "--no-summary"])
    out = capsys.readouterr().out
    assert code == 1  # example 02 lacks two pieces of evidence: refused, said why
    assert "✗ 未收入" in out and "02-有外线无掘路-九龙便民超市" in out and "实证材料问题 2 项" in out
    assert chosen(out) == [CUSTOMERS["5103765432"], CUSTOMERS["0512034567"]]


def test_an_unknown_account_is_a_usage_error(tmp_path, capsys):
    code = main(["booklet", str(_folder(tmp_path)), "-o", str(tmp_path / "a.pdf"), "--select", "5103765432,999"])
    assert code == 2 and "没有这些户号：999" in capsys.readouterr().err
    assert not (tmp_path / "a.pdf").exists()


def test_a_period_chooses_by_acceptance_date(tmp_path, capsys, unpaginated):
    docx = tmp_path / "汇编.docx"
    assert main(["booklet", str(_folder(tmp_path)), "-o", str(tmp_path / "汇编.pdf"), "--docx", str(docx),
                 "--from", "2025-04-01", "--to", "2025-12-31", "--internal"]) == 0
    assert chosen(capsys.readouterr().out) == [CUSTOMERS["5103765432"]]
    text = re.sub(r"\s+", "", docx_text(docx))
    assert CUSTOMERS["5103765432"] in text and CUSTOMERS["0512034567"] not in text
    assert "户号：5103765432" in text  # the internal booklet keeps the 户号


def test_pending_customer_words_never_reach_a_public_booklet(tmp_path, capsys):
    folder = tmp_path / "cases"
    data = load_valid()
    data["feedback"]["cost"] = None
    write_case(folder / "pending", data)
    wrong = load_valid()
    wrong["customer"]["account_no"], wrong["customer"]["address"] = "5100000001", "重庆市-渝北区-某路-1号"
    wrong["timeline"]["energized"] = "2025-04-01"  # before it was accepted
    write_case(folder / "wrong", wrong)
    pdf = tmp_path / "汇编.pdf"
    code = main(["booklet", str(folder), "-o", str(pdf), "--allow-marks"])
    out = capsys.readouterr().out
    assert code == 1 and not pdf.exists() and "没有可收入汇编的案例，未生成汇编" in out
    assert "客户反馈 1 处待补充：公开的汇编不能带“【待补充】”" in out
    assert "wrong" in out and "数据有错误或超出适用范围" in out
    assert main(["booklet", str(folder), "-o", str(pdf), "--allow-marks", "--internal"]) == 1  # the wrong one
    assert "【待补充" in re.sub(r"\s+", "", "".join(page_texts(pdf)))


def test_the_docxcompose_import_leaves_python_docx_core_properties_whole(tmp_path):
    from docx.oxml.ns import nsmap

    import casegen.outputs.booklet  # noqa: F401  (imports docxcompose)

    assert nsmap["cp"] == "http://schemas.openxmlformats.org/package/2006/metadata/core-properties"
    assert main(["render", str(example_paths(_folder(tmp_path))[2]), "-o", str(tmp_path), "--redact"]) == 0
    core = zipfile.ZipFile(next(tmp_path.glob("*.docx"))).read("docProps/core.xml").decode()
    assert core.count("<cp:lastModifiedBy") == 1 and "custom-properties" not in core


def test_the_booklet_is_a_pdf(tmp_path, capsys):
    assert main(["booklet", str(_folder(tmp_path)), "-o", str(tmp_path / "汇编.docx")]) == 2
    assert "汇编文件应以 .pdf 结尾" in capsys.readouterr().err


def test_reviewed_takes_only_the_approved_cases(tmp_path, capsys, unpaginated):
    from casegen.service.workbench import review

    folder = _folder(tmp_path)
    case = folder / "03-有外线有掘路-顺达汽修" / "case.yaml"
    review(case, "李填报", "提交审核")
    review(case, "王审核", "通过审核")
    assert main(["booklet", str(folder), "-o", str(tmp_path / "汇编.pdf"), "--reviewed", "--no-summary"]) == 1
    out = capsys.readouterr().out
    assert out.count("审核状态不是“已审核”") == 2
    assert chosen(out) == [CUSTOMERS["5103765432"]]


def test_outputs_that_cannot_be_written_are_said_first_and_a_good_booklet_stays(tmp_path, capsys):
    folder = _folder(tmp_path)
    good = tmp_path / "汇编.pdf"
    good.write_bytes(b"%PDF-1.7 yesterday's booklet %%EOF")
    not_a_folder = tmp_path / "说明.txt"  # a file where the .docx's folder should be (root writes anywhere)
    not_a_folder.write_text("x", encoding="utf-8")
    code = main(["booklet", str(folder), "-o", str(good), "--docx", str(not_a_folder / "汇编.docx"), "--allow-marks"])
    assert code == 2 and f"无法建立文件夹 {not_a_folder}" in capsys.readouterr().err
    assert good.read_bytes() == b"%PDF-1.7 yesterday's booklet %%EOF"
    assert main(["booklet", str(folder), "-o", str(tmp_path)]) == 2  # a folder
    assert main(["booklet", str(folder), "-o", str(good), "--title", "  "]) == 2
    assert "不能为空" in capsys.readouterr().err


def test_select_takes_spaces_and_enumeration_commas(tmp_path, capsys, unpaginated):
    assert main(["booklet", str(_folder(tmp_path)), "-o", str(tmp_path / "汇编.pdf"),
                 "--select", "5103765432 、0512034567"]) == 0
    assert chosen(capsys.readouterr().out) == [CUSTOMERS["5103765432"], CUSTOMERS["0512034567"]]


def test_a_long_title_keeps_the_cover_whole_and_without_a_summary_the_first_case_is_page_1(tmp_path):
    pdf = tmp_path / "汇编.pdf"
    title = ("国网重庆市电力公司二〇二六年度低压小微企业“三零”服务典型案例汇编"
             "（供各供电分公司、各县供电公司学习参考使用）")
    issuer = "国网重庆市电力公司客户服务中心营销服务质量监督室"
    assert main(["booklet", str(_folder(tmp_path)), "-o", str(pdf), "--select", "5103765432", "--no-summary",
                 "--title", title, "--issuer", issuer, "--date", "2026-11-30"]) == 0
    pages = page_texts(pdf)
    cover = re.sub(r"\s+", "", pages[0])
    assert "2026年11月" in cover and "供各供电分公司" in cover  # the whole cover on its sheet
    assert re.search(r"目\s*录", pages[1])
    assert contents_of(pages) == [(f"——{CUSTOMERS['5103765432']}", 1)]
    first = next(n for n, page in enumerate(pages) if f"——{CUSTOMERS['5103765432']}" in re.sub(r"\s+", "", page)
                 and not re.search(r"目\s*录", page))
    assert footer_number(pages[first]) == 1 and all(footer_number(page) is None for page in pages[:first])


def test_the_public_booklet_hides_the_house_number_in_captions_too(examples_booklet):
    _, _, pages = examples_booklet
    text = re.sub(r"\s+", "", "".join(pages))
    assert "民族路168号" not in text and "168号外墙" not in text
    assert "三相计量表箱安装在民族路****外墙" in text
