"""extract_article: quality on real saved pages vs bare trafilatura, plus unit checks on small pages."""
from __future__ import annotations

import json
import subprocess
import sys
import unicodedata
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from crawler.extraction import STABLE_KEYS, extract_article, to_json
from crawler.extraction.encoding import decode_html
from crawler.extraction.evaluate import evaluate_pages, format_table

VN = ZoneInfo("Asia/Ho_Chi_Minh")
BODY = "".join(
    f"<p>Đoạn {i}: Bộ Nội vụ hướng dẫn các địa phương cắt giảm thủ tục hành chính, số hóa hồ sơ và trả kết quả trực tuyến cho người dân.</p>"
    for i in range(1, 5)
)


# ------------------------------------------------------------------ real pages
@pytest.fixture(scope="module")
def figures(shared_dir):
    return evaluate_pages(shared_dir / "html")


def test_quality_bars_on_saved_pages(figures):
    ours = figures["ours"]
    assert figures["articles"] >= 10, "too few saved articles to measure"
    assert ours["title"] >= 0.95, format_table(figures)
    assert ours["published"] >= 0.90, format_table(figures)
    assert ours["body"] >= 0.90, format_table(figures)


def test_not_worse_than_bare_trafilatura(figures):
    for field in ("title", "published", "author", "body"):
        assert figures["ours"][field] >= figures["trafilatura"][field], (field, format_table(figures))


def test_generic_extractor_alone_meets_the_bars(figures):
    """Unseen outlets get no rules: the generic path must hold up on its own."""
    generic = figures["generic"]
    assert generic["title"] >= 0.95 and generic["published"] >= 0.90 and generic["body"] >= 0.90, format_table(figures)


def test_listing_pages_are_not_articles(shared_dir, figures):
    html = shared_dir / "html"
    rows = [json.loads(l) for l in (html / "truth.jsonl").read_text(encoding="utf-8").splitlines() if l.strip()]
    listings = [r for r in rows if r["kind"] == "listing"]
    assert listings
    for row in listings:
        result = extract_article((html / row["file"]).read_bytes(), f"https://{row['outlet']}/")
        assert result["is_article"] is False and result["reason"] == "listing page", row["file"]
    assert figures["listing_rejected"] == 1.0
    assert figures["articles_rejected"] == [], "real articles classified as not articles"


def test_amp_video_page_keeps_canonical(shared_dir):
    html = shared_dir / "html"
    page = next(html.glob("vietnamplus.vn__*.html"))
    result = extract_article(page.read_bytes(), "https://www.vietnamplus.vn/x-post1125344.vnp")
    assert result["canonical_url"].endswith("post1125344.vnp") and result["outlet"] == "vietnamplus.vn"
    assert result["amphtml"].endswith(".amp") and result["amp_canonical"] is False


# ------------------------------------------------------------------ metadata units
def _page(head: str = "", body: str = BODY, html_attrs: str = "") -> str:
    return f"<!DOCTYPE html><html {html_attrs}><head><meta charset='utf-8'>{head}</head><body><article>{body}</article></body></html>"


def test_jsonld_graph_list_and_publisher_as_author():
    ld = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "WebSite", "name": "Báo Mẫu"},
            {"@type": ["ReportageNewsArticle"], "headline": "Tiêu đề từ JSON-LD", "datePublished": "2026-11-27T10:25:00+07:00",
             "author": [{"@type": "Organization", "name": "Báo Mẫu"}, {"@type": "Person", "name": "Trần Thị Bình"}]},
        ],
    }
    head = f"<script type='application/ld+json'>{json.dumps(ld, ensure_ascii=False)}</script><title>Khác</title>"
    result = extract_article(_page(head), "https://baomau.vn/tieu-de-123456.html")
    assert result["title"] == "Tiêu đề từ JSON-LD"
    assert result["published"] == datetime(2026, 11, 27, 10, 25, tzinfo=VN)
    assert result["author"] == "Trần Thị Bình"
    assert result["sources"]["published"] == "jsonld:datePublished"


def test_organisation_only_author_is_none_and_broken_jsonld_is_skipped():
    ld = '{"@type": "NewsArticle", "headline": "Bài báo", "datePublished": "2026-11-27T10:25:00", "author": {"@type": "Organization", "name": "VnExpress"},}'
    head = (f"<script type='application/ld+json'>{{not json</script><script type='application/ld+json'>{ld}</script>"
            "<meta name='author' content='VnExpress'><meta property='og:site_name' content='VnExpress'>")
    result = extract_article(_page(head), "https://vnexpress.net/bai-bao-123456.html", rules=[])
    assert result["author"] is None  # the publisher is not a byline
    assert result["published"] == datetime(2026, 11, 27, 10, 25, tzinfo=VN)  # trailing comma tolerated, naive => +07:00


@pytest.mark.parametrize(
    "meta",
    [
        "<meta property='article:published_time' content='2026-11-27T10:25:00+07:00'>",
        "<meta name='pubdate' itemprop='datePublished' content='2026-11-27T10:25:00+07:00'>",
        "<meta property='dable:published_time' content='2026-11-27T10:25:00+07:00'>",
        "<meta itemprop='datePublished' content='2026-11-27T03:25:00Z'>",
    ],
)
def test_meta_publication_time_sources(meta):
    result = extract_article(_page(meta), "https://a.vn/x-123456.html", rules=[])
    assert result["published"] == datetime(2026, 11, 27, 10, 25, tzinfo=VN)


def test_date_only_meta_loses_to_timed_visible_date():
    head = "<meta property='article:published_time' content='2026-11-27'>"
    body = "<div class='date-time'>Thứ sáu, 27/11/2026, 10:25 (GMT+7)</div>" + BODY
    result = extract_article(_page(head, body), "https://a.vn/x-123456.html", rules=[])
    assert result["published"] == datetime(2026, 11, 27, 10, 25, tzinfo=VN)


def test_visible_date_when_no_metadata():
    body = "<span class='time'>Cập nhật lúc 10:25 ngày 27/11/2026</span>" + BODY
    result = extract_article(_page("", body), "https://a.vn/x-123456.html", rules=[])
    assert result["published"] == datetime(2026, 11, 27, 10, 25, tzinfo=VN)


def test_og_title_with_site_suffix_and_title_fallback():
    head = "<meta property='og:site_name' content='Báo Mẫu'><meta property='og:title' content='Cắt giảm thủ tục - Báo Mẫu'>"
    assert extract_article(_page(head), "https://baomau.vn/a-123456.html")["title"] == "Cắt giảm thủ tục"
    head = "<title>Đơn giản hóa thủ tục hành chính | VnExpress</title>"
    assert extract_article(_page(head), "https://vnexpress.net/a-123456.html", rules=[])["title"] == "Đơn giản hóa thủ tục hành chính"
    head = "<title>Bộ Nội vụ: sắp xếp bộ máy - Tin tức 24h</title>"
    # a colon inside the headline is not a site separator
    assert extract_article(_page(head), "https://x.vn/a-123456.html")["title"] == "Bộ Nội vụ: sắp xếp bộ máy"


def test_canonical_relative_and_og_url_and_amp():
    head = "<link rel='canonical' href='/thoi-su/bai-viet-123456.html'>"
    result = extract_article(_page(head), "https://www.baomau.vn/amp/thoi-su/bai-viet-123456.html")
    assert result["canonical_url"] == "https://www.baomau.vn/thoi-su/bai-viet-123456.html"
    assert result["amp_canonical"] is True and result["outlet"] == "baomau.vn"
    result = extract_article(_page("<link rel='canonical' href='https://a.vn/x-1.html'>", html_attrs="amp"), "https://a.vn/x-1.amp")
    assert result["amp_canonical"] is True
    result = extract_article(_page("<meta property='og:url' content='https://a.vn/y-2.html'>"), "https://a.vn/y-2.html?utm=1")
    assert result["canonical_url"] == "https://a.vn/y-2.html" and result["amp_canonical"] is False
    assert extract_article(_page(), "https://a.vn/z-3.html")["canonical_url"] == "https://a.vn/z-3.html"


def test_byline_cleanup_and_trailing_credit_lines():
    head = "<meta property='article:author' content='Theo Phạm Trường (VTV Online)'>"
    body = BODY + "<p>(TTXVN/Vietnam+)</p>"
    result = extract_article(_page(head, body), "https://a.vn/x-123456.html", rules=[])
    assert result["author"] == "Phạm Trường"
    assert result["text"].endswith("trực tuyến cho người dân.")
    result = extract_article(_page("", BODY + "<p><strong>Hoàng Lan</strong></p>"), "https://a.vn/x-123456.html", rules=[])
    assert result["author"] == "Hoàng Lan" and "Hoàng Lan" not in result["text"]


def test_body_drops_captions_and_related_boxes_and_keeps_photo_story():
    body = ("<figure><img src='a.jpg'><figcaption>Ảnh minh họa: người dân làm thủ tục tại bộ phận một cửa</figcaption></figure>"
            + BODY + "<div class='box-relate'><ul><li><a href='/x-1.html'>Tin liên quan về cải cách thủ tục hành chính mới nhất</a></li></ul></div>")
    result = extract_article(_page("<title>Một cửa</title>", body), "https://a.vn/x-123456.html", rules=[])
    assert "Ảnh minh họa" not in result["text"] and "Tin liên quan" not in result["text"]
    assert result["text"].count("\n") == 3 and result["is_article"]
    captions = "".join(
        f"<figure><img src='{i}.jpg'><figcaption>Ảnh {i}: cán bộ phường hướng dẫn người dân nộp hồ sơ trực tuyến trên cổng dịch vụ công quốc gia, tiết kiệm thời gian đi lại.</figcaption></figure>"
        for i in range(1, 5)
    )
    result = extract_article(_page("", captions), "https://a.vn/p-123456.html", rules=[])
    assert "Ảnh 1:" in result["text"] and "Ảnh 4:" in result["text"]  # photo story: captions are the text


def test_not_article_reasons():
    assert extract_article("", "https://a.vn/x-1.html")["reason"] == "empty or unparsable page"
    assert extract_article(_page("", "<p>Ngắn.</p>"), "https://a.vn/x-1.html")["reason"] in ("too short", "no body")
    assert extract_article(_page(), "https://a.vn/x-1.html")["reason"] == "no title"
    home = _page("<link rel='canonical' href='https://a.vn/'>")
    assert extract_article(home, "https://a.vn/")["reason"] == "listing page"
    links = "".join(f"<li><a href='/muc/tin-so-{i}-12345{i}.html'>Tin số {i} về cải cách hành chính ở địa phương</a></li>" for i in range(40))
    listing = _page("", f"<ul>{links}</ul>")
    assert extract_article(listing, "https://a.vn/thoi-su")["is_article"] is False


# ------------------------------------------------------------------ encoding
TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def _cp1258(text: str) -> bytes:
    """Encode as windows-1258 does: precomposed base letter + combining tone mark."""
    out = b""
    for ch in text:
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            nfd = unicodedata.normalize("NFD", ch)
            base = unicodedata.normalize("NFC", "".join(c for c in nfd if c not in TONES))
            out += base.encode("cp1258") + "".join(c for c in nfd if c in TONES).encode("cp1258")
    return out


SAMPLE = "Cải cách hành chính là nhiệm vụ trọng tâm của Chính phủ trong năm nay."


@pytest.mark.parametrize(
    "data,http,expected_encoding",
    [
        (SAMPLE.encode("utf-8"), None, "utf-8"),
        (b"\xef\xbb\xbf" + SAMPLE.encode("utf-8"), None, "utf-8"),
        (SAMPLE.encode("utf-8"), "text/html; charset=ISO-8859-1", "utf-8"),  # wrong header, valid UTF-8 wins
        (_cp1258("<meta charset='utf-8'>" + SAMPLE), None, "cp1258"),  # declared utf-8, really windows-1258
        (_cp1258(SAMPLE), None, "cp1258"),  # no declaration at all
        (_cp1258(SAMPLE), "text/html; charset=windows-1258", "cp1258"),
        (SAMPLE.encode("utf-16"), None, "utf-16"),
    ],
)
def test_decode_html(data, http, expected_encoding):
    text, encoding = decode_html(data, http)
    assert SAMPLE in text and encoding == expected_encoding


def test_decode_cp1252_and_garbage_never_crash():
    text, encoding = decode_html("<p>café crème brûlée au café avec crème</p>".encode("cp1252"), "text/html; charset=bogus-charset")
    assert "crème brûlée" in text and encoding == "cp1252"
    for junk in (b"", b"\x00\xff\xfe\xfa" * 50, bytes(range(256))):
        text, _ = decode_html(junk)
        assert isinstance(text, str)


def test_extract_from_mis_declared_bytes():
    page = _page("<meta property='og:title' content='Cải cách hành chính'>")
    result = extract_article(_cp1258(page), "https://a.vn/x-123456.html")
    assert result["title"] == "Cải cách hành chính" and "Bộ Nội vụ hướng dẫn" in result["text"]
    assert result["encoding"] == "cp1258"


# ------------------------------------------------------------------ JSON and CLI
def test_to_json_stable_keys_and_offsets():
    head = "<meta property='article:published_time' content='2026-11-27T03:25:00Z'><meta property='og:title' content='Tiêu đề'>"
    data = json.loads(to_json(extract_article(_page(head), "https://a.vn/x-123456.html")))
    assert list(data)[: len(STABLE_KEYS)] == list(STABLE_KEYS)
    assert data["published"] == "2026-11-27T10:25:00+07:00"


def test_cli_extract(tmp_path):
    page = tmp_path / "page.html"
    page.write_text(_page("<link rel='canonical' href='https://baomau.vn/bai-123456.html'><meta property='og:title' content='Tiêu đề CLI'>"), encoding="utf-8")
    cli = [sys.executable, "-c", "import sys; from reformwatch.cli import main; sys.exit(main())"]
    cmd = cli + ["extract", str(page)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert list(data)[:7] == ["url", "canonical_url", "title", "published", "author", "text", "outlet"]
    assert data["url"] == "https://baomau.vn/bai-123456.html" and data["title"] == "Tiêu đề CLI"
    done = subprocess.run(cmd + ["--url", "https://khac.vn/a-1.html"], capture_output=True, text=True, timeout=60)
    assert json.loads(done.stdout)["outlet"] == "khac.vn"
    missing = subprocess.run(cli + ["extract", str(tmp_path / "nope.html")], capture_output=True, text=True, timeout=60)
    assert missing.returncode == 2 and "nope.html: no such file" in missing.stderr and "Traceback" not in missing.stderr


@pytest.mark.slow
def test_speed_against_bare_trafilatura(shared_dir):
    figures = evaluate_pages(shared_dir / "html", repeat=3)
    assert figures["time_ratio"] <= 1.3, format_table(figures)


def test_fallbacks_hold_without_jsonld_and_meta(shared_dir):
    """Remove every JSON-LD block and <meta> tag: visible markup alone must still carry the page."""
    import re

    from crawler.extraction.evaluate import score_page

    html = shared_dir / "html"
    rows = [json.loads(l) for l in (html / "truth.jsonl").read_text(encoding="utf-8").splitlines() if l.strip()]
    hits = {"title": 0, "published": 0, "author": 0, "body": 0}
    articles = [r for r in rows if r["kind"] == "article"]
    for row in articles:
        page = (html / row["file"]).read_text(encoding="utf-8")
        page = re.sub(r"<script[^>]*ld\+json[^>]*>.*?</script>", "", page, flags=re.S)
        page = re.sub(r"<meta[^>]*>", "", page)
        assert "ld+json" not in page and "<meta" not in page
        result = extract_article(page, row["url"], rules=[])
        for field, ok in score_page(result, row).items():
            hits[field] += ok
    n = len(articles)
    assert hits["title"] / n >= 0.95 and hits["published"] / n >= 0.90 and hits["body"] / n >= 0.90, hits
    assert hits["author"] / n >= 0.80, hits
