"""Scrapyd as an ordinary user (issue 16): the documented commands, run as written.

The block between ``# --- user-level Scrapyd ---`` and ``# --- end ---`` in
deploy/scrapyd-user.sh is the user-level path the docs give. It is run here with bash, line by
line as written, from a copy of the checkout, with HOME in a temporary directory (so
``~/alanews-scrapyd`` is the test's own) and two free ports in place of 6801 and 8123: it
writes the configuration, starts a real Scrapyd with basic auth, deploys the project with
scrapyd-deploy, starts the replica, schedules a crawl of it with deploy/schedule.py and lists
the jobs with curl. docs/operations.md shows the same block (offline) and, after it, scheduling
by hand against the replica: both run here as the guide writes them. The test then waits for
every job to finish and reads its feed.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
import urllib.request
from base64 import b64encode
from pathlib import Path

from conftest import ROOT, copy_tracked
from test_scrapyd import BIN, _free_port, clean_env

from replica.harness import scrapy_stats

BLOCK = re.compile(r"^# --- user-level Scrapyd ---\n(.*?)^# --- end ---$", re.S | re.M)


def operations_blocks() -> list[str]:
    """The fenced blocks of docs/operations.md, as written."""
    return re.findall(r"^```\n(.*?)^```", (ROOT / "docs" / "operations.md").read_text("utf-8"), re.S | re.M)


def documented_commands() -> str:
    text = (ROOT / "deploy" / "scrapyd-user.sh").read_text("utf-8")
    return "\n".join(line.removeprefix("# ") for line in BLOCK.search(text).group(1).splitlines())


def read_env(path: Path) -> dict:
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


def get(url: str, env: dict) -> dict:
    token = b64encode(f"{env['SCRAPYD_USERNAME']}:{env['SCRAPYD_PASSWORD']}".encode()).decode()
    request = urllib.request.Request(url, headers={"Authorization": f"Basic {token}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def test_user_level_scrapyd_commands_as_documented(tmp_path):
    checkout, home = tmp_path / "checkout", tmp_path / "home"
    home.mkdir()
    checkout.mkdir()
    copy_tracked(checkout, "alanews", "replica", "deploy", "setup.py", "scrapy.cfg")
    scrapyd_port, replica_port = _free_port(), _free_port()
    blocks = operations_blocks()
    # the guide's offline blocks: the user-level path (the script's header too), then scheduling by hand
    user_level = next(block for block in blocks if "scrapyd-user.sh" in block and "python -m replica" in block)
    by_hand = next(block for block in blocks if block.startswith('R="-d setting=ALANEWS_BASE_URL='))
    assert user_level.rstrip("\n") == documented_commands()
    # the real-site block is the same path without the replica and its -d settings
    online = next(block for block in blocks if "scrapyd-user.sh" in block and "python -m replica" not in block)
    assert online == re.sub(r" -d max_pages=1.*", "", user_level.replace("python -m replica --port 8123 >/dev/null &\n", ""))
    commands = user_level + by_hand
    assert "6801" in commands and "8123" in commands and "sudo" not in commands
    script = commands.replace("6801", str(scrapyd_port)).replace("8123", str(replica_port))
    env = clean_env(HOME=str(home), PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}")
    # `jobs -p`: the test's own line, to stop what the block left running. Output to files: the
    # background processes keep the shell's stderr open after it exits.
    with (tmp_path / "stdout").open("w") as out, (tmp_path / "stderr").open("w") as err:
        code = subprocess.run(["bash", "-e", "-c", script + "\njobs -p > background.pids\n"], cwd=checkout,
                              env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err, timeout=300).returncode
    stdout, stderr = (tmp_path / "stdout").read_text(), (tmp_path / "stderr").read_text()
    pids = [int(pid) for pid in (checkout / "background.pids").read_text().split()] \
        if (checkout / "background.pids").exists() else []
    try:
        assert code == 0, stdout[-3000:] + stderr[-3000:]
        assert len(pids) == 2  # Scrapyd and the replica
        base = home / "alanews-scrapyd"
        settings = read_env(base / "scrapyd.env")
        assert settings["SCRAPYD_URL"] == f"http://127.0.0.1:{scrapyd_port}"
        assert settings["ALANEWS_DATA_DIR"] == str(base / "data") and len(settings["SCRAPYD_PASSWORD"]) >= 32
        assert (base / "scrapyd.env").stat().st_mode & 0o077 == 0
        assert "Basic authentication enabled" in (base / "scrapyd.log").read_text()
        # what the commands printed: the deploy, the schedule, the job list (curl asked for no password)
        assert '"spiders": 17' in stdout
        jobs = dict(re.findall(r"^scheduled alanews/(\w+): job (\w+)$", stdout, re.M))
        answers = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
        listed = next(answer for answer in answers if isinstance(answer.get("pending"), list))
        assert listed["status"] == "ok" and jobs["esteri"] in [job["id"] for state in ("pending", "running", "finished")
                                                                 for job in listed[state]]
        jobs["cultura"] = next(answer["jobid"] for answer in answers if "jobid" in answer)
        assert sorted(jobs) == ["cultura", "economia", "esteri", "politica"]
        # every job finishes, with its feed in the data directory the environment file names
        deadline = time.monotonic() + 300
        while True:
            listing = get(f"{settings['SCRAPYD_URL']}/listjobs.json?project=alanews", settings)
            if set(jobs.values()) <= {job["id"] for job in listing["finished"]}:
                break
            assert time.monotonic() < deadline, listing
            time.sleep(1)
        for spider, job_id in jobs.items():
            log = (base / "logs" / "alanews" / spider / f"{job_id}.log").read_text("utf-8")
            assert "Spider closed (finished)" in log and "Exit status 0: finished" in log, log[-3000:]
            assert scrapy_stats(log)["finish_reason"] == "finished"
            feeds = list((base / "data" / "feeds" / spider).glob("*.jsonl"))
            assert len(feeds) == 1, spider
            items = [json.loads(line) for line in feeds[0].read_text("utf-8").splitlines()]
            assert items and all(item["url"].startswith(f"http://127.0.0.1:{replica_port}/") for item in items)
        assert (base / "data" / "deltafetch" / "state.sqlite").exists()
    finally:
        for pid in pids:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for pid in pids:
            for _ in range(100):
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.1)
