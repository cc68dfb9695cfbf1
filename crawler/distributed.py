"""Distributed crawling on scrapy-redis: one frontier in Redis for N crawler processes.

With ``REDIS_URL`` set, ``crawler/settings.py`` uses scrapy-redis's scheduler with the pieces
below, which handle the known failure modes of distributed Scrapy:

* **Requests in flight are lost when a worker dies.** scrapy-redis pops a request from the
  shared queue and forgets it. ``LeasedPriorityQueue`` instead *leases* it: the pop moves it
  atomically (one Lua script) into an in-flight sorted set scored by its lease deadline. The
  request is acknowledged (removed) only once its outcome is durable: its article stored
  (``item_scraped``, after the storage pipeline committed), or its callback produced no item,
  or it failed for good (its error recorded). Leases of a dead worker expire
  (``REFORMWATCH_LEASE_SECONDS``) and the next pop by any worker puts them back in the queue.
  A worker stays open while leases are outstanding, so a killed peer's work is picked up.
* **Politeness is per process.** ``SharedRateLimitMiddleware`` keeps each domain's next free
  slot in Redis (set atomically by a Lua script using Redis' own clock), so N workers together
  keep one site's request rate at one request per ``delay`` seconds.
* **The seen-set grows without bound.** ``BoundedDupeFilter`` keeps fingerprints in two
  rotating Redis sets (time buckets of ``REFORMWATCH_SEEN_TTL`` seconds, each expiring after
  two buckets). A URL is "seen" for between one and two bucket lengths; after that a crawl
  may schedule it again, and the storage layer (known canonical URLs in the database) is what
  keeps stored articles from being downloaded again. Memory is bounded by the URLs discovered
  in two buckets.
"""
from __future__ import annotations

import logging
import time
from typing import Any, AsyncIterator, Iterable, Optional

from scrapy import Request, signals
from scrapy.exceptions import NotConfigured
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue

log = logging.getLogger(__name__)

LEASE_META = "rw_lease"
LEASE_SERVER_ATTR = "_rw_lease_server"

# KEYS[1] queue zset, KEYS[2] in-flight zset; ARGV[1] lease ms, ARGV[2] max requeue
_POP_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))
for _, d in ipairs(expired) do
  redis.call('ZREM', KEYS[2], d)
  redis.call('ZADD', KEYS[1], 0, d)
end
local r = redis.call('ZRANGE', KEYS[1], 0, 0)
if #r == 0 then return {false, #expired} end
redis.call('ZREM', KEYS[1], r[1])
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[1]), r[1])
return {r[1], #expired}
"""

# KEYS[1] next-free-slot key of a domain; ARGV[1] delay ms. Returns ms to wait.
_RATE_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local nxt = tonumber(redis.call('GET', KEYS[1]) or '0')
local start = math.max(now, nxt)
local delay = tonumber(ARGV[1])
redis.call('SET', KEYS[1], start + delay, 'PX', delay * 4 + 60000)
return start - now
"""

# KEYS[1] current bucket set, KEYS[2] previous bucket set; ARGV[1] fingerprint, ARGV[2] ttl s.
_SEEN_LUA = """
if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 1 then return 0 end
local added = redis.call('SADD', KEYS[1], ARGV[1])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[2]) * 2)
return added
"""


class LeasedPriorityQueue(PriorityQueue):
    """scrapy-redis priority queue whose pops are leases, acknowledged when the work is durable."""

    def __init__(self, server, spider, key, serializer=None):
        super().__init__(server, spider, key, serializer)
        self.inflight_key = f"{self.key}:inflight"
        settings = spider.crawler.settings if getattr(spider, "crawler", None) else {}
        self.lease_ms = int(float(settings.get("REFORMWATCH_LEASE_SECONDS", 120)) * 1000)
        self._pop = server.register_script(_POP_LUA)
        setattr(spider, LEASE_SERVER_ATTR, (server, self.inflight_key))

    def __len__(self) -> int:
        # Outstanding leases count as pending: the worker waits for a dead peer's leases to
        # expire and picks them up instead of closing.
        return self.server.zcard(self.key) + self.server.zcard(self.inflight_key)

    def push(self, request: Request) -> None:
        old_lease = request.meta.pop(LEASE_META, None)  # a retry or redirect of a leased request
        data = self._encode_request(request)
        pipe = self.server.pipeline()
        pipe.execute_command("ZADD", self.key, -request.priority, data)
        if old_lease is not None:
            pipe.zrem(self.inflight_key, old_lease)
        pipe.execute()

    def pop(self, timeout: int = 0) -> Optional[Request]:
        data, requeued = self._pop(keys=[self.key, self.inflight_key], args=[self.lease_ms, 500])
        if requeued:
            log.warning("re-queued %d expired request lease(s) of a stopped worker", requeued)
            if self.spider.crawler.stats:
                self.spider.crawler.stats.inc_value("distributed/leases_requeued", requeued)
        if not data:
            return None
        request = self._decode_request(data)
        request.meta[LEASE_META] = data
        return request

    def clear(self) -> None:
        self.server.delete(self.key, self.inflight_key)


def ack(request: Optional[Request], spider) -> None:
    """Acknowledge a leased request: its outcome is durable, it will not be re-queued."""
    if request is None:
        return
    lease = request.meta.pop(LEASE_META, None)
    target = getattr(spider, LEASE_SERVER_ATTR, None)
    if lease is None or target is None:
        return
    server, key = target
    server.zrem(key, lease)


class LeaseDownloaderMiddleware:
    """Acknowledges leases of requests that end in the downloader (final errors, non-2xx)."""

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.get("REDIS_URL"):
            raise NotConfigured
        return cls()

    def process_response(self, request, response, spider):
        if not 200 <= response.status < 300:
            ack(request, spider)  # the spider records the error; nothing to redo
        return response

    def process_exception(self, request, exception, spider):
        ack(request, spider)  # retries exhausted, robots.txt, offsite…: recorded, not redone
        return None


class LeaseSpiderMiddleware:
    """Acknowledges a response's lease once its callback output is handled.

    Articles are acknowledged by ``item_scraped`` — after the storage pipeline stored them;
    a response that produced no item (a feed, a listing, a non-article) when its output is done.
    """

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.get("REDIS_URL"):
            raise NotConfigured
        mw = cls()
        crawler.signals.connect(mw._item_done, signal=signals.item_scraped)
        crawler.signals.connect(mw._item_done, signal=signals.item_dropped)
        crawler.signals.connect(mw._item_done, signal=signals.item_error)
        return mw

    def _item_done(self, item=None, response=None, spider=None, **_):
        if response is not None:
            ack(response.request, spider)

    @staticmethod
    def _is_item(obj: Any) -> bool:
        return not isinstance(obj, Request)

    def process_spider_output(self, response, result: Iterable, spider):
        produced = False
        for obj in result:
            produced = produced or self._is_item(obj)
            yield obj
        if not produced:
            ack(response.request, spider)

    async def process_spider_output_async(self, response, result: AsyncIterator, spider):
        produced = False
        async for obj in result:
            produced = produced or self._is_item(obj)
            yield obj
        if not produced:
            ack(response.request, spider)

    def process_spider_exception(self, response, exception, spider):
        ack(response.request, spider)
        return None


class SharedRateLimitMiddleware:
    """Per-domain request rate shared by every worker through Redis.

    The delay of a request's domain is ``request.meta['politeness_delay']`` (the spider sets
    it from the registry), else ``REFORMWATCH_SHARED_DELAY``. Scrapy's own per-process
    DOWNLOAD_DELAY is set to 0 in distributed mode so the two do not add up.
    """

    def __init__(self, server, default_delay: float):
        self.server = server
        self.default_delay = default_delay
        self._script = server.register_script(_RATE_LUA)

    @classmethod
    def from_crawler(cls, crawler):
        url = crawler.settings.get("REDIS_URL")
        if not url:
            raise NotConfigured
        from scrapy_redis.connection import get_redis_from_settings

        return cls(get_redis_from_settings(crawler.settings), crawler.settings.getfloat("REFORMWATCH_SHARED_DELAY", 1.0))

    async def process_request(self, request, spider):
        from urllib.parse import urlsplit

        delay = float(request.meta.get("politeness_delay", self.default_delay))
        if delay <= 0:
            return None
        host = urlsplit(request.url).hostname or ""
        slot = request.meta.get("download_slot") or host
        wait_ms = int(self._script(keys=[f"reformwatch:rate:{slot}"], args=[int(delay * 1000)]))
        if wait_ms > 0:
            from twisted.internet import reactor
            from twisted.internet.task import deferLater

            from scrapy.utils.defer import maybe_deferred_to_future

            await maybe_deferred_to_future(deferLater(reactor, wait_ms / 1000.0, lambda: None))
        return None


class BoundedDupeFilter(RFPDupeFilter):
    """scrapy-redis duplicate filter whose seen-set is bounded: two rotating, expiring buckets."""

    def __init__(self, server, key, debug=False, ttl: int = 6 * 3600):
        super().__init__(server, key, debug)
        self.ttl = max(int(ttl), 1)
        self._seen = server.register_script(_SEEN_LUA)

    @classmethod
    def from_spider(cls, spider):
        from scrapy_redis.connection import get_redis_from_settings

        settings = spider.settings
        key = settings.get("SCHEDULER_DUPEFILTER_KEY", "%(spider)s:dupefilter") % {"spider": spider.name}
        return cls(get_redis_from_settings(settings), key=key, debug=settings.getbool("DUPEFILTER_DEBUG"),
                   ttl=settings.getint("REFORMWATCH_SEEN_TTL", 6 * 3600))

    def _keys(self, now: Optional[float] = None) -> tuple[str, str]:
        bucket = int((now if now is not None else time.time()) // self.ttl)
        return f"{self.key}:{bucket}", f"{self.key}:{bucket - 1}"

    def request_seen(self, request) -> bool:
        cur, prev = self._keys()
        added = self._seen(keys=[cur, prev], args=[self.request_fingerprint(request), self.ttl])
        return int(added) == 0

    def clear(self) -> None:
        cur, prev = self._keys()
        self.server.delete(cur, prev)

    def close(self, reason: str = "") -> None:
        # Shared by every worker: one worker closing must not wipe the others' seen-set.
        return None
