"""7. Sitemaps: a full-archive backfill through the sitemaps vs walking every category archive,
and the requests of an update run after 10 edits vs the minimum.

A replica of its own (Yoast sitemaps, 1,000 posts a file; it is changed: posts are edited and
one is deleted). Each crawl starts from an empty data directory, with deltafetch on (both
write the state as production runs do), politeness off. Requests are counted by the replica
(``/__replica__/stats``, reset before each run); wall time is the ``scrapy`` process's.

* backfill: ``scrapy crawl archive`` (robots.txt, the index, every post sitemap file, one
  request per article);
* walk: ``scrapy crawl alanews`` (every category archive, page by page, and related posts);
* updates: ``scrapy crawl updates`` once to remember the sitemaps, then 10 edits (4 retitled,
  3 extended, 3 saved unchanged) spread over the archive and the measured run; its minimum is
  the index, the last post sitemap file (where every edited post now is) and the 10 edited
  pages. Then one post deleted and another run: its minimum is the index and the files the
  deletion changed (from the deleted post's file to the last), where alone it shows. Then a run
  with nothing changed: its minimum is the index and the last post sitemap file, no article.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from lxml import etree

from bench.common import scrapy_command
from bench.crawl import crawl_settings
from replica.harness import ROOT, scrapy_stats

EDITS = 10
KINDS = ("retitle", "extend", "touch")  # in turn: 4 retitled, 3 extended, 3 saved unchanged


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


def _index(replica) -> dict[str, str]:
    """Post sitemap file -> its lastmod, from the replica's index."""
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    root = etree.fromstring(replica.get("/sitemap_index.xml"))
    return {s.findtext("s:loc", namespaces=ns): s.findtext("s:lastmod", namespaces=ns)
            for s in root.findall("s:sitemap", ns) if "/post-sitemap" in s.findtext("s:loc", namespaces=ns)}


def run(report, replica, workdir: Path, concurrency: int) -> dict:
    sec = "7 sitemaps"
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
    step = len(truth) // (EDITS + 2)
    edited = [truth[step * (n + 1)]["post_id"] for n in range(EDITS + 1)]  # spread over every file
    for n, post_id in enumerate(edited[:EDITS]):
        replica.post(f"/__replica__/edit?post_id={post_id}&kind={KINDS[n % len(KINDS)]}")
    edits = _crawl(replica, workdir, "updates", data, concurrency)
    before = _index(replica)
    replica.post(f"/__replica__/delete?post_id={edited[-1]}")
    after = _index(replica)
    # the files it changed: from the first whose lastmod moved to the last (which lost its first post)
    files_after = list(after)
    moved = [n for n, url in enumerate(files_after) if before.get(url) != after[url]]
    shifted = len(files_after) - moved[0] if moved else 1
    deletion = _crawl(replica, workdir, "updates", data, concurrency)
    unchanged = _crawl(replica, workdir, "updates", data, concurrency)  # nothing changed since

    results = {"backfill": backfill, "walk": walk, "updates": edits, "deletion": deletion, "unchanged": unchanged}
    rewritten = sum(kind != "touch" for kind in (KINDS[n % len(KINDS)] for n in range(EDITS)))
    for label, result, minimum, written, removed in (
            (f"update run after {EDITS} edits", edits, 1 + 1 + EDITS, rewritten, 0),
            ("update run after 1 deletion", deletion, 1 + shifted, 0, 1),
            ("update run with nothing changed", unchanged, 1 + 1, 0, 0)):
        stats = result["replica"]
        measured = stats["total"] - stats["by_kind"].get("robots", 0)
        report.add(sec, f"requests: {label}", str(measured), f"minimum {minimum}",
                   _kinds(stats) + " (robots.txt not counted)", "= minimum", "PASS" if measured <= minimum else "MISS")
        report.add(sec, f"  written / recorded removed: {label}",
                   f"{result['items']} / {result['scrapy'].get('alanews/updates/removed', 0)}",
                   f"expected {written} / {removed}")
    return results
