"""Article or not: home/section listings, empty and too-short pages are not articles."""
from __future__ import annotations

import re
from typing import Optional
from urllib.parse import urlsplit

MIN_BODY_CHARS = 250
_ARTICLE_URL = re.compile(r"[-/_.](?:post)?\d{5,}(?:\.[a-z]{2,5})?/?$|/\d{4}/\d{2}/\d{2}/|\.(?:html?|tpo|vnp|chn|ldo|aspx)$", re.IGNORECASE)


def is_root_url(url: str) -> bool:
    """The site's home page (``/``, ``/index.html``, ``/trang-chu``…)."""
    path = urlsplit(url).path
    return path in ("", "/") or bool(re.fullmatch(r"/(?:index|default|home|trang-chu)(?:\.\w+)?", path, re.IGNORECASE))


def headline_links(tree, limit: int = 400) -> int:
    """Links that look like article headlines (an article-like URL and a sentence-long anchor)."""
    seen = set()
    for a in tree.iter("a"):
        href = a.get("href") or ""
        if not href or href.startswith(("#", "javascript:", "mailto:")):
            continue
        text = " ".join(a.text_content().split()) if len(seen) < limit else ""
        if len(text) >= 25 and _ARTICLE_URL.search(href.split("?", 1)[0]):
            seen.add(href)
    return len(seen)


def classify_page(tree, url: str, canonical: str, result: dict, has_article_ld: bool, meta: dict) -> tuple[bool, Optional[str]]:
    """``(is_article, reason)``; reason is None for articles."""
    text = result.get("text") or ""
    if is_root_url(canonical) or (is_root_url(url) and canonical == url):
        return False, "listing page"
    dated = result.get("published") is not None
    links = headline_links(tree)
    paragraphs = [p for p in text.split("\n") if len(p) > 60]
    if not has_article_ld and not dated and links >= 20:
        return False, "listing page"
    if links >= 60 and len(text) < 20 * links and not has_article_ld:
        return False, "listing page"
    if not text.strip():
        return False, "no body"
    if len(text) < MIN_BODY_CHARS or not paragraphs:
        return False, "too short"
    if not result.get("title"):
        return False, "no title"
    return True, None
