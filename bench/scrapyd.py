"""5. Scrapyd: the whole replica crawled as one ``alanews`` job vs as the 12 category jobs.

A local Scrapyd (deploy/scrapyd.conf with its paths, port and poll interval changed, and
``max_proc = 2``: one job per core), the project deployed with the real ``scrapyd-deploy``
from a copy of the package, politeness off for the replica. First one ``alanews`` job, then
``deploy/schedule.py --all`` (12 jobs, each its own state); wall time from scheduling to the
last job finished. The feeds are checked against the replica's truth: the one job's, and the
union of the 12 (by URL and every field; a post in a child category and its parent's archive
is in both feeds, and must be the same item in both).
"""

from __future__ import annotations

import configparser
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from base64 import b64encode
from pathlib import Path

from bench.crawl import COMPARED, check_feed
from replica.harness import ROOT, scrapy_stats, stop_process

MAX_PROC = 2
POLL = 0.2  # seconds: Scrapyd's poll_interval, and ours of listjobs.json


class LocalScrapyd:
    def __init__(self, workdir: Path):
        workdir.mkdir(parents=True, exist_ok=True)
        self.workdir = workdir
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        conf = configparser.ConfigParser()
        conf.read(ROOT / "deploy" / "scrapyd.conf")
        conf["scrapyd"].update({"http_port": str(port), "eggs_dir": str(workdir / "eggs"),
                                "dbs_dir": str(workdir / "dbs"), "logs_dir": str(workdir / "logs"),
                                "poll_interval": str(POLL), "max_proc": str(MAX_PROC)})
        with (workdir / "scrapyd.conf").open("w") as f:
            conf.write(f)
        self.url = f"http://127.0.0.1:{port}"
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith(("SCRAPYD_", "ALANEWS_", "SCRAPY_")) and k != "PYTHONPATH"}
        self.env.update(SCRAPYD_URL=self.url, SCRAPYD_USERNAME="bench", SCRAPYD_PASSWORD=secrets.token_hex(16),
                        ALANEWS_ENV_FILE=os.devnull)
        with (workdir / "scrapyd.out").open("w") as out:
            self.process = subprocess.Popen([sys.executable, "-m", "scrapyd", "--pidfile="], cwd=workdir,
                                            stdout=out, stderr=subprocess.STDOUT, env=self.env)
        deadline = time.monotonic() + 30
        while True:
            try:
                self.api("daemonstatus.json")
                break
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.stop()
                    raise RuntimeError(f"scrapyd did not start: {(workdir / 'scrapyd.out').read_text()[-2000:]}") from None
                time.sleep(0.1)

    def api(self, endpoint: str, params=()) -> dict:
        token = b64encode(f"{self.env['SCRAPYD_USERNAME']}:{self.env['SCRAPYD_PASSWORD']}".encode()).decode()
        request = urllib.request.Request(f"{self.url}/{endpoint}?{urllib.parse.urlencode(list(params))}",
                                         headers={"Authorization": f"Basic {token}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)

    def deploy(self) -> None:
        """``scrapyd-deploy`` from a copy of what a deploy needs (no checkout is importable by the jobs)."""
        project = self.workdir / "project"
        shutil.copytree(ROOT / "alanews", project / "alanews", ignore=shutil.ignore_patterns("__pycache__"))
        for name in ("setup.py", "scrapy.cfg"):
            shutil.copy2(ROOT / name, project / name)
        deploy = shutil.which("scrapyd-deploy", path=str(Path(sys.executable).parent)) or "scrapyd-deploy"
        proc = subprocess.run([deploy], cwd=project, env=self.env, capture_output=True, text=True, timeout=300)
        if proc.returncode != 0:
            raise RuntimeError(f"scrapyd-deploy failed: {proc.stdout}{proc.stderr}")

    def schedule(self, *args: str) -> list[str]:
        """deploy/schedule.py with ``args``; the ids of the jobs it scheduled."""
        proc = subprocess.run([sys.executable, str(ROOT / "deploy" / "schedule.py"), *args], env=self.env,
                              capture_output=True, text=True, timeout=300)
        if proc.returncode != 0 or "skipped" in proc.stdout:
            raise RuntimeError(f"schedule.py {args}: {proc.stdout}{proc.stderr}")
        return [line.rsplit(" ", 1)[1] for line in proc.stdout.splitlines()]

    def wait(self, ids: list[str], timeout: float = 3600) -> dict[str, dict]:
        deadline = time.monotonic() + timeout
        while True:
            finished = {job["id"]: job for job in self.api("listjobs.json", [("project", "alanews")])["finished"]}
            if all(job_id in finished for job_id in ids):
                return {job_id: finished[job_id] for job_id in ids}
            if time.monotonic() > deadline:
                raise RuntimeError(f"jobs not finished after {timeout} s")
            time.sleep(POLL)

    def log(self, job: dict) -> str:
        return (self.workdir / "logs" / "alanews" / job["spider"] / f"{job['id']}.log").read_text(errors="replace")

    def stop(self) -> None:
        stop_process(self.process, timeout=15)


def _items(data_dir: Path) -> dict[str, list[dict]]:
    """Every feed line under ``data_dir``, by spider."""
    found = {}
    for feed in sorted((data_dir / "feeds").glob("*/*.jsonl")):
        lines = feed.read_text("utf-8").splitlines()
        found.setdefault(feed.parent.name, []).extend(json.loads(line) for line in lines if line.strip())
    return found


def _union_check(feeds: dict[str, list[dict]], truth: dict[str, dict]) -> dict:
    union: dict[str, dict] = {}
    disagree = 0
    for items in feeds.values():
        for item in items:
            first = union.setdefault(item["url"], item)
            disagree += any(first[name] != item[name] for name in COMPARED)
    wrong: dict[str, int] = {}
    for url, item in union.items():
        for name in COMPARED:
            if url in truth and item[name] != truth[url][name]:
                wrong[name] = wrong.get(name, 0) + 1
    return {"items": sum(map(len, feeds.values())), "unique": len(union), "missing": len(set(truth) - set(union)),
            "unexpected": len(set(union) - set(truth)), "wrong_fields": wrong, "disagree": disagree}


def run(report, replica, workdir: Path, concurrency: int) -> dict:
    truth = replica.truth()
    scrapyd = LocalScrapyd(workdir / "scrapyd")
    try:
        scrapyd.deploy()
        fast = [f"setting={name}={value}" for name, value in (
            ("ALANEWS_BASE_URL", replica.url), ("DOWNLOAD_DELAY", "0"), ("AUTOTHROTTLE_ENABLED", "False"),
            ("CONCURRENT_REQUESTS", concurrency), ("CONCURRENT_REQUESTS_PER_DOMAIN", concurrency))]
        runs = {}
        for label, target in (("one alanews job", ["alanews"]), ("12 category jobs", ["--all"])):
            data_dir = workdir / label.replace(" ", "-")
            args = [*target, *(a for param in [*fast, f"setting=ALANEWS_DATA_DIR={data_dir}"] for a in ("-d", param))]
            started = time.perf_counter()
            ids = scrapyd.schedule(*args)
            jobs = scrapyd.wait(ids)
            wall = time.perf_counter() - started
            stats = [scrapy_stats(scrapyd.log(job)) for job in jobs.values()]
            runs[label] = {"wall": wall, "jobs": len(ids), "ids": ids, "data_dir": data_dir,
                           "responses": sum(s.get("response_received_count", 0) for s in stats),
                           "finished": sum(s.get("finish_reason") == "finished" for s in stats)}
            print(f"[5 {label}: {len(ids)} job(s) in {wall:.1f} s]", flush=True)
    finally:
        scrapyd.stop()

    one, many = runs["one alanews job"], runs["12 category jobs"]
    feeds = _items(one["data_dir"])
    one_feed = workdir / "one.jsonl"
    one_feed.write_text("".join(json.dumps(item) + "\n" for item in feeds.get("alanews", [])), "utf-8")
    one_check = check_feed(one_feed, truth)
    union = _union_check(_items(many["data_dir"]), truth)
    sec = "5 scrapyd"
    report.add(sec, f"wall time, whole site ({len(truth)} articles), max_proc = {MAX_PROC}",
               f"12 category jobs: {many['wall']:.1f} s", f"one alanews job: {one['wall']:.1f} s",
               f"{one['wall'] / many['wall']:.2f}x as fast", "")
    report.add(sec, "responses fetched", f"{many['responses']}", f"{one['responses']}",
               "jobs finished: " + f"{many['finished']}/{many['jobs']}, {one['finished']}/{one['jobs']}")
    report.add(sec, "job ids without '/'", "yes" if not any("/" in i for i in many["ids"] + one["ids"]) else "NO")

    def feed_row(label, check):
        exact = check["missing"] == check["unexpected"] == 0 and not check["wrong_fields"] \
            and not check.get("disagree") and check["unique"] == len(truth)
        report.add(sec, f"{label} vs truth", f"{check['unique']} / {len(truth)} articles",
                   f"missing {check['missing']}, unexpected {check['unexpected']}",
                   "fields wrong: " + (", ".join(f"{k} {v}" for k, v in check["wrong_fields"].items()) or "none")
                   + (f"; {check['disagree']} items differ between feeds" if check.get("disagree") else ""),
                   "equal", "PASS" if exact else "MISS")

    feed_row("union of the 12 feeds", union)
    feed_row("the one job's feed", one_check)
    return {"one": one, "many": many, "union": union, "one_check": one_check}
