import json
import sqlite3

import pytest

from reader import store as store_module
from reader.models import Enclosure, ParsedStory, StoryFilter
from reader.store import FeedExists, Store, StoreError, fts_query
from tests.conftest import T0


def story(uid, title="A title", published=T0 - 3600, text="", chash=None, **kw):
    return ParsedStory(uid=uid, title=title, published=published, text=text,
                       content_hash=chash or f"{uid}:{title}:{text}", **kw)


def test_new_database_has_schema_wal_and_foreign_keys(store, db_path):
    conn = sqlite3.connect(db_path)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"feeds", "stories", "stories_fts", "_sqlite_migrations"} <= tables
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert store.conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000
    applied = [r[0] for r in conn.execute("SELECT name FROM _sqlite_migrations")]
    assert applied[0] == "0001_initial"
    assert applied == [name for name, _ in store_module.migrations.steps]


def test_reopening_does_not_migrate_again(db_path, clock):
    Store(db_path, clock=clock).close()
    with Store(db_path, clock=clock) as s:
        rows = s.conn.execute("SELECT * FROM _sqlite_migrations").fetchall()
        assert len(rows) == len(store_module.migrations.steps)
    assert not list(db_path.parent.glob("*.bak"))


def test_a_file_that_is_not_sqlite_is_refused(tmp_path):
    bad = tmp_path / "notes.db"
    bad.write_text("this is not a database, it is a shopping list\n" * 20)
    with pytest.raises(StoreError, match="not a Newsdesk database"):
        Store(bad)


def test_someone_elses_sqlite_database_is_refused_and_left_alone(tmp_path):
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="not a Newsdesk database"):
        Store(other)
    tables = {r[0] for r in sqlite3.connect(other).execute("SELECT name FROM sqlite_master")}
    assert tables == {"invoices"}


def test_a_new_migration_backs_up_the_database_first(db_path, clock, monkeypatch):
    with Store(db_path, clock=clock) as s:
        feed = s.add_feed("https://example.org/feed")
        s.save_stories(feed.id, [story("a")])
    extra = store_module.MigrationList("newsdesk")
    extra.steps = list(store_module.migrations.steps)

    @extra(name="0002_test_column")
    def _add(db):
        db.execute("ALTER TABLE feeds ADD COLUMN test_column TEXT")

    monkeypatch.setattr(store_module, "migrations", extra)
    with Store(db_path, clock=clock) as s:
        assert "test_column" in {r[1] for r in s.conn.execute("PRAGMA table_info(feeds)")}
    backups = list(db_path.parent.glob("newsdesk.db.before-0002_test_column.bak"))
    assert len(backups) == 1
    copy = sqlite3.connect(backups[0])
    assert copy.execute("SELECT count(*) FROM stories").fetchone()[0] == 1
    assert "test_column" not in {r[1] for r in copy.execute("PRAGMA table_info(feeds)")}


def test_add_feed_twice_raises_with_the_existing_feed(store):
    first = store.add_feed("https://example.org/feed", title="Example", folder="News")
    with pytest.raises(FeedExists) as info:
        store.add_feed("https://example.org/feed")
    assert info.value.feed.id == first.id
    assert first.folder == "News" and first.title == "Example"


def test_find_feed_by_id_url_and_title(store):
    a = store.add_feed("https://a.example/feed", title="Alpha News")
    b = store.add_feed("https://b.example/feed", title="Beta")
    assert store.find_feed(str(a.id)).id == a.id
    assert store.find_feed("https://b.example/feed").id == b.id
    assert store.find_feed("alpha news").id == a.id
    with pytest.raises(StoreError, match="no such feed"):
        store.find_feed("Gamma")


def test_save_stories_inserts_updates_and_keeps_history(store):
    feed = store.add_feed("https://example.org/feed")
    assert store.save_stories(feed.id, [story("a"), story("b")]) == (2, 0)
    # b changed, a unchanged, c new; a missing from a later fetch stays
    assert store.save_stories(feed.id, [story("b", title="B v2"), story("a"), story("c")]) == (1, 1)
    assert store.save_stories(feed.id, [story("c")]) == (0, 0)
    titles = sorted(r.title for r in store.list_stories())
    assert titles == ["A title", "A title", "B v2"]


def test_refresh_never_touches_read_or_saved_state(store, clock):
    feed = store.add_feed("https://example.org/feed")
    store.save_stories(feed.id, [story("a"), story("b")])
    ids = {r.title: r.id for r in store.list_stories()}
    a_id = store.story_ids(StoryFilter())[0]
    store.mark_read([a_id])
    store.mark_saved([a_id])
    before = store.get_story(a_id)
    clock.advance(60)
    store.save_stories(feed.id, [story("a", title="Changed"), story("b", title="Changed too")])
    after = store.get_story(a_id)
    assert after.title == "Changed"
    assert (after.read, after.read_at, after.saved, after.saved_at) == (
        True, before.read_at, True, before.saved_at)
    assert len(ids) == 1  # both stories share a title before the change


def test_duplicate_ids_in_one_batch_keep_the_first(store):
    feed = store.add_feed("https://example.org/feed")
    new, _ = store.save_stories(feed.id, [story("x", title="first"), story("x", title="second")])
    assert new == 1
    assert [r.title for r in store.list_stories()] == ["first"]


def test_undated_and_future_stories_get_first_seen_time(store, clock):
    feed = store.add_feed("https://example.org/feed")
    store.save_stories(feed.id, [story("undated", published=None),
                                 story("future", published=T0 + 10 * 365 * 86400)])
    rows = store.list_stories()
    assert {r.published for r in rows} == {int(clock())}


def test_feed_order_is_kept_for_equal_dates(store):
    feed = store.add_feed("https://example.org/feed")
    store.save_stories(feed.id, [story(str(i), title=f"item {i}", published=None) for i in range(5)])
    assert [r.title for r in store.list_stories()] == [f"item {i}" for i in range(5)]


def test_filters_and_counts(store):
    f1 = store.add_feed("https://one.example/feed", title="One", folder="World")
    f2 = store.add_feed("https://two.example/feed", title="Two")
    store.save_stories(f1.id, [story(f"1-{i}", published=T0 - i * 60) for i in range(4)])
    store.save_stories(f2.id, [story(f"2-{i}", published=T0 - i * 90) for i in range(3)])
    one_ids = store.story_ids(StoryFilter(feed_id=f1.id))
    store.mark_read(one_ids[:2])
    store.mark_saved(one_ids[3:])
    assert store.count_stories() == 7
    assert store.count_stories(StoryFilter("unread")) == 5
    assert store.count_stories(StoryFilter("unread", feed_id=f1.id)) == 2
    assert store.count_stories(StoryFilter("saved")) == 1
    assert store.count_stories(StoryFilter(folder="World")) == 4
    all_rows = store.list_stories()
    assert [r.published for r in all_rows] == sorted((r.published for r in all_rows), reverse=True)
    counts = {f.title: (f.unread, f.total) for f in store.list_feeds()}
    assert counts == {"One": (2, 4), "Two": (3, 3)}


def test_every_list_query_uses_an_index(store):
    """The story list must never scan the table: each filter is served by a named index."""
    f = store.add_feed("https://one.example/feed", folder="World")
    for flt in (StoryFilter(), StoryFilter("unread"), StoryFilter("saved"),
                StoryFilter(feed_id=f.id), StoryFilter("unread", feed_id=f.id)):
        where, params, index = store._where(flt)
        plan = " ".join(r[3] for r in store.conn.execute(
            f"EXPLAIN QUERY PLAN SELECT s.id FROM stories s INDEXED BY {index} WHERE {where}"
            " ORDER BY s.published DESC, s.id DESC", params))
        assert "USING" in plan and "INDEX" in plan, (flt, plan)
        assert "TEMP B-TREE" not in plan, (flt, plan)


def test_event_list_query_follows_indexes(store):
    """Collapsing events in the story list reads only multi-feed events' members, by index: the
    outer loop is the partial index of multi-feed events (or one feed's stories), the rest are
    lookups, whatever the filter."""
    f = store.add_feed("https://one.example/feed", folder="World")
    for flt in (StoryFilter(), StoryFilter("unread"), StoryFilter("saved"), StoryFilter(folder="World"),
                StoryFilter(feed_id=f.id), StoryFilter("unread", feed_id=f.id), StoryFilter(query="tram")):
        sql, params = store._event_members_query(flt)
        plan = [r[3] for r in store.conn.execute(f"EXPLAIN QUERY PLAN {sql}", params)]
        outer, rest = plan[0], plan[1:]
        assert outer in ("SCAN g USING INDEX idx_groups_multi",) or (
            outer.startswith("SEARCH s USING") and "idx_stories_feed" in outer), (flt, plan)
        for step in rest:
            assert step.startswith(("SEARCH", "LIST SUBQUERY")), (flt, plan)  # no TEMP B-TREE sort
        assert store.event_members(flt) == []
    plan = [r[3] for r in store.conn.execute(
        "EXPLAIN QUERY PLAN SELECT m.story_id, g.id, g.feeds FROM group_members m"
        " JOIN story_groups g ON g.id = m.group_id WHERE m.story_id IN (1, 2) AND g.feeds > 1")]
    assert all(step.startswith("SEARCH") and "PRIMARY KEY" in step for step in plan), plan
    assert store.event_members_of([1, 2]) == []


def test_mark_read_returns_only_changed_ids_and_mark_all_read_respects_scope(store):
    f1 = store.add_feed("https://one.example/feed")
    f2 = store.add_feed("https://two.example/feed")
    store.save_stories(f1.id, [story("a"), story("b")])
    store.save_stories(f2.id, [story("c")])
    a, b = store.story_ids(StoryFilter(feed_id=f1.id))
    assert store.mark_read([a]) == [a]
    assert store.mark_read([a]) == []
    changed = store.mark_all_read(StoryFilter(feed_id=f1.id))
    assert changed == [b]
    assert store.count_stories(StoryFilter("unread")) == 1
    assert sorted(store.mark_read(changed + [a], read=False)) == sorted([a, b])


def test_search_ranks_and_survives_syntax_in_queries(store):
    f = store.add_feed("https://one.example/feed")
    store.save_stories(f.id, [
        story("a", title="Tram line approved", text="The council voted for the tram."),
        story("b", title="Weather", text="Rain, and a tram mentioned once."),
        story("c", title="Markets", text="Shares rose."),
    ])
    ids = store.story_ids(StoryFilter(query="tram"))
    rows = store.story_rows(ids)
    assert [r.title for r in rows] == ["Tram line approved", "Weather"]
    assert store.story_ids(StoryFilter(query="approv")) == ids[:1]  # prefix match
    for hostile in ['"', "tram OR", "NEAR(", "*", "a AND -b", "'; DROP TABLE stories; --"]:
        store.story_ids(StoryFilter(query=hostile))  # never a syntax error
    assert store.count_stories() == 3
    assert fts_query("   ") is None


def test_a_search_newest_first_is_in_date_order_whether_it_sorts_or_walks_the_date_index(store, monkeypatch):
    one = store.add_feed("https://one.example/feed", folder="News")
    two = store.add_feed("https://two.example/feed")
    # the oldest says it most often: best match first, last by date
    store.save_stories(one.id, [story("many", title="Tram tram tram", text="tram tram", published=T0 - 9000)]
                       + [story(f"a{i}", title=f"Tram news {i}", published=T0 - 100 * i) for i in range(6)])
    store.save_stories(two.id, [story(f"b{i}", title=f"Tram views {i}", published=T0 - 100 * i - 50) for i in range(4)]
                       + [story("other", title="Markets", published=T0)])
    ranked = store.story_ids(StoryFilter(query="tram"))
    assert store.get_story(ranked[0]).uid == "many"  # the command line's order is unchanged
    store.mark_read(ranked[:4])
    for flt in (StoryFilter("all", query="tram"), StoryFilter("unread", query="tram"),
                StoryFilter("all", feed_id=two.id, query="tram"), StoryFilter("all", folder="News", query="tram")):
        by_date = sorted(store.story_ids(flt), key=lambda i: (-store.get_story(i).published, -i))
        for sort_max in (1000, 0):  # few matches are sorted; many walk the filter's date index
            monkeypatch.setattr(store_module, "SEARCH_SORT_MAX", sort_max)
            assert store.story_ids(flt, newest_first=True) == by_date, (flt, sort_max)
            for limit in (1, 3, 20):
                assert store.story_ids(flt, limit, newest_first=True) == by_date[:limit], (flt, sort_max, limit)
    assert store.get_story(store.story_ids(StoryFilter(query="tram"), newest_first=True)[-1]).uid == "many"
    assert store.story_ids(StoryFilter(query="   "), 5, newest_first=True) == []


def test_the_first_stories_of_a_big_search_walk_the_date_index_without_sorting(store, monkeypatch):
    f = store.add_feed("https://one.example/feed")
    store.save_stories(f.id, [story(f"a{i}", title=f"Tram {i}", published=T0 - i) for i in range(20)])
    monkeypatch.setattr(store_module, "SEARCH_SORT_MAX", 5)
    statements: list[str] = []
    store.conn.set_trace_callback(statements.append)
    try:
        assert len(store.story_ids(StoryFilter(query="tram"), 10, newest_first=True)) == 10
    finally:
        store.conn.set_trace_callback(None)
    sql = next(s for s in statements if "ORDER BY s.published" in s)  # as run, its values in place
    plan = " ".join(r[3] for r in store.conn.execute(f"EXPLAIN QUERY PLAN {sql}"))
    assert "idx_stories_published" in plan and "TEMP B-TREE" not in plan, plan


def test_a_search_is_big_by_every_word_its_last_word_begins(store):
    """Whether a newest-first search walks the date index (many matches) or sorts them (few): the
    whole last word is counted first, as it is cheap, and the prefix only when that is not enough."""
    f = store.add_feed("https://one.example/feed")
    store.save_stories(f.id, [story("t", title="Tram")] + [story(f"w{i}", title=f"Tramway {i}") for i in range(3)])
    store.index_pending()
    match = fts_query("tram")
    assert store._matches_more_than(match, 3)  # 1 "tram" and 3 "tramway": 4 begin with "tram"
    assert not store._matches_more_than(match, 4)
    assert not store._matches_more_than(fts_query("tramway 2"), 1)  # every word but the last is whole
    store.save_stories(f.id, [story(f"t{i}", title=f"Tram {i}") for i in range(5)])
    store.index_pending()
    statements: list[str] = []
    store.conn.set_trace_callback(statements.append)
    try:
        assert store._matches_more_than(match, 5)  # 6 whole "tram": the prefix is never merged
    finally:
        store.conn.set_trace_callback(None)
    ours = [sql for sql in statements if not sql.startswith("--")]  # not FTS5's own reads
    assert len(ours) == 1 and "'\"tram\"'" in ours[0], ours


def test_search_counts_agree_with_the_listed_results_in_every_view(store):
    one = store.add_feed("https://one.example/feed", folder="News")
    two = store.add_feed("https://two.example/feed")
    store.save_stories(one.id, [story(f"a{i}", title=f"Tram news {i}", published=T0 - i) for i in range(6)])
    store.save_stories(two.id, [story(f"b{i}", title=f"Tram views {i}", published=T0 - i) for i in range(4)]
                       + [story("other", title="Markets")])
    ids = store.story_ids(StoryFilter(query="tram"))
    store.mark_read(ids[:3])
    store.mark_saved(ids[-2:], True)
    for flt in (StoryFilter("all", query="tram"), StoryFilter("unread", query="tram"),
                StoryFilter("saved", query="tram"), StoryFilter("all", feed_id=two.id, query="tram"),
                StoryFilter("unread", folder="News", query="tram"), StoryFilter("all", query="nothing here")):
        assert store.count_stories(flt) == len(store.story_ids(flt)), flt
    assert store.count_stories(StoryFilter("all", query="tram")) == 10
    assert store.unread_count(StoryFilter("all", query="tram")) == 7
    assert store.count_stories(StoryFilter("all", query="   ")) == 0


def test_search_index_follows_updates_and_deletes(store):
    f = store.add_feed("https://one.example/feed")
    store.save_stories(f.id, [story("a", title="Old words", text="zebra")])
    store.save_stories(f.id, [story("a", title="New words", text="giraffe")])
    assert store.story_ids(StoryFilter(query="zebra")) == []
    assert len(store.story_ids(StoryFilter(query="giraffe"))) == 1
    store.remove_feed(f.id)
    assert store.story_ids(StoryFilter(query="giraffe")) == []
    assert store.count_stories() == 0


def test_marking_read_does_not_rewrite_the_search_index(store):
    f = store.add_feed("https://one.example/feed")
    store.save_stories(f.id, [story(str(i), text=f"word{i}") for i in range(50)])
    before = store.conn.total_changes
    store.mark_all_read()
    # 50 story rows changed and nothing else (the FTS triggers fire only on title/text)
    assert store.conn.total_changes - before == 50


def test_enclosures_round_trip(store):
    f = store.add_feed("https://pod.example/feed")
    enc = (Enclosure("https://pod.example/ep1.mp3", "audio/mpeg", 12345),)
    store.save_stories(f.id, [story("ep1", enclosures=enc)])
    got = store.get_story(store.story_ids()[0])
    assert got.enclosures == enc


def test_update_feed_refuses_user_columns(store):
    f = store.add_feed("https://one.example/feed", folder="Mine")
    with pytest.raises(ValueError):
        store.update_feed(f.id, folder="Theirs")
    store.update_feed(f.id, last_error="HTTP 500", consecutive_errors=1)
    got = store.get_feed(f.id)
    assert (got.last_error, got.consecutive_errors, got.folder) == ("HTTP 500", 1, "Mine")


def test_change_feed_url_keeps_stories_and_refuses_a_taken_url(store):
    f = store.add_feed("http://old.example/feed")
    other = store.add_feed("https://taken.example/feed")
    store.save_stories(f.id, [story("a")])
    assert store.change_feed_url(f.id, "https://new.example/feed")
    assert store.get_feed(f.id).url == "https://new.example/feed"
    assert not store.change_feed_url(f.id, other.url)
    assert store.count_stories(StoryFilter(feed_id=f.id)) == 1


def test_due_feeds_skips_disabled_and_waiting(store, clock):
    a = store.add_feed("https://a.example/feed")
    b = store.add_feed("https://b.example/feed")
    c = store.add_feed("https://c.example/feed")
    store.update_feed(b.id, disabled=1)
    store.update_feed(c.id, fetch_not_before=int(clock()) + 600)
    assert [f.id for f in store.due_feeds()] == [a.id]
    clock.advance(601)
    assert sorted(f.id for f in store.due_feeds()) == sorted([a.id, c.id])


def test_new_stories_become_searchable_and_ids_are_never_reused(store):
    f = store.add_feed("https://one.example/feed")
    store.save_stories(f.id, [story("a", title="Quokka sighting"), story("b", title="Other")])
    pending = store.conn.execute("SELECT indexed_upto FROM fts_state").fetchone()[0]
    assert pending == 0  # stored, not yet indexed
    assert len(store.story_ids(StoryFilter(query="quokka"))) == 1  # a search indexes first
    assert store.index_pending() == 0
    newest = max(store.story_ids())
    store.conn.execute("DELETE FROM stories WHERE id = ?", (newest,))
    store.conn.commit()
    store.save_stories(f.id, [story("c", title="Quokka returns")])
    assert max(store.story_ids()) > newest
    # an unindexed story can be changed and deleted without corrupting the index
    store.save_stories(f.id, [story("c", title="Wombat returns")])
    assert [store.get_story(i).title for i in store.story_ids(StoryFilter(query="wombat"))] == ["Wombat returns"]
    assert store.story_ids(StoryFilter(query="returns"))
    store.remove_feed(f.id)
    assert store.story_ids(StoryFilter(query="quokka")) == []
    # FTS5 raises "database disk image is malformed" here if the index and the table disagree
    store.conn.execute("INSERT INTO stories_fts(stories_fts) VALUES ('integrity-check')")


def test_a_database_from_before_kept_summaries_upgrades_and_keeps_them(db_path, clock, monkeypatch):
    from reader.cluster import group_new_stories, story_summary

    names = [name for name, _ in store_module.migrations.steps]
    older = store_module.MigrationList("newsdesk")
    older.steps = store_module.migrations.steps[: names.index("0004_summaries")]
    with monkeypatch.context() as m:
        m.setattr(store_module, "migrations", older)
        with Store(db_path, clock=clock) as s:
            feed = s.add_feed("https://example.org/feed")
            ids, _ = s.save_stories_ids(feed.id, [story(
                "a", "Port strike ends",
                text="Dockworkers at the port of Saltmarsh voted on Friday to end their strike. "
                     "The deal gives them 11 percent more over two years. They return on Monday.",
            )])
            group_new_stories(s, ids)
            tables = {r[0] for r in s.conn.execute("SELECT name FROM sqlite_master")}
            assert "story_summaries" not in tables
    with Store(db_path, clock=clock) as s:
        applied = [r[0] for r in s.conn.execute("SELECT name FROM _sqlite_migrations")]
        assert applied == names
        assert list(db_path.parent.glob("newsdesk.db.before-0004_summaries.bak"))
        summary = story_summary(s, ids[0])
        assert summary.bullets[0].startswith("Dockworkers at the port of Saltmarsh")
        rows = s.conn.execute("SELECT story_id, bullets FROM story_summaries").fetchall()
        assert rows == [(ids[0], json.dumps(list(summary.bullets)))]


def test_kept_summaries_are_read_only_under_their_key(store):
    feed = store.add_feed("https://example.org/feed")
    store.save_stories(feed.id, [story("a")])
    [story_id] = store.story_ids()
    assert store.cached_story_summary(story_id, "k1") is None
    assert store.keep_story_summary(story_id, "k1", ["Première phrase.", "Zweiter Satz."])
    assert store.cached_story_summary(story_id, "k1") == ["Première phrase.", "Zweiter Satz."]
    assert store.cached_story_summary(story_id, "k2") is None
    assert store.keep_story_summary(story_id, "k2", [])
    assert store.cached_story_summary(story_id, "k2") == []
    assert store.cached_story_summary(story_id, "k1") is None
    assert store.keep_story_summary(424242, "k1", ["Gone."])  # a removed story: nothing kept
    assert store.cached_story_summary(424242, "k1") is None
    assert store.keep_group_summary(424242, "k1", ["Gone."])
    assert store.cached_group_summary(424242, "k1") is None



def _mark_back_and_forth(writer: Store, defer: bool) -> list[int]:
    """300 stories marked read and unread one a commit, six times, as keys do: far past SQLite's
    1,000-page automatic checkpoint, which copies the log back and starts it over."""
    feed = writer.add_feed("https://a.example/feed", title="A")
    writer.save_stories(feed.id, [ParsedStory(uid=str(i), title=f"Story {i}", published=T0 + i,
                                              text="words " * 50) for i in range(300)])
    writer.checkpoint()
    if defer:
        writer.defer_checkpoints()
    ids = [s.id for s in writer.list_stories(StoryFilter("all"), limit=300)]
    for _ in range(6):
        for read in (True, False):
            for story_id in ids:
                writer.mark_read([story_id], read)
    return ids


def test_a_connection_that_defers_checkpoints_never_checkpoints_in_its_commits(db_path, clock):
    with Store(db_path, clock=clock) as writer, Store(db_path, clock=clock) as other:
        ids = _mark_back_and_forth(writer, defer=True)
        log, copied = other.checkpoint()
        assert log > 1000 and copied == log, (log, copied)  # all of it waited for the checkpoint
        assert not writer.get_story(ids[0]).read


def test_a_connection_checkpoints_in_its_own_commits_by_default(db_path, clock):
    with Store(db_path, clock=clock) as writer, Store(db_path, clock=clock) as other:
        _mark_back_and_forth(writer, defer=False)
        log, _ = other.checkpoint()
        assert log < 1000  # the commits checkpointed as they went (what the app must not wait for)


def test_a_story_of_a_feed_without_a_title_names_the_feed_by_its_address(store):
    # Before: the whole URL, "https://www.example.org/news/feed.xml", where the feeds list, the
    # sidebar and refresh's errors say "example.org/news/feed.xml" (Feed.display_title).
    feed = store.add_feed("https://www.example.org/news/feed.xml?format=rss")
    titled = store.add_feed("https://other.example/feed", title="Other Paper")
    (new,), _ = store.save_stories_ids(feed.id, [story("a")])
    (other,), _ = store.save_stories_ids(titled.id, [story("b")])
    assert store.get_story(new).feed_title == "example.org/news/feed.xml"
    rows = {r.id: r.feed_title for r in store.story_rows([new, other])}
    assert rows == {new: "example.org/news/feed.xml", other: "Other Paper"}
    store.set_feed_title(feed.id, "The News")
    assert store.get_story(new).feed_title == "The News"


def test_search_reads_phrases_and_left_out_words_as_a_web_search_does(store):
    f = store.add_feed("https://one.example/feed")
    store.save_stories(f.id, [
        story("a", title="Red apple pie wins the fair"),
        story("b", title="Red cherry pie", text="Cherries only."),
        story("c", title="Green apple tart"),
        story("d", title="Pie of the day", text="An apple, red and hot."),
    ])

    def titles(query):
        return sorted(r.title for r in store.story_rows(store.story_ids(StoryFilter(query=query))))

    assert titles("apple red") == ["Pie of the day", "Red apple pie wins the fair"]
    assert titles('"red apple"') == ["Red apple pie wins the fair"]  # side by side only
    assert titles('"apple pi') == ["Red apple pie wins the fair"]  # a phrase still being typed
    assert titles("pie -apple") == ["Red cherry pie"]
    assert titles('apple -"apple pie"') == ["Green apple tart", "Pie of the day"]
    assert titles("pie -cherry -day") == ["Red apple pie wins the fair"]
    assert titles("red -apple pi") == ["Red cherry pie"]  # the last wanted word is a prefix
    assert titles("-apple") == []  # nothing wanted: nothing found, never everything
    for hostile in ["-", '-"', '"a" NOT', "(a OR b)", '"""', "- - -x", 'a -"NEAR(b"', "-*"]:
        store.story_ids(StoryFilter(query=hostile))  # never a syntax error
    assert fts_query("red -apple") == '("red") NOT ("apple")'
