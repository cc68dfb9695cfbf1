"""Article-list filters shared by the review app and the exports.

One ``ArticleFilter`` describes what a staff member selected; the functions here turn it
into SQL with bound parameters only (nothing from a request is ever spliced into SQL text):

- ``filtered_articles(session, f, sort=..., after=cursor, limit=50) -> (articles, next_cursor)``
  keyset pagination on (published, id) or (relevance_score, id), newest / highest first,
  never OFFSET; articles without a sort key come last, by id;
- ``count_articles(session, f)`` and ``facet_counts(session, f)`` for the counts;
- ``iter_articles(session, f, batch=1000)`` streams every match in keyset order.

Filters on the JSON label lists (themes, provinces, ministries) use ``@>`` on PostgreSQL
(GIN indexes, migration 0002) and ``json_each`` on SQLite. The text search folds the query
with ``storage.search.fold`` and matches ``articles.search_text`` (trigram index on
PostgreSQL), so "cai cach" finds "cải cách".
"""
from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass, fields, replace
from typing import Any, Iterator, Optional
from zoneinfo import ZoneInfo

from sqlalchemy import Select, exists, func, literal, or_, select, true, tuple_, type_coerce
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session, aliased

from storage.models import Article, Outlet
from storage.search import fold

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
DIVISIONS = ("current", "former")
SORTS = ("date", "score")
SENTIMENTS = ("positive", "neutral", "negative")
REVIEW_STATUSES = ("unreviewed", "confirmed", "corrected")
MAX_LIMIT = 1000


class FilterError(ValueError):
    """A filter value that cannot be used (bad cursor, unknown sort or division)."""


@dataclass
class ArticleFilter:
    date_from: Optional[dt.date] = None  # publication day in Asia/Ho_Chi_Minh, inclusive
    date_to: Optional[dt.date] = None  # inclusive
    outlet_id: Optional[str] = None
    outlet_kind: Optional[str] = None
    province: Optional[str] = None
    division: str = "current"  # which province list ``province`` is matched against
    ministry: Optional[str] = None
    theme: Optional[str] = None
    sentiment: Optional[str] = None
    relevant: Optional[bool] = None
    review_status: Optional[str] = None
    duplicate: Optional[bool] = None
    q: Optional[str] = None  # search text, with or without diacritics
    reviewed_only: bool = False

    def is_empty(self) -> bool:
        default = ArticleFilter()
        return all(getattr(self, f.name) == getattr(default, f.name) for f in fields(self))


# --------------------------------------------------------------------------- predicates
def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _json_list_has(session: Session, column, value: str):
    """``value`` is an element of the JSON list in ``column``."""
    if _dialect(session) == "postgresql":
        return type_coerce(column, postgresql.JSONB).contains([value])
    elements = func.json_each(column).table_valued("value")
    return exists(select(literal(1)).select_from(elements).where(elements.c.value == value))


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=VN_TZ).astimezone(dt.timezone.utc)


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def conditions(session: Session, f: ArticleFilter, entity=Article) -> list:
    """The WHERE conditions of filter ``f`` (bound parameters only) on ``entity`` (Article or an alias)."""
    if f.division not in DIVISIONS:
        raise FilterError(f"division {f.division!r}: expected one of {', '.join(DIVISIONS)}")
    A = entity
    conds: list = []
    if f.date_from:
        conds.append(A.published >= _day_start(f.date_from))
    if f.date_to:
        conds.append(A.published < _day_start(f.date_to + dt.timedelta(days=1)))
    if f.outlet_id:
        conds.append(A.outlet_id == f.outlet_id)
    if f.outlet_kind:
        conds.append(A.outlet_id.in_(select(Outlet.id).where(Outlet.kind == f.outlet_kind).correlate(None)))
    if f.province:
        column = A.provinces_current if f.division == "current" else A.provinces
        conds.append(_json_list_has(session, column, f.province))
    if f.ministry:
        conds.append(or_(_json_list_has(session, A.ministries, f.ministry),
                         _json_list_has(session, A.ministries_current, f.ministry)))
    if f.theme:
        conds.append(_json_list_has(session, A.themes, f.theme))
    if f.sentiment:
        conds.append(A.sentiment == f.sentiment)
    if f.relevant is not None:
        conds.append(A.relevant.is_(True) if f.relevant else A.relevant.is_not(True))
    if f.review_status:
        conds.append(A.review_status == f.review_status)
    if f.reviewed_only:
        conds.append(A.review_status != "unreviewed")
    if f.duplicate is not None:
        conds.append(A.duplicate_of_id.is_not(None) if f.duplicate else A.duplicate_of_id.is_(None))
    folded = fold(f.q)
    if folded:
        conds.append(A.search_text.like(_like_pattern(folded), escape="\\"))
    return conds


def filtered_select(session: Session, f: ArticleFilter) -> Select:
    """``SELECT articles WHERE <filter>`` without order or limit (for callers composing their own)."""
    return select(Article).where(*conditions(session, f))


# --------------------------------------------------------------------------- keyset cursor
def _sort_column(sort: str):
    if sort == "date":
        return Article.published
    if sort == "score":
        return Article.relevance_score
    raise FilterError(f"sort {sort!r}: expected one of {', '.join(SORTS)}")


def encode_cursor(sort: str, key: Any, article_id: int) -> str:
    if isinstance(key, dt.datetime):
        key = key.astimezone(dt.timezone.utc).isoformat()
    raw = json.dumps([sort, key, article_id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str) -> tuple[Any, int]:
    """(sort key or None for the keyless tail, article id) from a cursor string."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        kind, key, article_id = json.loads(raw)
        if kind != sort or not isinstance(article_id, int):
            raise ValueError
        if key is not None:
            key = dt.datetime.fromisoformat(key) if sort == "date" else float(key)
            if isinstance(key, dt.datetime) and key.tzinfo is None:
                raise ValueError
    except (ValueError, TypeError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise FilterError(f"cursor {cursor[:40]!r} is not a valid page cursor for sort {sort!r}") from exc
    return key, article_id


def filtered_articles(
    session: Session,
    f: ArticleFilter,
    *,
    sort: str = "date",
    after: Optional[str] = None,
    limit: int = 50,
) -> tuple[list[Article], Optional[str]]:
    """One page of matching articles, newest (or highest score) first, and the next page's cursor.

    Articles with a sort key come first, ordered by (key, id) descending; those without one
    (no publication date / not yet scored) follow, by id descending.
    """
    column = _sort_column(sort)
    limit = max(1, min(int(limit), MAX_LIMIT))
    base = conditions(session, f)
    key, last_id = decode_cursor(after, sort) if after else (None, None)
    in_tail = after is not None and key is None

    rows: list[Article] = []
    if not in_tail:
        stmt = select(Article).where(*base, column.is_not(None))
        if after is not None:
            stmt = stmt.where(tuple_(column, Article.id) < tuple_(literal(key, column.type), literal(last_id)))
        stmt = stmt.order_by(column.desc(), Article.id.desc()).limit(limit + 1)
        rows = list(session.scalars(stmt).unique())
    if len(rows) <= limit:
        stmt = select(Article).where(*base, column.is_(None))
        if in_tail:
            stmt = stmt.where(Article.id < last_id)
        stmt = stmt.order_by(Article.id.desc()).limit(limit + 1 - len(rows))
        rows += list(session.scalars(stmt).unique())
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1]
    return rows, encode_cursor(sort, getattr(last, column.key), last.id)


def iter_articles(session: Session, f: ArticleFilter, *, batch: int = 1000, sort: str = "date") -> Iterator[Article]:
    """Every matching article in keyset order, ``batch`` at a time; memory stays flat.

    Yielded articles are expunged from the session after their batch: do not modify them.
    """
    cursor: Optional[str] = None
    while True:
        rows, cursor = filtered_articles(session, f, sort=sort, after=cursor, limit=batch)
        yield from rows
        for article in rows:
            if article in session:
                session.expunge(article)
        if cursor is None:
            return


# --------------------------------------------------------------------------- counts
def count_articles(session: Session, f: ArticleFilter) -> int:
    stmt = select(func.count()).select_from(Article).where(*conditions(session, f))
    return int(session.scalar(stmt) or 0)


def _group_counts(session: Session, column, conds: list, *, select_from=None) -> dict[str, int]:
    stmt = select(column, func.count()).select_from(select_from if select_from is not None else Article)
    stmt = stmt.where(*conds).group_by(column)
    return {("" if key is None else str(key)): int(n) for key, n in session.execute(stmt)}


def facet_counts(session: Session, f: ArticleFilter) -> dict[str, dict[str, int]]:
    """Counts of the matching articles per theme, sentiment, outlet kind and review status.

    Each facet is computed for the current filter (an article with two themes counts once
    under each). Keys are the stored codes; '' stands for "none".
    """
    conds = conditions(session, f)
    if _dialect(session) == "postgresql":
        elements = func.jsonb_array_elements_text(type_coerce(Article.themes, postgresql.JSONB)).table_valued("value")
    else:
        elements = func.json_each(Article.themes).table_valued("value")
    themes_stmt = (
        select(elements.c.value, func.count())
        .select_from(Article)
        .join(elements, true())
        .where(*conds)
        .group_by(elements.c.value)
    )
    themes = {str(k): int(n) for k, n in session.execute(themes_stmt)}
    kinds_stmt = (
        select(Outlet.kind, func.count())
        .select_from(Article)
        .outerjoin(Outlet, Outlet.id == Article.outlet_id)
        .where(*conds)
        .group_by(Outlet.kind)
    )
    kinds = {("" if k is None else str(k)): int(n) for k, n in session.execute(kinds_stmt)}
    return {
        "theme": themes,
        "sentiment": _group_counts(session, Article.sentiment, conds),
        "outlet_kind": kinds,
        "review_status": _group_counts(session, Article.review_status, conds),
    }


# --------------------------------------------------------------------------- summary for the list page
@dataclass
class Summary:
    """Total and facet counts of a filter; ``exact`` False: estimated from a random sample of pages."""

    total: int
    facets: dict[str, dict[str, int]]
    exact: bool = True
    sample_percent: Optional[float] = None


THEME_CODES = ("institutional", "procedures", "apparatus", "civil_service", "public_finance",
               "digital_government", "direction")
OUTLET_KINDS = ("national", "local", "specialized", "government_portal")


def count_capped(session: Session, f: ArticleFilter, cap: int) -> int:
    """The number of matches, counting no further than ``cap + 1``."""
    inner = select(literal(1)).select_from(Article).where(*conditions(session, f)).limit(cap + 1).subquery()
    return int(session.scalar(select(func.count()).select_from(inner)) or 0)


def _facet_columns(session: Session, entity, outlet_kind_column) -> list:
    cols = [func.count().label("total")]
    for s in SENTIMENTS:
        cols.append(func.count().filter(entity.sentiment == s).label(f"sentiment:{s}"))
    for s in REVIEW_STATUSES:
        cols.append(func.count().filter(entity.review_status == s).label(f"review_status:{s}"))
    for t in THEME_CODES:
        cols.append(func.count().filter(_json_list_has(session, entity.themes, t)).label(f"theme:{t}"))
    for k in OUTLET_KINDS:
        cols.append(func.count().filter(outlet_kind_column == k).label(f"outlet_kind:{k}"))
    return cols


def _one_pass_counts(session: Session, f: ArticleFilter, *, cap: Optional[int] = None,
                     sample_percent: Optional[float] = None) -> dict[str, int]:
    """Total and facet counts in one pass over the matches (the first ``cap + 1`` of them when
    ``cap`` is given; over a page sample of the table when ``sample_percent`` is)."""
    entity = Article
    extra = []
    if sample_percent and _dialect(session) == "postgresql":
        sampled = Article.__table__.tablesample(func.system(sample_percent), name="a_sample", seed=literal(7))
        entity = aliased(Article, sampled)
    elif sample_percent:  # SQLite has no TABLESAMPLE: every k-th id (ids are dense and unrelated to labels)
        extra = [Article.id % max(1, round(100.0 / sample_percent)) == 0]
    inner = select(entity.id, entity.sentiment, entity.review_status, entity.themes, entity.outlet_id)
    inner = inner.where(*conditions(session, f, entity), *extra)
    if cap is not None:
        inner = inner.limit(cap + 1)
    m = inner.subquery("matches")
    stmt = (
        select(*_facet_columns(session, m.c, Outlet.kind))
        .select_from(m)
        .outerjoin(Outlet, Outlet.id == m.c.outlet_id)
    )
    return dict(session.execute(stmt).one()._mapping)


def summarize(session: Session, f: ArticleFilter, *, exact_limit: int = 20_000,
              sample_percent: float = 2.0) -> Summary:
    """Total and per-facet counts of the matches, in one pass over them.

    Up to ``exact_limit`` matches the counts are exact. Beyond that they are estimated from a
    sample of ``sample_percent`` % of the table — PostgreSQL ``TABLESAMPLE SYSTEM`` (a page
    sample: one cheap pass instead of reading hundreds of thousands of rows on every page
    load), SQLite every k-th id — and the total is at least ``exact_limit + 1``.
    """
    estimated = False
    counts = _one_pass_counts(session, f, cap=exact_limit)
    if counts["total"] > exact_limit:
        if _dialect(session) != "postgresql":
            sample_percent = 100.0 / max(1, round(100.0 / sample_percent))
        counts = _one_pass_counts(session, f, sample_percent=sample_percent)
        scale = 100.0 / sample_percent
        counts = {k: int(round(v * scale)) for k, v in counts.items()}
        counts["total"] = max(counts["total"], exact_limit + 1)
        estimated = True
    facets: dict[str, dict[str, int]] = {"theme": {}, "sentiment": {}, "outlet_kind": {}, "review_status": {}}
    for key, value in counts.items():
        if ":" in key:
            facet, code = key.split(":", 1)
            if value:
                facets[facet][code] = value
    return Summary(total=counts["total"], facets=facets, exact=not estimated,
                   sample_percent=sample_percent if estimated else None)


def with_changes(f: ArticleFilter, **changes: Any) -> ArticleFilter:
    """A copy of ``f`` with some fields changed (for "count if I also pick X" links)."""
    return replace(f, **changes)
