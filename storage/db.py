"""Database URL resolution, engines, sessions and schema migration.

Every command takes ``--db URL``; without it ``REFORMWATCH_DB``; without that the embedded
default, an SQLite file under the user's data directory (``default_db_path``).
"""
from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional

from sqlalchemy import create_engine, event, inspect
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

ENV_VAR = "REFORMWATCH_DB"
MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def data_dir() -> Path:
    """``$REFORMWATCH_HOME`` or ``$XDG_DATA_HOME/reformwatch`` or ``~/.local/share/reformwatch``."""
    home = os.environ.get("REFORMWATCH_HOME")
    if home:
        return Path(home)
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg) if xdg else Path.home() / ".local" / "share"
    return base / "reformwatch"


def default_db_path() -> Path:
    return data_dir() / "reformwatch.sqlite3"


def resolve_url(url: Optional[str] = None) -> str:
    """The SQLAlchemy URL to use: explicit > $REFORMWATCH_DB > default SQLite file.

    A bare file path is accepted and turned into an SQLite URL.
    """
    url = url or os.environ.get(ENV_VAR) or f"sqlite:///{default_db_path()}"
    if "://" not in url:
        url = f"sqlite:///{Path(url).expanduser().resolve()}"
    parsed = make_url(url)  # raises ArgumentError with a clear message on garbage
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    return url


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


_engines: dict[str, Engine] = {}
_lock = threading.Lock()


def get_engine(url: Optional[str] = None, *, migrate: bool = True) -> Engine:
    """One engine per URL per process; the schema is brought to the latest revision first."""
    url = resolve_url(url)
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            kwargs = {"future": True}
            if url.startswith("sqlite"):
                kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
            else:
                kwargs["pool_pre_ping"] = True
            engine = create_engine(url, **kwargs)
            if url.startswith("sqlite"):
                event.listen(engine, "connect", _sqlite_pragmas)
            if migrate:
                upgrade(engine)
            _engines[url] = engine
    return engine


def dispose_all() -> None:
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


def alembic_config(engine: Optional[Engine] = None):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if engine is not None:
        cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Run Alembic migrations up to ``revision`` on ``engine`` (idempotent)."""
    from alembic import command

    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def current_revision(engine: Engine) -> Optional[str]:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def has_schema(engine: Engine) -> bool:
    return inspect(engine).has_table("articles")


def session_factory(url: Optional[str] = None) -> sessionmaker[Session]:
    return sessionmaker(bind=get_engine(url), expire_on_commit=False, future=True)


@contextmanager
def session_scope(url: Optional[str] = None) -> Iterator[Session]:
    """A transactional scope: commit on success, roll back on error."""
    session = session_factory(url)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
