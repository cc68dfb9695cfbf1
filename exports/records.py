"""One exported article: the fields every export format shares, and the coverage tallies
computed while the articles stream past (so a large export is read only once)."""
from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterator, Optional
from zoneinfo import ZoneInfo

from exports.labels import kind_label, review_label, sentiment_label, themes_label

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
SENTIMENTS = ("positive", "neutral", "negative")
OUTLET_KINDS = ("national", "local", "specialized", "government_portal")
NO_PROVINCE = "(không xác định)"


EXPORT_COLUMNS = ("id", "outlet_id", "url", "canonical_url", "title", "published", "relevant", "relevance_score",
                  "sentiment", "themes", "provinces", "provinces_current", "ministries", "ministries_current",
                  "review_status", "duplicate_of_id")


@dataclass(frozen=True)
class OutletRef:
    id: str
    name: str
    kind: Optional[str]


JSON_COLUMNS = ("themes", "provinces", "provinces_current", "ministries", "ministries_current")


@lru_cache(maxsize=65536)
def _json_list(raw: Optional[str]) -> tuple:
    """Decoded JSON label list, memoised: the same few lists repeat over thousands of rows."""
    if raw is None:
        return ()
    value = json.loads(raw)
    return tuple(value) if isinstance(value, list) else (value,)


class ExportArticle:
    """A read-only article row with the attributes the exports read (same names as
    ``storage.models.Article``; label lists are tuples; ``outlet`` is an :class:`OutletRef` or None)."""

    __slots__ = EXPORT_COLUMNS + ("outlet",)

    def __init__(self, row, outlet):
        for name in EXPORT_COLUMNS:
            value = getattr(row, name)
            setattr(self, name, _json_list(value) if name in JSON_COLUMNS else value)
        self.outlet = outlet


def stream_articles(session, f, *, batch: int = 1000) -> Iterator[ExportArticle]:
    """Every article matching ``f`` (``storage.queries.conditions``: the article list's
    filters), newest first, in one streamed query (``yield_per``: a server-side cursor on
    PostgreSQL). Only the exported columns are read (not the text, search text or MinHash),
    label lists come as JSON text decoded once per distinct value, and rows are plain objects,
    not ORM instances: memory stays flat and the export is fast.
    """
    from sqlalchemy import Text, cast, select

    from storage.models import Article, Outlet
    from storage.queries import conditions

    cols = [cast(getattr(Article, c), Text).label(c) if c in JSON_COLUMNS else getattr(Article, c)
            for c in EXPORT_COLUMNS]
    stmt = (
        select(*cols, Outlet.name.label("outlet_name"), Outlet.kind.label("outlet_kind"))
        .select_from(Article)
        .outerjoin(Outlet, Outlet.id == Article.outlet_id)
        .where(*conditions(session, f))
        .order_by(Article.published.desc().nulls_last(), Article.id.desc())
        .execution_options(yield_per=batch)
    )
    outlets: dict[str, OutletRef] = {}
    for row in session.execute(stmt):
        outlet = None
        if row.outlet_id is not None:
            outlet = outlets.get(row.outlet_id)
            if outlet is None:
                outlet = outlets[row.outlet_id] = OutletRef(row.outlet_id, row.outlet_name or row.outlet_id,
                                                            row.outlet_kind)
        yield ExportArticle(row, outlet)


def local_datetime(value: Optional[dt.datetime]) -> Optional[dt.datetime]:
    """Aware UTC -> naive Asia/Ho_Chi_Minh wall time (what spreadsheets can hold)."""
    if value is None:
        return None
    return value.astimezone(VN_TZ).replace(tzinfo=None)


def provinces_of(article, division: str) -> list[str]:
    return list((article.provinces_current if division == "current" else article.provinces) or [])


def ministries_of(article, division: str) -> list[str]:
    return list((article.ministries_current if division == "current" else article.ministries) or [])


def counts_as_coverage(article) -> bool:
    """Relevant and not a duplicate: what coverage counts (as coverage_facts does)."""
    return bool(article.relevant) and article.duplicate_of_id is None


def machine_record(article, division: str = "current") -> dict[str, Any]:
    """The JSONL record: stored codes, ISO datetimes with the +07:00 offset."""
    outlet = article.outlet
    published = article.published.astimezone(VN_TZ).isoformat() if article.published else None
    return {
        "id": article.id,
        "title": article.title,
        "outlet_id": article.outlet_id,
        "outlet": outlet.name if outlet else None,
        "outlet_kind": outlet.kind if outlet else None,
        "published": published,
        "url": article.url,
        "canonical_url": article.canonical_url,
        "relevant": article.relevant,
        "relevance_score": article.relevance_score,
        "themes": list(article.themes or []),
        "sentiment": article.sentiment,
        "provinces": list(article.provinces or []),
        "provinces_current": list(article.provinces_current or []),
        "ministries": list(article.ministries or []),
        "ministries_current": list(article.ministries_current or []),
        "review_status": article.review_status,
        "duplicate_of_id": article.duplicate_of_id,
    }


# Columns of the article sheet / CSV: (heading, width, getter(article, division)).
ARTICLE_COLUMNS: list[tuple[str, float, Any]] = [
    ("Mã bài", 9, lambda a, d: a.id),
    ("Tiêu đề", 60, lambda a, d: a.title or ""),
    ("Cơ quan báo chí", 28, lambda a, d: a.outlet.name if a.outlet else (a.outlet_id or "")),
    ("Loại báo", 20, lambda a, d: kind_label(a.outlet.kind) if a.outlet else ""),
    ("Ngày đăng", 17, lambda a, d: local_datetime(a.published)),
    ("URL", 50, lambda a, d: a.url),
    ("Chủ đề", 40, lambda a, d: themes_label(a.themes)),
    ("Sắc thái", 11, lambda a, d: sentiment_label(a.sentiment)),
    ("Tỉnh/thành", 28, lambda a, d: "; ".join(provinces_of(a, d))),
    ("Bộ, ngành", 28, lambda a, d: "; ".join(ministries_of(a, d))),
    ("Trạng thái duyệt", 15, lambda a, d: review_label(a.review_status)),
    ("Liên quan CCHC", 10, lambda a, d: "" if a.relevant is None else ("Có" if a.relevant else "Không")),
    ("Điểm liên quan", 10, lambda a, d: None if a.relevance_score is None else round(a.relevance_score, 3)),
    ("Bản trùng của bài", 12, lambda a, d: a.duplicate_of_id),
]
DATE_COLUMN = "Ngày đăng"


def _blank() -> dict[str, int]:
    return {"articles": 0, **{s: 0 for s in SENTIMENTS}, **{k: 0 for k in OUTLET_KINDS}}


@dataclass
class Tally:
    """Coverage counts of the exported articles (relevant, non-duplicate ones only)."""

    division: str = "current"
    rows: int = 0
    coverage: int = 0
    by_province_theme: dict = field(default_factory=lambda: defaultdict(_blank))
    by_outlet: dict = field(default_factory=dict)
    by_theme: Counter = field(default_factory=Counter)
    by_sentiment: Counter = field(default_factory=Counter)
    by_kind: Counter = field(default_factory=Counter)
    first_day: Optional[dt.date] = None
    last_day: Optional[dt.date] = None

    def add(self, article) -> None:
        self.rows += 1
        if not counts_as_coverage(article):
            return
        self.coverage += 1
        kind = article.outlet.kind if article.outlet else None
        sentiment = article.sentiment or "neutral"
        themes = list(dict.fromkeys(article.themes or [])) or [""]
        for province in list(dict.fromkeys(provinces_of(article, self.division))) or [""]:
            for theme in themes:
                cell = self.by_province_theme[(province, theme)]
                cell["articles"] += 1
                cell[sentiment] = cell.get(sentiment, 0) + 1
                if kind in OUTLET_KINDS:
                    cell[kind] += 1
        key = article.outlet_id or ""
        out = self.by_outlet.get(key)
        if out is None:
            out = self.by_outlet[key] = {"outlet": article.outlet.name if article.outlet else key,
                                         "kind": kind, "articles": 0, **{s: 0 for s in SENTIMENTS}}
        out["articles"] += 1
        out[sentiment] = out.get(sentiment, 0) + 1
        for theme in themes:
            self.by_theme[theme] += 1
        self.by_sentiment[sentiment] += 1
        self.by_kind[kind or ""] += 1
        if article.published:
            day = article.published.astimezone(VN_TZ).date()
            self.first_day = min(self.first_day or day, day)
            self.last_day = max(self.last_day or day, day)
