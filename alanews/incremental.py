"""Incremental recrawls: scrapy-deltafetch with durable state, keys stored only once written.

:class:`DeltaFetch` replaces the stock ``scrapy_deltafetch.DeltaFetch`` spider middleware
(enabled for every spider in ``settings.py``). What it keeps from deltafetch: requests
whose ``deltafetch_key`` meta is known are dropped (unless ``deltafetch_enabled`` meta is
False), the ``DELTAFETCH_*`` settings, the ``deltafetch/*`` stats, ``-a deltafetch_reset=1``.
What it changes:

* state lives in ``DELTAFETCH_DIR`` or else ``<ALANEWS_DATA_DIR>/deltafetch``, made
  absolute; never Scrapy's ``data_path()`` (which needs a project: under Scrapyd it
  raises NotConfigured and the stock middleware silently disappears);
* storage is SQLite in WAL mode (:class:`KeyStore`), one ``<spider>.sqlite`` per spider,
  every write committed at once: a SIGKILL at any moment loses nothing that was stored;
* keys are recorded on ``item_scraped``, i.e. once the item passed the pipelines and the
  FeedExporter (connected before us) wrote its line, never when the callback yields it.
  Recorded: the item's ``url``, ``post:<post_id>``, and the ``deltafetch_key`` of the
  request that produced it (redirects, ``utm_*`` variants, related links: one article);
* it has ``process_spider_output_async`` (the stock 2.1.0 stops Scrapy 2.19 crawls);
* early stop: a listing page whose main list (meta ``alanews_main_list``) ends with an
  article written by an earlier run does not follow its next page (meta
  ``alanews_next_page``) — only if the previous walk of that category was complete (see
  :meth:`KeyStore.complete_walks`); ``DELTAFETCH_EARLY_STOP`` chooses another rule;
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
from pathlib import Path
from typing import Any

import scrapy_deltafetch
from itemadapter import ItemAdapter, is_item
from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.http import Request

from alanews.errors import NotStarting

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


class KeyStore:
    """Keys of the articles already written to a feed, in one SQLite file.

    Table ``keys``: every key (canonical URL, ``post:<id>``, request key of a redirect
    or variant) maps to the article URL it stands for, so ``len()`` counts articles,
    not keys. Table ``walks``: per category path, whether the last walk of its archive
    completed (see :class:`DeltaFetch`). WAL journal, autocommit, ``synchronous=NORMAL``:
    a committed write survives the process being killed at any moment (only a power
    loss can take back the last commits). Readers never block on the writer.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.conn = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS keys (key TEXT PRIMARY KEY, article TEXT NOT NULL,"
            " stored_at REAL NOT NULL) WITHOUT ROWID")
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS walks (category TEXT PRIMARY KEY, complete INTEGER NOT NULL,"
            " updated_at REAL NOT NULL) WITHOUT ROWID")

    def __contains__(self, key: str) -> bool:
        return self.conn.execute("SELECT 1 FROM keys WHERE key = ?", (key,)).fetchone() is not None

    def article_of(self, key: str) -> str | None:
        row = self.conn.execute("SELECT article FROM keys WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def add(self, article: str, *aliases: str) -> int:
        """Store ``article`` and its ``aliases`` in one committed transaction; return how many were new."""
        now = time.time()
        keys = dict.fromkeys(k for k in (article, *aliases) if k)
        with self.conn:  # BEGIN ... COMMIT
            self.conn.execute("BEGIN IMMEDIATE")
            before = self.conn.total_changes
            self.conn.executemany("INSERT OR IGNORE INTO keys VALUES (?, ?, ?)",
                                  [(k, article, now) for k in keys])
            return self.conn.total_changes - before

    def __len__(self) -> int:
        """Number of articles known (distinct article URLs, not keys)."""
        return self.conn.execute("SELECT COUNT(DISTINCT article) FROM keys").fetchone()[0]

    def clear(self) -> None:
        """Forget every key and every walk: the next crawl is a full one."""
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.execute("DELETE FROM keys")
            self.conn.execute("DELETE FROM walks")

    def complete_walks(self) -> set[str]:
        return {row[0] for row in self.conn.execute("SELECT category FROM walks WHERE complete = 1")}

    def mark_walks(self, categories: Iterable[str] | None, complete: bool) -> None:
        """Mark ``categories`` (None: every category) complete or incomplete, committed."""
        now = time.time()
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            if categories is None:
                self.conn.execute("UPDATE walks SET complete = ?, updated_at = ?", (int(complete), now))
            else:
                self.conn.executemany(
                    "INSERT INTO walks VALUES (?, ?, ?) ON CONFLICT(category) DO UPDATE"
                    " SET complete = excluded.complete, updated_at = excluded.updated_at",
                    [(c, int(complete), now) for c in categories])

    def close(self) -> None:
        self.conn.close()


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
    """scrapy-deltafetch on SQLite, recording only written items, stopping walks early.

    Settings: ``DELTAFETCH_ENABLED``, ``DELTAFETCH_DIR`` (default
    ``<ALANEWS_DATA_DIR>/deltafetch``), ``DELTAFETCH_RESET``, ``DELTAFETCH_EARLY_STOP``. Spider argument:
    ``deltafetch_reset``. Request meta: ``deltafetch_key``, ``deltafetch_enabled``.
    Stats: ``deltafetch/fetched``, ``deltafetch/skipped`` (requests of known articles),
    ``deltafetch/stored``, ``deltafetch/early_stop``. (The spider requests an article once per
    run, so every skipped request is of an article an earlier run wrote.)

    Walk completeness: at open every walk of the spider is marked incomplete (committed);
    at a ``finished`` close, a category is marked complete if this run reached its archive
    end or stopped early in it, and every main-list article it listed is known by then.
    Early stop needs the previous walk complete, so a killed, ``max_pages``- or
    ``since``-limited run is followed by a full walk.
    """

    def __init__(self, dir, reset=False, stats=None, early_stop="oldest_known"):  # noqa: A002 (stock signature)
        super().__init__(dir, reset, stats)
        if early_stop not in EARLY_STOP_RULES:
            raise NotStarting(f"DELTAFETCH_EARLY_STOP must be one of {', '.join(EARLY_STOP_RULES)}, got {early_stop!r}")
        self.early_stop = early_stop
        self.store: KeyStore | None = None
        self.lock_file = None
        self.previously_complete: set[str] = set()
        self.walked: set[str] = set()  # categories whose walk reached the end or stopped early
        self.main_keys: dict[str, set[str]] = {}  # category -> main-list keys seen this run
        self.stored_this_run: set[str] = set()  # request keys of the articles written by this run

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        if not settings.getbool("DELTAFETCH_ENABLED") or crawler.spider is None:
            raise NotConfigured  # or no spider yet: `scrapy shell` builds the engine first
        state_dir = settings.get("DELTAFETCH_DIR") or Path(settings.get("ALANEWS_DATA_DIR") or "data") / "deltafetch"
        spider = crawler.spider
        reset = as_bool(settings.get("DELTAFETCH_RESET"), "DELTAFETCH_RESET") or as_bool(
            getattr(spider, "deltafetch_reset", None), "deltafetch_reset")
        mw = cls(Path(state_dir).expanduser().resolve(), reset, crawler.stats,
                 settings.get("DELTAFETCH_EARLY_STOP") or "oldest_known")
        # The lock is taken here, while the engine is being built: raising now fails the
        # crawl's bootstrap (non-zero exit) before any feed or state is touched.
        mw._lock(spider.name)
        crawler.signals.connect(mw.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(mw.spider_closed, signal=signals.spider_closed)
        # Extensions (FeedExporter among them) are built before the engine and so are
        # connected before us: our handlers run after the feed line is written.
        crawler.signals.connect(mw.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(mw.item_dropped, signal=signals.item_dropped)
        return mw

    # --- lifecycle -------------------------------------------------------------------

    def _lock(self, name: str) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        path = self.dir / f"{name}.lock"
        lock_file = open(path, "a+b")  # noqa: SIM115 (held until the process ends)
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock_file.close()
            raise SpiderLocked(f"Another crawl of {name} is running (lock {path}); not starting") from None
        self.lock_file = lock_file
        self.store = KeyStore(self.dir / f"{name}.sqlite")

    def spider_opened(self, spider):
        if self.reset:
            self.store.clear()
            logger.info("deltafetch: state reset, full crawl")
        self.previously_complete = self.store.complete_walks()
        self.store.mark_walks(None, complete=False)
        self.db = self.store  # the stock attribute name
        logger.info("deltafetch: %d articles known in %s", len(self.store), self.store.path)

    def spider_closed(self, spider, reason):
        if reason == "finished":
            complete = {c for c in self.walked if all(k in self.store for k in self.main_keys.get(c, ()))}
            self.store.mark_walks(complete, complete=True)
            if self.walked - complete:
                logger.info("deltafetch: walk of %s not complete: some listed articles were not stored",
                            ", ".join(sorted(self.walked - complete)))
        get = self.stats.get_value
        logger.info("deltafetch: %d fetched, %d skipped as known, %d stored, %d known",
                    get("deltafetch/fetched", 0), get("deltafetch/skipped", 0),
                    get("deltafetch/stored", 0), len(self.store))
        self.store.close()
        # the lock file stays open: the kernel releases the lock when the process ends

    # --- recording -----------------------------------------------------------------

    def item_scraped(self, item, response, spider):
        """The item passed the pipelines and its feed line is written: remember it."""
        if not is_item(item):
            return
        adapter = ItemAdapter(item)
        url = adapter.get("url")
        if not url:
            return
        post_id = adapter.get("post_id")
        request_key = response.meta.get("deltafetch_key") if response is not None else None
        self.store.add(url, f"post:{post_id}" if post_id is not None else None, request_key)
        self.stored_this_run.update(k for k in (url, request_key) if k)
        self.stats.inc_value("deltafetch/stored")

    def item_dropped(self, item, response, exception, spider):
        """A duplicate of an article already written: its request key becomes an alias."""
        request_key = response.meta.get("deltafetch_key") if response is not None else None
        if not request_key or not is_item(item) or request_key in self.store:
            return
        adapter = ItemAdapter(item)
        post_id = adapter.get("post_id")
        for key in (adapter.get("url"), f"post:{post_id}" if post_id is not None else None):
            article = self.store.article_of(key) if key else None
            if article:
                self.store.add(article, request_key)
                return

    # --- spider output -------------------------------------------------------------

    def process_spider_output(self, response, result: Iterable, spider=None) -> Iterator:
        output = _ListingOutput(self, response)
        for r in result:
            if output.filter(r):
                yield r
        yield from output.finish()

    async def process_spider_output_async(self, response, result: AsyncIterator, spider=None) -> AsyncIterator:
        output = _ListingOutput(self, response)
        async for r in result:
            if output.filter(r):
                yield r
        for r in output.finish():
            yield r
