"""A filled 监督回访 call sheet read back: its rows by header, as casegen's call sheet lays them
out (outputs.callsheet writes it); formulas come back as their text, for the caller to refuse."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook

SHEET, NOTES = "回访清单", "说明"
STATED = ("序号", "供电单位", "户名", "户号", "联系电话", "办理环节（案例所述）", "接电周期（案例所述）",
          "客户出资（案例所述）")
RESULT = ("回访日期", "回访人", "认可环节（是/否）", "认可时间（是/否）", "认可成本（是/否）", "客户原话")
HEADERS = STATED + RESULT
MAX_ROWS = 5_000


def read_call_sheet(path: Path) -> list[tuple[int, dict[str, object]]]:
    """The filled rows of a call sheet: (row number, cells by header). Formulas come back as
    their text (starting with '='), for the caller to refuse. ValueError when it is not a call
    sheet casegen made."""
    try:
        book = load_workbook(path, read_only=True, data_only=False)
    except Exception as e:  # openpyxl's many errors for a file that is not a workbook: one refusal
        raise ValueError(f"不是可以打开的 .xlsx 表格（{type(e).__name__}）") from None
    try:
        if SHEET not in book.sheetnames:
            raise ValueError(f"没有“{SHEET}”工作表：请使用 casegen callbacks sample 生成的清单")
        rows = book[SHEET].iter_rows(values_only=True)
        header = [str(v).strip() if v is not None else "" for v in next(rows, ())]
        missing = [h for h in ("供电单位", "户号", *RESULT) if h not in header]
        if missing:
            raise ValueError(f"缺少列：{'、'.join(missing)}")
        found = []
        for number, values in enumerate(rows, start=2):
            if number > MAX_ROWS + 1:
                raise ValueError(f"行数超过 {MAX_ROWS}")
            cells = {h: v for h, v in zip(header, values, strict=False) if h}
            if any(v not in (None, "") for v in cells.values()):
                found.append((number, cells))
        return found
    finally:
        book.close()
