"""Progress of the sitemap spiders on a terminal: a tqdm bar on stderr, beside the progress lines
(the lines alone, without a terminal: tests/test_sitemaps.py)."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios

from conftest import FAST, ROOT


def on_a_terminal(cmd: list[str]) -> tuple[int, str]:
    """``cmd`` with stderr a pseudo-terminal of 120 columns: its exit status and what it showed."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    proc = subprocess.Popen(cmd, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    shown = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the process closed the terminal
            break
        if not chunk:
            break
        shown += chunk
    os.close(master)
    return proc.wait(timeout=240), shown.decode("utf-8", "replace")


def test_archive_on_a_terminal_shows_a_progress_bar_above_which_the_log_goes_on(make_replica, tmp_path):
    replica = make_replica("--articles", "20")
    cmd = [sys.executable, "-m", "scrapy", "crawl", "archive", "-o", str(tmp_path / "all.jsonl")]
    for key, value in {"ALANEWS_BASE_URL": replica.url, "ALANEWS_DATA_DIR": str(tmp_path / "data"), **FAST}.items():
        cmd += ["-s", f"{key}={value}"]
    code, shown = on_a_terminal(cmd)
    assert code == 0, shown[-3000:]
    written = len((tmp_path / "all.jsonl").read_text("utf-8").splitlines())
    frames = [frame for frame in shown.replace("\r", "\n").splitlines() if " articles/s]" in frame]
    assert frames and "100%|" in frames[-1] and f"| {written}/{written} [" in frames[-1]
    # the log lines are printed above the bar, whole
    assert f"[alanews.progress] INFO: Progress: {written}/{written} articles (100.0 %)" in shown
    assert "Exit status 0: finished" in shown
