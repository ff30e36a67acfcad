"""`casegen store`: what the company's store holds."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from casegen.base.terminal import printable, printable_json
from casegen.cli.common import EXIT_OK, period_arguments, period_of
from casegen.service.store import store_listing

BEIJING = dt.timezone(dt.timedelta(hours=8))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("store", type=Path, help="收存库文件夹")
    parser.add_argument("--unit", help="只列这个供电单位（并列出其案例）")
    period_arguments(parser)
    parser.add_argument("--json", action="store_true", help="输出 JSON")


def run(args: argparse.Namespace) -> int:
    listing = store_listing(args.store, unit=args.unit, period=period_of(args))
    if args.json:
        print(printable_json({"units": listing.units, "revisions": listing.revisions, "cases": listing.cases,
                              "changes": listing.changes}))
        return EXIT_OK
    print(printable(f"{args.store}：{len(listing.units)} 个供电单位"))
    for unit in listing.units:
        print(printable(f"  {unit['unit']}：{unit['periods']} 期，{unit['revisions']} 个包"))
    for r in listing.revisions:
        flagged = f"，须核查的变化 {r['flagged']} 处" if r["flagged"] else ""
        ledger = f"附件2 {r['projects']} 个项目（{r['ledger']}）" if not r["ledger_problem"] else \
            f"附件2 无法读取（{r['ledger_problem']}）"
        print(printable(f"  {r['unit']} {r['start']} 至 {r['end']} 第 {r['number']} 版：{ledger}，"
                        f"{r['cases']} 个典型案例，收到于 {_beijing(r['received'])}{flagged}（{r['path']}）"))
    for c in listing.cases:
        days = f"{c['working_days']}/{c['limit_days']} 个工作日" if c["working_days"] is not None else "周期未知"
        print(printable(f"    {c['unit']} {c['start']} 第 {c['revision']} 版  户号 {c['account'] or '未填写'}  "
                        f"{c['customer']}  {c['kind'] or '（未能读全）'}  受理 {c['accepted'] or '?'}  {days}  "
                        f"数据错误 {c['数据错误']}  适用范围 {c['适用范围']}  服务目标 {c['服务目标']}  "
                        f"实证材料 {c['实证材料']}"))
    if listing.changes:
        print(printable(f"  须核查的变化 {len(listing.changes)} 处："))
    for g in listing.changes:
        edited = g["change"] == "修改"
        what = g["label"] if edited else g["change"] + (f" {g['field']}" if g["field"] else "")
        values = f"：{g['old'] or '空'} → {g['new'] or '空'}" if edited else ""
        print(printable(f"    {g['unit']} 户号 {g['account'] or '未填写'}（{g['item']} {g['place']}）"
                        f"{what}{values}；{g['start']} 至 {g['end']} 第 {g['revision']} 版，"
                        f"收到于 {_beijing(g['received'])}"))
    return EXIT_OK


def _beijing(moment: str) -> str:
    """A stored time (ISO, with its zone) as Beijing time to the minute."""
    try:
        return dt.datetime.fromisoformat(moment).astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return moment
