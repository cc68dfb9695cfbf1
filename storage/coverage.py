"""Coverage queries: who got administrative-reform coverage, on what, in what tone, from whom.

Every query reads the denormalised ``coverage_facts`` / ``ministry_facts`` tables (one row per
relevant, non-duplicate article x province|ministry x theme, rebuilt by
``storage.labels.refresh_facts``) and counts ``DISTINCT article_id``, so an article with two
themes counts once per province in totals, and duplicates (excluded from the facts) never
count. SQL is built with SQLAlchemy expressions and bound parameters and runs on SQLite and
PostgreSQL alike.

Division: ``current`` groups by ``province_current`` (the 34 provinces in force since
1 July 2025), ``former`` by ``province`` (as the text means it: a former province for an
article about the former division).
"""
from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any, Iterable, Optional

from sqlalchemy import case, distinct, func, select
from sqlalchemy.orm import Session

from storage.models import CoverageFact, MinistryFact, Outlet

DIVISIONS = ("current", "former")
GRANULARITIES = ("day", "week", "month", "quarter", "year")
SENTIMENTS = ("positive", "neutral", "negative")
OUTLET_KINDS = ("national", "local", "specialized", "government_portal")
THEMES = (
    "institutional",
    "procedures",
    "apparatus",
    "civil_service",
    "public_finance",
    "digital_government",
    "direction",
)


# --------------------------------------------------------------------------- gazetteer access
# The gazetteer (classifier.gazetteer) is the authority on names. Until it is importable the
# names come straight from the maintained ``vietnamadminunits`` package.

def _gazetteer():
    try:
        from classifier import gazetteer  # type: ignore
    except ImportError:
        return None
    return gazetteer


@lru_cache(maxsize=None)
def _vau_provinces() -> tuple[tuple[str, ...], tuple[str, ...], dict[str, str]]:
    from vietnamadminunits import convert_address
    from vietnamadminunits.database import query

    current = tuple(r["provinceShort"] for r in query("SELECT DISTINCT provinceShort FROM admin_units"))
    legacy = query("SELECT DISTINCT province, provinceShort FROM admin_units_legacy")
    former = tuple(r["provinceShort"] for r in legacy)
    mapping = {name: name for name in current}
    for r in legacy:
        mapping[r["provinceShort"]] = convert_address(r["province"]).short_province
    return former, current, mapping


def province_names(division: str = "current") -> list[str]:
    """All province names of ``division``: 34 (current) or 63 (former)."""
    check_division(division)
    gaz = _gazetteer()
    if gaz is not None and hasattr(gaz, "province_names"):
        return list(gaz.province_names(division))
    former, current, _ = _vau_provinces()
    return list(current if division == "current" else former)


def province_to_current(name: str) -> str:
    gaz = _gazetteer()
    if gaz is not None and hasattr(gaz, "province_to_current"):
        return gaz.province_to_current(name)
    return _vau_provinces()[2].get(name, name)


def ministry_names(current: bool = True) -> list[str]:
    gaz = _gazetteer()
    if gaz is not None and hasattr(gaz, "ministry_names"):
        return list(gaz.ministry_names(current=current))
    return []


def _normalize(text: str) -> str:
    try:
        from classifier.normalize import normalize_text  # type: ignore
    except ImportError:
        import unicodedata

        return unicodedata.normalize("NFC", text).strip()
    return normalize_text(text).strip()


def _fold(text: str) -> str:
    from storage.search import fold

    return fold(_normalize(text))


def _suggest(name: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    import difflib

    cands = list(candidates)
    folded = {_fold(c): c for c in cands}
    hits = difflib.get_close_matches(_fold(name), list(folded), n=n, cutoff=0.5)
    return [folded[h] for h in hits]


def suggest_provinces(name: str, n: int = 3, division: str = "current") -> list[str]:
    gaz = _gazetteer()
    if gaz is not None and hasattr(gaz, "suggest_provinces"):
        try:
            return list(gaz.suggest_provinces(name, n=n))
        except Exception:  # pragma: no cover - defensive: fall back to our own matcher
            pass
    return _suggest(name, province_names(division) + province_names("former" if division == "current" else "current"), n)


def suggest_ministries(name: str, n: int = 3) -> list[str]:
    gaz = _gazetteer()
    if gaz is not None and hasattr(gaz, "suggest_ministries"):
        try:
            return list(gaz.suggest_ministries(name, n=n))
        except Exception:  # pragma: no cover
            pass
    return _suggest(name, ministry_names(True) + ministry_names(False), n)


class UnknownName(ValueError):
    """An unknown province or ministry name; ``suggestions`` holds the closest known ones."""

    def __init__(self, kind: str, name: str, suggestions: list[str]):
        self.kind, self.name, self.suggestions = kind, name, suggestions
        hint = f"; did you mean: {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(f"unknown {kind} {name!r}{hint}")


def resolve_province(name: str, division: str = "current") -> str:
    """The canonical name of province ``name`` (any alias or spelling) in ``division``.

    A former province asked for in the current division maps to its current province
    (``Bình Dương`` -> ``Thành phố Hồ Chí Minh``). Raises :class:`UnknownName` with the
    closest names otherwise.
    """
    check_division(division)
    gaz = _gazetteer()
    canonical = None
    if gaz is not None and hasattr(gaz, "canonical_province"):
        canonical = gaz.canonical_province(_normalize(name))
    else:
        wanted = _fold(name)
        for cand in province_names("current") + province_names("former"):
            if _fold(cand) == wanted:
                canonical = cand
                break
    if canonical is not None:
        if canonical in province_names(division):
            return canonical
        if division == "current":
            return province_to_current(canonical)
        # a current province asked for in the former division: same name when it existed
        if canonical in province_names("former"):
            return canonical
        raise UnknownName("province of the former division", name,
                          [p for p in province_names("former") if province_to_current(p) == canonical][:5])
    raise UnknownName("province", name, suggest_provinces(name, division=division))


def resolve_ministry(name: str, division: str = "current") -> str:
    """Canonical ministry name (the current agency when ``division`` is current)."""
    gaz = _gazetteer()
    if gaz is None or not hasattr(gaz, "canonical_ministry"):
        return _normalize(name)  # no gazetteer: accept the name as given
    canonical = gaz.canonical_ministry(_normalize(name))
    if canonical is None:
        raise UnknownName("ministry", name, suggest_ministries(name))
    return gaz.ministry_to_current(canonical) if division == "current" else canonical


def check_division(division: str) -> None:
    if division not in DIVISIONS:
        raise ValueError(f"unknown division {division!r}; expected one of {', '.join(DIVISIONS)}")


# --------------------------------------------------------------------------- periods
def month_range(year: int, month: int) -> tuple[dt.date, dt.date]:
    start = dt.date(year, month, 1)
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    return start, nxt - dt.timedelta(days=1)


def quarter_range(year: int, quarter: int) -> tuple[dt.date, dt.date]:
    if not 1 <= quarter <= 4:
        raise ValueError(f"quarter must be 1-4, not {quarter}")
    return dt.date(year, 3 * quarter - 2, 1), month_range(year, 3 * quarter)[1]


def year_range(year: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def week_range(spec: str) -> tuple[dt.date, dt.date]:
    """``'2026-W47'`` -> (Monday, Sunday) of that ISO week; ValueError on a bad spec."""
    import re

    m = re.fullmatch(r"(\d{4})-?W(\d{1,2})", spec.strip(), flags=re.IGNORECASE)
    if not m:
        raise ValueError(f"bad ISO week {spec!r}: expected YYYY-Www, e.g. 2026-W47")
    year, week = int(m.group(1)), int(m.group(2))
    try:
        monday = dt.date.fromisocalendar(year, week, 1)
    except ValueError as exc:
        raise ValueError(f"bad ISO week {spec!r}: {exc}") from None
    return monday, monday + dt.timedelta(days=6)


def period_start(day: dt.date, granularity: str) -> dt.date:
    if granularity == "day":
        return day
    if granularity == "week":
        return day - dt.timedelta(days=day.weekday())
    if granularity == "month":
        return day.replace(day=1)
    if granularity == "quarter":
        return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    if granularity == "year":
        return dt.date(day.year, 1, 1)
    raise ValueError(f"unknown granularity {granularity!r}; expected one of {', '.join(GRANULARITIES)}")


def period_label(start: dt.date, granularity: str) -> str:
    if granularity == "day":
        return start.isoformat()
    if granularity == "week":
        y, w, _ = start.isocalendar()
        return f"{y}-W{w:02d}"
    if granularity == "month":
        return f"{start.year}-{start.month:02d}"
    if granularity == "quarter":
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    return str(start.year)


def _next_period(start: dt.date, granularity: str) -> dt.date:
    if granularity == "day":
        return start + dt.timedelta(days=1)
    if granularity == "week":
        return start + dt.timedelta(days=7)
    months = {"month": 1, "quarter": 3, "year": 12}[granularity]
    m = start.month - 1 + months
    return dt.date(start.year + m // 12, m % 12 + 1, 1)


# --------------------------------------------------------------------------- queries
def _col(division: str):
    check_division(division)
    return CoverageFact.province_current if division == "current" else CoverageFact.province


def _mcol(division: str):
    check_division(division)
    return MinistryFact.ministry_current if division == "current" else MinistryFact.ministry


def _check_period(start: dt.date, end: dt.date) -> None:
    if start > end:
        raise ValueError(f"empty period: start {start} is after end {end}")


def _counts(model, *, own_press: bool = True) -> list:
    aid = model.article_id
    cols = [func.count(distinct(aid)).label("articles")]
    cols += [func.count(distinct(case((model.sentiment == s, aid)))).label(s) for s in SENTIMENTS]
    cols += [func.count(distinct(case((model.outlet_kind == k, aid)))).label(k) for k in OUTLET_KINDS]
    if own_press:
        cols.append(func.count(distinct(case((model.own_press.is_(True), aid)))).label("own_press"))
    return cols


COUNT_KEYS = ("articles",) + SENTIMENTS + OUTLET_KINDS


def _sorted(rows: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """Vietnamese-friendly, backend-independent order: diacritic-folded name, then theme."""
    from storage.search import fold

    return sorted(rows, key=lambda r: (fold(r[key]), r[key], r.get("theme") or ""))


def province_theme_stmt(*, start: dt.date, end: dt.date, division: str = "current", theme: Optional[str] = None,
                        province: Optional[str] = None, by_theme: bool = False):
    """The SELECT behind :func:`province_theme_matrix` (exposed for EXPLAIN in the benchmark)."""
    _check_period(start, end)
    pcol = _col(division)
    keys = [pcol.label("province")] + ([CoverageFact.theme.label("theme")] if by_theme else [])
    stmt = select(*keys, *_counts(CoverageFact)).where(CoverageFact.day >= start, CoverageFact.day <= end, pcol != "")
    if theme is not None:
        stmt = stmt.where(CoverageFact.theme == theme)
    if province is not None:
        stmt = stmt.where(pcol == province)
    group = [pcol] + ([CoverageFact.theme] if by_theme else [])
    return stmt.group_by(*group).order_by(*group)


def province_theme_matrix(session: Session, *, start: dt.date, end: dt.date, division: str = "current",
                          theme: Optional[str] = None, province: Optional[str] = None,
                          by_theme: bool = False) -> list[dict[str, Any]]:
    """Coverage per province (and theme) in [start, end]: distinct articles, by sentiment, by
    outlet kind and by the province's own press. Provinces without coverage are absent
    (see :func:`uncovered_provinces`)."""
    stmt = province_theme_stmt(start=start, end=end, division=division, theme=theme, province=province,
                               by_theme=by_theme)
    return _sorted([dict(row._mapping) for row in session.execute(stmt)], "province")


def totals(session: Session, *, start: dt.date, end: dt.date, province: Optional[str] = None,
           division: str = "current", theme: Optional[str] = None) -> dict[str, int]:
    """Distinct relevant articles in the period (an article naming two provinces counts once)."""
    _check_period(start, end)
    stmt = select(*_counts(CoverageFact)).where(CoverageFact.day >= start, CoverageFact.day <= end)
    if province is not None:
        stmt = stmt.where(_col(division) == province)
    if theme is not None:
        stmt = stmt.where(CoverageFact.theme == theme)
    return dict(session.execute(stmt).one()._mapping)


def covered_provinces(session: Session, *, start: dt.date, end: dt.date, division: str = "current",
                      theme: Optional[str] = None) -> set[str]:
    _check_period(start, end)
    pcol = _col(division)
    stmt = select(pcol).distinct().where(CoverageFact.day >= start, CoverageFact.day <= end, pcol != "")
    if theme is not None:
        stmt = stmt.where(CoverageFact.theme == theme)
    return set(session.scalars(stmt))


def uncovered_provinces(session: Session, *, start: dt.date, end: dt.date, division: str = "current",
                        theme: Optional[str] = None) -> list[str]:
    """The provinces of ``division`` (gazetteer order) with no relevant article in the period."""
    covered = covered_provinces(session, start=start, end=end, division=division, theme=theme)
    return [name for name in province_names(division) if name not in covered]


def ministry_coverage(session: Session, *, start: dt.date, end: dt.date, division: str = "current",
                      theme: Optional[str] = None, ministry: Optional[str] = None,
                      by_theme: bool = False) -> list[dict[str, Any]]:
    """Coverage per ministry (and theme): rows with ministry, [theme], articles, sentiments, outlet kinds."""
    _check_period(start, end)
    mcol = _mcol(division)
    keys = [mcol.label("ministry")] + ([MinistryFact.theme.label("theme")] if by_theme else [])
    stmt = select(*keys, *_counts(MinistryFact, own_press=False)).where(
        MinistryFact.day >= start, MinistryFact.day <= end, mcol != "")
    if theme is not None:
        stmt = stmt.where(MinistryFact.theme == theme)
    if ministry is not None:
        stmt = stmt.where(mcol == ministry)
    group = [mcol] + ([MinistryFact.theme] if by_theme else [])
    return _sorted([dict(r._mapping) for r in session.execute(stmt.group_by(*group).order_by(*group))], "ministry")


def uncovered_ministries(session: Session, *, start: dt.date, end: dt.date, division: str = "current") -> list[str]:
    _check_period(start, end)
    mcol = _mcol(division)
    covered = set(session.scalars(select(mcol).distinct().where(MinistryFact.day >= start, MinistryFact.day <= end)))
    return [name for name in ministry_names(current=division == "current") if name not in covered]


def top_outlets(session: Session, *, province: str, start: dt.date, end: dt.date, division: str = "current",
                limit: int = 10) -> list[dict[str, Any]]:
    """The outlets that covered ``province`` most in the period: outlet_id, outlet (name), kind,
    articles, positive, neutral, negative, own_press."""
    _check_period(start, end)
    pcol = _col(division)
    aid = CoverageFact.article_id
    n = func.count(distinct(aid))
    stmt = (
        select(
            CoverageFact.outlet_id.label("outlet_id"),
            func.max(Outlet.name).label("outlet"),
            func.max(CoverageFact.outlet_kind).label("kind"),
            n.label("articles"),
            *[func.count(distinct(case((CoverageFact.sentiment == s, aid)))).label(s) for s in SENTIMENTS],
            func.count(distinct(case((CoverageFact.own_press.is_(True), aid)))).label("own_press"),
        )
        .select_from(CoverageFact)
        .outerjoin(Outlet, Outlet.id == CoverageFact.outlet_id)
        .where(CoverageFact.day >= start, CoverageFact.day <= end, pcol == province)
        .group_by(CoverageFact.outlet_id)
        .order_by(n.desc(), CoverageFact.outlet_id)
        .limit(limit)
    )
    return [dict(r._mapping) for r in session.execute(stmt)]


def timeline(session: Session, *, start: dt.date, end: dt.date, province: Optional[str] = None,
             granularity: str = "day", division: str = "current", theme: Optional[str] = None) -> list[dict[str, Any]]:
    """Coverage per period from ``start`` to ``end``, empty periods included with zeros.

    Rows: ``{period, start, end, articles, positive, neutral, negative}``; ``period`` is
    ``2026-11-27`` (day), ``2026-W48`` (ISO week), ``2026-11`` (month), ``2026-Q4`` or ``2026``.
    SQL groups by day (portable); days are then summed into periods — exact, since every
    article has one day.
    """
    _check_period(start, end)
    if granularity not in GRANULARITIES:
        raise ValueError(f"unknown granularity {granularity!r}; expected one of {', '.join(GRANULARITIES)}")
    aid = CoverageFact.article_id
    stmt = select(
        CoverageFact.day,
        func.count(distinct(aid)),
        *[func.count(distinct(case((CoverageFact.sentiment == s, aid)))) for s in SENTIMENTS],
    ).where(CoverageFact.day >= start, CoverageFact.day <= end)
    if province is not None:
        stmt = stmt.where(_col(division) == province)
    if theme is not None:
        stmt = stmt.where(CoverageFact.theme == theme)
    buckets: dict[dt.date, dict[str, Any]] = {}
    p = period_start(start, granularity)
    while p <= end:
        nxt = _next_period(p, granularity)
        buckets[p] = {"period": period_label(p, granularity), "start": max(p, start),
                      "end": min(nxt - dt.timedelta(days=1), end), "articles": 0,
                      **{s: 0 for s in SENTIMENTS}}
        p = nxt
    for day, n, *by_sentiment in session.execute(stmt.group_by(CoverageFact.day)):
        if isinstance(day, str):  # defensive: raw SQLite text
            day = dt.date.fromisoformat(day)
        row = buckets[period_start(day, granularity)]
        row["articles"] += n
        for s, k in zip(SENTIMENTS, by_sentiment):
            row[s] += k
    return list(buckets.values())


def negative_share(session: Session, *, start: dt.date, end: dt.date, province: Optional[str] = None,
                   division: str = "current") -> float:
    """Share of negative articles among the relevant articles (0.0 when there are none)."""
    t = totals(session, start=start, end=end, province=province, division=division)
    return t["negative"] / t["articles"] if t["articles"] else 0.0
