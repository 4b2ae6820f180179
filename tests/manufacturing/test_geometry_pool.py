"""The geometry pool: work runs in another process, stops at its deadline (even when it ignores it), a dead
process is replaced, and a full pool says so at once instead of queueing without end; each error names the work in
plain words."""

import os
import signal
import threading
import time
from collections.abc import Iterator

import pytest

from manufacturing.geometry_pool import (
    ComputeBusyError,
    ComputeFailedError,
    ComputeTimeoutError,
    GeometryPool,
    PoolLimits,
)


def pid_of_worker() -> int:
    return os.getpid()


def sleep_for(seconds: float) -> str:
    time.sleep(seconds)
    return "woke"


def sleep_deaf_to_the_deadline(seconds: float) -> str:
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})  # as native code that never returns to Python
    time.sleep(seconds)
    return "woke"


def die() -> None:
    os._exit(3)


def swallow_everything(seconds: float) -> str:
    try:
        time.sleep(seconds)
    except Exception:  # a task's broad handler must not eat its deadline
        return "swallowed"
    return "woke"


@pytest.fixture
def pool() -> Iterator[GeometryPool]:
    made = GeometryPool(PoolLimits(workers=1, timeout_s=1.0, queue=0))
    yield made
    made.shutdown()


def test_work_runs_in_another_process(pool: GeometryPool) -> None:
    assert pool.run(pid_of_worker) != os.getpid()
    assert pool.run(sleep_for, 0.01) == "woke"


def test_work_past_its_deadline_is_stopped_and_the_pool_goes_on(pool: GeometryPool) -> None:
    started = time.monotonic()
    with pytest.raises(ComputeTimeoutError, match=r"^sleeping took longer than 1 s and was stopped$"):
        pool.run(swallow_everything, 30.0, what="sleeping")
    assert time.monotonic() - started < 5.0
    assert pool.run(sleep_for, 0.01) == "woke"


def test_work_deaf_to_its_deadline_is_killed_with_its_pool(pool: GeometryPool) -> None:
    started = time.monotonic()
    with pytest.raises(ComputeTimeoutError, match="its process was stopped"):
        pool.run(sleep_deaf_to_the_deadline, 60.0)
    assert time.monotonic() - started < 10.0
    assert pool.run(sleep_for, 0.01) == "woke"  # a new pool


def test_a_dead_process_is_a_typed_error_and_is_replaced(pool: GeometryPool) -> None:
    with pytest.raises(ComputeFailedError, match=r"^dying stopped: its process died"):
        pool.run(die, what="dying")
    assert pool.run(sleep_for, 0.01) == "woke"


def test_a_full_pool_refuses_at_once(pool: GeometryPool) -> None:
    pool.run(sleep_for, 0.01)  # started
    busy = threading.Thread(target=pool.run, args=(sleep_for, 0.8))
    busy.start()
    time.sleep(0.2)
    started = time.monotonic()
    with pytest.raises(ComputeBusyError, match="so napping could not start; try again in a minute"):
        pool.run(sleep_for, 0.01, what="napping")
    assert time.monotonic() - started < 0.1
    busy.join()
