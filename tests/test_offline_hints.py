"""Offline, Scrapy's tools say what to try instead, and what they suggest works: the same command
on the replica (real `scrapy fetch` and `scrapy parse` processes; the real site is unreachable here)."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys

import pytest
from conftest import ROOT

from alanews.reachability import REPLICA_URL, offline_hint


def scrapy(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "scrapy", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


@pytest.mark.parametrize("command", [
    ["fetch", "https://www.alanews.it/category/esteri/"],
    ["parse", "https://www.alanews.it/category/esteri/", "--spider", "esteri"],
], ids=["fetch", "parse"])
def test_the_offline_hint_of_a_tool_is_the_same_command_on_the_replica_and_it_works(replica, command):
    offline = scrapy(*command)
    hint = re.search(r"offline\? start the replica \(`python -m replica --port 8123`\) and try `([^`]+)`",
                     offline.stderr)
    assert hint, offline.stderr[-3000:]
    assert "replica.demo" not in offline.stderr
    suggested = shlex.split(hint.group(1).replace(REPLICA_URL, replica.url))
    assert suggested[:2] == ["scrapy", command[0]]
    works = scrapy(*suggested[1:])
    assert works.returncode == 0, works.stderr[-3000:]
    assert "cannot reach" not in works.stderr and "No response downloaded" not in works.stderr
    if command[0] == "fetch":
        assert "jeg_post_title" in works.stdout  # the replica's Esteri archive


def test_the_hint_moves_every_url_and_replaces_a_base_url_given():
    hint = offline_hint("default", False, "https://www.alanews.it",
                        ["shell", "https://www.alanews.it/x/", "-s", "ALANEWS_BASE_URL=https://www.alanews.it"])
    assert hint.endswith("try `scrapy shell http://127.0.0.1:8123/x/ -s ALANEWS_BASE_URL=http://127.0.0.1:8123`")
    # a crawl: the demo of its spider, as before
    assert offline_hint("esteri", True, "https://www.alanews.it", ["crawl", "esteri"]) == \
        "try `python -m replica.demo esteri`"
