"""A LibreOffice kept alive for a run: started once per process (each batch worker, the workbench)
and handed one document after another through LibreOffice's UNO bridge, instead of a fresh
soffice for each document (about a second each).

casegen's interpreter need not have uno: the bridge (uno_bridge.py) runs under a Python that does
(Debian's python3 with python3-uno) and talks JSON lines over a pipe. This side owns the faults:
a document that takes longer than its time, or an office that dies, gets the office killed (its
process group, nothing else), a new one started, and the document tried once more.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from multiprocessing import util as multiprocessing_util
from pathlib import Path

BRIDGE = Path(__file__).with_name("uno_bridge.py")
START_SECONDS = 90.0  # a first start builds a profile; a loaded machine is slower still
UNO_PYTHON = "CASEGEN_UNO_PYTHON"  # an interpreter with uno, or "none" for the one-shot path
DOCUMENT_SECONDS = "CASEGEN_PDF_TIMEOUT"


class OfficeFailed(Exception):
    """The kept office did not convert a document: it hung, died or refused."""


def start_seconds() -> float:
    """How long an office may take to start: a first start builds a profile, a loaded machine is
    slower still; a short document timeout (a test, an impatient user) shortens it too."""
    return max(20.0, min(START_SECONDS, document_seconds()))


def document_seconds() -> float:
    """How long one document may take before its office is taken for hung."""
    try:
        return max(1.0, float(os.environ.get(DOCUMENT_SECONDS, "")))
    except ValueError:
        return 120.0


@functools.cache
def uno_python() -> str | None:
    """An interpreter that can import LibreOffice's UNO bridge, or None: the one named in
    CASEGEN_UNO_PYTHON, LibreOffice's own (bundled on some installs), the system's python3."""
    named = os.environ.get(UNO_PYTHON, "").strip()
    if named:
        candidates = [] if named.lower() == "none" else [named]
    else:
        soffice = shutil.which("soffice") or shutil.which("libreoffice")
        program = Path(soffice).resolve().parent if soffice else None
        candidates = [str(program / "python")] if program else []
        candidates += ["/usr/bin/python3", shutil.which("python3") or ""]
    for candidate in dict.fromkeys(c for c in candidates if c and os.access(c, os.X_OK)):
        try:
            probe = subprocess.run([candidate, "-c", "import uno"], capture_output=True, timeout=30,
                                   check=False)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if probe.returncode == 0:
            return candidate
    return None


class Office:
    """One LibreOffice, its bridge, and a folder of its own for its profile (two offices sharing
    a profile block each other) and temporary files. Thread-safe: the workbench converts from
    several threads."""

    def __init__(self, python: str, soffice: str, environment: dict) -> None:
        self.python, self.soffice, self.environment = python, soffice, environment
        self.bridge: subprocess.Popen | None = None
        self.office_pid: int | None = None
        self.ready = False
        self.folder: Path | None = None
        self.pipe_name = ""
        self.owner = os.getpid()  # a forked child must not drive (or stop) its parent's office
        self.started = 0  # offices started, the first included: a restart shows as 2
        self.converted = 0
        self.lock = threading.RLock()
        self._buffer = b""

    def start(self) -> None:
        """Start the office without waiting for it (it starts while the first document is made)."""
        with self.lock:
            if self.bridge is not None:
                return
            self.folder = Path(tempfile.mkdtemp(prefix="casegen-office-"))
            self.pipe_name = f"casegen-{os.getpid()}-{self.folder.name}"
            self.bridge = subprocess.Popen(
                [self.python, str(BRIDGE), self.soffice, str(self.folder), self.pipe_name],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                env=self.environment, start_new_session=True)
            self.ready, self.office_pid, self._buffer = False, None, b""
            self.started += 1

    def convert(self, docx: Path, pdf: Path, options: dict) -> None:
        """`docx` as PDF at `pdf` (a temporary path: the caller renames it into place), with
        LibreOffice's PDF export `options`; a failure gets a new office and one more try before
        OfficeFailed."""
        with self.lock:
            try:
                self._convert(docx, pdf, options)
            except OfficeFailed:
                self.stop(kill=True)
                pdf.unlink(missing_ok=True)
                self._convert(docx, pdf, options)

    def _convert(self, docx: Path, pdf: Path, options: dict) -> None:
        try:
            self.start()
            self._wait_ready()
            assert self.bridge is not None and self.bridge.stdin is not None and self.folder is not None
            # LibreOffice writes into its own folder: its lock and scratch files never land beside
            # the user's documents, and go with the office when it is killed
            self.converted += 1
            made = self.folder / "out" / f"{self.converted}.pdf"
            made.parent.mkdir(exist_ok=True)
            request = {"docx": str(docx.resolve()), "pdf": str(made), "options": options}
            self.bridge.stdin.write((json.dumps(request, ensure_ascii=False) + "\n").encode())
            self.bridge.stdin.flush()
            reply = self._reply(document_seconds(), "转换")
        except BrokenPipeError:
            raise OfficeFailed("LibreOffice 意外退出") from None
        if "error" in reply:
            raise OfficeFailed(f"LibreOffice 报错（{reply['error'][:200]}）")
        if not _whole_pdf(made):
            raise OfficeFailed("LibreOffice 写出的 PDF 不完整")
        shutil.copyfile(made, pdf)
        made.unlink(missing_ok=True)

    def _wait_ready(self) -> None:
        while not self.ready:
            reply = self._reply(start_seconds(), "启动")
            if "error" in reply:
                raise OfficeFailed(reply["error"])
            self.office_pid = reply.get("office", self.office_pid)
            self.ready = bool(reply.get("ready"))

    def _reply(self, seconds: float, doing: str) -> dict:
        """The bridge's next line, or OfficeFailed when it takes longer than `seconds` or the
        bridge ends."""
        assert self.bridge is not None and self.bridge.stdout is not None
        deadline = time.monotonic() + seconds
        stream = self.bridge.stdout.fileno()
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise OfficeFailed(f"LibreOffice {doing}超过 {seconds:.0f} 秒未完成")
            readable, _, _ = select.select([stream], [], [], left)
            if readable:
                chunk = os.read(stream, 65536)
                if not chunk:
                    raise OfficeFailed("LibreOffice 意外退出")
                self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return json.loads(line)

    def stop(self, *, kill: bool = False) -> None:
        """The office, its bridge and its profile, gone: asked to quit (the bridge does it when
        its input closes), or with `kill` (a hung or dead office) killed at once."""
        with self.lock:
            bridge, self.bridge = self.bridge, None
            if bridge is None or self.owner != os.getpid():
                return
            if not kill and bridge.stdin is not None:
                try:
                    bridge.stdin.close()
                    bridge.wait(timeout=8)
                except (OSError, subprocess.TimeoutExpired):
                    pass
            for group in (self.office_pid, bridge.pid):
                if group:
                    with contextlib.suppress(OSError):  # gone already
                        os.killpg(group, signal.SIGKILL)
            bridge.wait()
            for stream in (bridge.stdin, bridge.stdout):
                if stream is not None:
                    with contextlib.suppress(OSError):
                        stream.close()
            if self.folder is not None:
                shutil.rmtree(self.folder, ignore_errors=True)
            Path(f"/tmp/OSL_PIPE_{os.getuid()}_{self.pipe_name}").unlink(missing_ok=True)
            self.ready, self.office_pid = False, None


def _whole_pdf(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            head = handle.read(5)
            handle.seek(max(0, os.fstat(handle.fileno()).st_size - 1024))
            return head == b"%PDF-" and b"%%EOF" in handle.read()
    except OSError:
        return False


_kept: Office | None = None
_kept_lock = threading.Lock()


def kept_office(soffice: str, environment: dict) -> Office | None:
    """This process's office for the UNO bridge found now (None without one: the caller converts
    the one-shot way), stopped when the process ends: a normal exit, Ctrl-C, SIGTERM turned
    into an exit, and the end of a pool worker (which runs multiprocessing's finalizers, not
    atexit's). A process killed outright closes the bridge's input, and the bridge then ends the
    office itself."""
    global _kept
    python = uno_python()
    with _kept_lock:
        if _kept is not None and _kept.owner == os.getpid():
            if (_kept.python, _kept.soffice, _kept.environment) == (python, soffice, environment):
                return _kept
            _kept.stop()  # another bridge, LibreOffice or face mapping asked for: a new office
        _kept = None
        if python is None:
            return None
        _kept = Office(python, soffice, environment)
        multiprocessing_util.Finalize(None, _kept.stop, exitpriority=100)
        return _kept
