"""How a `scrapy crawl` ends, as a script sees it: the exit status and the last lines (issue 16).

Real `scrapy crawl` processes: a site that cannot be reached (a name under .invalid, a closed
loopback port), a crawl stopped with real SIGINT / SIGTERM signals, once (graceful) and twice
(forced), and a small HTTP server of the test's own that keeps a page in flight so that the
forced stop is certain to hit a run still closing.
"""

from __future__ import annotations

import http.server
import re
import signal
import socket
import threading
import time

import pytest
from conftest import BackgroundCrawl, run_crawl

from alanews.exitcodes import ExitStatus


def error_lines(log: str) -> list[str]:
    return [line for line in log.splitlines() if "] ERROR: " in line]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_exit_statuses_are_distinct_and_stable():
    assert {status.name: int(status) for status in ExitStatus} == {
        "OK": 0, "NOT_STARTED": 1, "MONITORS_FAILED": 3, "SITE_UNREACHABLE": 4, "STOPPED": 5, "STOPPED_UNCLEAN": 6,
        "AUDIT_INCOMPLETE": 7}


# --- 4. no network: fail fast, say why ----------------------------------------------------------

def assert_unreachable(crawl, base_url: str, why: str, spider: str) -> None:
    assert crawl.returncode == ExitStatus.SITE_UNREACHABLE, crawl.log[-3000:]
    assert [line.split("] ", 1)[1] for line in error_lines(crawl.log)] == [
        f"ERROR: cannot reach {base_url}: {why}; offline? " + (
            f"try `python -m replica.demo {spider}`" if spider not in ("audit", "updates")
            else "crawl the replica yourself (README)")]
    assert "Traceback" not in crawl.log
    assert "Retrying" not in crawl.log and "retry/count" not in crawl.stats  # stopped at once, not retried
    assert crawl.stats["finish_reason"] == "site_unreachable"
    assert "Monitors not run: the site could not be reached (finish reason site_unreachable)" in crawl.log
    assert crawl.log.rstrip().endswith("Exit status 4: the site could not be reached")
    assert crawl.items == []


def test_dns_failure_on_the_first_request_ends_the_run_with_one_error_line(tmp_path):
    base_url = "http://alanews.invalid"  # .invalid never resolves (RFC 6761)
    crawl = run_crawl("esteri", base_url, tmp_path, settings={"DOWNLOAD_DELAY": "1", "AUTOTHROTTLE_ENABLED": "True"})
    assert_unreachable(crawl, base_url, "DNS lookup failed", "esteri")
    assert crawl.stats["alanews/site_unreachable/dns"] == 1


def test_refused_connection_ends_the_run_even_with_many_first_requests(tmp_path):
    base_url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    # robots.txt off: the twelve archives are requested at once, and all are refused
    crawl = run_crawl("alanews", base_url, tmp_path, settings={"ROBOTSTXT_OBEY": "False"})
    assert_unreachable(crawl, base_url, "connection refused", "alanews")
    assert crawl.stats["alanews/site_unreachable/refused"] == 1
    assert "alanews/failed/unreachable" not in crawl.stats and "WARNING: Failed" not in crawl.log


class _Site(http.server.BaseHTTPRequestHandler):
    """robots.txt at once; any other page once ``release`` is set (it stays in flight until then),
    or, with ``drop``, the connection closed without an answer."""

    requested = threading.Event()
    release = threading.Event()
    drop = False

    def do_GET(self):  # noqa: N802 (http.server's name)
        if self.path != "/robots.txt":
            type(self).requested.set()
            if self.drop:
                self.close_connection = True
                return
            type(self).release.wait(60)
        body = b"User-agent: *\nAllow: /\n" if self.path == "/robots.txt" else b"<html><body></body></html>"
        try:
            self.send_response(200)
            self.send_header("Content-Type", "text/plain" if self.path == "/robots.txt" else "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the crawl was killed meanwhile (the forced stop)

    def log_message(self, *args):
        pass


@pytest.fixture
def slow_site():
    handler = type("Handler", (_Site,), {"requested": threading.Event(), "release": threading.Event()})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, handler
    handler.release.set()
    server.shutdown()
    server.server_close()


def test_a_failure_after_the_site_answered_is_retried_as_before(slow_site, tmp_path):
    server, handler = slow_site
    handler.drop = True  # robots.txt answered, then every page's connection closed without an answer
    base_url = f"http://127.0.0.1:{server.server_address[1]}"
    crawl = run_crawl("esteri", base_url, tmp_path, settings={"RETRY_TIMES": "1", "ALANEWS_RETRY_BACKOFF": "0.2"})
    code, log = crawl.returncode, crawl.log
    assert re.search(r"Retrying \S+/category/esteri/ in 0\.2 s \(retry 1 of 1\)", log), log[-3000:]
    assert "cannot reach" not in log and crawl.stats["finish_reason"] == "finished"
    assert code == ExitStatus.MONITORS_FAILED  # a page given up: an ERROR line, the monitors say so


# --- 5. stopped by the user -----------------------------------------------------------------------

@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_one_signal_stops_gracefully_with_its_own_status_and_no_error_line(replica, tmp_path, signum):
    crawl = BackgroundCrawl("alanews", replica.url, tmp_path, tmp_path / "data")
    crawl.wait_for_items(5)
    crawl.signal(signum)
    assert crawl.wait() == ExitStatus.STOPPED
    log = crawl.log()
    stats = crawl.stats()
    assert stats["finish_reason"] == "shutdown"
    assert f"Received {signum.name}, shutting down gracefully" in log
    assert error_lines(log) == [] and "Traceback" not in log
    assert "Monitors not run: stopped by the user (finish reason shutdown)" in log
    assert log.rstrip().endswith("Exit status 5: stopped by the user, closed gracefully")
    # the feed holds what was counted
    assert 5 <= len(crawl.items()) == stats["item_scraped_count"] < len(replica.truth())


def test_signals_after_the_run_closed_do_not_change_its_exit_status(replica, tmp_path):
    # a second Ctrl-C that comes once the run has closed (it closes fast) found Python's default handler: 130
    crawl = BackgroundCrawl("esteri", replica.url, tmp_path, tmp_path / "data")
    crawl.wait_for_items(3)
    crawl.signal(signal.SIGINT)
    while "Exit status" not in crawl.log() and crawl.process.poll() is None:
        time.sleep(0.001)
    while crawl.process.poll() is None:  # Ctrl-C held down until the process is gone
        crawl.signal(signal.SIGINT)
        time.sleep(0.001)
    assert crawl.wait() == ExitStatus.STOPPED
    assert crawl.log().rstrip().endswith("Exit status 5: stopped by the user, closed gracefully")


@pytest.mark.parametrize("marker", ["Enabled item pipelines", "Spider opened"])
def test_one_signal_while_the_spider_opens_still_closes_it_gracefully(replica, tmp_path, marker):
    # Scrapy stops only a running engine: a signal while the state opens stopped the reactor unclosed
    crawl = BackgroundCrawl("esteri", replica.url, tmp_path, tmp_path / "data")
    crawl.wait_for(lambda: marker in crawl.log(), timeout=60)
    crawl.signal(signal.SIGTERM)
    assert crawl.wait() == ExitStatus.STOPPED
    log = crawl.log()
    assert crawl.stats()["finish_reason"] == "shutdown" and "Spider closed (shutdown)" in log
    assert error_lines(log) == [] and "Traceback" not in log
    assert log.rstrip().endswith("Exit status 5: stopped by the user, closed gracefully")


# the polite defaults: a delay between requests, AutoThrottle, two at a time
POLITE = {"DOWNLOAD_DELAY": "1.0", "AUTOTHROTTLE_ENABLED": "True", "CONCURRENT_REQUESTS_PER_DOMAIN": "2"}


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_stop_cancels_the_downloads_in_flight_and_the_jobdir_resume_fetches_them(make_replica, tmp_path, signum):
    """With politeness on, the close (Ctrl-C, or Scrapyd's SIGTERM) does not wait for article pages
    held by the site: they are cancelled, nothing is recorded for them, and resuming the JOBDIR
    writes every one."""
    replica = make_replica("--articles", "40", "--seed", "3")
    replica.post("/__replica__/slow?seconds=600&path=/20")  # every article page held (permalinks /<year>/...)
    args = ("max_pages=1", "related_depth=0")
    job = {"JOBDIR": str(tmp_path / "job")}
    crawl = BackgroundCrawl("esteri", replica.url, tmp_path / "first", tmp_path / "data", *args,
                            settings={**POLITE, **job}, wait_timeout=120)
    crawl.wait_for(lambda: replica.stats()["slow_waiting"] >= 1, timeout=120)
    crawl.signal(signum)
    assert crawl.wait() == ExitStatus.STOPPED
    log, stats = crawl.log(), crawl.stats()
    # closed while the site still held every article page: none was waited for
    assert replica.stats()["by_kind"]["article"] == 0 and stats["alanews/downloader/cancelled"] >= 1
    assert "downloads in flight cancelled" in log and error_lines(log) == [] and "Traceback" not in log
    assert crawl.items() == [] and "alanews/ledger/recorded" not in stats
    replica.post("/__replica__/slow?seconds=0")
    resumed = BackgroundCrawl("esteri", replica.url, tmp_path / "second", tmp_path / "data", *args, settings=job)
    assert resumed.wait() == ExitStatus.OK, resumed.log()[-3000:]
    listed = set(replica.archive("esteri")[:10])
    assert {item["url"] for item in resumed.items()} == listed


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_second_signal_forces_the_stop_and_the_status_says_so(slow_site, tmp_path, signum):
    server, handler = slow_site
    base_url = f"http://127.0.0.1:{server.server_address[1]}"
    # Scrapy's graceful close, which waits for the downloads in flight
    crawl = BackgroundCrawl("esteri", base_url, tmp_path, tmp_path / "data",
                            settings={"ALANEWS_STOP_CANCELS_DOWNLOADS": "False"})
    assert handler.requested.wait(60)  # a page in flight: the graceful close waits for it
    crawl.signal(signum)
    crawl.wait_for(lambda: "shutting down gracefully" in crawl.log(), timeout=60)
    time.sleep(0.5)  # still closing: the page is held by the server
    crawl.signal(signum)
    assert crawl.wait() == ExitStatus.STOPPED_UNCLEAN
    log = crawl.log()
    assert f"Received {signum.name} twice, forcing unclean shutdown" in log
    assert "Spider closed" not in log and error_lines(log) == []
    assert log.rstrip().endswith("Exit status 6: stopped by the user, forced: the run did not close")
