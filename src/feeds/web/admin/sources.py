"""The console's sources: the list (health, last and next poll, the whole last error,
entries stored and refused; filtered, sorted, paginated), a source's page (its recent
polls and a chart of entries per day) and the operator's actions on them.

"Poll now" makes the source due at once: the store *is* the aggregator's schedule, so the
aggregator polls it at its next tick, whichever process runs it (``feeds serve`` or
``feeds aggregate`` daemons). Adding by URL uses the discovery of ``feeds sources add``
(``feeds.aggregate.discover``: the aggregator's fetcher, its address policy and limits);
an OPML file is read as ``feeds sources import`` reads it. The aggregator's modules are
imported when those forms are used, so the console's pages do not load it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from feeds.model import is_site_path
from feeds.store.console import PAUSED, SourceEdit, SourcePage, SourceSort
from feeds.store.sources import SourceError, SourceRecord, SourceSpec
from feeds.web.admin.base import Console, text_field
from feeds.web.admin.chart import bar_chart
from feeds.web.admin.words import N_, PageError

if TYPE_CHECKING:
    from feeds.aggregate.discover import CheckedFeed

__all__ = ["HEALTHS", "SourcePages"]

log = logging.getLogger("feeds.admin")

HEALTHS = ("ok", "new", "degraded", "error", "blocked", "not-found", "gone", PAUSED)
PER_PAGE = 50
CHART_DAYS = 30
MAX_OPML_BYTES = 2 * 2**20


class SourcePages:
    def __init__(self, console: Console) -> None:
        self.console = console

    # --- reads --------------------------------------------------------------------------

    async def index(self, request: Request) -> Response:
        q = request.query_params
        health = q.get("health") if q.get("health") in HEALTHS else None
        lang = q.get("language") or None
        try:
            sort = SourceSort(q.get("sort", "late"))
        except ValueError:
            sort = SourceSort.LATE
        number = int(q["page"]) if q.get("page", "").isdigit() else 1
        store = self.console.store

        def read() -> tuple[SourcePage, tuple[dict[str, int], list[str]]]:
            page = store.console.page(
                health=health, lang=lang, sort=sort, page=number, per_page=PER_PAGE
            )
            return page, store.console.facets()

        page, (counts, languages) = await run_in_threadpool(read)
        return self.console.render(
            request,
            "sources.html",
            page=page,
            counts=counts,
            healths=HEALTHS,
            source_languages=languages,
            health=health or "",
            language=lang or "",
            sort=sort.value,
            sorts=[s.value for s in SourceSort],
        )

    async def detail(self, request: Request) -> Response:
        source_id = _source_id(request)
        store = self.console.store
        today = self.console.clock().date()

        def read() -> tuple[SourceRecord | None, object, list[int], object]:
            found = store.sources.find(source_id)
            if found is None:
                return None, [], [], []
            return (
                found,
                store.polls.recent(source_id),
                store.polls.entries_per_day(source_id, CHART_DAYS, today),
                store.operators.recent(20, target=f"source {source_id} {found.url}"),
            )

        source, polls, per_day, actions = await run_in_threadpool(read)
        if source is None:
            raise PageError(404, N_("There is no source %(id)s."), id=source_id)
        agg = self.console.settings.aggregator
        return self.console.render(
            request,
            "source.html",
            source=source,
            polls=polls,
            chart=bar_chart(per_day, today),
            actions=actions,
            tick=agg.tick_seconds,
        )

    # --- actions ------------------------------------------------------------------------

    async def act(self, request: Request) -> Response:
        """``POST /admin/{lang}/sources/{id}/{action}``: pause, resume, poll, edit, remove."""
        form = await self.console.form(request)
        source_id = _source_id(request)
        action = request.path_params["action"]
        operator = request.state.operator.name
        now = self.console.clock()
        console = self.console.store.console
        path = f"sources/{source_id}"
        try:
            if action == "pause":
                await run_in_threadpool(console.pause, source_id, now=now, operator=operator)
            elif action == "resume":
                await run_in_threadpool(console.resume, source_id, now=now, operator=operator)
            elif action == "poll":
                await run_in_threadpool(console.due_now, source_id, now=now, operator=operator)
            elif action == "edit":
                edit = _edit(form)
                await run_in_threadpool(console.edit, source_id, edit, now=now, operator=operator)
            elif action == "remove":
                await run_in_threadpool(console.remove, source_id, now=now, operator=operator)
                path = "sources"
            else:
                raise PageError(404, N_("There is no action %(action)r."), action=action)
        except SourceError as exc:
            raise HTTPException(422, str(exc)) from None
        log.info("admin: %s: %s source %d", operator, action, source_id)
        return self.console.done(request, path, action)

    async def add_page(self, request: Request) -> Response:
        return self.console.render(request, "add.html", problem="", links=[], feed_url="", form={})

    async def add(self, request: Request) -> Response:
        """Add a source by URL: fetch it once (a page is searched for its feeds; with
        several, the operator picks one), refuse duplicates, register it."""
        from feeds.aggregate.discover import DiscoveryError, check_source
        from feeds.aggregate.fetch import Fetcher
        from feeds.aggregate.urls import SourceURLError, normalize_source_url

        form = await self.console.form(request)
        url = text_field(form, "url") or ""
        pick_text = text_field(form, "pick")
        pick = int(pick_text) if pick_text and pick_text.isdigit() else 1
        fields = {k: text_field(form, k) or "" for k in ("title", "language", "interval")}

        def again(problem: str, links: Sequence[object] = ()) -> Response:
            return self.console.render(
                request,
                "add.html",
                status=422 if problem else 200,
                problem=problem,
                links=links,
                feed_url=url,
                form=fields,
            )

        try:
            edit = _edit(form)
            normal = normalize_source_url(url)
        except (SourceError, SourceURLError) as exc:
            return again(str(exc))
        settings = self.console.settings
        try:
            async with Fetcher(settings.aggregator) as fetcher:
                checked: CheckedFeed = await check_source(fetcher, normal, pick)
        except DiscoveryError as exc:
            return again(str(exc))
        if checked.page is not None and len(checked.links) > 1 and not pick_text:
            return again("", checked.links)
        spec = SourceSpec(url=checked.url, title=edit.title, lang=edit.lang, interval=edit.interval)
        operator = request.state.operator.name
        store = self.console.store

        def register() -> SourceRecord:
            record = store.sources.add(
                spec,
                origin="admin",
                feed_title=checked.title,
                feed_lang=checked.lang,
                vet=lambda stored: _refuse_known(spec.url, self._known(stored)),
            )
            store.operators.record(
                self.console.clock(), operator, "source.add", f"source {record.id} {record.url}"
            )
            return record

        try:
            record = await run_in_threadpool(register)
        except SourceError as exc:
            return again(str(exc))
        log.info("admin: %s added source %d %s", operator, record.id, record.url)
        return self.console.done(request, f"sources/{record.id}", "add")

    async def import_opml(self, request: Request) -> Response:
        """Add every feed of an OPML file (known URLs skipped), like ``feeds sources import``."""
        from feeds.aggregate.opml import OPMLError, read_opml
        from feeds.aggregate.urls import SourceURLError, normalize_source_url

        form = await self.console.form(request)
        upload = form.get("opml")
        if not isinstance(upload, UploadFile) or not upload.filename:
            return self._import_result(request, problems=["choose an OPML file first"])
        data = await upload.read(MAX_OPML_BYTES + 1)
        if len(data) > MAX_OPML_BYTES:
            return self._import_result(request, problems=["the file is larger than 2 MB"])
        try:
            outlines = read_opml(data, upload.filename)
        except OPMLError as exc:
            return self._import_result(request, problems=[str(exc)])
        site = self.console.settings.site
        problems: list[str] = []
        specs: list[SourceSpec] = []
        for spec in outlines:
            url = site.absolute(spec.url) if is_site_path(spec.url) else spec.url
            try:
                specs.append(replace(spec, url=normalize_source_url(url)))
            except SourceURLError as exc:
                problems.append(f"outline {spec.title or spec.url!r}: {exc}")
        operator = request.state.operator.name
        store = self.console.store

        def register() -> list[SourceRecord | SourceError | None]:
            outcomes = store.sources.add_all(specs, origin="opml", known=self._known)
            added = sum(isinstance(o, SourceRecord) for o in outcomes)
            store.operators.record(
                self.console.clock(),
                operator,
                "source.import",
                upload.filename or "?",
                f"{added} added",
            )
            return outcomes

        outcomes = await run_in_threadpool(register)
        added = skipped = 0
        for spec, result in zip(specs, outcomes, strict=True):
            if result is None:
                skipped += 1
            elif isinstance(result, SourceError):
                problems.append(f"outline {spec.title or spec.url!r}: {result}")
            else:
                added += 1
        return self._import_result(request, added=added, skipped=skipped, problems=problems)

    def _import_result(
        self, request: Request, *, added: int = 0, skipped: int = 0, problems: list[str]
    ) -> Response:
        return self.console.render(
            request,
            "imported.html",
            status=422 if problems and not added else 200,
            added=added,
            skipped=skipped,
            problems=problems,
        )

    def _known(self, stored: Sequence[tuple[int, str]]) -> dict[str, tuple[str, str]]:
        """Every known source URL, normalised: the store's and the config file's."""
        from feeds.aggregate.urls import by_normal_form

        site = self.console.settings.site
        return by_normal_form(
            [
                *((f"source {sid}", url) for sid, url in stored),
                *(
                    ("a [[sources]] entry of the config file", site.absolute(s.url))
                    for s in self.console.settings.sources
                ),
            ]
        )


def _refuse_known(url: str, known: dict[str, tuple[str, str]]) -> None:
    from feeds.aggregate.urls import normalize_source_url

    normal = normalize_source_url(url)
    if normal in known:
        who, spelled = known[normal]
        raise SourceError(f"{url} is already {who}: {spelled}")


def _source_id(request: Request) -> int:
    text = str(request.path_params["source_id"])
    if not text.isdigit():
        raise PageError(404, N_("There is no source %(id)r."), id=text)
    return int(text)


def _edit(form: object) -> SourceEdit:
    """The title, language and interval fields (interval in minutes, empty: adaptive)."""
    assert hasattr(form, "get")
    interval_text = text_field(form, "interval")  # type: ignore[arg-type]
    interval: int | None = None
    if interval_text is not None:
        if not interval_text.isdigit() or int(interval_text) <= 0:
            raise SourceError(f"interval: a whole number of minutes, got {interval_text!r}")
        interval = int(timedelta(minutes=int(interval_text)).total_seconds())
    return SourceEdit(
        title=text_field(form, "title"),  # type: ignore[arg-type]
        lang=text_field(form, "language"),  # type: ignore[arg-type]
        interval=interval,
    )
