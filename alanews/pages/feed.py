"""FeedPage: which posts a WordPress RSS 2.0 feed page lists, and whether it is a feed at all.

Discovery and identity only: each entry's permalink, post id and publication time. No article
field comes from the feed; every field comes from the article page.

The document is parsed by lxml as strict XML (never a recovering parse, which would read a cut
feed as a shorter good one), after three repairs that lose nothing a poller reads, each reported
in :attr:`FeedPage.defects`: bytes before the XML declaration (whitespace, a second BOM, PHP
warnings: "XML declaration allowed only at the start of the document", the best-known WordPress
feed fault) are skipped; characters XML 1.0 forbids (a form feed pasted into a post) are dropped;
bytes of a UTF-8 document that are not UTF-8 are replaced. feedparser is not used: it reads an
HTML page or a cut document as a feed with a ``bozo`` flag and no clear cause, and sanitises
every item's content we never read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from urllib.parse import parse_qs, urlsplit

from lxml import etree
from scrapy.http import Response
from w3lib.url import add_or_replace_parameter

from alanews.dates import parse_date
from alanews.processors import MAX_POST_ID, canonical_url, post_id

# Why a document is no usable feed (FeedPage.problem)
NOT_RSS = "not_rss"  # not XML, or XML that is no RSS 2.0 channel: an HTML page, a maintenance page
EMPTY = "empty"  # an RSS channel without any item
UNPARSEABLE = "unparseable"  # meant as RSS but not well-formed: cut short, or broken mid-way
# What was repaired to read it (FeedPage.defects)
PREAMBLE = "preamble"
CONTROL_CHARACTERS = "control_characters"
NOT_UTF8 = "not_utf8"

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True, remove_pis=True)
_BOM = b"\xef\xbb\xbf"
_PREAMBLE_LIMIT = 64 * 1024  # PHP warnings are a few hundred bytes; an HTML page is no feed
_XML_START = re.compile(rb"<\?xml\b|<!DOCTYPE\s+rss\b|<rss\b")
_HTML = re.compile(rb"<(?:!doctype\s+html|html|head|body)\b", re.I)
_DECLARED = re.compile(rb"""<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
# C0 controls other than tab, newline and carriage return: no XML 1.0 document may hold them
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_DC = "{http://purl.org/dc/elements/1.1/}"
_JETPACK_POST_ID = "{com-wordpress:feed-additions:1}post-id"


@dataclass(frozen=True)
class FeedEntry:
    url: str | None  # the permalink, canonical; None when the item names no http(s) URL
    post_id: int | None  # None when no source gives a post id any post can have
    published: datetime | None  # aware; None when missing or unreadable
    guid: str | None  # as the feed writes it


def _date(text: str | None) -> datetime | None:
    """A feed's date (RFC 822 ``pubDate``, W3C ``dc:date``) as an aware datetime; a day alone is None."""
    value = parse_date(text) if text else None
    return value if isinstance(value, datetime) else None


def _guid_post_id(guid: str | None) -> int | None:
    """The ``N`` of WordPress's ``<home>/?p=N`` guid (any host: a guid never changes, not even when
    the site moves); None for a guid of another shape (a permalink, a tag URI)."""
    if not guid:
        return None
    parts = urlsplit(guid.strip())
    values = parse_qs(parts.query).get("p")
    if parts.scheme not in ("http", "https") or parts.path not in ("", "/") or not values or len(values) > 1:
        return None
    return _post_id(values[0])


def _post_id(text: str | None) -> int | None:
    found = post_id(text) if text and text.strip().isdigit() else None
    return found if found is not None and 0 < found <= MAX_POST_ID else None


class FeedPage:
    """One page of a WordPress RSS 2.0 feed (``/feed/``, ``/category/<path>/feed/``, ``?paged=N``).

    The document is judged, whatever the HTTP status and Content-Type say (a feed after PHP
    warnings comes as text/html); the status is the spider's to judge.
    """

    def __init__(self, response: Response):
        self.response = response

    @cached_property
    def _document(self) -> tuple[etree._Element | None, str | None, str | None, dict[str, str]]:
        """(channel, problem, reason, defects): the channel None whenever there is a problem."""
        body = self.response.body
        defects: dict[str, str] = {}
        start = _XML_START.search(body, 0, _PREAMBLE_LIMIT)
        if start is None or _HTML.search(body, 0, start.start()):
            return None, NOT_RSS, f"not XML: it begins {body[:60]!r}" if body else "an empty body", defects
        skipped = body[:start.start()]
        if skipped not in (b"", _BOM):  # a single BOM is the encoding's signature, not a fault
            defects[PREAMBLE] = f"skipped {len(skipped)} bytes before the XML: {skipped[:80]!r}"
        data = body[start.start():]
        declared = _DECLARED.match(data)
        if (declared is None or declared[1].replace(b"-", b"").lower() == b"utf8") and not data.isascii():
            try:
                data.decode("utf-8")
            except UnicodeDecodeError:
                text = data.decode("utf-8", "replace")
                defects[NOT_UTF8] = f"replaced {text.count(chr(0xFFFD))} bytes that are not UTF-8"
                data = text.encode("utf-8")
        controls = len(_CONTROL.findall(data))
        if controls:
            defects[CONTROL_CHARACTERS] = f"dropped {controls} control characters XML does not allow"
            data = _CONTROL.sub(b"", data)
        try:
            root = etree.fromstring(data, _PARSER, base_url=self.response.url)
        except etree.XMLSyntaxError as error:
            return None, UNPARSEABLE, f"not well-formed XML: {error}", defects
        if root.tag != "rss":
            return None, NOT_RSS, f"an XML document whose root is <{etree.QName(root).localname}>, not <rss>", defects
        channel = root.find("channel")
        if channel is None:
            return None, NOT_RSS, "an <rss> document without <channel>", defects
        if channel.find("item") is None:
            return None, EMPTY, "an RSS channel without any item", defects
        return channel, None, None, defects

    @property
    def problem(self) -> str | None:
        """None for a usable feed page; else NOT_RSS, EMPTY or UNPARSEABLE."""
        return self._document[1]

    @property
    def reason(self) -> str | None:
        """One line saying why the page is no usable feed (None when it is)."""
        return self._document[2]

    @property
    def defects(self) -> dict[str, str]:
        """What was repaired to read the page (PREAMBLE, CONTROL_CHARACTERS, NOT_UTF8), each with a
        line saying what; the page may still have a problem."""
        return dict(self._document[3])

    def entries(self) -> list[FeedEntry]:
        """The items, in the feed's order (WordPress's: newest publication first); [] when unusable."""
        channel = self._document[0]
        if channel is None:
            return []
        return [FeedEntry(self._url(item), self._post_id(item), self._published(item), item.findtext("guid"))
                for item in channel.iterfind("item")]

    def _url(self, item) -> str | None:
        # <link>: the permalink, on every WordPress item
        link = item.findtext("link")
        if link and link.strip():
            return canonical_url(link, self.response.url)
        # a guid that is a permalink (isPermaLink absent or "true", RSS 2.0's default)
        guid = item.find("guid")
        if guid is not None and guid.get("isPermaLink", "true").strip().lower() == "true" and guid.text:
            return canonical_url(guid.text, self.response.url)
        return None

    @staticmethod
    def _post_id(item) -> int | None:
        # Jetpack's <post-id xmlns="com-wordpress:feed-additions:1">: the id itself
        # then WordPress core's guid, <home>/?p=N, given at publication and kept through renames
        return _post_id(item.findtext(_JETPACK_POST_ID)) or _guid_post_id(item.findtext("guid"))

    @staticmethod
    def _published(item) -> datetime | None:
        # pubDate (RFC 822, WordPress's in GMT), then Dublin Core's dc:date (W3C)
        return _date(item.findtext("pubDate")) or _date(item.findtext(f"{_DC}date"))

    def last_build_date(self) -> datetime | None:
        """When the feed was last changed, by its own word (aware); None when unusable or unsaid."""
        channel = self._document[0]
        if channel is None:
            return None
        # lastBuildDate: the newest modification among the page's posts (WordPress 5.2+), then
        # the channel's pubDate (older WordPress)
        return _date(channel.findtext("lastBuildDate")) or _date(channel.findtext("pubDate"))

    @property
    def page_number(self) -> int:
        """The page this is: WordPress's ``?paged=N`` (its ``absint``), 1 without it."""
        value = (parse_qs(urlsplit(self.response.url).query).get("paged") or [""])[0]
        digits = re.match(r"\s*[+-]?(\d+)", value)
        return max(1, int(digits[1])) if digits else 1


def feed_page_url(feed_url: str, number: int) -> str:
    """Page ``number`` of the feed at ``feed_url``: WordPress's ``?paged=N`` on the feed's own URL (a
    ``rel=next`` link a plugin writes is not followed: it may name page 1 or another host)."""
    return add_or_replace_parameter(feed_url, "paged", str(number)) if number > 1 else feed_url
