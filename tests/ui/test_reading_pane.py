"""The reading pane and summary panel: long texts never hold up a key; attachments open with a key."""

from __future__ import annotations

import dataclasses
import threading

from textual.app import App, ComposeResult
from textual.content import Content
from textual.widgets import Markdown, Static

from reader.models import Enclosure, ParsedStory
from reader.ui.screens.dialogs import ChoiceScreen
from reader.ui.widgets import reading_pane, summary_panel
from reader.ui.widgets.reading_pane import FIRST_CHARS, split_markdown, split_paragraphs
from reader.ui.widgets.summary_panel import HangingList
from tests.conftest import T0
from tests.ui.test_app import SIZE, story_id

LONG = "\n\n".join(f"Paragraph {i}. " + "The council met again to talk about the tram. " * 10 for i in range(60))


def shown_text(app) -> str:
    box = app.reading.query_one("#story-text")
    return "\n\n".join(str(static.render()) for static in box.query(Static))


def test_pieces_join_back_into_the_text():
    pieces = split_markdown(LONG)
    assert len(pieces) > 3 and "".join(pieces) == LONG
    assert len(pieces[0]) < FIRST_CHARS + 600
    paras = LONG.split("\n\n")
    groups = split_paragraphs(paras)
    assert [p for g in groups for p in g] == paras and len(groups) > 3
    assert split_paragraphs([]) == [[]]


async def test_a_long_story_shows_a_screenful_first_then_the_rest(make_app, check):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.stories.move_to(story_id(check, "t1"))
        await pilot.press("enter")  # opened: no preview is pending to replace what we show next
        story = dataclasses.replace(check.get_story(story_id(check, "t1")), text=LONG)
        app.reading.show_story(story)
        first = str(app.reading.query_one("#story-text-first", Static).render())
        assert first.startswith("Paragraph 0.") and len(first) < FIRST_CHARS + 600
        assert app.reading.page(), "at the end of the first piece, space waits for the rest"
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert shown_text(app) == app.reading.feed_text(story)
        assert "Paragraph 59." in shown_text(app)
        # the next story replaces every piece of this one
        app.reading.show_story(check.get_story(story_id(check, "t2")))
        await pilot.pause()
        assert "Paragraph 1." not in shown_text(app)


async def test_a_long_article_is_added_in_pieces_and_v_switches_back_without_redoing_it(make_app, check):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        markdown = "# The whole story\n\n" + LONG
        app.reading.set_article(app.reading.story.id, markdown, None)
        await app.workers.wait_for_complete()
        await pilot.pause()
        body = app.reading.query_one("#story-body", Markdown)
        assert body.display and not app.reading.query_one("#story-text").display
        assert body.source == markdown
        assert "Paragraph 59." in str(body.query("MarkdownBlock").last()._content)
        app.reading.toggle_source()
        app.reading.toggle_source()
        assert body.source == markdown


async def test_E_opens_the_attachment_or_asks_which(make_app, check, monkeypatch):
    app = make_app()
    opened: list[str] = []
    monkeypatch.setattr(app, "open_url", lambda url, new_tab=True: opened.append(url))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")  # t0 has one attachment
        await pilot.pause()
        assert "E opens it" in str(app.reading.query_one("#story-attachments").render())
        await pilot.press("E")
        assert opened == ["https://tech.example/ep.mp3"]
        two = dataclasses.replace(app.reading.story, enclosures=(
            Enclosure("https://tech.example/a.mp3", "audio/mpeg", 1000),
            Enclosure("https://tech.example/b.jpg", "image/jpeg", None),
        ))
        app.reading.show_story(two)
        await pilot.press("E")
        assert isinstance(app.screen, ChoiceScreen)
        await pilot.press("down", "enter")
        await pilot.pause()
        assert opened[-1] == "https://tech.example/b.jpg"
        app.stories.move_to(story_id(check, "b0"))
        await pilot.press("enter", "E")
        await pilot.pause()
        assert len(opened) == 2, "a story without attachments opens nothing"
    assert "open_attachment" in {b.id for b in app.command_bindings()}


class HangingApp(App):
    def compose(self) -> ComposeResult:
        yield HangingList()


async def test_bullets_wrap_under_their_text_not_under_the_mark():
    app = HangingApp()
    async with app.run_test(size=(30, 10)) as pilot:
        widget = app.query_one(HangingList)
        widget.set_items([(Content("• "), Content("one two three four five six seven eight nine")), ("", "plain")])
        await pilot.pause()
        lines = [widget.render_line(y).text.rstrip() for y in range(widget.size.height)]
        assert lines[0].startswith("• one") and lines[1].startswith("  ") and lines[1].strip()
        assert lines[-1] == "plain" and widget.size.height == len(widget.lines(30))


async def test_a_long_storys_bullets_come_from_a_worker_and_are_kept(make_app, check, feeds, monkeypatch):
    check.save_stories(feeds["blog"], [ParsedStory(uid="long", title="A long one", text=LONG,
                                                   published=T0 - 60, content_hash="long")])
    long_id = story_id(check, "long")
    calls: list[tuple[int, bool]] = []
    real = summary_panel.summary_for

    def counting(store, story, text):
        calls.append((story.id, threading.current_thread() is threading.main_thread()))
        return real(store, story, text)

    monkeypatch.setattr("reader.ui.app.summary_for", counting)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.stories.move_to(long_id)
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert any("tram" in bullet for bullet in app.summary.bullets)
        assert (long_id, False) in calls and (long_id, True) not in calls, "summarised off the UI thread"
        await pilot.press("j", "enter", "k", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.reading.story.id == long_id and app.summary.bullets
        assert [c for c in calls if c[0] == long_id] == [(long_id, False)], "opened again: from the cache"


def test_feed_text_paragraphs_split_on_blank_lines_with_controls_dropped():
    assert reading_pane.paragraphs("one\n\n\n two\tlines\n joined \x07\n\n\n\nthree") == [
        "one", "two lines\njoined", "three"]
    # a line break stays (a list item, <br>, a row, a line of code), with the code's indentation
    assert reading_pane.paragraphs("Steps:\n- one\n- two  more\n\n    def f():\n    \treturn 1") == [
        "Steps:\n- one\n- two more", "def f():\n    return 1"]


async def test_lists_and_code_in_the_feed_text_keep_their_lines(make_app, check, feeds):
    from reader.text import html_to_text

    html = ("<p>Here are the highlights:</p><ul><li>Expanded text ads.</li><li>Bid estimates.</li></ul>"
            "<pre>def f():\n    return 1</pre><p>Line one<br>Line two</p>")
    check.save_stories(feeds["blog"], [ParsedStory(uid="lists", title="Lists and code", url="https://blog.example/l",
                                                   published=T0 + 60, content=html, text=html_to_text(html))])
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        assert app.reading.story.title == "Lists and code"
        lines = [line.strip() for line in screen_lines(app, app.reading)]
        # they ran together: "Here are the highlights: - Expanded text ads. - Bid estimates."
        for line in ("- Expanded text ads.", "- Bid estimates.", "def f():", "return 1", "Line one", "Line two"):
            assert line in lines, (line, lines)
        code = screen_lines(app, app.reading)[lines.index("return 1")]
        assert code.startswith(" " * 5 + "return 1"), "the code's 4 spaces after the pane's padding"


def test_the_position_line_says_how_much_is_read():
    from reader.ui.widgets.flow import position_text

    assert position_text(0, 20, 15) == ""
    assert position_text(0, 20, 100) == "20% ↓"
    assert position_text(79, 20, 100) == "99% ↓"
    assert position_text(80, 20, 100) == "end"


async def test_opening_a_story_is_drawn_in_one_frame(make_app, monkeypatch):
    """A story's update leaves in one frame, not trickling out over three (see widgets/flow.py)."""
    from textual.screen import Screen

    frames: list[float] = []
    real = Screen._compositor_refresh
    monkeypatch.setattr(Screen, "_compositor_refresh", lambda self: frames.append(1) or real(self))
    app = make_app()
    async with app.run_test(size=(120, 8)) as pilot:  # short: the list and sidebar scroll too
        await pilot.pause(0.3)
        for _ in range(4):  # t0 (one paragraph) and longer ones, with and without attachments
            frames.clear()
            before = app.reading.story
            app.action_next_unread()
            await pilot.pause(0.3)
            # How many frames it takes depends on the machine's load; that it is drawn does not.
            assert frames and app.reading.story is not before


def screen_lines(app, widget) -> list[str]:
    """The characters on screen where ``widget`` is, one string per line."""
    region = widget.region
    strips = app.screen._compositor.render_strips()
    return [strip.text[region.x : region.right] for strip in strips[region.y : region.bottom]]


# The start of a story of the corpus's Japanese blog (エルエル): reader.summarize picks no sentence of it.
JAPANESE = ("クリックするとでっかくなります\n\nエーックス！\n\n"
            "あー、あと今年も残すところたったの３６２日くらいになってしまいました。\n名残おしき今年ももうすぐ終わりですネ。\n\n"
            "そんなワケで、今日はちょっと急ぎで秘密のコトをしてたのでちょっと更新待ってネ。\n"
            "いろいろと隠れてコソコソとやってるんよー。完成するまでまー秘密サ。")


async def test_a_story_with_text_but_no_bullets_is_not_said_to_have_no_text(make_app, check, feeds):
    check.save_stories(feeds["blog"], [
        ParsedStory(uid="ja", title="いろいろちょっと待ってネ。", url="https://blog.example/ja", published=T0 + 60,
                    text=JAPANESE),
        ParsedStory(uid="empty", title="Photo of the day", url="https://blog.example/p", published=T0 + 30, text=""),
    ])
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        assert app.reading.story.title.startswith("いろいろ") and app.summary.bullets == []
        shown = " ".join(screen_lines_text(app, app.summary).replace("│", " ").split())
        # it said "Nothing to summarise: this story has no text." beside the text in the reading pane
        assert "has no text" not in shown and "No summary: no sentence of this text could be picked out." in shown
        await pilot.press("j", "enter")
        await pilot.pause()
        assert app.reading.story.title == "Photo of the day"
        shown = " ".join(screen_lines_text(app, app.summary).replace("│", " ").split())
        assert "Nothing to summarise: this story has no text." in shown


def screen_lines_text(app, widget) -> str:
    return "\n".join(screen_lines(app, widget))
