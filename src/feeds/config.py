"""Settings: one TOML file plus ``FEEDS_*`` environment variables, read once at start.

Every other module receives the piece it needs as an argument. A bad file gives one
``ConfigError`` that names the file, the key and what is wrong.

Environment variables win over the file:

- ``FEEDS_CONFIG``: the TOML file (default: none, built-in defaults only)
- ``FEEDS_DATABASE_URL``: SQLAlchemy URL, e.g. ``postgresql+psycopg://postgres@127.0.0.1/test``
- ``FEEDS_BASE_URL``: the public base URL written into feeds
- ``FEEDS_INGEST_TOKENS``: comma-separated bearer tokens for the ingest API
- ``FEEDS_ALLOW_HOSTS``: comma-separated hosts/addresses the aggregator may fetch even
  though they are private or loopback (e.g. ``127.0.0.1``)
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from feeds.model import check_language_tag

__all__ = [
    "AggregatorSettings",
    "ConfigError",
    "PartnerConfig",
    "Settings",
    "SiteSettings",
    "SourceConfig",
    "load_settings",
]

DEFAULT_DATABASE_URL = "sqlite:///var/feeds.db"


class ConfigError(ValueError):
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
    cache_max_age: int = 300
    # RFC 6721: days a retracted story's tombstone stays in the Atom feeds (0: none).
    tombstone_days: int = 7

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
    """An external feed declared in the config file (``[[sources]]``)."""

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
    concurrency: int = 64
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


def load_settings(path: str | Path | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Read ``path`` (or ``$FEEDS_CONFIG``), then apply ``FEEDS_*`` overrides."""
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
            raise ConfigError(f"{where}: no such config file") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{where}: not valid TOML: {exc}") from None
        except UnicodeDecodeError:
            raise ConfigError(f"{where}: not UTF-8 text") from None
    settings = _parse(_Table(raw, where, ""), config_path)
    return _apply_env(settings, env)


class _Table:
    """A TOML table that knows where it came from, for error messages."""

    def __init__(self, data: Mapping[str, Any], where: str, prefix: str) -> None:
        self.data = data
        self.where = where
        self.prefix = prefix

    def error(self, key: str, message: str) -> ConfigError:
        return ConfigError(f"{self.where}: {self.prefix}{key}: {message}")

    def get(self, key: str, kind: type | tuple[type, ...], default: Any) -> Any:
        value = self.data.get(key, default)
        if value is default:
            return default
        if isinstance(value, bool) and kind in (int, float, (int, float)):
            raise self.error(key, "must be a number, not true/false")
        if not isinstance(value, kind):
            name = kind.__name__ if isinstance(kind, type) else "number"
            raise self.error(key, f"must be a {name}, got {type(value).__name__}")
        return value

    def positive(self, key: str, default: Any) -> Any:
        value = self.get(key, (int, float), default)
        if value <= 0:
            raise self.error(key, "must be greater than zero")
        return value

    def strings(self, key: str, default: tuple[str, ...] = ()) -> tuple[str, ...]:
        value = self.data.get(key)
        if value is None:
            return default
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.error(key, "must be a list of strings")
        return tuple(value)

    def table(self, key: str) -> _Table:
        value = self.data.get(key, {})
        if not isinstance(value, Mapping):
            raise self.error(key, "must be a table")
        return _Table(value, self.where, f"{self.prefix}{key}.")

    def tables(self, key: str) -> list[_Table]:
        value = self.data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
            raise self.error(key, f"must be an array of tables ([[{key}]])")
        return [_Table(v, self.where, f"{self.prefix}{key}[{i}].") for i, v in enumerate(value)]

    def string_map(self, key: str) -> dict[str, str]:
        value = self.data.get(key, {})
        if not isinstance(value, Mapping) or not all(isinstance(v, str) for v in value.values()):
            raise self.error(key, "must be a table of language = text")
        return dict(value)


def _check_url(table: _Table, key: str, value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise table.error(key, f"{value!r} is not an absolute http(s) URL")
    return value


def _parse(root: _Table, config_path: Path | None) -> Settings:
    defaults = Settings()
    site_t = root.table("site")
    site_d = defaults.site
    languages = site_t.strings("languages", site_d.languages)
    if not languages:
        raise site_t.error("languages", "list at least one language")
    for lang in languages:
        problem = check_language_tag(lang)
        if problem:
            raise site_t.error("languages", problem)
    base_url = _check_url(site_t, "base_url", site_t.get("base_url", str, site_d.base_url))
    titles = site_t.string_map("titles") or {
        lang: site_t.get("title", str, "feeds") for lang in languages
    }
    site = SiteSettings(
        base_url=base_url.rstrip("/"),
        languages=languages,
        titles=titles,
        descriptions=site_t.string_map("descriptions"),
        publisher=site_t.get("publisher", str, next(iter(titles.values()))),
        icon=site_t.get("icon", str, site_d.icon),
        logo=site_t.get("logo", str, site_d.logo),
        copyright=site_t.get("copyright", str, None),
        max_items=int(site_t.positive("max_items", site_d.max_items)),
        cache_max_age=int(site_t.get("cache_max_age", int, site_d.cache_max_age)),
        tombstone_days=int(site_t.get("tombstone_days", int, site_d.tombstone_days)),
    )

    agg_t = root.table("aggregator")
    agg_d = defaults.aggregator
    aggregator = AggregatorSettings(
        enabled=agg_t.get("enabled", bool, agg_d.enabled),
        allow_hosts=agg_t.strings("allow_hosts"),
        concurrency=int(agg_t.positive("concurrency", agg_d.concurrency)),
        per_host=int(agg_t.positive("per_host", agg_d.per_host)),
        connect_timeout=float(agg_t.positive("connect_timeout", agg_d.connect_timeout)),
        total_timeout=float(agg_t.positive("total_timeout", agg_d.total_timeout)),
        max_body_bytes=int(agg_t.positive("max_body_bytes", agg_d.max_body_bytes)),
        min_interval=int(agg_t.positive("min_interval", agg_d.min_interval)),
        max_interval=int(agg_t.positive("max_interval", agg_d.max_interval)),
        default_interval=int(agg_t.positive("default_interval", agg_d.default_interval)),
        tick_seconds=float(agg_t.positive("tick_seconds", agg_d.tick_seconds)),
        lease_seconds=int(agg_t.positive("lease_seconds", agg_d.lease_seconds)),
        user_agent=agg_t.get("user_agent", str, agg_d.user_agent),
        republish=agg_t.get("republish", bool, agg_d.republish),
    )
    if aggregator.min_interval > aggregator.max_interval:
        raise agg_t.error("min_interval", "must not exceed max_interval")

    sources = []
    for t in root.tables("sources"):
        lang = t.get("lang", str, None)
        if lang is not None and check_language_tag(lang):
            raise t.error("lang", str(check_language_tag(lang)))
        sources.append(
            SourceConfig(
                url=_check_url(t, "url", t.get("url", str, "")),
                title=t.get("title", str, None),
                lang=lang,
                section=t.get("section", str, None),
                min_interval=t.get("min_interval", int, None),
                max_interval=t.get("max_interval", int, None),
                enabled=t.get("enabled", bool, True),
            )
        )

    partners = []
    for t in root.tables("partners"):
        name = t.get("name", str, "")
        if not name:
            raise t.error("name", "every partner needs a name")
        known = {"name", "profile", "token_hashes", "languages", "sections", "tags"}
        partners.append(
            PartnerConfig(
                name=name,
                profile=t.get("profile", str, "generic"),
                token_hashes=t.strings("token_hashes"),
                languages=t.strings("languages"),
                sections=t.strings("sections"),
                tags=t.strings("tags"),
                options={k: v for k, v in t.data.items() if k not in known},
            )
        )

    db_t = root.table("database")
    ingest_t = root.table("ingest")
    demo_t = root.table("demo")
    demo_dir = demo_t.get("feeds_dir", str, None)
    websub_t = root.table("websub")
    hubs = tuple(_check_url(websub_t, "hubs", h) for h in websub_t.strings("hubs"))
    return Settings(
        site=site,
        database_url=db_t.get("url", str, defaults.database_url),
        ingest_tokens=ingest_t.strings("tokens"),
        aggregator=aggregator,
        sources=tuple(sources),
        partners=tuple(partners),
        websub_hubs=hubs,
        demo_feeds_dir=Path(demo_dir) if demo_dir else None,
        config_path=config_path,
    )


def _split(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def _apply_env(settings: Settings, env: Mapping[str, str]) -> Settings:
    if url := env.get("FEEDS_DATABASE_URL"):
        settings = replace(settings, database_url=url)
    if base := env.get("FEEDS_BASE_URL"):
        parts = urlsplit(base)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(f"FEEDS_BASE_URL: {base!r} is not an absolute http(s) URL")
        settings = replace(settings, site=replace(settings.site, base_url=base.rstrip("/")))
    if tokens := env.get("FEEDS_INGEST_TOKENS"):
        settings = replace(settings, ingest_tokens=_split(tokens))
    if hosts := env.get("FEEDS_ALLOW_HOSTS"):
        aggregator = replace(settings.aggregator, allow_hosts=_split(hosts))
        settings = replace(settings, aggregator=aggregator)
    return settings
