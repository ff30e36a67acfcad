"""`casegen report`: where the cases of a folder stand, on one page a manager reads.

One self-contained HTML file (styles inline, charts as inline SVG drawn by matplotlib with their
text as paths, no outside address), a print stylesheet for A4, and a JSON snapshot inside it so
that the next report can say what changed since this one. `--xlsx` writes the same tables and
charts to a workbook.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from collections import Counter
from dataclasses import dataclass

import jinja2
import matplotlib
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator
from openpyxl import Workbook
from openpyxl.drawing.image import Image as SheetImage
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from casegen.base.collation import display_width
from casegen.base.errors import os_reason
from casegen.base.period import Period
from casegen.base.policy import NOTICE, FindingClass
from casegen.base.writing import atomic_path
from casegen.case.model import KINDS, said
from casegen.case.summary import CaseSummary, Overview
from casegen.outputs.sketch import cjk_family
from casegen.outputs.workbooks import FORMULA_STARTS

SNAPSHOT_ID = "casegen-snapshot"
KIND_COLOURS = {"无外线": "#4c78a8", "有外线无掘路": "#f58518", "有外线有掘路": "#54a24b"}
MISSED, OK_COLOUR = "#c00000", "#4c78a8"


@dataclass
class Selection:
    """The cases of the period, the previous period's, and what the report compares with."""

    current: list[CaseSummary]
    previous: list[CaseSummary] | None
    period: Period
    outside: int
    files: int


def select(overview: Overview, period: Period) -> Selection:
    current = [s for s in overview.summaries if period.holds(s.accepted)]
    before = period.previous()
    previous = [s for s in overview.summaries if s.accepted and before.holds(s.accepted)] if before else None
    return Selection(current, previous, period, overview.files - len(current), overview.files)


# --- the figures ------------------------------------------------------------------------------

def _axes(width_mm: float = 160, height_mm: float = 62):
    figure = Figure(figsize=(width_mm / 25.4, height_mm / 25.4), layout="constrained")
    axes = figure.add_subplot()
    axes.spines[["top", "right"]].set_visible(False)
    for label in (axes.xaxis.label, axes.yaxis.label, axes.title):
        label.set_family(cjk_family())
    return figure, axes


def _counts(axes) -> None:
    """Whole numbers on a count axis (no 0.2 of a case)."""
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))


def _legend(axes, entries: list[tuple[str, str]]) -> None:
    """A legend with a swatch for every entry, also for one whose first bar is empty."""

    # beside the plot, never over a bar of its own colour
    axes.legend(handles=[Patch(color=colour, label=label) for label, colour in entries],
                frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))


def _cjk(axes) -> None:
    for text in [*axes.get_xticklabels(), *axes.get_yticklabels(), *axes.texts]:
        text.set_family(cjk_family())
    legend = axes.get_legend()
    if legend:
        for text in legend.get_texts():
            text.set_family(cjk_family())


def _short(company: str) -> str:
    """国网重庆市电力公司沙坪坝供电分公司 → 沙坪坝."""
    name = company.removeprefix("国网重庆市电力公司").removesuffix("供电分公司").removesuffix("供电公司")
    return name or company


def figure_days(cases: list[CaseSummary]):
    """Working days of each case by kind, against its limit."""
    figure, axes = _axes()
    rng = np.random.default_rng(0)  # the same jitter every time: the same page for the same cases
    for position, kind in enumerate(KINDS):
        days = [c.working_days for c in cases if c.kind == kind]
        limit = next(c.limit_days for c in cases if c.kind == kind) if days else None
        if limit:
            axes.hlines(limit, position - 0.4, position + 0.4, colors=MISSED, linestyles="--", linewidth=1)
            axes.text(position + 0.42, limit, f"时限 {limit}", va="center", fontsize=8, color=MISSED)
        x = position + rng.uniform(-0.25, 0.25, len(days))
        colours = [MISSED if limit and d > limit else KIND_COLOURS[kind] for d in days]
        axes.scatter(x, days, s=14, c=colours, alpha=0.75, linewidths=0)
    axes.set_xticks(range(len(KINDS)), [f"{k}（{sum(c.kind == k for c in cases)} 个）" for k in KINDS])
    axes.set_xlim(-0.6, len(KINDS) - 0.2)
    axes.set_ylim(bottom=0)
    axes.set_ylabel("接电周期（工作日）")
    _cjk(axes)
    return figure


def figure_units(cases: list[CaseSummary]):
    """Cases per unit, within target and not, with the share within target."""
    figure, axes = _axes()
    units = sorted({_short(c.company) for c in cases if c.kind})
    within = [sum(c.within_target for c in cases if _short(c.company) == u) for u in units]
    missed = [sum(c.kind is not None and not c.within_target for c in cases if _short(c.company) == u)
              for u in units]
    axes.bar(units, within, color=OK_COLOUR, label="达到服务目标")
    axes.bar(units, missed, bottom=within, color=MISSED, label="未达服务目标")
    for x, (good, bad) in enumerate(zip(within, missed, strict=True)):
        if good + bad:
            axes.text(x, good + bad, f"{good / (good + bad):.0%}", ha="center", va="bottom", fontsize=8)
    axes.set_ylabel("案例数")
    _counts(axes)
    _legend(axes, [("达到服务目标", OK_COLOUR), ("未达服务目标", MISSED)])
    _cjk(axes)
    return figure


def figure_cost(cases: list[CaseSummary]):
    """The utility's works cost in 万元 by kind: the total, and the mean per case."""
    figure, axes = _axes()
    for position, kind in enumerate(KINDS):
        costs = [c.cost_wan or 0.0 for c in cases if c.kind == kind]
        axes.bar(position, sum(costs), color=KIND_COLOURS[kind], alpha=0.6)
        mean = f"，每户 {sum(costs) / len(costs):.2f}" if costs else ""
        axes.text(position, sum(costs), f"合计 {sum(costs):.2f}{mean}", ha="center", va="bottom", fontsize=8)
    axes.set_xticks(range(len(KINDS)), KINDS)
    axes.set_ylabel("工程费用（万元，供电企业出资）")
    _cjk(axes)
    return figure


def figure_evidence(cases: list[CaseSummary]):
    """Share of cases whose evidence is complete and checks out, by unit."""
    figure, axes = _axes()
    units = sorted({_short(c.company) for c in cases})
    shares = []
    for unit in units:
        group = [c for c in cases if _short(c.company) == unit]
        shares.append(sum(c.evidence_complete for c in group) / len(group))
    axes.barh(units, shares, color=OK_COLOUR)
    for y, share in enumerate(shares):
        axes.text(share, y, f" {share:.0%}", va="center", fontsize=8)
    axes.set_xlim(0, 1.1)
    axes.set_xlabel("实证材料齐全、核查无误的案例占比")
    if not any(shares):  # bars of no length: said, not an empty frame
        axes.text(0.55, (len(units) - 1) / 2, "各供电单位均为 0%：\n还没有实证材料齐全、核查无误的案例",
                  ha="center", va="center", fontsize=10, color=MISSED)
    _cjk(axes)
    return figure


def figure_months(cases: list[CaseSummary]):
    """Cases by month of acceptance, stacked by kind."""
    figure, axes = _axes()
    months = sorted({c.accepted.strftime("%Y-%m") for c in cases if c.accepted and c.kind})
    bottom = [0] * len(months)
    for kind in KINDS:
        counts = [sum(c.kind == kind and c.accepted.strftime("%Y-%m") == m for c in cases if c.accepted)
                  for m in months]
        axes.bar(months, counts, bottom=bottom, color=KIND_COLOURS[kind], label=kind)
        bottom = [b + n for b, n in zip(bottom, counts, strict=True)]
    axes.set_ylabel("受理案例数")
    _counts(axes)
    _legend(axes, [(kind, KIND_COLOURS[kind]) for kind in KINDS])
    if len(months) > 8:
        axes.tick_params(axis="x", labelrotation=45)
    _cjk(axes)
    return figure


FIGURES = (
    ("days", "各案例接电周期与时限（按工程类别；红点为超过时限）", figure_days),
    ("units", "各供电单位案例数及达到服务目标的比例", figure_units),
    ("cost", "供电企业出资的工程费用（按工程类别）", figure_cost),
    ("evidence", "各供电单位实证材料齐全、核查无误的比例", figure_evidence),
    ("months", "按受理月份的案例数", figure_months),
)


def svg_of(figure) -> str:
    """The figure as inline SVG: text drawn as paths (no font needed to read it), no date."""
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "path", "svg.hashsalt": "casegen"}):
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    text = text[text.index("<svg"):]
    # inline in HTML the namespaces are implied, and the RDF block only names them: no address
    # is left in the page (it must open offline, and an auditor can check it has no links)
    text = re.sub(r"\s*<metadata>.*?</metadata>", "", text, flags=re.S)
    return re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", text)


def png_of(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=150)
    return buffer.getvalue()


# --- the tables -------------------------------------------------------------------------------

def missed_rows(cases: list[CaseSummary]) -> list[dict]:
    return [{"customer": c.customer, "unit": _short(c.company), "kind": c.kind,
             "days": f"{c.working_days}/{c.limit_days}", "target": f.declared.title,
             "what": f.message, "clause": str(f.clause)}
            for c in cases for f in c.of_class(FindingClass.TARGET)]


def data_rows(cases: list[CaseSummary]) -> list[dict]:
    return [{"customer": c.customer, "file": str(c.path), "class": f.cls.value, "line": f.line or "",
             "what": said(f), "clause": f.clause.short}
            for c in cases for f in c.of_class(FindingClass.DATA, FindingClass.SCOPE)]


def evidence_rows(cases: list[CaseSummary]) -> list[dict]:
    return [{"customer": c.customer, "unit": _short(c.company), "count": len(problems),
             "what": [said(f) for f in problems]}
            for c in cases if c.kind and (problems := c.of_class(FindingClass.EVIDENCE))]


# --- comparing with the last report -----------------------------------------------------------

def _same_everywhere(text: str) -> str:
    """A finding as the next report must recognise it: folder names dropped (the same folder
    read from elsewhere is the same folder)."""
    return re.sub(r"[^\s（(：:，,；;“”]*/", "", text)


def _keys(cases: list[CaseSummary]) -> list[str]:
    """Who each case is about, across reports: 户号 and name; a second case with both the same
    (itself a finding) gets a number."""
    seen: Counter = Counter()
    keys = []
    for case in cases:
        key = f"{case.account or ''}｜{case.customer}"
        seen[key] += 1
        keys.append(key if seen[key] == 1 else f"{key}｜{seen[key]}")
    return keys


def snapshot(selection: Selection) -> dict:
    """What the next report compares with: each case's file digest and findings."""
    return {"casegen_report": 1, "period": str(selection.period),
            "cases": {key: {"customer": c.customer, "digest": c.digest,
                            "findings": sorted({f"{f.rule}｜{_same_everywhere(f.text)}" for f in c.findings
                                                if f.is_error})}
                      for key, c in zip(_keys(selection.current), selection.current, strict=True)}}


MAX_SNAPSHOT_BYTES = 500_000_000
START_TAG = f'<script type="application/json" id="{SNAPSHOT_ID}">'


def read_snapshot(path) -> dict:
    """The snapshot inside an earlier report (.html) or written beside it (.json); a ValueError
    in Chinese for anything else."""
    try:
        if path.is_dir():
            raise ValueError("这是一个文件夹，应为上期的报告文件（.html）")
        if path.stat().st_size > MAX_SNAPSHOT_BYTES:
            raise ValueError("文件过大，不是 casegen 的报告")
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as e:
        raise ValueError(os_reason(e)) from None
    except UnicodeDecodeError:
        raise ValueError("不是 UTF-8 文本，不是 casegen 的报告") from None
    start = text.find(START_TAG)
    if start >= 0:  # found by position, not a pattern: a hostile file cannot make it slow
        end = text.find("</script>", start)
        text = text[start + len(START_TAG):end if end >= 0 else None].replace("<\\/", "</")
    elif path.suffix.lower() in (".html", ".htm"):
        raise ValueError("文件中没有 casegen 报告的快照")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise ValueError("不是 casegen 报告的快照（JSON 无法读取）") from None
    if not _is_snapshot(data):
        raise ValueError("不是 casegen 报告的快照")
    return data


def _is_snapshot(data) -> bool:
    if not isinstance(data, dict) or not isinstance(data.get("cases"), dict):
        return False
    if not isinstance(data.get("period", ""), str):
        return False
    return all(isinstance(case, dict) and isinstance(case.get("customer"), str)
               and isinstance(case.get("digest"), str) and isinstance(case.get("findings"), list)
               and all(isinstance(f, str) for f in case["findings"]) for case in data["cases"].values())


def compare(selection: Selection, earlier: dict) -> dict:
    now = snapshot(selection)["cases"]
    before = earlier["cases"]
    changed, new_findings, resolved = [], [], []
    for key, case in now.items():
        if key in before:
            old = before[key]
            if old["digest"] != case["digest"]:
                changed.append(case["customer"])
            new_findings += [(case["customer"], f) for f in case["findings"] if f not in old["findings"]]
            resolved += [(case["customer"], f) for f in old["findings"] if f not in case["findings"]]
    return {"period": earlier.get("period", ""),
            "new": [now[k]["customer"] for k in now if k not in before],
            "gone": [before[k]["customer"] for k in before if k not in now],
            "changed": changed, "new_findings": new_findings, "resolved": resolved}


# --- the page ---------------------------------------------------------------------------------

PAGE = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif; color: #222;
       max-width: 190mm; margin: 0 auto; padding: 8mm; line-height: 1.5; }
h1 { font-size: 20pt; margin: 0 0 2mm; } h2 { font-size: 14pt; border-bottom: 2px solid #4c78a8;
     margin: 8mm 0 3mm; padding-bottom: 1mm; }
.meta { color: #555; font-size: 10pt; }
.figures { display: grid; grid-template-columns: repeat(4, 1fr); gap: 3mm; margin: 4mm 0; }
.figure-box { border: 1px solid #ddd; border-radius: 2mm; padding: 2mm 3mm; }
.figure-box b { display: block; font-size: 16pt; } .figure-box span { font-size: 9pt; color: #555; }
.bad b { color: #c00000; }
figure { margin: 3mm 0; break-inside: avoid; } figure svg { width: 100%; height: auto; }
figcaption { font-size: 10pt; color: #333; font-weight: bold; }
table { border-collapse: collapse; width: 100%; font-size: 9pt; margin: 2mm 0 4mm; }
th, td { border: 1px solid #ccc; padding: 1mm 1.5mm; vertical-align: top; text-align: left; }
th { background: #eef3f8; white-space: nowrap; } tr { break-inside: avoid; } .nw { white-space: nowrap; }
.none { color: #555; font-size: 10pt; } ul.tight { margin: 0; padding-left: 4mm; }
@media print { @page { size: A4; margin: 12mm; } body { max-width: none; padding: 0; }
  h2 { break-after: avoid; } .figures { grid-template-columns: repeat(4, 1fr); } }
</style></head><body>
<h1>{{ title }}</h1>
<p class="meta">期间（按受理日期）：{{ period }}；本期 {{ cases|length }} 个案例（共读取 {{ files }} 个案例文件，
期间外 {{ outside }} 个）{% if broken %}；其中 {{ broken }} 个案例有数据错误、未能读全，
已计入并在下文列出{% endif %}。<br>
依据 {{ notice }}；生成于 {{ made }}。</p>
<div class="figures">
{% for box in boxes %}<div class="figure-box{{ ' bad' if box.bad }}">
<b>{{ box.value }}</b><span>{{ box.label }}</span></div>
{% endfor %}</div>

<h2>与上期比较</h2>
{% if comparison %}<p class="meta">上期报告：{{ comparison.period }}</p>
<table><tr><th>新增案例</th><td>{{ comparison.new|length }}</td><td>{{ comparison.new|join("、") }}</td></tr>
<tr><th>有改动的案例</th><td>{{ comparison.changed|length }}</td><td>{{ comparison.changed|join("、") }}</td></tr>
<tr><th>上期有、本期没有的案例</th><td>{{ comparison.gone|length }}</td><td>{{ comparison.gone|join("、") }}</td></tr>
<tr><th>新出现的问题</th><td>{{ comparison.new_findings|length }}</td><td><ul class="tight">
{% for who, what in comparison.new_findings %}<li>{{ who }}：{{ what }}</li>{% endfor %}</ul></td></tr>
<tr><th>已解决的问题</th><td>{{ comparison.resolved|length }}</td><td><ul class="tight">
{% for who, what in comparison.resolved %}<li>{{ who }}：{{ what }}</li>{% endfor %}</ul></td></tr></table>
{% else %}<p class="none">{{ no_comparison }}</p>{% endif %}

<h2>图表</h2>
{% for caption, svg in figures %}<figure><figcaption>{{ caption }}</figcaption>{{ svg|safe }}</figure>
{% endfor %}

<h2>未达服务目标的案例（{{ missed|length }} 项）</h2>
{% if missed %}<table><thead><tr><th>客户</th><th>供电单位</th><th>工程类别</th><th>接电周期/时限</th>
<th>目标</th><th>情况</th><th>依据</th></tr></thead>
{% for r in missed %}<tr><td>{{ r.customer }}</td><td class="nw">{{ r.unit }}</td><td>{{ r.kind }}</td>
<td class="nw">{{ r.days }}</td>
<td>{{ r.target }}</td><td>{{ r.what }}</td><td>{{ r.clause }}</td></tr>{% endfor %}</table>
{% else %}<p class="none">没有。</p>{% endif %}

<h2>数据错误与适用范围问题（{{ data|length }} 项）</h2>
{% if data %}<table><thead><tr><th>客户</th><th>案例文件</th><th>行</th><th>类别</th><th>问题</th><th>依据</th></tr>
</thead>
{% for r in data %}<tr><td>{{ r.customer }}</td><td>{{ r.file }}</td><td>{{ r.line }}</td>
<td class="nw">{{ r.class }}</td>
<td>{{ r.what }}</td><td>{{ r.clause }}</td></tr>{% endfor %}</table>
{% else %}<p class="none">没有。</p>{% endif %}

<h2>实证材料有问题的案例（{{ evidence|length }} 个）</h2>
{% if evidence %}<table><thead><tr><th>客户</th><th>供电单位</th><th>问题数</th><th>问题</th></tr></thead>
{% for r in evidence %}<tr><td>{{ r.customer }}</td><td class="nw">{{ r.unit }}</td><td>{{ r.count }}</td>
<td><ul class="tight">{% for w in r.what %}<li>{{ w }}</li>{% endfor %}</ul></td></tr>{% endfor %}</table>
{% else %}<p class="none">没有。</p>{% endif %}
<script type="application/json" id="{{ snapshot_id }}">{{ snapshot_json|safe }}</script>
</body></html>
"""


def _boxes(cases: list[CaseSummary]) -> list[dict]:
    typed = [c for c in cases if c.kind]
    kinds = Counter(c.kind for c in typed)
    within = sum(c.within_target for c in typed)
    complete = sum(c.evidence_complete for c in typed)
    cost = sum(c.cost_wan or 0 for c in typed)
    return [
        {"value": len(cases), "label": "案例数 · " + "、".join(f"{k} {kinds[k]}" for k in KINDS), "bad": False},
        {"value": f"{within / len(typed):.0%}" if typed else "—",
         "label": f"达到服务目标（{within}/{len(typed)}）", "bad": within < len(typed)},
        {"value": f"{complete / len(typed):.0%}" if typed else "—",
         "label": f"实证材料齐全、核查无误（{complete}/{len(typed)}）", "bad": complete < len(typed)},
        {"value": f"{cost:.2f}", "label": "供电企业出资工程费用（万元）", "bad": False},
    ]


def _period_text(selection: Selection) -> str:
    days = sorted(c.accepted for c in selection.current if c.accepted)
    if selection.period.start or selection.period.end:
        return str(selection.period)
    return f"{days[0]} 至 {days[-1]}（全部案例）" if days else "（没有案例）"


def html_report(selection: Selection, earlier: dict | None = None, *, title: str = "低压小微企业接电情况统计") -> str:
    cases = selection.current
    figures = [(caption, svg_of(draw(cases))) for _, caption, draw in FIGURES] if cases else []
    comparison = compare(selection, earlier) if earlier else None
    if comparison is None and selection.previous is not None:
        before = selection.period.previous()
        previous_within = sum(c.within_target for c in selection.previous)
        no_comparison = (f"上期（{before}）{len(selection.previous)} 个案例，其中 {previous_within} 个达到服务目标。"
                         "用 --previous 上期统计.html 可逐案比较新增、改动和已解决的问题。")
    else:
        no_comparison = "未给出上期报告（--previous 上期统计.html），不做逐案比较。"
    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    snapshot_json = json.dumps(snapshot(selection), ensure_ascii=False).replace("</", "<\\/")
    return environment.from_string(PAGE).render(
        title=title, period=_period_text(selection), cases=cases, files=selection.files,
        outside=selection.outside, broken=sum(c.kind is None for c in cases), notice=NOTICE,
        made=dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M"), boxes=_boxes(cases),
        comparison=comparison, no_comparison=no_comparison, figures=figures,
        missed=missed_rows(cases), data=data_rows(cases), evidence=evidence_rows(cases),
        snapshot_id=SNAPSHOT_ID, snapshot_json=snapshot_json)


def write_workbook(selection: Selection, target) -> None:
    """The same tables and charts as the page, in a workbook."""
    cases = selection.current
    book = Workbook(write_only=False)
    book.remove(book.active)
    summary = book.create_sheet("概况")
    summary.append(["期间（按受理日期）", _period_text(selection)])
    for box in _boxes(cases):
        summary.append([box["label"], box["value"]])
    summary.column_dimensions["A"].width = 60
    _plain_table(book, "未达服务目标", ["客户", "供电单位", "工程类别", "接电周期/时限", "目标", "情况", "依据"],
                 [list(r.values()) for r in missed_rows(cases)])
    _plain_table(book, "数据与范围问题", ["客户", "案例文件", "类别", "行", "问题", "依据"],
                 [[r["customer"], r["file"], r["class"], r["line"], r["what"], r["clause"]] for r in data_rows(cases)])
    _plain_table(book, "实证材料问题", ["客户", "供电单位", "问题数", "问题"],
                 [[r["customer"], r["unit"], r["count"], "；".join(r["what"])] for r in evidence_rows(cases)])
    charts = book.create_sheet("图表")
    row = 1
    for _, caption, draw in FIGURES if cases else ():
        charts.cell(row=row, column=1, value=caption)
        picture = SheetImage(io.BytesIO(png_of(draw(cases))))
        charts.add_image(picture, f"A{row + 1}")
        row += 22
    with atomic_path(target) as temporary:
        book.save(temporary)


def _plain_table(book, title: str, columns: list[str], rows: list[list]) -> None:
    sheet = book.create_sheet(title)
    sheet.append(columns)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for values in rows:
        sheet.append([f"'{v}" if isinstance(v, str) and v.startswith(FORMULA_STARTS) else v for v in values])
    for index, column in enumerate(columns, start=1):
        widths = [display_width(column)] + [display_width(r[index - 1]) for r in rows[:300]]
        sheet.column_dimensions[get_column_letter(index)].width = min(max(widths) + 2, 60)
    sheet.freeze_panes = "A2"

