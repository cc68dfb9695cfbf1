import datetime as dt

from sqlalchemy import select

from storage.db import current_revision, get_engine, resolve_url, session_scope
from storage.models import Article, Outlet


def test_resolve_url_precedence(monkeypatch, tmp_path):
    monkeypatch.setenv("REFORMWATCH_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("REFORMWATCH_DB", raising=False)
    assert resolve_url(None) == f"sqlite:///{tmp_path / 'home' / 'reformwatch.sqlite3'}"
    monkeypatch.setenv("REFORMWATCH_DB", "sqlite:////x/y.db")
    assert resolve_url(None) == "sqlite:////x/y.db"
    assert resolve_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert resolve_url(str(tmp_path / "f.db")) == f"sqlite:///{tmp_path / 'f.db'}"


def test_schema_migrated_and_datetimes_roundtrip_aware(db_url):
    engine = get_engine(db_url)
    assert current_revision(engine) is not None
    hcm = dt.timezone(dt.timedelta(hours=7))
    published = dt.datetime(2026, 11, 27, 10, 25, tzinfo=hcm)
    with session_scope(db_url) as s:
        s.add(Outlet(id="o1", name="Báo Thử", domain="example.vn", kind="national"))
        s.add(Article(outlet_id="o1", url="https://example.vn/a", canonical_url="https://example.vn/a",
                      title="Cải cách hành chính", text="Nội dung", published=published, themes=["procedures"]))
    with session_scope(db_url) as s:
        art = s.scalars(select(Article)).one()
        assert art.published == published
        assert art.published.tzinfo is not None
        assert art.themes == ["procedures"]
        assert art.outlet.name == "Báo Thử"
