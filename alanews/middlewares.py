"""Downloader middlewares: stay on the site, read every page in its real charset."""

from __future__ import annotations

import codecs
import logging

from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse

from alanews.site import DEFAULT_BASE_URL, is_same_site, normalise_base_url

logger = logging.getLogger(__name__)


class SameSiteMiddleware:
    """Drops any request, redirects included, off the site's scheme and host.

    Scrapy's OffsiteMiddleware compares domains only: it lets through an
    ``http://`` redirect from an ``https://`` site, or a subdomain.
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


def _codec(name: str) -> str:
    return codecs.lookup(name).name


_SINGLE_BYTE = {_codec(n) for n in ("cp1252", "latin-1", "iso8859-15")}


class CharsetMiddleware:
    """Re-reads a page whose declared charset does not match its bytes.

    WordPress sites get this wrong after migrations: UTF-8 bytes declared as
    Latin-1 turn "è" into "Ã¨", and Latin-1 bytes declared as UTF-8 into "\ufffd".
    UTF-8 is the only common charset in which random high bytes rarely decode,
    so bytes that decode as UTF-8 are UTF-8.
    """

    def __init__(self, stats):
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.stats)

    def process_response(self, request, response, spider=None):
        if not isinstance(response, HtmlResponse) or not response.body:
            return response
        declared = _codec(response.encoding)
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
