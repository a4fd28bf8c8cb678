"""A site that cannot be reached at the start of a run: stop within seconds and say why.

Without network (or with a wrong ``ALANEWS_BASE_URL``) every request fails the same way,
and retrying each one with back-off (alanews.middlewares.BackoffRetryMiddleware) only
delays the verdict by minutes and fills the log. :class:`SiteReachability`, a downloader
middleware, watches the site's first answers: until the site has answered once, a DNS
failure, a refused connection or no route to the host is final. The run logs one ERROR line
(``cannot reach https://www.alanews.it: DNS lookup failed; offline? try `python -m replica.demo
esteri```; for Scrapy's tools, ``fetch``, ``shell``, ``parse``, the same command on the replica:
:func:`offline_hint`), ignores every other request without retrying it, and closes with the finish
reason ``site_unreachable`` (``scrapy crawl`` exits 4, alanews/commands/crawl.py; the
monitors do not judge such a run). Once the site has answered, a failure is retried as usual.

Setting: ``ALANEWS_STOP_IF_UNREACHABLE`` (default True; False: the first requests are retried
like any other). Stat: ``alanews/site_unreachable/<dns|refused|no_route>``.
"""

from __future__ import annotations

import logging
import shlex
import sys

from scrapy.exceptions import CannotResolveHostError, DownloadConnectionRefusedError, NotConfigured
from scrapy.utils.defer import deferred_from_coro
from twisted.internet.error import ConnectionRefusedError as TCPConnectionRefusedError
from twisted.internet.error import DNSLookupError, NoRouteError

from alanews.errors import SiteUnreachable
from alanews.site import DEFAULT_BASE_URL, normalise_base_url

logger = logging.getLogger(__name__)

#: the finish reason of a run that could not reach the site
FINISH_REASON = "site_unreachable"

# exception -> (stat kind, what the ERROR line says); Scrapy 2.19 wraps Twisted's DNS and refused errors
_UNREACHABLE = (
    ((CannotResolveHostError, DNSLookupError), "dns", "DNS lookup failed"),
    ((DownloadConnectionRefusedError, TCPConnectionRefusedError), "refused", "connection refused"),
    ((NoRouteError,), "no_route", "no route to host"),
)


# Spiders that read what earlier runs wrote (the state): the demo's data directory is new and
# temporary, so the offline hint points at crawling the replica yourself instead.
_NEEDS_EARLIER_RUNS = frozenset(("audit", "updates", "latest"))
#: where the README's replica listens (`python -m replica --port 8123`)
REPLICA_URL = "http://127.0.0.1:8123"


def typed_command() -> list[str]:
    """The words typed after ``scrapy`` (``fetch URL …``): Scrapy takes the command's name out of
    ``sys.argv``; the interpreter's own ``sys.orig_argv`` still ends with it and what follows."""
    return sys.orig_argv[len(sys.orig_argv) - len(sys.argv):] if len(sys.argv) <= len(sys.orig_argv) else []


def offline_hint(spider: str, data_run: bool, base_url: str, command: list[str]) -> str:
    """What to try offline. A crawl (``ALANEWS_DATA_RUN``): the demo of its spider. Scrapy's tools
    (``fetch``, ``shell``, ``parse``…, whose spider may be Scrapy's ``default``): the same
    ``command`` (:func:`typed_command`) on the replica, its URLs moved from ``base_url`` to it."""
    if data_run:
        return (f"try `python -m replica.demo {spider}`" if spider not in _NEEDS_EARLIER_RUNS
                else "crawl the replica yourself (README)")
    if not command:  # not run from the command line
        return f"start the replica (`python -m replica --port 8123`) and set ALANEWS_BASE_URL={REPLICA_URL}"
    words, given = [], iter(command)
    for word in given:
        if word in ("-s", "--set") and next(given, "").startswith("ALANEWS_BASE_URL="):
            continue  # the base URL is the replica's now
        if word.startswith(("-sALANEWS_BASE_URL=", "--set=ALANEWS_BASE_URL=")):
            continue
        words.append(REPLICA_URL + word[len(base_url):] if word.startswith(base_url) else word)
    command = shlex.join(["scrapy", *words, "-s", f"ALANEWS_BASE_URL={REPLICA_URL}"])
    return f"start the replica (`python -m replica --port 8123`) and try `{command}`"


class SiteReachability:
    """Downloader middleware: before the site's first answer, an unreachable site ends the run.

    Placed above the retry middleware (a higher number: it sees a download exception first).
    """

    def __init__(self, crawler, base_url: str):
        self.crawler = crawler
        self.base_url = base_url
        self.answered = False  # the site answered once: failures from now on are retried as usual
        self.unreachable: str | None = None  # why, once the run was stopped

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("ALANEWS_STOP_IF_UNREACHABLE", True):
            raise NotConfigured
        return cls(crawler, normalise_base_url(crawler.settings.get("ALANEWS_BASE_URL") or DEFAULT_BASE_URL))

    def process_request(self, request, spider=None):
        if self.unreachable:
            raise SiteUnreachable(f"site unreachable: {self.unreachable}")

    def process_response(self, request, response, spider=None):
        self.answered = True
        return response

    def process_exception(self, request, exception, spider=None):
        if self.answered:
            return None
        if self.unreachable:
            raise SiteUnreachable(f"site unreachable: {self.unreachable}")  # in flight meanwhile: not retried
        found = next(((kind, why) for types, kind, why in _UNREACHABLE if isinstance(exception, types)), None)
        if found is None:
            return None  # a timeout, a dropped connection: retried
        kind, self.unreachable = found
        self.crawler.stats.inc_value(f"alanews/site_unreachable/{kind}")
        hint = offline_hint(self.crawler.spider.name, self.crawler.settings.getbool("ALANEWS_DATA_RUN"),
                            self.base_url, typed_command())
        logger.error("cannot reach %s: %s; offline? %s", self.base_url, self.unreachable, hint)
        deferred_from_coro(self.crawler.engine.close_spider_async(reason=FINISH_REASON))
        raise SiteUnreachable(f"site unreachable: {self.unreachable}")
