"""``scrapy crawl`` whose exit status tells cron, CI and Scrapyd how the run ended.

``COMMANDS_MODULE = "alanews.commands"`` overrides Scrapy's command by name; Scrapyd's runner
goes through it too (the status is in Scrapyd's own log, ``Process died: exitstatus=N``).
Scrapy's own command exits 1 only when the crawl could not start (``bootstrap_failed``);
this one says more (:class:`alanews.exitcodes.ExitStatus`). A run refused before it starts
(:class:`alanews.errors.NotStarting`: a bad spider argument or setting, state or JOBDIR in use;
``-o`` naming a directory) exits 1
with one ERROR line rather than a traceback. The run's last line says its status.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from pathlib import Path

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.crawler import Crawler
from scrapy.exceptions import UsageError

from alanews import reachability
from alanews.audit import verdict
from alanews.checks import check_settings
from alanews.errors import NotStarting, SettingError
from alanews.exitcodes import MEANING, ExitStatus

logger = logging.getLogger(__name__)


def exit_status(crawler, bootstrap_failed: bool) -> ExitStatus:
    """How the run of ``crawler`` ended, from Scrapy's finish reason and the monitors' verdict."""
    if bootstrap_failed:
        return ExitStatus.NOT_STARTED
    stats = crawler.stats
    reason = stats.get_value("finish_reason")
    if reason is None:  # the spider never closed: a second Ctrl-C or SIGTERM stopped the reactor
        return ExitStatus.STOPPED_UNCLEAN
    if reason == "shutdown":
        return ExitStatus.STOPPED
    if reason == reachability.FINISH_REASON:
        return ExitStatus.SITE_UNREACHABLE
    if stats.get_value("alanews/monitors/failed"):
        return ExitStatus.MONITORS_FAILED
    return ExitStatus.OK


class StoppableCrawler(Crawler):
    """A crawler that a stop asked while its spider opens still closes, once the spider is open.

    Scrapy's ``Crawler.stop_async`` stops only a running engine: a Ctrl-C or SIGTERM that arrives
    while the spider opens (the state opening, the lock taken) stops the reactor with the spider
    never closed. This one waits for the engine to run, then stops it: finish reason ``shutdown``.
    """

    async def stop_async(self) -> None:
        opening = self.crawling and self.engine is not None and not self.engine.running
        await super().stop_async()
        if not opening:
            return
        while not self.engine.running:
            if self.stats.get_value("finish_reason") is not None:  # the opening failed and closed the spider
                return
            await asyncio.sleep(0.05)
        await self.engine.stop_async()


def run_to_end(crawler_process) -> None:
    """Run the crawls; then ignore Ctrl-C and SIGTERM: the run has ended, and a late signal must not
    turn its status into Python's 130 (the reactor restored the default handlers)."""
    crawler_process.start()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_IGN)


def report_not_starting(task: asyncio.Task) -> None:
    """One ERROR line for a run refused before it started, instead of asyncio's traceback."""
    if task.cancelled():
        return
    error = task.exception()  # retrieved: asyncio no longer reports it
    if isinstance(error, NotStarting):
        logger.error("Not started: %s", error)
    elif error is not None:
        logger.error("Crawl failed", exc_info=(type(error), error, error.__traceback__))


def checked_first(command) -> bool:
    """Check the settings of a Scrapy tool before it runs (alanews/checks.py): False, with one ERROR
    line and exit status 1, when they are refused."""
    try:
        check_settings(command.settings)
    except SettingError as error:
        logger.error("Not started: %s", error)
        command.exitcode = int(ExitStatus.NOT_STARTED)
        return False
    return True


class Command(ScrapyCrawlCommand):
    # a data run: the default feed and incremental state under ALANEWS_DATA_DIR (alanews.addons),
    # the end-of-run monitors and the run summary (alanews.monitors, alanews.summary)
    default_settings = {**ScrapyCrawlCommand.default_settings, "ALANEWS_DATA_RUN": True, "ALANEWS_MONITORS": True}

    #: why the run is refused before it starts, found among the options (a feed that is a directory)
    refused: str | None = None

    def process_options(self, args, opts):
        """``-o DIR`` (an existing directory, no format): Scrapy's error would be a usage error about
        the format (exit 2); here it is what it is, a feed that cannot be written (exit 1)."""
        for name in ("output", "overwrite_output"):
            given = getattr(opts, name, None) or []
            directories = [value for value in given if Path(value).is_dir()]
            if directories and self.refused is None:
                self.refused = (f"feed {directories[0]}: {directories[0]} is a directory; name a file in it, "
                                f"e.g. {Path(directories[0]) / 'out.jsonl'}")
            setattr(opts, name, [value for value in given if value not in directories] or None)
        super().process_options(args, opts)

    def run(self, args, opts):
        if self.refused is not None:
            logger.error("Not started: %s", self.refused)
            logger.info("Exit status %d: %s", ExitStatus.NOT_STARTED, MEANING[ExitStatus.NOT_STARTED])
            self.exitcode = int(ExitStatus.NOT_STARTED)
            return
        if len(args) != 1:
            return super().run(args, opts)  # Scrapy's own usage errors
        if args[0] not in self.crawler_process.spider_loader.list():  # Scrapy: a KeyError traceback, exit 1
            raise UsageError(f"no spider {args[0]!r}; `scrapy list` names them", print_help=False)
        crawler = StoppableCrawler(self.crawler_process.spider_loader.load(args[0]), self.crawler_process.settings)
        started = self.crawler_process.crawl(crawler, **opts.spargs)
        if isinstance(started, asyncio.Future):
            started.add_done_callback(report_not_starting)
        run_to_end(self.crawler_process)
        status = exit_status(crawler, self.crawler_process.bootstrap_failed)
        report = getattr(crawler.spider, "report", None)
        if status in (ExitStatus.OK, ExitStatus.MONITORS_FAILED) and report is not None:
            # `scrapy crawl audit`: as `scrapy audit` judges it
            status, _, advice = verdict(report, crawler.spider.report_path, status == ExitStatus.MONITORS_FAILED)
            if advice:
                logger.error(advice.removeprefix("alanews audit: "))
        logger.info("Exit status %d: %s", status, MEANING[status])
        self.exitcode = int(status)
