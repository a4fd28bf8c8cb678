"""ArticlePage: one method per output field, sources in priority order.

Each method returns candidates, best first: structured data (JSON-LD, meta),
then the JNews markup, then the permalink. The loader keeps the first usable one,
so a wrong guess about one source degrades one field, never the item.
"""

from __future__ import annotations

import itertools
import logging
import re
from datetime import datetime, timezone
from functools import cached_property
from urllib.parse import urlsplit

from lxml import etree
from scrapy.http import TextResponse

from alanews.dates import parse_date
from alanews.loaders import ArticleLoader
from alanews.pages.markup import STRING, by_class, parse_part, post_region, select, strings, utf8_body
from alanews.pages.structured import RANK_MATH, JsonLd, dates
from alanews.pages.structured import strings as ld_strings
from alanews.processors import canonical_url, clean_text, decode_entities
from alanews.site import CATEGORY_NAME_BY_PATH, ArticleUrl, is_same_site, parse_article_url

logger = logging.getLogger(__name__)

# Blocks inside the content that are not article text (class substrings): ads, related posts,
# tags, captions, players, share buttons, author boxes (JNews's, Molongui's), newsletter sign-ups,
# comment call-outs and forms; what plugins insert into the content: tables of contents (Easy
# Table of Contents, LuckyWP, Table of Contents Plus, Rank Math's and Yoast's blocks), related-post
# boxes (Jetpack's, YARPP, Contextual Related Posts), share boxes (Shareaholic, Heateor, AddToAny's
# kit), Jetpack's subscribe form, wpDiscuz.
_NOT_BODY = (
    "jeg_ad", "jnews_inline_related_post", "jeg_post_tags", "jeg_share", "sharedaddy", "addtoany",
    "social-share", "share-buttons", "wp-caption", "jnews_prev_next", "jeg_video_container",
    "jeg_authorbox", "author_box", "m-a-box", "molongui", "newsletter", "mc4wp", "comment", "comments",
    "ez-toc", "lwptoc", "toc_container", "rank-math-toc", "table-of-contents",
    "jp-relatedposts", "jetpack-related-posts", "yarpp", "crp_related",
    "shareaholic", "heateor", "a2a_kit", "jetpack-sharing", "jetpack_subscription", "jetpack-subscriptions",
    "wpdiscuz", "wpd-", "sfsi",
)
# one scan of a class attribute: on the content's elements, 40% less CPU than a test per substring.
# A class token that is a name, or the name and a "-"/"_" suffix (``comment-author``, ``mc4wp-form``);
# a name ending in "-" is a prefix (``wpd-thread``); a caption is only ``wp-caption``/``wp-caption-text``;
# the block editor's ``wp-block-`` and Yoast's ``yoast-`` may come before a name.
# Never a substring: ``box-commento``, ``commentary``, ``is-style-newsletter`` are prose.
_NOT_BODY_CLASS = re.compile(r"(?:^|\s)(?:wp-block-|yoast-)?(?:" + "|".join(
    re.escape(name) + (r"[\w-]*" if name.endswith("-") else r"(?:-text)?" if name == "wp-caption" else r"(?:[-_][\w-]*)?")
    for name in _NOT_BODY) + r")(?=\s|$)")
# The same boxes by id, where a plugin marks its box by id alone (Table of Contents Plus: toc_container)
_NOT_BODY_IDS = ("toc_container", "ez-toc-container", "ez_toc_container", "rank-math-toc", "jp-relatedposts", "wpdcom",
                 "comments", "subscribe-blog-1")
# A paragraph of links to other posts an editor inserts ("Leggi anche: <a>…</a>"): its text outside
# the links is only this label (or the link's own text starts with it)
_SEE_ALSO = re.compile(r"(?:leggi|guarda|vedi) (?:anche|pure)|(?:ti )?potrebbe(?:ro)? interessarti"
                       r"|read also|see also|related", re.I)
_LABEL_PUNCTUATION = re.compile(r"[\s:.,;\-–—»›>→|*]+")  # around the label and between the links
_LINK_JOINERS = re.compile(r"(?:^|\s)(?:e|ed|o|and|or)(?=\s|$)", re.I)  # "Leggi anche: <a>Uno</a> e <a>Due</a>"
_HEADINGS = frozenset(("h2", "h3", "h4", "h5", "h6"))
_CONTENT_INNER = etree.XPath(
    "descendant::*[@class and contains(concat(' ', normalize-space(@class), ' '), ' content-inner ')]")
_BODY_TAGS = frozenset(("p", "h2", "h3", "h4", "h5", "h6", "li", "blockquote"))
_INLINE_BLOCKS = frozenset(("p", "li", "blockquote"))

# Every element the fields start from, found in ONE pass over the document: a whole-document
# scan (CSS ".x" or "//x") costs ~0.3 ms on a 150 KB JNews page (libxml2's "//" is slow), and
# the fields used ~20 of them. Elements are bucketed by exact class token, as CSS matches them.
_ANCHOR_CLASSES = frozenset((
    "entry-header", "jeg_main_content", "jeg_post_title", "jeg_post_subtitle", "jeg_breadcrumbs",
    "jeg_featured", "featured_caption", "entry-content", "jnews_related_post_container", "jeg_post_tags",
    "jeg_custom_title_wrapper", "jeg_custom_meta_wrapper",
))
# The post's header: JNews templates 1-10 (.entry-header), custom (Elementor-built) templates
# (title and byline in their own blocks). The post region is used only when it holds a header
# and the content; else the whole page is read.
_HEADERS = ("entry-header", "jeg_custom_title_wrapper", "jeg_custom_meta_wrapper")
_CONTENT = "entry-content"
# Blocks a theme or a plugin places inside the post's column that hold headings of their own:
# widgets, related posts, the logo, pop-ups (login, search), class tokens or their prefixes
_OFF_POST = re.compile(r"(?:^|\s)(?:widget|jnews_related_post_container|jeg_logo|jeg_popup|jnews_popup|jeg_navbar"
                       r"|jeg_header|jeg_footer|jeg_sidebar|sidebar)[\w-]*(?=\s|$)")
# A trailing " - Site name" on a headline: the separators WordPress and the SEO plugins write
_SEPARATORS = "-–—|·•»:"

_BODY_CLASS = etree.XPath("string(/html/body/@class)", smart_strings=False)
_LANG = etree.XPath("/html/@lang", smart_strings=False)
_LANGUAGE_CODE = re.compile("[a-z]{2,3}")  # the schema's: ISO 639-1 or -2/3
_URL_LIKE = re.compile(r"(?:https?:)?//|www\.", re.I)  # an article:author that is a profile URL, not a name
# a declared author that is an address: an email, mailto:, a host path (facebook.com/x), a @handle
_NOT_A_NAME = re.compile(r"\S@\S|^mailto:|^[\w-]+(?:\.[\w-]+)+/|^@\w+$", re.I)
_PLAYERS = etree.XPath(
    ".//*[self::iframe or self::video or self::source][not(ancestor::*[contains(@class, 'jeg_ad')])]"
    "/@*[name()='src' or name()='data-src']", smart_strings=False)


def _holds_the_post(anchors: dict) -> bool:
    return _CONTENT in anchors and any(header in anchors for header in _HEADERS)


def _find_anchors(root) -> dict[str, list]:
    found: dict[str, list] = {}
    for script in root.iter("script"):  # lxml filters by tag in C: cheaper than a test per element
        if script.get("type") == "application/ld+json":
            found.setdefault("jsonld", []).append(script)
    for article in root.iter("article"):
        if (article.get("id") or "").startswith("post-"):
            found.setdefault("post-article", []).append(article)
    return by_class(root.iter(etree.Element), _ANCHOR_CLASSES, found)  # elements only: no comments, no PIs


def _not_body(element) -> bool:
    classes = element.get("class")
    return (classes is not None and _NOT_BODY_CLASS.search(classes) is not None) or element.get("id") in _NOT_BODY_IDS


def _off_post(element) -> bool:
    """An element that is no part of the post although inside its column (see ``_OFF_POST``)."""
    if element.tag == "noscript":
        return True
    classes = element.get("class")
    return classes is not None and _OFF_POST.search(classes) is not None


def _links_to_other_posts(block) -> bool:
    """A paragraph that is a "Leggi anche" box: links, and outside them only the label, or none
    where the first link's text starts with it."""
    if block.tag != "p":
        return False
    links = [a for a in block.iter("a") if a.get("href")]
    if not links:
        return False
    outside = [block.text or ""]
    for element in block.iterdescendants():
        if next(element.iterancestors("a"), None) is not None:  # inside a link
            continue
        outside += [element.tail or ""] if element.tag == "a" else [element.text or "", element.tail or ""]
    label = " ".join(_LINK_JOINERS.sub(" ", _LABEL_PUNCTUATION.sub(" ", "".join(outside))).split())
    if not label:
        label = " ".join(_text_of(links[0]).split())[:40]
        return _SEE_ALSO.match(label) is not None
    return _SEE_ALSO.fullmatch(label) is not None


def _links_only(items) -> bool:
    """List items each of which is links and, outside them, nothing but punctuation and spaces."""
    def bare(text: str) -> str:
        return _LABEL_PUNCTUATION.sub("", text)

    items = [li for li in items if li.tag == "li"]
    return bool(items) and all(
        (links := bare("".join(_text_of(a) for a in li.iter("a") if a.get("href")))) and bare(_text_of(li)) == links
        for li in items)


def _see_also_list(element) -> bool:
    """A "Leggi anche" heading and the list of links to other posts that follows it, either one."""
    if element.tag in _HEADINGS:
        following, heading = element.getnext(), element
    elif element.tag in ("ul", "ol"):
        following, heading = element, element.getprevious()
    else:
        return False
    if heading is None or heading.tag not in _HEADINGS or following is None or following.tag not in ("ul", "ol"):
        return False
    label = " ".join(_LABEL_PUNCTUATION.sub(" ", _text_of(heading)).split())
    return _SEE_ALSO.fullmatch(label) is not None and _links_only(following)


def _text_of(element, body: bool = False) -> str:
    """Text nodes under ``element`` outside script/style, as ``.//text()[not(ancestor::script or ancestor::style)]``;
    with ``body``, also outside the boxes that are no body (a share box in a list item, an ad in a
    paragraph, a "Leggi anche" paragraph in a quote), their tails kept.

    A walk with its own stack, not recursion: a page nesting thousands of elements must not
    reach Python's recursion limit. Module functions, not closures: a closure over the tree
    is a reference cycle that keeps the tree alive until the cycle collector runs.
    """
    parts = [element.text] if element.text and isinstance(element.tag, str) else []
    stack = [(iter(element), None)]  # children still to visit, and the tail that follows them
    while stack:
        children, tail = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            if tail:
                parts.append(tail)
        elif isinstance(child.tag, str) and child.tag not in ("script", "style") and not (
                body and (_not_body(child) or _links_to_other_posts(child))):
            if child.text:
                parts.append(child.text)
            stack.append((iter(child), child.tail))
        elif child.tail:
            parts.append(child.tail)
    return "".join(parts)


def _body_blocks(content) -> list:
    """Paragraphs, sub-headings, list items and quotes of the content, in document order:
    none inside another p/li/blockquote, none inside (or being) a _NOT_BODY block.
    A tree walk with its own stack, not an XPath (the ancestor tests cost more than the rest
    of the page) nor recursion (thousands of nested elements must not raise)."""
    if any(_not_body(a) for a in content.iterancestors()) or _not_body(content):
        return []
    found: list = []
    stack = [(iter(content), content.tag in _INLINE_BLOCKS)]
    while stack:
        children, in_inline = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            continue
        if not isinstance(child.tag, str) or _not_body(child) or _see_also_list(child):
            continue
        if child.tag in _BODY_TAGS and not in_inline:
            if _links_to_other_posts(child):
                continue
            found.append(child)
        stack.append((iter(child), in_inline or child.tag in _INLINE_BLOCKS))
    return found


def _host_names(base_url: str) -> list[str]:
    """The site's name as its host spells it: ``alanews`` for www.alanews.it; none for an address."""
    labels = (urlsplit(base_url).hostname or "").split(".")
    name = labels[-2] if len(labels) >= 2 else ""
    return [name] if any(c.isalpha() for c in name) and not name.isdigit() else []


def _site_name_pattern(name: str) -> str:
    """A site name as titles write it: any case, as a host (``www.`` before, a domain after)."""
    return r"(?:www\.)?" + r"\s+".join(map(re.escape, name.split())) + r"(?:\.[a-z]{2,6})?"


def _without_suffix(title: str, site_names: list[str], shown: list[str]) -> str:
    """``title`` (white space folded) without the site's name where it is marked as such:
    ``X - Name`` (any of ``_SEPARATORS``; ``Name.it``, ``www.name.it``; a short tagline after
    it, ``X - Name - Agenzia video``), ``X (Name)``, ``Name | X``, ``Name: X``; "" when the
    title is only the name. Else a title shown on the page (the post's h1) where ``title`` is
    that shown title plus such a suffix, site name unknown."""
    title = " ".join(title.split())
    sep = "[" + re.escape(_SEPARATORS) + "]"
    for name in site_names:
        if not name.strip():
            continue
        named = _site_name_pattern(name)
        if re.fullmatch(named, title, re.I):
            return ""
        for form in (rf"(?P<x>.*?\S)\s+{sep}\s*{named}(?:\s+{sep}\s+[^{re.escape(_SEPARATORS)}]{{1,40}})?",
                     rf"(?P<x>.*?\S)\s*[(\[]{named}[)\]]", rf"{named}\s*{sep}\s+(?P<x>.*\S)"):
            match = re.fullmatch(form, title, re.I)
            if match:
                return match.group("x")
    for visible in shown:
        rest = title[len(visible):]
        if visible and title.startswith(visible) and rest[:1] == " " and rest.lstrip()[:1] in _SEPARATORS:
            return visible
    return title


class ArticlePage:
    """A post page. ``region=False`` reads the whole page, never only the post region."""

    def __init__(self, response: TextResponse, base_url: str, now: datetime | None = None, region: bool = True):
        self.response = response
        self.base_url = base_url
        self.now = now or datetime.now(timezone.utc)
        self.region = region

    # --- sources -------------------------------------------------------------

    @cached_property
    def _tree(self) -> tuple[etree._Element, dict[str, list], bool]:
        """The parsed page, its anchors, and whether that is the post region or the whole page.

        The post region (see :func:`post_region`) is used when it holds the post's header and
        content; otherwise (another theme layout, a page cut short) the whole page is parsed.
        """
        body = utf8_body(self.response)
        region = post_region(body) if self.region else None
        return parse_part(body, region, self.response.url, _find_anchors, _holds_the_post)

    @property
    def from_region(self) -> bool:
        """Whether the fields are read from the post region (else from the whole page)."""
        return self._tree[2]

    @property
    def root(self) -> etree._Element:
        return self._tree[0]

    @property
    def anchors(self) -> dict[str, list]:
        """The elements the fields start from, by class token (and "jsonld", "post-article"), in page order."""
        return self._tree[1]

    def _anchored(self, name: str) -> list:
        return self.anchors.get(name, [])

    @cached_property
    def head(self) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
        """<head>'s meta content by property/name, and its link href by rel, in page order."""
        meta: dict[str, list[str]] = {}
        links: dict[str, list[str]] = {}
        for head in self.root.iterchildren("head"):
            for el in head.iterchildren("meta", "link"):  # head's own, as /html/head/meta
                if el.tag == "meta":
                    content = el.get("content")
                    if content is None:
                        continue
                    name, prop = el.get("name"), el.get("property")
                    for key in (prop, name) if name != prop else (prop,):
                        if key is not None:
                            meta.setdefault(key, []).append(content)
                    continue
                href = el.get("href")
                if href is not None and el.get("rel") is not None:
                    links.setdefault(el.get("rel"), []).append(href)
        return meta, links

    @cached_property
    def jsonld(self) -> JsonLd:
        scripts = [(s.get("class", ""), STRING(s)) for s in self._anchored("jsonld")]
        return JsonLd.from_scripts(scripts)

    def _meta(self, prop: str) -> list[str]:
        return list(self.head[0].get(prop, ()))

    @cached_property
    def header(self) -> list:
        """The post header (title, byline, date), not the related or sidebar posts: the
        template's ``.entry-header`` (before the main column in template 2) or a custom
        template's title and meta blocks; else the main column."""
        return [el for name in _HEADERS for el in self._anchored(name)] or self._anchored("jeg_main_content")

    @cached_property
    def permalink(self) -> ArticleUrl | None:
        url = canonical_url(self.url()[0], self.response.url)
        return parse_article_url(self.base_url, url) if url else None

    @cached_property
    def visible_date(self):
        """The byline date and what it parses to; JNews shows the modified date once edited."""
        text = next(iter(strings(select(self.header, ".jeg_meta_date"))), None)
        return text, (parse_date(text, self.now) if text else None)

    def _visible_date_is_published(self) -> bool:
        """True unless the byline shows another day than the permalink (then it is the modified date).

        An unreadable byline date counts as the published one, so the loader reports it.
        """
        text, parsed = self.visible_date
        if not text or parsed is None or self.permalink is None:
            return bool(text)
        return getattr(parsed, "date", lambda: parsed)() == self.permalink.published

    # --- fields ----------------------------------------------------------------

    def url(self) -> list[str]:
        # <link rel=canonical>, og:url, then the URL we fetched; a declared URL naming another
        # site or another post than the one fetched is evidence against it, not its URL
        return [url for url in self._declared_urls if url not in self._conflicting_urls] + [self.response.url]

    @cached_property
    def _declared_urls(self) -> list[str]:
        return list(self.head[1].get("canonical", ())) + self._meta("og:url")

    @cached_property
    def _conflicting_urls(self) -> set[str]:
        """Declared URLs off the site, or naming another post: another permalink date or slug
        than the fetched permalink's (the same post may sit under another category path)."""
        fetched = parse_article_url(self.base_url, canonical_url(self.response.url) or "")
        conflicting = set()
        for declared in self._declared_urls:
            url = canonical_url(declared, self.response.url)
            post = parse_article_url(self.base_url, url) if url else None
            if url is None or not is_same_site(self.base_url, url) or (fetched is not None and (
                    post is None or (post.published, post.slug) != (fetched.published, fetched.slug))):
                conflicting.add(declared)
        return conflicting

    def title(self) -> list[str]:
        return self._title_sources() + self._title_last_resort()

    def _title_sources(self) -> list[str]:
        # Yoast's headline, the theme's h1, other JSON-LD headlines, og:title; each without a
        # trailing " - <site name>" (og:site_name, the WebSite node), the h1 where one differs from it only so
        shown = [" ".join(t.split()) for t in strings([el for el in self._anchored("jeg_post_title") if el.tag == "h1"])]
        site_names = self._site_names + _host_names(self.base_url)
        return [cut for t in (
            ld_strings(self.jsonld.yoast, "headline") + shown + ld_strings(self.jsonld.others, "headline")
            + self._meta("og:title")) if (cut := _without_suffix(t, site_names, shown))]

    def _title_last_resort(self) -> list[str]:
        # what every WordPress page has: <title> without " - <site name>" (the names above, or the
        # name in the site's host) or without what follows the page's one h1; that h1; <title> whole
        h1s = [" ".join(t.split()) for t in strings(self._post_h1s)]
        shown = h1s if len(h1s) == 1 else []
        titles = [STRING(t) for head in self.root.iterchildren("head") for t in head.iterchildren("title")]
        site_names = self._site_names + _host_names(self.base_url)
        cuts = [(" ".join(t.split()), _without_suffix(t, site_names, shown)) for t in titles]
        return [cut for whole, cut in cuts if cut and cut != whole] + shown + [whole for whole, cut in cuts if cut]

    @cached_property
    def _post_h1s(self) -> list:
        """The h1 elements inside the post (its header blocks, else its main column, and its
        ``<article id="post-N">``), not in a widget, a related-posts block, a logo, a pop-up or a
        ``<noscript>``: the post region and the whole page hold the same ones."""
        found: dict = {}
        for block in self.header + self._anchored("post-article"):
            for h1 in block.iter("h1"):
                if not any(_off_post(el) for el in itertools.chain((h1,), h1.iterancestors())):
                    found.setdefault(h1, None)
        return list(found)

    @cached_property
    def _site_names(self) -> list[str]:
        return self._meta("og:site_name") + self.jsonld.site_names

    def subtitle(self) -> list[str]:
        # JNews standfirst (in .entry-header or a custom template's block); og:description is the excerpt
        return strings(self._anchored("jeg_post_subtitle"))

    def author(self) -> list[str]:
        # Yoast's author (by @id in its graph), the byline link (post header or custom meta block),
        # other JSON-LD authors, <meta name="author">, article:author where it is a name (Facebook
        # wants a profile URL there), a rel=author link inside the post
        in_post = self._anchored("post-article") or self.header + self._anchored("entry-content")
        by_rel = [a for a in select(in_post, "a[rel~=author]")
                  if not any(_not_body(el) or _off_post(el) for el in a.iterancestors())]
        declared = (self.jsonld.author_names(self.jsonld.yoast), strings(select(self.header, ".jeg_meta_author a")),
                    self.jsonld.author_names(self.jsonld.others), self._meta("author"), self._meta("article:author"),
                    strings(by_rel))
        return [name for i, names in enumerate(declared) for name in names
                if i == 1 or self._is_author_name(name)]

    def _is_author_name(self, text: str) -> bool:
        """Whether a declared author (JSON-LD, meta, rel=author) is a person's name: not a profile URL
        (Facebook wants one in article:author), an email, ``mailto:``, a ``@handle``, the site's
        name or WordPress's ``admin``. The byline shows what the site shows and is taken as it is."""
        text = " ".join(text.split())
        return not (_URL_LIKE.match(text) or _NOT_A_NAME.search(text)
                    or text.casefold() in {"admin", *(n.casefold() for n in self._site_names + _host_names(self.base_url))})

    def published(self) -> list[str]:
        return self._published_sources() + self._published_last_resort()

    def _published_sources(self) -> list[str]:
        # Yoast's graph (UTC), article:published_time, other JSON-LD (AIOSEO, Rank Math, the theme's
        # in Rome local time), the byline date when it is the publication day
        visible = [self.visible_date[0]] if self._visible_date_is_published() else []
        return (
            dates(self.jsonld.yoast, "datePublished")
            + self._meta("article:published_time")
            + dates(self.jsonld.others, "datePublished")
            + visible
        )

    def _published_last_resort(self) -> list[str]:
        # the permalink's date (/%year%/%monthnum%/%day%/...): the day, without a time
        return [self.permalink.published.isoformat()] if self.permalink else []

    def modified(self) -> list[str]:
        # Yoast's graph, article:modified_time, other JSON-LD (the theme's in GMT), a byline date
        # later than the permalink's (an earlier one is neither: a post is not edited before it is published)
        shown, parsed = self.visible_date
        visible = [shown] if shown and parsed and not self._visible_date_is_published() and (
            self.permalink is None or getattr(parsed, "date", lambda: parsed)() > self.permalink.published) else []
        return (
            dates(self.jsonld.yoast, "dateModified")
            + self._meta("article:modified_time")
            + dates(self.jsonld.others, "dateModified")
            + visible
        )

    def category(self) -> list[str]:
        return self._category_sources() + self._category_last_resort()

    def _category_sources(self) -> list[str]:
        # the breadcrumb's last category, the byline's first category, article:section, JSON-LD
        # articleSection (Yoast's, then the others'; AIOSEO's lists categories and tags in one string,
        # comma-separated: its first)
        return (
            strings(select(self._anchored("jeg_breadcrumbs"), ".breadcrumb_last_link a"))
            + strings(select(self.header, ".jeg_meta_category a"))[:1]
            + self._meta("article:section")
            + [section.split(",")[0] for section in ld_strings(self.jsonld.articles, "articleSection")]
        )

    def _category_last_resort(self) -> list[str]:
        # the site's table by the permalink's category path
        by_path = CATEGORY_NAME_BY_PATH.get(self.permalink.category_path) if self.permalink else None
        return [by_path] if by_path else []

    def category_path(self) -> list[str]:
        # the permalink (/%year%/%monthnum%/%day%/%category%/%postname%/)
        return [self.permalink.category_path] if self.permalink else []

    def tags(self) -> list[str]:
        # the tag links the page shows (the post's or a custom template's tag block); only when it
        # shows none, JSON-LD keywords (Rank Math's are its SEO focus keyword, never the tags)
        shown = strings(select(self._anchored("jeg_post_tags"), "a[rel~=tag]"))
        if any(clean_text(tag) for tag in shown):
            return shown
        for node in self.jsonld.articles:
            keywords = node.strings("keywords") if node.source != RANK_MATH else []
            if len(keywords) == 1:
                keywords = keywords[0].split(",")
            if any(clean_text(k) for k in keywords):
                return keywords
        return []

    def body(self) -> list[str]:
        # paragraphs and sub-headings of the content, without ads, boxes, tags and scripts
        entry = self._anchored("entry-content")
        content = [inner for el in entry for inner in _CONTENT_INNER(el)] or entry
        if not content:
            return []
        # text nodes, not string(): a script inside an unclosed <p> is not body text
        return [_text_of(block, body=True) for block in _body_blocks(content[0])]

    def image_url(self) -> list[str]:
        # JSON-LD primary image, og:image, the featured image's link, its lazy-load source
        image = self.jsonld.primary_image
        featured = self._anchored("jeg_featured")
        return (
            [v for v in (image.get("url"), image.get("contentUrl")) if isinstance(v, str)]
            + self._meta("og:image")
            + select(featured, "a::attr(href)")[:1]
            + select(featured, "img::attr(data-src)")[:1]
        )

    def image_caption(self) -> list[str]:
        # JSON-LD primary image caption, the caption in the featured slot (WordPress's, a
        # <figcaption>), a theme's own caption block under it (.featured_caption)
        caption = self.jsonld.primary_image.get("caption")
        featured = self._anchored("jeg_featured")
        return (
            ([decode_entities(caption)] if isinstance(caption, str) else [])
            + strings(select(featured, ".wp-caption-text, figcaption"))
            + strings(self._anchored("featured_caption"))
        )

    def video_url(self) -> list[str]:
        # og:video, JSON-LD VideoObject (embedUrl, contentUrl), the player in the featured slot
        # (the video post format), then an iframe or <video> in the content (never inside an ad)
        slot = [el for el in self._anchored("jeg_featured") if "featured_video" in (el.get("class") or "").split()]
        players = [src for el in slot + self._anchored("entry-content") for src in _PLAYERS(el)]
        return self._meta("og:video") + self._meta("og:video:url") + self.jsonld.video_urls() + players

    def related_urls(self) -> list[str]:
        # the "Related Posts" block under the article
        return list(self._related_hrefs)

    @cached_property
    def _related_hrefs(self) -> tuple[str, ...]:
        """Read once: the spider follows them and the item lists them."""
        return tuple(select(self._anchored("jnews_related_post_container"), "article .jeg_post_title a::attr(href)"))

    def post_id(self) -> list[str]:
        # <body class="postid-N">, the ?p=N shortlink, <article id="post-N">
        return (
            [c for c in _BODY_CLASS(self.root).split() if c.startswith("postid-")]
            + list(self.head[1].get("shortlink", ()))
            + [el.get("id") for el in self._anchored("post-article")]
        )

    def language(self) -> list[str]:
        # <html lang="it-IT">, or a locale ("it_IT"); the site is Italian
        return [self._language[0]]

    @cached_property
    def _language(self) -> tuple[str, str | None]:
        """The language code and, when ``lang`` names none the schema takes (``x-default``), that
        ``lang``: the site's "it" then, not an item the schema rejects."""
        lang = next(iter(_LANG(self.root)), "")
        code = re.split("[-_]", lang.strip(), maxsplit=1)[0].lower()
        if _LANGUAGE_CODE.fullmatch(code):
            return code, None
        return "it", lang if code else None

    # --- the item ------------------------------------------------------------

    # The fields whose sources end in a last resort every WordPress page has: (sources, last resort)
    # methods. Taking a last resort is counted (alanews/fallback/<field>): a source that moved
    # (the "Field sources" monitor, alanews/monitors.py).
    _CHAINS = {name: (f"_{name}_sources", f"_{name}_last_resort") for name in ("title", "published", "category")}

    FIELDS = (
        "url", "title", "subtitle", "author", "published", "modified", "category",
        "category_path", "tags", "body", "image_url", "image_caption", "video_url",
        "related_urls", "post_id", "language",
    )

    def _source_moved(self, name: str) -> bool:
        """Whether a field read from its last resort lacks its usual sources: not so for a published
        date when the byline shows the modified date (an edited post without structured data, a
        shape of the site's own: the byline date is there, it is not the publication's). An
        unreadable byline date is no such shape: counted."""
        return name != "published" or self.visible_date[1] is None

    def to_item(self, stats=None):
        if self.region and not self.from_region:
            # the page lacks the JNews post layout: read whole (slower; a layout change shows here)
            logger.debug("No JNews post region on %s: the whole page is read", self.response.url)
            if stats is not None:
                stats.inc_value("alanews/article/whole_page")
        if self._conflicting_urls:
            logger.warning("Canonical conflict on %s: it declares %s, another post or site; its url is the one "
                           "fetched", self.response.url, ", ".join(sorted(self._conflicting_urls)))
            if stats is not None:
                stats.inc_value("alanews/canonical/conflict")
        if self._language[1] is not None:
            logger.warning("Unreadable language %r on %s: taken as it", self._language[1], self.response.url)
            if stats is not None:
                stats.inc_value("alanews/article/bad_language")
        if self.jsonld.invalid_blocks:
            logger.warning("Ignored %d broken JSON-LD block(s) on %s", self.jsonld.invalid_blocks, self.response.url)
            if stats is not None:
                stats.inc_value("alanews/jsonld/invalid", self.jsonld.invalid_blocks)
        loader = ArticleLoader(base_url=self.response.url, now=self.now, stats_collector=stats)
        for name in self.FIELDS:
            sources, last_resort = self._CHAINS.get(name, (name, None))
            loader.add_value(name, getattr(self, sources)())
            if last_resort is None or loader.get_collected_values(name):
                continue
            loader.add_value(name, getattr(self, last_resort)())
            if loader.get_collected_values(name) and self._source_moved(name):
                logger.debug("%s of %s read from its last resort (%s)", name, self.response.url, last_resort)
                if stats is not None:
                    stats.inc_value(f"alanews/fallback/{name}")
        loader.add_value("scraped_at", self.now.astimezone(timezone.utc).isoformat(timespec="seconds"))
        return loader.load_item()
