"""The bulletin's words and tables, from its figures alone (company.bulletin says what each
figure means): a company document with its 文号, 主送, body, signature, date and 版记
(GB/T 9704), laid out by outputs.bulletin as a Word document, an HTML page and a workbook."""

from __future__ import annotations

import datetime as dt

from casegen.base.layout import BulletinDocument, Section, Share, Table
from casegen.base.policy import RULES
from casegen.company.bulletin import (
    LATE,
    MISSING,
    ON_TIME,
    RANKING_TEXT,
    Bulletin,
    FlaggedChange,
    StoredCase,
    StoredProject,
    UnitFigures,
    ratio,
    unit_disagrees,
)
from casegen.company.store import CASE

ISSUER = "国网重庆市电力公司客户服务中心"
TITLE = "关于低压小微企业获得电力数据核查情况的通报"
TITLE_BREAK = TITLE.index("数据")  # 关于低压小微企业获得电力 / 数据核查情况的通报
DATA_CLASSES = ("数据错误", "适用范围")
CHANGES_TEXT = ("日期、费用、户号、容量、资金来源、客户原话和回访记录在报送后改动的，逐项列出原值和新值、"
                "所在的包和收到时间，请各单位说明原因。")


def day_text(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def short(unit: str) -> str:
    """国网重庆市电力公司沙坪坝供电分公司 → 沙坪坝供电分公司 (the tables are narrow)."""
    return unit.removeprefix("国网重庆市电力公司") or unit


def _share(pair: tuple[int, int]) -> Share:
    return Share(*pair)


def _percent(pair: tuple[int, int]) -> str:
    done, of = pair
    return f"{done / of:.0%}" if of else "—"


def _submitted(unit: UnitFigures) -> str:
    return "，".join(f"{status} {len(unit.submissions(status))}" for status in (ON_TIME, LATE, MISSING)
                    if unit.submissions(status)) or "—"


def _sum(units: list[UnitFigures], pair) -> tuple[int, int]:
    pairs = [pair(u) for u in units]
    return sum(p[0] for p in pairs), sum(p[1] for p in pairs)


def _opening(b: Bulletin) -> list[str]:
    assert b.period.start is not None and b.period.end is not None
    units = [u for _, u in b.units]
    silent = [short(u.unit) for u in units if not u.submitted]
    periods = b.fortnights
    counted = {status: sum(len(u.submissions(status)) for u in units) for status in (ON_TIME, LATE, MISSING)}
    first = (f"本期（{day_text(b.period.start)}至{day_text(b.period.end)}）应报送的供电单位 {len(units)} 个，"
             f"已报送 {len(units) - len(silent)} 个" + (f"，未报送 {len(silent)} 个（{'、'.join(silent)}）"
                                                     if silent else "") + "。"
             + (f"本期含完整的报送期 {len(periods)} 个（每两周一期），各单位合计按时报送 {counted[ON_TIME]} 期、"
                f"逾期 {counted[LATE]} 期、未报送 {counted[MISSING]} 期。" if periods
                else "本期不含完整的报送期（每两周一期），不核对是否按时报送。"))
    projects = b.projects
    within = _sum(units, lambda u: u.within)
    over = sum(len(u.over_limit) for u in units)
    second = (f"各单位附件2 列出本期受理的项目（全口径）{len(projects)} 个。已装表送电或已超过时限的 {within[1]} 个中，"
              f"在时限内接电 {within[0]} 个（{_percent(within)}），超过时限 {over} 个"
              f"（其中尚未送电的 {sum(p.energized is None for p in projects if p.over_limit)} 个）；"
              f"在办且未超过时限的 {sum(u.pending for u in units)} 个。"
              f"客户出资的 {sum(len(u.paid) for u in units)} 个，"
              f"未在完工当日接电的 {sum(len(u.late_energizing) for u in units)} 个；有数据错误或超出适用范围的 "
              f"{sum(u.wrong for u in units)} 个。")
    evidence = _sum(units, lambda u: u.evidence)
    third = (f"报送典型案例 {evidence[1]} 个，实证材料齐全 {evidence[0]} 个（{_percent(evidence)}）；"
             f"客户办理行政审批的 {sum(len(u.customer_permits) for u in units)} 个，与客户交互超过 2 次的 "
             f"{sum(len(u.contacts_over) for u in units)} 个。")
    changes = [c for u in units for c in u.changes]
    calls = [c for u in units for c in u.callbacks]
    fourth = (f"报送后改动关键事实（须核查）{len(changes)} 处，涉及 {len({(c.unit, c.account) for c in changes})} 户，"
              "逐项列在第五部分。"
              f"客服中心本期监督回访 {len(calls)} 户，客户不认可的 {sum(bool(c.disagrees) for c in calls)} 户；"
              f"各单位典型案例中记录的回访 {sum(len(u.unit_callbacks) for u in units)} 户，客户不认可的 "
              f"{sum(len(u.unit_disagreements) for u in units)} 户。")
    return [first, second, third, fourth]


def _rules(b: Bulletin) -> list[str]:
    company = b.company
    whose = "本公司客户服务中心的规定" if company.declared else "casegen 的默认设置，公司可在供电单位名单中另定"
    return [
        f"排名规则（公司的规定，通知未作规定）：{RANKING_TEXT}",
        "各项数字按每个项目、每个典型案例最后一次报送的版本计算（同一报送期后收到的版本取代先收到的）；"
        "报送后改动的关键事实逐项列在第五部分，并在排名中先于各项占比计入。",
        "时间、成本的数字按附件2 的全部项目（全口径，通知四（二）2）计；实证材料、客户办理审批和交互次数按典型案例计。"
        "时限为无外线 4 天、有外线无掘路 10 天、有掘路 15 天（通知二（二）），按工作日计"
        "（附件3 模板“接电周期 XX 个工作日”），自受理次日起至装表送电之日；尚未送电的项目在其报送期结束时"
        "已超过时限的计为超时，未超过的为在办。",
        f"报送按每两周一期核对：报送期自 {company.calendar.first} 起每 14 天一期（{whose}）；覆盖该期最后一天的上报包"
        f"在该期最后一天或其后 {company.grace_days} 天内收到为按时，晚于此为逾期，没有收到为未报送"
        "（该期结束前收到的包不计）。",
    ]


def _standing(b: Bulletin) -> list[Table]:
    rank = Table("各供电单位排名", ("排名", "供电单位", "改动关键事实", "回访不认可", "数据或范围错误", "时限内接电",
                                   "实证材料齐全", "报送（每两周）"),
                 [(rank, short(u.unit), len(u.changes), len(u.disagreements), u.wrong, _share(u.within),
                   _share(u.evidence), _submitted(u)) for rank, u in b.units], keep=(1,))
    projects = Table("各供电单位的项目（附件2，全口径）", ("供电单位", "项目数", "时限内接电", "超过时限", "在办",
                                                       "客户出资", "未在完工当日接电"),
                     [(short(u.unit), len(u.projects), _share(u.within), len(u.over_limit), u.pending, len(u.paid),
                       len(u.late_energizing)) for _, u in b.units], keep=(0,))
    cases = Table("各供电单位的典型案例", ("供电单位", "典型案例数", "实证材料齐全", "客户办理审批", "交互超过 2 次"),
                  [(short(u.unit), len(u.cases), _share(u.evidence), len(u.customer_permits), len(u.contacts_over))
                   for _, u in b.units], keep=(0,))
    silent = Table("逾期和未报送的报送期", ("供电单位", "逾期的期次", "未报送的期次"),
                   [(short(u.unit), "、".join(map(str, u.submissions(LATE))) or "—",
                     "、".join(map(str, u.submissions(MISSING))) or "—") for _, u in b.units
                    if u.submissions(MISSING) or u.submissions(LATE)], keep=(0,))
    return [rank, projects, cases, silent]


def _compared(b: Bulletin) -> Table:
    rows = []
    for _, unit in b.units:
        before = b.before.get(unit.unit) or UnitFigures(unit.unit)
        pairs = ((len(before.projects), len(unit.projects)), (_percent(before.within), _percent(unit.within)),
                 (len(before.cases), len(unit.cases)), (_percent(before.evidence), _percent(unit.evidence)),
                 (before.wrong, unit.wrong), (len(before.changes), len(unit.changes)),
                 (len(before.disagreements), len(unit.disagreements)))
        rows.append((short(unit.unit), *(f"{was} → {now}" for was, now in pairs)))
    return Table("与上期对比（上期 → 本期）", ("供电单位", "项目数", "时限内接电占比", "典型案例数", "实证材料齐全占比",
                                             "数据或范围错误", "改动关键事实", "回访不认可"), rows, keep=(0,))


def _messages(problems, classes: tuple[str, ...] | None = None, limit: int = 2) -> list[str]:
    """The messages of stored findings ([rule, message]) of the data and scope rules."""
    told = [message.split("：", 1)[1] if message.startswith("户号 ") and "：" in message else message
            for rule, message in problems if RULES[rule].cls.value in (classes or DATA_CLASSES)]
    return told[:limit] + ([f"等 {len(told)} 处"] if len(told) > limit else [])


def _project_reasons(project: StoredProject) -> list[str]:
    reasons = []
    if project.within_limit is False:
        reasons.append(f"超过时限（{project.working_days}/{project.limit_days} 个工作日）")
    elif project.over_limit:
        reasons.append(f"尚未送电，已超过时限 {project.overdue_days} 个工作日")
    if project.energized_on_completion is False:
        reasons.append(f"未在完工当日接电（{project.completed} 竣工，{project.energized} 送电）")
    if project.funded_by_customer:
        reasons.append(f"工程资金来源为 {project.funding}")
    return reasons + _messages(project.problems)


def _case_reasons(case: StoredCase) -> list[str]:
    reasons = []
    if case.kind is None:
        reasons.append("典型案例文件未能读全")
    if "cost-customer" in case.missed:
        reasons.append(f"客户出资 {case.customer_cost_yuan:g} 元" if case.customer_cost_yuan else "客户出资")
    elif "cost-funding" in case.missed:
        reasons.append(f"工程资金来源为 {case.funding}")
    if "permit-by-utility" in case.missed:
        reasons.append("客户办理行政审批")
    if "contacts-limit" in case.missed:
        reasons.append(f"与客户交互 {case.contacts} 次（超过 2 次）")
    if case.kind is not None and not case.evidence_complete:
        reasons.append("典型案例实证材料不全")
    return reasons + [f"典型案例：{m}" for m in _messages(case.problems)]


def _change_text(change: FlaggedChange) -> str:
    if change.field is None:
        return change.change
    return f"改动{change.label}（{change.old or '空'} → {change.new or '空'}）"


def _actions(b: Bulletin) -> list[tuple]:
    """Each project or typical case with something to act on, by unit and 户号: the failure
    itself (客户出资 3500 元), never a class name."""
    rows = []
    for _, unit in b.units:
        listed: dict[str, tuple[str, list[str]]] = {}
        for project in unit.projects:
            reasons = _project_reasons(project)
            if reasons:
                listed.setdefault(project.account, (project.customer, []))[1].extend(reasons)
        for case in unit.cases:
            reasons = _case_reasons(case)
            if reasons:
                listed.setdefault(case.account or case.folder, (case.customer, []))[1].extend(reasons)
        for change in unit.changes:
            account = change.account or change.place
            listed.setdefault(account, ("", []))[1].append(f"报送后{_change_text(change)}")
        for call in unit.disagreements:
            listed.setdefault(call.account, ("", []))[1].append(f"客服中心回访客户不认可{'、'.join(call.disagrees)}")
        for case in unit.unit_disagreements:
            listed.setdefault(case.account or case.folder, (case.customer, []))[1].append(
                f"单位回访客户不认可{'、'.join(unit_disagrees(case))}")
        for package in unit.unreadable_ledgers:
            listed.setdefault("—", ("", []))[1].append(f"上报包 {package} 的附件2 无法读取")
        names = {p.account: p.customer for p in unit.projects} | {c.account: c.customer for c in unit.cases
                                                                 if c.account}
        for account in sorted(listed):
            customer, reasons = listed[account]
            rows.append((short(unit.unit), account, customer or names.get(account, ""),
                         "；".join(dict.fromkeys(reasons))))
    return rows


def _changes(b: Bulletin) -> Table:
    rows = [(short(c.unit), c.account or "（未填写）", c.place if c.item != CASE else f"{CASE} {c.place}", c.label,
             "" if c.field is None else f"{c.old or '空'} → {c.new or '空'}",
             f"{c.period.start}至{c.period.end} 第 {c.revision} 版", c.received.replace(tzinfo=None))
            for _, u in b.units for c in u.changes]
    return Table("报送后改动的关键事实（须核查）", ("供电单位", "户号", "项目或案例", "改动的项", "原值 → 新值",
                                                   "所在的包", "收到时间"), rows, keep=(0, 1))


def _stated(case: StoredCase | StoredProject | None) -> str:
    if case is None:
        return ""
    days = f"{case.working_days}/{case.limit_days} 个工作日" if case.working_days is not None else "周期未知"
    if isinstance(case, StoredProject):
        funded = f"工程资金来源 {case.funding}" if case.funding else "工程资金来源未填"
        return f"受理 {case.accepted or '?'}，送电 {case.energized or '?'}；{days}；{funded}"
    cost = ("客户出资未写明" if case.customer_cost_yuan is None and case.kind != "无外线"
            else f"客户出资 {case.customer_cost_yuan or 0:g} 元")
    return f"{case.customer_steps or '环节未写明'}；{days}；{cost}"


def _callbacks(b: Bulletin) -> list[Table]:
    headers = ("供电单位", "户号", "户名", "回访日期", "不认可的项", "客户原话", "所报的（环节；周期；出资）")
    by_key: dict[tuple[str, str], StoredCase | StoredProject] = {}
    for project in b.projects:
        by_key[(project.unit, project.account)] = project
    for case in b.cases:
        if case.account:
            by_key[(case.unit, case.account)] = case
    company = [(short(c.unit), c.account, getattr(by_key.get((c.unit, c.account)), "customer", ""), c.called,
                "、".join(c.disagrees), c.words or "", _stated(by_key.get((c.unit, c.account))))
               for _, u in b.units for c in u.disagreements]
    units = [(short(u.unit), c.account or "（未填写）", c.customer, (c.unit_callback or {}).get("date") or "",
              "、".join(unit_disagrees(c)),
              "；".join(f"{label}：{answer.get('words') or '（未记原话）'}"
                       for label, answer in (c.unit_callback or {}).get("points", {}).items()
                       if not answer.get("confirmed", True)), _stated(c))
             for _, u in b.units for c in u.unit_disagreements]
    return [Table("客服中心监督回访：客户不认可", headers, company, keep=(0,)),
            Table("单位自行回访（典型案例中的回访记录）：客户不认可", headers, units, keep=(0,))]


def document(b: Bulletin, *, issuer: str = ISSUER, number: str | None = None, copied_to: str | None = None,
             printed_by: str | None = None) -> BulletinDocument:
    """The bulletin's words and tables: numbers and names only, no judgement the data cannot carry."""
    assert b.period.start is not None and b.period.end is not None and b.previous.start is not None
    assert b.previous.end is not None
    actions = _actions(b)
    sections = [
        Section("一、总体情况", _opening(b)),
        Section("二、各单位情况", _rules(b), _standing(b)),
        Section("三、与上期对比", [f"上期为与本期等长的前一期间：{day_text(b.previous.start)}至"
                                  f"{day_text(b.previous.end)}。"], [_compared(b)]),
        Section("四、需处理的项目和典型案例", [f"共 {len(actions)} 户需要核实或整改，按供电单位、户号列出。"],
                [Table("需处理的项目和典型案例", ("供电单位", "户号", "户名", "需处理的问题"), actions, keep=(0, 1))]),
        Section("五、报送后改动的关键事实", [CHANGES_TEXT], [_changes(b)]),
        Section("六、监督回访", ["客服中心监督回访与各单位在典型案例中记录的回访分别列出。"], _callbacks(b)),
    ]
    chart = [(short(u.unit), ratio(u.within) if u.submitted else None) for _, u in b.units]
    return BulletinDocument(TITLE, f"（{day_text(b.period.start)}—{day_text(b.period.end)}）", sections, issuer,
                            day_text(b.made), chart, number=number, copied_to=copied_to, printed_by=printed_by,
                            title_break=TITLE_BREAK)
