"""Distributed crawling throughput: 1 vs N crawler processes sharing one Redis frontier.

    python -m bench.distributed [--articles 2000] [--processes 1,2] [--redis redis://127.0.0.1:6379/9]
                                [--pg postgresql+psycopg://postgres@127.0.0.1:5432/test] [--max-pages 3]

For each process count: a fresh PostgreSQL database, a flushed Redis database, the demo site
(``DemoSite(generated=N, faults=False)``, no politeness delay), N ``scrapy crawl news``
processes started together with ``REDIS_URL`` set. Prints stored articles per second (wall
clock from start to the last process' exit), per-process CPU seconds spent in extraction
and storage (the pipelines' own timers), and the host's CPU use over the run — what limits
the rate. ``--max-pages`` caps each listing's pagination (the sitemaps list every article;
a long listing chain is a strictly sequential walk that would otherwise dominate the time).

The helpers (``crawler_env``, ``start_crawler``, ``cap_listing_pages``) are shared with
tests/test_distributed.py.
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Mapping, Optional

ROOT = Path(__file__).resolve().parents[1]


def crawler_env(db_url: str, redis_url: str, **settings) -> dict[str, str]:
    """The environment of a distributed crawler process (as crawler/run.py builds it)."""
    env = dict(os.environ)
    env.update(
        REFORMWATCH_DB=db_url,
        REDIS_URL=redis_url,
        SCRAPY_SETTINGS_MODULE="crawler.settings",
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    )
    defaults = {"LOG_LEVEL": "INFO", "AUTOTHROTTLE_ENABLED": False, "REFORMWATCH_SHARED_DELAY": 0}
    for key, value in {**defaults, **settings}.items():
        if isinstance(value, bool):
            value = "1" if value else "0"
        name = key if key.startswith("REFORMWATCH_") else f"REFORMWATCH_{key}"
        env[name] = str(value)
    return env


def register_outlets(db_url: str, sources_path) -> int:
    """Write the registry's outlets to the database before N crawlers start.

    Each crawler upserts the outlets when it opens its store; two started at the same moment
    both INSERT the same outlet rows and one fails on the primary key (``start_error``) —
    see the report on issue 7 (``ArticleStore.upsert_outlets`` needs ON CONFLICT DO NOTHING).
    Registering them once first, as a deployment step, avoids the race.
    """
    from crawler.registry import load_registry
    from storage.articles import ArticleStore

    store = ArticleStore(db_url)
    try:
        n = store.upsert_outlets(load_registry(str(sources_path)).outlets)
        store.commit()
    finally:
        store.close()
    return n


def new_run(db_url: str, sources_path: str) -> int:
    from storage.db import session_scope
    from storage.runs import start_run

    with session_scope(db_url) as session:
        return start_run(session, spider="news", args={"sources": str(sources_path)})


def start_crawler(db_url: str, sources_path, env: Mapping[str, str], log_path, *, source: Optional[str] = None):
    """Start ``python -m scrapy crawl news`` (crawler.run.crawl_command); returns (Popen, run_id)."""
    from crawler.run import crawl_command

    run_id = new_run(db_url, str(sources_path))
    cmd = crawl_command(run_id=run_id, sources_path=str(sources_path), source_ids=[source] if source else ())
    log = open(log_path, "ab")
    proc = subprocess.Popen(cmd, cwd=ROOT, env=dict(env), stdout=log, stderr=subprocess.STDOUT)
    log.close()
    return proc, run_id


def cap_listing_pages(site, max_pages: int) -> None:
    """Rewrite the demo registry so that each listing follows at most ``max_pages`` pages."""
    text = site.registry_path.read_text(encoding="utf-8")
    site.registry_path.write_text(re.sub(r"max_pages = \d+", f"max_pages = {max_pages}", text), encoding="utf-8")


def stats_of(log_path) -> dict:
    """The final Scrapy stats dump of a crawl log (``{'key': value, ...}``), as a dict."""
    import ast

    text = Path(log_path).read_text(encoding="utf-8", errors="replace")
    m = re.findall(r"Dumping Scrapy stats:\n(\{.*?\})\n", text, re.S)
    if not m:
        return {}
    body = re.sub(r"datetime\.datetime\([^)]*\)", "None", m[-1])
    try:
        return ast.literal_eval(body)
    except (ValueError, SyntaxError):
        return {}


def _rusage_seconds() -> tuple[float, float]:
    """(CPU seconds of finished child processes, CPU seconds of this process)."""
    import resource

    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    me = resource.getrusage(resource.RUSAGE_SELF)
    return kids.ru_utime + kids.ru_stime, me.ru_utime + me.ru_stime


def _cpu_times() -> tuple[float, float]:
    with open("/proc/stat") as f:
        parts = [float(x) for x in f.readline().split()[1:]]
    idle = parts[3] + parts[4]
    return sum(parts) - idle, sum(parts)


def run_once(n_proc: int, articles: int, redis_url: str, pg_admin: str, max_pages: int, workdir: Path) -> dict:
    import redis
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from crawler.demo.site import DemoSite
    from storage.db import dispose_all, get_engine

    name = f"rwbench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(pg_admin, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    db_url = make_url(pg_admin).set(database=name).render_as_string(hide_password=False)
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    try:
        get_engine(db_url)
        with DemoSite(generated=articles, faults=False) as site:
            cap_listing_pages(site, max_pages)
            expected = set(site.article_urls())
            env = crawler_env(db_url, redis_url)
            register_outlets(db_url, site.registry_path)
            busy0, total0 = _cpu_times()
            kids0, self0 = _rusage_seconds()
            t0 = time.perf_counter()
            procs = [start_crawler(db_url, site.registry_path, env, workdir / f"bench-{n_proc}-{i}.log")[0]
                     for i in range(n_proc)]
            codes = [p.wait() for p in procs]
            seconds = time.perf_counter() - t0
            busy1, total1 = _cpu_times()
            kids1, self1 = _rusage_seconds()
            with create_engine(db_url).connect() as conn:
                stored = conn.execute(text("SELECT count(*) FROM articles")).scalar_one()
            paths = [p.split("?")[0] for _, p, _ in site.request_log]
            article_paths = {u[len(site.base_url):] for u in expected}
            fetched = sum(1 for p in paths if p in article_paths)
        stats = [stats_of(workdir / f"bench-{n_proc}-{i}.log") for i in range(n_proc)]
    finally:
        dispose_all()
        client.flushdb()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return {
        "processes": n_proc, "exit_codes": codes, "articles": len(expected), "stored": stored,
        "article_fetches": fetched, "seconds": round(seconds, 1), "articles_per_s": round(stored / seconds, 1),
        "extraction_s": [s.get("reformwatch/extraction_seconds") for s in stats],
        "storage_s": [s.get("reformwatch/storage_seconds") for s in stats],
        "host_cpu_busy": round((busy1 - busy0) / max(total1 - total0, 1e-9), 2),
        # CPU seconds: the crawler processes, the demo site (this process), and the rest of the
        # host's busy time (PostgreSQL, Redis — and anything else running on the machine)
        "cpu_crawlers_s": round(kids1 - kids0, 1),
        "cpu_site_s": round(self1 - self0, 1),
        "cpu_other_s": round((busy1 - busy0) / os.sysconf("SC_CLK_TCK") - (kids1 - kids0) - (self1 - self0), 1),
    }


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.distributed", description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=int, default=2000, help="generated demo articles (default 2000)")
    ap.add_argument("--processes", default="1,2", help="comma-separated crawler process counts (default 1,2)")
    ap.add_argument("--redis", default=os.environ.get("REFORMWATCH_TEST_REDIS", "redis://127.0.0.1:6379/9"))
    ap.add_argument("--pg", default=os.environ.get("REFORMWATCH_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    ap.add_argument("--max-pages", type=int, default=3, help="listing pages followed per listing (default 3)")
    ap.add_argument("--workdir", default=None, help="where crawl logs go (default: a temporary folder)")
    args = ap.parse_args(argv)
    import tempfile

    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="rw-bench-distributed-"))
    workdir.mkdir(parents=True, exist_ok=True)
    print(f"cores: {os.cpu_count()}; logs in {workdir}")
    results = []
    for n in [int(x) for x in args.processes.split(",") if x.strip()]:
        r = run_once(n, args.articles, args.redis, args.pg, args.max_pages, workdir)
        results.append(r)
        print(f"{n} crawler process(es): {r['stored']}/{r['articles']} articles in {r['seconds']} s = "
              f"{r['articles_per_s']} articles/s; article fetches {r['article_fetches']}; "
              f"extraction s per process {r['extraction_s']}; storage s per process {r['storage_s']}; "
              f"host CPU busy {r['host_cpu_busy']:.0%} (CPU s: crawlers {r['cpu_crawlers_s']}, demo site "
              f"{r['cpu_site_s']}, PostgreSQL/Redis/other {r['cpu_other_s']}); exit codes {r['exit_codes']}")
    if len(results) >= 2:
        base = results[0]["articles_per_s"]
        for r in results[1:]:
            print(f"speed-up {results[0]['processes']} -> {r['processes']} processes: {r['articles_per_s'] / base:.2f}x")
    for line in analysis(results):
        print(line)
    return 0


def analysis(results: list[dict]) -> list[str]:
    """What limits the rate, from the measurements."""
    out = []
    cores = os.cpu_count() or 1
    for r in results:
        pipeline = sum(x or 0 for x in r["extraction_s"]) + sum(x or 0 for x in r["storage_s"])
        wall = r["seconds"] * r["processes"]
        out.append(
            f"{r['processes']} process(es): host CPU {r['host_cpu_busy']:.0%} busy on {cores} cores; the pipelines "
            f"(extraction + storage, wall time inside the crawler) take {pipeline / max(wall, 1e-9):.0%} of each "
            f"crawler's time; storage/extraction = {sum(x or 0 for x in r['storage_s']) / max(sum(x or 0 for x in r['extraction_s']), 1e-9):.1f}")
    if results and max(r["host_cpu_busy"] for r in results) >= 0.9:
        out.append("limit: CPU. The crawlers' Python (extraction, storage with near-duplicate indexing), PostgreSQL "
                   "and the demo site share the cores, so extra processes on the same machine only contend; "
                   "more machines add cores (PostgreSQL is then the shared part). Redis round trips are not "
                   "the limit (a few per page, sub-millisecond on localhost).")
    else:
        out.append("limit: not CPU — latency (sequential listing pages, Redis/DB round trips) or politeness.")
    return out


if __name__ == "__main__":
    sys.exit(main())
