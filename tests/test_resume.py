"""A single-machine crawl (no Redis) is resumable: its state lives in a Scrapy JOBDIR.

Stopped with Ctrl-C (SIGINT) or killed (SIGKILL) mid-run, the next run of the same crawl
continues: every article of the site ends up stored exactly once, and (after Ctrl-C) no
article page is downloaded twice.
"""
import os
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from crawler.demo.site import DemoSite
from crawler.run import ROOT, crawl_command, job_dir, run_crawl
from storage.db import resolve_url, session_scope
from storage.models import Article
from storage.runs import start_run

SLOW = {"REFORMWATCH_DOWNLOAD_DELAY": "0.05", "REFORMWATCH_CONCURRENT_REQUESTS_PER_DOMAIN": "1",
        "REFORMWATCH_AUTOTHROTTLE_ENABLED": "0", "REFORMWATCH_CRAWL_IGNORE_REGISTRY_POLITENESS": "1",
        "REFORMWATCH_STORE_BATCH_SIZE": "1"}


@pytest.fixture
def site():
    with DemoSite(generated=120, faults=False) as s:
        yield s


def _stored(url: str) -> int:
    with session_scope(url) as session:
        return session.scalar(select(func.count()).select_from(Article))


def _start_child(db_url: str, registry: Path, home: Path) -> tuple[subprocess.Popen, Path]:
    url = resolve_url(db_url)
    with session_scope(url) as session:
        run_id = start_run(session, spider="news", args={})
    jobdir = job_dir(url, str(registry), (), None)
    jobdir.parent.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, REFORMWATCH_DB=url, REFORMWATCH_HOME=str(home), **SLOW)
    env.pop("REDIS_URL", None)
    cmd = crawl_command(run_id=run_id, sources_path=str(registry), jobdir=jobdir)
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return proc, jobdir


def _wait_for(predicate, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError("timed out")


def _article_fetches(site) -> Counter:
    articles = {urlsplit(u).path for u in site.article_urls()}
    return Counter(path for method, path, status in site.request_log if method == "GET" and path in articles)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "sigkill"])
def test_stopped_crawl_resumes_where_it_stopped(site, sqlite_url, tmp_path, monkeypatch, sig):
    monkeypatch.setenv("REFORMWATCH_HOME", str(tmp_path / "home"))
    total = len(site.article_urls())
    proc, jobdir = _start_child(sqlite_url, site.registry_path, tmp_path / "home")
    _wait_for(lambda: _stored(sqlite_url) >= 15)
    proc.send_signal(sig)
    proc.wait(timeout=60)
    stopped_at = _stored(sqlite_url)
    assert 15 <= stopped_at < total, "the crawl must be stopped mid-run for this test to mean anything"
    if sig == signal.SIGINT:
        assert (jobdir / "requests.queue").exists(), "Ctrl-C must leave the Scrapy JOBDIR to resume from"

    summary = run_crawl(db_url=sqlite_url, sources_path=site.registry_path,
                        settings={"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False})
    assert summary["status"] == "finished"
    with session_scope(sqlite_url) as session:
        urls = session.scalars(select(Article.canonical_url)).all()
    assert sorted(urls) == sorted(site.article_urls())  # none missing, none twice
    assert not jobdir.exists(), "a finished crawl removes its JOBDIR"
    fetches = _article_fetches(site)
    assert set(fetches) == {urlsplit(u).path for u in site.article_urls()}
    if sig == signal.SIGINT:
        assert max(fetches.values()) == 1, [p for p, n in fetches.items() if n > 1][:5]
    else:  # a hard kill loses only what was in flight: at most a few pages are fetched again
        assert sum(n - 1 for n in fetches.values()) <= 16
