"""Deliberately broken pages of the demo site (served only when ``faults=True``).

Each fault has a site path, the place it is linked from (``feed``, ``sitemap``, ``listing`` or
``registry``) and the outlet that links it. The handlers that serve them live in
:mod:`crawler.demo.site`; this module holds the definitions and the byte producers.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Iterator


@dataclass(frozen=True)
class Fault:
    name: str
    outlet: str
    path: str
    linked_from: str        # feed | sitemap | listing | registry
    title: str              # anchor text used where it is linked


FAULTS: tuple[Fault, ...] = (
    Fault("broken_feed", "mau-binh-duong", "/mau-binh-duong/rss/chinh-quyen.xml", "registry",
          "Chính quyền (RSS hỏng)"),
    Fault("html_sitemap", "mau-nghe-an", "/mau-nghe-an/sitemap-video.xml", "registry", "Sitemap video"),
    Fault("not_found", "mau-thoi-su", "/mau-thoi-su/thoi-su/bai-viet-da-go-bo-999001.html", "listing",
          "Bài viết đã bị gỡ khỏi hệ thống"),
    Fault("server_error", "mau-tin-nhanh", "/mau-tin-nhanh/thoi-su/may-chu-gap-loi-999002.html", "feed",
          "Tin nóng: máy chủ đang gặp lỗi"),
    Fault("slow", "mau-phap-luat", "/mau-phap-luat/phap-luat/trang-tai-rat-cham-999003.html", "listing",
          "Trang tải rất chậm: tổng hợp ý kiến về dự thảo luật"),
    Fault("wrong_charset", "mau-quang-nam", "/mau-quang-nam/xa-hoi/bang-ma-windows-1258-999004.html", "listing",
          "Xã Tam Kỳ tổ chức ngày hội đọc sách (mã windows-1258)"),
    Fault("no_charset", "mau-ha-giang", "/mau-ha-giang/van-hoa/khong-khai-bao-bang-ma-999005.html", "listing",
          "Chợ phiên vùng cao đông vui ngày cuối tuần (không khai báo mã)"),
    Fault("huge", "mau-to-chuc-nha-nuoc", "/mau-to-chuc-nha-nuoc/nghien-cuu/tai-lieu-rat-lon-999006.html",
          "sitemap", "Tài liệu nghiên cứu dung lượng rất lớn"),
    Fault("redirect_loop", "mau-nghe-an", "/mau-nghe-an/xa-hoi/chuyen-huong-vong-lap-999007.html", "feed",
          "Bài viết chuyển hướng vòng lặp"),
    Fault("not_article", "mau-cong-quang-ninh", "/mau-cong-quang-ninh/gioi-thieu/lien-he-toa-soan-999008.html",
          "listing", "Liên hệ với Ban biên tập cổng thông tin"),
    Fault("robots_disallowed", "mau-thoi-su", "/mau-thoi-su/noi-bo/ban-thao-chua-duyet-999009.html", "listing",
          "Bản thảo nội bộ chưa duyệt"),
)
BY_NAME = {f.name: f for f in FAULTS}
BY_PATH = {f.path: f for f in FAULTS}
REDIRECT_PARTNER = "/mau-nghe-an/chuyen-huong/buoc-hai.html"

BROKEN_FEED = ('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>Chính quyền & đoàn thể'
               '</title><item><title>Bản tin chưa đóng thẻ <b>đậm</title><link>http://127.0.0.1/x & y</link>'
               '<item><title>Thiếu thẻ đóng\n')


def to_cp1258(text: str) -> bytes:
    """Encode Vietnamese text in windows-1258 (base letters precomposed, tone marks combining)."""
    out = []
    for ch in unicodedata.normalize("NFC", text):
        try:
            out.append(ch.encode("cp1258"))
            continue
        except UnicodeEncodeError:
            pass
        decomposed = unicodedata.normalize("NFD", ch)
        base, marks = decomposed[0], ""
        for mark in decomposed[1:]:
            if mark in "\u0302\u0306\u031b":          # circumflex, breve, horn stay on the letter
                base = unicodedata.normalize("NFC", base + mark)
            else:
                marks += mark
        out.append((base + marks).encode("cp1258", errors="replace"))
    return b"".join(out)


# (title, date line, paragraphs, author) of the two legacy-encoded pages: distinct stories,
# so they are not duplicates of each other.
LEGACY_STORIES = {
    "wrong_charset": (
        "Xã Tam Kỳ tổ chức ngày hội đọc sách cho thiếu nhi", "20/11/2026 - 08:15",
        ["Sáng cuối tuần, Ủy ban nhân dân xã Tam Kỳ phối hợp với thư viện tỉnh tổ chức ngày hội đọc sách "
         "cho hơn ba trăm em học sinh tiểu học.",
         "Các em được tham gia kể chuyện, vẽ tranh theo sách và đổi sách cũ lấy sách mới. Ban tổ chức trao "
         "tặng hai trăm cuốn truyện thiếu nhi cho tủ sách của các trường.",
         "Đây là hoạt động thường niên nhằm khuyến khích thói quen đọc sách ở vùng nông thôn."],
        "Thanh Bình"),
    "no_charset": (
        "Chợ phiên vùng cao đông vui ngày cuối tuần", "22/11/2026 - 17:40",
        ["Từ tờ mờ sáng chủ nhật, đồng bào các dân tộc từ những bản xa đã đổ về chợ phiên Đồng Văn, mang theo "
         "rau rừng, mật ong, gà đồi và những tấm vải lanh tự dệt.",
         "Không chỉ là nơi mua bán, chợ phiên còn là dịp để thanh niên gặp gỡ, người già uống chén rượu ngô "
         "và trò chuyện sau một tuần lên nương.",
         "Du khách thích thú với những gian hàng thắng cố, bánh tam giác mạch và tiếng khèn vang khắp góc chợ."],
        "Vàng Thị Dua"),
}


def legacy_page(name: str, canonical: str, *, declare_meta: bool) -> bytes:
    """A windows-1258 encoded article page; the meta charset is present only with ``declare_meta``."""
    title, dateline, paragraphs, author = LEGACY_STORIES[name]
    meta = '<meta http-equiv="Content-Type" content="text/html; charset=windows-1258">' if declare_meta else ""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    html = (f'<!DOCTYPE html><html lang="vi"><head>{meta}<title>{title}</title>'
            f'<link rel="canonical" href="{canonical}"></head><body><h1>{title}</h1>'
            f'<div class="date">{dateline}</div><div class="article-content">{body}</div>'
            f'<p class="author">{author}</p></body></html>')
    return to_cp1258(html)


HUGE_CHUNK = 64 * 1024


def huge_page_chunks(total: int) -> Iterator[bytes]:
    """``total`` bytes of a (valid but absurd) HTML page, produced lazily in 64 KiB chunks."""
    head = ('<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>Tài liệu rất lớn</title>'
            '</head><body><h1>Tài liệu nghiên cứu dung lượng rất lớn</h1><div class="article-body">').encode()
    tail = b"</div></body></html>"
    filler_line = "<p>Nội dung lặp lại để làm trang có dung lượng rất lớn. </p>\n".encode()
    filler = (filler_line * (HUGE_CHUNK // len(filler_line) + 1))[:HUGE_CHUNK]
    if total <= len(head) + len(tail):
        yield (head + tail)[:total]
        return
    yield head
    remaining = total - len(head) - len(tail)
    while remaining > 0:
        n = min(remaining, HUGE_CHUNK)
        yield filler[:n]
        remaining -= n
    yield tail
