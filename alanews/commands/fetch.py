"""``scrapy fetch``: Scrapy's command, its settings checked first (alanews/checks.py).

A misspelt ``-s ALANEWS_*`` name or a bad value is one ERROR line, ``Not started: …``, and exit 1
before any request, as for ``scrapy crawl`` (Scrapy's own command: a traceback).
"""

from scrapy.commands.fetch import Command as ScrapyCommand

from alanews.commands.crawl import checked_first


class Command(ScrapyCommand):
    def run(self, args, opts):
        if checked_first(self):
            super().run(args, opts)
