"""casegen for scripts: the public API, in one place.

What a script needs, under names that stay stable (the modules behind them may move):

- `load_case(path)`: one case file read, typed, derived and checked — a `CaseFile` whose
  `.case` is the typed case (None when the file breaks the contract), `.facts` what the text
  needs (kind, working and calendar days, limit) and `.findings` everything wrong with it;
- `validate(paths)`: every case under files or folders, with the folder rules (one 户号, one
  address) — a `Run` whose `.cases` are CaseFiles;
- `render_case(path, out_dir)`: one case's 附件3 document, its sketch and marked photos
  (`pdf=True` adds the PDF, first) — a `Rendered` listing what was written; raises `CaseError`
  with the findings that stop the document;
- `summarize(paths)`: every case of a folder as the report reads it — an `Overview` of
  `CaseSummary` rows (kind, days, cost, evidence, findings, 附件2 cells);
- `gate(findings, product)`: which findings stop a product (`Product.RENDER`, …).

A finding is a value: its class (`FindingClass`), severity, rule id, Chinese message, file, line,
key and the clause of the notice it applies.

    >>> from casegen import api
    >>> case_file = api.load_case(EXAMPLES / "03-有外线有掘路-顺达汽修" / "case.yaml")
    >>> case_file.case.customer.name
    '重庆沙坪坝区顺达汽车维修有限公司'
    >>> str(case_file.facts.kind), case_file.facts.working_days, case_file.facts.limit_days
    ('有外线有掘路', 9, 15)
    >>> api.gate(case_file.findings, api.Product.RENDER)
    []
    >>> run = api.validate([EXAMPLES])
    >>> [(str(c.facts.kind), c.facts.working_days) for c in run.cases]
    [('无外线', 2), ('有外线无掘路', 7), ('有外线有掘路', 9)]
    >>> rendered = api.render_case(EXAMPLES / "01-无外线-山城味道餐饮" / "case.yaml", OUT)
    >>> [path.name for path in rendered.outputs]
    ['重庆山城味道餐饮管理有限公司.docx', '重庆山城味道餐饮管理有限公司_工程建设简图.png', '01.jpg', '02.jpg']
    >>> overview = api.summarize([EXAMPLES])
    >>> [(s.account, s.within_target, s.evidence_complete) for s in overview.summaries]
    [('0512034567', True, True), ('5102998877', True, False), ('5103765432', True, True)]
"""

from __future__ import annotations

from pathlib import Path

from casegen.base.errors import CaseError, Finding
from casegen.base.policy import FindingClass, Product, gate
from casegen.case.reading import CaseFile
from casegen.service.cases import Run, assess, open_calendar
from casegen.service.cases import validate as validate_cases
from casegen.service.documents import Rendered, render_case
from casegen.service.summary import CaseSummary, Overview, summarize

__all__ = ["CaseError", "CaseFile", "CaseSummary", "Finding", "FindingClass", "Overview", "Product", "Rendered",
           "Run", "gate", "load_case", "render_case", "summarize", "validate"]


def load_case(path: Path, *, calendar_file: Path | None = None) -> CaseFile:
    """One case file read, typed, derived and checked; never raises for a bad case (its
    problems are findings). Days count in the calendar beside the case or `calendar_file`."""
    return assess(Path(path), open_calendar([Path(path)], calendar_file))


def validate(paths: list[Path], *, calendar_file: Path | None = None) -> Run:
    """Every case under `paths` (files or folders), checked, with the folder rules."""
    return validate_cases([Path(p) for p in paths], calendar_file=calendar_file)
