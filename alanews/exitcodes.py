"""The exit statuses of every alanews command (``scrapy crawl``, ``scrapy audit``, ``scrapy parse``), in one table.

Cron, CI and Scrapyd (``Process died: exitstatus=N``) read them; the README's exit table is this one.
2 is Scrapy's own usage error (a bad option) and is not ours to give.
"""

from enum import IntEnum


class ExitStatus(IntEnum):
    """One status per way a run ends."""

    OK = 0  # finished, every monitor passed (or skipped); the audit found nothing missing
    # refused before the first request: a bad argument, setting or feed, another crawl running, a bad state
    NOT_STARTED = 1
    MONITORS_FAILED = 3  # finished, a data-quality monitor failed, the state failed, or (audit) posts are missing
    SITE_UNREACHABLE = 4  # the site's first requests failed: DNS, refused connection (finish reason site_unreachable)
    STOPPED = 5  # stopped by the user: Ctrl-C or SIGTERM, closed gracefully (finish reason shutdown)
    STOPPED_UNCLEAN = 6  # stopped by the user, forced: the signal sent twice, the run did not close
    AUDIT_INCOMPLETE = 7  # (audit) finished blind: a post sitemap not read whole, or the report not written


#: what each status means, as the run's last line says it ("Exit status 3: finished, a monitor failed")
MEANING = {
    ExitStatus.OK: "finished",
    ExitStatus.NOT_STARTED: "not started",
    ExitStatus.MONITORS_FAILED: "finished, a monitor failed",
    ExitStatus.SITE_UNREACHABLE: "the site could not be reached",
    ExitStatus.STOPPED: "stopped by the user, closed gracefully",
    ExitStatus.STOPPED_UNCLEAN: "stopped by the user, forced: the run did not close",
    ExitStatus.AUDIT_INCOMPLETE: "finished, the audit could not read the whole inventory or write its report",
}
