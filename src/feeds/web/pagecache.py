"""Rendered HTML pages kept per store generation, for the article and news-feed pages.

A page is rendered when first asked for after the store changed (see ``Freshness``) and
then served as it is. A render that fails while an older copy exists serves that copy:
a page a moment old beats an error page. At most ``capacity`` pages are kept, the least
recently read dropped first.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from feeds.web.freshness import Freshness
from feeds.web.variant import Variant, VariantResponse

__all__ = ["PageCache"]

log = logging.getLogger("feeds.web")

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class _Cached:
    generation: int
    variant: Variant


class PageCache(Generic[K]):
    def __init__(self, freshness: Freshness, capacity: int) -> None:
        self.freshness = freshness
        self.capacity = capacity
        self._pages: OrderedDict[K, _Cached] = OrderedDict()

    async def answer(
        self, key: K, build: Callable[[Variant | None], Variant | Response], what: str
    ) -> Response | VariantResponse:
        """The page for ``key``. ``build(previous)`` reads the store and renders (it runs
        in a worker thread); it returns the page, or a response that is not kept (a 404).
        ``what`` names the page in the log when a render fails."""
        await self.freshness.ensure()
        generation = self.freshness.generation
        cached = self._pages.get(key)
        if cached is not None and cached.generation == generation:
            self._pages.move_to_end(key)
            return VariantResponse(cached.variant)
        previous = cached.variant if cached is not None else None
        try:
            answer = await run_in_threadpool(build, previous)
        except Exception:
            if previous is None:
                raise
            log.exception("cannot render %s; serving its cached page", what)
            return VariantResponse(previous)
        if not isinstance(answer, Variant):
            self._pages.pop(key, None)
            return answer
        self._pages[key] = _Cached(generation, answer)
        self._pages.move_to_end(key)
        while len(self._pages) > self.capacity:
            self._pages.popitem(last=False)
        return VariantResponse(answer)
