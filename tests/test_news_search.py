"""Search over stored stories (``Store.search``): the same answers on SQLite (FTS5) and
PostgreSQL (tsvector) for Armenian, Russian and English, case, prefixes, phrases and
exclusions; only visible stories; the index kept in step by every write."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, insert

from feeds.feedkeys import FeedScope
from feeds.model import Article, SourceRef, Status, Translation, article_to_dict
from feeds.searchtext import SearchSyntaxError, parse_query
from feeds.store import Store, open_store
from feeds.store.migrate import upgrade
from feeds.store.schema import article_languages, articles
from tests.stories import NOW

STORIES = {
    "metro": {
        "hy": ("Երևանի մետրոյի երկարացումը դեպի Աջափնյակ", "Շինարարությունը սկսվեց։"),
        "ru": ("Продление ереванского метро в Аджапняк", "Стройка началась, ёлки срублены."),
        "en": ("Yerevan metro extension to Ajapnyak", "<p>Digging</p><p>started today.</p>"),
    },
    "films": {
        "hy": ("Երևանյան աշնան կինոօրերը մեկնարկեցին", "Ֆիլմ Կոնդի մասին։"),
        "ru": ("«Ереванские осенние кинодни» открылись", "Фильм о сапожниках Конда."),
        "en": ("Yerevan Autumn Film Days open", "A documentary about Kond's shoemakers."),
    },
    "yerevan": {
        "hy": ("Երևան. առաջին ցրտահարություն", "Ջերմաստիճանն իջավ։"),
        "ru": ("Ереван: первые заморозки", "Температура опустилась до −2 °C."),
        "en": ("Yerevan: first frost", "Temperatures dropped to minus two."),
    },
}


def article(article_id: str, hours_ago: float, **changes: object) -> Article:
    when = NOW - timedelta(hours=hours_ago)
    texts = STORIES[article_id]
    made = Article(
        id=article_id,
        status=Status.PUBLISHED,
        published=when,
        updated=when,
        translations=tuple(
            Translation(lang, title, f"https://news.example/{lang}/{article_id}", "", body)
            for lang, (title, body) in texts.items()
        ),
    )
    return dataclasses.replace(made, **changes)  # type: ignore[arg-type]


@pytest.fixture
def stored(store: Store) -> Store:
    store.upsert_articles([article("metro", 3), article("films", 2), article("yerevan", 1)])
    return store


def found(store: Store, lang: str, query: str) -> list[str]:
    scope = FeedScope(lang, own=True, aggregated=True)
    return [a.id for a in store.search(parse_query(query), scope, NOW)]


CASES = [
    # Armenian: case, the two spellings of և, prefixes for endings, words not substrings.
    ("hy", "Աջափնյակ", ["metro"]),
    ("hy", "աջափնյակ", ["metro"]),
    ("hy", "ԱՋԱՓՆՅԱԿ", ["metro"]),
    ("hy", "Երևան", ["yerevan"]),
    ("hy", "երեւան", ["yerevan"]),
    ("hy", "ԵՐԵՎԱՆ", ["yerevan"]),
    ("hy", "Երև*", ["yerevan", "films", "metro"]),
    ("hy", "երեւան*", ["yerevan", "films", "metro"]),
    ("hy", "Երևանի մետրոյի", ["metro"]),
    ("hy", "շինարարությունը", ["metro"]),
    ("hy", "Երև* -մետրոյի", ["yerevan", "films"]),
    ("hy", "մետր", []),
    # Russian: case, ё as е, prefixes, phrases in order, exclusion.
    ("ru", "ЕРЕВАН", ["yerevan"]),
    ("ru", "ереван*", ["yerevan", "films", "metro"]),
    ("ru", "Ерева*", ["yerevan", "films", "metro"]),
    ("ru", "елки", ["metro"]),
    ("ru", "ёлки", ["metro"]),
    ("ru", '"осенние кинодни"', ["films"]),
    ("ru", '"кинодни осенние"', []),
    ("ru", "кинодни осенние", ["films"]),
    ("ru", "ереван* -метро", ["yerevan", "films"]),
    ("ru", 'ереван* -"первые заморозки"', ["films", "metro"]),
    ("ru", "сапожник*", ["films"]),
    ("ru", "сапожник", []),
    # English: case, prefix, phrase across the body's paragraphs, punctuation ignored.
    ("en", "YEREVAN", ["yerevan", "films", "metro"]),
    ("en", "yerevan -frost", ["films", "metro"]),
    ("en", "shoe*", ["films"]),
    ("en", "kond", ["films"]),
    ("en", "kond's", ["films"]),
    ("en", '"digging started"', ["metro"]),
    ("en", "frost!", ["yerevan"]),
    ("en", "metro frost", []),
    # A language's search finds only that language's text.
    ("en", "Աջափնյակ", []),
    ("ru", "ajapnyak", []),
]


@pytest.mark.parametrize(("lang", "query", "expected"), CASES)
def test_search_finds_the_same_stories_on_both_stores(
    stored: Store, lang: str, query: str, expected: list[str]
) -> None:
    assert found(stored, lang, query) == expected


def test_only_visible_stories_are_found(stored: Store) -> None:
    stored.upsert_article(article("films", 2, status=Status.DRAFT))
    stored.upsert_article(article("yerevan", -5))  # now under embargo for five hours
    assert found(stored, "en", "yerevan") == ["metro"]
    stored.retract_article("metro")
    assert found(stored, "en", "yerevan") == []
    later = NOW + timedelta(hours=6)
    scope = FeedScope("en", own=True, aggregated=True)
    assert [a.id for a in stored.search(parse_query("yerevan"), scope, later)] == ["yerevan"]


def test_a_rewritten_story_is_found_by_its_new_words_only(stored: Store) -> None:
    new = Translation("en", "Ajapnyak tunnel reaches halfway", "https://news.example/en/metro")
    stored.upsert_article(article("metro", 3, translations=(new,)))
    assert found(stored, "en", "tunnel") == ["metro"]
    assert found(stored, "en", "digging") == []
    assert found(stored, "ru", "аджапняк") == []  # the Russian version is gone


def test_aggregated_stories_are_found_and_narrowed_to_their_source(stored: Store) -> None:
    source = SourceRef("Outlet", "https://outlet.example/feed", "https://outlet.example/1", "en", 7)
    other = Translation("en", "Frost grips Yerevan overnight", "https://outlet.example/1")
    stored.upsert_article(
        dataclasses.replace(
            article("yerevan", 0.5), id="outlet-1", translations=(other,), source=source
        )
    )
    assert found(stored, "en", "frost") == ["outlet-1", "yerevan"]
    only = FeedScope("en", own=False, aggregated=True, source_id=7)
    assert [a.id for a in stored.search(parse_query("frost"), only, NOW)] == ["outlet-1"]


def test_results_page_newest_first_after_a_cursor(stored: Store) -> None:
    scope = FeedScope("en", own=True, aggregated=True)
    first = stored.search(parse_query("yerevan"), scope, NOW, limit=2)
    assert [a.id for a in first] == ["yerevan", "films"]
    rest = stored.search(
        parse_query("yerevan"), scope, NOW, limit=2, after=(first[-1].published, first[-1].id)
    )
    assert [a.id for a in rest] == ["metro"]


def test_stories_stored_before_the_index_existed_are_found(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    upgrade(engine, "0005")
    # Written with the 0005 schema's tables only, as an older feeds stored it.
    with engine.begin() as conn:
        made = article("metro", 3)
        conn.execute(
            insert(articles),
            {
                "id": made.id,
                "status": "published",
                "published": made.published,
                "updated": made.updated,
                "section_slug": None,
                "aggregated": False,
                "source_id": None,
                "document": json.dumps(article_to_dict(made)),
                "revision": 1,
                "created_at": made.published,
                "retracted_at": None,
            },
        )
        conn.execute(
            insert(article_languages),
            [{"article_id": "metro", "lang": lang} for lang in ("en", "hy", "ru")],
        )
    engine.dispose()
    migrated = open_store(sqlite_url)
    assert found(migrated, "ru", "аджапняк") == ["metro"]
    migrated.close()


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("", "at least one word"),
        ("  ?! ", "at least one word"),
        ("-metro", "at least one word"),
        ("e*", "at least 2 letters"),
        ("a " * 120, "at most 200 characters"),
        (" ".join(f"w{i}" for i in range(9)), "at most 8 words"),
    ],
)
def test_a_query_it_cannot_run_says_why(query: str, reason: str) -> None:
    with pytest.raises(SearchSyntaxError, match=reason):
        parse_query(query)
