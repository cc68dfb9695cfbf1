"""The fictional demo outlets and the page shapes each one uses.

Every outlet lives under its own path prefix (``/<id>/``) on one host. The fields below only
describe *how* an outlet presents its pages (feed flavour, sitemap style, date markup,
pagination style); the articles themselves come from :mod:`crawler.demo.content`.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Outlet:
    id: str
    name: str
    kind: str                      # national | local | specialized | government_portal
    feed: str                      # "rss" | "atom"
    layout: str                    # "jsonld" | "og" | "dateline"
    date_format: str = ""          # strftime-like key for dateline layouts (see render.DATELINES)
    sitemap: str = "plain"         # "plain" (urlset, becomes an index past the limit) | "index"
    news_sitemap: bool = False     # a Google News child in the sitemap index
    pagination: str = "path"       # "path" (/page/N) | "query" (?trang=N, follow a.trang-sau)
    amp: bool = False              # articles also served at /<id>/amp/...
    feed_links_amp: bool = False   # the feed links to AMP copies instead of the normal page
    tracking: bool = False         # listing and feed links carry utm_* parameters and #fragments
    province: str = ""             # home province as of the 63-province era (local outlets)
    province_current: str = ""     # the same place after the July 2025 merger
    body_class: str = "article-body"
    weight: int = 1                # share of generated articles
    categories: tuple[tuple[str, str], ...] = field(default_factory=tuple)  # (slug, Vietnamese name)


_NEWS_CATS = (("thoi-su", "Thời sự"), ("chinh-sach", "Chính sách"), ("xa-hoi", "Xã hội"),
              ("the-thao", "Thể thao"), ("kinh-te", "Kinh tế"))

OUTLETS: tuple[Outlet, ...] = (
    Outlet("mau-thoi-su", "Báo Mẫu Thời Sự (demo)", "national", feed="rss", layout="jsonld",
           sitemap="index", news_sitemap=True, amp=True, tracking=True, weight=4,
           body_class="article-body", categories=_NEWS_CATS),
    Outlet("mau-tin-nhanh", "Báo Điện tử Mẫu Tin Nhanh (demo)", "national", feed="atom", layout="og",
           pagination="query", weight=3, body_class="detail-content", categories=_NEWS_CATS),
    Outlet("mau-phap-luat", "Báo Mẫu Pháp Luật Đời Sống (demo)", "national", feed="rss", layout="dateline",
           date_format="weekday", tracking=True, weight=2, body_class="noidung",
           categories=(("phap-luat", "Pháp luật"), ("chinh-sach", "Chính sách"), ("doi-song", "Đời sống"),
                       ("the-thao", "Thể thao"))),
    Outlet("mau-to-chuc-nha-nuoc", "Tạp chí Mẫu Tổ chức Nhà nước (demo)", "specialized", feed="atom",
           layout="jsonld", sitemap="index", weight=1, body_class="entry-content",
           categories=(("cai-cach-hanh-chinh", "Cải cách hành chính"), ("nghien-cuu", "Nghiên cứu"))),
    Outlet("mau-binh-duong", "Báo Mẫu Bình Dương (demo)", "local", feed="rss", layout="dateline",
           date_format="dash", province="Bình Dương", province_current="Thành phố Hồ Chí Minh",
           weight=2, body_class="content-detail",
           categories=(("chinh-quyen", "Chính quyền"), ("xa-hoi", "Xã hội"), ("kinh-te", "Kinh tế"))),
    Outlet("mau-ha-giang", "Báo Mẫu Hà Giang (demo)", "local", feed="atom", layout="og",
           province="Hà Giang", province_current="Tuyên Quang", pagination="query", weight=1,
           body_class="post-content",
           categories=(("chinh-quyen", "Chính quyền"), ("xa-hoi", "Xã hội"), ("van-hoa", "Văn hóa"))),
    Outlet("mau-quang-nam", "Báo Mẫu Quảng Nam (demo)", "local", feed="rss", layout="dateline",
           date_format="updated", province="Quảng Nam", province_current="Đà Nẵng", weight=1,
           body_class="article-content",
           categories=(("chinh-quyen", "Chính quyền"), ("xa-hoi", "Xã hội"), ("the-thao", "Thể thao"))),
    Outlet("mau-quang-ninh", "Báo Mẫu Quảng Ninh (demo)", "local", feed="rss", layout="jsonld",
           province="Quảng Ninh", province_current="Quảng Ninh", amp=True, feed_links_amp=True,
           tracking=True, weight=1, body_class="article-body",
           categories=(("chinh-quyen", "Chính quyền"), ("kinh-te", "Kinh tế"), ("du-lich", "Du lịch"))),
    Outlet("mau-nghe-an", "Báo Mẫu Nghệ An (demo)", "local", feed="rss", layout="og",
           province="Nghệ An", province_current="Nghệ An", weight=1, body_class="detail__content",
           categories=(("chinh-quyen", "Chính quyền"), ("xa-hoi", "Xã hội"), ("thoi-tiet", "Thời tiết"))),
    Outlet("mau-cong-quang-ninh", "Cổng Thông tin Mẫu tỉnh Quảng Ninh (demo)", "government_portal",
           feed="rss", layout="dateline", date_format="dash", province="Quảng Ninh",
           province_current="Quảng Ninh", weight=1, body_class="news-content",
           categories=(("tin-chi-dao", "Tin chỉ đạo, điều hành"), ("cai-cach-hanh-chinh", "Cải cách hành chính"))),
)

BY_ID = {o.id: o for o in OUTLETS}

LATEST = "tin-moi"           # every outlet's "latest news" listing, paginated
PER_PAGE = 5                  # articles per page of the "latest news" listing
CATEGORY_PER_PAGE = 2         # articles per page of a category listing (small, so each paginates)
SITEMAP_LIMIT = 500           # URLs per child sitemap
ROBOTS_DISALLOWED = "/mau-thoi-su/noi-bo/"   # a path robots.txt forbids
