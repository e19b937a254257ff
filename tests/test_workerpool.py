"""The parse worker pool on its own: real processes, a job past the time limit is stopped
with its worker, which is replaced; the other jobs never notice; nothing is left behind."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator

import pytest

from feeds.aggregate.workerpool import JobTimeoutError, WorkerDiedError, WorkerPool
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
