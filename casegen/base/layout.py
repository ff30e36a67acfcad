"""A document of words and tables, as the company's bulletin is built before it is written (the
layouts in outputs.bulletin read it): plain values, no library to import. A cell is text, a
number, a date, a time or a `Share`; each layout shows it its own way (a workbook keeps numbers
as numbers, shares as percentages and dates as dates)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Share:
    """`done` of `of`: shown "2/3（67%）"; a workbook holds the fraction, formatted as a percentage."""

    done: int
    of: int

    @property
    def fraction(self) -> float | None:
        return self.done / self.of if self.of else None

    def __str__(self) -> str:
        return f"{self.done}/{self.of}（{self.done / self.of:.0%}）" if self.of else "—"


def cell_text(value: object) -> str:
    """A cell as the document and the page show it."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return f"{value:%Y-%m-%d %H:%M}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


@dataclass(frozen=True)
class Table:
    title: str
    headers: tuple[str, ...]
    rows: list[tuple[object, ...]]
    empty: str = "没有。"  # said instead of an empty table
    keep: tuple[int, ...] = ()  # columns whose cells never wrap (a unit's name on one line)


@dataclass(frozen=True)
class Section:
    heading: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)


@dataclass(frozen=True)
class BulletinDocument:
    title: str
    period_line: str
    sections: list[Section]
    issuer: str
    issued: str  # 2026年12月4日
    chart: list[tuple[str, float | None]]  # unit → share of projects within the limit, for the page's chart
    number: str | None = None  # 发文字号, 渝电客服〔2025〕12号
    addressee: str = "各供电单位："  # 主送
    copied_to: str | None = None  # 抄送
    printed_by: str | None = None  # 印发机关 (the issuer when not given)
    title_break: int | None = None  # where the title breaks onto its second line in print

    @property
    def title_lines(self) -> list[str]:
        if not self.title_break:
            return [self.title]
        return [self.title[:self.title_break], self.title[self.title_break:]]

    @property
    def tables(self) -> list[Table]:
        return [table for section in self.sections for table in section.tables]

    @property
    def imprint(self) -> str:
        """The 版记's last line: who printed it, and when (GB/T 9704 7.3.5)."""
        return f"{self.printed_by or self.issuer}\t{self.issued}印发"
