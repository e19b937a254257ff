"""Every public page, in real Chromium, in every shipped language: readable at desktop
and phone widths (screenshots in ``artifacts/browser``), with no serious or critical
accessibility violation that axe-core finds (``tests/browser.py``), and on the Armenian
and Russian pages no English interface text, decided from the catalogs
(``tests/l10n_support.py``), in what the reader sees and what a screen reader reads."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from feeds.store import Store, open_store
from tests.browser import WIDTHS, describe, open_page, screenshot, serious_violations
from tests.l10n_support import english_left
from tests.web_support import served, settings, story

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The test newsroom with a few stories, on SQLite, served for the whole module."""
    path = tmp_path_factory.mktemp("browser") / "feeds.db"
    store: Store = open_store(f"sqlite:///{path}")
    store.upsert_article(story("sevan", hours_ago=2))
    store.upsert_article(story("budget", title="Parliament passes the budget", hours_ago=1))
    store.upsert_article(story("en-only", langs=("en",), hours_ago=3))
    config = settings(
        timezone="Asia/Yerevan",
        sections={"science": {"en": "Science", "hy": "Գիտություն", "ru": "Наука"}},
        tags={"sevan": {"en": "Sevan", "hy": "Սևան", "ru": "Севан"}},
    )
    try:
        with served(store, config) as base:
            yield base
    finally:
        store.close()


# (path, status): every kind of public page, the feed preview and the error pages too.
PAGES = [
    ("/", 200),
    ("/{lang}/", 200),
    ("/{lang}/feeds", 200),
    ("/{lang}/articles/sevan", 200),
    ("/{lang}/news", 200),
    ("/{lang}/news?q=Sevan*", 200),
    ("/{lang}/rss.xml", 200),
    ("/{lang}/section/science/atom.xml", 200),
    ("/{lang}/no-such-page", 404),
    ("/{lang}/articles/no-such-story", 404),
]


@pytest.mark.parametrize("lang", ["en", "hy", "ru"])
@pytest.mark.parametrize(("template", "status"), PAGES)
def test_a_page_is_in_its_language_with_no_serious_accessibility_violation(
    chromium: Any, site: str, template: str, status: int, lang: str
) -> None:
    path = template.format(lang=lang)
    for width in WIDTHS:
        # The home page is in the browser's language; the others in their path's.
        with open_page(chromium, site + path, width, locale=lang) as page:
            assert page.response.status == status
            name = path.strip("/").replace("?", "-") or f"home-{lang}"
            screenshot(page, f"{name}-{width.name}")
            assert page.evaluate("document.documentElement.lang") == lang
            if lang != "en":
                assert english_left(page.content(), lang) == [], path
            violations = serious_violations(page)
            assert violations == [], describe(violations)


@pytest.mark.parametrize("lang", ["hy", "ru"])
def test_a_story_missing_in_a_language_says_so_in_it(chromium: Any, site: str, lang: str) -> None:
    with open_page(chromium, site + f"/{lang}/articles/en-only", locale=lang) as page:
        assert page.response.status == 404
        assert page.evaluate("document.documentElement.lang") == lang
        assert english_left(page.content(), lang) == []
        assert page.locator("ul.translations a[hreflang='en']").count() == 1
        screenshot(page, f"{lang}-articles-en-only-missing")
        assert serious_violations(page) == []
