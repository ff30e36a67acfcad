"""The 客服中心's view across units: `casegen bulletin` (定期通报). It reads the store that
`receive` fills; what each figure means is declared in company.bulletin."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from casegen.base.period import Period
from casegen.company import bulletin as figures
from casegen.company.bulletin import MISSING, Bulletin
from casegen.company.bulletin_document import ISSUER, document
from casegen.company.units import read_company
from casegen.office.pdf import to_pdf
from casegen.outputs.bulletin import write_docx, write_html, write_xlsx
from casegen.service.store import open_store, whole_period

__all__ = ["ISSUER", "MISSING", "Issued", "bulletin"]


@dataclass
class Issued:
    """The bulletin made, and where it was written."""

    bulletin: Bulletin
    written: list[Path]


def bulletin(store: Path, period: Period, target: Path | None, *, html: Path | None = None, xlsx: Path | None = None,
             pdf: bool = False, units_file: Path | None = None, issuer: str = ISSUER, made: dt.date | None = None,
             number: str | None = None, copied_to: str | None = None, printed_by: str | None = None) -> Issued:
    """`casegen bulletin`: each unit's figures for `period` ranked, against the previous period
    of equal length; written (when `target` is given) as a company document with its 文号
    `number`, 抄送 `copied_to` and date `made` (with `pdf`, also as PDF through the same
    LibreOffice path and faces as `render --pdf`), an HTML page and a workbook. The units and
    the reporting calendar come from `units_file` (casegen's defaults without it)."""
    period = whole_period(period)
    company = read_company(units_file)
    connection = open_store(store)
    try:
        made_bulletin = figures.bulletin(connection, period, company=company, made=made)
    finally:
        connection.close()
    words = document(made_bulletin, issuer=issuer, number=number, copied_to=copied_to, printed_by=printed_by)
    written = []
    if target is not None:
        written.append(write_docx(words, target))
        if pdf:
            written.append(to_pdf(target, target.with_suffix(".pdf")))
    if html:
        written.append(write_html(words, html))
    if xlsx:
        written.append(write_xlsx(words, xlsx))
    return Issued(made_bulletin, written)
