"""`feeds partners add|list|rotate|revoke|check|sign` in a real process on a real store."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from feeds.store import Store, open_store
from feeds.store.partners import hash_token, partner_tokens
from feeds.syndicate.registry import PartnerRegistry
from tests.command import run_feeds
from tests.stories import story


def feeds(
    *args: str, database_url: str, config: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {"FEEDS_DATABASE_URL": database_url, "PATH": "/usr/bin:/bin"}
    if config is not None:
        env["FEEDS_CONFIG"] = str(config)
    return run_feeds("partners", *args, env=env)


@pytest.fixture
def opened(database_url: str) -> Store:
    store = open_store(database_url)
    yield store  # type: ignore[misc]
    store.close()


def test_add_prints_the_token_once_on_the_last_line_and_stores_only_its_hash(
    database_url: str, opened: Store
) -> None:
    done = feeds(
        "add", "msn-hub", "--profile", "msn", "--language", "en", database_url=database_url
    )
    assert done.returncode == 0, done.stderr
    token = done.stdout.strip().splitlines()[-1]
    assert token.startswith("fp_") and len(token) > 40
    with opened._db.reading() as conn:
        stored = [row.token_hash for row in conn.execute(partner_tokens.select())]
    assert stored == [hash_token(token)]
    assert token not in str(stored)
    registry = PartnerRegistry(opened)
    found = registry.by_token(token)
    assert found is not None and found.name == "msn-hub" and found.languages == ("en",)

    listed = feeds("list", database_url=database_url)
    assert "msn-hub\tmsn\ten\tstore\t1 token(s)" in listed.stdout
    assert token not in listed.stdout


def test_rotate_replaces_the_token_and_revoke_kills_it(database_url: str, opened: Store) -> None:
    first = feeds("add", "flip", "--profile", "flipboard", database_url=database_url)
    old = first.stdout.strip().splitlines()[-1]
    rotated = feeds("rotate", "flip", database_url=database_url)
    assert rotated.returncode == 0, rotated.stderr
    new = rotated.stdout.strip().splitlines()[-1]
    registry = PartnerRegistry(opened)
    assert new != old
    assert registry.by_token(old) is None
    assert registry.by_token(new) is not None

    revoked = feeds("revoke", "flip", database_url=database_url)
    assert revoked.returncode == 0, revoked.stderr
    assert registry.by_token(new) is None
    assert "revoked" in feeds("list", database_url=database_url).stdout


def test_bad_commands_say_why_and_write_nothing(database_url: str, opened: Store) -> None:
    unknown = feeds("add", "x", "--profile", "nosuch", database_url=database_url)
    assert unknown.returncode == 2
    assert unknown.stderr.startswith("error: --profile: 'nosuch' is not a profile (one of: ")
    bad_name = feeds("add", "Bad Name", database_url=database_url)
    assert bad_name.returncode == 2 and "lowercase" in bad_name.stderr
    missing = feeds("rotate", "ghost", database_url=database_url)
    assert missing.returncode == 2 and "no partner named 'ghost'" in missing.stderr
    with opened._db.reading() as conn:
        assert list(conn.execute(partner_tokens.select())) == []


def test_config_partner_tokens_work_until_revoked_in_the_store(
    tmp_path: Path, database_url: str, opened: Store
) -> None:
    token = "fp_config-partner-token-for-tests-only-0123456789"
    config = tmp_path / "feeds.toml"
    config.write_text(
        '[site]\nlanguages = ["en", "ru"]\n'
        '[[partners]]\nname = "yandex"\nprofile = "yandex"\n'
        f'token_hashes = ["{hash_token(token)}"]\nlanguages = ["ru"]\n',
        encoding="utf-8",
    )
    from feeds.config import load_settings

    settings = load_settings(config, env={})
    registry = PartnerRegistry(opened, settings.partners)
    assert registry.by_token(token) is not None
    done = feeds("revoke", "yandex", database_url=database_url, config=config)
    assert done.returncode == 0, done.stderr
    assert registry.by_token(token) is None


def test_check_lists_each_left_out_story_with_its_rule(database_url: str, opened: Store) -> None:
    opened.upsert_articles(
        [
            story("good-one"),
            story("small-image", image_width=500),
            story("short", title="Too short"),
        ]
    )
    feeds("add", "msn-hub", "--profile", "msn", "--language", "en", database_url=database_url)
    done = feeds("check", "msn-hub", database_url=database_url)
    assert done.returncode == 1
    assert "[en] 1 stories in the feed" in done.stdout
    assert (
        "small-image: left out: lead image must be at least 720 px wide, is 500 px" in done.stdout
    )
    assert "short: left out: title must be 20-150 characters, is 9" in done.stdout
    assert "good-one" not in done.stdout
