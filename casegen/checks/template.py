"""`casegen template check`: a user's 附件3 template is input too, and checked like a case file.

It reports, in Chinese and by paragraph: tags Word split across runs (a tag retyped or restyled
in Word often is), tag syntax that does not parse, names the template uses that casegen does not
provide, what the sandbox would refuse (attributes of Python's own), and the notice's sections
the template lacks.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import jinja2
from docxtpl import DocxTemplate
from jinja2 import meta, nodes

from casegen.base.errors import Finding
from casegen.base.templating import TEMPLATE_NAMES, jinja_environment

# the sections of the notice's 附件3, in its words
REQUIRED_TEXT = ("附件3", "国网重庆电力小微企业典型案例", "一、项目简介", "二、办理流程", "三、客户反馈",
                 "四、实证材料")
XML_PARTS = re.compile(r"^word/(document|header\d*|footer\d*)\.xml$")
_PARAGRAPH = re.compile(r"<w:p[ >]")
# a tag typed (or restyled) in several runs: XML markup inside its braces, or between them
_SPLIT = (re.compile(r"\{(?:<[^>]+>)+[{%]"), re.compile(r"[}%](?:<[^>]+>)+\}"),
          re.compile(r"\{[{%](?:(?![}%]\}).)*?<(?:(?![}%]\}).)*?[}%]\}", re.S))


def _paragraph_of(xml: str, position: int) -> int:
    return len(_PARAGRAPH.findall(xml, 0, position))


def _finding(path: Path, message: str) -> Finding:
    return Finding("template", message, path)


def check_template(path: Path) -> list[Finding]:
    """Every problem of a template; an empty list when casegen can render with it."""
    try:
        with zipfile.ZipFile(path) as package:
            parts = {name: package.read(name).decode("utf-8") for name in package.namelist()
                     if XML_PARTS.match(name)}
    except (OSError, zipfile.BadZipFile, KeyError, UnicodeDecodeError):
        return [_finding(path, "不是可以打开的 Word 文档（.docx）")]
    if "word/document.xml" not in parts:
        return [_finding(path, "不是 Word 文档：缺少正文（word/document.xml）")]
    findings = []
    for name, xml in parts.items():
        where = "正文" if name == "word/document.xml" else "页眉页脚"
        for pattern in _SPLIT:
            for match in pattern.finditer(xml):
                findings.append(_finding(path, f"{where}第 {_paragraph_of(xml, match.start()) + 1} 段："
                                         "一个 {{ }} 或 {% %} 标记被 Word 拆成了几段（改过其中一部分的格式，"
                                         "或拼写检查标记过它）：请删掉整个标记，再一次输入"))
    findings += _check_names(path, parts["word/document.xml"])
    findings += _check_sections(path, parts["word/document.xml"])
    return findings


def _check_names(path: Path, xml: str) -> list[Finding]:
    """Parse the template as docxtpl would, and compare the names it uses with what casegen gives."""
    source = DocxTemplate.patch_xml(None, xml)  # docxtpl's own clean-up of Word's markup
    try:
        tree = jinja_environment().parse(source)
    except jinja2.TemplateSyntaxError as e:
        paragraph = source.count("<w:p", 0, _offset_of_line(source, e.lineno)) + 1
        return [_finding(path, f"正文第 {paragraph} 段附近：{{{{ }}}} 或 {{% %}} 标记写法有误或没有闭合")]
    findings = []
    unknown = sorted(meta.find_undeclared_variables(tree) - set(TEMPLATE_NAMES))
    if unknown:
        findings.append(_finding(path, f"用到了 casegen 不提供的名称：{'、'.join(unknown)}"
                                 f"（可用的名称：{'、'.join(TEMPLATE_NAMES)}）"))
    private = sorted({node.attr for node in tree.find_all(nodes.Getattr) if node.attr.startswith("_")})
    if private:
        findings.append(_finding(path, f"用到了不允许的属性：{'、'.join(private)}（模板只能使用案例的字段）"))
    return findings


def _offset_of_line(text: str, line: int | None) -> int:
    if not line:
        return 0
    position = 0
    for _ in range(line - 1):
        position = text.find("\n", position) + 1 or len(text)
    return position


def _check_sections(path: Path, xml: str) -> list[Finding]:
    text = re.sub(r"<[^>]+>", "", xml)
    return [_finding(path, f"缺少通知附件3 的部分：“{section}”")
            for section in REQUIRED_TEXT if section not in text]
