"""The example newsroom (examples/articles) is valid input with the promised mix of stories.

`make run`, the docs and other rooms' tests load these files, so they must stay importable
through the one door the newsroom uses (``article_from_dict``) and keep their variety: three
languages, one draft, one embargoed story, one retraction, small and large images. The files
in examples/bad are the counter-examples the docs show; each must fail with one readable
error naming its field.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from feeds.model import (
    Article,
    InvalidArticleError,
    Status,
    article_from_dict,
    article_to_dict,
    is_visible,
    slugify,
)

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
ARTICLES = EXAMPLES / "articles"
BAD = EXAMPLES / "bad"
BASE = "https://wire.example/news"  # any base_url: examples name none
# The day the example newsroom lives in: everything but the embargoed story was written before.
NEWSROOM_NOW = datetime(2026, 11, 27, tzinfo=UTC)
EMBARGO = datetime(2027, 6, 1, 8, 0, tzinfo=UTC)
SECTIONS = {"politics", "economy", "culture", "science", "sport", "society"}
ARMENIAN = re.compile("[\u0530-\u058f]")
CYRILLIC = re.compile("[\u0400-\u04ff]")
BODY_TAGS = {"p", "em", "strong", "a", "blockquote", "ul", "li"}


def _load_documents() -> list[tuple[str, Any]]:
    """(where, JSON document) per story: one per .json file, one per line of an .ndjson file."""
    found: list[tuple[str, Any]] = []
    for path in sorted(ARTICLES.iterdir()):
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".json":
            found.append((path.name, json.loads(text)))
        elif path.suffix == ".ndjson":
            for number, line in enumerate(text.splitlines(), start=1):
                if line.strip():
                    found.append((f"{path.name}:{number}", json.loads(line)))
    return found


DOCUMENTS = _load_documents()
WHERE = [where for where, _ in DOCUMENTS]


def _articles() -> list[Article]:
    return [article_from_dict(doc) for _, doc in DOCUMENTS]


def _body_root(body_html: str) -> etree._Element:
    # Parsing as XML makes the check strict: unclosed or misnested tags fail here.
    return etree.fromstring(f"<div>{body_html}</div>")


def test_examples_directory_holds_only_article_files() -> None:
    suffixes = {path.suffix for path in ARTICLES.iterdir()}
    assert suffixes <= {".json", ".ndjson"}
    assert (ARTICLES / "wire.ndjson").is_file()


@pytest.mark.parametrize(("where", "doc"), DOCUMENTS, ids=WHERE)
def test_every_example_story_imports_and_round_trips(where: str, doc: Any) -> None:
    article = article_from_dict(doc)
    assert article_from_dict(article_to_dict(article)) == article


@pytest.mark.parametrize(("where", "doc"), DOCUMENTS, ids=WHERE)
def test_json_files_are_named_after_their_story(where: str, doc: Any) -> None:
    if where.endswith(".json"):
        assert where == f"{doc['id']}.json"


def test_story_ids_are_unique_and_there_are_enough_stories() -> None:
    ids = Counter(doc["id"] for _, doc in DOCUMENTS)
    assert [i for i, n in ids.items() if n > 1] == []
    assert len(ids) >= 12
    ndjson = [where for where in WHERE if ".ndjson:" in where]
    assert len(ndjson) == 3


def test_one_draft_one_scheduled_one_retracted_and_the_rest_published() -> None:
    statuses = Counter(a.status for a in _articles())
    assert statuses[Status.DRAFT] == 1
    assert statuses[Status.SCHEDULED] == 1
    assert statuses[Status.RETRACTED] == 1
    assert statuses[Status.PUBLISHED] == len(DOCUMENTS) - 3


def test_scheduled_story_stays_hidden_until_its_embargo() -> None:
    (scheduled,) = [a for a in _articles() if a.status is Status.SCHEDULED]
    assert scheduled.published == EMBARGO
    assert not is_visible(scheduled, NEWSROOM_NOW)
    assert not is_visible(scheduled, EMBARGO - timedelta(seconds=1))
    assert is_visible(scheduled, EMBARGO)
    assert scheduled.updated < NEWSROOM_NOW


def test_other_stories_date_from_october_and_november_2026() -> None:
    for article in _articles():
        if article.status is Status.SCHEDULED:
            continue
        assert datetime(2026, 10, 1, tzinfo=UTC) <= article.published < NEWSROOM_NOW, article.id
        assert article.published <= article.updated < NEWSROOM_NOW, article.id
    raw_times = [doc["published"] for _, doc in DOCUMENTS]
    assert any(t.endswith("+04:00") for t in raw_times)
    assert any(t.endswith("Z") for t in raw_times)


def test_most_stories_exist_in_english_armenian_and_russian() -> None:
    languages = Counter(a.languages for a in _articles())
    all_three = languages[("en", "hy", "ru")]
    assert all_three * 2 > len(DOCUMENTS)
    assert languages[("hy",)] >= 1
    assert languages[("ru",)] >= 1


@pytest.mark.parametrize(("where", "doc"), DOCUMENTS, ids=WHERE)
def test_each_translation_is_written_in_its_own_script(where: str, doc: Any) -> None:
    for t in article_from_dict(doc).translations:
        texts = {"title": t.title, "summary": t.summary, "body_html": t.body_html}
        for name, text in texts.items():
            if t.lang == "hy":
                assert ARMENIAN.search(text), f"{where} hy {name} has no Armenian letters"
            elif t.lang == "ru":
                assert CYRILLIC.search(text), f"{where} ru {name} has no Cyrillic letters"
            else:
                assert not ARMENIAN.search(text) and not CYRILLIC.search(text), where


@pytest.mark.parametrize(("where", "doc"), DOCUMENTS, ids=WHERE)
def test_translations_are_the_sites_own_pages_and_have_sensible_titles(
    where: str, doc: Any
) -> None:
    # No example names a host: the site serves them under whatever base_url it has.
    assert all("url" not in t for t in doc["translations"].values())
    article = article_from_dict(doc)
    for t in article.translations:
        assert t.url == f"/{t.lang}/articles/{article.id}"
        assert 20 <= len(t.title) <= 150, t.title
        assert t.summary.strip()
    served = article.on_site(BASE).translations
    assert [t.url for t in served] == [f"{BASE}/{t.lang}/articles/{article.id}" for t in served]


@pytest.mark.parametrize(("where", "doc"), DOCUMENTS, ids=WHERE)
def test_bodies_are_small_well_formed_safe_html(where: str, doc: Any) -> None:
    # Full stories have 3-6 blocks; the short wire items in the NDJSON file at least 2.
    fewest = 2 if ".ndjson:" in where else 3
    for t in article_from_dict(doc).translations:
        root = _body_root(t.body_html)
        assert fewest <= len(root) <= 6, f"{where} {t.lang}: {len(root)} blocks"
        assert {child.tag for child in root} <= {"p", "blockquote", "ul"}
        for element in root.iter():
            if element is root:
                continue
            assert element.tag in BODY_TAGS, f"{where} {t.lang}: <{element.tag}>"
            if element.tag == "a":
                assert list(element.attrib) == ["href"]
                href = element.attrib["href"]
                assert href.startswith(("https://", "/")) and not href.startswith("//"), href
            else:
                assert not element.attrib, f"{where} {t.lang}: <{element.tag}> has attributes"


@pytest.mark.parametrize(("where", "doc"), DOCUMENTS, ids=WHERE)
def test_section_tags_and_bylines(where: str, doc: Any) -> None:
    article = article_from_dict(doc)
    assert article.section in SECTIONS
    assert 2 <= len(article.tags) <= 4
    for tag in article.tags:
        assert tag == slugify(tag) and tag.isascii(), tag
    assert 1 <= len(article.authors) <= 2


def test_lead_images() -> None:
    articles = _articles()
    with_image = [a for a in articles if a.image is not None]
    assert len(with_image) * 4 > len(articles) * 3
    for article in with_image:
        image = article.image
        assert image is not None
        assert image.url == f"/static/images/{article.id}.jpg"
        assert image.mime_type == "image/jpeg"
        assert image.caption and image.credit
    widths = [a.image.width for a in with_image if a.image is not None]
    assert widths.count(640) == 1
    assert sum(w >= 1200 for w in widths) == len(widths) - 1


def test_every_bad_example_has_an_expectation() -> None:
    assert {p.name for p in BAD.iterdir()} == {
        "naive-date.json",
        "relative-url.json",
        "not-json.json",
    }


@pytest.mark.parametrize(
    ("name", "field", "phrase"),
    [
        ("naive-date.json", "published", "no time zone"),
        ("relative-url.json", "translations.en.url", "or a path starting with '/'"),
    ],
)
def test_bad_example_fails_with_one_error_naming_the_field(
    name: str, field: str, phrase: str
) -> None:
    doc = json.loads((BAD / name).read_text(encoding="utf-8"))
    with pytest.raises(InvalidArticleError) as caught:
        article_from_dict(doc)
    assert [e.field for e in caught.value.errors] == [field]
    message = str(caught.value)
    assert doc["id"] in message
    assert f"{field}: " in message
    assert phrase in message


def test_truncated_example_is_not_json() -> None:
    text = (BAD / "not-json.json").read_text(encoding="utf-8")
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)
