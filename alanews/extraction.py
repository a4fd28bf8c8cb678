"""Reading article pages: in the crawl process, or in worker processes on the other cores.

A crawl of the real site waits on the site (politeness), and every article page is read in the
crawl process. A crawl bound by CPU instead (politeness off: a backfill, the replica; Scrapy's HTTP
cache replayed after an extraction fix) spends most of its CPU reading pages, on one core:
``ALANEWS_EXTRACTION_WORKERS = N`` hands them to N worker processes (``python -m
alanews.extraction``), started when the spider opens, stopped and reaped when it closes, so the
crawl process's CPU total (``wait4``, ``time``) includes theirs. The default, "auto", is one
worker when ``DOWNLOAD_DELAY`` is 0, AutoThrottle is off and a second core is there, else none:
the worker costs ~10% more CPU in all, and doubles the pages read per second only when the
site does not set the pace.

The crawl process cuts the post region (``post_region``: ~30 KB of a 140 KB page) and sends it
to the worker with the fewest pages pending, with the URL and the fetch time; the worker sends
back the item, the related links, its stats and its log records, which the crawl process counts
and logs as its own: feed, stats and log read the same either way. A region without the post's
parts comes back unread, and the whole page follows (as in process: stat
``alanews/article/whole_page``). A worker that dies loses nothing: its pending pages are read in
the crawl process (WARNING, stat ``alanews/extraction/worker_lost``), the next ones go to the
other workers, or stay in the crawl process once none is left.

Messages are pickles behind a 4-byte length on the worker's stdin and stdout, through the
reactor's own process pipes: no thread in the crawl process.
"""

from __future__ import annotations

import logging
import os
import pickle
import sys
import traceback
from collections import Counter, deque
from datetime import datetime, timezone

from scrapy import signals
from scrapy.http import HtmlResponse
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import defer, protocol

from alanews.gc import gc_settings, tune
from alanews.items import Article
from alanews.pages.article import ArticlePage
from alanews.pages.markup import post_region, utf8_body

logger = logging.getLogger(__name__)

_HEADER = 4  # bytes of the little-endian length before each pickle
_WHOLE_PAGE = "whole"  # a worker's answer to a region without the post's parts
_STOP_TIMEOUT = 30  # seconds a worker has to exit once its input is closed, before it is killed


def _frame(message) -> bytes:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return len(data).to_bytes(_HEADER, "little") + data


def worker_count(settings) -> int:
    """``ALANEWS_EXTRACTION_WORKERS``: N, or "auto" (the default): one worker when the crawl is
    bound by CPU (no ``DOWNLOAD_DELAY``, no AutoThrottle) and has a second core, else none."""
    value = settings.get("ALANEWS_EXTRACTION_WORKERS", "auto")  # "auto" also without the project's settings
    if str(value).strip().lower() == "auto":
        polite = settings.getfloat("DOWNLOAD_DELAY") > 0 or settings.getbool("AUTOTHROTTLE_ENABLED")
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
        return 0 if polite or cores < 2 else 1
    try:
        count = int(value)
    except (TypeError, ValueError):
        count = -1
    if count < 0:
        raise ValueError(f"ALANEWS_EXTRACTION_WORKERS must be 0 or more, or auto, got {value!r}")
    return count


def extractor_from_crawler(crawler) -> InProcess:
    """What ``ALANEWS_EXTRACTION_WORKERS`` asks for: 0 in process, N > 0 workers (stat
    ``alanews/extraction/workers``)."""
    count = worker_count(crawler.settings)
    return Workers.from_crawler(crawler, count) if count else InProcess(crawler)


class InProcess:
    """Reads an article page in the crawl process."""

    count = 0  # worker processes

    def __init__(self, crawler=None):
        self.crawler = crawler
        if crawler is not None:
            crawler.signals.connect(self.opened, signal=signals.spider_opened)

    def opened(self):
        self.stats.set_value("alanews/extraction/workers", self.count)

    @property
    def stats(self):
        return self.crawler.stats  # set once the crawl starts, after the spider is built

    def read(self, response, base_url: str, now: datetime | None = None):
        page = ArticlePage(response, base_url, now)
        return page.to_item(self.stats), page.related_urls()

    async def extract(self, response, base_url: str):
        """The article's item and its related links."""
        return self.read(response, base_url)


class WorkerLost(Exception):
    pass


class _Worker(protocol.ProcessProtocol):
    def __init__(self, number: int):
        self.number = number
        self.buffer = bytearray()
        self.pending: deque[defer.Deferred] = deque()  # a worker answers in order
        self.alive = True
        self.stopping = False
        self.ended = defer.Deferred()

    def connectionMade(self):
        logger.info("Extraction worker %d started (pid %s)", self.number, self.transport.pid)

    def send(self, message) -> defer.Deferred:
        answer = defer.Deferred()
        self.pending.append(answer)
        self.transport.write(_frame(message))
        return answer

    def outReceived(self, data: bytes):
        self.buffer += data
        while len(self.buffer) >= _HEADER:
            size = int.from_bytes(self.buffer[:_HEADER], "little")
            if len(self.buffer) < _HEADER + size:
                return
            message = pickle.loads(self.buffer[_HEADER:_HEADER + size])
            del self.buffer[:_HEADER + size]
            self.pending.popleft().callback(message)

    def errReceived(self, data: bytes):
        for line in data.decode("utf-8", "replace").splitlines():
            if line.strip():
                logger.warning("Extraction worker %d: %s", self.number, line)

    def processEnded(self, reason):
        self.alive = False
        if not self.stopping:
            logger.warning("Extraction worker %d ended (%s): its pages are read by the other workers, "
                           "or in the crawl process", self.number, reason.getErrorMessage())
        pending, self.pending = self.pending, deque()
        for answer in pending:
            answer.errback(WorkerLost(f"extraction worker {self.number} ended"))
        self.ended.callback(None)


class Workers(InProcess):
    """Reads article pages in ``count`` worker processes (see the module doc)."""

    def __init__(self, crawler, count: int, log_level: str, gc_freeze: bool = False, gc_threshold: tuple = ()):
        super().__init__(crawler)
        self.count = count
        self.log_level = log_level
        self.gc_arguments = ["freeze" if gc_freeze else "", ",".join(map(str, gc_threshold))]  # see __main__
        self.workers: list[_Worker] = []

    @classmethod
    def from_crawler(cls, crawler, count: int):
        level = crawler.settings.get("LOG_LEVEL")
        extractor = cls(crawler, count, logging.getLevelName(level) if isinstance(level, int) else str(level).upper(),
                        *gc_settings(crawler.settings))
        crawler.signals.connect(extractor.start, signal=signals.spider_opened)
        crawler.signals.connect(extractor.stop, signal=signals.spider_closed)
        return extractor

    def start(self):
        from twisted.internet import reactor

        # the worker imports alanews as this process does (under Scrapyd: from the project's egg)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        for number in range(self.count):
            worker = _Worker(number)
            reactor.spawnProcess(worker, sys.executable,
                                 [sys.executable, "-m", "alanews.extraction", self.log_level, *self.gc_arguments],
                                 env=env)
            self.workers.append(worker)

    async def stop(self) -> None:
        """Close every worker's input; the spider closes once they have all exited (and were reaped)."""
        from twisted.internet import reactor

        for worker in self.workers:
            worker.stopping = True
            if worker.alive:
                worker.transport.closeStdin()
        deadline = reactor.callLater(_STOP_TIMEOUT, self._kill)
        try:
            await maybe_deferred_to_future(defer.DeferredList([worker.ended for worker in self.workers]))
        finally:
            if deadline.active():
                deadline.cancel()

    def _kill(self) -> None:
        for worker in self.workers:
            if worker.alive:
                logger.warning("Extraction worker %d still running %d s after the crawl: killed",
                               worker.number, _STOP_TIMEOUT)
                worker.transport.signalProcess("KILL")

    async def extract(self, response, base_url: str):
        now = datetime.now(timezone.utc)
        if not any(worker.alive for worker in self.workers):
            return self.read(response, base_url, now)
        body = utf8_body(response)
        region = post_region(body)
        try:
            answer = await self._ask((response.url, region, True, base_url, now)) if region is not None else None
            if answer is None or answer[0] == _WHOLE_PAGE:
                answer = await self._ask((response.url, body, False, base_url, now))
        except WorkerLost:
            self.stats.inc_value("alanews/extraction/worker_lost")
            logger.warning("Extraction worker lost while reading %s: read in the crawl process", response.url)
            return self.read(response, base_url, now)
        status, result, records = answer
        for name, level, message in records:
            logging.getLogger(name).log(level, "%s", message)
        if status == "error":
            raise RuntimeError(f"Extraction failed in a worker:\n{result}")
        item, related, stats = result
        for key, count in stats.items():
            self.stats.inc_value(key, count)
        return Article(item), related

    async def _ask(self, message):
        alive = [w for w in self.workers if w.alive]
        if not alive:
            raise WorkerLost("no extraction worker left")
        worker = min(alive, key=lambda w: len(w.pending))
        return await maybe_deferred_to_future(worker.send(message))


# --- the worker process ------------------------------------------------------------------------

class _Stats(Counter):
    def inc_value(self, key, count=1, start=0):
        self[key] += count


class _Records(logging.Handler):
    """Log records of one page, sent back with its item."""

    def __init__(self):
        super().__init__()
        self.records: list[tuple[str, int, str]] = []

    def emit(self, record):
        self.records.append((record.name, record.levelno, record.getMessage()))

    def take(self) -> list[tuple[str, int, str]]:
        records, self.records = self.records, []
        return records


def _answer(url: str, body: bytes, cut: bool, base_url: str, now: datetime, records: _Records):
    stats = _Stats()
    try:
        page = ArticlePage(HtmlResponse(url, body=body, encoding="utf-8"), base_url, now, cut=cut)
        if cut and not page.from_region:
            return _WHOLE_PAGE, None, records.take()
        return "ok", (dict(page.to_item(stats)), page.related_urls(), dict(stats)), records.take()
    except Exception:
        return "error", traceback.format_exc(), records.take()


def serve(log_level: str = "INFO", stdin=None, stdout=None) -> None:
    """Read pages from ``stdin`` until it closes, answer each on ``stdout``."""
    stdin = stdin or sys.stdin.buffer
    stdout = stdout or sys.stdout.buffer
    records = _Records()
    root = logging.getLogger()
    level = root.level
    root.addHandler(records)
    root.setLevel(log_level)
    try:
        while True:
            header = stdin.read(_HEADER)
            size = int.from_bytes(header, "little")
            payload = stdin.read(size) if len(header) == _HEADER else b""
            if len(payload) < size or not payload:  # the crawl process closed the pipe (or died)
                return
            stdout.write(_frame(_answer(*pickle.loads(payload), records)))
            stdout.flush()
    finally:
        root.removeHandler(records)
        root.setLevel(level)


if __name__ == "__main__":
    # python -m alanews.extraction LOG_LEVEL "freeze"|"" THRESHOLD, as Workers.start runs it: the
    # crawl's log level and ALANEWS_GC_* settings (the collector set as in the crawl process)
    log_level, freeze, threshold = sys.argv[1:4]
    tune(freeze == "freeze", tuple(int(t) for t in threshold.split(",") if t))
    answers = sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print() must not break the answers' framing
    serve(log_level, stdout=answers)
