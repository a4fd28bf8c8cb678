"""Data quality: schema validation, field coverage, end-of-run monitors, exit status, run summary.

Real `scrapy crawl` processes against the replica: the normal one (no false alarm), a partial
roll-out of a theme update (`--theme drifted --drifted-every 5`: every article written from the
last-resort sources, the monitors fail, loudly, naming the fields whose source moved), pages
without any title (`--theme untitled --drifted-every 10`: those articles are dropped and
counted, the rest is written), a site that is down, a run closed early.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter

import pytest
from conftest import ROOT, run_crawl

sys.path.insert(0, str(ROOT))

from alanews.exitcodes import ExitStatus  # noqa: E402
from alanews.validation import ARTICLE_SCHEMA, CompiledJSONSchemaValidator  # noqa: E402
from replica.model import Site, expected_item  # noqa: E402

FAILED = re.compile(r"\[alanews\.monitors\] ERROR: Monitor failed: (?P<monitor>[^:]+): (?P<reason>.*)")
INVALID = re.compile(r"WARNING: Invalid article, not written: (?P<url>\S+): (?P<fields>.*)")


def error_lines(log: str) -> list[str]:
    return [line for line in log.splitlines() if "] ERROR: " in line]


def failed_monitors(log: str) -> dict[str, str]:
    return {m["monitor"]: m["reason"] for m in map(FAILED.search, log.splitlines()) if m}


def summary_beside(feed) -> dict:
    return json.loads(feed.with_name(feed.name + ".summary.json").read_text("utf-8"))


# --- the schema ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def validator():
    return CompiledJSONSchemaValidator(ARTICLE_SCHEMA)


def test_schema_accepts_every_article_of_the_replica_and_names_what_is_wrong(validator):
    truth = [dict(expected_item(a, "https://www.alanews.it"), scraped_at="2026-11-20T09:30:00+00:00", version=1)
             for a in Site(300, 1).articles]
    assert [errors for ok, errors in map(validator.validate, truth) if not ok] == []
    video_without_text = next(item for item in truth if item["video_url"] and item["body"] is None)
    text = next(item for item in truth if item["video_url"] is None)

    def errors(item, **changes):
        return validator.validate({**item, **changes})[1]

    assert errors(text, title=None) == {"title": ["Missing required field"]}
    assert errors(text, body=None) == {"body": ["Missing required field"]}
    assert errors(video_without_text, body=None) == {}
    assert errors(text, published="2026-11-20T10:15:00Z") == {"published": ["Regex not matched"]}
    assert errors(text, category_path=None, url=None) == {
        "category_path": ["Missing required field"], "url": ["Missing required field"]}
    assert list(errors(text, extra=1)) == [""]  # additionalProperties: an unexpected field


# Values that break (or nearly break) some rule of some field: wrong types, empty, edge patterns.
ODD_VALUES = [None, "", " ", "x", 0, 1, -1, 1.5, True, False, [], [""], ["a", "a"], ["a", "b"], [1], {},
              "2026-11-20", "2026-11-20T10:15:00+01:00", "2026-11-20T10:15:00+03:00", "2026-11-20T10:15:00Z",
              "2026-11-20T10:15:00+00:00", "٢٠٢٦-11-20", "https://x/", "http://x", "ftp://x/", "https://x/#f",
              "esteri", "sport/calcio", "Esteri", "it", "ITA", "i"]


def _passes(check, item) -> bool:
    import fastjsonschema

    try:
        check(item)
    except fastjsonschema.JsonSchemaException:
        return False
    return True


def test_compiled_schema_check_agrees_with_jsonschema_on_every_field_and_odd_value(validator):
    """The compiled check lets an item through without jsonschema: it must never accept what
    jsonschema rejects (nor reject what it accepts) — every field, every odd value, both kinds of post."""
    truth = [dict(expected_item(a, "https://www.alanews.it"), scraped_at="2026-11-20T09:30:00+00:00", version=1)
             for a in Site(60, 1).articles]
    video = next(item for item in truth if item["video_url"] and item["body"] is None)
    text = next(item for item in truth if item["video_url"] is None)
    reference = validator.__class__.__mro__[1]  # Spidermon's JSONSchemaValidator, jsonschema only
    slow = reference(ARTICLE_SCHEMA)
    disagreements, rejected = [], 0
    for base in (text, video):
        for field in base:
            for value in ODD_VALUES:
                item = {**base, field: value}
                fast_ok, slow_ok = _passes(validator.compiled_check, item), slow.validate(item)[0]
                assert validator.validate(item)[0] == slow_ok
                rejected += not slow_ok
                if fast_ok != slow_ok:
                    disagreements.append((field, value, fast_ok, slow_ok))
        for extra in ({"extra": 1}, {}):
            item = {**base, **extra}
            assert validator.validate(item)[0] == slow.validate(item)[0]
    assert disagreements == []
    assert rejected > 300  # the odd values do break rules


# --- the normal replica: no false alarm ------------------------------------------------------

@pytest.mark.parametrize("spider", ["alanews", "esteri"])
def test_normal_replica_passes_every_monitor(replica, tmp_path, spider):
    crawl = run_crawl(spider, replica.url, tmp_path)
    assert crawl.returncode == 0, crawl.log[-3000:]
    assert error_lines(crawl.log) == []
    stats = crawl.stats
    assert stats["alanews/monitors/failed"] == 0 and stats["alanews/monitors/passed"] >= 17
    assert "spidermon/validation/items/errors" not in stats
    assert stats["spidermon/validation/items"] == stats["item_scraped_count"] == len(crawl.items) > 20
    # the replica's normal variation is there, and within the thresholds
    for field in ("subtitle", "author", "image_url", "image_caption", "tags", "published_time", "modified"):
        assert 0.7 < stats[f"alanews/coverage/{field}"] < 1, field
    assert stats["alanews/coverage/video_url"] > 0 and stats["alanews/coverage/body"] < 1  # videos without text
    # the run summary beside the feed
    summary = summary_beside(crawl.feed)
    assert summary["spider"] == spider and summary["finish_reason"] == "finished"
    assert summary["categories"] == dict(Counter(item["category_path"] for item in crawl.items))
    assert summary["articles"]["written"] == summary["articles"]["extracted"] == len(crawl.items)
    assert summary["articles"]["invalid"] == 0 and summary["validation_failures"] == {}
    assert summary["coverage"]["subtitle"] == stats["alanews/coverage/subtitle"]
    assert "published_time" not in summary["coverage"]  # output fields only; the time of day apart
    assert summary["time_of_day"] == stats["alanews/coverage/published_time"] > 0.5
    assert summary["monitors"]["failed"] == []
    assert "Run summary: %d written" % len(crawl.items) in crawl.log
    # one line says what was checked, the Error count included (no ERROR line: 0, not "skipped")
    n = len(crawl.items)
    passed = re.search(r"\[alanews\.monitors\] INFO: Monitors passed: (.*)", crawl.log).group(1)
    assert passed.startswith(
        f"Item count ({n} written + 0 skipped as known, at least 1), Finish reason (finished), "
        f"Error count (0 ERROR lines, at most 0), Feed storage (1 stored, 0 failed), Incremental state ({n} articles "
        f"recorded), Item validation (0 of {n} invalid, at most {max(1, n // 50)}), "
        f"Field sources (0 fields from their last resort, at most {max(1, n // 50)} each), "
        f"Time of day ({stats['alanews/coverage/published_time']:.1%} (at least 50%)), "
        f"Field coverage of 13 fields: url 100.0% (at least 98%), title 100.0% (at least 98%), "), passed
    assert "published_time" not in passed  # coverage lines name output fields only
    assert re.search(r", post_id 100\.0% \(at least 90%\)$", passed), passed
    assert "Monitors skipped" not in crawl.log and "no ERROR line" not in crawl.log


# --- layout drift: the monitors fail, loudly ------------------------------------------------

def test_a_theme_update_degrades_fields_not_items_and_fails_the_run_naming_the_moved_sources(
        make_replica, tmp_path):
    """One post in five after a theme update: title and date classes renamed, structured data gone."""
    drifted = make_replica("--articles", "300", "--seed", "1", "--theme", "drifted", "--drifted-every", "5")
    truth = drifted.truth()
    moved = {url for url, item in truth.items() if item["post_id"] % 5 == 0}
    crawl = run_crawl("esteri", drifted.url, tmp_path)
    assert crawl.returncode == ExitStatus.MONITORS_FAILED, crawl.log[-3000:]
    written = {item["url"]: item for item in crawl.items}
    assert set(written) == set(drifted.archive("esteri")) and set(written) & moved  # every article written
    assert "Invalid article" not in crawl.log
    for url, item in written.items():  # the title from <title> less the site name; the day from the permalink
        assert item["title"] == truth[url]["title"] and item["category_path"] == truth[url]["category_path"]
        assert item["published"][:10] == truth[url]["published"][:10]
    n = len(written)
    from_last_resort = len(set(written) & moved)
    assert crawl.stats["alanews/fallback/title"] == crawl.stats["alanews/fallback/published"] == from_last_resort
    failed = failed_monitors(crawl.log)
    assert set(failed) == {"Field sources"}
    assert len(error_lines(crawl.log)) == 1 == crawl.stats["alanews/monitors/failed"]
    assert failed["Field sources"] == (
        f"source moved: published read from its last resort (the permalink's date, no time) on {from_last_resort} "
        f"of {n} items ({from_last_resort / n:.1%}; at most 1), title read from its last resort (<title> or the "
        f"page's h1) on {from_last_resort} of {n} items ({from_last_resort / n:.1%}; at most 1)")
    summary = summary_beside(crawl.feed)
    assert summary["articles"]["written"] == n and summary["articles"]["invalid"] == 0
    assert {f["monitor"] for f in summary["monitors"]["failed"]} == set(failed)


def test_articles_missing_a_required_field_are_not_written_but_counted_and_the_run_goes_on(
        make_replica, tmp_path):
    partial = make_replica("--articles", "300", "--seed", "1", "--theme", "untitled", "--drifted-every", "10")
    truth = partial.truth()
    drifted = {url for url, item in truth.items() if item["post_id"] % 10 == 0}
    crawl = run_crawl("esteri", partial.url, tmp_path)
    invalid = {m["url"]: m["fields"] for m in map(INVALID.search, crawl.log.splitlines()) if m}
    written = {item["url"] for item in crawl.items}
    assert invalid and set(invalid) <= drifted
    assert set(invalid.values()) <= {"title (Missing required field)",
                                     "body (Missing required field); title (Missing required field)"}
    assert written.isdisjoint(drifted)
    assert written | set(invalid) == set(partial.archive("esteri"))  # nothing else lost
    assert all(item["title"] == truth[item["url"]]["title"] for item in crawl.items)
    stats = crawl.stats
    assert stats["finish_reason"] == "finished"
    assert stats["spidermon/validation/items/dropped"] == stats["spidermon/validation/items/errors"] == len(invalid)
    assert stats["spidermon/validation/fields/errors/missing_required_field/title"] == len(invalid)
    assert stats["alanews/fields/items"] == len(written) + len(invalid)
    # ~10% of the articles invalid is more than normal variation: the run says so
    assert crawl.returncode == ExitStatus.MONITORS_FAILED
    assert f"title missing on {len(invalid)}" in failed_monitors(crawl.log)["Item validation"]
    summary = summary_beside(crawl.feed)
    assert summary["articles"]["invalid"] == len(invalid) and summary["articles"]["written"] == len(written)
    assert summary["categories"] == dict(Counter(item["category_path"] for item in crawl.items))


# --- other monitors ----------------------------------------------------------------------------

def test_a_site_that_is_down_fails_error_and_item_count(make_replica, tmp_path):
    gone = make_replica("--articles", "10")
    gone.stop()
    # retried, not stopped at the first refusal (alanews/reachability.py; tests/test_exit_status.py)
    crawl = run_crawl("esteri", gone.url, tmp_path, settings={"RETRY_TIMES": "0", "ALANEWS_STOP_IF_UNREACHABLE": "False"})
    assert crawl.returncode == ExitStatus.MONITORS_FAILED
    failed = failed_monitors(crawl.log)
    assert set(failed) == {"Item count", "Error count"}
    assert re.fullmatch(r"\d+ ERROR log lines, at most 0 allowed", failed["Error count"])
    assert not crawl.feed.exists()  # nothing written: no feed file, no summary file
    assert not crawl.feed.with_name(crawl.feed.name + ".summary.json").exists()
    assert "Run summary: 0 written (new)" in crawl.log


def test_a_run_closed_early_fails_the_finish_reason(replica, tmp_path):
    crawl = run_crawl("esteri", replica.url, tmp_path, "related_depth=0", settings={"CLOSESPIDER_ITEMCOUNT": "3"})
    assert crawl.returncode == ExitStatus.MONITORS_FAILED
    failed = failed_monitors(crawl.log)
    assert list(failed) == ["Finish reason"]
    assert "closespider_itemcount" in failed["Finish reason"]
