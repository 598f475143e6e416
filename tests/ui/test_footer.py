"""The key footer (reader/ui/widgets/footer.py) and the story shown under a moved cursor."""

from __future__ import annotations

from reader.store import Store
from reader.ui.widgets.footer import KeyFooter
from tests.ui.conftest import sid

SIZE = (120, 36)


def footer_text(app) -> str:
    footer = app.query_one(KeyFooter)
    return footer.render_line(0).text


async def test_footer_lists_the_keys_of_the_story_list(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        text = footer_text(app)
        for shown in ("n Next", "m Read", "s Save", "/ Search", "q Quit"):
            assert shown in text, text


async def test_footer_follows_the_focus_and_comes_back(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        before = footer_text(app)
        footer = app.query_one(KeyFooter)
        shown_before = footer._shown
        await pilot.press("slash")  # the search box takes the focus: its keys, not the list's
        await pilot.pause()
        assert footer._shown != shown_before
        await pilot.press("escape")
        await pilot.pause()
        assert footer_text(app) == before


async def test_footer_draws_a_set_of_keys_once_until_the_theme_changes(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        footer = app.query_one(KeyFooter)
        list_line = footer.render_line(0)
        await pilot.press("slash")
        await pilot.pause()
        box_line = footer.render_line(0)
        assert box_line.text != list_line.text
        await pilot.press("escape")
        await pilot.pause()
        assert footer.render_line(0) is list_line, "the list's keys again: the line drawn before"
        app.theme = "textual-light" if app.theme != "textual-light" else "nord"
        await pilot.pause()
        again = footer.render_line(0)
        assert again.text == list_line.text and list(again) != list(list_line), "drawn in the new colours"
        await pilot.press("slash")
        await pilot.pause()
        assert footer.render_line(0).text == box_line.text


async def test_footer_at_80_columns_shows_whole_keys_only(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        text = footer_text(app).rstrip()
        assert len(text) <= 80
        footer = app.query_one(KeyFooter)
        drawn = [(key, display, description) for key, display, description, _ in footer._shown
                 if f"{display} {description}" in text]
        assert drawn, text
        # the line ends with a whole "key description", never with half of one
        key, display, description = drawn[-1]
        assert text.endswith(f"{display} {description}"), text
        assert len(drawn) < len(footer._shown), "at 80 columns some keys do not fit"


async def test_clicking_a_key_in_the_footer_presses_it(make_app, check):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        first = app.stories.current_story_id
        assert not check.get_story(first).read
        footer = app.query_one(KeyFooter)
        start = next(start for start, _end, key, _ in footer._spans if key == "m")
        await pilot.click(KeyFooter, offset=(start + 1, 0))
        await pilot.pause()
        assert check.get_story(first).read, "a click on 'm Read' marks the story read, as m does"


async def test_one_move_shows_its_story_without_waiting_for_the_key_repeat_delay(make_app, check, db_path):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("j")
        await pilot.pause()  # one frame, no timer: the story is drawn right after the cursor
        assert app.reading.story is not None
        assert app.reading.story.id == app.stories.current_story_id == sid(check, "b0")
        assert not check.get_story(sid(check, "b0")).read, "a preview does not mark read"


async def test_a_search_asked_right_after_a_full_recount_still_brings_the_sidebar_up_to_date(
    make_app, check, db_path
):
    from textual.worker import WorkerCancelled

    from reader.models import StoryFilter
    from reader.ui.widgets.sidebar import Place

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        # Another process reads every story; the app is asked to recount, and before that count
        # arrives a search asks for its own (smaller) count, which replaces the recount's worker.
        with Store(db_path) as other:
            other.mark_read(other.story_ids())
        app.refresh_counts()
        app.load_view(StoryFilter("all", query="harbour"))  # in the same turn: the recount is overtaken
        for _ in range(3):  # the overtaken worker says it was cancelled; the others finish
            try:
                await app.workers.wait_for_complete()
            except WorkerCancelled:
                continue
            await pilot.pause()
        assert app.view_unread() == check.unread_count(StoryFilter("all", query="harbour")) == 0
        assert app.sidebar.count(Place("state", state="unread")) == 0, "the sidebar got its recount"
