"""Feed / sitemap / listing parsing (crawler/discovery.py): pure functions, real markup."""
import datetime as dt
import gzip

import pytest

from crawler.discovery import DiscoveryError, parse_date, parse_feed, parse_listing, parse_sitemap, parse_vn_date

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Thời sự</title>
<item><title>Cải cách hành chính</title><link>https://x.vn/thoi-su/cchc-1.html</link>
<pubDate>Fri, 27 Nov 2026 10:25:00 +0700</pubDate></item>
<item><title>Tương đối</title><link>/thoi-su/tuong-doi-2.html</link><pubDate>bad date</pubDate></item>
<item><title>GUID only</title><guid>https://x.vn/thoi-su/guid-3.html</guid></item>
<item><title>No link</title></item>
</channel></rss>""".encode()

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Tin nhanh</title>
<entry><title>Một</title><link rel="alternate" href="https://y.vn/a-1.html"/>
<published>2026-11-26T08:00:00+07:00</published><updated>2026-11-27T09:00:00Z</updated></entry>
<entry><title>Hai</title><link href="https://y.vn/b-2.html"/><updated>2026-11-25T08:00:00</updated></entry>
</feed>""".encode()

URLSET = """<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>https://x.vn/a-1.html</loc><lastmod>2026-11-27T10:00:00+07:00</lastmod></url>
<url><loc>https://x.vn/b-2.html</loc><news:news><news:publication_date>2026-11-20T08:00:00+07:00</news:publication_date>
<news:title>Tin B</news:title></news:news></url>
</urlset>""".encode()

INDEX = """<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>https://x.vn/sitemap-1.xml</loc><lastmod>2026-11-27</lastmod></sitemap>
<sitemap><loc>https://x.vn/sitemap-news.xml</loc></sitemap>
</sitemapindex>""".encode()


def test_rss_entries_links_and_dates():
    entries = parse_feed(RSS, "https://x.vn/rss/thoi-su.rss")
    assert [e.url for e in entries] == [
        "https://x.vn/thoi-su/cchc-1.html",
        "https://x.vn/thoi-su/tuong-doi-2.html",
        "https://x.vn/thoi-su/guid-3.html",
    ]
    assert entries[0].date == dt.datetime(2026, 11, 27, 3, 25, tzinfo=dt.timezone.utc)
    assert entries[0].title == "Cải cách hành chính"
    assert entries[1].date is None  # unparsable date: kept, without date


def test_atom_published_and_updated():
    a, b = parse_feed(ATOM, "https://y.vn/atom.xml")
    assert a.url == "https://y.vn/a-1.html"
    assert a.date.isoformat() == "2026-11-26T08:00:00+07:00"
    assert a.lastmod == dt.datetime(2026, 11, 27, 9, tzinfo=dt.timezone.utc)
    assert b.date.utcoffset() == dt.timedelta(hours=7)  # naive dates are Vietnam time


def test_urlset_with_news_dates():
    sm = parse_sitemap(URLSET, "https://x.vn/sitemap.xml")
    assert sm.kind == "urlset" and not sm.sitemaps
    a, b = sm.entries
    assert a.lastmod.isoformat() == "2026-11-27T10:00:00+07:00"
    assert b.date.isoformat() == "2026-11-20T08:00:00+07:00" and b.title == "Tin B"


def test_sitemap_index_and_gzip():
    sm = parse_sitemap(gzip.compress(INDEX), "https://x.vn/sitemap_index.xml.gz")
    assert sm.kind == "sitemapindex"
    assert [s.url for s in sm.sitemaps] == ["https://x.vn/sitemap-1.xml", "https://x.vn/sitemap-news.xml"]
    assert sm.sitemaps[0].lastmod.date() == dt.date(2026, 11, 27)


@pytest.mark.parametrize("parse", [parse_feed, lambda b, u: parse_sitemap(b, u)])
def test_html_where_xml_expected(parse):
    html = b"<!DOCTYPE html><html><head><title>Trang chu</title></head><body>xin chao</body></html>"
    with pytest.raises(DiscoveryError) as info:
        parse(html, "https://x.vn/feed.xml")
    assert info.value.kind == "html_not_xml"
    assert "https://x.vn/feed.xml" in str(info.value) and "HTML" in str(info.value)


def test_broken_xml_names_the_place():
    broken = b'<?xml version="1.0"?><rss><channel><item><title>a & b</title></item>'
    with pytest.raises(DiscoveryError) as info:
        parse_feed(broken, "https://x.vn/rss.xml")
    assert info.value.kind == "broken_xml"
    assert "https://x.vn/rss.xml" in str(info.value) and "line" in str(info.value)


def test_wrong_root_and_empty_body():
    with pytest.raises(DiscoveryError) as info:
        parse_feed(URLSET, "https://x.vn/rss.xml")
    assert info.value.kind == "not_a_feed"
    with pytest.raises(DiscoveryError) as info:
        parse_sitemap(b"   ", "https://x.vn/s.xml")
    assert info.value.kind == "empty"


LISTING = """<html><body>
<div class="list-news">
 <article class="story"><h3><a href="/tin/bai-mot-101.html?utm_source=home">Bài một</a></h3>
   <span class="story__time">27/11/2026 10:25</span></article>
 <article class="story"><h3><a href="/tin/bai-hai-102.html">Bài hai</a></h3>
   <time datetime="2026-11-20T08:00:00+07:00">20/11</time></article>
 <article class="story"><h3><a href="/tin/bai-ba-103.html">Bài ba</a></h3></article>
 <a href="/gioi-thieu.html">Giới thiệu</a>
 <a href="/tin/bai-mot-101.html?utm_source=home">Bài một (again)</a>
</div>
<div class="pagination"><a class="next trang-sau" href="?trang=3">Trang sau</a></div>
</body></html>"""


def test_listing_links_dates_and_selector_pagination():
    page = parse_listing(LISTING, "https://x.vn/tin/?trang=2", r"/tin/[a-z-]+-\d+\.html",
                         next_selector="a.trang-sau", page=2, max_pages=5)
    assert [e.url for e in page.entries] == [
        "https://x.vn/tin/bai-mot-101.html?utm_source=home",
        "https://x.vn/tin/bai-hai-102.html",
        "https://x.vn/tin/bai-ba-103.html",
    ]
    assert page.entries[0].date.isoformat() == "2026-11-27T10:25:00+07:00"
    assert page.entries[1].date.isoformat() == "2026-11-20T08:00:00+07:00"
    assert page.entries[2].date is None  # no date of a neighbour is borrowed
    assert page.newest.isoformat() == "2026-11-27T10:25:00+07:00"
    assert page.next_url == "https://x.vn/tin/?trang=3"


def test_listing_template_pagination_and_max_pages():
    page = parse_listing(LISTING, "https://x.vn/tin/", r"/tin/", next_page="https://x.vn/tin/page/{page}", page=1, max_pages=3)
    assert page.next_url == "https://x.vn/tin/page/2"
    last = parse_listing(LISTING, "https://x.vn/tin/page/3", r"/tin/", next_page="https://x.vn/tin/page/{page}", page=3, max_pages=3)
    assert last.next_url is None


def test_listing_bad_pattern_is_reported():
    with pytest.raises(DiscoveryError) as info:
        parse_listing(LISTING, "https://x.vn/", r"(unclosed")
    assert info.value.kind == "bad_pattern"


def test_date_parsers():
    assert parse_date("2026-11-27") == dt.datetime(2026, 11, 27, tzinfo=parse_date("2026-11-27").tzinfo)
    assert parse_date("Fri, 27 Nov 2026 03:25:00 GMT").hour == 3
    assert parse_date("hôm qua") is None and parse_date("") is None
    assert parse_vn_date("Thứ sáu, 27/11/2026, 10:25 (GMT+7)").isoformat() == "2026-11-27T10:25:00+07:00"
    assert parse_vn_date("10:25 27/11/2026").hour == 10
    assert parse_vn_date("31/02/2026") is None
