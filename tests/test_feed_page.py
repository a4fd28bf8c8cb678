"""FeedPage (alanews/pages/feed.py): the replica's feeds over real HTTP, on each of its faults, saved
shapes of real WordPress feeds, and bodies that are no feed at all."""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scrapy.http import Headers, HtmlResponse, XmlResponse
from scrapy.responsetypes import responsetypes

from alanews.pages.feed import (
    CONTROL_CHARACTERS,
    EMPTY,
    NOT_RSS,
    NOT_UTF8,
    PREAMBLE,
    UNPARSEABLE,
    FeedEntry,
    FeedPage,
    feed_page_url,
)
from replica.feed import FAULTS, PER_PAGE
from replica.harness import ReplicaProcess

FIXTURES = Path(__file__).parent / "fixtures" / "feeds"


def response(url: str, body: bytes, headers: dict | None = None, status: int = 200):
    """The response Scrapy makes of these bytes and headers (the class its Content-Type picks)."""
    headers = Headers(headers or {})
    cls = responsetypes.from_args(headers=headers, url=url, body=body)
    return cls(url=url, status=status, headers=headers, body=body)


def download(url: str):
    """GET ``url`` over HTTP (redirects followed, as Scrapy does); a body cut short is what came."""
    request = urllib.request.Request(url)
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            try:
                body = answer.read()
            except http.client.IncompleteRead as error:
                body = error.partial
            return response(answer.url, body, dict(answer.headers), answer.status)
    except urllib.error.HTTPError as error:
        return response(url, error.read(), dict(error.headers), error.code)


@pytest.fixture(scope="module")
def site():
    server = ReplicaProcess("--articles", "60").ready()
    yield server
    server.stop()


def truth(server, category: str | None = None, page: int = 1) -> list[dict]:
    query = f"?paged={page}" + (f"&category={category}" if category else "")
    return json.loads(server.get("/__replica__/feed.json" + query))


def every_entry(server, category: str | None = None) -> list[dict]:
    """The truth of every page of a feed."""
    pages = -(-len(server.archive(category) if category else server.truth()) // PER_PAGE)
    return [e for page in range(1, pages + 1) for e in truth(server, category, page)]


def as_truth(entry: FeedEntry) -> tuple:
    return entry.url, entry.post_id, entry.published.timestamp(), entry.guid


def expected(entries: list[dict]) -> list[tuple]:
    return [(e["url"], e["post_id"], datetime.fromisoformat(e["published"]).timestamp(), e["guid"]) for e in entries]


@pytest.mark.parametrize("category", [None, "sport/calcio"])
def test_a_walk_of_the_next_pages_reads_every_entry_of_the_feed_as_the_truth_says(site, category):
    url = site.url + (f"/category/{category}/feed/" if category else "/feed/")
    pages = 0
    while True:
        page = FeedPage(download(url))
        if page.response.status == 404:
            assert page.problem == NOT_RSS and page.entries() == []
            break
        pages += 1
        assert page.problem is None and page.reason is None and page.defects == {}
        assert page.page_number == pages
        assert [as_truth(e) for e in page.entries()] == expected(truth(site, category, pages))
        assert all(e.published.utcoffset() is not None for e in page.entries())  # aware
        newest_modified = max(datetime.fromisoformat(e["modified"]) for e in truth(site, category, pages))
        assert page.last_build_date() == newest_modified
        url = feed_page_url(url, page.page_number + 1)
        assert url == site.url + (f"/category/{category}/feed/" if category else "/feed/") + f"?paged={pages + 1}"
    archive = site.archive(category) if category else list(site.truth())
    assert pages == -(-len(archive) // PER_PAGE) >= 1


# fault -> (problem, defects): what the reader says of the feed answered so
VERDICTS = {
    "missing": (NOT_RSS, set()),
    "disabled": (NOT_RSS, set()),
    "html": (NOT_RSS, set()),
    "maintenance": (NOT_RSS, set()),
    "maintenance-plugin": (NOT_RSS, set()),
    "empty": (EMPTY, set()),
    "cut": (UNPARSEABLE, set()),
    "dataloss": (UNPARSEABLE, set()),
    "fatal": (UNPARSEABLE, set()),
    "stale": (None, set()),
    "bom": (None, set()),
    "whitespace": (None, {PREAMBLE}),
    "php-warning": (None, {PREAMBLE}),
    "control-char": (None, {CONTROL_CHARACTERS}),
    "stray-byte": (None, {NOT_UTF8}),
    "moved": (NOT_RSS, set()),  # the 301 itself
    "future-date": (None, set()),
    "no-dates": (None, set()),
    "https-links": (None, set()),
    "proxy-links": (None, set()),
    "paged-ignored": (None, set()),
    "next-link": (None, set()),
}


def test_every_fault_has_a_verdict_here():
    assert set(VERDICTS) == set(FAULTS)


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_the_reader_on_each_fault_of_the_feed(site, fault):
    state = json.loads(site.post(f"/__replica__/feed?fault={fault}"))
    try:
        page = FeedPage(download(site.url + "/category/esteri/feed/"))
    finally:
        site.post("/__replica__/feed?fault=none")
    problem, defects = VERDICTS[fault]
    assert (page.problem, set(page.defects)) == (problem, defects)
    assert all(page.defects.values())  # each repair says what it did
    if problem is not None:
        assert page.reason and page.entries() == [] and page.last_build_date() is None
        return
    assert page.reason is None
    if fault == "stale":  # a usable feed: only its dates tell it is old
        before = datetime.fromisoformat(state["stale_before"])
        stale = [e for e in every_entry(site, "esteri") if datetime.fromisoformat(e["published"]) <= before]
        assert len(stale) >= PER_PAGE
        assert [as_truth(e) for e in page.entries()] == expected(stale[:PER_PAGE])
        newest_on_site = max(datetime.fromisoformat(e["published"]) for e in truth(site))
        assert (newest_on_site - max(e.published for e in page.entries())).total_seconds() >= 48 * 3600
        assert page.last_build_date() <= before
    elif fault in ("https-links", "proxy-links"):  # read as written: the spider judges the links
        assert [e.post_id for e in page.entries()] == [e["post_id"] for e in truth(site, "esteri")]
    elif fault in ("future-date", "no-dates"):  # read as written: the spider judges the dates
        dates = [e.published for e in page.entries()]
        assert dates == [None] * PER_PAGE if fault == "no-dates" else dates[0].year == 2099
    else:  # repaired: every entry as the live feed has it
        assert [as_truth(e) for e in page.entries()] == expected(truth(site, "esteri"))


def test_the_php_warning_feed_comes_as_html_and_is_read_the_same(site):
    site.post("/__replica__/feed?fault=php-warning")
    try:
        answer = download(site.url + "/feed/?paged=2")
    finally:
        site.post("/__replica__/feed?fault=none")
    assert isinstance(answer, HtmlResponse)  # headers already sent: PHP's text/html
    page = FeedPage(answer)
    assert "<b>Warning</b>" in page.defects[PREAMBLE] and page.page_number == 2
    assert [as_truth(e) for e in page.entries()] == expected(truth(site, None, 2))


SAVED = sorted(p.stem for p in FIXTURES.glob("*.json"))


def timestamp(value: datetime | str | None) -> float | None:
    """The instant, whatever the zone it is written in (the reader's dates are in Rome)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.timestamp() if value else None


@pytest.mark.parametrize("name", SAVED)
def test_saved_shapes_of_real_feeds(name):
    spec = json.loads((FIXTURES / f"{name}.json").read_text("utf-8"))
    body = next(p for p in FIXTURES.glob(f"{name}.*") if p.suffix != ".json").read_bytes()
    page = FeedPage(response(spec["url"], body, {"Content-Type": spec["content_type"]}))
    assert page.problem == spec["problem"] and sorted(page.defects) == spec["defects"]
    got = [{"url": e.url, "post_id": e.post_id, "published": timestamp(e.published), "guid": e.guid}
           for e in page.entries()]
    assert got == [{**e, "published": timestamp(e["published"])} for e in spec["entries"]]
    assert timestamp(page.last_build_date()) == timestamp(spec["last_build_date"])


@pytest.fixture(scope="module")
def live_feed(site) -> tuple[str, bytes]:
    url = site.url + "/feed/"
    return url, site.get("/feed/")


@settings(max_examples=150, deadline=None)
@given(cut=st.integers(min_value=0, max_value=39_000))
def test_any_cut_of_a_feed_is_unparseable_never_a_shorter_feed(live_feed, cut):
    url, body = live_feed
    cut = cut * len(body) // 39_000
    page = FeedPage(XmlResponse(url=url, body=body[:cut]))
    if body[:cut].rstrip() == body.rstrip():
        assert page.problem is None and len(page.entries()) == PER_PAGE
    elif cut < len(b"<?xml"):
        assert page.problem == NOT_RSS
    else:
        assert page.problem == UNPARSEABLE and page.entries() == []


@pytest.mark.parametrize("guid, post_id", [
    ("https://www.alanews.it/?p=10299", 10299),
    ("http://staging.alanews.it/?p=7", 7),  # any host: a guid never changes
    ("https://www.alanews.it?p=7", 7),
    ("https://www.alanews.it/?post_type=jnews-video&p=12", 12),
    ("  https://www.alanews.it/?p=12\n", 12),
    ("https://www.alanews.it/?p=0", None),
    (f"https://www.alanews.it/?p={2**63}", None),  # more than the state can hold
    ("https://www.alanews.it/?p=12&p=13", None),
    ("https://www.alanews.it/?p=12abc", None),
    ("https://www.alanews.it/?p=", None),
    ("https://www.alanews.it/?page_id=5", None),
    ("https://www.alanews.it/2026/11/20/esteri/x/?p=5", None),  # a permalink with a query
    ("tag:www.alanews.it,2026:post-5", None),
    ("10299", None),
    ("", None),
])
def test_the_post_id_of_a_guid(guid, post_id):
    body = (f'<rss version="2.0"><channel><item><link>https://www.alanews.it/a/</link>'
            f'<guid isPermaLink="false">{guid.replace("&", "&amp;")}</guid></item></channel></rss>').encode()
    assert FeedPage(XmlResponse(url="https://www.alanews.it/feed/", body=body)).entries()[0].post_id == post_id


@pytest.mark.parametrize("body, problem", [
    (b"", NOT_RSS),
    (b"\x00\x01\x02", NOT_RSS),
    (b"OK", NOT_RSS),
    (b'{"posts": []}', NOT_RSS),
    (b"<html><body><rss>not a feed</rss></body></html>", NOT_RSS),  # HTML before the rss tag
    (b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"/>', NOT_RSS),
    (b'<?xml version="1.0"?><rss version="2.0"/>', NOT_RSS),
    (b'<rss version="2.0"><channel><title>x</title></channel></rss>', EMPTY),
    (b'<rss version="2.0"><channel><item><title>&nbsp;</title></item></channel></rss>', UNPARSEABLE),
    (b'<rss version="2.0"><channel><item></item></channel></rss>', None),
])
def test_bodies_that_are_no_feed_say_why_and_never_raise(body, problem):
    page = FeedPage(XmlResponse(url="https://www.alanews.it/feed/?paged=3", body=body))
    assert page.problem == problem and (page.reason is None) == (problem is None)
    if problem is None:  # an item that says nothing gives an entry that says nothing
        assert page.entries() == [FeedEntry(None, None, None, None)]


def test_external_entities_are_never_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret")
    body = (f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file://{secret}">]>'
            '<rss version="2.0"><channel><item><link>https://www.alanews.it/a/&x;</link></item></channel></rss>').encode()
    page = FeedPage(XmlResponse(url="https://www.alanews.it/feed/", body=body))
    assert all("secret" not in (e.url or "") for e in page.entries())


@pytest.mark.parametrize("url, number, following", [
    ("https://www.alanews.it/feed/", 2, "https://www.alanews.it/feed/?paged=2"),
    ("https://www.alanews.it/feed/", 1, "https://www.alanews.it/feed/"),
    ("https://www.alanews.it/category/esteri/feed/", 10, "https://www.alanews.it/category/esteri/feed/?paged=10"),
])
def test_a_feed_page_is_wordpress_paged_on_the_feed_url(url, number, following):
    assert feed_page_url(url, number) == following


def test_read_feed_pages_are_freed_without_the_cycle_collector(live_feed):
    """As every page class: a cycle through the parsed tree would keep each feed page alive."""
    import gc

    url, body = live_feed
    gc.collect()
    gc.disable()
    try:
        for _ in range(5):
            page = FeedPage(XmlResponse(url=url, body=body))
            page.entries(), page.last_build_date(), page.problem
        del page
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        kept = [o for o in gc.garbage if type(o).__module__ == "lxml.etree"]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert kept == []
