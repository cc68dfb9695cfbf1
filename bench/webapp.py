"""Benchmark and screenshots of the review web app.

Page-load time on a large database (target: filtered list and one-year dashboard < 500 ms on
1,000,000 PostgreSQL articles):

    python -m bench.synth --db postgresql+psycopg://postgres@127.0.0.1:5432/rw_bench --n 1000000
    python bench/webapp.py --db postgresql+psycopg://postgres@127.0.0.1:5432/rw_bench

The app is served by uvicorn on 127.0.0.1 (real HTTP, a logged-in session); for each page the
server time (inside the ASGI app) and the full HTTP round-trip (httpx client) are measured,
after one warm-up request, and the median and worst of ``--runs`` loads printed.

Screenshots of the list, article and dashboard pages (realistic Vietnamese sample data, plus
the labeled corpus when ../shared is there):

    python bench/webapp.py --screenshots docs/screenshots
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Optional

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

BENCH_USER, BENCH_PASSWORD = "bench-admin", "bench-admin-password"
CHROMIUM = os.environ.get("REFORMWATCH_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync", "--font-render-hinting=none"]
ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("REFORMWATCH_SHARED", ROOT.parent / "shared"))


class ServerTiming:
    """ASGI wrapper recording the time spent in the app per request path."""

    def __init__(self, app) -> None:
        self.app = app
        self.durations: list[float] = []

    def wait_for(self, n: int, timeout: float = 5.0) -> float:
        """The duration of the n-th request (the app may finish just after the client got the body)."""
        deadline = time.perf_counter() + timeout
        while len(self.durations) < n and time.perf_counter() < deadline:
            time.sleep(0.001)
        return self.durations[n - 1] if len(self.durations) >= n else float("nan")

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        t0 = time.perf_counter()
        try:
            await self.app(scope, receive, send)
        finally:
            self.durations.append(time.perf_counter() - t0)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(app) -> tuple[str, Any, threading.Thread]:
    import uvicorn

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", server, thread


def ensure_user(db_url: str) -> None:
    from sqlalchemy import select

    from storage.db import session_scope
    from storage.models import User
    from storage.users import create_user

    with session_scope(db_url) as s:
        if s.scalar(select(User.id).where(User.username == BENCH_USER)) is None:
            create_user(s, BENCH_USER, BENCH_PASSWORD, "admin", created_by="bench")


def login(client, base: str) -> None:
    import re

    page = client.get(base + "/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = client.post(base + "/login", data={"username": BENCH_USER, "password": BENCH_PASSWORD, "csrf_token": token})
    if "/login" in str(r.url):
        raise SystemExit("bench login failed")


def scenarios(db_url: str) -> list[tuple[str, str]]:
    from sqlalchemy import func, select

    from storage.db import session_scope
    from storage.models import Article, Outlet

    with session_scope(db_url) as s:
        newest = s.scalar(select(func.max(Article.published)))
        outlet = s.scalar(select(Outlet.id).where(Outlet.kind == "local").limit(1)) or ""
        some_id = s.scalar(select(func.max(Article.id)))
    year = (newest.year - 1) if newest else 2025
    start, end = f"{year}-01-01", f"{year}-12-31"
    return [
        ("Danh sách, không lọc", "/articles"),
        ("Danh sách lọc: năm + chủ đề + tiêu cực", f"/articles?from={start}&to={end}&theme=procedures&sentiment=negative"),
        ("Danh sách lọc: tỉnh (hiện hành) + liên quan", "/articles?province=Hà Nội&relevant=1"),
        ("Danh sách lọc: tỉnh cũ + chủ đề + năm", f"/articles?province=Hà Giang&division=former&theme=apparatus&from={start}&to={end}"),
        ("Danh sách lọc: loại báo + chưa duyệt, theo điểm", "/articles?kind=local&status=unreviewed&sort=score"),
        ("Danh sách lọc: một báo", f"/articles?outlet={outlet}"),
        ("Tìm kiếm không dấu 'mot cua'", "/articles?q=mot cua"),
        ("Tìm kiếm + năm 'dich vu cong truc tuyen'", f"/articles?q=dich vu cong truc tuyen&from={start}&to={end}"),
        ("Bài báo", f"/articles/{some_id}"),
        (f"Bảng độ phủ năm {year}", f"/dashboard?start={start}&end={end}"),
        (f"Bảng độ phủ năm {year}, 63 tỉnh cũ", f"/dashboard?start={start}&end={end}&division=former"),
        ("Bảng độ phủ 12 tháng gần nhất", "/dashboard"),
        ("Tình trạng nguồn tin", "/sources"),
    ]


def bench(db_url: str, runs: int) -> list[dict[str, Any]]:
    import httpx

    from sqlalchemy import func, select

    from storage.db import session_scope
    from storage.models import Article
    from webapp.app import create_app

    ensure_user(db_url)
    with session_scope(db_url) as s:
        n = s.scalar(select(func.count()).select_from(Article))
    print(f"database: {db_url.split('@')[-1]} — {n:,} articles")
    timing = ServerTiming(create_app(db_url, secret_key="bench" * 10))
    base, server, thread = serve(timing)
    results = []
    try:
        sent = [0]  # requests sent, redirects included: the n-th one's server time is durations[n - 1]

        def count(_request) -> None:
            sent[0] += 1

        with httpx.Client(timeout=120, follow_redirects=True, event_hooks={"request": [count]}) as client:
            login(client, base)
            pages = scenarios(db_url)
            # the page after the first: follow the list's keyset cursor
            import re

            first = client.get(base + pages[1][1])
            m = re.search(r'id="next-page" href="([^"]+)"', first.text)
            if m:
                pages.insert(2, ("Danh sách lọc, trang sau (keyset)", m.group(1).replace("&amp;", "&")))
            for label, path in pages:
                t0 = time.perf_counter()
                client.get(base + path)  # warm-up: the first load, caches cold for this page's query
                first = time.perf_counter() - t0
                server_t, round_t = [], []
                status = None
                for _ in range(runs):
                    timing.wait_for(sent[0])  # the previous request has left the app
                    t0 = time.perf_counter()
                    r = client.get(base + path)
                    round_t.append(time.perf_counter() - t0)
                    server_t.append(timing.wait_for(sent[0]))
                    status = r.status_code
                row = {"page": label, "path": path, "status": status, "first_http_ms": 1000 * first,
                       "server_ms_median": 1000 * statistics.median(server_t), "server_ms_max": 1000 * max(server_t),
                       "http_ms_median": 1000 * statistics.median(round_t), "http_ms_max": 1000 * max(round_t)}
                results.append(row)
                flag = "" if row["http_ms_median"] < 500 else "  <-- over 500 ms"
                print(f"{label:<48} {status}  server {row['server_ms_median']:7.1f} ms (max {row['server_ms_max']:7.1f})"
                      f"  HTTP {row['http_ms_median']:7.1f} ms (max {row['http_ms_max']:7.1f}, first {1000 * first:7.1f})"
                      f"{flag}", flush=True)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    return results


# --------------------------------------------------------------------------- screenshots
def _corpus_records(limit: int = 40) -> list[dict[str, Any]]:
    """Real labeled articles from ../shared/corpus (bench only; the product never reads it)."""
    path = SHARED / "corpus" / "articles.jsonl"
    if not path.exists():
        return []
    import datetime as dt
    import random

    from webapp.places import province_names, province_to_current

    known = set(province_names("former")) | set(province_names("current"))
    rows = [json.loads(line) for line in path.open(encoding="utf-8")]
    random.Random(3).shuffle(rows)
    out = []
    for i, r in enumerate(rows[:limit]):
        provinces = [p for p in r.get("provinces") or [] if p in known]
        out.append({
            "outlet": r["outlet"], "title": r["title"], "text": r["text"][:4000],
            "url": r["url"], "days_ago": 3 + (i * 11) % 330,
            "relevant": r["relevant"], "score": 0.92 if r["relevant"] else 0.08, "themes": r.get("themes") or [],
            "sentiment": r.get("sentiment") or "neutral", "provinces": provinces,
            "provinces_current": list(dict.fromkeys(province_to_current(p) for p in provinces)),
            "ministries": [],
        })
    return out


def screenshots(out_dir: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright
    from sqlalchemy import select

    from storage.db import session_scope
    from storage.models import Article
    from storage.users import create_user
    from webapp import sample
    from webapp.app import create_app

    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="rw-shots-")
    db_url = f"sqlite:///{tmp}/shots.sqlite3"
    records = _corpus_records()
    with session_scope(db_url) as s:
        sample.add_outlets(s, [{"id": d, "name": d, "domain": d, "kind": "national"}
                               for d in sorted({r["outlet"] for r in records})])
        sample.seed(s, extra=records)
        create_user(s, BENCH_USER, BENCH_PASSWORD, "admin", created_by="bench")
        first_id = s.scalar(select(Article.id).where(Article.title.like("Hà Giang còn%")))
    base, server, thread = serve(create_app(db_url, secret_key="shots" * 10))
    written = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            page = browser.new_page(viewport={"width": 1440, "height": 1000}, locale="vi-VN")
            page.goto(base + "/login")
            page.fill("input[name=username]", BENCH_USER)
            page.fill("input[name=password]", BENCH_PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_load_state()
            shots = [
                ("list.png", "/articles?relevant=1", False),
                ("article.png", f"/articles/{first_id}", False),
                ("dashboard.png", "/dashboard", True),
                ("sources.png", "/sources", False),
            ]
            for name, path, full in shots:
                page.goto(base + path)
                page.wait_for_load_state("networkidle")
                target = out_dir / name
                page.screenshot(path=str(target), full_page=full)
                written.append(target)
                print(f"wrote {target}")
            browser.close()
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    return written


def main(argv: Optional[list[str]] = None) -> int:
    p = argparse.ArgumentParser(description="Review web app: page-load benchmark and screenshots.")
    p.add_argument("--db", help="database to measure (PostgreSQL with 1,000,000 articles for the target figures)")
    p.add_argument("--generate", type=int, default=0, metavar="N",
                   help="first insert N synthetic articles with bench.synth when the database has none")
    p.add_argument("--runs", type=int, default=5, help="loads per page (default 5)")
    p.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    p.add_argument("--screenshots", metavar="DIR", help="take PNG screenshots of the pages into DIR and exit")
    args = p.parse_args(argv)
    if args.screenshots:
        screenshots(Path(args.screenshots))
        return 0
    if not args.db:
        p.error("--db is required (or --screenshots DIR)")
    if args.generate:
        from sqlalchemy import func, select

        from storage.db import session_scope
        from storage.models import Article

        with session_scope(args.db) as s:
            empty = not s.scalar(select(func.count()).select_from(Article))
        if empty:
            from bench.synth import generate

            generate(args.db, args.generate, seed=1, progress=True)
    results = bench(args.db, args.runs)
    if args.json:
        Path(args.json).write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
