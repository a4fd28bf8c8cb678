"""ArticlePage: one method per output field, sources in priority order.

Each method returns candidates, best first: structured data (JSON-LD, meta),
then the JNews markup, then the permalink. The loader keeps the first usable one,
so a wrong guess about one source degrades one field, never the item.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from functools import cached_property

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
_NOT_BODY_XPATH = " or ".join(f"contains(@class, '{c}')" for c in _NOT_BODY)
_BODY_XPATH = (
    ".//*[self::p or self::h2 or self::h3 or self::h4 or self::h5 or self::h6"
    " or self::li or self::blockquote]"
    f"[not(ancestor-or-self::*[{_NOT_BODY_XPATH}])]"
    "[not(ancestor::p or ancestor::li or ancestor::blockquote)]"
)
_TEXT_XPATH = ".//text()[not(ancestor::script or ancestor::style)]"


class ArticlePage:
    def __init__(self, response: TextResponse, base_url: str, now: datetime | None = None):
        self.response = response
        self.base_url = base_url
        self.now = now or datetime.now(timezone.utc)

    # --- sources -------------------------------------------------------------

    @cached_property
    def jsonld(self) -> JsonLd:
        scripts = [
            (s.attrib.get("class", ""), s.xpath("string()").get())
            for s in self.response.css('script[type="application/ld+json"]')
        ]
        return JsonLd.from_scripts(scripts)

    def _meta(self, prop: str) -> list[str]:
        return self.response.xpath(
            f"//head/meta[@property='{prop}' or @name='{prop}']/@content"
        ).getall()

    def _text(self, css: str) -> list[str]:
        return [s.xpath("string()").get() for s in self.response.css(css)]

    @cached_property
    def header(self):
        """The post header (title, byline, date), not the related or sidebar posts."""
        return self.response.css(".entry-header") or self.response.css(".jeg_main_content")

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
            self.response.xpath("//head/link[@rel='canonical']/@href").getall()
            + self._meta("og:url")
            + [self.response.url]
        )

    def title(self) -> list[str]:
        # JSON-LD headline, the theme's h1, og:title
        return self.jsonld.values("headline") + self._text("h1.jeg_post_title") + self._meta("og:title")

    def subtitle(self) -> list[str]:
        # JNews standfirst; no structured equivalent (og:description is the excerpt)
        return self._text(".jeg_post_subtitle")

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
            self._text(".jeg_breadcrumbs .breadcrumb_last_link a")
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
        return self.response.css(".jeg_post_tags a[rel~=tag]").xpath("string()").getall()

    def body(self) -> list[str]:
        # paragraphs and sub-headings of the content, without ads, boxes, tags and scripts
        content = self.response.css(".entry-content .content-inner") or self.response.css(".entry-content")
        # text nodes, not string(): a script inside an unclosed <p> is not body text
        return ["".join(block.xpath(_TEXT_XPATH).getall()) for block in content[:1].xpath(_BODY_XPATH)]

    def image_url(self) -> list[str]:
        # JSON-LD primary image, og:image, the featured image's link, its lazy-load source
        image = self.jsonld.primary_image
        featured = self.response.css(".jeg_featured")
        return (
            [v for v in (image.get("url"), image.get("contentUrl")) if isinstance(v, str)]
            + self._meta("og:image")
            + featured.css("a::attr(href)").getall()[:1]
            + featured.css("img::attr(data-src)").getall()[:1]
        )

    def image_caption(self) -> list[str]:
        # JSON-LD primary image caption, the caption under the featured image
        caption = self.jsonld.primary_image.get("caption")
        return ([caption] if isinstance(caption, str) else []) + self._text(".jeg_featured .wp-caption-text")

    def video_url(self) -> list[str]:
        # og:video, then an iframe or <video> in the content (never inside an ad)
        content = self.response.css(".entry-content")
        players = content.xpath(
            ".//*[self::iframe or self::video or self::source][not(ancestor::*[contains(@class, 'jeg_ad')])]"
            "/@*[name()='src' or name()='data-src']"
        ).getall()
        return self._meta("og:video") + self._meta("og:video:url") + players

    def related_urls(self) -> list[str]:
        # the "Related Posts" block under the article
        return self.response.css(
            ".jnews_related_post_container article .jeg_post_title a::attr(href)"
        ).getall()

    def post_id(self) -> list[str]:
        # <body class="postid-N">, the ?p=N shortlink, <article id="post-N">
        return (
            [c for c in self.response.xpath("//body/@class").get("").split() if c.startswith("postid-")]
            + self.response.xpath("//head/link[@rel='shortlink']/@href").getall()
            + self.response.xpath("//article[starts-with(@id, 'post-')]/@id").getall()
        )

    def language(self) -> list[str]:
        # <html lang="it-IT">; the site is Italian
        lang = self.response.xpath("/html/@lang").get("it")
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
