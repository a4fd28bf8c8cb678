"""`scrapy crawl latest`: new posts from the site's RSS feed at robots.txt + one feed page a poll,
and the category walk when the feed cannot be trusted.

The requests a poll makes are counted by the replica (``/__replica__/stats``), the items compared
field by field with its truth. A few real crawls show the whole guarantee; each fault of the feed
is judged in process, on the bytes the replica's feed really answers with that fault on.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from conftest import ROOT
from inprocess import close, crawler_for, ledger_of
from scrapy.exceptions import ResponseDataLossError
from scrapy.http import Request
from scrapy.http.response import Response
from scrapy.responsetypes import responsetypes
from scrapy.spidermiddlewares.httperror import HttpError
from test_crawl import assert_items_match_truth
from test_walks import Runs
from twisted.python.failure import Failure

from alanews.errors import NotStarting, SpiderArgumentError
from alanews.site import CATEGORIES, category_url, parse_article_url
from alanews.spiders.latest import LatestSpider
from alanews.state import STATE_FILE, ArticleStore, Written
from replica.harness import ReplicaThread

N = 23  # new posts: more than two feed pages of 10
#: the replica's posts are dated up to November 2026, not now (tests/conftest.py FAST says the same)


def feed_requests(served: dict) -> int:
    return sum(count for path, count in served["by_path"].items() if path.endswith("/feed/"))


# --- real polls ----------------------------------------------------------------------------------

def test_a_poll_costs_robots_and_one_feed_page_plus_one_request_per_new_post(make_replica, tmp_path):
    replica = make_replica("--articles", "40", "--seed", "3")
    runs = Runs(replica, tmp_path, spider="latest")
    first = runs.run()  # an empty state: every post of the feed is new, every page read
    assert_items_match_truth(first.items, replica.truth(), set(replica.truth()))

    # nothing new: robots.txt and the feed's first page
    replica.reset_stats()
    idle = runs.run()
    served = replica.stats()
    assert idle.items == [] and served["total"] == 2
    assert served["by_path"] == {"/robots.txt": 1, "/feed/": 1}

    # N new posts: pages 1 and 2 hold only new posts, page 3 also known ones; then one request each
    before = set(replica.truth())
    replica.post(f"/__replica__/publish?count={N}")
    new = set(replica.truth()) - before
    replica.reset_stats()
    poll = runs.run()
    served = replica.stats()
    assert feed_requests(served) == 3 and served["by_kind"]["article"] == N
    assert served["total"] == 2 + 2 + N
    assert len(poll.items) == N
    assert_items_match_truth(poll.items, replica.truth(), new)

    # the newest post renamed: the feed lists it under its new permalink, with its guid; not fetched
    newest = max(poll.items, key=lambda item: item["published"])
    renamed = replica.post(f"/__replica__/rename?post_id={newest['post_id']}&slug=titolo-nuovo")
    assert b"titolo-nuovo" in renamed and b"titolo-nuovo" in replica.get("/feed/")
    replica.reset_stats()
    after = runs.run()
    assert after.items == [] and replica.stats()["total"] == 2
    assert after.stats["alanews/feed/renamed"] == 1

    # N more new posts, the poll stopped after 3 of them (as CLOSESPIDER_TIMEOUT or SIGTERM stops one): the
    # next poll reads past the posts the stopped one wrote, to the posts of the last complete walk
    before = set(replica.truth())
    replica.post(f"/__replica__/publish?count={N}")
    new = set(replica.truth()) - before
    stopped = runs.run(settings={"CLOSESPIDER_ITEMCOUNT": "3", "CONCURRENT_REQUESTS": "1"}, returncode=None)
    assert 3 <= len(stopped.items) < N
    resumed = runs.run()
    assert_items_match_truth(stopped.items + resumed.items, replica.truth(), new)


def test_a_stale_feed_is_walked_around_and_what_it_hides_is_written(make_replica, tmp_path):
    replica = make_replica("--articles", "30", "--seed", "4")
    runs = Runs(replica, tmp_path, spider="alanews")
    runs.run()  # the archives walked once, completely: the fallback's early stop has a walk to stop at
    before = set(replica.truth())
    replica.post("/__replica__/publish?count=3")
    new = set(replica.truth()) - before
    replica.post("/__replica__/feed?fault=stale")  # a cache serves the feed of 48 hours before
    polls = Runs(replica, tmp_path, spider="latest")

    # the bound above the lag: the stale copy is believed, and it hides the new posts
    blind = polls.run(settings={"ALANEWS_FEED_MAX_LAG": "1000"})
    assert blind.items == [] and "not usable" not in blind.log

    replica.reset_stats()
    poll = polls.run()
    warnings = [line for line in poll.log.splitlines() if "not usable" in line]
    assert len(warnings) == 1 and "(stale)" in warnings[0] and "ALANEWS_FEED_MAX_LAG is 6 h" in warnings[0]
    assert poll.stats["alanews/feed/fallback/stale"] == 1
    assert_items_match_truth(poll.items, replica.truth(), new)
    # page 1 of each archive, the usual early stop: no listing page 2 where page 1 ends with a known post
    served = replica.stats()
    assert served["by_kind"]["listing"] == len(CATEGORIES) and served["by_kind"]["article"] == 3


def test_a_new_url_redirected_to_another_post_is_no_alias_of_it_but_a_failed_post_retried(make_replica, tmp_path):
    """WordPress's redirect_guess_404_permalink 301s a post listed before its page is live to a post with a
    similar slug: the feed's guid names the post expected, the page answers another."""
    replica = make_replica("--articles", "20", "--seed", "5")
    runs = Runs(replica, tmp_path, spider="latest")
    runs.run()
    older = sorted(replica.truth().values(), key=lambda item: item["published"])[-5]
    for target in ("older", "new"):  # an older post written before; another new post of the same poll
        (fresh, other) = sorted((json.loads(line) for line in replica.post("/__replica__/publish?count=2")
                                 .decode().splitlines()), key=lambda item: item["published"], reverse=True)
        to = older if target == "older" else other
        replica.post(f"/__replica__/break?post_id={fresh['post_id']}&status=to_post&to={to['post_id']}&times=1")
        poll = runs.run()
        assert [item["url"] for item in poll.items] == [other["url"]]
        warnings = [line for line in poll.log.splitlines() if "] WARNING: " in line]
        assert len(warnings) == 1 and f"Failed {fresh['url']}" in warnings[0]
        assert poll.stats["alanews/failed/other_post"] == 1
        retried = runs.run()  # its page live now: the next poll writes it
        assert [item["url"] for item in retried.items] == [fresh["url"]]
    runs.assert_union_is(set(replica.truth()))


@pytest.mark.parametrize(("fault", "reason", "says"), [
    ("moved", "not_answered", "dropped without an answer (offsite/filtered 1"),  # a 301 to another host name
    ("maintenance", "http_503", "HTTP 503, after 2 retries"),  # 503 through every retry
    ("dataloss", "connection", "after 2 retries"),  # cut through every retry
    ("disabled", "not_rss", "(redirected to http://127.0.0.1:"),  # a 301 to the home page: the feed's URL named
])
def test_a_feed_that_never_answers_usably_is_one_warning_and_the_fallback_exit_0(make_replica, tmp_path, fault,
                                                                                   reason, says):
    replica = make_replica("--articles", "12", "--seed", "6", "--feed-fault", fault)
    poll = Runs(replica, tmp_path, spider="latest").run(settings={"ALANEWS_RETRY_BACKOFF": "0.1", "RETRY_TIMES": "2"})
    assert poll.returncode == 0 and "] ERROR: " not in poll.log
    lines = [line for line in poll.log.splitlines() if "] WARNING: " in line and "] ERROR: " not in line
             and ("[latest]" in line or "Gave up retrying" in line)]
    fallback = [line for line in lines if "not usable" in line]
    assert len(fallback) == 1 and f"Feed {replica.url}/feed/ not usable ({reason})" in fallback[0]
    assert says in fallback[0]
    assert len(lines) == 1 + ("retries" in says)  # and Scrapy's give-up line, at WARNING, not ERROR
    assert poll.stats[f"alanews/feed/fallback/{reason}"] == 1
    assert_items_match_truth(poll.items, replica.truth(), set(replica.truth()))


def operations_cron_line() -> str:
    """The plain-cron poll of docs/operations.md, as written."""
    text = (ROOT / "docs" / "operations.md").read_text("utf-8")
    return next(line for line in re.findall(r"^```\n(.*?)^```", text, re.S | re.M)[-1].splitlines()
                if "crawl latest" in line)


def test_the_cron_poll_does_not_start_nor_mail_while_a_poll_runs_and_mails_a_failure(make_replica, tmp_path):
    line = operations_cron_line()
    assert line.split()[:5] == ["*/5", "*", "*", "*", "*"]
    command = " ".join(line.split()[5:])
    replica = make_replica("--articles", "20")
    data = tmp_path / "data"
    env_file = tmp_path / "scrapyd.env"
    env_file.write_text(f"ALANEWS_DATA_DIR={data}\nALANEWS_BASE_URL={replica.url}\n")
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("ALANEWS_", "SCRAPY_"))},
           "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
           "ALANEWS_HOME": str(ROOT), "ALANEWS_ENV_FILE": str(env_file),
           "ALANEWS_LATEST_LOG": str(tmp_path / "latest.log")}

    def cron():
        return subprocess.run(["/bin/sh", "-c", command], env=env, capture_output=True, text=True, timeout=120)

    # every post already written: a poll reads robots.txt and the feed (politeness on, as in production)
    (data / "deltafetch").mkdir(parents=True)
    store = ArticleStore(data / "deltafetch" / STATE_FILE)
    store.record([Written.of(item, "alanews") for item in replica.truth().values()])
    paths = [c.path for c in CATEGORIES]  # and walked completely by a first crawl (alanews)
    started = time.time() + 1
    store.start_walks(paths, "alanews", started)
    store.complete_walks(dict.fromkeys(paths, started), "alanews")
    store.close()
    # the previous poll still running holds the cron lock: this one does not start, prints nothing
    with open(data / "latest.cron.lock", "a+b") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        skipped = cron()
    assert (skipped.returncode, skipped.stdout, skipped.stderr) == (0, "", "")
    assert replica.stats()["total"] == 0

    # free: it polls (output to its log only: no mail) and writes the feed of the data directory
    polled = cron()
    assert (polled.returncode, polled.stdout, polled.stderr) == (0, "", ""), polled.stdout
    log = (tmp_path / "latest.log").read_text()
    assert "Exit status 0: finished" in log and "'downloader/request_count': 2," in log
    assert replica.stats()["by_path"] == {"/robots.txt": 1, "/feed/": 1}

    # a failing poll (the site gone) mails the end of its log; on a fresh data directory too (its lock file made)
    replica.stop()
    env_file.write_text(f"ALANEWS_DATA_DIR={tmp_path / 'fresh' / 'data'}\nALANEWS_BASE_URL={replica.url}\n")
    failed = cron()
    assert failed.returncode == 0 and "Exit status 4: the site could not be reached" in failed.stdout


# --- each fault, in process ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def site():
    server = ReplicaThread(n_articles=30)
    yield server
    server.stop()


def answer(site, path: str = "/feed/") -> Response:
    """The replica's answer to ``path`` as Scrapy makes it (an HTTP error as the Response it is)."""
    try:
        with urllib.request.urlopen(site.url + path, timeout=60) as got:
            status, headers, body = got.status, dict(got.headers), got.read()
    except urllib.error.HTTPError as error:
        status, headers, body = error.code, dict(error.headers), error.read()
    url = site.url + path
    cls = responsetypes.from_args(headers=headers, url=url, body=body)
    return cls(url, status=status, headers=headers, body=body, request=Request(url, meta={"alanews_feed_page": 1}))


@pytest.fixture
def latest(site, tmp_path):
    crawler = crawler_for(LatestSpider, tmp_path / "state", {"ALANEWS_BASE_URL": site.url})
    yield crawler
    close(crawler)
    site.post("/__replica__/feed?fault=none")


def walked(output) -> list[str]:
    return sorted(r.url for r in output if isinstance(r, Request) and r.callback.__name__ == "parse_listing")


def archives(site) -> list[str]:
    return sorted(category_url(site.url, c.path) for c in CATEGORIES)


@pytest.mark.parametrize(("fault", "reason"), [("html", "not_rss"), ("maintenance-plugin", "not_rss"),
                                                ("empty", "empty"), ("cut", "unparseable"),
                                                ("fatal", "unparseable")])
def test_a_feed_that_is_no_usable_rss_makes_one_warning_and_the_category_walk(site, latest, fault, reason, caplog):
    site.post(f"/__replica__/feed?fault={fault}")
    spider = latest.spider
    with caplog.at_level(logging.WARNING):
        output = list(spider.parse_feed(answer(site)))
    assert walked(output) == archives(site)
    assert [r.url for r in output if r.callback.__name__ == "parse_article"] == []
    lines = [r.getMessage() for r in caplog.records if "not usable" in r.getMessage()]
    assert len(lines) == 1 and f"({reason})" in lines[0]
    assert latest.stats.get_value(f"alanews/feed/fallback/{reason}") == 1


def test_a_missing_feed_falls_back_but_a_404_past_the_last_page_ends_the_feed(
        site, latest, caplog):
    site.post("/__replica__/feed?fault=missing")
    spider = latest.spider
    missing = answer(site)
    assert missing.status == 404
    failure = Failure(HttpError(missing))
    failure.request = missing.request
    with caplog.at_level(logging.WARNING):
        assert walked(spider._feed_failed(failure)) == archives(site)
        # the next feed page past the last: the feed is read, no fallback (and the fallback is once a run)
        past = answer(site, "/feed/?paged=99")
        past.request.meta["alanews_feed_page"] = 2
        failure = Failure(HttpError(past))
        failure.request = past.request
        assert list(spider._feed_failed(failure)) == []
    lines = [r.getMessage() for r in caplog.records if "not usable" in r.getMessage()]
    assert len(lines) == 1 and "(http_404)" in lines[0]
    assert latest.stats.get_value("alanews/feed/fallback/http_404") == 1


def test_a_feed_cut_by_a_broken_connection_falls_back(site, latest, caplog):
    request = Request(site.url + "/feed/", meta={"alanews_feed_page": 1})
    failure = Failure(ResponseDataLossError("Getting http://x/feed/ failed: ResponseNeverReceived"))
    failure.request = request
    with caplog.at_level(logging.WARNING):
        assert walked(latest.spider._feed_failed(failure)) == archives(site)
    assert [r.getMessage() for r in caplog.records if "not usable (connection)" in r.getMessage()] != []


def test_a_later_page_cut_falls_back_too(site, latest):
    site.post("/__replica__/feed?fault=cut&paged=2")
    spider = latest.spider
    first = list(spider.parse_feed(answer(site)))  # an empty state: all 10 new, page 2 asked
    assert [r.url for r in first if r.callback.__name__ == "parse_feed"] == [site.url + "/feed/?paged=2"]
    second = answer(site, "/feed/?paged=2")
    second.request.meta["alanews_feed_page"] = 2
    assert walked(spider.parse_feed(second)) == archives(site)


def test_a_stale_feed_falls_back_only_beyond_the_bound(site, latest, caplog):
    truth = sorted(site.truth().values(), key=lambda item: item["published"])
    newest = datetime.fromisoformat(truth[-1]["published"])
    store, spider = ledger_of(latest).store, latest.spider

    def known_post_published(hours: float, n: int) -> None:
        """A post the state knows, published ``hours`` after the feed's newest."""
        store.record([Written.of({**truth[-1], "url": f"{site.url}/2026/12/01/esteri/known-{n}/", "post_id": 90000 + n,
                                  "published": (newest + timedelta(hours=hours)).isoformat()}, "alanews")])

    known_post_published(5, 1)
    assert walked(spider.parse_feed(answer(site))) == []  # 5 hours behind: within the 6 hours' bound
    known_post_published(7, 2)
    with caplog.at_level(logging.WARNING):
        assert walked(spider.parse_feed(answer(site))) == archives(site)
    lines = [r.getMessage() for r in caplog.records if "not usable" in r.getMessage()]
    assert len(lines) == 1 and "(stale): its newest post" in lines[0] and "7.0 h older than the newest" in lines[0]


def test_a_frozen_feed_is_stale_by_its_age_unless_every_archive_was_walked_within_it(site, tmp_path, caplog):
    """Only latest runs, the feed's cache frozen: the state's newest is the feed's newest, but the feed's
    newest is days old (the replica's posts end in November 2026)."""
    crawler = crawler_for(LatestSpider, tmp_path / "state", {"ALANEWS_BASE_URL": site.url,
                                                             "ALANEWS_FEED_MAX_AGE": "24"})
    try:
        store, spider = ledger_of(crawler).store, crawler.spider
        store.record([Written.of(item, "latest") for item in site.truth().values()])
        list(spider.feed_requests())
        with caplog.at_level(logging.WARNING):
            assert walked(spider.parse_feed(answer(site))) == archives(site)
        lines = [r.getMessage() for r in caplog.records if "not usable" in r.getMessage()]
        assert len(lines) == 1 and "(stale)" in lines[0] and "ALANEWS_FEED_MAX_AGE is 24 h" in lines[0]
        # the fallback's walks complete (as at its close): the next poll believes the feed for 24 hours
        ledger_of(crawler).complete_walks(spider.paths)
        spider.fallback = None
        list(spider.feed_requests())
        assert walked(spider.parse_feed(answer(site))) == []
    finally:
        close(crawler)


@pytest.mark.parametrize(("fault", "reason"), [("future-date", "stale"), ("no-dates", "no_dates")])
def test_future_dates_are_ignored_and_a_feed_without_dates_is_not_usable(site, latest, fault, reason):
    truth = sorted(site.truth().values(), key=lambda item: item["published"])
    newest = datetime.fromisoformat(truth[-1]["published"])
    # a post known 7 hours newer than the feed's newest: a date in 2099 must not hide the lag
    later = (newest + timedelta(hours=7)).isoformat()
    ledger_of(latest).store.record([Written.of({**truth[-1], "url": f"{site.url}/2026/12/01/esteri/known/",
                                                "post_id": 90002, "published": later}, "alanews")])
    site.post(f"/__replica__/feed?fault={fault}")
    assert walked(latest.spider.parse_feed(answer(site))) == archives(site)
    assert latest.stats.get_value(f"alanews/feed/fallback/{reason}") == 1


def test_a_fallback_that_found_nothing_is_not_repeated_for_a_deleted_newest_post(site, latest):
    """The newest post known was deleted from the site (not yet recorded removed): the feed is behind it."""
    truth = sorted(site.truth().values(), key=lambda item: item["published"])
    newest = datetime.fromisoformat(truth[-1]["published"])
    store, spider = ledger_of(latest).store, latest.spider
    store.record([Written.of({**truth[-1], "url": f"{site.url}/2026/12/01/esteri/deleted/", "post_id": 90001,
                              "published": (newest + timedelta(hours=7)).isoformat()}, "alanews")])
    list(spider.feed_requests())
    assert walked(spider.parse_feed(answer(site))) == archives(site)  # stale: 7 h behind
    ledger_of(latest).complete_walks(spider.paths)  # the fallback's walks, complete, found nothing new
    spider.fallback = None
    list(spider.feed_requests())
    assert walked(spider.parse_feed(answer(site))) == []
    assert latest.stats.get_value("alanews/feed/fallback/stale") == 1


def test_the_replicas_stale_feed_is_judged_stale(site, latest):
    truth = sorted(site.truth().values(), key=lambda item: item["published"])
    ledger_of(latest).store.record([Written.of(truth[-1], "alanews")])  # the newest post is known
    site.post("/__replica__/feed?fault=stale")  # the feed as it was 48 hours before it
    assert walked(latest.spider.parse_feed(answer(site))) == archives(site)
    assert latest.stats.get_value("alanews/feed/fallback/stale") == 1


def feed_walk_recorded(latest, complete: bool = True, started: float | None = None) -> None:
    """A walk of the feed by an earlier poll, started at ``started`` (default: now), complete if ``complete``."""
    store, url = ledger_of(latest).store, latest.spider.feed_url
    started = time.time() if started is None else started
    store.start_walks([url], "latest", started)
    if complete:
        store.complete_walks({url: started}, "latest")


def next_feed_pages(output) -> list[str]:
    return [r.url for r in output if r.callback.__name__ == "parse_feed"]


def test_known_posts_are_skipped_by_post_id_then_by_url(site, latest):
    truth = sorted(site.truth().values(), key=lambda item: item["published"], reverse=True)
    store = ledger_of(latest).store
    # the 4th newest known by its post id only (recorded under another slug: renamed), the 6th by URL only
    renamed = truth[3]["url"].rstrip("/").rsplit("/", 1)[0] + "/old-name/"
    store.record([Written.of({**truth[3], "url": renamed}, "alanews"),
                  Written.of({**truth[5], "post_id": None}, "alanews")])
    feed_walk_recorded(latest)
    spider = latest.spider
    list(spider.feed_requests())
    output = list(spider.parse_feed(answer(site)))
    fetched = [r.url for r in output if r.callback.__name__ == "parse_article"]
    assert fetched == [item["url"] for i, item in enumerate(truth[:10]) if i not in (3, 5)]
    assert next_feed_pages(output) == []  # known before the last complete walk of the feed started: it stops
    assert latest.stats.get_value("alanews/feed/renamed") == 1


@pytest.mark.parametrize("day", ["2020/01/01", "2030/06/30"])
def test_a_guid_naming_a_known_post_of_another_day_is_no_rename_and_is_fetched(site, latest, day, caplog):
    """A rename keeps the permalink's day: a guid whose post is known under a permalink of another day
    (a duplicated guid, an import) names another post; the entry is fetched, its post id not trusted."""
    truth = sorted(site.truth().values(), key=lambda item: item["published"], reverse=True)
    category = truth[3]["category_path"]
    ledger_of(latest).store.record([Written.of({**truth[3], "url": f"{site.url}/{day}/{category}/other/"}, "alanews")])
    with caplog.at_level(logging.WARNING):
        output = list(latest.spider.parse_feed(answer(site)))
    requests = [r for r in output if r.callback.__name__ == "parse_article"]
    assert [r.url for r in requests] == [item["url"] for item in truth[:10]]
    assert "alanews_post_id" not in requests[3].meta and requests[2].meta["alanews_post_id"] == truth[2]["post_id"]
    assert latest.stats.get_value("alanews/feed/guid_of_other_post") == 1
    assert latest.stats.get_value("alanews/feed/renamed") is None
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1 and "not a rename, fetched" in lines[0]


@pytest.mark.parametrize("previous", ["none", "incomplete", "complete_before_the_write"])
def test_a_known_post_stops_the_feed_walk_only_if_the_last_complete_walk_of_the_feed_read_it(
        site, latest, previous):
    """A post another spider wrote since the last complete walk (or with no such walk: a poll stopped
    early) proves nothing about the posts below it: the next page is read."""
    truth = sorted(site.truth().values(), key=lambda item: item["published"], reverse=True)
    store = ledger_of(latest).store
    if previous != "none":  # started a minute before the write
        feed_walk_recorded(latest, complete=previous != "incomplete", started=time.time() - 60)
    store.record([Written.of(truth[2], "calcio")])  # a category crawl wrote a post of page 1 meanwhile
    spider = latest.spider
    list(spider.feed_requests())
    output = list(spider.parse_feed(answer(site)))
    assert len([r for r in output if r.callback.__name__ == "parse_article"]) == 9
    assert next_feed_pages(output) == [site.url + "/feed/?paged=2"]


def test_a_complete_walk_of_every_archive_proves_the_feed_walk_without_one_of_its_own(site, latest):
    """After a first crawl of every archive (no poll yet), a poll with nothing new reads one feed page."""
    store = ledger_of(latest).store
    store.record([Written.of(item, "alanews") for item in site.truth().values()])
    paths = latest.spider.paths
    started = time.time() + 1
    store.start_walks(paths, "alanews", started)
    store.complete_walks(dict.fromkeys(paths[1:], started), "alanews")
    spider = latest.spider
    list(spider.feed_requests())
    assert next_feed_pages(spider.parse_feed(answer(site))) == [site.url + "/feed/?paged=2"]  # one not complete
    store.complete_walks(dict.fromkeys(paths[:1], started), "alanews")
    list(spider.feed_requests())
    output = list(spider.parse_feed(answer(site)))
    assert output == [] and latest.stats.get_value("deltafetch/early_stop") == 1


def test_a_first_crawl_that_recorded_every_post_while_it_walked_proves_the_feed_walk(site, latest):
    """The first crawl of a new data directory records its posts as it walks: posts published before
    its walks started are proof (the site's posts: November 2026), posts published since are not."""
    store, spider = ledger_of(latest).store, latest.spider
    paths = spider.paths
    started = time.time() - 60
    store.start_walks(paths, "alanews", started)
    store.record([Written.of(item, "alanews") for item in site.truth().values()])  # after the walks started
    store.complete_walks(dict.fromkeys(paths, started), "alanews")
    list(spider.feed_requests())
    assert list(spider.parse_feed(answer(site))) == [] and latest.stats.get_value("deltafetch/early_stop") == 1


def test_posts_published_after_the_archive_walks_started_prove_no_early_stop(site, latest):
    store, spider = ledger_of(latest).store, latest.spider
    paths = spider.paths
    published = sorted(datetime.fromisoformat(item["published"]).timestamp() for item in site.truth().values())
    started = published[-10] - 1  # the walks started before the feed's first page of posts was published
    store.start_walks(paths, "alanews", started)
    store.record([Written.of(item, "alanews") for item in site.truth().values()])
    store.complete_walks(dict.fromkeys(paths, started), "alanews")
    list(spider.feed_requests())
    assert next_feed_pages(spider.parse_feed(answer(site))) == [site.url + "/feed/?paged=2"]


def feed_page(site, number: int) -> Response:
    response = answer(site, f"/feed/?paged={number}" if number > 1 else "/feed/")
    response.request.meta["alanews_feed_page"] = number
    return response


def test_the_next_feed_page_is_paged_on_the_feed_url_whatever_a_next_link_says(site, latest):
    site.post("/__replica__/feed?fault=next-link")  # rel="next" names page 1
    spider = latest.spider
    list(spider.feed_requests())
    assert next_feed_pages(spider.parse_feed(feed_page(site, 1))) == [site.url + "/feed/?paged=2"]
    assert next_feed_pages(spider.parse_feed(feed_page(site, 2))) == [site.url + "/feed/?paged=3"]


def test_feed_pages_that_repeat_stop_the_walk_with_one_warning_and_the_fallback(site, latest, caplog):
    site.post("/__replica__/feed?fault=paged-ignored")  # every ?paged=N is page 1
    spider = latest.spider
    list(spider.feed_requests())
    assert next_feed_pages(spider.parse_feed(feed_page(site, 1))) == [site.url + "/feed/?paged=2"]
    with caplog.at_level(logging.WARNING):
        output = list(spider.parse_feed(feed_page(site, 2)))
        assert list(spider.parse_feed(feed_page(site, 3))) == []  # the fallback is once a run
    assert walked(output) == archives(site) and next_feed_pages(output) == []
    lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(lines) == 1 and "(repeated)" in lines[0] and "?paged=2" in lines[0]
    assert latest.stats.get_value("alanews/feed/fallback/repeated") == 1


def test_links_differing_from_the_base_url_only_by_scheme_are_read_on_it(site, latest, caplog):
    site.post("/__replica__/feed?fault=https-links")  # the base is http://, the feed's links https://
    truth = sorted(site.truth().values(), key=lambda item: item["published"], reverse=True)
    with caplog.at_level(logging.WARNING):
        output = list(latest.spider.parse_feed(answer(site)))
    assert [r.url for r in output if r.callback.__name__ == "parse_article"] == [i["url"] for i in truth[:10]]
    assert latest.stats.get_value("alanews/feed/mapped_to_base") == 10 and caplog.records == []


def test_a_feed_page_linking_no_article_of_the_site_is_one_warning_and_the_fallback(site, latest, caplog):
    site.post("/__replica__/feed?fault=proxy-links")  # every link through feedproxy.google.com
    with caplog.at_level(logging.WARNING):
        output = list(latest.spider.parse_feed(answer(site)))
    assert walked(output) == archives(site)
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2 and "10 item(s) link no article" in lines[0] and "(no_article_links)" in lines[1]
    assert latest.stats.get_value("alanews/feed/fallback/no_article_links") == 1


def test_since_skips_older_posts_and_ends_the_feed_walk(site, tmp_path):
    truth = sorted(site.truth().values(), key=lambda item: item["published"], reverse=True)
    days = [parse_article_url(site.url, item["url"]).published for item in truth[:10]]
    since = days[4]
    crawler = crawler_for(LatestSpider, tmp_path / "state", {"ALANEWS_BASE_URL": site.url},
                          since=since.isoformat())
    try:
        output = list(crawler.spider.parse_feed(answer(site)))
    finally:
        close(crawler)
    fetched = [r.url for r in output if r.callback.__name__ == "parse_article"]
    expected = [item["url"] for item, day in zip(truth, days) if day >= since]
    assert 5 <= len(expected) < 10 and fetched == expected
    assert [r for r in output if r.callback.__name__ == "parse_feed"] == []
    assert crawler.stats.get_value("alanews/since/skipped") == 10 - len(expected)


def test_a_snapshot_and_bad_arguments_are_refused_before_any_request(tmp_path):
    with pytest.raises(NotStarting, match=r"^latest is incremental by nature.*use -o FILE.*: -O overwrites "):
        crawler_for(LatestSpider, tmp_path / "state", {"FEEDS": {str(tmp_path / "x.jsonl"): {"overwrite": True}}})
    with pytest.raises(NotStarting, match="incremental=0"):
        crawler_for(LatestSpider, tmp_path / "state", incremental="0")
    with pytest.raises(SpiderArgumentError, match="spider argument category must be a category spider's name"):
        crawler_for(LatestSpider, tmp_path / "state", category="meteo")
    with pytest.raises(SpiderArgumentError, match="unknown spider argument 'max_pages'"):
        crawler_for(LatestSpider, tmp_path / "state", max_pages="3")
    with pytest.raises(NotStarting, match=r"^latest finds what is new by the state: deltafetch_reset"):
        crawler_for(LatestSpider, tmp_path / "state", deltafetch_reset="1")
    with pytest.raises(NotStarting, match=r"^latest finds what is new by the state: deltafetch_reset"):
        crawler_for(LatestSpider, tmp_path / "state", {"DELTAFETCH_RESET": True})
    json_feed = tmp_path / "x.json"
    json_feed.write_text('[{"url": "x"}]')
    with pytest.raises(NotStarting, match=r"would make it invalid\. Use a JSON Lines feed") as refused:
        crawler_for(LatestSpider, tmp_path / "state", {"FEEDS": {str(json_feed): {"format": "json"}}})
    assert "-O" not in str(refused.value)
    with pytest.raises(NotStarting, match="setting ALANEWS_FEED_MAX_LAG must be a number above 0, got '0'"):
        crawler_for(LatestSpider, tmp_path / "state", {"ALANEWS_FEED_MAX_LAG": "0"})


def test_a_category_poll_reads_that_category_feed_and_walks_only_its_archive(site, tmp_path):
    crawler = crawler_for(LatestSpider, tmp_path / "state", {"ALANEWS_BASE_URL": site.url},
                          category="calcio")
    try:
        spider = crawler.spider
        assert spider.feed_url == site.url + "/category/sport/calcio/feed/"
        assert [r.url for r in spider.walk_requests()] == [site.url + "/category/sport/calcio/"]
    finally:
        close(crawler)


def test_scrapyd_polls_every_five_minutes_each_poll_ending_before_the_next():
    lines = [line for line in (ROOT / "deploy" / "crontab").read_text().splitlines()
             if line.strip() and not line.startswith("#") and "=" not in line.split()[0]]
    polls = [line for line in lines if line.split()[6:7] == ["latest"]]
    assert len(polls) == 1 and polls[0].split()[:6] == ["*/5", "*", "*", "*", "*", '"$ALANEWS_HOME/deploy/schedule.py"']
    timeout = int(re.search(r"CLOSESPIDER_TIMEOUT=(\d+)", polls[0])[1])
    assert 0 < timeout < 300
    assert polls[0] in (ROOT / "docs" / "operations.md").read_text("utf-8")  # the recipe the docs give
