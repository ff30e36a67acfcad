"""The 客服中心's bulletin (定期通报, notice 四（二）2–3): each unit's figures for a period, read
from the store, ranked by a declared order, against the previous period of equal length.

What counts:
- a unit's cases of the period are the cases of the latest revision of each of its packages
  whose acceptance date falls in the period (a case whose date could not be read counts in the
  period of its package); a case sent again in a later package counts once, as last sent;
- the submissions are judged against the two-weekly rhythm: the period is cut into fortnights
  from its first day (the last one may be shorter); a fortnight is reported on time when a
  package covering its last day was received on that day or within `GRACE_DAYS` days after
  it, late when later, missing when none was (a package received before the fortnight's last
  day cannot report it);
- 完工当日接电 is counted over the cases with external works (a completion date);
- a flagged change is a change of a fact a true history never changes (dates, costs, 户号,
  capacity, evidence files) between two packages of the unit, counted once per case;
- callbacks are the 客服中心's own (`casegen callbacks record`), told apart from the unit's
  own (the case file's `callback` section).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field

from casegen.base.collation import pinyin_key
from casegen.base.period import Period
from casegen.outputs.tables import BulletinDocument, Section, Table

RHYTHM_DAYS = 14  # 通知四（二）2：“每两周上报公司客服中心”
GRACE_DAYS = 3  # days after a fortnight in which its package still counts as on time (our choice)
ON_TIME, LATE, MISSING = "按时", "逾期", "未报送"
BEIJING = dt.timezone(dt.timedelta(hours=8))


@dataclass(frozen=True)
class StoredCase:
    """One case as the store holds it in its unit's latest revision of a package."""

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
    customer_cost_yuan: float | None
    within_target: bool
    evidence_complete: bool
    wrong: bool
    phone: str | None
    customer_steps: str | None
    unit_callback: dict | None
    package: str  # the package's path in the store

    @property
    def key(self) -> tuple[str, str]:
        return self.unit, self.account or self.folder

    @property
    def energized_on_completion(self) -> bool | None:
        return None if self.completed is None else self.energized == self.completed


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


@dataclass
class UnitFigures:
    """One unit's figures for a period."""

    unit: str
    cases: list[StoredCase] = field(default_factory=list)
    fortnights: list[Fortnight] = field(default_factory=list)
    flagged: set[tuple[str, str]] = field(default_factory=set)  # case keys with a flagged change
    callbacks: list[Callback] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.cases)

    @property
    def submitted(self) -> bool:
        return bool(self.cases) or any(f.status != MISSING for f in self.fortnights)

    def share(self, test: Callable[[StoredCase], bool | None]) -> tuple[int, int]:
        """(cases for which `test` holds, cases for which it says anything)."""
        answers = [test(case) for case in self.cases]
        return sum(a is True for a in answers), sum(a is not None for a in answers)

    @property
    def within(self) -> tuple[int, int]:
        return self.share(lambda c: c.within_target if c.kind is not None else False)

    @property
    def same_day(self) -> tuple[int, int]:
        return self.share(lambda c: c.energized_on_completion)

    @property
    def evidence(self) -> tuple[int, int]:
        return self.share(lambda c: c.evidence_complete if c.kind is not None else False)

    @property
    def wrong(self) -> int:
        return sum(c.wrong for c in self.cases)

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


def unit_disagrees(case: StoredCase) -> list[str]:
    """The points of the unit's own callback the customer did not confirm."""
    points = (case.unit_callback or {}).get("points", {})
    return [label for label, answer in points.items() if not answer.get("confirmed", True)]


def ratio(pair: tuple[int, int]) -> float | None:
    done, of = pair
    return done / of if of else None


# The ranking, in the order its criteria are applied; the notice gives none (四（二）2 asks for
# 定期通报 only), so this is casegen's, printed in every bulletin and in the README.
RANKING: tuple[tuple[str, Callable[[UnitFigures], object]], ...] = (
    ("已报送的单位在前，未报送的单位列在最后", lambda u: not u.submitted),
    ("时限内接电的案例占比高者在前", lambda u: -(ratio(u.within) or 0)),
    ("实证材料齐全的案例占比高者在前", lambda u: -(ratio(u.evidence) or 0)),
    ("有数据错误或超出适用范围的案例少者在前", lambda u: u.wrong),
    ("报送后改动关键事实的案例少者在前", lambda u: len(u.flagged)),
    ("监督回访中客户不认可的户数少者在前", lambda u: len(u.disagreements)),
    ("按时报送的次数多者在前", lambda u: -len(u.submissions(ON_TIME))),
)
RHYTHM_TEXT = (f"报送按每两周一期核对：自本期第一天起每 {RHYTHM_DAYS} 天为一期；覆盖该期最后一天的上报包在该期最后一天"
               f"或其后 {GRACE_DAYS} 天内收到为按时，晚于此为逾期，没有收到为未报送（该期结束前收到的包不计）。")
RANKING_TEXT = "；".join(f"{n}. {text}" for n, (text, _) in enumerate(RANKING, start=1)) + \
    "；以上都相同的并列，按单位名称拼音排列。"


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


def fortnights(period: Period) -> list[tuple[dt.date, dt.date]]:
    """The period cut into fortnights from its first day; the last may be shorter."""
    assert period.start is not None and period.end is not None
    found, start = [], period.start
    while start <= period.end:
        end = min(start + dt.timedelta(days=RHYTHM_DAYS - 1), period.end)
        found.append((start, end))
        start = end + dt.timedelta(days=1)
    return found


def _date(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _received(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).astimezone(BEIJING)


CURRENT = """
SELECT u.name, c.account, c.customer, c.folder, c.kind, c.accepted, c.completed, c.energized, c.working_days,
       c.limit_days, c.customer_cost_yuan, c.within_target, c.evidence_complete, c.wrong, c.phone, c.customer_steps,
       c.unit_callback, r.path, r.received, p.start, p.end
FROM cases c JOIN revisions r ON c.revision_id = r.id JOIN periods p ON r.period_id = p.id
JOIN units u ON p.unit_id = u.id
WHERE r.number = (SELECT MAX(number) FROM revisions WHERE period_id = p.id) AND p.start <= ? AND p.end >= ?
ORDER BY r.received
"""


def stored_cases(connection: sqlite3.Connection, period: Period) -> list[StoredCase]:
    """The period's cases in the store: latest revisions, each case once (as last received)."""
    assert period.start is not None and period.end is not None
    latest: dict[tuple[str, str], StoredCase] = {}
    # a package may hold cases accepted before its own period: look back a year for them
    earliest = period.start - dt.timedelta(days=366)
    for row in connection.execute(CURRENT, (period.end.isoformat(), earliest.isoformat())):
        (unit, account, customer, folder, kind, accepted, completed, energized, working, limit, cost,
         within, evidence, wrong, phone, steps, callback, package, _, start, end) = row
        accepted_on = _date(accepted)
        in_period = period.holds(accepted_on) if accepted_on else (start <= period.end.isoformat()
                                                                   and end >= period.start.isoformat())
        if not in_period:
            continue
        case = StoredCase(unit, account, customer or "", folder, kind, accepted_on, _date(completed),
                          _date(energized), working, limit, cost, bool(within), bool(evidence), bool(wrong),
                          phone, steps, json.loads(callback) if callback else None, package)
        latest.pop(case.key, None)
        latest[case.key] = case
    return list(latest.values())


def submissions(connection: sqlite3.Connection, period: Period) -> dict[str, list[Fortnight]]:
    """Each unit's fortnights of the period, on time, late or missing."""
    rows = connection.execute("SELECT u.name, p.start, p.end, MIN(r.received) FROM revisions r JOIN periods p ON"
                              " r.period_id = p.id JOIN units u ON p.unit_id = u.id GROUP BY p.id").fetchall()
    packages: dict[str, list[tuple[dt.date, dt.date, dt.datetime]]] = {}
    for unit, start, end, received in rows:
        packages.setdefault(unit, []).append((dt.date.fromisoformat(start), dt.date.fromisoformat(end),
                                              _received(received)))
    found: dict[str, list[Fortnight]] = {}
    for unit, held in packages.items():
        found[unit] = [_judged(start, end, held) for start, end in fortnights(period)]
    return found


def _judged(start: dt.date, end: dt.date, held: list[tuple[dt.date, dt.date, dt.datetime]]) -> Fortnight:
    # a package counts for the fortnights whose last day it covers, from that day on: one sent
    # before a fortnight is over cannot report it
    covering = sorted(received for first, last, received in held if first <= end <= last and received.date() >= end)
    if not covering:
        return Fortnight(start, end, MISSING)
    deadline = dt.datetime.combine(end + dt.timedelta(days=GRACE_DAYS + 1), dt.time(), BEIJING)
    return Fortnight(start, end, ON_TIME if covering[0] < deadline else LATE, covering[0])


def flagged_cases(connection: sqlite3.Connection, period: Period) -> dict[str, set[str]]:
    """Per unit, the cases (户号, or folder) with a flagged change in a package of the period."""
    assert period.start is not None and period.end is not None
    rows = connection.execute(
        "SELECT DISTINCT u.name, COALESCE(g.account, g.folder) FROM changes g JOIN revisions r ON g.revision_id = r.id"
        " JOIN periods p ON r.period_id = p.id JOIN units u ON p.unit_id = u.id"
        " WHERE g.flagged AND p.start <= ? AND p.end >= ?", (period.end.isoformat(), period.start.isoformat()))
    found: dict[str, set[str]] = {}
    for unit, case in rows:
        found.setdefault(unit, set()).add(case)
    return found


def callbacks(connection: sqlite3.Connection) -> dict[tuple[str, str], list[Callback]]:
    """The 客服中心's callbacks by (unit, 户号)."""
    found: dict[tuple[str, str], list[Callback]] = {}
    for unit, account, called, caller, steps, time, cost, words in connection.execute(
            "SELECT unit, account, called, caller, steps, time, cost, words FROM callbacks ORDER BY called, id"):
        found.setdefault((unit, account), []).append(
            Callback(unit, account, dt.date.fromisoformat(called), caller, bool(steps), bool(time), bool(cost),
                     words))
    return found


def figures(connection: sqlite3.Connection, period: Period, expected: list[str] | None) -> list[UnitFigures]:
    """Every unit's figures for `period`: the `expected` units (a units list), or those the
    store knows; a unit with nothing in the period is there, with nothing."""
    known = [name for (name,) in connection.execute("SELECT name FROM units")]
    units = {name: UnitFigures(name) for name in (expected if expected is not None else known)}
    for case in stored_cases(connection, period):
        if case.unit in units:
            units[case.unit].cases.append(case)
    for unit, fortnight_list in submissions(connection, period).items():
        if unit in units:
            units[unit].fortnights = fortnight_list
    for unit in units.values():
        if not unit.fortnights:
            unit.fortnights = [Fortnight(start, end, MISSING) for start, end in fortnights(period)]
    for unit, keys in flagged_cases(connection, period).items():
        if unit in units:
            units[unit].flagged = {(unit, key) for key in keys}
    done = callbacks(connection)
    for unit in units.values():
        for case in unit.cases:
            if case.account:
                unit.callbacks += done.get((unit.unit, case.account), [])
    return list(units.values())


@dataclass
class Bulletin:
    period: Period
    previous: Period
    units: list[tuple[int, UnitFigures]]  # ranked
    before: dict[str, UnitFigures]  # the previous period's figures, by unit
    made: dt.date

    @property
    def cases(self) -> list[StoredCase]:
        return [case for _, unit in self.units for case in unit.cases]


def bulletin(connection: sqlite3.Connection, period: Period, *, expected: list[str] | None = None,
             made: dt.date | None = None) -> Bulletin:
    previous = period.previous()
    assert previous is not None
    now = ranked(figures(connection, period, expected))
    before = {u.unit: u for u in figures(connection, previous, expected)}
    return Bulletin(period, previous, now, before, made or dt.datetime.now(BEIJING).date())


# --- the document's words and tables, from the numbers alone ----------------------------------

ISSUER = "国网重庆市电力公司客服中心"


def _day(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _short(unit: str) -> str:
    """国网重庆市电力公司沙坪坝供电分公司 → 沙坪坝供电分公司 (the table is narrow)."""
    return unit.removeprefix("国网重庆市电力公司") or unit


def _share(pair: tuple[int, int]) -> str:
    done, of = pair
    return f"{done}/{of} {done / of:.0%}" if of else "—"


def _percent(pair: tuple[int, int]) -> str:
    done, of = pair
    return f"{done / of:.0%}" if of else "—"


def _submitted(unit: UnitFigures) -> str:
    return "，".join(f"{status} {len(unit.submissions(status))}" for status in (ON_TIME, LATE, MISSING)
                    if unit.submissions(status)) or "—"


def _reasons(case: StoredCase, unit: UnitFigures) -> list[str]:
    reasons = []
    if case.kind is None:
        reasons.append("案例文件未能读全")
    elif not case.within_target:
        days = f"（{case.working_days}/{case.limit_days} 个工作日）" if case.working_days is not None else ""
        reasons.append(f"未达服务目标{days}")
    if case.energized_on_completion is False:
        reasons.append("未在完工当日接电")
    if case.wrong:
        reasons.append("数据错误或超出适用范围")
    if case.kind is not None and not case.evidence_complete:
        reasons.append("实证材料不全")
    if case.key in unit.flagged:
        reasons.append("报送后改动了关键事实")
    for call in unit.callbacks:
        if call.account == case.account and call.disagrees:
            reasons.append(f"客服中心回访客户不认可{'、'.join(call.disagrees)}")
    if unit_disagrees(case):
        reasons.append(f"单位回访客户不认可{'、'.join(unit_disagrees(case))}")
    return reasons


def _stated(case: StoredCase | None) -> str:
    if case is None:
        return ""
    days = f"{case.working_days}/{case.limit_days} 个工作日" if case.working_days is not None else "周期未知"
    cost = "客户出资 0 元" if not case.customer_cost_yuan else f"客户出资 {case.customer_cost_yuan:g} 元"
    return f"{case.customer_steps or '环节未写明'}；{days}；{cost}"


def _opening(b: Bulletin) -> list[str]:
    units = [u for _, u in b.units]
    silent = [u.unit for u in units if not u.submitted]
    cases = b.cases
    within = sum(u.within[0] for u in units), sum(u.within[1] for u in units)
    same_day = sum(u.same_day[0] for u in units), sum(u.same_day[1] for u in units)
    evidence = sum(u.evidence[0] for u in units), sum(u.evidence[1] for u in units)
    late = sum(len(u.submissions(LATE)) for u in units)
    calls = [c for u in units for c in u.callbacks]
    first = (f"本期（{_day(b.period.start)}至{_day(b.period.end)}）应报送的供电单位 {len(units)} 个，"
             f"已报送 {len(units) - len(silent)} 个" + (f"，未报送 {len(silent)} 个（{'、'.join(silent)}）"
                                                     if silent else "") +
             (f"；逾期报送 {late} 次" if late else "") + "。")
    second = (f"本期报送案例 {len(cases)} 个，其中在时限内接电 {_share(within)}；有外线工程的案例中，"
              f"完工当日装表接电 {_share(same_day)}；实证材料齐全 {_share(evidence)}；有数据错误或超出适用范围的 "
              f"{sum(u.wrong for u in units)} 个；报送后改动关键事实（日期、费用、户号、容量、实证材料）的 "
              f"{sum(len(u.flagged) for u in units)} 个。")
    third = (f"客服中心本期监督回访 {len(calls)} 户，客户不认可的 {sum(bool(c.disagrees) for c in calls)} 户；"
             f"各单位案例文件中记录的回访 {sum(len(u.unit_callbacks) for u in units)} 户，客户不认可的 "
             f"{sum(len(u.unit_disagreements) for u in units)} 户。")
    return [first, second, third]


def document(b: Bulletin, *, issuer: str = ISSUER) -> BulletinDocument:
    """The bulletin's words and tables: numbers and names only, no judgement the data cannot carry."""
    assert b.period.start is not None and b.period.end is not None and b.previous.start is not None
    standing = Table("各供电单位情况（按排名）", (
        "排名", "供电单位", "报送（每两周）", "案例数", "时限内接电", "完工当日接电", "实证材料齐全", "数据或范围错误",
        "改动关键事实", "客服中心回访", "其中不认可"), [
        (rank, _short(u.unit), _submitted(u), u.count, _share(u.within), _share(u.same_day), _share(u.evidence),
         u.wrong, len(u.flagged), len(u.callbacks), len(u.disagreements)) for rank, u in b.units])
    compared = Table("与上期对比（上期 → 本期）", (
        "供电单位", "案例数", "时限内接电占比", "实证材料齐全占比", "数据或范围错误", "改动关键事实", "回访不认可"), [
        (_short(u.unit), *(f"{before} → {now}" for before, now in (
            (p.count, u.count), (_percent(p.within), _percent(u.within)), (_percent(p.evidence), _percent(u.evidence)),
            (p.wrong, u.wrong), (len(p.flagged), len(u.flagged)), (len(p.disagreements), len(u.disagreements)))))
        for _, u in b.units for p in [b.before.get(u.unit) or UnitFigures(u.unit)]])
    actions = []
    for _, unit in b.units:
        listed = set()
        for case in sorted(unit.cases, key=lambda c: c.account or c.folder):
            reasons = _reasons(case, unit)
            if reasons:
                actions.append((_short(unit.unit), case.account or "（未填写）", case.customer, "；".join(reasons)))
                listed.add(case.key)
        for key in sorted(unit.flagged - listed):  # changed, then withdrawn from the period
            actions.append((_short(unit.unit), key[1], "（本期已不在报送中）", "报送后改动了关键事实"))
    silent = [(_short(u.unit), "、".join(map(str, u.submissions(LATE))) or "—",
               "、".join(map(str, u.submissions(MISSING))) or "—") for _, u in b.units
              if u.submissions(MISSING) or u.submissions(LATE)]
    by_key = {case.key: case for case in b.cases}
    company_calls = [(_short(c.unit), c.account, by_key[(c.unit, c.account)].customer, _day(c.called),
                      "、".join(c.disagrees), c.words or "", _stated(by_key.get((c.unit, c.account))))
                     for _, u in b.units for c in u.disagreements]
    unit_calls = [(_short(u.unit), c.account or "（未填写）", c.customer,
                   (c.unit_callback or {}).get("date") or "", "、".join(unit_disagrees(c)),
                   "；".join(f"{label}：{answer.get('words') or '（未记原话）'}"
                            for label, answer in (c.unit_callback or {}).get("points", {}).items()
                            if not answer.get("confirmed", True)), _stated(c))
                  for _, u in b.units for c in u.unit_disagreements]
    call_headers = ("供电单位", "户号", "户名", "回访日期", "不认可的项", "客户原话",
                    "案例所述（环节；周期；客户出资）")
    sections = [
        Section("一、总体情况", _opening(b)),
        Section("二、各单位情况", [f"排名规则：{RANKING_TEXT}", RHYTHM_TEXT],
                [standing, Table("逾期和未报送的期次", ("供电单位", "逾期的期次", "未报送的期次"), silent)]),
        Section("三、与上期对比", [f"上期为与本期等长的前一期间：{_day(b.previous.start)}至{_day(b.previous.end)}。"],
                [compared]),
        Section("四、需处理的案例", [f"共 {len(actions)} 个案例需要核实或整改，按供电单位、户号列出。"],
                [Table("需处理的案例", ("供电单位", "户号", "户名", "需处理的问题"), actions)]),
        Section("五、监督回访", ["客服中心监督回访与各单位在案例文件中记录的回访分别列出。"],
                [Table("客服中心监督回访：客户不认可", call_headers, company_calls),
                 Table("单位自行回访（案例文件中的回访记录）：客户不认可", call_headers, unit_calls)]),
    ]
    chart = [(_short(u.unit), ratio(u.within) if u.submitted else None) for _, u in b.units]
    return BulletinDocument("低压小微企业典型案例数据核查通报", f"（{_day(b.period.start)}—{_day(b.period.end)}）",
                            sections, issuer, _day(b.made), chart)
