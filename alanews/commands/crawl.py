"""``scrapy crawl`` whose exit status tells cron and CI that the data-quality monitors failed.

Scrapy's own command exits 1 only when the crawl could not run (``bootstrap_failed``).
This one (``COMMANDS_MODULE = "alanews.commands"`` overrides the built-in by name) also
exits :data:`alanews.monitors.EXIT_MONITORS_FAILED` (3) when the run's monitors failed,
as recorded in the stat ``alanews/monitors/failed`` by the monitors' Verdict action.
Under Scrapyd (its runner goes through the same command) the verdict is in the job's log.
"""

from __future__ import annotations

from scrapy.commands.crawl import Command as ScrapyCrawlCommand

from alanews.monitors import EXIT_MONITORS_FAILED


class Command(ScrapyCrawlCommand):
    # a data run: the end-of-run monitors and the run summary are on (alanews.monitors, alanews.summary)
    default_settings = {**ScrapyCrawlCommand.default_settings, "ALANEWS_MONITORS": True}

    def _create_crawler(self, spidercls):
        self.crawler = super()._create_crawler(spidercls)
        return self.crawler

    def run(self, args, opts):
        super().run(args, opts)
        crawler = getattr(self, "crawler", None)
        if self.exitcode == 0 and crawler is not None and crawler.stats.get_value("alanews/monitors/failed"):
            self.exitcode = EXIT_MONITORS_FAILED
