"""`casegen import` of a large 附件2 table: rows per second (target at least 5,000).

    python bench/bench_import.py [--rows 20000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import tempfile
import time
from pathlib import Path

TARGET_ROWS_PER_S = 5_000


def make_table(path: Path, rows: int) -> None:
    from openpyxl import Workbook

    from casegen.case.annex2 import HEADERS

    book = Workbook(write_only=True)
    sheet = book.create_sheet("附件2")
    sheet.append(list(HEADERS))
    for n in range(rows):
        values = {"供电单位": "国网重庆市电力公司市区供电分公司", "所在单位": "解放碑供电所",
                  "户号": f"51{n:08d}", "户名": f"重庆第{n}号商店有限公司", "用电地址": f"重庆市-渝中区-民族路-{n}号",
                  "联系电话": "13800000000", "申请方式": "网上国网", "是否小微企业": "是",
                  "工程资金来源": "供电企业", "工程金额（万元）": 1.25, "业务类型": "新装", "行业分类": "零售业",
                  "用电类别": "一般工商业", "容量（kVA）": 30, "电压等级": "380V",
                  "业务受理时间": dt.datetime(2025, 3, 3), "工程实施时间": dt.datetime(2025, 3, 5),
                  "工程竣工时间": dt.datetime(2025, 3, 6), "装表送电时间": dt.datetime(2025, 3, 6),
                  "城乡类别": "城市"}
        sheet.append([values.get(h) for h in HEADERS])
    book.save(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    args = parser.parse_args()
    from casegen.outputs.imported import import_table

    with tempfile.TemporaryDirectory() as folder:
        table = Path(folder) / "附件2.xlsx"
        make_table(table, args.rows)
        start = time.perf_counter()
        report = import_table(table, Path(folder) / "cases")
        elapsed = time.perf_counter() - start
    rate = args.rows / elapsed
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"imported {len(report.written)} of {args.rows} rows in {elapsed:.1f} s: {rate:.0f} rows/s "
          f"(target {TARGET_ROWS_PER_S}, ratio {rate / TARGET_ROWS_PER_S:.2f}); peak memory {peak:.0f} MB")


if __name__ == "__main__":
    main()
