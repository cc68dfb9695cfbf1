"""storage.queries on SQLite and PostgreSQL: filters, counts, facets, search, keyset pagination."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import event

from storage.db import session_scope
from storage.labels import apply_annotation, apply_review
from storage.models import Article, Outlet
from storage.queries import (
    ArticleFilter,
    FilterError,
    count_articles,
    count_capped,
    summarize,
    facet_counts,
    filtered_articles,
    iter_articles,
)
from storage.search import fold

UTC = dt.timezone.utc


def _add(session, i, *, outlet, title, text="", published=None, themes=(), sentiment="neutral", relevant=True,
         provinces=(), provinces_current=None, ministries=(), score=0.5, duplicate_of=None):
    art = Article(
        outlet_id=outlet, url=f"https://example.vn/{i}", canonical_url=f"https://example.vn/{i}",
        title=title, text=text, published=published, search_text=fold(f"{title}\n{text}"),
        duplicate_of_id=duplicate_of,
    )
    session.add(art)
    session.flush()
    apply_annotation(session, art, {
        "relevant": relevant, "relevance_score": score, "themes": list(themes), "sentiment": sentiment,
        "provinces": list(provinces), "provinces_current": list(provinces_current or provinces),
        "ministries": list(ministries), "ministries_current": list(ministries),
    }, "test-1")
    return art


@pytest.fixture
def corpus(db_url):
    with session_scope(db_url) as s:
        s.add_all([
            Outlet(id="vnexpress", name="VnExpress", domain="vnexpress.net", kind="national"),
            Outlet(id="baohagiang", name="Báo Hà Giang", domain="baohagiang.vn", kind="local",
                   province="Hà Giang", province_current="Tuyên Quang"),
        ])
        s.flush()
        base = dt.datetime(2025, 3, 1, 3, 0, tzinfo=UTC)
        _add(s, 1, outlet="vnexpress", title="Cải cách hành chính ở Đà Nẵng", text="Một cửa liên thông.",
             published=base, themes=["institutional"], sentiment="positive", provinces=["Đà Nẵng"], score=0.9,
             ministries=["Bộ Nội vụ"])
        _add(s, 2, outlet="baohagiang", title="Hà Giang số hoá thủ tục", text="Dịch vụ công trực tuyến.",
             published=base + dt.timedelta(days=1), themes=["digital_government", "institutional"], sentiment="negative",
             provinces=["Hà Giang"], provinces_current=["Tuyên Quang"], score=0.7)
        _add(s, 3, outlet="vnexpress", title="Giá vàng hôm nay", text="Thị trường.", relevant=False,
             published=base + dt.timedelta(days=2), score=0.1)
        _add(s, 4, outlet="vnexpress", title="Không ngày đăng: cải cách thủ tục", published=None,
             themes=["procedures"], score=0.6)
        _add(s, 5, outlet="baohagiang", title="Bản sao: Hà Giang số hoá thủ tục",
             published=base + dt.timedelta(days=1, hours=1), themes=["digital_government"], provinces=["Hà Giang"],
             provinces_current=["Tuyên Quang"], duplicate_of=2, score=0.65)
    return db_url


def _titles(rows):
    return [a.title for a in rows]


def test_filters_and_counts(corpus):
    with session_scope(corpus) as s:
        assert count_articles(s, ArticleFilter()) == 5
        assert count_articles(s, ArticleFilter(relevant=True)) == 4
        assert count_articles(s, ArticleFilter(relevant=False)) == 1
        assert count_articles(s, ArticleFilter(outlet_kind="local")) == 2
        assert count_articles(s, ArticleFilter(outlet_id="vnexpress", theme="institutional")) == 1
        assert count_articles(s, ArticleFilter(theme="digital_government")) == 2
        assert count_articles(s, ArticleFilter(theme="digital_government", duplicate=False)) == 1
        assert count_articles(s, ArticleFilter(duplicate=True)) == 1
        # provinces: former vs current division
        assert count_articles(s, ArticleFilter(province="Hà Giang", division="former")) == 2
        assert count_articles(s, ArticleFilter(province="Hà Giang", division="current")) == 0
        assert count_articles(s, ArticleFilter(province="Tuyên Quang")) == 2
        assert count_articles(s, ArticleFilter(ministry="Bộ Nội vụ")) == 1
        assert count_articles(s, ArticleFilter(sentiment="negative")) == 1
        # dates are Vietnamese calendar days, inclusive
        assert count_articles(s, ArticleFilter(date_from=dt.date(2025, 3, 2), date_to=dt.date(2025, 3, 2))) == 2
        assert count_articles(s, ArticleFilter(date_to=dt.date(2025, 3, 1))) == 1


def test_search_is_diacritic_insensitive_and_literal(corpus):
    with session_scope(corpus) as s:
        without = _titles(filtered_articles(s, ArticleFilter(q="cai cach"))[0])
        with_marks = _titles(filtered_articles(s, ArticleFilter(q="CẢI CÁCH"))[0])
        assert sorted(without) == sorted(with_marks)
        assert "Cải cách hành chính ở Đà Nẵng" in without and "Không ngày đăng: cải cách thủ tục" in without
        assert len(without) == 2
        assert count_articles(s, ArticleFilter(q="da nang")) == 1
        # LIKE wildcards in the query are literal characters, not patterns
        assert count_articles(s, ArticleFilter(q="%")) == 0
        assert count_articles(s, ArticleFilter(q="_")) == 0
        assert count_articles(s, ArticleFilter(q="'; DROP TABLE articles; --")) == 0
        assert count_articles(s, ArticleFilter()) == 5


def test_keyset_pagination_covers_everything_once(corpus):
    with session_scope(corpus) as s:
        for sort in ("date", "score"):
            seen, cursor, pages = [], None, 0
            while True:
                rows, cursor = filtered_articles(s, ArticleFilter(), sort=sort, after=cursor, limit=2)
                seen += [a.id for a in rows]
                pages += 1
                if cursor is None:
                    break
            assert sorted(seen) == sorted(set(seen)) and len(seen) == 5, sort
            assert pages == 3
        rows, _ = filtered_articles(s, ArticleFilter(), sort="date", limit=10)
        dates = [a.published for a in rows if a.published]
        assert dates == sorted(dates, reverse=True)
        assert rows[-1].published is None  # undated last
        rows, _ = filtered_articles(s, ArticleFilter(), sort="score", limit=10)
        assert [a.relevance_score for a in rows] == sorted((a.relevance_score for a in rows), reverse=True)


def test_keyset_uses_no_offset(corpus):
    statements = []
    with session_scope(corpus) as s:
        engine = s.get_bind()

        def log(conn, cursor, statement, params, *a):
            statements.append((statement, params))
        event.listen(engine, "before_cursor_execute", log)
        try:
            rows, cursor = filtered_articles(s, ArticleFilter(), limit=2)
            filtered_articles(s, ArticleFilter(), after=cursor, limit=2)
        finally:
            event.remove(engine, "before_cursor_execute", log)
    assert statements
    for statement, params in statements:
        if "OFFSET" in statement.upper():
            # SQLite's compiler always writes "LIMIT ? OFFSET ?": the offset must be 0
            assert statement.rstrip().endswith("LIMIT ? OFFSET ?") and params[-1] == 0, statement


def test_bad_cursor_and_sort_are_clear_errors(corpus):
    with session_scope(corpus) as s:
        with pytest.raises(FilterError, match="cursor"):
            filtered_articles(s, ArticleFilter(), after="not-a-cursor")
        _, cursor = filtered_articles(s, ArticleFilter(), sort="date", limit=1)
        with pytest.raises(FilterError, match="cursor"):
            filtered_articles(s, ArticleFilter(), sort="score", after=cursor)
        with pytest.raises(FilterError, match="sort"):
            filtered_articles(s, ArticleFilter(), sort="title")
        with pytest.raises(FilterError, match="division"):
            count_articles(s, ArticleFilter(province="X", division="both"))


def test_facets_follow_the_filter(corpus):
    with session_scope(corpus) as s:
        facets = facet_counts(s, ArticleFilter())
        assert facets["theme"] == {"institutional": 2, "digital_government": 2, "procedures": 1}
        assert facets["outlet_kind"] == {"national": 3, "local": 2}
        assert facets["review_status"] == {"unreviewed": 5}
        assert sum(facets["sentiment"].values()) == 5
        local = facet_counts(s, ArticleFilter(outlet_kind="local"))
        assert local["theme"] == {"digital_government": 2, "institutional": 1}
        art = s.query(Article).filter(Article.title.like("Giá vàng%")).one()
        apply_review(s, art, reviewer="tester", labels={"relevant": True, "themes": ["procedures"]})
        s.flush()
        facets = facet_counts(s, ArticleFilter(reviewed_only=True))
        assert facets["review_status"] == {"corrected": 1}
        assert facets["theme"] == {"procedures": 1}


def test_iter_articles_streams_all_in_order(corpus):
    with session_scope(corpus) as s:
        ids = [a.id for a in iter_articles(s, ArticleFilter(), batch=2)]
        first_page, _ = filtered_articles(s, ArticleFilter(), limit=10)
        assert ids == [a.id for a in first_page]
        assert [a.id for a in iter_articles(s, ArticleFilter(relevant=False), batch=2)] == [
            a.id for a in first_page if a.relevant is False]


def test_summarize_matches_the_separate_counts(corpus):
    with session_scope(corpus) as s:
        for f in (ArticleFilter(), ArticleFilter(outlet_kind="local"), ArticleFilter(q="cai cach"),
                  ArticleFilter(theme="digital_government", relevant=True)):
            summary = summarize(s, f)
            assert summary.exact and summary.total == count_articles(s, f)
            facets = facet_counts(s, f)
            assert summary.facets["theme"] == facets["theme"]
            assert summary.facets["sentiment"] == facets["sentiment"]
            assert summary.facets["review_status"] == facets["review_status"]
            assert summary.facets["outlet_kind"] == {k: v for k, v in facets["outlet_kind"].items() if k}
        assert count_capped(s, ArticleFilter(), 2) == 3
        assert count_capped(s, ArticleFilter(), 10) == 5
        # past the exact limit counts are estimated from a sample: a 100 % sample gives the exact figures
        estimate = summarize(s, ArticleFilter(), exact_limit=2, sample_percent=100.0)
        assert not estimate.exact and estimate.sample_percent == 100.0
        assert estimate.total == 5 and estimate.facets["theme"] == {"institutional": 2, "digital_government": 2, "procedures": 1}


def test_summarize_estimates_from_a_sample_past_the_limit(sqlite_url):
    with session_scope(sqlite_url) as s:
        s.add(Outlet(id="o", name="O", domain="o.vn", kind="local"))
        s.flush()
        for i in range(200):
            _add(s, i, outlet="o", title=f"Bài {i}", published=dt.datetime(2025, 1, 1, tzinfo=UTC) + dt.timedelta(hours=i),
                 themes=["procedures"] if i % 4 == 0 else [], sentiment="negative" if i % 2 else "positive")
        summary = summarize(s, ArticleFilter(), exact_limit=50, sample_percent=10.0)
        assert not summary.exact and summary.sample_percent == 10.0
        assert 51 <= summary.total <= 400  # every 10th id of 200 rows, scaled: about 200
        assert summary.facets["outlet_kind"] == {"local": summary.total}
        exact = summarize(s, ArticleFilter())
        assert exact.exact and exact.total == 200 and exact.facets["theme"] == {"procedures": 50}
