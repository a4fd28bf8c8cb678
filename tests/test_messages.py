"""What a run says names what the user gave, not internals: the incremental spiders refuse a
snapshot saying what to use instead; one name for the JSON Lines format."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import ROOT
from inprocess import close, crawler_for

from alanews.errors import NotStarting
from alanews.exitcodes import ExitStatus
from alanews.ledger import ArticleLedger
from alanews.spiders.categories import EsteriSpider
from alanews.spiders.latest import LatestSpider
from alanews.spiders.sitemaps import ArchiveSpider, AuditSpider, UpdatesSpider
from alanews.summary import summary_path


@pytest.mark.parametrize("spidercls", [UpdatesSpider, AuditSpider, LatestSpider], ids=lambda c: c.name)
def test_an_incremental_spider_refuses_a_snapshot_saying_to_use_o(tmp_path, spidercls):
    feed = tmp_path / "upd.jsonl"
    with pytest.raises(NotStarting) as caught:
        crawler_for(spidercls, tmp_path / "state", {"FEEDS": {str(feed): {"format": "jsonl", "overwrite": True}}})
    assert str(caught.value) == (f"{spidercls.name} is incremental by nature (it writes what the state lacks), "
                                 f"use -o FILE or the default feeds: -O overwrites {feed}")
    assert "DELTAFETCH_ENABLED" not in str(caught.value)
    with pytest.raises(NotStarting, match=r"incremental by nature.*use -o.*: -a incremental=0$"):
        crawler_for(spidercls, tmp_path / "state", incremental="0")
    with pytest.raises(NotStarting, match=r"incremental by nature.*: DELTAFETCH_ENABLED is off$"):
        crawler_for(spidercls, tmp_path / "state", {"DELTAFETCH_ENABLED": False})
    # -a incremental=1 does not make -O append: each run would replace what the one before wrote
    with pytest.raises(NotStarting, match=rf"incremental by nature.*: -O overwrites {feed}$"):
        crawler_for(spidercls, tmp_path / "state", {"FEEDS": {str(feed): {"format": "jsonl", "overwrite": True}}},
                    incremental="1")


def test_archive_makes_a_snapshot_of_its_range(tmp_path):
    crawler = crawler_for(ArchiveSpider, tmp_path / "state", {"FEEDS": {str(tmp_path / "a.jsonl"): {"overwrite": True}}})
    close(crawler)


@pytest.mark.parametrize("feeds", [{"x.jsonl": {"format": "jsonl"}},
                                   {"x.jl": {"format": "jl"}, "x.csv": {"format": "csv"}}])
def test_o_jsonl_and_the_default_feeds_name_the_format_alike(tmp_path, feeds):
    feeds = {str(tmp_path / uri): options for uri, options in feeds.items()}
    crawler = crawler_for(EsteriSpider, tmp_path / "state", {"FEEDS": feeds})
    close(crawler)
    formats = {uri: options["format"] for uri, options in crawler.settings.getdict("FEEDS").items()}
    assert formats == {uri: "jsonlines" if options["format"] in ("jsonl", "jl") else options["format"]
                       for uri, options in feeds.items()}
    default = crawler_for(EsteriSpider, tmp_path / "state2")
    close(default)
    assert [o["format"] for o in default.settings.getdict("FEEDS").values()] == ["jsonlines"]


@pytest.mark.parametrize(("feeds", "summaries"), [
    (["t.json", "t.csv"], ["t.json.summary.json", "t.csv.summary.json"]),
    (["out.jsonl", "file:///srv/out.xml"], ["out.jsonl.summary.json", "/srv/out.xml.summary.json"]),
])
def test_each_feed_has_its_own_summary_file(feeds, summaries):
    assert [str(summary_path(feed)) for feed in feeds] == summaries
    assert summary_path("s3://bucket/t.json") is None


@pytest.mark.parametrize("url", ["{replica}/category/esteri/", "http://example.invalid/2026/01/02/esteri/a-post/"],
                         ids=["replica-without-its-base-url", "another-host"])
def test_scrapy_parse_says_when_the_url_is_off_the_base_url_and_which_setting_to_pass(replica, url):
    url = url.format(replica=replica.url)
    proc = subprocess.run([sys.executable, "-m", "scrapy", "parse", url, "--spider", "esteri"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == ExitStatus.NOT_STARTED
    errors = [line.split("] ERROR: ", 1)[1] for line in proc.stderr.splitlines() if "] ERROR: " in line]
    host = url.split("/")[2]
    assert errors == [f"Not started: {url} is not on https://www.alanews.it (ALANEWS_BASE_URL); to parse a page "
                      f"of that site, add -s ALANEWS_BASE_URL=http://{host}"]
    assert "No response downloaded" not in proc.stderr and "Spider opened" not in proc.stderr


def test_only_an_incremental_crawl_takes_the_spiders_lock_as_the_docs_say(tmp_path):
    """docs/operations.md, docs/reliability.md, the README's exit table: a snapshot runs beside it."""
    from alanews.ledger import SpiderLocked

    running = crawler_for(EsteriSpider, tmp_path / "state")
    try:
        snapshot = crawler_for(EsteriSpider, tmp_path / "state", {"FEEDS": {str(tmp_path / "s.jsonl"): {"overwrite": True}}})
        full = crawler_for(EsteriSpider, tmp_path / "state", incremental="0")
        assert [c.get_extension(ArticleLedger)._lock_file for c in (snapshot, full)] == [None, None]
        with pytest.raises(SpiderLocked):
            crawler_for(EsteriSpider, tmp_path / "state")
    finally:
        close(running)
