"""The completeness audit: the sitemaps' inventory against what the feeds hold.

:func:`build_report` compares the posts the post sitemaps list (the ``audit`` spider's
inventory) with the incremental state (every article any spider of the data directory wrote)
and counts, per category path and per publication day:

* ``inventory`` — posts the sitemaps list;
* ``written`` — of those, posts the feeds hold;
* ``missing`` — posts the feeds lack; ``missing_overdue`` counts those published more than
  ``ALANEWS_AUDIT_GRACE`` hours ago (the audit fails on them);
* ``gone`` — articles the feeds hold that the sitemaps no longer list (deleted or unpublished);
  judged only when every post sitemap file was read (``complete``). Each written article not listed
  is requested once first: one whose URL redirects to another article URL is ``moved`` (the same post,
  listed or not: neither gone nor missing), one that answers at its own URL is not gone, and one whose
  request failed otherwise than 404/410 (5xx, timeout, refused) is ``unresolved``: not gone, and the
  audit not complete for it.

:func:`write_report` writes it as ``<ALANEWS_DATA_DIR>/audit/<UTC time>.json``;
:func:`table` renders the short terminal table ``scrapy audit`` prints.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from datetime import datetime, time, timedelta, timezone
from pathlib import Path

from alanews.dates import ROME
from alanews.exitcodes import ExitStatus
from alanews.pages.sitemap import SitemapEntry
from alanews.site import parse_article_url
from alanews.state import ArticleRecord, ArticleStore

UTC = timezone.utc
COUNTS = ("inventory", "written", "missing", "gone")
UNKNOWN = "(unknown)"  # a post whose permalink gives no category or date


def latest_publication(post: SitemapEntry) -> datetime | None:
    """The latest moment the post can have been published: its lastmod, or the end of its permalink day."""
    bounds = []
    if post.lastmod:
        bounds.append(post.lastmod)
    if post.permalink:
        bounds.append(datetime.combine(post.permalink.published, time.max, ROME))
    return min(bounds) if bounds else None


def _record_day(record: ArticleRecord, base_url: str) -> str:
    if record.published:
        return record.published[:10]
    permalink = parse_article_url(base_url, record.url)
    return permalink.published.isoformat() if permalink else UNKNOWN


def _record_category(record: ArticleRecord, base_url: str) -> str:
    permalink = parse_article_url(base_url, record.url)
    return record.category_path or (permalink.category_path if permalink else UNKNOWN)


def build_report(inventory: dict[str, SitemapEntry], store: ArticleStore, base_url: str, *,
                 grace_hours: float, reasons: list[dict], index: str | None, files: int,
                 moved: dict[str, str] | None = None, live: set[str] | None = None,
                 unresolved: dict[str, str] | None = None, now: datetime | None = None) -> dict:
    """The audit report (a JSON-ready dict); see the module docstring for what it counts. ``moved``:
    written articles' old URLs -> the article URL they redirect to; ``live``: written articles not
    listed whose page answers at its own URL; ``unresolved``: written articles not listed whose request
    failed otherwise than 404/410 -> the failure kind (none of them is gone). ``reasons``: why the inventory is not
    complete, each ``{"file": URL or None, "why": text}``; none: it is (gone is judged)."""
    complete = not reasons
    moved, live, unresolved = moved or {}, live or set(), unresolved or {}
    moved_to = {new: old for old, new in moved.items()}
    now = now or datetime.now(UTC)
    overdue_before = now - timedelta(hours=grace_hours)
    by_category: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTS, 0))
    by_day: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTS, 0))
    missing, gone = [], []
    listed_articles: set[str] = set()  # the state's article URLs of the posts listed
    overdue = 0

    def count(category: str, day: str, what: str) -> None:
        by_category[category][what] += 1
        by_day[day][what] += 1

    for post in inventory.values():
        category = post.category_path or UNKNOWN
        day = post.day.isoformat() if post.day else UNKNOWN
        count(category, day, "inventory")
        article = store.article_of(post.url)
        if article is None and post.url in moved_to:  # the same post, written under its old URL
            article = store.article_of(moved_to[post.url])
        if article is not None:
            listed_articles.add(article)
            count(category, day, "written")
            continue
        count(category, day, "missing")
        published_by = latest_publication(post)
        late = published_by is None or published_by < overdue_before
        overdue += late
        missing.append({"url": post.url, "day": day, "category_path": category, "overdue": late,
                        "lastmod": post.lastmod.isoformat() if post.lastmod else None})
    if complete:
        prefix = base_url.rstrip("/") + "/"
        for record in store.records():
            if (record.url in listed_articles or record.url in live or record.url in moved
                    or record.url in unresolved or not record.url.startswith(prefix)):
                continue
            category, day = _record_category(record, base_url), _record_day(record, base_url)
            count(category, day, "gone")
            gone.append({"url": record.url, "day": day, "category_path": category, "version": record.version,
                         "removed_at": (datetime.fromtimestamp(record.removed_at, UTC).isoformat(timespec="seconds")
                                        if record.removed_at else None)})
    totals = {what: sum(c[what] for c in by_category.values()) for what in COUNTS}
    totals["missing_overdue"] = overdue
    return {
        "generated_at": now.isoformat(timespec="seconds"),
        "base_url": base_url,
        "index": index,
        "sitemap_files": files,
        "complete": complete,
        "reasons": reasons,
        "grace_hours": grace_hours,
        "totals": totals,
        "by_category": dict(sorted(by_category.items())),
        "by_day": dict(sorted(by_day.items())),
        "missing": sorted(missing, key=lambda m: (m["day"], m["url"])),
        "gone": sorted(gone, key=lambda g: (g["day"], g["url"])) if complete else None,
        "moved": [{"url": old, "now": new} for old, new in sorted(moved.items())],
        "unresolved": [{"url": url, "failure": kind} for url, kind in sorted(unresolved.items())],
    }


def verdict(report: dict | None, path: Path | None, monitors_failed: bool = False) -> tuple[ExitStatus, str, str | None]:
    """The audit's exit status, what it means and what to tell the user (None: nothing), from its report,
    where it was written (None: it was not) and the monitors; ``scrapy audit`` and ``scrapy crawl audit``
    both use it.

    Posts published more than the grace hours ago missing from the feeds: 3; else an inventory not read
    whole, an unlisted article whose request failed (``unresolved``: neither live nor gone) or a report
    not written: 7 (nothing missing is then a claim the audit cannot make); else a monitor failed (an
    ERROR line, the state): 3; else 0.
    """
    if report is None or report["index"] is None:
        return ExitStatus.NOT_STARTED, "no report", "alanews audit: no report (see the log above)"
    overdue = report["totals"]["missing_overdue"]
    if overdue:  # the Audit monitor's ERROR line said so (alanews/monitors.py)
        return ExitStatus.MONITORS_FAILED, "posts are missing from the feeds", None
    if path is None:
        return (ExitStatus.AUDIT_INCOMPLETE, "the report could not be written",
                "alanews audit: the report could not be written (see the log above)")
    if not report["complete"]:
        reasons = "; ".join(f"{r['file'] or 'the crawl'} {r['why']}" for r in report["reasons"][:3])
        advice = (f"alanews audit: incomplete: {len(report['reasons'])} post sitemap file(s) not read whole "
                  f"({reasons}): nothing is judged gone, and posts they list are not counted")
        return ExitStatus.AUDIT_INCOMPLETE, "the inventory could not be read whole", advice
    if report.get("unresolved"):
        unresolved = report["unresolved"]
        return (ExitStatus.AUDIT_INCOMPLETE, "some articles the sitemaps no longer list could not be requested",
                f"alanews audit: {len(unresolved)} written article(s) the sitemaps no longer list could not be "
                f"requested (e.g. {unresolved[0]['url']}: {unresolved[0]['failure']}): neither live nor gone; "
                "the next audit requests them again")
    if monitors_failed:
        return ExitStatus.MONITORS_FAILED, "finished, a monitor failed", None
    return ExitStatus.OK, "every post of the sitemaps is in the feeds", None


def write_report(report: dict, directory: Path) -> Path:
    """``<directory>/<UTC time>.json``, whole or not at all (written beside, then renamed)."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.fromisoformat(report["generated_at"]).astimezone(UTC).strftime("%Y-%m-%dT%H-%M-%S")
    path, n = directory / f"{stamp}.json", 1
    while path.exists():
        n += 1
        path = directory / f"{stamp}-{n}.json"
    tmp = path.with_name(path.name + ".new")
    with open(tmp, "w", encoding="utf-8") as file:
        json.dump(report, file, ensure_ascii=False, indent=1)
        file.write("\n")
        file.flush()
        os.fsync(file.fileno())
    os.replace(tmp, path)
    return path


def table(report: dict, days: int = 10) -> str:
    """The report as a short table: per category, then the latest days with missing or gone posts."""
    header = f"{'category':<20}{'in sitemaps':>12}{'written':>9}{'missing':>9}{'gone':>6}"
    lines = [f"Audit of {report['base_url']}: {report['totals']['inventory']} posts in {report['sitemap_files']} "
             f"post sitemap files of {report['index']}"
             + ("" if report["complete"] else " (incomplete: some files not read whole; gone not judged)"), header]
    rows = list(report["by_category"].items()) + [("total", report["totals"])]
    for name, c in rows:
        lines.append(f"{name:<20}{c['inventory']:>12}{c['written']:>9}{c['missing']:>9}{c['gone']:>6}")
    problems = [(d, c) for d, c in report["by_day"].items() if c["missing"] or c["gone"]]
    if problems:
        lines.append(f"Days with missing or gone posts ({len(problems)}; the latest {min(days, len(problems))}):")
        for day, c in problems[::-1][:days]:
            lines.append(f"  {day}  in sitemaps {c['inventory']}, written {c['written']}, missing {c['missing']}, "
                         f"gone {c['gone']}")
    totals = report["totals"]
    fetched = f"{totals['fetched']} fetched and written by this audit; " if totals.get("fetched") else ""
    lines.append(f"{fetched}{totals['missing']} missing, {totals['missing_overdue']} of them published more than "
                 f"{report['grace_hours']:g} h ago; {totals['gone']} written but no longer in the sitemaps")
    return "\n".join(lines)

