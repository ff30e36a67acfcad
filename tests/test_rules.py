"""Each rule, broken alone, gives exactly its finding; valid cases give none (also generated)."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
from conftest import example_paths, load_valid, write_case
from hypothesis import given, settings
from hypothesis import strategies as st

from casegen.build import gather
from casegen.calendar import WorkCalendar
from casegen.derive import derive
from casegen.model import build_case
from casegen.pipeline import CaseFile, prepare
from casegen.rules import RULES, check_case

CALENDAR = WorkCalendar()


def findings_of(data: dict):
    case, warnings = build_case(data, lambda key_path: 1)
    case_file = CaseFile(path=None, case=case, lines={})
    case_file.facts = derive(case, CALENDAR)
    return warnings + check_case(case_file, CALENDAR)


def shift_dates(data: dict, days: int) -> None:
    def move(text):
        return (dt.date.fromisoformat(str(text)) + dt.timedelta(days=days)).isoformat()
    data["application"]["date"] = move(data["application"]["date"])
    for key, value in data["timeline"].items():
        data["timeline"][key] = [move(v) for v in value] if isinstance(value, list) else move(value)


def _set(path: str, value):
    def mutate(data):
        *parents, last = path.split(".")
        node = data
        for key in parents:
            node = node[int(key)] if key.isdigit() else node[key]
        node[last] = value
    return mutate


def _delete(path: str):
    def mutate(data):
        *parents, last = path.split(".")
        node = data
        for key in parents:
            node = node[key]
        del node[last]
    return mutate


def _spare_too_small(data):
    data["project"]["transformer"].update(action="无", load_rate=0.9)
    data["grid"]["source"]["new"] = False


def _late(data):
    data["timeline"]["construction"] = ["2025-05-12", "2025-06-30"]
    data["timeline"]["energized"] = "2025-06-30"


# rule id → a change to the valid case that breaks that rule and no other
BREAKERS = {
    "scope-capacity": _set("application.capacity_kw", 200),
    "scope-voltage": _set("application.supply", "10kV"),
    "scope-category": _set("customer.electricity_category", "居民生活"),
    "scope-exclusion": _set("application.exclusions", ["临时用电"]),
    "scope-licence": _set("customer.business_licence", False),
    "scope-small-micro": _set("customer.small_micro", "否"),
    "address-format": _set("customer.address", "井口工业园A区8号"),
    "kind-grid": _set("grid.route.2.excavation_m", None),
    "kind-permit": _delete("timeline.permit"),
    "kind-construction": _delete("timeline.construction"),
    "timeline-order": _set("timeline.surveyed", "2025-04-27"),
    "application-date": _set("application.date", "2025-04-27"),
    "time-limit": _late,
    "energize-same-day": _set("timeline.energized", "2025-05-15"),
    "calendar-estimate": lambda data: shift_dates(data, 728),  # 104 weeks on: 2027
    "cost-customer": _set("project.customer_cost_yuan", 500),
    "cost-utility": _set("project.cost_yuan", 0),
    "cost-funding": _set("project.funding", "客户自筹"),
    "meter-wall": _set("project.meter_location", "客户配电室内"),
    "transformer-capacity": _spare_too_small,
    "transformer-grid": _set("grid.source.name", "另一台配变"),
    "feedback-missing": _delete("feedback.time"),
}
CHECKED_ELSEWHERE = {"load", "duplicate-key", "too-long", "control-char", "contract",
                     "unknown-key",  # test_load.py
                     "duplicate-account", "one-address",  # folder tests below
                     "evidence-missing", "evidence-broken", "evidence-unusable"}  # test_evidence.py


def test_every_rule_has_a_test():
    assert {r.id for r in RULES} == set(BREAKERS) | CHECKED_ELSEWHERE


def test_valid_case_and_examples_have_no_findings():
    assert findings_of(load_valid()) == []
    run = gather(example_paths(), CALENDAR)
    assert run.findings == []


@pytest.mark.parametrize("rule_id", sorted(BREAKERS))
def test_breaking_one_rule_gives_exactly_that_finding(rule_id):
    data = copy.deepcopy(load_valid())
    BREAKERS[rule_id](data)
    findings = findings_of(data)
    assert [f.rule for f in findings] == [rule_id]
    expected = next(r for r in RULES if r.id == rule_id)
    assert findings[0].severity is expected.severity
    assert findings[0].message and findings[0].key


def test_messages_name_the_values(tmp_path):
    data = load_valid()
    _late(data)
    path = write_case(tmp_path, data)
    finding, = prepare(path, CALENDAR).findings
    assert str(finding).startswith(f"{path}:")
    # by hand: Apr 29–30 (2), May 6–30 (19), Jun 3–30 less Dragon Boat Jun 2 (20)
    assert "从受理到接电 41 个工作日，超过有外线有掘路工程 15 个工作日的时限" in str(finding)
    assert finding.line == path.read_text(encoding="utf-8").splitlines().index(
        "  energized: '2025-06-30'") + 1


def test_estimate_warning_names_the_year():
    data = load_valid()
    shift_dates(data, 728)
    finding, = findings_of(data)
    assert "2027 年的放假安排尚未公布" in finding.message and "未含调休" in finding.message


def test_folder_rules_same_account_and_same_address(tmp_path):
    a = load_valid()
    b = copy.deepcopy(a)
    b["customer"]["address"] = "重庆市-沙坪坝区-井口镇-井口工业园C区1号"
    c = copy.deepcopy(a)
    c["customer"]["account_no"] = "5109999999"
    c["customer"]["address"] = "重庆市 - 沙坪坝区 - 井口镇 - 井口工业园A区8号"  # spaces: same address
    paths = [write_case(tmp_path / n, d) for n, d in (("a", a), ("b", b), ("c", c))]
    run = gather([tmp_path], CALENDAR)
    by_file = {p: sorted(f.rule for f in run.findings if f.file == p) for p in paths}
    assert by_file == {paths[0]: ["duplicate-account", "one-address"],
                       paths[1]: ["duplicate-account"],
                       paths[2]: ["one-address"]}


# --- generated cases --------------------------------------------------------------------------

LIMITS = {"无外线": 4, "有外线无掘路": 10, "有外线有掘路": 15}


def nth_working_day(start: dt.date, n: int) -> dt.date:
    day, count = start, 0
    while count < n:
        day += dt.timedelta(days=1)
        count += CALENDAR.is_working_day(day)
    return day


@st.composite
def valid_cases(draw, working_days=None):
    kind = draw(st.sampled_from(sorted(LIMITS)))
    accepted = draw(st.dates(dt.date(2019, 1, 1), dt.date(2026, 10, 31)))
    limit = LIMITS[kind]
    minimum = 3 if kind != "无外线" else 1
    n = working_days(limit) if working_days else draw(st.integers(minimum, limit))
    energized = nth_working_day(accepted, n)
    data = copy.deepcopy(load_valid())
    data["project"]["kind"] = kind
    data["application"]["date"] = accepted.isoformat()
    data["application"]["capacity_kw"] = draw(st.integers(1, 160))
    data["application"]["supply"] = draw(st.sampled_from(["220V", "380V"]))
    data["application"]["channel"] = draw(st.sampled_from(["掌上电力", "渝快办", "行政服务大厅"]))
    survey = nth_working_day(accepted, 1) if n > 1 else accepted
    timeline = {"accepted": accepted.isoformat(), "surveyed": survey.isoformat(),
                "energized": energized.isoformat()}
    length = draw(st.integers(5, 500))
    if kind == "无外线":
        data["grid"]["route"] = [{"kind": "pole", "new": False, "name": "现状杆"}]
        data["project"]["cost_yuan"] = 0
    else:
        dig = kind == "有外线有掘路"
        line = {"kind": draw(st.sampled_from(["cable", "overhead"])), "new": True,
                "length_m": length}
        if dig:
            line = {"kind": "cable", "new": True, "length_m": length,
                    "excavation_m": draw(st.integers(1, length))}
        data["grid"]["route"] = [{"kind": "pole", "new": False}, line]
        timeline["construction"] = [energized.isoformat(), energized.isoformat()]
        if dig:
            timeline["permit"] = [survey.isoformat(), survey.isoformat()]
    data["timeline"] = timeline
    return data


@settings(max_examples=60, deadline=None)
@given(valid_cases())
def test_generated_valid_cases_raise_no_finding(data):
    assert findings_of(data) == []


@settings(max_examples=40, deadline=None)
@given(valid_cases(working_days=lambda limit: limit))
def test_energising_on_the_last_allowed_day_is_fine_one_day_later_is_not(data):
    assert findings_of(data) == []
    accepted = dt.date.fromisoformat(data["timeline"]["accepted"])
    late = nth_working_day(accepted, LIMITS[data["project"]["kind"]] + 1).isoformat()
    data["timeline"]["energized"] = late
    if "construction" in data["timeline"]:
        data["timeline"]["construction"] = [data["timeline"]["construction"][0], late]
    assert [f.rule for f in findings_of(data)] == ["time-limit"]


@settings(max_examples=40, deadline=None)
@given(valid_cases(), st.floats(160.01, 10_000))
def test_capacity_over_160_fires_scope_capacity(data, capacity):
    data["project"]["transformer"]["action"] = "更换"
    data["application"]["capacity_kw"] = capacity
    assert [f.rule for f in findings_of(data)] == ["scope-capacity"]
