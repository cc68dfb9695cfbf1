"""``reformwatch coverage``: which provinces (or ministries) got reform coverage in a period.

    reformwatch coverage --from 2025-01-01 --to 2025-12-31 [--division current|former]
        [--theme CODE] [--province NAME] [--by-theme] [--ministries] [--uncovered]
        [--format table|csv|json] [--db URL]

JSON is a list of rows, one per province (and theme with --by-theme), each with the stable
keys ``province``, [``theme``], ``articles``, ``positive``, ``neutral``, ``negative``,
``national``, ``local``, ``specialized``, ``government_portal``, ``own_press``.
"""
from __future__ import annotations

import csv
import datetime as dt
import json
import sys
from typing import Any, Optional

from reformwatch.cli import UsageError, add_db_argument

FORMATS = ("table", "csv", "json")


def parse_day(value: Optional[str], option: str) -> Optional[dt.date]:
    """``YYYY-MM-DD`` -> date; UsageError naming the option otherwise."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise UsageError(f"bad date {value!r} for {option}: expected YYYY-MM-DD, e.g. 2025-01-31") from None


def check_period(start: Optional[dt.date], end: Optional[dt.date]) -> None:
    if start and end and start > end:
        raise UsageError(f"--from {start} is after --to {end}")


def check_theme(theme: Optional[str]) -> Optional[str]:
    from storage.coverage import THEMES

    if theme is None:
        return None
    if theme not in THEMES:
        import difflib

        close = difflib.get_close_matches(theme, THEMES, n=3, cutoff=0.4)
        hint = f"; did you mean: {', '.join(close)}?" if close else ""
        raise UsageError(f"unknown theme {theme!r}{hint} (themes: {', '.join(THEMES)})")
    return theme


def resolve_province_arg(name: Optional[str], division: str) -> Optional[str]:
    from storage.coverage import UnknownName, resolve_province

    if name is None:
        return None
    try:
        return resolve_province(name, division)
    except UnknownName as exc:
        raise UsageError(f"--province: {exc}") from None


def resolve_ministry_arg(name: Optional[str], division: str = "current") -> Optional[str]:
    from storage.coverage import UnknownName, resolve_ministry

    if name is None:
        return None
    try:
        return resolve_ministry(name, division)
    except UnknownName as exc:
        raise UsageError(f"--ministry: {exc}") from None


def register(sub) -> None:
    p = sub.add_parser(
        "coverage",
        help="coverage per province (or ministry) and theme in a period: counts by tone and outlet kind",
        description="Thống kê mức độ đưa tin CCHC theo tỉnh/thành (hoặc bộ, ngành) và chủ đề.",
    )
    p.add_argument("--from", dest="start", required=True, metavar="DATE", help="first day, YYYY-MM-DD")
    p.add_argument("--to", dest="end", required=True, metavar="DATE", help="last day (inclusive), YYYY-MM-DD")
    p.add_argument("--division", choices=("current", "former"), default="current",
                   help="current = 34 provinces since 1 July 2025 (default); former = 63 provinces")
    p.add_argument("--theme", metavar="CODE", help="only this theme (institutional, procedures, apparatus, ...)")
    p.add_argument("--province", metavar="NAME", help="only this province (any spelling or alias)")
    p.add_argument("--by-theme", action="store_true", help="one row per province and theme")
    p.add_argument("--ministries", action="store_true", help="coverage per ministry instead of per province")
    p.add_argument("--uncovered", action="store_true", help="list the provinces (ministries) with no coverage")
    p.add_argument("--format", choices=FORMATS, default="table")
    add_db_argument(p)
    p.set_defaults(func=run, _parser=p)


def _rows(args) -> tuple[list[dict[str, Any]], list[str]]:
    from storage import coverage
    from storage.db import session_scope

    start, end = parse_day(args.start, "--from"), parse_day(args.end, "--to")
    check_period(start, end)
    theme = check_theme(args.theme)
    if args.ministries and args.province:
        raise UsageError("--province and --ministries do not go together")
    province = resolve_province_arg(args.province, args.division)
    with session_scope(args.db) as session:
        if args.uncovered:
            if args.ministries:
                names = coverage.uncovered_ministries(session, start=start, end=end, division=args.division)
                return [{"ministry": n} for n in names], ["ministry"]
            names = coverage.uncovered_provinces(session, start=start, end=end, division=args.division, theme=theme)
            return [{"province": n} for n in names], ["province"]
        if args.ministries:
            rows = coverage.ministry_coverage(session, start=start, end=end, division=args.division, theme=theme,
                                              by_theme=args.by_theme)
            key = ["ministry"]
        else:
            rows = coverage.province_theme_matrix(session, start=start, end=end, division=args.division,
                                                  theme=theme, province=province, by_theme=args.by_theme)
            key = ["province"]
    keys = key + (["theme"] if args.by_theme else []) + [k for k in coverage.COUNT_KEYS + ("own_press",)
                                                         if rows and k in rows[0]]
    return rows, keys


def run(args) -> int:
    rows, keys = _rows(args)
    try:
        _print(args, rows, keys)
    except BrokenPipeError:  # e.g. piped into head: not an error
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


def _print(args, rows: list[dict[str, Any]], keys: list[str]) -> None:
    if args.format == "json":
        json.dump(rows, sys.stdout, ensure_ascii=False, indent=1, default=str)
        print()
    elif args.format == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=keys, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    else:
        print(render_table(rows, keys))
    if not rows:
        what = "tỉnh/thành nào" if not args.ministries else "bộ, ngành nào"
        msg = (f"Mọi đơn vị đều có tin trong kỳ {args.start} – {args.end}." if args.uncovered
               else f"Không có {what} được đưa tin về CCHC trong kỳ {args.start} – {args.end}.")
        print(msg, file=sys.stderr)


def render_table(rows: list[dict[str, Any]], keys: list[str]) -> str:
    from exports.labels import COUNT_HEADINGS, theme_label

    headings = {"province": "Tỉnh/thành", "ministry": "Bộ, ngành", "theme": "Chủ đề", **COUNT_HEADINGS}
    cells = [[headings.get(k, k) for k in keys]]
    for row in rows:
        cells.append([theme_label(row[k]) if k == "theme" else str(row[k]) for k in keys])
    widths = [max(len(r[i]) for r in cells) for i in range(len(keys))]
    numeric = [k not in ("province", "ministry", "theme") for k in keys]
    lines = []
    for n, r in enumerate(cells):
        lines.append("  ".join(c.rjust(w) if num and n else c.ljust(w) for c, w, num in zip(r, widths, numeric)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)
