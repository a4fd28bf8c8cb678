"""Downloader middlewares: stay on the site, read every page in its real charset,
retry with back-off, stop redirect loops, read robots.txt as RFC 9309 says."""

from __future__ import annotations

import codecs
import logging
from urllib.parse import urljoin

from scrapy import signals
from scrapy.downloadermiddlewares import robotstxt as scrapy_robotstxt
from scrapy.downloadermiddlewares.retry import RetryMiddleware, get_retry_request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Request
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler, load_object
from scrapy.utils.python import global_object_name
from scrapy.utils.response import response_status_message
from twisted.internet.defer import Deferred
from twisted.internet.task import deferLater
from w3lib.url import safe_url_string

from alanews.errors import OffsiteRequest, RedirectLoop
from alanews.pages.markup import cut_short
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
            raise OffsiteRequest(f"off-site request {request.url}")


class RobotsTxtMiddleware(scrapy_robotstxt.RobotsTxtMiddleware):
    """Scrapy's, with robots.txt read once per host for every request, as RFC 9309 (section 2.3.1) says.

    * 2xx: the file's rules (Scrapy's behaviour);
    * 4xx ("unavailable"): no rules, every page allowed; Scrapy would parse the error page as
      rules. INFO line, stat ``alanews/robotstxt/unavailable``;
    * 5xx after the retries, or no answer at all ("unreachable"): every page of the host
      disallowed for the rest of the run; Scrapy would parse the error page, or allow all.
      One ERROR line (the run's monitors then fail it), stat ``alanews/robotstxt/unreachable``;
    * a robots.txt request a middleware dropped: every page allowed (Scrapy's behaviour).

    Every request that arrives while robots.txt is read waits for it and is checked against it:
    Scrapy 2.19 hands the rules to the first waiting request only and lets the others through
    unchecked (the run's first requests: every category archive of ``alanews``, every retry).
    Stats ``robotstxt/*`` and the ``robots_parsed`` signal are Scrapy's.
    """

    DISALLOW_ALL = b"User-agent: *\nDisallow: /\n"

    def __init__(self, crawler):
        super().__init__(crawler)
        self.parser_class = load_object(crawler.settings.get("ROBOTSTXT_PARSER"))
        self.parsers: dict[str, object] = {}  # host -> its RobotParser, or the Deferred of one being read

    async def robot_parser(self, request):
        """The rules of ``request``'s host, read on the host's first request (Scrapy's public hook)."""
        netloc = urlparse_cached(request).netloc
        known = self.parsers.get(netloc)
        if known is None:
            reading = self.parsers[netloc] = Deferred()
            parser = self.parsers[netloc] = await self.read(request, netloc)
            reading.callback(parser)
            return parser
        if isinstance(known, Deferred):
            mine = Deferred()  # one Deferred per waiting request: each gets the parser
            known.addCallback(lambda parser: mine.callback(parser) or parser)
            return await maybe_deferred_to_future(mine)
        return known

    async def read(self, request, netloc: str):
        """Download and parse ``netloc``'s robots.txt; never raises."""
        url = urlparse_cached(request)
        robots = Request(f"{url.scheme}://{netloc}/robots.txt", priority=self.DOWNLOAD_PRIORITY,
                         meta={"dont_obey_robotstxt": True}, callback=NO_CALLBACK)
        self.crawler.stats.inc_value("robotstxt/request_count")
        try:
            response = await self.crawler.engine.download_async(robots)
        except IgnoreRequest:  # never sent (a middleware dropped it): Scrapy's "allow all"
            return build_from_crawler(self.parser_class, self.crawler, b"")
        except Exception as exc:  # noqa: BLE001 - any failure to download is "unreachable"
            self.crawler.stats.inc_value(f"robotstxt/exception_count/{type(exc)}")
            self._unreachable(netloc, f"could not be downloaded ({type(exc).__name__})")
            return build_from_crawler(self.parser_class, self.crawler, self.DISALLOW_ALL)
        self.crawler.stats.inc_value("robotstxt/response_count")
        self.crawler.stats.inc_value(f"robotstxt/response_status_count/{response.status}")
        body = response.body
        if 400 <= response.status < 500:
            self.crawler.stats.inc_value("alanews/robotstxt/unavailable")
            logger.info("robots.txt of %s answered %d: no rules, every page allowed (RFC 9309)",
                        netloc, response.status)
            body = b""
        elif response.status >= 500:
            self._unreachable(netloc, f"answered {response.status}")
            body = self.DISALLOW_ALL
        parser = build_from_crawler(self.parser_class, self.crawler, body)
        await self.crawler.signals.send_catch_log_async(signal=signals.robots_parsed, robotparser=parser,
                                                        request=request)
        return parser

    def _unreachable(self, netloc: str, what: str) -> None:
        self.crawler.stats.inc_value("alanews/robotstxt/unreachable")
        logger.error("robots.txt of %s %s: every page of %s is disallowed for this run (RFC 9309: "
                     "an unreachable robots.txt means disallow all); the next run asks again", netloc, what, netloc)


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


def _byte_by_byte(error: UnicodeDecodeError) -> tuple[str, int]:
    """Decoding error handler: each byte that is not UTF-8 read alone, as its windows-1252
    character (a pasted 0x92 is "’"), or U+FFFD for the five bytes cp1252 leaves undefined."""
    chars = []
    for byte in error.object[error.start:error.end]:
        try:
            chars.append(bytes((byte,)).decode("cp1252"))
        except UnicodeDecodeError:
            chars.append("\ufffd")
    return "".join(chars), error.end


_BYTE_BY_BYTE = "alanews.byte-by-byte"
codecs.register_error(_BYTE_BY_BYTE, _byte_by_byte)


class CharsetMiddleware(_Counting):
    """Re-reads a page whose declared charset does not match its bytes.

    WordPress sites get this wrong after migrations: UTF-8 bytes declared as
    Latin-1 turn "è" into "Ã¨", and Latin-1 bytes declared as UTF-8 into "\ufffd".
    UTF-8 is the only common charset in which random high bytes rarely decode,
    so bytes that decode as UTF-8 are UTF-8. A UTF-8 page with a few stray bytes (a
    windows-1252 apostrophe pasted into a post) is still UTF-8: its valid multi-byte
    characters outnumber the bytes that are not, and only those bytes are read
    otherwise (see :func:`_byte_by_byte`); the page's body is rewritten as clean UTF-8
    (stat ``alanews/charset/repaired``). A page whose high bytes mostly are not UTF-8
    is read whole in its single-byte charset (stat ``alanews/charset/fixed``).
    """

    def process_response(self, request, response, spider=None):
        if not isinstance(response, HtmlResponse) or not response.body:
            return response
        try:
            response.text  # noqa: B018 -- decoded once here, kept for every later user
        except (LookupError, UnicodeError):
            # a charset Python knows but that decodes no text (charset=hex, =undefined) failed the
            # page: read as UTF-8 instead, and checked against its bytes as any page declared so
            self.stats.inc_value("alanews/charset/unusable")
            logger.warning("Read %s as UTF-8: its declared charset %s decodes no text", response.url,
                           response.encoding)
            response = response.replace(encoding="utf-8")
        declared = _codec(response.encoding)
        if declared == "utf-8" and "\ufffd" not in response.text:
            # Scrapy's decoding (with "replace", kept for later users of the text) left no
            # replacement character: every byte was valid UTF-8
            return response
        body = response.body
        stray = _stray_bytes(body)
        if stray:
            self.stats.inc_value("alanews/charset/repaired")
            logger.warning("Read %s as UTF-8 with %d stray byte(s) that are not UTF-8 read one by one",
                           response.url, stray)
            return response.replace(body=body.decode("utf-8", _BYTE_BY_BYTE).encode("utf-8"), encoding="utf-8")
        actual = self._actual_charset(body, declared)
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


def _stray_bytes(body: bytes) -> int:
    """How many bytes of a mostly-UTF-8 ``body`` are not UTF-8; 0 when it is all UTF-8, or
    when such bytes are as many as its multi-byte characters (then it is not UTF-8 at all)."""
    if body.isascii():
        return 0
    text = body.decode("utf-8", "ignore")  # the bytes that are not UTF-8 dropped
    valid = len(text.encode("utf-8"))
    stray = len(body) - valid
    multibyte = valid - len(text)  # the continuation bytes of multi-byte characters
    return stray if 0 < stray < multibyte else 0


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's RetryMiddleware, waiting longer before each retry and saying so.

    Scrapy retries at once: a server that restarts for a few seconds uses up every
    retry of the requests in flight within milliseconds, and their pages are lost.
    Here retry n of a request waits ``ALANEWS_RETRY_BACKOFF * 2**(n-1)`` seconds (at
    most ``ALANEWS_RETRY_BACKOFF_MAX``), and each retry is logged at WARNING with its
    reason. ``RETRY_TIMES``, ``RETRY_HTTP_CODES``, ``RETRY_EXCEPTIONS``, the
    ``retry/*`` stats and the give-up line (``RETRY_GIVE_UP_LOG_LEVEL``) are Scrapy's.
    An article page answered 200 but visibly incomplete (:func:`alanews.pages.markup.cut_short`)
    is retried the same way, reason ``cut_short``; what the spider does with one that stays so is
    :meth:`alanews.spiders.base.ArticleSpider.parse_article`'s.
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
        if result is response and self._cut_short(request, response):
            # as a failed download: the same waits, RETRY_TIMES, retry/reason_count/cut_short and give-up line
            retry = get_retry_request(
                request, spider=self.crawler.spider, reason="cut_short",
                max_retry_times=request.meta.get("max_retry_times", self.max_retry_times),
                priority_adjust=request.meta.get("priority_adjust", self.priority_adjust),
                give_up_log_level=request.meta.get("give_up_log_level", self.give_up_log_level))
            return self._delayed(request, retry, "cut short: no </body> or </html> at its end") or response
        return self._delayed(request, result, response_status_message(response.status))

    @staticmethod
    def _cut_short(request, response) -> bool:
        """An article page (a request with ``deltafetch_key``) answered 200 and visibly incomplete."""
        return (response.status == 200 and isinstance(response, HtmlResponse) and not request.meta.get("dont_retry")
                and bool(request.meta.get("deltafetch_key")) and cut_short(response.body))

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
        raise RedirectLoop(f"redirect loop back to {target}")
