"""alanews on a real Scrapyd: deploy, schedule, feeds and incremental state, auth.

One Scrapyd per module, started on a free loopback port in a temporary directory from
deploy/scrapyd.conf (only paths, port and poll interval changed), basic auth from
SCRAPYD_USERNAME / SCRAPYD_PASSWORD as in production. The project is deployed with the
real `scrapyd-deploy` from a copy of the package (no checkout is importable by the jobs),
and jobs crawl replicas started by the tests. Job logs are read over HTTP, as a user would.
"""

from __future__ import annotations

import configparser
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from base64 import b64encode
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import ROOT, copy_tracked, tracked_files
from test_crawl import assert_items_match_truth

from alanews.state import ArticleStore
from replica.harness import scrapy_stats, stop_process

USERNAME = "alanews-ops"
# %, $ and : survive: scrapyd-client expands ${SCRAPYD_PASSWORD} after ConfigParser's
# %-interpolation and does not expand the inserted value again.
PASSWORD = "s3cr%(et)s$HOME:x"
PROJECT = "alanews"
BIN = Path(sys.executable).parent
CATEGORY_SPIDERS = ["cronaca", "politica", "economia", "esteri", "sport", "calcio", "spettacoli",
                    "salute", "tecnologia", "cultura", "ambiente", "video"]
SITEMAP_SPIDERS = ["archive", "updates", "audit"]
JOB_TIMEOUT = 90
LOCK_REFUSED = "Another crawl of esteri is running"
FEED_NAME = re.compile(r"\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\+00-00\.jsonl")
STORED_FEED = re.compile(r"Stored jsonlines feed \((\d+) items\) in: (\S+)")


def command(name: str) -> str:
    """A console script of this interpreter's environment (scrapyd-deploy, scrapyd-client)."""
    found = BIN / name
    return str(found) if found.exists() else shutil.which(name)


def clean_env(**extra: str) -> dict:
    """The test's environment without the developer's Scrapyd/alanews variables or PYTHONPATH."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SCRAPYD_", "ALANEWS_", "SCRAPY_")) and k != "PYTHONPATH"}
    env["ALANEWS_ENV_FILE"] = os.devnull  # never the node's /etc/alanews/scrapyd.env
    return {**env, **extra}


def fast(replica) -> list[tuple[str, str]]:
    """schedule.json parameters: crawl the replica, politeness off."""
    return [("setting", f"ALANEWS_BASE_URL={replica.url}"), ("setting", "DOWNLOAD_DELAY=0"),
            ("setting", "AUTOTHROTTLE_ENABLED=False"), ("setting", "CONCURRENT_REQUESTS_PER_DOMAIN=16")]


@dataclass
class Job:
    id: str
    log: str
    stats: dict
    feed: Path | None  # None when the job wrote nothing (no feed file is made then)
    items: list[dict] | None


class Scrapyd:
    """A `scrapyd` process in ``workdir`` and its JSON API."""

    def __init__(self, workdir: Path, **options: str):
        self.workdir = workdir
        conf = configparser.ConfigParser()
        conf.read(ROOT / "deploy" / "scrapyd.conf")
        self.production = dict(conf["scrapyd"])
        for _attempt in range(3):
            self.port = _free_port()
            conf["scrapyd"].update({
                "http_port": str(self.port), "eggs_dir": str(workdir / "eggs"),
                "dbs_dir": str(workdir / "dbs"), "logs_dir": str(workdir / "logs"), "poll_interval": "0.2",
                **options,
            })
            with (workdir / "scrapyd.conf").open("w") as f:
                conf.write(f)
            self.url = f"http://127.0.0.1:{self.port}"
            self.output = workdir / "scrapyd.out"
            with self.output.open("w") as out:
                self.process = subprocess.Popen(
                    [sys.executable, "-m", "scrapyd", "--pidfile="], cwd=workdir, stdout=out,
                    stderr=subprocess.STDOUT,
                    env=clean_env(SCRAPYD_USERNAME=USERNAME, SCRAPYD_PASSWORD=PASSWORD))
            if self._ready():
                return
            self.stop()
        raise RuntimeError(f"scrapyd did not start:\n{self.output.read_text()[-3000:]}")

    def _ready(self, timeout: float = 20) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                if self.request("daemonstatus.json")[0] == 200:
                    return True
            except OSError:
                pass
            time.sleep(0.1)
        return False

    # --- HTTP -------------------------------------------------------------------------

    def request(self, path: str, params=(), *, post: bool = False,
                auth: tuple[str, str] | None = (USERNAME, PASSWORD)) -> tuple[int, bytes]:
        query = urllib.parse.urlencode(list(params))
        url = f"{self.url}/{path.lstrip('/')}"
        headers = {}
        if auth:
            headers["Authorization"] = "Basic " + b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        request = urllib.request.Request(url if post or not query else f"{url}?{query}",
                                         data=query.encode() if post else None, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def api(self, endpoint: str, params=(), *, post: bool = False) -> dict:
        status, body = self.request(endpoint, params, post=post)
        data = json.loads(body)
        assert status == 200 and data["status"] == "ok", data
        return data

    # --- jobs -------------------------------------------------------------------------

    def schedule(self, spider: str, *params: tuple[str, str]) -> str:
        return self.api("schedule.json", [("project", PROJECT), ("spider", spider), *params], post=True)["jobid"]

    def wait(self, job_id: str, timeout: float = JOB_TIMEOUT) -> Job:
        """Poll listjobs.json until the job finished; return its log (over HTTP), stats and feed."""
        deadline = time.monotonic() + timeout
        while True:
            jobs = self.api("listjobs.json", [("project", PROJECT)])
            done = [job for job in jobs["finished"] if job["id"] == job_id]
            if done:
                break
            assert time.monotonic() < deadline, f"job {job_id} not finished after {timeout}s: {jobs}"
            time.sleep(0.2)
        status, body = self.request(done[0]["log_url"])
        assert status == 200, (status, body[:200])
        log = body.decode("utf-8")
        feed = items = None
        if match := STORED_FEED.search(log):
            feed = Path(match.group(2))
            items = [json.loads(line) for line in feed.read_text("utf-8").splitlines() if line.strip()]
            assert len(items) == int(match.group(1))
        return Job(job_id, log, scrapy_stats(log), feed, items)

    def run(self, spider: str, *params: tuple[str, str]) -> Job:
        """Schedule, wait, and check that the crawl finished cleanly."""
        job = self.wait(self.schedule(spider, *params))
        assert_finished(job)
        return job

    def stop(self) -> None:
        if self.process.poll() is None:
            try:  # jobs still running (a failed test) are Scrapyd's children: stop them first
                for job in self.api("listjobs.json")["running"]:
                    self.api("cancel.json", [("project", job["project"]), ("job", job["id"])], post=True)
            except (OSError, AssertionError, ValueError):
                pass
            stop_process(self.process, timeout=15)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def assert_finished(job: Job) -> None:
    assert "Spider closed (finished)" in job.log, job.log[-3000:]
    assert job.stats.get("finish_reason") == "finished", job.log[-3000:]
    assert "log_count/ERROR" not in job.stats and "Traceback" not in job.log, job.log[-3000:]


def deltafetch_known(job: Job) -> tuple[int, Path]:
    """The state the job opened: ``deltafetch: N articles known in PATH``."""
    match = re.search(r"deltafetch: (\d+) articles known in (\S+)", job.log)
    assert match, job.log[-3000:]
    return int(match.group(1)), Path(match.group(2))


def publish_into(replica, path: str, k: int) -> set[str]:
    """Publish articles one at a time (their category is the replica's choice) until ``k`` new
    ones are listed in the archive at ``path``; return those."""
    before = set(replica.archive(path))
    for _ in range(50 * k):
        replica.post("/__replica__/publish?count=1")
        new = set(replica.archive(path)) - before
        if len(new) >= k:
            return new
    raise AssertionError(f"could not publish {k} articles into {path}")


# --- fixtures ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def scrapyd(tmp_path_factory):
    server = Scrapyd(tmp_path_factory.mktemp("scrapyd"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """What a deploy needs from the checkout: the package, setup.py, scrapy.cfg."""
    return copy_tracked(tmp_path_factory.mktemp("project"), "alanews", "setup.py", "scrapy.cfg")


def client_env(scrapyd: Scrapyd, password: str = PASSWORD) -> dict:
    return clean_env(SCRAPYD_URL=scrapyd.url, SCRAPYD_USERNAME=USERNAME, SCRAPYD_PASSWORD=password)


@pytest.fixture(scope="module")
def deployed(scrapyd, project) -> subprocess.CompletedProcess:
    """`scrapyd-deploy`, target [deploy] of scrapy.cfg, URL and credentials from the environment."""
    proc = subprocess.run([command("scrapyd-deploy")], cwd=project, env=client_env(scrapyd),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


# --- configuration -------------------------------------------------------------------------

def test_production_scrapyd_conf_is_loopback_with_auth_from_the_environment(scrapyd):
    conf = scrapyd.production
    assert conf["bind_address"] == "127.0.0.1"
    assert conf["username"] == conf["password"] == ""  # SCRAPYD_USERNAME / SCRAPYD_PASSWORD
    assert conf["items_dir"] == ""  # the project's own feeds, not Scrapyd's
    assert os.path.isabs(conf["logs_dir"]) and int(conf["jobs_to_keep"]) >= 24 * 7
    assert 1 <= int(conf["max_proc"]) <= 8
    # the test server runs that file, and its auth is on
    assert "Basic authentication enabled" in scrapyd.output.read_text()


def test_crontab_schedules_every_category_hourly_at_its_own_minute():
    entries = [line.split() for line in (ROOT / "deploy" / "crontab").read_text().splitlines()
               if line.strip() and not line.startswith("#") and "=" not in line.split()[0]]
    # hourly (updates and audit: tests/test_sitemaps.py; latest: tests/test_latest.py)
    entries = [entry for entry in entries if entry[0].isdigit() and entry[1] == "*"]
    assert sorted(entry[6] for entry in entries) == sorted(CATEGORY_SPIDERS)
    minutes = [int(entry[0]) for entry in entries]
    assert len(set(minutes)) == 12 and all(0 <= m < 60 for m in minutes)
    assert all(entry[1:5] == ["*"] * 4 for entry in entries)
    assert all(entry[5] == '"$ALANEWS_HOME/deploy/schedule.py"' for entry in entries)
    assert os.access(ROOT / "deploy" / "schedule.py", os.X_OK)


# --- deploy ----------------------------------------------------------------------------------

# What a crawl run from a package directory (alanews/spiders/) leaves there: -O feeds and their
# run summaries, a JOBDIR (Scrapy's request queue, seen fingerprints, spider state).
RUN_LEFTOVERS = ("esteri.jsonl", "esteri.summary.json", "esteri.json", "esteri.csv", "crawls/esteri-1/spider.state",
                 "crawls/esteri-1/requests.seen", "crawls/esteri-1/requests.queue/active.json")


def build_egg(source: Path, egg: Path) -> set[str]:
    proc = subprocess.run([command("scrapyd-deploy"), "--build-egg", str(egg)], cwd=source,
                          env=clean_env(), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return set(zipfile.ZipFile(egg).namelist())


def test_egg_holds_the_package_code_and_data_only(project, scrapyd, tmp_path):
    source = tmp_path / "project"
    shutil.copytree(project, source)
    for leftover in ("alanews/spiders", "alanews"):
        for name in RUN_LEFTOVERS:
            (source / leftover / name).parent.mkdir(parents=True, exist_ok=True)
            (source / leftover / name).write_text("{}\n")
    egg = tmp_path / "alanews.egg"
    names = build_egg(source, egg)
    package = set(tracked_files("alanews"))
    assert package - names == set()  # every module and data file the project holds
    assert {n for n in names if not n.startswith("EGG-INFO/")} - package == set()  # and nothing else
    assert "alanews/schema/article.schema.json" in names
    entry_points = zipfile.ZipFile(egg).read("EGG-INFO/entry_points.txt").decode()
    assert "settings = alanews.settings" in entry_points
    # Scrapyd's jobs start in its working directory, where the checkout is not importable:
    # they run from the egg alone.
    probe = subprocess.run([sys.executable, "-c", "import alanews"], cwd=scrapyd.workdir,
                           env=clean_env(), capture_output=True, text=True)
    assert probe.returncode != 0 and "No module named 'alanews'" in probe.stderr


def test_scrapyd_deploy_uploads_the_project_with_its_seventeen_spiders(scrapyd, deployed, project):
    assert '"spiders": 17' in deployed.stdout
    assert f'in {scrapyd.url}/addversion.json' in deployed.stderr
    assert scrapyd.api("listprojects.json")["projects"] == [PROJECT]
    spiders = scrapyd.api("listspiders.json", [("project", PROJECT)])["spiders"]
    assert sorted(spiders) == sorted([*CATEGORY_SPIDERS, "alanews", "latest", *SITEMAP_SPIDERS])
    # wrong credentials: the deploy fails and says why
    proc = subprocess.run([command("scrapyd-deploy")], cwd=project, env=client_env(scrapyd, "wrong"),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and "Deploy failed (401)" in proc.stderr
    assert len(scrapyd.api("listversions.json", [("project", PROJECT)])["versions"]) == 1


# --- auth ------------------------------------------------------------------------------------

@pytest.mark.parametrize("auth", [None, (USERNAME, "wrong"), ("someone", PASSWORD), (USERNAME, "")],
                         ids=["no-credentials", "wrong-password", "wrong-user", "empty-password"])
def test_api_refuses_missing_or_wrong_credentials(scrapyd, deployed, auth):
    params = [("project", PROJECT), ("spider", "cronaca")]
    assert scrapyd.request("schedule.json", params, post=True, auth=auth)[0] == 401
    assert scrapyd.request("listjobs.json", auth=auth)[0] == 401
    assert scrapyd.request("logs/", auth=auth)[0] == 401
    jobs = scrapyd.api("listjobs.json", [("project", PROJECT)])
    assert not any(job["spider"] == "cronaca" for state in ("pending", "running", "finished")
                   for job in jobs[state])


def test_schedule_script_fails_loudly_on_wrong_credentials(scrapyd, deployed, tmp_path):
    proc = subprocess.run([sys.executable, str(ROOT / "deploy" / "schedule.py"), "cronaca"],
                          env={**client_env(scrapyd, "wrong"), "ALANEWS_DATA_DIR": str(tmp_path)},
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1 and "HTTP 401" in proc.stderr and proc.stdout == ""


# --- scheduled crawls ------------------------------------------------------------------------

def test_unsafe_job_ids_are_refused_and_a_job_runs_after_a_named_one_on_a_single_slot(
        tmp_path_factory, project, make_replica, tmp_path):
    """Scrapyd 1.6 loses a process slot for good on a job id with '/': deploy/schedule.py
    refuses such ids; with max_proc = 1, a job still runs after one with an id given by hand."""
    single = Scrapyd(tmp_path_factory.mktemp("scrapyd-single"), max_proc="1")
    try:
        deploy = subprocess.run([command("scrapyd-deploy")], cwd=project, env=client_env(single),
                                capture_output=True, text=True, timeout=120)
        assert deploy.returncode == 0, deploy.stdout + deploy.stderr
        replica = make_replica("--articles", "40", "--seed", "5")
        env = {**client_env(single), "ALANEWS_DATA_DIR": str(tmp_path / "data")}
        schedule = [sys.executable, str(ROOT / "deploy" / "schedule.py"), "esteri", "-d", "max_pages=1",
                    "-d", "related_depth=0", *[arg for key, value in fast(replica) for arg in ("-d", f"{key}={value}")]]

        def run(*args: str) -> subprocess.CompletedProcess:
            return subprocess.run([*schedule, *args], env=env, capture_output=True, text=True, timeout=60)

        for unsafe in ("nightly/esteri", "../esteri", ".esteri", "", "esteri run"):
            refused = run("-d", f"jobid={unsafe}")
            assert refused.returncode == 2 and refused.stdout == "", refused.stderr
            assert "jobid must be letters, digits, '.', '_' or '-'" in refused.stderr and repr(unsafe) in refused.stderr
        jobs = single.api("listjobs.json", [("project", PROJECT)])
        assert jobs["pending"] == jobs["running"] == jobs["finished"] == []

        named = run("-d", "jobid=esteri.by-hand_1")
        assert named.stdout == "scheduled alanews/esteri: job esteri.by-hand_1\n", named.stderr
        first = single.wait("esteri.by-hand_1")
        assert_finished(first)
        assert "'CLOSESPIDER_TIMEOUT': '3300'" in first.log  # the job time limit deploy/schedule.py sets
        # an id Scrapyd makes is 32 hex digits; with one slot, it runs only if the first job gave it back
        job_id = re.fullmatch(r"scheduled alanews/esteri: job ([0-9a-f]{32})\n", run().stdout).group(1)
        assert_finished(single.wait(job_id))
    finally:
        single.stop()


def test_scheduled_runs_full_then_incremental_then_exactly_the_new_articles(scrapyd, deployed, make_replica,
                                                                            tmp_path):
    replica = make_replica("--articles", "300", "--seed", "7")
    data_dir = scrapyd.workdir / "data"  # where the default ALANEWS_DATA_DIR ("data") resolves for a job
    state = data_dir / "deltafetch" / "state.sqlite"
    env_file = tmp_path / "scrapyd.env"  # like the node's /etc/alanews/scrapyd.env
    env_file.write_text(f"SCRAPYD_URL={scrapyd.url}\nSCRAPYD_USERNAME={USERNAME}\n"
                        f"SCRAPYD_PASSWORD='{PASSWORD}'\nALANEWS_DATA_DIR={data_dir}\n")
    env = {**clean_env(), "ALANEWS_ENV_FILE": str(env_file)}

    # 1. full crawl, scheduled by deploy/schedule.py (settings through schedule.json)
    args = [arg for key, value in fast(replica) for arg in ("-d", f"{key}={value}")]
    proc = subprocess.run([sys.executable, str(ROOT / "deploy" / "schedule.py"), "esteri", *args], env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    job_id = re.fullmatch(r"scheduled alanews/esteri: job (\w+)\n", proc.stdout).group(1)
    # the crontab's esteri line, run while that job is pending or running: skipped
    cron_line = next(line for line in (ROOT / "deploy" / "crontab").read_text().splitlines()
                     if line.split()[6:7] == ["esteri"])
    cron_log = tmp_path / "schedule.log"
    cron = subprocess.run(" ".join(cron_line.split()[5:]), shell=True,  # noqa: S602 cron runs it in a shell
                          timeout=60, capture_output=True, text=True,
                          env={**env, "ALANEWS_HOME": str(ROOT), "ALANEWS_SCHEDULE_LOG": str(cron_log)})
    assert cron.returncode == 0 and cron.stderr == "", cron.stderr
    assert cron_log.read_text().startswith("skipped alanews/esteri: already ")
    assert job_id in cron_log.read_text()

    first = scrapyd.wait(job_id)
    assert_finished(first)
    truth = replica.truth()
    archive = set(replica.archive("esteri"))
    assert first.feed.parent == data_dir / "feeds" / "esteri" and FEED_NAME.fullmatch(first.feed.name)
    assert_items_match_truth(first.items, truth, archive)
    assert deltafetch_known(first) == (0, state)
    assert first.stats["deltafetch/stored"] == first.stats["item_scraped_count"] == len(archive)
    assert first.stats["deltafetch/fetched"] >= len(archive)

    # 2. raw schedule.json without ALANEWS_DATA_DIR: the job's default resolves to the same
    # directory (Scrapyd's working directory), so it sees the state and emits nothing
    second = scrapyd.run("esteri", *fast(replica))
    assert deltafetch_known(second) == (len(archive), state)
    assert second.feed is None and second.items is None  # it wrote nothing: no feed file, no summary
    assert "no article written, so no file made" in second.log
    assert "item_scraped_count" not in second.stats and "deltafetch/stored" not in second.stats
    assert second.stats["deltafetch/skipped"] >= 10  # the first listing page, all known
    assert second.stats.get("deltafetch/early_stop") == 1

    # 3. new articles published: exactly the new ones of the esteri archive
    new = publish_into(replica, "esteri", 3)
    third = scrapyd.run("esteri", *fast(replica), ("setting", f"ALANEWS_DATA_DIR={data_dir}"))
    assert_items_match_truth(third.items, replica.truth(), new)
    assert third.stats["deltafetch/stored"] == len(new)
    assert deltafetch_known(third) == (len(archive), state)
    assert len({first.feed, third.feed}) == 2 and third.feed.parent == first.feed.parent
    assert sorted((data_dir / "feeds" / "esteri").glob("*")) == sorted(
        [first.feed, third.feed, *(feed.with_name(feed.name + ".summary.json") for feed in (first.feed, third.feed))])


def test_two_schedules_of_one_spider_at_once_never_crawl_together(scrapyd, deployed, make_replica, tmp_path):
    replica = make_replica("--articles", "300", "--seed", "3")
    data_dir = tmp_path / "data"
    params = [*fast(replica), ("setting", f"ALANEWS_DATA_DIR={data_dir}")]
    # back to back: both are pending at the next poll and start together in two free slots
    ids = [scrapyd.schedule("esteri", *params), scrapyd.schedule("esteri", *params)]
    jobs = [scrapyd.wait(job_id) for job_id in ids]

    refused = [job for job in jobs if LOCK_REFUSED in job.log]
    ran = [job for job in jobs if "Spider closed (finished)" in job.log]
    assert len(refused) == 1 and len(ran) == 1, [job.log[-2000:] for job in jobs]
    refused, ran = refused[0], ran[0]
    assert re.search(rf"\[alanews\.commands\.crawl\] ERROR: Not started: {LOCK_REFUSED} "
                     rf"\(lock {data_dir}/deltafetch/esteri\.lock\)",
                     refused.log)
    assert "Spider opened" not in refused.log and refused.feed is None  # refused before any feed or state
    assert re.search(rf"Process died: exitstatus=1 project='alanews' spider='esteri' job='{refused.id}'",
                     scrapyd.output.read_text())  # a non-zero exit, in Scrapyd's own log
    assert_finished(ran)
    archive = set(replica.archive("esteri"))
    assert_items_match_truth(ran.items, replica.truth(), archive)
    assert list((data_dir / "feeds" / "esteri").glob("*.jsonl")) == [ran.feed]

    # the state is whole: what the feed holds, nothing else; and the lock was released
    store = ArticleStore(data_dir / "deltafetch" / "state.sqlite")
    try:
        assert store.conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert len(store) == len(ran.items) and all(item["url"] in store for item in ran.items)
    finally:
        store.close()
    after = scrapyd.run("esteri", *params)
    assert deltafetch_known(after) == (len(archive), data_dir / "deltafetch" / "state.sqlite")
    assert after.items is None  # nothing new: no feed file


def test_spider_arguments_and_settings_pass_through_scrapyd_client_schedule(scrapyd, deployed, project, replica,
                                                                              tmp_path):
    data_dir = tmp_path / "data"
    args = [f"{key}={value}" for key, value in fast(replica)]
    args += [f"setting=ALANEWS_DATA_DIR={data_dir}", "max_pages=1", "related_depth=0"]
    proc = subprocess.run([command("scrapyd-client"), "schedule", "-p", PROJECT, "esteri",
                           *[part for arg in args for part in ("--arg", arg)]],
                          cwd=project, env=client_env(scrapyd), capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    job = scrapyd.wait(re.fullmatch(r"alanews / esteri => (\w+)\n", proc.stdout).group(1))
    assert_finished(job)
    first_page = set(replica.archive("esteri")[:10])
    assert_items_match_truth(job.items, replica.truth(), first_page)
    assert job.stats["alanews/listing/pages"] == 1 and "alanews/related/followed" not in job.stats
    assert job.feed.parent == data_dir / "feeds" / "esteri"


def test_schedule_all_runs_each_category_spider_as_its_own_job(scrapyd, deployed, make_replica, tmp_path):
    """deploy/schedule.py --all: the 12 category spiders, one job each, every job id free of
    '/', each with its own state; their feeds together hold the whole site, as the truth says."""
    replica = make_replica("--articles", "80", "--seed", "5")
    data_dir = tmp_path / "data"
    env = {**client_env(scrapyd), "ALANEWS_DATA_DIR": str(data_dir)}
    args = [arg for key, value in fast(replica) for arg in ("-d", f"{key}={value}")]
    proc = subprocess.run([sys.executable, str(ROOT / "deploy" / "schedule.py"), "--all", *args,
                           "-d", "jobid=backfill"], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    scheduled = dict(re.findall(r"scheduled alanews/(\w+): job (\S+)\n", proc.stdout))
    assert sorted(scheduled) == sorted(CATEGORY_SPIDERS) and len(proc.stdout.splitlines()) == 12
    assert all(job_id == f"backfill-{spider}" for spider, job_id in scheduled.items())
    jobs = {spider: scrapyd.wait(job_id, timeout=JOB_TIMEOUT * 3) for spider, job_id in scheduled.items()}
    for job in jobs.values():
        assert_finished(job)
        assert deltafetch_known(job)[1] == data_dir / "deltafetch" / "state.sqlite"  # one state for the node
    # a child category's posts are in its parent's archive too: written by whichever job came first
    # (both, if they raced), the same item
    union: dict[str, dict] = {}
    for job in jobs.values():
        for item in job.items or []:  # a job whose posts all came first through another: no feed
            assert union.setdefault(item["url"], item) | {"scraped_at": None} == item | {"scraped_at": None}
    truth = replica.truth()
    assert_items_match_truth(list(union.values()), truth, set(truth))
    # a job id with '/' is refused before Scrapyd is asked
    bad = subprocess.run([sys.executable, str(ROOT / "deploy" / "schedule.py"), "--all", "-d", "jobid=a/b"],
                         env=env, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "jobid must be letters, digits, '.', '_' or '-'" in bad.stderr and bad.stdout == ""
