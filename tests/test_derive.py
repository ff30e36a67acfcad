"""Derived facts: kind, days, quantities, money, and the numbered steps."""

from __future__ import annotations

from conftest import write_case

from casegen.calendar import WorkCalendar
from casegen.derive import derive
from casegen.pipeline import read_case


def facts_of(tmp_path, data):
    return derive(read_case(write_case(tmp_path, data)).case, WorkCalendar())


def test_quantities_days_and_money(tmp_path, valid_data):
    facts = facts_of(tmp_path, valid_data)
    assert facts.kind_text == "有外线有掘路工程"
    assert facts.has_works
    assert (facts.working_days, facts.calendar_days) == (9, 16)
    assert facts.limit_days == 15
    assert facts.new_line_m == 65
    assert facts.excavation_m == 18
    assert facts.cost_wan == 12.65
    assert "YJV22-0.6/1kV-4×95电缆65米（其中掘路18米）" in facts.works_text
    assert "126500" not in facts.works_text and "12.65万元" in facts.works_text


def test_absent_steps_are_omitted_and_numbering_stays_continuous(tmp_path, valid_data):
    timeline = valid_data["timeline"]
    del timeline["permit"], timeline["designed"]
    steps = facts_of(tmp_path, valid_data).steps
    assert [s.number for s in steps] == [1, 2, 3, 4, 5]
    assert [s.label for s in steps] == ["受理申请并签约", "现场勘查",
                                        "施工准备（含报行政审批所需材料的时间）", "接入工程施工", "装表接电"]
    assert steps[2].when == "4月30日—5月6日"


def test_description_given_by_the_user_wins(tmp_path, valid_data):
    valid_data["project"]["description"] = "由用户自己写的工程描述。"
    assert facts_of(tmp_path, valid_data).works_text == "由用户自己写的工程描述。"
