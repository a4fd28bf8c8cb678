"""Page classes on saved pages, checked field by field against expected JSON."""

from __future__ import annotations

import itertools
import json
from datetime import datetime
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse

from alanews.pages.article import ArticlePage
from alanews.pages.listing import ListingPage

FIXTURES = Path(__file__).parent / "fixtures" / "pages"
ARTICLE_FIELDS = [
    "url", "title", "subtitle", "author", "published", "modified", "category", "category_path",
    "tags", "body", "image_url", "image_caption", "video_url", "related_urls", "post_id", "language",
]


def _saved(name: str):
    spec = json.loads((FIXTURES / f"{name}.json").read_text("utf-8"))
    html = (FIXTURES / f"{name}.html").read_bytes()
    response = HtmlResponse(url=spec["fetched_url"], body=html, encoding="utf-8")
    base = spec.get("base_url", "https://www.alanews.it")
    page = ArticlePage(response, base, now=datetime.fromisoformat(spec["now"]))
    return page.to_item(), spec["expected"]


SAVED = sorted(p.stem for p in FIXTURES.glob("*.json"))


@pytest.mark.parametrize("field", ARTICLE_FIELDS)
@pytest.mark.parametrize("name", SAVED)
def test_saved_article_page_field(name, field):
    item, expected = _saved(name)
    assert item[field] == expected[field]


@pytest.mark.parametrize("name", SAVED)
def test_saved_article_page_scraped_at_is_the_fetch_time_in_utc(name):
    item, _ = _saved(name)
    spec = json.loads((FIXTURES / f"{name}.json").read_text("utf-8"))
    assert item["scraped_at"] == datetime.fromisoformat(spec["now"]).isoformat()


def test_related_block_is_not_confused_with_sidebar_or_prev_next():
    item, _ = _saved("seed-esteri-lavrov")
    assert not any("shoah" in url or "iran-nuove-sanzioni" in url for url in item["related_urls"])


def test_body_excludes_ads_inline_related_tags_and_caption():
    item, _ = _saved("seed-esteri-lavrov")
    for noise in ("Pubblicità", "Leggi anche", "Witkoff a Mosca", "Tags:", "EPA/ALEXANDER", "adsbygoogle", "Share on"):
        assert noise not in item["body"]


def test_unreadable_byline_date_degrades_to_the_permalink_date():
    html = (FIXTURES / "seed-esteri-lavrov-markup-only.html").read_text("utf-8")
    html = html.replace("12 dicembre 2025 - 08:05", "31 Febbraio 2025")
    url = "https://www.alanews.it/2025/12/11/esteri/russia-lavrov-tra-usa-e-russia-superate-le-incomprensioni/"
    page = ArticlePage(HtmlResponse(url=url, body=html.encode(), encoding="utf-8"), "https://www.alanews.it")
    item = page.to_item()
    assert (item["published"], item["modified"], item["title"]) == (
        "2025-12-11", None, "Russia, Lavrov: “Tra USA e Russia superate le incomprensioni”")


def test_listing_page_without_the_theme_block_still_finds_posts():
    html = b"""<html><body><div class="jeg_sidebar"><article><h3><a href="/2026/01/02/esteri/side/">s</a></h3></article></div>
    <main><article class="post"><h2><a href="/2026/01/01/esteri/one/">One</a></h2></article></main></body></html>"""
    page = ListingPage(HtmlResponse(url="https://www.alanews.it/category/esteri/", body=html))
    assert page.main_links() == ["/2026/01/01/esteri/one/"]
    assert page.next_page() is None


@pytest.mark.parametrize("name", ["replica-video-iframe", "replica-video-without-text"])
def test_video_url_is_found_in_the_content_without_og_video(name):
    spec = json.loads((FIXTURES / f"{name}.json").read_text("utf-8"))
    html = (FIXTURES / f"{name}.html").read_text("utf-8")
    html = "\n".join(line for line in html.splitlines() if 'property="og:video' not in line)
    assert "og:video" not in html
    page = ArticlePage(HtmlResponse(url=spec["fetched_url"], body=html.encode(), encoding="utf-8"),
                       "https://www.alanews.it")
    assert page.to_item()["video_url"] == spec["expected"]["video_url"] is not None


# --- the post region (alanews.pages.markup.post_region) and the listing's one-pass blocks ---------

def _replica_pages(n: int, drifted: bool = False):
    from replica import render
    from replica.model import Site

    site = Site(n, 5)
    for article in site.articles:
        html = render.render_article(site, article, "https://www.alanews.it")
        yield article.url("https://www.alanews.it"), render.drift_article(html) if drifted else html


def _both_ways(url: str, html: str):
    response = HtmlResponse(url=url, body=html.encode(), encoding="utf-8")
    now = datetime(2026, 11, 21, 12, 0).astimezone()
    region, whole = ArticlePage(response, "https://www.alanews.it", now), \
        ArticlePage(response, "https://www.alanews.it", now, region=False)
    return region, dict(region.to_item()), dict(whole.to_item())


@pytest.mark.parametrize("drifted", [False, True])
def test_post_region_gives_the_item_of_the_whole_page(drifted):
    """Every replica variant (and the drifted theme): the region holds everything a field reads."""
    for url, html in _replica_pages(150, drifted):
        page, from_region, from_whole = _both_ways(url, html)
        assert page.from_region
        assert from_region == from_whole, url


@pytest.mark.parametrize("name", SAVED)
def test_post_region_gives_the_item_of_the_whole_saved_page(name):
    spec = json.loads((FIXTURES / f"{name}.json").read_text("utf-8"))
    page, from_region, from_whole = _both_ways(spec["fetched_url"], (FIXTURES / f"{name}.html").read_text("utf-8"))
    assert page.from_region
    assert from_region == from_whole


def _template_2(html: str) -> str:
    """JNews single-post template 2 made from a template-1 page: the breadcrumbs and the
    ``.entry-header`` moved into ``.container``, before the ``.row`` holding ``.jeg_main_content``."""
    start = html.index('<div class="jeg_breadcrumbs')
    end = html.index('<div class="jeg_share_top_container">', start)
    header = html[start:end]
    assert 'class="entry-header"' in header
    html = html[:start] + html[end:]
    row = html.index('<div class="row">', html.index('<div class="jeg_content jeg_singlepage">'))
    return (html[:row] + header + html[row:]).replace("jeg_single_tpl_1", "jeg_single_tpl_2", 1)


def test_template_2_pages_are_read_whole_and_give_the_item_of_template_1():
    """Template 2 puts the post's header above the main column, outside the post region: the
    region lacks it, so the whole page is read, and every field equals the template-1 page's."""
    from alanews.pages.markup import post_region

    for url, html in itertools.islice(_replica_pages(40), 0, None, 4):
        moved = _template_2(html)
        region = post_region(moved.encode())
        assert region is not None and b"entry-header" not in region
        page, from_region, from_whole = _both_ways(url, moved)
        assert not page.from_region
        assert from_region == from_whole == _both_ways(url, html)[1], url
        assert from_region["title"] and from_region["published"]


def _seed_html() -> tuple[str, str]:
    spec = json.loads((FIXTURES / "seed-esteri-lavrov.json").read_text("utf-8"))
    return spec["fetched_url"], (FIXTURES / "seed-esteri-lavrov.html").read_text("utf-8")


@pytest.mark.parametrize("change, region_used", [
    # no JNews main column: the whole page is read
    (lambda html: html.replace("jeg_main_content", "main_column"), False),
    # the post's content outside the main column (after the sidebar): the region lacks it
    (lambda html: html.replace('<div class="jeg_sidebar', '<div class="jeg_sidebar"></div><div class="x', 1)
     .replace('<div class="entry-content', '</div><div class="jeg_sidebar"></div><div class="entry-content', 1),
     False),
    # a head full of broken tags (a hostile page): not cut into a region, read whole by libxml2
    (lambda html: html.replace("</head>", '<meta name="x ' * 2000 + "</head>", 1), False),
    # the class names also in an inline style and a script before the main column: not taken for it
    (lambda html: html.replace("<body", "<style>.jeg_main_content{} .jeg_sidebar{}</style><body", 1)
     .replace("</head>", "</head><script>var c = 'jeg_main_content jeg_sidebar';</script>", 1), True),
])
def test_pages_without_the_expected_post_region_are_read_whole(change, region_used):
    url, html = _seed_html()
    changed = change(html)
    assert changed != html
    page, from_region, from_whole = _both_ways(url, changed)
    assert page.from_region is region_used
    assert from_region == from_whole
    expected = _saved("seed-esteri-lavrov")[1]
    assert (from_region["title"], from_region["published"], from_region["body"]) == (
        expected["title"], expected["published"], expected["body"])


def test_post_region_keeps_the_head_tags_the_whole_page_has():
    from alanews.pages.markup import post_region

    url, html = _seed_html()
    # "</head>" inside an attribute ends nothing for an HTML parser; the region's head keeps the tag
    changed = html.replace('<link rel="canonical"', '<link data-note="</head>" rel="canonical"', 1)
    region = post_region(changed.encode())
    assert b'<link data-note="</head>" rel="canonical"' in region
    # a JSON-LD script that does not close in the head is not a head tag
    unclosed = html.replace("</head>", '<script type="application/ld+json">{"a": </head>', 1)
    assert b'{"a": ' not in post_region(unclosed.encode())
    response = HtmlResponse(url=url, body=changed.encode(), encoding="utf-8")
    assert ArticlePage(response, "https://www.alanews.it").url()[0] == \
        ArticlePage(response, "https://www.alanews.it", region=False).url()[0]


def test_a_page_read_whole_is_counted():
    from collections import Counter

    class Stats(Counter):
        def inc_value(self, key, count=1):
            self[key] += count

    url, html = _seed_html()
    stats = Stats()
    ArticlePage(HtmlResponse(url=url, body=html.replace("jeg_main_content", "x").encode(), encoding="utf-8"),
                "https://www.alanews.it").to_item(stats)
    ArticlePage(HtmlResponse(url=url, body=html.encode(), encoding="utf-8"), "https://www.alanews.it").to_item(stats)
    assert stats == {"alanews/article/whole_page": 1}


def _listing_pages():
    from replica import render
    from replica.model import Site

    site = Site(400, 6)
    for path in ("esteri", "sport", "sport/calcio", "cronaca/video"):
        assert path in render.CATEGORIES
        for number in range(1, site.pages(path) + 1):
            html = render.render_listing(site, path, number, "https://www.alanews.it")
            yield f"https://www.alanews.it/category/{path}/page/{number}/", html


def _assert_listing_links_as_css_on_the_whole_page(page, html):
    """The old way, parsel CSS over the whole document, is the reference."""
    from parsel import Selector

    sel = Selector(text=html)
    assert page.hero_links() == sel.css(
        ".jnews_category_hero_container article .jeg_post_title a::attr(href)").getall()
    assert page.main_links() == (sel.css(
        ".jnews_category_content_wrapper .jeg_posts article .jeg_post_title a::attr(href)").getall()
        or sel.xpath("//article[not(ancestor::*[contains(@class, 'jeg_sidebar') or contains(@class, 'jeg_footer') "
                     "or contains(@class, 'jnews_category_hero_container')])]//*[self::h2 or self::h3]//a/@href").getall())
    assert page.next_page() == (page.response.urljoin(sel.css(".jeg_pagination a.page_nav.next::attr(href)").get())
                                if sel.css(".jeg_pagination a.page_nav.next") else None)


def test_listing_blocks_found_in_one_pass_give_what_css_on_the_whole_page_gives():
    pages = list(_listing_pages())
    # a nested copy of each block: matches must not repeat
    nested = pages[0][1].replace('<div class="jnews_category_content_wrapper', '<div class="jnews_category_content_wrapper">'
                                 '<div class="jnews_category_content_wrapper', 1)
    for url, html in [*pages, (pages[0][0], nested)]:
        page = ListingPage(HtmlResponse(url=url, body=html.encode(), encoding="utf-8"))
        assert page.from_region, url
        _assert_listing_links_as_css_on_the_whole_page(page, html)
    assert len(pages) > 20


def _move_after_footer(block: str):
    def change(html):
        start = html.index(f'<div class="{block}')
        end = html.index("</div>", html.index("</div>", start) + 1) + 6  # the block and its inner list
        return html[:start] + html[end:].replace("</body>", html[start:end] + "</body>", 1)
    return change


@pytest.mark.parametrize("change, region_used", [
    # the archive list's theme block renamed: the fallback (any post outside hero, menus,
    # sidebar, footer) needs the whole page
    (lambda html: html.replace("jnews_category_content_wrapper", "archive_list"), False),
    # pagination after the footer: the region would miss the next page
    (_move_after_footer("jeg_navigation jeg_pagination"), False),
    # the sidebar nested inside the archive list, posts after it: the region runs to the footer
    (lambda html: html.replace('<div class="jeg_posts', '<div class="jeg_sidebar"><article><h3 class="jeg_post_title">'
                               '<a href="/2026/01/02/esteri/side/">s</a></h3></article></div><div class="jeg_posts', 1),
     True),
    # no footer: nothing says where the page's noise starts
    (lambda html: html.replace("jeg_footer", "site_footer"), False),
    # the class names in an inline style and a script: not taken for the blocks
    (lambda html: html.replace("</head>", "<style>.jeg_footer{} .jeg_pagination{}</style></head><script>"
                               "var c = 'jeg_footer jnews_category_content_wrapper';</script>", 1), True),
])
def test_listing_pages_without_the_expected_region_are_read_whole(change, region_used):
    url, html = next(_listing_pages())
    changed = change(html)
    assert changed != html
    page = ListingPage(HtmlResponse(url=url, body=changed.encode(), encoding="utf-8"))
    assert page.from_region is region_used
    assert len(page.main_links()) >= 10
    _assert_listing_links_as_css_on_the_whole_page(page, changed)


def test_elements_are_bucketed_by_class_as_css_matches_them():
    from lxml import etree
    from parsel import Selector

    from alanews.pages.markup import by_class, parse_bytes

    names = frozenset(("entry-header", "jeg_featured", "jeg_post_tags"))
    html = ('<html><body><div class="entry-header">a<p class="x\tentry-header\n jeg_featured">b</p></div>'
            '<span class="entry-header-wide Jeg_featured jeg_post_tags-old">c</span>'
            '<i class="  jeg_post_tags jeg_post_tags ">d</i><!-- class="jeg_featured" --><b class="">e</b>'
            '<script>var c = "entry-header";</script></body></html>')
    found = by_class(parse_bytes(html.encode()).iter(etree.Element), names, {})
    css = Selector(text=html)
    for name in names:
        assert [etree.tostring(e, with_tail=False) for e in found.get(name, [])] == \
            [etree.tostring(s.root, with_tail=False) for s in css.css(f".{name}")], name
    assert {name: len(elements) for name, elements in found.items()} == {"entry-header": 2, "jeg_featured": 1,
                                                                          "jeg_post_tags": 1}


def test_post_region_markers_are_found_only_in_class_attributes():
    from alanews.pages.markup import _class_tag

    body = (b'<p>jeg_sidebar ' * 20000 + b'</p><div id="a" class="x jeg_sidebar-old">'
            b'<div data-x="jeg_sidebar" class=\'jeg_sidebar y\'>')
    assert _class_tag(body, b"jeg_sidebar", 0) == body.index(b"<div data-x")
    assert _class_tag(body[:body.index(b"<div data-x")], b"jeg_sidebar", 0) == -1


def _read(url: str, html: str) -> None:
    response = HtmlResponse(url=url, body=html.encode(), encoding="utf-8")
    if "/category/" in url:
        page = ListingPage(response)
        page.main_links(), page.hero_links(), page.next_page()
    else:
        ArticlePage(response, "https://www.alanews.it").to_item()


def test_parsed_pages_are_freed_without_the_cycle_collector():
    """A reference cycle through a parsed tree would keep every page's tree (and its libxml2
    document) alive until the next full collection: memory and collector time grow with the crawl."""
    import gc

    pages = [*_replica_pages(10), *itertools.islice(_listing_pages(), 3)]
    gc.collect()
    gc.disable()
    try:
        for url, html in pages:
            _read(url, html)
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        kept = [o for o in gc.garbage if type(o).__module__ == "lxml.etree"]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert kept == []
