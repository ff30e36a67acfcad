"""`casegen booklet`: the 典型案例汇编 for the publicity team (通知四（二）3：选取服务成效最好的
典型案例……同步做好宣传报道工作): chosen cases, public copies by default, one PDF (and .docx) with
a cover, a contents page whose page numbers are the PDF's, a summary of the numbers, and each
case from the 附件3 template on pages of its own."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import statistics
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from casegen.base.collation import pinyin_key
from casegen.base.errors import PdfFailed, UsageError, os_reason
from casegen.base.period import Period
from casegen.base.policy import Product
from casegen.base.writing import atomic_path, safe_name
from casegen.case.model import Kind
from casegen.case.reading import CaseFile
from casegen.case.redact import redact
from casegen.checks.history import APPROVED, read_history
from casegen.company import bulletin as figures
from casegen.company import package as pkg
from casegen.company.bulletin_document import ISSUER as BULLETIN_ISSUER
from casegen.office.pdf import to_pdf
from casegen.outputs.booklet import SUMMARY_TITLE, BookletDocument, Cover, Layout, SummaryTable, pdf_layout
from casegen.service.cases import customer_name, gather, open_calendar, output_stems
from casegen.service.documents import render_one
from casegen.service.store import EVER, open_store
from casegen.service.summary import accepted

TITLE = "国网重庆市电力公司低压小微企业典型案例汇编"
ISSUER = BULLETIN_ISSUER  # the bulletin's signature: the same 客服中心 issues both
PENDING_RULE = "feedback-missing"


@dataclass
class Chosen:
    """A case in the booklet: its customer, kind, days, and the page it starts on."""

    path: Path
    customer: str
    kind: str
    working_days: int
    limit_days: int
    customer_cost_yuan: float | None
    page: int = 0


@dataclass
class Booklet:
    """What `booklet` made: the cases in it (in order, with their pages), the ones refused
    (with why), the summary's page (None without one), and the files written."""

    cases: list[Chosen]
    refused: list[tuple[Path, str]]
    summary_page: int | None
    pages: int
    written: list[Path] = field(default_factory=list)


def booklet(folder: Path, target: Path, *, accounts: list[str] | None = None, period: Period | None = None,
            title: str = TITLE, issuer: str = ISSUER, date: dt.date | None = None, public: bool = True,
            allow_marks: bool = False, summary: bool = True, docx: Path | None = None,
            calendar_file: Path | None = None, reviewed: bool = False) -> Booklet:
    """The booklet of the cases of `folder` chosen by 户号 (`accounts`, in that order) or by
    acceptance date (`period`), else all of them, by acceptance date; with `reviewed`, only
    those whose review state (the workbench's history) is 已审核. A case with data or scope
    errors is refused, and one with red marks (pending customer words, evidence gaps, missed
    targets) unless `allow_marks`; a public booklet (the default: the copies of `--redact`)
    never carries pending customer words. Nothing is written when no case is left."""
    if not folder.is_dir():
        raise UsageError(f"找不到案例文件夹：{folder}")
    if not title.strip() or not issuer.strip():
        raise UsageError("封面的标题（--title）和编印单位（--issuer）不能为空")
    for output in [target] + ([docx] if docx else []):
        writable(output)  # before the work, not after it
    run = gather([folder], open_calendar([folder], calendar_file))
    refused: list[tuple[Path, str]] = []
    ready = []
    for case_file in _choose(run.cases, accounts, period):
        if reviewed and read_history(case_file.path).state != APPROVED:
            refused.append((case_file.path, "审核状态不是“已审核”"))
            continue
        stops = case_file.stopped(Product.RENDER)
        if stops:
            refused.append((case_file.path, "数据有错误或超出适用范围：" + "；".join(f.message for f in stops[:3])))
        elif public and (pending := [f for f in case_file.findings if f.rule == PENDING_RULE]):
            refused.append((case_file.path, f"客户反馈 {len(pending)} 处待补充：公开的汇编不能带“【待补充】”"))
        else:
            ready.append(case_file)

    with tempfile.TemporaryDirectory(prefix="casegen-booklet-") as scratch_name:
        scratch = Path(scratch_name)
        documents, cases = [], []
        for case_file, stem in zip(ready, output_stems(ready, redact=public), strict=True):
            shown = case_file
            if public:
                shown = CaseFile(case_file.path, redact(case_file.case), case_file.lines, case_file.findings,
                                 case_file.facts)
            rendered = render_one(shown, scratch, stem, redact=public)
            if rendered.marks and not allow_marks:
                marks = "；".join(rendered.marks)
                refused.append((case_file.path, f"文档中有红色标记（--allow-marks 可照样收入）：{marks}"))
                continue
            documents.append(rendered.outputs[0])
            cases.append(_chosen(case_file))
        if not cases:
            return Booklet([], refused, None, 0)

        table = _summary(cases) if summary else None
        entries = ([SUMMARY_TITLE] if table else []) + [f"——{c.customer}" for c in cases]
        made = BookletDocument(documents, Cover(title, issuer, date or dt.date.today()), entries, table)
        pages, layout = _paginate(made, len(entries), scratch)
        written = [target] + ([docx] if docx else [])
        with contextlib.ExitStack() as both:  # both renamed into place, or neither
            pdf_temporary = both.enter_context(atomic_path(target))
            pdf_temporary.write_bytes(layout.pdf.read_bytes())
            if docx is not None:
                made.write(both.enter_context(atomic_path(docx)))
    for case, page in zip(cases, pages[-len(cases):], strict=True):
        case.page = page
    return Booklet(cases, refused, pages[0] if table else None, layout.pages, written)





def store_cases(store: Path, scratch: Path, *, period: Period | None = None, accounts: list[str] | None = None,
                allow_flagged: bool = False) -> tuple[list[str], list[tuple[Path, str]]]:
    """The company's side of the booklet: the latest revision of each typical case in the store
    (of `period`, or the cases of these 户号), written under `scratch`, one folder each; a case
    with a 须核查 change or a callback the customer disputed is left out, with why, unless
    `allow_flagged`. Returns the 户号 in order and what was left out."""
    connection = open_store(store)
    try:
        asked = Period((period and period.start) or EVER.start, (period and period.end) or EVER.end)
        cases = figures.stored_cases(connection, asked)
        changes = figures.flagged_changes(connection, EVER)
        calls = figures.callbacks(connection)
    finally:
        connection.close()
    if accounts:
        unknown = [a for a in accounts if a not in {c.account for c in cases}]
        if unknown:
            raise UsageError(f"收存库中没有这些户号的典型案例：{'、'.join(unknown)}")
        cases = [c for a in dict.fromkeys(accounts) for c in cases if c.account == a]
    chosen, refused, extracted = [], [], {}
    for case in sorted(cases, key=lambda c: (c.accepted or dt.date.max, pinyin_key(c.customer))):
        where = Path(case.unit) / case.folder.removeprefix("cases/")
        reasons = [f"报送后改动了{c.label}（{c.old or '空'} → {c.new or '空'}，{c.received:%Y-%m-%d} 收到的第 "
                   f"{c.revision} 版）" for c in changes if c.unit == case.unit and c.account == case.account]
        reasons += [f"客服中心回访（{call.called}）客户不认可{'、'.join(call.disagrees)}"
                    for call in calls.get((case.unit, case.account or ""), []) if call.disagrees]
        disputed = figures.unit_disagrees(case)
        reasons += [f"单位回访客户不认可{'、'.join(disputed)}"] if disputed else []
        if reasons and not allow_flagged:
            refused.append((where, "；".join(reasons) + "（--allow-flagged 可照样收入）"))
            continue
        if case.package not in extracted:
            extracted[case.package] = pkg.extract_cases(pkg.verify(store / case.package),
                                                        scratch / f"package-{len(extracted)}").parent
        source = extracted[case.package] / case.folder
        shutil.copytree(source, scratch / "cases" / f"{len(chosen):03d}-{safe_name(case.unit)}-{source.name}")
        chosen.append(case.account or "")
    return chosen, refused


def booklet_of_store(store: Path, target: Path, *, accounts: list[str] | None = None, period: Period | None = None,
                     allow_flagged: bool = False, **options) -> Booklet:
    """`casegen booklet STORE`: the booklet of the typical cases the 客服中心 received, each as
    last sent, leaving out (and naming, with why) those changed after sending or disputed by
    their customer, unless `allow_flagged`. `options` as `booklet` takes them."""
    with tempfile.TemporaryDirectory(prefix="casegen-booklet-store-") as scratch_name:
        scratch = Path(scratch_name)
        chosen, refused = store_cases(store, scratch, period=period, accounts=accounts, allow_flagged=allow_flagged)
        if not chosen:
            return Booklet([], refused, None, 0)
        made = booklet(scratch / "cases", target, accounts=chosen if accounts else None, **options)
    made.refused[:0] = refused
    return made


def _paginate(made: BookletDocument, entries: int, scratch: Path) -> tuple[list[int], Layout]:
    """The contents' page numbers: LibreOffice lays the booklet out, the PDF's bookmarks say
    where each entry starts, the numbers are written in and the layout read once more (the
    numbers' widths could move a line; they are stable at the second reading). A blank page
    goes before the body when it would start on a left-hand page."""
    pages, blank = [0] * entries, False
    for _ in range(4):
        made.set_pages(pages)
        made.set_blank_page(blank)
        draft = made.save(scratch / "汇编.docx")
        layout = pdf_layout(to_pdf(draft, scratch / "汇编.pdf"))
        if len(layout.starts) != entries:
            raise PdfFailed(f"汇编 PDF 的书签数 {len(layout.starts)} 与目录条目数 {entries} 不符，无法核对页码")
        shown = [start - layout.starts[0] + 1 for start in layout.starts]  # the body is numbered from 1
        left_hand = layout.starts[0] % 2 == 1  # sheets counted from 0: an odd one is a left-hand page
        if shown == pages and not left_hand:
            return pages, layout
        pages, blank = shown, blank or left_hand
    raise PdfFailed("汇编的页码在四次排版后仍未稳定")


def writable(target: Path) -> None:
    """A usage error now, naming the file, when `target` could not be written."""
    if target.is_dir():
        raise UsageError(f"{target} 是一个文件夹，不能写成文件")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UsageError(f"无法建立文件夹 {target.parent}：{os_reason(e)}") from None
    if not os.access(target.parent, os.W_OK) or (target.exists() and not os.access(target, os.W_OK)):
        raise UsageError(f"无法写入 {target}：没有写权限（或是只读的位置）")


def _choose(case_files: list[CaseFile], accounts: list[str] | None, period: Period | None) -> list[CaseFile]:
    if accounts:
        by_account: dict[str, list[CaseFile]] = {}
        for case_file in case_files:
            by_account.setdefault(_account(case_file), []).append(case_file)
        unknown = [a for a in accounts if a not in by_account]
        if unknown:
            unreadable = by_account.get("", [])
            told = (f"；另有 {len(unreadable)} 个案例文件读不出户号（如 {unreadable[0].path}），"
                    "先用 casegen validate 核对" if unreadable else "")
            raise UsageError(f"案例文件夹中没有这些户号：{'、'.join(unknown)}{told}")
        return [c for account in dict.fromkeys(accounts) for c in by_account[account]]
    chosen = [c for c in case_files if period is None or period.holds(accepted(c))]
    return sorted(chosen, key=lambda c: (accepted(c) or dt.date.max, pinyin_key(customer_name(c))))


def _account(case_file: CaseFile) -> str:
    if case_file.case is not None:
        return case_file.case.customer.account_no
    customer = (case_file.raw.data or {}).get("customer") if case_file.raw else None
    return str(customer.get("account_no", "")) if isinstance(customer, dict) else ""


def _chosen(case_file: CaseFile) -> Chosen:
    facts, case = case_file.facts, case_file.case
    return Chosen(case_file.path, case.customer.name, str(facts.kind), facts.working_days, facts.limit_days,
                  case.project.customer_cost_yuan)


def _summary(cases: list[Chosen]) -> SummaryTable:
    """The selected cases in numbers only: how many of each kind, their working days against
    the kind's limit, and what the customer paid."""
    counts = Counter(c.kind for c in cases)
    kinds = [k for k in Kind if counts[k.value]]
    within = sum(c.working_days <= c.limit_days for c in cases)
    works = [c for c in cases if Kind(c.kind).has_works]
    unpaid = sum(c.customer_cost_yuan == 0 for c in works)
    lines = [
        f"收入典型案例 {len(cases)} 个：" + "，".join(f"{k.value} {counts[k.value]} 个" for k in kinds) + "。",
        "时限为" + "、".join(f"{k.value} {k.limit_days} 天" for k in kinds)
        + "（通知二（二））；接电周期按典型案例模板的“个工作日”计，自受理申请的次日起，至装表接电之日止。",
        f"{within} 个案例在时限内接电" + (f"，{len(cases) - within} 个超过时限" if within < len(cases) else "") + "。",
    ]
    if works:
        lines.append(f"有外线工程的 {len(works)} 个案例中，客户出资为 0 元的 {unpaid} 个"
                     + (f"，{len(works) - unpaid} 个客户出资不为 0 元或未填写" if unpaid < len(works) else "") + "。")
    rows = [["工程类别", "案例数", "时限", "接电周期", "平均", "时限内", "客户出资 0 元"]]
    for kind in kinds:
        of_kind = [c for c in cases if c.kind == kind.value]
        days = [c.working_days for c in of_kind]
        rows.append([kind.value, str(len(of_kind)), f"{kind.limit_days}", f"{min(days)}—{max(days)}",
                     f"{statistics.mean(days):.1f}", f"{sum(d <= kind.limit_days for d in days)}",
                     f"{sum(c.customer_cost_yuan == 0 for c in of_kind)}" if kind.has_works else "不涉及"])
    lines.append("下表中的时限、接电周期（最短—最长）和平均均为工作日数。")
    return SummaryTable(lines, rows)
