"""``feeds sources add/import/list`` and ``feeds poll`` as an operator relies on them: every
refusal is one line with exit code 2, one feed is one source whatever its spelling, a URL
is fetched once before it is added, ``list --json`` tells the whole state, and ``feeds
poll`` fails loudly. Real CLI, real loopback HTTP servers, real SQLite (and PostgreSQL
where a store query is new)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from feeds.cli import app
from feeds.store import open_store
from feeds.store.sources import list_sources
from tests.feedserver import FeedServer, Route

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "sources"
ARARAT = (EXAMPLES / "ararat-daily-hy.rss.xml").read_bytes()  # 3 items, <language>hy
MONITOR = (EXAMPLES / "sc-monitor-en.atom.xml").read_bytes()
# One good entry, one whose link cannot be read as a URL: a poll stores one, refuses one.
DEGRADED = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>Half</title><language>en'
    b"</language><link>https://half.example/</link>"
    b"<item><guid>https://half.example/1</guid><title>Fine story</title></item>"
    b"<item><guid>http://[bad</guid><title>Broken story</title></item></channel></rss>"
)


def _env(database_url: str) -> dict[str, str]:
    return {
        "FEEDS_DATABASE_URL": database_url,
        "FEEDS_ALLOW_HOSTS": "127.0.0.1",  # never 127.0.0.2: that is the forbidden target
        "FEEDS_CONFIG": "",
        "COLUMNS": "1000",  # no wrapping, so that a whole error is on one line
    }


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return _env(f"sqlite:///{tmp_path / 'feeds.db'}")


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer().running() as s:
        s.routes["/feed.xml"] = Route(body=ARARAT)
        s.routes["/atom.xml"] = Route(body=MONITOR, content_type="application/atom+xml")
        yield s


def invoke(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(app, list(args), env=env)


def ok(env: dict[str, str], *args: str) -> str:
    result = invoke(env, *args)
    assert result.exit_code == 0, result.output
    return result.stdout


def refused(env: dict[str, str], *args: str) -> str:
    """The one ``error:`` line of a refused command (exit code 2, no traceback)."""
    result = invoke(env, *args)
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def stored_urls(env: dict[str, str]) -> list[str]:
    store = open_store(env["FEEDS_DATABASE_URL"])
    try:
        with store._db.reading() as conn:
            return [s.url for s in list_sources(conn)]
    finally:
        store.close()


def listing(env: dict[str, str]) -> list[dict[str, object]]:
    rows = json.loads(ok(env, "sources", "list", "--json"))
    assert isinstance(rows, list)
    return rows


# --- sources add: one feed, one source -----------------------------------------------------


def test_other_spellings_of_a_source_are_refused_naming_it(
    env: dict[str, str], server: FeedServer
) -> None:
    url = server.url("/feed.xml")
    assert f"added source 1: {url}" in ok(env, "sources", "add", url)
    host = f"127.0.0.1:{server.port}"
    for spelling in (f"HTTP://{host}/feed.xml", f"{url}#x", f"http://{host}/a/../feed.xml"):
        line = refused(env, "sources", "add", spelling)
        assert line == f"error: {url} is already source 1: {url}"
    # The default port: nothing listens on port 80 here, so add it unchecked first.
    ok(env, "sources", "add", "--no-check", "http://127.0.0.1/feed")
    line = refused(env, "sources", "add", "--no-check", "http://127.0.0.1:80/feed")
    assert line == "error: http://127.0.0.1/feed is already source 2: http://127.0.0.1/feed"
    assert stored_urls(env) == [url, "http://127.0.0.1/feed"]
    assert server.hits("/feed.xml") == 1  # duplicates are refused before any request


def test_a_spelling_of_a_config_declared_source_is_refused(
    env: dict[str, str], server: FeedServer, tmp_path: Path
) -> None:
    config = tmp_path / "feeds.toml"
    config.write_text(f'[[sources]]\nurl = "{server.url("/feed.xml")}"\n', encoding="utf-8")
    line = refused(env, "sources", "add", "--config", str(config), server.url("/./feed.xml#top"))
    assert "is already a [[sources]] entry of the config file" in line
    assert stored_urls(env) == []


def test_config_sources_are_normalised_and_not_registered_twice(
    env: dict[str, str], server: FeedServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = server.url("/feed.xml")
    ok(env, "sources", "add", url)
    config = tmp_path / "feeds.toml"
    host = f"127.0.0.1:{server.port}"
    config.write_text(
        f'[[sources]]\nurl = "HTTP://{host}/x/../feed.xml"\n\n'
        f'[[sources]]\nurl = "http://{host}/atom.xml#latest"\n\n'
        f'[[sources]]\nurl = "http://{host}/./atom.xml"\n\n'
        f'[[sources]]\nurl = "http://editor:s3cret@{host}/private.xml"\n\n'
        f'[[sources]]\nurl = "http://{host}/{"a" * 3000}"\n',
        encoding="utf-8",
    )
    with caplog.at_level(logging.WARNING, logger="feeds.aggregate"):
        ok(env, "poll", "--config", str(config))
    assert stored_urls(env) == [url, server.url("/atom.xml")]
    logged = [r.getMessage() for r in caplog.records if "config [[sources]]" in r.getMessage()]
    assert len(logged) == 3 and not any("s3cret" in line for line in logged)
    assert "is listed twice" in logged[2]
    assert "must not carry a user name or password" in logged[0]
    assert "longer than 2048 characters" in logged[1]


def test_credentials_in_a_url_are_refused_without_echoing_them(
    env: dict[str, str], server: FeedServer
) -> None:
    url = f"http://editor:s3cret@127.0.0.1:{server.port}/feed.xml"
    line = refused(env, "sources", "add", url)
    assert "must not carry a user name or password" in line
    assert "s3cret" not in line
    assert server.log == [] and stored_urls(env) == []


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_an_over_long_url_is_one_line_not_a_traceback(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    database_url = (
        f"sqlite:///{tmp_path / 'feeds.db'}"
        if backend == "sqlite"
        else str(request.getfixturevalue("postgres_url"))
    )
    env = _env(database_url)
    url = "https://news.example/" + "a" * 5000
    for args in (("sources", "add", url), ("sources", "add", "--no-check", url)):
        line = refused(env, *args)
        assert "is longer than 2048 characters" in line and len(line) < 200
    assert stored_urls(env) == []


def test_urls_that_are_no_feed_url_are_refused(env: dict[str, str]) -> None:
    for url, why in (
        ("ftp://news.example/feed", "is not an absolute http(s) URL"),
        ("/feed.xml", "is not an absolute http(s) URL"),
        ("http://news example/feed", "is not a valid host name"),
        ("http://news.example:99999/feed", "is not a valid URL"),
    ):
        assert why in refused(env, "sources", "add", "--no-check", url)
    assert stored_urls(env) == []


# --- sources add: fetched once first ----------------------------------------------------


def test_a_feed_is_added_with_its_title_and_language(
    env: dict[str, str], server: FeedServer
) -> None:
    output = ok(env, "sources", "add", server.url("/feed.xml"))
    assert "added source 1" in output and "'Արարատ Օրաթերթ', lang hy, 3 entries" in output
    [row] = listing(env)
    assert row["title"] == "Արարատ Օրաթերթ" and row["lang"] == "hy" and row["health"] == "new"


PAGE = b"""<!DOCTYPE html>
<html><head><title>Ararat Daily</title>
<link rel="stylesheet" href="/style.css">
<link rel="alternate" hreflang="ru" href="/ru/">
<link rel="alternate" type="application/rss+xml" title="Ararat Daily (RSS)" href="feed.xml">
<link rel="Alternate" type="application/atom+xml" href="http://127.0.0.1:PORT/atom.xml">
</head><body><p>News.</p></body></html>"""


def test_an_html_page_adds_the_first_feed_it_links_to_and_names_them_all(
    env: dict[str, str], server: FeedServer, tmp_path: Path
) -> None:
    page = PAGE.replace(b"PORT", str(server.port).encode())
    server.routes["/news/"] = Route(body=page, content_type="text/html; charset=utf-8")
    server.routes["/news/feed.xml"] = Route(body=ARARAT)
    output = ok(env, "sources", "add", server.url("/news/"))
    first, second = server.url("/news/feed.xml"), server.url("/atom.xml")
    assert f"1. {first} (RSS) 'Ararat Daily (RSS)'" in output
    assert f"2. {second} (Atom)" in output
    assert "adding feed 1 (--pick N for another)" in output
    assert f"added source 1: {first}" in output
    assert stored_urls(env) == [first]

    other = _env(f"sqlite:///{tmp_path / 'other.db'}")
    output = ok(other, "sources", "add", "--pick", "2", server.url("/news/"))
    assert f"added source 1: {second}" in output
    assert stored_urls(other) == [second]
    assert "links to 2 feed(s); --pick 3 is not one" in refused(
        other, "sources", "add", "--pick", "3", server.url("/news/")
    )


def test_a_page_without_feeds_and_a_json_endpoint_are_refused(
    env: dict[str, str], server: FeedServer
) -> None:
    server.routes["/about"] = Route(
        body=b"<!doctype html><html><head><title>About</title></head><body>Hi</body></html>",
        content_type="text/html",
    )
    server.routes["/api/status"] = Route(body=b'{"status": "ok"}', content_type="application/json")
    line = refused(env, "sources", "add", server.url("/about"))
    assert line.startswith(f"error: {server.url('/about')} is an HTML page that links to no feed")
    line = refused(env, "sources", "add", server.url("/api/status"))
    assert line.startswith(f"error: {server.url('/api/status')} is not a feed")
    line = refused(env, "sources", "add", server.url("/missing.xml"))
    assert "HTTP 404" in line
    assert stored_urls(env) == []


def test_a_forbidden_address_is_refused_when_added(env: dict[str, str]) -> None:
    forbidden = FeedServer(host="127.0.0.2")  # loopback, and not in allow_hosts
    with forbidden.running():
        forbidden.routes["/feed.xml"] = Route(body=ARARAT)
        line = refused(env, "sources", "add", forbidden.url("/feed.xml"))
        assert "127.0.0.2 resolves to 127.0.0.2, a loopback address" in line
        assert "[aggregator] allow_hosts" in line
        assert forbidden.log == []  # refused before any request
    assert stored_urls(env) == []


def test_no_check_adds_without_fetching(env: dict[str, str], server: FeedServer) -> None:
    output = ok(env, "sources", "add", "--no-check", f"HTTP://127.0.0.1:{server.port}/nothing#x")
    assert f"added source 1: {server.url('/nothing')} (not fetched: --no-check)" in output
    assert server.log == []


# --- sources import ---------------------------------------------------------------------


def test_opml_import_refuses_each_bad_outline_and_imports_the_rest(
    env: dict[str, str], server: FeedServer, tmp_path: Path
) -> None:
    ok(env, "sources", "add", server.url("/feed.xml"))
    host = f"127.0.0.1:{server.port}"
    opml = tmp_path / "subs.opml"
    opml.write_text(
        f"""<?xml version="1.0"?><opml version="2.0"><head/><body>
        <outline text="Again" xmlUrl="HTTP://{host}/feed.xml#x"/>
        <outline text="Secret" xmlUrl="http://u:pw@{host}/private.xml"/>
        <outline text="Long" xmlUrl="http://{host}/{"a" * 3000}"/>
        <outline text="Monitor" xmlUrl="http://{host}/atom.xml"/>
        <outline text="Missing" xmlUrl="http://{host}/missing.xml"/>
        </body></opml>""",
        encoding="utf-8",
    )
    result = invoke(env, "sources", "import", str(opml))
    assert result.exit_code == 0, result.output
    assert "imported 2 source(s); 1 already known; 2 refused" in result.stdout
    refusals = result.stderr.splitlines()
    assert len(refusals) == 2
    assert refusals[0].startswith("refused outline 'Secret': a source URL must not carry")
    assert refusals[1].startswith("refused outline 'Long': ")
    assert "longer than 2048" in refusals[1]
    assert stored_urls(env) == [
        server.url("/feed.xml"),
        server.url("/atom.xml"),
        server.url("/missing.xml"),
    ]


def test_opml_import_with_check_refuses_what_cannot_be_read(
    env: dict[str, str], server: FeedServer, tmp_path: Path
) -> None:
    host = f"127.0.0.1:{server.port}"
    opml = tmp_path / "subs.opml"
    opml.write_text(
        f"""<?xml version="1.0"?><opml version="2.0"><head/><body>
        <outline text="Monitor" xmlUrl="http://{host}/atom.xml"/>
        <outline text="Missing" xmlUrl="http://{host}/missing.xml"/>
        </body></opml>""",
        encoding="utf-8",
    )
    result = invoke(env, "sources", "import", "--check", str(opml))
    assert result.exit_code == 0, result.output
    assert "imported 1 source(s); 0 already known; 1 refused" in result.stdout
    assert result.stderr.startswith("refused outline 'Missing': ")
    assert "HTTP 404" in result.stderr
    [row] = listing(env)
    assert row["url"] == server.url("/atom.xml") and row["title"] == "Monitor"
    assert row["lang"] == "en"  # read by the check, before any poll


# --- sources list and feeds poll --------------------------------------------------------


def test_list_json_tells_the_state_of_every_source_after_real_polls(
    database_url: str, server: FeedServer
) -> None:
    env = _env(database_url)
    server.routes["/flaky.xml"] = Route(body=MONITOR, content_type="application/atom+xml")
    server.routes["/degraded.xml"] = Route(body=DEGRADED)
    ok(env, "sources", "add", server.url("/feed.xml"), "--section", "region")
    ok(env, "sources", "add", server.url("/flaky.xml"))
    ok(env, "sources", "add", server.url("/degraded.xml"))
    before = datetime.now(UTC).replace(microsecond=0)
    polled = ok(env, "poll")
    assert "0 error(s), 1 entries refused" in polled  # refused entries are not a failure
    assert f"source 3 {server.url('/degraded.xml')}: 1 entries refused" in polled
    del server.routes["/flaky.xml"]
    result = invoke(env, "poll", "2")
    assert result.exit_code == 1
    good, flaky, degraded = listing(env)
    expected_keys = {"id", "url", "title", "lang", "health", "entries", "skipped", "last_error"}
    assert expected_keys | {"skip_reasons", "last_poll", "next_poll"} <= set(good)
    assert good["id"] == 1 and good["url"] == server.url("/feed.xml")
    assert good["title"] == "Արարատ Օրաթերթ" and good["lang"] == "hy"
    assert good["health"] == "ok" and good["entries"] == 3 and good["last_error"] is None
    assert good["section"] == "region" and good["skipped"] == 0 and good["skip_reasons"] == []
    assert degraded["health"] == "degraded" and degraded["entries"] == 1
    assert degraded["skipped"] == 1 and degraded["last_error"] is None
    [reason] = degraded["skip_reasons"]
    assert "http://[bad" in reason
    assert flaky["health"] == "error" and flaky["entries"] == 3  # kept from the first poll
    assert flaky["last_error"] == f"{server.url('/flaky.xml')}: HTTP 404 Not Found"
    assert flaky["consecutive_errors"] == 1
    for row in (good, flaky, degraded):
        assert isinstance(row["last_poll"], str) and isinstance(row["next_poll"], str)
        last, due = (
            datetime.fromisoformat(row["last_poll"]),
            datetime.fromisoformat(row["next_poll"]),
        )
        assert last.utcoffset() is not None and last.utcoffset().total_seconds() == 0
        assert row["last_poll"].endswith("Z") and row["next_poll"].endswith("Z")
        assert before <= last <= datetime.now(UTC) and due > last


def test_the_table_shows_the_url_and_the_whole_error_with_its_brackets(
    env: dict[str, str],
) -> None:
    url = "http://127.0.0.2:9/feed.xml"  # blocked before any request: nothing listens there
    ok(env, "sources", "add", "--no-check", url)
    result = invoke(env, "poll")
    assert result.exit_code == 1
    [row] = listing(env)
    error = row["last_error"]
    assert isinstance(error, str) and len(error) > 120
    assert "[aggregator] allow_hosts" in error
    table = ok(env, "sources", "list")
    assert url in table
    assert error in table  # whole, brackets included


def test_poll_exits_non_zero_naming_every_failed_source(
    env: dict[str, str], server: FeedServer
) -> None:
    ok(env, "sources", "add", server.url("/feed.xml"))
    assert "polled 1 source(s): 3 new" in ok(env, "poll")
    assert "1 unchanged, 0 error(s)" in ok(env, "poll")  # a 304 is a success
    server.routes["/gone.xml"] = Route(status=410)
    ok(env, "sources", "add", "--no-check", server.url("/gone.xml"))
    ok(env, "sources", "add", "--no-check", server.url("/missing.xml"))
    ok(env, "sources", "add", "--no-check", "http://127.0.0.2:9/feed.xml")
    result = invoke(env, "poll")
    assert result.exit_code == 1
    assert "polled 4 source(s): 0 new, 0 changed, 1 unchanged, 3 error(s)" in result.stdout
    failures = sorted(line for line in result.stderr.splitlines() if line.startswith("failed:"))
    assert len(failures) == 3
    assert failures[0].startswith(f"failed: source 2 {server.url('/gone.xml')} (gone): ")
    assert failures[1].startswith(f"failed: source 3 {server.url('/missing.xml')} (error): ")
    assert "HTTP 404" in failures[1]
    assert failures[2].startswith("failed: source 4 http://127.0.0.2:9/feed.xml (blocked): ")
    assert "polled 1 source(s)" in ok(env, "poll", "1")  # the good one alone: exit 0
    removed = ok(env, "sources", "remove", f"HTTP://127.0.0.1:{server.port}/missing.xml#x")
    assert f"removed source 3: {server.url('/missing.xml')}" in removed


def test_where_a_url_leads_is_what_is_stored_and_compared(
    env: dict[str, str], server: FeedServer
) -> None:
    server.routes["/old-feed"] = Route(status=301, headers={"Location": "/feed.xml"})
    output = ok(env, "sources", "add", server.url("/old-feed"))
    assert f"added source 1: {server.url('/feed.xml')}" in output  # the permanent address
    page = PAGE.replace(b"PORT", str(server.port).encode()).replace(b"feed.xml", b"/feed.xml")
    server.routes["/front"] = Route(body=page, content_type="text/html")
    line = refused(env, "sources", "add", server.url("/front"))  # its first feed is known
    assert (
        line == f"error: {server.url('/feed.xml')} is already source 1: {server.url('/feed.xml')}"
    )
    assert stored_urls(env) == [server.url("/feed.xml")]
