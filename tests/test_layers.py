"""The shape of the code (docs/ARCHITECTURE.md), read from the imports of every module.

Layers, lowest first: base → case → checks → inputs (readers) and office (LibreOffice) → outputs
(writers) → company → service → the faces (cli, web). See docs/ARCHITECTURE.md.
A module imports its own layer or lower ones; a face reaches the work only through the service
(it may read the shared vocabulary and the case's declarations, never a check or an output);
the web face never imports the command line. No module uses another module's private names.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "casegen"
RANKS = {"base": 0, "case": 1, "checks": 2, "inputs": 3, "office": 3, "outputs": 4, "company": 5, "service": 6,
         "cli": 7, "web": 7}
TOP = 8  # casegen/__init__.py, __main__.py and the public API sit over everything
FACE_MAY_IMPORT = {"base", "case", "service", "web"}  # `casegen serve` starts the web face
LAZY_CALLS = {"lazy_import"}  # casegen.base.lazy: an import written as a call, still an import


@dataclass(frozen=True)
class Import:
    source: str  # the importing module, dotted
    target: str  # the imported module, dotted
    names: tuple[str, ...]
    line: int


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(name: str, path: Path) -> list[Import]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [Import(name, alias.name, (), node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(Import(name, node.module, tuple(a.name for a in node.names), node.lineno))
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in LAZY_CALLS
              and node.args and isinstance(node.args[0], ast.Constant)):
            found.append(Import(name, str(node.args[0].value), (), node.lineno))
    return [i for i in found if i.target == "casegen" or i.target.startswith("casegen.")]


def layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in RANKS else None


def rank(module: str) -> int:
    found = layer(module)
    return RANKS[found] if found else TOP


def resolved(imp: Import) -> list[str]:
    """The modules an import reaches: `from casegen.x import y` may name the module casegen.x.y."""
    every = modules()
    targets = [f"{imp.target}.{n}" for n in imp.names if f"{imp.target}.{n}" in every]
    return targets or [imp.target]


def all_imports() -> list[Import]:
    return [i for name, path in modules().items() for i in imports_of(name, path)]


def layering_violations(imports: list[Import]) -> list[str]:
    wrong = []
    for imp in imports:
        for target in resolved(imp):
            where = f"{imp.source}:{imp.line} imports {target}"
            if target == "casegen":
                if imp.names != ("__version__",):
                    wrong.append(f"{where} (only __version__ may come from the package)")
                continue
            if rank(imp.source) < rank(target):
                wrong.append(f"{where}: a lower layer imports a higher one")
            elif layer(imp.source) == "web" and layer(target) == "cli":
                wrong.append(f"{where}: the web face imports the command line")
            elif layer(imp.source) in ("cli", "web") and layer(target) not in FACE_MAY_IMPORT | {layer(imp.source)}:
                wrong.append(f"{where}: a face reaches past the service")
    return wrong


def private_uses() -> list[str]:
    """`from casegen.x import _y`, and `x._y` where x is a casegen module imported by name."""
    every, wrong = modules(), []
    for name, path in every.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        aliases = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("casegen"):
                for alias in node.names:
                    if alias.name.startswith("_") and not alias.name.startswith("__"):
                        wrong.append(f"{name}:{node.lineno} imports {node.module}.{alias.name}")
                    if f"{node.module}.{alias.name}" in every:
                        aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("casegen"):
                        aliases[alias.asname or alias.name] = alias.name
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases
                    and node.attr.startswith("_") and not node.attr.startswith("__")):
                wrong.append(f"{name}:{node.lineno} uses {aliases[node.value.id]}.{node.attr}")
    return wrong


def test_every_module_sits_in_a_layer():
    strays = [m for m in modules() if layer(m) is None and m not in ("casegen", "casegen.__main__", "casegen.api")]
    assert strays == []


def test_no_lower_layer_imports_a_higher_one_and_faces_only_call_the_service():
    assert layering_violations(all_imports()) == []


def test_no_module_uses_another_modules_private_names():
    assert private_uses() == []


def test_readers_write_nothing():
    """inputs/ reads what someone else made; writing is the writers' (outputs/, the service)."""
    writers = [f"{name}:{node.lineno}" for name, path in modules().items() if layer(name) == "inputs"
               for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
               if (isinstance(node, ast.ImportFrom) and node.module == "casegen.base.writing")
               or (isinstance(node, ast.Attribute) and node.attr in ("write_text", "write_bytes", "save"))]
    assert writers == []


@pytest.mark.parametrize(("source", "target", "told"), [
    ("casegen.case.model", "casegen.checks.rules", "a lower layer imports a higher one"),
    ("casegen.inputs.ledger", "casegen.outputs.ledger", "a lower layer imports a higher one"),
    ("casegen.checks.rules", "casegen.outputs.document", "a lower layer imports a higher one"),
    ("casegen.outputs.report_page", "casegen.service.summary", "a lower layer imports a higher one"),
    ("casegen.cli.render", "casegen.outputs.document", "a face reaches past the service"),
    ("casegen.web.views", "casegen.checks.files", "a face reaches past the service"),
    ("casegen.web.views", "casegen.cli", "the web face imports the command line"),
])
def test_the_layering_check_catches_each_kind_of_breach(source, target, told):
    """The check itself, on imports made up for it: each kind of breach is named."""
    assert [told in w for w in layering_violations([Import(source, target, (), 1)])] == [True]


def test_the_layering_check_allows_what_the_plan_allows():
    allowed = [("casegen.outputs.document", "casegen.case.model"),
               ("casegen.service.documents", "casegen.outputs.sketch"),
               ("casegen.cli.render", "casegen.service.documents"), ("casegen.web.views", "casegen.case.model"),
               ("casegen.cli.serve", "casegen.web.app")]
    assert layering_violations([Import(s, t, (), 1) for s, t in allowed]) == []


def test_imports_sit_at_the_top_of_each_module():
    """Apart from the command registry and casegen.base.lazy, no import is written inside a
    function: a reader sees a module's dependencies at its top."""
    inner = []
    for name, path in modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for child in ast.walk(node):
                    if isinstance(child, ast.Import | ast.ImportFrom) and name not in ALLOWED_INNER_IMPORTS:
                        inner.append(f"{name}:{child.lineno}")
    assert sorted(set(inner)) == []


ALLOWED_INNER_IMPORTS = {"casegen.base.lazy"}
