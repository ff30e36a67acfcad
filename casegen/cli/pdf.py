"""What `render --pdf` and `bulletin --pdf` say before they start: LibreOffice missing (no PDF
can be made), a face it would substitute, or the slow path (no UNO bridge)."""

from __future__ import annotations

import sys

from casegen.base.terminal import printable
from casegen.service.documents import pdf_readiness


def pdf_ready() -> bool:
    """Whether PDFs can be made; why not, or which faces are substituted, said on stderr."""
    missing, substituted, slow = pdf_readiness()
    if missing:
        print(missing, file=sys.stderr)
        return False
    for told in substituted:
        print(printable(f"! PDF 字体替代：{told}"), file=sys.stderr)
    if slow:
        print(f"! {slow}", file=sys.stderr)
    return True
