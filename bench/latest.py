"""8. latest: a poll of the RSS feed vs an incremental ``scrapy crawl alanews``, with nothing new and
after 5 and 25 new posts.

A replica of its own (posts are published into it), a full ``scrapy crawl alanews`` building the
state, copied so that each way starts from the same state and meets the same new posts. Requests
are counted by the replica (``/__replica__/stats``, reset before each run); wall time is the whole
``scrapy crawl`` process (its start included) with the project's politeness (robots.txt, AutoThrottle,
``DOWNLOAD_DELAY``), as on the real site; the full crawl runs with politeness off. The floor of a poll: robots.txt,
the feed pages holding the new posts (one more when every post of the last one is new) and one
request per new post.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

from bench.common import incremental_available, scrapy_command
from bench.crawl import crawl_settings
from replica.harness import ROOT, scrapy_stats

NEW = (0, 5, 25)
PER_PAGE = 10  # WordPress's posts_per_rss


def _crawl(replica, spider: str, feed: Path, settings: dict) -> dict:
    replica.reset_stats()
    cmd = scrapy_command("crawl", spider, "-o", str(feed), settings=settings)
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900)
    wall = time.perf_counter() - started
    feed.with_suffix(".log").write_text(proc.stderr)
    if proc.returncode != 0:
        raise RuntimeError(f"{spider} crawl failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    stats = scrapy_stats(proc.stderr)
    return {"replica": replica.stats(), "wall": wall, "items": stats.get("item_scraped_count", 0)}


def run(report, replica, workdir: Path, concurrency: int) -> dict | None:
    sec = "8 latest"
    if not (ROOT / "alanews" / "spiders" / "latest.py").exists() or not incremental_available():
        report.add(sec, "latest poll", "not available", "", "alanews/spiders/latest.py missing")
        return None
    workdir.mkdir(parents=True, exist_ok=True)
    for name in ("data-latest", "data-alanews"):
        shutil.rmtree(workdir / name, ignore_errors=True)
    settings = {**crawl_settings(replica.url, workdir / "data-alanews", concurrency), "DELTAFETCH_ENABLED": "True"}
    _crawl(replica, "alanews", workdir / "full.jsonl", settings)
    shutil.copytree(workdir / "data-alanews", workdir / "data-latest")
    polite = {"ALANEWS_BASE_URL": replica.url, "LOG_LEVEL": "INFO", "DELTAFETCH_ENABLED": "True"}
    ways = {"latest": {**polite, "ALANEWS_DATA_DIR": str(workdir / "data-latest")},
            "alanews": {**polite, "ALANEWS_DATA_DIR": str(workdir / "data-alanews")}}
    results = {}
    for k in NEW:
        if k:
            replica.post(f"/__replica__/publish?count={k}")
        runs = {spider: _crawl(replica, spider, workdir / f"{spider}-{k}.jsonl", ways[spider]) for spider in ways}
        floor = 1 + k // PER_PAGE + 1 + k
        poll, walk = runs["latest"], runs["alanews"]
        for spider, r in runs.items():
            kinds = r["replica"]["by_kind"]
            breakdown = ", ".join(f"{kind} {kinds.get(kind, 0)}" for kind in ("robots", "feed", "listing", "article"))
            target = f"floor {floor}" if spider == "latest" else ""
            verdict = ("PASS" if r["replica"]["total"] <= floor else "MISS") if spider == "latest" else ""
            report.add(sec, f"{spider}, {k} new: requests", str(r["replica"]["total"]), target, breakdown,
                       "= floor" if spider == "latest" else "", verdict)
            report.add(sec, f"  {spider}, {k} new: wall, items", f"{r['wall']:.2f} s", "", f"{r['items']} items")
        report.add(sec, f"  {k} new: latest vs alanews", f"{poll['replica']['total']} vs {walk['replica']['total']} "
                   f"requests", "", f"wall {poll['wall'] / walk['wall']:.2f}x")
        results[k] = runs
    return results
