"""Item pipelines: extraction, then storage. Classification never runs in the crawler.

* ``ExtractionPipeline`` (CPU work, synchronous, in the crawl process): runs
  ``crawler.extraction.extract_article`` on the bytes as fetched with the outlet's registry
  rules and the HTTP charset; a page that is not an article (or has no text) is recorded in
  ``fetch_errors`` with the extractor's reason and dropped. The page's ``rel=canonical`` (or
  the AMP page's canonical) becomes ``canonical_url`` when it belongs to the same outlet —
  a canonical pointing to another outlet (syndication) is ignored.
  With ``EXTRACTION_PROCESSES = N`` (> 0) the extraction runs in a pool of N worker
  processes (``concurrent.futures.ProcessPoolExecutor``, spawn start method): the
  reactor hands the page over and awaits the result through a Deferred, so Scrapy's own work
  (parsing listings, scheduling, storage) overlaps with extraction on another core.
* ``StoragePipeline``: ``ArticleStore.save(item)`` with the spider's single session,
  committing every ``STORE_BATCH_SIZE`` items or ``STORE_BATCH_SECONDS`` seconds, counting
  each outcome per source.
"""
from __future__ import annotations

import logging
import os
import re
import time

from scrapy.exceptions import DropItem

from crawler.urls import canonicalize

log = logging.getLogger(__name__)
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", re.I)


def http_charset(headers: dict) -> str | None:
    for k, v in (headers or {}).items():
        if k.lower() == "content-type":
            m = _CHARSET.search(v or "")
            return m.group(1) if m else None
    return None


def _extract_in_worker(html, url, rules, http_charset):
    """Run in a pool process: ``(result, prepared, CPU seconds)``; ``prepared`` is what
    storage derives from the page alone (``storage.articles.prepare``: normalised text,
    hashes, MinHash signature, gzip of the snapshot), None when the page is not kept."""
    from crawler.extraction import extract_article
    from storage.articles import prepare

    t0 = time.process_time()
    result = extract_article(html, url, rules=rules, http_charset=http_charset)
    text = (result.get("text") or "").strip()
    prepared = prepare(text, result.get("title"), html) if text and result.get("is_article", True) else None
    return result, prepared, time.process_time() - t0


def _warm_worker() -> None:
    import crawler.extraction  # noqa: F401  (imports trafilatura once per worker, at start)
    from storage import dedup

    dedup.signature("khởi động")  # datasketch and its permutations, once per worker


def extraction_processes(settings) -> int:
    """``EXTRACTION_PROCESSES`` from the Scrapy settings, else ``REFORMWATCH_EXTRACTION_PROCESSES``."""
    value = settings.get("EXTRACTION_PROCESSES") if settings is not None else None
    if value in (None, ""):
        value = os.environ.get("REFORMWATCH_EXTRACTION_PROCESSES", "0")
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        raise ValueError(f"EXTRACTION_PROCESSES={value!r}: expected a whole number of processes") from None


def _in_process_extractor():
    from crawler.extraction import extract_article

    return extract_article


class ExtractionPipeline:
    def __init__(self, min_chars: int = 500, processes: int = 0):
        self.processes = processes
        self.extract = None if processes > 0 else _in_process_extractor()
        self.min_chars = min_chars
        self.threaded = False
        self.pool = None
        self.seconds = 0.0

    @classmethod
    def from_crawler(cls, crawler):
        pipe = cls(crawler.settings.getint("ARTICLE_MIN_CHARS", 500), extraction_processes(crawler.settings))
        pipe.threaded = crawler.settings.getbool("EXTRACTION_IN_THREADS", False)
        pipe.crawler = crawler
        return pipe

    def open_spider(self, spider=None):
        if self.processes > 0 and self.pool is None:
            import concurrent.futures
            import multiprocessing

            # spawn: no fork of a process running a reactor and threads; the workers are this
            # process's children, so their CPU time shows in its rusage once they are joined
            ctx = multiprocessing.get_context("spawn")
            self.pool = concurrent.futures.ProcessPoolExecutor(self.processes, mp_context=ctx, initializer=_warm_worker)

    async def _extract_in_pool(self, html, url, rules, charset):
        from twisted.internet import defer, reactor

        from scrapy.utils.defer import maybe_deferred_to_future

        d = defer.Deferred()

        def done(fut):  # runs in the executor's thread: hand the outcome to the reactor thread
            exc = fut.exception()
            if exc is not None:
                reactor.callFromThread(d.errback, exc)
            else:
                reactor.callFromThread(d.callback, fut.result())

        from concurrent.futures.process import BrokenProcessPool

        try:
            self.pool.submit(_extract_in_worker, html, url, rules, charset).add_done_callback(done)
            result, prepared, cpu = await maybe_deferred_to_future(d)
        except BrokenProcessPool as exc:  # a worker died: this page and the next ones in-process
            self._drop_broken_pool(exc)
            t0 = time.perf_counter()
            try:
                return self.extract(html, url, rules=rules, http_charset=charset), None
            finally:
                self.seconds += time.perf_counter() - t0
        self.seconds += cpu
        return result, prepared

    def _drop_broken_pool(self, exc: BaseException) -> None:
        """A worker died (killed, out of memory): go on extracting in this process."""
        if self.pool is not None:
            log.error("extraction pool broken (%s): extracting in the crawl process from now on", exc)
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = None
            self.extract = _in_process_extractor()

    async def process_item(self, item, spider=None):
        spider = spider or self.crawler.spider
        outlet = spider.outlet_by_id.get(item["outlet_id"])
        rules = list(outlet.rules) if outlet is not None and outlet.rules else None
        page_url = item.get("final_url") or item["url"]
        t0 = time.perf_counter()
        prepared = None
        try:
            if self.pool is not None:
                result, prepared = await self._extract_in_pool(item["html"], page_url, rules, http_charset(item.get("headers")))
            elif self.threaded:
                from twisted.internet.threads import deferToThread

                from scrapy.utils.defer import maybe_deferred_to_future

                result = await maybe_deferred_to_future(deferToThread(
                    self.extract, item["html"], page_url, rules=rules, http_charset=http_charset(item.get("headers"))
                ))
            else:
                result = self.extract(item["html"], page_url, rules=rules, http_charset=http_charset(item.get("headers")))
        except Exception as exc:  # the extractor promises not to raise; record it if it does
            spider.record_error(item["outlet_id"], item["url"], "article", f"extraction failed: {type(exc).__name__}: {exc}")
            raise DropItem(f"extraction failed for {item['url']}") from exc
        finally:
            if self.pool is None:  # in the pool: the workers' CPU time, added above
                self.seconds += time.perf_counter() - t0
        text = (result.get("text") or "").strip()
        if not result.get("is_article", bool(text)) or not text:
            reason = result.get("reason") or "no article text"
            spider.record_error(item["outlet_id"], item["url"], "article", f"not an article: {reason}", item.get("http_status"))
            raise DropItem(f"not an article: {item['url']} ({reason})")
        if len(text) < self.min_chars and result.get("published") is None:
            reason = f"text of {len(text)} characters and no publication date"
            spider.record_error(item["outlet_id"], item["url"], "article", f"not an article: {reason}", item.get("http_status"))
            raise DropItem(f"not an article: {item['url']} ({reason})")
        canonical = item["url"]
        for cand in (result.get("canonical_url"),):
            if not cand or not isinstance(cand, str):
                continue
            try:
                cand = canonicalize(cand)
            except ValueError:
                continue
            if outlet is None or outlet.owns_url(cand):
                canonical = cand
                break
        item["canonical_url"] = canonical
        item["title"] = result.get("title")
        item["published"] = result.get("published")
        item["author"] = result.get("author")
        item["text"] = text
        if prepared is not None:
            from storage.articles import PREPARED_ATTR

            setattr(item, PREPARED_ATTR, (prepared, item["html"]))  # checked against the item by save()
        return item

    def close_spider(self, spider=None):
        spider = spider or self.crawler.spider
        if self.pool is not None:
            import resource

            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
            if spider is not None:  # the workers are joined children now: their peak memory
                spider.crawler.stats.set_value(
                    "reformwatch/extraction_workers_maxrss_kb", resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
                )
        if spider is not None:
            spider.crawler.stats.set_value("reformwatch/extraction_seconds", round(self.seconds, 3))


class StoragePipeline:
    def __init__(self, batch_size: int = 200, batch_seconds: float = 2.0):
        self.batch_size = max(1, batch_size)
        self.batch_seconds = batch_seconds
        self.last_commit = time.monotonic()
        self.seconds = 0.0

    @classmethod
    def from_crawler(cls, crawler):
        s = crawler.settings
        pipe = cls(s.getint("STORE_BATCH_SIZE", 200), s.getfloat("STORE_BATCH_SECONDS", 2.0))
        pipe.crawler = crawler
        return pipe

    def _maybe_commit(self, store, force: bool = False) -> None:
        now = time.monotonic()
        if force or store.pending >= self.batch_size or now - self.last_commit >= self.batch_seconds:
            store.commit()
            self.last_commit = now

    def process_item(self, item, spider=None):
        spider = spider or self.crawler.spider
        store = spider.open_store()
        outlet_id = item["outlet_id"]
        t0 = time.perf_counter()
        try:
            outcome = store.save(item)
        except ValueError as exc:
            spider.record_error(outlet_id, item["url"], "store", str(exc))
            raise DropItem(str(exc)) from exc
        except Exception as exc:  # database error: the batch is rolled back, pages refetched next run
            log.exception("storing %s failed", item["url"])
            store.rollback()
            spider.record_error(outlet_id, item["url"], "store", f"{type(exc).__name__}: {exc}")
            raise DropItem(str(exc)) from exc
        finally:
            self.seconds += time.perf_counter() - t0
        spider.count(outlet_id, "duplicates" if outcome == "duplicate" else outcome)
        self._maybe_commit(store)
        return item

    def close_spider(self, spider=None):
        spider = spider or self.crawler.spider
        if spider.store is not None:
            self._maybe_commit(spider.store, force=True)
        spider.crawler.stats.set_value("reformwatch/storage_seconds", round(self.seconds, 3))
        import resource

        usage = resource.getrusage(resource.RUSAGE_SELF)  # the crawl process alone, so far
        spider.crawler.stats.set_value("reformwatch/crawl_process_cpu_seconds", round(usage.ru_utime + usage.ru_stime, 3))
