"""Every setting has a ``FEEDS_*`` variable that overrides the file, made from the one table
of settings (``feeds.configtable``), which also makes the tables of docs/configuration.md."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from feeds import config
from feeds.cli import app
from feeds.config import ConfigError, load_settings
from feeds.configtable import SECTIONS, SETTINGS, Kind, Setting
from feeds.i18n import LOCALE_DIR

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "feeds.toml"
DOC = REPO / "docs" / "configuration.md"

# A value other than the example file's for each setting that numbers alone cannot make:
# the variable's text and the value the settings then hold.
SAMPLES: dict[str, tuple[str, Any]] = {
    "site.base_url": ("https://news.example/", "https://news.example"),
    "site.languages": ("ru, hy, en", ("ru", "hy", "en")),
    "site.titles": ('{en = "News", ru = "Новости"}', {"en": "News", "ru": "Новости"}),
    "site.descriptions": ('{en = "All the news"}', {"en": "All the news"}),
    "site.publisher": ("Daily Example", "Daily Example"),
    "site.icon": ("https://cdn.example/icon.png", "https://cdn.example/icon.png"),
    "site.logo": ("/static/wide.png", "/static/wide.png"),
    "site.copyright": ("© Daily Example", "© Daily Example"),
    "site.embed_hosts": ("www.youtube-nocookie.com", ("www.youtube-nocookie.com",)),
    "site.timezone": ("Europe/Moscow", "Europe/Moscow"),
    "site.sections": ('{science = {ru = "Наука"}}', {"science": {"ru": "Наука"}}),
    "site.tags": ('{sevan = {hy = "Սևան"}}', {"sevan": {"hy": "Սևան"}}),
    "site.locale_dirs": (str(LOCALE_DIR), (str(LOCALE_DIR),)),
    "database_url": ("postgresql://postgres@127.0.0.1/x", "postgresql://postgres@127.0.0.1/x"),
    "ingest_tokens": ("one, two", ("one", "two")),
    "websub_hubs": ("https://hub.example/", ("https://hub.example/",)),
    "metrics_token": ("scrape-secret", "scrape-secret"),
    "log.format": ("JSON", "json"),
    "log.level": ("debug", "debug"),
    "demo_feeds_dir": ("/srv/feeds-demo", Path("/srv/feeds-demo")),
    "aggregator.allow_hosts": ("10.1.0.0/16, feeds.internal", ("10.1.0.0/16", "feeds.internal")),
    "aggregator.user_agent": ("feeds-test/1", "feeds-test/1"),
}


def value_at(settings: config.Settings, attr: str) -> Any:
    value: Any = settings
    for part in attr.split("."):
        value = getattr(value, part)
    return value


def sample(setting: Setting, current: Any) -> tuple[str, Any]:
    if setting.attr in SAMPLES:
        return SAMPLES[setting.attr]
    if setting.kind is Kind.INTEGER:
        return str(current + 1), current + 1
    if setting.kind is Kind.NUMBER:
        return str(current + 0.5), current + 0.5
    if setting.kind is Kind.BOOLEAN:
        return ("false", False) if current else ("yes", True)
    raise AssertionError(f"add a sample value for {setting.attr} to SAMPLES")


@pytest.mark.parametrize("setting", [s for s in SETTINGS if s.attr], ids=lambda s: s.env)
def test_every_setting_has_a_variable_that_overrides_the_file(setting: Setting) -> None:
    from_file = value_at(load_settings(EXAMPLE, env={}), setting.attr)
    text, expected = sample(setting, from_file)
    assert expected != from_file
    settings = load_settings(EXAMPLE, env={setting.env: text})
    assert value_at(settings, setting.attr) == expected


def test_each_kind_of_variable_overrides_the_file(tmp_path: Path) -> None:
    path = tmp_path / "feeds.toml"
    path.write_text(
        '[site]\nlanguages = ["en"]\ntitles = {en = "File"}\nmax_items = 5\n'
        "[aggregator]\nenabled = true\ntick_seconds = 5.0\nallow_hosts = ['127.0.0.1']\n"
        "[log]\nformat = 'text'\n",
        encoding="utf-8",
    )
    env = {
        "FEEDS_SITE_LANGUAGES": "en,hy",  # array
        "FEEDS_SITE_TITLES": '{en = "News", hy = "Լուրեր"}',  # table
        "FEEDS_SITE_MAX_ITEMS": "20",  # integer
        "FEEDS_AGGREGATOR_ENABLED": "off",  # boolean
        "FEEDS_AGGREGATOR_TICK_SECONDS": "2.5",  # number
        "FEEDS_LOG_FORMAT": "json",  # string
    }
    settings = load_settings(path, env=env)
    assert settings.site.languages == ("en", "hy")
    assert settings.site.title("hy") == "Լուրեր"
    assert settings.site.max_items == 20
    assert settings.aggregator.enabled is False
    assert settings.aggregator.tick_seconds == 2.5
    assert settings.log.format == "json"
    # what no variable names stays as the file says
    assert settings.aggregator.allow_hosts == ("127.0.0.1",)


def test_a_title_without_titles_comes_from_its_variable() -> None:
    settings = load_settings(None, env={"FEEDS_SITE_TITLE": "Evening Post"})
    assert settings.site.title("en") == "Evening Post"
    assert settings.site.publisher == "Evening Post"


def test_the_longer_name_wins_over_the_older_one() -> None:
    env = {"FEEDS_BASE_URL": "https://old.example", "FEEDS_SITE_BASE_URL": "https://new.example"}
    assert load_settings(EXAMPLE, env=env).site.base_url == "https://new.example"


def test_an_empty_variable_counts_as_not_set() -> None:
    settings = load_settings(EXAMPLE, env={"FEEDS_SITE_MAX_ITEMS": "", "FEEDS_LOG_LEVEL": " "})
    assert settings.site.max_items == load_settings(EXAMPLE, env={}).site.max_items


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"FEEDS_SITE_MAX_ITEMS": "many"},
            "FEEDS_SITE_MAX_ITEMS: must be a whole number, got 'many'",
        ),
        (
            {"FEEDS_SITE_MAX_ITEMS": "0"},
            "FEEDS_SITE_MAX_ITEMS: must be a whole number of at least 1, got 0",
        ),
        (
            {"FEEDS_AGGREGATOR_TICK_SECONDS": "5s"},
            "FEEDS_AGGREGATOR_TICK_SECONDS: must be a number, got '5s'",
        ),
        (
            {"FEEDS_AGGREGATOR_ENABLED": "maybe"},
            "FEEDS_AGGREGATOR_ENABLED: must be true or false (or 1/0, yes/no, on/off), got 'maybe'",
        ),
        (
            {"FEEDS_SITE_TITLES": "en=News"},
            'FEEDS_SITE_TITLES: must be a TOML inline table such as {en = "News", hy = "Լուրեր"}, '
            "got 'en=News'",
        ),
        (
            {"FEEDS_SITE_LANGUAGES": "en,english"},
            "FEEDS_SITE_LANGUAGES: 'english' is not a BCP 47 language tag "
            "such as 'en', 'hy' or 'ru'",
        ),
        (
            {"FEEDS_AGGREGATOR_MIN_INTERVAL": "100000"},
            "FEEDS_AGGREGATOR_MIN_INTERVAL: must not exceed max_interval",
        ),
        ({"FEEDS_LOG_FORMAT": "xml"}, "FEEDS_LOG_FORMAT: 'xml' is not one of text, json"),
        (
            {"FEEDS_LOG_LEVEL": "loud"},
            "FEEDS_LOG_LEVEL: 'loud' is not one of debug, info, warning, error",
        ),
        (
            {"FEEDS_WEBSUB_HUBS": "hub.example"},
            "FEEDS_WEBSUB_HUBS: 'hub.example' is not an absolute http(s) URL",
        ),
    ],
)
def test_a_bad_variable_is_one_error_naming_it(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(EXAMPLE, env=env)
    assert str(caught.value) == message


def test_a_bad_variable_stops_the_command_with_one_line() -> None:
    result = CliRunner().invoke(
        app, ["db", "upgrade"], env={"FEEDS_CONFIG": "", "FEEDS_SITE_MAX_ITEMS": "-3"}
    )
    assert result.exit_code == 2
    assert (
        result.stderr
        == "error: FEEDS_SITE_MAX_ITEMS: must be a whole number of at least 1, got -3\n"
    )


def test_the_table_gives_the_parsers_defaults() -> None:
    defaults = load_settings(None, env={})
    for setting in SETTINGS:
        if setting.attr:
            value = value_at(defaults, setting.attr)
            expected = setting.default
            if isinstance(expected, list | tuple):
                expected = tuple(expected)
            assert value == expected, setting.env


def test_the_table_names_every_key_the_parser_reads_and_no_other() -> None:
    root = config._Table({}, "test", "")
    config._parse(root, None)
    read = {
        (table.prefix.rstrip("."), key)
        for table in root._family
        if table.prefix.rstrip(".") in SECTIONS
        for key in table.asked
    }
    listed = {(s.section, s.key) for s in SETTINGS}
    assert read == listed
    assert set(SECTIONS) == {s.section for s in SETTINGS}


def test_docs_configuration_md_has_the_tables_the_table_makes() -> None:
    result = CliRunner().invoke(app, ["config", "docs", str(DOC), "--check"])
    assert result.exit_code == 0, (
        f"docs/configuration.md is out of date: run feeds config docs {DOC}\n{result.stderr}"
    )


def test_a_stale_document_is_found_and_rewritten(tmp_path: Path) -> None:
    stale = tmp_path / "configuration.md"
    stale.write_text(
        DOC.read_text(encoding="utf-8").replace(
            "| `FEEDS_SITE_MAX_ITEMS` |", "| `FEEDS_MAX_ITEMS` |"
        ),
        encoding="utf-8",
    )
    checked = CliRunner().invoke(app, ["config", "docs", str(stale), "--check"])
    assert checked.exit_code == 1
    assert "a settings table is out of date" in checked.stderr
    assert CliRunner().invoke(app, ["config", "docs", str(stale)]).exit_code == 0
    assert stale.read_text(encoding="utf-8") == DOC.read_text(encoding="utf-8")


def test_config_docs_prints_every_section() -> None:
    result = CliRunner().invoke(app, ["config", "docs"])
    assert result.exit_code == 0
    for section in SECTIONS:
        assert f"## [{section}]" in result.stdout
    assert "| `max_items` | `FEEDS_SITE_MAX_ITEMS` | integer ≥ 1 | `50` |" in result.stdout
