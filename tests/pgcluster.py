"""A throwaway PostgreSQL cluster of a test's own: ``initdb`` in a temporary folder, a
server on a free loopback port, stopped and deleted afterwards.

For the faults a shared server must never be put through (a smart shutdown that refuses
new sessions, a fast shutdown that ends them, a start that is not finished). Needs the
server's programs (``initdb``, ``pg_ctl``) on PATH; as root, PostgreSQL refuses to run, so
the cluster belongs to the ``postgres`` user (through ``runuser``).
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.live import free_port

__all__ = ["Cluster", "cluster_problem", "throwaway_cluster"]


def _as_owner() -> list[str]:
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def cluster_problem() -> str | None:
    """Why no throwaway cluster can be made here (None: it can)."""
    for program in ("initdb", "pg_ctl"):
        if shutil.which(program) is None:
            return f"{program} is not on PATH (Debian: the postgresql package)"
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            return "running as root without runuser: PostgreSQL will not run as root"
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no postgres user to own the cluster"
    return None


@dataclass
class Cluster:
    folder: Path
    port: int

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def pg_ctl(self, *arguments: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [*_as_owner(), "pg_ctl", "-D", str(self.data), *arguments],
            check=True,
            capture_output=True,
            timeout=60,
        )

    def start(self, *, wait: bool = True) -> None:
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
            " -c lc_messages=C"
        )
        log = str(self.folder / "server.log")
        self.pg_ctl("-o", options, "-l", log, "-w" if wait else "-W", "start")

    def stop(self, mode: str, *, wait: bool = True) -> None:
        """``smart`` (waits for sessions to end, refusing new ones), ``fast`` (ends them),
        ``immediate`` (a crash, as far as the sessions know)."""
        self.pg_ctl("-m", mode, "-w" if wait else "-W", "stop")

    def running(self) -> bool:
        done = subprocess.run(
            [*_as_owner(), "pg_ctl", "-D", str(self.data), "status"],
            capture_output=True,
            timeout=30,
        )
        return done.returncode == 0


@contextmanager
def throwaway_cluster() -> Iterator[Cluster]:
    folder = Path(tempfile.mkdtemp(prefix="feeds-pg-"))
    try:
        if os.geteuid() == 0:
            shutil.chown(folder, "postgres")
        cluster = Cluster(folder, free_port())
        initdb = ["initdb", "-D", str(cluster.data), "-A", "trust", "-U", "postgres"]
        subprocess.run(
            [*_as_owner(), *initdb, "-E", "UTF8", "--no-sync", "--no-locale"],
            check=True,
            capture_output=True,
            timeout=120,
        )
        cluster.start()
        try:
            yield cluster
        finally:
            if cluster.running():
                cluster.stop("immediate")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
