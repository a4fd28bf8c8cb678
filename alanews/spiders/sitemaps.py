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
bounded: an index nested deeper than ``ALANEWS_SITEMAP_MAX_DEPTH`` (default 2) is not read.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urljoin

from scrapy.http import Request
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap

from alanews.audit import build_report, write_report
from alanews.dates import ROME
from alanews.pages.sitemap import SitemapEntry, entry, parse_lastmod
from alanews.processors import canonical_url
from alanews.site import SITEMAP_INDEX_PATHS, post_sitemap_number
from alanews.spiders.arguments import SitemapArguments, SpiderArguments
from alanews.spiders.base import ArticleSpider, failure_kind
from alanews.state import ArticleRecord

UTC = timezone.utc


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


class SitemapCrawl(ArticleSpider):
    """robots.txt → sitemap index → post sitemap files → article pages.

    Subclasses choose with :meth:`choose_files` (post sitemap files of the index, with their
    lastmod) and :meth:`wants` (a post of a file read). Everything a post sitemap listed
    is in :attr:`inventory` (URL → entry); :attr:`inventory_complete` says whether every
    post file was read (all of them chosen, none failed).
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
        self._parsing: str | None = None  # the sitemap being parsed (sitemap_filter has no response)

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.max_depth = crawler.settings.getint("ALANEWS_SITEMAP_MAX_DEPTH", 2)
        return spider

    @property
    def store(self):
        """The state (alanews.state.ArticleStore) the ledger opened, or None (a snapshot, deltafetch off)."""
        ledger = self.ledger
        return ledger.store if ledger is not None else None

    @property
    def inventory_complete(self) -> bool:
        return bool(self.post_files) and self.files_chosen == {u for u, _ in self.post_files} and not self.files_failed

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
        sitemap = self._sitemap_of(response, url)
        self.crawler.stats.inc_value("alanews/sitemap/files")
        self._parsing = url
        entries = list(self.sitemap_filter(sitemap)) if sitemap is not None else []
        self._parsing = None
        if url in self.files_chosen:
            (self.files_read if sitemap is not None else self.files_failed).add(url)
        elif sitemap is None and self.index_url is None:  # the index itself is no sitemap
            yield from self._fallback(response.meta.get("alanews_fallbacks", ()))
            return
        depth = response.meta.get("alanews_sitemap_depth", 0)
        for entry in entries:
            if sitemap.type == "sitemapindex":
                yield Request(entry["loc"], callback=self.parse_sitemap, errback=self._sitemap_failed,
                              meta={"alanews_sitemap_depth": depth + 1})
            else:
                yield self.article_request(entry["loc"])
        yield from self.file_done(url)

    def _sitemap_of(self, response, url: str) -> Sitemap | None:
        """The sitemap a response holds, or None with one WARNING and a stat saying why it is none."""
        body = response.body
        if body[:2] == b"\x1f\x8b":  # a .xml.gz file (HttpCompression unpacked a gzip Content-Encoding)
            try:
                body = gunzip(body, max_size=self.settings.getint("DOWNLOAD_MAXSIZE"))
            except (OSError, ValueError, EOFError) as error:
                return self._not_a_sitemap(url, f"its gzip body cannot be read ({type(error).__name__})", "bad_gzip")
        if not body.strip():
            return self._not_a_sitemap(url, "it is empty", "empty")
        depth = response.meta.get("alanews_sitemap_depth", 0)
        if depth > self.max_depth:
            return self._not_a_sitemap(url, f"it is nested {depth} sitemap indexes deep (ALANEWS_SITEMAP_MAX_DEPTH "
                                            f"is {self.max_depth})", "max_depth")
        try:
            sitemap = Sitemap(body)
        except (ValueError, TypeError, SyntaxError) as error:
            return self._not_a_sitemap(url, f"it is no XML ({error})", "not_xml")
        if sitemap.type not in ("sitemapindex", "urlset"):
            return self._not_a_sitemap(url, f"it is no sitemap (<{sitemap.type}>)", "not_sitemap")
        return sitemap

    def _not_a_sitemap(self, url: str, why: str, stat: str) -> None:
        self.crawler.stats.inc_value(f"alanews/sitemap/{stat}")
        self.logger.warning("Sitemap %s not read: %s", url, why)
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

    def _no_index(self, failure):
        self.logger.info("No sitemap index at %s (%s)", failure.request.url, failure_kind(failure))
        yield from self._fallback(failure.request.meta.get("alanews_fallbacks", ()))

    def _sitemap_failed(self, failure):
        """A sitemap that could not be read: the inventory is incomplete (WARNING, alanews/failed/*)."""
        self.files_failed.add(failure.request.url)
        self._failed(failure)
        yield from self.file_done(failure.request.url)

    # --- choosing ---------------------------------------------------------------------

    def sitemap_filter(self, entries):
        """The entries of a sitemap to follow (Scrapy's override point, here called by :meth:`parse_sitemap`)."""
        if getattr(entries, "type", None) == "sitemapindex":
            yield from self._filter_index(entries)
        else:
            yield from self._filter_posts(entries)

    def _filter_index(self, entries):
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
        chosen = set(self.choose_files(posts))
        self.files_chosen |= chosen
        skipped = len(posts) - len(chosen)
        if skipped:
            self.crawler.stats.inc_value("alanews/sitemap/files_skipped", skipped)
        self.logger.info("Sitemap index %s: %d post sitemap files, %d to read", self._parsing, len(posts), len(chosen))
        for url, _ in posts:
            if url in chosen:
                yield {"loc": url}

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
    ``missing=1``. A post sitemap file whose lastmod is before ``since`` is not read: every
    post in it was last modified, so published, before. Deltafetch drops the posts any spider
    of the data directory wrote; ``missing=1`` does not even request them (nor under
    ``deltafetch_reset``).
    """

    name = "archive"
    accepted_arguments = ("since", "until", "missing")

    def choose_files(self, files):
        since = self.sitemap_args.since
        if since is None:
            return [url for url, _ in files]
        return [url for url, lastmod in files if lastmod is None or lastmod >= day_start(since)]

    def wants(self, post):
        if self.sitemap_args.missing:
            return self.store is None or post.url not in self.store
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

    def wants(self, post):
        store = self.store
        return self.sitemap_args.fetch and store is not None and post.url not in store

    def articles_settled(self, ledger, reason):
        """The report, once every article this audit fetched is recorded."""
        store = ledger.store
        grace = self.settings.getfloat("ALANEWS_AUDIT_GRACE", 6)
        self.report = build_report(self.inventory, store, self.base_url, grace_hours=grace,
                                   complete=self.inventory_complete and reason == "finished",
                                   index=self.index_url, files=len(self.post_files))
        self.report["totals"]["fetched"] = self.crawler.stats.get_value("item_scraped_count", 0)
        now = time.time()
        for gone in self.report["gone"] or ():
            if gone["removed_at"] is None:  # first seen gone: recorded as removed
                self.ledger.mark_removed(gone["url"], now)
                gone["removed_at"] = datetime.fromtimestamp(now, UTC).isoformat(timespec="seconds")
        data_dir = Path(self.settings.get("ALANEWS_DATA_DIR") or "data").expanduser().resolve()
        self.report_path = write_report(self.report, data_dir / "audit")
        totals = self.report["totals"]
        self.crawler.stats.set_value("alanews/audit/missing_overdue", totals["missing_overdue"])
        self.logger.info("Audit: %d posts in the sitemaps, %d written, %d missing (%d older than %g h), "
                         "%d written but no longer in the sitemaps; report %s", totals["inventory"],
                         totals["written"], totals["missing"], totals["missing_overdue"], grace, totals["gone"],
                         self.report_path)


class UpdatesSpider(SitemapCrawl):
    """Edits and deletions of the written articles, found through the sitemaps' lastmod.

    Yoast lists posts by modification time, oldest first, so a post published or edited
    since the last finished run is in the files whose lastmod is later than the newest
    lastmod that run saw: those files are read (and the last one, always). Each written
    article they list with a lastmod later than that and than its stored ``modified`` (the
    time it was written, where its page gave no modification time) is fetched again,
    bypassing deltafetch; :mod:`alanews.decision` writes it only when its content changed.

    A post taken down shifts the files after it, but changes no lastmod above the last run's.
    The last run's inventory (in the state: every post and its lastmod) tells
    whether any went: every file but the last holds the same number of posts, so the posts
    listed now are counted without reading the shifted files. Only when some are missing are
    the files whose lastmod moved read too; a written article they no longer list, or that
    answers 404/410, is recorded as removed (an INFO line, the stat
    ``alanews/updates/removed``; not an error).

    Sitemaps without lastmod (WordPress core): every file is read, and the written articles
    published in the last ``ALANEWS_UPDATES_MAX_AGE`` hours are fetched again.
    """

    name = "updates"
    incremental_only = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.memory: dict = {}  # the last finished run's view (see _remember)
        self.checked_until: datetime | None = None  # the newest lastmod the last run saw
        self.no_lastmod = False
        self.first_run = True  # no usable memory: every file is read
        self.pending: set[str] = set()  # files of the first round not parsed yet
        self.shifted: list[str] = []  # files whose lastmod moved, all older than checked_until
        self.nothing_gone = False  # the count of the posts listed shows that none left since the last run
        self.articles_failed = 0

    async def start(self):
        self.memory = self.ledger.sitemap_memory()
        async for request in super().start():
            yield request

    # --- which files -------------------------------------------------------------------

    def choose_files(self, files):
        memory = self.memory if self.memory.get("index") == self.index_url else {}
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
        seen = memory.get("files", {})
        last = files[-1][0]
        moved = [url for url, lastmod in files if url == last or seen.get(url) != lastmod.isoformat()]
        recent = [url for url, lastmod in files if url == last or lastmod > self.checked_until]
        self.shifted = [url for url in moved if url not in recent]
        self.pending = set(recent)
        return recent

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
            yield Request(shifted, callback=self.parse_sitemap, errback=self._sitemap_failed)

    def _gone_count(self) -> int:
        """Posts the last run listed that are listed no more: every file but the last is full."""
        old = self.memory["posts"]
        per_file = self.memory.get("per_file") or max(self.posts_in.values(), default=0)
        now = per_file * (len(self.post_files) - 1) + self.posts_in.get(self.post_files[-1][0], 0)
        new = sum(loc not in old for loc in self.listed)
        return len(old) + new - now

    # --- which articles ------------------------------------------------------------------

    def wants(self, post):
        record = self.store.get(post.url)
        if record is None:
            return False  # never written: the category crawls, the archive or the audit's fetch take it
        if self.no_lastmod:
            published = stored_bounds(record.published)
            max_age = timedelta(hours=self.settings.getfloat("ALANEWS_UPDATES_MAX_AGE", 48))
            wanted = published is not None and published[1] >= datetime.now(UTC) - max_age
        else:
            as_of = stored_instant(record.modified) or datetime.fromtimestamp(record.written_at, UTC)
            wanted = (post.lastmod is not None and post.lastmod > as_of
                      and (self.checked_until is None or post.lastmod > self.checked_until))
        if wanted:
            self.crawler.stats.inc_value("alanews/updates/candidates")
        return wanted

    def article_request(self, url):
        request = super().article_request(url)
        request.meta["deltafetch_enabled"] = False  # written before: deltafetch would drop it
        return request.replace(errback=self._article_failed)

    def _article_failed(self, failure):
        kind = failure_kind(failure)
        if kind in ("http_404", "http_410"):
            self._removed(failure.request.meta.get("deltafetch_key", failure.request.url), f"answers {kind[5:]}")
            return
        self.articles_failed += 1
        self._failed(failure)

    def _removed(self, url: str, why: str) -> None:
        record = self.store.get(url)
        if record is None or record.removed_at is not None:
            return
        self.ledger.mark_removed(record.url, time.time())
        self.crawler.stats.inc_value("alanews/updates/removed")
        self.logger.info("Removed from the site: %s (%s)", record.url, why)

    # --- at the end ----------------------------------------------------------------------

    def articles_settled(self, ledger, reason):
        if reason != "finished" or not self.post_files:
            return
        if self.files_failed or self.pending:
            self.logger.info("Some post sitemap files were not read: the next run reads them again")
            return
        inventory = self._inventory_now()
        if self.articles_failed:
            self.logger.info("%d articles could not be fetched: the next run looks at them again", self.articles_failed)
            return
        self._remember(inventory)

    def _inventory_now(self) -> dict[str, str | None]:
        """Every ``<loc>`` listed now with its lastmod; the written articles no longer listed are recorded removed."""
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
        inventory = {**kept, **self.listed}
        listed = {self.store.article_of(url) or url
                  for url in (*self.inventory, *filter(None, map(canonical_url, kept)))}
        for record in self.store.records():
            if record.removed_at is None and record.url not in listed and record.url.startswith(self.base_url + "/"):
                self._removed(record.url, "no longer in the sitemaps")
        return inventory

    def _remember(self, inventory: dict[str, str | None]) -> None:
        """What this run saw, for the next one: written beside, then renamed into place."""
        full = [self.posts_in[url] for url, _ in self.post_files[:-1] if url in self.posts_in]
        memory = {
            "index": self.index_url,
            "updated_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "checked_until": max((m for _, m in self.post_files if m), default=None),
            "per_file": max(full, default=self.memory.get("per_file")),
            "files": {url: lastmod.isoformat() if lastmod else None for url, lastmod in self.post_files},
            "posts": inventory,
        }
        if memory["checked_until"]:
            memory["checked_until"] = memory["checked_until"].isoformat()
        self.ledger.remember_sitemaps(self.index_url, memory)
