"""Sample data for the review app: tests, screenshots and demos.

``add_article(session, record)`` stores one article the way the pipeline would (article,
snapshot, model annotation through ``storage.labels.apply_annotation``, locality mentions);
``seed(session)`` adds outlets, a dozen Vietnamese articles and two crawl runs.
"""
from __future__ import annotations

import datetime as dt
import gzip
import hashlib
from typing import Any, Iterable, Optional

from storage.labels import apply_annotation
from storage.models import Article, ArticleMention, CrawlRun, CrawlSourceStat, Outlet, Snapshot
from storage.search import fold

UTC = dt.timezone.utc
MODEL_VERSION = "sample-1"

OUTLETS = [
    dict(id="vnexpress", name="VnExpress", domain="vnexpress.net", kind="national"),
    dict(id="baochinhphu", name="Báo Điện tử Chính phủ", domain="baochinhphu.vn", kind="government_portal"),
    dict(id="baodanang", name="Báo Đà Nẵng", domain="baodanang.vn", kind="local", province="Đà Nẵng",
         province_current="Đà Nẵng"),
    dict(id="baohagiang", name="Báo Hà Giang", domain="baohagiang.vn", kind="local", province="Hà Giang",
         province_current="Tuyên Quang"),
    dict(id="nguoilaodong", name="Người Lao Động", domain="nld.com.vn", kind="national"),
]

ARTICLES: list[dict[str, Any]] = [
    dict(outlet="baodanang", days_ago=2,
         title="Đà Nẵng: Trung tâm phục vụ hành chính công giải quyết 98% hồ sơ đúng hạn",
         text=("Trong quý III, Trung tâm phục vụ hành chính công thành phố Đà Nẵng tiếp nhận hơn 45.000 hồ sơ, "
               "trong đó 98% được giải quyết đúng hạn. Bộ phận một cửa các quận, huyện tiếp tục cắt giảm thủ tục "
               "hành chính, rút ngắn thời gian chờ của người dân.\nLãnh đạo thành phố yêu cầu đẩy mạnh dịch vụ công "
               "trực tuyến toàn trình, số hoá hồ sơ và kết quả giải quyết thủ tục hành chính."),
         relevant=True, score=0.96, themes=["procedures", "digital_government"], sentiment="positive",
         provinces=["Đà Nẵng"], provinces_current=["Đà Nẵng"],
         terms={"procedures": [["bộ phận một cửa", 1.2], ["thủ tục hành chính", 0.9], ["hồ sơ", 0.4]],
                "digital_government": [["dịch vụ công trực tuyến", 1.4], ["số hoá hồ sơ", 0.8]]},
         mentions=[("Đà Nẵng", "Đà Nẵng", "Đà Nẵng", "subject")]),
    dict(outlet="baohagiang", days_ago=5,
         title="Hà Giang còn hơn 1.200 hồ sơ đất đai trễ hạn",
         text=("Theo báo cáo của Sở Nội vụ tỉnh Hà Giang, hơn 1.200 hồ sơ đất đai tại các huyện Đồng Văn, Mèo Vạc "
               "bị trễ hạn do thiếu nhân lực và phần mềm một cửa điện tử thường xuyên gặp lỗi. Người dân phản ánh "
               "tình trạng nhũng nhiễu, gây phiền hà khi nộp hồ sơ."),
         relevant=True, score=0.91, themes=["procedures", "civil_service"], sentiment="negative",
         provinces=["Hà Giang"], provinces_current=["Tuyên Quang"],
         terms={"procedures": [["hồ sơ đất đai", 1.1], ["trễ hạn", 0.9]],
                "civil_service": [["nhũng nhiễu", 1.3], ["gây phiền hà", 0.7]]},
         mentions=[("Hà Giang", "Hà Giang", "Tuyên Quang", "subject")]),
    dict(outlet="baochinhphu", days_ago=8,
         title="Thủ tướng chủ trì phiên họp Ban Chỉ đạo cải cách hành chính của Chính phủ",
         text=("Thủ tướng Chính phủ chủ trì phiên họp thứ 10 của Ban Chỉ đạo cải cách hành chính, đánh giá kết quả "
               "Chỉ số cải cách hành chính PAR Index năm 2024. Hải Phòng, Quảng Ninh dẫn đầu bảng xếp hạng. Bộ Nội vụ "
               "được giao hoàn thiện đề án tinh gọn bộ máy."),
         relevant=True, score=0.98, themes=["direction", "apparatus"], sentiment="positive",
         provinces=["Hải Phòng", "Quảng Ninh"], provinces_current=["Hải Phòng", "Quảng Ninh"], ministries=["Bộ Nội vụ"],
         terms={"direction": [["Ban Chỉ đạo cải cách hành chính", 1.5], ["PAR Index", 1.2]],
                "apparatus": [["tinh gọn bộ máy", 1.4]]},
         mentions=[("Hải Phòng", "Hải Phòng", "Hải Phòng", "subject"), ("Quảng Ninh", "Quảng Ninh", "Quảng Ninh", "subject")]),
    dict(outlet="vnexpress", days_ago=9,
         title="Giá vàng miếng tăng mạnh phiên cuối tuần",
         text="Giá vàng miếng SJC tăng 1,5 triệu đồng mỗi lượng trong phiên cuối tuần, theo đà thế giới.",
         relevant=False, score=0.04, themes=[], sentiment="neutral"),
    dict(outlet="nguoilaodong", days_ago=12,
         title="TP HCM tuyển dụng 1.500 công chức, viên chức theo vị trí việc làm",
         text=("UBND TP HCM phê duyệt kế hoạch tuyển dụng công chức, viên chức năm nay theo vị trí việc làm, gắn với "
               "tinh giản biên chế. Thí sinh thi tuyển trên máy tính."),
         relevant=True, score=0.88, themes=["civil_service"], sentiment="neutral",
         provinces=["Thành phố Hồ Chí Minh"], provinces_current=["Thành phố Hồ Chí Minh"],
         terms={"civil_service": [["tuyển dụng công chức", 1.3], ["tinh giản biên chế", 1.1], ["vị trí việc làm", 0.8]]},
         mentions=[("TP HCM", "Thành phố Hồ Chí Minh", "Thành phố Hồ Chí Minh", "subject")]),
    dict(outlet="vnexpress", days_ago=15,
         title="Bộ Tài chính đôn đốc giải ngân vốn đầu tư công",
         text=("Bộ Tài chính cho biết tỷ lệ giải ngân vốn đầu tư công 10 tháng mới đạt 55% kế hoạch, thấp hơn cùng kỳ. "
               "Nhiều bộ, ngành và địa phương giải ngân chậm, trong đó có Nghệ An và Thanh Hoá."),
         relevant=True, score=0.84, themes=["public_finance"], sentiment="negative",
         provinces=["Nghệ An", "Thanh Hóa"], provinces_current=["Nghệ An", "Thanh Hóa"], ministries=["Bộ Tài chính"],
         terms={"public_finance": [["giải ngân vốn đầu tư công", 1.6]]},
         mentions=[("Nghệ An", "Nghệ An", "Nghệ An", "subject"), ("Thanh Hoá", "Thanh Hóa", "Thanh Hóa", "subject")]),
    dict(outlet="baochinhphu", days_ago=20,
         title="Cần Thơ vận hành mô hình chính quyền địa phương hai cấp",
         text=("Sau sắp xếp đơn vị hành chính, thành phố Cần Thơ vận hành ổn định chính quyền địa phương hai cấp, "
               "phân cấp, phân quyền mạnh cho cấp xã."),
         relevant=True, score=0.9, themes=["apparatus"], sentiment="positive",
         provinces=["Cần Thơ"], provinces_current=["Cần Thơ"],
         terms={"apparatus": [["chính quyền địa phương hai cấp", 1.5], ["phân cấp, phân quyền", 1.0]]},
         mentions=[("Cần Thơ", "Cần Thơ", "Cần Thơ", "subject")]),
    dict(outlet="baodanang", days_ago=25,
         title="Đà Nẵng rà soát văn bản quy phạm pháp luật hết hiệu lực",
         text="HĐND thành phố Đà Nẵng rà soát, bãi bỏ 36 văn bản quy phạm pháp luật không còn phù hợp.",
         relevant=True, score=0.86, themes=["institutional"], sentiment="neutral",
         provinces=["Đà Nẵng"], provinces_current=["Đà Nẵng"],
         terms={"institutional": [["văn bản quy phạm pháp luật", 1.5]]},
         mentions=[("Đà Nẵng", "Đà Nẵng", "Đà Nẵng", "subject")]),
]


def add_outlets(session, outlets: Iterable[dict[str, Any]] = OUTLETS) -> None:
    for o in outlets:
        if session.get(Outlet, o["id"]) is None:
            session.add(Outlet(**o))
    session.flush()


def add_article(session, record: dict[str, Any], *, now: Optional[dt.datetime] = None, key: Optional[str] = None) -> Article:
    """Store one article with its snapshot, annotation and mentions; returns the Article."""
    now = now or dt.datetime.now(UTC)
    published = record.get("published") or (now - dt.timedelta(days=record.get("days_ago", 0), hours=3))
    title, text = record["title"], record.get("text", "")
    key = key or hashlib.sha1(f"{record.get('outlet')}|{title}".encode()).hexdigest()[:12]
    url = record.get("url") or f"https://{record.get('outlet', 'example')}.example.vn/{key}.html"
    art = Article(
        outlet_id=record.get("outlet"), url=url, canonical_url=url, title=title, text=text, published=published,
        search_text=fold(f"{title}\n{text}"), text_sha256=hashlib.sha256(text.encode()).hexdigest(),
        duplicate_of_id=record.get("duplicate_of"),
    )
    session.add(art)
    session.flush()
    html = record.get("snapshot_html") or (
        f"<html><head><meta charset='utf-8'><title>{title}</title></head><body><h1>{title}</h1>"
        + "".join(f"<p>{p}</p>" for p in text.split("\n")) + "</body></html>")
    body = html.encode("utf-8")
    session.add(Snapshot(article_id=art.id, url=url, final_url=url, fetched_at=published, http_status=200,
                         headers={"content-type": "text/html; charset=utf-8"}, content_gzip=gzip.compress(body),
                         content_sha256=hashlib.sha256(body).hexdigest(), content_length=len(body)))
    themes = list(record.get("themes") or [])
    theme_scores = {t: (0.85 if t in themes else 0.08) for t in ("institutional", "procedures", "apparatus",
                                                                  "civil_service", "public_finance",
                                                                  "digital_government", "direction")}
    sentiment = record.get("sentiment") or "neutral"
    apply_annotation(session, art, {
        "relevant": record.get("relevant", True), "relevance_score": record.get("score", 0.5),
        "themes": themes, "theme_scores": theme_scores, "sentiment": sentiment,
        "sentiment_scores": {s: (0.7 if s == sentiment else 0.15) for s in ("positive", "neutral", "negative")},
        "provinces": record.get("provinces") or [], "provinces_current": record.get("provinces_current") or [],
        "ministries": record.get("ministries") or [], "ministries_current": record.get("ministries") or [],
        "explanations": {"relevant": record.get("relevant_terms") or [], "themes": record.get("terms") or {},
                         "sentiment": [], "relevance_factors": record.get("factors") or []},
    }, record.get("model_version", MODEL_VERSION))
    full = f"{title}\n{text}"
    for surface, name, current, role in record.get("mentions") or []:
        pos = full.find(surface)
        session.add(ArticleMention(article_id=art.id, kind="province", name=name, name_current=current,
                                   level="province", surface=surface, position=max(pos, 0),
                                   count=max(1, full.count(surface)), in_title=surface in title,
                                   in_lead=pos < 300, role=role))
    session.flush()
    return art


def add_crawl_runs(session, *, now: Optional[dt.datetime] = None) -> None:
    """Five runs: Hà Giang's outlet finds nothing in the last three (layout changed)."""
    now = now or dt.datetime.now(UTC)
    for i in range(5):
        started = now - dt.timedelta(hours=6 * (5 - i))
        run = CrawlRun(started_at=started, finished_at=started + dt.timedelta(minutes=20), status="finished")
        session.add(run)
        session.flush()
        for o in OUTLETS:
            new = 0 if (o["id"] == "baohagiang" and i >= 2) else 3 + (i * 7 + len(o["id"])) % 9
            errors = 4 if o["id"] == "nguoilaodong" and i == 4 else 0
            session.add(CrawlSourceStat(run_id=run.id, outlet_id=o["id"], pages=new + 5, new=new, errors=errors))
    for o in session.query(Outlet).all():
        o.last_run_at = now - dt.timedelta(hours=6)
        o.last_success_at = now - dt.timedelta(hours=6 if o.id != "baohagiang" else 18)
        o.consecutive_empty_runs = 3 if o.id == "baohagiang" else 0
        o.consecutive_failures = 1 if o.id == "nguoilaodong" else 0
    session.flush()


def seed(session, *, now: Optional[dt.datetime] = None, extra: Iterable[dict[str, Any]] = ()) -> list[Article]:
    add_outlets(session)
    arts = [add_article(session, r, now=now) for r in [*ARTICLES, *extra]]
    add_crawl_runs(session, now=now)
    return arts
