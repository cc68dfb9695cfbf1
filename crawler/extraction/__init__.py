"""Article extraction: one parsed tree in, a flat record out.

``extract_article(html, url, rules=None, http_charset=None, now=None) -> dict`` and
``to_json(result) -> str``. Modules by concern: ``encoding`` (bytes → text), ``dates``
(Vietnamese date forms), ``metadata`` (JSON-LD, meta, links), ``body`` (main text),
``rules`` (per-outlet selectors as data), ``classify`` (article or listing page).
"""
from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any, Optional

from .classify import classify_page, is_root_url
from .dates import VN_TZ, parse_date
from .encoding import decode_html
from .metadata import (
    amphtml_url,
    article_objects,
    author_candidates,
    canonical_url,
    clean_author,
    choose_author,
    choose_published,
    extract_lead,
    extract_title,
    is_amp,
    jsonld_objects,
    lead_node,
    meta_values,
    organisation_names,
    outlet_of,
    published_candidates,
    visible_date_candidates,
)
from .parse import parse_html
from .rules import choose_layout, load_outlet_rules, rules_for, validate_layout
from .body import LEAD_MARK, extract_body
from .selectors import node_text, select

__all__ = ["extract_article", "to_json", "parse_date", "decode_html", "load_outlet_rules", "rules_for", "STABLE_KEYS"]

STABLE_KEYS = ("url", "canonical_url", "title", "published", "author", "text", "outlet")


def _empty(url: str, reason: str) -> dict:
    return {
        "url": url, "canonical_url": url, "title": None, "published": None, "author": None, "text": "",
        "outlet": outlet_of(url), "lead": None, "amp_canonical": False, "is_article": False, "reason": reason,
        "encoding": None, "sources": {},
    }


def extract_article(
    html: bytes | str,
    url: str,
    *,
    rules: Optional[list[dict]] = None,
    http_charset: Optional[str] = None,
    now: Optional[datetime] = None,
) -> dict:
    """Extract one page. Never raises on bad markup; ``reason`` says why a page is not an article."""

    if isinstance(html, bytes):
        text, encoding = decode_html(html, http_charset)
    else:
        text, encoding = decode_html(html)
    tree = parse_html(text)
    if tree is None:
        result = _empty(url, "empty or unparsable page")
        result["encoding"] = encoding
        return result

    if rules is None:
        layouts = rules_for(outlet_of(url))
    else:
        layouts = [validate_layout(r, f"rules[{i}]") for i, r in enumerate(rules)]

    meta = meta_values(tree)
    ld = jsonld_objects(tree)
    articles = article_objects(ld)
    orgs = organisation_names(meta, ld, url)
    sources: dict[str, Optional[str]] = {}

    # publication time first: it chooses the versioned layout
    published, sources["published"] = choose_published(published_candidates(tree, meta, articles), now)
    layout = choose_layout(tree, layouts, published)
    sources["layout"] = (layout or {}).get("name") or ("#%d" % layouts.index(layout) if layout else None)

    if layout and layout.get("published"):
        for node in select(tree, layout["published"]):
            raw = node if isinstance(node, str) else (node.get("datetime") or node.get("content") or node_text(node))
            parsed = parse_date(raw, now=now)
            if parsed:
                published, sources["published"] = parsed, "rules"
                break
    if published is None or (published.hour, published.minute, published.second) == (0, 0, 0):
        # no date, or a date without time of day: a visible timed date on the same day refines it
        visible, src = choose_published(visible_date_candidates(tree), now)
        if visible and (published is None or visible.date() == published.date()):
            published, sources["published"] = visible, src

    title = None
    if layout and layout.get("title"):
        found = select(tree, layout["title"])
        if found:
            title = " ".join(node_text(found[0]).split()) or None
            sources["title"] = "rules"
    if not title:
        title = extract_title(tree, meta, articles, orgs)
        sources["title"] = "metadata"

    author = None
    if layout and layout.get("author"):
        for node in select(tree, layout["author"]):
            author = clean_author(node_text(node), orgs)
            if author:
                sources["author"] = "rules"
                break
    if not author:
        author, sources["author"] = choose_author(author_candidates(tree, meta, articles), orgs)

    lead, node = None, None
    if layout and layout.get("lead"):
        found = [n for n in select(tree, layout["lead"]) if not isinstance(n, str)]
        if found:
            node = found[0]
    if node is None:
        node = lead_node(tree)
    if node is not None:
        lead = " ".join(node_text(node).split()) or None
        node.set(LEAD_MARK, "1")  # pruned from the body
    else:
        lead = extract_lead(tree, meta)

    canonical = canonical_url(tree, url, meta)
    amp = is_amp(tree, url)

    if is_root_url(canonical) or (is_root_url(url) and canonical == url):
        body, sources["text"] = "", None  # a home page: no story to read, skip the costly part
    else:
        body, sources["text"] = extract_body(tree, url, layout)
    body = _drop_leading_repeats(body, title, lead)
    body, byline = split_trailing_credits(body, author)
    if not author and byline:
        author = clean_author(byline, orgs)
        if author:
            sources["author"] = "body-byline"

    result = {
        "url": url,
        "canonical_url": canonical,
        "title": title,
        "published": published,
        "author": author,
        "text": body,
        "outlet": outlet_of(url),
        "lead": lead,
        "amp_canonical": bool(amp and canonical.rstrip("/") != url.rstrip("/")),
        "amphtml": amphtml_url(tree, url),
        "encoding": encoding,
        "sources": sources,
    }
    result["is_article"], result["reason"] = classify_page(tree, url, canonical, result, bool(articles), meta)
    return result


_NAME_LINE = re.compile(r"^(?:[A-ZĐÀ-Ỹ][\wÀ-ỹ.'-]*\s+){0,4}[A-ZĐÀ-Ỹ][\wÀ-ỹ.'-]*$")
_CREDIT_LINE = re.compile(r"^(?:\(.{2,40}\)|theo\s.{2,40}|nguồn\s*:.{2,60}|\*?\s*ảnh\s*:.{2,60})$", re.IGNORECASE)


def split_trailing_credits(body: str, author: Optional[str]) -> tuple[str, Optional[str]]:
    """Strip byline/credit lines after the last paragraph; return ``(body, byline)``.

    Vietnamese outlets end the story with the author's name ("Lê Phương"), an agency credit
    ("(TTXVN/Vietnam+)") or a source line ("Theo VnExpress"); none is body text.
    """
    lines = body.split("\n")
    byline = None
    while len(lines) > 1:
        last = lines[-1].strip()
        if not last:
            lines.pop()
            continue
        if len(last) > 60 or last.endswith((".", "!", "?", ":", ";", "…", '"', "”")):
            break
        if author and last.casefold() == author.casefold():
            lines.pop()
            byline = byline or last
            continue
        if _CREDIT_LINE.match(last):
            lines.pop()
            continue
        if _NAME_LINE.match(last) and len(last.split()) <= 5:
            lines.pop()
            byline = byline or last
            continue
        break
    return "\n".join(lines), byline


def _drop_leading_repeats(body: str, title: Optional[str], lead: Optional[str]) -> str:
    """Remove the headline when the body extractor picked it up as the first line."""
    lines = body.split("\n")
    norm = lambda s: " ".join((s or "").split()).casefold()
    while len(lines) > 1 and norm(lines[0]) == norm(title):
        lines = lines[1:]
    return "\n".join(lines)


def to_json(result: dict, *, indent: Optional[int] = 2) -> str:
    """JSON for the CLI: the stable keys first, datetimes ISO 8601 in +07:00."""
    def conv(value: Any) -> Any:
        if isinstance(value, datetime):
            aware = value if value.tzinfo else value.replace(tzinfo=VN_TZ)
            return aware.astimezone(VN_TZ).isoformat()
        if isinstance(value, dict):
            return {k: conv(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [conv(v) for v in value]
        return value

    ordered = {k: conv(result.get(k)) for k in STABLE_KEYS}
    ordered.update({k: conv(v) for k, v in result.items() if k not in ordered})
    return json.dumps(ordered, ensure_ascii=False, indent=indent)
