"""Read article documents from files: ``.json`` (one article) or ``.ndjson`` (one per line).

Reading and writing are separate so that ``feeds import`` can report every bad file with
its path and reason, then write the good ones (each file in its own transaction, or all in
one with ``--atomic``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from feeds.model import (
    Article,
    DocumentError,
    InvalidArticleError,
    article_from_dict,
    load_document,
)


@dataclass(frozen=True)
class ParsedFile:
    """The articles of one file, or why it cannot be imported (nothing of it is then)."""

    path: Path
    articles: tuple[Article, ...] = ()
    error: str | None = None


def expand_paths(paths: Iterable[Path]) -> Iterator[Path]:
    """Files as given; folders as their ``*.json`` and ``*.ndjson`` files, sorted."""
    for path in paths:
        if path.is_dir():
            yield from sorted(
                p for p in path.rglob("*") if p.suffix in (".json", ".ndjson") and p.is_file()
            )
        else:
            yield path


def read_file(path: Path) -> ParsedFile:
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ParsedFile(path, error="no such file")
    except UnicodeDecodeError as exc:
        return ParsedFile(path, error=f"not UTF-8 text (byte {exc.start})")
    except OSError as exc:
        return ParsedFile(path, error=exc.strerror or str(exc))
    if path.suffix == ".ndjson":
        lines = [(n, line) for n, line in enumerate(raw.splitlines(), 1) if line.strip()]
    else:
        lines = [(0, raw)]
    found: list[Article] = []
    for number, text in lines:
        where = f"line {number}: " if number else ""
        try:
            document = load_document(text)
        except DocumentError as exc:
            return ParsedFile(path, error=f"{where}{exc}")
        try:
            found.append(article_from_dict(document))
        except InvalidArticleError as exc:
            return ParsedFile(path, error=f"{where}{exc}")
    counts = Counter(a.id for a in found)
    duplicated = sorted(i for i, n in counts.items() if n > 1)
    if duplicated:
        return ParsedFile(path, error=f"the same id appears twice: {', '.join(duplicated)}")
    return ParsedFile(path, tuple(found))
