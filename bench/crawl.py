"""3. End to end: ``scrapy crawl alanews`` vs a fetch-only baseline, against the same replica.

Both are real ``scrapy`` processes with the same settings (politeness off, same concurrency,
deltafetch off); ours runs with the project's ``ALANEWS_EXTRACTION_WORKERS`` ("auto": with
politeness off, its article pages are read in one extraction worker, on the second core), then
once more with them read in the crawl process. The bench samples each process's RSS (with its
workers') from /proc every 0.05 s with the progress (the feed's line count over the replica's
article count), takes peak RSS from VmHWM (see bench.common.memory; the crawl's plus each
worker's) and reaps it with ``os.wait4`` for its CPU (user + system; the workers, reaped by
the crawl process, are included). Pages/s comes from Scrapy's stats
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

from bench.common import (Finished, children, cpu_seconds, incremental_available, memory, reap,
                          scrapy_command, self_cpu_seconds, system_busy_seconds)
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
    # (seconds, progress 0..1, rss bytes of the process and its children, how many processes that is)
    samples: list = field(default_factory=list)
    server_cpu: float = 0.0
    replica_stats: dict = field(default_factory=dict)
    other_cpu: float = 0.0  # CPU seconds of every other process on the machine during the run
    peak_rss: int = 0  # VmHWM of the process + each child's last VmHWM seen (extraction workers)

    @property
    def pages_per_second(self) -> float:
        return self.stats.get("response_received_count", 0) / max(self.stats.get("elapsed_time_seconds", 0), 1e-9)

    def rss_at(self, fraction: float) -> int | None:
        """RSS at the first sample at ``fraction`` of the crawl with all of its processes alive.

        At 100% the extraction workers may already be stopped, and a total without them says
        nothing of growth: the last sample with all of them (the crawl's end) stands for it then."""
        processes = max((n for *_, n in self.samples), default=0)
        whole = [(progress, rss) for _, progress, rss, n in self.samples if rss and n == processes]
        at = next((rss for progress, rss in whole if progress >= fraction), None)
        return at if at is not None or fraction < 1 or not whole else whole[-1][1]


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
    child_peaks: dict[int, int] = {}  # extraction workers: each one's VmHWM, last seen
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
                rss, processes = None, 0
                if mem:
                    peak = max(peak, mem[1])
                    rss, processes = mem[0], 1
                    for child in children(process.pid):
                        child_mem = memory(child)
                        if child_mem:
                            rss += child_mem[0]
                            processes += 1
                            child_peaks[child] = child_mem[1]
                samples.append((time.perf_counter() - started, progress(), rss, processes))
                time.sleep(SAMPLE_INTERVAL)
        except BaseException:
            process.kill()
            process.wait()
            raise
        finished = reap(process, started)
    samples.append((finished.wall, progress(), None, 0))
    server_cpu = cpu_seconds(replica.pid) - server_before
    other = (system_busy_seconds() - busy_before) - finished.cpu - server_cpu - (self_cpu_seconds() - self_before)
    log_text = log_path.read_text(errors="replace")
    return Run(finished, scrapy_stats(log_text), log_text, samples, server_cpu, replica.stats(), max(other, 0.0),
               peak + sum(child_peaks.values()))


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


def run(report, replica, workdir: Path, concurrency: int, extra: dict | None = None, rounds: int = 2,
        workers: str = "auto") -> dict:
    """``rounds`` pairs of runs, ours (``ALANEWS_EXTRACTION_WORKERS=workers``; "auto": the project's
    default) then the baseline, then ours once more with pages read in the crawl process, if the
    first runs had workers.

    This machine's speed drifts by up to a third within minutes, so each pair gives its own
    ratio, and a target is met only if it is met in every pair. CPU and peak RSS count the
    extraction workers with the crawl process."""
    workdir.mkdir(parents=True, exist_ok=True)
    truth = replica.truth()
    n_truth = len(truth)
    settings = {**crawl_settings(replica.url, workdir / "data", concurrency), **(extra or {})}
    pairs = []
    for round_ in range(rounds):
        ours, check = _crawl(replica, workdir, settings if workers == "auto" else
                             {**settings, "ALANEWS_EXTRACTION_WORKERS": str(workers)}, truth)
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
    used = pairs[0][0].stats.get("alanews/extraction/workers", 0)
    in_process = None
    if used:
        in_process, check = _crawl(replica, workdir, {**settings, "ALANEWS_EXTRACTION_WORKERS": "0"}, truth)
        if check != feed_check:
            raise RuntimeError(f"the in-process crawl wrote another feed: {check} vs {feed_check}")
    ours, baseline = pairs[0]

    articles_fetched = ours.replica_stats["by_kind"].get("article", 0)
    responses_ours = ours.stats.get("response_received_count", 0)
    ratios = [o.pages_per_second / b.pages_per_second for o, b in pairs]
    cpus = [o.finished.cpu / articles_fetched for o, _ in pairs]
    base_elapsed = baseline.stats.get("elapsed_time_seconds", baseline.finished.wall)
    server_busy = baseline.server_cpu / base_elapsed

    sec = "3 end to end"
    how = f"{used} extraction worker{'s' if used != 1 else ''}" if used else "in process"
    if workers == "auto":
        how = f"default settings (auto: {how})"

    def each(values, fmt):
        return ", ".join(fmt.format(v) for v in values)

    report.add(sec, f"pages/s, {how} ({responses_ours} responses, c={concurrency}, {rounds} rounds)",
               each([o.pages_per_second for o, _ in pairs], "{:.0f}/s"),
               "baseline " + each([b.pages_per_second for _, b in pairs], "{:.0f}/s"),
               each(ratios, "{:.2f}x") + " of baseline", ">= 0.5x", "PASS" if min(ratios) >= 0.5 else "MISS")
    base_cpus = [b.finished.cpu / max(b.stats.get("response_received_count", 0), 1) for _, b in pairs]
    report.add(sec, f"CPU (user+sys) per article page, {how}", each([c * 1000 for c in cpus], "{:.2f}") + " ms",
               "baseline " + each([c * 1000 for c in base_cpus], "{:.2f}") + " ms/page",
               each([o.finished.cpu for o, _ in pairs], "{:.1f} s") + f" / {articles_fetched} articles", "<= 5 ms",
               "PASS" if max(cpus) <= 0.005 else "MISS")
    peak = ours.peak_rss
    report.add(sec, f"peak RSS (VmHWM), {how}", f"{peak / 2**20:.0f} MB", f"baseline {baseline.peak_rss / 2**20:.0f} MB",
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
    report.add(sec, f"RSS at 25/50/75/100% of the crawl, {how}", shown, "", figure,
               "flat (+<= 30 MB)", "" if flat is None else ("PASS" if flat else "MISS"))
    if in_process:
        base_pps = sum(b.pages_per_second for _, b in pairs) / len(pairs)
        in_ratio = in_process.pages_per_second / base_pps
        in_cpu = in_process.finished.cpu / articles_fetched
        report.add(sec, "pages/s, in process (ALANEWS_EXTRACTION_WORKERS=0)", f"{in_process.pages_per_second:.0f}/s",
                   f"baseline {base_pps:.0f}/s (mean)", f"{in_ratio:.2f}x of baseline", ">= 0.5x",
                   "PASS" if in_ratio >= 0.5 else "MISS")
        report.add(sec, "CPU (user+sys) per article page, in process", f"{in_cpu * 1000:.2f} ms", "",
                   f"{in_process.finished.cpu:.1f} s / {articles_fetched} articles", "<= 5 ms",
                   "PASS" if in_cpu <= 0.005 else "MISS")
        report.add(sec, "peak RSS (VmHWM), in process", f"{in_process.peak_rss / 2**20:.0f} MB", "", "", "< 300 MB",
                   "PASS" if in_process.peak_rss < 300 * 2**20 else "MISS")
    report.add(sec, f"wall time of the process, {how}", f"{ours.finished.wall:.1f} s",
               f"baseline {baseline.finished.wall:.1f} s")
    busy = ours.finished.cpu / ours.finished.wall
    report.add(sec, f"CPU / wall, {how}", f"{busy * 100:.0f}%",
               f"baseline {baseline.finished.cpu / baseline.finished.wall * 100:.0f}%",
               "100% = one core busy")
    report.add(sec, "replica CPU during the baseline", f"{server_busy * 100:.0f}% of one core",
               f"{baseline.server_cpu:.1f} s over {base_elapsed:.1f} s", "server not the limit" if server_busy < 0.9 else "SERVER BOUND")
    report.add(sec, "other processes' CPU on the machine", f"{ours.other_cpu / ours.finished.wall:.2f} cores",
               f"baseline run {baseline.other_cpu / baseline.finished.wall:.2f} cores", "(average; 0 = quiet machine)")
    report.add(sec, "items in feed / truth", f"{feed_check['items']} / {n_truth}",
               f"missing {feed_check['missing']}, unexpected {feed_check['unexpected']}",
               "fields wrong: " + (", ".join(f"{k} {v}" for k, v in feed_check["wrong_fields"].items()) or "none"))
    return {"ours": ours, "baseline": baseline, "in_process": in_process, "articles": articles_fetched,
            "urls": n_urls}

