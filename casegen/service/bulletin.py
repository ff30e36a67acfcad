"""The 客服中心's view across units: `casegen bulletin` (定期通报) and `casegen callbacks`
(监督回访: a sample to call, the filled sheet read back). Both read the store that `receive`
fills; the call sheets are kept whole in it, so a rebuilt index reads them again."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from casegen.base.period import Period
from casegen.company import bulletin as figures
from casegen.company.bulletin import Bulletin
from casegen.company.units import read_units
from casegen.outputs.bulletin import write_docx, write_html, write_xlsx
from casegen.outputs.pdf import to_pdf
from casegen.service.store import open_store, whole_period

ISSUER = figures.ISSUER  # the bulletin's signature unless the caller names another






@dataclass
class Issued:
    """The bulletin made, and where it was written."""

    bulletin: Bulletin
    written: list[Path]


def bulletin(store: Path, period: Period, target: Path, *, html: Path | None = None, xlsx: Path | None = None,
             pdf: bool = False, units_file: Path | None = None, issuer: str = ISSUER,
             made: dt.date | None = None) -> Issued:
    """`casegen bulletin`: each unit's figures for `period` ranked, against the previous period
    of equal length, as an official document (with `pdf`, also as PDF through the same
    LibreOffice path and faces as `render --pdf`), an HTML page and a workbook."""
    period = whole_period(period)
    expected = read_units(units_file) if units_file else None
    connection = open_store(store)
    try:
        made_bulletin = figures.bulletin(connection, period, expected=expected, made=made)
    finally:
        connection.close()
    words = figures.document(made_bulletin, issuer=issuer)
    written = [write_docx(words, target)]
    if pdf:
        written.append(to_pdf(target, target.with_suffix(".pdf")))
    if html:
        written.append(write_html(words, html))
    if xlsx:
        written.append(write_xlsx(words, xlsx))
    return Issued(made_bulletin, written)












