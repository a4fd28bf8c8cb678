"""Downloader middlewares and date sanity on hand-made responses."""

from datetime import datetime, timezone

import pytest
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Request

from alanews.middlewares import CharsetMiddleware, SameSiteMiddleware
from alanews.pages.article import ArticlePage

TEXT = "<html><head><meta charset='{}'></head><body><h1 class='jeg_post_title'>È città più</h1></body></html>"


class Stats:
    def __init__(self):
        self.values = {}

    def inc_value(self, key, count=1):
        self.values[key] = self.values.get(key, 0) + count


@pytest.mark.parametrize("declared, sent", [("iso-8859-1", "utf-8"), ("utf-8", "latin-1"), ("windows-1252", "utf-8")])
def test_wrong_declared_charset_is_read_right(declared, sent):
    stats = Stats()
    response = HtmlResponse("https://www.alanews.it/x/", body=TEXT.format(declared).encode(sent),
                            headers={"Content-Type": f"text/html; charset={declared}"})
    fixed = CharsetMiddleware(stats).process_response(None, response)
    assert "È città più" in fixed.text
    assert stats.values == {"alanews/charset/fixed": 1}


STRAY = ("<html><head><meta charset='{}'></head><body><h1 class='jeg_post_title'>Perché la città è più bella</h1>"
         "<p>Tutti d{}accordo: {} il prezzo</p></body></html>")


@pytest.mark.parametrize("declared, stray, read", [
    ("utf-8", b"\x92", "’"),  # a pasted windows-1252 apostrophe (the example)
    ("utf-8", b"\x80", "€"),  # a windows-1252 euro sign
    ("utf-8", b"\x81", "\ufffd"),  # a byte windows-1252 leaves undefined
    ("iso-8859-1", b"\x92", "’"),  # UTF-8 with a stray byte, declared Latin-1
])
def test_a_stray_byte_damages_one_character_not_the_page(declared, stray, read):
    stats = Stats()
    body = STRAY.format(declared, "{}", "{}").encode("utf-8").replace(b"{}", stray, 1).replace(b"{}", "€".encode(), 1)
    response = HtmlResponse("https://www.alanews.it/x/", body=body,
                            headers={"Content-Type": f"text/html; charset={declared}"})
    fixed = CharsetMiddleware(stats).process_response(None, response)
    assert f"Perché la città è più bella</h1><p>Tutti d{read}accordo: € il prezzo" in fixed.text
    assert fixed.body.decode("utf-8") == fixed.text  # the body handed on is clean UTF-8
    assert stats.values == {"alanews/charset/repaired": 1}


@pytest.mark.parametrize("sent", ["cp1252", "latin-1"])
def test_a_page_really_in_a_single_byte_charset_declared_utf8_is_still_read_whole_in_it(sent):
    stats = Stats()
    text = STRAY.format("utf-8", "'" if sent == "latin-1" else "’", "£")
    response = HtmlResponse("https://www.alanews.it/x/", body=text.encode(sent),
                            headers={"Content-Type": "text/html; charset=utf-8"})
    fixed = CharsetMiddleware(stats).process_response(None, response)
    assert fixed.text == text
    assert stats.values == {"alanews/charset/fixed": 1}


@pytest.mark.parametrize("declared", ["hex", "undefined"])
def test_a_declared_charset_that_decodes_no_text_is_read_as_utf8(declared):
    """Python knows these codecs, but they decode no text: the page failed (failed/LookupError,
    failed/UnicodeError) before any callback saw it, in MetaRefreshMiddleware, which reads the
    text after this middleware has read it."""
    from scrapy.settings import Settings
    from scrapy.utils.conf import build_component_list

    from alanews import settings

    stats = Stats()
    response = HtmlResponse("https://www.alanews.it/x/", body=TEXT.format("utf-8").encode("utf-8"),
                            headers={"Content-Type": f"text/html; charset={declared}"})
    fixed = CharsetMiddleware(stats).process_response(None, response)
    assert "È città più" in fixed.text
    assert stats.values == {"alanews/charset/unusable": 1}
    order = build_component_list(Settings(vars(settings)).getwithbase("DOWNLOADER_MIDDLEWARES"))
    # responses go through the middlewares in reverse order
    assert order.index("scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware") < order.index(
        "alanews.middlewares.CharsetMiddleware")


@pytest.mark.parametrize("declared, sent", [("utf-8", "utf-8"), ("iso-8859-1", "latin-1")])
def test_right_charset_is_left_alone(declared, sent):
    response = HtmlResponse("https://www.alanews.it/x/", body=TEXT.format(declared).encode(sent))
    assert CharsetMiddleware(Stats()).process_response(None, response) is response


@pytest.mark.parametrize("url, kept", [
    ("https://www.alanews.it/2026/01/01/esteri/a/", True),
    ("https://www.alanews.it/robots.txt", True),
    ("http://www.alanews.it/2026/01/01/esteri/a/", False),
    ("https://cdn.alanews.it/x.jpg", False),
    ("https://evil.example/", False),
])
def test_same_site_middleware(url, kept):
    stats = Stats()
    middleware = SameSiteMiddleware("https://www.alanews.it", stats)
    if kept:
        assert middleware.process_request(Request(url)) is None
    else:
        with pytest.raises(IgnoreRequest):
            middleware.process_request(Request(url))
        assert stats.values == {"alanews/offsite/dropped": 1}


def test_future_and_impossible_dates_fall_back_with_a_stat():
    html = """<html><head>
    <meta property="article:published_time" content="2031-01-01T09:00:00+00:00"></head><body>
    <div class="entry-header"><h1 class="jeg_post_title">T</h1><div class="jeg_meta_date"><a>31 Febbraio 2026</a></div></div>
    </body></html>"""
    url = "https://www.alanews.it/2026/02/20/esteri/t/"
    stats = Stats()
    page = ArticlePage(HtmlResponse(url, body=html.encode()), "https://www.alanews.it",
                       now=datetime(2026, 2, 21, 10, 0, tzinfo=timezone.utc))
    item = page.to_item(stats)
    assert item["published"] == "2026-02-20"
    # a bare page, no JNews layout, its category and (every date source unusable) its day only in the permalink
    assert stats.values == {"alanews/date/future": 1, "alanews/date/unreadable": 1, "alanews/article/whole_page": 1,
                            "alanews/fallback/category": 1, "alanews/fallback/published": 1}


def test_broken_json_ld_is_counted_and_the_rest_still_read():
    html = """<html><head><script type="application/ld+json">{"@type": "NewsArticle", "headline": </script>
    <meta property="article:published_time" content="2026-02-20T09:00:00+00:00"></head><body>
    <h1 class="jeg_post_title">Titolo</h1></body></html>"""
    stats = Stats()
    item = ArticlePage(HtmlResponse("https://www.alanews.it/2026/02/20/esteri/t/", body=html.encode()),
                       "https://www.alanews.it").to_item(stats)
    assert (item["title"], item["published"]) == ("Titolo", "2026-02-20T10:00:00+01:00")
    assert stats.values == {"alanews/jsonld/invalid": 1, "alanews/article/whole_page": 1,
                            "alanews/fallback/category": 1}
