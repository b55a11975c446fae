"""Parallel: run a pipeline stage over many items here, in worker processes, or on Dask.

Analysis is a pure function of each article, so a build can fan it out: ``workers=N`` uses N
local processes, ``scheduler="tcp://HOST:8786"`` the workers of a Dask distributed cluster.
Results always come back in input order, so every way of running gives the same index. At most
a few batches per worker are in flight at once, which bounds memory however large the input.

Local workers leave Ctrl-C to the build, which stops them, and exit on their own when the
build's process ends in any other way (killed): none is left behind, nor with them the fork
server and resource tracker of :mod:`multiprocessing`, which end with the last of them.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import select
import signal
import threading
import time
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

from ..errors import SearchlibError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

T = TypeVar("T")
R = TypeVar("R")

#: Items per batch sent to a worker: large enough that sending costs little next to the work.
BATCH = 64


class Runner:
    """Maps a function over batches of items, keeping the input order."""

    def __init__(
        self,
        submit: Callable[..., Any] | None = None,
        window: int = 1,
        local: bool = True,
        stop: Callable[[], None] | None = None,
        release: Callable[[], None] | None = None,
    ) -> None:
        self._submit = submit
        self._window = max(1, window)
        self._local = local
        self._stop = stop
        self._release = release

    def stop(self) -> None:
        """Stop the work in flight at once (local workers are ended): the build failed."""
        if self._stop is not None:
            self._stop()

    def release(self) -> None:
        """No more work will be given: local workers end now, and their memory goes with them
        (at 1M articles, over a gigabyte that a build's last steps would hold besides theirs).
        Work given afterwards runs in this process."""
        if self._release is not None:
            self._release()
            self._submit = None

    @property
    def local(self) -> bool:
        """True when the work runs on this machine (and may write files for this process)."""
        return self._local

    @property
    def parallel(self) -> bool:
        """True when the work runs outside this process."""
        return self._submit is not None

    def map(
        self, function: Callable[[list[T]], list[R]], items: Iterable[T], batch: int = BATCH
    ) -> Iterator[R]:
        """``function`` takes a batch (a list) and returns one result per item, in order."""
        for results in self.apply(function, _batches(items, batch)):
            yield from results

    def apply(self, function: Callable[[T], R], arguments: Iterable[T]) -> Iterator[R]:
        """``function(argument)`` for each argument, in order (a few at a time elsewhere)."""
        if self._submit is None:
            for argument in arguments:
                yield function(argument)
            return
        pending: deque[Any] = deque()
        for argument in arguments:
            pending.append(self._submit(function, argument))
            if len(pending) >= self._window:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


@contextlib.contextmanager
def runner(workers: int = 1, scheduler: str | None = None) -> Iterator[Runner]:
    """A :class:`Runner` for this process (``workers=1``), ``workers`` local processes, or the
    Dask cluster at ``scheduler`` (which needs ``pip install 'searchlib[dask]'``)."""
    if scheduler:
        with _dask_client(scheduler) as client:
            workers_there = max(1, len(client.scheduler_info().get("workers", {})))
            yield Runner(client.submit, window=2 * workers_there, local=False)
        return
    if workers <= 1:
        yield Runner()
        return
    # Workers start from a small server process, not as forks of this one: a build holds the
    # state of every article of its sources by then, and forked workers would each come to
    # hold a copy (Python's reference counts write to the pages they share).
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("forkserver" if "forkserver" in methods else None)
    executor = ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_start_worker, initargs=(os.getpid(),)
    )
    try:
        yield Runner(
            executor.submit,
            window=2 * workers,
            stop=lambda: _end_workers(executor),
            release=executor.shutdown,
        )
    except BaseException:
        _end_workers(executor)  # rather than wait for the batches they are working on
        raise
    finally:
        executor.shutdown(cancel_futures=True)


def _end_workers(executor: ProcessPoolExecutor) -> None:
    # The executor has no public way to end its workers now (shutdown waits for their batches).
    processes = list((getattr(executor, "_processes", None) or {}).values())
    for process in processes:
        with contextlib.suppress(OSError, ValueError):
            process.kill()
    for process in processes:
        with contextlib.suppress(OSError, ValueError, AssertionError):
            process.join(10)
    # A worker killed while sending a result leaves half a message in the result pipe, and the
    # executor's thread would wait for the rest forever: with the last writer closed, it reads
    # the end of the pipe instead, and gives up.
    writer = getattr(getattr(executor, "_result_queue", None), "_writer", None)
    if writer is not None:
        with contextlib.suppress(OSError):
            writer.close()
    executor.shutdown(wait=True, cancel_futures=True)


def _start_worker(build: int) -> None:
    """A local worker's first act: ignore Ctrl-C (the build gets it too, and ends the workers)
    and end this process as soon as the build's process ``build`` is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_after, args=(build,), daemon=True).start()


def _exit_after(build: int) -> None:
    # Not the parent's death signal (prctl): a worker's parent is the fork server, which
    # outlives the build while any worker does.
    try:
        handle = os.pidfd_open(build)  # readable once the process has ended (Linux ≥ 5.3)
    except (AttributeError, OSError):
        while _alive(build):
            time.sleep(0.5)
    else:
        select.select([handle], [], [])
    os._exit(1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, and someone else's
        pass
    return True


@contextlib.contextmanager
def _dask_client(scheduler: str) -> Iterator[Any]:
    try:
        from dask.distributed import Client
    except ImportError as error:
        raise SearchlibError(
            "building on a Dask cluster needs the dask extra",
            "install it with: pip install 'searchlib[dask]'",
        ) from error
    try:
        client = Client(scheduler, timeout=os.environ.get("SEARCHLIB_DASK_TIMEOUT", "10s"))
    except OSError as error:
        raise SearchlibError(
            f"cannot reach the Dask scheduler at {scheduler}: {error}",
            "check the address, or build on this machine with --workers N",
        ) from error
    try:
        yield client
    finally:
        client.close()


def default_workers() -> int:
    """How many local processes ``--workers auto`` means: one per available core."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1
