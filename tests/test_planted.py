"""An audit with planted defects, as the one that found two misses: thirty cases built here, twelve
with one defect each of a kind the notice forbids, eighteen clean (one of them at exactly 10/10
working days across National Day 2025, both make-up days inside). casegen must find each planted
defect, in the case it was planted in, and raise nothing on the clean ones."""

from __future__ import annotations

import copy
import sys

import pytest
import yaml
from conftest import ROOT, load_valid, write_case

from casegen.checks.claims import spoken_payment
from casegen.cli import main

sys.path.insert(0, str(ROOT / "bench"))
from synthetic import save_photo, site_photo

# 有外线无掘路, accepted 2025-09-26 (Fri): by hand, 09-28 (a make-up Sunday), 29, 30, 10-09, 10, 11 (a
# make-up Saturday), 13, 14, 15, 16: exactly 10 working days, the limit
CLEAN_FOR_NATIONAL_DAY = {
    "accepted": "2025-09-26", "surveyed": "2025-09-28", "designed": "2025-09-29",
    "preparation": ["2025-09-29", "2025-09-30"], "construction": ["2025-10-09", "2025-10-16"],
    "energized": "2025-10-16"}


def no_digging(data: dict) -> None:
    data["project"]["kind"] = "有外线无掘路"
    del data["grid"]["route"][2]["excavation_m"], data["timeline"]["permit"]
    data["timeline"]["preparation"] = ["2025-04-30", "2025-05-06"]


def national_day(data: dict) -> None:
    no_digging(data)
    data["application"]["date"] = CLEAN_FOR_NATIONAL_DAY["accepted"]
    data["timeline"] = dict(CLEAN_FOR_NATIONAL_DAY)


def late(data: dict) -> None:
    data["timeline"]["construction"] = ["2025-05-12", "2025-05-30"]
    data["timeline"]["energized"] = "2025-05-30"


def _set(path: str, value):
    def plant(data: dict) -> None:
        *parents, last = path.split(".")
        node = data
        for key in parents:
            node = node[int(key)] if key.isdigit() else node[key]
        node[last] = value
    return plant


# defect → (how to plant it, the rule that must find it); each planted alone in its own case
PLANTED = {
    "over the limit": (late, "time-limit"),
    "energized after completion": (_set("timeline.construction", ["2025-05-12", "2025-05-13"]),
                                   "energize-same-day"),
    "customer paid": (_set("project.customer_cost_yuan", 3500), "cost-customer"),
    "customer got the permit": (_set("project.permit_by", "客户"), "permit-by-utility"),
    "three contacts": (_set("application.contacts", 3), "contacts-limit"),
    "kind against the grid": (_set("project.kind", "有外线无掘路"), "kind-grid"),
    "steps out of order": (_set("timeline.surveyed", "2025-04-27"), "timeline-order"),
    "over 160 kW after the increase": (_set("application.capacity_kw", 140), "scope-capacity"),
    "residential": (_set("customer.electricity_category", "居民生活用电"), "scope-category"),
    "a landlord's supply": (_set("grid.source.owner", "转供电"), "scope-source"),
    # the audit's first miss: the case says 0 yuan, the customer's own words say they paid
    "payment in the customer's words": (_set("feedback.cost", "挖路是供电公司办的，不过表箱前后交了一万二。"),
                                        "cost-words"),
}


def cases(tmp_path) -> dict[str, str]:
    """Thirty case folders: the planted ones and clean ones, each its own 户号 and address."""
    expected = {}
    for n in range(30):
        data = copy.deepcopy(load_valid())
        data["customer"].update(account_no=f"{5200000000 + n}", name=f"重庆第{n}号汽车维修有限公司",
                                address=f"重庆市沙坪坝区井口镇井口工业园A区{n + 1}号")
        names = list(PLANTED)
        if n < len(names):
            plant, rule = PLANTED[names[n]]
            plant(data)
            expected[f"c{n:02d}"] = rule
        elif n == len(names):
            national_day(data)  # clean, at the limit to the day
        elif n % 2:
            no_digging(data)
        write_case(tmp_path / f"c{n:02d}", data)
    return expected


def test_each_planted_defect_is_found_in_its_case_and_no_clean_case_raises_anything(tmp_path, capsys):
    expected = cases(tmp_path)
    main(["validate", str(tmp_path), "--json"])
    report = yaml.safe_load(capsys.readouterr().out)  # JSON is YAML
    found: dict[str, set[str]] = {}
    for case in report["cases"]:
        folder = case["file"].split("/")[-2]
        found[folder] = {f["rule"] for f in case["findings"] if f["severity"] == "error"}
    for folder, rule in expected.items():
        assert rule in found[folder], (folder, rule, found[folder])
    clean = {folder: rules for folder, rules in found.items() if folder not in expected}
    assert len(clean) == 19 and all(not rules for rules in clean.values()), clean
    at_limit = next(c for c in report["cases"] if c["file"].split("/")[-2] == f"c{len(PLANTED):02d}")
    assert (at_limit["working_days"], at_limit["limit_days"]) == (10, 10)  # 09-28 and 10-11 are make-up days


@pytest.mark.parametrize(("words", "paid"), [
    ("交了一万二", "交了一万二"),
    ("前后花了3500块，不算多", "花了3500块"),
    ("自己出了两千多元买电缆", "出了两千多元"),
    ("给了电工师傅五百块", "给了电工师傅五百块"),
    ("表和表箱都是供电公司出的，我们一分钱没花", None),
    ("立杆、拉线这些都是供电公司出钱办的，我们没出外线的钱。", None),
    ("不用交一分钱", None),
    ("等了二十多天才通电", None),
    ("三天就通电了，比以前快了两千倍", None),  # a number, but no paying
])
def test_a_payment_in_someones_own_words(words, paid):
    assert spoken_payment(words) == paid


def test_the_photo_from_four_months_before_the_application_is_found(tmp_path, capsys):
    """The audit's second miss: a 施工前 photo shot long before anything was applied for."""
    data = load_valid()
    folder = tmp_path / "case"
    shots = (("施工前", "2024:12:29 10:00:00"), ("施工后", "2025:05:14 17:00:00"))
    for index, (stage, taken) in enumerate(shots):
        save_photo(site_photo(index, size=(640, 480), after=stage == "施工后"), folder / f"evidence/p{index}.jpg",
                   original=taken)
    marks = [{"label": "表箱", "at": [0.5, 0.5]}]
    data["evidence"] = {"photos": [{"file": f"evidence/p{i}.jpg", "stage": stage, "marks": marks}
                                   for i, (stage, _) in enumerate(shots)]}
    write_case(folder, data)
    main(["check", str(tmp_path), "--json"])
    report = yaml.safe_load(capsys.readouterr().out)
    [finding] = [f for f in report["cases"][0]["findings"] if f["rule"] == "photo-time"]
    assert "施工前照片 evidence/p0.jpg 拍摄于 2024-12-29 10:00（EXIF），早于受理日 2025-04-29 前 7 天" in \
        finding["message"]
