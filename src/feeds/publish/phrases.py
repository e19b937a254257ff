"""The words publish adds around the newsroom's own text, as it is given them.

The newsroom writes its stories, titles and descriptions itself (``[site.titles]``,
``[site.descriptions]``); what the software says around them ("From other sources", a
byline's "and") is English in the code, marked for translation, and translated by a
``Words`` the caller passes in (``feeds.i18n`` reads the gettext catalogs; publish reads
no file). ``ENGLISH`` is the untranslated text, for renders that were given no words.
"""

from __future__ import annotations

from typing import Protocol

from feeds.feedkeys import Format

__all__ = ["ENGLISH", "FORMAT_NAMES", "Words", "format_name"]

FORMAT_NAMES = {Format.RSS: "RSS", Format.ATOM: "Atom", Format.JSON: "JSON Feed"}


class Words(Protocol):
    """One language's interface text (``feeds.i18n.Words``)."""

    def gettext(self, message: str) -> str:
        """``message`` translated; English when the language's catalog lacks it."""
        ...

    def translated(self, message: str) -> str | None:
        """``message`` translated, or None when the catalog lacks it (where English
        would be wrong)."""
        ...

    def language(self, code: str) -> str:
        """Language ``code`` named in itself."""
        ...


class _English:
    def gettext(self, message: str) -> str:
        return message

    def translated(self, message: str) -> str | None:
        return message

    def language(self, code: str) -> str:
        return code


ENGLISH: Words = _English()


def format_name(fmt: Format) -> str:
    return FORMAT_NAMES[fmt]
