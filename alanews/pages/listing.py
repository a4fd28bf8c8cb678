"""ListingPage: the article links of a category archive page and its next page."""

from __future__ import annotations

from functools import cached_property

from parsel import Selector
from scrapy.http import TextResponse

# Parts of a listing page whose links are not the archive's posts.
_NOISE = "jeg_sidebar jeg_footer jnews_category_hero_container jeg_navbar jeg_header jeg_megamenu".split()


class ListingPage:
    def __init__(self, response: TextResponse):
        self.response = response

    @cached_property
    def sel(self) -> Selector:
        # not response.selector: Scrapy's Selector and the response reference each other,
        # so a parsed page would wait for the garbage collector's next full pass
        return Selector(text=self.response.text, type="html", base_url=self.response.url)

    def hero_links(self) -> list[str]:
        # JNews category hero: the 4 newest posts, repeated on every page
        return self.sel.css(".jnews_category_hero_container article .jeg_post_title a::attr(href)").getall()

    def main_links(self) -> list[str]:
        # the archive's own list of posts; if the theme's block is gone, any post
        # link inside an <article> outside the hero, menus, sidebar and footer
        links = self.sel.css(
            ".jnews_category_content_wrapper .jeg_posts article .jeg_post_title a::attr(href)"
        ).getall()
        if links:
            return links
        noise = " or ".join(f"contains(@class, '{c}')" for c in _NOISE)
        return self.sel.xpath(
            f"//article[not(ancestor::*[{noise}])]//*[self::h2 or self::h3]//a/@href"
        ).getall()

    def next_page(self) -> str | None:
        # JNews pagination's "Next", then <link rel="next"> in the head
        href = self.sel.css(".jeg_pagination a.page_nav.next::attr(href)").get() or \
            self.sel.xpath("//head/link[@rel='next']/@href").get()
        return self.response.urljoin(href) if href else None
