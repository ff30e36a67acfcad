"""Working through many cases: in parallel processes, skipping what is up to date, never stopping
for one bad case. Each case's outputs are written atomically by the stages themselves."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent import futures  # its process pool is imported when first asked for (a package __getattr__)
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from casegen.base.writing import remove_abandoned
from casegen.outputs.fonts import cjk_font

RENDERED, SKIPPED, FAILED = "rendered", "skipped", "failed"




@dataclass
class Outcome:
    path: Path
    status: str
    outputs: list[Path] = field(default_factory=list)
    reason: str = ""
    marks: list[str] = field(default_factory=list)  # red marks in the document


_working = False  # a worker between cases has nothing to unwind when stopped


def run_one(work: Callable[[Any], Outcome], job: Any) -> Outcome:
    """One job's work (in a worker process, or in this one)."""
    global _working
    _working = True
    try:
        return work(job)
    finally:
        _working = False




def remove_stale_temporaries(out_dir: Path) -> list[Path]:
    """Temporary files left by a run that was killed, in the folders casegen writes: the output
    folder and its photo folders."""
    if not out_dir.is_dir():
        return []
    return remove_abandoned([out_dir, *(p for p in out_dir.glob("*_现场图片") if p.is_dir())])


def run_jobs(jobs: list, work: Callable[[Any], Outcome], *, workers: int = 1,
             force: bool = False, prepare: Callable[[], None] | None = None) -> Iterator[Outcome]:
    """Outcomes of `work` on each job as cases finish; up-to-date cases are skipped unless `force`. Worker processes
    only when there are two cases or more to render and more than one worker is allowed: one
    case renders in this process, without paying for a pool whose workers import it all again.
    `prepare` runs once in each process that works, before its first job (a LibreOffice started)."""
    todo = []
    for job in jobs:
        if not force and job.up_to_date():
            yield Outcome(job.case_file.path, SKIPPED, job.outputs(), "输出比输入新，未重新生成")
        else:
            todo.append(job)
    if workers <= 1 or len(todo) <= 1:
        if prepare is not None and todo:
            prepare()
        for job in todo:
            yield run_one(work, job)
        return

    pool = futures.ProcessPoolExecutor(max_workers=min(workers, len(todo)), initializer=_warm_up,
                                       initargs=(prepare,))
    running = [pool.submit(run_one, work, job) for job in todo]
    try:
        for future in futures.as_completed(running):
            yield future.result()
    except BaseException:
        for future in running:  # a case in progress finishes (atomically); the rest never start
            future.cancel()
        raise
    finally:
        pool.shutdown(cancel_futures=True)


def _die_with_parent() -> None:
    """Linux: a worker gets SIGTERM when the process that started it dies (even by kill -9),
    instead of living on, holding memory and the terminal."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _worker_stop(signum, frame):
    """SIGTERM in a worker (its parent died, or the batch was stopped): unwind the case in
    progress, which removes its temporary files, then leave for sure: the pool's loop would
    otherwise catch the interruption and wait for work that never comes."""
    if not _working:  # waiting for work: an interruption there printed a traceback
        os._exit(1)
    threading.Timer(2.0, os._exit, args=(1,)).start()
    raise KeyboardInterrupt


def _stop_again(unraisable) -> None:
    """A stop that lands in a finalizer or a weakref callback is swallowed there by Python and
    printed as "Exception ignored": deliver it again, to the case the worker is working on."""
    if isinstance(unraisable.exc_value, KeyboardInterrupt):  # again in a moment, from outside the callback
        threading.Timer(0.02, os.kill, args=(os.getpid(), signal.SIGTERM)).start()
        return
    sys.__unraisablehook__(unraisable)


def _warm_up(prepare: Callable[[], None] | None) -> None:
    """Find the font once per worker, and prepare, before the first case (the libraries came
    with the fork)."""
    # Ctrl-C reaches the whole process group: the parent stops the batch (a case in progress
    # finishes, the rest never start); a worker stopped in its imports printed a traceback
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the parent's handler, inherited by fork
    _die_with_parent()
    if prepare is not None:
        prepare()
    cjk_font()
    # only now: stopped while finding the font, a worker simply ends (it has written nothing)
    sys.unraisablehook = _stop_again
    signal.signal(signal.SIGTERM, _worker_stop)
