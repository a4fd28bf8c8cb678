"""Components built in process, as Scrapy's own tests build them: a crawler from ``get_crawler`` with
the project's settings, its spider and extensions (the article ledger among them) made."""

from __future__ import annotations

from pathlib import Path

from scrapy.crawler import AsyncCrawlerRunner, CrawlerRunner
from scrapy.utils.reactor import is_reactor_installed
from scrapy.utils.test import get_reactor_settings

from alanews import settings as project_settings
from alanews.ledger import ArticleLedger

BASE = "https://www.alanews.it"


def project(**overrides) -> dict:
    """The project's settings (alanews/settings.py) with ``overrides``."""
    values = {name: getattr(project_settings, name) for name in dir(project_settings) if name.isupper()}
    values.pop("FEEDS", None)
    return {**values, "ALANEWS_BASE_URL": BASE, "LOG_LEVEL": "INFO", **overrides}


def crawler_for(spidercls, state: Path, settings: dict | None = None, **arguments):
    """A crawler of ``spidercls`` whose spider, then extensions, are built as ``Crawler.crawl`` builds them
    (scrapy.utils.test.get_crawler builds the extensions first, with no spider): the ledger holds the
    lock of ``state`` (a state directory) until :func:`close` (as at spider_closed)."""
    values = {"REMOTE_CONTROL_ENABLED": False, "TELNETCONSOLE_ENABLED": False, **get_reactor_settings(),
              **project(DELTAFETCH_DIR=str(state), ALANEWS_DATA_RUN=True,
                       ALANEWS_DATA_DIR=str(state.parent / "data"), **(settings or {}))}
    runner = CrawlerRunner(values) if is_reactor_installed() else AsyncCrawlerRunner(values)
    crawler = runner.create_crawler(spidercls)
    crawler.spider = spidercls.from_crawler(crawler, **arguments)
    crawler._apply_settings()
    return crawler


def ledger_of(crawler) -> ArticleLedger:
    return crawler.get_extension(ArticleLedger)


def close(crawler) -> None:
    """What the ledger's spider_closed does last: the state closed, the lock released."""
    ledger = ledger_of(crawler)
    if ledger is not None and ledger.store is not None:
        ledger.store.close()
        ledger._unlock()
