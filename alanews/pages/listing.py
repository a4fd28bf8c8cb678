"""ListingPage: the article links of a category archive page and its next page."""

from __future__ import annotations

from functools import cached_property

from lxml import etree
from scrapy.http import TextResponse

from alanews.pages.markup import css, parse_html

# Parts of a listing page whose links are not the archive's posts.
_NOISE = "jeg_sidebar jeg_footer jnews_category_hero_container jeg_navbar jeg_header jeg_megamenu".split()
_HERO = css(".jnews_category_hero_container article .jeg_post_title a::attr(href)")
_MAIN = css(".jnews_category_content_wrapper .jeg_posts article .jeg_post_title a::attr(href)")
_ANY_POST = etree.XPath(
    "//article[not(ancestor::*[" + " or ".join(f"contains(@class, '{c}')" for c in _NOISE) + "])]"
    "//*[self::h2 or self::h3]//a/@href", smart_strings=False)
_NEXT = css(".jeg_pagination a.page_nav.next::attr(href)")
_HEAD_NEXT = etree.XPath("//head/link[@rel='next']/@href", smart_strings=False)


class ListingPage:
    def __init__(self, response: TextResponse):
        self.response = response

    @cached_property
    def root(self) -> etree._Element:
        return parse_html(self.response)

    def hero_links(self) -> list[str]:
        # JNews category hero: the 4 newest posts, repeated on every page
        return _HERO(self.root)

    def main_links(self) -> list[str]:
        # the archive's own list of posts; if the theme's block is gone, any post
        # link inside an <article> outside the hero, menus, sidebar and footer
        return _MAIN(self.root) or _ANY_POST(self.root)

    def next_page(self) -> str | None:
        # JNews pagination's "Next", then <link rel="next"> in the head
        href = next(iter(_NEXT(self.root)), None) or next(iter(_HEAD_NEXT(self.root)), None)
        return self.response.urljoin(href) if href else None
