"""The one table of settings: section, key, type, default and meaning of every setting.

Three things are derived from it, so that they cannot drift apart:

- the environment variable of each setting, ``FEEDS_<SECTION>_<KEY>`` (``[site] max_items``
  is ``FEEDS_SITE_MAX_ITEMS``), and how its text becomes a value (``env_overlay``);
- the tables of docs/configuration.md (``feeds config docs``; a test fails when the
  document is out of date);
- and, by test, the parser in ``feeds.config``: every key it reads is in this table and
  every default here is the one it gives.

A variable's value is converted by the setting's kind and then checked by the same parser
as the file, so ``FEEDS_SITE_MAX_ITEMS=0`` is refused like ``max_items = 0``, and the error
names the variable. Arrays of tables (``[[sources]]``, ``[[partners]]``) are records, not
settings: they live in the file or in the database (``feeds sources add``,
``feeds partners add``), not in the environment.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from feeds.errors import FeedsError

__all__ = [
    "SECTIONS",
    "SETTINGS",
    "EnvError",
    "Kind",
    "Setting",
    "check_document",
    "env_overlay",
    "render_section",
    "update_document",
]


class Kind(Enum):
    """What a setting holds, as TOML names it; also how its variable's text is read."""

    STRING = "string"
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    LIST = "array of strings"
    MAP = "table of language = string"


class EnvError(FeedsError, ValueError):
    """A variable's text is not a value of its setting's kind; the message names it."""


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class Setting:
    section: str
    key: str
    kind: Kind
    default: Any
    doc: str
    # The type as the docs say it when the kind alone is too little ("integer ≥ 1", "URL").
    shown: str | None = None
    # The default as the docs say it when it is not a literal ("the first title").
    default_text: str | None = None
    # Where the value lands in ``Settings`` ("site.max_items"); empty: nowhere directly.
    attr: str = ""
    # Older names of the variable, still read (the derived name wins when both are set).
    aliases: tuple[str, ...] = ()

    @property
    def env(self) -> str:
        return f"FEEDS_{self.section}_{self.key}".upper()

    def parse_env(self, name: str, text: str) -> Any:
        """The TOML value that ``text``, the value of variable ``name``, stands for."""
        value = text.strip()
        if self.kind is Kind.STRING:
            return value
        if self.kind is Kind.INTEGER:
            if not re.fullmatch(r"[+-]?\d+", value):
                raise EnvError(f"{name}: must be a whole number, got {text!r}")
            return int(value)
        if self.kind is Kind.NUMBER:
            try:
                return float(value)
            except ValueError:
                raise EnvError(f"{name}: must be a number, got {text!r}") from None
        if self.kind is Kind.BOOLEAN:
            if value.lower() in _TRUE:
                return True
            if value.lower() in _FALSE:
                return False
            raise EnvError(f"{name}: must be true or false (or 1/0, yes/no, on/off), got {text!r}")
        if self.kind is Kind.LIST:
            return [part.strip() for part in value.split(",") if part.strip()]
        try:
            table = tomllib.loads(f"v = {value}")["v"]
        except tomllib.TOMLDecodeError:
            table = None
        if not isinstance(table, dict):
            raise EnvError(
                f'{name}: must be a TOML inline table such as {{en = "News", hy = "Լուրեր"}}, '
                f"got {text!r}"
            )
        return table

    def type_text(self) -> str:
        return self.shown or self.kind.value

    def default_doc(self) -> str:
        if self.default_text is not None:
            return self.default_text
        return _literal(self.default)


def _literal(value: Any) -> str:
    """``value`` written as TOML, in backticks; None is "none"."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, str):
        return f'`"{value}"`'
    if isinstance(value, tuple | list):
        return "`[" + ", ".join(f'"{v}"' for v in value) + "]`"
    if isinstance(value, Mapping):
        return "`{" + ", ".join(f'{k} = "{v}"' for k, v in value.items()) + "}`"
    return f"`{value}`"


# The sections of the file that hold settings, in the order the docs show them.
SECTIONS: tuple[str, ...] = (
    "site",
    "database",
    "ingest",
    "websub",
    "metrics",
    "log",
    "demo",
    "aggregator",
)

_S, _I, _N, _B, _L, _M = Kind.STRING, Kind.INTEGER, Kind.NUMBER, Kind.BOOLEAN, Kind.LIST, Kind.MAP

SETTINGS: tuple[Setting, ...] = (
    # [site]
    Setting("site", "base_url", _S, "http://127.0.0.1:8000",
            "public base URL written into every feed link (trailing `/` dropped)",
            shown="URL", attr="site.base_url", aliases=("FEEDS_BASE_URL",)),
    Setting("site", "languages", _L, ("en",),
            "at least one, none twice; one set of feeds per language",
            shown="array of languages", attr="site.languages"),
    Setting("site", "title", _S, "feeds",
            "the title of every language when `titles` is not given"),
    Setting("site", "titles", _M, {"en": "feeds"}, "per-language feed title",
            default_text="every language: `title`", attr="site.titles"),
    Setting("site", "descriptions", _M, {}, "per-language feed description",
            default_text="the title", attr="site.descriptions"),
    Setting("site", "publisher", _S, "feeds", "the newsroom's name",
            default_text="the first title", attr="site.publisher"),
    Setting("site", "icon", _S, "/static/icon.png",
            "square feed icon; a path starting with `/` (relative to `base_url`) or a URL",
            shown="path or URL", attr="site.icon"),
    Setting("site", "logo", _S, "/static/logo.png", "wide feed logo; as `icon`",
            shown="path or URL", attr="site.logo"),
    Setting("site", "copyright", _S, None, "rights statement", attr="site.copyright"),
    Setting("site", "max_items", _I, 50, "items per feed, newest first",
            shown="integer ≥ 1", attr="site.max_items"),
    Setting("site", "archive_page_size", _I, 100,
            "stories (and tombstones) per page of a month's RFC 5005 archive, newest first; "
            "changing it renumbers the older pages of every month larger than one page",
            shown="integer ≥ 1", attr="site.archive_page_size"),
    Setting("site", "cache_max_age", _I, 300,
            "seconds in `Cache-Control: max-age` of public feeds and of the lead images in "
            "`/static/images/`",
            shown="integer ≥ 0", attr="site.cache_max_age"),
    Setting("site", "tombstone_days", _I, 7,
            "days a retracted story stays in Atom feeds as an RFC 6721 `at:deleted-entry` "
            "(0: none)",
            shown="integer ≥ 0", attr="site.tombstone_days"),
    Setting("site", "embed_hosts", _L, (),
            "hosts whose https pages a story's body may embed in an `<iframe>`, e.g. "
            '`["www.youtube-nocookie.com"]`; every other frame is removed '
            "([security.md](security.md))",
            shown="array of host names", attr="site.embed_hosts"),
    Setting("site", "render_cache_bytes", _I, 64 * 1024 * 1024,
            "bytes of rendered responses (feeds, partner feeds, archives, pages, sitemaps; "
            "plain, gzip and brotli copies) the web process keeps; least recently used first out",
            shown="integer ≥ 0", default_text="`67108864` (64 MiB)",
            attr="site.render_cache_bytes"),
    Setting("site", "timezone", _S, "UTC",
            "the time zone of the dates and times on the HTML pages, e.g. `\"Asia/Yerevan\"`; "
            "feeds keep UTC ([localization.md](localization.md))",
            shown="IANA time zone name", attr="site.timezone"),
    Setting("site", "locale_dirs", _L, (),
            "more gettext catalogs (`<dir>/<lang>/LC_MESSAGES/feeds.po`), searched before the "
            "shipped en, hy and ru; relative to the config file. A new language is a catalog "
            "here plus its code in `languages` ([localization.md](localization.md))",
            shown="array of directories", attr="site.locale_dirs"),
    Setting("site", "sections", _M, {},
            "sections' names per language by slug, e.g. `[site.sections.science]` "
            '`hy = "Գիտություն"`: shown on pages and in feed titles and categories of that '
            "language, the slug unchanged; a language without one shows the name the "
            "stories give",
            shown="table of slug = table of language = string", attr="site.sections"),
    Setting("site", "tags", _M, {},
            "tags' names per language by slug, as `sections` (`[site.tags.sevan]`)",
            shown="table of slug = table of language = string", attr="site.tags"),
    # [database]
    Setting("database", "url", _S, "sqlite:///var/feeds.db", "a SQLAlchemy database URL",
            attr="database_url"),
    # [ingest]
    Setting("ingest", "tokens", _L, (),
            "bearer tokens accepted by `/api/articles/{id}`; none empty. Keep them secret; "
            "prefer the variable in production",
            attr="ingest_tokens"),
    # [websub]
    Setting("websub", "hubs", _L, (), "WebSub hubs", shown="array of URLs",
            attr="websub_hubs"),
    # [metrics]
    Setting("metrics", "token", _S, None,
            "`/metrics` answers loopback clients always, and others that send "
            "`Authorization: Bearer <token>`; not empty. Prefer the variable",
            attr="metrics_token"),
    # [log]
    Setting("log", "format", _S, "text",
            "`text` (one line: time, level, logger, message, then `key=value` fields) or "
            "`json` (one object a line); every process (`serve`, `aggregate`, `poll`, the "
            "aggregator inside `serve`) writes it to stderr. `--log-format` wins",
            shown="`text` or `json`", attr="log.format"),
    Setting("log", "level", _S, "info",
            "`debug`, `info`, `warning` or `error`. APScheduler's own lines appear only at "
            "`debug`. `--log-level` wins",
            shown="level name", attr="log.level"),
    # [demo]
    Setting("demo", "feeds_dir", _S, None,
            "a folder served under `/examples/feeds/` (the demo's stand-ins for other "
            "outlets' feeds)",
            attr="demo_feeds_dir"),
    # [aggregator]
    Setting("aggregator", "enabled", _B, True,
            "run the aggregator inside `feeds serve` (`feeds aggregate` ignores it)",
            attr="aggregator.enabled"),
    Setting("aggregator", "allow_hosts", _L, (),
            "host names (`feeds.internal`), IP addresses (`127.0.0.1`, `::1`) or networks "
            "(`10.1.0.0/16`) that may be fetched although not public. No scheme, port, path "
            "or wildcard: the aggregator's address policy reads entries with the same parser, "
            "so what loads is what it enforces",
            attr="aggregator.allow_hosts", aliases=("FEEDS_ALLOW_HOSTS",)),
    Setting("aggregator", "concurrency", _I, 256, "requests in flight at once, in total",
            shown="integer ≥ 1", attr="aggregator.concurrency"),
    Setting("aggregator", "per_host", _I, 4, "requests in flight at once to one host name",
            shown="integer ≥ 1", attr="aggregator.per_host"),
    Setting("aggregator", "connect_timeout", _N, 10.0, "seconds to connect",
            shown="number > 0", attr="aggregator.connect_timeout"),
    Setting("aggregator", "total_timeout", _N, 30.0,
            "seconds for a whole fetch, redirects and body included",
            shown="number > 0", attr="aggregator.total_timeout"),
    Setting("aggregator", "max_body_bytes", _I, 15 * 1024 * 1024,
            "body limit, counted after decompression",
            shown="integer ≥ 1", default_text="`15728640` (15 MiB)",
            attr="aggregator.max_body_bytes"),
    Setting("aggregator", "fetched_bodies_mb", _I, 32,
            "megabytes of fetched bodies one process holds at once (from their read until "
            "their poll is written). A body longer than 256 KiB reserves room first (its "
            "`Content-Length`, or `max_body_bytes` when compressed or unknown, given back once "
            "read) and waits in line while there is none; that wait is not counted in "
            "`total_timeout`. A body larger than all of it waits until the others are done",
            shown="integer ≥ 1", attr="aggregator.fetched_bodies_mb"),
    Setting("aggregator", "min_interval", _I, 300,
            "shortest time between polls of one source, in seconds; at most `max_interval`",
            shown="integer ≥ 1", attr="aggregator.min_interval"),
    Setting("aggregator", "max_interval", _I, 86_400,
            "longest time between polls, in seconds",
            shown="integer ≥ 1", attr="aggregator.max_interval"),
    Setting("aggregator", "default_interval", _I, 1_800,
            "interval when neither the source nor the feed gives one (then clamped to the "
            "two above)",
            shown="integer ≥ 1", attr="aggregator.default_interval"),
    Setting("aggregator", "tick_seconds", _N, 5.0, "how often a daemon looks for due sources",
            shown="number > 0", attr="aggregator.tick_seconds"),
    Setting("aggregator", "lease_seconds", _I, 300,
            "how long a claimed source stays reserved to one daemon",
            shown="integer ≥ 1", attr="aggregator.lease_seconds"),
    Setting("aggregator", "user_agent", _S,
            "feeds/0.1 (+https://github.com/feeds-newsroom/feeds)",
            "User-Agent of every request",
            shown="string, not empty", attr="aggregator.user_agent"),
    Setting("aggregator", "parse_timeout", _N, 10.0,
            "seconds of processor time one fetched document may take to parse (a parse is "
            "also stopped after 10 times as long by the clock); past it the parse is stopped "
            "and the poll is an error",
            shown="number > 0", attr="aggregator.parse_timeout"),
    Setting("aggregator", "parse_memory_mb", _I, 256,
            "megabytes one document's parse may add to its worker process; past it the parse "
            "is stopped and the poll is an error. A feed with a 10 MB title (cut and stored) "
            "needs about 190",
            shown="integer ≥ 16", attr="aggregator.parse_memory_mb"),
    Setting("aggregator", "max_entries", _I, 500,
            "entries read from one fetched document: the newest by their dates (undated ones "
            "after, in document order); the others are refused, counted in the source's "
            "`skipped` with one reason, and the source shows `degraded`",
            shown="integer ≥ 1", attr="aggregator.max_entries"),
    Setting("aggregator", "republish", _B, False,
            "also put other outlets' stories into each language's main feeds "
            "([aggregator.md](aggregator.md))",
            attr="aggregator.republish"),
)  # fmt: skip


def env_overlay(
    env: Mapping[str, str], settings: Iterable[Setting] = SETTINGS
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, str]]]:
    """The TOML values the ``FEEDS_*`` variables in ``env`` set, by section and key, and
    the name of the variable each came from. An empty variable counts as not set."""
    values: dict[str, dict[str, Any]] = {}
    names: dict[str, dict[str, str]] = {}
    for setting in settings:
        for name in (setting.env, *setting.aliases):
            text = env.get(name, "")
            if text.strip():
                values.setdefault(setting.section, {})[setting.key] = setting.parse_env(name, text)
                names.setdefault(setting.section, {})[setting.key] = name
                break
    return values, names


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render_section(section: str) -> str:
    """The markdown table of one section's settings, with their variables."""
    lines = [
        "| key | variable | type | default | allowed / meaning |",
        "|---|---|---|---|---|",
    ]
    for s in SETTINGS:
        if s.section != section:
            continue
        env = f"`{s.env}`" + "".join(f" (or `{a}`)" for a in s.aliases)
        cells = (f"`{s.key}`", env, s.type_text(), s.default_doc(), s.doc)
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines)


_MARK = re.compile(
    r"(<!-- settings table: (?P<section>[a-z_]+) \(made by `feeds config docs`\) -->\n)"
    r".*?"
    r"(\n<!-- end of settings table -->)",
    re.DOTALL,
)


def update_document(text: str) -> str:
    """``text`` with every marked settings table rewritten from ``SETTINGS``.

    A table is marked by ``<!-- settings table: SECTION (made by `feeds config docs`) -->``
    before it and ``<!-- end of settings table -->`` after it.
    """
    return _MARK.sub(lambda m: m.group(1) + render_section(m["section"]) + m.group(3), text)


def check_document(text: str) -> list[str]:
    """What is wrong with the settings tables of ``text``: sections not marked, or stale."""
    problems = []
    marked = [m["section"] for m in _MARK.finditer(text)]
    for section in SECTIONS:
        if section not in marked:
            problems.append(f"no settings table for [{section}]")
    if update_document(text) != text:
        problems.append("a settings table is out of date")
    return problems
