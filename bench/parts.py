"""6. What each part we keep in place of Scrapy's own (or of reading the whole page) saves.

A part stays only if it saves more than 5 % of the crawl's CPU. Each is measured on the bench's
replica, in one process, as section 3 crawls it (politeness off, deltafetch off): the crawl as
it is, then with the part swapped for Scrapy's own (a setting) or switched off for the run (a
patch applied before Scrapy starts, for a part no setting turns off), in alternation, ``rounds``
times. The figure is the least CPU (user + system) of each: other processes on a shared machine
only ever add to a process's CPU time.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from bench.common import reap
from bench.crawl import check_feed, crawl_settings
from replica.harness import ROOT

KEEP_ABOVE = 0.05  # the share of the crawl's CPU a part must save

# name: (settings for the run without the part, Python run before Scrapy starts)
PARTS: dict[str, tuple[dict, str]] = {
    # ArticlePage and ListingPage parse the whole page instead of the post or listing region
    "post and listing region cut": ({}, "import alanews.pages.article as a, alanews.pages.listing as l; "
                                        "a.post_region = lambda body: None; l.listing_region = lambda *args: None"),
}


def _crawl(replica, workdir: Path, name: str, settings: dict, patch: str, truth: dict) -> float:
    feed = workdir / f"{name}.jsonl"
    feed.unlink(missing_ok=True)
    cmd = [sys.executable, "-c", f"{patch}\nfrom scrapy.cmdline import execute; execute()",
           "crawl", "alanews", "-O", str(feed)]
    for key, value in settings.items():
        cmd += ["-s", f"{key}={value}"]
    with (workdir / f"{name}.log").open("w") as log:
        started = time.perf_counter()
        finished = reap(subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log), started)
    check = check_feed(feed, truth)
    if finished.returncode != 0 or check["missing"] or check["unexpected"] or check["wrong_fields"]:
        raise RuntimeError(f"{name}: exit {finished.returncode}, {check}")
    return finished.cpu


def run(report, replica, workdir: Path, concurrency: int, rounds: int = 3) -> dict:
    workdir.mkdir(parents=True, exist_ok=True)
    truth = replica.truth()
    base = crawl_settings(replica.url, workdir / "data", concurrency)
    runs = {"as it is": (base, "")}
    runs.update({f"without {part}": ({**base, **settings}, patch) for part, (settings, patch) in PARTS.items()})
    cpu: dict[str, list[float]] = {label: [] for label in runs}
    for round_ in range(rounds):
        for label, (settings, patch) in runs.items():
            cpu[label].append(_crawl(replica, workdir, f"r{round_}-{len(cpu[label])}-{label[:12]}".replace(" ", "_"),
                                     settings, patch, truth))
            print(f"[6 round {round_ + 1}: {label}: {cpu[label][-1]:.1f} s CPU]", flush=True)
    least = {label: min(values) for label, values in cpu.items()}
    ours = least["as it is"]
    sec = "6 parts"
    report.add(sec, f"CPU of the crawl ({len(truth)} articles), least of {rounds}", f"{ours:.1f} s",
               ", ".join(f"{v:.1f}" for v in cpu["as it is"]) + " s")
    for part in PARTS:
        without = least[f"without {part}"]
        saving = (without - ours) / without
        report.add(sec, f"saved by: {part}", f"{saving * 100:+.1f}% of the crawl's CPU",
                   f"without it {without:.1f} s (" + ", ".join(f"{v:.1f}" for v in cpu[f'without {part}']) + ")",
                   "", f"> {KEEP_ABOVE * 100:.0f}%", "PASS" if saving > KEEP_ABOVE else "MISS")
    return {"cpu": cpu}
