"""The example newsroom as `make run` serves it: real CLI, real server process, real HTTP.

Runs `feeds db upgrade`, `feeds import examples/articles` and `feeds serve` with
examples/feeds.toml (on a temporary SQLite file and a free port), then reads it the way a
feed reader, a partner and the CMS would.
"""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
import httpx
import pytest
from lxml import etree

from tests.live import free_port
from tests.waiting import wait_for

pytestmark = pytest.mark.slow  # subprocesses and real waits: seconds per test

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "examples" / "feeds.toml"


def feeds_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "feeds.cli", *args, "--config", str(CONFIG)],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=120,
        check=True,
    )


@pytest.fixture(scope="module")
def newsroom(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    db = tmp_path_factory.mktemp("newsroom") / "feeds.db"
    env = dict(
        os.environ,
        FEEDS_DATABASE_URL=f"sqlite:///{db}",
        FEEDS_BASE_URL=base,
        FEEDS_ALLOW_HOSTS="127.0.0.1",
    )
    feeds_cli("db", "upgrade", env=env)
    imported = feeds_cli("import", "examples/articles", env=env)
    assert "0 bad file(s)" in imported.stdout
    server = subprocess.Popen(
        [sys.executable, "-m", "feeds.cli", "serve", "--port", str(port), "--config", str(CONFIG)],
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:

        def healthy() -> bool:
            assert server.poll() is None, f"feeds serve exited with {server.returncode}"
            try:
                return httpx.get(f"{base}/healthz", timeout=2).status_code == 200
            except httpx.TransportError:
                return False

        wait_for(healthy, "feeds serve to answer /healthz", timeout=120)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=20)


@pytest.mark.parametrize("lang", ["en", "hy", "ru"])
def test_a_feed_reader_reads_every_language(newsroom: str, lang: str) -> None:
    body = httpx.get(f"{newsroom}/{lang}/rss.xml", timeout=10).content
    parsed = feedparser.parse(body)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.feed.language == lang
    assert len(parsed.entries) >= 5
    # Every story links to its own page in this language, and that page exists.
    first = parsed.entries[0]
    assert f"/{lang}/articles/" in first.link
    # (The example stories' URLs name port 8000, where `make run` serves them.)
    page = httpx.get(newsroom + urlsplit(first.link).path, timeout=10)
    assert page.status_code == 200
    assert first.title in html.unescape(page.text)


def test_the_draft_and_the_embargoed_story_are_nowhere(newsroom: str) -> None:
    hidden = ("2026-11-sevan-trout-hatchery", "2026-11-street-music-festival-2027")
    for lang in ("en", "hy", "ru"):
        for name in ("rss.xml", "atom.xml", "feed.json"):
            text = httpx.get(f"{newsroom}/{lang}/{name}", timeout=10).text
            assert not any(story in text for story in hidden), (lang, name)
    # Nor is the embargoed story's lead image, for someone who guesses its file name.
    images = f"{newsroom}/static/images"
    embargoed = httpx.get(f"{images}/2026-11-street-music-festival-2027.jpg", timeout=10)
    assert embargoed.status_code == 404
    assert httpx.get(f"{images}/2026-10-apricot-export-record.jpg", timeout=10).status_code == 200


def test_the_demo_partner_reads_with_its_token_and_others_cannot(newsroom: str) -> None:
    url = f"{newsroom}/partners/demo-portal/en/rss.xml"
    assert httpx.get(url, timeout=10).status_code == 401
    wrong = httpx.get(url, headers={"Authorization": "Bearer nope"}, timeout=10)
    assert wrong.status_code == 401
    ok = httpx.get(url, headers={"Authorization": "Bearer demo-partner-token"}, timeout=10)
    assert ok.status_code == 200
    assert "private" in ok.headers["cache-control"]
    assert feedparser.parse(ok.content).entries


def test_the_cms_publishes_through_the_ingest_api(newsroom: str) -> None:
    story = json.loads(
        (REPO / "examples" / "articles" / "2026-11-yerevan-winter-wine-fair.json").read_text()
    )
    story["id"] = "2026-11-wine-fair-follow-up"
    for lang, translation in story["translations"].items():
        translation["title"] = f"Follow-up: {translation['title']}"[:150]
        translation["url"] = f"{newsroom}/{lang}/articles/2026-11-wine-fair-follow-up"
    story["published"] = story["updated"] = "2026-11-26T20:00:00Z"
    put = httpx.put(
        f"{newsroom}/api/articles/2026-11-wine-fair-follow-up",
        json=story,
        headers={"Authorization": "Bearer demo-ingest-token"},
        timeout=10,
    )
    assert put.status_code == 201
    wait_for(
        lambda: "wine-fair-follow-up" in httpx.get(f"{newsroom}/en/rss.xml", timeout=10).text,
        "the new story in the feed",
        timeout=5,
    )


def test_the_demo_sources_are_served_for_the_aggregator(newsroom: str) -> None:
    # `make run` polls these; here the server answers them like any outside feed would.
    for name in ("ararat-daily-hy.rss.xml", "sevan-news-ru.koi8.xml", "yerevan-tech-en.json"):
        response = httpx.get(f"{newsroom}/examples/feeds/{name}", timeout=10)
        assert response.status_code == 200
        assert len(response.content) > 200


TOMBSTONES = "http://purl.org/atompub/tombstones/1.0"
_ABSOLUTE = re.compile(r"""https?://[^\s"'<>\\]+""")


def _site_links(text: str, base: str) -> set[str]:
    """Every absolute URL in ``text`` that names this machine; each must be under ``base``."""
    found = set()
    for raw in _ABSOLUTE.findall(text):
        url = html.unescape(raw)
        if urlsplit(url).hostname == "127.0.0.1":
            assert url.startswith(base + "/"), f"{url} is not under {base}"
            found.add(url)
    return found


def test_every_link_to_the_site_follows_its_base_url_and_resolves(newsroom: str) -> None:
    # The fixture serves on a free port: nothing may still point at `make run`'s :8000.
    assert urlsplit(newsroom).port != 8000
    links: set[str] = set()
    pages: set[str] = set()
    retracted: set[str] = set()  # RFC 6721 tombstones link to a story that is gone
    for lang in ("en", "hy", "ru"):
        for name in ("rss.xml", "atom.xml", "feed.json"):
            body = httpx.get(f"{newsroom}/{lang}/{name}", timeout=10).text
            links |= _site_links(body, newsroom)
        atom = httpx.get(f"{newsroom}/{lang}/atom.xml", timeout=10).content
        tombstones = etree.fromstring(atom).iter(f"{{{TOMBSTONES}}}deleted-entry")
        retracted |= {link.get("href") for t in tombstones for link in t}
        parsed = feedparser.parse(atom)
        pages |= {entry.link for entry in parsed.entries}
        for entry in parsed.entries:
            assert entry.link == f"{newsroom}/{lang}/articles/{entry.link.rsplit('/', 1)[1]}"
            alternates = [x for x in entry.links if x.get("hreflang")]
            enclosures = [x for x in entry.links if x.get("rel") == "enclosure"]
            assert alternates and all(x.href.startswith(newsroom + "/") for x in alternates)
            assert all(x.href.startswith(f"{newsroom}/static/images/") for x in enclosures)
        rss = feedparser.parse(httpx.get(f"{newsroom}/{lang}/rss.xml", timeout=10).content)
        # RSS carries the lead image as media:content (Media RSS).
        assert any(e.get("media_content") for e in rss.entries)
        for entry in rss.entries:
            assert entry.link.startswith(f"{newsroom}/{lang}/articles/")
            for media in entry.get("media_content", []):
                assert media["url"].startswith(f"{newsroom}/static/images/")
        items = httpx.get(f"{newsroom}/{lang}/feed.json", timeout=10).json()["items"]
        assert all(i["url"].startswith(f"{newsroom}/{lang}/articles/") for i in items)
        assert all(i["image"].startswith(f"{newsroom}/static/") for i in items if "image" in i)
    assert len(pages) >= 15 and retracted
    for page in sorted(pages):
        text = httpx.get(page, timeout=10).text
        assert f'<link rel="canonical" href="{page}">' in text
        links |= _site_links(text, newsroom)
    images = {u for u in links if "/static/images/" in u}
    assert len(images) >= 10
    for url in sorted(links - retracted):
        assert httpx.get(url, timeout=10).status_code == 200, url


def test_the_demo_sources_are_polled_from_the_sites_own_base_url(newsroom: str) -> None:
    # [[sources]] in examples/feeds.toml are paths: registered under base_url, they are read.
    wait_for(
        lambda: (
            feedparser.parse(
                httpx.get(f"{newsroom}/hy/aggregated/atom.xml", timeout=10).content
            ).entries
        ),
        "a demo source polled into the aggregated feed",
        timeout=30,
    )
    assert ":8000" not in httpx.get(f"{newsroom}/hy/news", timeout=10).text
