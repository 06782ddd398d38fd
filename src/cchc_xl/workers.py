"""A batch's items shared among worker processes, the results in the items' order (`--jobs N`).

The worker (a callable) is installed once in each process by the pool's initializer — with `fork`, where
the system has it, the processes start with what the caller holds (the criteria set, settings, memos)
instead of unpickling it with every item. At most a few items per process are in flight, so a long batch
keeps its memory flat. The calling process alone answers Ctrl-C: the workers ignore it (no traceback of
theirs on the console), the items not started are cancelled and those running finish. A worker that dies
makes `WorkerDied`; a worker leaves as soon as its parent is gone (a killed command leaves no process).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

IN_FLIGHT = 4  # items per worker handed out ahead


def cores() -> int:
    """The CPU cores this process may use (all the machine's where the system cannot tell): `--jobs`'s default."""
    if hasattr(os, "sched_getaffinity"):  # (not on Windows nor macOS)
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


class WorkerDied(RuntimeError):
    """A worker process ended before it gave its result (killed, out of memory)."""


# The worker of this process (set once per worker process by the pool's initializer).
_installed: list[Callable[[Any], Any]] = []


def _install(worker: Callable[[Any], Any], parent: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _installed[:] = [worker]
    threading.Thread(target=_leave_with, args=(parent,), daemon=True).start()


def _leave_with(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def _run(item: Any) -> Any:
    return _installed[0](item)


def in_workers(items: Iterable[Item], worker: Callable[[Item], Result], jobs: int) -> Iterator[Result]:
    """`worker(item)` for each of `items`, in their order, made by `jobs` processes (this process itself
    when `jobs` is 1). `worker` should answer for its own failures: an exception it raises is raised here."""
    if jobs <= 1:
        yield from map(worker, items)
        return
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    pending: deque[Future[Result]] = deque()
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_install,
                             initargs=(worker, os.getpid())) as pool:
        try:
            for item in items:
                pending.append(pool.submit(_run, item))
                if len(pending) >= jobs * IN_FLIGHT:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        except BrokenProcessPool as exc:
            raise WorkerDied() from exc
        finally:  # Ctrl-C, a failure here or in the caller: nothing more is started
            for future in pending:
                future.cancel()
            pool.shutdown(wait=True, cancel_futures=True)
