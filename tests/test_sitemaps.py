"""Sitemap spiders against the replica: backfill by date range, the completeness audit, updates.

Real ``scrapy crawl`` / ``scrapy audit`` processes, the replica on loopback, one data directory
per test shared by its runs (the incremental state every spider of it reads and writes).
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from datetime import date, datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import FAST, ROOT
from lxml import etree
from test_crawl import COMPARED

from alanews.errors import SpiderArgumentError
from alanews.pages.sitemap import parse_lastmod
from alanews.site import CATEGORIES, SITEMAP_INDEX_PATHS, post_sitemap_number
from alanews.spiders.arguments import SitemapArguments
from alanews.spiders.sitemaps import stored_bounds
from replica.harness import scrapy_stats

NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
ARTICLES = "100"
ENTRIES = "25"  # posts per sitemap file: 4 files
SPIDERS = {c.spider: c.path for c in CATEGORIES}


class Run:
    """One ``scrapy`` command against a replica, its items written with ``-o`` (incremental)."""

    def __init__(self, server, data: Path, *command: str, settings: dict | None = None):
        self.feed = data.parent / f"feed-{len(list(data.parent.glob('feed-*')))}.jsonl"
        cmd = [sys.executable, "-m", "scrapy", *command]
        if command[0] == "crawl":
            cmd += ["-o", str(self.feed)]
        for key, value in {"ALANEWS_BASE_URL": server.url, "ALANEWS_DATA_DIR": str(data), **FAST,
                           **(settings or {})}.items():
            cmd += ["-s", f"{key}={value}"]
        server.reset_stats()
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=240)
        self.returncode, self.log, self.stdout = proc.returncode, proc.stderr, proc.stdout
        self.stats = scrapy_stats(proc.stderr)
        self.served = server.stats()["by_kind"]
        self.paths = server.stats()["by_path"]
        # the post sitemap file numbered after the index's last, asked for when that one is full (a 404)
        numbered = {path: post_sitemap_number(path) for path in self.paths if post_sitemap_number(path)}
        after = len(server.sitemap_truth()["files"]) + 1 if numbered else None
        self.beyond = sum(self.paths[path] for path, n in numbered.items() if n == after)
        self.items = ([json.loads(line) for line in self.feed.read_text("utf-8").splitlines()]
                      if self.feed.exists() else [])

    def errors(self) -> list[str]:
        return [line for line in self.log.splitlines() if " ERROR: " in line]


def progress_lines(run: Run) -> list[str]:
    """The progress lines (alanews/progress.py) of a run, without their log prefix."""
    return [line.split("INFO: ", 1)[1] for line in run.log.splitlines() if "[alanews.progress] INFO: " in line]


def crawl(server, data, spider, *args, settings=None) -> Run:
    return Run(server, data, "crawl", spider, *[a for arg in args for a in ("-a", arg)], settings=settings)


def day_of(url: str) -> date:
    year, month, day = urlsplit(url).path.split("/")[1:4]
    return date(int(year), int(month), int(day))


def category_of(url: str) -> str:
    return "/".join(urlsplit(url).path.strip("/").split("/")[3:-1])


def index(server) -> list[tuple[str, datetime]]:
    """The post sitemap files of the replica's index, with their lastmod."""
    root = etree.fromstring(server.get("/sitemap_index.xml"))
    return [(s.findtext("s:loc", namespaces=NS).removeprefix(server.url),
             datetime.fromisoformat(s.findtext("s:lastmod", namespaces=NS)))
            for s in root.findall("s:sitemap", NS) if "/post-sitemap" in s.findtext("s:loc", namespaces=NS)]


def assert_as_truth(items: list[dict], truth: dict[str, dict], version: int = 1) -> None:
    for item in items:
        expected = truth[item["url"]]
        assert {f: item[f] for f in COMPARED} == {f: expected[f] for f in COMPARED}, item["url"]
        assert item["version"] == version


def state(data: Path) -> sqlite3.Connection:
    return sqlite3.connect(data / "deltafetch" / "state.sqlite")


def sitemap_requests(run: Run) -> int:
    """Sitemap requests, less the one for the post sitemap file after the last the index names (a 404:
    asked for when the last is full, whether the index leaves a file out)."""
    return run.served.get("sitemap", 0) - run.beyond


@pytest.fixture
def site(make_replica):
    return make_replica("--articles", ARTICLES, "--sitemap-entries", ENTRIES, "--unlisted", "6")


# --- backfill -------------------------------------------------------------------------------------

# --- backfill -------------------------------------------------------------------------------------

def test_backfill_of_a_range_is_its_truth_in_the_fewest_requests_and_nothing_is_written_twice(site, tmp_path):
    truth = site.truth()
    data = tmp_path / "data"
    since, until = date(2026, 7, 1), date(2026, 9, 30)
    expected = {url for url in truth if since <= day_of(url) <= until}
    related = {url for item in truth.values() for url in item["related_urls"]}
    assert {category_of(url) for url in expected} >= {"comunicati"} and expected - related  # no archive lists some
    needed = [path for path, _ in index(site)]  # every file: a lastmod does not bound a publication date

    first = crawl(site, data, "archive", f"since={since}", f"until={until}")
    assert first.returncode == 0 and first.errors() == [], first.log[-3000:]
    assert sorted(item["url"] for item in first.items) == sorted(expected)
    assert_as_truth(first.items, truth)
    # the index, every post sitemap file, one request per article; no listing page
    assert first.served == {"robots": first.served["robots"], "sitemap": 1 + len(needed) + 1, "article": len(expected),
                            "listing": 0, "other": 0}
    beyond = f"/post-sitemap{len(index(site)) + 1}.xml"  # asked for: whether the index leaves a file out (404)
    assert {p for p in first.paths if p.endswith(".xml")} == {"/sitemap_index.xml", *needed, beyond}
    # its progress, from the sitemaps' posts: every one done at close
    assert progress_lines(first)[-1].startswith(f"Progress: {len(expected)}/{len(expected)} articles (100.0 %), ")
    # no terminal: no bar
    assert first.stats["alanews/progress/total"] == len(expected) and " articles/s]" not in first.log

    esteri = crawl(site, data, "esteri")  # a category crawl after the backfill
    rest = crawl(site, data, "archive", "missing=1")  # after both: only what they had not written
    for run in (esteri, rest):
        assert run.returncode == 0 and run.errors() == [], run.log[-3000:]
    urls = [item["url"] for run in (first, esteri, rest) for item in run.items]
    assert len(urls) == len(set(urls)) and set(urls) == set(truth)
    assert esteri.items and esteri.stats["deltafetch/skipped"] > 0  # the backfill's esteri posts
    assert rest.served["article"] == len(rest.items) == len(truth) - len(first.items) - len(esteri.items)
    assert progress_lines(rest)[-1].startswith(f"Progress: {len(rest.items)}/{len(rest.items)} articles (100.0 %)")
    assert progress_lines(esteri) == []  # a category walk: no total known in advance
    assert "deltafetch/skipped" not in rest.stats  # the written ones not even requested
    assert_as_truth(rest.items, truth)


def test_sitemap_spider_arguments():
    assert SitemapArguments.from_kwargs({"since": "2026-06-01", "_job": "x"}, ("since", "until")) == \
        SitemapArguments(since=date(2026, 6, 1))
    for kwargs, message in (
            ({"since": "2026-09-01", "until": "2026-06-30"}, "since (2026-09-01) must not be after until"),
            ({"missing": "1", "since": "2026-06-01"}, "missing=1 takes the whole inventory"),
            ({"missing": "maybe"}, "missing must be 1 or 0 (true/false), got 'maybe'"),
            ({"until": ""}, "until must be an ISO date"),
            ({"max_pages": "3"}, "unknown spider argument 'max_pages'")):
        with pytest.raises(SpiderArgumentError, match=re.escape(message)):
            SitemapArguments.from_kwargs(dict(kwargs), ("since", "until", "missing"))


def test_what_a_sitemap_says():
    assert parse_lastmod("2026-11-20T16:23:00+00:00") == datetime(2026, 11, 20, 16, 23, tzinfo=timezone.utc)
    assert parse_lastmod("2026-11-20T17:23:00.5+01:00") == datetime(2026, 11, 20, 16, 23, 0, 500000, timezone.utc)
    assert parse_lastmod("2026-11-20T16:23:00Z") == parse_lastmod("2026-11-20T16:23:00")  # no offset: GMT
    assert parse_lastmod("2026-11-20") == datetime(2026, 11, 20, 23, 59, 59, 999999, timezone.utc)  # the day's end
    assert [parse_lastmod(v) for v in (None, "", "yesterday", "2026-13-01")] == [None] * 4
    # a year no post has: at datetime's limits the post's Rome day overflowed
    assert [parse_lastmod(v) for v in ("9999-12-31", "0001-01-01T00:00:00+05:00", "1970-01-01")] == [None] * 3
    assert [post_sitemap_number(f"https://x.it/{name}") for name in (
        "post-sitemap.xml", "post-sitemap12.xml", "wp-sitemap-posts-post-3.xml", "post-sitemap2.xml.gz",
        "page-sitemap.xml", "category-sitemap.xml", "wp-sitemap-posts-page-1.xml", "sitemap_index.xml")] == [
        1, 12, 3, 2, None, None, None, None]


# --- audit ----------------------------------------------------------------------------------------

def audit(server, data, *options) -> tuple[Run, dict]:
    run = Run(server, data, "audit", *options)
    reports = sorted((data / "audit").glob("*.json"), key=os.path.getmtime)
    return run, json.loads(reports[-1].read_text("utf-8"))


def test_the_audit_spider_run_by_scrapy_crawl_fails_as_scrapy_audit_does(site, tmp_path):
    """`scrapy crawl audit` (a Scrapyd job) with posts missing exits 3, like `scrapy audit`."""
    run = crawl(site, tmp_path / "data", "audit")
    assert run.returncode == 3, run.log[-3000:]
    assert f"Monitor failed: Audit: {len(site.truth())} posts are missing from the feeds" in run.log
    assert "data quality OK" not in run.log  # the verdict does not say OK before exit 3
    assert run.log.rstrip().splitlines()[-1].endswith("INFO: Exit status 3: finished, a monitor failed")


def test_audit_finds_missing_and_gone_posts_per_day_and_category_and_fetch_makes_it_clean(site, tmp_path):
    truth = site.truth()
    data = tmp_path / "data"
    walk = crawl(site, data, "alanews")  # every archive, every related post
    assert walk.returncode == 0, walk.log[-3000:]
    walked = sorted(item["url"] for item in walk.items)
    unlisted = set(truth) - set(walked)
    assert len(unlisted) == 6  # the posts no archive and no related block lists
    # articles the state lost (keys deleted): missing again
    lost = walked[::25]
    with state(data) as db:
        ids = [db.execute("SELECT article FROM keys WHERE key = ?", (url,)).fetchone()[0] for url in lost]
        db.executemany("DELETE FROM keys WHERE article = ?", [(i,) for i in ids])
        db.executemany("DELETE FROM articles WHERE id = ?", [(i,) for i in ids])
    missing = unlisted | set(lost)
    gone = truth[walked[3]]  # written, then taken down
    site.post(f"/__replica__/delete?post_id={gone['post_id']}")
    listed = set(truth) - {gone["url"]}

    run, report = audit(site, data)
    assert run.returncode == 3, run.log[-3000:]
    errors = run.errors()  # the Audit monitor's line, once
    assert len(errors) == 1 and "Monitor failed: Audit: " in errors[0] and "run `scrapy audit --fetch`" in errors[0]
    assert run.log.rstrip().splitlines()[-1].endswith("INFO: Exit status 3: posts are missing from the feeds")
    assert run.served["article"] == 0 and sitemap_requests(run) == 1 + len(index(site))
    assert progress_lines(run) == []  # nothing to fetch
    assert report["complete"] and report["totals"] == {
        "inventory": len(listed), "written": len(listed) - len(missing), "missing": len(missing),
        "missing_overdue": len(missing), "gone": 1, "fetched": 0}
    assert {m["url"] for m in report["missing"]} == missing
    days: dict[str, int] = {}
    for url in missing:
        days[day_of(url).isoformat()] = days.get(day_of(url).isoformat(), 0) + 1
    assert {day: c["missing"] for day, c in report["by_day"].items() if c["missing"]} == days
    for day, counts in report["by_day"].items():
        assert counts["inventory"] == sum(day_of(url).isoformat() == day for url in listed)
    assert report["by_category"]["comunicati"]["missing"] == 3
    # a deleted post: written but no longer in the inventory, recorded as removed
    assert [(g["url"], g["day"], g["category_path"]) for g in report["gone"]] == [
        (gone["url"], gone["published"][:10], gone["category_path"])]
    assert report["by_day"][gone["published"][:10]]["gone"] == 1 and report["gone"][0]["removed_at"]
    with state(data) as db:
        assert db.execute("SELECT removed_at FROM articles WHERE url = ?", (gone["url"],)).fetchone()[0]
    assert re.search(rf"^total +{len(listed)} +{len(listed) - len(missing)} +{len(missing)} +1$", run.stdout, re.M)

    fetch, report = audit(site, data, "--fetch")
    assert fetch.returncode == 0 and fetch.served["article"] == len(missing), fetch.log[-3000:]
    fetched = _feed_items(data, "audit")
    assert progress_lines(fetch)[-1].startswith(f"Progress: {len(missing)}/{len(missing)} articles (100.0 %)")
    assert sorted(item["url"] for item in fetched) == sorted(missing)
    assert_as_truth(fetched, site.truth())  # the related posts of some changed with the deletion
    clean, report = audit(site, data)
    assert clean.returncode == 0 and report["totals"]["missing"] == 0 and report["missing"] == []
    assert report["totals"]["gone"] == 1


def _feed_items(data: Path, spider: str) -> list[dict]:
    return [json.loads(line) for feed in (data / "feeds" / spider).glob("*.jsonl")
            for line in feed.read_text("utf-8").splitlines()]


# --- updates --------------------------------------------------------------------------------------

def test_updates_write_edited_articles_as_new_versions_and_record_deleted_ones(site, tmp_path):
    data = tmp_path / "data"
    assert crawl(site, data, "archive").returncode == 0
    files = index(site)
    first = crawl(site, data, "updates")  # no earlier run: every file read, nothing changed
    assert first.returncode == 0 and first.items == [] and first.served["article"] == 0
    assert sitemap_requests(first) == 1 + len(files) and progress_lines(first) == []  # none to fetch

    # edits of posts in the last two files (the third and fourth): the files before stay as they are
    truth = site.truth()
    third = etree.fromstring(site.get(files[2][0]))
    urls = [u.findtext("s:loc", namespaces=NS) for u in third.findall("s:url", NS)]
    listed = {url for path in SPIDERS.values() for url in site.archive(path)}
    # listed posts whose pages give a modified time
    timed = [url for url in urls if len(truth[url]["modified"] or "") > 10 and url in listed]
    retitled, extended, touched, deleted = (truth[url]["post_id"] for url in timed[2:6])
    for post_id, kind in ((retitled, "retitle"), (extended, "extend"), (touched, "touch")):
        site.post(f"/__replica__/edit?post_id={post_id}&kind={kind}")
    site.post(f"/__replica__/delete?post_id={deleted}")
    after = index(site)
    moved = [path for (path, lastmod), (_, before) in zip(after, files) if lastmod != before]
    assert moved == [files[2][0], files[3][0]]

    run = crawl(site, data, "updates")
    assert run.returncode == 0 and run.errors() == [], run.log[-3000:]
    assert sitemap_requests(run) == 1 + len(moved)  # a post went: the shifted files are read too
    assert "Posts gone from the sitemaps since the last run: 1;" in run.log
    assert run.served["article"] == 3 and run.served["listing"] == 0
    # the 3 edited pages and the deleted post's own page, asked once for proof (it answers 404, not served)
    assert progress_lines(run)[-1].startswith("Progress: 4/4 articles (100.0 %)")
    now = site.truth()
    assert sorted(item["post_id"] for item in run.items) == sorted([retitled, extended])
    assert_as_truth(run.items, now, version=2)
    assert next(i["title"] for i in run.items if i["post_id"] == retitled) != next(
        i["title"] for i in truth.values() if i["post_id"] == retitled)
    with state(data) as db:
        rows = dict(db.execute("SELECT post_id, version FROM articles WHERE post_id IN (?, ?, ?)",
                               (retitled, extended, touched)).fetchall())
        touched_modified, = db.execute("SELECT modified FROM articles WHERE post_id = ?", (touched,)).fetchone()
        removed_at, = db.execute("SELECT removed_at FROM articles WHERE post_id = ?", (deleted,)).fetchone()
    assert rows == {retitled: 2, extended: 2, touched: 1}
    assert touched_modified == next(i for i in now.values() if i["post_id"] == touched)["modified"]
    assert removed_at is not None and run.stats["alanews/updates/removed"] == 1

    again = crawl(site, data, "updates")  # nothing changed since: the last file only
    assert again.returncode == 0 and again.items == [] and again.served["article"] == 0
    assert "Item count (0 written + 0 skipped as known, none required)" in again.log  # not "at least 0"
    assert sitemap_requests(again) == 2
    # a page that answers 404 while a stale sitemap still lists it: removed, not an error
    stale = next(i for i in now.values() if i["post_id"] not in (retitled, extended, touched))
    site.post(f"/__replica__/edit?post_id={stale['post_id']}&kind=touch")
    site.post(f"/__replica__/delete?post_id={stale['post_id']}&stale_sitemaps=1")
    # the second run after the edits: writes nothing (a listed post's 404 removes it at once with 0 hours)
    again = crawl(site, data, "updates", settings={"ALANEWS_REMOVAL_CONFIRM_HOURS": "0"})
    assert again.returncode == 0 and again.errors() == [] and again.items == [], again.log[-3000:]
    # the touch shifted files, but no post left the listing: the index and the last file only
    assert sitemap_requests(again) == 2
    # one page request: the 404 (the replica counts a page it does not have as "other")
    assert again.served["article"] + again.served["other"] == 1 and again.paths[urlsplit(stale["url"]).path] == 1
    assert again.stats["alanews/updates/removed"] == 1 and "answers 404" in again.log
    # the category crawls and the backfill never write an old version again
    edited = next(i for i in now.values() if i["post_id"] == retitled)
    spider = next(name for name, path in SPIDERS.items() if path == edited["category_path"])
    later = crawl(site, data, spider)  # the backfill: test_backfill_..., its last run
    assert later.returncode == 0 and later.items == [], later.log[-3000:]
    assert later.stats["deltafetch/skipped"] >= 1


def test_updates_without_lastmod_refetch_only_young_articles(make_replica, tmp_path):
    server = make_replica("--articles", "40", "--sitemaps", "core", "--sitemap-entries", "15")
    data = tmp_path / "data"
    assert crawl(server, data, "archive").returncode == 0
    truth = list(server.truth().values())  # newest first
    # ALANEWS_UPDATES_MAX_AGE: the ten newest posts are young (the limit halfway to the eleventh;
    # a page that gives the publication day alone is as young as the end of that day)
    latest = sorted((stored_bounds(item["published"])[1] for item in truth), reverse=True)
    young = next(item for item in truth if stored_bounds(item["published"])[1] == latest[9])
    assert latest[9] > latest[10]
    limit = latest[10] + (latest[9] - latest[10]) / 2
    hours = (datetime.now(timezone.utc) - limit).total_seconds() / 3600
    for item in (young, truth[-1]):  # a young and an old post edited: only the young one is looked at
        server.post(f"/__replica__/edit?post_id={item['post_id']}&kind=retitle")
    run = crawl(server, data, "updates", settings={"ALANEWS_UPDATES_MAX_AGE": f"{hours:.3f}"})
    assert run.returncode == 0 and run.errors() == [], run.log[-3000:]
    assert "gives no lastmod" in run.log
    assert sitemap_requests(run) == 1 + 3 and run.served["article"] == 10
    assert [(item["post_id"], item["version"]) for item in run.items] == [(young["post_id"], 2)]


def test_crontab_runs_the_updates_every_four_hours_and_the_audit_daily():
    lines = [line for line in (ROOT / "deploy" / "crontab").read_text().splitlines()
             if line.strip() and not line.startswith("#") and "=" not in line.split()[0]]
    updates = [line.split() for line in lines if line.split()[6:7] == ["updates"]]
    assert [entry[1:6] for entry in updates] == [["*/4", "*", "*", "*", '"$ALANEWS_HOME/deploy/schedule.py"']]
    audit = [line for line in lines if "scrapy audit" in line]
    assert len(audit) == 1 and audit[0].split()[1:5] == ["5", "*", "*", "*"]
    assert '-s ALANEWS_DATA_DIR="$ALANEWS_DATA_DIR"' in audit[0] and audit[0].endswith('|| cat "$ALANEWS_AUDIT_OUT"')


def test_a_sitemap_index_entry_that_is_no_url_is_skipped_with_a_line_and_a_stat(caplog):
    """One unparsable ``<loc>`` in the index (an unclosed IPv6 bracket) costs that entry only,
    not the index: the post sitemaps it lists beside it are still read."""
    from scrapy.utils.sitemap import Sitemap
    from scrapy.utils.test import get_crawler

    from alanews.spiders.sitemaps import ArchiveSpider

    crawler = get_crawler(ArchiveSpider, {"ALANEWS_BASE_URL": "https://www.alanews.it"})
    crawler._apply_settings()  # the stats collector, as a crawl builds it
    spider = ArchiveSpider.from_crawler(crawler)
    spider._parsing = "https://www.alanews.it/sitemap_index.xml"
    index = Sitemap(b"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>http://[::1/post-sitemap.xml</loc></sitemap>
<sitemap><loc>https://www.alanews.it/post-sitemap2.xml</loc><lastmod>2026-11-01T10:00:00+00:00</lastmod></sitemap>
<sitemap><loc>https://www.alanews.it:99999/post-sitemap3.xml</loc></sitemap>
</sitemapindex>""")
    assert list(spider.sitemap_filter(index)) == [{"loc": "https://www.alanews.it/post-sitemap2.xml"}]
    assert crawler.stats.get_value("alanews/sitemap/not_url") == 2
    assert len([r for r in caplog.records if "which is not a URL" in r.getMessage()]) == 2


def test_a_robots_txt_sitemap_line_that_is_no_url_is_skipped_with_a_line_and_a_stat(caplog):
    """It failed the robots.txt callback: neither the sitemap named beside it nor the usual
    index paths were read, and the crawl found nothing."""
    from scrapy.http import Request, TextResponse
    from scrapy.utils.test import get_crawler

    from alanews.spiders.sitemaps import ArchiveSpider

    crawler = get_crawler(ArchiveSpider, {"ALANEWS_BASE_URL": "https://www.alanews.it"})
    crawler._apply_settings()
    spider = ArchiveSpider.from_crawler(crawler)

    def named(body: bytes) -> list[str]:
        url = "https://www.alanews.it/robots.txt"
        robots = TextResponse(url, body=body, request=Request(url, meta={"alanews_fallbacks": SITEMAP_INDEX_PATHS}))
        return [request.url for request in spider.parse_robots(robots)]

    assert named(b"User-agent: *\nSitemap: http://[::1/sitemap.xml\nSitemap: https://www.alanews.it:99999/s.xml\n"
                 b"Sitemap: /sitemap_index.xml\n") == ["https://www.alanews.it/sitemap_index.xml"]
    # none left: the usual paths
    assert named(b"Sitemap: //[::1/sitemap.xml\n") == ["https://www.alanews.it/sitemap_index.xml"]
    assert crawler.stats.get_value("alanews/sitemap/not_url") == 3
    assert len([r for r in caplog.records if "which is not a URL" in r.getMessage()]) == 3


def test_a_post_the_last_run_listed_with_a_lastmod_that_is_no_date_is_kept_not_removed(tmp_path, caplog):
    """Read back from the memory while a post had gone, it raised TypeError in ``closed``: nothing was
    remembered and no removal recorded, run after run. Now it is kept as listed (its file cannot be told)
    and only the post gone is requested again."""
    from inprocess import close, crawler_for

    from alanews.pages.sitemap import entry
    from alanews.spiders.sitemaps import UpdatesSpider
    from alanews.state import Written

    base = "https://www.alanews.it"
    crawler = crawler_for(UpdatesSpider, tmp_path / "state")
    spider = crawler.spider
    store = spider.store
    read, undated, dated, gone = (f"{base}/2026/01/0{day}/esteri/post-{day}/" for day in (1, 2, 3, 4))
    store.record([Written.of({"url": url, "post_id": None}, "esteri") for url in (read, undated, dated, gone)])
    spider.post_files = [(f"{base}/post-sitemap.xml", parse_lastmod("2026-01-03T00:00:00Z")),
                         (f"{base}/post-sitemap2.xml", parse_lastmod("2026-01-05T00:00:00Z"))]
    spider.files_chosen = {f"{base}/post-sitemap2.xml"}  # the first file, not moved, was not read
    spider.listed = {read: "2026-01-05T00:00:00Z"}
    spider.inventory = {read: entry({"loc": read, "lastmod": "2026-01-05T00:00:00Z"}, base)}
    spider.memory = {"posts": {read: "2026-01-01T00:00:00Z", undated: "ieri", dated: "2026-01-02T00:00:00Z",
                               gone: "2026-01-04T00:00:00Z"}}
    urls = spider.listed_urls()
    assert set(spider.now) == {read, undated, dated}
    # the one not listed is requested at idle: its 404/410 is the proof of its removal
    assert [r.url for r in spider.unlisted(urls)] == [gone]
    assert crawler.stats.get_value("alanews/updates/undated_kept") == 1
    assert "1 posts listed by the last run and not read now have no lastmod that is a date" in caplog.text
    close(crawler)


def test_a_lastmod_at_datetimes_limits_costs_no_post_of_its_sitemap(caplog):
    """``9999-12-31`` on a post without a dated permalink: its Rome day overflowed and the
    whole post sitemap file failed; now that lastmod is taken as missing, with a line and a stat."""
    from scrapy.utils.sitemap import Sitemap
    from scrapy.utils.test import get_crawler

    from alanews.spiders.sitemaps import ArchiveSpider

    crawler = get_crawler(ArchiveSpider, {"ALANEWS_BASE_URL": "https://www.alanews.it"})
    crawler._apply_settings()
    spider = ArchiveSpider.from_crawler(crawler, since="2026-01-01")
    spider._parsing = "https://www.alanews.it/post-sitemap.xml"
    posts = Sitemap(b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>https://www.alanews.it/chi-siamo/</loc><lastmod>9999-12-31</lastmod></url>
<url><loc>https://www.alanews.it/contatti/</loc><lastmod>0001-01-01T00:00:00+01:00</lastmod></url>
<url><loc>https://www.alanews.it/2026/11/01/esteri/uno/</loc><lastmod>2026-11-01T10:00:00+00:00</lastmod></url>
</urlset>""")
    assert list(spider.sitemap_filter(posts)) == [{"loc": "https://www.alanews.it/2026/11/01/esteri/uno/"}]
    assert crawler.stats.get_value("alanews/sitemap/bad_lastmod") == 2
    assert "gives 2 lastmod(s) that are no date, taken as missing: '9999-12-31', '0001-01-01T00:00:00+01:00'" in (
        caplog.text)
