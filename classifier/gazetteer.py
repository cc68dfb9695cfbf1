"""Vietnam's provinces (63 former, 34 current), legacy districts, communes and ministries.

Data come from the generated files in ``classifier/data/`` (see ``build_gazetteer.py``; origin
package and version recorded in ``gazetteer_source.json``) and the hand-maintained
``ministries.json`` and ``province_aliases.json``. Everything is loaded lazily once.

Names: the canonical name of a province is its short name as the labeling guide writes it
(``Hà Nội``, ``Thành phố Hồ Chí Minh``, ``Thừa Thiên Huế`` for the former province, ``Huế``
for the current city). A name that exists in both divisions (``Hà Nội``, ``Quảng Ninh``…)
is the same string in both.

Unknown names: ``province_to_current`` / ``ministry_to_current`` return an unknown name
unchanged (after normalisation) and log a warning, so that a stored label is never lost;
``canonical_province`` / ``canonical_ministry`` return ``None`` for an unknown name; use
``suggest_provinces`` / ``suggest_ministries`` for "did you mean" messages.
"""

from __future__ import annotations

import csv
import difflib
import gzip
import io
import json
import logging
import re
import unicodedata
from collections import defaultdict
from functools import lru_cache
from pathlib import Path

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).parent / "data"

__all__ = [
    "normalize",
    "fold",
    "province_names",
    "province_to_current",
    "province_coordinates",
    "canonical_province",
    "suggest_provinces",
    "ministry_names",
    "ministry_to_current",
    "canonical_ministry",
    "suggest_ministries",
    "ministry_successor_date",
    "ministry_for_domain",
    "former_provinces_of",
    "districts",
    "communes",
    "province_aliases",
    "ministry_aliases",
    "data_source",
]


def normalize(s: str | None) -> str:
    """NFC + one tone-mark convention (``classifier.normalize.normalize_text``)."""
    try:
        from classifier.normalize import normalize_text
    except ImportError:  # pragma: no cover - the module is part of the package
        return unicodedata.normalize("NFC", s or "").strip()
    return normalize_text(s)


def fold(s: str) -> str:
    """Diacritic-, case- and punctuation-insensitive key: ``"Đắk Lắk"`` → ``"daklak"``."""
    s = unicodedata.normalize("NFD", normalize(s)).replace("\u0111", "d").replace("\u0110", "D")
    s = "".join(c for c in s if not unicodedata.combining(c))
    return re.sub(r"[^0-9a-z]+", "", s.lower())


def _key(s: str) -> str:
    """Case- and spacing-insensitive key that keeps diacritics."""
    s = normalize(s).casefold()
    s = re.sub(r"[\s\-–—.,&]+", " ", s)
    return s.strip()


_PREFIX_RE = re.compile(
    r"^(?:ubnd\s+|ủy ban nhân dân\s+)?(?:tỉnh|thành phố|tp\.?|t\.p\.?)\s*", re.IGNORECASE
)


# --------------------------------------------------------------------------- loading
@lru_cache(maxsize=None)
def _provinces() -> dict:
    return json.loads((DATA_DIR / "provinces.json").read_text(encoding="utf-8"))


@lru_cache(maxsize=None)
def _aliases_file() -> dict:
    return json.loads((DATA_DIR / "province_aliases.json").read_text(encoding="utf-8"))


@lru_cache(maxsize=None)
def _ministries_file() -> dict:
    return json.loads((DATA_DIR / "ministries.json").read_text(encoding="utf-8"))


def data_source() -> dict:
    """Origin of the generated data: package name, version, build date."""
    return dict(_provinces()["source"])


# --------------------------------------------------------------------------- provinces
def province_names(division: str = "current") -> list[str]:
    """Canonical names: ``"current"`` → the 34 provinces since 1 July 2025, ``"former"`` → 63."""
    if division not in ("current", "former"):
        raise ValueError(f"division must be 'current' or 'former', not {division!r}")
    return [p["name"] for p in _provinces()[division]]


@lru_cache(maxsize=None)
def _former_to_current() -> dict[str, str]:
    return {p["name"]: p["current"] for p in _provinces()["former"]}


def former_provinces_of(current: str) -> list[str]:
    """The former provinces merged into a current one (``"Huế"`` → ``["Thừa Thiên Huế"]``)."""
    for p in _provinces()["current"]:
        if p["name"] == current:
            return list(p["former"])
    raise KeyError(current)


def province_aliases() -> dict[str, tuple[str, bool]]:
    """Surface form → (canonical name, strong?) for names, full names and press spellings."""
    return dict(_alias_table())


@lru_cache(maxsize=None)
def _alias_table() -> dict[str, tuple[str, bool]]:
    table: dict[str, tuple[str, bool]] = {}
    for division in ("former", "current"):
        for p in _provinces()[division]:
            table.setdefault(normalize(p["name"]), (p["name"], True))
    data = _aliases_file()
    for strength in ("strong", "weak"):
        for canonical, forms in data[strength].items():
            for form in forms:
                table.setdefault(normalize(form), (canonical, strength == "strong"))
    return table


@lru_cache(maxsize=None)
def _province_lookup() -> tuple[dict[str, str], dict[str, list[str]]]:
    by_key: dict[str, str] = {}
    by_fold: dict[str, list[str]] = defaultdict(list)
    for division in ("current", "former"):
        for p in _provinces()[division]:
            for form in (p["name"], p["full"]):
                by_key.setdefault(_key(form), p["name"])
    # Full official names of the current units win over former ones ("Thành phố Huế").
    for p in _provinces()["current"]:
        by_key[_key(p["full"])] = p["name"]
    for surface, (canonical, _strong) in _alias_table().items():
        by_key.setdefault(_key(surface), canonical)
    for k, name in list(by_key.items()):
        f = fold(k)
        if name not in by_fold[f]:
            by_fold[f].append(name)
    return by_key, dict(by_fold)


def canonical_province(name_or_alias: str | None) -> str | None:
    """Canonical province name for a name, official name or alias; ``None`` when unknown.

    ``"TP.HCM"`` → ``"Thành phố Hồ Chí Minh"``; ``"tỉnh Đăk Lăk"`` → ``"Đắk Lắk"``;
    ``"TT-Huế"`` → ``"Thừa Thiên Huế"``; ``"Huế"`` / ``"Thành phố Huế"`` → ``"Huế"``;
    ``"thu do"`` (no diacritics) resolves when the folded form is unique.
    """
    if not name_or_alias or not name_or_alias.strip():
        return None
    by_key, by_fold = _province_lookup()
    k = _key(name_or_alias)
    if k in by_key:
        return by_key[k]
    stripped = _PREFIX_RE.sub("", k).strip()
    if stripped in by_key:
        return by_key[stripped]
    for candidate in (k, stripped):
        names = by_fold.get(fold(candidate))
        if names and len(names) == 1:
            return names[0]
    return None


def province_to_current(name: str) -> str:
    """Current (34-division) canonical name of a former or current province or an alias.

    ``"Bình Dương"`` → ``"Thành phố Hồ Chí Minh"``, ``"Hà Giang"`` → ``"Tuyên Quang"``,
    ``"Thừa Thiên Huế"`` → ``"Huế"``. An unknown name is returned unchanged (normalised)
    with a warning in the log.
    """
    canonical = canonical_province(name)
    if canonical is None:
        log.warning("unknown province name %r: kept unchanged", name)
        return normalize(name)
    return _former_to_current().get(canonical, canonical)


def province_coordinates(division: str | None = None) -> dict[str, tuple[float, float]]:
    """Centroid (lat, lon) per canonical name, for a map marker.

    ``division=None`` gives both divisions (a name present in both gets the current unit's
    centroid); ``"former"`` or ``"current"`` restricts to one.
    """
    if division not in (None, "former", "current"):
        raise ValueError(f"division must be None, 'current' or 'former', not {division!r}")
    out: dict[str, tuple[float, float]] = {}
    for d in ("former", "current") if division is None else (division,):
        for p in _provinces()[d]:
            out[p["name"]] = (p["lat"], p["lon"])
    return out


def _suggest(name: str, names: list[str], n: int) -> list[str]:
    folded: dict[str, str] = {}
    for x in names:
        folded.setdefault(fold(x), x)
    target = fold(_PREFIX_RE.sub("", _key(name or "")) or name or "")
    hits = difflib.get_close_matches(target, list(folded), n=n, cutoff=0.5)
    return [folded[h] for h in hits]


def suggest_provinces(name: str, n: int = 3) -> list[str]:
    """Up to ``n`` closest canonical province names (both divisions), diacritic-insensitive."""
    exact = canonical_province(name)
    names = list(dict.fromkeys(province_names("current") + province_names("former")))
    hits = _suggest(name, names, n)
    if exact:
        hits = [exact] + [h for h in hits if h != exact]
    return hits[:n]


# --------------------------------------------------------------------------- districts, communes
@lru_cache(maxsize=None)
def districts() -> tuple[dict, ...]:
    """Legacy districts: dicts with province (former), district (full), short, type, lat, lon."""
    text = (DATA_DIR / "districts.csv").read_text(encoding="utf-8")
    lines = [ln for ln in text.splitlines() if not ln.startswith("#")]
    return tuple(csv.DictReader(lines))


@lru_cache(maxsize=None)
def communes() -> tuple[dict, ...]:
    """Communes/wards: dicts with division (former|current), province, district, commune, short, type."""
    raw = gzip.decompress((DATA_DIR / "communes.csv.gz").read_bytes()).decode("utf-8")
    return tuple(csv.DictReader(io.StringIO(raw)))


# --------------------------------------------------------------------------- ministries
@lru_cache(maxsize=None)
def _ministries() -> tuple[dict, ...]:
    return tuple(_ministries_file()["ministries"])


def ministry_successor_date() -> str:
    """ISO date the 2025 government restructuring took effect."""
    return _ministries_file()["restructured_on"]


def ministry_names(current: bool = True) -> list[str]:
    """Canonical names of the ministries and ministry-level agencies in force (``current=True``)
    or of those abolished/renamed in 2025 (``current=False``)."""
    want = "current" if current else "former"
    return [m["name"] for m in _ministries() if m["status"] == want]


def ministry_aliases() -> list[tuple[str, str, bool]]:
    """(surface form, canonical name, case-sensitive?) for every ministry name and alias."""
    out: list[tuple[str, str, bool]] = []
    for m in _ministries():
        out.append((m["name"], m["name"], False))
        for a in m.get("aliases", []):
            out.append((a, m["name"], False))
        for a in m.get("minister", []):
            out.append((a, m["name"], False))
        for a in m.get("abbrev", []):
            out.append((a, m["name"], True))
    return out


@lru_cache(maxsize=None)
def _ministry_lookup() -> tuple[dict[str, str], dict[str, str]]:
    by_key: dict[str, str] = {}
    for surface, canonical, _cs in ministry_aliases():
        by_key.setdefault(_key(surface), canonical)
    succ = {m["name"]: m.get("successor", m["name"]) for m in _ministries()}
    return by_key, succ


def canonical_ministry(name_or_alias: str | None) -> str | None:
    """Canonical full name for a ministry name, abbreviation or alias; ``None`` when unknown."""
    if not name_or_alias or not name_or_alias.strip():
        return None
    by_key, _ = _ministry_lookup()
    k = _key(name_or_alias)
    if k in by_key:
        return by_key[k]
    f = fold(k)
    hits = {v for kk, v in by_key.items() if fold(kk) == f}
    return hits.pop() if len(hits) == 1 else None


def ministry_to_current(name: str) -> str:
    """Today's agency for a ministry name or abbreviation, old or new.

    ``"Bộ Kế hoạch và Đầu tư"`` → ``"Bộ Tài chính"``; ``"Bộ TT&TT"`` →
    ``"Bộ Khoa học và Công nghệ"``; ``"Bộ LĐ-TB&XH"`` → ``"Bộ Nội vụ"`` (main successor).
    Unknown names are returned unchanged (normalised) with a warning in the log.
    """
    canonical = canonical_ministry(name)
    if canonical is None:
        log.warning("unknown ministry name %r: kept unchanged", name)
        return normalize(name)
    return _ministry_lookup()[1][canonical]


def suggest_ministries(name: str, n: int = 3) -> list[str]:
    """Up to ``n`` closest canonical ministry names (both periods), diacritic-insensitive."""
    exact = canonical_ministry(name)
    names = [m["name"] for m in _ministries()]
    folded = {fold(x): x for x in names}
    target = fold(name or "")
    hits = [folded[h] for h in difflib.get_close_matches(target, list(folded), n=n, cutoff=0.4)]
    if exact:
        hits = [exact] + [h for h in hits if h != exact]
    return hits[:n]


def ministry_for_domain(host: str | None) -> str | None:
    """Canonical name of the ministry whose own portal ``host`` (or URL) is, else ``None``."""
    if not host:
        return None
    h = host.lower()
    if "//" in h:
        h = h.split("//", 1)[1]
    h = h.split("/", 1)[0].split(":", 1)[0]
    for m in _ministries():
        for d in m.get("domains", []):
            if h == d or h.endswith("." + d):
                return m["name"]
    return None
