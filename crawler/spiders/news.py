"""The ``news`` spider: discovers article pages of the registry's outlets and fetches them.

    scrapy crawl news [-a source=ID[,ID…]] [-a since=YYYY-MM-DD] [-a sources=FILE] [-a run_id=N]

Discovery per outlet: feeds (RSS/Atom), sitemaps (indexes followed, news sitemaps read),
listing pages (pagination up to ``max_pages``). Every discovered URL is canonicalised
(``crawler.urls``) before it is requested; a URL already stored for the outlet is not
requested again (the known URLs are loaded once per outlet at start) unless the feed or
sitemap says it was modified after the stored fetch. ``since`` skips entries older than the
date and stops a listing once a page's newest item is older.

Errors (HTTP status, timeout, DNS, too big, redirect loop, broken feed, sitemap that is HTML,
not an article) go to ``fetch_errors`` against their outlet and are counted; the crawl goes
on. Extraction and storage happen in the item pipelines.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
from collections import defaultdict
from typing import Any, AsyncIterator, Iterable, Optional
from zoneinfo import ZoneInfo

import scrapy
from scrapy import signals
from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError

from crawler import discovery
from crawler.items import ArticleItem
from crawler.urls import canonicalize

log = logging.getLogger(__name__)
VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
MAX_SITEMAP_DEPTH = 3


def parse_since(value: Optional[str]) -> Optional[dt.datetime]:
    """``YYYY-MM-DD`` → start of that day in Vietnam time. ValueError names the bad value."""
    if value in (None, ""):
        return None
    try:
        day = dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(f"since={value!r}: expected a date YYYY-MM-DD") from None
    return dt.datetime(day.year, day.month, day.day, tzinfo=VN_TZ)


def failure_reason(failure) -> tuple[str, Optional[int], str]:
    """(reason, http status, kind) of a failed request, in words a user can act on."""
    from scrapy import exceptions as se

    exc = failure.value
    if isinstance(exc, HttpError):
        status = exc.response.status
        return f"HTTP {status}", status, "http"
    if isinstance(exc, IgnoreRequest):
        msg = str(exc) or "request ignored"
        if "robots.txt" in msg.lower():
            return "forbidden by robots.txt", None, "robots"
        if "redirect" in msg.lower():
            return f"redirect loop / too many redirects ({msg})", None, "redirect"
        return msg, None, "ignored"
    name = type(exc).__name__
    timeout_types = tuple(
        t for t in (getattr(se, "DownloadTimeoutError", None),) if t is not None
    )
    if isinstance(exc, timeout_types) or "Timeout" in name:
        return f"timeout ({exc})", None, "timeout"
    if isinstance(exc, getattr(se, "DownloadCancelledError", ())) or "Cancelled" in name:
        return f"download cancelled: {exc or 'response too large (DOWNLOAD_MAXSIZE)'}", None, "too_big"
    if isinstance(exc, getattr(se, "CannotResolveHostError", ())) or "DNS" in name:
        return f"DNS lookup failed ({exc})", None, "dns"
    return f"{name}: {exc}", None, "network"


def tune_gc() -> None:
    """Garbage collection for a long crawl process: everything loaded so far (Scrapy, SQLAlchemy,
    the registry, the known URLs) is frozen out of the collector's scans, and young
    collections run less often. A 2,000-article crawl spent ≈ 2 s of its ≈ 15 s CPU in the
    collector with Python's defaults (700, 10, 10); see docs/crawling.md."""
    import gc

    gc.collect()
    gc.freeze()
    gen0, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(max(gen0, 20_000), max(gen1, 20), max(gen2, 20))


class NewsSpider(scrapy.Spider):
    name = "news"
    # Scrapy starts CONCURRENT_ITEMS (default 100) asyncio tasks for *every* callback output;
    # an article response yields one item, a listing a few dozen requests, and our pipelines
    # are CPU-bound, so 100 tasks per response was pure overhead (≈ 340,000 tasks for a
    # 2,000-article crawl, about a fifth of the crawl process's CPU). See docs/crawling.md.
    # WARN_ON_GENERATOR_RETURN_VALUE: Scrapy's check re-reads and re-parses (inspect + ast)
    # the callback's source for every response whose request came back from the JOBDIR disk
    # queue (a fresh bound method each time defeats its weak-reference cache); our callbacks
    # never return a value from a generator (checked with scrapy.utils.misc.is_generator_with_return_value).
    custom_settings = {"CONCURRENT_ITEMS": 8, "WARN_ON_GENERATOR_RETURN_VALUE": False}

    def __init__(
        self,
        source: Optional[str] = None,
        since: Optional[str] = None,
        sources: Optional[str] = None,
        run_id: Optional[str] = None,
        *args: Any,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        from crawler.registry import load_registry

        self.registry = load_registry(sources or None)  # default: $REFORMWATCH_SOURCES, else bundled
        ids = [s for s in (source or "").split(",") if s.strip()]
        self.outlets = self.registry.select(ids or None)
        self.outlet_by_id = {o.id: o for o in self.outlets}
        self.since = parse_since(since)
        self.run_id: Optional[int] = int(run_id) if run_id not in (None, "") else None
        self.counts: dict[str, dict[str, int]] = defaultdict(self._empty)
        self.known: dict[str, dict[str, Optional[dt.datetime]]] = {}
        self.seen: set[str] = set()  # article URLs requested in this run
        self.skipped: set[str] = set()  # article URLs counted as skipped in this run
        self.too_old: set[str] = set()  # article URLs dated before since
        self.undated: dict[str, tuple] = {}  # with since: links without a date, held until idle
        self.store = None
        self._args = {"source": source, "since": since, "sources": sources}

    @staticmethod
    def _empty() -> dict[str, int]:
        from storage.runs import empty_counts

        return empty_counts()

    # ------------------------------------------------------------------ set-up
    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        ignore = settings.getbool("CRAWL_IGNORE_REGISTRY_POLITENESS", False)
        if not settings.frozen:
            slots = dict(settings.getdict("DOWNLOAD_SLOTS"))
            for o in spider.outlets:
                if ignore:
                    conc = settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN")
                    delay = settings.getfloat("DOWNLOAD_DELAY")
                else:
                    conc, delay = o.politeness.concurrency, o.politeness.delay
                slots.setdefault(o.id, {"concurrency": int(conc), "delay": float(delay)})
            settings.set("DOWNLOAD_SLOTS", slots, priority="spider")
        spider.slot_delay = {
            k: float(v.get("delay", 0)) for k, v in settings.getdict("DOWNLOAD_SLOTS").items()
        }
        crawler.signals.connect(spider._closed, signal=signals.spider_closed)
        crawler.signals.connect(spider._idle, signal=signals.spider_idle)
        return spider

    def open_store(self):
        """The ArticleStore of this crawl (one session for the whole spider)."""
        if self.store is None:
            from storage.articles import ArticleStore

            db = os.environ.get("REFORMWATCH_DB") or self.settings.get("REFORMWATCH_DB_URL") or None
            self.store = ArticleStore(db)
            self.store.upsert_outlets(self.outlets)
            if self.run_id is None:
                self.run_id = self.store.start_run(spider=self.name, args=self._args)
            self.store.commit()
        return self.store

    # ------------------------------------------------------------------ helpers
    def _meta(self, outlet, stage: str, **extra) -> dict:
        meta = {
            "outlet_id": outlet.id,
            "stage": stage,
            "download_slot": outlet.id,
            "politeness_delay": self.slot_delay.get(outlet.id, outlet.politeness.delay),
        }
        meta.update(extra)
        return meta

    def count(self, outlet_id: str, key: str, n: int = 1) -> None:
        self.counts[outlet_id][key] += n

    def record_error(self, outlet_id: Optional[str], url: str, stage: str, reason: str, status=None) -> None:
        store = self.open_store()
        store.record_error(run_id=self.run_id, outlet_id=outlet_id, url=url, stage=stage, reason=reason, http_status=status)
        if outlet_id:
            self.count(outlet_id, "errors")
        self.crawler.stats.inc_value(f"reformwatch/errors/{stage}")
        log.warning("%s %s [%s]: %s", stage, url, outlet_id, reason)

    def _skip(self, outlet_id: str, url: str) -> None:
        """Count a URL not fetched (known, out of window) once per run."""
        if url not in self.skipped:
            self.skipped.add(url)
            self.count(outlet_id, "skipped")

    def _page_ok(self, response) -> None:
        self.count(response.meta["outlet_id"], "pages")

    # ------------------------------------------------------------------ start
    async def start(self) -> AsyncIterator[Any]:
        for request in self.start_requests_list():
            yield request

    def start_requests_list(self) -> list[scrapy.Request]:
        self._resume_state()
        store = self.open_store()
        requests = []
        for outlet in self.outlets:
            self.known[outlet.id] = store.known_urls(outlet.id)
            self.counts[outlet.id]  # every selected outlet gets a stats row
            for url in outlet.feeds:
                requests.append(self._discovery_request(url, self.parse_feed, outlet, "feed"))
            for url in outlet.sitemaps:
                requests.append(self._discovery_request(url, self.parse_sitemap, outlet, "sitemap", depth=0))
            for i, listing in enumerate(outlet.listings):
                requests.append(
                    self._discovery_request(listing.url, self.parse_listing, outlet, "listing", listing=i, page=1)
                )
        tune_gc()
        return requests

    def _discovery_request(self, url, callback, outlet, stage, **extra) -> scrapy.Request:
        return scrapy.Request(
            url, callback=callback, errback=self.on_error, meta=self._meta(outlet, stage, **extra),
            dont_filter=False, priority=10,
        )

    def article_request(
        self, outlet, entry: discovery.Entry, via: str, deferred: bool = False
    ) -> Optional[scrapy.Request]:
        """The request for a discovered article link, or None (known, out of window, seen)."""
        try:
            url = canonicalize(entry.url)
        except ValueError as exc:
            self.record_error(outlet.id, entry.url, via, f"bad article URL: {exc}")
            return None
        if url in self.seen or url in self.too_old:  # requested, or known older than since
            return None
        if not outlet.owns_url(url):
            self.crawler.stats.inc_value("reformwatch/offsite_links")
            return None
        if self.since is not None and entry.date is not None and entry.date < self.since:
            self.too_old.add(url)
            self._skip(outlet.id, url)
            return None
        if self.since is not None and entry.date is None and not deferred:
            # no date here: another source (feed, sitemap, dated listing) may still date it;
            # undated links are requested when discovery is done (spider_idle)
            self.undated.setdefault(url, (outlet, entry, via))
            return None
        known = self.known.get(outlet.id, {})
        if url in known:
            # stored: fetch again only when a feed/sitemap says it changed after our fetch;
            # another source (a sitemap with lastmod) may still say so later in this run
            last = known[url]
            modified = entry.lastmod
            if not (modified is not None and (last is None or modified > last)):
                self._skip(outlet.id, url)
                return None
        self.seen.add(url)
        if url in self.skipped:
            self.skipped.discard(url)
            self.count(outlet.id, "skipped", -1)
        return scrapy.Request(
            url, callback=self.parse_article, errback=self.on_error,
            meta=self._meta(outlet, "article", via=via),
            # our own seen-set dedupes; Scrapy's dupefilter would silently swallow a redirect loop
            dont_filter=True,
        )

    # ------------------------------------------------------------------ callbacks
    def parse_feed(self, response) -> Iterable[Any]:
        outlet = self.outlet_by_id[response.meta["outlet_id"]]
        self._page_ok(response)
        try:
            entries = discovery.parse_feed(response.body, response.url)
        except discovery.DiscoveryError as exc:
            self.record_error(outlet.id, response.url, "feed", str(exc), response.status)
            return
        for entry in entries:
            req = self.article_request(outlet, entry, "feed")
            if req is not None:
                yield req

    def parse_sitemap(self, response) -> Iterable[Any]:
        outlet = self.outlet_by_id[response.meta["outlet_id"]]
        self._page_ok(response)
        try:
            sitemap = discovery.parse_sitemap(response.body, response.url)
        except discovery.DiscoveryError as exc:
            self.record_error(outlet.id, response.url, "sitemap", str(exc), response.status)
            return
        depth = response.meta.get("depth_sitemap", response.meta.get("depth", 0)) or 0
        for child in sitemap.sitemaps:
            if self.since is not None and child.lastmod is not None and child.lastmod < self.since:
                self.count(outlet.id, "skipped")
                continue
            if depth >= MAX_SITEMAP_DEPTH:
                self.record_error(outlet.id, child.url, "sitemap", f"sitemap index nested deeper than {MAX_SITEMAP_DEPTH}")
                continue
            yield scrapy.Request(
                child.url, callback=self.parse_sitemap, errback=self.on_error, priority=10,
                meta=self._meta(outlet, "sitemap", depth_sitemap=depth + 1),
            )
        for entry in sitemap.entries:
            req = self.article_request(outlet, entry, "sitemap")
            if req is not None:
                yield req

    def parse_listing(self, response) -> Iterable[Any]:
        outlet = self.outlet_by_id[response.meta["outlet_id"]]
        listing = outlet.listings[response.meta["listing"]]
        page_no = response.meta.get("page", 1)
        self._page_ok(response)
        try:
            page = discovery.parse_listing(
                response.body, response.url, listing.article_pattern,
                next_selector=listing.next_selector, next_page=listing.next_page,
                page=page_no, max_pages=listing.max_pages,
            )
        except discovery.DiscoveryError as exc:
            self.record_error(outlet.id, response.url, "listing", str(exc), response.status)
            return
        known = self.known.get(outlet.id, {})
        all_known = bool(page.entries)
        for entry in page.entries:
            req = self.article_request(outlet, entry, "listing")
            if req is not None:
                yield req
            try:
                all_known = all_known and canonicalize(entry.url) in known
            except ValueError:
                all_known = False
        if page.next_url is None:
            return
        if all_known and self.settings.getbool("LISTING_STOP_AT_KNOWN", True):
            # incremental: every link here is stored already, older pages hold older news
            self.crawler.stats.inc_value("reformwatch/listing_stopped_at_known")
            return
        if self.since is not None and page.newest is not None and page.newest < self.since:
            self.crawler.stats.inc_value("reformwatch/listing_stopped_by_since")
            return
        yield scrapy.Request(
            page.next_url, callback=self.parse_listing, errback=self.on_error, priority=10,
            meta=self._meta(outlet, "listing", listing=response.meta["listing"], page=page_no + 1),
        )

    def parse_article(self, response) -> Iterable[Any]:
        self._page_ok(response)
        headers = {
            k.decode("latin-1"): b", ".join(v).decode("latin-1") for k, v in response.headers.items()
        }
        yield ArticleItem(
            outlet_id=response.meta["outlet_id"],
            url=response.request.url if response.request is not None else response.url,
            html=response.body,
            http_status=response.status,
            headers=headers,
            fetched_at=dt.datetime.now(dt.timezone.utc),
            final_url=response.url,
        )

    def on_error(self, failure) -> None:
        request = failure.request
        meta = request.meta
        reason, status, kind = failure_reason(failure)
        outlet_id = meta.get("outlet_id")
        if kind == "robots":
            if outlet_id:
                self.count(outlet_id, "skipped")
            self.crawler.stats.inc_value("reformwatch/robots_forbidden")
            return
        self.record_error(outlet_id, request.url, meta.get("stage", "fetch"), reason, status)

    def _idle(self, spider) -> None:
        """Discovery is done: request the undated links no source dated before ``since``."""
        if spider is not self or not self.undated:
            return
        from scrapy.exceptions import DontCloseSpider

        pending, self.undated = self.undated, {}
        scheduled = 0
        for url, (outlet, entry, via) in pending.items():
            req = self.article_request(outlet, discovery.Entry(url, None, entry.lastmod, entry.title), via, deferred=True)
            if req is not None:
                self.crawler.engine.crawl(req)
                scheduled += 1
        if scheduled:
            raise DontCloseSpider

    def _resume_state(self) -> None:
        """With a Scrapy JOBDIR (single-machine crawls, see crawler/run.py) the set of article
        URLs already scheduled is part of the persisted spider state: a resumed crawl finds
        the pending ones in the persisted queue and must not schedule them a second time."""
        state = getattr(self, "state", None)
        if state is None:
            return
        previous = state.get("scheduled_articles")
        if previous:
            self.seen.update(previous)
        state["scheduled_articles"] = self.seen  # the same set: pickled as it is at close

    # ------------------------------------------------------------------ close
    def _closed(self, spider, reason) -> None:
        if spider is not self:
            return
        store = self.open_store()
        stats = dict(self.crawler.stats.get_stats())
        stats["finish_reason"] = reason
        try:
            store.finish_run(
                self.run_id, dict(self.counts), status="finished" if reason == "finished" else "failed", stats=stats
            )
        finally:
            store.close()
