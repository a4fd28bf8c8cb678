"""The known-articles middleware: requests of articles the ledger knows are not sent.

:class:`KnownArticles` is scrapy-deltafetch's ``DeltaFetch`` spider middleware on the article
ledger (:mod:`alanews.ledger`) instead of a per-spider dbm file. What it keeps of deltafetch:
a request whose ``deltafetch_key`` meta names an article written (by any spider of the data
directory) is dropped, unless its ``deltafetch_enabled`` meta is False; the ``DELTAFETCH_*``
settings; the stats ``deltafetch/skipped`` and ``deltafetch/fetched``. What it adds: the keys
of one response's output are looked up in one query (with its item's, which the write decision
then reads from the same answer). Items pass through: the ledger records them once the feeds
hold them. It has ``process_spider_output_async``
(the stock 2.1.0 stops Scrapy 2.19 crawls).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Iterator

import scrapy_deltafetch
from itemadapter import ItemAdapter, is_item
from scrapy.exceptions import NotConfigured
from scrapy.http import Request

from alanews.ledger import ArticleLedger

logger = logging.getLogger(__name__)


class KnownArticles(scrapy_deltafetch.DeltaFetch):
    """See the module docstring."""

    def __init__(self, ledger: ArticleLedger, stats):
        super().__init__(ledger.dir, ledger.reset, stats)
        self.ledger = ledger
        self.db = ledger  # the stock attribute: ``key in self.db``

    @classmethod
    def from_crawler(cls, crawler):
        ledger = crawler.get_extension(ArticleLedger)
        if ledger is None or not ledger.incremental:
            raise NotConfigured  # deltafetch off, or a snapshot: nothing is skipped
        return cls(ledger, crawler.stats)

    def spider_opened(self, spider):
        """The ledger opened the state already."""

    def spider_closed(self, spider):
        """The ledger closes the state."""

    def _keep(self, response, results: list) -> Iterator:
        """``results`` less the article requests the ledger knows or another crawl claimed."""
        if response.meta.get("deltafetch_key"):
            self.stats.inc_value("deltafetch/fetched")
        if not self.ledger.reads:
            yield from results
            return
        requests = [r for r in results if isinstance(r, Request) and r.meta.get("deltafetch_key")
                    and r.meta.get("deltafetch_enabled", True)]
        items = [ItemAdapter(r) for r in results if is_item(r)]
        # the items' keys too: the write decision then reads them from the same answer
        lookup = [r.meta["deltafetch_key"] for r in requests]
        lookup += [k for a in items for k in (a.get("url"), f"post:{a['post_id']}" if a.get("post_id") else None)]
        known = self.ledger.known(lookup)
        checked = {id(r) for r in requests}
        for result in results:
            if id(result) in checked and result.meta["deltafetch_key"] in known:
                logger.debug("deltafetch: ignoring known %s", result)
                self.stats.inc_value("deltafetch/skipped")
                continue
            yield result

    def process_spider_output(self, response, result: Iterable, spider=None) -> Iterator:
        yield from self._keep(response, list(result))

    async def process_spider_output_async(self, response, result: AsyncIterator, spider=None) -> AsyncIterator:
        for kept in self._keep(response, [r async for r in result]):
            yield kept
