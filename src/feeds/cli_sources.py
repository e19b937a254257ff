"""``feeds sources ...``, ``feeds poll`` and ``feeds aggregate``: the reader's commands."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from feeds.aggregate.urls import SourceURLError, by_normal_form, normalize_source_url
from feeds.cli_common import (
    ConfigOption,
    LogFormatOption,
    LogLevelOption,
    fail,
    log_options_problem,
    settings_from,
    start_logging,
    store_from,
)
from feeds.config import Settings
from feeds.model import check_language_tag, is_site_path
from feeds.store import Store
from feeds.store.sources import SourceError, SourceRecord, SourceSpec

if TYPE_CHECKING:
    from feeds.aggregate.discover import CheckedFeed

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


# Health after a poll that counts as a failure for ``feeds poll``'s exit code. ``degraded``
# (read, but some entries refused) is a success: the feed itself works.
FAILED_HEALTH = frozenset({"error", "blocked", "not-found", "gone"})


def _known_urls(
    stored_urls: Sequence[tuple[int, str]], settings: Settings
) -> dict[str, tuple[str, str]]:
    """Every source URL already known, normalised: the store's, then the config file's
    ``[[sources]]`` (registered at the next poll or daemon start)."""
    stored = [(f"source {sid}", url) for sid, url in stored_urls]
    declared = [
        ("a [[sources]] entry of the config file", settings.site.absolute(s.url))
        for s in settings.sources
    ]
    return by_normal_form([*stored, *declared])


def _refuse_duplicate(url: str, known: dict[str, tuple[str, str]]) -> None:
    if url in known:
        who, spelled = known[url]
        raise fail(f"{url} is already {who}: {spelled}")


def _check_options(lang: str | None, interval: int | None) -> None:
    """What ``add_source`` would refuse, refused before anything is fetched."""
    if lang is not None and (problem := check_language_tag(lang)):
        raise fail(problem)
    if interval is not None and interval <= 0:
        raise fail(f"interval must be a positive number of seconds, got {interval}")


def _fetch_once(settings: Settings, url: str, pick: int) -> CheckedFeed:
    from feeds.aggregate.discover import check_source
    from feeds.aggregate.fetch import Fetcher

    async def go() -> CheckedFeed:
        async with Fetcher(settings.aggregator) as fetcher:
            return await check_source(fetcher, url, pick)

    return asyncio.run(go())


def _describe(checked: CheckedFeed) -> str:
    facts = [f"{checked.title!r}" if checked.title else "no title"]
    facts.append(f"lang {checked.lang}" if checked.lang else "language unknown")
    facts.append(f"{checked.entries} entries")
    return ", ".join(facts)


@sources_app.command("add")
def add(
    url: Annotated[
        str, typer.Argument(help="A feed URL (RSS, Atom, JSON Feed) or a page linking to one.")
    ],
    lang: Annotated[
        str | None, typer.Option(help="Its language (default: from the feed, else detected).")
    ] = None,
    section: Annotated[str | None, typer.Option(help="Section for its stories.")] = None,
    interval: Annotated[
        int | None, typer.Option(help="Poll every N seconds (default: adaptive).")
    ] = None,
    title: Annotated[str | None, typer.Option(help="Display title (default: the feed's).")] = None,
    check: Annotated[
        bool,
        typer.Option(
            "--check/--no-check",
            help="Fetch it once and read it before adding (--no-check: add without fetching).",
        ),
    ] = True,
    pick: Annotated[
        int,
        typer.Option(help="Which of the feeds an HTML page links to (1 = the first).", min=1),
    ] = 1,
    config: ConfigOption = None,
) -> None:
    """Register a source after fetching it once; it is polled at the next tick."""
    settings = settings_from(config)
    normal = normalize_source_url(url)
    _check_options(lang, interval)
    store = store_from(settings)
    try:
        _refuse_duplicate(normal, _known_urls(store.sources.urls(), settings))
        checked: CheckedFeed | None = None
        if check:
            checked = _fetch_once(settings, normal, pick)
            if checked.page is not None:
                typer.echo(f"{checked.page} is a page that links to {len(checked.links)} feed(s):")
                for number, link in enumerate(checked.links, 1):
                    named = f" {link.title!r}" if link.title else ""
                    typer.echo(f"  {number}. {link.url} ({link.kind}){named}")
                typer.echo(f"adding feed {pick}" + ("" if pick > 1 else " (--pick N for another)"))
        spec = SourceSpec(
            url=checked.url if checked else normal,
            title=title,
            lang=lang,
            section=section,
            interval=interval,
        )
        record = store.sources.add(
            spec,
            feed_title=checked.title if checked else None,
            feed_lang=checked.lang if checked else None,
            vet=lambda stored: _refuse_duplicate(spec.url, _known_urls(stored, settings)),
        )
    finally:
        store.close()
    about = f" ({_describe(checked)})" if checked else " (not fetched: --no-check)"
    typer.echo(f"added source {record.id}: {record.url}{about}")


def _iso(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a Z, or None."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _as_json(s: SourceRecord, entries: int) -> dict[str, object]:
    return {
        "id": s.id,
        "url": s.url,
        "title": s.title or s.feed_title,
        "lang": s.lang or s.feed_lang,
        "section": s.section,
        "origin": s.origin,
        "enabled": s.enabled,
        "health": s.health,
        "consecutive_errors": s.consecutive_errors,
        "entries": entries,
        "skipped": s.skipped,
        "skip_reasons": list(s.skip_reasons),
        "last_error": s.last_error,
        "last_poll": _iso(s.last_fetched),
        "last_success": _iso(s.last_success),
        "next_poll": _iso(s.next_poll) if s.enabled else None,
    }


@sources_app.command("list")
def list_command(
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per source, in a JSON array.")
    ] = False,
    config: ConfigOption = None,
) -> None:
    """A table of sources: status, title, URL, last fetched, entries, next poll, last error."""
    store = store_from(settings_from(config))
    try:
        listed = store.sources.with_entry_counts()
    finally:
        store.close()
    records = [s for s, _ in listed]
    counts = {s.id: n for s, n in listed}
    if as_json:
        rows = [_as_json(s, counts.get(s.id, 0)) for s in records]
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    now = datetime.now(UTC)
    table = Table(show_lines=False)
    for column in ("id", "status", "title", "url", "lang", "fetched", "entries", "next poll"):
        table.add_column(column, overflow="fold")
    table.add_column("error", overflow="fold", ratio=1, min_width=20)
    styles = {"ok": "green", "new": "cyan", "gone": "red", "not-found": "red", "blocked": "red"}
    for s in records:
        status = s.health if s.enabled else f"{s.health} (disabled)"
        if s.consecutive_errors and s.health not in ("ok", "new"):
            status += f" ×{s.consecutive_errors}"
        if s.skipped:
            status += f", {s.skipped} entries refused"
        # Text, not markup strings: a feed title or an error message may contain [brackets]
        # ("add it to [aggregator] allow_hosts"), which Rich would take as markup and drop.
        table.add_row(
            Text(str(s.id)),
            Text(status, style=styles.get(s.health, "yellow")),
            Text(s.title or s.feed_title or ""),
            Text(s.url),
            Text(s.lang or s.feed_lang or "?"),
            Text(_ago(s.last_fetched, now)),
            Text(str(counts.get(s.id, 0))),
            Text(_ago(s.next_poll, now) if s.enabled else "-"),
            Text(s.last_error or ""),
        )
    Console().print(table)
    if not records:
        typer.echo("no sources yet: feeds sources add URL")


def _find(store: Store, ref: str) -> SourceRecord | None:
    """A source by id, by URL as stored, or by any other spelling of that URL."""
    found = store.sources.find(ref)
    if found is not None or ref.strip().isdigit():
        return found
    try:
        normal = normalize_source_url(ref)
    except SourceURLError:
        return None
    match = by_normal_form(store.sources.urls()).get(normal)
    return store.sources.find(match[0]) if match else None


@sources_app.command("remove")
def remove(
    source: Annotated[str, typer.Argument(help="Source id or URL.")],
    config: ConfigOption = None,
) -> None:
    """Forget a source (its stories already stored stay)."""
    store = store_from(settings_from(config))
    try:
        found = _find(store, source)
        removed = store.sources.remove(found.id) if found else None
    finally:
        store.close()
    if removed is None:
        raise fail(f"no source {source!r}", 1)
    typer.echo(f"removed source {removed.id}: {removed.url}")


def _check_all(settings: Settings, specs: list[SourceSpec]) -> list[CheckedFeed | str]:
    """Fetch every spec's URL once, concurrently (the fetcher's limits apply); per spec the
    feed read, or why it cannot be a source."""
    from feeds.aggregate.discover import DiscoveryError, check_source
    from feeds.aggregate.fetch import Fetcher

    async def one(fetcher: Fetcher, url: str) -> CheckedFeed | str:
        try:
            return await check_source(fetcher, url)
        except DiscoveryError as exc:
            return str(exc)

    async def go() -> list[CheckedFeed | str]:
        async with Fetcher(settings.aggregator) as fetcher:
            return list(await asyncio.gather(*(one(fetcher, s.url) for s in specs)))

    return asyncio.run(go())


@sources_app.command("import")
def import_opml(
    file: Annotated[Path, typer.Argument(help="An OPML file.")],
    check: Annotated[
        bool,
        typer.Option(
            "--check/--no-check", help="Fetch every feed once first and refuse the unreadable."
        ),
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Add every feed of an OPML subscription list (already known URLs are skipped)."""
    from feeds.aggregate.opml import read_opml

    try:
        outlines = read_opml(file.read_bytes(), str(file))
    except OSError as exc:
        raise fail(f"{file}: {exc.strerror}") from None
    settings = settings_from(config)
    problems: list[str] = []
    specs: list[SourceSpec] = []
    for spec in outlines:
        # An xmlUrl that is a path (examples/sources/demo.opml) is a feed of this site.
        url = settings.site.absolute(spec.url) if is_site_path(spec.url) else spec.url
        try:
            specs.append(replace(spec, url=normalize_source_url(url)))
        except SourceURLError as exc:
            problems.append(f"outline {spec.title or spec.url!r}: {exc}")
    found: dict[int, CheckedFeed] = {}
    if check and specs:
        checked = _check_all(settings, specs)
        kept: list[SourceSpec] = []
        for spec, outcome in zip(specs, checked, strict=True):
            if isinstance(outcome, str):
                problems.append(f"outline {spec.title or spec.url!r}: {outcome}")
                continue
            found[len(kept)] = outcome
            kept.append(replace(spec, url=outcome.url))
        specs = kept
    store = store_from(settings)
    added = skipped = 0
    try:
        outcomes = store.sources.add_all(
            specs,
            origin="opml",
            read=[
                (f.title, f.lang) if (f := found.get(n)) else (None, None)
                for n in range(len(specs))
            ],
            known=lambda stored: _known_urls(stored, settings),
        )
    finally:
        store.close()
    for spec, result in zip(specs, outcomes, strict=True):
        if result is None:
            skipped += 1
        elif isinstance(result, SourceError):
            problems.append(f"outline {spec.title or spec.url!r}: {result}")
        else:
            added += 1
    for problem in problems:
        typer.secho(f"refused {problem}", fg=typer.colors.YELLOW, err=True)
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
        data = write_opml(store.sources.records(), f"{settings.site.publisher} sources")
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
    """Poll sources once, now, in the foreground, with a progress bar and a summary.

    Exits 1 when any poll failed (health error, blocked, not-found or gone), naming each
    failed source on stderr; 0 when every poll succeeded (200 or 304)."""
    from feeds.aggregate.pipeline import Aggregator, CycleSummary, PollReport

    settings = start_logging(settings_from(config))
    store = store_from(settings)
    try:
        if source:
            records: list[SourceRecord] = []
            for ref in source:
                found = _find(store, ref)
                if found is None:
                    raise fail(f"no source {ref!r}", 1)
                records.append(found)
        else:
            records = [s for s in store.sources.records() if s.enabled]
        if not records and not settings.sources:
            typer.echo("no sources to poll: feeds sources add URL")
            return

        async def go() -> tuple[CycleSummary, list[SourceRecord]]:
            async with Aggregator(settings, store) as aggregator:
                await asyncio.to_thread(aggregator.sync_config)
                if not source:  # now with the config file's sources
                    records[:] = [s for s in store.sources.records() if s.enabled]
                ids = [s.id for s in records]
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

                    return await aggregator.run_cycle(only=ids, on_report=advance), records

        summary, polled = asyncio.run(go())
    finally:
        store.close()
    typer.echo(
        f"polled {summary.polled} source(s): {summary.new} new, {summary.changed} changed, "
        f"{summary.not_modified} unchanged, {summary.errors} error(s)"
        + (f", {summary.skipped} entries refused" if summary.skipped else "")
    )
    for report in summary.reports:
        if report.skipped:
            typer.echo(
                f"  source {report.source_id} {report.url}: {report.skipped} entries refused "
                "(reasons: feeds sources list --json)"
            )
    failed = [r for r in summary.reports if r.health in FAILED_HEALTH]
    reported = {r.source_id for r in summary.reports}
    for record in polled:
        if record.id not in reported:
            typer.echo(f"  source {record.id} {record.url}: not polled, another process holds it")
    for report in summary.reports:
        if report.error and report not in failed:  # e.g. the host asked us to wait
            typer.secho(f"  source {report.source_id} {report.url}: {report.error}", err=True)
    for report in failed:
        typer.secho(
            f"failed: source {report.source_id} {report.url} ({report.health}): "
            f"{report.error or report.reason}",
            fg=typer.colors.RED,
            err=True,
        )
    if failed:
        raise typer.Exit(1)


def aggregate(
    workers: Annotated[
        int | None,
        typer.Option(min=1, help="Parser processes (default: one per CPU)."),
    ] = None,
    log_format: LogFormatOption = None,
    log_level: LogLevelOption = None,
    config: ConfigOption = None,
) -> None:
    """Run the polling daemon until SIGTERM or Ctrl-C (several may share one PostgreSQL)."""
    from feeds.aggregate.daemon import run_aggregator
    from feeds.aggregate.pipeline import parse_pool

    if (problem := log_options_problem(log_format, log_level)) is not None:
        raise fail(problem)
    settings = start_logging(settings_from(config), log_format, log_level)
    store = store_from(settings)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        agg = settings.aggregator
        executor = parse_pool(workers, agg.parse_timeout, agg.parse_memory_mb)
        try:
            await run_aggregator(settings, store, stop, parse_executor=executor)
        finally:
            await asyncio.to_thread(executor.shutdown, wait=True)

    try:
        asyncio.run(main())
    finally:
        store.close()


def register(app: typer.Typer) -> None:
    """Mount ``feeds sources``, ``feeds poll`` and ``feeds aggregate`` on the main app."""
    app.add_typer(sources_app, name="sources")
    app.command("poll")(poll)
    app.command("aggregate")(aggregate)
