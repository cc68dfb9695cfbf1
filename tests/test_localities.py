"""Per-article localities: candidate mentions, false positives, outlet home province, roles."""
from __future__ import annotations

import json
from collections import Counter

import pytest

from classifier import gazetteer as gz
from classifier import localities as loc


def _mentions(title: str, body: str, **kw) -> list[dict]:
    return [m for m in loc.locate(title, body, **kw)["mentions"] if m["kind"] == "province"]


def _names(title: str, body: str, **kw) -> set[str]:
    return {m["name"] for m in _mentions(title, body, **kw)}


# --------------------------------------------------------------------------- aliases
@pytest.mark.parametrize("surface,canonical", [
    ("TP.HCM", "Thành phố Hồ Chí Minh"), ("TPHCM", "Thành phố Hồ Chí Minh"),
    ("TP. Hồ Chí Minh", "Thành phố Hồ Chí Minh"), ("TP Hồ Chí Minh", "Thành phố Hồ Chí Minh"),
    ("thành phố Hồ Chí Minh", "Thành phố Hồ Chí Minh"), ("Sài Gòn", "Thành phố Hồ Chí Minh"),
    ("Thủ đô", "Hà Nội"), ("Thừa Thiên Huế", "Thừa Thiên Huế"), ("TT-Huế", "Thừa Thiên Huế"),
    ("Bà Rịa - Vũng Tàu", "Bà Rịa - Vũng Tàu"), ("Bà Rịa–Vũng Tàu", "Bà Rịa - Vũng Tàu"),
    ("Bà Rịa Vũng Tàu", "Bà Rịa - Vũng Tàu"), ("BR-VT", "Bà Rịa - Vũng Tàu"),
    ("Đắk Lắk", "Đắk Lắk"), ("Đăk Lăk", "Đắk Lắk"), ("Daklak", "Đắk Lắk"),
    ("Đắk Nông", "Đắk Nông"), ("Đăk Nông", "Đắk Nông"),
    ("tỉnh Quảng Ninh", "Quảng Ninh"), ("TP Đà Nẵng", "Đà Nẵng"), ("TP. Cần Thơ", "Cần Thơ"),
])
def test_press_spellings_in_running_text(surface, canonical):
    found = _mentions("Tin tức", f"Hôm qua, lãnh đạo {surface} đã họp bàn về cải cách hành chính.")
    assert [m["name"] for m in found] == [canonical]
    assert found[0]["surface"].endswith(surface.split()[-1])


@pytest.mark.parametrize("new_style,old_style", [("Thanh Hoá", "Thanh Hóa"), ("Khánh Hoà", "Khánh Hòa"),
                                                 ("Hoà Bình", "Hòa Bình")])
def test_both_tone_mark_placements(new_style, old_style):
    assert _names("x", f"UBND tỉnh {new_style} họp.") == {old_style}
    assert _names("x", f"UBND tỉnh {old_style} họp.") == {old_style}


def test_upper_case_headline():
    r = loc.locate("QUẢNG NINH ĐẨY MẠNH CẢI CÁCH HÀNH CHÍNH", "Tỉnh tiếp tục cải cách.")
    assert "Quảng Ninh" in r["provinces"]
    assert r["mentions"][0]["in_title"] is True


def test_positions_index_title_newline_text():
    title, body = "Tin Hà Nội", "Sáng nay tại Hà Nội, Sở Nội vụ họp."
    ms = _mentions(title, body)
    full = title + "\n" + body
    assert [full[m["position"]:m["position"] + len("Hà Nội")] for m in ms] == ["Hà Nội", "Hà Nội"]
    assert ms[0]["in_title"] and not ms[1]["in_title"] and ms[1]["count"] == 2


# --------------------------------------------------------------------------- false positives
def test_common_words_are_not_provinces():
    body = "Người dân mong hòa bình, cuộc sống thái bình; việc này cần bình định. Quảng ngãi là từ lạ."
    assert _names("Khát vọng hòa bình", body) == set()
    assert _names("x", "UBND tỉnh Hòa Bình và tỉnh Thái Bình ký kết.") == {"Hòa Bình", "Thái Bình"}


def test_common_word_names_in_all_caps_need_a_prefix():
    assert _names("KHÁT VỌNG HÒA BÌNH CHO MUÔN NHÀ", "Nội dung.") == set()
    assert _names("TỈNH HÒA BÌNH ĐẨY MẠNH CẢI CÁCH", "Nội dung.") == {"Hòa Bình"}


def test_person_names_are_not_provinces():
    body = ("Ông Trần Thái Bình nhận giải. Ông Nguyễn Văn Long An và chị Huế cùng dự. "
            "Bà Lê Thị Hà Nam phát biểu.")
    assert _names("Trao giải", body) == set()


def test_outlet_own_name_is_not_a_province():
    body = "Theo Báo Quảng Ninh, Báo Nghệ An và Đài PT-TH Hà Nội, lễ hội đã diễn ra."
    assert _names("Tin tổng hợp", body) == set()


def test_street_names_are_not_provinces():
    body = "Ở Đà Nẵng, cửa hàng trên đường Hà Nội và phố Huế, gần đường Lê Lợi, phố Hàng Bài đã khai trương."
    assert _names("Khai trương", body) == {"Đà Nẵng"}


def test_ho_chi_minh_without_city_word_is_not_the_city():
    body = "Học tập tư tưởng Hồ Chí Minh tại Học viện Chính trị quốc gia Hồ Chí Minh."
    assert _names("Học tập", body) == set()


def test_nicknames_inside_other_names_are_not_provinces():
    assert _names("Du lịch", "Thủ đô Viêng Chăn của Lào và Tân Cảng Sài Gòn Tourist.") == set()
    assert _names("Du lịch", "Thủ đô Hà Nội và Sài Gòn đón khách.") == {"Hà Nội", "Thành phố Hồ Chí Minh"}


def _shared_commune() -> tuple[str, list[str]]:
    by_name: dict[str, set[str]] = {}
    for c in gz.communes():
        if c["division"] == "former" and c["type"] == "Xã":
            by_name.setdefault(c["short"], set()).add(gz.province_to_current(c["province"]))
    name, provs = max(by_name.items(), key=lambda kv: len(kv[1]))
    return name, sorted(provs)


def test_commune_shared_by_many_provinces_is_dropped_without_context():
    name, provs = _shared_commune()
    assert len(provs) >= 5
    assert _names("Cán bộ xã bị kỷ luật", f"Cán bộ xã {name} bị kỷ luật vì nhũng nhiễu.") == set()


def test_commune_resolved_when_the_article_names_its_province():
    name, provs = _shared_commune()
    target = provs[0]
    ms = _mentions("Kỷ luật cán bộ", f"Tại tỉnh {target}, cán bộ xã {name} bị kỷ luật.")
    communes = [m for m in ms if m["level"] == "commune"]
    assert len(communes) == 1 and communes[0]["name_current"] == target


def test_district_counts_as_its_province():
    ms = _mentions("Cải cách ở huyện Thanh Chương", "UBND huyện Thanh Chương đẩy mạnh cải cách.")
    assert {m["name"] for m in ms} == {"Nghệ An"} and {m["level"] for m in ms} == {"district"}


def test_district_type_disambiguates():
    # "Hoàng Mai" is a quận of Hà Nội and a thị xã of Nghệ An.
    assert _names("Cháy nhà", "Đám cháy tại quận Hoàng Mai đã được dập tắt.") == {"Hà Nội"}
    assert _names("Cháy nhà", "Đám cháy tại thị xã Hoàng Mai đã được dập tắt.") == {"Nghệ An"}


# --------------------------------------------------------------------------- home province
@pytest.mark.parametrize("url,province", [
    ("https://baoquangninh.vn/bai-viet-1.html", "Quảng Ninh"),
    ("https://sonoivu.bacgiang.gov.vn/tin-tuc/1", "Bắc Giang"),
    ("https://hanoimoi.vn/bai-1", "Hà Nội"),
])
def test_outlet_home_province_from_url(url, province):
    assert loc.home_province(url)[0] == province
    body = ("UBND tỉnh đã chỉ đạo các sở, ngành trên địa bàn tỉnh đẩy mạnh cải cách hành chính. "
            "Chủ tịch UBND tỉnh yêu cầu giảm hồ sơ trễ hạn.")
    r = loc.locate("Đẩy mạnh cải cách hành chính", body, url=url)
    assert r["provinces"] == [province]
    assert r["provinces_current"] == [gz.province_to_current(province)]


def test_national_outlet_has_no_home_province():
    assert loc.home_province("https://vnexpress.net/abc") is None
    assert loc.locate("Đẩy mạnh cải cách", "UBND tỉnh chỉ đạo.", url="https://vnexpress.net/x")["provinces"] == []


# --------------------------------------------------------------------------- naming by date, roles
def test_hue_named_as_at_the_article_date():
    assert loc.locate("Huế đẩy mạnh CCHC", "Huế đẩy mạnh CCHC.", published="2024-06-01")["provinces"] == ["Thừa Thiên Huế"]
    r = loc.locate("Huế đẩy mạnh CCHC", "Huế đẩy mạnh CCHC.", published="2025-06-01")
    assert r["provinces"] == ["Huế"] and r["provinces_current"] == ["Huế"]


def test_former_province_kept_with_current_mapping():
    r = loc.locate("Bình Dương cắt giảm thủ tục hành chính", "UBND tỉnh Bình Dương vừa cắt giảm 100 thủ tục.")
    assert r["provinces"] == ["Bình Dương"] and r["provinces_current"] == ["Thành phố Hồ Chí Minh"]


def test_list_of_provinces_in_a_national_story_is_passing():
    body = ("Bộ Nội vụ công bố Chỉ số cải cách hành chính năm 2024 của 63 tỉnh, thành phố. "
            "Năm địa phương dẫn đầu gồm Quảng Ninh, Hải Phòng, Bắc Ninh, Đồng Nai và Long An. "
            "Bộ Nội vụ đề nghị các địa phương tiếp tục cải thiện chỉ số.\n"
            "Theo Bộ Nội vụ, chỉ số năm nay được đánh giá bằng phương pháp mới với nhiều tiêu chí.")
    r = loc.locate("Công bố Chỉ số cải cách hành chính năm 2024", body)
    assert r["provinces"] == []
    assert {m["role"] for m in r["mentions"] if m["kind"] == "province"} == {"passing"}


def test_headline_province_is_subject_and_passing_one_is_not():
    body = ("UBND tỉnh Quảng Ninh vừa công bố kết quả cải cách hành chính năm 2024. Tỉnh Quảng Ninh "
            "đã giảm 30% thời gian giải quyết hồ sơ; Chủ tịch UBND tỉnh Quảng Ninh yêu cầu các sở tiếp tục. "
            "Một đoàn công tác từ Hà Nội cũng đến dự.")
    r = loc.locate("Quảng Ninh dẫn đầu cải cách hành chính", body)
    assert r["provinces"] == ["Quảng Ninh"]
    roles = {m["name"]: m["role"] for m in r["mentions"] if m["kind"] == "province"}
    assert roles == {"Quảng Ninh": "subject", "Hà Nội": "passing"}


def test_bad_input_is_reported():
    with pytest.raises(ValueError, match="title and text"):
        loc.locate(None, "x")


# --------------------------------------------------------------------------- corpus
def test_every_corpus_label_is_a_canonical_name(shared_dir):
    records = [json.loads(x) for x in (shared_dir / "corpus" / "articles.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]
    labels = Counter(p for r in records for p in r["provinces"])
    assert labels
    for name in labels:
        assert gz.canonical_province(name) == name, name
    for name in {m for r in records for m in r["ministries"]}:
        assert gz.canonical_ministry(name) == name, name


def test_corpus_cross_validated_bars(shared_dir):
    from classifier import localities_eval as ev

    records = ev.load_records(shared_dir / "corpus")
    rows = ev._prepare(records)
    prov = ev._prf(list(zip(ev._cv_predictions(rows, "p", 5), [r["gold_p"] for r in rows])))
    mins = ev._prf(list(zip(ev._cv_predictions(rows, "m", 5), [r["gold_m"] for r in rows])))
    every = ev._prf([(r["all_p"], r["gold_p"]) for r in rows])
    assert prov[2] >= 0.88, prov
    assert mins[2] >= 0.80, mins
    assert prov[2] > every[2] + 0.15
