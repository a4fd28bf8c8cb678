"""Page classes on saved pages, checked field by field against expected JSON."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse

from alanews.pages.article import ArticlePage
from alanews.pages.listing import ListingPage

FIXTURES = Path(__file__).parent / "fixtures" / "pages"
ARTICLE_FIELDS = [
    "url", "title", "subtitle", "author", "published", "modified", "category", "category_path",
    "tags", "body", "image_url", "image_caption", "video_url", "related_urls", "post_id", "language",
]


def _saved(name: str):
    spec = json.loads((FIXTURES / f"{name}.json").read_text("utf-8"))
    html = (FIXTURES / f"{name}.html").read_bytes()
    response = HtmlResponse(url=spec["fetched_url"], body=html, encoding="utf-8")
    base = spec.get("base_url", "https://www.alanews.it")
    page = ArticlePage(response, base, now=datetime.fromisoformat(spec["now"]))
    return page.to_item(), spec["expected"]


SAVED = sorted(p.stem for p in FIXTURES.glob("*.json"))


@pytest.mark.parametrize("field", ARTICLE_FIELDS)
@pytest.mark.parametrize("name", SAVED)
def test_saved_article_page_field(name, field):
    item, expected = _saved(name)
    assert item[field] == expected[field]


@pytest.mark.parametrize("name", SAVED)
def test_saved_article_page_scraped_at_is_the_fetch_time_in_utc(name):
    item, _ = _saved(name)
    spec = json.loads((FIXTURES / f"{name}.json").read_text("utf-8"))
    assert item["scraped_at"] == datetime.fromisoformat(spec["now"]).isoformat()


def test_related_block_is_not_confused_with_sidebar_or_prev_next():
    item, _ = _saved("seed-esteri-lavrov")
    assert not any("shoah" in url or "iran-nuove-sanzioni" in url for url in item["related_urls"])


def test_body_excludes_ads_inline_related_tags_and_caption():
    item, _ = _saved("seed-esteri-lavrov")
    for noise in ("Pubblicità", "Leggi anche", "Witkoff a Mosca", "Tags:", "EPA/ALEXANDER", "adsbygoogle", "Share on"):
        assert noise not in item["body"]


def test_unreadable_byline_date_degrades_to_the_permalink_date():
    html = (FIXTURES / "seed-esteri-lavrov-markup-only.html").read_text("utf-8")
    html = html.replace("12 dicembre 2025 - 08:05", "31 Febbraio 2025")
    url = "https://www.alanews.it/2025/12/11/esteri/russia-lavrov-tra-usa-e-russia-superate-le-incomprensioni/"
    page = ArticlePage(HtmlResponse(url=url, body=html.encode(), encoding="utf-8"), "https://www.alanews.it")
    item = page.to_item()
    assert (item["published"], item["modified"], item["title"]) == (
        "2025-12-11", None, "Russia, Lavrov: “Tra USA e Russia superate le incomprensioni”")


def test_listing_page_without_the_theme_block_still_finds_posts():
    html = b"""<html><body><div class="jeg_sidebar"><article><h3><a href="/2026/01/02/esteri/side/">s</a></h3></article></div>
    <main><article class="post"><h2><a href="/2026/01/01/esteri/one/">One</a></h2></article></main></body></html>"""
    page = ListingPage(HtmlResponse(url="https://www.alanews.it/category/esteri/", body=html))
    assert page.main_links() == ["/2026/01/01/esteri/one/"]
    assert page.next_page() is None


@pytest.mark.parametrize("name", ["replica-video-iframe", "replica-video-without-text"])
def test_video_url_is_found_in_the_content_without_og_video(name):
    spec = json.loads((FIXTURES / f"{name}.json").read_text("utf-8"))
    html = (FIXTURES / f"{name}.html").read_text("utf-8")
    html = "\n".join(line for line in html.splitlines() if 'property="og:video' not in line)
    assert "og:video" not in html
    page = ArticlePage(HtmlResponse(url=spec["fetched_url"], body=html.encode(), encoding="utf-8"),
                       "https://www.alanews.it")
    assert page.to_item()["video_url"] == spec["expected"]["video_url"] is not None
