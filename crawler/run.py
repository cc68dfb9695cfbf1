"""Run one crawl from Python: ``scrapy crawl news`` in a child process, counts from the database.

``run_crawl`` creates the crawl run row (so the caller knows its id), starts
``python -m scrapy crawl news -a run_id=… [-a source=…] [-a since=…] [-a sources=…]`` in a
child process from the repository root — exactly what an operator types, repeatable any
number of times in one process and never blocking a caller's reactor or event loop — with
the database passed as ``REFORMWATCH_DB`` and settings as ``REFORMWATCH_<NAME>`` variables,
then reads the run's per-source counters back from the database.
"""
from __future__ import annotations

import datetime as dt
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence

ROOT = Path(__file__).resolve().parents[1]


class CrawlFailed(RuntimeError):
    """The crawl process failed; ``summary`` holds what the database has of the run."""

    def __init__(self, message: str, summary: Optional[dict] = None):
        super().__init__(message)
        self.summary = summary or {}


def crawl_command(
    *, run_id: int, sources_path: Optional[str] = None, source_ids: Sequence[str] = (), since: Optional[str] = None
) -> list[str]:
    cmd = [sys.executable, "-m", "scrapy", "crawl", "news", "-a", f"run_id={run_id}"]
    if source_ids:
        cmd += ["-a", "source=" + ",".join(source_ids)]
    if since:
        cmd += ["-a", f"since={since}"]
    if sources_path:
        cmd += ["-a", f"sources={Path(sources_path).expanduser().resolve()}"]
    return cmd


def run_crawl(
    *,
    db_url: Optional[str] = None,
    sources_path: Optional[str | os.PathLike] = None,
    source_ids: Sequence[str] = (),
    since: Optional[str | dt.date] = None,
    settings: Optional[Mapping[str, Any]] = None,
    log_file: Optional[str | os.PathLike] = None,
    timeout: Optional[float] = None,
) -> dict[str, Any]:
    """Crawl and return ``{run_id, status, sources: {outlet_id: {pages, new, updated, unchanged,
    skipped, duplicates, errors}}, seconds, max_rss_kb, returncode}``.

    ``settings`` are Scrapy settings for this run (``{"DOWNLOAD_TIMEOUT": 2}``), passed as
    ``REFORMWATCH_<NAME>`` environment variables. Raises ``CrawlFailed`` when the child fails
    before finishing the run.
    """
    from storage.db import resolve_url, session_scope
    from storage.runs import mark_failed, run_summary, start_run

    url = resolve_url(db_url)
    if isinstance(since, dt.date):
        since = since.isoformat()
    args = {"source": ",".join(source_ids) or None, "since": since, "sources": str(sources_path) if sources_path else None}
    with session_scope(url) as session:
        run_id = start_run(session, spider="news", args=args)
    env = dict(os.environ)
    env["REFORMWATCH_DB"] = url
    env["REFORMWATCH_SCHEMA_READY"] = "1"  # migrated above by start_run's engine
    env["SCRAPY_SETTINGS_MODULE"] = "crawler.settings"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    for key, value in (settings or {}).items():
        if isinstance(value, bool):
            value = "1" if value else "0"
        elif isinstance(value, (list, dict)):
            import json

            value = json.dumps(value)
        name = key if key.startswith("REFORMWATCH_") else f"REFORMWATCH_{key}"
        env[name] = str(value)
    cmd = crawl_command(
        run_id=run_id, sources_path=str(sources_path) if sources_path else None, source_ids=source_ids, since=since
    )
    started = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    out = open(log_file, "ab") if log_file else subprocess.DEVNULL
    try:
        proc = subprocess.run(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.PIPE if not log_file else out,
                              timeout=timeout)
    finally:
        if log_file:
            out.close()
    seconds = time.perf_counter() - started
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    with session_scope(url) as session:
        summary = run_summary(session, run_id)
        if summary["status"] == "running" or proc.returncode != 0:
            tail = (proc.stderr or b"").decode("utf-8", "replace")[-4000:] if proc.stderr else ""
            mark_failed(session, run_id, f"crawl process exited with {proc.returncode}: {tail}")
            session.flush()
            summary = run_summary(session, run_id)
    summary.update(seconds=round(seconds, 3), max_rss_kb=max(rss, before), returncode=proc.returncode)
    if summary["status"] == "failed" and proc.returncode != 0:
        tail = (proc.stderr or b"").decode("utf-8", "replace")[-2000:] if proc.stderr else ""
        raise CrawlFailed(f"crawl run {run_id} failed (exit {proc.returncode}): {tail}", summary)
    return summary
