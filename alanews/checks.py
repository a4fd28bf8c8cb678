"""The project's settings, checked in one table before any request.

Every ``ALANEWS_*`` and ``DELTAFETCH_*`` name a run is given (``-s``, a spider's or a command's
settings, a script's, the environment) must be one of :data:`SETTINGS`; its value must read as
the table says. A misspelt name or a bad value stops the run before its first request:
:class:`~alanews.errors.SettingError` with one line (``setting NAME must be WHAT, got 'VALUE'``,
or the closest real name), which ``scrapy crawl`` prints as ``Not started: …`` and exit 1.
A value given as text (``-s``, the environment) is replaced by what it reads as, at the same
priority, so every component reads a dict, a number or a bool.
"""

from __future__ import annotations

import difflib
import json
import os
import re
from collections.abc import Callable, Mapping
from typing import Any

from scrapy.settings import BaseSettings

from alanews.errors import SettingError
from alanews.items import Article
from alanews.site import CATEGORY_BY_SPIDER, normalise_base_url

PREFIXES = ("ALANEWS_", "DELTAFETCH_")

# Variables of the deployment (deploy/, docs/operations.md) and of the tests: environment only,
# never read as settings.
ENVIRONMENT_ONLY = frozenset((
    "ALANEWS_HOME", "ALANEWS_ENV_FILE", "ALANEWS_PROJECT", "ALANEWS_SCHEDULE_LOG", "ALANEWS_LATEST_LOG",
    "ALANEWS_AUDIT_LOG", "ALANEWS_AUDIT_OUT", "ALANEWS_TEST_KILLS", "ALANEWS_TEST_SEED",
))

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class _Bad(ValueError):
    """The value does not read as the table says (the message is the table's WHAT)."""


def boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE | _FALSE:
        return text in _TRUE
    raise _Bad("1 or 0 (true/false, yes/no, on/off)")


def _number(minimum: float, above: bool = False, maximum: float | None = None, integer: bool = False):
    what = ("an integer" if integer else "a number") + (f" above {minimum:g}" if above else f" of at least {minimum:g}")
    what += f" and at most {maximum:g}" if maximum is not None else ""

    def parse(value: Any):
        if isinstance(value, bool):
            raise _Bad(what)
        try:
            number = int(str(value).strip()) if integer else float(str(value).strip())
        except ValueError:
            raise _Bad(what) from None
        if number < minimum or (above and number == minimum) or (maximum is not None and number > maximum):
            raise _Bad(what)
        return number

    return parse


def _text(value: Any) -> str:
    if not str(value).strip():
        raise _Bad("a non-empty path")
    return str(value)


def _optional_text(value: Any) -> str | None:
    return None if value is None or value == "" else _text(value)


def _base_url(value: Any) -> str:
    try:
        return normalise_base_url(str(value))
    except SettingError:
        raise _Bad("an http(s) URL, e.g. http://127.0.0.1:8123") from None


def _json_object(value: Any, what: str) -> dict:
    if isinstance(value, Mapping):
        return dict(value.copy_to_dict() if isinstance(value, BaseSettings) else value)
    try:
        parsed = json.loads(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        raise _Bad(what)
    return parsed


_CATEGORY_PATH = re.compile(r"^[a-z0-9-]+(?:/[a-z0-9-]+)*$")
_PATHS_WHAT = 'a JSON object of spider name to category path, e.g. {"video": "video"}'


def _category_paths(value: Any) -> dict[str, str]:
    """Spider name → category path, slashes around a path trimmed (``/esteri/`` is ``esteri``)."""
    paths = {}
    for spider, path in _json_object(value, _PATHS_WHAT).items():
        if spider not in CATEGORY_BY_SPIDER:
            raise _Bad(f"{_PATHS_WHAT}; {spider!r} is no category spider ({', '.join(CATEGORY_BY_SPIDER)})")
        trimmed = path.strip().strip("/") if isinstance(path, str) else None
        if not trimmed or not _CATEGORY_PATH.match(trimmed):
            raise _Bad(f"{_PATHS_WHAT}; the path of {spider!r} must be like sport/calcio")
        paths[spider] = trimmed
    return paths


def _coverage_rules(value: Any) -> dict[str, float]:
    what = 'a JSON object of field to minimum share 0..1, e.g. {"title": 0.98}'
    rules = {}
    for field, minimum in _json_object(value, what).items():
        if field not in Article.fields:
            raise _Bad(f"{what}; {field!r} is no output field")
        rules[field] = _number(0, maximum=1)(minimum)
    return rules


#: DELTAFETCH_EARLY_STOP: where a recrawl stops walking a category's archive (CategorySpider.parse_listing)
EARLY_STOP_RULES = ("oldest_known", "all_known", "off")


def _early_stop(value: Any) -> str:
    if value not in EARLY_STOP_RULES:
        raise _Bad(f"one of {', '.join(EARLY_STOP_RULES)}")
    return value


_positive_int = _number(1, integer=True)
_non_negative_int = _number(0, integer=True)
_hours = _number(0, above=True)

#: every setting of the project: name -> how its value reads (raises _Bad saying what it must be)
SETTINGS: dict[str, Callable[[Any], Any]] = {
    "ALANEWS_BASE_URL": _base_url,
    "ALANEWS_CATEGORY_PATHS": _category_paths,
    "ALANEWS_DATA_DIR": _text,
    "ALANEWS_MAX_LISTING_PAGES": _positive_int,
    "ALANEWS_AUDIT_GRACE": _number(0),
    "ALANEWS_UPDATES_MAX_AGE": _hours,
    "ALANEWS_FEED_MAX_LAG": _hours,
    "ALANEWS_FEED_MAX_AGE": _number(0),
    "ALANEWS_REMOVAL_CONFIRM_HOURS": _number(0),
    "ALANEWS_UPDATES_RECHECK_HOURS": _number(0),
    "ALANEWS_LEDGER_FLUSH_ITEMS": _positive_int,
    "ALANEWS_LEDGER_FLUSH_INTERVAL": _hours,
    "ALANEWS_SITEMAP_MAX_DEPTH": _non_negative_int,
    "ALANEWS_SITEMAP_MAX_FILES": _positive_int,
    "ALANEWS_SITEMAP_MAX_BYTES": _positive_int,
    "ALANEWS_STOP_CANCELS_DOWNLOADS": boolean,
    "ALANEWS_PROGRESS_INTERVAL": _number(0),
    "ALANEWS_RETRY_BACKOFF": _number(0),
    "ALANEWS_RETRY_BACKOFF_MAX": _number(0),
    "ALANEWS_STOP_IF_UNREACHABLE": boolean,
    "ALANEWS_MONITOR_MIN_ITEMS": _non_negative_int,
    "ALANEWS_MONITOR_MAX_INVALID": _number(0, maximum=1),
    "ALANEWS_MONITOR_MAX_INVALID_ITEMS": _non_negative_int,
    "ALANEWS_MONITOR_MAX_FALLBACK": _number(0, maximum=1),
    "ALANEWS_MONITOR_MAX_FALLBACK_ITEMS": _non_negative_int,
    "ALANEWS_COVERAGE_MIN_ITEMS": _positive_int,
    "ALANEWS_COVERAGE_WINDOW": _non_negative_int,
    "ALANEWS_COVERAGE_RULES": _coverage_rules,
    "ALANEWS_TIME_OF_DAY_MIN": _number(0, maximum=1),
    # set by the commands (alanews/commands), not by users
    "ALANEWS_DATA_RUN": boolean,
    "ALANEWS_MONITORS": boolean,
    "DELTAFETCH_ENABLED": boolean,
    "DELTAFETCH_DIR": _optional_text,
    "DELTAFETCH_RESET": boolean,
    "DELTAFETCH_EARLY_STOP": _early_stop,
    "DELTAFETCH_RETRY_RUNS": _non_negative_int,
}

#: Scrapy's own settings the README and docs tell users to pass (politeness, bounds): their values
#: must read as the table says (Scrapy's own reading gives a traceback, or a crawl that never ends
#: for 0); checked only, Scrapy reads them itself
SCRAPY_SETTINGS: dict[str, Callable[[Any], Any]] = {
    "DOWNLOAD_DELAY": _number(0),
    "CONCURRENT_REQUESTS": _positive_int,
    "CONCURRENT_REQUESTS_PER_DOMAIN": _positive_int,
    "AUTOTHROTTLE_ENABLED": boolean,
    "ROBOTSTXT_OBEY": boolean,
    "CLOSESPIDER_TIMEOUT": _number(0),
    "CLOSESPIDER_ITEMCOUNT": _non_negative_int,
    "RETRY_TIMES": _non_negative_int,
}


def _closest(name: str) -> str:
    match = difflib.get_close_matches(name, SETTINGS, n=1, cutoff=0.6)
    return f"; did you mean {match[0]}?" if match else "; the settings are listed in alanews/settings.py"


def check_settings(settings, environ=None) -> None:
    """Refuse an unknown ``ALANEWS_*``/``DELTAFETCH_*`` name or a bad value (SettingError, one line);
    give every value its type. Idempotent: the spider and the add-on both call it (Scrapy builds the
    spider, which reads settings, before it runs the add-ons)."""
    environ = os.environ if environ is None else environ
    for name in sorted(environ):
        if name.startswith(PREFIXES) and name not in SETTINGS and name not in ENVIRONMENT_ONLY:
            raise SettingError(f"environment variable {name} is no setting{_closest(name)}")
    for name in sorted(n for n in settings if str(n).startswith(PREFIXES)):
        if name not in SETTINGS:
            raise SettingError(f"setting {name} is unknown{_closest(name)}")
    for name, parse in {**SETTINGS, **SCRAPY_SETTINGS}.items():
        value = settings.get(name)
        if value is None and parse is not _optional_text:
            continue
        try:
            parsed = parse(value)
        except _Bad as error:
            raise SettingError(f"setting {name} must be {error}, got {value!r}") from None
        if name in SETTINGS and (parsed != value or type(parsed) is not type(value)):  # Scrapy reads its own
            settings.set(name, parsed, priority=settings.getpriority(name))
