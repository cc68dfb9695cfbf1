"""Distributed crawling on scrapy-redis: one frontier in Redis for N crawler processes.

With ``REDIS_URL`` set, ``crawler/settings.py`` uses scrapy-redis's scheduler with the pieces
below, which handle the known failure modes of distributed Scrapy:

* **Requests in flight are lost when a worker dies.** scrapy-redis pops a request from the
  shared queue and forgets it. ``LeasedPriorityQueue`` instead *leases* it: the pop moves it
  atomically (one Lua script) into an in-flight sorted set scored by its lease deadline. A
  live worker renews its leases every third of ``REFORMWATCH_LEASE_SECONDS`` (``LeaseBook``),
  so only a dead worker's leases expire; the next pop by any worker puts them back in the
  queue. A request is acknowledged (removed) only once its outcome is durable: its article
  stored (``item_scraped``), its callback produced no item, or it failed for good — and
  because the storage pipeline commits in batches, the removal waits for the spider store's
  next commit (a rollback gives those requests back to the queue; a page whose storing
  failed on a database error is queued again, ``REFORMWATCH_STORE_RETRIES`` times). A worker
  stays open while leases are outstanding, so a killed peer's work is picked up; a worker
  with acknowledgements waiting for a commit commits after ``STORE_BATCH_SECONDS`` idle.
* **Politeness is per process.** ``SharedRateLimitMiddleware`` keeps each download slot's
  (outlet's) next free time in Redis (set atomically by a Lua script using Redis' own clock),
  so N workers together keep one outlet's rate at one request per ``delay`` seconds.
* **The seen-set grows without bound.** ``BoundedDupeFilter`` keeps fingerprints in two
  rotating Redis sets (time buckets of ``REFORMWATCH_SEEN_TTL`` seconds; a bucket expires
  when it stops being consulted, at the end of the next bucket), so at most two bucket keys
  exist and a URL is "seen" for between one and two bucket lengths. Memory is bounded by
  the URLs discovered in two buckets. The seen-set also lives only for one *crawl round*:
  the first worker to open on an empty frontier empties it (``begin_round``), so a
  scheduled crawl an hour later reads the feeds and sitemaps again; stored articles are
  skipped across rounds by the database (the spider's known URLs), not by Redis.
* **Per-process duplicate checks.** Article requests the spider yields with
  ``dont_filter=True`` (deduplicated by its own per-process set) are checked against the
  shared seen-set by ``LeaseSpiderMiddleware``, so a page linked from a feed parsed by one
  worker and a listing parsed by another is fetched once.

Settings (``crawler/settings.py`` or ``REFORMWATCH_<NAME>`` in the environment):
``REFORMWATCH_LEASE_SECONDS`` (120), ``REFORMWATCH_SEEN_TTL`` (21600),
``REFORMWATCH_SHARED_DELAY`` (1.0, when a request carries no ``politeness_delay``),
``REFORMWATCH_STORE_RETRIES`` (2) and ``REFORMWATCH_ROUND_GUARD_SECONDS`` (10: workers
opening within that time of the round's first one join it).
"""
from __future__ import annotations

import logging
import os
import time
from typing import Any, AsyncIterator, Iterable, Optional

from scrapy import Request, signals
from scrapy.exceptions import NotConfigured
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue

log = logging.getLogger(__name__)

LEASE_META = "rw_lease"
LEASE_BOOK_ATTR = "_rw_lease_book"

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

# KEYS[1] current bucket set, KEYS[2] previous bucket set; ARGV[1] fingerprint,
# ARGV[2] unix time (s) at which the current bucket stops being consulted (end of the next bucket).
_SEEN_LUA = """
if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 1 then return 0 end
local added = redis.call('SADD', KEYS[1], ARGV[1])
redis.call('EXPIREAT', KEYS[1], tonumber(ARGV[2]))
return added
"""

# KEYS[1] in-flight zset; ARGV[1] lease ms, ARGV[2..] leases held by this worker. Extends the
# deadline of those still in flight (XX: a lease re-queued meanwhile is not re-created).
_RENEW_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local n = 0
for i = 2, #ARGV do
  n = n + redis.call('ZADD', KEYS[1], 'XX', 'CH', now + tonumber(ARGV[1]), ARGV[i])
end
return n
"""

# KEYS[1] queue zset, KEYS[2] in-flight zset; ARGV = leases to give back (their work was lost).
_RELEASE_LUA = """
local n = 0
for i = 1, #ARGV do
  if redis.call('ZREM', KEYS[2], ARGV[i]) == 1 then
    redis.call('ZADD', KEYS[1], 0, ARGV[i])
    n = n + 1
  end
end
return n
"""


def _setting_int(settings, name: str, default: int) -> int:
    """A setting that crawler/settings.py may not declare (then its env variable, then default)."""
    value = settings.get(name)
    if value is None:
        value = os.environ.get(name, default)
    return int(float(value))


def _is_database_error(error: BaseException) -> bool:
    try:
        from sqlalchemy.exc import SQLAlchemyError
    except ImportError:  # pragma: no cover - SQLAlchemy is a dependency
        return False
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, SQLAlchemyError):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False


# A crawl round begins when a worker opens on an empty frontier. KEYS[1] queue, KEYS[2]
# in-flight, KEYS[3] round guard, KEYS[4..] seen-set buckets; ARGV[1] guard seconds.
# Returns 1 when this worker opened a new round (and emptied the seen-set), 0 when it joined one.
_ROUND_LUA = """
if redis.call('ZCARD', KEYS[1]) > 0 or redis.call('ZCARD', KEYS[2]) > 0 then return 0 end
if redis.call('SET', KEYS[3], '1', 'NX', 'EX', tonumber(ARGV[1])) == false then return 0 end
for i = 4, #KEYS do redis.call('DEL', KEYS[i]) end
return 1
"""


class LeaseBook:
    """The leases this worker holds, renewed while it lives, acknowledged once durable.

    ``held``: popped by this worker and not yet acknowledged; a heartbeat (``renew``) pushes
    their deadline forward every third of the lease, so only a *dead* worker's leases expire.
    ``deferred``: acknowledged by the spider while the spider's store (``spider.store``:
    ``commit()``, ``rollback()``, ``pending``) still had uncommitted writes — the outcome is
    durable only after the next commit, so the lease is removed then; a rollback gives these
    leases back to the queue instead (the work is redone, not lost).
    """

    def __init__(self, server, queue_key: str, inflight_key: str, lease_ms: int):
        self.server = server
        self.queue_key = queue_key
        self.inflight_key = inflight_key
        self.lease_ms = lease_ms
        self.held: set[bytes] = set()
        self.deferred: set[bytes] = set()
        self.deferred_since: Optional[float] = None
        self.store = None
        self.queue: Optional["LeasedPriorityQueue"] = None
        self._renew = server.register_script(_RENEW_LUA)
        self._release = server.register_script(_RELEASE_LUA)

    # -- lease life cycle -------------------------------------------------------------------
    def took(self, lease: bytes) -> None:
        self.held.add(lease)

    def dropped(self, lease: bytes) -> None:
        """The lease was replaced (a retry or redirect re-queued the request)."""
        self.held.discard(lease)
        self.deferred.discard(lease)

    def ack(self, lease: bytes) -> None:
        store = self.store
        if store is not None and getattr(store, "pending", 0):
            if not self.deferred:
                self.deferred_since = time.monotonic()
            self.deferred.add(lease)
            return
        self.server.zrem(self.inflight_key, lease)
        self.held.discard(lease)

    def committed(self) -> None:
        if self.deferred:
            self.server.zrem(self.inflight_key, *self.deferred)
            self.held -= self.deferred
            self.deferred.clear()
        self.deferred_since = None

    def flush_idle(self, max_age: float) -> bool:
        """Commit the store when acknowledgements have waited ``max_age`` s for a commit.

        The storage pipeline commits when items arrive; once they stop (a worker's last
        items, or a worker waiting for its peers) nothing else would, and two workers would
        wait for each other's uncommitted leases forever.
        """
        if not self.deferred or self.store is None or self.deferred_since is None:
            return False
        if time.monotonic() - self.deferred_since < max_age:
            return False
        self.store.commit()
        return True

    def rolled_back(self) -> int:
        if not self.deferred:
            self.deferred_since = None
            return 0
        n = int(self._release(keys=[self.queue_key, self.inflight_key], args=list(self.deferred)))
        self.held -= self.deferred
        self.deferred.clear()
        self.deferred_since = None
        log.warning("store rolled back: %d acknowledged request(s) given back to the queue", n)
        return n

    def renew(self) -> int:
        if not self.held:
            return 0
        return int(self._renew(keys=[self.inflight_key], args=[self.lease_ms, *self.held]))

    # -- the spider's store -----------------------------------------------------------------
    def attach_store(self, store) -> None:
        """Follow ``store``'s commits and rollbacks (wraps its ``commit``/``rollback``)."""
        if store is None or store is self.store:
            return
        if not (callable(getattr(store, "commit", None)) and callable(getattr(store, "rollback", None))):
            return
        book, commit, rollback = self, store.commit, store.rollback

        def tracked_commit(*args, **kwargs):
            try:
                result = commit(*args, **kwargs)
            except BaseException:
                book.rolled_back()
                raise
            book.committed()
            return result

        def tracked_rollback(*args, **kwargs):
            try:
                return rollback(*args, **kwargs)
            finally:
                book.rolled_back()

        store.commit, store.rollback = tracked_commit, tracked_rollback
        self.store = store


class LeasedPriorityQueue(PriorityQueue):
    """scrapy-redis priority queue whose pops are leases, acknowledged when the work is durable."""

    def __init__(self, server, spider, key, serializer=None):
        super().__init__(server, spider, key, serializer)
        self.inflight_key = f"{self.key}:inflight"
        settings = spider.crawler.settings if getattr(spider, "crawler", None) else {}
        self.lease_ms = max(int(float(settings.get("REFORMWATCH_LEASE_SECONDS", 120)) * 1000), 1000)
        self._pop = server.register_script(_POP_LUA)
        self.book = LeaseBook(server, self.key, self.inflight_key, self.lease_ms)
        self.book.queue = self
        setattr(spider, LEASE_BOOK_ATTR, self.book)

    def __len__(self) -> int:
        # Outstanding leases count as pending: the worker waits for a dead peer's leases to
        # expire and picks them up instead of closing. Its own leases waiting only for the
        # store's commit do not: that commit happens when the spider closes.
        pipe = self.server.pipeline()
        pipe.zcard(self.key)
        pipe.zcard(self.inflight_key)
        queued, inflight = pipe.execute()
        return queued + max(0, inflight - len(self.book.deferred))

    def push(self, request: Request) -> None:
        old_lease = request.meta.pop(LEASE_META, None)  # a retry or redirect of a leased request
        data = self._encode_request(request)
        pipe = self.server.pipeline()
        pipe.execute_command("ZADD", self.key, -request.priority, data)
        if old_lease is not None:
            pipe.zrem(self.inflight_key, old_lease)
        pipe.execute()
        if old_lease is not None:
            self.book.dropped(old_lease)

    def pop(self, timeout: int = 0) -> Optional[Request]:
        data, requeued = self._pop(keys=[self.key, self.inflight_key], args=[self.lease_ms, 500])
        if requeued:
            log.warning("re-queued %d expired request lease(s) of a stopped worker", requeued)
            if self.spider.crawler.stats:
                self.spider.crawler.stats.inc_value("distributed/leases_requeued", requeued)
        if not data:
            return None
        self.book.took(data)
        request = self._decode_request(data)
        request.meta[LEASE_META] = data
        return request

    def clear(self) -> None:
        self.server.delete(self.key, self.inflight_key)


def ack(request: Optional[Request], spider) -> None:
    """Acknowledge a leased request: once its outcome is committed it will not be re-queued."""
    if request is None:
        return
    lease = request.meta.pop(LEASE_META, None)
    book = getattr(spider, LEASE_BOOK_ATTR, None)
    if lease is None or book is None:
        return
    book.attach_store(getattr(spider, "store", None))
    book.ack(lease)


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
    """Acknowledges a response's lease once its callback output is handled; renews leases;
    drops article requests another worker already scheduled.

    Articles are acknowledged by ``item_scraped`` — after the storage pipeline stored them,
    effective at the store's next commit; a response that produced no item (a feed, a
    listing, a non-article) when its output is done.

    Requests a callback yields with ``dont_filter=True`` bypass scrapy-redis' duplicate
    filter (the news spider does this for article pages, deduplicated by its own per-process
    seen-set, so that a redirect loop is not silently swallowed). With several workers that
    per-process set is not enough: an article linked from a feed parsed by one worker and a
    listing parsed by another would be fetched twice (and the second store would collide on
    the canonical URL). Such requests are checked against the shared bounded seen-set here
    — redirects and retries, which do not pass through spider output, are not affected.
    ``meta['rw_shared_dedupe'] = False`` opts a request out.
    """

    def __init__(self, crawler):
        self.crawler = crawler
        self.df: Optional[BoundedDupeFilter] = None
        self._loop = None
        self._flush_loop = None
        self.flush_seconds = max(crawler.settings.getfloat("STORE_BATCH_SECONDS", 2.0), 0.2)
        self.store_retries = _setting_int(crawler.settings, "REFORMWATCH_STORE_RETRIES", 2)

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.get("REDIS_URL"):
            raise NotConfigured
        mw = cls(crawler)
        crawler.signals.connect(mw._item_done, signal=signals.item_scraped)
        crawler.signals.connect(mw._item_done, signal=signals.item_dropped)
        crawler.signals.connect(mw._item_done, signal=signals.item_error)
        crawler.signals.connect(mw._opened, signal=signals.spider_opened)
        crawler.signals.connect(mw._closed, signal=signals.spider_closed)
        return mw

    # -- lease heartbeat --------------------------------------------------------------------
    def _opened(self, spider):
        from twisted.internet import task

        book = getattr(spider, LEASE_BOOK_ATTR, None)
        if book is None:
            return
        self._loop = task.LoopingCall(self._renew, book)
        self._loop.start(max(book.lease_ms / 3000.0, 0.3), now=False)
        self._flush_loop = task.LoopingCall(self._flush, book)
        self._flush_loop.start(min(self.flush_seconds, 1.0), now=False)

    def _flush(self, book: "LeaseBook") -> None:
        try:
            book.flush_idle(self.flush_seconds)
        except Exception:  # the store's commit failed: its leases went back to the queue
            log.exception("committing the store for pending acknowledgements failed")

    @staticmethod
    def _renew(book: "LeaseBook") -> None:
        try:
            book.renew()
        except Exception:  # Redis briefly away: the next beat tries again
            log.exception("renewing request leases failed")

    def _closed(self, spider, reason=None):
        for loop in (self._loop, self._flush_loop):
            if loop is not None and loop.running:
                loop.stop()

    # -- acknowledgements -------------------------------------------------------------------
    def _item_done(self, item=None, response=None, spider=None, exception=None, failure=None, **_):
        if response is None:
            return
        spider = spider or self.crawler.spider
        error = exception if exception is not None else getattr(failure, "value", None)
        if error is not None and _is_database_error(error) and self._store_again(response.request, spider):
            return
        ack(response.request, spider)

    def _store_again(self, request: Optional[Request], spider) -> bool:
        """Give a page whose storing failed on a database error back to the queue (fetched
        again by any worker) instead of acknowledging it, at most ``REFORMWATCH_STORE_RETRIES``
        times: the error is transient (a unique-key race with a peer, a dropped connection)
        and the pipeline has rolled back its batch."""
        book = getattr(spider, LEASE_BOOK_ATTR, None)
        if request is None or book is None or book.queue is None or LEASE_META not in request.meta:
            return False
        tries = int(request.meta.get("rw_store_retries", 0))
        if tries >= self.store_retries:
            return False
        again = request.replace(dont_filter=True)
        again.meta["rw_store_retries"] = tries + 1
        request.meta.pop(LEASE_META, None)
        book.queue.push(again)  # re-queues it and drops the old lease in one step
        self.crawler.stats.inc_value("distributed/store_retries")
        log.warning("storing %s failed on a database error: queued again (%d/%d)", request.url, tries + 1,
                    self.store_retries)
        return True

    @staticmethod
    def _is_item(obj: Any) -> bool:
        return not isinstance(obj, Request)

    def _keep(self, obj: Any, spider) -> bool:
        if not isinstance(obj, Request) or not obj.dont_filter or obj.meta.get("rw_shared_dedupe") is False:
            return True
        if self.df is None:
            self.df = BoundedDupeFilter.from_spider(spider)
        if self.df.request_seen(obj):
            self.crawler.stats.inc_value("distributed/shared_seen_filtered")
            return False
        return True

    def process_spider_output(self, response, result: Iterable, spider):
        produced = False
        for obj in result:
            produced = produced or self._is_item(obj)
            if self._keep(obj, spider):
                yield obj
        if not produced:
            ack(response.request, spider)

    async def process_spider_output_async(self, response, result: AsyncIterator, spider):
        produced = False
        async for obj in result:
            produced = produced or self._is_item(obj)
            if self._keep(obj, spider):
                yield obj
        if not produced:
            ack(response.request, spider)

    def process_spider_exception(self, response, exception, spider):
        ack(response.request, spider)
        return None


class SharedRateLimitMiddleware:
    """Per-domain request rate shared by every worker through Redis.

    The delay of a request's domain is ``request.meta['politeness_delay']`` (the spider sets
    it from the registry), else ``REFORMWATCH_SHARED_DELAY``; the key is the request's download
    slot (the outlet), else its host. Scrapy's DOWNLOAD_DELAY is 0 in distributed mode; the
    spider's per-outlet download slots still apply the registry delay within each process,
    which only makes it stricter. Reserved slots are spaced by ``delay``; a request woken more
    than a fifth of the delay after its slot (a busy reactor) reserves a new one, so the
    requests actually sent keep at least ~0.8 × delay apart.
    """

    max_attempts = 5

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
        key = f"reformwatch:rate:{slot}"
        # A reserved slot is only as good as the moment the request really leaves: a reactor
        # busy with extraction may wake us late, and then a peer's next slot is already close.
        # A request that missed its slot by more than a fifth of the delay takes a new one.
        tolerance = max(delay * 0.2, 0.01)
        for _ in range(self.max_attempts):
            wait_ms = int(self._script(keys=[key], args=[int(delay * 1000)]))
            if wait_ms <= 0:
                return None
            due = time.monotonic() + wait_ms / 1000.0
            await _sleep(wait_ms / 1000.0)
            if time.monotonic() - due <= tolerance:
                return None
            if spider is not None and spider.crawler.stats:
                spider.crawler.stats.inc_value("distributed/rate_slot_missed")
        return None


async def _sleep(seconds: float) -> None:
    from twisted.internet import reactor
    from twisted.internet.task import deferLater

    from scrapy.utils.defer import maybe_deferred_to_future

    await maybe_deferred_to_future(deferLater(reactor, seconds, lambda: None))


class BoundedDupeFilter(RFPDupeFilter):
    """scrapy-redis duplicate filter whose seen-set is bounded: two rotating, expiring buckets."""

    def __init__(self, server, key, debug=False, ttl: int = 6 * 3600):
        super().__init__(server, key, debug)
        self.ttl = max(int(ttl), 1)
        self.opened_round: Optional[bool] = None
        self._seen = server.register_script(_SEEN_LUA)

    @classmethod
    def from_spider(cls, spider):
        from scrapy_redis.connection import get_redis_from_settings

        settings = spider.settings
        key = settings.get("SCHEDULER_DUPEFILTER_KEY", "%(spider)s:dupefilter") % {"spider": spider.name}
        df = cls(get_redis_from_settings(settings), key=key, debug=settings.getbool("DUPEFILTER_DEBUG"),
                 ttl=settings.getint("REFORMWATCH_SEEN_TTL", 6 * 3600))
        if not getattr(spider, "_rw_round_checked", False):
            spider._rw_round_checked = True
            queue_key = settings.get("SCHEDULER_QUEUE_KEY", "%(spider)s:requests") % {"spider": spider.name}
            guard = _setting_int(settings, "REFORMWATCH_ROUND_GUARD_SECONDS", 10)
            df.opened_round = df.begin_round(queue_key, guard)
        return df

    def begin_round(self, queue_key: str, guard_seconds: int) -> bool:
        """Start a new crawl round when the shared frontier is empty: forget the seen-set.

        The seen-set deduplicates *within* a round (a feed, sitemap or listing page fetched
        once for all workers; an article scheduled once). A scheduled crawl an hour later must
        fetch the feeds and sitemaps again, so the first worker to open on an empty frontier
        (no queued request, no lease) empties it; workers opening within ``guard_seconds``
        after it, or while the frontier has work, join the round. Stored articles are skipped
        across rounds by the database (the spider's known URLs), not by Redis.
        """
        cur, prev = self._keys()
        opened = int(self.server.eval(_ROUND_LUA, 5, queue_key, f"{queue_key}:inflight", f"{self.key}-round",
                                      cur, prev, max(int(guard_seconds), 1)))
        if opened:
            log.info("new crawl round: the shared seen-set %s was emptied", self.key)
        return bool(opened)

    def _keys(self, now: Optional[float] = None) -> tuple[str, str]:
        bucket = int((now if now is not None else time.time()) // self.ttl)
        return f"{self.key}:{bucket}", f"{self.key}:{bucket - 1}"

    def request_seen(self, request) -> bool:
        now = time.time()
        cur, prev = self._keys(now)
        until = (int(now // self.ttl) + 2) * self.ttl  # the bucket is consulted until then
        added = self._seen(keys=[cur, prev], args=[self.request_fingerprint(request), until])
        return int(added) == 0

    def clear(self) -> None:
        cur, prev = self._keys()
        self.server.delete(cur, prev)

    def close(self, reason: str = "") -> None:
        # Shared by every worker: one worker closing must not wipe the others' seen-set.
        return None
