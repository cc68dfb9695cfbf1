"""``reformwatch evidence``: the PAR Index evidence pack of one province or ministry.

    reformwatch evidence --province NAME | --ministry NAME --from DATE --to DATE
        --output PATH.zip [--reviewed-only] [--division current|former] [--db URL]

A ZIP with index.xlsx + index.html, each article's stored snapshot, a WARC of all captures
and manifest-sha256.txt; built twice from the same database it is byte-identical.
"""
from __future__ import annotations

import sys
from pathlib import Path

from reformwatch.cli import UsageError, add_db_argument
from reformwatch.commands.coverage import check_period, parse_day, resolve_ministry_arg, resolve_province_arg


def register(sub) -> None:
    p = sub.add_parser("evidence", help="evidence ZIP (index, snapshots, WARC, SHA-256 manifest) for a province or ministry",
                       description="Lập bộ tài liệu kiểm chứng (ZIP) về tuyên truyền CCHC của một tỉnh/thành hoặc bộ, ngành.")
    unit = p.add_mutually_exclusive_group(required=True)
    unit.add_argument("--province", metavar="NAME")
    unit.add_argument("--ministry", metavar="NAME")
    p.add_argument("--from", dest="start", required=True, metavar="DATE")
    p.add_argument("--to", dest="end", required=True, metavar="DATE")
    p.add_argument("--output", "-o", required=True, metavar="PATH.zip")
    p.add_argument("--reviewed-only", action="store_true", help="only articles a reviewer confirmed or corrected")
    p.add_argument("--division", choices=("current", "former"), default="current",
                   help="province list the name is read in: current (34, default) or former (63)")
    add_db_argument(p)
    p.set_defaults(func=run, _parser=p)


def run(args) -> int:
    from exports.evidence import Unit, build_evidence_zip
    from storage.db import session_scope

    start, end = parse_day(args.start, "--from"), parse_day(args.end, "--to")
    check_period(start, end)
    out = Path(args.output)
    if out.suffix.lower() != ".zip":
        raise UsageError(f"--output {args.output!r}: the evidence pack is a .zip file")
    if not out.parent.is_dir():
        raise UsageError(f"--output {args.output!r}: folder {str(out.parent)!r} does not exist")
    if args.province:
        unit = Unit("province", resolve_province_arg(args.province, args.division), args.division)
    else:
        unit = Unit("ministry", resolve_ministry_arg(args.ministry, args.division), args.division)
    tmp = out.with_name(out.name + ".part")
    try:
        with session_scope(args.db) as session:
            result = build_evidence_zip(session, unit, start, end, tmp, reviewed_only=args.reviewed_only)
        tmp.replace(out)
    finally:
        if tmp.exists():
            tmp.unlink()
    if result.empty:
        print(f"Không có bài viết nào về CCHC của {unit.name} từ {start} đến {end}: "
              f"đã ghi bộ tài liệu rỗng (hợp lệ) {out}", file=sys.stderr)
    else:
        print(f"{unit.name}: {result.articles} bài viết, {result.captures} bản lưu -> {out}", file=sys.stderr)
    return 0
