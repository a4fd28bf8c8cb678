"""``updates`` looks again at a post whose state is uncertain, at most once per ``ALANEWS_UPDATES_RECHECK_HOURS``:
a written post the sitemaps leave out while its page answers (noindex), and a listed post recorded removed.

Real ``scrapy crawl`` processes against a replica whose sitemap faults are switched on for real
(docs/replica.md); one data directory per test shared by its runs. "Hours later" is the last run's
memory of the sitemaps with its times moved back (:func:`age_memory`).
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import pytest
from inprocess import project
from scrapy.settings import Settings
from test_inventory import ARTICLES, ENTRIES, change, fault, oldest, removed, written
from test_sitemaps import crawl, state

from alanews.checks import check_settings
from alanews.errors import SettingError
from alanews.state import ArticleStore


@pytest.fixture
def site(make_replica):
    return make_replica("--articles", ARTICLES, "--sitemap-entries", ENTRIES, "--seed", "7")


def hidden(site) -> dict:
    """A post of the last post sitemap file (every updates run reads it: a post left out of it is seen
    unlisted at once), not its newest (the replica's index would still date the file by it), left out
    of the sitemaps as a noindex post is."""
    post = site.sitemap_truth()["posts"][-2]
    fault(site, "noindex", post_id=post["post_id"])
    return post


def edit_unlisted(site, post: dict, title: str) -> None:
    """Edit an unlisted post, then save the newest listed one again: the replica's index dates the last
    file by its newest post, listed or not, and a file older than its index entry is not read whole."""
    newest = site.sitemap_truth()["posts"][-1]
    change(site, action="edit", post_id=post["post_id"], title=title)
    change(site, action="edit", post_id=newest["post_id"], kind="touch")


def path(post: dict) -> str:
    return urlsplit(post["url"]).path


def age_memory(data, hours: float) -> None:
    """The last updates run's view of the sitemaps as if it were ``hours`` old: its times moved back."""
    def back(when: str) -> str:
        return (datetime.fromisoformat(when) - timedelta(hours=hours)).isoformat(timespec="seconds")

    with state(data) as db:
        (raw,) = db.execute("SELECT memory FROM sitemap_memory").fetchone()
        memory = json.loads(raw)
        memory["updated_at"] = back(memory["updated_at"])
        for key in ("unlisted_live", "removed_asked"):
            if isinstance(memory.get(key), dict):
                memory[key] = {url: back(when) for url, when in memory[key].items()}
        db.execute("UPDATE sitemap_memory SET memory = ?", (json.dumps(memory),))


def removed_now(data, *urls: str) -> None:
    """Recorded removed now, wrongly: later than the lastmod the sitemaps list them with."""
    store = ArticleStore(data / "deltafetch" / "state.sqlite")
    for url in urls:
        store.mark_removed(url, time.time())
    store.close()


def failed_keys(data) -> set[str]:
    with state(data) as db:
        return {key for key, in db.execute("SELECT key FROM failed")}


# --- a written post the sitemaps leave out while its page answers ---------------------------------

def test_a_noindex_post_edited_after_its_probe_is_written_once_the_recheck_hours_passed(site, tmp_path):
    data = written(tmp_path, site)
    post = hidden(site)
    probed = crawl(site, data, "updates")
    assert probed.returncode == 0 and probed.paths.get(path(post)) == 1 and probed.items == [], probed.log[-3000:]
    edit_unlisted(site, post, "Modificato fuori dalle sitemap")

    inside = crawl(site, data, "updates")  # it answered less than 24 hours ago: not requested
    assert inside.returncode == 0 and inside.errors() == [], inside.log[-3000:]
    assert path(post) not in inside.paths and inside.items == []

    age_memory(data, 25)
    past = crawl(site, data, "updates")
    assert past.returncode == 0 and past.errors() == [], past.log[-3000:]
    assert [(i["post_id"], i["version"], i["title"]) for i in past.items] == [
        (post["post_id"], 2, "Modificato fuori dalle sitemap")]
    assert removed(data) == set()

    again = crawl(site, data, "updates")  # answered just now
    assert again.returncode == 0 and path(post) not in again.paths and again.items == [], again.log[-3000:]
    every = crawl(site, data, "updates", settings={"ALANEWS_UPDATES_RECHECK_HOURS": "0"})
    assert every.returncode == 0 and every.paths.get(path(post)) == 1 and every.items == [], every.log[-3000:]


def test_a_noindex_post_deleted_after_its_probe_is_recorded_removed_once_the_recheck_hours_passed(site, tmp_path):
    data = written(tmp_path, site)
    post = hidden(site)
    probed = crawl(site, data, "updates")
    assert probed.returncode == 0 and probed.paths.get(path(post)) == 1, probed.log[-3000:]
    fault(site, "none")  # (the replica's noindex fault cannot name a deleted post)
    change(site, action="delete", post_id=post["post_id"], status=410)

    inside = crawl(site, data, "updates")
    assert inside.returncode == 0 and path(post) not in inside.paths and removed(data) == set(), inside.log[-3000:]

    age_memory(data, 25)
    past = crawl(site, data, "updates")
    assert past.returncode == 0 and past.errors() == [], past.log[-3000:]
    assert removed(data) == {post["url"]} and past.stats["alanews/updates/removed"] == 1
    assert failed_keys(data) == set()
    after = crawl(site, data, "updates")  # removed and unlisted: nothing more to ask
    assert after.returncode == 0 and after.served.get("article", 0) == 0, after.log[-3000:]


def test_an_unlisted_live_list_of_an_earlier_release_reads_as_answered_at_its_run(site, tmp_path):
    data = written(tmp_path, site)
    post = hidden(site)
    assert crawl(site, data, "updates").returncode == 0
    with state(data) as db:  # the shape an earlier release remembered: a bare list of URLs
        (raw,) = db.execute("SELECT memory FROM sitemap_memory").fetchone()
        memory = json.loads(raw)
        assert memory["unlisted_live"] == {post["url"]: memory["updated_at"]}
        memory["unlisted_live"] = [post["url"]]
        db.execute("UPDATE sitemap_memory SET memory = ?", (json.dumps(memory),))
    inside = crawl(site, data, "updates")
    assert inside.returncode == 0 and inside.errors() == [] and path(post) not in inside.paths, inside.log[-3000:]


# --- a listed post recorded removed ------------------------------------------------------------------

def test_a_post_recorded_removed_wrongly_that_reappears_in_the_sitemaps_with_its_old_lastmod_is_revived(site, tmp_path):
    data = written(tmp_path, site)
    post = hidden(site)  # out of the sitemaps for one run
    assert crawl(site, data, "updates").returncode == 0
    removed_now(data, post["url"])
    fault(site, "none")  # listed again, with the lastmod it had
    back = crawl(site, data, "updates")
    assert back.returncode == 0 and back.errors() == [], back.log[-3000:]
    assert removed(data) == set() and back.stats["alanews/updates/revived"] == 1
    assert back.paths.get(path(post)) == 1 and back.items == []  # unchanged: no new version
    assert f"Listed and answering again: {post['url']} is no longer recorded removed" in back.log
    again = crawl(site, data, "updates")
    assert again.returncode == 0 and again.served.get("article", 0) == 0, again.log[-3000:]


def test_listed_posts_recorded_removed_are_asked_once_per_recheck_hours_and_one_answering_404_stays_removed(
        site, tmp_path):
    data = written(tmp_path, site)
    live, gone = oldest(site, 2)  # in the first post sitemap file, which an updates run does not read
    removed_now(data, live["url"], gone["url"])
    site.post(f"/__replica__/break?post_id={gone['post_id']}&status=404")
    first = crawl(site, data, "updates")
    assert first.returncode == 0 and first.errors() == [], first.log[-3000:]
    assert removed(data) == {gone["url"]} and first.stats["alanews/updates/revived"] == 1
    assert first.paths.get(path(live)) == 1 and first.paths.get(path(gone)) == 1 and first.items == []
    assert f"Listed, recorded removed, and still answering 404: {gone['url']}" in first.log
    assert failed_keys(data) == set()  # no failed article, retried by every run

    inside = crawl(site, data, "updates")
    assert inside.returncode == 0 and inside.served.get("article", 0) == 0, inside.log[-3000:]
    assert removed(data) == {gone["url"]}

    age_memory(data, 25)
    site.post(f"/__replica__/break?post_id={gone['post_id']}&status=200")  # back
    past = crawl(site, data, "updates")
    assert past.returncode == 0 and past.errors() == [], past.log[-3000:]
    assert past.paths.get(path(gone)) == 1 and path(live) not in past.paths
    assert removed(data) == set() and past.items == []


def test_a_recheck_hours_value_that_is_no_number_of_at_least_0_is_refused_in_one_line():
    for value in ("-1", "daily"):
        settings = Settings(project())
        settings.set("ALANEWS_UPDATES_RECHECK_HOURS", value, priority="cmdline")
        with pytest.raises(SettingError, match=f"^setting ALANEWS_UPDATES_RECHECK_HOURS must be a number of at "
                                               f"least 0, got '{value}'$"):
            check_settings(settings, environ={})
    settings = Settings(project())
    settings.set("ALANEWS_UPDATES_RECHECK_HOURS", "0.5", priority="cmdline")
    check_settings(settings, environ={})
    assert settings["ALANEWS_UPDATES_RECHECK_HOURS"] == 0.5
