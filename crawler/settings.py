"""Scrapy settings of the ReformWatch crawler (``scrapy.cfg``: default = crawler.settings).

Every setting below can be overridden from the environment: ``REFORMWATCH_<NAME>`` sets
``<NAME>`` (``REFORMWATCH_DOWNLOAD_TIMEOUT=2`` → ``DOWNLOAD_TIMEOUT = 2.0``). Values are
converted to the type of the default (bool: 1/0, true/false, yes/no; lists and dicts: JSON).
The database is ``REFORMWATCH_DB`` (an SQLAlchemy URL, see storage/db.py), as everywhere.

Politeness (docs/crawling.md):
    ROBOTSTXT_OBEY            True     robots.txt of every host is obeyed
    USER_AGENT                ReformWatch/0.1 (+https://github.com/reformwatch; …)
    DOWNLOAD_DELAY            1.0 s    default per-outlet delay; the registry's
                                       ``politeness.delay`` of an outlet wins for it
    CONCURRENT_REQUESTS_PER_DOMAIN 2   default per-outlet concurrency; registry wins
    AUTOTHROTTLE_ENABLED      True     adapts each outlet's delay to its latency, never
                                       below the outlet's registry delay
    AUTOTHROTTLE_START_DELAY  1.0 s
    AUTOTHROTTLE_MAX_DELAY    30 s
    AUTOTHROTTLE_TARGET_CONCURRENCY 1.0
Errors and limits:
    RETRY_TIMES               2        retries of timeouts, connection errors, 5xx, 429
    RETRY_BACKOFF_BASE        1.0 s    retry n waits BASE * 2**(n-1) (BackoffMiddleware)
    RETRY_BACKOFF_MAX         60 s     cap of that wait
    DOWNLOAD_TIMEOUT          30 s
    DOWNLOAD_MAXSIZE          10 MB    larger responses are cancelled and recorded as errors
    DOWNLOAD_WARNSIZE         5 MB
    REDIRECT_MAX_TIMES        5        a redirect loop ends as a recorded error
Crawl shape:
    LISTING_STOP_AT_KNOWN     True     a listing page whose links are all stored ends that listing
    EXTRACTION_IN_THREADS     False    extraction in the reactor's thread pool (see docs/crawling.md)
    ARTICLE_MIN_CHARS         500      shorter text without a publication date: not an article
    CRAWL_IGNORE_REGISTRY_POLITENESS False  use DOWNLOAD_DELAY / CONCURRENT_REQUESTS_PER_DOMAIN
                                       for every outlet instead of the registry's (bench only)
    STORE_BATCH_SIZE          200      items per database commit (also every STORE_BATCH_SECONDS)
    STORE_BATCH_SECONDS       2.0
    EXTRACTION_PROCESSES      0        >0: extract pages in that many worker processes (spawned;
                                       results come back to the reactor as Deferreds) — for
                                       fast local crawls (demo, bench); 0 = in the crawl process
Resumable crawls: run_crawl passes JOBDIR (crawler/run.py) unless REDIS_URL is set.
Distributed (crawler/distributed.py): with REDIS_URL set, the frontier lives in Redis.
"""
from __future__ import annotations

import json
import os

BOT_NAME = "reformwatch"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

USER_AGENT = (
    "ReformWatch/0.1 (+https://github.com/reformwatch; media monitoring of administrative-reform news)"
)
ROBOTSTXT_OBEY = True

CONCURRENT_REQUESTS = 32
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
DOWNLOAD_DELAY_JITTER = 0.5  # ±50 % random variation of each delay

AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
RETRY_BACKOFF_BASE = 1.0
RETRY_BACKOFF_MAX = 60.0

DOWNLOAD_TIMEOUT = 30.0
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DOWNLOAD_WARNSIZE = 5 * 1024 * 1024
REDIRECT_MAX_TIMES = 5

COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
LOG_LEVEL = "INFO"
HTTPERROR_ALLOW_ALL = False

ARTICLE_MIN_CHARS = 500
EXTRACTION_IN_THREADS = False
LISTING_STOP_AT_KNOWN = True
CRAWL_IGNORE_REGISTRY_POLITENESS = False
STORE_BATCH_SIZE = 200
STORE_BATCH_SECONDS = 2.0
EXTRACTION_PROCESSES = 0

DOWNLOADER_MIDDLEWARES = {
    "crawler.middlewares.BackoffMiddleware": 540,  # before RetryMiddleware (550) sees the response
}
EXTENSIONS = {
    "scrapy.extensions.throttle.AutoThrottle": None,
    "crawler.middlewares.OutletAutoThrottle": 0,
}
ITEM_PIPELINES = {
    "crawler.pipelines.ExtractionPipeline": 100,
    "crawler.pipelines.StoragePipeline": 800,
}

REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
FEED_EXPORT_ENCODING = "utf-8"

# --------------------------------------------------------------------------- distributed mode
REDIS_URL = os.environ.get("REDIS_URL") or os.environ.get("REFORMWATCH_REDIS_URL") or None
REFORMWATCH_LEASE_SECONDS = 120
REFORMWATCH_SEEN_TTL = 6 * 3600
REFORMWATCH_SHARED_DELAY = 1.0
REFORMWATCH_STORE_RETRIES = 2  # a page whose storing hit a database error is queued again at most this often
REFORMWATCH_ROUND_GUARD_SECONDS = 10  # crawlers started this close to a round's first one join its round


# --------------------------------------------------------------------------- env overrides
def _coerce(raw: str, default):
    if isinstance(default, bool):
        low = raw.strip().lower()
        if low in ("1", "true", "yes", "on"):
            return True
        if low in ("0", "false", "no", "off", ""):
            return False
        raise ValueError(f"not a boolean: {raw!r}")
    if isinstance(default, int):
        return int(float(raw))
    if isinstance(default, float):
        return float(raw)
    if isinstance(default, (list, dict)):
        return json.loads(raw)
    return raw


def apply_env_overrides(namespace: dict, environ=os.environ) -> list[str]:
    """Apply ``REFORMWATCH_<NAME>`` variables to the upper-case settings of ``namespace``."""
    applied = []
    for key, raw in environ.items():
        if not key.startswith("REFORMWATCH_"):
            continue
        name = key[len("REFORMWATCH_"):]
        if name in ("DB", "HOME", "SHARED", "SOURCES", "SCHEMA_READY") or not name.isupper():
            continue
        if name in namespace:
            target = name
        elif key in namespace:  # REFORMWATCH_LEASE_SECONDS etc. are settings themselves
            target = key
        else:
            continue
        try:
            namespace[target] = _coerce(raw, namespace[target])
        except (ValueError, json.JSONDecodeError) as exc:
            raise ValueError(f"environment variable {key}={raw!r}: {exc}") from exc
        applied.append(target)
    return applied


apply_env_overrides(globals())

if REDIS_URL:
    SCHEDULER = "scrapy_redis.scheduler.Scheduler"
    SCHEDULER_QUEUE_CLASS = "crawler.distributed.LeasedPriorityQueue"
    DUPEFILTER_CLASS = "crawler.distributed.BoundedDupeFilter"
    SCHEDULER_PERSIST = True
    DOWNLOAD_DELAY = 0.0  # the shared rate limit in Redis replaces the per-process delay
    DOWNLOADER_MIDDLEWARES = dict(
        DOWNLOADER_MIDDLEWARES,
        **{
            "crawler.distributed.SharedRateLimitMiddleware": 545,
            "crawler.distributed.LeaseDownloaderMiddleware": 950,
        },
    )
    SPIDER_MIDDLEWARES = {"crawler.distributed.LeaseSpiderMiddleware": 10}
