"""Feed storage whose lines reach the OS as soon as they are exported.

Scrapy's ``FileFeedStorage`` opens the feed with Python's default buffering, so the
last few KB of items live in the process until the buffer fills or the feed closes:
a SIGKILL loses them. Incremental crawls (``alanews.incremental``) record an article
as known once its item was exported, so the exported line must already be in the
kernel's hands by then. ``FEED_STORAGES`` maps ``""`` and ``file`` to this class.
"""

from __future__ import annotations

import io
from pathlib import Path

from scrapy.extensions.feedexport import FileFeedStorage as _FileFeedStorage


class _WriteThroughFile(io.FileIO):
    """An unbuffered file whose ``write`` hands every byte to the OS before returning."""

    def write(self, data) -> int:
        view = memoryview(data).cast("B")
        done = 0
        while done < len(view):
            done += super().write(view[done:]) or 0
        return done


class FileFeedStorage(_FileFeedStorage):
    """Local file feed, unbuffered: every exported item is written through at once."""

    def open(self, spider):
        path = Path(self.path)
        path.parent.mkdir(parents=True, exist_ok=True)
        return _WriteThroughFile(path, self.write_mode.replace("b", ""))
