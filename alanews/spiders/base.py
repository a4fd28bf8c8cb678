"""CategorySpider: walks category archives, then each article's Related Posts.

Spiders only navigate: what a page holds is read by the page classes.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import scrapy
from scrapy.exceptions import (
    DownloadCancelledError, DownloadConnectionRefusedError, DownloadFailedError, DownloadTimeoutError,
    IgnoreRequest, ResponseDataLossError,
)
from scrapy.http import HtmlResponse, Request
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import ConnectError, ConnectionDone, ConnectionLost
from twisted.internet.error import TimeoutError as TxTimeoutError

from alanews.extraction import extractor_from_crawler
from alanews.pages.listing import ListingPage
from alanews.processors import canonical_url
from alanews.site import (
    CATEGORY_BY_SPIDER, ArticleUrl, category_url, in_category, normalise_base_url, parse_article_url,
    parse_category_url,
)
from alanews.spiders.arguments import SpiderArguments

# What an IgnoreRequest's message says -> the kind in alanews/failed/<kind>
_IGNORED = (("robots.txt", "robots"), ("max redirections", "redirects"), ("redirect loop", "redirect_loop"),
            ("off-site", "offsite"), ("DOWNLOAD_MAXSIZE", "too_large"), ("site unreachable", "unreachable"))
_HTML_TYPES = (b"", b"text/html", b"application/xhtml+xml")


def failure_kind(failure) -> str:
    """A short name for why a request brought no page: http_404, timeout, too_large, robots, ..."""
    exc = failure.value
    if isinstance(exc, HttpError):
        return f"http_{exc.response.status}"
    if isinstance(exc, IgnoreRequest):
        return next((kind for needle, kind in _IGNORED if needle in str(exc)), "ignored")
    if isinstance(exc, (DownloadTimeoutError, TxTimeoutError)):
        return "timeout"
    if isinstance(exc, DownloadCancelledError):
        # "Expected to receive N bytes ... max size", or no message: cut while streaming past max size
        return "too_large" if "max size" in str(exc) or not str(exc) else "cancelled"
    if isinstance(exc, (DownloadConnectionRefusedError, DownloadFailedError, ResponseDataLossError,
                        ConnectError, ConnectionDone, ConnectionLost)):
        return "connection"
    return type(exc).__name__


def is_html(response) -> bool:
    """An HTML page: what Scrapy made of it, and what the server said it is (a PDF can look like text)."""
    mime = response.headers.get("Content-Type", b"").split(b";")[0].strip().lower()
    return isinstance(response, HtmlResponse) and mime in _HTML_TYPES


class CategorySpider(scrapy.Spider):
    #: spider names of the categories whose archives this spider walks
    categories: tuple[str, ...] = ()
    #: follow every related post, not only those of our own categories
    follow_all_related = False

    def __init__(self, *args, **kwargs):
        self.args = SpiderArguments.from_kwargs(kwargs)
        self._depths: dict[str, int] = {}  # smallest related depth each article was reached at
        self._unfollowed: dict[str, list[str]] = {}  # related posts of articles parsed at the depth limit
        self._listings: set[str] = set()  # listing pages requested (pagination loops)
        super().__init__(*args, **kwargs)

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.base_url = normalise_base_url(crawler.settings.get("ALANEWS_BASE_URL"))
        spider.allowed_domains = [urlsplit(spider.base_url).hostname]
        overrides = crawler.settings.getdict("ALANEWS_CATEGORY_PATHS")
        spider.paths = tuple(
            overrides.get(name, CATEGORY_BY_SPIDER[name].path) for name in cls.categories or (cls.name,)
        )
        spider.extractor = extractor_from_crawler(crawler)  # reads the article pages (alanews/extraction.py)
        return spider

    async def start(self):
        for path in self.paths:
            self._listings.add(category_url(self.base_url, path))
            yield Request(
                category_url(self.base_url, path),
                callback=self.parse_listing,
                errback=self._failed,
                meta={"alanews_category": path, "alanews_page": 1},
            )

    async def parse(self, response):
        """A page reached without a callback (``scrapy parse URL``): an article or a listing, by its URL.

        Article permalinks go to :meth:`parse_article`, category archive pages (``/category/<path>/``,
        ``…/page/<n>/``) to :meth:`parse_listing`; any other page is skipped with a WARNING
        (stat ``alanews/parse/not_article_or_listing``).
        """
        if parse_article_url(self.base_url, response.url):
            async for result in self.parse_article(response):
                yield result
        elif listing := parse_category_url(self.base_url, response.url):
            response.meta.setdefault("alanews_category", listing[0])
            response.meta.setdefault("alanews_page", listing[1])
            for result in self.parse_listing(response):
                yield result
        else:
            self._skip(response, "parse/not_article_or_listing")

    def parse_listing(self, response):
        if not is_html(response):
            self._skip(response, "listing/not_html")
            return
        page = ListingPage(response)
        number = response.meta.get("alanews_page", 1)
        self.crawler.stats.inc_value("alanews/listing/pages")
        if not page.from_region:
            self.crawler.stats.inc_value("alanews/listing/whole_page")  # not the JNews archive layout
        main = self._articles(page.main_links(), response)
        if not main:
            self._skip(response, "listing/empty")
        wanted = {url: article for url, article in {**dict(self._articles(page.hero_links(), response)),
                                                    **dict(main)}.items() if self._wanted_by_date(article)}
        # the archive's own list, in page order, for deltafetch's early stop (the hero repeats on every page)
        response.meta["alanews_main_list"] = [url for url, _ in main if url in wanted]
        for url in wanted:
            yield from self._article_requests(url, depth=0)
        next_url = page.next_page()
        if not next_url:
            response.meta["alanews_archive_end"] = True
        more_pages = self.args.max_pages is None or number < self.args.max_pages
        if next_url and main and more_pages and any(self._wanted_by_date(a, count=False) for _, a in main):
            if canonical_url(next_url) in self._listings:
                self.crawler.stats.inc_value("alanews/listing/loop")
                self.logger.warning("Pagination loop: %s points back to %s, already walked", response.url, next_url)
                response.meta["alanews_archive_end"] = True
                return
            self._listings.add(canonical_url(next_url))
            yield Request(next_url, callback=self.parse_listing, errback=self._failed, meta={
                "alanews_category": response.meta.get("alanews_category"),
                "alanews_page": number + 1,
                "alanews_next_page": True,
            })

    async def parse_article(self, response):
        if not is_html(response):
            self._skip(response, "article/not_html")
            return
        if not response.body.strip():
            self._skip(response, "article/empty")
            return
        if b"</html" not in response.body[-4096:].lower():
            self.crawler.stats.inc_value("alanews/article/truncated")
            self.logger.warning("Truncated page %s: no </html> at its end; fields after the cut are missing",
                                response.url)
        item, related_urls = await self.extractor.extract(response, self.base_url)
        yield item
        url = response.meta.get("deltafetch_key", response.url)
        related = self._articles(related_urls, response)
        depth = self._depths.get(url, response.meta.get("alanews_depth", 0))
        if depth < self.args.related_depth:
            for request in self._follow_related(related, depth):
                yield request
        elif depth > 0:
            self._unfollowed[url] = [related_url for related_url, _ in related]  # URLs only: memory

    # --- navigation rules ------------------------------------------------------

    def _articles(self, hrefs, response) -> list[tuple[str, ArticleUrl]]:
        """Canonical permalinks among ``hrefs``; other links are counted and dropped."""
        found = {}
        canonicalised = 0
        for href in hrefs:
            url = canonical_url(href, response.url)
            article = parse_article_url(self.base_url, url) if url else None
            if article is None:
                self.crawler.stats.inc_value("alanews/links/not_article")
                self.logger.info("Ignored link %r on %s: not an article of %s", href, response.url, self.base_url)
            else:
                canonicalised += url != href  # relative, utm_*, #fragment
                found.setdefault(url, article)
        if canonicalised:
            self.crawler.stats.inc_value("alanews/links/canonicalised", canonicalised)
        return list(found.items())

    def _follows(self, article: ArticleUrl) -> bool:
        return self.follow_all_related or any(in_category(article.category_path, p) for p in self.paths)

    def _wanted_by_date(self, article: ArticleUrl, count: bool = True) -> bool:
        wanted = self.args.since is None or article.published >= self.args.since
        if not wanted and count:
            self.crawler.stats.inc_value("alanews/since/skipped")
        return wanted

    def _follow_related(self, related: list[tuple[str, ArticleUrl]], depth: int):
        other_category = followed = 0
        for url, article in related:
            if not self._follows(article):
                other_category += 1
            elif self._wanted_by_date(article):
                followed += 1
                yield from self._article_requests(url, depth=depth + 1)
        for name, count in (("other_category", other_category), ("followed", followed)):
            if count:
                self.crawler.stats.inc_value(f"alanews/related/{name}", count)

    def _article_requests(self, url: str, depth: int):
        """Request an article once, and remember the smallest depth it is reached at.

        A post first reached through Related Posts and later listed in an archive
        is closer than it looked: its related posts, left unfollowed, are followed now.
        """
        previous = self._depths.get(url)
        if previous is None or depth < previous:
            self._depths[url] = depth
            if url in self._unfollowed and depth < self.args.related_depth:
                related = [(u, parse_article_url(self.base_url, u)) for u in self._unfollowed.pop(url)]
                yield from self._follow_related(related, depth)
        if previous is not None:
            # already requested: the dupefilter would drop the Request, but only after building
            # it, the spider middlewares and a fingerprint (most related links, every hero link)
            return
        # an article is known to deltafetch by its canonical URL, whatever link led to it
        meta = {"alanews_depth": depth, "deltafetch_key": url}
        yield Request(url, callback=self.parse_article, errback=self._failed, meta=meta, priority=1)

    def _failed(self, failure):
        """A request that brought no page: one WARNING line and the stat alanews/failed/<kind>.

        Handles every failure (HTTP errors, timeouts, size limits, robots.txt, off-site or
        looping redirects): nothing reaches the log as a traceback or a spider exception.
        """
        request = failure.request
        kind = failure_kind(failure)
        if kind == "unreachable":
            return  # the run is stopping; its one ERROR line says why (alanews/reachability.py)
        message = f"HTTP {failure.value.response.status}" if kind.startswith("http_") else failure.getErrorMessage()
        first = request.meta.get("redirect_urls", [request.url])[0]
        self.crawler.stats.inc_value(f"alanews/failed/{kind}")
        self.logger.warning("Failed %s (failed/%s): %s", first, kind, message)

    def _skip(self, response, reason: str) -> None:
        self.logger.warning("Skipped %s (%s, status %s)", response.url, reason, response.status)
        self.crawler.stats.inc_value(f"alanews/{reason}")
