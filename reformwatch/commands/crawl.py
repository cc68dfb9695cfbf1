"""``reformwatch crawl``: crawl the registry's outlets into the database.

    reformwatch crawl [--sources FILE] [--source ID …] [--since YYYY-MM-DD] [--db URL]

Runs ``scrapy crawl news`` in a child process (crawler/run.py) and prints a per-source
summary. An invalid registry prints every problem and exits 2 before anything runs; an
unknown source id or a bad date is a usage error.
"""
from __future__ import annotations

import datetime as dt
import sys

from reformwatch.cli import UsageError, add_db_argument
from reformwatch.commands.sources import add_sources_argument

COLUMNS = ("pages", "new", "updated", "unchanged", "skipped", "duplicates", "errors")
HEADERS = ("trang", "mới", "cập nhật", "không đổi", "bỏ qua", "trùng", "lỗi")


def register(sub) -> None:
    p = sub.add_parser(
        "crawl",
        help="thu thập bài báo: crawl outlets of the source registry into the database",
        description="Crawl the outlets of the source registry (feeds, sitemaps, listing pages) into the database.",
    )
    add_sources_argument(p)
    p.add_argument("--source", metavar="ID", action="append", default=[],
                   help="crawl only this outlet id (repeatable, or comma-separated); default: every outlet")
    p.add_argument("--since", metavar="YYYY-MM-DD", default=None,
                   help="skip articles published before this date and stop paging back past it")
    add_db_argument(p)
    p.set_defaults(func=_run, _parser=p)


def parse_since_arg(value):
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise UsageError(f"--since {value!r}: expected a date YYYY-MM-DD, e.g. 2026-11-01") from None


def format_summary(summary: dict) -> str:
    lines = [f"Lượt thu thập #{summary.get('run_id')} ({summary.get('status')}):"]
    lines.append(f"{'nguồn':30}" + "".join(f"{h:>11}" for h in HEADERS))
    totals = dict.fromkeys(COLUMNS, 0)
    for outlet_id, counts in sorted(summary.get("sources", {}).items()):
        lines.append(f"{outlet_id:30}" + "".join(f"{counts.get(c, 0):>11}" for c in COLUMNS))
        for c in COLUMNS:
            totals[c] += counts.get(c, 0)
    lines.append(f"{'TỔNG':30}" + "".join(f"{totals[c]:>11}" for c in COLUMNS))
    return "\n".join(lines)


def _run(args) -> int:
    from reformwatch.commands.sources import registry_or_exit

    since = parse_since_arg(args.since)
    registry = registry_or_exit(args.sources)  # exits 2 with every problem printed
    ids = [i.strip() for raw in args.source for i in raw.split(",") if i.strip()]
    if ids:
        from crawler.registry import UnknownOutletError

        try:
            registry.select(ids)
        except UnknownOutletError as exc:
            raise UsageError(str(exc)) from None
    from storage.db import resolve_url

    try:
        db_url = resolve_url(args.db)
    except Exception as exc:
        raise UsageError(f"--db {args.db!r}: {exc}") from None
    from crawler.run import CrawlFailed, run_crawl

    path = str(registry.path) if registry.path else None
    try:
        summary = run_crawl(db_url=db_url, sources_path=path, source_ids=ids, since=since)
    except CrawlFailed as exc:
        print(f"thu thập thất bại: {exc}", file=sys.stderr)
        if exc.summary:
            print(format_summary(exc.summary))
        return 1
    print(format_summary(summary))
    return 0
