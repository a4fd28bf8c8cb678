"""The state of a data directory on disk: every article written by any spider, and what runs need next.

One SQLite file, ``<state dir>/state.sqlite`` (state dir: ``DELTAFETCH_DIR`` or
``<ALANEWS_DATA_DIR>/deltafetch``), shared by every spider of the data directory. WAL journal,
``synchronous=FULL``: a commit is on disk when it returns, so it survives a kill and a power
cut; readers never wait for a writer, a writer waits at most ``timeout`` seconds.

One schema (:data:`SCHEMA_VERSION`, in ``PRAGMA user_version``):

* ``articles``: one row per article written: URL, post id, dates, content hash, version,
  when first and last written and by which spider, when recorded removed, which fields its
  last write filled (the field coverage of the last articles written, whatever the runs' sizes);
* ``keys``: every key an article is known by: its URL, ``post:<id>``, request keys of
  redirects and variants, old URLs of a moved post;
* ``walks``: per category path, when its last walk started and whether it was complete;
* ``failed``: articles whose request brought no item, per spider, and how many runs failed them;
* ``claims``: articles a running crawl is writing, by spider name;
* ``sitemap_memory``: what the ``updates`` spider saw of the sitemaps, per index;
* ``migrations``: state files of earlier releases already imported.

A state of schema 1 is migrated in place, in one transaction, with every article, key,
walk and failed article, and the ``sitemaps.json`` beside it. This module stores; the rules
(what to record and when, who may write what) live in :mod:`alanews.ledger`.

Errors are :class:`StateError`, one line each: a file that is empty, not SQLite, damaged or
locked by another process is refused, never replaced by a fresh state (that would write
every article again).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from itemadapter import ItemAdapter

from alanews.errors import NotStarting

logger = logging.getLogger(__name__)

#: the state's file name in the state directory
STATE_FILE = "state.sqlite"
#: ``PRAGMA user_version`` of the schema below
SCHEMA_VERSION = 2
#: the fields whose change makes a new version of an article
CONTENT_FIELDS = ("title", "subtitle", "author", "body", "tags", "image_url", "video_url", "category")
#: the updates spider's file of schema 1, beside the state: imported, then renamed ``*.migrated``
SITEMAP_MEMORY_FILE_V1 = "sitemaps.json"

_SCHEMA = """
CREATE TABLE articles (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL UNIQUE,
    post_id INTEGER,
    published TEXT,
    modified TEXT,
    category_path TEXT,
    content_hash TEXT,
    version INTEGER NOT NULL DEFAULT 1,
    written_at REAL NOT NULL,
    spider TEXT,
    removed_at REAL,
    first_written_at REAL NOT NULL,
    first_spider TEXT,
    filled TEXT
);
CREATE TABLE keys (key TEXT PRIMARY KEY, article INTEGER NOT NULL REFERENCES articles(id),
                   stored_at REAL NOT NULL) WITHOUT ROWID;
CREATE TABLE walks (category TEXT PRIMARY KEY, complete INTEGER NOT NULL, updated_at REAL NOT NULL,
                    started_at REAL, spider TEXT) WITHOUT ROWID;
CREATE TABLE migrations (source TEXT PRIMARY KEY, keys INTEGER NOT NULL, articles INTEGER NOT NULL,
                         migrated_at REAL NOT NULL) WITHOUT ROWID;
CREATE TABLE failed (key TEXT NOT NULL, spider TEXT NOT NULL, kind TEXT NOT NULL, runs INTEGER NOT NULL,
                     first_failed REAL NOT NULL, last_failed REAL NOT NULL, PRIMARY KEY (key, spider)) WITHOUT ROWID;
CREATE TABLE claims (key TEXT PRIMARY KEY, owner TEXT NOT NULL, at REAL NOT NULL) WITHOUT ROWID;
CREATE TABLE sitemap_memory (index_url TEXT PRIMARY KEY, memory TEXT NOT NULL, updated_at REAL NOT NULL) WITHOUT ROWID;
"""
_TABLES = {"articles", "keys", "walks", "migrations"}  # in every schema since 1
# schema 1 -> 2: first write and walk start times; failed per spider; claims by spider name; the sitemap memory
_MIGRATE_1_TO_2 = """
ALTER TABLE articles ADD COLUMN first_written_at REAL NOT NULL DEFAULT 0;
ALTER TABLE articles ADD COLUMN first_spider TEXT;
ALTER TABLE articles ADD COLUMN filled TEXT;
UPDATE articles SET first_written_at = written_at, first_spider = spider;
ALTER TABLE walks ADD COLUMN started_at REAL;
ALTER TABLE walks ADD COLUMN spider TEXT;
UPDATE walks SET started_at = updated_at;
CREATE TABLE IF NOT EXISTS failed (key TEXT PRIMARY KEY, kind TEXT NOT NULL, runs INTEGER NOT NULL,
                                   first_failed REAL NOT NULL, last_failed REAL NOT NULL) WITHOUT ROWID;
ALTER TABLE failed RENAME TO failed_v1;
CREATE TABLE failed (key TEXT NOT NULL, spider TEXT NOT NULL, kind TEXT NOT NULL, runs INTEGER NOT NULL,
                     first_failed REAL NOT NULL, last_failed REAL NOT NULL, PRIMARY KEY (key, spider)) WITHOUT ROWID;
DROP TABLE IF EXISTS claims;
CREATE TABLE claims (key TEXT PRIMARY KEY, owner TEXT NOT NULL, at REAL NOT NULL) WITHOUT ROWID;
CREATE TABLE sitemap_memory (index_url TEXT PRIMARY KEY, memory TEXT NOT NULL, updated_at REAL NOT NULL) WITHOUT ROWID;
"""
_SQLITE_HEADER = b"SQLite format 3\x00"
# tables of the per-spider state files of earlier releases (<dir>/<spider>.sqlite)
_OLD_TABLES = {"keys", "walks"}
_RECORD_COLUMNS = ("url, post_id, published, modified, category_path, content_hash, version, written_at, spider, "
                   "removed_at, first_written_at, first_spider")
_BY_KEY = f"SELECT {_RECORD_COLUMNS} FROM keys JOIN articles ON articles.id = keys.article WHERE key = ?"
_CHUNK = 500  # keys per IN (...) query: below SQLite's variable limit


class StateError(NotStarting):
    """The state cannot be used: empty, not SQLite, damaged, locked too long, or a write failed."""


@dataclass(frozen=True)
class ArticleRecord:
    url: str  # canonical URL (the item's url when last written)
    post_id: int | None
    published: str | None  # the item's published (ISO 8601)
    modified: str | None  # the item's modified (ISO 8601) as last seen
    category_path: str | None
    content_hash: str | None  # content_hash(item); None for rows migrated from an earlier release
    version: int  # 1 for the first write, then 2, 3, ...
    written_at: float  # UNIX time of the last feed write of this article
    spider: str | None  # the spider that last wrote it
    removed_at: float | None  # when seen 404/410 or gone from the inventory; None otherwise
    first_written_at: float  # UNIX time it was first recorded
    first_spider: str | None  # the spider that first wrote it


@dataclass(frozen=True)
class Walked:
    """The last walk of a category's archive."""

    complete: bool
    started_at: float | None  # UNIX time it started (None: unknown)
    updated_at: float  # when it started, or was recorded complete
    spider: str | None  # the spider that walked it (None: unknown, from schema 1)

    def read(self, record: ArticleRecord) -> bool:
        """Whether this walk, complete, read every post of the archive older than ``record``'s: the post
        was recorded before the walk started, or by the walk's own spider while it ran."""
        if not self.complete or self.started_at is None:
            return False
        return record.first_written_at < self.started_at or (
            record.first_spider is not None and record.first_spider == self.spider
            and record.first_written_at <= self.updated_at)


@dataclass(frozen=True)
class Written:
    """An article to record (what the state keeps of an item written, not its text)."""

    url: str
    post_id: int | None
    published: str | None
    modified: str | None
    category_path: str | None
    content_hash: str
    version: int
    spider: str
    aliases: tuple[str, ...] = ()  # more keys: the request key, redirects
    filled: tuple[str, ...] | None = None  # the coverage fields the item filled (alanews.validation)

    @classmethod
    def of(cls, item: Any, spider: str, *aliases: str | None, filled: tuple[str, ...] | None = None) -> Written:
        adapter = ItemAdapter(item)
        return cls(adapter["url"], adapter.get("post_id"), adapter.get("published"), adapter.get("modified"),
                   adapter.get("category_path"), content_hash(item), adapter.get("version") or 1, spider,
                   tuple(a for a in aliases if a), filled)


def content_hash(item: Any) -> str:
    """sha256 hex of the content fields (:data:`CONTENT_FIELDS`) of an item or mapping, as canonical JSON."""
    adapter = ItemAdapter(item)
    content = {name: adapter.get(name) for name in CONTENT_FIELDS}
    data = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def post_key(post_id: int | None) -> str | None:
    """The key an article is known by through its WordPress post id."""
    return f"post:{post_id}" if post_id is not None else None


def _locked(error: sqlite3.Error) -> bool:
    return isinstance(error, sqlite3.OperationalError) and ("locked" in str(error) or "busy" in str(error))


def _chunks(keys: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(keys), _CHUNK):
        yield keys[start:start + _CHUNK]


class ArticleStore:
    """The state file of a data directory; see the module docstring.

    ``path`` is the state file (created if missing, from a temporary file renamed into
    place: a kill never leaves a half-made state). ``timeout``: seconds a write waits for
    another process's write. Raises :class:`StateError` when the file is empty, not SQLite,
    damaged, of an unknown schema, or locked by another process for longer than ``timeout``.
    """

    def __init__(self, path: str | os.PathLike, timeout: float = 5.0):
        self.path = Path(path)
        self.timeout = timeout
        if not self.path.exists():
            self._create()
        self.conn = self._open()
        self._migrate_old_files()

    # --- opening -------------------------------------------------------------------

    def _refuse(self, problem: str) -> StateError:
        return StateError(f"state {self.path} {problem}; not starting. Restore it from a backup, or move it "
                          "away to start an empty state (every article is then fetched and written again)")

    def _create(self) -> None:
        """A new, empty state, put in place only once whole (never over an existing one)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".new", dir=self.path.parent)
        os.close(fd)
        try:
            conn = sqlite3.connect(tmp, isolation_level=None)
            try:
                conn.executescript(f"BEGIN; {_SCHEMA} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;")
            finally:
                conn.close()
            fd = os.open(tmp, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
            try:
                os.link(tmp, self.path)  # fails if another process made it first: use theirs
            except FileExistsError:
                pass
        finally:
            os.unlink(tmp)

    def _open(self) -> sqlite3.Connection:
        try:
            with self.path.open("rb") as file:
                header = file.read(len(_SQLITE_HEADER))
        except OSError as error:
            raise self._refuse(f"cannot be read ({error.strerror})") from None
        if not header:
            raise self._refuse("is empty (0 bytes), not a state database")
        if header != _SQLITE_HEADER:
            raise self._refuse("is not an SQLite database")
        conn = sqlite3.connect(f"file:{self.path}?mode=rw", uri=True, isolation_level=None, timeout=self.timeout)
        try:
            check = conn.execute("PRAGMA quick_check(1)").fetchone()[0]
            if check != "ok":
                raise self._refuse(f"is damaged ({check})")
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise self._refuse(f"was made by a newer alanews (schema {version}, this one reads {SCHEMA_VERSION})")
            if not tables >= _TABLES:
                raise self._refuse(f"is not an alanews state (tables: {', '.join(sorted(tables)) or 'none'})")
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            # a write lock now, to fail here rather than at the first article
            conn.execute("BEGIN IMMEDIATE")
            if conn.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION:
                self._migrate_schema_1(conn)
                conn.execute("COMMIT")
                self._import_sitemap_memory_v1(conn)
            else:
                conn.execute("ROLLBACK")
        except StateError:
            conn.close()
            raise
        except sqlite3.Error as error:
            conn.close()
            if _locked(error):
                raise StateError(f"state {self.path} is locked by another process (waited {self.timeout:g} s); "
                                 "not starting") from None
            raise self._refuse(f"is damaged ({error})") from None
        return conn

    def _migrate_schema_1(self, conn: sqlite3.Connection) -> None:
        """Schema 1 -> 2 inside the open transaction: every article, key and walk kept; a failed
        article goes to the category spider of its URL (schema 1 did not say which spider failed it)."""
        from alanews.site import spider_of_url  # the site's categories: imported late, only for this

        for statement in _MIGRATE_1_TO_2.split(";"):
            if statement.strip():
                conn.execute(statement)
        rows = conn.execute("SELECT key, kind, runs, first_failed, last_failed FROM failed_v1").fetchall()
        conn.executemany("INSERT OR IGNORE INTO failed VALUES (?, ?, ?, ?, ?, ?)",
                         [(key, spider_of_url(key), *rest) for key, *rest in rows])
        conn.execute("DROP TABLE failed_v1")
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        count = conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
        logger.info("state: %s migrated from schema 1 to %d (%d articles, %d failed articles)", self.path,
                    SCHEMA_VERSION, count, len(rows))

    def _import_sitemap_memory_v1(self, conn: sqlite3.Connection) -> None:
        """The ``sitemaps.json`` of schema 1 into ``sitemap_memory``, then renamed ``*.migrated``."""
        old = self.path.with_name(SITEMAP_MEMORY_FILE_V1)
        try:
            memory = json.loads(old.read_text("utf-8"))
        except FileNotFoundError:
            return
        except (OSError, ValueError) as error:
            logger.warning("state: %s cannot be read (%s): not imported; the updates spider reads every post "
                           "sitemap file once", old, error)
            return
        if isinstance(memory, dict) and memory.get("index"):
            conn.execute("INSERT OR REPLACE INTO sitemap_memory VALUES (?, ?, ?)",
                         (memory["index"], json.dumps(memory, separators=(",", ":")), time.time()))
        old.rename(old.with_name(old.name + ".migrated"))

    def _migrate_old_files(self) -> None:
        """Import the per-spider ``<spider>.sqlite`` files of earlier releases, once each."""
        for old in sorted(self.path.parent.glob("*.sqlite")):
            if old.resolve() == self.path.resolve():
                continue
            keys, walks = self._read_old(old)
            with self._transaction():
                done = self.conn.execute("SELECT 1 FROM migrations WHERE source = ?", (old.name,)).fetchone()
                if not done:
                    articles = self._import(keys, walks, spider=old.stem)
                    self.conn.execute("INSERT INTO migrations VALUES (?, ?, ?, ?)",
                                      (old.name, len(keys), articles, time.time()))
            if not done:
                logger.info("state: imported %s (%d keys, %d articles) into %s", old, len(keys), articles, self.path)
            target = old.with_name(old.name + ".migrated")
            try:
                old.rename(target)
                for suffix in ("-wal", "-shm"):
                    old.with_name(old.name + suffix).unlink(missing_ok=True)
            except FileNotFoundError:
                pass  # another process renamed it first

    def _read_old(self, old: Path) -> tuple[list[tuple], list[tuple]]:
        """The keys and walks of an earlier release's file; StateError if it cannot be read whole."""
        try:
            conn = sqlite3.connect(f"file:{old}?mode=rw", uri=True, timeout=self.timeout)
            try:
                tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
                if not tables >= _OLD_TABLES:
                    raise StateError(f"state {old} is not a state file of an earlier alanews release "
                                     f"(tables: {', '.join(sorted(tables)) or 'none'}); not starting. Move it "
                                     f"out of {old.parent}")
                keys = conn.execute("SELECT key, article, stored_at FROM keys").fetchall()
                walks = conn.execute("SELECT category, complete, updated_at FROM walks").fetchall()
            finally:
                conn.close()
        except sqlite3.Error as error:
            raise StateError(f"state {old} (of an earlier release, to import) cannot be read ({error}); "
                             f"not starting. Restore it from a backup, or move it out of {old.parent}") from None
        return keys, walks

    def _import(self, keys: list[tuple], walks: list[tuple], spider: str) -> int:
        """Articles (version 1, hash and dates unknown) and every key of an earlier release's file."""
        post_ids: dict[str, int] = {}
        first_stored: dict[str, float] = {}
        for key, article, stored_at in keys:
            if key.startswith("post:") and key[5:].isdigit():
                post_ids.setdefault(article, int(key[5:]))
            first_stored[article] = min(stored_at, first_stored.get(article, stored_at))
        new = 0
        ids: dict[str, int] = {}
        for article, stored_at in first_stored.items():
            found = self._id_of(article) or (self._id_of(f"post:{post_ids[article]}") if article in post_ids else None)
            if found is None:
                found = self.conn.execute(
                    "INSERT INTO articles (url, post_id, written_at, first_written_at, spider, first_spider)"
                    " VALUES (?, ?, ?, ?, ?, ?)", (article, post_ids.get(article), stored_at, stored_at, spider,
                                                   spider)).lastrowid
                new += 1
            ids[article] = found
        self.conn.executemany("INSERT OR IGNORE INTO keys VALUES (?, ?, ?)",
                              [(key, ids[article], stored_at) for key, article, stored_at in keys])
        self.conn.executemany(
            "INSERT INTO walks (category, complete, updated_at, started_at, spider) VALUES (?, ?, ?, ?, NULL)"
            " ON CONFLICT(category) DO UPDATE SET complete = MAX(walks.complete, excluded.complete),"
            " updated_at = excluded.updated_at, started_at = excluded.started_at",
            [(category, complete, at, at) for category, complete, at in walks])
        return new

    # --- writing -------------------------------------------------------------------

    def _transaction(self):
        return _Transaction(self)

    def _id_of(self, key: str | None) -> int | None:
        row = self.conn.execute("SELECT article FROM keys WHERE key = ?", (key,)).fetchone() if key else None
        return row[0] if row else None

    def _add_keys(self, article_id: int, keys: Iterable[str | None], now: float) -> int:
        before = self.conn.total_changes
        self.conn.executemany("INSERT OR IGNORE INTO keys VALUES (?, ?, ?)",
                              [(k, article_id, now) for k in dict.fromkeys(keys) if k])
        return self.conn.total_changes - before

    def record(self, articles: Iterable[Written], claim: Iterable[str] = (), owner: str = "",
               alive=lambda owner: False, new: bool = True) -> set[str]:
        """Remember articles written to the feeds, and claim more for ``owner``, in one committed transaction.

        Each article is upserted, found by its url or ``post:<id>``: url, post_id, published,
        modified, category_path, content hash, version, written_at = now, spider, removed_at =
        None (first_written_at and first_spider set once); its keys url, ``post:<id>`` and its
        aliases are added, its claims and failures dropped.

        Then the articles ``claim`` are reserved for ``owner`` (a spider name) until recorded or
        released, so that two crawls of the data directory running at once never both write one.
        Returns the keys ``owner`` may not write: recorded meanwhile (if ``new``: the article is to be
        written for the first time), or claimed by another owner for which ``alive(owner)`` is true
        (a claim of a crawl that ended is taken over).

        StateError if the write fails (disk full, locked longer than ``timeout``): then nothing of
        it is recorded or claimed.
        """
        now = time.time()
        claim = list(dict.fromkeys(claim))
        taken: set[str] = set()
        with self._transaction():
            for article in articles:
                self._record_one(article, now)
            for chunk in _chunks(claim):
                marks = ",".join("?" * len(chunk))
                if new:
                    taken.update(row[0] for row in self.conn.execute(
                        f"SELECT key FROM keys WHERE key IN ({marks})", chunk))  # noqa: S608 (placeholders)
                for key, holder in self.conn.execute(
                        f"SELECT key, owner FROM claims WHERE key IN ({marks})", chunk):  # noqa: S608
                    if holder != owner and alive(holder):
                        taken.add(key)
            self.conn.executemany("INSERT OR REPLACE INTO claims VALUES (?, ?, ?)",
                                  [(k, owner, now) for k in claim if k not in taken])
        return taken

    def _record_one(self, article: Written, now: float) -> None:
        key = post_key(article.post_id)
        values = (article.url, article.post_id, article.published, article.modified, article.category_path,
                  article.content_hash, article.version, now, article.spider,
                  ",".join(article.filled) if article.filled is not None else None)
        article_id = self._id_of(key) or self._id_of(article.url)
        if article_id is None:
            article_id = self.conn.execute(
                "INSERT INTO articles (url, post_id, published, modified, category_path, content_hash, version,"
                " written_at, spider, filled, first_written_at, first_spider) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (*values, now, article.spider)).lastrowid
        else:
            taken = self._id_of(article.url)
            if taken not in (None, article_id):  # the url is another article's: keep this one's
                values = (self.conn.execute("SELECT url FROM articles WHERE id = ?", (article_id,)).fetchone()[0],
                          *values[1:])
            self.conn.execute(
                "UPDATE articles SET url = ?, post_id = COALESCE(?, post_id), published = ?, modified = ?,"
                " category_path = ?, content_hash = ?, version = ?, written_at = ?, spider = ?,"
                " filled = COALESCE(?, filled), removed_at = NULL WHERE id = ?", (*values, article_id))
        keys = [k for k in (article.url, key, *article.aliases) if k]
        self._add_keys(article_id, keys, now)
        self.conn.executemany("DELETE FROM claims WHERE key = ?", [(k,) for k in keys])
        self.conn.executemany("DELETE FROM failed WHERE key = ?", [(k,) for k in keys])

    def release(self, owner: str) -> None:
        """Drop ``owner``'s claims (its run ends: what it did not record is free again)."""
        with self._transaction():
            self.conn.execute("DELETE FROM claims WHERE owner = ?", (owner,))

    def add(self, article: str, *aliases: str | None) -> int:
        """Make ``aliases`` (None skipped) known as the article ``article`` (a URL or any key of it),
        creating a bare article row (version 1, nothing else known) if ``article`` is unknown.
        One committed transaction; returns how many keys were new."""
        now = time.time()
        with self._transaction():
            article_id = self._id_of(article)
            if article_id is None:
                article_id = self.conn.execute(
                    "INSERT INTO articles (url, written_at, first_written_at) VALUES (?, ?, ?)",
                    (article, now, now)).lastrowid
            added = self._add_keys(article_id, (article, *aliases), now)
            self._forget_failed(article_id)  # an alias is learnt from a page that answered
            return added

    def touch(self, url: str, modified: str | None) -> None:
        """The article was fetched again and its content did not change: its new ``modified`` (None: kept)
        stored, it is not removed (a removal undone) and no longer a failed article (its page answered:
        a 404 before it is no sighting a later 404 confirms)."""
        with self._transaction():
            article_id = self._id_of(url)
            self.conn.execute("UPDATE articles SET modified = COALESCE(?, modified), removed_at = NULL WHERE id = ?",
                              (modified, article_id))
            self._forget_failed(article_id)

    def _forget_failed(self, article_id: int | None) -> None:
        """The failed rows of every key of the article: its page answered."""
        self.conn.execute("DELETE FROM failed WHERE key IN (SELECT key FROM keys WHERE article = ?)", (article_id,))

    def mark_removed(self, url: str, when: float) -> None:
        """The article answered 404/410 at ``when`` (UNIX time): removed, and no longer a failed article."""
        with self._transaction():
            article_id = self._id_of(url)
            self.conn.execute("UPDATE articles SET removed_at = ? WHERE id = ?", (when, article_id))
            self._forget_failed(article_id)

    def clear(self) -> None:
        """Forget every article, key, walk and failed article."""
        with self._transaction():
            for table in ("keys", "articles", "walks", "failed", "claims"):
                self.conn.execute(f"DELETE FROM {table}")  # noqa: S608 (fixed names)

    def start_walks(self, categories: Iterable[str], spider: str, when: float) -> None:
        """``spider``'s walks of ``categories`` start at ``when``: incomplete until :meth:`complete_walks`."""
        with self._transaction():
            self.conn.executemany(
                "INSERT INTO walks VALUES (?, 0, ?, ?, ?) ON CONFLICT(category) DO UPDATE SET complete = 0,"
                " updated_at = excluded.updated_at, started_at = excluded.started_at, spider = excluded.spider",
                [(c, when, when, spider) for c in categories])

    def complete_walks(self, started: Mapping[str, float], spider: str) -> None:
        """``spider``'s walks of each category of ``started`` that started then (UNIX time) are complete
        (``updated_at``: now); a walk another crawl started since is left as it is (its run completes it, or not)."""
        now = time.time()
        with self._transaction():
            self.conn.executemany(
                "UPDATE walks SET complete = 1, updated_at = ? WHERE category = ? AND spider = ? AND started_at = ?",
                [(now, c, spider, at) for c, at in started.items()])

    def record_failure(self, key: str, spider: str, kind: str) -> int:
        """One more run of ``spider`` failed the article ``key``; returns how many runs of it failed it.
        ``first_failed`` is the first of the failures of the same sort in a row: a 404/410 after another
        failure (a 500) starts it again, so that it dates the first 404/410 sighting."""
        now = time.time()
        with self._transaction():
            self.conn.execute("INSERT INTO failed VALUES (?, ?, ?, 1, ?, ?) ON CONFLICT(key, spider) DO UPDATE"
                              " SET kind = excluded.kind, runs = runs + 1, last_failed = excluded.last_failed,"
                              " first_failed = CASE WHEN (kind IN ('http_404', 'http_410'))"
                              " = (excluded.kind IN ('http_404', 'http_410')) THEN first_failed"
                              " ELSE excluded.first_failed END",
                              (key, spider, kind, now, now))
            return self.conn.execute("SELECT runs FROM failed WHERE key = ? AND spider = ?",
                                     (key, spider)).fetchone()[0]

    def forget_failures(self, spider: str) -> None:
        """Drop ``spider``'s failed articles (a reset)."""
        with self._transaction():
            self.conn.execute("DELETE FROM failed WHERE spider = ?", (spider,))

    def remember_sitemaps(self, index_url: str, memory: dict) -> None:
        """What the updates spider saw of the sitemaps of ``index_url``, replacing what it saw before."""
        with self._transaction():
            self.conn.execute("DELETE FROM sitemap_memory")
            self.conn.execute("INSERT INTO sitemap_memory VALUES (?, ?, ?)",
                              (index_url, json.dumps(memory, separators=(",", ":")), time.time()))

    # --- reading -------------------------------------------------------------------

    def __contains__(self, key: str) -> bool:
        """Whether ``key`` (a canonical URL, a request key or ``post:<id>``) names an article written."""
        return self._id_of(key) is not None

    def lookup(self, keys: Iterable[str]) -> dict[str, ArticleRecord]:
        """The articles the keys among ``keys`` name, in as few queries as the keys need (one up to 500)."""
        found: dict[str, ArticleRecord] = {}
        for chunk in _chunks(list(dict.fromkeys(keys))):
            marks = ",".join("?" * len(chunk))
            for key, *row in self.conn.execute(
                    f"SELECT key, {_RECORD_COLUMNS} FROM keys JOIN articles ON articles.id = keys.article"  # noqa: S608
                    f" WHERE key IN ({marks})", chunk):
                found[key] = ArticleRecord(*row)
        return found

    def resolve(self, post_id: int | None, url: str | None) -> ArticleRecord | None:
        """The article a post id and URL are: by ``post:<id>`` first, then by the URL (or an alias of
        it), in one query. A URL recorded for another post id is not this post."""
        keys = [k for k in (post_key(post_id), url) if k]
        if not keys:
            return None
        rows = self.conn.execute(
            f"SELECT key, {_RECORD_COLUMNS} FROM keys JOIN articles ON articles.id = keys.article"  # noqa: S608
            f" WHERE key IN ({','.join('?' * len(keys))})", keys).fetchall()
        by_key = {row[0]: ArticleRecord(*row[1:]) for row in rows}
        if post_key(post_id) in by_key:
            return by_key[post_key(post_id)]
        record = by_key.get(url)
        if record is not None and (post_id is None or record.post_id is None):
            return record
        return None

    def settled(self, keys: Iterable[str], spider: str) -> set[str]:
        """The keys among ``keys`` written (by anyone) or failed by ``spider``."""
        keys = list(dict.fromkeys(keys))
        found = set(self.lookup(keys))
        for chunk in _chunks([k for k in keys if k not in found]):
            marks = ",".join("?" * len(chunk))
            found.update(row[0] for row in self.conn.execute(
                f"SELECT key FROM failed WHERE spider = ? AND key IN ({marks})", [spider, *chunk]))  # noqa: S608
        return found

    def article_of(self, key: str) -> str | None:
        """The URL of the article ``key`` stands for, or None."""
        row = self.conn.execute(
            "SELECT url FROM keys JOIN articles ON articles.id = keys.article WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def get(self, key: str) -> ArticleRecord | None:
        """The article ``key`` stands for, or None."""
        row = self.conn.execute(_BY_KEY, (key,)).fetchone()
        return ArticleRecord(*row) if row else None

    def records(self) -> Iterator[ArticleRecord]:
        """Every article ever written, oldest first."""
        for row in self.conn.execute(f"SELECT {_RECORD_COLUMNS} FROM articles ORDER BY id").fetchall():
            yield ArticleRecord(*row)

    def __len__(self) -> int:
        """Number of articles (not keys)."""
        return self.conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0]

    def walks(self) -> dict[str, Walked]:
        """Category path -> its last walk."""
        return {row[0]: Walked(bool(row[1]), *row[2:]) for row in
                self.conn.execute("SELECT category, complete, started_at, updated_at, spider FROM walks")}

    def newest_published(self, category_path: str | None = None, candidates: int = 8,
                         written_after: float | None = None) -> list[str]:
        """The ``candidates`` greatest ``published`` values (ISO 8601) of the articles not removed, of
        ``category_path`` and its subcategories if given, first recorded after ``written_after`` (UNIX
        time) if given: compared as text, so a value whose offset differs from its neighbours' (+01:00,
        +02:00) is among them; the caller compares instants."""
        where, args = "published IS NOT NULL AND removed_at IS NULL", []
        if category_path:
            where += " AND (category_path = ? OR category_path LIKE ?)"
            args = [category_path, category_path.replace("%", "").replace("_", "") + "/%"]
        if written_after is not None:
            where += " AND first_written_at > ?"
            args.append(written_after)
        return [row[0] for row in self.conn.execute(
            f"SELECT published FROM articles WHERE {where} ORDER BY published DESC LIMIT ?",  # noqa: S608
            (*args, candidates))]

    def last_filled(self, count: int) -> list[set[str]]:
        """The coverage fields filled by the ``count`` articles written last, by any spider (newest first)."""
        return [set(row[0].split(",")) - {""} for row in self.conn.execute(
            "SELECT filled FROM articles WHERE filled IS NOT NULL ORDER BY written_at DESC, id DESC LIMIT ?", (count,))]

    def failures_due(self, spider: str, retry_runs: int) -> list[str]:
        """Keys ``spider`` requests again: failed by at most ``retry_runs`` of its runs, oldest first."""
        return [row[0] for row in self.conn.execute(
            "SELECT key FROM failed WHERE spider = ? AND runs <= ? ORDER BY first_failed, key", (spider, retry_runs))]

    def failures_given_up(self, spider: str, retry_runs: int) -> int:
        return self.conn.execute("SELECT COUNT(*) FROM failed WHERE spider = ? AND runs > ?",
                                 (spider, retry_runs)).fetchone()[0]

    def first_failed(self, key: str, spider: str, kinds: Iterable[str]) -> float | None:
        """When ``spider`` first failed the article ``key`` (UNIX time), if its last failure is one of ``kinds``."""
        kinds = list(kinds)
        row = self.conn.execute(
            f"SELECT first_failed FROM failed WHERE key = ? AND spider = ? AND kind IN ({','.join('?' * len(kinds))})",  # noqa: S608
            (key, spider, *kinds)).fetchone()
        return row[0] if row else None

    def failures(self) -> list[tuple[str, str, str, int]]:
        """Every failed article: (key, spider, kind, runs)."""
        return self.conn.execute("SELECT key, spider, kind, runs FROM failed ORDER BY key, spider").fetchall()

    def claims(self) -> dict[str, str]:
        """Key -> owner of every claim."""
        return dict(self.conn.execute("SELECT key, owner FROM claims"))

    def sitemap_memory(self) -> dict:
        """What the updates spider last saw of the sitemaps (empty if nothing)."""
        row = self.conn.execute("SELECT memory FROM sitemap_memory ORDER BY updated_at DESC LIMIT 1").fetchone()
        return json.loads(row[0]) if row else {}

    def close(self) -> None:
        self.conn.close()


class _Transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` (ROLLBACK on error); SQLite errors become StateError."""

    def __init__(self, store: ArticleStore):
        self.store = store

    def __enter__(self):
        try:
            self.store.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as error:
            raise self._error(error) from None

    def __exit__(self, kind, error, traceback):
        conn = self.store.conn
        if error is None:
            try:
                conn.execute("COMMIT")
                return False
            except sqlite3.Error as commit_error:
                error = commit_error
        if conn.in_transaction:
            try:
                conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass  # SQLite rolls back itself on the errors that end a transaction
        if isinstance(error, sqlite3.Error):
            raise self._error(error) from None
        return False

    def _error(self, error: sqlite3.Error) -> StateError:
        store = self.store
        if _locked(error):
            return StateError(f"state {store.path} is locked by another process (waited {store.timeout:g} s)")
        return StateError(f"state {store.path}: write failed ({error})")
