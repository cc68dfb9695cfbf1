"""Source health: per outlet, the last successful crawl, articles found in the last runs,
consecutive failures and empty runs. An outlet with several empty runs in a row most likely
changed its layout; one with consecutive failures is down or blocking us.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import CrawlRun, CrawlSourceStat, Outlet

LAST_RUNS = 5
EMPTY_ALERT = 3  # consecutive runs without an article
FAILURE_ALERT = 3


def source_health(session: Session, last_runs: int = LAST_RUNS) -> list[dict[str, Any]]:
    """One dict per outlet, problems first."""
    outlets = list(session.scalars(select(Outlet).order_by(Outlet.name)))
    ranked = (
        select(
            CrawlSourceStat.outlet_id, CrawlSourceStat.new, CrawlSourceStat.updated, CrawlSourceStat.errors,
            CrawlSourceStat.pages, CrawlRun.started_at,
            func.row_number().over(partition_by=CrawlSourceStat.outlet_id,
                                   order_by=CrawlSourceStat.run_id.desc()).label("rank"),
        )
        .join(CrawlRun, CrawlRun.id == CrawlSourceStat.run_id)
        .subquery()
    )
    runs: dict[str, list[dict[str, Any]]] = {}
    for r in session.execute(select(ranked).where(ranked.c.rank <= last_runs).order_by(ranked.c.outlet_id, ranked.c.rank)):
        runs.setdefault(r.outlet_id, []).append({
            "at": r.started_at, "new": r.new or 0, "updated": r.updated or 0, "errors": r.errors or 0, "pages": r.pages or 0,
        })
    out = []
    for o in outlets:
        recent = runs.get(o.id, [])
        layout_changed = (o.consecutive_empty_runs or 0) >= EMPTY_ALERT
        failing = (o.consecutive_failures or 0) >= FAILURE_ALERT
        out.append({
            "outlet": o, "runs": recent, "articles_recent": sum(r["new"] for r in recent),
            "layout_changed": layout_changed, "failing": failing, "never": o.last_success_at is None,
            "status": "layout" if layout_changed else "failing" if failing else "never" if o.last_success_at is None else "ok",
        })
    order = {"layout": 0, "failing": 1, "never": 2, "ok": 3}
    out.sort(key=lambda r: (order[r["status"]], r["outlet"].name))
    return out
