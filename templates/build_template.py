"""Build templates/case_template.docx: the 附件3 layout after GB/T 9704-2012, with docxtpl tags.

Run `python templates/build_template.py` after changing it; the .docx is committed so that users
can open it in Word, restyle it, and pass their copy with `casegen render --template`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

OUT = Path(__file__).with_name("case_template.docx")

BODY_FONT = "仿宋_GB2312"
TITLE_FONT = "方正小标宋简体"
HEADING_FONT = "黑体"
SUBHEADING_FONT = "楷体_GB2312"
PAGE_NUMBER_FONT = "宋体"
LATIN_FONT = "Times New Roman"
LINE_PITCH = Pt(28.95)  # 22 lines in the 225 mm type area, as GB/T 9704 asks


def set_fonts(rpr, east_asia: str, latin: str = LATIN_FONT) -> None:
    """python-docx sets only Latin fonts: write w:eastAsia too, and drop theme font links."""
    fonts = rpr.get_or_add_rFonts()
    for attr in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
        fonts.attrib.pop(qn(f"w:{attr}"), None)
    fonts.set(qn("w:ascii"), latin)
    fonts.set(qn("w:hAnsi"), latin)
    fonts.set(qn("w:eastAsia"), east_asia)
    fonts.set(qn("w:cs"), latin)


def paragraph_style(doc, name, *, font=BODY_FONT, size=16, align=WD_ALIGN_PARAGRAPH.JUSTIFY,
                    indent=True, outline=None, exact=True, bold=False):
    style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = doc.styles["Normal"]
    style.quick_style = True
    style.font.size = Pt(size)
    style.font.bold = bold
    set_fonts(style.element.get_or_add_rPr(), font)
    fmt = style.paragraph_format
    fmt.alignment = align
    fmt.space_before = fmt.space_after = Pt(0)
    fmt.first_line_indent = Pt(32) if indent else Pt(0)
    if exact:
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = LINE_PITCH
    else:
        fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
    fmt.widow_control = True
    if outline is not None:
        fmt.keep_with_next = True
        level = OxmlElement("w:outlineLvl")
        level.set(qn("w:val"), str(outline))
        style.element.get_or_add_pPr().append(level)
    return style


def setup_styles(doc) -> None:
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    set_fonts(rpr, BODY_FONT)
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
    normal = doc.styles["Normal"]
    normal.font.size = Pt(16)
    set_fonts(normal.element.get_or_add_rPr(), BODY_FONT)
    paragraph_style(doc, "CaseBody")
    paragraph_style(doc, "CaseMark", font=HEADING_FONT, indent=False, align=WD_ALIGN_PARAGRAPH.LEFT)
    paragraph_style(doc, "CaseTitle", font=TITLE_FONT, size=22, indent=False,
                    align=WD_ALIGN_PARAGRAPH.CENTER, outline=0, exact=False)
    paragraph_style(doc, "CaseSubtitle", font=SUBHEADING_FONT, indent=False,
                    align=WD_ALIGN_PARAGRAPH.CENTER)
    paragraph_style(doc, "CaseHeading1", font=HEADING_FONT, outline=1)
    # left-aligned: a line ended by a break (客户环节's second step on a line of its own) is not spread out
    paragraph_style(doc, "CaseHeading2", font=SUBHEADING_FONT, outline=2, align=WD_ALIGN_PARAGRAPH.LEFT)
    figure_title = paragraph_style(doc, "CaseFigureTitle", font=HEADING_FONT, indent=False,
                                   align=WD_ALIGN_PARAGRAPH.CENTER)
    figure_title.paragraph_format.keep_with_next = True  # never a title alone above a page break
    paragraph_style(doc, "CaseFigure", indent=False, align=WD_ALIGN_PARAGRAPH.CENTER, exact=False)
    photo = paragraph_style(doc, "CasePhoto", indent=False, align=WD_ALIGN_PARAGRAPH.CENTER,
                            exact=False)
    photo.paragraph_format.keep_with_next = True  # a photo and its caption share a page
    photo.paragraph_format.space_before = Pt(6)
    photos_title = paragraph_style(doc, "CasePhotosTitle", font=HEADING_FONT, indent=False,
                                   align=WD_ALIGN_PARAGRAPH.CENTER)
    photos_title.paragraph_format.keep_with_next = True
    photos_title.paragraph_format.page_break_before = True  # the photos start a page: two fit on it
    paragraph_style(doc, "CaseStep")  # not kept with the next: a chain of kept paragraphs empties pages
    lead_in = paragraph_style(doc, "CaseLeadIn")
    lead_in.paragraph_format.keep_with_next = True  # never alone at the foot of a page
    caption = paragraph_style(doc, "CaseCaption", size=12, indent=False, exact=False,
                              align=WD_ALIGN_PARAGRAPH.CENTER)
    caption.paragraph_format.space_after = Pt(12)
    paragraph_style(doc, "CaseTableText", size=10.5, indent=False, exact=False,
                    align=WD_ALIGN_PARAGRAPH.LEFT)
    # the case's own evidence table in 四号, beside the body's 三号 (the booklet's and the bulletin's
    # many-column tables keep CaseTableText's 五号)
    paragraph_style(doc, "CaseEvidenceText", size=14, indent=False, exact=False, align=WD_ALIGN_PARAGRAPH.LEFT)
    paragraph_style(doc, "CasePageNumber", font=PAGE_NUMBER_FONT, size=14, indent=False,
                    exact=False, align=WD_ALIGN_PARAGRAPH.RIGHT)


def page_number(paragraph, *, odd: bool) -> None:
    """“— N —”, a space of one character outside: right on odd pages, left on even ones."""
    paragraph.style = "CasePageNumber"
    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT if odd else WD_ALIGN_PARAGRAPH.LEFT
    if odd:
        paragraph.paragraph_format.right_indent = Pt(14)
    else:
        paragraph.paragraph_format.left_indent = Pt(14)
    paragraph.add_run("— ")
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1"),
                       ("end", None)):
        run = paragraph.add_run()
        if kind:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            run._r.append(char)
        elif text == " PAGE ":
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            run._r.append(instr)
        else:
            run.text = text
    paragraph.add_run(" —")


def setup_page(doc) -> None:
    section = doc.sections[0]
    section.start_type = WD_SECTION.NEW_PAGE
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.header_distance, section.footer_distance = Mm(15), Mm(23)
    doc.settings.odd_and_even_pages_header_footer = True
    page_number(section.footer.paragraphs[0], odd=True)
    page_number(section.even_page_footer.paragraphs[0], odd=False)


def add(doc, style: str, text: str = "") -> None:
    doc.add_paragraph(text, style=style)


def evidence_table(doc) -> None:
    """实证材料: one row per item, grouped by 类别 (merged down its rows: docxtpl's {% vm %}
    restarts the merge at each group's first item); the file column names the file, not a path."""
    headers = ("类别", "材料", "状态", "文件")
    widths = (Mm(24), Mm(50), Mm(24), Mm(58))  # 156 mm: the type area
    table = doc.add_table(rows=6, cols=len(headers))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    rows = [headers,
            ("{%tr for group in evidence_groups %}", "", "", ""),
            ("{%tr for item in group.rows %}", "", "", ""),
            ("{% vm %}{{ group.name }}", "{{ item.name }}", "{{r item.status }}", "{{ item.file }}"),
            ("{%tr endfor %}", "", "", ""),
            ("{%tr endfor %}", "", "", "")]
    for row, values in zip(table.rows, rows, strict=True):
        for cell, value, width in zip(row.cells, values, widths, strict=True):
            cell.width = width
            cell.paragraphs[0].style = "CaseEvidenceText"
            run = cell.paragraphs[0].add_run(value)
            run.bold = values is headers
    table.autofit = False
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
    table_width = table._tbl.tblPr.find(qn("w:tblW"))
    table_width.set(qn("w:type"), "dxa")
    table_width.set(qn("w:w"), str(sum(int(w.twips) for w in widths)))
    for row in table.rows:  # a row never breaks across pages
        row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
    header = table.rows[0]._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")
    header.append(repeat)


KEEP_STYLES = {"Normal", "Default Paragraph Font", "Normal Table", "No List", "Table Grid"}


def slim(doc) -> None:
    """Drop what python-docx's default template carries and this document never uses: ~160
    unused styles, the latent-style table and the Word 2010 stylesWithEffects copy (800 kB of
    XML that every render would parse and compress again)."""
    for style in list(doc.styles):
        if style.name not in KEEP_STYLES and not style.name.startswith("Case"):
            style.element.getparent().remove(style.element)
    latent = doc.styles.element.find(qn("w:latentStyles"))
    if latent is not None:
        doc.styles.element.remove(latent)
    for rel_id, rel in list(doc.part.rels.items()):
        if rel.reltype.endswith("/stylesWithEffects"):
            del doc.part.rels[rel_id]


def build(out: Path = OUT) -> Path:
    doc = Document()
    setup_styles(doc)
    setup_page(doc)

    add(doc, "CaseMark", "附件3")
    add(doc, "CaseBody")
    add(doc, "CaseTitle", "国网重庆电力小微企业典型案例")
    add(doc, "CaseSubtitle", "——{{ name }}")
    add(doc, "CaseBody")
    add(doc, "CaseBody", "{{ name }}为低压供电非居民客户，属于{{ kind_text }}项目。客户已送电，"
        "接电周期 {{ working_days }} 个工作日（{{ calendar_days }} 个日历日）。{{r estimate_note }}")
    add(doc, "CaseBody", "{%p for note in target_notes %}")
    add(doc, "CaseBody", "{{r note }}")
    add(doc, "CaseBody", "{%p endfor %}")

    add(doc, "CaseHeading1", "一、项目简介")
    add(doc, "CaseBody", "{{ name }}（户号：{{ account_no }}）位于{{ address }}，于{{ applied_on }}"
        "向{{ company }}提出{{ business_type }}用电申请，申请容量 {{ capacity }} 千瓦{{ capacity_note }}，"
        "用于{{ use }}。{{ energized_on }}完成送电。{% if not has_works %}详细情况请见下图。{% endif %}")
    # the lead-in ends the paragraph before the figure (a line of its own, kept with the figure,
    # took the figure to page 2 with it and left page 1 half empty); the title keeps with the figure
    add(doc, "CaseBody", "{%p if has_works %}")
    add(doc, "CaseBody", "{{ works_text }}详细情况请见下图。")
    add(doc, "CaseBody", "{%p endif %}")
    add(doc, "CaseFigureTitle", "附：工程建设简图")
    add(doc, "CaseFigure", "{{ sketch }}")

    add(doc, "CaseHeading1", "二、办理流程")
    add(doc, "CaseHeading2", "（一）客户环节：{{ customer_steps }}")
    add(doc, "CaseHeading2", "（二）供电企业内部环节")
    add(doc, "CaseBody", "{%p for step in steps %}")
    add(doc, "CaseStep", "{{ step.number }}.{{ step.label }}：{{ step.when }}")
    add(doc, "CaseBody", "{%p endfor %}")

    add(doc, "CaseHeading1", "三、客户反馈")
    add(doc, "CaseBody", "{%p for item in feedback %}")
    add(doc, "CaseBody", "{{ item.aspect }}：{{r item.words }}")
    add(doc, "CaseBody", "{%p endfor %}")

    add(doc, "CaseHeading1", "四、实证材料")
    add(doc, "CaseLeadIn", "{{ evidence_summary }}")  # kept with the table it introduces
    evidence_table(doc)
    add(doc, "CaseBody", "{%p if photos %}")
    add(doc, "CasePhotosTitle", "附：现场图片")
    add(doc, "CaseFigure", "{%p for photo in photos %}")
    add(doc, "CasePhoto", "{{ photo.image }}")
    add(doc, "CaseCaption", "图 {{ photo.number }}　{{ photo.caption }}")
    add(doc, "CaseFigure", "{%p endfor %}")
    add(doc, "CaseBody", "{%p endif %}")

    slim(doc)
    core = doc.core_properties
    core.author = core.last_modified_by = "casegen"
    core.title = "国网重庆电力小微企业典型案例"
    core.comments = "casegen 附件3 模板：双花括号标记由 docxtpl 填写，样式可在 Word 中修改"
    doc.save(out)
    return out


if __name__ == "__main__":
    print(build(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT))
