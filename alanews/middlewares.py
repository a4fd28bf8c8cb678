"""Downloader middlewares: stay on the site, read every page in its real charset,
retry with back-off, stop redirect loops."""

from __future__ import annotations

import codecs
import logging
from urllib.parse import urljoin

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Request
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.python import global_object_name
from scrapy.utils.response import response_status_message
from twisted.internet.task import deferLater
from w3lib.url import safe_url_string

from alanews.site import DEFAULT_BASE_URL, is_same_site, normalise_base_url

logger = logging.getLogger(__name__)


class SameSiteMiddleware:
    """Drops any request, redirects included, off the site's scheme and host.

    Stricter than Scrapy's OffsiteMiddleware, which runs after it and compares domains only:
    that lets through an ``http://`` redirect from an ``https://`` site, or a subdomain.
    """

    def __init__(self, base_url: str, stats):
        self.base_url = normalise_base_url(base_url)
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings.get("ALANEWS_BASE_URL", DEFAULT_BASE_URL), crawler.stats)

    def process_request(self, request, spider=None):
        if not is_same_site(self.base_url, request.url):
            self.stats.inc_value("alanews/offsite/dropped")
            logger.warning("Dropped %s: not on %s", request.url, self.base_url)
            raise IgnoreRequest(f"off-site request {request.url}")


class _Counting:
    """A middleware that needs nothing from the crawler but its stats."""

    def __init__(self, stats):
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.stats)


def _codec(name: str) -> str:
    return codecs.lookup(name).name


_SINGLE_BYTE = {_codec(n) for n in ("cp1252", "latin-1", "iso8859-15")}


class CharsetMiddleware(_Counting):
    """Re-reads a page whose declared charset does not match its bytes.

    WordPress sites get this wrong after migrations: UTF-8 bytes declared as
    Latin-1 turn "è" into "Ã¨", and Latin-1 bytes declared as UTF-8 into "\ufffd".
    UTF-8 is the only common charset in which random high bytes rarely decode,
    so bytes that decode as UTF-8 are UTF-8.
    """

    def process_response(self, request, response, spider=None):
        if not isinstance(response, HtmlResponse) or not response.body:
            return response
        declared = _codec(response.encoding)
        if declared == "utf-8" and "\ufffd" not in response.text:
            # Scrapy's decoding (with "replace", kept for later users of the text) left no
            # replacement character: every byte was valid UTF-8
            return response
        actual = self._actual_charset(response.body, declared)
        if actual == declared:
            return response
        self.stats.inc_value("alanews/charset/fixed")
        logger.warning("Read %s as %s: its bytes do not match the declared %s", response.url, actual, declared)
        return response.replace(encoding=actual)

    @staticmethod
    def _actual_charset(body: bytes, declared: str) -> str:
        if body.isascii():
            return declared
        try:
            body.decode("utf-8")
            return "utf-8"
        except UnicodeDecodeError:
            pass
        if declared in _SINGLE_BYTE:
            return declared
        try:
            body.decode(declared)
            return declared
        except UnicodeDecodeError:
            return "cp1252"


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's RetryMiddleware, waiting longer before each retry and saying so.

    Scrapy retries at once: a server that restarts for a few seconds uses up every
    retry of the requests in flight within milliseconds, and their pages are lost.
    Here retry n of a request waits ``ALANEWS_RETRY_BACKOFF * 2**(n-1)`` seconds (at
    most ``ALANEWS_RETRY_BACKOFF_MAX``), and each retry is logged at WARNING with its
    reason. ``RETRY_TIMES``, ``RETRY_HTTP_CODES``, ``RETRY_EXCEPTIONS``, the
    ``retry/*`` stats and the give-up line (``RETRY_GIVE_UP_LOG_LEVEL``) are Scrapy's.
    """

    def __init__(self, settings):
        super().__init__(settings)
        self.backoff = settings.getfloat("ALANEWS_RETRY_BACKOFF", 1.0)
        self.backoff_max = settings.getfloat("ALANEWS_RETRY_BACKOFF_MAX", 30.0)

    async def process_request(self, request, spider=None):
        delay = request.meta.pop("alanews_retry_delay", 0)
        if delay > 0:
            from twisted.internet import reactor  # the one Scrapy installed

            await maybe_deferred_to_future(deferLater(reactor, delay, lambda: None))

    def process_response(self, request, response, spider=None):
        result = super().process_response(request, response)
        return self._delayed(request, result, response_status_message(response.status))

    def process_exception(self, request, exception, spider=None):
        result = super().process_exception(request, exception)
        return self._delayed(request, result, f"{global_object_name(type(exception))}: {exception}")

    def _delayed(self, request, result, reason: str):
        if not isinstance(result, Request):
            return result
        retry = result.meta.get("retry_times", 0)
        delay = min(self.backoff * 2 ** (retry - 1), self.backoff_max)
        result.meta["alanews_retry_delay"] = delay
        limit = request.meta.get("max_retry_times", self.max_retry_times)
        logger.warning("Retrying %s in %g s (retry %d of %d): %s", request.url, delay, retry, limit, reason)
        return result


class RedirectLoopMiddleware(_Counting):
    """Stops a redirect that leads back to a URL of its own chain, and says so.

    Scrapy's dupefilter silently drops the repeated request (A -> B -> A); this
    middleware (after RedirectMiddleware in the response chain: a higher number)
    logs a WARNING with the chain, counts ``alanews/redirect/loop`` and ignores the
    request. Chains that never repeat stop at ``REDIRECT_MAX_TIMES``.
    """

    def process_response(self, request, response, spider=None):
        location = response.headers.get("Location")
        if response.status not in (301, 302, 303, 307, 308) or not location:
            return response
        target = safe_url_string(urljoin(request.url, location.decode("latin-1")))
        chain = [*request.meta.get("redirect_urls", []), request.url]
        if target not in chain:
            return response
        self.stats.inc_value("alanews/redirect/loop")
        logger.warning("Redirect loop: %s", " -> ".join([*chain, target]))
        raise IgnoreRequest(f"redirect loop back to {target}")
