"""python -m bench: the crawler measured against peers and the physical limit, in one command.

    python -m bench [--articles 10000] [--sections 1,2,3,4,5,7,8] [--rounds 2] [--keep]
    python -m bench --sections 6 [--parts-rounds 3]

1. extraction: ArticlePage(...).to_item() vs trafilatura bare_extraction, CPU and field accuracy
2. dates: alanews.dates.normalise_date vs dateparser.parse(text, languages=["it"])
3. end to end: scrapy crawl alanews vs a fetch-only baseline spider on the same replica
4. incremental: requests of recrawls with deltafetch vs the minimum
5. scrapyd: the whole replica as one alanews job vs 12 category jobs on a local Scrapyd (max_proc = 2)
6. parts (on request): the crawl's CPU with and without each part kept in place of Scrapy's own
7. sitemaps: a full backfill through the sitemaps vs walking every archive; an update run after 10 edits
8. latest: a poll of the RSS feed vs an incremental alanews run, nothing new and after 5 and 25 new posts

Figures are printed with PASS/MISS against the targets in docs/performance.md; nothing is asserted.
Needs requirements-bench.txt (trafilatura). Takes about 10 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from datetime import datetime
from importlib import metadata
from pathlib import Path

from bench.common import Report
from replica.harness import ReplicaProcess


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "missing"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=int, default=10000, help="replica size for the end-to-end crawl")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--extract-articles", type=int, default=500, help="replica pages for the extraction section")
    ap.add_argument("--dates", type=int, default=10000, help="date strings in the corpus (>= 10000)")
    ap.add_argument("--concurrency", type=int, default=16, help="CONCURRENT_REQUESTS(_PER_DOMAIN) of both crawls")
    ap.add_argument("--rounds", type=int, default=2,
                    help="section 3: pairs of runs (ours, then the baseline); a target must be met in each")
    ap.add_argument("--parts-rounds", type=int, default=3, help="section 6: runs of each variant")
    ap.add_argument("--k", type=int, default=10, help="articles published before the incremental recrawl")
    ap.add_argument("--incr-articles", type=int, default=1000, help="replica size for the incremental section")
    ap.add_argument("--sitemap-articles", type=int, default=10000, help="replica size for the sitemaps section")
    ap.add_argument("--sections", default="1,2,3,4,5,7,8")
    ap.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                    help="an extra Scrapy setting for both crawls of section 3 (what-if runs)")
    ap.add_argument("--workdir", help="where feeds and logs go (default: a temp dir, removed unless --keep)")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    args = ap.parse_args(argv)
    sections = {int(s) for s in args.sections.split(",") if s.strip()}

    started = time.perf_counter()
    workdir = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="alanews-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    command = "python -m bench" + ("" if argv is None and len(sys.argv) == 1 else " " + " ".join(argv or sys.argv[1:]))
    print(f"alanews benchmark — {datetime.now().astimezone():%Y-%m-%d %H:%M %Z}")
    print(f"command: {command}")
    print(f"machine: {os.cpu_count()} cores ({_cpu_model()}), {platform.system()} {platform.release()}, "
          f"Python {platform.python_version()}")
    print(f"versions: scrapy {_version('scrapy')}, lxml {_version('lxml')}, parsel {_version('parsel')}, "
          f"trafilatura {_version('trafilatura')}, dateparser {_version('dateparser')}")
    print(f"work dir: {workdir}")
    if sections & {3, 5, 6}:
        print(f"(section 2 runs while the replica of {args.articles} articles pre-renders "
              "in its own process; then sections 3, 5, 6, 1, 4)")
    sys.stdout.flush()

    report = Report()
    details: dict[int, list[str]] = {1: [], 2: [], 3: [], 4: [], 5: [], 6: [], 7: []}
    replicas = []

    def section_replica(articles: int, seed: int) -> ReplicaProcess:
        """A section's own replica, ready; stopped below if the section fails."""
        replica = ReplicaProcess("--articles", str(articles), "--seed", str(seed), "--prerender").ready()
        replicas.append(replica)
        return replica

    try:
        # The big replica pre-renders (~30 s, another process) while section 2 runs; section 1
        # runs after section 3, on a machine the pre-rendering no longer shares.
        big = ReplicaProcess("--articles", str(args.articles), "--seed", str(args.seed), "--prerender") \
            if sections & {3, 5, 6} else None
        if big:
            replicas.append(big)

        results = {}
        if 2 in sections:
            from bench import dates

            t = time.perf_counter()
            results[2] = dates.run(args.dates)
            print(f"[2 dates done in {time.perf_counter() - t:.0f} s]", flush=True)
            res = results[2]
            dates.add_rows(report, res)
            if res["dp_wrong"]:
                details[2].append("2. dateparser wrong, by form: " + "; ".join(
                    f"{form}: {n} (e.g. {res['examples'][('dp', form)][0]!r} -> "
                    f"{res['examples'][('dp', form)][1]!r}, truth {res['examples'][('dp', form)][2]})"
                    for form, n in res["dp_wrong"].most_common()))
            if res["ours_wrong"]:
                details[2].append("2. ours wrong, by form: " + "; ".join(
                    f"{form}: {n} (e.g. {res['examples'][('ours', form)][0]!r} -> "
                    f"{res['examples'][('ours', form)][1]!r}, truth {res['examples'][('ours', form)][2]})"
                    for form, n in res["ours_wrong"].most_common()))
        if big:
            big.ready()
            print(f"[replica of {args.articles} articles ready after {big.startup_seconds:.0f} s]", flush=True)
        if 3 in sections:
            from bench import crawl

            t = time.perf_counter()
            extra = dict(item.split("=", 1) for item in args.set)
            results[3] = crawl.run(report, big, workdir / "e2e", args.concurrency, extra, args.rounds)
            print(f"[3 end to end done in {time.perf_counter() - t:.0f} s]", flush=True)
            ours = results[3]["ours"]
            samples = ours.samples[::max(1, len(ours.samples) // 12)]
            details[3].append("3. crawl RSS samples (s, progress, MB): " + ", ".join(
                f"({s:.0f}, {p * 100:.0f}%, {r / 2**20:.0f})" for s, p, r in samples if r))
            st = ours.stats
            details[3].append(f"3. crawl: {st.get('response_received_count')} responses "
                           f"({results[3]['articles']} article pages, {st.get('alanews/listing/pages')} listing pages), "
                           f"{st.get('item_scraped_count')} items, dupefilter/filtered {st.get('dupefilter/filtered')}, "
                           f"elapsed {st.get('elapsed_time_seconds', 0):.1f} s; baseline fetched {results[3]['urls']} URLs "
                           f"+ robots.txt in {results[3]['baseline'].stats.get('elapsed_time_seconds', 0):.1f} s")
        if 5 in sections:
            from bench import scrapyd

            t = time.perf_counter()
            results[5] = scrapyd.run(report, big, workdir / "scrapyd", args.concurrency)
            print(f"[5 scrapyd done in {time.perf_counter() - t:.0f} s]", flush=True)
        if 6 in sections:
            from bench import parts

            t = time.perf_counter()
            results[6] = parts.run(report, big, workdir / "parts", args.concurrency, args.parts_rounds)
            print(f"[6 parts done in {time.perf_counter() - t:.0f} s]", flush=True)
        if big:
            big.stop()
        if 1 in sections:
            from bench import extraction

            t = time.perf_counter()
            results[1] = extraction.run(report, args.extract_articles, args.seed)
            print(f"[1 extraction done in {time.perf_counter() - t:.0f} s]", flush=True)
            sample = results[1]["pages"][:200]
            costs = extraction.field_costs(sample)
            details[1].append(f"1. Where our extraction CPU goes (per article page, {len(sample)} pages, each part timed alone):")
            details[1] += [f"   {ms_:7.3f} ms  {name}" for name, ms_ in ((n, c * 1000) for n, c in costs)]
            for who in ("ours", "traf"):
                misses = results[1][f"{who}_misses"]
                if misses:
                    label = "ours" if who == "ours" else "trafilatura"
                    details[1].append(f"1. {label} wrong: " + "; ".join(
                        f"{field} {len(urls)} (e.g. {urls[0]})" for field, urls in misses.items()))
        if 3 in results:
            _attribution(results, details)
        if 4 in sections:
            from bench import incremental

            t = time.perf_counter()
            small = section_replica(args.incr_articles, args.seed + 1)
            results[4] = incremental.run(report, small, workdir / "incremental", args.k, args.concurrency)
            small.stop()
            print(f"[4 incremental done in {time.perf_counter() - t:.0f} s]", flush=True)
            if results[4]:
                for label, r in results[4].items():
                    over = {c: n for c, n in r["listing_by_category"].items() if n > 1}
                    details[4].append(f"4. {label}: listing pages per category above 1: {over or 'none'}; "
                                   f"deltafetch/skipped {r['scrapy'].get('deltafetch/skipped', 0)}, "
                                   f"early stops {r['scrapy'].get('deltafetch/early_stop', 0)}")
        if 8 in sections:
            from bench import latest

            t = time.perf_counter()
            polled = section_replica(args.incr_articles, args.seed + 3)
            results[8] = latest.run(report, polled, workdir / "latest", args.concurrency)
            polled.stop()
            print(f"[8 latest done in {time.perf_counter() - t:.0f} s]", flush=True)
        if 7 in sections:
            from bench import sitemaps

            t = time.perf_counter()
            site = section_replica(args.sitemap_articles, args.seed + 2)
            results[7] = sitemaps.run(report, site, workdir / "sitemaps", args.concurrency)
            site.stop()
            print(f"[7 sitemaps done in {time.perf_counter() - t:.0f} s]", flush=True)
            updates = results[7]["updates"]["replica"]["by_path"]
            details[7].append("7. update run, sitemap files read: " + ", ".join(
                sorted(p for p in updates if p.endswith(".xml"))))
    finally:
        for r in replicas:
            r.stop()

    order = {"1": 0, "2": 1, "3": 2, "4": 3, "5": 4, "6": 5, "7": 6, "8": 7}
    report.rows.sort(key=lambda r: order[r.section[0]])
    print()
    print(report.render())
    print()
    for section in sorted(details):
        for line in details[section]:
            print(line)
    elapsed = time.perf_counter() - started
    print()
    print(f"total: {elapsed:.0f} s")
    print()
    print(markdown(report, command, elapsed))
    if not args.keep and not args.workdir:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


def _attribution(results: dict, details: dict[int, list[str]]) -> None:
    """Section 3's CPU per article page: the baseline's share, and ours.

    Section 1's figure is not subtracted: it times each page alone, alternating with
    trafilatura (cold caches), and comes out above what a page costs inside the crawl."""
    ours = results[3]["ours"]
    st = ours.stats
    base = results[3]["baseline"]
    articles = results[3]["articles"]
    fetch = base.finished.cpu / max(base.stats.get("response_received_count", 1), 1)
    fetch *= st.get("response_received_count", 0) / articles
    total = ours.finished.cpu / articles
    parts = [("Scrapy fetching (the baseline's CPU per response x responses per article)", fetch),
             (f"ours: reading article and listing pages, {st.get('dupefilter/filtered', 0) / articles:.1f} dropped "
              "duplicate requests + the new ones per article through spider middlewares, item pipelines "
              "(duplicates, validation), feed export, signals, GC", total - fetch)]
    details[3].append(f"3. where the crawl's {total * 1000:.2f} ms of CPU per article page goes:")
    details[3] += [f"   {v * 1000:6.2f} ms  {name}" for name, v in parts]


def markdown(report: Report, command: str, elapsed: float) -> str:
    lines = [f"docs/performance.md table ({datetime.now():%Y-%m-%d}, {os.cpu_count()} cores, "
             f"`{command}`, {elapsed:.0f} s):", "",
             "| measure | alanews | reference | figure | target | |", "|---|---|---|---|---|---|"]
    for r in report.rows:
        lines.append(f"| {r.metric.strip()} | {r.ours} | {r.reference} | {r.figure} | {r.target} | {r.verdict} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
