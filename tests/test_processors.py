"""Pure parts: canonical URLs, permalinks, text cleaning, duplicates."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alanews.processors import (
    _ALREADY_CANONICAL,
    _canonical_absolute,
    _canonical_by_w3lib,
    canonical_url,
    clean_text,
    decode_entities,
    post_id,
)
from alanews.site import category_url, normalise_base_url, parse_article_url

BASE = "https://www.alanews.it"


@pytest.mark.parametrize("href, expected", [
    ("/2026/09/12/esteri/slug/?utm_source=x&utm_medium=y#respond", f"{BASE}/2026/09/12/esteri/slug/"),
    ("https://WWW.alanews.it/2026/09/12/esteri/slug", f"{BASE}/2026/09/12/esteri/slug/"),
    ("/?p=123&utm_campaign=z", f"{BASE}/?p=123"),
    ("/wp-content/uploads/2026/09/foto.jpg", f"{BASE}/wp-content/uploads/2026/09/foto.jpg"),
    ("javascript:void(0)", None),
    ("http://[::1/x", None),  # an unclosed IPv6 bracket: not a URL (it raised)
    ("http://www.alanews.it:99999/2026/09/12/esteri/slug/", None),  # no such port
    ("//[::1/2026/09/12/esteri/slug/", None),  # the same, protocol-relative: urljoin raised
    ("//www.alanews.it\uff03/2026/09/12/esteri/slug/", None),  # a host NFKC makes "#": urljoin raised
    ("mailto:redazione@alanews.it", None),
    ("", None),
])
def test_canonical_url(href, expected):
    assert canonical_url(href, BASE + "/category/esteri/") == expected


@pytest.mark.parametrize("spellings, expected", [
    # escapes in either case and the raw character: one URL, w3lib's upper-case escapes
    (["/2026/11/13/esteri/caff%c3%a8-sospeso/", "/2026/11/13/esteri/caff%C3%A8-sospeso/",
      "/2026/11/13/esteri/caffè-sospeso/", "https://WWW.alanews.it/2026/11/13/esteri/caff%c3%a8-sospeso"],
     f"{BASE}/2026/11/13/esteri/caff%C3%A8-sospeso/"),
    # needless escapes of unreserved characters, dot segments
    (["/2026/11/13/esteri/%7Eperch%C3%A9-no%2D%41/", "/2026/11/13/esteri/./~perch%c3%a9-no-A/",
      "/2026/11/13/esteri/x/../~perché-no-A/"], f"{BASE}/2026/11/13/esteri/~perch%C3%A9-no-A/"),
    # a query keeps its spelling and its order; only tracking parameters go
    (["/x/?a", "/x/?a&utm_source=newsletter", "/x/?utm_medium=email&a#respond"], f"{BASE}/x/?a"),
    (["/x/?a="], f"{BASE}/x/?a="),
    (["/x/?b=2&a=1&fbclid=Z"], f"{BASE}/x/?b=2&a=1"),
    (["/x/?q=caff%c3%a8"], f"{BASE}/x/?q=caff%c3%a8"),
])
def test_canonical_url_gives_one_spelling_per_url(spellings, expected):
    assert {canonical_url(href, BASE + "/category/esteri/") for href in spellings} == {expected}


@pytest.mark.parametrize("url, expected", [
    (f"{BASE}/2026/09/12/politica/meloni-a-tutto-campo/", ("2026-09-12", "politica", "meloni-a-tutto-campo")),
    (f"{BASE}/2026/09/22/cronaca/video/rabbino-aggredito/", ("2026-09-22", "cronaca/video", "rabbino-aggredito")),
    (f"{BASE}/category/esteri/page/2/", None),
    (f"{BASE}/2026/02/30/esteri/slug/", None),
    ("https://other.example/2026/09/12/esteri/slug/", None),
    ("http://www.alanews.it/2026/09/12/esteri/slug/", None),  # another scheme is another site
])
def test_parse_article_url(url, expected):
    found = parse_article_url(BASE, url)
    assert (found and (found.published.isoformat(), found.category_path, found.slug)) == expected


def test_base_url_and_category_urls():
    assert normalise_base_url("http://127.0.0.1:8123/") == "http://127.0.0.1:8123"
    assert category_url(BASE, "sport/calcio", 3) == f"{BASE}/category/sport/calcio/page/3/"
    with pytest.raises(ValueError, match="ALANEWS_BASE_URL"):
        normalise_base_url("www.alanews.it")


def test_clean_text_and_post_id():
    assert clean_text("  Russia,\u00a0Lavrov:\n “Tra” ") == "Russia, Lavrov: “Tra”"
    assert clean_text(" \u00a0 ") is None
    assert [post_id(v) for v in ("postid-48213", f"{BASE}/?p=48213", "post-7", "none", "p=12 ")] == \
        [48213, 48213, 7, None, 12]


@pytest.mark.parametrize("text", ["Sport&notizie", "?a=1&region=it", "&copy 2026", "R&amp;D", "&#8220;"])
def test_clean_text_never_decodes_entities_again(text):
    """The HTML parser decoded the page's text already: a second pass would turn
    Sport&notizie into Sport¬izie and &region= into ®ion= (issue 15, point 9)."""
    assert clean_text(text) == text


@pytest.mark.parametrize("text, decoded", [
    ("Russia, Lavrov: &#8220;Tra&#8221;", "Russia, Lavrov: “Tra”"),
    ("Sport&amp;notizie", "Sport&notizie"),
    ("?a=1&amp;region=it", "?a=1&region=it"),
    ("Sport&notizie &copy 2026 &region=", "Sport&notizie &copy 2026 &region="),  # no ";": not a reference
    ("&notizie; &#x2019; &amp;amp;", "&notizie; ’ &amp;"),  # unknown names stay; decoded once only
])
def test_json_ld_strings_are_decoded_once(text, decoded):
    assert decode_entities(text) == decoded


@pytest.mark.parametrize("value", [
    "postid-" + "7" * 40_000,  # more digits than an id has (and than int() takes)
    "postid-" + "7" * 40_000 + "x",  # a digit run that does not end the text
    "1" * 21,
])
def test_post_id_of_a_long_digit_run_is_none_at_once(value):
    assert post_id(value) is None


def test_clean_text_folds_exactly_the_white_space_a_regex_would():
    """Every code point \\s matches (nbsp, thin and ideographic spaces, line separators...) and no other."""
    import re
    import sys

    spaces = "".join(chr(c) for c in range(sys.maxunicode + 1) if re.fullmatch(r"\s", chr(c)))
    assert clean_text(f"{spaces}a{spaces}b{spaces}") == "a b"
    others = "".join(chr(c) for c in range(sys.maxunicode + 1)
                     if not re.fullmatch(r"\s", chr(c)) and chr(c) not in "&<>")
    assert clean_text(others) == others.strip()
    assert clean_text("a\u00a0&amp;\u202fb") == "a &amp; b"


@settings(max_examples=400, deadline=None)
@given(st.one_of(
    st.from_regex(_ALREADY_CANONICAL, fullmatch=True),
    # near misses: the shapes the fast path must leave to w3lib
    st.from_regex(r"(?i)https?://[a-z0-9.:%_-]{1,20}(/[a-zA-Z0-9.%~_ -]{0,8}){0,4}[/?#]?[a-z=&]{0,6}", fullmatch=True),
))
def test_the_fast_path_gives_w3libs_canonical_form(url):
    """A URL the fast path takes (already canonical) comes out as w3lib's canonical form does."""
    try:
        slow = _canonical_by_w3lib(url)
    except ValueError:  # a port out of range, an unclosed IPv6 bracket
        slow = None
    assert _canonical_absolute.__wrapped__(url) == slow
