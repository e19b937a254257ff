"""The parse worker pool on its own: real processes, a job past the time or memory limit is
stopped with its worker, which is replaced; a worker a job left large is replaced by a
fresh one; the other jobs never notice; nothing is left behind."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator

import pytest

from feeds.aggregate.workerpool import (
    JobMemoryError,
    JobTimeoutError,
    WorkerDiedError,
    WorkerPool,
)
from tests.processes import leftover_workers, state
from tests.waiting import wait_for

pytestmark = pytest.mark.slow  # subprocesses and real waits: seconds per test


def pid_after(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


def fail(message: str) -> None:
    raise ValueError(message)


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def busy_forever() -> None:
    while True:
        pass


MB = 2**20
_kept: list[bytes] = []


def grow_by(megabytes: int) -> int:
    """Allocate ``megabytes`` one at a time (written, so resident), then return the pid."""
    held = [b"x" * MB for _ in range(megabytes)]
    assert len(held) == megabytes
    return os.getpid()


def keep(megabytes: int) -> int:
    """Leave the worker ``megabytes`` larger after the job, as a big parse does."""
    _kept.extend(b"x" * MB for _ in range(megabytes))
    return os.getpid()


@pytest.fixture
def pool() -> Iterator[WorkerPool]:
    workers = WorkerPool(2, 1.0)
    yield workers
    workers.shutdown()


def test_a_job_past_the_limit_fails_and_its_worker_is_replaced(pool: WorkerPool) -> None:
    pool.wait_started()
    started = set(pool.pids())
    slow = pool.submit(pid_after, 120)
    quick = [pool.submit(pid_after, 0) for _ in range(20)]
    with pytest.raises(JobTimeoutError, match=r"took longer than 1 s"):
        slow.result(timeout=60)
    # The other worker went on with the queue meanwhile, and every job got its answer.
    assert {f.result(timeout=60) for f in quick} <= started | set(pool.pids())
    wait_for(lambda: len(pool.pids()) == 2, "the replacement worker to start", timeout=60)
    after = set(pool.pids())
    assert len(after) == 2 and len(after & started) == 1  # one killed, one new
    killed = (started - after).pop()
    assert state(killed) is None  # gone, not a zombie
    assert [pool.submit(pid_after, 0).result(timeout=60) for _ in range(4)]


def test_errors_and_deaths_in_a_worker_fail_only_their_job(pool: WorkerPool) -> None:
    with pytest.raises(ValueError, match="bad feed") as raised:
        pool.submit(fail, "bad feed").result(timeout=60)
    assert "Traceback" in str(raised.value.__cause__)  # the worker's own traceback
    with pytest.raises(WorkerDiedError, match="died"):
        pool.submit(die).result(timeout=60)
    with pytest.raises(Exception, match="pickle"):
        pool.submit(lambda: 1).result(timeout=60)
    assert pool.submit(pid_after, 0).result(timeout=60) in pool.pids()


def test_shutdown_runs_what_was_submitted_and_leaves_no_process() -> None:
    pool = WorkerPool(2, 30.0)
    jobs = [pool.submit(pid_after, 0.05) for _ in range(10)]
    pool.shutdown(wait=True)
    assert all(isinstance(job.result(timeout=0), int) for job in jobs)
    assert pool.pids() == []
    assert leftover_workers() == []
    with pytest.raises(RuntimeError, match="closed"):
        pool.submit(pid_after, 0)


def test_the_time_limit_counts_the_jobs_processor_time_not_the_clock() -> None:
    """A worker waiting (for a CPU on a busy machine, here for a sleep) is not charged;
    a job that computes past the limit is stopped."""
    pool = WorkerPool(1, 0.5)
    try:
        assert pool.submit(pid_after, 1.5).result(timeout=60) > 0
        with pytest.raises(JobTimeoutError, match=r"took longer than 0.5 s"):
            pool.submit(busy_forever).result(timeout=60)
        assert pool.submit(pid_after, 0).result(timeout=60) in pool.pids()
    finally:
        pool.shutdown()


def test_a_job_past_the_memory_limit_fails_and_its_worker_is_replaced() -> None:
    pool = WorkerPool(1, 60.0, memory_limit=64 * MB)
    try:
        pool.wait_started()
        [first] = pool.pids()
        assert pool.submit(grow_by, 16).result(timeout=60) == first  # within the limit
        with pytest.raises(JobMemoryError, match=r"used more than 64 MB"):
            pool.submit(grow_by, 1024).result(timeout=60)
        assert state(first) is None  # killed, not left running
        after = pool.submit(grow_by, 16).result(timeout=60)
        assert after != first and pool.pids() == [after]
    finally:
        pool.shutdown()
    assert leftover_workers() == []


def test_a_worker_a_job_left_large_is_replaced_after_answering() -> None:
    pool = WorkerPool(1, 60.0, recycle_above=32 * MB)
    try:
        pool.wait_started()
        [first] = pool.pids()
        assert pool.submit(keep, 1).result(timeout=60) == first  # small: kept
        assert pool.submit(keep, 64).result(timeout=60) == first  # answered, then recycled
        second = pool.submit(keep, 1).result(timeout=60)
        assert second != first
        assert state(first) is None
        assert pool.pids() == [second]
    finally:
        pool.shutdown()
    assert leftover_workers() == []
