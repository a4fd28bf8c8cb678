"""Add-ons that finish the settings once the command line has been applied."""

from __future__ import annotations

from pathlib import Path

from scrapy.settings import SETTINGS_PRIORITIES

from alanews.checks import check_settings


class CheckedSettings:
    """Every ``ALANEWS_*``/``DELTAFETCH_*`` name and value checked before any request (alanews/checks.py).

    First of ``ADDONS``: the others read checked values. Scrapy's tools (``shell``, ``fetch``) get
    the check too; our spiders run it themselves as well, being built before the add-ons run.
    """

    def update_settings(self, settings):
        check_settings(settings)


#: Scrapy's other names of the JSON Lines format (FEED_EXPORTERS), from a feed's extension
_JSON_LINES = {"jsonl", "jl"}


class DataRun:
    """Only a data run writes under ``ALANEWS_DATA_DIR``: its default feed and incremental state.

    ``ALANEWS_DATA_RUN`` is set by ``scrapy crawl`` (so by every Scrapyd job). Such a run
    writes ``ALANEWS_DATA_DIR/feeds/<spider>/<timestamp>.jsonl`` unless a feed was asked for
    (``-o``/``-O`` or a FEEDS setting win); the data directory is made absolute so the feed
    lands in the same place whatever the working directory (Scrapyd). Scrapy's names of the
    JSON Lines format (``jsonl`` from ``-o x.jsonl``, ``jl``) are one, ``jsonlines``, in every run.
    Any other run (Scrapy's ``shell``, ``fetch``, ``view``, ``parse``) writes no default feed,
    and leaves the incremental state alone (``DELTAFETCH_ENABLED`` off, unless given with ``-s``):
    it takes no lock, so it works while a crawl of the same spider runs.
    """

    def update_settings(self, settings):
        feeds = settings.getdict("FEEDS")
        if any((options or {}).get("format") in _JSON_LINES for options in feeds.values()):  # -o x.jsonl
            settings.set("FEEDS", {uri: {**options, "format": "jsonlines"} if options.get("format") in _JSON_LINES
                                   else options for uri, options in feeds.items()},
                         priority=settings.getpriority("FEEDS"))  # one name for the format in every log line
        if not settings.getbool("ALANEWS_DATA_RUN"):
            if (settings.getpriority("DELTAFETCH_ENABLED") or 0) <= SETTINGS_PRIORITIES["project"]:
                settings.set("DELTAFETCH_ENABLED", False, priority="project")
            return
        if settings.getdict("FEEDS") or settings.getpriority("FEEDS") > SETTINGS_PRIORITIES["project"]:
            return
        data_dir = Path(settings.get("ALANEWS_DATA_DIR")).expanduser().resolve()
        path = str(data_dir / "feeds" / "%(name)s" / "%(time)s.jsonl")
        settings.set("FEEDS", {path: {"format": "jsonlines"}}, priority="addon")
