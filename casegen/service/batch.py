"""Rendering many cases: in parallel processes, skipping what is up to date, never stopping
for one bad case. Each case's outputs are written atomically by the stages themselves."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from casegen.base.errors import CaseError
from casegen.case.reading import CaseFile

RENDERED, SKIPPED, FAILED = "rendered", "skipped", "failed"


@dataclass(frozen=True)
class Job:
    case_file: CaseFile
    stem: str
    out_dir: Path
    template: Path | None = None
    pdf: bool = False
    redact: bool = False
    calendar_file: Path | None = None

    @property
    def target(self) -> Path:
        suffix = "_公开版" if self.redact else ""
        return self.out_dir / f"{self.stem}{suffix}.docx"

    def outputs(self) -> list[Path]:
        return [self.target] + ([self.target.with_suffix(".pdf")] if self.pdf else [])

    def inputs(self) -> list[Path]:
        folder = self.case_file.path.parent
        photos = [folder / p.file for p in self.case_file.case.evidence.photos]
        extra = [self.template, self.calendar_file]
        return [self.case_file.path, *photos, *(p for p in extra if p)]

    def up_to_date(self) -> bool:
        """Every output exists and is newer than every input that exists, and the document was
        made with this template and this casegen (a template older than the document, or
        switched back, would otherwise leave it as it was)."""
        from casegen.outputs.document import making_stamp, stamp_of

        try:
            oldest_output = min(p.stat().st_mtime for p in self.outputs())
            newest_input = max((p.stat().st_mtime for p in self.inputs() if p.exists()), default=0)
            return oldest_output > newest_input and stamp_of(self.target) == making_stamp(self.template)
        except OSError:  # an output missing, a template gone: render and say what is wrong
            return False


@dataclass
class Outcome:
    path: Path
    status: str
    outputs: list[Path] = field(default_factory=list)
    reason: str = ""
    marks: list[str] = field(default_factory=list)  # red marks in the document


_rendering = False  # a worker between cases has nothing to unwind when stopped


def render_job(job: Job) -> Outcome:
    """Render one case (in a worker process): the sketch, photos, document, and PDF if asked."""
    global _rendering
    _rendering = True
    try:
        return _render_job(job)
    finally:
        _rendering = False


def _render_job(job: Job) -> Outcome:
    from casegen.service.build import render_one

    try:
        case_file = job.case_file
        if job.redact:
            from casegen.outputs.redact import redact

            case_file = CaseFile(case_file.path, redact(case_file.case), case_file.lines,
                                 case_file.findings, case_file.facts)
        rendered = render_one(case_file, job.out_dir, job.stem, template=job.template,
                              redact=job.redact)
        outputs = rendered.outputs
        if job.pdf:
            from casegen.outputs.workbooks import to_pdf

            outputs.append(to_pdf(job.target, job.target.with_suffix(".pdf")))
        return Outcome(job.case_file.path, RENDERED, outputs, marks=rendered.marks)
    except CaseError as e:
        return Outcome(job.case_file.path, FAILED, reason="；".join(f.message for f in e.findings))
    except OSError as e:  # a full disk, a folder that cannot be written
        from casegen.case.load import os_reason

        where = f"{e.filename}：" if e.filename else ""
        return Outcome(job.case_file.path, FAILED, reason=f"写文件失败：{where}{os_reason(e)}")
    except Exception as e:  # one bad case must not stop the batch; the reason is reported
        return Outcome(job.case_file.path, FAILED,
                       reason=f"生成时出错（程序内部错误 {type(e).__name__}，请把这个案例文件发给维护者）")


def remove_stale_temporaries(out_dir: Path) -> list[Path]:
    """casegen's own temporary files left by a run that was killed (its process is gone), in the
    folders casegen writes: the output folder and its photo folders. Nothing else is touched."""
    from casegen.base.writing import TEMPORARY, TEMPORARY_PREFIX

    removed = []
    if not out_dir.is_dir():
        return removed
    folders = [out_dir, *(p for p in out_dir.glob("*_现场图片") if p.is_dir())]
    for folder in folders:
        for path in folder.glob(f"{TEMPORARY_PREFIX}*"):
            match = TEMPORARY.match(path.name)
            if match and path.is_file() and not _alive(int(match.group(1))):
                path.unlink(missing_ok=True)
                removed.append(path)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    status = Path(f"/proc/{pid}/status")  # a killed worker nobody reaped is a zombie: dead
    try:
        return "\nState:\tZ" not in status.read_text()
    except OSError:
        return True


def run_jobs(jobs: list[Job], *, workers: int = 1, force: bool = False) -> Iterator[Outcome]:
    """Outcomes as cases finish; up-to-date cases are skipped unless `force`. Worker processes
    only when there are two cases or more to render and more than one worker is allowed: one
    case renders in this process, without paying for a pool whose workers import it all again."""
    todo = []
    for job in jobs:
        if not force and job.up_to_date():
            yield Outcome(job.case_file.path, SKIPPED, job.outputs(), "输出比输入新，未重新生成")
        else:
            todo.append(job)
    if workers <= 1 or len(todo) <= 1:
        for job in todo:
            yield render_job(job)
        return
    from concurrent.futures import ProcessPoolExecutor, as_completed  # only a batch needs a pool

    pool = ProcessPoolExecutor(max_workers=min(workers, len(todo)), initializer=_warm_up)
    futures = [pool.submit(render_job, job) for job in todo]
    try:
        for future in as_completed(futures):
            yield future.result()
    except BaseException:
        for future in futures:  # a case in progress finishes (atomically); the rest never start
            future.cancel()
        raise
    finally:
        pool.shutdown(cancel_futures=True)


def _die_with_parent() -> None:
    """Linux: a worker gets SIGTERM when the process that started it dies (even by kill -9),
    instead of living on, holding memory and the terminal."""
    import contextlib
    import ctypes
    import signal
    import sys

    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _worker_stop(signum, frame):
    """SIGTERM in a worker (its parent died, or the batch was stopped): unwind the case in
    progress, which removes its temporary files, then leave for sure: the pool's loop would
    otherwise catch the interruption and wait for work that never comes."""
    import os
    import threading

    if not _rendering:  # waiting for work: an interruption there printed a traceback
        os._exit(1)
    threading.Timer(2.0, os._exit, args=(1,)).start()
    raise KeyboardInterrupt


def _warm_up() -> None:
    """Import the heavy libraries and find the font once per worker, before the first case."""
    import signal

    # Ctrl-C reaches the whole process group: the parent stops the batch (a case in progress
    # finishes, the rest never start); a worker stopped in its imports printed a traceback
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the parent's handler, inherited by fork
    _die_with_parent()
    import docxtpl  # noqa: F401
    import matplotlib.backends.backend_agg
    import matplotlib.figure  # noqa: F401

    from casegen.outputs.fonts import cjk_font

    cjk_font()
    # only now: stopped while importing, a worker simply ends (it has written nothing)
    signal.signal(signal.SIGTERM, _worker_stop)
