"""The source registry: the bundled file, validation errors with file/line/outlet, lookups."""
from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest

from crawler.registry import (
    CURRENT_PROVINCES,
    DEFAULT_REGISTRY,
    FORMER_PROVINCES,
    FORMER_TO_CURRENT,
    KINDS,
    Listing,
    Problem,
    RegistryError,
    UnknownOutletError,
    canonical_province,
    fold,
    home_province_for_domain,
    infer_province_from_host,
    load_registry,
    normalize_vi,
)

GOOD = '''\
[[outlet]]
id = "bao-a"
name = "Báo A"
domain = "baoa.vn"
kind = "national"
feeds = ["https://baoa.vn/rss/thoi-su.rss"]
'''


def write(tmp_path: Path, text: str, name: str = "sources.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def marker_line(text: str, marker: str = "# <-") -> int:
    for no, line in enumerate(textwrap.dedent(text).splitlines(), start=1):
        if marker in line:
            return no
    raise AssertionError("no marker in test text")


def problems_of(path: Path, **kw) -> list[Problem]:
    with pytest.raises(RegistryError) as info:
        load_registry(path, **kw)
    return info.value.problems


# --------------------------------------------------------------------------- bundled registry
@pytest.fixture(scope="module")
def bundled():
    from crawler.registry import DEFAULT_REGISTRY

    return load_registry(DEFAULT_REGISTRY)


def test_bundled_registry_validates_and_is_large_enough(bundled):
    assert bundled.path == DEFAULT_REGISTRY
    counts = bundled.counts()
    assert set(counts) == set(KINDS)
    assert counts["national"] + counts["specialized"] >= 25
    assert counts["government_portal"] >= 3
    assert len(bundled) == sum(counts.values())
    for outlet in bundled:
        assert outlet.start_urls, outlet.id
        assert outlet.line > 0
        if outlet.kind == "local":
            assert outlet.province in FORMER_TO_CURRENT, outlet.id
            assert FORMER_TO_CURRENT[outlet.province] == outlet.province_current, outlet.id


def test_every_current_province_has_a_local_outlet(bundled):
    covered = {o.province_current for o in bundled if o.kind == "local"}
    missing = set(CURRENT_PROVINCES) - covered
    assert not missing, f"no local outlet for {sorted(missing)}"
    assert len(CURRENT_PROVINCES) == 34


def test_bundled_outlet_lines_point_at_their_headers(bundled):
    lines = DEFAULT_REGISTRY.read_text(encoding="utf-8").splitlines()
    for outlet in bundled:
        assert lines[outlet.line - 1].strip() == "[[outlet]]"
        assert f'id = "{outlet.id}"' in lines[outlet.line]


def test_verified_outlets_article_patterns_match_real_article_urls(bundled, shared_dir):
    """Each verified outlet's listing pattern matches at least one real article URL of it."""
    urls: dict[str, list[str]] = {}
    with open(shared_dir / "corpus" / "articles.jsonl", encoding="utf-8") as fh:
        for line in fh:
            url = json.loads(line)["url"]
            outlet = bundled.by_url(url)
            if outlet is not None:
                urls.setdefault(outlet.id, []).append(url.replace("http://", "https://"))
    checked = 0
    for outlet in bundled:
        if not outlet.verified or outlet.id not in urls or not outlet.listings:
            continue
        checked += 1
        assert any(l.article_re.search(u) for l in outlet.listings for u in urls[outlet.id]), outlet.id
    assert checked >= 20


# --------------------------------------------------------------------------- provinces
def test_province_table_matches_vietnamadminunits():
    from vietnamadminunits.database import query

    import vietnam_provinces

    by_key = {r["provinceKey"]: r["provinceShort"] for r in query("select distinct provinceKey, provinceShort from admin_units_legacy")}
    cur_by_key = {r["provinceKey"]: r["provinceShort"] for r in query("select distinct provinceKey, provinceShort from admin_units")}
    assert len(by_key) == 63 and len(cur_by_key) == 34

    def canon(short: str) -> str:  # LABELING.md names: "Thành phố Hồ Chí Minh"; Huế before 2025 = Thừa Thiên Huế
        return {"Hồ Chí Minh": "Thành phố Hồ Chí Minh", "Huế": "Thừa Thiên Huế"}.get(short, short)

    assert set(FORMER_PROVINCES) == {canon(s) for s in by_key.values()}
    assert set(CURRENT_PROVINCES) == {canon(s) if s != "Huế" else "Huế" for s in cur_by_key.values()}
    converter = Path(query.__code__.co_filename).parents[1] / "data" / "converter_2025.json"
    mapping = json.loads(converter.read_text(encoding="utf-8"))["DICT_PROVINCE"]
    for new_key, old_keys in mapping.items():
        current = cur_by_key[new_key]
        current = "Thành phố Hồ Chí Minh" if current == "Hồ Chí Minh" else current
        for old_key in old_keys:
            assert FORMER_TO_CURRENT[canon(by_key[old_key])] == current, old_key
    names = {p.name.removeprefix("Thành phố ") for p in vietnam_provinces.Province.iter_all()}
    assert {c.removeprefix("Thành phố ") for c in CURRENT_PROVINCES} == names


def test_canonical_province_normalises_tone_marks_and_aliases():
    assert canonical_province("Thanh Hoá") == "Thanh Hóa"
    assert canonical_province("Khánh Hoà") == "Khánh Hòa"
    assert canonical_province("thành phố Huế") == "Huế"
    assert canonical_province("Sài Gòn") is None
    assert canonical_province("Da Nang") is None
    assert canonical_province("Da Nang", loose=True) == "Đà Nẵng"
    assert fold("Bà Rịa - Vũng Tàu") == "bariavungtau"
    # only syllable-final oa/oe/uy move their tone mark, never after q
    assert normalize_vi("hoàn thành  Hoàng quý thuỷ khoẻ") == "hoàn thành Hoàng quý thủy khỏe"


def test_outlet_row_fits_the_outlets_table(bundled):
    from storage.models import Outlet as OutletRow

    row = bundled.get("baoquangnam").row()
    assert row == {"id": "baoquangnam", "name": "Báo Quảng Nam", "domain": "baoquangnam.vn", "kind": "local",
                   "province": "Quảng Nam", "province_current": "Đà Nẵng", "verified": True}
    assert set(row) <= set(OutletRow.__table__.columns.keys())


# --------------------------------------------------------------------------- validation errors
# The first lines of most bad registries below: one valid outlet (indented like the cases).
BAO_X = """\
        [[outlet]]
        id = "bao-x"
        name = "Báo X"
        domain = "baox.vn"
        kind = "national"
"""
CASES = {
    "unknown outlet key": (BAO_X + '''\
        feed = ["https://baox.vn/rss"]  # <-
        ''', "bao-x", "unknown key 'feed'"),
    "unknown listing key": (BAO_X + '''\

        [[outlet.listing]]
        url = "https://baox.vn/thoi-su"
        pattern = '-\\d+\\.html$'  # <-
        ''', "bao-x", "listing #1: unknown key 'pattern'"),
    "unknown politeness key": (BAO_X + '''\
        feeds = ["https://baox.vn/rss"]

        [outlet.politeness]
        delay = 2
        concurency = 1  # <-
        ''', "bao-x", "unknown key 'concurency'"),
    "unknown rules key": (BAO_X + '''\
        feeds = ["https://baox.vn/rss"]

        [[outlet.rules]]
        title = "css:h1"
        bodyy = "css:div.content"  # <-
        ''', "bao-x", "rules #1: unknown key 'bodyy'"),
    "missing required key": ('''\
        [[outlet]]  # <-
        id = "bao-x"
        domain = "baox.vn"
        kind = "national"
        feeds = ["https://baox.vn/rss"]
        ''', "bao-x", "missing required key 'name'"),
    "bad url in a multi-line array": (BAO_X + '''\
        feeds = [
            "https://baox.vn/rss/a.rss",
            "ftp://baox.vn/rss/b.rss",  # <-
        ]
        ''', "bao-x", "feeds: not an http(s) URL"),
    "url without host": (BAO_X + '''\
        sitemaps = ["https:///sitemap.xml"]  # <-
        ''', "bao-x", "sitemaps: not an http(s) URL with a host"),
    "bad domain": ('''\
        [[outlet]]
        id = "bao-x"
        name = "Báo X"
        domain = "https://baox.vn"  # <-
        kind = "national"
        feeds = ["https://baox.vn/rss"]
        ''', "bao-x", "domain: write the host only"),
    "bad kind": ('''\
        [[outlet]]
        id = "bao-x"
        name = "Báo X"
        domain = "baox.vn"
        kind = "regional"  # <-
        feeds = ["https://baox.vn/rss"]
        ''', "bao-x", "kind: 'regional' is not one of"),
    "local without province": ('''\
        [[outlet]]  # <-
        id = "bao-x"
        name = "Báo X"
        domain = "baox.vn"
        kind = "local"
        province_current = "Đà Nẵng"
        feeds = ["https://baox.vn/rss"]
        ''', "bao-x", "a local outlet needs province"),
    "not a province": ('''\
        [[outlet]]
        id = "bao-x"
        name = "Báo X"
        domain = "baox.vn"
        kind = "local"
        province = "Quảng Nan"  # <-
        province_current = "Đà Nẵng"
        feeds = ["https://baox.vn/rss"]
        ''', "bao-x", "'Quảng Nan' is not a province of Viet Nam (63-province or 34-province list) (did you mean 'Quảng Nam'"),
    "wrong merger target": ('''\
        [[outlet]]
        id = "bao-x"
        name = "Báo X"
        domain = "baox.vn"
        kind = "local"
        province = "Bình Dương"
        province_current = "Đồng Nai"  # <-
        feeds = ["https://baox.vn/rss"]
        ''', "bao-x", "Bình Dương became part of Thành phố Hồ Chí Minh on 1 July 2025, not Đồng Nai"),
    "former province as current": ('''\
        [[outlet]]
        id = "bao-x"
        name = "Báo X"
        domain = "baox.vn"
        kind = "local"
        province = "Quảng Nam"
        province_current = "Quảng Nam"  # <-
        feeds = ["https://baox.vn/rss"]
        ''', "bao-x", "not one of the 34 provinces after 1 July 2025 (Quảng Nam belongs to Đà Nẵng"),
    "duplicate id": (GOOD + '''
        [[outlet]]
        id = "bao-a"  # <-
        name = "Báo A bis"
        domain = "baoabis.vn"
        kind = "national"
        feeds = ["https://baoabis.vn/rss"]
        ''', "bao-a", "duplicate id: already used by the outlet at line 1"),
    "duplicate domain": (GOOD + '''
        [[outlet]]
        id = "bao-b"
        name = "Báo B"
        domain = "www.baoa.vn"  # <-
        kind = "national"
        feeds = ["https://baoa.vn/rss/b.rss"]
        ''', "bao-b", "duplicate domain 'baoa.vn': already claimed by [bao-a] at line 1"),
    "bad regex": (BAO_X + '''\

        [[outlet.listing]]
        url = "https://baox.vn/thoi-su"
        article_pattern = '-(\\d+\\.html$'  # <-
        ''', "bao-x", "listing #1.article_pattern: bad regular expression"),
    "pages without pagination": (BAO_X + '''\

        [[outlet.listing]]
        url = "https://baox.vn/thoi-su"
        article_pattern = '-\\d+\\.html$'
        max_pages = 4  # <-
        ''', "bao-x", "max_pages = 4 needs next_page"),
    "next_page without {page}": (BAO_X + '''\

        [[outlet.listing]]
        url = "https://baox.vn/thoi-su"
        article_pattern = '-\\d+\\.html$'
        next_page = "https://baox.vn/thoi-su/trang-2"  # <-
        ''', "bao-x", "needs a {page} placeholder"),
    "nothing to crawl": ('''\
        [[outlet]]  # <-
        id = "bao-x"
        name = "Báo X"
        domain = "baox.vn"
        kind = "national"
        ''', "bao-x", "nothing to crawl"),
    "bad politeness value": (BAO_X + '''\
        feeds = ["https://baox.vn/rss"]
        politeness = { delay = -1 }  # <-
        ''', "bao-x", "politeness.delay: expected seconds >= 0"),
    "unknown top-level key": ('''\
        [defaults]
        delay = 1.0

        [outlets]  # <-
        x = 1
        ''', None, "unknown top-level key 'outlets' (did you mean 'outlet'"),
    "toml syntax error": (GOOD + '''
        [[outlet]]
        id = "bao-b
        name = "Báo B"  # <-
        ''', None, "TOML syntax error"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_each_error_names_file_line_and_outlet(tmp_path, case):
    text, outlet, message = CASES[case]
    path = write(tmp_path, text)
    problems = problems_of(path)
    matching = [p for p in problems if message in p.message]
    assert matching, f"{case}: {[str(p) for p in problems]}"
    problem = matching[0]
    assert problem.file == str(path)
    expected_line = marker_line(text)
    if case == "toml syntax error":
        # the parser reports where it noticed the unterminated string: the line of it or the next
        assert problem.line in (expected_line - 1, expected_line)
    else:
        assert problem.line == expected_line, f"{case}: {problem}"
    assert problem.outlet == outlet
    assert str(problem).startswith(f"{path}:{problem.line}: " + (f"[{outlet}] " if outlet else ""))


def test_all_problems_are_reported_at_once_and_str_lists_them(tmp_path):
    text = GOOD + '''
[[outlet]]
id = "bao-b"
name = "Báo B"
domain = "baob.vn"
kind = "locale"
feeds = ["htp://baob.vn/rss"]

[[outlet]]
id = "bao-c"
name = "Báo C"
domain = "baoc.vn"
kind = "local"
province = "Hà Giang"
province_current = "Hà Giang"
feeds = ["https://baoc.vn/rss"]
'''
    path = write(tmp_path, text)
    with pytest.raises(RegistryError) as info:
        load_registry(path)
    problems = info.value.problems
    assert {p.outlet for p in problems} == {"bao-b", "bao-c"}
    assert [p.line for p in problems] == sorted(p.line for p in problems)
    assert len(problems) == 3
    rendered = str(info.value).splitlines()
    assert rendered == [str(p) for p in problems]
    assert f"{path}:13: [bao-b] feeds: not an http(s) URL" in str(info.value)
    assert f"{path}:21: [bao-c] province_current: 'Hà Giang' is not one of the 34 provinces" in str(info.value)


def test_missing_file_is_a_problem(tmp_path):
    problems = problems_of(tmp_path / "nope.toml")
    assert "not found" in problems[0].message and problems[0].file.endswith("nope.toml")


def test_listing_defaults_and_pagination(tmp_path):
    path = write(tmp_path, '''\
        [defaults]
        delay = 3.5
        concurrency = 1

        [[outlet]]
        id = "bao-x"
        name = "Báo X"
        domain = "baox.vn"
        kind = "local"
        province = "Thanh Hoá"
        province_current = "Thanh Hóa"

        [[outlet.listing]]
        url = "https://baox.vn/thoi-su"
        article_pattern = '-\\d+\\.html$'
        next_page = "https://baox.vn/thoi-su/trang-{page}"

        [[outlet.listing]]
        url = "https://baox.vn/chinh-quyen"
        article_pattern = '-\\d+\\.html$'
        next_selector = "a.next"
        max_pages = 5

        [[outlet.listing]]
        url = "https://baox.vn/"
        article_pattern = '-\\d+\\.html$'
        ''')
    outlet = load_registry(path).get("bao-x")
    assert outlet.province == "Thanh Hóa"  # tone marks normalised
    assert outlet.politeness.delay == 3.5 and outlet.politeness.concurrency == 1
    first, second, third = outlet.listings
    assert isinstance(first, Listing) and first.max_pages == 3
    assert first.page_url(1) == "https://baox.vn/thoi-su" and first.page_url(3) == "https://baox.vn/thoi-su/trang-3"
    assert second.next_selector == "a.next" and second.max_pages == 5
    assert third.max_pages == 1
    assert first.article_re.search("https://baox.vn/thoi-su/bai-viet-12345.html")
    assert not first.article_re.search("https://baox.vn/thoi-su/")


# --------------------------------------------------------------------------- base_url, lookups
DEMO = '''\
[[outlet]]
id = "mau-thoi-su"
name = "Báo Mẫu Thời Sự"
domain = "{host}/mau-thoi-su"
kind = "national"
feeds = ["{base}/mau-thoi-su/rss.xml"]
sitemaps = ["{base}/mau-thoi-su/sitemap.xml"]

[[outlet.listing]]
url = "{base}/mau-thoi-su/tin-moi/"
article_pattern = '/mau-thoi-su/bai/[a-z0-9-]+-\\d+\\.html$'
next_page = "{base}/mau-thoi-su/tin-moi/page/{page}"

[[outlet]]
id = "mau-ha-giang"
name = "Báo Mẫu Hà Giang"
domain = "{host}/mau-ha-giang"
kind = "local"
province = "Hà Giang"
province_current = "Tuyên Quang"
feeds = ["{base}/mau-ha-giang/atom.xml"]
'''


def test_base_url_substitution_and_path_prefixed_domains(tmp_path):
    path = write(tmp_path, DEMO)
    reg = load_registry(path, base_url="http://127.0.0.1:8765/")
    news = reg.get("mau-thoi-su")
    assert news.feeds == ("http://127.0.0.1:8765/mau-thoi-su/rss.xml",)
    assert news.sitemaps == ("http://127.0.0.1:8765/mau-thoi-su/sitemap.xml",)
    assert news.listings[0].url == "http://127.0.0.1:8765/mau-thoi-su/tin-moi/"
    assert news.listings[0].page_url(2) == "http://127.0.0.1:8765/mau-thoi-su/tin-moi/page/2"
    assert news.domain == "127.0.0.1:8765/mau-thoi-su"
    assert reg.by_url("http://127.0.0.1:8765/mau-ha-giang/bai/x-1.html").id == "mau-ha-giang"
    assert reg.by_url("http://127.0.0.1:8765/mau-thoi-su/bai/x-1.html").id == "mau-thoi-su"
    assert reg.by_url("http://127.0.0.1:8765/khac/") is None
    assert home_province_for_domain("http://127.0.0.1:8765/mau-ha-giang/bai/x-1.html", reg) == ("Hà Giang", "Tuyên Quang")
    # without base_url the placeholders stay (the file is still valid) ...
    raw = load_registry(path)
    assert raw.get("mau-thoi-su").feeds == ("{base}/mau-thoi-su/rss.xml",)
    # ... and each base_url gets its own cached registry
    other = load_registry(path, base_url="http://127.0.0.1:9999")
    assert other.get("mau-thoi-su").feeds == ("http://127.0.0.1:9999/mau-thoi-su/rss.xml",)


def test_cache_follows_the_file(tmp_path):
    path = write(tmp_path, GOOD)
    first = load_registry(path)
    assert load_registry(path) is first
    path.write_text(GOOD.replace("Báo A", "Báo A mới"), encoding="utf-8")
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    second = load_registry(path)
    assert second is not first and second.get("bao-a").name == "Báo A mới"


LOOKUP = GOOD + '''
[[outlet]]
id = "cong-bacgiang"
name = "Cổng TTĐT tỉnh Bắc Giang"
domain = "bacgiang.gov.vn"
kind = "government_portal"
province = "Bắc Giang"
province_current = "Bắc Ninh"
feeds = ["https://bacgiang.gov.vn/rss"]

[[outlet]]
id = "so-noi-vu-bacgiang"
name = "Sở Nội vụ Bắc Giang"
domain = "sonoivu.bacgiang.gov.vn"
kind = "government_portal"
province = "Bắc Giang"
province_current = "Bắc Ninh"
feeds = ["https://sonoivu.bacgiang.gov.vn/rss"]

[[outlet]]
id = "bao-hue"
name = "Báo Huế"
domain = "huengaynay.vn"
kind = "local"
province = "Thừa Thiên Huế"
province_current = "Huế"
extra_domains = ["baothuathienhue.vn"]
feeds = ["https://huengaynay.vn/rss"]
'''


def test_by_domain_www_subdomains_extra_domains_most_specific(tmp_path):
    reg = load_registry(write(tmp_path, LOOKUP))
    assert reg.by_domain("baoa.vn").id == "bao-a"
    assert reg.by_domain("WWW.BaoA.vn.").id == "bao-a"
    assert reg.by_domain("m.baoa.vn").id == "bao-a"
    assert reg.by_domain("https://amp.baoa.vn/x-1.html").id == "bao-a"
    assert reg.by_domain("xbaoa.vn") is None  # not a sub-domain, just a suffix
    assert reg.by_domain("tinhuy.bacgiang.gov.vn").id == "cong-bacgiang"
    assert reg.by_domain("sonoivu.bacgiang.gov.vn").id == "so-noi-vu-bacgiang"
    assert reg.by_domain("www.baothuathienhue.vn").id == "bao-hue"
    assert reg.by_domain("example.com") is None
    assert reg.get("bao-hue").owns_url("https://baothuathienhue.vn/a-1.html")


def test_get_and_select_suggest_close_ids(tmp_path):
    reg = load_registry(write(tmp_path, LOOKUP))
    assert reg.ids() == ["bao-a", "cong-bacgiang", "so-noi-vu-bacgiang", "bao-hue"]
    assert [o.id for o in reg.select(["bao-hue", "bao-a", "bao-hue"])] == ["bao-hue", "bao-a"]
    assert [o.id for o in reg.select(["bao-hue,bao-a"])] == ["bao-hue", "bao-a"]
    assert len(reg.select(None)) == len(reg) == 4
    with pytest.raises(UnknownOutletError) as info:
        reg.get("bao-hueh")
    assert "bao-hueh" in str(info.value) and "did you mean bao-hue" in str(info.value)
    with pytest.raises(KeyError) as info:
        reg.select(["bao-a", "cong-bacgiag", "zzz"])
    msg = str(info.value)
    assert "'cong-bacgiag' (did you mean cong-bacgiang" in msg and "'zzz'" in msg and "'bao-a'" not in msg


def test_home_province_for_domain_registry_then_inference(tmp_path):
    reg = load_registry(write(tmp_path, LOOKUP))
    assert home_province_for_domain("sonoivu.bacgiang.gov.vn", reg) == ("Bắc Giang", "Bắc Ninh")
    assert home_province_for_domain("huengaynay.vn", reg) == ("Thừa Thiên Huế", "Huế")
    assert home_province_for_domain("baoa.vn", reg) is None  # registered national outlet: no home
    # not in this registry: inferred from the host's labels
    assert home_province_for_domain("baoquangninh.vn", reg) == ("Quảng Ninh", "Quảng Ninh")
    assert home_province_for_domain("https://www.baothanhhoa.vn/x-1.htm", reg) == ("Thanh Hóa", "Thanh Hóa")
    assert home_province_for_domain("hanoimoi.vn", reg) == ("Hà Nội", "Hà Nội")
    assert home_province_for_domain("stttt.quangnam.gov.vn", reg) == ("Quảng Nam", "Đà Nẵng")
    assert home_province_for_domain("baobariavungtau.com.vn", reg) == ("Bà Rịa - Vũng Tàu", "Thành phố Hồ Chí Minh")
    assert home_province_for_domain("ttbc-hcm.gov.vn", reg) == ("Thành phố Hồ Chí Minh", "Thành phố Hồ Chí Minh")
    assert home_province_for_domain("vnexpress.net", reg) is None
    assert home_province_for_domain("", reg) is None


def test_inference_prefers_longest_name_and_guards_short_keys():
    assert infer_province_from_host("thuathienhue.gov.vn") == "Thừa Thiên Huế"
    assert infer_province_from_host("baohue.vn") == "Thừa Thiên Huế"
    assert infer_province_from_host("thuehaiquan.tapchikinhtetaichinh.vn") is None  # "thue" = tax, not Huế
    assert infer_province_from_host("baodienbienphu.com.vn") == "Điện Biên"
    assert infer_province_from_host("sonoivu.binhduong.gov.vn") == "Bình Dương"
    assert infer_province_from_host("ninhbinh.gov.vn") == "Ninh Bình"
    assert infer_province_from_host("bacninh.gov.vn") == "Bắc Ninh"
    assert infer_province_from_host("tienphong.vn") is None


def test_home_province_with_bundled_registry(bundled, monkeypatch):
    monkeypatch.delenv("REFORMWATCH_SOURCES", raising=False)
    assert home_province_for_domain("baoapbac.vn") == ("Tiền Giang", "Đồng Tháp")  # no province in the host
    assert home_province_for_domain("m.baonghean.vn") == ("Nghệ An", "Nghệ An")
    assert home_province_for_domain("dantocmiennui.baotintuc.vn") is None
    assert home_province_for_domain("sonoivu.bacgiang.gov.vn") == ("Bắc Giang", "Bắc Ninh")


def test_registry_does_not_import_heavy_modules():
    import subprocess
    import sys

    code = ("import sys, crawler.registry as r; r.home_province_for_domain('baoquangninh.vn'); "
            "print(','.join(m for m in ('scrapy','sqlalchemy','vietnamadminunits','lxml','classifier') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[1])
    assert out.stdout.strip() == ""


def test_docs_list_every_bundled_outlet(bundled):
    doc = (Path(__file__).resolve().parents[1] / "docs" / "sources.md").read_text(encoding="utf-8")
    missing = [o.id for o in bundled if f"`{o.id}`" not in doc]
    assert not missing, f"docs/sources.md does not list {missing}"


def test_duplicates_are_found_even_when_the_duplicate_has_other_problems(tmp_path):
    path = write(tmp_path, GOOD + '''
[[outlet]]
id = "bao-a"
name = "Báo A bis"
domain = "baoa.vn"
kind = "nationall"
feeds = ["https://baoa.vn/rss2"]
''')
    messages = {(p.line, p.message.split(":")[0]) for p in problems_of(path)}
    assert messages == {(9, "duplicate id"), (11, "duplicate domain 'baoa.vn'"), (12, "kind")}


def test_home_province_default_registry_follows_the_environment(tmp_path, monkeypatch):
    path = write(tmp_path, DEMO.replace("{host}", "127.0.0.1:8765").replace("{base}", "http://127.0.0.1:8765"))
    monkeypatch.setenv("REFORMWATCH_SOURCES", str(path))
    assert home_province_for_domain("http://127.0.0.1:8765/mau-ha-giang/a/b-1.html") == ("Hà Giang", "Tuyên Quang")
    assert home_province_for_domain("vnexpress.net") is None
    bad = write(tmp_path, "[[outlet]]\nid = 1\n", name="bad.toml")
    monkeypatch.setenv("REFORMWATCH_SOURCES", str(bad))  # invalid registry: inference still answers
    assert home_province_for_domain("baoquangninh.vn") == ("Quảng Ninh", "Quảng Ninh")
    monkeypatch.delenv("REFORMWATCH_SOURCES")
    assert home_province_for_domain("http://127.0.0.1:8765/mau-ha-giang/a/b-1.html") is None


def test_rule_selectors_that_do_not_compile_are_registry_errors(tmp_path):
    path = write(tmp_path, textwrap.dedent('''\
        [[outlet]]
        id = "x"
        name = "X"
        domain = "x.vn"
        kind = "national"
        feeds = ["https://x.vn/rss"]
        [[outlet.rules]]
        title = "css:h1.title"
        body = "xpath://div[@class="   # <-
        '''))
    problems = problems_of(path)
    assert [(p.line, p.outlet) for p in problems] == [(marker_line(path.read_text()), "x")]
    assert "rules #1.body" in problems[0].message


def test_default_registry_follows_the_environment_everywhere(tmp_path, monkeypatch):
    """One default for every caller (commands, spider, scheduler): $REFORMWATCH_SOURCES, else bundled."""
    from crawler.registry import DEFAULT_REGISTRY, default_registry_path

    path = write(tmp_path, DEMO.replace("{host}", "127.0.0.1:8765").replace("{base}", "http://127.0.0.1:8765"))
    monkeypatch.setenv("REFORMWATCH_SOURCES", str(path))
    assert default_registry_path() == path and load_registry().path == path
    assert load_registry(DEFAULT_REGISTRY).path == DEFAULT_REGISTRY  # a named registry wins
    monkeypatch.delenv("REFORMWATCH_SOURCES")
    assert load_registry().path == DEFAULT_REGISTRY
