"""Text from the network stays text in the app (issue 6, "Text that must stay text").

A real database holds feeds whose titles, authors, bodies, folders, errors and links carry terminal
escape sequences (colour, cursor moves, OSC 52 clipboard writes, OSC 8 links, OSC 0 window titles,
8-bit C1 forms), other control characters, bidi overrides and Textual/Rich markup. Most tests write
them into the database as they are — as another program, or an older Newsdesk, could have — so
that the app's own defences are what is tested, not the parser's; two take them the whole way from
a real local server (a refresh started in the app, and adding a feed). The real app is opened on the
database, and every check reads what it draws: the screen's segments (what a terminal would be
sent as text) and the bytes Textual writes for them.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from reader.models import Enclosure, ParsedStory
from reader.store import Store
from tests.conftest import T0
from tests.test_reliability_text import RawServer

SIZE = (200, 50)

OSC52 = "\x1b]52;c;b3duZWQ=\x07"  # would put "owned" on the clipboard
OSC8 = "\x1b]8;;https://osc8-target.example/\x1b\\here\x1b]8;;\x1b\\"  # a hidden link
WINDOW_TITLE = "\x1b]0;pwned-title\x07"
ESCAPES = (
    "\x1b[31mred\x1b[0m \x1b[2J\x1b[1;1H\x1b[?25l" + OSC52 + OSC8 + WINDOW_TITLE
    + "\x9b31mc1\x9d52;c;b3duZWQ=\x9c"
)
CONTROLS = "bell\x07 bs\x08 nul\x00 vt\x0b del\x7f nel\x85"
BIDI = "\u202eevil\u202c \u2066iso\u2069"
MARKUP = "[bold red]loud[/] [@click=app.quit]quit[/] [link=https://markup-link.example]l[/link]"
HOSTILE = f"{MARKUP} {ESCAPES} {CONTROLS} {BIDI}"
# What no screen may ever contain: the payloads of the escape sequences above.
PAYLOADS = ("b3duZWQ", "owned", "pwned-title", "osc8-target")
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufeff]")
BAD_LINKS = {
    "js": "javascript:alert(1)",
    "js-case": "JaVaScRiPt:alert(1)",
    "file": "file:///etc/passwd",
    "data": "data:text/html,<script>alert(1)</script>",
    "vbscript": "vbscript:msgbox(1)",
}
TEXT = (
    f"The council approved the [bold red]tram[/] line on Tuesday {OSC52}after a long debate. "
    f"Construction will start in spring {ESCAPES} and take about three years to finish. "
    f"The line will connect the harbour [@click=app.quit]quit[/] with the university and the hospital. "
    f"Critics say the budget of 400 million euros {CONTROLS} is far too optimistic for this. "
    f"Supporters point to {BIDI} fewer cars [link=https://markup-link.example]here[/link] in the old town."
)


def fill(path: Path, clock) -> dict[str, int]:
    """One hostile feed (in a hostile folder) and one with a hostile error; returns ids by name."""
    with Store(path, clock=clock) as store:
        feed = store.add_feed("https://bob:s3cret@hostile.example/feed?x=[@click=app.quit]",
                              title=f"Feed {HOSTILE}", folder=f"Folder [b]f[/b] {OSC52}")
        broken = store.add_feed("https://broken.example/feed", title="Broken [i]feed[/i]")
        stories = [
            ParsedStory(uid="h", title=f"Story {HOSTILE}", url="https://hostile.example/1",
                        author=f"Author [i]a[/i] {OSC52}{BIDI}", published=T0 - 60, text=TEXT,
                        enclosures=(Enclosure(f"https://hostile.example/a.mp3?[@click=app.quit]{OSC52}",
                                              f"audio/[b]mpeg[/b]{ESCAPES}", 1000),)),
        ]
        stories += [
            ParsedStory(uid=name, title=f"Link {name}", url=link, published=T0 - 600 - n, text="A story.")
            for n, (name, link) in enumerate(BAD_LINKS.items())
        ]
        store.save_stories(feed.id, stories)
        store.update_feed(broken.id, last_error=f"HTTP 599 {HOSTILE}", last_status=599,
                          consecutive_errors=1)
        ids = {row.title.split()[-1] if row.title.startswith("Link ") else "h": row.id
               for row in store.list_stories()}
        return {"feed": feed.id, "broken": broken.id, **ids}


@pytest.fixture
def hostile(db_path, clock) -> dict[str, int]:
    return fill(db_path, clock)


@pytest.fixture
def make_app(db_path, clock, settings):
    from reader.ui.app import NewsdeskApp

    def make(**kwargs) -> NewsdeskApp:
        kwargs.setdefault("settings", settings)
        kwargs.setdefault("clock", clock)
        return NewsdeskApp(db_path, **kwargs)

    return make


# -- reading the screen ---------------------------------------------------------------------------


def screen_lines(app) -> list[str]:
    return ["".join(seg.text for seg in strip) for strip in app.screen._compositor.render_strips()]


def terminal_output(app) -> str:
    """What Textual would write to the terminal for the whole screen, escape codes and all."""
    width, height = app.size
    console = Console(file=io.StringIO(), force_terminal=True, color_system="truecolor",
                      width=width, height=height, legacy_windows=False)
    return app.screen._compositor.render_update(full=True).render_segments(console)


def assert_screen_is_plain_text(app) -> list[str]:
    """Nothing on screen is a control character, a link or an action; the bytes for the screen are
    Textual's own colours and cursor positions only. Returns the screen's lines."""
    lines = screen_lines(app)
    for strip in app.screen._compositor.render_strips():
        for seg in strip:
            found = UNSAFE.search(seg.text)
            assert found is None, f"{found.group()!r} drawn in {seg.text!r}"
            if seg.style is not None:
                assert not seg.style.link, seg
                assert "quit" not in str((seg.style.meta or {}).get("@click", "")), seg
    out = terminal_output(app)
    for payload in PAYLOADS:
        assert payload not in out
    assert UNSAFE.sub("", out.replace("\x1b[", "")) == out.replace("\x1b[", ""), (
        "a control character other than a CSI introducer reached the terminal")
    # every escape Textual sent is CSI: colours (m) and cursor positions (H) only
    assert set(re.findall(r"\x1b\[[0-9;:?]*([\x40-\x7e])", out)) <= {"m", "H"}
    for payload in PAYLOADS:
        assert not any(payload in line for line in lines)
    return lines


def find_on_screen(lines: list[str], text: str) -> list[tuple[int, int]]:
    """Every (x, y) at which ``text`` is drawn."""
    return [(m.start(), y) for y, line in enumerate(lines) for m in re.finditer(re.escape(text), line)]


async def click_every(pilot, lines: list[str], text: str) -> int:
    """Click the middle of each place ``text`` is drawn; the app must keep running."""
    places = find_on_screen(lines, text)
    for x, y in places:
        await pilot.click(offset=(x + len(text) // 2, y))
        await pilot.pause()
        assert pilot.app.is_running and pilot.app.return_code is None, f"clicking {text!r} at {x},{y}"
    return len(places)


# -- the panes ------------------------------------------------------------------------------------


async def test_story_list_sidebar_reading_pane_and_summary_show_hostile_text_as_typed(make_app, hostile):
    app = make_app()
    async with app.run_test(size=SIZE, notifications=True, tooltips=True) as pilot:
        await pilot.pause()
        app.stories.move_to(hostile["h"])
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        lines = assert_screen_is_plain_text(app)
        screen = "\n".join(lines)
        # the markup is shown as written: in the list, the sidebar and the reading pane's head
        assert len(find_on_screen(lines, "Story [bold red]loud[/] [@click=app.quit]quit[/]")) >= 2
        assert find_on_screen(lines, "Feed [bold red]loud[/]")  # sidebar (and the pane's byline)
        assert "Folder [b]f[/b]" in screen
        head = str(app.reading.head_content(app.reading.story))
        assert "Author [i]a[/i]" in head and "Feed [bold red]loud[/] [@click=app.quit]quit[/]" in head
        # the escapes are gone whole (no "[31m" or "52;c;" residue) and their words stay
        assert "[31m" not in screen and "52;c;" not in screen and "[2J" not in screen
        assert "red" in screen and "bell bs nul" in screen
        # the feed's URL is never drawn with its password
        assert "s3cret" not in screen and "bob" not in screen
        # the reading pane's text and the summary panel's bullets keep the markup literally
        body = str(app.reading.query_one("#story-text-first").render())
        assert "the [bold red]tram[/] line" in body and "harbour [@click=app.quit]quit[/] with" in body
        summary = str(app.summary.query_one("#summary-body").render())
        assert "[" in summary and UNSAFE.search(summary) is None
        assert any(w in summary for w in ("[bold red]tram[/]", "[@click=app.quit]quit[/]",
                                           "[link=https://markup-link.example]here[/link]"))
        attachments = str(app.reading.query_one("#story-attachments").render())
        assert "audio/[b]mpeg[/b]" in attachments and "a.mp3?[@click=app.quit]" in attachments
        # clicking where the would-be actions are drawn does nothing to the app
        clicked = await click_every(pilot, lines, "[@click=app.quit]")
        assert clicked >= 3  # list, reading pane (head and text), summary
        await click_every(pilot, screen_lines(app), "[link=https://markup-link.example]")
        assert app.is_running
        assert_screen_is_plain_text(app)


async def test_help_and_the_command_palette_show_feed_titles_and_urls_as_typed(make_app, hostile):
    app = make_app()
    async with app.run_test(size=SIZE, notifications=True, tooltips=True) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        lines = assert_screen_is_plain_text(app)
        assert any("remap any of them in config.toml [keys] by id" in line for line in lines)
        await pilot.press("escape")
        await pilot.pause()
        # the palette lists "Go to feed: <title>" with the feed's URL as help
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"go to feed")
        for _ in range(100):  # the palette gathers its hits in the background
            await pilot.pause(0.05)
            if find_on_screen(screen_lines(app), "Go to feed: Feed"):
                break
        lines = assert_screen_is_plain_text(app)
        assert find_on_screen(lines, "Go to feed: Feed [bold red]loud[/] [@click=app.quit]quit[/]")
        assert find_on_screen(lines, "https://hostile.example/feed?x=[@click=app.quit]")
        assert not any("s3cret" in line for line in lines)
        await click_every(pilot, lines, "[@click=app.quit]")
        assert app.is_running


# -- notifications and messages -------------------------------------------------------------------


def notifications(app) -> list[str]:
    return [n.message for n in app._notifications]


async def test_a_hostile_feed_error_and_title_in_messages_and_notifications(make_app, hostile):
    app = make_app()
    async with app.run_test(size=SIZE, notifications=True, tooltips=True) as pilot:
        await pilot.pause()
        app.go_to_feed(hostile["broken"])
        await pilot.pause()
        app.action_show_error()  # e, for the feed in view
        await pilot.pause()
        lines = assert_screen_is_plain_text(app)
        assert find_on_screen(lines, "Last error: HTTP 599 [bold red]loud[/] [@click=app.quit]quit[/]")
        await click_every(pilot, lines, "[@click=app.quit]")
        await pilot.press("escape")
        await pilot.pause()
        app.go_to_feed(hostile["feed"])
        await pilot.pause()
        app.action_show_error()  # no error: a notification with the feed's title
        await pilot.pause()
        lines = assert_screen_is_plain_text(app)
        assert any("the last refresh went fine" in m for m in notifications(app))
        assert find_on_screen(lines, "the last refresh")  # the toast
        assert find_on_screen(lines, "Feed [bold red]loud[/] [@click=app.quit]quit[/]")
        await click_every(pilot, lines, "[@click=app.quit]")
        assert app.is_running


async def test_adding_a_feed_whose_server_answers_with_escapes_notifies_plain_words(make_app, hostile):
    reason = f"\x1b[31m[@click=app.quit]quit[/] {OSC52}{WINDOW_TITLE}\x07"
    raw = RawServer(f"HTTP/1.1 599 {reason}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    .encode("latin-1"))
    try:
        url = raw.url.replace("http://", "http://bob:s3cret@") + "?[@click=app.quit]"
        app = make_app()
        async with app.run_test(size=SIZE, notifications=True, tooltips=True) as pilot:
            app.run_add_feed(url, None)  # what the add dialog (a) starts
            app.run_add_feed(url + OSC52, None)  # an address with an escape in it
            await app.workers.wait_for_complete()
            await pilot.pause()
            messages = [m for m in notifications(app) if m.startswith("Could not add")]
            assert len(messages) == 2, notifications(app)
            assert any("599" in m and "[@click=app.quit]quit[/]" in m for m in messages), messages
            for message in messages:
                assert UNSAFE.search(message) is None and "s3cret" not in message
                assert not any(p in message for p in PAYLOADS), message
            lines = assert_screen_is_plain_text(app)
            assert find_on_screen(lines, "599")  # in the toast
            await click_every(pilot, lines, "[@click=app.quit]")
            assert app.is_running
    finally:
        raw.close()


async def test_importing_a_file_whose_name_carries_escapes_notifies_plain_words(make_app, hostile, tmp_path):
    # file names can hold anything (a server's Content-Disposition, say); the import error quotes it
    name = f"subscriptions{OSC52}{WINDOW_TITLE}[@click=app.quit]x.opml"
    path = tmp_path / name
    path.write_bytes(b"not a list of feeds\n")
    app = make_app()
    async with app.run_test(size=SIZE, notifications=True, tooltips=True) as pilot:
        await pilot.pause()
        app._import_path(str(path))  # what the import dialog hands its path to
        app._import_path(str(tmp_path / f"missing{OSC52}.opml"))
        await pilot.pause()
        messages = [m for m in notifications(app) if m.startswith(("Cannot import", "Cannot read"))]
        assert len(messages) == 2, notifications(app)
        for message in messages:
            assert UNSAFE.search(message) is None and not any(p in message for p in PAYLOADS), message
        assert "subscriptions[@click=app.quit]x.opml" in messages[0]
        lines = assert_screen_is_plain_text(app)
        assert find_on_screen(lines, "Cannot import")
        await click_every(pilot, lines, "[@click=app.quit]")
        assert app.is_running


async def test_a_refresh_from_a_real_server_brings_hostile_json_feed_text_as_plain_text(
        make_app, hostile, server, db_path, clock):
    body = json.dumps({
        "version": "https://jsonfeed.org/version/1.1", "title": f"Served {HOSTILE}",
        "items": [{"id": "s1", "title": f"Served story {HOSTILE}", "url": "https://served.example/1",
                   "authors": [{"name": f"Writer {MARKUP} {OSC52}"}], "content_text": TEXT,
                   "date_published": "2026-03-01T11:00:00Z"}],
    })
    with Store(db_path, clock=clock) as store:
        store.add_feed(server.add("/hostile.json", body, content_type="application/feed+json"))
    app = make_app()
    async with app.run_test(size=SIZE, notifications=True, tooltips=True) as pilot:
        await pilot.press("r")  # the real refresh, in the app's worker
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert any(m.startswith("Refreshed") for m in notifications(app)), notifications(app)
        with Store(db_path, clock=clock) as store:
            (row,) = [r for r in store.list_stories() if r.title.startswith("Served story")]
        app.stories.move_to(row.id)
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        lines = assert_screen_is_plain_text(app)
        assert find_on_screen(lines, "Served story [bold red]loud[/] [@click=app.quit]quit[/]")
        head = str(app.reading.head_content(app.reading.story))
        assert f"Writer {MARKUP}" in head and UNSAFE.search(head) is None
        assert await click_every(pilot, lines, "[@click=app.quit]") >= 2
        assert app.is_running


# -- links ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(BAD_LINKS))
async def test_o_on_a_link_that_is_not_a_web_address_is_refused_and_says_why(make_app, hostile, name,
                                                                            monkeypatch):
    app = make_app()
    opened: list[str] = []
    monkeypatch.setattr(app, "open_url", lambda url, new_tab=True: opened.append(url))
    async with app.run_test(size=SIZE, notifications=True, tooltips=True) as pilot:
        await pilot.pause()
        app.stories.move_to(hostile[name])
        await pilot.press("o")
        await pilot.pause()
        assert opened == [] and app.opened_links == []
        (message,) = [m for m in notifications(app) if m.startswith("Not opening")]
        assert "only http and https links are opened" in message
        assert BAD_LINKS[name].split(":")[0].lower() in message  # it names what it refused
        assert find_on_screen(assert_screen_is_plain_text(app), "Not opening")  # the toast
        # a web address on the same key is opened, so the refusal is about the scheme
        app.stories.move_to(hostile["h"])
        await pilot.press("o")
        await pilot.pause()
        assert opened == ["https://hostile.example/1"]


async def test_a_kept_full_article_with_hostile_markdown_is_shown_plain_and_its_links_are_checked(
        make_app, hostile, db_path, clock, monkeypatch):
    import sys
    import types

    import reader.extract

    article = (
        f"# Whole story {MARKUP}\n\n"
        f"A paragraph with {ESCAPES} and {CONTROLS} and {BIDI} in it.\n\n"
        "[jslink](javascript:alert(1))\n\n[filelink](file:///etc/passwd)\n\n"
        "[maillink](mailto:a@example.org)\n\n[ftplink](ftp://files.example/a)\n\n[weblink](https://ok.example/)\n"
    )
    with Store(db_path, clock=clock) as store:  # as another program (or version) might have kept it
        store.save_article(hostile["h"], source="article", markdown=article, url="https://hostile.example/1")
    # the real reader.extract reads the kept article; the fixture only lets the app find it
    monkeypatch.setitem(sys.modules, "reader.extract", types.SimpleNamespace(get_article=reader.extract.get_article))
    app = make_app()
    opened: list[str] = []
    monkeypatch.setattr(app, "open_url", lambda url, new_tab=True: opened.append(url))
    async with app.run_test(size=SIZE, notifications=True, tooltips=True) as pilot:
        app.stories.move_to(hostile["h"])
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.reading.showing == "article"
        lines = assert_screen_is_plain_text(app)
        assert find_on_screen(lines, "Whole story [bold red]loud[/]")
        assert find_on_screen(lines, "A paragraph with red")
        await click_every(pilot, lines, "[@click=app.quit]")
        # javascript: and file: are not even links (Markdown's own rule): drawn as written
        assert find_on_screen(lines, "[jslink](javascript:alert(1))")
        assert find_on_screen(lines, "[filelink](file:///etc/passwd)")
        for label in ("jslink", "filelink", "maillink", "ftplink", "weblink"):
            (place,) = find_on_screen(lines, label)
            await pilot.click(offset=(place[0] + 2, place[1]))
            await pilot.pause()
        assert app.is_running
        assert opened == ["https://ok.example/"]
        refused = [m for m in notifications(app) if m.startswith("Not opening")]
        assert len(refused) == 2 and "mailto:" in refused[0] and "ftp:" in refused[1], refused
        assert find_on_screen(assert_screen_is_plain_text(app), "only http and https")


# -- the helpers the fixes use ---------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(text=st.lists(st.sampled_from(list("[]\\/@=$#ab :.()'\"\x1b\x07\u202e")
                                      + ["[b]", "[@click=app.quit]", "[/]", "[link=x]", "[$x]"]),
                     max_size=30).map("".join)
       | st.text(max_size=40))
def test_as_markup_is_read_back_by_textual_as_exactly_the_text(text):
    from textual.content import Content

    from reader.ui.widgets.safe_text import as_markup, one_line

    content = Content.from_markup(as_markup(text))
    assert content.plain == one_line(text)
    assert not content.spans


def test_highlighted_marks_the_match_without_reading_markup():
    from textual.fuzzy import Matcher

    from reader.ui.widgets.safe_text import highlighted

    content = highlighted(Matcher("quit"), "[@click=app.quit]quit[/]")
    assert content.plain == "[@click=app.quit]quit[/]"
    assert all(span.style == Matcher("quit").match_style for span in content.spans) and content.spans
