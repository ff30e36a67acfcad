"""Chinese names in the order Excel users expect: by pinyin (九龙坡, 沙坪坝, 市北, 市区), not by
character code."""

from __future__ import annotations

from functools import cache


@cache
def pinyin_key(text: str | None) -> tuple:
    """Sort key: the pinyin of each character with tone number, then the text itself to break ties."""
    if not text:
        return ((), "")
    from pypinyin import Style, lazy_pinyin

    return (tuple(lazy_pinyin(str(text), style=Style.TONE3, errors="default")), str(text))
