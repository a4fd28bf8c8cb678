"""The site's map in one place: categories, URL shapes, what a URL tells about a post.

Everything here is derived from the base URL (``ALANEWS_BASE_URL``), so the same
code crawls the real site and a loopback replica.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from urllib.parse import urlsplit

from alanews.errors import SettingError

DEFAULT_BASE_URL = "https://www.alanews.it"


@dataclass(frozen=True)
class Category:
    spider: str  # the spider's name
    path: str  # WordPress category path, parents first (inferred, docs/site.md)
    name: str  # display name in menus and breadcrumbs


# The menu of the real site (known); the paths are inferred and may be overridden
# per run with the ALANEWS_CATEGORY_PATHS setting ({"video": "video", ...}).
CATEGORIES = (
    Category("cronaca", "cronaca", "Cronaca"),
    Category("politica", "politica", "Politica"),
    Category("economia", "economia", "Economia"),
    Category("esteri", "esteri", "Esteri"),
    Category("sport", "sport", "Sport"),
    Category("calcio", "sport/calcio", "Calcio"),
    Category("spettacoli", "spettacoli", "Spettacoli"),
    Category("salute", "salute", "Salute"),
    Category("tecnologia", "tecnologia", "Tecnologia"),
    Category("cultura", "cultura", "Cultura"),
    Category("ambiente", "ambiente", "Ambiente"),
    Category("video", "cronaca/video", "Video"),
)
CATEGORY_BY_SPIDER = {c.spider: c for c in CATEGORIES}
CATEGORY_NAME_BY_PATH = {c.path: c.name for c in CATEGORIES}

# Permalink structure /%year%/%monthnum%/%day%/%category%/%postname%/ (known).
ARTICLE_PATH_RE = re.compile(
    r"^/(?P<year>\d{4})/(?P<month>\d{2})/(?P<day>\d{2})/"
    r"(?P<category>[a-z0-9-]+(?:/[a-z0-9-]+)*)/(?P<slug>[^/]+)/?$"
)


def normalise_base_url(base_url: str) -> str:
    """The site root without a trailing slash; a bad value is a clear error."""
    parts = urlsplit(base_url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SettingError(f"ALANEWS_BASE_URL must be an http(s) URL, got {base_url!r}")
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


CATEGORY_PATH_RE = re.compile(r"^/category/(?P<path>[a-z0-9-]+(?:/[a-z0-9-]+)*?)/(?:page/(?P<page>\d+)/?)?$")


def category_url(base_url: str, path: str, page: int = 1) -> str:
    """A category archive page; WordPress's default ``/category/`` base (inferred)."""
    url = f"{base_url}/category/{path}/"
    return url if page <= 1 else f"{url}page/{page}/"


def feed_url(base_url: str, path: str | None = None) -> str:
    """WordPress's RSS 2.0 feed of the whole site, or of a category archive (``/category/<path>/feed/``)."""
    return f"{category_url(base_url, path) if path else base_url + '/'}feed/"


def is_same_site(base_url: str, url: str) -> bool:
    """True when ``url`` is on the crawled host with the crawled scheme."""
    base, other = urlsplit(base_url), urlsplit(url)
    return (base.scheme, base.netloc.lower()) == (other.scheme, other.netloc.lower())


@dataclass(frozen=True)
class ArticleUrl:
    """What a permalink alone tells about a post."""

    published: date
    category_path: str
    slug: str


def site_path(base_url: str, url: str) -> str | None:
    """The path of ``url`` below the site root (``ALANEWS_BASE_URL`` may have a path); None off the site."""
    if not is_same_site(base_url, url):
        return None
    path = urlsplit(url).path
    root = urlsplit(base_url).path
    if not root:
        return path
    return path[len(root):] if path.startswith(root + "/") else None


# Every article URL is met ~13 times (listings, related posts). 4,096 URLs (~2.3 MB, full ~3,000
# articles into a crawl, flat after) answer 79% of the calls; 16,384 answer 93% for 5.7 MB at 10,000.
@lru_cache(maxsize=4096)
def parse_article_url(base_url: str, url: str) -> ArticleUrl | None:
    """Read date, category path and slug from a permalink; None for any other URL."""
    path = site_path(base_url, url)
    match = ARTICLE_PATH_RE.match(path) if path is not None else None
    if not match or match["category"].startswith(("category", "tag", "author", "page")):
        return None
    try:
        published = date(int(match["year"]), int(match["month"]), int(match["day"]))
    except ValueError:
        return None
    return ArticleUrl(published, match["category"], match["slug"])


def spider_of_url(url: str) -> str:
    """The category spider whose archive lists the article ``url`` (the most specific category of its
    permalink path, e.g. ``calcio`` for ``…/sport/calcio/slug/``); ``alanews`` when none does."""
    match = ARTICLE_PATH_RE.search(urlsplit(url).path)
    if match:
        for category in sorted(CATEGORIES, key=lambda c: -len(c.path)):
            if in_category(match["category"], category.path):
                return category.spider
    return "alanews"


def parse_category_url(base_url: str, url: str) -> tuple[str, int] | None:
    """``(category path, page number)`` of a category archive page (see :func:`category_url`); else None."""
    path = site_path(base_url, url)
    match = CATEGORY_PATH_RE.match(path if path.endswith("/") else path + "/") if path is not None else None
    if not match:
        return None
    return match["path"], int(match["page"] or 1)


def in_category(category_path: str, wanted: str) -> bool:
    """A post of ``category_path`` belongs to the archive of ``wanted`` (or its parent)."""
    return category_path == wanted or category_path.startswith(wanted + "/")


# Sitemaps (inferred, docs/site.md): the index robots.txt names, else Yoast's, else WordPress
# core's; of the files an index lists, only those of posts hold articles.
SITEMAP_INDEX_PATHS = ("/sitemap_index.xml", "/wp-sitemap.xml")
# Yoast: post-sitemap.xml, post-sitemap2.xml, ... (by modification time, oldest first);
# core: wp-sitemap-posts-post-1.xml, ... (by post id)
POST_SITEMAP_RE = re.compile(r"/(?:post-sitemap(?P<yoast>\d*)|wp-sitemap-posts-post-(?P<core>\d+))\.xml(?:\.gz)?$")


def post_sitemap_number(url: str) -> int | None:
    """The number of a post sitemap file (post-sitemap.xml: 1), or None for any other sitemap."""
    match = POST_SITEMAP_RE.search(urlsplit(url).path)
    if not match:
        return None
    return int(match["core"] or match["yoast"] or 1)


def next_post_sitemap(url: str) -> str | None:
    """The URL of the post sitemap file numbered after ``url``'s (post-sitemap.xml: post-sitemap2.xml,
    wp-sitemap-posts-post-3.xml: wp-sitemap-posts-post-4.xml), or None for any other sitemap."""
    parts = urlsplit(url)
    match = POST_SITEMAP_RE.search(parts.path)
    if not match:
        return None
    n = post_sitemap_number(url) + 1
    name = f"/wp-sitemap-posts-post-{n}.xml" if match["core"] else f"/post-sitemap{n}.xml"
    if match[0].endswith(".gz"):
        name += ".gz"
    return parts._replace(path=parts.path[:match.start()] + name, query="", fragment="").geturl()
