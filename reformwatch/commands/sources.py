"""``reformwatch sources check|list|health``: the source registry and how its outlets are doing.

Other commands use :func:`add_sources_argument` and :func:`registry_or_exit`: nothing else
runs on an invalid registry.
"""
from __future__ import annotations

import sys
from typing import Optional

from reformwatch.cli import UsageError, add_db_argument

FLAG_THRESHOLD = 3  # consecutive failures or zero-article runs before an outlet is flagged
RECENT_RUNS = 5
KIND_LABELS = {
    "national": "báo trung ương",
    "local": "báo địa phương",
    "specialized": "báo ngành",
    "government_portal": "cổng thông tin",
}


def add_sources_argument(parser) -> None:
    parser.add_argument(
        "--sources",
        metavar="FILE",
        default=None,
        help="source registry (TOML; default: $REFORMWATCH_SOURCES, else the bundled crawler/sources.toml)",
    )


def registry_or_exit(path: Optional[str] = None, *, base_url: Optional[str] = None):
    """The registry at ``path`` (or the default); on any problem print them all to stderr and exit 2."""
    from crawler.registry import RegistryError, load_registry

    try:
        return load_registry(path, base_url=base_url)
    except RegistryError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        n = len(exc.problems)
        print(f"source registry unusable: {n} problem{'s' if n != 1 else ''}; nothing else runs until it is fixed "
              "(`reformwatch sources check`)", file=sys.stderr)
        raise SystemExit(2)


def register(sub) -> None:
    p = sub.add_parser("sources", help="source registry: check it, list outlets, show crawl health per outlet")
    p.set_defaults(_parser=p)
    ssub = p.add_subparsers(dest="sources_command", metavar="ACTION", required=True)

    check = ssub.add_parser("check", help="validate the registry; print every problem as FILE:LINE: [id] message")
    add_sources_argument(check)
    check.set_defaults(func=_check, _parser=check)

    lst = ssub.add_parser("list", help="list outlets as a table")
    add_sources_argument(lst)
    lst.add_argument("--kind", choices=["national", "local", "specialized", "government_portal"], help="only this kind")
    lst.add_argument("--province", metavar="P", help="only outlets whose home province (former or current) is P")
    lst.add_argument("--unverified", action="store_true", help="only outlets with verified = false")
    lst.set_defaults(func=_list, _parser=lst)

    health = ssub.add_parser("health", help="per outlet: last run, last success, new articles, failures; problems first")
    add_sources_argument(health)
    add_db_argument(health)
    health.set_defaults(func=_health, _parser=health)


# --------------------------------------------------------------------------- check
def _check(args) -> int:
    from crawler.registry import KINDS, RegistryError, load_registry

    try:
        registry = load_registry(args.sources)
    except RegistryError as exc:
        for problem in exc.problems:
            print(problem)
        n = len(exc.problems)
        print(f"INVALID: {n} problem{'s' if n != 1 else ''}", file=sys.stderr)
        return 1
    counts = registry.counts()
    parts = ", ".join(f"{counts[k]} {k}" for k in KINDS)
    print(f"OK: {len(registry)} outlets ({parts}), {len(registry.unverified())} unverified — {registry.path}")
    return 0


# --------------------------------------------------------------------------- list
def _table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    return "\n".join(lines)


def _list(args) -> int:
    from crawler.registry import PROVINCE_NAMES, _did_you_mean, canonical_province, current_province

    registry = registry_or_exit(args.sources)
    outlets = list(registry)
    if args.kind:
        outlets = [o for o in outlets if o.kind == args.kind]
    if args.province:
        name = canonical_province(args.province, loose=True)
        if name is None:
            raise UsageError(f"--province: {args.province!r} is not a province{_did_you_mean(args.province, PROVINCE_NAMES)}")
        cur = current_province(name)
        # a current name selects every former province merged into it; a former name only itself
        outlets = [o for o in outlets if o.province == name or o.province_current == name
                   or (name == cur and o.province_current == cur)]
    if args.unverified:
        outlets = [o for o in outlets if not o.verified]
    rows = []
    for o in outlets:
        where = ""
        if o.province:
            where = o.province if o.province == o.province_current else f"{o.province} → {o.province_current}"
        rows.append([o.id, o.kind, where, "yes" if o.verified else "no", o.domain,
                     f"{len(o.feeds)}/{len(o.sitemaps)}/{len(o.listings)}", o.name])
    print(_table(["id", "kind", "province", "verified", "domain", "feeds/sitemaps/listings", "name"], rows))
    print(f"{len(rows)} of {len(registry)} outlets")
    return 0


# --------------------------------------------------------------------------- health
def outlet_health(session, registry) -> list[dict]:
    """One dict per outlet (the registry's, then any only in the database), flagged ones first."""
    from sqlalchemy import func, select

    from storage.models import CrawlRun, CrawlSourceStat, Outlet as OutletRow

    db_outlets = {row.id: row for row in session.scalars(select(OutletRow))}
    ranked = (
        select(
            CrawlSourceStat.outlet_id,
            CrawlSourceStat.new,
            CrawlSourceStat.updated,
            CrawlSourceStat.unchanged,
            CrawlSourceStat.skipped,
            CrawlSourceStat.duplicates,
            CrawlSourceStat.errors,
            CrawlRun.started_at,
            func.row_number()
            .over(partition_by=CrawlSourceStat.outlet_id, order_by=(CrawlRun.started_at.desc(), CrawlRun.id.desc()))
            .label("rn"),
        )
        .join(CrawlRun, CrawlRun.id == CrawlSourceStat.run_id)
        .subquery()
    )
    recent: dict[str, list] = {}
    for row in session.execute(select(ranked).where(ranked.c.rn <= RECENT_RUNS).order_by(ranked.c.outlet_id, ranked.c.rn)):
        recent.setdefault(row.outlet_id, []).append(row)

    ids = registry.ids() + sorted(set(db_outlets) - set(registry.ids()))
    out = []
    for oid in ids:
        row = db_outlets.get(oid)
        stats = recent.get(oid, [])
        trailing_empty = 0
        for s in stats:  # most recent first; "empty" as storage.runs counts it: nothing new or updated
            if (s.new or 0) + (s.updated or 0) + (s.duplicates or 0) == 0:
                trailing_empty += 1
            else:
                break
        failures = (row.consecutive_failures or 0) if row else 0
        empty = max((row.consecutive_empty_runs or 0) if row else 0, trailing_empty)
        reasons = []
        if failures >= FLAG_THRESHOLD:
            reasons.append(f"CẢNH BÁO: {failures} lần lỗi liên tiếp")
        if empty >= FLAG_THRESHOLD:
            reasons.append(f"CẢNH BÁO: {empty} lần chạy không có bài mới (layout changed?)")
        outlet = registry.get(oid) if oid in registry else None
        out.append({
            "id": oid,
            "kind": outlet.kind if outlet else (row.kind if row else ""),
            "in_registry": outlet is not None,
            "last_run_at": row.last_run_at if row else None,
            "last_success_at": row.last_success_at if row else None,
            "runs": len(stats),
            "new_recent": sum(s.new or 0 for s in stats),
            "errors_recent": sum(s.errors or 0 for s in stats),
            "consecutive_failures": failures,
            "consecutive_empty_runs": empty,
            "flagged": bool(reasons),
            "status": "; ".join(reasons) if reasons else ("chưa chạy" if not stats and not (row and row.last_run_at) else "ổn"),
        })
    out.sort(key=lambda h: (not h["flagged"], -(h["consecutive_failures"] + h["consecutive_empty_runs"]) if h["flagged"] else 0))
    return out


def _fmt_time(value) -> str:
    if value is None:
        return "—"
    from zoneinfo import ZoneInfo

    return value.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%Y-%m-%d %H:%M")


def _health(args) -> int:
    from storage.db import session_scope

    registry = registry_or_exit(args.sources)
    with session_scope(args.db) as session:
        health = outlet_health(session, registry)
    rows = []
    for h in health:
        rows.append([
            h["id"] + ("" if h["in_registry"] else " (không có trong danh sách nguồn)"),
            _fmt_time(h["last_run_at"]),
            _fmt_time(h["last_success_at"]),
            f"{h['new_recent']} / {h['runs']}",
            str(h["consecutive_failures"]),
            str(h["consecutive_empty_runs"]),
            h["status"],
        ])
    print(_table(["nguồn", "lần chạy cuối", "thành công cuối", f"bài mới / {RECENT_RUNS} lần chạy gần nhất",
                  "lỗi liên tiếp", "lần không có bài mới", "trạng thái"], rows))
    flagged = sum(h["flagged"] for h in health)
    print(f"{len(health)} nguồn; {flagged} cần kiểm tra (≥{FLAG_THRESHOLD} lần lỗi hoặc không có bài mới liên tiếp)")
    return 0
