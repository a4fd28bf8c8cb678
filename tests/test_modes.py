"""Snapshot and incremental runs (alanews.incremental.run_mode): the real `scrapy crawl` commands.

``-O FILE`` is a snapshot: every article, whatever earlier runs did, the state neither read nor
written. ``-o FILE`` and the data directory's feeds are incremental. ``-a incremental=0|1`` decides
either way. The run's log says which mode it ran in and why.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FAST, ROOT

SPIDER = "esteri"


def scrapy_crawl(replica, data: Path, *args: str, preexec_fn=None) -> subprocess.CompletedProcess:
    """`scrapy crawl esteri ARGS` against the replica, politeness off, state in ``data``."""
    cmd = [sys.executable, "-m", "scrapy", "crawl", SPIDER, *args]
    for key, value in {"ALANEWS_BASE_URL": replica.url, "ALANEWS_DATA_DIR": str(data), **FAST}.items():
        cmd += ["-s", f"{key}={value}"]
    result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300, preexec_fn=preexec_fn)
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    return result


def urls(path: Path) -> list[str]:
    return [json.loads(line)["url"] for line in path.read_text("utf-8").splitlines()]


@pytest.fixture(scope="module")
def site(request):
    from conftest import Replica

    server = Replica("--articles", "60", "--seed", "37")
    request.addfinalizer(server.stop)
    return server


def test_overwrite_output_is_a_snapshot_every_time(site, tmp_path):
    archive = sorted(site.archive(SPIDER))
    data, out = tmp_path / "data", tmp_path / "esteri.jsonl"
    for run in (1, 2):
        result = scrapy_crawl(site, data, "-O", str(out))
        assert result.returncode == 0, result.stderr[-3000:]
        assert sorted(urls(out)) == archive, f"run {run}"
        assert f"deltafetch: snapshot run (-O overwrites {out}): {len(archive)} articles written; the incremental " \
               "state was neither read nor written" in result.stderr
    assert not (data / "deltafetch").exists()  # neither read nor written, nor locked


def test_an_overwrite_that_writes_nothing_keeps_the_file(site, tmp_path):
    """``-O`` replaces the file at its first line: a run that cannot reach the site (exit 4), is
    interrupted before any item, or finishes with nothing to write leaves the earlier snapshot as it
    was, its summary with it; and says so once."""
    import socket

    data, out = tmp_path / "data", tmp_path / "esteri.jsonl"
    out.write_text('{"url": "an earlier snapshot"}\n', "utf-8")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}"  # nothing listens there
    offline = subprocess.run([sys.executable, "-m", "scrapy", "crawl", SPIDER, "-O", str(out), "-s",
                              f"ALANEWS_BASE_URL={closed}", "-s", f"ALANEWS_DATA_DIR={data}"],
                             cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert offline.returncode == 4, offline.stderr[-3000:]
    assert out.read_text("utf-8") == '{"url": "an earlier snapshot"}\n'
    assert not (tmp_path / "esteri.jsonl.summary.json").exists()  # the summary is kept with its feed
    # -a since beyond every post: the run finishes, lists posts, writes none
    nothing = scrapy_crawl(site, data, "-O", str(out), "-a", "since=2099-01-01")
    assert nothing.returncode in (0, 3) and "'finish_reason': 'finished'" in nothing.stderr, nothing.stderr[-3000:]
    assert out.read_text("utf-8") == '{"url": "an earlier snapshot"}\n'
    assert not (tmp_path / "esteri.jsonl.summary.json").exists()
    said = [line for line in nothing.stderr.splitlines() if str(out) in line and "feed" in line.lower()]
    assert len(said) == 1 and said[0].endswith(
        f"Feed {out}: no article written, so the file is left as it was, and its run summary"), said
    # nothing written to a feed not there yet: no file at all
    fresh = tmp_path / "fresh.jsonl"
    made = scrapy_crawl(site, data, "-O", str(fresh), "-a", "since=2099-01-01")
    assert made.returncode in (0, 3)
    assert not fresh.exists() and not (tmp_path / "fresh.jsonl.summary.json").exists()
    assert f"Feed {fresh}: no article written, so no file made" in made.stderr
    out.write_text('{"url": "an earlier snapshot"}\n', "utf-8")
    assert scrapy_crawl(site, data, "-O", str(out)).returncode == 0
    assert sorted(urls(out)) == sorted(site.archive(SPIDER))


def test_an_overwrite_replaces_the_file_only_once_it_has_its_first_line(site, tmp_path):
    """The first line goes to a new file beside the old, renamed over it once written: a first
    write that fails, or a run whose every item is dropped, leaves the old snapshot whole.
    What is not a regular file (/dev/null, a pipe) is written as it is."""
    import resource

    from conftest import Replica

    old = '{"url": "an earlier snapshot"}\n' * 5
    out = tmp_path / "esteri.jsonl"
    out.write_text(old, "utf-8")

    def limit():  # no file may grow past 1,000 bytes: the first line (~3 KB) cannot be written
        resource.setrlimit(resource.RLIMIT_FSIZE, (1000, 1000))

    full = scrapy_crawl(site, tmp_path / "data", "-O", str(out), preexec_fn=limit)
    assert full.returncode == 3 and "File too large" in full.stderr, full.stderr[-3000:]
    assert out.read_text("utf-8") == old
    assert not list(tmp_path.glob(".esteri.jsonl.*"))  # the new file that could not be written is gone

    drifted = Replica("--articles", "20", "--seed", "37", "--theme", "untitled")  # every item invalid
    try:
        invalid = scrapy_crawl(drifted, tmp_path / "data", "-O", str(out))
    finally:
        drifted.stop()
    assert invalid.returncode == 3 and "item_dropped_count" in invalid.stderr, invalid.stderr[-3000:]
    assert out.read_text("utf-8") == old

    devnull = scrapy_crawl(site, tmp_path / "data", "-O", "/dev/null:jsonlines", "-a", "max_pages=1")
    assert devnull.returncode == 0, devnull.stderr[-3000:]


def test_a_reset_asked_of_a_snapshot_is_said_to_be_ignored(site, tmp_path):
    data, out = tmp_path / "data", tmp_path / "esteri.jsonl"
    result = scrapy_crawl(site, data, "-O", str(out), "-a", "deltafetch_reset=1")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "WARNING: deltafetch: deltafetch_reset is ignored by a snapshot run: the state is not written; add " \
           "-a incremental=1 to write everything and remember it" in result.stderr
    assert sorted(urls(out)) == sorted(site.archive(SPIDER)) and not (data / "deltafetch").exists()


def test_append_output_is_incremental_and_grows_one_file_without_duplicates(site, tmp_path):
    archive = sorted(site.archive(SPIDER))
    data, out = tmp_path / "data", tmp_path / "esteri.jsonl"
    first = scrapy_crawl(site, data, "-o", str(out))
    assert first.returncode == 0 and sorted(urls(out)) == archive
    second = scrapy_crawl(site, data, "-o", str(out))
    assert second.returncode == 0 and sorted(urls(out)) == archive  # nothing added
    assert "deltafetch: incremental run (the feeds are appended to): 0 fetched, 10 skipped as known, 0 stored, " \
           f"0 not recorded, {len(archive)} known" in second.stderr


def test_the_spider_argument_overrides_either_way(site, tmp_path):
    archive = sorted(site.archive(SPIDER))
    data, out = tmp_path / "data", tmp_path / "esteri.jsonl"
    assert scrapy_crawl(site, data, "-o", str(out)).returncode == 0
    # -o with incremental=0: everything again (appended: the user asked for it); the state untouched
    again = scrapy_crawl(site, data, "-o", str(out), "-a", "incremental=0")
    assert again.returncode == 0 and sorted(urls(out)) == sorted(archive * 2)
    assert ("deltafetch: full run, appended (-a incremental=0): every article is fetched and written, those "
            "written before again; the incremental state is neither read nor written") in again.stderr
    assert "snapshot" not in again.stderr  # it is not one: the file grew
    # -O with incremental=1: only what was never written (here nothing): the file is left as it was
    fresh = scrapy_crawl(site, data, "-O", str(out), "-a", "incremental=1")
    assert fresh.returncode == 0 and sorted(urls(out)) == sorted(archive * 2)
    assert f"Feed {out}: no article written, so the file is left as it was" in fresh.stderr
    assert "deltafetch: incremental run (-a incremental=1): 0 fetched" in fresh.stderr


def test_a_bad_incremental_value_is_refused_in_one_line(site, tmp_path):
    result = scrapy_crawl(site, tmp_path / "data", "-O", str(tmp_path / "out.jsonl"), "-a", "incremental=maybe")
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if " ERROR: " in line]
    assert len(errors) == 1 and errors[0].endswith(
        "Not started: spider argument incremental must be 1 or 0 (true/false), got 'maybe'")
    assert not (tmp_path / "out.jsonl").exists()


def test_run_mode_and_feeds_replaced_by_every_run():
    from types import SimpleNamespace

    from scrapy.settings import Settings

    from alanews.errors import SpiderArgumentError
    from alanews.feeds import FTPFeedStorage
    from alanews.ledger import replaced_each_run, run_mode

    def mode(feeds: dict, **spider_args):
        return run_mode(Settings({"FEEDS": feeds}), SimpleNamespace(**spider_args))

    assert mode({}) == (True, "the feeds are appended to")
    assert mode({"a.jsonl": {"format": "jsonlines"}}) == (True, "the feeds are appended to")
    assert mode({"ftp://u:pw@h/a.jsonl": {"overwrite": True}}) == (False, "-O overwrites ftp://u:***@h/a.jsonl")
    assert mode({"a.jsonl": {"overwrite": True}}, incremental="yes") == (True, "-a incremental=yes")
    assert mode({}, incremental="0") == (False, "-a incremental=0")
    with pytest.raises(SpiderArgumentError, match="incremental must be 1/0"):
        mode({}, incremental="")

    def slot(uri: str, **options):
        storage = FTPFeedStorage(uri, feed_options=options) if uri.startswith("ftp") else object()
        return SimpleNamespace(uri=uri, uri_template=uri, storage=storage)

    assert replaced_each_run(slot("ftp://u:pw@h/esteri.jsonl"))  # STOR replaces it
    assert not replaced_each_run(slot("ftp://u:pw@h/esteri.jsonl", overwrite=False))  # APPE
    assert not replaced_each_run(slot("ftp://u:pw@h/esteri-%(time)s.jsonl"))
    assert replaced_each_run(slot("s3://bucket/esteri.jsonl")) and not replaced_each_run(slot("/data/esteri.jsonl"))
