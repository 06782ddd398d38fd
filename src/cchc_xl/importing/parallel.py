"""`import --jobs N`: the files of a batch read and checked in N worker processes.

Each worker imports a file (`FileImporter`) and makes its own outputs (`prepare`: its feedback workbook and
what its store record holds), then releases the result and sends that light summary back. The calling
process takes the results in the inbox's order and does everything shared: the store, the progress, the
end-of-batch checks, the JSON report and the validation workbook — so the report and the store are those
of a one-process run.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor

from cchc_xl.importing.discover import Candidate
from cchc_xl.importing.run import FileImporter, SubmissionResult

Prepare = Callable[[SubmissionResult], None]


class _Worker:
    def __init__(self, importer: FileImporter, prepare: Prepare | None):
        self.importer, self.prepare = importer, prepare

    def __call__(self, item: tuple[Candidate, str]) -> SubmissionResult:
        res = self.importer(*item)
        if self.prepare is not None:
            self.prepare(res)
            res.release()
        return res


# The worker of this process (set once per worker process by the pool's initializer, so that its feedback
# package and memos last the whole batch instead of being unpickled afresh with every chunk of files).
_installed: list[_Worker] = []


def _install(worker: _Worker, parent: int) -> None:
    _installed[:] = [worker]
    # A killed import leaves its workers behind, waiting for work that never comes: each leaves as soon
    # as its parent is gone.
    threading.Thread(target=_leave_with, args=(parent,), daemon=True).start()


def _leave_with(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def _run(item: tuple[Candidate, str]) -> SubmissionResult:
    return _installed[0](item)


def imported_in_workers(work: list[tuple[Candidate, str]], importer: FileImporter, prepare: Prepare | None,
                        jobs: int) -> Iterator[SubmissionResult]:
    """The results of `work`, in its order, made by `jobs` processes."""
    # fork: the workers start with the criteria set, layouts and settings already loaded
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    chunk = max(1, min(16, len(work) // (jobs * 8)))
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_install,
                             initargs=(_Worker(importer, prepare), os.getpid())) as pool:
        yield from pool.map(_run, work, chunksize=chunk)
