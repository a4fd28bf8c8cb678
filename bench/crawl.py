"""3. End to end: ``scrapy crawl alanews`` vs a fetch-only baseline, against the same replica.

Both are real ``scrapy`` processes with the same settings (politeness off, same concurrency,
deltafetch off), each in one process. The bench samples each process's RSS from /proc every
0.05 s with the progress (the feed's line count over the replica's article count), takes peak
RSS from VmHWM (see bench.common.memory) and reaps it with ``os.wait4`` for its CPU (user +
system). Pages/s comes from Scrapy's stats
(``response_received_count / elapsed_time_seconds``). The replica's CPU over the baseline run
shows whether the server could have been the limit.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import (
    Finished,
    cpu_seconds,
    incremental_available,
    memory,
    reap,
    scrapy_command,
    self_cpu_seconds,
    system_busy_seconds,
)
from replica.harness import ROOT, scrapy_stats

SAMPLE_INTERVAL = 0.05  # seconds between /proc samples of the crawl process

COMPARED = ("url", "title", "subtitle", "author", "published", "modified", "category", "category_path",
            "tags", "body", "image_url", "image_caption", "video_url", "related_urls", "post_id", "language")


def crawl_settings(base_url: str, data_dir: Path, concurrency: int) -> dict:
    settings = {
        "ALANEWS_BASE_URL": base_url,
        "ALANEWS_DATA_DIR": str(data_dir),
        "DOWNLOAD_DELAY": "0",
        "AUTOTHROTTLE_ENABLED": "False",
        "CONCURRENT_REQUESTS": str(concurrency),
        "CONCURRENT_REQUESTS_PER_DOMAIN": str(concurrency),
        "LOG_LEVEL": "INFO",
    }
    if incremental_available():
        settings["DELTAFETCH_ENABLED"] = "False"
    return settings


@dataclass
class Run:
    finished: Finished
    stats: dict
    log: str
    # (seconds, progress 0..1, rss bytes; None once the process is gone)
    samples: list = field(default_factory=list)
    server_cpu: float = 0.0
    replica_stats: dict = field(default_factory=dict)
    other_cpu: float = 0.0  # CPU seconds of every other process on the machine during the run
    peak_rss: int = 0  # VmHWM of the process, last seen

    @property
    def pages_per_second(self) -> float:
        return self.stats.get("response_received_count", 0) / max(self.stats.get("elapsed_time_seconds", 0), 1e-9)

    def rss_at(self, fraction: float) -> int | None:
        """RSS at the first sample at ``fraction`` of the crawl (at 100%: the last one taken)."""
        alive = [(progress, rss) for _, progress, rss in self.samples if rss]
        at = next((rss for progress, rss in alive if progress >= fraction), None)
        return at if at is not None or fraction < 1 or not alive else alive[-1][1]


class _LineCounter:
    def __init__(self, path: Path):
        self.path, self.offset, self.lines = path, 0, 0

    def __call__(self) -> int:
        try:
            with self.path.open("rb") as f:
                f.seek(self.offset)
                chunk = f.read()
        except FileNotFoundError:
            return 0
        self.offset += len(chunk)
        self.lines += chunk.count(b"\n")
        return self.lines


def _run_process(cmd: list[str], log_path: Path, replica, progress) -> Run:
    replica.reset_stats()
    server_before = cpu_seconds(replica.pid)
    busy_before, self_before = system_busy_seconds(), self_cpu_seconds()
    samples = []
    peak = 0
    with log_path.open("w") as log:
        started = time.perf_counter()
        process = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log)
        try:
            while True:
                # WNOHANG peek without reaping: the zombie keeps its rusage for wait4 below
                info = os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
                if info is not None:
                    break
                mem = memory(process.pid)
                if mem:
                    peak = max(peak, mem[1])
                samples.append((time.perf_counter() - started, progress(), mem[0] if mem else None))
                time.sleep(SAMPLE_INTERVAL)
        except BaseException:
            process.kill()
            process.wait()
            raise
        finished = reap(process, started)
    samples.append((finished.wall, progress(), None))
    server_cpu = cpu_seconds(replica.pid) - server_before
    other = (system_busy_seconds() - busy_before) - finished.cpu - server_cpu - (self_cpu_seconds() - self_before)
    log_text = log_path.read_text(errors="replace")
    return Run(finished, scrapy_stats(log_text), log_text, samples, server_cpu, replica.stats(), max(other, 0.0),
               peak)


def check_feed(feed: Path, truth: dict[str, dict]) -> dict:
    items = [json.loads(line) for line in feed.read_text("utf-8").splitlines() if line.strip()]
    urls = [i["url"] for i in items]
    wrong = {}
    for item in items:
        expected = truth.get(item["url"])
        if expected is None:
            continue
        for name in COMPARED:
            if item.get(name) != expected[name]:
                wrong[name] = wrong.get(name, 0) + 1
    return {"items": len(items), "unique": len(set(urls)), "missing": len(set(truth) - set(urls)),
            "unexpected": len(set(urls) - set(truth)), "wrong_fields": wrong}


def _crawl(replica, workdir: Path, settings: dict, truth: dict) -> tuple[Run, dict]:
    feed = workdir / "alanews.jsonl"
    feed.unlink(missing_ok=True)  # a feed of an earlier run in --workdir would read as progress
    counter = _LineCounter(feed)
    cmd = scrapy_command("crawl", "alanews", "-O", str(feed), settings=settings)
    ours = _run_process(cmd, workdir / "crawl.log", replica, lambda: counter() / len(truth))
    if ours.finished.returncode != 0:
        raise RuntimeError(f"crawl failed ({ours.finished.returncode}):\n{ours.log[-3000:]}")
    return ours, check_feed(feed, truth)


def run(report, replica, workdir: Path, concurrency: int, extra: dict | None = None, rounds: int = 2) -> dict:
    """``rounds`` pairs of runs, ours then the baseline, on the same replica.

    This machine's speed drifts by up to a third within minutes, so each pair gives its own
    ratios, and a target is met only if it is met in every pair."""
    workdir.mkdir(parents=True, exist_ok=True)
    truth = replica.truth()
    n_truth = len(truth)
    settings = {**crawl_settings(replica.url, workdir / "data", concurrency), **(extra or {})}
    pairs = []
    for round_ in range(rounds):
        ours, check = _crawl(replica, workdir, settings, truth)
        if round_ == 0:
            feed_check = check
            # the baseline: the very URLs the crawl fetched (robots.txt it fetches itself)
            paths = [p for p in ours.replica_stats["by_path"] if p != "/robots.txt"]
            url_file = workdir / "urls.txt"
            url_file.write_text("".join(replica.url + p + "\n" for p in paths), "utf-8")
            n_urls = len(paths)
        elif check != feed_check:
            raise RuntimeError(f"round {round_ + 1} wrote another feed: {check} vs {feed_check}")
        base_settings = {**settings, "ALANEWS_DATA_DIR": str(workdir / "data-baseline")}
        cmd = scrapy_command("runspider", str(ROOT / "bench" / "baseline_spider.py"), "-a", f"urls={url_file}",
                             settings=base_settings)
        baseline = _run_process(cmd, workdir / "baseline.log", replica, lambda: 0.0)
        if baseline.finished.returncode != 0:
            raise RuntimeError(f"baseline failed ({baseline.finished.returncode}):\n{baseline.log[-3000:]}")
        pairs.append((ours, baseline))
    ours, baseline = pairs[0]

    articles_fetched = ours.replica_stats["by_kind"].get("article", 0)
    responses_ours = ours.stats.get("response_received_count", 0)
    ratios = [o.pages_per_second / b.pages_per_second for o, b in pairs]
    cpus = [o.finished.cpu / articles_fetched for o, _ in pairs]
    base_cpus = [b.finished.cpu / max(b.stats.get("response_received_count", 0), 1) for _, b in pairs]
    cpu_ratios = [c / b for c, b in zip(cpus, base_cpus)]
    base_elapsed = baseline.stats.get("elapsed_time_seconds", baseline.finished.wall)
    server_busy = baseline.server_cpu / base_elapsed

    sec = "3 end to end"

    def each(values, fmt):
        return ", ".join(fmt.format(v) for v in values)

    report.add(sec, f"pages/s, one process ({responses_ours} responses, c={concurrency}, {rounds} rounds)",
               each([o.pages_per_second for o, _ in pairs], "{:.0f}/s"),
               "baseline " + each([b.pages_per_second for _, b in pairs], "{:.0f}/s"),
               each(ratios, "{:.2f}x") + " of baseline", ">= 0.5x", "PASS" if min(ratios) >= 0.5 else "MISS")
    report.add(sec, "CPU (user+sys) per article page", each([c * 1000 for c in cpus], "{:.2f}") + " ms",
               "baseline " + each([c * 1000 for c in base_cpus], "{:.2f}") + " ms/page",
               each(cpu_ratios, "{:.2f}x") + " of baseline", "<= 2.0x",
               "PASS" if max(cpu_ratios) <= 2.0 else "MISS")
    peak = max(o.peak_rss for o, _ in pairs)
    report.add(sec, "peak RSS (VmHWM)", f"{peak / 2**20:.0f} MB", f"baseline {baseline.peak_rss / 2**20:.0f} MB",
               f"{n_truth} articles", "< 300 MB", "PASS" if peak < 300 * 2**20 else "MISS")
    marks = [ours.rss_at(f) for f in (0.25, 0.5, 0.75, 1.0)]
    shown = " / ".join(f"{m / 2**20:.0f}" if m else "?" for m in marks) + " MB"
    flat = None
    if marks[0] and marks[3]:
        # "flat": what the last 75% of the crawl added stays under a tenth of the 300 MB budget
        # (a leak of parsed pages, ~0.8 MB each, or of responses would not)
        growth = marks[3] - marks[0]
        flat = growth <= 30 * 2**20
        per_article = growth / (0.75 * n_truth) / 1024
        figure = f"{growth / 2**20:+.0f} MB 25%->100% ({per_article:+.1f} KB/article)"
    else:
        figure = "not sampled"
    report.add(sec, "RSS at 25/50/75/100% of the crawl", shown, "", figure,
               "flat (+<= 30 MB)", "" if flat is None else ("PASS" if flat else "MISS"))
    report.add(sec, "wall time of the process", f"{ours.finished.wall:.1f} s",
               f"baseline {baseline.finished.wall:.1f} s")
    busy = ours.finished.cpu / ours.finished.wall
    report.add(sec, "CPU / wall", f"{busy * 100:.0f}%",
               f"baseline {baseline.finished.cpu / baseline.finished.wall * 100:.0f}%",
               "100% = one core busy")
    report.add(sec, "replica CPU during the baseline", f"{server_busy * 100:.0f}% of one core",
               f"{baseline.server_cpu:.1f} s over {base_elapsed:.1f} s",
               "server not the limit" if server_busy < 0.9 else "SERVER BOUND")
    report.add(sec, "other processes' CPU on the machine", f"{ours.other_cpu / ours.finished.wall:.2f} cores",
               f"baseline run {baseline.other_cpu / baseline.finished.wall:.2f} cores", "(average; 0 = quiet machine)")
    report.add(sec, "items in feed / truth", f"{feed_check['items']} / {n_truth}",
               f"missing {feed_check['missing']}, unexpected {feed_check['unexpected']}",
               "fields wrong: " + (", ".join(f"{k} {v}" for k, v in feed_check["wrong_fields"].items()) or "none"))
    return {"ours": ours, "baseline": baseline, "articles": articles_fetched, "urls": n_urls}
