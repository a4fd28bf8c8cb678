"""The replica as a subprocess, and what a crawl of it logged: shared by the tests, the
benchmark and the offline demo."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from .server import make_server

ROOT = Path(__file__).resolve().parent.parent


class Control:
    """A started replica's control endpoints (``url`` set by the subclass)."""

    url: str | None = None

    def get(self, path: str) -> bytes:
        with urllib.request.urlopen(self.url + path, timeout=120) as response:
            return response.read()

    def post(self, path: str) -> bytes:
        request = urllib.request.Request(self.url + path, data=b"", method="POST")
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.read()

    def truth(self) -> dict[str, dict]:
        """Expected item of every article, by canonical URL."""
        lines = self.get("/__replica__/truth.jsonl").decode("utf-8").splitlines()
        return {item["url"]: item for item in map(json.loads, filter(None, lines))}

    def sitemap_truth(self) -> dict:
        """The complete inventory of the sitemaps (replica/sitemap_faults.py), whatever fault is on."""
        return json.loads(self.get("/__replica__/sitemap.json"))

    def archive(self, path: str) -> list[str]:
        """Canonical URLs of a category archive, newest first."""
        return json.loads(self.get(f"/__replica__/archive.json?path={path}"))

    def stats(self) -> dict:
        """Requests served, by kind, path and status."""
        return json.loads(self.get("/__replica__/stats"))

    def reset_stats(self) -> None:
        self.post("/__replica__/stats/reset")

class ReplicaProcess(Control):
    """``python -m replica --port PORT ARGS`` in a subprocess (port 0: a free one).

    :meth:`ready` waits for the server's URL line (after pre-rendering, if asked).
    """

    def __init__(self, *args: str, port: int = 0):
        self.started = time.perf_counter()
        self.process = subprocess.Popen([sys.executable, "-m", "replica", "--port", str(port), *args],
                                        cwd=ROOT, stdout=subprocess.PIPE, text=True)
        self.url: str | None = None
        self.startup_seconds: float | None = None

    @property
    def pid(self) -> int:
        return self.process.pid

    def ready(self) -> ReplicaProcess:
        if self.url is None:
            line = self.process.stdout.readline()
            if not line.startswith("REPLICA_URL "):
                self.stop()
                raise RuntimeError(f"replica did not start: {line!r}")
            self.url = line.split()[1].rstrip("/")
            self.startup_seconds = time.perf_counter() - self.started
        return self

    def stop(self) -> None:
        stop_process(self.process, timeout=10)

class ReplicaThread(Control):
    """The replica served by a thread of this process (``make_server`` keywords): real HTTP on
    loopback, started in milliseconds; :attr:`replica` is its state."""

    def __init__(self, **options):
        self.server, self.replica = make_server("127.0.0.1", 0, **options)
        self.url = self.replica.base_url
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def stop_process(process: subprocess.Popen, timeout: float) -> None:
    """SIGTERM, and SIGKILL if ``process`` is still there after ``timeout`` seconds."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


_DATETIME = re.compile(r"datetime\.datetime\([^)]*\)")


def scrapy_stats(log: str) -> dict:
    """The stats dict Scrapy dumps at the end of a crawl (datetimes dropped)."""
    match = re.search(r"Dumping Scrapy stats:\n(\{.*?\})\n(?:\d{4}-|\Z)", log, re.S)
    if not match:
        return {}
    return ast.literal_eval(_DATETIME.sub("None", match.group(1)))
