"""The deployment in examples/deploy/ is one that can run: systemd accepts its units, their
commands are commands feeds has, its environment file loads, and docs/deploy.md names
every file there."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from feeds.cli import app
from feeds.config import load_settings
from feeds.configtable import SETTINGS

REPO = Path(__file__).resolve().parents[1]
DEPLOY = REPO / "examples" / "deploy"
UNITS = sorted(DEPLOY.glob("*.service"))
INSTALLED = "/opt/feeds/venv/bin/feeds"


def exec_start(unit: Path) -> list[str]:
    text = unit.read_text(encoding="utf-8").replace("\\\n", " ")
    (line,) = [m for m in re.findall(r"^ExecStart=(.*)$", text, re.M)]
    return shlex.split(line)


def test_there_are_a_web_unit_an_aggregator_template_and_a_migrate_oneshot() -> None:
    assert [u.name for u in UNITS] == [
        "feeds-aggregate@.service",
        "feeds-migrate.service",
        "feeds-web.service",
    ]


@pytest.mark.skipif(
    shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed"
)
def test_systemd_verifies_every_unit_without_a_warning(tmp_path: Path) -> None:
    # The units name the installed command; here it is this checkout's, so that systemd
    # can check that the command exists.
    here = str(Path(sys.executable).parent / "feeds")
    for unit in UNITS:
        text = unit.read_text(encoding="utf-8").replace(INSTALLED, here)
        (tmp_path / unit.name).write_text(text, encoding="utf-8")
    names = [str(tmp_path / u.name) for u in UNITS] + [str(tmp_path / "feeds-aggregate@1.service")]
    done = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *names],
        env={"SYSTEMD_UNIT_PATH": f"{tmp_path}:", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stdout + done.stderr) == (0, "")


@pytest.mark.parametrize("unit", UNITS, ids=lambda u: u.name)
def test_each_units_command_is_a_feeds_command_with_options_it_has(unit: Path) -> None:
    command = exec_start(unit)
    assert command[0] == INSTALLED
    # --help after the options: each option before it is parsed (an unknown one fails).
    result = CliRunner().invoke(app, [*command[1:], "--help"], env={"FEEDS_CONFIG": ""})
    assert result.exit_code == 0, result.output


def test_the_environment_file_names_only_variables_feeds_reads_and_loads() -> None:
    env = {}
    for line in (DEPLOY / "feeds.env").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            env[name] = value
    known = {s.env for s in SETTINGS} | {a for s in SETTINGS for a in s.aliases}
    known |= {"FEEDS_CONFIG", "PROMETHEUS_MULTIPROC_DIR"}
    assert set(env) <= known, set(env) - known
    settings = load_settings(None, env={k: v for k, v in env.items() if k != "FEEDS_CONFIG"})
    assert settings.site.base_url == "https://news.example"
    assert settings.log.format == "json"
    assert settings.database_url.startswith("postgresql")


def test_docs_deploy_md_names_every_file_of_the_example() -> None:
    guide = (REPO / "docs" / "deploy.md").read_text(encoding="utf-8")
    for path in sorted(DEPLOY.iterdir()):
        assert f"examples/deploy/{path.name}" in guide, path.name
    assert "(docs/deploy.md)" in (REPO / "README.md").read_text(encoding="utf-8")
