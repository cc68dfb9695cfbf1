"""Distributed crawling (issue 7): N crawler processes on one Redis frontier, N annotation
workers on one PostgreSQL, against the demo site on 127.0.0.1 — real Redis, real PostgreSQL,
real ``scrapy crawl news`` and ``reformwatch annotate --worker`` child processes.

* two crawlers + two annotation workers over ≥ 1,000 articles: every article stored once,
  annotated once, each article page fetched once across both crawlers;
* the same with one crawler and one worker killed with SIGKILL mid-run and restarted;
* two crawlers on one outlet keep the outlet's delay between *all* their requests;
* the seen-set is bounded: two expiring bucket keys, an old bucket gone after rotation;
* the lease life cycle (pop, renew, expiry and re-queue, acknowledgement after commit,
  give-back on rollback) on the real queue.

The demo registry is rewritten to follow at most 3 pages per listing (the sitemaps list every
article; a 99-page listing is a sequential walk that only makes the test slow).
"""
from __future__ import annotations

import collections
import os
import pickle
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.distributed import cap_listing_pages, crawler_env, register_outlets, start_crawler, stats_of

ROOT = Path(__file__).resolve().parents[1]
N_GENERATED = 1000
SUMMARY = re.compile(r"Đã gán nhãn (\d+)/(\d+)")


# ---------------------------------------------------------------------------- helpers
@pytest.fixture(scope="module")
def _redis_server(tmp_path_factory):
    """A private redis-server for this module (real Redis, its own port).

    The crawl tests keep a frontier in Redis for a minute or two; the shared ``redis_url``
    database is flushed by any other test that starts meanwhile (a parallel suite run), which
    would silently empty the frontier mid-crawl.
    """
    import shutil
    import socket

    from tests.conftest import IN_CI

    binary = shutil.which("redis-server")
    if binary is None:
        if IN_CI:
            pytest.fail("redis-server is not installed (CI=true)")
        pytest.skip("redis-server is not installed")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    folder = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen([binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no",
                             "--dir", str(folder)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    import redis

    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                pytest.fail(f"redis-server on port {port} did not start")
            time.sleep(0.05)
    yield url
    client.close()
    proc.terminate()
    proc.wait(10)


@pytest.fixture
def redis_url(_redis_server):
    """This module's own Redis, flushed before each test."""
    import redis

    client = redis.Redis.from_url(_redis_server)
    client.flushdb()
    yield _redis_server
    client.close()


@pytest.fixture
def big_site():
    from crawler.demo.site import DemoSite

    site = DemoSite(generated=N_GENERATED, faults=False).start()
    cap_listing_pages(site, 3)
    assert len(site.article_urls()) >= 1000
    yield site
    site.stop()


def _engine(db_url):
    from storage.db import get_engine

    return get_engine(db_url)


def _scalar(db_url, sql, **params):
    from sqlalchemy import text

    with _engine(db_url).connect() as conn:
        return conn.execute(text(sql), params).scalar_one()


def _rows(db_url, sql, **params):
    from sqlalchemy import text

    with _engine(db_url).connect() as conn:
        return conn.execute(text(sql), params).all()


def start_annotator(db_url: str, log_path: Path) -> subprocess.Popen:
    env = dict(os.environ, OMP_NUM_THREADS="1",
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    env.pop("REFORMWATCH_DB", None)
    cmd = [sys.executable, "-m", "reformwatch.cli", "annotate", "--worker", "--db", db_url, "--no-progress"]
    with open(log_path, "ab") as log:
        return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def annotated_by(log_path: Path) -> int:
    """Articles a finished worker says it annotated (its summary line)."""
    text = log_path.read_text(encoding="utf-8", errors="replace")
    if "Không có bài nào cần gán nhãn" in text and not SUMMARY.search(text):
        return 0
    m = SUMMARY.search(text)
    assert m, f"no summary in {log_path}:\n{text[-2000:]}"
    return int(m.group(1))


def wait_until(predicate, timeout: float, what: str, step: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def wait_all(procs, timeout: float, logs=()):
    deadline = time.monotonic() + timeout
    for p in procs:
        try:
            p.wait(max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            for q in procs:
                q.kill()
            tails = "\n".join(Path(l).read_text(errors="replace")[-1500:] for l in logs)
            raise AssertionError(f"process {p.args[:6]} still running after {timeout:.0f} s\n{tails}")
    return [p.returncode for p in procs]


def article_fetches(site) -> collections.Counter:
    """How many times each article page (or its AMP copy) was requested, by canonical path."""
    article_paths = {u[len(site.base_url):] for u in site.article_urls()}
    counts = collections.Counter()
    for method, raw, status in list(site.request_log):
        path = raw.split("?", 1)[0].split("#", 1)[0]
        if method == "GET" and path in article_paths:
            counts[path] += 1
        elif "/amp/" in path and path.replace("/amp/", "/", 1) in article_paths:
            counts[path.replace("/amp/", "/", 1)] += 1
    return counts


RETRY_LOG = re.compile(r"storing (\S+) failed on a database error: queued again")


def store_retried_paths(site, logs) -> set[str]:
    """Article paths the crawlers queued again after a database error (see LeaseSpiderMiddleware)."""
    paths = set()
    for log in logs:
        for url in RETRY_LOG.findall(Path(log).read_text(encoding="utf-8", errors="replace")):
            paths.add(url[len(site.base_url):].split("?", 1)[0])
    return paths


def assert_stored_once(db_url, site):
    expected = set(site.article_urls())
    rows = _rows(db_url, "SELECT canonical_url, count(*) FROM articles GROUP BY canonical_url")
    stored = {url: n for url, n in rows}
    total = _scalar(db_url, "SELECT count(*) FROM articles")
    assert set(stored) - expected == set(), "articles stored that the site does not have"
    missing = expected - set(stored)
    assert not missing, f"{len(missing)} articles missing, e.g. {sorted(missing)[:3]}"
    assert total == len(expected), f"{total} rows for {len(expected)} articles"
    return total


def assert_annotated_once(db_url, n_articles):
    versions = _rows(db_url, "SELECT DISTINCT annotated_version FROM articles")
    assert len(versions) == 1 and versions[0][0], f"articles not all annotated by one model: {versions}"
    version = versions[0][0]
    per_article = _rows(
        db_url,
        "SELECT a.id, count(n.id) FROM articles a LEFT JOIN annotations n "
        "ON n.article_id = a.id AND n.model_version = :v GROUP BY a.id",
        v=version,
    )
    assert len(per_article) == n_articles
    bad = [(aid, n) for aid, n in per_article if n != 1]
    assert not bad, f"annotation counts != 1: {bad[:5]}"
    return version


def assert_frontier_drained(redis_url):
    import redis

    r = redis.Redis.from_url(redis_url)
    assert r.zcard("news:requests") == 0, "requests left in the shared queue"
    assert r.zcard("news:requests:inflight") == 0, "leases left in flight"
    buckets = r.keys("news:dupefilter:*")
    assert 1 <= len(buckets) <= 2, buckets
    for key in buckets:
        assert r.ttl(key) > 0, f"{key} does not expire"


# ---------------------------------------------------------------------------- 1. two + two
def test_two_crawlers_two_annotators_store_and_annotate_each_article_once(big_site, pg_url, redis_url, tmp_path):
    site = big_site
    n = len(site.article_urls())
    env = crawler_env(pg_url, redis_url, REFORMWATCH_LEASE_SECONDS=30)
    # outlets registered first: crawlers opening at the same moment race on inserting them
    # (storage/articles.py ArticleStore.upsert_outlets; reported on issue 7)
    register_outlets(pg_url, site.registry_path)
    crawlers = [start_crawler(pg_url, site.registry_path, env, tmp_path / f"crawl{i}.log") for i in range(2)]
    logs = [tmp_path / f"crawl{i}.log" for i in range(2)]
    # the annotation workers start while the crawl goes on, once there is work for them
    wait_until(lambda: _scalar(pg_url, "SELECT count(*) FROM articles") >= 200
               or all(p.poll() is not None for p, _ in crawlers), 150, "200 stored articles")
    workers = [start_annotator(pg_url, tmp_path / f"annotate{i}.log") for i in range(2)]
    codes = wait_all([p for p, _ in crawlers], 200, logs)
    assert codes == [0, 0], [Path(l).read_text(errors="replace")[-3000:] for l in logs]
    assert wait_all(workers, 120) == [0, 0]
    # a second pair picks up what was stored after the first pair found nothing pending
    workers2 = [start_annotator(pg_url, tmp_path / f"annotate{i}.log") for i in (2, 3)]
    assert wait_all(workers2, 120) == [0, 0]

    total = assert_stored_once(pg_url, site)
    # both crawlers did part of the work (one frontier, two consumers)
    from storage.db import session_scope
    from storage.runs import run_summary

    with session_scope(pg_url) as session:
        summaries = [run_summary(session, run_id) for _, run_id in crawlers]
    new_per_run = [sum(c["new"] + c["duplicates"] for c in s["sources"].values()) for s in summaries]
    assert all(s["status"] == "finished" for s in summaries), summaries
    assert all(k > 0 for k in new_per_run), new_per_run
    assert sum(new_per_run) == total

    # each article page requested exactly once across both crawlers — except a page whose
    # storing failed on a database error, which is queued again (logged, at most twice)
    fetches = article_fetches(site)
    assert len(fetches) == total
    retried = store_retried_paths(site, logs)
    twice = {p: k for p, k in fetches.items() if k != 1 and not (p in retried and k <= 3)}
    assert not twice, f"article pages fetched more than once: {list(twice.items())[:5]}"

    # annotated once: one annotation row each, and the workers' own counts add up to the total
    assert_annotated_once(pg_url, total)
    done = [annotated_by(tmp_path / f"annotate{i}.log") for i in range(4)]
    assert sum(done) == total, done
    assert_frontier_drained(redis_url)


# ---------------------------------------------------------------------------- 2. SIGKILL
def _leased_urls(redis_url) -> set[str]:
    import redis

    r = redis.Redis.from_url(redis_url)
    return {pickle.loads(d)["url"] for d in r.zrange("news:requests:inflight", 0, -1)}


def test_killed_crawler_and_annotator_lose_nothing_and_duplicate_nothing(big_site, pg_url, redis_url, tmp_path):
    site = big_site
    n = len(site.article_urls())
    count = lambda: _scalar(pg_url, "SELECT count(*) FROM articles")
    annotated = lambda: _scalar(pg_url, "SELECT count(*) FROM annotations")
    env = crawler_env(pg_url, redis_url, REFORMWATCH_LEASE_SECONDS=5)
    register_outlets(pg_url, site.registry_path)
    a, _ = start_crawler(pg_url, site.registry_path, env, tmp_path / "crawl-a.log")
    b, _ = start_crawler(pg_url, site.registry_path, env, tmp_path / "crawl-b.log")
    wait_until(lambda: count() >= 250 or a.poll() is not None, 150, "250 stored articles")
    assert a.poll() is None, "crawler A finished before it could be killed"
    a.send_signal(signal.SIGKILL)
    a.wait()
    at_kill = count()
    leased_at_kill = _leased_urls(redis_url)  # A's leases (not renewed any more) and B's
    assert 0 < at_kill < n
    assert leased_at_kill, "no request in flight when crawler A was killed"
    a2, _ = start_crawler(pg_url, site.registry_path, env, tmp_path / "crawl-a2.log")

    # annotation: W1 is killed after the first batches are committed, while work is pending
    w1 = start_annotator(pg_url, tmp_path / "annotate-w1.log")
    w2 = start_annotator(pg_url, tmp_path / "annotate-w2.log")
    wait_until(lambda: annotated() >= 64 or w1.poll() is not None, 120, "first annotations")
    assert w1.poll() is None, "worker W1 finished before it could be killed"
    w1.send_signal(signal.SIGKILL)
    w1.wait()
    annotated_at_kill = annotated()
    assert 0 < annotated_at_kill < n

    codes = wait_all([b, a2], 200, [tmp_path / "crawl-b.log", tmp_path / "crawl-a2.log"])
    assert codes == [0, 0]
    assert wait_all([w2], 120) == [0]
    w1b = start_annotator(pg_url, tmp_path / "annotate-w1b.log")  # the restarted worker
    w3 = start_annotator(pg_url, tmp_path / "annotate-w3.log")
    assert wait_all([w1b, w3], 120) == [0, 0]

    total = assert_stored_once(pg_url, site)
    assert_annotated_once(pg_url, total)
    assert_frontier_drained(redis_url)

    # the killed crawler's leases came back through the queue
    requeued = sum(stats_of(tmp_path / f"crawl-{x}.log").get("distributed/leases_requeued", 0) for x in ("b", "a2"))
    assert requeued > 0, "no expired lease was re-queued"
    # a page is fetched again only when it was leased at the kill (A's uncommitted work)
    fetches = article_fetches(site)
    assert len(fetches) == total
    refetched = {p for p, k in fetches.items() if k > 1}
    leased_paths = {u[len(site.base_url):].split("?", 1)[0] for u in leased_at_kill}
    retried = store_retried_paths(site, [tmp_path / f"crawl-{x}.log" for x in ("a", "b", "a2")])
    assert refetched <= leased_paths | retried, sorted(refetched - leased_paths - retried)[:5]
    assert max(fetches.values()) <= 3


# ---------------------------------------------------------------------------- 3. politeness
def test_two_crawlers_share_one_outlet_delay(pg_url, redis_url, tmp_path):
    from crawler.demo.site import DemoSite

    class TimedSite(DemoSite):
        """The demo site noting when each request arrived (server side)."""

        def respond(self, raw_path, headers):
            with self._log_lock:
                self.arrivals.append((time.monotonic(), raw_path))
            return super().respond(raw_path, headers)

    delay = 0.2
    site = TimedSite(generated=150, faults=False)  # ~60 pages on one outlet: ≥ 12 s at 0.2 s
    site.arrivals = []
    with site:
        text = site.registry_path.read_text(encoding="utf-8")
        site.registry_path.write_text(text.replace("delay = 0\n", f"delay = {delay}\n"), encoding="utf-8")
        cap_listing_pages(site, 2)
        outlet = max(("mau-thoi-su", "mau-tin-nhanh", "mau-phap-luat"), key=lambda o: len(site.article_urls(o)))
        env = crawler_env(pg_url, redis_url, REFORMWATCH_SHARED_DELAY=delay, RANDOMIZE_DOWNLOAD_DELAY=False, CONCURRENT_REQUESTS=2,
                          AUTOTHROTTLE_ENABLED=False)
        register_outlets(pg_url, site.registry_path)
        crawlers = [start_crawler(pg_url, site.registry_path, env, tmp_path / f"crawl{i}.log", source=outlet)
                    for i in range(2)]
        assert wait_all([p for p, _ in crawlers], 120, [tmp_path / "crawl0.log"]) == [0, 0]
        times = sorted(t for t, path in site.arrivals if path.startswith(f"/{outlet}/"))
    assert len(times) >= 40, len(times)
    gaps = sorted(b - a for a, b in zip(times, times[1:]))
    # Server-side arrival times jitter (thread scheduling here, a crawler's reactor busy with
    # extraction for a moment there): judge the rate, not single gaps. Two processes each
    # keeping only their own 0.2 s delay would send 10 requests/s, twice the shared rate.
    assert times[-1] - times[0] >= (len(times) - 1) * delay * 0.95, gaps
    assert gaps[len(gaps) // 2] >= delay * 0.9, f"median gap {gaps[len(gaps) // 2]:.3f} s < {delay} s"
    window = 10 * delay
    busiest = max(sum(1 for u in times if t <= u < t + window) for t in times)
    seq = [round(b - a, 3) for a, b in zip(times, times[1:])]
    assert busiest <= 12, f"{busiest} requests within {window:.1f} s (shared delay {delay} s); gaps {seq}"
    # both processes took part (else one process' own delay would explain the spacing; the
    # crawl lasts long enough that a process starting a few seconds late still joins)
    per_process = [stats_of(tmp_path / f"crawl{i}.log").get("downloader/response_count", 0) for i in range(2)]
    assert all(k >= 3 for k in per_process), per_process


# ---------------------------------------------------------------------------- rounds
def test_next_round_fetches_discovery_pages_again(pg_url, redis_url, tmp_path):
    """The seen-set is per crawl round: a later scheduled crawl reads the feeds again."""
    from crawler.demo.site import DemoSite

    with DemoSite(generated=0, faults=False) as site:
        cap_listing_pages(site, 1)
        outlet = "mau-to-chuc-nha-nuoc"
        env = crawler_env(pg_url, redis_url, REFORMWATCH_ROUND_GUARD_SECONDS=1)
        feed = f"/{outlet}/atom.xml"
        for i in range(2):
            proc, _ = start_crawler(pg_url, site.registry_path, env, tmp_path / f"round{i}.log", source=outlet)
            assert wait_all([proc], 90, [tmp_path / f"round{i}.log"]) == [0]
            assert site.requested_paths().count(feed) == i + 1, f"round {i + 1} did not read the feed"
            if i == 0:
                first = article_fetches(site)
                assert len(first) == len(site.article_urls(outlet)) > 0
                time.sleep(1.2)  # past the round guard
        assert article_fetches(site) == first, "stored articles fetched again in the next round"
        assert_frontier_drained(redis_url)


# ---------------------------------------------------------------------------- 3b. seen-set
def _wait_for_bucket_start(ttl: int) -> None:
    now = time.time()
    time.sleep((int(now // ttl) + 1) * ttl - now + 0.02)


def test_seen_set_lives_in_two_expiring_buckets(redis_url):
    import redis
    from scrapy import Request

    from crawler.distributed import BoundedDupeFilter

    server = redis.Redis.from_url(redis_url)
    df = BoundedDupeFilter(server, key="t:dupefilter", ttl=1)
    _wait_for_bucket_start(1)
    first = Request("http://127.0.0.1/a/1")
    assert df.request_seen(first) is False
    assert df.request_seen(first) is True
    keys = server.keys("t:dupefilter:*")
    assert len(keys) == 1 and 0 < server.pttl(keys[0]) <= 2000

    deadline = time.time() + 3.2
    i, max_keys = 0, 0
    while time.time() < deadline:  # keep adding across three bucket boundaries
        i += 1
        df.request_seen(Request(f"http://127.0.0.1/b/{i}"))
        keys = server.keys("t:dupefilter:*")
        max_keys = max(max_keys, len(keys))
        ttls = [(k, server.pttl(k)) for k in keys]
        # -2: the key expired between KEYS and PTTL (fine); -1 would be a key that never expires
        assert all(t == -2 or 0 < t <= 2000 for _, t in ttls), ttls
        time.sleep(0.05)
    assert max_keys <= 2, f"{max_keys} bucket keys at once"
    first_bucket = f"t:dupefilter:{int((deadline - 3.2) // 1)}".encode()
    assert first_bucket not in server.keys("t:dupefilter:*"), "the first bucket outlived its rotation"
    assert df.request_seen(first) is False, "a fingerprint older than two buckets is still seen"


# ---------------------------------------------------------------------------- lease life cycle
def _queue(redis_url, lease_seconds: float):
    import redis
    from scrapy import Spider
    from scrapy.utils.test import get_crawler

    from crawler.distributed import LeasedPriorityQueue

    crawler = get_crawler(Spider, {"REFORMWATCH_LEASE_SECONDS": lease_seconds})
    spider = Spider.from_crawler(crawler, name="news")
    crawler.spider = spider
    if getattr(crawler, "stats", None) is None:
        from scrapy.statscollectors import MemoryStatsCollector

        crawler.stats = MemoryStatsCollector(crawler)
    return LeasedPriorityQueue(redis.Redis.from_url(redis_url), spider, "t:requests"), spider


def test_lease_expires_only_for_a_dead_worker_and_ack_waits_for_commit(redis_url, sqlite_url):
    from scrapy import Request

    from crawler.distributed import ack
    from storage.articles import ArticleStore

    live, live_spider = _queue(redis_url, 1)
    peer, peer_spider = _queue(redis_url, 1)
    for i in range(4):
        live.push(Request(f"http://127.0.0.1/x/{i}"))
    r0, r1, r2 = live.pop(), live.pop(), live.pop()
    assert len(live) == 4 and live.server.zcard(live.inflight_key) == 3
    # a live worker renews its leases: after 2 lease lengths a peer still does not get them
    for _ in range(8):
        time.sleep(0.25)
        live.book.renew()
    r3 = peer.pop()
    assert r3 is not None and r3.url.endswith("/3")
    assert peer.pop() is None  # nothing expired, nothing queued
    # acknowledgement waits for the store's commit; a rollback gives the request back
    store = ArticleStore(sqlite_url)
    live_spider.store = store
    run_id = store.start_run(spider="news", args={})
    store.record_error(run_id=run_id, outlet_id=None, url="http://127.0.0.1/x/0", stage="article", reason="t")
    ack(r0, live_spider)
    assert live.book.deferred and live.server.zcard(live.inflight_key) == 4  # r0..r3 still leased
    store.commit()
    assert not live.book.deferred and live.server.zcard(live.inflight_key) == 3
    store.record_error(run_id=run_id, outlet_id=None, url="http://127.0.0.1/x/1", stage="article", reason="t")
    ack(r1, live_spider)
    store.rollback()
    back = peer.pop()
    assert back is not None and back.url.endswith("/1"), "a rolled-back request was not given back"
    ack(r3, peer_spider)
    ack(back, peer_spider)
    assert peer.server.zcard(peer.inflight_key) == 1  # r2 only
    # the live worker dies (stops renewing r2): its lease expires and a peer re-queues it
    time.sleep(1.2)
    again = peer.pop()
    assert again is not None and again.url.endswith("/2")
    assert peer.spider.crawler.stats.get_value("distributed/leases_requeued", 0) >= 1
    store.close()
