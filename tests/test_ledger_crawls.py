"""The article ledger's guarantees shown by real `scrapy crawl` processes against a replica: walks on
another spider's history, retries in their own feed, feeds that stay valid or are refused, fsync before
commit, a script crawling twice, an article redirected off the site's articles, state costs per article."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import FAST, ROOT, BackgroundCrawl, crawl_command, run_crawl
from test_state import Holder

PER_PAGE = 10


def crawl(replica, spider: str, data: Path, workdir: Path, *args: str, **settings):
    return run_crawl(spider, replica.url, workdir, *args, settings={"ALANEWS_DATA_DIR": str(data), **settings})


def urls(items) -> list[str]:
    return [item["url"] for item in items]


def publish_into(replica, path: str, k: int, not_in: str | None = None) -> list[str]:
    """``k`` new posts listed in the archive of ``path`` (and not in that of ``not_in``), newest first."""
    found: list[str] = []
    for _ in range(10 * k):
        new = json.loads(replica.post(f"/__replica__/publish?count=1&category={path}").splitlines()[0])["url"]
        if new in replica.archive(path) and (not_in is None or new not in replica.archive(not_in)):
            found.insert(0, new)
        if len(found) == k:
            return found
    raise AssertionError(f"could not publish {k} posts into {path}")


def failed_rows(data: Path) -> list[tuple]:
    conn = sqlite3.connect(data / "deltafetch" / "state.sqlite")
    try:
        return conn.execute("SELECT key, spider, kind FROM failed ORDER BY key").fetchall()
    finally:
        conn.close()


# --- walks: another spider's history proves nothing about this archive ----------------------------------

@pytest.mark.parametrize("parent, child, child_spider", [("sport", "sport/calcio", "calcio"),
                                                         ("cronaca", "cronaca/video", "video")])
def test_posts_another_spider_wrote_do_not_end_a_walk_early(make_replica, tmp_path, parent, child, child_spider):
    replica = make_replica("--articles", "120", "--seed", "61")
    data = tmp_path / "data"
    for n, spider in enumerate((parent, child_spider)):
        assert crawl(replica, spider, data, tmp_path / f"first{n}", "related_depth=0").returncode == 0
    # five new posts of the parent's own, then a page of newer posts of the child's on top of its archive
    own = publish_into(replica, parent, 5, not_in=child)
    newer = publish_into(replica, child, PER_PAGE)
    assert replica.archive(parent)[:PER_PAGE] == newer and set(own) <= set(replica.archive(parent)[PER_PAGE:])
    assert sorted(urls(crawl(replica, child_spider, data, tmp_path / "child", "related_depth=0").items)) == sorted(newer)

    run = crawl(replica, parent, data, tmp_path / "parent", "related_depth=0")
    assert run.returncode == 0, run.log[-3000:]
    assert sorted(urls(run.items)) == sorted(own)  # page 1, all the child's, did not stop the walk
    assert run.stats["deltafetch/early_stop"] == 1 and run.stats["alanews/listing/pages"] == 2
    again = crawl(replica, parent, data, tmp_path / "again", "related_depth=0")
    assert again.items == [] and again.stats["alanews/listing/pages"] == 1  # the walk was complete


# --- failed articles land in their own spider's feed -----------------------------------------------------

def test_an_article_that_failed_is_retried_by_its_own_spider_not_by_the_next_one(make_replica, tmp_path):
    replica = make_replica("--articles", "80", "--seed", "62")
    data = tmp_path / "data"
    truth = replica.truth()
    esteri_post = next(url for url in replica.archive("esteri") if truth[url]["category_path"] == "esteri")
    replica.post(f"/__replica__/break?post_id={truth[esteri_post]['post_id']}&status=500")
    first = crawl(replica, "esteri", data, tmp_path / "esteri1", "related_depth=0", RETRY_TIMES="0")
    assert esteri_post not in urls(first.items) and failed_rows(data) == [(esteri_post, "esteri", "http_500")]
    replica.post(f"/__replica__/break?post_id={truth[esteri_post]['post_id']}&status=200")

    replica.reset_stats()
    other = crawl(replica, "cronaca", data, tmp_path / "cronaca", "related_depth=0")
    assert other.returncode == 0 and esteri_post not in urls(other.items)
    assert replica.stats()["by_path"].get(esteri_post.removeprefix(replica.url), 0) == 0
    retried = crawl(replica, "esteri", data, tmp_path / "esteri2", "related_depth=0")
    assert urls(retried.items) == [esteri_post] and retried.stats["deltafetch/failed/retried"] == 1
    assert failed_rows(data) == []


# --- taking back keeps every feed valid -----------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_state_failing_mid_run_leaves_a_valid_document_feed(make_replica, tmp_path, fmt):
    replica = make_replica("--articles", "80", "--seed", "63")
    data = tmp_path / "data"
    out = tmp_path / f"out.{fmt}"
    slow = {"CONCURRENT_REQUESTS_PER_DOMAIN": "1", "DOWNLOAD_DELAY": "0.1", "FEEDS": json.dumps({str(out): {
        "format": fmt}}), "ALANEWS_DATA_DIR": str(data)}
    crawl_ = BackgroundCrawl("esteri", replica.url, tmp_path / "run", data, settings=slow)
    crawl_.wait_for(lambda: out.exists() and out.read_bytes().count(b"<url>" if fmt == "xml" else b'"url"') >= 3)
    holder = Holder(data / "deltafetch" / "state.sqlite")
    try:
        assert crawl_.wait() == 3
    finally:
        holder.release()
    assert crawl_.stats()["finish_reason"] == "state_failed"
    if fmt == "json":
        written = [item["url"] for item in json.loads(out.read_text("utf-8"))]
    else:
        written = [element.findtext("url") for element in ET.parse(out).getroot()]  # noqa: S314 our own feed
    conn = sqlite3.connect(data / "deltafetch" / "state.sqlite")
    recorded = {row[0] for row in conn.execute("SELECT url FROM articles")}
    conn.close()
    assert len(written) >= 2 and set(written) == recorded


# --- a document feed is not appended to -----------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_appending_to_a_document_feed_is_refused_before_the_first_request(make_replica, tmp_path, fmt):
    replica = make_replica("--articles", "40", "--seed", "64")
    data = tmp_path / "data"
    out = tmp_path / f"out.{fmt}"
    cmd = [*crawl_command("esteri", replica.url, data, out), "-a", "related_depth=0"]
    first = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr[-3000:]
    before = out.read_bytes()
    state = (data / "deltafetch" / "state.sqlite").read_bytes()
    replica.reset_stats()
    second = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert second.returncode == 1
    errors = [line for line in second.stderr.splitlines() if "] ERROR: " in line]
    assert len(errors) == 1 and re.search(rf"Not started: feed {re.escape(str(out))} is an? .* already holds items",
                                          errors[0]) and "Use -O to overwrite it" in errors[0]
    assert out.read_bytes() == before and replica.stats()["total"] == 0
    assert (data / "deltafetch" / "state.sqlite").read_bytes() == state


# --- durable: the feed's line is on disk before the state says so ----------------------------------------

def test_every_feed_line_is_fsynced_before_the_commit_that_records_it(make_replica, tmp_path):
    strace = shutil.which("strace")
    assert strace, "strace is needed (`.ci/run` installs it)"
    replica = make_replica("--articles", "40", "--seed", "65")
    data = tmp_path / "data"
    feed = tmp_path / "esteri.jsonl"
    trace = tmp_path / "trace.txt"
    cmd = crawl_command("esteri", replica.url, data, feed, "related_depth=0")
    cmd[0] = sys.executable
    done = subprocess.run([strace, "-f", "-y", "-qq", "-e", "trace=write,pwrite64,fsync,fdatasync", "-o", str(trace),
                           *cmd], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    items = len(feed.read_text().splitlines())
    assert items > 3
    events = []  # ("line" | "feed_sync" | "commit") in the order the kernel saw them
    for line in trace.read_text().splitlines():
        call = line.split(None, 1)[-1]
        if f"<{feed}>" in call:
            events.append("feed_sync" if call.startswith(("fsync", "fdatasync")) else "line")
        elif call.startswith(("fsync", "fdatasync")) and "state.sqlite-wal>" in call:
            events.append("commit")  # synchronous=FULL: a WAL commit ends with its fsync
    assert events.count("line") == items
    # after each line: the feed's fsync comes before the next commit (the one that records it)
    for n, event in enumerate(events):
        if event == "line":
            following = [e for e in events[n + 1:] if e in ("feed_sync", "commit")]
            assert following and following[0] == "feed_sync", events[max(0, n - 3):n + 5]
    assert events.count("commit") >= items


# --- one process, two crawls ----------------------------------------------------------------------------

SCRIPT = """
import json, sys
from scrapy.crawler import CrawlerRunner
from scrapy.utils.log import configure_logging
from scrapy.utils.project import get_project_settings
from scrapy.utils.reactor import install_reactor

settings = get_project_settings()
settings.setdict({**json.loads(sys.argv[1]), "ALANEWS_DATA_RUN": True}, priority="cmdline")
install_reactor(settings["TWISTED_REACTOR"])
configure_logging(settings)
from twisted.internet import defer, reactor

runner = CrawlerRunner(settings)
done = []

@defer.inlineCallbacks
def twice():  # Scrapy's documented way to run spiders one after the other in one process
    for _ in range(2):
        crawler = runner.create_crawler("esteri")
        yield runner.crawl(crawler, related_depth="0")
        done.append({k: v for k, v in crawler.stats.get_stats().items()
                     if k in ("finish_reason", "item_scraped_count", "deltafetch/skipped")})
    reactor.stop()

twice()
reactor.run()
print(json.dumps(done))
"""


def test_a_script_may_crawl_the_same_spider_twice_in_one_process(make_replica, tmp_path):
    replica = make_replica("--articles", "40", "--seed", "66")
    feed = tmp_path / "esteri.jsonl"
    settings = {**FAST, "ALANEWS_BASE_URL": replica.url, "ALANEWS_DATA_DIR": str(tmp_path / "data"),
                "FEEDS": {str(feed): {"format": "jsonlines"}}}
    done = subprocess.run([sys.executable, "-c", SCRIPT, json.dumps(settings)], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Another crawl of esteri is running" not in done.stderr
    first, second = json.loads(done.stdout.strip().splitlines()[-1])
    written = len(replica.archive("esteri"))
    assert first == {"finish_reason": "finished", "item_scraped_count": written}
    assert second["finish_reason"] == "finished" and "item_scraped_count" not in second
    assert second["deltafetch/skipped"] >= 1 and len(feed.read_text().splitlines()) == written


# --- a listed article redirected to a page that is no article ---------------------------------------------

@pytest.mark.parametrize("target", ["to_category", "to_home"])
def test_a_listed_article_redirected_off_the_articles_fails_loudly_and_the_walk_completes(make_replica, tmp_path,
                                                                                         target):
    replica = make_replica("--articles", "60", "--seed", "67")
    data = tmp_path / "data"
    truth = replica.truth()
    post = next(url for url in replica.archive("esteri") if truth[url]["category_path"] == "esteri")
    replica.post(f"/__replica__/break?post_id={truth[post]['post_id']}&status={target}")
    first = crawl(replica, "esteri", data, tmp_path / "run1", "related_depth=0")
    assert first.returncode == 0, first.log[-3000:]
    assert first.stats["alanews/failed/redirected_off_article"] == 1
    assert len([line for line in first.log.splitlines() if "WARNING" in line and post in line
                and "redirected_off_article" in line]) == 1
    assert failed_rows(data) == [(post, "esteri", "redirected_off_article")]
    assert "not complete" not in first.log
    second = crawl(replica, "esteri", data, tmp_path / "run2", "related_depth=0")
    assert second.stats["deltafetch/early_stop"] == 1 and second.stats["deltafetch/failed/retried"] == 1


# --- what one new article costs the state ----------------------------------------------------------------

COUNTER = '''
"""Counts the state's statements of a run: reads (SELECTs outside a transaction) and commits."""
from scrapy import signals


class StateCounter:
    def __init__(self, crawler):
        self.crawler = crawler
        crawler.signals.connect(self.opened, signal=signals.spider_opened)
        crawler.signals.connect(self.closed, signal=signals.spider_closed)
        self.reads = self.commits = 0
        self.in_transaction = False

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def trace(self, sql):
        verb = sql.lstrip().split(None, 1)[0].upper()
        if verb == "BEGIN":
            self.in_transaction = True
        elif verb in ("COMMIT", "ROLLBACK"):
            self.in_transaction = False
            self.commits += verb == "COMMIT"
        elif verb == "SELECT" and not self.in_transaction:
            self.reads += 1

    def opened(self, spider):
        from alanews.ledger import ArticleLedger
        self.crawler.get_extension(ArticleLedger).store.conn.set_trace_callback(self.trace)

    def closed(self, spider):
        self.crawler.stats.set_value("count/reads", self.reads)
        self.crawler.stats.set_value("count/commits", self.commits)
'''


def test_one_new_article_costs_at_most_two_reads_and_one_commit(make_replica, tmp_path, capsys):
    (tmp_path / "state_counter.py").write_text(COUNTER)
    replica = make_replica("--articles", "120", "--seed", "68")
    data = tmp_path / "data"
    extensions = json.dumps({"state_counter.StateCounter": 900, "alanews.feeds.FeedExporter": 0,
                             "alanews.ledger.ArticleLedger": 10, "scrapy.extensions.feedexport.FeedExporter": None})
    env = {"PYTHONPATH": f"{ROOT}:{tmp_path}"}
    assert run_crawl("esteri", replica.url, tmp_path / "first", settings={"ALANEWS_DATA_DIR": str(data)}).returncode == 0
    costs = {}
    for n in (5, 25):
        publish_into(replica, "esteri", n)
        run = run_crawl("esteri", replica.url, tmp_path / f"new{n}", env=env,
                        settings={"ALANEWS_DATA_DIR": str(data), "EXTENSIONS": extensions})
        assert run.returncode == 0 and len(run.items) >= n, run.log[-3000:]
        costs[len(run.items)] = (run.stats["count/reads"], run.stats["count/commits"])
    (few, (reads_few, commits_few)), (many, (reads_many, commits_many)) = sorted(costs.items())
    reads = (reads_many - reads_few) / (many - few)
    commits = (commits_many - commits_few) / (many - few)
    with capsys.disabled():
        print(f"\nstate cost per new article: {reads:.2f} reads, {commits:.2f} commits "
              f"({few} new: {reads_few} reads, {commits_few} commits; {many} new: {reads_many}, {commits_many})")
    assert reads <= 2 and commits <= 1
