"""Coverage benchmark: the yearly province x theme matrix over 1,000,000 synthetic articles.

    python -m bench.coverage                       # SQLite file + PostgreSQL database rw_bench
    python -m bench.coverage --n 200000 --skip-generate --backends sqlite

Generates the corpus with bench.synth (unless --skip-generate and the database already has
articles), then times ``storage.coverage.province_theme_matrix`` for one year (current and
former division, with and without the theme split) and prints the query plan
(EXPLAIN QUERY PLAN on SQLite, EXPLAIN ANALYZE on PostgreSQL) so the index use is visible.
Goal: < 1 s per query on each backend.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from storage import coverage
from storage.db import get_engine, session_scope

DEFAULT_SQLITE = "/tmp/rw_bench.sqlite3"
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/rw_bench"


def ensure_pg_database(url: str) -> None:
    target = make_url(url)
    admin = create_engine(target.set(database="test"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target.database}).scalar():
            conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


def article_count(url: str) -> int:
    with get_engine(url).connect() as conn:
        return int(conn.execute(text("SELECT COUNT(*) FROM articles")).scalar())


def explain(url: str, stmt) -> str:
    engine = get_engine(url)
    compiled = stmt.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True})
    prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN (ANALYZE, BUFFERS) "
    with engine.connect() as conn:
        rows = conn.execute(text(prefix + str(compiled))).all()
    if engine.dialect.name == "sqlite":
        return "\n".join(f"  {r[-1]}" for r in rows)
    return "\n".join(f"  {r[0]}" for r in rows)


def time_query(url: str, repeat: int, **kwargs) -> tuple[float, float, int]:
    times = []
    rows = []
    for _ in range(repeat):
        with session_scope(url) as s:
            t0 = time.perf_counter()
            rows = coverage.province_theme_matrix(s, **kwargs)
            times.append(time.perf_counter() - t0)
    return min(times), statistics.median(times), len(rows)


def run(url: str, n: int, skip_generate: bool, year: int, repeat: int) -> list[tuple[str, float, float, int]]:
    from bench.synth import generate

    have = article_count(url)
    if not (skip_generate and have):
        if have < n:
            print(f"generating {n - have:,} articles into {url} ...", flush=True)
            t0 = time.perf_counter()
            generate(url, n - have, seed=1, progress=True)
            print(f"  generated in {time.perf_counter() - t0:.1f} s", flush=True)
    have = article_count(url)
    with get_engine(url).connect() as conn:
        facts = conn.execute(text("SELECT COUNT(*) FROM coverage_facts")).scalar()
    print(f"{url}: {have:,} articles, {facts:,} coverage facts")
    start, end = coverage.year_range(year)
    results = []
    for division in ("current", "former"):
        for by_theme in (True, False):
            label = f"{year} {division:7s} {'province x theme' if by_theme else 'province        '}"
            best, median, nrows = time_query(url, repeat, start=start, end=end, division=division, by_theme=by_theme)
            results.append((label, best, median, nrows))
            print(f"  {label}: best {best * 1000:7.1f} ms, median {median * 1000:7.1f} ms, {nrows} rows", flush=True)
    stmt = coverage.province_theme_stmt(start=start, end=end, division="current", by_theme=True)
    print("  plan (current, province x theme):")
    print(explain(url, stmt))
    return results


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=1_000_000, help="articles to generate (default 1,000,000)")
    p.add_argument("--sqlite", default=DEFAULT_SQLITE, help=f"SQLite file (default {DEFAULT_SQLITE})")
    p.add_argument("--pg", default=DEFAULT_PG, help=f"PostgreSQL URL (default {DEFAULT_PG}; created when absent)")
    p.add_argument("--backends", default="sqlite,postgresql")
    p.add_argument("--skip-generate", action="store_true", help="reuse the articles already in the databases")
    p.add_argument("--year", type=int, default=2025)
    p.add_argument("--repeat", type=int, default=5)
    args = p.parse_args(argv)
    ok = True
    for backend in args.backends.split(","):
        url = f"sqlite:///{args.sqlite}" if backend == "sqlite" else args.pg
        if backend == "postgresql":
            ensure_pg_database(url)
        for label, best, median, _ in run(url, args.n, args.skip_generate, args.year, args.repeat):
            ok &= median < 1.0
    print("goal (< 1 s per query):", "met" if ok else "NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
