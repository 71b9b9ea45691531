"""Where runs execute: in this process, in local processes, or on a Dask cluster.

Every executor has one method, :meth:`Executor.map_unordered`, which calls
``fn(shared, task)`` for each task and yields ``(task, result, error)`` as runs finish (in
any order), keeping at most ``max_in_flight`` tasks submitted at a time so that memory
stays flat on long sweeps. ``shared`` (the scenario) is sent to each worker once: as the
process pool's initializer argument, or scattered to every Dask worker. ``fn`` is expected
to catch its own errors; ``error`` reports what the executor itself saw go wrong (a worker
process that died, a task Dask gave up on).
"""

from __future__ import annotations

import os
import socket
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

Fn = Callable[[Any, Any], Any]
Outcome = tuple[Any, Any, BaseException | None]


def worker_name() -> str:
    """``host:pid`` of the process running this."""
    return f"{socket.gethostname()}:{os.getpid()}"


class Executor(ABC):
    """The interface: ``map_unordered`` and ``close`` (also a context manager)."""

    name = "executor"
    slots = 1

    @abstractmethod
    def map_unordered(self, fn: Fn, shared: Any, tasks: Iterable[Any],
                      max_in_flight: int | None = None) -> Iterator[Outcome]:
        """Run ``fn(shared, task)`` for every task, yielding outcomes as they finish, with
        at most ``max_in_flight`` runs under way."""

    def close(self) -> None:  # noqa: B027 - executors without workers have nothing to release
        """Release workers and connections."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class InProcessExecutor(Executor):
    """Runs tasks one after another in this process (debugging, notebooks, tests)."""

    name = "in-process"

    def map_unordered(self, fn: Fn, shared: Any, tasks: Iterable[Any],
                      max_in_flight: int | None = None) -> Iterator[Outcome]:
        for task in tasks:
            try:
                yield task, fn(shared, task), None
            except Exception as exc:  # noqa: BLE001 - reported as the run's failure
                yield task, None, exc


_SHARED: Any = None


def _set_shared(shared: Any) -> None:
    global _SHARED
    _SHARED = shared


def _call_shared(fn: Fn, task: Any) -> Any:
    return fn(_SHARED, task)


class ProcessExecutor(Executor):
    """Local worker processes (``concurrent.futures.ProcessPoolExecutor``, spawned).

    Args:
        workers: Number of processes.
    """

    name = "processes"

    def __init__(self, workers: int) -> None:
        self.workers = max(1, int(workers))
        self.slots = self.workers
        self._pool: ProcessPoolExecutor | None = None
        self._shared: Any = None

    def map_unordered(self, fn: Fn, shared: Any, tasks: Iterable[Any],
                      max_in_flight: int | None = None) -> Iterator[Outcome]:
        limit = max_in_flight or 2 * self.workers
        pool = self._ensure_pool(shared)
        pending: dict[Future, Any] = {}
        it = iter(tasks)
        exhausted = False
        try:
            while True:
                while not exhausted and len(pending) < limit:
                    try:
                        task = next(it)
                    except StopIteration:
                        exhausted = True
                        break
                    pending[pool.submit(_call_shared, fn, task)] = task
                if not pending:
                    return
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    task = pending.pop(fut)
                    exc = fut.exception()
                    if isinstance(exc, BrokenProcessPool):
                        self.close()  # a worker died: the next call starts a fresh pool
                    yield task, (None if exc else fut.result()), exc
        except BaseException:
            self.close()
            raise

    def _ensure_pool(self, shared: Any) -> ProcessPoolExecutor:
        """The pool, started (once) with ``shared`` in every worker."""
        import multiprocessing as mp

        if self._pool is None or self._shared is not shared:
            self.close()
            self._pool = ProcessPoolExecutor(self.workers, mp_context=mp.get_context("spawn"),
                                             initializer=_set_shared, initargs=(shared,))
            self._shared = shared
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
            self._shared = None


def _dask_call(fn: Fn, shared: Any, task: Any) -> Any:
    return fn(shared, task)


class DaskExecutor(Executor):
    """Runs on a Dask distributed cluster.

    Args:
        address: The scheduler (``tcp://host:8786``), or an existing
            ``distributed.Client`` (left open on close).

    Dask runs a task at least once: when a worker dies its tasks run again elsewhere, and
    a result may come back twice; the store keeps one row per run key.
    """

    name = "dask"

    def __init__(self, address: Any) -> None:
        try:
            from distributed import Client
        except ImportError as exc:  # pragma: no cover - optional extra
            raise ValueError("--scheduler needs the dask extra: pip install 'zhuqi[dask]'") from exc
        if isinstance(address, Client):
            self.client, self._own = address, False
        else:
            try:
                self.client, self._own = Client(address, timeout="20s"), True
            except OSError as exc:
                raise ValueError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
        self.slots = max(1, sum(self.client.nthreads().values()))
        self._shared: Any = None
        self._shared_f: Any = None

    def map_unordered(self, fn: Fn, shared: Any, tasks: Iterable[Any],
                      max_in_flight: int | None = None) -> Iterator[Outcome]:
        from distributed import as_completed

        limit = max_in_flight or max(4, 2 * self.slots)
        if self._shared is not shared:  # scattered once, reused by later calls (staff levels)
            self._release()
            # in a list, so that a dict is sent as one object under a fresh key (a dict is
            # scattered value by value under its own keys, which a second executor on the
            # same client reuses while the first one's release of them is under way)
            self._shared_f = self.client.scatter([shared], broadcast=True, hash=False)[0]
            self._shared = shared
        shared_f = self._shared_f
        it = iter(tasks)
        queue = as_completed([], loop=self.client.loop, with_results=False)
        pending: dict[Any, Any] = {}

        def submit() -> bool:
            try:
                task = next(it)
            except StopIteration:
                return False
            fut = self.client.submit(_dask_call, fn, shared_f, task, pure=False)
            pending[fut.key] = (task, fut)
            queue.add(fut)
            return True

        while len(pending) < limit and submit():
            pass
        try:
            for fut in queue:
                task, _ = pending.pop(fut.key)
                if fut.status == "finished":
                    yield task, fut.result(), None
                else:
                    try:
                        exc = fut.exception()
                    except BaseException as lost:  # noqa: BLE001 - cancelled futures raise
                        exc = lost
                    if exc is None:  # cancelled or lost without an exception to show
                        exc = RuntimeError(f"Dask reports the task {fut.status}")
                    yield task, None, exc
                fut.release()
                submit()
        finally:
            if pending:  # stopped early: drop what is still queued
                self.client.cancel([f for _, f in pending.values()])

    def _release(self) -> None:
        if self._shared_f is not None:
            self.client.cancel(self._shared_f)
        self._shared, self._shared_f = None, None

    def close(self) -> None:
        self._release()
        if self._own:
            self.client.close()


def make_executor(workers: int | None = None, scheduler: Any = None) -> Executor:
    """The executor for ``--workers N`` (1 = in-process) or ``--scheduler ADDRESS``."""
    if scheduler is not None:
        return DaskExecutor(scheduler)
    n = workers or os.cpu_count() or 1
    return InProcessExecutor() if n <= 1 else ProcessExecutor(n)
