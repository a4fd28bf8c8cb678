"""alanews's own signals (Scrapy's are in scrapy.signals), sent with crawler.signals.send_catch_log."""

#: An article request brought no item: HTTP error after the retries, no answer, robots.txt,
#: not a page, an invalid item. Arguments: ``key`` (the request's ``deltafetch_key``, the
#: article's canonical URL), ``kind`` (as in the ``alanews/failed/<kind>`` stats), ``spider``.
article_failed = object()

#: The feeds are about to take an item (:class:`alanews.feeds.FeedExporter`). Argument: ``item``.
#: The ledger records what they hold first: at most one article is in a feed and not recorded.
item_exporting = object()

#: The feeds took an item (:class:`alanews.feeds.FeedExporter`). Arguments: ``item``,
#: ``response`` (the page it came from, or None), ``outcome`` (:class:`alanews.feeds.Outcome`:
#: in every feed for good, pending an upload, or not written).
item_exported = object()

#: At close, once everything the run wrote is recorded (:class:`alanews.ledger.ArticleLedger`).
#: Arguments: ``ledger``, ``reason`` (the finish reason).
articles_settled = object()
