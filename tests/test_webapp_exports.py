"""The review app's download buttons (Starlette TestClient on SQLite and PostgreSQL): article
exports of the list's current filters, evidence ZIPs and the weekly bulletin from the dashboard.
Every file is opened and checked (csv, openpyxl, zipfile + hashlib, python-docx)."""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import html
import io
import json
import re
import zipfile
from urllib.parse import unquote

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlalchemy import select
from starlette.testclient import TestClient

from storage.db import session_scope
from storage.models import Article
from storage.users import create_user
from webapp import sample
from webapp.app import create_app

from test_browser import browser, served  # noqa: F401 - fixtures for the Chromium test

PASSWORDS = {"reviewer": "duyet-bai-123", "viewer": "chi-xem-123"}
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
TITLE_RE = re.compile(r'class="title" href="/articles/\d+">([^<]+)</a>')
VN_TZ = dt.timezone(dt.timedelta(hours=7))


pytestmark = pytest.mark.usefixtures("fast_hashes")  # real argon2id, cheap parameters (conftest)


@pytest.fixture(autouse=True)
def private_tmp(tmp_path, monkeypatch):
    """Downloads are built in a temporary directory of their own: nothing may be left in it."""
    import tempfile

    path = tmp_path / "downloads-tmp"
    path.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(path))
    yield path
    assert sorted(p.name for p in path.iterdir()) == []


@pytest.fixture
def site(db_url):
    with session_scope(db_url) as s:
        sample.seed(s)
        for name, password in PASSWORDS.items():
            create_user(s, name, password, name)
    return db_url


def _client(db_url, **kw) -> TestClient:
    return TestClient(create_app(db_url, secret_key="e" * 48, **kw))


def _login(client: TestClient, name: str = "viewer") -> TestClient:
    token = CSRF_RE.search(client.get("/login").text).group(1)
    r = client.post("/login", data={"username": name, "password": PASSWORDS[name], "csrf_token": token},
                    follow_redirects=False)
    assert r.status_code == 303, r.text[:300]
    return client


def _button_href(page: str, element_id: str) -> str:
    m = re.search(rf'id="{element_id}" href="([^"]+)"', page)
    assert m, f"no #{element_id} on the page"
    return html.unescape(m.group(1))


def _rfc5987_name(disposition: str) -> str:
    m = re.search(r"filename\*=UTF-8''([^;]+)", disposition)
    assert m, disposition
    return unquote(m.group(1), encoding="utf-8")


def _ascii_name(disposition: str) -> str:
    m = re.search(r'filename="([^"]+)"', disposition)
    assert m, disposition
    name = m.group(1)
    assert name.isascii()
    return name


def _errors(page: str) -> list[str]:
    return [html.unescape(m) for m in re.findall(r"<li>(.*?)</li>", page)]


# --------------------------------------------------------------------------- article list exports
def test_csv_button_downloads_the_filtered_rows(site):
    client = _login(_client(site), "viewer")  # reading is enough to export
    page = client.get("/articles", params={"sentiment": "negative"}).text
    listed = set(TITLE_RE.findall(page))
    assert len(listed) == 2
    href = _button_href(page, "export-csv")
    assert "sentiment=negative" in href and "format=csv" in href
    r = client.get(href)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert r.content.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads the Vietnamese right
    assert "attachment" in r.headers["content-disposition"]
    assert _ascii_name(r.headers["content-disposition"]).endswith(".csv")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    titles = {row[header.index("Tiêu đề")] for row in body}
    assert titles == {html.unescape(t) for t in listed}
    assert {row[header.index("Sắc thái")] for row in body} == {"Tiêu cực"}
    assert r.headers["x-reformwatch-articles"] == str(len(body))

    # no filter: every article, the same count as the list says
    total = int(re.search(r'id="total-count">(\d+)<', client.get("/articles").text).group(1))
    full = client.get("/articles/export?format=csv")
    assert len(list(csv.reader(io.StringIO(full.content.decode("utf-8-sig"))))) - 1 == total
    # a search without diacritics: the export follows it too
    r = client.get("/articles/export", params={"format": "csv", "q": "ho so dat dai"})
    body = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))[1:]
    assert [row[1] for row in body] == ["Hà Giang còn hơn 1.200 hồ sơ đất đai trễ hạn"]


def test_xlsx_and_jsonl_buttons(site):
    from exports.spreadsheet import SHEET_ARTICLES, SHEET_OUTLETS, SHEET_PROVINCE_THEME, SHEET_SUMMARY

    client = _login(_client(site), "viewer")
    params = {"province": "Đà Nẵng", "relevant": "1"}
    page = client.get("/articles", params=params).text
    listed = [html.unescape(t) for t in TITLE_RE.findall(page)]
    assert len(listed) == 2

    r = client.get(_button_href(page, "export-xlsx"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "da-nang" in _ascii_name(r.headers["content-disposition"])
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == [SHEET_ARTICLES, SHEET_PROVINCE_THEME, SHEET_OUTLETS, SHEET_SUMMARY]
    ws = wb[SHEET_ARTICLES]
    header = [c.value for c in ws[1]]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    assert len(rows) == len(listed)
    assert sorted(row[header.index("Tiêu đề")] for row in rows) == sorted(listed)
    assert all(isinstance(row[header.index("Ngày đăng")], dt.datetime) for row in rows)
    province_rows = [[c.value for c in row] for row in wb[SHEET_PROVINCE_THEME].iter_rows(min_row=2)]
    assert {row[0] for row in province_rows} == {"Đà Nẵng"}

    r = client.get(_button_href(page, "export-jsonl"))
    assert r.status_code == 200
    records = [json.loads(line) for line in r.content.decode("utf-8").splitlines()]
    assert sorted(rec["title"] for rec in records) == sorted(listed)
    assert all("Đà Nẵng" in rec["provinces_current"] and rec["relevant"] for rec in records)


def test_export_bad_input_and_empty_result(site):
    client = _login(_client(site), "viewer")
    r = client.get("/articles/export", params={"format": "pdf"})
    assert r.status_code == 400 and "Định dạng" in r.text and "csv, xlsx hoặc jsonl" in r.text
    r = client.get("/articles/export", params={"format": "csv", "from": "2026-13-01"})
    assert r.status_code == 400 and any("Từ ngày" in m for m in _errors(r.text))
    assert 'id="back"' in r.text
    # an empty period: the page says so, the file is a valid header-only CSV
    params = {"from": "2001-01-01", "to": "2001-01-31"}
    page = client.get("/articles", params=params).text
    assert 'id="export-empty"' in page
    r = client.get(_button_href(page, "export-csv"))
    assert r.status_code == 200 and r.headers["x-reformwatch-articles"] == "0"
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert len(rows) == 1 and "Tiêu đề" in rows[0]
    assert "Không có bài viết nào" in unquote(r.headers["x-reformwatch-notice"])
    r = client.get("/articles/export", params={**params, "format": "xlsx"})
    assert load_workbook(io.BytesIO(r.content))["Bài viết"].max_row == 1


def test_downloads_need_a_session_and_a_free_slot(site):
    client = _client(site)
    for path in ("/articles/export?format=csv", "/dashboard/evidence?kind=province&name=Hà Nội",
                 "/dashboard/bulletin?week=2026-W01"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login"), path
    app = create_app(site, secret_key="e" * 48, max_exports=1)
    client = _login(TestClient(app), "viewer")
    slots = app.state.review.export_slots
    assert slots.acquire()  # another export is being built
    try:
        r = client.get("/articles/export?format=csv")
        assert r.status_code == 503 and "đang bận" in r.text and int(r.headers["retry-after"]) > 0
    finally:
        slots.release()
    assert client.get("/articles/export?format=csv").status_code == 200


# --------------------------------------------------------------------------- evidence packs
def test_evidence_zip_from_the_dashboard(site):
    client = _login(_client(site), "viewer")
    page = client.get("/dashboard").text
    assert "Tải hồ sơ minh chứng (ZIP)" in page and 'id="evidence-ministry"' in page
    start = re.search(r'name="start" value="([\d-]+)"', page).group(1)
    end = re.search(r'name="end" value="([\d-]+)"', page).group(1)
    # the matrix row's link carries the dashboard's period
    link = html.unescape(re.search(r'<a class="evidence" href="([^"]+)"[^>]*Đà Nẵng', page).group(1))
    assert f"start={start}" in link and f"end={end}" in link
    r = client.get(link)
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    disposition = r.headers["content-disposition"]
    assert _rfc5987_name(disposition) == f"Hồ sơ minh chứng CCHC - Đà Nẵng - {start}_{end}.zip"
    assert _ascii_name(disposition) == f"ho-so-minh-chung-cchc-da-nang-{start}_{end}.zip"
    zf = zipfile.ZipFile(io.BytesIO(r.content))
    assert zf.testzip() is None
    names = zf.namelist()
    manifest = zf.read("manifest-sha256.txt").decode("utf-8").splitlines()
    listed = {}
    for line in manifest:
        digest, path = line.split("  ", 1)
        listed[path] = digest
    assert set(listed) == set(names) - {"manifest-sha256.txt"}
    for path, digest in listed.items():
        assert hashlib.sha256(zf.read(path)).hexdigest() == digest, path
    with session_scope(site) as s:
        expected = s.scalar(select(Article.id).where(Article.title.like("Đà Nẵng: Trung tâm%")))
    assert any(n.startswith(f"snapshots/{expected}-") for n in names)
    assert len([n for n in names if n.startswith("snapshots/")]) == int(r.headers["x-reformwatch-articles"]) == 2
    assert "Đà Nẵng" in zf.read("index.html").decode("utf-8")

    # a ministry, typed without diacritics, resolves through the gazetteer
    r = client.get("/dashboard/evidence", params={"kind": "ministry", "name": "Bo Tai chinh", "start": start, "end": end})
    assert r.status_code == 200
    assert _rfc5987_name(r.headers["content-disposition"]).startswith("Hồ sơ minh chứng CCHC - Bộ Tài chính - ")
    assert r.headers["x-reformwatch-articles"] == "1"


def test_evidence_bad_input_gives_a_vietnamese_message(site):
    client = _login(_client(site), "viewer")
    r = client.get("/dashboard/evidence", params={"kind": "province", "name": "Ha Nol"})
    assert r.status_code == 400
    msg = " ".join(_errors(r.text))
    assert "“Ha Nol”" in msg and "Có phải" in msg and "Hà Nội" in msg
    r = client.get("/dashboard/evidence", params={"kind": "ministry", "name": "Bộ Hải sản"})
    assert r.status_code == 400 and "Bộ/ngành" in r.text and "Có phải" in r.text
    r = client.get("/dashboard/evidence", params={"kind": "province", "name": ""})
    assert r.status_code == 400 and "hãy chọn" in r.text
    r = client.get("/dashboard/evidence", params={"kind": "xa", "name": "Hà Nội"})
    assert r.status_code == 400 and "Loại đơn vị" in r.text
    r = client.get("/dashboard/evidence", params={"name": "Hà Nội", "start": "2026-05-01", "end": "2026-04-01"})
    assert r.status_code == 400 and "Từ ngày phải trước" in r.text
    # a period with no coverage: a valid ZIP whose index says so, and a notice
    r = client.get("/dashboard/evidence", params={"name": "Hà Nội", "start": "2001-01-01", "end": "2001-03-31"})
    assert r.status_code == 200 and r.headers["x-reformwatch-articles"] == "0"
    assert "Không có bài viết nào về Hà Nội" in unquote(r.headers["x-reformwatch-notice"])
    zf = zipfile.ZipFile(io.BytesIO(r.content))
    assert {"index.html", "index.xlsx", "manifest-sha256.txt"} <= set(zf.namelist())
    assert not [n for n in zf.namelist() if n.startswith("snapshots/")]
    page = client.get("/dashboard", params={"start": "2001-01-01", "end": "2001-03-31"}).text
    assert 'id="downloads-empty"' in page


# --------------------------------------------------------------------------- weekly bulletin
def _theme_headings(doc) -> dict[str, int]:
    """Heading 2 texts of section I: theme label -> story count."""
    out: dict[str, int] = {}
    in_themes = False
    for p in doc.paragraphs:
        if p.style.name == "Heading 1":
            in_themes = p.text.startswith("I. ")
        elif in_themes and p.style.name == "Heading 2":
            m = re.fullmatch(r"\d+\. (.+) \((\d+) tin\)", p.text)
            assert m, p.text
            out[m.group(1)] = int(m.group(2))
    return out


def _expected_themes(db_url, start: dt.date, end: dt.date) -> dict[str, int]:
    from exports.labels import theme_label

    counts: dict[str, int] = {}
    with session_scope(db_url) as s:
        for a in s.scalars(select(Article).where(Article.relevant.is_(True), Article.duplicate_of_id.is_(None))):
            day = a.published.astimezone(VN_TZ).date()
            if start <= day <= end:
                for t in a.themes or [""]:
                    counts[theme_label(t)] = counts.get(theme_label(t), 0) + 1
    return counts


def test_bulletin_from_the_dashboard(site):
    client = _login(_client(site), "viewer")
    page = client.get("/dashboard").text
    week = re.search(r'name="week" value="(\d{4}-W\d{2})"', page).group(1)
    start = dt.date.fromisoformat(re.search(r'name="start" value="([\d-]+)"', page).group(1))
    end = dt.date.fromisoformat(re.search(r'name="end" value="([\d-]+)"', page).group(1))

    # the dashboard's period (week left empty): ZIP of HTML + DOCX
    r = client.get("/dashboard/bulletin", params={"week": "", "start": start, "end": end, "format": "zip"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    assert _rfc5987_name(r.headers["content-disposition"]) == f"Bản tin CCHC {start}_{end}.zip"
    zf = zipfile.ZipFile(io.BytesIO(r.content))
    names = sorted(zf.namelist())
    assert [n.rsplit(".", 1)[1] for n in names] == ["docx", "html"]
    doc = Document(io.BytesIO(zf.read(names[0])))
    expected = _expected_themes(site, start, end)
    assert len(expected) >= 5
    assert _theme_headings(doc) == expected
    html_text = zf.read(names[1]).decode("utf-8")
    assert "Bản tin cải cách hành chính" in html_text

    # one ISO week, DOCX only
    r = client.get("/dashboard/bulletin", params={"week": week, "format": "docx"})
    assert r.status_code == 200
    assert _rfc5987_name(r.headers["content-disposition"]) == f"Bản tin CCHC {week}.docx"
    monday = dt.date.fromisocalendar(int(week[:4]), int(week[6:]), 1)
    doc = Document(io.BytesIO(r.content))
    assert _theme_headings(doc) == _expected_themes(site, monday, monday + dt.timedelta(days=6))
    with session_scope(site) as s:
        in_week = [a for a in s.scalars(select(Article).where(Article.relevant.is_(True),
                                                                Article.duplicate_of_id.is_(None)))
                   if monday <= a.published.astimezone(VN_TZ).date() <= monday + dt.timedelta(days=6)]
    assert int(r.headers["x-reformwatch-articles"]) == len(in_week)

    # an empty week: a valid bulletin that says so
    r = client.get("/dashboard/bulletin", params={"week": "2001-W05", "format": "html"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "Không có tin" in unquote(r.headers["x-reformwatch-notice"])
    assert "attachment" in r.headers["content-disposition"]
    # bad input
    for params, expected_msg in (({"week": "2026-W60"}, "Tuần"), ({"week": "tuan 5"}, "Tuần"),
                                 ({"format": "odt"}, "Định dạng"),
                                 ({"start": "2026-02-01", "end": "2026-01-01"}, "Từ ngày phải trước")):
        r = client.get("/dashboard/bulletin", params=params)
        assert r.status_code == 400 and expected_msg in r.text, params


# --------------------------------------------------------------------------- in Chromium
@pytest.mark.browser
def test_csv_button_in_chromium(served, browser, tmp_path):  # noqa: F811 - fixtures of test_browser
    """A click on "Xuất CSV" in headless Chromium downloads the filtered list."""
    from test_browser import _login as browser_login

    base = served["base"]
    context = browser.new_context(locale="vi-VN", accept_downloads=True)
    page = context.new_page()
    browser_login(page, base, "viewer")
    page.goto(base + "/articles?sentiment=negative")
    listed = sorted(page.locator("a.title").all_inner_texts())
    with page.expect_download() as info:
        page.click("#export-csv")
    download = info.value
    assert download.suggested_filename == "bai-viet-cchc_negative.csv"
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert sorted(row[rows[0].index("Tiêu đề")] for row in rows[1:]) == listed and len(listed) == 2
    context.close()


@pytest.mark.slow
def test_bulletin_pdf_button(site):
    """The PDF button (shown only with LibreOffice or WeasyPrint installed) gives a PDF."""
    from exports.bulletin import pdf_engine

    client = _login(_client(site), "viewer")
    page = client.get("/dashboard").text
    if pdf_engine() is None:
        assert 'value="pdf"' not in page
        r = client.get("/dashboard/bulletin", params={"week": "2026-W01", "format": "pdf"})
        assert r.status_code == 400 and "LibreOffice" in r.text
        return
    assert 'value="pdf"' in page
    week = re.search(r'name="week" value="(\d{4}-W\d{2})"', page).group(1)
    r = client.get("/dashboard/bulletin", params={"week": week, "format": "pdf"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert r.content.startswith(b"%PDF-")
    assert _rfc5987_name(r.headers["content-disposition"]) == f"Bản tin CCHC {week}.pdf"
