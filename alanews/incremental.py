"""Incremental recrawls: scrapy-deltafetch with durable state, keys stored only once written.

:class:`DeltaFetch` replaces the stock ``scrapy_deltafetch.DeltaFetch`` spider middleware
(enabled for every spider in ``settings.py``). What it keeps from deltafetch: requests
whose ``deltafetch_key`` meta is known are dropped (unless ``deltafetch_enabled`` meta is
False), the ``DELTAFETCH_*`` settings, the ``deltafetch/*`` stats, ``-a deltafetch_reset=1``.
What it changes:

* state lives in ``DELTAFETCH_DIR`` or else ``<ALANEWS_DATA_DIR>/deltafetch``, made
  absolute; never Scrapy's ``data_path()`` (which needs a project: under Scrapyd it
  raises NotConfigured and the stock middleware silently disappears);
* storage is :class:`alanews.state.ArticleStore`: one SQLite ``state.sqlite`` shared by every
  spider of the data directory, every write committed at once: a SIGKILL at any moment loses
  nothing that was stored; ``-a deltafetch_reset=1`` makes a run read nothing from it (every
  article fetched and written again) and record what it writes;
* an article is recorded only once every feed of the run holds it for good
  (:mod:`alanews.feeds`): at once for a local file, after the upload for FTP/S3/GCS or a
  post-processed feed, never when a feed failed. Recorded: the item's ``url``,
  ``post:<post_id>``, the ``deltafetch_key`` of the request that produced it (redirects,
  ``utm_*`` variants, related links: one article), its dates, content hash and version;
* the post id is the identity: an item of a post already recorded, met under another URL, is
  not written again (its URLs become aliases);
* ``-O FILE`` (a feed overwritten) makes a snapshot run: the state is neither read nor written;
  ``-o FILE`` and the data directory's feeds are incremental; ``-a incremental=0|1`` decides
  either way (:func:`run_mode`);
* it has ``process_spider_output_async`` (the stock 2.1.0 stops Scrapy 2.19 crawls);
* early stop: a listing page whose main list (meta ``alanews_main_list``) ends with an
  article written by an earlier run does not follow its next page (meta
  ``alanews_next_page``) — only if the previous walk of that category was complete (see
  :meth:`ArticleStore.complete_walks`); ``DELTAFETCH_EARLY_STOP`` chooses another rule;
* a walk is complete only if the archive did not shift under it (see :class:`DeltaFetch`);
* failed articles (:class:`FailedArticles`) are retried by the next ``DELTAFETCH_RETRY_RUNS``
  runs, whatever their walks read, and do not keep a walk from being complete;
* requests Scrapy's dupefilter folds into an earlier one have their key recorded as an alias;
* ``<dir>/<spider>.lock`` (``fcntl.flock``) makes a second concurrent run of the same
  spider refuse to start, with an ERROR line and a non-zero exit of ``scrapy crawl``.
"""

from __future__ import annotations

import fcntl
import logging
import os
import sqlite3
import time
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import scrapy_deltafetch
from itemadapter import ItemAdapter, is_item
from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.http import Request
from scrapy.utils.defer import deferred_from_coro

from alanews.errors import NotStarting, SpiderArgumentError
from alanews.feeds import NOT_WRITTEN, FeedExporter, feeds_stored, mask_credentials
from alanews.signals import article_failed
from alanews.state import STATE_FILE, ArticleStore, StateError, content_hash

logger = logging.getLogger(__name__)

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def as_bool(value: Any, name: str) -> bool:
    """``-a``/``-s`` values arrive as strings: "0" and "false" mean False, not True."""
    if value is None or isinstance(value, bool):
        return bool(value)
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"{name} must be 1/0, true/false, yes/no or on/off, got {value!r}")


class FailedArticles:
    """Articles whose request brought no item, in table ``failed`` of the state's SQLite file.

    Row: ``key`` (the request's ``deltafetch_key``, the canonical URL), ``kind`` (the last
    failure: ``http_404``, ``timeout``, ``robots``, ``invalid``, ...), ``runs`` (runs that
    failed it), ``first_failed``, ``last_failed`` (UNIX times). A run counts once per article.
    An article leaves the table once it is written (its key in the keys table).
    """

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn
        conn.execute("CREATE TABLE IF NOT EXISTS failed (key TEXT PRIMARY KEY, kind TEXT NOT NULL,"
                     " runs INTEGER NOT NULL, first_failed REAL NOT NULL, last_failed REAL NOT NULL) WITHOUT ROWID")

    def __contains__(self, key: str) -> bool:
        return self.conn.execute("SELECT 1 FROM failed WHERE key = ?", (key,)).fetchone() is not None

    def record(self, key: str, kind: str) -> int:
        """One more failed run for ``key``, committed; return how many runs failed it."""
        now = time.time()
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.execute("INSERT INTO failed VALUES (?, ?, 1, ?, ?) ON CONFLICT(key) DO UPDATE"
                              " SET kind = excluded.kind, runs = runs + 1, last_failed = excluded.last_failed",
                              (key, kind, now, now))
            return self.conn.execute("SELECT runs FROM failed WHERE key = ?", (key,)).fetchone()[0]

    def due(self, retry_runs: int) -> list[str]:
        """Keys to request again: failed by at most ``retry_runs`` runs, oldest failure first."""
        return [row[0] for row in self.conn.execute(
            "SELECT key FROM failed WHERE runs <= ? ORDER BY first_failed, key", (retry_runs,))]

    def given_up(self, retry_runs: int) -> int:
        return self.conn.execute("SELECT COUNT(*) FROM failed WHERE runs > ?", (retry_runs,)).fetchone()[0]

    def forget(self, keys: Iterable[str]) -> None:
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.executemany("DELETE FROM failed WHERE key = ?", [(k,) for k in keys])

    def keys(self) -> list[str]:
        return [row[0] for row in self.conn.execute("SELECT key FROM failed")]

    def clear(self) -> None:
        self.forget(self.keys())


#: DELTAFETCH_EARLY_STOP: where a recrawl stops walking a category's archive (see _ListingOutput.finish)
EARLY_STOP_RULES = ("oldest_known", "all_known", "off")


class SpiderLocked(NotStarting):
    """Another crawl of the same spider holds the state's lock."""


class _ListingOutput:
    """The output of one response, seen by the middleware: skip known keys, hold next pages."""

    def __init__(self, mw: DeltaFetch, response):
        self.mw = mw
        self.response = response
        self.category = response.meta.get("alanews_category")
        self.next_pages: list[Request] = []
        if response.meta.get("deltafetch_key"):
            mw.stats.inc_value("deltafetch/fetched")

    def filter(self, result: Any) -> bool:
        """Whether ``result`` goes on now; next-page requests are held for :meth:`finish`."""
        if not isinstance(result, Request):
            return True  # items are recorded on item_scraped, once written
        if result.meta.get("alanews_next_page"):
            self.next_pages.append(result)
            return False
        key = result.meta.get("deltafetch_key")
        if not key or key not in self.mw.store:
            return True
        if not result.meta.get("deltafetch_enabled", True):
            return True
        logger.debug("deltafetch: ignoring known %s", result)
        self.mw.stats.inc_value("deltafetch/skipped")
        return False

    def _known_before(self, key: str) -> bool:
        """Written by an earlier run: only those end a walk (this run's may sit anywhere)."""
        return key in self.mw.store and key not in self.mw.stored_this_run

    def finish(self) -> list[Request]:
        """The held next-page requests, unless the walk stops early here.

        The walk stops at a page whose main list (meta ``alanews_main_list``, page order,
        newest first) ends with an article known before this run: every older post was
        read by the previous walk, which was complete. New posts above it on this page
        are requested as usual. With ``DELTAFETCH_EARLY_STOP = "all_known"`` the walk goes
        on until a page where every main-list article is known; ``"off"`` walks every page.
        """
        meta = self.response.meta
        if meta.get("alanews_archive_end") and self.category:
            self.mw.walked.add(self.category)
        main = meta.get("alanews_main_list") or []
        if self.category:
            self.mw.main_keys.setdefault(self.category, set()).update(main)
            self.mw.boundary(self.category, meta.get("alanews_boundary"))
        if not self.next_pages:
            return []
        rule = self.mw.early_stop
        stop = bool(main) and self.category in self.mw.previously_complete and (
            (rule == "oldest_known" and self._known_before(main[-1]))
            or (rule == "all_known" and all(self._known_before(key) for key in main)))
        if stop:
            known = sum(self._known_before(key) for key in main)
            self.mw.stats.inc_value("deltafetch/early_stop")
            self.mw.walked.add(self.category)
            logger.info("deltafetch: early stop in %s at page %s (%s): %d of its %d main-list articles "
                        "were written by earlier runs", self.category, meta.get("alanews_page", 1), rule, known, len(main))
            return []
        return self.next_pages


class DeltaFetch(scrapy_deltafetch.DeltaFetch):
    """scrapy-deltafetch on the shared state, recording only what the feeds hold for good.

    Settings: ``DELTAFETCH_ENABLED``, ``DELTAFETCH_DIR`` (default
    ``<ALANEWS_DATA_DIR>/deltafetch``), ``DELTAFETCH_RESET``, ``DELTAFETCH_EARLY_STOP``. Spider arguments:
    ``deltafetch_reset``, ``incremental`` (see :func:`run_mode`). Request meta: ``deltafetch_key``,
    ``deltafetch_enabled``. Stats: ``deltafetch/fetched``, ``deltafetch/skipped`` (requests of known
    articles), ``deltafetch/known_post`` (items of a post written before under another URL),
    ``deltafetch/stored``, ``deltafetch/not_recorded`` (written to no feed for good),
    ``deltafetch/early_stop``. (The spider requests an article once per run, so every skipped
    request is of an article an earlier run wrote.)

    Recording: an item is recorded once every feed holds it for good
    (:meth:`alanews.feeds.FeedExporter.outcome`): at once for a local file or stdout, after
    the store for a feed that uploads or post-processes (Scrapy's ``feed_slot_closed``), never
    if a feed failed. A state write that fails (disk full, locked longer than the state's
    timeout) takes the item's line back out of the feeds, logs one ERROR line and stops the
    crawl (finish reason ``state_failed``).

    Walk completeness: at open every walk of the spider is marked incomplete (committed);
    at a ``finished`` close, a category is marked complete if this run reached its archive
    end or stopped early in it, every main-list article it listed is written or recorded as
    failed (:class:`FailedArticles`) by then, and every pair of consecutive listing pages it
    read is joined: the second lists a post of the first (meta ``alanews_boundary``
    "overlap"), or the first, read again once the second was read, lists the same posts
    and hero as before ("verified"; "recheck" while that read is awaited, "shifted" when it
    differs). Otherwise a post unpublished above a page boundary between two reads may have
    slid, unread, onto the page already read. Early stop needs the previous walk complete,
    so a killed, ``max_pages``- or ``since``-limited run is followed by a full walk.

    Failed articles: an article request that brings no item (HTTP error after the retries,
    no answer, robots.txt, not a page, an invalid item, an exception in the callback; the
    spider sends :data:`alanews.signals.article_failed`) is recorded in the state, and
    requested again after the start requests by each of the next ``DELTAFETCH_RETRY_RUNS``
    runs (default 3), whatever their walks read; after that it is given up (counted, one
    WARNING line), and fetched again only when a listing page a later walk reads lists it.
    Stats: ``deltafetch/failed/recorded``, ``deltafetch/failed/retried``,
    ``deltafetch/failed/given_up`` (articles given up so far), ``deltafetch/folded``.
    """

    def __init__(self, dir, reset=False, stats=None, early_stop="oldest_known",  # noqa: A002 (stock signature)
                 incremental: bool = True, mode_reason: str = ""):
        super().__init__(dir, reset, stats)
        if early_stop not in EARLY_STOP_RULES:
            raise NotStarting(f"DELTAFETCH_EARLY_STOP must be one of {', '.join(EARLY_STOP_RULES)}, got {early_stop!r}")
        self.early_stop = early_stop
        self.incremental = incremental
        self.mode_reason = mode_reason
        self.crawler = None
        self.feeds: FeedExporter | None = None
        self.store: ArticleStore | None = None
        self.lock_file = None
        self.owner = ""  # "<spider>:<pid>" once the state is open: the claims of this run
        self.state_failed = False
        self.held: list[tuple[_Record, set]] = []  # written to feeds that store at close: recorded then
        self.previously_complete: set[str] = set()
        self.walked: set[str] = set()  # categories whose walk reached the end or stopped early
        self.main_keys: dict[str, set[str]] = {}  # category -> main-list keys seen this run
        self.stored_this_run: set[str] = set()  # request keys of the articles written by this run
        self.fingerprint = None  # the crawler's request fingerprinter (Scrapy's dupefilter uses it)
        self.first_keys: dict[bytes, str] = {}  # request fingerprint -> key of the first request scheduled
        self.folded: dict[str, set[str]] = {}  # first key -> keys of the requests the dupefilter folded into it
        self.retry_runs = 3  # DELTAFETCH_RETRY_RUNS
        self.failed: FailedArticles | None = None
        self.failed_this_run: set[str] = set()
        self.retries: list[str] = []  # failed keys this run requests again
        self.unverified: dict[str, int] = {}  # category -> page boundaries whose re-read is awaited
        self.shifted: set[str] = set()  # categories whose archive shifted during the walk
        self.spider = None

    @property
    def reads(self) -> bool:
        """Whether known articles are skipped: an incremental run, not reset."""
        return self.incremental and not self.reset

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        if not settings.getbool("DELTAFETCH_ENABLED") or crawler.spider is None:
            raise NotConfigured  # or no spider yet: `scrapy shell` builds the engine first
        state_dir = settings.get("DELTAFETCH_DIR") or Path(settings.get("ALANEWS_DATA_DIR") or "data") / "deltafetch"
        spider = crawler.spider
        reset = as_bool(settings.get("DELTAFETCH_RESET"), "DELTAFETCH_RESET") or as_bool(
            getattr(spider, "deltafetch_reset", None), "deltafetch_reset")
        incremental, why = run_mode(settings, spider)
        mw = cls(Path(state_dir).expanduser().resolve(), reset, crawler.stats,
                 settings.get("DELTAFETCH_EARLY_STOP") or "oldest_known", incremental, why)
        mw.crawler = crawler
        crawler.signals.connect(mw.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(mw.spider_closed, signal=signals.spider_closed)
        if not incremental:
            return mw  # a snapshot: the state is neither read nor written, nor locked
        # The lock is taken here, while the engine is being built: raising now fails the
        # crawl's bootstrap (non-zero exit) before any feed or state is touched.
        mw._lock(spider.name)
        # Extensions (the FeedExporter among them) are built before the engine and so are
        # connected before us: our handler runs after the feeds took the item.
        crawler.signals.connect(mw.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(mw.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(mw.feed_slot_closed, signal=signals.feed_slot_closed)
        mw._connect_walks(crawler)
        return mw

    def _connect_walks(self, crawler) -> None:
        """Hear failed articles and the requests Scrapy's dupefilter folds (their keys become aliases)."""
        retry_runs = crawler.settings.get("DELTAFETCH_RETRY_RUNS", 3)
        try:
            self.retry_runs = int(retry_runs)
        except (TypeError, ValueError):
            self.retry_runs = -1
        if self.retry_runs < 0:
            raise NotStarting(f"DELTAFETCH_RETRY_RUNS must be 0 or a positive integer, got {retry_runs!r}")
        self.spider = crawler.spider
        self.failed = FailedArticles(self.store.conn)
        self.fingerprint = crawler.request_fingerprinter.fingerprint
        # connected after spider_opened and item_dropped above: they run after those
        crawler.signals.connect(self.open_walks, signal=signals.spider_opened)
        crawler.signals.connect(self.item_invalid, signal=signals.item_dropped)
        crawler.signals.connect(self.spider_error, signal=signals.spider_error)
        crawler.signals.connect(self.article_failed, signal=article_failed)
        crawler.signals.connect(self.request_scheduled, signal=signals.request_scheduled)
        crawler.signals.connect(self.request_dropped, signal=signals.request_dropped)


    # --- lifecycle -------------------------------------------------------------------

    def _lock(self, name: str) -> None:
        path = self.dir / f"{name}.lock"
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            lock_file = open(path, "a+b")  # noqa: SIM115 (held until the process ends)
        except OSError as error:
            raise NotStarting(f"cannot use the state directory {self.dir}: {error.strerror}") from None
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock_file.close()
            raise SpiderLocked(f"Another crawl of {name} is running (lock {path}); not starting") from None
        self.lock_file = lock_file
        self.store = ArticleStore(self.dir / STATE_FILE)
        self.owner = f"{name}:{os.getpid()}"  # claims this run holds on articles it is writing

    def spider_opened(self, spider):
        self.feeds = self.crawler.get_extension(FeedExporter)
        if not self.incremental:
            logger.info("deltafetch: snapshot run (%s): every article is fetched and written; the incremental "
                        "state is neither read nor written", self.mode_reason)
            if self.reset:  # a reset fetches and writes everything and remembers it: a snapshot remembers nothing
                logger.warning("deltafetch: deltafetch_reset is ignored by a snapshot run: the state is not written; "
                               "add -a incremental=1 to write everything and remember it")
            return
        logger.info("deltafetch: incremental run (%s): articles written by earlier runs are skipped", self.mode_reason)
        if self.feeds is None:
            logger.warning("deltafetch: this run has no alanews feed (FEEDS empty, or Scrapy's own FeedExporter): "
                           "nothing it writes is recorded as written")
        else:
            for slot in self.feeds.slots:
                if replaced_each_run(slot):
                    logger.warning("deltafetch: feed %s is replaced by every run, which is incremental: it will hold "
                                   "only this run's new articles. Put %%(time)s in its URI, or use -O for a "
                                   "snapshot", mask_credentials(slot.uri))
        if self.reset:
            logger.info("deltafetch: reset: the state is not read by this run (every article is fetched and "
                        "written again) and is updated with what it writes")
        self.previously_complete = self.store.complete_walks()
        # the state is shared by the spiders of the data directory: only this spider's walks restart
        self.store.mark_walks(getattr(spider, "paths", None), complete=False)
        self.db = self.store  # the stock attribute name
        logger.info("deltafetch: %d articles known in %s", len(self.store), self.store.path)

    async def spider_closed(self, spider, reason):
        await feeds_stored(self.crawler)  # the articles of uploaded feeds are recorded by then
        get = self.stats.get_value
        if self.incremental and not self.state_failed:
            try:
                self.store.release(self.owner)
            except StateError as error:  # the claims are taken over once this process is gone
                logger.warning("deltafetch: %s", error)
        if not self.incremental:
            logger.info("deltafetch: snapshot run (%s): %d articles written; the incremental state was neither "
                        "read nor written", self.mode_reason, get("item_scraped_count", 0))
            return
        if self.held:
            self.stats.inc_value("deltafetch/not_recorded", len(self.held))
            logger.warning("deltafetch: %d articles not recorded: their feed was never stored", len(self.held))
        try:
            self._store_folded()
            self.failed.forget([key for key in self.failed.keys() if key in self.store])
            if reason == "finished":
                self.store.mark_walks(self._complete_walks(), complete=True)
        except (StateError, sqlite3.Error) as error:  # the walks stay incomplete: the next run walks them whole
            self._fail(StateError(str(error)) if not isinstance(error, StateError) else error, stop=False)
        known_post = get("deltafetch/known_post", 0)
        logger.info("deltafetch: incremental run (%s): %d fetched, %d skipped as known%s, %d stored, "
                    "%d not recorded, %d known", self.mode_reason, get("deltafetch/fetched", 0),
                    get("deltafetch/skipped", 0) + known_post,
                    f" ({known_post} met under another URL)" if known_post else "",
                    get("deltafetch/stored", 0), get("deltafetch/not_recorded", 0), len(self.store))
        self.store.close()
        # the lock file stays open: the kernel releases the lock when the process ends

    # --- recording -----------------------------------------------------------------

    def item_scraped(self, item, response, spider):
        """The feeds took the item: record it now, or once its feeds are stored, or not at all."""
        if not is_item(item) or not ItemAdapter(item).get("url"):
            return
        outcome = self.feeds.outcome(item) if self.feeds is not None else NOT_WRITTEN
        if not outcome.written:
            self.stats.inc_value("deltafetch/not_recorded")
            return
        record = _Record.of(item, response)
        if outcome.pending:
            self.held.append((record, set(outcome.pending)))
        elif not self._record(record) and not self.feeds.retract(item):
            logger.error("deltafetch: %s is in a feed but not recorded as written: the next run writes it again",
                         record.item["url"])

    def feed_slot_closed(self, slot):
        """A feed was stored (or not): record the articles that waited for it."""
        stored = self.feeds is not None and self.feeds.stored(slot)
        waiting, lost = [], 0
        for record, slots in self.held:
            if slot not in slots:
                waiting.append((record, slots))
            elif not stored:
                lost += 1
            else:
                slots.discard(slot)
                if slots:
                    waiting.append((record, slots))
                elif not self._record(record):
                    logger.error("deltafetch: %s is in the feeds but not recorded as written: the next run writes "
                                 "it again", record.item["url"])
        self.held = waiting
        if lost:
            self.stats.inc_value("deltafetch/not_recorded", lost)
            logger.warning("deltafetch: %d articles not recorded as written: feed %s was not stored; the next run "
                           "writes them again", lost, mask_credentials(slot.uri))

    def _record(self, record: _Record) -> bool:
        """Record one article; False (the crawl stopping) if the state could not be written."""
        if not self.state_failed:
            try:
                self.store.record(record.item, record.request_key, spider=self.crawler.spider.name,
                                  digest=record.digest)
            except StateError as error:
                self._fail(error)
        if self.state_failed:
            self.stats.inc_value("deltafetch/not_recorded")
            return False
        self.stored_this_run.update(k for k in (record.item["url"], record.request_key) if k)
        self.stats.inc_value("deltafetch/stored")
        return True

    def _fail(self, error: StateError, stop: bool = True) -> None:
        """The state could not be written: one ERROR line; the crawl stops (``stop``)."""
        if self.state_failed:
            return
        self.state_failed = True
        self.stats.set_value("deltafetch/state_failed", 1)
        if not stop:
            logger.error("deltafetch: %s", error)
            return
        logger.error("deltafetch: %s; the crawl stops. An article it could not record is taken back out of the "
                     "feeds: the next run writes it", error)
        deferred_from_coro(self.crawler.engine.close_spider_async(reason="state_failed"))

    def item_dropped(self, item, response, exception, spider):
        """A duplicate of an article already written: its request key becomes an alias."""
        request_key = response.meta.get("deltafetch_key") if response is not None else None
        if self.state_failed or not request_key or not is_item(item) or request_key in self.store:
            return
        adapter = ItemAdapter(item)
        post_id = adapter.get("post_id")
        for key in (adapter.get("url"), f"post:{post_id}" if post_id is not None else None):
            article = self.store.article_of(key) if key else None
            if article:
                self._alias(article, request_key)
                return

    def _alias(self, article: str, *keys: str) -> None:
        """More keys of an article already recorded (so already in a feed): safe to record at once."""
        try:
            self.store.add(article, *keys)
        except StateError as error:
            self._fail(error)

    def _written_before(self, item, response) -> bool:
        """An item of a post already recorded, met under another URL (renamed slug, http/https, another
        category path): not written again; its URLs become aliases of the recorded article.

        The post id decides; without one, the URL. A URL recorded for another post id is not this post.
        """
        if not self.reads or not is_item(item) or not response.meta.get("deltafetch_enabled", True):
            return False
        adapter = ItemAdapter(item)
        url, post_id = adapter.get("url"), adapter.get("post_id")
        written = self.store.get(f"post:{post_id}") if post_id is not None else None
        if written is None and url:
            by_url = self.store.get(url)
            if by_url is not None and (post_id is None or by_url.post_id is None):
                written = by_url
        if written is None:
            return self._claimed_elsewhere(f"post:{post_id}" if post_id is not None else url, url)
        keys = [k for k in dict.fromkeys((url, response.meta.get("deltafetch_key"), response.url)) if k]
        self._alias(written.url, *keys)
        if written.url in self.stored_this_run:
            self.stored_this_run.update(keys)
        self.stats.inc_value("deltafetch/known_post")
        logger.info("deltafetch: %s is post %s, written before as %s: not written again", url, post_id, written.url)
        return True

    def _claimed_elsewhere(self, key: str | None, url: str | None) -> bool:
        """Whether another crawl of the data directory, running now, writes this article (or just
        wrote it): then this run does not. Otherwise it is claimed for this run until recorded."""
        if not key or self.state_failed:
            return False
        try:
            holder = self.store.claim(key, self.owner)
        except StateError as error:
            self._fail(error)
            return False
        if holder is None:
            return False
        self.stats.inc_value("deltafetch/claimed_elsewhere")
        logger.info("deltafetch: %s is %s: not written again by this run", url,
                    f"being written by the running crawl {holder}" if holder else "written by another crawl meanwhile")
        return True

    # --- walks ------------------------------------------------------------------------

    def boundary(self, category: str, state: str | None) -> None:
        """A listing page's ``alanews_boundary``: see the class docstring."""
        if state in ("recheck", "verified"):
            self.unverified[category] = self.unverified.get(category, 0) + (1 if state == "recheck" else -1)
        elif state == "shifted":
            self.shifted.add(category)

    def _complete_walks(self) -> set[str]:
        """The categories this finished run walked completely (see the class docstring)."""
        complete = set()
        for category in sorted(self.walked):
            unsettled = [k for k in self.main_keys.get(category, ()) if k not in self.store and k not in self.failed]
            if category in self.shifted:
                why = "its archive shifted during the walk"
            elif self.unverified.get(category):
                why = f"{self.unverified[category]} page boundary(ies) could not be read again"
            elif unsettled:
                why = f"{len(unsettled)} listed article(s) neither written nor recorded as failed"
            else:
                complete.add(category)
                continue
            logger.info("deltafetch: walk of %s not complete: %s; the next run walks every page", category, why)
        return complete

    # --- failed articles -----------------------------------------------------------

    def open_walks(self, spider):
        if self.reset:
            self.failed.clear()
        self.failed.forget([key for key in self.failed.keys() if key in self.store])
        self.retries = self.failed.due(self.retry_runs)  # read now: this run's own failures wait for the next
        given_up = self.failed.given_up(self.retry_runs)
        if given_up:
            self.stats.set_value("deltafetch/failed/given_up", given_up)
        if self.retries or given_up:
            logger.info("deltafetch: %d failed article(s) to retry, %d given up after %d failed runs",
                        len(self.retries), given_up, self.retry_runs + 1)

    async def process_start(self, start: AsyncIterator) -> AsyncIterator:
        """The spider's start requests, then the failed articles due for a retry."""
        async for request in start:
            yield request
        article_requests = getattr(self.spider, "article_requests", None)  # CategorySpider's
        for key in self.retries if article_requests else ():
            for request in article_requests(key):
                self.stats.inc_value("deltafetch/failed/retried")
                yield request

    def article_failed(self, key: str, kind: str, spider=None):
        """An article request brought no item (signal :data:`alanews.signals.article_failed`)."""
        if not key or key in self.failed_this_run or key in self.store:
            return
        self.failed_this_run.add(key)
        runs = self.failed.record(key, kind)
        self.stats.inc_value("deltafetch/failed/recorded")
        if runs == self.retry_runs + 1:
            self.stats.inc_value("deltafetch/failed/given_up")
            logger.warning("deltafetch: gave up %s after %d failed runs (last: %s); fetched again only if a "
                           "listing page a later walk reads lists it", key, runs, kind)

    def item_invalid(self, item, response, exception, spider):
        """A dropped item whose key item_dropped did not make an alias: not a duplicate, an invalid one."""
        key = response.meta.get("deltafetch_key") if response is not None else None
        if key and key not in self.store:
            self.article_failed(key, "invalid")

    def spider_error(self, failure, response, spider):
        """An exception in an article's callback: the article is failed (its item never came)."""
        self.article_failed(response.meta.get("deltafetch_key"), "spider_error")

    # --- requests folded by Scrapy's dupefilter ---------------------------------------

    def request_scheduled(self, request, spider):
        key = request.meta.get("deltafetch_key")
        if key:
            self.first_keys.setdefault(self.fingerprint(request), key)

    def request_dropped(self, request, spider):
        """The dupefilter folded ``request`` into an earlier one (another spelling of its query,
        or a redirect to a page already fetched): its key becomes an alias of that article."""
        key = request.meta.get("deltafetch_key")
        first = self.first_keys.get(self.fingerprint(request))
        if key and first and key != first and key not in self.store:
            self.folded.setdefault(first, set()).add(key)
            self.stats.inc_value("deltafetch/folded")
            self._store_folded()

    def _store_folded(self) -> None:
        """Record the folded keys whose article is stored (the others wait for it, or for a later run)."""
        for first in list(self.folded):
            article = self.store.article_of(first)
            if article:
                self.store.add(article, *self.folded.pop(first))

    # --- spider output -------------------------------------------------------------

    def _count_fetched(self, response) -> None:
        """An article fetched by a run that skips nothing (a reset): counted as any other."""
        if self.incremental and response.meta.get("deltafetch_key"):
            self.stats.inc_value("deltafetch/fetched")

    def process_spider_output(self, response, result: Iterable, spider=None) -> Iterator:
        if not self.reads:
            self._count_fetched(response)
            yield from result
            return
        output = _ListingOutput(self, response)
        for r in result:
            if not self._written_before(r, response) and output.filter(r):
                yield r
        yield from output.finish()

    async def process_spider_output_async(self, response, result: AsyncIterator, spider=None) -> AsyncIterator:
        if not self.reads:
            self._count_fetched(response)
            async for r in result:
                yield r
            return
        output = _ListingOutput(self, response)
        async for r in result:
            if not self._written_before(r, response) and output.filter(r):
                yield r
        for r in output.finish():
            yield r


@dataclass(frozen=True)
class _Record:
    """What the state needs of an item written (not its text): kept while its feeds upload."""

    item: dict
    digest: str
    request_key: str | None

    @classmethod
    def of(cls, item, response) -> _Record:
        adapter = ItemAdapter(item)
        fields = {name: adapter.get(name) for name in ("url", "post_id", "published", "modified", "category_path",
                                                       "version")}
        request_key = response.meta.get("deltafetch_key") if response is not None else None
        return cls(fields, content_hash(item), request_key)


def run_mode(settings, spider) -> tuple[bool, str]:
    """Whether the run is incremental, and why (said in the log).

    ``-a incremental=0|1`` decides; else a feed overwritten (``-O``, FEEDS ``overwrite: True``)
    makes a snapshot: every article fetched and written, the state neither read nor written;
    else (``-o``, the data directory's feeds) the run is incremental.
    """
    value = getattr(spider, "incremental", None)
    if value is not None:
        try:
            if not str(value).strip():
                raise ValueError(f"incremental must be 1/0, true/false, yes/no or on/off, got {value!r}")
            return as_bool(value, "incremental"), f"-a incremental={value}"
        except ValueError as error:
            raise SpiderArgumentError(f"spider argument {error}") from None
    for uri, options in settings.getdict("FEEDS").items():
        if (options or {}).get("overwrite") is True:
            return False, f"-O overwrites {mask_credentials(str(uri))}"
    return True, "the feeds are appended to"


def replaced_each_run(slot) -> bool:
    """A feed whose storage replaces its target (FTP without ``overwrite: False``, S3, GCS) and whose
    URI names the same target every run (no ``%(time)s``, ``%(batch_id)d``...)."""
    if "%(" in slot.uri_template:
        return False
    scheme = slot.uri.split(":", 1)[0].lower()
    return scheme in ("s3", "gs") or (scheme in ("ftp", "ftps") and getattr(slot.storage, "overwrite", False))
