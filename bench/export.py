"""Export benchmark: 200,000 articles to XLSX and CSV, with time and peak memory.

    python -m bench.export [--n 200000] [--db /tmp/rw_export_bench.sqlite3] [--skip-generate]

Generates the articles with bench.synth (all relevant, so every row is exported), then runs
``exports.spreadsheet.write_xlsx`` and ``write_csv`` over the whole period. Each export runs in
a fresh child process so that its peak resident memory (VmHWM) is its own; with
--tracemalloc the peak of Python allocations is printed too (tracing slows the export). A streaming export keeps both flat as n grows.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import sys
import time
import tracemalloc
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

DEFAULT_DB = "/tmp/rw_export_bench.sqlite3"


def _peak_rss_mb() -> float:
    """Peak resident memory of this process: VmHWM (per address space, so not inherited from
    the parent across fork/exec as ru_maxrss is on Linux), else ru_maxrss."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _export(url: str, fmt: str, out: str, queue, trace: bool) -> None:
    from exports import spreadsheet
    from storage.db import session_scope
    from storage.queries import ArticleFilter

    base = resource.getrusage(resource.RUSAGE_SELF)
    base_rss = _peak_rss_mb()
    if trace:
        tracemalloc.start()
    t0 = time.perf_counter()
    with session_scope(url) as session:
        writer = spreadsheet.write_xlsx if fmt == "xlsx" else spreadsheet.write_csv
        result = writer(session, ArticleFilter(), out)
    elapsed = time.perf_counter() - t0
    end = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (end.ru_utime + end.ru_stime) - (base.ru_utime + base.ru_stime)
    peak = 0
    if trace:
        _cur, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    queue.put({"fmt": fmt, "rows": result.rows, "seconds": elapsed, "cpu_seconds": cpu, "tracemalloc_peak_mb": peak / 2**20,
               "maxrss_mb": _peak_rss_mb(),
               "rss_before_mb": base_rss, "bytes": os.path.getsize(out)})


def run_one(url: str, fmt: str, out: str, trace: bool = False) -> dict:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_export, args=(url, fmt, out, queue, trace))
    proc.start()
    result = queue.get()
    proc.join()
    return result


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=200_000)
    p.add_argument("--db", default=DEFAULT_DB, help="SQLite file (or any SQLAlchemy URL)")
    p.add_argument("--skip-generate", action="store_true")
    p.add_argument("--outdir", default="/tmp")
    p.add_argument("--tracemalloc", action="store_true",
                   help="also trace Python allocations (peak of the export's own objects; slows it down ~2x)")
    args = p.parse_args(argv)
    url = args.db if "://" in args.db else f"sqlite:///{args.db}"

    from sqlalchemy import text

    from bench.synth import generate
    from storage.db import get_engine

    with get_engine(url).connect() as conn:
        have = conn.execute(text("SELECT COUNT(*) FROM articles")).scalar()
    if not args.skip_generate and have < args.n:
        t0 = time.perf_counter()
        generate(url, args.n - have, seed=2, progress=True)
        print(f"generated {args.n - have:,} articles in {time.perf_counter() - t0:.1f} s")
    with get_engine(url).connect() as conn:
        have = conn.execute(text("SELECT COUNT(*) FROM articles")).scalar()
    print(f"{url}: {have:,} articles")
    results = []
    for fmt in ("csv", "xlsx"):
        out = str(Path(args.outdir) / f"rw_export_bench.{fmt}")
        r = run_one(url, fmt, out, args.tracemalloc)
        results.append(r)
        print(f"{fmt:5s}: {r['rows']:,} rows in {r['seconds']:.1f} s wall, {r['cpu_seconds']:.1f} s CPU "
              f"({r['rows'] / r['cpu_seconds']:,.0f} rows per CPU second), "
              f"peak RSS {r['maxrss_mb']:.0f} MB (process start {r['rss_before_mb']:.0f} MB), "
              + (f"tracemalloc peak {r['tracemalloc_peak_mb']:.1f} MB, " if args.tracemalloc else "")
              + f"file {r['bytes'] / 2**20:.1f} MB", flush=True)
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
