"""Security rules of the review app: CSRF on every POST route, headers, sanitising, passwords, rate limits."""
from __future__ import annotations

import gzip
import re

import pytest
from sqlalchemy import func, select
from starlette.routing import Route
from starlette.testclient import TestClient

from storage.db import session_scope
from storage.models import Article, User
from storage.users import UserError, authenticate, create_user, role_at_least
from webapp import sample
from webapp.app import create_app
from webapp.render import decode_snapshot, sanitize_html, text_segments
from webapp.security import LoginRateLimiter, safe_next

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


pytestmark = pytest.mark.usefixtures("fast_hashes")  # real argon2id, cheap parameters (conftest)


@pytest.fixture
def app_db(sqlite_url):
    with session_scope(sqlite_url) as s:
        sample.seed(s)
        create_user(s, "admin", "quan-tri-123", "admin")
    return sqlite_url


def _logged_in(db_url):
    app = create_app(db_url, secret_key="s" * 48)
    client = TestClient(app, base_url="http://testserver")
    token = CSRF_RE.search(client.get("/login").text).group(1)
    r = client.post("/login", data={"username": "admin", "password": "quan-tri-123", "csrf_token": token},
                    follow_redirects=False)
    assert r.status_code == 303
    return app, client


def test_every_post_route_requires_the_csrf_token(app_db):
    app, client = _logged_in(app_db)
    post_routes = [r.path.replace("{article_id:int}", "1") for r in app.routes
                   if isinstance(r, Route) and "POST" in (r.methods or ())]
    assert {"/login", "/logout", "/articles/bulk-confirm", "/articles/1/review"} <= set(post_routes)
    for path in post_routes:
        r = client.post(path, data={"action": "confirm", "scope": "all", "username": "admin",
                                    "password": "quan-tri-123"}, follow_redirects=False)
        assert r.status_code == 403, path
        r = client.post(path, data={"action": "confirm", "csrf_token": "x" * 43}, follow_redirects=False)
        assert r.status_code == 403, path
    with session_scope(app_db) as s:
        assert s.scalar(select(func.count()).select_from(Article).where(Article.review_status != "unreviewed")) == 0
    # a token from another session is not accepted either
    _, other = _logged_in(app_db)
    foreign = CSRF_RE.search(other.get("/articles").text).group(1)
    assert client.post("/articles/1/review", data={"action": "confirm", "csrf_token": foreign}).status_code == 403


def test_security_headers_on_every_page(app_db):
    _, client = _logged_in(app_db)
    for path in ("/login", "/articles", "/articles/1", "/dashboard", "/sources", "/audit", "/articles/424242",
                 "/static/app.css"):
        r = client.get(path)
        csp = r.headers.get("content-security-policy", "")
        assert "default-src 'self'" in csp and "script-src 'self'" in csp and "'unsafe-inline'" not in csp, path
        assert "frame-ancestors 'self'" in csp and "object-src 'none'" in csp
        assert r.headers["x-content-type-options"] == "nosniff"
    page = client.get("/articles/1").text
    assert "<script>" not in page and " on" + "click=" not in page  # no inline script or handlers in our pages
    assert re.findall(r"<script[^>]*>", page) == ['<script src="/static/app.js" defer>']


def test_sql_injection_attempts_are_plain_values(app_db):
    _, client = _logged_in(app_db)
    for params in ({"q": "' OR 1=1 --"}, {"province": "x') OR ('1'='1"}, {"outlet": "vnexpress' OR '1'='1"},
                   {"ministry": "\"; DROP TABLE articles; --"}):
        r = client.get("/articles", params=params)
        assert r.status_code == 200 and 'id="total-count">0<' in r.text, params
    with session_scope(app_db) as s:
        assert s.scalar(select(func.count()).select_from(Article)) == 8


def test_sanitize_snapshot_removes_active_content():
    html = ("<html><head><script>alert(1)</script><meta http-equiv='refresh' content='0;url=https://evil'>"
            "<link rel=stylesheet href='https://evil/x.css'><base href='https://evil/'></head>"
            "<body onload='alert(2)'><p style='color:red' onclick='alert(3)'>Xin chào</p>"
            "<a href='javascript:alert(4)'>a</a><iframe src='https://evil'></iframe><object data='x.swf'></object>"
            "<form action='https://evil'><input name=q></form><img src='https://evil/t.gif' onerror='alert(5)'>"
            "<svg><script>alert(6)</script></svg></body></html>")
    out = sanitize_html(html)
    lowered = out.lower()
    for bad in ("<script", "alert", "onload", "onclick", "onerror", "javascript:", "<iframe", "<object", "<form",
                "http-equiv", "evil"):
        assert bad not in lowered, bad
    assert "Xin chào" in out
    body = "<html><head><meta charset='windows-1258'></head><body>Vi\xe1 ".encode("latin-1")
    assert decode_snapshot(gzip.compress("<p>Cải cách</p>".encode("utf-8")), {"Content-Type": "text/html; charset=utf-8"}) == "<p>Cải cách</p>"
    assert decode_snapshot(gzip.compress(body), None)  # legacy charset from <meta>: decoded, not crashing


def test_text_segments_keep_text_and_mark_only_whole_words():
    text = "Cải cách thủ tục tại Hà Giang; Hà Giangxx không phải. <script>x</script>"
    segs = text_segments(text, terms={"thủ tục": ["procedures"]}, places=[("Hà Giang", "Hà Giang")])
    assert "".join(s.text for s in segs) == text
    assert [(s.text, s.kind) for s in segs if s.kind] == [("thủ tục", "term"), ("Hà Giang", "place")]
    # overlapping: the longer mark wins
    segs = text_segments("dịch vụ công trực tuyến", terms={"dịch vụ công": ["d"], "dịch vụ công trực tuyến": ["d"]})
    assert [s.text for s in segs if s.kind] == ["dịch vụ công trực tuyến"]


def test_passwords_are_argon2_and_roles_are_checked(sqlite_url):
    with session_scope(sqlite_url) as s:
        create_user(s, "lan", "mat-khau-lan-1", "reviewer")
        with pytest.raises(UserError, match="role"):
            create_user(s, "minh", "mat-khau-minh", "boss")
        with pytest.raises(UserError, match="too short"):
            create_user(s, "minh", "ngan", "viewer")
        with pytest.raises(UserError, match="already exists"):
            create_user(s, "lan", "mat-khau-lan-2", "viewer")
        with pytest.raises(UserError, match="username"):
            create_user(s, "bad name!", "mat-khau-dai-1", "viewer")
    with session_scope(sqlite_url) as s:
        user = s.scalar(select(User).where(User.username == "lan"))
        assert user.password_hash.startswith("$argon2id$") and "mat-khau-lan-1" not in user.password_hash
        assert authenticate(s, "lan", "mat-khau-lan-1").username == "lan"
        assert authenticate(s, "lan", "sai") is None
        assert authenticate(s, "khong-co", "mat-khau-lan-1") is None
        user.active = False
        s.flush()
        assert authenticate(s, "lan", "mat-khau-lan-1") is None
    assert role_at_least("admin", "reviewer") and role_at_least("reviewer", "reviewer")
    assert not role_at_least("viewer", "reviewer") and not role_at_least("root", "viewer")


def test_rate_limiter_window_and_open_redirects():
    limiter = LoginRateLimiter(per_user=2, per_ip=3, window=60)
    limiter.failed("1.2.3.4", "An", now=0)
    assert limiter.retry_after("1.2.3.4", "an", now=1) == 0
    limiter.failed("1.2.3.4", "an", now=1)
    assert limiter.retry_after("1.2.3.4", "AN", now=2) == pytest.approx(58)
    assert limiter.retry_after("5.6.7.8", "an", now=2) == 0  # another address
    assert limiter.retry_after("1.2.3.4", "an", now=61.5) == 0  # window passed
    for i, name in enumerate(("binh", "dung", "em")):
        limiter.failed("1.2.3.4", name, now=62 + i)
    assert limiter.retry_after("1.2.3.4", "chi", now=65) > 0  # per-address cap: 3 failures in the window
    for target, expected in (("/articles?x=1", "/articles?x=1"), ("//evil.example", "/"), ("https://evil", "/"),
                             ("/\\evil", "/"), (None, "/")):
        assert safe_next(target) == expected


def test_deactivated_user_loses_access(app_db):
    _, client = _logged_in(app_db)
    assert client.get("/articles").status_code == 200
    with session_scope(app_db) as s:
        s.scalar(select(User).where(User.username == "admin")).active = False
    r = client.get("/articles", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_stored_urls_are_linked_only_when_http(app_db):
    with session_scope(app_db) as s:
        art = sample.add_article(s, {"outlet": "vnexpress", "title": "Liên kết lạ", "text": "x",
                                     "url": "javascript:alert(document.cookie)"})
        aid = art.id
    _, client = _logged_in(app_db)
    page = client.get(f"/articles/{aid}").text
    assert "javascript:" not in page and "Bài gốc" not in page
    assert 'href="https://' in client.get(f"/articles/{_first_id(app_db)}").text


def _first_id(db_url):
    with session_scope(db_url) as s:
        return s.scalar(select(Article.id).where(Article.title.like("Hà Giang còn%")))
