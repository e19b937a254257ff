"""Validation refuses what would make an invalid feed, naming the article and the field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from feeds.model import (
    Article,
    Author,
    DocumentError,
    InvalidArticleError,
    SourceRef,
    Status,
    Translation,
    article_from_dict,
    article_to_dict,
    check_language_tag,
    is_visible,
    load_document,
    slugify,
)


def doc(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "2026-11-apricots",
        "published": "2026-11-20T10:00:00+04:00",
        "translations": {
            "en": {"title": "Apricot exports grow", "url": "https://n.example/en/apricots"},
            "ru": {"title": "Экспорт абрикосов растёт", "url": "https://n.example/ru/apricots"},
        },
    }
    base.update(changes)
    return base


def errors_of(data: Any) -> dict[str, str]:
    with pytest.raises(InvalidArticleError) as caught:
        article_from_dict(data)
    return {e.field: e.message for e in caught.value.errors}


def test_a_document_round_trips_and_times_become_utc() -> None:
    article = article_from_dict(doc(authors=["Anna"], tags=["Trade"], section="economy"))
    assert article.published == datetime(2026, 11, 20, 6, 0, tzinfo=UTC)
    assert article.updated == article.published
    assert article.status is Status.PUBLISHED
    assert article_from_dict(article_to_dict(article)) == article
    assert article.languages == ("en", "ru")


def test_naive_dates_are_refused_not_guessed() -> None:
    errors = errors_of(doc(published="2026-11-20T10:00:00"))
    assert "no time zone" in errors["published"]
    with pytest.raises(InvalidArticleError, match="timezone-aware"):
        Article(
            id="x",
            status=Status.PUBLISHED,
            published=datetime(2026, 1, 1),
            updated=datetime(2026, 1, 1, tzinfo=UTC),
            translations=(Translation("en", "t", "https://n.example/x"),),
        )


def test_every_problem_is_reported_at_once_with_the_article_id() -> None:
    bad = doc(status="live", image={"url": "img.jpg", "width": 0, "height": 10})
    bad["translations"]["en"]["title"] = "   "
    bad["translations"]["ru"]["url"] = "ru/apricots"
    bad["translations"]["english"] = {"title": "x", "url": "https://n.example/x"}
    with pytest.raises(InvalidArticleError) as caught:
        article_from_dict(bad)
    message = str(caught.value)
    assert message.startswith("article 2026-11-apricots is invalid")
    fields = {e.field for e in caught.value.errors}
    assert {
        "status",
        "translations.en.title",
        "translations.ru.url",
        "translations.english.lang",
        "image.mime_type",
        "image.width",
    } <= fields


def test_control_characters_that_xml_forbids_are_refused() -> None:
    bad = doc()
    bad["translations"]["en"]["summary"] = "bell \x07 here"
    assert "U+0007" in errors_of(bad)["translations.en.summary"]


@pytest.mark.parametrize("tag", ["en", "hy", "ru", "hy-AM", "sr-Latn-RS", "ru-RU"])
def test_real_language_tags_pass(tag: str) -> None:
    assert check_language_tag(tag) is None


@pytest.mark.parametrize("tag", ["xx", "english", "EN", "en_US", "", "arm"])
def test_unknown_language_tags_fail(tag: str) -> None:
    assert check_language_tag(tag) is not None


def test_visibility_follows_status_and_embargo_time() -> None:
    now = datetime(2026, 11, 27, tzinfo=UTC)

    def at(status: Status, when: datetime) -> bool:
        return is_visible(
            article_from_dict(doc(status=status.value, published=when.isoformat())), now
        )

    past, future = now - timedelta(hours=1), now + timedelta(hours=1)
    assert at(Status.PUBLISHED, past)
    assert at(Status.SCHEDULED, past)
    assert not at(Status.SCHEDULED, future)
    assert not at(Status.PUBLISHED, future)
    assert not at(Status.DRAFT, past)
    assert not at(Status.RETRACTED, past)


def test_offsets_other_than_utc_are_kept_as_the_same_instant() -> None:
    yerevan = timezone(timedelta(hours=4))
    local = datetime(2026, 11, 20, 10, 0, tzinfo=yerevan)
    article = article_from_dict(doc(published=local.isoformat()))
    assert article.published == local
    assert article.published.tzinfo is UTC


def test_slugs_keep_non_latin_letters() -> None:
    assert slugify("Foreign Affairs") == "foreign-affairs"
    assert slugify("Ереван  Метро") == "ереван-метро"
    assert slugify("Երևան") == "երևան"


def test_not_an_object_is_a_clear_error() -> None:
    assert errors_of([1, 2]) == {
        "(document)": "must be a JSON object",
        "id": "must not be empty",
        "published": "is required",
        "translations": "must map language tags to {title, url, summary, body_html}",
    }


def _aggregated(**source: Any) -> Article:
    values: dict[str, Any] = {
        "title": "Ararat Daily",
        "feed_url": "https://a.example/rss",
        "link": "https://a.example/1",
        "lang": "hy",
    }
    values.update(source)
    return Article(
        id="src-1-x",
        status=Status.PUBLISHED,
        published=datetime(2026, 11, 20, tzinfo=UTC),
        updated=datetime(2026, 11, 20, tzinfo=UTC),
        translations=(Translation("hy", "Վերնագիր", "https://a.example/1"),),
        tags=tuple(f"t{i}" for i in range(51)),
        authors=(Author("x" * 201),),
        source=SourceRef(**values),
    )


def test_an_article_built_directly_obeys_the_store_limits_too() -> None:
    # The aggregator builds Articles itself: the same limits protect the store from it.
    with pytest.raises(InvalidArticleError) as caught:
        _aggregated(source_id=2**31, lang="hy\ud800")
    fields = {e.field for e in caught.value.errors}
    assert {"tags", "authors[0].name", "source.source_id", "source.lang"} <= fields


def test_a_date_without_a_utc_equivalent_is_a_field_error_not_an_overflow() -> None:
    found = errors_of(
        doc(published="0001-01-01T00:00:00+14:00", updated="9999-12-31T23:59:00-14:00")
    )
    assert "outside the calendar" in found["published"]
    assert "outside the calendar" in found["updated"]
    assert (
        "must be from 1900 to 9998" in errors_of(doc(published="1899-12-31T23:59:59Z"))["published"]
    )


def test_the_depth_guard_refuses_deep_documents_without_recursing() -> None:
    with pytest.raises(DocumentError, match="nested too deeply"):
        load_document("[" * 100_000 + "]" * 100_000)
    assert load_document('{"a": [{"b": "[[[[[[[[[[[[[[[[[[[[[[[["}]}') == {"a": [{"b": "[" * 24}]}


def test_error_messages_escape_what_they_quote() -> None:
    with pytest.raises(InvalidArticleError) as caught:
        article_from_dict(doc(id="a\ud800" + "x" * 500))
    message = str(caught.value)
    message.encode("utf-8")  # printable: no lone surrogate survives into the message
    assert len(message) < 400


def test_an_own_story_names_its_pages_by_path_and_the_site_supplies_the_host() -> None:
    data = doc(
        image={"url": "/static/images/a.jpg", "width": 10, "height": 10, "mime_type": "image/jpeg"}
    )
    del data["translations"]["en"]["url"]
    data["translations"]["ru"]["body_html"] = (
        '<p><a href="/en/articles/b">b</a> <a href="//x.example/">x</a></p>'
    )
    article = article_from_dict(data)
    # Stored as written: nothing in the document depends on where the site is served.
    assert article.translation("en").url == "/en/articles/2026-11-apricots"  # type: ignore[union-attr]
    assert article_from_dict(article_to_dict(article)) == article
    served = article.on_site("https://wire.example/news/")
    assert served.translation("en").url == "https://wire.example/news/en/articles/2026-11-apricots"  # type: ignore[union-attr]
    assert served.translation("ru").url == "https://n.example/ru/apricots"  # type: ignore[union-attr]
    assert (
        served.image is not None
        and served.image.url == "https://wire.example/news/static/images/a.jpg"
    )
    body = served.translation("ru").body_html  # type: ignore[union-attr]
    assert (
        'href="https://wire.example/news/en/articles/b"' in body and 'href="//x.example/"' in body
    )
    # Already absolute: the same object comes back.
    absolute = article_from_dict(doc())
    assert absolute.on_site("https://wire.example") is absolute


def test_an_aggregated_story_needs_absolute_urls() -> None:
    data = doc(
        source={
            "title": "A",
            "feed_url": "https://a.example/rss",
            "link": "https://a.example/1",
            "lang": "ru",
        }
    )
    del data["translations"]["en"]["url"]
    data["translations"]["ru"]["url"] = "/ru/x"
    found = errors_of(data)
    assert found["translations.en.url"] == "is required"
    assert "not an absolute http(s) URL" in found["translations.ru.url"]
