"""Ministries and ministry-level agencies in an article (``find_ministries``).

Candidates come from ``classifier/data/ministries.json`` (full names before and after the
2025 restructuring, aliases, abbreviations such as ``Bộ TT&TT``, ``VPCP``, ``NHNN``, and the
``Bộ trưởng Tư pháp`` forms). Foreign ministries (``Bộ Ngoại giao Mỹ``) are dropped. The name
reported is the one in force at the article's date (``published`` if given, else the name
the text uses); ``ministries_current`` maps it to today's agency. The subject/passing role is
decided by a small logistic regression (``classifier/models/ministries_role.json``) over the
features in ``ministry_features``; without the model file, a rule.
"""

from __future__ import annotations

import logging
import math
import re
from collections import defaultdict
from functools import lru_cache
from pathlib import Path

from classifier import gazetteer as gz
from classifier.role_model import load_model as _load_model, score

log = logging.getLogger(__name__)

MINISTRY_MODEL = Path(__file__).parent / "models" / "ministries_role.json"

__all__ = ["find_ministries", "ministry_as_of", "ministry_mentions", "ministry_features", "MFEATURES"]

_FOREIGN = (
    "Mỹ", "Hoa Kỳ", "Trung Quốc", "Nhật", "Nhật Bản", "Hàn Quốc", "Nga", "Anh", "Pháp", "Đức",
    "Lào", "Campuchia", "Thái Lan", "Singapore", "Úc", "Australia", "Ấn Độ", "Israel", "Ukraine",
    "Iran", "Triều Tiên", "Canada", "Philippines", "Indonesia", "Malaysia", "Đài Loan", "Cuba",
    "Italy", "Tây Ban Nha", "New Zealand", "Myanmar", "Brazil", "Thụy Điển", "Hà Lan", "Bỉ", "Séc",
    "Ba Lan", "Hungary", "Qatar", "Ả Rập", "Saudi", "Thổ Nhĩ Kỳ", "Venezuela", "Mexico", "EU",
    "các nước", "nước ngoài", "nước bạn", "Hong Kong", "Hồng Kông", "Ai Cập", "Syria", "Iraq",
)
_FOREIGN_AFTER = re.compile(r"^\s*(?:" + "|".join(map(re.escape, _FOREIGN)) + r")(?![\w])")

_SOURCE_BEFORE = re.compile(
    r"(?:theo|Theo|số liệu (?:của|từ)|thống kê (?:của|từ)|dữ liệu (?:của|từ)|nguồn|Nguồn|đại diện|Đại diện)\s+[^.\n]{0,15}$"
)
_PRESS_CONF = re.compile(r"họp báo", re.IGNORECASE)
_MINISTER = re.compile(r"(?:Bộ trưởng|Thứ trưởng|Thống đốc|Phó Thống đốc|Tổng Thanh tra|Chủ nhiệm|Phó Chủ nhiệm|lãnh đạo|Lãnh đạo)\s*(?:Bộ\s*)?$")
_ACTOR_AFTER = re.compile(
    r"^\s*(?:đã|đang|sẽ|vừa|ban hành|yêu cầu|chủ trì|tổ chức|triển khai|đề xuất|trình|công bố|hướng dẫn|chỉ đạo|thẩm định|kiểm tra|thanh tra|giao)"
)


def _flex(surface: str) -> str:
    """Regex for an alias allowing any dash/comma/ampersand spacing between its parts."""
    parts = [p for p in re.split(r"\s*[-–—,&]\s*|\s+", surface) if p]
    seps = re.findall(r"\s*[-–—,&]\s*|\s+", surface)
    out = re.escape(parts[0])
    for sep, part in zip(seps, parts[1:]):
        if sep.strip():
            out += r"\s*[-–—,&]?\s*" + re.escape(part)
        else:
            out += r"\s+" + re.escape(part)
    return out


@lru_cache(maxsize=None)
def _regex() -> tuple[re.Pattern, re.Pattern, dict[str, str]]:
    ci, cs = [], []
    lookup: dict[str, str] = {}
    for surface, canonical, case_sensitive in gz.ministry_aliases():
        surface = gz.normalize(surface)
        lookup[_fold_key(surface)] = canonical
        if case_sensitive:
            cs.append(surface)
        else:
            ci.append(surface)
    ci_alt = "|".join(_flex(s) for s in sorted(ci, key=len, reverse=True))
    cs_alt = "|".join(_flex(s) for s in sorted(cs, key=len, reverse=True))
    # Full names: the first word must be capitalised ("Bộ", "Ngân", "Văn"…); the rest any case.
    ci_re = re.compile(r"(?<![\w])(?=[A-ZĐÂĂÊÔƠƯÁÀẢÃẠ\u00C0-\u1EF9])(?:" + ci_alt + r")(?![\w])", re.IGNORECASE)
    cs_re = re.compile(r"(?<![\w])(?:" + cs_alt + r")(?![\w])")
    return ci_re, cs_re, lookup


def _fold_key(s: str) -> str:
    return gz.fold(s)


def ministry_as_of(name: str, published: str | None) -> str:
    """The name in force at ``published`` (ISO date) for a canonical name; else ``name``."""
    if published and published >= gz.ministry_successor_date() and name in gz.ministry_names(current=False):
        return gz.ministry_to_current(name)
    return name


def ministry_mentions(full: str, published: str | None = None) -> list[dict]:
    """Every ministry mention in normalised text: canonical name, surface, span, context flags."""
    ci_re, cs_re, lookup = _regex()
    hits: list[tuple[int, int, str]] = []
    for rx in (cs_re, ci_re):
        for m in rx.finditer(full):
            s, e = m.span()
            if not m.group(0)[:1].isupper():
                continue
            if any(s < he and hs < e for hs, he, _ in hits):
                continue
            hits.append((s, e, m.group(0)))
    out = []
    for s, e, surface in sorted(hits):
        canonical = lookup.get(_fold_key(surface)) or gz.canonical_ministry(surface)
        if canonical is None:
            continue
        after = full[e:e + 25]
        if _FOREIGN_AFTER.match(after):
            continue
        before = full[max(0, s - 40):s]
        name = ministry_as_of(canonical, published)
        out.append({
            "name": name, "canonical": canonical, "surface": surface, "start": s, "end": e,
            "source": bool(_SOURCE_BEFORE.search(before)),
            "minister": bool(_MINISTER.search(before)) or surface.startswith(("Bộ trưởng", "Thống đốc", "Tổng Thanh tra", "Chủ nhiệm")),
            "actor": bool(_ACTOR_AFTER.match(after)),
        })
    return out


MFEATURES = (
    "in_title", "in_lead", "log_count", "share", "first_pos", "n_distinct_log", "list_frac",
    "source_frac", "minister_frac", "actor_frac", "max_share", "press_conf", "is_home",
    "index_publisher", "title_head", "sent_start_frac", "dept_frac", "anaphora_log",
    "topic_log", "topic_title",
)


@lru_cache(maxsize=None)
def _field_regex() -> dict[str, re.Pattern]:
    out = {}
    for m in gz._ministries():
        words = [gz.normalize(w) for w in m.get("fields", [])]
        if words:
            out[m["name"]] = re.compile(r"(?<![\w])(?:" + "|".join(map(re.escape, sorted(words, key=len, reverse=True))) + r")(?![\w])",
                                        re.IGNORECASE)
    return out


def _topic(name: str, text: str) -> int:
    rx = _field_regex().get(name) or _field_regex().get(gz.canonical_ministry(name) or "")
    return len(rx.findall(text)) if rx else 0

_DEPT_BEFORE = re.compile(r"(?:Cục|Vụ|Tổng cục|Viện|Trung tâm|Văn phòng|Thanh tra|Ban|Học viện|Trường|Sở|Phòng)"
                          r"[^.\n]{0,45}(?:thuộc|của|\(|,|-|–)\s*$")
_SENT_START = re.compile(r"(?:^|[.!?:\n]\s*|\n)$")
_ANAPHORA = re.compile(r"(?<![\w])(?:lãnh đạo Bộ|Bộ (?:này|đã|đang|sẽ|vừa|cũng|yêu cầu|đề nghị|cho biết|đề xuất|"
                       r"chủ trì|ban hành|hướng dẫn|tiếp tục)|của Bộ(?! [A-ZĐ]))")

_INDEX = re.compile(r"PAR ?Index|Chỉ số (?:CCHC|cải cách hành chính|Cải cách hành chính)|SIPAS|Chỉ số chuyển đổi số|"
                    r"DTI|Chỉ số hài lòng|xếp hạng", re.IGNORECASE)
_INDEX_PUBLISHERS = {"Bộ Nội vụ", "Bộ Thông tin và Truyền thông", "Bộ Khoa học và Công nghệ"}


def _in_list(full: str, ms: list[dict], i: int) -> bool:
    sep = re.compile(r"^\s*(?:,|;|và|với|cùng|hoặc)\s*$")
    m = ms[i]
    if i > 0 and ms[i - 1]["name"] != m["name"] and sep.match(full[ms[i - 1]["end"]:m["start"]]):
        return True
    if i + 1 < len(ms) and ms[i + 1]["name"] != m["name"] and sep.match(full[m["end"]:ms[i + 1]["start"]]):
        return True
    return False


def ministry_features(full: str, ms: list[dict], title_len: int, lead_end: int,
                      home: str | None = None, published: str | None = None) -> dict[str, dict[str, float]]:
    groups: dict[str, list[int]] = defaultdict(list)
    for i, m in enumerate(ms):
        groups[m["name"]].append(i)
    total = max(1, len(ms))
    max_count = max((len(v) for v in groups.values()), default=1)
    L = max(1, len(full))
    press = float(bool(_PRESS_CONF.search(full)))
    index = bool(_INDEX.search(full))
    anaphora = len(_ANAPHORA.findall(full))
    home_name = ministry_as_of(home, published) if home else None
    if home_name and home_name not in groups:
        groups[home_name] = []
    out = {}
    for name, idx in groups.items():
        g = [ms[i] for i in idx]
        cnt = len(g)
        if not cnt:
            out[name] = {k: 0.0 for k in MFEATURES}
            out[name].update(is_home=1.0, bias=1.0, n_distinct_log=math.log1p(len(groups)), press_conf=press,
                             topic_log=math.log1p(_topic(name, full)), topic_title=float(_topic(name, full[:title_len]) > 0))
            continue
        out[name] = {
            "in_title": float(any(m["start"] < title_len for m in g)),
            "in_lead": float(any(title_len < m["start"] < lead_end for m in g)),
            "log_count": math.log1p(cnt),
            "share": cnt / total,
            "first_pos": min(m["start"] for m in g) / L,
            "n_distinct_log": math.log1p(len(groups)),
            "list_frac": sum(_in_list(full, ms, i) for i in idx) / cnt,
            "source_frac": sum(m["source"] for m in g) / cnt,
            "minister_frac": sum(m["minister"] for m in g) / cnt,
            "actor_frac": sum(m["actor"] for m in g) / cnt,
            "max_share": cnt / max_count,
            "press_conf": press,
            "is_home": float(name == home_name),
            "index_publisher": float(index and gz.ministry_to_current(name) in _INDEX_PUBLISHERS | {"Bộ Khoa học và Công nghệ"}
                                     and not any(m["start"] < title_len for m in g)),
            "title_head": float(any(m["start"] < 3 or full[max(0, m["start"] - 12):m["start"]].strip().endswith(("Bộ trưởng", "Bộ trưởng Bộ")) and m["start"] < title_len for m in g)),
            "sent_start_frac": sum(bool(_SENT_START.search(full[max(0, m["start"] - 3):m["start"]])) or m["start"] == 0
                                   for m in g) / cnt,
            "dept_frac": sum(bool(_DEPT_BEFORE.search(full[max(0, m["start"] - 60):m["start"]])) for m in g) / cnt,
            "anaphora_log": math.log1p(anaphora) if cnt == max_count else 0.0,
            "topic_log": math.log1p(_topic(name, full)),
            "topic_title": float(_topic(name, full[:title_len]) > 0),
            "bias": 1.0,
        }
    return out




def decide(model: dict | None, f: dict[str, float]) -> bool:
    """Subject or passing. An article on a ministry's own portal is about that ministry
    (like a local paper's home province) whatever the model says."""
    if f.get("is_home"):
        return True
    if model is None:
        return rule_subject(f)
    return score(model, f) >= model.get("threshold", 0.5)


def rule_subject(f: dict[str, float]) -> bool:
    if f["is_home"]:
        return True
    if f["in_title"] and f["list_frac"] < 1.0:
        return True
    return f["log_count"] >= math.log1p(3) and f["max_share"] >= 1.0 and f["source_frac"] < 0.5


def find_ministries(full: str, *, title_len: int, lead_end: int, published: str | None = None,
                    url: str | None = None, model_path: str | Path | None = None) -> dict:
    """Ministries that are a subject of the (normalised) article text, plus every mention."""
    ms = ministry_mentions(full, published)
    feats = ministry_features(full, ms, title_len, lead_end, gz.ministry_for_domain(url), published)
    model = _load_model(str(model_path or MINISTRY_MODEL))
    subject = {name: decide(model, f) for name, f in feats.items()}
    names = [n for n in list(dict.fromkeys(m["name"] for m in ms)) + list(feats) if subject.get(n)]
    names = list(dict.fromkeys(names))
    counts = {n: len([m for m in ms if m["name"] == n]) for n in feats}
    mentions = [{
        "kind": "ministry", "name": m["name"], "name_current": gz.ministry_to_current(m["canonical"]),
        "level": "ministry", "surface": m["surface"], "position": m["start"], "count": counts[m["name"]],
        "in_title": m["start"] < title_len, "in_lead": title_len < m["start"] < lead_end,
        "role": "subject" if subject.get(m["name"]) else "passing",
    } for m in ms]
    return {
        "ministries": names,
        "ministries_current": list(dict.fromkeys(gz.ministry_to_current(n) for n in names)),
        "mentions": mentions,
        "features": feats,
    }
