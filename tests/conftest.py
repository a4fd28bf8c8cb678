"""The replica as a real HTTP server on loopback, and real `scrapy crawl` runs against it."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from replica.harness import ROOT, ReplicaProcess, scrapy_stats

REPLICA_ARTICLES = 300
# Politeness off and parallelism up: the replica is ours and on loopback.
FAST = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
    "LOG_LEVEL": "INFO",
}


def tracked_files(*paths: str) -> list[str]:
    """The checkout's tracked files under ``paths`` (all when none), relative to it: what a
    fresh clone holds, never what the user's runs left in the checkout."""
    out = subprocess.run(["git", "ls-files", "-z", "--", *paths], cwd=ROOT, capture_output=True, check=True).stdout
    return [name for name in out.decode().split("\0") if name and (ROOT / name).is_file()]


def copy_tracked(target: Path, *paths: str) -> Path:
    """Copy the tracked files under ``paths`` (files or directories of the checkout) into ``target``."""
    for name in tracked_files(*paths):
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target / name)
    return target


def Replica(*args: str) -> ReplicaProcess:
    """A started replica, its URL known."""
    return ReplicaProcess(*args).ready()


@pytest.fixture(scope="session")
def replica():
    server = Replica("--articles", str(REPLICA_ARTICLES), "--seed", "1")
    yield server
    server.stop()


@pytest.fixture
def make_replica():
    """Replicas a test may change (publish articles, switch modes); stopped after the test."""
    started = []

    def start(*args: str) -> Replica:
        started.append(Replica(*args))
        return started[-1]

    yield start
    for server in started:
        server.stop()


@dataclass
class Crawl:
    returncode: int
    items: list[dict]
    stats: dict
    log: str
    feed: Path
    cmd: list[str] = field(default_factory=list)


def crawl_command(spider: str, base_url: str, data_dir: Path, feed: Path | None, *args: str,
                  settings: dict | None = None) -> list[str]:
    """`scrapy crawl` against a replica: politeness off, state in ``data_dir``, feed appended to ``feed``
    (``-o``: an incremental run; the callers remove a feed left by an earlier test run)."""
    cmd = [sys.executable, "-m", "scrapy", "crawl", spider]
    if feed is not None:
        cmd += ["-o", str(feed)]
    for key, value in {"ALANEWS_BASE_URL": base_url, "ALANEWS_DATA_DIR": str(data_dir),
                       **FAST, **(settings or {})}.items():
        cmd += ["-s", f"{key}={value}"]
    for arg in args:
        cmd += ["-a", arg]
    return cmd


def run_crawl(spider: str, base_url: str, workdir: Path, *args: str, settings: dict | None = None,
              feed: bool = True, timeout: int = 300, env: dict | None = None, append: bool = False) -> Crawl:
    """Run `scrapy crawl` in a real process; return its feed items, stats and log.

    With ``append`` (``-o``), ``items`` is every line of the feed file, this run's and earlier ones'.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    out = workdir / f"{spider}.jsonl"
    if not append:
        out.unlink(missing_ok=True)
    cmd = crawl_command(spider, base_url, workdir / "data", out if feed else None, *args, settings=settings)
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})
    items = []
    if feed and out.exists():
        items = [json.loads(line) for line in out.read_text("utf-8").splitlines() if line.strip()]
    return Crawl(proc.returncode, items, scrapy_stats(proc.stderr), proc.stderr, out, cmd)


class BackgroundCrawl:
    """`scrapy crawl` in a subprocess the test can watch, signal, kill or wait for."""

    def __init__(self, spider: str, base_url: str, workdir: Path, data_dir: Path, *args: str,
                 settings: dict | None = None, cwd: Path = ROOT, env: dict | None = None,
                 wait_timeout: float = 120):
        workdir.mkdir(parents=True, exist_ok=True)
        self.feed = workdir / f"{spider}.jsonl"
        self.feed.unlink(missing_ok=True)
        self.log_path = workdir / "stderr.log"
        self.wait_timeout = wait_timeout
        cmd = crawl_command(spider, base_url, data_dir, self.feed, *args, settings=settings)
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=self._log,
                                        env={**os.environ, **(env or {})})

    def lines(self, complete: bool = False) -> list[str]:
        data = self.feed.read_bytes() if self.feed.exists() else b""
        if complete:  # the crawl may be writing the last line right now
            data = data[:data.rfind(b"\n") + 1]
        return [line for line in data.decode("utf-8").split("\n") if line]

    def wait_for(self, condition, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            assert self.process.poll() is None, f"crawl ended first:\n{self.log()[-3000:]}"
            assert time.monotonic() < deadline, "timed out"
            time.sleep(0.002)

    def wait_for_items(self, count: int, timeout: float = 60) -> None:
        self.wait_for(lambda: len(self.lines(complete=True)) >= count, timeout)

    def signal(self, signum: int) -> None:
        self.process.send_signal(signum)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)
        self._log.close()

    def wait(self, timeout: float | None = None) -> int:
        code = self.process.wait(timeout=timeout or self.wait_timeout)
        self._log.close()
        return code

    def log(self) -> str:
        return self.log_path.read_text("utf-8")

    def stats(self) -> dict:
        return scrapy_stats(self.log())

    def items(self) -> list[dict]:
        """Every line of the feed must be a whole JSON object, even after a SIGKILL."""
        return [json.loads(line) for line in self.lines()]


def publish_in_archive(replica, k: int, path: str = "esteri") -> list[str]:
    """Publish one article at a time (they land in random categories) until ``k`` new ones
    are listed in the archive at ``path``; return those, newest first."""
    before = set(replica.archive(path))
    for _ in range(40 * k):
        replica.post("/__replica__/publish?count=1")
        new = [url for url in replica.archive(path) if url not in before]
        if len(new) == k:
            return new
    raise AssertionError(f"could not publish {k} articles into {path}")
