"""The 典型案例汇编 as one .docx: a cover, a contents page, an optional one-page summary, then
each case's 附件3 document on a page of its own, all in the template's styles and page setup, the
body numbered "— N —" from 1. And the pages LibreOffice started each entry on, read back from the
bookmarks of its PDF, to write into the contents.

The contents is a Word TOC field over outline level 1, so Word can update it; its text is written
here, with the pages LibreOffice gave, so that the PDF and a .docx never opened in Word show the
right pages. Each case's title line (the same words in every case) leaves the outline; its
"——客户名称" line enters it.
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Twips
from docxcompose.composer import Composer
from pypdf import PdfReader

from casegen.base.writing import atomic_path
from casegen.outputs.document import save_document

TEXT_WIDTH_TWIPS = 8845  # the template's A4 page less its margins (GB/T 9704)
SUMMARY_TITLE = "入选案例概况"
TITLE_CHARS, ISSUER_CHARS = 20, 28  # characters a cover line holds at the title's and the issuer's size
SUMMARY_WIDTHS = (1800, 900, 900, 1500, 900, 1000, 1845)  # twips, the summary table's columns


def title_lines(title: str) -> list[str]:
    """A long cover title in two lines, after its "公司" (the issuing company's name), rather
    than one character left alone on the second line."""
    head, found, tail = title.partition("公司")
    return [head + found, tail] if len(title) > 16 and found and tail else [title]
OUT_OF_OUTLINE = "9"  # Word's "body text" outline level


@dataclass(frozen=True)
class Cover:
    title: str
    issuer: str
    date: dt.date


@dataclass(frozen=True)
class SummaryTable:
    """The summary page: its lines of text, then a table (header row first)."""

    lines: list[str]
    rows: list[list[str]]


class BookletDocument:
    """The composed booklet; its contents' page numbers can be written again before saving."""

    def __init__(self, documents: list[Path], cover: Cover, entries: list[str],
                 summary: SummaryTable | None) -> None:
        self.entries = entries
        self.document = Document(str(documents[0]))
        body = self.document.element.body
        for child in list(body):
            if child.tag != qn("w:sectPr"):
                body.remove(child)
        self._styles()
        self._cover(cover)
        self.page_runs = self._contents(entries)
        self._body_section()
        composer = Composer(self.document)
        if summary is not None:
            self._summary(summary)
        for number, path in enumerate(documents):
            composer.append(_case_body(path, new_page=number > 0 or summary is not None))
        core = self.document.core_properties
        core.title, core.subject = cover.title, "低压小微企业典型案例汇编"
        core.author = core.last_modified_by = core.comments = core.identifier = ""
        core.created = core.modified = dt.datetime.now(dt.UTC).replace(microsecond=0, tzinfo=None)

    def set_blank_page(self, blank: bool) -> None:
        """A blank page after the contents, so that the body's page 1 is a right-hand sheet
        when the cover and contents take an even number of pages."""
        if blank and self.blank is None:
            self.blank = parse_xml(f'<w:p {nsdecls("w")}><w:pPr><w:pStyle w:val="CaseBody"/><w:pageBreakBefore/>'
                                   '</w:pPr></w:p>')
            self.section_end._p.addprevious(self.blank)
        elif not blank and self.blank is not None:
            self.blank.getparent().remove(self.blank)
            self.blank = None

    def set_pages(self, pages: list[int]) -> None:
        for run, page in zip(self.page_runs, pages, strict=True):
            run.text = str(page)

    def save(self, target: Path) -> Path:
        with atomic_path(target) as temporary:
            self.write(temporary)
        return target

    def write(self, path: Path) -> None:
        """Into `path` as it is (the caller's temporary file)."""
        save_document(self.document, path)

    # --- the parts ---------------------------------------------------------------------------

    def _styles(self) -> None:
        """"toc 1", as Word names the contents' first level: the body face, a dotted leader to
        the page number at the right margin."""
        styles = self.document.styles.element
        if not any(style.get(qn("w:styleId")) == "TOC1" for style in styles.iterchildren(qn("w:style"))):
            styles.append(parse_xml(
                f'<w:style {nsdecls("w")} w:type="paragraph" w:styleId="TOC1"><w:name w:val="toc 1"/>'
                '<w:basedOn w:val="CaseBody"/><w:next w:val="CaseBody"/><w:uiPriority w:val="39"/>'
                '<w:unhideWhenUsed/><w:pPr><w:tabs><w:tab w:val="right" w:leader="dot" '
                f'w:pos="{TEXT_WIDTH_TWIPS}"/></w:tabs><w:ind w:firstLine="0" w:firstLineChars="0"/>'
                '</w:pPr></w:style>'))

    def _paragraph(self, text: str, style: str, *, before_twips: int = 0, outline: str | None = None):
        paragraph = self.document.add_paragraph(text, style=style)
        properties = paragraph._p.get_or_add_pPr()
        if before_twips:
            properties.append(parse_xml(f'<w:spacing {nsdecls("w")} w:before="{before_twips}"/>'))
        if outline is not None:
            properties.append(parse_xml(f'<w:outlineLvl {nsdecls("w")} w:val="{outline}"/>'))
        return paragraph

    def _cover(self, cover: Cover) -> None:
        lines = title_lines(cover.title)
        rows = sum(-(-len(line) // TITLE_CHARS) for line in lines) + -(-len(cover.issuer) // ISSUER_CHARS)
        room = max(600, 5600 - 900 * max(0, rows - 3))  # a long title or issuer: the date stays on the cover
        title = self._paragraph("", "CaseTitle", before_twips=3000 if rows <= 5 else 1200, outline=OUT_OF_OUTLINE)
        for number, line in enumerate(lines):
            if number:
                title.add_run().add_break()
            title.add_run(line)
        self._paragraph(cover.issuer, "CaseSubtitle", before_twips=room)
        self._paragraph(f"{cover.date.year}年{cover.date.month}月", "CaseSubtitle")
        self.document.add_paragraph(style="CaseBody").add_run().add_break(WD_BREAK.PAGE)

    def _contents(self, entries: list[str]) -> list:
        """The contents: a TOC field whose shown text is one line per entry; returns the runs
        that hold the page numbers."""
        self._paragraph("目　　录", "CaseTitle", outline=OUT_OF_OUTLINE)
        self.document.add_paragraph(style="CaseBody")
        runs = []
        for number, entry in enumerate(entries):
            paragraph = self.document.add_paragraph(style="toc 1")
            if number == 0:
                _field_start(paragraph)
            paragraph.add_run(entry)
            paragraph.add_run().add_tab()
            runs.append(paragraph.add_run("0"))
            if number == len(entries) - 1:
                paragraph.add_run()._r.append(parse_xml(f'<w:fldChar {nsdecls("w")} w:fldCharType="end"/>'))
        return runs

    def _body_section(self) -> None:
        """Cover and contents end a section without footers; the body's section starts on a
        right-hand page and numbers its pages from 1."""
        final = self.document.element.body.find(qn("w:sectPr"))
        first = copy.deepcopy(final)
        for reference in first.findall(qn("w:footerReference")) + first.findall(qn("w:headerReference")):
            first.remove(reference)
        self.section_end = self.document.add_paragraph(style="CaseBody")
        self.section_end._p.get_or_add_pPr().append(first)
        self.blank = None
        for old in final.findall(qn("w:type")) + final.findall(qn("w:pgNumType")):
            final.remove(old)
        # schema order: the footer references, then w:type, …, w:pgSz, w:pgMar, …, w:pgNumType
        references = final.findall(qn("w:footerReference")) + final.findall(qn("w:headerReference"))
        at = final.index(references[-1]) + 1 if references else 0
        final.insert(at, parse_xml(f'<w:type {nsdecls("w")} w:val="oddPage"/>'))
        margins = final.find(qn("w:pgMar"))
        margins.addnext(parse_xml(f'<w:pgNumType {nsdecls("w")} w:start="1"/>'))

    def _summary(self, summary: SummaryTable) -> None:
        self._paragraph(SUMMARY_TITLE, "CaseTitle", outline="0")
        self.document.add_paragraph(style="CaseBody")
        for line in summary.lines:
            self.document.add_paragraph(line, style="CaseBody")
        table = self.document.add_table(rows=0, cols=len(summary.rows[0]))
        table.style = self.document.styles["Table Grid"]
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        for column, width in zip(table.columns, SUMMARY_WIDTHS, strict=True):
            column.width = Twips(width)
        for number, row in enumerate(summary.rows):
            cells = table.add_row().cells
            for cell, text, width in zip(cells, row, SUMMARY_WIDTHS, strict=True):
                cell.width = Twips(width)
                cell.paragraphs[0].style = self.document.styles["CaseTableText"]
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
                cell.paragraphs[0].add_run(text).bold = number == 0


def _field_start(paragraph) -> None:
    for xml in ('<w:fldChar {ns} w:fldCharType="begin"/>',
                '<w:instrText {ns} xml:space="preserve"> TOC \\o "1-1" \\h \\z \\u </w:instrText>',
                '<w:fldChar {ns} w:fldCharType="separate"/>'):
        paragraph.add_run()._r.append(parse_xml(xml.format(ns=nsdecls("w"))))


def _case_body(path: Path, *, new_page: bool):
    """A case's document as the booklet takes it: without its "附件3" mark, its title line out
    of the outline and its customer line in, on a new page."""
    document = Document(str(path))
    paragraphs = document.paragraphs
    for paragraph in paragraphs:
        if paragraph.style.style_id == "CaseMark":
            paragraph._p.getparent().remove(paragraph._p)
    paragraphs = document.paragraphs
    for paragraph in paragraphs:
        style = paragraph.style.style_id
        if style in ("CaseTitle", "CaseSubtitle"):
            properties = paragraph._p.get_or_add_pPr()
            properties.append(parse_xml(
                f'<w:outlineLvl {nsdecls("w")} w:val="{OUT_OF_OUTLINE if style == "CaseTitle" else "0"}"/>'))
    if new_page and paragraphs:
        paragraphs[0]._p.get_or_add_pPr().insert(1, parse_xml(f'<w:pageBreakBefore {nsdecls("w")}/>'))
    return document


@dataclass(frozen=True)
class Layout:
    """A booklet PDF as LibreOffice laid it out: where each top-level bookmark (the summary and
    the cases, in order) points, counting the first sheet as 0, and how many pages it has."""

    pdf: Path
    starts: list[int]
    pages: int


def pdf_layout(pdf: Path) -> Layout:
    reader = PdfReader(str(pdf))
    starts = [reader.get_destination_page_number(item) for item in reader.outline if not isinstance(item, list)]
    return Layout(pdf, starts, len(reader.pages))
