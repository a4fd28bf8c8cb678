"""``scrapy crawl`` whose exit status tells cron and CI that the data-quality monitors failed.

Scrapy's own command exits 1 only when the crawl could not run (``bootstrap_failed``).
This one (``COMMANDS_MODULE = "alanews.commands"`` overrides the built-in by name) also
exits :data:`alanews.monitors.EXIT_MONITORS_FAILED` (3) when the run's monitors failed,
as recorded in the stat ``alanews/monitors/failed`` by the monitors' Verdict action.
Under Scrapyd (its runner goes through the same command) the verdict is in the job's log.
A run refused before it starts (:class:`alanews.errors.NotStarting`: a bad spider argument,
state or JOBDIR in use) exits 1 with one ERROR line rather than a traceback.
"""

from __future__ import annotations

import asyncio
import logging

from scrapy.commands.crawl import Command as ScrapyCrawlCommand

from alanews.errors import NotStarting
from alanews.monitors import EXIT_MONITORS_FAILED

logger = logging.getLogger(__name__)


def _report_not_starting(task: asyncio.Task) -> None:
    """One ERROR line for a run refused before it started, instead of asyncio's traceback."""
    if task.cancelled():
        return
    error = task.exception()  # retrieved: asyncio no longer reports it
    if isinstance(error, NotStarting):
        logger.error("Not started: %s", error)
    elif error is not None:
        logger.error("Crawl failed", exc_info=(type(error), error, error.__traceback__))


class Command(ScrapyCrawlCommand):
    # a data run: the end-of-run monitors and the run summary are on (alanews.monitors, alanews.summary)
    default_settings = {**ScrapyCrawlCommand.default_settings, "ALANEWS_MONITORS": True}

    def run(self, args, opts):
        if len(args) != 1:
            return super().run(args, opts)  # Scrapy's own usage errors
        crawler = self._create_crawler(args[0])
        started = self.crawler_process.crawl(crawler, **opts.spargs)
        if isinstance(started, asyncio.Future):
            started.add_done_callback(_report_not_starting)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = 1
        elif crawler.stats.get_value("alanews/monitors/failed"):
            self.exitcode = EXIT_MONITORS_FAILED
