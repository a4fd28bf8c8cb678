"""The article ledger: what every spider of a data directory wrote, recorded only once it is on disk.

:class:`ArticleLedger` is a Scrapy extension (``EXTENSIONS``; found with
``crawler.get_extension(ArticleLedger)``). It is the one component that reads and writes the
state (:class:`alanews.state.ArticleStore`); every other component asks it:

* **run mode** (:func:`run_mode`): ``-O`` makes a snapshot (the state neither read nor written,
  no lock), ``-o`` and the data directory's feeds an incremental run, ``-a incremental=0|1``
  decides either way; ``-a deltafetch_reset=1`` (or ``DELTAFETCH_RESET``) reads nothing from
  the state and records what it writes;
* **the lock**: ``<state dir>/<spider>.lock`` (``fcntl.flock``), taken by an incremental run (a
  snapshot reads and writes no state: it takes none) when the crawler is
  built (a second crawl of the same spider is refused before any request: exit 1) and
  released at ``spider_closed`` (a script may crawl the same spider again);
* **identity**: :meth:`resolve` (post id first, then the URL and its aliases) is the one rule
  every caller uses; :meth:`known` tells which keys name an article written;
* **claims**: just before an article is written (:class:`Claim`, the last item pipeline) it is
  claimed, and left to another running crawl of the data directory that claimed or recorded it
  first; a claim names its spider, and is alive while that spider's lock is held;
* **recording**: an article is recorded once every feed holds it durably: its feed line
  fsynced (:meth:`alanews.feeds.FeedExporter.sync`), then the state committed, in the same
  transaction as the next article's claim, or before the feeds take another article (signal
  ``item_exporting``), or ``ALANEWS_LEDGER_FLUSH_INTERVAL`` seconds later if none comes, and at
  close: about one transaction per article. An uploaded feed's articles are
  recorded once its store succeeded; never when a feed failed. A kill makes the next run write
  again at most the article being recorded;
* **failed articles**: an article request of a spider that brought no item is requested again
  by that spider's next ``DELTAFETCH_RETRY_RUNS`` runs (:meth:`retries`), then given up;
* **one failure policy** for every state write (records, aliases, touches, removals, walks,
  failures, claims): one ERROR line, the stat ``deltafetch/state_failed``, the crawl stops
  (finish reason ``state_failed``; the monitors fail it: exit 3), the articles not recorded
  taken back out of the feeds, and nothing more reaches them.

Once everything of the run is recorded, at close, it sends :data:`alanews.signals.articles_settled`:
the category spider marks its walks complete then (:meth:`complete_walks`).
"""

from __future__ import annotations

import fcntl
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.asyncio import call_later
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future
from twisted.internet.defer import Deferred

from alanews import signals as alanews_signals
from alanews.dates import parse_date
from alanews.decision import ArticleDrop, ClaimedElsewhere, StateUnavailable
from alanews.errors import NotStarting, SpiderArgumentError
from alanews.feeds import FeedExporter, feeds_stored, fired, mask_credentials
from alanews.site import DEFAULT_BASE_URL, normalise_base_url, parse_article_url
from alanews.state import STATE_FILE, ArticleRecord, ArticleStore, StateError, Walked, Written
from alanews.validation import COVERAGE_FIELDS, filled_fields

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


class SpiderLocked(NotStarting):
    """Another crawl of the same spider holds the state's lock."""


def state_dir(settings) -> Path:
    """``DELTAFETCH_DIR``, else ``<ALANEWS_DATA_DIR>/deltafetch``, made absolute (never Scrapy's data_path())."""
    directory = settings.get("DELTAFETCH_DIR") or Path(settings.get("ALANEWS_DATA_DIR") or "data") / "deltafetch"
    return Path(directory).expanduser().resolve()


@dataclass
class _Pending:
    """An article in the feeds, not recorded yet: what to record, and the feeds it waits for."""

    article: Written
    starts: tuple = ()  # (write-through feed slot, offset where the item's bytes begin)
    uploads: set = field(default_factory=set)  # feed slots whose store must succeed first


class ArticleLedger:
    """See the module docstring. Settings: ``DELTAFETCH_ENABLED``, ``DELTAFETCH_DIR``,
    ``DELTAFETCH_RESET``, ``DELTAFETCH_RETRY_RUNS``, ``ALANEWS_LEDGER_FLUSH_INTERVAL``.
    Stats: ``deltafetch/stored``, ``deltafetch/not_recorded``,
    ``deltafetch/state_failed``, ``deltafetch/folded``, ``deltafetch/failed/recorded``,
    ``deltafetch/failed/retried``, ``deltafetch/failed/given_up``, ``deltafetch/unsettled``.
    """

    def __init__(self, crawler, directory: Path, incremental: bool, reason: str, reset: bool):
        self.crawler = crawler
        self.stats = crawler.stats
        self.spider_name = crawler.spider.name
        self.dir = directory
        self.incremental = incremental
        self.mode_reason = reason
        self.reset = reset
        settings = crawler.settings
        self.retry_runs = settings.getint("DELTAFETCH_RETRY_RUNS", 3)  # checked: alanews/checks.py
        self.flush_interval = settings.getfloat("ALANEWS_LEDGER_FLUSH_INTERVAL", 1.0)
        self.base_url = normalise_base_url(settings.get("ALANEWS_BASE_URL") or DEFAULT_BASE_URL)
        self.store: ArticleStore | None = None
        self.feeds: FeedExporter | None = None
        self.state_failed = False
        self._lock_file = None
        self._unsynced: list[_Pending] = []  # in write-through feeds, not yet fsynced and recorded
        self._uploading: list[_Pending] = []  # in feeds that store at close
        self._flush_call = None  # the delayed call of flush() while an article waits
        self._cache: dict[str, ArticleRecord | None] = {}  # the last lookup's answers, until a write
        self._retries: list[str] = []
        self._walks_started: dict[str, float] = {}  # category path (or feed URL) -> when this run's walk started
        self._failed_this_run: set[str] = set()
        self._scheduled: dict[bytes, tuple] = {}  # request fingerprint -> (key, id) of the first article request
        self._requested: set[str] = set()  # article keys requested this run
        self._settled: set[str] = set()  # article keys that brought an item, a drop or a failure
        self._folded: dict[str, set[str]] = {}  # article key -> keys the dupefilter folded into it
        self._expected: dict[int, tuple[list[str], bool]] = {}  # id(item) -> its keys, whether new (expect)
        self._exporting = 0  # items claimed, not exported yet
        self._waiting: list[Deferred] = []  # claims waiting for those exports
        self.closed: Deferred = Deferred()  # fires at the end of spider_closed: all is recorded (see settled_of)
        self.window = settings.getint("ALANEWS_COVERAGE_WINDOW", 20)

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        if not settings.getbool("DELTAFETCH_ENABLED") or crawler.spider is None:
            raise NotConfigured
        spider = crawler.spider
        try:
            reset = as_bool(settings.get("DELTAFETCH_RESET"), "DELTAFETCH_RESET") or as_bool(
                getattr(spider, "deltafetch_reset", None), "deltafetch_reset")
        except ValueError as error:
            raise SpiderArgumentError(str(error)) from None
        incremental, why = run_mode(settings, spider)
        ledger = cls(crawler, state_dir(settings), incremental, why, reset)
        crawler.signals.connect(ledger.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ledger.spider_closed, signal=signals.spider_closed)
        if incremental:
            ledger._open()  # now, while the engine is built: a refusal fails the bootstrap (exit 1)
            for handler, signal in ((ledger.flush, alanews_signals.item_exporting),
                                    (ledger.item_exported, alanews_signals.item_exported),
                                    (ledger.item_dropped, signals.item_dropped),
                                    (ledger.feed_slot_closed, signals.feed_slot_closed),
                                    (ledger.article_failed, alanews_signals.article_failed),
                                    (ledger.spider_error, signals.spider_error),
                                    (ledger.request_scheduled, signals.request_scheduled),
                                    (ledger.request_dropped, signals.request_dropped)):
                crawler.signals.connect(handler, signal=signal)
        return ledger

    @property
    def kind(self) -> str:
        """What the run is, as its log lines say: ``incremental run``; ``snapshot run`` (not incremental,
        a feed overwritten: -O); ``full run, appended`` (not incremental, -o: every article added again)."""
        if self.incremental:
            return "incremental run"
        overwritten = any((options or {}).get("overwrite") is True
                          for options in self.crawler.settings.getdict("FEEDS").values())
        return "snapshot run" if overwritten else "full run, appended"

    @property
    def reads(self) -> bool:
        """Whether known articles are skipped: an incremental run, not reset."""
        return self.incremental and not self.reset

    # --- lifecycle -------------------------------------------------------------------

    def _open(self) -> None:
        path = self.dir / f"{self.spider_name}.lock"
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            lock_file = open(path, "a+b")  # noqa: SIM115 (held until spider_closed)
        except OSError as error:
            raise NotStarting(f"cannot use the state directory {self.dir}: {error.strerror}") from None
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock_file.close()
            raise SpiderLocked(f"Another crawl of {self.spider_name} is running (lock {path}); not starting") from None
        try:
            self.store = ArticleStore(self.dir / STATE_FILE)
        except BaseException:
            lock_file.close()
            raise
        self._lock_file = lock_file

    def _unlock(self) -> None:
        if self._lock_file is not None:
            self._lock_file.close()  # closing the descriptor releases the flock
            self._lock_file = None

    def spider_opened(self, spider):
        self.feeds = self.crawler.get_extension(FeedExporter)
        if not self.incremental:
            logger.info("deltafetch: %s (%s): every article is fetched and written%s; the incremental "
                        "state is neither read nor written", self.kind, self.mode_reason,
                        "" if self.kind == "snapshot run" else ", those written before again")
            if self.reset:
                logger.warning(f"deltafetch: deltafetch_reset is ignored by a {self.kind}: the state is not written; "
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
            self._write(self.store.forget_failures, self.spider_name)
        self._retries = self.store.failures_due(self.spider_name, self.retry_runs)
        given_up = self.store.failures_given_up(self.spider_name, self.retry_runs)
        if given_up:
            self.stats.set_value("deltafetch/failed/given_up", given_up)
        if self._retries or given_up:
            logger.info("deltafetch: %d failed article(s) to retry, %d given up after %d failed runs",
                        len(self._retries), given_up, self.retry_runs + 1)
        logger.info("deltafetch: %d articles known in %s", len(self.store), self.store.path)

    async def spider_closed(self, spider, reason):
        try:
            await self._close(reason)
        finally:  # the monitors and the summary wait for it, whatever happened
            if not self.closed.called:
                self.closed.callback(None)

    async def _close(self, reason):
        await feeds_stored(self.crawler)  # uploaded feeds are stored (or failed) by then
        if not self.incremental:
            logger.info("deltafetch: %s (%s): %d articles written; the incremental state was neither "
                        "read nor written", self.kind, self.mode_reason, self.stats.get_value("item_scraped_count", 0))
            return
        self.flush()
        if self._uploading:
            self.stats.inc_value("deltafetch/not_recorded", len(self._uploading))
            logger.warning("deltafetch: %d articles not recorded: their feed was never stored", len(self._uploading))
            self._uploading = []
        self._record_folded()
        if reason == "finished":
            self._sweep_unsettled()
        self.crawler.signals.send_catch_log(alanews_signals.articles_settled, ledger=self, reason=reason)
        self._count_window()
        if not self.state_failed:
            self._write(self.store.release, self.spider_name, stop=False)
        get = self.stats.get_value
        known_post = get("deltafetch/known_post", 0)
        not_written = "".join(f", {count} {what}" for count, what in (
            (get("item_dropped_reasons_count/Unchanged", 0), "unchanged"),
            (get("item_dropped_reasons_count/ClaimedElsewhere", 0), "left to another running crawl"),
            (get("item_dropped_reasons_count/InvalidArticle", 0), "invalid")) if count)
        logger.info("deltafetch: incremental run (%s): %d fetched, %d skipped as known%s%s, %d stored, "
                    "%d not recorded, %d known", self.mode_reason, get("deltafetch/fetched", 0),
                    get("deltafetch/skipped", 0) + known_post,
                    f" ({known_post} met under another URL)" if known_post else "", not_written,
                    get("deltafetch/stored", 0), get("deltafetch/not_recorded", 0), len(self.store))
        self.store.close()
        self._unlock()

    @staticmethod
    async def settled_of(crawler) -> None:
        """Wait until the ledger of ``crawler`` recorded everything (at once without a ledger: the feeds stored)."""
        ledger = crawler.get_extension(ArticleLedger)
        if ledger is None:
            await feeds_stored(crawler)
        else:
            await fired(ledger.closed)

    def _count_window(self) -> None:
        """The field coverage of the last ``ALANEWS_COVERAGE_WINDOW`` articles any run of the data directory
        wrote, once this run wrote one: stats ``alanews/window/items`` and ``alanews/window/<field>``, which
        the monitors judge when the run alone is too small (alanews/monitors.py)."""
        if self.state_failed or not self.stats.get_value("deltafetch/stored"):
            return
        last = self.store.last_filled(self.window)
        self.stats.set_value("alanews/window/items", len(last))
        for name in COVERAGE_FIELDS:
            self.stats.set_value(f"alanews/window/{name}", sum(name in filled for filled in last))

    # --- the one failure policy -------------------------------------------------------

    def _write(self, write, *args, stop: bool = True):
        """Run one state write; a failure is the run's: see :meth:`fail`. Returns what it returned, or None."""
        if self.state_failed:
            return None
        if write != self.store.record_failure:  # it changes no article
            self._cache.clear()
        try:
            return write(*args)
        except StateError as error:
            self.fail(error, stop)
            return None

    def fail(self, error: StateError, stop: bool = True) -> None:
        """The state could not be written: one ERROR line, the stat, the articles not recorded taken
        back out of the feeds, and (``stop``) the crawl stops with finish reason ``state_failed``."""
        if self.state_failed:
            return
        self.state_failed = True
        self.stats.set_value("deltafetch/state_failed", 1)
        unrecorded = self._unsynced
        taken_back = bool(unrecorded) and self.feeds is not None and self.feeds.take_back(
            [pending.starts for pending in unrecorded])
        self.stats.inc_value("deltafetch/not_recorded", len(unrecorded) + len(self._uploading))
        self._unsynced, self._uploading = [], []
        if unrecorded and not taken_back:
            logger.error("deltafetch: %s; %d articles are in a feed but not recorded as written: the next run writes "
                         "them again", error, len(unrecorded))
        elif stop:
            logger.error("deltafetch: %s; the crawl stops. The articles it could not record are taken back out of "
                         "the feeds: the next run writes them", error)
        else:
            logger.error("deltafetch: %s", error)
        engine = self.crawler.engine
        if stop and engine is not None and engine.spider is not None:
            deferred_from_coro(engine.close_spider_async(reason="state_failed"))

    # --- reading ------------------------------------------------------------------------

    def known(self, keys) -> dict[str, ArticleRecord]:
        """The keys among ``keys`` that name an article written, with its record (one query, or none when
        the last lookup answered them all). Empty when the run reads nothing (snapshot, reset)."""
        keys = [k for k in dict.fromkeys(keys) if k]
        if not self.reads or not keys:
            return {}
        if all(k in self._cache for k in keys):
            return {k: r for k in keys if (r := self._cache[k]) is not None}
        found = self.store.lookup(keys)
        self._cache = {k: found.get(k) for k in keys}
        return found

    def resolve(self, post_id: int | None, url: str | None) -> ArticleRecord | None:
        """The recorded article a post id and URL are (post id first, then the URL and its aliases);
        None if none is, or the run has no state."""
        if self.store is None:
            return None
        keys = [k for k in (f"post:{post_id}" if post_id is not None else None, url) if k]
        if keys and all(k in self._cache for k in keys):
            cached = [self._cache[k] for k in keys]
            if post_id is not None and cached[0] is not None:
                return cached[0]
            by_url = cached[-1]
            return by_url if by_url is not None and (post_id is None or by_url.post_id is None) else None
        return self.store.resolve(post_id, url)

    def settled(self, keys) -> set[str]:
        """The keys among ``keys`` written by anyone or failed by this spider."""
        return self.store.settled(keys, self.spider_name) if self.store is not None else set()

    def walks(self) -> dict[str, Walked]:
        """Category path -> its last walk; empty when the run reads nothing."""
        return self.store.walks() if self.reads else {}

    def newest_published(self, category_path: str | None = None, written_after: float | None = None) -> datetime | None:
        """When the newest article written (of ``category_path`` and its subcategories, if given; first
        recorded after ``written_after``, UNIX time, if given) was published, aware; None when the run
        reads nothing or no article gives a time."""
        if not self.reads:
            return None
        instants = [value for text in self.store.newest_published(category_path, written_after=written_after)
                    if isinstance(value := parse_date(text), datetime)]
        return max(instants, default=None)

    def retries(self) -> list[str]:
        """Keys of this spider's failed articles to request again this run."""
        return list(self._retries)

    def sitemap_memory(self) -> dict:
        return self.store.sitemap_memory() if self.store is not None else {}

    # --- claims ---------------------------------------------------------------------------

    def _alive(self, owner: str) -> bool:
        """Whether a crawl of the spider ``owner`` holds its lock now (this run's own claims are not others')."""
        if owner == self.spider_name:
            return False
        try:
            with open(self.dir / f"{owner}.lock", "rb") as probe:
                try:
                    fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    return True
                fcntl.flock(probe, fcntl.LOCK_UN)
        except OSError:
            return False
        return False

    def expect(self, item, keys, new: bool) -> None:
        """The write decision chose to write ``item`` (``new``: its first version): :class:`Claim` claims it."""
        if self.incremental:
            self._expected[id(item)] = (list(keys), new)

    def reserve(self, keys, new: bool = True) -> bool:
        """Claim the article ``keys`` (its URL, ``post:<id>``) before it is written, recording in the same
        transaction the articles the feeds hold durably by now. False: another running crawl of the
        data directory claimed it first, or (``new``: its first version) recorded it meanwhile, or
        the state failed: this run must not write it."""
        keys = [k for k in dict.fromkeys(keys) if k]
        if not self.incremental:
            return True
        if self.state_failed:
            return False
        taken = self._record_pending(claim=keys, new=new)
        if taken is None or taken:
            return False
        if self.feeds is not None:
            self._exporting += 1
        return True

    async def exports_done(self) -> None:
        """Until the items claimed before are in the feeds: each claim then records the article before it."""
        while self._exporting:
            waiter: Deferred = Deferred()
            self._waiting.append(waiter)
            await maybe_deferred_to_future(waiter)

    # --- writing --------------------------------------------------------------------------

    def alias(self, article: str, *keys: str | None) -> None:
        """More keys of a recorded article (an old URL, a redirect, a variant)."""
        if self.incremental and any(keys):
            self._write(self.store.add, article, *keys)

    def fold(self, article: str, *keys: str | None) -> None:
        """More keys of an article this run wrote, recorded as its aliases at close."""
        if self.incremental:
            self._folded.setdefault(article, set()).update(k for k in keys if k and k != article)

    def touch(self, url: str, modified: str | None) -> None:
        if self.incremental:
            self._write(self.store.touch, url, modified)

    def mark_removed(self, url: str, when: float) -> None:
        if self.incremental:
            self._write(self.store.mark_removed, url, when)

    def start_walks(self, categories) -> None:
        """The walks of ``categories`` start now: incomplete until :meth:`complete_walks`."""
        if self.incremental:
            now = time.time()
            self._walks_started.update(dict.fromkeys(categories, now))
            self._write(self.store.start_walks, list(categories), self.spider_name, now)

    def complete_walks(self, categories) -> None:
        """This run's walks of ``categories`` are complete (not a walk another crawl started since)."""
        if self.incremental and categories:
            self._write(self.store.complete_walks, {c: self._walks_started[c] for c in categories},
                        self.spider_name, stop=False)

    def remember_sitemaps(self, index_url: str, memory: dict) -> None:
        if self.incremental:
            self._write(self.store.remember_sitemaps, index_url, memory, stop=False)

    # --- recording -------------------------------------------------------------------------

    def item_exported(self, item, response, outcome):
        """The feeds took an item (signal :data:`alanews.signals.item_exported`): record it once durable."""
        if self._exporting:
            self._exporting -= 1
            waiting, self._waiting = self._waiting, []
            for waiter in waiting:
                waiter.callback(None)
        request_key = response.meta.get("deltafetch_key") if response is not None else None
        if request_key:
            self._settled.add(request_key)
        if not outcome.written or self.state_failed:
            self.stats.inc_value("deltafetch/not_recorded")
            if outcome.written and self.feeds is not None and not self.feeds.take_back([outcome.starts]):
                logger.error("deltafetch: %s is in a feed but not recorded as written: the next run writes it again",
                             ItemAdapter(item).get("url"))
            return
        adapter = ItemAdapter(item)
        extra = (request_key, *self._folded.pop(request_key, ()), *self._folded.pop(adapter.get("url"), ()))
        written = Written.of(item, self.spider_name, *extra, filled=filled_fields(item))
        pending = _Pending(written, outcome.starts, set(outcome.pending))
        if pending.uploads:
            self._uploading.append(pending)
            return
        self._unsynced.append(pending)
        if self._flush_call is None:
            self._flush_call = call_later(self.flush_interval, self.flush)

    def flush(self) -> None:
        """Record now what the feeds hold (fsynced first): no next article came to carry it."""
        if self._flush_call is not None:
            self._flush_call.cancel()  # nothing if it is this call
        self._flush_call = None
        if self._unsynced and not self.state_failed:
            self._record_pending()

    def _record_pending(self, claim=(), new: bool = True) -> set[str] | None:
        """Fsync the feeds, then in one transaction record what they hold and claim ``claim``.
        Returns the keys claimed elsewhere, or None if the state (or a feed) failed."""
        batch = self._unsynced
        if batch and self.feeds is not None and self.feeds.sync() is not None:
            # a feed failed (its exporter stops the crawl): what waited is taken back out, not recorded
            self.stats.inc_value("deltafetch/not_recorded", len(batch))
            if not self.feeds.take_back([pending.starts for pending in batch]):
                logger.error("deltafetch: %d articles are in a feed but not recorded as written: the next run "
                             "writes them again", len(batch))
            self._unsynced = batch = []
        if not batch and not claim:
            return set()
        taken = self._write(self.store.record, [pending.article for pending in batch], claim, self.spider_name,
                            self._alive, new)
        if taken is None:
            return None
        self._unsynced = []
        if self._flush_call is not None:
            self._flush_call.cancel()
            self._flush_call = None
        if batch:
            self.stats.inc_value("deltafetch/stored", len(batch))
        return taken

    def feed_slot_closed(self, slot):
        """A feed that stores at close was stored (or not): record the articles that waited for it."""
        stored = self.feeds is not None and self.feeds.stored(slot)
        waiting, ready, lost = [], [], 0
        for pending in self._uploading:
            if slot not in pending.uploads:
                waiting.append(pending)
            elif not stored:
                lost += 1
            else:
                pending.uploads.discard(slot)
                (waiting if pending.uploads else ready).append(pending)
        self._uploading = waiting
        if ready and self._write(self.store.record, [pending.article for pending in ready], stop=False) is not None:
            self.stats.inc_value("deltafetch/stored", len(ready))
        elif ready:
            logger.error("deltafetch: %d articles are in the feeds but not recorded as written: the next run writes "
                         "them again", len(ready))
        if lost:
            self.stats.inc_value("deltafetch/not_recorded", lost)
            logger.warning("deltafetch: %d articles not recorded as written: feed %s was not stored; the next run "
                           "writes them again", lost, mask_credentials(slot.uri))

    def item_dropped(self, item, response, exception, spider=None):
        """An item not written: what its drop means for the state (see :mod:`alanews.decision`)."""
        self._expected.pop(id(item), None)
        key = response.meta.get("deltafetch_key") if response is not None else None
        if key:
            self._settled.add(key)
        if isinstance(exception, ArticleDrop):
            exception.settle(self, item, response)
        elif key:
            self.article_failed(key, "dropped")

    # --- failed articles ----------------------------------------------------------------------

    def article_failed(self, key: str, kind: str, spider=None):
        """An article request brought no item (signal :data:`alanews.signals.article_failed`)."""
        if not key:
            return
        self._settled.add(key)
        if key in self._failed_this_run or self.state_failed:
            return
        self._failed_this_run.add(key)
        runs = self._write(self.store.record_failure, key, self.spider_name, kind)
        if runs is None:
            return
        self.stats.inc_value("deltafetch/failed/recorded")
        if runs == self.retry_runs + 1:
            self.stats.inc_value("deltafetch/failed/given_up")
            logger.warning("deltafetch: gave up %s after %d failed runs (last: %s); fetched again only if a "
                           "listing page a later walk reads lists it", key, runs, kind)

    def first_failed(self, key: str, kinds) -> float | None:
        """When this spider first failed the article ``key``, if its last failure is one of ``kinds``; None otherwise."""
        return self.store.first_failed(key, self.spider_name, kinds) if self.store is not None else None

    def settle(self, key: str) -> None:
        """An article request that brought no item for a reason its spider recorded (a removal): no failure."""
        self._settled.add(key)

    def retried(self) -> None:
        self.stats.inc_value("deltafetch/failed/retried")

    def spider_error(self, failure, response, spider=None):
        """An exception in an article's callback: the article is failed (its item never came)."""
        self.article_failed(response.meta.get("deltafetch_key"), "spider_error")

    # --- requests Scrapy's dupefilter drops ------------------------------------------------------

    def request_scheduled(self, request, spider=None):
        key = request.meta.get("deltafetch_key")
        if key:
            self._requested.add(key)
            self._scheduled.setdefault(self.crawler.request_fingerprinter.fingerprint(request), (key, id(request)))

    def request_dropped(self, request, spider=None):
        """The dupefilter dropped an article request: another spelling of an article already requested
        (its key becomes an alias of that article; not when the request named a post id and was
        redirected: failed, stat ``alanews/failed/other_post``), a redirect to a page that is no article, already
        fetched (the article failed: WARNING, stat ``alanews/failed/redirected_off_article``), or a
        request the run a JOBDIR resumes had asked for (stat ``deltafetch/dropped_as_seen``)."""
        key = request.meta.get("deltafetch_key")
        if not key:
            return
        fingerprint = self.crawler.request_fingerprinter.fingerprint(request)
        first, by = self._scheduled.get(fingerprint, (None, None))
        if by == id(request):  # request_scheduled is sent before the dupefilter is asked: it was this one
            del self._scheduled[fingerprint]
            first = None
        if first and first != key and request.meta.get("alanews_post_id") is not None and request.meta.get(
                "redirect_urls"):
            # a URL given for one post redirected to a page requested for another: no alias of it unread
            self.stats.inc_value("alanews/failed/other_post")
            logger.warning("Failed %s (failed/other_post): post %d was expected, it redirects to %s, requested for "
                           "another article", key, request.meta["alanews_post_id"], request.url)
            self.article_failed(key, "other_post")
            return
        if first and first != key:
            self._folded.setdefault(first, set()).add(key)
            self._settled.add(key)
            self.stats.inc_value("deltafetch/folded")
            return
        if first == key:
            return  # the same article asked twice: its first request settles it
        if not request.meta.get("redirect_urls") or parse_article_url(self.base_url, request.url):
            # a fingerprint this run did not schedule: seen by the run a JOBDIR resumes. The article's
            # queued request settles it, or the close-time sweep records it as failed (retried)
            self.stats.inc_value("deltafetch/dropped_as_seen")
            return
        self.stats.inc_value("alanews/failed/redirected_off_article")
        logger.warning("Failed %s (failed/redirected_off_article): it redirects to %s, a page that is no article "
                       "(read already)", key, request.url)
        self.article_failed(key, "redirected_off_article")

    def _record_folded(self) -> None:
        """Keys folded into an article recorded before (or by an earlier run) become its aliases."""
        for first, keys in list(self._folded.items()):
            article = self.store.article_of(first) if not self.state_failed else None
            if article:
                self.alias(article, *keys)
        self._folded = {}

    def _sweep_unsettled(self) -> None:
        """Article requests of a finished run that brought neither an item nor a failure: failed now."""
        lost = sorted(self._requested - self._settled)
        if not lost:
            return
        self.stats.inc_value("deltafetch/unsettled", len(lost))
        logger.warning("deltafetch: %d article request(s) brought neither an item nor a failure (e.g. %s): recorded "
                       "as failed, retried by the next runs", len(lost), lost[0])
        for key in lost:
            self.article_failed(key, "no_outcome")


class Claim:
    """The last item pipeline (``ITEM_PIPELINES``): the ledger claims each item the write decision chose
    (:meth:`ArticleLedger.expect`, :meth:`ArticleLedger.reserve`) just before the feeds take it, once
    the item claimed before it is in the feeds, in the transaction that records that one: one
    transaction per article, and at most the one being written is in a feed and not recorded
    when a kill comes. An item another running crawl
    claimed first is dropped (:class:`alanews.decision.ClaimedElsewhere`, stat ``deltafetch/claimed_elsewhere``)."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.ledger: ArticleLedger | None = None

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def open_spider(self, spider=None):
        self.ledger = self.crawler.get_extension(ArticleLedger)

    async def process_item(self, item, spider=None):
        ledger = self.ledger
        expected = ledger._expected.pop(id(item), None) if ledger is not None else None
        if expected is None:
            return item
        await ledger.exports_done()
        if ledger.reserve(*expected):
            return item
        url = ItemAdapter(item).get("url")
        if ledger.state_failed:
            raise StateUnavailable(f"Not written: {url}: the state failed, the crawl is stopping")
        self.crawler.stats.inc_value("deltafetch/claimed_elsewhere")
        logger.info("deltafetch: %s is being written by another running crawl (or was just): not written by "
                    "this run", url)
        raise ClaimedElsewhere(f"Claimed elsewhere: {url}")
