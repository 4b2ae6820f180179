"""Heavy geometry off the web server's event loop: a bounded pool of processes, a deadline per task.

Measuring an uploaded scan, fitting a last, flattening a design's pieces or a size run hold the interpreter for
seconds; in the web process they would stall every other request (the health check too). The web server hands
such work to this pool instead (one pool per web process, shared by every kind of work): ``workers`` processes
(forked from a preloaded server process, so they start warm and share nothing with the web process's
threads), at most ``queue`` tasks waiting for one (beyond: ``ComputeBusyError``, 503), each task stopped after
``timeout_s`` (``ComputeTimeoutError``, 503). A task past its deadline is interrupted inside its process; one
stuck in native code that ignores the interruption is killed with its pool, and a pool whose process died is
replaced by a new one for the next task (``ComputeFailedError`` for the tasks it held).

Call ``run`` from a thread (a sync route, ``run_in_threadpool``), never from the event loop itself. What crosses
to the pool and back is pickled: module-level functions, typed records (dataclasses), never ORM rows.
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
# A new pool has this long (s) to answer before its first task is handed out and that task's deadline counts: the
# first pool of a process starts the process server, which imports the task modules (seconds on a busy machine).
_START_TIMEOUT_S = 120.0
# The modules whose functions the web server hands the pool (named, not imported: they sit above this module).
# Every pool preloads them by default: the process server is one per process, and the first pool to start it
# decides what the processes of every later pool start with.
TASK_MODULES = (
    "manufacturing.scans.service",
    "manufacturing.designs.service",
    "manufacturing.patterns.size_run",
    "manufacturing.feedback.service",
)


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


def _started() -> bool:
    return True


def _run_with_deadline(timeout_s: float, what: str, task: Callable[..., T], args: tuple[Any, ...]) -> T:
    """In a pool process: ``task(*args)``, interrupted after ``timeout_s``."""
    previous = signal.signal(signal.SIGALRM, _expire)
    signal.setitimer(signal.ITIMER_REAL, timeout_s)
    try:
        return task(*args)
    except _Expired:
        raise ComputeTimeoutError(f"{what} took longer than {timeout_s:g} s and was stopped",
                                  timeout_s=timeout_s) from None  # fmt: skip
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class GeometryPool:
    """A bounded process pool with a deadline per task (see the module's docstring). ``preload``: modules its
    processes start with, imported (with the first task's) once by the process server they are forked from."""

    def __init__(self, limits: PoolLimits, preload: tuple[str, ...] = TASK_MODULES) -> None:
        self.limits = limits
        self.preload = preload
        self._slots = threading.BoundedSemaphore(limits.workers + limits.queue)
        self._lock = threading.Lock()
        self._executor: ProcessPoolExecutor | None = None

    def run(self, task: Callable[..., T], *args: Any, what: str = "the work") -> T:
        """``task(*args)`` in a pool process (``task`` and ``args`` must pickle: a module-level function, typed
        records). ``what``: the work in plain words, for its errors (``"pricing the design"``)."""
        if not self._slots.acquire(blocking=False):
            raise ComputeBusyError(
                f"the server is busy: its {self.limits.workers} geometry processes are all working and "
                f"{self.limits.queue} more tasks wait, so {what} could not start; try again in a minute",
                workers=self.limits.workers, queue=self.limits.queue,
            )  # fmt: skip
        try:
            executor = self._current_executor(task.__module__, what)
            try:
                future = executor.submit(_run_with_deadline, self.limits.timeout_s, what, task, args)
            except BrokenProcessPool as exc:  # it died since it was handed out
                self._replace(executor)
                raise ComputeFailedError(f"the geometry processes were restarting, so {what} could not start; "
                                         "try again") from exc  # fmt: skip
            return self._result(executor, future, what)
        finally:
            self._slots.release()

    def _result(self, executor: ProcessPoolExecutor, future: Future[T], what: str) -> T:
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
                f"{what} took longer than {self.limits.timeout_s:g} s and its process was stopped",
                timeout_s=self.limits.timeout_s,
            ) from None
        except (BrokenProcessPool, CancelledError) as exc:
            self._replace(executor)
            raise ComputeFailedError(
                f"{what} stopped: its process died (out of memory, or stopped with its pool); the input may be too "
                "heavy"
            ) from exc

    def _current_executor(self, preload: str, what: str) -> ProcessPoolExecutor:
        """The live executor, made when there is none and returned once a process of it answers. The first task's
        module and ``self.preload`` are imported once by the process server the pool's processes are forked from
        (one per process: the first pool to start it decides), so each starts warm."""
        with self._lock:
            if self._executor is None:
                context = multiprocessing.get_context("forkserver")
                context.set_forkserver_preload(list(dict.fromkeys([preload, *self.preload])))
                executor = ProcessPoolExecutor(
                    max_workers=self.limits.workers, mp_context=context, max_tasks_per_child=_TASKS_PER_PROCESS
                )
                try:  # started before any deadline counts: the backstop in `_result` has no room for a start
                    executor.submit(_started).result(timeout=_START_TIMEOUT_S)
                except (BrokenProcessPool, FutureTimeoutError) as exc:
                    self._stop(executor)
                    raise ComputeFailedError(f"the geometry processes did not start, so {what} could not start; "
                                             "try again") from exc  # fmt: skip
                self._executor = executor
            return self._executor

    def _replace(self, executor: ProcessPoolExecutor, kill: bool = False) -> None:
        """Drop ``executor`` (the next task gets a new one); ``kill``: stop its processes now."""
        with self._lock:
            if self._executor is executor:
                self._executor = None
        if kill:
            self._stop(executor)
        else:  # tasks already queued on it still run; then its processes end
            executor.shutdown(wait=False)

    @staticmethod
    def _stop(executor: ProcessPoolExecutor) -> None:
        """Kill ``executor``'s processes now (only this pool's own; tasks they held fail as ComputeFailedError)."""
        processes = getattr(executor, "_processes", None) or {}
        for process in list(processes.values()):
            process.kill()
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
