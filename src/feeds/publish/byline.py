"""Who an item credits, the way each format's readers can show it.

RSS items get **one** ``dc:creator`` holding every name, joined as a newsroom byline
reads in the feed's language: "Anna Hakobyan and Boris Petrov", "Anna, Boris and Ani"
(hy "և", ru "и"). Readers keep only one creator per item (newsboat and lemon24/reader
the last ``dc:creator``, rss2email the first), so a second element loses an author.
A conjunction rather than a bare comma: Dublin Core creators are often written
"Surname, Given", so "Hakobyan, Anna" would read as one person. Languages we have no
conjunction for get commas only.

Atom gets the same byline as its one ``author``, and each person (name and page) as a
``contributor``: feedparser, which lemon24/reader and rss2email build on, shows only the
last ``author`` of an entry (and hands one author's ``uri`` to the next), so one author
per person lost names there; newsboat joins several authors, and shows the byline
alike. JSON Feed lists every author: its readers handle several.

An aggregated story without a byline credits the outlet it came from (its feed's
title), never our newsroom: RSS and JSON Feed have no way to say "inherit from the
source", and readers fall back to the feed's own author.
"""

from __future__ import annotations

from collections.abc import Sequence

from feeds.model import Article, Author
from feeds.publish.phrases import Words

__all__ = ["credited", "join_names"]


def credited(article: Article) -> tuple[Author, ...]:
    """The article's authors; for an aggregated story without any, its outlet."""
    if article.authors:
        return article.authors
    source = article.source
    if source is not None:
        return (Author(source.title, url=source.link),)
    return ()


def join_names(names: Sequence[str], words: Words) -> str:
    """``["A", "B", "C"]`` -> ``"A, B and C"`` in English (no serial comma); commas only
    in a language whose catalog has no word for it."""
    if len(names) <= 1:
        return "".join(names)
    # TRANSLATORS: the word before the last name of a byline: "Anna, Boris and Ani".
    word = words.translated("and")
    if word is None:
        return ", ".join(names)
    return f"{', '.join(names[:-1])} {word} {names[-1]}"
