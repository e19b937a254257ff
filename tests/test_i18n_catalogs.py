"""The interface text is translated: every string the code and the templates mark is in
the shipped catalogs with a real Armenian and Russian translation, the catalogs ship with
the package, and a new language is a catalog plus configuration, no code.

Messages are extracted from the source as ``pybabel extract`` does (``babel.cfg``, the
command in docs/localization.md), so a string added to a template or the code without a
translation fails here, and so does a ``feeds.pot`` that was not brought up to date.
"""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from lxml import etree

from feeds import i18n
from feeds.model import Author
from feeds.store import Store
from tests.web_support import fetch, served, settings, story

ROOT = Path(__file__).resolve().parent.parent
# The same keywords as the documented command: -k _in:2 -k translated.
KEYWORDS = {**DEFAULT_KEYWORDS, "_in": (2,), "translated": None}
SHIPPED = ("en", "hy", "ru")
TRANSLATED = ("hy", "ru")


def extracted() -> dict[str, str]:
    """Every msgid marked in src/, with where it is (file:line)."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found: dict[str, str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        ROOT / "src", method_map, options_map, keywords=KEYWORDS
    ):
        msgid = message if isinstance(message, str) else message[0]
        found.setdefault(msgid, f"{filename}:{lineno}")
    return found


def catalog(lang: str) -> dict[str, str]:
    path = i18n.catalog_path(i18n.LOCALE_DIR, lang)
    with path.open("rb") as po:
        return {
            m.id: m.string
            for m in read_po(po, locale=lang)
            if m.id and isinstance(m.id, str) and not m.fuzzy
        }


def test_every_marked_string_is_in_the_template_and_translated_in_armenian_and_russian() -> None:
    marked = extracted()
    assert len(marked) > 100  # the extraction found the templates and the code
    with (i18n.LOCALE_DIR / "feeds.pot").open("rb") as pot:
        template = {m.id for m in read_po(pot) if m.id}
    stale = sorted(
        f"{msgid!r} ({where})" for msgid, where in marked.items() if msgid not in template
    )
    assert not stale, f"run pybabel extract (docs/localization.md): {stale}"
    for lang in TRANSLATED:
        translations = catalog(lang)
        missing = sorted(
            f"{msgid!r} ({where})"
            for msgid, where in marked.items()
            if not translations.get(msgid, "").strip()
        )
        assert not missing, f"{lang}: untranslated: {missing}"
        untouched = sorted(m for m in marked if translations[m] == m and re.search("[a-z]{3}", m))
        assert not untouched, f"{lang}: left in English: {untouched}"


@pytest.mark.parametrize("lang", SHIPPED)
def test_translations_keep_the_placeholders_and_the_markup(lang: str) -> None:
    placeholder = re.compile(r"%\(\w+\)s|<[^>]+>")
    for msgid, msgstr in catalog(lang).items():
        if msgstr:
            wanted = sorted(placeholder.findall(msgid))
            assert sorted(placeholder.findall(msgstr)) == wanted, (lang, msgid, msgstr)


def test_the_words_come_from_the_catalogs_with_an_english_fallback() -> None:
    assert i18n.words("hy").gettext("From other sources") == "Այլ աղբյուրներից"
    assert i18n.words("ru").gettext("From other sources") == "Из других источников"
    assert i18n.words("ru").gettext("a string nobody marked") == "a string nobody marked"
    assert i18n.words("en").translated("and") == "and"


def georgian_catalog(directory: Path) -> Path:
    """A minimal Georgian catalog, as a translator would add one."""
    path = i18n.catalog_path(directory, "ka")
    path.parent.mkdir(parents=True)
    path.write_text(
        'msgid ""\nmsgstr ""\n"Language: ka\\n"\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
        'msgid "From other sources"\nmsgstr "სხვა წყაროებიდან"\n\n'
        'msgid "and"\nmsgstr "და"\n\n'
        'msgid "News feed"\nmsgstr "ახალი ამბები"\n',
        encoding="utf-8",
    )
    return path


def test_a_new_language_is_a_catalog_and_configuration_without_code(
    store: Store, tmp_path: Path
) -> None:
    georgian_catalog(tmp_path)
    config = settings(
        languages=("en", "ka"),
        titles={"en": "Caucasus Wire", "ka": "კავკასიის ამბები"},
        locale_dirs=(str(tmp_path),),
    )
    article = story("ka-story", langs=("ka",), title="ამბავი")
    store.upsert_article(replace(article, authors=(Author("ნინო"), Author("გიორგი"))))
    with served(store, config) as base:
        aggregated = fetch(base + "/ka/aggregated/rss.xml")
        assert aggregated.status == 200
        channel = etree.fromstring(aggregated.body).find("channel")
        assert channel is not None
        assert channel.findtext("title") == "კავკასიის ამბები: სხვა წყაროებიდან"
        assert channel.findtext("language") == "ka"
        # Its own feed: a byline joined with the catalog's "and".
        own = etree.fromstring(fetch(base + "/ka/rss.xml").body)
        creators = [c.text for c in own.iter("{http://purl.org/dc/elements/1.1/}creator")]
        assert creators == ["ნინო და გიორგი"]
        # The home page names the language in itself, from Babel's locale data.
        home = fetch(base + "/", {"Accept-Language": "ka"})
        assert "ქართული" in home.body.decode()
        assert "ახალი ამბები" in home.body.decode()


def test_the_catalog_directory_must_exist(tmp_path: Path) -> None:
    from feeds.config import ConfigError, load_settings

    config = tmp_path / "feeds.toml"
    config.write_text('[site]\nlocale_dirs = ["nowhere"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="locale_dirs"):
        load_settings(config, env={})
    georgian_catalog(tmp_path / "locale")
    config.write_text('[site]\nlocale_dirs = ["locale"]\ntimezone = "Asia/Yerevan"\n')
    site = load_settings(config, env={}).site
    assert site.locale_dirs == (str(tmp_path / "locale"),)  # relative to the config file
    assert site.words("ka").gettext("From other sources") == "სხვა წყაროებიდან"
    config.write_text('[site]\ntimezone = "Mars/Olympus"\n')
    with pytest.raises(ConfigError, match="timezone"):
        load_settings(config, env={})


@pytest.mark.slow
def test_the_wheel_ships_the_catalogs(tmp_path: Path) -> None:
    """A clean ``pip install`` has the catalogs: they are package data in the wheel."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("feeds-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for lang in SHIPPED:
        assert f"feeds/locale/{lang}/LC_MESSAGES/feeds.po" in names
    assert "feeds/locale/feeds.pot" in names
