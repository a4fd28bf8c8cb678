"""Shared helpers: /proc readings, the report table; the replica and Scrapy stats come from replica.harness."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass, field

from replica.harness import ROOT

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# --- /proc -----------------------------------------------------------------------------------

def cpu_seconds(pid: int) -> float:
    """user + system CPU seconds of a live process (/proc/<pid>/stat, fields 14 and 15)."""
    with open(f"/proc/{pid}/stat", "rb") as f:
        fields = f.read().rsplit(b")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def system_busy_seconds() -> float:
    """CPU seconds all cores spent not idle since boot (/proc/stat)."""
    with open("/proc/stat", "rb") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return (sum(values[:8]) - idle) / CLOCK_TICKS


def self_cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system


def memory(pid: int) -> tuple[int, int] | None:
    """(VmRSS, VmHWM) of a live process from /proc/<pid>/status, in bytes; None once it is gone.

    VmHWM is the peak RSS of the process's own address space since its exec. (The kernel's
    ru_maxrss from wait4 is not used for peaks: exec folds the parent's peak RSS into the child's,
    so a child of this big benchmark process would report the benchmark's own peak.)
    """
    rss = hwm = None
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            for line in f:
                if line.startswith(b"VmRSS:"):
                    rss = int(line.split()[1]) * 1024
                elif line.startswith(b"VmHWM:"):
                    hwm = int(line.split()[1]) * 1024
    except (FileNotFoundError, ProcessLookupError, ValueError):
        return None
    return None if rss is None or hwm is None else (rss, hwm)


@dataclass
class Finished:
    """A child process reaped with wait4: its exit code and kernel resource usage."""

    returncode: int
    wall: float
    user: float
    system: float
    maxrss: int  # bytes; see memory() for why peaks are read from VmHWM instead

    @property
    def cpu(self) -> float:
        return self.user + self.system


def reap(process: subprocess.Popen, started: float) -> Finished:
    """Wait for ``process`` with os.wait4, which gives the child's own rusage (CPU, peak RSS)."""
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    return Finished(process.returncode, wall, usage.ru_utime, usage.ru_stime, usage.ru_maxrss * 1024)


# --- scrapy ----------------------------------------------------------------------------------

def scrapy_command(*args: str, settings: dict) -> list[str]:
    cmd = [sys.executable, "-m", "scrapy", *args]
    for key, value in settings.items():
        cmd += ["-s", f"{key}={value}"]
    return cmd


def project_setting(name: str):
    """A setting of alanews/settings.py as the project defines it, or None."""
    from alanews import settings

    return getattr(settings, name, None)


def incremental_available() -> bool:
    return (ROOT / "alanews" / "ledger.py").exists() and project_setting("DELTAFETCH_ENABLED") is not None


# --- the report ------------------------------------------------------------------------------

@dataclass
class Row:
    section: str
    metric: str
    ours: str
    reference: str = ""
    figure: str = ""
    target: str = ""
    verdict: str = ""  # PASS / MISS / "" (information)


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)

    def add(self, *args, **kwargs) -> None:
        self.rows.append(Row(*args, **kwargs))

    def render(self) -> str:
        head = Row("section", "metric", "ours", "reference", "figure", "target", "verdict")
        rows = [head, *self.rows]
        cols = ["section", "metric", "ours", "reference", "figure", "target", "verdict"]
        widths = {c: max(len(getattr(r, c)) for r in rows) for c in cols}
        lines = []
        for i, r in enumerate(rows):
            lines.append(" | ".join(getattr(r, c).ljust(widths[c]) for c in cols).rstrip())
            if i == 0:
                lines.append("-+-".join("-" * widths[c] for c in cols))
        return "\n".join(lines)

