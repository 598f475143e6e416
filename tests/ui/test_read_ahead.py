"""Reading ahead in the app (issue 4): with fetch_articles on, a refresh (r, or the timer) also
fetches and keeps the full articles of new unread stories, in a worker after the feeds, with
progress in the refresh bar. A real local HTTP server serves the feed and the article pages."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone
from email.utils import format_datetime
from xml.sax.saxutils import escape

import pytest

from reader.store import Store
from tests.conftest import DATA, T0

SIZE = (120, 36)
ARTICLES = DATA / "articles"


def rss(server, pages: dict[str, str]) -> str:
    items = []
    for n, (guid, path) in enumerate(pages.items()):
        date = format_datetime(datetime.fromtimestamp(T0 - 3600 * (n + 1), timezone.utc))
        items.append(f"<item><guid>{guid}</guid><title>Story {guid}</title><link>{escape(server.url(path))}</link>"
                     f"<pubDate>{date}</pubDate><description>A teaser.</description></item>")
    return ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Courier</title>'
            f"<link>{server.url('/')}</link>{''.join(items)}</channel></rss>")


def make(server, tmp_path, clock, settings, fetch_articles: bool):
    from reader.ui.app import NewsdeskApp

    server.add("/news/bridge.html", ARTICLES / "harbour-bridge.html")
    server.add("/news/terminal.html", ARTICLES / "paywall.html")
    feed_url = server.add("/feed.xml", rss(server, {"b": "/news/bridge.html", "t": "/news/terminal.html"}))
    path = tmp_path / "app.db"
    with Store(path, clock=clock) as store:
        store.add_feed(feed_url, title="Courier")
    app = NewsdeskApp(path, clock=clock, settings=dataclasses.replace(settings, fetch_articles=fetch_articles))
    return app, path


async def settle(app, pilot) -> None:
    """Until the refresh and the reading ahead that follows it have both ended."""
    for _ in range(200):
        await app.workers.wait_for_complete()
        await pilot.pause()
        if not app.refreshing and not app.reading_ahead:
            return
    raise AssertionError("the refresh never ended")


@pytest.mark.parametrize("how", ["r", "timer"])
async def test_a_refresh_then_reads_ahead_full_articles(server, tmp_path, clock, settings, how):
    app, path = make(server, tmp_path, clock, settings, fetch_articles=True)
    async with app.run_test(size=SIZE) as pilot:
        if how == "r":
            await pilot.press("r")
        else:
            app._auto_refresh_tick()  # what the auto-refresh interval calls
        await settle(app, pilot)
        assert "Fetching articles 2/2" in str(app.main.query_one("#refresh-label").render())
        assert not app.has_class("-refreshing"), "the bar goes when reading ahead ends"
        assert app.stories.row_count == 2, "the new stories were listed before their articles came"
    paths = [r.bare_path for r in server.requests]
    assert paths[0] == "/feed.xml", "the feeds first: reading ahead never slows them down"
    assert sorted(paths[1:]) == ["/news/bridge.html", "/news/terminal.html"]
    with Store(path, clock=clock) as store:
        kept = {store.get_story(i).title[-1]: store.article(i) for i in store.story_ids()}
        assert kept["b"]["source"] == "article" and "zanzibarite" in kept["b"]["markdown"]
        assert kept["t"]["source"] == "feed" and "subscribers" in kept["t"]["error"]
        assert not any(store.get_story(i).read for i in store.story_ids()), "reading ahead reads nothing"


async def test_an_opened_story_shows_its_article_from_the_database_after_reading_ahead(
        server, tmp_path, clock, settings, monkeypatch):
    from reader import extract
    from reader.ui.app import NewsdeskApp

    monkeypatch.setattr(NewsdeskApp, "_article_source", staticmethod(lambda: extract.get_article))
    app, path = make(server, tmp_path, clock, settings, fetch_articles=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")
        await settle(app, pilot)
        server.clear()
        with Store(path, clock=clock) as store:
            bridge = next(i for i in store.story_ids() if store.get_story(i).title == "Story b")
        app.open_story(bridge)
        await settle(app, pilot)
        assert app.reading.showing == "article"
    assert server.requests == [], "the kept article opens with no network"


async def test_without_fetch_articles_a_refresh_fetches_no_page(server, tmp_path, clock, settings):
    app, path = make(server, tmp_path, clock, settings, fetch_articles=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")
        await settle(app, pilot)
        assert app.stories.row_count == 2
    assert [r.bare_path for r in server.requests] == ["/feed.xml"]
    with Store(path, clock=clock) as store:
        assert all(store.article(i) is None for i in store.story_ids())


async def test_many_articles_are_extracted_in_worker_processes_from_the_app(server, tmp_path, clock, settings):
    # Eight pages or more go to a process pool (forkserver: the app has threads); the app's
    # worker thread starts it and the articles are kept all the same.
    from reader.extract import POOL_THRESHOLD
    from reader.ui.app import NewsdeskApp

    pages = {f"s{n}": f"/news/{n}.html" for n in range(POOL_THRESHOLD + 1)}
    for path in pages.values():
        server.add(path, ARTICLES / "harbour-bridge.html")
    path = tmp_path / "app.db"
    with Store(path, clock=clock) as store:
        store.add_feed(server.add("/feed.xml", rss(server, pages)), title="Courier")
    app = NewsdeskApp(path, clock=clock, settings=dataclasses.replace(settings, fetch_articles=True))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")
        await settle(app, pilot)
        notes = [n.message for n in app._notifications]
        assert f"Fetching articles {len(pages)}/{len(pages)}" in str(app.main.query_one("#refresh-label").render()), notes
    with Store(path, clock=clock) as store:
        kept = [store.article(i) for i in store.story_ids()]
    assert len(kept) == len(pages) and all(a["source"] == "article" for a in kept)


async def test_refreshing_many_feeds_parses_them_in_worker_processes_from_the_app(server, tmp_path, clock, settings):
    # Eight feeds or more are parsed in a process pool. Textual's stand-in for stderr has no file
    # descriptor, which multiprocessing's resource tracker would be handed: the app starts the
    # tracker before it runs.
    from reader.refresh import POOL_THRESHOLD
    from reader.ui.app import NewsdeskApp

    path = tmp_path / "app.db"
    with Store(path, clock=clock) as store:
        for n in range(POOL_THRESHOLD + 1):
            server.add(f"/news/{n}.html", ARTICLES / "harbour-bridge.html")
            store.add_feed(server.add(f"/feed{n}.xml", rss(server, {f"f{n}": f"/news/{n}.html"})), title=f"Feed {n}")
    app = NewsdeskApp(path, clock=clock, settings=settings)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")
        await settle(app, pilot)
        notes = [n.message for n in app._notifications]
        assert app.stories.story_count == POOL_THRESHOLD + 1, notes
