"""The deployment in examples/deploy/ is one that can run: systemd accepts its units, their
commands are commands feeds has, its environment file loads, and docs/deploy.md names
every file there."""

from __future__ import annotations

import http.client
import os
import re
import shlex
import shutil
import ssl
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from feeds.cli import app
from feeds.config import load_settings
from feeds.configtable import SETTINGS
from tests.live import free_port
from tests.waiting import wait_for
from tests.web_support import Answer

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


NGINX = shutil.which("nginx") or next(
    (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if Path(p).exists()), None
)


def nginx_site(tmp_path: Path, upstream_port: int = 8000, https_port: int = 443) -> Path:
    """The example site with its paths moved under ``tmp_path`` (a self-signed certificate
    for the ACME one) and, when asked, other ports; wrapped in a main config."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    made = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=news.example", "-keyout", str(key), "-out", str(cert)],
        capture_output=True, timeout=60, check=False,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    site = (DEPLOY / "feeds-nginx.conf").read_text(encoding="utf-8")
    for old, new in (
        ("/etc/letsencrypt/live/news.example/fullchain.pem", str(cert)),
        ("/etc/letsencrypt/live/news.example/privkey.pem", str(key)),
        ("/var/cache/nginx/feeds", str(tmp_path / "cache")),
        ("/var/log/nginx/feeds.access.log", str(tmp_path / "access.log")),
        ("server 127.0.0.1:8000;", f"server 127.0.0.1:{upstream_port};"),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
        ("listen [::]:443 ssl http2;", ""),
        ("listen 80;", "listen 127.0.0.1:1;"),
        ("listen [::]:80;", ""),
    ):
        assert old in site, old
        site = site.replace(old, new)
    (tmp_path / "site.conf").write_text(site, encoding="utf-8")
    main = tmp_path / "nginx.conf"
    main.write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\ndaemon off;\n"
        "events {}\n"
        f"http {{\n  access_log off;\n  include {tmp_path}/site.conf;\n}}\n",
        encoding="utf-8",
    )
    return main


@pytest.mark.skipif(NGINX is None, reason="nginx is not installed (apt-get install nginx-light)")
@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_nginx_accepts_the_example_site(tmp_path: Path) -> None:
    main = nginx_site(tmp_path)
    assert NGINX is not None
    done = subprocess.run(
        [NGINX, "-t", "-p", str(tmp_path), "-e", str(tmp_path / "error.log"), "-c", str(main)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "[warn]" not in done.stderr and "[emerg]" not in done.stderr, done.stderr


def fetch_tls(port: int, path: str, headers: dict[str, str] | None = None) -> Answer:
    """One HTTPS request to 127.0.0.1:``port`` as news.example (self-signed: not verified)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=10, context=context)
    try:
        conn.request("GET", path, headers={"Host": "news.example", **(headers or {})})
        response = conn.getresponse()
        return Answer(response.status, response.headers, response.read())
    finally:
        conn.close()


@pytest.mark.slow  # nginx and feeds serve, real processes
@pytest.mark.skipif(NGINX is None, reason="nginx is not installed (apt-get install nginx-light)")
@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_the_example_nginx_caches_public_feeds_and_revalidates_them_by_etag(
    tmp_path: Path,
) -> None:
    from tests.test_backup import environment, feeds, serving

    env = environment(tmp_path / "feeds.db")
    env["FEEDS_SITE_CACHE_MAX_AGE"] = "1"  # so that the test sees a revalidation soon
    assert feeds(env, "import", str(REPO / "examples" / "articles")).returncode == 0
    log = tmp_path / "serve.log"
    with serving(env, log) as base:
        https = free_port()
        main = nginx_site(tmp_path, upstream_port=int(base.rsplit(":", 1)[1]), https_port=https)
        if os.geteuid() == 0:  # workers as nobody could not write the cache under tmp_path
            main.write_text("user root;\n" + main.read_text(encoding="utf-8"), encoding="utf-8")
        assert NGINX is not None
        proxy = subprocess.Popen(
            [NGINX, "-p", str(tmp_path), "-e", str(tmp_path / "error.log"), "-c", str(main)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:

            def answering() -> bool:
                assert proxy.poll() is None, (tmp_path / "error.log").read_text()
                try:
                    return fetch_tls(https, "/healthz").status == 200
                except OSError:
                    return False

            wait_for(answering, "nginx answering", timeout=30)
            first = fetch_tls(https, "/en/rss.xml")
            second = fetch_tls(https, "/en/rss.xml")
            assert (first.status, first.header("X-Cache")) == (200, "MISS")
            assert (second.status, second.header("X-Cache")) == (200, "HIT")
            assert second.body == first.body and second.header("ETag") == first.header("ETag")
            # nginx's own request id reached feeds, which sent it back
            assert re.fullmatch(r"[0-9a-f]{32}", first.header("X-Request-ID") or "")
            # a request with credentials never comes from, or goes into, the shared cache
            bearer = fetch_tls(https, "/en/rss.xml", {"Authorization": "Bearer x"})
            assert bearer.header("X-Cache") == "BYPASS"

            def revalidated() -> bool:  # once max-age has passed, nginx asks feeds by ETag
                fetch_tls(https, "/en/rss.xml")
                return '"GET /en/rss.xml HTTP/1.1" 304' in log.read_text()

            wait_for(revalidated, "nginx revalidating the feed with If-None-Match", timeout=30)
            again = fetch_tls(https, "/en/rss.xml")
            assert again.status == 200 and again.body == first.body
        finally:
            proxy.terminate()
            proxy.wait(30)


@pytest.mark.skipif(
    shutil.which("caddy") is None, reason="caddy is not installed (apt-get install caddy)"
)
def test_caddy_accepts_the_example_caddyfile(tmp_path: Path) -> None:
    text = (DEPLOY / "Caddyfile").read_text(encoding="utf-8")
    assert "/var/log/caddy/feeds.access.log" in text
    (tmp_path / "Caddyfile").write_text(
        text.replace("/var/log/caddy/feeds.access.log", str(tmp_path / "access.log")),
        encoding="utf-8",
    )
    home = {"HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)}
    done = subprocess.run(
        ["caddy", "validate", "--config", str(tmp_path / "Caddyfile"), "--adapter", "caddyfile"],
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **home},
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0 and "Valid configuration" in done.stdout + done.stderr, done.stderr
