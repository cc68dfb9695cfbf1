"""``reformwatch bulletin``: the weekly reform bulletin (Bản tin cải cách hành chính).

    reformwatch bulletin --week 2026-W48 --output DIR [--no-pdf] [--db URL]
    reformwatch bulletin --from DATE --to DATE --output DIR

Writes DIR/ban-tin-cchc-<week>.html and .docx, and .pdf where LibreOffice or WeasyPrint is
installed.
"""
from __future__ import annotations

import sys
from pathlib import Path

from reformwatch.cli import UsageError, add_db_argument
from reformwatch.commands.coverage import check_period, parse_day


def register(sub) -> None:
    p = sub.add_parser("bulletin", help="weekly reform bulletin as HTML, DOCX (and PDF when possible)",
                       description="Lập bản tin cải cách hành chính theo tuần (HTML, DOCX, PDF).")
    p.add_argument("--week", metavar="YYYY-Www", help="ISO week, e.g. 2026-W48")
    p.add_argument("--from", dest="start", metavar="DATE")
    p.add_argument("--to", dest="end", metavar="DATE")
    p.add_argument("--output", "-o", required=True, metavar="DIR", help="folder for the files (created if missing)")
    p.add_argument("--no-pdf", action="store_true", help="skip the PDF even where an engine is installed")
    add_db_argument(p)
    p.set_defaults(func=run, _parser=p)


def run(args) -> int:
    from exports.bulletin import build_bulletin
    from storage.coverage import week_range
    from storage.db import session_scope

    if args.week and (args.start or args.end):
        raise UsageError("give either --week or --from/--to, not both")
    if args.week:
        try:
            start, end = week_range(args.week)
        except ValueError as exc:
            raise UsageError(f"--week: {exc}") from None
    elif args.start and args.end:
        start, end = parse_day(args.start, "--from"), parse_day(args.end, "--to")
        check_period(start, end)
    else:
        raise UsageError("give --week YYYY-Www, or both --from and --to")
    out = Path(args.output)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--output {args.output!r} is a file, not a folder")
    with session_scope(args.db) as session:
        result = build_bulletin(session, start, end, out, pdf=not args.no_pdf)
    for msg in result.messages:
        print(msg, file=sys.stderr)
    made = [p for p in (result.html, result.docx, result.pdf) if p]
    print(f"Bản tin {start} – {end}: {result.articles} tin -> " + ", ".join(str(p) for p in made), file=sys.stderr)
    return 0
