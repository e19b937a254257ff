"""The ``feeds`` command: serve, migrate, import; sources and partners as sub-commands."""

from __future__ import annotations

import ipaddress
import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

from feeds.cli_common import (
    ConfigOption,
    FeedsGroup,
    fail,
    remember_root_config,
    settings_from,
    store_from,
)
from feeds.cli_operators import register as register_operators
from feeds.cli_partners import partners_app
from feeds.cli_sources import register as register_sources
from feeds.config import Settings
from feeds.hostnames import check_hostname
from feeds.importing import expand_paths, read_file
from feeds.store import Store
from feeds.syndicate.registry import PartnerRegistry
from feeds.version import installed_version

app = typer.Typer(
    cls=FeedsGroup,
    help="Publish and read news feeds for a multilingual newsroom.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")


def _print_version(asked: bool) -> None:
    if asked:
        typer.echo(f"feeds {installed_version()}")
        raise typer.Exit()


@app.callback()
def root(
    config: ConfigOption = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Print the installed version and exit.",
            callback=_print_version,
            is_eager=True,
        ),
    ] = False,
) -> None:
    """Publish and read news feeds for a multilingual newsroom.

    ``--config`` here applies to every sub-command (``feeds --config f.toml serve``);
    the sub-commands read it through ``cli_common.settings_from``.
    """
    remember_root_config(config)


def _listen_problem(host: str, port: int) -> str | None:
    """Why uvicorn could not listen on ``host``:``port``, said before anything starts."""
    if not 1 <= port <= 65535:
        return f"--port {port}: must be 1-65535"
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        problem = check_hostname(host)
        if problem:
            return f"--host: {problem}; e.g. 127.0.0.1, 0.0.0.0 or localhost"
    return None


@db_app.command("upgrade")
def db_upgrade(config: ConfigOption = None) -> None:
    """Create or migrate the database to the latest schema."""
    settings = settings_from(config)
    store = store_from(settings, migrate=True)
    store.close()
    typer.echo(f"database is up to date ({store.backend})")


@app.command("import")
def import_articles(
    paths: Annotated[list[Path], typer.Argument(help="JSON/NDJSON files or folders of them.")],
    atomic: Annotated[bool, typer.Option("--atomic", help="Import everything or nothing.")] = False,
    config: ConfigOption = None,
) -> None:
    """Import articles from JSON (one per file) or NDJSON (one per line) files."""
    settings = settings_from(config)
    parsed = [read_file(p) for p in expand_paths(paths)]
    if not parsed:
        raise fail("no .json or .ndjson files found in " + ", ".join(map(str, paths)))
    bad = [p for p in parsed if p.error]
    for item in bad:
        typer.secho(f"{item.path}: {item.error}", fg=typer.colors.RED, err=True)
    if atomic and bad:
        raise fail(f"{len(bad)} bad file(s); nothing imported (--atomic)", 1)
    store = store_from(settings)
    good = [p for p in parsed if not p.error]
    imported = 0
    try:
        if atomic:
            batch = [a for p in good for a in p.articles]
            store.upsert_articles(batch)
            imported = len(batch)
        else:
            for item in good:
                store.upsert_articles(item.articles)
                imported += len(item.articles)
    finally:
        store.close()
    typer.echo(f"imported {imported} article(s) from {len(good)} file(s); {len(bad)} bad file(s)")
    if bad:
        raise typer.Exit(1)


def _warn_about_unservable_partners(settings: Settings, store: Store) -> None:
    """Partners stored before settings were checked get 503s; say so once at start too."""
    log = logging.getLogger("feeds.partners")
    for record in PartnerRegistry(store, settings.partners).all():
        if record.problems and not record.revoked:
            problems = "; ".join(record.problems)
            log.warning(
                "partner %s is answered 503 until its settings are fixed: %s", record.name, problems
            )


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    aggregate: Annotated[
        bool, typer.Option("--aggregate/--no-aggregate", help="Run the aggregator in this process.")
    ] = True,
    config: ConfigOption = None,
) -> None:
    """Serve the feeds, the HTML pages and the APIs over HTTP."""
    if (problem := _listen_problem(host, port)) is not None:
        raise fail(problem)
    import uvicorn

    from feeds.web.app import create_app

    # One line per event for operators: aggregator cycles, cache refreshes, WebSub pings.
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    settings = settings_from(config)
    store = store_from(settings)
    _warn_about_unservable_partners(settings, store)
    web_app = create_app(settings, store, run_aggregator=aggregate and settings.aggregator.enabled)
    # "[::1]" is how a URL writes an IPv6 address; the socket wants it bare.
    bare = host.removeprefix("[").removesuffix("]")
    uvicorn.run(web_app, host=bare, port=port, log_level="info", proxy_headers=False)


app.add_typer(partners_app, name="partners")
register_sources(app)  # sources, poll, aggregate
register_operators(app)  # operators of the console at /admin


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
