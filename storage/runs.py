"""Crawl runs: start, per-source counters, fetch errors, source health.

Counters per source and run (``crawl_source_stats``): ``pages`` (responses received and
used), ``new``, ``updated``, ``unchanged``, ``skipped`` (known URLs not re-downloaded, out of
the ``since`` window, disallowed by robots.txt), ``duplicates`` (stored, linked to an
original), ``errors`` (one per ``fetch_errors`` row).

Source health on ``outlets`` after each run (read by ``reformwatch sources health`` and the
web app):

* ``last_run_at``: the run's end;
* ``last_success_at``: set when the run fetched at least one page of the source;
* ``consecutive_failures``: +1 when every request of the source failed (no page, ≥1 error),
  reset to 0 by a run that fetched a page;
* ``consecutive_empty_runs``: +1 when the run stored nothing new or updated for the source
  (duplicates count as new), else reset to 0.
"""
from __future__ import annotations

import os
import socket
from typing import Any, Mapping, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import CrawlRun, CrawlSourceStat, FetchError, Outlet, utcnow

COUNTERS = ("pages", "new", "updated", "unchanged", "skipped", "duplicates", "errors")


def empty_counts() -> dict[str, int]:
    return {k: 0 for k in COUNTERS}


def start_run(
    session: Session,
    *,
    spider: str = "news",
    args: Optional[Mapping[str, Any]] = None,
    group: Optional[str] = None,
    pid: Optional[int] = None,
) -> int:
    run = CrawlRun(
        spider=spider,
        args=dict(args or {}),
        group=group,
        host=socket.gethostname(),
        pid=pid if pid is not None else os.getpid(),
        status="running",
    )
    session.add(run)
    session.flush()
    return run.id


def record_error(
    session: Session,
    *,
    run_id: Optional[int],
    outlet_id: Optional[str],
    url: str,
    stage: str,
    reason: str,
    http_status: Optional[int] = None,
) -> FetchError:
    err = FetchError(
        run_id=run_id, outlet_id=outlet_id, url=url[:4000], stage=stage[:32], reason=reason[:2000],
        http_status=http_status,
    )
    session.add(err)
    return err


def save_source_stats(session: Session, run_id: int, counts: Mapping[str, Mapping[str, int]]) -> None:
    existing = {
        s.outlet_id: s for s in session.scalars(select(CrawlSourceStat).where(CrawlSourceStat.run_id == run_id))
    }
    for outlet_id, c in counts.items():
        row = existing.get(outlet_id)
        if row is None:
            row = CrawlSourceStat(run_id=run_id, outlet_id=outlet_id)
            session.add(row)
        for key in COUNTERS:
            setattr(row, key, int(c.get(key, 0)))


def update_health(session: Session, counts: Mapping[str, Mapping[str, int]], when=None) -> None:
    when = when or utcnow()
    for outlet_id, c in counts.items():
        outlet = session.get(Outlet, outlet_id)
        if outlet is None:
            continue
        outlet.last_run_at = when
        if c.get("pages", 0) > 0:
            outlet.last_success_at = when
            outlet.consecutive_failures = 0
        elif c.get("errors", 0) > 0:
            outlet.consecutive_failures = (outlet.consecutive_failures or 0) + 1
        if c.get("new", 0) + c.get("updated", 0) + c.get("duplicates", 0) > 0:
            outlet.consecutive_empty_runs = 0
        else:
            outlet.consecutive_empty_runs = (outlet.consecutive_empty_runs or 0) + 1


def finish_run(
    session: Session,
    run_id: int,
    counts: Mapping[str, Mapping[str, int]],
    *,
    status: str = "finished",
    stats: Optional[Mapping[str, Any]] = None,
) -> None:
    """Close the run: counters per source, run status, outlets' health columns."""
    run = session.get(CrawlRun, run_id)
    if run is None:
        raise LookupError(f"crawl run {run_id} does not exist")
    save_source_stats(session, run_id, counts)
    now = utcnow()
    run.finished_at = now
    run.status = status
    if stats is not None:
        run.stats = {k: v for k, v in stats.items() if isinstance(v, (int, float, str, bool, type(None)))}
    update_health(session, counts, now)


def mark_failed(session: Session, run_id: int, reason: str) -> None:
    run = session.get(CrawlRun, run_id)
    if run is not None and run.status == "running":
        run.status = "failed"
        run.finished_at = utcnow()
        run.stats = dict(run.stats or {}, failure=reason[:2000])


def run_summary(session: Session, run_id: int) -> dict[str, Any]:
    """{run_id, status, sources: {outlet_id: counters}} as stored."""
    run = session.get(CrawlRun, run_id)
    if run is None:
        raise LookupError(f"crawl run {run_id} does not exist")
    sources = {}
    for s in session.scalars(
        select(CrawlSourceStat).where(CrawlSourceStat.run_id == run_id).order_by(CrawlSourceStat.outlet_id)
    ):
        sources[s.outlet_id] = {k: getattr(s, k) for k in COUNTERS}
    return {"run_id": run_id, "status": run.status, "sources": sources, "stats": run.stats or {}}


def run_errors(session: Session, run_id: int) -> list[FetchError]:
    return list(session.scalars(select(FetchError).where(FetchError.run_id == run_id).order_by(FetchError.id)))
