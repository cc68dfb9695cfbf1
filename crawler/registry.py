"""The source registry: which outlets to crawl and how (``crawler/sources.toml``).

Pure Python (``tomllib``, ``re``, ``difflib``): no Scrapy, no database, nothing heavy, so the
command line, the spiders and the classifier's locality code can all import it cheaply.

``load_registry(path, base_url=...)`` reads and validates a registry file and returns a
:class:`Registry` of frozen :class:`Outlet` records. Every problem in the file is collected
(not just the first) into a :class:`RegistryError` whose ``problems`` are
:class:`Problem` (file, line, outlet, message) records; ``str()`` lists them as
``FILE:LINE: [outlet-id] message``. ``tomllib`` gives no positions, so the line of each
``[[outlet]]`` header and of each key inside it is found by scanning the raw text.

Province names are checked against the 63 provinces of the 2008–2025 era and the 34 units
after the merger of 1 July 2025 (``FORMER_TO_CURRENT`` below; ``tests/test_registry.py``
checks it against the ``vietnamadminunits`` and ``vietnam_provinces`` data).
"""
from __future__ import annotations

import difflib
import os
import re
import sys
import threading
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Iterator, Optional, Sequence
from urllib.parse import urlsplit

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DEFAULT_REGISTRY = Path(__file__).with_name("sources.toml")
SOURCES_ENV = "REFORMWATCH_SOURCES"  # the registry in use when none is given (command line, spider, schedule)


def default_registry_path() -> Path:
    """The registry used when none is named: ``$REFORMWATCH_SOURCES``, else the bundled one."""
    return Path(os.environ.get(SOURCES_ENV) or DEFAULT_REGISTRY).expanduser()

KINDS = ("national", "local", "specialized", "government_portal")

# --------------------------------------------------------------------------- provinces
#: Each province of the 63-province era (as named at the time; Huế was "Thừa Thiên Huế" until
#: it became a centrally-run city in January 2025) -> the unit it belongs to since 1 July 2025.
FORMER_TO_CURRENT: dict[str, str] = {
    "Hà Nội": "Hà Nội",
    "Hà Giang": "Tuyên Quang",
    "Cao Bằng": "Cao Bằng",
    "Bắc Kạn": "Thái Nguyên",
    "Tuyên Quang": "Tuyên Quang",
    "Lào Cai": "Lào Cai",
    "Điện Biên": "Điện Biên",
    "Lai Châu": "Lai Châu",
    "Sơn La": "Sơn La",
    "Yên Bái": "Lào Cai",
    "Hòa Bình": "Phú Thọ",
    "Thái Nguyên": "Thái Nguyên",
    "Lạng Sơn": "Lạng Sơn",
    "Quảng Ninh": "Quảng Ninh",
    "Bắc Giang": "Bắc Ninh",
    "Phú Thọ": "Phú Thọ",
    "Vĩnh Phúc": "Phú Thọ",
    "Bắc Ninh": "Bắc Ninh",
    "Hải Dương": "Hải Phòng",
    "Hải Phòng": "Hải Phòng",
    "Hưng Yên": "Hưng Yên",
    "Thái Bình": "Hưng Yên",
    "Hà Nam": "Ninh Bình",
    "Nam Định": "Ninh Bình",
    "Ninh Bình": "Ninh Bình",
    "Thanh Hóa": "Thanh Hóa",
    "Nghệ An": "Nghệ An",
    "Hà Tĩnh": "Hà Tĩnh",
    "Quảng Bình": "Quảng Trị",
    "Quảng Trị": "Quảng Trị",
    "Thừa Thiên Huế": "Huế",
    "Huế": "Huế",
    "Đà Nẵng": "Đà Nẵng",
    "Quảng Nam": "Đà Nẵng",
    "Quảng Ngãi": "Quảng Ngãi",
    "Bình Định": "Gia Lai",
    "Phú Yên": "Đắk Lắk",
    "Khánh Hòa": "Khánh Hòa",
    "Ninh Thuận": "Khánh Hòa",
    "Bình Thuận": "Lâm Đồng",
    "Kon Tum": "Quảng Ngãi",
    "Gia Lai": "Gia Lai",
    "Đắk Lắk": "Đắk Lắk",
    "Đắk Nông": "Lâm Đồng",
    "Lâm Đồng": "Lâm Đồng",
    "Bình Phước": "Đồng Nai",
    "Tây Ninh": "Tây Ninh",
    "Bình Dương": "Thành phố Hồ Chí Minh",
    "Đồng Nai": "Đồng Nai",
    "Bà Rịa - Vũng Tàu": "Thành phố Hồ Chí Minh",
    "Thành phố Hồ Chí Minh": "Thành phố Hồ Chí Minh",
    "Long An": "Tây Ninh",
    "Tiền Giang": "Đồng Tháp",
    "Bến Tre": "Vĩnh Long",
    "Trà Vinh": "Vĩnh Long",
    "Vĩnh Long": "Vĩnh Long",
    "Đồng Tháp": "Đồng Tháp",
    "An Giang": "An Giang",
    "Kiên Giang": "An Giang",
    "Cần Thơ": "Cần Thơ",
    "Hậu Giang": "Cần Thơ",
    "Sóc Trăng": "Cần Thơ",
    "Bạc Liêu": "Cà Mau",
    "Cà Mau": "Cà Mau",
}
CURRENT_PROVINCES: tuple[str, ...] = tuple(dict.fromkeys(FORMER_TO_CURRENT.values()))
FORMER_PROVINCES: tuple[str, ...] = tuple(p for p in FORMER_TO_CURRENT if p != "Huế")  # the 63
PROVINCE_NAMES: frozenset[str] = frozenset(FORMER_TO_CURRENT) | frozenset(CURRENT_PROVINCES)

# New-style tone placement -> the convention of the canonical names (hoà -> hòa, thuỷ -> thủy):
# only for "oa", "oe", "uy" ending a syllable, and never after q ("quý" is right as it is).
# The same rule as classifier.normalize, which the crawler must not import.
_TONES = ("\u0300", "\u0301", "\u0309", "\u0303", "\u0323")


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


_NUCLEUS = {
    f + _nfc(s + tone): _nfc(f + tone) + s
    for first, second in (("o", "a"), ("o", "e"), ("u", "y"))
    for f in (first, first.upper())
    for s in (second, second.upper())
    for tone in _TONES
}
_LETTER = r"[^\W\d_]"
_TONE_RE = re.compile(
    r"(?<!" + _LETTER + r")((?:[gG][iI])?[bcdđghklmnprstvxBCDĐGHKLMNPRSTVX]*)("
    + "|".join(sorted(map(re.escape, _NUCLEUS), key=len, reverse=True))
    + r")(?!" + _LETTER + r")"
)


def normalize_vi(text: str) -> str:
    """NFC and one tone-mark convention (``Thanh Hoá`` -> ``Thanh Hóa``), whitespace collapsed."""
    text = _TONE_RE.sub(lambda m: m.group(1) + _NUCLEUS[m.group(2)], _nfc(text))
    return " ".join(text.split())


def fold(text: str) -> str:
    """Lower-case ASCII with no diacritics and no spaces or punctuation: ``Bà Rịa - Vũng Tàu`` -> ``bariavungtau``."""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in text.lower() if c.isascii() and c.isalnum())


_PROVINCE_BY_NORMAL = {normalize_vi(p).casefold(): p for p in PROVINCE_NAMES}
_PROVINCE_ALIASES = {  # common spellings accepted in the registry, stored canonically
    "hồ chí minh": "Thành phố Hồ Chí Minh",
    "tp hồ chí minh": "Thành phố Hồ Chí Minh",
    "tp. hồ chí minh": "Thành phố Hồ Chí Minh",
    "thành phố huế": "Huế",
    "bà rịa – vũng tàu": "Bà Rịa - Vũng Tàu",
    "bà rịa-vũng tàu": "Bà Rịa - Vũng Tàu",
}


_PROVINCE_BY_FOLD = {fold(p): p for p in PROVINCE_NAMES}
_PROVINCE_BY_FOLD.update({fold(k): v for k, v in _PROVINCE_ALIASES.items()})


def canonical_province(name: str, *, loose: bool = False) -> Optional[str]:
    """The canonical name (former or current) for ``name``, or None when it is not a province.

    NFC and tone-mark placement are normalised (``Thanh Hoá`` is ``Thanh Hóa``); with
    ``loose`` a name typed without diacritics is accepted too (``Da Nang``).
    """
    key = normalize_vi(name).casefold()
    found = _PROVINCE_BY_NORMAL.get(key) or _PROVINCE_ALIASES.get(key)
    if found is None and loose:
        found = _PROVINCE_BY_FOLD.get(fold(name))
    return found


def current_province(former: str) -> Optional[str]:
    """The province (34-unit era) that ``former`` (either era) belongs to since 1 July 2025."""
    name = canonical_province(former)
    if name is None:
        return None
    return FORMER_TO_CURRENT.get(name, name if name in CURRENT_PROVINCES else None)


def _close(word: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    cands = list(candidates)
    by_fold: dict[str, str] = {}
    for c in cands:
        by_fold.setdefault(fold(c), c)
    hits = difflib.get_close_matches(fold(word), list(by_fold), n=n, cutoff=0.6)
    out = [by_fold[h] for h in hits]
    for c in difflib.get_close_matches(word, cands, n=n, cutoff=0.6):
        if c not in out:
            out.append(c)
    return out[:n]


def _did_you_mean(word: str, candidates: Iterable[str]) -> str:
    close = _close(word, candidates)
    return f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""


# --------------------------------------------------------------------------- records
@dataclass(frozen=True)
class Listing:
    """A category page to walk: article links matching ``article_pattern``, up to ``max_pages``."""

    url: str
    article_pattern: str  # regex, re.search on absolute article URLs
    next_page: Optional[str] = None  # URL template with {page} (2, 3, …)
    next_selector: Optional[str] = None  # CSS selector of the "next page" link
    max_pages: int = 3

    @property
    def article_re(self) -> re.Pattern:
        return _compiled(self.article_pattern)

    def page_url(self, page: int) -> str:
        """URL of page ``page`` (1 = ``url``) for template pagination."""
        if page <= 1 or not self.next_page:
            return self.url
        return self.next_page.replace("{page}", str(page))


@lru_cache(maxsize=1024)
def _compiled(pattern: str) -> re.Pattern:
    return re.compile(pattern)


@dataclass(frozen=True)
class Politeness:
    delay: float = 1.0  # seconds between requests to this outlet
    concurrency: int = 2  # parallel requests to this outlet


@dataclass(frozen=True)
class Outlet:
    id: str
    name: str
    domain: str  # host[:port][/path-prefix], lower case, no "www."
    kind: str
    province: Optional[str] = None  # home province, 63-province era name
    province_current: Optional[str] = None  # after 1 July 2025 (34 units)
    verified: bool = True
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    listings: tuple[Listing, ...] = ()
    rules: tuple[dict, ...] = field(default=(), hash=False)
    politeness: Politeness = Politeness()
    extra_domains: tuple[str, ...] = ()
    line: int = 0  # line of the [[outlet]] header in the registry file

    @property
    def hosts(self) -> tuple[str, ...]:
        """Every host (with optional path prefix) the outlet publishes on."""
        return (self.domain,) + self.extra_domains

    @property
    def start_urls(self) -> tuple[str, ...]:
        return self.feeds + self.sitemaps + tuple(listing.url for listing in self.listings)

    def row(self) -> dict[str, Any]:
        """The registry columns of the ``outlets`` table (storage.models.Outlet) for an upsert."""
        return {"id": self.id, "name": self.name, "domain": self.domain, "kind": self.kind,
                "province": self.province, "province_current": self.province_current, "verified": self.verified}

    def owns_url(self, url: str) -> bool:
        return _match_len(self, *_host_path(url)) > 0


@dataclass(frozen=True)
class Problem:
    file: str
    line: Optional[int]
    outlet: Optional[str]
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else f"{self.file}"
        who = f" [{self.outlet}]" if self.outlet else ""
        return f"{where}:{who} {self.message}"


class RegistryError(ValueError):
    """The registry file is invalid: ``problems`` lists every problem found."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class UnknownOutletError(KeyError):
    """An outlet id that is not in the registry (the message suggests close ids)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


# --------------------------------------------------------------------------- hosts
def normalize_host(host: str) -> str:
    """Lower-case host (accepts a URL), no trailing dot, no ``www.``; keeps a non-default port."""
    host = host.strip()
    if "://" in host:
        host = urlsplit(host).netloc
    host = host.split("@")[-1].lower().rstrip(".")
    if host.endswith(":80") or host.endswith(":443"):
        host = host.rsplit(":", 1)[0]
    if host.startswith("www."):
        host = host[4:]
    return host


def _host_path(url: str) -> tuple[str, str]:
    if "://" not in url:
        url = "http://" + url
    parts = urlsplit(url)
    return normalize_host(parts.netloc), parts.path or "/"


def _split_domain(domain: str) -> tuple[str, str]:
    host, _, prefix = domain.partition("/")
    return host, ("/" + prefix.strip("/") + "/") if prefix.strip("/") else ""


def _match_len(outlet: Outlet, host: str, path: str) -> int:
    """How specifically ``outlet`` claims host+path: 0 = not at all; longer = more specific."""
    best = 0
    for dom in outlet.hosts:
        dhost, prefix = _split_domain(dom)
        if host == dhost:
            score = 1000
        elif host.endswith("." + dhost):
            score = 500
        else:
            continue
        if prefix:
            if not (path.rstrip("/") + "/").startswith(prefix):
                continue
            score += len(prefix)
        score += len(dhost)
        best = max(best, score)
    return best


# --------------------------------------------------------------------------- registry
class Registry:
    """The outlets of one registry file, in file order."""

    def __init__(self, outlets: Iterable[Outlet], path: Optional[Path] = None):
        self.outlets: tuple[Outlet, ...] = tuple(outlets)
        self.path = Path(path) if path else None
        self._by_id = {o.id: o for o in self.outlets}

    def __iter__(self) -> Iterator[Outlet]:
        return iter(self.outlets)

    def __len__(self) -> int:
        return len(self.outlets)

    def __contains__(self, outlet_id: object) -> bool:
        return outlet_id in self._by_id

    def __repr__(self) -> str:
        return f"Registry({len(self)} outlets from {self.path})"

    def ids(self) -> list[str]:
        return [o.id for o in self.outlets]

    def get(self, outlet_id: str) -> Outlet:
        try:
            return self._by_id[outlet_id]
        except KeyError:
            raise UnknownOutletError(self._unknown_message([outlet_id])) from None

    def _unknown_message(self, unknown: Sequence[str]) -> str:
        parts = []
        for oid in unknown:
            close = difflib.get_close_matches(oid, self.ids(), n=3, cutoff=0.5)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            parts.append(f"{oid!r}{hint}")
        where = f" in {self.path}" if self.path else ""
        return f"unknown outlet id{'s' if len(unknown) > 1 else ''}{where}: " + "; ".join(parts)

    def select(self, ids: Optional[Iterable[str]] = None) -> list[Outlet]:
        """The outlets with these ids (all when ``ids`` is empty or None), in the order given.

        Raises :class:`UnknownOutletError` naming every unknown id with its close matches.
        """
        if ids is None:
            return list(self.outlets)
        wanted = [i.strip() for raw in ids for i in str(raw).split(",") if i.strip()]
        if not wanted:
            return list(self.outlets)
        unknown = [i for i in dict.fromkeys(wanted) if i not in self._by_id]
        if unknown:
            raise UnknownOutletError(self._unknown_message(unknown))
        return [self._by_id[i] for i in dict.fromkeys(wanted)]

    def by_domain(self, host: str) -> Optional[Outlet]:
        """The outlet publishing on ``host`` (or URL): its domain, ``www.``, any sub-domain, extra_domains.

        The most specific claim wins (``sonoivu.bacgiang.gov.vn`` goes to an outlet for
        ``sonoivu.bacgiang.gov.vn`` before one for ``bacgiang.gov.vn``). With a URL, outlets
        whose domain has a path prefix (``127.0.0.1:8000/mau-ha-giang``) match on it too.
        """
        return self._best(*_host_path(host))

    def by_url(self, url: str) -> Optional[Outlet]:
        return self._best(*_host_path(url))

    def _best(self, host: str, path: str) -> Optional[Outlet]:
        best, best_score = None, 0
        for outlet in self.outlets:
            score = _match_len(outlet, host, path)
            if score > best_score:
                best, best_score = outlet, score
        return best

    def counts(self) -> dict[str, int]:
        out = {k: 0 for k in KINDS}
        for o in self.outlets:
            out[o.kind] = out.get(o.kind, 0) + 1
        return out

    def unverified(self) -> list[Outlet]:
        return [o for o in self.outlets if not o.verified]


# --------------------------------------------------------------------------- line map
_HEADER_RE = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\-\" ]+?)\s*(\]\]?)\s*(#.*)?$")
_KEY_RE = re.compile(r"""^\s*([A-Za-z0-9_\-]+|"[^"]*"|'[^']*')(\s*\.\s*[A-Za-z0-9_\-]+)*\s*=""")


@dataclass
class _Block:
    """Lines of one table in the raw text: header line, key -> line, and the line range."""

    line: int = 0
    keys: dict = field(default_factory=dict)
    end: int = 0


@dataclass
class _OutletLines(_Block):
    listing: list = field(default_factory=list)
    rules: list = field(default_factory=list)
    politeness: Optional[_Block] = None


class _LineMap:
    def __init__(self, text: str):
        self.lines = text.splitlines()
        self.outlets: list[_OutletLines] = []
        self.top: dict[str, int] = {}  # top-level keys and tables -> line
        self.defaults = _Block()
        self._scan()

    def _scan(self) -> None:
        current: Optional[_Block] = None
        in_multiline = None
        for no, raw in enumerate(self.lines, start=1):
            line = raw
            if in_multiline:
                if in_multiline in line:
                    in_multiline = None
                continue
            stripped = line.strip()
            if not stripped or stripped.startswith("#"):
                continue
            m = _HEADER_RE.match(line)
            if m and not _KEY_RE.match(line):
                name = m.group(2).replace(" ", "").replace('"', "")
                double = m.group(1) == "[["
                if current is not None:
                    current.end = no - 1
                if name == "outlet" and double:
                    current = _OutletLines(line=no)
                    self.outlets.append(current)
                elif name in ("outlet.listing", "outlet.rules") and double and self.outlets:
                    current = _Block(line=no)
                    getattr(self.outlets[-1], name.split(".")[1]).append(current)
                elif name == "outlet.politeness" and not double and self.outlets:
                    current = _Block(line=no)
                    self.outlets[-1].politeness = current
                elif name == "defaults" and not double:
                    current = self.defaults
                    current.line = no
                else:
                    self.top.setdefault(name.split(".")[0], no)
                    if self.outlets and name.startswith("outlet."):
                        self.outlets[-1].keys.setdefault(name.split(".")[1], no)
                    current = _Block(line=no)
                continue
            k = _KEY_RE.match(line)
            if k:
                key = k.group(1).strip("\"'")
                target = current.keys if current is not None else self.top
                target.setdefault(key, no)
                after = line[k.end():]
                for q in ('"""', "'''"):
                    if after.count(q) % 2 == 1:
                        in_multiline = q
        if current is not None:
            current.end = len(self.lines)
        # each outlet block ends where the next [[outlet]] starts
        for a, b in zip(self.outlets, self.outlets[1:]):
            a.end = b.line - 1
        if self.outlets:
            self.outlets[-1].end = max(self.outlets[-1].end, len(self.lines))

    def outlet(self, index: int) -> _OutletLines:
        return self.outlets[index] if index < len(self.outlets) else _OutletLines()

    def value_line(self, block: _Block, key: str, value: str, stop: Optional[int] = None) -> Optional[int]:
        """The line where ``value`` is written under ``key`` (a multi-line array element), else the key's."""
        start = block.keys.get(key)
        if not start:
            return block.line or None
        end = stop or block.end or len(self.lines)
        for no in range(start, min(end, len(self.lines)) + 1):
            if value and value in self.lines[no - 1]:
                return no
        return start


# --------------------------------------------------------------------------- validation
OUTLET_KEYS = {
    "id", "name", "domain", "kind", "province", "province_current", "verified", "extra_domains",
    "feeds", "sitemaps", "listing", "politeness", "rules", "note",
}
REQUIRED_KEYS = ("id", "name", "domain", "kind")
LISTING_KEYS = {"url", "article_pattern", "next_page", "next_selector", "max_pages"}
POLITENESS_KEYS = {"delay", "concurrency"}
RULE_KEYS = {"since", "until", "title", "published", "author", "body", "lead", "drop", "name", "note"}
TOP_KEYS = {"outlet", "defaults"}
ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
_HOST_RE = re.compile(
    r"^(?:(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]*[a-z0-9]|localhost|\d{1,3}(?:\.\d{1,3}){3})(?::\d{1,5})?$"
)


class _Checker:
    check_selectors = True

    def __init__(self, path: Path, text: str, base_url: Optional[str]):
        self.path = path
        self.file = str(path)
        self.text = text
        self.base = base_url.rstrip("/") if base_url else None
        self.base_host = normalize_host(base_url) if base_url else None
        self.problems: list[Problem] = []
        self.lines = _LineMap(text)

    def problem(self, line: Optional[int], outlet: Optional[str], message: str) -> None:
        self.problems.append(Problem(self.file, line, outlet, message))

    # ---- value helpers
    def subst(self, value: str) -> str:
        if self.base is not None:
            value = value.replace("{base}", self.base).replace("{host}", self.base_host)
        return value

    def check_url(self, value: Any, line: Optional[int], oid: Optional[str], what: str) -> Optional[str]:
        if not isinstance(value, str) or not value.strip():
            self.problem(line, oid, f"{what}: expected a URL string, got {value!r}")
            return None
        value = self.subst(value.strip())
        probe = value.replace("{base}", "http://base.invalid").replace("{page}", "2")
        parts = urlsplit(probe)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            self.problem(line, oid, f"{what}: not an http(s) URL with a host: {value!r}")
            return None
        if any(c.isspace() for c in probe):
            self.problem(line, oid, f"{what}: URL contains whitespace: {value!r}")
            return None
        return value

    def check_domain(self, value: Any, line: Optional[int], oid: Optional[str], what: str) -> Optional[str]:
        if not isinstance(value, str) or not value.strip():
            self.problem(line, oid, f"{what}: expected a host name such as 'baoquangninh.vn', got {value!r}")
            return None
        raw = self.subst(value.strip())
        if "://" in raw:
            self.problem(line, oid, f"{what}: write the host only, without a scheme: {value!r}")
            return None
        probe = raw.replace("{host}", "base.invalid")
        host, prefix = _split_domain(probe)
        if not _HOST_RE.match(host.lower()):
            self.problem(line, oid, f"{what}: not a valid host name: {value!r}")
            return None
        host_n = normalize_host(raw.split("/", 1)[0])
        return host_n + (("/" + prefix.strip("/")) if prefix else "")

    def check_str_list(self, value: Any, line, oid, what) -> list:
        if value is None:
            return []
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            self.problem(line, oid, f"{what}: expected a list of strings, got {type(value).__name__}")
            return []
        return value

    def check_province(self, data: dict, block: _Block, oid: Optional[str], kind: Optional[str]):
        prov, cur = data.get("province"), data.get("province_current")
        pline = block.keys.get("province", block.line)
        cline = block.keys.get("province_current", block.line)
        province = current = None
        if prov is not None:
            if not isinstance(prov, str) or not prov.strip():
                self.problem(pline, oid, f"province: expected a province name, got {prov!r}")
            else:
                province = canonical_province(prov)
                if province is None:
                    self.problem(pline, oid, f"province: {prov!r} is not a province of Viet Nam (63-province or 34-province list)"
                                 + _did_you_mean(prov, PROVINCE_NAMES))
        if cur is not None:
            if not isinstance(cur, str) or not cur.strip():
                self.problem(cline, oid, f"province_current: expected a province name, got {cur!r}")
            else:
                current = canonical_province(cur)
                if current is None or current not in CURRENT_PROVINCES:
                    hint = ""
                    if current is not None:
                        hint = f" ({current} belongs to {current_province(current)} since 1 July 2025)"
                    else:
                        hint = _did_you_mean(cur, CURRENT_PROVINCES)
                    self.problem(cline, oid, f"province_current: {cur!r} is not one of the 34 provinces after 1 July 2025{hint}")
                    current = None
        if kind == "local":
            if prov is None:
                self.problem(block.line, oid, "a local outlet needs province (its home province, 63-province era name)")
            if cur is None:
                target = f" ({current_province(province)!r})" if province else ""
                self.problem(block.line, oid, f"a local outlet needs province_current (its province after 1 July 2025){target}")
        else:
            if prov is not None and cur is None and province:
                self.problem(pline, oid, f"province is set: set province_current too ({current_province(province)!r})")
            if cur is not None and prov is None:
                self.problem(cline, oid, "province_current is set without province")
        if province and current:
            expected = current_province(province)
            if expected != current:
                self.problem(cline, oid, f"province_current: {province} became part of {expected} on 1 July 2025, not {current}")
        return province, current

    # ---- tables
    def check(self, data: dict) -> list[Outlet]:
        for key in data:
            if key not in TOP_KEYS:
                line = self.lines.top.get(key)
                self.problem(line, None, f"unknown top-level key {key!r}" + _did_you_mean(key, TOP_KEYS))
        defaults = self.check_politeness(data.get("defaults", {}), self.lines.defaults, None, "defaults", Politeness())
        outlets_raw = data.get("outlet", [])
        if not isinstance(outlets_raw, list):
            self.problem(self.lines.top.get("outlet"), None, "outlet: write one [[outlet]] table per outlet")
            return []
        outlets: list[Outlet] = []
        seen_ids: dict[str, int] = {}
        seen_hosts: dict[str, tuple[str, int]] = {}
        for index, raw in enumerate(outlets_raw):
            block = self.lines.outlet(index)
            outlet, oid, hosts = self.check_outlet(raw, block, defaults)
            ok = outlet is not None
            if oid is not None:
                if oid in seen_ids:
                    self.problem(block.keys.get("id", block.line), oid,
                                 f"duplicate id: already used by the outlet at line {seen_ids[oid]}")
                    ok = False
                else:
                    seen_ids[oid] = block.line
            for host, key in hosts:
                if host in seen_hosts:
                    other, other_line = seen_hosts[host]
                    line = (self.lines.value_line(block, key, host.split("/")[0]) if key == "extra_domains"
                            else block.keys.get(key, block.line))
                    self.problem(line, oid, f"duplicate domain {host!r}: already claimed by [{other}] at line {other_line}")
                    ok = False
                else:
                    seen_hosts[host] = (oid, block.line)
            if ok:
                outlets.append(outlet)
        return outlets

    def check_politeness(self, raw: Any, block: _Block, oid, what: str, default: Politeness) -> Politeness:
        if not raw:
            return default
        if not isinstance(raw, dict):
            self.problem(block.line, oid, f"{what}: expected a table with delay and concurrency")
            return default
        for key in raw:
            if key not in POLITENESS_KEYS:
                self.problem(block.keys.get(key, block.line), oid,
                             f"{what}: unknown key {key!r}" + _did_you_mean(key, POLITENESS_KEYS))
        delay, conc = raw.get("delay", default.delay), raw.get("concurrency", default.concurrency)
        if isinstance(delay, bool) or not isinstance(delay, (int, float)) or delay < 0:
            self.problem(block.keys.get("delay", block.line), oid, f"{what}.delay: expected seconds >= 0, got {delay!r}")
            delay = default.delay
        if isinstance(conc, bool) or not isinstance(conc, int) or conc < 1:
            self.problem(block.keys.get("concurrency", block.line), oid, f"{what}.concurrency: expected an integer >= 1, got {conc!r}")
            conc = default.concurrency
        return Politeness(delay=float(delay), concurrency=conc)

    def check_outlet(self, raw: Any, block: _OutletLines, defaults: Politeness):
        """(Outlet or None when invalid, its id if readable, [(host, key)] it claims)."""
        if not isinstance(raw, dict):
            self.problem(block.line, None, "outlet: expected a table")
            return None, None, []
        oid = raw.get("id") if isinstance(raw.get("id"), str) else None
        before = len(self.problems)
        for key in raw:
            if key not in OUTLET_KEYS:
                self.problem(block.keys.get(key, block.line), oid,
                             f"unknown key {key!r}" + _did_you_mean(key, OUTLET_KEYS))
        for key in REQUIRED_KEYS:
            if key not in raw:
                self.problem(block.line, oid, f"missing required key {key!r}")
        if "id" in raw and (oid is None or not ID_RE.match(oid)):
            self.problem(block.keys.get("id", block.line), oid,
                         f"id: expected a slug of lower-case letters, digits and '-', got {raw.get('id')!r}")
        name = raw.get("name")
        if "name" in raw and (not isinstance(name, str) or not name.strip()):
            self.problem(block.keys.get("name", block.line), oid, f"name: expected a non-empty string, got {name!r}")
        kind = raw.get("kind")
        if "kind" in raw and kind not in KINDS:
            self.problem(block.keys.get("kind", block.line), oid,
                         f"kind: {kind!r} is not one of {', '.join(KINDS)}" + _did_you_mean(str(kind), KINDS))
        domain = None
        if "domain" in raw:
            domain = self.check_domain(raw["domain"], block.keys.get("domain", block.line), oid, "domain")
        extra = []
        for value in self.check_str_list(raw.get("extra_domains"), block.keys.get("extra_domains"), oid, "extra_domains"):
            d = self.check_domain(value, self.lines.value_line(block, "extra_domains", str(value)), oid, "extra_domains")
            if d and d != domain and d not in extra:
                extra.append(d)
        verified = raw.get("verified", True)
        if not isinstance(verified, bool):
            self.problem(block.keys.get("verified", block.line), oid, f"verified: expected true or false, got {verified!r}")
        province, current = self.check_province(raw, block, oid, kind)
        urls = {}
        for key in ("feeds", "sitemaps"):
            out = []
            for value in self.check_str_list(raw.get(key), block.keys.get(key, block.line), oid, key):
                u = self.check_url(value, self.lines.value_line(block, key, str(value)), oid, key)
                if u:
                    out.append(u)
            urls[key] = tuple(dict.fromkeys(out))
        listings = self.check_listings(raw.get("listing"), block, oid)
        rules = self.check_rules(raw.get("rules"), block, oid)
        politeness = self.check_politeness(raw.get("politeness"), block.politeness or _Block(line=block.keys.get("politeness", block.line)),
                                           oid, "politeness", defaults)
        if not urls["feeds"] and not urls["sitemaps"] and not listings and "feeds" not in raw and "sitemaps" not in raw and "listing" not in raw:
            self.problem(block.line, oid, "nothing to crawl: give feeds, sitemaps or a [[outlet.listing]]")
        hosts = ([(domain, "domain")] if domain else []) + [(h, "extra_domains") for h in extra]
        if len(self.problems) > before:
            return None, oid, hosts
        return Outlet(
            id=oid, name=normalize_vi(name), domain=domain, kind=kind, province=province,
            province_current=current, verified=verified, feeds=urls["feeds"], sitemaps=urls["sitemaps"],
            listings=tuple(listings), rules=tuple(rules), politeness=politeness,
            extra_domains=tuple(extra), line=block.line,
        ), oid, hosts

    def sub_tables(self, raw: Any, block: _OutletLines, key: str, oid) -> Iterator[tuple[dict, _Block, str]]:
        """The ``[[outlet.KEY]]`` tables of an outlet, each with its lines and a "KEY #n" label;
        what is not a table is reported."""
        if raw is None:
            return
        if isinstance(raw, dict):
            raw = [raw]
        if not isinstance(raw, list):
            self.problem(block.keys.get(key, block.line), oid, f"{key}: write [[outlet.{key}]] tables")
            return
        lines = getattr(block, key)
        for i, item in enumerate(raw):
            sub = lines[i] if i < len(lines) else _Block(line=block.keys.get(key, block.line))
            where = f"{key} #{i + 1}"
            if not isinstance(item, dict):
                self.problem(sub.line, oid, f"{where}: expected a table")
                continue
            yield item, sub, where

    def check_listings(self, raw: Any, block: _OutletLines, oid) -> list[Listing]:
        out = []
        for item, lb, where in self.sub_tables(raw, block, "listing", oid):
            n = len(self.problems)
            for key in item:
                if key not in LISTING_KEYS:
                    self.problem(lb.keys.get(key, lb.line), oid, f"{where}: unknown key {key!r}" + _did_you_mean(key, LISTING_KEYS))
            for key in ("url", "article_pattern"):
                if key not in item:
                    self.problem(lb.line, oid, f"{where}: missing required key {key!r}")
            url = self.check_url(item["url"], lb.keys.get("url", lb.line), oid, f"{where}.url") if "url" in item else None
            pattern = item.get("article_pattern")
            if "article_pattern" in item:
                if not isinstance(pattern, str) or not pattern:
                    self.problem(lb.keys.get("article_pattern", lb.line), oid, f"{where}.article_pattern: expected a regular expression string")
                else:
                    try:
                        re.compile(pattern)
                    except re.error as exc:
                        self.problem(lb.keys.get("article_pattern", lb.line), oid, f"{where}.article_pattern: bad regular expression {pattern!r}: {exc}")
            next_page, next_sel = item.get("next_page"), item.get("next_selector")
            if next_page is not None:
                next_page = self.check_url(next_page, lb.keys.get("next_page", lb.line), oid, f"{where}.next_page")
                if next_page and "{page}" not in next_page:
                    self.problem(lb.keys.get("next_page", lb.line), oid, f"{where}.next_page: the template needs a {{page}} placeholder")
            if next_sel is not None and (not isinstance(next_sel, str) or not next_sel.strip()):
                self.problem(lb.keys.get("next_selector", lb.line), oid, f"{where}.next_selector: expected a CSS selector string")
            if next_page is not None and next_sel is not None and "next_page" in item and "next_selector" in item:
                self.problem(lb.keys.get("next_selector", lb.line), oid, f"{where}: give next_page or next_selector, not both")
            paginated = "next_page" in item or "next_selector" in item
            max_pages = item.get("max_pages", 3 if paginated else 1)
            if isinstance(max_pages, bool) or not isinstance(max_pages, int) or max_pages < 1:
                self.problem(lb.keys.get("max_pages", lb.line), oid, f"{where}.max_pages: expected an integer >= 1, got {max_pages!r}")
            elif max_pages > 1 and not paginated:
                self.problem(lb.keys.get("max_pages", lb.line), oid,
                             f"{where}: max_pages = {max_pages} needs next_page (a URL template with {{page}}) or next_selector")
            if len(self.problems) == n:
                out.append(Listing(url=url, article_pattern=pattern, next_page=next_page,
                                   next_selector=next_sel, max_pages=max_pages))
        return out

    def check_rules(self, raw: Any, block: _OutletLines, oid) -> list[dict]:
        out = []
        for item, rb, where in self.sub_tables(raw, block, "rules", oid):
            n = len(self.problems)
            for key, value in item.items():
                line = rb.keys.get(key, rb.line)
                if key not in RULE_KEYS:
                    self.problem(line, oid, f"{where}: unknown key {key!r}" + _did_you_mean(key, RULE_KEYS))
                elif key in ("since", "until"):
                    if not _is_date(value):
                        self.problem(line, oid, f"{where}.{key}: expected a date (YYYY-MM-DD), got {value!r}")
                elif key not in ("name", "note"):
                    specs = [value] if isinstance(value, str) else value
                    if not isinstance(specs, list) or not specs or not all(isinstance(s, str) and s.strip() for s in specs):
                        self.problem(line, oid, f"{where}.{key}: expected a selector ('css:…' or 'xpath:…') or a list of them")
                        continue
                    for spec in specs if self.check_selectors else ():
                        error = _selector_error(spec)
                        if error:
                            self.problem(line, oid, f"{where}.{key}: {error}")
            if len(self.problems) == n:
                out.append(dict(item))
        return out


def _selector_error(spec: str) -> Optional[str]:
    """Why a rule selector does not compile (None when it does). The extraction package (and
    lxml) is imported only when a registry has rules, so the registry stays cheap to load."""
    from crawler.extraction.selectors import SelectorError, compile_selector

    try:
        compile_selector(spec)
    except SelectorError as exc:
        return str(exc)
    return None


def _is_date(value: Any) -> bool:
    import datetime as dt

    if isinstance(value, dt.date):
        return True
    if isinstance(value, str):
        try:
            dt.date.fromisoformat(value)
            return True
        except ValueError:
            return False
    return False


_TOML_POS = re.compile(r"\(at line (\d+), column (\d+)\)")


def parse_registry(
    text: str, path: Path | str = "<registry>", *, base_url: Optional[str] = None, check_selectors: bool = True
) -> Registry:
    """Validate registry text and build the :class:`Registry` (raises :class:`RegistryError`).

    ``check_selectors`` compiles every extraction-rule selector (this imports lxml); the
    cheap look-ups of the classifier (home provinces) skip it."""
    path = Path(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = _TOML_POS.search(str(exc))
        line = int(m.group(1)) if m else None
        msg = _TOML_POS.sub("", str(exc)).strip()
        raise RegistryError([Problem(str(path), line, None, f"TOML syntax error: {msg}" + (f" (column {m.group(2)})" if m else ""))]) from None
    checker = _Checker(path, text, base_url)
    checker.check_selectors = check_selectors
    outlets = checker.check(data)
    if checker.problems:
        raise RegistryError(sorted(checker.problems, key=lambda p: (p.line or 0)))
    return Registry(outlets, path)


_cache: dict[tuple, Registry] = {}
_cache_lock = threading.Lock()


def load_registry(
    path: Optional[str | os.PathLike] = None, *, base_url: Optional[str] = None, check_selectors: bool = True
) -> Registry:
    """Read, validate and return the registry at ``path`` (default: ``default_registry_path()``).

    ``{base}`` in URLs becomes ``base_url`` and ``{host}`` in domains its host[:port] (the demo
    outlets on 127.0.0.1). Cached per (path, modification time, base_url).
    """
    p = Path(path).expanduser() if path else default_registry_path()
    try:
        stat = p.stat()
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RegistryError([Problem(str(p), None, None, "registry file not found")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RegistryError([Problem(str(p), None, None, f"cannot read the registry: {exc}")]) from None
    key = (str(p.resolve()), stat.st_mtime_ns, stat.st_size, base_url, check_selectors)
    with _cache_lock:
        hit = _cache.get(key)
    if hit is not None:
        return hit
    registry = parse_registry(text, p, base_url=base_url, check_selectors=check_selectors)
    with _cache_lock:
        _cache[key] = registry
    return registry


# --------------------------------------------------------------------------- home province
_PROVINCE_KEYS: tuple[tuple[str, str], ...] = tuple(
    sorted(((fold(p), p) for p in FORMER_TO_CURRENT if p not in ("Thành phố Hồ Chí Minh", "Huế")), key=lambda kv: -len(kv[0]))
) + (("hue", "Thừa Thiên Huế"), ("hochiminh", "Thành phố Hồ Chí Minh"), ("tphcm", "Thành phố Hồ Chí Minh"), ("hcm", "Thành phố Hồ Chí Minh"),
     ("hcmc", "Thành phố Hồ Chí Minh"), ("thuathienhue", "Thừa Thiên Huế"), ("brvt", "Bà Rịa - Vũng Tàu"),
     ("bariavungtau", "Bà Rịa - Vũng Tàu"), ("baccan", "Bắc Kạn"), ("dienbienphu", "Điện Biên"),
     ("daklak", "Đắk Lắk"), ("daknong", "Đắk Nông"), ("dalat", "Lâm Đồng"))
_SHORT = 4  # keys this short must start a host label (``hue`` must not match ``thuehaiquan``)
_PREFIXES = ("bao", "so", "cong", "tinh", "tp", "ubnd", "cchc", "dangbo")


def infer_province_from_host(host: str) -> Optional[str]:
    """The province (as named in the 63-province era) a host's labels name, or None.

    ``baoquangninh.vn`` -> Quảng Ninh, ``sonoivu.bacgiang.gov.vn`` -> Bắc Giang,
    ``hanoimoi.vn`` -> Hà Nội. The longest folded province name found inside a label wins.
    """
    host = normalize_host(host).split(":")[0]
    labels = [lab for part in host.split(".")[:-1] or host.split(".") for lab in re.split(r"[-_]", part) if lab]
    best: Optional[tuple[int, str]] = None
    for lab in labels:
        for key, name in _PROVINCE_KEYS:
            if key not in lab:
                continue
            if len(key) <= _SHORT and not (lab.startswith(key) or any(lab == p + key or lab.startswith(p + key) for p in _PREFIXES)):
                continue
            if best is None or len(key) > best[0]:
                best = (len(key), name)
    return best[1] if best else None


def _default_registry(path: Optional[str]) -> Optional[Registry]:
    try:
        return load_registry(path, check_selectors=False)
    except RegistryError:
        return None  # an invalid registry must not stop classification: infer from the host


def home_province_for_domain(host: str, registry: Optional[Registry] = None) -> Optional[tuple[str, str]]:
    """(former, current) home province of the outlet publishing on ``host`` (a host or URL), or None.

    The registry (default: ``$REFORMWATCH_SOURCES``, else the bundled one) decides when it
    knows the host — a national outlet has no home province; pass the full URL for outlets
    whose domain has a path prefix. Otherwise the province is inferred from the host's labels
    (``infer_province_from_host``). Answers are cached.
    """
    if not host:
        return None
    if registry is None:
        return _default_lookup(os.environ.get(SOURCES_ENV) or None, host)
    return _lookup(registry, host)


@lru_cache(maxsize=4096)
def _default_lookup(path: Optional[str], host: str) -> Optional[tuple[str, str]]:
    return _lookup(_default_registry(path), host)


def _lookup(reg: Optional[Registry], host: str) -> Optional[tuple[str, str]]:
    if reg is not None:
        outlet = reg.by_domain(host)
        if outlet is not None:
            if outlet.province and outlet.province_current:
                return outlet.province, outlet.province_current
            return None
    return _infer_pair(normalize_host(host))


@lru_cache(maxsize=4096)
def _infer_pair(host: str) -> Optional[tuple[str, str]]:
    former = infer_province_from_host(host)
    if former is None:
        return None
    return former, FORMER_TO_CURRENT[former]


__all__ = [
    "CURRENT_PROVINCES", "DEFAULT_REGISTRY", "FORMER_PROVINCES", "FORMER_TO_CURRENT", "KINDS", "Listing",
    "Outlet", "Politeness", "Problem", "Registry", "RegistryError", "UnknownOutletError", "canonical_province",
    "current_province", "fold", "home_province_for_domain", "infer_province_from_host", "load_registry",
    "normalize_host", "normalize_vi", "parse_registry",
]
