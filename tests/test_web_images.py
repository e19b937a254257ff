"""Lead images under /static/images/: a draft's or an embargoed story's image never leaks.

Real stores (SQLite and PostgreSQL), the app on uvicorn, plain HTTP. The image files are the
example newsroom's (src/feeds/web/static/images/); each test's stories decide which of them
are in use, by whom.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

from starlette.applications import Starlette
from starlette.routing import Mount

from feeds.model import Article, Image
from feeds.store import Store
from feeds.web.images import ImageGate, StaticWithImages, image_name
from feeds.web.rendercache import Freshness
from tests.conftest import REPO
from tests.live import live_server
from tests.web_support import BASE, Answer, MovingClock, fetch, served, settings, story

IMAGES = REPO / "src" / "feeds" / "web" / "static" / "images"
EMBARGOED = "2026-11-street-music-festival-2027.jpg"
DRAFTED = "2026-11-yerevan-first-frost.jpg"
PUBLISHED = "2026-10-lake-sevan-water-level.jpg"
UNUSED = "2026-10-apricot-export-record.jpg"


def with_image(article: Article, name: str, *, site: str = BASE) -> Article:
    image = Image(f"{site}/static/images/{name}", width=1600, height=900, mime_type="image/jpeg")
    return dataclasses.replace(article, image=image)


def assert_image(answer: Answer, name: str) -> None:
    assert answer.status == 200, (name, answer.status)
    assert answer.header("Content-Type") == "image/jpeg"
    assert answer.body == (IMAGES / name).read_bytes()


def assert_missing(answer: Answer, base: str, path: str, method: str = "GET") -> None:
    """``answer`` is exactly the 404 of a file that does not exist, and no cache keeps it."""
    assert answer.status == 404, (path, answer.status)
    assert answer.header("Cache-Control") == "no-store"
    missing_path = "/static/images/no-such-file.jpg"
    missing = fetch(base + missing_path, method=method)
    assert missing.status == 404
    assert sorted(answer.headers.keys()) == sorted(missing.headers.keys())
    for name in ("Content-Type", "Cache-Control"):
        assert answer.header(name) == missing.header(name), name
    assert answer.body == missing.body.replace(missing_path.encode(), path.encode())


def test_an_embargoed_storys_image_is_404_until_its_time_then_served(store: Store) -> None:
    clock = MovingClock()
    opens = clock.now + timedelta(hours=2)
    store.upsert_article(with_image(story("festival", status="scheduled", when=opens), EMBARGOED))
    path = f"/static/images/{EMBARGOED}"
    with served(store, clock=clock, revision_interval=0) as base:
        assert_missing(fetch(base + path), base, path)
        assert_missing(fetch(base + path, method="HEAD"), base, path, "HEAD")
        clock.now = opens - timedelta(seconds=1)
        assert_missing(fetch(base + path), base, path)
        clock.now = opens
        assert_image(fetch(base + path), EMBARGOED)


def test_an_embargoed_image_is_served_once_its_story_is_published_early(store: Store) -> None:
    embargoed = story("festival", status="scheduled", when=datetime(2099, 6, 1, tzinfo=UTC))
    store.upsert_article(with_image(embargoed, EMBARGOED))
    path = f"/static/images/{EMBARGOED}"
    with served(store, revision_interval=0) as base:
        assert_missing(fetch(base + path), base, path)
        store.upsert_article(with_image(story("festival", hours_ago=0.1), EMBARGOED))
        assert_image(fetch(base + path), EMBARGOED)
        # Back to the embargo: the image goes away again.
        store.upsert_article(with_image(embargoed, EMBARGOED))
        assert_missing(fetch(base + path), base, path)


def test_a_drafts_and_a_retracted_storys_image_are_404_like_missing_files(store: Store) -> None:
    store.upsert_article(with_image(story("frost", status="draft"), DRAFTED))
    store.upsert_article(with_image(story("sevan", status="retracted"), PUBLISHED))
    with served(store) as base:
        for name in (DRAFTED, PUBLISHED):
            path = f"/static/images/{name}"
            assert (IMAGES / name).is_file()
            assert_missing(fetch(base + path), base, path)
            # A cached copy's validators do not bring it back either.
            assert_missing(fetch(base + path, {"If-None-Match": "*"}), base, path)


def test_a_hidden_storys_image_is_hidden_whatever_host_its_url_names(store: Store) -> None:
    # The CMS wrote the URL with the CDN's host, not the site's base URL.
    cdn = "https://cdn.news.example"
    store.upsert_article(with_image(story("frost", status="draft"), DRAFTED, site=cdn))
    path = f"/static/images/{DRAFTED}"
    with served(store) as base:
        assert_missing(fetch(base + path), base, path)


def test_a_visible_storys_image_is_served_with_validators_and_304s(store: Store) -> None:
    store.upsert_article(with_image(story("sevan"), PUBLISHED))
    path = f"/static/images/{PUBLISHED}"
    with served(store) as base:
        first = fetch(base + path)
        assert_image(first, PUBLISHED)
        etag = first.header("ETag")
        last_modified = first.header("Last-Modified")
        assert etag and last_modified
        assert first.header("Cache-Control") == "public, max-age=123"  # site.cache_max_age

        by_etag = fetch(base + path, {"If-None-Match": etag})
        assert by_etag.status == 304 and by_etag.body == b""
        assert by_etag.header("ETag") == etag
        assert by_etag.header("Cache-Control") == "public, max-age=123"
        by_date = fetch(base + path, {"If-Modified-Since": last_modified})
        assert by_date.status == 304
        head = fetch(base + path, method="HEAD")
        assert head.status == 200 and head.body == b"" and head.header("ETag") == etag


def test_an_image_a_draft_and_a_visible_story_share_is_served(store: Store) -> None:
    store.upsert_article(with_image(story("frost-draft", status="draft"), DRAFTED))
    store.upsert_article(with_image(story("frost"), DRAFTED))
    with served(store) as base:
        assert_image(fetch(f"{base}/static/images/{DRAFTED}"), DRAFTED)


def test_an_image_no_story_uses_and_the_site_assets_are_served(store: Store) -> None:
    store.upsert_article(with_image(story("frost", status="draft"), DRAFTED))
    store.upsert_article(story("sevan"))  # no image
    with served(store) as base:
        assert_image(fetch(f"{base}/static/images/{UNUSED}"), UNUSED)
        logo = fetch(f"{base}/static/logo.png")
        assert logo.status == 200 and logo.header("Content-Type") == "image/png"


def test_no_spelling_of_the_path_reaches_a_hidden_image(store: Store) -> None:
    store.upsert_article(with_image(story("frost", status="draft"), DRAFTED))
    store.upsert_article(with_image(story("sevan"), PUBLISHED))
    spellings = (
        "/static/images/./{}",
        "/static//images/{}",
        "/static/images//{}",
        "/static/x/../images/{}",
        "/static/../static/images/{}",
        "/static/%69mages/{}",
        "/static/images/sub/../{}",
    )
    with served(store) as base:
        for spelling in spellings:
            # The spelling does reach a file: the visible story's image is served by it ...
            assert_image(fetch(base + spelling.format(PUBLISHED)), PUBLISHED)
            # ... and not the draft's.
            path = spelling.format(DRAFTED)
            answer = fetch(base + path)
            assert answer.status == 404, path
            assert answer.header("Cache-Control") == "no-store", path


def test_an_image_url_names_its_file_under_static_images() -> None:
    base = "https://news.example"
    assert image_name(f"{base}/static/images/a.jpg", base) == "a.jpg"
    assert image_name("https://cdn.example/static/images/a.jpg?w=600", base) == "a.jpg"
    assert image_name(f"{base}/static/images/2026/a%20b.jpg", base) == "2026/a b.jpg"
    assert image_name(f"{base}/static/x/../images/./a.jpg", base) == "a.jpg"
    assert image_name("https://example.org/news/static/images/a.jpg", "https://example.org/news")
    assert image_name(f"{base}/static/logo.png", base) is None
    assert image_name(f"{base}/static/images/", base) is None
    assert image_name(f"{base}/media/images/a.jpg", base) is None


def test_an_image_revalidated_after_its_story_is_retracted_is_gone(store: Store) -> None:
    sevan = with_image(story("sevan"), PUBLISHED)
    store.upsert_article(sevan)
    path = f"/static/images/{PUBLISHED}"
    with served(store, revision_interval=0) as base:
        first = fetch(base + path)
        assert_image(first, PUBLISHED)
        store.retract_article("sevan")
        since = format_datetime(datetime.now(UTC), usegmt=True)
        again = fetch(base + path, {"If-None-Match": first.header("ETag") or ""})
        assert_missing(again, base, path)
        assert_missing(fetch(base + path, {"If-Modified-Since": since}), base, path)


def test_a_symlink_opens_no_hidden_image_either_way_round(store: Store, tmp_path: Path) -> None:
    static = tmp_path / "static"
    (static / "images").mkdir(parents=True)
    for name in ("drafted.jpg", "unused.jpg"):
        (static / "images" / name).write_bytes((IMAGES / DRAFTED).read_bytes())
    (static / "images" / "alias.jpg").symlink_to("unused.jpg")  # the draft uses the alias
    (static / "pics").symlink_to("images", target_is_directory=True)
    store.upsert_article(with_image(story("one", status="draft"), "drafted.jpg"))
    store.upsert_article(with_image(story("two", status="draft"), "alias.jpg"))
    config = settings()
    gate = ImageGate(config.site, store, Freshness(store, interval=0))
    static_files = StaticWithImages(directory=static, gate=gate, site=config.site)
    with live_server(Starlette(routes=[Mount("/static", static_files)])) as base:
        assert fetch(f"{base}/static/images/unused.jpg").status == 200
        assert fetch(f"{base}/static/pics/unused.jpg").status == 200
        # The name asked for is hidden, though the file it leads to is not ...
        assert fetch(f"{base}/static/images/alias.jpg").status == 404
        # ... and the file a name leads to is hidden, though the name asked for is not.
        assert fetch(f"{base}/static/pics/drafted.jpg").status == 404
