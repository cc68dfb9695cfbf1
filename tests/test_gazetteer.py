"""Gazetteer: names, divisions, former→current mapping, aliases, coordinates, generated data."""
from __future__ import annotations

import json

import pytest

from classifier import build_gazetteer, gazetteer as gz


def test_division_sizes_and_canonical_names():
    current, former = gz.province_names("current"), gz.province_names("former")
    assert len(current) == 34 and len(set(current)) == 34
    assert len(former) == 63 and len(set(former)) == 63
    for name in ("Thành phố Hồ Chí Minh", "Hà Nội", "Huế", "Đà Nẵng", "Cần Thơ", "Hải Phòng"):
        assert name in current
    assert "Thừa Thiên Huế" in former and "Huế" not in former
    assert "Bình Dương" in former and "Bình Dương" not in current
    with pytest.raises(ValueError):
        gz.province_names("both")


@pytest.mark.parametrize("former,current", [
    ("Bình Dương", "Thành phố Hồ Chí Minh"),
    ("Bà Rịa - Vũng Tàu", "Thành phố Hồ Chí Minh"),
    ("Hà Giang", "Tuyên Quang"),
    ("Quảng Nam", "Đà Nẵng"),
    ("Thừa Thiên Huế", "Huế"),
    ("Hà Nội", "Hà Nội"),
    ("Kon Tum", "Quảng Ngãi"),
    ("Bắc Giang", "Bắc Ninh"),
])
def test_former_to_current(former, current):
    assert gz.province_to_current(former) == current
    assert former in gz.former_provinces_of(current)


def test_every_former_province_maps_into_the_34():
    current = set(gz.province_names("current"))
    assert {gz.province_to_current(p) for p in gz.province_names("former")} == current


def test_unknown_province_kept_unchanged_and_logged(caplog):
    with caplog.at_level("WARNING"):
        assert gz.province_to_current("Atlantis") == "Atlantis"
    assert "Atlantis" in caplog.text
    assert gz.canonical_province("Atlantis") is None


@pytest.mark.parametrize("alias,canonical", [
    ("TP.HCM", "Thành phố Hồ Chí Minh"), ("TPHCM", "Thành phố Hồ Chí Minh"),
    ("TP. Hồ Chí Minh", "Thành phố Hồ Chí Minh"), ("TP Hồ Chí Minh", "Thành phố Hồ Chí Minh"),
    ("Sài Gòn", "Thành phố Hồ Chí Minh"), ("Thủ đô", "Hà Nội"),
    ("TT-Huế", "Thừa Thiên Huế"), ("Thừa Thiên - Huế", "Thừa Thiên Huế"), ("Huế", "Huế"),
    ("Thành phố Huế", "Huế"),
    ("Bà Rịa-Vũng Tàu", "Bà Rịa - Vũng Tàu"), ("Bà Rịa – Vũng Tàu", "Bà Rịa - Vũng Tàu"),
    ("Bà Rịa Vũng Tàu", "Bà Rịa - Vũng Tàu"), ("BR-VT", "Bà Rịa - Vũng Tàu"),
    ("Đăk Lăk", "Đắk Lắk"), ("Daklak", "Đắk Lắk"), ("Đăk Nông", "Đắk Nông"),
    ("tỉnh Quảng Ninh", "Quảng Ninh"), ("thành phố Cần Thơ", "Cần Thơ"), ("TP Đà Nẵng", "Đà Nẵng"),
    ("TP. Hải Phòng", "Hải Phòng"), ("Tỉnh Thanh Hóa", "Thanh Hóa"),
    ("Thanh Hoá", "Thanh Hóa"), ("Khánh Hoà", "Khánh Hòa"), ("Hoà Bình", "Hòa Bình"),  # tone placement
    ("ha noi", "Hà Nội"),  # no diacritics, unique
])
def test_aliases(alias, canonical):
    assert gz.canonical_province(alias) == canonical


def test_suggestions_are_diacritic_insensitive():
    assert gz.suggest_provinces("Ha Noii")[0] == "Hà Nội"
    assert gz.suggest_provinces("Dak Lac")[0] == "Đắk Lắk"
    assert len(gz.suggest_provinces("Quang", n=3)) <= 3
    assert gz.suggest_ministries("Bo Noi vu")[0] == "Bộ Nội vụ"
    assert gz.suggest_ministries("Bộ TT&TT")[0] == "Bộ Thông tin và Truyền thông"


def test_coordinates_cover_both_divisions_and_lie_in_vietnam():
    coords = gz.province_coordinates()
    names = set(gz.province_names("current")) | set(gz.province_names("former"))
    assert set(coords) == names
    for lat, lon in coords.values():
        assert 8.0 < lat < 23.5 and 102.0 < lon < 110.0
    # the former Quảng Nam lies south of the former Đà Nẵng city
    former = gz.province_coordinates("former")
    assert former["Quảng Nam"][0] < former["Đà Nẵng"][0]


def test_ministry_names_and_mapping():
    now = gz.ministry_names()
    assert len(now) == 17 and "Bộ Dân tộc và Tôn giáo" in now and "Bộ Kế hoạch và Đầu tư" not in now
    assert "Bộ Thông tin và Truyền thông" in gz.ministry_names(current=False)
    assert gz.ministry_to_current("Bộ Kế hoạch và Đầu tư") == "Bộ Tài chính"
    assert gz.ministry_to_current("Ủy ban Dân tộc") == "Bộ Dân tộc và Tôn giáo"
    assert gz.ministry_to_current("Bộ Y tế") == "Bộ Y tế"
    assert gz.ministry_to_current("Bộ Phép thuật") == "Bộ Phép thuật"
    assert gz.ministry_for_domain("https://mic.gov.vn/tin") == "Bộ Thông tin và Truyền thông"
    assert gz.ministry_for_domain("vnexpress.net") is None


def test_districts_and_communes_have_known_provinces():
    former = set(gz.province_names("former"))
    current = set(gz.province_names("current"))
    assert len(gz.districts()) > 600
    assert all(d["province"] in former for d in gz.districts())
    communes = gz.communes()
    assert sum(c["division"] == "former" for c in communes) > 10000
    assert sum(c["division"] == "current" for c in communes) > 3000
    assert all(c["province"] in (former if c["division"] == "former" else current) for c in communes)


def test_build_reproduces_committed_data(tmp_path):
    build_gazetteer.build(tmp_path)
    new = json.loads((tmp_path / "provinces.json").read_text(encoding="utf-8"))
    old = json.loads((gz.DATA_DIR / "provinces.json").read_text(encoding="utf-8"))
    assert new["former"] == old["former"] and new["current"] == old["current"]
    assert new["source"]["package"] == "vietnamadminunits" and new["source"]["version"]
    assert (tmp_path / "districts.csv").read_text(encoding="utf-8") == (gz.DATA_DIR / "districts.csv").read_text(encoding="utf-8")
    total = sum(p.stat().st_size for p in gz.DATA_DIR.iterdir())
    assert total < 3_000_000
