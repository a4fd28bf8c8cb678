"""Archive walks across runs: the early stop never hides a post, one URL is one request.

Every test runs real `scrapy crawl` processes against a replica it changes for real (control
endpoints of replica/server.py), several runs sharing one data directory and appending to one
feed file (``-o``). What each test checks in the end: the union of the feed lines equals the
site's truth, no article is written twice, and nothing is recorded that no feed holds.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import Crawl, publish_in_archive, run_crawl
from test_crawl import assert_items_match_truth

from alanews.exitcodes import ExitStatus

PER_PAGE = 10
RETRY_TIMES = 3  # settings.py
EXIT_MONITORS_FAILED = ExitStatus.MONITORS_FAILED


class Runs:
    """Runs of one spider against one replica: one data directory, one feed file they append to."""

    def __init__(self, replica, workdir: Path, spider: str = "esteri", settings: dict | None = None,
                 args: tuple[str, ...] = ()):
        self.replica, self.workdir, self.spider = replica, workdir, spider
        self.settings, self.args = settings or {}, args
        self.feed = workdir / f"{spider}.jsonl"

    def lines(self) -> list[dict]:
        text = self.feed.read_text("utf-8") if self.feed.exists() else ""
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    def run(self, *args: str, settings: dict | None = None, returncode: int | None = 0) -> Crawl:
        """One run; its ``items`` are the lines it added to the feed."""
        before = len(self.lines())
        crawl = run_crawl(self.spider, self.replica.url, self.workdir, *self.args, *args,
                          settings={**self.settings, **(settings or {})}, append=True)
        if returncode is not None:
            assert crawl.returncode == returncode, crawl.log[-3000:]
        assert "Traceback" not in crawl.log, crawl.log[-3000:]
        crawl.items = self.lines()[before:]
        return crawl

    def assert_union_is(self, expected: set[str]) -> None:
        """Every run's lines together: each expected article once, each with the truth's fields."""
        assert_items_match_truth(self.lines(), self.replica.truth(), expected)


def path_of(url: str) -> str:
    return urlsplit(url).path


# --- one URL, one spelling (issue 14, point 8) ---------------------------------------------

def test_spellings_of_one_url_are_one_request_and_folded_requests_are_recorded(make_replica, tmp_path):
    replica = make_replica("--articles", "40", "--hostile")
    cases = json.loads(replica.get("/__replica__/hostile.json"))["cases"]
    accented, queried = cases["accented_slug"]["url"], cases["query_variants"]["url"]
    runs = Runs(replica, tmp_path, spider="politica")
    archive = set(replica.archive("politica"))
    assert {accented, queried} <= archive and "%C3%A8" in accented

    first = runs.run()
    assert_items_match_truth(first.items, replica.truth(), archive)
    served = replica.stats()["by_path"]
    # %c3%a8, %C3%A8, a raw è and %63 for "c": one request, one item, w3lib's spelling
    assert served[path_of(accented)] == 1
    # ?a and ?a= are one request for Scrapy's dupefilter; the folded one is recorded as an alias
    assert served[path_of(queried)] == 1
    assert first.stats["deltafetch/folded"] == 1

    replica.reset_stats()
    second = runs.run()
    assert second.items == [] and replica.stats()["by_kind"]["article"] == 0
    runs.assert_union_is(archive)


# --- robots.txt as RFC 9309 reads it (issue 14, point 10) -----------------------------------

@pytest.mark.parametrize("status", [503])
def test_robots_txt_answering_5xx_disallows_everything_for_the_run(make_replica, tmp_path, status):
    replica = make_replica("--articles", "40", "--seed", "2")
    archive = set(replica.archive("esteri"))
    runs = Runs(replica, tmp_path, settings={"ALANEWS_RETRY_BACKOFF": "0.05"})
    replica.post(f"/__replica__/robots?status={status}")
    refused = runs.run(returncode=EXIT_MONITORS_FAILED)
    served = replica.stats()["by_kind"]
    assert served["robots"] == RETRY_TIMES + 1  # retried like any page, then read as "unreachable"
    assert served["listing"] == served["article"] == 0 and refused.items == []
    lines = [line for line in refused.log.splitlines() if "robots.txt of" in line]
    host = urlsplit(replica.url).netloc
    assert len(lines) == 1 and f"[alanews.middlewares] ERROR: robots.txt of {host} answered {status}: every page " \
                               f"of {host} is disallowed for this run" in lines[0]
    assert refused.stats["alanews/robotstxt/unreachable"] == 1
    assert refused.stats["alanews/failed/robots"] == 1  # the archive's first page, never sent

    # robots.txt answers again: the next run crawls everything, nothing was recorded meanwhile
    replica.post("/__replica__/robots?status=200")
    again = runs.run()
    assert "alanews/robotstxt/unreachable" not in again.stats
    runs.assert_union_is(archive)


@pytest.mark.parametrize("status", [404])
def test_robots_txt_answering_4xx_allows_everything(make_replica, tmp_path, status):
    replica = make_replica("--articles", "40", "--seed", "2")
    replica.post(f"/__replica__/robots?status={status}")
    runs = Runs(replica, tmp_path)
    crawl = runs.run()
    assert replica.stats()["by_kind"]["robots"] == 1
    assert crawl.stats["alanews/robotstxt/unavailable"] == 1 and "robotstxt/forbidden" not in crawl.stats
    host = urlsplit(replica.url).netloc
    assert f"INFO: robots.txt of {host} answered {status}: no rules, every page allowed" in crawl.log
    runs.assert_union_is(set(replica.archive("esteri")))


def test_robots_txt_rules_apply_to_every_request_that_waited_for_it(make_replica, tmp_path):
    """The run's first requests (a listing page per category) all wait for robots.txt and are each
    checked against it: Scrapy 2.19's middleware lets every waiting request but the first through."""
    replica = make_replica("--articles", "40", "--seed", "2")
    disallowed = ("/category/politica/", "/category/sport/", "/category/cultura/")
    replica.post("/__replica__/robots?" + "&".join(f"disallow={path}" for path in disallowed))
    crawl = run_crawl("alanews", replica.url, tmp_path, "related_depth=0")
    hits = replica.stats()["by_path"]
    assert [path for path in hits if path.startswith(disallowed)] == []
    # the first page of politica, sport, sport/calcio (under /category/sport/) and cultura, never sent
    assert crawl.stats["robotstxt/forbidden"] == 4 and replica.stats()["by_kind"]["robots"] == 1
    assert {item["category_path"] for item in crawl.items} >= {"esteri", "cronaca", "economia"}


# --- the early stop never hides a post (issue 14, points 4 and 5) --------------------------

def post_id_of(replica, url: str) -> int:
    return replica.truth()[url]["post_id"]


def listing_hits(replica) -> int:
    return replica.stats()["by_kind"]["listing"]


@pytest.mark.parametrize("change", ["move", "unpublish"])
def test_a_post_taken_off_page_1_during_the_walk_hides_no_post(make_replica, tmp_path, change):
    """Page 1 is read, then one of its posts leaves the archive (moved to another category,
    or unpublished) before page 2 is read: the 11th post slides onto page 1, unread."""
    replica = make_replica("--articles", "80", "--seed", "22")
    archive = replica.archive("esteri")
    assert len(archive) > PER_PAGE + 2
    truth = replica.truth()
    gone = next(url for url in archive[:PER_PAGE] if truth[url]["category_path"] == "esteri")
    slid = archive[PER_PAGE]  # first on page 2 when page 1 is read; last on page 1 once page 2 is
    extra = "&category=politica" if change == "move" else ""
    done = json.loads(replica.post(f"/__replica__/{change}?post_id={post_id_of(replica, gone)}{extra}"
                                   f"&after=/category/esteri/"))
    assert done["url"] == gone
    runs = Runs(replica, tmp_path, args=("related_depth=0",))  # posts reached by the walks alone

    first = runs.run()
    assert archive[:PER_PAGE] != replica.archive("esteri")[:PER_PAGE]  # the change came after page 1
    # page 1, read again once page 2 was read, lists the slid post: fetched in this run already
    assert slid in {item["url"] for item in first.items}
    assert first.stats["alanews/listing/shifted"] == 1
    warning = [line for line in first.log.splitlines() if "Archive esteri shifted" in line]
    assert len(warning) == 1 and "WARNING: Archive esteri shifted during the walk: page 1, read again after " \
                                  "page 2, lists 1 post(s) it did not list before" in warning[0]
    assert "deltafetch: walk of esteri not complete: its archive shifted during the walk" in first.log

    # a post published: the slid post would now sit on page 2, below an early stop at page 1
    publish_in_archive(replica, 1)
    second = runs.run()
    assert "deltafetch/early_stop" not in second.stats  # the shifted walk was not complete
    expected = set(replica.archive("esteri"))
    if change == "move":  # its old URL 301s to the new one: written once, under the new URL
        expected.add(replica.truth()[done["url"].replace("/esteri/", "/politica/")]["url"])
    runs.assert_union_is(expected)


def test_a_post_moved_off_page_1_during_a_walk_that_stops_early_hides_no_post(make_replica, tmp_path):
    """The same shift in a recrawl: 13 new posts fill page 1 and open page 2, where the walk
    stops early; one of page 1's leaves the archive once page 1 was read."""
    replica = make_replica("--articles", "80", "--seed", "22")
    runs = Runs(replica, tmp_path, args=("related_depth=0",))
    runs.run()
    new = publish_in_archive(replica, PER_PAGE + 3)
    moved = next(url for url in new[:PER_PAGE] if replica.truth()[url]["category_path"] == "esteri")
    slid = new[PER_PAGE]
    replica.post(f"/__replica__/move?post_id={post_id_of(replica, moved)}&category=politica&after=/category/esteri/")
    recrawl = runs.run()
    assert recrawl.stats["deltafetch/early_stop"] == 1 and recrawl.stats["alanews/listing/shifted"] == 1
    assert slid in {item["url"] for item in recrawl.items}
    publish_in_archive(replica, 1)  # the slid post would sit on page 2, below an early stop at page 1
    runs.run()
    expected = set(replica.archive("esteri")) | {moved.replace("/esteri/", "/politica/")}
    runs.assert_union_is(expected)


def test_listed_posts_that_always_fail_are_retried_reported_and_given_up_without_forcing_full_walks(
        make_replica, tmp_path):
    """Three posts on page 2 fail on every request: one answers 410, robots.txt disallows one,
    one reads as an invalid item (its page after a theme update, without any title)."""
    replica = make_replica("--articles", "80", "--seed", "34")
    archive = replica.archive("esteri")
    assert len(archive) > PER_PAGE + 3
    gone, disallowed, invalid = failing = archive[PER_PAGE + 1:PER_PAGE + 4]  # below an early stop at page 1
    ids = {url: post_id_of(replica, url) for url in failing}
    replica.post(f"/__replica__/break?post_id={ids[gone]}&status=410")
    replica.post(f"/__replica__/robots?disallow={path_of(disallowed)}")
    replica.post(f"/__replica__/break?post_id={ids[invalid]}&status=untitled")
    runs = Runs(replica, tmp_path, settings={"DELTAFETCH_RETRY_RUNS": "1"})

    first = runs.run()
    assert set(failing).isdisjoint(item["url"] for item in first.items)
    assert first.stats["deltafetch/failed/recorded"] == 3
    assert "not complete" not in first.log  # failed posts do not keep the walk from being complete

    # the next run stops early at page 1 and asks for them again: the one repaired is written
    replica.post(f"/__replica__/break?post_id={ids[gone]}&status=200")
    replica.reset_stats()
    second = runs.run()
    assert second.stats["deltafetch/early_stop"] == 1 and listing_hits(replica) == 1
    assert "deltafetch: 3 failed article(s) to retry, 0 given up" in second.log
    assert second.stats["deltafetch/failed/retried"] == 3
    extra = [item["url"] for item in second.items if item["url"] != gone]
    assert [item["url"] for item in second.items] == [gone], (  # what the runs said of an extra one
        extra, [url in {item["url"] for item in first.items} for url in extra],
        [line for url in extra for line in (first.log + second.log).splitlines() if path_of(url) in line][:20])
    hits = replica.stats()["by_path"]
    assert hits[path_of(gone)] == hits[path_of(invalid)] == 1 and path_of(disallowed) not in hits
    # DELTAFETCH_RETRY_RUNS = 1: the two still failing are given up, each with one WARNING
    for url, kind in ((disallowed, "robots"), (invalid, "invalid")):
        assert f"WARNING: deltafetch: gave up {url} after 2 failed runs (last: {kind})" in second.log
    assert second.stats["deltafetch/failed/given_up"] == 2

    # given up: no longer asked for, still reported
    replica.reset_stats()
    third = runs.run()
    assert third.items == [] and replica.stats()["by_kind"]["article"] == 0
    assert "deltafetch: 0 failed article(s) to retry, 2 given up after 2 failed runs" in third.log
    assert third.stats["deltafetch/failed/given_up"] == 2 and "deltafetch/failed/retried" not in third.stats

    # repaired, and a walk reads their page: fetched like any post not written yet
    replica.post("/__replica__/robots")
    replica.post(f"/__replica__/break?post_id={ids[invalid]}&status=200")
    full = runs.run(settings={"DELTAFETCH_EARLY_STOP": "off"})
    assert sorted(item["url"] for item in full.items) == sorted([disallowed, invalid])
    runs.assert_union_is(set(archive))


# --- pagination that never ends (issue 14, point 6) ----------------------------------------

def test_endless_pagination_of_fresh_posts_stops_at_the_page_bound(make_replica, tmp_path):
    replica = make_replica("--articles", "80", "--seed", "38")
    archive = set(replica.archive("esteri"))
    pages = -(-len(archive) // PER_PAGE)
    bound = pages + 3
    replica.post("/__replica__/endless?category=esteri&shape=fresh")
    runs = Runs(replica, tmp_path, settings={"ALANEWS_MAX_LISTING_PAGES": str(bound)})
    crawl = runs.run("related_depth=0")
    assert crawl.stats["alanews/listing/pages"] == bound and crawl.stats["alanews/listing/max_pages"] == 1
    assert f"WARNING: Stopped walking esteri at page {bound} " in crawl.log
    assert f"ALANEWS_MAX_LISTING_PAGES is {bound}; the walk is not complete" in crawl.log
    assert "deltafetch: walk of esteri" not in crawl.log  # neither reached the end nor stopped early
    replica.post("/__replica__/endless?category=esteri&shape=off")
    assert "deltafetch/early_stop" not in runs.run("related_depth=0").stats  # so the next run walks it all
    runs.assert_union_is(archive)


def test_endless_pagination_repeating_its_last_page_stops_where_nothing_is_new(make_replica, tmp_path):
    replica = make_replica("--articles", "80", "--seed", "38")
    archive = set(replica.archive("esteri"))
    pages = -(-len(archive) // PER_PAGE)
    replica.post("/__replica__/endless?category=esteri&shape=repeat")
    runs = Runs(replica, tmp_path)
    crawl = runs.run("related_depth=0")
    assert crawl.stats["alanews/listing/pages"] == pages + 1 and crawl.stats["alanews/listing/nothing_new"] == 1
    assert f"WARNING: Stopped walking esteri at page {pages + 1} " in crawl.log
    assert "every post it lists was listed on an earlier page; the walk is not complete" in crawl.log
    runs.assert_union_is(archive)


def test_endless_pagination_ends_at_the_job_time_limit(make_replica, tmp_path):
    replica = make_replica("--articles", "80", "--seed", "38")
    replica.post("/__replica__/endless?category=esteri&shape=fresh")
    runs = Runs(replica, tmp_path, settings={"CLOSESPIDER_TIMEOUT": "3"})
    crawl = runs.run("related_depth=0", returncode=EXIT_MONITORS_FAILED)
    assert crawl.stats["finish_reason"] == "closespider_timeout"
    assert "deltafetch: walk of" not in crawl.log  # a cut run marks no walk complete
    assert set(replica.archive("esteri")) <= {item["url"] for item in crawl.items}
    assert len(crawl.items) == len({item["url"] for item in crawl.items})


# --- a page cut short -------------------------------------------------------------------------

def test_a_page_cut_short_is_retried_and_never_recorded_until_it_is_whole(make_replica, tmp_path):
    """The replica serves one post cut inside its content, with the Content-Length of the cut copy
    (the client sees a whole answer), and another cut on its first answer only."""
    replica = make_replica("--articles", "30", "--seed", "3")
    truth = replica.truth()
    cut, flaky = [url for url in replica.archive("esteri")[:PER_PAGE] if truth[url]["body"]][:2]
    cut_id = truth[cut]["post_id"]  # the truth leaves out a post broken for good
    replica.post(f"/__replica__/break?post_id={cut_id}&status=cut")
    replica.post(f"/__replica__/break?post_id={truth[flaky]['post_id']}&status=cut&times=1")
    runs = Runs(replica, tmp_path, settings={"ALANEWS_RETRY_BACKOFF": "0.01"})

    first = runs.run(returncode=ExitStatus.MONITORS_FAILED)  # a page given up after its retries: an ERROR line
    written = {item["url"]: item for item in first.items}
    assert written[flaky]["body"] == truth[flaky]["body"]  # whole on its retry
    assert cut not in written
    assert replica.stats()["by_path"][path_of(cut)] == RETRY_TIMES + 1
    # the cut one retried 3 times, the flaky one once
    assert first.stats["retry/reason_count/cut_short"] == RETRY_TIMES + 1
    assert f"Truncated page {cut}: no </html> at its end, its content cut ({RETRY_TIMES + 1} tries); not written, " \
           "recorded as failed" in first.log
    assert first.stats["deltafetch/failed/recorded"] == 1

    # a snapshot writes what there is; it records nothing
    snapshot = runs.run("incremental=0", returncode=ExitStatus.MONITORS_FAILED)
    partial = next(item for item in snapshot.items if item["url"] == cut)
    assert partial["body"] and len(partial["body"]) < len(truth[cut]["body"]) and partial["related_urls"] == []
    assert "written as it is (a snapshot)" in snapshot.log

    # whole again: the next incremental run asks for it (a failed article) and writes it
    replica.post(f"/__replica__/break?post_id={cut_id}&status=200")
    third = runs.run()
    assert [item["url"] for item in third.items] == [cut] and third.items[0]["body"] == truth[cut]["body"]
    assert third.stats["deltafetch/failed/retried"] == 1
