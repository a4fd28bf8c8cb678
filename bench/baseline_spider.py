"""Fetch-only baseline: requests the URLs of a list and parses nothing.

Run with ``scrapy runspider bench/baseline_spider.py -a urls=FILE`` (one URL a line), with
the same settings as the crawl it is compared with. It lives outside SPIDER_MODULES, so
``scrapy list`` does not show it. The response body is never decoded or parsed.

URLs are fed lazily (Scrapy's documented pattern: wait for ``scheduler_empty`` while the
engine needs to back out), so the baseline holds a few requests in memory, as a crawl does,
not its whole list; ``-a eager=1`` yields them all at once instead.
"""

from __future__ import annotations

from pathlib import Path

import scrapy
from scrapy import signals


class FetchOnlySpider(scrapy.Spider):
    name = "bench_fetch_only"

    def __init__(self, urls: str = "", eager: str = "0", *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.url_file = Path(urls)
        self.eager = eager not in ("0", "", "false", "False")

    async def start(self):
        with self.url_file.open(encoding="utf-8") as lines:
            for line in lines:
                url = line.strip()
                if not url:
                    continue
                if not self.eager and self.crawler.engine.needs_backout():
                    await self.crawler.signals.wait_for(signals.scheduler_empty)
                yield scrapy.Request(url, callback=self.parse)

    def parse(self, response):
        return None
