"""The refresh pipeline against a real local HTTP server and a real SQLite file."""

from __future__ import annotations

import asyncio
from email.utils import format_datetime
from datetime import datetime, timezone
from xml.sax.saxutils import escape

import pytest

from reader.fetch import FetchLimits
from reader.models import StoryFilter
from reader.refresh import AddFeedError, add_feed_from_url, normalise_url, refresh
from reader.store import Store
from tests.conftest import T0

FAST = FetchLimits(connect_timeout=2, read_timeout=2, total_timeout=5)


def rss(title: str, items: list[tuple[str, str]], base_time: int = T0) -> str:
    """An RSS 2.0 document with (guid, title) items, newest first, an hour apart."""
    body = []
    for n, (guid, item_title) in enumerate(items):
        date = format_datetime(datetime.fromtimestamp(base_time - 3600 * (n + 1), timezone.utc))
        body.append(
            f"<item><guid>{escape(guid)}</guid><title>{escape(item_title)}</title>"
            f"<link>https://news.example/{escape(guid)}</link><pubDate>{date}</pubDate>"
            f"<description>Text of {escape(item_title)}.</description></item>"
        )
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{escape(title)}'
            f"</title><link>https://news.example/</link>{''.join(body)}</channel></rss>")


def do_refresh(db_path, clock, ids=None, **kw):
    return refresh(db_path, ids, clock=clock, limits=FAST, **kw)


def test_first_refresh_stores_stories_and_second_is_conditional(server, store, db_path, clock):
    url = server.add("/a.xml", rss("Feed A", [("a1", "First"), ("a2", "Second")]))
    feed = store.add_feed(url)
    summary = do_refresh(db_path, clock)
    assert summary.new == 2 and not summary.failed
    got = store.get_feed(feed.id)
    assert got.title == "Feed A" and got.etag and got.last_status == 200
    assert got.last_fetched == T0
    assert [r.title for r in store.list_stories()] == ["First", "Second"]
    assert server.requests_for("/a.xml")[0].headers["If-None-Match"] is None

    summary = do_refresh(db_path, clock)
    assert summary.new == 0 and summary.feeds[0].not_modified
    second = server.requests_for("/a.xml")[1]
    assert second.headers["If-None-Match"] == got.etag
    assert len(server.requests_for("/a.xml")) == 2  # one request per feed per refresh


def test_changed_story_is_updated_and_keeps_read_and_saved(server, store, db_path, clock):
    url = server.add("/a.xml", rss("Feed A", [("a1", "First")]))
    store.add_feed(url)
    do_refresh(db_path, clock)
    sid = store.story_ids()[0]
    store.mark_read([sid])
    store.mark_saved([sid])
    server.add("/a.xml", rss("Feed A", [("a0", "Newer"), ("a1", "First, corrected")]))
    summary = do_refresh(db_path, clock)
    assert (summary.new, summary.updated) == (1, 1)
    story = store.get_story(sid)
    assert story.title == "First, corrected" and story.read and story.saved


def test_a_failing_feed_does_not_stop_the_others_and_recovers(server, store, db_path, clock):
    good = store.add_feed(server.add("/good.xml", rss("Good", [("g1", "Fine")])))
    bad = store.add_feed(server.add("/bad.xml", "", status=500))
    dead = store.add_feed(f"http://127.0.0.1:{_closed_port()}/feed.xml")
    summary = do_refresh(db_path, clock)
    assert summary.new == 1
    errors = {r.feed_id: r.error for r in summary.failed}
    assert set(errors) == {bad.id, dead.id}
    assert "500" in errors[bad.id]
    assert "refused" in errors[dead.id]
    stored = store.get_feed(bad.id)
    assert stored.last_error and stored.consecutive_errors == 1 and stored.last_status == 500
    do_refresh(db_path, clock, [bad.id])
    assert store.get_feed(bad.id).consecutive_errors == 2
    server.add("/bad.xml", rss("Bad no more", [("b1", "Back")]))
    do_refresh(db_path, clock, [bad.id])
    healed = store.get_feed(bad.id)
    assert healed.last_error is None and healed.consecutive_errors == 0
    assert store.count_stories(StoryFilter(feed_id=good.id)) == 1


def _closed_port() -> int:
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_gone_feed_is_disabled_with_a_message(server, store, db_path, clock):
    feed = store.add_feed(server.add("/gone.xml", "", status=410))
    summary = do_refresh(db_path, clock)
    assert "disabled" in summary.failed[0].error
    stored = store.get_feed(feed.id)
    assert stored.disabled and "410" in stored.last_error
    server.clear()
    do_refresh(db_path, clock)
    assert server.requests_for("/gone.xml") == []


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_holds_the_feed_back(server, store, db_path, clock, status):
    feed = store.add_feed(server.add("/busy.xml", "", status=status, retry_after="120"))
    do_refresh(db_path, clock)
    assert store.get_feed(feed.id).fetch_not_before == T0 + 120
    server.clear()
    summary = do_refresh(db_path, clock, [feed.id])
    assert summary.feeds[0].skipped and server.requests_for("/busy.xml") == []
    clock.advance(121)
    server.add("/busy.xml", rss("Busy", [("x", "Now it works")]))
    summary = do_refresh(db_path, clock)
    assert summary.new == 1 and store.get_feed(feed.id).fetch_not_before is None


def test_permanent_redirect_updates_the_stored_url(server, store, db_path, clock):
    target = server.add("/new.xml", rss("Moved", [("m", "Here now")]))
    feed = store.add_feed(server.redirect("/old.xml", "/new.xml", status=301))
    do_refresh(db_path, clock)
    assert store.get_feed(feed.id).url == target


def test_temporary_redirect_keeps_the_url(server, store, db_path, clock):
    server.add("/new.xml", rss("Moved", [("m", "Here now")]))
    old = server.redirect("/old.xml", "/new.xml", status=302)
    feed = store.add_feed(old)
    do_refresh(db_path, clock)
    assert store.get_feed(feed.id).url == old and store.count_stories() == 1


def test_an_html_page_is_an_error_in_words(server, store, db_path, clock):
    feed = store.add_feed(server.url("/data/feeds/not-a-feed.html"))
    summary = do_refresh(db_path, clock)
    assert summary.failed[0].error.startswith("not a feed")
    assert "HTML" in store.get_feed(feed.id).last_error


def test_many_feeds_parse_in_worker_processes_with_progress(server, store, db_path, clock):
    for i in range(12):
        store.add_feed(server.add(f"/f{i}.xml", rss(f"Feed {i}", [(f"{i}-{j}", f"Story {i}.{j}") for j in range(5)])))
    seen = []
    summary = do_refresh(db_path, clock, on_progress=lambda done, total, r: seen.append((done, total)))
    assert summary.new == 60 and not summary.failed
    assert seen == [(n, 12) for n in range(1, 13)]
    assert store.count_stories() == 60
    assert len(server.requests) == 12


def test_every_data_feed_refreshes_without_an_exception(server, store, db_path, clock):
    import os

    from tests.conftest import DATA

    for name in sorted(os.listdir(DATA / "feeds")):
        store.add_feed(server.url(f"/data/feeds/{name}"))
    summary = do_refresh(db_path, clock)
    assert len(summary.feeds) == len(os.listdir(DATA / "feeds"))
    assert summary.new > 20
    with Store(db_path) as check:
        assert check.integrity_ok()


def test_demo_feeds_are_never_fetched(store, db_path, clock):
    store.add_feed("https://demo.newsdesk.invalid/world.xml")
    summary = do_refresh(db_path, clock)
    assert summary.feeds == ()


def test_add_a_feed_url_stores_its_stories_with_one_request(server, db_path, clock):
    url = server.add("/a.xml", rss("Feed A", [("a1", "First")]))
    feed, result = add_feed_from_url(db_path, url, folder="Tech", clock=clock, limits=FAST)
    assert feed.title == "Feed A" and feed.folder == "Tech" and result.new == 1
    assert len(server.requests_for("/a.xml")) == 1
    with pytest.raises(AddFeedError, match="already subscribed"):
        add_feed_from_url(db_path, url, clock=clock, limits=FAST)


def test_add_stores_a_folder_and_title_as_an_import_would(server, db_path, clock):
    # The app's add dialog passes what was typed: " /Tech// News/ " was stored as typed, a folder
    # no import or export would make, and a blank title hid the feed's own.
    url = server.add("/n.xml", rss("Feed N", [("n1", "First")]))
    feed, _ = add_feed_from_url(db_path, url, folder=" /Tech// News/ ", title="   ", clock=clock, limits=FAST)
    assert feed.folder == "Tech/News" and feed.title == "Feed N"


def test_add_a_web_page_discovers_its_feed(server, db_path, clock):
    feed_url = server.add("/blog/feed.xml", rss("The Blog", [("p1", "Post")]))
    page = server.add("/blog/", '<html><head><title>Blog</title><link rel="alternate" '
                      'type="application/rss+xml" href="feed.xml"></head><body>Hi</body></html>',
                      content_type="text/html")
    feed, result = add_feed_from_url(db_path, page, clock=clock, limits=FAST)
    assert feed.url == feed_url and result.new == 1

def _page_linking(server, *hrefs: str) -> str:
    links = "".join(f'<link rel="alternate" type="application/rss+xml" href="{h}">' for h in hrefs)
    return server.add("/site/", f"<html><head><title>Site</title>{links}</head><body>Hi</body></html>",
                      content_type="text/html")


def test_add_a_page_whose_first_feed_is_dead_takes_the_next_that_reads(server, db_path, clock):
    server.add("/site/gone.xml", "", status=404)
    server.add("/site/page.xml", "<html><body>a page, not a feed</body></html>", content_type="text/html")
    good = server.add("/site/good.xml", rss("The Good Feed", [("g1", "Post")]))
    page = _page_linking(server, "gone.xml", "page.xml", "good.xml")
    feed, result = add_feed_from_url(db_path, page, clock=clock, limits=FAST)
    assert feed.url == good and feed.title == "The Good Feed" and result.new == 1
    assert [len(server.requests_for(p)) for p in ("/site/gone.xml", "/site/page.xml", "/site/good.xml")] == [1, 1, 1]
    with Store(db_path) as s:
        assert [f.url for f in s.list_feeds()] == [good]


def test_add_a_page_whose_feeds_all_fail_names_each_and_adds_nothing(server, db_path, clock):
    server.add("/site/gone.xml", "", status=404)
    server.add("/site/page.xml", "<html><body>a page, not a feed</body></html>", content_type="text/html")
    page = _page_linking(server, "gone.xml", "page.xml")
    with pytest.raises(AddFeedError) as raised:
        add_feed_from_url(db_path, page, clock=clock, limits=FAST)
    message = str(raised.value)
    assert message.startswith("none of the 2 feeds the page links to could be read: ")
    assert "gone.xml (HTTP 404" in message and "page.xml (not a feed" in message
    with Store(db_path) as s:
        assert s.list_feeds() == []


def test_add_a_page_tries_at_most_a_few_of_its_feeds(server, db_path, clock):
    import reader.refresh

    hrefs = [f"dead{i}.xml" for i in range(reader.refresh.DISCOVERED_TRIED + 3)]
    for h in hrefs:
        server.add(f"/site/{h}", "", status=404)
    page = _page_linking(server, *hrefs)
    with pytest.raises(AddFeedError, match=rf"none of the {reader.refresh.DISCOVERED_TRIED} feeds the page links to \(of {len(hrefs)}\) could be read"):
        add_feed_from_url(db_path, page, clock=clock, limits=FAST)
    assert sum(len(server.requests_for(f"/site/{h}")) for h in hrefs) == reader.refresh.DISCOVERED_TRIED


def test_add_a_page_whose_only_feed_is_dead_says_so(server, db_path, clock):
    server.add("/site/gone.xml", "", status=404)
    with pytest.raises(AddFeedError, match=r"^the page links to http://\S+/site/gone.xml, which could not be read: HTTP 404"):
        add_feed_from_url(db_path, _page_linking(server, "gone.xml"), clock=clock, limits=FAST)



@pytest.mark.parametrize("body,message", [
    ("<html><head><title>No feeds</title></head><body>nothing</body></html>", "no feed found"),
])
def test_add_a_page_without_feeds_says_so(server, db_path, clock, body, message):
    page = server.add("/plain/", body, content_type="text/html")
    with pytest.raises(AddFeedError, match=message):
        add_feed_from_url(db_path, page, clock=clock, limits=FAST)
    with Store(db_path) as s:
        assert s.list_feeds() == []


@pytest.mark.parametrize("text", ["", "ftp://example.org/feed", "javascript:alert(1)", "http://", "not a url"])
def test_bad_urls_are_refused(text):
    with pytest.raises(AddFeedError):
        normalise_url(text)


def test_a_bare_host_gets_https():
    assert normalise_url("example.org/feed") == "https://example.org/feed"


# --- storing: one writer thread, several feeds to a transaction, a savepoint each ---------------


async def test_results_that_queue_up_share_a_transaction_and_a_bug_costs_only_its_feed(
    store, db_path, clock, monkeypatch
):
    import reader.refresh
    from reader.models import FetchResult, ParsedFeed, ParsedStory

    feeds = [store.add_feed(f"https://feed{i}.example/rss") for i in range(6)]
    real = reader.refresh.store_result

    def buggy(store, feed, fetched, parsed):
        result = real(store, feed, fetched, parsed)  # its stories are written, then undone
        if feed.id == feeds[3].id:
            raise KeyError("boom")
        return result

    monkeypatch.setattr(reader.refresh, "store_result", buggy)
    begun = []
    writing = Store(db_path, clock=clock)
    writing.conn.set_trace_callback(lambda sql: begun.append(sql) if sql.startswith("BEGIN") else None)
    # Another process holds the write lock, so the results queue up behind the first one.
    blocker = Store(db_path, clock=clock)
    blocker.conn.execute("BEGIN IMMEDIATE")
    writer = reader.refresh._Writer(writing)
    try:
        pending = [
            writer.write(
                feed,
                FetchResult(url=feed.url, status=200, body=b"<rss/>"),
                ParsedFeed(title=f"Feed {i}", stories=(ParsedStory(uid=f"s{i}", title=f"Story {i}"),)),
            )
            for i, feed in enumerate(feeds)
        ]
        await asyncio.sleep(0.2)
        blocker.conn.rollback()
        results = await asyncio.gather(*pending)
    finally:
        writer.close()
        writing.close()
        blocker.close()
    assert len(begun) < len(feeds)  # at most two transactions: the first result, then the rest
    assert [r.new for r in results] == [1, 1, 1, 0, 1, 1]
    assert results[3].error.startswith("Newsdesk failed on this feed, which is a bug (KeyError")
    assert store.count_stories() == 5
    assert store.count_stories(StoryFilter(feed_id=feeds[3].id)) == 0
    assert store.get_feed(feeds[3].id).title is None  # the feed's fields were undone too
    assert store.get_feed(feeds[3].id).last_error == results[3].error
    assert [store.get_feed(f.id).title for f in feeds if f is not feeds[3]] == [
        "Feed 0", "Feed 1", "Feed 2", "Feed 4", "Feed 5"
    ]
    # in the search index with the same commit, before the refresh's last indexing pass
    indexed = store.conn.execute("SELECT count(*) FROM stories_fts").fetchone()[0]
    assert indexed == 5


def test_a_refresh_of_304s_never_loads_the_parser_or_grouping(server, store, db_path, clock):
    import subprocess
    import sys
    from pathlib import Path

    for i in range(10):
        store.add_feed(server.add(f"/f{i}.xml", rss(f"Feed {i}", [(f"{i}", f"Story {i}")])))
    do_refresh(db_path, clock)  # every feed now has its ETag
    code = (
        "import sys\n"
        "from reader.fetch import FetchLimits\n"
        "from reader.refresh import refresh\n"
        "summary = refresh(sys.argv[1], limits=FetchLimits(connect_timeout=2, read_timeout=2))\n"
        "assert all(r.not_modified for r in summary.feeds) and len(summary.feeds) == 10, summary\n"
        "print(sorted({'feedparser', 'lxml', 'reader.parse', 'reader.cluster'} & set(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(db_path)], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).resolve().parents[1])
    assert out.stdout.strip() == "[]"


def test_one_story_listed_twice_under_two_ids_is_stored_once(server, store, db_path, clock):
    date = format_datetime(datetime.fromtimestamp(T0 - 3600, timezone.utc))

    def item(guid: str, title: str, link: str) -> str:
        return (f"<item><guid>{guid}</guid><title>{title}</title><link>{link}</link>"
                f"<pubDate>{date}</pubDate><description>Text.</description></item>")

    store.add_feed(server.add("/twice.xml", (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Twice</title>'
        + item("a", "Tram line approved", "http://www.city.example/tram/")
        + item("b", "Tram  line APPROVED", "https://city.example/tram?utm_source=rss")  # the same
        + item("c", "Tram line approved", "https://city.example/other")  # another page
        + item("d", "Storm closes harbour", "https://city.example/tram")  # another title
        + "</channel></rss>")))
    summary = do_refresh(db_path, clock)
    assert summary.new == 3
    assert sorted(r.url for r in store.list_stories()) == [
        "http://www.city.example/tram/", "https://city.example/other", "https://city.example/tram"
    ]


def test_fetching_waits_when_storing_falls_behind(server, store, db_path, clock, monkeypatch):
    import time

    import reader.refresh

    for i in range(12):
        store.add_feed(server.add(f"/f{i}.xml", rss(f"Feed {i}", [(f"{i}", f"Story {i}")])))
    real = reader.refresh.store_result
    stored = []
    ahead = []

    def slow(store, feed, fetched, parsed):
        ahead.append(len(server.requests) - len(stored))  # fetched but not yet stored
        time.sleep(0.05)
        result = real(store, feed, fetched, parsed)
        stored.append(feed.id)
        return result

    monkeypatch.setattr(reader.refresh, "store_result", slow)
    monkeypatch.setattr(reader.refresh, "MAX_AHEAD", 3)
    summary = do_refresh(db_path, clock)
    assert summary.new == 12 and not summary.failed
    # never past the limit; and fetching did run ahead of storing (how far depends on the machine)
    assert 2 <= max(ahead) <= 3, ahead


def test_a_store_thread_that_breaks_answers_every_feed_instead_of_hanging(
    server, store, db_path, clock, monkeypatch
):
    import threading

    import reader.refresh

    feeds = [store.add_feed(server.add(f"/f{i}.xml", rss(f"Feed {i}", [(f"{i}", f"Story {i}")])))
             for i in range(4)]
    real = reader.refresh.store_result

    def breaking(store, feed, fetched, parsed):
        if feed.id == feeds[1].id:
            raise SystemExit("not an Exception: nothing on the way catches it")
        return real(store, feed, fetched, parsed)

    monkeypatch.setattr(reader.refresh, "store_result", breaking)
    done = []
    worker = threading.Thread(target=lambda: done.append(do_refresh(db_path, clock)), daemon=True)
    worker.start()
    worker.join(30)
    assert done, "the refresh hung"
    summary = done[0]
    assert len(summary.feeds) == 4
    assert feeds[1].id in {r.feed_id for r in summary.failed}
    assert all(r.error.startswith("Newsdesk failed on this feed, which is a bug (SystemExit")
               for r in summary.failed)


def test_workers_started_while_threads_run_come_with_the_parser_loaded():
    # As in the app: threads run, so workers come from a fork server, which loads the parser once.
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import threading\n"
        "from concurrent.futures import ProcessPoolExecutor\n"
        "from reader.refresh import _pool_context\n"
        "if __name__ == '__main__':\n"
        "    stop = threading.Event()\n"
        "    threading.Thread(target=stop.wait).start()\n"
        "    context = _pool_context()\n"
        "    with ProcessPoolExecutor(1, mp_context=context) as pool:\n"
        "        loaded = pool.submit(eval, \"{'reader.parse', 'reader.fastparse'} <= set(\"\n"
        "                             \"__import__('sys').modules)\").result()\n"
        "    stop.set()\n"
        "    print(context.get_start_method(), loaded)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[1])
    assert out.stdout.split() == ["forkserver", "True"]


async def test_a_cancelled_refresh_stops_its_fetches_and_leaves_no_task_behind(server, store, db_path, clock):
    from reader.refresh import refresh_async

    for i in range(5):
        store.add_feed(server.stall(f"/stall{i}.xml"))
    with Store(db_path, clock=clock) as refreshing:
        task = asyncio.ensure_future(refresh_async(refreshing, refreshing.due_feeds(), limits=FAST))
        while len(server.requests) < 5:
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert [t for t in asyncio.all_tasks() if t is not asyncio.current_task()] == []
