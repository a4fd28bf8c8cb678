"""One write decision: is this item written, and as which version?

:class:`WriteDecisionPipeline` (``ITEM_PIPELINES``, before validation) answers for every item,
by the article ledger's one identity rule (:meth:`alanews.ledger.ArticleLedger.resolve`: post id
first, then the URL and its aliases). An item not written is dropped with a typed reason
(an :class:`ArticleDrop`), and the ledger records what that reason means when Scrapy reports
the drop (:meth:`ArticleDrop.settle`):

* :class:`DuplicateArticle`: this run already wrote the post (listed twice, a redirect, a
  related link of another spelling); its request key becomes an alias of the first;
* :class:`KnownPost`: a post an earlier run wrote, met under another URL (a renamed slug,
  another category path) and not edited (its content differs at most by the category its new
  permalink gives it); the URL becomes an alias (stat ``deltafetch/known_post``);
* :class:`Unchanged`: a post met again with the same content; its new ``modified`` is kept, and
  a removal recorded before is undone (stat ``alanews/versions/unchanged``);
* :class:`ClaimedElsewhere` (raised by :class:`alanews.ledger.Claim`, the last pipeline): another
  crawl of the data directory, running now, claimed or recorded it first;
* :class:`StateUnavailable`: the state failed this run: nothing more is written;
* :class:`InvalidArticle` (raised by :mod:`alanews.validation`): the article failed, and is
  retried by the spider's next runs.

Otherwise the item is written: ``version`` 1 for a post the state does not hold, the stored
version + 1 when its content (:data:`alanews.state.CONTENT_FIELDS`) changed (stat
``alanews/versions/new``), under the URL it has now (a moved post: its old URL stays an alias).
Under ``deltafetch_reset`` an unchanged post is written again with its stored version.
Without a state (a snapshot, ``DELTAFETCH_ENABLED`` off) every item is version 1.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem

from alanews.site import CATEGORY_NAME_BY_PATH
from alanews.state import content_hash

if TYPE_CHECKING:
    from alanews.ledger import ArticleLedger

logger = logging.getLogger(__name__)


class ArticleDrop(DropItem):
    """An item not written for a reason the ledger records (see the module docstring)."""

    def __init__(self, message: str, article: str | None = None, log_level: str = "DEBUG"):
        super().__init__(message, log_level=log_level)
        self.article = article  # the URL of the article it is

    def aliases(self, item, response) -> tuple[str | None, ...]:
        return (ItemAdapter(item).get("url"), response.meta.get("deltafetch_key") if response is not None else None,
                response.url if response is not None else None)

    def settle(self, ledger: ArticleLedger, item, response) -> None:
        """What the drop means for the state; by default nothing."""


class DuplicateArticle(ArticleDrop):
    def settle(self, ledger, item, response):
        ledger.fold(self.article, *self.aliases(item, response))


class KnownPost(ArticleDrop):
    def settle(self, ledger, item, response):
        ledger.alias(self.article, *self.aliases(item, response))


class Unchanged(ArticleDrop):
    def __init__(self, message: str, article: str, modified: str | None, revived: bool = False):
        super().__init__(message, article)
        self.modified = modified
        self.revived = revived  # recorded removed, and answering again: the removal is undone

    def settle(self, ledger, item, response):
        if self.modified or self.revived:
            ledger.touch(self.article, self.modified)
        ledger.alias(self.article, *self.aliases(item, response))


class StateUnavailable(ArticleDrop):
    pass


class ClaimedElsewhere(ArticleDrop):
    """Another crawl of the data directory, running now, writes this article (or just recorded it)."""


class InvalidArticle(ArticleDrop):
    """The item fails the article schema (:mod:`alanews.validation`): the article failed, retried later."""

    def settle(self, ledger, item, response):
        key = response.meta.get("deltafetch_key") if response is not None else None
        ledger.article_failed(key, "invalid")


class WriteDecisionPipeline:
    """See the module docstring."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        self.ledger: ArticleLedger | None = None
        self.seen: dict[str, str] = {}  # url or post:<id> -> url of the article this run wrote

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def open_spider(self, spider=None):
        from alanews.ledger import ArticleLedger  # which imports this module's drops

        self.ledger = self.crawler.get_extension(ArticleLedger)

    def process_item(self, item, spider=None):
        adapter = ItemAdapter(item)
        url, post_id = adapter.get("url"), adapter.get("post_id")
        keys = [k for k in (url, f"post:{post_id}" if post_id is not None else None) if k]
        first = next((self.seen[k] for k in keys if k in self.seen), None)
        if first is not None:
            self.stats.inc_value("alanews/duplicates/dropped")
            raise DuplicateArticle(f"Duplicate article {url} (written by this run as {first})", first)
        ledger = self.ledger
        if ledger is not None and ledger.state_failed:
            raise StateUnavailable(f"Not written: {url}: the state failed, the crawl is stopping")
        record = ledger.resolve(post_id, url) if ledger is not None and ledger.incremental else None
        self.seen.update(dict.fromkeys(keys, url))
        if record is None:
            adapter["version"] = 1
            return self._reserved(item, keys)
        if record.content_hash == content_hash(item) or self._only_moved(item, record):
            if not ledger.reads:  # a reset writes everything again
                adapter["version"] = record.version
                return self._reserved(item, keys, new=False)
            if record.url != url:  # moved (a new slug or category), not edited
                self.stats.inc_value("deltafetch/known_post")
                logger.info("deltafetch: %s is post %s, written before as %s: not written again", url, post_id,
                            record.url)
                raise KnownPost(f"Known post {url} (written as {record.url})", record.url)
            self.stats.inc_value("alanews/versions/unchanged")
            modified = adapter.get("modified")
            raise Unchanged(f"Unchanged article {record.url} (version {record.version})", record.url,
                            modified if modified and modified != record.modified else None,
                            record.removed_at is not None)
        # edited, or written by a release that kept no hash (content_hash None): a new version
        adapter["version"] = record.version + 1
        self.stats.inc_value("alanews/versions/new")
        logger.info("New version %d of %s%s", adapter["version"], record.url,
                    f" (now {url})" if record.url != url else "")
        return self._reserved(item, keys, new=False)

    def _reserved(self, item, keys: list[str], new: bool = True):
        """The item, to be claimed by the ledger just before the feeds take it (:class:`alanews.ledger.Claim`)."""
        if self.ledger is not None:
            self.ledger.expect(item, keys, new)
        return item

    @staticmethod
    def _only_moved(item, record) -> bool:
        """A post met under another URL whose content differs from the recorded one only by the category
        its new permalink gives it: moved, not edited."""
        adapter = ItemAdapter(item)
        if record.url == adapter.get("url") or record.category_path == adapter.get("category_path"):
            return False
        before = CATEGORY_NAME_BY_PATH.get(record.category_path or "")
        return before is not None and content_hash({**adapter.asdict(), "category": before}) == record.content_hash
