"""Slow work of the app (OCR of scans and photos) on a worker thread that pages poll for progress.

OCR takes seconds a page. Run in a page script, it would hold that session's run for the whole
file; run here, the page shows "OCR 第 n/N 页" and polls until the job is done, while other
sessions are served as usual: onnxruntime releases the GIL while it reads a page and uses one
core (loaders.ocr), so the server's other threads keep the other core. Jobs are shared by the
server's sessions and keyed by what they read (the same upload in two sessions is read once);
WORKERS jobs run at a time, the rest wait their turn.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from loaders import ocr

log = logging.getLogger(__name__)

WORKERS = 1
# Finished jobs kept for pages to collect, oldest dropped first.
KEEP_JOBS = 64


@dataclass
class Job:
    """One piece of slow work: its progress in pages, then its result or its error."""

    done: int = 0
    total: int = 0
    result: Any = None
    error: BaseException | None = None
    finished: bool = False
    started: float = field(default_factory=time.monotonic)

    def report(self, done: int, total: int) -> None:
        self.done, self.total = done, total


_executor = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="background")
_jobs: dict[str, Job] = {}
_lock = threading.Lock()


def submit(key: str, work: Callable[[], Any]) -> Job:
    """The job of key: started now with work() unless one is already running or done."""
    with _lock:
        job = _jobs.get(key)
        if job is not None and not job.error:
            return job
        job = _jobs[key] = Job()
        finished = [k for k, j in _jobs.items() if j.finished]
        for old in finished[: max(0, len(_jobs) - KEEP_JOBS)]:
            _jobs.pop(old)
    _executor.submit(_run, job, work)
    return job


def _run(job: Job, work: Callable[[], Any]) -> None:
    try:
        with ocr.reporting(job.report):
            job.result = work()
    except Exception as exc:  # shown by the page; the traceback goes to the server's log
        log.exception("background job failed")
        job.error = exc
    finally:
        job.finished = True


def get(key: str) -> Job | None:
    with _lock:
        return _jobs.get(key)
