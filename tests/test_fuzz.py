"""A seeded mutation fuzzer over the example cases, in-process: every mutant goes through every
stage that reads a case (load, contract, rules, evidence, ledger cells, sketch layout, document
context, reports), and nothing may raise but a finding, or take more than 5 s.

    CASEGEN_FUZZ=20000 python -m pytest tests/test_fuzz.py    # a longer run than CI's 2,000
"""

from __future__ import annotations

import os
import random
import shutil
import time
import traceback

import pytest
from conftest import example_paths

from casegen.base.errors import CaseError
from casegen.base.policy import Product, gate
from casegen.case.calendar import WorkCalendar
from casegen.cli.texts import case_summary, text_report
from casegen.outputs.ledger import cells_of
from casegen.outputs.sketch import SketchInput, layout
from casegen.service.cases import assess, customer_name
from casegen.service.evidence import check_evidence

MUTANTS = int(os.environ.get("CASEGEN_FUZZ", "2000"))
SEED = 20261127
VALUES = ["inf", "-inf", "nan", "1e309", "-1", "0", "1e400", "", "~", "null", "[]", "{}", "[1, 2, 3]",
          "{a: 1}", '"\\u202e反"', '"\\x85"', "0001-01-01", "9999-12-31", "2025/9/26", "2025-02-30",
          "140kW", "true", "否", "=1+1", "$\\foo{$", "'", '"', "&a x", "*a", "!!binary AAAA", "|", ">",
          "- x", "12:30", "0x1F", "1_000", ".5", "１００", "一百", "[2025-05-06]",
          "[2025-05-09, 2025-05-06]", "{kind: cable}", "a" * 3000, "重庆" * 80, "\t", "？：", "%", "50%",
          "有外线有掘路", "无外线", "掌上电力", "10kV", "居民生活", "[临时用电]"]
CHARS = ["\t", "：", "　", "\x00", "\x1b", "\u202e", "\u2028", "#", ":", "-", "[", "]", "{", "}", '"',
         "'", "&", "*", "!", "|", ">", "%", "@", "`", "\\", " ", "\n", "🔌"]


def mutate(text: str, rng: random.Random) -> str:
    lines = text.splitlines()
    for _ in range(rng.randint(1, 3)):
        if not lines:
            break
        i = rng.randrange(len(lines))
        match rng.randrange(8):
            case 0:
                del lines[i]
            case 1:
                lines.insert(i, lines[rng.randrange(len(lines))])
            case 2:
                j = rng.randrange(len(lines))
                lines[i], lines[j] = lines[j], lines[i]
            case 3 | 4 if ": " in lines[i]:
                key = lines[i].split(": ", 1)[0]
                lines[i] = f"{key}: {rng.choice(VALUES)}"
            case 5:
                pos = rng.randrange(len(lines[i]) + 1)
                lines[i] = lines[i][:pos] + rng.choice(CHARS) + lines[i][pos:]
            case 6:
                lines[i] = " " * rng.randrange(0, 6) + lines[i].lstrip()
            case _:
                cut = "\n".join(lines)
                return cut[: rng.randrange(len(cut) + 1)]
    return "\n".join(lines) + "\n"


def exercise(path, calendar) -> None:
    """Everything that reads a case, as the commands do; findings are fine, exceptions are not."""
    from casegen.outputs.document import context

    case_file = assess(path, calendar)
    text_report([case_file])
    case_summary(case_file)
    if case_file.raw is not None:
        cells_of(case_file, calendar)
    if case_file.case is not None:
        items, findings = check_evidence(case_file)
        gate(findings, Product.CHECK)
        layout(SketchInput.from_case(case_file.case))
        if not case_file.stopped(Product.RENDER):
            context(case_file.case, case_file.facts, items)
    elif not case_file.stopped(Product.DRAW):
        layout(SketchInput.from_data(case_file.raw.data, customer_name(case_file)))


@pytest.mark.parametrize("example", range(3))
def test_mutants_of_the_examples_raise_nothing_but_findings(tmp_path, example, examples):
    source = example_paths(examples)[example]
    folder = tmp_path / "case"
    shutil.copytree(source.parent, folder)
    original = source.read_text(encoding="utf-8")
    rng = random.Random(SEED + example)
    calendar = WorkCalendar()
    failures, slowest = [], 0.0
    for number in range(MUTANTS // 3 + (example < MUTANTS % 3)):
        text = mutate(original, rng)
        path = folder / "case.yaml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        started = time.perf_counter()
        try:
            exercise(path, calendar)
        except CaseError:  # the calendar or the font: still a finding, still fine
            pass
        except Exception:
            failures.append(f"mutant {number}:\n{text}\n{traceback.format_exc()}")
        elapsed = time.perf_counter() - started
        slowest = max(slowest, elapsed)
        if elapsed > 5:
            failures.append(f"mutant {number} took {elapsed:.1f} s:\n{text}")
    assert not failures, f"{len(failures)} failing mutants; the first:\n" + failures[0]
    assert slowest < 5
