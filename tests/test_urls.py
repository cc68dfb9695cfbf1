"""URL canonicalisation (crawler/urls.py)."""
import pytest

from crawler.urls import canonicalize, is_tracking_param


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("HTTP://Example.COM:80/a/b?b=2&a=1#frag", "http://example.com/a/b?a=1&b=2"),
        ("https://example.com:443", "https://example.com/"),
        ("https://example.com:8443/x", "https://example.com:8443/x"),
        ("https://baomoi.vn/x.html?utm_source=fb&utm_medium=social&id=3", "https://baomoi.vn/x.html?id=3"),
        ("https://x.vn/a.html?fbclid=AB&gclid=C&zarsrc=30&gidzl=q&ref=home&cmpid=9", "https://x.vn/a.html"),
        ("https://vnexpress.net/a-1.html?vn_source=zalo&vn_medium=x", "https://vnexpress.net/a-1.html"),
        ("https://www.Tuoitre.vn/a.htm", "https://www.tuoitre.vn/a.htm"),
        ("https://x.vn./a", "https://x.vn/a"),
    ],
)
def test_basic_rules(raw, expected):
    assert canonicalize(raw) == expected


@pytest.mark.parametrize(
    "amp_url",
    [
        "https://amp.x.vn/thoi-su/bai-viet-123.html",
        "https://x.vn/amp/thoi-su/bai-viet-123.html",
        "https://x.vn/thoi-su/bai-viet-123.amp.html",
        "https://x.vn/thoi-su/bai-viet-123.html?amp",
        "https://x.vn/thoi-su/bai-viet-123.html?amp=1&utm_campaign=a#top",
        "https://x.vn/thoi-su/bai-viet-123.html?outputType=amp",
    ],
)
def test_amp_variants_map_to_the_canonical_page(amp_url):
    assert canonicalize(amp_url) == "https://x.vn/thoi-su/bai-viet-123.html"


def test_amp_normalisation_can_be_turned_off():
    assert canonicalize("https://x.vn/amp/a.html", amp=False) == "https://x.vn/amp/a.html"


def test_amp_inside_a_word_is_kept():
    # only whole segments / suffixes are AMP markers
    assert canonicalize("https://x.vn/campaign/amplifier.html") == "https://x.vn/campaign/amplifier.html"


def test_meaningful_parameters_survive_and_are_sorted():
    assert canonicalize("https://x.vn/search?q=c%E1%BA%A3i+c%C3%A1ch&page=2") == (
        "https://x.vn/search?page=2&q=c%E1%BA%A3i+c%C3%A1ch"
    )


def test_idempotent():
    once = canonicalize("https://amp.x.vn/amp/a.amp.html?utm_x=1&z=2&a=1#f")
    assert canonicalize(once) == once


@pytest.mark.parametrize("bad", ["", "ftp://x.vn/a", "mailto:a@b.vn", "not a url", "http:///path"])
def test_garbage_raises_a_clear_error(bad):
    with pytest.raises(ValueError):
        canonicalize(bad)


def test_tracking_param_names():
    assert is_tracking_param("UTM_Source") and is_tracking_param("fbclid")
    assert not is_tracking_param("id") and not is_tracking_param("page")
