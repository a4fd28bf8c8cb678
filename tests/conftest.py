"""The replica as a real HTTP server on loopback, and real `scrapy crawl` runs against it."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REPLICA_ARTICLES = 300
# Politeness off and parallelism up: the replica is ours and on loopback.
FAST = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
    "LOG_LEVEL": "INFO",
}


class Replica:
    """A running `python -m replica` subprocess and its control endpoints."""

    def __init__(self, *args: str):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "replica", "--port", "0", *args],
            cwd=ROOT, stdout=subprocess.PIPE, text=True,
        )
        line = self.process.stdout.readline()
        if not line.startswith("REPLICA_URL "):
            self.stop()
            raise RuntimeError(f"replica did not start: {line!r}")
        self.url = line.split()[1].rstrip("/")

    def get(self, path: str) -> bytes:
        with urllib.request.urlopen(self.url + path, timeout=30) as response:
            return response.read()

    def post(self, path: str) -> bytes:
        request = urllib.request.Request(self.url + path, data=b"", method="POST")
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.read()

    def truth(self) -> dict[str, dict]:
        """Expected item of every article, by canonical URL."""
        lines = self.get("/__replica__/truth.jsonl").decode("utf-8").splitlines()
        return {item["url"]: item for item in map(json.loads, filter(None, lines))}

    def archive(self, path: str) -> list[str]:
        return json.loads(self.get(f"/__replica__/archive.json?path={path}"))

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


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


_DATETIME = re.compile(r"datetime\.datetime\([^)]*\)")


def _stats_from_log(log: str) -> dict:
    """The stats dict Scrapy dumps at the end of a crawl."""
    match = re.search(r"Dumping Scrapy stats:\n(\{.*?\})\n(?:\d{4}-|\Z)", log, re.S)
    if not match:
        return {}
    return ast.literal_eval(_DATETIME.sub("None", match.group(1)))


def run_crawl(spider: str, base_url: str, workdir: Path, *args: str, settings: dict | None = None,
              feed: bool = True, timeout: int = 300, env: dict | None = None) -> Crawl:
    """Run `scrapy crawl` in a real process; return its feed items, stats and log."""
    workdir.mkdir(parents=True, exist_ok=True)
    out = workdir / f"{spider}.jsonl"
    cmd = [sys.executable, "-m", "scrapy", "crawl", spider]
    if feed:
        cmd += ["-O", str(out)]
    for key, value in {"ALANEWS_BASE_URL": base_url, "ALANEWS_DATA_DIR": str(workdir / "data"),
                       **FAST, **(settings or {})}.items():
        cmd += ["-s", f"{key}={value}"]
    for arg in args:
        cmd += ["-a", arg]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})
    items = []
    if feed and out.exists():
        items = [json.loads(line) for line in out.read_text("utf-8").splitlines() if line.strip()]
    return Crawl(proc.returncode, items, _stats_from_log(proc.stderr), proc.stderr, out, cmd)
