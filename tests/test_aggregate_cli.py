"""The reader's commands as an operator types them: sources add/list/remove/import/export
and poll, against a real SQLite file and a loopback feed server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from feeds.aggregate.opml import OPMLError, read_opml
from feeds.cli import app
from feeds.store import open_store
from feeds.store.articles import list_articles
from tests.feedserver import FeedServer, Route

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "sources"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        "FEEDS_DATABASE_URL": f"sqlite:///{tmp_path / 'feeds.db'}",
        "FEEDS_ALLOW_HOSTS": "127.0.0.1",
        "FEEDS_CONFIG": "",
        "COLUMNS": "200",  # rich wraps table cells to the terminal width
    }


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer().running() as s:
        for path in EXAMPLES.glob("*.xml"):
            s.routes[f"/examples/feeds/{path.name}"] = Route(body=path.read_bytes())
        s.routes["/examples/feeds/yerevan-tech-en.json"] = Route(
            body=(EXAMPLES / "yerevan-tech-en.json").read_bytes(),
            content_type="application/feed+json",
        )
        yield s


def run(env: dict[str, str], *args: str) -> str:
    result = CliRunner().invoke(app, list(args), env=env)
    assert result.exit_code == 0, result.output
    return result.output


def test_demo_opml_imports_polls_and_exports(
    env: dict[str, str], server: FeedServer, tmp_path: Path
) -> None:
    # The demo's xmlUrls are paths: they name feeds of the site at base_url, here the server.
    env = {**env, "FEEDS_BASE_URL": f"http://127.0.0.1:{server.port}"}
    local = EXAMPLES / "demo.opml"
    assert "imported 5 source(s)" in run(env, "sources", "import", str(local))
    assert "0 source(s); 5 already known" in run(env, "sources", "import", str(local))
    output = run(env, "poll")
    assert "polled 5 source(s): 13 new" in output
    listing = run(env, "sources", "list")
    assert "Кавказский вестник" in listing and "ok" in listing
    exported = run(env, "sources", "export")
    specs = read_opml(exported.encode())
    assert len(specs) == 5
    assert {s.lang for s in specs} == {"hy", "ru", "en"}
    store = open_store(env["FEEDS_DATABASE_URL"])
    with store._db.reading() as conn:
        assert len(list_articles(conn)) == 13
    store.close()


def test_add_list_remove_and_the_errors_an_operator_sees(
    env: dict[str, str], server: FeedServer
) -> None:
    url = server.url("/examples/feeds/ararat-daily-hy.rss.xml")
    assert "added source 1" in run(env, "sources", "add", url, "--section", "Region")
    again = CliRunner().invoke(app, ["sources", "add", url], env=env)
    assert again.exit_code == 2 and f"is already source 1: {url}" in again.output
    bad = CliRunner().invoke(app, ["sources", "add", "ftp://x/feed"], env=env)
    assert bad.exit_code == 2 and "not an absolute http(s) URL" in bad.output
    lang = CliRunner().invoke(app, ["sources", "add", url + "?x", "--lang", "english"], env=env)
    assert lang.exit_code == 2 and "BCP 47" in lang.output
    server.routes["/gone"] = Route(status=410)
    gone = CliRunner().invoke(app, ["sources", "add", server.url("/gone")], env=env)
    assert gone.exit_code == 2 and "HTTP 410" in gone.output  # fetched once when added
    run(env, "sources", "add", "--no-check", server.url("/gone"))
    output = CliRunner().invoke(app, ["poll"], env=env)
    assert output.exit_code == 1  # a poll failed
    assert "3 new" in output.stdout and "1 error(s)" in output.stdout
    assert "failed: source 2" in output.stderr and "410" in output.stderr
    listing = run(env, "sources", "list")
    assert "gone (disabled)" in listing
    assert "removed source 2" in run(env, "sources", "remove", server.url("/gone"))
    missing = CliRunner().invoke(app, ["sources", "remove", "99"], env=env)
    assert missing.exit_code == 1 and "no source" in missing.output


def test_bad_opml_is_one_readable_error(env: dict[str, str], tmp_path: Path) -> None:
    with pytest.raises(OPMLError, match="not <opml>"):
        read_opml(b"<rss/>")
    bad = tmp_path / "bad.opml"
    bad.write_text("<opml><body><outline xmlUrl='x'", encoding="utf-8")
    result = CliRunner().invoke(app, ["sources", "import", str(bad)], env=env)
    assert result.exit_code == 2 and "not readable XML" in result.output
