"""Lead images under /static/images/: served once their story is out, never before.

A story's lead image is a file in ``static/images/`` whose URL is in the story
(``image.url``). Anyone who guesses the name of a draft's or an embargoed story's image
could fetch it from a plain static mount, so a file there is served only when

- a visible story (published, or scheduled and its time has come) uses it, or
- no stored story uses it at all (a site asset, e.g. a logo placed there by hand).

Otherwise the answer is the same 404 as for a missing file, so a guess learns nothing.
Every 404 of the static files is ``Cache-Control: no-store``: no cache may keep the one
that stands for an embargoed image past its embargo. Served images keep their ETag and
Last-Modified (conditional GET answers 304) and say ``public, max-age=<cache_max_age>``,
so a story retracted or sent back to draft takes its image down within that time.

Which names hidden stories use is read once per generation of ``Freshness`` (a write, or
an embargo passing), through an index; which names visible stories use is read only when
an image that a hidden story uses is asked for, once per generation too.
"""

from __future__ import annotations

import asyncio
import os
import posixpath
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import URL
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from feeds.config import SiteSettings
from feeds.store import Store
from feeds.web.errors import not_found
from feeds.web.rendercache import Clock, Freshness

__all__ = ["ImageGate", "StaticWithImages", "image_name"]

IMAGES = "images"  # the folder under the static directory, served at /static/images/
IMAGES_URL = f"/static/{IMAGES}/"


def image_name(url: str, base_url: str) -> str | None:
    """The file under static/images/ that an image URL names (``"a/b.jpg"``), or None.

    The host is not compared: the newsroom may write its images' URLs with another host
    (a CDN in front of the site, the port of a demo), and a hidden story's image must
    stay hidden whatever host its URL names. A path under the base URL's path
    (``https://example.org/news/static/images/…``) counts too.
    """
    path = posixpath.normpath("/" + unquote(urlsplit(url).path).lstrip("/"))
    prefix = urlsplit(base_url).path.rstrip("/")
    if prefix and path.startswith(prefix + "/"):
        path = path[len(prefix) :]
    if not path.startswith(IMAGES_URL):
        return None
    return path[len(IMAGES_URL) :] or None


@dataclass
class _Uses:
    """Which image names hidden stories use, as read in one ``Freshness`` generation."""

    generation: int
    # name -> the earliest embargo among the hidden stories using it (None: no embargo,
    # only drafts or retractions, which a write must change).
    hidden: dict[str, datetime | None]
    # Names visible own stories use; read the first time it is needed.
    shown: set[str] | None = None


class ImageGate:
    """Decides whether the file ``static/images/<name>`` may be served now."""

    def __init__(
        self,
        site: SiteSettings,
        store: Store,
        freshness: Freshness,
        *,
        clock: Clock | None = None,
    ) -> None:
        self.base_url = site.base_url
        self.store = store
        self.freshness = freshness
        # By default ``freshness``'s clock: the gate and the feeds agree on when an embargo ends.
        self.clock = clock or freshness.clock
        self._uses: _Uses | None = None
        self._lock = asyncio.Lock()

    async def allows(self, name: str) -> bool:
        uses = await self._current()
        if name not in uses.hidden:
            return True  # a visible story's image, or a file no story uses
        opens_at = uses.hidden[name]
        if opens_at is not None and self.clock() >= opens_at:
            return True  # the embargo passed since the generation was read
        return name in await self._shown(uses)

    async def _current(self) -> _Uses:
        await self.freshness.ensure()
        generation = self.freshness.generation  # before reading: a later write reads again
        if self._uses is None or self._uses.generation != generation:
            async with self._lock:
                if self._uses is None or self._uses.generation != generation:
                    hidden = await run_in_threadpool(self._read_hidden)
                    self._uses = _Uses(generation, hidden)
        return self._uses

    async def _shown(self, uses: _Uses) -> set[str]:
        if uses.shown is None:
            async with self._lock:
                if uses.shown is None:
                    uses.shown = await run_in_threadpool(self._read_shown)
        return uses.shown

    def _read_hidden(self) -> dict[str, datetime | None]:
        found = self.store.hidden_images(self.clock())
        hidden: dict[str, datetime | None] = {}
        for image in found:
            name = image_name(image.url, self.base_url)
            if name is not None:
                embargoes = [t for t in (hidden.get(name), image.opens_at) if t is not None]
                hidden[name] = min(embargoes, default=None)
        return hidden

    def _read_shown(self) -> set[str]:
        urls = self.store.visible_own_images(self.clock())
        return {name for url in urls if (name := image_name(url, self.base_url)) is not None}


class StaticWithImages(StaticFiles):
    """The static files, with ``images/`` behind an ``ImageGate``."""

    def __init__(self, *, directory: Path, gate: ImageGate, site: SiteSettings) -> None:
        super().__init__(directory=directory)
        self.gate = gate
        self.site = site
        self.cache_control = f"public, max-age={site.cache_max_age}"
        self._images = (os.path.normpath(directory / IMAGES), os.path.realpath(directory / IMAGES))

    async def get_response(self, path: str, scope: Scope) -> Response:
        names: set[str] = set()
        if scope["method"] in ("GET", "HEAD"):
            names = await self._image_names(path)
            for name in names:
                if not await self.gate.allows(name):
                    return self._not_found(scope)
        try:
            response = await super().get_response(path, scope)
        except HTTPException as exc:
            if exc.status_code != 404:
                raise
            return self._not_found(scope)
        if names and response.status_code in (200, 206, 304):
            response.headers["Cache-Control"] = self.cache_control
        return response

    async def _image_names(self, path: str) -> set[str]:
        """The names under images/ that ``path`` asks for and leads to.

        Both, because they differ only through a symlink, and either way round a symlink
        must not open a hidden image: ``images/alias.jpg`` -> ``images/x.jpg`` asks for
        one name, a ``static/pics`` -> ``images`` link leads to the other.
        """
        asked = os.path.normpath(os.path.join(str(self.directory), path))
        try:
            leads_to, _ = await run_in_threadpool(self.lookup_path, path)
        except (OSError, ValueError):  # StaticFiles answers these itself
            leads_to = ""
        names = set()
        for candidate, folder in ((asked, self._images[0]), (leads_to, self._images[1])):
            if candidate and os.path.commonpath([candidate, folder]) == folder:
                relative = Path(candidate).relative_to(folder).as_posix()
                if relative != ".":
                    names.add(relative)
        return names

    def _not_found(self, scope: Scope) -> Response:
        """The site's 404, kept out of every cache (see the module's docstring)."""
        response = not_found(self.site, URL(scope=scope).path)
        response.headers["Cache-Control"] = "no-store"
        return response
