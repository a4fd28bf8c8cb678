"""RecordCheck: a test-only Scrapy extension that checks, at every write to the deltafetch state,
that the item can already be read back from its feed.

Enabled in a crawl subprocess with ``EXTENSIONS={"record_check.RecordCheck": 0, ...}`` and
``tests`` on PYTHONPATH. Settings: ``CHECK_FEED`` (the feed file; gzip-decompressed if it ends
in .gz), ``CHECK_REVERSED_ORDER`` (reconnect the FeedExporter's item_scraped handler after
deltafetch's, to show that the check catches the wrong order). Stats: ``check/stores``,
``check/stored_before_written``.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from scrapy import signals


def feed_urls(path: Path) -> list[str]:
    """URLs of the whole lines of a feed so far; none while a gzip stream is still open."""
    try:
        data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    except (EOFError, OSError):  # missing, or a gzip stream not closed yet
        return []
    return [json.loads(line)["url"] for line in data.decode("utf-8").splitlines(keepends=True)
            if line.endswith("\n")]


class RecordCheck:
    def __init__(self, crawler):
        self.crawler = crawler
        self.feed = Path(crawler.settings["CHECK_FEED"])
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def spider_opened(self):
        from scrapy.extensions.feedexport import FeedExporter

        from alanews.incremental import DeltaFetch

        crawler = self.crawler
        deltafetch = next(m for m in crawler.engine.scraper.spidermw.middlewares if isinstance(m, DeltaFetch))
        if crawler.settings.getbool("CHECK_REVERSED_ORDER"):
            exporter = crawler.get_extension(FeedExporter)
            crawler.signals.disconnect(exporter.item_scraped, signal=signals.item_scraped)
            crawler.signals.connect(exporter.item_scraped, signal=signals.item_scraped)
        record = deltafetch.store.record

        def checked_record(item, *aliases, **kw):
            crawler.stats.inc_value("check/stores")
            if item["url"] not in feed_urls(self.feed):
                crawler.stats.inc_value("check/stored_before_written")
            return record(item, *aliases, **kw)

        deltafetch.store.record = checked_record
