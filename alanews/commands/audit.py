"""``scrapy audit``: are all the site's posts in the feeds? Compares the sitemaps with the state.

Runs the ``audit`` spider (alanews/spiders/sitemaps.py): it reads every post sitemap file,
and with ``--fetch`` also fetches and writes the posts the feeds lack. The report
(:mod:`alanews.audit`) is written as ``<ALANEWS_DATA_DIR>/audit/<UTC time>.json`` and
printed as a short table. Exit status: :func:`alanews.audit.verdict` (0, 3, 7, 1), or 4 when the site
could not be reached, as ``scrapy crawl`` (alanews/commands/crawl.py).
"""

from __future__ import annotations

import asyncio
import logging
import sys

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from alanews import reachability
from alanews.audit import table, verdict
from alanews.commands.crawl import StoppableCrawler, report_not_starting, run_to_end
from alanews.exitcodes import ExitStatus

logger = logging.getLogger(__name__)

class Command(ScrapyCommand):
    requires_project = True
    # a data run: the state is used and the monitors judge the fetch (alanews.addons, alanews.monitors)
    default_settings = {"ALANEWS_DATA_RUN": True, "ALANEWS_MONITORS": True, "LOG_LEVEL": "INFO"}

    def syntax(self):
        return "[options]"

    def short_desc(self):
        return "Compare the site's sitemaps with the feeds: missing and gone articles, per category and day"

    def add_options(self, parser):
        super().add_options(parser)
        parser.add_argument("--fetch", action="store_true",
                            help="also fetch and write the posts the feeds lack, then report")

    def run(self, args, opts):
        if args:  # Scrapy passes on what it does not know (`-a fetch=1`): refused, not ignored
            raise UsageError(f"unknown argument(s) {' '.join(args)}: `scrapy audit` takes only [--fetch] and "
                             "Scrapy's global options", print_help=False)
        crawler = StoppableCrawler(self.crawler_process.spider_loader.load("audit"), self.crawler_process.settings)
        started = self.crawler_process.crawl(crawler, fetch="1" if opts.fetch else "0")
        if isinstance(started, asyncio.Future):
            started.add_done_callback(report_not_starting)  # a bad setting: one line, not a traceback
        run_to_end(self.crawler_process)
        status, meaning = self._outcome(crawler)
        self.exitcode = int(status)
        logger.info("Exit status %d: %s", status, meaning)  # the last line, as `scrapy crawl`'s

    def _outcome(self, crawler) -> tuple[int, str]:
        """The exit status and what it means; prints the report's table, or why there is none."""
        if self.crawler_process.bootstrap_failed:  # its ERROR line said why; no stats
            return ExitStatus.NOT_STARTED, "not started"
        if crawler.stats.get_value("finish_reason") == reachability.FINISH_REASON:
            return ExitStatus.SITE_UNREACHABLE, "the site could not be reached"  # its ERROR line said why
        report = getattr(crawler.spider, "report", None)
        status, meaning, advice = verdict(report, getattr(crawler.spider, "report_path", None),
                                          bool(crawler.stats.get_value("alanews/monitors/failed")))
        if status != ExitStatus.NOT_STARTED:
            print(table(report))
            if crawler.spider.report_path is not None:
                print(f"Report: {crawler.spider.report_path}")
        if advice:
            print(advice, file=sys.stderr)
        return status, meaning
