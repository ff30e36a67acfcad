"""The bulletin (通报) written three ways from one set of tables: an official document in the
附件3 layout (the shipped template's page, styles and page numbers), an HTML page that opens
offline with a chart of each unit's share within target, and a workbook with a sheet a table.
The words and numbers are the caller's; this module only lays them out, so the three carry the
same tables."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from xml.sax.saxutils import escape

import jinja2
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm, Pt
from matplotlib.figure import Figure
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from casegen.base.collation import display_width
from casegen.base.layout import BulletinDocument, Share, Table, cell_text
from casegen.base.writing import atomic_path, write_text
from casegen.outputs.document import default_template
from casegen.outputs.report_page import svg_of
from casegen.outputs.sketch import cjk_family
from casegen.outputs.workbooks import FORMULA_STARTS

TYPE_AREA_MM = 156  # A4 less the GB/T 9704 margins (28 + 26 mm)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(value: object) -> str:
    """A cell as text, without the control characters XML cannot hold."""
    return _NOT_XML.sub("", cell_text(value))


# --- the official document ---------------------------------------------------------------------

def _blank(document) -> None:
    """The template's body emptied; its page (sectPr), styles and footers stay."""
    body = document.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)


def _font_size(table: Table) -> float:
    return 8 if len(table.headers) > 8 else 9 if len(table.headers) > 6 else 10.5


def _widths(table: Table) -> list[float]:
    """Column widths in mm: each column as wide as its longest line needs (a header may wrap
    at four characters), shrunk where the type area is short, the widest columns first."""
    half_width_mm = _font_size(table) * 0.3528 / 2 + 0.05
    padding_mm = 4.0  # the cell's own margins (0.19 cm each side in Word and LibreOffice) and a little air
    needs, floors = [], []
    for n, header in enumerate(table.headers):
        longest = max([min(display_width(header), 8),
                       *(max(display_width(line) for line in _clean(r[n]).split("\n")) for r in table.rows)])
        needs.append(min(longest, 60) * half_width_mm + padding_mm)
        unbroken = n in table.keep or (longest <= 14 and all(_clean(r[n]).isascii() for r in table.rows))
        floors.append((longest if unbroken else min(longest, 8)) * half_width_mm + padding_mm)
    excess = sum(needs) - TYPE_AREA_MM
    if excess > 0:
        room = sum(n - f for n, f in zip(needs, floors, strict=True)) or 1
        needs = [n - (n - f) * min(excess / room, 1) for n, f in zip(needs, floors, strict=True)]
    return [need * TYPE_AREA_MM / sum(needs) for need in needs]


def _cell_xml(value: object, twips: int, style_id: str, size: int, bold: bool) -> str:
    text = escape(_clean(value)).replace("\n", '</w:t><w:br/><w:t xml:space="preserve">')
    weight = "<w:b/>" if bold else ""
    return (f'<w:tc><w:tcPr><w:tcW w:w="{twips}" w:type="dxa"/></w:tcPr><w:p><w:pPr><w:pStyle w:val="{style_id}"/>'
            f'</w:pPr><w:r><w:rPr>{weight}<w:sz w:val="{size}"/><w:szCs w:val="{size}"/></w:rPr>'
            f'<w:t xml:space="preserve">{text}</w:t></w:r></w:p></w:tc>')


def _table_xml(table: Table, text_style: str, grid_style: str) -> str:
    """The table as WordprocessingML, written at once: python-docx builds a cell in a
    millisecond, and a year's bulletin lists thousands of cases. Rows never break across pages;
    the header row repeats on each page the table runs over."""
    twips = [round(width * 1440 / 25.4) for width in _widths(table)]
    size = round(_font_size(table) * 2)  # half-points
    rows = []
    for index, values in enumerate([table.headers, *table.rows]):
        header = "<w:tblHeader/>" if index == 0 else ""
        cells = "".join(_cell_xml(v, w, text_style, size, index == 0) for v, w in zip(values, twips, strict=True))
        rows.append(f"<w:tr><w:trPr><w:cantSplit/>{header}</w:trPr>{cells}</w:tr>")
    columns = "".join(f'<w:gridCol w:w="{w}"/>' for w in twips)
    return (f'<w:tbl {nsdecls("w")}><w:tblPr><w:tblStyle w:val="{grid_style}"/><w:tblW w:w="{sum(twips)}" '
            f'w:type="dxa"/><w:jc w:val="center"/><w:tblLayout w:type="fixed"/></w:tblPr>'
            f'<w:tblGrid>{columns}</w:tblGrid>{"".join(rows)}</w:tbl>')


def _docx_table(document, table: Table) -> None:
    document.add_paragraph(_clean(table.title), style="CaseFigureTitle")  # kept with its table
    if not table.rows:
        document.add_paragraph(table.empty, style="CaseBody")
        return
    xml = _table_xml(table, document.styles["CaseTableText"].style_id, document.styles["Table Grid"].style_id)
    document.element.body.sectPr.addprevious(parse_xml(xml))


# the children of w:pPr that the schema puts after w:pBdr (Word refuses them out of order)
PPR_AFTER_BORDERS = ("w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct",
                     "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd", "w:snapToGrid",
                     "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc",
                     "w:textDirection", "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl", "w:divId",
                     "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange")


def _rule_line(paragraph, *, top: bool, bottom: bool, size: int) -> None:
    """A 版记 line (GB/T 9704 7.3.5): a border above or below the paragraph, `size` eighths of a point."""
    borders = "".join(f'<w:{side} w:val="single" w:sz="{size}" w:space="1" w:color="000000"/>'
                      for side, wanted in (("top", top), ("bottom", bottom)) if wanted)
    paragraph._p.get_or_add_pPr().insert_element_before(
        parse_xml(f"<w:pBdr {nsdecls('w')}>{borders}</w:pBdr>"), *PPR_AFTER_BORDERS)


def _imprint(document, bulletin: BulletinDocument) -> None:
    """The 版记 at the end: 抄送 (when there is one) and 印发机关 with the date, between lines."""
    document.add_paragraph("", style="CaseBody")
    lines = ([f"抄送：{_clean(bulletin.copied_to).rstrip('。')}。"] if bulletin.copied_to else []) + \
        [_clean(bulletin.imprint)]
    for n, text in enumerate(lines):
        paragraph = document.add_paragraph(text, style="CaseBody")
        paragraph.paragraph_format.first_line_indent = Pt(0)
        paragraph.paragraph_format.left_indent = paragraph.paragraph_format.right_indent = Pt(14)
        paragraph.paragraph_format.tab_stops.add_tab_stop(Mm(TYPE_AREA_MM) - Pt(28), WD_TAB_ALIGNMENT.RIGHT)
        paragraph.paragraph_format.keep_with_next = n < len(lines) - 1
        for run in paragraph.runs:
            run.font.size = Pt(14)  # 四号
        _rule_line(paragraph, top=True, bottom=n == len(lines) - 1, size=12 if n == 0 else 4)


def write_docx(bulletin: BulletinDocument, target: Path) -> Path:
    document = Document(str(default_template()))
    _blank(document)
    if bulletin.number:
        document.add_paragraph(_clean(bulletin.number), style="CaseSubtitle")
        document.add_paragraph("", style="CaseBody")
    title = document.add_paragraph(style="CaseTitle")
    for n, line in enumerate(bulletin.title_lines):  # broken where the sense allows (GB/T 9704 7.3.1)
        run = title.add_run(_clean(line))
        if n < len(bulletin.title_lines) - 1:
            run.add_break()
    document.add_paragraph(_clean(bulletin.period_line), style="CaseSubtitle")
    document.add_paragraph("", style="CaseBody")
    addressee = document.add_paragraph(_clean(bulletin.addressee), style="CaseBody")
    addressee.paragraph_format.first_line_indent = Pt(0)
    for section in bulletin.sections:
        document.add_paragraph(_clean(section.heading), style="CaseHeading1")
        for text in section.paragraphs:
            document.add_paragraph(_clean(text), style="CaseBody")
        for table in section.tables:
            _docx_table(document, table)
    document.add_paragraph("", style="CaseBody")
    for line in (bulletin.issuer, bulletin.issued):
        paragraph = document.add_paragraph(_clean(line), style="CaseBody")
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        paragraph.paragraph_format.right_indent = Pt(64)  # four characters in from the right, as 公文 sign
    _imprint(document, bulletin)
    core = document.core_properties
    core.title, core.author, core.last_modified_by = _clean(bulletin.title), "casegen", "casegen"
    core.comments, core.identifier = "", ""
    with atomic_path(target) as temporary:
        document.save(str(temporary))
    return target


# --- the page ----------------------------------------------------------------------------------

def chart_svg(shares: list[tuple[str, float | None]]) -> str:
    """Each unit's share of projects within the limit, as horizontal bars (SVG, text as paths)."""
    height = 12 + 6 * max(len(shares), 1)
    figure = Figure(figsize=(160 / 25.4, height / 25.4), layout="constrained")
    axes = figure.add_subplot()
    names = [name for name, _ in shares][::-1]
    values = [(share or 0) * 100 for _, share in shares][::-1]
    colours = ["#c00000" if share is not None and share < 1 else "#4c78a8" for _, share in shares][::-1]
    axes.barh(names, values, color=colours)
    for y, (value, (_, share)) in enumerate(zip(values, shares[::-1], strict=True)):
        axes.text(value + 1, y, "未报送" if share is None else f"{value:.0f}%", va="center", fontsize=8,
                  family=cjk_family())
    axes.set_xlim(0, 112)
    axes.set_xlabel("时限内接电的项目占比（%）", family=cjk_family())
    axes.spines[["top", "right"]].set_visible(False)
    for label in axes.get_yticklabels():
        label.set_family(cjk_family())
    return svg_of(figure)


PAGE = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ b.title }}</title>
<style>
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif; color: #222;
       max-width: 200mm; margin: 0 auto; padding: 8mm; line-height: 1.55; }
h1 { font-size: 20pt; margin: 0; text-align: center; } .period { text-align: center; color: #444; margin: 1mm 0 6mm; }
h2 { font-size: 14pt; border-bottom: 2px solid #4c78a8; margin: 8mm 0 3mm; padding-bottom: 1mm; }
h3 { font-size: 11pt; margin: 4mm 0 1mm; }
p { text-indent: 2em; margin: 1.5mm 0; }
table { border-collapse: collapse; width: 100%; font-size: 9pt; margin: 1mm 0 4mm; }
th, td { border: 1px solid #bbb; padding: 1mm 1.5mm; vertical-align: top; text-align: left; }
th { background: #eef3f8; } tr { break-inside: avoid; }
figure { margin: 3mm 0; } figure svg { width: 100%; height: auto; }
figcaption { font-size: 10pt; font-weight: bold; }
.none { color: #555; font-size: 10pt; text-indent: 0; } .sign { text-align: right; text-indent: 0; }
.number { text-align: center; text-indent: 0; margin: 0 0 4mm; } .to { text-indent: 0; }
.imprint { margin-top: 10mm; border-top: 1.5px solid #000; border-bottom: 1.5px solid #000; }
.imprint p { text-indent: 0; margin: 0; padding: 1mm 3mm; } .imprint p + p { border-top: 0.5px solid #000; }
.imprint .printed { display: flex; justify-content: space-between; }
td.keep { white-space: nowrap; }
@media print { @page { size: A4; margin: 12mm; } body { max-width: none; padding: 0; } h2 { break-after: avoid; } }
</style></head><body>
{% if b.number %}<p class="number">{{ b.number }}</p>{% endif %}
<h1>{% for line in b.title_lines %}{{ line }}{% if not loop.last %}<br>{% endif %}{% endfor %}</h1>
<p class="period">{{ b.period_line }}</p>
<p class="to">{{ b.addressee }}</p>
{% for section in b.sections %}<h2>{{ section.heading }}</h2>
{% for text in section.paragraphs %}<p>{{ text }}</p>
{% endfor %}{% if loop.first and chart %}<figure><figcaption>各供电单位时限内接电的项目占比</figcaption>
{{ chart|safe }}</figure>{% endif %}
{% for table in section.tables %}<h3>{{ table.title }}</h3>
{% if table.rows %}<table><thead><tr>{% for h in table.headers %}<th>{{ h }}</th>{% endfor %}</tr></thead>
<tbody>{% for row in table.rows %}<tr>{% for cell in row %}
<td{% if loop.index0 in table.keep %} class="keep"{% endif %}>{{ clean(cell) }}</td>{% endfor %}</tr>
{% endfor %}</tbody></table>{% else %}<p class="none">{{ table.empty }}</p>{% endif %}
{% endfor %}{% endfor %}
<p class="sign">{{ b.issuer }}<br>{{ b.issued }}</p>
<div class="imprint">{% if b.copied_to %}<p>抄送：{{ b.copied_to.rstrip("。") }}。</p>{% endif %}
{% set by, when = b.imprint.split("\t") %}<p class="printed"><span>{{ by }}</span><span>{{ when }}</span></p></div>
</body></html>
"""


def html_page(bulletin: BulletinDocument) -> str:
    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    chart = chart_svg(bulletin.chart) if bulletin.chart else ""
    return environment.from_string(PAGE).render(b=bulletin, chart=chart, clean=_clean)


def write_html(bulletin: BulletinDocument, target: Path) -> Path:
    write_text(target, html_page(bulletin))
    return target


# --- the workbook ------------------------------------------------------------------------------

def _sheet_cells(value: object) -> list[tuple[object, str | None]]:
    """A cell as the workbook keeps it, with its number format: a number as a number, a share as
    its fraction (a percentage; its count in the next column), a date as a date."""
    if isinstance(value, Share):
        return [(value.fraction, "0%"), (f"{value.done}/{value.of}", None)]
    if isinstance(value, dt.datetime):
        return [(value.replace(tzinfo=None), "yyyy-mm-dd hh:mm")]
    if isinstance(value, dt.date):
        return [(value, "yyyy-mm-dd")]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return [(value, None)]
    text = _clean(value)
    return [(f"'{text}" if text.startswith(FORMULA_STARTS) else text, None)]


def _sheet_headers(table: Table) -> list[str]:
    headers = []
    for n, header in enumerate(table.headers):
        headers.append(header)
        if any(isinstance(row[n], Share) for row in table.rows):
            headers.append(f"{header}（个数）")
    return headers


def write_xlsx(bulletin: BulletinDocument, target: Path) -> Path:
    book = Workbook()
    book.remove(book.active)
    titles: set[str] = set()
    for table in bulletin.tables:
        title = re.sub(r"[\\/*?:\[\]]", "", table.title)[:31] or "表"
        while title in titles:
            title = f"{title[:28]}_{len(titles)}"
        titles.add(title)
        sheet = book.create_sheet(title)
        headers = _sheet_headers(table)
        sheet.append(headers)
        shares = {n for n, _ in enumerate(table.headers) if any(isinstance(row[n], Share) for row in table.rows)}
        for row in table.rows:
            cells = []
            for n, value in enumerate(row):
                found = _sheet_cells(value)
                cells += found if n in shares else found[:1]
                if n in shares and len(found) == 1:
                    cells.append((None, None))
            sheet.append([value for value, _ in cells])
            for column, (_, number_format) in enumerate(cells, start=1):
                if number_format:
                    sheet.cell(sheet.max_row, column).number_format = number_format
        for column, header in enumerate(headers, start=1):
            sheet.cell(1, column).font = Font(bold=True)
            sheet.cell(1, column).alignment = Alignment(wrap_text=True, vertical="center")
            values = [sheet.cell(r, column).value for r in range(2, min(sheet.max_row, 500) + 1)]
            widest = max([display_width(header), *(display_width(cell_text(v)) for v in values)])
            sheet.column_dimensions[get_column_letter(column)].width = min(max(widest + 2, 6), 50)
        sheet.freeze_panes = "A2"
        sheet.page_setup.orientation = "landscape"
        sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    notes = book.create_sheet("说明")
    if bulletin.number:
        notes.append([_clean(bulletin.number)])
    notes.append([_clean(bulletin.title)])
    notes.append([_clean(bulletin.period_line)])
    for section in bulletin.sections:
        for text in section.paragraphs:
            notes.append([_clean(text)])
    notes.column_dimensions["A"].width = 120
    with atomic_path(target) as temporary:
        book.save(temporary)
    return target
