"""casegen read: casegen's own documents read back to the facts they were made from (a property
over generated cases), and hand-made documents in other styles — tables instead of lists,
running text, other wordings, WPS-like runs split mid-word, full-width digits and spaces — with
the document's claims held against its own dates."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import docx
import pytest
from conftest import example_paths, write_case
from hypothesis import HealthCheck, given, settings
from test_rules import valid_cases

from casegen.case.calendar import WorkCalendar
from casegen.case.derive import address_text
from casegen.cli import main
from casegen.inputs.handmade import NotACase, read_document
from casegen.service.cases import assess
from casegen.service.documents import render_case

CALENDAR = WorkCalendar()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=valid_cases())
def test_every_document_casegen_renders_reads_back_to_its_facts(tmp_path_factory, data):
    folder = tmp_path_factory.mktemp("case")
    path = write_case(folder, data)
    case_file = assess(path, CALENDAR)
    document = render_case(path, folder / "out", calendar=CALENDAR).outputs[0]
    read = read_document(document)
    got = {key: value.value for key, value in read.values.items()}
    case, facts = case_file.case, case_file.facts
    expected = {
        ("customer", "name"): case.customer.name, ("customer", "account_no"): case.customer.account_no,
        ("customer", "address"): address_text(case.customer.address),  # printed without hyphens
        ("application", "date"): case.application.date,
        ("application", "capacity_kw"): case.application.capacity_kw, ("project", "kind"): str(facts.kind),
        ("unit", "company"): case.unit.company, ("application", "business_type"): case.application.business_type,
        ("timeline", "accepted"): case.timeline.accepted, ("timeline", "energized"): case.timeline.energized,
        ("feedback", "steps"): case.feedback.steps, ("feedback", "time"): case.feedback.time,
        ("feedback", "cost"): case.feedback.cost,
    }
    for step in ("permit", "construction"):
        span = getattr(case.timeline, step)
        if span is not None:
            expected[("timeline", step)] = [span.start, span.end]
    if facts.has_works:
        expected[("application", "supply")] = case.application.supply
        expected[("project", "cost_yuan")] = case.project.cost_yuan
    assert {key: got.get(key) for key in expected} == expected
    assert read.claims.working_days.value == facts.working_days
    assert read.claims.calendar_days.value == facts.calendar_days
    allowed_guesses = (("grid",), ("project", "customer_cost_yuan"))  # inferred by design, said so
    assert not [k for k, v in read.values.items() if v.guess and k not in allowed_guesses]


# --- hand-made documents ----------------------------------------------------------------------

def handmade(path: Path, items: list, *, split_runs: bool = False, saved: dt.datetime | None = None) -> Path:
    """A .docx of paragraphs (str) and tables (list of rows); with `split_runs`, every paragraph
    in runs of two characters, as WPS and Word's revision marks leave them; `saved`: its time."""
    document = docx.Document()
    if saved is not None:
        document.core_properties.created = document.core_properties.modified = saved
    for item in items:
        if isinstance(item, str):
            paragraph = document.add_paragraph()
            pieces = [item[i:i + 2] for i in range(0, len(item), 2)] if split_runs else [item]
            for piece in pieces:
                paragraph.add_run(piece)
        else:
            table = document.add_table(rows=0, cols=len(item[0]))
            for row in item:
                cells = table.add_row().cells
                for cell, text in zip(cells, row, strict=True):
                    cell.text = text
    document.save(str(path))
    return path


def intro(*, days: str = "接电周期 9 个工作日（16 个日历日）", energized: str = "2025年5月14日") -> list[str]:
    return [
        "附件3", "国网重庆电力小微企业典型案例", "——重庆渝北区星光烘焙有限公司",
        f"重庆渝北区星光烘焙有限公司为低压供电非居民客户，属于有外线有掘路工程项目。客户已送电，{days}。",
        "一、项目简介",
        "重庆渝北区星光烘焙有限公司（户号：5109876543）位于重庆市-渝北区-龙溪街道-松石北路88号，于2025年4月28日"
        f"向国网重庆市电力公司渝北供电分公司提出新装用电申请，申请容量一百千瓦，用于烘焙店生产用电。{energized}完成送电。",
        "客户由380V三相供电，外线有工程，由电缆接入。电源由松石1号公用配变引出，经现状低压出线电缆30米、"
        "新建YJV22-0.6/1kV-4×50电缆45米，接至用电地址外墙新装三相计量表箱，涉及掘路12米。周边电源有松石1号公用配变，"
        "容量400kVA，负荷率50%，满足接入条件，无需新增或更换配变。工程建设总费用为8.6万元，仅含供电企业出资部分。",
    ]


FEEDBACK = ["三、客户反馈", "环节：“营业厅一次办完。”", "时间：“半个月就通电了。”", "成本：“我们没出钱。”"]


def test_steps_in_a_table_and_a_cycle_the_dates_do_not_give(tmp_path, capsys):
    steps = [["序号", "环节", "时间"], ["1", "受理申请并签约", "2025年4月28日"], ["2", "现场勘查", "4月29日"],
             ["3", "外线设计并生成物料清单", "4月30日"], ["4", "施工准备", "4月30日至5月6日"],
             ["5", "行政审批", "5月6日—5月9日"], ["6", "接入工程施工", "5月12日-16日"], ["7", "装表接电", "5月16日"]]
    document = handmade(tmp_path / "表格.docx", [*intro(energized="2025年5月16日"), "二、办理流程", steps, *FEEDBACK])
    assert main(["read", str(document), "-o", str(tmp_path / "out")]) == 1
    out = capsys.readouterr().out
    assert ("文档写接电周期 9 个工作日，按文中日期（受理 2025年4月28日、装表接电 2025年5月16日）为 11 个工作日"
            in out)
    assert "文档写接电周期 16 个日历日，按文中日期（受理 2025年4月28日、装表接电 2025年5月16日）为 18 个日历日" in out
    text = next((tmp_path / "out").glob("*/case.yaml")).read_text(encoding="utf-8")
    assert "preparation: [2025-04-30, 2025-05-06]" in text and "construction: [2025-05-12, 2025-05-16]" in text
    assert "capacity_kw: 100  #" in text  # 一百千瓦
    assert "cost_yuan: 86000  #" in text  # 8.6万元


def test_running_text_full_width_digits_dot_dates_and_split_runs(tmp_path):
    flow = ("４月２８日受理申请并签约，4.29完成现场勘查，4月30日完成外线设计，4月30日至5月6日施工准备，"
            "5月6日至9日办理行政审批，5月12日—5月14日接入工程施工，5月14日装表接电。")
    document = handmade(tmp_path / "文字.docx", [*intro(), "二、办理流程", "（一）客户环节：申请签约、装表接电",
                                                 "（二）供电企业内部环节", flow.replace("，", "，\u3000"), *FEEDBACK],
                        split_runs=True)
    read = read_document(document)
    got = {key: value.value for key, value in read.values.items()}
    assert got[("timeline", "accepted")] == dt.date(2025, 4, 28)
    assert got[("timeline", "surveyed")] == dt.date(2025, 4, 29)
    assert got[("timeline", "permit")] == [dt.date(2025, 5, 6), dt.date(2025, 5, 9)]
    assert got[("timeline", "energized")] == dt.date(2025, 5, 14)
    assert got[("customer", "account_no")] == "5109876543"  # "户号" split across runs
    assert got[("project", "transformer")] == {"name": "松石1号公用配变", "capacity_kva": 400, "load_rate": 0.5,
                                              "action": "无"}
    assert read.claims.working_days.value == 9


def test_dates_without_a_year_cross_into_the_next_one(tmp_path):
    paragraphs = [p.replace("2025年4月28日", "2025年12月29日") for p in intro(energized="2026年1月6日")]
    document = handmade(tmp_path / "跨年.docx", [*paragraphs, "二、办理流程", "1.受理申请并签约：12月29日",
                                                 "6.接入工程施工：1月5日—1月6日", "7.装表接电：1月6日", *FEEDBACK])
    got = {key: value.value for key, value in read_document(document).values.items()}
    assert got[("timeline", "accepted")] == dt.date(2025, 12, 29)
    assert got[("timeline", "construction")] == [dt.date(2026, 1, 5), dt.date(2026, 1, 6)]
    assert got[("timeline", "energized")] == dt.date(2026, 1, 6)


def test_a_document_with_no_year_anywhere_gets_its_saved_year_as_a_guess(tmp_path, capsys):
    paragraphs = [p.replace("2025年", "") for p in intro()]
    steps = ["二、办理流程", "1.受理申请并签约：4月28日", "5.行政审批时间：5月6日—5月9日",
             "6.接入工程施工：5月12日—5月14日", "7.装表接电：5月14日"]
    document = handmade(tmp_path / "无年份.docx", [*paragraphs, *steps, *FEEDBACK], saved=dt.datetime(2025, 6, 3, 9))
    read = read_document(document)
    accepted = read.values[("timeline", "accepted")]
    assert accepted.value == dt.date(2025, 4, 28)
    assert accepted.guess == "文中没有写年份，按文档的保存日期推定为 2025 年"
    main(["read", str(document), "-o", str(tmp_path / "out")])
    assert "timeline.accepted（受理申请并签约）= 2025年4月28日：推测，文中没有写年份" in capsys.readouterr().out


def test_zero_cost_with_a_payment_and_a_summary_date_that_differs(tmp_path, capsys):
    paragraphs = [*intro(energized="2025年5月15日"), "客户零投资，另由客户支付表箱费用800元。"]
    steps = ["二、办理流程", "1.受理申请并签约：4月28日", "5.行政审批时间：5月6日—5月9日",
             "6.接入工程施工：5月12日—5月14日", "7.装表接电：5月14日"]
    document = handmade(tmp_path / "付费.docx", [*paragraphs, *steps, *FEEDBACK])
    assert main(["read", str(document), "-o", str(tmp_path / "out")]) == 1
    out = capsys.readouterr().out
    assert "[claim-cost] 文档说客户没有出资（「客户零投资，另由客户支付表箱费用800元。」），又写客户付了 800 元" in out
    assert "[claim-energized] 项目简介写 2025年5月15日 完成送电，办理流程写装表接电 2025年5月14日" in out
    assert "〔依据：通知二（三）〕" in out


def test_zero_cost_against_a_payment_in_the_customers_own_words(tmp_path, capsys):
    """The planted audit's first miss, in a hand-made document: 零投资 said, 交了一万二 quoted."""
    paragraphs = [*intro(), "客户红线外零投资。"]
    steps = ["二、办理流程", "1.受理申请并签约：4月28日", "5.行政审批时间：5月6日—5月9日",
             "6.接入工程施工：5月12日—5月14日", "7.装表接电：5月14日"]
    feedback = ["三、客户反馈", "环节：“营业厅一次办完。”", "时间：“半个月就通电了。”",
                "成本：“外线没出钱，表箱前后交了一万二。”"]
    document = handmade(tmp_path / "原话.docx", [*paragraphs, *steps, *feedback])
    assert main(["read", str(document), "-o", str(tmp_path / "out")]) == 1
    out = capsys.readouterr().out
    assert "[claim-cost] 文档说客户没有出资（「客户红线外零投资。」），客户原话却说“交了一万二”" in out


def test_the_kind_claimed_against_the_steps_present(tmp_path, capsys):
    steps = ["二、办理流程", "1.受理申请并签约：4月28日", "6.接入工程施工：5月12日—5月14日", "7.装表接电：5月14日"]
    document = handmade(tmp_path / "类别.docx", [*intro(days="接电周期 12 个工作日"), *steps, *FEEDBACK])
    assert main(["read", str(document), "-o", str(tmp_path / "out"), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)[0]
    rules = {f["rule"] for f in report["findings"]}
    assert "claim-kind" in rules  # 有外线有掘路, and no 行政审批 among the steps
    assert any("办理流程中却没有行政审批环节" in f["message"] for f in report["findings"])
    assert report["claims"]["kind"] == "有外线有掘路"


def test_guesses_are_marked_in_the_case_file_and_the_report(tmp_path, capsys):
    document = handmade(tmp_path / "推测.docx", [*intro(), "二、办理流程", "1.受理申请并签约：4月28日",
                                                 "5.行政审批时间：5月6日—5月9日", "6.接入工程施工：5月12日—5月14日",
                                                 "7.装表接电：5月14日", *FEEDBACK])
    main(["read", str(document), "-o", str(tmp_path / "out"), "--json"])
    report = json.loads(capsys.readouterr().out)[0]
    guessed = {g["key"]: g for g in report["guessed"]}
    assert set(guessed) == {"grid", "project.customer_cost_yuan"}
    assert "仅含供电企业出资" in guessed["project.customer_cost_yuan"]["source"]
    text = Path(report["case_file"]).read_text(encoding="utf-8")
    line = next(line for line in text.splitlines() if line.strip().startswith("customer_cost_yuan:"))
    assert "推测，须核对" in line and "仅含供电企业出资" in line
    assert re.search(r"route:.*推测，须核对", text)
    assert "capacity_kw: 100" in text and "推测" not in next(
        line for line in text.splitlines() if "capacity_kw:" in line)
    assert "# callback:" in text  # an optional part the document does not have: a comment, not a blank


def test_a_document_that_is_not_a_case_is_said_and_the_others_go_on(tmp_path, capsys, examples):
    letter = handmade(tmp_path / "通知.docx", ["关于召开年度工作会议的通知", "各单位：定于下周一召开会议。"])
    broken = tmp_path / "坏.docx"
    broken.write_bytes(b"not a zip at all")
    good = example_paths(examples)[2]
    case_doc = render_case(good, tmp_path / "made", calendar=CALENDAR).outputs[0]
    code = main(["read", str(letter), str(broken), str(case_doc), "-o", str(tmp_path / "out")])
    out = capsys.readouterr().out
    assert code == 1 and "Traceback" not in out
    assert "不像附件3 典型案例" in out and "不是可读的 Word 文档（.docx）" in out
    assert "共 3 个文档：写出案例文件 1 个" in out
    assert (tmp_path / "out" / "重庆沙坪坝区顺达汽车维修有限公司_5103765432" / "case.yaml").is_file()
    assert main(["read", str(case_doc), "-o", str(tmp_path / "out")]) == 1  # never overwritten
    assert "已存在，未覆盖" in capsys.readouterr().out


def test_the_examples_read_back_whole_and_consistent(tmp_path, capsys, examples):
    made = [render_case(path, tmp_path / "made", calendar=CALENDAR).outputs[0] for path in example_paths(examples)]
    assert main(["read", *map(str, made), "-o", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "有错误或不一致的 0 个" in out and "[claim-" not in out
    assert "附件3 中没有、案例文件须按实际补填" in out  # unit.station and the like: for staff
    # every document's kind and days from its own dates, though its case file is not whole yet
    for said in ("无外线  2/4 个工作日，9 个日历日", "有外线无掘路  7/10 个工作日，9 个日历日",
                 "有外线有掘路  9/15 个工作日，16 个日历日"):
        assert f"按文中的日期：{said}" in out


HEAD = ["附件3", "国网重庆电力小微企业典型案例", "——重庆渝北区鑫源五金经营部"]


def test_a_year_from_elsewhere_in_the_text_is_a_guess_not_a_fact(tmp_path):
    document = handmade(tmp_path / "成立.docx", [
        *HEAD, "重庆渝北区鑫源五金经营部成立于2019年，属于无外线工程。", "一、项目简介",
        "重庆渝北区鑫源五金经营部（户号：5104412345）于4月28日向国网重庆市电力公司渝北供电分公司"
        "提出新装用电申请。",
        "二、办理过程", "1.受理申请并签约：4月28日", "3.装表接电：5月6日"])
    accepted = read_document(document).values[("timeline", "accepted")]
    assert accepted.value == dt.date(2019, 4, 28) and "年份取自“2019年”" in accepted.guess


def test_units_after_a_decimal_are_not_dates_and_a_steps_table_gives_start_and_end(tmp_path):
    document = handmade(tmp_path / "表.docx", [
        *intro(), "二、办理流程", "2.现场勘查：4月29日（历时1.5小时）", "3.外线设计：4月30日（设计图纸第2.3版）",
        [["环节", "开始时间", "完成时间"], ["施工准备", "4月30日", "5月6日"], ["行政审批", "5月6日", "5月9日"],
         ["接入工程施工（敷设电缆1.2公里）", "5月12日", "5月14日"], ["装表接电", "5月13日", "5月14日"]]])
    read = read_document(document)
    got = {key: value.value for key, value in read.values.items()}
    assert got[("timeline", "surveyed")] == dt.date(2025, 4, 29)
    assert got[("timeline", "designed")] == dt.date(2025, 4, 30)
    assert got[("timeline", "preparation")] == [dt.date(2025, 4, 30), dt.date(2025, 5, 6)]
    assert got[("timeline", "construction")] == [dt.date(2025, 5, 12), dt.date(2025, 5, 14)]
    energized = read.values[("timeline", "energized")]
    assert energized.value == dt.date(2025, 5, 14) and "取完成的一天" in energized.guess


def test_two_cases_in_one_document_are_refused_and_names_keep_their_brackets(tmp_path):
    name = "重庆市渝北区鑫源五金经营部（个体工商户）"
    one = ["附件3", "国网重庆电力小微企业典型案例", f"——{name}", "一、项目简介",
           f"{name}（户号：5104412345）于2025年4月28日向国网重庆市电力公司渝北供电分公司提出新装用电申请。",
           "二、办理流程", "1.受理申请并签约：4月28日", "7.装表接电：5月6日"]
    read = read_document(handmade(tmp_path / "一个.docx", one))
    assert read.values[("customer", "name")].value == name
    two = [*one, "三、客户反馈", "环节：“快。”", "一、项目简介", "重庆某某餐饮有限公司（户号：5104400000）…",
           "二、办理流程"]
    with pytest.raises(NotACase, match="不止一个案例"):
        read_document(handmade(tmp_path / "两个.docx", two))


def test_steps_in_date_first_running_text_and_a_feedback_heading_with_step_words(tmp_path):
    document = handmade(tmp_path / "先日期.docx", [
        *intro(), "二、办理流程",
        "4月28日，客户经理受理用电申请并签约；4月29日，完成现场勘察；5月6日—5月9日，办理行政审批；"
        "5月12日至14日，接入工程施工；5月14日，装表接电。",
        "三、客户感受（办理环节、时间、成本）", "环节：“营业厅一次办完。”"])
    got = {key: value.value for key, value in read_document(document).values.items()}
    assert got[("timeline", "accepted")] == dt.date(2025, 4, 28)
    assert got[("timeline", "surveyed")] == dt.date(2025, 4, 29)
    assert got[("timeline", "permit")] == [dt.date(2025, 5, 6), dt.date(2025, 5, 9)]
    assert got[("timeline", "energized")] == dt.date(2025, 5, 14)
    assert got[("feedback", "steps")] == "营业厅一次办完。"
