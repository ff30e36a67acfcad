"""The 客服中心's bulletin (定期通报, notice 四（二）2): each unit's figures for a range of days,
read from the store, ranked by a declared order. What each figure means is declared once here,
and the README's 客服中心指南 prints the same declarations.

- Two streams. The projects are the rows of the units' 附件2 (every project, 全口径); the
  typical cases are the case folders of the packages. Time and cost figures are over the
  projects; evidence figures, customer permits and contacts over the typical cases.
- Which version. Every figure uses the version last sent: of each project (a unit, 户号, business
  type and acceptance date) the row of the latest package holding it, of each typical case the
  latest package holding it; within one reporting period only its latest revision counts. What
  changed after it was first sent is shown, 须核查 change by change, and counted in the ranking.
- In the range: a project or typical case accepted in it (one whose acceptance date could not
  be read counts with its package's period).
- 时限内接电: energized within the kind's limit (4/10/15 days, counted in working days: the unit
  of the 附件3 template), nothing else. A project not yet energized is 在办 while within its
  limit at the end of its package's period, and counts as over the limit once past it; a
  project whose kind cannot be known is not judged (it is a data error).
- The other service targets, each its own figure: 客户出资 (a project whose 工程资金来源 is not the
  utility, or whose typical case states a payment), 未在完工当日接电 (a project whose 装表送电 is
  after its 竣工), 客户办理审批 and 交互超过 2 次 (typical cases; 附件2 has no column for them).
- Data errors: the projects (a typical case and its row being one) with a data or scope error,
  and the packages whose 附件2 could not be read at all.
- Submissions: the fixed two-weekly calendar (company.units); a reporting period is on time when
  a package covering its last day was received by the end of the grace days after it, late when
  later, missing when none was (a package received before the period's last day cannot report
  it). Only the reporting periods wholly inside the range are judged.
- Callbacks: the 客服中心's own (`casegen callbacks record`), told apart from the units' own
  (a case file's `callback` section).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field

from casegen.base.collation import pinyin_key
from casegen.base.period import Fortnights, Period
from casegen.company.store import CASE, FIELDS, PROJECT, PROJECT_FIELDS
from casegen.company.units import GRACE_DAYS, Company

ON_TIME, LATE, MISSING = "按时", "逾期", "未报送"
BEIJING = dt.timezone(dt.timedelta(hours=8))
PAID_RULES = ("cost-customer", "cost-funding")


def _date(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _received(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).astimezone(BEIJING)


@dataclass(frozen=True)
class StoredProject:
    """One project (a 附件2 row) as last sent."""

    unit: str
    row: int
    account: str
    customer: str
    business_type: str | None
    kind: str | None
    accepted: dt.date | None
    completed: dt.date | None
    energized: dt.date | None
    working_days: int | None
    limit_days: int | None
    within_limit: bool | None
    energized_on_completion: bool | None
    overdue_days: int | None
    funding: str | None
    problems: tuple[tuple[str, str], ...]
    wrong: bool
    phone: str | None
    package: str

    @property
    def key(self) -> tuple[str, str, str, str]:
        return self.unit, self.account, self.business_type or "", self.accepted.isoformat() if self.accepted else ""

    @property
    def pending(self) -> bool:
        """Not energized, and not yet past its limit."""
        return self.within_limit is None and self.kind is not None and self.energized is None \
            and not self.overdue_days

    @property
    def over_limit(self) -> bool:
        return self.within_limit is False or (self.energized is None and bool(self.overdue_days))

    @property
    def judged(self) -> bool:
        """Whether it counts in the share within the limit (energized, or already past it)."""
        return self.within_limit is not None or self.over_limit

    @property
    def funded_by_customer(self) -> bool:
        return bool(self.funding) and "供电" not in (self.funding or "")


@dataclass(frozen=True)
class StoredCase:
    """One typical case as last sent, with what its typed case states (None where the case did
    not pass the contract)."""

    unit: str
    account: str | None
    customer: str
    folder: str
    kind: str | None
    accepted: dt.date | None
    completed: dt.date | None
    energized: dt.date | None
    working_days: int | None
    limit_days: int | None
    within_limit: bool | None
    customer_cost_yuan: float | None
    funding: str | None
    contacts: int | None
    missed: tuple[str, ...]
    evidence_complete: bool
    wrong: bool
    phone: str | None
    customer_steps: str | None
    unit_callback: dict | None
    ledger_row: int | None
    problems: tuple[tuple[str, str], ...]  # its data and scope errors, and against the 附件2
    package: str  # the package's path in the store

    @property
    def key(self) -> tuple[str, str]:
        return self.unit, self.account or self.folder

    @property
    def paid(self) -> bool:
        return any(rule in self.missed for rule in PAID_RULES)


@dataclass(frozen=True)
class Fortnight:
    start: dt.date
    end: dt.date
    status: str  # ON_TIME, LATE or MISSING
    received: dt.datetime | None = None

    def __str__(self) -> str:
        shown = "%m-%d" if self.start.year == self.end.year else "%Y-%m-%d"
        return f"{self.start.strftime(shown)}—{self.end.strftime(shown)}"


@dataclass(frozen=True)
class Callback:
    """A callback of the 客服中心 as recorded from its filled call sheet."""

    unit: str
    account: str
    called: dt.date
    caller: str
    steps: bool
    time: bool
    cost: bool
    words: str | None

    @property
    def disagrees(self) -> list[str]:
        return [label for label, agreed in (("环节", self.steps), ("时间", self.time), ("成本", self.cost))
                if not agreed]


@dataclass(frozen=True)
class FlaggedChange:
    """A 须核查 change, as received: what, old → new, in which revision, received when."""

    unit: str
    item: str  # 典型案例 or 附件2 项目
    account: str | None
    place: str  # the case folder, or the 附件2 row
    change: str
    field: str | None
    old: str | None
    new: str | None
    revision: int
    period: Period
    received: dt.datetime

    @property
    def label(self) -> str:
        if self.field is None:
            return self.change
        names = PROJECT_FIELDS if self.item == PROJECT else FIELDS
        return names.get(self.field, self.field)


@dataclass
class UnitFigures:
    """One unit's figures for a range."""

    unit: str
    projects: list[StoredProject] = field(default_factory=list)
    cases: list[StoredCase] = field(default_factory=list)
    fortnights: list[Fortnight] = field(default_factory=list)
    changes: list[FlaggedChange] = field(default_factory=list)  # 须核查 only
    callbacks: list[Callback] = field(default_factory=list)
    unreadable_ledgers: list[str] = field(default_factory=list)  # packages whose 附件2 could not be read

    @property
    def submitted(self) -> bool:
        return bool(self.projects or self.cases) or any(f.status != MISSING for f in self.fortnights)

    # --- the projects (附件2) ---
    @property
    def within(self) -> tuple[int, int]:
        """(projects energized within the limit, projects judged)."""
        judged = [p for p in self.projects if p.judged]
        return sum(p.within_limit is True for p in judged), len(judged)

    @property
    def pending(self) -> int:
        return sum(p.pending for p in self.projects)

    @property
    def over_limit(self) -> list[StoredProject]:
        return [p for p in self.projects if p.over_limit]

    @property
    def late_energizing(self) -> list[StoredProject]:
        return [p for p in self.projects if p.energized_on_completion is False]

    def _cases_by_account(self) -> dict[str | None, list[StoredCase]]:
        found: dict[str | None, list[StoredCase]] = {}
        for case in self.cases:
            found.setdefault(case.account, []).append(case)
        return found

    @property
    def paid(self) -> list[StoredProject | StoredCase]:
        """Projects the customer paid for (by the 附件2, or as its typical case states), and
        typical cases without a project that state a payment."""
        cases = self._cases_by_account()
        found: list[StoredProject | StoredCase] = [
            p for p in self.projects if p.funded_by_customer or any(c.paid for c in cases.get(p.account, ()))]
        return found + [c for c in self.unmatched_cases if c.paid]

    # --- the typical cases ---
    @property
    def evidence(self) -> tuple[int, int]:
        return sum(c.evidence_complete for c in self.cases), len(self.cases)

    @property
    def customer_permits(self) -> list[StoredCase]:
        return [c for c in self.cases if "permit-by-utility" in c.missed]

    @property
    def contacts_over(self) -> list[StoredCase]:
        return [c for c in self.cases if "contacts-limit" in c.missed]

    @property
    def unmatched_cases(self) -> list[StoredCase]:
        accounts = {p.account for p in self.projects}
        return [c for c in self.cases if c.account not in accounts]

    # --- integrity ---
    @property
    def wrong(self) -> int:
        """Projects with a data or scope error (with their typical case), typical cases without
        a project, and 附件2 that could not be read."""
        cases = self._cases_by_account()
        projects = sum(p.wrong or any(c.wrong for c in cases.get(p.account, ())) for p in self.projects)
        return projects + sum(c.wrong for c in self.unmatched_cases) + len(self.unreadable_ledgers)

    @property
    def disagreements(self) -> list[Callback]:
        return [c for c in self.callbacks if c.disagrees]

    @property
    def unit_callbacks(self) -> list[StoredCase]:
        return [c for c in self.cases if c.unit_callback]

    @property
    def unit_disagreements(self) -> list[StoredCase]:
        return [c for c in self.unit_callbacks if unit_disagrees(c)]

    def submissions(self, status: str) -> list[Fortnight]:
        return [f for f in self.fortnights if f.status == status]

    def figures(self) -> dict:
        """The figures as `bulletin --json` prints them (the figures declared above)."""
        within, judged = self.within
        complete, cases = self.evidence
        return {"unit": self.unit, "projects": len(self.projects), "within_limit": within, "judged": judged,
                "pending": self.pending, "customer_paid": len(self.paid),
                "not_energized_on_completion": len(self.late_energizing), "typical_cases": cases,
                "evidence_complete": complete, "customer_permits": len(self.customer_permits),
                "contacts_over_2": len(self.contacts_over), "on_time_submissions": len(self.submissions(ON_TIME)),
                "late_submissions": len(self.submissions(LATE)),
                "missing_submissions": len(self.submissions(MISSING)), "data_errors": self.wrong,
                "flagged_changes": len(self.changes), "callbacks": len(self.callbacks),
                "callbacks_disputed": len(self.disagreements)}


def unit_disagrees(case: StoredCase) -> list[str]:
    """The points of the unit's own callback the customer did not confirm."""
    points = (case.unit_callback or {}).get("points", {})
    return [label for label, answer in points.items() if not answer.get("confirmed", True)]


def ratio(pair: tuple[int, int]) -> float | None:
    done, of = pair
    return done / of if of else None


# The ranking, in the order its criteria are applied: the company's choice (the notice asks for
# 定期通报 and gives no order), printed in every bulletin and in the README. Integrity first: a
# unit's figures count only as far as they were not changed after sending and the customers agree.
RANKING: tuple[tuple[str, Callable[[UnitFigures], object]], ...] = (
    ("已报送的单位在前，未报送的单位列在最后", lambda u: not u.submitted),
    ("报送后改动关键事实（须核查）少者在前", lambda u: len(u.changes)),
    ("客服中心回访中客户不认可的户数少者在前", lambda u: len(u.disagreements)),
    ("有数据错误或超出适用范围的项目少者在前", lambda u: u.wrong),
    ("时限内接电的项目占比高者在前", lambda u: -(ratio(u.within) or 0)),
    ("实证材料齐全的典型案例占比高者在前", lambda u: -(ratio(u.evidence) or 0)),
    ("按时报送的期数多者在前", lambda u: -len(u.submissions(ON_TIME))),
)
RANKING_TEXT = "；".join(f"{n}. {text}" for n, (text, _) in enumerate(RANKING, start=1)) + \
    "；以上都相同的并列，按单位名称拼音排列。"
RANKING_KEYS = ("submitted", "flagged_changes", "callbacks_disputed", "data_errors", "within_limit_share",
                "evidence_complete_share", "on_time_submissions")


def ranked(units: list[UnitFigures]) -> list[tuple[int, UnitFigures]]:
    """Units in the declared order, each with its rank (equal figures share a rank)."""
    def key(unit: UnitFigures) -> tuple:
        return tuple(criterion(unit) for _, criterion in RANKING)

    ordered = sorted(units, key=lambda u: (key(u), pinyin_key(u.unit)))
    ranks: list[tuple[int, UnitFigures]] = []
    for position, unit in enumerate(ordered, start=1):
        same = ranks and key(ranks[-1][1]) == key(unit)
        ranks.append((ranks[-1][0] if same else position, unit))
    return ranks


# --- reading the store -----------------------------------------------------------------------

LATEST = "r.number = (SELECT MAX(number) FROM revisions WHERE period_id = p.id)"
PROJECTS = f"""
SELECT u.name, x.row, x.account, x.customer, x.business_type, x.kind, x.accepted, x.completed, x.energized,
       x.working_days, x.limit_days, x.within_limit, x.energized_on_completion, x.overdue_days, x.funding,
       x.problems, x.wrong, x.phone, r.path, r.received
FROM projects x JOIN revisions r ON x.revision_id = r.id JOIN periods p ON r.period_id = p.id
JOIN units u ON p.unit_id = u.id
WHERE {LATEST} AND ((x.accepted BETWEEN ? AND ?) OR (x.accepted IS NULL AND p.start <= ? AND p.end >= ?))
ORDER BY r.received, x.row
"""
CASES = f"""
SELECT u.name, c.account, c.customer, c.folder, c.kind, c.accepted, c.completed, c.energized, c.working_days,
       c.limit_days, c.within_limit, c.customer_cost_yuan, c.funding, c.contacts, c.missed, c.evidence_complete,
       c.wrong, c.phone, c.customer_steps, c.callback, c.ledger_row, c.problems, c.ledger_problems, r.path
FROM cases c JOIN revisions r ON c.revision_id = r.id JOIN periods p ON r.period_id = p.id
JOIN units u ON p.unit_id = u.id
WHERE {LATEST} AND ((c.accepted BETWEEN ? AND ?) OR (c.accepted IS NULL AND p.start <= ? AND p.end >= ?))
ORDER BY r.received
"""


def _range(period: Period) -> tuple[str, str, str, str]:
    assert period.start is not None and period.end is not None
    start, end = period.start.isoformat(), period.end.isoformat()
    return start, end, end, start


def _pairs(text: str | None) -> tuple:
    """Stored findings ([rule, message] as JSON) as pairs; most rows have none."""
    return () if not text or text == "[]" else tuple(tuple(pair) for pair in json.loads(text))


def _bool(value: int | None) -> bool | None:
    return None if value is None else bool(value)


def stored_projects(connection: sqlite3.Connection, period: Period) -> list[StoredProject]:
    """The range's projects, each as last sent. A row whose acceptance date a later package
    changed (a 须核查 change) gives way to the changed row: it is left out when it was received
    before that change."""
    moved: dict[tuple[str, str, str], str] = {}
    for unit, account, old, received in connection.execute(
            "SELECT u.name, g.account, g.old, r.received FROM changes g JOIN revisions r ON g.revision_id = r.id"
            " JOIN periods p ON r.period_id = p.id JOIN units u ON p.unit_id = u.id"
            " WHERE g.item = ? AND g.field = 'accepted' AND g.old IS NOT NULL", (PROJECT,)):
        moved[(unit, account, old)] = max(received, moved.get((unit, account, old), received))
    latest: dict[tuple[str, str, str, str], StoredProject] = {}
    for row in connection.execute(PROJECTS, _range(period)):
        (unit, number, account, customer, business, kind, accepted, completed, energized, working, limit, within,
         same_day, overdue, funding, problems, wrong, phone, package, received) = row
        if accepted is not None and _received(received) < _received(moved.get((unit, account, accepted), received)):
            continue
        project = StoredProject(unit, number, account, customer, business, kind, _date(accepted), _date(completed),
                                _date(energized), working, limit, _bool(within), _bool(same_day), overdue, funding,
                                _pairs(problems), bool(wrong), phone, package)
        latest.pop(project.key, None)
        latest[project.key] = project
    return list(latest.values())


def stored_cases(connection: sqlite3.Connection, period: Period) -> list[StoredCase]:
    """The range's typical cases, each as last sent."""
    latest: dict[tuple[str, str], StoredCase] = {}
    for row in connection.execute(CASES, _range(period)):
        (unit, account, customer, folder, kind, accepted, completed, energized, working, limit, within, cost,
         funding, contacts, missed, evidence, wrong, phone, steps, callback, ledger_row, problems, against,
         package) = row
        told = _pairs(problems) + _pairs(against)
        case = StoredCase(unit, account, customer or "", folder, kind, _date(accepted), _date(completed),
                          _date(energized), working, limit, _bool(within), cost, funding, contacts,
                          tuple(json.loads(missed or "[]")), bool(evidence), bool(wrong), phone, steps,
                          json.loads(callback) if callback else None, ledger_row, told, package)
        latest.pop(case.key, None)
        latest[case.key] = case
    return list(latest.values())


def submissions(connection: sqlite3.Connection, calendar: Fortnights, grace_days: int,
                period: Period) -> dict[str, list[Fortnight]]:
    """Each unit's reporting periods inside `period`, on time, late or missing."""
    rows = connection.execute("SELECT u.name, p.start, p.end, MIN(r.received) FROM revisions r JOIN periods p ON"
                              " r.period_id = p.id JOIN units u ON p.unit_id = u.id GROUP BY p.id").fetchall()
    packages: dict[str, list[tuple[dt.date, dt.date, dt.datetime]]] = {}
    for unit, start, end, received in rows:
        packages.setdefault(unit, []).append((dt.date.fromisoformat(start), dt.date.fromisoformat(end),
                                              _received(received)))
    periods = calendar.within(period)
    return {unit: [judged(p, held, grace_days) for p in periods] for unit, held in packages.items()}


def judged(fortnight: Period, held: list[tuple[dt.date, dt.date, dt.datetime]], grace_days: int) -> Fortnight:
    """A reporting period's verdict from the packages a unit sent (their periods and when each
    was received): it depends on nothing else."""
    start, end = fortnight.start, fortnight.end
    assert start is not None and end is not None
    # a package counts for the periods whose last day it covers, from that day on: one sent
    # before a period is over cannot report it
    covering = sorted(received for first, last, received in held if first <= end <= last and received.date() >= end)
    if not covering:
        return Fortnight(start, end, MISSING)
    deadline = dt.datetime.combine(end + dt.timedelta(days=grace_days + 1), dt.time(), BEIJING)
    return Fortnight(start, end, ON_TIME if covering[0] < deadline else LATE, covering[0])


def flagged_changes(connection: sqlite3.Connection, period: Period) -> list[FlaggedChange]:
    """The 须核查 changes recorded on packages whose period overlaps `period`, in the order received."""
    assert period.start is not None and period.end is not None
    found = []
    for unit, item, account, place, change, name, old, new, number, start, end, received in connection.execute(
            "SELECT u.name, g.item, g.account, g.folder, g.change, g.field, g.old, g.new, r.number, p.start, p.end,"
            " r.received FROM changes g JOIN revisions r ON g.revision_id = r.id JOIN periods p ON r.period_id = p.id"
            " JOIN units u ON p.unit_id = u.id WHERE g.flagged AND p.start <= ? AND p.end >= ?"
            " ORDER BY r.received, g.id", (period.end.isoformat(), period.start.isoformat())):
        found.append(FlaggedChange(unit, item, account, place, change, name, old, new, number,
                                   Period(dt.date.fromisoformat(start), dt.date.fromisoformat(end)),
                                   _received(received)))
    return found


def unreadable_ledgers(connection: sqlite3.Connection, period: Period) -> list[tuple[str, str, str]]:
    """(unit, package, why) of the latest packages overlapping `period` whose 附件2 could not be read."""
    assert period.start is not None and period.end is not None
    return connection.execute(
        f"SELECT u.name, r.path, r.ledger_problem FROM revisions r JOIN periods p ON r.period_id = p.id"
        f" JOIN units u ON p.unit_id = u.id WHERE {LATEST} AND r.ledger_problem IS NOT NULL"
        " AND p.start <= ? AND p.end >= ?", (period.end.isoformat(), period.start.isoformat())).fetchall()


def callbacks(connection: sqlite3.Connection) -> dict[tuple[str, str], list[Callback]]:
    """The 客服中心's callbacks by (unit, 户号)."""
    found: dict[tuple[str, str], list[Callback]] = {}
    for unit, account, called, caller, steps, time, cost, words in connection.execute(
            "SELECT unit, account, called, caller, steps, time, cost, words FROM callbacks ORDER BY called, id"):
        found.setdefault((unit, account), []).append(
            Callback(unit, account, dt.date.fromisoformat(called), caller, bool(steps), bool(time), bool(cost),
                     words))
    return found


def figures(connection: sqlite3.Connection, period: Period, company: Company) -> list[UnitFigures]:
    """Every unit's figures for `period`: the company's units (its list), or those the store
    knows; a unit with nothing in the period is there, with nothing."""
    known = [name for (name,) in connection.execute("SELECT name FROM units")]
    units = {name: UnitFigures(name) for name in (company.units if company.units is not None else known)}
    for project in stored_projects(connection, period):
        if project.unit in units:
            units[project.unit].projects.append(project)
    for case in stored_cases(connection, period):
        if case.unit in units:
            units[case.unit].cases.append(case)
    for unit, judged_periods in submissions(connection, company.calendar, company.grace_days, period).items():
        if unit in units:
            units[unit].fortnights = judged_periods
    for unit in units.values():
        if not unit.fortnights:
            unit.fortnights = [Fortnight(p.start, p.end, MISSING) for p in company.calendar.within(period)
                               if p.start and p.end]
    for change in flagged_changes(connection, period):
        if change.unit in units:
            units[change.unit].changes.append(change)
    for unit, package, _ in unreadable_ledgers(connection, period):
        if unit in units:
            units[unit].unreadable_ledgers.append(package)
    done = callbacks(connection)
    for unit in units.values():
        accounts = {p.account for p in unit.projects} | {c.account for c in unit.cases if c.account}
        for account in sorted(accounts):
            unit.callbacks += done.get((unit.unit, account), [])
    return list(units.values())


@dataclass
class Bulletin:
    period: Period
    previous: Period
    units: list[tuple[int, UnitFigures]]  # ranked
    before: dict[str, UnitFigures]  # the previous period's figures, by unit
    company: Company
    made: dt.date

    @property
    def cases(self) -> list[StoredCase]:
        return [case for _, unit in self.units for case in unit.cases]

    @property
    def projects(self) -> list[StoredProject]:
        return [project for _, unit in self.units for project in unit.projects]

    @property
    def fortnights(self) -> list[Period]:
        return self.company.calendar.within(self.period)

    @property
    def silent(self) -> list[UnitFigures]:
        """The units with a reporting period of the range they sent nothing for: what makes
        `casegen bulletin` exit 1 (one rule, whatever the range)."""
        return [u for _, u in self.units if u.submissions(MISSING)]

    def as_json(self) -> dict:
        assert self.period.start is not None and self.period.end is not None
        return {
            "period": {"from": self.period.start.isoformat(), "to": self.period.end.isoformat()},
            "reporting_periods": [{"from": p.start.isoformat(), "to": p.end.isoformat()} for p in self.fortnights
                                  if p.start and p.end],
            "calendar": {"first_period": self.company.calendar.first.isoformat(),
                         "grace_days": self.company.grace_days, "declared_by_company": self.company.declared},
            "ranking": [text for text, _ in RANKING], "ranking_keys": list(RANKING_KEYS),
            "units": [{"rank": rank, **unit.figures()} for rank, unit in self.units],
        }


def bulletin(connection: sqlite3.Connection, period: Period, *, company: Company | None = None,
             made: dt.date | None = None) -> Bulletin:
    company = company or Company()
    previous = period.previous()
    assert previous is not None
    now = ranked(figures(connection, period, company))
    before = {u.unit: u for u in figures(connection, previous, company)}
    return Bulletin(period, previous, now, before, company, made or dt.datetime.now(BEIJING).date())


__all__ = ["CASE", "GRACE_DAYS", "Bulletin", "bulletin", "figures", "ranked"]
