"""``latest``: new posts within minutes, from the site's WordPress RSS 2.0 feed.

``scrapy crawl latest`` reads ``/feed/`` (``-a category=<spider name>``: ``/category/<path>/feed/``),
10 posts a page, newest first. Reading its pages is a walk of the feed URL, recorded in the state
as the category walks are (:class:`~alanews.spiders.base.CategorySpider`): the next page
(``?paged=N`` on the feed URL; a ``rel=next`` link is not followed) is read until a page lists a
known post that the last complete walk of this feed read (:meth:`alanews.state.Walked.read`: recorded
before that walk started, or by that walk itself), or until WordPress's 404 past the last page. A
post another spider wrote since, or this poll wrote, proves nothing: a poll stopped early (a kill,
SIGTERM, ``CLOSESPIDER_TIMEOUT``) leaves its walk incomplete, and the next poll reads on until proof.
Without a walk of the feed, a complete walk of every archive the feed lists (the category crawls)
is that proof. A post is new when unknown to the state and, with ``-a since``, published on or
after it (a walk that stops at ``since`` is not complete). A post is known by the post id of its
``guid`` (``<home>/?p=N``, kept through a rename: a renamed post, whose permalink keeps its day, is not
fetched; a guid naming a known post of another day is another post's, and fetched), else by its
permalink. Each new post's page is fetched and written as every spider writes it
(:class:`~alanews.spiders.base.ArticleSpider`): the feed gives discovery and identity, never a
field. A poll with nothing new after a complete walk costs robots.txt and one feed page.

Falls back, never hides: a feed page 1 that fails (404, any error), is not RSS (an HTML or
maintenance page), is empty, cut (not well-formed XML), has no readable ``pubDate`` (``no_dates``),
or is stale (:meth:`LatestSpider._stale`: its newest post older than now by more than
``ALANEWS_FEED_MAX_AGE`` hours if set, or than the newest post the state knows by more than
``ALANEWS_FEED_MAX_LAG``), a feed never answered (its request dropped: ``not_answered``, at
``spider_idle``), a later page that fails otherwise than with WordPress's 404 past the last page,
or a page listing no post the walk had not listed already (a cache ignoring ``?paged``): one
WARNING line naming why, the stat ``alanews/feed/fallback/<reason>``, then the category spider's
walk of each archive (page 1, and on only as far as its early stop allows). A feed request's
retry give-up is logged at WARNING: the fallback is the answer, and the poll exits 0 when it did
its job.

Incremental only: a snapshot (``-O``, ``-a incremental=0``), a reset (``-a deltafetch_reset=1``) or a
run without the state is refused before any request (exit 1).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit, urlunsplit

from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Request

from alanews.errors import NotStarting, SpiderArgumentError
from alanews.ledger import as_bool
from alanews.pages.feed import FeedEntry, FeedPage, feed_page_url
from alanews.site import CATEGORIES, feed_url, parse_article_url
from alanews.spiders.arguments import LatestArguments, SpiderArguments
from alanews.spiders.base import CategorySpider, failure_kind
from alanews.state import Walked

#: why a poll walked the archives instead (stat alanews/feed/fallback/<reason>)
STALE = "stale"
REPEATED = "repeated"
NOT_ANSWERED = "not_answered"
NO_DATES = "no_dates"
NO_ARTICLES = "no_article_links"
_DEFAULT_PORTS = {"http": 80, "https": 443}
#: a publication date later than now by more than this is not believed (a clock off, a garbled date)
FUTURE_MARGIN = timedelta(hours=1)
# every feed request: the retry give-up is this spider's one WARNING + fallback, not an ERROR (Scrapy's meta key)
_FEED_META = {"give_up_log_level": "WARNING"}


@dataclass(frozen=True)
class ArchivesWalked:
    """Every archive walked completely, the first walk starting at ``started_at`` (UNIX time): together
    they read every post published before then. A post's publication, not its recording, is the proof:
    a first crawl records every post while it walks."""

    started_at: float

    def read(self, record) -> bool:
        if record.first_written_at < self.started_at:
            return True
        try:
            published = datetime.fromisoformat(record.published or "")
        except ValueError:
            return False
        return published.tzinfo is not None and published.timestamp() < self.started_at


@dataclass
class FeedWalk:
    """This poll's walk of the feed: what makes it complete (recorded at a ``finished`` close)."""

    listed: set[str] = field(default_factory=set)  # permalinks of the new posts requested
    seen: set[str] = field(default_factory=set)  # every entry listed so far (permalink or guid)
    ended: bool = False  # reached the feed's last page, or stopped early on proof


class LatestSpider(CategorySpider):
    """See the module docstring. Stats: ``alanews/feed/pages``, ``alanews/feed/known`` (posts the state
    knows), ``alanews/feed/renamed`` (known by post id under another URL of the same day),
    ``alanews/feed/guid_of_other_post`` (a guid naming a known post of another day: fetched),
    ``alanews/feed/mapped_to_base``, ``alanews/feed/not_article``, ``alanews/feed/fallback/<reason>``,
    ``alanews/feed/<defect>`` (a repaired feed, alanews/pages/feed.py)."""

    name = "latest"
    incremental_only = True
    #: never a snapshot (-O): only what is new (alanews/feeds.py gives no -O advice then)
    snapshots = False
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
        self.feed_walk = FeedWalk()
        self.feed_answered = False  # page 1 of the feed brought a response or a failure
        self._proofs: list[Walked] = []  # the last walks whose reading proves an early stop
        self._archives: Walked | None = None  # every archive's last walks together, when all are complete

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        try:
            reset = as_bool(getattr(spider, "deltafetch_reset", None), "deltafetch_reset") or \
                crawler.settings.getbool("DELTAFETCH_RESET")
        except ValueError as error:
            raise SpiderArgumentError(str(error)) from None
        if reset:
            raise NotStarting("latest finds what is new by the state: deltafetch_reset (write everything again) is a "
                              "category spider's, e.g. scrapy crawl alanews -a deltafetch_reset=1")
        # both checked: alanews/checks.py
        spider.max_lag, spider.max_age = (timedelta(hours=crawler.settings.getfloat(name)) for name in
                                          ("ALANEWS_FEED_MAX_LAG", "ALANEWS_FEED_MAX_AGE"))
        spider.feed_url = feed_url(spider.base_url, spider.paths[0] if spider.latest_args.category else None)
        crawler.signals.connect(spider.spider_idle, signal=signals.spider_idle)
        return spider

    async def start(self):
        for request in self.feed_requests():
            yield request
        for request in self.retry_requests():
            yield request

    def feed_requests(self):
        """Page 1 of the feed, its walk recorded started (incomplete until a finished close): the walk's way in."""
        ledger = self.ledger
        if ledger is not None:
            self._proofs = self._walks_proving(ledger.walks())
            ledger.start_walks([self.feed_url])
        yield Request(self.feed_url, callback=self.parse_feed, errback=self._feed_failed,
                      meta={**_FEED_META, "alanews_feed_page": 1})

    def spider_idle(self):
        """Page 1 of the feed never answered, nothing else to do: its request was dropped without a failure
        (a redirect to another host filtered as off-site, the dupefilter): one WARNING and the fallback."""
        if self.feed_answered or self.fallback is not None:
            return
        self.feed_answered = True
        stats = self.crawler.stats
        dropped = [f"{name} {count}" for name in ("offsite/filtered", "dupefilter/filtered")
                   if (count := stats.get_value(name))]
        why = ("its request was dropped without an answer"
               + (f" ({', '.join(dropped)}: a redirect to another host?)" if dropped else ""))
        requests = list(self._fall_back(self.feed_url, NOT_ANSWERED, why))
        for request in requests:
            self.crawler.engine.crawl(request)
        if requests:
            raise DontCloseSpider

    def parse_feed(self, response):
        """A feed page: request its new posts; the next page until proof (see the module docstring); else fall back."""
        page = FeedPage(response)
        number = response.meta.get("alanews_feed_page", 1)
        self.feed_answered = True
        self.crawler.stats.inc_value("alanews/feed/pages")
        for defect, what in page.defects.items():
            self.crawler.stats.inc_value(f"alanews/feed/{defect}")
            self.logger.warning("Feed %s repaired (%s): %s", response.url, defect, what)
        requested = response.meta.get("redirect_urls", [response.url])[0]
        if page.problem:
            answered = f" (redirected to {response.url})" if requested != response.url else ""
            yield from self._fall_back(requested, page.problem, page.reason + answered)
            return
        entries = page.entries()
        if number == 1 and (stale := self._stale(entries)):
            yield from self._fall_back(response.url, *stale)
            return
        entries = self._on_base(entries, response)
        if not any(entry.url for entry in entries):
            yield from self._fall_back(response.url, NO_ARTICLES, f"none of its {len(entries)} items links an "
                                       f"article of {self.base_url}")
            return
        walk = self.feed_walk
        listed = {e.url or e.guid for e in entries} - {None}
        if number > 1 and not listed - walk.seen:
            self.crawler.stats.inc_value("alanews/feed/repeated")
            yield from self._fall_back(response.url, REPEATED, f"page {number} lists no post the earlier pages did "
                                       f"not list (a cache ignoring ?paged)")
            return
        walk.seen |= listed
        new, proof, older = self._new(entries, response)
        walk.listed.update(url for url, _ in new)
        for url, post_id in new:
            yield from self.article_requests(url, post_id=post_id)
        if proof:
            walk.ended = True
            self.crawler.stats.inc_value("deltafetch/early_stop")
            self.logger.info("Feed: stopped at page %d (%s): it lists %s, which the last complete walk of the feed "
                             "read", number, response.url, proof)
            return
        if older:
            return  # -a since: the walk is not complete
        if number >= self.max_listing_pages:
            self.crawler.stats.inc_value("alanews/listing/max_pages")
            self.logger.warning("Stopped reading the feed at page %d (%s): ALANEWS_MAX_LISTING_PAGES is %d; older "
                                "new posts are left to the category crawls; the walk is not complete", number,
                                response.url, self.max_listing_pages)
            return
        yield Request(feed_page_url(self.feed_url, number + 1), callback=self.parse_feed,
                      errback=self._feed_failed, meta={**_FEED_META, "alanews_feed_page": number + 1})

    def _on_base(self, entries: list[FeedEntry], response) -> list[FeedEntry]:
        """The entries with each link on the base URL: one differing only by scheme, or by a ``www.``
        of its host (a port its scheme's default), is mapped to it (stat ``alanews/feed/mapped_to_base``);
        one that is no article of the site then has no URL (one WARNING for the page, stat
        ``alanews/feed/not_article``)."""
        base = urlsplit(self.base_url)
        out, mapped, off = [], 0, []
        for entry in entries:
            url = entry.url
            if url and parse_article_url(self.base_url, url) is None:
                parts = urlsplit(url)
                same_host = (parts.hostname or "").removeprefix("www.") == (base.hostname or "").removeprefix("www.")
                port_ok = parts.port in (None, base.port, _DEFAULT_PORTS.get(parts.scheme))
                moved = urlunsplit((base.scheme, base.netloc, parts.path, parts.query, "")) if same_host and port_ok \
                    else None
                if moved is not None and parse_article_url(self.base_url, moved) is not None:
                    url, mapped = moved, mapped + 1
                else:
                    url = None
                    off.append(entry.url or entry.guid)
            out.append(replace(entry, url=url) if url != entry.url else entry)
        if mapped:
            self.crawler.stats.inc_value("alanews/feed/mapped_to_base", mapped)
        if off:
            self.crawler.stats.inc_value("alanews/feed/not_article", len(off))
            self.logger.warning("Feed %s: %d item(s) link no article of %s (e.g. %r)", response.url, len(off),
                                self.base_url, off[0])
        return out

    def _walks_proving(self, walks: dict[str, Walked]) -> list[Walked]:
        """The last walks whose reading proves an early stop of the feed walk: the feed's own; for a category
        feed, its archive's; for the site's feed, every archive's together (complete if each is, started
        when the first started)."""
        proofs = [walks[self.feed_url]] if self.feed_url in walks else []
        archives = [walks.get(path) for path in self.paths]
        self._archives = None
        if archives and all(w is not None and w.complete and w.started_at is not None for w in archives):
            spiders = {w.spider for w in archives}
            started = min(w.started_at for w in archives)
            self._archives = Walked(True, started, started, spiders.pop() if len(spiders) == 1 else None)
        if self.latest_args.category:
            proofs += [w for w in archives if w is not None]
        elif self._archives is not None:
            proofs.append(ArchivesWalked(self._archives.started_at))
        return proofs

    def _new(self, entries: list[FeedEntry], response) -> tuple[list[tuple[str, int | None]], str | None, bool]:
        """(the permalinks and post ids of the entries to fetch: not known to the state (post id first, then the URL),
        wanted by date; a known post the last complete walk read (the walk may stop), or None; whether an
        entry is older than ``-a since``). One state query for the page."""
        ledger = self.ledger
        # one query for the page; resolve() then answers each entry from it
        known = ledger.known([k for e in entries for k in (f"post:{e.post_id}" if e.post_id else None, e.url)])
        new, proof, older = [], None, False
        for entry in entries:
            article = parse_article_url(self.base_url, entry.url) if entry.url else None
            if article is None:
                continue
            record, post_id = ledger.resolve(entry.post_id, entry.url), entry.post_id
            if record is not None and record.url != entry.url and entry.url not in known:
                before = parse_article_url(self.base_url, record.url)
                if before is not None and before.published != article.published:
                    # a rename keeps the permalink's day (the publication's): the guid is another post's
                    self.crawler.stats.inc_value("alanews/feed/guid_of_other_post")
                    self.logger.warning("Feed %s: item %s names post %d, known as %s, published another day than "
                                        "%s: not a rename, fetched", response.url, entry.guid, entry.post_id,
                                        record.url, entry.url)
                    record, post_id = None, None
                else:
                    self.crawler.stats.inc_value("alanews/feed/renamed")
                    self.logger.info("Feed: post %d is known as %s; not fetched under %s", entry.post_id,
                                     record.url, entry.url)
            if record is not None:
                self.crawler.stats.inc_value("alanews/feed/known")
                if proof is None and any(walk.read(record) for walk in self._proofs):
                    proof = record.url
                continue
            if self._wanted_by_date(article):
                new.append((entry.url, post_id))
            else:
                older = True
        return new, proof, older

    def _stale(self, entries: list[FeedEntry]) -> tuple[str, str] | None:
        """(reason, why) page 1 is no current feed, or None. Its newest post (dates beyond now +
        FUTURE_MARGIN ignored; none readable: NO_DATES) is stale when older than now by more than
        ALANEWS_FEED_MAX_AGE, unless a complete walk of every archive started within as many hours, or
        older than the newest post the state knows by more than ALANEWS_FEED_MAX_LAG. Known posts
        recorded before this spider's own last complete walk of every archive (a fallback) started
        were judged then: a fallback that found nothing new is not repeated for them (a deleted post)."""
        now = datetime.now(timezone.utc)
        dates = [e.published for e in entries if e.published is not None and e.published <= now + FUTURE_MARGIN]
        if not dates:
            return NO_DATES, "no item has a readable publication date (pubDate) that is not in the future"
        newest_feed = max(dates)
        archives = self._archives
        hours = (now - newest_feed).total_seconds() / 3600
        walked_lately = archives is not None and archives.started_at >= (now - self.max_age).timestamp()
        if self.max_age and now - newest_feed > self.max_age and not walked_lately:
            return STALE, (f"its newest post ({newest_feed.isoformat()}) is {hours:.1f} h old, and no complete walk "
                           f"of every archive started since; ALANEWS_FEED_MAX_AGE is "
                           f"{self.max_age.total_seconds() / 3600:g} h")
        judged = archives.started_at if archives is not None and archives.spider == self.name else None
        newest_known = self.ledger.newest_published(self.paths[0] if self.latest_args.category else None, judged)
        if newest_known is None or newest_known - newest_feed <= self.max_lag:
            return None
        hours = (newest_known - newest_feed).total_seconds() / 3600
        return STALE, (f"its newest post ({newest_feed.isoformat()}) is {hours:.1f} h older than the newest post "
                       f"written ({newest_known.isoformat()}); ALANEWS_FEED_MAX_LAG is "
                       f"{self.max_lag.total_seconds() / 3600:g} h")

    def _feed_failed(self, failure):
        """A feed page brought no answer: past the last page (a 404 after page 1) the feed is read; else fall back."""
        kind = failure_kind(failure)
        self.feed_answered = True
        if kind == "unreachable":
            return  # the run is stopping; its one ERROR line says why (alanews/reachability.py)
        number = failure.request.meta.get("alanews_feed_page", 1)
        if number > 1 and kind == "http_404":
            self.logger.info("Feed %s: past its last page", failure.request.url)
            self.feed_walk.ended = True
            return
        message = (f"HTTP {failure.value.response.status}" if kind.startswith("http_")
                   else failure.getErrorMessage() or f"{type(failure.value).__name__} (no message)")
        retries = failure.request.meta.get("retry_times")
        yield from self._fall_back(failure.request.url, kind,
                                   message + (f", after {retries} retries" if retries else ""))

    def _fall_back(self, url: str, reason: str, why: str):
        """One WARNING line naming why, the stat, then the category walk (once a run)."""
        if self.fallback is not None:
            return
        self.fallback = reason
        self.crawler.stats.set_value(f"alanews/feed/fallback/{reason}", 1)
        self.logger.warning("Feed %s not usable (%s): %s; walking page 1 of %d category archive(s) instead", url,
                            reason, why, len(self.paths))
        yield from self.walk_requests()

    def articles_settled(self, ledger, reason):
        """The archives' walks (a fallback), then the feed's walk: complete at a ``finished`` close if it
        ended (the last page, or proof) and every new post it listed is written or recorded as failed."""
        super().articles_settled(ledger, reason)
        walk = self.feed_walk
        if reason != "finished" or not walk.ended or self.fallback is not None:
            return
        unsettled = walk.listed - ledger.settled(walk.listed)
        if unsettled:
            self.logger.info("Feed walk not complete: %d listed post(s) neither written nor recorded as failed; the "
                             "next poll reads on until proof", len(unsettled))
            return
        ledger.complete_walks([self.feed_url])
