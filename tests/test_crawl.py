"""Real `scrapy crawl` processes against the replica, compared with its truth field by field."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import pytest
from conftest import ROOT, run_crawl

COMPARED = [
    "url", "title", "subtitle", "author", "published", "modified", "category", "category_path",
    "tags", "body", "image_url", "image_caption", "video_url", "related_urls", "post_id", "language",
]


def _category_path(url: str) -> str:
    return "/".join(urlsplit(url).path.strip("/").split("/")[3:-1])


def assert_items_match_truth(items: list[dict], truth: dict[str, dict], expected_urls: set[str]):
    urls = [item["url"] for item in items]
    assert len(urls) == len(set(urls)), "duplicate articles in the feed"
    assert set(urls) - expected_urls == set(), "articles that should not be there"
    assert expected_urls - set(urls) == set(), "missing articles"
    now = datetime.now(timezone.utc)
    for item in items:
        expected = truth[item["url"]]
        wrong = {f: (item[f], expected[f]) for f in COMPARED if item[f] != expected[f]}
        assert wrong == {}, item["url"]
        scraped = datetime.fromisoformat(item["scraped_at"])
        assert scraped.utcoffset() == timedelta(0) and now - scraped < timedelta(hours=1)


@pytest.fixture(scope="module")
def truth(replica):
    return replica.truth()


def test_esteri_emits_every_article_of_its_archive_with_every_field_right(replica, truth, tmp_path):
    crawl = run_crawl("esteri", replica.url, tmp_path)
    assert crawl.returncode == 0, crawl.log[-3000:]
    expected = set(replica.archive("esteri"))
    assert len(expected) > 20  # several listing pages
    assert_items_match_truth(crawl.items, truth, expected)
    # cross-listed posts of other categories are part of the archive and emitted as such
    assert {item["category_path"] for item in crawl.items} - {"esteri"}
    assert crawl.stats.get("alanews/listing/pages", 0) >= 3
    # the JNews layout: every page read from its region, none parsed whole
    assert "alanews/listing/whole_page" not in crawl.stats and "alanews/article/whole_page" not in crawl.stats
    assert "spider_exceptions" not in str(crawl.stats)


@pytest.mark.parametrize("spider, path", [("video", "cronaca/video"), ("calcio", "sport/calcio")])
def test_child_category_spider(replica, truth, tmp_path, spider, path):
    crawl = run_crawl(spider, replica.url, tmp_path)
    assert crawl.returncode == 0, crawl.log[-3000:]
    assert_items_match_truth(crawl.items, truth, set(replica.archive(path)))


def test_alanews_emits_the_whole_site_once(replica, truth, tmp_path):
    crawl = run_crawl("alanews", replica.url, tmp_path)
    assert crawl.returncode == 0, crawl.log[-3000:]
    assert_items_match_truth(crawl.items, truth, set(truth))
    assert crawl.stats.get("item_scraped_count") == len(truth)


def _first_page(replica, path):
    return replica.archive(path)[:10]


def test_category_spider_follows_related_posts_of_its_own_category_only(replica, truth, tmp_path):
    listed = _first_page(replica, "esteri")
    related = {url for a in listed for url in truth[a]["related_urls"]}
    own = {url for url in related if _category_path(url) == "esteri" or _category_path(url).startswith("esteri/")}
    assert related - own, "the replica's related blocks should reach other categories"
    crawl = run_crawl("esteri", replica.url, tmp_path, "max_pages=1")
    assert crawl.returncode == 0, crawl.log[-3000:]
    assert_items_match_truth(crawl.items, truth, set(listed) | own)
    assert crawl.stats.get("alanews/related/other_category", 0) > 0


def test_alanews_follows_related_posts_of_every_category(replica, truth, tmp_path):
    paths = ["cronaca", "politica", "economia", "esteri", "sport", "sport/calcio", "spettacoli",
             "salute", "tecnologia", "cultura", "ambiente", "cronaca/video"]
    listed = {url for path in paths for url in _first_page(replica, path)}
    related = {url for a in listed for url in truth[a]["related_urls"]}
    crawl = run_crawl("alanews", replica.url, tmp_path, "max_pages=1")
    assert crawl.returncode == 0, crawl.log[-3000:]
    assert_items_match_truth(crawl.items, truth, listed | related)


def test_related_depth_zero_emits_only_the_listing(replica, truth, tmp_path):
    crawl = run_crawl("esteri", replica.url, tmp_path, "max_pages=1", "related_depth=0")
    assert crawl.returncode == 0, crawl.log[-3000:]
    assert_items_match_truth(crawl.items, truth, set(_first_page(replica, "esteri")))


def test_since_skips_older_articles_and_the_pages_holding_only_them(replica, truth, tmp_path):
    archive = replica.archive("esteri")
    since = truth[archive[14]]["url"].split("/")[3:6]  # the 15th newest post's day: on page 2
    since = "-".join(since)
    expected = {url for url in archive if "-".join(url.split("/")[3:6]) >= since}
    crawl = run_crawl("esteri", replica.url, tmp_path, f"since={since}", "related_depth=0")
    assert crawl.returncode == 0, crawl.log[-3000:]
    assert_items_match_truth(crawl.items, truth, expected)
    pages_holding_them = -(-len(expected) // 10)
    assert crawl.stats["alanews/listing/pages"] <= pages_holding_them + 1
    assert crawl.stats["alanews/listing/pages"] < -(-len(archive) // 10)


@pytest.mark.parametrize("argument, message", [
    ("max_pages=abc", "max_pages must be a positive integer, got 'abc'"),
    ("max_pages=0", "max_pages must be a positive integer, got '0'"),
    ("since=yesterday", "since must be an ISO date like 2026-09-01, got 'yesterday'"),
    ("related_depth=-1", "related_depth must be 0 or a positive integer, got '-1'"),
])
def test_bad_spider_argument_is_a_clear_error(replica, tmp_path, argument, message):
    crawl = run_crawl("esteri", replica.url, tmp_path, argument)
    assert crawl.returncode != 0
    assert message in crawl.log
    assert crawl.items == []


def test_without_o_the_feed_lands_in_the_data_dir(replica, truth, tmp_path):
    crawl = run_crawl("esteri", replica.url, tmp_path, "max_pages=1", "related_depth=0", feed=False)
    assert crawl.returncode == 0, crawl.log[-3000:]
    feeds = list((tmp_path / "data" / "feeds" / "esteri").glob("*.jsonl"))
    assert len(feeds) == 1
    lines = feeds[0].read_text("utf-8").splitlines()
    assert len(lines) == 10
    assert "“" in feeds[0].read_text("utf-8") or "à" in feeds[0].read_text("utf-8")  # UTF-8, not \u escapes


def test_scrapy_list_shows_the_seventeen_spiders():
    out = subprocess.run([sys.executable, "-m", "scrapy", "list"], cwd=ROOT, capture_output=True, text=True)
    assert out.stdout.split() == sorted([
        "alanews", "ambiente", "calcio", "cronaca", "cultura", "economia", "esteri", "politica",
        "salute", "spettacoli", "sport", "tecnologia", "video", "latest", "archive", "updates", "audit"])


def test_polite_by_default():
    def get(name):
        out = subprocess.run([sys.executable, "-m", "scrapy", "settings", "--get", name],
                             cwd=ROOT, capture_output=True, text=True)
        return out.stdout.strip()
    assert get("ROBOTSTXT_OBEY") == "True"
    assert get("AUTOTHROTTLE_ENABLED") == "True"
    assert float(get("DOWNLOAD_DELAY")) >= 1
    assert "alanews" in get("USER_AGENT") and "Scrapy" not in get("USER_AGENT")
    assert get("ALANEWS_BASE_URL") == "https://www.alanews.it"


def test_crawl_reads_robots_txt_and_stays_on_the_site(replica, tmp_path):
    crawl = run_crawl("esteri", replica.url, tmp_path, "max_pages=1")
    assert crawl.stats.get("robotstxt/request_count") == 1
    assert crawl.stats.get("alanews/offsite/dropped", 0) == 0
    host = urlsplit(replica.url).netloc
    assert all(urlsplit(item["url"]).netloc == host for item in crawl.items)


def test_offline_demo_command_from_the_readme(tmp_path):
    readme = (ROOT / "README.md").read_text("utf-8")
    command = next(line.strip() for line in readme.splitlines() if line.strip().startswith("python -m replica.demo"))
    out = tmp_path / "esteri.jsonl"
    proc = subprocess.run(command.replace("esteri.jsonl", str(out)), shell=True, cwd=ROOT,  # noqa: S602 the README's line, as a user's shell runs it
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")})
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = out.read_text("utf-8").splitlines()
    assert len(lines) > 20
    # -O: a snapshot, the incremental state neither read nor written (the real crawls' data/ is not touched)
    assert f"deltafetch: snapshot run (-O overwrites {out})" in proc.stderr
    assert "articles known in" not in proc.stderr


@pytest.mark.parametrize("argument", ["name=../../escaped", "allowed_domains=evil.example", "maxpages=2"])
def test_unknown_spider_argument_is_refused_before_any_file_is_written(replica, tmp_path, argument):
    crawl = run_crawl("esteri", replica.url, tmp_path, argument, feed=False)
    assert crawl.returncode != 0
    assert f"unknown spider argument '{argument.split('=')[0]}'" in crawl.log
    assert not (tmp_path / "data").exists() and not (tmp_path.parent / "escaped").exists()


def test_spider_callbacks_return_no_value():
    """WARN_ON_GENERATOR_RETURN_VALUE is off (Scrapy re-parses a callback's source on every
    response for it): the check Scrapy would make, made once here on every callback."""
    from scrapy.utils.misc import is_generator_with_return_value

    from alanews.spiders.base import CategorySpider

    callbacks = [getattr(CategorySpider, name) for name in dir(CategorySpider)
                 if name.startswith("parse") and callable(getattr(CategorySpider, name))]
    assert len(callbacks) >= 2
    assert [c.__name__ for c in callbacks if is_generator_with_return_value(c)] == []
