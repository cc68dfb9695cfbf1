"""The review web app: ``create_app(db_url)`` returns the ASGI application.

Server-rendered pages (Jinja2, autoescaped), a little plain JS from /static, no CDN.
Database work runs in Starlette's thread pool with one SQLAlchemy session per request.
"""
from __future__ import annotations

import datetime as dt
import logging
import math
import os
import re
import secrets
from pathlib import Path
from typing import Any, Callable, Optional
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from sqlalchemy import select, text
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from storage.db import data_dir, session_factory
from storage.labels import apply_review
from storage.models import (
    Annotation,
    Article,
    ArticleMention,
    AuditEntry,
    Outlet,
    Review,
    Snapshot,
    User,
)
from storage.queries import ArticleFilter, FilterError, filtered_articles, summarize
from storage.users import authenticate, role_at_least
from webapp import downloads, labels_vi, places
from webapp.filters import BadFilter, filter_params, parse_filter, query_string
from webapp.render import decode_snapshot, sanitize_html, text_segments, theme_terms
from webapp.security import (
    CSRF_FIELD,
    SNAPSHOT_CSP,
    CSRFError,
    LoginRateLimiter,
    LoginRequiredMiddleware,
    SecurityHeadersMiddleware,
    checked_form,
    csrf_token,
    safe_next,
)

HERE = Path(__file__).resolve().parent
log = logging.getLogger("reformwatch.webapp")
VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
SESSION_COOKIE = "rw_session"
SESSION_MAX_AGE = 12 * 3600
BULK_LIMIT = 500
SECRET_ENV = "REFORMWATCH_SECRET_KEY"
SECURE_ENV = "REFORMWATCH_SECURE_COOKIES"
WORK_MEM_ENV = "REFORMWATCH_PG_WORK_MEM"  # PostgreSQL work_mem per request ('' keeps the server's)


def _secret_key() -> str:
    """$REFORMWATCH_SECRET_KEY, else a random key kept (0600) in the data directory."""
    key = os.environ.get(SECRET_ENV)
    if key:
        return key
    path = data_dir() / "webapp_secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(key)
        return key


# --------------------------------------------------------------------------- template helpers
def fmt_dt(value: Optional[dt.datetime], with_time: bool = True) -> str:
    if value is None:
        return "—"
    local = value.astimezone(VN_TZ)
    return local.strftime("%d/%m/%Y %H:%M" if with_time else "%d/%m/%Y")


def fmt_num(value: Any) -> str:
    try:
        return f"{int(value):,}".replace(",", ".")
    except (TypeError, ValueError):
        return "—"


def fmt_pct(value: Optional[float]) -> str:
    if value is None:
        return "—"
    return f"{value * 100:.1f}".replace(".", ",") + "%"


def fmt_date(value: dt.date) -> str:
    return value.strftime("%d/%m/%Y")


def http_url(value: Optional[str]) -> Optional[str]:
    """``value`` when it is an http(s) URL, else None (a stored URL is untrusted: no javascript:)."""
    if value and value.strip().lower().startswith(("http://", "https://")):
        return value.strip()
    return None


class ReviewApp:
    def __init__(self, db_url: Optional[str], *, rate_limiter: Optional[LoginRateLimiter] = None,
                 max_exports: Optional[int] = None) -> None:
        self.sessions = session_factory(db_url)
        self.limiter = rate_limiter or LoginRateLimiter()
        self.export_slots = downloads.ExportSlots(max_exports)
        self.work_mem = os.environ.get(WORK_MEM_ENV, "64MB")
        if self.work_mem and not re.fullmatch(r"\d+(kB|MB|GB)", self.work_mem):
            raise ValueError(f"${WORK_MEM_ENV}={self.work_mem!r}: expected a size such as 64MB")
        self.templates = Jinja2Templates(directory=str(HERE / "templates"))
        env = self.templates.env
        env.globals.update(
            L=labels_vi, fmt_dt=fmt_dt, fmt_num=fmt_num, fmt_pct=fmt_pct, CSRF_FIELD=CSRF_FIELD,
            role_at_least=role_at_least, query_string=query_string,
        )
        env.filters["theme_short"] = lambda code: labels_vi.THEME_SHORT.get(code, code)
        env.filters["http_url"] = http_url

    # ------------------------------------------------------------------ plumbing
    def db(self) -> Session:
        session = self.sessions()
        if self.work_mem and session.get_bind().dialect.name == "postgresql":
            # transaction-local: bitmap scans over large filters stay exact instead of lossy
            session.execute(text("SELECT set_config('work_mem', :v, true)"), {"v": self.work_mem})
        return session

    def render(self, request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
        context = dict(context)
        context.setdefault("user", request.session.get("user"))
        context.setdefault("csrf", csrf_token(request))
        context.setdefault("path", request.url.path)
        return self.templates.TemplateResponse(request, name, context, status_code=status_code)

    def current_user(self, request: Request) -> dict[str, Any]:
        return request.session.get("user") or {}

    def check_user(self, session: Session, request: Request, needed: str) -> dict[str, Any]:
        """The session user re-read from the database (deactivated or demoted users lose access)."""
        info = self.current_user(request)
        user = session.scalar(select(User).where(User.username == info.get("name")))
        if user is None or not user.active:
            request.session.clear()
            raise HTTPException(401)
        if user.role != info.get("role"):
            request.session["user"] = {"name": user.username, "role": user.role}
        if not role_at_least(user.role, needed):
            raise HTTPException(403)
        return {"name": user.username, "role": user.role}

    def page(self, needed: str, fn: Callable[..., Response]):
        """A GET page handler: runs ``fn(request, session)`` in the thread pool with a checked role."""

        async def endpoint(request: Request) -> Response:
            def run() -> Response:
                with self.db() as session:
                    self.check_user(session, request, needed)
                    return fn(request, session)

            return await run_in_threadpool(run)

        return endpoint

    def download(self, needed: str, fn: Callable[..., Any]):
        """A GET download: ``fn(request, session)`` builds a ``downloads.Download`` (or returns an
        error page) in the thread pool; the file is sent after the session is closed, then removed."""

        async def endpoint(request: Request) -> Response:
            def run() -> Response:
                with self.db() as session:
                    self.check_user(session, request, needed)
                    if not self.export_slots.acquire():
                        response = self.render(request, "error.html", {
                            "title": "Máy chủ đang bận",
                            "messages": ["Máy chủ đang tạo các tệp xuất khác. Hãy thử lại sau ít phút."]},
                            status_code=503)
                        response.headers["Retry-After"] = "30"
                        return response
                    try:
                        result = fn(request, session)
                    finally:
                        self.export_slots.release()
                return result.response() if isinstance(result, downloads.Download) else result

            return await run_in_threadpool(run)

        return endpoint

    def action(self, needed: str, fn: Callable[..., Response]):
        """A POST handler: CSRF token checked, role checked, ``fn(request, session, form)`` in a transaction."""

        async def endpoint(request: Request) -> Response:
            form = await checked_form(request)

            def run() -> Response:
                with self.db() as session:
                    user = self.check_user(session, request, needed)
                    response = fn(request, session, form, user)
                    session.commit()
                    return response

            return await run_in_threadpool(run)

        return endpoint

    # ------------------------------------------------------------------ login
    async def login_page(self, request: Request) -> Response:
        if request.method in ("GET", "HEAD"):
            if request.session.get("user"):
                return RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
            return self.render(request, "login.html", {"next": safe_next(request.query_params.get("next")), "error": None})
        try:
            form = await checked_form(request)
        except CSRFError:
            return self.render(request, "login.html", {"next": "/", "error": "Phiên đăng nhập đã hết hạn, hãy thử lại."},
                               status_code=403)
        username = str(form.get("username") or "").strip()[:64]
        password = str(form.get("password") or "")[:1024]
        nxt = safe_next(str(form.get("next") or "/"))
        ip = request.client.host if request.client else "?"
        wait = self.limiter.retry_after(ip, username)
        if wait > 0:
            log.warning("login refused for %r from %s: rate limited (%.0f s left)", username, ip, wait)
            minutes = max(1, math.ceil(wait / 60))
            response = self.render(request, "login.html", {
                "next": nxt, "username": username,
                "error": f"Đăng nhập sai quá nhiều lần. Hãy thử lại sau {minutes} phút."}, status_code=429)
            response.headers["Retry-After"] = str(int(math.ceil(wait)))
            return response

        def check() -> Optional[dict[str, str]]:
            with self.db() as session:
                user = authenticate(session, username, password)
                session.commit()  # a rehashed password is saved
                return {"name": user.username, "role": user.role} if user else None

        user = await run_in_threadpool(check)
        if user is None:
            log.warning("failed login for %r from %s", username, ip)
            self.limiter.failed(ip, username)
            return self.render(request, "login.html", {
                "next": nxt, "username": username, "error": "Sai tên đăng nhập hoặc mật khẩu."}, status_code=401)
        self.limiter.succeeded(ip, username)
        request.session.clear()  # new session content, new CSRF token: no fixation
        request.session["user"] = user
        request.session["csrf"] = secrets.token_urlsafe(32)
        return RedirectResponse(nxt, status_code=303)

    async def logout(self, request: Request) -> Response:
        await checked_form(request)
        request.session.clear()
        return RedirectResponse("/login", status_code=303)

    async def healthz(self, request: Request) -> Response:
        return PlainTextResponse("ok")

    async def home(self, request: Request) -> Response:
        return RedirectResponse("/articles", status_code=303)

    # ------------------------------------------------------------------ article list
    def _outlets(self, session: Session) -> list[tuple[str, str]]:
        return list(session.execute(select(Outlet.id, Outlet.name).order_by(Outlet.name)).all())

    def article_list(self, request: Request, session: Session, *, message: Optional[str] = None) -> Response:
        try:
            f, sort = parse_filter(request.query_params)
            after = request.query_params.get("after") or None
            rows, cursor = filtered_articles(session, f, sort=sort, after=after, limit=50)
        except BadFilter as exc:
            return self.render(request, "error.html", {"title": "Bộ lọc không hợp lệ", "messages": exc.messages},
                               status_code=400)
        except FilterError:
            return self.render(request, "error.html", {
                "title": "Bộ lọc không hợp lệ", "messages": ["Tham số trang (after) không hợp lệ: hãy quay lại trang đầu."]},
                status_code=400)
        summary = summarize(session, f)
        user = self.current_user(request)
        return self.render(request, "articles.html", {
            "f": f, "sort": sort, "rows": rows, "cursor": cursor, "after": after, "total": summary.total,
            "facets": summary.facets, "exact": summary.exact, "sample_percent": summary.sample_percent,
            "params": filter_params(f, sort), "outlets": self._outlets(session),
            "provinces": places.province_names(f.division), "ministries": places.ministry_names(),
            "can_review": role_at_least(user.get("role"), "reviewer"),
            "message": message or request.query_params.get("msg"),
        })

    def bulk_confirm(self, request: Request, session: Session, form: FormData, user: dict) -> Response:
        ids = [int(v) for v in form.getlist("ids") if str(v).isdigit()]
        try:
            f, sort = parse_filter(form)
        except BadFilter as exc:
            return self.render(request, "error.html", {"title": "Bộ lọc không hợp lệ", "messages": exc.messages},
                               status_code=400)
        if form.get("scope") == "all":
            targets, _ = filtered_articles(session, ArticleFilter(**{**f.__dict__, "review_status": "unreviewed"}),
                                           sort=sort, limit=BULK_LIMIT)
        elif ids:
            targets = list(session.scalars(select(Article).where(Article.id.in_(ids[:BULK_LIMIT]))).unique())
        else:
            targets = []
        done = skipped = 0
        for article in targets:
            if article.review_status != "unreviewed" or article.relevant is None or article.sentiment is None:
                skipped += 1
                continue
            apply_review(session, article, reviewer=user["name"], labels=None, note=None, action="bulk_confirm")
            done += 1
        msg = f"Đã xác nhận {done} bài" + (f", bỏ qua {skipped} bài (đã duyệt hoặc chưa có nhãn)" if skipped else "") + "."
        return RedirectResponse("/articles?" + query_string(f, sort, msg=msg), status_code=303)

    # ------------------------------------------------------------------ article view and review
    def _article_or_404(self, session: Session, article_id: int) -> Article:
        article = session.get(Article, article_id)
        if article is None:
            raise HTTPException(404)
        return article

    def article_view(self, request: Request, session: Session, *, errors: Optional[list[str]] = None,
                     form: Optional[FormData] = None, status_code: int = 200) -> Response:
        article = self._article_or_404(session, request.path_params["article_id"])
        annotation = None
        if article.annotated_version:
            annotation = session.scalar(select(Annotation).where(
                Annotation.article_id == article.id, Annotation.model_version == article.annotated_version))
        mentions = list(session.scalars(select(ArticleMention).where(ArticleMention.article_id == article.id)
                                        .order_by(ArticleMention.position)))
        places_marked = [(m.surface, m.name) for m in mentions if m.kind == "province"]
        terms = theme_terms(annotation.explanations if annotation else None)
        snapshot = session.scalar(select(Snapshot.id).where(Snapshot.article_id == article.id)
                                  .order_by(Snapshot.fetched_at.desc()).limit(1))
        review = session.get(Review, article.id)
        user = self.current_user(request)
        history = []
        if role_at_least(user.get("role"), "admin"):
            history = list(session.scalars(select(AuditEntry).where(AuditEntry.article_id == article.id)
                                           .order_by(AuditEntry.id.desc()).limit(50)))
        duplicate_of = session.get(Article, article.duplicate_of_id) if article.duplicate_of_id else None
        return self.render(request, "article.html", {
            "a": article, "annotation": annotation, "mentions": mentions, "snapshot_id": snapshot, "review": review,
            "title_segments": text_segments(article.title or "", terms=terms, places=places_marked),
            "text_segments": text_segments(article.text or "", terms=terms, places=places_marked),
            "terms": terms, "history": history, "duplicate_of": duplicate_of,
            "province_options": sorted(places.known_provinces()),
            "can_review": role_at_least(user.get("role"), "reviewer"),
            "errors": errors, "form": form, "message": request.query_params.get("msg"),
        }, status_code=status_code)

    def _names(self, raw: str, known: set[str], label: str, errors: list[str]) -> list[str]:
        import unicodedata

        names = [unicodedata.normalize("NFC", n).strip() for n in raw.replace(";", ",").split(",")]
        names = list(dict.fromkeys(n for n in names if n))
        unknown = [n for n in names if known and n not in known]
        if unknown:
            errors.append(f"{label}: không biết “{'”, “'.join(unknown)}” — hãy dùng tên trong danh mục")
        return names

    def review(self, request: Request, session: Session, form: FormData, user: dict) -> Response:
        article = self._article_or_404(session, request.path_params["article_id"])
        note = (str(form.get("note") or "").strip() or None)
        if note and len(note) > 2000:
            note = note[:2000]
        if form.get("action") == "confirm":
            labels = None
            errors: list[str] = []
            if article.relevant is None or article.sentiment is None:
                errors.append("Bài chưa có nhãn liên quan/sắc thái: hãy chọn rồi bấm “Lưu chỉnh sửa”.")
        else:
            errors = []
            relevant = {"1": True, "0": False}.get(str(form.get("relevant")))
            if relevant is None:
                errors.append("Liên quan CCHC: hãy chọn Có hoặc Không")
            sentiment = str(form.get("sentiment") or "")
            if sentiment not in labels_vi.SENTIMENTS:
                errors.append("Sắc thái: hãy chọn một giá trị")
            themes = [t for t in form.getlist("themes") if t in labels_vi.THEMES]
            bad_themes = [t for t in form.getlist("themes") if t not in labels_vi.THEMES]
            if bad_themes:
                errors.append(f"Chủ đề: mã không hợp lệ {', '.join(map(str, bad_themes))[:100]}")
            provinces = self._names(str(form.get("provinces") or ""), places.known_provinces(), "Tỉnh/thành", errors)
            ministries = self._names(str(form.get("ministries") or ""), places.known_ministries(), "Bộ/ngành", errors)
            labels = {"relevant": relevant, "themes": themes, "sentiment": sentiment,
                      "provinces": provinces, "ministries": ministries}
        if errors:
            session.rollback()
            return self.article_view(request, session, errors=errors, form=form, status_code=400)
        apply_review(session, article, reviewer=user["name"], labels=labels, note=note)
        status = labels_vi.REVIEW_STATUSES.get(article.review_status, article.review_status)
        return RedirectResponse(f"/articles/{article.id}?" + urlencode({"msg": f"Đã lưu: {status}."}), status_code=303)

    def snapshot(self, request: Request, session: Session) -> Response:
        article = self._article_or_404(session, request.path_params["article_id"])
        snap = session.scalar(select(Snapshot).where(Snapshot.article_id == article.id)
                              .order_by(Snapshot.fetched_at.desc()).limit(1))
        if snap is None:
            raise HTTPException(404)
        html = sanitize_html(decode_snapshot(snap.content_gzip, snap.headers))
        return HTMLResponse(html, headers={"Content-Security-Policy": SNAPSHOT_CSP, "X-Frame-Options": "SAMEORIGIN"})

    # ------------------------------------------------------------------ audit trail
    def audit(self, request: Request, session: Session) -> Response:
        stmt = select(AuditEntry).order_by(AuditEntry.id.desc())
        username = (request.query_params.get("user") or "").strip()[:64]
        article_id = request.query_params.get("article") or ""
        before_id = request.query_params.get("before") or ""
        if username:
            stmt = stmt.where(AuditEntry.username == username)
        if article_id.isdigit():
            stmt = stmt.where(AuditEntry.article_id == int(article_id))
        if before_id.isdigit():
            stmt = stmt.where(AuditEntry.id < int(before_id))
        entries = list(session.scalars(stmt.limit(51)))
        more = len(entries) > 50
        entries = entries[:50]
        titles = {}
        ids = {e.article_id for e in entries if e.article_id}
        if ids:
            titles = dict(session.execute(select(Article.id, Article.title).where(Article.id.in_(ids))).all())
        rows = []
        for e in entries:
            before, after = e.before or {}, e.after or {}
            keys = [k for k in dict.fromkeys([*before, *after]) if before.get(k) != after.get(k)]
            rows.append({"e": e, "changes": [(k, before.get(k), after.get(k)) for k in keys], "title": titles.get(e.article_id)})
        next_params = {k: v for k, v in (("user", username), ("article", article_id)) if v}
        if more:
            next_params["before"] = str(entries[-1].id)
        return self.render(request, "audit.html", {
            "rows": rows, "more": more, "next_qs": urlencode(next_params), "username": username, "article_id": article_id})

    # ------------------------------------------------------------------ dashboard
    def dashboard(self, request: Request, session: Session) -> Response:
        from webapp import dashboard

        try:
            params = dashboard.parse_params(request.query_params)
        except BadFilter as exc:
            return self.render(request, "error.html", {"title": "Tham số không hợp lệ", "messages": exc.messages},
                               status_code=400)
        context = dashboard.build(session, **params)
        context.update(self._export_choices(params))
        return self.render(request, "dashboard.html", context)

    # ------------------------------------------------------------------ downloads
    def _export_choices(self, params: dict[str, Any]) -> dict[str, Any]:
        from exports.bulletin import pdf_engine

        return {"unit_provinces": places.province_names(params["division"]),
                "unit_ministries": places.ministry_names(params["division"] == "current"),
                "week": downloads.iso_week(params["end"]), "pdf_available": pdf_engine() is not None}

    def _bad_request(self, request: Request, title: str, messages: list[str], back: str) -> Response:
        return self.render(request, "error.html", {"title": title, "messages": messages, "back": back},
                           status_code=400)

    def export_articles(self, request: Request, session: Session) -> Any:
        """The article list's current filters as CSV, XLSX or JSONL."""
        from exports.spreadsheet import suggested_filename, write_csv, write_jsonl, write_xlsx

        back = "/articles?" + urlencode({k: v for k, v in request.query_params.items() if k != "format"})
        fmt = (request.query_params.get("format") or "").strip().lower()
        if fmt not in downloads.FORMATS:
            return self._bad_request(request, "Không xuất được tệp", [
                f"Định dạng: “{fmt[:20]}” không hợp lệ (csv, xlsx hoặc jsonl)"], back)
        try:
            f, _sort = parse_filter(request.query_params)
        except BadFilter as exc:
            return self._bad_request(request, "Bộ lọc không hợp lệ", exc.messages, back)
        writer = {"csv": write_csv, "xlsx": write_xlsx, "jsonl": write_jsonl}[fmt]
        path = downloads.temp_path("." + fmt)
        try:
            result = writer(session, f, path)
        except BaseException:
            downloads.remove(path)
            raise
        log.info("export %s: %d articles for %s", fmt, result.rows, self.current_user(request).get("name"))
        notice = "Không có bài viết nào khớp bộ lọc: tệp chỉ có dòng tiêu đề." if result.empty else None
        return downloads.Download(path, suggested_filename(f, fmt), downloads.FORMATS[fmt], path,
                                  rows=result.rows, notice=notice)

    def evidence(self, request: Request, session: Session) -> Any:
        """The evidence ZIP of one province or ministry for the dashboard's period."""
        import unicodedata

        from exports.evidence import Unit, build_evidence_zip
        from storage.coverage import UnknownName, resolve_ministry, resolve_province
        from webapp import dashboard

        q = request.query_params
        back = "/dashboard?" + urlencode({k: q[k] for k in ("start", "end", "division", "theme") if q.get(k)})
        title = "Không tạo được hồ sơ minh chứng"
        try:
            params = dashboard.parse_params(q)
        except BadFilter as exc:
            return self._bad_request(request, title, exc.messages, back)
        kind = (q.get("kind") or "province").strip()
        if kind not in ("province", "ministry"):
            return self._bad_request(request, title, [f"Loại đơn vị: “{kind[:20]}” không hợp lệ (province hoặc ministry)"], back)
        label = "Tỉnh/thành" if kind == "province" else "Bộ/ngành"
        raw = unicodedata.normalize("NFC", (q.get("name") or "").strip())[:200]
        if not raw:
            return self._bad_request(request, title, [f"{label}: hãy chọn một {label.lower()}."], back)
        try:
            name = (resolve_province(raw, params["division"]) if kind == "province"
                    else resolve_ministry(raw, params["division"]))
        except UnknownName as exc:
            hint = f" Có phải: {', '.join(exc.suggestions)}?" if exc.suggestions else ""
            return self._bad_request(request, title, [f"{label}: không có “{raw}” trong danh mục.{hint}"], back)
        reviewed_only = q.get("reviewed") in ("1", "on", "true")
        start, end = params["start"], params["end"]
        path = downloads.temp_path(".zip")
        try:
            result = build_evidence_zip(session, Unit(kind, name, params["division"]), start, end, path,
                                        reviewed_only=reviewed_only)
        except BaseException:
            downloads.remove(path)
            raise
        log.info("evidence %s %r %s..%s: %d articles", kind, name, start, end, result.articles)
        notice = (f"Không có bài viết nào về {name} từ {fmt_date(start)} đến {fmt_date(end)}: "
                  "tệp ZIP chỉ có trang mục lục.") if result.empty else None
        filename = f"Hồ sơ minh chứng CCHC - {name} - {start.isoformat()}_{end.isoformat()}.zip"
        return downloads.Download(path, filename, downloads.ZIP_TYPE, path, rows=result.articles, notice=notice)

    def bulletin(self, request: Request, session: Session) -> Any:
        """The weekly bulletin (an ISO week, or the dashboard's period): a ZIP of HTML + DOCX, or one of them."""
        import tempfile

        from exports.bulletin import build_bulletin, pdf_engine

        q = request.query_params
        back = "/dashboard?" + urlencode({k: q[k] for k in ("start", "end", "division", "theme") if q.get(k)})
        title = "Không tạo được bản tin"
        fmt = (q.get("format") or "zip").strip().lower()
        if fmt not in downloads.BULLETIN_FORMATS:
            return self._bad_request(request, title, [f"Định dạng: “{fmt[:20]}” không hợp lệ (zip, docx, html hoặc pdf)"], back)
        try:
            start, end = downloads.parse_period(q)
        except BadFilter as exc:
            return self._bad_request(request, title, exc.messages, back)
        if fmt == "pdf" and pdf_engine() is None:
            return self._bad_request(request, title, [
                "Máy chủ chưa cài LibreOffice hoặc WeasyPrint nên chưa tạo được bản PDF: hãy tải bản DOCX hoặc HTML."], back)
        outdir = Path(tempfile.mkdtemp(prefix="rw-bulletin-"))
        try:
            result = build_bulletin(session, start, end, outdir, pdf=(fmt == "pdf"))
            if fmt == "pdf" and result.pdf is None:
                downloads.remove(outdir)
                return self._bad_request(request, title, ["Không tạo được bản PDF."] + result.messages, back)
            stem = "Bản tin CCHC " + (downloads.iso_week(start) if downloads.is_iso_week(start, end)
                                      else f"{start.isoformat()}_{end.isoformat()}")
            if fmt == "zip":
                path = outdir / "ban-tin.zip"
                downloads.zip_files([result.html, result.docx], path)
                media = downloads.ZIP_TYPE
            else:
                path = {"docx": result.docx, "html": result.html, "pdf": result.pdf}[fmt]
                media = {"docx": downloads.DOCX_TYPE, "html": "text/html; charset=utf-8", "pdf": "application/pdf"}[fmt]
        except BaseException:
            downloads.remove(outdir)
            raise
        notice = (f"Không có tin CCHC nào từ {fmt_date(start)} đến {fmt_date(end)}: bản tin rỗng."
                  if result.empty else None)
        return downloads.Download(path, f"{stem}.{fmt}", media, outdir, rows=result.articles, notice=notice)

    # ------------------------------------------------------------------ source health
    def sources(self, request: Request, session: Session) -> Response:
        from webapp import health

        return self.render(request, "sources.html", {"outlets": health.source_health(session)})


def create_app(db_url: Optional[str] = None, *, secret_key: Optional[str] = None,
               secure_cookies: Optional[bool] = None, rate_limiter: Optional[LoginRateLimiter] = None,
               max_exports: Optional[int] = None) -> Starlette:
    """The ASGI app on database ``db_url`` (None: $REFORMWATCH_DB or the default SQLite file).

    ``secure_cookies`` (default: $REFORMWATCH_SECURE_COOKIES == 1) sets the Secure flag on the
    session cookie: turn it on when the app is served over https. ``max_exports`` (default:
    $REFORMWATCH_MAX_EXPORTS or 2) caps the downloads built at once.
    """
    app_ = ReviewApp(db_url, rate_limiter=rate_limiter, max_exports=max_exports)
    if secure_cookies is None:
        secure_cookies = os.environ.get(SECURE_ENV, "").lower() in ("1", "true", "yes")

    async def http_error(request: Request, exc: HTTPException) -> Response:
        if exc.status_code == 401:
            return RedirectResponse("/login", status_code=303)
        titles = {403: "Không có quyền", 404: "Không tìm thấy", 405: "Phương thức không được phép"}
        messages = {403: ["Vai trò của bạn không được phép thực hiện thao tác này."],
                    404: ["Trang hoặc bài báo không tồn tại."]}
        return app_.render(request, "error.html", {
            "title": titles.get(exc.status_code, f"Lỗi {exc.status_code}"), "messages": messages.get(exc.status_code, [])},
            status_code=exc.status_code)

    async def csrf_error(request: Request, exc: CSRFError) -> Response:
        return app_.render(request, "error.html", {
            "title": "Yêu cầu bị từ chối",
            "messages": ["Thiếu hoặc sai mã chống giả mạo (CSRF). Hãy tải lại trang rồi thử lại."]}, status_code=403)

    routes = [
        Route("/login", app_.login_page, methods=["GET", "POST"]),
        Route("/logout", app_.logout, methods=["POST"]),
        Route("/healthz", app_.healthz),
        Route("/", app_.home),
        Route("/articles", app_.page("viewer", app_.article_list)),
        Route("/articles/export", app_.download("viewer", app_.export_articles)),
        Route("/articles/bulk-confirm", app_.action("reviewer", app_.bulk_confirm), methods=["POST"]),
        Route("/articles/{article_id:int}", app_.page("viewer", app_.article_view)),
        Route("/articles/{article_id:int}/review", app_.action("reviewer", app_.review), methods=["POST"]),
        Route("/articles/{article_id:int}/snapshot", app_.page("viewer", app_.snapshot)),
        Route("/audit", app_.page("admin", app_.audit)),
        Route("/dashboard", app_.page("viewer", app_.dashboard)),
        Route("/dashboard/evidence", app_.download("viewer", app_.evidence)),
        Route("/dashboard/bulletin", app_.download("viewer", app_.bulletin)),
        Route("/sources", app_.page("viewer", app_.sources)),
        Mount("/static", app=StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    middleware = [
        Middleware(SecurityHeadersMiddleware),
        Middleware(SessionMiddleware, secret_key=secret_key or _secret_key(), session_cookie=SESSION_COOKIE,
                   max_age=SESSION_MAX_AGE, same_site="strict", https_only=bool(secure_cookies)),
        Middleware(LoginRequiredMiddleware),
    ]
    app = Starlette(routes=routes, middleware=middleware,
                    exception_handlers={HTTPException: http_error, CSRFError: csrf_error})
    app.state.review = app_
    return app
