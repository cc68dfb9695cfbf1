"""The review app in real headless Chromium (Debian's /usr/bin/chromium, driven by Playwright).

The app runs under uvicorn on 127.0.0.1 in a background thread, on a fresh SQLite database
with sample Vietnamese articles.
"""
from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("REFORMWATCH_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]
PASSWORD = "trinh-duyet-123"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _need_chromium() -> None:
    if os.path.exists(CHROMIUM) or shutil.which(CHROMIUM):
        return
    if IN_CI:
        pytest.fail(f"{CHROMIUM} is missing under CI (.ci/run installs Debian's chromium)")
    pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium); under CI=true this fails")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(sqlite_url, fast_hashes):
    _need_chromium()
    import uvicorn

    from storage.db import session_scope
    from storage.users import create_user
    from webapp import sample
    from webapp.app import create_app

    with session_scope(sqlite_url) as s:
        sample.seed(s)
        create_user(s, "admin", PASSWORD, "admin")
        create_user(s, "viewer", PASSWORD, "viewer")
        evil = sample.add_article(s, {
            "outlet": "vnexpress", "days_ago": 1, "themes": ["procedures"], "sentiment": "neutral",
            "title": "Tin có mã độc <script>window.pwned = 'title'; alert('title')</script>",
            "text": "Nội dung <img src=x onerror=\"window.pwned='img'\"> <script>window.pwned='text'</script> thủ tục.",
            "snapshot_html": ("<html><head><script>parent.document.title='pwned'; document.title='pwned';</script></head>"
                              "<body onload=\"document.title='pwned'\"><p id='p'>Bản lưu an toàn</p>"
                              "<img src=x onerror=\"document.title='pwned'\"><a href=\"javascript:alert(1)\">x</a>"
                              "<iframe src=\"javascript:alert(2)\"></iframe></body></html>"),
        })
        evil_id = evil.id
    port = _free_port()
    config = uvicorn.Config(create_app(sqlite_url, secret_key="b" * 48), host="127.0.0.1", port=port,
                            log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 15
    while not server.started:
        if time.time() > deadline:
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    yield {"base": f"http://127.0.0.1:{port}", "evil_id": evil_id, "db": sqlite_url}
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def browser():
    _need_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


def _login(page, base: str, username: str = "admin") -> None:
    page.goto(base + "/articles")
    assert page.url.startswith(base + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/articles.*"))


def test_review_workflow_in_chromium(served, browser):
    base = served["base"]
    context = browser.new_context(locale="vi-VN")
    page = context.new_page()
    csp_errors: list[str] = []
    page.on("console", lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.accept()))

    _login(page, base)
    assert page.locator("#total-count").inner_text() == "9"

    # filter: choosing a sentiment applies at once
    page.select_option("select[name=sentiment]", "negative")
    page.wait_for_url(re.compile(r".*sentiment=negative.*"))
    assert page.locator("#total-count").inner_text() == "2"
    # search without diacritics
    page.goto(base + "/articles")
    page.fill("input[name=q]", "ho so dat dai")
    page.click("#apply-filters")
    page.wait_for_url(re.compile(r".*q=ho.*"))
    assert page.locator("a.title").all_inner_texts() == ["Hà Giang còn hơn 1.200 hồ sơ đất đai trễ hạn"]

    # open the article; terms and places are marked
    page.click("a.title")
    page.wait_for_url(re.compile(r".*/articles/\d+$"))
    assert page.locator("#article-text mark.term").count() >= 2
    assert page.locator("#article-title span.place").inner_text() == "Hà Giang"

    # correct a label
    page.check("input[name=sentiment][value=neutral]")
    page.check("input[name=themes][value=digital_government]")
    page.fill("textarea[name=note]", "Bài trung lập")
    page.click("#correct-button")
    page.wait_for_url(re.compile(r".*msg=.*"))
    assert page.locator("#review-status").inner_text() == "Đã sửa"
    assert page.locator("dd[data-field=sentiment]").inner_text() == "Trung lập"
    assert "Sắc thái: Tiêu cực → Trung lập" in page.locator("#history").inner_text()

    # the audit trail lists it
    page.click("text=Nhật ký")
    page.wait_for_url(base + "/audit")
    first = page.locator("#audit tbody tr").first.inner_text()
    assert "admin" in first and "Sửa nhãn" in first and "Trung lập" in first

    # bulk-confirm the local outlets' unreviewed articles (a confirm dialog is accepted)
    page.goto(base + "/articles?kind=local&status=unreviewed")
    before = int(page.locator("#total-count").inner_text())
    assert before == 2
    page.click("#bulk-all")
    page.wait_for_url(re.compile(r".*msg=.*"))
    assert dialogs and "Xác nhận tất cả" in dialogs[-1]
    assert "Đã xác nhận 2 bài" in page.locator("p.notice").inner_text()
    assert page.locator("#total-count").inner_text() == "0"
    # select-all checkbox + "selected" button
    page.goto(base + "/articles?kind=national&relevant=1")
    page.check("#select-all")
    page.click("#bulk-selected")
    page.wait_for_url(re.compile(r".*msg=.*"))
    assert re.search(r"Đã xác nhận \d+ bài", page.locator("p.notice").inner_text())

    # dashboard
    page.click("text=Độ phủ")
    page.wait_for_url(re.compile(r".*/dashboard.*"))
    assert page.locator("#map circle").count() >= 34
    assert page.locator("#map circle[data-province='Đà Nẵng']").get_attribute("data-n") == "2"
    assert page.locator("#timeline rect").count() >= 1
    assert int(page.locator("#kpi-uncovered").inner_text()) > 0
    page.click("text=Nguồn tin")
    assert "Nghi đổi giao diện" in page.locator("tr[data-outlet=baohagiang]").inner_text()

    assert not csp_errors, csp_errors  # our own pages never trip the CSP
    context.close()


def test_scripts_in_articles_and_snapshots_do_not_run(served, browser):
    base = served["base"]
    context = browser.new_context()
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    _login(page, base, "viewer")
    page.goto(f"{base}/articles/{served['evil_id']}")
    title = page.locator("#article-title").inner_text()
    assert "<script>" in title  # shown as text
    frame_el = page.locator("iframe.snapshot")
    assert frame_el.get_attribute("sandbox") == ""
    page.wait_for_timeout(500)
    frame = page.frame_locator("iframe.snapshot")
    assert frame.locator("#p").inner_text() == "Bản lưu an toàn"
    assert page.evaluate("typeof window.pwned") == "undefined"
    assert page.title() != "pwned"
    # the stored page opened on its own (not framed) does not run scripts either
    snap = context.new_page()
    snap.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    snap.goto(f"{base}/articles/{served['evil_id']}/snapshot")
    snap.wait_for_timeout(300)
    assert snap.title() != "pwned" and snap.evaluate("typeof window.pwned") == "undefined"
    # a viewer has no review form
    assert page.locator("#review-form").count() == 0
    assert dialogs == []
    context.close()
