"""Who changed a case, when, and what: an append-only log beside the case file, each entry
chained to the one before by its SHA-256, so that an entry edited or removed later breaks the
chain, and a case file changed without an entry no longer matches the last one (通知四（二）2：
逐一核验……真实性和准确性).

`casegen.history.jsonl`, one JSON object a line, readable by any tool:
{"seq", "time", "user", "action", "changes": [[key, old, new], …], "files": […], "comment",
"digest" (the case file's SHA-256 after the action), "prev" (the previous entry's hash), "hash"};
an approval also has "bound" (every file of the case folder → its SHA-256) and, when the
approver also submitted or changed the case (a one-person station), "alone": true. Entries
without these keys are sealed as they were written before the keys existed.

The review state of a case (草稿 → 待审核 → 已审核, or 已退回 with the reviewer's comment until it
is submitted again) is read from the same log: it is what the last review entry says, as long as
the case file is still the one that entry saw, and, for an approval, every file of the case
folder is still the one it bound. A case sent back stays 已退回 while it is being fixed.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from casegen.base.errors import Finding
from casegen.base.writing import cache_root
from casegen.checks.seal import Digests, folder_digests, sha256_of

HISTORY_NAME = "casegen.history.jsonl"
DRAFT, PENDING, APPROVED, RETURNED = "草稿", "待审核", "已审核", "已退回"
SUBMIT, APPROVE, SEND_BACK = "提交审核", "通过审核", "退回修改"
REVIEW_STATES = {SUBMIT: PENDING, APPROVE: APPROVED, SEND_BACK: RETURNED}
CHANGES = ("新建", "保存", "上传", "外部改动")  # what makes a reviewed case a draft again
ALONE = "同一人提交并审核：单人供电所，serve --self-review"  # said beside an approval by its submitter
OPTIONAL = {"alone": False, "bound": {}}  # written (and sealed) only when not these
UNBOUND_APPROVAL = "这次审核没有记下案例文件夹中各文件的散列（较早版本的 casegen 所记）：请重新提交审核"
MAX_KNOWN = 20_000


@dataclass
class Entry:
    seq: int
    time: str
    user: str
    action: str  # 新建 | 保存 | 上传 | 提交审核 | 通过审核 | 退回修改
    digest: str
    changes: list[list[Any]] = field(default_factory=list)  # [key, old, new]
    files: list[str] = field(default_factory=list)
    comment: str = ""
    prev: str = ""
    hash: str = ""
    alone: bool = False  # an approval by the one who submitted or last changed the case
    bound: dict[str, str] = field(default_factory=dict)  # an approval: each file of the folder → SHA-256

    def written(self) -> dict[str, Any]:
        """The entry as its line holds it: the optional keys only when they say something."""
        return {k: v for k, v in asdict(self).items() if not (k in OPTIONAL and v == OPTIONAL[k])}

    def sealed(self) -> str:
        body = {k: v for k, v in self.written().items() if k != "hash"}
        return hashlib.sha256(json.dumps(body, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()


@dataclass
class History:
    """A case's log as read: its entries, what is wrong with the chain (empty: whole), and
    whether the case file is the one the last entry saw."""

    entries: list[Entry]
    broken: list[str]
    file_digest: str
    unbound: list[tuple[str, str]] = field(default_factory=list)  # since the approval: (被改动 …, path)

    @property
    def outside(self) -> bool:
        """The case file changed since the last entry, with no entry for it."""
        return bool(self.entries) and self.entries[-1].digest != self.file_digest

    @property
    def old_approval(self) -> bool:
        """The last entry is an approval that bound no files (written before approvals did)."""
        return bool(self.entries) and self.entries[-1].action == APPROVE and not self.entries[-1].bound

    def unbound_text(self) -> list[str]:
        """Why the last approval no longer holds, one line a file (the case file is `outside`'s)."""
        told = [f"审核通过后{what}，没有记录：{relative}" for what, relative in self.unbound]
        return told + ([UNBOUND_APPROVAL] if self.old_approval else [])

    @property
    def state(self) -> str:
        """草稿, 待审核, 已审核 or 已退回: the last review entry's, when nothing changed the case
        after it (a save, an upload, an outside change, a file of the folder an approval bound)
        and the record is whole; else 草稿. A case sent back stays 已退回 while it is fixed."""
        if self.broken or self.old_approval:
            return DRAFT
        changed = self.outside or bool(self.unbound)
        for entry in reversed(self.entries):
            if entry.action == SEND_BACK:
                return RETURNED
            if entry.action in REVIEW_STATES:
                return DRAFT if changed else REVIEW_STATES[entry.action]
            if entry.action in CHANGES:
                changed = True
        return DRAFT

    def sent_back(self) -> Entry | None:
        """The entry that sent the case back, while it is 已退回 (its comment is shown at the top)."""
        if self.state != RETURNED:
            return None
        return next(e for e in reversed(self.entries) if e.action == SEND_BACK)

    def last_author(self) -> str | None:
        """Who last submitted or changed the case (the one an approval must not come from)."""
        for entry in reversed(self.entries):
            if entry.action == SUBMIT or entry.action in CHANGES:
                return entry.user
        return None

    def since(self, digest: str) -> list[Entry]:
        """The entries after the one that left the case file at `digest` (another's changes
        since a page was opened); all of them when no entry did."""
        for number in range(len(self.entries) - 1, -1, -1):
            if self.entries[number].digest == digest:
                return self.entries[number + 1:]
        return list(self.entries)


def history_path(case_path: Path) -> Path:
    return case_path.parent / HISTORY_NAME


class KnownDigests(Digests):
    """Digests remembered by what a file's status says of it (device, inode, size, modification
    and change times): the workbench asks every case's state at each listing, and a file not
    written since is not read again. The change time is the kernel's, set at every write and
    rename; no program can set it back."""

    def __init__(self) -> None:
        super().__init__()
        self.known: dict[tuple[str, int, int, int, int, int], str] = {}

    def of(self, path: Path) -> str:
        real = os.path.realpath(path)
        status = os.stat(real)
        key = (real, status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns, status.st_ctime_ns)
        if key in self.known:
            return self.known[key]
        digest = sha256_of(Path(real))
        if os.stat(real).st_ctime_ns == status.st_ctime_ns:  # not written while it was read
            if len(self.known) >= MAX_KNOWN:
                self.known.clear()
            self.known[key] = digest
        return digest


_KNOWN = KnownDigests()


def folder_now(case_path: Path) -> dict[str, str | None]:
    """Every file of the case's folder (as the seal counts them; not this log) → its SHA-256
    now, None when it cannot be read."""
    found = folder_digests(case_path.parent, _KNOWN)
    found.pop(HISTORY_NAME, None)
    return found


def bound_files(case_path: Path) -> dict[str, str]:
    """What an approval binds: every file of the case folder, the case file too, → SHA-256.
    An OSError names the files that cannot be read (an approval cannot vouch for them)."""
    found = folder_now(case_path)
    unreadable = [relative for relative, digest in found.items() if digest is None]
    if unreadable:
        raise OSError(f"无法读取：{'、'.join(unreadable)}")
    return {relative: digest for relative, digest in found.items() if digest is not None}


def _unbound(entries: list[Entry], case_path: Path) -> list[tuple[str, str]]:
    """The files changed, removed or added since the last entry, when it is an approval that
    bound them (the case file left to `outside`)."""
    if not entries or entries[-1].action != APPROVE or not entries[-1].bound:
        return []
    bound, now = entries[-1].bound, folder_now(case_path)
    told = []
    for relative, digest in bound.items():
        if relative == case_path.name:
            continue
        if relative not in now:
            told.append(("被删除", relative))
        elif now[relative] != digest:
            told.append(("被改动", relative))
    return told + [("新增", relative) for relative in now if relative not in bound and relative != case_path.name]


def file_digest(case_path: Path) -> str:
    try:
        return hashlib.sha256(case_path.read_bytes()).hexdigest()
    except OSError:
        return ""


def read_history(case_path: Path, *, digest: str | None = None) -> History:
    """The case's log as read now; `digest`: the case file's SHA-256 when the caller has just
    read it (a save reads the file once)."""
    path = history_path(case_path)
    entries: list[Entry] = []
    broken: list[str] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        lines = []
    except (OSError, UnicodeDecodeError) as e:
        return History([], [f"无法读取 {HISTORY_NAME}：{type(e).__name__}"], digest or file_digest(case_path))
    previous = ""
    for number, line in enumerate(lines, start=1):
        try:
            data = json.loads(line)
            entry = Entry(**data)
            if not (isinstance(entry.seq, int) and all(isinstance(getattr(entry, k), str) for k in
                    ("time", "user", "action", "digest", "comment", "prev", "hash"))
                    and isinstance(entry.changes, list) and isinstance(entry.files, list)
                    and isinstance(entry.alone, bool) and isinstance(entry.bound, dict)
                    and all(isinstance(k, str) and isinstance(v, str) for k, v in entry.bound.items())):
                raise TypeError("a field of the wrong type")
        except (ValueError, TypeError):
            broken.append(f"第 {number} 行不是完整的记录")
            continue
        if entry.prev != previous:
            broken.append(f"第 {number} 行与上一条记录接不上（前面的记录被改动或删除过）")
        if entry.sealed() != entry.hash:
            broken.append(f"第 {number} 行的内容与它的散列不符（这条记录被改动过）")
        previous = entry.hash
        entries.append(entry)
    return History(entries, broken, digest or file_digest(case_path), _unbound(entries, case_path))


@contextmanager
def locked(case_path: Path) -> Iterator[None]:
    """The case held for one change (a save and its entry, never two at once, also between the
    workbench's threads). The lock file lives in casegen's cache, not beside the case: nothing
    is added to a case folder that is sealed or submitted."""
    key = hashlib.sha256(str(case_path.resolve()).encode("utf-8")).hexdigest()[:24]
    lock = cache_root() / "locks" / f"{key}.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "a", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def record(case_path: Path, user: str, action: str, *, changes: list[list[Any]] | None = None,
           files: list[str] | None = None, comment: str = "", alone: bool = False,
           bound: dict[str, str] | None = None, history: History | None = None,
           digest: str | None = None) -> Entry:
    """Append one entry (the caller holds `locked`); flushed to the disk before it returns.
    `history`: the log as the caller read it under the lock (not read again; the entry is added
    to it), `digest`: the case file's SHA-256 now, when the caller knows it."""
    history = history if history is not None else read_history(case_path, digest=digest)
    if digest is not None:
        history.file_digest = digest
    last = history.entries[-1] if history.entries else None
    entry = Entry(seq=len(history.entries) + 1,
                  time=dt.datetime.now().astimezone().isoformat(timespec="seconds"), user=user, action=action,
                  digest=history.file_digest, changes=changes or [], files=files or [], comment=comment,
                  prev=last.hash if last else "", alone=alone, bound=bound or {})
    entry.hash = entry.sealed()
    with open(history_path(case_path), "a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry.written(), ensure_ascii=False, sort_keys=True) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    history.entries.append(entry)
    return entry


def changes_between(old: Any, new: Any, prefix: str = "") -> list[list[Any]]:
    """[key, old, new] for every value that differs, keys dotted (lists by index)."""
    if isinstance(old, dict) and isinstance(new, dict):
        found = []
        for key in list(old) + [k for k in new if k not in old]:
            found += changes_between(old.get(key), new.get(key), f"{prefix}.{key}" if prefix else str(key))
        return found
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        found = []
        for number, (a, b) in enumerate(zip(old, new, strict=True)):
            found += changes_between(a, b, f"{prefix}.{number}")
        return found
    return [] if old == new else [[prefix, _plain(old), _plain(new)]]


def _plain(value: Any) -> Any:
    """A value as JSON holds it (dates as text)."""
    return json.loads(json.dumps(value, ensure_ascii=False, default=str))


def history_findings(case_path: Path) -> list[Finding]:
    """For `casegen check`: a log that is not whole, a case file changed outside it, a file of an
    approved case changed, added or removed since (nothing when the case has no log: it was
    never edited in the workbench)."""
    if not history_path(case_path).exists():
        return []
    found = read_history(case_path)
    where = history_path(case_path)
    findings = [Finding("history-broken", f"{HISTORY_NAME}：{problem}", where) for problem in found.broken]
    if not found.entries:
        return findings
    last = found.entries[-1]
    when = last.time.replace("T", " ")[:16]  # the minute, as the page and `casegen history` show it
    if found.outside:
        findings.append(Finding("history-outside", f"案例文件在最后一条修改记录（{when} {last.user} "
                                f"{last.action}）之后被改过，没有记录", case_path))
    findings += [Finding("history-outside", f"审核通过（{when} {last.user}）后{what}，没有记录：{relative}",
                         case_path) for what, relative in found.unbound]  # only an approval binds files
    return findings
