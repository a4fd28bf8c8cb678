"""Item pipelines: what reaches the feed is unique."""

from __future__ import annotations

from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem


class DuplicatesPipeline:
    """Drops an article already emitted in this run, by canonical URL or post id.

    The same post can arrive twice: listed in two categories, reached through a
    redirect, or linked with a different URL from a Related Posts block.
    """

    def __init__(self, stats):
        self.stats = stats
        self.seen: set = set()

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.stats)

    def process_item(self, item):
        adapter = ItemAdapter(item)
        keys = {("url", adapter.get("url"))}
        if adapter.get("post_id") is not None:
            keys.add(("post_id", adapter["post_id"]))
        if keys & self.seen:
            self.stats.inc_value("alanews/duplicates/dropped")
            raise DropItem(f"Duplicate article {adapter.get('url')}", log_level="DEBUG")
        self.seen |= keys
        return item
