"""``reformwatch export``: the filtered article list as CSV, XLSX or JSONL.

    reformwatch export --format xlsx --output bai-viet.xlsx --from 2025-01-01 --to 2025-12-31
        [--province NAME] [--division current|former] [--ministry NAME] [--theme CODE]
        [--sentiment positive|neutral|negative] [--outlet-kind KIND] [--reviewed-only]
        [--include-irrelevant] [--db URL]

The filters are the article list's (storage.queries.ArticleFilter). By default only
articles judged relevant to administrative reform are exported; --include-irrelevant
exports every article that matches.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

from reformwatch.cli import UsageError, add_db_argument
from reformwatch.commands.coverage import (check_period, check_theme, parse_day, resolve_ministry_arg,
                                           resolve_province_arg)

FORMATS = ("csv", "xlsx", "jsonl")
SENTIMENTS = ("positive", "neutral", "negative")
OUTLET_KINDS = ("national", "local", "specialized", "government_portal")


def add_filter_arguments(p, *, period_required: bool = False) -> None:
    p.add_argument("--from", dest="start", metavar="DATE", required=period_required, help="first day, YYYY-MM-DD")
    p.add_argument("--to", dest="end", metavar="DATE", required=period_required, help="last day (inclusive)")
    p.add_argument("--province", metavar="NAME", help="articles about this province (any spelling or alias)")
    p.add_argument("--division", choices=("current", "former"), default="current",
                   help="province list: current (34, default) or former (63)")
    p.add_argument("--ministry", metavar="NAME", help="articles about this ministry (name or abbreviation)")
    p.add_argument("--theme", metavar="CODE")
    p.add_argument("--sentiment", choices=SENTIMENTS)
    p.add_argument("--outlet-kind", choices=OUTLET_KINDS)
    p.add_argument("--reviewed-only", action="store_true", help="only articles a reviewer confirmed or corrected")


def filter_from_args(args, *, relevant=True):
    from storage.queries import ArticleFilter

    start, end = parse_day(args.start, "--from"), parse_day(args.end, "--to")
    check_period(start, end)
    return ArticleFilter(
        date_from=start,
        date_to=end,
        province=resolve_province_arg(args.province, args.division),
        division=args.division,
        ministry=resolve_ministry_arg(args.ministry, args.division),
        theme=check_theme(args.theme),
        sentiment=args.sentiment,
        outlet_kind=args.outlet_kind,
        relevant=relevant,
        reviewed_only=args.reviewed_only,
    )


def register(sub) -> None:
    p = sub.add_parser("export", help="export the filtered article list as CSV (Excel-ready), XLSX or JSONL",
                       description="Xuất danh sách bài viết theo bộ lọc ra CSV, XLSX hoặc JSONL.")
    p.add_argument("--format", choices=FORMATS, help="default: from the output file's extension")
    p.add_argument("--output", "-o", required=True, metavar="PATH")
    add_filter_arguments(p)
    p.add_argument("--include-irrelevant", action="store_true",
                   help="also export articles not about administrative reform")
    add_db_argument(p)
    p.set_defaults(func=run, _parser=p)


def run(args) -> int:
    from exports import spreadsheet
    from storage.db import session_scope

    fmt = args.format or Path(args.output).suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise UsageError(f"cannot tell the format of {args.output!r}: give --format {'|'.join(FORMATS)}")
    f = filter_from_args(args, relevant=None if args.include_irrelevant else True)
    out = Path(args.output)
    if not out.parent.is_dir():
        raise UsageError(f"--output {args.output!r}: folder {str(out.parent)!r} does not exist")
    writer = {"csv": spreadsheet.write_csv, "xlsx": spreadsheet.write_xlsx, "jsonl": spreadsheet.write_jsonl}[fmt]
    tmp = out.with_name(out.name + ".part")
    t0 = time.perf_counter()
    try:
        with session_scope(args.db) as session:
            result = writer(session, f, tmp)
        tmp.replace(out)
    finally:
        if tmp.exists():
            tmp.unlink()
    if result.empty:
        print(f"Không có bài viết nào khớp bộ lọc: đã ghi tệp rỗng (chỉ có tiêu đề cột) {out}", file=sys.stderr)
    else:
        print(f"Đã xuất {result.rows:,} bài viết ({result.coverage:,} bài CCHC được tính) vào {out} "
              f"trong {time.perf_counter() - t0:.1f} giây", file=sys.stderr)
    return 0
