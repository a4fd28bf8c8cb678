"""Run summary: logged at the end of every run and written as JSON beside the feed file.

``-O out.jsonl`` → ``out.jsonl.summary.json``, one per feed (``-O t.json -O t.csv``: ``t.json.summary.json``
and ``t.csv.summary.json``); the default feed ``ALANEWS_DATA_DIR/feeds/<spider>/<timestamp>.jsonl`` →
``<timestamp>.jsonl.summary.json`` beside it.
A feed that is not a local file (S3, FTP…) gets no summary file; the log line is there anyway.

What it holds (see :meth:`RunSummary.build`): the spider, finish reason and times; articles
extracted, written (new), skipped as already known (``deltafetch/skipped``), invalid (not
written), duplicates dropped; articles written per category path; coverage per field over
the extracted articles; validation failures per field and error; the monitors' verdict.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.extensions.feedexport import FeedExporter
from w3lib.url import file_uri_to_path

from alanews.feeds import mask_credentials
from alanews.items import Article
from alanews.monitors import Monitors
from alanews.validation import field_errors

logger = logging.getLogger(__name__)


def summary_path(feed_uri: str) -> Path | None:
    """``out.jsonl`` → ``out.jsonl.summary.json``, for a local file feed; None for any other storage."""
    scheme = urlsplit(feed_uri).scheme
    if scheme == "file":
        path = Path(file_uri_to_path(feed_uri))
    elif scheme == "":
        path = Path(feed_uri)
    else:
        return None
    return path.with_name(path.name + ".summary.json")


def _iso(value):
    return value.isoformat() if isinstance(value, datetime) else value


class RunSummary:
    def __init__(self, crawler):
        self.crawler = crawler
        self.categories: Counter[str] = Counter()

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("ALANEWS_MONITORS"):  # like the monitors: `scrapy crawl` runs only
            raise NotConfigured  # quietly: only `scrapy crawl` sets ALANEWS_MONITORS
        ext = cls(crawler)
        crawler.signals.connect(ext.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def item_scraped(self, item, response, spider):
        self.categories[ItemAdapter(item).get("category_path") or "(none)"] += 1

    def feed_uris(self) -> list[str]:
        exporter = self.crawler.get_extension(FeedExporter)
        return [mask_credentials(slot.uri) for slot in exporter.slots] if exporter is not None else []

    def kept_feeds(self) -> set[str]:
        """Feeds this run left as they were: it wrote them no item (alanews.feeds), or its first write
        to a feed it replaces (-O) failed. Their summary file describes what they hold: kept with them."""
        exporter = self.crawler.get_extension(FeedExporter)
        return {mask_credentials(slot.uri) for slot in exporter.slots
                if not slot.itemcount or getattr(slot.file, "replaces", None) is not None} if exporter is not None else set()

    def build(self, spider) -> dict:
        stats = self.crawler.stats.get_stats()
        get = stats.get
        validation: dict[str, dict[str, int]] = {}
        for (field, error), count in field_errors(stats).items():
            validation.setdefault(field, {})[error] = count
        monitors = self.crawler.get_extension(Monitors)
        verdict = monitors.verdict() if monitors is not None else None
        return {
            "spider": spider.name,
            "finish_reason": get("finish_reason"),
            "start_time": _iso(get("start_time")),
            "finish_time": _iso(get("finish_time")),
            "feeds": self.feed_uris(),
            "articles": {
                "extracted": get("alanews/fields/items", 0),
                "written": get("item_scraped_count", 0),  # new: deltafetch skips the known ones
                "skipped_as_known": get("deltafetch/skipped", 0),
                "invalid": get("spidermon/validation/items/errors", 0),
                "duplicates": get("alanews/duplicates/dropped", 0),
            },
            "categories": dict(sorted(self.categories.items())),
            "coverage": {f: get(f"alanews/coverage/{f}") for f in Article.fields if f"alanews/coverage/{f}" in stats},
            "time_of_day": get("alanews/coverage/published_time"),  # share of published with a time of day
            "validation_failures": dict(sorted(validation.items())),
            "errors": get("log_count/ERROR", 0),
            "monitors": verdict,
        }

    async def spider_closed(self, spider, reason):
        await Monitors.ran(self.crawler)  # the feeds are stored and the monitors' verdict is in
        summary = self.build(spider)
        articles = summary["articles"]
        verdict = summary["monitors"]
        logger.info(
            "Run summary: %d written (new), %d skipped as known, %d invalid, %d duplicates; "
            "by category: %s; coverage: %s; validation failures: %s; monitors: %s",
            articles["written"], articles["skipped_as_known"], articles["invalid"], articles["duplicates"],
            ", ".join(f"{c} {n}" for c, n in summary["categories"].items()) or "none",
            ", ".join(f"{f} {v:.0%}" for f, v in summary["coverage"].items()) or "none",
            ", ".join(f"{f} {sum(e.values())}" for f, e in summary["validation_failures"].items()) or "none",
            "not run" if verdict is None else
            f"{len(verdict['failed'])} failed" if verdict["failed"] else "all passed",
        )
        kept = self.kept_feeds()
        for uri in summary["feeds"]:
            path = summary_path(uri)
            if path is None:
                logger.info("Run summary: feed %s is not a local file; no summary file written", uri)
                continue
            if uri in kept:  # the feed's own line said so (alanews/feeds.py)
                continue
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n", "utf-8")
            except OSError as exc:
                logger.error("Run summary: could not write %s: %s", path, exc)
            else:
                logger.info("Run summary written to %s", path)
