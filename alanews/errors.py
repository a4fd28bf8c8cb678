"""Errors that stop a run before its first request, reported by `scrapy crawl` on one line."""


class NotStarting(Exception):
    """The run must not start (a bad argument, state in use): the message says why."""


class SpiderArgumentError(NotStarting, ValueError):
    """A spider argument (``-a name=value``) is unknown or has a bad value."""


class SettingError(NotStarting, ValueError):
    """A setting (``-s NAME=VALUE``, the environment) has a bad value."""
