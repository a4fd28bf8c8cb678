"""Monitors at the end of every run: a crawl that fails loudly when the site changes.

Spidermon runs :class:`RunMonitors` when the spider closes (``SPIDERMON_SPIDER_CLOSE_MONITORS``):

* **Item count** — articles written plus articles skipped as already known (``deltafetch/skipped``)
  reach ``ALANEWS_MONITOR_MIN_ITEMS``: a quiet incremental run writes nothing and is fine;
* **Finish reason** — Spidermon's ``FinishReasonMonitor`` (``SPIDERMON_EXPECTED_FINISH_REASONS``);
* **Error count** — Spidermon's ``ErrorCountMonitor``: ERROR log lines ≤ ``SPIDERMON_MAX_ERRORS``
  (none at all counts as 0);
* **Feed storage** — every feed of the run took every item and was stored (alanews.feeds): a
  feed that could not be opened, a write that failed (disk full) or an upload that failed fails it;
* **Incremental state** — the state could be written (``deltafetch/state_failed`` unset);
* **Item validation** — items that failed the JSON Schema (not written, see alanews.validation)
  are at most ``ALANEWS_MONITOR_MAX_INVALID`` of the items checked, and never fewer than
  ``ALANEWS_MONITOR_MAX_INVALID_ITEMS`` are tolerated;
* **Field sources** — items whose title, published date or category came from its last resort
  (``<title>`` or the page's one h1, the permalink: ``alanews/fallback/<field>``, see
  alanews/pages/article.py) are at most ``ALANEWS_MONITOR_MAX_FALLBACK`` of the items extracted,
  and never fewer than ``ALANEWS_MONITOR_MAX_FALLBACK_ITEMS`` are tolerated: the item is written,
  but the field's usual source moved (a theme update), which the failure names;
* **Field coverage/<field>** — one monitor per ``ALANEWS_COVERAGE_RULES`` entry: the share of
  items holding the field (``alanews/coverage/<field>``, counted before validation) reaches
  the rule, judged once at least ``ALANEWS_COVERAGE_MIN_ITEMS`` items were extracted; a run
  too small for that (an hourly incremental run) is judged over the last
  ``ALANEWS_COVERAGE_WINDOW`` articles any run of the data directory wrote (kept in the state:
  ``alanews/window/*``), so a drift is seen within that many articles whatever the run sizes;
* **Audit** (the audit spider only) — no post of the sitemaps older than ``ALANEWS_AUDIT_GRACE``
  hours is missing from the feeds;
* **Time of day** — the share of items whose ``published`` carries a time of day (not the
  permalink's date alone) reaches ``ALANEWS_TIME_OF_DAY_MIN``, judged as the coverage is.

:class:`Verdict` (an action run once the monitors finished) logs one ERROR line per failed
monitor, naming it and saying why (field, coverage, threshold), one INFO line naming the
monitors passed with what each checked, one per reason for those skipped, and sets the stats
``alanews/monitors/passed|failed|skipped``. ``scrapy crawl`` (our command,
alanews/commands/crawl.py) exits with 3 (:data:`alanews.exitcodes.ExitStatus.MONITORS_FAILED`) when any failed.

A run that did not end by itself is not judged (:data:`NOT_JUDGED`): stopped by the user
(finish reason ``shutdown``) or unable to reach the site (``site_unreachable``) has its own
exit status; one INFO line says the monitors were not run, and why.

:class:`Monitors` is Spidermon's extension with a quiet runner: Spidermon's own report logs
a multi-line block with a traceback per failure, which is what the single lines replace.
Spidermon's stats-history collector is not used (it fails under Scrapyd, spidermon #200).
The monitors run once every feed is closed and stored and the ledger recorded every article
(:meth:`alanews.ledger.ArticleLedger.settled_of`):
an upload that fails at close is seen by them.
"""

from __future__ import annotations

import logging

from scrapy.exceptions import NotConfigured
from spidermon import Action, MonitorRunner, MonitorSuite, monitors
from spidermon import settings as spidermon_settings
from spidermon.contrib.scrapy.extensions import Spidermon
from spidermon.contrib.scrapy.monitors import ErrorCountMonitor, FinishReasonMonitor
from spidermon.contrib.scrapy.monitors.base import BaseScrapyMonitor
from twisted.internet.defer import Deferred

from alanews.feeds import FeedExporter, feeds_stored, fired
from alanews.ledger import ArticleLedger
from alanews.validation import field_errors

logger = logging.getLogger(__name__)


#: finish reasons of runs the monitors do not judge (they have their own exit status), and why
NOT_JUDGED = {"shutdown": "stopped by the user", "site_unreachable": "the site could not be reached"}



def _pct(ratio: float) -> str:
    return f"{ratio:.1%}"


@monitors.name("Item count")
class ItemCountMonitor(BaseScrapyMonitor):
    """Articles written plus skipped as already known reach ALANEWS_MONITOR_MIN_ITEMS."""

    def test_item_count(self):
        minimum = self.crawler.settings.getint("ALANEWS_MONITOR_MIN_ITEMS", 1)
        written = self.stats.get("item_scraped_count", 0)
        known = self.stats.get("deltafetch/skipped", 0)
        extracted = self.stats.get("alanews/fields/items", 0)
        invalid = self.stats.get("spidermon/validation/items/errors", 0)
        # a spider for which nothing new is a right answer (ALANEWS_MONITOR_MIN_ITEMS 0) requires none
        self.checked = f"{written} written + {known} skipped as known, " + (
            f"at least {minimum}" if minimum else "none required")
        self.assertGreaterEqual(written + known, minimum, msg=(
            f"{written} articles written ({extracted} extracted, {invalid} invalid) and "
            f"{known} skipped as known; at least {minimum} expected"))


@monitors.name("Finish reason")
class FinishReason(FinishReasonMonitor):
    def test_should_finish_with_expected_reason(self):
        self.checked = str(self.stats.get("finish_reason"))
        super().test_should_finish_with_expected_reason()


@monitors.name("Error count")
class ErrorCount(ErrorCountMonitor):
    """ERROR log lines stay within SPIDERMON_MAX_ERRORS (no stat: no ERROR line, 0)."""

    def test_stat_monitor(self):
        errors = self.stats.get(self.stat_name, 0)
        allowed = self._get_threshold_value()
        self.checked = f"{errors} ERROR lines, at most {allowed:g}"
        self.assertLessEqual(errors, allowed, msg=f"{errors} ERROR log lines, at most {allowed:g} allowed")


@monitors.name("Feed storage")
class FeedStorageMonitor(BaseScrapyMonitor):
    """Every feed took every item and was stored; the failures are named with their cause."""

    def test_feeds_stored(self):
        failed = self.stats.get("alanews/feeds/failed", 0) + sum(
            count for key, count in self.stats.items() if key.startswith("feedexport/failed_count/"))
        stored = sum(count for key, count in self.stats.items() if key.startswith("feedexport/success_count/"))
        self.checked = f"{stored} stored, {failed} failed"
        if not failed:
            return
        exporter = self.crawler.get_extension(FeedExporter)
        failures = exporter.failures if exporter is not None else []
        self.fail(f"feed not written or not stored: {'; '.join(failures) or f'{failed} failures'}; "
                  "its articles are not recorded as written")


@monitors.name("Incremental state")
class StateMonitor(BaseScrapyMonitor):
    """The incremental state took every article written (alanews.ledger)."""

    def test_state_written(self):
        self.checked = f"{self.stats.get('deltafetch/stored', 0)} articles recorded"
        if self.stats.get("deltafetch/state_failed"):
            self.fail("the incremental state could not be written (see the deltafetch ERROR line); "
                      "the crawl stopped")


@monitors.name("Audit")
class AuditMonitor(BaseScrapyMonitor):
    """The audit (alanews/spiders/sitemaps.py) found no post older than ALANEWS_AUDIT_GRACE hours
    missing from the feeds. Added for the audit spider only."""

    def test_nothing_missing(self):
        report = getattr(self.crawler.spider, "report", None)
        if report is None or report.get("index") is None:
            self.skipTest("no report")
        missing = report["totals"]["missing_overdue"]
        self.checked = f"{report['totals']['inventory']} posts of the sitemaps, {missing} missing"
        if missing:
            self.fail(f"{missing} posts are missing from the feeds (published more than {report['grace_hours']:g} h "
                      "ago): run `scrapy audit --fetch`")


@monitors.name("Item validation")
class ValidationMonitor(BaseScrapyMonitor):
    """Invalid items (not written) stay within ALANEWS_MONITOR_MAX_INVALID of the items checked."""

    def test_invalid_items(self):
        settings = self.crawler.settings
        checked = self.stats.get("spidermon/validation/items", 0)
        invalid = self.stats.get("spidermon/validation/items/errors", 0)
        ratio = settings.getfloat("ALANEWS_MONITOR_MAX_INVALID", 0.02)
        allowed = max(settings.getint("ALANEWS_MONITOR_MAX_INVALID_ITEMS", 1), int(ratio * checked))
        self.checked = f"{invalid} of {checked} invalid, at most {allowed}"
        if invalid <= allowed:
            return
        self.fail(
            f"{invalid} of {checked} items invalid, not written ({_pct(invalid / checked)}; "
            f"at most {allowed} allowed): {self._failing_fields()}")

    def _failing_fields(self) -> str:
        """``title missing on 62 (title coverage 0.0%), published regex not matched on 2``, most first."""
        parts = []
        for (field, error), n in sorted(field_errors(self.stats).items(), key=lambda kv: (-kv[1], kv[0])):
            if error == "missing_required_field":
                coverage = self.stats.get(f"alanews/coverage/{field}")
                shown = f" ({field} coverage {_pct(coverage)})" if coverage is not None else ""
                parts.append(f"{field} missing on {n}{shown}")
            else:
                parts.append(f"{field} {error.replace('_', ' ')} on {n}")
        return ", ".join(parts) or "no field errors recorded"


@monitors.name("Field sources")
class FieldSourcesMonitor(BaseScrapyMonitor):
    """Fields read from their last resort stay within ALANEWS_MONITOR_MAX_FALLBACK of the items extracted."""

    def test_fallbacks(self):
        settings = self.crawler.settings
        items = self.stats.get("alanews/fields/items", 0)
        ratio = settings.getfloat("ALANEWS_MONITOR_MAX_FALLBACK", 0.02)
        allowed = max(settings.getint("ALANEWS_MONITOR_MAX_FALLBACK_ITEMS", 1), int(ratio * items))
        used = {key.rsplit("/", 1)[1]: n for key, n in self.stats.items() if key.startswith("alanews/fallback/")}
        moved = sorted(((field, n) for field, n in used.items() if n > allowed), key=lambda kv: (-kv[1], kv[0]))
        self.checked = f"{sum(used.values())} fields from their last resort, at most {allowed} each"
        if moved:
            self.fail("source moved: " + ", ".join(
                f"{field} read from its last resort ({_LAST_RESORTS.get(field, 'last resort')}) on {n} of {items} "
                f"items ({_pct(n / items) if items else 'all'}; at most {allowed})" for field, n in moved))


#: what each field's last resort is, as the Field sources monitor names it
_LAST_RESORTS = {"title": "<title> or the page's h1", "published": "the permalink's date, no time",
                 "category": "the permalink's category path"}


class _FieldCoverage(BaseScrapyMonitor):
    field: str = ""
    minimum: float = 0.0

    def test_coverage(self):
        field, minimum = self.field, self.minimum
        items = self.stats.get("alanews/fields/items", 0)
        judged_from = self.crawler.settings.getint("ALANEWS_COVERAGE_MIN_ITEMS", 20)
        window = self.stats.get("alanews/window/items", 0)
        if items >= judged_from:  # the run alone
            count, of, what = self.stats.get(f"alanews/fields/{field}", 0), items, "items"
        elif window >= judged_from:  # too small alone: the last articles any run of the data directory wrote
            count, of = self.stats.get(f"alanews/window/{field}", 0), window
            what = "articles written last by any run"
        else:
            self.skipTest(f"{items} items extracted; coverage is judged from {judged_from}")
        coverage = count / of
        self.checked = f"{_pct(coverage)} (at least {minimum:.0%})"
        self.assertGreaterEqual(coverage, minimum, msg=(
            f"{self.shown} {_pct(coverage)} ({count} of {of} {what}), at least {minimum:.0%} expected"))

    @property
    def shown(self) -> str:
        return f"{self.field} coverage"


class _TimeOfDay(_FieldCoverage):
    """The share of items whose ``published`` carries a time of day (the derived field
    ``published_time``, alanews.validation), judged as the coverage rules are."""

    field = "published_time"
    shown = "published with a time of day"


def coverage_monitors(rules: dict) -> list[type]:
    """One monitor per field of ``ALANEWS_COVERAGE_RULES``: its own line in the verdict."""
    made = []
    for field, minimum in rules.items():
        cls = type(f"FieldCoverage_{field}", (_FieldCoverage,), {"field": field, "minimum": float(minimum)})
        made.append(monitors.name(f"Field coverage/{field}")(cls))
    return made


def time_of_day_monitor(minimum: float) -> type:
    """The "Time of day" monitor at ``ALANEWS_TIME_OF_DAY_MIN``."""
    return monitors.name("Time of day")(type("TimeOfDay", (_TimeOfDay,), {"minimum": float(minimum)}))


def verdict(result) -> dict:
    """``{"passed": [names], "failed": [{"monitor", "reason"}], "skipped": [{"monitor", "reason"}],
    "checked": {name: what a passed monitor checked}}``."""
    out = {"passed": [], "failed": [], "skipped": [], "checked": {}}
    for item in result.monitor_results:
        name = item.item.monitor_name
        if item.status in spidermon_settings.MONITOR.STATUSES.ERROR:
            reason = getattr(item, "reason", None) or (item.error or "").strip().splitlines()[-1:]
            reason = reason if isinstance(reason, str) else " ".join(reason)
            out["failed"].append({"monitor": name, "reason": " ".join(reason.split())})
        elif item.status == spidermon_settings.MONITOR.STATUS.SKIPPED:
            out["skipped"].append({"monitor": name, "reason": getattr(item, "reason", "") or ""})
        else:
            out["passed"].append(name)
            if getattr(item.item, "checked", None):
                out["checked"][name] = item.item.checked
    return out


def _passed_line(names: list[str], checked: dict[str, str]) -> str:
    """``Item count (61 written + 0 skipped as known, at least 1), …, Field coverage of 13 fields:
    url 100.0% (at least 98%), …``."""
    coverage = [name for name in names if name.startswith("Field coverage/")]
    shown = [f"{name} ({checked[name]})" if name in checked else name for name in names if name not in coverage]
    if coverage:
        shown.append(f"Field coverage of {len(coverage)} fields: "
                     + ", ".join(f"{name.split('/', 1)[1]} {checked.get(name, 'ok')}" for name in coverage))
    return ", ".join(shown)


class Verdict(Action):
    """One ERROR line per failed monitor, one INFO line for the rest; stats for the exit status."""

    def run_action(self):
        found = verdict(self.result)
        stats = self.data.crawler.stats
        for key in ("passed", "failed", "skipped"):
            stats.set_value(f"alanews/monitors/{key}", len(found[key]))
        for failure in found["failed"]:
            logger.error("Monitor failed: %s: %s", failure["monitor"], failure["reason"])
        if found["passed"]:
            logger.info("Monitors passed: %s", _passed_line(found["passed"], found["checked"]))
        by_reason: dict[str, list[str]] = {}
        for skipped in found["skipped"]:
            by_reason.setdefault(skipped["reason"], []).append(skipped["monitor"])
        for reason, names in by_reason.items():
            coverage = [name for name in names if name.startswith("Field coverage/")]
            shown = [name for name in names if name not in coverage]
            if coverage:
                shown.append(f"Field coverage of {len(coverage)} fields")
            logger.info("Monitors skipped (%s): %s", reason, ", ".join(shown))
        logger.info("Monitors: %d passed, %d failed, %d skipped%s", len(found["passed"]), len(found["failed"]),
                    len(found["skipped"]), "" if found["failed"] else " — data quality OK")


class RunMonitors(MonitorSuite):
    """The end-of-run monitors; the coverage monitors come from ALANEWS_COVERAGE_RULES."""

    monitors = [ItemCountMonitor, FinishReason, ErrorCount, FeedStorageMonitor, StateMonitor, ValidationMonitor,
                FieldSourcesMonitor]
    monitors_finished_actions = [Verdict]

    def __init__(self, *args, crawler=None, **kwargs):
        super().__init__(*args, crawler=crawler, **kwargs)
        if crawler is not None:
            self.add_monitors(coverage_monitors(crawler.settings.getdict("ALANEWS_COVERAGE_RULES")))
            self.add_monitors([time_of_day_monitor(crawler.settings.getfloat("ALANEWS_TIME_OF_DAY_MIN", 0.5))])
            if crawler.spider is not None and crawler.spider.name == "audit":
                self.add_monitors([AuditMonitor])


class Monitors(Spidermon):
    """Spidermon's extension, its runner quiet (the Verdict action reports); results kept for the summary.

    Enabled by ``ALANEWS_MONITORS``, which ``scrapy crawl`` (and so a Scrapyd job) sets: other
    commands (``parse``, ``shell``, ``check``) produce no data run to judge. A script running a
    crawl through ``CrawlerProcess`` sets it itself.
    """

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("ALANEWS_MONITORS"):
            raise NotConfigured  # quietly: only `scrapy crawl` sets ALANEWS_MONITORS
        return super().from_crawler(crawler)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.results: list = []
        self.closed: Deferred = Deferred()  # fires once the spider_closed suites ran

    async def spider_closed(self, spider):
        """Spidermon's, once the ledger settled, each suite run by a quiet ``MonitorRunner``."""
        await ArticleLedger.settled_of(self.crawler)  # the feeds stored, the articles recorded
        try:
            for task in self.periodic_tasks.get(spider, []):
                task.stop()
            reason = self.crawler.stats.get_value("finish_reason")
            if reason in NOT_JUDGED:
                logger.info("Monitors not run: %s (finish reason %s)", NOT_JUDGED[reason], reason)
                return
            data = {"stats": self.crawler.stats.get_stats(), "stats_history": [], "crawler": self.crawler,
                    "spider": spider, "job": None}
            for suite in self.spider_closed_suites:
                self.results.append(MonitorRunner().run(suite, **data))
        finally:
            self.closed.callback(None)

    @staticmethod
    async def ran(crawler) -> None:
        """Wait until the spider_closed monitors ran (or the feeds are stored, without monitors)."""
        monitors = crawler.get_extension(Monitors)
        if monitors is None:
            await feeds_stored(crawler)
        else:
            await fired(monitors.closed)

    def verdict(self) -> dict | None:
        """The last run's verdict, merged over its suites; None before any ran."""
        if not self.results:
            return None
        merged = {"passed": [], "failed": [], "skipped": [], "checked": {}}
        for result in self.results:
            for key, values in verdict(result).items():
                if key == "checked":
                    merged[key].update(values)
                else:
                    merged[key] += values
        return merged
