"""Scrapy's log formatter, without building the DEBUG lines the log level drops.

Scrapy makes a "Crawled (200) <GET …>" record for every response and a "Scraped from …"
record for every item at DEBUG, and the log handler drops them unless ``LOG_LEVEL`` is DEBUG:
the record (caller lookup, ``LogRecord``) costs ~20 µs each, for nothing. Above DEBUG they are
omitted (a method returning None is Scrapy's documented way); at DEBUG they are logged as ever.
"""

from __future__ import annotations

import logging

from scrapy import logformatter


class LogFormatter(logformatter.LogFormatter):
    def __init__(self, debug: bool = True):
        self.debug = debug

    @classmethod
    def from_crawler(cls, crawler):
        level = crawler.settings.get("LOG_LEVEL")
        level = logging.getLevelName(level.upper()) if isinstance(level, str) else level
        # an unknown level name comes back as a string: keep Scrapy's behaviour then
        return cls(debug=not isinstance(level, int) or level <= logging.DEBUG)

    def crawled(self, request, response, spider):
        return super().crawled(request, response, spider) if self.debug else None

    def scraped(self, item, response, spider):
        return super().scraped(item, response, spider) if self.debug else None
