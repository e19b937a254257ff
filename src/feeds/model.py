"""The article model: one story, its translations, bylines, lead image and origin.

Everything here is plain data (frozen dataclasses, aware UTC datetimes) plus the
validation that keeps an invalid feed from ever being rendered. The JSON shape read by
``feeds import`` and the ingest API is the one ``article_from_dict`` accepts and
``article_to_dict`` writes; the store keeps the same document.

Stdlib only: every other room imports this one.
"""

from __future__ import annotations

import enum
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from feeds.errors import FeedsError

__all__ = [
    "UNDETERMINED",
    "VISIBLE_STATUSES",
    "Article",
    "Author",
    "DocumentError",
    "FieldError",
    "Image",
    "InvalidArticleError",
    "SourceRef",
    "Status",
    "Translation",
    "article_from_dict",
    "article_to_dict",
    "check_language_tag",
    "is_site_path",
    "is_visible",
    "load_document",
    "own_page_path",
    "slugify",
]


class Status(enum.StrEnum):
    """Where a story is in its life. Only published and due scheduled stories are visible."""

    DRAFT = "draft"
    PUBLISHED = "published"
    SCHEDULED = "scheduled"
    RETRACTED = "retracted"


# ISO 639-1 codes: the primary subtag of a language tag must be one of them, so a typo
# such as "am" for Armenian (that is Amharic; Armenian is "hy") is at least a real
# language, and garbage such as "english" or "xx" is refused (BCP 47 / RFC 5646 §2.2.1).
_ISO_639_1 = frozenset(
    """aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs
    cu cv cy da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he
    hi ho hr ht hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr
    ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng
    nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk
    sl sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz
    ve vi vo wa wo xh yi yo za zh zu""".split()
)
# ISO 639-2 "und" (undetermined; a valid BCP 47 tag): the language of an aggregated story
# the aggregator could not determine. Only such stories may carry it; no site can configure
# it (check_language_tag refuses it), so no public feed or page ever serves it.
UNDETERMINED = "und"
# language[-script][-region][-variant...]; private-use and extensions are not feed material.
_LANGUAGE_TAG = re.compile(
    r"^(?P<language>[a-z]{2})(?:-(?P<script>[A-Z][a-z]{3}))?(?:-(?P<region>[A-Z]{2}|\d{3}))?"
    r"(?:-(?:[a-z0-9]{5,8}|\d[a-z0-9]{3}))*$"
)
# XML 1.0 §2.2 Char: tab, newline and carriage return are the only C0 controls allowed;
# surrogates and U+FFFE/U+FFFF are never characters.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# What a URL must not contain: what XML forbids, and any space (\s is str.isspace).
_URL_FORBIDDEN = re.compile("[\\s\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# A one-line value (a name, a tag, an e-mail, a language tag, a MIME type) holds no control
# character at all (C0, DEL, C1: Unicode category Cc), no surrogate and no noncharacter.
_LINE_FORBIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_SLUG_STRIP = re.compile(r"[^\w\s-]", re.UNICODE)
_SLUG_DASHES = re.compile(r"[-\s_]+")
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:~-]{0,199}")

# --- limits -------------------------------------------------------------------------------
# Every door (``feeds import``, the ingest API, the aggregator) passes these, so the store
# never sees a value its columns cannot hold (PostgreSQL refuses an over-long VARCHAR or an
# out-of-range INTEGER with an error, SQLite silently keeps it). docs/articles.md lists them.

MAX_ID_CHARS = 200  # articles.id VARCHAR(200)
MAX_NAME_CHARS = 200  # section, tag and author names: their slugs are VARCHAR(200)
MAX_LANG_CHARS = 35  # article_languages.lang VARCHAR(35) (RFC 5646 §4.4.1 suggests 35)
MAX_URL_CHARS = 2048  # sources.url VARCHAR(2048); what browsers and proxies reliably pass
MAX_SITE_PATH_CHARS = 1024  # a site path ("/static/x.jpg"), leaving room for the base URL
MAX_EMAIL_CHARS = 254  # RFC 5321 §4.5.3.1.3: a path is at most 256 octets with its <>
MAX_MIME_CHARS = 127  # RFC 6838 §4.2: type and subtype names are at most 127 characters
MAX_TAGS = 50
MAX_AUTHORS = 50
MAX_TRANSLATIONS = 50
MAX_PIXELS = 100_000  # image width and height
MAX_SOURCE_ID = 2**31 - 1  # articles.source_id and sources.id are INTEGER (signed 32-bit)
MAX_DEPTH = 20  # JSON nesting: an article document needs 3 levels
# Dates outside these (UTC) are refused: far enough from datetime.min and datetime.max that
# no offset, archive month or feed arithmetic can overflow.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class FieldError:
    """One thing wrong with one field, e.g. ``translations.hy.title: must not be empty``."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class InvalidArticleError(FeedsError, ValueError):
    """An article that would make an invalid feed. Names the article and every bad field."""

    def __init__(self, article_id: str, errors: Iterable[FieldError]) -> None:
        self.article_id = article_id
        self.errors = tuple(errors)
        listed = "; ".join(str(e) for e in self.errors)
        shown = article_id if _ID.fullmatch(article_id) else _shown(article_id)
        super().__init__(f"article {shown if article_id else '(no id)'} is invalid: {listed}")


def check_language_tag(tag: str) -> str | None:
    """Return why ``tag`` is not a usable BCP 47 language tag, or None when it is."""
    match = _LANGUAGE_TAG.match(tag)
    if match is None:
        return f"{_shown(tag)} is not a BCP 47 language tag such as 'en', 'hy' or 'ru'"
    if match["language"] not in _ISO_639_1:
        return f"{_shown(tag)} has an unknown language subtag {match['language']!r}"
    return None


def slugify(text: str) -> str:
    """A URL path segment for a section, tag or author name; keeps non-Latin letters.

    ``"Foreign Affairs"`` -> ``"foreign-affairs"``; ``"Ереван"`` -> ``"ереван"``.
    """
    normal = unicodedata.normalize("NFC", text).strip().lower()
    return _SLUG_DASHES.sub("-", _SLUG_STRIP.sub("", normal)).strip("-")


@dataclass(frozen=True)
class Author:
    name: str
    email: str | None = None
    url: str | None = None

    @property
    def slug(self) -> str:
        return slugify(self.name)


@dataclass(frozen=True)
class Image:
    """The lead image. Width and height are pixels; partners filter on them."""

    url: str
    width: int
    height: int
    mime_type: str
    caption: str | None = None
    credit: str | None = None


@dataclass(frozen=True)
class Translation:
    """The story in one language. ``body_html`` is the full text, already safe HTML;
    ``image_caption`` the lead image's caption in this language (else the image's own)."""

    lang: str
    title: str
    url: str
    summary: str = ""
    body_html: str = ""
    image_caption: str | None = None


@dataclass(frozen=True)
class SourceRef:
    """Where an aggregated story came from; None on the newsroom's own stories."""

    title: str
    feed_url: str
    link: str
    lang: str
    source_id: int | None = None


@dataclass(frozen=True)
class Article:
    """One story. ``id`` never changes across edits and translations.

    ``published`` is when the story goes public: for a scheduled story it is the embargo
    time, and the story stays invisible until then.
    """

    id: str
    status: Status
    published: datetime
    updated: datetime
    translations: tuple[Translation, ...]
    section: str | None = None
    tags: tuple[str, ...] = ()
    authors: tuple[Author, ...] = ()
    image: Image | None = None
    source: SourceRef | None = None
    _by_lang: Mapping[str, Translation] = field(
        init=False, repr=False, compare=False, hash=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        ordered = tuple(sorted(self.translations, key=lambda t: t.lang))
        object.__setattr__(self, "translations", ordered)
        object.__setattr__(self, "tags", tuple(self.tags))
        object.__setattr__(self, "authors", tuple(self.authors))
        object.__setattr__(self, "_by_lang", {t.lang: t for t in ordered})
        errors = _validate(self)
        if errors:
            raise InvalidArticleError(self.id, errors)

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(t.lang for t in self.translations)

    def translation(self, lang: str) -> Translation | None:
        return self._by_lang.get(lang)

    @property
    def section_slug(self) -> str | None:
        return slugify(self.section) if self.section else None

    @property
    def tag_slugs(self) -> tuple[str, ...]:
        return tuple(slugify(t) for t in self.tags)

    def on_site(self, base_url: str) -> Article:
        """This story as the site at ``base_url`` serves it: site-relative URLs made absolute.

        The stored document keeps ``/en/articles/x`` and ``/static/images/x.jpg`` (and
        ``href="/…"`` in the body) as written, so moving the site to another ``base_url``
        needs no re-import; every reader of the store for the web applies this.
        """
        root = base_url.rstrip("/")
        translations = tuple(
            replace(t, url=_on_site(root, t.url), body_html=_links_on_site(root, t.body_html))
            for t in self.translations
        )
        image = self.image
        if image is not None and is_site_path(image.url):
            image = replace(image, url=root + image.url)
        if translations == self.translations and image is self.image:
            return self
        return replace(self, translations=translations, image=image)


# The statuses a story may be public in, once its ``published`` time has come.
VISIBLE_STATUSES = frozenset({Status.PUBLISHED, Status.SCHEDULED})


def is_visible(article: Article, now: datetime) -> bool:
    """Whether the public may see ``article`` at ``now``: the visibility rule, in Python.

    Published (or scheduled) and its time has come: a scheduled story's ``published`` is
    its embargo. Drafts and retractions never are. ``now`` must be aware (UTC).
    ``feeds.store.visibility.visible_at`` is the same rule in SQL; change both together.
    """
    if now.tzinfo is None:
        raise ValueError("is_visible needs an aware datetime for now")
    return article.status in VISIBLE_STATUSES and article.published <= now


def is_site_path(url: str) -> bool:
    """``/en/articles/x``: a path on the site itself (not ``//host/…``, which names a host)."""
    return url.startswith("/") and not url.startswith("//")


def own_page_path(lang: str, article_id: str) -> str:
    """Where the site serves a story in one language (``feeds.web.articles``)."""
    return f"/{lang}/articles/{article_id}"


def _on_site(root: str, url: str) -> str:
    return root + url if is_site_path(url) else url


# href="/…" and src="/…" in a body: links to the site's own pages and images.
_SITE_LINK = re.compile(r"""(\s(?:href|src)\s*=\s*["'])/(?!/)""", re.IGNORECASE)


def _links_on_site(root: str, body_html: str) -> str:
    if "/" not in body_html:
        return body_html
    return _SITE_LINK.sub(lambda m: m.group(1) + root + "/", body_html)


def _validate(article: Article) -> list[FieldError]:
    errors: list[FieldError] = []

    def fail(name: str, message: str) -> None:
        errors.append(FieldError(name, message))

    def need_text(name: str, value: str | None, *, required: bool = True) -> None:
        """Free text (titles, summaries, bodies, captions): what XML 1.0 allows."""
        if value is None or not value.strip():
            if required:
                fail(name, "must not be empty")
            return
        bad = _XML_ILLEGAL.search(value)
        if bad:
            fail(name, f"contains {_codepoint(bad.group())}, a character XML does not allow")

    def need_line(name: str, value: str | None, limit: int, *, required: bool = True) -> bool:
        """A one-line value: no control characters at all, at most ``limit`` characters."""
        if value is None or not value.strip():
            if required:
                fail(name, "must not be empty")
            return False
        bad = _LINE_FORBIDDEN.search(value)
        if bad:
            fail(name, f"contains {_codepoint(bad.group())}, a control or non-character")
            return False
        if len(value) > limit:
            fail(name, f"is {len(value)} characters long, at most {limit} are allowed")
            return False
        return True

    def need_name(name: str, value: str) -> None:
        """A section, tag or author name: a line whose slug names a URL and a column."""
        if need_line(name, value, MAX_NAME_CHARS) and len(slugify(value)) > MAX_NAME_CHARS:
            fail(name, f"its slug is longer than {MAX_NAME_CHARS} characters")

    def need_url(name: str, value: str | None, *, site_path: bool = False) -> None:
        """An absolute http(s) URL; with ``site_path``, a path on the site (``/x``) too."""
        if value is None:
            return
        on_site = site_path and is_site_path(value)
        # A site path leaves room for the base URL in front of it, within the same limit.
        limit = MAX_SITE_PATH_CHARS if on_site else MAX_URL_CHARS
        if len(value) > limit:
            fail(name, f"is {len(value)} characters long, at most {limit} are allowed")
            return
        if _URL_FORBIDDEN.search(value):
            fail(name, f"{_shown(value)} contains spaces or control characters")
            return
        if on_site:
            return
        try:
            parts = urlsplit(value)
            absolute = parts.scheme in ("http", "https") and bool(parts.netloc)
            if absolute:
                _ = parts.port  # raises ValueError for a port that is not a number
        except ValueError:  # a bad port, a malformed IPv6 host
            absolute = False
        if not absolute:
            wanted = "an absolute http(s) URL" + (
                " or a path starting with '/'" if site_path else ""
            )
            fail(name, f"{_shown(value)} is not {wanted}")

    def need_time(name: str, value: datetime) -> None:
        if value.tzinfo is None or value.utcoffset() is None:
            fail(name, "must be timezone-aware (e.g. end in Z or +04:00)")
        elif not EARLIEST <= value < LATEST:
            fail(name, f"must be from {EARLIEST.year} to {LATEST.year - 1}")

    def need_count(name: str, items: tuple[Any, ...], limit: int) -> None:
        if len(items) > limit:
            fail(name, f"has {len(items)} items, at most {limit} are allowed")

    need_text("id", article.id)
    if article.id and not _ID.fullmatch(article.id):
        fail("id", f"use 1-{MAX_ID_CHARS} letters, digits, '.', '_', ':', '~' or '-'")
    if not isinstance(article.status, Status):
        fail("status", f"must be one of {', '.join(Status)}")
    need_time("published", article.published)
    need_time("updated", article.updated)
    if not article.translations:
        fail("translations", "an article needs at least one language")
    need_count("translations", article.translations, MAX_TRANSLATIONS)
    own = article.source is None  # the newsroom's own story: its URLs may be site paths
    seen: set[str] = set()
    for t in article.translations[:MAX_TRANSLATIONS]:
        where = f"translations.{_key(t.lang)}"
        if t.lang in seen:
            fail(where, "the same language appears twice")
        seen.add(t.lang)
        if need_line(f"{where}.lang", t.lang, MAX_LANG_CHARS):
            problem = check_language_tag(t.lang)
            if problem and not (t.lang == UNDETERMINED and article.source is not None):
                fail(f"{where}.lang", problem)
        need_text(f"{where}.title", t.title)
        need_url(f"{where}.url", t.url, site_path=own)
        need_text(f"{where}.summary", t.summary, required=False)
        need_text(f"{where}.body_html", t.body_html, required=False)
        need_text(f"{where}.image_caption", t.image_caption, required=False)
    if article.section is not None:
        need_name("section", article.section)
    need_count("tags", article.tags, MAX_TAGS)
    for i, tag in enumerate(article.tags[:MAX_TAGS]):
        need_name(f"tags[{i}]", tag)
        if tag.strip() and not slugify(tag):
            fail(f"tags[{i}]", f"{_shown(tag)} has no letters or digits")
    need_count("authors", article.authors, MAX_AUTHORS)
    for i, author in enumerate(article.authors[:MAX_AUTHORS]):
        need_name(f"authors[{i}].name", author.name)
        need_url(f"authors[{i}].url", author.url)
        email = author.email
        if (
            email is not None
            and need_line(f"authors[{i}].email", email, MAX_EMAIL_CHARS)
            and not re.fullmatch(r"[^@\s]+@[^@\s]+", email)
        ):
            fail(f"authors[{i}].email", f"{_shown(email)} is not an email")
    if article.image is not None:
        image = article.image
        need_url("image.url", image.url, site_path=own)
        for key, pixels in (("width", image.width), ("height", image.height)):
            if not _is_int(pixels) or not 0 < pixels <= MAX_PIXELS:
                fail(f"image.{key}", f"must be a whole number of pixels from 1 to {MAX_PIXELS}")
        if need_line("image.mime_type", image.mime_type, MAX_MIME_CHARS) and not re.fullmatch(
            r"image/[a-z0-9.+-]+", image.mime_type
        ):
            fail("image.mime_type", "must be an image/* MIME type")
        need_text("image.caption", image.caption, required=False)
        need_text("image.credit", image.credit, required=False)
    if article.source is not None:
        source = article.source
        need_text("source.title", source.title)
        need_url("source.feed_url", source.feed_url)
        need_url("source.link", source.link)
        need_line("source.lang", source.lang, MAX_LANG_CHARS)
        if source.source_id is not None and (
            not _is_int(source.source_id) or not 0 < source.source_id <= MAX_SOURCE_ID
        ):
            fail("source.source_id", f"must be a whole number from 1 to {MAX_SOURCE_ID}")
    return errors


def _is_int(value: object) -> bool:
    """A JSON integer: ``True`` is an int to Python, never a pixel count or an id."""
    return isinstance(value, int) and not isinstance(value, bool)


def _codepoint(char: str) -> str:
    return f"U+{ord(char):04X}"


def _shown(value: object, limit: int = 60) -> str:
    """``value`` for an error message: repr (so controls and surrogates are escaped), short."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _key(value: str) -> str:
    """A document key as part of a field name: as is when plain, else escaped and short."""
    if value and value.isprintable() and len(value) <= 40 and "." not in value:
        return value
    return _shown(value, 40)


# --- the JSON document ------------------------------------------------------------------


def article_to_dict(article: Article) -> dict[str, Any]:
    """The article as plain JSON data, the same shape ``article_from_dict`` reads."""
    doc: dict[str, Any] = {
        "id": article.id,
        "status": article.status.value,
        "published": _iso(article.published),
        "updated": _iso(article.updated),
        "section": article.section,
        "tags": list(article.tags),
        "authors": [_drop_none(vars(a)) for a in article.authors],
        "translations": {
            t.lang: _drop_none(
                {
                    "title": t.title,
                    "url": t.url,
                    "summary": t.summary,
                    "body_html": t.body_html,
                    "image_caption": t.image_caption,
                }
            )
            for t in article.translations
        },
    }
    if article.image is not None:
        doc["image"] = _drop_none(vars(article.image))
    if article.source is not None:
        doc["source"] = _drop_none(vars(article.source))
    return doc


class DocumentError(FeedsError, ValueError):
    """Text that is not one JSON document this model can read (bad JSON, nested too deeply)."""


_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_EMPTY_PAIR = re.compile(r"\[\]|\{\}")


def _nesting_exceeds(text: str, limit: int) -> bool:
    """True when arrays and objects in the JSON ``text`` nest more than ``limit`` deep.

    The stdlib parser recurses once per level and raises RecursionError near 1,000; this
    looks only at the brackets outside strings and peels one level per pass (at most
    ``limit`` passes of C-speed regex work), so a 100,000-deep document costs no more
    than a flat one.
    """
    brackets = _NOT_BRACKET.sub("", _JSON_STRING.sub("", text))
    for _ in range(limit):
        if not brackets:
            return False
        inner_removed = _EMPTY_PAIR.sub("", brackets)
        if inner_removed == brackets:
            return False  # unbalanced: the parser says where
        brackets = inner_removed
    return bool(brackets)


def _refuse_constant(name: str) -> Any:
    raise DocumentError(f"{name} is not a JSON number")


def load_document(text: str) -> Any:
    """Parse one JSON document with the model's limits; DocumentError says what is wrong.

    Refuses nesting deeper than ``MAX_DEPTH``, ``NaN`` and ``Infinity`` (not JSON, RFC 8259
    §6), and integers too long for Python to read (over 4,300 digits).
    """
    if _nesting_exceeds(text, MAX_DEPTH):
        raise DocumentError(f"nested too deeply (at most {MAX_DEPTH} levels of arrays and objects)")
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise DocumentError(f"not valid JSON: {exc.msg} at char {exc.pos}") from None
    except RecursionError:  # unreachable after the depth check; kept as a last guard
        raise DocumentError("nested too deeply") from None
    except DocumentError:
        raise
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        raise DocumentError(f"not valid JSON: {exc}") from None


def article_from_dict(data: Any, *, article_id: str | None = None) -> Article:
    """Build an Article from JSON data; raise InvalidArticleError naming every bad field.

    ``article_id`` (from a URL, say) fills in or must agree with ``data["id"]``.
    Missing ``updated`` defaults to ``published``.
    """
    reader = _Reader(data, article_id)
    article = reader.article()
    if reader.errors:
        raise InvalidArticleError(reader.article_id, reader.errors)
    assert article is not None
    return article


class _Reader:
    """Collects every field error of one document instead of stopping at the first.

    It checks types and shapes (and list lengths, before walking a list); ``_validate``
    checks the values, for every door.
    """

    def __init__(self, data: Any, article_id: str | None) -> None:
        self.errors: list[FieldError] = []
        self.data: Mapping[str, Any] = data if isinstance(data, Mapping) else {}
        if not isinstance(data, Mapping):
            self.fail("(document)", "must be a JSON object")
        given = self.data.get("id")
        if given is not None and not isinstance(given, str):
            self.fail("id", "must be a string")
            given = None
        if article_id is not None and given is not None and given != article_id:
            self.fail("id", f"{_shown(given)} does not match the URL's {_shown(article_id)}")
        self.article_id = article_id if article_id is not None else given or ""

    def fail(self, name: str, message: str) -> None:
        self.errors.append(FieldError(name, message))

    def text(self, src: Mapping[str, Any], key: str, where: str, *, required: bool) -> str | None:
        value = src.get(key)
        if value is None:
            if required:
                self.fail(where, "is required")
            return None
        if not isinstance(value, str):
            self.fail(where, "must be a string")
            return None
        return value

    def items(self, key: str, limit: int, shape: str) -> list[Any]:
        """The list at ``key`` (missing: empty), refused whole when longer than ``limit``."""
        raw = self.data.get(key)
        if raw is None:
            return []
        if not isinstance(raw, list):
            self.fail(key, f"must be a list of {shape}")
            return []
        if len(raw) > limit:
            self.fail(key, f"has {len(raw)} items, at most {limit} are allowed")
            return []
        return raw

    def when(self, key: str, *, required: bool) -> datetime | None:
        raw = self.data.get(key)
        if raw is None:
            if required:
                self.fail(key, "is required")
            return None
        if not isinstance(raw, str):
            self.fail(key, "must be an ISO 8601 string such as 2026-11-27T09:30:00Z")
            return None
        try:
            # fromisoformat stops at a NUL ("...Z\x00" parses): only printable ASCII is a date.
            if not (raw.isascii() and raw.isprintable() and len(raw) <= 64):
                raise ValueError(raw)
            value = datetime.fromisoformat(raw)
        except ValueError:
            self.fail(key, f"{_shown(raw)} is not an ISO 8601 date-time")
            return None
        if value.tzinfo is None:
            self.fail(key, f"{_shown(raw)} has no time zone (add Z or an offset such as +04:00)")
            return None
        try:
            utc = value.astimezone(UTC)
        except OverflowError:  # 0001-01-01T00:00+14:00 is before the first day in UTC
            self.fail(key, f"{_shown(raw)} is outside the calendar once converted to UTC")
            return None
        if not EARLIEST <= utc < LATEST:
            self.fail(key, f"{_shown(raw)} must be from {EARLIEST.year} to {LATEST.year - 1}")
            return None
        return utc

    def article(self) -> Article | None:
        d = self.data
        status_raw = d.get("status", Status.PUBLISHED.value)
        try:
            status = Status(status_raw) if isinstance(status_raw, str) else None
        except ValueError:
            status = None
        if status is None:
            self.fail("status", f"{_shown(status_raw)} is not one of {', '.join(Status)}")
            status = Status.DRAFT
        published = self.when("published", required=True)
        updated = self.when("updated", required=False) or published
        section = self.text(d, "section", "section", required=False)
        tags = self.tags()
        authors = self.authors()
        translations = self.translations()
        image = self.image()
        source = self.source()
        # Build the article even when some fields already failed, with a stand-in time,
        # so that one answer lists every problem of the document, not just the first.
        stand_in = datetime(1970, 1, 1, tzinfo=UTC)
        try:
            article = Article(
                id=self.article_id,
                status=status,
                published=published or stand_in,
                updated=updated or stand_in,
                translations=translations,
                section=section,
                tags=tags,
                authors=authors,
                image=image,
                source=source,
            )
        except InvalidArticleError as invalid:
            # Keep the more specific message where the reader already named the field.
            named = {e.field for e in self.errors}
            self.errors.extend(e for e in invalid.errors if e.field not in named)
            return None
        return None if self.errors else article

    def tags(self) -> tuple[str, ...]:
        raw = self.items("tags", MAX_TAGS, "strings")
        out = []
        for i, tag in enumerate(raw):
            if isinstance(tag, str):
                out.append(tag)
            else:
                self.fail(f"tags[{i}]", "must be a string")
        return tuple(out)

    def authors(self) -> tuple[Author, ...]:
        raw = self.items("authors", MAX_AUTHORS, "{name, email?, url?}")
        out = []
        for i, item in enumerate(raw):
            if isinstance(item, str):
                item = {"name": item}
            if not isinstance(item, Mapping):
                self.fail(f"authors[{i}]", "must be an object with a name")
                continue
            name = self.text(item, "name", f"authors[{i}].name", required=True)
            email = self.text(item, "email", f"authors[{i}].email", required=False)
            url = self.text(item, "url", f"authors[{i}].url", required=False)
            if name is not None:
                out.append(Author(name=name, email=email, url=url))
        return tuple(out)

    def translations(self) -> tuple[Translation, ...]:
        raw = self.data.get("translations")
        if not isinstance(raw, Mapping) or not raw:
            self.fail("translations", "must map language tags to {title, url, summary, body_html}")
            return ()
        if len(raw) > MAX_TRANSLATIONS:
            self.fail("translations", f"has {len(raw)} languages, at most {MAX_TRANSLATIONS}")
            return ()
        own = self.data.get("source") is None
        out = []
        for lang, item in raw.items():
            where = f"translations.{_key(lang)}"
            if not isinstance(item, Mapping):
                self.fail(where, "must be an object")
                continue
            title = self.text(item, "title", f"{where}.title", required=True)
            # The newsroom's own story is served by the site: without a url, it is that page.
            url = self.text(item, "url", f"{where}.url", required=not own)
            if url is None and own:
                url = own_page_path(str(lang), self.article_id)
            summary = self.text(item, "summary", f"{where}.summary", required=False) or ""
            body = self.text(item, "body_html", f"{where}.body_html", required=False) or ""
            caption = self.text(item, "image_caption", f"{where}.image_caption", required=False)
            if title is not None and url is not None:
                out.append(
                    Translation(
                        lang=str(lang),
                        title=title,
                        url=url,
                        summary=summary,
                        body_html=body,
                        image_caption=caption,
                    )
                )
        return tuple(out)

    def whole(self, src: Mapping[str, Any], key: str, where: str, limit: int) -> int | None:
        """A positive JSON integer up to ``limit`` (not a float, not a boolean)."""
        value = src.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= limit:
            return value
        self.fail(where, f"must be a whole number from 1 to {limit}")
        return None

    def image(self) -> Image | None:
        raw = self.data.get("image")
        if raw is None:
            return None
        if not isinstance(raw, Mapping):
            self.fail("image", "must be an object with url, width, height, mime_type")
            return None
        url = self.text(raw, "url", "image.url", required=True)
        mime = self.text(raw, "mime_type", "image.mime_type", required=True)
        width = self.whole(raw, "width", "image.width", MAX_PIXELS)
        height = self.whole(raw, "height", "image.height", MAX_PIXELS)
        caption = self.text(raw, "caption", "image.caption", required=False)
        credit = self.text(raw, "credit", "image.credit", required=False)
        if url is None or mime is None:
            return None
        return Image(
            url=url,
            width=width or 1,
            height=height or 1,
            mime_type=mime,
            caption=caption,
            credit=credit,
        )

    def source(self) -> SourceRef | None:
        raw = self.data.get("source")
        if raw is None:
            return None
        if not isinstance(raw, Mapping):
            self.fail("source", "must be an object")
            return None
        title = self.text(raw, "title", "source.title", required=True)
        feed_url = self.text(raw, "feed_url", "source.feed_url", required=True)
        link = self.text(raw, "link", "source.link", required=True)
        lang = self.text(raw, "lang", "source.lang", required=True)
        source_id = None
        if raw.get("source_id") is not None:
            source_id = self.whole(raw, "source_id", "source.source_id", MAX_SOURCE_ID)
        if title is None or feed_url is None or link is None or lang is None:
            return None
        return SourceRef(title=title, feed_url=feed_url, link=link, lang=lang, source_id=source_id)


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _drop_none(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}
