"""Page classes on saved pages, checked field by field against expected JSON."""

from __future__ import annotations

import functools
import itertools
import json
from datetime import datetime
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse, Request

from alanews.middlewares import CharsetMiddleware
from alanews.pages.article import ArticlePage
from alanews.pages.listing import ListingPage

FIXTURES = Path(__file__).parent / "fixtures" / "pages"
ARTICLE_FIELDS = [
    "url", "title", "subtitle", "author", "published", "modified", "category", "category_path",
    "tags", "body", "image_url", "image_caption", "video_url", "related_urls", "post_id", "language",
]


class Stats(dict):
    """Counts like Scrapy's stats collector."""

    def inc_value(self, key, count=1):
        self[key] = self.get(key, 0) + count


def _served(url: str, body: bytes, stats: Stats | None = None) -> HtmlResponse:
    """A saved page as the crawl's downloader middlewares hand it to the spider: in its real charset."""
    response = HtmlResponse(url=url, body=body, headers={"Content-Type": "text/html; charset=UTF-8"})
    return CharsetMiddleware(Stats() if stats is None else stats).process_response(None, response)


def _saved(name: str, stats: Stats | None = None):
    spec = json.loads((FIXTURES / f"{name}.json").read_text("utf-8"))
    response = _served(spec["fetched_url"], (FIXTURES / f"{name}.html").read_bytes())
    base = spec.get("base_url", "https://www.alanews.it")
    page = ArticlePage(response, base, now=datetime.fromisoformat(spec["now"]))
    return page.to_item(stats), spec["expected"]


SAVED = sorted(p.stem for p in FIXTURES.glob("*.json"))


@functools.lru_cache(maxsize=None)
def _saved_once(name: str):
    """Read once for the 16 field tests of a page."""
    item, expected = _saved(name)
    return dict(item), expected


@pytest.mark.parametrize("field", ARTICLE_FIELDS)
@pytest.mark.parametrize("name", SAVED)
def test_saved_article_page_field(name, field):
    item, expected = _saved_once(name)
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


def _both_ways(url: str, html: str | bytes):
    response = _served(url, html if isinstance(html, bytes) else html.encode())
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
    page, from_region, from_whole = _both_ways(spec["fetched_url"], (FIXTURES / f"{name}.html").read_bytes())
    assert page.from_region
    assert from_region == from_whole


def test_a_page_after_a_theme_update_gets_its_required_fields_from_the_last_resorts_and_says_so():
    """Title class renamed, structured data and meta gone: the title from <title>, the day from
    the permalink; the stats say which field took its last resort, the undrifted pages none."""
    from replica.model import Site, expected_item

    truth = {a.url("https://www.alanews.it"): expected_item(a, "https://www.alanews.it") for a in Site(60, 5).articles}
    for drifted in (False, True):
        for url, html in _replica_pages(60, drifted):
            stats = Stats()
            page = ArticlePage(_served(url, html.encode(), stats), "https://www.alanews.it",
                               datetime(2026, 11, 21, 12, 0).astimezone())
            item = page.to_item(stats)
            assert item["title"] == truth[url]["title"] and item["published"][:10] == truth[url]["published"][:10]
            fallbacks = {key for key in stats if key.startswith("alanews/fallback/")}
            if drifted:
                assert fallbacks == {"alanews/fallback/title", "alanews/fallback/published"}, url
            else:
                assert not fallbacks, (url, stats)


def test_the_category_falls_back_to_the_site_table_by_permalink_and_says_so():
    html = (FIXTURES / "seed-esteri-lavrov-markup-only.html").read_text("utf-8")
    html = html.replace('rel="category tag">Esteri</a>', 'rel="category tag"></a>').replace(
        "breadcrumb_last_link", "breadcrumb_item")  # a theme update: no category in the byline or breadcrumbs
    stats = Stats()
    url = "https://www.alanews.it/2025/12/11/esteri/russia-lavrov-tra-usa-e-russia-superate-le-incomprensioni/"
    item = ArticlePage(_served(url, html.encode()), "https://www.alanews.it").to_item(stats)
    assert item["category"] == "Esteri" and stats["alanews/fallback/category"] == 1


@pytest.mark.parametrize("meta, author", [
    ('<meta property="article:author" content="Maria Rossi" />', "Maria Rossi"),  # a name: taken
    ('<meta property="article:author" content="https://www.facebook.com/maria.rossi" />', None),  # a profile URL
    ('<meta property="article:author" content="www.facebook.com/maria.rossi" />', None),
])
def test_article_author_counts_only_as_a_name(meta, author):
    html = (FIXTURES / "wp-author-meta-only.html").read_text("utf-8")
    html = html.replace('<meta name="author" content="Federico Liberi" />', meta)
    url = "https://www.alanews.it/2025/12/11/esteri/russia-lavrov-tra-usa-e-russia-superate-le-incomprensioni/"
    assert ArticlePage(_served(url, html.encode()), "https://www.alanews.it").to_item()["author"] == author


def test_a_see_also_label_is_dropped_only_when_the_paragraph_is_links():
    from alanews.pages.article import _links_to_other_posts
    from alanews.pages.markup import parse_bytes

    def box(p: str) -> bool:
        return _links_to_other_posts(next(parse_bytes(p.encode()).iter("p")))

    assert box('<p>Leggi anche: <a href="/a/">Uno</a>, <a href="/b/">Due</a></p>')
    assert box('<p><em>Potrebbe interessarti</em> &#8594; <a href="/a/">Uno</a></p>')
    assert box('<p><a href="/a/"><strong>Leggi anche:</strong> Uno</a></p>')
    assert not box('<p>Leggi anche il <a href="/a/">rapporto Istat</a> pubblicato ieri.</p>')  # a sentence
    assert not box('<p><a href="/a/">Il rapporto Istat</a></p>')  # a link, no label: the editor's text
    assert not box('<p>Leggi anche:</p>')  # no link


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


def test_template_2_pages_are_read_from_the_region_and_give_the_item_of_template_1():
    """Template 2 puts the post's header above the main column: the region starts at it, and every
    field equals the whole page's and the template-1 page's."""
    from alanews.pages.markup import post_region

    template_1 = [(url, html) for url, html in _replica_pages(40) if "jeg_single_tpl_1" in html]
    for url, html in template_1[::4]:
        moved = _template_2(html)
        region = post_region(moved.encode())
        assert region is not None and b"entry-header" in region
        page, from_region, from_whole = _both_ways(url, moved)
        assert page.from_region
        assert from_region == from_whole == _both_ways(url, html)[1], url
        assert from_region["title"] and from_region["published"]


def _seed_html() -> tuple[str, str]:
    spec = json.loads((FIXTURES / "seed-esteri-lavrov.json").read_text("utf-8"))
    return spec["fetched_url"], (FIXTURES / "seed-esteri-lavrov.html").read_text("utf-8")


@pytest.mark.parametrize("change, region_used", [
    # no JNews main column, breadcrumbs or post header: the whole page is read
    (lambda html: html.replace("jeg_main_content", "main_column").replace("jeg_breadcrumbs", "crumbs")
     .replace("entry-header", "post-header"), False),
    # no main column, but the breadcrumbs and header before the content (as in template 2): the region
    (lambda html: html.replace("jeg_main_content", "main_column"), True),
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
    no_layout = html.replace("jeg_main_content", "x").replace("jeg_breadcrumbs", "y").replace("entry-header", "z")
    ArticlePage(HtmlResponse(url=url, body=no_layout.encode(), encoding="utf-8"),
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


# --- issue 15: each kind once more, on a saved page changed by hand ------------------------------

def _changed(name: str, change, now: str | None = None, stats: Stats | None = None) -> tuple[dict, dict]:
    """The saved page ``name`` after ``change`` (bytes -> bytes), read; and its expected item."""
    spec = json.loads((FIXTURES / f"{name}.json").read_text("utf-8"))
    html = (FIXTURES / f"{name}.html").read_bytes()
    changed = change(html)
    assert changed != html
    page = ArticlePage(_served(spec["fetched_url"], changed), "https://www.alanews.it",
                       now=datetime.fromisoformat(now or spec["now"]))
    return dict(page.to_item(stats)), spec["expected"]


def _sub(old: str, new: str, count: int = 1):
    def change(html: bytes) -> bytes:
        assert old.encode() in html, old
        return html.replace(old.encode(), new.encode(), count)
    return change


def _chain(*changes):
    def change(html: bytes) -> bytes:
        for one in changes:
            html = one(html)
        return html
    return change


def _cut(start: str, end: str, new: str = ""):
    """The first stretch of the page from ``start`` to the end of the next ``end``, replaced by ``new``."""
    def change(html: bytes) -> bytes:
        first = html.index(start.encode())
        last = html.index(end.encode(), first) + len(end)
        return html[:first] + new.encode() + html[last:]
    return change


@pytest.mark.parametrize("change", [
    # All in One SEO as seen on real pages: the UTC clock time labelled with the local offset
    _sub('"datePublished":"2022-04-21T18:46:12-04:00","dateModified":"2022-04-22T07:05:00-04:00"',
         '"datePublished":"2022-04-21T18:46:12+02:00","dateModified":"2022-04-22T07:05:00+02:00"'),
    # the same graph written by Rank Math: any JSON-LD but Yoast's ranks below the article:* meta
    _sub('class="aioseo-schema"', 'class="rank-math-schema-pro"'),
])
def test_article_meta_outranks_every_json_ld_but_yoasts(change):
    item, expected = _changed("jnews-aioseo-dates-below-meta", change)
    assert (item["published"], item["modified"]) == (expected["published"], expected["modified"]) == (
        "2022-04-21T20:46:12+02:00", "2022-04-22T09:05:00+02:00")


def test_theme_json_ld_dates_each_in_its_zone_and_types_in_any_case():
    change = _chain(_sub('"@type":"article"', '"@type":"NEWSARTICLE"'),
                    _sub('"datePublished":"2025-12-11 10:15:00","dateModified":"2025-12-11 09:42:31"',
                         '"datePublished":"2025-07-03 18:05:00","dateModified":"2025-07-05 07:30:00"'))
    item, _ = _changed("jnews-theme-jsonld-real-shape", change)
    assert (item["published"], item["modified"]) == ("2025-07-03T18:05:00+02:00", "2025-07-05T09:30:00+02:00")


@pytest.mark.parametrize("change", [
    # the site's name known only from the WebSite node of the graph, another separator
    _chain(_sub('<meta property="og:site_name" content="Alanews" />', ""),
           _sub('festa” - Alanews"', 'festa” | Alanews"')),
    # a suffix that is not the site's name: the h1 wins where the headline differs from it only by it
    _sub('festa” - Alanews"', 'festa” – Alanews Video"'),
])
def test_a_headline_loses_a_site_name_suffix(change):
    item, expected = _changed("jnews-title-site-suffix", change)
    assert item["title"] == expected["title"] == "Roma, Stellantis: “È un giorno di festa”"


_NO_POST_H1 = _sub('<h1 class="jeg_post_title">Russia, Lavrov: &#8220;Tra USA e Russia superate le incomprensioni&#8221;</h1>',
                   '<h2 class="post-title">Roma - Lazio 2-1, il derby</h2>')
_PLAIN_TITLE = _sub("<title>Russia, Lavrov: &#8220;Tra USA e Russia superate le incomprensioni&#8221; - Alanews</title>",
                    "<title>Roma - Lazio 2-1, il derby</title>")


@pytest.mark.parametrize("change", [
    # a widget's h1 in the sidebar whose text starts the <title>: no cut at it
    _sub('<div class="widget widget_recent_entries">',
         '<div class="widget widget_text"><h1>Roma</h1></div><div class="widget widget_recent_entries">'),
    # the logo as h1 before the main column, a <noscript> h1, a login pop-up's h1 after the footer
    _sub('<div class="footer-holder" id="footer">', '<h1 class="jeg_logo"><a href="/">Alanews</a></h1>'
         '<div class="footer-holder" id="footer">'),
    _sub('<div class="footer-holder" id="footer">', '<noscript><h1>Abilita JavaScript</h1></noscript>'
         '<div class="footer-holder" id="footer">'),
    _sub("</body>", '<div class="jeg_popup_account"><h1>Roma</h1></div></body>'),
])
def test_a_title_is_never_an_h1_outside_the_post(change):
    """The <title> (no headline, og:title nor post h1 on the page) whole, from the region and the whole page."""
    spec = json.loads((FIXTURES / "seed-esteri-lavrov-markup-only.json").read_text("utf-8"))
    html = _chain(_NO_POST_H1, _PLAIN_TITLE, change)((FIXTURES / "seed-esteri-lavrov-markup-only.html").read_bytes())
    _, from_region, from_whole = _both_ways(spec["fetched_url"], html)
    assert from_region["title"] == from_whole["title"] == "Roma - Lazio 2-1, il derby"


_LAVROV = "Russia, Lavrov: &#8220;Tra USA e Russia superate le incomprensioni&#8221;"
_LAVROV_H1_AS_H2 = _sub(f'<h1 class="jeg_post_title">{_LAVROV}</h1>', f'<h2 class="post-title">{_LAVROV}</h2>')


@pytest.mark.parametrize("shown", [
    f"Alanews | {_LAVROV}", f"Alanews: {_LAVROV}", f"{_LAVROV} - www.alanews.it", f"{_LAVROV} - Alanews.it",
    f"{_LAVROV} - Alanews - Agenzia video", f"{_LAVROV} (Alanews)",
])
def test_a_title_loses_the_site_name_in_every_form(shown):
    """<title> alone (no headline, og:title nor post h1): the site's name as prefix, host, with a tagline, in brackets."""
    change = _chain(_LAVROV_H1_AS_H2, _sub(f"<title>{_LAVROV} - Alanews</title>", f"<title>{shown}</title>"))
    item, expected = _changed("seed-esteri-lavrov-markup-only", change)
    assert item["title"] == expected["title"]


def test_a_title_that_is_only_the_site_name_is_no_title():
    item, _ = _changed("seed-esteri-lavrov-markup-only",
                       _chain(_LAVROV_H1_AS_H2, _sub(f"<title>{_LAVROV} - Alanews</title>", "<title>Alanews</title>")))
    assert item.get("title") is None


@pytest.mark.parametrize("headline", [
    "Alanews | Roma, Stellantis: “È un giorno di festa”", "Roma, Stellantis: “È un giorno di festa” (Alanews)",
    "Roma, Stellantis: “È un giorno di festa” – www.alanews.it",
])
def test_og_title_and_headline_lose_the_site_name_in_every_form(headline):
    item, expected = _changed("jnews-title-site-suffix", _chain(
        _sub('"Roma, Stellantis: “È un giorno di festa” - Alanews"', f'"{headline}"', 2),
        _sub('<h1 class="jeg_post_title">', '<h1 class="jeg_post_title">Il titolo mostrato: ')))
    assert item["title"] == expected["title"] == "Roma, Stellantis: “È un giorno di festa”"


@pytest.mark.parametrize("declared", [
    '<meta name="author" content="redazione@alanews.it" />', '<meta name="author" content="admin" />',
    '<meta name="author" content="Alanews" />', '<meta name="author" content="https://www.alanews.it/author/x/" />',
    '<meta property="article:author" content="facebook.com/mario.rossi" />',
    '<meta property="article:author" content="mailto:mario@alanews.it" />',
    '<script type="application/ld+json">{"@context":"https://schema.org","@type":"NewsArticle",'
    '"author":"https://www.alanews.it/author/mario/"}</script>',
])
def test_a_declared_author_that_is_no_name_is_no_author(declared):
    item, expected = _changed("replica-no-author-no-image", _sub("</head>", declared + "</head>"))
    assert item["author"] is expected["author"] is None


def test_a_commenters_rel_author_link_is_no_author():
    comment = ('<div class="comment-author vcard"><a href="http://spam.example" rel="author external nofollow">'
               'Spammer</a></div>')
    item, expected = _changed("replica-no-author-no-image",
                              _sub('<div class="content-inner ">', '<div class="content-inner ">' + comment))
    assert item["author"] is expected["author"] is None


@pytest.mark.parametrize("name, keywords_are_tags", [
    # no tag links shown: Rank Math's focus keyword is still not a tag
    ("jnews-rank-math-focus-keyword", False),
    # no tag links shown: Yoast's keywords (the post's tags) stand in
    ("jnews-title-site-suffix", True),
])
def test_json_ld_keywords_only_when_the_page_shows_no_tags(name, keywords_are_tags):
    item, expected = _changed(name, _cut('<div class="jeg_post_tags">', "</div>"))
    assert item["tags"] == (expected["tags"] if keywords_are_tags else [])
    assert len(expected["tags"]) >= 2


def test_category_from_json_ld_article_section_before_the_sites_table():
    change = _chain(_sub('<meta property="article:section" content="Business" />', ""),
                    _sub("</head>", '<script type="application/ld+json" class="aioseo-schema">{"@graph":[{"@type":'
                         '"BlogPosting","headline":"H","articleSection":"Finanza, Borsa, Tassi"}]}</script></head>'))
    item, _ = _changed("jnews-article-section-only", change)
    assert item["category"] == "Finanza"


def test_byline_in_a_custom_meta_block_outside_any_header():
    """The issue's markup, exactly: a custom template's meta block with only the author."""
    change = _cut('<div class="jeg_post_meta jeg_custom_meta_wrapper ">', "</div></div></div>",
                  '<div class="jeg_custom_meta_wrapper"><div class="jeg_meta_author">'
                  '<a href="/author/redazione/">Redazione</a></div></div></div>')
    item, expected = _changed("jnews-custom-template", change)
    assert (item["author"], item["published"], item["title"], item["body"]) == (
        "Redazione", "2026-10-18", expected["title"], expected["body"])


def test_author_boxes_newsletter_share_and_comment_call_outs_are_not_body():
    boxes = ('<div class="jeg_authorbox"><div class="jeg_author_content"><h3 class="jeg_author_name"><a href="/a/">'
             'Staff</a></h3><p class="jeg_author_desc">Scrive di esteri.</p></div></div>'
             '<form class="mc4wp-form"><div class="mc4wp-form-fields"><p>Iscriviti alla newsletter</p></div></form>'
             '<div class="addtoany_share_save_container"><p>Condividi</p></div>'
             '<div class="comment-callout"><p>Dicci la tua nei commenti qui sotto.</p></div>')
    item, expected = _changed("jnews-molongui-box-in-content",
                              _sub('<div class="m-a-box"><h5>Staff Report</h5><p>Bio.</p><ul><li><a href="/x/">'
                                   'Other post</a></li></ul></div>', boxes))
    assert item["body"] == expected["body"]


@pytest.mark.parametrize("change, video_url", [
    # the player a <video> with its <source>
    (_cut('<iframe title=', "</iframe>", '<video controls><source type="video/mp4" src="/wp-content/uploads/v.mp4" />'
          '</video>'), "https://www.alanews.it/wp-content/uploads/v.mp4"),
    # a JSON-LD VideoObject outranks the player
    (_sub("</head>", '<script type="application/ld+json">{"@context":"https://schema.org","@type":"VideoObject",'
          '"name":"V","contentUrl":"https://cdn.example/v.mp4"}</script></head>'), "https://cdn.example/v.mp4"),
])
def test_video_of_the_video_post_format(change, video_url):
    item, _ = _changed("jnews-featured-slot-video", change)
    assert item["video_url"] == video_url


def test_caption_in_the_themes_own_block_under_the_featured_image():
    change = _chain(_sub("<figure>", ""),
                    _sub("<figcaption>Roma | ANSA/ETTORE FERRARI - alanews</figcaption></figure></div>",
                         '</div><div class="featured_caption">Roma | ANSA/ETTORE FERRARI - alanews</div>'))
    item, expected = _changed("jnews-figcaption", change)
    assert item["image_caption"] == expected["image_caption"] == "Roma | ANSA/ETTORE FERRARI - alanews"


def test_entities_in_the_caption_and_tags_decoded_once():
    change = _chain(_sub("<figcaption>Roma | ANSA/ETTORE FERRARI - alanews", "<figcaption>Foto &amp;copy 2026 &amp;amp; ANSA"),
                    _sub('rel="tag">', 'rel="tag">R&amp;D &amp;region=it '))
    item, _ = _changed("jnews-figcaption", change)
    assert item["image_caption"] == "Foto &copy 2026 &amp; ANSA"
    assert item["tags"][0].startswith("R&D &region=it ")


@pytest.mark.parametrize("byline, now, published", [
    ("1 Novembre 2021 12:37 am", None, "2021-11-01T00:37:00+01:00"),
    ("01/11/2021", None, "2021-11-01"),
    ("1 novembre 2021, 00:37", None, "2021-11-01T00:37:00+01:00"),
    # relative to the fetch time
    ("mezz'ora fa", "2021-11-01T01:10:00+01:00", "2021-11-01T00:40:00+01:00"),
    # names no day: the permalink's day, no invented one
    ("2 mesi fa", None, "2021-11-01"),
    # an offset of 25 hours: unreadable (it failed the page), the permalink's day
    ("31 ott 2021 23:37:13 CEST+23", None, "2021-11-01"),
    # before year 1: unreadable (it failed the page)
    ("99999999 giorni fa", None, "2021-11-01"),
])
def test_byline_dates_as_other_jnews_sites_write_them(byline, now, published):
    item, _ = _changed("jnews-byline-date-utc", _sub("31 ott 2021 23:37:13 UTC", byline), now=now)
    assert item["published"] == published


def test_an_unreadable_lower_ranked_date_is_not_reported_when_a_higher_one_gave_the_field():
    stats = Stats()
    # the theme's JSON-LD gives both dates; the byline (ranked below) says nonsense
    item, expected = _changed("jnews-theme-jsonld-real-shape", _sub("11 Dicembre 2025</a>", "31 Febbraio 2025</a>"),
                              stats=stats)
    assert (item["published"], item["modified"]) == (expected["published"], expected["modified"])
    assert stats == {}
    # Yoast's graph gives both dates; the theme's JSON-LD (ranked below) cannot be read
    item, expected = _changed("jnews-title-site-suffix", _sub('"datePublished":"2026-11-02 11:36:00"',
                                                               '"datePublished":"domani"'), stats=stats)
    assert item["published"] == expected["published"] and stats == {}
    # the highest source unreadable: reported once, the next one gives the field
    _changed("jnews-theme-jsonld-real-shape", _sub('"datePublished":"2025-12-11 10:15:00"', '"datePublished":"x"'),
             stats=stats)
    assert stats == {"alanews/date/unreadable": 1}


def test_links_no_url_parser_reads_cost_only_themselves_on_listings_and_articles(caplog):
    """Protocol-relative links urljoin cannot read (``//[::1/``, a host NFKC turns into ``#``) failed
    the whole listing page or article; now each is ignored with a line and a stat."""
    from scrapy.utils.test import get_crawler

    from alanews.spiders.categories import EsteriSpider

    crawler = get_crawler(EsteriSpider, {"ALANEWS_BASE_URL": "https://www.alanews.it"})
    crawler._apply_settings()
    spider = EsteriSpider.from_crawler(crawler)
    url = "https://www.alanews.it/category/esteri/"
    listing = HtmlResponse(url=url, request=Request(url, meta={"alanews_category": "esteri"}), body=b"""<html><body><main>
        <article><h3><a href="//[::1/2026/01/01/esteri/x/">x</a></h3></article>
        <article><h3><a href="//www.alanews.it\xef\xbc\x83/2026/01/01/esteri/y/">y</a></h3></article>
        <article><h3><a href="/2026/01/01/esteri/one/">One</a></h3></article></main></body></html>""")
    requested = [r.url for r in spider.parse_listing(listing)]
    assert requested == ["https://www.alanews.it/2026/01/01/esteri/one/"]
    assert crawler.stats.get_value("alanews/links/not_article") == 2

    stats = Stats()
    item, expected = _changed("jnews-byline-date-utc", _sub(
        "</head>", '<meta property="og:image" content="//[::1/x.jpg" /><link rel="canonical" href="//[::1/x/" /></head>'),
        stats=stats)
    assert (item["url"], item["image_url"]) == (expected["url"], expected["image_url"])
    assert stats == {"alanews/links/not_url": 1, "alanews/canonical/conflict": 1}
    assert "Ignored '//[::1/x.jpg' on " in caplog.text


@pytest.mark.parametrize("fixture, change, field", [
    # a lazy-loaded player: WP Rocket's src="about:blank", the real one in data-src
    ("jnews-featured-slot-video", _sub("<iframe title=", '<iframe src="about:blank" data-src="https://www.youtube.com/'
                                                        'embed/fwA9kRbrrhG" title='), "video_url"),
    # a placeholder image as og:image, above the JSON-LD-less page's other candidates
    ("jnews-byline-date-utc", _sub('<meta property="og:image" content="',
                                   '<meta property="og:image" content="data:image/gif;base64,R0lGOD" /><meta name="x" '
                                   'content="'), "image_url"),
])
def test_an_image_or_video_candidate_that_is_no_http_url_costs_itself_not_the_article(fixture, change, field):
    """The schema takes only http(s) URLs: such a candidate made the whole article invalid, not written."""
    from alanews.validation import ARTICLE_SCHEMA, CompiledJSONSchemaValidator

    stats = Stats()
    item, expected = _changed(fixture, change, stats=stats)
    assert item[field] == expected[field] and item[field].startswith("https://")
    assert stats == {"alanews/links/not_url": 1}
    assert CompiledJSONSchemaValidator(ARTICLE_SCHEMA).validate({**item, "version": 1}) == (True, {})


@pytest.mark.parametrize("lang, language, reported", [
    ("it_IT", "it", False),  # a locale, as get_locale() writes it: "it_it" made the schema reject the article
    ("x-default", "it", True),  # no language at all: the site's, with a line and a stat
    ("en-GB", "en", False),
])
def test_the_html_lang_never_makes_the_article_invalid(lang, language, reported):
    from alanews.validation import ARTICLE_SCHEMA, CompiledJSONSchemaValidator

    stats = Stats()
    item, _ = _changed("jnews-byline-date-utc", _sub('lang="it-IT"', f'lang="{lang}"', 2), stats=stats)
    assert item["language"] == language
    assert stats == ({"alanews/article/bad_language": 1} if reported else {})
    assert CompiledJSONSchemaValidator(ARTICLE_SCHEMA).validate({**item, "version": 1}) == (True, {})


@pytest.mark.parametrize("body_class", [
    "postid-9223372036854775808",  # past SQLite's INTEGER: the state could not record it, every run failed
    "postid-0",  # the schema wants at least 1: the article was not written
])
def test_a_post_id_no_post_has_gives_way_to_the_next_candidate(body_class):
    from alanews.validation import ARTICLE_SCHEMA, CompiledJSONSchemaValidator

    stats = Stats()
    item, expected = _changed("jnews-byline-date-utc", _sub("postid-10276", body_class), stats=stats)
    assert item["post_id"] == expected["post_id"] == 10276  # the ?p= shortlink's
    assert stats == {"alanews/article/bad_post_id": 1}
    assert CompiledJSONSchemaValidator(ARTICLE_SCHEMA).validate({**item, "version": 1}) == (True, {})


def test_a_page_is_cut_short_only_when_it_ends_inside_its_content():
    """No </body> nor </html> at the end, and the content's element never closes: visibly incomplete."""
    from alanews.pages.markup import cut_short
    from replica import render

    for _, html in _replica_pages(20):
        page = html.encode()
        content = page.index(b'class="content-inner')
        assert not cut_short(page)
        assert cut_short(page[:content + 300]) and cut_short(render.cut_article(page))
        assert not cut_short(page[:page.index(b"jeg_footer", content)])  # cut after the content: whole
        assert not cut_short(page[:page.rindex(b"</html>")])  # </body> is there
    assert cut_short(b"<html><body><p>no theme, no end")


def test_a_page_cut_inside_its_content_is_cut_short_whatever_closing_tags_follow():
    """A proxy's appended ``</body></html>``, or closing tags in a comment or a script string:
    only real tags count, and the content must close."""
    from alanews.pages.markup import cut_short, ending

    for _, html in _replica_pages(5):
        page = html.encode()
        cut = page[:page.index(b'class="content-inner') + 300]
        assert cut_short(cut + b"</body></html>") and cut_short(cut + b"</html>")
        assert cut_short(cut + b"<!-- </div></div></div></body></html> -->")
        assert cut_short(cut + b"<script>document.write('</div></div></body>')")
        scripted = page.replace(b"<body", b"<script>var s = '</div></body></html>';</script><body", 1)
        assert cut_short(scripted[:scripted.index(b'class="content-inner') + 300])
        commented = page.replace(b"<body", b"<!-- <div class='entry-content'></div> --><body", 1)
        assert cut_short(commented[:commented.index(b'class="content-inner') + 300])
        assert ending(page) == "whole"
        assert ending(page[:page.index(b"jeg_footer", page.index(b"content-inner"))]) == "after_content"


@pytest.mark.parametrize("shown", ["10 dicembre 2025 - 08:05", "3 gennaio 2024"])
def test_a_byline_day_before_the_permalinks_is_no_modified_date(shown):
    """A post is not edited before it is published: the permalink's day stays published, modified none."""
    item, expected = _changed("seed-esteri-lavrov-markup-only",
                              _sub(">12 dicembre 2025 - 08:05</a>", f">{shown}</a>"))
    assert (item["published"], item.get("modified")) == (expected["published"], None) == ("2025-12-11", None)


@pytest.mark.parametrize("shown", ["31 Febbraio 2025", "dodici dicembre"])
def test_an_unreadable_byline_date_with_the_permalinks_day_counts_a_fallback(shown):
    stats = Stats()
    item, expected = _changed("seed-esteri-lavrov-markup-only",
                              _sub(">12 dicembre 2025 - 08:05</a>", f">{shown}</a>"), stats=stats)
    assert item["published"] == expected["published"] == "2025-12-11"
    assert stats["alanews/fallback/published"] == 1


@pytest.mark.parametrize("classes", ["box-commento", "commentary", "is-style-newsletter", "wp-caption-prose", "gwpd-box"])
def test_prose_in_a_box_whose_class_only_contains_a_plugins_name_is_body(classes):
    """Excluded boxes match whole class tokens (or a plugin's name and a suffix), never substrings."""
    first = "<p>Serghei Lavrov ha annunciato"
    item, expected = _changed("seed-esteri-lavrov-markup-only",
                              _sub(first, f'<div class="{classes}"><p>Un paragrafo vero.</p></div>{first}'))
    assert item["body"] == "Un paragrafo vero.\n\n" + expected["body"]


@pytest.mark.parametrize("box", [
    '<div id="ez_toc_container"><p>Indice dei contenuti</p></div>',
    '<form id="subscribe-blog-1"><p>Iscriviti alla newsletter</p></form>',
    '<div class="sfsi_widget"><p>Seguici sui social</p></div>',
])
def test_more_spellings_of_plugin_boxes_are_no_body(box):
    first = "<p>Serghei Lavrov ha annunciato"
    item, expected = _changed("seed-esteri-lavrov-markup-only", _sub(first, box + first))
    assert item["body"] == expected["body"]


@pytest.mark.parametrize(("box", "kept"), [
    ('<blockquote>Citazione.<p>Leggi anche: <a href="https://www.alanews.it/2026/01/01/esteri/x/">Altra</a></p>'
     '</blockquote>', "Citazione."),
    ('<ul><li>Punto uno<div class="sharedaddy">Condividi su Facebook</div></li></ul>', "Punto uno"),
    ('<blockquote><div id="ez-toc-container">Indice</div>Citazione vera</blockquote>', "Citazione vera"),
])
def test_a_box_inside_a_quote_or_list_item_is_no_body_and_the_text_around_it_is(box, kept):
    # the blocks inside a p/li/blockquote are no blocks of their own: their text joined the block's
    first = "<p>Serghei Lavrov ha annunciato"
    item, expected = _changed("seed-esteri-lavrov-markup-only", _sub(first, box + first))
    assert item["body"] == kept + "\n\n" + expected["body"]


@pytest.mark.parametrize("box", [
    '<h3>Leggi anche</h3><ul><li><a href="https://www.alanews.it/2026/01/01/esteri/uno/">Uno</a></li>'
    '<li><a href="https://www.alanews.it/2026/01/02/esteri/due/">Due</a></li></ul>',
    '<p>Leggi anche: <a href="https://www.alanews.it/2026/01/01/esteri/uno/">Uno</a> e '
    '<a href="https://www.alanews.it/2026/01/02/esteri/due/">Due</a></p>',
])
def test_a_see_also_heading_with_its_list_of_links_or_links_joined_by_and_is_no_body(box):
    first = "<p>Serghei Lavrov ha annunciato"
    item, expected = _changed("seed-esteri-lavrov-markup-only", _sub(first, box + first))
    assert item["body"] == expected["body"]


def test_a_heading_named_like_a_see_also_box_over_prose_is_body():
    first = "<p>Serghei Lavrov ha annunciato"
    box = "<h3>Leggi anche</h3><ul><li>Un punto vero del testo</li></ul>"
    item, expected = _changed("seed-esteri-lavrov-markup-only", _sub(first, box + first))
    assert item["body"] == "Leggi anche\n\nUn punto vero del testo\n\n" + expected["body"]
