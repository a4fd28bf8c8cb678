"""One post, one item: the post id is the identity across runs; the canonical link is evidence.

Real `scrapy crawl` runs against a replica that changes between runs: a post's slug renamed (the
old URL 301s to the new), a post moved to another category path, canonical links naming another
post or another site.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

from conftest import Crawl, run_crawl


def crawl(replica, spider: str, data: Path, workdir: Path) -> Crawl:
    result = run_crawl(spider, replica.url, workdir, settings={"ALANEWS_DATA_DIR": str(data)})
    assert result.returncode == 0, result.log[-3000:]
    assert "Traceback" not in result.log
    return result


def urls(items) -> list[str]:
    return [item["url"] for item in items]


def test_a_renamed_post_is_not_written_again(make_replica, tmp_path):
    replica = make_replica("--articles", "60", "--seed", "41")
    data = tmp_path / "data"
    first = crawl(replica, "esteri", data, tmp_path / "run1")
    assert sorted(urls(first.items)) == sorted(replica.archive("esteri"))
    old = replica.archive("esteri")[2]
    post_id = replica.truth()[old]["post_id"]
    moved = json.loads(replica.post(f"/__replica__/rename?post_id={post_id}&slug=titolo-corretto-dopo-la-pubblicazione"))
    assert moved["old"] == old and moved["new"] in replica.archive("esteri") and old not in replica.truth()

    # the listing shows the new URL, never written: fetched, recognised by its post id, not written
    second = crawl(replica, "esteri", data, tmp_path / "run2")
    assert second.items == []
    assert second.stats["deltafetch/known_post"] == 1
    assert f"deltafetch: {moved['new']} is post {post_id}, written before as {old}: not written again" in second.log
    # the new URL is now an alias: not even fetched
    replica.reset_stats()
    third = crawl(replica, "esteri", data, tmp_path / "run3")
    assert third.items == [] and "deltafetch/known_post" not in third.stats
    assert urlsplit(moved["new"]).path not in replica.stats()["by_path"]


def test_a_post_moved_to_another_category_path_is_not_written_again(make_replica, tmp_path):
    replica = make_replica("--articles", "60", "--seed", "42")
    data = tmp_path / "data"
    first = crawl(replica, "cronaca", data, tmp_path / "run1")
    assert sorted(urls(first.items)) == sorted(replica.archive("cronaca"))
    truth = replica.truth()
    old = next(url for url in replica.archive("cronaca")[:8] if truth[url]["category_path"] == "cronaca")
    post_id = truth[old]["post_id"]
    # its primary category becomes a child of cronaca: still in the cronaca archive, under a new permalink
    moved = json.loads(replica.post(f"/__replica__/rename?post_id={post_id}&category=cronaca/video"))
    assert "/cronaca/video/" in moved["new"] and moved["new"] in replica.archive("cronaca")

    second = crawl(replica, "cronaca", data, tmp_path / "run2")
    assert second.items == [] and second.stats["deltafetch/known_post"] == 1
    # the old URL 301s to the new one: a request for it is one of this article's keys too
    assert json.loads(replica.post(f"/__replica__/rename?post_id={post_id}&slug=di-nuovo"))["old"] == moved["new"]
    third = crawl(replica, "cronaca", data, tmp_path / "run3")
    assert third.items == [] and third.stats["deltafetch/known_post"] == 1


def test_a_canonical_naming_another_post_or_site_does_not_decide_the_url(make_replica, tmp_path):
    replica = make_replica("--articles", "60", "--seed", "43")
    data = tmp_path / "data"
    archive = replica.archive("esteri")
    truth = replica.truth()
    a, b, c, d = archive[:4]
    # two posts whose canonical (and og:url) names a third; one whose canonical is on another host
    for post in (a, b):
        replica.post(f"/__replica__/canonical?post_id={truth[post]['post_id']}&url={urlsplit(c).path}")
    replica.post(f"/__replica__/canonical?post_id={truth[d]['post_id']}"
                 f"&url=https://syndication.example.org/{urlsplit(d).path.strip('/')}/")

    first = crawl(replica, "esteri", data, tmp_path / "run1")
    assert sorted(urls(first.items)) == sorted(archive)  # four items, none merged, none invalid
    for item in first.items:
        expected = truth[item["url"]]
        assert (item["title"], item["body"], item["post_id"]) == (expected["title"], expected["body"],
                                                                  expected["post_id"])
    assert first.stats["alanews/canonical/conflict"] == 3
    assert f"Canonical conflict on {a}: it declares {c}, another post or site; its url is the one fetched" in first.log
    # the article with the foreign canonical is good on every run: known, not fetched again and again
    second = crawl(replica, "esteri", data, tmp_path / "run2")
    assert second.items == [] and "alanews/canonical/conflict" not in second.stats


def test_two_crawls_of_one_data_directory_at_once_never_both_write_a_post(make_replica, tmp_path):
    """`sport` and `calcio` (a child of sport: its posts are in both archives), and `alanews` with
    `archive`, started together on one data directory, as `deploy/schedule.py --all` and cron do:
    a post one crawl is writing is left to it by the other (a claim in the state), so the union of
    the feeds holds each post once, and every post of the archives."""
    from conftest import BackgroundCrawl

    replica = make_replica("--articles", "120", "--seed", "43")
    truth = replica.truth()
    for pair in (("sport", "calcio"), ("alanews", "archive")):
        data = tmp_path / "-".join(pair) / "data"
        crawls = [BackgroundCrawl(spider, replica.url, tmp_path / "-".join(pair) / spider, data)
                  for spider in pair]
        assert [c.wait(timeout=300) for c in crawls] == [0, 0], [c.log()[-2000:] for c in crawls]
        written = [url for c in crawls for url in urls(c.items())]
        assert len(written) == len(set(written)), sorted(u for u in written if written.count(u) > 1)
        wanted = set(replica.archive("sport")) if pair[0] == "sport" else set(truth)
        assert wanted <= set(written)
        assert all("Traceback" not in c.log() for c in crawls)
        for crawl in crawls:  # the closing line accounts for every article it fetched and did not write
            stats, line = crawl.stats(), next(entry for entry in crawl.log().splitlines() if " fetched, " in entry)
            for reason, words in (("ClaimedElsewhere", "left to another running crawl"), ("Unchanged", "unchanged")):
                if stats.get(f"item_dropped_reasons_count/{reason}"):
                    assert f", {stats[f'item_dropped_reasons_count/{reason}']} {words}," in line, line
