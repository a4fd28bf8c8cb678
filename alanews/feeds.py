"""Feeds that say when an article is in them for good, so that the state records only that.

The article ledger (:mod:`alanews.ledger`) records an article once its item is in every feed
of the run, durably: never before, and never when a feed failed.

* **Storages** (``FEED_STORAGES`` maps Scrapy's schemes ``""``, ``file``, ``stdout``, ``ftp``,
  ``s3``, ``gs`` to the classes below): Scrapy's, but every write goes through to the OS at
  once (local files, stdout, and the temporary file of an upload), and a storage remembers
  its first failure (``error``: the feed could not be opened, a write failed — disk full, too
  many open files — or the store/upload failed) and whether its store succeeded (``stored``).
  A write that fails is taken back (the file truncated to where the line began: no half
  line), and the feed takes nothing more; its store then raises the failure, so Scrapy
  logs it and counts it (``feedexport/failed_count/<storage>``).
* :class:`FeedExporter` (Scrapy's, in ``EXTENSIONS``) tells for each item what became of it
  (:meth:`FeedExporter.outcome`): in every feed for good now (a local file or stdout, no
  post-processing); or pending until the store of the feeds that upload or post-process it
  (FTP, S3, GCS, gzip...) succeeded (Scrapy's ``feed_slot_closed`` signal, then
  :meth:`FeedExporter.stored`); or not written (a feed failed, no feed took it, or a storage
  that cannot say whether it stored). The first failure of a feed is one ERROR line naming
  the feed and the cause, the stat ``alanews/feeds/failed``, and the crawl stops (finish
  reason ``feed_failed``): what follows could not be written either.
* Before the first request (:meth:`FeedExporter.from_crawler`), every local feed is checked:
  its directory can be made and written, the file (if there) written; a JSON, XML or CSV file
  that already holds items is not appended to (``-o`` would leave ``…][…``): the run is
  refused (exit 1, "not started") with one line saying what to do instead.
* :meth:`FeedExporter.sync` fsyncs the local feed files; each item's outcome says where its
  bytes begin in each of them, so that :meth:`FeedExporter.take_back` can cut them off whole.
* Passwords in feed URIs (``ftp://user:password@host/...``) never reach the log: every log
  line passes :func:`mask_credentials`.
"""

from __future__ import annotations

import errno
import io
import logging
import os
import re
import stat
import tempfile
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.extensions import feedexport
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future
from twisted.internet.defer import Deferred

from alanews import signals as alanews_signals
from alanews.errors import NotStarting

logger = logging.getLogger(__name__)

_CREDENTIALS = re.compile(r"(?P<scheme>\b[a-z][a-z0-9+.-]*://)(?P<user>[^:/@\s]*):[^@/\s]*@", re.I)


def mask_credentials(text: str) -> str:
    """``ftp://user:secret@host/x`` -> ``ftp://user:***@host/x``, wherever in ``text``."""
    return _CREDENTIALS.sub(r"\g<scheme>\g<user>:***@", text)


class _LogFilter(logging.Filter):
    """On every handler: passwords of URIs masked; Scrapy's "Error storing" line without its traceback.

    The storage failure is then one line ending with its cause, e.g. ``Error storing jsonlines
    feed (12 items) in: ftp://feeds:***@host/esteri.jsonl: error_perm: 550 Permission denied``.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and record.name == feedexport.__name__ and message.startswith("Error storing"):
            error = record.exc_info[1]
            message += f": {type(error).__name__}: {error}"
            record.exc_info = record.exc_text = None
        masked = mask_credentials(message)
        if masked != record.getMessage():
            record.msg, record.args = masked, ()
        return True


def _install_log_filter() -> None:
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, _LogFilter) for f in handler.filters):
            handler.addFilter(_LogFilter())


# --- files --------------------------------------------------------------------------------------

class _WriteThroughFile(io.FileIO):
    """An unbuffered file: every ``write`` hands all its bytes to the OS before returning.

    A write that fails is taken back (a regular file is truncated to where it began),
    reported once to ``on_error``, and the file takes nothing more (writes are dropped).
    :meth:`cut` takes what was written from an offset on back out; :meth:`sync` fsyncs.

    ``replaces``: the path of the regular file this one was opened on, to be replaced, not
    emptied: the first write goes to a new file beside it (same mode), renamed over it once
    that write succeeded (or at :meth:`replace`). Until then the old file is as it was.
    """

    def __init__(self, file, mode: str, on_error, closefd: bool = True, replaces: str | None = None):
        super().__init__(file, mode, closefd=closefd)
        self.on_error = on_error
        self.failed = False
        self.replaces = replaces

    def _new_file(self) -> tuple[str, str] | None:
        """A new empty file beside the one replaced, with its mode, now under this descriptor:
        (its name, the path to rename it to). None where no file can be made beside it (a
        directory we may not write): the old one is then emptied in place."""
        path = os.path.realpath(self.replaces)  # a symlink stays, its target is replaced
        try:
            fd, name = tempfile.mkstemp(dir=os.path.dirname(path), prefix=f".{os.path.basename(path)}.",
                                        suffix=".part")
        except PermissionError:
            self.truncate(0)
            self.seek(0)
            return None
        try:
            os.fchmod(fd, stat.S_IMODE(os.fstat(self.fileno()).st_mode))
            os.dup2(fd, self.fileno())
        except OSError:
            os.unlink(name)
            raise
        finally:
            os.close(fd)
        return name, path

    def write(self, data) -> int:
        view = memoryview(data).cast("B")
        if self.failed:
            return len(view)
        done = 0
        start = new = None
        try:
            if self.replaces is not None:
                new = self._new_file()
            start = self.tell() if self.seekable() else None
            while done < len(view):
                done += super().write(view[done:]) or 0
            if new is not None:
                os.replace(*new)
                _fsync_directory(os.path.dirname(new[1]))
            self.replaces = None
        except OSError as error:
            self.failed = True
            if new is not None:  # the old file stays as it was
                with suppress(OSError):
                    os.unlink(new[0])
            elif start is not None and done:
                with suppress(OSError):
                    self.truncate(start)
                    self.seek(start)
            self.on_error(error)
            return len(view)
        return done

    def cut(self, offset: int) -> bool:
        """Take everything from ``offset`` on back out of the file; False if that cannot be done."""
        if self.closed or not self.seekable():
            return False
        try:
            self.truncate(offset)
            self.seek(offset)
            os.fsync(self.fileno())
        except OSError:
            return False
        return True

    def sync(self) -> None:
        """Fsync: what was written is on disk. A failure is the feed's (``on_error``); a descriptor
        that cannot be synced (a pipe, a terminal) has nothing to sync."""
        if self.failed:
            return
        try:
            os.fsync(self.fileno())
        except OSError as error:
            if error.errno not in (errno.EINVAL, errno.EROFS, errno.ENOTSUP):
                self.failed = True
                self.on_error(error)

    def close(self) -> None:
        if not self.closed:
            self.sync()
        super().close()


def _fsync_directory(path: str) -> None:
    """A rename is on disk once its directory is synced."""
    with suppress(OSError):
        fd = os.open(path or ".", os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


#: feed formats whose file is one document: items appended to a file holding some make it invalid
NOT_APPENDABLE = {"json": "a JSON array", "xml": "an XML document", "csv": "a CSV table with its header"}


def _local_path(uri: str) -> Path | None:
    """The path of a local feed URI (a path, or ``file://``); None for another storage or stdout."""
    scheme = urlsplit(uri).scheme
    if scheme == "file":
        return Path(urlsplit(uri).path)
    return Path(uri) if scheme == "" and uri != "-" else None


def check_local_feeds(settings, snapshots: bool = True, spider_name: str | None = None) -> None:
    """Refuse, before the first request, a local feed that cannot be written or must not be appended to
    (``snapshots``: whether the spider may overwrite a feed, ``-O``, and so be told to).

    The directory of each local feed (``%(name)s`` read as ``spider_name``; its part before any other
    parameter, such as ``%(time)s``) must be one the
    run can create files in (tried: /proc and /sys refuse even root); a file there must open for
    writing, and must not be a directory; a JSON, XML or CSV file appended to
    (``-o``, ``overwrite`` False) must not hold items yet. NotStarting, one line, otherwise.
    """
    for uri, options in settings.getdict("FEEDS").items():
        path = _local_path(str(uri).replace("%(name)s", spider_name) if spider_name else str(uri))
        if path is None:
            continue
        options = options or {}
        parts = path.parts
        first_param = next((n for n, part in enumerate(parts) if "%(" in part), None)
        fixed = first_param is None
        directory = path.parent if fixed else Path(*parts[:first_param]) if first_param else Path(".")
        existing = directory
        while not existing.exists() and existing != existing.parent:
            existing = existing.parent
        if not existing.is_dir():
            raise NotStarting(f"feed {uri}: {existing} is not a directory")
        if existing.resolve().parts[1:2] in (("proc",), ("sys",)):  # their files take a write, then fail it
            raise NotStarting(f"feed {uri}: /{existing.resolve().parts[1]} holds the kernel's files, not feeds")
        if fixed and path.is_dir():
            raise NotStarting(f"feed {uri}: {path} is a directory")
        if fixed and path.exists():
            if error := _cannot_open(path):
                raise NotStarting(f"feed {uri}: {path} cannot be written ({error.strerror.lower()})")
        elif error := _cannot_create_in(existing):  # /proc, /sys, a read-only mount, no permission
            raise NotStarting(f"feed {uri}: cannot create files in {existing} ({error.strerror.lower()})")
        if not fixed:
            continue
        fmt = options.get("format") or path.suffix.lstrip(".")
        if (fmt in NOT_APPENDABLE and not options.get("overwrite", False)
                and path.is_file() and path.stat().st_size > 0):
            raise NotStarting(f"feed {uri} is {NOT_APPENDABLE[fmt]} that already holds items: appending to it (-o) "
                              f"would make it invalid. {'Use -O to overwrite it, a' if snapshots else 'Use a'} JSON "
                              f"Lines feed (.jsonl) to append, or %(time)s in its name for one file per run")


def _cannot_create_in(directory: Path) -> OSError | None:
    """Whether a file can be made in ``directory``, tried for real (permission bits do not tell
    root, /proc or /sys): None, or the error. The file tried is removed at once."""
    try:
        fd, name = tempfile.mkstemp(dir=directory, prefix=".alanews-probe-")
    except OSError as error:
        return error
    os.close(fd)
    os.unlink(name)
    return None


def _cannot_open(path: Path) -> OSError | None:
    """Whether the existing ``path`` opens for writing (neither emptied nor changed): None, or the error."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_APPEND | os.O_NONBLOCK))
    except OSError as error:
        return error
    return None


class _Unopened(io.RawIOBase):
    """Stands for a feed that could not be opened: takes every write and keeps nothing."""

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        return len(memoryview(data))


# --- storages -----------------------------------------------------------------------------------

class _Reporting:
    """A feed storage that remembers its first failure (``error``) and whether it stored (``stored``).

    ``write_through``: an item written to it is in the feed for good at once (else only
    once :meth:`store` succeeded).
    """

    write_through = False
    error: BaseException | None = None
    stored = False

    def failed(self, error: BaseException) -> None:
        if self.error is None:
            self.error = error

    def _open_file(self, opener):
        try:
            return opener()
        except OSError as error:
            self.failed(error)
            return _Unopened()

    def store(self, file):
        if self.error is not None:  # nothing is stored from a feed that failed
            with suppress(Exception):
                file.close()
            raise self.error
        try:
            result = super().store(file)
        except Exception as error:
            self.failed(error)
            raise
        if result is None:
            self.stored = True
            return None

        def done(value):
            self.stored = True
            return value

        def failed(failure):
            self.failed(failure.value)
            return failure

        return result.addCallbacks(done, failed)


class FileFeedStorage(_Reporting, feedexport.FileFeedStorage):
    """A local file, written through: each item's line is in the file when ``write`` returns.

    Overwritten (``-O``) at its first line, not at the start: a run whose first write failed
    leaves the file as it was. A run that writes nothing does not open it (``FEED_STORE_EMPTY``
    False): no file is made, an existing one is left as it was.
    """

    write_through = True

    def open(self, spider):
        def opener():
            path = Path(self.path)
            path.parent.mkdir(parents=True, exist_ok=True)
            if "w" not in self.write_mode:
                return _WriteThroughFile(str(path), self.write_mode.replace("b", ""), self.failed)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o666)  # opened without emptying it
            regular = stat.S_ISREG(os.fstat(fd).st_mode)  # not /dev/stdout, /dev/null, a FIFO
            return _WriteThroughFile(fd, "w", self.failed, replaces=str(path) if regular else None)

        return self._open_file(opener)


class StdoutFeedStorage(_Reporting, feedexport.StdoutFeedStorage):
    """Standard output, written through to file descriptor 1 (Scrapy's is buffered)."""

    write_through = True

    def open(self, spider):
        return self._open_file(lambda: _WriteThroughFile(self._stdout.fileno(), "w", self.failed, closefd=False))


class _Uploaded(_Reporting):
    """A storage that uploads at close: its temporary file is written through and reports failures."""

    def open(self, spider):
        def opener():
            directory = spider.crawler.settings["FEED_TEMPDIR"]
            if directory and not Path(directory).is_dir():
                raise OSError(f"FEED_TEMPDIR {directory} is not a directory")
            fd, name = tempfile.mkstemp(prefix="feed-", dir=directory)
            os.unlink(name)  # anonymous: gone with the process
            return _WriteThroughFile(fd, "w+", self.failed)

        return self._open_file(opener)


class FTPFeedStorage(_Uploaded, feedexport.FTPFeedStorage):
    pass


class S3FeedStorage(_Uploaded, feedexport.S3FeedStorage):
    pass


class GCSFeedStorage(_Uploaded, feedexport.GCSFeedStorage):
    pass


# --- the exporter ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Outcome:
    """What became of an item in the feeds: ``written`` in every feed that took it (False: a feed
    failed, none took it, or one cannot say), for good unless ``pending`` lists the feed slots
    whose store must still succeed."""

    written: bool
    pending: tuple = ()
    starts: tuple = ()  # (slot, offset where the item's bytes begin) for each write-through feed


NOT_WRITTEN = Outcome(False)


def write_through(slot) -> bool:
    """An item exported to this feed slot is in the feed for good at once."""
    return getattr(slot.storage, "write_through", False) and not slot.feed_options.get("postprocessing")


class FeedExporter(feedexport.FeedExporter):
    """Scrapy's FeedExporter that knows, for each item, whether every feed holds it for good.

    ``failures``: one "<feed>: <cause>" per failed feed (passwords masked). ``closed`` fires
    once every feed of the run is closed and stored (:func:`feeds_stored`).
    """

    def __init__(self, crawler):
        super().__init__(crawler)
        self.failures: list[str] = []
        self.closed: Deferred = Deferred()

    @classmethod
    def from_crawler(cls, crawler):
        spider = crawler.spider
        check_local_feeds(crawler.settings, getattr(spider, "snapshots", True), getattr(spider, "name", None))
        exporter = super().from_crawler(crawler)
        crawler.signals.connect(exporter.feed_slot_closed, signal=signals.feed_slot_closed)
        return exporter

    def open_spider(self, spider):
        _install_log_filter()  # now: Scrapy replaces its root handler after building the extensions
        super().open_spider(spider)
        for slot in self.slots:
            if not isinstance(slot.storage, _Reporting):
                logger.warning("Feed %s: its storage %s cannot tell whether it stored the feed, so no article "
                               "written to it is recorded as written (every run writes them again); map its "
                               "scheme in FEED_STORAGES to a storage of alanews.feeds", mask_credentials(slot.uri),
                               type(slot.storage).__name__)

    def item_scraped(self, item, spider, response=None):
        """Export ``item`` between :data:`alanews.signals.item_exporting` and
        :data:`alanews.signals.item_exported` (with its outcome)."""
        self.crawler.signals.send_catch_log(alanews_signals.item_exporting, item=item)
        outcome = NOT_WRITTEN
        try:
            taking = [slot for slot in self.slots if slot.filter.accepts(item)]
            starts = []
            for slot in taking:
                slot.start_exporting()  # the feed's opening ("[" of JSON) is not the item's
                if write_through(slot) and isinstance(slot.file, _WriteThroughFile) and slot.file.seekable():
                    starts.append((slot, slot.file.tell()))
            super().item_scraped(item, spider)
            outcome = self._outcome(taking)
            if outcome.written:
                outcome = Outcome(True, outcome.pending, tuple(starts))
        finally:  # whatever happened, the ledger hears of it (a claim may wait for it)
            self.crawler.signals.send_catch_log(alanews_signals.item_exported, item=item, response=response,
                                                outcome=outcome)

    def _outcome(self, slots: list) -> Outcome:
        if not slots:
            return NOT_WRITTEN
        failed = [slot for slot in slots if getattr(slot.storage, "error", None) is not None]
        for slot in failed:
            self._report(slot)
        if failed or not all(isinstance(slot.storage, _Reporting) for slot in slots):
            return NOT_WRITTEN
        return Outcome(True, tuple(slot for slot in slots if not write_through(slot)))

    def sync(self) -> BaseException | None:
        """Fsync every local feed file written through: what they hold is on disk when this returns.
        Returns the failure of a feed, if one failed (reported as any feed failure)."""
        for slot in self.slots:
            if isinstance(slot.file, _WriteThroughFile) and not slot.file.closed:
                slot.file.sync()
            if getattr(slot.storage, "error", None) is not None:
                self._report(slot)
                return slot.storage.error
        return None

    def take_back(self, starts: list) -> bool:
        """Cut the feeds back to where the first of some items began (``starts``: their outcomes'
        ``starts``, oldest first): those items and everything after them are no longer in the
        feeds. False if a feed could not be cut (an upload, stdout, a failed truncation)."""
        earliest: dict = {}
        count: dict = {}
        for item_starts in starts:
            for slot, offset in item_starts:
                earliest.setdefault(slot, offset)
                count[slot] = count.get(slot, 0) + 1
        whole = len(earliest) > 0
        for slot, offset in earliest.items():
            if isinstance(slot.file, _WriteThroughFile) and slot.file.cut(offset):
                slot.itemcount -= count[slot]
            else:
                whole = False
        return whole

    def _report(self, slot) -> None:
        """The first failure of a feed: one ERROR line, a stat, and the crawl stops."""
        if getattr(slot, "alanews_reported", False):
            return
        slot.alanews_reported = True
        uri, error = mask_credentials(slot.uri), slot.storage.error
        self.failures.append(f"{uri}: {error}")
        self.crawler.stats.inc_value("alanews/feeds/failed")
        logger.error("Feed %s failed: %s. Articles it did not take are not recorded as written; the crawl "
                     "stops and the next run writes them", uri, error)
        engine = self.crawler.engine
        if engine is not None and engine.spider is not None:
            deferred_from_coro(engine.close_spider_async(reason="feed_failed"))

    @staticmethod
    def stored(slot) -> bool:
        """Whether the slot's store succeeded (False for a storage that cannot tell)."""
        return getattr(slot.storage, "stored", False) and getattr(slot.storage, "error", None) is None

    def feed_slot_closed(self, slot):
        if getattr(slot.storage, "error", None) is not None and not getattr(slot, "alanews_reported", False):
            slot.alanews_reported = True  # Scrapy logged "Error storing ..." (one line: _LogFilter)
            self.failures.append(f"{mask_credentials(slot.uri)}: {slot.storage.error}")
            self.crawler.stats.inc_value("alanews/feeds/failed")

    async def close_spider(self, spider):
        for slot in self.slots:
            if slot.file is None and slot.batch_id == 1 and not slot.store_empty:  # Scrapy says nothing of it
                path = _local_path(slot.uri)
                logger.info("Feed %s: no article written, so %s", mask_credentials(slot.uri),
                            "the file is left as it was, and its run summary" if path is not None and path.exists()
                            else "no file made")
        try:
            await super().close_spider(spider)
        finally:
            self.closed.callback(None)


async def feeds_stored(crawler) -> None:
    """Wait until every feed of the run is closed and stored (at once if there is no alanews FeedExporter).

    Scrapy runs the ``spider_closed`` handlers together: the ones that need the feeds' outcome
    (recording uploaded articles, the monitors, the summary) await this first.
    """
    exporter = crawler.get_extension(FeedExporter)
    if exporter is not None:
        await fired(exporter.closed)


async def fired(deferred: Deferred) -> None:
    """Wait until ``deferred`` fired, without taking part in its callback chain."""
    follower: Deferred = Deferred()

    def notify(result):
        follower.callback(None)
        return result

    deferred.addBoth(notify)
    await maybe_deferred_to_future(follower)
