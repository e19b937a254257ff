"""Who holds a source's lease, and the leases of a daemon that is gone.

A lease names its daemon ``host:pid:random`` (``owner_id``). A daemon killed outright
(SIGKILL, the OOM killer, a power cut) cannot release its leases, and its sources would
wait for them to end (``[aggregator] lease_seconds``, 300 s by default). So a daemon that
starts looks at the leases held on its own host: one whose process no longer exists is
released at once (``release_orphaned``), and its due sources are polled at the first tick.

Only this host's processes can be checked; a lease of another host's daemon ends when it
expires. A process id in use again by another process keeps the lease until then (the
check errs on the side of waiting). Containers that share a hostname but not a process
namespace would see each other's daemons as gone: give each its own hostname (Docker and
Kubernetes do by default). A lease released by mistake costs at most one poll whose
result is not written: every write checks its lease (``Store.sources.save_polls``).
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from datetime import datetime

from feeds.store import Store

__all__ = ["owner_gone", "owner_id", "release_orphaned"]

log = logging.getLogger("feeds.aggregate")

_HOST_CHARS = 30


def _host() -> str:
    return socket.gethostname()[:_HOST_CHARS]


def owner_id() -> str:
    """Who holds a lease: host, process and a random part (pids get reused)."""
    return f"{_host()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: it exists
    return True


def owner_gone(owner: str) -> bool:
    """Whether ``owner`` was a daemon of this host whose process no longer exists."""
    parts = owner.rsplit(":", 2)
    if len(parts) != 3 or not parts[1].isdigit():
        return False  # not a daemon's name (``feeds poll``'s, a test's): leave it
    host, pid = parts[0], int(parts[1])
    if host != _host() or pid == os.getpid():
        return False
    return not _process_exists(pid)


def release_orphaned(store: Store, now: datetime) -> int:
    """Release the leases of this host's daemons that are gone; how many were released."""
    released = 0
    for owner in store.sources.lease_owners(now):
        if owner_gone(owner):
            count = store.sources.release_leases(owner)
            released += count
            log.warning("released %d lease(s) of aggregator %s, which no longer runs", count, owner)
    return released
