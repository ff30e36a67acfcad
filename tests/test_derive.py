"""Derived facts: kind, days, quantities, money, and the numbered steps."""

from __future__ import annotations

from conftest import write_case

from casegen.case.calendar import WorkCalendar
from casegen.case.derive import derive
from casegen.case.reading import read_case


def facts_of(tmp_path, data):
    return derive(read_case(write_case(tmp_path, data)).case, WorkCalendar())


def test_quantities_days_and_money(tmp_path, valid_data):
    facts = facts_of(tmp_path, valid_data)
    assert facts.kind_text == "有外线有掘路工程"
    assert facts.has_works
    assert (facts.working_days, facts.calendar_days) == (8, 15)  # accepted 04-29: Apr 30, May 6–9, 12–14
    assert facts.limit_days == 15
    assert facts.new_line_m == 65
    assert facts.excavation_m == 18
    assert facts.cost_wan == 12.65
    assert facts.works_text == (
        "客户由380V三相供电，有外线工程，由电缆接入。电源由井口工业园2号公用配变引出，经现状低压出线电缆40米、"
        "新建电缆分支箱、新建YJV22-0.6/1kV-4×95电缆65米，接至用电地址外墙新装三相计量表箱，涉及掘路18米。"
        "周边电源有井口工业园2号公用配变，容量400kVA，负荷率82%，剩余容量不满足接入条件，本次更换为630kVA配变。"
        "工程建设总费用12.65万元，均由供电企业出资（红线外投资）。")


def test_the_cost_sentence_says_who_paid(tmp_path, valid_data):
    valid_data["project"]["customer_cost_yuan"] = 3500
    assert facts_of(tmp_path, valid_data).works_text.endswith(
        "工程建设总费用12.65万元，工程资金来源为供电企业；客户在红线外出资3500元。")
    valid_data["project"].update(customer_cost_yuan=0, funding="客户自筹")
    assert facts_of(tmp_path, valid_data).works_text.endswith("工程建设总费用12.65万元，工程资金来源为客户自筹。")


def test_each_fact_said_once(tmp_path, valid_data):
    text = facts_of(tmp_path, valid_data).works_text
    assert text.count("掘路") == 1 and text.count("400kVA") == 1 and text.count("65米") == 1


def test_single_phase_decimal_lengths_and_no_digging(tmp_path, valid_data):
    valid_data["application"]["supply"] = "220V"
    valid_data["grid"]["route"][2].update(length_m="12.5", excavation_m=None)
    valid_data["grid"]["route"].append({"kind": "overhead", "length_m": 7.25, "new": True})
    text = facts_of(tmp_path, valid_data).works_text
    assert text.startswith("客户由220V单相供电")
    assert "电缆12.5米" in text and "架空线7.25米" in text
    assert "新建线路共19.75米，不涉及掘路。" in text


def test_nearby_transformer_without_change(tmp_path, valid_data):
    valid_data["project"]["transformer"].update(action="无", new_capacity_kva=None, load_rate="46%")
    text = facts_of(tmp_path, valid_data).works_text
    assert "周边电源有井口工业园2号公用配变，容量400kVA，负荷率46%，满足接入条件，无需新增或更换配变。" in text


def test_absent_steps_keep_the_templates_numbers_and_read_not_applicable(tmp_path, valid_data):
    timeline = valid_data["timeline"]
    del timeline["permit"], timeline["designed"]
    steps = facts_of(tmp_path, valid_data).steps
    assert [s.number for s in steps] == [1, 2, 3, 4, 5, 6, 7]  # 5 is 行政审批 in every case
    assert [s.label for s in steps] == ["受理申请并签约", "现场勘查", "外线设计并生成物料清单", "施工准备",
                                        "行政审批时间", "接入工程施工", "装表接电"]
    assert [s.when for s in steps][2:5] == ["不涉及", "4月30日—5月6日", "不涉及"]
    timeline["permit"] = ["2025-05-06", "2025-05-09"]  # with a permit: its materials are prepared too
    assert facts_of(tmp_path, valid_data).steps[3].label == "施工准备（含报行政审批所需材料的时间）"


def test_every_step_form_in_words(tmp_path, valid_data):
    timeline = valid_data["timeline"]
    timeline["permit"] = "2025-05-09"  # a single date is one day
    steps = {s.key: s.when for s in facts_of(tmp_path, valid_data).steps}
    assert steps == {"accepted": "4月29日", "surveyed": "4月29日", "designed": "4月30日",
                     "preparation": "4月30日—5月6日", "permit": "5月9日",
                     "construction": "5月12日—5月14日", "energized": "5月14日"}
    assert facts_of(tmp_path, valid_data).customer_steps == "申请签约（4月29日），装表接电（5月14日）"


def test_a_process_across_a_year_gives_every_date_its_year(tmp_path, valid_data):
    """A manager signing the page cannot tell 12月30日 from 1月4日 of which year otherwise."""
    timeline = valid_data["timeline"]
    timeline["permit"] = "2025-05-09"
    timeline["construction"] = ["2025-12-30", "2026-01-02"]
    timeline["energized"] = "2026-01-02"
    facts = facts_of(tmp_path, valid_data)
    assert {s.key: s.when for s in facts.steps} == {
        "accepted": "2025年4月29日", "surveyed": "2025年4月29日", "designed": "2025年4月30日",
        "preparation": "2025年4月30日—2025年5月6日", "permit": "2025年5月9日",
        "construction": "2025年12月30日—2026年1月2日", "energized": "2026年1月2日"}
    assert facts.customer_steps == "申请签约（2025年4月29日），装表接电（2026年1月2日）"


def test_description_given_by_the_user_wins(tmp_path, valid_data):
    valid_data["project"]["description"] = "由用户自己写的工程描述。"
    assert facts_of(tmp_path, valid_data).works_text == "由用户自己写的工程描述。"
