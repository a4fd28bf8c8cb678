"""Feed paths no file can be written at are refused before the first request (alanews/feeds.py
check_local_feeds), whoever runs the crawl: permission bits do not stop root, /proc and /sys do."""

from __future__ import annotations

import re

import pytest

from alanews.errors import NotStarting
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
