"""The incremental state of a data directory: every article written, by any spider, and its version.

One SQLite file, ``<state dir>/state.sqlite`` (state dir: ``DELTAFETCH_DIR`` or
``<ALANEWS_DATA_DIR>/deltafetch``), shared by every spider of the data directory: what any
of them wrote counts as written. WAL journal, autocommit, ``synchronous=NORMAL``: a committed
write survives the process being killed at any moment (only a power loss can take back the
last commits); readers never wait for a writer, a writer waits at most ``timeout`` seconds.

Tables: ``articles`` (one row per article written: URL, post id, dates, content hash,
version, when written and by which spider, when seen removed), ``keys`` (every key an
article is known by: its URL, ``post:<id>``, request keys of redirects and variants),
``walks`` (per category path, whether the last walk of its archive was complete),
``migrations`` (per-spider state files of earlier releases already imported).

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
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from itemadapter import ItemAdapter

from alanews.errors import NotStarting

logger = logging.getLogger(__name__)

#: the state's file name in the state directory
STATE_FILE = "state.sqlite"
#: ``PRAGMA user_version`` of the schema below
SCHEMA_VERSION = 1
#: the fields whose change makes a new version of an article (issue 18)
CONTENT_FIELDS = ("title", "subtitle", "author", "body", "tags", "image_url", "video_url", "category")

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
    removed_at REAL
);
CREATE TABLE keys (key TEXT PRIMARY KEY, article INTEGER NOT NULL REFERENCES articles(id),
                   stored_at REAL NOT NULL) WITHOUT ROWID;
CREATE TABLE walks (category TEXT PRIMARY KEY, complete INTEGER NOT NULL, updated_at REAL NOT NULL) WITHOUT ROWID;
CREATE TABLE migrations (source TEXT PRIMARY KEY, keys INTEGER NOT NULL, articles INTEGER NOT NULL,
                         migrated_at REAL NOT NULL) WITHOUT ROWID;
"""
_TABLES = {"articles", "keys", "walks", "migrations"}
# Articles a running crawl is writing (checked as not written, its feed line on the way, not yet
# recorded): another crawl of the same data directory leaves them to it. owner: "<spider>:<pid>".
_CLAIMS = "CREATE TABLE IF NOT EXISTS claims (key TEXT PRIMARY KEY, owner TEXT NOT NULL, at REAL NOT NULL) WITHOUT ROWID"
_SQLITE_HEADER = b"SQLite format 3\x00"
# tables of the per-spider state files of earlier releases (<dir>/<spider>.sqlite)
_OLD_TABLES = {"keys", "walks"}
_RECORD_COLUMNS = "url, post_id, published, modified, category_path, content_hash, version, written_at, spider, removed_at"
_BY_KEY = f"SELECT {_RECORD_COLUMNS} FROM keys JOIN articles ON articles.id = keys.article WHERE key = ?"


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


def content_hash(item: Any) -> str:
    """sha256 hex of the content fields (:data:`CONTENT_FIELDS`) of an item or mapping, as canonical JSON."""
    adapter = ItemAdapter(item)
    content = {name: adapter.get(name) for name in CONTENT_FIELDS}
    data = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def _locked(error: sqlite3.Error) -> bool:
    return isinstance(error, sqlite3.OperationalError) and ("locked" in str(error) or "busy" in str(error))


class ArticleStore:
    """The articles written to the feeds of a data directory; see the module docstring.

    ``path`` is the state file (created if missing, from a temporary file renamed into
    place: a kill never leaves a half-made state). Per-spider files of earlier releases
    in the same directory are imported on first open (every key kept) and renamed
    ``*.sqlite.migrated``. ``timeout``: seconds a write waits for another process's write.
    Raises :class:`StateError` when the file is empty, not SQLite, damaged, of an unknown
    schema, or locked by another process for longer than ``timeout``.
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
            if not _TABLES <= tables:
                raise self._refuse(f"is not an alanews state (tables: {', '.join(sorted(tables)) or 'none'})")
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute(_CLAIMS)
            # a write lock now, to fail here rather than at the first article
            conn.execute("BEGIN IMMEDIATE")
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
                if not _OLD_TABLES <= tables:
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
                    "INSERT INTO articles (url, post_id, written_at, spider) VALUES (?, ?, ?, ?)",
                    (article, post_ids.get(article), stored_at, spider)).lastrowid
                new += 1
            ids[article] = found
        self.conn.executemany("INSERT OR IGNORE INTO keys VALUES (?, ?, ?)",
                              [(key, ids[article], stored_at) for key, article, stored_at in keys])
        self.conn.executemany(
            "INSERT INTO walks VALUES (?, ?, ?) ON CONFLICT(category) DO UPDATE"
            " SET complete = MAX(walks.complete, excluded.complete), updated_at = excluded.updated_at", walks)
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

    def record(self, item: Any, *aliases: str | None, spider: str | None = None,
               digest: str | None = None) -> None:
        """Remember an article written to the feeds, in one committed transaction.

        Upserts the article (found by its url or ``post:<id>``) from the item: url, post_id,
        published, modified, category_path, content hash (``digest``, else :func:`content_hash`
        of the item), version (the item's, else 1), written_at = now, spider, removed_at = None;
        adds the keys url, ``post:<id>`` and ``aliases`` (None skipped). StateError if the
        write fails (disk full, locked longer than ``timeout``).
        """
        adapter = ItemAdapter(item)
        url = adapter["url"]
        post_id = adapter.get("post_id")
        post_key = f"post:{post_id}" if post_id is not None else None
        digest = digest or content_hash(item)
        now = time.time()
        values = (url, post_id, adapter.get("published"), adapter.get("modified"), adapter.get("category_path"),
                  digest, adapter.get("version") or 1, now, spider)
        with self._transaction():
            article_id = self._id_of(url) or self._id_of(post_key)
            if article_id is None:
                article_id = self.conn.execute(
                    f"INSERT INTO articles ({_RECORD_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
                    values).lastrowid
            else:
                taken = self._id_of(url)
                if taken not in (None, article_id):  # the url is another article's: keep this one's
                    values = (self.conn.execute("SELECT url FROM articles WHERE id = ?", (article_id,)).fetchone()[0],
                              *values[1:])
                self.conn.execute(
                    "UPDATE articles SET url = ?, post_id = COALESCE(?, post_id), published = ?, modified = ?,"
                    " category_path = ?, content_hash = ?, version = ?, written_at = ?, spider = ?,"
                    " removed_at = NULL WHERE id = ?", (*values, article_id))
            self._add_keys(article_id, (url, post_key, *aliases), now)
            self.conn.executemany("DELETE FROM claims WHERE key = ?", [(k,) for k in (url, post_key) if k])

    def claim(self, key: str, owner: str) -> str | None:
        """Reserve the article ``key`` (``post:<id>``, else its URL) for ``owner`` ("<spider>:<pid>")
        until :meth:`record` (or :meth:`release`), so that two crawls of the data directory running
        at once never both write it. Returns None when ``owner`` may write it; "" when it was
        written meanwhile; else the owner of the running process that holds it. A claim of a
        process that ended is taken over. StateError if the write fails.
        """
        with self._transaction():
            if self._id_of(key) is not None:
                return ""
            row = self.conn.execute("SELECT owner FROM claims WHERE key = ?", (key,)).fetchone()
            if row and row[0] != owner and _running(row[0]):
                return row[0]
            self.conn.execute("INSERT OR REPLACE INTO claims VALUES (?, ?, ?)", (key, owner, time.time()))
        return None

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
                article_id = self.conn.execute("INSERT INTO articles (url, written_at) VALUES (?, ?)",
                                               (article, now)).lastrowid
            return self._add_keys(article_id, (article, *aliases), now)

    def touch(self, url: str, modified: str | None) -> None:
        """The article's content did not change: store its new ``modified`` only."""
        with self._transaction():
            self.conn.execute("UPDATE articles SET modified = ? WHERE id = ?", (modified, self._id_of(url)))

    def mark_removed(self, url: str, when: float) -> None:
        """The article answered 404/410 or left the inventory at ``when`` (UNIX time)."""
        with self._transaction():
            self.conn.execute("UPDATE articles SET removed_at = ? WHERE id = ?", (when, self._id_of(url)))

    def clear(self) -> None:
        """Forget every article, key and walk."""
        with self._transaction():
            for table in ("keys", "articles", "walks"):
                self.conn.execute(f"DELETE FROM {table}")  # noqa: S608 (fixed names)

    def mark_walks(self, categories: Iterable[str] | None, complete: bool) -> None:
        """Mark ``categories`` (None: every category) complete or incomplete, committed."""
        now = time.time()
        with self._transaction():
            if categories is None:
                self.conn.execute("UPDATE walks SET complete = ?, updated_at = ?", (int(complete), now))
            else:
                self.conn.executemany(
                    "INSERT INTO walks VALUES (?, ?, ?) ON CONFLICT(category) DO UPDATE"
                    " SET complete = excluded.complete, updated_at = excluded.updated_at",
                    [(c, int(complete), now) for c in categories])

    # --- reading -------------------------------------------------------------------

    def __contains__(self, key: str) -> bool:
        """Whether ``key`` (a canonical URL, a request key or ``post:<id>``) names an article written."""
        return self._id_of(key) is not None

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

    def complete_walks(self) -> set[str]:
        """Category paths whose last walk was complete."""
        return {row[0] for row in self.conn.execute("SELECT category FROM walks WHERE complete = 1")}

    def close(self) -> None:
        self.conn.close()


def _running(owner: str) -> bool:
    """Whether the process of a claim's owner ("<spider>:<pid>", this host) is still there."""
    try:
        os.kill(int(owner.rsplit(":", 1)[1]), 0)
    except (ValueError, IndexError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True


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
