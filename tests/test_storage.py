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


def test_upgrade_from_oldest_revision_keeps_data(db_url):
    """A database made by revision 0001 (with data) upgrades to head without losing rows."""
    from sqlalchemy import create_engine, text

    from storage.db import dispose_all, upgrade

    dispose_all()
    engine = create_engine(db_url)
    with engine.begin() as conn:  # start again from an empty schema at the first revision
        for table in ("alembic_version",):
            conn.execute(text(f"DROP TABLE IF EXISTS {table}"))
    from storage.models import Base

    Base.metadata.drop_all(engine)
    upgrade(engine, "0001")
    assert current_revision(engine) == "0001"
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO outlets (id, name, domain, kind, verified, consecutive_failures, "
                          "consecutive_empty_runs, created_at, updated_at) VALUES ('o1', 'Báo', 'x.vn', 'local', "
                          "true, 0, 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
        conn.execute(text("INSERT INTO articles (outlet_id, url, canonical_url, text, version_count, first_seen_at, "
                          "updated_at, review_status) VALUES ('o1', 'https://x.vn/a', 'https://x.vn/a', 'Nội dung', 1, "
                          "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 'unreviewed')"))
    upgrade(engine, "head")
    from storage.db import alembic_config
    from alembic.script import ScriptDirectory

    assert current_revision(engine) == ScriptDirectory.from_config(alembic_config()).get_current_head()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT text FROM articles WHERE canonical_url = 'https://x.vn/a'")).scalar() == "Nội dung"
    engine.dispose()


def test_models_match_migrations(db_url):
    """Autogenerate finds nothing to add: the migrations create exactly what the models describe."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from storage.models import Base

    engine = get_engine(db_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    # indexes created by migrations only (trigram / GIN on PostgreSQL, review indexes) are not in the models
    diff = [d for d in diff if not (isinstance(d, tuple) and d[0] == "remove_index")]
    assert diff == []
