"""The import-linter contracts in pyproject.toml name every room: a new top-level module
or package under src/feeds is placed in the house (or the test says which one is not)."""

from __future__ import annotations

import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TOP = {
    "feeds.__main__",
    "feeds.cli",
    "feeds.cli_common",
    "feeds.cli_operators",
    "feeds.cli_partners",
    "feeds.cli_sources",
}


def _rooms() -> set[str]:
    found = set()
    for path in (REPO / "src" / "feeds").iterdir():
        if path.suffix == ".py" and path.stem != "__init__":
            found.add(f"feeds.{path.stem}")
        elif (path / "__init__.py").exists():
            found.add(f"feeds.{path.name}")
    return found


def _contract(contract_id: str) -> dict[str, object]:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    return next(c for c in contracts if c["id"] == contract_id)


def test_every_room_below_the_top_is_kept_from_importing_web_and_the_cli() -> None:
    named = set(_contract("web-and-cli-on-top")["source_modules"])  # type: ignore[arg-type]
    missing = _rooms() - TOP - {"feeds.web"} - named
    assert not missing, f"add {sorted(missing)} to the web-and-cli-on-top contract"


def test_every_room_but_the_store_is_kept_from_importing_the_database() -> None:
    named = set(_contract("database-behind-the-store")["source_modules"])  # type: ignore[arg-type]
    missing = _rooms() - {"feeds.store", "feeds.__main__"} - named
    assert not missing, f"add {sorted(missing)} to the database-behind-the-store contract"
