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
from typing import Any, Callable, Iterable, Optional

from sqlalchemy import Date, and_, case, cast, distinct, func, literal, select
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
    """The canonical name of province ``name`` in ``division`` (folded match), or UnknownName."""
    check_division(division)
    wanted = _fold(name)
    for prefix in ("tinh ", "thanh pho ", "tp. ", "tp "):
        if wanted.startswith(prefix) and len(wanted) > len(prefix):
            wanted_bare = wanted[len(prefix):]
            break
    else:
        wanted_bare = wanted
    for cand in province_names(division):
        if _fold(cand) in (wanted, wanted_bare) or _fold(cand).removeprefix("thanh pho ") == wanted_bare:
            return cand
    other = "former" if division == "current" else "current"
    for cand in province_names(other):
        if _fold(cand) in (wanted, wanted_bare):
            return province_to_current(cand) if division == "current" else cand
    raise UnknownName("province", name, suggest_provinces(name, division=division))


def resolve_ministry(name: str) -> str:
    wanted = _fold(name)
    known = ministry_names(True) + ministry_names(False)
    for cand in known:
        if _fold(cand) == wanted:
            return cand
    if not known:  # no gazetteer yet: accept the name as given
        return _normalize(name)
    raise UnknownName("ministry", name, suggest_ministries(name))


def check_division(division: str) -> None:
    if division not in DIVISIONS:
        raise ValueError(f"unknown division {division!r}; expected one of {', '.join(DIVISIONS)}")
