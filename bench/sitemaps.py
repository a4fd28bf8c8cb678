"""5. Sitemaps: a full-archive backfill through the sitemaps vs walking every category archive,
and the requests of an update run after 10 edits vs the minimum.

A replica of its own (Yoast sitemaps, 1,000 posts a file; it is changed: posts are edited and
one is deleted). Each crawl starts from an empty data directory, with deltafetch on (both
write the state as production runs do), politeness off. Requests are counted by the replica
(``/__replica__/stats``, reset before each run); wall time is the ``scrapy`` process's.

* backfill: ``scrapy crawl archive`` (robots.txt, the index, every post sitemap file, one
  request per article);
* walk: ``scrapy crawl alanews`` (every category archive, page by page, and related posts);
* updates: ``scrapy crawl updates`` once to remember the sitemaps, then 10 edits (3 retitled,
  3 extended, 3 saved unchanged, 1 deleted) spread over the archive, then the measured run.
  Its minimum: the index, the last post sitemap file (where every edited post now is) and
  the 9 edited pages; the deleted one needs no request.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from bench.common import scrapy_command
from bench.crawl import crawl_settings
from replica.harness import ROOT, scrapy_stats

EDITS = ("retitle", "extend", "touch") * 3


def _crawl(replica, workdir: Path, spider: str, data: Path, concurrency: int) -> dict:
    settings = crawl_settings(replica.url, data, concurrency)
    settings["DELTAFETCH_ENABLED"] = "True"
    feed = workdir / f"{spider}-{len(list(workdir.glob(f'{spider}-*.jsonl')))}.jsonl"
    replica.reset_stats()
    started = time.perf_counter()
    proc = subprocess.run(scrapy_command("crawl", spider, "-o", str(feed), settings=settings), cwd=ROOT,
                          capture_output=True, text=True, timeout=3600)
    wall = time.perf_counter() - started
    (workdir / f"{feed.stem}.log").write_text(proc.stderr)
    if proc.returncode != 0:
        raise RuntimeError(f"{spider} crawl failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    items = sum(1 for line in feed.read_text("utf-8").splitlines() if line.strip()) if feed.exists() else 0
    return {"replica": replica.stats(), "scrapy": scrapy_stats(proc.stderr), "items": items, "wall": wall}


def _kinds(stats: dict) -> str:
    kinds = stats["by_kind"]
    return ", ".join(f"{kind} {kinds.get(kind, 0)}" for kind in ("robots", "sitemap", "listing", "article", "other"))


def run(report, replica, workdir: Path, concurrency: int) -> dict:
    sec = "5 sitemaps"
    workdir.mkdir(parents=True, exist_ok=True)
    truth = list(replica.truth().values())
    posts = len(truth)
    files = -(-posts // 1000)

    backfill = _crawl(replica, workdir, "archive", workdir / "backfill-data", concurrency)
    walk = _crawl(replica, workdir, "alanews", workdir / "walk-data", concurrency)
    for label, result in (("full backfill via sitemaps (archive)", backfill),
                          ("full walk of every category archive (alanews)", walk)):
        stats = result["replica"]
        report.add(sec, f"requests: {label}", str(stats["total"]), f"{posts} posts, {files} sitemap files",
                   _kinds(stats))
        report.add(sec, f"  wall time: {label}", f"{result['wall']:.0f} s", f"{result['items']} items",
                   f"{result['scrapy'].get('elapsed_time_seconds', 0):.0f} s crawling")

    data = workdir / "backfill-data"  # the updates work on the backfill's state
    _crawl(replica, workdir, "updates", data, concurrency)  # remembers the sitemaps
    step = len(truth) // (len(EDITS) + 2)
    edited = [truth[step * (n + 1)]["post_id"] for n in range(len(EDITS) + 1)]
    for post_id, kind in zip(edited, EDITS):
        replica.post(f"/__replica__/edit?post_id={post_id}&kind={kind}")
    replica.post(f"/__replica__/delete?post_id={edited[-1]}")
    updates = _crawl(replica, workdir, "updates", data, concurrency)
    stats = updates["replica"]
    minimum = 1 + 1 + len(EDITS)  # the index, the last post file, the edited pages
    measured = stats["total"] - stats["by_kind"].get("robots", 0)
    report.add(sec, "requests: update run after 10 edits (9 edited, 1 deleted)", str(measured),
               f"minimum {minimum}", _kinds(stats) + " (robots.txt not counted)",
               "= minimum", "PASS" if measured <= minimum else "MISS")
    report.add(sec, "  items written / removed recorded", f"{updates['items']} / "
               f"{updates['scrapy'].get('alanews/updates/removed', 0)}", "expected 6 / 1")
    return {"backfill": backfill, "walk": walk, "updates": updates, "minimum": minimum}
