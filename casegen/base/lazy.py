"""The one place where casegen defers an import.

Every module imports what it needs at its top, so a reader sees its dependencies there. A few
libraries cost more to import than the work a command does with them, on paths where the work
is often not needed: holidays (0.1 s: only a year missing from casegen's disk cache needs it),
pypinyin (0.18 s: sorting by pinyin, only for workbooks and rosters),
imagehash (its SciPy-free part still costs 30 ms: only a photo's perceptual hash needs it),
fontTools (only the PDF step's one-time font extraction). They are named at the top of the
module that uses them, as `name = lazy_import("name")`, and loaded at the first attribute read.
The command line's registry (casegen.cli) is the other place: a command's module is imported
when the command runs.
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType


def lazy_import(name: str) -> ModuleType:
    """The module `name`, loaded when one of its attributes is first read (importlib's
    LazyLoader recipe); a module already imported is returned as it is."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(f"No module named {name!r}", name=name)
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module
