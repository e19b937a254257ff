"""What "no English interface text" means on a page, decided from the catalogs.

The English msgids of ``src/feeds/locale`` are the interface's own words. On a page in a
language that translates them, none may be left: a text node, or a label (``alt``,
``title``, ``aria-label``, ``placeholder``, an input's ``value`` of a button) that *is* a
msgid, or any run of two or more words of one (the parts between its placeholders and
tags) that appears in the page's text. Passages marked with another ``lang`` are
not this page's interface and are left out. Newsroom content (titles, sources' names) is left
alone by looking at whole text nodes for one-word msgids only: "Feed" may be a word of a
source called "Armenian Feed", but never the whole of a button.
"""

from __future__ import annotations

import re
from functools import cache

from babel.messages.pofile import read_po
from lxml import html

from feeds import i18n

_PARTS = re.compile(r"%\(\w+\)s|<[^>]+>")
_LABELS = ("alt", "title", "aria-label", "placeholder")


@cache
def msgids(lang: str) -> tuple[str, ...]:
    """The English msgids ``lang``'s catalog translates into something else."""
    with i18n.catalog_path(i18n.LOCALE_DIR, lang).open("rb") as po:
        return tuple(
            m.id
            for m in read_po(po, locale=lang)
            if isinstance(m.id, str) and m.id and m.string and m.string != m.id
        )


def _fragments(msgid: str) -> list[str]:
    return [
        " ".join(part.split())
        for part in _PARTS.split(msgid)
        if len(part.split()) >= 2 and re.search("[A-Za-z]{3}", part)
    ]


def english_left(page: str | bytes, lang: str) -> list[str]:
    """The English interface text found on ``page`` (HTML) rendered in ``lang``."""
    doc = html.fromstring(page)
    for bad in doc.xpath("//script|//style"):
        bad.drop_tree()
    # A passage marked as another language (the home page's English section) is not this
    # page's interface.
    for other in doc.xpath(f"//body//*[@lang and @lang!='{lang}']"):
        if other.getparent() is not None:
            other.drop_tree()
    nodes = {" ".join(t.split()) for t in doc.xpath("//text()")}
    nodes |= {" ".join(v.split()) for name in _LABELS for v in doc.xpath(f"//@{name}")}
    nodes |= {" ".join(v.split()) for v in doc.xpath("//input[@type='submit']/@value")}
    text = " ".join(doc.text_content().split())
    found = []
    for msgid in msgids(lang):
        whole = " ".join(msgid.split())
        if whole in nodes or whole.rstrip(":.") in nodes:
            found.append(msgid)
            continue
        if any(fragment in text for fragment in _fragments(msgid)):
            found.append(msgid)
    return found
