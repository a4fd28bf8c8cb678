"""``scrapy parse URL --spider NAME``: Scrapy's command, with an exit status a script can trust.

Without ``-c`` the spider's ``parse`` picks the callback from the URL (an article permalink or
a category archive page: alanews/spiders/base.py). Differences from Scrapy 2.19's command:

* the callbacks it wraps are coroutines: Scrapy's return Deferreds, which Scrapy itself
  deprecates (a ``ScrapyDeprecationWarning`` on every page);
* it exits 1 when nothing was downloaded or no spider was found (Scrapy's exits 0), and 4
  when the site could not be reached (alanews/reachability.py), as ``scrapy crawl`` does;
* a run refused before it starts (a bad spider argument) is one ERROR line, not a traceback.

Like Scrapy's other tools it writes no default feed and leaves the incremental state alone
(alanews/addons.py).
"""

from __future__ import annotations

import asyncio
import functools
import logging

from scrapy.commands.parse import Command as ScrapyParseCommand
from scrapy.http import Request
from scrapy.utils.defer import maybe_deferred_to_future

from alanews import reachability
from alanews.commands.crawl import report_not_starting
from alanews.exitcodes import ExitStatus

logger = logging.getLogger(__name__)


def _awaiting(request: Request) -> Request:
    """Give ``request`` a coroutine callback awaiting the Deferred of Scrapy's wrapper."""
    wrapper = request.callback

    async def callback(response, **kwargs):
        return await maybe_deferred_to_future(wrapper(response, **kwargs))

    functools.update_wrapper(callback, wrapper)
    request.callback = callback
    return request


class Command(ScrapyParseCommand):
    def prepare_request(self, spider, request, opts):
        return _awaiting(super().prepare_request(spider, request, opts))

    def scraped_data(self, args):
        return [_awaiting(r) if isinstance(r, Request) else r for r in super().scraped_data(args)]

    def start_parsing(self, url, opts):
        self.pcrawler = self._create_crawler(self.spidercls)
        started = self.crawler_process.crawl(self.pcrawler, **opts.spargs)
        if isinstance(started, asyncio.Future):
            started.add_done_callback(report_not_starting)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = ExitStatus.NOT_STARTED
        elif self.pcrawler.stats.get_value("finish_reason") == reachability.FINISH_REASON:
            self.exitcode = ExitStatus.SITE_UNREACHABLE  # its ERROR line said why
        elif not self.first_response:
            logger.error("No response downloaded for: %(url)s", {"url": url})
            self.exitcode = ExitStatus.NOT_STARTED

    def run(self, args, opts):
        super().run(args, opts)
        if self.spidercls is None:  # Scrapy logged "Unable to find spider"
            self.exitcode = ExitStatus.NOT_STARTED
