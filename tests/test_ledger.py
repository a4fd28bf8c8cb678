"""The article ledger's rules, in process (as scrapy-deltafetch tests its middleware): identity, the write
decision, known requests, claims, failed articles per spider, walks, the local feed checks, migration."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from pathlib import Path

import pytest
from inprocess import BASE, close, crawler_for, ledger_of
from scrapy.exceptions import NotConfigured
from scrapy.http import HtmlResponse, Request

from alanews.decision import DuplicateArticle, KnownPost, Unchanged, WriteDecisionPipeline
from alanews.errors import NotStarting
from alanews.feeds import check_local_feeds
from alanews.known import KnownArticles
from alanews.ledger import Claim, as_bool
from alanews.spiders.categories import CronacaSpider, EsteriSpider
from alanews.spiders.sitemaps import ArchiveSpider
from alanews.state import STATE_FILE, ArticleRecord, ArticleStore, Walked, Written

FIXTURES = Path(__file__).parent / "fixtures"


def article(n: int, **fields) -> dict:
    return {"url": f"{BASE}/2026/01/{n % 28 + 1:02d}/esteri/post-{n}/", "post_id": 1000 + n,
            "published": "2026-01-01T10:00:00+01:00", "modified": None, "category_path": "esteri",
            "title": f"Post {n}", "subtitle": None, "author": "Redazione", "body": "Testo.", "tags": [],
            "image_url": None, "video_url": None, "category": "Esteri", **fields}


@pytest.fixture
def esteri(tmp_path):
    crawler = crawler_for(EsteriSpider, tmp_path / "state")
    yield crawler
    close(crawler)


def response_of(url: str, **meta) -> HtmlResponse:
    return HtmlResponse(url, body=b"<html></html>", request=Request(url, meta=meta))


# --- identity: one rule ---------------------------------------------------------------------------------

def test_resolve_is_the_post_id_first_then_the_url_and_its_aliases(esteri):
    ledger = ledger_of(esteri)
    store = ledger.store
    store.record([Written.of(article(1), "esteri", f"{BASE}/?p=1001")])
    store.record([Written.of(article(2, post_id=None), "esteri")])
    renamed = f"{BASE}/2026/01/02/esteri/renamed/"
    assert ledger.resolve(1001, renamed).url == article(1)["url"]  # by post id, whatever the URL
    assert ledger.resolve(None, f"{BASE}/?p=1001").url == article(1)["url"]  # by an alias
    assert ledger.resolve(None, article(2)["url"]).post_id is None
    assert ledger.resolve(1002, article(2)["url"]).url == article(2)["url"]  # recorded without a post id
    # a URL recorded for another post id is not this post
    assert ledger.resolve(5555, article(1)["url"]) is None
    assert ledger.resolve(None, renamed) is None


def test_known_articles_drops_known_requests_alike_in_sync_and_async_output(esteri):
    ledger = ledger_of(esteri)
    ledger.store.record([Written.of(article(1), "esteri")])
    middleware = KnownArticles.from_crawler(esteri)
    known, new = article(1)["url"], article(2)["url"]

    def output():
        yield Request(known, meta={"deltafetch_key": known})
        yield Request(new, meta={"deltafetch_key": new})
        yield Request(known, meta={"deltafetch_key": known, "deltafetch_enabled": False})
        yield Request(f"{BASE}/category/esteri/page/2/")
        yield article(3)

    async def as_async(iterable):
        for r in iterable:
            yield r

    async def collect():
        return [r async for r in middleware.process_spider_output_async(response_of(f"{BASE}/category/esteri/"),
                                                                       as_async(output()))]

    sync = list(middleware.process_spider_output(response_of(f"{BASE}/category/esteri/"), output()))
    async_ = asyncio.run(collect())
    describe = [r.url if isinstance(r, Request) else r["url"] for r in sync]
    assert describe == [r.url if isinstance(r, Request) else r["url"] for r in async_]
    assert describe == [new, known, f"{BASE}/category/esteri/page/2/", article(3)["url"]]
    assert esteri.stats.get_value("deltafetch/skipped") == 2


def test_a_snapshot_run_has_no_state_and_skips_nothing(tmp_path):
    crawler = crawler_for(EsteriSpider, tmp_path / "state", incremental="0")
    ledger = ledger_of(crawler)
    assert ledger.store is None and not ledger.reads and ledger.known([article(1)["url"]]) == {}
    assert not (tmp_path / "state" / "esteri.lock").exists()  # no lock either
    with pytest.raises(NotConfigured):
        KnownArticles.from_crawler(crawler)


# --- the write decision -------------------------------------------------------------------------------

def decide(crawler, item):
    pipeline = WriteDecisionPipeline.from_crawler(crawler)
    pipeline.open_spider()
    claim = Claim.from_crawler(crawler)
    claim.open_spider()
    return pipeline, claim


def test_the_write_decision_drops_with_typed_reasons_and_sets_the_version(esteri):
    ledger = ledger_of(esteri)
    first = article(1, modified="2026-01-02T09:00:00+01:00")
    ledger.store.record([Written.of(first, "esteri")])
    pipeline, claim = decide(esteri, first)

    new = article(2)
    assert asyncio.run(claim.process_item(pipeline.process_item(dict(new))))["version"] == 1
    with pytest.raises(DuplicateArticle):  # this run wrote post 1002 already, whatever its URL
        pipeline.process_item(article(2, url=f"{BASE}/2026/01/03/esteri/other-spelling/"))
    with pytest.raises(Unchanged) as unchanged:
        pipeline.process_item(article(1, modified="2026-01-05T09:00:00+01:00"))
    assert unchanged.value.modified == "2026-01-05T09:00:00+01:00"

    pipeline.seen.clear()
    # renamed slug, same content: the same post, not written again; its new URL becomes an alias
    with pytest.raises(KnownPost) as known:
        pipeline.process_item(article(1, url=f"{BASE}/2026/01/02/esteri/new-slug/"))
    assert known.value.article == first["url"]
    pipeline.seen.clear()
    # moved to another category, not edited: only the category its permalink gives differs
    with pytest.raises(KnownPost):
        pipeline.process_item(article(1, url=f"{BASE}/2026/01/02/politica/post-1/", category_path="politica",
                                      category="Politica"))
    pipeline.seen.clear()
    # moved and edited: a new version under the new URL
    edited = pipeline.process_item(article(1, url=f"{BASE}/2026/01/02/politica/post-1/", category_path="politica",
                                           category="Politica", title="Nuovo titolo"))
    assert edited["version"] == 2 and esteri.stats.get_value("alanews/versions/new") == 1


def test_without_a_state_every_item_is_version_1(tmp_path):
    crawler = crawler_for(EsteriSpider, tmp_path / "state", incremental="0")
    pipeline, claim = decide(crawler, None)
    assert asyncio.run(claim.process_item(pipeline.process_item(article(1))))["version"] == 1
    with pytest.raises(DuplicateArticle):
        pipeline.process_item(article(1))


# --- claims: alive while the claiming crawl runs -------------------------------------------------------

def test_a_claim_holds_while_its_crawl_runs_and_is_taken_over_once_it_ended(tmp_path):
    state = tmp_path / "state"
    esteri = crawler_for(EsteriSpider, state)
    cronaca = crawler_for(CronacaSpider, state)
    keys = [article(1)["url"], "post:1001"]
    try:
        assert ledger_of(esteri).reserve(keys)
        assert not ledger_of(cronaca).reserve(keys)  # esteri's crawl holds its lock: left to it
        assert ledger_of(esteri).store.claims() == dict.fromkeys(keys, "esteri")
    finally:
        close(esteri)  # the crawl ended (or was killed, even as PID 1: its lock went with it)
    assert ledger_of(cronaca).reserve(keys)
    assert ledger_of(cronaca).store.claims() == dict.fromkeys(keys, "cronaca")
    close(cronaca)


def test_a_claim_left_by_a_killed_crawl_of_any_pid_is_taken_over(tmp_path):
    state = tmp_path / "state"
    state.mkdir()
    store = ArticleStore(state / STATE_FILE)
    with store.conn:  # a crawl of esteri killed while it wrote the article: no process holds esteri.lock
        store.conn.execute("INSERT INTO claims VALUES (?, 'esteri', 0)", (article(1)["url"],))
    store.close()
    cronaca = crawler_for(CronacaSpider, state)
    assert ledger_of(cronaca).reserve([article(1)["url"]])
    close(cronaca)


def test_a_new_version_is_claimed_though_its_post_is_recorded(esteri):
    ledger = ledger_of(esteri)
    ledger.store.record([Written.of(article(1), "esteri")])
    assert not ledger.reserve([article(1)["url"]], new=True)  # recorded meanwhile: not a new article
    assert ledger.reserve([article(1)["url"]], new=False)


# --- failed articles: retried by the spider that failed them ----------------------------------------------

def test_failed_articles_are_retried_only_by_the_spider_that_failed_them(tmp_path):
    state = tmp_path / "state"
    esteri = crawler_for(EsteriSpider, state)
    key = article(1)["url"]
    ledger_of(esteri).article_failed(key, "http_500")
    close(esteri)
    for spidercls, expected in ((CronacaSpider, []), (ArchiveSpider, []), (EsteriSpider, [key])):
        crawler = crawler_for(spidercls, state)
        ledger = ledger_of(crawler)
        ledger.spider_opened(crawler.spider)
        assert ledger.retries() == expected, spidercls.name
        close(crawler)


def test_an_invalid_item_is_a_failed_article_a_duplicate_is_not(esteri):
    from alanews.decision import InvalidArticle

    ledger = ledger_of(esteri)
    url = article(5)["url"]
    ledger.item_dropped(article(5), response_of(url, deltafetch_key=url), InvalidArticle("Invalid article"))
    other = article(6)["url"]
    ledger.item_dropped(article(6), response_of(other, deltafetch_key=other), DuplicateArticle("dup", url))
    assert [row[:3] for row in ledger.store.failures()] == [(url, "esteri", "invalid")]


def test_a_dropped_request_is_a_failure_only_when_it_redirected_to_a_page_that_is_no_article(esteri):
    """The dupefilter drops what it saw: here, a fingerprint this run never scheduled (the run a JOBDIR
    resumes had). Only a redirect to a page that is no article proves the article failed."""
    ledger = ledger_of(esteri)
    seen, moved, off = article(7)["url"], article(8)["url"], article(9)["url"]
    ledger.request_dropped(Request(seen, meta={"deltafetch_key": seen}))
    ledger.request_dropped(Request(article(10)["url"], meta={"deltafetch_key": moved, "redirect_urls": [moved]}))
    ledger.request_dropped(Request(f"{BASE}/category/esteri/", meta={"deltafetch_key": off, "redirect_urls": [off]}))
    assert [row[:3] for row in ledger.store.failures()] == [(off, "esteri", "redirected_off_article")]
    assert esteri.stats.get_value("deltafetch/dropped_as_seen") == 2


# --- walks: an early stop needs a post the last walk of that archive read ------------------------------

def test_a_walk_read_the_posts_recorded_before_it_started_or_by_its_own_spider_while_it_ran():
    def record(at: float, spider: str) -> ArticleRecord:
        return ArticleRecord("u", 1, None, None, "sport", "h", 1, at, spider, None, at, spider)

    walk = Walked(complete=True, started_at=100.0, updated_at=200.0, spider="sport")
    assert walk.read(record(50, "calcio"))  # before the walk started, by anyone
    assert walk.read(record(150, "sport"))  # by the walk itself
    assert not walk.read(record(150, "calcio"))  # another spider, while sport walked: proves nothing
    assert not walk.read(record(250, "sport"))  # after the walk
    assert not Walked(False, 100.0, 200.0, "sport").read(record(50, "calcio"))  # an incomplete walk
    assert not Walked(True, None, 200.0, None).read(record(50, "calcio"))


# --- local feeds checked before the first request ------------------------------------------------------

class _Settings(dict):
    def getdict(self, name):
        return self[name]


def test_local_feeds_that_cannot_be_written_or_appended_to_are_refused(tmp_path):
    def check(uri, **options):
        check_local_feeds(_Settings(FEEDS={str(uri): options}))

    for fmt in ("json", "xml", "csv"):
        holding = tmp_path / f"out.{fmt}"
        holding.write_text("[\n{}\n]" if fmt == "json" else "x")
        with pytest.raises(NotStarting, match=rf"feed {holding} is an? .* that already holds items: appending"):
            check(holding, format=fmt)
        check(holding, format=fmt, overwrite=True)  # -O: replaced
    (tmp_path / "empty.json").touch()
    check(tmp_path / "empty.json", format="json")  # nothing to break
    (tmp_path / "out.jsonl").write_text("{}\n")
    check(tmp_path / "out.jsonl", format="jsonlines")  # JSON Lines: appended line by line
    check(tmp_path / "new" / "dir" / "out.json", format="json")
    check(tmp_path / "%(name)s" / "%(time)s.json", format="json")
    check("ftp://user:pw@host/out.json", format="json")  # not a local file: its storage reports
    (tmp_path / "a-file").touch()
    with pytest.raises(NotStarting, match="is not a directory"):
        check(tmp_path / "a-file" / "out.jsonl", format="jsonlines")
    with pytest.raises(NotStarting, match="is not a directory"):
        check(tmp_path / "a-file" / "%(name)s.jsonl", format="jsonlines")
    (tmp_path / "a-dir.jsonl").mkdir()
    with pytest.raises(NotStarting, match="is a directory"):
        check(tmp_path / "a-dir.jsonl", format="jsonlines")


# --- the state of schema 1 -----------------------------------------------------------------------------

def test_a_state_of_schema_1_migrates_with_every_article_key_walk_and_failure(tmp_path):
    state = tmp_path / "state"
    shutil.copytree(FIXTURES / "state-v1", state)
    old = sqlite3.connect(state / STATE_FILE)
    articles = old.execute("SELECT url, post_id, version, written_at, spider FROM articles ORDER BY id").fetchall()
    keys = old.execute("SELECT key FROM keys ORDER BY key").fetchall()
    walks = dict(old.execute("SELECT category, complete FROM walks").fetchall())
    failed = old.execute("SELECT key, kind, runs FROM failed").fetchall()
    old.close()
    memory = (state / "sitemaps.json").read_text()

    store = ArticleStore(state / STATE_FILE)
    assert store.conn.execute("PRAGMA user_version").fetchone()[0] == 2
    assert [(r.url, r.post_id, r.version, r.written_at, r.spider) for r in store.records()] == articles
    assert all(r.first_written_at == r.written_at and r.first_spider == r.spider for r in store.records())
    assert store.conn.execute("SELECT key FROM keys ORDER BY key").fetchall() == keys
    assert {c: w.complete for c, w in store.walks().items()} == {c: bool(v) for c, v in walks.items()}
    # the failed article goes to the category spider of its URL; claims of pids are gone
    assert [(key, spider, kind, runs) for key, spider, kind, runs in store.failures()] == [
        (key, "esteri", kind, runs) for key, kind, runs in failed]
    assert store.claims() == {}
    assert store.sitemap_memory() == __import__("json").loads(memory)
    assert not (state / "sitemaps.json").exists() and (state / "sitemaps.json.migrated").exists()
    store.close()
    again = ArticleStore(state / STATE_FILE)  # opened again: nothing migrated twice
    assert len(again) == len(articles) and again.sitemap_memory() == __import__("json").loads(memory)
    again.close()


@pytest.mark.parametrize("value, expected", [
    ("1", True), ("true", True), ("Yes", True), ("0", False), ("false", False), ("", False), (None, False)])
def test_deltafetch_reset_values(value, expected):
    assert as_bool(value, "deltafetch_reset") is expected
    with pytest.raises(ValueError, match="deltafetch_reset"):
        as_bool("maybe", "deltafetch_reset")


def test_the_lock_is_released_when_the_crawl_closes_so_the_same_process_may_crawl_again(tmp_path):
    from alanews.feeds import FeedExporter
    from alanews.ledger import SpiderLocked

    first = crawler_for(EsteriSpider, tmp_path / "state")
    with pytest.raises(SpiderLocked, match="Another crawl of esteri is running"):
        crawler_for(EsteriSpider, tmp_path / "state")
    ledger = ledger_of(first)
    ledger.spider_opened(first.spider)
    exporter = first.get_extension(FeedExporter)
    exporter.closed.callback(None)  # its feeds are stored (no item was written)
    asyncio.run(ledger.spider_closed(first.spider, "finished"))
    second = crawler_for(EsteriSpider, tmp_path / "state")
    assert ledger_of(second).store is not None
    close(second)
