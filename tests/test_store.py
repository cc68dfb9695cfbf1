"""ArticleStore and crawl runs on SQLite and PostgreSQL (storage/articles.py, storage/runs.py)."""
import datetime as dt
import gzip
import hashlib

import pytest
from sqlalchemy import func, select

from storage.articles import ArticleStore
from storage.models import Article, ArticleVersion, CrawlRun, CrawlSourceStat, Outlet, Snapshot
from storage import runs

UTC = dt.timezone.utc
OUTLETS = [
    {"id": "bao-a", "name": "Báo A", "domain": "a.vn", "kind": "national"},
    {"id": "bao-b", "name": "Báo B", "domain": "b.vn", "kind": "local", "province": "Bắc Giang",
     "province_current": "Bắc Ninh", "verified": False},
]
TEXT = ("Sáng 27/11, Ủy ban nhân dân tỉnh tổ chức hội nghị triển khai cải cách thủ tục hành chính. "
        "Các sở, ngành đã cắt giảm 120 thủ tục và đưa 300 dịch vụ công trực tuyến toàn trình vào vận hành.")


def item(url="https://a.vn/tin/cchc-1.html", text=TEXT, html=None, **kw):
    html = html if html is not None else f"<html><body><h1>Cải cách</h1><p>{text}</p></body></html>".encode()
    base = dict(outlet_id="bao-a", url=url, canonical_url=url, title="Cải cách thủ tục hành chính",
                published=dt.datetime(2026, 11, 27, 3, 25, tzinfo=UTC), author="Minh Anh", text=text, html=html,
                http_status=200, headers={"Content-Type": "text/html; charset=utf-8"},
                fetched_at=dt.datetime.now(UTC), final_url=url)
    base.update(kw)
    return base


@pytest.fixture
def store(db_url):
    s = ArticleStore(db_url)
    s.upsert_outlets(OUTLETS)
    s.commit()
    yield s
    s.close()


def test_upsert_outlets(store):
    rows = {o.id: o for o in store.session.scalars(select(Outlet))}
    assert set(rows) == {"bao-a", "bao-b"}
    assert rows["bao-b"].province_current == "Bắc Ninh" and rows["bao-b"].verified is False
    store.upsert_outlets([dict(OUTLETS[0], name="Báo A mới")])
    store.commit()
    assert store.session.get(Outlet, "bao-a").name == "Báo A mới"


def test_new_unchanged_updated_with_versions_and_snapshots(store):
    first = item()
    assert store.save(first) == "new"
    store.commit()
    art = store.session.scalar(select(Article))
    assert art.text_sha256 == hashlib.sha256(TEXT.encode()).hexdigest()
    assert art.search_text.startswith("cai cach thu tuc hanh chinh sang 27/11, uy ban nhan dan")
    assert art.published == dt.datetime(2026, 11, 27, 3, 25, tzinfo=UTC)
    assert art.version_count == 1 and art.duplicate_of_id is None
    snap = store.session.scalar(select(Snapshot))
    assert snap.article_id == art.id and snap.http_status == 200
    assert gzip.decompress(snap.content_gzip) == first["html"]
    assert snap.content_sha256 == hashlib.sha256(first["html"]).hexdigest()
    assert snap.content_length == len(first["html"]) and snap.headers["Content-Type"].startswith("text/html")

    art.annotated_version = "model-1"
    store.commit()
    assert store.save(item()) == "unchanged"
    assert store.save(item(text="   ", html=b"<html>oops</html>")) == "unchanged"  # a bad fetch loses nothing
    changed = TEXT + " Tỉnh đặt mục tiêu 100% hồ sơ được số hóa."
    assert store.save(item(text=changed, title="Cải cách (cập nhật)")) == "updated"
    store.commit()
    store.session.expire_all()
    art = store.session.scalar(select(Article))
    assert art.version_count == 2 and art.text == changed and art.title == "Cải cách (cập nhật)"
    assert art.annotated_version is None  # the classifier re-annotates
    versions = list(store.session.scalars(select(ArticleVersion).order_by(ArticleVersion.version)))
    assert [v.version for v in versions] == [1, 2]
    assert versions[0].text == TEXT and versions[1].text == changed
    assert versions[0].snapshot_id != versions[1].snapshot_id
    assert store.session.scalar(select(func.count()).select_from(Snapshot)) == 4  # every fetch is evidence


def test_known_urls_include_first_url_and_canonical(store):
    store.save(item(url="https://a.vn/tin/cchc-1.html?x=1", canonical_url="https://a.vn/tin/cchc-1.html"))
    store.save(item(url="https://b.vn/p/2.html", outlet_id="bao-b", text="Một bài khác hẳn về thể thao " * 10))
    store.commit()
    known = store.known_urls("bao-a")
    assert set(known) == {"https://a.vn/tin/cchc-1.html", "https://a.vn/tin/cchc-1.html?x=1"}
    assert all(v is not None and v.tzinfo is not None for v in known.values())
    assert set(store.known_urls("bao-b")) == {"https://b.vn/p/2.html"}
    # the same article found again under its first URL is recognised, not stored twice
    assert store.save(item(url="https://a.vn/tin/cchc-1.html?x=1", canonical_url="https://a.vn/tin/cchc-1.html?x=1")) == "unchanged"


def test_bad_items_are_refused_clearly(store):
    with pytest.raises(ValueError, match="naive"):
        store.save(item(published=dt.datetime(2026, 11, 27, 10, 0)))
    with pytest.raises(ValueError, match="no article text"):
        store.save(item(text=""))


def test_runs_counts_errors_and_health(store):
    s = store.session
    run1 = runs.start_run(s, args={"source": "bao-a"})
    runs.record_error(s, run_id=run1, outlet_id="bao-b", url="https://b.vn/rss", stage="feed", reason="HTTP 500", http_status=500)
    runs.finish_run(s, run1, {"bao-a": dict(pages=5, new=3, errors=0), "bao-b": dict(pages=0, errors=1)})
    s.commit()
    a, b = s.get(Outlet, "bao-a"), s.get(Outlet, "bao-b")
    assert a.last_success_at is not None and a.consecutive_failures == 0 and a.consecutive_empty_runs == 0
    assert b.last_success_at is None and b.last_run_at is not None
    assert b.consecutive_failures == 1 and b.consecutive_empty_runs == 1
    summary = runs.run_summary(s, run1)
    assert summary["status"] == "finished"
    assert summary["sources"]["bao-a"] == dict(pages=5, new=3, updated=0, unchanged=0, skipped=0, duplicates=0, errors=0)
    assert [e.reason for e in runs.run_errors(s, run1)] == ["HTTP 500"]

    run2 = runs.start_run(s)
    runs.finish_run(s, run2, {"bao-a": dict(pages=4, skipped=3), "bao-b": dict(pages=0, errors=2)})
    s.commit()
    assert s.get(Outlet, "bao-a").consecutive_empty_runs == 1  # nothing new or updated
    assert s.get(Outlet, "bao-b").consecutive_failures == 2
    run3 = runs.start_run(s)
    runs.finish_run(s, run3, {"bao-b": dict(pages=2, updated=1)})
    s.commit()
    b = s.get(Outlet, "bao-b")
    assert b.consecutive_failures == 0 and b.consecutive_empty_runs == 0 and b.last_success_at is not None
    assert s.scalar(select(func.count()).select_from(CrawlSourceStat)) == 5
    run4 = runs.start_run(s)
    runs.mark_failed(s, run4, "killed")
    s.commit()
    assert s.get(CrawlRun, run4).status == "failed" and "killed" in s.get(CrawlRun, run4).stats["failure"]
    with pytest.raises(LookupError):
        runs.finish_run(s, 999999, {})
