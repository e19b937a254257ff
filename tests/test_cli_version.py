"""``feeds --version`` and ``python -m feeds --version`` name the installed release, the
one pyproject.toml declares, and start nothing else."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DECLARED = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def _run(command: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


def test_python_m_feeds_prints_the_declared_version() -> None:
    done = _run([sys.executable, "-m", "feeds", "--version"])
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"feeds {DECLARED}\n"
    assert done.stderr == ""


def test_the_installed_command_prints_the_same_version() -> None:
    command = Path(sys.executable).parent / "feeds"
    if not command.exists():
        found = shutil.which("feeds")
        if found is None:
            pytest.skip("no `feeds` command beside this Python (pip install -e .)")
        command = Path(found)
    done = _run([str(command), "--version"])
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"feeds {DECLARED}\n"


def test_version_comes_before_any_subcommand_or_config() -> None:
    # --version is eager: a missing config file named after it does not matter.
    done = _run([sys.executable, "-m", "feeds", "--version", "--config", "/nonexistent.toml"])
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("feeds ")
