"""The visibility and membership rules say the same in Python and in SQL, on both backends.

``feeds.model.is_visible`` and ``feeds.feedkeys.is_member`` are the rules; the store turns
them into WHERE clauses (``feeds.store.visibility``). Every public read (feeds, partner
feeds, archives, pages, sitemaps, the image gate) goes through those clauses, so if the
two said different things a story could be in a feed that its tombstone, its WebSub
announcement or its image gate knows nothing about.
"""

from __future__ import annotations

import dataclasses
import itertools
import random
from datetime import UTC, datetime, timedelta

import pytest

from feeds.feedkeys import FeedKey, FeedScope, Kind, is_member
from feeds.model import Article, Author, Image, SourceRef, Status, Translation, is_visible
from feeds.store import Store
from feeds.store.images import hidden_images, visible_own_images

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
LANGS = ("en", "hy", "ru")
SECTIONS = (None, "Politics", "Culture")
TAGS = ("Elections", "Yerevan", "Ереван", "Metro")
AUTHORS = ("Anna Petrosyan", "Davit Hakobyan")
# Before, exactly at, and after ``NOW``: an embargo ends at its time, not a second later.
OFFSETS = (timedelta(hours=-3), timedelta(0), timedelta(minutes=30))
ORIGINS = (None, 1, 2)  # the newsroom's own, or aggregated from source 1 or 2
VARIANTS = 4


def generated_articles() -> list[Article]:
    """Every status, embargo side and origin, each in a few shapes (seeded, so stable)."""
    rng = random.Random(20261127)
    found = []
    for n, (status, offset, origin, variant) in enumerate(
        itertools.product(Status, OFFSETS, ORIGINS, range(VARIANTS))
    ):
        article_id = f"a{n:03d}-{status.value}-{variant}"
        langs = rng.sample(LANGS, rng.randint(1, len(LANGS)))
        published = NOW + offset
        # An own story's image is on the site; an aggregated one's where its source keeps it.
        image_url = f"/static/images/{article_id}.jpg"
        source = None
        if origin is not None:
            source = SourceRef(
                title=f"Source {origin}",
                feed_url=f"https://source{origin}.example/feed.xml",
                link=f"https://source{origin}.example/{article_id}",
                lang=langs[0],
                source_id=origin,
            )
            image_url = f"https://source{origin}.example{image_url}"
        found.append(
            Article(
                id=article_id,
                status=status,
                published=published,
                updated=published,
                section=rng.choice(SECTIONS),
                tags=tuple(rng.sample(TAGS, rng.randint(0, 2))),
                authors=tuple(Author(name) for name in rng.sample(AUTHORS, rng.randint(0, 2))),
                image=Image(image_url, 800, 600, "image/jpeg") if variant % 2 else None,
                source=source,
                translations=tuple(
                    Translation(
                        lang=lang,
                        title=f"{article_id} ({lang})",
                        url=f"https://news.example/{lang}/{article_id}",
                    )
                    for lang in langs
                ),
            )
        )
    return found


def feed_keys() -> list[FeedKey]:
    keys = []
    for lang in ("en", "hy"):
        keys += [FeedKey(lang), FeedKey(lang, Kind.AGGREGATED)]
        keys += [FeedKey(lang, Kind.SECTION, s) for s in ("politics", "culture", "sport")]
        keys += [FeedKey(lang, Kind.TAG, t) for t in ("elections", "ереван", "nothing")]
        keys += [FeedKey(lang, Kind.AUTHOR, a) for a in ("anna-petrosyan", "davit-hakobyan")]
    return keys


def scopes() -> list[FeedScope]:
    """Every feed's scope (with and without republish) and the other scopes in use."""
    found = [key.scope(republish=r) for key in feed_keys() for r in (False, True)]
    found += [
        FeedScope(None),
        FeedScope(None, own=False, aggregated=True),
        FeedScope(None, aggregated=True),
        FeedScope("ru", own=False, aggregated=True, source_id=1),
        FeedScope("en", own=False, aggregated=True, source_id=2),
        FeedScope(None, own=False, aggregated=True, source_id=3),
    ]
    # Partner restrictions: sections only, tags only, both; with and without a section.
    for lang, section in (("en", None), ("hy", None), ("en", "politics")):
        base = FeedScope(lang, section=section)
        found += [
            base.restricted_to(frozenset({"politics"}), frozenset()),
            base.restricted_to(frozenset(), frozenset({"elections", "metro"})),
            base.restricted_to(frozenset({"culture"}), frozenset({"ереван"})),
        ]
    return found


@pytest.fixture
def stored(store: Store) -> tuple[Store, list[Article]]:
    articles = generated_articles()
    store.upsert_articles(articles)
    return store, articles


def newest_first(articles: list[Article]) -> list[str]:
    return [a.id for a in sorted(articles, key=lambda a: (a.published, a.id), reverse=True)]


@pytest.mark.parametrize(
    "at", [NOW, NOW - timedelta(hours=4), NOW + timedelta(hours=1)], ids=["now", "before", "after"]
)
def test_every_scope_holds_the_same_stories_in_sql_as_in_python(
    stored: tuple[Store, list[Article]], at: datetime
) -> None:
    store, articles = stored
    assert {a.status for a in articles} == set(Status)
    for scope in scopes():
        expected = [a for a in articles if is_visible(a, at) and is_member(a, scope)]
        found = store.visible_articles(scope, at, limit=len(articles))
        assert [a.id for a in found] == newest_first(expected), scope


def test_a_story_moved_in_time_moves_in_its_tag_and_author_feeds(
    stored: tuple[Store, list[Article]],
) -> None:
    """Tag and author feeds read their facet's copy of the publication time (migration
    0008): a rewrite that moves a story keeps that copy and the story in step."""
    store, articles = stored
    moved = [
        dataclasses.replace(a, published=a.published - timedelta(days=30 + i))
        for i, a in enumerate(a for a in articles if a.tags and a.authors)
    ][:20]
    store.upsert_articles(moved)
    current = {a.id: a for a in articles} | {a.id: a for a in moved}
    for scope in (s for s in scopes() if s.tag is not None or s.author is not None):
        expected = [a for a in current.values() if is_visible(a, NOW) and is_member(a, scope)]
        found = store.visible_articles(scope, NOW, limit=len(current))
        assert [a.id for a in found] == newest_first(expected), scope


def test_a_window_keeps_exactly_the_stories_published_within_it(
    stored: tuple[Store, list[Article]],
) -> None:
    """``since`` (the news sitemap's two days) is the same cut in SQL as in Python."""
    store, articles = stored
    since = NOW - timedelta(hours=1)
    for scope in scopes():
        expected = [
            a
            for a in articles
            if is_visible(a, NOW) and is_member(a, scope) and a.published >= since
        ]
        found = store.visible_articles(scope, NOW, limit=len(articles), since=since)
        assert [a.id for a in found] == newest_first(expected), scope
    assert any(a.published < since for a in articles)


def test_headlines_are_the_window_s_stories_as_their_documents_say(
    stored: tuple[Store, list[Article]],
) -> None:
    """The news sitemap's narrow read (``Store.headlines``: title and URL picked out of the
    stored JSON by the database) names the same stories, titles and URLs as decoding each
    story, site paths made absolute alike, for a language tag that is not a bare key too."""
    store, articles = stored
    local = Article(
        id="local-zh",
        status=Status.PUBLISHED,
        published=NOW - timedelta(minutes=5),
        updated=NOW - timedelta(minutes=1),
        translations=(
            Translation("zh-TW", "台北捷運", "/zh-TW/articles/local-zh"),
            Translation("en", "Taipei metro", "/en/articles/local-zh"),
        ),
    )
    store.upsert_article(local)
    site = store.for_site("https://news.example")
    since = NOW - timedelta(hours=1)
    for lang in (*LANGS, "zh-TW"):
        scope = FeedScope(lang)
        expected = []
        for a in site.visible_articles(scope, NOW, limit=len(articles) + 1, since=since):
            t = a.translation(lang)
            assert t is not None
            expected.append((a.id, a.published, a.updated, t.title, t.url))
        found = site.headlines(lang, NOW, since, len(articles) + 1)
        assert [(h.id, h.published, h.updated, h.title, h.url) for h in found] == expected, lang
        assert found, lang
    (zh,) = site.headlines("zh-TW", NOW, since, 10)
    assert zh.url == "https://news.example/zh-TW/articles/local-zh"
    assert zh.title == "台北捷運"
    assert len(site.headlines("en", NOW, since, 2)) == 2


@pytest.mark.parametrize("at", [NOW, NOW + timedelta(hours=1)], ids=["now", "after"])
def test_one_facet_read_alone_is_the_same_as_in_the_language_s_list(
    stored: tuple[Store, list[Article]], at: datetime
) -> None:
    """A feed's existence check reads its own facet (``Store.facet``): the same slug, name
    and count as the language's list of facets, and nothing for a slug no story has."""
    store, _ = stored
    seen = 0
    for lang in LANGS:
        for kind, listed in store.facets(lang, at).items():
            for facet in listed:
                assert store.facet(lang, kind, facet.slug, at) == facet, (lang, kind)
                seen += 1
            assert store.facet(lang, kind, "no-such-facet", at) is None
    assert seen > 0


def test_the_generated_stories_exercise_every_rule(stored: tuple[Store, list[Article]]) -> None:
    """Not a vacuous agreement: each feed holds some stories and leaves some out."""
    _, articles = stored
    visible = [a for a in articles if is_visible(a, NOW)]
    assert 0 < len(visible) < len(articles)
    assert any(a.status is Status.SCHEDULED and a.published == NOW for a in visible)
    for key in feed_keys():
        if key.slug in ("sport", "nothing"):
            continue
        held = [a for a in visible if key.holds(a)]
        assert 0 < len(held) < len(visible), key


@pytest.mark.parametrize("at", [NOW, NOW + timedelta(hours=1)], ids=["now", "after"])
def test_the_image_gate_hides_exactly_the_images_of_stories_not_visible(
    stored: tuple[Store, list[Article]], at: datetime
) -> None:
    store, articles = stored
    with store._db.reading() as conn:
        hidden = {(h.url, h.opens_at) for h in hidden_images(conn, at)}
        own = visible_own_images(conn, at)
    with_image = [a for a in articles if a.image is not None]
    assert hidden == {
        (a.image.url, a.published if a.status in (Status.PUBLISHED, Status.SCHEDULED) else None)
        for a in with_image
        if a.image is not None and not is_visible(a, at)
    }
    assert own == {
        a.image.url
        for a in with_image
        if a.image is not None and a.source is None and is_visible(a, at)
    }


def test_an_outbox_key_names_every_feed_a_story_is_in() -> None:
    """The WebSub keys a write queues are exactly the feeds (without republish) that hold it."""
    from feeds.feedkeys import outbox_keys

    for article in generated_articles():
        keys = outbox_keys(article)
        for key in feed_keys():
            assert (key.outbox_key in keys) == key.holds(article), (article.id, key)
        for key in keys:
            parsed = FeedKey.from_outbox_key(key)
            assert parsed is not None and parsed.outbox_key == key and parsed.holds(article)
