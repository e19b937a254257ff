"""A partner row stored before settings were checked (bad profile, bad options) is
answered with a clear 503 and a log line, never a 500; ``feeds partners check`` and
``list`` report it; the other partners are unaffected."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert
from typer.testing import CliRunner

from feeds.cli import app
from feeds.store import Store
from feeds.store import partners as table
from feeds.store.partners import PartnerError, PartnerRecord, hash_token
from tests.live import free_port
from tests.stories import story
from tests.web_support import fetch, served

NOW = datetime.now(UTC)


def store_the_old_way(store: Store, name: str, profile: str, scope: object) -> str:
    """Write a partner and a token as an older version did: no checks at all."""
    token = f"fp_{name}-stored-before-checks-0123456789"
    with store._db.transaction() as conn:
        conn.execute(
            insert(table.partners).values(
                name=name,
                profile=profile,
                scope=scope if isinstance(scope, str) else json.dumps(scope),
                created_at=NOW,
            )
        )
        conn.execute(
            insert(table.partner_tokens).values(
                token_hash=hash_token(token), partner=name, created_at=NOW
            )
        )
    return token


@pytest.mark.parametrize(
    ("profile", "scope", "problem"),
    [
        (
            "generic",
            {"options": {"rate_limit": "abc"}},
            "options.rate_limit: must be a whole number of at least 1, got 'abc'",
        ),
        (
            "smartnws",
            {},
            "profile: 'smartnws' is not a profile (one of: generic, summary, msn, flipboard, "
            "feedly, yandex, smartnews)",
        ),
        (
            "generic",
            {"options": {"max_items": "ten"}},
            "options.max_items: must be a whole number of at least 1, got 'ten'",
        ),
        (
            "generic",
            "{not json",
            "scope: not a JSON object (the row is damaged; add the partner again)",
        ),
    ],
)
def test_a_stored_partner_with_bad_settings_gets_503_and_a_log_line_not_a_500(
    store: Store,
    caplog: pytest.LogCaptureFixture,
    profile: str,
    scope: object,
    problem: str,
) -> None:
    store.upsert_articles([story("one")])
    bad = store_the_old_way(store, "old-portal", profile, scope)
    with store._db.transaction() as conn:
        good = table.add_partner(conn, PartnerRecord("fine"), NOW)
    with caplog.at_level(logging.ERROR, logger="feeds.partners"), served(store) as base:
        answer = fetch(base + "/partners/old-portal/en/rss", {"Authorization": f"Bearer {bad}"})
        other = fetch(base + "/partners/fine/en/rss", {"Authorization": f"Bearer {good}"})
        stranger = fetch(base + "/partners/old-portal/en/rss")
    assert answer.status == 503
    assert answer.body == b"this partner's settings need fixing by the newsroom; try again later\n"
    assert answer.header("Retry-After") == "3600"
    assert other.status == 200
    assert stranger.status == 401  # no hint about settings before a credential is shown
    assert f"partner old-portal cannot be served: {problem}" in caplog.messages


def test_partners_check_and_list_report_bad_stored_settings_without_a_traceback(
    database_url: str, store: Store
) -> None:
    store_the_old_way(store, "old-portal", "generic", {"options": {"rate_limit": "abc"}})
    env = {"FEEDS_DATABASE_URL": database_url, "FEEDS_CONFIG": ""}
    checked = CliRunner().invoke(app, ["partners", "check", "old-portal"], env=env)
    assert checked.exit_code == 1
    assert checked.exception is None or isinstance(checked.exception, SystemExit)
    assert checked.stdout == (
        "old-portal: settings: options.rate_limit: must be a whole number of at least 1, "
        "got 'abc'\n"
        "old-portal: its feeds answer 503 until its settings are fixed (feeds partners set "
        "old-portal --profile P --option KEY=VALUE --unset KEY)\n"
    )
    listed = CliRunner().invoke(app, ["partners", "list"], env=env)
    assert listed.exit_code == 0
    assert listed.stdout == (
        "old-portal\tgeneric\tall languages\tstore\t1 token(s); bad settings "
        "(see feeds partners check)\n"
    )


def test_the_store_refuses_to_write_bad_settings(store: Store) -> None:
    with pytest.raises(PartnerError) as caught, store._db.transaction() as conn:
        table.add_partner(conn, PartnerRecord("p", options={"rate_limit": "abc"}), NOW)
    assert str(caught.value) == (
        "partner 'p': options.rate_limit: must be a whole number of at least 1, got 'abc'"
    )
    with store._db.reading() as conn:
        assert table.list_partners(conn) == []


def test_serve_names_a_partner_it_cannot_serve_when_it_starts(
    database_url: str, store: Store
) -> None:
    store_the_old_way(store, "old-portal", "smartnws", {})
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "FEEDS_DATABASE_URL": database_url}
    command = [sys.executable, "-m", "feeds.cli", "serve", "--no-aggregate"]
    server = subprocess.Popen(
        [*command, "--port", str(free_port())],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    lines: list[str] = []
    watchdog = threading.Timer(120, server.kill)  # a server that never starts ends the loop
    watchdog.start()
    try:
        assert server.stderr is not None
        for line in server.stderr:
            lines.append(line)
            if "Uvicorn running" in line:
                break
    finally:
        watchdog.cancel()
        server.terminate()
        server.wait(timeout=30)
    warning = next(line for line in lines if "old-portal" in line)
    assert warning.rstrip().endswith(
        f"WARNING feeds.partners[{server.pid}]: partner old-portal is answered 503 until its "
        "settings are fixed: profile: 'smartnws' is not a profile (one of: generic, summary, "
        "msn, flipboard, feedly, yandex, smartnews)"
    )
    assert "Uvicorn running" in lines[-1]


def test_partners_set_fixes_a_bad_stored_row_and_its_token_keeps_working(
    database_url: str, store: Store
) -> None:
    scope = {"languages": ["ru"], "options": {"rate_limit": "abc", "genre": "article"}}
    token = store_the_old_way(store, "old-portal", "smartnws", scope)
    store.upsert_articles([story("one")])
    env = {"FEEDS_DATABASE_URL": database_url, "FEEDS_CONFIG": ""}
    still_bad = CliRunner().invoke(
        app, ["partners", "set", "old-portal", "--profile", "yandex"], env=env
    )
    assert still_bad.exit_code == 2
    assert still_bad.stderr == (
        "error: partner 'old-portal': options.rate_limit: must be a whole number of at least 1, "
        "got 'abc'\n"
    )
    change = ["--profile", "yandex", "--unset", "rate_limit", "--option", "max_items=5"]
    fixed = CliRunner().invoke(app, ["partners", "set", "old-portal", *change], env=env)
    assert fixed.exit_code == 0, fixed.stderr
    assert fixed.stdout == "updated partner old-portal (profile yandex)\n"
    with store._db.reading() as conn:
        record = table.load_partner(conn, "old-portal")
    assert record is not None
    assert (record.profile, record.languages, record.problems) == ("yandex", ("ru",), ())
    assert record.options == {"genre": "article", "max_items": 5}
    with served(store) as base:
        answer = fetch(base + "/partners/old-portal/ru/rss", {"Authorization": f"Bearer {token}"})
    assert answer.status == 200
    assert b"<yandex:genre>article</yandex:genre>" in answer.body
