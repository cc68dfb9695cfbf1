"""Security plumbing of the review app: headers, login gate, CSRF tokens, login rate limits.

- ``SecurityHeadersMiddleware``: a strict Content-Security-Policy (scripts and styles from
  'self' only, no inline script), no framing by other sites, nosniff, same-origin referrer,
  no caching of pages (they show non-public data).
- ``LoginRequiredMiddleware``: without a signed-in session every page answers 303 -> /login.
- CSRF: a per-session random token (synchronizer pattern), required in the ``csrf_token``
  form field (or ``X-CSRF-Token`` header) of every POST, the login form included.
- ``LoginRateLimiter``: failed logins counted per (client IP, username) and per IP in a
  sliding window; over the limit, logins are refused with 429 until the window passes.
"""
from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import defaultdict, deque
from typing import Optional
from urllib.parse import quote

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; frame-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'self'"
)
# The stored page of a snapshot: sanitised, and even so no script, no network, sandboxed.
SNAPSHOT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox; base-uri 'none'; form-action 'none'"
PUBLIC_PREFIXES = ("/login", "/static/", "/healthz")
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                defaults = {
                    b"content-security-policy": CSP.encode(),
                    b"x-content-type-options": b"nosniff",
                    b"x-frame-options": b"SAMEORIGIN",
                    b"referrer-policy": b"same-origin",
                    b"cache-control": b"no-store",
                    b"cross-origin-opener-policy": b"same-origin",
                }
                if scope["path"].startswith("/static/"):
                    defaults[b"cache-control"] = b"public, max-age=3600"
                for key, value in defaults.items():
                    if key not in present:
                        headers.append((key, value))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class LoginRequiredMiddleware:
    """Runs inside the session middleware: no user in the session -> redirect to /login."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(PUBLIC_PREFIXES):
            await self.app(scope, receive, send)
            return
        session = scope.get("session") or {}
        if not session.get("user"):
            target = scope["path"]
            if scope.get("query_string"):
                target += "?" + scope["query_string"].decode("latin-1")
            nxt = quote(target, safe="") if scope["method"] == "GET" else ""
            response = RedirectResponse("/login" + (f"?next={nxt}" if nxt else ""), status_code=303)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


# --------------------------------------------------------------------------- CSRF
def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use."""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


class CSRFError(Exception):
    pass


async def checked_form(request: Request) -> FormData:
    """The POSTed form after checking its CSRF token; raises ``CSRFError`` when it is absent or wrong."""
    form = await request.form()
    sent = form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or ""
    expected = request.session.get("csrf") or ""
    if not expected or not isinstance(sent, str) or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise CSRFError()
    return form


def safe_next(target: Optional[str]) -> str:
    """Only local paths are followed after login (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


# --------------------------------------------------------------------------- rate limiting
class LoginRateLimiter:
    """Sliding-window counter of failed logins (in process memory)."""

    def __init__(self, *, per_user: int = 5, per_ip: int = 20, window: float = 900.0) -> None:
        self.per_user = per_user
        self.per_ip = per_ip
        self.window = window
        self._failures: dict[tuple, deque] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, key: tuple, now: float) -> deque:
        q = self._failures[key]
        while q and q[0] <= now - self.window:
            q.popleft()
        return q

    def retry_after(self, ip: str, username: str, now: Optional[float] = None) -> float:
        """Seconds until a login may be tried again (0 when allowed)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            waits = []
            for key, limit in (((ip, username.lower()), self.per_user), ((ip,), self.per_ip)):
                q = self._recent(key, now)
                if len(q) >= limit:
                    waits.append(q[len(q) - limit] + self.window - now)
            return max(waits, default=0.0)

    def failed(self, ip: str, username: str, now: Optional[float] = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            self._failures[(ip, username.lower())].append(now)
            self._failures[(ip,)].append(now)

    def succeeded(self, ip: str, username: str) -> None:
        with self._lock:
            self._failures.pop((ip, username.lower()), None)
