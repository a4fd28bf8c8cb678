#!/usr/bin/env python3
"""Schedule an alanews spider on Scrapyd, unless a job of it is already pending or running.

deploy/crontab runs it for each category; it works by hand too::

    deploy/schedule.py esteri
    deploy/schedule.py esteri -d max_pages=3 -d setting=DOWNLOAD_DELAY=2
    deploy/schedule.py --all -d setting=DOWNLOAD_DELAY=0

``--all`` schedules every category spider (all the project's spiders on Scrapyd but
``alanews``, which walks every category itself, ``latest`` and the sitemap spiders), each its own job
sharing the node's incremental state:
Scrapyd runs up to ``max_proc`` of them at once, so a crawl bound by CPU (politeness off:
a backfill, Scrapy's HTTP cache replayed) uses as many cores.

Every ``-d name=value`` goes to ``schedule.json`` unchanged: spider arguments
(``max_pages=3``), settings (``setting=NAME=VALUE``), ``priority``, ``_version``, ``jobid``
(never with a ``/``: Scrapyd 1.6 loses a process slot for it; with ``--all``, each job's id is
``<jobid>-<spider>``).
``setting=ALANEWS_DATA_DIR=<ALANEWS_DATA_DIR>`` is added unless given, so every job of
the node shares one data directory (feeds and incremental state). ``setting=CLOSESPIDER_TIMEOUT=3300``
is added unless given: a job ends within 55 minutes (finish reason ``closespider_timeout``,
which the run's monitors report), before the crontab schedules its spider again; a first full
crawl of a large archive goes on over the next runs, which skip what it wrote.

Job ids: Scrapyd makes one (32 hex digits) unless ``-d jobid=ID`` is given. A given id must
be letters, digits, ``.``, ``_`` and ``-`` (starting with a letter or digit): Scrapyd 1.6
names the job's log file after it, and an id with ``/`` loses one of its process slots for
good (after ``max_proc`` such jobs, every job stays pending).

Environment; variables already set win over those in ``ALANEWS_ENV_FILE``
(default ``/etc/alanews/scrapyd.env``, ``KEY=value`` lines, read if it exists):

    SCRAPYD_URL        Scrapyd's root URL, no trailing slash; default http://127.0.0.1:6800
    SCRAPYD_USERNAME   basic auth, sent in a header (never on a command line)
    SCRAPYD_PASSWORD
    ALANEWS_DATA_DIR   absolute path; required unless -d setting=ALANEWS_DATA_DIR=... is given
    ALANEWS_PROJECT    Scrapyd project; default alanews

Checking and scheduling are two requests, so two callers racing can both schedule: the
crawl's own lock (``<data dir>/deltafetch/<spider>.lock``) then refuses the second job.

Exit status: 0 when each spider was scheduled or skipped (one line each on stdout); 1 when
Scrapyd is unreachable, refuses the credentials or answers an error for any (stderr); 2 on
bad usage (an unsafe job id among them).
Standard library only: runs with any python3 on the node.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

DEFAULT_URL = "http://127.0.0.1:6800"
DEFAULT_ENV_FILE = "/etc/alanews/scrapyd.env"
#: spiders --all leaves out: ``alanews`` walks every category in one job; ``latest`` (the RSS poll)
#: and the sitemap spiders (backfill, updates, audit) are scheduled on their own (deploy/crontab)
NOT_CATEGORY_SPIDERS = ("alanews", "latest", "archive", "updates", "audit")
#: seconds a scheduled job may run (CLOSESPIDER_TIMEOUT), less than the hour between two runs
DEFAULT_JOB_TIMEOUT = 3300
SAFE_JOB_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


class ScheduleError(Exception):
    """Scrapyd could not be asked, or said no."""


def load_env_file(path: str, environ: dict) -> None:
    """Add ``KEY=value`` lines of ``path`` (``export``, quotes and comments allowed) missing from ``environ``."""
    file = Path(path)
    if not file.is_file():
        return
    for line in file.read_text("utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.removeprefix("export ").split("=", 1)
        key, value = key.strip(), value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        environ.setdefault(key, value)


class Scrapyd:
    def __init__(self, url: str, username: str = "", password: str = ""):
        self.url = url.rstrip("/") + "/"
        self.headers = {"User-Agent": "alanews-schedule/1.0"}
        if username or password:
            token = base64.b64encode(f"{username}:{password}".encode()).decode()
            self.headers["Authorization"] = f"Basic {token}"

    def call(self, endpoint: str, params: list[tuple[str, str]], post: bool = False) -> dict:
        query = urllib.parse.urlencode(params)
        url = self.url + endpoint
        if post:
            request = urllib.request.Request(url, data=query.encode(), headers=self.headers, method="POST")
        else:
            request = urllib.request.Request(f"{url}?{query}", headers=self.headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                data = json.load(response)
        except urllib.error.HTTPError as error:
            hint = " (check SCRAPYD_USERNAME / SCRAPYD_PASSWORD)" if error.code == 401 else ""
            raise ScheduleError(f"{endpoint}: HTTP {error.code} {error.reason}{hint}") from None
        except (urllib.error.URLError, OSError, ValueError) as error:
            raise ScheduleError(f"{endpoint}: cannot reach Scrapyd at {self.url}: {error}") from None
        if data.get("status") != "ok":
            raise ScheduleError(f"{endpoint}: {data.get('message', data)}")
        return data


def busy_jobs(scrapyd: Scrapyd, project: str, spider: str) -> list[str]:
    """``state id`` of the spider's pending and running jobs."""
    jobs = scrapyd.call("listjobs.json", [("project", project)])
    return [f"{state} {job['id']}" for state in ("pending", "running")
            for job in jobs.get(state, []) if job.get("spider") == spider]


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Schedule an alanews spider on Scrapyd unless it is already pending or running.")
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("spider", nargs="?")
    which.add_argument("--all", action="store_true",
                       help=f"every category spider, each its own job (all but {', '.join(NOT_CATEGORY_SPIDERS)})")
    parser.add_argument("-d", dest="params", action="append", default=[], metavar="NAME=VALUE",
                        help="schedule.json parameter, e.g. max_pages=3 or setting=DOWNLOAD_DELAY=2")
    args = parser.parse_args(argv)
    for param in args.params:
        if "=" not in param:
            parser.error(f"-d expects name=value, got {param!r}")
    args.params = [tuple(param.split("=", 1)) for param in args.params]
    for name, value in args.params:
        if name == "jobid" and not SAFE_JOB_ID.fullmatch(value):
            parser.error(f"jobid must be letters, digits, '.', '_' or '-' (at most 100, the first a letter or "
                         f"digit): Scrapyd 1.6 loses a process slot for good on a job id with '/'; got {value!r}")
    return args


def category_spiders(scrapyd: Scrapyd, project: str) -> list[str]:
    """The project's spiders on Scrapyd (its deployed version), but the one that walks them all."""
    spiders = scrapyd.call("listspiders.json", [("project", project)])["spiders"]
    return [spider for spider in spiders if spider not in NOT_CATEGORY_SPIDERS]


def schedule(scrapyd: Scrapyd, project: str, spider: str, params: list[tuple[str, str]]) -> str:
    """One line saying what happened; ScheduleError when Scrapyd could not be asked or said no."""
    busy = busy_jobs(scrapyd, project, spider)
    if busy:
        return f"skipped {project}/{spider}: already {', '.join(busy)}"
    job = scrapyd.call("schedule.json", [("project", project), ("spider", spider), *params], post=True)
    return f"scheduled {project}/{spider}: job {job['jobid']}"


def main(argv: list[str] | None = None, environ: dict | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    env = dict(os.environ if environ is None else environ)
    load_env_file(env.get("ALANEWS_ENV_FILE", DEFAULT_ENV_FILE), env)
    project = env.get("ALANEWS_PROJECT") or "alanews"
    params = list(args.params)
    if not any(k == "setting" and v.startswith("ALANEWS_DATA_DIR=") for k, v in params):
        data_dir = env.get("ALANEWS_DATA_DIR", "")
        if not os.path.isabs(data_dir):
            print(f"schedule: ALANEWS_DATA_DIR must be an absolute path, got {data_dir!r}", file=sys.stderr)
            return 2
        params.append(("setting", f"ALANEWS_DATA_DIR={data_dir}"))
    if not any(k == "setting" and v.startswith("CLOSESPIDER_TIMEOUT=") for k, v in params):
        params.append(("setting", f"CLOSESPIDER_TIMEOUT={DEFAULT_JOB_TIMEOUT}"))
    scrapyd = Scrapyd(env.get("SCRAPYD_URL") or DEFAULT_URL,
                      env.get("SCRAPYD_USERNAME", ""), env.get("SCRAPYD_PASSWORD", ""))
    try:
        spiders = category_spiders(scrapyd, project) if args.all else [args.spider]
    except ScheduleError as error:
        print(f"schedule {project} --all failed: {error}", file=sys.stderr)
        return 1
    status = 0
    for spider in spiders:
        own = [(k, f"{v}-{spider}" if k == "jobid" and args.all else v) for k, v in params]
        try:
            print(schedule(scrapyd, project, spider, own), flush=True)
        except ScheduleError as error:
            print(f"schedule {project}/{spider} failed: {error}", file=sys.stderr)
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
