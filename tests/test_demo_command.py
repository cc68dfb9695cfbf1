"""`reformwatch demo`: the README's first command, end to end on the bundled demo outlets."""
import os
import socket

from sqlalchemy import func, select

from reformwatch.cli import main
from storage.db import session_scope
from storage.models import Annotation, Article, CoverageFact


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_demo_runs_the_whole_pipeline_and_a_second_run_is_incremental(sqlite_url, capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("REFORMWATCH_HOME", str(tmp_path / "home"))
    port = str(_free_port())  # the same address twice: the demo outlets' URLs stay the same
    monkeypatch.delenv("REFORMWATCH_SOURCES", raising=False)
    assert main(["demo", "--db", sqlite_url, "--port", port]) == 0
    assert "REFORMWATCH_SOURCES" not in os.environ  # the demo's registry does not leak into the caller
    out = capsys.readouterr().out
    assert "Thu thập" in out and "TỔNG" in out
    with session_scope(sqlite_url) as s:
        articles = s.scalar(select(func.count()).select_from(Article))
        annotated = s.scalar(select(func.count(func.distinct(Annotation.article_id))))
        facts = s.scalar(select(func.count()).select_from(CoverageFact))
        outlets = s.scalar(select(func.count(func.distinct(Article.outlet_id))))
        duplicates = s.scalar(select(func.count()).select_from(Article).where(Article.duplicate_of_id.is_not(None)))
    assert articles >= 60 and outlets >= 8
    assert annotated == articles  # every stored article went through the classifier
    assert facts > 0  # and coverage was computed from its labels
    assert duplicates >= 1  # the syndicated story is linked, not counted twice
    assert f"Phân loại: {articles} bài" in out
    assert "Độ phủ tin cải cách hành chính" in out

    # a second demo run on the same database downloads and annotates nothing new
    assert main(["demo", "--db", sqlite_url, "--port", port]) == 0
    out = capsys.readouterr().out
    assert "Phân loại: 0 bài" in out
    with session_scope(sqlite_url) as s:
        assert s.scalar(select(func.count()).select_from(Article)) == articles
