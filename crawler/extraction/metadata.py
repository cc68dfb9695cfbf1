"""Page metadata from one parsed lxml tree: JSON-LD, OpenGraph/meta, links, visible markup.

Each ``*_candidates`` / ``extract_*`` function is pure: it reads the tree and returns values;
priorities are documented in docs/extraction.md.
"""
from __future__ import annotations

import json
import re
import unicodedata
from datetime import datetime
from typing import Any, Iterable, Optional
from urllib.parse import urljoin, urlsplit

from .dates import has_time, parse_date
from .selectors import node_text

ARTICLE_TYPES = {
    "article", "newsarticle", "reportagenewsarticle", "analysisnewsarticle", "opinionnewsarticle",
    "backgroundnewsarticle", "reviewnewsarticle", "blogposting", "liveblogposting", "socialmediaposting",
    "scholarlyarticle", "techarticle", "report",
}
# meta keys that carry the publication time, most specific first
PUBLISHED_META = (
    "article:published_time", "og:article:published_time", "datepublished", "pubdate", "publishdate",
    "publish-date", "published_time", "dable:published_time", "dable:published", "article.published",
    "og:published_time", "dc.date.issued", "dcterms.created", "dc.date", "date", "sailthru.date",
    "parsely-pub-date", "cxenseparse:recs:publishtime", "citation_publication_date",
)
AUTHOR_META = ("article:author", "author", "dable:author", "og:article:author", "byl", "dc.creator", "sailthru.author", "parsely-author")
TITLE_SEPARATORS = re.compile(r"\s+(?:[-|–—:»]|\|\|)\s+")
ORG_WORDS = re.compile(
    r"^(?:báo|tạp chí|tap chi|bao|đài|cổng thông tin|trang tin|kênh|thời báo|vccorp|admin|ban biên tập|tòa soạn)\b"
    r"|(?:\.vn|\.com|\.net|online|news|media|corp|jsc)\b",
    re.IGNORECASE,
)
_BYLINE_PREFIX = re.compile(
    r"^(?:theo|bài(?: và ảnh)?|ảnh|tác giả|tin|nhóm pv|by|nguồn|thực hiện|ghi chép|bài, ảnh)\s*[:\-–]?\s+", re.IGNORECASE
)
_ANONYMOUS = re.compile(r"^(?:nhóm\s+)?(?:pv|ptv|btv|ctv|phóng viên|biên tập viên|cộng tác viên|admin|ban biên tập)(?:\s+nhóm)?$", re.IGNORECASE)
_GLUED_AGENCY = re.compile(r"(?<=[a-zà-ỹđ])([A-ZĐ]{2,}[A-Z+]*)$")


def _nfc(text: Optional[str]) -> str:
    if not text:
        return ""
    return " ".join(unicodedata.normalize("NFC", text).split())


# --------------------------------------------------------------------------- JSON-LD
def _loads_lenient(raw: str) -> Any:
    raw = raw.strip().strip(";")
    if raw.startswith("<!--"):
        raw = raw[4:]
    if raw.endswith("-->"):
        raw = raw[:-3]
    try:
        return json.loads(raw, strict=False)
    except ValueError:
        fixed = re.sub(r",\s*([}\]])", r"\1", raw)  # trailing commas
        try:
            return json.loads(fixed, strict=False)
        except ValueError:
            return None


def _flatten(node: Any, out: list[dict]) -> None:
    if isinstance(node, list):
        for item in node:
            _flatten(item, out)
    elif isinstance(node, dict):
        out.append(node)
        if "@graph" in node:
            _flatten(node["@graph"], out)
        main = node.get("mainEntity") or node.get("mainEntityOfPage")
        if isinstance(main, (dict, list)):
            _flatten(main, out)


def jsonld_objects(tree) -> list[dict]:
    """Every JSON object found in ``<script type="application/ld+json">`` blocks (graphs flattened)."""
    out: list[dict] = []
    for script in tree.xpath('//script[contains(translate(@type,"LDJSON","ldjson"),"ld+json")]'):
        data = _loads_lenient(script.text or "")
        if data is not None:
            _flatten(data, out)
    return out


def _types(obj: dict) -> set[str]:
    value = obj.get("@type") or []
    if isinstance(value, str):
        value = [value]
    return {str(v).lower().rsplit("/", 1)[-1] for v in value}


def article_objects(objs: Iterable[dict]) -> list[dict]:
    return [o for o in objs if _types(o) & ARTICLE_TYPES]


# --------------------------------------------------------------------------- meta
def meta_values(tree) -> dict[str, list[str]]:
    """``<meta>`` contents keyed by lower-case property/name/itemprop, in document order."""
    values: dict[str, list[str]] = {}
    for meta in tree.iter("meta"):
        content = meta.get("content")
        if content is None:
            content = meta.get("datetime") or meta.get("value")
        if content is None:
            continue
        for attr in ("property", "name", "itemprop", "http-equiv"):
            key = meta.get(attr)
            if key:
                values.setdefault(key.strip().lower(), []).append(content.strip())
    return values


def _first(values: dict[str, list[str]], *keys: str) -> str:
    for key in keys:
        for value in values.get(key, []):
            if value.strip():
                return _nfc(value)
    return ""


# --------------------------------------------------------------------------- names
def outlet_of(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


def _squash(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", unicodedata.normalize("NFKD", text.lower()).encode("ascii", "ignore").decode())


def organisation_names(meta: dict[str, list[str]], ld: list[dict], url: str) -> set[str]:
    """Squashed names of the publisher: site name, publisher, outlet domain label."""
    names = {_squash(v) for key in ("og:site_name", "application-name", "twitter:site", "publisher") for v in meta.get(key, [])}
    for obj in ld:
        if _types(obj) & {"organization", "newsmediaorganization", "website", "corporation"}:
            names.add(_squash(str(obj.get("name") or "")))
        pub = obj.get("publisher")
        for p in pub if isinstance(pub, list) else [pub]:
            if isinstance(p, dict):
                names.add(_squash(str(p.get("name") or "")))
    host = outlet_of(url)
    if host:
        names.add(_squash(host.split(".")[0]))
        names.add(_squash(host))
    names.discard("")
    return names


def clean_author(name: Optional[str], orgs: set[str] = frozenset()) -> Optional[str]:
    """A person's byline or None (publisher names, URLs and boilerplate rejected)."""
    name = _nfc(name)
    if not name or "http" in name or "@" in name or "/" in name:
        return None
    name = _BYLINE_PREFIX.sub("", name)
    name = re.sub(r"\s*[\(\[][^)\]]*[\)\]]\s*", " ", name).strip()  # (TTXVN), (VTV Online)
    name = _GLUED_AGENCY.sub("", name).strip()  # "Tâm HằngTTXVN"
    name = name.strip(" -–—,.;:|")
    if not name or len(name) > 60 or len(name.split()) > 8:
        return None
    squashed = _squash(name)
    if not squashed or ORG_WORDS.search(name) or _ANONYMOUS.match(name):
        return None
    for org in orgs:
        if squashed == org or (len(org) >= 4 and org in squashed) or (squashed in org and len(squashed) * 5 >= len(org) * 3):
            return None
    return name


def _ld_author_names(value: Any) -> list[tuple[str, bool]]:
    """(name, is_person) pairs from a JSON-LD author value."""
    out: list[tuple[str, bool]] = []
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, str):
            out.append((item, True))
        elif isinstance(item, dict):
            types = _types(item)
            is_person = not (types & {"organization", "newsmediaorganization", "corporation"})
            out.append((str(item.get("name") or ""), is_person))
    return out


# --------------------------------------------------------------------------- title
def strip_site_suffix(title: str, site_names: set[str], loose: bool = False) -> str:
    """Drop a trailing (or leading) " - Outlet" segment when it names the site.

    ``loose`` (for the bare ``<title>``, which nearly always carries the site name) also drops
    a short last segment (at most 4 words, shorter than the rest) that names nothing we know.
    """
    parts = TITLE_SEPARATORS.split(title)
    if len(parts) < 2:
        return title

    def is_site(part: str) -> bool:
        sq = _squash(part)
        if not sq:
            return True
        if any(len(s) >= 3 and (sq in s or s in sq) for s in site_names):
            return True
        if loose and part is parts[-1] and len(part.split()) <= 4 and len(part) * 2 < len(title):
            return True
        return bool(ORG_WORDS.search(part)) and len(part.split()) <= 6

    if is_site(parts[-1]):
        return _nfc(re.split(r"\s+(?:[-|–—:»]|\|\|)\s+(?=[^-|–—:»]*$)", title)[0])
    if is_site(parts[0]) and len(parts[0]) < len(title) / 3:
        return _nfc(title[title.index(parts[1]):])
    return title


def extract_title(tree, meta: dict[str, list[str]], articles: list[dict], site_names: set[str]) -> Optional[str]:
    h1s = [_nfc(node_text(h)) for h in tree.iter("h1")]
    h1s = [h for h in h1s if 10 <= len(h) <= 300]
    og = _first(meta, "og:title", "twitter:title")
    headline = next((_nfc(str(a.get("headline") or a.get("name") or "")) for a in articles if a.get("headline") or a.get("name")), "")
    html_title = _nfc(node_text(tree.find(".//title"))) if tree.find(".//title") is not None else ""
    for candidate, loose in ((og, False), (headline, False)):
        if candidate:
            cleaned = strip_site_suffix(candidate, site_names, loose)
            if cleaned:
                return cleaned
    if h1s:
        return h1s[0]
    if html_title:
        return strip_site_suffix(html_title, site_names, loose=True) or None
    return None


# --------------------------------------------------------------------------- dates
def published_candidates(tree, meta: dict[str, list[str]], articles: list[dict]) -> list[tuple[str, str]]:
    """(source, raw value) pairs in priority order."""
    out: list[tuple[str, str]] = []
    for a in articles:
        for key in ("datePublished", "dateCreated", "uploadDate"):
            if a.get(key):
                out.append((f"jsonld:{key}", str(a[key])))
    for key in PUBLISHED_META:
        for value in meta.get(key, []):
            if value.strip():
                out.append((f"meta:{key}", value))
    for node in tree.xpath('//*[@itemprop="datePublished"][not(self::meta)]'):
        value = node.get("datetime") or node.get("content") or node_text(node)
        if value:
            out.append(("itemprop", value))
    for node in tree.xpath("//time[@datetime]")[:3]:
        out.append(("time", node.get("datetime")))
    return out


_DATE_CLASS = (
    '//*[self::span or self::div or self::p or self::time or self::li]'
    '[contains(@class,"date") or contains(@class,"time") or contains(@class,"publish") or contains(@class,"ngay")'
    ' or contains(@id,"date") or contains(@class,"days")][not(descendant::*[contains(@class,"date")])]'
)


def visible_date_candidates(tree, limit: int = 8) -> list[tuple[str, str]]:
    out = []
    for node in tree.xpath(_DATE_CLASS)[: limit * 3]:
        text = node_text(node)
        if 6 <= len(text) <= 80 and re.search(r"\d{1,2}[/.\-]\d{1,2}[/.\-]\d{4}|\d{4}-\d{2}-\d{2}|tháng", text):
            out.append(("visible", text))
            if len(out) >= limit:
                break
    return out


def choose_published(candidates: list[tuple[str, str]], now: Optional[datetime] = None) -> tuple[Optional[datetime], Optional[str]]:
    """First candidate with a time of day; else the first date-only one."""
    date_only: tuple[Optional[datetime], Optional[str]] = (None, None)
    for source, raw in candidates:
        parsed = parse_date(raw, now=now)
        if parsed is None:
            continue
        if has_time(raw):
            return parsed, source
        if date_only[0] is None:
            date_only = (parsed, source)
    return date_only


# --------------------------------------------------------------------------- author
_BYLINE_XPATH = (
    '//*[@rel="author" or @itemprop="author" or @data-role="author" or @data-field="author" or contains(@class,"author") or contains(@class,"byline")'
    ' or contains(@class,"tac-gia") or contains(@class,"tacgia")][not(self::meta)][not(self::link)]'
)


def author_candidates(tree, meta: dict[str, list[str]], articles: list[dict]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for a in articles:
        names = [n for n, is_person in _ld_author_names(a.get("author")) if is_person and n.strip()]
        if names:
            out.append(("jsonld", ", ".join(names)))
    for key in AUTHOR_META:
        for value in meta.get(key, []):
            out.append((f"meta:{key}", value))
    for node in tree.xpath(_BYLINE_XPATH)[:6]:
        strong = node.xpath(".//strong|.//b|.//a")
        text = node_text(strong[0]) if strong else node_text(node)
        if text:
            out.append(("byline", text))
    return out


def choose_author(candidates: list[tuple[str, str]], orgs: set[str]) -> tuple[Optional[str], Optional[str]]:
    for source, raw in candidates:
        parts = [clean_author(p, orgs) for p in re.split(r"\s*[,;]\s*|\s+(?:và|and|&)\s+", raw)] if "," in raw or ";" in raw or " và " in raw else [clean_author(raw, orgs)]
        parts = [p for p in parts if p]
        if parts:
            return ", ".join(dict.fromkeys(parts)), source
    return None, None


# --------------------------------------------------------------------------- links
def canonical_url(tree, url: str, meta: dict[str, list[str]]) -> str:
    for link in tree.xpath('//link[@href][contains(concat(" ",translate(@rel,"CANONICAL","canonical")," ")," canonical ")]'):
        href = link.get("href", "").strip()
        if href and not href.startswith(("javascript:", "#")):
            return urljoin(url, href)
    og = _first(meta, "og:url")
    if og and og.startswith(("http", "/")):
        return urljoin(url, og)
    return url


def is_amp(tree, url: str) -> bool:
    root = tree.getroottree().getroot() if hasattr(tree, "getroottree") else tree
    attrs = {k.lower() for k in root.attrib} if root is not None and root.tag == "html" else set()
    if "amp" in attrs or "⚡" in attrs:
        return True
    parts = urlsplit(url)
    return bool(re.search(r"(^|/)amp(/|$)|\.amp$|[?&](amp|outputType=amp)\b", parts.path + "?" + parts.query)) or parts.hostname is not None and parts.hostname.startswith("amp.")


def amphtml_url(tree, url: str) -> Optional[str]:
    for link in tree.xpath('//link[@href][contains(translate(@rel,"AMPHTML","amphtml"),"amphtml")]'):
        return urljoin(url, link.get("href").strip())
    return None


# --------------------------------------------------------------------------- lead
_SAPO_XPATH = (
    '//*[self::p or self::h2 or self::div or self::span][contains(@class,"sapo") or contains(@class,"description")'
    ' or contains(@class,"lead") or contains(@class,"summary") or contains(@class,"chapeau") or @itemprop="description"]'
    '[not(ancestor::header)][not(ancestor::footer)][not(ancestor::nav)]'
)


def lead_node(tree):
    """The element holding the sapo (lead paragraph), or None."""
    for node in tree.xpath(_SAPO_XPATH)[:10]:
        text = _nfc(node_text(node))
        if 40 <= len(text) <= 1200:
            return node
    return None


def extract_lead(tree, meta: dict[str, list[str]]) -> Optional[str]:
    node = lead_node(tree)
    if node is not None:
        return _nfc(node_text(node))
    og = _first(meta, "og:description", "description")
    return og or None
