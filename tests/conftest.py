"""Shared fixtures: every test runs inside its own tmp_path; example cases and converters."""

from __future__ import annotations

import copy
import datetime as dt
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "cases"  # where the bundled examples live, beside a user's own cases: read them by name
EXAMPLE_NAMES = ("01-无外线-山城味道餐饮", "02-有外线无掘路-九龙便民超市", "03-有外线有掘路-顺达汽修")
CORPUS = Path(__file__).resolve().parent / "cases"
SHARED = ROOT.parent / "shared"  # beside the checkout, not in it: the OOXML validator, the notice's text
REQUIRE_SHARED = "CASEGEN_REQUIRE_SHARED"  # .ci/run sets it to 1: there a missing ../shared fails


@pytest.fixture(autouse=True)
def _inside_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def copy_examples(folder: Path) -> Path:
    """The three bundled examples, copied by name into `folder`: a user's own cases in `cases/`
    (the README asks for them there), and a calendar file beside them, never reach a test."""
    for name in EXAMPLE_NAMES:
        shutil.copytree(EXAMPLES / name, folder / name)
    return folder


@pytest.fixture
def examples(tmp_path_factory) -> Path:
    """A folder holding a fresh copy of the three examples and nothing else (outside tmp_path,
    so a test may fill tmp_path as it likes)."""
    return copy_examples(tmp_path_factory.mktemp("examples"))


def example_paths(folder: Path) -> list[Path]:
    """The examples' case files in a copy made by `copy_examples`, in the order of their names."""
    return [folder / name / "case.yaml" for name in EXAMPLE_NAMES]


def shared_path(relative: str, what: str) -> Path:
    """A file or folder in ../shared, or the test skipped saying what is missing and where CI has it;
    under CASEGEN_REQUIRE_SHARED=1 (CI) a missing file fails the test instead: never a silent skip."""
    path = SHARED / relative
    if path.exists():
        return path
    reason = (f"{what} is missing: no {path}. It is kept out of the repository, in ../shared beside "
              f"the checkout; CI runs with it there (.ci/run reads ../shared and sets {REQUIRE_SHARED}=1)")
    if os.environ.get(REQUIRE_SHARED) == "1":
        pytest.fail(f"{reason}; {REQUIRE_SHARED}=1 makes that a failure, not a skip", pytrace=False)
    pytest.skip(reason)


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
    from casegen.office.pdf import to_pdf as convert

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


# The English a workbench page may show: names of programs and file types a clerk knows. Codes
# with digits (cable specs such as YJV22-4×35, SG186, 400kVA) and a file's extension (申请书.pdf)
# are not words; a key path (evidence.system_orders), a folder (evidence/) or a format
# (YYYY-MM-DD) is. (Issue 32: "no English to decode".)
ALLOWED_ENGLISH = {"PDF", "Word", "Excel", "WPS"}
_TOKEN = re.compile(r"[A-Za-z0-9._\-/×]+")


def english_words(*texts: str) -> set[str]:
    found = set()
    for text in texts:
        for token in _TOKEN.findall(text):
            if re.search(r"\d", token) or re.fullmatch(r"\.[A-Za-z]+", token):
                continue  # a code or a number with its unit; a file's extension
            found.update(word for word in re.findall(r"[A-Za-z]{2,}", token))
    return found - ALLOWED_ENGLISH
