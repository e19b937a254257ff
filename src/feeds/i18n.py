"""The interface's words in the site's languages: gettext catalogs, read with Babel.

Every word the software says around the newsroom's own text (feed titles such as "From
other sources", the pages, error pages, the console) is an English ``msgid`` in the code
or a template, translated in ``locale/<lang>/LC_MESSAGES/feeds.po``. en, hy and ru ship
with the package; ``[site] locale_dirs`` names more directories of the same layout, which
are searched first, so a new language (Georgian, ``ka``) is a line in ``[site] languages``
and a catalog, no code. The ``.po`` files are read as they are (Babel parses them and
compiles them in memory once per process), so nothing is compiled at install time.

A language without a catalog gets English (``Words.gettext``) except where English would
be wrong (``Words.translated``: a byline's "and"). Language names come from Babel's locale
data (CLDR), each language named in itself. ``docs/localization.md`` says how to extract
and update the catalogs.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime
from functools import cache, lru_cache
from gettext import NullTranslations
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

__all__ = [
    "DOMAIN",
    "LOCALE_DIR",
    "Words",
    "catalog_path",
    "language_name",
    "local_time",
    "words",
]

DOMAIN = "feeds"
LOCALE_DIR = Path(__file__).parent / "locale"
SOURCE_LANGUAGE = "en"


class Words:
    """One language's interface text: gettext for the code and the templates
    (``gettext``, ``ngettext``, ``pgettext``), and ``translated`` for the places where an
    English fallback would be wrong. Satisfies ``feeds.publish.phrases.Words``."""

    def __init__(self, lang: str, translations: NullTranslations, known: frozenset[str]) -> None:
        self.lang = lang
        self._translations = translations
        self._known = known

    def gettext(self, message: str) -> str:
        return self._translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._translations.ngettext(singular, plural, n)

    def pgettext(self, context: str, message: str) -> str:
        return self._translations.pgettext(context, message)

    def npgettext(self, context: str, singular: str, plural: str, n: int) -> str:
        return self._translations.npgettext(context, singular, plural, n)

    def translated(self, message: str) -> str | None:
        """``message`` in this language, or None when its catalog does not have it."""
        if self.lang == SOURCE_LANGUAGE:
            return message
        if message not in self._known:
            return None
        return self._translations.gettext(message)

    @property
    def translations(self) -> NullTranslations:
        """For ``jinja2.Environment.install_gettext_translations``."""
        return self._translations

    def language(self, code: str) -> str:
        """Language ``code`` named in itself ("Հայերեն"), whatever this language is."""
        return language_name(code)


def catalog_path(directory: Path, lang: str) -> Path:
    return directory / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def _primary(lang: str) -> str:
    return lang.replace("_", "-").split("-")[0].lower()


def _find(lang: str, dirs: Sequence[str]) -> Path | None:
    for directory in (*map(Path, dirs), LOCALE_DIR):
        for name in dict.fromkeys((lang, lang.replace("-", "_"), _primary(lang))):
            path = catalog_path(directory, name)
            if path.is_file():
                return path
    return None


@lru_cache(maxsize=64)
def words(lang: str, dirs: tuple[str, ...] = ()) -> Words:
    """The interface text of ``lang``, from the first catalog found in ``dirs`` and then
    the package's own; English when there is none. Read once per process."""
    path = _find(lang, dirs)
    if path is None:
        return Words(lang, NullTranslations(), frozenset())
    with path.open("rb") as po:
        catalog = read_po(po, locale=_babel_locale(lang), domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    translations = Translations(compiled, domain=DOMAIN)
    known = frozenset(
        message.id
        for message in catalog
        if isinstance(message.id, str) and message.id and message.string and not message.fuzzy
    )
    return Words(lang, translations, known)


def _babel_locale(lang: str) -> str:
    try:
        return str(Locale.parse(lang.replace("-", "_")))
    except (UnknownLocaleError, ValueError):
        return SOURCE_LANGUAGE


@cache
def _locale(lang: str) -> Locale:
    return Locale.parse(_babel_locale(lang))


@cache
def language_name(code: str, *, in_text: bool = False) -> str:
    """``code`` named in itself, capitalised as a menu item: "Հայերեն", "Русский",
    "ქართული"; as CLDR writes it inside a sentence with ``in_text`` ("русский"); the
    code itself for a language CLDR does not know."""
    try:
        name = Locale.parse(code.replace("-", "_")).get_display_name(code.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return code
    if not name:
        return code
    if in_text:
        return str(name)
    if "\u10a0" <= name[0] <= "\u10ff":  # Georgian has no capitals in running text
        return name
    return name[:1].upper() + name[1:]


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_time(value: datetime, lang: str, timezone: str) -> str:
    """``value`` (aware) in ``timezone`` as readers of ``lang`` write a date and a time:
    "Dec 3, 2026, 10:15 AM", "3 дек. 2026 г., 10:15", "2026 թ. դեկ 3, 10:15"."""
    locale = _locale(lang)
    zone = _zone(timezone)
    pattern = str(locale.datetime_formats["medium"]).replace("'", "")
    time = format_time(value, "short", tzinfo=zone, locale=locale)
    return pattern.format(time, format_date(value.astimezone(zone), "medium", locale=locale))
