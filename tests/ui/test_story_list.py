"""The story list drawn from a real SQLite store inside a minimal app, driven with Pilot."""

from __future__ import annotations

import time

from rich.cells import cell_len
from textual.app import App, ComposeResult
from textual.binding import Binding

from reader.models import ParsedStory, StoryFilter
from reader.store import Store
from reader.ui.widgets import story_list
from reader.ui.widgets.story_list import SEARCH_WINDOW, StoryList, fit, format_age, one_line
from tests.conftest import T0
from tests.ui.conftest import group

SIZE = (120, 36)
HOUR = 3600
DAY = 86400


class ListApp(App):
    """Just the story list, with the keys the real app binds to its actions."""

    BINDINGS = [
        Binding("j", "focused.cursor_down"),
        Binding("k", "focused.cursor_up"),
        Binding("g", "focused.first"),
        Binding("G", "focused.last"),
        Binding("pagedown", "focused.page_down"),
        Binding("pageup", "focused.page_up"),
        Binding("n", "focused.next_unread"),
        Binding("p", "focused.prev_unread"),
        Binding("enter", "focused.select"),
    ]

    def __init__(self, store, clock, flt: StoryFilter = StoryFilter()) -> None:
        super().__init__()
        self.store = store
        self.clock = clock
        self.flt = flt
        self.messages: list[tuple[str, int | None]] = []

    def compose(self) -> ComposeResult:
        yield StoryList(self.store, self.clock, id="stories")

    def on_mount(self) -> None:
        stories = self.query_one(StoryList)
        stories.load(self.flt)
        stories.focus()

    def on_story_list_highlighted(self, message: StoryList.Highlighted) -> None:
        assert message.control is self.query_one(StoryList)
        self.messages.append(("highlighted", message.story_id))

    def on_story_list_selected(self, message: StoryList.Selected) -> None:
        self.messages.append(("selected", message.story_id))

    def on_story_list_listed(self, message: StoryList.Listed) -> None:
        assert message.control is self.query_one(StoryList)
        self.messages.append(("listed", message.story_count))


def add_stories(store, feed_id: int, count: int, *, newest: int = T0, step: int = 60,
                prefix: str = "Story", start: int = 0) -> None:
    """``count`` stories, ``prefix`` 0 the newest, one every ``step`` seconds going back."""
    store.save_stories(
        feed_id,
        [
            ParsedStory(uid=f"{prefix}-{i}", title=f"{prefix} {i}", published=newest - (i - start) * step,
                        content_hash="h")
            for i in range(start, start + count)
        ],
    )


def lines(widget: StoryList) -> list[str]:
    return [widget.render_line(y).text for y in range(widget.scrollable_content_region.height)]


def repeat(action, times: int) -> None:
    """Run a cursor action many times without Pilot's per-key idle wait (the keys are tested)."""
    for _ in range(times):
        action()


def count_fetches(store, monkeypatch) -> list[int]:
    """Wrap ``store.story_rows``; the returned list grows by the number of ids of each call."""
    calls: list[int] = []
    real = store.story_rows

    def story_rows(ids):
        calls.append(len(ids))
        return real(ids)

    monkeypatch.setattr(store, "story_rows", story_rows)
    return calls


async def test_rows_show_marks_source_title_and_age_newest_first(store, clock):
    feed = store.add_feed("https://news.example/feed", title="Example News")
    ages = [30, 5 * 60, 3 * HOUR, 2 * DAY, 3 * 7 * DAY, 40 * DAY]
    store.save_stories(
        feed.id,
        [ParsedStory(uid=f"u{i}", title=f"Title {i}", published=T0 - age, content_hash="h")
         for i, age in enumerate(ages)],
    )
    ids = store.story_ids()
    store.mark_read([ids[1]])
    store.mark_saved([ids[2]])
    app = ListApp(store, clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        widget = app.query_one(StoryList)
        shown = lines(widget)
        width = widget.scrollable_content_region.width
        assert all(cell_len(line) == width for line in shown)
        old_date = time.strftime("%b %d", time.localtime(T0 - 40 * DAY))
        expected_ages = ["now", "5m", "3h", "2d", "3w", old_date]
        for i, (line, age) in enumerate(zip(shown, expected_ages)):
            assert f"Title {i}" in line
            assert "Example News" in line
            assert line.rstrip().endswith(" " + age), line
        assert shown[0].startswith(" ● Example News")
        assert shown[1].startswith("   Example News")  # read: no unread mark
        assert shown[2].startswith(" ★ Example News")  # saved: the star takes the mark's place
        assert shown[6].strip() == ""  # nothing below the last story
        # the source column comes before the title and is padded to one width
        assert shown[0].index("Title 0") == shown[3].index("Title 3") > shown[0].index("Example")

        # unread rows are bold, read rows are not
        def bold_title(y: int) -> bool:
            strip = widget.render_line(y)
            return any(bool(seg.style and seg.style.bold) for seg in strip if "Title" in seg.text)

        assert bold_title(3) and not bold_title(1)

        # time passes: the cached lines do not keep their old age
        clock.advance(10 * 60)
        widget.refresh()
        await pilot.pause()
        assert widget.render_line(0).text.rstrip().endswith(" 10m")


async def test_cursor_moves_with_the_actions_and_scrolls(store, clock):
    feed = store.add_feed("https://a.example/feed", title="A")
    add_stories(store, feed.id, 100)
    ids = store.story_ids()
    app = ListApp(store, clock)
    async with app.run_test(size=SIZE) as pilot:
        widget = app.query_one(StoryList)
        height = widget.scrollable_content_region.height
        assert height == 36
        assert widget.row_count == 100 and widget.cursor_index == 0
        await pilot.press(*"jjj", "k")
        assert widget.cursor_index == 2 and widget.current_story_id == ids[2]
        assert widget.scroll_offset.y == 0
        repeat(widget.action_cursor_down, 39)
        await pilot.press("j")
        assert widget.cursor_index == 42
        assert widget.scroll_offset.y == 42 - height + 1  # the cursor is on the last line
        assert "Story 42" in widget.render_line(height - 1).text
        # the cursor row looks different from its neighbours
        def bg(y: int):
            return widget.render_line(y)._segments[0].style.bgcolor

        cursor_bg, row_bg = bg(height - 1), bg(height - 2)
        assert cursor_bg != row_bg
        # without focus the cursor row is drawn apart, still unlike the other rows
        app.set_focus(None)
        await pilot.pause()
        assert bg(height - 1) not in (cursor_bg, row_bg)
        widget.focus()
        await pilot.pause()
        assert bg(height - 1) == cursor_bg
        await pilot.press("pagedown")
        assert widget.cursor_index == 42 + height - 1
        assert widget.cursor_index - widget.scroll_offset.y == height - 1  # same screen row
        repeat(widget.action_cursor_up, height - 1)
        await pilot.press("k")
        assert widget.cursor_index == 42 - 1
        assert widget.scroll_offset.y == widget.cursor_index  # scrolled up to keep it visible
        await pilot.press("pageup")
        assert widget.cursor_index == 41 - (height - 1)
        assert widget.cursor_index == widget.scroll_offset.y  # still the top line
        await pilot.press("pageup")
        assert widget.cursor_index == 0 and widget.scroll_offset.y == 0
        await pilot.press("g", "k")
        assert widget.cursor_index == 0 and widget.scroll_offset.y == 0
        assert widget.move_to(ids[70]) and widget.cursor_index == 70
        assert not widget.move_to(-1) and widget.cursor_index == 70
        assert widget.current_row is not None and widget.current_row.title == "Story 70"


async def test_first_and_last_on_10000_stories_fetch_only_a_window(store, clock, monkeypatch):
    feed = store.add_feed("https://big.example/feed", title="Big")
    add_stories(store, feed.id, 10_000)
    ids = store.story_ids()
    fetched = count_fetches(store, monkeypatch)
    app = ListApp(store, clock)
    async with app.run_test(size=SIZE) as pilot:
        widget = app.query_one(StoryList)
        await pilot.pause()
        assert widget.row_count == 10_000
        assert "Story 0 " in widget.render_line(0).text
        await pilot.press("G")
        await pilot.pause()
        height = widget.scrollable_content_region.height
        assert widget.cursor_index == 9_999 and widget.current_story_id == ids[-1]
        assert widget.scroll_offset.y == 10_000 - height
        assert "Story 9999 " in widget.render_line(height - 1).text
        await pilot.press("g")
        await pilot.pause()
        assert widget.cursor_index == 0 and widget.scroll_offset.y == 0
        assert "Story 0 " in widget.render_line(0).text
        assert 0 < sum(fetched) < 200, fetched


async def test_reload_keeps_the_story_being_read_at_its_screen_row(store, clock):
    feed = store.add_feed("https://a.example/feed", title="A")
    add_stories(store, feed.id, 100)
    app = ListApp(store, clock)
    async with app.run_test(size=SIZE) as pilot:
        widget = app.query_one(StoryList)
        repeat(widget.action_cursor_down, 50)
        await pilot.pause()
        reading = widget.current_story_id
        screen_row = widget.cursor_index - widget.scroll_offset.y
        assert screen_row == 35
        app.messages.clear()
        # a refresh brings five newer stories, listed above
        add_stories(store, feed.id, 5, newest=T0 + 600, prefix="Fresh")
        widget.reload()
        await pilot.pause()
        assert widget.row_count == 105
        assert widget.current_story_id == reading and widget.cursor_index == 55
        assert widget.cursor_index - widget.scroll_offset.y == screen_row
        assert "Story 50" in widget.render_line(screen_row).text
        assert app.messages == []  # still the same story: nothing to announce

        # near the top the same: the story stays on its line while new ones push in above
        await pilot.press("g", *"jjj")
        reading = widget.current_story_id
        add_stories(store, feed.id, 2, newest=T0 + 1200, prefix="Newer")
        widget.load(widget.filter, keep_story_id=reading)
        await pilot.pause()
        assert widget.current_story_id == reading
        assert widget.cursor_index == 5 and widget.scroll_offset.y == 2


async def test_reload_after_the_story_left_the_list_clamps_and_new_filter_starts_at_top(store, clock):
    feed = store.add_feed("https://a.example/feed", title="A")
    other = store.add_feed("https://b.example/feed", title="B")
    add_stories(store, feed.id, 10)
    add_stories(store, other.id, 3, newest=T0 - 30, prefix="Other")
    app = ListApp(store, clock, StoryFilter("unread"))
    async with app.run_test(size=SIZE) as pilot:
        widget = app.query_one(StoryList)
        repeat(widget.action_cursor_down, 12)
        assert widget.cursor_index == 12
        last = widget.current_story_id
        store.mark_read([last])
        widget.reload()
        assert widget.row_count == 12 and widget.cursor_index == 11  # clamped
        assert widget.current_story_id != last
        widget.load(StoryFilter("all", feed_id=other.id))
        await pilot.pause()
        assert widget.filter == StoryFilter("all", feed_id=other.id)
        assert widget.row_count == 3 and widget.cursor_index == 0
        assert "Other 0" in widget.render_line(0).text


async def test_next_and_previous_unread_search_in_chunks(store, clock, monkeypatch):
    feed = store.add_feed("https://a.example/feed", title="A")
    add_stories(store, feed.id, 1500)
    ids = store.story_ids()
    unread = {3, 40, 1200}
    store.mark_read([sid for i, sid in enumerate(ids) if i not in unread])
    fetched = count_fetches(store, monkeypatch)
    app = ListApp(store, clock)
    async with app.run_test(size=SIZE) as pilot:
        widget = app.query_one(StoryList)
        await pilot.press("n")
        assert widget.cursor_index == 3
        await pilot.press("n")
        assert widget.cursor_index == 40
        await pilot.press("n")
        assert widget.cursor_index == 1200
        # a jump off screen puts the cursor in the middle, with the stories around it in view
        height = widget.scrollable_content_region.height
        assert widget.scroll_offset.y == 1200 - height // 2
        assert "Story 1200" in widget.current_row.title
        assert max(fetched) <= 500  # never the whole list at once
        assert widget.next_unread() is False and widget.cursor_index == 1200
        assert widget.next_unread(wrap=True) is True and widget.cursor_index == 3
        assert widget.prev_unread() is False and widget.cursor_index == 3
        assert widget.prev_unread(wrap=True) is True and widget.cursor_index == 1200
        await pilot.press("p")
        assert widget.cursor_index == 40  # the nearest one above, not the first
        # state changed behind the cache: after invalidate the list sees it
        store.mark_read([ids[1200]])
        store.mark_read([ids[700]], False)
        widget.invalidate([ids[1200], ids[700]])
        assert widget.next_unread() is True and widget.cursor_index == 700
        assert widget.next_unread() is False


async def test_titles_that_look_like_markup_are_shown_as_typed(store, clock):
    feed = store.add_feed("https://evil.example/feed", title="[b]Loud[/b] Feed")
    title = "[bold red]x[/] [@click=app.quit]quit[/] [link=https://evil.example]l[/link]"
    store.save_stories(feed.id, [
        ParsedStory(uid="1", title=title, published=T0 - 10, content_hash="h"),
        ParsedStory(uid="2", title="bell\x07 esc\x1b[31mred\x1b[0m\r\nnext\u202eline",
                    published=T0 - 20, content_hash="h"),
    ])
    app = ListApp(store, clock)
    async with app.run_test(size=SIZE) as pilot:
        widget = app.query_one(StoryList)
        await pilot.pause()
        first = widget.render_line(0)
        assert title in first.text
        assert "[b]Loud[/b] Feed" in first.text
        assert not any(seg.style and seg.style.meta for seg in first)  # no @click, no link
        assert "bell escred nextline" in widget.render_line(1).text
        # click right on the would-be [@click=app.quit]
        x = first.text.index("[@click")
        await pilot.click(StoryList, offset=(x + 2, 0))
        await pilot.pause()
        assert app.is_running and app.return_code is None
        assert widget.cursor_index == 0


async def test_invalidate_shows_new_read_and_saved_state(store, clock):
    feed = store.add_feed("https://a.example/feed", title="A")
    add_stories(store, feed.id, 3)
    ids = store.story_ids()
    app = ListApp(store, clock)
    async with app.run_test(size=SIZE) as pilot:
        widget = app.query_one(StoryList)
        await pilot.pause()
        assert widget.render_line(1).text[:3] == " ● "
        store.mark_read([ids[1]])
        store.mark_saved([ids[1]])
        widget.invalidate([ids[1]])
        await pilot.pause()
        assert widget.render_line(1).text[:3] == " ★ "
        assert widget.render_line(0).text[:3] == " ● "
        assert widget.current_row.read is False
        store.mark_read(ids)
        widget.invalidate()
        assert all("●" not in widget.render_line(y).text[:3] for y in range(3))
        assert widget.current_row.read is True


async def test_highlighted_and_selected_messages(store, clock):
    feed = store.add_feed("https://a.example/feed", title="A")
    add_stories(store, feed.id, 10)
    ids = store.story_ids()
    app = ListApp(store, clock)
    async with app.run_test(size=SIZE) as pilot:
        widget = app.query_one(StoryList)
        await pilot.pause()
        assert app.messages == [("highlighted", ids[0])]
        await pilot.press("j", "k", "k")  # the last one does not move: nothing to announce
        await pilot.press("enter")
        assert app.messages[1:] == [
            ("highlighted", ids[1]),
            ("highlighted", ids[0]),
            ("selected", ids[0]),
        ]
        app.messages.clear()
        await pilot.click(StoryList, offset=(10, 4))
        await pilot.pause()
        assert widget.cursor_index == 4
        assert app.messages == [("highlighted", ids[4])]
        await pilot.double_click(StoryList, offset=(10, 6))
        await pilot.pause()
        assert widget.cursor_index == 6
        assert app.messages[-1] == ("selected", ids[6])
        app.messages.clear()
        await pilot.click(StoryList, offset=(10, 20))  # below the last story
        await pilot.pause()
        assert widget.cursor_index == 6 and app.messages == []


async def test_empty_list_shows_a_message(store, clock):
    feed = store.add_feed("https://a.example/feed", title="A")
    add_stories(store, feed.id, 2)
    app = ListApp(store, clock, StoryFilter("saved"))
    async with app.run_test(size=SIZE) as pilot:
        widget = app.query_one(StoryList)
        widget.empty_message = "No saved stories — press s to save one"
        widget.refresh()
        await pilot.press("j", "G", "n", "enter", "pagedown")
        assert widget.row_count == 0 and widget.current_story_id is None
        assert widget.current_row is None
        assert ("selected", None) not in app.messages
        shown = lines(widget)
        middle = widget.scrollable_content_region.height // 2
        assert shown[middle].strip() == "No saved stories — press s to save one"
        left = len(shown[middle]) - len(shown[middle].lstrip())
        right = len(shown[middle]) - len(shown[middle].rstrip())
        assert abs(left - right) <= 1
        assert sum(1 for line in shown if line.strip()) == 1
        # stories arrive: the message goes and the first story is announced
        store.mark_saved(store.story_ids())
        widget.reload()
        await pilot.pause()
        assert widget.row_count == 2 and "Story 0" in widget.render_line(0).text
        assert app.messages[-1] == ("highlighted", store.story_ids()[0])


async def test_wide_characters_are_cut_to_the_width(store, clock):
    feed = store.add_feed("https://jp.example/feed", title="日本経済新聞のとても長いフィード名")
    store.save_stories(feed.id, [
        ParsedStory(uid="1", title="東京で大きなニュース🎉" * 20, published=T0 - 10, content_hash="h"),
    ])
    app = ListApp(store, clock)
    async with app.run_test(size=SIZE) as pilot:
        widget = app.query_one(StoryList)
        await pilot.pause()
        width = widget.scrollable_content_region.width
        strip = widget.render_line(0)
        assert strip.cell_length == width and cell_len(strip.text) == width
        assert "…" in strip.text and strip.text.rstrip().endswith(" now")
        # a narrow list drops the source column but still fits
        await pilot.resize_terminal(40, 10)
        await pilot.pause()
        width = widget.scrollable_content_region.width
        strip = widget.render_line(0)
        assert cell_len(strip.text) == width
        assert "日本経済" not in strip.text and strip.text.startswith(" ● 東京")


def test_one_line_without_the_core_cleaner(monkeypatch):
    from reader.ui.widgets import story_list

    monkeypatch.setattr(story_list, "_core_one_line", None)
    assert story_list.one_line("a\x1b[31mred\x1b[0m\r\nb\u202e\x07c") == "ared bc"


def test_helpers():
    assert fit("abc", 5) == "abc  "
    assert fit("abcdef", 4) == "abc…"
    assert fit("日本語", 4) == "日 …"  # a wide char never straddles the edge
    assert cell_len(fit("日本語", 4)) == 4
    assert one_line(" a\n\tb\x1b]0;title\x07c\x00 ") == "a bc"
    assert format_age(T0 - 59, T0) == "now"
    assert format_age(T0 + 500, T0) == "now"  # from the future
    assert format_age(T0 - 60, T0) == "1m"
    assert format_age(T0 - 23 * HOUR, T0) == "23h"
    assert format_age(T0 - 6 * DAY, T0) == "6d"
    assert format_age(T0 - 27 * DAY, T0) == "3w"
    assert format_age(T0 - 400 * DAY, T0) == time.strftime("%Y", time.localtime(T0 - 400 * DAY))


async def test_the_feed_column_fits_the_names_and_leaves_titles_room(store, clock):
    feed = store.add_feed("https://news.example/feed", title="Example News")
    add_stories(store, feed.id, 3, prefix="A headline long enough to need every cell of the list")
    app = ListApp(store, clock)
    async with app.run_test(size=SIZE) as pilot:
        widget = app.query_one(StoryList)
        await pilot.pause()
        widget.source_width = len("Example News")
        assert widget.columns(120) == (12, 120 - 11 - 14)
        assert widget.columns(50) == (0, 50 - 11), "titles keep 30 cells or the feed column goes"
        assert widget.columns(58) == (12, 58 - 11 - 14)  # the list of an 80-column terminal
        assert widget.columns(55)[0] == 12
        # narrower before it goes: titles keep their 30 cells beside 11, then 10 cells of feed
        assert widget.columns(54) == (11, 30) and widget.columns(53) == (10, 30)
        assert widget.columns(52) == (0, 52 - 11)
        widget.source_width = 200
        assert widget.columns(200)[0] == 20 and widget.columns(90)[0] == 16
        await pilot.pause()
        assert "Example News" in widget.render_line(0).text
        widget.show_source = False  # a one-feed view: the name would be the same on every row
        await pilot.pause()
        line = widget.render_line(0).text
        assert "Example News" not in line and line.startswith(" ● A headline")


async def test_next_unread_past_thousands_of_read_stories_is_one_index_lookup(store, clock, monkeypatch):
    feed = store.add_feed("https://a.example/feed", title="A")
    add_stories(store, feed.id, 6000)
    ids = store.story_ids()
    store.mark_read([sid for i, sid in enumerate(ids) if i not in (0, 5500)])
    app = ListApp(store, clock)
    async with app.run_test(size=SIZE) as pilot:
        widget = app.query_one(StoryList)
        await pilot.pause()
        fetched = count_fetches(store, monkeypatch)
        await pilot.press("n")
        assert widget.cursor_index == 5500
        assert sum(fetched) < 100, "only the rows around the new cursor, not the 5,500 read ones"
        await pilot.press("p")
        assert widget.cursor_index == 0
        # a search falls back to looking through the list: its first stories, then all of them
        store.index_pending()
        widget.load(StoryFilter(query="Story"))
        assert widget.next_unread() is True and "Story" in widget.current_row.title
        await pilot.pause()


def big_search(store) -> tuple[int, list[int]]:
    """300 stories about trams, one every minute back from the newest, plus an old one that says
    "tram" most often (a ranked search lists it first) and tells the event of "Tram 1" from
    another feed; returns that event and the ids newest first."""
    a = store.add_feed("https://a.example/feed", title="A")
    b = store.add_feed("https://b.example/feed", title="B")
    add_stories(store, a.id, 300, prefix="Tram")
    store.save_stories(b.id, [ParsedStory(uid="old", title="Tram tram tram", text="tram tram tram tram",
                                          published=T0 - DAY, content_hash="h")])
    event = group(store, ("Tram-1", "old"))
    store.index_pending()
    return event, store.story_ids()


async def test_a_big_search_lists_its_newest_stories_at_once_and_the_rest_from_a_worker(store, clock):
    event, newest_first = big_search(store)
    app = ListApp(store, clock)
    async with app.run_test(size=SIZE) as pilot:
        widget = app.query_one(StoryList)
        await pilot.pause()
        widget.load(StoryFilter(query="tram"))
        # now: the newest screens only, not yet counted; the old story is further down
        window = widget.row_count
        assert SEARCH_WINDOW <= window < 300 and not widget.complete and widget.story_count is None
        assert list(widget.story_ids) == newest_first[:window]
        assert widget.event_at(1) is None, "its other story is not listed yet"
        widget.cursor_index = 5
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert widget.complete and widget.story_count == 301
        assert ("listed", 301) in app.messages
        # newest first, "Tram 1" standing for its event (the old story folded into it)
        assert list(widget.story_ids) == [i for i in newest_first if store.get_story(i).uid != "old"]
        assert widget.event_at(1)[0] == event and widget.row_count == 300
        assert widget.cursor_index == 5, "the cursor stays on its story when the rest arrives"


async def test_last_and_next_unread_before_a_big_search_is_listed_go_past_its_first_stories(store, clock):
    _, newest_first = big_search(store)
    store.mark_read(newest_first[:280] + newest_first[-1:])  # all but Tram 280 to 299 (the old one too)
    app = ListApp(store, clock)
    async with app.run_test(size=SIZE) as pilot:
        widget = app.query_one(StoryList)
        await pilot.pause()
        widget.load(StoryFilter(query="tram"))
        widget.action_last()  # G: the end of what is listed, then the real end once it is known
        assert not widget.complete
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert widget.current_row.title == "Tram 299" and widget.cursor_index == widget.row_count - 1 == 299
        widget.load(StoryFilter(query="tram"))  # the same search again: the cursor's row is kept
        assert widget.complete and widget.cursor_index == 299
        widget.load(StoryFilter())
        widget.load(StoryFilter(query="tram"))
        assert not widget.complete and widget.cursor_index == 0
        assert widget.next_unread() is True  # the first unread is past the first stories: listed now
        assert widget.complete and widget.current_row.title == "Tram 280"
        await pilot.pause()


async def test_a_row_of_one_style_is_one_segment_and_the_text_is_unchanged(store, clock):
    feed = store.add_feed("https://a.example/feed", title="Feed A")
    add_stories(store, feed.id, 3)
    ids = store.story_ids()
    store.mark_read([ids[1]])
    store.mark_saved([ids[2]])
    app = ListApp(store, clock)
    async with app.run_test(size=SIZE) as pilot:
        widget = app.query_one(StoryList)
        await pilot.pause()
        width = widget.scrollable_content_region.width
        source, title = widget.columns(width)
        assert source and title
        widget.cursor_index = 2
        await pilot.pause()
        unread, read, saved = (list(widget.render_line(y)) for y in range(3))
        # read: muted as a whole, so one run of text
        assert len(read) == 1 and read[0].text == "   " + fit("Feed A", source) + "  " + fit("Story 1", title) + "     1m "
        # unread: the mark and title in the row's style, then the coloured feed and age apart
        texts = [segment.text for segment in unread]
        assert "".join(texts) == " ● " + fit("Feed A", source) + "  " + fit("Story 0", title) + "    now "
        assert texts == [" ● ", fit("Feed A", source), "  " + fit("Story 0", title) + " ", "   now", " "]
        styles = [segment.style for segment in unread]
        assert styles[0] == styles[2] == styles[4] and styles[0].bold
        assert styles[1].color != styles[0].color and styles[3].color != styles[0].color
        # saved: the star has a colour of its own
        assert [segment.text for segment in saved][:2] == [" ", "★"]
        assert saved[1].style.color != saved[0].style.color
        # the cursor on a read row keeps it one segment
        widget.cursor_index = 1
        await pilot.pause()
        assert len(list(widget.render_line(1))) == 1


async def test_the_scrollbar_draws_as_textual_draws_it_and_follows_the_list(store, clock):
    from textual.scrollbar import ScrollBar

    from reader.ui.widgets.story_list import ListScrollBar

    feed = store.add_feed("https://a.example/feed", title="A")
    add_stories(store, feed.id, 500)
    app = ListApp(store, clock)
    async with app.run_test(size=SIZE) as pilot:
        widget = app.query_one(StoryList)
        await pilot.pause()
        bar = widget.vertical_scrollbar
        assert isinstance(bar, ListScrollBar) and bar.display
        crop = bar.size.region

        def drawn() -> list[str]:
            return [strip.text + repr([segment.style for segment in strip]) for strip in bar.render_lines(crop)]

        def as_textual_draws_it() -> list[str]:
            return [strip.text + repr([segment.style for segment in strip])
                    for strip in ScrollBar.render_lines(bar, crop)]

        top = drawn()
        assert top == as_textual_draws_it()
        widget.cursor_index = 250  # the bar's thumb moves down
        await pilot.pause()
        middle = drawn()
        assert middle != top and middle == as_textual_draws_it()
        widget.cursor_index = 0  # back at the top: the same bar as before
        await pilot.pause()
        assert drawn() == top
        widget.load(StoryFilter(query="story 1"))  # 111 of 500: a longer thumb
        await pilot.pause()
        assert drawn() != top and drawn() == as_textual_draws_it()


async def test_a_reload_reads_rows_again(store, clock):
    feed = store.add_feed("https://a.example/feed", title="A")
    add_stories(store, feed.id, 3)
    ids = store.story_ids()
    app = ListApp(store, clock)
    async with app.run_test(size=SIZE) as pilot:
        widget = app.query_one(StoryList)
        await pilot.pause()
        assert widget.render_line(0).text[:3] == " ● "
        store.mark_read(ids[:1])  # by someone else: the list is not told
        widget.reload()
        await pilot.pause()
        assert widget.render_line(0).text[:3] == "   " and widget.current_row.read


async def test_the_cursor_row_of_one_colour_is_one_segment(store, clock):
    feed = store.add_feed("https://a.example/feed", title="Feed A")
    add_stories(store, feed.id, 2)
    app = ListApp(store, clock)
    async with app.run_test(size=SIZE) as pilot:
        widget = app.query_one(StoryList)
        await pilot.pause()
        cursor = list(widget.render_line(0))  # unread, under the focused cursor: its colours win
        assert len({segment.style for segment in cursor}) == 1 and len(cursor) == 1, cursor
        assert len(list(widget.render_line(1))) > 1  # unread, not under the cursor: coloured columns


def spy_story_ids(store, monkeypatch) -> list[StoryFilter]:
    """Wrap ``store.story_ids``; the returned list grows by the filter of each call."""
    asked: list[StoryFilter] = []
    real = store.story_ids

    def story_ids(flt=StoryFilter(), *args, **kwargs):
        asked.append(flt)
        return real(flt, *args, **kwargs)

    monkeypatch.setattr(store, "story_ids", story_ids)
    return asked


async def test_a_prepared_search_is_listed_from_what_a_worker_read(store, clock, monkeypatch):
    event, newest_first = big_search(store)
    app = ListApp(store, clock)
    async with app.run_test(size=SIZE) as pilot:
        widget = app.query_one(StoryList)
        await pilot.pause()
        widget.prepare(StoryFilter(query="tra"))  # typed on before the first was read: only the last is kept
        widget.prepare(StoryFilter(query="tram"))
        await app.workers.wait_for_complete()
        await pilot.pause()
        asked, fetched = spy_story_ids(store, monkeypatch), count_fetches(store, monkeypatch)
        fitted = story_list._fitted.cache_info().misses
        widget.load(StoryFilter(query="tram"))
        drawn = lines(widget)
        window = widget.row_count
        assert asked == [] and fetched == [], "ids and rows come from the worker, not from the key"
        assert story_list._fitted.cache_info().misses == fitted, "and the titles fitted to their column"
        assert SEARCH_WINDOW <= window < 300 and not widget.complete
        assert list(widget.story_ids) == newest_first[:window]
        assert drawn[0].split()[1:4] == ["A", "Tram", "0"] and drawn[5].split()[1:4] == ["A", "Tram", "5"]
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert widget.complete and widget.story_count == 301 and widget.event_at(1)[0] == event
        widget.load(StoryFilter(query="tram"))  # prepared once, used once: the database is asked again
        assert asked == [StoryFilter(query="tram")]


async def test_a_prepared_search_is_read_again_once_the_database_changed(store, db_path, clock):
    _, newest_first = big_search(store)
    app = ListApp(store, clock)
    async with app.run_test(size=SIZE) as pilot:
        widget = app.query_one(StoryList)
        await pilot.pause()
        widget.prepare(StoryFilter(query="tram"))
        await app.workers.wait_for_complete()
        await pilot.pause()
        with Store(db_path, clock=clock) as refresh:  # another connection stores a newer story
            feed = refresh.list_feeds()[0]
            refresh.save_stories(feed.id, [ParsedStory(uid="new", title="Tram news", published=T0 + 60,
                                                       content_hash="h")])
            refresh.index_pending()
        widget.load(StoryFilter(query="tram"))
        await pilot.pause()
        assert widget.current_row.title == "Tram news"
        widget.load(StoryFilter())
        widget.prepare(StoryFilter(query="tram"))
        await app.workers.wait_for_complete()
        await pilot.pause()
        newest = store.story_ids(StoryFilter(query="tram"), 1, newest_first=True)[0]
        store.mark_read([newest])  # through the list's own connection
        widget.load(StoryFilter(query="tram"))
        await pilot.pause()
        assert widget.current_row.read and lines(widget)[0][:3] == "   "
