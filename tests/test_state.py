"""The incremental state (alanews.state): real SQLite files, real second processes."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from alanews.state import STATE_FILE, ArticleRecord, ArticleStore, StateError, Written, content_hash


def item(n: int, **fields) -> dict:
    return {"url": f"https://www.alanews.it/2025/01/{n % 28 + 1:02d}/esteri/post-{n}/", "post_id": 1000 + n,
            "published": "2025-01-01T10:00:00+01:00", "modified": None, "category_path": "esteri",
            "title": f"Post {n}", "subtitle": None, "author": "Redazione", "body": "Testo. " * 50,
            "tags": ["a"], "image_url": None, "video_url": None, "category": "Esteri", **fields}


def record(store: ArticleStore, it: dict, *aliases: str | None, spider: str = "esteri") -> None:
    """Record one article written, as the ledger does."""
    store.record([Written.of(it, spider, *aliases)])


def complete(store: ArticleStore) -> set[str]:
    return {category for category, walk in store.walks().items() if walk.complete}


@pytest.fixture
def store(tmp_path):
    opened = ArticleStore(tmp_path / STATE_FILE)
    yield opened
    opened.close()


# --- the state of the release before this one: one file per spider -------------------------------

class ReleaseKeyStore:
    """The per-spider KeyStore of the previous release, statement for statement
    (alanews/incremental.py before alanews/state.py): the files it left are what migration reads."""

    def __init__(self, path):
        self.conn = sqlite3.connect(path, isolation_level=None, timeout=30)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS keys (key TEXT PRIMARY KEY, article TEXT NOT NULL,"
            " stored_at REAL NOT NULL) WITHOUT ROWID")
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS walks (category TEXT PRIMARY KEY, complete INTEGER NOT NULL,"
            " updated_at REAL NOT NULL) WITHOUT ROWID")

    def add(self, article: str, *aliases: str) -> int:
        now = time.time()
        keys = dict.fromkeys(k for k in (article, *aliases) if k)
        with self.conn:  # BEGIN ... COMMIT
            self.conn.execute("BEGIN IMMEDIATE")
            before = self.conn.total_changes
            self.conn.executemany("INSERT OR IGNORE INTO keys VALUES (?, ?, ?)",
                                  [(k, article, now) for k in keys])
            return self.conn.total_changes - before

    def mark_walks(self, categories, complete: bool) -> None:
        now = time.time()
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.executemany(
                "INSERT INTO walks VALUES (?, ?, ?) ON CONFLICT(category) DO UPDATE"
                " SET complete = excluded.complete, updated_at = excluded.updated_at",
                [(c, int(complete), now) for c in categories])

    def close(self) -> None:
        self.conn.close()


def release_state(path: Path, items: list[dict], aliases: dict[str, list[str]], walks: dict[str, bool],
                  close: bool = True) -> set[str]:
    """A state file as the previous release's DeltaFetch left it; returns every key it holds.

    item_scraped stored (url, post:<id>, request key); item_dropped stored a duplicate's request
    key as an alias of the article found by url or post id.
    """
    old = ReleaseKeyStore(path)
    for it in items:
        old.add(it["url"], f"post:{it['post_id']}" if it.get("post_id") is not None else None, it["url"])
    for article, keys in aliases.items():
        for key in keys:
            old.add(article, key)
    for category, complete in walks.items():
        old.mark_walks([category], complete)
    keys = {row[0] for row in old.conn.execute("SELECT key FROM keys")}
    if close:
        old.close()
    return keys


def test_release_state_files_are_imported_with_every_key(tmp_path):
    esteri = [item(n) for n in range(30)] + [item(99, post_id=None)]
    alanews = [item(n) for n in range(20, 45)]  # 20..29 written by both spiders
    renamed = "https://www.alanews.it/2025/01/02/esteri/old-slug-of-post-1/"
    keys = release_state(tmp_path / "esteri.sqlite", esteri,
                         {esteri[1]["url"]: [renamed, esteri[1]["url"] + "?utm_source=x"]},
                         {"esteri": True, "politica": False})
    keys |= release_state(tmp_path / "alanews.sqlite", alanews, {}, {"esteri": False, "politica": False})

    store = ArticleStore(tmp_path / STATE_FILE)
    for key in keys:
        assert key in store, key
    assert len(store) == 46  # 0..44 and 99
    assert store.article_of(renamed) == esteri[1]["url"]
    assert store.article_of("post:1001") == esteri[1]["url"]
    record = store.get(renamed)
    assert record == ArticleRecord(url=esteri[1]["url"], post_id=1001, published=None, modified=None,
                                   category_path=None, content_hash=None, version=1,
                                   written_at=record.written_at, spider="esteri", removed_at=None,
                                   first_written_at=record.written_at, first_spider="esteri")
    assert store.get(esteri[-1]["url"]).post_id is None
    # a walk either spider completed stays complete (its keys are all in the merged state)
    assert complete(store) == {"esteri"}
    assert not (tmp_path / "esteri.sqlite").exists() and (tmp_path / "esteri.sqlite.migrated").exists()
    assert (tmp_path / "alanews.sqlite.migrated").exists()
    assert not (tmp_path / "esteri.sqlite-wal").exists() and not (tmp_path / "alanews.sqlite-wal").exists()
    store.close()

    # imported once: a copy of an already imported file put back is not counted again
    (tmp_path / "esteri.sqlite.migrated").rename(tmp_path / "esteri.sqlite")
    again = ArticleStore(tmp_path / STATE_FILE)
    assert len(again) == 46 and all(key in again for key in keys)
    assert again.conn.execute("SELECT COUNT(*) FROM migrations").fetchone()[0] == 2
    again.close()


def test_release_state_with_an_uncheckpointed_wal_is_imported_whole(tmp_path):
    """The release's file as a SIGKILL left it: the last commits only in its -wal file."""
    old = tmp_path / "esteri.sqlite"
    code = (f"import sys, os; sys.path.insert(0, {str(Path(__file__).parent)!r});"
            "from test_state import release_state, item;"
            f"release_state(__import__('pathlib').Path({str(old)!r}), [item(n) for n in range(50)], {{}}, {{}}, "
            "close=False); os._exit(0)")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
    assert Path(f"{old}-wal").stat().st_size > 0
    store = ArticleStore(tmp_path / STATE_FILE)
    assert len(store) == 50 and all(item(n)["url"] in store and f"post:{1000 + n}" in store for n in range(50))
    store.close()


def test_a_release_file_that_is_not_a_state_is_refused_not_skipped(tmp_path):
    conn = sqlite3.connect(tmp_path / "esteri.sqlite")
    conn.execute("CREATE TABLE other (x)")
    conn.close()
    with pytest.raises(StateError, match=r"esteri\.sqlite is not a state file of an earlier alanews release"):
        ArticleStore(tmp_path / STATE_FILE)
    assert (tmp_path / "esteri.sqlite").exists()


# --- recording ---------------------------------------------------------------------------------------

def test_record_keeps_versions_dates_and_every_key(store):
    first = item(1, modified="2025-01-02T09:00:00+01:00")
    record(store, first, "https://www.alanews.it/?p=1001", None, spider="esteri")
    found = store.get("post:1001")
    assert found.url == first["url"] and found.version == 1 and found.spider == "esteri"
    assert found.modified == "2025-01-02T09:00:00+01:00" and found.published == first["published"]
    assert found.content_hash == content_hash(first) and found.removed_at is None
    assert store.article_of("https://www.alanews.it/?p=1001") == first["url"]

    # the same post under a new URL, as version 2: one article, its url moves, the old one stays a key
    second = item(1, url="https://www.alanews.it/2025/01/02/esteri/new-slug/", title="Nuovo", version=2)
    record(store, second, spider="updates")
    assert len(store) == 1
    found = store.get(first["url"])
    assert found.url == second["url"] and found.version == 2 and found.content_hash == content_hash(second)
    assert found.spider == "updates" and store.article_of(first["url"]) == second["url"]

    store.touch(second["url"], "2025-02-01T10:00:00+01:00")
    assert store.get("post:1001").modified == "2025-02-01T10:00:00+01:00"
    assert store.get("post:1001").version == 2
    store.mark_removed(second["url"], 1_700_000_000.0)
    assert store.get("post:1001").removed_at == 1_700_000_000.0
    assert "post:1001" in store  # removed, still written
    record(store, second, spider="updates")
    assert store.get("post:1001").removed_at is None

    assert store.add(second["url"], "https://www.alanews.it/2025/01/02/politica/new-slug/") == 1
    assert [r.url for r in store.records()] == [second["url"]]
    assert store.add("https://www.alanews.it/bare/") == 1 and len(store) == 2
    assert store.get("https://www.alanews.it/bare/").version == 1


def test_content_hash_covers_the_content_fields_only():
    base = item(1)
    assert content_hash(base) == content_hash(dict(base))
    assert content_hash(base) == content_hash({**base, "url": "https://x/", "modified": "2026-01-01", "post_id": 2})
    for field, value in [("title", "Altro"), ("body", "Altro testo"), ("tags", ["a", "b"]), ("author", None),
                         ("subtitle", "Sommario"), ("image_url", "https://x/i.jpg"), ("video_url", "https://x/v"),
                         ("category", "Politica")]:
        assert content_hash({**base, field: value}) != content_hash(base), field


def test_walks_and_clear(store):
    store.start_walks(["esteri", "politica"], "alanews", 1000.0)
    store.complete_walks({"esteri": 1000.0, "politica": 1000.0}, "alanews")
    store.start_walks(["politica"], "politica", 2000.0)
    walks = store.walks()
    assert complete(store) == {"esteri"}
    assert walks["esteri"].spider == "alanews" and walks["esteri"].started_at == 1000.0
    assert walks["politica"].spider == "politica" and walks["politica"].started_at == 2000.0
    record(store, item(1))
    store.clear()
    assert len(store) == 0 and "post:1001" not in store and complete(store) == set()


def test_a_walk_is_completed_only_by_the_run_that_started_it(store):
    # a fallback of latest walks every archive; a category crawl restarts one of them meanwhile; the
    # fallback ends first: the crawl's walk, still running (and maybe cut short later), stays incomplete
    store.start_walks(["esteri", "politica"], "latest", 1000.0)
    store.start_walks(["politica"], "politica", 1500.0)
    store.complete_walks({"esteri": 1000.0, "politica": 1000.0}, "latest")
    assert complete(store) == {"esteri"}
    store.complete_walks({"politica": 1500.0}, "esteri")  # another spider, the same time: not its walk
    assert complete(store) == {"esteri"}
    store.complete_walks({"politica": 1500.0}, "politica")
    assert complete(store) == {"esteri", "politica"}


def test_a_state_shared_by_two_processes_sees_both_writes(tmp_path, store):
    record(store, item(1), spider="esteri")
    code = ("import sys; sys.path[:0] = [sys.argv[1], sys.argv[2]];"
            "from alanews.state import ArticleStore, Written; from test_state import item;"
            "s = ArticleStore(sys.argv[3]); assert 'post:1001' in s; s.record([Written.of(item(2), 'alanews')]); s.close()")
    subprocess.run([sys.executable, "-c", code, str(Path(__file__).parent.parent), str(Path(__file__).parent),
                    str(store.path)], check=True, timeout=60)
    assert "post:1002" in store and len(store) == 2


# --- damaged or locked: refused with one line --------------------------------------------------------

def _filled_state(path: Path, n: int = 400) -> None:
    store = ArticleStore(path)
    for k in range(n):
        record(store, item(k))
    store.close()


@pytest.mark.parametrize("damage, message", [
    ("empty", r"is empty \(0 bytes\), not a state database"),
    ("text", r"is not an SQLite database"),
    ("truncated", r"is damaged \("),
    ("other_sqlite", r"is not an alanews state \(tables: other\)"),
])
def test_damaged_state_is_refused_with_one_line(tmp_path, damage, message):
    path = tmp_path / STATE_FILE
    if damage == "empty":
        path.touch()
    elif damage == "text":
        path.write_text('{"url": "a feed, not a state"}\n')
    elif damage == "truncated":
        _filled_state(path)
        size = path.stat().st_size
        with path.open("r+b") as file:
            file.truncate(size // 2)
    else:
        conn = sqlite3.connect(path)
        conn.execute("CREATE TABLE other (x)")
        conn.close()
    before = path.read_bytes()
    with pytest.raises(StateError, match=message) as raised:
        ArticleStore(path)
    text = str(raised.value)
    assert "\n" not in text and str(path) in text and "not starting" in text
    assert path.read_bytes() == before  # never replaced by a fresh state


class Holder:
    """Another process holding ``BEGIN EXCLUSIVE`` on the state until stopped."""

    def __init__(self, path: Path):
        code = ("import sqlite3, sys; c = sqlite3.connect(sys.argv[1], isolation_level=None);"
                "c.execute('BEGIN EXCLUSIVE'); print('locked', flush=True); sys.stdin.read()")
        self.process = subprocess.Popen([sys.executable, "-c", code, str(path)], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True)
        assert self.process.stdout.readline() == "locked\n"

    def release(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=30)


def test_locked_state_is_refused_after_a_bounded_wait(tmp_path):
    path = tmp_path / STATE_FILE
    _filled_state(path, 3)
    holder = Holder(path)
    try:
        started = time.monotonic()
        with pytest.raises(StateError, match=r"is locked by another process \(waited 0\.5 s\); not starting"):
            ArticleStore(path, timeout=0.5)
        waited = time.monotonic() - started
    finally:
        holder.release()
    assert waited >= 0.5
    assert len(ArticleStore(path, timeout=0.5)) == 3  # usable once released


def test_a_write_blocked_by_another_process_fails_after_the_timeout(tmp_path):
    path = tmp_path / STATE_FILE
    store = ArticleStore(path, timeout=0.5)
    holder = Holder(path)
    try:
        with pytest.raises(StateError, match=r"is locked by another process \(waited 0\.5 s\)"):
            record(store, item(1))
        assert "post:1001" not in store  # readers are not blocked
    finally:
        holder.release()
    record(store, item(1))
    assert "post:1001" in store
    store.close()


# --- a real crawl meeting a damaged or locked state ------------------------------------------------

@pytest.mark.parametrize("damage, message", [
    ("empty", r"is empty \(0 bytes\), not a state database"),
    ("truncated", r"is damaged \("),
    ("text", r"is not an SQLite database"),
])
def test_a_crawl_refuses_a_damaged_state_in_one_line(replica, tmp_path, damage, message):
    from conftest import run_crawl

    data = tmp_path / "data"
    path = data / "deltafetch" / STATE_FILE
    path.parent.mkdir(parents=True)
    if damage == "empty":
        path.touch()
    elif damage == "truncated":
        _filled_state(path)
        with path.open("r+b") as file:
            file.truncate(path.stat().st_size // 2)
    else:
        path.write_text("not a database\n")
    before = path.read_bytes()
    result = run_crawl("esteri", replica.url, tmp_path / "run", settings={"ALANEWS_DATA_DIR": str(data)})
    assert result.returncode == 1
    lines = [line for line in result.log.splitlines() if " ERROR: " in line]
    assert len(lines) == 1 and re.search(rf"ERROR: Not started: state {path} {message}", lines[0]), result.log[-3000:]
    assert "Traceback" not in result.log and "Spider opened" not in result.log
    assert not result.feed.exists() and path.read_bytes() == before  # no crawl, no fresh state


def test_a_crawl_refuses_a_state_locked_by_another_process_after_a_bounded_wait(replica, tmp_path):
    from conftest import run_crawl

    data = tmp_path / "data"
    path = data / "deltafetch" / STATE_FILE
    path.parent.mkdir(parents=True)
    _filled_state(path, 3)
    holder = Holder(path)
    try:
        result = run_crawl("esteri", replica.url, tmp_path / "run", settings={"ALANEWS_DATA_DIR": str(data)},
                           timeout=120)
    finally:
        holder.release()
    assert result.returncode == 1
    assert re.search(rf"ERROR: Not started: state {path} is locked by another process \(waited 5 s\); not starting",
                     result.log), result.log[-3000:]
    assert "Traceback" not in result.log and not result.feed.exists()


def test_a_state_locked_mid_run_stops_the_crawl_and_takes_the_line_back(make_replica, tmp_path):
    """Another process takes the state's write lock while a crawl runs: the crawl's next write waits
    the state's timeout (5 s), fails, the line just written leaves the feed, the crawl stops; the
    next run writes exactly the rest."""
    from conftest import BackgroundCrawl, run_crawl

    replica = make_replica("--articles", "120", "--seed", "36")
    archive = sorted(replica.archive("esteri"))
    data = tmp_path / "data"
    path = data / "deltafetch" / STATE_FILE
    crawl = BackgroundCrawl("esteri", replica.url, tmp_path / "run1", data,
                            settings={"CONCURRENT_REQUESTS_PER_DOMAIN": "1", "DOWNLOAD_DELAY": "0.1"})
    crawl.wait_for_items(3)
    holder = Holder(path)
    try:
        code = crawl.wait()
    finally:
        holder.release()
    log = crawl.log()
    assert code == 3, log[-3000:]
    assert len(re.findall(rf"ERROR: deltafetch: state {path} is locked by another process \(waited 5 s\); the "
                          r"crawl stops\. The articles it could not record are taken back out of the feeds", log)) == 1, \
        log[-3000:]
    assert crawl.stats()["finish_reason"] == "state_failed" and "Monitor failed: Incremental state" in log
    written = [item["url"] for item in crawl.items()]
    store = ArticleStore(path)
    assert {record.url for record in store.records()} == set(written) and len(set(written)) == len(written)
    store.close()
    # the third line was waiting to be recorded (with the next article's claim) when the lock came: taken back
    assert 2 <= len(written) < len(archive)

    rest = run_crawl("esteri", replica.url, tmp_path / "run2", settings={"ALANEWS_DATA_DIR": str(data)})
    assert rest.returncode == 0, rest.log[-3000:]
    assert sorted(written + [item["url"] for item in rest.items]) == archive


# --- failed articles: what a later 404 confirms -----------------------------------------------------

NOT_FOUND = ("http_404", "http_410")


@pytest.mark.parametrize("answered", ["touch", "alias"])
def test_a_page_that_answers_between_two_404s_leaves_no_first_404_to_confirm(store, answered):
    post = item(1)
    record(store, post, spider="esteri")
    store.record_failure(post["url"], "updates", "http_404")
    assert store.first_failed(post["url"], "updates", NOT_FOUND) is not None
    if answered == "touch":  # fetched again, content unchanged
        store.touch(post["url"], None)
    else:  # its old URL redirected to it: an alias learnt
        store.add(post["url"], "https://www.alanews.it/?p=1001")
    assert store.first_failed(post["url"], "updates", NOT_FOUND) is None
    assert store.failures() == []


def test_the_first_404_after_a_500_dates_the_removal_confirmation(store, tmp_path):
    post = item(1)
    record(store, post, spider="esteri")
    store.record_failure(post["url"], "updates", "http_500")
    with sqlite3.connect(tmp_path / STATE_FILE) as db:  # the 500 was 5 hours ago
        db.execute("UPDATE failed SET first_failed = first_failed - 5 * 3600")
    before = time.time()
    store.record_failure(post["url"], "updates", "http_404")
    first_404 = store.first_failed(post["url"], "updates", NOT_FOUND)
    assert first_404 >= before
    store.record_failure(post["url"], "updates", "http_410")  # still a removal sighting: the first 404 kept
    assert store.first_failed(post["url"], "updates", NOT_FOUND) == first_404
