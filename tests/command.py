"""The ``feeds`` command line run as a user runs it: ``python -m feeds`` in its own process."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def run_feeds(
    *args: str, env: Mapping[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``python -m feeds ARGS`` from the repository, its output captured as text.

    A non-zero exit is returned, not raised: the tests read the code and the message.
    """
    return subprocess.run(
        [sys.executable, "-m", "feeds", *args],
        cwd=REPO,
        env=None if env is None else dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
