"""Staff accounts: creation, argon2 password hashes, authentication.

Roles, each including the previous: ``viewer`` (reads lists and dashboards), ``reviewer``
(confirms and corrects labels), ``admin`` (also reads the audit trail).
"""
from __future__ import annotations

import re
from typing import Optional

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import AuditEntry, User

ROLES = ("viewer", "reviewer", "admin")
USERNAME_RE = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
MIN_PASSWORD_LENGTH = 8

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters (RFC 9106 low-memory)
_dummy: dict[str, str] = {}


def _dummy_hash() -> str:
    """Verified when the user does not exist, so that a wrong username costs as much as a wrong password."""
    key = repr((_hasher.time_cost, _hasher.memory_cost, _hasher.parallelism))
    if key not in _dummy:
        _dummy[key] = _hasher.hash("reformwatch-dummy-password")
    return _dummy[key]


class UserError(ValueError):
    """A user that cannot be created or changed as asked (message says why)."""


def role_at_least(role: Optional[str], needed: str) -> bool:
    if role not in ROLES:
        return False
    return ROLES.index(role) >= ROLES.index(needed)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def create_user(session: Session, username: str, password: str, role: str, *, created_by: str = "cli") -> User:
    """Add an active user; raises ``UserError`` for a bad name, role, short password or duplicate."""
    if not USERNAME_RE.match(username or ""):
        raise UserError(f"username {username!r}: use 1-64 letters, digits or . _ @ -")
    if role not in ROLES:
        raise UserError(f"role {role!r}: expected one of {', '.join(ROLES)}")
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise UserError(f"password for {username!r} is too short: at least {MIN_PASSWORD_LENGTH} characters")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise UserError(f"user {username!r} already exists")
    user = User(username=username, password_hash=hash_password(password), role=role, active=True)
    session.add(user)
    session.add(AuditEntry(username=created_by, action="user_add", after={"username": username, "role": role}))
    session.flush()
    return user


def authenticate(session: Session, username: str, password: str) -> Optional[User]:
    """The active user with these credentials, else None (same cost either way)."""
    user = session.scalar(select(User).where(User.username == username)) if username else None
    if user is None or not user.active:
        verify_password(_dummy_hash(), password or "")
        return None
    if not verify_password(user.password_hash, password or ""):
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))
