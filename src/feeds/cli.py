"""The ``feeds`` command: serve, migrate, import; sources and partners as sub-commands."""

from __future__ import annotations

import contextlib
import enum
import ipaddress
import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated, Any

import typer

from feeds.cli_common import (
    ConfigOption,
    FeedsGroup,
    LogFormatOption,
    LogLevelOption,
    fail,
    log_options_problem,
    remember_root_config,
    root_config,
    settings_from,
    start_logging,
    store_from,
)
from feeds.cli_operators import register as register_operators
from feeds.cli_partners import partners_app
from feeds.cli_sources import register as register_sources
from feeds.config import Settings
from feeds.configtable import SECTIONS, check_document, render_section, update_document
from feeds.hostnames import check_hostname
from feeds.importing import expand_paths, read_file
from feeds.store import Store, downgrade_database
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
config_app = typer.Typer(
    help="The settings: file keys and FEEDS_* variables.", no_args_is_help=True
)
app.add_typer(config_app, name="config")


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


@db_app.command("downgrade")
def db_downgrade(
    revision: Annotated[str, typer.Argument(help="The schema revision to go back to, e.g. 0007.")],
    config: ConfigOption = None,
) -> None:
    """Take the schema back to REVISION, before installing the older feeds that expects it.

    Run with the version that migrated (it has the way back); stop every feeds process first.
    """
    settings = settings_from(config)
    before, after = downgrade_database(settings.database_url, revision)
    typer.echo(f"database schema {before} -> {after}")


@db_app.command("backup")
def db_backup(
    target: Annotated[Path, typer.Argument(help="The copy to write (must not exist).")],
    config: ConfigOption = None,
) -> None:
    """Copy the SQLite database while it serves (SQLite's online backup); PostgreSQL: pg_dump."""
    settings = settings_from(config)
    store = store_from(settings, migrate=False)
    try:
        done = store.backup(target)
    finally:
        store.close()
    typer.echo(f"backed up to {done.path} ({done.pages} pages, {done.bytes} bytes)")


@config_app.command("docs")
def config_docs(
    document: Annotated[
        Path | None,
        typer.Argument(help="A document with marked settings tables (docs/configuration.md)."),
    ] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Only say whether DOCUMENT is up to date.")
    ] = False,
) -> None:
    """Print the tables of settings, or rewrite those marked in DOCUMENT."""
    if document is None:
        for section in SECTIONS:
            typer.echo(f"## [{section}]\n\n{render_section(section)}\n")
        return
    try:
        text = document.read_text(encoding="utf-8")
    except OSError as exc:
        raise fail(f"{document}: {exc.strerror}") from None
    if check:
        problems = check_document(text)
        for problem in problems:
            typer.echo(f"{document}: {problem} (run: feeds config docs {document})", err=True)
        raise typer.Exit(1 if problems else 0)
    document.write_text(update_document(text), encoding="utf-8")


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


class EventLoop(enum.StrEnum):
    """``feeds serve --loop``. asyncio's is the default: it accepts every waiting connection
    at once, where uvloop (uvicorn's own default) takes one per iteration of a busy loop,
    and at 500 new connections left half of them waiting seconds (bench/scaleout.py)."""

    ASYNCIO = "asyncio"
    UVLOOP = "uvloop"


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[
        int, typer.Option(help="Web worker processes (the aggregator runs once beside them).")
    ] = 1,
    aggregate: Annotated[
        bool, typer.Option("--aggregate/--no-aggregate", help="Run the aggregator too.")
    ] = True,
    proxy_headers: Annotated[
        bool,
        typer.Option(
            "--proxy-headers/--no-proxy-headers",
            help="Take the client address and scheme from X-Forwarded-For and "
            "X-Forwarded-Proto sent by a trusted proxy (--forwarded-allow-ips).",
        ),
    ] = False,
    forwarded_allow_ips: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated addresses or networks of the proxies trusted with "
            "--proxy-headers, or * for any (default: $FORWARDED_ALLOW_IPS or 127.0.0.1).",
            show_default=False,
        ),
    ] = None,
    loop: Annotated[
        EventLoop,
        typer.Option(
            help="The event loop. uvloop may serve more requests a second, but while busy "
            "it accepts one new connection per loop iteration (docs/benchmarks.md)."
        ),
    ] = EventLoop.ASYNCIO,
    log_format: LogFormatOption = None,
    log_level: LogLevelOption = None,
    config: ConfigOption = None,
) -> None:
    """Serve the feeds, the HTML pages and the APIs over HTTP.

    The database is migrated once, here, before any worker starts. With ``--workers``
    above 1 each worker builds the app with ``feeds.web.app.create_app`` from the same
    settings, and ``PROMETHEUS_MULTIPROC_DIR``, unless set, is a folder of this run's own
    (made at start, removed at exit) so that any worker's /metrics counts for all.
    """
    problem = (
        _listen_problem(host, port)
        or _serve_problem(workers, proxy_headers, forwarded_allow_ips)
        or log_options_problem(log_format, log_level)
    )
    if problem is not None:
        raise fail(problem)
    import uvicorn

    from feeds.aggregate import embedded
    from feeds.web.app import build_app

    # One line per event for operators: requests, aggregator cycles, WebSub pings.
    settings = start_logging(settings_from(config), log_format, log_level)
    store = store_from(settings)  # migrates, under the store's migration lock
    _warn_about_unservable_partners(settings, store)
    polling = aggregate and settings.aggregator.enabled
    # "[::1]" is how a URL writes an IPv6 address; the socket wants it bare.
    options: dict[str, Any] = {
        "host": host.removeprefix("[").removesuffix("]"),
        "port": port,
        "log_config": None,  # feeds.logs has uvicorn's loggers, in every worker
        "log_level": None,
        "proxy_headers": proxy_headers,
        "loop": loop.value,
    }
    if forwarded_allow_ips is not None:
        options["forwarded_allow_ips"] = forwarded_allow_ips
    if workers == 1:
        jobs = [embedded.job(settings, store)] if polling else []
        # The aggregator's process counts its polls in the folder; /metrics adds this
        # process's own counts (feeds.web.metrics).
        with _metrics_folder() if polling else nullcontext():
            uvicorn.run(build_app(settings, store, jobs=jobs), **options)
        return
    store_url = store.url
    store.close()
    chosen = config if config is not None else root_config()
    if chosen is not None:  # the workers read the same file (and the same FEEDS_* variables)
        os.environ["FEEDS_CONFIG"] = str(chosen.resolve())
    os.environ["FEEDS_LOG_FORMAT"] = settings.log.format  # the workers log as this process
    os.environ["FEEDS_LOG_LEVEL"] = settings.log.level
    with _metrics_folder(), embedded.running(settings, store_url) if polling else nullcontext():
        uvicorn.run("feeds.web.app:create_app", factory=True, workers=workers, **options)


def _serve_problem(workers: int, proxy_headers: bool, allow: str | None) -> str | None:
    if workers < 1:
        return f"--workers {workers}: must be 1 or more"
    if allow is None:
        return None
    if not proxy_headers:
        return "--forwarded-allow-ips is used only with --proxy-headers"
    for item in (part.strip() for part in allow.split(",")):
        if item == "*":
            continue
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            return f"--forwarded-allow-ips: {item!r} is not an address or network (or *)"
    return None


@contextlib.contextmanager
def _metrics_folder() -> Iterator[None]:
    """``PROMETHEUS_MULTIPROC_DIR`` for this run's processes, unless already set (then it
    is the operator's to create and clear): made empty, removed at the end."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        yield
        return
    folder = tempfile.mkdtemp(prefix="feeds-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder
    try:
        yield
    finally:
        os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
        shutil.rmtree(folder, ignore_errors=True)


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
