"""No stored HTML reaches a page or a feed with anything active in it.

Hostile bodies (tests/xss_vectors.py) come in through every door the newsroom has: the
ingest API, ``feeds import``, and rows written straight to the store as if stored before
sanitising existed. Then the article page, every public feed format and the partner
feeds are read over HTTP and parsed (lxml), and every element and attribute is checked:
no script, no event handler, no active URL, no frame from a host not listed, none of the
elements that load, style or submit. The newsroom's legitimate HTML survives.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

import httpx
import pytest
from lxml import etree, html

from feeds.config import PartnerConfig
from feeds.model import article_from_dict
from feeds.safehtml import EMBED_SANDBOX, own_html, sanitize_html
from feeds.store import open_store
from feeds.store.partners import hash_token
from feeds.web.app import build_app
from tests.live import live_server
from tests.web_support import settings
from tests.xss_vectors import EMBED_HOST, LEGITIMATE, VECTORS

BASE = "https://news.example"
INGEST_TOKEN = "ingest-token-for-the-sanitiser-tests"
PARTNER_TOKEN = "fp_partner-token-for-the-sanitiser-tests-0123"
NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "content": "http://purl.org/rss/1.0/modules/content/",
}
FORBIDDEN_ELEMENTS = {
    "script", "style", "form", "object", "embed", "base", "meta", "link", "applet",
    "frame", "frameset", "svg", "math", "template", "noscript", "input", "button",
    "textarea", "select", "isindex", "xmp", "noembed", "video", "audio", "source",
    "marquee", "body", "html", "head", "title",
}  # fmt: skip
URL_ATTRIBUTES = {"href", "src", "cite", "action", "formaction", "data", "poster", "background"}


CONFIG = settings(
    languages=("en", "hy"),
    titles={"en": "Caucasus Wire", "hy": "Կովկաս Լուր"},
    max_items=500,
    cache_max_age=300,
    embed_hosts=(EMBED_HOST,),
    ingest_tokens=(INGEST_TOKEN,),
    partners=(
        PartnerConfig(name="portal", profile="generic", token_hashes=(hash_token(PARTNER_TOKEN),)),
    ),
)


def document(article_id: str, body: str, hours_ago: int = 1) -> dict[str, Any]:
    return {
        "id": article_id,
        "status": "published",
        "published": f"2026-01-01T{hours_ago % 24:02d}:00:00Z",
        "translations": {
            lang: {
                "title": f"Story {article_id}",
                "url": f"{BASE}/{lang}/articles/{article_id}",
                # Plain text, but hostile too: RSS readers take <description> for HTML.
                "summary": f"Summary of {article_id}: {body[:300]}",
                "body_html": f"<p>marker-{article_id}</p>{body}",
            }
            for lang in ("en", "hy")
        },
    }


@dataclass(frozen=True)
class Site:
    base: str
    ids: tuple[str, ...]  # every hostile story, by whichever door it came in


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("sanitise")
    url = f"sqlite:///{folder / 'feeds.db'}"
    store = open_store(url)
    ids: list[str] = []
    # 1. Rows "stored before the fix": straight into the store, no API in between.
    direct = [f"direct-{i}" for i in range(len(VECTORS))]
    store.upsert_articles(
        [article_from_dict(document(i, v)) for i, v in zip(direct, VECTORS, strict=True)]
    )
    store.upsert_article(article_from_dict(document("legit", LEGITIMATE)))
    ids += direct
    # 2. The import files, through the real command.
    imported = [f"import-{i}" for i in range(len(VECTORS))]
    lines = [json.dumps(document(i, v)) for i, v in zip(imported, VECTORS, strict=True)]
    (folder / "hostile.ndjson").write_text("\n".join(lines) + "\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "feeds.cli", "import", str(folder / "hostile.ndjson")],
        capture_output=True,
        text=True,
        env={"FEEDS_DATABASE_URL": url, "PATH": "/usr/bin:/bin"},
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    ids += imported
    # 3. The ingest API, with a valid token.
    with live_server(build_app(CONFIG, store, revision_interval=0)) as base:
        auth = {"Authorization": f"Bearer {INGEST_TOKEN}"}
        with httpx.Client(base_url=base, timeout=30) as client:
            for n, vector in enumerate(VECTORS):
                article_id = f"api-{n}"
                put = client.put(
                    f"/api/articles/{article_id}", json=document(article_id, vector), headers=auth
                )
                assert put.status_code in (200, 201), put.text
                ids.append(article_id)
            # Every vector in one body, the newest story: in any feed however short.
            together = document("together", "".join(VECTORS), hours_ago=23)
            put = client.put("/api/articles/together", json=together, headers=auth)
            assert put.status_code in (200, 201), put.text
            ids.append("together")
        yield Site(base, tuple(ids))
    store.close()


def assert_inert(root: html.HtmlElement, where: str, *, data_images: bool = False) -> None:
    """Nothing under ``root`` can run script, load a foreign frame or change the page.

    ``data_images``: allow ``<img src="data:image/...">`` (aggregated HTML keeps inline
    images; an image cannot run script)."""
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue  # a comment or processing instruction: inert
        tag = element.tag.lower()
        assert tag not in FORBIDDEN_ELEMENTS, f"{where}: <{tag}> in {html.tostring(element)!r}"
        for name, value in element.attrib.items():
            name = name.lower()
            assert not name.startswith("on"), f"{where}: <{tag} {name}={value!r}>"
            assert name not in ("style", "srcdoc", "formaction"), f"{where}: <{tag} {name}>"
            if name in URL_ATTRIBUTES or name.endswith(":href"):
                squeezed = "".join(ch for ch in value if ch.isprintable() and not ch.isspace())
                # The scheme as a browser's URL parser reads it (WHATWG URL, scheme state).
                found = re.match(r"([A-Za-z][A-Za-z0-9+.-]*):", squeezed)
                scheme = found.group(1).lower() if found else ""
                inline_image = tag == "img" and squeezed.lower().startswith("data:image/")
                if data_images and inline_image:
                    continue
                assert scheme in ("", "http", "https", "mailto"), f"{where}: {name}={value!r}"
        if tag == "iframe":
            src = element.get("src") or ""
            parts = urlsplit(src)
            assert parts.scheme == "https" and parts.hostname == EMBED_HOST, f"{where}: {src!r}"
            assert element.get("sandbox") == EMBED_SANDBOX, f"{where}: frame without sandbox"
            assert len(element) == 0 and not (element.text or "").strip(), where


def fragment(markup: str) -> html.HtmlElement:
    return html.fragment_fromstring(markup or "<p></p>", create_parent="div")


def test_the_corpus_is_large_and_reaches_every_door(site: Site) -> None:
    assert len(VECTORS) >= 60
    assert len(site.ids) == 3 * len(VECTORS) + 1


def test_no_article_page_carries_anything_active(site: Site) -> None:
    with httpx.Client(base_url=site.base, timeout=30) as client:
        for article_id in site.ids:
            page = client.get(f"/en/articles/{article_id}")
            assert page.status_code == 200, article_id
            root = html.fromstring(page.content)
            body = root.xpath("//div[@class='body']")
            assert len(body) == 1 and f"marker-{article_id}" in body[0].text_content()
            assert_inert(body[0], f"page of {article_id}")
            # The whole document: the only <meta>, <link> and <style>-free head is the site's.
            assert root.xpath("//script") == [], article_id
            assert len(root.xpath("//base")) == 0, article_id


def rss_fragments(body: bytes) -> dict[str, list[str]]:
    channel = etree.fromstring(body).find("channel")
    assert channel is not None
    found: dict[str, list[str]] = {}
    for item in channel.findall("item"):
        link = item.findtext("link") or ""
        parts = [item.findtext("content:encoded", namespaces=NS) or ""]
        parts.append(item.findtext("description") or "")
        found[link.rsplit("/", 1)[-1]] = parts
    return found


def atom_fragments(body: bytes) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for entry in etree.fromstring(body).findall("atom:entry", NS):
        link = entry.find("atom:link[@rel='alternate']", NS)
        key = (link.get("href") if link is not None else "") or ""
        content = entry.find("atom:content", NS)
        assert content is None or content.get("type") == "html"
        parts = [content.text or "" if content is not None else ""]
        found[key.rsplit("/", 1)[-1]] = parts
    return found


def json_fragments(body: bytes) -> dict[str, list[str]]:
    return {
        item["url"].rsplit("/", 1)[-1]: [item.get("content_html", "")]
        for item in json.loads(body)["items"]
    }


READERS = {"rss.xml": rss_fragments, "atom.xml": atom_fragments, "feed.json": json_fragments}


@pytest.mark.parametrize("name", sorted(READERS))
@pytest.mark.parametrize("lang", ["en", "hy"])
def test_no_public_feed_item_carries_anything_active(site: Site, name: str, lang: str) -> None:
    answer = httpx.get(f"{site.base}/{lang}/{name}", timeout=30)
    assert answer.status_code == 200
    items = READERS[name](answer.content)
    assert set(site.ids) <= set(items), "every hostile story is in the feed"
    for article_id in site.ids:
        for markup in items[article_id]:
            assert_inert(fragment(markup), f"{lang}/{name} item {article_id}")
        assert f"marker-{article_id}" in items[article_id][0]


@pytest.mark.parametrize(
    ("path", "reader"), [("rss", "rss.xml"), ("atom", "atom.xml"), ("json", "feed.json")]
)
def test_no_partner_feed_item_carries_anything_active(site: Site, path: str, reader: str) -> None:
    answer = httpx.get(
        f"{site.base}/partners/portal/en/{path}",
        headers={"Authorization": f"Bearer {PARTNER_TOKEN}"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text[:300]
    items = READERS[reader](answer.content)
    hostile = [i for i in site.ids if i in items]
    assert "together" in hostile and len(hostile) >= 40, "the partner feed has hostile stories"
    for article_id in hostile:
        for markup in items[article_id]:
            assert_inert(fragment(markup), f"partner {path} item {article_id}")


def legit_checks(root: html.HtmlElement, where: str) -> None:
    assert_inert(root, where)
    assert root.xpath(".//figure/img[@alt='A platform']"), where
    assert root.xpath(".//figure/figcaption/text()") == ["The new platform."], where
    assert root.xpath(".//table/caption/text()") == ["Fares"], where
    assert root.xpath(".//tbody/tr/td/text()") == ["100", "200"], where
    assert root.xpath(".//blockquote/p/text()") == ["We had no choice."], where
    assert root.xpath(".//abbr[@title='Yerevan Metro']"), where
    assert root.xpath(".//time[@datetime='2026-11-14T06:00:00Z']"), where
    assert root.xpath(".//pre/code/text()") == ["fare = 200"], where
    link = root.xpath(".//a[@href='https://news.example/en/fares']")
    assert link and link[0].get("rel") == "noopener noreferrer", where
    frames = root.xpath(".//iframe")
    assert [f.get("src") for f in frames] == ["https://www.youtube-nocookie.com/embed/abc123"]
    assert frames[0].get("title") == "Interview" and frames[0].get("width") == "560"


def test_the_newsrooms_own_html_survives_on_the_page_and_in_the_feeds(site: Site) -> None:
    page = html.fromstring(httpx.get(f"{site.base}/en/articles/legit", timeout=30).content)
    legit_checks(page.xpath("//div[@class='body']")[0], "page")
    for name, reader in READERS.items():
        body = httpx.get(f"{site.base}/en/{name}", timeout=30).content
        legit_checks(fragment(reader(body)["legit"][0]), name)


def test_an_embed_is_removed_when_its_host_is_not_configured() -> None:
    assert "<iframe" not in own_html(LEGITIMATE, ())
    assert "<figure>" in own_html(LEGITIMATE, ())
    kept = own_html(LEGITIMATE, [EMBED_HOST])
    assert own_html(kept, [EMBED_HOST]) == kept, "cleaning clean HTML changes nothing"


@pytest.mark.parametrize("vector", VECTORS)
def test_each_vector_is_inert_under_both_policies(vector: str) -> None:
    assert_inert(fragment(own_html(vector, [EMBED_HOST])), "own")
    aggregated = sanitize_html(vector, "https://outlet.example/")
    assert_inert(fragment(aggregated), "aggregated", data_images=True)


# --- in a real browser -------------------------------------------------------------------

CHROMIUM = shutil.which("chromium")
PWNED = "document.title=7"  # what every payload does instead of hit(), if it runs


class _Pages(BaseHTTPRequestHandler):
    """Serves ``pages`` as they are, with no security headers at all."""

    pages: ClassVar[dict[str, bytes]] = {}

    def do_GET(self) -> None:
        body = self.pages.get(self.path, b"")
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def plain_server(pages: dict[str, bytes]) -> Iterator[str]:
    handler = type("Pages", (_Pages,), {"pages": pages})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def title_after_load(url: str) -> str:
    """The document title Chromium ends up with once ``url`` loaded and its scripts ran."""
    assert CHROMIUM is not None
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={profile}",
                "--virtual-time-budget=3000",
                "--dump-dom",
                url,
            ],
            capture_output=True,
            timeout=120,
            check=True,
        )
    found = html.fromstring(done.stdout).xpath("//title")
    return found[0].text_content() if found else ""


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed here")
def test_chromium_runs_none_of_a_stored_hostile_story(tmp_path: Path) -> None:
    hostile = "".join(v.replace("hit()", PWNED) for v in VECTORS)
    store = open_store(f"sqlite:///{tmp_path / 'feeds.db'}")
    store.upsert_article(article_from_dict(document("hostile", hostile)))
    with live_server(build_app(CONFIG, store)) as base:
        site_page = httpx.get(f"{base}/en/articles/hostile", timeout=30).content
        # The control: the same body unsanitised, with no policy, does run in this browser.
        control = f"<!doctype html><title>clean</title><body>{hostile}</body>".encode()
        with plain_server({"/control": control, "/copy": site_page}) as plain:
            assert title_after_load(plain + "/control") == "7"
            # The site's page as served (sanitised body and Content-Security-Policy) ...
            assert (
                title_after_load(base + "/en/articles/hostile") == "Story hostile · Caucasus Wire"
            )
            # ... and its bytes served without any policy: the sanitiser alone suffices.
            assert title_after_load(plain + "/copy") == "Story hostile · Caucasus Wire"
    store.close()
