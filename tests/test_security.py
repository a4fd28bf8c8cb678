"""Attack surface: a crawl opens no listening port (no telnet console, no remote control)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from conftest import FAST, ROOT


def _listening_ports(pid: int) -> set[int]:
    """TCP ports in LISTEN state whose socket belongs to process ``pid``."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    ports = set()
    for table in ("tcp", "tcp6"):
        path = Path(f"/proc/{pid}/net/{table}")
        for line in path.read_text().splitlines()[1:] if path.exists() else ():
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def _ports_opened_by_a_crawl(replica, tmp_path, *settings: str) -> set[int]:
    cmd = [sys.executable, "-m", "scrapy", "crawl", "esteri", "-O", str(tmp_path / "out.jsonl"),
           "-a", "max_pages=1", "-a", "related_depth=0",
           "-s", f"ALANEWS_BASE_URL={replica.url}", "-s", f"ALANEWS_DATA_DIR={tmp_path / 'data'}"]
    for key, value in {**FAST, "DOWNLOAD_DELAY": "0.3", "CONCURRENT_REQUESTS_PER_DOMAIN": "1"}.items():
        cmd += ["-s", f"{key}={value}"]
    for setting in settings:
        cmd += ["-s", setting]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seen: set[int] = set()
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            seen |= _listening_ports(proc.pid)
        except (FileNotFoundError, ProcessLookupError):
            break
        time.sleep(0.1)
    proc.wait(timeout=60)
    return seen


def test_a_production_crawl_listens_on_no_port(replica, tmp_path):
    assert _ports_opened_by_a_crawl(replica, tmp_path) == set()


def test_the_debug_switches_do_open_ports(replica, tmp_path):
    """The same probe sees the telnet console and remote control when they are switched on."""
    ports = _ports_opened_by_a_crawl(replica, tmp_path, "TELNETCONSOLE_ENABLED=True", "REMOTE_CONTROL_ENABLED=True")
    assert len(ports) >= 2
