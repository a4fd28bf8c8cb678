"""RecordCheck: a test-only Scrapy extension that checks, at every write of the state that records
articles, that each of them can already be read back from its feed.

Enabled in a crawl subprocess with ``EXTENSIONS={"record_check.RecordCheck": 0, ...}`` and
``tests`` on PYTHONPATH. Settings: ``CHECK_FEED`` (the feed file; gzip-decompressed if it ends
in .gz), ``CHECK_REVERSED_ORDER`` (reconnect the FeedExporter's item_scraped handler after every
other). Stats: ``check/stored`` (articles recorded), ``check/stored_before_written``.
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

        from alanews.ledger import ArticleLedger

        crawler = self.crawler
        ledger = crawler.get_extension(ArticleLedger)
        if crawler.settings.getbool("CHECK_REVERSED_ORDER"):
            exporter = crawler.get_extension(FeedExporter)
            crawler.signals.disconnect(exporter.item_scraped, signal=signals.item_scraped)
            crawler.signals.connect(exporter.item_scraped, signal=signals.item_scraped)
        record = ledger.store.record

        def checked_record(articles, *args, **kw):
            articles = list(articles)
            in_feed = feed_urls(self.feed)
            for article in articles:
                crawler.stats.inc_value("check/stored")
                if article.url not in in_feed:
                    crawler.stats.inc_value("check/stored_before_written")
            return record(articles, *args, **kw)

        ledger.store.record = checked_record
