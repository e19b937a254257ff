"""The browser harness: real Chromium driven by Playwright, axe-core, screenshots.

Every browser test goes through here:

- ``launch()`` starts Debian's ``/usr/bin/chromium`` headless through Playwright (its
  ``executable_path``: Playwright downloads no browser of its own). The ``chromium``
  fixture of ``tests/conftest.py`` holds one for the whole session.
- ``open_page(browser, url, width)`` opens ``url`` as a reader would, by navigating to
  it (so the server sees ``Sec-Fetch-Dest: document``), at ``DESKTOP`` or ``PHONE``
  width.
- ``serious_violations(page)`` runs axe-core (``tests/js``, installed by ``make
  install`` with ``npm ci``) on the page and returns the serious and critical ones.
- ``screenshot(page, name)`` saves a full-page PNG into ``ARTIFACTS`` (``artifacts/browser``,
  gitignored; ``FEEDS_ARTIFACTS`` moves it), for people to look at after a run.

``require_browser()`` skips, saying why, when Chromium or axe-core is missing; in CI
(``CI=true``, where ``.ci/run`` installs Chromium and ``make test`` installs axe-core) a
missing one fails instead of hiding.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium")
AXE = REPO / "tests" / "js" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = Path(os.environ.get("FEEDS_ARTIFACTS", REPO / "artifacts")) / "browser"


@dataclass(frozen=True)
class Width:
    name: str
    width: int
    height: int
    mobile: bool = False


DESKTOP = Width("desktop", 1280, 900)
PHONE = Width("phone", 390, 844, mobile=True)
WIDTHS = (DESKTOP, PHONE)

# axe's impact levels a page must have none of.
BLOCKING = ("serious", "critical")


def browser_problem() -> str | None:
    """Why the browser tests cannot run here, or None."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[dev]')"
    if CHROMIUM is None:
        return "Debian's chromium is not installed here (.ci/run installs it)"
    if not AXE.is_file():
        return "axe-core is not installed (make install runs npm ci --prefix tests/js)"
    return None


def require_browser() -> None:
    problem = browser_problem()
    if problem is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{problem} (CI must run the browser tests)")
    pytest.skip(problem)


@contextmanager
def launch() -> Iterator[Any]:
    """A headless Chromium (a Playwright ``Browser``), closed afterwards."""
    from playwright.sync_api import sync_playwright

    assert CHROMIUM is not None
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"],
        )
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def open_page(
    browser: Any, url: str, width: Width = DESKTOP, locale: str | None = None
) -> Iterator[Any]:
    """``url`` navigated to at ``width`` (by a browser set to ``locale``, which it sends
    as Accept-Language); the page's own Content-Security-Policy (no script at all) is
    bypassed so axe can be injected, nothing else is changed."""
    context = browser.new_context(
        viewport={"width": width.width, "height": width.height},
        is_mobile=width.mobile,
        has_touch=width.mobile,
        bypass_csp=True,
        **({"locale": locale} if locale else {}),
    )
    try:
        page = context.new_page()
        page.response = page.goto(url, wait_until="load")
        yield page
    finally:
        context.close()


def serious_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's violations of ``BLOCKING`` impact on ``page``: rule id, impact, help
    and the offending elements, ready to print in an assertion."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["html"][:200] for n in v["nodes"][:5]],
        }
        for v in result["violations"]
        if v["impact"] in BLOCKING
    ]


def describe(violations: list[dict[str, Any]]) -> str:
    return json.dumps(violations, ensure_ascii=False, indent=1)


def screenshot(page: Any, name: str) -> Path:
    """A full-page PNG of ``page`` as ``ARTIFACTS/<name>.png`` (name made file-safe)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / (re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_") + ".png")
    page.screenshot(path=str(path), full_page=True)
    return path


def visible_text(page: Any) -> str:
    """What a reader sees and a screen reader reads: the body's text, the document's
    title, and the alt, title, aria-label, placeholder and value attributes."""
    text: str = page.evaluate(
        """() => {
        const parts = [document.title, document.body.innerText];
        const named = '[alt],[title],[aria-label],[placeholder],input[value]';
        for (const el of document.querySelectorAll(named)) {
            for (const a of ['alt', 'title', 'aria-label', 'placeholder', 'value']) {
                const v = el.getAttribute(a);
                if (v) parts.push(v);
            }
        }
        return parts.join('\\n');
    }"""
    )
    return text
