"""Add-ons that finish the settings once the command line has been applied."""

from __future__ import annotations

from pathlib import Path

from scrapy.settings import SETTINGS_PRIORITIES



class DataDirFeeds:
    """Write ``ALANEWS_DATA_DIR/feeds/<spider>/<timestamp>.jsonl`` unless a feed was asked for.

    ``-o``/``-O`` and a FEEDS setting win; the data directory is made absolute so
    the feed lands in the same place whatever the working directory (Scrapyd).
    """

    def update_settings(self, settings):
        if settings.getdict("FEEDS") or settings.getpriority("FEEDS") > SETTINGS_PRIORITIES["project"]:
            return
        data_dir = Path(settings.get("ALANEWS_DATA_DIR")).expanduser().resolve()
        path = str(data_dir / "feeds" / "%(name)s" / "%(time)s.jsonl")
        settings.set("FEEDS", {path: {"format": "jsonlines"}}, priority="addon")


