"""No page shape makes the page classes raise or stall (issue 15, point 12).

Hand-made shapes first (each the issue's example and one more), then a property-based test that
mutates replica pages at random (deletes, duplicates and nests elements, injects strings and
bytes) and reads each one as the crawl would, with a per-page deadline.
"""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from lxml import html as lxml_html
from scrapy.http import HtmlResponse

from alanews.middlewares import CharsetMiddleware
from alanews.pages.article import ArticlePage
from alanews.pages.listing import ListingPage

FIXTURES = Path(__file__).parent / "fixtures" / "pages"
BASE = "https://www.alanews.it"
NOW = datetime.fromisoformat("2026-11-21T12:00:00+00:00")


class Stats(dict):
    def inc_value(self, key, count=1):
        self[key] = self.get(key, 0) + count


def _read(url: str, body: bytes, region: bool = True, stats: Stats | None = None) -> dict:
    response = HtmlResponse(url=url, body=body, headers={"Content-Type": "text/html; charset=UTF-8"})
    response = CharsetMiddleware(Stats()).process_response(None, response)
    return dict(ArticlePage(response, BASE, now=NOW, region=region).to_item(stats))


def _fixture(name: str) -> tuple[str, bytes, dict]:
    spec = json.loads((FIXTURES / f"{name}.json").read_text("utf-8"))
    return spec["fetched_url"], (FIXTURES / f"{name}.html").read_bytes(), spec["expected"]


def _with(body: bytes, old: bytes, new: bytes) -> bytes:
    assert old in body, old
    return body.replace(old, new, 1)


DEEP_JSON = b"[" * 100_000 + b"]" * 100_000  # json.loads: RecursionError


@pytest.mark.parametrize("block, invalid", [
    (b'{"@type": null}', 0),
    (b'{"@type": null, "@graph": [{"@type": null, "@id": ["x"], "author": [[{"@id": {}}]], "headline": 5}]}', 0),
    (b'{"@graph": {"@type": "NewsArticle", "headline": null, "keywords": {"a": 1}, "datePublished": []}}', 0),
    (DEEP_JSON, 1),
    (b'{"@type": "NewsArticle", "x": ' + DEEP_JSON + b"}", 1),
], ids=["type-null", "odd-values", "graph-object", "nested-100000-deep", "nested-in-an-article"])
@pytest.mark.parametrize("css_class", [b"", b' class="aioseo-schema"', b' class="yoast-schema-graph"'],
                         ids=["theme", "aioseo", "yoast"])
def test_odd_json_ld_gives_the_item(block, invalid, css_class):
    url, body, expected = _fixture("seed-esteri-lavrov")
    script = b'<script type="application/ld+json"' + css_class + b">" + block + b"</script>"
    stats = Stats()
    item = _read(url, _with(body, b"</head>", script + b"</head>"), stats=stats)
    assert {k: item[k] for k in expected} == expected
    assert stats.get("alanews/jsonld/invalid", 0) == invalid


@pytest.mark.parametrize("depth, deep_text_read", [
    (1_500, True),  # deeper than Python's recursion limit: read by walks with their own stack
    (30_000, False),  # deeper than libxml2 parses (2,048 levels): the rest of the page is lost, no exception
])
@pytest.mark.parametrize("region", [True, False])
def test_thousands_of_nested_elements_in_the_body(depth, deep_text_read, region):
    url, body, expected = _fixture("jnews-template-2")
    nested = b"<div>" * depth + b"<p>Nel profondo.</p>" + b"</div>" * depth
    item = _read(url, _with(body, b'<div class="content-inner ">', b'<div class="content-inner ">' + nested), region)
    assert (item["title"], item["author"], item["published"]) == (
        expected["title"], expected["author"], expected["published"])
    if deep_text_read:
        assert item["body"] == "Nel profondo.\n\n" + expected["body"]
        assert item["related_urls"] == expected["related_urls"]


_DIGIT_RUNS = {
    # the example: a 40 KB run of digits in an id
    "body-class": lambda body: body.replace(b"postid-48213", b"postid-" + b"7" * 40_000, 1),
    # runs that do not end the value: a regex searching for trailing digits backtracks from each start
    "body-class-not-at-the-end": lambda body: body.replace(b"postid-48213", b"postid-" + b"7" * 40_000 + b"x", 1),
    "article-id": lambda body: body.replace(b"postid-48213", b"postid-x", 1).replace(
        b'<div class="entry-content', b'<article id="post-' + b"9" * 40_000 + b'-x"></article><div class="entry-content', 1),
}


# A generous deadline per example (hypothesis's), not a timing assertion: a quadratic search on the
# 40 KB runs takes minutes, the linear one milliseconds.
@settings(deadline=timedelta(seconds=10), max_examples=30, derandomize=True, database=None)
@given(change=st.sampled_from(sorted(_DIGIT_RUNS)), region=st.booleans())
def test_a_long_run_of_digits_in_an_id_is_not_an_id(change, region):
    url, body, expected = _fixture("seed-esteri-lavrov")
    changed = _DIGIT_RUNS[change](body)
    assert changed != body
    item = _read(url, changed, region)
    assert item == {**item, **expected}  # the shortlink (?p=N) gives the post id


# --- property-based: random damage to replica pages ---------------------------------------------

@lru_cache(maxsize=None)
def _pages() -> tuple[tuple[str, bytes], ...]:
    """A few replica pages of different shapes: templates 1, 2 and custom, a featured video, a
    listing; the replica's filler (style, scripts) left out to keep the examples quick."""
    from replica import render
    from replica.model import Site

    site = Site(60, 1)
    wanted = [lambda a: a.template == "1" and a.seo_plugin == "yoast" and not a.no_yoast,
              lambda a: a.template == "2", lambda a: a.template == "custom", lambda a: a.featured_video,
              lambda a: a.seo_plugin == "rankmath" and not a.no_yoast]
    pages = []
    for test in wanted:
        article = next(a for a in site.articles if test(a))
        html = render.render_article(site, article, BASE)
        for filler in (render.filler_css(), render.filler_js()):
            html = html.replace(filler, "")
        pages.append((article.url(BASE), render.article_bytes(article, html)))
    listing = render.render_listing(site, "esteri", 1, BASE).replace(render.filler_css(), "").replace(render.filler_js(), "")
    pages.append((f"{BASE}/category/esteri/", listing.encode()))
    return tuple(pages)


NASTY = [
    '{"@type": null}', "[" * 5_000, "7" * 40_000, "postid-" + "9" * 40_000 + "x", "Sport&amp;notizie &region=",
    "</script><script type='application/ld+json'>{\"@graph\": 1}", "<!--", "]]>", "\ufffd", "2 mesi fa",
    "31 ott 2021 23:37:13 UTC", "jeg_main_content", "entry-header", "content-inner", "</head>", "<body>",
]
# what lxml lets into a tree (no control characters); raw bytes go in by the "bytes" mutation
_strings = st.one_of(st.sampled_from(NASTY), st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=200))
_mutation = st.one_of(
    st.tuples(st.just("delete"), st.integers(min_value=0)),
    st.tuples(st.just("duplicate"), st.integers(min_value=0)),
    st.tuples(st.just("nest"), st.integers(min_value=0), st.integers(min_value=1, max_value=3_000)),
    st.tuples(st.just("text"), st.integers(min_value=0), _strings),
    st.tuples(st.just("attribute"), st.integers(min_value=0), st.sampled_from(["class", "id", "href", "content", "src"]),
              _strings),
    st.tuples(st.just("json"), st.integers(min_value=0), _strings),
    st.tuples(st.just("bytes"), st.floats(min_value=0, max_value=1), st.binary(max_size=64)),
    st.tuples(st.just("cut"), st.floats(min_value=0, max_value=1)),
)


def _mutated(body: bytes, mutations) -> bytes:
    """``body`` after ``mutations``: tree edits on its parse (serialized back), then byte edits."""
    root = lxml_html.fromstring(body)
    for kind, where, *rest in (m for m in mutations if m[0] not in ("bytes", "cut")):
        elements = [el for el in root.iter() if isinstance(el.tag, str)]
        el = elements[where % len(elements)]
        parent = el.getparent()
        if kind == "delete" and parent is not None:
            parent.remove(el)
        elif kind == "duplicate" and parent is not None:
            el.addnext(copy.deepcopy(el))
        elif kind == "nest" and parent is not None:
            outer = inner = etree.Element("div")
            for _ in range(rest[0] - 1):
                inner = etree.SubElement(inner, "div")
            el.addprevious(outer)
            inner.append(el)
        elif kind == "text":
            el.text = (el.text or "") + rest[0]
        elif kind == "attribute":
            el.set(rest[0], rest[1])
        elif kind == "json":
            scripts = root.xpath("//script[@type='application/ld+json']")
            if scripts:
                scripts[where % len(scripts)].text = rest[0]
    data = etree.tostring(root, encoding="utf-8", method="html")
    for kind, where, *rest in (m for m in mutations if m[0] in ("bytes", "cut")):
        at = int(where * len(data))
        data = data[:at] + rest[0] + data[at:] if kind == "bytes" else data[:at]
    return data


@settings(max_examples=60, deadline=timedelta(seconds=5), derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(page=st.integers(min_value=0, max_value=5), mutations=st.lists(_mutation, min_size=1, max_size=6))
def test_no_mutated_page_raises_or_stalls(page, mutations):
    """Every mutated page gives its item (or its links) without an exception, within the deadline."""
    url, body = _pages()[page]
    changed = _mutated(body, mutations)
    response = CharsetMiddleware(Stats()).process_response(
        None, HtmlResponse(url=url, body=changed, headers={"Content-Type": "text/html; charset=UTF-8"}))
    if "/category/" in url:
        listing = ListingPage(response)
        listing.main_links(), listing.hero_links(), listing.next_page()
        return
    for region in (True, False):
        page_ = ArticlePage(response, BASE, now=NOW, region=region)
        item = page_.to_item(Stats())
        page_.related_urls()
        assert set(item) >= {"url", "title", "body", "published"}
