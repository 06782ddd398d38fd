"""The phiếu kết quả's rows (`CardsSummarySheet.write_body`) made in a forked process while this one writes the
ranking's other sheets: a country's one-sheet phiếu kết quả is 140 MB of text, a third of the report's
writing, and the machine's second core is idle meanwhile.

The child (a copy of this process, the workbook and the ranking data included) writes the sheet's heading and
the body's rows but the first `HERE_SHARE` (which this process writes meanwhile, once its other sheets are
written) into a worksheet of its own copy of the workbook, the same code as here, and hands back its rows' file
from where its rows start, with what XlsxWriter learnt of those rows (dimensions, heights). The body's formats
are numbered before the fork (`CardsSummarySheet.number_body_styles`, on both paths), so its XML carries the
numbers this workbook gives them. At the phiếu's place this process writes its own heading and the first
rows, borrows the child's rows' XML where the child wrote it (the package step reads it from the child's file,
which stays until the workbook is closed: copying a country's 140 MB into the sheet's row file took 0.3–0.4 s,
and 0.7 s or more of system time in all) and takes over the rest (`MadeRows.put`): the workbook is the same
bytes as when the body is written here (tests/test_ranking_rows.py).

XlsxWriter internals used, as sheet_xml uses them (versions pinned in pyproject.toml): the row file of
constant-memory mode, `previous_row`, `_write_single_row`, `_check_dimensions`, `row_info`, `row_sizes`.

The body is written here as before where os.fork is missing (Windows) or threads run, for fewer than
`MIN_COMMUNES` ranked communes (a fork costs more than it saves), with CCHC_XL_CARDS_WORKER=0, and (the child's
rows) whenever the child fails in any way.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import secrets
import shutil
import signal
import tempfile
import threading
from dataclasses import dataclass
from typing import Any

from cchc_xl.reports.ranking_sheets import Book, CardsSummarySheet

SWITCH = "CCHC_XL_CARDS_WORKER"
MIN_COMMUNES = 2_000
# The first rows are written here while the child makes the others: this process's other sheets take less
# time than the child's rows (a country's: ~1.3 s against ~1.8 s), so it would wait for the child; with a
# fifth of the rows here, a country's report waits 0.05–0.1 s for it (0.4–0.6 s with none).
HERE_SHARE = 0.2


@dataclass(frozen=True)
class MadeRows:
    """The body rows a child wrote: `path` from `offset` on holds their XML (rows `first_row`..`last_row`
    under the heading's `header` row); `next_row`, `dims`, `row_info`, `row_sizes`, `outline_level`: the
    child's worksheet after them."""

    path: str
    offset: int
    header: int
    first_row: int
    last_row: int
    next_row: int
    dims: tuple[int, int, int, int] | None  # rows min, max, columns min, max of the sheet
    row_info: dict[int, Any]
    row_sizes: dict[int, Any]
    outline_level: int

    def put(self, sheet: CardsSummarySheet) -> int:
        """The rows into `sheet` (its heading written, nothing after it), as `write_body` would have written
        them; returns the last row."""
        ws = sheet.ws
        ws._write_single_row(self.first_row)  # the heading's last row out, as the body's first row does
        if self.dims is not None:  # (the heading's and the body's, as the child's sheet has them)
            for name, value, pick in zip(("dim_rowmin", "dim_rowmax", "dim_colmin", "dim_colmax"), self.dims,
                                         (min, max, min, max), strict=True):
                mine = getattr(ws, name)
                setattr(ws, name, value if mine is None else pick(mine, value))
        ws.borrow_rows(self.path, self.offset)  # (a ranking workbook's sheet: read from the child's file when packaged)
        ws.row_info.update(self.row_info)
        ws.row_sizes.update(self.row_sizes)
        ws.outline_row_level = max(ws.outline_row_level, self.outline_level)
        ws.previous_row = self.next_row
        sheet.last_row = max(sheet.last_row, self.last_row)
        return self.last_row


class CardsWorker:
    """A forked child making the phiếu kết quả's body (`start`), its rows taken (`result`) and its traces
    removed (`close`, always)."""

    def __init__(self, pid: int, fd: int, folder: str, start: int):
        self.pid = pid
        self.fd = fd
        self.folder = folder  # the child's files (removed by `close`, whatever became of the child)
        self.start = start  # the first ranked commune (by index) whose row the child makes
        self.made: MadeRows | None = None
        self.running = True

    @classmethod
    def start(cls, book: Book, min_communes: int = MIN_COMMUNES) -> CardsWorker | None:
        """The child started, or None when the body is better written here (see the module's notes)."""
        if (os.environ.get(SWITCH, "1") == "0" or not hasattr(os, "fork") or threading.active_count() > 1
                or len(book.ranked) < min_communes):
            return None
        start = int(len(book.ranked) * HERE_SHARE)
        folder = tempfile.mkdtemp(prefix="cchc-xl-phieu-", dir=book.wb.tmpdir)
        read, write = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            os.close(read)
            os.close(write)
            shutil.rmtree(folder, ignore_errors=True)
            return None
        if pid == 0:  # the child: nothing of the parent's is flushed or cleaned up (os._exit)
            code = 1
            try:
                os.close(read)
                book.wb.tmpdir = folder  # (the child's copy of the workbook: its sheet's rows go there)
                data = pickle.dumps(_make(book, start), protocol=pickle.HIGHEST_PROTOCOL)
                with os.fdopen(write, "wb") as out:
                    out.write(data)
                code = 0
            except BaseException:  # (the parent writes the body itself)
                pass
            finally:
                os._exit(code)
        os.close(write)
        return cls(pid, read, folder, start)

    def result(self) -> MadeRows | None:
        """The child's rows once it is done; None when it failed."""
        with os.fdopen(self.fd, "rb") as f:
            data = f.read()
        _, status = os.waitpid(self.pid, 0)
        self.running = False
        if status != 0 or not data:
            return None
        try:
            made = pickle.loads(data)
        except Exception:
            return None
        self.made = made if isinstance(made, MadeRows) else None
        return self.made

    def close(self) -> None:
        """The child stopped if it still runs (this process failed meanwhile), its files removed."""
        if self.running:
            with contextlib.suppress(OSError):
                os.kill(self.pid, signal.SIGKILL)
            with contextlib.suppress(OSError):
                os.close(self.fd)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self.pid, 0)
            self.running = False
        shutil.rmtree(self.folder, ignore_errors=True)


def _make(book: Book, start: int) -> MadeRows:
    """In the child: the sheet's heading and the body's rows from the `start`-th ranked commune on, written into
    a worksheet of the child's workbook."""
    ws = book.wb.add_worksheet(f"cards-{secrets.token_hex(4)}")
    sheet = CardsSummarySheet(book, ws)
    header = sheet.write_heading()
    first = header + 1 + start
    ws._write_single_row(first)  # the heading's rows out: the child's rows start here
    ws.fh.flush()
    offset = ws.fh.buffer.tell()
    last = sheet.write_body(header, start=start)
    ws._write_single_row(last + 1)  # the last row out
    ws.fh.flush()
    dims = None if ws.dim_rowmin is None else (ws.dim_rowmin, ws.dim_rowmax, ws.dim_colmin, ws.dim_colmax)
    return MadeRows(path=ws.row_data_filename, offset=offset, header=header, first_row=first, last_row=last,
                    next_row=ws.previous_row, dims=dims,
                    row_info={r: info for r, info in ws.row_info.items() if r >= first},
                    row_sizes={r: size for r, size in ws.row_sizes.items() if r >= first},
                    outline_level=ws.outline_row_level)
