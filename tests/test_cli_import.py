"""`feeds import`: bad files are reported with path and reason; the rest import."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from feeds.store import open_store
from tests.command import run_feeds
from tests.hostile_documents import CASES

GOOD = {
    "id": "2026-11-wine-fair",
    "published": "2026-11-21T18:00:00+04:00",
    "translations": {"en": {"title": "Wine fair opens", "url": "https://n.example/en/wine"}},
}


def feeds(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    return run_feeds(*args, env={"FEEDS_DATABASE_URL": database_url, "PATH": "/usr/bin:/bin"})


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    articles = tmp_path / "articles"
    articles.mkdir()
    (articles / "good.json").write_text(json.dumps(GOOD), encoding="utf-8")
    lines = [dict(GOOD, id=f"wire-{i}") for i in range(3)]
    (articles / "wire.ndjson").write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    naive = dict(GOOD, id="naive", published="2026-11-21T18:00:00")
    (articles / "naive.json").write_text(json.dumps(naive), encoding="utf-8")
    (articles / "broken.json").write_text('{"id": "broken", ', encoding="utf-8")
    return articles


def test_bad_files_are_named_and_good_ones_import(folder: Path, database_url: str) -> None:
    result = feeds("import", str(folder), database_url=database_url)
    assert result.returncode == 1
    assert f"{folder / 'naive.json'}: article naive is invalid: published:" in result.stderr
    assert f"{folder / 'broken.json'}: not valid JSON" in result.stderr
    assert "imported 4 article(s) from 2 file(s); 2 bad file(s)" in result.stdout
    store = open_store(database_url)
    assert store.get_article("2026-11-wine-fair") is not None
    assert store.get_article("wire-2") is not None
    assert store.get_article("naive") is None
    store.close()


def test_atomic_imports_nothing_when_one_file_is_bad(folder: Path, database_url: str) -> None:
    result = feeds("import", "--atomic", str(folder), database_url=database_url)
    assert result.returncode == 1
    assert "nothing imported (--atomic)" in result.stderr
    store = open_store(database_url)
    assert store.get_article("2026-11-wine-fair") is None
    store.close()


def test_importing_twice_changes_nothing(folder: Path, database_url: str) -> None:
    (folder / "naive.json").unlink()
    (folder / "broken.json").unlink()
    assert feeds("import", str(folder), database_url=database_url).returncode == 0
    store = open_store(database_url)
    first = store.get_article("wire-1")
    assert feeds("import", "--atomic", str(folder), database_url=database_url).returncode == 0
    assert store.get_article("wire-1") == first
    store.close()


def test_a_bad_database_url_is_one_readable_line(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text(json.dumps(GOOD), encoding="utf-8")
    result = feeds("import", str(tmp_path), database_url="oracle://nope")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: database URL 'oracle://nope': only sqlite and postgresql are supported"
    ]


def test_every_hostile_document_is_one_line_naming_its_file_and_field(
    tmp_path: Path, database_url: str
) -> None:
    # The same cases the ingest API refuses (tests/hostile_documents.py), through the other door.
    folder = tmp_path / "hostile"
    folder.mkdir()
    cases = [c for c in CASES if not c.only_against_url]
    for number, case in enumerate(cases):
        (folder / f"{number:03d}.json").write_text(case.body, encoding="utf-8")
    result = feeds("import", str(folder), database_url=database_url)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == len(cases), lines[:5]
    for number, case in enumerate(cases):
        line = lines[number]
        assert line.startswith(f"{folder / f'{number:03d}.json'}: "), (case.id, line)
        if case.field == "(document)":  # refused before any field is read
            reasons = ("(document)", "not valid JSON", "nested too deeply", "not a JSON number")
            assert any(reason in line for reason in reasons), (case.id, line)
        else:
            assert f" is invalid: {case.field}" in line or f"; {case.field}" in line, (
                case.id,
                line,
            )
    assert f"imported 0 article(s) from 0 file(s); {len(cases)} bad file(s)" in result.stdout
    store = open_store(database_url)
    assert store.all_articles() == []
    assert store.revision().number == 0
    store.close()
