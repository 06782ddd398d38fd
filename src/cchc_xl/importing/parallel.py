"""`import --jobs N`: the files of a batch read and checked in N worker processes (`workers.in_workers`).

Each worker imports a file (`FileImporter`) and makes its own outputs (`prepare`: its feedback workbook and
what its store record holds), then releases the result and sends that light summary back. The calling
process takes the results in the inbox's order and does everything shared: the store, the progress, the
end-of-batch checks, the JSON report and the validation workbook — so the report and the store are those
of a one-process run. A worker that dies raises `workers.WorkerDied` here (what the store holds stays).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from cchc_xl.importing.discover import Candidate
from cchc_xl.importing.run import FileImporter, SubmissionResult
from cchc_xl.workers import in_workers

Prepare = Callable[[SubmissionResult], None]


class _Worker:
    """One file imported and its outputs made, in a worker (set up once per worker process, so that its
    feedback package and memos last the whole batch)."""

    def __init__(self, importer: FileImporter, prepare: Prepare | None):
        self.importer, self.prepare = importer, prepare

    def __call__(self, item: tuple[Candidate, str]) -> SubmissionResult:
        res = self.importer(*item)
        if self.prepare is not None:
            self.prepare(res)
            res.release()
        return res


def imported_in_workers(work: list[tuple[Candidate, str]], importer: FileImporter, prepare: Prepare | None,
                        jobs: int) -> Iterator[SubmissionResult]:
    """The results of `work`, in its order, made by `jobs` processes."""
    return in_workers(work, _Worker(importer, prepare), jobs)
