"""The one cleaner for data on its way to a terminal (and into a finding's words, a CSV cell, a
page's message): whatever someone else wrote — a review comment, a customer's name from a
package, a file name — is shown, never obeyed.

C0 and C1 controls (ESC starts the sequences that clear the screen or set the window's title;
CR goes back over a line; 0x9b is the 8-bit CSI), DEL, bidi overrides and isolates (they reorder
what is shown), line and paragraph separators and the BOM are written out as Python writes them
(`\\r`, `\\x1b`, `\\u202e`), as `receive` shows a package's names: what was there can still be
read, and a line printed stays one line. A tab stays a tab: it moves to a column, nothing more.
"""

from __future__ import annotations

import json
import re

UNSAFE_CHARS = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069"
                          r"\u2028\u2029\ufeff]")
_NAMED = {"\n": "\\n", "\r": "\\r"}
_BEYOND_JSON = re.compile(r"[\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ufeff]")  # JSON leaves these


def printable(value: object) -> str:
    """`value` as text that is safe on one line of a terminal."""
    return UNSAFE_CHARS.sub(_written_out, str(value))


def _written_out(found: re.Match[str]) -> str:
    char = found.group()
    code = ord(char)
    return _NAMED.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def printable_json(data: object) -> str:
    """`data` as indented JSON for a terminal or a program: the same characters escaped, as
    JSON escapes them (`\\u001b`, `\\u202e`), so the program reads the data exactly as it is."""
    text = json.dumps(data, ensure_ascii=False, indent=2)  # C0 escaped in strings; a line end is layout
    return _BEYOND_JSON.sub(lambda found: f"\\u{ord(found.group()):04x}", text)
