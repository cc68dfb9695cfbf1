"""The news spider end to end: DemoSite on 127.0.0.1 -> scrapy crawl (child process) -> database.

One module-scoped scenario per backend (SQLite and PostgreSQL) runs two crawls and is shared
by most assertions: crawl 1 stores the site; between the crawls one article's text changes
(newer lastmod); crawl 2 must fetch only that article page again and keep both versions.
"""
from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import os
import subprocess
import sys
import time
import unicodedata
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from sqlalchemy import create_engine, select, text as sql

from crawler.demo import DemoSite
from crawler.run import run_crawl
from storage.models import Article, ArticleVersion, CrawlRun, FetchError, Outlet, Snapshot
from storage.runs import COUNTERS

ROOT = Path(__file__).resolve().parents[1]
FAST = {
    "DOWNLOAD_TIMEOUT": 2,
    "RETRY_TIMES": 1,
    "RETRY_BACKOFF_BASE": 0.1,
    "AUTOTHROTTLE_START_DELAY": 0,
    "DOWNLOAD_DELAY": 0,
    "LOG_LEVEL": "WARNING",
}
CHANGED = [
    "Bản cập nhật: Ủy ban nhân dân tỉnh đã điều chỉnh kế hoạch cải cách thủ tục hành chính sau khi tiếp thu ý kiến "
    "của người dân và doanh nghiệp trong đợt lấy ý kiến vừa qua.",
    "Theo kế hoạch mới, toàn bộ hồ sơ đất đai sẽ được tiếp nhận trực tuyến từ quý I năm sau, thời gian giải quyết "
    "rút ngắn một nửa so với quy định hiện hành.",
]


def _session(url):
    from storage.db import session_factory

    return session_factory(url)()


def _db(kind, tmp_path_factory):
    """A fresh migrated database for a module-scoped scenario (same recipe as conftest's db_url)."""
    from storage.db import get_engine

    if kind == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('crawl') / 'rw.sqlite3'}"
        get_engine(url)
        return url, lambda: None
    from conftest import _new_pg_database

    url, drop = _new_pg_database()
    get_engine(url)
    return url, drop


def _paths(log):
    return [path for _, path, _ in log]


def _article_path(site, path):
    return urlsplit(path).path in {urlsplit(u).path for u in site.article_urls()}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def scenario(request, tmp_path_factory):
    url, drop = _db(request.param, tmp_path_factory)
    with DemoSite(faults=True, slow_delay=4) as site:
        urls = site.article_urls()
        # a syndicated copy: outlet B republishes outlet A's story, lightly edited, later
        arts = sorted((site.article_for(u) for u in urls), key=lambda a: a.published)
        orig = arts[0]
        copy = next(a for a in reversed(arts) if a.outlet != orig.outlet)
        site.set_body(site.base_url + copy.path, list(orig.paragraphs) + ["(Theo báo đối tác)"])
        first = run_crawl(db_url=url, sources_path=site.registry_path, settings=FAST)
        log1 = list(site.request_log)
        with _session(url) as s:
            before = {a.canonical_url: (a.id, a.text) for a in s.scalars(select(Article))}
        # change one stored article: its text and its lastmod move forward
        time.sleep(1.1)
        changed_url = next(u for u in urls if site.article_for(u).outlet != copy.outlet and u != site.base_url + orig.path)
        site.set_body(changed_url, CHANGED)
        site.clear_log()
        second = run_crawl(db_url=url, sources_path=site.registry_path, settings=FAST)
        log2 = list(site.request_log)
        yield SimpleNamespace(
            url=url, site=site, first=first, second=second, log1=log1, log2=log2, before=before,
            orig_url=site.base_url + orig.path, copy_url=site.base_url + copy.path, changed_url=changed_url,
        )
    from storage.db import dispose_all

    dispose_all()
    drop()


def test_every_article_of_the_site_is_stored(scenario):
    site = scenario.site
    with _session(scenario.url) as s:
        stored = set(s.scalars(select(Article.canonical_url)))
    expected = set(site.article_urls())
    assert expected <= stored, sorted(expected - stored)[:5]
    assert scenario.first["status"] == "finished"
    assert sum(c["new"] + c["duplicates"] for c in scenario.first["sources"].values()) >= len(expected)
    assert set(scenario.first["sources"]) == {o for o in _outlet_ids(scenario)}
    for counts in scenario.first["sources"].values():
        assert set(counts) == set(COUNTERS) and counts["pages"] > 0


def _outlet_ids(scenario):
    with _session(scenario.url) as s:
        return set(s.scalars(select(Outlet.id)))


def test_stored_fields_and_evidence(scenario):
    site = scenario.site
    with _session(scenario.url) as s:
        for url in site.article_urls():
            art = s.scalar(select(Article).where(Article.canonical_url == url))
            demo = site.article_for(url)
            assert art.title and demo.title.split(",")[0][:20] in art.title
            assert art.published is not None and art.published.tzinfo is not None
            assert abs(art.published - demo.published) < dt.timedelta(minutes=1), url
            if url not in (scenario.changed_url, scenario.copy_url):
                assert unicodedata.normalize("NFC", demo.paragraphs[0])[:60] in art.text
                assert unicodedata.normalize("NFC", demo.paragraphs[-1])[-60:] in art.text
            snaps = list(s.scalars(select(Snapshot).where(Snapshot.article_id == art.id)))
            assert snaps
            for snap in snaps:
                body = gzip.decompress(snap.content_gzip)
                assert hashlib.sha256(body).hexdigest() == snap.content_sha256
                assert len(body) == snap.content_length and snap.http_status == 200
                assert snap.fetched_at.tzinfo is not None and snap.headers
            assert art.search_text and art.text_sha256 == hashlib.sha256(art.text.encode()).hexdigest()


def test_wrongly_declared_encodings_are_decoded(scenario):
    with _session(scenario.url) as s:
        for name in ("wrong_charset", "no_charset"):
            art = s.scalar(select(Article).where(Article.canonical_url == scenario.site.faults[name]))
            assert art is not None, name
            assert "ngày hội đọc sách" in art.text or "Chợ phiên" in art.title, (name, art.text[:80])
            assert "\ufffd" not in art.text and "Ã" not in art.text


def test_urls_are_canonicalised_before_requesting(scenario):
    site = scenario.site
    paths = _paths(scenario.log1)
    article_paths = [urlsplit(p).path for p in paths if _article_path(site, p)]
    assert len(article_paths) == len(set(article_paths)), "an article page was requested twice"
    assert not [p for p in paths if "utm_" in p or "#" in p or "fbclid" in p]
    assert not [p for p in paths if "/amp/" in p], "AMP copies must be mapped to the canonical page"


def test_robots_txt_is_obeyed(scenario):
    paths = _paths(scenario.log1)
    assert "/robots.txt" in paths
    forbidden = urlsplit(scenario.site.faults["robots_disallowed"]).path
    assert forbidden not in [urlsplit(p).path for p in paths]
    assert sum(c["skipped"] for c in scenario.first["sources"].values()) >= 1


EXPECTED_ERRORS = {
    "broken_feed": ("feed", "broken XML"),
    "html_sitemap": ("sitemap", "HTML page"),
    "not_found": ("article", "HTTP 404"),
    "server_error": ("article", "HTTP 500"),
    "slow": ("article", "timeout"),
    "huge": ("article", "max size"),
    "redirect_loop": ("article", "redirect"),
    "not_article": ("article", "not an article"),
}


def test_every_fault_is_recorded_and_the_crawl_goes_on(scenario):
    from crawler.demo import faults as demo_faults

    run_id = scenario.first["run_id"]
    with _session(scenario.url) as s:
        errors = list(s.scalars(select(FetchError).where(FetchError.run_id == run_id)))
        run = s.get(CrawlRun, run_id)
        assert run.status == "finished" and run.finished_at is not None
    for name, (stage, words) in EXPECTED_ERRORS.items():
        fault = demo_faults.BY_NAME[name]
        hits = [e for e in errors if e.outlet_id == fault.outlet and e.stage == stage and words in e.reason]
        assert hits, f"{name}: no {stage} error with {words!r} for {fault.outlet}: {[(e.stage, e.reason) for e in errors]}"
    by_outlet = {}
    for e in errors:
        by_outlet[e.outlet_id] = by_outlet.get(e.outlet_id, 0) + 1
    for outlet_id, n in by_outlet.items():
        assert scenario.first["sources"][outlet_id]["errors"] == n
    assert {e.http_status for e in errors if "HTTP" in e.reason} >= {404, 500}
    # the 500 and the timeout were retried after a backoff wait (RETRY_TIMES=1, base 0.1 s)
    assert run.stats["backoff/waits"] >= 2 and run.stats["backoff/seconds"] >= 0.2
    assert run.stats["retry/count"] >= 2


def test_second_crawl_fetches_only_the_changed_article(scenario):
    site = scenario.site
    fault_paths = {urlsplit(u).path for u in site.faults.values()} | {"/mau-nghe-an/chuyen-huong/buoc-hai.html"}
    refetched = {urlsplit(p).path for p in _paths(scenario.log2) if _article_path(site, p)}
    assert refetched == {urlsplit(scenario.changed_url).path}
    stored_faults = {urlsplit(site.faults[n]).path for n in ("wrong_charset", "no_charset")}
    assert not ({urlsplit(p).path for p in _paths(scenario.log2)} & stored_faults)
    assert any(urlsplit(p).path in fault_paths for p in _paths(scenario.log2))  # failures are retried next run
    second = scenario.second
    assert second["status"] == "finished"
    assert sum(c["updated"] for c in second["sources"].values()) == 1
    assert sum(c["new"] for c in second["sources"].values()) == 0
    assert sum(c["skipped"] for c in second["sources"].values()) >= len(site.article_urls()) - 1
    # listings stop at the first page whose links are all stored
    listing_pages = lambda log: [p for p in _paths(log) if "/page/" in p or "trang=" in p]  # noqa: E731
    assert len(listing_pages(scenario.log2)) < len(listing_pages(scenario.log1))


def test_changed_text_keeps_both_versions_and_nothing_is_lost(scenario):
    with _session(scenario.url) as s:
        art = s.scalar(select(Article).where(Article.canonical_url == scenario.changed_url))
        versions = list(s.scalars(select(ArticleVersion).where(ArticleVersion.article_id == art.id).order_by(ArticleVersion.version)))
        assert [v.version for v in versions] == [1, 2] and art.version_count == 2
        assert versions[0].text == scenario.before[scenario.changed_url][1]
        assert CHANGED[0][:50] in versions[1].text and art.text == versions[1].text
        assert art.annotated_version is None
        now = {a.canonical_url: (a.id, a.text) for a in s.scalars(select(Article))}
    for url, (aid, txt) in scenario.before.items():
        assert url in now and now[url][0] == aid
        if url != scenario.changed_url:
            assert now[url][1] == txt


def _expected_duplicates(scenario):
    """{later copy URL: earliest URL} from the site's own texts (exact shingle Jaccard, no MinHash)."""
    import itertools

    from storage.dedup import THRESHOLD, exact_jaccard

    site = scenario.site
    arts = [(u, site.article_for(u)) for u in site.article_urls()]
    expected = {}
    for (ua, a), (ub, b) in itertools.combinations(arts, 2):
        if exact_jaccard(" ".join(a.paragraphs), " ".join(b.paragraphs)) >= THRESHOLD + 0.05:
            first, later = sorted([(a.published, ua), (b.published, ub)])
            expected[later[1]] = first[1]
    return expected


def test_syndicated_stories_are_linked_as_duplicates(scenario):
    expected = _expected_duplicates(scenario)
    assert expected.get(scenario.copy_url) == scenario.orig_url  # the copy made for this test
    assert len(expected) >= 2, "the demo site's own syndicated story is missing"
    with _session(scenario.url) as s:
        ids = {a.canonical_url: a for a in s.scalars(select(Article))}
        for later, first in expected.items():
            assert ids[first].duplicate_of_id is None
            assert ids[later].duplicate_of_id == ids[first].id, later
            assert 0.7 <= ids[later].duplicate_similarity <= 1.0
        dups = {u for u, a in ids.items() if a.duplicate_of_id is not None}
    assert dups == set(expected)
    # counted when a copy is stored after its original (an earlier original arriving later
    # re-links the group without counting the older copy again)
    assert 1 <= sum(c["duplicates"] for c in scenario.first["sources"].values()) <= len(expected)


def test_source_health_updated(scenario):
    with _session(scenario.url) as s:
        outlets = list(s.scalars(select(Outlet)))
        assert outlets and all(o.last_run_at is not None and o.last_success_at is not None for o in outlets)
        assert all(o.consecutive_failures == 0 for o in outlets)
        changed_outlet = scenario.site.article_for(scenario.changed_url).outlet
        for o in outlets:
            assert o.consecutive_empty_runs == (0 if o.id == changed_outlet else 1), o.id


# --------------------------------------------------------------------------- since window
def test_since_window_stops_paging_back(sqlite_url):
    with DemoSite(faults=False) as site:
        dates = sorted(site.article_for(u).published for u in site.article_urls())
        since = dates[len(dates) * 3 // 4].astimezone(dt.timezone(dt.timedelta(hours=7))).date()
        summary = run_crawl(db_url=sqlite_url, sources_path=site.registry_path, since=since, settings=FAST)
        paths = _paths(site.request_log)
        requested = {urlsplit(p).path for p in paths if _article_path(site, p)}
        day_start = dt.datetime.combine(since, dt.time(), dt.timezone(dt.timedelta(hours=7)))
        old = [p for p in requested if site.article_for(site.base_url + p).published < day_start]
        assert not old, f"articles older than since were requested: {old[:3]}"
        recent = {urlsplit(u).path for u in site.article_urls() if site.article_for(u).published >= day_start}
        assert recent and recent <= requested
        listing_pages = [p for p in paths if "/page/" in p or "trang=" in p]
        max_listing_pages = sum(
            max(0, site.pages(o, sec) - 1) for o in _demo_outlets() for sec in _demo_sections(site, o)
        )
        assert len(listing_pages) < max_listing_pages, "the since window must stop paging back"
    assert summary["status"] == "finished"
    assert sum(c["skipped"] for c in summary["sources"].values()) > 0


def _demo_outlets():
    from crawler.demo.outlets import OUTLETS

    return OUTLETS


def _demo_sections(site, outlet):
    from crawler.demo.site import LATEST

    return (LATEST, site.main_category(outlet))


# --------------------------------------------------------------------------- commands
def test_scrapy_list_prints_news():
    out = subprocess.run([sys.executable, "-m", "scrapy", "list"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["news"]


def _reformwatch(*args, env=None):
    return subprocess.run(
        [sys.executable, "-c", "import sys; from reformwatch.cli import main; sys.exit(main())", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=120, env=dict(os.environ, **(env or {})),
    )


@pytest.mark.parametrize(
    "args, words",
    [
        (["crawl", "--source", "vnexpres"], "vnexpress"),
        (["crawl", "--since", "27/11/2026"], "YYYY-MM-DD"),
        (["crawl", "--frobnicate"], "unrecognized arguments"),
    ],
)
def test_cli_typos_give_usage_not_traceback(args, words, tmp_path):
    out = _reformwatch(*args, "--db", f"sqlite:///{tmp_path / 'x.sqlite3'}")
    assert out.returncode == 2
    assert "usage:" in out.stderr and words in out.stderr
    assert "Traceback" not in out.stderr


def test_cli_invalid_registry_runs_nothing(tmp_path):
    bad = tmp_path / "sources.toml"
    bad.write_text('[[outlet]]\nid = "x"\nname = "X"\ndomain = "not a domain"\nkind = "weird"\nbogus = 1\n', encoding="utf-8")
    db = tmp_path / "x.sqlite3"
    out = _reformwatch("crawl", "--sources", str(bad), "--db", f"sqlite:///{db}")
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert str(bad) in out.stderr and "bogus" in out.stderr
    assert not db.exists() or not create_engine(f"sqlite:///{db}").connect().execute(
        sql("select name from sqlite_master where name='crawl_runs'")).fetchall()


def test_cli_crawl_prints_summary(tmp_path):
    with DemoSite(faults=False) as site:
        ids = ["mau-quang-ninh"]
        db = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
        env = {f"REFORMWATCH_{k}": str(v) for k, v in FAST.items()}
        out = _reformwatch("crawl", "--sources", str(site.registry_path), "--source", ids[0], "--db", db, env=env)
        assert out.returncode == 0, out.stderr[-2000:]
        n = len(site.article_urls(ids[0]))
    assert "mau-quang-ninh" in out.stdout and "mới" in out.stdout and "TỔNG" in out.stdout
    row = next(line for line in out.stdout.splitlines() if line.startswith("mau-quang-ninh"))
    assert int(row.split()[2]) + int(row.split()[6]) == n  # new + duplicates = every article of the outlet
    with _session(db) as s:
        assert {a.outlet_id for a in s.scalars(select(Article))} == {"mau-quang-ninh"}


# --------------------------------------------------------------------------- settings and backoff
def test_backoff_is_exponential_and_capped():
    from crawler.middlewares import backoff_delay

    assert [backoff_delay(n, 1.0, 60) for n in (0, 1, 2, 3, 4)] == [0.0, 1.0, 2.0, 4.0, 8.0]
    assert backoff_delay(10, 1.0, 60) == 60
    assert backoff_delay(3, 0.0, 60) == 0.0


def test_every_setting_is_overridable_from_the_environment():
    from crawler import settings as s

    ns = {"DOWNLOAD_TIMEOUT": 30.0, "RETRY_TIMES": 2, "AUTOTHROTTLE_ENABLED": True, "RETRY_HTTP_CODES": [500],
          "USER_AGENT": "x", "REFORMWATCH_LEASE_SECONDS": 120}
    env = {"REFORMWATCH_DOWNLOAD_TIMEOUT": "2", "REFORMWATCH_RETRY_TIMES": "0", "REFORMWATCH_AUTOTHROTTLE_ENABLED": "false",
           "REFORMWATCH_RETRY_HTTP_CODES": "[503]", "REFORMWATCH_USER_AGENT": "UA", "REFORMWATCH_LEASE_SECONDS": "5",
           "REFORMWATCH_DB": "sqlite:///ignored", "OTHER": "1"}
    applied = s.apply_env_overrides(ns, env)
    assert ns == {"DOWNLOAD_TIMEOUT": 2.0, "RETRY_TIMES": 0, "AUTOTHROTTLE_ENABLED": False, "RETRY_HTTP_CODES": [503],
                  "USER_AGENT": "UA", "REFORMWATCH_LEASE_SECONDS": 5}
    assert set(applied) == set(ns)
    with pytest.raises(ValueError, match="REFORMWATCH_RETRY_TIMES"):
        s.apply_env_overrides({"RETRY_TIMES": 2}, {"REFORMWATCH_RETRY_TIMES": "many"})
    assert "ReformWatch/0.1" in s.USER_AGENT and s.ROBOTSTXT_OBEY and s.AUTOTHROTTLE_ENABLED is not None
