"""Shared fixtures: real SQLite and PostgreSQL databases, real Redis, the shared corpus.

Outside CI a test needing PostgreSQL or Redis skips with the reason when the server is
down; under CI=true it fails instead (CI starts both in .ci/run).
"""
from __future__ import annotations

import os
import socket
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("REFORMWATCH_SHARED", ROOT.parent / "shared"))
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
PG_ADMIN_URL = os.environ.get("REFORMWATCH_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_TEST_URL = os.environ.get("REFORMWATCH_TEST_REDIS", "redis://127.0.0.1:6379/0")


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def need_service(name: str, host: str, port: int) -> None:
    if _port_open(host, port):
        return
    msg = f"{name} is not reachable on {host}:{port}"
    if IN_CI:
        pytest.fail(msg + " (CI=true: .ci/run must start it)")
    pytest.skip(msg + " (start it, see DEVELOPERS.md; under CI=true this fails)")


@pytest.fixture
def fast_hashes(monkeypatch):
    """Real argon2id, with small cost parameters so that login tests stay fast."""
    from argon2 import PasswordHasher

    import storage.users

    monkeypatch.setattr(storage.users, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        if IN_CI:
            pytest.fail(f"{SHARED} is missing under CI")
        pytest.skip(f"{SHARED} (the shared corpus) is absent")
    return SHARED


def _new_pg_database() -> tuple[str, callable]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    need_service("PostgreSQL", "127.0.0.1", 5432)
    name = f"rwtest_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)

    def drop() -> None:
        from storage.db import dispose_all

        dispose_all()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url, drop


@contextmanager
def module_database(backend: str, tmp_path_factory, build=None):
    """A fresh, migrated database on ``backend`` ("sqlite" | "postgresql"), filled by ``build(url)``
    when given: for module-scoped fixtures whose tests only read it."""
    from storage.db import dispose_all, get_engine

    if backend == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'rw.sqlite3'}"
        drop = dispose_all
    else:
        url, drop = _new_pg_database()
    try:
        get_engine(url)
        if build is not None:
            build(url)
        yield url
    finally:
        drop()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """A fresh, migrated, empty database on each backend."""
    from storage.db import dispose_all, get_engine

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'rw.sqlite3'}"
        get_engine(url)
        yield url
        dispose_all()
    else:
        url, drop = _new_pg_database()
        get_engine(url)
        yield url
        drop()


@pytest.fixture
def sqlite_url(tmp_path):
    from storage.db import dispose_all, get_engine

    url = f"sqlite:///{tmp_path / 'rw.sqlite3'}"
    get_engine(url)
    yield url
    dispose_all()


@pytest.fixture
def pg_url():
    from storage.db import get_engine

    url, drop = _new_pg_database()
    get_engine(url)
    yield url
    drop()


@pytest.fixture
def redis_url():
    need_service("Redis", "127.0.0.1", 6379)
    import redis

    db = 9  # keep away from db 0 that a developer may use
    url = REDIS_TEST_URL.rsplit("/", 1)[0] + f"/{db}"
    client = redis.Redis.from_url(url)
    client.flushdb()
    yield url
    client.flushdb()
    client.close()
