"""Worker processes with a time limit per job: a job past it is killed with its process.

``concurrent.futures.ProcessPoolExecutor`` cannot stop a job once it runs: a deeply
nested feed held a parse worker for 71 s, and killing a worker breaks that whole pool for
good. Here every worker process has a supervising thread in the parent, which sends it one
job at a time over a pipe and waits at most ``time_limit`` seconds for the answer. Past
that it kills the process (SIGKILL), fails the job with ``JobTimeoutError`` and starts a
replacement; a worker that dies on its own (the OOM killer, a crash in C code) fails its
job with ``WorkerDiedError`` and is replaced the same way. The other workers and their
jobs never notice. The time counts from the moment a worker receives the job, so a job
waiting in the queue behind others is never charged for their time.

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
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, ParamSpec, TypeVar

from feeds.errors import FeedsError

__all__ = ["JobTimeoutError", "WorkerDiedError", "WorkerPool"]

log = logging.getLogger("feeds.aggregate")

P = ParamSpec("P")
T = TypeVar("T")

# A worker that has not even read its job after this long is taken for hung.
_READ_JOB_SECONDS = 120.0
# A worker asked to stop gets this long to exit before it is killed.
_EXIT_GRACE_SECONDS = 5.0


class JobTimeoutError(FeedsError, TimeoutError):
    """The job ran past the pool's time limit; its worker was killed and replaced."""

    def __init__(self, limit: float) -> None:
        super().__init__(f"took longer than {limit:g} s")
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
    """

    def __init__(self, workers: int, time_limit: float, *, preload: Sequence[str] = ()) -> None:
        if workers < 1:
            raise ValueError("a worker pool needs at least one worker")
        if time_limit <= 0:
            raise ValueError("the time limit must be greater than zero")
        self.time_limit = time_limit
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
            # time, and bounded apart); then the job runs, within the limit.
            running = self._conn.poll(_READ_JOB_SECONDS) and self._conn.recv_bytes() == b""
            if not running or not self._conn.poll(limit):
                self._kill_worker()
                future.set_exception(JobTimeoutError(limit))
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
