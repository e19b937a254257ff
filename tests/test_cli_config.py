"""Config mistakes meet the user at the command line: one ``error:`` line, exit 2, no
traceback, nothing started and nothing written. ``--config`` goes before or after the
sub-command."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from feeds.cli import app
from feeds.store import Store
from feeds.store.partners import hash_token, partner_tokens, partners
from tests.live import free_port

TOKEN = "fp_cli-config-test-token-0123456789abcdef"
GOOD = (
    '[site]\nlanguages = ["en", "ru"]\n'
    f'[[partners]]\nname = "from-file"\ntoken_hashes = ["{hash_token(TOKEN)}"]\n'
)
LISTED = "from-file\tgeneric\tall languages\tconfig\t1 token(s)"


def run(*args: str, database_url: str, **env: str) -> Result:
    # FEEDS_CONFIG="" unsets whatever the calling shell has.
    variables = {"FEEDS_DATABASE_URL": database_url, "FEEDS_CONFIG": "", **env}
    return CliRunner().invoke(app, list(args), env=variables)


def assert_one_error_line(result: Result, message: str) -> None:
    assert result.exit_code == 2, (result.stdout, result.stderr, result.exception)
    assert result.stderr == f"error: {message}\n"
    assert result.stdout == ""
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)


def write(tmp_path: Path, text: str, name: str = "feeds.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_config_before_or_after_the_sub_command_or_from_the_environment(
    tmp_path: Path, database_url: str
) -> None:
    config = write(tmp_path, GOOD)
    other = write(tmp_path, '[site]\nlanguages = ["en"]\n', "other.toml")
    for args, env in [
        (("--config", str(config), "partners", "list"), {}),
        (("partners", "list", "--config", str(config)), {}),
        (("-c", str(config), "partners", "list"), {}),
        (("partners", "list"), {"FEEDS_CONFIG": str(config)}),
        # the one after the sub-command wins, then the one before, then the environment
        (("--config", str(other), "partners", "list", "--config", str(config)), {}),
        (("--config", str(config), "partners", "list"), {"FEEDS_CONFIG": str(other)}),
    ]:
        result = run(*args, database_url=database_url, **env)
        assert result.exit_code == 0, (args, result.stderr)
        assert LISTED in result.stdout, args


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[site]\nmax_itmes = 5", "site.max_itmes: unknown key (did you mean max_items?)"),
        (
            '[[partners]]\nname = "p"\nprofile = "smartnws"',
            "partners[0].profile: 'smartnws' is not a profile (one of: generic, summary, msn, "
            "flipboard, feedly, yandex, smartnews)",
        ),
        (
            '[[partners]]\nname = "p"\ntoken_hashes = ["not-hex"]',
            "partners[0].token_hashes[0]: must be 64 hex characters (a SHA-256 hex digest; make "
            'one with feeds partners hash, or printf %s "$TOKEN" | sha256sum)',
        ),
        (
            '[[partners]]\nname = "p"\nrate_limit = "abc"',
            "partners[0].rate_limit: must be a whole number of at least 1, got 'abc'",
        ),
        (
            '[aggregator]\nallow_hosts = ["10.0.0.0/33"]',
            "aggregator.allow_hosts[0]: '10.0.0.0/33' is not an IP network such as '10.1.0.0/16'",
        ),
    ],
)
@pytest.mark.parametrize("where", ["before", "after"])
def test_a_bad_config_is_one_error_line_and_exit_2_for_every_command(
    tmp_path: Path, database_url: str, text: str, message: str, where: str
) -> None:
    config = write(tmp_path, text)
    for command in (["partners", "list"], ["sources", "list"], ["db", "upgrade"]):
        args = (
            ["--config", str(config), *command]
            if where == "before"
            else [*command, "--config", str(config)]
        )
        result = run(*args, database_url=database_url)
        assert_one_error_line(result, f"{config}: {message}")


def test_a_bad_environment_variable_is_one_error_line(database_url: str) -> None:
    result = run("partners", "list", database_url=database_url, FEEDS_ALLOW_HOSTS="*.example")
    assert_one_error_line(
        result,
        "FEEDS_ALLOW_HOSTS: '*.example' is not a host name: wildcards are not supported, list "
        "each host (an entry is a host name, an IP address or a network, e.g. feeds.example, "
        "127.0.0.1, 10.1.0.0/16)",
    )


def test_serve_refuses_a_port_out_of_range_before_anything_starts(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "feeds.cli", "serve", "--port", "99999", "--no-aggregate"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "FEEDS_DATABASE_URL": f"sqlite:///{tmp_path}/feeds.db"},
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr == "error: --port 99999: must be 1-65535\n"
    assert not (tmp_path / "feeds.db").exists()  # not even the database was opened


@pytest.mark.parametrize(
    ("host", "message"),
    [
        (
            "http://127.0.0.1",
            "--host: 'http://127.0.0.1' is not a host name: write the host alone, without "
            "scheme or path; e.g. 127.0.0.1, 0.0.0.0 or localhost",
        ),
        (
            "127.0.0.1:8000",
            "--host: '127.0.0.1:8000' is not a host name: no port here; e.g. 127.0.0.1, "
            "0.0.0.0 or localhost",
        ),
    ],
)
def test_serve_refuses_a_host_that_is_not_one(database_url: str, host: str, message: str) -> None:
    result = run("serve", "--host", host, "--port", "8000", database_url=database_url)
    assert_one_error_line(result, message)


def test_serve_with_a_bad_config_partner_does_not_start(tmp_path: Path) -> None:
    config = write(tmp_path, '[[partners]]\nname = "p"\nprofile = "smartnws"\n')
    port = str(free_port())
    done = subprocess.run(
        [sys.executable, "-m", "feeds.cli", "--config", str(config), "serve", "--port", port],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "FEEDS_DATABASE_URL": f"sqlite:///{tmp_path}/feeds.db"},
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr == (
        f"error: {config}: partners[0].profile: 'smartnws' is not a profile (one of: generic, "
        "summary, msn, flipboard, feedly, yandex, smartnews)\n"
    )
    assert "Uvicorn running" not in done.stdout + done.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--option", "rate_limit=abc"],
            "--option rate_limit: must be a whole number of at least 1, got 'abc'",
        ),
        (
            ["--option", "nonsense=1"],
            "--option nonsense: unknown option (one of: rate_limit, max_items, max_bytes, "
            "full_text, formats, extensions)",
        ),
        (
            ["--option", "max_itmes=3"],
            "--option max_itmes: unknown option (did you mean max_items?)",
        ),
        (
            ["--profile", "msn", "--option", "formats=rss,json"],
            "--option formats: must be a list of rss, atom, got ['rss', 'json']",
        ),
        (
            ["--profile", "yandex", "--option", "genre=poem"],
            "--option genre: must be one of message, article, interview, got 'poem'",
        ),
        (
            ["--profile", "smartnws"],
            "--profile: 'smartnws' is not a profile (one of: generic, summary, msn, flipboard, "
            "feedly, yandex, smartnews)",
        ),
        (
            ["--section", "Foreign Affairs"],
            "--section: 'Foreign Affairs' is not a slug such as 'foreign-affairs'",
        ),
    ],
)
def test_partners_add_refuses_bad_settings_and_writes_nothing(
    database_url: str, store: Store, args: list[str], message: str
) -> None:
    result = run("partners", "add", "portal", *args, database_url=database_url)
    assert_one_error_line(result, message)
    with store._db.reading() as conn:
        assert list(conn.execute(partners.select())) == []
        assert list(conn.execute(partner_tokens.select())) == []


def test_partners_add_types_options_as_the_profile_wants(database_url: str, store: Store) -> None:
    result = run(
        "partners",
        "add",
        "portal",
        "--profile",
        "yandex",
        "--option",
        "rate_limit=120",
        "--option",
        "full_text=false",
        "--option",
        "genre=article",
        "--option",
        "extensions=webfeeds",
        "--option",
        "accent_color=#c0392b",
        database_url=database_url,
    )
    assert result.exit_code == 0, result.stderr
    from feeds.store.partners import load_partner

    with store._db.reading() as conn:
        record = load_partner(conn, "portal")
    assert record is not None and record.problems == ()
    assert record.options == {
        "rate_limit": 120,
        "full_text": False,
        "genre": "article",
        "extensions": ["webfeeds"],
        "accent_color": "#c0392b",
    }


def test_partners_hash_makes_a_config_entry_that_loads(tmp_path: Path, database_url: str) -> None:
    made = run("partners", "hash", database_url=database_url)
    assert made.exit_code == 0, made.stderr
    first, token = made.stdout.strip().splitlines()
    entry = first.split(";")[0]
    assert entry.startswith("token_hashes = [")
    config = write(tmp_path, f'[[partners]]\nname = "p"\n{entry}\n')
    listed = run("--config", str(config), "partners", "list", database_url=database_url)
    assert "p\tgeneric\tall languages\tconfig\t1 token(s)" in listed.stdout
    again = CliRunner().invoke(app, ["partners", "hash", "--stdin"], input=token + "\n")
    assert again.stdout.strip() == hash_token(token)
    assert entry == f'token_hashes = ["{hash_token(token)}"]'


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _ipv6_loopback(), reason="this machine has no IPv6 loopback (::1)")
def test_serve_takes_an_ipv6_host_in_brackets_as_urls_write_it(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET6) as sock:
        sock.bind(("::1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "feeds.cli",
            "serve",
            "--no-aggregate",
            "--host",
            "[::1]",
            "--port",
            str(port),
        ],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env={"PATH": "/usr/bin:/bin", "FEEDS_DATABASE_URL": f"sqlite:///{tmp_path}/feeds.db"},
    )
    watchdog = threading.Timer(120, server.kill)  # a server that never starts ends the loop
    watchdog.start()
    lines: list[str] = []
    try:
        assert server.stderr is not None
        for line in server.stderr:
            lines.append(line)
            if "Uvicorn running" in line or " ERROR " in line or line.startswith("error"):
                break
    finally:
        watchdog.cancel()
        server.terminate()
        server.wait(timeout=30)
    assert f"Uvicorn running on http://[::1]:{port}" in lines[-1], lines
