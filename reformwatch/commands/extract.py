"""``reformwatch extract PAGE.html [--url URL]``: extract one saved page and print JSON.

Stable output keys, in this order: url, canonical_url, title, published, author, text, outlet
(more keys follow: lead, amp_canonical, is_article, reason, encoding, sources).
"""
from __future__ import annotations

import sys
from pathlib import Path

from reformwatch.cli import UsageError


def register(sub) -> None:
    p = sub.add_parser(
        "extract",
        help="extract title, date, author and body text from one saved HTML page (prints JSON)",
        description="Trích xuất tiêu đề, thời gian đăng, tác giả và nội dung từ một trang HTML đã lưu; in ra JSON.",
    )
    p.add_argument("page", metavar="PAGE.html", help="saved HTML file ('-' reads standard input)")
    p.add_argument("--url", help="the page's address (default: its rel=canonical / og:url, else the file's file:// URI)")
    p.add_argument("--charset", help="charset from the HTTP Content-Type header, if known")
    p.add_argument("--rules", metavar="FILE", help="outlet rules TOML to use instead of crawler/outlet_rules.toml")
    p.add_argument("--compact", action="store_true", help="one line of JSON instead of indented")
    p.set_defaults(func=_extract, _parser=p)


def _read(page: str) -> bytes:
    if page == "-":
        return sys.stdin.buffer.read()
    path = Path(page)
    if not path.exists():
        raise UsageError(f"{page}: no such file")
    if path.is_dir():
        raise UsageError(f"{page}: is a directory, expected an HTML file")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UsageError(f"{page}: cannot read: {exc.strerror or exc}") from exc


def _guess_url(data: bytes, page: str) -> str:
    from crawler.extraction.encoding import decode_html
    from crawler.extraction.metadata import canonical_url, meta_values
    from crawler.extraction.parse import parse_html

    fallback = Path(page).resolve().as_uri() if page != "-" else "file:///dev/stdin"
    tree = parse_html(decode_html(data)[0])
    if tree is None:
        return fallback
    found = canonical_url(tree, fallback, meta_values(tree))
    return found if found.startswith(("http://", "https://")) else fallback


def _extract(args) -> int:
    from crawler.extraction import extract_article, to_json
    from crawler.extraction.rules import RulesError, load_outlet_rules, rules_for

    data = _read(args.page)
    if not data.strip():
        raise UsageError(f"{args.page}: file is empty")
    url = args.url or _guess_url(data, args.page)
    if not url.startswith(("http://", "https://", "file://")):
        raise UsageError(f"--url {url!r}: expected an http(s) address")
    rules = None
    if args.rules:
        try:
            table = load_outlet_rules(args.rules)
        except RulesError as exc:
            raise UsageError(str(exc)) from exc
        from crawler.extraction.metadata import outlet_of

        rules = rules_for(outlet_of(url), table)
    result = extract_article(data, url, rules=rules, http_charset=args.charset)
    print(to_json(result, indent=None if args.compact else 2))
    return 0
