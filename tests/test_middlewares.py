"""Downloader middlewares and date sanity on hand-made responses."""

import logging
import warnings
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
    assert stats.values == {"alanews/date/future": 1, "alanews/date/unreadable": 1,
                            "alanews/article/whole_page": 1}  # a bare page, no JNews layout


def test_broken_json_ld_is_counted_and_the_rest_still_read():
    html = """<html><head><script type="application/ld+json">{"@type": "NewsArticle", "headline": </script>
    <meta property="article:published_time" content="2026-02-20T09:00:00+00:00"></head><body>
    <h1 class="jeg_post_title">Titolo</h1></body></html>"""
    stats = Stats()
    item = ArticlePage(HtmlResponse("https://www.alanews.it/2026/02/20/esteri/t/", body=html.encode()),
                       "https://www.alanews.it").to_item(stats)
    assert (item["title"], item["published"]) == ("Titolo", "2026-02-20T10:00:00+01:00")
    assert stats.values == {"alanews/jsonld/invalid": 1, "alanews/article/whole_page": 1}


def test_garbage_collector_is_set_for_the_crawl_and_restored_after():
    import gc

    from scrapy.exceptions import NotConfigured
    from scrapy.utils.test import get_crawler

    from alanews.gc import GarbageCollection

    python_threshold = gc.get_threshold()
    extension = GarbageCollection.from_crawler(get_crawler(settings_dict={
        "ALANEWS_GC_FREEZE": True, "ALANEWS_GC_THRESHOLD": "5000,10,10"}))
    extension.spider_opened(None)
    try:
        assert gc.get_freeze_count() > 10_000  # the imports' objects at least
        assert gc.get_threshold() == (5000, 10, 10)
    finally:
        extension.spider_closed(None)
    assert gc.get_freeze_count() == 0 and gc.get_threshold() == python_threshold
    with pytest.raises(NotConfigured):
        GarbageCollection.from_crawler(get_crawler(settings_dict={"ALANEWS_GC_FREEZE": False,
                                                                  "ALANEWS_GC_THRESHOLD": ""}))
    with pytest.raises(ValueError, match="ALANEWS_GC_THRESHOLD must be up to three integers like 5000,10,10"):
        GarbageCollection.from_crawler(get_crawler(settings_dict={"ALANEWS_GC_THRESHOLD": "[5000,10,10]"}))


@pytest.mark.parametrize("level, logged", [("DEBUG", True), ("debug", True), ("INFO", False), ("WARNING", False),
                                           (10, True), (20, False)])
def test_debug_lines_are_built_only_when_the_log_level_shows_them(level, logged):
    from scrapy import Spider
    from scrapy.utils.test import get_crawler

    from alanews.logformatter import LogFormatter

    crawler = get_crawler(Spider, {"LOG_LEVEL": level, "LOG_FORMATTER": "alanews.logformatter.LogFormatter"})
    formatter = LogFormatter.from_crawler(crawler)
    request = Request("https://www.alanews.it/")
    response = HtmlResponse("https://www.alanews.it/", body=b"<html></html>", request=request)
    spider = Spider.from_crawler(crawler, "x")
    crawled, scraped = formatter.crawled(request, response, spider), formatter.scraped({"a": 1}, response, spider)
    assert (crawled is not None, scraped is not None) == (logged, logged)
    if logged:
        assert crawled["msg"] % crawled["args"] == "Crawled (200) <GET https://www.alanews.it/> (referer: None)"
    # everything else is Scrapy's, whatever the level
    assert formatter.dropped({"a": 1}, Exception("x"), response, spider)["level"] == logging.WARNING


def test_stats_collector_keeps_scrapys_behaviour():
    from scrapy import Spider
    from scrapy.statscollectors import MemoryStatsCollector as Scrapys
    from scrapy.utils.test import get_crawler

    from alanews.statscollectors import MemoryStatsCollector

    crawler = get_crawler(Spider, {"STATS_CLASS": "alanews.statscollectors.MemoryStatsCollector"})
    assert isinstance(crawler.stats, MemoryStatsCollector)
    crawler.spider = spider = Spider.from_crawler(crawler, "x")
    results = []
    for stats in (Scrapys(crawler), MemoryStatsCollector(crawler)):
        stats.open_spider()
        stats.inc_value("a")
        stats.inc_value("a", 2)
        stats.inc_value("b", start=10)
        stats.max_value("m", 3)
        stats.max_value("m", 1)
        stats.min_value("n", 3)
        stats.min_value("n", 1)
        stats.set_value("s", "x")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Scrapy's warns about the spider argument; ours takes it silently
            stats.inc_value("a", spider=spider)
        results.append((dict(stats.get_stats()), stats.get_value("a"), stats.get_value("missing", 7)))
        stats.close_spider(reason="finished")
        assert stats.spider_stats["x"] == results[-1][0]
    assert results[0] == results[1] == ({"a": 4, "b": 11, "m": 3, "n": 1, "s": "x"}, 4, 7)


def _refresh_page(before: str, tag: str = '<meta http-equiv="refresh" content="0; url=/moved/">'):
    return f"<html><head><title>{before}</title>{tag}</head><body>x</body></html>"


@pytest.mark.parametrize("html, encoding", [
    (_refresh_page(""), "utf-8"),
    (_refresh_page("è" * 3000), "utf-8"),  # 6,000 bytes before the tag, within 4,096 characters
    (_refresh_page("\U0001F600" * 4000), "utf-8"),  # 4 bytes a character: the tag near the scan's end
    (_refresh_page("x" * 5000), "utf-8"),  # past 4,096 characters: no redirect for Scrapy either
    (_refresh_page("", '<META HTTP-EQUIV="Refresh" CONTENT="0;URL=/moved/">'), "utf-8"),
    (_refresh_page("città"), "cp1252"),
    (_refresh_page("città"), "utf-16"),  # not scanned as bytes: Scrapy decides
    (_refresh_page("città", '<meta name="description" content="refresh di oggi">'), "utf-8"),
    (_refresh_page("città", '<meta name="description" content="oggi">'), "utf-8"),
])
def test_meta_refresh_redirects_as_scrapys_own_and_leaves_other_pages_undecoded(html, encoding):
    from scrapy import Spider
    from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware as Scrapys
    from scrapy.utils.test import get_crawler

    from alanews.middlewares import MetaRefreshMiddleware

    crawler = get_crawler(Spider)
    request = Request("https://www.alanews.it/a/")
    outcomes = []
    for middleware in (Scrapys.from_crawler(crawler), MetaRefreshMiddleware.from_crawler(crawler)):
        response = HtmlResponse(request.url, body=html.encode(encoding), request=request,
                                headers={"Content-Type": f"text/html; charset={encoding}"})
        result = middleware.process_response(request, response)
        outcomes.append(result.url if isinstance(result, Request) else result is response)
    assert outcomes[0] == outcomes[1]
    if "refresh" not in html.lower() and encoding != "utf-16":
        assert response._cached_ubody is None  # the page was never decoded for it
