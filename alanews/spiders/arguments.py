"""Spider arguments (``-a name=value``), validated in one place."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from alanews.errors import SpiderArgumentError


def _positive_int(name: str, value: str) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        number = 0
    if number < 1:
        raise SpiderArgumentError(f"spider argument {name} must be a positive integer, got {value!r}")
    return number


def _non_negative_int(name: str, value: str) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        number = -1
    if number < 0:
        raise SpiderArgumentError(f"spider argument {name} must be 0 or a positive integer, got {value!r}")
    return number


def _iso_date(name: str, value: str) -> date:
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise SpiderArgumentError(
            f"spider argument {name} must be an ISO date like 2026-09-01, got {value!r}") from None


# name: (description shown to users, parser, default)
ARGUMENTS = {
    "max_pages": ("listing pages walked per category; default: every page", _positive_int, None),
    "since": ("ISO date; older articles, and listing pages holding only them, are skipped", _iso_date, None),
    "related_depth": ("Related Posts hops followed from each article; 0 disables", _non_negative_int, 1),
}

# Arguments read by other components, left on the spider as Scrapy does.
PASSED_THROUGH = {
    "deltafetch_reset": "1 forgets the incremental state and crawls everything again",
    "incremental": "1: skip the articles written before, 0: a snapshot (default: 0 with -O, else 1)",
    "_job": "the job id Scrapyd passes to every run",
}


@dataclass(frozen=True)
class SpiderArguments:
    max_pages: int | None = None
    since: date | None = None
    related_depth: int = 1

    @classmethod
    def from_kwargs(cls, kwargs: dict) -> SpiderArguments:
        """Take our arguments out of ``kwargs``; a bad or unknown one raises SpiderArgumentError naming it.

        Scrapy sets every other ``-a`` as a spider attribute, so an unchecked
        ``-a name=../x`` would rename the spider and move its feed and state files.
        """
        unknown = sorted(set(kwargs) - set(ARGUMENTS) - set(PASSED_THROUGH))
        if unknown:
            known = ", ".join([*ARGUMENTS, *PASSED_THROUGH])
            raise SpiderArgumentError(f"unknown spider argument {unknown[0]!r}; known arguments: {known}")
        values = {}
        for name, (_, parse, default) in ARGUMENTS.items():
            raw = kwargs.pop(name, None)
            values[name] = default if raw in (None, "") else parse(name, raw)
        return cls(**values)


# --- the sitemap spiders (alanews/spiders/sitemaps.py): archive, updates, audit ----------------

def _one_or_zero(name: str, value: str) -> bool:
    text = str(value).strip()
    if text not in ("0", "1"):
        raise SpiderArgumentError(f"spider argument {name} must be 1 or 0, got {value!r}")
    return text == "1"


# name: (description shown to users, parser, default); each sitemap spider accepts some of them
SITEMAP_ARGUMENTS = {
    "since": ("ISO date: the first publication day (the permalink's) fetched; default: the oldest", _iso_date, None),
    "until": ("ISO date: the last publication day fetched; default: the newest", _iso_date, None),
    "missing": ("1: every post of the sitemaps that the feeds lack, whatever its date", _one_or_zero, False),
    "fetch": ("1: the audit also fetches and writes the posts the feeds lack", _one_or_zero, False),
}
_SCRAPYD = {"_job"}  # Scrapyd's job id, passed to every run


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
        unknown = sorted(set(kwargs) - set(accepted) - set(PASSED_THROUGH) - _SCRAPYD)
        if unknown:
            known = ", ".join([*accepted, *PASSED_THROUGH])
            raise SpiderArgumentError(f"unknown spider argument {unknown[0]!r}; known arguments: {known}")
        values = {}
        for name in accepted:
            _, parse, default = SITEMAP_ARGUMENTS[name]
            raw = kwargs.pop(name, None)
            values[name] = default if raw is None else parse(name, raw)
        arguments = cls(**values)
        if arguments.since and arguments.until and arguments.since > arguments.until:
            raise SpiderArgumentError(
                f"spider argument since ({arguments.since}) must not be after until ({arguments.until})")
        if arguments.missing and (arguments.since or arguments.until):
            raise SpiderArgumentError("spider argument missing=1 takes the whole inventory: no since or until")
        return arguments
