"""The review app over HTTP (Starlette TestClient) on SQLite and PostgreSQL."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from storage.db import session_scope
from storage.models import Article, AuditEntry, CoverageFact, Review
from storage.users import create_user
from webapp import sample
from webapp.app import create_app
from webapp.security import LoginRateLimiter

PASSWORDS = {"admin": "quan-tri-123", "reviewer": "duyet-bai-123", "viewer": "chi-xem-123"}
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


pytestmark = pytest.mark.usefixtures("fast_hashes")  # real argon2id, cheap parameters (conftest)


@pytest.fixture
def site(db_url):
    with session_scope(db_url) as s:
        sample.seed(s)
        for name, password in PASSWORDS.items():
            create_user(s, name, password, name)
    return db_url


def _client(db_url, *, https: bool = False, **kw) -> TestClient:
    return TestClient(create_app(db_url, secret_key="t" * 48, **kw),
                      base_url=("https" if https else "http") + "://testserver")


def _token(client: TestClient, path: str = "/login") -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text[:500]
    return CSRF_RE.search(page.text).group(1)


def _login(client: TestClient, name: str) -> TestClient:
    r = client.post("/login", data={"username": name, "password": PASSWORDS[name], "csrf_token": _token(client)},
                    follow_redirects=False)
    assert r.status_code == 303, r.text[:500]
    return client


def _article_id(db_url, title_start: str) -> int:
    with session_scope(db_url) as s:
        return s.scalar(select(Article.id).where(Article.title.like(title_start + "%")))


def _listed_titles(html: str) -> list[str]:
    return re.findall(r'class="title" href="/articles/\d+">([^<]+)</a>', html)


def test_login_gate_csrf_rate_limit_and_cookies(site):
    client = _client(site)
    for path in ("/", "/articles", "/articles/1", "/articles/1/snapshot", "/dashboard", "/sources", "/audit", "/nope"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login"), path
    r = client.post("/articles/1/review", data={"action": "confirm"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    login = client.get("/login")
    assert login.status_code == 200 and 'name="csrf_token"' in login.text
    assert "content-security-policy" in login.headers
    assert "script-src 'self'" in login.headers["content-security-policy"]
    _check_login_security(site)


def _check_login_security(site):
    client = _client(site, secure_cookies=True, https=True)
    bad = client.post("/login", data={"username": "admin", "password": "sai", "csrf_token": _token(client)},
                      follow_redirects=False)
    assert bad.status_code == 401 and "Sai tên đăng nhập" in bad.text
    r = client.post("/login", data={"username": "admin", "password": PASSWORDS["admin"], "csrf_token": _token(client),
                                    "next": "/dashboard"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/dashboard"
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "secure" in cookie
    # an outside "next" is not followed
    client2 = _client(site)
    r = client2.post("/login", data={"username": "viewer", "password": PASSWORDS["viewer"],
                                     "csrf_token": _token(client2), "next": "//evil.example/"}, follow_redirects=False)
    assert r.headers["location"] == "/"
    # login without the CSRF token is refused
    client = _client(site)
    client.get("/login")
    r = client.post("/login", data={"username": "admin", "password": PASSWORDS["admin"]}, follow_redirects=False)
    assert r.status_code == 403
    assert client.get("/articles", follow_redirects=False).status_code == 303  # still logged out
    # rate limiting of failed logins per address and user
    client = _client(site, rate_limiter=LoginRateLimiter(per_user=3, per_ip=10, window=600))
    for _ in range(3):
        r = client.post("/login", data={"username": "admin", "password": "sai-mat-khau", "csrf_token": _token(client)})
        assert r.status_code == 401
    r = client.post("/login", data={"username": "admin", "password": PASSWORDS["admin"], "csrf_token": _token(client)},
                    follow_redirects=False)
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    # another user from the same address is not blocked by admin's failures
    r = client.post("/login", data={"username": "viewer", "password": PASSWORDS["viewer"],
                                    "csrf_token": _token(client)}, follow_redirects=False)
    assert r.status_code == 303


def test_filters_counts_and_search(site):
    client = _login(_client(site), "viewer")
    page = client.get("/articles")
    assert page.status_code == 200
    assert re.search(r'id="total-count">8<', page.text)
    assert len(_listed_titles(page.text)) == 8
    neg = client.get("/articles", params={"sentiment": "negative"})
    assert re.search(r'id="total-count">2<', neg.text)
    assert sorted(_listed_titles(neg.text)) == sorted([
        "Hà Giang còn hơn 1.200 hồ sơ đất đai trễ hạn", "Bộ Tài chính đôn đốc giải ngân vốn đầu tư công"])
    # facet counts follow the filter
    assert 'data-facet="theme:procedures">1<' in neg.text and 'data-facet="theme:public_finance">1<' in neg.text
    local = client.get("/articles", params={"kind": "local", "theme": "procedures"})
    assert re.search(r'id="total-count">2<', local.text)
    former = client.get("/articles", params={"province": "Hà Giang", "division": "former"})
    current = client.get("/articles", params={"province": "Tuyên Quang"})
    assert _listed_titles(former.text) == _listed_titles(current.text) == ["Hà Giang còn hơn 1.200 hồ sơ đất đai trễ hạn"]
    assert _listed_titles(client.get("/articles", params={"ministry": "Bộ Nội vụ"}).text) == [
        "Thủ tướng chủ trì phiên họp Ban Chỉ đạo cải cách hành chính của Chính phủ"]
    irrelevant = client.get("/articles", params={"relevant": "0"})
    assert _listed_titles(irrelevant.text) == ["Giá vàng miếng tăng mạnh phiên cuối tuần"]
    # diacritic-insensitive search
    plain = _listed_titles(client.get("/articles", params={"q": "cai cach hanh chinh"}).text)
    marked = _listed_titles(client.get("/articles", params={"q": "cải cách hành chính"}).text)
    assert plain == marked and "Thủ tướng chủ trì phiên họp Ban Chỉ đạo cải cách hành chính của Chính phủ" in plain
    assert _listed_titles(client.get("/articles", params={"q": "da nang"}).text)
    # score sort: highest first
    by_score = _listed_titles(client.get("/articles", params={"sort": "score"}).text)
    assert by_score[0].startswith("Thủ tướng chủ trì") and by_score[-1].startswith("Giá vàng")
    # bad input: a clear 400 naming the field
    bad = client.get("/articles", params={"from": "31/12/2025", "sentiment": "vui"})
    assert bad.status_code == 400 and "Từ ngày" in bad.text and "Sắc thái" in bad.text


def test_keyset_pagination(site):
    with session_scope(site) as s:
        for i in range(60):
            sample.add_article(s, {"outlet": "vnexpress", "title": f"Tin thủ tục số {i:02d}", "text": "thủ tục",
                                   "days_ago": 40 + i, "themes": ["procedures"], "sentiment": "neutral"})
    client = _login(_client(site), "viewer")
    first = client.get("/articles")
    titles = _listed_titles(first.text)
    assert len(titles) == 50
    nxt = re.search(r'id="next-page" href="([^"]+)"', first.text).group(1).replace("&amp;", "&")
    assert "after=" in nxt and "offset" not in nxt
    second = client.get(nxt)
    rest = _listed_titles(second.text)
    assert len(rest) == 18 and not set(rest) & set(titles)
    assert 'id="next-page"' not in second.text
    assert client.get("/articles", params={"after": "garbage"}).status_code == 400


def test_article_page_marks_terms_and_places_and_escapes_text(site):
    with session_scope(site) as s:
        evil = sample.add_article(s, {
            "outlet": "vnexpress", "title": "Bài có <script>window.pwned=1</script> trong tiêu đề",
            "text": "Đoạn văn <img src=x onerror=alert(1)> cải cách thủ tục.", "themes": ["procedures"],
            "terms": {"procedures": [["thủ tục", 1.0]]},
            "factors": [["theme:civil_service", 2.1], ["reform_sentence_share", 0.7]],
            "relevant_terms": [["cải cách thủ tục", 0.9], ["<b>x</b>", 0.1]],
            "snapshot_html": "<html><body><p>Bản lưu</p><script>window.pwned=1</script>"
                             "<a href=\"javascript:alert(1)\" onclick=\"alert(2)\">x</a></body></html>"})
        evil_id = evil.id
    client = _login(_client(site), "viewer")
    aid = _article_id(site, "Hà Giang còn")
    page = client.get(f"/articles/{aid}")
    assert page.status_code == 200
    assert '<span class="place" title="Địa danh: Hà Giang">Hà Giang</span>' in page.text
    assert re.search(r'<mark class="term" title="Từ khoá chủ đề: [^"]*">nhũng nhiễu</mark>', page.text)
    assert f'href="/articles/{aid}/snapshot"' in page.text and "sandbox" in page.text
    page = client.get(f"/articles/{evil_id}")
    assert "<script>window.pwned" not in page.text and "&lt;script&gt;window.pwned=1&lt;/script&gt;" in page.text
    assert "<img src=x" not in page.text
    why = re.search(r'data-field="relevance-why">(.*?)</p>', page.text, re.S).group(1)
    assert "Vì sao liên quan" in why and "dấu hiệu lĩnh vực Công vụ; tỷ lệ câu có thuật ngữ cải cách" in why
    assert "<q>cải cách thủ tục</q>" in why and "<b>x</b>" not in why  # terms are escaped
    snap = client.get(f"/articles/{evil_id}/snapshot")
    assert snap.status_code == 200 and "Bản lưu" in snap.text
    assert "<script" not in snap.text.lower() and "javascript:" not in snap.text and "onclick" not in snap.text
    assert "sandbox" in snap.headers["content-security-policy"]
    assert client.get("/articles/999999").status_code == 404


def _review(client, aid, data):
    token = _token(client, f"/articles/{aid}")
    return client.post(f"/articles/{aid}/review", data={**data, "csrf_token": token}, follow_redirects=False)


def test_review_correction_updates_labels_facts_and_audit(site):
    aid = _article_id(site, "Hà Giang còn")
    client = _login(_client(site), "reviewer")
    r = _review(client, aid, {"action": "correct", "relevant": "1", "themes": ["procedures", "digital_government"],
                              "sentiment": "neutral", "provinces": "Hà Giang, Cao Bằng", "ministries": "Bộ Nội vụ",
                              "note": "Sửa sắc thái"})
    assert r.status_code == 303
    with session_scope(site) as s:
        art = s.get(Article, aid)
        assert art.review_status == "corrected" and art.sentiment == "neutral"
        assert art.themes == ["procedures", "digital_government"] and art.provinces == ["Hà Giang", "Cao Bằng"]
        assert "Tuyên Quang" in art.provinces_current
        review = s.get(Review, aid)
        assert review.reviewer == "reviewer" and review.note == "Sửa sắc thái"
        entry = s.scalars(select(AuditEntry).where(AuditEntry.article_id == aid)).one()
        assert entry.action == "correct" and entry.username == "reviewer"
        assert entry.before["sentiment"] == "negative" and entry.after["sentiment"] == "neutral"
        facts = s.scalars(select(CoverageFact).where(CoverageFact.article_id == aid)).all()
        assert {f.sentiment for f in facts} == {"neutral"} and {f.province for f in facts} == {"Hà Giang", "Cao Bằng"}
    page = client.get(f"/articles/{aid}")
    assert "Đã sửa" in page.text
    # unknown province: refused with the name, nothing saved
    r = _review(client, aid, {"action": "correct", "relevant": "1", "sentiment": "positive", "provinces": "Gotham"})
    assert r.status_code == 400 and "Gotham" in r.text
    with session_scope(site) as s:
        assert s.get(Article, aid).sentiment == "neutral"
    # the admin reads the audit trail; the reviewer may not
    assert client.get("/audit").status_code == 403
    admin = _login(_client(site), "admin")
    audit = admin.get("/audit")
    assert audit.status_code == 200 and "reviewer" in audit.text and "Trung lập" in audit.text and "Tiêu cực" in audit.text


def test_confirm_and_bulk_confirm(site):
    client = _login(_client(site), "reviewer")
    aid = _article_id(site, "Cần Thơ")
    assert _review(client, aid, {"action": "confirm"}).status_code == 303
    with session_scope(site) as s:
        assert s.get(Article, aid).review_status == "confirmed"
    # bulk: the selected ones
    ids = [_article_id(site, "Đà Nẵng rà soát"), _article_id(site, "TP HCM")]
    token = _token(client, "/articles")
    r = client.post("/articles/bulk-confirm", data={"csrf_token": token, "scope": "selected", "ids": ids},
                    follow_redirects=False)
    assert r.status_code == 303 and "msg=" in r.headers["location"]
    with session_scope(site) as s:
        assert [s.get(Article, i).review_status for i in ids] == ["confirmed", "confirmed"]
        assert s.scalar(select(AuditEntry.action).where(AuditEntry.article_id == ids[0])) == "bulk_confirm"
    # bulk: everything unreviewed under a filter
    r = client.post("/articles/bulk-confirm", data={"csrf_token": _token(client, "/articles"), "scope": "all",
                                                    "sentiment": "negative"}, follow_redirects=False)
    assert r.status_code == 303
    with session_scope(site) as s:
        statuses = {a.sentiment: a.review_status for a in s.scalars(select(Article))
                    if a.sentiment == "negative"}
        assert statuses == {"negative": "confirmed"}
        assert s.scalar(select(Article.review_status).where(Article.title.like("Giá vàng%"))) == "unreviewed"


def test_viewer_cannot_edit_and_csrf_is_required(site):
    aid = _article_id(site, "Cần Thơ")
    viewer = _login(_client(site), "viewer")
    page = viewer.get(f"/articles/{aid}")
    assert 'id="review-form"' not in page.text
    token = _token(viewer, "/articles")
    r = viewer.post(f"/articles/{aid}/review", data={"action": "confirm", "csrf_token": token})
    assert r.status_code == 403
    r = viewer.post("/articles/bulk-confirm", data={"scope": "all", "csrf_token": token})
    assert r.status_code == 403
    reviewer = _login(_client(site), "reviewer")
    r = reviewer.post(f"/articles/{aid}/review", data={"action": "confirm"})
    assert r.status_code == 403
    r = reviewer.post(f"/articles/{aid}/review", data={"action": "confirm", "csrf_token": "forged"})
    assert r.status_code == 403
    r = reviewer.post("/articles/bulk-confirm", data={"scope": "all"})
    assert r.status_code == 403
    with session_scope(site) as s:
        assert s.get(Article, aid).review_status == "unreviewed"
        assert s.scalar(select(AuditEntry.id).where(AuditEntry.article_id == aid)) is None
    # logout needs the token too
    assert reviewer.post("/logout", data={}).status_code == 403


def test_dashboard_and_sources(site):
    client = _login(_client(site), "viewer")
    page = client.get("/dashboard")
    assert page.status_code == 200
    assert re.search(r"<title>([^<]*)</title>", page.text).group(1).startswith("Độ phủ tin CCHC")
    assert page.text.count('id="downloads"') == 1
    assert page.text.count("<circle") >= 34
    assert re.search(r'data-province="Đà Nẵng" data-n="2"', page.text)
    assert 'data-province="Tuyên Quang" data-n="1"' in page.text
    assert 'id="kpi-uncovered">26<' in page.text  # 34 - 8 provinces covered
    assert "Cao Bằng" in re.search(r'id="uncovered">(.*?)</p>', page.text, re.S).group(1)
    # each matrix cell links to the list of exactly those articles
    cells = re.findall(r'<td class="num shade\d"><a href="([^"]+)">(\d+)</a>', page.text)
    assert len(cells) >= 8
    for href, n in cells:
        listed = client.get(href.replace("&amp;", "&"))
        assert re.search(rf'id="total-count">{n}<', listed.text), href
    former = client.get("/dashboard", params={"division": "former"})
    assert 'data-province="Hà Giang" data-n="1"' in former.text
    assert client.get("/dashboard", params={"start": "2025-13-01"}).status_code == 400
    sources = client.get("/sources")
    assert sources.status_code == 200
    row = re.search(r'<tr class="(\w+)" data-outlet="baohagiang">', sources.text)
    assert row and row.group(1) == "layout"
    assert re.search(r'<tr class="ok" data-outlet="baodanang">', sources.text)


def test_users_command(sqlite_url, monkeypatch, capsys):
    import io

    from reformwatch.cli import main

    monkeypatch.setattr("sys.stdin", io.StringIO("mat-khau-moi-1\n"))
    assert main(["users", "add", "hoa", "--role", "reviewer", "--password-stdin", "--db", sqlite_url]) == 0
    assert "hoa" in capsys.readouterr().out
    assert main(["users", "add", "hung", "--role", "chief", "--password-stdin", "--db", sqlite_url]) == 2
    err = capsys.readouterr().err
    assert "usage:" in err and "--role 'chief'" in err and "Traceback" not in err
    monkeypatch.setattr("sys.stdin", io.StringIO("ngan\n"))
    assert main(["users", "add", "hung", "--role", "viewer", "--password-stdin", "--db", sqlite_url]) == 2
    assert "too short" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("mat-khau-khac-1\n"))
    assert main(["users", "add", "hoa", "--role", "viewer", "--password-stdin", "--db", sqlite_url]) == 1
    assert "already exists" in capsys.readouterr().err
    assert main(["users", "list", "--db", sqlite_url]) == 0
    assert re.search(r"^hoa\treviewer", capsys.readouterr().out, re.M)
    # the new account signs in to the app
    client = _client(sqlite_url)
    r = client.post("/login", data={"username": "hoa", "password": "mat-khau-moi-1", "csrf_token": _token(client)},
                    follow_redirects=False)
    assert r.status_code == 303
    assert main(["serve", "--port", "70000", "--db", sqlite_url]) == 2
