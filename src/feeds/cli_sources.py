"""``feeds sources ...``, ``feeds poll`` and ``feeds aggregate``: the reader's commands."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from feeds.cli_common import ConfigOption, fail, settings_from, store_from
from feeds.store.sources import (
    SourceError,
    SourceRecord,
    SourceSpec,
    add_source,
    find_source,
    list_sources,
    remove_source,
)

sources_app = typer.Typer(help="External feeds the aggregator polls.", no_args_is_help=True)


def _ago(value: datetime | None, now: datetime) -> str:
    if value is None:
        return "never"
    seconds = int((value - now).total_seconds())
    later, seconds = seconds > 0, abs(seconds)
    amount = (
        f"{seconds}s"
        if seconds < 120
        else f"{seconds // 60}m"
        if seconds < 7200
        else f"{seconds // 3600}h"
        if seconds < 172_800
        else f"{seconds // 86_400}d"
    )
    return f"in {amount}" if later else f"{amount} ago"


@sources_app.command("add")
def add(
    url: Annotated[str, typer.Argument(help="The feed's URL (RSS, Atom or JSON Feed).")],
    lang: Annotated[
        str | None, typer.Option(help="Its language (default: from the feed, else detected).")
    ] = None,
    section: Annotated[str | None, typer.Option(help="Section for its stories.")] = None,
    interval: Annotated[
        int | None, typer.Option(help="Poll every N seconds (default: adaptive).")
    ] = None,
    title: Annotated[str | None, typer.Option(help="Display title (default: the feed's).")] = None,
    config: ConfigOption = None,
) -> None:
    """Register a source; it is polled at the next tick."""
    store = store_from(settings_from(config))
    try:
        with store.transaction() as conn:
            record = add_source(
                conn,
                SourceSpec(url=url, title=title, lang=lang, section=section, interval=interval),
            )
    except SourceError as exc:
        raise fail(str(exc)) from None
    finally:
        store.close()
    typer.echo(f"added source {record.id}: {record.url}")


@sources_app.command("list")
def list_command(config: ConfigOption = None) -> None:
    """A table of sources: status, last fetched, entries, next poll, last error."""
    store = store_from(settings_from(config))
    try:
        with store.reading() as conn:
            records = list_sources(conn)
    finally:
        store.close()
    now = datetime.now(UTC)
    table = Table(show_lines=False)
    for column in ("id", "status", "title", "lang", "fetched", "entries", "next poll", "error"):
        table.add_column(column, overflow="fold")
    styles = {"ok": "green", "new": "cyan", "gone": "red", "not-found": "red", "blocked": "red"}
    for s in records:
        status = s.health if s.enabled else f"{s.health} (disabled)"
        if s.consecutive_errors and s.health not in ("ok", "new"):
            status += f" ×{s.consecutive_errors}"
        table.add_row(
            str(s.id),
            f"[{styles.get(s.health, 'yellow')}]{status}[/]",
            s.display_title,
            s.lang or s.feed_lang or "?",
            _ago(s.last_fetched, now),
            str(s.entries),
            _ago(s.next_poll, now) if s.enabled else "-",
            (s.last_error or "")[:120],
        )
    Console().print(table)
    if not records:
        typer.echo("no sources yet: feeds sources add URL")


@sources_app.command("remove")
def remove(
    source: Annotated[str, typer.Argument(help="Source id or URL.")],
    config: ConfigOption = None,
) -> None:
    """Forget a source (its stories already stored stay)."""
    store = store_from(settings_from(config))
    try:
        with store.transaction() as conn:
            removed = remove_source(conn, source)
    finally:
        store.close()
    if removed is None:
        raise fail(f"no source {source!r}", 1)
    typer.echo(f"removed source {removed.id}: {removed.url}")


@sources_app.command("import")
def import_opml(
    file: Annotated[Path, typer.Argument(help="An OPML file.")],
    config: ConfigOption = None,
) -> None:
    """Add every feed of an OPML subscription list (already known URLs are skipped)."""
    from feeds.aggregate.opml import OPMLError, read_opml

    try:
        specs = read_opml(file.read_bytes(), str(file))
    except OSError as exc:
        raise fail(f"{file}: {exc.strerror}") from None
    except OPMLError as exc:
        raise fail(str(exc)) from None
    store = store_from(settings_from(config))
    added = skipped = 0
    problems: list[str] = []
    try:
        with store.transaction() as conn:
            for spec in specs:
                if find_source(conn, spec.url) is not None:
                    skipped += 1
                    continue
                try:
                    add_source(conn, spec, origin="opml")
                    added += 1
                except SourceError as exc:
                    problems.append(str(exc))
    finally:
        store.close()
    for problem in problems:
        typer.secho(problem, fg=typer.colors.YELLOW, err=True)
    typer.echo(f"imported {added} source(s); {skipped} already known; {len(problems)} refused")


@sources_app.command("export")
def export_opml(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Write all sources as OPML 2.0."""
    from feeds.aggregate.opml import write_opml

    settings = settings_from(config)
    store = store_from(settings)
    try:
        with store.reading() as conn:
            data = write_opml(list_sources(conn), f"{settings.site.publisher} sources")
    finally:
        store.close()
    if output is None:
        sys.stdout.buffer.write(data)
    else:
        output.write_bytes(data)


def poll(
    source: Annotated[
        list[str] | None, typer.Argument(help="Source ids or URLs (default: every enabled one).")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Poll sources once, now, in the foreground, with a progress bar and a summary."""
    from feeds.aggregate.pipeline import Aggregator, CycleSummary, PollReport

    settings = settings_from(config)
    store = store_from(settings)
    try:
        with store.reading() as conn:
            if source:
                records: list[SourceRecord] = []
                for ref in source:
                    found = find_source(conn, ref)
                    if found is None:
                        raise fail(f"no source {ref!r}", 1)
                    records.append(found)
            else:
                records = [s for s in list_sources(conn) if s.enabled]
        if not records and not settings.sources:
            typer.echo("no sources to poll: feeds sources add URL")
            return

        async def go() -> CycleSummary:
            async with Aggregator(settings, store) as aggregator:
                await asyncio.to_thread(aggregator.sync_config)
                with store.reading() as conn:
                    ids = [s.id for s in records] if source else None
                    if ids is None:
                        ids = [s.id for s in list_sources(conn) if s.enabled]
                with Progress(
                    TextColumn("polling"),
                    BarColumn(),
                    MofNCompleteColumn(),
                    TimeElapsedColumn(),
                    TextColumn("{task.description}"),
                    transient=False,
                ) as progress:
                    task = progress.add_task("", total=len(ids))

                    def advance(report: PollReport) -> None:
                        progress.update(task, advance=1, description=report.url[-50:])

                    return await aggregator.run_cycle(only=ids, on_report=advance)

        summary = asyncio.run(go())
    finally:
        store.close()
    typer.echo(
        f"polled {summary.polled} source(s): {summary.new} new, {summary.changed} changed, "
        f"{summary.not_modified} unchanged, {summary.errors} error(s)"
    )
    for report in summary.reports:
        if report.error:
            typer.secho(f"  {report.error}", fg=typer.colors.YELLOW)


def aggregate(
    workers: Annotated[
        int | None,
        typer.Option(help="Parser processes (default: one per CPU; 0 = threads)."),
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Run the polling daemon until SIGTERM or Ctrl-C (several may share one PostgreSQL)."""
    from feeds.aggregate.daemon import make_parse_executor, run_aggregator

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # one line per tick is noise
    settings = settings_from(config)
    store = store_from(settings)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        executor = make_parse_executor(workers)
        try:
            await run_aggregator(settings, store, stop, parse_executor=executor)
        finally:
            executor.shutdown(wait=True)

    try:
        asyncio.run(main())
    finally:
        store.close()


def register(app: typer.Typer) -> None:
    """Mount ``feeds sources``, ``feeds poll`` and ``feeds aggregate`` on the main app."""
    app.add_typer(sources_app, name="sources")
    app.command("poll")(poll)
    app.command("aggregate")(aggregate)
