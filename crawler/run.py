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
import shutil
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


def job_dir(
    db_url: str, sources_path: Optional[str], source_ids: Sequence[str], since: Optional[str], job: Optional[str] = None
) -> Path:
    """Where a single-machine crawl keeps its Scrapy JOBDIR: one per kind of crawl (database,
    registry, sources, window), so that a stopped or killed crawl is resumed by the next
    run of the same crawl, and crawls of other sources do not interfere."""
    import hashlib
    import re

    from storage.db import data_dir

    if job is None:
        key = "\x1f".join([db_url, str(Path(sources_path).resolve()) if sources_path else "", ",".join(source_ids), since or ""])
        job = "crawl-" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]
    return data_dir() / "jobs" / re.sub(r"[^A-Za-z0-9_.-]", "_", job)


def crawl_command(
    *, run_id: int, sources_path: Optional[str] = None, source_ids: Sequence[str] = (), since: Optional[str] = None,
    jobdir: Optional[Path] = None,
) -> list[str]:
    cmd = [sys.executable, "-m", "scrapy", "crawl", "news", "-a", f"run_id={run_id}"]
    if jobdir is not None:
        cmd += ["-s", f"JOBDIR={jobdir}"]
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
    job: Optional[str] = None,
    resumable: bool = True,
) -> dict[str, Any]:
    """Crawl and return ``{run_id, status, sources: {outlet_id: {pages, new, updated, unchanged,
    skipped, duplicates, errors}}, seconds, max_rss_kb, returncode}``.

    ``settings`` are Scrapy settings for this run (``{"DOWNLOAD_TIMEOUT": 2}``), passed as
    ``REFORMWATCH_<NAME>`` environment variables. Raises ``CrawlFailed`` when the child fails
    before finishing the run.

    Without ``REDIS_URL`` the crawl is resumable: its state lives in a Scrapy JOBDIR
    (``job_dir``; ``job`` names it, e.g. a schedule group; ``resumable=False`` crawls without
    one, as the bench does, since the disk queue costs CPU). A crawl stopped with Ctrl-C
    leaves it behind and the next run of the same crawl continues from it; a crawl that
    finishes removes it. A crawl killed without a chance to save its state (SIGKILL) leaves a
    queue and seen-set that disagree: it is discarded and the next run starts again from
    discovery — articles already stored are not downloaded again, the database knows them.
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
    distributed = bool(env.get("REDIS_URL") or env.get("REFORMWATCH_REDIS_URL"))
    jobdir = None if distributed or not resumable else job_dir(url, str(sources_path) if sources_path else None, source_ids, since, job)
    if jobdir is not None:
        jobdir.parent.mkdir(parents=True, exist_ok=True)
        if jobdir.exists() and not (jobdir / "spider.state").exists():
            # left by a crawl killed without a chance to save its state (SIGKILL, power loss):
            # its queue and seen-set disagree, so start again from discovery instead
            shutil.rmtree(jobdir, ignore_errors=True)
    cmd = crawl_command(
        run_id=run_id, sources_path=str(sources_path) if sources_path else None, source_ids=source_ids, since=since,
        jobdir=jobdir,
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
    if jobdir is not None:
        reason = (summary.get("stats") or {}).get("finish_reason")
        if reason == "finished":
            shutil.rmtree(jobdir, ignore_errors=True)  # done: the next crawl starts afresh
        elif proc.returncode != 0 and reason is None and _jobdir_unreadable(proc):
            shutil.rmtree(jobdir, ignore_errors=True)  # a queue left unreadable by a hard kill
        summary["jobdir"] = str(jobdir) if jobdir.exists() else None
    if summary["status"] == "failed" and proc.returncode != 0:
        tail = (proc.stderr or b"").decode("utf-8", "replace")[-2000:] if proc.stderr else ""
        raise CrawlFailed(f"crawl run {run_id} failed (exit {proc.returncode}): {tail}", summary)
    return summary


def _jobdir_unreadable(proc: subprocess.CompletedProcess) -> bool:
    tail = (proc.stderr or b"").decode("utf-8", "replace")[-8000:] if proc.stderr else ""
    return any(marker in tail for marker in ("queuelib", "requests.queue", "EOFError", "UnpicklingError", "json.decoder"))
