"""The template's vocabulary and the Jinja environment it is filled in: what the document
renders with and what `casegen template check` checks a user's template against."""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import MutableMapping
from functools import cache
from pathlib import Path
from typing import Any, cast

import jinja2
from jinja2 import nodes
from jinja2.bccache import Bucket, BytecodeCache, FileSystemBytecodeCache
from jinja2.sandbox import SandboxedEnvironment

from casegen.base.writing import cache_root, write_bytes

TEMPLATE_NAMES = ("name", "account_no", "address", "company", "business_type", "capacity", "capacity_note", "use",
                  "applied_on", "energized_on", "kind_text", "working_days", "calendar_days",
                  "estimate_note", "has_works", "works_text", "sketch", "customer_steps", "steps",
                  "feedback", "evidence", "evidence_groups", "evidence_summary", "photos",
                  "target_notes")


@cache
def jinja_environment() -> SandboxedEnvironment:
    """The Jinja environment every template is rendered in: sandboxed (a template, which users
    may swap, can read the case's values and nothing else: no attribute of Python's own, no
    function call into the system), strict (a name the case does not provide is an error, not
    an empty string), and compiling each template part once: per process (in a batch the XML is
    the same for every case), and across processes through Jinja's own bytecode cache (a clerk
    renders one case over and over; compiling the template's XML cost 30 ms of each run)."""
    class CachingSandbox(SandboxedEnvironment):
        def __init__(self, **options: Any) -> None:
            super().__init__(**options)
            self.compiled: dict[tuple[str, object], jinja2.Template] = {}

        def from_string(self, source: str | nodes.Template,
                        globals: MutableMapping[str, Any] | None = None,
                        template_class: type[jinja2.Template] | None = None) -> jinja2.Template:
            # always text here (docxtpl hands over the XML); Jinja's signature also admits a parsed tree
            source = cast(str, source)
            key = (source, self.autoescape)
            if key not in self.compiled:
                self.compiled[key] = self._from_bytecode_cache(source, globals, template_class)
            return self.compiled[key]

        def _from_bytecode_cache(self, source: str, globals: MutableMapping[str, Any] | None,
                                 template_class: type[jinja2.Template] | None) -> jinja2.Template:
            """What Jinja's loaders do with a bytecode cache, for a template given as text."""
            name = hashlib.sha256(f"{type(self).__name__} {self.autoescape}\n{source}".encode()).hexdigest()
            bucket = self.bytecode_cache.get_bucket(self, name, None, source) if self.bytecode_cache else None
            code = bucket.code if bucket is not None else None
            if code is None:
                code = self.compile(source, name)
                if bucket is not None:
                    bucket.code = code
                    with contextlib.suppress(OSError):  # a full disk: next time compiles again
                        # a bucket comes only from a bytecode cache
                        cast(BytecodeCache, self.bytecode_cache).set_bucket(bucket)
            return (template_class or self.template_class).from_code(self, code,
                                                                     self.make_globals(globals))

    return CachingSandbox(autoescape=True, undefined=jinja2.StrictUndefined,
                          bytecode_cache=checked_bytecode_cache())


def checked_bytecode_cache() -> FileSystemBytecodeCache | None:
    """Jinja's file bytecode cache, each file led by the SHA-256 of the rest: marshal trusts
    what it reads, and a file damaged on disk crashed the interpreter or ran other code. A file
    that does not match is compiled again and rewritten; a cache that cannot be used is none."""
    class CheckedBytecodeCache(FileSystemBytecodeCache):
        def load_bytecode(self, bucket: Bucket) -> None:
            try:
                stored = Path(self._get_cache_filename(bucket)).read_bytes()
            except OSError:
                return
            digest, payload = stored[:32], stored[32:]
            if hashlib.sha256(payload).digest() != digest:
                return
            try:
                bucket.bytecode_from_string(payload)
            except Exception:  # written by another Jinja or Python: compiled again
                bucket.reset()

        def dump_bytecode(self, bucket: Bucket) -> None:
            payload = bucket.bytecode_to_string()
            write_bytes(Path(self._get_cache_filename(bucket)),
                        hashlib.sha256(payload).digest() + payload, durable=False)

    try:
        folder = cache_root() / "jinja"
        folder.mkdir(parents=True, exist_ok=True)
        return CheckedBytecodeCache(str(folder))
    except OSError:
        return None


def template_problem(error: Exception) -> str:
    """A Jinja error in Chinese (its own text is English)."""
    if isinstance(error, jinja2.exceptions.SecurityError):
        return "模板中有不允许的写法：模板只能使用案例的字段（见 casegen template check）"
    if isinstance(error, jinja2.UndefinedError):
        name = re.search(r"'([^']+)'", error.message or "")
        told = f"“{name.group(1)}”" if name else "某个名称"
        return f"模板用到了案例没有提供的名称{told}（见 casegen template check）"
    if isinstance(error, jinja2.TemplateSyntaxError):
        return "模板的 {{ }} 或 {% %} 标记写法有误或没有闭合（见 casegen template check）"
    return "模板无法使用（见 casegen template check）"
