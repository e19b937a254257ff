"""One log format for every process: ``feeds serve`` (its workers, uvicorn's access and
error lines, its aggregator process) writes only JSON lines with ``--log-format json``,
each request's id is in its access line and its response, and APScheduler says nothing at
INFO."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from feeds import logs
from feeds.cli import app
from feeds.web.requestid import well_formed
from tests.feedserver import FeedServer, Route
from tests.live import free_port
from tests.test_scaleout import rss
from tests.waiting import wait_for
from tests.web_support import fetch

REPO = Path(__file__).resolve().parents[1]
HEX32 = "0123456789abcdef"


def record(name: str, level: int, message: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, message, args, None)


@pytest.fixture
def request_scope() -> Iterator[None]:
    token = logs.request_id.set("req-42")
    yield
    logs.request_id.reset(token)


def test_a_json_line_is_one_object_with_the_request_id_and_the_access_fields(
    request_scope: None,
) -> None:
    args = ("127.0.0.1:5", "GET", "/en/rss.xml", "1.1", 200)
    access = record("uvicorn.access", logging.INFO, '%s - "%s %s HTTP/%s" %d', *args)
    line = logs.JsonFormatter().format(access)
    entry = json.loads(line)
    assert entry["message"] == '127.0.0.1:5 - "GET /en/rss.xml HTTP/1.1" 200'
    assert entry["request_id"] == "req-42"
    assert (entry["method"], entry["path"], entry["status"]) == ("GET", "/en/rss.xml", 200)
    assert entry["level"] == "INFO" and entry["logger"] == "uvicorn.access"
    assert entry["time"].endswith("Z")


def test_a_traceback_stays_inside_its_json_line() -> None:
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        failed = logging.LogRecord(
            "feeds.web", logging.ERROR, __file__, 1, "failed", (), sys.exc_info()
        )
    line = logs.JsonFormatter().format(failed)
    assert "\n" not in line
    assert "RuntimeError: boom" in json.loads(line)["exception"]


def test_a_text_line_has_time_level_logger_message_and_request_id(request_scope: None) -> None:
    line = logs.TextFormatter().format(record("feeds.web", logging.WARNING, "slow %s", "feed"))
    stamp, rest = line.split(" ", 1)
    assert stamp.endswith("Z") and "T" in stamp
    assert rest == f"WARNING feeds.web[{os.getpid()}]: slow feed request_id=req-42"


@pytest.mark.parametrize(
    ("value", "kept"),
    [
        ("4bf92f3577b34da6a3ce929d0e0e4736", True),
        ("proxy-1:2.3", True),
        ("YWJj+ZGVm/Zw==", True),
        ("", False),
        ("two words", False),
        ('x" status=500', False),
        ("x" * 129, False),
        ("línea", False),
    ],
)
def test_only_a_well_formed_proxy_request_id_is_kept(value: str, kept: bool) -> None:
    assert well_formed(value) is kept


@pytest.mark.parametrize(("level", "shown"), [("info", False), ("debug", True)])
def test_apscheduler_is_quiet_unless_the_level_is_debug(
    level: str, shown: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    root = logging.getLogger()
    before = (root.level, list(root.handlers))
    try:
        logs.configure("json", level)
        logging.getLogger("apscheduler.executors.default").info('Running job "tick"')
        logging.getLogger("feeds.aggregate").info("cycle")
    finally:
        for handler in root.handlers[:]:
            if handler not in before[1]:
                root.removeHandler(handler)
        root.setLevel(before[0])
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [e["logger"] for e in lines] == (
        ["apscheduler.executors.default", "feeds.aggregate"] if shown else ["feeds.aggregate"]
    )


def test_a_bad_log_option_is_one_error_line() -> None:
    result = CliRunner().invoke(app, ["serve", "--log-format", "xml"], env={"FEEDS_CONFIG": ""})
    assert result.exit_code == 2
    assert result.stderr == "error: --log-format xml: must be one of text, json\n"
    result = CliRunner().invoke(app, ["aggregate", "--log-level", "loud"], env={"FEEDS_CONFIG": ""})
    assert result.exit_code == 2
    assert result.stderr == "error: --log-level loud: must be one of debug, info, warning, error\n"


def _config(tmp_path: Path, source: str) -> Path:
    path = tmp_path / "feeds.toml"
    path.write_text(
        f'[database]\nurl = "sqlite:///{tmp_path}/feeds.db"\n'
        '[aggregator]\nallow_hosts = ["127.0.0.1"]\ntick_seconds = 0.2\n'
        "min_interval = 1\nmax_interval = 1\n"
        f'[[sources]]\nurl = "{source}"\nlang = "en"\n',
        encoding="utf-8",
    )
    return path


def _lines(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line]


@pytest.mark.slow  # a real server process, its workers and its aggregator process
@pytest.mark.parametrize("workers", [1, 2])
def test_feeds_serve_logs_only_json_lines_with_each_requests_id(
    tmp_path: Path, workers: int
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FEEDS_", "PROMETHEUS_"))}
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    stderr = tmp_path / "stderr.log"
    with FeedServer().running() as farm:
        farm.routes["/outlet"] = Route(body=rss(1))
        args = ["serve", "--port", str(port), "--workers", str(workers), "--log-format", "json"]
        config = ["--config", str(_config(tmp_path, farm.url("/outlet")))]
        server = subprocess.Popen(
            [sys.executable, "-m", "feeds", *args, *config],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr.open("wb"),
        )
        try:

            def answering() -> bool:
                assert server.poll() is None, stderr.read_text()
                try:
                    return fetch(base + "/healthz").status == 200
                except OSError:
                    return False

            wait_for(answering, "feeds serve answering", timeout=120)
            given = fetch(base + "/en/rss.xml", headers={"X-Request-ID": "proxy-7f3a.1"})
            forged = fetch(base + "/en/rss.xml", headers={"X-Request-ID": 'x" status=200'})
            missing = fetch(base + "/nowhere")

            def cycles() -> int:  # the aggregator's child polls the source every second
                return sum('"cycle: 1 polled' in line for line in _lines(stderr))

            wait_for(lambda: cycles() >= 3, "three aggregator cycles logged", timeout=120)
        finally:
            server.terminate()
            server.wait(60)

    assert (given.status, given.headers["X-Request-ID"]) == (200, "proxy-7f3a.1")
    made = forged.headers["X-Request-ID"]
    assert len(made) == 32 and set(made) <= set(HEX32)
    assert missing.headers["X-Request-ID"] not in (made, "")

    entries: list[dict[str, Any]] = []
    for line in _lines(stderr):
        try:
            entries.append(json.loads(line))
        except ValueError:
            pytest.fail(f"not a JSON line: {line!r}")
    access = {e.get("request_id"): e for e in entries if e["logger"] == "uvicorn.access"}
    assert access["proxy-7f3a.1"]["path"] == "/en/rss.xml"
    assert access["proxy-7f3a.1"]["status"] == 200
    assert access[made]["status"] == 200
    assert access[missing.headers["X-Request-ID"]]["status"] == missing.status
    assert not [e for e in entries if e["logger"].startswith(("apscheduler", "alembic"))]
    # the server, its aggregator process (and each worker) each wrote lines of their own
    polled = {e["pid"] for e in entries if e["message"].startswith("cycle: 1 polled")}
    answered = {e["pid"] for e in access.values()}
    assert server.pid not in polled and not polled & answered
    assert len({e["pid"] for e in entries}) >= 2 + (workers > 1)


class _Lines(logging.Handler):
    """Formats each record as it is written (the request id is read then), and keeps it."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(logs.JsonFormatter())
        self.lines: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


def test_a_failed_requests_error_lines_and_its_500_carry_its_id() -> None:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.routing import Route as StarletteRoute

    from feeds.web.edge import Edge
    from tests.live import live_server

    async def boom(request: Request) -> None:
        logging.getLogger("feeds.web").warning("about to fail")
        raise RuntimeError("boom")

    lines = _Lines()
    watched = [logging.getLogger(name) for name in ("uvicorn.error", "feeds.web")]
    with live_server(Edge(Starlette(routes=[StarletteRoute("/boom", boom)]))) as base:
        for logger in watched:  # once uvicorn has configured its loggers
            logger.addHandler(lines)
        try:
            answer = fetch(base + "/boom", headers={"X-Request-ID": "cms-put-17"})
        finally:
            for logger in watched:
                logger.removeHandler(lines)
    assert (answer.status, answer.headers["X-Request-ID"]) == (500, "cms-put-17")
    by_logger = {line["logger"]: line for line in lines.lines}
    assert by_logger["feeds.web"]["request_id"] == "cms-put-17"
    failure = by_logger["uvicorn.error"]
    assert failure["request_id"] == "cms-put-17"
    assert "RuntimeError: boom" in failure["exception"]
