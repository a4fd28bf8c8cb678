"""The README's commands, as written, from a fresh clone of the project.

Every fenced block of README.md is run here, in order, except the install and test commands,
which `.ci/run` runs itself (checked: the same lines). Offline, as on this machine, the commands
that go to www.alanews.it must end within seconds with exit status 4 (site unreachable); the
replica ones must write their feed.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
from pathlib import Path

import pytest

from replica.harness import ROOT


def readme_blocks() -> list[list[str]]:
    """The commands of each ``` block: one per line, continuation lines joined, comments dropped."""
    text = (ROOT / "README.md").read_text("utf-8")
    blocks = []
    for body in re.findall(r"^```\n(.*?)^```", text, re.S | re.M):
        joined = re.sub(r"\\\n\s*", "", body)
        blocks.append([re.sub(r"\s+#.*$", "", line).strip() for line in joined.splitlines() if line.strip()])
    return blocks


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def clone(tmp_path_factory) -> Path:
    """A fresh clone of the committed project: what a new user gets."""
    target = tmp_path_factory.mktemp("readme") / "alanews"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(target)], check=True)
    return target


def run(command: str, cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess:
    """``command`` in bash, the demo's cache inside the clone's temporary directory."""
    env = {**os.environ, "XDG_CACHE_HOME": str(cwd.parent / "cache")}
    return subprocess.run(["bash", "-c", command], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)


def test_install_and_test_commands_are_the_ones_ci_runs():
    blocks = readme_blocks()
    ci = (ROOT / ".ci" / "run").read_text("utf-8").splitlines()
    assert blocks[0] == ["python3 -m pip install -r requirements.txt"] and blocks[0][0] in ci
    tests = next(b for b in blocks if b and b[0].startswith("python3 -m pytest"))
    assert tests == ["python3 -m pytest -q"] and tests[0] in ci


def test_readme_commands_run_as_written_from_a_fresh_clone(clone):
    blocks = readme_blocks()
    run_block, demo, replica, crawl, changes, archive = blocks[1], blocks[2], blocks[3], blocks[4], blocks[5], blocks[6]

    # Run: no network here, so the site is unreachable: one line, exit 4, within seconds
    proc = run(run_block[0], clone, timeout=120)
    assert proc.returncode == 4, proc.stderr[-3000:]
    assert "cannot reach https://www.alanews.it: DNS lookup failed; offline? try" in proc.stderr
    assert "Traceback" not in proc.stderr

    # Offline demo: a full snapshot feed in the working directory
    proc = run(demo[0], clone)
    assert proc.returncode == 0, proc.stderr[-3000:]
    items = [json.loads(line) for line in (clone / "esteri.jsonl").read_text("utf-8").splitlines()]
    assert len(items) > 20 and len({item["url"] for item in items}) == len(items)

    # Crawl the replica yourself: the two terminals, on a free port instead of 8123
    port = str(free_port())
    server = subprocess.Popen(["bash", "-c", "exec " + replica[0].replace("8123", port)], cwd=clone,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout.readline() == f"REPLICA_URL http://127.0.0.1:{port}\n"
        (clone / "esteri.jsonl").unlink()
        proc = run(crawl[0].replace("8123", port), clone)
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert len((clone / "esteri.jsonl").read_text("utf-8").splitlines()) == len(items)
        # Change the running site: the block as one script, each command must succeed
        changed = run("set -e\n" + "\n".join(changes).replace("8123", port), clone, timeout=600)
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert changed.returncode == 0, changed.stderr[-3000:]
    assert [line.split()[:4] for line in changes[1:]] == [
        ["scrapy", "crawl", "archive", "-o"], ["python", "-m", "replica.control", "--port"],
        ["python", "-m", "replica.control", "--port"], ["python", "-m", "replica.control", "--port"],
        ["scrapy", "crawl", "latest", "-o"], ["scrapy", "crawl", "updates", "-o"], ["scrapy", "audit", "$R"]]
    feed = [json.loads(line) for line in (clone / "all.jsonl").read_text("utf-8").splitlines()]
    assert [(item["version"], item["title"]) for item in feed if item["post_id"] == 10003][-1] == (2, "Nuovo titolo")
    report = json.loads(max((clone / "data" / "audit").glob("*.json")).read_text("utf-8"))
    # the archive's 300, the 3 posts published since (latest, from the RSS feed), version 2 of 10003
    first = {item["post_id"] for item in feed[:300]}
    assert len({item["post_id"] for item in feed[300:303]} - first) == 3 and feed[303]["post_id"] == 10003
    assert len(feed) == 304 and (report["totals"]["missing"], report["totals"]["gone"]) == (0, 1)

    # The whole archive: offline, each command stops at once as the site is unreachable
    assert [line.split()[:3] for line in archive] == [
        ["scrapy", "crawl", "archive"], ["scrapy", "audit"], ["scrapy", "audit", "--fetch"],
        ["scrapy", "crawl", "updates"]]
    for command in archive:
        proc = run(command, clone, timeout=120)
        assert proc.returncode == 4, (command, proc.stderr[-3000:])
        assert "cannot reach https://www.alanews.it" in proc.stderr and "Traceback" not in proc.stderr
        # the hint works as given: the demo for a spider that needs no earlier run, else the replica
        assert ("try `python -m replica.demo archive`" in proc.stderr if "archive" in command
                else "offline? crawl the replica yourself (README)" in proc.stderr), (command, proc.stderr[-2000:])


def test_every_documentation_link_exists():
    text = (ROOT / "README.md").read_text("utf-8")
    links = re.findall(r"\]\(((?!https?:)[^)]+)\)", text)
    assert links and [link for link in links if not (ROOT / link).exists()] == []
    assert len(text.splitlines()) <= 200
