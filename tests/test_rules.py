"""Each rule, broken alone, gives exactly its finding; valid cases give none (also generated)."""

from __future__ import annotations

import copy
import datetime as dt
import re

import pytest
from conftest import example_paths, load_valid, shared_path, write_case
from hypothesis import given, settings
from hypothesis import strategies as st

from casegen.base.policy import RULES, Product, gate
from casegen.case.calendar import WorkCalendar
from casegen.case.derive import derive
from casegen.case.model import build_case
from casegen.case.reading import CaseFile
from casegen.checks.rules import check_case
from casegen.service.cases import assess, gather

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
    data["project"]["transformer"].update(action="无", load_rate=0.9, new_capacity_kva=None)
    data["grid"]["source"].update(new=False, capacity_kva=400)
    data["grid"]["route"][1]["new"] = True  # still works: the new branch box


def _late(data):
    data["timeline"]["construction"] = ["2025-05-12", "2025-06-30"]
    data["timeline"]["energized"] = "2025-06-30"


def _integrated_two_people(data):
    data["unit"]["integrated"] = True


def _before_in_force(data):
    shift_dates(data, (dt.date(2019, 10, 31) - ACCEPTED).days)


def _before_june_2019(data):
    shift_dates(data, (dt.date(2019, 5, 31) - ACCEPTED).days)


def _over_in_calendar_days(data):
    data["timeline"]["construction"] = ["2025-05-12", "2025-05-16"]  # 10 working days, 17 calendar days
    data["timeline"]["energized"] = "2025-05-16"


ACCEPTED = dt.date(2025, 4, 29)  # the valid case's acceptance


# rule id → a change to the valid case that breaks that rule and no other
BREAKERS = {
    "scope-capacity": _set("application.capacity_kw", 200),
    "scope-voltage": _set("application.supply", "10kV"),
    "scope-category": _set("customer.electricity_category", "居民生活"),
    "scope-exclusion": _set("application.exclusions", ["临时用电"]),
    "scope-in-force": _before_june_2019,
    "before-in-force": _before_in_force,
    "scope-source": _set("grid.source.owner", "转供电"),
    "source-unstated": _delete("grid.source.owner"),
    "capacity-existing": _delete("application.existing_capacity_kw"),
    "time-limit-calendar": _over_in_calendar_days,
    "survey-missing": _delete("timeline.surveyed"),
    "cost-words": _set("feedback.cost", "挖路的手续是供电公司去办的，表箱是我们自己交了一千二买的。"),
    "scope-licence": _set("customer.business_licence", False),
    "scope-small-micro": _set("customer.small_micro", "否"),
    "channel-unknown": _set("application.channel", "电话预约"),
    "address-format": _set("customer.address", "井口工业园A区8号"),  # no 市, no 区
    "kind-grid": _set("grid.route.2.excavation_m", None),
    "kind-permit": _delete("timeline.permit"),
    "kind-construction": _delete("timeline.construction"),
    "timeline-order": _set("timeline.surveyed", "2025-04-27"),
    "application-date": _set("application.date", "2025-04-27"),
    "transformer-grid": _set("grid.source.name", "另一台配变"),
    "team-duties": _integrated_two_people,
    "time-limit": _late,
    "energize-same-day": _set("timeline.construction", ["2025-05-12", "2025-05-13"]),
    "calendar-estimate": lambda data: shift_dates(data, 728),  # 104 weeks on: 2027
    "contacts-limit": _set("application.contacts", 3),
    "contacts-unstated": _delete("application.contacts"),
    "permit-by-utility": _set("project.permit_by", "客户"),
    "permit-by-unstated": _delete("project.permit_by"),
    "cost-customer": _set("project.customer_cost_yuan", 500),
    "cost-utility": _set("project.cost_yuan", 0),
    "cost-stated": _delete("project.funding"),
    "cost-funding": _set("project.funding", "客户自筹"),
    "meter-wall": _set("project.meter_location", "客户配电室内"),
    "transformer-capacity": _spare_too_small,
    "feedback-missing": _delete("feedback.time"),
}
CHECKED_ELSEWHERE = {"load", "duplicate-key", "too-long", "control-char", "contract", "required",
                     "unknown-key",  # test_load.py
                     "calendar",  # test_calendar.py
                     "template", "font",  # test_render.py, test_sketch.py
                     "import", "import-note", "roster",  # test_importer.py, test_ledger.py
                     "duplicate-account", "one-address", "one-meter",  # folder tests below
                     "evidence-missing", "evidence-broken", "evidence-unusable",
                     "evidence-unmarked",  # test_evidence.py
                     "photo-time", "photo-undated", "before-after", "duplicate-evidence", "seal",
                     "callback-contradicts", "callback-date",  # test_audit.py
                     "history-outside", "history-broken",  # test_history.py
                     "read", "read-guess", "claim-cycle", "claim-kind", "claim-energized", "claim-cost",  # test_read.py
                     "ledger-kind", "ledger-order", "ledger-duplicate", "ledger-case-missing", "ledger-case-differs",
                     "ledger-pending", "ledger-stated-days"}  # test_projects.py

# The policy, written out here and not imported, so that demoting a rule or changing what it
# stops fails this test (the README's 核验结论). R: render, D: draw (when the sketch's data is at fault),
# V: validate exit 1, C: check exit 1.
POLICY = """
load                 数据错误 RDV
duplicate-key        数据错误 RDV
too-long             数据错误 RDV
control-char         数据错误 RDV
contract             数据错误 RDV
required             数据错误 RDV
unknown-key          提示     -
calendar             数据错误 RDV
template             数据错误 RDV
font                 数据错误 RDV
import               数据错误 RDV
import-note          提示     -
roster               提示     -
scope-capacity       适用范围 RV
scope-voltage        适用范围 RV
scope-category       适用范围 RV
scope-exclusion      适用范围 RV
scope-in-force       适用范围 RV
before-in-force      提示     -
one-address          适用范围 RV
one-meter            提示     -
scope-source         适用范围 RV
source-unstated      提示     -
capacity-existing    提示     -
scope-licence        提示     -
scope-small-micro    提示     -
channel-unknown      提示     -
address-format       提示     -
kind-grid            数据错误 RDV
kind-permit          数据错误 RDV
kind-construction    数据错误 RDV
timeline-order       数据错误 RDV
application-date     数据错误 RDV
transformer-grid     数据错误 RDV
duplicate-account    数据错误 RDV
team-duties          提示     -
cost-utility         数据错误 RDV
cost-stated          数据错误 RDV
cost-words           数据错误 RDV
time-limit           服务目标 V
time-limit-calendar  提示     -
survey-missing       提示     -
energize-same-day    服务目标 V
cost-customer        服务目标 V
cost-funding         服务目标 V
permit-by-utility    服务目标 V
contacts-limit       服务目标 V
calendar-estimate    提示     -
meter-wall           提示     -
transformer-capacity 提示     -
contacts-unstated    提示     -
permit-by-unstated   提示     -
feedback-missing     提示     -
read                 数据错误 RDV
read-guess           提示     -
claim-cycle          数据错误 RDV
claim-kind           数据错误 RDV
claim-energized      数据错误 RDV
claim-cost           数据错误 RDV
ledger-kind          数据错误 RDV
ledger-order         数据错误 RDV
ledger-duplicate     数据错误 RDV
ledger-case-missing  数据错误 RDV
ledger-case-differs  数据错误 RDV
ledger-pending       提示     -
ledger-stated-days   提示     -
evidence-missing     实证材料 C
evidence-broken      实证材料 C
evidence-unmarked    实证材料 C
evidence-unusable    实证材料 -
photo-time           实证材料 C
photo-undated        实证材料 -
before-after         实证材料 C
duplicate-evidence   实证材料 C
history-outside      实证材料 C
history-broken       实证材料 C
seal                 实证材料 C
callback-contradicts 实证材料 C
callback-date        实证材料 C
"""
LETTERS = {"R": Product.RENDER, "D": Product.DRAW, "V": Product.VALIDATE, "C": Product.CHECK}


def written_policy() -> dict[str, tuple[str, set]]:
    table = {}
    for line in POLICY.strip().splitlines():
        rule_id, cls, stops = line.split()
        table[rule_id] = (cls, {LETTERS[ch] for ch in stops if ch != "-"})
    return table


def test_the_declared_policy_is_the_written_one():
    declared = {r.id: (r.cls.value, set(r.stops)) for r in RULES.values()}
    assert declared == written_policy()


def test_every_rule_has_a_test():
    assert set(RULES) == set(BREAKERS) | CHECKED_ELSEWHERE


def test_every_text_quoted_as_the_notices_is_in_the_notice():
    """A clause's words (each part between “……”), and every “quoted” phrase of a rule's title,
    word for word in the notice (whitespace aside); casegen's own conventions quote nothing and
    say they are casegen's."""
    seed = shared_path("seed", "The notice's text (渝电营〔2019〕32号, the .txt in seed/)")
    notice = re.sub(r"\s+", "", next(seed.glob("*.txt")).read_text(encoding="utf-8"))
    for declared in RULES.values():
        clause = declared.clause
        assert clause.section
        quoted = [part for part in clause.words.split("……") if part] + re.findall(r"“([^”]+)”", declared.title)
        for words in quoted:
            assert re.sub(r"\s+", "", words) in notice, (declared.id, words)
        if not clause.quoted:
            assert clause.section.startswith(("casegen 约定", "案例文件约定")), declared.id
    assert "工作日以国务院办公厅公布的放假安排为准" not in notice  # what an earlier casegen quoted as the notice's


def test_valid_case_and_examples_have_no_findings_but_the_calendar_day_hints(examples):
    assert findings_of(load_valid()) == []
    run = gather(example_paths(examples), CALENDAR)
    # 01: 2 working days, 9 calendar days against “4 天内接电”; 03: 9 and 16 against 15: both shown
    assert [(f.file.parent.name[:2], f.rule) for f in run.findings] == [("01", "time-limit-calendar"),
                                                                       ("03", "time-limit-calendar")]


@pytest.mark.parametrize("rule_id", sorted(BREAKERS))
def test_breaking_one_rule_gives_exactly_that_finding(rule_id):
    data = copy.deepcopy(load_valid())
    BREAKERS[rule_id](data)
    findings = findings_of(data)
    assert [f.rule for f in findings] == [rule_id]
    cls, stops = written_policy()[rule_id]
    assert findings[0].cls.value == cls
    key_path = findings[0].key_path
    sketch_data = key_path[0] == "grid" or key_path[:2] in (("customer", "name"),
                                                            ("project", "transformer"))
    for product in Product:
        stopped = bool(gate(findings, product))
        if product is Product.DRAW:  # draw stops only for the sketch's own data
            assert stopped == (product in stops and sketch_data)
        else:
            assert stopped == (product in stops), product
    assert findings[0].message and findings[0].key_path
    assert f"〔依据：{RULES[rule_id].clause.section}〕" in str(findings[0])


def test_a_missed_target_stops_neither_render_nor_draw():
    data = load_valid()
    _late(data)
    findings = findings_of(data)
    assert [f.rule for f in findings] == ["time-limit"]
    assert gate(findings, Product.RENDER) == [] and gate(findings, Product.DRAW) == []
    assert gate(findings, Product.VALIDATE) == findings


def test_messages_name_the_values(tmp_path):
    data = load_valid()
    _late(data)
    path = write_case(tmp_path, data)
    finding, = assess(path, CALENDAR).findings
    assert str(finding).startswith(f"{path}:")
    # by hand: Apr 30 (1), May 6–30 (19), Jun 3–30 less Dragon Boat Jun 2 (20)
    assert "从受理到接电 40 个工作日，超过有外线有掘路工程 15 天的时限 25 天（按工作日计）" in str(finding)
    assert "〔依据：通知二（二）〕" in str(finding)
    assert finding.line == path.read_text(encoding="utf-8").splitlines().index(
        "  energized: '2025-06-30'") + 1


def test_estimate_warning_names_the_year():
    data = load_valid()
    shift_dates(data, 728)
    finding, = findings_of(data)
    assert "2027 年的放假安排尚未公布" in finding.message and "未含调休" in finding.message


def test_folder_rules_read_one_address_one_enterprise_as_the_notice_means_it(tmp_path):
    a = load_valid()
    b = copy.deepcopy(a)  # the same project sent twice, from another address: a duplicate
    b["customer"]["address"] = "重庆市-沙坪坝区-井口镇-井口工业园C区1号"
    c = copy.deepcopy(a)  # another enterprise at a's address (spaces and hyphens aside)
    c["customer"].update(account_no="5109999999", name="重庆另一家公司")
    c["customer"]["address"] = "重庆市 沙坪坝区 井口镇 井口工业园A区8号"
    paths = [write_case(tmp_path / n, d) for n, d in (("a", a), ("b", b), ("c", c))]
    run = gather([tmp_path], CALENDAR)
    by_file = {p: sorted(f.rule for f in run.findings if f.file == p) for p in paths}
    assert by_file == {paths[0]: ["duplicate-account", "one-address"],
                       paths[1]: ["duplicate-account"],
                       paths[2]: ["one-address"]}
    told = next(f for f in run.findings if f.rule == "one-address" and f.file == paths[2]).message
    assert "户名却不同（重庆另一家公司、重庆沙坪坝区顺达汽车维修有限公司）" in told
    assert "户号 5103765432、增容、受理于 2025-04-29" in next(f.message for f in run.findings
                                                       if f.rule == "duplicate-account")


def test_a_new_connection_and_a_later_increase_of_one_customer_are_two_true_cases(tmp_path):
    first = load_valid()
    first["application"].update(business_type="新装", capacity_kw=30)
    del first["application"]["existing_capacity_kw"]
    later = load_valid()  # the 增容 of 2025 at the same address, same 户号
    shift_dates(first, -400)
    write_case(tmp_path / "新装", first)
    write_case(tmp_path / "增容", later)
    assert gather([tmp_path], CALENDAR).findings == []


def test_one_enterprise_with_two_accounts_at_one_address_is_told_as_a_hint(tmp_path):
    a = load_valid()
    b = copy.deepcopy(a)
    b["customer"]["account_no"] = "5109999999"
    paths = [write_case(tmp_path / n, d) for n, d in (("a", a), ("b", b))]
    findings = gather([tmp_path], CALENDAR).findings
    assert sorted((f.file, f.rule) for f in findings) == [(paths[0], "one-meter"), (paths[1], "one-meter")]
    assert "2 个户号（5103765432、5109999999）：原则上只安装一套计量装置" in findings[0].message


# --- boundaries -------------------------------------------------------------------------------

def rules_of(data) -> list[str]:
    return [f.rule for f in findings_of(data)]


def test_capacity_160_is_in_scope_and_160_01_is_not():
    data = load_valid()
    data["application"].update(business_type="新装", capacity_kw=160)
    del data["application"]["existing_capacity_kw"]
    assert rules_of(data) == []
    data["application"]["capacity_kw"] = "160.01"
    assert rules_of(data) == ["scope-capacity"]


def test_an_increase_is_held_to_the_limit_with_what_was_there_before():
    data = load_valid()  # 增容 100 kW on an existing 30 kW
    data["application"]["capacity_kw"] = 130
    assert rules_of(data) == []
    data["application"]["capacity_kw"] = 131
    [finding] = findings_of(data)
    assert finding.rule == "scope-capacity"
    assert "增容 131 千瓦，加上原有 30 千瓦，需用容量 161 千瓦" in finding.message


@pytest.mark.parametrize("supply", ["220V", "380V", "0.4kV", "400V", "0.38 kV", "230V"])
def test_low_voltage_in_every_spelling_is_in_scope(supply):
    data = load_valid()
    data["application"]["supply"] = supply
    assert rules_of(data) == []


@pytest.mark.parametrize("supply", ["10kV", "401V", "0.41kV"])
def test_above_0_4_kv_is_out_of_scope(supply):
    data = load_valid()
    data["application"]["supply"] = supply
    assert rules_of(data) == ["scope-voltage"]


@pytest.mark.parametrize("category, out", [("非居民照明", False), ("一般工商业", False),
                                           ("居民生活", True), ("城乡居民生活用电", True)])
def test_residential_is_out_but_non_residential_is_in(category, out):
    data = load_valid()
    data["customer"]["electricity_category"] = category
    assert rules_of(data) == (["scope-category"] if out else [])


@pytest.mark.parametrize("channel", ["网上国网", "掌上电力", "渝快办", "行政服务大厅", "供电营业厅"])
def test_the_notices_channels_and_its_successor_app_are_known(channel):
    data = load_valid()
    data["application"]["channel"] = channel
    assert rules_of(data) == []


def test_cases_from_june_2019_are_verified_before_november_only_hinted():
    data = load_valid()
    shift_dates(data, (dt.date(2019, 11, 1) - ACCEPTED).days)
    assert "before-in-force" not in rules_of(data) and "scope-in-force" not in rules_of(data)
    shift_dates(data, -1)  # 2019-10-31: in force from 11-01, but its data is to be verified
    assert "before-in-force" in rules_of(data) and "scope-in-force" not in rules_of(data)
    shift_dates(data, (dt.date(2019, 6, 1) - dt.date(2019, 10, 31)).days)
    assert "before-in-force" in rules_of(data)
    shift_dates(data, -1)  # 2019-05-31: before what the notice asks to be verified
    assert "scope-in-force" in rules_of(data) and "before-in-force" not in rules_of(data)


def test_construction_may_start_the_day_the_permit_ends_not_before():
    data = load_valid()
    data["timeline"]["construction"] = ["2025-05-09", "2025-05-14"]
    assert rules_of(data) == []
    data["timeline"]["construction"] = ["2025-05-08", "2025-05-14"]
    assert rules_of(data) == ["timeline-order"]


def test_energised_the_day_after_completion_is_a_missed_target_only():
    data = load_valid()
    data["timeline"]["construction"] = ["2025-05-12", "2025-05-13"]
    findings = findings_of(data)
    assert [f.rule for f in findings] == ["energize-same-day"]
    assert findings[0].cls.value == "服务目标"
    assert "2025-05-13 完工，2025-05-14 才装表接电" in findings[0].message


@pytest.mark.parametrize("change, kind", [
    (lambda d: d["grid"]["route"][2].update(excavation_m=None), "有外线无掘路"),
    (lambda d: d["grid"]["route"].__setitem__(slice(1, 3), []), "有外线无掘路"),  # a new transformer
])
def test_replaced_transformer_or_new_box_means_external_works(change, kind):
    data = load_valid()
    change(data)
    data["project"]["kind"] = "无外线"
    finding, = [f for f in findings_of(data) if f.rule == "kind-grid"]
    assert f"应为 {kind}" in finding.message


def test_a_new_branch_box_alone_is_external_works():
    data = load_valid()
    data["project"]["transformer"].update(action="无", new_capacity_kva=None, load_rate=0.3)
    data["grid"]["source"].update(new=False, capacity_kva=400)
    data["grid"]["route"] = [{"kind": "cable", "length_m": 40, "new": False},
                             {"kind": "branch_box", "new": True}]
    data["project"]["kind"] = "无外线"
    finding, = [f for f in findings_of(data) if f.rule == "kind-grid"]
    assert "应为 有外线无掘路" in finding.message
    data["grid"]["route"][1]["new"] = False  # nothing new: a meter installed directly
    data["project"]["kind"] = "有外线无掘路"
    finding, = [f for f in findings_of(data) if f.rule == "kind-grid"]
    assert "应为 无外线" in finding.message


def test_an_integrated_team_is_one_person_and_a_separate_one_two():
    data = load_valid()
    data["unit"].update(integrated=True, project_manager=data["unit"]["customer_manager"])
    assert rules_of(data) == []
    data["unit"]["integrated"] = False
    assert rules_of(data) == ["team-duties"]


def test_nothing_is_assumed_for_a_missing_customer_cost():
    data = load_valid()
    del data["project"]["customer_cost_yuan"]
    finding, = findings_of(data)
    assert finding.rule == "cost-stated" and finding.key == "project.customer_cost_yuan"
    assert "零投资写 0" in finding.message


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
    accepted = draw(st.dates(dt.date(2019, 11, 1), dt.date(2026, 10, 31)))
    limit = LIMITS[kind]
    minimum = 3 if kind != "无外线" else 1
    n = working_days(limit) if working_days else draw(st.integers(minimum, limit))
    energized = nth_working_day(accepted, n)
    data = copy.deepcopy(load_valid())
    data["project"]["kind"] = kind
    data["application"]["date"] = accepted.isoformat()
    data["application"]["capacity_kw"] = capacity = draw(st.integers(1, 160))
    data["application"]["existing_capacity_kw"] = draw(st.integers(0, 160 - capacity))
    data["application"]["supply"] = draw(st.sampled_from(["220V", "380V"]))
    data["application"]["channel"] = draw(st.sampled_from(["掌上电力", "渝快办", "行政服务大厅"]))
    survey = nth_working_day(accepted, 1) if n > 1 else accepted
    timeline = {"accepted": accepted.isoformat(), "surveyed": survey.isoformat(),
                "energized": energized.isoformat()}
    length = draw(st.integers(5, 500))
    if kind == "无外线":  # nothing new or replaced on the grid
        data["grid"]["route"] = [{"kind": "pole", "new": False, "name": "现状杆"}]
        data["grid"]["source"].update(new=False, capacity_kva=400)
        data["project"]["transformer"].update(action="无", new_capacity_kva=None, load_rate=0.3)
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
def test_generated_valid_cases_raise_no_finding_but_the_calendar_day_hint(data):
    accepted, energized = (dt.date.fromisoformat(data["timeline"][k]) for k in ("accepted", "energized"))
    over_in_calendar_days = (energized - accepted).days > LIMITS[data["project"]["kind"]]
    assert rules_of(data) == (["time-limit-calendar"] if over_in_calendar_days else [])


@settings(max_examples=40, deadline=None)
@given(valid_cases(working_days=lambda limit: limit))
def test_energising_on_the_last_allowed_day_is_fine_one_day_later_is_not(data):
    assert set(rules_of(data)) <= {"time-limit-calendar"}
    accepted = dt.date.fromisoformat(data["timeline"]["accepted"])
    late = nth_working_day(accepted, LIMITS[data["project"]["kind"]] + 1).isoformat()
    data["timeline"]["energized"] = late
    if "construction" in data["timeline"]:
        data["timeline"]["construction"] = [data["timeline"]["construction"][0], late]
    assert [f.rule for f in findings_of(data)] == ["time-limit"]


@settings(max_examples=40, deadline=None)
@given(valid_cases(), st.floats(160.01, 10_000))
def test_capacity_over_160_fires_scope_capacity(data, capacity):
    transformer = data["project"]["transformer"]
    if transformer["action"] == "无":  # room enough on the transformer: only the scope is wrong
        transformer.update(capacity_kva=20_000, load_rate=0)
        data["grid"]["source"]["capacity_kva"] = 20_000
    data["application"]["capacity_kw"] = capacity
    assert [r for r in rules_of(data) if r != "time-limit-calendar"] == ["scope-capacity"]


def test_a_grid_source_whose_capacity_differs_from_an_unchanged_transformer():
    data = load_valid()
    data["project"]["transformer"].update(action="无", new_capacity_kva=None, load_rate=0.3)
    data["grid"]["source"].update(new=False, capacity_kva=630)
    finding, = findings_of(data)
    assert finding.rule == "transformer-grid"
    assert finding.message == "为 630kVA，与配变容量 400kVA 不一致"


@pytest.mark.parametrize("step", ["preparation", "permit", "construction"])
def test_a_range_starting_before_the_step_it_follows_is_out_of_order(step):
    data = load_valid()
    data["timeline"][step] = ["2025-04-28", data["timeline"][step][1]]  # starts at acceptance
    assert "timeline-order" in rules_of(data)


def test_spare_capacity_equal_to_the_application_is_enough():
    data = load_valid()
    data["project"]["transformer"].update(action="无", new_capacity_kva=None, capacity_kva=200,
                                          load_rate=0.5)
    data["grid"]["source"].update(new=False, capacity_kva=200)
    data["application"]["capacity_kw"] = 100  # 200 kVA at 50%: exactly 100 kVA spare
    assert "transformer-capacity" not in rules_of(data)
    data["application"]["capacity_kw"] = 100.5
    assert "transformer-capacity" in rules_of(data)


def test_kind_grid_names_the_replaced_transformer_first():
    data = load_valid()
    data["project"]["kind"] = "无外线"
    finding = next(f for f in findings_of(data) if f.rule == "kind-grid")
    assert "新建或更换了井口工业园2号公用配变、新建电缆分支箱" in finding.message


def test_an_unknown_channel_reads_as_online_unless_it_names_a_hall():
    from casegen.case.model import is_online

    assert is_online("电话预约") is True and is_online("区政务服务大厅") is False


def test_a_source_drawn_new_for_an_unchanged_transformer():
    data = load_valid()
    data["project"]["transformer"].update(action="无", new_capacity_kva=None, load_rate=0.3)
    data["grid"]["source"].update(new=True, capacity_kva=400)
    finding, = findings_of(data)
    assert finding.rule == "transformer-grid" and finding.message == "为 true，但配变改造为“无”"


def test_a_permit_without_digging_is_allowed_but_not_without_works():
    data = load_valid()
    del data["grid"]["route"][2]["excavation_m"]
    data["project"]["kind"] = "有外线无掘路"  # the permit step stays: 许可手续 of other kinds
    assert rules_of(data) == ["time-limit-calendar"]  # 9 working days, but 15 calendar days against 10
    del data["project"]["permit_by"]
    assert sorted(rules_of(data)) == ["permit-by-unstated", "time-limit-calendar"]
    data = load_valid()
    data["project"]["kind"] = "无外线"
    finding = next(f for f in findings_of(data) if f.rule == "kind-permit")
    assert "没有外线工程，不应有行政审批环节" in finding.message


def test_an_integrated_team_with_one_manager_named_is_not_judged():
    data = load_valid()
    data["unit"]["integrated"] = True
    del data["unit"]["project_manager"]
    assert "team-duties" not in rules_of(data)
