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

from conftest import Crawl, run_crawl
from test_crawl import assert_items_match_truth

PER_PAGE = 10
RETRY_TIMES = 3  # settings.py
EXIT_MONITORS_FAILED = 3  # alanews/commands/crawl.py


class Runs:
    """Runs of one spider against one replica: one data directory, one feed file they append to."""

    def __init__(self, replica, workdir: Path, spider: str = "esteri", settings: dict | None = None):
        self.replica, self.workdir, self.spider = replica, workdir, spider
        self.settings = settings or {}
        self.feed = workdir / f"{spider}.jsonl"

    def lines(self) -> list[dict]:
        text = self.feed.read_text("utf-8") if self.feed.exists() else ""
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    def run(self, *args: str, settings: dict | None = None, returncode: int | None = 0) -> Crawl:
        """One run; its ``items`` are the lines it added to the feed."""
        before = len(self.lines())
        crawl = run_crawl(self.spider, self.replica.url, self.workdir, *args,
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

@pytest.mark.parametrize("status", [503, 500])
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


@pytest.mark.parametrize("status", [404, 410])
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
