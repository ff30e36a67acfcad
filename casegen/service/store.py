"""`casegen store`: what the company's store holds, read from its index; and the store opened
for the bulletin and the callbacks, with the periods they accept."""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from casegen.base.errors import UsageError
from casegen.base.period import Period
from casegen.company import store as st


@dataclass
class Listing:
    units: list[dict]  # unit, periods, revisions, cases (latest revisions)
    revisions: list[dict]
    cases: list[dict]  # of the chosen unit or period, latest revision of each period
    changes: list[dict]  # the 须核查 changes recorded on the revisions listed: old → new, revision, received


def store_listing(store: Path, *, unit: str | None = None, period: Period | None = None) -> Listing:
    """`casegen store`: units with their periods and revisions; the cases of a unit or period."""
    connection = open_store(store)
    try:
        units = st.table(connection, "SELECT u.name unit, COUNT(DISTINCT p.id) periods, COUNT(r.id) revisions"
                         " FROM units u LEFT JOIN periods p ON p.unit_id = u.id LEFT JOIN revisions r ON"
                         " r.period_id = p.id GROUP BY u.id ORDER BY u.name")
        where, parameters = ["1 = 1"], []
        if unit:
            where.append("u.name = ?")
            parameters.append(unit)
        if period and period.start:
            where.append("p.end >= ?")
            parameters.append(period.start.isoformat())
        if period and period.end:
            where.append("p.start <= ?")
            parameters.append(period.end.isoformat())
        condition = " AND ".join(where)
        revisions = st.table(
            connection, "SELECT u.name unit, p.start, p.end, r.number, r.path, r.sha256, r.received, r.made,"
            " r.ledger, r.ledger_problem,"
            " (SELECT COUNT(*) FROM cases c WHERE c.revision_id = r.id) cases,"
            " (SELECT COUNT(*) FROM projects x WHERE x.revision_id = r.id) projects,"
            " (SELECT COUNT(*) FROM changes g WHERE g.revision_id = r.id AND g.flagged) flagged"
            f" FROM revisions r JOIN periods p ON r.period_id = p.id JOIN units u ON p.unit_id = u.id WHERE {condition}"
            " ORDER BY u.name, p.start, r.number", tuple(parameters))
        cases = []
        # cases listed for a period: those accepted in it (a case whose date is unknown: listed)
        case_condition, case_parameters = condition, list(parameters)
        if period and period.start:
            case_condition += " AND (c.accepted IS NULL OR c.accepted >= ?)"
            case_parameters.append(period.start.isoformat())
        if period and period.end:
            case_condition += " AND (c.accepted IS NULL OR c.accepted <= ?)"
            case_parameters.append(period.end.isoformat())
        if unit or (period and (period.start or period.end)):
            cases = st.table(
                connection, "SELECT u.name unit, p.start, p.end, r.number revision, c.folder, c.account, c.customer,"
                " c.kind, c.accepted, c.energized, c.working_days, c.limit_days, c.cost_wan, c.数据错误, c.适用范围,"
                " c.服务目标, c.实证材料, c.customer_cost_yuan, c.capacity_kw FROM cases c"
                " JOIN revisions r ON c.revision_id = r.id JOIN periods p ON"
                " r.period_id = p.id JOIN units u ON p.unit_id = u.id WHERE r.number = (SELECT MAX(number) FROM"
                f" revisions WHERE period_id = p.id) AND {case_condition}"
                " ORDER BY u.name, p.start, c.accepted, c.folder",
                tuple(case_parameters))
        changes = st.table(
            connection, "SELECT u.name unit, p.start, p.end, r.number revision, r.received, g.item, g.account,"
            " g.folder place, g.change, g.field, g.old, g.new FROM changes g JOIN revisions r ON g.revision_id = r.id"
            f" JOIN periods p ON r.period_id = p.id JOIN units u ON p.unit_id = u.id WHERE g.flagged AND {condition}"
            " ORDER BY r.received, g.id", tuple(parameters))
        for change in changes:
            change["label"] = st.Change(change["change"], change["account"], change["place"], change["field"],
                                        item=change["item"]).label
    finally:
        connection.close()
    return Listing(units, revisions, cases, changes)


EARLIEST_LAST = dt.date(2199, 12, 31)  # the latest day a period may end on


def whole_period(period: Period) -> Period:
    """The period, which a bulletin and a sample need whole and within the years a store can hold."""
    if period.start is None or period.end is None:
        raise UsageError("请用 --from 和 --to 给出期间")
    if not (EVER.start <= period.start and period.end <= EARLIEST_LAST):
        raise UsageError(f"期间应在 {EVER.start} 至 {EARLIEST_LAST} 之间")
    return period


EVER = Period(dt.date(2000, 1, 1), dt.date(9999, 12, 30))  # every case the store holds


def is_store(folder: Path) -> bool:
    """Whether `folder` is a company store (it holds the store's index)."""
    return (folder / st.DATABASE).is_file()


def open_store(store: Path) -> sqlite3.Connection:
    """The index of an existing store, or UsageError in Chinese."""
    if not (store / st.DATABASE).is_file():
        raise UsageError(f"{store} 不是收存库（没有 {st.DATABASE}）：先用 casegen receive 收存上报包")
    return st.open_index(store)
