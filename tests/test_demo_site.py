"""The bundled demo outlets (crawler.demo): real HTTP over 127.0.0.1, no mocks."""
from __future__ import annotations

import http.client
import json
import threading
import time
import tomllib
import unicodedata
import urllib.robotparser
from collections import Counter
from urllib.parse import urlsplit

import pytest
from lxml import etree, html as lxml_html

from crawler.demo import content
from crawler.demo.content import DemoDataError, load_bundled
from crawler.demo.outlets import BY_ID, OUTLETS, SITEMAP_LIMIT
from crawler.demo.site import DemoSite, main

SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
ATOM = "{http://www.w3.org/2005/Atom}"
SLOW_DELAY = 1.5


@pytest.fixture(scope="module")
def site():
    with DemoSite(slow_delay=SLOW_DELAY) as s:
        yield s


def fetch(site_or_url, path: str = "", method: str = "GET", headers: dict | None = None, timeout: float = 10):
    """(status, headers, body) of one request; ``site_or_url`` is a DemoSite or an absolute URL."""
    if isinstance(site_or_url, DemoSite):
        port, target = site_or_url.port, path
    else:
        parts = urlsplit(site_or_url)
        port, target = parts.port, parts.path + (f"?{parts.query}" if parts.query else "")
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, target, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def path_of(url: str) -> str:
    return urlsplit(url).path


def sitemap_locs(site: DemoSite, url: str) -> list[str]:
    """Every page URL reachable from a sitemap or sitemap index (recursively)."""
    status, headers, body = fetch(url)
    assert status == 200 and "xml" in headers["content-type"], url
    root = etree.fromstring(body)
    if root.tag == SM + "sitemapindex":
        out = []
        for loc in root.iter(SM + "loc"):
            out += sitemap_locs(site, loc.text)
        return out
    assert root.tag == SM + "urlset"
    return [loc.text for loc in root.iter(SM + "loc")]


# -- bundled content -----------------------------------------------------------------------

def test_bundled_articles_cover_outlets_themes_and_tones():
    articles = load_bundled()
    assert len(articles) >= 60
    kinds = Counter(o.kind for o in OUTLETS)
    assert kinds["national"] >= 3 and kinds["local"] >= 5
    assert all("(demo)" in o.name for o in OUTLETS)
    per_outlet = Counter(a.outlet for a in articles)
    assert set(per_outlet) == set(BY_ID) and min(per_outlet.values()) >= 6
    relevant = [a for a in articles if a.labels["relevant"]]
    themes = Counter(t for a in relevant for t in a.labels["themes"])
    assert set(themes) == {"institutional", "procedures", "apparatus", "civil_service", "public_finance",
                           "digital_government", "direction"}
    assert Counter(a.labels["sentiment"] for a in relevant).keys() == {"positive", "neutral", "negative"}
    ordinary = len(articles) - len(relevant)
    assert 0.18 <= ordinary / len(articles) <= 0.35
    assert all(not a.labels["themes"] for a in articles if not a.labels["relevant"])
    assert {"Bộ Nội vụ", "Bộ Tư pháp", "Văn phòng Chính phủ"} <= {m for a in articles for m in a.labels["ministries"]}
    for a in articles:
        assert 3 <= len(a.paragraphs) <= 6, a.slug
        assert a.published.utcoffset().total_seconds() == 7 * 3600
        assert 0 <= (content.REFERENCE_NOW - a.published).days <= 90, a.slug
        assert a.title == unicodedata.normalize("NFC", a.title)
    titles = Counter(a.title for a in articles)
    syndicated = [t for t, n in titles.items() if n > 1]
    assert len(syndicated) == 1
    assert len({a.outlet for a in articles if a.title == syndicated[0]}) == 2


def test_local_outlets_have_former_and_current_provinces():
    local = {o.id: o for o in OUTLETS if o.kind == "local"}
    assert local["mau-binh-duong"].province == "Bình Dương"
    assert local["mau-binh-duong"].province_current == "Thành phố Hồ Chí Minh"
    assert local["mau-ha-giang"].province_current == "Tuyên Quang"
    assert local["mau-quang-nam"].province_current == "Đà Nẵng"
    assert all(o.province and o.province_current for o in local.values())


def test_bad_article_file_names_record_and_field(tmp_path):
    good = json.loads(content.DATA_FILE.read_text(encoding="utf-8"))[:2]
    broken = [dict(good[0]), {k: v for k, v in good[1].items() if k != "title"}]
    path = tmp_path / "articles.json"
    path.write_text(json.dumps(broken, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(DemoDataError, match=r"record 1 .*missing title"):
        load_bundled(path)
    broken = [dict(good[0], published="27/11/2026")]
    path.write_text(json.dumps(broken, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(DemoDataError, match=r"record 0: 'published' is not an ISO date"):
        load_bundled(path)
    path.write_text("[{", encoding="utf-8")
    with pytest.raises(DemoDataError, match=r"invalid JSON at line 1"):
        load_bundled(path)


# -- registry ------------------------------------------------------------------------------

def test_registry_describes_every_outlet(site):
    registry = tomllib.loads(site.registry_path.read_text(encoding="utf-8"))
    outlets = {o["id"]: o for o in registry["outlet"]}
    assert set(outlets) == set(BY_ID)
    for oid, entry in outlets.items():
        assert entry["domain"] == f"127.0.0.1:{site.port}/{oid}" and entry["verified"] is True
        assert entry["kind"] == BY_ID[oid].kind
        assert entry["feeds"] and entry["sitemaps"]
        assert all(u.startswith(f"{site.base_url}/{oid}/") for u in entry["feeds"] + entry["sitemaps"])
        assert entry["politeness"] == {"delay": 0, "concurrency": 8}
        assert len(entry["listing"]) == 2
        for listing in entry["listing"]:
            assert listing["max_pages"] >= 2
            assert ("next_page" in listing) != ("next_selector" in listing)
        if BY_ID[oid].kind == "local":
            assert entry["province"] and entry["province_current"]
    import re
    pattern = re.compile(outlets["mau-thoi-su"]["listing"][0]["article_pattern"])
    urls = site.article_urls("mau-thoi-su")
    assert all(pattern.match(u) for u in urls)
    assert not pattern.match(f"{site.base_url}/mau-thoi-su/tin-moi/page/2")
    assert not pattern.match(site.article_urls("mau-tin-nhanh")[0])


def test_registry_loads_with_the_crawler_registry(site):
    from crawler.registry import load_registry

    registry = load_registry(site.registry_path)
    assert {o.id for o in registry.outlets} == set(BY_ID)
    for oid in BY_ID:
        for url in site.article_urls(oid)[:3]:
            assert registry.by_url(url).id == oid
    assert registry.by_url(site.faults["not_found"]).id == "mau-thoi-su"


# -- feeds, sitemaps, listings, robots -------------------------------------------------------

def test_feeds_parse_and_link_to_served_articles(site):
    articles = set(site.article_urls())
    fault_urls = set(site.faults.values())
    for outlet in OUTLETS:
        status, headers, body = fetch(site, site.feed_path(outlet))
        assert status == 200
        root = etree.fromstring(body)
        if outlet.feed == "rss":
            assert "rss" in headers["content-type"] and root.tag == "rss"
            links = [e.text for e in root.iter("link")][1:]
        else:
            assert "atom" in headers["content-type"] and root.tag == ATOM + "feed"
            links = [e.get("href") for e in root.iter(ATOM + "link") if e.get("rel") == "alternate"][1:]
        assert links, outlet.id
        for link in links:
            bare = link.split("#")[0].split("?")[0]
            if bare in fault_urls:
                continue
            canonical = bare.replace(f"/{outlet.id}/amp/", f"/{outlet.id}/")
            assert canonical in articles, link
        if outlet.tracking:
            assert all("utm_source=" in link and "#" in link for link in links if link.split("?")[0] not in fault_urls)
        if outlet.feed_links_amp:
            assert all("/amp/" in link for link in links if link.split("#")[0].split("?")[0] not in fault_urls)


def test_sitemaps_cover_every_article(site):
    registry = tomllib.loads(site.registry_path.read_text(encoding="utf-8"))
    found = set()
    for entry in registry["outlet"]:
        found.update(sitemap_locs(site, entry["sitemaps"][0]))
    assert set(site.article_urls()) <= found
    status, _, body = fetch(site, "/mau-thoi-su/sitemap.xml")
    index = etree.fromstring(body)
    assert index.tag == SM + "sitemapindex"
    children = [loc.text for loc in index.iter(SM + "loc")]
    news = [c for c in children if c.endswith("sitemap-news.xml")]
    assert len(news) == 1 and len(children) >= 3
    status, _, body = fetch(news[0])
    news_root = etree.fromstring(body)
    titles = news_root.findall(".//{http://www.google.com/schemas/sitemap-news/0.9}title")
    assert titles and titles[0].text in {a.title for a in site.articles}


def _follow_listing(site, start: str, next_link) -> tuple[list[str], int]:
    hrefs, pages, url = [], 0, start
    while url:
        status, _, body = fetch(site, url)
        assert status == 200, url
        pages += 1
        doc = lxml_html.fromstring(body)
        hrefs += doc.xpath("//div[@class='list-news']//h3/a/@href")
        nxt = next_link(doc)
        url = nxt[0] if nxt else None
        assert pages < 100
    return hrefs, pages


def test_listings_paginate_through_all_articles(site):
    for outlet in OUTLETS:
        hrefs, pages = _follow_listing(site, f"/{outlet.id}/tin-moi/",
                                       lambda d: d.xpath("//a[contains(@class,'trang-sau')]/@href"))
        assert pages >= 2, outlet.id
        listed = {site.base_url + h.split("?")[0].split("#")[0] for h in hrefs}
        assert set(site.article_urls(outlet.id)) <= listed
        category = site.main_category(outlet)
        _, pages = _follow_listing(site, f"/{outlet.id}/{category}/",
                                   lambda d: d.xpath("//a[@rel='next' and text()='Trang sau']/@href"))
        assert pages >= 2, (outlet.id, category)
    status, _, body = fetch(site, "/mau-thoi-su/tin-moi/page/2")
    assert status == 200 and "Trang 2" in body.decode()
    status, _, body = fetch(site, "/mau-tin-nhanh/tin-moi/?trang=2")
    assert status == 200 and "Trang 2" in body.decode()
    assert fetch(site, "/mau-thoi-su/tin-moi/page/999")[0] == 404


def test_robots_txt_disallows_one_path(site):
    status, headers, body = fetch(site, "/robots.txt")
    assert status == 200 and headers["content-type"].startswith("text/plain")
    parser = urllib.robotparser.RobotFileParser()
    parser.parse(body.decode().splitlines())
    assert not parser.can_fetch("ReformWatch", site.faults["robots_disallowed"])
    assert parser.can_fetch("ReformWatch", site.article_urls("mau-thoi-su")[0])
    assert f"Sitemap: {site.base_url}/mau-thoi-su/sitemap.xml" in body.decode()


# -- article pages ---------------------------------------------------------------------------

def test_article_pages_have_title_canonical_and_layout_markers(site):
    for outlet in OUTLETS:
        article = next(a for a in site.articles if a.outlet == outlet.id)
        url = site.base_url + article.path
        status, headers, body = fetch(url + "?utm_source=test&utm_medium=x")
        assert status == 200 and headers["content-type"] == "text/html; charset=utf-8"
        assert headers["etag"] and headers["last-modified"]
        doc = lxml_html.fromstring(body)
        assert doc.xpath("//h1/text()")[0] == article.title
        assert doc.xpath("//link[@rel='canonical']/@href") == [url]
        text = body.decode()
        assert article.paragraphs[-1] in text
        assert "Tin liên quan" in text and "site-footer" in text
        has_ld = bool(doc.xpath("//script[@type='application/ld+json']"))
        has_meta_date = bool(doc.xpath("//meta[@property='article:published_time']"))
        assert has_ld == (outlet.layout == "jsonld")
        assert has_meta_date == (outlet.layout == "og")
        if outlet.layout == "jsonld":
            data = json.loads(doc.xpath("//script[@type='application/ld+json']/text()")[0])
            assert data["@type"] == "NewsArticle" and data["datePublished"] == article.published.isoformat()
        if outlet.layout == "dateline":
            line = doc.xpath("//div[@class='date']/text()")[0]
            stamp = article.published
            expected = {"weekday": f"{stamp:%d/%m/%Y}, {stamp:%H:%M} (GMT+7)", "dash": f"{stamp:%d/%m/%Y} - {stamp:%H:%M}",
                        "updated": f"Cập nhật: {stamp:%H:%M} {stamp:%d/%m/%Y}"}[outlet.date_format]
            assert expected in line
            assert not doc.xpath("//meta[contains(@property,'time')]") and not has_ld


def test_amp_page_points_to_canonical(site):
    article = next(a for a in site.articles if a.outlet == "mau-quang-ninh")
    status, _, body = fetch(site, article.amp_path)
    assert status == 200
    doc = lxml_html.fromstring(body)
    assert doc.get("amp") is not None
    assert doc.xpath("//link[@rel='canonical']/@href") == [site.base_url + article.path]
    status, _, body = fetch(site, article.path)
    assert lxml_html.fromstring(body).xpath("//link[@rel='amphtml']/@href") == [site.base_url + article.amp_path]
    plain = next(a for a in site.articles if a.outlet == "mau-tin-nhanh")
    assert fetch(site, plain.amp_path)[0] == 404


def test_head_and_conditional_get(site):
    article = site.articles[3]
    status, headers, body = fetch(site, article.path)
    status_h, headers_h, body_h = fetch(site, article.path, method="HEAD")
    assert status_h == 200 and body_h == b""
    assert int(headers_h["content-length"]) == len(body)
    assert headers_h["etag"] == headers["etag"]
    assert fetch(site, article.path, headers={"If-None-Match": headers["etag"]})[0] == 304
    assert fetch(site, article.path, headers={"If-Modified-Since": headers["last-modified"]})[0] == 304
    assert fetch(site, article.path, headers={"If-None-Match": '"other"'})[0] == 200


def test_set_body_changes_page_and_validators():
    with DemoSite(faults=False) as s:
        url = s.article_urls("mau-nghe-an")[0]
        _, before, old = fetch(url)
        s.set_body(url + "?utm_source=x", ["Đoạn văn mới hoàn toàn về kết quả cải cách.", "Đoạn thứ hai."])
        status, after, new = fetch(url)
        assert status == 200 and "Đoạn văn mới hoàn toàn" in new.decode() and new != old
        assert after["etag"] != before["etag"]
        from email.utils import parsedate_to_datetime
        assert parsedate_to_datetime(after["last-modified"]) > parsedate_to_datetime(before["last-modified"])
        assert fetch(url, headers={"If-None-Match": before["etag"]})[0] == 200
        with pytest.raises(KeyError):
            s.set_body(s.base_url + "/mau-nghe-an/khong-co/bai-1.html", ["x"])
        with pytest.raises(ValueError):
            s.set_body(url, [])
        with pytest.raises(KeyError, match="unknown demo outlet"):
            s.article_urls("khong-ton-tai")


def test_request_log_records_every_request(site):
    site.clear_log()
    fetch(site, "/mau-thoi-su/")
    fetch(site, "/khong-co-trang-nay?x=1", method="HEAD")
    assert site.request_log == [("GET", "/mau-thoi-su/", 200), ("HEAD", "/khong-co-trang-nay?x=1", 404)]
    site.clear_log()
    assert site.request_log == []


# -- faults ----------------------------------------------------------------------------------

def test_fault_pages_behave_as_described(site):
    f = site.faults
    assert set(f) >= {"broken_feed", "html_sitemap", "not_found", "server_error", "slow", "wrong_charset",
                      "no_charset", "huge", "redirect_loop", "not_article", "robots_disallowed"}
    status, _, body = fetch(f["broken_feed"])
    assert status == 200
    with pytest.raises(etree.XMLSyntaxError):
        etree.fromstring(body)
    status, headers, body = fetch(f["html_sitemap"])
    assert status == 200 and headers["content-type"].startswith("text/html")
    with pytest.raises(etree.XMLSyntaxError):
        etree.fromstring(body)
    assert fetch(f["not_found"])[0] == 404
    assert fetch(f["server_error"])[0] == 500
    status, headers, _ = fetch(f["redirect_loop"])
    assert status == 302
    status2, headers2, _ = fetch(site, headers["location"])
    assert status2 == 302 and headers2["location"] == path_of(f["redirect_loop"])
    status, headers, body = fetch(f["not_article"])
    assert status == 200 and "Liên hệ tòa soạn" in body.decode()
    assert b"datePublished" not in body and b"published_time" not in body


def test_legacy_encoded_pages(site):
    status, headers, body = fetch(site.faults["wrong_charset"])
    assert status == 200 and headers["content-type"] == "text/html; charset=utf-8"
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    text = unicodedata.normalize("NFC", body.decode("cp1258"))
    from crawler.demo.faults import LEGACY_STORIES
    title, _, paragraphs, _ = LEGACY_STORIES["wrong_charset"]
    assert title in text and all(p in text for p in paragraphs) and "windows-1258" in text
    status, headers, body = fetch(site.faults["no_charset"])
    assert headers["content-type"] == "text/html" and b"charset" not in body
    assert "Chợ phiên vùng cao" in unicodedata.normalize("NFC", body.decode("cp1258"))


def test_slow_page_is_slow_without_blocking_others(site):
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        fetch(site.faults["slow"], timeout=0.5)
    result = {}

    def slow():
        t0 = time.monotonic()
        result["status"] = fetch(site.faults["slow"], timeout=10)[0]
        result["took"] = time.monotonic() - t0

    thread = threading.Thread(target=slow)
    thread.start()
    time.sleep(0.2)
    t0 = time.monotonic()
    assert fetch(site, site.articles[0].path)[0] == 200
    assert time.monotonic() - t0 < 0.5
    thread.join(timeout=10)
    assert result["status"] == 200 and result["took"] >= SLOW_DELAY - 0.3
    assert time.monotonic() - started < 10


def test_huge_page_is_streamed_in_full(site):
    status, headers, _ = fetch(site.faults["huge"], method="HEAD")
    assert status == 200 and int(headers["content-length"]) == 50 * 1024 * 1024
    conn = http.client.HTTPConnection("127.0.0.1", site.port, timeout=20)
    conn.request("GET", path_of(site.faults["huge"]))
    resp = conn.getresponse()
    total, first = 0, b""
    while chunk := resp.read(1 << 20):
        first = first or chunk
        total += len(chunk)
    conn.close()
    assert total == 50 * 1024 * 1024 and first.startswith(b"<!DOCTYPE html>")


def test_faults_are_linked_from_feeds_sitemaps_and_listings(site):
    from crawler.demo import faults
    registry = tomllib.loads(site.registry_path.read_text(encoding="utf-8"))
    by_id = {o["id"]: o for o in registry["outlet"]}
    for fault in faults.FAULTS:
        url = site.faults[fault.name]
        outlet = BY_ID[fault.outlet]
        if fault.linked_from == "registry":
            assert url in by_id[outlet.id]["feeds"] + by_id[outlet.id]["sitemaps"]
        elif fault.linked_from == "feed":
            assert url in fetch(site, site.feed_path(outlet))[2].decode()
        elif fault.linked_from == "sitemap":
            assert url in sitemap_locs(site, by_id[outlet.id]["sitemaps"][0])
        else:
            assert path_of(url) in fetch(site, f"/{outlet.id}/tin-moi/")[2].decode()


def test_without_faults_nothing_broken_is_linked_or_served():
    with DemoSite(faults=False) as s:
        assert s.faults == {}
        from crawler.demo import faults
        for fault in faults.FAULTS:
            assert fetch(s, fault.path)[0] == 404
        registry = s.registry_path.read_text(encoding="utf-8")
        assert "chinh-quyen.xml" not in registry and "sitemap-video" not in registry
        assert "999001" not in fetch(s, "/mau-thoi-su/tin-moi/")[2].decode()


# -- generated articles ----------------------------------------------------------------------

def test_generated_articles_are_reachable_and_deterministic():
    with DemoSite(generated=2000, faults=False) as s:
        urls = s.article_urls()
        assert len(urls) == len(load_bundled()) + 2000 == len(set(urls))
        generated = [a for a in s.articles if a.generated]
        assert len({a.title for a in generated}) == 2000
        assert len({a.paragraphs[0] for a in generated}) > 1900
        labels = s.labels_by_url()
        assert set(labels) == set(urls)
        assert Counter(v["relevant"] for v in labels.values())[True] > 1000
        assert all(v["themes"] for v in labels.values() if v["relevant"])
        registry = tomllib.loads(s.registry_path.read_text(encoding="utf-8"))
        found = set()
        child_sizes = []
        for entry in registry["outlet"]:
            status, _, body = fetch(entry["sitemaps"][0])
            root = etree.fromstring(body)
            if root.tag == SM + "sitemapindex":
                for loc in root.iter(SM + "loc"):
                    locs = sitemap_locs(s, loc.text)
                    child_sizes.append(len(locs))
                    found.update(locs)
            else:
                found.update(loc.text for loc in root.iter(SM + "loc"))
        assert set(urls) <= found
        assert len(child_sizes) >= 6 and max(child_sizes) <= SITEMAP_LIMIT
        sample = generated[::400]
        for article in sample:
            status, _, body = fetch(s, article.path)
            assert status == 200 and article.title in body.decode()
    again = content.generate(2000, seed=7)
    assert [a.title for a in again] == [a.title for a in generated]
    assert [a.title for a in content.generate(50, seed=8)] != [a.title for a in generated[:50]]


# -- command line ----------------------------------------------------------------------------

def test_cli_rejects_bad_arguments(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--generated", "-3"])
    assert exc.value.code == 2
    assert "--generated must be zero or more" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--portt", "1"])
    assert "usage:" in capsys.readouterr().err


@pytest.mark.parametrize("kwargs, message", [
    ({"generated": -1}, "generated must be a whole number >= 0"),
    ({"port": 70000}, "port must be at most 65535"),
    ({"slow_delay": -2}, "slow_delay must be a number of seconds"),
    ({"generated": "10"}, "generated must be a whole number"),
])
def test_bad_constructor_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DemoSite(**kwargs)


def test_stop_closes_kept_alive_connections_and_port_can_be_reused():
    site = DemoSite(faults=False).start()
    port = site.port
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("GET", "/")
    conn.getresponse().read()
    registry_dir = site.registry_path.parent
    site.stop()
    assert not registry_dir.exists()
    with pytest.raises((http.client.HTTPException, ConnectionError)):
        conn.request("GET", "/robots.txt")
        conn.getresponse()
    conn.close()
    with DemoSite(port=port, faults=False) as again:
        assert fetch(again, "/robots.txt")[0] == 200
