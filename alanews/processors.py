"""Pure functions that turn raw extracted strings into clean field values."""

from __future__ import annotations

import html
import re
from functools import lru_cache
from html.entities import html5
from urllib.parse import unquote_plus, urljoin, urlsplit, urlunsplit

from w3lib.url import canonicalize_url, safe_url_string

# Query parameters that only track a click; they never change the article.
_TRACKING_PARAMS = re.compile(r"^(utm_\w+|fbclid|gclid|mc_cid|mc_eid|amp)$", re.I)


def clean_text(value: str | None) -> str | None:
    """Fold every run of white space (nbsp included) to one space; None for blank text.

    Entities are not decoded here: the HTML parser already decoded the markup's text and
    attributes (a second pass would turn ``Sport&notizie`` into ``Sport¬izie``), and JSON-LD
    strings are decoded once where they are read (:func:`decode_entities`).
    """
    if value is None:
        return None
    # str.split() splits on what the regex \s+ matches (every code point checked), 4x faster
    text = " ".join(value.split())
    return text or None


# A whole character reference, as WordPress writes them into JSON-LD (&#8220;, &amp;): with its ";"
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


def _entity(match: re.Match) -> str:
    ref = match.group()
    if ref[1] == "#":
        return html.unescape(ref)
    return html5.get(ref[1:], ref)  # an unknown name stays as written ("&notizie;")


def decode_entities(text: str) -> str:
    """``text`` with its complete character references decoded, once: ``&amp;region=`` is
    ``&region=``, while ``Sport&notizie`` and ``&copy`` (no ``;``) stay as they are."""
    return _ENTITY.sub(_entity, text) if "&" in text else text


def canonical_url(url: str | None, base: str | None = None) -> str | None:
    """One spelling per URL: absolute, without tracking parameters or fragment; article paths
    keep a trailing slash.

    Scheme, host and path are w3lib's canonical form (``canonicalize_url``): host lower-cased,
    dot segments resolved, non-ASCII characters percent-encoded as UTF-8, escapes upper-cased
    (``%c3%a8`` and ``è`` give ``%C3%A8``), needless escapes of unreserved characters decoded
    (``%7E`` gives ``~``). The query keeps its own spelling and order (``?a`` stays ``?a``;
    w3lib's canonical form would sort it and write ``?a=``), less the tracking parameters.
    None for what is not an http(s) URL: another scheme, no host, a host or port that cannot be.
    """
    if not url:
        return None
    absolute = absolute_url(url.strip(), base)
    return _canonical_absolute(absolute) if absolute else None


_ABSOLUTE = re.compile(r"https?://", re.I)


def absolute_url(url: str, base: str | None) -> str | None:
    """``url`` joined to ``base``; an http(s) URL as it is (what urljoin would return, without its cost).

    None when urljoin cannot read it: a protocol-relative ``//[::1/...`` (an unclosed IPv6
    bracket), a host that NFKC normalisation turns into ``#`` or ``/``.
    """
    if not base or _ABSOLUTE.match(url):
        return url
    try:
        return urljoin(base, url)
    except ValueError:
        return None


# A crawl canonicalises each link ~6 times. 4,096 URLs (~1.6 MB, full ~1,300 articles into a crawl,
# flat after) answer 73% of the calls; 16,384 answer 82% for 6.4 MB, full only at ~5,000 articles.
# A URL w3lib leaves as it is: http(s), a lower-case ASCII host, an optional port, a path of
# unreserved characters without empty or dot segments, no query, no fragment. Almost every link
# of the site is so; w3lib's canonical form costs 60-70 us a URL (tests/test_processors.py checks
# that both give the same for every URL this matches).
_ALREADY_CANONICAL = re.compile(
    r"https?://[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*(?::(?P<port>[1-9][0-9]{0,4}))?"
    r"/(?:[A-Za-z0-9_~-][A-Za-z0-9._~-]*/)*(?:[A-Za-z0-9_~-][A-Za-z0-9._~-]*)?")


@lru_cache(maxsize=4096)
def _canonical_absolute(url: str) -> str | None:
    fast = _ALREADY_CANONICAL.fullmatch(url)
    if fast and int(fast["port"] or 0) <= 65535:
        return _with_slash(url)
    try:
        return _canonical_by_w3lib(url)
    except ValueError:  # a port out of range, an unclosed IPv6 bracket: not a URL
        return None


def _with_slash(url: str) -> str:
    """A trailing slash on a path whose last segment is not a file name (WordPress's permalinks)."""
    return url if url.endswith("/") or "." in url.rsplit("/", 1)[-1] else url + "/"


def _canonical_by_w3lib(url: str) -> str | None:
    parts = urlsplit(safe_url_string(url))  # unsafe characters escaped, existing escapes kept
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    scheme, netloc, path, _, _ = urlsplit(canonicalize_url(urlunsplit((*parts[:3], "", ""))))
    query = "&".join(field for field in parts.query.split("&")
                     if field and not _TRACKING_PARAMS.match(unquote_plus(field.split("=", 1)[0])))
    return urlunsplit((scheme, netloc, _with_slash(path), query, ""))


def join_blocks(blocks: list[str]) -> str | None:
    """Body text: paragraphs and sub-headings separated by one blank line."""
    texts = [t for t in (clean_text(b) for b in blocks) if t]
    return "\n\n".join(texts) or None


# A WordPress post id is an unsigned 64-bit integer: at most 20 digits.
_MAX_ID_DIGITS = 20
# The largest post id the state holds (an SQLite INTEGER); WordPress's ids start at 1.
MAX_POST_ID = 2**63 - 1
_DIGITS = "0123456789"


def post_id(value: str | int | None) -> int | None:
    """The WordPress post id from ``postid-123``, ``?p=123`` or a bare number: the digits that
    end the text; None without any, or with more than an id has (a page's junk, not an id).

    No regex: a search for trailing digits backtracks through every run of digits (quadratic
    on a 40 KB one), and ``int()`` refuses more than 4,300 digits.
    """
    if value is None:
        return None
    text = str(value).rstrip()
    digits = text[len(text.rstrip(_DIGITS)):]
    if not digits or len(digits) > _MAX_ID_DIGITS:
        return None
    return int(digits)
