"""A document of words and tables, as the company's bulletin is built before it is written (the
layouts in outputs.bulletin read it): plain values, no library to import."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Table:
    title: str
    headers: tuple[str, ...]
    rows: list[tuple]
    empty: str = "没有。"  # said instead of an empty table


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
    chart: list[tuple[str, float | None]]  # unit → share of cases within target, for the page's chart

    @property
    def tables(self) -> list[Table]:
        return [table for section in self.sections for table in section.tables]
