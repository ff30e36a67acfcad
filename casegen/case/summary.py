"""One case as the tables read it (the report page, the 附件2 rows, the workbench list), and a
folder of them: the values the service hands to the outputs that summarize many cases."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from casegen.base.errors import Finding
from casegen.base.period import Period
from casegen.base.policy import FindingClass, Product, Severity, gate
from casegen.case.derive import Verdict
from casegen.case.record import CaseRecord


@dataclass(frozen=True)
class CaseSummary:
    """One case as the report reads it."""

    path: Path
    customer: str
    account: str | None
    company: str
    station: str
    kind: str | None  # None when the case did not pass the contract
    limit_days: int | None
    working_days: int | None
    accepted: dt.date | None
    cost_wan: float | None
    evidence_items: int
    evidence_provided: int
    digest: str  # SHA-256 of the case file: "changed since the last report"
    findings: tuple[Finding, ...] = ()
    cells: dict[str, Any] = field(default_factory=dict)  # its 附件2 row, header → cell
    record: CaseRecord | None = None  # what the typed case states (None when it failed the contract)
    # kind and days as far as the fields give them, also for a case that failed the contract
    # (the figures above stay None for it: a case that is not whole is never counted as one)
    verdict: Verdict = field(default_factory=lambda: Verdict(None, None, None))
    missing: int = 0  # required fields left empty: 未填完 when any

    @property
    def unfinished(self) -> bool:
        return self.missing > 0

    @property
    def ledger_problems(self) -> list[Finding]:
        """What marks its 附件2 row: everything when the file could not be read at all."""
        if not self.cells.keys() - {"户名"}:
            return list(self.findings)
        return gate(self.findings, Product.VALIDATE)

    @property
    def counts(self) -> dict[str, int]:
        """Its findings by class, every class named (0 where none)."""
        found = Counter(f.cls.value for f in self.findings)
        return {cls.value: found.get(cls.value, 0) for cls in FindingClass}

    def of_class(self, *classes: FindingClass, errors_only: bool = True) -> list[Finding]:
        return [f for f in self.findings if f.cls in classes
                and (f.severity is Severity.ERROR or not errors_only)]

    @property
    def within_target(self) -> bool:
        return self.kind is not None and not self.of_class(FindingClass.TARGET)

    @property
    def evidence_complete(self) -> bool:
        return self.kind is not None and not gate(self.findings, Product.CHECK)


@dataclass
class Overview:
    """Every case of a folder (in the period), and what was left out of the period."""

    summaries: list[CaseSummary]
    period: Period
    outside: int = 0  # cases read but accepted outside the period
    files: int = 0
