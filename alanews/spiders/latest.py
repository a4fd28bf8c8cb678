"""``latest``: new posts within minutes, from the site's WordPress RSS 2.0 feed.

``scrapy crawl latest`` reads ``/feed/`` (``-a category=<spider name>``: ``/category/<path>/feed/``),
10 posts a page, newest first, and the next page (``?paged=N``) only while every post of a page
is new: unknown to the state and, with ``-a since``, published on or after it. A post is known
by the post id of its ``guid`` (``<home>/?p=N``, kept through a rename: a renamed post is not
fetched), else by its permalink. Each new post's page is fetched and written as every spider
writes it (:class:`~alanews.spiders.base.ArticleSpider`): the feed gives discovery and identity,
never a field. A poll with nothing new costs robots.txt and one feed page.

Falls back, never hides: a feed page 1 that fails (404, any error), is not RSS (an HTML or
maintenance page), is empty, cut (not well-formed XML), or whose newest post is older than the
newest post the state knows by more than ``ALANEWS_FEED_MAX_LAG`` hours (a stale cached copy),
or a later page that fails otherwise than with WordPress's 404 past the last page: one WARNING
line naming why, the stat ``alanews/feed/fallback/<reason>``, then the category spider's walk of
each archive (page 1, and on only as far as its early stop allows).

Incremental only: a snapshot (``-O``, ``-a incremental=0``) or a run without the state is refused
before any request (exit 1).
"""

from __future__ import annotations

from datetime import timedelta

from scrapy.http import Request

from alanews.pages.feed import FeedEntry, FeedPage
from alanews.site import CATEGORIES, feed_url, parse_article_url
from alanews.spiders.arguments import LatestArguments, SpiderArguments
from alanews.spiders.base import CategorySpider, failure_kind

#: why a poll walked the archives instead (stat alanews/feed/fallback/<reason>)
STALE = "stale"


class LatestSpider(CategorySpider):
    """See the module docstring. Stats: ``alanews/feed/pages``, ``alanews/feed/known`` (posts the state
    knows), ``alanews/feed/renamed`` (known by post id under another URL), ``alanews/feed/fallback/<reason>``,
    ``alanews/feed/<defect>`` (a repaired feed, alanews/pages/feed.py)."""

    name = "latest"
    incremental_only = True
    #: the fallback walks every archive (one, with -a category)
    categories = tuple(c.spider for c in CATEGORIES)
    # a poll with nothing new is a right answer
    custom_settings = {"ALANEWS_MONITOR_MIN_ITEMS": 0}

    def __init__(self, *args, **kwargs):
        self.latest_args = LatestArguments.from_kwargs(kwargs)
        if self.latest_args.category:
            self.categories = (self.latest_args.category,)
        super().__init__(*args, **kwargs)
        self.args = SpiderArguments(since=self.latest_args.since, related_depth=0)  # the feed finds the posts
        self.fallback: str | None = None  # why the archives were walked, once they were

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.max_lag = timedelta(hours=crawler.settings.getfloat("ALANEWS_FEED_MAX_LAG"))  # checked: alanews/checks.py
        spider.feed_url = feed_url(spider.base_url, spider.paths[0] if spider.latest_args.category else None)
        return spider

    async def start(self):
        yield Request(self.feed_url, callback=self.parse_feed, errback=self._feed_failed,
                      meta={"alanews_feed_page": 1})
        for request in self.retry_requests():
            yield request

    def parse_feed(self, response):
        """A feed page: request its new posts; the next page if every post on it is new; else fall back."""
        page = FeedPage(response)
        number = response.meta.get("alanews_feed_page", 1)
        self.crawler.stats.inc_value("alanews/feed/pages")
        for defect, what in page.defects.items():
            self.crawler.stats.inc_value(f"alanews/feed/{defect}")
            self.logger.warning("Feed %s repaired (%s): %s", response.url, defect, what)
        if page.problem:
            yield from self._fall_back(response.url, page.problem, page.reason)
            return
        entries = page.entries()
        if number == 1 and (stale := self._stale(entries)):
            yield from self._fall_back(response.url, STALE, stale)
            return
        new = self._new(entries, response)
        for url in new:
            yield from self.article_requests(url)
        if len(new) < len(entries):
            return
        if number >= self.max_listing_pages:
            self.crawler.stats.inc_value("alanews/listing/max_pages")
            self.logger.warning("Stopped reading the feed at page %d (%s): ALANEWS_MAX_LISTING_PAGES is %d; older "
                                "new posts are left to the category crawls", number, response.url,
                                self.max_listing_pages)
            return
        try:
            next_url = page.next_page()
        except ValueError as bad:
            yield from self._fall_back(response.url, "bad_next", f"its next page link {bad.args[0]!r} is not a URL")
            return
        yield Request(next_url, callback=self.parse_feed, errback=self._feed_failed,
                      meta={"alanews_feed_page": number + 1})

    def _new(self, entries: list[FeedEntry], response) -> list[str]:
        """The permalinks of the entries to fetch: not known to the state (post id first, then the URL),
        wanted by date. One state query for the page."""
        ledger = self.ledger
        # one query for the page; resolve() then answers each entry from it
        known = ledger.known([k for e in entries for k in (f"post:{e.post_id}" if e.post_id else None, e.url)])
        new = []
        for entry in entries:
            article = parse_article_url(self.base_url, entry.url) if entry.url else None
            if article is None:
                self.crawler.stats.inc_value("alanews/feed/not_article")
                self.logger.warning("Feed %s: item %s links no article of %s (%r)", response.url,
                                    entry.guid, self.base_url, entry.url)
                continue
            record = ledger.resolve(entry.post_id, entry.url)
            if record is not None:
                self.crawler.stats.inc_value("alanews/feed/known")
                if record.url != entry.url and entry.url not in known:
                    self.crawler.stats.inc_value("alanews/feed/renamed")
                    self.logger.info("Feed: post %d is known as %s; not fetched under %s", entry.post_id,
                                     record.url, entry.url)
                continue
            if self._wanted_by_date(article):
                new.append(entry.url)
        return new

    def _stale(self, entries: list[FeedEntry]) -> str | None:
        """Why page 1 is a stale copy (its newest post older than the state's newest by more than the
        bound), or None."""
        newest_feed = max((e.published for e in entries if e.published), default=None)
        newest_known = self.ledger.newest_published(self.paths[0] if self.latest_args.category else None)
        if newest_feed is None or newest_known is None or newest_known - newest_feed <= self.max_lag:
            return None
        hours = (newest_known - newest_feed).total_seconds() / 3600
        return (f"its newest post ({newest_feed.isoformat()}) is {hours:.1f} h older than the newest post written "
                f"({newest_known.isoformat()}); ALANEWS_FEED_MAX_LAG is {self.max_lag.total_seconds() / 3600:g} h")

    def _feed_failed(self, failure):
        """A feed page brought no answer: past the last page (a 404 after page 1) the feed is read; else fall back."""
        kind = failure_kind(failure)
        if kind == "unreachable":
            return  # the run is stopping; its one ERROR line says why (alanews/reachability.py)
        number = failure.request.meta.get("alanews_feed_page", 1)
        if number > 1 and kind == "http_404":
            self.logger.info("Feed %s: past its last page", failure.request.url)
            return
        message = f"HTTP {failure.value.response.status}" if kind.startswith("http_") else failure.getErrorMessage()
        yield from self._fall_back(failure.request.url, kind, message)

    def _fall_back(self, url: str, reason: str, why: str):
        """One WARNING line naming why, the stat, then the category walk (once a run)."""
        if self.fallback is not None:
            return
        self.fallback = reason
        self.crawler.stats.set_value(f"alanews/feed/fallback/{reason}", 1)
        self.logger.warning("Feed %s not usable (%s): %s; walking page 1 of %d category archive(s) instead", url,
                            reason, why, len(self.paths))
        yield from self.walk_requests()
