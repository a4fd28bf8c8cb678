"""ListingPage: the article links of a category archive page and its next page."""

from __future__ import annotations

from functools import cached_property

from lxml import etree
from scrapy.http import TextResponse

from alanews.pages.markup import by_class, listing_region, parse_part, select, utf8_body
from alanews.processors import canonical_url

# Parts of a listing page whose links are not the archive's posts.
_NOISE = ["jeg_sidebar", "jeg_footer", "jnews_category_hero_container", "jeg_navbar", "jeg_header", "jeg_megamenu"]
_ANY_POST = etree.XPath(
    "//article[not(ancestor::*[" + " or ".join(f"contains(@class, '{c}')" for c in _NOISE) + "])]"
    "//*[self::h2 or self::h3]//a/@href", smart_strings=False)
_HEAD_NEXT = etree.XPath("/html/head/link[@rel='next']/@href", smart_strings=False)
# The theme's blocks the links are read from, found in one pass over the page (a CSS query
# from the root costs a whole-document scan each: ~0.3 ms on a 140 KB page).
_BLOCKS = ("jnews_category_hero_container", "jnews_category_content_wrapper", "jeg_pagination")
_BLOCK_SET = frozenset(_BLOCKS)
_BLOCK_NAMES = tuple(block.encode() for block in _BLOCKS)
_ARCHIVE_LIST = b"jnews_category_content_wrapper"  # without it, the fallback needs the whole page


def _find_blocks(root) -> dict[str, list]:
    return by_class(root.iter(etree.Element), _BLOCK_SET, {})


class ListingPage:
    def __init__(self, response: TextResponse):
        self.response = response

    @cached_property
    def _tree(self) -> tuple[etree._Element, dict[str, list], bool]:
        """The parsed page, its blocks, and whether that is the listing region or the whole page.

        The region (see :func:`listing_region`) is used when it holds the archive's list;
        otherwise (another layout) the whole page is parsed.
        """
        body = utf8_body(self.response)
        return parse_part(body, listing_region(body, _BLOCK_NAMES, _ARCHIVE_LIST), self.response.url,
                          _find_blocks, lambda blocks: _ARCHIVE_LIST.decode() in blocks)

    @property
    def from_region(self) -> bool:
        """Whether the links are read from the listing region (else from the whole page)."""
        return self._tree[2]

    @property
    def root(self) -> etree._Element:
        return self._tree[0]

    @property
    def blocks(self) -> dict[str, list]:
        """The theme's hero, archive list and pagination elements (by class), in page order."""
        return self._tree[1]

    def _within(self, block: str, query: str) -> list[str]:
        """CSS ``query`` (which starts with ``.block``) as if run on the whole page: run on the
        outermost ``block`` elements only, whose subtrees are disjoint and in page order."""
        blocks = self.blocks.get(block, [])
        members = set(blocks)  # lxml hands out one proxy per element while it is referenced
        outermost = [b for b in blocks if not any(other in members for other in b.iterancestors())]
        return select(outermost, query)

    def hero_links(self) -> list[str]:
        # JNews category hero: the 4 newest posts, repeated on every page
        return self._within("jnews_category_hero_container",
                            ".jnews_category_hero_container article .jeg_post_title a::attr(href)")

    def main_links(self) -> list[str]:
        # the archive's own list of posts; if the theme's block is gone, any post
        # link inside an <article> outside the hero, menus, sidebar and footer
        return self._within("jnews_category_content_wrapper",
                            ".jnews_category_content_wrapper .jeg_posts article .jeg_post_title a::attr(href)") \
            or _ANY_POST(self.root)

    def next_page(self) -> str | None:
        """The next page's URL (canonical), None on the last page.

        Raises ValueError, with the link as its argument, when the link is no http(s) URL.
        """
        # JNews pagination's "Next", then <link rel="next"> in the head
        href = next(iter(self._within("jeg_pagination", ".jeg_pagination a.page_nav.next::attr(href)")), None) \
            or next(iter(_HEAD_NEXT(self.root)), None)
        if not href:
            return None
        url = canonical_url(href, self.response.url)
        if url is None:
            raise ValueError(href)
        return url
