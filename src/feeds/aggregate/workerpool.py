"""Worker processes with limits per job: a job past one is killed with its process.

``concurrent.futures.ProcessPoolExecutor`` cannot stop a job once it runs: a deeply
nested feed held a parse worker for 71 s, and killing a worker breaks that whole pool for
good. Here every worker process has a supervising thread in the parent, which sends it one
job at a time over a pipe and watches it until the answer comes. A job past a limit is
killed with its process (SIGKILL), fails with ``JobTimeoutError`` or ``JobMemoryError``,
and a replacement starts; a worker that dies on its own (the OOM killer, a crash in C
code) fails its job with ``WorkerDiedError`` and is replaced the same way. The other
workers and their jobs never notice.

The limits, read from ``/proc`` every ``_CHECK_SECONDS`` (on Linux):

- ``time_limit`` counts the processor time the worker spends on the job, from the moment
  it has read it: a job waiting in the queue, or a worker waiting for a CPU on a busy
  machine, is never charged for others' time. On a loaded 2-CPU machine a 10,000-entry
  feed took more than 10 s of wall-clock time for under 2 s of work, and was stopped as if
  it were hostile. A job is also stopped after ``_WALL_FACTOR`` times the limit of
  wall-clock time, whatever it used. Without /proc the limit is wall-clock time.
- ``memory_limit``: a job that grows its worker more than this many bytes past the size
  it had when it was ready. Checked from outside, not as an ``RLIMIT_DATA`` inside,
  because a ``MemoryError`` raised deep in a parser is caught and turned into something
  else by code that means to catch parse errors, and C libraries do not all survive a
  failed allocation.
- ``recycle_above``: a worker that a finished job left more than this many bytes larger
  than it started (Python keeps the memory of a big parse for itself) is replaced by a
  fresh one, so an idle pool does not keep a big parse's size.

Start method: "forkserver", with the parsing modules imported once in the server. Plain
"fork" is unsafe in the web server's process, which has threads (a lock held by another
thread at fork time stays locked forever in the child); "spawn" is safe but pays a new
interpreter and about 0.7 s of imports for every worker, and again for each replacement
of a killed one. The fork server is itself started like "spawn", from a clean
single-threaded interpreter, once per process; after that a worker, or its replacement,
is a fork of it: a few milliseconds, and the imported modules are shared copy-on-write.
The workers are started in the supervising threads, so the caller (an event loop) never
waits for them: the first fetches run while the first worker starts.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import pickle
import queue
import signal
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, ParamSpec, TypeVar

from feeds.errors import FeedsError

__all__ = ["JobMemoryError", "JobTimeoutError", "WorkerDiedError", "WorkerPool"]

log = logging.getLogger("feeds.aggregate")

P = ParamSpec("P")
T = TypeVar("T")

# A worker that has not even read its job after this long is taken for hung.
_READ_JOB_SECONDS = 120.0
# A worker asked to stop gets this long to exit before it is killed.
_EXIT_GRACE_SECONDS = 5.0
# How often a running job's processor time and memory are read. A parse allocates at most
# some hundred MB a second, so it overshoots its memory limit by a few MB before it stops.
_CHECK_SECONDS = 0.02
# A job is stopped after this many times its limit in wall-clock time, whatever processor
# time it used (one that waits for something never uses any).
_WALL_FACTOR = 10
_PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class JobTimeoutError(FeedsError, TimeoutError):
    """The job ran past the pool's time limit; its worker was killed and replaced."""

    def __init__(self, limit: float) -> None:
        super().__init__(f"took longer than {limit:g} s")
        self.limit = limit


class JobMemoryError(FeedsError, MemoryError):
    """The job grew its worker past the pool's memory limit; the worker was killed and replaced."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"used more than {limit / 2**20:g} MB")
        self.limit = limit


class WorkerDiedError(FeedsError, RuntimeError):
    """The worker running the job died (killed from outside, or crashed); it was replaced."""


class _RemoteTracebackError(FeedsError):
    """Carries a worker's traceback as the ``__cause__`` of the exception it raised."""

    def __str__(self) -> str:
        return str(self.args[0])


_Job = tuple["Future[Any]", Callable[..., Any], tuple[Any, ...], dict[str, Any]]


class WorkerPool(Executor):
    """``workers`` processes, each job limited to ``time_limit`` seconds.

    An ``Executor``: ``submit`` or ``loop.run_in_executor`` as with any other. ``preload``
    names modules the fork server imports once, so that every worker starts with them.
    ``memory_limit``: bytes a job may add to its worker's resident size (None: no limit);
    ``recycle_above``: bytes a worker may have grown after a job before it is replaced
    (None: never).
    """

    def __init__(
        self,
        workers: int,
        time_limit: float,
        *,
        preload: Sequence[str] = (),
        memory_limit: int | None = None,
        recycle_above: int | None = None,
    ) -> None:
        if workers < 1:
            raise ValueError("a worker pool needs at least one worker")
        if time_limit <= 0:
            raise ValueError("the time limit must be greater than zero")
        if (memory_limit is not None and memory_limit <= 0) or (
            recycle_above is not None and recycle_above <= 0
        ):
            raise ValueError("memory limits must be greater than zero")
        self.time_limit = time_limit
        self.memory_limit = memory_limit
        self.recycle_above = recycle_above
        self._context = multiprocessing.get_context("forkserver")
        if preload:
            # Only the first pool of a process starts the fork server; later ones share it.
            # "__main__": a program's main script runs again in each worker, unless the
            # fork server has it already (so the ``feeds`` command is a small launcher).
            self._context.set_forkserver_preload(["__main__", *preload])
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._closed = False
        self._lock = threading.Lock()
        self._slots = [_Slot(self, n) for n in range(workers)]
        for slot in self._slots:
            slot.start()

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        future: Future[T] = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("cannot submit to a closed worker pool")
            self._queue.put((future, fn, args, kwargs))
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Run the jobs already submitted (or cancel them), then stop every worker."""
        with self._lock:
            if not self._closed:
                self._closed = True
                if cancel_futures:
                    self._cancel_queued()
                for _ in self._slots:
                    self._queue.put(None)
        if wait:
            for slot in self._slots:
                slot.join()

    def _cancel_queued(self) -> None:
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return
            if item is not None:
                item[0].cancel()

    def wait_started(self) -> None:
        """Block until every worker has started (or failed to: its first job says why)."""
        for slot in self._slots:
            slot.started.wait()

    def pids(self) -> list[int]:
        """The worker processes alive now (for measuring their CPU time and memory)."""
        return [pid for slot in self._slots if (pid := slot.pid) is not None]


class _Slot(threading.Thread):
    """One worker process and the thread in the parent that feeds and watches it."""

    def __init__(self, pool: WorkerPool, number: int) -> None:
        super().__init__(name=f"feeds-worker-{number}", daemon=True)
        self._pool = pool
        self._process: BaseProcess | None = None
        self._conn: Connection | None = None
        self._lifeline: Connection | None = None
        self._ready_size = 0  # the worker's resident bytes when it was ready
        self.started = threading.Event()

    @property
    def pid(self) -> int | None:
        process = self._process
        return process.pid if process is not None and process.is_alive() else None

    def run(self) -> None:
        try:
            self._try_start_worker()
        finally:
            self.started.set()
        try:
            while (item := self._pool._queue.get()) is not None:
                self._run(*item)
        finally:
            self._stop_worker()

    def _try_start_worker(self) -> None:
        try:
            self._start_worker()
        except Exception:  # tried again with the next job, which then gets the error
            log.exception("could not start a worker process")
            self._kill_worker()

    def _start_worker(self) -> None:
        ours, theirs = multiprocessing.Pipe(duplex=True)
        # Never written to: when this process dies, the worker reads EOF on it and exits
        # rather than finish a long parse for nobody.
        lifeline_r, lifeline_w = multiprocessing.Pipe(duplex=False)
        process = self._pool._context.Process(
            target=_worker_main, args=(theirs, lifeline_r), name=self.name, daemon=True
        )
        process.start()
        theirs.close()
        lifeline_r.close()
        self._process, self._conn, self._lifeline = process, ours, lifeline_w
        try:
            ours.recv_bytes()  # the worker is ready
        except EOFError:
            raise WorkerDiedError("a worker process died while starting") from None
        self._ready_size = (_resident_bytes(process.pid) if process.pid else None) or 0

    def _run(
        self, future: Future[Any], fn: Callable[..., Any], args: tuple[Any, ...], kwargs: Any
    ) -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            if self._process is None or not self._process.is_alive():
                self._replace_worker()
            assert self._conn is not None
            self._conn.send((fn, args, kwargs))
        except Exception as exc:  # the job could not be pickled, or no worker could start
            future.set_exception(exc)
            return
        limit = self._pool.time_limit
        try:
            # First the worker reads the job, importing what it names (not the job's own
            # time, and bounded apart); then the job runs, within the limits.
            running = self._conn.poll(_READ_JOB_SECONDS) and self._conn.recv_bytes() == b""
            failure = self._watch() if running else JobTimeoutError(limit)
            if failure is not None:
                self._kill_worker()
                future.set_exception(failure)
                self._try_start_worker()
                return
            ok, value = self._conn.recv()
        except (EOFError, OSError):
            code = self._kill_worker()
            future.set_exception(WorkerDiedError(f"the worker process died (exit code {code})"))
            self._try_start_worker()
            return
        if ok:
            future.set_result(value)
        else:
            error, remote_traceback = value
            error.__cause__ = _RemoteTracebackError(remote_traceback)
            future.set_exception(error)
        if self._grown_past(self._pool.recycle_above):
            self._stop_worker()
            self._try_start_worker()

    def _watch(self) -> JobTimeoutError | JobMemoryError | None:
        """Wait for the running job's answer; the limit it broke, if it broke one."""
        assert self._conn is not None and self._process is not None
        pool, pid = self._pool, self._process.pid
        limit = pool.time_limit
        started_cpu = _cpu_seconds(pid) if pid is not None else None
        if started_cpu is None:  # no /proc: wall-clock time, and no memory limit
            return None if self._conn.poll(limit) else JobTimeoutError(limit)
        assert pid is not None
        wall_deadline = time.monotonic() + limit * _WALL_FACTOR
        while not self._conn.poll(_CHECK_SECONDS):
            used = _cpu_seconds(pid)
            if (used is not None and used - started_cpu > limit) or (
                time.monotonic() > wall_deadline
            ):
                return JobTimeoutError(limit)
            if self._grown_past(pool.memory_limit):
                assert pool.memory_limit is not None
                return JobMemoryError(pool.memory_limit)
        return None

    def _grown_past(self, allowance: int | None) -> bool:
        """Is the worker more than ``allowance`` bytes larger than when it was ready?"""
        process = self._process
        if allowance is None or process is None or process.pid is None:
            return False
        size = _resident_bytes(process.pid)
        return size is not None and size - self._ready_size > allowance

    def _replace_worker(self) -> None:
        self._kill_worker()
        self._start_worker()

    def _kill_worker(self) -> int | None:
        process, self._process = self._process, None
        for conn in (self._conn, self._lifeline):
            if conn is not None:
                conn.close()
        self._conn = self._lifeline = None
        if process is None:
            return None
        process.kill()
        process.join()
        code = process.exitcode
        process.close()
        return code

    def _stop_worker(self) -> None:
        process = self._process
        if process is None:
            return
        try:
            assert self._conn is not None
            self._conn.send(None)
        except (OSError, AssertionError):
            pass
        process.join(_EXIT_GRACE_SECONDS)
        self._kill_worker()


def _worker_main(conn: Connection, lifeline: Connection) -> None:
    """A worker: run jobs from ``conn`` until told to stop or the parent is gone."""
    # Ctrl-C reaches the whole process group; the parent decides what happens to the jobs.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, args=(lifeline,), daemon=True).start()
    conn.send_bytes(b"ready")
    while True:
        try:
            job = conn.recv_bytes()
        except EOFError:
            return
        answer: tuple[bool, Any]
        try:
            message = pickle.loads(job)  # noqa: S301 (from our parent)
        except Exception as exc:  # e.g. the function's module does not import here
            conn.send_bytes(b"")
            conn.send((False, (_portable(exc), "".join(traceback.format_exception(exc)))))
            continue
        if message is None:
            return
        fn, args, kwargs = message
        conn.send_bytes(b"")  # running: the time limit counts from now
        try:
            answer = (True, fn(*args, **kwargs))
        except BaseException as exc:
            answer = (False, (_portable(exc), "".join(traceback.format_exception(exc))))
        try:
            conn.send(answer)
        except Exception as exc:  # the result could not be pickled: say so instead
            error = RuntimeError(f"the job's result could not be sent back: {exc}")
            conn.send((False, (error, "")))


def _resident_bytes(pid: int) -> int | None:
    """The resident size of process ``pid`` (None where /proc cannot tell: not Linux)."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as statm:
            return int(statm.read().split()[1]) * _PAGE_BYTES
    except (OSError, ValueError, IndexError):
        return None


def _cpu_seconds(pid: int) -> float | None:
    """The processor time process ``pid`` has used, user and system (None: no /proc)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS
    except (OSError, ValueError, IndexError):
        return None


def _exit_with_parent(lifeline: Connection) -> None:
    with contextlib.suppress(EOFError, OSError):
        lifeline.recv_bytes()
    os._exit(1)


def _portable(exc: BaseException) -> BaseException:
    """``exc`` itself if it survives pickling, else a stand-in that says what it was."""
    try:
        pickle.loads(pickle.dumps(exc))  # noqa: S301 (our own bytes, just made)
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc
