"""What a typed case states, as plain values: the facts the company's store keeps and that
`validate --json` prints, from the same typed path (the model, derive and the rules), never from
the file's raw text. A case that did not pass the contract has no record: nothing it states is
known for sure."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from casegen.base.errors import Finding
from casegen.base.policy import FindingClass, Severity
from casegen.case.derive import Facts
from casegen.case.model import CALLBACK_POINTS, Case

# The service targets other than the time limit, by the rule that reports each (company.bulletin
# declares what each counts for)
OTHER_TARGETS = {
    "energize-same-day": "未在完工当日接电",
    "cost-customer": "客户出资",
    "cost-funding": "工程资金非供电企业出资",
    "permit-by-utility": "客户办理行政审批",
    "contacts-limit": "与客户交互超过 2 次",
}


@dataclass(frozen=True)
class CaseRecord:
    """A typed case's facts, as plain values (dates as YYYY-MM-DD)."""

    account: str
    customer: str
    company: str
    station: str
    kind: str
    business_type: str
    capacity_kw: float
    accepted: str
    surveyed: str | None
    works_started: str | None  # the start of construction: the 附件2's 工程实施时间
    completed: str | None  # the end of construction
    energized: str
    working_days: int
    calendar_days: int
    limit_days: int
    within_limit: bool  # working days ≤ the kind's limit, nothing else (§11)
    energized_on_completion: bool | None  # None without construction
    cost_wan: float
    customer_cost_yuan: float | None
    funding: str | None
    permit_by: str | None
    contacts: int | None
    phone: str | None
    customer_steps: str
    words: dict[str, str | None]  # the customer's own words, by 环节 / 时间 / 成本
    callback: dict[str, Any] | None  # the unit's own callback, as the case records it
    missed: tuple[str, ...]  # the rule ids of the service targets the case missed, time limit included

    def as_dict(self) -> dict[str, Any]:
        found = asdict(self)
        found["missed"] = list(self.missed)
        return found


def _day(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _callback(case: Case) -> dict[str, Any] | None:
    callback = case.callback
    if callback is None:
        return None
    points = {}
    for key, label in CALLBACK_POINTS.items():
        answer = getattr(callback, key)
        if answer is not None:
            points[label] = {"confirmed": answer.confirmed, "words": answer.words}
    return {"date": callback.date.isoformat(), "by": callback.by, "channel": callback.channel, "points": points}


def case_record(case: Case, facts: Facts, findings: list[Finding]) -> CaseRecord:
    """The record of a typed case and its findings (the missed targets are the findings of class
    服务目标 that are errors)."""
    timeline, project = case.timeline, case.project
    completed = timeline.construction.end if timeline.construction else None
    missed = tuple(dict.fromkeys(f.rule for f in findings
                                 if f.cls is FindingClass.TARGET and f.severity is Severity.ERROR))
    return CaseRecord(
        account=case.customer.account_no, customer=case.customer.name, company=case.unit.company,
        station=case.unit.station, kind=facts.kind.value, business_type=case.application.business_type,
        capacity_kw=case.application.capacity_kw, accepted=timeline.accepted.isoformat(),
        surveyed=_day(timeline.surveyed), works_started=_day(timeline.construction.start if timeline.construction
                                                              else None), completed=_day(completed),
        energized=timeline.energized.isoformat(), working_days=facts.working_days,
        calendar_days=facts.calendar_days, limit_days=facts.limit_days,
        within_limit=facts.working_days <= facts.limit_days,
        energized_on_completion=None if completed is None else completed == timeline.energized,
        cost_wan=facts.cost_wan if facts.has_works else 0.0, customer_cost_yuan=project.customer_cost_yuan,
        funding=project.funding, permit_by=project.permit_by, contacts=case.application.contacts,
        phone=case.customer.phone, customer_steps=facts.customer_steps,
        words={label: getattr(case.feedback, key) for key, label in CALLBACK_POINTS.items()},
        callback=_callback(case), missed=missed)
