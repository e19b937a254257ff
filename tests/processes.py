"""What processes a test left behind, read from /proc (Linux): children and their children,
or every process that carries a marker in its environment (for programs run as
subprocesses, whose workers outlive the parent's pid if anything goes wrong)."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

PROC = Path("/proc")


def _pids() -> list[int]:
    return [int(p.name) for p in PROC.iterdir() if p.name.isdigit()]


def _parent(pid: int) -> int | None:
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])


def state(pid: int) -> str | None:
    """``R``, ``S``, ``Z`` (zombie) ...; None once the process is gone."""
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[0]


def cmdline(pid: int) -> str:
    try:
        return (PROC / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def descendants(pid: int) -> set[int]:
    """Every process below ``pid``: children, their children, and so on."""
    parents = {p: _parent(p) for p in _pids()}
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {p for p, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def is_multiprocessing_helper(pid: int) -> bool:
    """The fork server and resource tracker: one each per process that ever started
    workers, kept (and reused) until that process exits."""
    line = cmdline(pid)
    return "multiprocessing.forkserver" in line or "multiprocessing.resource_tracker" in line


def leftover_workers() -> list[str]:
    """Processes below this one other than the multiprocessing helpers, with their state."""
    return [
        f"{pid} {state(pid)} {cmdline(pid)[:80]}"
        for pid in sorted(descendants(os.getpid()))
        if not is_multiprocessing_helper(pid)
    ]


def new_marker() -> tuple[str, str]:
    """An environment variable to hand a subprocess: all its descendants inherit it."""
    return "TEST_PROCESS_MARK", uuid.uuid4().hex


def marked(marker: str) -> list[int]:
    """Processes, other than this one, whose environment holds ``marker``."""
    found = []
    needle = marker.encode()
    for pid in _pids():
        if pid == os.getpid():
            continue
        try:
            environ = (PROC / str(pid) / "environ").read_bytes()
        except OSError:
            continue
        if needle in environ:
            found.append(pid)
    return found


def wait_until_none_marked(marker: str, timeout: float = 30) -> list[int]:
    """Processes with ``marker`` still there after ``timeout`` (helpers exit a moment after
    their parent, when they read EOF on its pipe)."""
    deadline = time.monotonic() + timeout
    while (left := marked(marker)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left
