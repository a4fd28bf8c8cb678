"""What a sitemap entry says about a post: its canonical URL, its ``lastmod``, its permalink.

Scrapy's ``SitemapSpider`` parses the XML (``scrapy.utils.sitemap.Sitemap``) into dicts
(``loc``, ``lastmod``, ...); :func:`entry` reads one of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timezone

from alanews.dates import MAX_YEAR, MIN_YEAR, ROME
from alanews.processors import canonical_url
from alanews.site import ArticleUrl, is_same_site, parse_article_url


def parse_lastmod(text: str | None) -> datetime | None:
    """A W3C datetime (``2026-11-20T16:23:00+00:00``, ``...Z``, fractions) as an aware datetime.

    A date alone (``2026-11-20``) stands for the end of that day, UTC: the latest moment it
    may mean, so a file or post it dates is never skipped as older than it is. A time without
    offset is read as UTC (Yoast and WordPress write GMT). None when missing or unreadable, or
    in a year no post has (outside MIN_YEAR..MAX_YEAR: at datetime's limits, 9999-12-31, the
    post's Rome day would overflow).
    """
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if len(text.strip()) == 10:  # YYYY-MM-DD
        value = datetime.combine(value.date(), time.max)
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class SitemapEntry:
    url: str  # canonical URL of the post
    lastmod: datetime | None  # aware; None when the sitemap gives none (WordPress core)
    permalink: ArticleUrl | None  # date, category and slug the URL tells; None if it has no date

    @property
    def day(self) -> date | None:
        """Publication day: the permalink's, else (a permalink without date) the Rome day of lastmod."""
        if self.permalink:
            return self.permalink.published
        return self.lastmod.astimezone(ROME).date() if self.lastmod else None

    @property
    def category_path(self) -> str | None:
        return self.permalink.category_path if self.permalink else None


def entry(raw: dict, base_url: str) -> SitemapEntry | None:
    """The entry of a sitemap ``<url>`` (Scrapy's dict), or None when its ``loc`` is not on the site."""
    url = canonical_url(raw.get("loc"))
    if not url or not is_same_site(base_url, url):
        return None
    return SitemapEntry(url, parse_lastmod(raw.get("lastmod")), parse_article_url(base_url, url))
