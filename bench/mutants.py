"""A sampled mutation run over the core: how many small changes to the code does the suite catch?

    python bench/mutants.py                      # 300 mutants, seed 2026, 2 workers
    python bench/mutants.py --count 50 --seed 1  # a quicker look
    python bench/mutants.py --show-survivors     # print the diff of every mutant that survived

Each mutant changes one node of one module (a comparison, a boolean operator, an arithmetic
operator, a number, True/False, a `not`, a returned value, or drops one statement), is written to
a scratch copy of the project, and the fast part of the suite runs against it (the LibreOffice
tests excepted: they check the document, which other tests read as docx). A mutant is caught when
the suite fails or runs over its time. Mutants listed in bench/equivalent_mutants.txt were read
and found to change nothing observable; they are left out of the score.

mutmut skips decorated functions (every rule here is one), hence this small sampler.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODULES = ("checks/rules", "case/derive", "case/calendar", "case/model", "case/load", "checks/evidence")
TESTS = {  # the test file that exercises each module first; survivors then meet every fast test
    "checks/rules": ["tests/test_rules.py"],
    "case/derive": ["tests/test_derive.py", "tests/test_rules.py"],
    "case/calendar": ["tests/test_calendar.py"],
    "case/model": ["tests/test_load.py", "tests/test_rules.py"],
    "case/load": ["tests/test_load.py"],
    "checks/evidence": ["tests/test_evidence.py"],
}
ALL_FAST = ["tests/test_rules.py", "tests/test_derive.py", "tests/test_calendar.py",
            "tests/test_load.py", "tests/test_evidence.py", "tests/test_ledger.py",
            "tests/test_cli.py", "tests/test_importer.py", "tests/test_messages.py",
            "tests/test_sketch.py", "tests/test_render.py",
            "tests/test_hostile.py::test_validate_answers_every_hostile_file_in_chinese_with_its_line"]
EQUIVALENT = Path(__file__).with_name("equivalent_mutants.txt")
SWAP_COMPARE = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt,
                ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.In: ast.NotIn, ast.NotIn: ast.In,
                ast.Is: ast.IsNot, ast.IsNot: ast.Is}
SWAP_BINOP = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult,
              ast.FloorDiv: ast.Mult, ast.Mod: ast.Mult}


@dataclass(frozen=True)
class Mutant:
    module: str
    index: int  # position of the node in ast.walk order
    operator: str
    line: int

    @property
    def key(self) -> str:
        return f"{self.module}:{self.line}:{self.operator}:{self.index}"


def _docstring_nodes(tree) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef) \
                and node.body and isinstance(node.body[0], ast.Expr) \
                and isinstance(node.body[0].value, ast.Constant):
            found.add(id(node.body[0]))
            found.add(id(node.body[0].value))
    return found


def operators(node, parent_body: bool) -> list[str]:
    """The mutations that apply to one node."""
    ops = []
    if isinstance(node, ast.Compare) and type(node.ops[0]) in SWAP_COMPARE:
        ops.append("compare")
    elif isinstance(node, ast.BoolOp):
        ops.append("boolop")
    elif isinstance(node, ast.BinOp) and type(node.op) in SWAP_BINOP:
        ops.append("binop")
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        ops.append("drop-not")
    elif isinstance(node, ast.Constant) and isinstance(node.value, bool):
        ops.append("flip-bool")
    elif isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        ops.append("number")
    elif isinstance(node, ast.Return) and node.value is not None and not (
            isinstance(node.value, ast.Constant) and node.value.value is None):  # no-op otherwise
        ops.append("return-none")
    if parent_body and isinstance(node, ast.Expr | ast.Assign | ast.AugAssign | ast.If | ast.For
                                  | ast.Return) and not isinstance(getattr(node, "value", None),
                                                                   ast.Constant):
        ops.append("drop-statement")
    return ops


def _scaffold_examples(tree) -> set[int]:
    """The example values of field declarations (`field(label, doc, example)`): they feed only
    the scaffold's sample values, so they are not sampled."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") in ("field", "optional") \
                and len(node.args) >= 3:
            found.update(id(n) for n in ast.walk(node.args[2]))
    return found


def candidates(module: str) -> list[Mutant]:
    source = (ROOT / "casegen" / f"{module}.py").read_text(encoding="utf-8")
    tree = ast.parse(source)
    skip = _docstring_nodes(tree) | _scaffold_examples(tree)
    in_body = set()  # statements that can go without leaving their block empty
    for node in ast.walk(tree):
        for field in ("body", "orelse"):
            block = getattr(node, field, None)
            if isinstance(block, list) and len(block) > 1:
                in_body.update(id(stmt) for stmt in block)
    found = []
    for index, node in enumerate(ast.walk(tree)):
        if id(node) in skip or not hasattr(node, "lineno"):
            continue
        if isinstance(node, ast.ImportFrom | ast.Import):
            continue
        for operator in operators(node, id(node) in in_body):
            found.append(Mutant(module, index, operator, node.lineno))
    return found


def mutate(module: str, mutant: Mutant) -> str:
    source = (ROOT / "casegen" / f"{module}.py").read_text(encoding="utf-8")
    tree = ast.parse(source)
    node = list(ast.walk(tree))[mutant.index]
    match mutant.operator:
        case "compare":
            node.ops[0] = SWAP_COMPARE[type(node.ops[0])]()
        case "boolop":
            node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        case "binop":
            node.op = SWAP_BINOP[type(node.op)]()
        case "drop-not":
            _replace(tree, node, node.operand)
        case "flip-bool":
            node.value = not node.value
        case "number":
            node.value = node.value + 1 if node.value != 1 else 0
        case "return-none":
            node.value = ast.Constant(None)
        case "drop-statement":
            _replace(tree, node, ast.Pass())
    return ast.unparse(ast.fix_missing_locations(tree))


def _replace(tree, old, new) -> None:
    for parent in ast.walk(tree):
        for field, value in ast.iter_fields(parent):
            if value is old:
                setattr(parent, field, new)
                return
            if isinstance(value, list) and any(item is old for item in value):
                value[next(i for i, item in enumerate(value) if item is old)] = new
                return


def run_tests(scratch: Path, tests: list[str], timeout: float) -> bool:
    """True when the suite fails (the mutant is caught)."""
    env = dict(os.environ, PYTHONPATH=str(scratch), PYTHONDONTWRITEBYTECODE="1")
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
               "-p", "no:randomly", "--hypothesis-seed=0", *tests]
    try:
        result = subprocess.run(command, cwd=scratch, env=env, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return True
    return result.returncode != 0


def scratch_copy() -> Path:
    """A copy of the project, with ../shared beside it as the tests expect."""
    base = Path(tempfile.mkdtemp(prefix="casegen-mutant-"))
    folder = base / ROOT.name
    for part in ("casegen", "tests", "templates", "cases", "scripts", "bench", "pyproject.toml", "README.md"):
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, folder / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, folder / part)
    shared = (ROOT.parent / "shared").resolve()
    if shared.exists():
        (base / "shared").symlink_to(shared)
    return folder


def judge(mutant: Mutant, timeout: float) -> tuple[Mutant, bool, str]:
    scratch = scratch_copy()
    try:
        mutated = mutate(mutant.module, mutant)
        original = ast.unparse(ast.parse((ROOT / "casegen" / f"{mutant.module}.py").read_text()))
        diff = "".join(difflib.unified_diff(original.splitlines(True), mutated.splitlines(True),
                                            f"{mutant.module}.py", f"{mutant.module}.py (mutant)",
                                            n=1))
        (scratch / "casegen" / f"{mutant.module}.py").write_text(mutated, encoding="utf-8")
        caught = run_tests(scratch, TESTS[mutant.module], timeout)
        if not caught:  # a second chance on every fast test
            caught = run_tests(scratch, ALL_FAST, timeout * 3)
        return mutant, caught, diff
    finally:
        shutil.rmtree(scratch.parent, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--show-survivors", action="store_true")
    parser.add_argument("--keys", nargs="*", help="judge these mutants only (as printed: module:line:op:index)")
    args = parser.parse_args()

    global ROOT  # work from a snapshot: the tree may change while the run goes on
    ROOT = scratch_copy()
    pool = [m for module in MODULES for m in candidates(module)]
    sample = random.Random(args.seed).sample(pool, min(args.count, len(pool)))
    if args.keys:  # by module, line and operator (an edit elsewhere in the file moves indices)
        sample = []
        for key in args.keys:
            module, line, operator, index = key.split(":")
            same = [m for m in pool if (m.module, m.line, m.operator) == (module, int(line), operator)]
            if same:
                sample.append(min(same, key=lambda m: abs(m.index - int(index))))
    equivalent = set()
    if EQUIVALENT.exists():
        equivalent = {line.split("#")[0].strip() for line in EQUIVALENT.read_text().splitlines()
                      if line.split("#")[0].strip()}
    started = time.perf_counter()
    baseline = scratch_copy()
    try:
        if run_tests(baseline, ALL_FAST, args.timeout * 3):
            sys.exit("the unchanged project fails its fast tests: fix that first")
    finally:
        shutil.rmtree(baseline.parent, ignore_errors=True)
    results = []
    with ThreadPoolExecutor(args.jobs) as workers:
        for mutant, caught, diff in workers.map(lambda m: judge(m, args.timeout), sample):
            results.append((mutant, caught, diff))
            print(f"[{len(results)}/{len(sample)}] {'caught  ' if caught else 'SURVIVED'} {mutant.key}",
                  file=sys.stderr, flush=True)
    survivors = [(m, d) for m, caught, d in results if not caught and m.key not in equivalent]
    skipped = sum(1 for m, caught, _ in results if not caught and m.key in equivalent)
    counted = len(results) - skipped
    caught = counted - len(survivors)
    by_module = {}
    for m, was_caught, _ in results:
        if not was_caught and m.key in equivalent:
            continue
        total, hit = by_module.get(m.module, (0, 0))
        by_module[m.module] = (total + 1, hit + was_caught)
    print(f"mutants sampled: {len(results)} of {len(pool)} (seed {args.seed}); "
          f"equivalent (read and listed): {skipped}")
    for module, (total, hit) in sorted(by_module.items()):
        print(f"  {module:<9} caught {hit}/{total}")
    print(f"caught {caught} of {counted} non-equivalent mutants: {caught / max(counted, 1):.1%} "
          f"(target 90%) in {time.perf_counter() - started:.0f} s")
    for mutant, diff in survivors:
        print(f"survived {mutant.key}")
        if args.show_survivors:
            print(diff)
    shutil.rmtree(ROOT.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
