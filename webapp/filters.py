"""Query-string <-> ArticleFilter for the list page (validation with Vietnamese messages)."""
from __future__ import annotations

import datetime as dt
from typing import Mapping
from urllib.parse import urlencode

from storage.queries import DIVISIONS, REVIEW_STATUSES, SENTIMENTS, SORTS, ArticleFilter
from webapp import labels_vi

# query parameter -> (ArticleFilter field, Vietnamese field name)
PARAMS = {
    "from": ("date_from", "Từ ngày"),
    "to": ("date_to", "Đến ngày"),
    "outlet": ("outlet_id", "Báo"),
    "kind": ("outlet_kind", "Loại báo"),
    "province": ("province", "Tỉnh/thành"),
    "division": ("division", "Địa giới"),
    "ministry": ("ministry", "Bộ/ngành"),
    "theme": ("theme", "Chủ đề"),
    "sentiment": ("sentiment", "Sắc thái"),
    "relevant": ("relevant", "Liên quan"),
    "status": ("review_status", "Trạng thái duyệt"),
    "duplicate": ("duplicate", "Trùng lặp"),
    "q": ("q", "Tìm kiếm"),
}
MAX_TEXT = 200


class BadFilter(ValueError):
    """Messages (Vietnamese) naming each bad parameter."""

    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages))
        self.messages = messages


def _date(value: str, label: str, errors: list[str]):
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        errors.append(f"{label}: “{value[:40]}” không phải ngày hợp lệ (định dạng YYYY-MM-DD)")
        return None


def _tristate(value: str, label: str, errors: list[str]):
    if value in ("1", "true", "yes"):
        return True
    if value in ("0", "false", "no"):
        return False
    errors.append(f"{label}: giá trị “{value[:20]}” không hợp lệ (1 hoặc 0)")
    return None


def parse_filter(params: Mapping[str, str]) -> tuple[ArticleFilter, str]:
    """(filter, sort) from query parameters; raises ``BadFilter`` listing every bad one."""
    errors: list[str] = []
    values: dict = {}
    for name, (attr, label) in PARAMS.items():
        raw = (params.get(name) or "").strip()
        if not raw:
            continue
        if len(raw) > MAX_TEXT:
            errors.append(f"{label}: quá dài (tối đa {MAX_TEXT} ký tự)")
            continue
        if attr in ("date_from", "date_to"):
            values[attr] = _date(raw, label, errors)
        elif attr in ("relevant", "duplicate"):
            values[attr] = _tristate(raw, label, errors)
        elif attr == "division" and raw not in DIVISIONS:
            errors.append(f"{label}: “{raw}” không hợp lệ (current hoặc former)")
        elif attr == "sentiment" and raw not in SENTIMENTS:
            errors.append(f"{label}: “{raw}” không hợp lệ")
        elif attr == "review_status" and raw not in REVIEW_STATUSES:
            errors.append(f"{label}: “{raw}” không hợp lệ")
        elif attr == "theme" and raw not in labels_vi.THEMES:
            errors.append(f"{label}: “{raw}” không phải mã chủ đề")
        elif attr == "outlet_kind" and raw not in labels_vi.OUTLET_KINDS:
            errors.append(f"{label}: “{raw}” không phải loại báo")
        else:
            values[attr] = raw
    sort = (params.get("sort") or "date").strip()
    if sort not in SORTS:
        errors.append(f"Sắp xếp: “{sort[:20]}” không hợp lệ (date hoặc score)")
    if values.get("date_from") and values.get("date_to") and values["date_from"] > values["date_to"]:
        errors.append("Từ ngày phải trước hoặc bằng Đến ngày")
    if errors:
        raise BadFilter(errors)
    return ArticleFilter(**values), sort


def filter_params(f: ArticleFilter, sort: str = "date") -> dict[str, str]:
    """The query parameters that reproduce ``f`` (non-default values only)."""
    out: dict[str, str] = {}
    for name, (attr, _label) in PARAMS.items():
        value = getattr(f, attr)
        if value is None or value == "" or (attr == "division" and value == "current"):
            continue
        if isinstance(value, bool):
            value = "1" if value else "0"
        out[name] = value.isoformat() if isinstance(value, dt.date) else str(value)
    if sort != "date":
        out["sort"] = sort
    return out


def query_string(f: ArticleFilter, sort: str = "date", **extra) -> str:
    params = filter_params(f, sort)
    for key, value in extra.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = str(value)
    return urlencode(params)
