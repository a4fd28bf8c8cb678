"""ArticlePage: one method per output field, sources in priority order.

Each method returns candidates, best first: structured data (JSON-LD, meta),
then the JNews markup, then the permalink. The loader keeps the first usable one,
so a wrong guess about one source degrades one field, never the item.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from functools import cached_property

from parsel import Selector, SelectorList
from scrapy.http import TextResponse

from alanews.dates import parse_date
from alanews.loaders import ArticleLoader
from alanews.pages.structured import JsonLd
from alanews.processors import canonical_url
from alanews.site import CATEGORY_NAME_BY_PATH, ArticleUrl, parse_article_url

logger = logging.getLogger(__name__)

# Blocks inside the content that are not article text.
_NOT_BODY = (
    "jeg_ad", "jnews_inline_related_post", "jeg_post_tags", "jeg_share",
    "wp-caption", "jnews_prev_next", "jeg_video_container", "sharedaddy",
)
_CONTENT_INNER = "descendant::*[@class and contains(concat(' ', normalize-space(@class), ' '), ' content-inner ')]"
_BODY_TAGS = frozenset(("p", "h2", "h3", "h4", "h5", "h6", "li", "blockquote"))
_INLINE_BLOCKS = frozenset(("p", "li", "blockquote"))

# Every element the fields start from, found in ONE pass over the document: a whole-document
# scan (CSS ".x" or "//x") costs ~0.3 ms on a 150 KB JNews page, and the fields used ~20 of them.
# Elements are bucketed by exact class token, as CSS matches them.
_ANCHOR_CLASSES = frozenset((
    "entry-header", "jeg_main_content", "jeg_post_title", "jeg_post_subtitle", "jeg_breadcrumbs",
    "jeg_featured", "entry-content", "jnews_related_post_container", "jeg_post_tags",
))


def _not_body(element) -> bool:
    classes = element.get("class") or ""
    return any(c in classes for c in _NOT_BODY)


def _text_of(element) -> str:
    """Text nodes under ``element`` outside script/style, as ``.//text()[not(ancestor::script or ancestor::style)]``."""
    parts = []

    def walk(el):
        if el.text and isinstance(el.tag, str):
            parts.append(el.text)
        for child in el:
            if isinstance(child.tag, str) and child.tag not in ("script", "style"):
                walk(child)
            if child.tail:
                parts.append(child.tail)

    walk(element)
    return "".join(parts)


def _body_blocks(content) -> list:
    """Paragraphs, sub-headings, list items and quotes of the content, in document order:
    none inside another p/li/blockquote, none inside (or being) a _NOT_BODY block.
    A tree walk, not an XPath: the ancestor tests cost more than the rest of the page."""
    if any(_not_body(a) for a in content.iterancestors()):
        return []
    found = []

    def walk(el, in_inline):
        for child in el:
            if not isinstance(child.tag, str) or _not_body(child):
                continue
            if child.tag in _BODY_TAGS and not in_inline:
                found.append(child)
            walk(child, in_inline or child.tag in _INLINE_BLOCKS)

    if not _not_body(content):
        walk(content, content.tag in _INLINE_BLOCKS)
    return found


class ArticlePage:
    def __init__(self, response: TextResponse, base_url: str, now: datetime | None = None):
        self.response = response
        self.base_url = base_url
        self.now = now or datetime.now(timezone.utc)

    # --- sources -------------------------------------------------------------

    @cached_property
    def sel(self) -> Selector:
        # parsel's Selector, not response.selector: Scrapy's keeps a reference to the
        # response, which caches it, a cycle that keeps every parsed page (~0.8 MB)
        # alive until the garbage collector's next full pass
        return Selector(text=self.response.text, type="html", base_url=self.response.url)

    @cached_property
    def anchors(self) -> dict[str, list[Selector]]:
        """The elements the fields start from, by class token (and "jsonld", "post-article"), in page order."""
        found: dict[str, list] = {}
        for el in self.sel.root.iter():
            tag = el.tag
            if tag == "script":
                if el.get("type") == "application/ld+json":
                    found.setdefault("jsonld", []).append(el)
                continue
            if tag == "article" and (el.get("id") or "").startswith("post-"):
                found.setdefault("post-article", []).append(el)
            classes = el.get("class")
            if classes:
                for token in classes.split():
                    if token in _ANCHOR_CLASSES:
                        found.setdefault(token, []).append(el)
        return {name: [Selector(root=el, type="html") for el in dict.fromkeys(els)] for name, els in found.items()}

    def _anchored(self, name: str) -> list[Selector]:
        return self.anchors.get(name, [])

    @cached_property
    def head(self) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
        """<head>'s meta content by property/name, and its link href by rel, in page order."""
        meta: dict[str, list[str]] = {}
        links: dict[str, list[str]] = {}
        for el in self.sel.root.xpath("/html/head/meta | /html/head/link"):
            if el.tag == "meta":
                content = el.get("content")
                if content is None:
                    continue
                for key in dict.fromkeys(k for k in (el.get("property"), el.get("name")) if k is not None):
                    meta.setdefault(key, []).append(content)
            else:
                href = el.get("href")
                if href is not None and el.get("rel") is not None:
                    links.setdefault(el.get("rel"), []).append(href)
        return meta, links

    @cached_property
    def jsonld(self) -> JsonLd:
        scripts = [(s.attrib.get("class", ""), s.xpath("string()").get()) for s in self._anchored("jsonld")]
        return JsonLd.from_scripts(scripts)

    def _meta(self, prop: str) -> list[str]:
        return list(self.head[0].get(prop, ()))

    def _strings(self, selectors) -> list[str]:
        return [s.xpath("string()").get() for s in selectors]

    @cached_property
    def header(self):
        """The post header (title, byline, date), not the related or sidebar posts."""
        return SelectorList(self._anchored("entry-header") or self._anchored("jeg_main_content"))

    @cached_property
    def permalink(self) -> ArticleUrl | None:
        url = canonical_url(self.url()[0], self.response.url)
        return parse_article_url(self.base_url, url) if url else None

    @cached_property
    def visible_date(self):
        """The byline date and what it parses to; JNews shows the modified date once edited."""
        text = next(iter(self.header.css(".jeg_meta_date").xpath("string()").getall()), None)
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
        # <link rel=canonical>, og:url, then the URL we fetched
        return (
            list(self.head[1].get("canonical", ()))
            + self._meta("og:url")
            + [self.response.url]
        )

    def title(self) -> list[str]:
        # JSON-LD headline, the theme's h1, og:title
        h1 = [s for s in self._anchored("jeg_post_title") if s.root.tag == "h1"]
        return self.jsonld.values("headline") + self._strings(h1) + self._meta("og:title")

    def subtitle(self) -> list[str]:
        # JNews standfirst; no structured equivalent (og:description is the excerpt)
        return self._strings(self._anchored("jeg_post_subtitle"))

    def author(self) -> list[str]:
        # JSON-LD author (by @id in Yoast's graph), the byline link
        return self.jsonld.author_names() + self.header.css(".jeg_meta_author a").xpath("string()").getall()

    def published(self) -> list[str]:
        # Yoast JSON-LD (UTC), article:published_time, JNews JSON-LD (local),
        # the byline date when it is the publication day, the permalink's date
        visible = [self.visible_date[0]] if self._visible_date_is_published() else []
        from_url = [self.permalink.published.isoformat()] if self.permalink else []
        return (
            self.jsonld.values("datePublished")[:1]
            + self._meta("article:published_time")
            + self.jsonld.values("datePublished")[1:]
            + visible
            + from_url
        )

    def modified(self) -> list[str]:
        # Yoast JSON-LD, article:modified_time, JNews JSON-LD, a byline date later than the permalink's
        shown = self.visible_date[0]
        visible = [shown] if shown and self.visible_date[1] and not self._visible_date_is_published() else []
        return (
            self.jsonld.values("dateModified")[:1]
            + self._meta("article:modified_time")
            + self.jsonld.values("dateModified")[1:]
            + visible
        )

    def category(self) -> list[str]:
        # the breadcrumb's last category, the byline's first category, the site's table
        by_path = CATEGORY_NAME_BY_PATH.get(self.permalink.category_path) if self.permalink else None
        return (
            self._strings(SelectorList(self._anchored("jeg_breadcrumbs")).css(".breadcrumb_last_link a"))
            + self.header.css(".jeg_meta_category a").xpath("string()").getall()[:1]
            + ([by_path] if by_path else [])
        )

    def category_path(self) -> list[str]:
        # the permalink (/%year%/%monthnum%/%day%/%category%/%postname%/)
        return [self.permalink.category_path] if self.permalink else []

    def tags(self) -> list[str]:
        # JSON-LD keywords, else the tag links under the body
        keywords = next((n["keywords"] for n in self.jsonld.articles if n.get("keywords")), None)
        if isinstance(keywords, str):
            keywords = keywords.split(",")
        if isinstance(keywords, list) and keywords:
            return [k for k in keywords if isinstance(k, str)]
        return SelectorList(self._anchored("jeg_post_tags")).css("a[rel~=tag]").xpath("string()").getall()

    def body(self) -> list[str]:
        # paragraphs and sub-headings of the content, without ads, boxes, tags and scripts
        entry = SelectorList(self._anchored("entry-content"))
        content = entry.xpath(_CONTENT_INNER) or entry
        if not content:
            return []
        # text nodes, not string(): a script inside an unclosed <p> is not body text
        return [_text_of(block) for block in _body_blocks(content[0].root)]

    def image_url(self) -> list[str]:
        # JSON-LD primary image, og:image, the featured image's link, its lazy-load source
        image = self.jsonld.primary_image
        featured = SelectorList(self._anchored("jeg_featured"))
        return (
            [v for v in (image.get("url"), image.get("contentUrl")) if isinstance(v, str)]
            + self._meta("og:image")
            + featured.css("a::attr(href)").getall()[:1]
            + featured.css("img::attr(data-src)").getall()[:1]
        )

    def image_caption(self) -> list[str]:
        # JSON-LD primary image caption, the caption under the featured image
        caption = self.jsonld.primary_image.get("caption")
        featured = SelectorList(self._anchored("jeg_featured"))
        return ([caption] if isinstance(caption, str) else []) + self._strings(featured.css(".wp-caption-text"))

    def video_url(self) -> list[str]:
        # og:video, then an iframe or <video> in the content (never inside an ad)
        content = SelectorList(self._anchored("entry-content"))
        players = content.xpath(
            ".//*[self::iframe or self::video or self::source][not(ancestor::*[contains(@class, 'jeg_ad')])]"
            "/@*[name()='src' or name()='data-src']"
        ).getall()
        return self._meta("og:video") + self._meta("og:video:url") + players

    def related_urls(self) -> list[str]:
        # the "Related Posts" block under the article
        return SelectorList(self._anchored("jnews_related_post_container")).css(
            "article .jeg_post_title a::attr(href)"
        ).getall()

    def post_id(self) -> list[str]:
        # <body class="postid-N">, the ?p=N shortlink, <article id="post-N">
        return (
            [c for c in self.sel.xpath("/html/body/@class").get("").split() if c.startswith("postid-")]
            + list(self.head[1].get("shortlink", ()))
            + [s.root.get("id") for s in self._anchored("post-article")]
        )

    def language(self) -> list[str]:
        # <html lang="it-IT">; the site is Italian
        lang = self.sel.xpath("/html/@lang").get("it")
        return [lang.split("-")[0].lower() or "it"]

    # --- the item ------------------------------------------------------------

    FIELDS = (
        "url", "title", "subtitle", "author", "published", "modified", "category",
        "category_path", "tags", "body", "image_url", "image_caption", "video_url",
        "related_urls", "post_id", "language",
    )

    def to_item(self, stats=None):
        if self.jsonld.invalid_blocks:
            logger.warning("Ignored %d broken JSON-LD block(s) on %s", self.jsonld.invalid_blocks, self.response.url)
            if stats is not None:
                stats.inc_value("alanews/jsonld/invalid", self.jsonld.invalid_blocks)
        loader = ArticleLoader(base_url=self.response.url, now=self.now, stats_collector=stats)
        for name in self.FIELDS:
            loader.add_value(name, getattr(self, name)())
        loader.add_value("scraped_at", self.now.astimezone(timezone.utc).isoformat(timespec="seconds"))
        return loader.load_item()
