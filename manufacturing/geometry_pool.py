"""Heavy geometry off the web server's event loop: a bounded pool of processes, a deadline per task.

Measuring an uploaded scan holds the interpreter for seconds; in the web process it would stall every other
request (the health check too). The web server hands such work to this pool instead: ``workers`` processes
(forked from a preloaded server process, so they start warm and share nothing with the web process's
threads), at most ``queue`` tasks waiting for one (beyond: ``ComputeBusyError``, 503), each task stopped after
``timeout_s`` (``ComputeTimeoutError``, 503). A task past its deadline is interrupted inside its process; one
stuck in native code that ignores the interruption is killed with its pool, and a pool whose process died is
replaced by a new one for the next task (``ComputeFailedError`` for the tasks it held).

Call ``run`` from a thread (a sync route, ``run_in_threadpool``), never from the event loop itself.
"""

from __future__ import annotations

import multiprocessing
import signal
import threading
from collections.abc import Callable
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeoutError
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from types import FrameType
from typing import Any, TypeVar

from geometry.errors import CspmsError
from manufacturing.settings import Settings

T = TypeVar("T")

# After its deadline a task has this long (s, at most its deadline again) to stop before its pool is killed.
_KILL_GRACE_S = 5.0
# Pool processes are renewed after this many tasks (memory a C library kept is returned).
_TASKS_PER_PROCESS = 200


class ComputeTimeoutError(CspmsError):
    """Heavy work that ran past its deadline and was stopped."""

    code = "compute_timeout"
    http_status = 503
    expected = True


class ComputeBusyError(CspmsError):
    """Every process of the pool is busy and the queue is full: try again shortly."""

    code = "compute_busy"
    http_status = 503
    expected = True


class ComputeFailedError(CspmsError):
    """The process doing the work died (killed for its memory, or stopped with its pool)."""

    code = "compute_failed"
    http_status = 503
    expected = True


@dataclass(frozen=True)
class PoolLimits:
    workers: int
    timeout_s: float
    queue: int

    @classmethod
    def of(cls, settings: Settings) -> PoolLimits:
        return cls(settings.scan_measure_workers, settings.scan_measure_timeout_s, settings.scan_measure_queue)


class _Expired(BaseException):
    """Raised inside a task at its deadline; a BaseException, so no ``except Exception`` in the task eats it."""


def _expire(_signal: int, _frame: FrameType | None) -> None:
    raise _Expired


def _run_with_deadline(timeout_s: float, task: Callable[..., T], args: tuple[Any, ...]) -> T:
    """In a pool process: ``task(*args)``, interrupted after ``timeout_s``."""
    previous = signal.signal(signal.SIGALRM, _expire)
    signal.setitimer(signal.ITIMER_REAL, timeout_s)
    try:
        return task(*args)
    except _Expired:
        raise ComputeTimeoutError(f"the work took longer than {timeout_s:g} s and was stopped",
                                  timeout_s=timeout_s) from None  # fmt: skip
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class GeometryPool:
    """A bounded process pool with a deadline per task (see the module's docstring)."""

    def __init__(self, limits: PoolLimits) -> None:
        self.limits = limits
        self._slots = threading.BoundedSemaphore(limits.workers + limits.queue)
        self._lock = threading.Lock()
        self._executor: ProcessPoolExecutor | None = None

    def run(self, task: Callable[..., T], *args: Any) -> T:
        """``task(*args)`` in a pool process (``task`` and ``args`` must pickle: a module-level function)."""
        if not self._slots.acquire(blocking=False):
            raise ComputeBusyError(
                f"all {self.limits.workers} measuring processes are busy and {self.limits.queue} tasks wait; "
                "try again in a minute", workers=self.limits.workers, queue=self.limits.queue,
            )  # fmt: skip
        try:
            executor = self._current_executor(preload=task.__module__)
            try:
                future = executor.submit(_run_with_deadline, self.limits.timeout_s, task, args)
            except BrokenProcessPool as exc:  # it died since it was handed out
                self._replace(executor)
                raise ComputeFailedError("the measuring processes were restarting; try again") from exc
            return self._result(executor, future)
        finally:
            self._slots.release()

    def _result(self, executor: ProcessPoolExecutor, future: Future[T]) -> T:
        # The deadline counts inside the process, from the task's start; this wait adds the queue's (at most
        # `queue` tasks ahead, each stopped at its deadline) and a grace for a task that ignores its deadline.
        ahead = self.limits.queue // self.limits.workers + 1
        backstop_s = (ahead + 1) * (self.limits.timeout_s + min(_KILL_GRACE_S, self.limits.timeout_s))
        try:
            return future.result(timeout=backstop_s)
        except ComputeTimeoutError:
            self._replace(executor)  # interrupted mid-way, a process may hold half-done native state: renew them
            raise
        except FutureTimeoutError:
            self._replace(executor, kill=True)
            raise ComputeTimeoutError(
                f"the work took longer than {self.limits.timeout_s:g} s and its process was stopped",
                timeout_s=self.limits.timeout_s,
            ) from None
        except (BrokenProcessPool, CancelledError) as exc:
            self._replace(executor)
            raise ComputeFailedError(
                "the measuring process died (out of memory, or stopped with its pool); the file may be too heavy"
            ) from exc

    def _current_executor(self, preload: str) -> ProcessPoolExecutor:
        """The live executor, made when there is none. The first task's module is imported once by the process
        server the pool's processes are forked from (one per web process), so each starts warm."""
        with self._lock:
            if self._executor is None:
                context = multiprocessing.get_context("forkserver")
                context.set_forkserver_preload([preload])
                self._executor = ProcessPoolExecutor(
                    max_workers=self.limits.workers, mp_context=context, max_tasks_per_child=_TASKS_PER_PROCESS
                )
            return self._executor

    def _replace(self, executor: ProcessPoolExecutor, kill: bool = False) -> None:
        """Drop ``executor`` (the next task gets a new one); ``kill``: stop its processes now."""
        with self._lock:
            if self._executor is executor:
                self._executor = None
        if kill:
            processes = getattr(executor, "_processes", None) or {}
            for process in list(processes.values()):
                process.kill()  # only this pool's own processes
        # Tasks already queued on it still run (or, killed, fail as ComputeFailedError); then its processes end.
        executor.shutdown(wait=False)

    def shutdown(self) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)


_pools: dict[PoolLimits, GeometryPool] = {}
_pools_lock = threading.Lock()


def geometry_pool(settings: Settings) -> GeometryPool:
    """The process-wide pool for these settings' limits (made on first use)."""
    limits = PoolLimits.of(settings)
    with _pools_lock:
        if limits not in _pools:
            _pools[limits] = GeometryPool(limits)
        return _pools[limits]
