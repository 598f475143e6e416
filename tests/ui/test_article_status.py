"""The reading pane's one line about the full article says what the reader can do about it."""

from __future__ import annotations

from reader.store import Store
from tests.ui.conftest import sid
from tests.ui.test_app import SIZE


def status(app) -> str:
    return str(app.reading.query_one("#article-status").render())


async def test_a_previewed_story_says_which_key_fetches_its_article(
        make_app, db_path, clock):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        with Store(db_path, clock=clock) as store:
            newest = sid(store, "t0")
        assert app.reading.story is not None and app.reading.story.id == newest
        key = app.reading.open_key  # as the footer shows it (⏎ unless remapped)
        assert status(app) == f"Full article: {key} fetches it"


async def test_a_story_without_a_web_link_says_it_has_no_article_to_fetch(make_app, db_path, clock):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        with Store(db_path, clock=clock) as store:
            target = sid(store, "c0")  # its link is javascript:, never fetched nor opened
        app.stories.move_to(target)
        await pilot.pause()
        await pilot.pause(0.1)
        assert app.reading.story is not None and app.reading.story.id == target
        assert status(app) == "Full article: none, the story has no web link"
        await pilot.press("enter")
        await pilot.pause()
        assert status(app) == "Full article: none, the story has no web link"
