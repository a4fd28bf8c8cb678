"""JobDirGuard: a JOBDIR left by a killed crawl is walked again, never resumed half-written."""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
from pathlib import Path

from scrapy import signals
from scrapy.exceptions import NotConfigured

from alanews.errors import NotStarting

logger = logging.getLogger(__name__)


class JobDirInUse(NotStarting):
    """Another crawl holds the JOBDIR's lock."""


class JobDirGuard:
    """An extension: a JOBDIR left by a killed crawl is not resumed but walked again.

    Scrapy keeps its request queue and the requests it has seen in ``JOBDIR``, but
    writes the queue's index and flushes ``requests.seen`` only when a crawl closes.
    A crawl killed with SIGKILL (the OOM killer, a power cut) leaves requests marked
    seen whose pages were never handled, and a queue that lost its pending requests:
    resuming it silently loses those articles. ``<JOBDIR>/alanews.state`` says
    ``running`` from start to close and ``closed`` after any close (finished, SIGTERM,
    Ctrl-C). A crawl that finds ``running`` removes ``requests.seen`` and
    ``requests.queue`` (WARNING, stat ``alanews/jobdir/discarded``) and walks from the
    start; deltafetch skips the articles already written. The file is locked while a
    crawl runs: a second crawl on the same JOBDIR stops with an error, touching nothing.
    """

    STATE = "alanews.state"

    def __init__(self, crawler, jobdir: Path):
        self.crawler = crawler
        self.jobdir = jobdir
        self.file = None
        self.discarded: list[str] = []

    @classmethod
    def from_crawler(cls, crawler):
        jobdir = crawler.settings.get("JOBDIR")
        if not jobdir:
            raise NotConfigured
        # Extensions are built before the engine: the scheduler has not read JOBDIR yet.
        guard = cls(crawler, Path(jobdir).expanduser().resolve())
        guard.open()
        crawler.signals.connect(guard.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(guard.spider_closed, signal=signals.spider_closed)
        return guard

    def open(self) -> None:
        self.jobdir.mkdir(parents=True, exist_ok=True)
        path = self.jobdir / self.STATE
        self.file = open(path, "a+")  # noqa: SIM115 (held, locked, until the process ends)
        try:
            fcntl.flock(self.file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.file.close()
            raise JobDirInUse(f"Another crawl is using JOBDIR {self.jobdir} (lock {path}); not starting") from None
        self.file.seek(0)
        if self.file.read().strip() == "running":
            for name in ("requests.seen", "requests.queue"):
                target = self.jobdir / name
                if target.is_dir():
                    shutil.rmtree(target)
                elif target.exists():
                    target.unlink()
                else:
                    continue
                self.discarded.append(name)
            logger.warning("JOBDIR %s was left by a crawl that did not close (killed?): its queue and seen "
                           "requests cannot be trusted, so they were removed (%s) and the crawl starts over; "
                           "deltafetch skips the articles already written",
                           self.jobdir, ", ".join(self.discarded) or "nothing to remove")
        self._write("running")

    def _write(self, state: str) -> None:
        self.file.seek(0)
        self.file.truncate()
        self.file.write(state + "\n")
        self.file.flush()
        os.fsync(self.file.fileno())

    def spider_opened(self, spider):
        if self.discarded:
            self.crawler.stats.set_value("alanews/jobdir/discarded", len(self.discarded))

    def spider_closed(self, spider, reason):
        # the scheduler has closed (queue index written, requests.seen flushed) before this signal
        self._write("closed")
