"""``scrapy parse URL --spider NAME``: Scrapy's command, with an exit status a script can trust.

Without ``-c`` the spider's ``parse`` picks the callback from the URL (an article permalink or
a category archive page: alanews/spiders/base.py). Differences from Scrapy 2.19's command:

* the callbacks it wraps are coroutines: Scrapy's return Deferreds, which Scrapy itself
  deprecates (a ``ScrapyDeprecationWarning`` on every page);
* a URL off the base URL (``ALANEWS_BASE_URL``) is refused before any request, naming the setting
  to pass (Scrapy's offsite rule would drop it unseen: "No response downloaded");
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
from urllib.parse import urlsplit

from scrapy.commands.parse import Command as ScrapyParseCommand
from scrapy.http import Request
from scrapy.utils.defer import maybe_deferred_to_future

from alanews import reachability
from alanews.commands.crawl import report_not_starting
from alanews.errors import SettingError
from alanews.exitcodes import ExitStatus
from alanews.site import DEFAULT_BASE_URL, is_same_site, normalise_base_url

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
        try:
            base_url = normalise_base_url(self.settings.get("ALANEWS_BASE_URL") or DEFAULT_BASE_URL)
        except SettingError:
            base_url = None  # the crawl's check of the settings says so (alanews/checks.py)
        if base_url is not None and not is_same_site(base_url, url):  # else dropped unseen by the offsite rule
            parts = urlsplit(url)
            logger.error("Not started: %s is not on %s (ALANEWS_BASE_URL); to parse a page of that site, add "
                         "-s ALANEWS_BASE_URL=%s://%s", url, base_url, parts.scheme, parts.netloc)
            self.exitcode = ExitStatus.NOT_STARTED
            self.refused = True
            return
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

    refused = False  # the URL was refused before any request: no results to print

    def print_results(self, opts):
        if not self.refused:
            super().print_results(opts)

    def run(self, args, opts):
        super().run(args, opts)
        if self.spidercls is None:  # Scrapy logged "Unable to find spider"
            self.exitcode = ExitStatus.NOT_STARTED
