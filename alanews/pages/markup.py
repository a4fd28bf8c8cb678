"""The page classes' view of HTML: plain lxml trees and pre-compiled selectors.

Why not parsel's Selector: on a 140 KB JNews page, ``lxml.html``'s element class lookup
(run for every element Python touches), a Selector object per match and a fresh XPath
evaluator per query cost more than the parse itself. The trees and queries here are the
same libxml2 ones parsel builds (same parser options, CSS translated by parsel's own
translator), compiled once per process.
"""

from __future__ import annotations

import itertools
import re
from functools import lru_cache
from typing import NamedTuple

from lxml import etree
from parsel.csstranslator import HTMLTranslator
from scrapy.http import TextResponse

# parsel's options for HTML: recover from broken markup, no size limit on text nodes
_PARSER = etree.HTMLParser(recover=True, encoding="utf8", huge_tree=True)
_TRANSLATOR = HTMLTranslator()

# smart_strings=False: results are plain str, not strings that keep their whole tree alive
STRING = etree.XPath("string()", smart_strings=False)


def utf8_body(response: TextResponse) -> bytes:
    """The body as UTF-8 bytes, as parsel feeds libxml2: stripped, NULs dropped.

    A UTF-8 body is used as it came (decoding and re-encoding 140 KB costs 0.1 ms);
    any other encoding goes through Scrapy's decoding.
    """
    if response.encoding.replace("-", "").lower() == "utf8":
        body = response.body.strip()
    else:
        body = response.text.strip().encode("utf8")
    return body.replace(b"\x00", b"") if b"\x00" in body else body


# Where text that is no markup begins: a comment, a script or a style (their ends are found with bytes.find)
_CODE_START = re.compile(rb"<!--|<script\b|<style\b", re.I)
_CODE_END = {b"<!--": b"-->", b"<script": b"</script", b"<style": b"</style"}
_DOCUMENT_END = re.compile(rb"</(?:body|html)\s*>", re.I)


def _markup(body: bytes) -> bytes:
    """``body`` without its comments, scripts and styles (one left open runs to the end): the
    tags left are real ones, not text that looks like a tag."""
    parts, pos, lower = [], 0, body.lower()
    for match in _CODE_START.finditer(body):
        if match.start() < pos:
            continue  # inside the code just skipped
        parts.append(body[pos:match.start()])
        close = _CODE_END[match.group().lower()]
        end = lower.find(close, match.end())
        if end < 0:
            return b"".join(parts)
        pos = end + len(close)
    parts.append(body[pos:])
    return b"".join(parts)


def ending(body: bytes) -> str:
    """How a page ends: ``"whole"`` (its content, the element of class ``entry-content``, closes,
    then ``</body>`` or ``</html>``), ``"after_content"`` (the content closes, the document does
    not: cut after it) or ``"cut"`` (the content never closes; a page without one: no
    ``</body>``/``</html>``).

    WordPress ends every page so; a page cut mid-body (a connection closed early, a cache that
    stored a partial copy) cannot be told from its end, and a proxy may append closing tags to a
    cut copy. So the rule is structural: comments, scripts and styles dropped, the content's start
    tag is found and its tag name's opens and closes are counted from there until it closes.
    """
    markup = _markup(body)
    start = _class_tag(markup, b"entry-content", 0)
    name = _TAG_NAME.match(markup, start) if start >= 0 else None
    if name is None:
        return "whole" if _DOCUMENT_END.search(markup) else "cut"
    depth = 0
    for tag in re.finditer(rb"<(/?)" + re.escape(name.group(1)) + rb"\b", markup[start:], re.I):
        depth += -1 if tag.group(1) else 1
        if depth == 0:
            return "whole" if _DOCUMENT_END.search(markup, start + tag.end()) else "after_content"
    return "cut"


def cut_short(body: bytes) -> bool:
    """Whether a page is visibly incomplete: its content is cut (:func:`ending`)."""
    return ending(body) == "cut"


def parse_bytes(body: bytes, base_url: str | None = None) -> etree._Element:
    """UTF-8 HTML to its root element; a blank or unparsable document is ``<html/>``.

    Plain ``etree`` elements: nothing references the response, so a parsed page is freed
    with its page object, at once, not at the cycle collector's next pass.
    """
    root = etree.fromstring(body, parser=_PARSER, base_url=base_url) if body else None
    return root if root is not None else etree.fromstring(b"<html/>", parser=_PARSER)


def parse_part(body: bytes, part: bytes | None, url: str, find, holds) -> tuple[etree._Element, dict, bool]:
    """``part`` (a region cut from ``body``) parsed, when the elements ``find`` gives ``holds``
    what the page class needs; else the whole ``body``. Returns (root, found, from_part)."""
    if part is not None:
        root = parse_bytes(part, url)
        found = find(root)
        if holds(found):
            return root, found, True
    root = parse_bytes(body, url)
    return root, find(root), False


# --- the parts of JNews pages that fields and links are read from --------------------------

# The rest of a start tag: its attributes, then ">". Possessive, and no "<" outside quotes: on
# broken markup a try fails at the next tag instead of backtracking through the page.
_ATTRIBUTES = rb"""(?:\s+[^\s<>"'=/]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s<>"']+))?)*+\s*/?>"""
_HEAD_SCAN = re.compile(rb"<(?:meta|link|html|title)\b|<script\b[^>]{0,300}?application/ld\+json|</head>")
_TAG_REST = re.compile(_ATTRIBUTES)
_TAG_NAME = re.compile(rb"<([A-Za-z][A-Za-z0-9]*)")
_BODY_TAG = re.compile(rb"<body\b")
_LD_JSON = b"application/ld+json"
_CLASS_DELIMITERS = b"\"' \t\n\r\f"
_MAX_TAG = 4096
_MAX_HEAD_TAGS = 1000


class _Head(NamedTuple):
    end: int  # where the first "</head>" starts
    html: bytes  # the last <html> start tag before it
    tags: list[bytes]  # its meta and link start tags, <title> and JSON-LD scripts, in page order


def _head(body: bytes) -> _Head | None:
    """The head, read in one pass up to the first ``</head>`` (most of a JNews head is a 57 KB
    inline style: one scan of it, not two); None without a ``</head>``, or past
    ``_MAX_HEAD_TAGS`` tags (a JNews head has ~40): such a page is read whole."""
    html, found = b"<html>", []  # (tag, where a script's "</script>" starts; -1 for the others)
    for count, match in enumerate(_HEAD_SCAN.finditer(body)):
        start, opening = match.start(), match.group()
        if opening == b"</head>":
            return _Head(start, html, [tag for tag, close in found if close < start])
        if count == _MAX_HEAD_TAGS:
            return None
        if opening.startswith((b"<script", b"<title")):
            end_tag = b"</script>" if opening.startswith(b"<script") else b"</title>"
            close = body.find(end_tag, match.end())
            if close >= 0:  # kept if it closes in the head
                found.append((body[start:close + len(end_tag)], close))
            continue
        tag = _start_tag(body, match)
        if tag is None:
            continue
        if tag.startswith(b"<html"):
            html = tag  # the real one follows IE conditional-comment copies
        else:
            found.append((tag, -1))
    return None


def _start_tag(body: bytes, match: re.Match, end: int | None = None) -> bytes | None:
    """The whole start tag whose ``<name`` is ``match``, or None if it does not close within
    ``_MAX_TAG`` bytes (and before ``end``)."""
    limit = match.start() + _MAX_TAG
    rest = _TAG_REST.match(body, match.end(), limit if end is None else min(end, limit))
    return body[match.start():rest.end()] if rest else None


def _body_tag(body: bytes, start: int, end: int) -> bytes:
    """The first whole ``<body ...>`` start tag between ``start`` and ``end``, or a bare one."""
    tags = (_start_tag(body, match, end) for match in itertools.islice(_BODY_TAG.finditer(body, start, end), 10))
    return next((tag for tag in tags if tag is not None), b"<body>")


def _ld_json_scripts(body: bytes, start: int, end: int) -> list[bytes]:
    found = []
    pos = body.find(_LD_JSON, start, end)
    while pos >= 0:
        open_tag = body.rfind(b"<script", start, pos)
        close = body.find(b"</script>", pos, end)
        if open_tag < 0 or close < 0:
            break
        found.append(body[open_tag:close + 9])
        pos = body.find(_LD_JSON, close, end)
    return found


def _class_tag(body: bytes, token: bytes, start: int, end: int = -1) -> int:
    """Where the start tag of the first element with class ``token`` begins, from ``start``; -1 if none.

    Occurrences in text, scripts or styles are skipped: the token must sit in a start tag's
    ``class`` attribute (the nearest ``<`` before it is not followed by a ``>`` first).
    """
    end = len(body) if end < 0 else end
    pos = body.find(token, start, end)
    while pos >= 0:
        # a start tag is short: looking back at most _MAX_TAG bytes keeps a page full of the
        # token in a long text linear, not quadratic
        tag_start = body.rfind(b"<", max(start, pos - _MAX_TAG), pos)
        after = pos + len(token)
        in_start_tag = tag_start >= 0 and body.find(b">", tag_start, pos) < 0 and b"class=" in body[tag_start:pos]
        if in_start_tag and body[pos - 1] in _CLASS_DELIMITERS and after < end and body[after] in _CLASS_DELIMITERS:
            return tag_start
        pos = body.find(token, pos + len(token), end)
    return -1


def _document(body: bytes, head: _Head, start: int, parts: list[bytes]) -> bytes:
    """A small document: the page's ``<html>`` and ``<body>`` start tags (the latter before
    ``start``), the head's meta, link, title and JSON-LD, then ``parts`` of the body."""
    body_tag = _body_tag(body, head.end, start)
    return b"".join((head.html, b"<head>", *head.tags, b"</head>", body_tag, *parts, b"</body></html>"))


# Where a post's parts start: the main column; in template 2 the breadcrumbs and header before
# the row that holds it; in custom (Elementor-built) templates, which have no main column, their
# breadcrumb and title blocks.
_POST_STARTS = (b"jeg_main_content", b"jeg_breadcrumbs", b"entry-header", b"jeg_custom_breadcrumb_wrapper",
                b"jeg_custom_title_wrapper")


# Measured on the bench's crawl, this cut and listing_region's save 7-14 % of its CPU (docs/performance.md).
def post_region(body: bytes) -> bytes | None:
    """A small document with what a JNews post's fields are read from, or None if the page has no such parts.

    The head's meta, link, title and JSON-LD, the post's column (from the first of ``_POST_STARTS`` to
    the sidebar, or else to the footer) and every JSON-LD script elsewhere. A 140 KB page gives
    ~25 KB: the parse and the walk over the elements cost a third of the whole page's. The rest
    of the page is menus, ads, widgets and scripts.
    """
    head = _head(body)
    starts = [p for p in (_class_tag(body, marker, head.end) for marker in _POST_STARTS) if p >= 0] if head else []
    if not starts:
        return None
    start = min(starts)
    end = _class_tag(body, b"jeg_sidebar", start)
    if end < 0:
        end = _class_tag(body, b"jeg_footer", start)
    if end < 0:
        end = len(body)
    return _document(body, head, start, [
        *_ld_json_scripts(body, head.end, start), body[start:end], *_ld_json_scripts(body, end, len(body))])


def listing_region(body: bytes, blocks: tuple[bytes, ...], required: bytes) -> bytes | None:
    """A small document with a listing page's ``blocks`` (class names), or None if the page cannot be cut.

    From the first block to the footer (the sidebar stays in: a block nested around it would
    be cut), with the head's links (``rel=next``). None when the ``required`` block is missing
    or any block also starts after the footer: then only the whole page tells the truth.
    A 146 KB JNews archive page gives ~35 KB; the rest is the head's inline CSS, menus and scripts.
    """
    head = _head(body)
    if head is None or _class_tag(body, required, head.end) < 0:
        return None
    start = min(p for p in (_class_tag(body, block, head.end) for block in blocks) if p >= 0)
    end = _class_tag(body, b"jeg_footer", start)
    if end < 0 or any(_class_tag(body, block, end) >= 0 for block in blocks):
        return None
    return _document(body, head, start, [body[start:end]])


@lru_cache(maxsize=None)
def css(query: str) -> etree.XPath:
    """A CSS query (parsel's dialect: ``::attr(name)``, ``::text``) compiled to an XPath."""
    return etree.XPath(_TRANSLATOR.css_to_xpath(query, prefix="descendant-or-self::"), smart_strings=False)


def select(elements, query: str) -> list:
    """``query`` (CSS) under each of ``elements``, results in order, as ``SelectorList.css``."""
    compiled = css(query)
    return [match for element in elements for match in compiled(element)]


def by_class(elements, names: frozenset[str], found: dict[str, list]) -> dict[str, list]:
    """Each of ``elements`` added to ``found[name]`` for every one of ``names`` among its class
    tokens, as CSS ``.name`` matches (whitespace-separated, case-sensitive); ``found`` returned.

    One pass over the page's elements finds every element the fields start from: a CSS query
    from the root costs a whole-document scan each. A set test on the split attribute is half
    the cost of a regex over it, and most class attributes hold none of ``names``."""
    for element in elements:
        classes = element.get("class")
        if classes and not names.isdisjoint(tokens := classes.split()):
            for token in dict.fromkeys(tokens):
                if token in names:
                    found.setdefault(token, []).append(element)
    return found


def strings(elements) -> list[str]:
    """The string value (all descendant text) of each element, as XPath ``string()``."""
    return [STRING(element) for element in elements]
