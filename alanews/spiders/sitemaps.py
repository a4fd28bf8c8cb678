"""Spiders that reach articles through the site's sitemaps, not its archives.

* ``archive`` — backfill: ``scrapy crawl archive -a since=2025-01-01 -a until=2025-06-30``
  fetches the posts published in that range (by the permalink's date; ``lastmod``'s where
  the permalink has none), and ``-a missing=1`` every post the feeds lack;
* ``updates`` — edits and deletions since the articles were written;
* ``audit`` — the inventory against the state, report only (``scrapy audit`` runs it; ``-a fetch=1``
  also fetches what is missing).

They read robots.txt, the sitemap index it names (else ``/sitemap_index.xml``, else
``/wp-sitemap.xml``), then only the post sitemap files they need, and request one page per
article they want: no listing page. What they write goes through the same pipelines,
feeds and incremental state as the category crawls (deltafetch skips what any spider of
the data directory wrote; :mod:`alanews.decision` numbers the versions).

Each is an :class:`~alanews.spiders.base.ArticleSpider` that follows no related post
(``related_depth`` 0): the article pages are read by its ``parse_article``, failures counted by
its ``_failed``. Scrapy's public sitemap reader (:class:`scrapy.utils.sitemap.Sitemap`) parses
the sitemaps; :meth:`SitemapCrawl.sitemap_filter` chooses the files and the posts. Reading is
bounded: an index nested deeper than ``ALANEWS_SITEMAP_MAX_DEPTH`` (default 2) is not read, nor
post sitemap files past ``ALANEWS_SITEMAP_MAX_FILES`` (1,000, the oldest left) or longer than
``ALANEWS_SITEMAP_MAX_BYTES`` (50 MiB, the protocol's limit): each makes the inventory incomplete.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urljoin

from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Request
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap

from alanews.audit import build_report, write_report
from alanews.dates import ROME
from alanews.pages.sitemap import SitemapEntry, entry, parse_lastmod
from alanews.processors import canonical_url
from alanews.site import SITEMAP_INDEX_PATHS, next_post_sitemap, parse_article_url, post_sitemap_number
from alanews.spiders.arguments import SitemapArguments, SpiderArguments
from alanews.spiders.base import ArticleSpider, failure_kind
from alanews.state import ArticleRecord

UTC = timezone.utc
#: how much earlier than the truth an index lastmod may be: the GMT time labelled with Rome's offset
OFFSET_SLACK = timedelta(hours=2)


def day_start(day: date) -> datetime:
    """00:00 of a Rome calendar day (permalinks carry the Rome date)."""
    return datetime.combine(day, datetime.min.time(), ROME)


def stored_instant(value: str | None) -> datetime | None:
    """An ISO time the state holds (an item's published/modified) as an aware datetime; a date alone: None."""
    if not value or len(value) <= 10:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


def stored_bounds(value: str | None) -> tuple[datetime, datetime] | None:
    """The earliest and latest moment an item's published/modified means: the time itself, or
    for a date alone its Rome day; None when missing or unreadable."""
    instant = stored_instant(value)
    if instant:
        return instant, instant
    try:
        day = date.fromisoformat((value or "")[:10])
    except ValueError:
        return None
    return day_start(day), day_start(day) + timedelta(days=1)


def stored_lower_bound(record: ArticleRecord) -> datetime | None:
    """The earliest its sitemap lastmod can be: its modified time, else its publication (or their day)."""
    bounds = stored_bounds(record.modified) or stored_bounds(record.published)
    return bounds[0] if bounds else None


def lastmods_by_url(posts: dict[str, str | None] | None) -> dict[str | None, datetime | None]:
    """A ``<loc>`` -> lastmod map as written (the updates memory's ``posts``) by canonical URL, lastmods read."""
    return {canonical_url(loc): parse_lastmod(lastmod) for loc, lastmod in (posts or {}).items()}


class SitemapCrawl(ArticleSpider):
    """robots.txt → sitemap index → post sitemap files → article pages.

    Subclasses choose with :meth:`choose_files` (post sitemap files of the index, with their
    lastmod) and :meth:`wants` (a post of a file read), and say with :meth:`listed_urls` when the
    inventory is known whole, so that the written articles it does not list are requested once
    (:meth:`probe_unlisted`). Everything a post sitemap listed is in :attr:`inventory` (URL →
    entry); :attr:`inventory_complete` says whether every post file was read whole (all of them
    chosen, none in :attr:`incomplete`).
    """

    # they fetch what the sitemaps say is needed, and nothing is a right answer
    custom_settings = {"ALANEWS_MONITOR_MIN_ITEMS": 0}
    #: sitemap arguments this spider takes (alanews/spiders/arguments.py SITEMAP_ARGUMENTS)
    accepted_arguments: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        self.sitemap_args = SitemapArguments.from_kwargs(kwargs, self.accepted_arguments)
        super().__init__(*args, **kwargs)
        self.args = SpiderArguments(related_depth=0)  # parse_article follows no Related Posts
        self.inventory: dict[str, SitemapEntry] = {}
        self.index_url: str | None = None
        self.post_files: list[tuple[str, datetime | None]] = []  # every post file of the index, in order
        self.files_chosen: set[str] = set()
        self.files_read: set[str] = set()
        self.files_failed: set[str] = set()
        self.listed: dict[str, str | None] = {}  # every <loc> of the post files read -> its lastmod, as written
        self.posts_in: dict[str, int] = {}  # post file URL -> <url> entries it lists
        self.newest_in: dict[str, datetime] = {}  # post file URL -> the newest lastmod it lists
        self.incomplete: dict[str, str] = {}  # post file URL -> why it was not read whole (see _incomplete)
        self._parsing: str | None = None  # the sitemap being parsed (sitemap_filter has no response)
        self.probed: set[str] | None = None  # written articles the inventory does not list, requested at idle
        self.moved: dict[str, str] = {}  # of those: old URL -> the article URL it redirects to
        self.live: set[str] = set()  # of those: answered 200 at their own URL
        self.last_named: str | None = None  # the post sitemap file the top index names with the highest number
        self.beyond_url: str | None = None  # the file numbered after it (_beyond_last)
        self.beyond_asked = False

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.max_depth = crawler.settings.getint("ALANEWS_SITEMAP_MAX_DEPTH", 2)
        spider.max_files = crawler.settings.getint("ALANEWS_SITEMAP_MAX_FILES", 1000)
        spider.max_bytes = crawler.settings.getint("ALANEWS_SITEMAP_MAX_BYTES", 50 * 1024 * 1024)
        crawler.signals.connect(spider.probe_unlisted, signal=signals.spider_idle)
        return spider

    @property
    def store(self):
        """The state (alanews.state.ArticleStore) the ledger opened, or None (a snapshot, deltafetch off)."""
        ledger = self.ledger
        return ledger.store if ledger is not None else None

    @property
    def inventory_complete(self) -> bool:
        """Every post sitemap file of the index chosen and read whole (none in :attr:`incomplete`)."""
        return (bool(self.post_files) and self.files_chosen == {u for u, _ in self.post_files}
                and not self.files_failed and not self.incomplete)

    def _incomplete(self, url: str, why: str) -> None:
        """A post sitemap file not read whole: the inventory is incomplete, so nothing it leaves out is
        recorded removed. One WARNING per file, the stat ``alanews/inventory/incomplete``."""
        self.files_failed.add(url)
        if url in self.incomplete:
            return
        self.incomplete[url] = why
        self.crawler.stats.inc_value("alanews/inventory/incomplete")
        self.logger.warning("Inventory incomplete: %s %s; nothing is recorded removed by it", url, why)

    # --- navigation ------------------------------------------------------------------

    async def start(self):
        yield Request(f"{self.base_url}/robots.txt", callback=self.parse_robots, errback=self._no_robots,
                      meta={"alanews_fallbacks": SITEMAP_INDEX_PATHS})
        for request in self.retry_requests():
            yield request

    def parse_robots(self, response):
        """robots.txt: the sitemaps it names (:meth:`_robots_sitemaps`), else the usual index paths."""
        requests = self._robots_sitemaps(response)
        if not requests:
            self.logger.info("robots.txt names no sitemap; trying %s", ", ".join(SITEMAP_INDEX_PATHS))
            yield from self._fallback(response.meta.get("alanews_fallbacks", ()))
            return
        for request in requests:  # an index robots.txt names may be gone: the usual paths then
            fallbacks = tuple(p for p in SITEMAP_INDEX_PATHS if self.base_url + p != request.url)
            yield request.replace(errback=self._no_index, meta={"alanews_fallbacks": fallbacks})

    def parse_sitemap(self, response):
        """A sitemap index or a post sitemap file, read with Scrapy's :class:`~scrapy.utils.sitemap.Sitemap`;
        :meth:`sitemap_filter` chooses what to request. A file is known by the URL asked for (a file that
        redirects, e.g. to a trailing-slash form, is still the file the index named)."""
        url = response.meta.get("redirect_urls", [response.url])[0]
        post_file = url in self.files_chosen
        sitemap, why = self._sitemap_of(response)
        self.crawler.stats.inc_value("alanews/sitemap/files")
        self._parsing = url
        try:
            entries = list(self.sitemap_filter(sitemap)) if sitemap is not None else []
        except (ValueError, TypeError, SyntaxError, StopIteration) as error:  # lxml, met while iterating
            sitemap, entries, why = None, [], f"is no XML ({error or type(error).__name__})"
        self._parsing = None
        if post_file:
            if sitemap is not None:
                self.files_read.add(url)
                why = why or self._incoherent(url)
            if why:
                self._incomplete(url, why)
        elif why and sitemap is not None and sitemap.type == "sitemapindex":  # a cut index: files may be missing
            self._incomplete(url, why)
        elif why:
            self.logger.warning("Sitemap %s not read: it %s", url, why)
        if sitemap is None and not post_file and self.index_url is None:  # the index itself is no sitemap
            yield from self._fallback(response.meta.get("alanews_fallbacks", ()))
            return
        depth = response.meta.get("alanews_sitemap_depth", 0)
        for listed in entries:
            if sitemap.type == "sitemapindex":
                yield self.sitemap_request(listed["loc"], depth + 1)
            else:
                yield self.article_request(listed["loc"])
        if post_file:
            self.check_counts()
            yield from self._ask_beyond()
        yield from self.file_done(url)

    def _sitemap_of(self, response) -> tuple[Sitemap | None, str | None]:
        """The sitemap a response holds (None if none), and why it is not read whole (None if it is),
        counted in the stat ``alanews/sitemap/<why>``. Scrapy's reader raises StopIteration on a body
        without a root element (the XML declaration alone): that file is no XML, not a spider error."""
        body = response.body
        if body[:2] == b"\x1f\x8b":  # a .xml.gz file (HttpCompression unpacked a gzip Content-Encoding)
            try:
                body = gunzip(body, max_size=self.settings.getint("DOWNLOAD_MAXSIZE"))
            except (OSError, ValueError, EOFError) as error:
                return self._not_read(None, f"has a gzip body that cannot be read ({type(error).__name__})",
                                      "bad_gzip")
        if not body.strip():
            return self._not_read(None, "is empty", "empty")
        depth = response.meta.get("alanews_sitemap_depth", 0)
        if depth > self.max_depth:
            return self._not_read(None, f"is nested {depth} sitemap indexes deep (ALANEWS_SITEMAP_MAX_DEPTH is "
                                        f"{self.max_depth})", "max_depth")
        try:
            sitemap = Sitemap(body)
        except (ValueError, TypeError, SyntaxError, StopIteration) as error:
            detail = "no element" if isinstance(error, StopIteration) else str(error)
            return self._not_read(None, f"is no XML ({detail})", "not_xml")
        if sitemap.type not in ("sitemapindex", "urlset"):
            return self._not_read(None, f"is no sitemap (<{sitemap.type}>)", "not_sitemap")
        if f"</{sitemap.type}>".encode() not in body[-4096:]:  # lxml recovers what comes before a cut
            return self._not_read(sitemap, f"is cut (no </{sitemap.type}> at its end)", "cut")
        return sitemap, None

    def _not_read(self, sitemap: Sitemap | None, why: str, stat: str) -> tuple[Sitemap | None, str]:
        self.crawler.stats.inc_value(f"alanews/sitemap/{stat}")
        return sitemap, why

    def _incoherent(self, url: str) -> str | None:
        """Why a post sitemap file read whole is not coherent with its index: its newest entry older than
        the index's lastmod of it (a stale copy; not when the gap is a whole hour or two: an offset
        mislabelled, as Yoast writes GMT times with Rome's offset)."""
        listed, newest = dict(self.post_files).get(url), self.newest_in.get(url)
        if listed is None or newest is None or newest >= listed:
            return None
        gap = (listed - newest).total_seconds()
        if gap in (3600, 7200):
            return None
        return f"is older than its index entry (its newest lastmod {newest.isoformat()}, the index's " \
               f"{listed.isoformat()})"

    def check_counts(self) -> None:
        """Once every chosen file is done: a file that is not the last and lists fewer posts than the
        fullest file (less one: Yoast repeats a file's last entry at the start of the next) is not
        whole. The fullest is that of the files read, or :meth:`known_per_file`."""
        if not self.post_files or not self.files_chosen <= self.files_read | self.files_failed:
            return
        last = self.post_files[-1][0]
        counts = {u: n for u, n in self.posts_in.items() if u != last and u in self.files_read}
        fullest = max([*counts.values(), self.known_per_file() or 0], default=0)
        for url, count in counts.items():
            if count + 1 < fullest:
                self._incomplete(url, f"lists {count} posts, fewer than the fullest file ({fullest}), and is not "
                                      "the last file")

    def known_per_file(self) -> int | None:
        """Posts a full post sitemap file lists, as known before this run (override point)."""
        return None

    def _robots_sitemaps(self, response) -> list[Request]:
        """The sitemaps robots.txt names, read as Scrapy reads them, less those that are no URL
        (``http://[::1/...``, a port out of range): Scrapy's reading raised on one, and the sitemaps
        named beside it and the usual paths were never tried. WARNING, stat ``alanews/sitemap/not_url``."""
        requests = []
        for line in response.body.splitlines():
            if line.lstrip()[:8].lower() != b"sitemap:":
                continue
            try:
                named = line.partition(b":")[2].strip().decode()
            except UnicodeDecodeError:
                continue
            if canonical_url(named, response.url) is None:
                self.crawler.stats.inc_value("alanews/sitemap/not_url")
                self.logger.warning("%s names the sitemap %r, which is not a URL", response.url, named)
                continue
            requests.append(Request(urljoin(response.url, named), callback=self.parse_sitemap))
        return requests

    def sitemap_request(self, url: str, depth: int = 1) -> Request:
        """A sitemap an index names, at most ``ALANEWS_SITEMAP_MAX_BYTES`` long (Scrapy's ``download_maxsize``
        meta: a longer one fails as too large, and its file is not read whole)."""
        return Request(url, callback=self.parse_sitemap, errback=self._sitemap_failed,
                       meta={"alanews_sitemap_depth": depth, "download_maxsize": self.max_bytes})

    def file_done(self, url: str):
        """A sitemap was parsed or failed: requests to add, if any (none here)."""
        return ()

    def article_request(self, url: str) -> Request:
        """An article page, known to deltafetch by its canonical URL."""
        return Request(url, callback=self.parse_article, errback=self._failed, priority=1,
                       meta={"alanews_depth": 0, "deltafetch_key": url})

    def _fallback(self, paths: Iterable[str]):
        paths = tuple(paths)
        if not paths:
            self.crawler.stats.inc_value("alanews/sitemap/none")
            self.logger.error("No sitemap found (robots.txt, %s): nothing to read", ", ".join(SITEMAP_INDEX_PATHS))
            return
        yield Request(self.base_url + paths[0], callback=self.parse_sitemap, errback=self._no_index,
                      meta={"alanews_fallbacks": paths[1:]})

    def _no_robots(self, failure):
        self.logger.info("No robots.txt (%s); trying %s", failure_kind(failure), ", ".join(SITEMAP_INDEX_PATHS))
        yield from self._fallback(failure.request.meta.get("alanews_fallbacks", ()))

    def _no_beyond(self, failure):
        """No post sitemap file after the index's last (404, as it should be; any other failure tells nothing)."""
        self.logger.debug("No post sitemap file after the last the index names: %s (%s)", failure.request.url,
                          failure_kind(failure))

    def _no_index(self, failure):
        self.logger.info("No sitemap index at %s (%s)", failure.request.url, failure_kind(failure))
        yield from self._fallback(failure.request.meta.get("alanews_fallbacks", ()))

    def _sitemap_failed(self, failure):
        """A post sitemap that could not be fetched: the inventory is incomplete (:meth:`_incomplete`)."""
        url = failure.request.meta.get("redirect_urls", [failure.request.url])[0]
        kind = failure_kind(failure)
        if kind == "unreachable":
            self.files_failed.add(url)
            return
        if kind == "too_large":
            self.crawler.stats.inc_value("alanews/sitemap/bound/bytes")
            self._incomplete(url, f"is larger than ALANEWS_SITEMAP_MAX_BYTES ({self.max_bytes})")
        else:
            self.crawler.stats.inc_value(f"alanews/failed/{kind}")
            message = f"HTTP {failure.value.response.status}" if kind.startswith("http_") else failure.getErrorMessage()
            self._incomplete(url, f"failed ({message})")
        self.check_counts()
        yield from self._ask_beyond()
        yield from self.file_done(url)

    # --- identity: the written articles the inventory does not list ---------------------

    def written(self, url: str):
        """The recorded article a listed URL is (the ledger's :meth:`~alanews.ledger.ArticleLedger.resolve`:
        the URL and its aliases; a sitemap gives no post id), or None."""
        ledger = self.ledger
        return ledger.resolve(None, url) if ledger is not None else None

    def listed_urls(self) -> Iterable[str] | None:
        """Every URL the inventory lists now, once it is known whole; None while it is not (override point)."""
        return None

    def unlisted(self, urls: Iterable[str]) -> list[ArticleRecord]:
        """The written articles of this site, not recorded removed, that none of ``urls`` names (by URL or alias)."""
        if self.store is None:
            return []
        listed = {record.url for record in self.store.lookup(urls).values()}
        prefix = self.base_url + "/"
        return [record for record in self.store.records()
                if record.removed_at is None and record.url not in listed and record.url.startswith(prefix)]

    def probe_unlisted(self, spider=None):
        """Signal ``spider_idle``: once the inventory is read, each written article it does not list is
        requested once at its own URL. A post moved (its old URL 301s to its new permalink) is the same
        post: it is read there (:meth:`parse_probe`) and resolved by post id; 404/410 is the evidence
        of a removal (:meth:`probe_failed`). Stat ``alanews/sitemap/unlisted``."""
        if self.probed is not None:
            return
        urls = self.listed_urls()
        if urls is None:
            return
        unlisted = self.unlisted(urls)
        self.probed = {record.url for record in unlisted}
        if not unlisted:
            return
        self.crawler.stats.set_value("alanews/sitemap/unlisted", len(unlisted))
        self.logger.info("%d written articles are not listed under their URL (moved or removed?): each is "
                         "requested once, e.g. %s", len(unlisted), unlisted[0].url)
        for record in unlisted:
            self.crawler.engine.crawl(self.probe_request(record.url))
        raise DontCloseSpider

    def probe_request(self, url: str) -> Request:
        """The page of a written article the inventory does not list; known to deltafetch (and then
        aliased) by its URL when :attr:`writes_probed` says its page is written."""
        meta = {"alanews_depth": 0, "alanews_probe": url, "deltafetch_enabled": False}
        if self.writes_probed:
            meta["deltafetch_key"] = url
        return Request(url, callback=self.parse_probe, errback=self.probe_failed, priority=1, dont_filter=True,
                       meta=meta)

    @property
    def writes_probed(self) -> bool:
        """Whether the article a probe reaches is written (its next version, or its new URL an alias)."""
        return True

    def parse_probe(self, response):
        """An unlisted article's URL answered: moved (redirected to another article URL) or live."""
        url = response.meta["alanews_probe"]
        if response.url != url and parse_article_url(self.base_url, response.url):
            self.moved[url] = response.url
            self.crawler.stats.inc_value("alanews/sitemap/moved")
            self.logger.info("Moved: %s is now %s", url, response.url)
        elif response.url == url:
            self.live.add(url)
        if not parse_article_url(self.base_url, response.url):  # no article at its URL: nothing to read
            if self.writes_probed:
                self.ledger.settle(url)
        elif self.writes_probed:
            yield from self.parse_article(response)

    def probe_failed(self, failure):
        """404/410: removal evidence (:meth:`removal_evidence`); another failure: a failed article."""
        url = failure.request.meta["alanews_probe"]
        kind = failure_kind(failure)
        if kind in ("http_404", "http_410"):
            self.removal_evidence(url, f"answers {kind[5:]} and is no longer in the sitemaps", listed=False)
            ledger = self.ledger
            if ledger is not None and self.writes_probed:
                ledger.settle(url)
        elif self.writes_probed:
            self._failed(failure)

    def removal_evidence(self, url: str, why: str, listed: bool) -> None:
        """An article answered 404/410 (``listed``: while the sitemaps list it): override point."""

    def undo_removal(self, url: str) -> None:
        """A listed article recorded removed answered at an article URL: it is no longer removed (the
        ledger's :meth:`~alanews.ledger.ArticleLedger.touch`). Stat ``alanews/<spider>/revived``."""
        self.ledger.touch(url, None)
        self.crawler.stats.inc_value(f"alanews/{self.name}/revived")
        self.logger.info("Listed and answering again: %s is no longer recorded removed", url)

    # --- choosing ---------------------------------------------------------------------

    def sitemap_filter(self, entries):
        """The entries of a sitemap to follow (Scrapy's override point, here called by :meth:`parse_sitemap`)."""
        if getattr(entries, "type", None) == "sitemapindex":
            yield from self._filter_index(entries)
        else:
            yield from self._filter_posts(entries)

    def _filter_index(self, entries):
        if self.index_url is None:  # the top index: a nested one does not replace it
            self.index_url = self._parsing
        files, bad_lastmods = [], []
        for raw in entries:
            if not raw.get("loc"):
                continue
            if canonical_url(raw["loc"]) is None:  # no request can be made of it
                self.crawler.stats.inc_value("alanews/sitemap/not_url")
                self.logger.warning("Sitemap index %s lists %r, which is not a URL", self._parsing, raw["loc"])
                continue
            files.append((raw["loc"], parse_lastmod(raw.get("lastmod"))))
            if files[-1][1] is None and raw.get("lastmod"):
                bad_lastmods.append(raw["lastmod"])
        self._bad_lastmods(bad_lastmods)
        posts = [(url, lastmod) for url, lastmod in files if post_sitemap_number(url)]
        if not posts:
            self.logger.warning("Sitemap index %s lists no post sitemap (%d files)", self._parsing, len(files))
        self.post_files += posts
        if len(posts) > self.max_files:  # the newest files (Yoast: the last) are read
            beyond = posts[:-self.max_files]
            posts = posts[-self.max_files:]
            self.crawler.stats.inc_value("alanews/sitemap/bound/files", len(beyond))
            self.logger.warning("Inventory incomplete: sitemap index %s names %d post sitemap files, more than "
                                "ALANEWS_SITEMAP_MAX_FILES (%d): the %d oldest are not read; nothing is recorded "
                                "removed by them", self._parsing, len(beyond) + len(posts), self.max_files,
                                len(beyond))
            for url, _ in beyond:
                self.incomplete[url] = f"is past ALANEWS_SITEMAP_MAX_FILES ({self.max_files})"
                self.files_failed.add(url)
            self.crawler.stats.inc_value("alanews/inventory/incomplete", len(beyond))
        self._beyond_last(self.post_files)
        chosen = set(self.choose_files(posts))
        self.files_chosen |= chosen
        skipped = len(posts) - len(chosen)
        if skipped:
            self.crawler.stats.inc_value("alanews/sitemap/files_skipped", skipped)
        self.logger.info("Sitemap index %s: %d post sitemap files, %d to read", self._parsing, len(posts), len(chosen))
        for url, _ in posts:
            if url in chosen:
                yield {"loc": url}

    def _beyond_last(self, posts: list[tuple[str, datetime | None]]) -> None:
        """Whether the top index leaves a post sitemap file out, as the files' numbering shows: a gap in it
        (post-sitemap2.xml named, post-sitemap.xml not) makes the inventory incomplete; once the last file
        named and every chosen file are read, and only if that one is full (:meth:`_full`), the file numbered
        after it is asked for (:meth:`parse_beyond`; the site answers 404 for it)."""
        if self._parsing != self.index_url or not posts or self.beyond_url:
            return
        numbers = sorted(post_sitemap_number(url) for url, _ in posts)
        gaps = sorted(set(range(1, numbers[-1] + 1)) - set(numbers))
        if gaps:
            self._incomplete(self._parsing, f"names post sitemap files numbered up to {numbers[-1]} but not "
                                            f"{', '.join(map(str, gaps[:5]))}")
        self.last_named = max(posts, key=lambda p: post_sitemap_number(p[0]))[0]
        self.beyond_url = next_post_sitemap(self.last_named)

    def _ask_beyond(self):
        """Once every chosen file is done: the file numbered after the last named, if that one is full."""
        if (self.beyond_url is None or self.beyond_asked or self.last_named not in self.files_read
                or not self.files_chosen <= self.files_read | self.files_failed or not self._full(self.last_named)):
            return
        self.beyond_asked = True
        yield Request(self.beyond_url, callback=self.parse_beyond, errback=self._no_beyond,
                      meta={"alanews_sitemap_depth": 1, "download_maxsize": self.max_bytes})

    def _full(self, url: str) -> bool:
        """Whether a post sitemap file lists as many posts as a full one (less one: Yoast's overlap), or
        nothing tells how many that is: only then may a file numbered after it exist."""
        others = [n for u, n in self.posts_in.items() if u != url and u in self.files_read]
        fullest = max([*others, self.known_per_file() or 0])
        return not fullest or self.posts_in.get(url, 0) + 1 >= fullest

    def parse_beyond(self, response):
        """The post sitemap file numbered after the index's last answered with posts: the index leaves it out.
        Its posts are read (edits in it seen, what it lists not missing), and the inventory is incomplete."""
        url = response.meta.get("redirect_urls", [response.url])[0]
        if url in self.files_chosen:  # a nested index names it
            return
        sitemap, _ = self._sitemap_of(response)
        if sitemap is None or sitemap.type != "urlset":
            return
        self.post_files.append((url, None))
        self.files_chosen.add(url)
        self.crawler.stats.inc_value("alanews/sitemap/unnamed_file")
        yield from self.parse_sitemap(response)
        self._incomplete(url, "is served but the index does not name it (the index leaves post sitemap files out)")

    def _filter_posts(self, entries):
        bad_lastmods = []
        for raw in entries:
            self.posts_in[self._parsing] = self.posts_in.get(self._parsing, 0) + 1
            self.listed[raw["loc"]] = raw.get("lastmod")
            post = entry(raw, self.base_url)
            if post is None or post.url.rstrip("/") == self.base_url:
                self.crawler.stats.inc_value("alanews/sitemap/not_article")
                continue
            if post.lastmod is None and raw.get("lastmod"):
                bad_lastmods.append(raw["lastmod"])
            newest = self.newest_in.get(self._parsing)
            if post.lastmod is not None and (newest is None or post.lastmod > newest):
                self.newest_in[self._parsing] = post.lastmod
            self.inventory.setdefault(post.url, post)
            self.crawler.stats.inc_value("alanews/sitemap/posts")
            if self.wants(post):
                yield {"loc": post.url}
        self._bad_lastmods(bad_lastmods)

    def _bad_lastmods(self, lastmods: list[str]) -> None:
        """The lastmods of a sitemap that are no date (``9999-12-31``: a year no post has), taken
        as missing: one WARNING for the file, the stat ``alanews/sitemap/bad_lastmod`` for each."""
        if lastmods:
            self.crawler.stats.inc_value("alanews/sitemap/bad_lastmod", len(lastmods))
            self.logger.warning("Sitemap %s gives %d lastmod(s) that are no date, taken as missing: %s",
                                self._parsing, len(lastmods), ", ".join(map(repr, lastmods[:3])))

    def choose_files(self, files: list[tuple[str, datetime | None]]) -> Iterable[str]:
        """URLs of the post sitemap files to read; default: all."""
        return [url for url, _ in files]

    def wants(self, post: SitemapEntry) -> bool:
        """Whether to request the post's page; default: no."""
        return False


class ArchiveSpider(SitemapCrawl):
    """Backfill: the posts of a publication date range, or (``missing=1``) every post the feeds lack.

    Arguments: ``since``, ``until`` (ISO dates, inclusive, Rome days as in the permalinks),
    ``missing=1``. Every post sitemap file is read: a file's lastmod does not bound the publication
    dates of its posts (a scheduled post's lastmod is the day it was saved, before it was
    published). Deltafetch drops the posts any spider
    of the data directory wrote; ``missing=1`` does not even request them (nor under
    ``deltafetch_reset``).
    """

    name = "archive"
    accepted_arguments = ("since", "until", "missing")

    def wants(self, post):
        if self.sitemap_args.missing:
            return self.store is None or self.written(post.url) is None
        since, until = self.sitemap_args.since, self.sitemap_args.until
        day = post.day
        if day is None:
            return since is None and until is None
        wanted = (since is None or day >= since) and (until is None or day <= until)
        if not wanted:
            self.crawler.stats.inc_value("alanews/since/skipped")
        return wanted


class AuditSpider(SitemapCrawl):
    """The whole inventory, compared with the state at the end (:mod:`alanews.audit`); with
    ``fetch=1`` the posts the state lacks are fetched and written first. Run by ``scrapy audit``."""

    name = "audit"
    incremental_only = True
    accepted_arguments = ("fetch",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.report: dict | None = None
        self.report_path: Path | None = None
        self.unresolved: dict[str, str] = {}  # unlisted written articles whose request failed -> the failure kind
        self.revive: list[str] = []  # listed articles recorded removed, to request (probe_unlisted)

    def wants(self, post):
        if self.store is None:
            return False
        record = self.written(post.url)
        if record is not None and record.removed_at is not None:  # listed again: requested at idle (_revive)
            self.revive.append(record.url)
        return self.sitemap_args.fetch and record is None

    def probe_unlisted(self, spider=None):
        """Also, once: each written article recorded removed that the sitemaps list again is requested at
        its own URL (:meth:`parse_revived`): a removal recorded wrongly is undone when the page answers."""
        if self.revive and self.probed is None:
            urls, self.revive = self.revive, []
            for url in urls:
                self.crawler.engine.crawl(Request(url, callback=self.parse_revived, errback=self._not_revived,
                                                  priority=1, dont_filter=True,
                                                  meta={"alanews_depth": 0, "deltafetch_enabled": False}))
            raise DontCloseSpider
        super().probe_unlisted(spider)

    def parse_revived(self, response):
        """A listed article recorded removed answered at its URL (or moved to another permalink): not removed."""
        url = response.meta.get("redirect_urls", [response.url])[0]
        if parse_article_url(self.base_url, response.url):
            self.undo_removal(url)

    def _not_revived(self, failure):
        self.logger.info("Listed, recorded removed, and still not answering (%s): %s", failure_kind(failure),
                         failure.request.url)

    def listed_urls(self):
        return list(self.inventory) if self.inventory_complete else None

    @property
    def writes_probed(self):
        return bool(self.sitemap_args.fetch)

    def probe_failed(self, failure):
        """Only 404/410 is evidence of a removal: another failure (5xx, timeout, refused) leaves the
        article unresolved (neither live nor gone; the verdict is not complete)."""
        kind = failure_kind(failure)
        if kind not in ("http_404", "http_410"):
            self.unresolved[failure.request.meta["alanews_probe"]] = kind
            self.crawler.stats.inc_value("alanews/audit/unresolved")
            self.logger.warning("Not listed and not answering (%s): %s; neither live nor gone",
                                kind, failure.request.meta["alanews_probe"])
        super().probe_failed(failure)

    def articles_settled(self, ledger, reason):
        """The report, once every article this audit fetched is recorded."""
        store = ledger.store
        grace = self.settings.getfloat("ALANEWS_AUDIT_GRACE", 6)
        order = {url: n for n, (url, _) in enumerate(self.post_files)}
        reasons = [{"file": url, "why": why} for url, why in sorted(self.incomplete.items(),
                                                                    key=lambda pair: order.get(pair[0], 0))]
        if reason != "finished":
            reasons.append({"file": None, "why": f"ended before the end ({reason})"})
        elif not self.inventory_complete and not reasons:
            reasons.append({"file": self.index_url, "why": "names no post sitemap file"})
        self.report = build_report(self.inventory, store, self.base_url, grace_hours=grace, reasons=reasons,
                                   index=self.index_url, files=len(self.post_files), moved=self.moved,
                                   live=self.live, unresolved=self.unresolved)
        self.report["totals"]["fetched"] = self.crawler.stats.get_value("item_scraped_count", 0)
        now = time.time()
        for gone in self.report["gone"] or ():
            if gone["removed_at"] is None:  # first seen gone: recorded as removed
                self.ledger.mark_removed(gone["url"], now)
                gone["removed_at"] = datetime.fromtimestamp(now, UTC).isoformat(timespec="seconds")
        data_dir = Path(self.settings.get("ALANEWS_DATA_DIR") or "data").expanduser().resolve()
        try:
            self.report_path = write_report(self.report, data_dir / "audit")
        except OSError as error:
            self.crawler.stats.set_value("alanews/audit/report_failed", 1)
            self.logger.error("Audit report not written to %s: %s", data_dir / "audit", error.strerror or error)
        totals = self.report["totals"]
        self.crawler.stats.set_value("alanews/audit/missing_overdue", totals["missing_overdue"])
        self.logger.info("Audit: %d posts in the sitemaps, %d written, %d missing (%d older than %g h), "
                         "%d written but no longer in the sitemaps; report %s", totals["inventory"],
                         totals["written"], totals["missing"], totals["missing_overdue"], grace, totals["gone"],
                         self.report_path)


class UpdatesSpider(SitemapCrawl):
    """Edits and deletions of the written articles, found through the sitemaps' lastmod.

    Yoast lists posts by modification time, oldest first, so a post published or edited
    since the last finished run is in the files whose index lastmod is later than the newest
    lastmod that run saw, taken no later than that run's start (a lastmod in the future marks
    nothing as checked) and less :data:`OFFSET_SLACK` (an index labelling GMT times with Rome's
    offset): those files are read, and the last one always. Each written article they list is
    judged by its own lastmod: fetched again, bypassing deltafetch, when it is later than the
    lastmod the last run saw for that post (if it saw it) and than its stored ``modified`` (the
    time it was written, where its page gave none); :mod:`alanews.decision` writes it only when
    its content changed.

    A post taken down shifts the files after it, but changes no lastmod above the last run's.
    The last run's inventory (in the state: every post and its lastmod) tells
    whether any went: every file but the last holds the same number of posts, so the posts
    listed now are counted without reading the shifted files. Only when some are missing are
    the files whose lastmod moved read too; a written article the inventory, read whole, no
    longer lists is requested once (:meth:`SitemapCrawl.probe_unlisted`: moved, or removed on its
    404/410), and a listed one answering 404/410 is removed only as :meth:`_confirmed` says (an
    INFO line, the stat ``alanews/updates/removed``; not an error). An inventory not read whole
    removes nothing, and the run's view is then not remembered.

    A post whose state is uncertain is looked at again, at most once per ``ALANEWS_UPDATES_RECHECK_HOURS``
    (24; 0: every run): a written article the sitemaps leave out while its page answers (a noindex
    post) is requested again once the last time it answered is that old (:meth:`unlisted`); a listed
    article recorded removed is requested when it was saved since its removal, at once when the
    last run did not list it (it reappeared), else once it was last asked that long ago
    (:meth:`_recheck_removed`). Answering at an article URL undoes its removal (:meth:`parse_rechecked`);
    a 404/410 leaves it removed, no failure.

    Sitemaps without lastmod (WordPress core): every file is read, and the written articles
    published in the last ``ALANEWS_UPDATES_MAX_AGE`` hours are fetched again.
    """

    name = "updates"
    incremental_only = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.memory: dict = {}  # the last finished run's view (see _remember)
        self.checked_until: datetime | None = None  # the newest lastmod the last run saw, at most its start
        self.started = datetime.now(UTC)
        self.seen_lastmods: dict[str, datetime | None] = {}  # canonical URL -> its lastmod, as the last run saw it
        self.no_lastmod = False
        self.first_run = True  # no usable memory: every file is read
        self.pending: set[str] = set()  # files of the first round not parsed yet
        self.shifted: list[str] = []  # files whose lastmod moved, all older than checked_until
        self.nothing_gone = False  # the count of the posts listed shows that none left since the last run
        self.articles_failed = 0
        self.now: dict[str, str | None] | None = None  # every <loc> listed now (_inventory_now), once known
        self.still_live: dict[str, str] = {}  # unlisted articles found live less than the recheck hours ago -> when
        self.rechecking: set[str] = set()  # listed URLs of articles recorded removed, requested by this run
        self.asked: dict[str, str] = {}  # listed URL of an article recorded removed -> when last requested
        self.revived: set[str] = set()  # of rechecking: answered, no longer removed
        self.unread_removed: list[str] | None = None  # rechecking, of the files not read (_recheck_unread)

    async def start(self):
        self.memory = self.ledger.sitemap_memory()
        async for request in super().start():
            yield request

    @property
    def recheck_hours(self) -> float:
        return self.settings.getfloat("ALANEWS_UPDATES_RECHECK_HOURS", 24)

    def _remembered(self, key: str) -> dict[str, str]:
        """URL -> ISO time, as the last run's memory of this index holds it; a bare list of URLs (an
        earlier release's ``unlisted_live``) is read as at that run's ``updated_at``."""
        if self.memory.get("index") != self.index_url:
            return {}
        value = self.memory.get(key) or {}
        if isinstance(value, list):
            return dict.fromkeys(value, self.memory.get("updated_at"))
        return dict(value)

    def _due(self, when: str | None) -> bool:
        """Whether a time the memory holds is ``ALANEWS_UPDATES_RECHECK_HOURS`` or more before this run
        (none, or unreadable: due)."""
        at = stored_instant(when)
        return self.recheck_hours <= 0 or at is None or self.started - at >= timedelta(hours=self.recheck_hours)

    # --- which files -------------------------------------------------------------------

    def choose_files(self, files):
        memory = self.memory if self.memory.get("index") == self.index_url else {}
        self.seen_lastmods = lastmods_by_url(memory.get("posts"))
        self.asked = {**self._remembered("removed_asked"), **self.asked}
        if any(lastmod is None for _, lastmod in files):
            self.no_lastmod = True
            hours = self.settings.getfloat("ALANEWS_UPDATES_MAX_AGE", 48)
            self.logger.info("Sitemap index %s gives no lastmod: every post sitemap file is read, and the written "
                             "articles published in the last %g hours (ALANEWS_UPDATES_MAX_AGE) are fetched again",
                             self.index_url, hours)
            return [url for url, _ in files]
        if not memory.get("posts") or not memory.get("checked_until") or not files:
            return [url for url, _ in files]
        self.first_run = False
        self.checked_until = parse_lastmod(memory["checked_until"])
        ran = parse_lastmod(memory.get("updated_at"))  # a mark later than its run (an earlier release's) is not one
        if self.checked_until is None or (ran is not None and self.checked_until > ran):
            self.checked_until = ran or datetime.now(UTC)
        seen = memory.get("files", {})
        last = files[-1][0]
        moved = [url for url, lastmod in files if url == last or seen.get(url) != lastmod.isoformat()]
        since = self.checked_until - OFFSET_SLACK
        recent = [url for url, lastmod in files if url == last or lastmod > since]
        self.shifted = [url for url in moved if url not in recent]
        self.pending = set(recent)
        return recent

    def sitemap_request(self, url: str, depth: int = 1) -> Request:
        """A sitemap an index names, at most ``ALANEWS_SITEMAP_MAX_BYTES`` long (Scrapy's ``download_maxsize``
        meta: a longer one fails as too large, and its file is not read whole)."""
        return Request(url, callback=self.parse_sitemap, errback=self._sitemap_failed,
                       meta={"alanews_sitemap_depth": depth, "download_maxsize": self.max_bytes})

    def file_done(self, url: str):
        """A file of the first round was parsed (or failed): once all were, read the shifted ones if posts went."""
        if url not in self.pending:
            return
        self.pending.discard(url)
        if self.pending or self.files_failed:
            return
        gone = self._gone_count()
        if gone == 0:
            self.nothing_gone = True
            return
        self.logger.info("Posts gone from the sitemaps since the last run: %s; reading the %d files whose "
                         "lastmod moved", gone if gone > 0 else "some", len(self.shifted))
        self.files_chosen |= set(self.shifted)
        for shifted in self.shifted:
            yield self.sitemap_request(shifted)

    def known_per_file(self):
        return self.memory.get("per_file") if not self.first_run else None

    def _gone_count(self) -> int:
        """Posts the last run listed that are listed no more: every file but the last is full."""
        old = self.memory["posts"]
        per_file = self.memory.get("per_file") or max(self.posts_in.values(), default=0)
        now = per_file * (len(self.post_files) - 1) + self.posts_in.get(self.post_files[-1][0], 0)
        new = sum(loc not in old for loc in self.listed)
        return len(old) + new - now

    # --- which articles ------------------------------------------------------------------

    def wants(self, post):
        record = self.written(post.url)
        if record is None:
            return False  # never written: the category crawls, the archive or the audit's fetch take it
        if record.removed_at is not None:  # listed: it may be back
            wanted = self._recheck_removed(record, post.url, post.lastmod)
        elif post.lastmod is not None:  # judged by its own lastmod (an index without lastmod may still date it)
            as_of = stored_instant(record.modified) or datetime.fromtimestamp(record.written_at, UTC)
            seen = self.seen_lastmods.get(post.url)
            wanted = post.lastmod > as_of and (seen is None or post.lastmod > seen or self._day_not_over(post))
        elif self.no_lastmod:  # nothing dates it (WordPress core): young articles are looked at again
            published = stored_bounds(record.published)
            max_age = timedelta(hours=self.settings.getfloat("ALANEWS_UPDATES_MAX_AGE", 48))
            wanted = published is not None and published[1] >= datetime.now(UTC) - max_age
        else:
            wanted = False
        if wanted:
            self.crawler.stats.inc_value("alanews/updates/candidates")
        return wanted

    def _recheck_removed(self, record: ArticleRecord, url: str, lastmod: datetime | None) -> bool:
        """Whether to request a listed article recorded removed (``url``: as listed): saved since its
        removal, not listed by the last run (it reappeared), or last asked ``ALANEWS_UPDATES_RECHECK_HOURS``
        ago or more. When it is asked is remembered."""
        saved_since = lastmod is not None and lastmod.timestamp() > record.removed_at
        if not (saved_since or url not in self.seen_lastmods or self._due(self.asked.get(url))):
            return False
        self._rechecks(url)
        return True

    def _rechecks(self, url: str) -> None:
        """``url``, of an article recorded removed, is requested now (:meth:`parse_rechecked`)."""
        self.rechecking.add(url)
        self.asked[url] = datetime.now(UTC).isoformat(timespec="seconds")

    def _recheck_unread(self, urls: list[str]) -> list[str]:
        """The listed URLs of articles recorded removed that only the files not read list, due for a
        request (:meth:`_recheck_removed`, by the lastmod the last run saw)."""
        lastmods = lastmods_by_url(self.now)
        due, records = [], set()
        for url, record in self.store.lookup(u for u in urls if u not in self.inventory).items():
            if record.removed_at is not None and record.url not in records:
                records.add(record.url)
                if self._recheck_removed(record, url, lastmods.get(url)):
                    due.append(url)
        return due

    def probe_unlisted(self, spider=None):
        """Also, once the inventory is known: the listed articles recorded removed in the files not read
        (:meth:`_recheck_unread`) are requested, before the unlisted ones."""
        if self.probed is None and self.unread_removed is None and self.store is not None:
            urls = self.listed_urls()
            if urls is not None:
                self.unread_removed = self._recheck_unread(urls)
                for url in self.unread_removed:
                    self.crawler.engine.crawl(self.article_request(url))
                if self.unread_removed:
                    raise DontCloseSpider
        super().probe_unlisted(spider)

    def parse_rechecked(self, response):
        """A listed article recorded removed answered: at an article URL (its own, or moved to another
        permalink) it is no longer removed (:meth:`SitemapCrawl.undo_removal`, as in the audit), and its page goes
        through the write decision (a new version only if changed); any other page leaves it removed."""
        url = response.meta["deltafetch_key"]
        if not parse_article_url(self.base_url, response.url):
            self.logger.info("Listed, recorded removed, and redirected to %s, no article: %s stays removed",
                             response.url, url)
            self.ledger.settle(url)
            return
        self.undo_removal(url)
        self.revived.add(url)
        yield from self.parse_article(response)

    def _day_not_over(self, post) -> bool:
        """A date alone (read as the end of its day, alanews.pages.sitemap.parse_lastmod) orders no edits
        within its day: one the last run saw may hide a later edit that day, until a run after it."""
        last_run = stored_instant(self.memory.get("updated_at"))
        return post.lastmod.time() == datetime.max.time() and last_run is not None and last_run < post.lastmod

    def article_request(self, url):
        request = super().article_request(url)
        request.meta["deltafetch_enabled"] = False  # written before: deltafetch would drop it
        if url in self.rechecking:
            return request.replace(callback=self.parse_rechecked, errback=self._update_failed)
        return request.replace(errback=self._update_failed)

    def article_requests(self, url: str, depth: int = 0):
        """A failed article retried (:meth:`retry_requests`): written before, so past deltafetch too; one
        recorded removed is rechecked (a 404/410 then leaves it removed, no failure)."""
        record = self.written(url)
        if record is not None and record.removed_at is not None:
            self._rechecks(url)
        yield self.article_request(url)

    def _update_failed(self, failure):
        kind = failure_kind(failure)
        key = failure.request.meta.get("deltafetch_key", failure.request.url)
        if kind in ("http_404", "http_410") and key in self.rechecking:  # removed, and still so
            self.logger.info("Listed, recorded removed, and still answering %s: %s", kind[5:], key)
            self.ledger.settle(key)
            return
        if kind in ("http_404", "http_410") and self._confirmed(key):
            self.removal_evidence(key, f"answers {kind[5:]}, as on a run at least {self.confirm_hours:g} h before",
                                  listed=True)
            self.ledger.settle(key)
            return
        self.articles_failed += 1  # the run's view of the sitemaps is not remembered: the edit is looked at again
        self._failed(failure)

    @property
    def confirm_hours(self) -> float:
        return self.settings.getfloat("ALANEWS_REMOVAL_CONFIRM_HOURS", 3)

    def _confirmed(self, key: str) -> bool:
        """Whether a listed post answering 404/410 now is removed: it answered so on a run of this spider
        at least ``ALANEWS_REMOVAL_CONFIRM_HOURS`` earlier (0: at once). A first answer is a failed
        article (retried by the next runs), not a removal: a transient 404 deletes nothing."""
        hours = self.confirm_hours
        if hours <= 0:
            return True
        first = self.ledger.first_failed(key, ("http_404", "http_410"))
        return first is not None and time.time() - first >= hours * 3600

    def probe_failed(self, failure):
        if failure_kind(failure) not in ("http_404", "http_410"):
            self.articles_failed += 1
        super().probe_failed(failure)

    def removal_evidence(self, url, why, listed):
        self._removed(url, why)

    def _removed(self, url: str, why: str) -> None:
        record = self.written(url)
        if record is None or record.removed_at is not None:
            return
        self.ledger.mark_removed(record.url, time.time())
        self.asked[url] = datetime.now(UTC).isoformat(timespec="seconds")  # a 404/410 now: not asked again at once
        self.crawler.stats.inc_value("alanews/updates/removed")
        self.logger.info("Removed from the site: %s (%s)", record.url, why)

    def unlisted(self, urls):
        """Less those found live at their own URL while unlisted (a post the sitemaps leave out, e.g.
        noindex) less than ``ALANEWS_UPDATES_RECHECK_HOURS`` ago: each is requested again once it is
        that old (edits written, a removal seen), not by every run."""
        unlisted = super().unlisted(urls)
        answered = self._remembered("unlisted_live")
        self.still_live = {record.url: answered[record.url] for record in unlisted
                           if record.url in answered and not self._due(answered[record.url])}
        return [record for record in unlisted if record.url not in self.still_live]

    def listed_urls(self):
        if not self.post_files or self.files_failed or self.pending:
            return None
        if self.now is None:
            self.now = self._inventory_now()
        return [*self.inventory, *filter(None, map(canonical_url, self.now))]

    # --- at the end ----------------------------------------------------------------------

    def articles_settled(self, ledger, reason):
        if reason != "finished" or not self.post_files:
            return
        if self.files_failed or self.pending:
            self.logger.info("Some post sitemap files were not read: the next run reads them again")
            return
        inventory = self.now if self.now is not None else self._inventory_now()
        if self.articles_failed:
            self.logger.info("%d articles could not be fetched: the next run looks at them again", self.articles_failed)
            return
        self._remember(inventory)

    def _inventory_now(self) -> dict[str, str | None]:
        """Every ``<loc>`` listed now with its lastmod: those read, and the last run's posts of the files not read."""
        if self.nothing_gone:
            return {**self.memory["posts"], **self.listed}  # nobody left: the last run's posts, moved ones updated
        unread = [lastmod for url, lastmod in self.post_files if url not in self.files_chosen]
        unread_newest = max(unread) if unread else None
        kept, undated = {}, 0
        if unread_newest is not None:  # posts of the files not read, as the last run saw them
            for loc, lastmod in self.memory["posts"].items():
                if loc in self.listed:
                    continue
                when = parse_lastmod(lastmod)
                undated += when is None
                if when is None or when <= unread_newest:
                    kept[loc] = lastmod
        if undated:
            # no lastmod, or no date (it raised TypeError: nothing was remembered): its file cannot
            # be told, so it is kept rather than recorded removed while it may still be listed
            self.crawler.stats.inc_value("alanews/updates/undated_kept", undated)
            self.logger.warning("%d posts listed by the last run and not read now have no lastmod that is a date: "
                                "kept as listed", undated)
        return {**kept, **self.listed}

    def _remember(self, inventory: dict[str, str | None]) -> None:
        """What this run saw, for the next one: written beside, then renamed into place."""
        full = [self.posts_in[url] for url, _ in self.post_files[:-1] if url in self.posts_in]
        now = datetime.now(UTC).isoformat(timespec="seconds")
        listed = set(filter(None, map(canonical_url, inventory)))
        memory = {
            "index": self.index_url,
            "updated_at": now,
            "checked_until": min(max((m for _, m in self.post_files if m), default=self.started), self.started),
            "per_file": max(full, default=self.memory.get("per_file")),
            "files": {url: lastmod.isoformat() if lastmod else None for url, lastmod in self.post_files},
            "posts": inventory,
            "unlisted_live": {**self.still_live, **dict.fromkeys(sorted(self.live), now)},  # url -> last answered
            "removed_asked": {url: at for url, at in sorted(self.asked.items())
                              if url in listed and url not in self.revived},
        }
        if memory["checked_until"]:
            memory["checked_until"] = memory["checked_until"].isoformat()
        self.ledger.remember_sitemaps(self.index_url, memory)
