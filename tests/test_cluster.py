"""Stories told by several feeds: canonical URLs, grouping, the store's group queries, the shared
summary, the CLI commands and the demo's three-feed event."""

from __future__ import annotations

import io
import sqlite3
import json
import sqlite3
from textwrap import dedent

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reader import cluster
from reader.cli import main
from reader.cluster import (
    WINDOW_S,
    canonical_url,
    group_bullets,
    group_new_stories,
    group_pending,
    group_summary,
    story_summary,
)
from reader.demo import load_demo
from reader.models import FetchResult, ParsedFeed, ParsedStory, StoryFilter
from reader.parse import parse_feed
from reader.refresh import refresh, store_result
from reader.store import Store
from tests.conftest import T0

HOUR = 3600


def story(uid, title, text="", published=T0 - HOUR, url=None) -> ParsedStory:
    return ParsedStory(uid=uid, title=title, text=text, published=published,
                       url=url or f"https://{uid}.example/story", content_hash=f"{uid}:{title}:{text}")


def add(store: Store, feed_id: int, *stories: ParsedStory) -> list[int]:
    """Store and group, as a refresh does: one transaction per feed."""
    with store.write():
        ids, _ = store.save_stories_ids(feed_id, list(stories))
        group_new_stories(store, ids)
    return ids


@pytest.fixture
def feeds(store):
    return [store.add_feed(f"https://feed{i}.example/rss", title=f"Feed {i}").id for i in range(4)]


def together(store: Store, *ids: int) -> bool:
    group = store.group_of(ids[0])
    return group is not None and set(ids) <= set(group.story_ids)


# Two reports of one event in different words (our own text), and look-alikes that are not it.
HARBOUR = (
    "Dockworkers end nine-day strike at Saltmarsh port",
    "Dockworkers at the port of Saltmarsh voted on Friday to end a nine-day strike after the union "
    "and the port operators agreed an 11 percent pay rise spread over two years. About 2,400 workers "
    "return on Monday, and the first container ships are expected to berth by the evening.",
)
HARBOUR_AGAIN = (
    "Saltmarsh strike over: port workers accept 11% raise",
    "The nine-day walkout that stranded ships outside Saltmarsh is over. Union members backed a deal "
    "worth 11 percent over two years in a vote on Friday, and the 2,400 dockworkers will be back at "
    "the cranes on Monday, the port authority said.",
)
OHIO = (
    "Castellanos wins Ohio primary by 16 points",
    "Senator Marisa Castellanos won the Ohio presidential primary on Tuesday with 54 percent of the "
    "vote, against 38 percent for Governor Dale Whitcombe, with nearly all precincts counted.",
)
IOWA = (
    "Castellanos wins Iowa caucuses by 5 points",
    "Senator Marisa Castellanos won the Iowa caucuses on Tuesday, beating Governor Dale Whitcombe by "
    "41 percent to 36 percent in the first contest of the presidential race.",
)


# -- canonical URLs ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url, expected",
    [
        ("https://example.org/news/a?utm_source=rss&utm_medium=feed", "https://example.org/news/a"),
        ("http://WWW.Example.ORG:80/news/a/#comments", "https://example.org/news/a"),
        ("https://example.org/a?fbclid=x&id=7&gclid=y&mc_cid=1&ref=tw", "https://example.org/a?id=7"),
        ("https://example.org/a?b=2&a=1", "https://example.org/a?a=1&b=2"),
        ("https://example.org:8443/a", "https://example.org:8443/a"),
        ("https://example.org", "https://example.org/"),
        ("  https://example.org/a//b/  ", "https://example.org/a/b"),
        ("ftp://example.org/a", ""),
        ("not a url", ""),
        ("", ""),
        (None, ""),
    ],
)
def test_canonical_url(url, expected):
    assert canonical_url(url) == expected


def test_canonical_url_keeps_what_names_the_page():
    assert canonical_url("https://example.org/a?id=1") != canonical_url("https://example.org/a?id=2")
    assert canonical_url("https://example.org/a") != canonical_url("https://example.org/b")


@given(st.text(max_size=200))
def test_canonical_url_of_any_text_never_raises_and_is_stable(text):
    once = canonical_url(text)
    assert canonical_url(once) == once
    assert canonical_url("https://example.org/" + text) == canonical_url(canonical_url("https://example.org/" + text))


_URL_CHARS = "abcxyzABW019-._~%!$&'()*+,;=:@/?#[] \t"


@given(st.sampled_from(["https://", "http://", "HTTP://", "https://www.", "ftp://", ""]),
       st.text(_URL_CHARS, max_size=40))
def test_canonical_url_of_a_plain_link_is_read_the_short_way_alike(scheme, rest):
    # Most links are canonical but for the scheme and skip urlsplit: the same answer either way.
    url = scheme + rest
    assert canonical_url(url) == cluster._canonical_url_parsed(url)


@pytest.mark.parametrize("url", ["https://site3.example/news/5", "http://a.b/c/d-e_f~g%20h", "https://a.com",
                                 "https://a.com/x@y:z;p=1", "https://www/x", "http://1.2.3.4/."])
def test_canonical_url_short_way_on_plain_links(url):
    assert cluster._PLAIN_URL.match(url)
    assert canonical_url(url) == cluster._canonical_url_parsed(url)


@given(st.text(max_size=300), st.text(max_size=600))
def test_grouping_takes_any_text(title, text):
    news = cluster._new(1, 1, T0, "https://example.org/" + title[:50], title, text)
    vector = cluster._weigh(news.terms, {}, 1)
    assert abs(sum(w * w for w in vector.values()) - 1.0) < 1e-6 or not vector
    assert cluster._Marks.decode(news.marks.encode()) == news.marks
    assert cluster._decode_vector(cluster._encode_vector(vector)).keys() == vector.keys()


@pytest.mark.parametrize("title", ["Saltmarsh strike over", "Streik in Saltmarsh ist vorbei", ""])
def test_a_lead_read_again_from_the_cache_reads_the_same(title):
    # Syndicated copies repeat their text: the second time it is kept, the third read from the keep.
    text = HARBOUR[1] + " Die Hafenarbeiter kehren am Montag zurück."
    once = cluster._new(1, 1, T0, None, title, text)
    for _ in range(3):
        again = cluster._new(2, 2, T0, None, title, text)
        assert (again.terms, again.marks) == (once.terms, once.marks)
    assert text[:cluster.LEAD_CHARS] in cluster._LEADS
    other = cluster._new(3, 3, T0, None, "Castellanos wins Ohio", text)
    assert "castellano" in other.terms and "castellano" not in once.terms  # the title is its own


# -- grouping ------------------------------------------------------------------------------------


def test_same_event_in_other_words_from_two_feeds_is_one_group(store, feeds):
    [a] = add(store, feeds[0], story("a", *HARBOUR, published=T0 - 5 * HOUR))
    [b] = add(store, feeds[1], story("b", *HARBOUR_AGAIN, published=T0 - 2 * HOUR))
    group = store.group_of(a)
    assert group is not None and group.story_ids == (a, b)
    assert group.feeds == 2
    assert group.title == HARBOUR[0]  # the earliest story's


def test_syndicated_copies_group_by_their_text(store, feeds):
    title = "Regional airline orders twelve turboprops for island routes"
    text = ("Northwind Air has ordered twelve turboprop aircraft to replace its ageing fleet on routes "
            "to the outer islands, the company said on Wednesday. Deliveries start next spring.")
    [a] = add(store, feeds[0], story("a", title, text, url="https://wire.example/a1"))
    [b] = add(store, feeds[1], story("b", title + " - Wire", text, url="https://paper.example/b2"))
    [c] = add(store, feeds[2], story("c", title, "", url="https://other.example/c3"))
    assert together(store, a, b, c)


def test_look_alike_events_stay_apart_wins_ohio_and_wins_iowa(store, feeds):
    [ohio] = add(store, feeds[0], story("o", *OHIO, published=T0 - 3 * HOUR))
    [iowa] = add(store, feeds[1], story("i", *IOWA, published=T0 - 2 * HOUR))
    assert store.group_of(ohio) is None and store.group_of(iowa) is None
    # Headlines alone, too.
    [a] = add(store, feeds[2], story("h1", "Castellanos wins Ohio primary", published=T0 - HOUR))
    [b] = add(store, feeds[3], story("h2", "Castellanos wins Iowa caucuses", published=T0 - HOUR))
    assert not together(store, a, b)


def test_unrelated_stories_sharing_one_word_stay_apart(store, feeds):
    for i, title in enumerate(["Ferry fares rise in April", "Library opens new wing",
                               "Council delays school vote", "Snow expected on Sunday"]):
        add(store, feeds[3], story(f"f{i}", title))
    [a] = add(store, feeds[0], story("a", "#3: Dance, Dance - Fall Out Boy"))
    [b] = add(store, feeds[1], story("b", "Evolution of Dance - By Judson Laipply"))
    assert not together(store, a, b)
    [c] = add(store, feeds[0], story("c", "Keeping it on the Rails", "Notes on testing a web framework."))
    [d] = add(store, feeds[1], story("d", "iPhone on Rails", "A talk about phone apps with a server behind."))
    assert not together(store, c, d)


def test_stories_more_than_the_window_apart_stay_apart(store, feeds):
    [a] = add(store, feeds[0], story("a", *HARBOUR, published=T0 - WINDOW_S - 5 * HOUR))
    [b] = add(store, feeds[1], story("b", *HARBOUR_AGAIN, published=T0))
    assert not together(store, a, b)


def test_one_feeds_stories_group_only_by_the_same_canonical_url(store, feeds):
    a, b = add(store, feeds[0], story("a", *HARBOUR, published=T0 - 3 * HOUR),
               story("b", *HARBOUR_AGAIN, published=T0 - 2 * HOUR))
    assert not together(store, a, b)
    [c] = add(store, feeds[0], story("c", "Saltmarsh port reopens", url="https://a.example/story"))
    [d] = add(store, feeds[0], story(
        "d", "Saltmarsh port reopens (updated)", url="http://A.example/story/?utm_source=rss#top"))
    assert together(store, c, d)
    assert store.group_of(c).feeds == 1
    assert store.multi_source_groups() == []  # one feed is not several sources


def test_the_same_url_from_another_feed_joins_even_years_later(store, feeds):
    [a] = add(store, feeds[0], story("a", "Old essay", url="https://blog.example/essay", published=T0 - 400 * 86400))
    [b] = add(store, feeds[1], story("b", "An essay worth rereading", url="https://blog.example/essay?ref=hn"))
    assert together(store, a, b)


def test_a_second_batch_joins_the_existing_group_without_reading_history(store, feeds, db_path, clock,
                                                                           monkeypatch):
    # Old stories, far outside the window of the new ones: they must never be read again.
    for i in range(5):
        add(store, feeds[3], story(f"old{i}", f"Archive story {i}", published=T0 - 30 * 86400 - i))
    [a] = add(store, feeds[0], story("a", *HARBOUR, published=T0 - 5 * HOUR))
    spans = []
    original = Store.grouped_between

    def spy(self, lo, hi):
        rows = original(self, lo, hi)
        spans.append((lo, hi, [r[0] for r in rows]))
        return rows

    monkeypatch.setattr(Store, "grouped_between", spy)
    with Store(db_path, clock=clock) as later:  # the next refresh opens the database afresh
        [b] = add(later, feeds[1], story("b", *HARBOUR_AGAIN, published=T0 - 2 * HOUR))
        assert together(later, a, b)
        read = [sid for _, _, ids in spans for sid in ids]
        assert read == [a]  # the window, and no archive story
        assert all(lo >= T0 - 5 * HOUR - 2 * WINDOW_S for lo, _, _ in spans)
        # Its next feed reuses the window in memory: nothing is read at all.
        spans.clear()
        [c] = add(later, feeds[2], story(
            "c", "Port of Saltmarsh back at work after strike ends",
            "Cranes moved again at Saltmarsh on Monday as 2,400 dockworkers returned after the "
            "nine-day strike.", published=T0 - HOUR))
        assert [ids for _, _, ids in spans if ids] == []
        assert together(later, a, b, c)
        assert later.group_of(a).feeds == 3


def test_a_new_store_reloads_the_window_and_agrees(db_path, clock, store, feeds):
    [a] = add(store, feeds[0], story("a", *HARBOUR, published=T0 - 5 * HOUR))
    with Store(db_path, clock=clock) as other:  # another process, say: no window in memory
        [b] = add(other, feeds[1], story("b", *HARBOUR_AGAIN, published=T0 - 2 * HOUR))
    # This Store's window is stale now (the generation moved); it must notice and reload.
    [c] = add(store, feeds[2], story("c", "Saltmarsh dockworkers accept 11 percent pay deal",
                                     "The strike at Saltmarsh port ended on Friday when 2,400 "
                                     "dockworkers accepted an 11 percent rise.", published=T0 - HOUR))
    assert together(store, a, b, c)


def test_a_window_grown_too_big_is_read_again_and_agrees(store, feeds, monkeypatch):
    monkeypatch.setattr(cluster, "WINDOW_ITEMS", 1)
    [a] = add(store, feeds[0], story("a", *HARBOUR, published=T0 - 5 * HOUR))
    add(store, feeds[3], story("x", "Library opens new wing", published=T0 - 4 * HOUR))
    first = cluster._windows[store]
    assert len(first.items) == 2
    [b] = add(store, feeds[1], story("b", *HARBOUR_AGAIN, published=T0 - 2 * HOUR))
    assert cluster._windows[store] is not first  # two stories are more than it may keep
    assert together(store, a, b) and store.group_of(a).feeds == 2


def test_grouping_that_fails_leaves_no_trace_in_memory(store, feeds, monkeypatch):
    [a] = add(store, feeds[0], story("a", *HARBOUR, published=T0 - 5 * HOUR))

    def broken(*args, **kwargs):
        raise sqlite3.OperationalError("disk I/O error")

    with monkeypatch.context() as m:
        m.setattr(Store, "save_grouping", broken)
        with pytest.raises(sqlite3.OperationalError), store.write():
            ids, _ = store.save_stories_ids(feeds[1], [story("b", *HARBOUR_AGAIN, published=T0 - 2 * HOUR)])
            group_new_stories(store, ids)
    assert store not in cluster._windows  # it held story b and its group, never written
    [c] = add(store, feeds[2], story("c", "Saltmarsh dockworkers accept 11 percent pay deal",
                                     "The strike at Saltmarsh port ended on Friday when 2,400 "
                                     "dockworkers accepted an 11 percent rise.", published=T0 - HOUR))
    assert together(store, a, c)
    assert all(row[1:6] == row[6:] for row in recounted(store))


# Forecasts: every story starts with the same boilerplate and only its title says which place
# and which temperatures. No two are one event: each place's stories differ in their numbers.
FORECAST_LEAD = (
    "Here is the daily forecast from the regional weather desk, issued early this morning for the "
    "area and the week ahead, with temperatures, rain and wind for your town and the roads around it. "
)
FORECAST_PLACES = sorted(p for p in cluster._PLACES if "_" not in p)[:100]


def forecasts(feed_count: int, per_feed: int) -> list[list[ParsedStory]]:
    """``per_feed`` forecasts from each of ``feed_count`` feeds, all within a day, each its own place
    and temperatures (a place comes back only with other numbers)."""
    out = []
    for f in range(feed_count):
        stories = []
        for j in range(per_feed):
            k = f * per_feed + j
            place, high = FORECAST_PLACES[k % 100].title(), 10 + k // 100
            stories.append(story(f"w{f}-{j}", f"{place} forecast: high of {high}, low of {high - 9}",
                                 FORECAST_LEAD + f"Expect showers in {place} by the evening.",
                                 published=T0 - 20 * HOUR + 17 * k % (20 * HOUR)))
        out.append(stories)
    return out


def test_look_alike_stories_from_many_feeds_stay_apart(store):
    # 5,000 stories of 50 feeds whose texts all start alike: a copy of one story is rare, a text that
    # thousands start with is boilerplate; and a title naming another place or other numbers is
    # another story however alike the rest (the old rule 2 put each in another feed's group).
    feed_ids = [store.add_feed(f"https://weather{f}.example/rss").id for f in range(50)]
    for feed_id, stories in zip(feed_ids, forecasts(50, 100)):
        add(store, feed_id, *stories)
    assert store.count_stories() == 5000
    assert store.multi_source_groups(limit=10**6) == []


def test_the_window_keeps_few_objects_for_the_cycle_collector(store):
    # Python's cycle collector walks every container object the window keeps, again at each full
    # collection: a window of 100,000 stories made grouping spend a fifth of its time there. Their
    # number per story is bounded (a story, its marks, and its group's own few), whatever it reads.
    import gc

    feed_ids = [store.add_feed(f"https://weather{f}.example/rss").id for f in range(20)]
    batches = forecasts(20, 100)
    add(store, feed_ids[0], *batches[0])  # the first call creates what every call shares
    gc.collect()
    before = len(gc.get_objects())
    for feed_id, stories in zip(feed_ids[1:], batches[1:]):
        add(store, feed_id, *stories)
    gc.collect()
    per_story = (len(gc.get_objects()) - before) / 1900
    assert per_story < 6  # 14 before: a set for each kind of mark, a tuple for each name indexed


def test_grouping_twice_changes_nothing(store, feeds):
    [a] = add(store, feeds[0], story("a", *HARBOUR))
    before = store.group_of(a), store.conn.execute("SELECT count(*) FROM story_groups").fetchone()
    assert group_new_stories(store, [a]) == []
    assert (store.group_of(a), store.conn.execute("SELECT count(*) FROM story_groups").fetchone()) == before


def test_group_pending_groups_stories_stored_without_grouping(store, feeds):
    store.save_stories(feeds[0], [story("a", *HARBOUR, published=T0 - 3 * HOUR)])
    store.save_stories(feeds[1], [story("b", *HARBOUR_AGAIN, published=T0 - 2 * HOUR)])
    assert store.multi_source_groups() == []
    assert len(store.ungrouped_story_ids()) == 2
    group_pending(store)
    assert len(store.multi_source_groups()) == 1
    assert store.ungrouped_story_ids() == []


def test_a_story_that_fits_two_groups_of_one_event_merges_them(store, feeds, monkeypatch):
    # Two reports that do not quite reach each other, then a third that fits both.
    monkeypatch.setattr(cluster, "MERGE_GROUPS", 0.0)
    monkeypatch.setattr(cluster, "MERGE_SHARED_FEED", 0.0)
    [a] = add(store, feeds[0], story("a", "Saltmarsh dockworkers vote on pay offer", published=T0 - 5 * HOUR))
    [b] = add(store, feeds[1], story("b", "Port strike ends as union accepts 11 percent", published=T0 - 4 * HOUR))
    assert not together(store, a, b)
    [c] = add(store, feeds[2], story("c", "Saltmarsh dockworkers accept 11 percent, port strike ends",
                                     published=T0 - 3 * HOUR))
    assert together(store, a, b, c)
    group = store.group_of(a)
    assert group.feeds == 3 and store.get_group(group.id).story_ids == (a, b, c)
    assert store.conn.execute("SELECT count(*) FROM story_groups WHERE feeds > 1").fetchone()[0] == 1


def recounted(store: Store) -> list[tuple]:
    """Every group's counts as its members say, beside what the store keeps (added up as it went)."""
    return store.conn.execute(
        "SELECT g.id, g.stories, g.feeds, g.story_id, g.published, g.latest,"
        " (SELECT count(*) FROM group_members m WHERE m.group_id = g.id),"
        " (SELECT count(DISTINCT feed_id) FROM group_members m WHERE m.group_id = g.id),"
        " (SELECT story_id FROM group_members m WHERE m.group_id = g.id ORDER BY published, story_id LIMIT 1),"
        " (SELECT min(published) FROM group_members m WHERE m.group_id = g.id),"
        " (SELECT max(published) FROM group_members m WHERE m.group_id = g.id)"
        " FROM story_groups g ORDER BY g.id"
    ).fetchall()


def test_group_counts_are_added_up_right_through_joins_and_merges(store, feeds, monkeypatch):
    monkeypatch.setattr(cluster, "MERGE_GROUPS", 0.0)
    monkeypatch.setattr(cluster, "MERGE_SHARED_FEED", 0.0)
    # Stored groups that a later story merges, an earlier story joining late, copies, a second
    # story of one feed by URL: each changes counts, the representative story or the dates.
    [a] = add(store, feeds[0], story("a", "Saltmarsh dockworkers vote on pay offer", published=T0 - 5 * HOUR))
    [b] = add(store, feeds[1], story("b", "Port strike ends as union accepts 11 percent", published=T0 - 6 * HOUR))
    [c] = add(store, feeds[2], story("c", "Saltmarsh dockworkers accept 11 percent, port strike ends",
                                     published=T0 - 3 * HOUR))
    assert together(store, a, b, c)
    assert store.group_of(a).title == "Port strike ends as union accepts 11 percent"  # b is the earliest
    assert all(row[1:6] == row[6:] for row in recounted(store))
    [d] = add(store, feeds[3], story("d", *HARBOUR, published=T0 - 9 * HOUR))  # earlier than all
    [e] = add(store, feeds[0], story("e", "Saltmarsh port reopens", url="https://a.example/p", published=T0))
    add(store, feeds[0], story("f", "Library opens new wing", published=T0 - HOUR))
    [g] = add(store, feeds[1], story("g", "Saltmarsh port reopens (updated)", url="https://a.example/p/",
                                     published=T0 - 20 * HOUR))
    assert together(store, a, b, c) and together(store, e, g)
    rows = recounted(store)
    assert len(rows) >= 3
    for row in rows:
        assert row[1:6] == row[6:], row
    assert store.group_of(e).title == "Saltmarsh port reopens (updated)"  # g is the earliest now


def test_a_merge_keeps_the_older_groups_id_whichever_group_is_bigger(store, feeds, monkeypatch):
    monkeypatch.setattr(cluster, "MERGE_GROUPS", 0.0)
    monkeypatch.setattr(cluster, "MERGE_SHARED_FEED", 0.0)
    [a] = add(store, feeds[0], story("a", "Saltmarsh dockworkers vote on pay offer", published=T0 - 5 * HOUR))
    [b] = add(store, feeds[1], story("b", "Port strike ends as union accepts 11 percent", published=T0 - 4 * HOUR))
    [b2] = add(store, feeds[2], story("b2", "Union accepts 11 percent and port strike ends", published=T0 - 4 * HOUR))
    older, bigger = store.group_of(a), store.group_of(b)  # a stands alone: no group of several
    assert older is None and bigger is not None and len(bigger.story_ids) == 2
    first = store.conn.execute("SELECT group_id FROM group_members WHERE story_id = ?", (a,)).fetchone()[0]
    assert first < bigger.id
    # In one call: the story that merges them, then one that joins the merged group by URL.
    with store.write():
        ids, _ = store.save_stories_ids(feeds[3], [
            story("c", "Saltmarsh dockworkers accept 11 percent, port strike ends", published=T0 - 3 * HOUR),
            story("d", "Saltmarsh port reopens", url="https://b.example/story", published=T0 - 2 * HOUR)])
        group_new_stories(store, ids)
    c = ids[0] if store.get_story(ids[0]).title.startswith("Saltmarsh dock") else ids[1]
    assert together(store, a, b, b2, c)
    merged = store.group_of(a)
    assert merged.id == first and merged.feeds == 4
    assert store.get_group(bigger.id) is None
    assert all(row[1:6] == row[6:] for row in recounted(store))
    window = cluster._windows[store]
    assert all(g.id == group_id for group_id, g in window.groups.items()) and bigger.id not in window.groups
    # The window in memory agrees with the database: the next story finds the merged group.
    [e] = add(store, feeds[0], story("e", "Saltmarsh port strike: dockworkers back at work", url="https://b.example/story/"))
    assert store.group_of(e).id == first


# -- the store's group queries -------------------------------------------------------------------


def test_store_group_queries(store, feeds):
    [a] = add(store, feeds[0], story("a", *HARBOUR, published=T0 - 5 * HOUR))
    [b] = add(store, feeds[1], story("b", *HARBOUR_AGAIN, published=T0 - 2 * HOUR))
    [lone] = add(store, feeds[2], story("lone", "Library reopens after renovation"))
    assert store.group_of(lone) is None
    assert store.group_of(999) is None
    group = store.group_of(b)
    assert group == store.get_group(group.id)
    assert [r.id for r in store.group_stories(group.id)] == [a, b]
    assert [r.feed_title for r in store.group_stories(group.id)] == ["Feed 0", "Feed 1"]
    assert store.groups_of([a, b, lone]) == {a: group, b: group}
    assert store.multi_source_groups() == [group]
    assert store.multi_source_groups(limit=0) == []
    assert (group.published, group.latest) == (T0 - 5 * HOUR, T0 - 2 * HOUR)


def test_removing_a_feed_updates_its_groups(store, feeds):
    [a] = add(store, feeds[0], story("a", *HARBOUR, published=T0 - 5 * HOUR))
    [b] = add(store, feeds[1], story("b", *HARBOUR_AGAIN, published=T0 - 2 * HOUR))
    group_id = store.group_of(a).id
    store.remove_feed(feeds[0])
    assert store.group_of(b) is None  # alone now
    assert store.get_group(group_id).story_ids == (b,)
    assert store.get_group(group_id).title == HARBOUR_AGAIN[0]
    assert store.multi_source_groups() == []
    store.remove_feed(feeds[1])
    assert store.get_group(group_id) is None


# -- the shared summary --------------------------------------------------------------------------


def test_group_bullets_draw_on_every_source_and_never_repeat():
    first = ("Dockworkers at the port of Saltmarsh voted on Friday to end a nine-day strike. "
             "The union and the port operators agreed an 11 percent pay rise over two years. "
             "About 2,400 workers return to the cranes on Monday morning.")
    second = ("Dockworkers at the port of Saltmarsh voted on Friday to end their nine-day strike. "
              "Shipping lines said the backlog of container ships would take a week to clear. "
              "The port handles about a third of the region's imports, according to its owners.")
    out = group_bullets([(first, "Strike ends"), (second, "Port strike over")])
    assert any("backlog" in b or "third of the region" in b for b in out)  # from the second
    assert any("11 percent" in b or "2,400" in b for b in out)  # from the first
    assert sum("voted on Friday" in b for b in out) == 1  # said by both, shown once
    assert len(out) == len(set(out)) <= 5
    for bullet in out:
        assert bullet in first or bullet in second  # whole sentences, never rewritten


def test_group_bullets_without_text_use_the_headlines_once():
    assert group_bullets([("", "Port strike ends"), ("", "Port strike ends"), ("", "")]) == ["Port strike ends"]
    assert group_bullets([]) == []
    assert group_bullets([("Some text here.", "T")], max_bullets=0) == []


def test_group_summary_names_its_sources(store, feeds):
    [a] = add(store, feeds[0], story("a", *HARBOUR, published=T0 - 5 * HOUR))
    [b] = add(store, feeds[1], story("b", *HARBOUR_AGAIN, published=T0 - 2 * HOUR))
    summary = group_summary(store, store.group_of(a).id)
    assert summary.feeds == 2
    assert summary.title == HARBOUR[0]
    assert [(s.feed_title, s.story_id) for s in summary.sources] == [("Feed 0", a), ("Feed 1", b)]
    assert len(summary.bullets) >= 2
    assert story_summary(store, b) == summary
    assert group_summary(store, 12345) is None


def test_a_story_alone_is_summarised_alone(store, feeds):
    [lone] = add(store, feeds[0], story("lone", *HARBOUR))
    summary = story_summary(store, lone)
    assert summary.feeds == 1 and [s.story_id for s in summary.sources] == [lone]
    assert summary.bullets and all(b in HARBOUR[1] for b in summary.bullets)
    assert story_summary(store, 424242) is None


# The example story of ../shared/corpus/example-story/, retold in our own words by two feeds.
META_WIRE = dedent("""\
    <?xml version="1.0" encoding="utf-8"?>
    <rss version="2.0"><channel><title>Tech Wire</title><link>https://techwire.example/</link>
    <item><guid>tw-1</guid><link>https://techwire.example/meta-open-models</link>
    <title>Meta pulls back from releasing its AI models openly</title>
    <pubDate>Sun, 01 Mar 2026 08:00:00 +0000</pubDate>
    <description>Meta Platforms will release fewer of its artificial intelligence models as open
    source, chief executive Mark Zuckerberg said, citing the risks of misuse. A year ago he called
    open models the best way forward. The company now wants to build what it calls personal
    superintelligence with a new team of researchers. Analysts said the change has more to do with
    competition than with safety.</description></item>
    <item><guid>tw-2</guid><link>https://techwire.example/ferry</link>
    <title>Island ferry timetable changes in April</title>
    <pubDate>Sun, 01 Mar 2026 06:00:00 +0000</pubDate>
    <description>The island ferry will run two extra crossings on weekdays from April.</description>
    </item></channel></rss>""")
META_DAILY = dedent("""\
    <?xml version="1.0" encoding="utf-8"?>
    <rss version="2.0"><channel><title>Market Daily</title><link>https://marketdaily.example/</link>
    <item><guid>md-1</guid><link>https://marketdaily.example/ai/meta-retreat?utm_source=rss</link>
    <title>Chinese open models race ahead as Meta turns cautious on open-source AI</title>
    <pubDate>Sun, 01 Mar 2026 10:30:00 +0000</pubDate>
    <description>Meta is becoming more selective about which artificial intelligence models it
    shares openly, Mark Zuckerberg said this week. Chinese companies such as Alibaba and Zhipu keep
    publishing open models, and most of the ten most downloaded open models now come from China.
    Meta also plans to sell data centre assets worth about 2 billion dollars to share the cost of
    new AI facilities.</description></item>
    </channel></rss>""")


def test_the_example_story_told_by_two_feeds_is_one_story_with_bullets_from_both(store):
    wire = store.add_feed("https://techwire.example/rss", title="Tech Wire")
    daily = store.add_feed("https://marketdaily.example/rss", title="Market Daily")
    ids = {}
    for feed, document in ((wire, META_WIRE), (daily, META_DAILY)):
        parsed = parse_feed(document.encode(), feed.url)
        assert parsed.error is None
        with store.write():
            new, _ = store.save_stories_ids(feed.id, parsed.stories)
            group_new_stories(store, new)
        ids[feed.id] = new
    [group] = store.multi_source_groups()
    assert group.feeds == 2 and len(group.story_ids) == 2
    summary = group_summary(store, group.id)
    wire_text = store.get_story(group.story_ids[0]).text
    daily_text = store.get_story(group.story_ids[1]).text
    assert any(b in wire_text for b in summary.bullets)
    assert any(b in daily_text for b in summary.bullets)
    assert {s.feed_title for s in summary.sources} == {"Tech Wire", "Market Daily"}


def test_a_refresh_groups_what_it_stores(store, feeds):
    feed_a, feed_b = store.get_feed(feeds[0]), store.get_feed(feeds[1])
    for feed, document in ((feed_a, META_WIRE), (feed_b, META_DAILY)):
        fetched = FetchResult(url=feed.url, final_url=feed.url, status=200, body=document.encode())
        result = store_result(store, feed, fetched, parse_feed(document.encode(), feed.url))
        assert result.error is None and result.new >= 1
    [group] = store.multi_source_groups()
    assert group.feeds == 2
    assert store.ungrouped_story_ids() == []  # the ferry story too, in a group of its own


def test_a_refresh_groups_an_old_databases_stories_a_batch_at_a_time(server, store, feeds, db_path, clock,
                                                                     monkeypatch):
    # A database from before grouping: stories stored, none grouped.
    store.save_stories(feeds[0], [story("a", *HARBOUR, published=T0 - 5 * HOUR)]
                       + [story(f"old{i}", f"Archive story number {i}", published=T0 - 90 * HOUR - i)
                          for i in range(4)])
    store.save_stories(feeds[1], [story("b", *HARBOUR_AGAIN, published=T0 - 2 * HOUR)])
    old = store.ungrouped_story_ids()
    assert len(old) == 6 and store.multi_source_groups() == []
    for feed_id in feeds:  # only the feed on the server is due
        store.update_feed(feed_id, disabled=1)
    store.add_feed(server.add("/new.xml", """<?xml version="1.0"?><rss version="2.0"><channel>
        <title>New</title><item><guid>n1</guid><title>Library opens new wing</title></item>
        </channel></rss>"""))
    monkeypatch.setattr(cluster, "PENDING_BATCH", 3)

    summary = refresh(db_path, clock=clock)
    assert summary.new == 1
    # The refresh's own story, and the newest three old ones: the harbour strike from two feeds.
    assert len(store.ungrouped_story_ids()) == 3
    [group] = store.multi_source_groups()
    assert set(group.story_ids) == set(old[:2]) and group.feeds == 2
    refresh(db_path, clock=clock)  # nothing new to fetch; the rest of the old stories
    assert store.ungrouped_story_ids() == []
    assert not store.has_ungrouped()
    assert all(row[1:6] == row[6:] for row in recounted(store))



# -- what grouping reads, read where the feed is parsed --------------------------------------------


def _benchmark_make_feed():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "refresh.py"
    spec = importlib.util.spec_from_file_location("refresh_benchmark", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.make_feed


def _rss(title: str, items: list[tuple[str, str, str]]) -> str:
    """An RSS 2.0 document of (guid, title, text) items, an hour apart."""
    from email.utils import format_datetime
    from datetime import datetime, timezone
    from xml.sax.saxutils import escape

    body = "".join(
        f"<item><guid>{guid}</guid><title>{escape(head)}</title><link>https://{guid}.example/story</link>"
        f"<pubDate>{format_datetime(datetime.fromtimestamp(T0 - 3600 * (n + 1), timezone.utc))}</pubDate>"
        f"<description>{escape(text)}</description></item>"
        for n, (guid, head, text) in enumerate(items)
    )
    return f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{title}</title>{body}</channel></rss>'


def _grouping_rows(store: Store) -> tuple[list, list]:
    members = [
        (story_id, group_id, feed_id, published, url_key, vector, sorted(marks.split()))
        for story_id, group_id, feed_id, published, url_key, vector, marks in store.conn.execute(
            "SELECT story_id, group_id, feed_id, published, url_key, vector, marks FROM group_members"
            " ORDER BY story_id")
    ]
    groups = store.conn.execute("SELECT * FROM story_groups ORDER BY id").fetchall()
    return members, groups


def test_stories_read_in_parser_processes_group_exactly_as_stories_read_here(server, tmp_path, clock):
    import itertools
    import os

    from tests.conftest import DATA
    from reader.demo import DEMO_FEEDS, _CONTENT_TYPES, demo_document

    make_feed = _benchmark_make_feed()
    urls = [server.add(f"/bench{i}.xml", make_feed(i, 20)) for i in range(30)]
    # Our own reports of one event and their look-alikes, the demo's feeds, and the odd data feeds.
    ours = {"harbour": [("h1", *HARBOUR), ("o1", *OHIO)], "again": [("h2", *HARBOUR_AGAIN), ("i1", *IOWA)],
            "third": [("h3", *HARBOUR_THIRD)]}
    urls += [server.add(f"/{name}.xml", _rss(name, items)) for name, items in ours.items()]
    urls += [server.add(f"/{name}.xml", document) for name, document in (("wire", META_WIRE), ("daily", META_DAILY))]
    urls += [server.add(f"/demo/{name}", demo_document(name), content_type=_CONTENT_TYPES[name[name.rfind("."):]])
             for name, *_ in DEMO_FEEDS]
    urls += [server.url(f"/data/feeds/{name}") for name in sorted(os.listdir(DATA / "feeds"))]

    read_there = tmp_path / "workers.db"
    with Store(read_there, clock=clock) as store:
        for url in urls:
            store.add_feed(url)
    summary = refresh(read_there, clock=clock, workers=2)  # >= POOL_THRESHOLD feeds: worker processes
    assert summary.new > 650

    # The same stories stored and grouped feed by feed in the order the refresh stored them, each
    # read in this process: no features given.
    with Store(read_there, clock=clock) as there, Store(tmp_path / "here.db", clock=clock) as here:
        for (url,) in there.conn.execute("SELECT url FROM feeds ORDER BY id"):
            here.add_feed(url)
        rows = there.conn.execute(
            "SELECT feed_id, uid, url, title, published, text, content_hash FROM stories ORDER BY id").fetchall()
        for feed_id, stored in itertools.groupby(rows, key=lambda r: r[0]):
            # Reversed: the store gives a feed's first item the highest id, so the ids come out the same.
            stories = [ParsedStory(uid=uid, title=title, url=url, published=published, text=text,
                                   content_hash=content_hash)
                       for _, uid, url, title, published, text, content_hash in reversed(list(stored))]
            with here.write():
                ids, _ = here.save_stories_ids(feed_id, stories)
                group_new_stories(here, ids)
        assert here.count_stories() == there.count_stories() == summary.new
        assert _grouping_rows(here) == _grouping_rows(there)
        multi = here.multi_source_groups(limit=10**6)
        # A test that grouping happened: our three reports of one event at least, the demo's, the
        # wire's. (The benchmark's look-alike stories are other stories: few of them group.)
        assert len(multi) >= 3 and max(g.feeds for g in multi) >= 3


def test_a_parser_process_reads_every_story_as_this_process_does(tmp_path):
    from concurrent.futures import ProcessPoolExecutor

    from reader.cluster import story_features
    from reader.refresh import ReadFeed, _pool_context, parse_and_read

    documents = [_benchmark_make_feed()(3, 10), META_WIRE.encode(),
                 _rss("ours", [("h1", *HARBOUR), ("h2", *HARBOUR_AGAIN), ("o1", *OHIO), ("x", "", "")]).encode()]
    with ProcessPoolExecutor(1, mp_context=_pool_context()) as pool:
        parsed = [pool.submit(parse_and_read, d, "https://feed.example/rss").result() for d in documents]
    for feed in parsed:
        assert isinstance(feed, ReadFeed) and len(feed.features) == len(feed.stories) > 0
        assert list(feed.features) == [story_features(s.url, s.title, s.text) for s in feed.stories]
    # A feed without stories carries nothing more.
    assert type(parse_and_read(b"<rss/>", "https://feed.example/rss")).__name__ == "ParsedFeed"


def test_grouping_takes_the_features_given_for_a_story(store, feeds):
    from reader.cluster import story_features
    from reader.refresh import ReadFeed

    def stored(feed_id: int, *items, features=None) -> list[int]:
        parsed = ParsedFeed(stories=tuple(story(uid, title, text) for uid, title, text in items))
        if features is not None:
            parsed = ReadFeed(stories=parsed.stories, features=features)
        feed = store.get_feed(feed_id)
        store_result(store, feed, FetchResult(url=feed.url, status=200, body=b"<rss/>"), parsed)
        return store.story_ids(StoryFilter(feed_id=feed_id))

    [a] = stored(feeds[0], ("a", *HARBOUR))
    [b] = stored(feeds[1], ("b", *HARBOUR_AGAIN),
                 features=(story_features("https://b.example/story", *HARBOUR_AGAIN),))
    assert together(store, a, b)  # the right features: as if read here
    # Features read from another story, given for this one: grouping goes by them, not the text.
    [c] = stored(feeds[2], ("c", *HARBOUR_THIRD), features=(story_features("https://c.example/story", *OHIO),))
    assert not together(store, a, c)
    [d] = stored(feeds[3], ("d", *OHIO), features=(story_features("https://d.example/story", *HARBOUR_THIRD),))
    assert together(store, a, d)


# -- the command line ----------------------------------------------------------------------------


def run(db_path, *args: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["--db", str(db_path), *args], out=out, err=err)
    assert err.getvalue() == ""
    return code, out.getvalue()


@pytest.fixture
def grouped(store, feeds):
    [a] = add(store, feeds[0], story("a", *HARBOUR, published=T0 - 5 * HOUR))
    [b] = add(store, feeds[1], story("b", *HARBOUR_AGAIN, published=T0 - 2 * HOUR))
    [lone] = add(store, feeds[2], story("lone", "Library reopens after renovation", published=T0 - 3 * HOUR))
    return a, b, lone


def test_cli_groups_lists_each_multi_source_story(grouped, db_path):
    a, b, _ = grouped
    code, out = run(db_path, "groups")
    assert code == 0
    assert out.splitlines() == [f"2\t{a},{b}\t{HARBOUR[0]}"]


def test_cli_summary_of_a_grouped_story_and_of_a_lone_one(grouped, db_path):
    a, b, lone = grouped
    code, out = run(db_path, "summary", str(b))
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == HARBOUR[0]
    assert lines[1] == "Summary based on 2 sources"
    bullets = [line for line in lines if line.startswith("  - ")]
    assert len(bullets) >= 2
    sources = lines[lines.index("Sources:") + 1 :]
    assert len(sources) == 2 and f"story {a}" in sources[0] and f"story {b}" in sources[1]
    code, out = run(db_path, "summary", str(lone))
    assert "Summary based on 1 source\n" in out
    out_err = io.StringIO()
    assert main(["--db", str(db_path), "summary", "999"], out=io.StringIO(), err=out_err) == 1
    assert "no such story: 999" in out_err.getvalue()


def test_cli_stories_grouped_shows_an_event_once(grouped, db_path):
    a, b, lone = grouped
    _, plain = run(db_path, "stories")
    assert [int(line.split("\t")[0]) for line in plain.splitlines()] == [b, lone, a]
    _, out = run(db_path, "stories", "--grouped")
    rows = [line.split("\t") for line in out.splitlines()]
    assert [int(r[0]) for r in rows] == [b, lone]  # the event at its newest story, once
    assert rows[0][-1] == f"{HARBOUR_AGAIN[0]} [2 sources]"
    assert rows[1][-1] == "Library reopens after renovation"
    _, out = run(db_path, "stories", "--grouped", "--limit", "1")
    assert len(out.splitlines()) == 1


# -- the demo ------------------------------------------------------------------------------------


def test_the_demo_tells_its_tram_vote_once_from_three_feeds_and_keeps_ohio_and_iowa_apart(store):
    load_demo(store, now=T0)
    by_title = {store.get_story(i).title: i for i in store.story_ids()}
    tram = [i for t, i in by_title.items() if "tram" in t.lower() or "Harbour Line" in t]
    assert len(tram) == 3
    group = store.group_of(tram[0])
    assert group is not None and set(group.story_ids) == set(tram) and group.feeds == 3
    ohio = next(i for t, i in by_title.items() if "wins Ohio" in t)
    iowa = next(i for t, i in by_title.items() if "wins Iowa" in t)
    assert not together(store, ohio, iowa)
    assert not together(store, ohio, tram[0])  # "Ohio" in both titles is not the same event
    # Every multi-source group of the demo is one of its two planned events.
    titles = sorted(g.title for g in store.multi_source_groups())
    assert len(titles) <= 2 and any("Harbour Line" in t for t in titles)
    # Loading again adds nothing and groups nothing twice.
    before = store.multi_source_groups()
    load_demo(store, now=T0)
    assert store.multi_source_groups() == before


# -- kept summaries ------------------------------------------------------------------------------

HARBOUR_THIRD = (
    "Saltmarsh dockworkers back at work after nine-day strike",
    "Cranes were moving again at the port of Saltmarsh on Monday after dockworkers ended their "
    "nine-day strike with a vote on Friday. The 11 percent pay deal runs for two years. Shipping "
    "agents said it would take about a week to clear the queue of container ships waiting at sea.",
)


def kept(store: Store, table: str) -> dict[int, list[str]]:
    column = "story_id" if table == "story_summaries" else "group_id"
    return {i: json.loads(b) for i, b in store.conn.execute(f"SELECT {column}, bullets FROM {table}")}


def plant(store: Store, table: str, bullets: list[str]) -> None:
    """Overwrite what is kept (not the key): a summary read from the cache shows it."""
    with store.write():
        store.conn.execute(f"UPDATE {table} SET bullets = ?", (json.dumps(bullets),))


def test_a_story_summary_is_computed_once_then_read_from_the_database(store, feeds, db_path, clock):
    [lone] = add(store, feeds[0], story("lone", *HARBOUR))
    first = story_summary(store, lone)
    assert kept(store, "story_summaries") == {lone: list(first.bullets)}
    plant(store, "story_summaries", ["Planted."])
    assert story_summary(store, lone).bullets == ("Planted.",)
    with Store(db_path, clock=clock) as other:  # another process (the CLI, the app's worker)
        assert story_summary(other, lone).bullets == ("Planted.",)
    # Another number of bullets is another summary.
    assert story_summary(store, lone, max_bullets=1).bullets == first.bullets[:1]


def test_a_changed_story_is_summarised_again(store, feeds):
    [lone] = add(store, feeds[0], story("lone", *HARBOUR))
    story_summary(store, lone)
    plant(store, "story_summaries", ["Planted."])
    changed = HARBOUR[1].replace("About 2,400 workers", "About 2,500 workers")
    store.save_stories(feeds[0], [story("lone", HARBOUR[0], changed)])
    summary = story_summary(store, lone)
    assert summary.bullets != ("Planted.",)
    assert any("2,500" in b for b in summary.bullets)
    assert kept(store, "story_summaries") == {lone: list(summary.bullets)}


def test_a_story_with_its_article_is_summarised_from_the_article(store, feeds):
    [lone] = add(store, feeds[0], story("lone", *HARBOUR))
    assert any("Monday" in b for b in story_summary(store, lone).bullets)
    plant(store, "story_summaries", ["Planted."])
    article = HARBOUR_THIRD[1] + "\n\nThe port authority thanked both sides for ending the dispute."
    store.save_article(lone, source="article", markdown=article, search=article)
    summary = story_summary(store, lone)
    assert summary.bullets and all(b in article for b in summary.bullets)
    # When the page was not usable, the feed's text is what the summary is made from.
    store.save_article(lone, source="feed", error="the page is behind a paywall")
    assert all(b in HARBOUR[1] for b in story_summary(store, lone).bullets)


def test_an_event_summary_is_kept_until_a_story_joins_it(store, feeds):
    [a] = add(store, feeds[0], story("a", *HARBOUR, published=T0 - 5 * HOUR))
    [b] = add(store, feeds[1], story("b", *HARBOUR_AGAIN, published=T0 - 4 * HOUR))
    group = store.group_of(a)
    first = story_summary(store, b)
    assert first.feeds == 2
    assert kept(store, "group_summaries") == {group.id: list(first.bullets)}
    assert kept(store, "story_summaries") == {}  # a story in an event is summed up with it
    plant(store, "group_summaries", ["Planted."])
    assert story_summary(store, a).bullets == ("Planted.",)
    [c] = add(store, feeds[2], story("c", *HARBOUR_THIRD, published=T0 - 3 * HOUR))
    assert together(store, a, b, c)
    summary = story_summary(store, c)
    assert summary.feeds == 3 and summary.bullets != ("Planted.",)
    assert all(any(b in s[1] for s in (HARBOUR, HARBOUR_AGAIN, HARBOUR_THIRD)) for b in summary.bullets)
    assert kept(store, "group_summaries") == {store.group_of(c).id: list(summary.bullets)}


def test_a_summary_is_shown_even_when_another_writer_holds_the_database(store, feeds, db_path):
    [lone] = add(store, feeds[0], story("lone", *HARBOUR))
    refresh = sqlite3.connect(db_path, isolation_level=None)  # a refresh mid-transaction
    refresh.execute("BEGIN IMMEDIATE")
    try:
        summary = story_summary(store, lone)
        assert summary.bullets and all(b in HARBOUR[1] for b in summary.bullets)
        assert kept(store, "story_summaries") == {}  # not kept, and not waited for
    finally:
        refresh.execute("COMMIT")
        refresh.close()
    assert story_summary(store, lone) == summary
    assert kept(store, "story_summaries") == {lone: list(summary.bullets)}


def test_kept_summaries_go_with_their_stories(store, feeds):
    [a] = add(store, feeds[0], story("a", *HARBOUR, published=T0 - 5 * HOUR))
    [b] = add(store, feeds[1], story("b", *HARBOUR_AGAIN, published=T0 - 4 * HOUR))
    [lone] = add(store, feeds[2], story("lone", *OHIO))
    story_summary(store, a)
    story_summary(store, lone)
    assert len(kept(store, "group_summaries")) == 1 and len(kept(store, "story_summaries")) == 1
    store.remove_feed(feeds[2])
    assert kept(store, "story_summaries") == {}
    store.remove_feed(feeds[1])  # the event is one story now, summed up alone
    alone = story_summary(store, a)
    assert alone.feeds == 1 and all(b in HARBOUR[1] for b in alone.bullets)
    store.remove_feed(feeds[0])
    assert kept(store, "story_summaries") == {} and kept(store, "group_summaries") == {}
