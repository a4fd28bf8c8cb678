"""The replica's RSS 2.0 feeds, as WordPress core's ``wp-includes/feed-rss2.php`` writes them,
with Yoast SEO's "L'articolo ... proviene da ..." footer, and the ways real feeds go wrong.

Routes: ``/feed/`` (every published post) and ``/category/<path>/feed/`` (the posts of that
category's archive, subcategories and cross-listings included), 10 items a page (WordPress's
"Syndication feeds show the most recent" default), newest first by publication; older pages at
``?paged=2``, 3, ...; a page past the last answers WordPress's 404 (the theme's HTML page: a
paged query that found no posts); ``/feed`` and ``/category/<path>/feed`` 301 to the slashed URL.

Per item, as core writes it: the title (escaped text, ``wptexturize``'s entities), ``link`` (the
permalink), ``comments``, ``dc:creator`` (CDATA), ``pubDate`` (the publication in GMT, RFC 822:
``Fri, 20 Nov 2026 19:32:00 +0000``), one ``<category><![CDATA[...]]>`` per category then per tag,
``guid isPermaLink="false"`` (``<base>/?p=<post id>``: given at publication, so a renamed post
keeps it), ``description`` (the 55-word auto-excerpt, CDATA), ``content:encoded`` (the post's
content, CDATA) unless the site's "For each post in a feed, include" is "Summary"
(``rss_use_excerpt``: ``python -m replica --feed-summary``), ``wfw:commentRss``,
``slash:comments``, and an ``enclosure`` for a post that links an mp4. The channel has title, link
(the home URL), description (the tagline), ``lastBuildDate`` (the newest ``post_modified_gmt`` among
the page's posts), language, ``sy:updatePeriod``/``sy:updateFrequency``, ``atom:link rel="self"``
(the requested URL), the generator and the site icon's ``<image>`` (whose ``<link>`` and
``<title>`` are the channel's, not an item's). Answers carry WordPress's ``Last-Modified`` (the
site's newest post date or modification, GMT) and ``ETag``, and a matching conditional request gets
304, as ``WP::send_headers`` does.

Faults (:data:`FAULTS`; ``python -m replica --feed-fault NAME``, or on a running replica
``POST /__replica__/feed?fault=NAME[&paged=N][&hours=H]``, ``fault=none`` to clear; ``paged=N``
limits it to that page of every feed) are what a poller meets on real WordPress sites.
``GET /__replica__/feed.json?category=PATH&paged=N`` is the truth: the items the live feed page
holds (what a correct feed says, whatever fault is on), from the model the pages come from.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from . import render
from .model import CATEGORY_NAMES, END, Article, Site

PER_PAGE = 10  # WordPress's posts_per_rss default
GENERATOR = "https://wordpress.org/?v=6.4.3"  # the version the pages' generator meta names
ICON = "/wp-content/uploads/2021/03/cropped-favicon-alanews-32x32.png"
EXCERPT_WORDS = 55  # wp_trim_excerpt's excerpt_length
# the_author() of a post the theme shows without a byline: WordPress always has a post author
NO_BYLINE_AUTHOR = "redazione"
STALE_HOURS = 48.0

FAULTS: dict[str, str] = {
    "missing": "404, the theme's not-found page (a plugin turned the feeds off)",
    "disabled": "301 to the page the feed is of: the home page or the category archive "
                "(the Disable Feeds plugin, Yoast's crawl optimisation)",
    "html": "200, the home page's HTML instead of the feed (a cache or rewrite gone wrong)",
    "maintenance": "503 with Retry-After, WordPress's maintenance page (an update under way)",
    "maintenance-plugin": "200, a maintenance-mode plugin's HTML page",
    "empty": "200, the channel with no item",
    "cut": "200, the feed cut in the middle of an item, its Content-Length that of the cut copy "
           "(a cache stored a truncated copy)",
    "dataloss": "the whole feed's Content-Length, the connection closed half way through the body",
    "fatal": "200, the feed stops half way with a PHP fatal error (memory exhausted)",
    "stale": "200, the feed as it was HOURS (default 48) before the newest post when the fault was "
             "set: a caching plugin serving an old copy, its headers and lastBuildDate as old",
    "bom": "a UTF-8 byte order mark before the XML declaration (a plugin file saved with one)",
    "whitespace": "a blank line before the XML declaration (a newline after ?> in functions.php): "
                  "'XML declaration allowed only at the start of the document'",
    "php-warning": "two PHP warnings before the XML declaration, and so (headers already sent) "
                   "Content-Type text/html and no Last-Modified",
    "control-char": "a form feed (U+000C, pasted from a word processor) in the first item: "
                    "not an XML 1.0 character, strict parsers reject the document",
    "stray-byte": "a windows-1252 byte (0x92) in the first item: the UTF-8 document is not UTF-8",
    "moved": "301 to the same feed on another host name (localhost for 127.0.0.1): a feed moved to another host",
    "future-date": "the first item's pubDate in 2099 (a garbled or mistyped date)",
    "no-dates": "no item has a pubDate (a feed template that drops it)",
    "https-links": "every item's link and guid with https for http (a site half moved to https, its feed's home URL)",
    "proxy-links": "every item's link through a feed proxy's host (FeedBurner's feedproxy.google.com/~r/...)",
    "paged-ignored": "every ?paged=N answers page 1 (a cache whose key drops the query string)",
    "next-link": "an atom:link rel=\"next\" naming the feed's page 1 (a paging plugin misconfigured)",
}
# Faults whose answer is the feed template's output: WordPress's headers and conditional GET apply.
_TEMPLATE_FAULTS = frozenset(("empty", "cut", "dataloss", "fatal", "stale", "bom", "whitespace",
                              "control-char", "stray-byte", "paged-ignored", "next-link", "future-date",
                              "no-dates", "https-links", "proxy-links"))

_FEED_RE = re.compile(r"^(?:/category/(?P<path>[a-z0-9\-]+(?:/[a-z0-9\-]+)*))?/feed(?P<slash>/?)$")
_PAGED_RE = re.compile(r"\s*[+-]?(\d+)")


def rfc822(dt: datetime) -> str:
    """``mysql2date('D, d M Y H:i:s +0000', ..._gmt, false)``: English names, GMT."""
    return dt.astimezone(timezone.utc).strftime("%a, %d %b %Y %H:%M:%S +0000")


def http_date(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).strftime("%a, %d %b %Y %H:%M:%S GMT")


def paged(query: str) -> int:
    """WordPress's ``absint($paged)``, 1 for anything below 2."""
    value = (parse_qs(query).get("paged") or [""])[0]
    m = _PAGED_RE.match(value)
    return max(1, int(m[1])) if m else 1


def guid(a: Article, base: str) -> str:
    return f"{base}/?p={a.post_id}"


def categories(a: Article) -> list[str]:
    """``get_the_category_rss``: the post's categories, then its tags, each name once."""
    names = [CATEGORY_NAMES[a.category_path], *(CATEGORY_NAMES[p] for p in a.listed_in), *a.tags]
    return list(dict.fromkeys(names))


def creator(a: Article) -> str:
    return a.author or NO_BYLINE_AUTHOR


def feed_entry(a: Article, base: str) -> dict:
    """What the feed says of a post: the truth of ``/__replica__/feed.json``."""
    return {"url": a.url(base), "post_id": a.post_id, "guid": guid(a, base),
            "published": a.published.astimezone(timezone.utc).isoformat(),
            "modified": a.modified.astimezone(timezone.utc).isoformat(),
            "title": a.title, "creator": creator(a), "categories": categories(a)}


def _title_rss(text: str) -> str:
    """``the_title_rss``: texturized, tags stripped, escaped (``&`` as wptexturize's ``&#038;``)."""
    return render.t(text).replace("&amp;", "&#038;")


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]&gt;") + "]]>"


def _excerpt(a: Article) -> str:
    """``wp_trim_excerpt``: the content's text, 55 words, then `` [&#8230;]``."""
    words = render.t(" ".join(text for _, text in a.blocks)).split()
    more = " [&#8230;]" if len(words) > EXCERPT_WORDS else ""
    return " ".join(words[:EXCERPT_WORDS]) + more


def _yoast_footer(a: Article, base: str) -> str:
    return (f'<p>L&#8217;articolo <a rel="nofollow" href="{render.a_(a.url(base))}">{render.t(a.title)}</a> '
            f'proviene da <a rel="nofollow" href="{base}">{render.SITE_NAME}</a>.</p>')


def _content(a: Article, base: str) -> str:
    """``the_content``: the post's paragraphs and headings (wpautop), its video, Yoast's footer."""
    parts = []
    if a.video_kind == "iframe":
        parts.append(f'<p><iframe loading="lazy" title="{render.a_(a.title)}" width="500" height="281" '
                     f'src="{a.video_src(base)}?feature=oembed" frameborder="0" allow="accelerometer; autoplay; '
                     f'clipboard-write; encrypted-media; gyroscope; picture-in-picture; web-share" '
                     f'referrerpolicy="strict-origin-when-cross-origin" allowfullscreen></iframe></p>')
    elif a.video_kind == "video":
        src = a.video_src(base)
        parts.append(f'<div style="width: 640px;" class="wp-video"><video class="wp-video-shortcode" '
                     f'id="video-{a.post_id}-1" width="640" height="360" preload="metadata" controls="controls">'
                     f'<source type="video/mp4" src="{src}?_=1" /><a href="{src}">{src}</a></video></div>')
    parts += [f"<{kind}>{render.t(text)}</{kind}>" for kind, text in a.blocks]
    parts.append(_yoast_footer(a, base))
    return "\n".join(parts)


def _item(a: Article, base: str, summary: bool) -> str:
    url = a.url(base)
    cats = "".join(f"\t\t<category>{_cdata(name)}</category>\n" for name in categories(a))
    excerpt = f"<p>{_excerpt(a)}</p>\n{_yoast_footer(a, base)}"
    body = f"\t\t\t\t\t<description>{_cdata(excerpt)}</description>\n"
    if not summary:
        body += f"\t\t\t\t\t\t\t\t\t\t<content:encoded>{_cdata(_content(a, base))}</content:encoded>\n"
    enclosure = ""
    if a.video_kind == "video":
        enclosure = (f'<enclosure url="{escape(a.video_src(base))}" length="{10_000_000 + a.post_id * 997}" '
                     f'type="video/mp4" />\n')
    return (f"\t<item>\n\t\t<title>{_title_rss(a.title)}</title>\n\t\t<link>{escape(url)}</link>\n"
            f"\t\t\t\t\t<comments>{escape(url)}#respond</comments>\n\t\t\n"
            f"\t\t<dc:creator>{_cdata(creator(a))}</dc:creator>\n"
            f"\t\t<pubDate>{rfc822(a.published)}</pubDate>\n"
            f"\t\t\t\t{cats.lstrip()}"
            f'\t\t<guid isPermaLink="false">{escape(guid(a, base))}</guid>\n\n'
            f"{body}\t\t\t\t\t\n"
            f"\t\t\t\t\t<wfw:commentRss>{escape(url)}feed/</wfw:commentRss>\n"
            f"\t\t\t<slash:comments>0</slash:comments>\n\t\t\n\t\t{enclosure}\n\t\t\t</item>\n")


def render_feed(posts: list[Article], *, title: str, self_url: str, base: str, summary: bool,
                build_date: datetime | None) -> str:
    """One feed page of ``posts`` (newest first), as feed-rss2.php prints it."""
    built = rfc822(build_date) if build_date else rfc822(datetime.now(timezone.utc))
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"\n'
        '\txmlns:content="http://purl.org/rss/1.0/modules/content/"\n'
        '\txmlns:wfw="http://wellformedweb.org/CommentAPI/"\n'
        '\txmlns:dc="http://purl.org/dc/elements/1.1/"\n'
        '\txmlns:atom="http://www.w3.org/2005/Atom"\n'
        '\txmlns:sy="http://purl.org/rss/1.0/modules/syndication/"\n'
        '\txmlns:slash="http://purl.org/rss/1.0/modules/slash/"\n\t>\n\n'
        f"<channel>\n\t<title>{_title_rss(title)}</title>\n"
        f'\t<atom:link href="{escape(self_url).replace("&amp;", "&#038;")}" rel="self" type="application/rss+xml" />\n'
        f"\t<link>{escape(base)}</link>\n\t<description>{_title_rss(render.SITE_DESC)}</description>\n"
        f"\t<lastBuildDate>{built}</lastBuildDate>\n\t<language>it-IT</language>\n"
        "\t<sy:updatePeriod>\n\thourly\t</sy:updatePeriod>\n\t<sy:updateFrequency>\n\t1\t</sy:updateFrequency>\n"
        f"\t<generator>{GENERATOR}</generator>\n\n"
        f"<image>\n\t<url>{base}{ICON}</url>\n\t<title>{render.SITE_NAME}</title>\n\t<link>{base}</link>\n"
        "\t<width>32</width>\n\t<height>32</height>\n</image> \n"
        + "".join(_item(a, base, summary) for a in posts)
        + "\t</channel>\n</rss>\n")


# ------------------------------------------------------------ fault bodies
_PHP_WARNINGS = (
    '<br />\n<b>Warning</b>:  Undefined array key "HTTP_ACCEPT_LANGUAGE" in '
    "<b>/var/www/html/wp-content/plugins/lingua-auto/lingua-auto.php</b> on line <b>42</b><br />\n"
    "<br />\n<b>Warning</b>:  Cannot modify header information - headers already sent by (output started at "
    "/var/www/html/wp-content/plugins/lingua-auto/lingua-auto.php:42) in "
    "<b>/var/www/html/wp-includes/feed-rss2.php</b> on line <b>8</b><br />\n").encode()
_PHP_FATAL = ("<br />\n<b>Fatal error</b>:  Allowed memory size of 134217728 bytes exhausted (tried to allocate "
              "20480 bytes) in <b>/var/www/html/wp-includes/formatting.php</b> on line <b>5261</b><br />\n").encode()


def _wp_die(title: str, message: str) -> bytes:
    """WordPress's wp_die() page (the maintenance page is one)."""
    return (f'<!DOCTYPE html>\n<html lang="it-IT">\n<head>\n\t<meta http-equiv="Content-Type" content="text/html; '
            f'charset=utf-8" />\n\t<meta name="viewport" content="width=device-width">\n\t<meta name=\'robots\' '
            f"content='max-image-preview:large, noindex, follow' />\n\t<title>{title}</title>\n"
            f'\t<style type="text/css">html {{ background: #f1f1f1; }} body {{ background: #fff; }}</style>\n'
            f'</head>\n<body id="error-page">\n\t<div class="wp-die-message">{message}</div></body>\n</html>\n').encode()


MAINTENANCE_PAGE = _wp_die("Manutenzione", "Temporaneamente non disponibile per manutenzione programmata. "
                                           "Ricontrolla tra un minuto.")
MAINTENANCE_PLUGIN_PAGE = (
    '<!DOCTYPE html>\n<html lang="it-IT">\n<head>\n<meta charset="UTF-8">\n<title>Sito in manutenzione - Alanews</title>\n'
    '<meta name="robots" content="noindex, nofollow">\n</head>\n<body class="wpmm">\n<div class="wrap">\n'
    "<h1>Sito in manutenzione</h1>\n<p>Stiamo lavorando per migliorare il sito. Torneremo online a breve.</p>\n"
    "</div>\n</body>\n</html>\n").encode()


def _first_item_text(feed: bytes) -> int:
    """Offset of the first item's description text."""
    marker = b"<description><![CDATA[<p>"
    return feed.index(marker) + len(marker)


def _inside(feed: bytes, marker: bytes, past: int) -> int:
    """``past`` bytes after the first ``marker`` of the feed's second half (else of the whole feed;
    else its middle): where a cut leaves the document inside an item."""
    at = feed.find(marker, len(feed) // 2)
    at = feed.find(marker) if at < 0 else at
    return at + past if at >= 0 else len(feed) // 2


def _cut_point(feed: bytes) -> int:
    """Inside an item's guid tag: a truncated copy ends anywhere."""
    return _inside(feed, b"<guid", 7)


def _fatal_point(feed: bytes) -> int:
    """Inside an item's text: PHP ran out of memory texturizing it."""
    return _inside(feed, b"<![CDATA[<p>", 40)


@dataclass
class Fault:
    name: str
    paged: int | None = None  # only this page of each feed; None: every page
    hours: float = STALE_HOURS
    before: datetime | None = None  # stale: the copy holds the posts published up to this time

    def applies(self, page: int) -> bool:
        return self.paged is None or self.paged == page


class Feeds:
    """The feeds of a :class:`replica.server.Replica` and their fault switch."""

    def __init__(self, replica, summary: bool = False):
        self.replica = replica
        self.summary = summary
        self.fault: Fault | None = None

    @property
    def site(self) -> Site:
        return self.replica.site

    def set_fault(self, name: str | None, paged: int | None = None, hours: float | None = None) -> dict:
        """Switch a fault on (``name`` in :data:`FAULTS`) or off (None, "none"). ValueError: unknown name."""
        if name in (None, "", "none"):
            self.fault = None
            return self.state()
        if name not in FAULTS:
            raise ValueError(f"unknown feed fault {name!r}; known: {', '.join(FAULTS)}")
        fault = Fault(name, paged, STALE_HOURS if hours is None else hours)
        if name == "stale":
            with self.replica.lock:
                newest = max((a.published for a in self.site.by_id.values()), default=END)
            fault.before = newest.astimezone(timezone.utc) - timedelta(hours=fault.hours)  # not wall-clock time
        self.fault = fault
        return self.state()

    def state(self) -> dict:
        f = self.fault
        return {"fault": f.name if f else None, "paged": f.paged if f else None,
                "stale_before": f.before.astimezone(timezone.utc).isoformat() if f and f.before else None,
                "summary": self.summary}

    # ---- the model's posts
    def posts(self, category: str | None, before: datetime | None = None) -> list[Article]:
        """Every post the feed lists, newest first: all (``/feed/``) or the category archive's."""
        with self.replica.lock:
            posts = self.site.articles if category is None else self.site.archive(category)
        if before is not None:
            posts = [a for a in posts if a.published <= before]
        return posts

    def page(self, category: str | None, page: int, before: datetime | None = None) -> list[Article] | None:
        """Posts of feed page ``page``; None past the last (page 1 always exists, maybe empty)."""
        posts = self.posts(category, before)
        chunk = posts[(page - 1) * PER_PAGE: page * PER_PAGE]
        return chunk if chunk or page == 1 else None

    def last_modified(self, before: datetime | None = None) -> datetime | None:
        """``get_lastpostmodified('GMT')``: the newest post date or modification of the site (of
        the stale copy's, ``before``, when it was made)."""
        with self.replica.lock:
            posts = [a for a in self.site.by_id.values() if before is None or a.published <= before]
        return _at_most(max((max(a.published, a.modified) for a in posts), default=None), before)

    def render(self, category: str | None, page: int, self_url: str, before: datetime | None = None,
               empty: bool = False) -> bytes | None:
        posts = self.page(category, page, before)
        if posts is None:
            return None
        if empty:
            posts = []
        base = self.replica.base_url
        title = render.SITE_NAME if category is None else f"{CATEGORY_NAMES[category]} Archivi - {render.SITE_NAME}"
        build = _at_most(max((a.modified for a in posts), default=None), before) or self.last_modified(before)
        return render_feed(posts, title=title, self_url=self_url, base=base, summary=self.summary,
                           build_date=build).encode("utf-8")

    # ---- HTTP
    def serve(self, h, u, head_only: bool) -> bool:
        """Answer ``u`` on handler ``h`` if it is a feed or the feed truth; False lets the site answer."""
        if u.path == "/__replica__/feed.json":
            self._truth(h, u, head_only)
            return True
        m = _FEED_RE.match(u.path)
        if not m or (m["path"] is not None and m["path"] not in CATEGORY_NAMES):
            return False
        r, path, category = self.replica, u.path, m["path"]
        base = r.base_url
        if not m["slash"]:
            r.count("feed", path, 301)
            h._redirect(base + path + "/" + (f"?{u.query}" if u.query else ""), head_only)
            return True
        page = paged(u.query)
        fault = self.fault if self.fault and self.fault.applies(page) else None
        name = fault.name if fault else None
        if name == "missing":
            r.count("feed", path, 404)
            h._not_found(head_only)
            return True
        if name == "moved":
            r.count("feed", path, 301)
            h._redirect(base.replace("127.0.0.1", "localhost", 1) + path + (f"?{u.query}" if u.query else ""),
                        head_only)
            return True
        if name == "disabled":
            r.count("feed", path, 301)
            h._redirect(render.cat_url(base, category) if category else base + "/", head_only)
            return True
        if name in ("html", "maintenance", "maintenance-plugin"):
            status = 503 if name == "maintenance" else 200
            body = {"html": r.home(), "maintenance": MAINTENANCE_PAGE,
                    "maintenance-plugin": MAINTENANCE_PLUGIN_PAGE}[name]
            r.count("feed", path, status)
            h._send(status, body, headers={"Retry-After": "600"} if status == 503 else None, head_only=head_only)
            return True
        before = fault.before if name == "stale" else None
        if name == "paged-ignored":
            page = 1
        self_url = base + path + (f"?{u.query}" if u.query else "")
        state = (name, before, self.summary)
        body = r._cached(("feed", category, page, self_url, state),
                         lambda: self.render(category, page, self_url, before, empty=name == "empty"))
        if body is None:
            r.count("feed", path, 404)
            h._not_found(head_only)
            return True
        headers = {"X-Robots-Tag": "noindex, follow"}
        ctype = "application/rss+xml; charset=UTF-8"
        if name is None or name in _TEMPLATE_FAULTS:
            modified = http_date(self.last_modified(before) or datetime.now(timezone.utc))
            etag = '"' + hashlib.md5(modified.encode(), usedforsecurity=False).hexdigest() + '"'
            headers.update({"Last-Modified": modified, "ETag": etag})
            if _not_modified(h.headers, modified, etag):
                r.count("feed", path, 304)
                h._send(304, b"", ctype, headers=headers, head_only=True)
                return True
        body = self._damaged(body, name)
        if name == "next-link":
            self_link = b' rel="self" type="application/rss+xml" />'
            body = body.replace(self_link, self_link + f'\n\t<atom:link href="{base}{path}" rel="next" />'.encode(), 1)
        if name == "php-warning":
            ctype, headers = "text/html; charset=UTF-8", {}
        r.count("feed", path, 200)
        if name == "dataloss":
            self._send_short(h, body, ctype, headers, head_only)
        else:
            h._send(200, body, ctype, headers=headers, head_only=head_only)
        return True

    @staticmethod
    def _damaged(body: bytes, name: str | None) -> bytes:
        if name == "cut":
            return body[:_cut_point(body)]
        if name == "fatal":
            return body[:_fatal_point(body)] + _PHP_FATAL
        if name == "bom":
            return b"\xef\xbb\xbf" + body
        if name == "whitespace":
            return b"\n" + body
        if name == "php-warning":
            return _PHP_WARNINGS + body
        if name == "future-date":
            return re.sub(rb"<pubDate>[^<]*</pubDate>", b"<pubDate>Thu, 01 Jan 2099 00:00:00 +0000</pubDate>", body, count=1)
        if name == "https-links":
            return re.sub(rb"<(link|guid)([^>]*)>http://", rb"<\1\2>https://", body)
        if name == "proxy-links":
            return re.sub(rb"<link>https?://[^/<]+/", b"<link>https://feedproxy.google.com/~r/alanews/", body)
        if name == "no-dates":
            return re.sub(rb"\s*<pubDate>[^<]*</pubDate>", b"", body)
        if name in ("control-char", "stray-byte") and b"<item>" in body:
            at = _first_item_text(body)
            return body[:at] + (b"\x0c" if name == "control-char" else b"\x92") + body[at:]
        return body

    @staticmethod
    def _send_short(h, body: bytes, ctype: str, headers: dict, head_only: bool) -> None:
        """The whole feed's length announced, half of it sent, the connection closed."""
        h.replica.fire(h.path.split("?", 1)[0])
        h.send_response(200)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(body)))
        for k, v in headers.items():
            h.send_header(k, v)
        h.send_header("Connection", "close")
        h.end_headers()
        if not head_only:
            h.wfile.write(body[:_cut_point(body)])
            h.wfile.flush()
        h.close_connection = True

    def _truth(self, h, u, head_only: bool) -> None:
        q = parse_qs(u.query)
        category = (q.get("category") or [None])[0]
        if category is not None and category not in CATEGORY_NAMES:
            h._send(404, b"[]", "application/json", head_only=head_only)
            return
        posts = self.page(category, paged(u.query))
        if posts is None:
            h._send(404, b"[]", "application/json", head_only=head_only)
            return
        body = json.dumps([feed_entry(a, self.replica.base_url) for a in posts], ensure_ascii=False)
        h._send(200, body.encode("utf-8"), "application/json", head_only=head_only)

    def control(self, h, q: dict) -> None:
        """``POST /__replica__/feed?fault=NAME[&paged=N][&hours=H][&summary=0|1]``."""
        try:
            if "summary" in q:
                self.summary = q["summary"][0] == "1"
            if "fault" in q:
                page = (q.get("paged") or [None])[0]
                hours = (q.get("hours") or [None])[0]
                self.set_fault(q["fault"][0], int(page) if page else None, float(hours) if hours else None)
        except ValueError as error:
            h._send(400, f"bad feed switch: {error}".encode(), "text/plain; charset=UTF-8")
            return
        h._send(200, json.dumps(self.state()).encode(), "application/json")


def _at_most(value: datetime | None, bound: datetime | None) -> datetime | None:
    return min(value, bound) if value and bound else value


def _not_modified(request_headers, modified: str, etag: str) -> bool:
    """WP::send_headers' conditional GET: both validators must match when both are sent."""
    client_etag = request_headers.get("If-None-Match", "")
    since = request_headers.get("If-Modified-Since", "")
    try:
        client_time = parsedate_to_datetime(since).timestamp() if since else 0
    except (TypeError, ValueError):
        client_time = 0
    fresh = client_time >= parsedate_to_datetime(modified).timestamp()
    if since and client_etag:
        return fresh and client_etag == etag
    return (bool(since) and fresh) or client_etag == etag
