"""The article model: one story, its translations, bylines, lead image and origin.

Everything here is plain data (frozen dataclasses, aware UTC datetimes) plus the
validation that keeps an invalid feed from ever being rendered. The JSON shape read by
``feeds import`` and the ingest API is the one ``article_from_dict`` accepts and
``article_to_dict`` writes; the store keeps the same document.

Stdlib only: every other room imports this one.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "UNDETERMINED",
    "Article",
    "Author",
    "FieldError",
    "Image",
    "InvalidArticleError",
    "SourceRef",
    "Status",
    "Translation",
    "article_from_dict",
    "article_to_dict",
    "check_language_tag",
    "ensure_utc",
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
_URL_FORBIDDEN = re.compile("[\\s\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SLUG_STRIP = re.compile(r"[^\w\s-]", re.UNICODE)
_SLUG_DASHES = re.compile(r"[-\s_]+")


@dataclass(frozen=True)
class FieldError:
    """One thing wrong with one field, e.g. ``translations.hy.title: must not be empty``."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class InvalidArticleError(ValueError):
    """An article that would make an invalid feed. Names the article and every bad field."""

    def __init__(self, article_id: str, errors: Iterable[FieldError]) -> None:
        self.article_id = article_id
        self.errors = tuple(errors)
        listed = "; ".join(str(e) for e in self.errors)
        super().__init__(f"article {article_id or '(no id)'} is invalid: {listed}")


def ensure_utc(value: datetime) -> datetime:
    """Return ``value`` in UTC; a naive datetime is an error, never silently local time."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("datetime must be timezone-aware")
    return value.astimezone(UTC)


def check_language_tag(tag: str) -> str | None:
    """Return why ``tag`` is not a usable BCP 47 language tag, or None when it is."""
    match = _LANGUAGE_TAG.match(tag)
    if match is None:
        return f"{tag!r} is not a BCP 47 language tag such as 'en', 'hy' or 'ru'"
    if match["language"] not in _ISO_639_1:
        return f"{tag!r} has an unknown language subtag {match['language']!r}"
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
    """The story in one language. ``body_html`` is the full text, already safe HTML."""

    lang: str
    title: str
    url: str
    summary: str = ""
    body_html: str = ""


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

    def is_visible(self, now: datetime) -> bool:
        """Published (or scheduled) and its time has come. Drafts and retractions never are."""
        return self.status in (Status.PUBLISHED, Status.SCHEDULED) and self.published <= now

    @property
    def section_slug(self) -> str | None:
        return slugify(self.section) if self.section else None

    @property
    def tag_slugs(self) -> tuple[str, ...]:
        return tuple(slugify(t) for t in self.tags)


def _validate(article: Article) -> list[FieldError]:
    errors: list[FieldError] = []

    def need_text(name: str, value: str | None, *, required: bool = True) -> None:
        if value is None or not value.strip():
            if required:
                errors.append(FieldError(name, "must not be empty"))
            return
        bad = _XML_ILLEGAL.search(value)
        if bad:
            code = f"U+{ord(bad.group()):04X}"
            errors.append(FieldError(name, f"contains {code}, a character XML does not allow"))

    def need_url(name: str, value: str | None) -> None:
        if value is None:
            return
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            errors.append(FieldError(name, f"{value!r} is not an absolute http(s) URL"))
        elif _URL_FORBIDDEN.search(value):
            errors.append(FieldError(name, f"{value!r} contains spaces or control characters"))

    def need_aware(name: str, value: datetime) -> None:
        if value.tzinfo is None or value.utcoffset() is None:
            errors.append(FieldError(name, "must be timezone-aware (e.g. end in Z or +04:00)"))

    need_text("id", article.id)
    if article.id and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._:~-]{0,199}", article.id):
        errors.append(FieldError("id", "use 1-200 letters, digits, '.', '_', ':', '~' or '-'"))
    if not isinstance(article.status, Status):
        errors.append(FieldError("status", f"must be one of {', '.join(Status)}"))
    need_aware("published", article.published)
    need_aware("updated", article.updated)
    if not article.translations:
        errors.append(FieldError("translations", "an article needs at least one language"))
    seen: set[str] = set()
    for t in article.translations:
        where = f"translations.{t.lang}"
        if t.lang in seen:
            errors.append(FieldError(where, "the same language appears twice"))
        seen.add(t.lang)
        problem = check_language_tag(t.lang)
        if problem and not (t.lang == UNDETERMINED and article.source is not None):
            errors.append(FieldError(f"{where}.lang", problem))
        need_text(f"{where}.title", t.title)
        need_url(f"{where}.url", t.url)
        need_text(f"{where}.summary", t.summary, required=False)
        need_text(f"{where}.body_html", t.body_html, required=False)
    if article.section is not None:
        need_text("section", article.section)
    for i, tag in enumerate(article.tags):
        need_text(f"tags[{i}]", tag)
        if tag.strip() and not slugify(tag):
            errors.append(FieldError(f"tags[{i}]", f"{tag!r} has no letters or digits"))
    for i, author in enumerate(article.authors):
        need_text(f"authors[{i}].name", author.name)
        need_url(f"authors[{i}].url", author.url)
        if author.email is not None and not re.fullmatch(r"[^@\s]+@[^@\s]+", author.email):
            errors.append(FieldError(f"authors[{i}].email", f"{author.email!r} is not an email"))
    if article.image is not None:
        image = article.image
        need_url("image.url", image.url)
        if image.width <= 0 or image.height <= 0:
            errors.append(FieldError("image", "width and height must be positive pixels"))
        if not re.fullmatch(r"image/[a-z0-9.+-]+", image.mime_type or ""):
            errors.append(FieldError("image.mime_type", "must be an image/* MIME type"))
        need_text("image.caption", image.caption, required=False)
        need_text("image.credit", image.credit, required=False)
    if article.source is not None:
        need_text("source.title", article.source.title)
        need_url("source.feed_url", article.source.feed_url)
        need_url("source.link", article.source.link)
    return errors


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
            t.lang: {
                "title": t.title,
                "url": t.url,
                "summary": t.summary,
                "body_html": t.body_html,
            }
            for t in article.translations
        },
    }
    if article.image is not None:
        doc["image"] = _drop_none(vars(article.image))
    if article.source is not None:
        doc["source"] = _drop_none(vars(article.source))
    return doc


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
    """Collects every field error of one document instead of stopping at the first."""

    def __init__(self, data: Any, article_id: str | None) -> None:
        self.errors: list[FieldError] = []
        self.data: Mapping[str, Any] = data if isinstance(data, Mapping) else {}
        if not isinstance(data, Mapping):
            self.errors.append(FieldError("(document)", "must be a JSON object"))
        given = self.data.get("id")
        if article_id is not None and given is not None and given != article_id:
            self.errors.append(
                FieldError("id", f"{given!r} does not match the URL's {article_id!r}")
            )
        self.article_id = str(article_id if article_id is not None else given or "")

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
            value = datetime.fromisoformat(raw)
        except ValueError:
            self.fail(key, f"{raw!r} is not an ISO 8601 date-time")
            return None
        if value.tzinfo is None:
            self.fail(key, f"{raw!r} has no time zone (add Z or an offset such as +04:00)")
            return None
        return value.astimezone(UTC)

    def article(self) -> Article | None:
        d = self.data
        status_raw = d.get("status", Status.PUBLISHED.value)
        try:
            status = Status(status_raw)
        except ValueError:
            self.fail("status", f"{status_raw!r} is not one of {', '.join(Status)}")
            status = Status.DRAFT
        published = self.when("published", required=True)
        updated = self.when("updated", required=False) or published
        section = self.text(d, "section", "section", required=False)
        tags = self.strings("tags")
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

    def strings(self, key: str) -> tuple[str, ...]:
        raw = self.data.get(key) or []
        if not isinstance(raw, list) or not all(isinstance(s, str) for s in raw):
            self.fail(key, "must be a list of strings")
            return ()
        return tuple(raw)

    def authors(self) -> tuple[Author, ...]:
        raw = self.data.get("authors") or []
        if not isinstance(raw, list):
            self.fail("authors", "must be a list of {name, email?, url?}")
            return ()
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
        out = []
        for lang, item in raw.items():
            where = f"translations.{lang}"
            if not isinstance(item, Mapping):
                self.fail(where, "must be an object")
                continue
            title = self.text(item, "title", f"{where}.title", required=True)
            url = self.text(item, "url", f"{where}.url", required=True)
            summary = self.text(item, "summary", f"{where}.summary", required=False) or ""
            body = self.text(item, "body_html", f"{where}.body_html", required=False) or ""
            if title is not None and url is not None:
                out.append(
                    Translation(
                        lang=str(lang), title=title, url=url, summary=summary, body_html=body
                    )
                )
        return tuple(out)

    def image(self) -> Image | None:
        raw = self.data.get("image")
        if raw is None:
            return None
        if not isinstance(raw, Mapping):
            self.fail("image", "must be an object with url, width, height, mime_type")
            return None
        url = self.text(raw, "url", "image.url", required=True)
        mime = self.text(raw, "mime_type", "image.mime_type", required=True)
        sizes = []
        for key in ("width", "height"):
            value = raw.get(key)
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                self.fail(f"image.{key}", "must be a positive whole number of pixels")
                value = 1
            sizes.append(value)
        caption = self.text(raw, "caption", "image.caption", required=False)
        credit = self.text(raw, "credit", "image.credit", required=False)
        if url is None or mime is None:
            return None
        return Image(
            url=url, width=sizes[0], height=sizes[1], mime_type=mime, caption=caption, credit=credit
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
        source_id = raw.get("source_id")
        if title is None or feed_url is None or link is None or lang is None:
            return None
        return SourceRef(
            title=title,
            feed_url=feed_url,
            link=link,
            lang=lang,
            source_id=source_id if isinstance(source_id, int) else None,
        )


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _drop_none(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}
