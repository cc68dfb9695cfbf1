"""Parse the date forms Vietnamese news pages use into aware datetimes (Asia/Ho_Chi_Minh).

Pure functions, no I/O. ``parse_date(text, now=None)`` understands:

* ISO 8601 with or without offset (``2026-07-19T14:30:00+07:00``, ``2026-07-20T00:15:00``,
  ``2026-07-19T14:30:00.000 +07:00`` with a space before the offset, ``Z``); naive => +07:00
* day-first numeric dates with an optional time before or after, in any decoration:
  ``Thứ sáu, 27/11/2026, 10:25 (GMT+7)``, ``27/11/2026 - 10:25``, ``10:25 27/11/2026``,
  ``20-07-2026 - 00:15 AM``, ``27.11.2026 10h25``, ``Cập nhật: …``, ``Cập nhật lúc 10:25 ngày 27/11/2026``
* a month-first date when the day-first reading is impossible (``07/19/2026 19:39``)
* spelled-out dates: ``ngày 27 tháng 11 năm 2026``
* relative times against ``now``: ``2 giờ trước``, ``30 phút trước``, ``5 ngày trước``,
  ``1 tuần trước``, ``vừa xong``, ``hôm nay 10:25``, ``hôm qua`` (optionally with a time)
* an explicit ``GMT+7`` / ``UTC+07:00`` offset is honoured.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Optional
from zoneinfo import ZoneInfo

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

_ISO = re.compile(
    r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"
    r"(?:[T\s]+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,]\d+)?)?"
    r"\s*(?P<tz>Z|[+-]\d{2}(?::?\d{2})?)?)?",
    re.IGNORECASE,
)
_ISO_COMPACT = re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})(?:T?(?P<H>\d{2})(?P<M>\d{2})(?P<S>\d{2})?)?$", re.IGNORECASE)
_DMY = re.compile(r"(?<!\d)(?P<a>\d{1,2})\s*[/.\-]\s*(?P<b>\d{1,2})\s*[/.\-]\s*(?P<y>\d{4})(?!\d)")
_SPELLED = re.compile(r"ngày\s+(?P<d>\d{1,2})\s+tháng\s+(?P<m>\d{1,2})\s*(?:,?\s*năm\s+(?P<y>\d{4}))?")
_TIME = re.compile(
    r"(?<![\d/.\-])(?P<H>\d{1,2})\s*(?::|h|giờ)\s*(?P<M>\d{2})(?:\s*(?::|phút)\s*(?P<S>\d{2}))?"
    r"(?:\s*(?P<ampm>am|pm|sa|ch)\b)?(?![\d/])"
)
_OFFSET = re.compile(r"(?:gmt|utc)\s*(?P<sign>[+-])\s*(?P<h>\d{1,2})(?::?(?P<m>\d{2}))?")
_RELATIVE = re.compile(r"(?P<n>\d+)\s*(?P<unit>giây|phút|giờ|tiếng|ngày|tuần|tháng|năm)\s*trước")


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFC", text).lower()
    return re.sub(r"\s+", " ", text.replace("\xa0", " ")).strip()


def _tz_from_offset(value: str) -> tzinfo:
    if value in ("z", "Z"):
        return timezone.utc
    sign = -1 if value[0] == "-" else 1
    digits = value[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _make(y: int, m: int, d: int, hh: int = 0, mm: int = 0, ss: int = 0, tz: Optional[tzinfo] = None) -> Optional[datetime]:
    if not (1900 <= y <= 2100):
        return None
    try:
        return datetime(y, m, d, hh, mm, ss, tzinfo=tz or VN_TZ)
    except ValueError:
        return None


def _explicit_offset(text: str) -> Optional[tzinfo]:
    match = _OFFSET.search(text)
    if not match:
        return None
    sign = -1 if match["sign"] == "-" else 1
    hours, minutes = int(match["h"]), int(match["m"] or 0)
    if hours > 14 or minutes > 59:
        return None
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _find_time(text: str) -> Optional[tuple[int, int, int]]:
    for match in _TIME.finditer(text):
        hh, mm, ss = int(match["H"]), int(match["M"]), int(match["S"] or 0)
        ampm = match["ampm"]
        if ampm in ("pm", "ch") and hh < 12:
            hh += 12
        elif ampm in ("am", "sa") and hh == 12:
            hh = 0
        if hh < 24 and mm < 60 and ss < 60:
            return hh, mm, ss
    return None


def _parse_iso(text: str) -> Optional[datetime]:
    match = _ISO.search(text)
    if not match:
        compact = _ISO_COMPACT.match(text)
        if not compact:
            return None
        match = compact
    y, m, d = int(match["y"]), int(match["m"]), int(match["d"])
    hh = int(match["H"]) if match["H"] else 0
    mm = int(match["M"]) if match["M"] else 0
    ss = int(match["S"]) if match["S"] else 0
    tz = None
    if "tz" in match.groupdict() and match["tz"]:
        tz = _tz_from_offset(match["tz"])
    elif match["H"]:
        tz = _explicit_offset(text)
    if hh == 24 and mm == 0:
        hh = 23  # never seen in practice; keep the date rather than fail
    return _make(y, m, d, hh, mm, ss, tz)


def _parse_relative(text: str, now: datetime) -> Optional[datetime]:
    now = now.astimezone(VN_TZ) if now.tzinfo else now.replace(tzinfo=VN_TZ)
    if "vừa xong" in text or "vừa đăng" in text or "mới đây" in text:
        return now
    match = _RELATIVE.search(text)
    if match:
        n, unit = int(match["n"]), match["unit"]
        delta = {
            "giây": timedelta(seconds=n),
            "phút": timedelta(minutes=n),
            "giờ": timedelta(hours=n),
            "tiếng": timedelta(hours=n),
            "ngày": timedelta(days=n),
            "tuần": timedelta(weeks=n),
            "tháng": timedelta(days=30 * n),
            "năm": timedelta(days=365 * n),
        }[unit]
        return now - delta
    for word, days in (("hôm kia", 2), ("hôm qua", 1), ("hôm nay", 0)):
        if word in text:
            day = (now - timedelta(days=days)).date()
            found = _find_time(text)
            if found:
                return _make(day.year, day.month, day.day, *found, tz=VN_TZ)
            if days == 0:
                return now
            return _make(day.year, day.month, day.day, tz=VN_TZ)
    return None


def parse_date(text: Optional[str], now: Optional[datetime] = None) -> Optional[datetime]:
    """Return an aware datetime for a Vietnamese or ISO date string, or None.

    Naive values are taken as Asia/Ho_Chi_Minh local time. Relative forms
    ("2 giờ trước", "hôm qua") are resolved against ``now`` (default: the current time).
    """
    if not text or not isinstance(text, str):
        return None
    s = _norm(text)
    s = s[:300]
    if not s:
        return None
    found = _parse(s, now)
    return found.astimezone(VN_TZ) if found else None


def _parse(s: str, now: Optional[datetime]) -> Optional[datetime]:
    if re.match(r"^\d{4}-\d{1,2}-\d{1,2}", s) or _ISO_COMPACT.match(s):
        found = _parse_iso(s)
        if found:
            return found

    tz = _explicit_offset(s)
    date_match = _DMY.search(s)
    ymd: Optional[tuple[int, int, int]] = None
    rest = s
    if date_match:
        a, b, y = int(date_match["a"]), int(date_match["b"]), int(date_match["y"])
        if 1 <= b <= 12 and 1 <= a <= 31:
            ymd = (y, b, a)  # day-first, the Vietnamese convention
        elif 1 <= a <= 12 and 13 <= b <= 31:
            ymd = (y, a, b)  # month-first, only when day-first is impossible
        rest = s[: date_match.start()] + " " + s[date_match.end():]
    else:
        spelled = _SPELLED.search(s)
        if spelled:
            year = int(spelled["y"]) if spelled["y"] else (now or datetime.now(VN_TZ)).year
            ymd = (year, int(spelled["m"]), int(spelled["d"]))
            rest = s[: spelled.start()] + " " + s[spelled.end():]

    if ymd:
        rest = _OFFSET.sub(" ", rest)
        found_time = _find_time(rest) or (0, 0, 0)
        return _make(*ymd, *found_time, tz=tz)

    if re.search(r"\d{4}-\d{1,2}-\d{1,2}", s):
        found = _parse_iso(s)
        if found:
            return found

    return _parse_relative(s, now or datetime.now(VN_TZ))


def has_time(text: Optional[str]) -> bool:
    """True when ``text`` carries a time of day (not just a date)."""
    if not text:
        return False
    s = _norm(text)
    if re.search(r"\d{4}-\d{1,2}-\d{1,2}[t\s]+\d{1,2}:\d{2}", s):
        return True
    stripped = _DMY.sub(" ", s)
    return _find_time(stripped) is not None or bool(_RELATIVE.search(s))
