"""HTML, feed and sitemap rendering for the demo outlets. Pure functions: data in, text out."""
from __future__ import annotations

from datetime import datetime, timezone
from email.utils import format_datetime
from pathlib import Path
from typing import Iterable, NamedTuple
from xml.sax.saxutils import escape

import jinja2

from crawler.demo.outlets import Outlet

_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(Path(__file__).with_name("templates"))),
    autoescape=jinja2.select_autoescape(["html"]),
    trim_blocks=True, lstrip_blocks=True,
)
WEEKDAYS = ("Thứ hai", "Thứ ba", "Thứ tư", "Thứ năm", "Thứ sáu", "Thứ bảy", "Chủ nhật")


class Entry(NamedTuple):
    """One link in a feed, listing or sitemap."""
    title: str
    href: str              # absolute URL (feeds, sitemaps) or site path (HTML)
    published: datetime
    modified: datetime
    lead: str = ""
    author: str = ""
    category: str = ""


def dateline(outlet: Outlet, stamp: datetime) -> str:
    """The visible Vietnamese date line an outlet prints under its headlines."""
    if outlet.date_format == "weekday":
        return f"{WEEKDAYS[stamp.weekday()]}, {stamp:%d/%m/%Y}, {stamp:%H:%M} (GMT+7)"
    if outlet.date_format == "updated":
        return f"Cập nhật: {stamp:%H:%M} {stamp:%d/%m/%Y}"
    return f"{stamp:%d/%m/%Y} - {stamp:%H:%M}"


def jsonld(outlet: Outlet, article, canonical: str) -> dict:
    return {
        "@context": "https://schema.org", "@type": "NewsArticle",
        "mainEntityOfPage": {"@type": "WebPage", "@id": canonical},
        "headline": article.title, "description": article.lead,
        "datePublished": article.published.isoformat(), "dateModified": article.modified.isoformat(),
        "author": {"@type": "Person", "name": article.author},
        "publisher": {"@type": "Organization", "name": outlet.name},
        "inLanguage": "vi",
    }


def _category_name(outlet: Outlet, slug: str) -> str:
    return dict(outlet.categories).get(slug, slug)


def _common(outlet: Outlet, most_read: Iterable) -> dict:
    feed_type = "application/rss+xml" if outlet.feed == "rss" else "application/atom+xml"
    feed_href = f"/{outlet.id}/rss.xml" if outlet.feed == "rss" else f"/{outlet.id}/atom.xml"
    return {"outlet": outlet, "feed_type": feed_type, "feed_href": feed_href, "most_read": list(most_read)}


def article_page(outlet: Outlet, article, base: str, related: Iterable, most_read: Iterable) -> str:
    canonical = base + article.path
    return _ENV.get_template("article.html").render(
        **_common(outlet, most_read), article=article, canonical=canonical, amp_url=base + article.amp_path,
        jsonld=jsonld(outlet, article, canonical), dateline=dateline(outlet, article.published),
        category_name=_category_name(outlet, article.category), related=list(related))


def amp_page(outlet: Outlet, article, base: str) -> str:
    canonical = base + article.path
    return _ENV.get_template("amp.html").render(
        outlet=outlet, article=article, canonical=canonical, jsonld=jsonld(outlet, article, canonical),
        dateline=dateline(outlet, article.published))


def listing_page(outlet: Outlet, heading: str, items: list[dict], page: int, pages: int,
                 prev_href: str | None, next_href: str | None, most_read: Iterable = ()) -> str:
    return _ENV.get_template("listing.html").render(
        **_common(outlet, most_read), heading=heading, items=items, page=page, pages=pages,
        prev_href=prev_href, next_href=next_href)


def home_page(outlet: Outlet, items: list[dict], canonical: str, most_read: Iterable = ()) -> str:
    return _ENV.get_template("home.html").render(**_common(outlet, most_read), items=items, canonical=canonical)


def contact_page(outlet: Outlet, canonical: str) -> str:
    return _ENV.get_template("contact.html").render(**_common(outlet, ()), canonical=canonical)


def portal_page(outlets: Iterable[Outlet]) -> str:
    return _ENV.get_template("portal.html").render(outlets=list(outlets))


def simple_page(title: str, body: str) -> str:
    return (f'<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>{escape(title)}</title></head>'
            f"<body><h1>{escape(title)}</h1><p>{escape(body)}</p></body></html>")


# -- feeds -----------------------------------------------------------------------------------

def rss(outlet: Outlet, home: str, self_url: str, entries: Iterable[Entry]) -> str:
    entries = list(entries)
    items = []
    for e in entries:
        items.append(
            "<item>"
            f"<title>{escape(e.title)}</title><link>{escape(e.href)}</link>"
            f'<guid isPermaLink="false">{escape(e.href.split("?")[0].split("#")[0])}</guid>'
            f"<pubDate>{format_datetime(e.published)}</pubDate>"
            f"<description><![CDATA[{e.lead}]]></description>"
            + (f"<category>{escape(e.category)}</category>" if e.category else "")
            + (f"<author>toasoan@example.invalid ({escape(e.author)})</author>" if e.author else "")
            + "</item>")
    built = max((e.modified for e in entries), default=None)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel>'
            f"<title>{escape(outlet.name)}</title><link>{escape(home)}</link>"
            f"<description>{escape(outlet.name)} - tin mới nhất (trang mẫu)</description><language>vi</language>"
            f'<atom:link href="{escape(self_url)}" rel="self" type="application/rss+xml"/>'
            + (f"<lastBuildDate>{format_datetime(built)}</lastBuildDate>" if built else "")
            + "\n".join(items) + "</channel></rss>\n")


def atom(outlet: Outlet, home: str, self_url: str, entries: list[Entry]) -> str:
    updated = max((e.modified for e in entries), default=datetime(2026, 11, 27, tzinfo=timezone.utc))
    parts = []
    for e in entries:
        parts.append(
            "<entry>"
            f'<title>{escape(e.title)}</title><link rel="alternate" href="{escape(e.href)}"/>'
            f"<id>{escape(e.href.split('?')[0].split('#')[0])}</id>"
            f"<published>{e.published.isoformat()}</published><updated>{e.modified.isoformat()}</updated>"
            f"<summary>{escape(e.lead)}</summary>"
            + (f"<author><name>{escape(e.author)}</name></author>" if e.author else "")
            + (f'<category term="{escape(e.category)}"/>' if e.category else "")
            + "</entry>")
    return ('<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="vi">'
            f"<title>{escape(outlet.name)}</title><id>{escape(home)}</id><updated>{updated.isoformat()}</updated>"
            f'<link rel="self" href="{escape(self_url)}"/><link rel="alternate" href="{escape(home)}"/>'
            + "\n".join(parts) + "</feed>\n")


# -- sitemaps --------------------------------------------------------------------------------

def urlset(entries: Iterable[Entry]) -> str:
    rows = [f"<url><loc>{escape(e.href)}</loc><lastmod>{e.modified.isoformat()}</lastmod></url>" for e in entries]
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' + "\n".join(rows) + "\n</urlset>\n")


def news_urlset(outlet: Outlet, entries: Iterable[Entry]) -> str:
    rows = [f"<url><loc>{escape(e.href)}</loc><news:news><news:publication><news:name>{escape(outlet.name)}"
            f"</news:name><news:language>vi</news:language></news:publication>"
            f"<news:publication_date>{e.published.isoformat()}</news:publication_date>"
            f"<news:title>{escape(e.title)}</news:title></news:news></url>" for e in entries]
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">\n' + "\n".join(rows) + "\n</urlset>\n")


def sitemap_index(children: Iterable[tuple[str, datetime | None]]) -> str:
    rows = [f"<sitemap><loc>{escape(loc)}</loc>" + (f"<lastmod>{mod.isoformat()}</lastmod>" if mod else "")
            + "</sitemap>" for loc, mod in children]
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' + "\n".join(rows)
            + "\n</sitemapindex>\n")
