"""The downloader (Scrapy's ``DOWNLOADER`` setting): Scrapy's, stopping at once when the engine stops.

With the polite defaults (``DOWNLOAD_DELAY`` 1 s, AutoThrottle, up to 16 requests handed to the
downloader) a stop (Ctrl-C, SIGTERM, Scrapyd's cancel) waits for every request the downloader
holds: those queued behind the delay, one a second or slower, and those being transferred. Once
the engine stops (``engine.running`` false), :class:`Downloader` cancels them instead, so the
crawl closes within about a second. A cancelled request is given back to the engine, which puts
it in the scheduler: a JOBDIR keeps it for the resume, and without one the next run meets it
again. It never reaches the spider as an error and nothing is recorded for it. A download asked
for while the engine is stopped (a middleware's own, such as robots.txt) fails at once with
``IgnoreRequest``. Stat ``alanews/downloader/cancelled``; ``ALANEWS_STOP_CANCELS_DOWNLOADS = False``
keeps Scrapy's wait.
"""

from __future__ import annotations

import logging
from asyncio import CancelledError

from scrapy import Request
from scrapy.core.downloader import Downloader as ScrapyDownloader
from scrapy.exceptions import IgnoreRequest
from twisted.internet import defer, task
from twisted.python.failure import Failure

logger = logging.getLogger(__name__)

WATCH_INTERVAL = 0.1  # seconds between looks at the engine


class Downloader(ScrapyDownloader):
    def __init__(self, crawler):
        super().__init__(crawler)
        self.cancels = crawler.settings.getbool("ALANEWS_STOP_CANCELS_DOWNLOADS")
        self.in_flight: dict[defer.Deferred, Request] = {}
        self.cancelled: set[defer.Deferred] = set()
        self.watch = task.LoopingCall(self.cancel_if_stopped)
        self.stopping = False  # the engine ran, and stopped (an engine never started is left alone)

    def fetch(self, request: Request, spider=None) -> defer.Deferred:
        if not self.cancels:
            return super().fetch(request)
        if self.stopping:
            return defer.fail(IgnoreRequest(f"not downloaded, the crawl is stopping: {request.url}"))
        if not self.watch.running and self.crawler.engine.running:
            self.watch.start(WATCH_INTERVAL, now=False)
        d = super().fetch(request)
        if d.called:
            return d
        self.in_flight[d] = request
        d.addBoth(self.left, d, request)
        return d

    def left(self, result, d: defer.Deferred, request: Request):
        """A fetch's end: a cancelled one gives its request back to the engine, to be scheduled again."""
        del self.in_flight[d]
        cancelled = d in self.cancelled
        self.cancelled.discard(d)
        if cancelled and isinstance(result, Failure) and result.check(CancelledError, defer.CancelledError):
            return request.replace(dont_filter=True)  # it was seen already: let the scheduler keep it
        return result

    def cancel_if_stopped(self) -> None:
        if self.crawler.engine.running:
            return
        self.stopping = True
        if not self.in_flight:
            return
        stats = self.crawler.stats
        logger.info("Stopping: %d downloads in flight cancelled, their requests left to the next run "
                    "(a JOBDIR keeps them)", len(self.in_flight))
        for d in list(self.in_flight):
            self.cancelled.add(d)
            stats.inc_value("alanews/downloader/cancelled")
            d.cancel()

    def close(self) -> None:
        if self.watch.running:
            self.watch.stop()
        super().close()
