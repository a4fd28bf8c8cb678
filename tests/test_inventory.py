"""The sitemaps' inventory as updates, the audit and the backfill trust it: removal needs proof, a moved
post is the same post, an incomplete inventory says so and removes nothing.

Real ``scrapy crawl`` / ``scrapy audit`` processes against a replica whose sitemap faults are switched on
for real (docs/replica.md); one data directory per test shared by its runs.
"""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from test_sitemaps import Run, audit, crawl, sitemap_requests, state

ARTICLES = "40"
ENTRIES = "10"  # posts per sitemap file: 4 files


@pytest.fixture
def site(make_replica):
    return make_replica("--articles", ARTICLES, "--sitemap-entries", ENTRIES, "--seed", "7")


def written(tmp_path, site):
    """Every post written by the backfill, then one updates run that reads every file."""
    data = tmp_path / "data"
    assert crawl(site, data, "archive").returncode == 0
    first = crawl(site, data, "updates")
    assert first.returncode == 0 and first.items == [], first.log[-3000:]
    return data


def change(site, **query) -> dict:
    return json.loads(site.post("/__replica__/posts?" + "&".join(f"{k}={quote(str(v))}" for k, v in query.items())))


def removed(data) -> set[str]:
    with state(data) as db:
        return {url for url, in db.execute("SELECT url FROM articles WHERE removed_at IS NOT NULL")}


def oldest(site, n: int = 1) -> list[dict]:
    """The ``n`` posts listed first (the oldest modification: the first post sitemap file)."""
    return site.sitemap_truth()["posts"][:n]


# --- a moved post is the same post ----------------------------------------------------------------

def test_a_moved_and_retitled_post_is_its_next_version_under_its_new_url_not_removed(site, tmp_path):
    data = written(tmp_path, site)
    post = oldest(site)[0]
    category = "esteri" if post["url"].split("/")[6] != "esteri" else "cronaca"
    moved = change(site, action="move", post_id=post["post_id"], category=category, title="Un titolo nuovo")
    (old, new), = moved["moved"].items()

    run = crawl(site, data, "updates")
    assert run.returncode == 0 and run.errors() == [], run.log[-3000:]
    assert "Removed from the site" not in run.log
    assert [(i["url"], i["version"], i["title"]) for i in run.items] == [(new, 2, "Un titolo nuovo")]
    assert removed(data) == set()
    with state(data) as db:
        rows = db.execute("SELECT url, version FROM articles WHERE post_id = ?", (post["post_id"],)).fetchall()
        keys = {k for k, in db.execute("SELECT key FROM keys JOIN articles ON articles.id = keys.article "
                                       "WHERE post_id = ?", (post["post_id"],))}
    assert rows == [(new, 2)] and {old, new} <= keys
    # the audit agrees: nothing missing, nothing gone
    clean, report = audit(site, data)
    assert clean.returncode == 0, clean.log[-3000:]
    assert report["totals"]["missing"] == 0 and report["totals"]["gone"] == 0
    # nothing changed since: the next run fetches no article
    again = crawl(site, data, "updates")
    assert again.returncode == 0 and again.items == [] and again.served["article"] == 0, again.log[-3000:]


def test_a_post_moved_to_another_slug_unedited_is_an_alias_and_the_audit_sees_it_moved(site, tmp_path):
    data = written(tmp_path, site)
    post = oldest(site, 2)[1]
    moved = change(site, action="move", post_id=post["post_id"], slug="un-indirizzo-nuovo")
    (old, new), = moved["moved"].items()

    report_run, report = audit(site, data)  # before updates: the audit resolves the move itself
    assert report_run.returncode == 0, report_run.log[-3000:]
    assert report["totals"]["gone"] == 0 and report["totals"]["missing"] == 0
    assert report["moved"] == [{"url": old, "now": new}]
    assert removed(data) == set()

    run = crawl(site, data, "updates")
    assert run.returncode == 0 and run.errors() == [] and run.items == [], run.log[-3000:]
    assert removed(data) == set()
    with state(data) as db:
        assert db.execute("SELECT a.url FROM keys k JOIN articles a ON a.id = k.article WHERE k.key = ?",
                          (new,)).fetchone() is not None


def test_an_edited_post_that_fails_during_updates_is_retried_by_the_next_updates_run(site, tmp_path):
    """The updates errback shadowed the base spider's ``_article_failed`` (a TypeError: the failure was
    never recorded), and a retry went through deltafetch, which dropped it as written."""
    data = written(tmp_path, site)
    post = oldest(site)[0]
    change(site, action="edit", post_id=post["post_id"], title="Titolo corretto")
    site.post(f"/__replica__/break?post_id={post['post_id']}&status=500&times=4")  # Scrapy's 3 retries too
    fast = {"ALANEWS_RETRY_BACKOFF": "0"}
    run = crawl(site, data, "updates", settings=fast)
    assert run.returncode == 3 and run.items == [], run.log[-3000:]  # Scrapy gave up retrying: an ERROR line
    assert "Traceback" not in run.log and run.stats["deltafetch/failed/recorded"] == 1
    retry = crawl(site, data, "updates", settings=fast)
    assert retry.returncode == 0 and retry.errors() == [], retry.log[-3000:]
    assert [(i["post_id"], i["version"], i["title"]) for i in retry.items] == [(post["post_id"], 2, "Titolo corretto")]


# --- an incomplete inventory says so and removes nothing ------------------------------------------

def fault(site, name: str, **keys) -> None:
    site.post(f"/__replica__/sitemap?fault={name}" + "".join(f"&{k}={v}" for k, v in keys.items()))


def incomplete_lines(run) -> list[str]:
    return [line.split("WARNING: ", 1)[1] for line in run.log.splitlines() if "WARNING: Inventory incomplete:" in line]


def test_a_post_sitemap_cut_by_a_fatal_error_removes_nothing_and_says_which_file(site, tmp_path):
    data = written(tmp_path, site)
    last = site.sitemap_truth()["files"][-1]["url"]
    fault(site, "fatal", file=4)  # the last file: every updates run reads it
    run = crawl(site, data, "updates")
    assert run.returncode == 0, run.log[-3000:]
    expected = f"Inventory incomplete: {last} is cut (no </urlset> at its end); nothing is recorded removed by it"
    assert incomplete_lines(run) == [expected]
    assert run.stats["alanews/inventory/incomplete"] == 1 and run.served["article"] == 0
    assert removed(data) == set()
    fault(site, "none")
    whole = crawl(site, data, "updates")
    assert whole.returncode == 0 and whole.errors() == [] and incomplete_lines(whole) == [], whole.log[-3000:]
    assert removed(data) == set() and whole.served["article"] == 0


@pytest.mark.parametrize("name, why", [
    ("cut", "is cut (no </urlset> at its end)"),
    ("error", "failed (HTTP 500)"),
    ("empty", "is empty"),
    ("declaration", "is no XML (no element)"),
    ("html", "is no XML (no element)"),
    ("short", "is older than its index entry"),  # its newer half is gone
])
def test_an_audit_that_cannot_read_a_post_sitemap_whole_is_incomplete_and_judges_nothing_gone(site, tmp_path, name,
                                                                                              why):
    data = tmp_path / "data"
    assert crawl(site, data, "archive").returncode == 0
    second = site.sitemap_truth()["files"][1]["url"]
    fault(site, name, file=2)
    run, report = audit(site, data, "-s", "ALANEWS_RETRY_BACKOFF=0")
    line, = incomplete_lines(run)
    assert line.startswith(f"Inventory incomplete: {second} {why}") and line.endswith("; nothing is recorded removed by it")
    assert run.stats["alanews/inventory/incomplete"] == 1 and "Traceback" not in run.log
    assert report["complete"] is False and report["gone"] is None
    assert [r["file"] for r in report["reasons"]] == [second] and report["reasons"][0]["why"].startswith(why)
    assert run.returncode == 7, run.log[-3000:]
    assert removed(data) == set()


def test_a_short_post_sitemap_that_is_not_the_last_is_incomplete_on_sitemaps_without_lastmod(make_replica, tmp_path):
    server = make_replica("--articles", "30", "--sitemaps", "core", "--sitemap-entries", "10")
    data = tmp_path / "data"
    assert crawl(server, data, "archive").returncode == 0
    fault(server, "short", file=1)
    run, report = audit(server, data)
    first = server.sitemap_truth()["files"][0]["url"]
    assert report["reasons"] == [{"file": first, "why": "lists 5 posts, fewer than the fullest file (10), and is "
                                                        "not the last file"}]
    assert run.returncode == 7 and report["gone"] is None and removed(data) == set(), run.log[-3000:]


def test_a_post_sitemap_older_than_its_index_entry_is_incomplete(site, tmp_path):
    data = tmp_path / "data"
    assert crawl(site, data, "archive").returncode == 0
    fault(site, "stale", file=4)
    post = oldest(site)[0]
    change(site, action="edit", post_id=post["post_id"], title="Dopo la copia")  # moves it to the last file
    run, report = audit(site, data)
    last = site.sitemap_truth()["files"][-1]["url"]
    assert [r["file"] for r in report["reasons"]] == [last] and "is older than its index entry" in (
        report["reasons"][0]["why"])
    assert run.returncode == 7 and removed(data) == set(), run.log[-3000:]


def test_post_sitemaps_that_redirect_to_a_trailing_slash_are_read_and_a_deleted_post_recorded(site, tmp_path):
    data = written(tmp_path, site)
    fault(site, "trailing-slash")
    run = crawl(site, data, "updates")
    assert run.returncode == 0 and "Some post sitemap files were not read" not in run.log, run.log[-3000:]
    gone = oldest(site)[0]
    change(site, action="delete", post_id=gone["post_id"])
    run = crawl(site, data, "updates")
    assert run.returncode == 0 and "Some post sitemap files were not read" not in run.log, run.log[-3000:]
    assert removed(data) == {gone["url"]}


def test_scrapy_crawl_audit_gives_the_verdict_of_scrapy_audit_and_a_report_not_written_is_no_success(site, tmp_path):
    data = tmp_path / "data"
    assert crawl(site, data, "archive").returncode == 0
    fault(site, "error", file=3)
    blind = crawl(site, data, "audit", settings={"ALANEWS_RETRY_BACKOFF": "0"})
    assert blind.returncode == 7, blind.log[-3000:]
    assert blind.log.rstrip().splitlines()[-1].endswith(
        "Exit status 7: finished, the audit could not read the whole inventory or write its report")
    fault(site, "none")
    (data / "audit").rename(data / "audit.old")
    (data / "audit").write_text("not a directory")
    unwritten = Run(site, data, "audit")
    assert unwritten.returncode == 7 and "Audit report not written" in unwritten.log, unwritten.log[-3000:]
    assert unwritten.log.rstrip().endswith("Exit status 7: the report could not be written")


# --- a transient failure is no deletion ----------------------------------------------------------

def test_an_edited_post_answering_404_once_is_not_removed_and_its_next_version_is_written(site, tmp_path):
    data = written(tmp_path, site)
    post = oldest(site)[0]
    change(site, action="edit", post_id=post["post_id"], title="Titolo dopo il 404")
    site.post(f"/__replica__/break?post_id={post['post_id']}&status=404&times=1")
    run = crawl(site, data, "updates")
    assert run.returncode == 0 and run.items == [], run.log[-3000:]
    assert removed(data) == set() and "Removed from the site" not in run.log
    again = crawl(site, data, "updates")  # the failed article retried, and the edit looked at again
    assert again.returncode == 0 and again.errors() == [], again.log[-3000:]
    assert [(i["post_id"], i["version"], i["title"]) for i in again.items] == [
        (post["post_id"], 2, "Titolo dopo il 404")]
    assert removed(data) == set()


def test_a_listed_post_answering_410_is_removed_only_hours_after_its_first_410_and_undone_when_back(site, tmp_path):
    data = written(tmp_path, site)
    post = oldest(site)[0]
    change(site, action="edit", post_id=post["post_id"], kind="touch")
    site.post(f"/__replica__/break?post_id={post['post_id']}&status=410")
    first = crawl(site, data, "updates")
    assert first.returncode == 0 and removed(data) == set(), first.log[-3000:]
    with state(data) as db:  # the first 410 was seen 4 hours ago (ALANEWS_REMOVAL_CONFIRM_HOURS: 3)
        db.execute("UPDATE failed SET first_failed = first_failed - 4 * 3600")
    second = crawl(site, data, "updates")
    assert second.returncode == 0, second.log[-3000:]
    assert removed(data) == {post["url"]} and second.stats["alanews/updates/removed"] == 1
    assert "answers 410, as on a run at least 3 h before" in second.log
    site.post(f"/__replica__/break?post_id={post['post_id']}&status=200")
    change(site, action="edit", post_id=post["post_id"], kind="touch")  # saved again: a later lastmod
    back = crawl(site, data, "updates")
    assert back.returncode == 0 and back.errors() == [], back.log[-3000:]
    assert removed(data) == set()


# --- edits judged post by post -------------------------------------------------------------------

def test_a_post_with_a_lastmod_in_2031_hides_no_later_edit(site, tmp_path):
    data = written(tmp_path, site)
    fault(site, "future-lastmod")  # the first post listed: 2031-01-01, sorted last
    marked = crawl(site, data, "updates")
    assert marked.returncode == 0 and marked.items == [], marked.log[-3000:]
    assert marked.served["article"] == 1  # the 2031 post looked at once: unchanged
    post = oldest(site, 3)[2]
    change(site, action="edit", post_id=post["post_id"], title="Modificato dopo il 2031")
    run = crawl(site, data, "updates")
    assert run.returncode == 0 and run.errors() == [], run.log[-3000:]
    assert [(i["post_id"], i["version"]) for i in run.items] == [(post["post_id"], 2)]
    assert run.served["article"] == 1  # the 2031 post is not fetched again


def test_an_index_whose_lastmods_are_hours_early_delays_no_edit(site, tmp_path):
    data = written(tmp_path, site)
    fault(site, "index-offset")
    post = oldest(site, 4)[3]
    change(site, action="edit", post_id=post["post_id"], title="Indice in anticipo")
    run = crawl(site, data, "updates")
    later = crawl(site, data, "updates")
    assert run.returncode == 0 and later.returncode == 0, run.log[-3000:] + later.log[-3000:]
    assert [(i["post_id"], i["version"]) for i in run.items + later.items] == [(post["post_id"], 2)]


def test_date_only_lastmods_lose_no_second_edit_of_the_same_day(site, tmp_path):
    data = written(tmp_path, site)
    fault(site, "date-only")  # lastmods without a time: every edit of a day has the same one
    first, second = oldest(site, 2)
    change(site, action="edit", post_id=first["post_id"], title="Prima modifica")
    run = crawl(site, data, "updates")
    assert run.returncode == 0 and [(i["post_id"], i["version"]) for i in run.items] == [(first["post_id"], 2)]
    change(site, action="edit", post_id=first["post_id"], title="Seconda modifica, lo stesso giorno")
    change(site, action="edit", post_id=second["post_id"], title="Un altro post, lo stesso giorno")
    again = crawl(site, data, "updates")
    assert again.returncode == 0, again.log[-3000:]
    assert sorted((i["post_id"], i["version"], i["title"]) for i in again.items) == sorted([
        (first["post_id"], 3, "Seconda modifica, lo stesso giorno"),
        (second["post_id"], 2, "Un altro post, lo stesso giorno")])


# --- bounded ---------------------------------------------------------------------------------------

def test_an_endlessly_nested_index_ends_and_sitemap_bounds_make_the_inventory_incomplete(site, tmp_path):
    data = tmp_path / "data"
    assert crawl(site, data, "archive").returncode == 0
    fault(site, "nested")
    nested, report = audit(site, data)
    assert nested.returncode == 0 and report["complete"], nested.log[-3000:]
    assert nested.paths.get("/nested-sitemap2.xml", 0) == 0
    fault(site, "none")
    files = site.sitemap_truth()["files"]
    few, report = audit(site, data, "-s", "ALANEWS_SITEMAP_MAX_FILES=3")
    assert few.returncode == 7 and few.stats["alanews/sitemap/bound/files"] == 1, few.log[-3000:]
    assert report["reasons"] == [{"file": files[0]["url"], "why": "is past ALANEWS_SITEMAP_MAX_FILES (3)"}]
    assert len(incomplete_lines(few)) == 1 and sitemap_requests(few) == 1 + 3
    small, report = audit(site, data, "-s", "ALANEWS_SITEMAP_MAX_BYTES=500")
    assert small.returncode == 7 and report["reasons"] == [
        {"file": f["url"], "why": "is larger than ALANEWS_SITEMAP_MAX_BYTES (500)"} for f in files]
    assert small.stats["alanews/sitemap/bound/bytes"] == len(files)
    assert report["gone"] is None and removed(data) == set()


# --- selected by the permalink's date --------------------------------------------------------------

@pytest.mark.parametrize("days", ["60", "400"])
def test_a_scheduled_post_is_backfilled_by_the_day_it_was_published_not_the_day_it_was_saved(site, tmp_path, days):
    newest = site.sitemap_truth()["posts"][-1]
    fault(site, "scheduled", post_id=newest["post_id"], days=days)
    day = newest["url"].split("/")[3:6]
    since = "-".join(day)
    run = crawl(site, tmp_path / "data", "archive", f"since={since}", f"until={since}")
    assert run.returncode == 0 and run.errors() == [], run.log[-3000:]
    assert newest["url"] in {item["url"] for item in run.items}


# --- every way in turn, then recovery ---------------------------------------------------------------

FAULTS_IN_TURN = [("fatal", {"file": 4}), ("cut", {"file": 2}), ("error", {"file": 3}), ("empty", {"file": 4}),
                  ("declaration", {}), ("html", {"file": 1}), ("short", {"file": 2}), ("stale", {"file": 4}),
                  ("trailing-slash", {}), ("index-offset", {}), ("future-lastmod", {}), ("dataloss", {"file": 3}),
                  ("overlap", {}), ("url-offset", {}), ("date-only", {}), ("nested", {}), ("extra-file", {}),
                  ("missing-file", {}), ("index-no-lastmod", {})]


def test_sitemaps_failing_in_every_way_in_turn_then_recovering_lose_no_edit_and_remove_no_live_post(site, tmp_path):
    data = written(tmp_path, site)
    posts = site.sitemap_truth()["posts"]
    edited: dict[int, str] = {}
    items = []
    for n, (name, keys) in enumerate(FAULTS_IN_TURN):
        fault(site, name, **keys)
        post = posts[n]
        edited[post["post_id"]] = title = f"Modifica {n} durante {name}"
        change(site, action="edit", post_id=post["post_id"], title=title)
        if n == 5:  # a transient 404 of an edited post, too
            site.post(f"/__replica__/break?post_id={post['post_id']}&status=404&times=1")
        if n == 9:  # a moved and retitled post
            moved = change(site, action="move", post_id=posts[30]["post_id"], slug="spostato-durante-i-guasti",
                           title="Spostato durante i guasti")
            edited[posts[30]["post_id"]] = "Spostato durante i guasti"
        run = crawl(site, data, "updates", settings={"ALANEWS_RETRY_BACKOFF": "0"})
        assert run.returncode in (0, 3) and "Traceback" not in run.log, (name, run.log[-3000:])
        items += run.items
        fault(site, "none")
    gone = posts[35]
    change(site, action="delete", post_id=gone["post_id"])
    for _ in range(2):  # whole again: the next runs catch up
        run = crawl(site, data, "updates")
        assert run.returncode == 0 and run.errors() == [], run.log[-3000:]
        items += run.items
    written_once = {}
    for item in items:
        assert item["post_id"] not in written_once, f"written twice: {item['url']}"
        written_once[item["post_id"]] = (item["version"], item["title"])
    assert written_once == {post_id: (2, title) for post_id, title in edited.items()}
    assert removed(data) == {gone["url"]}
    (new_url,) = moved["moved"].values()
    assert next(i for i in items if i["post_id"] == posts[30]["post_id"])["url"] == new_url
    clean, report = audit(site, data)
    assert clean.returncode == 0, clean.log[-3000:]
    assert report["complete"] and report["totals"]["missing"] == 0
    assert [g["url"] for g in report["gone"]] == [gone["url"]] and report["gone"][0]["removed_at"]


def test_a_written_article_the_sitemaps_leave_out_but_that_answers_is_kept_and_requested_only_once(site, tmp_path):
    from alanews.state import ArticleStore, Written

    data = written(tmp_path, site)
    page = site.url + "/category/esteri/"  # answers 200, in no post sitemap (as a noindex post would)
    store = ArticleStore(data / "deltafetch" / "state.sqlite")
    store.record([Written.of({"url": page, "post_id": None}, "esteri")])
    store.close()
    first = crawl(site, data, "updates")
    assert first.returncode == 0 and first.paths.get("/category/esteri/") == 1, first.log[-3000:]
    assert removed(data) == set(), [line for line in first.log.splitlines() if "category/esteri" in line]
    again = crawl(site, data, "updates")
    assert again.returncode == 0 and "/category/esteri/" not in again.paths, again.log[-3000:]
    assert removed(data) == set() and sitemap_requests(again) == 2


def test_a_cut_sitemap_index_makes_the_inventory_incomplete(site, tmp_path):
    data = tmp_path / "data"
    assert crawl(site, data, "archive").returncode == 0
    fault(site, "cut", file="index")
    run, report = audit(site, data)
    assert run.returncode == 7 and report["gone"] is None, run.log[-3000:]
    assert report["reasons"][0]["file"].endswith("/sitemap_index.xml")
    assert report["reasons"][0]["why"] == "is cut (no </sitemapindex> at its end)"


# --- the audit: a moved post is no removal, a failed request no proof -----------------------------

@pytest.mark.parametrize("options", [(), ("--fetch",)])
def test_a_post_moved_to_a_url_the_sitemaps_leave_out_is_moved_not_gone(site, tmp_path, options):
    """The moved post is noindex: its new URL is in no post sitemap. The 301 to another permalink is a
    move, listed or not."""
    data = written(tmp_path, site)
    post = oldest(site)[0]
    moved = change(site, action="move", post_id=post["post_id"], slug="spostato-fuori-indice")
    (old, new), = moved["moved"].items()
    change(site, action="edit", post_id=oldest(site)[0]["post_id"], kind="touch")  # the newest is another post
    fault(site, "noindex", post_id=post["post_id"])
    run, report = audit(site, data, *options)
    assert {"url": old, "now": new} in report["moved"], run.log[-3000:]
    assert old not in [g["url"] for g in report["gone"] or ()]
    assert removed(data) == set()


@pytest.mark.parametrize("status", [503, 500])
def test_an_unlisted_post_whose_page_fails_is_unresolved_not_gone_and_the_audit_not_complete(site, tmp_path,
                                                                                             status):
    data = written(tmp_path, site)
    post = oldest(site)[0]
    fault(site, "noindex", post_id=post["post_id"])  # written, unlisted, and its page answers
    site.post(f"/__replica__/break?post_id={post['post_id']}&status={status}")
    run, report = audit(site, data, "-s", "ALANEWS_RETRY_BACKOFF=0")
    assert report["gone"] == [] and removed(data) == set(), run.log[-3000:]
    assert report["unresolved"] == [{"url": post["url"], "failure": f"http_{status}"}]
    assert run.returncode == 7 and "could not be requested" in run.log, run.log[-3000:]
    site.post(f"/__replica__/break?post_id={post['post_id']}&status=200")
    again, report = audit(site, data)
    assert again.returncode == 0 and report["unresolved"] == [] and report["gone"] == [], again.log[-3000:]


def test_an_index_that_leaves_the_last_post_sitemap_out_is_incomplete_and_the_file_still_read(site, tmp_path):
    data = written(tmp_path, site)
    last = site.sitemap_truth()["files"][-1]["url"]
    fault(site, "missing-file")
    run, report = audit(site, data)
    assert report["complete"] is False and report["gone"] is None, run.log[-3000:]
    assert report["reasons"] == [{"file": last, "why": "is served but the index does not name it (the index "
                                                       "leaves post sitemap files out)"}]
    assert report["totals"]["inventory"] == int(ARTICLES) and report["totals"]["missing"] == 0
    assert run.returncode == 7 and removed(data) == set()


def test_an_edit_in_the_post_sitemap_the_index_leaves_out_is_written_by_updates(site, tmp_path):
    data = written(tmp_path, site)
    fault(site, "missing-file")
    post = oldest(site)[0]
    change(site, action="edit", post_id=post["post_id"], title="Modificato fuori indice")  # now in the last file
    run = crawl(site, data, "updates")
    assert run.returncode == 0 and len(incomplete_lines(run)) == 1, run.log[-3000:]
    assert [(i["post_id"], i["version"], i["title"]) for i in run.items] == [
        (post["post_id"], 2, "Modificato fuori indice")]
    assert removed(data) == set()


def wrongly_removed(data, url: str) -> None:
    """The state as a removal recorded wrongly left it (a probe's 503 once counted as gone)."""
    from alanews.state import ArticleStore

    store = ArticleStore(data / "deltafetch" / "state.sqlite")
    store.mark_removed(url, 1.0)
    store.close()


def test_a_post_recorded_removed_wrongly_is_no_longer_removed_once_listed_and_answering(site, tmp_path):
    data = written(tmp_path, site)
    post = oldest(site)[0]  # listed with its old lastmod, earlier than nothing the removal can be compared with
    wrongly_removed(data, post["url"])
    run, report = audit(site, data)
    assert removed(data) == set() and report["gone"] == [], run.log[-3000:]
    assert run.returncode == 0 and run.stats["alanews/audit/revived"] == 1


def test_a_post_recorded_removed_and_listed_that_still_answers_404_stays_removed(site, tmp_path):
    data = written(tmp_path, site)
    post = oldest(site)[0]
    wrongly_removed(data, post["url"])
    site.post(f"/__replica__/break?post_id={post['post_id']}&status=404")
    run, report = audit(site, data)
    assert run.returncode == 0 and "still not answering (http_404)" in run.log, run.log[-3000:]
    assert removed(data) == {post["url"]}
