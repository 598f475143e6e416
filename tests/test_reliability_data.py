"""Data safety: kill -9 at the worst moments, two processes at once, backups before migrations, and
read/saved marks that survive a feed changing its ids, links or content.

The kill tests run the real thing in a subprocess (``newsdesk refresh``, a Store migrating, a
mark-all-read), wait until it is demonstrably inside its write, SIGKILL it, and look at the file.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from reader import store as store_module
from reader.fetch import FetchLimits
from reader.models import ParsedStory, StoryFilter
from reader.refresh import refresh
from reader.store import Store, _canonical_link
from tests.conftest import T0
from tests.test_reliability_documents import channel, item

ROOT = str(Path(__file__).resolve().parents[1])
LIMITS = FetchLimits(connect_timeout=2, read_timeout=5, total_timeout=20)


def integrity(db_path) -> str:
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def marks(db_path) -> tuple[set[int], set[int]]:
    """(ids read, ids saved), read with a plain connection."""
    conn = sqlite3.connect(db_path)
    try:
        read = {r[0] for r in conn.execute("SELECT id FROM stories WHERE read = 1")}
        saved = {r[0] for r in conn.execute("SELECT id FROM stories WHERE saved = 1")}
        return read, saved
    finally:
        conn.close()


def count(db_path, sql: str = "SELECT count(*) FROM stories", args=()) -> int:
    conn = sqlite3.connect(db_path, timeout=30)
    try:
        return conn.execute(sql, args).fetchone()[0]
    finally:
        conn.close()


def start(args: list[str], **kw) -> subprocess.Popen:
    """A subprocess in its own process group, so that everything it starts can be cleaned up."""
    return subprocess.Popen(args, cwd=ROOT, start_new_session=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kw)


def kill_hard(proc: subprocess.Popen) -> None:
    """SIGKILL the process (as the OOM killer or `kill -9` would), then whatever it started."""
    proc.kill()
    proc.wait(timeout=10)
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def wait_for_line(proc: subprocess.Popen, text: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if text in line:
            return
        if not line and proc.poll() is not None:
            raise AssertionError(f"exited {proc.returncode} before {text!r}: {proc.stderr.read()}")
    raise AssertionError(f"no {text!r} within {timeout} s")


def newsdesk(*args: str) -> list[str]:
    return [sys.executable, "-m", "reader", *args]


# -- kill -9 during a refresh ---------------------------------------------------------------------


def feed_document(n: int, version: int, items: int = 20) -> str:
    # each version adds `items` new stories and rewrites the text of the earlier ones
    stories = [item(f"{n}-{v}-{i}", f"Feed {n} story {v}.{i}", f"https://f{n}.example/{v}/{i}",
                    T0 - 3600 * (10 - v) - i, description=f"Version {version} of story {v}.{i}")
               for v in range(version, -1, -1) for i in range(items)]
    return channel(stories, title=f"Feed {n}")


@pytest.mark.slow
def test_kill_9_during_refresh_loses_no_mark_and_leaves_a_sound_database(server, db_path, clock):
    feeds = 12
    with Store(db_path, clock=clock) as store:
        for n in range(feeds):
            store.add_feed(server.add(f"/f{n}.xml", feed_document(n, 0), etag=False))
    # refreshes run as `newsdesk refresh` does: in a fresh process, whose parsers start by fork
    assert subprocess.run(newsdesk("--db", str(db_path), "refresh"), cwd=ROOT, timeout=60).returncode == 0
    with Store(db_path, clock=clock) as store:
        ids = store.story_ids()
        store.mark_read(ids[::3])
        store.mark_saved(ids[::7])
    made_during: set[int] = set()
    for version, wait in ((1, 0.0), (2, 0.1), (3, 0.25)):
        for n in range(feeds):  # new stories and changed text, some answered slowly
            server.add(f"/f{n}.xml", feed_document(n, version), etag=False, delay=0.1 * (n % 6))
        before_read, before_saved = marks(db_path)
        stored_before = count(db_path)
        proc = start(newsdesk("--db", str(db_path), "refresh"))
        try:
            while count(db_path) == stored_before and proc.poll() is None:
                time.sleep(0.01)  # until the first feed is written
            with Store(db_path) as app:  # a mark made while the refresh runs
                extra = app.story_ids(StoryFilter("unread"), limit=1)
                app.mark_read(extra)
                app.mark_saved(extra)
                made_during.update(extra)
            time.sleep(wait)
            assert proc.poll() is None, "the refresh finished before the kill"
        finally:
            kill_hard(proc)
        assert integrity(db_path) == "ok"
        read, saved = marks(db_path)
        assert before_read | made_during <= read and before_saved | made_during <= saved
        # each feed is stored whole or not at all: one transaction per feed
        conn = sqlite3.connect(db_path)
        per_feed = conn.execute("SELECT feed_id, count(*) FROM stories GROUP BY feed_id").fetchall()
        conn.close()
        assert all(c % 20 == 0 for _, c in per_feed), per_feed
        assert stored_before < count(db_path) < feeds * 20 * (version + 1)  # killed part-way
    finish = subprocess.run(newsdesk("--db", str(db_path), "refresh"), cwd=ROOT, timeout=60,
                            capture_output=True, text=True)
    assert finish.returncode == 0, finish.stderr  # and a refresh afterwards finishes the job
    assert count(db_path) == feeds * 20 * 4
    read, saved = marks(db_path)
    assert before_read | made_during <= read and before_saved | made_during <= saved
    assert integrity(db_path) == "ok"


# -- kill -9 during a migration -------------------------------------------------------------------

SLOW_MIGRATION = textwrap.dedent(
    """
    import sys, time
    from reader import store as store_module

    @store_module.migrations(name="9999_slow_rewrite")
    def _slow(db):
        # an upgrade that rewrites every story, announcing itself once it has started writing
        db.execute("ALTER TABLE stories ADD COLUMN rewritten INTEGER")
        ids = [r[0] for r in db.execute("SELECT id FROM stories")]
        for n, story_id in enumerate(ids):
            db.execute("UPDATE stories SET rewritten = 1, title = title || ' (rewritten)' WHERE id = ?",
                       [story_id])
            if n == 10:
                print("migrating", flush=True)
            if sys.argv[2] == "slow":
                time.sleep(0.01)

    store_module.Store(sys.argv[1]).close()
    print("migrated", flush=True)
    """
)


def seeded(db_path, clock, stories: int = 300) -> tuple[set[int], set[int]]:
    with Store(db_path, clock=clock) as store:
        feed = store.add_feed("https://seed.example/feed", title="Seed")
        store.save_stories(feed.id, [ParsedStory(uid=f"s{i}", title=f"Story {i}", published=T0 - i,
                                                 content_hash=str(i)) for i in range(stories)])
        ids = store.story_ids()
        store.mark_read(ids[::2])
        store.mark_saved(ids[::5])
    return marks(db_path)


@pytest.mark.slow
def test_kill_9_during_a_migration_rolls_it_back_and_keeps_the_backup(db_path, clock):
    read, saved = seeded(db_path, clock)
    proc = start([sys.executable, "-c", SLOW_MIGRATION, str(db_path), "slow"])
    try:
        wait_for_line(proc, "migrating")
        time.sleep(0.2)
    finally:
        kill_hard(proc)
    assert integrity(db_path) == "ok"
    with Store(db_path, clock=clock) as store:  # the app still opens it, as it was
        assert "rewritten" not in {r[1] for r in store.conn.execute("PRAGMA table_info(stories)")}
        assert "9999_slow_rewrite" not in store_module.migrations.applied(store.conn)
        assert not any(r.title.endswith("(rewritten)") for r in store.list_stories())
    assert marks(db_path) == (read, saved)
    backup = db_path.with_name(f"{db_path.name}.before-9999_slow_rewrite.bak")
    assert integrity(backup) == "ok" and marks(backup) == (read, saved)

    proc = start([sys.executable, "-c", SLOW_MIGRATION, str(db_path), "fast"])
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0 and "migrated" in out, err
    assert marks(db_path) == (read, saved)
    assert count(db_path, "SELECT count(*) FROM stories WHERE rewritten = 1") == 300


def test_a_half_written_backup_left_by_a_kill_does_not_stop_the_next_upgrade(db_path, clock, monkeypatch):
    read, saved = seeded(db_path, clock, stories=20)
    extra = store_module.MigrationList("newsdesk")
    extra.steps = list(store_module.migrations.steps)

    @extra(name="9998_add_column")
    def _add(db):
        db.execute("ALTER TABLE feeds ADD COLUMN reliability_test TEXT")

    monkeypatch.setattr(store_module, "migrations", extra)
    backup = db_path.with_name(f"{db_path.name}.before-9998_add_column.bak")
    backup.write_bytes(b"SQLite format 3\x00" + bytes(3000))  # what a kill mid-copy can leave
    with Store(db_path, clock=clock) as store:
        assert "reliability_test" in {r[1] for r in store.conn.execute("PRAGMA table_info(feeds)")}
    assert integrity(backup) == "ok" and marks(backup) == (read, saved)
    assert not list(db_path.parent.glob("*.partial*"))


def test_the_backup_holds_what_is_only_in_the_write_ahead_log(db_path, clock, monkeypatch):
    read, saved = seeded(db_path, clock, stories=20)
    holder = sqlite3.connect(db_path)  # an open reader keeps the WAL from being checkpointed away
    holder.execute("PRAGMA wal_autocheckpoint = 0")
    holder.execute("UPDATE stories SET saved = 1 WHERE id = (SELECT max(id) FROM stories)")
    holder.commit()
    saved_now = marks(db_path)[1]
    assert Path(f"{db_path}-wal").stat().st_size > 0
    extra = store_module.MigrationList("newsdesk")
    extra.steps = list(store_module.migrations.steps)
    extra(name="9997_noop")(lambda db: None)
    monkeypatch.setattr(store_module, "migrations", extra)
    Store(db_path, clock=clock).close()
    holder.close()
    backup = db_path.with_name(f"{db_path.name}.before-9997_noop.bak")
    assert marks(backup) == (read, saved_now)


# -- kill -9 during mark-all-read -----------------------------------------------------------------

MARK_ALL = textwrap.dedent(
    """
    import sys, time
    from reader.store import Store

    store = Store(sys.argv[1])
    announced = False

    def trace(sql):
        global announced
        if sql.startswith("UPDATE stories SET read"):
            if not announced:
                print("marking", flush=True)
                announced = True
            time.sleep(0.005)  # 200 chunks of 500: the kill lands mid-way

    store.conn.set_trace_callback(trace)
    changed = store.mark_all_read()
    print("done", len(changed), flush=True)
    """
)


def many_stories(db_path, clock, n: int = 100_000) -> None:
    with Store(db_path, clock=clock) as store:
        feed = store.add_feed("https://many.example/feed", title="Many")
        with store.write():
            store.conn.executemany(
                "INSERT INTO stories (feed_id, uid, title, published, first_seen, content_hash)"
                " VALUES (?, ?, ?, ?, ?, '')",
                ((feed.id, f"u{i}", f"Story {i}", T0 - i, T0) for i in range(n)),
            )


@pytest.mark.slow
def test_kill_9_during_mark_all_read_leaves_all_or_nothing(db_path, clock):
    many_stories(db_path, clock)
    with Store(db_path, clock=clock) as store:
        ids = store.story_ids(limit=5000)
        store.mark_read(ids[::2])
        store.mark_saved(ids[::3])
    read, saved = marks(db_path)
    proc = start([sys.executable, "-c", MARK_ALL, str(db_path)])
    try:
        wait_for_line(proc, "marking")
        time.sleep(0.3)
        assert proc.poll() is None, "mark-all-read finished before the kill"
    finally:
        kill_hard(proc)
    assert integrity(db_path) == "ok"
    assert marks(db_path) == (read, saved)  # rolled back whole: not half the list read
    with Store(db_path, clock=clock) as store:
        assert len(store.mark_all_read()) == 100_000 - len(read)
        assert store.unread_count() == 0
    assert marks(db_path)[1] == saved


# -- two processes at once ------------------------------------------------------------------------

APP_WRITER = textwrap.dedent(
    """
    import sys, time
    from reader.store import Store

    # like the app: one Store held open, reading the list and writing marks as keys are pressed
    store = Store(sys.argv[1])
    stop = time.monotonic() + float(sys.argv[2])
    done = 0
    try:
        while time.monotonic() < stop:
            ids = store.story_ids(limit=400)
            for story_id in ids[done % 7::7][:5]:
                store.mark_read([story_id])
                store.mark_saved([story_id]) if story_id % 2 else None
                print("marked", story_id, flush=True)
                done += 1
            time.sleep(0.005)
    except Exception as exc:
        print("ERROR", type(exc).__name__, exc, flush=True)
        sys.exit(1)
    print("finished", done, flush=True)
    """
)


@pytest.mark.slow
def test_the_app_writing_marks_while_two_refreshes_run_never_locks_or_loses_a_write(
    server, db_path, clock
):
    feeds = 16
    with Store(db_path, clock=clock) as store:
        for n in range(feeds):
            store.add_feed(server.add(f"/f{n}.xml", feed_document(n, 0), etag=False))
    refresh(db_path, clock=clock, limits=LIMITS)
    for n in range(feeds):
        server.add(f"/f{n}.xml", feed_document(n, 2), etag=False, delay=0.02 * (n % 5))
    app = start([sys.executable, "-c", APP_WRITER, str(db_path), "3"])
    first = start(newsdesk("--db", str(db_path), "refresh"))
    time.sleep(0.2)
    second = start(newsdesk("--db", str(db_path), "refresh"))
    results = {}
    try:
        for name, proc in (("first", first), ("second", second), ("app", app)):
            out, err = proc.communicate(timeout=60)
            results[name] = (proc.returncode, out, err)
    finally:
        for proc in (app, first, second):
            if proc.poll() is None:
                kill_hard(proc)
    for name, (code, out, err) in results.items():
        assert "locked" not in out + err, (name, out, err)
        assert code == 0, (name, out, err)
    marked = [int(line.split()[1]) for line in results["app"][1].splitlines() if line.startswith("marked")]
    assert len(marked) > 20
    read, saved = marks(db_path)
    assert set(marked) <= read
    assert {i for i in marked if i % 2} <= saved
    assert count(db_path) == feeds * 20 * 3  # both refreshes stored each story exactly once
    assert integrity(db_path) == "ok"


# -- marks survive a feed changing its ids, links or content ---------------------------------------


def versions(*docs: list[str]) -> list[str]:
    return [channel(items, title="Changing") for items in docs]


ORIGINAL = [item("id-1", "Tram line approved", "http://www.city.example/tram/", T0 - 3600, "Council voted."),
            item("id-2", "Storm closes harbour", "http://www.city.example/storm", T0 - 7200, "Ferries stay."),
            item("id-3", "Library reopens", "http://www.city.example/library", T0 - 9000, "Books.")]

CHANGES = {
    "new ids": [item(f"urn:uuid:{n}", t, link, when, body) for n, (t, link, when, body) in enumerate([
        ("Tram line approved", "http://www.city.example/tram/", T0 - 3600, "Council voted."),
        ("Storm closes harbour", "http://www.city.example/storm", T0 - 7200, "Ferries stay."),
        ("Library reopens", "http://www.city.example/library", T0 - 9000, "Books.")])],
    "new ids, https, no www, tracking parameters": [
        item("a", "Tram line approved", "https://city.example/tram?utm_source=rss", T0 - 3600, "Council voted."),
        item("b", "Storm closes harbour", "https://city.example/storm/?utm_medium=feed", T0 - 7200, "Ferries stay."),
        item("c", "Library reopens", "https://city.example/library", T0 - 9000, "Books.")],
    "new ids and a new domain, same titles and dates": [
        item("x1", "Tram line approved", "https://news.city.example/2026/tram", T0 - 3600, "Council voted."),
        item("x2", "Storm closes harbour", "https://news.city.example/2026/storm", T0 - 7200, "Ferries stay."),
        item("x3", "Library reopens", "https://news.city.example/2026/library", T0 - 9000, "Books.")],
    "new ids, edited text and corrected titles": [
        item("e1", "Tram line approved by council", "http://www.city.example/tram/", T0 - 3600, "Council voted 31-12."),
        item("e2", "Storm closes the harbour", "http://www.city.example/storm", T0 - 7200, "Ferries stay in."),
        item("e3", "Library reopens", "http://www.city.example/library", T0 - 9000, "New books.")],
    "new ids, no links, same titles and dates": [
        item("n1", "Tram line approved", None, T0 - 3600, "Council voted."),
        item("n2", "Storm closes harbour", None, T0 - 7200, "Ferries stay."),
        item("n3", "Library reopens", None, T0 - 9000, "Books.")],
}


@pytest.mark.parametrize("change", list(CHANGES), ids=list(CHANGES))
def test_marks_survive_a_feed_changing_its_ids(server, store, db_path, clock, change):
    feed = store.add_feed(server.add("/feed.xml", channel(ORIGINAL), etag=False))
    refresh(db_path, clock=clock, limits=LIMITS)
    tram, storm, library = store.story_ids(StoryFilter(feed_id=feed.id))
    store.mark_read([tram, storm])
    store.mark_saved([storm])
    clock.advance(3600)
    server.add("/feed.xml", channel(CHANGES[change]), etag=False)
    summary = refresh(db_path, clock=clock, limits=LIMITS)
    assert summary.new == 0
    assert store.story_ids(StoryFilter(feed_id=feed.id)) == [tram, storm, library]
    assert [s.read for s in map(store.get_story, (tram, storm, library))] == [True, True, False]
    assert store.get_story(storm).saved
    new_items = CHANGES[change]
    assert store.get_story(tram).title == new_items[0].split("<title>")[1].split("</title>")[0]
    clock.advance(3600)  # and the next fetch, with the same new ids, is quiet
    assert refresh(db_path, clock=clock, limits=LIMITS).new == 0


def test_a_new_story_at_a_reused_link_is_new_and_unread(server, store, db_path, clock):
    """A "latest build" feed: one item, always the same page, a new id, title and date each time."""
    feed = store.add_feed(server.add("/b.xml", channel([item("b1", "Build 1 passed", "https://ci.example/latest",
                                                              T0 - 600)]), etag=False))
    refresh(db_path, clock=clock, limits=LIMITS)
    (first,) = store.story_ids(StoryFilter(feed_id=feed.id))
    store.mark_read([first])
    server.add("/b.xml", channel([item("b2", "Build 2 failed", "https://ci.example/latest", T0 - 60)]), etag=False)
    assert refresh(db_path, clock=clock, limits=LIMITS).new == 1
    newest, old = store.list_stories(StoryFilter(feed_id=feed.id))
    assert newest.title == "Build 2 failed" and not newest.read
    assert old.id == first and old.read and old.title == "Build 1 passed"


def test_an_ambiguous_match_is_left_alone(server, store, db_path, clock):
    # two stored stories share a link (a feed pointing every item at its home page)
    docs = [item("h1", "Morning", "https://home.example/", T0 - 7200),
            item("h2", "Evening", "https://home.example/", T0 - 3600)]
    feed = store.add_feed(server.add("/h.xml", channel(docs), etag=False))
    refresh(db_path, clock=clock, limits=LIMITS)
    store.mark_read(store.story_ids(StoryFilter(feed_id=feed.id)))
    server.add("/h.xml", channel([item("h3", "Morning", "https://home.example/", T0 + 3600)]), etag=False)
    assert refresh(db_path, clock=clock, limits=LIMITS).new == 1
    assert store.unread_count(StoryFilter(feed_id=feed.id)) == 1

    # two incoming stories with new ids and one title and date: neither takes the stored one
    updates = store.add_feed(server.add("/t.xml", channel([item("t1", "Update", None, T0 - 60)]), etag=False))
    refresh(db_path, clock=clock, limits=LIMITS)
    store.mark_read(store.story_ids(StoryFilter(feed_id=updates.id)))
    server.add("/t.xml", channel([item("t2", "Update", None, T0 - 60, "one"),
                                  item("t3", "Update", None, T0 - 60, "two")]), etag=False)
    assert refresh(db_path, clock=clock, limits=LIMITS).new == 2
    assert store.unread_count(StoryFilter(feed_id=updates.id)) == 2


def test_a_story_still_in_the_feed_under_its_own_id_is_never_taken(store, clock):
    feed = store.add_feed("https://keep.example/feed")
    story = ParsedStory(uid="a", title="Same", url="https://keep.example/1", published=T0 - 60, content_hash="1")
    store.save_stories(feed.id, [story])
    (sid,) = store.story_ids()
    store.mark_read([sid])
    twin = ParsedStory(uid="b", title="Same", url="https://keep.example/1", published=T0 - 30, content_hash="2")
    assert store.save_stories(feed.id, [story, twin]) == (1, 0)
    assert store.get_story(sid).uid == "a" and store.get_story(sid).read


def test_stories_swapping_places_keep_their_own_marks(store, clock):
    feed = store.add_feed("https://swap.example/feed")
    a = ParsedStory(uid="a", title="Alpha", url="https://swap.example/a", published=T0 - 60, content_hash="a")
    b = ParsedStory(uid="b", title="Beta", url="https://swap.example/b", published=T0 - 120, content_hash="b")
    store.save_stories(feed.id, [a, b])
    alpha, beta = store.story_ids()
    store.mark_saved([beta])
    moved = [ParsedStory(uid="b2", title="Beta", url="https://swap.example/b", published=T0 - 120, content_hash="b"),
             ParsedStory(uid="a2", title="Alpha", url="https://swap.example/a", published=T0 - 60, content_hash="a")]
    assert store.save_stories(feed.id, moved) == (0, 0)
    assert store.get_story(beta).uid == "b2" and store.get_story(beta).saved
    assert store.get_story(alpha).uid == "a2" and not store.get_story(alpha).saved


def test_other_feeds_stories_are_never_matched(store, clock):
    one = store.add_feed("https://one.example/feed")
    two = store.add_feed("https://two.example/feed")
    store.save_stories(one.id, [ParsedStory(uid="a", title="Shared wire story", url="https://wire.example/x",
                                            published=T0 - 60, content_hash="1")])
    store.mark_read(store.story_ids())
    new, _ = store.save_stories(two.id, [ParsedStory(uid="z", title="Shared wire story",
                                                     url="https://wire.example/x", published=T0 - 60,
                                                     content_hash="1")])
    assert new == 1 and store.unread_count() == 1


@pytest.mark.parametrize("a,b", [
    ("http://www.Example.org/a/", "https://example.org/a"),
    ("https://example.org:443/a?utm_source=x&id=3&utm_medium=y", "http://example.org/a?id=3"),
    ("https://example.org/a?fbclid=123", "https://example.org/a"),
])
def test_canonical_links_that_name_the_same_page(a, b):
    assert _canonical_link(a) == _canonical_link(b)


@pytest.mark.parametrize("a,b", [
    ("https://example.org/a", "https://example.org/b"),
    ("https://example.org/page#v1", "https://example.org/page#v2"),
    ("https://example.org/a?id=1", "https://example.org/a?id=2"),
    ("https://example.org:8080/a", "https://example.org/a"),
    ("https://one.example/a", "https://two.example/a"),
])
def test_canonical_links_that_name_different_pages(a, b):
    assert _canonical_link(a) != _canonical_link(b)


@pytest.mark.parametrize("bad", [None, "", "not a url", "https://", "http://[::1", "mailto:x@example.org"])
def test_canonical_link_of_nonsense_is_none_or_harmless(bad):
    _canonical_link(bad)  # never raises
