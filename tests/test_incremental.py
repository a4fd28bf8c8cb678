"""Incremental recrawls (alanews.incremental): real `scrapy crawl` runs sharing one state.

Each test has its own replica (they publish articles) and one ALANEWS_DATA_DIR shared by
its runs; every run writes its feed in its own work directory.
"""

from __future__ import annotations

import json
import math
import os
import signal
from pathlib import Path

import pytest
from conftest import ROOT, BackgroundCrawl, Crawl, publish_in_archive, run_crawl

SPIDER = "esteri"
PER_PAGE = 10


# --- helpers -----------------------------------------------------------------------------

def crawl(replica, data_dir: Path, workdir: Path, *args: str, settings: dict | None = None, **kw) -> Crawl:
    """A `scrapy crawl esteri` run whose state lives in ``data_dir``; asserts it finished."""
    result = run_crawl(SPIDER, replica.url, workdir, *args,
                       settings={"ALANEWS_DATA_DIR": str(data_dir), **(settings or {})}, **kw)
    assert result.returncode == 0, result.log[-3000:]
    assert "Traceback" not in result.log, result.log[-3000:]
    return result


def urls(items: list[dict]) -> list[str]:
    return [item["url"] for item in items]


def Background(replica, data_dir: Path, workdir: Path, *args: str, **kw) -> BackgroundCrawl:
    return BackgroundCrawl(SPIDER, replica.url, workdir, data_dir, *args, **kw)


# --- tests -------------------------------------------------------------------------------

def test_no_change_recrawl_fetches_one_listing_page_and_no_article(make_replica, tmp_path):
    replica = make_replica("--articles", "120", "--seed", "11")
    data = tmp_path / "data"
    archive = replica.archive(SPIDER)
    assert len(archive) > 2 * PER_PAGE
    first = crawl(replica, data, tmp_path / "run1")
    assert sorted(urls(first.items)) == sorted(archive)
    assert first.stats["deltafetch/stored"] == len(archive)
    assert f"deltafetch: 0 articles known in {data.resolve()}/deltafetch/state.sqlite" in first.log
    assert f"deltafetch: incremental run (the feeds are appended to): {len(archive)} fetched, 0 skipped as known," \
        in first.log
    # each article is requested once, however many links lead to it (listings, hero, related)
    assert "dupefilter/filtered" not in first.stats

    replica.reset_stats()
    second = crawl(replica, data, tmp_path / "run2")
    assert second.items == []
    by_kind = replica.stats()["by_kind"]
    assert by_kind["article"] == 0
    assert by_kind["robots"] <= 1 and by_kind["listing"] == 1
    assert second.stats["deltafetch/early_stop"] == 1
    assert "deltafetch/stored" not in second.stats
    assert f"deltafetch: {len(archive)} articles known in" in second.log
    assert f"deltafetch: incremental run (the feeds are appended to): 0 fetched, " \
           f"{second.stats['deltafetch/skipped']} skipped as known, 0 stored, 0 not recorded, {len(archive)} known" \
           in second.log
    assert "early stop in esteri at page 1" in second.log


def _listing_pages_walked(k: int, archive_size: int, rule: str) -> int:
    """Listing pages a recrawl reads after ``k`` new posts opened an archive of ``archive_size``."""
    if rule == "oldest_known":  # the pages holding them; one more only when they fill their last page
        return k // PER_PAGE + 1
    if rule == "all_known":  # the pages holding them, plus the first one whose main list is all known
        return math.ceil(k / PER_PAGE) + 1
    return math.ceil(archive_size / PER_PAGE)  # "off"


@pytest.mark.parametrize("k, seed, rule", [
    (3, 12, "oldest_known"), (13, 13, "oldest_known"), (10, 17, "oldest_known"),
    (3, 25, "all_known"), (3, 19, "off"),
])
def test_recrawl_after_k_new_articles_emits_exactly_them(make_replica, tmp_path, k, seed, rule):
    replica = make_replica("--articles", "120", "--seed", str(seed))
    data = tmp_path / "data"
    settings = {"DELTAFETCH_EARLY_STOP": rule}
    old = crawl(replica, data, tmp_path / "run1", settings=settings)
    assert sorted(urls(old.items)) == sorted(replica.archive(SPIDER))
    new = publish_in_archive(replica, k)
    assert replica.archive(SPIDER)[:k] == new  # newest first: they open the archive

    replica.reset_stats()
    recrawl = crawl(replica, data, tmp_path / "run2", settings=settings)
    assert sorted(urls(recrawl.items)) == sorted(new)
    truth = replica.truth()
    assert all(item["title"] == truth[item["url"]]["title"] for item in recrawl.items)
    stats = replica.stats()
    assert stats["by_kind"]["article"] == k
    total = math.ceil(len(replica.archive(SPIDER)) / PER_PAGE)
    pages = _listing_pages_walked(k, len(replica.archive(SPIDER)), rule)
    assert rule == "off" or pages < total, "an archive too short to show an early stop"
    # every page but the last is read again once the next one was read (no overlap: nothing shifted)
    assert stats["by_kind"]["listing"] == pages + (pages - 1)
    assert recrawl.stats.get("alanews/listing/rechecked", 0) == pages - 1
    assert "alanews/listing/shifted" not in recrawl.stats
    listed = {p for p in stats["by_path"] if p.startswith("/category/")}
    assert listed == {"/category/esteri/"} | {f"/category/esteri/page/{n}/" for n in range(2, pages + 1)}
    assert recrawl.stats.get("deltafetch/early_stop", 0) == (rule != "off")
    assert recrawl.stats["deltafetch/stored"] == k


@pytest.mark.parametrize("when", ["early", "mid", "late"])
def test_sigkill_then_recrawl_loses_no_article(make_replica, tmp_path, when):
    replica = make_replica("--articles", "120", "--seed", "14")
    data = tmp_path / "data"
    archive = set(replica.archive(SPIDER))
    at = {"early": 1, "mid": len(archive) // 2, "late": len(archive) - 4}[when]
    killed = Background(replica, data, tmp_path / "run1", settings={"CONCURRENT_REQUESTS_PER_DOMAIN": "4"})
    killed.wait_for(lambda: len(killed.lines()) >= at)
    killed.kill()
    assert killed.process.returncode == -signal.SIGKILL, "the crawl ended before the kill"
    first = killed.items()  # whole lines only: each item reaches the OS in one write
    assert len(first) >= at

    second = crawl(replica, data, tmp_path / "run2")
    assert "deltafetch/early_stop" not in second.stats  # the killed walk was not complete
    both = urls(first) + urls(second.items)
    assert set(both) == archive
    # an article is emitted twice only if the kill fell between its feed line and its key
    duplicates = len(both) - len(set(both))
    assert duplicates <= 1

    third = crawl(replica, data, tmp_path / "run3")
    assert third.items == [] and third.stats["deltafetch/early_stop"] == 1


def test_killed_walk_is_walked_again_so_new_articles_on_page_2_are_found(make_replica, tmp_path):
    replica = make_replica("--articles", "120", "--seed", "15")
    data = tmp_path / "data"
    crawl(replica, data, tmp_path / "run1")
    new = publish_in_archive(replica, 13)  # 10 on page 1, 3 on page 2
    on_page_1, on_page_2 = new[:PER_PAGE], new[PER_PAGE:]

    # one request at a time, no related posts: page 1's articles are written before page 2 is read
    killed = Background(replica, data, tmp_path / "run2", "related_depth=0",
                        settings={"CONCURRENT_REQUESTS": "1"})
    killed.wait_for(lambda: set(on_page_1) <= {json.loads(line)["url"] for line in killed.lines(complete=True)})
    killed.kill()
    assert killed.process.returncode == -signal.SIGKILL, "the crawl ended before the kill"
    first = urls(killed.items())
    assert set(on_page_2) - set(first), "the kill came too late to test anything"

    # page 1 is now all known; a recrawl that trusted it would stop there and miss page 2
    recrawl = crawl(replica, data, tmp_path / "run3")
    assert set(first) | set(urls(recrawl.items)) == set(new)
    assert set(on_page_2) - set(first) <= set(urls(recrawl.items))
    assert "deltafetch/early_stop" not in recrawl.stats


def test_second_concurrent_run_refuses_to_start_and_the_first_completes(make_replica, tmp_path):
    replica = make_replica("--articles", "120", "--seed", "16")
    data = tmp_path / "data"
    archive = replica.archive(SPIDER)
    # the first crawl waits 10 minutes between two requests: it surely runs while the second starts
    first = Background(replica, data, tmp_path / "run1", settings={"DOWNLOAD_DELAY": "600",
                                                                   "CONCURRENT_REQUESTS_PER_DOMAIN": "1"})
    first.wait_for(lambda: "deltafetch: 0 articles known" in first.log())

    second = run_crawl(SPIDER, replica.url, tmp_path / "run2", settings={"ALANEWS_DATA_DIR": str(data)})
    assert first.process.poll() is None, "the first crawl ended before the second started"
    assert second.returncode != 0
    lock = data.resolve() / "deltafetch" / f"{SPIDER}.lock"
    message = f"ERROR: Not started: Another crawl of {SPIDER} is running (lock {lock}); not starting"
    assert second.log.count(message) == 1 and "Traceback" not in second.log
    assert not second.feed.exists()
    assert "Spider opened" not in second.log

    first.kill()  # it was unharmed by the refusal; ended now, the next run writes the rest
    rest = crawl(replica, data, tmp_path / "rest")
    assert rest.returncode == 0 and sorted(urls(first.items()) + urls(rest.items)) == sorted(archive)
    third = crawl(replica, data, tmp_path / "run3")
    assert third.items == []


def test_deltafetch_reset(make_replica, tmp_path):
    replica = make_replica("--articles", "120", "--seed", "17")
    data = tmp_path / "data"
    archive = sorted(replica.archive(SPIDER))
    assert sorted(urls(crawl(replica, data, tmp_path / "run1").items)) == archive
    assert crawl(replica, data, tmp_path / "run2", "deltafetch_reset=0").items == []
    reset = crawl(replica, data, tmp_path / "run3", "deltafetch_reset=1")
    assert sorted(urls(reset.items)) == archive
    assert "deltafetch: reset: the state is not read by this run" in reset.log
    by_setting = crawl(replica, data, tmp_path / "run5", settings={"DELTAFETCH_RESET": "True"})
    assert sorted(urls(by_setting.items)) == archive


def test_deltafetch_works_outside_the_project_directory(make_replica, tmp_path):
    replica = make_replica("--articles", "60", "--seed", "18")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {"SCRAPY_SETTINGS_MODULE": "alanews.settings", "PYTHONPATH": str(ROOT)}
    archive = sorted(replica.archive(SPIDER))
    logs = []
    for run in ("run1", "run2"):
        # relative ALANEWS_DATA_DIR: resolved against the working directory, like Scrapyd's
        job = Background(replica, Path("data"), tmp_path / run, cwd=elsewhere, env=env)
        assert job.wait() == 0, job.log()[-3000:]
        logs.append((job.items(), job.stats(), job.log()))
    (items1, stats1, log1), (items2, stats2, log2) = logs
    assert sorted(urls(items1)) == archive and stats1["deltafetch/stored"] == len(archive)
    assert f"deltafetch: 0 articles known in {elsewhere.resolve()}/data/deltafetch/state.sqlite" in log1
    assert (elsewhere / "data" / "deltafetch" / "state.sqlite").exists()
    assert items2 == [] and stats2["deltafetch/early_stop"] == 1


def test_key_is_stored_only_after_the_feed_line_reached_the_os(make_replica, tmp_path):
    replica = make_replica("--articles", "60", "--seed", "19")
    env = {"PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'tests'}"}

    def checked(run: str, **settings) -> Crawl:
        workdir = tmp_path / run
        result = crawl(replica, tmp_path / run / "data", workdir, env=env, settings={
            "EXTENSIONS": json.dumps({"record_check.RecordCheck": 0, "alanews.feeds.FeedExporter": 0,
                                      "alanews.ledger.ArticleLedger": 10,
                                      "scrapy.extensions.feedexport.FeedExporter": None}),
            "CHECK_FEED": str(workdir / f"{SPIDER}.jsonl"), **settings})
        assert len(result.items) > 0
        return result

    ours = checked("ours").stats
    assert ours["check/stored"] == ours["item_scraped_count"] and "check/stored_before_written" not in ours
    # the FeedExporter's item_scraped handler connected after every other: the ledger hears the feeds'
    # own signal (item_exported), so the order of Scrapy's handlers changes nothing
    reversed_order = checked("reversed", CHECK_REVERSED_ORDER="True").stats
    assert reversed_order["check/stored"] == reversed_order["item_scraped_count"]
    assert "check/stored_before_written" not in reversed_order
    # Scrapy's own buffered file storage cannot say when a line is in the file: nothing is recorded
    stock = json.dumps({"": "scrapy.extensions.feedexport.FileFeedStorage",
                        "file": "scrapy.extensions.feedexport.FileFeedStorage"})
    buffered = checked("buffered", FEED_STORAGES=stock)
    assert "check/stored" not in buffered.stats
    assert buffered.stats["deltafetch/not_recorded"] == buffered.stats["item_scraped_count"]
    assert "storage FileFeedStorage cannot tell whether it stored the feed" in buffered.log


