"""Drive the real app with keys and check what it wrote to the database (through a second Store)."""

from __future__ import annotations

import dataclasses
import sys
import time
import types

import pytest
from textual.widgets import Input

from reader.models import ParsedStory, RefreshSummary, FeedRefresh, StoryFilter
from reader.store import Store
from reader.ui.screens.dialogs import AddFeedScreen, ConfirmScreen, FirstRunScreen, MessageScreen
from reader.ui.screens.help import HelpScreen
from tests.conftest import T0

SIZE = (120, 36)


def story_id(check: Store, uid: str) -> int:
    return check.conn.execute("SELECT id FROM stories WHERE uid = ?", (uid,)).fetchone()[0]


def is_read(check: Store, uid: str) -> bool:
    return check.get_story(story_id(check, uid)).read


def is_saved(check: Store, uid: str) -> bool:
    return check.get_story(story_id(check, uid)).saved


def current_uid(app, check: Store) -> str:
    return check.get_story(app.stories.current_story_id).uid


async def test_starts_on_all_stories_newest_first(make_app, check):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.stories.row_count == 8
        assert current_uid(app, check) == "t0"
        assert app.focused is app.stories


async def test_enter_opens_and_marks_read_at_once(make_app, check):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j")
        await pilot.pause()
        assert current_uid(app, check) == "b0"
        assert not is_read(check, "b0"), "moving the cursor alone does not mark read"
        await pilot.press("enter")
        await pilot.pause()
        assert is_read(check, "b0")
        assert app.reading.story.uid == "b0"
        assert not is_read(check, "t0")


async def test_mark_read_delay_never(make_app, check, settings):
    app = make_app(settings=dataclasses.replace(settings, mark_read_delay=None))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert not is_read(check, "t0")
        await pilot.press("m")
        assert is_read(check, "t0")


async def test_mark_read_delay_waits_and_moving_on_cancels(make_app, check, settings):
    app = make_app(settings=dataclasses.replace(settings, mark_read_delay=1.0))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        assert not is_read(check, "t0")
        await pilot.pause(1.3)
        assert is_read(check, "t0")
        await pilot.press("j", "enter", "j", "enter")  # open b0, then leave it before the delay
        await pilot.pause(1.3)
        assert not is_read(check, "b0")
        assert is_read(check, "c0")


async def test_m_toggles_and_u_undoes(make_app, check):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("m")
        assert is_read(check, "t0")
        await pilot.press("m")
        assert not is_read(check, "t0")
        await pilot.press("m", "u")
        assert not is_read(check, "t0")


async def test_A_marks_the_view_read_and_u_brings_it_back(make_app, check, feeds):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.go_to_feed(feeds["tech"])
        await pilot.pause()
        await pilot.press("A")
        assert check.unread_count(StoryFilter(feed_id=feeds["tech"])) == 0
        assert check.unread_count(StoryFilter()) == 4, "other feeds untouched"
        await pilot.press("u")
        assert check.unread_count(StoryFilter(feed_id=feeds["tech"])) == 4


async def test_s_saves_and_unsaves(make_app, check):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s")
        assert is_saved(check, "t0")
        await pilot.press("s")
        assert not is_saved(check, "t0")
        await pilot.press("s", "u")
        assert not is_saved(check, "t0")


async def test_n_and_p_open_next_and_previous_unread(make_app, check):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        check.mark_read([story_id(check, "b0")])
        app.stories.invalidate()
        await pilot.press("n")
        await pilot.pause()
        assert current_uid(app, check) == "c0", "b0 was read already, n skips it"
        assert is_read(check, "c0")
        await pilot.press("p")
        await pilot.pause()
        assert current_uid(app, check) == "t0"
        assert is_read(check, "t0")


async def test_j_k_g_G_move(make_app, check):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j", "j")
        assert current_uid(app, check) == "c0"
        await pilot.press("k")
        assert current_uid(app, check) == "b0"
        await pilot.press("G")
        assert current_uid(app, check) == "b1"
        await pilot.press("g")
        assert current_uid(app, check) == "t0"
        await pilot.press("down", "down", "up")
        assert current_uid(app, check) == "b0"


async def test_space_opens_pages_then_moves_to_next_unread(make_app, check):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("space")
        await pilot.pause()
        assert app.open_story_id == story_id(check, "t0")
        assert is_read(check, "t0")
        for _ in range(10):
            if app.open_story_id != story_id(check, "t0"):
                break
            await pilot.press("space")
            await pilot.pause()
        assert current_uid(app, check) == "b0"
        assert is_read(check, "b0")


async def test_o_opens_only_web_links(make_app, check, monkeypatch):
    app = make_app()
    opened: list[str] = []
    monkeypatch.setattr(app, "open_url", lambda url, new_tab=True: opened.append(url))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("o")
        assert opened == ["https://tech.example/0"]
        app.stories.move_to(story_id(check, "c0"))  # its link is javascript:
        await pilot.press("o")
        await pilot.pause()
        assert opened == ["https://tech.example/0"]
        assert any("only http and https" in n.message for n in app._notifications)


async def test_y_copies_the_link(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("y")
        assert app.clipboard == "https://tech.example/0"


async def test_search_and_escape_leaves_it(make_app, check):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash")
        assert isinstance(app.focused, Input)
        await pilot.press(*"harbour", "enter")
        await pilot.pause()
        assert app.view.query == "harbour"
        assert app.stories.row_count == 8  # every story's text mentions the harbour
        await pilot.press("slash", "ctrl+u", *"festival", "enter")
        await pilot.pause()
        assert app.stories.row_count == 1
        assert current_uid(app, check) == "c1"
        await pilot.press("escape")
        await pilot.pause()
        assert app.view == StoryFilter("all")
        assert app.stories.row_count == 8


async def test_a_search_is_read_while_it_is_typed(make_app, check, monkeypatch):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash", *"festival")
        await app.workers.wait_for_complete()
        await pilot.pause()
        asked = []
        real = app.store.story_ids
        monkeypatch.setattr(app.store, "story_ids", lambda *a, **kw: asked.append(a) or real(*a, **kw))
        await pilot.press("enter")
        await pilot.pause()
        assert asked == [], "enter finds the results read while the word was typed"
        assert app.stories.row_count == 1 and current_uid(app, check) == "c1"
        await pilot.press("escape", "slash", "ctrl+u", *"harbour", "enter")  # enter at once: read then
        await pilot.pause()
        assert app.view.query == "harbour" and app.stories.row_count == 8


async def test_a_search_takes_the_sidebar_highlight_away_in_the_frame_after_its_results(make_app):
    from reader.ui.widgets.sidebar import place_for

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.sidebar.highlighted is not None
        app.load_view(StoryFilter("all", query="harbour"))
        assert app.sidebar.highlighted is not None, "the results' frame draws no sidebar"
        await pilot.pause()
        assert app.sidebar.highlighted is None, "search results belong to no sidebar view"
        app.load_view(StoryFilter("all", query="festival"))
        app.load_view(StoryFilter("unread"))  # left before the search was drawn
        await pilot.pause()
        assert app.sidebar.highlighted_place == place_for(StoryFilter("unread"))


async def test_search_header_counts_unread_matches_off_the_key_path(make_app, check):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("m")  # t0 read before the search
        await pilot.press("slash", *"harbour", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        expected = check.unread_count(StoryFilter("all", query="harbour"))
        assert expected == 7
        assert app.view_unread() == expected
        assert f"{expected} unread" in str(app.main.query_one("#view-header").render())
        await pilot.press("j", "m")  # one more read inside the results
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.view_unread() == check.unread_count(StoryFilter("all", query="harbour")) == 6
        assert not app.query_one("#search").display, "the search box hides once the query is in"


async def test_search_results_are_newest_first_and_a_big_search_is_counted_a_moment_later(make_app, check, monkeypatch):
    from reader.ui.widgets import story_list

    # every story mentions the harbour; lists of more than three are listed in two steps
    monkeypatch.setattr(story_list, "SEARCH_WINDOW", 3)
    monkeypatch.setattr(story_list, "SEARCH_SCREENS", 0)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        header = lambda: str(app.main.query_one("#view-header").render())  # noqa: E731
        app.load_view(StoryFilter("all", query="harbour"))
        assert app.stories.row_count == 3 and "… matches, newest first" in header()
        assert [check.get_story(i).uid for i in app.stories.story_ids] == ["t0", "b0", "c0"]
        await app.workers.wait_for_complete()
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        # the same order as every other view, not the best match first; the count in the header
        assert [check.get_story(i).uid for i in app.stories.story_ids] == ["t0", "b0", "c0", "t1", "t2", "t3", "c1", "b1"]
        assert "8 matches, newest first · 8 unread" in header()
        await pilot.press("G", "m")  # the last result read: the counts follow
        await pilot.pause()
        assert current_uid(app, check) == "b1" and check.get_story(app.stories.current_story_id).read
        assert "8 matches, newest first · 7 unread" in header()


async def test_f_cycles_all_unread_saved(make_app, check):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("m")  # t0 read
        await pilot.press("f")
        assert app.view.state == "unread"
        assert app.stories.row_count == 7
        await pilot.press("f")
        assert app.view.state == "saved"
        assert app.stories.row_count == 0
        await pilot.press("f")
        assert app.view.state == "all"


async def test_brackets_step_through_feeds(make_app, feeds):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        order = app.sidebar.feed_ids()
        assert order == [feeds["blog"], feeds["city"], feeds["tech"]]
        await pilot.press("right_square_bracket")
        assert app.view.feed_id == feeds["blog"]
        await pilot.press("right_square_bracket")
        assert app.view.feed_id == feeds["city"]
        await pilot.press("left_square_bracket", "left_square_bracket")
        assert app.view.feed_id == feeds["tech"]


async def test_sidebar_enter_chooses_a_view(make_app, feeds):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("shift+tab")
        assert app.focused is app.sidebar
        await pilot.press("j", "enter")  # Unread
        await pilot.pause()
        assert app.view == StoryFilter("unread")
        await pilot.press("j", "j", "enter")  # A Blog (outside a folder), within unread
        await pilot.pause()
        assert app.view == StoryFilter("unread", feed_id=feeds["blog"])


async def test_e_shows_the_feeds_last_error(make_app, feeds):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.go_to_feed(feeds["blog"])
        await pilot.pause()
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, MessageScreen)
        assert "HTTP 500" in app.screen.body
        await pilot.press("escape")
        assert not isinstance(app.screen, MessageScreen)


async def test_d_removes_a_feed_after_confirmation(make_app, check, feeds):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.go_to_feed(feeds["blog"])
        await pilot.pause()
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert "secret" not in app.screen.question
        await pilot.press("n")
        await pilot.pause()
        assert check.get_feed(feeds["blog"]) is not None
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert check.get_feed(feeds["blog"]) is None
        assert app.stories.row_count == 6


class AddFeedError(Exception):
    pass


def fake_refresh_module(monkeypatch, **functions):
    """Stand in for reader.refresh (the network) with the given functions."""
    module = types.SimpleNamespace(AddFeedError=AddFeedError, **functions)
    monkeypatch.setitem(sys.modules, "reader.refresh", module)
    return module


async def test_a_adds_a_feed_through_the_dialog(make_app, check, monkeypatch, clock):
    calls = []

    def fake_add(db_path, url, folder=None, **kwargs):
        calls.append((url, folder))
        with Store(db_path, clock=clock) as store:
            feed = store.add_feed("https://new.example/feed", title="New Feed", folder=folder)
            store.save_stories(feed.id, [ParsedStory(uid="n0", title="Fresh", published=T0, text="Hello.")])
        return feed, FeedRefresh(feed.id, feed.url, new=1)

    fake_refresh_module(monkeypatch, add_feed_from_url=fake_add)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, AddFeedScreen)
        await pilot.press(*"new.example", "enter", *"Later", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert calls == [("new.example", "Later")]
        assert check.feed_by_url("https://new.example/feed").folder == "Later"
        assert app.view.feed_id == check.feed_by_url("https://new.example/feed").id
        assert app.stories.row_count == 1


async def test_add_feed_failure_is_told_in_the_dialog_with_the_address_kept(make_app, monkeypatch, check):
    calls = []

    def add_second_time(db_path, url, folder=None, **kwargs):
        calls.append(url)
        if len(calls) == 1:
            raise AddFeedError("no feed found: x.example is a web page that does not link to a feed")
        with Store(db_path) as store:
            return store.add_feed("https://x.example/feed.xml", title="X", folder=folder), None

    fake_refresh_module(monkeypatch, add_feed_from_url=add_second_time)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a", *"x.example", "enter", *"Later", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, AddFeedScreen)  # still open: nothing typed is lost
        status = str(dialog.query_one("#add-status").render())
        assert status.startswith("Could not add it: no feed found") and dialog.query_one("#add-status").has_class("-error")
        assert dialog.query_one("#add-url").value == "x.example" and dialog.query_one("#add-folder").value == "Later"
        assert not any("no feed found" in n.message for n in app._notifications)
        # corrected (here: the same address, which works the second time) and added: the dialog closes
        await pilot.click("#add-ok")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert calls == ["x.example", "x.example"]
        assert not isinstance(app.screen, AddFeedScreen)
        assert check.feed_by_url("https://x.example/feed.xml").folder == "Later"


async def test_add_feed_failure_after_the_dialog_closed_is_a_notification(make_app, monkeypatch):
    import threading

    closed = threading.Event()

    def failing(db_path, url, folder=None, **kwargs):
        closed.wait(10)  # fails only once the dialog is gone
        raise AddFeedError("no feed found at that page")

    fake_refresh_module(monkeypatch, add_feed_from_url=failing)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a", *"x.example", "enter", "enter")
        assert isinstance(app.screen, AddFeedScreen) and app.screen.waiting is not None
        await pilot.press("escape")  # while it is being added
        assert not isinstance(app.screen, AddFeedScreen)
        closed.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert any("no feed found" in n.message for n in app._notifications)


async def test_refresh_keeps_the_cursor_and_shows_new_stories(make_app, check, monkeypatch, clock, feeds):
    seen = []

    def fake_refresh(db_path, feed_ids=None, *, on_progress=None, clock=clock, **kwargs):
        seen.append(feed_ids)
        with Store(db_path, clock=clock) as store:
            store.save_stories(feeds["tech"], [ParsedStory(uid="t9", title="Breaking", published=T0 + 60, text="News.")])
        result = FeedRefresh(feeds["tech"], "https://tech.example/feed.xml", new=1)
        if on_progress:
            on_progress(1, 1, result)
        return RefreshSummary(feeds=(result,))

    fake_refresh_module(monkeypatch, refresh=fake_refresh)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j", "enter")
        await pilot.pause()
        reading = app.stories.current_story_id
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert seen == [None]
        assert app.stories.row_count == 9
        assert app.stories.current_story_id == reading
        assert app.reading.story.id == reading
        await pilot.press("R")  # the current story's feed
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert seen[-1] == (feeds["blog"],)


async def test_tab_moves_between_panes_and_b_S_toggle(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("tab")
        assert app.focused is app.reading
        await pilot.press("tab")
        assert app.focused is app.summary
        await pilot.press("tab")
        assert app.focused is app.sidebar
        await pilot.press("b")
        assert not app.sidebar.display or app.has_class("-hide-sidebar")
        assert app.focused is app.stories
        await pilot.press("S")
        await pilot.pause()
        assert not app.summary.is_displayed if hasattr(app.summary, "is_displayed") else app.has_class("-hide-summary")


async def test_narrow_list_and_reading_pane_take_turns(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.screen.has_class("-narrow")
        assert app.stories.region.width > 0
        assert app.reading.region.width == 0
        await pilot.press("enter")
        await pilot.pause()
        assert app.reading.region.width == 80
        assert app.stories.region.width == 0
        await pilot.press("escape")
        await pilot.pause()
        assert app.stories.region.width > 0


async def test_v_switches_between_article_and_feed_text(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        app.reading.set_article(app.open_story_id, "# Full\n\nThe whole article.", None)
        await pilot.pause()
        assert app.reading.showing == "article"
        await pilot.press("v")
        assert app.reading.showing == "feed"
        await pilot.press("v")
        assert app.reading.showing == "article"


async def test_help_lists_every_binding(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        ids = {row[2] for row in app.screen.rows}
        sources = {f"open_source_{n}" for n in range(1, 10)}  # the nine source keys share a row
        assert ids == {b.id for b in app.BINDINGS} - sources | {"open_source_1 … open_source_9"}
        assert len(app.screen.rows) == len(app.BINDINGS) - 8, "one row per binding, its keys together"
        assert ("1…9", "Read source 1–9 of the summary",
                "open_source_1 … open_source_9") in app.screen.rows
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_command_palette_offers_every_action(make_app):
    from reader.ui.app import NewsdeskCommands

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        provider = NewsdeskCommands(app.screen)
        names = [name for name, _, _ in provider._commands()]
        for binding in app.BINDINGS:
            assert app.describe(binding) in names
        assert any(name.startswith("Go to feed: Tech Daily") for name in names)
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert app.screen.__class__.__name__ == "CommandPalette"


async def test_q_quits(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


async def test_keys_remap_from_settings(make_app, settings, check):
    app = make_app(settings=dataclasses.replace(settings, keys={"cursor_down": "x", "nonsense": "z"}))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("x")
        assert current_uid(app, check) == "b0"
        await pilot.press("j")
        assert current_uid(app, check) == "b0", "j is no longer bound"
        assert any("nonsense" in n.message for n in app._notifications)


async def test_config_problems_and_bad_theme_are_shown(make_app, settings):
    app = make_app(settings=dataclasses.replace(settings, theme="no-such-theme"), problems=["config.toml line 3: oops"])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert any("line 3" in m for m in messages)
        assert any("no-such-theme" in m for m in messages)


async def test_text_from_feeds_is_never_markup(make_app, check):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.stories.move_to(story_id(check, "c0"))
        await pilot.press("enter")
        await pilot.pause()
        head = str(app.reading.head_content(app.reading.story))
        assert "Tram line [red]approved[/red]" in head
        assert "City [b]Paper[/b]" in head
        assert "City [b]Paper[/b]" in app.sidebar.labels()
        drawn = [app.sidebar.render_line(y).text for y in range(app.sidebar.size.height)]
        assert any(line.strip().startswith("City [b]Pa") for line in drawn), drawn
        assert not any("secret" in line for line in drawn + app.sidebar.labels())


async def test_first_run_offers_the_demo(tmp_path, clock, settings):
    from reader.ui.app import NewsdeskApp

    pytest.importorskip("reader.demo")
    app = NewsdeskApp(tmp_path / "empty.db", clock=clock, settings=settings)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, FirstRunScreen)
        await pilot.press("down", "down", "enter")
        await pilot.pause()
        assert app.stories.row_count > 0
    with Store(tmp_path / "empty.db") as store:
        assert store.list_feeds()


async def test_refreshing_only_the_demo_says_it_is_never_fetched(tmp_path, clock, settings):
    from reader.ui.app import NewsdeskApp

    app = NewsdeskApp(tmp_path / "empty.db", clock=clock, settings=settings)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("down", "down", "enter")  # the first-run screen: load the demo feeds
        await pilot.pause()
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert any(m.startswith("The demo feeds are built in and never fetched") for m in messages), messages
        assert not any(m.startswith("Refreshed 0") for m in messages)


async def test_a_refresh_ending_under_a_dialog_updates_the_panes(make_app, monkeypatch, clock, feeds):
    def fake_refresh(db_path, feed_ids=None, *, on_progress=None, clock=clock, **kwargs):
        with Store(db_path, clock=clock) as store:
            store.save_stories(feeds["tech"], [ParsedStory(uid="t9", title="Breaking", published=T0 + 60, text="News.")])
        return RefreshSummary(feeds=(FeedRefresh(feeds["tech"], "x", new=1),))

    fake_refresh_module(monkeypatch, refresh=fake_refresh)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        app.action_refresh_all()  # as the auto-refresh timer would, under the help screen
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        assert app.stories.row_count == 9


async def run_from_palette(pilot, name: str) -> None:
    """Open the command palette, type ``name`` and run the command it finds first."""
    await pilot.press("ctrl+p")
    await pilot.pause()
    await pilot.press(*name)
    await pilot.pause(0.5)
    await pilot.press("enter")
    await pilot.pause(0.3)


async def test_command_palette_runs_an_action_by_name(make_app, check):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await run_from_palette(pilot, "save / unsave")
        assert is_saved(check, "t0")


async def test_feed_text_cannot_become_markdown_or_a_link(make_app, check, monkeypatch):
    app = make_app()
    opened: list[str] = []
    monkeypatch.setattr(app, "open_url", lambda url, new_tab=True: opened.append(url))
    async with app.run_test(size=SIZE) as pilot:
        story = check.get_story(story_id(check, "t1"))
        hostile = dataclasses.replace(story, text="# Big\n\n[click](javascript:alert(1)) <b>x</b> *y* `z` [red]r[/red]")
        app.stories.move_to(story.id)
        await pilot.press("enter")  # opened: no preview is pending to replace what we show next
        app.reading.show_story(hostile)
        await pilot.pause(0.2)
        # the feed's text is plain text: shown as typed, never parsed as Markdown or markup
        shown = app.reading.query_one("#story-text-first").render()
        assert str(shown) == "# Big\n\n[click](javascript:alert(1)) <b>x</b> *y* `z` [red]r[/red]"
        assert not any(span.style for span in getattr(shown, "spans", []))
        app.reading.post_message(app.reading.LinkOpened("javascript:alert(1)"))
        app.reading.post_message(app.reading.LinkOpened("file:///etc/passwd"))
        app.reading.post_message(app.reading.LinkOpened("https://ok.example/"))
        await pilot.pause()
        assert opened == ["https://ok.example/"]


async def test_summary_panel_names_its_sources(make_app, monkeypatch, check):
    app = make_app()
    ids = [story_id(check, uid) for uid in ("t1", "c0", "b0")]
    grouped = types.SimpleNamespace(
        bullets=("Trams approved.", "Work starts in spring."),
        sources=tuple(
            types.SimpleNamespace(feed_title=check.get_story(i).feed_title, title=check.get_story(i).title, story_id=i)
            for i in ids
        ),
        feeds=3,
    )
    monkeypatch.setattr("reader.ui.widgets.summary_panel.group_summary", lambda store, story_id: grouped)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        title = str(app.summary.query_one("#summary-title").render())
        # the panel's lines wrap where its width says; the words are what is checked
        body = " ".join(str(app.summary.query_one("#summary-body").render()).split())
        assert "Summary based on 3 sources" in title
        assert "Work starts in spring." in body
        assert "City [b]Paper[/b]" in body and "Notes on trams" in body
        assert "javascript" not in body.lower() or "javascript:alert" in body  # shown, never a link


async def test_opening_a_grouped_story_marks_every_feeds_version(make_app, monkeypatch, check):
    app = make_app()
    ids = [story_id(check, uid) for uid in ("t0", "c0", "b0")]
    monkeypatch.setattr(app.store, "group_of", lambda sid: types.SimpleNamespace(id=1, story_ids=tuple(ids)) if sid in ids else None, raising=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        assert all(check.get_story(i).read for i in ids)
        assert not is_read(check, "t1")
        await pilot.press("u")
        assert not any(check.get_story(i).read for i in ids)


async def test_refresh_shows_progress_in_the_footer(make_app, monkeypatch, feeds):
    import threading

    release = threading.Event()

    def slow_refresh(db_path, feed_ids=None, *, on_progress=None, **kwargs):
        on_progress(1, 3, FeedRefresh(feeds["tech"], "x"))
        release.wait(5)
        return RefreshSummary(feeds=(FeedRefresh(feeds["blog"], "y", error="HTTP 500"),))

    fake_refresh_module(monkeypatch, refresh=slow_refresh)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")
        await pilot.pause(0.2)
        assert app.has_class("-refreshing")
        assert app.main.query_one("#refresh-bar").region.height == 1
        assert "1/3" in str(app.main.query_one("#refresh-label").render())
        await pilot.press("r")  # a second refresh waits for the first
        release.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not app.has_class("-refreshing")
        messages = [n.message for n in app._notifications]
        assert any("already running" in m for m in messages)
        assert any("1 failed" in m for m in messages)


async def test_auto_refresh_runs_on_a_timer_but_not_for_the_demo(make_app, settings):
    app = make_app(settings=dataclasses.replace(settings, auto_refresh_minutes=30))
    async with app.run_test(size=SIZE):
        assert app._auto_refresh is not None
    demo = make_app(settings=dataclasses.replace(settings, auto_refresh_minutes=30), demo=True)
    async with demo.run_test(size=SIZE):
        assert demo._auto_refresh is None


@pytest.mark.parametrize("size", [(80, 24), (100, 30), (120, 36), (200, 50)])
@pytest.mark.parametrize("reading", [False, True])
async def test_panes_fit_and_never_overlap(make_app, size, reading):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        if reading:
            await pilot.press("enter")
        await pilot.pause()
        screen = app.main.region
        panes = [app.main.query_one(f"#{name}") for name in ("view-header", "sidebar", "stories", "reading", "summary")]
        shown = [p for p in panes if p.region.area > 0]
        assert app.stories in shown or app.reading in shown
        for pane in shown:
            assert screen.contains_region(pane.region), f"{pane.id} cut off at {size}"
        for i, a in enumerate(shown):
            for b in shown[i + 1 :]:
                assert not a.region.overlaps(b.region), f"{a.id} overlaps {b.id} at {size}"
        if size[0] >= 120:
            assert all(p.region.area > 0 for p in panes), "at 120 columns every pane is side by side"


async def test_first_run_imports_a_subscription_file(tmp_path, clock, settings, monkeypatch):
    from reader.ui.app import NewsdeskApp

    started = []
    fake_refresh_module(monkeypatch, refresh=lambda db, ids=None, **kw: started.append(ids) or RefreshSummary())
    urls = tmp_path / "urls"
    urls.write_text("https://one.example/feed\nhttps://two.example/rss \"~Two\"\n")
    app = NewsdeskApp(tmp_path / "empty.db", clock=clock, settings=settings)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, FirstRunScreen)
        await pilot.press("down", "enter")
        await pilot.pause()
        await pilot.press(*str(urls), "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert len(app.sidebar.feed_ids()) == 2
    with Store(tmp_path / "empty.db") as store:
        assert sorted(f.url for f in store.list_feeds()) == ["https://one.example/feed", "https://two.example/rss"]
    assert started and len(started[0]) == 2


async def test_attachments_open_from_the_command_palette(make_app, monkeypatch):
    from reader.ui.app import NewsdeskCommands

    app = make_app()
    opened: list[str] = []
    monkeypatch.setattr(app, "open_url", lambda url, new_tab=True: opened.append(url))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        commands = {name: callback for name, _, callback in NewsdeskCommands(app.screen)._commands()}
        commands["Open attachment 1: audio/mpeg"]()
        assert opened == ["https://tech.example/ep.mp3"]


def test_newsdesk_demo_runs_the_app_on_a_throwaway_demo_database(monkeypatch, tmp_path):
    pytest.importorskip("reader.demo")
    from reader import cli
    from reader.ui.app import NewsdeskApp

    ran = []

    def fake_run(self):
        ran.append(self)

    monkeypatch.setattr(NewsdeskApp, "run", fake_run)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("NEWSDESK_DB", str(tmp_path / "real.db"))
    assert cli.main(["--demo"]) == 0
    (app,) = ran
    assert app.demo and app.db_path != tmp_path / "real.db"
    assert app.store.list_feeds(), "the demo database was filled"
    assert not (tmp_path / "real.db").exists()
    app.store.close()


async def test_space_in_the_80_column_list_opens_the_story_under_the_cursor(make_app, check):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter", "escape", "j", "space")
        await pilot.pause()
        assert app.has_class("-reading")
        assert app.reading.story.uid == "b0"
        assert is_read(check, "b0")


def fake_extract_module(monkeypatch, get_article):
    monkeypatch.setitem(sys.modules, "reader.extract", types.SimpleNamespace(get_article=get_article))


async def test_opening_fetches_the_full_article_and_v_goes_back_to_the_feed(make_app, monkeypatch, check):
    asked = []

    def get_article(db_path, sid, clock):
        asked.append(sid)
        return types.SimpleNamespace(markdown="# The whole story\n\nEvery paragraph of it.", error=None, from_cache=False)

    fake_extract_module(monkeypatch, get_article)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert asked == [story_id(check, "t0")]
        assert app.reading.showing == "article"
        assert "Full article" in app.reading.status_line()
        await pilot.press("v")
        assert app.reading.showing == "feed"


async def test_a_failed_article_keeps_the_feed_text_and_says_why(make_app, monkeypatch):
    fake_extract_module(
        monkeypatch,
        lambda db, sid, clock: types.SimpleNamespace(markdown=None, error="the site answered 403", from_cache=False),
    )
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.reading.showing == "feed"
        assert app.reading.status_line() == "Full article: the site answered 403"


async def test_no_article_is_fetched_for_a_non_web_link(make_app, monkeypatch, check):
    asked = []
    fake_extract_module(monkeypatch, lambda db, sid, clock: asked.append(sid))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.stories.move_to(story_id(check, "c0"))  # javascript: link
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        assert asked == []


async def test_the_list_names_feeds_only_where_stories_come_from_several(make_app, feeds):
    app = make_app()
    async with app.run_test(size=(200, 50)) as pilot:
        await pilot.pause()
        assert app.stories.show_source and "Tech Daily" in app.stories.render_line(0).text
        app.go_to_feed(feeds["tech"])
        await pilot.pause()
        assert not app.stories.show_source and "Tech Daily" not in app.stories.render_line(0).text
        assert app.stories.source_width == len("City [b]Paper[/b]"), "as wide as the longest feed name"


async def test_hints_on_screen_name_the_keys_as_remapped(make_app, check, settings):
    keys = {"open_story": "w", "undo": "U", "cycle_filter": "F", "refresh_all": "ctrl+r", "add_feed": "plus",
            "toggle_saved": "x"}
    app = make_app(settings=dataclasses.replace(settings, keys=keys))
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        assert app.reading.placeholder == "No story open. Pick one from the list and press w."
        await pilot.press("F", "F")  # Saved, which is empty
        await pilot.pause()
        assert app.view.state == "saved" and app.stories.row_count == 0
        shown = " ".join(app.stories.render_line(y).text.strip() for y in range(app.stories.size.height))
        assert "No saved stories here. x saves the story under the cursor." in " ".join(shown.split())
        assert app._empty_message(StoryFilter("all")) == "No stories here. ^r refreshes, + adds a feed, F changes the filter."
        await pilot.press("F")
        await pilot.press("A")
        await pilot.pause()
        assert any("(U undoes)" in n.message for n in app._notifications)
        assert all(story.read for story in map(check.get_story, check.story_ids()))
        await pilot.press("U")
        await pilot.pause()
        assert not any(story.read for story in map(check.get_story, check.story_ids()))


async def test_palette_imports_newsboat_subscriptions_found_at_home(make_app, check, tmp_path, monkeypatch):
    from reader.ui.screens.dialogs import PathScreen

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    urls = tmp_path / ".config" / "newsboat" / "urls"
    urls.parent.mkdir(parents=True)
    # .invalid hosts are never fetched: the refresh after the import stays offline
    urls.write_text('https://one.newsdesk.invalid/feed.xml "Science"\nhttps://two.newsdesk.invalid/rss\n')
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await run_from_palette(pilot, "Import subscriptions")
        dialog = app.screen
        assert isinstance(dialog, PathScreen)
        assert dialog.query_one("#path-input").value == "~/.config/newsboat/urls"
        assert "newsboat subscriptions" in str(dialog.query_one("#path-note").render())
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not isinstance(app.screen, PathScreen)
        one = check.feed_by_url("https://one.newsdesk.invalid/feed.xml")
        assert one is not None and one.folder == "Science"
        assert check.feed_by_url("https://two.newsdesk.invalid/rss") is not None


async def test_palette_loads_the_demo_feeds(make_app, check):
    app = make_app()
    before = check.count_stories()
    async with app.run_test(size=SIZE) as pilot:
        await run_from_palette(pilot, "Load the demo feeds")
        assert check.count_stories() >= before + 40


async def test_the_app_copies_its_log_to_the_database_from_a_worker_not_in_a_keypress(make_app, check):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        ids = [s.id for s in check.list_stories(StoryFilter("all"), limit=100)]
        check.checkpoint()
        for _ in range(150):  # marking through the app's own connection, a commit each, as m does
            for story_id in ids:
                app.store.mark_read([story_id], True)
                app.store.mark_read([story_id], False)
        before = app.db_path.stat().st_mtime_ns
        time.sleep(0.01)
        app.run_checkpoint()
        await app.workers.wait_for_complete()
        assert app.db_path.stat().st_mtime_ns > before, "the worker copied the log into the file"
        log, copied = check.checkpoint()
        # had the app's own commits checkpointed, the log would have started over below 1,000
        # pages; a checkpoint leaves its length and copies it all
        assert log > 1000 and copied == log, (log, copied)


async def test_an_empty_view_says_why_and_which_key_helps(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.load_view(StoryFilter("all", query="zebra[b]"))
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.stories.row_count == 0
        assert app.stories.empty_message == 'No story matches "zebra[b]". esc leaves the search.'
        shown = " ".join(app.stories.render_line(y).text.strip() for y in range(app.stories.size.height))
        assert 'No story matches "zebra[b]".' in " ".join(shown.split())
        app.load_view(StoryFilter("saved"))
        await pilot.pause()
        assert app.stories.row_count == 0 and app.stories.empty_message.startswith("No saved stories here. s saves")
        app.load_view(StoryFilter("all"))
        await pilot.pause()
        assert app.stories.empty_message.startswith("No stories here.")


def screen_text(app, widget) -> str:
    """The characters on screen where ``widget`` is, line by line, as the terminal shows them."""
    region = widget.region
    strips = app.screen._compositor.render_strips()
    return "\n".join(strip.text[region.x : region.right] for strip in strips[region.y : region.bottom])


async def test_an_empty_list_leaves_no_story_from_before_in_the_reading_pane_or_summary(make_app, check):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")  # t0 opened: its title, text and bullets beside the list
        await pilot.pause()
        assert "Tech story 0" in screen_text(app, app.reading)
        assert "The city council" in screen_text(app, app.summary)
        await pilot.press("slash", *"zebra", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.stories.row_count == 0
        reading, summary = screen_text(app, app.reading), screen_text(app, app.summary)
        assert "Tech story 0" not in reading and "city council" not in reading, reading
        assert "No story selected." in reading and "has no text" not in reading
        assert "city council" not in summary and "Nothing to summarise." in summary, summary
        assert app.reading.story is None and app.open_story_id is None
        await pilot.press("o")  # no story here: nothing to open either
        assert app.opened_links == []
        await pilot.press("escape")  # the list has stories again: the one under the cursor is shown
        await pilot.pause()
        await pilot.pause()
        assert current_uid(app, check) == "t0"
        assert "Tech story 0" in screen_text(app, app.reading)
        assert "The city council" in screen_text(app, app.summary)
        await pilot.press("f", "f")  # Saved, with nothing saved: the same for an emptied view
        await pilot.pause()
        await pilot.pause()
        assert app.view.state == "saved" and app.stories.row_count == 0
        assert "Tech story 0" not in screen_text(app, app.reading)
        assert "No story selected." in screen_text(app, app.reading)
        await pilot.press("f")
        await pilot.pause()
        await pilot.pause()
        assert "Tech story 0" in screen_text(app, app.reading)


async def test_an_app_started_on_an_empty_list_says_no_story_is_selected(tmp_path, clock, settings):
    from reader.ui.app import NewsdeskApp

    with Store(tmp_path / "no-stories.db", clock=clock) as store:
        store.add_feed("https://quiet.example/feed.xml", title="Quiet")  # a feed, so no first-run screen
    app = NewsdeskApp(tmp_path / "no-stories.db", clock=clock, settings=settings)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.stories.row_count == 0 and len(app.screen_stack) == 1
        reading = screen_text(app, app.reading)
        assert "No story selected." in reading and "Pick one from the list" not in reading, reading
        assert "Nothing to summarise." in screen_text(app, app.summary)


async def test_the_list_names_each_feed_where_titles_keep_their_room_beside_a_narrower_column(make_app, event):
    # 153 columns: the list is 54 cells, a 12-cell feed column would leave titles 29 of their 30
    from reader.ui.widgets.story_list import TITLE_MIN_WITH_SOURCE

    app = make_app()
    async with app.run_test(size=(153, 36)) as pilot:
        await pilot.pause()
        source, title = app.stories.columns(app.stories.scrollable_content_region.width)
        assert source and title >= TITLE_MIN_WITH_SOURCE
        rows = [" ".join(row.split()) for row in screen_text(app, app.stories).splitlines()]
        assert rows[0] == "● Tech Daily Tech story 0 now"
        assert rows[1] == "● 3 sources ▸ Notes on trams 10m"  # an event's line
        assert "● A Blog Old post 3d" in rows


async def test_a_failed_feed_says_why_in_the_header_and_in_its_empty_list(make_app, check, feeds):
    broken = check.add_feed("https://broken.example/rss")
    check.update_feed(broken.id, last_error="the feed is not well-formed XML (unbound prefix at line 8)",
                      last_status=200, consecutive_errors=1)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()  # the start-up count
        await pilot.pause()
        header = app.main.query_one("#view-header")
        app.load_view(StoryFilter("all", feed_id=broken.id))
        await pilot.pause()
        assert app.stories.row_count == 0
        shown = " ".join(screen_text(app, app.stories).split())
        # it said "No stories here. r refreshes, a adds a feed": nothing of the error the sidebar flags
        assert "the last refresh failed (the feed is not well-formed XML (unbound prefix at line 8))" in shown
        assert "e shows the details, R tries again." in shown
        assert "last refresh failed (e shows why)" in screen_text(app, header)
        # a failed feed with stories lists them and says so above them
        app.load_view(StoryFilter("all", feed_id=feeds["blog"]))
        await pilot.pause()
        assert app.stories.row_count == 2
        assert "last refresh failed (e shows why)" in screen_text(app, header)
        app.load_view(StoryFilter("all", feed_id=feeds["tech"]))
        await pilot.pause()
        assert "failed" not in screen_text(app, header)
        # a refresh that mends the feed: its empty list no longer blames an error
        app.load_view(StoryFilter("all", feed_id=broken.id))
        await pilot.pause()
        check.update_feed(broken.id, last_error=None, consecutive_errors=0)
        app.refresh_counts()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.stories.empty_message.startswith("No stories here.")
        assert "No stories here." in " ".join(screen_text(app, app.stories).split())
        assert "failed" not in screen_text(app, header)


async def test_help_pages_with_the_lists_keys_at_80x24(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        scroll = app.screen.query_one("#help-scroll")
        assert scroll.max_scroll_y > 10, "the keys do not fit: the help scrolls"
        # space, G and g did nothing here (only j/k, arrows and page keys moved)
        await pilot.press("space")
        await pilot.pause()
        assert scroll.scroll_y > 5
        await pilot.press("G")
        await pilot.pause()
        assert scroll.scroll_y == scroll.max_scroll_y
        assert "command_palette" in screen_text(app, scroll), "the last row is on screen"
        await pilot.press("g")
        await pilot.pause()
        assert scroll.scroll_y == 0
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_n_leaves_no_unread_story_behind(make_app, check, feeds):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        # t0 is shown (previewed, unread) when the app starts; n opens the next, b0, as before
        await pilot.press("n")
        await pilot.pause()
        assert current_uid(app, check) == "b0" and not is_read(check, "t0")
        for _ in range(6):
            await pilot.press("n")
            await pilot.pause()
        assert current_uid(app, check) == "b1"
        # the list's end: n said "No more unread stories" with t0 unread above; it goes back to it
        await pilot.press("n")
        await pilot.pause()
        assert current_uid(app, check) == "t0" and is_read(check, "t0")
        assert check.unread_count(StoryFilter("all")) == 0
        await pilot.press("n")
        await pilot.pause()
        assert any("No more unread" in n.message for n in app._notifications)
        # a feed whose one unread story is under the cursor (shown, not opened): n opens it
        check.mark_read([story_id(check, "b0")], False)
        app.load_view(StoryFilter("all", feed_id=feeds["blog"]))
        await pilot.pause()
        assert current_uid(app, check) == "b0" and app.open_story_id is None
        await pilot.press("n")
        await pilot.pause()
        assert app.open_story_id == story_id(check, "b0") and is_read(check, "b0")


async def test_the_header_keeps_its_counts_beside_a_long_feed_name_at_80_columns(make_app, check, feeds):
    long = check.add_feed("https://127.0.0.1:8766/malformed__rss20__undeclared-itunes-prefix-unit.xml")
    check.update_feed(long.id, last_error="the feed is not well-formed XML", consecutive_errors=1)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        app.load_view(StoryFilter("all", feed_id=long.id))
        await pilot.pause()
        header = app.main.query_one("#view-header")
        shown = screen_text(app, header)
        # the name, with no space to wrap at, went to a second line and left "Newsdesk" alone
        assert shown.startswith(" Newsdesk  127.0.0.1:8766/malform") and "…  0 unread" in shown, shown
        assert "last refresh failed (e shows why)" in shown
        await pilot.resize_terminal(160, 36)  # the room it has now, the whole name
        await pilot.pause()
        assert "127.0.0.1:8766/malformed__rss20__undeclared-itunes-prefix-unit.xml  0 unread" in screen_text(app, header)


@pytest.mark.parametrize("width", [160, 175, 199])
async def test_the_reading_pane_keeps_room_to_read_from_160_columns(make_app, width):
    app = make_app()
    async with app.run_test(size=(width, 40)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        # the list took a fixed 96 cells from 160 columns on: the reading pane had 9 at 160
        assert app.reading.size.width >= 30, app.reading.size
        assert app.stories.size.width > 60
        shown = " ".join(screen_text(app, app.reading).split())
        assert "The city council approved the new tram line on Tuesday" in shown


async def test_the_list_has_96_cells_at_200_columns(make_app):
    app = make_app()
    async with app.run_test(size=(200, 50)) as pilot:
        await pilot.pause()
        assert app.main.query_one("#list-column").size.width == 96
        assert app.reading.size.width >= 45
