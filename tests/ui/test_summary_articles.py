"""The summary panel once a story's full article is kept: its bullets are drawn from the article
(reader.cluster.story_summary does so), and the panel shows them without a restart, whether the
article came from opening the story or from reading ahead after a refresh. A long article is
summed up in a worker, never on the key path. A real local HTTP server serves feed and pages."""

from __future__ import annotations

import asyncio
import dataclasses

from reader.models import ParsedStory
from reader.store import Store
from tests.conftest import T0
from tests.ui.test_read_ahead import ARTICLES, rss, settle

SIZE = (120, 36)
TEASER = "Traffic is back on the harbour bridge this weekend, the council says."


def long_page(sentences: int = 60) -> str:
    """A web page whose article is well over SYNC_SUMMARY_CHARS of text."""
    paragraphs = "".join(
        f"<p>Crane number {n} on the north quay was repainted in shade {n} by the night crew of "
        f"the harbour works, who finished section {n} of the deck one week early.</p>"
        for n in range(1, sentences + 1)
    )
    return ("<!doctype html><html><head><title>Harbour works finish early</title></head><body>"
            f"<article><h1>Harbour works finish early</h1>{paragraphs}</article></body></html>")


def add_story(path, clock, server, page: str, text: str = TEASER) -> int:
    with Store(path, clock=clock) as store:
        feed = store.add_feed(server.url("/feed.xml"), title="Courier")
        store.save_stories(feed.id, [ParsedStory(uid="b", title="The bridge reopens", url=server.url(page),
                                                 published=T0 - 3600, text=text)])
        return store.story_ids()[0]


def with_articles(monkeypatch) -> None:
    """Undo the UI tests' guard against the network: the app fetches real articles here."""
    from reader import extract
    from reader.ui.app import NewsdeskApp

    monkeypatch.setattr(NewsdeskApp, "_article_source", staticmethod(lambda: extract.get_article))


def normal(text: str) -> str:
    return " ".join(text.split())


async def test_opening_a_story_again_after_its_article_came_shows_bullets_from_the_article(
        server, tmp_path, clock, settings, monkeypatch):
    from reader.ui.app import NewsdeskApp

    server.add("/news/bridge.html", ARTICLES / "harbour-bridge.html")
    path = tmp_path / "app.db"
    story_id = add_story(path, clock, server, "/news/bridge.html")
    app = NewsdeskApp(path, clock=clock, settings=dataclasses.replace(settings, keys={"toggle_source": "z"}))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")  # no article source yet: the feed's teaser is all there is
        await settle(app, pilot)
        assert app.summary.bullets == [TEASER]
        with Store(path, clock=clock) as store:
            assert store.article(story_id) is None
        with_articles(monkeypatch)
        await pilot.press("enter")  # opened again: the article is fetched and kept, in a worker
        await settle(app, pilot)
        assert app.reading.showing == "article"
        status = str(app.reading.query_one("#article-status").render())
        assert "(z: the feed's own text)" in status, "the key as remapped"
        shown = list(app.summary.bullets)
        await pilot.press("j", "k", "enter")  # and the kept article's bullets stay
        await settle(app, pilot)
        assert app.summary.bullets == shown
    with Store(path, clock=clock) as store:
        article = normal(store.article_text(story_id) or "")
    assert "corroded girders" in article
    assert len(shown) >= 2 and all(normal(b) in article for b in shown), shown
    assert TEASER not in shown


async def test_reading_ahead_redraws_the_open_storys_summary_from_its_article(server, tmp_path, clock, settings):
    from reader.refresh import refresh
    from reader.ui.app import NewsdeskApp

    server.add("/news/bridge.html", ARTICLES / "harbour-bridge.html")
    server.add("/feed.xml", rss(server, {"b": "/news/bridge.html"}))
    path = tmp_path / "app.db"
    with Store(path, clock=clock) as store:
        store.add_feed(server.url("/feed.xml"), title="Courier")
    await asyncio.to_thread(refresh, path, clock=clock)  # the story is in, its article is not
    settings = dataclasses.replace(settings, fetch_articles=True, mark_read_delay=None)
    app = NewsdeskApp(path, clock=clock, settings=settings)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await settle(app, pilot)
        story_id = app.reading.story.id
        assert app.summary.bullets == ["A teaser."]
        await pilot.press("r")  # the refresh reads ahead: the open story's article is kept
        await settle(app, pilot)
        shown = list(app.summary.bullets)
        assert app.reading.story.id == story_id
    with Store(path, clock=clock) as store:
        assert store.article(story_id)["source"] == "article"
        article = normal(store.article_text(story_id))
    assert len(shown) >= 2 and all(normal(b) in article for b in shown), shown


async def test_a_long_articles_summary_is_made_in_a_worker(server, tmp_path, clock, settings, monkeypatch):
    from reader.ui.app import NewsdeskApp
    from reader.ui.widgets.reading_pane import story_text
    from reader.ui.widgets.summary_panel import SYNC_SUMMARY_CHARS, is_quick

    server.add("/news/works.html", long_page())
    path = tmp_path / "app.db"
    story_id = add_story(path, clock, server, "/news/works.html")
    with_articles(monkeypatch)
    app = NewsdeskApp(path, clock=clock, settings=settings)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await settle(app, pilot)
        shown = list(app.summary.bullets)
        story = app.store.get_story(story_id)
        # A short teaser, but the kept article is long: a key press would wait for its bullets.
        assert len(story_text(story)) < SYNC_SUMMARY_CHARS < len(app.store.article_text(story_id))
        assert not is_quick(app.store, story, story_text(story))
    with Store(path, clock=clock) as store:
        article = normal(store.article_text(story_id))
    assert "Crane number 1 " in article
    assert len(shown) >= 3 and all(normal(b) in article for b in shown), shown
    assert TEASER not in shown


async def test_an_events_summary_draws_on_a_sources_article_once_it_is_kept(server, tmp_path, clock, settings, monkeypatch):
    from reader.ui.app import NewsdeskApp
    from tests.ui.conftest import group

    server.add("/news/bridge.html", ARTICLES / "harbour-bridge.html")
    path = tmp_path / "app.db"
    bridge = add_story(path, clock, server, "/news/bridge.html")
    with Store(path, clock=clock) as store:
        other = store.add_feed("https://wire.example/rss", title="Wire")
        store.save_stories(other.id, [ParsedStory(
            uid="w", title="Harbour bridge open again", url=None, published=T0 - 1800,
            text="The harbour bridge carries traffic again after repairs. Drivers queued at dawn.")])
        group(store, ("b", "w"))
    with_articles(monkeypatch)
    app = NewsdeskApp(path, clock=clock, settings=settings)
    async with app.run_test(size=SIZE) as pilot:
        app.open_story(bridge)
        await settle(app, pilot)
        assert app.summary.feeds == 2
        shown = list(app.summary.bullets)
    with Store(path, clock=clock) as store:
        article = normal(store.article_text(bridge) or "")
    assert "corroded girders" in article
    assert any(normal(b) in article for b in shown), shown
    assert TEASER not in shown
