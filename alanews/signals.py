"""alanews's own signals (Scrapy's are in scrapy.signals), sent with crawler.signals.send_catch_log."""

#: An article request brought no item: HTTP error after the retries, no answer, robots.txt,
#: not a page, an invalid item. Arguments: ``key`` (the request's ``deltafetch_key``, the
#: article's canonical URL), ``kind`` (as in the ``alanews/failed/<kind>`` stats), ``spider``.
article_failed = object()
