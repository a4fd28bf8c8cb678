"""Spider arguments (``-a name=value``), validated in one place, with one message style.

Every check raises :class:`~alanews.errors.SpiderArgumentError` with the message
``spider argument NAME must be WHAT, got 'VALUE'`` (or ``unknown spider argument 'NAME'; known: …``):
``scrapy crawl`` prints it as one ERROR line, ``Not started: …``, and exits 1 before any request.
An empty value (``-a max_pages=``) is a bad value, never the default.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from alanews.errors import SpiderArgumentError
from alanews.site import CATEGORY_BY_SPIDER


def _bad(name: str, what: str, value) -> SpiderArgumentError:
    return SpiderArgumentError(f"spider argument {name} must be {what}, got {value!r}")


def _positive_int(name: str, value: str) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        number = 0
    if number < 1:
        raise _bad(name, "a positive integer", value)
    return number


def _non_negative_int(name: str, value: str) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        number = -1
    if number < 0:
        raise _bad(name, "0 or a positive integer", value)
    return number


def _iso_date(name: str, value: str) -> date:
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise _bad(name, "an ISO date like 2026-09-01", value) from None


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _boolean(name: str, value: str) -> bool:
    text = str(value).strip().lower()
    if text in _TRUE | _FALSE:
        return text in _TRUE
    raise _bad(name, "1 or 0 (true/false)", value)


# name: (description shown to users, parser, default); the spider reads these from SpiderArguments
ARGUMENTS = {
    "max_pages": ("listing pages walked per category; default: every page", _positive_int, None),
    "since": ("ISO date; older articles, and listing pages holding only them, are skipped", _iso_date, None),
    "related_depth": ("Related Posts hops followed from each article; 0 disables", _non_negative_int, 1),
}

# name: (description, parser): checked here, then left on the spider as Scrapy sets it (the raw
# string) for the component that reads it (alanews/ledger.py)
PASSED_THROUGH = {
    "deltafetch_reset": ("1 forgets the incremental state and crawls everything again", _boolean),
    "incremental": ("1: write only articles never written before; 0: every article, the incremental "
                    "state neither read nor written; default: 0 with -O, else 1", _boolean),
}

# Accepted without a check and never listed: Scrapyd passes its job id to every run.
INTERNAL = {"_job"}


def take(kwargs: dict, table: dict) -> dict:
    """The values of ``table``'s arguments (name: (description, parser, default)), taken out of
    ``kwargs``; the passed-through ones checked and left. SpiderArgumentError names the first
    unknown or bad argument."""
    unknown = sorted(set(kwargs) - set(table) - set(PASSED_THROUGH) - INTERNAL)
    if unknown:
        known = ", ".join([*table, *PASSED_THROUGH])
        raise SpiderArgumentError(f"unknown spider argument {unknown[0]!r}; known: {known}")
    for name, (_, parse) in PASSED_THROUGH.items():
        if name in kwargs:
            parse(name, kwargs[name])
    values = {}
    for name, (_, parse, default) in table.items():
        raw = kwargs.pop(name, None)
        values[name] = default if raw is None else parse(name, raw)
    return values


@dataclass(frozen=True)
class SpiderArguments:
    max_pages: int | None = None
    since: date | None = None
    related_depth: int = 1

    @classmethod
    def from_kwargs(cls, kwargs: dict) -> SpiderArguments:
        """Take our arguments out of ``kwargs`` and check the passed-through ones.

        Raises SpiderArgumentError naming the first unknown or bad argument. Scrapy sets
        every ``-a`` left in ``kwargs`` as a spider attribute, so an unchecked
        ``-a name=../x`` would rename the spider and move its feed and state files.
        """
        return cls(**take(kwargs, ARGUMENTS))


# --- the sitemap spiders (alanews/spiders/sitemaps.py): archive, updates, audit ----------------

# name: (description shown to users, parser, default); each sitemap spider accepts some of them
SITEMAP_ARGUMENTS = {
    "since": ("ISO date: the first publication day (the permalink's) fetched; default: the oldest", _iso_date, None),
    "until": ("ISO date: the last publication day fetched; default: the newest", _iso_date, None),
    "missing": ("1: every post of the sitemaps that the feeds lack, whatever its date", _boolean, False),
    "fetch": ("1: the audit also fetches and writes the posts the feeds lack", _boolean, False),
}


@dataclass(frozen=True)
class SitemapArguments:
    since: date | None = None
    until: date | None = None
    missing: bool = False
    fetch: bool = False

    @classmethod
    def from_kwargs(cls, kwargs: dict, accepted: tuple[str, ...]) -> SitemapArguments:
        """Take the ``accepted`` sitemap arguments out of ``kwargs``; SpiderArgumentError names the
        first unknown or bad one (``since`` after ``until``, a range with ``missing=1``)."""
        arguments = cls(**take(kwargs, {name: SITEMAP_ARGUMENTS[name] for name in accepted}))
        if arguments.since and arguments.until and arguments.since > arguments.until:
            raise SpiderArgumentError(
                f"spider argument since ({arguments.since}) must not be after until ({arguments.until})")
        if arguments.missing and (arguments.since or arguments.until):
            raise SpiderArgumentError("spider argument missing=1 takes the whole inventory: no since or until")
        return arguments


# --- latest (alanews/spiders/latest.py): the site's RSS feed ---------------------------------

def _category_spider(name: str, value: str) -> str:
    text = str(value).strip()
    if text not in CATEGORY_BY_SPIDER:
        raise _bad(name, f"a category spider's name ({', '.join(CATEGORY_BY_SPIDER)})", value)
    return text


# name: (description shown to users, parser, default)
LATEST_ARGUMENTS = {
    "category": ("a category spider's name: that category's feed and archive instead of the whole site's",
                 _category_spider, None),
    "since": ("ISO date; older posts are skipped, and no feed page after one that lists any is read",
              _iso_date, None),
}


@dataclass(frozen=True)
class LatestArguments:
    category: str | None = None
    since: date | None = None

    @classmethod
    def from_kwargs(cls, kwargs: dict) -> LatestArguments:
        """Take ``latest``'s arguments out of ``kwargs``; SpiderArgumentError names the first unknown or bad one."""
        return cls(**take(kwargs, LATEST_ARGUMENTS))
