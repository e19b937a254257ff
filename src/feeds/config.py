"""Settings: one TOML file plus ``FEEDS_*`` environment variables, read once at start.

Every other module receives the piece it needs as an argument. A bad file gives one
``ConfigError`` that names the file, the key and what is wrong.

``FEEDS_CONFIG`` names the file (default: none, built-in defaults only). Every setting also
has a variable, ``FEEDS_<SECTION>_<KEY>`` (``FEEDS_SITE_MAX_ITEMS``), which wins over the
file: the table of settings in ``feeds.configtable`` says which exist and how their text
is read. The values they give are laid over the file's and checked by the same parser, so
a bad one is refused like a bad key, with an error that names the variable.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from feeds import i18n, logs
from feeds.configtable import EnvError, env_overlay
from feeds.errors import FeedsError
from feeds.hostnames import parse_allow_entry
from feeds.model import check_language_tag, slugify
from feeds.partner_schema import option_specs
from feeds.partner_settings import (
    check_partner_name,
    check_profile,
    check_token_hash,
    option_problem,
    scope_problem,
    suggest,
    unknown_option,
)
from feeds.store.engine import is_database_url

__all__ = [
    "AggregatorSettings",
    "ConfigError",
    "LogSettings",
    "PartnerConfig",
    "Settings",
    "SiteSettings",
    "SourceConfig",
    "load_settings",
]

DEFAULT_DATABASE_URL = "sqlite:///var/feeds.db"


class ConfigError(FeedsError, ValueError):
    """The configuration cannot be used. The message says where and why."""


@dataclass(frozen=True)
class SiteSettings:
    """What every public feed says about the newsroom."""

    base_url: str = "http://127.0.0.1:8000"
    languages: tuple[str, ...] = ("en",)
    titles: Mapping[str, str] = field(default_factory=lambda: {"en": "feeds"})
    descriptions: Mapping[str, str] = field(default_factory=dict)
    publisher: str = "feeds"
    icon: str = "/static/icon.png"
    logo: str = "/static/logo.png"
    copyright: str | None = None
    max_items: int = 50
    # Stories (and tombstones) per page of a month's RFC 5005 archive, newest first.
    archive_page_size: int = 100
    cache_max_age: int = 300
    # RFC 6721: days a retracted story's tombstone stays in the Atom feeds (0: none).
    tombstone_days: int = 7
    # Hosts whose https pages a story may embed (<iframe>), e.g. www.youtube-nocookie.com.
    embed_hosts: tuple[str, ...] = ()
    # Bytes of rendered responses (plain, gzip and brotli) the web process keeps.
    render_cache_bytes: int = 64 * 1024 * 1024
    # Directories of gettext catalogs (<dir>/<lang>/LC_MESSAGES/feeds.po), searched before
    # the package's own: a new language is a catalog here and a line in ``languages``.
    locale_dirs: tuple[str, ...] = ()
    # The time zone of the dates on HTML pages (feeds keep UTC).
    timezone: str = "UTC"
    # Sections' and tags' names per language, by slug ([site.sections.<slug>], [site.tags.
    # <slug>]): the newsroom types one name in its stories, readers see theirs.
    sections: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    tags: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def facet_names(self, lang: str) -> Mapping[tuple[str, str], str]:
        """``{("section", slug): name}`` and the tags' in ``lang``, as configured."""
        found = {
            ("section", slug): names[lang] for slug, names in self.sections.items() if lang in names
        }
        found.update(
            (("tag", slug), names[lang]) for slug, names in self.tags.items() if lang in names
        )
        return found

    def words(self, lang: str) -> i18n.Words:
        """The interface text of ``lang`` (``feeds.i18n``; publish takes it as its
        ``phrases.Words``, which config does not import: the aggregator reads the
        settings and never loads the renderer)."""
        return i18n.words(lang, self.locale_dirs)

    def title(self, lang: str) -> str:
        return self.titles.get(lang) or next(iter(self.titles.values()), self.publisher)

    def description(self, lang: str) -> str:
        return self.descriptions.get(lang) or self.title(lang)

    def absolute(self, path: str) -> str:
        """``/en/rss.xml`` -> ``https://news.example/en/rss.xml``; absolute URLs unchanged."""
        if urlsplit(path).scheme:
            return path
        return self.base_url.rstrip("/") + "/" + path.lstrip("/")


@dataclass(frozen=True)
class SourceConfig:
    """An external feed declared in the config file (``[[sources]]``), as written there.

    Not the store's ``SourceSpec``, on purpose: the URL may still be a path of the site
    itself and is not normalised yet (``aggregate.pipeline.spec_from_config`` makes the
    spec when the config's sources are synced, under ``[site] base_url``; a URL that
    cannot be a source is logged and skipped there), and a config source has no fixed
    ``interval``.
    """

    url: str
    title: str | None = None
    lang: str | None = None
    section: str | None = None
    min_interval: int | None = None
    max_interval: int | None = None
    enabled: bool = True


@dataclass(frozen=True)
class AggregatorSettings:
    """The polling reader (``[aggregator]``)."""

    enabled: bool = True
    allow_hosts: tuple[str, ...] = ()
    # Requests in flight bound polls/s to concurrency / latency: 256 at a typical 150 ms
    # is ~1,700 polls/s, about what one process's CPU does with 304s (docs/benchmarks.md);
    # 64 left a daemon waiting on the network at a quarter of that. per_host stays polite.
    concurrency: int = 256
    per_host: int = 4
    connect_timeout: float = 10.0
    total_timeout: float = 30.0
    max_body_bytes: int = 15 * 1024 * 1024
    min_interval: int = 300
    max_interval: int = 86_400
    default_interval: int = 1_800
    tick_seconds: float = 5.0
    lease_seconds: int = 300
    user_agent: str = "feeds/0.1 (+https://github.com/feeds-newsroom/feeds)"
    republish: bool = False
    # Seconds of processor time one document may take to parse; a parse past it is stopped
    # (its worker killed).
    parse_timeout: float = 10.0
    # Megabytes one document's parse may add to its worker; past it the parse is stopped.
    # (A feed with a 10 MB title, which is cut and stored, grows a worker by ~190 MB.)
    parse_memory_mb: int = 256
    # Megabytes of fetched bodies held at once; a body past 256 KiB waits for room in them.
    fetched_bodies_mb: int = 32
    # Entries read from one document, the newest; the others are refused with a reason.
    max_entries: int = 500


@dataclass(frozen=True)
class PartnerConfig:
    """A partner declared in the config file (``[[partners]]``); token hashes only."""

    name: str
    profile: str = "generic"
    token_hashes: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    sections: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LogSettings:
    """How every process logs (``[log]``); ``--log-format``/``--log-level`` win."""

    format: str = "text"
    level: str = "info"


@dataclass(frozen=True)
class Settings:
    site: SiteSettings = field(default_factory=SiteSettings)
    database_url: str = DEFAULT_DATABASE_URL
    ingest_tokens: tuple[str, ...] = ()
    aggregator: AggregatorSettings = field(default_factory=AggregatorSettings)
    sources: tuple[SourceConfig, ...] = ()
    partners: tuple[PartnerConfig, ...] = ()
    websub_hubs: tuple[str, ...] = ()
    demo_feeds_dir: Path | None = None
    config_path: Path | None = None
    # /metrics answers loopback clients, and others that send this Bearer token.
    metrics_token: str | None = None
    log: LogSettings = field(default_factory=LogSettings)


def load_settings(path: str | Path | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Read ``path`` (or ``$FEEDS_CONFIG``), then apply ``FEEDS_*`` overrides.

    Every key is checked: its type, its range, and that the loader knows it at all, so
    a misspelt key is refused (with the closest known key) instead of ignored.
    """
    env = os.environ if env is None else env
    chosen = path if path is not None else env.get("FEEDS_CONFIG")
    raw: dict[str, Any] = {}
    where = "built-in defaults"
    config_path: Path | None = None
    if chosen:
        config_path = Path(chosen)
        where = str(config_path)
        try:
            raw = tomllib.loads(config_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            origin = "" if path is not None else " (from FEEDS_CONFIG)"
            raise ConfigError(f"{where}: no such config file{origin}") from None
        except IsADirectoryError:
            raise ConfigError(f"{where}: is a directory, not a config file") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{where}: not valid TOML: {exc}") from None
        except UnicodeDecodeError:
            raise ConfigError(f"{where}: not UTF-8 text") from None
    try:
        overlay, names = env_overlay(env)
    except EnvError as exc:
        raise ConfigError(str(exc)) from None
    for section, values in overlay.items():
        if isinstance(raw.get(section, {}), Mapping):
            raw[section] = {**raw.get(section, {}), **values}
    root = _Table(raw, where, "", origins=names)
    settings = _parse(root, config_path)
    root.refuse_unknown_keys()
    return settings


# TOML's names for what a key holds, for error messages.
_KINDS: dict[type, str] = {
    str: "a string",
    int: "a whole number",
    float: "a number",
    bool: "true or false",
    list: "an array",
    dict: "a table",
}


class _Recorded(Mapping[str, Any]):
    """A read-only view of a TOML table that notes every key looked up in ``asked``."""

    def __init__(self, data: Mapping[str, Any], asked: set[str]) -> None:
        self._data = data
        self._asked = asked

    def __getitem__(self, key: str) -> Any:
        self._asked.add(key)
        return self._data[key]

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str):
            self._asked.add(key)
        return key in self._data

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)


class _Table:
    """A TOML table that knows where it came from, for error messages.

    Every helper records the key it was asked for; after parsing, ``refuse_unknown_keys``
    (on the root) names any key of any table that no helper asked for. A new setting
    needs nothing but its ``t.get(...)`` / ``t.positive(...)`` line. Read keys through
    the helpers; a key looked up in ``data`` directly (``t.data.get("x")``) counts as
    asked too, but only iterating over ``data`` does not.
    """

    def __init__(
        self,
        data: Mapping[str, Any],
        where: str,
        prefix: str,
        _family: list[_Table] | None = None,
        origins: Mapping[str, Any] | None = None,
    ) -> None:
        self.asked: set[str] = set()
        # The variable each key's value came from (a table: its keys'), for error messages.
        self.origins: Mapping[str, Any] = origins or {}
        self.data: Mapping[str, Any] = _Recorded(data, self.asked)
        self.where = where
        self.prefix = prefix
        # Says why a key no helper asked for is wrong, when "unknown" is not the whole story.
        self.explain: Callable[[str], str] | None = None
        self._family = _family if _family is not None else []
        self._family.append(self)

    def error(self, key: str, message: str) -> ConfigError:
        variable = self.origins.get(key.split("[", 1)[0])
        if isinstance(variable, str):
            return ConfigError(f"{variable}: {message}")
        return ConfigError(f"{self.where}: {self.prefix}{key}: {message}")

    def get(self, key: str, kind: type | tuple[type, ...], default: Any) -> Any:
        self.asked.add(key)
        value = self.data.get(key, default)
        if value is default:
            return default
        if isinstance(value, bool) and kind in (int, float, (int, float)):
            raise self.error(key, "must be a number, not true/false")
        if not isinstance(value, kind):
            wanted = _KINDS.get(kind, "a number") if isinstance(kind, type) else "a number"
            got = _KINDS.get(type(value), type(value).__name__)
            raise self.error(key, f"must be {wanted}, got {got}")
        return value

    def positive(self, key: str, default: Any) -> Any:
        value = self.get(key, (int, float), default)
        if value <= 0:
            raise self.error(key, "must be greater than zero")
        return value

    def whole(self, key: str, default: Any, minimum: int = 1, maximum: int | None = None) -> Any:
        """A whole number in ``minimum``..``maximum`` (``2.5`` is refused, not truncated)."""
        value = self.get(key, (int, float), default)
        if value is None:
            return None
        allowed = f"a whole number of at least {minimum}" + (
            f" and at most {maximum}" if maximum is not None else ""
        )
        if not isinstance(value, int) or value < minimum or (maximum and value > maximum):
            raise self.error(key, f"must be {allowed}, got {value!r}")
        return value

    def url(self, key: str, default: Any) -> Any:
        """An absolute http(s) URL."""
        value = self.get(key, str, default)
        return value if value is None else _check_url(self, key, value)

    def strings(self, key: str, default: tuple[str, ...] = ()) -> tuple[str, ...]:
        self.asked.add(key)
        value = self.data.get(key)
        if value is None:
            return default
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.error(key, "must be a list of strings")
        return tuple(value)

    def table(self, key: str) -> _Table:
        self.asked.add(key)
        value = self.data.get(key, {})
        if not isinstance(value, Mapping):
            raise self.error(key, "must be a table")
        origins = self.origins.get(key)
        return _Table(
            value,
            self.where,
            f"{self.prefix}{key}.",
            self._family,
            origins if isinstance(origins, Mapping) else None,
        )

    def tables(self, key: str) -> list[_Table]:
        self.asked.add(key)
        value = self.data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
            raise self.error(key, f"must be an array of tables ([[{key}]])")
        return [
            _Table(v, self.where, f"{self.prefix}{key}[{i}].", self._family)
            for i, v in enumerate(value)
        ]

    def string_map(self, key: str) -> dict[str, str]:
        self.asked.add(key)
        value = self.data.get(key, {})
        if not isinstance(value, Mapping) or not all(isinstance(v, str) for v in value.values()):
            raise self.error(key, "must be a table of language = text")
        return dict(value)

    def refuse_unknown_keys(self) -> None:
        """Raise for the first key, in this table or any read from it, never asked for."""
        for table in self._family:
            for key in table.data:
                if key in table.asked:
                    continue
                if table.explain is not None:
                    raise table.error(key, table.explain(key))
                hint = suggest(key, table.asked) or (
                    f" (known keys here: {', '.join(sorted(table.asked))})" if table.asked else ""
                )
                raise table.error(key, "unknown key" + hint)


def _check_url(table: _Table, key: str, value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise table.error(key, f"{value!r} is not an absolute http(s) URL")
    return value


def _embed_hosts(table: _Table) -> tuple[str, ...]:
    hosts = table.strings("embed_hosts")
    for host in hosts:
        if not re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9-]+)*", host):
            raise table.error("embed_hosts", f"{host!r} is not a host name (no scheme, no path)")
    return tuple(h.lower() for h in hosts)


def _check_link(table: _Table, key: str, value: str) -> str:
    """A path on the site (``/static/logo.png``) or an absolute http(s) URL."""
    if value.startswith("/") and not value.startswith("//"):
        return value
    parts = urlsplit(value)
    if parts.scheme in ("http", "https") and parts.netloc:
        return value
    raise table.error(key, f"{value!r} is neither a path starting with '/' nor an http(s) URL")


def _check_database_url(value: str) -> str | None:
    if is_database_url(value):
        return None
    return f"{value!r} is not a database URL such as 'sqlite:///var/feeds.db'"


def _check_language(table: _Table, key: str, lang: str) -> str:
    problem = check_language_tag(lang)
    if problem:
        raise table.error(key, problem)
    return lang


def _parse_site(site_t: _Table, config_path: Path | None = None) -> SiteSettings:
    site_d = SiteSettings()
    languages = site_t.strings("languages", site_d.languages)
    if not languages:
        raise site_t.error("languages", "list at least one language")
    for lang in languages:
        _check_language(site_t, "languages", lang)
    if len(set(languages)) != len(languages):
        raise site_t.error("languages", "lists a language twice")
    base_url = site_t.url("base_url", site_d.base_url)
    title = site_t.get("title", str, "feeds")
    titles = site_t.string_map("titles") or {lang: title for lang in languages}
    return SiteSettings(
        base_url=base_url.rstrip("/"),
        languages=languages,
        titles=titles,
        descriptions=site_t.string_map("descriptions"),
        publisher=site_t.get("publisher", str, next(iter(titles.values()))),
        icon=_check_link(site_t, "icon", site_t.get("icon", str, site_d.icon)),
        logo=_check_link(site_t, "logo", site_t.get("logo", str, site_d.logo)),
        copyright=site_t.get("copyright", str, None),
        max_items=site_t.whole("max_items", site_d.max_items),
        archive_page_size=site_t.whole("archive_page_size", site_d.archive_page_size),
        cache_max_age=site_t.whole("cache_max_age", site_d.cache_max_age, minimum=0),
        tombstone_days=site_t.whole("tombstone_days", site_d.tombstone_days, minimum=0),
        embed_hosts=_embed_hosts(site_t),
        render_cache_bytes=site_t.whole("render_cache_bytes", site_d.render_cache_bytes, minimum=0),
        locale_dirs=_locale_dirs(site_t, config_path),
        timezone=_timezone(site_t, site_d.timezone),
        sections=_facet_names(site_t, "sections", languages),
        tags=_facet_names(site_t, "tags", languages),
    )


def _facet_names(table: _Table, key: str, languages: tuple[str, ...]) -> dict[str, dict[str, str]]:
    """``[site.sections.<slug>]`` (or ``tags``): a table of language = name per slug."""
    names_t = table.table(key)
    found = {}
    for slug in list(names_t.data):
        names = names_t.string_map(slug)
        if slugify(slug) != slug:
            raise names_t.error(slug, f"is not a slug (as in the feed's URL: {slugify(slug)!r})")
        for lang in names:
            if lang not in languages:
                raise names_t.error(slug, f"{lang!r} is not a site language")
        found[slug] = names
    return found


def _locale_dirs(table: _Table, config_path: Path | None) -> tuple[str, ...]:
    """``[site] locale_dirs``: directories of catalogs, relative to the config file."""
    base = config_path.parent if config_path is not None else Path()
    found = []
    for entry in table.strings("locale_dirs"):
        directory = base / Path(entry).expanduser()
        if not directory.is_dir():
            raise table.error("locale_dirs", f"{str(directory)!r} is not a directory")
        found.append(str(directory))
    return tuple(found)


def _timezone(table: _Table, default: str) -> str:
    name = table.get("timezone", str, default)
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise table.error(
            "timezone", f"{name!r} is not a time zone (an IANA name such as 'Asia/Yerevan')"
        ) from None
    return str(name)


def _parse_aggregator(agg_t: _Table) -> AggregatorSettings:
    agg_d = AggregatorSettings()
    allow_hosts = agg_t.strings("allow_hosts")
    for i, entry in enumerate(allow_hosts):
        try:
            parse_allow_entry(entry)
        except ValueError as exc:
            raise agg_t.error(f"allow_hosts[{i}]", str(exc)) from None
    user_agent = agg_t.get("user_agent", str, agg_d.user_agent)
    if not user_agent.strip():
        raise agg_t.error("user_agent", "must not be empty")
    aggregator = AggregatorSettings(
        enabled=agg_t.get("enabled", bool, agg_d.enabled),
        allow_hosts=allow_hosts,
        concurrency=agg_t.whole("concurrency", agg_d.concurrency),
        per_host=agg_t.whole("per_host", agg_d.per_host),
        connect_timeout=float(agg_t.positive("connect_timeout", agg_d.connect_timeout)),
        total_timeout=float(agg_t.positive("total_timeout", agg_d.total_timeout)),
        max_body_bytes=agg_t.whole("max_body_bytes", agg_d.max_body_bytes),
        min_interval=agg_t.whole("min_interval", agg_d.min_interval),
        max_interval=agg_t.whole("max_interval", agg_d.max_interval),
        default_interval=agg_t.whole("default_interval", agg_d.default_interval),
        tick_seconds=float(agg_t.positive("tick_seconds", agg_d.tick_seconds)),
        lease_seconds=agg_t.whole("lease_seconds", agg_d.lease_seconds),
        user_agent=user_agent,
        republish=agg_t.get("republish", bool, agg_d.republish),
        parse_timeout=float(agg_t.positive("parse_timeout", agg_d.parse_timeout)),
        max_entries=agg_t.whole("max_entries", agg_d.max_entries),
        parse_memory_mb=agg_t.whole("parse_memory_mb", agg_d.parse_memory_mb, minimum=16),
        fetched_bodies_mb=agg_t.whole("fetched_bodies_mb", agg_d.fetched_bodies_mb),
    )
    if aggregator.min_interval > aggregator.max_interval:
        raise agg_t.error("min_interval", "must not exceed max_interval")
    return aggregator


def _parse_source(t: _Table) -> SourceConfig:
    if "url" not in t.data:
        raise t.error("url", "every source needs a url")
    lang = t.get("lang", str, None)
    if lang is not None:
        _check_language(t, "lang", lang)
    source = SourceConfig(
        # A path (``/examples/feeds/x.xml``) is a feed the site serves itself: the
        # aggregator registers it under ``[site] base_url`` (``spec_from_config``).
        url=_check_link(t, "url", t.get("url", str, "")),
        title=t.get("title", str, None),
        lang=lang,
        section=t.get("section", str, None),
        min_interval=t.whole("min_interval", None),
        max_interval=t.whole("max_interval", None),
        enabled=t.get("enabled", bool, True),
    )
    low, high = source.min_interval, source.max_interval
    if low is not None and high is not None and low > high:
        raise t.error("min_interval", "must not exceed max_interval")
    return source


def _parse_partner(t: _Table, site: SiteSettings, seen: dict[str, str]) -> PartnerConfig:
    name = t.get("name", str, "")
    if not name:
        raise t.error("name", "every partner needs a name")
    if (why := check_partner_name(name)) is not None:
        raise t.error("name", why)
    if name in seen:
        raise t.error("name", f"{name!r} is already the name of {seen[name]}")
    seen[name] = t.prefix.rstrip(".")
    profile = check_profile(t.get("profile", str, "generic"))
    if isinstance(profile, str):
        raise t.error("profile", profile)
    token_hashes = t.strings("token_hashes")
    for i, token_hash in enumerate(token_hashes):
        if (why := check_token_hash(token_hash)) is not None:
            raise t.error(f"token_hashes[{i}]", why)
    scope = {kind: t.strings(kind) for kind in ("languages", "sections", "tags")}
    for kind, values in scope.items():
        for value in values:
            if (why := scope_problem(kind, value)) is not None:
                raise t.error(kind, why)
    for lang in scope["languages"]:
        if lang not in site.languages:
            raise t.error(
                "languages", f"{lang!r} is not a site language ({', '.join(site.languages)})"
            )
    # Every other key is a profile option: the profile (and its extensions) say which.
    extensions = t.get("extensions", object, None)
    given = {} if extensions is None else {"extensions": extensions}
    options: dict[str, Any] = {}
    for key in option_specs(profile, given.get("extensions", ())):
        value = t.get(key, object, None)
        if value is None:
            continue
        if (why := option_problem(profile, key, value, given)) is not None:
            raise t.error(key, why)
        options[key] = value
    t.explain = lambda key: unknown_option(profile, key, given)
    return PartnerConfig(
        name=name,
        profile=profile.name,
        token_hashes=tuple(h.lower() for h in token_hashes),
        languages=scope["languages"],
        sections=scope["sections"],
        tags=scope["tags"],
        options=options,
    )


def _parse(root: _Table, config_path: Path | None) -> Settings:
    defaults = Settings()
    site = _parse_site(root.table("site"), config_path)
    aggregator = _parse_aggregator(root.table("aggregator"))
    sources = tuple(_parse_source(t) for t in root.tables("sources"))
    seen: dict[str, str] = {}
    partners = tuple(_parse_partner(t, site, seen) for t in root.tables("partners"))

    db_t = root.table("database")
    database_url = db_t.get("url", str, defaults.database_url)
    if (why := _check_database_url(database_url)) is not None:
        raise db_t.error("url", why)
    ingest_t = root.table("ingest")
    ingest_tokens = ingest_t.strings("tokens")
    if any(not token.strip() for token in ingest_tokens):
        raise ingest_t.error("tokens", "an empty token would let anyone in; remove it")
    metrics_t = root.table("metrics")
    metrics_token = metrics_t.get("token", str, None)
    if metrics_token is not None and not metrics_token.strip():
        raise metrics_t.error("token", "an empty token would let anyone in; remove it")
    demo_t = root.table("demo")
    demo_dir = demo_t.get("feeds_dir", str, None)
    log_t = root.table("log")
    log_settings = LogSettings(
        format=_choice(log_t, "format", logs.FORMATS, LogSettings.format),
        level=_choice(log_t, "level", tuple(logs.LEVELS), LogSettings.level),
    )
    websub_t = root.table("websub")
    hubs = tuple(_check_url(websub_t, "hubs", h) for h in websub_t.strings("hubs"))
    return Settings(
        site=site,
        database_url=database_url,
        ingest_tokens=ingest_tokens,
        aggregator=aggregator,
        sources=sources,
        partners=partners,
        websub_hubs=hubs,
        demo_feeds_dir=Path(demo_dir) if demo_dir else None,
        config_path=config_path,
        metrics_token=metrics_token,
        log=log_settings,
    )


def _choice(table: _Table, key: str, choices: tuple[str, ...], default: str) -> str:
    value: str = table.get(key, str, default)
    if value.lower() not in choices:
        raise table.error(key, f"{value!r} is not one of {', '.join(choices)}")
    return value.lower()
