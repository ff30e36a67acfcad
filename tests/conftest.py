"""Shared fixtures: every test runs inside its own tmp_path; example cases and converters."""

from __future__ import annotations

import copy
import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "cases"
CORPUS = Path(__file__).resolve().parent / "cases"


@pytest.fixture(autouse=True)
def _inside_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def example_paths() -> list[Path]:
    return sorted(EXAMPLES.glob("*/case.yaml"))


def load_valid() -> dict:
    """The valid corpus case (有外线有掘路, no evidence) as plain data to modify."""
    return yaml.safe_load((CORPUS / "valid.yaml").read_text(encoding="utf-8"))


@pytest.fixture
def valid_data() -> dict:
    return copy.deepcopy(load_valid())


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def write_case(folder: Path, data: dict, name: str = "case.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(yaml.safe_dump(_plain(data), allow_unicode=True, sort_keys=False),
                    encoding="utf-8")
    return path


def to_pdf(docx_files: list[Path], out_dir: Path) -> list[Path]:
    """PDFs as `render --pdf` makes them: casegen's faces, through this process's kept-alive
    LibreOffice (started once for the whole test session)."""
    from casegen.outputs.pdf import to_pdf as convert

    assert shutil.which("soffice"), "LibreOffice (soffice) is required: apt-get install libreoffice-writer-nogui"
    out_dir.mkdir(parents=True, exist_ok=True)
    return [convert(p, out_dir / f"{p.stem}.pdf") for p in docx_files]


def pdf_text(pdf: Path) -> str:
    result = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True,
                            capture_output=True, text=True)
    return result.stdout


def docx_text(path: Path) -> str:
    """Every paragraph of the body and of the tables, in order."""
    import docx

    document = docx.Document(str(path))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append(" | ".join(cell.text for cell in row.cells))
    return "\n".join(parts)


def table_with(path: Path, header: str) -> list:
    """The rows of the first table of a .docx whose header row has a cell `header` (a table
    left empty is a sentence, not a table, so positions would shift)."""
    import docx

    for table in docx.Document(str(path)).tables:
        if header in [cell.text for cell in table.rows[0].cells]:
            return list(table.rows)
    raise AssertionError(f"no table with the header {header!r} in {path}")
