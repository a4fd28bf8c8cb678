"""Progress of the sitemap spiders (``archive``, ``audit --fetch``, ``updates``): done/total, rate, time left.

A backfill at one request a second takes days; these spiders know what they will fetch from the
sitemaps, so :class:`Progress` says how far they are. The total is the article requests scheduled
(the posts of the sitemap files read that the spider wants, less those the state drops as known);
done is those answered. While sitemap files remain to be read the total still grows, and the
line says so. Every ``ALANEWS_PROGRESS_INTERVAL`` seconds (60; 0: none but the last), as Scrapy's
LogStats does, and once at close, one INFO line::

    Progress: 1200/30000 articles (4.0 %), 58.2/min, about 8 h 15 min left; 2 sitemap files to read

When stderr is a terminal, a tqdm bar too (the log lines are printed above it). Stats
``alanews/progress/total`` and ``alanews/progress/done``. Other spiders (a category walk, whose
total no one knows in advance) get neither.
"""

from __future__ import annotations

import logging
import sys
import time

from scrapy import signals
from twisted.internet import task

from alanews.spiders.sitemaps import SitemapCrawl

logger = logging.getLogger(__name__)


def duration(seconds: float) -> str:
    """``45 s``, ``12 min``, ``8 h 15 min``, ``3 d 4 h``."""
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


class Progress:
    """An extension: progress lines (and a bar on a terminal) for the sitemap spiders."""

    def __init__(self, crawler, interval: float):
        self.crawler = crawler
        self.interval = interval
        self.total: set[str] = set()  # deltafetch keys of the article requests scheduled
        self.done: set[str] = set()  # ... of those answered
        self.started: float | None = None  # monotonic time of the first article request
        self.loop = None
        self.bar = None
        self.redirect = None

    @classmethod
    def from_crawler(cls, crawler):
        interval = crawler.settings.getfloat("ALANEWS_PROGRESS_INTERVAL")
        ext = cls(crawler, interval)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        return ext

    def spider_opened(self, spider):
        if not isinstance(spider, SitemapCrawl):
            return
        signals_ = self.crawler.signals
        signals_.connect(self.request_scheduled, signal=signals.request_scheduled)
        signals_.connect(self.response_received, signal=signals.response_received)
        signals_.connect(self.spider_closed, signal=signals.spider_closed)
        if self.interval > 0:
            self.loop = task.LoopingCall(self.log)
            self.loop.start(self.interval, now=False)
        if sys.stderr.isatty():
            from tqdm import tqdm
            from tqdm.contrib.logging import logging_redirect_tqdm

            self.bar = tqdm(total=0, unit=" articles", file=sys.stderr, dynamic_ncols=True, leave=True)
            self.redirect = logging_redirect_tqdm()
            self.redirect.__enter__()

    def request_scheduled(self, request, spider=None):
        key = request.meta.get("deltafetch_key")
        if key and key not in self.total:
            self.total.add(key)
            self.started = self.started or time.monotonic()
            if self.bar is not None:
                self.bar.total = len(self.total)
                self.bar.refresh()

    def response_received(self, response, request, spider=None):
        key = request.meta.get("deltafetch_key")
        if key in self.total and key not in self.done:
            self.done.add(key)
            if self.bar is not None:
                self.bar.update(1)

    def line(self) -> str:
        done, total = len(self.done), len(self.total)
        text = f"Progress: {done}/{total} articles ({100 * done / total:.1f} %)"
        elapsed = time.monotonic() - self.started
        if done and elapsed > 0:
            rate = done / elapsed  # articles a second, over the whole run
            text += f", {rate * 60:.1f}/min"
            if done < total:
                text += f", about {duration((total - done) / rate)} left"
            else:
                text += f", in {duration(elapsed)}"
        spider = self.crawler.spider
        to_read = len(spider.files_chosen - spider.files_read - spider.files_failed)
        if to_read:
            text += f"; {to_read} sitemap file{'s' if to_read > 1 else ''} to read"
        return text

    def log(self) -> None:
        if self.total:
            logger.info(self.line())

    def spider_closed(self, spider, reason):
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        if self.bar is not None:
            self.bar.close()
            self.redirect.__exit__(None, None, None)
        self.log()
        stats = self.crawler.stats
        stats.set_value("alanews/progress/total", len(self.total))
        stats.set_value("alanews/progress/done", len(self.done))
