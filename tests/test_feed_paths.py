"""Feed paths no file can be written at are refused before the first request (alanews/feeds.py
check_local_feeds), whoever runs the crawl: permission bits do not stop root, /proc and /sys do."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from conftest import ROOT

from alanews.errors import NotStarting
from alanews.exitcodes import ExitStatus
from alanews.feeds import check_local_feeds


class _Settings(dict):
    def getdict(self, name):
        return self[name]


@pytest.mark.parametrize(("uri", "says"), [
    ("/proc/x.jsonl", "feed /proc/x.jsonl: /proc holds the kernel's files, not feeds"),
    ("/sys/x.jsonl", "feed /sys/x.jsonl: /sys holds the kernel's files, not feeds"),
    ("/proc/version", "feed /proc/version: /proc holds the kernel's files, not feeds"),  # opens, then fails writes
    ("/sys/kernel/%(name)s/%(time)s.jsonl", "/sys holds the kernel's files, not feeds"),
    ("file:///proc/self/x.jsonl", "/proc holds the kernel's files, not feeds"),
])
def test_a_feed_under_proc_or_sys_is_refused(uri, says):
    with pytest.raises(NotStarting, match="^" + re.escape(says) if says.startswith("feed") else re.escape(says)):
        check_local_feeds(_Settings(FEEDS={uri: {"format": "jsonlines"}}))


def test_a_directory_where_no_file_can_be_made_is_refused_and_nothing_is_left_in_one_that_can(tmp_path):
    full = tmp_path / "full"
    full.mkdir()
    check_local_feeds(_Settings(FEEDS={str(full / "x.jsonl"): {}}))
    assert list(full.iterdir()) == []  # the file tried is gone
    (tmp_path / "dir.jsonl").mkdir()
    with pytest.raises(NotStarting, match="is a directory"):
        check_local_feeds(_Settings(FEEDS={str(tmp_path / "dir.jsonl"): {"overwrite": True}}))


def test_the_spiders_own_directory_of_a_default_feed_is_checked_too(tmp_path):
    # the data directory's feeds: <data>/feeds/%(name)s/%(time)s.jsonl; a file where the spider's directory goes
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    (feeds / "latest").write_text("")
    uri = str(feeds / "%(name)s" / "%(time)s.jsonl")
    check_local_feeds(_Settings(FEEDS={uri: {}}), spider_name="esteri")
    with pytest.raises(NotStarting, match=re.escape(f"{feeds / 'latest'} is not a directory")):
        check_local_feeds(_Settings(FEEDS={uri: {}}), spider_name="latest")


@pytest.mark.parametrize(("option", "slash"), [("-o", ""), ("-O", "/")])
def test_o_an_existing_directory_is_a_feed_that_cannot_be_written_exit_1(tmp_path, option, slash):
    """Scrapy would say "Unrecognized output format ''" and exit 2 (a usage error)."""
    given = f"{tmp_path}{slash}"
    proc = subprocess.run([sys.executable, "-m", "scrapy", "crawl", "esteri", option, given,
                           "-s", f"ALANEWS_DATA_DIR={tmp_path / 'data'}"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == ExitStatus.NOT_STARTED, proc.stderr[-2000:]
    errors = [line.split("] ERROR: ", 1)[1] for line in proc.stderr.splitlines() if "] ERROR: " in line]
    assert errors == [f"Not started: feed {given}: {given} is a directory; name a file in it, "
                      f"e.g. {tmp_path / 'out.jsonl'}"]
    assert "Unrecognized output format" not in proc.stderr and not (tmp_path / "data").exists()
