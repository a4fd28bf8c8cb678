"""Article versions: every item carries ``version``, and no spider writes an old version again.

The incremental state (:class:`alanews.state.ArticleStore`, kept by the DeltaFetch spider
middleware of :mod:`alanews.incremental`) remembers each article written by any spider of the
data directory with its content hash and version. :class:`VersionPipeline` compares each item
with it before the item is written:

* an article the state does not hold: version 1;
* a written article whose content (:data:`alanews.state.CONTENT_FIELDS`) changed: the stored
  version + 1 (stat ``alanews/versions/new``);
* a written article whose content did not change: not written again (dropped at DEBUG level,
  stat ``alanews/versions/unchanged``); the state keeps its new ``modified`` (``store.touch``).
  Under ``deltafetch_reset`` (every article written again) it is written with its stored version.

Without a state (``DELTAFETCH_ENABLED`` off) every item is version 1.
"""

from __future__ import annotations

import logging

from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem

from alanews.incremental import DeltaFetch
from alanews.state import ArticleRecord, ArticleStore, content_hash

logger = logging.getLogger(__name__)


def deltafetch_of(crawler) -> DeltaFetch | None:
    """The crawl's DeltaFetch middleware (its ``store`` is the state), or None when it is off.

    Available once the engine is built (from ``open_spider`` / ``start()`` on).
    """
    for middleware in crawler.engine.scraper.spidermw.middlewares:
        if isinstance(middleware, DeltaFetch):
            return middleware
    return None


def record_of(store: ArticleStore, item) -> ArticleRecord | None:
    """The state's record of the article an item is, by its URL or its post id."""
    adapter = ItemAdapter(item)
    post_id = adapter.get("post_id")
    return store.get(adapter.get("url") or "") or (store.get(f"post:{post_id}") if post_id is not None else None)


class VersionPipeline:
    """Sets ``version`` on every item; drops an article written before with the same content."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        self.deltafetch: DeltaFetch | None = None

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def open_spider(self, spider=None):
        self.deltafetch = deltafetch_of(self.crawler)

    def process_item(self, item, spider=None):
        adapter = ItemAdapter(item)
        store = self.deltafetch.store if self.deltafetch else None
        record = record_of(store, item) if store is not None else None
        if record is None:
            adapter["version"] = 1
            return item
        if record.content_hash == content_hash(item):
            if self.deltafetch.reset:
                adapter["version"] = record.version
                return item
            modified = adapter.get("modified")
            if modified and modified != record.modified:
                store.touch(record.url, modified)
            self.stats.inc_value("alanews/versions/unchanged")
            raise DropItem(f"Unchanged article {record.url} (version {record.version})", log_level="DEBUG")
        # changed, or written by a release that kept no hash (content_hash None): a new version
        adapter["version"] = record.version + 1
        self.stats.inc_value("alanews/versions/new")
        logger.info("New version %d of %s", adapter["version"], record.url)
        return item
