"""The demo site server: fictional outlets on 127.0.0.1 for the demo and the crawler's tests.

``DemoSite`` serves every demo outlet under its own path prefix from one
``ThreadingHTTPServer`` running in a daemon thread, writes a registry TOML for them, and
records every request. See docs/demo.md for the URL layout.

Run standalone: ``python -m crawler.demo.site [--port 8765] [--generated N] [--no-faults]``.
"""
from __future__ import annotations

import argparse
import json
import math
import re
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
import weakref
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable, Optional
from urllib.parse import parse_qs, urlsplit

from crawler.demo import content, faults, render
from crawler.demo.content import Article
from crawler.demo.outlets import BY_ID, CATEGORY_PER_PAGE, LATEST, OUTLETS, PER_PAGE, ROBOTS_DISALLOWED, SITEMAP_LIMIT, Outlet

FEED_SIZE = 20
NEWS_SITEMAP_SIZE = 100
HUGE_SIZE = 50 * 1024 * 1024
TRACKING = "utm_source={src}&utm_medium={medium}&utm_campaign=demo"


class _Response:
    def __init__(self, status: int, body: bytes = b"", content_type: str = "text/html; charset=utf-8",
                 headers: Optional[dict] = None, stream: Optional[Callable[[], object]] = None,
                 length: Optional[int] = None):
        self.status, self.body, self.content_type = status, body, content_type
        self.headers = headers or {}
        self.stream, self.length = stream, length


def _html(text: str, status: int = 200, headers: Optional[dict] = None) -> _Response:
    return _Response(status, text.encode("utf-8"), headers=headers)


def _xml(text: str, kind: str = "application/xml") -> _Response:
    return _Response(200, text.encode("utf-8"), f"{kind}; charset=utf-8")


class DemoSite:
    """Serve the demo outlets on 127.0.0.1 (a context manager)."""

    def __init__(self, *, port: int = 0, generated: int = 0, faults: bool = True, seed: int = 7,
                 slow_delay: float = 5.0, huge_size: int = HUGE_SIZE, articles_file: Optional[Path] = None):
        for name, value, low in (("port", port, 0), ("generated", generated, 0), ("huge_size", huge_size, 0)):
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise ValueError(f"DemoSite: {name} must be a whole number >= {low}, got {value!r}")
        if port > 65535:
            raise ValueError(f"DemoSite: port must be at most 65535, got {port}")
        if not isinstance(slow_delay, (int, float)) or slow_delay < 0:
            raise ValueError(f"DemoSite: slow_delay must be a number of seconds >= 0, got {slow_delay!r}")
        self.port = port
        self.faults_enabled = faults
        self.slow_delay = slow_delay
        self.huge_size = huge_size
        self.request_log: list[tuple[str, str, int]] = []
        self._log_lock = threading.Lock()
        self._lock = threading.RLock()
        self._server: Optional[ThreadingHTTPServer] = None
        self._thread: Optional[threading.Thread] = None
        self._tmpdir: Optional[Path] = None
        self.base_url = ""
        self.registry_path = Path()
        bundled = content.load_bundled(articles_file) if articles_file else content.load_bundled()
        self.articles: list[Article] = bundled + content.generate(generated, seed)
        self._by_path: dict[str, Article] = {a.path: a for a in self.articles}
        self._by_amp: dict[str, Article] = {a.amp_path: a for a in self.articles if BY_ID[a.outlet].amp}
        self._by_outlet: dict[str, list[Article]] = {o.id: [] for o in OUTLETS}
        for article in sorted(self.articles, key=lambda a: (a.published, a.id), reverse=True):
            self._by_outlet[article.outlet].append(article)
        self.faults: dict[str, str] = {}

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> "DemoSite":
        if self._server is not None:
            return self
        server = _Server(("127.0.0.1", self.port), _Handler)
        server.site = self
        self._server = server
        self.port = server.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.faults = ({f.name: self.base_url + f.path for f in faults.FAULTS} if self.faults_enabled else {})
        self._tmpdir = Path(tempfile.mkdtemp(prefix="reformwatch-demo-"))
        # the registry's folder goes away with the site, or at interpreter exit if stop() is never called
        self._cleanup = weakref.finalize(self, shutil.rmtree, str(self._tmpdir), True)
        self.registry_path = self._tmpdir / "sources.toml"
        self.registry_path.write_text(self.registry_toml(), encoding="utf-8")
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=f"demo-site-{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._server.close_connections()     # kept-alive connections must not outlive the site
        self._server = None
        if self._tmpdir is not None:
            self._cleanup()
            self._tmpdir = None

    def __enter__(self) -> "DemoSite":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- public helpers -------------------------------------------------------------------
    def article_urls(self, outlet_id: Optional[str] = None) -> list[str]:
        """Canonical URLs of every article page (bundled and generated), newest first per outlet."""
        if outlet_id is not None and outlet_id not in BY_ID:
            raise KeyError(f"unknown demo outlet {outlet_id!r}; known: {', '.join(BY_ID)}")
        outlets = [outlet_id] if outlet_id else [o.id for o in OUTLETS]
        return [self.base_url + a.path for oid in outlets for a in self._by_outlet[oid]]

    def labels_by_url(self) -> dict[str, dict]:
        """The labels each article was written (or generated) to carry, by canonical URL."""
        return {self.base_url + a.path: dict(a.labels) for a in self.articles}

    def article_for(self, url: str) -> Article:
        path = urlsplit(url).path
        article = self._by_path.get(path) or self._by_amp.get(path)
        if article is None:
            raise KeyError(f"no demo article at {url!r}")
        return article

    def set_body(self, url: str, new_paragraphs: list[str]) -> None:
        """Replace an article's paragraphs; its modified date (Last-Modified, ETag) moves forward."""
        if not new_paragraphs or not all(isinstance(p, str) and p.strip() for p in new_paragraphs):
            raise ValueError("set_body needs a non-empty list of non-empty paragraphs")
        with self._lock:
            article = self.article_for(url)
            article.paragraphs = [content.nfc(p) for p in new_paragraphs]
            now = datetime.now(content.VN).replace(microsecond=0)
            article.modified = max(article.modified + timedelta(minutes=1), now)

    def clear_log(self) -> None:
        with self._log_lock:
            self.request_log.clear()

    def requested_paths(self) -> list[str]:
        with self._log_lock:
            return [path for _, path, _ in self.request_log]

    def _log(self, method: str, path: str, status: int) -> None:
        with self._log_lock:
            self.request_log.append((method, path, status))

    # -- URLs -----------------------------------------------------------------------------
    def feed_path(self, outlet: Outlet) -> str:
        return f"/{outlet.id}/rss.xml" if outlet.feed == "rss" else f"/{outlet.id}/atom.xml"

    def listing_path(self, outlet: Outlet, section: str, page: int) -> str:
        if page <= 1:
            return f"/{outlet.id}/{section}/"
        if outlet.pagination == "query":
            return f"/{outlet.id}/{section}/?trang={page}"
        return f"/{outlet.id}/{section}/page/{page}"

    def _tracked(self, outlet: Outlet, href: str, src: str, medium: str, n: int) -> str:
        if not outlet.tracking:
            return href
        return f"{href}?{TRACKING.format(src=src, medium=medium)}#box-{n % 5}"

    def _fault_entries(self, outlet: Outlet, where: str) -> list[faults.Fault]:
        if not self.faults_enabled:
            return []
        return [f for f in faults.FAULTS if f.outlet == outlet.id and f.linked_from == where]

    def section_articles(self, outlet: Outlet, section: str) -> list[Article]:
        items = self._by_outlet[outlet.id]
        return items if section == LATEST else [a for a in items if a.category == section]

    @staticmethod
    def per_page(section: str) -> int:
        return PER_PAGE if section == LATEST else CATEGORY_PER_PAGE

    def pages(self, outlet: Outlet, section: str) -> int:
        return max(1, math.ceil(len(self.section_articles(outlet, section)) / self.per_page(section)))

    def main_category(self, outlet: Outlet) -> str:
        """The outlet's category with the most articles (the registry lists it besides "latest")."""
        counts = {slug: len(self.section_articles(outlet, slug)) for slug, _ in outlet.categories}
        return max(outlet.categories, key=lambda c: counts[c[0]])[0]

    # -- registry -------------------------------------------------------------------------
    def registry_toml(self) -> str:
        base = self.base_url
        q = lambda s: json.dumps(s, ensure_ascii=False)
        lines = ["# Demo outlets served by crawler.demo.site.DemoSite (fictional; for tests and the demo).",
                 f"# Base URL: {base}", ""]
        for o in OUTLETS:
            feeds = [base + self.feed_path(o)]
            if self.faults_enabled and o.id == faults.BY_NAME["broken_feed"].outlet:
                feeds.append(base + faults.BY_NAME["broken_feed"].path)
            sitemaps = [f"{base}/{o.id}/sitemap.xml"]
            if self.faults_enabled and o.id == faults.BY_NAME["html_sitemap"].outlet:
                sitemaps.append(base + faults.BY_NAME["html_sitemap"].path)
            host = base.split("://", 1)[1]
            lines += ["[[outlet]]", f"id = {q(o.id)}", f"name = {q(o.name)}", f"domain = {q(f'{host}/{o.id}')}",
                      f"kind = {q(o.kind)}"]
            if o.province:
                lines += [f"province = {q(o.province)}", f"province_current = {q(o.province_current)}"]
            lines += ["verified = true",
                      f"feeds = [{', '.join(q(u) for u in feeds)}]",
                      f"sitemaps = [{', '.join(q(u) for u in sitemaps)}]"]
            pattern = "^" + re.escape(f"{base}/{o.id}/") + r"(?:amp/)?[a-z0-9-]+/[a-z0-9-]+-\d+\.html"
            for section in (LATEST, self.main_category(o)):
                lines += ["", "[[outlet.listing]]", f"url = {q(base + self.listing_path(o, section, 1))}",
                          f"article_pattern = {q(pattern)}"]
                if o.pagination == "path":
                    lines.append(f"next_page = {q(base + f'/{o.id}/{section}/page/{{page}}')}")
                else:
                    lines.append('next_selector = "a.trang-sau"')
                lines.append(f"max_pages = {self.pages(o, section)}")
            lines += ["", "[outlet.politeness]", "delay = 0", "concurrency = 8", ""]
        return "\n".join(lines)

    # -- routing --------------------------------------------------------------------------
    def respond(self, raw_path: str, headers) -> _Response:
        split = urlsplit(raw_path)
        path, query = split.path, parse_qs(split.query)
        if path in ("/", "/index.html"):
            return _html(render.portal_page(OUTLETS))
        if path == "/robots.txt":
            return _Response(200, self.robots_txt().encode(), "text/plain; charset=utf-8")
        if self.faults_enabled:
            fault = faults.BY_PATH.get(path)
            if fault is not None:
                return self.fault_response(fault, headers)
            if path == faults.REDIRECT_PARTNER:
                return _Response(302, b"", headers={"Location": faults.BY_NAME["redirect_loop"].path})
        article = self._by_path.get(path)
        if article is not None:
            return self.article_response(article, headers, amp=False)
        article = self._by_amp.get(path)
        if article is not None:
            return self.article_response(article, headers, amp=True)
        parts = [p for p in path.split("/") if p]
        if not parts or parts[0] not in BY_ID:
            return self.not_found()
        outlet = BY_ID[parts[0]]
        rest = parts[1:]
        if not rest:
            return self.home(outlet)
        if rest == ["lien-he.html"]:
            return _html(render.contact_page(outlet, self.base_url + path))
        if rest in (["rss.xml"], ["atom.xml"]) and self.feed_path(outlet) == path:
            return self.feed(outlet)
        if rest == ["sitemap.xml"]:
            return self.sitemap_root(outlet)
        if rest == ["sitemap-news.xml"] and outlet.news_sitemap:
            return _xml(render.news_urlset(outlet, self._entries(outlet, self._by_outlet[outlet.id][:NEWS_SITEMAP_SIZE])))
        match = re.fullmatch(r"sitemap-articles-([0-9-]+)\.xml", rest[0]) if len(rest) == 1 else None
        if match:
            return self.sitemap_child(outlet, match.group(1))
        sections = {LATEST} | {slug for slug, _ in outlet.categories}
        if rest[0] in sections:
            page = None
            if len(rest) == 1:
                page = 1
                if outlet.pagination == "query" and "trang" in query:
                    page = int(query["trang"][0]) if query["trang"][0].isdigit() else None
            elif len(rest) == 3 and rest[1] == "page" and rest[2].isdigit() and outlet.pagination == "path":
                page = int(rest[2])
            if page is not None:
                return self.listing(outlet, rest[0], page)
        return self.not_found()

    def not_found(self) -> _Response:
        return _html(render.simple_page("Không tìm thấy trang", "Trang bạn tìm không tồn tại (404)."), 404)

    def robots_txt(self) -> str:
        lines = ["User-agent: *", f"Disallow: {ROBOTS_DISALLOWED}", "Disallow: /*/tim-kiem", ""]
        lines += [f"Sitemap: {self.base_url}/{o.id}/sitemap.xml" for o in OUTLETS]
        return "\n".join(lines) + "\n"

    def _entries(self, outlet: Outlet, articles: list[Article], *, amp: bool = False) -> list[render.Entry]:
        return [render.Entry(a.title, self.base_url + (a.amp_path if amp else a.path), a.published, a.modified,
                             a.lead, a.author, dict(outlet.categories).get(a.category, a.category))
                for a in articles]

    def _fault_entry(self, fault: faults.Fault) -> render.Entry:
        stamp = content.REFERENCE_NOW - timedelta(hours=3)
        return render.Entry(fault.title, self.base_url + fault.path, stamp, stamp, fault.title, "", "")

    def home(self, outlet: Outlet) -> _Response:
        items = [{"href": a.path, "title": a.title, "lead": a.lead} for a in self._by_outlet[outlet.id][:10]]
        return _html(render.home_page(outlet, items, f"{self.base_url}/{outlet.id}/", self._by_outlet[outlet.id][:5]))

    def listing(self, outlet: Outlet, section: str, page: int) -> _Response:
        pages = self.pages(outlet, section)
        if page < 1 or page > pages:
            return self.not_found()
        size = self.per_page(section)
        chunk = self.section_articles(outlet, section)[(page - 1) * size: page * size]
        items = []
        if page == 1 and section == LATEST:
            items += [{"href": f.path, "title": f.title, "lead": "", "date": ""}
                      for f in self._fault_entries(outlet, "listing")]
        for n, a in enumerate(chunk):
            items.append({"href": self._tracked(outlet, a.path, "listing", "web", n), "title": a.title,
                          "lead": a.lead, "date": render.dateline(outlet, a.published)})
        heading = "Tin mới" if section == LATEST else dict(outlet.categories)[section]
        prev_href = self.listing_path(outlet, section, page - 1) if page > 1 else None
        next_href = self.listing_path(outlet, section, page + 1) if page < pages else None
        return _html(render.listing_page(outlet, heading, items, page, pages, prev_href, next_href,
                                         self._by_outlet[outlet.id][:5]))

    def feed(self, outlet: Outlet) -> _Response:
        latest = self._by_outlet[outlet.id][:FEED_SIZE]
        entries = [self._fault_entry(f) for f in self._fault_entries(outlet, "feed")]
        for n, e in enumerate(self._entries(outlet, latest, amp=outlet.feed_links_amp)):
            entries.append(e._replace(href=self._tracked(outlet, e.href, "rss", "feed", n)))
        home, self_url = f"{self.base_url}/{outlet.id}/", self.base_url + self.feed_path(outlet)
        if outlet.feed == "rss":
            return _xml(render.rss(outlet, home, self_url, entries), "application/rss+xml")
        return _xml(render.atom(outlet, home, self_url, entries), "application/atom+xml")

    def sitemap_children(self, outlet: Outlet) -> dict[str, list[render.Entry]]:
        """Child sitemaps by key: per month for "index" outlets, else numbered; ≤ SITEMAP_LIMIT URLs each."""
        articles = self._by_outlet[outlet.id]
        if outlet.sitemap == "index":
            groups: dict[str, list[Article]] = {}
            for article in articles:
                groups.setdefault(f"{article.published:%Y-%m}", []).append(article)
        else:
            groups = {"": articles}
        children: dict[str, list[render.Entry]] = {}
        extra = [self._fault_entry(f) for f in self._fault_entries(outlet, "sitemap")]
        for n, (key, group) in enumerate(groups.items()):
            entries = self._entries(outlet, group) + (extra if n == 0 else [])
            chunks = [entries[i:i + SITEMAP_LIMIT] for i in range(0, len(entries), SITEMAP_LIMIT)] or [[]]
            for k, chunk in enumerate(chunks, start=1):
                children["-".join(part for part in (key, str(k) if (k > 1 or not key) else "") if part)] = chunk
        return children

    def sitemap_root(self, outlet: Outlet) -> _Response:
        children = self.sitemap_children(outlet)
        if outlet.sitemap == "plain" and len(children) == 1:
            return _xml(render.urlset(next(iter(children.values()))))
        index = []
        if outlet.news_sitemap:
            latest = self._by_outlet[outlet.id][0].modified if self._by_outlet[outlet.id] else None
            index.append((f"{self.base_url}/{outlet.id}/sitemap-news.xml", latest))
        for key, chunk in children.items():
            index.append((f"{self.base_url}/{outlet.id}/sitemap-articles-{key}.xml",
                          max((e.modified for e in chunk), default=None)))
        return _xml(render.sitemap_index(index))

    def sitemap_child(self, outlet: Outlet, key: str) -> _Response:
        children = self.sitemap_children(outlet)
        if key not in children or (outlet.sitemap == "plain" and len(children) == 1):
            return self.not_found()
        return _xml(render.urlset(children[key]))

    def article_response(self, article: Article, headers, *, amp: bool) -> _Response:
        outlet = BY_ID[article.outlet]
        etag = article.etag
        last_modified = format_datetime(article.modified.astimezone(timezone.utc), usegmt=True)
        cache = {"ETag": etag, "Last-Modified": last_modified, "Cache-Control": "max-age=60"}
        if _not_modified(headers, etag, article.modified):
            return _Response(304, b"", headers=cache)
        if amp:
            return _html(render.amp_page(outlet, article, self.base_url), headers=cache)
        siblings = [a for a in self._by_outlet[outlet.id] if a is not article]
        related = [a for a in siblings if a.category == article.category][:4]
        return _html(render.article_page(outlet, article, self.base_url, related, siblings[:5]), headers=cache)

    def fault_response(self, fault: faults.Fault, headers) -> _Response:
        url = self.base_url + fault.path
        if fault.name == "broken_feed":
            return _Response(200, faults.BROKEN_FEED.encode(), "application/rss+xml; charset=utf-8")
        if fault.name == "html_sitemap":
            return _html(render.simple_page("Video", "Trang video đang được nâng cấp, vui lòng quay lại sau."))
        if fault.name == "not_found":
            return self.not_found()
        if fault.name == "server_error":
            return _html(render.simple_page("Lỗi máy chủ", "Máy chủ gặp sự cố (500)."), 500)
        if fault.name == "slow":
            time.sleep(self.slow_delay)
            return _html(render.simple_page(fault.title, "Trang này trả lời sau một khoảng trễ dài."))
        if fault.name in ("wrong_charset", "no_charset"):
            body = faults.legacy_page(fault.name, url, declare_meta=fault.name == "wrong_charset")
            ctype = "text/html; charset=utf-8" if fault.name == "wrong_charset" else "text/html"
            return _Response(200, body, ctype)
        if fault.name == "huge":
            return _Response(200, content_type="text/html; charset=utf-8", length=self.huge_size,
                             stream=lambda: faults.huge_page_chunks(self.huge_size))
        if fault.name == "redirect_loop":
            return _Response(302, b"", headers={"Location": faults.REDIRECT_PARTNER})
        if fault.name == "not_article":
            return _html(render.contact_page(BY_ID[fault.outlet], url))
        if fault.name == "robots_disallowed":
            return _html(render.simple_page(fault.title, "Trang nội bộ: robots.txt cấm thu thập trang này."))
        raise AssertionError(f"unhandled fault {fault.name}")


def _not_modified(headers, etag: str, modified: datetime) -> bool:
    inm = headers.get("If-None-Match")
    if inm:
        return etag in [t.strip() for t in inm.split(",")] or inm.strip() == "*"
    ims = headers.get("If-Modified-Since")
    if ims:
        try:
            since = parsedate_to_datetime(ims)
        except (TypeError, ValueError):
            return False
        if since.tzinfo is None:
            since = since.replace(tzinfo=timezone.utc)
        return modified.replace(microsecond=0) <= since
    return False


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    site: DemoSite

    def __init__(self, *args, **kwargs):
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def track(self, connection: socket.socket, alive: bool) -> None:
        with self._connections_lock:
            (self._connections.add if alive else self._connections.discard)(connection)

    def close_connections(self) -> None:
        with self._connections_lock:
            connections, self._connections = list(self._connections), set()
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "DemoNewsServer/1.0"
    timeout = 60                      # idle keep-alive connections are dropped after a minute
    server: _Server

    def setup(self):
        super().setup()
        self.server.track(self.connection, True)

    def finish(self):
        try:
            super().finish()
        finally:
            self.server.track(self.connection, False)

    def log_request(self, code="-", size="-"):
        try:
            status = int(code)
        except (TypeError, ValueError):
            status = 0
        self.server.site._log(self.command or "", self.path or "", status)

    def log_message(self, format, *args):
        pass

    def do_HEAD(self):
        self._serve(head=True)

    def do_GET(self):
        self._serve(head=False)

    def _serve(self, *, head: bool):
        try:
            response = self.server.site.respond(self.path, self.headers)
        except Exception as exc:  # a bug in the demo site must show, not hang the client
            response = _html(render.simple_page("Lỗi máy chủ", f"{type(exc).__name__}: {exc}"), 500)
        length = response.length if response.stream is not None else len(response.body)
        try:
            self.send_response(response.status)
            if response.status != 304:
                self.send_header("Content-Type", response.content_type)
            for key, value in response.headers.items():
                self.send_header(key, value)
            if response.status != 304:
                self.send_header("Content-Length", str(length))
            self.end_headers()
            if head or response.status == 304:
                return
            if response.stream is not None:
                for chunk in response.stream():
                    self.wfile.write(chunk)
            else:
                self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawler.demo.site",
                                     description="Serve the ReformWatch demo outlets on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=8765, help="port to listen on (0 = any free port)")
    parser.add_argument("--generated", type=int, default=0, help="number of extra synthetic articles")
    parser.add_argument("--seed", type=int, default=7, help="seed for the synthetic articles")
    parser.add_argument("--no-faults", action="store_true", help="do not serve or link the fault pages")
    parser.add_argument("--slow-delay", type=float, default=5.0, help="seconds the slow fault page sleeps")
    parser.add_argument("--registry", type=Path, help="also copy the demo registry TOML to this file")
    args = parser.parse_args(argv)
    if args.generated < 0:
        parser.error("--generated must be zero or more")
    if not 0 <= args.port <= 65535:
        parser.error("--port must be between 0 and 65535")
    if args.slow_delay < 0:
        parser.error("--slow-delay must be zero or more")
    if args.registry is not None and not args.registry.parent.is_dir():
        parser.error(f"--registry: directory {args.registry.parent} does not exist")
    try:
        site = DemoSite(port=args.port, generated=args.generated, faults=not args.no_faults, seed=args.seed,
                        slow_delay=args.slow_delay).start()
    except OSError as exc:
        print(f"cannot listen on 127.0.0.1:{args.port}: {exc}", file=sys.stderr)
        return 2
    except content.DemoDataError as exc:
        print(f"bad demo data: {exc}", file=sys.stderr)
        return 2
    registry = site.registry_path
    if args.registry is not None:
        shutil.copyfile(site.registry_path, args.registry)
        registry = args.registry
    print(f"Demo site: {site.base_url}/")
    print(f"Registry:  {registry}")
    print(f"Articles:  {len(site.articles)} ({len(OUTLETS)} outlets)")
    print("Press Ctrl+C to stop.", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        site.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
