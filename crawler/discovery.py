"""Discovery: pure functions turning feeds, sitemaps and listing pages into article links.

Each parser takes the bytes as fetched and the URL they came from and returns plain data
(``Entry`` / ``Sitemap`` / ``ListingPage``); none does I/O. Broken XML, or an HTML page where
XML was expected, raises ``DiscoveryError`` whose message says what was wrong and where —
the spider records it in ``fetch_errors`` against the source and goes on.
"""
from __future__ import annotations

import datetime as dt
import email.utils
import gzip
import io
import re
from dataclasses import dataclass, field
from typing import Optional
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

from lxml import etree, html as lxml_html

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
MAX_GUNZIP = 50 * 1024 * 1024


class DiscoveryError(ValueError):
    """A feed / sitemap / listing that cannot be used; ``kind`` names the problem."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class Entry:
    """One discovered article link; ``date`` is the publication or last-modification time."""

    url: str
    date: Optional[dt.datetime] = None
    lastmod: Optional[dt.datetime] = None
    title: Optional[str] = None


@dataclass(frozen=True)
class Sitemap:
    """A parsed sitemap: article entries (urlset) or child sitemaps (sitemapindex)."""

    kind: str  # "urlset" | "sitemapindex"
    entries: tuple[Entry, ...] = ()
    sitemaps: tuple[Entry, ...] = ()


@dataclass(frozen=True)
class ListingPage:
    entries: tuple[Entry, ...] = ()
    next_url: Optional[str] = None
    dates: tuple[dt.datetime, ...] = field(default=())

    @property
    def newest(self) -> Optional[dt.datetime]:
        return max(self.dates) if self.dates else None


# --------------------------------------------------------------------------- dates
def parse_date(value: Optional[str]) -> Optional[dt.datetime]:
    """RFC 822 (RSS) or ISO 8601 (Atom, sitemaps) to an aware datetime; naive = Vietnam time."""
    if not value:
        return None
    value = value.strip()
    if not value:
        return None
    when: Optional[dt.datetime] = None
    if re.match(r"^\d{4}-\d{2}-\d{2}", value):
        iso = value.replace("Z", "+00:00").replace(" ", "T", 1)
        try:
            when = dt.datetime.fromisoformat(iso)
        except ValueError:
            try:
                when = dt.datetime.fromisoformat(iso[:10])
            except ValueError:
                return None
    else:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=VN_TZ)
    return when


# --------------------------------------------------------------------------- XML helpers
def _maybe_gunzip(body: bytes) -> bytes:
    if body[:2] == b"\x1f\x8b":
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(body)) as fh:
                data = fh.read(MAX_GUNZIP + 1)
        except (OSError, EOFError) as exc:
            raise DiscoveryError("broken_gzip", f"broken gzip: {exc}") from exc
        if len(data) > MAX_GUNZIP:
            raise DiscoveryError("too_big", f"gzip body larger than {MAX_GUNZIP} bytes")
        return data
    return body


def looks_like_html(body: bytes) -> bool:
    head = body[:2048].lstrip().lower()
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:].lstrip()
    return head.startswith(b"<!doctype html") or head.startswith(b"<html") or (
        b"<html" in head and not head.startswith(b"<?xml")
    )


def _parse_xml(body: bytes, url: str, expected: str) -> etree._Element:
    if isinstance(body, str):
        body = body.encode("utf-8")
    body = _maybe_gunzip(body)
    if not body.strip():
        raise DiscoveryError("empty", f"{expected} at {url} is empty")
    if looks_like_html(body):
        raise DiscoveryError("html_not_xml", f"{expected} at {url} is an HTML page, not XML")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=False)
    try:
        root = etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise DiscoveryError("broken_xml", f"broken XML in {expected} at {url}: {exc}") from exc
    if root is None:
        raise DiscoveryError("broken_xml", f"broken XML in {expected} at {url}: no root element")
    if etree.QName(root).localname.lower() == "html":
        raise DiscoveryError("html_not_xml", f"{expected} at {url} is an HTML page, not XML")
    return root


def _local(el) -> str:
    tag = el.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1].lower()


def _child(el, *names: str):
    for child in el:
        if _local(child) in names:
            return child
    return None


def _text(el) -> Optional[str]:
    if el is None:
        return None
    txt = "".join(el.itertext()).strip()
    return txt or None


# --------------------------------------------------------------------------- feeds
def parse_feed(body: bytes, url: str) -> list[Entry]:
    """Entries of an RSS 2.0 / RSS 1.0 / Atom feed, with their links made absolute."""
    root = _parse_xml(body, url, "feed")
    kind = _local(root)
    entries: list[Entry] = []
    if kind == "rss" or kind == "rdf":
        items = root.iter()
        for item in items:
            if _local(item) != "item":
                continue
            link = _text(_child(item, "link"))
            if not link:
                guid = _child(item, "guid")
                if guid is not None and (guid.get("isPermaLink", "true").lower() != "false"):
                    link = _text(guid)
            if not link:
                continue
            date = parse_date(_text(_child(item, "pubdate", "date", "published", "updated")))
            entries.append(Entry(urljoin(url, link), date, date, _text(_child(item, "title"))))
    elif kind == "feed":
        for item in root:
            if _local(item) != "entry":
                continue
            link = None
            for ln in item:
                if _local(ln) == "link" and ln.get("rel", "alternate") == "alternate" and ln.get("href"):
                    link = ln.get("href")
                    break
            if not link:
                continue
            published = parse_date(_text(_child(item, "published", "issued")))
            updated = parse_date(_text(_child(item, "updated", "modified")))
            entries.append(
                Entry(urljoin(url, link), published or updated, updated or published, _text(_child(item, "title")))
            )
    else:
        raise DiscoveryError("not_a_feed", f"feed at {url} is neither RSS nor Atom (root element <{kind}>)")
    return entries


# --------------------------------------------------------------------------- sitemaps
def parse_sitemap(body: bytes, url: str) -> Sitemap:
    """A urlset (with ``lastmod`` / ``news:publication_date``) or a sitemapindex."""
    root = _parse_xml(body, url, "sitemap")
    kind = _local(root)
    if kind == "sitemapindex":
        children = []
        for sm in root:
            if _local(sm) != "sitemap":
                continue
            loc = _text(_child(sm, "loc"))
            if loc:
                lastmod = parse_date(_text(_child(sm, "lastmod")))
                children.append(Entry(urljoin(url, loc), lastmod, lastmod))
        return Sitemap("sitemapindex", sitemaps=tuple(children))
    if kind != "urlset":
        raise DiscoveryError("not_a_sitemap", f"sitemap at {url} has root element <{kind}>, not urlset/sitemapindex")
    entries = []
    for u in root:
        if _local(u) != "url":
            continue
        loc = _text(_child(u, "loc"))
        if not loc:
            continue
        lastmod = parse_date(_text(_child(u, "lastmod")))
        published = None
        title = None
        news = _child(u, "news")
        if news is not None:
            published = parse_date(_text(_child(news, "publication_date")))
            title = _text(_child(news, "title"))
        entries.append(Entry(urljoin(url, loc), published or lastmod, lastmod or published, title))
    return Sitemap("urlset", entries=tuple(entries))


# --------------------------------------------------------------------------- listings
_DATE_ATTRS = ("datetime", "data-published", "data-date", "data-time", "content")


_VN_DATE = re.compile(
    r"(?:(\d{1,2}):(\d{2})\D{0,12})?(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:\D{0,12}?(\d{1,2})[:hg](\d{2}))?"
)


def parse_vn_date(text: Optional[str]) -> Optional[dt.datetime]:
    """A printed Vietnamese date ("27/11/2026 10:25", "10:25 27/11/2026", "27-11-2026"),
    Vietnam time. None when there is none."""
    if not text:
        return None
    m = _VN_DATE.search(text)
    if not m:
        return None
    h1, m1, day, month, year, h2, m2 = m.groups()
    hour, minute = (h1, m1) if h1 else (h2, m2) if h2 else ("0", "0")
    try:
        return dt.datetime(int(year), int(month), int(day), int(hour), int(minute), tzinfo=VN_TZ)
    except ValueError:
        return None


def _links_in(node, base: str, pattern: re.Pattern) -> int:
    hrefs = {urljoin(base, a.get("href", "").strip()) for a in node.iter("a") if a.get("href")}
    return sum(1 for h in hrefs if pattern.search(h))


def _item_date(anchor, base: str, pattern: re.Pattern) -> Optional[dt.datetime]:
    """A date printed next to a listing link: a <time datetime> (or data-published) in the
    link itself or in its nearest enclosing item (up to three levels up, never in an element
    holding another article's link)."""
    node = anchor
    for _ in range(4):
        if node is None:
            break
        if node is not anchor and _links_in(node, base, pattern) > 1:
            break
        for el in node.iter():
            if not isinstance(el.tag, str):
                continue
            for attr in _DATE_ATTRS:
                val = el.get(attr)
                if val and (el.tag == "time" or attr != "content" or el.get("itemprop") == "datePublished"):
                    when = parse_date(val)
                    if when:
                        return when
            cls = (el.get("class") or "").lower()
            if el is not anchor and ("time" in cls or "date" in cls):
                when = parse_vn_date(el.text_content())
                if when:
                    return when
        node = node.getparent()
        if node is not None and node.tag in ("body", "html", "main"):
            break
    return None


def parse_listing(
    body: bytes | str,
    url: str,
    article_pattern: str,
    *,
    next_selector: Optional[str] = None,
    next_page: Optional[str] = None,
    page: int = 1,
    max_pages: int = 1,
) -> ListingPage:
    """Article links of a listing page (hrefs matching ``article_pattern``, a regex searched in
    the absolute URL), dates printed next to them, and the next page: ``next_page`` template
    (``{page}``) or the ``href`` of the first element matching the CSS ``next_selector``.
    No next page past ``max_pages``.
    """
    if isinstance(body, bytes):
        body_bytes = body
    else:
        body_bytes = body.encode("utf-8")
    if not body_bytes.strip():
        raise DiscoveryError("empty", f"listing page {url} is empty")
    try:
        doc = lxml_html.document_fromstring(body_bytes)
    except (etree.ParserError, ValueError) as exc:
        raise DiscoveryError("broken_html", f"listing page {url} cannot be parsed: {exc}") from exc
    try:
        pattern = re.compile(article_pattern)
    except re.error as exc:
        raise DiscoveryError("bad_pattern", f"article_pattern {article_pattern!r}: {exc}") from exc
    seen: set[str] = set()
    entries: list[Entry] = []
    dates: list[dt.datetime] = []
    for a in doc.iter("a"):
        href = a.get("href")
        if not href or href.startswith(("javascript:", "mailto:", "#")):
            continue
        absolute = urljoin(url, href.strip())
        if not pattern.search(absolute) or absolute in seen:
            continue
        seen.add(absolute)
        when = _item_date(a, url, pattern)
        if when:
            dates.append(when)
        entries.append(Entry(absolute, when, None, (a.text_content() or "").strip() or None))
    next_url = None
    if page < max_pages:
        if next_page:
            next_url = urljoin(url, next_page.replace("{page}", str(page + 1)))
        elif next_selector:
            try:
                found = doc.cssselect(next_selector)
            except Exception as exc:  # cssselect raises its own SelectorError family
                raise DiscoveryError("bad_selector", f"next_selector {next_selector!r}: {exc}") from exc
            for el in found:
                href = el.get("href")
                if href:
                    next_url = urljoin(url, href.strip())
                    break
    return ListingPage(tuple(entries), next_url, tuple(dates))
