"""Crawl benchmark: crawl + extract + store a generated local site vs bare trafilatura.

    python bench/crawl.py --articles 2000 [--db URL] [--keep]

1. serves ``DemoSite(generated=N, faults=False)`` on 127.0.0.1;
2. fetches every article page once (plain HTTP, before timing) for the reference;
3. times the whole crawl stage — ``run_crawl`` = ``scrapy crawl news`` in a child process,
   no politeness delay, AutoThrottle off, into a fresh SQLite file — and reads the child's
   peak memory (``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss``);
4. times bare ``trafilatura.bare_extraction`` over the same pages in one loop;
5. prints articles/s, peak memory and the ratios, wall (the goal's measure: crawl ≤ 2× bare
   extraction) and CPU (the crawl's CPU time on all cores — crawl process and extraction
   workers — against the loop's).

Extraction runs in ``--processes`` worker processes (default 1: the machine the goal is set
for has 2 cores; 0 = in the crawl process). The DemoSite server runs in this process, on the
same cores, during the crawl (not during the bare loop, which reads the pages from memory).
"""
from __future__ import annotations

import argparse
import concurrent.futures
import resource
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def fetch_all(urls: list[str]) -> list[tuple[str, bytes]]:
    def get(url: str) -> tuple[str, bytes]:
        with urllib.request.urlopen(url, timeout=30) as resp:
            return url, resp.read()

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        return list(pool.map(get, urls))


def bare_extraction_seconds(pages: list[tuple[str, bytes]]) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds, pages extracted) of bare trafilatura in one loop."""
    import trafilatura

    ok = 0
    started, cpu = time.perf_counter(), time.process_time()
    for url, body in pages:
        doc = trafilatura.bare_extraction(body.decode("utf-8", "replace"), url=url, with_metadata=True)
        if doc is not None:
            ok += 1
    return time.perf_counter() - started, time.process_time() - cpu, ok


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", type=int, default=2000, help="generated article pages (default 2000)")
    ap.add_argument("--db", default=None, help="database URL (default: a fresh SQLite file in a temp dir)")
    ap.add_argument("--keep", action="store_true", help="keep the temp directory (database, crawl log)")
    ap.add_argument("--threads", action="store_true", help="run extraction in the reactor's thread pool")
    ap.add_argument("--processes", type=int, default=1,
                    help="extraction worker processes (EXTRACTION_PROCESSES; 0 = in the crawl process; default 1)")
    args = ap.parse_args(argv)

    from sqlalchemy import func, select

    from crawler.demo import DemoSite
    from crawler.run import run_crawl
    from storage.db import session_scope
    from storage.models import Article

    tmp = Path(tempfile.mkdtemp(prefix="rw-bench-"))
    db = args.db or f"sqlite:///{tmp / 'bench.sqlite3'}"
    with DemoSite(generated=args.articles, faults=False) as site:
        urls = site.article_urls()
        print(f"site: {site.base_url}, {len(urls)} article pages")
        pages = fetch_all(urls)
        print(f"reference pages fetched: {sum(len(b) for _, b in pages) / 1e6:.1f} MB")
        site.clear_log()
        settings = {
            "DOWNLOAD_DELAY": 0,
            "AUTOTHROTTLE_ENABLED": False,
            "CRAWL_IGNORE_REGISTRY_POLITENESS": True,
            "CONCURRENT_REQUESTS": 32,
            "CONCURRENT_REQUESTS_PER_DOMAIN": 32,
            "LOG_LEVEL": "WARNING",
            "EXTRACTION_IN_THREADS": args.threads,
            "EXTRACTION_PROCESSES": args.processes,
        }
        self0 = resource.getrusage(resource.RUSAGE_SELF)
        cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        summary = run_crawl(db_url=db, sources_path=site.registry_path, settings=settings, log_file=tmp / "crawl.log",
                            resumable=False)
        cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        self1 = resource.getrusage(resource.RUSAGE_SELF)
        server_cpu = (self1.ru_utime - self0.ru_utime) + (self1.ru_stime - self0.ru_stime)
        crawl_cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
        requests = len(site.request_log)
    crawl_s = summary["seconds"]
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    with session_scope(db) as s:
        stored = s.scalar(select(func.count()).select_from(Article))
    stats = summary.get("stats", {})
    workers_mb = (stats.get("reformwatch/extraction_workers_maxrss_kb") or 0) / 1024
    extraction_s = stats.get("reformwatch/extraction_seconds", 0)
    print(f"crawl: {stored} articles stored ({requests} HTTP requests) in {crawl_s:.1f} s wall "
          f"= {stored / crawl_s:.1f} articles/s; CPU {crawl_cpu:.1f} s (crawl process"
          f"{' + extraction workers' if args.processes else ''})")
    print(f"  peak memory: largest process {peak_mb:.0f} MB"
          + (f"; extraction worker {workers_mb:.0f} MB, crawl process + workers ≤ {peak_mb + workers_mb * args.processes:.0f} MB"
             if args.processes else ""))
    print(f"  inside the crawl: extraction {extraction_s:.1f} s "
          f"({'CPU in the worker processes' if args.processes else 'wall, in the crawl process'}), "
          f"storage {stats.get('reformwatch/storage_seconds', 0):.1f} s wall; "
          f"crawl process CPU {stats.get('reformwatch/crawl_process_cpu_seconds', 0):.1f} s; "
          f"the demo server (this process) used {server_cpu:.1f} s CPU meanwhile")
    bare_s, bare_cpu, ok = bare_extraction_seconds(pages)
    print(f"bare trafilatura.bare_extraction, one loop: {ok}/{len(pages)} pages in {bare_s:.1f} s wall, "
          f"{bare_cpu:.1f} s CPU = {len(pages) / bare_s:.1f} pages/s")
    ratio = crawl_s / bare_s if bare_s else float("inf")
    print(f"ratio crawl / bare extraction: wall {ratio:.2f} (the goal's measure: ≤ 2.0), "
          f"CPU {crawl_cpu / bare_cpu:.2f} (all cores' CPU time of the crawl vs one loop's; "
          f"less sensitive to other load on the machine)")
    if args.keep:
        print(f"kept: {tmp}")
    else:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
    return 0 if stored >= len(urls) else 1


if __name__ == "__main__":
    sys.exit(main())
