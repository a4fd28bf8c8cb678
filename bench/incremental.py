"""4. Incremental: requests of a no-change recrawl and of a recrawl after K new articles.

A replica of its own (it is changed: K articles are published), a full ``scrapy crawl alanews``
with deltafetch on to build the state, then the two recrawls. Requests are counted by the
replica (``/__replica__/stats``, reset before each run). The minimum is one listing page per
category walked, the K new articles and robots.txt.
"""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter
from pathlib import Path

from bench.common import incremental_available, scrapy_command
from bench.crawl import crawl_settings
from replica.harness import ROOT, scrapy_stats


def _crawl(replica, workdir: Path, name: str, settings: dict) -> dict:
    feed = workdir / f"{name}.jsonl"
    replica.reset_stats()
    cmd = scrapy_command("crawl", "alanews", "-O", str(feed), settings=settings)
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900)
    (workdir / f"{name}.log").write_text(proc.stderr)
    if proc.returncode != 0:
        raise RuntimeError(f"{name} crawl failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    items = sum(1 for line in feed.read_text("utf-8").splitlines() if line.strip())
    return {"replica": replica.stats(), "scrapy": scrapy_stats(proc.stderr), "items": items}


def _listing_pages_by_category(stats: dict) -> Counter:
    pages = Counter()
    for path, count in stats["by_path"].items():
        if path.startswith("/category/"):
            category = path[len("/category/"):].split("/page/")[0].strip("/")
            pages[category] += count
    return pages


def run(report, replica, workdir: Path, k: int, concurrency: int) -> dict | None:
    sec = "4 incremental"
    if not incremental_available():
        report.add(sec, "incremental recrawls", "not available", "", "alanews/ledger.py or DELTAFETCH_ENABLED missing")
        return None
    from alanews.site import CATEGORIES

    workdir.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(workdir / "data", ignore_errors=True)  # the state of an earlier run in --workdir
    settings = crawl_settings(replica.url, workdir / "data", concurrency)
    settings["DELTAFETCH_ENABLED"] = "True"
    categories = len(CATEGORIES)

    articles = len(replica.truth())
    full = _crawl(replica, workdir, "full", settings)
    same = _crawl(replica, workdir, "no-change", settings)
    replica.post(f"/__replica__/publish?count={k}")
    new = _crawl(replica, workdir, f"after-{k}-new", settings)

    results = {}
    for label, run_, minimum, items_expected in (
        ("no-change recrawl", same, categories + 1, 0),
        (f"recrawl after K={k} new", new, categories + k + 1, k),
    ):
        stats = run_["replica"]
        kinds = stats["by_kind"]
        total = stats["total"]
        breakdown = (f"robots {kinds.get('robots', 0)}, listing {kinds.get('listing', 0)}, "
                     f"article {kinds.get('article', 0)}, other {kinds.get('other', 0)}")
        report.add(sec, f"requests: {label}", str(total), f"minimum {minimum}", breakdown,
                   "= minimum", "PASS" if total <= minimum else "MISS")
        report.add(sec, f"  items emitted: {label}", str(run_["items"]), f"expected {items_expected}")
        results[label] = {"total": total, "minimum": minimum, "kinds": kinds,
                          "listing_by_category": _listing_pages_by_category(stats), "items": run_["items"],
                          "scrapy": run_["scrapy"]}
    report.add(sec, "full crawl that built the state", f"{full['replica']['total']} requests",
               f"{articles} articles", f"{full['items']} items")
    return results
