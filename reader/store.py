"""Every SQL statement Newsdesk runs: the schema, its migrations, and queries that return models.

One writer at a time (``BEGIN IMMEDIATE``), WAL so readers never wait, and user state (``read``,
``saved`` and their timestamps) in columns that a refresh never writes.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import threading
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence
from urllib.parse import urlsplit


from reader.models import (
    Clock,
    Enclosure,
    Feed,
    ParsedStory,
    Story,
    StoryFilter,
    StoryGroup,
    StoryRow,
    feed_locator,
    system_clock,
)

BUSY_TIMEOUT_S = 30.0
# How long keeping a computed summary waits for another writer (a refresh): not at all. It may run
# on the app's key path, and a summary not kept now is computed again next time.
CACHE_WRITE_WAIT_S = 0.0
# A published date further ahead than this is a broken clock; the story is dated when we saw it.
FUTURE_SLACK_S = 24 * 3600
SQL_CHUNK = 500
# A search listed newest first with at most this many matches sorts them all (a lookup each);
# with more, the first ones walk the date index from the top and stop after the limit.
SEARCH_SORT_MAX = 200


class StoreError(Exception):
    """A problem with the database a person can act on (wrong file, unknown id, duplicate feed)."""


class FeedExists(StoreError):
    def __init__(self, feed: Feed):
        super().__init__(f"already subscribed: {feed.url}")
        self.feed = feed


class MigrationList:
    """Numbered migrations, registered in order with ``@migrations(name=...)``.

    They are applied with sqlite-utils' ``Migrations``, which is imported only when one is pending:
    sqlite-utils costs ~100 ms to import, and an up-to-date database should not pay for it.
    """

    def __init__(self, name: str):
        self.name = name
        self.steps: list[tuple[str, Callable]] = []

    def __call__(self, *, name: str) -> Callable:
        def register(fn: Callable) -> Callable:
            self.steps.append((name, fn))
            return fn

        return register

    def applied(self, conn: sqlite3.Connection) -> list[str]:
        exists = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlite_migrations'"
        ).fetchone()
        if not exists:
            return []
        return [r[0] for r in conn.execute(
            "SELECT name FROM _sqlite_migrations WHERE migration_set = ? ORDER BY rowid", (self.name,)
        )]

    def pending(self, conn: sqlite3.Connection) -> list[str]:
        done = set(self.applied(conn))
        return [name for name, _ in self.steps if name not in done]

    def apply(self, conn: sqlite3.Connection) -> None:
        from sqlite_utils import Database
        from sqlite_utils.migrations import Migrations

        runner = Migrations(self.name)
        for name, fn in self.steps:
            runner(name=name)(fn)
        runner.apply(Database(conn, execute_plugins=False, recursive_triggers=False))


migrations = MigrationList("newsdesk")


@migrations(name="0001_initial")
def _m0001_initial(db) -> None:
    db.execute(
        """
        CREATE TABLE feeds (
            id INTEGER PRIMARY KEY,
            url TEXT NOT NULL UNIQUE,
            title TEXT,
            site_url TEXT,
            folder TEXT,
            etag TEXT,
            last_modified TEXT,
            last_fetched INTEGER,
            last_status INTEGER,
            last_error TEXT,
            consecutive_errors INTEGER NOT NULL DEFAULT 0,
            fetch_not_before INTEGER,
            disabled INTEGER NOT NULL DEFAULT 0,
            warning TEXT,
            added INTEGER NOT NULL
        )
        """
    )
    db.execute(
        """
        CREATE TABLE stories (
            id INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused: the search index's watermark needs it
            feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
            uid TEXT NOT NULL,
            url TEXT,
            title TEXT NOT NULL DEFAULT '',
            author TEXT,
            published INTEGER NOT NULL,
            updated INTEGER,
            summary TEXT NOT NULL DEFAULT '',
            content TEXT NOT NULL DEFAULT '',
            text TEXT NOT NULL DEFAULT '',
            enclosures TEXT,
            content_hash TEXT NOT NULL DEFAULT '',
            first_seen INTEGER NOT NULL,
            read INTEGER NOT NULL DEFAULT 0,
            read_at INTEGER,
            saved INTEGER NOT NULL DEFAULT 0,
            saved_at INTEGER,
            UNIQUE (feed_id, uid)
        )
        """
    )
    # list "all", newest first; also serves counting everything
    db.execute("CREATE INDEX idx_stories_published ON stories (published DESC, id DESC)")
    # list one feed newest first; per-feed totals; remove a feed's stories
    db.execute("CREATE INDEX idx_stories_feed ON stories (feed_id, published DESC, id DESC)")
    # list "unread" newest first; the unread count
    db.execute(
        "CREATE INDEX idx_stories_unread ON stories (published DESC, id DESC) WHERE read = 0"
    )
    # list one feed's unread stories; per-feed unread counts in the sidebar and `feeds`
    db.execute(
        "CREATE INDEX idx_stories_feed_unread ON stories (feed_id, published DESC, id DESC)"
        " WHERE read = 0"
    )
    # list "saved" newest first
    db.execute(
        "CREATE INDEX idx_stories_saved ON stories (published DESC, id DESC) WHERE saved = 1"
    )
    # feeds of a folder (folder views, sidebar grouping)
    db.execute("CREATE INDEX idx_feeds_folder ON feeds (folder)")
    # Full-text search over title and text. New stories are indexed in bulk, after a refresh or
    # before a search (Store.index_pending): one FTS5 insert per story costs twice as much. Stories
    # with ids up to fts_state.indexed_upto are in the index; the triggers keep those in step, and
    # fire only when title or text change, so marking 100,000 stories read does not touch the index.
    db.execute(
        "CREATE VIRTUAL TABLE stories_fts USING fts5("
        "title, text, content='stories', content_rowid='id', tokenize='porter unicode61')"
    )
    db.execute("CREATE TABLE fts_state (id INTEGER PRIMARY KEY CHECK (id = 1), indexed_upto INTEGER NOT NULL)")
    db.execute("INSERT INTO fts_state (id, indexed_upto) VALUES (1, 0)")
    db.execute(
        """
        CREATE TRIGGER stories_fts_delete AFTER DELETE ON stories
        WHEN old.id <= (SELECT indexed_upto FROM fts_state) BEGIN
            INSERT INTO stories_fts (stories_fts, rowid, title, text)
            VALUES ('delete', old.id, old.title, old.text);
        END
        """
    )
    db.execute(
        """
        CREATE TRIGGER stories_fts_update AFTER UPDATE OF title, text ON stories
        WHEN old.id <= (SELECT indexed_upto FROM fts_state) BEGIN
            INSERT INTO stories_fts (stories_fts, rowid, title, text)
            VALUES ('delete', old.id, old.title, old.text);
            INSERT INTO stories_fts (rowid, title, text) VALUES (new.id, new.title, new.text);
        END
        """
    )


@migrations(name="0002_articles")
def _m0002_articles(db) -> None:
    # A story's full article, extracted from its web page (reader.extract), or why it has none.
    db.execute(
        """
        CREATE TABLE articles (
            story_id INTEGER PRIMARY KEY REFERENCES stories(id) ON DELETE CASCADE,
            source TEXT NOT NULL, -- 'article': from the web page; 'feed': the feed's own text
            markdown BLOB, -- UTF-8, zlib-compressed when compressed = 1; NULL: none, see error
            compressed INTEGER NOT NULL DEFAULT 0,
            search TEXT, -- plain text added to the story's search entry; NULL: nothing added
            error TEXT, -- why the page's text is not used, in words the reading pane shows
            url TEXT, -- the page it came from, after redirects
            content_hash TEXT NOT NULL DEFAULT '', -- the story's content_hash when this was kept
            size INTEGER NOT NULL DEFAULT 0, -- bytes kept (markdown and search), for the cache cap
            fetched INTEGER NOT NULL
        )
        """
    )
    # prune_articles: the oldest go first
    db.execute("CREATE INDEX idx_articles_fetched ON articles (fetched)")
    # A story's search entry is its title, and its text followed by its article's. The index's
    # external content becomes a view that says so, so that FTS5's 'rebuild' and 'integrity-check'
    # see what was indexed. The search text is kept uncompressed because these triggers must give
    # FTS5 the exact text of an entry to delete it, and SQL cannot inflate zlib.
    db.execute(
        """
        CREATE VIEW stories_search AS
        SELECT s.id AS id, s.title AS title, s.text || COALESCE(char(10, 10) || a.search, '') AS text
        FROM stories s LEFT JOIN articles a ON a.story_id = s.id
        """
    )
    db.execute("DROP TABLE stories_fts")
    db.execute(
        "CREATE VIRTUAL TABLE stories_fts USING fts5("
        "title, text, content='stories_search', content_rowid='id', tokenize='porter unicode61')"
    )
    db.execute(
        "INSERT INTO stories_fts (rowid, title, text)"
        " SELECT id, title, text FROM stories WHERE id <= (SELECT indexed_upto FROM fts_state)"
    )
    # Still only when title or text change: marking stories read never touches the index.
    db.execute("DROP TRIGGER stories_fts_update")
    db.execute(
        """
        CREATE TRIGGER stories_fts_update AFTER UPDATE OF title, text ON stories
        WHEN old.id <= (SELECT indexed_upto FROM fts_state) BEGIN
            INSERT INTO stories_fts (stories_fts, rowid, title, text)
            VALUES ('delete', old.id, old.title, old.text || COALESCE(char(10, 10)
                    || (SELECT search FROM articles WHERE story_id = old.id), ''));
            INSERT INTO stories_fts (rowid, title, text)
            VALUES (new.id, new.title, new.text || COALESCE(char(10, 10)
                    || (SELECT search FROM articles WHERE story_id = new.id), ''));
        END
        """
    )
    # The article goes before its story, so that stories_fts_delete deletes the entry it indexed.
    db.execute(
        """
        CREATE TRIGGER stories_article_delete BEFORE DELETE ON stories BEGIN
            DELETE FROM articles WHERE story_id = old.id;
        END
        """
    )
    # Store.save_article indexes pending stories first, so an article's story is always indexed.
    db.execute(
        """
        CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles
        WHEN new.search IS NOT NULL AND new.story_id <= (SELECT indexed_upto FROM fts_state) BEGIN
            INSERT INTO stories_fts (stories_fts, rowid, title, text)
            SELECT 'delete', id, title, text FROM stories WHERE id = new.story_id;
            INSERT INTO stories_fts (rowid, title, text)
            SELECT id, title, text || char(10, 10) || new.search FROM stories WHERE id = new.story_id;
        END
        """
    )
    db.execute(
        """
        CREATE TRIGGER articles_fts_update AFTER UPDATE OF search ON articles
        WHEN old.search IS NOT new.search AND old.story_id <= (SELECT indexed_upto FROM fts_state)
        BEGIN
            INSERT INTO stories_fts (stories_fts, rowid, title, text)
            SELECT 'delete', id, title, text || COALESCE(char(10, 10) || old.search, '')
            FROM stories WHERE id = old.story_id;
            INSERT INTO stories_fts (rowid, title, text)
            SELECT id, title, text || COALESCE(char(10, 10) || new.search, '')
            FROM stories WHERE id = new.story_id;
        END
        """
    )
    db.execute(
        """
        CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles
        WHEN old.search IS NOT NULL AND old.story_id <= (SELECT indexed_upto FROM fts_state) BEGIN
            INSERT INTO stories_fts (stories_fts, rowid, title, text)
            SELECT 'delete', id, title, text || char(10, 10) || old.search
            FROM stories WHERE id = old.story_id;
            INSERT INTO stories_fts (rowid, title, text)
            SELECT id, title, text FROM stories WHERE id = old.story_id;
        END
        """
    )


@migrations(name="0003_groups")
def _m0003_groups(db) -> None:
    # Stories about one event (reader.cluster decides). Every grouped story has a group, most of
    # them a group of one; a story stored before this migration has none until group_pending.
    db.execute(
        """
        CREATE TABLE story_groups (
            id INTEGER PRIMARY KEY,
            story_id INTEGER NOT NULL, -- the earliest story: its title is the group's title
            stories INTEGER NOT NULL,
            feeds INTEGER NOT NULL, -- distinct feeds: the "N sources" a person sees
            published INTEGER NOT NULL, -- the earliest story's date
            latest INTEGER NOT NULL -- the newest story's date
        )
        """
    )
    # multi_source_groups: events told by several feeds, most recently updated first
    db.execute(
        "CREATE INDEX idx_groups_multi ON story_groups (latest DESC, id DESC) WHERE feeds > 1"
    )
    db.execute(
        """
        CREATE TABLE group_members (
            story_id INTEGER PRIMARY KEY REFERENCES stories(id) ON DELETE CASCADE,
            group_id INTEGER NOT NULL REFERENCES story_groups(id),
            feed_id INTEGER NOT NULL,
            published INTEGER NOT NULL,
            url_key INTEGER, -- 64-bit hash of the canonical URL
            vector TEXT NOT NULL, -- "term weight term weight ..." of title and lead, unit length
            marks TEXT NOT NULL -- names, "#numbers", "@places" ("^": in the title), "=copy keys"
        )
        """
    )
    # group_stories, group_feeds, and the recount when a story goes
    db.execute(
        "CREATE INDEX idx_group_members_group ON group_members (group_id, published, story_id)"
    )
    # group_url_matches: a story with the same canonical URL, however old
    db.execute(
        "CREATE INDEX idx_group_members_url ON group_members (url_key) WHERE url_key IS NOT NULL"
    )
    # generation: bumped on every grouping write, so an in-memory window knows when it is stale
    db.execute(
        "CREATE TABLE group_state (id INTEGER PRIMARY KEY CHECK (id = 1),"
        " generation INTEGER NOT NULL)"
    )
    db.execute("INSERT INTO group_state (id, generation) VALUES (1, 0)")
    db.execute(
        f"""
        CREATE TRIGGER group_members_delete AFTER DELETE ON group_members BEGIN
            DELETE FROM story_groups WHERE id = old.group_id
                AND NOT EXISTS (SELECT 1 FROM group_members WHERE group_id = old.group_id);
            UPDATE story_groups SET {Store.GROUP_RECOUNT.format(group="old.group_id")}
                WHERE id = old.group_id;
            UPDATE group_state SET generation = generation + 1;
        END
        """
    )


@migrations(name="0004_summaries")
def _m0004_summaries(db) -> None:
    # Summary bullets, computed once (reader.cluster) and kept with a key of what they were computed
    # from: text, title, whether the extracted article was used, for an event its member stories.
    # A different key means the inputs changed and the bullets are computed again.
    db.execute(
        """
        CREATE TABLE story_summaries (
            story_id INTEGER PRIMARY KEY REFERENCES stories(id) ON DELETE CASCADE,
            key TEXT NOT NULL,
            bullets TEXT NOT NULL -- JSON list of strings
        )
        """
    )
    db.execute(
        """
        CREATE TABLE group_summaries (
            group_id INTEGER PRIMARY KEY REFERENCES story_groups(id) ON DELETE CASCADE,
            key TEXT NOT NULL,
            bullets TEXT NOT NULL -- JSON list of strings
        )
        """
    )


FEED_COLUMNS = (
    "id, url, title, site_url, folder, etag, last_modified, last_fetched, last_status, last_error,"
    " consecutive_errors, fetch_not_before, disabled, warning, added"
)
# Columns a refresh may write on a feed; anything else is the user's.
REFRESH_FEED_FIELDS = frozenset(
    {
        "title",
        "site_url",
        "etag",
        "last_modified",
        "last_fetched",
        "last_status",
        "last_error",
        "consecutive_errors",
        "fetch_not_before",
        "disabled",
        "warning",
    }
)
STORY_ROW_COLUMNS = (
    "s.id, s.feed_id, f.title, s.title, s.published, s.read, s.saved, s.url, f.url"
)


def _feed(row: Sequence, unread: int = 0, total: int = 0) -> Feed:
    return Feed(
        id=row[0],
        url=row[1],
        title=row[2],
        site_url=row[3],
        folder=row[4],
        etag=row[5],
        last_modified=row[6],
        last_fetched=row[7],
        last_status=row[8],
        last_error=row[9],
        consecutive_errors=row[10],
        fetch_not_before=row[11],
        disabled=bool(row[12]),
        warning=row[13],
        added=row[14],
        unread=unread,
        total=total,
    )


def _story_row(row: Sequence) -> StoryRow:
    return StoryRow(
        id=row[0],
        feed_id=row[1],
        feed_title=row[2] or feed_locator(row[8]),  # (a feed without a title yet: its address)
        title=row[3],
        published=row[4],
        read=bool(row[5]),
        saved=bool(row[6]),
        url=row[7],
    )


def _enclosures_json(enclosures: Iterable[Enclosure]) -> str | None:
    items = [{"url": e.url, "type": e.type, "length": e.length} for e in enclosures]
    return json.dumps(items) if items else None


def _enclosures_from_json(value: str | None) -> tuple[Enclosure, ...]:
    if not value:
        return ()
    return tuple(Enclosure(e["url"], e.get("type") or "", e.get("length")) for e in json.loads(value))


# A search's parts: a quoted phrase (to a closing quote or the end) or a run of other characters,
# either with a leading "-" that leaves out the stories that have it.
_SEARCH_PART = re.compile(r'(-?)(?:"([^"]*)"?|([^\s"]+))')


def fts_query(text: str) -> str | None:
    """Turn what a person typed into a safe FTS5 query, read as a web search reads it: every word
    must match, the last as a prefix (the search runs while it is typed); "two words" in quotes must
    match side by side; -word or -"two words" leaves out the stories that have them. None when
    nothing is left to look for (a query of only left-out words included: FTS5 cannot ask for
    everything but).

    Only runs of letters and digits reach FTS5, each quoted, so its operators and stray quotes in
    the input are searched for as words, never parsed: no input can raise a syntax error.
    """
    wanted: list[str] = []
    unwanted: list[str] = []
    prefix_ok = False  # whether the input ends in a wanted word or phrase that may be unfinished
    for match in _SEARCH_PART.finditer(text):
        minus, phrase, bare = match.groups()
        words = re.findall(r"\w+", phrase if bare is None else bare, flags=re.UNICODE)
        if not words:
            continue
        if bare is None or minus:
            (unwanted if minus else wanted).append('"' + " ".join(words) + '"')
            # a phrase whose closing quote is not typed yet is still being typed
            prefix_ok = not minus and bare is None and not match.group(0).endswith('"', 1 + len(minus))
        else:
            wanted.extend(f'"{w}"' for w in words)
            prefix_ok = True
    if not wanted:
        return None
    if prefix_ok:
        wanted[-1] += "*"
    query = " ".join(wanted)
    if unwanted:
        query = f"({query}) NOT ({' OR '.join(unwanted)})"
    return query


def _chunks(seq: Sequence, size: int = SQL_CHUNK) -> Iterator[Sequence]:
    for i in range(0, len(seq), size):
        yield seq[i : i + size]


# Query parameters that only say where a click came from: links that differ in them are one page.
_TRACKING_PARAM = re.compile(r"(?:utm_\w*|fbclid|gclid|mc_cid|mc_eid)(?:=|$)", re.IGNORECASE)
UNTITLED = "(untitled)"  # what reader.parse calls a story without a title or text


def _canonical_link(url: str | None) -> str | None:
    """A story link reduced to the page it names, for recognising a story whose id changed:
    http or https, ``www.``, a default port, a trailing slash and tracking parameters do not count."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    host = (parts.hostname or "").removeprefix("www.")
    if not host:
        return None
    scheme = "" if parts.scheme.lower() in ("http", "https") else parts.scheme.lower() + ":"
    if port is not None and port not in (80, 443):
        host = f"{host}:{port}"
    query = "&".join(p for p in parts.query.split("&") if p and not _TRACKING_PARAM.match(p))
    link = scheme + host + parts.path.rstrip("/")
    if query:
        link += "?" + query
    if parts.fragment:
        link += "#" + parts.fragment
    return link


def _title_key(title: str | None) -> str | None:
    """A title as compared when recognising a story: case and spacing do not count."""
    key = " ".join((title or "").split()).casefold()
    return key if key and key != UNTITLED else None


class Store:
    """The Newsdesk database. Open one per thread; WAL lets many readers work beside one writer."""

    def __init__(self, path: str | os.PathLike[str], clock: Clock = system_clock):
        self.path = Path(path)
        self.clock = clock
        self._lock = threading.RLock()
        if str(self.path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        existed = self.path.exists() and self.path.stat().st_size > 0
        try:
            conn = sqlite3.connect(str(self.path), timeout=BUSY_TIMEOUT_S, check_same_thread=False)
            conn.execute("PRAGMA schema_version").fetchone()  # fails fast on a non-SQLite file
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path} is not a Newsdesk database ({exc})") from None
        self.conn = conn
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        conn.execute("PRAGMA foreign_keys = ON")
        if existed:
            self._check_ours()
        self._set_wal()
        conn.execute("PRAGMA synchronous = NORMAL")
        self._migrate(existed)

    # -- set-up -----------------------------------------------------------------------------

    def _check_ours(self) -> None:
        tables = {r[0] for r in self.conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if tables and "_sqlite_migrations" not in tables:
            raise StoreError(f"{self.path} is not a Newsdesk database (it has other tables)")

    def _set_wal(self) -> None:
        try:
            self.conn.execute("PRAGMA journal_mode = WAL").fetchone()
        except sqlite3.OperationalError:
            # another process holds the database mid-switch; it is already in WAL or soon will be
            pass

    def _migrate(self, existed: bool) -> None:
        pending = migrations.pending(self.conn)
        if not pending:
            return
        if existed and migrations.applied(self.conn):
            # Before the write lock: SQLite cannot back up from a connection mid-transaction.
            self._backup_before_migration(pending[0])
        # Hold the write lock for the whole upgrade, and look again once we have it: another
        # process may have migrated meanwhile. A kill mid-way rolls the whole upgrade back.
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            migrations.apply(self.conn)
        except BaseException:
            self.conn.rollback()
            raise
        else:
            self.conn.execute("COMMIT")

    def _backup_before_migration(self, first_pending: str) -> Path:
        target = self.path.with_name(f"{self.path.name}.before-{first_pending}.bak")
        # Copied to a new file, renamed once whole: a kill mid-copy must not leave a broken backup
        # in the way of the next attempt (SQLite cannot back up into it: "file is not a database").
        partial = target.with_name(target.name + ".partial")
        for leftover in (partial, partial.with_name(partial.name + "-journal")):
            leftover.unlink(missing_ok=True)
        backup = sqlite3.connect(str(partial))
        try:
            self.conn.backup(backup)
        finally:
            backup.close()
        os.replace(partial, target)
        return target

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def write(self) -> Iterator["Store"]:
        """One write transaction. BEGIN IMMEDIATE takes the write lock up front, so two processes
        wait for each other (busy timeout) instead of failing with "database is locked"."""
        with self._lock:
            if self.conn.in_transaction:
                yield self
                return
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self
            except BaseException:
                self.conn.rollback()
                raise
            else:
                self.conn.execute("COMMIT")

    @contextmanager
    def savepoint(self) -> Iterator["Store"]:
        """A part of a write transaction that fails alone: an exception undoes only what was
        written inside it (and propagates). Opens a transaction when none is open."""
        with self.write():
            self.conn.execute("SAVEPOINT part")
            try:
                yield self
            except BaseException:
                if self.conn.in_transaction:  # SQLite may have rolled back the whole transaction
                    self.conn.execute("ROLLBACK TO part")
                    self.conn.execute("RELEASE part")
                raise
            else:
                self.conn.execute("RELEASE part")

    def now(self) -> int:
        return int(self.clock())

    # -- feeds ------------------------------------------------------------------------------

    def add_feed(
        self,
        url: str,
        title: str | None = None,
        folder: str | None = None,
        site_url: str | None = None,
    ) -> Feed:
        existing = self.feed_by_url(url)
        if existing:
            raise FeedExists(existing)
        with self.write():
            cur = self.conn.execute(
                "INSERT INTO feeds (url, title, folder, site_url, added) VALUES (?, ?, ?, ?, ?)",
                (url, title or None, folder or None, site_url, self.now()),
            )
        feed = self.get_feed(cur.lastrowid)
        assert feed is not None
        return feed

    def get_feed(self, feed_id: int) -> Feed | None:
        row = self.conn.execute(f"SELECT {FEED_COLUMNS} FROM feeds WHERE id = ?", (feed_id,)).fetchone()
        return _feed(row) if row else None

    def feed_by_url(self, url: str) -> Feed | None:
        row = self.conn.execute(f"SELECT {FEED_COLUMNS} FROM feeds WHERE url = ?", (url,)).fetchone()
        return _feed(row) if row else None

    def find_feed(self, ref: str) -> Feed:
        """A feed named by its id, URL or title (case-insensitive); StoreError when none or many."""
        ref = ref.strip()
        if ref.isdigit():
            feed = self.get_feed(int(ref))
            if feed:
                return feed
        feed = self.feed_by_url(ref)
        if feed:
            return feed
        rows = self.conn.execute(
            f"SELECT {FEED_COLUMNS} FROM feeds WHERE lower(title) = lower(?)", (ref,)
        ).fetchall()
        if len(rows) == 1:
            return _feed(rows[0])
        if len(rows) > 1:
            raise StoreError(f"more than one feed is called {ref!r}; use its id or URL")
        raise StoreError(f"no such feed: {ref}")

    def list_feeds(self) -> list[Feed]:
        """Every feed with its unread and total counts, ordered by folder then title."""
        totals = dict(self.conn.execute("SELECT feed_id, count(*) FROM stories GROUP BY feed_id"))
        unread = dict(
            self.conn.execute(
                "SELECT feed_id, count(*) FROM stories INDEXED BY idx_stories_feed_unread"
                " WHERE read = 0 GROUP BY feed_id"
            )
        )
        rows = self.conn.execute(
            f"SELECT {FEED_COLUMNS} FROM feeds"
            " ORDER BY folder IS NOT NULL, lower(folder), lower(COALESCE(title, url))"
        )
        return [_feed(r, unread.get(r[0], 0), totals.get(r[0], 0)) for r in rows]

    def folders(self) -> list[str]:
        return [
            r[0]
            for r in self.conn.execute(
                "SELECT DISTINCT folder FROM feeds WHERE folder IS NOT NULL ORDER BY lower(folder)"
            )
        ]

    def due_feeds(self, feed_ids: Iterable[int] | None = None) -> list[Feed]:
        """Feeds a refresh should fetch now: not disabled and not asked to wait (Retry-After)."""
        now = self.now()
        feeds = self.list_feeds() if feed_ids is None else [self.get_feed(i) for i in feed_ids]
        return [
            f
            for f in feeds
            if f is not None
            and not f.disabled
            and (f.fetch_not_before is None or f.fetch_not_before <= now)
        ]

    def remove_feed(self, feed_id: int) -> None:
        with self.write():
            cur = self.conn.execute("DELETE FROM feeds WHERE id = ?", (feed_id,))
        if cur.rowcount == 0:
            raise StoreError(f"no such feed: {feed_id}")

    def set_feed_folder(self, feed_id: int, folder: str | None) -> None:
        with self.write():
            self.conn.execute("UPDATE feeds SET folder = ? WHERE id = ?", (folder or None, feed_id))

    def set_feed_title(self, feed_id: int, title: str | None) -> None:
        with self.write():
            self.conn.execute("UPDATE feeds SET title = ? WHERE id = ?", (title or None, feed_id))

    def enable_feed(self, feed_id: int) -> None:
        with self.write():
            self.conn.execute(
                "UPDATE feeds SET disabled = 0, fetch_not_before = NULL, consecutive_errors = 0"
                " WHERE id = ?",
                (feed_id,),
            )

    def update_feed(self, feed_id: int, **fields: object) -> None:
        """Write what a refresh learned about a feed. Only refresh-owned columns are accepted."""
        unknown = set(fields) - REFRESH_FEED_FIELDS
        if unknown:
            raise ValueError(f"not a refresh field: {', '.join(sorted(unknown))}")
        if not fields:
            return
        assignments = ", ".join(f"{name} = ?" for name in fields)
        with self.write():
            self.conn.execute(
                f"UPDATE feeds SET {assignments} WHERE id = ?", (*fields.values(), feed_id)
            )

    def change_feed_url(self, feed_id: int, new_url: str) -> bool:
        """Follow a permanent redirect. False (and nothing changed) when another feed has that URL."""
        if self.feed_by_url(new_url):
            return False
        with self.write():
            self.conn.execute("UPDATE feeds SET url = ? WHERE id = ?", (new_url, feed_id))
        return True

    # -- stories: writes from a refresh -----------------------------------------------------

    def save_stories(self, feed_id: int, stories: Sequence[ParsedStory]) -> tuple[int, int]:
        """Insert new stories and update changed ones; returns (new, updated).

        Never writes read/saved state. Stories missing from ``stories`` stay (history). Within one
        batch the first occurrence of an id wins, as feeds list their newest version first, and so
        does the first of several items with the same link, title and date. A story with a new id
        that is recognisably one already stored (``_recognise``) takes over that story, marks and
        all, instead of coming back as a new unread story.
        """
        unique: dict[str, ParsedStory] = {}
        seen: set[tuple] = set()
        # Items that share a link, title and date share the title and date: the link (a URL parse,
        # a tenth of the cost of storing a story) is worked out only for those.
        keys = [(_title_key(story.title), story.published) for story in stories]
        alike = Counter(keys)
        for story, key in zip(stories, keys):
            if story.uid in unique:
                continue
            link = _canonical_link(story.url) if alike[key] > 1 else None
            if link is not None:
                same = (link, *key)
                if same in seen:
                    continue
                seen.add(same)
            unique[story.uid] = story
        if not unique:
            return 0, 0
        now = self.now()
        with self.write():
            existing: dict[str, tuple[int, str, int]] = {}
            uids = list(unique)
            for chunk in _chunks(uids):
                marks = ",".join("?" * len(chunk))
                for sid, uid, chash, published in self.conn.execute(
                    f"SELECT id, uid, content_hash, published FROM stories"
                    f" WHERE feed_id = ? AND uid IN ({marks})",
                    (feed_id, *chunk),
                ):
                    existing[uid] = (sid, chash, published)
            if len(existing) < len(unique):
                existing.update(self._recognise(feed_id, unique, existing, now))
            inserts = []
            updates = []
            # Reversed, so the feed's first item gets the highest id: equal dates list in feed order.
            for uid in reversed(uids):
                story = unique[uid]
                published = story.published
                if published is not None and published > now + FUTURE_SLACK_S:
                    published = None
                enclosures = _enclosures_json(story.enclosures)
                old = existing.get(uid)
                if old is None:
                    inserts.append(
                        (
                            feed_id,
                            uid,
                            story.url,
                            story.title,
                            story.author,
                            published if published is not None else now,
                            story.updated,
                            story.summary,
                            story.content,
                            story.text,
                            enclosures,
                            story.content_hash,
                            now,
                        )
                    )
                elif old[1] != story.content_hash:
                    updates.append(
                        (
                            story.url,
                            story.title,
                            story.author,
                            published if published is not None else old[2],
                            story.updated,
                            story.summary,
                            story.content,
                            story.text,
                            enclosures,
                            story.content_hash,
                            old[0],
                        )
                    )
            self.conn.executemany(
                "INSERT INTO stories (feed_id, uid, url, title, author, published, updated, summary,"
                " content, text, enclosures, content_hash, first_seen)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                inserts,
            )
            self.conn.executemany(
                "UPDATE stories SET url = ?, title = ?, author = ?, published = ?, updated = ?,"
                " summary = ?, content = ?, text = ?, enclosures = ?, content_hash = ? WHERE id = ?",
                updates,
            )
        return len(inserts), len(updates)

    def _recognise(
        self,
        feed_id: int,
        incoming: dict[str, ParsedStory],
        known: dict[str, tuple[int, str, int]],
        now: int,
    ) -> dict[str, tuple[int, str, int]]:
        """Stored stories that incoming stories with unknown ids are, given those ids; as ``known``.

        Feeds change ids (a new CMS, http to https, a token in the guid); what a person read or
        saved must not come back unread. A match is the stored story with the same canonical link
        and the same title or date, else with the same title and date; only when exactly one stored
        and one incoming story have that link (or title and date), and the stored one is not in the
        batch under its own id.
        """

        def when(story: ParsedStory) -> int | None:
            published = story.published
            return None if published is not None and published > now + FUTURE_SLACK_S else published

        # Every match shares a title or a date with a stored story; new stories seldom do, so most
        # refreshes stop at these two queries instead of reading the feed's whole history.
        unknown = [story for uid, story in incoming.items() if uid not in known]
        titles = list({story.title for story in unknown if story.title})
        dates = list({d for d in map(when, unknown) if d is not None})
        if not self._feed_has(feed_id, "title", titles) and not self._feed_has(feed_id, "published", dates):
            return {}
        by_link: dict[str, list[tuple]] = {}
        by_title_date: dict[tuple, list[tuple]] = {}
        for row in self.conn.execute(
            "SELECT id, uid, url, title, published, content_hash FROM stories WHERE feed_id = ?",
            (feed_id,),
        ):
            link, title = _canonical_link(row[2]), _title_key(row[3])
            if link is not None:
                by_link.setdefault(link, []).append(row)
            if title is not None:
                by_title_date.setdefault((title, row[4]), []).append(row)
        links: dict[str, int] = {}
        titles_dates: dict[tuple, int] = {}
        for story in incoming.values():
            link, title = _canonical_link(story.url), _title_key(story.title)
            if link is not None:
                links[link] = links.get(link, 0) + 1
            if title is not None:
                titles_dates[(title, when(story))] = titles_dates.get((title, when(story)), 0) + 1
        found: dict[str, tuple[int, str, int]] = {}
        taken: set[int] = set()
        for uid, story in incoming.items():
            if uid in known:
                continue
            link, title, published = _canonical_link(story.url), _title_key(story.title), when(story)
            match = None
            same_link = by_link.get(link, ()) if link is not None and links[link] == 1 else ()
            if len(same_link) == 1:
                row = same_link[0]
                if (title is not None and _title_key(row[3]) == title) or (
                    published is not None and row[4] == published
                ):
                    match = row
            if match is None and title is not None and published is not None:
                same = by_title_date.get((title, published), ())
                if len(same) == 1 and titles_dates[(title, published)] == 1:
                    match = same[0]
            if match is None or match[1] in incoming or match[0] in taken:
                continue
            taken.add(match[0])
            found[uid] = (match[0], match[5], match[4])
        self.conn.executemany(
            "UPDATE stories SET uid = ? WHERE id = ?", [(uid, m[0]) for uid, m in found.items()]
        )
        return found

    def _feed_has(self, feed_id: int, column: str, values: list) -> bool:
        """Whether a story of the feed has one of these values in ``column`` (title, published)."""
        for chunk in _chunks(values):
            marks = ",".join("?" * len(chunk))
            if self.conn.execute(
                f"SELECT 1 FROM stories WHERE feed_id = ? AND {column} IN ({marks}) LIMIT 1",
                (feed_id, *chunk),
            ).fetchone():
                return True
        return False

    # -- stories: reads ---------------------------------------------------------------------

    def get_story(self, story_id: int) -> Story | None:
        row = self.conn.execute(
            "SELECT s.id, s.feed_id, s.uid, s.title, f.title, s.url, s.author,"
            " s.published, s.updated, s.summary, s.content, s.text, s.content_hash, s.first_seen,"
            " s.read, s.read_at, s.saved, s.saved_at, s.enclosures, f.url"
            " FROM stories s JOIN feeds f ON f.id = s.feed_id WHERE s.id = ?",
            (story_id,),
        ).fetchone()
        if row is None:
            return None
        return Story(
            id=row[0],
            feed_id=row[1],
            uid=row[2],
            title=row[3],
            feed_title=row[4] or feed_locator(row[19]),
            url=row[5],
            author=row[6],
            published=row[7],
            updated=row[8],
            summary=row[9],
            content=row[10],
            text=row[11],
            content_hash=row[12],
            first_seen=row[13],
            read=bool(row[14]),
            read_at=row[15],
            saved=bool(row[16]),
            saved_at=row[17],
            enclosures=_enclosures_from_json(row[18]),
        )

    def _where(self, flt: StoryFilter) -> tuple[str, list, str]:
        """WHERE clause, parameters and the index that serves a filter's newest-first listing."""
        clauses: list[str] = []
        params: list = []
        index = "idx_stories_published"
        if flt.state == "unread":
            clauses.append("s.read = 0")
            index = "idx_stories_unread"
        elif flt.state == "saved":
            clauses.append("s.saved = 1")
            index = "idx_stories_saved"
        if flt.feed_id is not None:
            clauses.append("s.feed_id = ?")
            params.append(flt.feed_id)
            index = "idx_stories_feed_unread" if flt.state == "unread" else "idx_stories_feed"
        elif flt.folder is not None:
            clauses.append("s.feed_id IN (SELECT id FROM feeds WHERE folder = ?)")
            params.append(flt.folder)
        where = " AND ".join(clauses) if clauses else "1"
        return where, params, index

    def index_pending(self) -> int:
        """Add stories stored since the last call to the search index, in one pass; returns how many."""
        upto = self.conn.execute("SELECT indexed_upto FROM fts_state").fetchone()[0]
        newest = self.conn.execute("SELECT COALESCE(max(id), 0) FROM stories").fetchone()[0]
        if newest <= upto:
            return 0
        with self.write():
            upto = self.conn.execute("SELECT indexed_upto FROM fts_state").fetchone()[0]
            cur = self.conn.execute(
                "INSERT INTO stories_fts (rowid, title, text)"
                " SELECT id, title, text FROM stories WHERE id > ? AND id <= ?",
                (upto, newest),
            )
            self.conn.execute("UPDATE fts_state SET indexed_upto = ?", (newest,))
        return cur.rowcount

    def story_ids(
        self, flt: StoryFilter = StoryFilter(), limit: int | None = None, *, newest_first: bool = False
    ) -> list[int]:
        """Ids of the stories a filter selects, in list order: newest first, a search best match
        first; ``newest_first`` lists a search newest first too (the app's search view), its
        search index used as a filter only, so ``limit`` stops early instead of ranking every match."""
        where, params, index = self._where(flt)
        lim = f" LIMIT {int(limit)}" if limit is not None else ""
        if flt.query is not None:
            match = fts_query(flt.query)
            if match is None:
                return []
            self.index_pending()
            if newest_first:
                # Few matches: look each one up and sort them. Many (a common word): walk the
                # filter's date index from the top and stop at the limit, 3 ms for 23,000 matches in
                # 100,000 stories instead of 12 ms looking them all up (and 30 ms ranking them).
                walk = limit is not None and self._matches_more_than(match, SEARCH_SORT_MAX)
                sql = (
                    f"SELECT s.id FROM stories s{f' INDEXED BY {index}' if walk else ''}"
                    f" WHERE s.id IN (SELECT rowid FROM stories_fts WHERE stories_fts MATCH ?) AND {where}"
                    f" ORDER BY s.published DESC, s.id DESC{lim}"
                )
            elif not params and where == "1":  # every story: the index alone answers (no join, 25k hits 60 → 30 ms)
                sql = f"SELECT rowid FROM stories_fts WHERE stories_fts MATCH ? ORDER BY rank{lim}"
            else:
                sql = (
                    "SELECT s.id FROM stories_fts JOIN stories s ON s.id = stories_fts.rowid"
                    f" WHERE stories_fts MATCH ? AND {where} ORDER BY stories_fts.rank{lim}"
                )
            return [r[0] for r in self.conn.execute(sql, (match, *params))]
        sql = (
            f"SELECT s.id FROM stories s INDEXED BY {index} WHERE {where}"
            f" ORDER BY s.published DESC, s.id DESC{lim}"
        )
        return [r[0] for r in self.conn.execute(sql, params)]

    def defer_checkpoints(self) -> None:
        """Never copy the write-ahead log into the database file during this connection's own
        commits. SQLite does that (and waits for the disk) in whichever commit takes the log past
        1,000 pages: for the app's connection, one keypress in a few hundred (marking read, say),
        and on a slow disk the wait is felt. Whoever defers must call ``checkpoint`` from
        elsewhere, as the app does from a worker; a refresh's connection checkpoints as usual."""
        self.conn.execute("PRAGMA wal_autocheckpoint = 0")

    def checkpoint(self) -> tuple[int, int]:
        """Copy what the write-ahead log holds into the database file as far as no reader needs
        it (a passive checkpoint: it never waits for other connections); returns (pages in the
        log, pages copied)."""
        _, log, copied = self.conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return log, copied

    def data_version(self) -> tuple[int, int]:
        """A token that changes whenever the data may have: a commit by another connection
        (``PRAGMA data_version``) or a change through this one. Equal tokens taken on this
        connection mean that what another connection read between them is still true here."""
        return self.conn.execute("PRAGMA data_version").fetchone()[0], self.conn.total_changes

    def _matches_more_than(self, match: str, n: int) -> bool:
        """Whether the search index holds more than ``n`` matches (it stops counting past that)."""
        # The last word as a whole word first: its matches are some of the prefix's, and FTS5 stops
        # counting them at n, where a prefix first merges the lists of every word it begins
        # ("market"*, 23,000 matches: 0.7 ms; "market": 0.03 ms).
        for query in (match[:-1], match) if match.endswith("*") else (match,):
            if self.conn.execute(
                "SELECT count(*) FROM (SELECT 1 FROM stories_fts WHERE stories_fts MATCH ? LIMIT ?)", (query, n + 1)
            ).fetchone()[0] > n:
                return True
        return False

    def story_rows(self, ids: Sequence[int]) -> list[StoryRow]:
        """List rows for the given ids, in the order given (ids that no longer exist are left out)."""
        found: dict[int, StoryRow] = {}
        for chunk in _chunks(list(ids)):
            marks = ",".join("?" * len(chunk))
            for row in self.conn.execute(
                f"SELECT {STORY_ROW_COLUMNS} FROM stories s JOIN feeds f ON f.id = s.feed_id"
                f" WHERE s.id IN ({marks})",
                chunk,
            ):
                found[row[0]] = _story_row(row)
        return [found[i] for i in ids if i in found]

    def list_stories(
        self, flt: StoryFilter = StoryFilter(), limit: int | None = None
    ) -> list[StoryRow]:
        return self.story_rows(self.story_ids(flt, limit))

    def count_stories(self, flt: StoryFilter = StoryFilter()) -> int:
        where, params, index = self._where(flt)
        if flt.query is not None:  # a count needs no ranking: ~3x cheaper than len(story_ids(flt))
            match = fts_query(flt.query)
            if match is None:
                return 0
            self.index_pending()
            if not params and where == "1":  # every story: the index alone counts (23,000 hits: 9 → 1 ms)
                return self.conn.execute(
                    "SELECT count(*) FROM stories_fts WHERE stories_fts MATCH ?", (match,)
                ).fetchone()[0]
            return self.conn.execute(
                "SELECT count(*) FROM stories s WHERE s.id IN"
                f" (SELECT rowid FROM stories_fts WHERE stories_fts MATCH ?) AND {where}",
                (match, *params),
            ).fetchone()[0]
        return self.conn.execute(
            f"SELECT count(*) FROM stories s INDEXED BY {index} WHERE {where}", params
        ).fetchone()[0]

    def unread_count(self, flt: StoryFilter = StoryFilter()) -> int:
        return self.count_stories(StoryFilter("unread", flt.feed_id, flt.folder, flt.query))

    def existing_story_ids(self, ids: Iterable[int]) -> list[int]:
        ids = list(ids)
        out: list[int] = []
        for chunk in _chunks(ids):
            marks = ",".join("?" * len(chunk))
            out.extend(r[0] for r in self.conn.execute(f"SELECT id FROM stories WHERE id IN ({marks})", chunk))
        return out

    # -- user state -------------------------------------------------------------------------

    def mark_read(self, ids: Iterable[int], read: bool = True) -> list[int]:
        """Set read state; returns the ids whose state changed (for undo). Committed at once."""
        ids = list(ids)
        changed: list[int] = []
        now = self.now()
        with self.write():
            for chunk in _chunks(ids):
                marks = ",".join("?" * len(chunk))
                rows = self.conn.execute(
                    f"UPDATE stories SET read = ?, read_at = ? WHERE id IN ({marks}) AND read != ?"
                    " RETURNING id",
                    (int(read), now if read else None, *chunk, int(read)),
                ).fetchall()
                changed.extend(r[0] for r in rows)
        return changed

    def mark_all_read(self, flt: StoryFilter = StoryFilter()) -> list[int]:
        """Mark every unread story a filter selects as read; returns the ids changed (for undo)."""
        with self.write():
            ids = self.story_ids(StoryFilter("unread", flt.feed_id, flt.folder, flt.query))
            if flt.state == "saved":
                saved = set(self.story_ids(StoryFilter("saved", flt.feed_id, flt.folder, flt.query)))
                ids = [i for i in ids if i in saved]
            return self.mark_read(ids, True)

    def mark_saved(self, ids: Iterable[int], saved: bool = True) -> list[int]:
        ids = list(ids)
        changed: list[int] = []
        now = self.now()
        with self.write():
            for chunk in _chunks(ids):
                marks = ",".join("?" * len(chunk))
                rows = self.conn.execute(
                    f"UPDATE stories SET saved = ?, saved_at = ? WHERE id IN ({marks}) AND saved != ?"
                    " RETURNING id",
                    (int(saved), now if saved else None, *chunk, int(saved)),
                ).fetchall()
                changed.extend(r[0] for r in rows)
        return changed

    def integrity_ok(self) -> bool:
        return self.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    # -- articles ---------------------------------------------------------------------------
    # A story's full article, or why it has none (reader.extract decides). Table, search view
    # and triggers: migration 0002_articles.

    def article(self, story_id: int) -> dict | None:
        """What is kept for a story's full article, or None: ``markdown`` (str or None), ``error``,
        ``source`` ("article" or "feed"), ``url``, ``fetched``, ``content_hash`` (the story's when
        it was kept) and ``story_hash`` (the story's now)."""
        import zlib

        row = self.conn.execute(
            "SELECT a.markdown, a.compressed, a.error, a.source, a.url, a.fetched, a.content_hash,"
            " s.content_hash FROM articles a JOIN stories s ON s.id = a.story_id WHERE a.story_id = ?",
            (story_id,),
        ).fetchone()
        if row is None:
            return None
        markdown = row[0]
        if markdown is not None:
            markdown = (zlib.decompress(markdown) if row[1] else bytes(markdown)).decode("utf-8")
        return {
            "markdown": markdown,
            "error": row[2],
            "source": row[3],
            "url": row[4],
            "fetched": row[5],
            "content_hash": row[6],
            "story_hash": row[7],
        }

    def save_article(
        self,
        story_id: int,
        *,
        source: str,
        markdown: str | None = None,
        search: str | None = None,
        error: str | None = None,
        url: str | None = None,
        content_hash: str = "",
        compress_over: int = 2048,
    ) -> None:
        """Keep a story's article (replacing what was kept). ``markdown`` longer than
        ``compress_over`` bytes is stored zlib-compressed; ``search`` (plain text) joins the story's
        search entry."""
        import zlib

        body, compressed = None, 0
        if markdown is not None:
            body = markdown.encode("utf-8")
            if len(body) > compress_over:
                body, compressed = zlib.compress(body, 6), 1
        size = (len(body) if body is not None else 0) + len((search or "").encode("utf-8"))
        with self.write():
            self.index_pending()  # the story's entry must exist before its article joins it
            self.conn.execute(
                "INSERT INTO articles (story_id, source, markdown, compressed, search, error, url,"
                " content_hash, size, fetched) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (story_id) DO UPDATE SET source = excluded.source,"
                " markdown = excluded.markdown, compressed = excluded.compressed,"
                " search = excluded.search, error = excluded.error, url = excluded.url,"
                " content_hash = excluded.content_hash, size = excluded.size,"
                " fetched = excluded.fetched",
                (story_id, source, body, compressed, search, error, url, content_hash, size, self.now()),
            )

    def stories_without_article(
        self,
        *,
        feed_ids: Sequence[int] | None = None,
        since: int | None = None,
        limit: int | None = None,
    ) -> list[int]:
        """Unread stories (of the given feeds, or all) with a web link and nothing kept for their
        article, first seen from ``since`` on, newest first: what reading ahead fetches."""
        clauses = [
            "s.read = 0",
            "(s.url LIKE 'http://%' OR s.url LIKE 'https://%')",
            "NOT EXISTS (SELECT 1 FROM articles a WHERE a.story_id = s.id)",
        ]
        params: list = []
        if feed_ids is not None:
            clauses.append(f"s.feed_id IN ({','.join('?' * len(feed_ids))})")
            params.extend(feed_ids)
        if since is not None:
            clauses.append("s.first_seen >= ?")
            params.append(since)
        lim = f" LIMIT {int(limit)}" if limit is not None else ""
        return [r[0] for r in self.conn.execute(
            f"SELECT s.id FROM stories s WHERE {' AND '.join(clauses)}"
            f" ORDER BY s.published DESC, s.id DESC{lim}",
            params,
        )]

    def prune_articles(self, *, fetched_before: int, max_bytes: int) -> int:
        """Remove kept articles fetched before ``fetched_before``, then the oldest until the rest
        take at most ``max_bytes``; a saved story's article always stays. Returns how many went."""
        unsaved = "story_id NOT IN (SELECT id FROM stories WHERE saved = 1)"
        with self.write():
            removed = self.conn.execute(
                f"DELETE FROM articles WHERE fetched < ? AND {unsaved}", (fetched_before,)
            ).rowcount
            total = self.conn.execute("SELECT COALESCE(sum(size), 0) FROM articles").fetchone()[0]
            if total > max_bytes:
                victims = []
                for story_id, size in self.conn.execute(
                    f"SELECT story_id, size FROM articles WHERE {unsaved} ORDER BY fetched, story_id"
                ):
                    if total <= max_bytes:
                        break
                    victims.append(story_id)
                    total -= size
                for chunk in _chunks(victims):
                    marks = ",".join("?" * len(chunk))
                    self.conn.execute(f"DELETE FROM articles WHERE story_id IN ({marks})", chunk)
                removed += len(victims)
        return removed

    def article_totals(self) -> tuple[int, int]:
        """How many articles are kept (with text), and the bytes everything kept takes."""
        return tuple(self.conn.execute(
            "SELECT count(markdown), COALESCE(sum(size), 0) FROM articles"
        ).fetchone())

    # -- groups -----------------------------------------------------------------------------
    # Stories about one event. reader.cluster decides who belongs together; these read and write
    # what it decided. Tables and indexes: migration 0003_groups.

    # A group's counts, representative (earliest) story and dates, from its members.
    GROUP_RECOUNT = """
        stories = (SELECT count(*) FROM group_members WHERE group_id = {group}),
        feeds = (SELECT count(DISTINCT feed_id) FROM group_members WHERE group_id = {group}),
        story_id = (SELECT story_id FROM group_members WHERE group_id = {group}
                    ORDER BY published, story_id LIMIT 1),
        published = (SELECT min(published) FROM group_members WHERE group_id = {group}),
        latest = (SELECT max(published) FROM group_members WHERE group_id = {group})"""

    def save_stories_ids(self, feed_id: int, stories: Sequence[ParsedStory]) -> tuple[list[int], int]:
        """``save_stories``, returning the ids of the new stories (to group them) and the updated count."""
        with self.write():
            # Ids only grow (AUTOINCREMENT) and we hold the write lock: the new ones are above this.
            before = self.conn.execute("SELECT COALESCE(max(id), 0) FROM stories").fetchone()[0]
            new, updated = self.save_stories(feed_id, stories)
            ids = []
            if new:
                ids = [r[0] for r in self.conn.execute(
                    "SELECT id FROM stories WHERE id > ? AND feed_id = ? ORDER BY id", (before, feed_id)
                )]
        return ids, updated

    def grouping_inputs(self, ids: Iterable[int], text_chars: int) -> list[tuple]:
        """(id, feed_id, published, url, title, start of text) of the given stories not yet grouped."""
        out: list[tuple] = []
        for chunk in _chunks(list(dict.fromkeys(ids))):
            marks = ",".join("?" * len(chunk))
            out.extend(self.conn.execute(
                f"SELECT s.id, s.feed_id, s.published, s.url, s.title, substr(s.text, 1, ?)"
                f" FROM stories s WHERE s.id IN ({marks})"
                " AND NOT EXISTS (SELECT 1 FROM group_members m WHERE m.story_id = s.id)",
                (text_chars, *chunk),
            ))
        return out

    def ungrouped_story_ids(self, since: int | None = None, limit: int | None = None) -> list[int]:
        """Stories without a group (stored before grouping existed), published from ``since`` on,
        the newest first (at most ``limit`` of them)."""
        return [r[0] for r in self.conn.execute(
            "SELECT id FROM stories WHERE published >= ?"
            " AND NOT EXISTS (SELECT 1 FROM group_members m WHERE m.story_id = stories.id)"
            " ORDER BY published DESC, id DESC LIMIT ?",
            (since if since is not None else -(2**62), limit if limit is not None else -1),
        )]

    def has_ungrouped(self) -> bool:
        """Whether any story has no group: two counts, cheaper than looking for one (a member is
        deleted with its story, so there are as many members as stories when all are grouped)."""
        return self.conn.execute(
            "SELECT (SELECT count(*) FROM stories) > (SELECT count(*) FROM group_members)"
        ).fetchone()[0] == 1

    def group_generation(self) -> int:
        return self.conn.execute("SELECT generation FROM group_state").fetchone()[0]

    def grouped_between(self, lo: int, hi: int) -> list[tuple]:
        """(story_id, group_id, feed_id, published, vector, marks) of grouped stories published in
        [lo, hi]."""
        # By the stories' date index, which exists anyway: one index fewer to write per story.
        return self.conn.execute(
            "SELECT m.story_id, m.group_id, m.feed_id, s.published, m.vector, m.marks"
            " FROM stories s INDEXED BY idx_stories_published"
            " JOIN group_members m ON m.story_id = s.id WHERE s.published BETWEEN ? AND ?",
            (lo, hi),
        ).fetchall()

    def group_feeds(self, group_ids: Iterable[int]) -> dict[int, set[int]]:
        """The feeds of every story of each group."""
        out: dict[int, set[int]] = {}
        for chunk in _chunks(list(group_ids)):
            marks = ",".join("?" * len(chunk))
            for group_id, feed_id in self.conn.execute(
                f"SELECT DISTINCT group_id, feed_id FROM group_members WHERE group_id IN ({marks})", chunk
            ):
                out.setdefault(group_id, set()).add(feed_id)
        return out

    def group_url_matches(self, keys: Iterable[int]) -> dict[int, int]:
        """For each URL key, the group of the earliest grouped story with it."""
        found: dict[int, tuple[int, int, int]] = {}
        for chunk in _chunks(list(keys)):
            marks = ",".join("?" * len(chunk))
            for key, published, story_id, group_id in self.conn.execute(
                "SELECT url_key, published, story_id, group_id FROM group_members"
                f" WHERE url_key IN ({marks})",
                chunk,
            ):
                if key not in found or (published, story_id) < found[key][:2]:
                    found[key] = (published, story_id, group_id)
        return {key: value[2] for key, value in found.items()}

    def next_group_id(self) -> int:
        return self.conn.execute("SELECT COALESCE(max(id), 0) + 1 FROM story_groups").fetchone()[0]

    def save_grouping(
        self,
        new_groups: Sequence[tuple[int, int, int, int, int, int]],
        members: Sequence[tuple[int, int, int, int, int | None, str, str]],
        grown: Sequence[tuple[int, int, int, int, int, int]] = (),
        merges: Sequence[tuple[int, int]] = (),
    ) -> int:
        """Write one grouping pass; returns the new grouping generation.

        ``new_groups``: (id, story_id, stories, feeds, published, latest); ``members``: (story_id,
        group_id, feed_id, published, url_key, vector, marks); ``merges``: (group, into), stored
        groups: every story of the first moves to the second, whose counts add the first's, and
        the first is deleted; ``grown``: (id, stories added, feeds now, the earliest added story's
        published and id, the latest added published) of stored groups that gained stories. Counts
        are added, never recounted from the members: a big group's recount on every refresh would
        grow with its size.
        """
        with self.write():
            self.conn.executemany(
                "INSERT INTO story_groups (id, story_id, stories, feeds, published, latest)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                new_groups,
            )
            self.conn.executemany(
                "INSERT INTO group_members"
                " (story_id, group_id, feed_id, published, url_key, vector, marks)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                members,
            )
            for gone, into in merges:
                self.conn.execute(
                    "UPDATE story_groups SET (stories, story_id, published, latest) ="
                    " (SELECT story_groups.stories + o.stories,"
                    "   CASE WHEN (o.published, o.story_id) < (story_groups.published, story_groups.story_id)"
                    "   THEN o.story_id ELSE story_groups.story_id END,"
                    "   min(story_groups.published, o.published), max(story_groups.latest, o.latest)"
                    "  FROM story_groups o WHERE o.id = ?2)"
                    " WHERE id = ?1",
                    (into, gone),
                )
                self.conn.execute("UPDATE group_members SET group_id = ? WHERE group_id = ?", (into, gone))
                self.conn.execute("DELETE FROM story_groups WHERE id = ?", (gone,))
            self.conn.executemany(
                "UPDATE story_groups SET stories = stories + ?2, feeds = ?3,"
                " story_id = CASE WHEN (?4, ?5) < (published, story_id) THEN ?5 ELSE story_id END,"
                " published = min(published, ?4), latest = max(latest, ?6) WHERE id = ?1",
                grown,
            )
            return self.conn.execute(
                "UPDATE group_state SET generation = generation + 1 RETURNING generation"
            ).fetchone()[0]

    def _groups(self, rows: Sequence[Sequence]) -> dict[int, StoryGroup]:
        """StoryGroups from (id, feeds, published, latest, title) rows, with their story ids."""
        members: dict[int, list[int]] = {}
        for chunk in _chunks([r[0] for r in rows]):
            marks = ",".join("?" * len(chunk))
            for group_id, story_id in self.conn.execute(
                f"SELECT group_id, story_id FROM group_members WHERE group_id IN ({marks})"
                " ORDER BY group_id, published, story_id",
                chunk,
            ):
                members.setdefault(group_id, []).append(story_id)
        return {
            r[0]: StoryGroup(id=r[0], story_ids=tuple(members.get(r[0], ())), feeds=r[1],
                             title=r[4], published=r[2], latest=r[3])
            for r in rows
        }

    _GROUP_COLUMNS = "g.id, g.feeds, g.published, g.latest, s.title"

    def get_group(self, group_id: int) -> StoryGroup | None:
        rows = self.conn.execute(
            f"SELECT {self._GROUP_COLUMNS} FROM story_groups g JOIN stories s ON s.id = g.story_id"
            " WHERE g.id = ?",
            (group_id,),
        ).fetchall()
        return self._groups(rows).get(group_id)

    def group_of(self, story_id: int) -> StoryGroup | None:
        """The group of a story when it has other stories; None for a story that stands alone."""
        return self.groups_of([story_id]).get(story_id)

    def groups_of(self, story_ids: Iterable[int]) -> dict[int, StoryGroup]:
        """For each given story in a group of two or more stories, that group (for a list's rows)."""
        of_story: dict[int, int] = {}
        rows: dict[int, Sequence] = {}
        for chunk in _chunks(list(story_ids)):
            marks = ",".join("?" * len(chunk))
            for row in self.conn.execute(
                f"SELECT m.story_id, {self._GROUP_COLUMNS} FROM group_members m"
                " JOIN story_groups g ON g.id = m.group_id JOIN stories s ON s.id = g.story_id"
                f" WHERE m.story_id IN ({marks}) AND g.stories > 1",
                chunk,
            ):
                of_story[row[0]] = row[1]
                rows[row[1]] = row[1:]
        groups = self._groups(list(rows.values()))
        return {story_id: groups[group_id] for story_id, group_id in of_story.items()}

    def group_stories(self, group_id: int) -> list[StoryRow]:
        """The stories of a group as list rows, earliest first."""
        ids = [r[0] for r in self.conn.execute(
            "SELECT story_id FROM group_members WHERE group_id = ? ORDER BY published, story_id",
            (group_id,),
        )]
        return self.story_rows(ids)

    def multi_source_groups(self, limit: int | None = None) -> list[StoryGroup]:
        """Events told by two or more feeds, the most recently updated first."""
        lim = f" LIMIT {int(limit)}" if limit is not None else ""
        rows = self.conn.execute(
            f"SELECT {self._GROUP_COLUMNS} FROM story_groups g INDEXED BY idx_groups_multi"
            " JOIN stories s ON s.id = g.story_id"
            f" WHERE g.feeds > 1 ORDER BY g.latest DESC, g.id DESC{lim}"
        ).fetchall()
        groups = self._groups(rows)
        return [groups[r[0]] for r in rows]

    # -- app ---------------------------------------------------------------------------------

    def next_unread_id(
        self, flt: StoryFilter, published: int, story_id: int, backwards: bool = False
    ) -> int | None:
        """The nearest unread story after (``backwards``: before) the one at (published, id) in a
        filter's newest-first order, found with the unread index whatever the distance; None when
        there is none. Not for searches, which are ordered by rank."""
        where, params, index = self._where(StoryFilter("unread", flt.feed_id, flt.folder))
        if flt.state == "saved":
            where += " AND s.saved = 1"
        step, order = (">", "ASC") if backwards else ("<", "DESC")
        row = self.conn.execute(
            f"SELECT s.id FROM stories s INDEXED BY {index} WHERE {where}"
            f" AND (s.published, s.id) {step} (?, ?) ORDER BY s.published {order}, s.id {order} LIMIT 1",
            (*params, published, story_id),
        ).fetchone()
        return row[0] if row else None

    def event_members(self, flt: StoryFilter = StoryFilter()) -> list[tuple[int, int, int]]:
        """(story_id, group_id, feeds) of the stories in a filter's scope (everything, a folder or
        a feed) that belong to an event told by several feeds, so the story list can show each
        event once. Read state and search are not applied: the caller holds the listed ids.

        Without a feed, the rows come event by event (the most recently updated first), each
        event's stories oldest first; for one feed, in the feed's list order."""
        sql, params = self._event_members_query(flt)
        return self.conn.execute(sql, params).fetchall()

    def event_members_of(self, story_ids: Sequence[int]) -> list[tuple[int, int, int]]:
        """``event_members`` for the given stories (a search's few results), by primary keys."""
        out: list[tuple[int, int, int]] = []
        for chunk in _chunks(list(story_ids)):
            marks = ",".join("?" * len(chunk))
            out.extend(self.conn.execute(
                "SELECT m.story_id, g.id, g.feeds FROM group_members m"
                f" JOIN story_groups g ON g.id = m.group_id WHERE m.story_id IN ({marks}) AND g.feeds > 1",
                chunk,
            ))
        return out

    def _event_members_query(self, flt: StoryFilter) -> tuple[str, list]:
        if flt.feed_id is not None:
            # One feed's stories by its index, each one's group by primary keys.
            return (
                "SELECT m.story_id, g.id, g.feeds FROM stories s INDEXED BY idx_stories_feed"
                " CROSS JOIN group_members m ON m.story_id = s.id"
                " CROSS JOIN story_groups g ON g.id = m.group_id WHERE s.feed_id = ? AND g.feeds > 1"
                " ORDER BY s.published DESC, s.id DESC",
                [flt.feed_id],
            )
        # Only multi-feed events (idx_groups_multi) and their members (idx_group_members_group):
        # the cost follows the events, no story row is read, and the indexes give the order.
        where = "g.feeds > 1"
        params: list = []
        if flt.folder is not None:
            where += " AND m.feed_id IN (SELECT id FROM feeds WHERE folder = ?)"
            params.append(flt.folder)
        return (
            "SELECT m.story_id, g.id, g.feeds FROM story_groups g INDEXED BY idx_groups_multi"
            f" CROSS JOIN group_members m ON m.group_id = g.id WHERE {where}"
            " ORDER BY g.latest DESC, g.id DESC, m.published, m.story_id",
            params,
        )

    # -- summaries ---------------------------------------------------------------------------
    # Bullets kept per story and per event, each with the key of its inputs; reader.cluster makes
    # the key and the bullets. Tables: migration 0004_summaries.

    def article_text(self, story_id: int) -> str | None:
        """The plain text of a story's extracted article (what search indexes), or None when it has
        none: not fetched yet, pruned, or the feed's own text is what the story has."""
        row = self.conn.execute(
            "SELECT search FROM articles WHERE story_id = ? AND source = 'article'", (story_id,)
        ).fetchone()
        return row[0] if row else None

    def cached_story_summary(self, story_id: int, key: str) -> list[str] | None:
        """The bullets kept for a story under ``key``; None when none are, or under another key."""
        return self._cached("story_summaries", "story_id", story_id, key)

    def cached_group_summary(self, group_id: int, key: str) -> list[str] | None:
        """The bullets kept for an event (a group) under ``key``; None otherwise."""
        return self._cached("group_summaries", "group_id", group_id, key)

    def keep_story_summary(self, story_id: int, key: str, bullets: Sequence[str]) -> bool:
        """Keep a story's bullets under ``key``, replacing any; False when another connection was
        writing (a refresh) and nothing was kept: keeping never waits."""
        return self._keep("story_summaries", "story_id", story_id, key, bullets)

    def keep_group_summary(self, group_id: int, key: str, bullets: Sequence[str]) -> bool:
        """Keep an event's bullets under ``key``, replacing any; False as for keep_story_summary."""
        return self._keep("group_summaries", "group_id", group_id, key, bullets)

    def _cached(self, table: str, column: str, ident: int, key: str) -> list[str] | None:
        row = self.conn.execute(
            f"SELECT bullets FROM {table} WHERE {column} = ? AND key = ?", (ident, key)
        ).fetchone()
        return json.loads(row[0]) if row else None

    def _keep(self, table: str, column: str, ident: int, key: str, bullets: Sequence[str]) -> bool:
        owner = "stories" if column == "story_id" else "story_groups"
        with self._lock:
            self.conn.execute(f"PRAGMA busy_timeout = {int(CACHE_WRITE_WAIT_S * 1000)}")
            try:
                with self.write():
                    # Only while the story or group is there: a refresh may have removed it since.
                    self.conn.execute(
                        f"INSERT INTO {table} ({column}, key, bullets) SELECT ?, ?, ?"
                        f" WHERE EXISTS (SELECT 1 FROM {owner} WHERE id = ?)"
                        f" ON CONFLICT ({column}) DO UPDATE SET key = excluded.key,"
                        " bullets = excluded.bullets",
                        (ident, key, json.dumps(list(bullets), ensure_ascii=False), ident),
                    )
                return True
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                return False
            finally:
                self.conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
