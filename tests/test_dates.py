"""Vietnamese and ISO date forms → aware datetimes in Asia/Ho_Chi_Minh."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from crawler.extraction.dates import has_time, parse_date

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=VN)
EXPECTED = datetime(2026, 11, 27, 10, 25, tzinfo=VN)


@pytest.mark.parametrize(
    "text",
    [
        "Thứ sáu, 27/11/2026, 10:25 (GMT+7)",
        "27/11/2026 - 10:25",
        "10:25 27/11/2026",
        "Cập nhật: 27/11/2026 10:25",
        "Cập nhật lúc 10:25 ngày 27/11/2026",
        "Thứ Sáu, 27/11/2026 - 10:25",
        "27-11-2026 10:25",
        "27.11.2026 10h25",
        "10 giờ 25 phút, ngày 27/11/2026",
        "27/11/2026   10:25 (GMT+07:00)",
        "2026-11-27T10:25:00+07:00",
        "2026-11-27T10:25:00",
        "2026-11-27 10:25",
        "2026-11-27T10:25:00.000 +07:00",
        "2026-11-27T03:25:00Z",
        "2026-11-27T03:25:00+00:00",
        "THỨ SÁU, 27/11/2026, 10:25",
        "27/11/2026 - 10:25 AM",
        "11/27/2026 10:25",  # month-first only because 27 cannot be a month
    ],
)
def test_forms_give_the_same_instant(text):
    found = parse_date(text, now=NOW)
    assert found == EXPECTED, text
    assert found.utcoffset() == timedelta(hours=7)  # always expressed in Vietnam time


def test_spelled_out_date_is_midnight_vietnam_time():
    assert parse_date("Hà Nội, ngày 27 tháng 11 năm 2026", now=NOW) == datetime(2026, 11, 27, tzinfo=VN)
    assert parse_date("ngày 5 tháng 3", now=NOW) == datetime(2026, 3, 5, tzinfo=VN)


def test_pm_and_noon_forms():
    assert parse_date("20-07-2026 - 02:15 PM") == datetime(2026, 7, 20, 14, 15, tzinfo=VN)
    assert parse_date("20-07-2026 - 12:05 AM") == datetime(2026, 7, 20, 0, 5, tzinfo=VN)


def test_explicit_other_offset_is_converted():
    found = parse_date("27/11/2026 10:25 GMT+0")
    assert found == datetime(2026, 11, 27, 10, 25, tzinfo=timezone.utc)
    assert found.utcoffset() == timedelta(hours=7)
    assert parse_date("2026-11-27T10:25:00-05:00").hour == 22


@pytest.mark.parametrize(
    "text,delta",
    [
        ("2 giờ trước", timedelta(hours=2)),
        ("30 phút trước", timedelta(minutes=30)),
        ("45 giây trước", timedelta(seconds=45)),
        ("3 ngày trước", timedelta(days=3)),
        ("1 tuần trước", timedelta(weeks=1)),
        ("Cập nhật 5 tiếng trước", timedelta(hours=5)),
        ("vừa xong", timedelta(0)),
    ],
)
def test_relative_forms_use_now(text, delta):
    assert parse_date(text, now=NOW) == NOW - delta


def test_yesterday_and_today():
    assert parse_date("hôm qua", now=NOW) == datetime(2026, 11, 26, tzinfo=VN)
    assert parse_date("Hôm qua lúc 08:15", now=NOW) == datetime(2026, 11, 26, 8, 15, tzinfo=VN)
    assert parse_date("hôm nay 09:40", now=NOW) == datetime(2026, 11, 27, 9, 40, tzinfo=VN)
    # now given in UTC: "yesterday" is still the Vietnamese calendar day
    utc_now = datetime(2026, 11, 26, 20, 0, tzinfo=timezone.utc)  # = 27/11 03:00 in Hanoi
    assert parse_date("hôm qua", now=utc_now) == datetime(2026, 11, 26, tzinfo=VN)


def test_date_only_is_local_midnight():
    assert parse_date("2026-07-20") == datetime(2026, 7, 20, tzinfo=VN)
    assert parse_date("20/07/2026") == datetime(2026, 7, 20, tzinfo=VN)


@pytest.mark.parametrize("text", [None, "", "   ", "xyz", "Tin mới", "32/13/2026", "2026-13-45", "99:99 27/11/2026x", 12345])
def test_garbage_gives_none_never_raises(text):
    found = parse_date(text, now=NOW)
    assert found is None or found.tzinfo is not None
    if text in (None, "", "   ", "xyz", "Tin mới", "32/13/2026", "2026-13-45", 12345):
        assert found is None


def test_decomposed_unicode_is_normalised():
    import unicodedata

    text = unicodedata.normalize("NFD", "Cập nhật lúc 10:25 ngày 27/11/2026")
    assert parse_date(text) == EXPECTED


def test_has_time():
    assert has_time("27/11/2026 - 10:25")
    assert has_time("2026-11-27T10:25:00")
    assert not has_time("2026-11-27")
    assert not has_time("27/11/2026")
