"""A user's first hour with Scrapy's own tools and the project's configuration (issue 16).

Real `scrapy shell`, `fetch`, `view`, `parse`, `settings` and `crawl` processes against the
replica: the tools work and write nothing under the data directory; spider arguments are
checked in one style; the data directory and every ALANEWS_* setting are found the same way
from any directory of the checkout and from the environment; the replica's own commands.
"""

from __future__ import annotations

import ast
import fcntl
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FAST, ROOT, copy_tracked, run_crawl, tracked_files

from alanews.exitcodes import ExitStatus


def scrapy(*args: str, cwd: Path = ROOT, env: dict | None = None, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "scrapy", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})


def site(replica, data_dir: Path) -> list[str]:
    """-s options: crawl the replica, keep the data directory in ``data_dir``."""
    return ["-s", f"ALANEWS_BASE_URL={replica.url}", "-s", f"ALANEWS_DATA_DIR={data_dir}"]


def error_lines(log: str) -> list[str]:
    return [line for line in log.splitlines() if "] ERROR: " in line]


def files_under(path: Path) -> list[Path]:
    return sorted(p for p in path.rglob("*") if p.is_file()) if path.exists() else []


@pytest.fixture(scope="module")
def article(replica) -> str:
    return replica.archive("esteri")[0]


# --- 2. scrapy shell, fetch, view ------------------------------------------------------------

@pytest.mark.parametrize("spider", [[], ["--spider", "esteri"]], ids=["default-spider", "esteri"])
def test_scrapy_shell_evaluates_code_on_a_page_and_writes_nothing(replica, article, tmp_path, spider):
    data = tmp_path / "data"
    proc = scrapy("shell", article, *spider, "-c", "(response.status, response.css('h1.jeg_post_title::text').get())",
                  *site(replica, data))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert ast.literal_eval(proc.stdout.strip()) == (200, replica.truth()[article]["title"])
    assert "Traceback" not in proc.stderr and error_lines(proc.stderr) == []
    assert files_under(data) == []  # no feed, no incremental state


def test_scrapy_fetch_and_view_work_and_write_nothing(replica, article, tmp_path):
    data = tmp_path / "data"
    fetched = scrapy("fetch", "--nolog", article, *site(replica, data))
    assert fetched.returncode == 0, fetched.stderr[-3000:]
    assert fetched.stdout.encode("utf-8").strip() == replica.get(urlpath(article)).strip()
    # `scrapy view` hands the page to the browser named by $BROWSER (here: a command printing its path)
    viewed = scrapy("view", "--nolog", f"{replica.url}/category/esteri/", *site(replica, data),
                    env={"BROWSER": "echo VIEWED %s"})
    assert viewed.returncode == 0, viewed.stderr[-3000:]
    shown = Path(re.search(r"VIEWED file://(\S+)", viewed.stdout).group(1))
    assert "jeg_post_title" in shown.read_text("utf-8")
    shown.unlink()
    assert files_under(data) == []


def test_scrapy_fetch_with_a_spider_works_while_a_crawl_of_it_holds_the_state(replica, article, tmp_path):
    """The tools leave the incremental state alone: they do not even take its lock."""
    data = tmp_path / "data"
    lock_path = data / "deltafetch" / "esteri.lock"
    lock_path.parent.mkdir(parents=True)
    with lock_path.open("a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as a running `scrapy crawl esteri` holds it
        proc = scrapy("fetch", "--spider", "esteri", article, *site(replica, data))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Another crawl of esteri is running" not in proc.stderr and "deltafetch" not in proc.stderr
    assert replica.truth()[article]["title"].split()[0] in proc.stdout
    assert files_under(data) == [lock_path]


def urlpath(url: str) -> str:
    return "/" + url.split("/", 3)[3]


# --- 3. scrapy parse ---------------------------------------------------------------------------

def parse_output(stdout: str) -> tuple[list[dict], list[str]]:
    """The items and the request URLs `scrapy parse --nocolour` printed."""
    items_text = stdout.split("# Scraped Items ", 1)[1].split("\n", 1)[1].split("# Requests ", 1)[0]
    requests = re.findall(r"<GET (\S+)>", stdout.split("# Requests ", 1)[1])
    return ast.literal_eval(items_text.strip()), requests


def test_scrapy_parse_an_article_url_shows_its_item(replica, article, tmp_path):
    data = tmp_path / "data"
    proc = scrapy("parse", article, "--spider", "esteri", "--nocolour", "-a", "related_depth=0", *site(replica, data))
    assert proc.returncode == 0, proc.stderr[-3000:]
    items, requests = parse_output(proc.stdout)
    expected = replica.truth()[article]
    assert [(item["url"], item["title"], item["published"], item["body"]) for item in items] == [
        (article, expected["title"], expected["published"], expected["body"])]
    assert requests == []  # related_depth=0: no related post followed
    assert "Warning" not in proc.stderr and "Traceback" not in proc.stderr and error_lines(proc.stderr) == []
    assert files_under(data) == []


@pytest.mark.parametrize("page", [1, 2])
def test_scrapy_parse_a_listing_url_shows_its_links(replica, tmp_path, page):
    data = tmp_path / "data"
    url = f"{replica.url}/category/esteri/" + (f"page/{page}/" if page > 1 else "")
    proc = scrapy("parse", url, "--spider", "esteri", "--nocolour", *site(replica, data))
    assert proc.returncode == 0, proc.stderr[-3000:]
    items, requests = parse_output(proc.stdout)
    archive = replica.archive("esteri")
    on_page = archive[(page - 1) * 10:page * 10]
    next_page = f"{replica.url}/category/esteri/page/{page + 1}/"
    assert items == []
    assert set(on_page) <= set(requests) and next_page in requests
    assert set(requests) <= set(archive) | {next_page}  # and the hero block's, articles of the archive too
    assert "Warning" not in proc.stderr and error_lines(proc.stderr) == []
    assert files_under(data) == []


def test_scrapy_parse_of_another_page_says_it_is_neither_article_nor_listing(replica, tmp_path):
    proc = scrapy("parse", f"{replica.url}/", "--spider", "esteri", "--nocolour", *site(replica, tmp_path / "data"))
    assert proc.returncode == 0, proc.stderr[-3000:]  # downloaded, nothing to show
    assert parse_output(proc.stdout) == ([], [])
    assert f"WARNING: Skipped {replica.url}/ (parse/not_article_or_listing, status 200)" in proc.stderr
    assert "NotImplementedError" not in proc.stderr and error_lines(proc.stderr) == []


def test_scrapy_parse_exits_non_zero_when_nothing_was_downloaded(replica, tmp_path):
    data = tmp_path / "data"
    missing = scrapy("parse", f"{replica.url}/2026/01/01/esteri/no-such-article/", "--spider", "esteri",
                     *site(replica, data))
    assert missing.returncode == ExitStatus.NOT_STARTED
    assert any("No response downloaded for" in line for line in error_lines(missing.stderr))
    offline = scrapy("parse", "http://alanews.invalid/category/esteri/", "--spider", "esteri",
                     "-s", "ALANEWS_BASE_URL=http://alanews.invalid", "-s", f"ALANEWS_DATA_DIR={data}")
    assert offline.returncode == ExitStatus.SITE_UNREACHABLE
    assert len(error_lines(offline.stderr)) == 1 and "cannot reach http://alanews.invalid" in offline.stderr
    assert files_under(data) == []


# --- 7. spider arguments -----------------------------------------------------------------------

@pytest.mark.parametrize("argument, message", [
    ("deltafetch_reset=2", "spider argument deltafetch_reset must be 1 or 0 (true/false), got '2'"),
    ("deltafetch_reset=", "spider argument deltafetch_reset must be 1 or 0 (true/false), got ''"),
    ("incremental=maybe", "spider argument incremental must be 1 or 0 (true/false), got 'maybe'"),
    ("max_pages=", "spider argument max_pages must be a positive integer, got ''"),
    ("since=", "spider argument since must be an ISO date like 2026-09-01, got ''"),
    ("related_depth=one", "spider argument related_depth must be 0 or a positive integer, got 'one'"),
    ("maxpages=2", "unknown spider argument 'maxpages'; known: max_pages, since, related_depth, "
                   "deltafetch_reset, incremental"),
])
def test_bad_spider_argument_is_one_error_line_and_exit_1(replica, tmp_path, argument, message):
    crawl = run_crawl("esteri", replica.url, tmp_path, argument, feed=False)
    assert crawl.returncode == ExitStatus.NOT_STARTED
    assert error_lines(crawl.log) == [error_lines(crawl.log)[0]]
    assert error_lines(crawl.log)[0].endswith(f"ERROR: Not started: {message}")
    assert "Traceback" not in crawl.log and "_job" not in crawl.log
    assert not (tmp_path / "data").exists()


def test_scrapyd_job_id_and_boolean_arguments_are_accepted(replica, tmp_path):
    crawl = run_crawl("esteri", replica.url, tmp_path, "_job=0123abcd", "deltafetch_reset=true", "incremental=1",
                      "max_pages=1", "related_depth=0")
    assert crawl.returncode == 0, crawl.log[-3000:]
    assert len(crawl.items) == 10


# --- 6. where data lives, settings from the environment ----------------------------------------

@pytest.fixture
def checkout(tmp_path) -> Path:
    """A copy of the project (scrapy.cfg and the package), so its data/ is the test's own."""
    copy = copy_tracked(tmp_path / "checkout", "alanews", "scrapy.cfg")
    (copy / "tests").mkdir()
    return copy


def clean_env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ALANEWS_", "DELTAFETCH_", "SCRAPY_"))}
    return {**env, **extra}


def crawl_without_data_dir(replica, cwd: Path, env: dict, *extra: str) -> subprocess.CompletedProcess:
    fast = [arg for key, value in FAST.items() for arg in ("-s", f"{key}={value}")]
    return subprocess.run([sys.executable, "-m", "scrapy", "crawl", "esteri", "-a", "max_pages=1",
                           "-a", "related_depth=0", "-s", f"ALANEWS_BASE_URL={replica.url}", *fast, *extra],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def feeds(data_dir: Path) -> list[Path]:
    return sorted((data_dir / "feeds" / "esteri").glob("*.jsonl"))


def test_default_data_dir_is_beside_scrapy_cfg_from_any_directory_of_the_checkout(replica, checkout):
    env = clean_env()
    for cwd in (checkout, checkout / "tests"):
        proc = crawl_without_data_dir(replica, cwd, env)
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert f"deltafetch: {0 if cwd == checkout else 10} articles known in " \
               f"{checkout / 'data' / 'deltafetch' / 'state.sqlite'}" in proc.stderr
    assert len(feeds(checkout / "data")) == 1  # the second run, from tests/, wrote nothing: no feed file
    assert not (checkout / "tests" / "data").exists()
    got = scrapy("settings", "--get", "ALANEWS_DATA_DIR", cwd=checkout / "tests", env=env)
    assert got.stdout.strip() == str(checkout / "data")


def test_every_alanews_setting_can_come_from_the_environment_and_s_wins(replica, checkout, tmp_path):
    from_env, from_s = tmp_path / "env-data", tmp_path / "s-data"
    # the base URL and the data directory from the environment, as Scrapyd's environment file gives them
    env = clean_env(ALANEWS_DATA_DIR=str(from_env), ALANEWS_BASE_URL=replica.url)
    proc = subprocess.run([sys.executable, "-m", "scrapy", "crawl", "esteri", "-a", "max_pages=1", "-a",
                           "related_depth=0", *[a for k, v in FAST.items() for a in ("-s", f"{k}={v}")]],
                          cwd=checkout / "tests", env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert len(feeds(from_env)) == 1 and not (checkout / "data").exists()
    # -s beats the environment
    proc = crawl_without_data_dir(replica, checkout, env, "-s", f"ALANEWS_DATA_DIR={from_s}")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert len(feeds(from_s)) == 1 and len(feeds(from_env)) == 1
    # a number, read as its -s form would be; an environment variable that is no setting stays out
    env = clean_env(DELTAFETCH_RETRY_RUNS="7", ALANEWS_HOME="/opt/alanews")
    assert scrapy("settings", "--getint", "DELTAFETCH_RETRY_RUNS", cwd=checkout, env=env).stdout.strip() == "7"
    assert scrapy("settings", "--get", "ALANEWS_HOME", cwd=checkout, env=env).stdout.strip() == "None"
    # a bad value from the environment is refused like the same -s value
    proc = crawl_without_data_dir(replica, checkout, clean_env(DELTAFETCH_EARLY_STOP="sometimes",
                                                                ALANEWS_DATA_DIR=str(tmp_path / "bad")))
    assert proc.returncode == ExitStatus.NOT_STARTED
    assert "DELTAFETCH_EARLY_STOP must be one of oldest_known, all_known, off, got 'sometimes'" in proc.stderr


def test_without_scrapy_cfg_the_data_dir_is_the_working_directorys(replica, checkout, tmp_path):
    """As under Scrapyd: the project comes from SCRAPY_SETTINGS_MODULE, no scrapy.cfg anywhere up."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = clean_env(SCRAPY_SETTINGS_MODULE="alanews.settings", PYTHONPATH=str(checkout))
    proc = crawl_without_data_dir(replica, elsewhere, env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert len(feeds(elsewhere / "data")) == 1 and not (checkout / "data").exists()


@pytest.mark.parametrize("where", [".", "alanews/spiders"])
def test_gitignore_covers_what_a_run_leaves(replica, checkout, where):
    """From the project's root or any directory of it (the data dir stays beside scrapy.cfg)."""
    shutil.copy2(ROOT / ".gitignore", checkout / ".gitignore")
    subprocess.run(["git", "init", "-q"], cwd=checkout, check=True)
    # -O's feed and summary, a JOBDIR named as the README does, the state under data/
    proc = crawl_without_data_dir(replica, checkout / where, clean_env(), "-O", "esteri.jsonl",
                                  "-s", "JOBDIR=crawls/esteri-1")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert {"esteri.jsonl", "esteri.jsonl.summary.json", "crawls"} <= {p.name for p in (checkout / where).iterdir()}
    (checkout / "data" / "feeds" / "esteri").mkdir(parents=True)  # and a default feed with its summary
    for name in ("2026-11-30T01-00-00+00-00.jsonl", "2026-11-30T01-00-00+00-00.jsonl.summary.json"):
        shutil.copy2(checkout / where / "esteri.jsonl", checkout / "data" / "feeds" / "esteri" / name)
    assert "data" in {p.name for p in checkout.iterdir()}
    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=checkout,
                            capture_output=True, text=True, check=True).stdout.splitlines()
    untracked = {line[3:] for line in status}
    assert untracked == {".gitignore", "scrapy.cfg", *tracked_files("alanews")}


@pytest.mark.parametrize("extra", [["-a", "fetch=1"], ["esteri"]])
def test_audit_refuses_what_it_does_not_know_instead_of_auditing_without_it(extra, tmp_path):
    """Scrapy hands a command the arguments it does not know; `scrapy audit -a fetch=1` would
    otherwise audit without fetching and look like it worked."""
    proc = subprocess.run([sys.executable, "-m", "scrapy", "audit", *extra, "-s", f"ALANEWS_DATA_DIR={tmp_path}"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert f"unknown argument(s) {' '.join(extra)}: `scrapy audit` takes only [--fetch]" in proc.stderr
    assert "Spider opened" not in proc.stderr and not (tmp_path / "audit").exists()


def test_an_unknown_spider_is_a_usage_error_in_one_line():
    proc = subprocess.run([sys.executable, "-m", "scrapy", "crawl", "nosuch"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 2 and "error: no spider 'nosuch'; `scrapy list` names them" in proc.stderr
    assert "Traceback" not in proc.stderr


# --- 8. the replica's commands -------------------------------------------------------------------

@pytest.mark.parametrize("module, usage", [("replica", "usage: python -m replica "),
                                           ("replica.demo", "usage: python -m replica.demo SPIDER")])
def test_replica_commands_print_their_own_help_and_start_nothing(module, usage):
    proc = subprocess.run([sys.executable, "-m", module, "--help"], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0 and proc.stdout.startswith(usage), proc.stdout + proc.stderr
    assert "scrapy crawl" in proc.stdout and "Scrapy 2" not in proc.stdout
    assert "REPLICA_URL" not in proc.stdout or module == "replica"
    assert "serving" not in proc.stderr  # no replica started


def test_demo_runs_from_another_directory_and_writes_the_feed_there(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "replica.demo", "esteri", "--articles", "40", "-O", "out.jsonl",
                           "-a", "max_pages=1", "-a", "related_depth=0"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          env=clean_env(PYTHONPATH=str(ROOT), XDG_CACHE_HOME=str(tmp_path / "cache")))
    assert proc.returncode == 0, proc.stderr[-3000:]
    written = int(re.search(r"Stored \w+ feed \((\d+) items\) in: \S*out\.jsonl", proc.stderr).group(1))
    assert len((tmp_path / "out.jsonl").read_text("utf-8").splitlines()) == written > 0
    assert (tmp_path / "out.jsonl.summary.json").exists() and not (tmp_path / "data").exists()


def test_demo_passes_the_crawls_exit_status_on(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "replica.demo", "esteri", "--articles", "40", "-a", "max_pages=0"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          env=clean_env(PYTHONPATH=str(ROOT), XDG_CACHE_HOME=str(tmp_path / "cache")))
    assert proc.returncode == ExitStatus.NOT_STARTED
    assert "Not started: spider argument max_pages must be a positive integer, got '0'" in proc.stderr


def test_replica_on_a_taken_port_says_so_in_one_line():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = subprocess.run([sys.executable, "-m", "replica", "--port", str(port)], cwd=ROOT, capture_output=True,
                              text=True, timeout=60)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and proc.stdout == ""
    assert proc.stderr.splitlines()[-1] == f"python -m replica: error: cannot serve on 127.0.0.1:{port}: Address already in use"


def test_demo_append_twice_adds_nothing_the_second_time(tmp_path):
    """The demo's site and state stay the same per output, as `-o` promises; another output has its own."""
    work, cache = tmp_path / "work", tmp_path / "cache"
    work.mkdir()

    def demo(output: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "replica.demo", "esteri", "--articles", "40", "-o", output,
                               "-a", "max_pages=1", "-a", "related_depth=0"], cwd=work, capture_output=True,
                              text=True, timeout=300, env=clean_env(PYTHONPATH=str(ROOT), XDG_CACHE_HOME=str(cache)))

    def lines(output: str) -> list[str]:
        return (work / output).read_text("utf-8").splitlines()

    first = demo("demo.jsonl")
    assert first.returncode == 0, first.stderr[-3000:]
    written = lines("demo.jsonl")
    assert written and len({json.loads(line)["url"] for line in written}) == len(written)
    again = demo("demo.jsonl")
    assert again.returncode == 0, again.stderr[-3000:]
    assert lines("demo.jsonl") == written
    other = demo("other.jsonl")
    assert other.returncode == 0 and len(lines("other.jsonl")) == len(written), other.stderr[-3000:]
    states = sorted((cache / "alanews" / "demo").iterdir())
    assert len(states) == 2 and all((state / "deltafetch").is_dir() for state in states)
    # the site's port taken: one line and exit 1, rather than a site of other URLs written again
    port = int(re.search(r"serving 40 articles at http://127\.0\.0\.1:(\d+)", again.stderr).group(1))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        blocked = demo("demo.jsonl")
    assert blocked.returncode == ExitStatus.NOT_STARTED, blocked.stderr[-3000:]
    assert f"Not started: port {port} of this output's demo site is taken" in blocked.stderr
    assert lines("demo.jsonl") == written


# The Docs block (for the README): terminal 1 serves the replica, terminal 2 crawls it.
REPLICA_TERMINAL_1 = "python -m replica --port 8123"
REPLICA_TERMINAL_2 = """\
scrapy crawl esteri -O esteri.jsonl -s ALANEWS_BASE_URL=http://127.0.0.1:8123 \\
    -s DOWNLOAD_DELAY=0 -s AUTOTHROTTLE_ENABLED=False -s CONCURRENT_REQUESTS_PER_DOMAIN=16
"""


def test_replica_block_starts_the_replica_and_crawls_it(checkout):
    """The block as written, from a copy of the checkout; only the port is a free one here."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = str(s.getsockname()[1])
    copy_tracked(checkout, "replica")
    env = clean_env(PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    server = subprocess.Popen(["bash", "-c", "exec " + REPLICA_TERMINAL_1.replace("8123", port)], cwd=checkout,
                              env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout.readline() == f"REPLICA_URL http://127.0.0.1:{port}\n"
        proc = subprocess.run(["bash", "-c", REPLICA_TERMINAL_2.replace("8123", port)], cwd=checkout, env=env,
                              capture_output=True, text=True, timeout=300)
    finally:
        server.send_signal(signal.SIGINT)  # Ctrl-C
        assert server.wait(timeout=30) == 0
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Exit status 0: finished" in proc.stderr
    assert len((checkout / "esteri.jsonl").read_text("utf-8").splitlines()) > 20
