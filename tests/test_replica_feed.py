"""The replica's RSS 2.0 feeds (replica/feed.py), read as raw XML over real HTTP and compared field by
field with the replica's truth; their fault switches. The crawler's reader is tested in test_feed_page.py."""

from __future__ import annotations

import hashlib
import http.client
import json
import sys
import urllib.error
import urllib.request
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from lxml import etree, html

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from replica.feed import FAULTS, PER_PAGE  # noqa: E402
from replica.harness import ReplicaProcess  # noqa: E402

N = 60
ROME = ZoneInfo("Europe/Rome")
NS = {"content": "http://purl.org/rss/1.0/modules/content/", "wfw": "http://wellformedweb.org/CommentAPI/",
      "dc": "http://purl.org/dc/elements/1.1/", "atom": "http://www.w3.org/2005/Atom",
      "sy": "http://purl.org/rss/1.0/modules/syndication/", "slash": "http://purl.org/rss/1.0/modules/slash/"}


def fetch(url: str, method: str = "GET", headers: dict | None = None) -> tuple[int, bytes, dict]:
    """One request, redirects not followed."""
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args):
            return None

    request = urllib.request.Request(url, method=method, headers=headers or {},
                                     data=b"" if method == "POST" else None)
    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=30) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers)


@pytest.fixture(scope="module")
def site():
    server = ReplicaProcess("--articles", str(N)).ready()
    yield server
    server.stop()


def feed_truth(server, category: str | None = None, page: int = 1) -> list[dict] | None:
    query = f"?paged={page}" + (f"&category={category}" if category else "")
    status, body, _ = fetch(server.url + "/__replica__/feed.json" + query)
    return json.loads(body) if status == 200 else None


def feed_path(category: str | None) -> str:
    return f"/category/{category}/feed/" if category else "/feed/"


def walk(server, category: str | None) -> list[etree._Element]:
    """Every item of every page of a feed, in order; asserts the page past the last is a 404 page."""
    items, page = [], 1
    while True:
        status, body, headers = fetch(server.url + feed_path(category) + (f"?paged={page}" if page > 1 else ""))
        if status == 404:
            assert headers["Content-Type"].startswith("text/html") and b"Page Not Found" in body
            return items
        assert status == 200 and page <= N
        page_items = etree.fromstring(body).findall("channel/item")
        assert 1 <= len(page_items) <= PER_PAGE
        items += page_items
        page += 1


def rfc822(iso: str) -> str:
    return datetime.fromisoformat(iso).strftime("%a, %d %b %Y %H:%M:%S +0000")


@pytest.mark.parametrize("category", [None, "esteri", "sport"])
def test_a_feed_lists_every_post_of_its_archive_newest_first_field_by_field(site, category):
    truth = site.truth()  # the pages' truth: url -> expected item
    urls = list(truth) if category is None else site.archive(category)
    items = walk(site, category)
    assert [item.findtext("link") for item in items] == urls  # every post once, newest first, 10 a page
    entries = [e for page in range(1, len(items) // PER_PAGE + 2) for e in feed_truth(site, category, page) or []]
    assert len(entries) == len(items)
    for item, entry in zip(items, entries):
        page = truth[entry["url"]]
        assert item.findtext("link") == entry["url"] == page["url"]
        guid = item.find("guid")
        assert guid.get("isPermaLink") == "false"
        assert guid.text == f"{site.url}/?p={page['post_id']}" == entry["guid"]
        assert item.findtext("pubDate") == rfc822(entry["published"])
        published = datetime.fromisoformat(entry["published"])
        if len(page["published"]) > 10:  # the page gives the time: the same instant
            assert datetime.fromisoformat(page["published"]) == published
        else:  # the page gives the day, in Rome
            assert page["published"] == published.astimezone(ROME).date().isoformat()
        assert item.findtext("title") == entry["title"] == page["title"]
        assert item.findtext("dc:creator", namespaces=NS) == entry["creator"] == (page["author"] or "redazione")
        names = [c.text for c in item.findall("category")]
        assert names == entry["categories"] and names[0] == page["category"]
        assert [n for n in names if n in page["tags"]] == page["tags"]  # every tag, in order
        content = html.fragments_fromstring(item.findtext("content:encoded", namespaces=NS))
        blocks = [b.text_content() for b in content if b.tag in ("p", "h2")][:-1]  # less Yoast's footer
        blocks = [text for text in blocks if text]  # less a video's <p><iframe></p>
        assert "\n\n".join(blocks) == (page["body"] or "")
        assert item.findtext("description")  # the excerpt, and Yoast's footer
        assert item.findtext("comments") == entry["url"] + "#respond"
        assert item.findtext("wfw:commentRss", namespaces=NS) == entry["url"] + "feed/"
        assert item.findtext("slash:comments", namespaces=NS) == "0"


def test_the_feed_is_wordpress_rss2_with_its_headers_redirects_and_404(site):
    status, body, headers = fetch(site.url + "/category/esteri/feed/?paged=2")
    assert status == 200 and headers["Content-Type"] == "application/rss+xml; charset=UTF-8"
    assert body.startswith(b'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"\n\txmlns:content=')
    assert b"<title><![CDATA[" not in body and b"<description><![CDATA[" in body  # core: titles escaped, not CDATA
    root = etree.fromstring(body)
    assert root.tag == "rss" and root.get("version") == "2.0" and root.nsmap == {**NS}
    channel = root.find("channel")
    assert channel.findtext("title") == "Esteri Archivi - Alanews"
    assert channel.findtext("link") == site.url  # the home URL, on every feed
    assert channel.findtext("description") == "Agenzia di stampa video e multimediale"
    assert channel.findtext("language") == "it-IT"
    assert channel.findtext("sy:updatePeriod", namespaces=NS).strip() == "hourly"
    assert channel.findtext("sy:updateFrequency", namespaces=NS).strip() == "1"
    self_link = channel.find("atom:link", NS)
    assert (self_link.get("href"), self_link.get("rel")) == (site.url + "/category/esteri/feed/?paged=2", "self")
    assert channel.findtext("image/link") == site.url  # the site icon's link and title are the channel's
    entries = feed_truth(site, "esteri", 2)
    assert channel.findtext("lastBuildDate") == rfc822(max(e["modified"] for e in entries))
    newest = max(max(t["published"], t["modified"] or t["published"]) for t in site.truth().values()
                 if len(t["published"]) > 10)
    assert datetime.strptime(headers["Last-Modified"], "%a, %d %b %Y %H:%M:%S GMT").replace(tzinfo=timezone.utc) \
        >= datetime.fromisoformat(newest)  # the site's newest post date or modification, as WordPress sends
    assert headers["ETag"] == '"' + hashlib.md5(headers["Last-Modified"].encode(), usedforsecurity=False).hexdigest() + '"'
    # conditional GET: 304 with the validators, 200 with a changed one
    assert fetch(site.url + "/feed/", headers={"If-None-Match": headers["ETag"]})[0] == 304
    assert fetch(site.url + "/feed/", headers={"If-Modified-Since": headers["Last-Modified"]})[0] == 304
    assert fetch(site.url + "/feed/", headers={"If-Modified-Since": headers["Last-Modified"],
                                               "If-None-Match": '"other"'})[0] == 200
    # the slashed URL, the query kept; past the last page, WordPress's 404 (the theme's page)
    assert fetch(site.url + "/feed")[:1] == (301,) and fetch(site.url + "/feed?paged=2")[2]["Location"] == \
        site.url + "/feed/?paged=2"
    assert fetch(site.url + "/category/sport/calcio/feed")[2]["Location"] == site.url + "/category/sport/calcio/feed/"
    pages = -(-len(site.archive("esteri")) // PER_PAGE)
    assert fetch(f"{site.url}/category/esteri/feed/?paged={pages}")[0] == 200
    assert fetch(f"{site.url}/category/esteri/feed/?paged={pages + 1}")[0] == 404
    assert fetch(site.url + "/category/nope/feed/")[0] == 404
    # paged as WordPress reads it (absint): junk is page 1
    assert etree.fromstring(fetch(site.url + "/feed/?paged=abc")[1]).findtext("channel/item/link") == \
        next(iter(site.truth()))
    status, body, headers = fetch(site.url + "/feed/", method="HEAD")
    assert status == 200 and body == b"" and int(headers["Content-Length"]) > 10_000


def test_summary_mode_gives_the_excerpt_only(make_replica):
    server = make_replica("--articles", "30", "--feed-summary")
    body = fetch(server.url + "/feed/")[1]
    items = etree.fromstring(body).findall("channel/item")
    assert len(items) == PER_PAGE and all(i.find("content:encoded", NS) is None and i.findtext("description")
                                          for i in items)
    assert json.loads(fetch(server.url + "/__replica__/feed?summary=0", "POST")[1])["summary"] is False
    items = etree.fromstring(fetch(server.url + "/feed/")[1]).findall("channel/item")
    assert all(i.findtext("content:encoded", namespaces=NS) for i in items)


def test_published_renamed_and_unpublished_posts_are_in_the_feed_as_on_the_pages(make_replica):
    server = make_replica("--articles", str(N))
    new = [json.loads(line) for line in server.post("/__replica__/publish?count=12").decode().splitlines()]
    items = walk(server, None)
    assert [i.findtext("link") for i in items[:12]] == [n["url"] for n in new]
    assert [i.findtext("guid") for i in items[:12]] == [f"{server.url}/?p={n['post_id']}" for n in new]
    category = new[0]["category_path"]
    assert [i.findtext("link") for i in walk(server, category)] == server.archive(category)
    # a renamed post: its new permalink, the same guid, the same place
    renamed = new[3]
    moved = json.loads(server.post(f"/__replica__/rename?post_id={renamed['post_id']}&slug=un-titolo-nuovo"))
    item = walk(server, None)[3]
    assert item.findtext("link") == moved["new"] != renamed["url"]
    assert item.findtext("guid") == f"{server.url}/?p={renamed['post_id']}"
    server.post(f"/__replica__/unpublish?post_id={new[0]['post_id']}")
    assert [i.findtext("link") for i in walk(server, None)][:2] == [new[1]["url"], new[2]["url"]]


# fault -> (status, Content-Type prefix, what the body is)
SHAPES = {
    "missing": (404, "text/html", "html"),
    "disabled": (301, "text/html", "redirect"),
    "html": (200, "text/html", "html"),
    "maintenance": (503, "text/html", "html"),
    "maintenance-plugin": (200, "text/html", "html"),
    "empty": (200, "application/rss+xml", "empty"),
    "cut": (200, "application/rss+xml", "broken"),
    "dataloss": (200, "application/rss+xml", "short"),
    "fatal": (200, "application/rss+xml", "broken"),
    "stale": (200, "application/rss+xml", "old"),
    "bom": (200, "application/rss+xml", "prefixed"),
    "whitespace": (200, "application/rss+xml", "prefixed"),
    "php-warning": (200, "text/html", "prefixed"),
    "control-char": (200, "application/rss+xml", "broken"),
    "stray-byte": (200, "application/rss+xml", "broken"),
    "moved": (301, "text/html", "redirect"),
    "future-date": (200, "application/rss+xml", "dates"),
    "no-dates": (200, "application/rss+xml", "dates"),
    "https-links": (200, "application/rss+xml", "links"),
    "proxy-links": (200, "application/rss+xml", "links"),
    "paged-ignored": (200, "application/rss+xml", "page_1"),
    "next-link": (200, "application/rss+xml", "next"),
}


def test_every_fault_has_a_shape_here():
    assert set(SHAPES) == set(FAULTS)


def _get_raw(url: str) -> tuple[int, dict, bytes, bool]:
    """Status, headers, body and whether the body was as long as announced."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    connection.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""))
    response = connection.getresponse()
    try:
        body, whole = response.read(), True
    except http.client.IncompleteRead as error:
        body, whole = error.partial, False
    connection.close()
    return response.status, dict(response.getheaders()), body, whole


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_fault_switched_on_a_running_replica(site, fault):
    live = fetch(site.url + "/category/esteri/feed/")[1]
    status, body, _ = fetch(site.url + f"/__replica__/feed?fault={fault}", "POST")
    try:
        assert status == 200 and json.loads(body)["fault"] == fault
        want_status, want_type, shape = SHAPES[fault]
        status, headers, body, whole = _get_raw(site.url + "/category/esteri/feed/")
        assert status == want_status and headers["Content-Type"].startswith(want_type)
        assert whole == (shape != "short")
        if shape == "html":
            assert body.lstrip().lower().startswith(b"<!doctype html>") and b"<rss" not in body
        elif shape == "redirect" and fault == "moved":
            assert headers["Location"] == site.url.replace("127.0.0.1", "localhost") + "/category/esteri/feed/"
        elif shape == "redirect":
            assert headers["Location"] == site.url + "/category/esteri/"
        elif shape == "empty":
            assert etree.fromstring(body).find("channel") is not None and b"<item>" not in body
        elif shape in ("broken", "short"):
            with pytest.raises(etree.XMLSyntaxError):
                etree.fromstring(body)
            if fault == "control-char":
                assert body.replace(b"\x0c", b"", 1) == live
            elif fault == "stray-byte":
                assert body.replace(b"\x92", b"", 1) == live
            else:
                assert live.startswith(body[:len(live) // 2])
        elif shape == "prefixed":
            start = body.index(b"<?xml")
            assert body[start:] == live and start > 0
            assert {"bom": b"\xef\xbb\xbf", "whitespace": b"\n"}.get(fault, body[:start]) == body[:start]
            assert b"<b>Warning</b>" in body[:start] or fault != "php-warning"
        elif shape == "dates":
            dates = [i.findtext("pubDate") for i in etree.fromstring(body).findall("channel/item")]
            assert dates == ([None] * PER_PAGE if fault == "no-dates" else
                             ["Thu, 01 Jan 2099 00:00:00 +0000", *[d for d in dates[1:] if "2099" not in d]])
        elif shape == "links":
            links = [i.findtext("link") for i in etree.fromstring(body).findall("channel/item")]
            prefix = site.url.replace("http:", "https:") if fault == "https-links" else "https://feedproxy.google.com/~r/"
            assert len(links) == PER_PAGE and all(link.startswith(prefix) for link in links)
        elif shape == "page_1":
            second = etree.fromstring(_get_raw(site.url + "/category/esteri/feed/?paged=2")[2])
            assert [i.findtext("link") for i in second.findall("channel/item")] == site.archive("esteri")[:PER_PAGE]
        elif shape == "next":
            links = etree.fromstring(body).findall("channel/{http://www.w3.org/2005/Atom}link")
            assert [a.get("href") for a in links if a.get("rel") == "next"] == [site.url + "/category/esteri/feed/"]
        elif shape == "old":
            newest = max(datetime.fromisoformat(e["published"]) for e in feed_truth(site))  # the site's
            dates = [datetime.strptime(i.findtext("pubDate"), "%a, %d %b %Y %H:%M:%S %z")
                     for i in etree.fromstring(body).findall("channel/item")]
            assert dates and max(dates).timestamp() <= newest.timestamp() - 48 * 3600
        # the truth is the live site's, whatever the feed answers
        assert [e["url"] for e in feed_truth(site, "esteri")] == site.archive("esteri")[:PER_PAGE]
    finally:
        fetch(site.url + "/__replica__/feed?fault=none", "POST")
    assert fetch(site.url + "/category/esteri/feed/")[1] == live


def test_a_fault_on_one_page_a_stale_copy_of_any_age_and_bad_switches(site):
    try:
        fetch(site.url + "/__replica__/feed?fault=missing&paged=2", "POST")
        assert [fetch(site.url + f"/feed/?paged={n}")[0] for n in (1, 2, 3)] == [200, 404, 200]
        state = json.loads(fetch(site.url + "/__replica__/feed?fault=stale&hours=720", "POST")[1])
        before = datetime.fromisoformat(state["stale_before"])
        newest = max(datetime.fromisoformat(e["published"]) for e in feed_truth(site))
        assert (newest - before).total_seconds() == 720 * 3600
        items = etree.fromstring(fetch(site.url + "/feed/")[1]).findall("channel/item")
        assert items and all(datetime.strptime(i.findtext("pubDate"), "%a, %d %b %Y %H:%M:%S %z") <= before
                             for i in items)
        assert fetch(site.url + "/__replica__/feed?fault=nope", "POST")[0] == 400
        assert fetch(site.url + "/__replica__/feed?fault=stale&hours=x", "POST")[0] == 400
    finally:
        fetch(site.url + "/__replica__/feed?fault=none", "POST")


def test_a_fault_from_the_command_line(make_replica):
    server = make_replica("--articles", "30", "--feed-fault", "maintenance")
    status, body, headers = fetch(server.url + "/feed/")
    assert status == 503 and headers["Retry-After"] == "600" and b"manutenzione" in body
    assert fetch(server.url + "/category/esteri/")[0] == 200  # the pages are up
    stats = server.stats()
    assert stats["by_kind"]["feed"] == 1 and stats["by_status"]["503"] == 1


def test_feed_requests_are_counted_as_feed(site):
    site.reset_stats()
    fetch(site.url + "/feed/")
    fetch(site.url + "/category/esteri/feed/?paged=2")
    fetch(site.url + "/feed")
    stats = site.stats()
    assert stats["by_kind"]["feed"] == 3 and stats["by_path"]["/category/esteri/feed/"] == 1
