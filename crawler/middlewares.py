"""Downloader middleware and extension for politeness.

* ``BackoffMiddleware``: exponential backoff of retries. Scrapy's RetryMiddleware re-schedules
  a failed request at once; this middleware holds a retried request back before it reaches
  the downloader: retry *n* waits ``RETRY_BACKOFF_BASE * 2**(n-1)`` seconds (capped at
  ``RETRY_BACKOFF_MAX``). The wait is a non-blocking timer, the request does not occupy a
  download slot meanwhile, and other requests go on.
* ``OutletAutoThrottle``: Scrapy's AutoThrottle, but each outlet's delay never drops below
  the outlet's own registry delay (Scrapy's only knows the global ``DOWNLOAD_DELAY``).
"""
from __future__ import annotations

import logging

from scrapy.extensions.throttle import AutoThrottle

log = logging.getLogger(__name__)


def backoff_delay(retry_times: int, base: float, cap: float) -> float:
    """Seconds to wait before retry number ``retry_times`` (1, 2, …)."""
    if retry_times <= 0 or base <= 0:
        return 0.0
    return min(cap, base * (2 ** (retry_times - 1)))


async def _sleep(seconds: float) -> None:
    from twisted.internet import reactor
    from twisted.internet.task import deferLater

    from scrapy.utils.defer import maybe_deferred_to_future

    await maybe_deferred_to_future(deferLater(reactor, seconds, lambda: None))


class BackoffMiddleware:
    def __init__(self, base: float, cap: float, stats=None):
        self.base = base
        self.cap = cap
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        s = crawler.settings
        return cls(s.getfloat("RETRY_BACKOFF_BASE", 1.0), s.getfloat("RETRY_BACKOFF_MAX", 60.0), crawler.stats)

    async def process_request(self, request, spider=None):
        retries = int(request.meta.get("retry_times", 0))
        if retries <= 0 or request.meta.get("rw_backoff_done") == retries:
            return None
        delay = backoff_delay(retries, self.base, self.cap)
        request.meta["rw_backoff_done"] = retries
        if delay > 0:
            log.debug("backoff %.2fs before retry %d of %s", delay, retries, request.url)
            if self.stats is not None:
                self.stats.inc_value("backoff/waits")
                self.stats.inc_value("backoff/seconds", delay)
            await _sleep(delay)
        return None


class OutletAutoThrottle(AutoThrottle):
    """AutoThrottle with a per-slot floor: ``DOWNLOAD_SLOTS[slot]['delay']`` (the outlet's
    registry delay, set by the news spider) instead of the global ``DOWNLOAD_DELAY``."""

    def _adjust_delay(self, slot, latency, response) -> None:
        key = response.request.meta.get("download_slot") if response.request is not None else None
        floors = self.__dict__.setdefault("_floors", {})
        floor = floors.get(key)
        if floor is None:
            slots = self.crawler.settings.getdict("DOWNLOAD_SLOTS")
            floor = float(slots[key].get("delay", self.mindelay)) if key in slots else self.mindelay
            floors[key] = floor
        saved = self.mindelay
        self.mindelay = floor
        try:
            super()._adjust_delay(slot, latency, response)
        finally:
            self.mindelay = saved
