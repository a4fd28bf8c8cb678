"""The article spiders' base: :class:`ArticleSpider` reads article pages and reports failures;
:class:`CategorySpider` walks category archives, then each article's Related Posts.

Spiders only navigate: what a page holds is read by the page classes; what was written is the
article ledger's (alanews/ledger.py), which the category spider asks directly to walk no further
than needed (:class:`Walk`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

import scrapy
from scrapy.exceptions import (
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.http import HtmlResponse, Request
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import ConnectError, ConnectionDone, ConnectionLost
from twisted.internet.error import TimeoutError as TxTimeoutError

from alanews.checks import check_settings
from alanews.errors import NotStarting, TypedIgnore
from alanews.feeds import mask_credentials
from alanews.ledger import ArticleLedger, run_mode
from alanews.pages.article import ArticlePage
from alanews.pages.listing import ListingPage
from alanews.pages.markup import ending
from alanews.processors import canonical_url
from alanews.signals import article_failed, articles_settled
from alanews.site import (
    CATEGORY_BY_SPIDER,
    ArticleUrl,
    category_url,
    in_category,
    normalise_base_url,
    parse_article_url,
    parse_category_url,
)
from alanews.spiders.arguments import SpiderArguments

# Scrapy's own IgnoreRequest, by what its message says -> the kind in alanews/failed/<kind>; ours are typed
_SCRAPY_IGNORED = (("robots.txt", "robots"), ("max redirections", "redirects"), ("DOWNLOAD_MAXSIZE", "too_large"))
_HTML_TYPES = (b"", b"text/html", b"application/xhtml+xml")


def failure_kind(failure) -> str:
    """A short name for why a request brought no page: http_404, timeout, too_large, robots, ..."""
    exc = failure.value
    if isinstance(exc, HttpError):
        return f"http_{exc.response.status}"
    if isinstance(exc, TypedIgnore):
        return exc.kind
    if isinstance(exc, IgnoreRequest):
        return next((kind for needle, kind in _SCRAPY_IGNORED if needle in str(exc)), "ignored")
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


@dataclass
class Walk:
    """One category's walk of its archive in this run: what makes it complete (see CategorySpider)."""

    listed: set[str] = field(default_factory=set)  # main-list posts wanted by date, every page read
    ended: bool = False  # reached the archive's last page (or a pagination loop), or stopped early
    unverified: int = 0  # page boundaries whose re-read is awaited
    shifted: bool = False  # the archive shifted during the walk


class ArticleSpider(scrapy.Spider):
    """Reads article pages (:meth:`parse_article`), requests them (:meth:`article_requests`) and
    reports every request that brought no article (:meth:`_failed`, signal ``article_failed``):
    what the category and the sitemap spiders share."""

    #: follow every related post, not only those of the spider's own categories
    follow_all_related = False
    #: it writes only what the incremental state lacks (latest, updates, audit): a snapshot is refused
    incremental_only = False

    def __init__(self, *args, **kwargs):
        self.args = SpiderArguments.from_kwargs(kwargs)
        self._depths: dict[str, int] = {}  # smallest related depth each article was reached at
        self._unfollowed: dict[str, list[str]] = {}  # related posts of articles parsed at the depth limit
        super().__init__(*args, **kwargs)

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        check_settings(crawler.settings)  # Scrapy runs the add-on that checks them after this
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.base_url = normalise_base_url(crawler.settings.get("ALANEWS_BASE_URL"))
        spider.allowed_domains = [urlsplit(spider.base_url).hostname]
        if cls.incremental_only:
            incremental, why = run_mode(crawler.settings, spider)
            overwritten = [uri for uri, options in crawler.settings.getdict("FEEDS").items()
                           if (options or {}).get("overwrite") is True]
            if overwritten and incremental:  # -a incremental=1 with -O: each run would replace what it wrote
                incremental, why = False, f"-O overwrites {mask_credentials(str(overwritten[0]))}"
            if not crawler.settings.getbool("DELTAFETCH_ENABLED") or not incremental:
                cause = why if crawler.settings.getbool("DELTAFETCH_ENABLED") else "DELTAFETCH_ENABLED is off"
                raise NotStarting(f"{cls.name} is incremental by nature (it writes what the state lacks), "
                                  f"use -o FILE or the default feeds: {cause}")
        crawler.signals.connect(spider.articles_settled, signal=articles_settled)
        return spider

    def articles_settled(self, ledger, reason):
        """At close, once the ledger recorded everything of the run (override point)."""

    @property
    def ledger(self) -> ArticleLedger | None:
        """The article ledger (alanews/ledger.py), or None when the run has no state (``DELTAFETCH_ENABLED`` off)."""
        return self.crawler.get_extension(ArticleLedger)

    def retry_requests(self):
        """Requests of this spider's failed articles due for a retry (alanews/ledger.py)."""
        ledger = self.ledger
        for key in ledger.retries() if ledger is not None else ():
            ledger.retried()
            yield from self.article_requests(key)

    def parse(self, response):
        """A page reached without a callback (``scrapy parse URL``): an article or a listing, by its URL.

        Article permalinks go to :meth:`parse_article`, category archive pages (``/category/<path>/``,
        ``…/page/<n>/``) to :meth:`parse_listing`; any other page is skipped with a WARNING
        (stat ``alanews/parse/not_article_or_listing``).
        """
        if parse_article_url(self.base_url, response.url):
            yield from self.parse_article(response)
        elif listing := parse_category_url(self.base_url, response.url):
            response.meta.setdefault("alanews_category", listing[0])
            response.meta.setdefault("alanews_page", listing[1])
            yield from self.parse_listing(response)
        else:
            self._skip(response, "parse/not_article_or_listing")

    def parse_listing(self, response):
        """A listing page (the category spider's)."""
        self._skip(response, "parse/not_article_or_listing")
        return ()

    def parse_article(self, response):
        if not is_html(response):
            self._skip(response, "article/not_html")
            return
        if not response.body.strip():
            self._skip(response, "article/empty")
            return
        if response.meta.get("redirect_urls") and not parse_article_url(self.base_url, response.url):
            # a post taken down, redirected to its category or the home page (alanews/ledger.py says the
            # same when the page it redirects to was read already)
            first = response.meta["redirect_urls"][0]
            self.crawler.stats.inc_value("alanews/failed/redirected_off_article")
            self.logger.warning("Failed %s (failed/redirected_off_article): it redirects to %s, a page that is no "
                                "article", first, response.url)
            self._article_failed(response.request, "redirected_off_article")
            return
        end = ending(response.body)
        if end != "whole":
            self.crawler.stats.inc_value("alanews/article/truncated")
            if end == "cut":
                if not self._written_cut_short(response):
                    return
            else:
                self.logger.warning("Truncated page %s: no </html> at its end; its content is whole, fields after "
                                    "it may be missing", response.url)
        page = ArticlePage(response, self.base_url)
        item = page.to_item(self.crawler.stats)
        self._check_post_id(response, item)
        yield item
        url = response.meta.get("deltafetch_key", response.url)
        related = self._articles(page.related_urls(), response)
        depth = self._depths.get(url, response.meta.get("alanews_depth", 0))
        if depth < self.args.related_depth:
            for request in self._follow_related(related, depth):
                yield request
        elif depth > 0:
            self._unfollowed[url] = [related_url for related_url, _ in related]  # URLs only: memory

    def _written_cut_short(self, response) -> bool:
        """Whether a page cut inside its content, still so after its retries (alanews.middlewares.BackoffRetryMiddleware),
        is written: an incremental run records it failed instead (a later run fetches it again); a snapshot
        (or a run without state) writes what is there."""
        tries = response.meta.get("retry_times", 0) + 1
        self.crawler.stats.inc_value("alanews/article/cut_short")
        if self.ledger is not None and self.ledger.incremental:
            self.logger.warning("Truncated page %s: no </html> at its end, its content cut (%d tries); not written, "
                                "recorded as failed: a later run fetches it again", response.url, tries)
            self._article_failed(response.request, "cut_short")
            return False
        self.logger.warning("Truncated page %s: no </html> at its end, its content cut (%d tries); written as it "
                            "is (a snapshot), fields after the cut are missing", response.url, tries)
        return True

    def _check_post_id(self, response, item) -> None:
        """A page requested for one post (``alanews_post_id`` meta: the id the listing gave, e.g. a feed's
        guid) that answered another (a redirect guessed from a slug, WordPress's
        ``redirect_guess_404_permalink``): the requested URL is no alias of it. The requested post failed
        (WARNING, stat ``alanews/failed/other_post``; retried by the next runs); the page is the post it is."""
        expected, found = response.meta.get("alanews_post_id"), item.get("post_id")
        if expected is None or found is None or found == expected:
            return
        first = response.meta.get("redirect_urls", [response.url])[0]
        self.crawler.stats.inc_value("alanews/failed/other_post")
        self.logger.warning("Failed %s (failed/other_post): post %d was expected, %s answered post %d (written as "
                            "that post, not under this URL)", first, expected, response.url, found)
        self._article_failed(response.request, "other_post")
        response.meta["deltafetch_key"] = item.get("url") or response.url  # the answered post's own key

    def _articles(self, hrefs, response, count: bool = True) -> list[tuple[str, ArticleUrl]]:
        """Canonical permalinks among ``hrefs``; other links are dropped, and counted if ``count``."""
        found = {}
        canonicalised = 0
        for href in hrefs:
            url = canonical_url(href, response.url)
            article = parse_article_url(self.base_url, url) if url else None
            if article is None:
                if not count:
                    continue
                self.crawler.stats.inc_value("alanews/links/not_article")
                self.logger.info("Ignored link %r on %s: not an article of %s", href, response.url, self.base_url)
            else:
                canonicalised += url != href  # relative, utm_*, #fragment
                found.setdefault(url, article)
        if canonicalised and count:
            self.crawler.stats.inc_value("alanews/links/canonicalised", canonicalised)
        return list(found.items())

    def follows(self, article: ArticleUrl) -> bool:
        """Whether a related post is followed (override point); by default only with ``follow_all_related``."""
        return self.follow_all_related

    def _wanted_by_date(self, article: ArticleUrl, count: bool = True) -> bool:
        wanted = self.args.since is None or article.published >= self.args.since
        if not wanted and count:
            self.crawler.stats.inc_value("alanews/since/skipped")
        return wanted

    def _follow_related(self, related: list[tuple[str, ArticleUrl]], depth: int):
        other_category = followed = 0
        for url, article in related:
            if not self.follows(article):
                other_category += 1
            elif self._wanted_by_date(article):
                followed += 1
                yield from self.article_requests(url, depth=depth + 1)
        for name, count in (("other_category", other_category), ("followed", followed)):
            if count:
                self.crawler.stats.inc_value(f"alanews/related/{name}", count)

    def article_requests(self, url: str, depth: int = 0, post_id: int | None = None):
        """Request an article once (``post_id``: the id its listing gave, checked against the page's), and
        remember the smallest depth it is reached at.

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
        # an article is known to the ledger by its canonical URL, whatever link led to it
        meta = {"alanews_depth": depth, "deltafetch_key": url}
        if post_id is not None:
            meta["alanews_post_id"] = post_id
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
        self._article_failed(request, kind)

    def _skip(self, response, reason: str) -> None:
        self.logger.warning("Skipped %s (%s, status %s)", response.url, reason, response.status)
        self.crawler.stats.inc_value(f"alanews/{reason}")
        self._article_failed(response.request, reason.rsplit("/", 1)[-1])

    def _article_failed(self, request, kind: str) -> None:
        """Tell the ledger an article brought no item: this spider's later runs retry it."""
        if request is not None and request.meta.get("deltafetch_key"):
            self.crawler.signals.send_catch_log(article_failed, key=request.meta["deltafetch_key"], kind=kind,
                                                spider=self)


class CategorySpider(ArticleSpider):
    """Walks the archives of :attr:`categories`, newest first, and the Related Posts of each article.

    A recrawl (an incremental run) stops walking a category at the first listing page whose
    main list ends with a post the previous walk of that category read, if that walk was
    complete (:meth:`alanews.state.Walked.read`: the post was recorded before that walk started,
    or by that walk's spider while it ran): every older post was read by it (``DELTAFETCH_EARLY_STOP``:
    ``oldest_known``, the default; ``all_known`` goes on until a page whose every main-list
    post is so; ``off`` walks every page). A post another spider wrote since proves nothing
    about this archive. New posts above it on that page are requested as usual.

    A walk starts incomplete (recorded at start) and is recorded complete at a ``finished``
    close, once the ledger recorded everything (signal ``articles_settled``), if it reached the
    archive's end or stopped early, every main-list post it listed is written or recorded as
    failed by this spider, and every pair of consecutive listing pages it read is joined: the
    second lists a post of the first, or the first, read again once the second was read, lists
    the same posts and hero as before. Otherwise a post unpublished above a page boundary
    between two reads may have slid, unread, onto the page already read. Early stop needs the
    previous walk complete, so a killed, ``max_pages``- or ``since``-limited run is followed by
    a full walk.
    """

    #: spider names of the categories whose archives this spider walks
    categories: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._listings: set[str] = set()  # listing pages requested (pagination loops)
        self._listed: dict[str, set[str]] = {}  # category -> main-list posts its walk listed so far
        self.walks: dict[str, Walk] = {}
        self._previous: dict = {}  # category -> its last walk (alanews.state.Walked)

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        overrides = crawler.settings.getdict("ALANEWS_CATEGORY_PATHS")
        spider.paths = tuple(
            overrides.get(name, CATEGORY_BY_SPIDER[name].path) for name in spider.categories or (cls.name,)
        )
        spider.max_listing_pages = crawler.settings.getint("ALANEWS_MAX_LISTING_PAGES", 10000)
        # checked: alanews/checks.py
        spider.early_stop = crawler.settings.get("DELTAFETCH_EARLY_STOP") or "oldest_known"
        return spider

    def follows(self, article: ArticleUrl) -> bool:
        return self.follow_all_related or any(in_category(article.category_path, p) for p in self.paths)

    async def start(self):
        for request in self.walk_requests():
            yield request
        for request in self.retry_requests():
            yield request

    def walk_requests(self):
        """Page 1 of each archive of :attr:`paths`, the walks recorded started (the walk's way in)."""
        ledger = self.ledger
        if ledger is not None:
            self._previous = ledger.walks()
            ledger.start_walks(self.paths)
        for path in self.paths:
            self._listings.add(category_url(self.base_url, path))
            yield Request(
                category_url(self.base_url, path),
                callback=self.parse_listing,
                errback=self._failed,
                meta={"alanews_category": path, "alanews_page": 1},
            )

    def _walk(self, response) -> Walk:
        return self.walks.setdefault(response.meta.get("alanews_category"), Walk())

    def parse_listing(self, response):
        """A page of a category archive: its posts, then its next page, within the walk's bounds.

        The walk ends at the archive's last page, at a pagination loop, at a page listing
        nothing this walk had not listed already, at ``ALANEWS_MAX_LISTING_PAGES``, at
        ``-a max_pages`` / ``-a since``, or early (see the class docstring).
        """
        if not is_html(response):
            self._skip(response, "listing/not_html")
            return
        page = ListingPage(response)
        category, number = response.meta.get("alanews_category"), response.meta.get("alanews_page", 1)
        walk = self._walk(response)
        self.crawler.stats.inc_value("alanews/listing/pages")
        if not page.from_region:
            self.crawler.stats.inc_value("alanews/listing/whole_page")  # not the JNews archive layout
        main, hero = self._articles(page.main_links(), response), self._articles(page.hero_links(), response)
        if not main:
            self._skip(response, "listing/empty")
        yield from self._list(response, main, hero)
        yield from self._check_boundary(response, main)
        listed = self._listed.setdefault(category, set())
        new = [url for url, _ in main if url not in listed]
        listed.update(new)
        try:
            next_url = page.next_page()
        except ValueError as bad:
            self.crawler.stats.inc_value("alanews/listing/bad_next")
            self.logger.warning("Stopped walking %s at page %d (%s): its next page link %r is not a URL; the walk "
                                "is not complete", category, number, response.url, bad.args[0])
            return
        if not next_url:
            walk.ended = True
            return
        if not main or not self._more_pages(response, number) or not any(
                self._wanted_by_date(a, count=False) for _, a in main):
            return
        if number > 1 and not new:
            self.crawler.stats.inc_value("alanews/listing/nothing_new")
            self.logger.warning("Stopped walking %s at page %d (%s): every post it lists was listed on an earlier "
                                "page; the walk is not complete", category, number, response.url)
            return
        if canonical_url(next_url) in self._listings:
            self.crawler.stats.inc_value("alanews/listing/loop")
            self.logger.warning("Pagination loop: %s points back to %s, already walked", response.url, next_url)
            walk.ended = True
            return
        if self._stops_early(response, [url for url, a in main if self._wanted_by_date(a, count=False)]):
            walk.ended = True
            return
        self._listings.add(canonical_url(next_url))
        yield Request(next_url, callback=self.parse_listing, errback=self._failed, meta={
            "alanews_category": category,
            "alanews_page": number + 1,
            # what this page listed, to tell whether the archive shifted before the next one was read
            "alanews_previous": {"url": response.url, "main": [url for url, _ in main],
                                 "hero": [url for url, _ in hero]},
        })

    def _stops_early(self, response, main: list[str]) -> bool:
        """Whether the walk stops at this page (see the class docstring)."""
        category = response.meta.get("alanews_category")
        previous = self._previous.get(category)
        ledger = self.ledger
        if not main or previous is None or ledger is None or self.early_stop == "off":
            return False
        known = ledger.known(main)  # the same answer KnownArticles reads for this page's requests
        before = [url for url in main if url in known and previous.read(known[url])]
        if self.early_stop == "oldest_known" and main[-1] not in before:
            return False
        if self.early_stop == "all_known" and len(before) < len(main):
            return False
        self.crawler.stats.inc_value("deltafetch/early_stop")
        self.logger.info("deltafetch: early stop in %s at page %s (%s): %d of its %d main-list articles were "
                         "read by its previous complete walk", category,
                         response.meta.get("alanews_page", 1), self.early_stop, len(before), len(main))
        return True

    def recheck_listing(self, response):
        """Page N read again once page N+1 was read, the two pages not overlapping.

        If it lists the same posts and hero as when it was first read, no post slid from
        page N+1 onto it in between (the boundary is verified); otherwise the archive shifted
        (a WARNING, the stat ``alanews/listing/shifted``, a walk that is not complete) and the
        posts now on it are requested like any listed post.
        """
        if not is_html(response):
            self._skip(response, "listing/not_html")
            return
        page = ListingPage(response)
        # links and dates were counted at the first read
        main = self._articles(page.main_links(), response, count=False)
        hero = self._articles(page.hero_links(), response, count=False)
        yield from self._list(response, main, hero, count=False)
        before = response.meta["alanews_recheck"]
        if [url for url, _ in main] == before["main"] and [url for url, _ in hero] == before["hero"]:
            self._walk(response).unverified -= 1
            return
        walk = self._walk(response)
        walk.unverified -= 1
        walk.shifted = True
        self.crawler.stats.inc_value("alanews/listing/shifted")
        number = response.meta.get("alanews_page", 1)
        unread = [url for url, _ in main if url not in before["main"]]
        self.logger.warning("Archive %s shifted during the walk: page %d, read again after page %d, lists %d post(s) "
                            "it did not list before (requested now); the walk is not complete",
                            response.meta.get("alanews_category"), number, number + 1, len(unread))

    # --- navigation rules ------------------------------------------------------

    def _list(self, response, main, hero, count: bool = True):
        """Request the listed posts wanted by date; the main list goes to the walk (the hero repeats on every page)."""
        wanted = {url: article for url, article in {**dict(hero), **dict(main)}.items()
                  if self._wanted_by_date(article, count)}
        self._walk(response).listed.update(url for url, _ in main if url in wanted)
        ledger = self.ledger
        if ledger is not None:
            ledger.known(wanted)  # one query for the page: the walk and KnownArticles read its answer
        for url in wanted:
            yield from self.article_requests(url)

    def _check_boundary(self, response, main):
        """Page N+1 just read: if it lists no post of page N, read page N again (see recheck_listing)."""
        previous = response.meta.get("alanews_previous")
        if previous is None:
            return
        if set(previous["main"]) & {url for url, _ in main}:
            return
        self._walk(response).unverified += 1
        self.crawler.stats.inc_value("alanews/listing/rechecked")
        yield Request(previous["url"], callback=self.recheck_listing, errback=self._failed, dont_filter=True,
                      priority=2, meta={"alanews_category": response.meta.get("alanews_category"),
                                        "alanews_page": response.meta.get("alanews_page", 2) - 1,
                                        "alanews_recheck": previous})

    def _more_pages(self, response, number: int) -> bool:
        """Whether the walk may read page ``number + 1``: ``-a max_pages``, ALANEWS_MAX_LISTING_PAGES."""
        if self.args.max_pages is not None and number >= self.args.max_pages:
            return False
        if number >= self.max_listing_pages:
            self.crawler.stats.inc_value("alanews/listing/max_pages")
            self.logger.warning("Stopped walking %s at page %d (%s): ALANEWS_MAX_LISTING_PAGES is %d; the walk "
                                "is not complete", response.meta.get("alanews_category"), number, response.url,
                                self.max_listing_pages)
            return False
        return True

    def articles_settled(self, ledger, reason):
        """Everything of the run is recorded: the walks that are complete are recorded so."""
        if reason != "finished":
            return
        complete = []
        for category, walk in sorted(self.walks.items()):
            unsettled = walk.listed - ledger.settled(walk.listed)
            if not walk.ended:
                continue
            if walk.shifted:
                why = "its archive shifted during the walk"
            elif walk.unverified:
                why = f"{walk.unverified} page boundary(ies) could not be read again"
            elif unsettled:
                why = f"{len(unsettled)} listed article(s) neither written nor recorded as failed"
            else:
                complete.append(category)
                continue
            self.logger.info("deltafetch: walk of %s not complete: %s; the next run walks every page", category, why)
        ledger.complete_walks(complete)
