"""One error root: every error feeds raises is a ``FeedsError``, and the ``feeds``
command turns any of them into one ``error:`` line with exit status 2."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import typer
from typer.testing import CliRunner

import feeds
from feeds.cli_common import FeedsGroup
from feeds.config import ConfigError
from feeds.errors import FeedsError
from feeds.store.sources import SourceError


def project_exceptions() -> list[type[BaseException]]:
    """Every exception class defined in a ``feeds`` module."""
    found: dict[str, type[BaseException]] = {}
    for module_info in pkgutil.walk_packages(feeds.__path__, "feeds."):
        if ".migrations." in module_info.name:
            continue  # Alembic revision scripts: run by Alembic, define no errors
        module = importlib.import_module(module_info.name)
        for name, value in vars(module).items():
            if (
                inspect.isclass(value)
                and issubclass(value, BaseException)
                and value.__module__ == module.__name__
            ):
                found[f"{module.__name__}.{name}"] = value
    return [found[name] for name in sorted(found)]


def test_every_project_error_derives_from_the_root() -> None:
    errors = project_exceptions()
    assert len(errors) > 10
    outside = [e.__qualname__ for e in errors if not issubclass(e, FeedsError)]
    assert outside == []


def test_errors_keep_the_standard_base_their_callers_catch() -> None:
    assert issubclass(ConfigError, ValueError)
    assert issubclass(SourceError, ValueError)


def test_a_feeds_error_from_any_command_is_one_line_and_exit_2() -> None:
    app = typer.Typer(cls=FeedsGroup)

    @app.command()
    def add() -> None:
        raise SourceError("source 'x' is already registered")

    @app.command()
    def other() -> None:
        pass

    result = CliRunner().invoke(app, ["add"])
    assert result.exit_code == 2
    assert result.stderr == "error: source 'x' is already registered\n"
    assert result.stdout == ""
