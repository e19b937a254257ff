"""A bad config is one readable error naming the file and key; env vars override the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from feeds.config import ConfigError, load_settings

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "feeds.toml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "feeds.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_example_config_loads() -> None:
    settings = load_settings(EXAMPLE, env={})
    assert settings.site.languages == ("en", "hy", "ru")
    assert settings.site.title("hy") == "Կովկաս Լուր"
    assert settings.database_url == "sqlite:///var/feeds.db"


def test_environment_overrides_the_file() -> None:
    env = {
        "FEEDS_DATABASE_URL": "postgresql://postgres@127.0.0.1/test",
        "FEEDS_ALLOW_HOSTS": "127.0.0.1, localhost",
        "FEEDS_BASE_URL": "https://news.example/",
        "FEEDS_INGEST_TOKENS": "a,b",
    }
    settings = load_settings(EXAMPLE, env=env)
    assert settings.database_url == "postgresql://postgres@127.0.0.1/test"
    assert settings.aggregator.allow_hosts == ("127.0.0.1", "localhost")
    assert settings.site.base_url == "https://news.example"
    assert settings.site.absolute("/en/rss.xml") == "https://news.example/en/rss.xml"
    assert settings.ingest_tokens == ("a", "b")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[site]\nlanguages = ['en', 'armenian']", "site.languages: 'armenian'"),
        ("[site]\nbase_url = 'news.example'", "site.base_url: 'news.example' is not an absolute"),
        ("[site]\nmax_items = 0", "site.max_items: must be greater than zero"),
        ("[site]\nmax_items = 'ten'", "site.max_items: must be a number"),
        ("[aggregator]\nmin_interval = 900\nmax_interval = 60", "must not exceed max_interval"),
        ("[[sources]]\nurl = 'ftp://x'", "sources[0].url"),
        ("site = [", "not valid TOML"),
    ],
)
def test_bad_config_names_the_key(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env={})
    assert message in str(caught.value)
    assert str(path) in str(caught.value)


def test_a_missing_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such config file"):
        load_settings(tmp_path / "nope.toml", env={})


def test_a_bad_base_url_in_the_environment_is_refused() -> None:
    with pytest.raises(ConfigError, match="FEEDS_BASE_URL"):
        load_settings(EXAMPLE, env={"FEEDS_BASE_URL": "localhost:8000"})
