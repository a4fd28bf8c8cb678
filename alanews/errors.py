"""Errors: those that stop a run before its first request (reported by `scrapy crawl` on one line),
and the typed reasons our middlewares drop a request for."""

from scrapy.exceptions import IgnoreRequest


class NotStarting(Exception):
    """The run must not start (a bad argument, state in use): the message says why."""


class SpiderArgumentError(NotStarting, ValueError):
    """A spider argument (``-a name=value``) is unknown or has a bad value."""


class SettingError(NotStarting, ValueError):
    """A setting (``-s NAME=VALUE``, the environment) has a bad value."""


class TypedIgnore(IgnoreRequest):
    """A request dropped by one of our middlewares; ``kind`` names why (stat ``alanews/failed/<kind>``)."""

    kind = "ignored"


class OffsiteRequest(TypedIgnore):
    """The request, or a redirect, leaves the site's scheme and host."""

    kind = "offsite"


class RedirectLoop(TypedIgnore):
    """A redirect leads back to a URL of its own chain."""

    kind = "redirect_loop"


class SiteUnreachable(TypedIgnore):
    """The site never answered (DNS, refused connection): the run is stopping."""

    kind = "unreachable"
