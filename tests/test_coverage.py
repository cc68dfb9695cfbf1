"""Coverage queries (storage.coverage) and the ``reformwatch coverage`` command, on SQLite and
PostgreSQL. Data goes in through the real path: articles + storage.labels.apply_annotation,
which builds coverage_facts / ministry_facts."""
from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import itertools

import pytest

from storage import coverage
from storage.db import session_scope
from storage.labels import apply_annotation
from storage.models import Article, Outlet, Snapshot

UTC = dt.timezone.utc
_seq = itertools.count(1)

OUTLETS = [
    dict(id="vnexpress", name="VnExpress", domain="vnexpress.net", kind="national"),
    dict(id="baobinhduong", name="Báo Bình Dương", domain="baobinhduong.vn", kind="local",
         province="Bình Dương", province_current="Thành phố Hồ Chí Minh"),
    dict(id="hanoimoi", name="Hà Nội Mới", domain="hanoimoi.vn", kind="local", province="Hà Nội",
         province_current="Hà Nội"),
    dict(id="tcnn", name="Tạp chí Tổ chức nhà nước", domain="tcnn.vn", kind="specialized"),
    dict(id="portal-hn", name="Cổng TTĐT Hà Nội", domain="hanoi.gov.vn", kind="government_portal",
         province="Hà Nội", province_current="Hà Nội"),
]


def add_outlets(session) -> None:
    for o in OUTLETS:
        session.add(Outlet(**o))
    session.flush()


def add_article(session, outlet_id: str, published: dt.datetime, *, relevant=True, themes=("procedures",),
                sentiment="neutral", provinces=(), ministries=(), duplicate_of=None, title=None, score=0.9,
                snapshot: bool = True, status: int = 200) -> Article:
    """An article with a snapshot and the model's labels applied (facts built by storage.labels)."""
    from classifier.gazetteer import ministry_to_current, province_to_current

    n = next(_seq)
    url = f"https://{outlet_id}.example.vn/bai-{n}.html"
    article = Article(outlet_id=outlet_id, url=url, canonical_url=url, title=title or f"Bài {n} về cải cách",
                      published=published, text=f"Nội dung bài {n}.", first_seen_at=published)
    session.add(article)
    session.flush()
    if duplicate_of is not None:
        article.duplicate_of_id = duplicate_of.id
    if snapshot:
        body = (f"<html><head><meta charset='utf-8'><title>{article.title}</title></head>"
                f"<body><p>Bài {n}: cải cách hành chính</p></body></html>").encode("utf-8")
        session.add(Snapshot(article_id=article.id, url=url, final_url=url, fetched_at=published + dt.timedelta(hours=1),
                             http_status=status, headers={"Content-Type": "text/html; charset=utf-8", "Server": "test"},
                             content_gzip=gzip.compress(body, mtime=0), content_sha256=hashlib.sha256(body).hexdigest(),
                             content_length=len(body)))
    apply_annotation(session, article, {
        "relevant": relevant, "relevance_score": score, "themes": list(themes) if relevant else [],
        "sentiment": sentiment, "provinces": list(provinces),
        "provinces_current": list(dict.fromkeys(province_to_current(p) for p in provinces)),
        "ministries": list(ministries),
        "ministries_current": list(dict.fromkeys(ministry_to_current(m) for m in ministries)),
    }, "test-v1")
    session.flush()
    return article


def at(y, m, d, h=3) -> dt.datetime:
    return dt.datetime(y, m, d, h, tzinfo=UTC)


def build_sample(url: str) -> dict[str, int]:
    """A small corpus with every case the queries must get right."""
    with session_scope(url) as s:
        add_outlets(s)
        # Hà Nội, 2025 Q1: two themes (counts once), positive, local own press
        a1 = add_article(s, "hanoimoi", at(2025, 2, 3), themes=("procedures", "digital_government"),
                         sentiment="positive", provinces=("Hà Nội",), title="Hà Nội cắt giảm thủ tục")
        # its syndicated copy: a duplicate, never counted
        add_article(s, "vnexpress", at(2025, 2, 3, 8), themes=("procedures",), sentiment="positive",
                    provinces=("Hà Nội",), duplicate_of=a1, title="Hà Nội cắt giảm thủ tục (đăng lại)")
        add_article(s, "vnexpress", at(2025, 2, 4, 9), themes=("procedures",), sentiment="negative",
                    provinces=("Hà Nội",), title="Hồ sơ trễ hạn ở Hà Nội")
        add_article(s, "portal-hn", at(2025, 3, 10), themes=("apparatus",), sentiment="neutral",
                    provinces=("Hà Nội",), ministries=("Bộ Nội vụ",), title="Hà Nội sắp xếp bộ máy")
        # former province Bình Dương (before 1 July 2025) -> Thành phố Hồ Chí Minh today
        add_article(s, "baobinhduong", at(2025, 1, 15), themes=("civil_service",), sentiment="negative",
                    provinces=("Bình Dương",), title="Bình Dương: công chức gây phiền hà")
        # 2025-03-31 20:00 UTC is 1 April in Việt Nam: Q2 / April
        add_article(s, "tcnn", at(2025, 3, 31, 20), themes=("direction",), sentiment="positive",
                    provinces=("Thành phố Hồ Chí Minh", "Hà Nội"), ministries=("Bộ Thông tin và Truyền thông",),
                    title="TP.HCM và Hà Nội dẫn đầu PAR Index")
        # not relevant: never counted
        add_article(s, "vnexpress", at(2025, 2, 5), relevant=False, provinces=("Đà Nẵng",), title="Bóng đá")
        # relevant, no province: counts in totals only
        add_article(s, "vnexpress", at(2025, 2, 6), themes=("institutional",), sentiment="neutral",
                    title="Quốc hội sửa luật")
        # outside the period
        add_article(s, "vnexpress", at(2024, 12, 31, 12), themes=("procedures",), provinces=("Đà Nẵng",),
                    title="Đà Nẵng cuối năm")
    return {}


Q1 = dict(start=dt.date(2025, 1, 1), end=dt.date(2025, 3, 31))
H1 = dict(start=dt.date(2025, 1, 1), end=dt.date(2025, 6, 30))


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def sample(request, tmp_path_factory):
    """The sample corpus, built once per backend for the module (the queries only read it)."""
    from conftest import module_database

    with module_database(request.param, tmp_path_factory, build_sample) as url:
        yield url


def _by(rows, *keys):
    return {tuple(r[k] for k in keys) if len(keys) > 1 else r[keys[0]]: r for r in rows}


def test_matrix_counts_sentiment_kind_and_duplicates_once(sample):
    with session_scope(sample) as s:
        rows = _by(coverage.province_theme_matrix(s, **Q1), "province")
    hn = rows["Hà Nội"]
    # a1 (two themes, counted once), the negative one, the portal one; the duplicate is excluded;
    # the PAR Index story is dated 1 April in Việt Nam, outside Q1
    assert hn["articles"] == 3
    assert (hn["positive"], hn["neutral"], hn["negative"]) == (1, 1, 1)
    assert (hn["local"], hn["national"], hn["government_portal"], hn["specialized"]) == (1, 1, 1, 0)
    assert hn["own_press"] == 2  # hanoimoi + the Hà Nội portal
    hcm = rows["Thành phố Hồ Chí Minh"]
    assert hcm["articles"] == 1 and hcm["negative"] == 1 and hcm["own_press"] == 1
    assert "Đà Nẵng" not in rows  # not relevant / outside the period
    assert set(rows) == {"Hà Nội", "Thành phố Hồ Chí Minh"}


def test_matrix_by_theme_and_filters(sample):
    with session_scope(sample) as s:
        rows = _by(coverage.province_theme_matrix(s, **Q1, by_theme=True), "province", "theme")
        assert rows[("Hà Nội", "procedures")]["articles"] == 2
        assert rows[("Hà Nội", "digital_government")]["articles"] == 1
        assert rows[("Hà Nội", "apparatus")]["articles"] == 1
        only = coverage.province_theme_matrix(s, **H1, theme="direction")
        assert [(r["province"], r["articles"]) for r in only] == [("Hà Nội", 1), ("Thành phố Hồ Chí Minh", 1)]
        one = coverage.province_theme_matrix(s, **H1, province="Hà Nội")
        assert len(one) == 1 and one[0]["articles"] == 4
        t = coverage.totals(s, **Q1)
        assert t["articles"] == 5  # 3 Hà Nội + Bình Dương + the one without province


def test_former_vs_current_division(sample):
    with session_scope(sample) as s:
        cur = _by(coverage.province_theme_matrix(s, **H1, division="current"), "province")
        old = _by(coverage.province_theme_matrix(s, **H1, division="former"), "province")
        assert cur["Thành phố Hồ Chí Minh"]["articles"] == 2
        assert old["Bình Dương"]["articles"] == 1
        assert old["Thành phố Hồ Chí Minh"]["articles"] == 1
        assert "Bình Dương" not in cur
        with pytest.raises(ValueError):
            coverage.province_theme_matrix(s, **H1, division="new")


def test_uncovered_provinces(sample):
    with session_scope(sample) as s:
        missing = coverage.uncovered_provinces(s, **Q1)
        assert len(missing) == len(coverage.province_names("current")) - 2 == 32
        assert "Hà Nội" not in missing and "Đà Nẵng" in missing
        former = coverage.uncovered_provinces(s, **Q1, division="former")
        assert len(former) == 63 - 2 and "Bình Dương" not in former and "Thành phố Hồ Chí Minh" in former


def test_ministries_top_outlets_negative_share(sample):
    with session_scope(sample) as s:
        mins = _by(coverage.ministry_coverage(s, **H1), "ministry")
        assert mins["Bộ Nội vụ"]["articles"] == 1
        assert mins["Bộ Khoa học và Công nghệ"]["articles"] == 1  # Bộ TT&TT today
        old = _by(coverage.ministry_coverage(s, **H1, division="former"), "ministry")
        assert "Bộ Thông tin và Truyền thông" in old
        unc = coverage.uncovered_ministries(s, **H1)
        assert "Bộ Nội vụ" not in unc and "Bộ Tư pháp" in unc
        top = coverage.top_outlets(s, province="Hà Nội", **H1)
        assert [t["outlet_id"] for t in top][:1] in (["hanoimoi"], ["portal-hn"], ["vnexpress"], ["tcnn"])
        assert sum(t["articles"] for t in top) == 4
        assert {t["outlet_id"]: t["own_press"] for t in top}["hanoimoi"] == 1
        assert coverage.negative_share(s, **Q1, province="Hà Nội") == pytest.approx(1 / 3)
        assert coverage.negative_share(s, start=dt.date(2020, 1, 1), end=dt.date(2020, 2, 1)) == 0.0


def test_timeline_buckets(sample):
    with session_scope(sample) as s:
        months = coverage.timeline(s, **H1, granularity="month")
        assert [m["period"] for m in months] == ["2025-01", "2025-02", "2025-03", "2025-04", "2025-05", "2025-06"]
        assert [m["articles"] for m in months] == [1, 3, 1, 1, 0, 0]
        quarters = coverage.timeline(s, **H1, granularity="quarter")
        assert [(q["period"], q["articles"], q["negative"]) for q in quarters] == [("2025-Q1", 5, 2), ("2025-Q2", 1, 0)]
        weeks = coverage.timeline(s, start=dt.date(2025, 2, 1), end=dt.date(2025, 2, 10), granularity="week",
                                  province="Hà Nội")
        assert [(w["period"], w["articles"]) for w in weeks] == [("2025-W05", 0), ("2025-W06", 2), ("2025-W07", 0)]
        assert weeks[0]["start"] == dt.date(2025, 2, 1)  # clipped to the period
        years = coverage.timeline(s, start=dt.date(2024, 6, 1), end=dt.date(2025, 12, 31), granularity="year")
        assert [(y["period"], y["articles"]) for y in years] == [("2024", 1), ("2025", 6)]


def test_period_helpers():
    assert coverage.week_range("2026-W48") == (dt.date(2026, 11, 23), dt.date(2026, 11, 29))
    assert coverage.quarter_range(2025, 1) == (dt.date(2025, 1, 1), dt.date(2025, 3, 31))
    assert coverage.month_range(2024, 2) == (dt.date(2024, 2, 1), dt.date(2024, 2, 29))
    assert coverage.year_range(2025)[1] == dt.date(2025, 12, 31)
    for bad in ("2026-48", "2026-W54", "W48"):
        with pytest.raises(ValueError):
            coverage.week_range(bad)
    assert coverage.period_label(dt.date(2025, 4, 1), "quarter") == "2025-Q2"


def test_resolve_names():
    assert coverage.resolve_province("TP.HCM") == "Thành phố Hồ Chí Minh"
    assert coverage.resolve_province("Bình Dương") == "Thành phố Hồ Chí Minh"
    assert coverage.resolve_province("binh duong", "former") == "Bình Dương"
    with pytest.raises(coverage.UnknownName) as exc:
        coverage.resolve_province("Ha Nol")
    assert "Hà Nội" in exc.value.suggestions
    with pytest.raises(coverage.UnknownName) as exc:
        coverage.resolve_ministry("Bộ Nội vũ ba")
    assert "Bộ Nội vụ" in exc.value.suggestions


def test_cli_json_keys(sample, capsys):
    from reformwatch.cli import main

    assert main(["coverage", "--from", "2025-01-01", "--to", "2025-06-30", "--format", "json", "--db", sample]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["province"] for r in rows} == {"Hà Nội", "Thành phố Hồ Chí Minh"}
    for r in rows:
        assert {"province", "articles", "positive", "neutral", "negative"} <= set(r)
    assert main(["coverage", "--from", "2025-01-01", "--to", "2025-06-30", "--format", "json", "--by-theme",
                 "--province", "tp hcm", "--db", sample]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {(r["province"], r["theme"]) for r in rows} == {("Thành phố Hồ Chí Minh", "civil_service"),
                                                          ("Thành phố Hồ Chí Minh", "direction")}
    assert main(["coverage", "--from", "2025-01-01", "--to", "2025-03-31", "--db", sample]) == 0
    table = capsys.readouterr().out
    assert "Tỉnh/thành" in table and "Tiêu cực" in table and "Hà Nội" in table


def test_cli_bad_input(sqlite_url, capsys):
    from reformwatch.cli import main

    base = ["coverage", "--from", "2025-01-01", "--to", "2025-03-31", "--db", sqlite_url]
    assert main(base + ["--province", "Ha Nol"]) == 2
    err = capsys.readouterr().err
    assert "unknown province 'Ha Nol'" in err and "Hà Nội" in err and "usage:" in err
    assert main(base + ["--theme", "procedure"]) == 2
    assert "procedures" in capsys.readouterr().err
    assert main(["coverage", "--from", "2025-02-30", "--to", "2025-03-31", "--db", sqlite_url]) == 2
    assert "--from" in capsys.readouterr().err
    assert main(["coverage", "--from", "2025-04-01", "--to", "2025-03-31", "--db", sqlite_url]) == 2
    assert main(base + ["--format", "json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out) == [] and "Không có" in captured.err


def test_merged_former_provinces_count_once(db_url):
    """An article about Bình Dương and TP.HCM (2024) is one article for today's TP.HCM."""
    with session_scope(db_url) as s:
        add_outlets(s)
        add_article(s, "baobinhduong", at(2024, 5, 6), themes=("procedures", "apparatus"), sentiment="negative",
                    provinces=("Bình Dương", "Thành phố Hồ Chí Minh"))
        add_article(s, "vnexpress", at(2024, 5, 7), themes=("procedures",), sentiment="positive",
                    provinces=("Thành phố Hồ Chí Minh",))
    with session_scope(db_url) as s:
        y = coverage.year_range(2024)
        cur = coverage.province_theme_matrix(s, start=y[0], end=y[1])
        assert [(r["province"], r["articles"], r["negative"], r["positive"], r["own_press"]) for r in cur] == [
            ("Thành phố Hồ Chí Minh", 2, 1, 1, 1)]
        by_theme = _by(coverage.province_theme_matrix(s, start=y[0], end=y[1], by_theme=True), "province", "theme")
        assert by_theme[("Thành phố Hồ Chí Minh", "procedures")]["articles"] == 2
        assert by_theme[("Thành phố Hồ Chí Minh", "apparatus")]["negative"] == 1
        old = _by(coverage.province_theme_matrix(s, start=y[0], end=y[1], division="former"), "province")
        assert old["Bình Dương"]["articles"] == 1 and old["Thành phố Hồ Chí Minh"]["articles"] == 2
        assert coverage.totals(s, start=y[0], end=y[1])["articles"] == 2
        assert [t["articles"] for t in coverage.timeline(s, start=y[0], end=y[1], granularity="year")] == [2]


def test_synth_facts_match_refresh_facts(sqlite_url):
    """bench.synth writes the same coverage rows as storage.labels.refresh_facts would."""
    import sys

    from sqlalchemy import func, select

    from conftest import ROOT

    if str(ROOT) not in sys.path:  # bench/ is not an installed package
        sys.path.insert(0, str(ROOT))
    from bench.synth import generate
    from storage.labels import refresh_facts
    from storage.models import CoverageFact, MinistryFact

    generate(sqlite_url, 400, seed=3)
    key = lambda f: (f.article_id, f.day, f.province, f.province_current, f.theme, f.sentiment,  # noqa: E731
                     f.outlet_id, f.outlet_kind, f.own_press)
    with session_scope(sqlite_url) as s:
        assert s.scalar(select(func.count()).select_from(Article)) == 400
        n_rel = s.scalar(select(func.count()).select_from(Article).where(Article.relevant.is_(True)))
        assert 60 < n_rel < 200  # about 30 % (+ duplicates, which are relevant copies)
        assert s.scalar(select(func.count()).select_from(Article).where(Article.duplicate_of_id.is_not(None))) > 0
        before = sorted(key(f) for f in s.scalars(select(CoverageFact)))
        mbefore = s.scalar(select(func.count()).select_from(MinistryFact))
        for article in s.scalars(select(Article)).all():
            refresh_facts(s, article)
        s.flush()
        after = sorted(key(f) for f in s.scalars(select(CoverageFact)))
        assert before == after and len(before) > 50
        assert s.scalar(select(func.count()).select_from(MinistryFact)) == mbefore
        kinds = {k for (k,) in s.execute(select(Outlet.kind).distinct())}
        assert kinds == {"national", "local", "specialized", "government_portal"}
