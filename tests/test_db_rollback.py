"""The way back of docs/deploy.md's upgrade: ``feeds db downgrade REVISION`` takes the
schema back (under the migration lock) so that the older version starts on it, keeping
the stories; ``feeds db upgrade`` then goes forward again."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from feeds.cli import app
from feeds.store import StoreError, open_store
from feeds.store.migrate import revisions

REPO = Path(__file__).resolve().parents[1]


def test_downgrade_one_revision_then_upgrade_keeps_the_stories(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/feeds.db"
    env = {"FEEDS_CONFIG": "", "FEEDS_DATABASE_URL": url}
    runner = CliRunner()
    imported = runner.invoke(app, ["import", str(REPO / "examples" / "articles")], env=env)
    assert imported.exit_code == 0, imported.output
    head, previous = revisions()[:2]

    back = runner.invoke(app, ["db", "downgrade", previous], env=env)
    assert back.exit_code == 0, back.output
    assert back.stdout == f"database schema {head} -> {previous}\n"
    with pytest.raises(StoreError, match="not at the latest schema"):
        open_store(url, migrate=False)  # this version now refuses it; the older one would not

    assert runner.invoke(app, ["db", "upgrade"], env=env).exit_code == 0
    store = open_store(url, migrate=False)
    try:
        story = store.get_article("2026-11-yerevan-winter-wine-fair")
        assert story is not None and story.translations
    finally:
        store.close()


def test_an_unknown_revision_is_one_error_line_and_changes_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/feeds.db"
    env = {"FEEDS_CONFIG": "", "FEEDS_DATABASE_URL": url}
    assert CliRunner().invoke(app, ["db", "upgrade"], env=env).exit_code == 0
    result = CliRunner().invoke(app, ["db", "downgrade", "0099"], env=env)
    assert result.exit_code == 2
    assert result.stderr == f"error: no schema revision '0099' (one of: {', '.join(revisions())})\n"
    open_store(url, migrate=False).close()  # still at the head
