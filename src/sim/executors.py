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

PR_SET_PDEATHSIG = 1
"""``prctl`` option: the signal a process receives when its parent dies (Linux)."""

WATCH_SECONDS = 0.5
"""How often a worker checks that its parent is alive (where no parent-death signal exists)."""


def die_with_parent(parent_pid: int, use_prctl: bool = True,
                    interval: float = WATCH_SECONDS) -> str:
    """Make this process exit when ``parent_pid`` (its parent) dies.

    On Linux the kernel sends SIGKILL on the parent's death (``prctl(PR_SET_PDEATHSIG)``,
    through ctypes); everywhere (macOS, or if prctl is unavailable) a daemon thread checks
    ``os.getppid()`` every ``interval`` seconds and exits the process once the parent is
    gone (the process is then re-parented). Returns how: ``prctl+watchdog`` or ``watchdog``.
    """
    import signal
    import sys
    import threading
    import time

    how = "watchdog"
    if use_prctl and sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            if libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0:
                how = "prctl+watchdog"
        except (OSError, AttributeError):  # pragma: no cover - no libc prctl: the watchdog alone
            pass
    if os.getppid() != parent_pid:  # the parent died before the signal was armed
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(interval)
            if os.getppid() != parent_pid:
                os._exit(1)

    threading.Thread(target=watch, name="zhuqi-parent-watchdog", daemon=True).start()
    return how


def _set_shared(shared: Any, parent_pid: int | None = None, use_prctl: bool = True) -> None:
    global _SHARED
    if parent_pid is not None:
        die_with_parent(parent_pid, use_prctl)
    _SHARED = shared


def _call_shared(fn: Fn, task: Any) -> Any:
    return fn(_SHARED, task)


class WorkerDied(RuntimeError):
    """The worker process running a task died (killed, out of memory, a crash)."""


class ProcessExecutor(Executor):
    """Local worker processes (``concurrent.futures.ProcessPoolExecutor``, spawned).

    Workers exit when this process dies (:func:`die_with_parent`). When a worker dies, the
    pool is restarted and the tasks it took down are run again, one at a time so that the
    task that kills its worker is found: a task whose worker dies while it runs alone
    ``retries + 1`` times is reported lost (``WorkerDied``), every other task runs on.

    Args:
        workers: Number of processes.
        retries: Runs again of a task whose worker died while it ran alone.
    """

    name = "processes"
    use_prctl = True

    def __init__(self, workers: int, retries: int = 1) -> None:
        self.workers = max(1, int(workers))
        self.slots = self.workers
        self.retries = max(0, int(retries))
        self._pool: ProcessPoolExecutor | None = None
        self._shared: Any = None

    def map_unordered(self, fn: Fn, shared: Any, tasks: Iterable[Any],
                      max_in_flight: int | None = None) -> Iterator[Outcome]:
        limit = max_in_flight or 2 * self.workers
        pending: dict[Future, tuple[Any, bool]] = {}  # future: (task, running alone)
        suspects: list[Any] = []  # tasks a dead worker took down, to run again alone
        deaths: dict[int, int] = {}  # id(task): deaths while it ran alone
        it = iter(tasks)
        exhausted = False
        try:
            while True:
                pool = self._ensure_pool(shared)
                if suspects:
                    if not pending:
                        task = suspects.pop(0)
                        pending[pool.submit(_call_shared, fn, task)] = (task, True)
                else:
                    while not exhausted and len(pending) < limit:
                        try:
                            task = next(it)
                        except StopIteration:
                            exhausted = True
                            break
                        pending[pool.submit(_call_shared, fn, task)] = (task, False)
                if not pending:
                    return
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                broken = False
                for fut in done:
                    task, alone = pending.pop(fut)
                    exc = fut.exception()
                    if not isinstance(exc, BrokenProcessPool):
                        yield task, (None if exc else fut.result()), exc
                        continue
                    broken = True
                    if not alone:
                        suspects.append(task)
                        continue
                    deaths[id(task)] = deaths.get(id(task), 0) + 1
                    if deaths[id(task)] > self.retries:
                        yield task, None, WorkerDied(
                            f"the worker process died while running this task alone "
                            f"{deaths[id(task)]} times ({exc})")
                    else:
                        suspects.append(task)
                if broken:
                    # every task still on the broken pool is lost with it: run them again
                    for fut, (task, _alone) in list(pending.items()):
                        if fut.done() and fut.exception() is None:  # finished before the death
                            yield task, fut.result(), None
                        else:
                            suspects.append(task)
                    pending.clear()
                    self.close()  # the next round starts a fresh pool
        except BaseException:
            self.close()
            raise

    def _ensure_pool(self, shared: Any) -> ProcessPoolExecutor:
        """The pool, started (once) with ``shared`` in every worker."""
        import multiprocessing as mp

        if self._pool is None or self._shared is not shared:
            self.close()
            self._pool = ProcessPoolExecutor(self.workers, mp_context=mp.get_context("spawn"),
                                             initializer=_set_shared,
                                             initargs=(shared, os.getpid(), self.use_prctl))
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
