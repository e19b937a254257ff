"""Every public page, in real Chromium, in every shipped language: readable at desktop
and phone widths (screenshots in ``artifacts/browser``) and with no serious or critical
accessibility violation that axe-core finds (``tests/browser.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from feeds.store import Store, open_store
from tests.browser import WIDTHS, describe, open_page, screenshot, serious_violations
from tests.web_support import served, story

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The test newsroom with a few stories, on SQLite, served for the whole module."""
    path = tmp_path_factory.mktemp("browser") / "feeds.db"
    store: Store = open_store(f"sqlite:///{path}")
    store.upsert_article(story("sevan", hours_ago=2))
    store.upsert_article(story("budget", title="Parliament passes the budget", hours_ago=1))
    try:
        with served(store) as base:
            yield base
    finally:
        store.close()


PAGES = ["/", "/{lang}/", "/{lang}/articles/sevan", "/{lang}/news", "/{lang}/rss.xml"]


@pytest.mark.parametrize("lang", ["en", "hy", "ru"])
@pytest.mark.parametrize("template", PAGES)
def test_a_page_has_no_serious_accessibility_violation(
    chromium: Any, site: str, template: str, lang: str
) -> None:
    path = template.format(lang=lang)
    if path == "/" and lang != "en":
        pytest.skip("/ is one page for every language")
    for width in WIDTHS:
        with open_page(chromium, site + path, width) as page:
            assert page.response.status == 200
            screenshot(page, f"{path.strip('/') or 'home'}-{width.name}")
            violations = serious_violations(page)
            assert violations == [], describe(violations)
