"""Which provinces and ministries an article reports on (``locate``).

Steps (see ``docs/localities.md``):

1. the text is normalised (NFC + classic tone placement; both keep character offsets, so
   ``position`` is an offset into ``title + "\\n" + text`` in NFC);
2. candidate mentions from the gazetteer: province names and press aliases (case-aware:
   ``Hòa Bình`` the province, not ``hòa bình`` = peace; all-caps headlines accepted, but
   common-word names there need a ``TỈNH``/``TP`` prefix), districts and communes with
   their type word (``huyện``, ``xã``…) resolved to a province — a name shared by several
   provinces is kept only when the article names exactly one of them, else dropped;
3. false positives dropped: person names (``ông``/``bà``… or a surname/middle name before
   the match), the outlet's own name (``Báo Quảng Ninh``, ``Đài PT-TH Hà Nội``), streets
   (``đường Hà Nội``, ``phố Huế``), institutions named after a person (``Hồ Chí Minh``
   without ``TP``/``thành phố``);
4. the outlet's home province (``crawler.registry.home_province_for_domain`` on ``url``) is
   a candidate when the text speaks of "tỉnh"/"thành phố" without naming it;
5. each candidate province gets features (title, lead, count, list context, authority
   words…) and the role model (``classifier/models/localities_role.json``, logistic
   regression trained on the labeled corpus) decides subject vs passing. Ministries: the
   same with ``classifier/models/ministries_role.json``.
"""

from __future__ import annotations

import logging
import math
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from classifier import gazetteer as gz
from classifier.ministries import find_ministries
from classifier.role_model import load_model as _load_model, score

log = logging.getLogger(__name__)

MODELS_DIR = Path(__file__).parent / "models"
PROVINCE_MODEL = MODELS_DIR / "localities_role.json"

HUE_CITY_FROM = "2025-01-01"  # Huế became a centrally-run city
MERGER_FROM = "2025-07-01"  # 34-province division in force

__all__ = ["locate", "candidates", "Mention", "province_features", "FEATURES", "home_province"]


def _prep(s: str | None) -> str:
    """NFC + classic tone placement, keeping offsets (no whitespace changes)."""
    from classifier.normalize import normalize_tone_marks

    s = unicodedata.normalize("NFC", s or "")
    s = s.replace("\u00d0", "\u0110").replace("\u00f0", "\u0111")
    return normalize_tone_marks(s)


# --------------------------------------------------------------------------- context rules
_W = r"[^\W_]"
# Person titles / kin terms before a name ("ông Long An", "chị Huế").
_PERSON_BEFORE = re.compile(
    r"(?:^|[^\w])(?:ông|bà|anh|chị|em|cô|chú|bác|cụ|cháu|Ông|Bà|Anh|Chị|Cô|Chú|Bác|Cụ|"
    r"đồng chí|Đồng chí|đ/c|Đ/c|tên|Tên|bé|Bé|con|ca sĩ|nghệ sĩ|NSƯT|NSND|nhà báo|PV|BS|"
    r"TS|ThS|PGS|GS|Thượng tá|Đại tá|Trung tá|Thiếu tá|Đại úy|Thượng úy)\s+$"
)
_SURNAMES = {
    "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ",
    "Hồ", "Ngô", "Dương", "Lý", "Đinh", "Lâm", "Mai", "Trịnh", "Đoàn", "Lưu", "Tạ", "Trương",
    "Châu", "Cao", "Chu", "Tô", "Thái", "La", "Vương", "Hà", "Triệu", "Quách", "Kiều", "Lương",
    "Văn", "Thị", "Đức", "Hữu", "Minh", "Quang", "Ngọc", "Thanh", "Xuân", "Thu", "Công", "Đình",
    "Bá", "Tiến", "Mạnh", "Quốc", "Kim", "Hồng", "Duy", "Trọng", "Khắc", "Viết", "Thế",
}
_STREET_BEFORE = re.compile(
    r"(?:^|[^\w])(?:đường|Đường|(?<!thành )(?<!Thành )phố|(?<!thành )(?<!Thành )Phố|đại lộ|Đại lộ|"
    r"ngõ|Ngõ|ngách|hẻm|Hẻm|kiệt|Kiệt|quốc lộ|Quốc lộ|cao tốc|Cao tốc|cầu|Cầu|bến xe|Bến xe|"
    r"chợ|Chợ|khách sạn|Khách sạn|nhà hàng)\s+$"
)
_OUTLET_BEFORE = re.compile(
    r"(?:^|[^\w])(?:Báo|BÁO|(?:theo|của|tờ|trên|với|phóng viên|PV) báo|Đài PT-TH|Đài PT - TH|"
    r"Đài PTTH|Đài PT&TH|Đài Phát thanh (?:và|-|–) Truyền hình|Đài Phát thanh - Truyền hình|"
    r"Truyền hình|Tạp chí|Cổng Thông tin điện tử|Cổng TTĐT|Báo điện tử|Báo và Phát thanh, "
    r"Truyền hình|Báo và Phát thanh, truyền hình)\s+$"
)
_PREFIX_BEFORE = re.compile(r"(?:^|[^\w])(tỉnh|Tỉnh|TỈNH|thành phố|Thành phố|THÀNH PHỐ|TP\.?|Tp\.?|T\.P\.?)\s*$")
_AUTHORITY_BEFORE = re.compile(
    r"(?:UBND|HĐND|Ủy ban nhân dân|Hội đồng nhân dân|Tỉnh ủy|Thành ủy|Chủ tịch|Phó Chủ tịch|"
    r"Bí thư|Sở|Công an|Văn phòng|Trung tâm Phục vụ|Trung tâm phục vụ|Ban Chỉ đạo|lãnh đạo|"
    r"Lãnh đạo|chính quyền|Chính quyền|Thanh tra|Cục Thuế|Kho bạc|Đảng bộ|Ban Tổ chức|Mặt trận)"
    r"[^.\n]{0,40}$"
)
_AT_BEFORE = re.compile(r"(?:^|[^\w])(?:tại|ở|Tại|Ở|đến|về)\s+(?:tỉnh\s+|thành phố\s+|TP\.?\s*)?$")
# Names that are also common words/phrases: in all-caps text they need a prefix.
_COMMON_WORD_NAMES = {"Hòa Bình", "Thái Bình", "Long An", "Bình Định", "An Giang", "Bình Phước",
                      "Quảng Ngãi", "Hà Nam", "Bình Thuận", "Phú Yên", "Yên Bái", "Hưng Yên"}
# "Hồ Chí Minh" alone only counts with a prefix (tỉnh/thành phố/TP): it is also the name of
# the president, the ideology, the Youth Union and many institutions (see _province_mentions).


@dataclass
class Mention:
    kind: str  # province | ministry
    name: str  # as the text means it
    name_current: str
    level: str  # province | district | commune
    surface: str
    position: int
    end: int
    prefix: bool = False
    authority: bool = False
    at: bool = False
    strong: bool = True


@lru_cache(maxsize=None)
def _province_regex() -> re.Pattern:
    forms = set(gz.province_aliases())
    forms |= {f.upper() for f in forms}
    forms.add("Hồ Chí Minh")
    forms.add("HỒ CHÍ MINH")
    alts = sorted(forms, key=len, reverse=True)
    return re.compile(r"(?<![\w&])(" + "|".join(map(re.escape, alts)) + r")(?![\w&])")


def _upper_ratio(s: str) -> float:
    letters = [c for c in s if c.isalpha()]
    if not letters:
        return 0.0
    return sum(c.isupper() for c in letters) / len(letters)


def _prev_word(full: str, start: int) -> str:
    m = re.search(r"(\w+)\s+$", full[max(0, start - 30):start])
    return m.group(1) if m else ""


def _is_person(full: str, start: int) -> bool:
    before = full[max(0, start - 40):start]
    if _PERSON_BEFORE.search(before):
        return True
    prev = _prev_word(full, start)
    if prev in _SURNAMES and re.search(r"\w\s$", before):
        # "Trần Thái Bình", but not "Hà Nội" after a sentence end or "tỉnh"
        return True
    return False


def _province_mentions(full: str) -> list[Mention]:
    aliases = gz.province_aliases()
    upper_aliases = {k.upper(): v for k, v in aliases.items()}
    out: list[Mention] = []
    for m in _province_regex().finditer(full):
        surface = m.group(1)
        start, end = m.span(1)
        before = full[max(0, start - 60):start]
        line_start = full.rfind("\n", 0, start) + 1
        line_end = full.find("\n", end)
        line = full[line_start: line_end if line_end >= 0 else len(full)]
        is_caps = surface.isupper() and len(surface) > 4 and _upper_ratio(line) > 0.7
        if surface in ("Hồ Chí Minh", "HỒ CHÍ MINH"):
            canonical, strong = "Thành phố Hồ Chí Minh", True
        elif surface in aliases:
            canonical, strong = aliases[surface]
        elif is_caps and surface in upper_aliases:
            canonical, strong = upper_aliases[surface]
        else:  # an all-caps form inside mixed-case text ("HÀ NỘI" in a caption) — accept
            if surface not in upper_aliases:
                continue
            canonical, strong = upper_aliases[surface]
        has_prefix = bool(_PREFIX_BEFORE.search(before))
        if surface in ("Hồ Chí Minh", "HỒ CHÍ MINH") and not has_prefix:
            continue
        if surface.isupper() and surface not in aliases and canonical in _COMMON_WORD_NAMES and not has_prefix:
            continue
        if surface == "Thủ đô" and re.match(r"\s+(?:Hà Nội|HÀ NỘI)", full[end:end + 10]):
            continue  # "Thủ đô Hà Nội": the name itself is the mention
        if not strong and re.match(r"\s+[A-ZĐÂĂÊÔƠƯ\u00C0-\u00DD\u1EA0-\u1EF8]", full[end:end + 3]):
            continue  # "Thủ đô Viêng Chăn", "Sài Gòn Giải Phóng": a nickname inside another name
        if not has_prefix and (_is_person(full, start) or _STREET_BEFORE.search(before)):
            continue
        if _OUTLET_BEFORE.search(before):
            continue
        out.append(
            Mention(
                kind="province", name=canonical, name_current=gz.province_to_current(canonical),
                level="province", surface=surface, position=start, end=end, prefix=has_prefix,
                authority=bool(_AUTHORITY_BEFORE.search(before)), at=bool(_AT_BEFORE.search(before)),
                strong=strong,
            )
        )
    return out


# --------------------------------------------------------------------------- districts/communes
_DISTRICT_TYPES = {"huyện": "Huyện", "quận": "Quận", "thị xã": "Thị xã", "thành phố": "Thành phố"}
_COMMUNE_TYPES = {"xã": "Xã", "phường": "Phường", "thị trấn": "Thị trấn", "đặc khu": "Đặc khu"}
_TYPE_ABBR = {"tp": "thành phố", "t.p": "thành phố", "tx": "thị xã", "q": "quận", "h": "huyện"}


@lru_cache(maxsize=None)
def _unit_index() -> tuple[dict, dict, dict]:
    """short name → {former province} for districts; communes: short → {(former|None, current)}."""
    prov_names = set(gz.province_names("former")) | set(gz.province_names("current"))
    districts: dict[str, set[tuple[str, str]]] = defaultdict(set)
    bare: dict[str, set[str]] = defaultdict(set)
    for d in gz.districts():
        districts[d["short"]].add((d["province"], d["type"]))
        if d["type"] == "Thành phố" and len(d["short"].split()) >= 2 and d["short"] not in prov_names:
            bare[d["short"]].add(d["province"])
    communes: dict[str, set[tuple[str | None, str]]] = defaultdict(set)
    f2c = {p: gz.province_to_current(p) for p in gz.province_names("former")}
    for c in gz.communes():
        if c["division"] == "former":
            communes[c["short"]].add((c["province"], f2c[c["province"]]))
        else:
            communes[c["short"]].add((None, c["province"]))
    bare = {k: v for k, v in bare.items() if len(v) == 1 and k not in communes}
    return dict(districts), dict(communes), bare


@lru_cache(maxsize=None)
def _unit_regex() -> re.Pattern:
    districts, communes, bare = _unit_index()
    names = sorted(set(districts) | set(communes), key=len, reverse=True)
    types = sorted(list(_DISTRICT_TYPES) + list(_COMMUNE_TYPES), key=len, reverse=True)
    type_alt = "|".join(re.escape(t) for t in types) + "|" + "|".join(
        re.escape(t[0].upper() + t[1:]) for t in types
    ) + r"|TP\.?|Tp\.?|TX\.?|Q\.|H\."
    return re.compile(
        r"(?<![\w])(" + type_alt + r")\s*(" + "|".join(map(re.escape, names)) + r")(?![\w])"
    )


@lru_cache(maxsize=None)
def _bare_regex() -> re.Pattern:
    _, _, bare = _unit_index()
    return re.compile(r"(?<![\w])(" + "|".join(map(re.escape, sorted(bare, key=len, reverse=True))) + r")(?![\w])")


def _unit_mentions(full: str, taken: list[tuple[int, int]], published: str | None) -> list[tuple]:
    """Raw district/commune hits: (start, end, surface, level, {(former|None, current)})."""
    districts, communes, bare = _unit_index()
    f2c = {p: gz.province_to_current(p) for p in gz.province_names("former")}
    out = []

    def overlaps(s, e):
        return any(s < te and ts < e for ts, te in taken)

    for m in _unit_regex().finditer(full):
        typ, name = m.group(1).lower().rstrip("."), m.group(2)
        s, e = m.span()
        if overlaps(*m.span(2)):
            continue
        if not name[:1].isupper() and not name[:1].isdigit():
            continue
        if typ in _COMMUNE_TYPES:
            cands = communes.get(name)
            level = "commune"
        else:
            want = _TYPE_ABBR.get(typ, typ)
            entries = districts.get(name, set())
            typed = {p for p, t in entries if t.lower() == want}
            cands = {(p, f2c[p]) for p in (typed or {p for p, _t in entries})}
            level = "district"
        if not cands:
            continue
        out.append((s, e, m.group(0), level, frozenset(cands)))
    for m in _bare_regex().finditer(full):
        s, e = m.span()
        if overlaps(s, e) or any(s < oe and os_ < e for os_, oe, *_ in out):
            continue
        if _is_person(full, s) or _STREET_BEFORE.search(full[max(0, s - 30):s]) or _OUTLET_BEFORE.search(full[max(0, s - 60):s]):
            continue
        p = next(iter(bare[m.group(1)]))
        out.append((s, e, m.group(1), "district", frozenset({(p, f2c[p])})))
    return out


# --------------------------------------------------------------------------- naming by date
def _as_text_means(canonical: str, surface: str, published: str | None) -> str:
    """The province name as the article means it at its date (Huế / Thừa Thiên Huế)."""
    if canonical == "Huế" and published and published < HUE_CITY_FROM:
        return "Thừa Thiên Huế"
    if canonical == "Thừa Thiên Huế" and published and published >= HUE_CITY_FROM and "Thừa Thiên" not in surface:
        return "Huế"
    return canonical


def home_province(url: str | None) -> tuple[str, str] | None:
    """(former, current) home province of the outlet behind ``url``, or None.

    Uses ``crawler.registry.home_province_for_domain`` (imported lazily); without the
    registry, a minimal inference from the host's labels (``baoquangninh.vn``).
    """
    if not url:
        return None
    host = urlsplit(url if "//" in url else "//" + url).hostname or ""
    if not host:
        return None
    try:
        from crawler.registry import home_province_for_domain
    except ImportError:
        home_province_for_domain = None
    pair = None
    if home_province_for_domain is not None:
        try:
            pair = home_province_for_domain(url)  # the full URL: outlets may share a host (path prefixes)
        except Exception as exc:  # a broken registry must not stop classification
            log.warning("home province lookup failed for %s: %s", host, exc)
            pair = None
    else:
        pair = _infer_home(host)
    if not pair:
        return None
    former = gz.canonical_province(pair[0]) or pair[0]
    if former == "Huế":
        former = "Thừa Thiên Huế"
    return former, gz.province_to_current(former)


def _infer_home(host: str) -> tuple[str, str] | None:
    labels = [lab for lab in host.lower().split(".")[:-1] if lab not in ("www", "m", "amp")]
    keys = sorted(((gz.fold(p), p) for p in gz.province_names("former")), key=lambda kv: -len(kv[0]))
    for lab in labels:
        for key, name in keys:
            if len(key) >= 5 and (lab == key or lab.startswith(key) or lab.endswith(key)):
                return name, gz.province_to_current(name)
    return None


# --------------------------------------------------------------------------- candidates + features
_BARE_LOCAL = re.compile(
    r"(?<![\w])(?:tỉnh ta|thành phố ta|toàn tỉnh|trên địa bàn tỉnh|UBND tỉnh|Chủ tịch UBND tỉnh|"
    r"Tỉnh ủy|Thành ủy|UBND thành phố|HĐND tỉnh|của tỉnh|toàn thành phố|Sở \w+(?: \w+)?(?: và \w+)? tỉnh)"
    r"(?!\s*[A-ZĐÂĂÊÔƠƯ])"
)


def _lead_end(full: str, title_len: int) -> int:
    """Offset where the lead ends: the first paragraph of the body after the title (≤ 400 chars)."""
    body_start = title_len + 1
    # the corpus text repeats the title as its first line: skip it
    nl = full.find("\n", body_start)
    first = full[body_start: nl if nl >= 0 else len(full)].strip()
    title = full[:title_len].strip()
    if first and (first == title or first[:40] == title[:40]):
        body_start = nl + 1 if nl >= 0 else len(full)
    m = re.search(r"\n", full[body_start + 80:])
    end = body_start + 80 + m.start() if m else len(full)
    return min(end, body_start + 400)


def candidates(title: str, text: str, *, url: str | None = None, published: str | None = None) -> dict:
    """Candidate mentions with context flags (before the role decision)."""
    title_n, text_n = _prep(title), _prep(text)
    full = title_n + "\n" + text_n
    provs = _province_mentions(full)
    for m in provs:
        m.name = _as_text_means(m.name, m.surface, published)
    taken = [(m.position, m.end) for m in provs]
    units = _unit_mentions(full, taken, published)
    named_current = {m.name_current for m in provs}
    unit_mentions: list[Mention] = []
    # resolve districts first (they may disambiguate communes), then communes
    for level in ("district", "commune"):
        for s, e, surface, lvl, cands in units:
            if lvl != level:
                continue
            currents = {c for _f, c in cands}
            if len(currents) > 1:
                hit = currents & named_current
                if len(hit) != 1:
                    continue  # shared by several provinces, no disambiguating context: drop
                cands = frozenset(x for x in cands if x[1] in hit)
            formers = {f for f, _c in cands if f}
            current = next(iter({c for _f, c in cands}))
            if len(formers) == 1 and not (published and published >= MERGER_FROM):
                name = next(iter(formers))
            elif len(formers) > 1:
                named = formers & {m.name for m in provs}
                name = next(iter(named)) if len(named) == 1 else current
            else:
                name = current
            name = _as_text_means(name, "", published)
            before = full[max(0, s - 60):s]
            unit_mentions.append(
                Mention(kind="province", name=name, name_current=current, level=lvl, surface=surface,
                        position=s, end=e, authority=bool(_AUTHORITY_BEFORE.search(before)),
                        at=bool(_AT_BEFORE.search(before)))
            )
            named_current.add(current)
    home = home_province(url)
    if home:
        former = _as_text_means(home[0], "", published)
        if former == "Thừa Thiên Huế" and not published and "Thừa Thiên" not in full:
            former = "Huế"
        home = (former, home[1])
    bare_local = len(_BARE_LOCAL.findall(full))
    return {
        "full": full,
        "title_len": len(title_n),
        "lead_end": _lead_end(full, len(title_n)),
        "mentions": sorted(provs + unit_mentions, key=lambda m: m.position),
        "home": home,
        "bare_local": bare_local,
    }


FEATURES = (
    "in_title", "in_lead", "log_count", "share", "first_pos", "n_distinct_log", "list_frac",
    "prefix_frac", "authority_frac", "at_frac", "is_home", "home_bare_local", "unit_frac",
    "only_units", "weak_only", "para_start", "max_share", "title_has_other", "n_in_title",
    "sentence_frac", "home_exists_other", "title_colon", "title_list",
)


def _in_list(full: str, m: Mention, ms: list[Mention], i: int) -> bool:
    """True when the mention sits in an enumeration of provinces ("A, B và C")."""
    sep = re.compile(r"^\s*(?:,|;|và|với|cùng|hoặc|/|-|–)\s*(?:(?:tỉnh|thành phố|TP\.?)\s*)?$")
    if i > 0 and ms[i - 1].name != m.name and sep.match(full[ms[i - 1].end:m.position]):
        return True
    if i + 1 < len(ms) and ms[i + 1].name != m.name and sep.match(full[m.end:ms[i + 1].position]):
        return True
    return False


def province_features(cand: dict) -> dict[str, dict[str, float]]:
    """Feature vector per candidate province (name as the text means it)."""
    full, title_len, lead_end = cand["full"], cand["title_len"], cand["lead_end"]
    ms: list[Mention] = cand["mentions"]
    home = cand["home"]
    groups: dict[str, list[tuple[int, Mention]]] = defaultdict(list)
    for i, m in enumerate(ms):
        groups[m.name].append((i, m))
    names = list(groups)
    if home and home[0] not in groups and home[1] not in {m.name_current for m in ms}:
        names.append(home[0])
    total = max(1, len(ms))
    n_distinct = len(names)
    in_title_names = {m.name for m in ms if m.position < title_len}
    counts = {n: len(groups.get(n, ())) for n in names}
    max_count = max(counts.values()) if counts else 1
    L = max(1, len(full))
    out: dict[str, dict[str, float]] = {}
    for name in names:
        g = groups.get(name, [])
        cnt = len(g)
        is_home = bool(home) and (name == home[0] or gz.province_to_current(name) == home[1] and name == home[1])
        f = {k: 0.0 for k in FEATURES}
        if cnt:
            f["in_title"] = float(any(m.position < title_len for _i, m in g))
            f["in_lead"] = float(any(title_len < m.position < lead_end for _i, m in g))
            f["log_count"] = math.log1p(cnt)
            f["share"] = cnt / total
            f["first_pos"] = min(m.position for _i, m in g) / L
            f["list_frac"] = sum(_in_list(full, m, ms, i) for i, m in g) / cnt
            f["prefix_frac"] = sum(m.prefix for _i, m in g) / cnt
            f["authority_frac"] = sum(m.authority for _i, m in g) / cnt
            f["at_frac"] = sum(m.at for _i, m in g) / cnt
            f["unit_frac"] = sum(m.level != "province" for _i, m in g) / cnt
            f["only_units"] = float(all(m.level != "province" for _i, m in g))
            f["weak_only"] = float(all(not m.strong for _i, m in g))
            f["para_start"] = float(any(m.position == 0 or full[max(0, m.position - 40):m.position].rfind("\n") >= 0
                                        and "," not in full[full.rfind("\n", 0, m.position):m.position]
                                        for _i, m in g))
            f["max_share"] = cnt / max_count
            f["sentence_frac"] = len({full.count(".", 0, m.position) for _i, m in g}) / max(1, full.count(".") + 1)
        f["n_distinct_log"] = math.log1p(n_distinct)
        f["is_home"] = float(is_home)
        f["home_bare_local"] = math.log1p(cand["bare_local"]) if is_home else 0.0
        f["title_has_other"] = float(bool(in_title_names - {name}))
        f["n_in_title"] = float(len(in_title_names))
        f["home_exists_other"] = float(bool(home) and not is_home)
        title_hits = [(i, m) for i, m in g if m.position < title_len]
        f["title_list"] = float(any(_in_list(full, m, ms, i) for i, m in title_hits))
        f["title_colon"] = float(any(re.match(r"^[\s,–\-A-Za-zÀ-ỹĐđ.]{0,40}:", full[m.position:title_len]) and
                                     not full[:m.position].count(":") for _i, m in title_hits))
        out[name] = f
    return out


# --------------------------------------------------------------------------- role model


def rule_subject(f: dict[str, float]) -> bool:
    """Fallback rule when no model file is present."""
    if f["in_title"]:
        return True
    if f["is_home"] and (f["log_count"] or f["home_bare_local"]):
        return True
    return f["max_share"] >= 1.0 and f["list_frac"] < 0.5 and f["log_count"] >= math.log1p(2)


def decide(feats: dict[str, dict[str, float]], model: dict | None) -> dict[str, bool]:
    out = {}
    for name, f in feats.items():
        if model is None:
            out[name] = rule_subject(f)
        else:
            out[name] = score(model, f) >= model.get("threshold", 0.5)
    return out


# --------------------------------------------------------------------------- API
def locate(title: str, text: str, *, url: str | None = None, published: str | None = None,
           model_path: str | Path | None = None) -> dict:
    """Provinces and ministries the article reports on, with every mention.

    Returns ``{"provinces", "provinces_current", "ministries", "ministries_current",
    "mentions"}``; ``mentions`` items: kind, name, name_current, level, surface, position
    (offset in NFC ``title + "\\n" + text``), count (of that name), in_title, in_lead, role
    (subject|passing).
    """
    if title is None or text is None:
        raise ValueError("locate() needs title and text strings (got None)")
    published = (published or "")[:10] or None
    cand = candidates(title, text, url=url, published=published)
    feats = province_features(cand)
    model = _load_model(str(model_path or PROVINCE_MODEL))
    subject = decide(feats, model)
    provinces = [n for n in _order(cand["mentions"], feats) if subject.get(n)]
    provinces_current = list(dict.fromkeys(gz.province_to_current(p) for p in provinces))
    mins = find_ministries(cand["full"], title_len=cand["title_len"], lead_end=cand["lead_end"],
                           published=published, url=url)
    mentions = []
    counts = defaultdict(int)
    for m in cand["mentions"]:
        counts[m.name] += 1
    for m in cand["mentions"]:
        mentions.append({
            "kind": "province", "name": m.name, "name_current": m.name_current, "level": m.level,
            "surface": m.surface, "position": m.position, "count": counts[m.name],
            "in_title": m.position < cand["title_len"],
            "in_lead": cand["title_len"] < m.position < cand["lead_end"],
            "role": "subject" if subject.get(m.name) else "passing",
        })
    mentions.extend(mins["mentions"])
    mentions.sort(key=lambda x: x["position"])
    return {
        "provinces": provinces,
        "provinces_current": provinces_current,
        "ministries": mins["ministries"],
        "ministries_current": mins["ministries_current"],
        "mentions": mentions,
    }


def _order(ms: list[Mention], feats: dict) -> list[str]:
    seen = list(dict.fromkeys(m.name for m in ms))
    return seen + [n for n in feats if n not in seen]

