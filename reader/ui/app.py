"""Newsdesk's Textual app: sidebar, story list, reading pane and summary panel, all from the keyboard.

The UI thread keeps one ``Store`` for reads and for read/saved writes (each commits at once).
Refreshing, adding feeds and fetching articles run core functions in thread workers, which open
their own connection and only post messages back.
"""

from __future__ import annotations

import gc
import os
import sys
import time
from functools import partial
from pathlib import Path
from typing import Any, Iterable, Sequence

from rich.cells import cell_len
from textual import work
from textual._compositor import Compositor
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.cache import LRUCache
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.geometry import Region
from textual.notifications import SeverityLevel
from textual.reactive import Reactive
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Input, ProgressBar, Static

from reader.models import Clock, Story, StoryFilter
from reader.store import Store, StoreError
from reader.ui.messages import (
    ArticleLoaded,
    ArticlesFetched,
    ArticlesProgress,
    CountsLoaded,
    FeedAdded,
    FeedAddFailed,
    RefreshFinished,
    RefreshProgress,
    SummaryReady,
)
from reader.ui.screens.dialogs import (
    AddFeedRequest,
    AddFeedScreen,
    ChoiceScreen,
    ConfirmScreen,
    FirstRunScreen,
    MessageScreen,
    PathScreen,
)
from reader.ui.screens.help import HelpScreen
from reader.ui.widgets.footer import KeyFooter
from reader.ui.widgets.reading_pane import ReadingPane, story_text
from reader.ui.widgets.view_header import ViewHeader
from reader.ui.widgets.safe_text import as_markup, clean, format_size, highlighted, is_web_url, one_line, safe_url
from reader.ui.widgets.sidebar import STATE_LABELS, Place, Sidebar, feed_deltas, place_for, read_totals
from reader.ui.widgets.summary_panel import Source, SummaryData, SummaryPanel, group_summary, is_quick, summary_for

from reader.ui.widgets.story_list import StoryList

STATES = ("all", "unread", "saved")
PREVIEW_DELAY_S = 0.05  # holding j should not render every story it passes
# Marking more stories than this at once (A, u) recounts in a worker instead of adjusting counts.
ADJUST_LIMIT = 200
SUMMARY_CACHE_SIZE = 256
SUMMARY_OUTDATED_LIMIT = 10_000  # stories whose summary went out of date, remembered (see articles_kept)
# What the reading pane and the summary say while the list has no story (a search with no match,
# an emptied view): the story shown before is not in the list, so it must not stay on screen.
NO_STORY = "No story selected."
NOTHING_TO_SUMMARISE = "Nothing to summarise."


def start_process_helpers() -> None:
    """Start multiprocessing's resource tracker with the real stderr, once per process.

    The refresh parses feeds, and reading ahead extracts articles, in worker processes, which
    register with that tracker. It is started with a copy of ``sys.stderr``'s file descriptor, and
    while the app runs ``sys.stderr`` is Textual's stand-in, whose descriptor is -1: the pool then
    fails with "bad value(s) in fds_to_keep". Called on the UI thread, which nothing else writes
    from meanwhile.
    """
    real = sys.__stderr__
    if os.name != "posix" or real is None:
        return
    from multiprocessing import resource_tracker

    stand_in, sys.stderr = sys.stderr, real
    try:
        resource_tracker.ensure_running()
    except OSError:
        pass  # no worker processes then: the pools report their own error
    finally:
        sys.stderr = stand_in


def _defaults():
    try:
        from reader.config import Settings
    except ImportError:  # pragma: no cover - config.py is part of the core
        from types import SimpleNamespace

        return SimpleNamespace(
            theme="textual-dark",
            mark_read_delay=0.0,
            auto_refresh_minutes=30,
            show_sidebar=True,
            show_summary=True,
            fetch_articles=False,
            mark_group_read=True,
            fold_events=True,
            keys={},
        )
    return Settings()


class NewsdeskCommands(Provider):
    """Every key's action by name, plus "Go to feed …" and "Open attachment …"."""

    def _commands(self) -> list[tuple[str, str, Any]]:
        app = self.app
        assert isinstance(app, NewsdeskApp)
        commands: list[tuple[str, str, Any]] = []
        for binding in app.command_bindings():
            keys = app.binding_keys(binding)
            commands.append(
                (app.describe(binding), f"{keys}  ·  {binding.id}", partial(app.run_command_action, binding.action))
            )
        for feed_id in app.sidebar.feed_ids():
            feed = app.sidebar.feeds.get(feed_id)
            if feed:
                title = one_line(feed.display_title)
                commands.append(
                    (f"Go to feed: {title}", safe_url(feed.url), partial(app.go_to_feed, feed_id))
                )
        # What the first-run screen offers, for later too.
        commands.append(("Import subscriptions", "from an OPML file or a newsboat urls file",
                         app.action_import_subscriptions))
        commands.append(("Load the demo feeds", "built-in stories to try Newsdesk with, no network needed",
                         app.load_demo_feeds))
        story = app.reading.story
        if story:
            for n, enc in enumerate(story.enclosures, 1):
                commands.append(
                    (f"Open attachment {n}: {one_line(enc.type) or 'file'}", safe_url(enc.url), partial(app.open_link, enc.url))
                )
        return commands

    async def discover(self) -> Hits:
        for name, help_text, callback in self._commands():
            yield DiscoveryHit(Content(name), callback, help=as_markup(help_text))

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self._commands():
            score = max(matcher.match(name), matcher.match(help_text) * 0.8)
            if score > 0:
                yield Hit(score, highlighted(matcher, name), callback, help=as_markup(help_text))


class SearchBox(Input):
    """The search box. Hidden as it loses focus (enter, esc), it skips restyling for the blur
    (1.5 ms of stylesheet matching on every search); shown again, its focus restyles it."""

    def watch_has_focus(self, has_focus: bool) -> None:
        if has_focus or self.display:
            super().watch_has_focus(has_focus)


class ChangedOnlyCompositor(Compositor):
    """Textual's compositor, whose partial updates draw only the widgets under a changed region.

    Textual draws every widget under the box around all changed regions: when the header and
    the footer change with the list (a search), that box is the whole screen, and the reading
    pane and summary, unchanged, are drawn and cut up line by line again (~1 ms a search). The
    update written is the same: it only ever holds the changed regions."""

    _changed: list[Region] | None = None

    def render_partial_update(self):
        self._changed = list(self._dirty_regions)
        try:
            return super().render_partial_update()
        finally:
            self._changed = None

    def _get_renders(self, crop: Region | None = None):
        changed = self._changed
        everything = self.visible_widgets
        if not changed or getattr(self, "_visible_widgets", None) is not everything:
            yield from super()._get_renders(crop)  # a full update (or a Textual that works otherwise)
            return
        drawn = {}
        for widget, (region, clip) in everything.items():
            shown = region.intersection(clip)  # what of the widget is on screen
            if any(shown.overlaps(area) for area in changed):
                drawn[widget] = (region, clip)
        self._visible_widgets = drawn
        try:
            yield from super()._get_renders(crop)
        finally:
            self._visible_widgets = everything


class MainScreen(Screen):
    """The screen the panes live on. Moving the focus repaints only the two widgets it moves
    between (Textual's :focus styles): not the whole screen again, 2-3 ms after every move
    between the search box, the list and the panes. Its updates draw only changed widgets
    (``ChangedOnlyCompositor``)."""

    focused: Reactive = Reactive(None, repaint=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._compositor = ChangedOnlyCompositor()


class NewsdeskApp(App[None]):
    """The reader people live in."""

    TITLE = "Newsdesk"
    CSS_PATH = "app.tcss"
    COMMANDS = App.COMMANDS | {NewsdeskCommands}
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-medium"), (120, "-wide"), (160, "-xwide")]

    # One place for every key: the help screen, the footer, the command palette and the keymap
    # (config.toml [keys], by id) all read this list.
    BINDINGS = [
        Binding("j,down", "cursor_down", "Next story", show=False, id="cursor_down"),
        Binding("k,up", "cursor_up", "Previous story", show=False, id="cursor_up"),
        Binding("g,home", "first", "First story", show=False, id="first"),
        Binding("G,end", "last", "Last story", show=False, id="last"),
        Binding("n", "next_unread", "Next", tooltip="Open the next unread story", id="next_unread"),
        Binding("p", "prev_unread", "Previous unread", show=False, id="prev_unread"),
        Binding("enter", "open_story", "Open story", show=False, id="open_story"),
        Binding("l,right", "expand_event", "Unfold an event's stories", show=False, id="expand_event"),
        Binding("h,left", "collapse_event", "Fold an event into one line", show=False, id="collapse_event"),
        Binding("space", "page", "Page / next unread", show=False, id="page"),
        Binding("m", "toggle_read", "Read", tooltip="Mark read / unread", id="toggle_read"),
        Binding("A", "mark_all_read", "Mark all in view read", show=False, id="mark_all_read"),
        Binding("u", "undo", "Undo last marking", show=False, id="undo"),
        Binding("s", "toggle_saved", "Save", tooltip="Save / unsave the story", id="toggle_saved"),
        Binding("o", "open_link", "Open link in browser", show=False, id="open_link"),
        Binding("y", "copy_link", "Copy link", show=False, id="copy_link"),
        Binding("E", "open_attachment", "Open attachment (podcast, image …)", show=False, id="open_attachment"),
        Binding("v", "toggle_source", "Article / feed text", show=False, id="toggle_source"),
        *[
            Binding(str(n), f"open_source({n})", f"Read source {n} of the summary's sources", show=False,
                    id=f"open_source_{n}")
            for n in range(1, 10)
        ],
        Binding("r", "refresh_all", "Refresh", tooltip="Refresh all feeds", id="refresh_all"),
        Binding("R", "refresh_feed", "Refresh this feed", show=False, id="refresh_feed"),
        Binding("slash", "search", "Search", tooltip="Search all stories", id="search"),
        Binding("f", "cycle_filter", "Filter", tooltip="Show all / unread / saved stories", id="cycle_filter"),
        Binding("left_square_bracket", "prev_feed", "Previous feed", show=False, id="prev_feed"),
        Binding("right_square_bracket", "next_feed", "Next feed", show=False, id="next_feed"),
        Binding("a", "add_feed", "Add a feed", show=False, id="add_feed"),
        Binding("d", "remove_feed", "Remove this feed", show=False, id="remove_feed"),
        Binding("e", "show_error", "Show feed's last error", show=False, id="show_error"),
        Binding("b", "toggle_sidebar", "Sidebar", show=False, id="toggle_sidebar"),
        Binding("S", "toggle_summary", "Summary panel", show=False, id="toggle_summary"),
        Binding("tab", "next_pane", "Next pane", show=False, priority=True, id="next_pane"),
        Binding("shift+tab", "prev_pane", "Previous pane", show=False, priority=True, id="prev_pane"),
        Binding("escape", "back", "Back (leave search / reading)", show=False, id="back"),
        Binding("question_mark", "help", "Help", tooltip="List every key", id="help"),
        Binding("q", "quit", "Quit", id="quit"),
        Binding("ctrl+p", "command_palette", "Commands", tooltip="Run any command by name", id="command_palette"),
    ]

    # Actions that only make sense on the main screen (not while a dialog is open).
    _MAIN_ONLY = {b.action.partition("(")[0] for b in BINDINGS} - {"quit", "command_palette"}

    def __init__(
        self,
        db_path: Path | str,
        *,
        clock: Clock = time.time,
        settings: Any = None,
        demo: bool = False,
        problems: Sequence[str] = (),
        freeze_gc: bool = False,
    ) -> None:
        """``freeze_gc``: after the first paint, move everything start-up built out of the garbage
        collector's sight (``gc.freeze``), so its full collections stop pausing keys for 20-70 ms."""
        super().__init__()
        self.db_path = Path(db_path)
        self.clock = clock
        self.settings = settings if settings is not None else _defaults()
        self.demo = demo
        self.problems = list(problems)
        self.store = Store(self.db_path, clock=clock)
        self.store.defer_checkpoints()  # a keypress never waits for the disk: run_checkpoint does it
        self.view = StoryFilter("all")
        self.before_search: StoryFilter | None = None
        self.open_story_id: int | None = None
        self.undo_stack: list[tuple[str, list[int], bool]] = []
        self.refreshing = False
        self.reading_ahead = False  # fetching full articles after a refresh (fetch_articles)
        self._read_ahead_next: tuple[int, ...] | None | bool = False  # asked for while one runs
        self.keymap: dict[str, str] = {}
        self._read_timer: Timer | None = None
        self._preview_timer: Timer | None = None
        self._last_highlight = 0.0  # time.monotonic() of the last cursor move
        self._auto_refresh: Timer | None = None
        self.opened_links: list[str] = []  # what was handed to the browser (tests read it)
        self.freeze_gc = freeze_gc
        # Counts change in place on every marking; a worker's full recount is applied only when
        # no marking happened since it was asked for (its epoch is still the current one).
        self._count_epoch = 0
        self._recount_asked = -1
        self._search_unread: int | None = 0
        self._sidebar_recount_due = False  # a full recount was asked for and has not arrived
        self._summaries: LRUCache[int, SummaryData] = LRUCache(SUMMARY_CACHE_SIZE)
        # A summary worker started before a story's article was kept would bring back bullets of
        # its feed text: each summary has the generation it began in, each story the one in which
        # its summary went out of date, and an older answer is dropped.
        self._summary_generation = 0
        self._summary_outdated: dict[int, int] = {}

    # -- layout -----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield ViewHeader(id="view-header")
        with Horizontal(id="main"):
            yield Sidebar(id="sidebar")
            with Vertical(id="list-column"):
                yield SearchBox(placeholder="Search stories (enter: search, esc: cancel)", id="search")
                story_list = StoryList(self.store, clock=self.clock, id="stories")
                yield story_list
            with Vertical(id="reader-column"):
                yield ReadingPane(id="reading")
                yield SummaryPanel(id="summary")
        with Horizontal(id="refresh-bar"):
            yield Static(Content("Refreshing"), id="refresh-label")
            yield ProgressBar(total=1, show_eta=False, id="refresh-progress")
        yield KeyFooter()

    def get_default_screen(self) -> Screen:
        return MainScreen(id="_default")

    @property
    def main(self) -> Screen:
        """The screen the panes live on, even while a dialog is on top of it."""
        return self.screen_stack[0] if self.screen_stack else self.screen

    @property
    def sidebar(self) -> Sidebar:
        return self.main.query_one("#sidebar", Sidebar)

    @property
    def stories(self) -> StoryList:
        return self.main.query_one("#stories", StoryList)

    @property
    def reading(self) -> ReadingPane:
        return self.main.query_one("#reading", ReadingPane)

    @property
    def summary(self) -> SummaryPanel:
        return self.main.query_one("#summary", SummaryPanel)

    def on_mount(self) -> None:
        self._apply_settings()
        self.set_class(not self.settings.show_sidebar, "-hide-sidebar")
        self.set_class(not self.settings.show_summary, "-hide-summary")
        self.reading.attachment_key = self.key_label("open_attachment")
        self.reading.source_key = self.key_label("toggle_source")
        self.reading.open_key = self.key_label("open_story")
        self.summary.source_keys = [self.key_label(f"open_source_{n}") for n in range(1, 10)]
        self.stories.collapse_events = bool(getattr(self.settings, "fold_events", True))
        self.sidebar.load(self.store, place_for(self.view))
        self._fit_source_column()
        self.load_view(self.view)
        if self.stories.current_story_id is None:  # an empty list announces no story
            self.show_no_story()
        self.stories.focus()
        if self.freeze_gc:
            self.call_after_refresh(gc.freeze)
        for problem in self.problems:
            self.notify(problem, title="Config problem", severity="warning", timeout=10, markup=False)
        minutes = getattr(self.settings, "auto_refresh_minutes", 0) or 0
        if minutes > 0 and not self.demo:
            self._auto_refresh = self.set_interval(minutes * 60, self._auto_refresh_tick)
        if not self.demo and not self.sidebar.feeds:
            self.call_after_refresh(self.first_run)
        self._watch_terminal()
        self.set_interval(self.CHECKPOINT_S, self.run_checkpoint)

    # How often the write-ahead log is copied into the database file, from a worker thread (the
    # app's own connection never does it: Store.defer_checkpoints).
    CHECKPOINT_S = 20.0

    _checkpointed_at = -1  # the app's connection's changes (Store.data_version) at the last one

    def run_checkpoint(self) -> None:
        """Checkpoint from a worker, when the app's connection wrote since the last time (others
        checkpoint what they write themselves)."""
        changes = self.store.data_version()[1]
        if changes != self._checkpointed_at:
            self._checkpointed_at = changes
            self._checkpoint()

    @work(thread=True, exclusive=True, group="checkpoint")
    def _checkpoint(self) -> None:
        try:
            with Store(self.db_path, clock=self.clock) as store:
                store.checkpoint()
        except Exception:  # busy, or the disk failing: the writes are safe in the log; next time
            pass

    # The terminal can go away without a SIGHUP reaching the app (its window closed while the app
    # ran under `make run`, whose make is the session leader): Textual's input thread then reads
    # end-of-file in a loop, a core at 100% for ever. Every change is written at once, so leaving
    # loses nothing.
    TERMINAL_CHECK_S = 2.0

    def _watch_terminal(self) -> None:
        if self.is_headless:
            return
        stream = sys.__stdin__
        try:
            fd = stream.fileno() if stream is not None else -1
        except (OSError, ValueError):
            return
        if fd < 0 or not os.isatty(fd):
            return

        def check() -> None:
            if not os.isatty(fd):  # a hung-up terminal is no longer one (EIO)
                self.exit(return_code=129)

        self.set_interval(self.TERMINAL_CHECK_S, check)

    def _apply_settings(self) -> None:
        theme = getattr(self.settings, "theme", None)
        if theme:
            if theme in self.available_themes:
                self.theme = theme
            else:
                self.problems.append(f"Unknown theme {theme!r}; using {self.theme}.")
        keys = dict(getattr(self.settings, "keys", {}) or {})
        known = {b.id for b in self.command_bindings()}
        unknown = sorted(k for k in keys if k not in known)
        if unknown:
            self.problems.append("Unknown key binding id(s) in [keys]: " + ", ".join(unknown) + ". Press ? to see the ids.")
        self.keymap = {k: str(v) for k, v in keys.items() if k in known and str(v).strip()}
        if self.keymap:
            self.set_keymap(self.keymap)

    def on_unmount(self) -> None:
        self.store.close()

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = True) -> None:
        """Every notification without escape sequences or control characters, whatever it quotes
        (a file name, a server, an exception): Textual writes a toast's text to the terminal as is."""
        super().notify(clean(message), title=clean(title), severity=severity, timeout=timeout, markup=markup)

    # -- bindings as data (help screen, command palette) --------------------------------------

    def command_bindings(self) -> list[Binding]:
        return [b for b in self.BINDINGS if isinstance(b, Binding) and b.id]

    def _binding(self, binding_id: str) -> Binding:
        return next(b for b in self.command_bindings() if b.id == binding_id)

    def _key_displays(self, binding: Binding) -> list[str]:
        keys = self.keymap.get(binding.id or "", binding.key)
        return [self.get_key_display(Binding(key.strip(), binding.action)) for key in keys.split(",") if key.strip()]

    def binding_keys(self, binding: Binding) -> str:
        """Every key of ``binding`` as shown to people, remapped ones included ("j, ↓")."""
        return ", ".join(self._key_displays(binding))

    def key_label(self, binding_id: str) -> str:
        """The first key of the binding ``binding_id``, for hints on screen ("l", "F2")."""
        shown = self._key_displays(self._binding(binding_id))
        return shown[0] if shown else ""

    def help_rows(self) -> list[tuple[str, str, str]]:
        rows = []
        for b in self.command_bindings():
            if (b.id or "").startswith("open_source_"):
                if b.id != "open_source_1":
                    continue  # the nine source keys share one line
                keys = [self.binding_keys(self._binding(f"open_source_{n}")) for n in range(1, 10)]
                rows.append((" ".join(keys) if keys != [str(n) for n in range(1, 10)] else "1…9",
                             "Read source 1–9 of the summary",
                             "open_source_1 … open_source_9"))
                continue
            rows.append((self.binding_keys(b), self.describe(b), b.id or ""))
        return rows

    @staticmethod
    def describe(binding: Binding) -> str:
        """The longer description (the footer shows the short one)."""
        return binding.tooltip or binding.description

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in self._MAIN_ONLY and len(self.screen_stack) > 1:
            return False
        return True

    async def run_command_action(self, action: str) -> None:
        await self.run_action(action)

    # -- views ------------------------------------------------------------------------------

    def view_name(self, flt: StoryFilter | None = None) -> str:
        flt = flt or self.view
        if flt.query is not None:
            return f'Search "{one_line(flt.query)}"'
        if flt.feed_id is not None:
            feed = self.sidebar.feeds.get(flt.feed_id) or self.store.get_feed(flt.feed_id)
            scope = one_line(feed.display_title) if feed else "Feed"
        elif flt.folder is not None:
            scope = one_line(flt.folder)
        else:
            return STATE_LABELS[flt.state]
        return scope if flt.state == "all" else f"{scope} · {STATE_LABELS[flt.state].lower()}"

    def view_unread(self) -> int | None:
        """Unread stories in the view, from the sidebar's counts (no query on the key path)."""
        if self.view.query is not None:
            return self._search_unread
        place = place_for(self.view)
        return self.sidebar.count(place if place.kind != "state" else Place("state", state="unread"))

    def update_header(self) -> None:
        unread = self.view_unread()
        lead = Content.assemble(("Newsdesk", "bold $accent"), "  ")
        parts: list = []
        counted = f"{'…' if unread is None else unread} unread"
        if self.view.query is not None:  # how many matched, in the header: a toast would cost a layout pass
            count = self.stories.story_count  # None until a big search's rest is listed (StoryList.Listed)
            matches = f"{'…' if count is None else count} {'match' if count == 1 else 'matches'}"
            counted = f"{matches}, newest first · {counted}"
        parts += ["  ", (counted, "$foreground-muted")]
        if self.view.query is not None:
            parts += ["  ", (f"({self.key_label('back')} leaves the search)", "$foreground-muted")]
        feed = self.sidebar.feeds.get(self.view.feed_id) if self.view.feed_id is not None else None
        if feed is not None and feed.last_error:  # the sidebar's "!" says little; say it here, and the key
            parts += ["  ", (f"last refresh failed ({self.key_label('show_error')} shows why)", "$error")]
        if self.demo:
            parts += ["  ", ("(demo)", "$warning")]
        # one line, always: no layout pass (it would repaint every pane on each key)
        self.main.query_one("#view-header", ViewHeader).show(lead, self.view_name(), Content.assemble(*parts))

    def load_view(self, flt: StoryFilter, keep_story_id: int | None = None) -> None:
        self.view = flt
        self.stories.show_source = flt.feed_id is None
        self.stories.empty_message = self._empty_message(flt)
        self.stories.load(flt, keep_story_id=keep_story_id)
        if flt.query is not None:
            # counted by a worker, off the key path (a common word: 25,000 matches, ~10 ms), started
            # once the results are drawn: its Python would hold the GIL the drawing needs
            self._search_unread = None
            self.call_after_refresh(lambda: self.count_view() if self.view == flt else None)
        if flt.query is None:
            self.sidebar.select_place(place_for(flt))
        else:
            # Search results belong to no sidebar view: its highlight goes in the frame after the
            # results' (with the story under the cursor), so the results' frame draws no sidebar.
            self.call_after_refresh(self._leave_sidebar_place, flt)
        self.update_header()

    def _empty_message(self, flt: StoryFilter) -> str:
        """What the list says when the view selects nothing: why, and the key that helps."""
        keys = self.key_label
        if flt.query is not None:
            return f'No story matches "{one_line(flt.query)}". {keys("back")} leaves the search.'
        feed = self.sidebar.feeds.get(flt.feed_id) if flt.feed_id is not None else None
        if feed is not None and feed.last_error and not feed.total:
            return (f"No stories: the last refresh failed ({one_line(feed.last_error)})."
                    f" {keys('show_error')} shows the details, {keys('refresh_feed')} tries again.")
        if flt.state == "saved":
            return f"No saved stories here. {keys('toggle_saved')} saves the story under the cursor."
        if flt.state == "unread":
            return f"Nothing unread here. {keys('cycle_filter')} shows every story."
        return (f"No stories here. {keys('refresh_all')} refreshes, {keys('add_feed')} adds a feed,"
                f" {keys('cycle_filter')} changes the filter.")

    def _leave_sidebar_place(self, flt: StoryFilter) -> None:
        if self.view == flt and self.screen_stack and self.main.is_attached:
            self.sidebar.highlighted = None

    def reload_sidebar(self) -> None:
        """Read feeds and counts now (after feeds were added or removed: the rows change)."""
        self._count_epoch += 1
        self.sidebar.load(self.store, place_for(self.view) if self.view.query is None else None)
        self._fit_source_column()
        self.update_header()

    def _fit_source_column(self) -> None:
        names = [one_line(feed.display_title) for feed in self.sidebar.feeds.values()]
        self.stories.source_width = max((cell_len(name) for name in names), default=0)

    def refresh_counts(self) -> None:
        """Recount every feed in a worker (after a refresh, mark-all or undo); keys are not held up."""
        self._count_epoch += 1
        self._recount_asked = self._count_epoch
        self._sidebar_recount_due = True
        self.recount(self._count_epoch, self.view, True)

    def count_view(self) -> None:
        """Count the open search's unread stories in a worker; the sidebar too if a recount is due.

        Only the one count: redrawing the sidebar's thousand feeds after every search would cost
        a layout pass of the whole screen (~150 ms with 1,000 feeds).
        """
        self._count_epoch += 1
        self._recount_asked = self._count_epoch
        self.recount(self._count_epoch, self.view, self._sidebar_recount_due)

    @work(thread=True, exclusive=True, group="counts")
    def recount(self, epoch: int, view: StoryFilter, feeds_too: bool = True) -> None:
        try:
            with Store(self.db_path, clock=self.clock) as store:
                feeds = store.list_feeds() if feeds_too else None
                totals = read_totals(store, feeds) if feeds_too else None
                view_unread = store.unread_count(view) if view.query is not None else None
        except Exception as exc:  # a worker reports, never raises into the UI
            self.call_from_thread(self.notify, f"Could not count stories: {exc}", severity="error", markup=False)
            return
        self.post_message(CountsLoaded(feeds, totals, epoch, view, view_unread))

    def on_counts_loaded(self, message: CountsLoaded) -> None:
        if message.epoch != self._count_epoch:
            if message.epoch == self._recount_asked:  # a marking overtook it and no newer count is coming
                self.refresh_counts() if message.feeds is not None else self.count_view()
            return
        if message.feeds is not None:
            self._sidebar_recount_due = False
            self.sidebar.apply(message.feeds, message.totals, place_for(self.view) if self.view.query is None else None)
            self._fit_source_column()
            empty = self._empty_message(self.view)  # a refresh may have failed or mended the open feed
            if empty != self.stories.empty_message:
                self.stories.empty_message = empty
                if not self.stories.row_count:
                    self.stories.refresh()
        if message.view_unread is not None and message.view == self.view:
            self._search_unread = message.view_unread
        self.update_header()

    def on_story_list_listed(self, event: StoryList.Listed) -> None:
        self.update_header()  # a search's match count, known once its whole list is

    def on_sidebar_place_chosen(self, event: Sidebar.PlaceChosen) -> None:
        self.go_to_place(event.place)

    def go_to_place(self, place: Place) -> None:
        state = self.view.state
        if place.kind == "state":
            flt = StoryFilter(place.state)
        elif place.kind == "folder":
            flt = StoryFilter(state, folder=place.folder)
        else:
            flt = StoryFilter(state, feed_id=place.feed_id)
        self.before_search = None
        self.load_view(flt)

    def go_to_feed(self, feed_id: int) -> None:
        self.go_to_place(Place("feed", feed_id=feed_id))

    # -- opening and previewing stories -----------------------------------------------------

    def on_story_list_highlighted(self, event) -> None:
        if self._preview_timer is not None:
            self._preview_timer.stop()
        story_id = event.story_id
        now = time.monotonic()
        quiet = now - self._last_highlight >= PREVIEW_DELAY_S
        self._last_highlight = now
        if story_id is None:  # the list became empty; its frame first, as for a story
            self.call_after_refresh(self.show_no_story)
            return
        if story_id == self.open_story_id:
            return
        if quiet:  # a single move (or the first of a run): the cursor's frame first, then its story
            self.call_after_refresh(self.preview_story, story_id)
        else:  # keys held down: show the story where the cursor comes to rest
            self._preview_timer = self.set_timer(PREVIEW_DELAY_S, partial(self.preview_story, story_id))

    def on_story_list_selected(self, event) -> None:
        self.open_story(event.story_id)

    def preview_story(self, story_id: int) -> None:
        """Show a highlighted story without opening it (not marked read, no article fetch)."""
        if not self.screen_stack or not self.main.is_attached:
            return  # the timer outlived the app
        if self.stories.current_story_id != story_id or story_id == self.open_story_id:
            return
        story = self.store.get_story(story_id)
        if story is None:
            return
        self.open_story_id = None
        self._cancel_read_timer()
        self.reading.show_story(story)
        self.show_summary(story)

    def show_no_story(self) -> None:
        """The reading pane and summary without a story while the list has none under the cursor;
        the next story the cursor lands on is shown as usual (previewed)."""
        if not self.screen_stack or not self.main.is_attached:
            return  # the callback outlived the app
        if self.stories.current_story_id is not None:
            return  # the list has a story again (its Highlighted shows it)
        self.open_story_id = None
        self._cancel_read_timer()
        self.reading.show_nothing(NO_STORY)
        self.summary.clear(NOTHING_TO_SUMMARISE)

    def open_story(self, story_id: int | None) -> None:
        """Open a story: feed text now, full article from a worker, read after the set delay."""
        if story_id is None:
            return
        story = self.store.get_story(story_id)
        if story is None:
            self.notify("That story no longer exists.", severity="warning", markup=False)
            return
        if self.stories.current_story_id != story_id:
            self.stories.move_to(story_id)
        if self._preview_timer is not None:
            self._preview_timer.stop()
        self.open_story_id = story_id
        can_fetch = self._article_source() is not None and bool(story.url) and is_web_url(story.url)
        self.reading.show_story(story, pending=can_fetch)
        self.show_summary(story)
        self._schedule_read(story)
        if can_fetch:
            self.fetch_article(story_id)
        if self.main.has_class("-narrow"):
            self.add_class("-reading")
            self.reading.focus()

    def show_summary(self, story: Story, *, again: bool = False) -> None:
        """Bullets now when they are cached or cheap; from a worker for long or multi-feed stories.

        ``again``: the shown bullets are out of date (an article arrived); they stay until the new
        ones are ready, instead of "Summarising…"."""
        cached = self._summaries.get(story.id)
        if cached is not None:
            self.summary.show_data(cached, reading=story.id)
            return
        text = story_text(story)
        if is_quick(self.store, story, text):
            data = self._summaries[story.id] = summary_for(self.store, story, text)
            self.summary.show_data(data, reading=story.id)
            return
        if not again:
            self.summary.show_pending()
        self.summarise(story, self._summary_generation)

    @work(thread=True, exclusive=True, group="summary")
    def summarise(self, story: Story, generation: int = 0) -> None:
        try:
            with Store(self.db_path, clock=self.clock) as store:
                data = summary_for(store, story, story_text(story))
        except Exception as exc:  # a worker reports, never raises into the UI
            data = SummaryData((f"No summary: {exc}",))
        self.post_message(SummaryReady(story.id, data, generation))

    def on_summary_ready(self, message: SummaryReady) -> None:
        if message.generation < self._summary_outdated.get(message.story_id, 0):
            return  # begun before an article of the story (or its event) was kept: another is coming
        self._summaries[message.story_id] = message.summary
        if self.reading.story is not None and self.reading.story.id == message.story_id:
            self.summary.show_data(message.summary, reading=message.story_id)

    def articles_kept(self, story_ids: Iterable[int]) -> None:
        """These stories' full articles are kept now: their summaries, and those of the events they
        tell, are drawn from the articles from here on, the one on screen at once."""
        ids = set(story_ids)
        if not ids:
            return
        groups_of = getattr(self.store, "groups_of", None)
        if groups_of is not None:
            for group in groups_of(ids).values():
                ids.update(group.story_ids)
        self._summary_generation += 1
        if len(self._summary_outdated) > SUMMARY_OUTDATED_LIMIT:
            self._summary_outdated.clear()  # only workers begun before this matter, and they are few
        for story_id in ids:
            self._summaries.discard(story_id)
            self._summary_outdated[story_id] = self._summary_generation
        story = self.reading.story
        if story is not None and story.id in ids:
            self.show_summary(story, again=True)

    def story_sources(self, story: Story) -> list[Source]:
        """Every feed's telling of the same event (one entry when the story stands alone)."""
        grouped = group_summary(self.store, story.id)
        if grouped is None:
            return []
        return [Source(g.feed_title, g.title, story_id=g.story_id) for g in grouped.sources]

    def _with_group(self, story_id: int) -> list[int]:
        """The story, and with mark_group_read every other feed's version of the same event."""
        group_of = getattr(self.store, "group_of", None)
        if group_of is None or not getattr(self.settings, "mark_group_read", False):
            return [story_id]
        group = group_of(story_id)
        if group is None:
            return [story_id]
        return [story_id] + [i for i in group.story_ids if i != story_id]

    def _schedule_read(self, story: Story) -> None:
        self._cancel_read_timer()
        if story.read and not self._group_unread(story.id):
            return
        delay = getattr(self.settings, "mark_read_delay", 0.0)
        if delay is None:
            return
        if delay <= 0:
            self._mark_opened_read(story.id)
        else:
            self._read_timer = self.set_timer(delay, partial(self._mark_opened_read, story.id))

    def _group_unread(self, story_id: int) -> bool:
        """Whether another story of the event ``story_id`` belongs to (marked with it) is unread."""
        others = self._with_group(story_id)[1:]
        return bool(others) and any(not row.read for row in self.store.story_rows(others))

    def _cancel_read_timer(self) -> None:
        if self._read_timer is not None:
            self._read_timer.stop()
            self._read_timer = None

    def _mark_opened_read(self, story_id: int) -> None:
        if self.open_story_id == story_id:
            self.set_read(self._with_group(story_id), True)

    # -- the full article -------------------------------------------------------------------

    @staticmethod
    def _article_source():
        try:
            from reader.extract import get_article
        except ImportError:
            return None
        return get_article

    @work(thread=True, exclusive=True, group="article")
    def fetch_article(self, story_id: int) -> None:
        get_article = self._article_source()
        if get_article is None:
            return
        try:
            article = get_article(self.db_path, story_id, self.clock)
        except Exception as exc:  # a worker reports, never raises into the UI
            self.post_message(ArticleLoaded(story_id, None, f"could not fetch it ({exc})"))
            return
        self.post_message(
            ArticleLoaded(story_id, article.markdown, article.error, getattr(article, "from_cache", False),
                          getattr(article, "source", "feed"))
        )

    def on_article_loaded(self, message: ArticleLoaded) -> None:
        self.reading.set_article(message.story_id, message.markdown, message.error)
        if message.source == "article" and message.markdown is not None:
            cached = self._summaries.get(message.story_id)
            # Kept just now, or by another process (a cron refresh) after these bullets were made.
            if not message.from_cache or cached is None or message.story_id not in cached.from_articles:
                self.articles_kept([message.story_id])

    def on_reading_pane_link_opened(self, message: ReadingPane.LinkOpened) -> None:
        self.open_link(message.href)

    # -- read and saved state ---------------------------------------------------------------

    def set_read(self, ids: Iterable[int], read: bool, *, undoable: bool = True) -> list[int]:
        changed = self.store.mark_read(list(ids), read)
        if changed and undoable:
            self.undo_stack.append(("read", changed, read))
        self._after_marking(changed, read=read)
        return changed

    def _after_marking(self, changed: list[int], *, read: bool | None = None, saved: bool | None = None,
                       recount: bool = False) -> None:
        """Show new read/saved state: the changed rows, and the counts they move.

        A few stories (a key press) adjust the counts in memory; many (A, u) recount in a worker.
        """
        if not changed:
            return
        self.stories.invalidate(changed)
        if recount or len(changed) > ADJUST_LIMIT:
            self.refresh_counts()
        else:
            self._count_epoch += 1
            if read is not None:
                self.sidebar.adjust(feed_deltas(self.store.story_rows(changed), read))
                if self.view.query is not None:
                    listed = sum(1 for i in changed if self.stories.is_listed(i))
                    if self._search_unread is not None:  # else the recount on its way includes it
                        self._search_unread = max(0, self._search_unread + (-listed if read else listed))
            if saved is not None:
                self.sidebar.adjust(saved=len(changed) if saved else -len(changed))
            self.update_header()
        if self.reading.story and self.reading.story.id in changed:
            story = self.store.get_story(self.reading.story.id)
            if story is not None:
                saved_changed = story.saved != self.reading.story.saved
                self.reading.story = story
                if saved_changed:  # the head shows "★ saved"; read state is not in it
                    self.reading.refresh_head()

    def current_id(self) -> int | None:
        return self.stories.current_story_id

    def action_toggle_read(self) -> None:
        sid = self.current_id()
        if sid is None:
            return
        story = self.store.get_story(sid)
        if story is None:
            return
        if self.open_story_id == sid:
            self._cancel_read_timer()  # the person decided; the delay must not undo that
        ids = self._with_group(sid)
        event = self.stories.event_at(self.stories.cursor_index)
        if event is not None and not self.stories.is_expanded(event[0]) and event[1][0] == sid:
            # A folded event shows unread while any of its stories is: m reads it, then unreads it.
            read = self.stories.row_unread(self.stories.cursor_index)
            if len(ids) == 1 and read:
                others = sum(1 for row in self.store.story_rows(event[1][1:]) if not row.read)
                if others:
                    key = self.key_label("expand_event")
                    self.notify(f"{others} other {'source stays' if others == 1 else 'sources stay'} unread"
                                f" ({key} shows them).", markup=False, timeout=3)
        else:
            read = not story.read
        self.set_read(ids, read)

    def action_mark_all_read(self) -> None:
        changed = self.store.mark_all_read(self.view)
        view = self.view
        everything = view.feed_id is None and view.folder is None and view.query is None and view.state != "saved"
        if changed and not everything and getattr(self.settings, "mark_group_read", False):
            # The other feeds' versions of the events marked, outside this view (one undo for all).
            done = set(changed)
            others = {i for group in self.store.groups_of(changed).values() for i in group.story_ids} - done
            changed += self.store.mark_read(sorted(others), True)
        if changed:
            self.undo_stack.append(("read", changed, True))
        self._after_marking(changed, recount=True)
        self.notify(f"Marked {len(changed)} stories read ({self.key_label('undo')} undoes).", markup=False)

    def action_undo(self) -> None:
        if not self.undo_stack:
            self.notify("Nothing to undo.", markup=False)
            return
        kind, ids, value = self.undo_stack.pop()
        if kind == "read":
            changed = self.store.mark_read(ids, not value)
        else:
            changed = self.store.mark_saved(ids, not value)
        self._after_marking(changed, recount=True)
        what = "read" if kind == "read" else "saved"
        self.notify(f"Undone: {len(ids)} {'story' if len(ids) == 1 else 'stories'} {'un' if value else ''}marked {what}.", markup=False)

    def action_toggle_saved(self) -> None:
        sid = self.current_id()
        if sid is None:
            return
        story = self.store.get_story(sid)
        if story is None:
            return
        changed = self.store.mark_saved([sid], not story.saved)
        if changed:
            self.undo_stack.append(("saved", changed, not story.saved))
        self._after_marking(changed, saved=not story.saved)

    # -- moving -----------------------------------------------------------------------------

    def _focused_pane(self) -> str:
        focused = self.focused
        while focused is not None:
            if focused.id in ("sidebar", "stories", "reading", "summary"):
                return focused.id
            focused = focused.parent  # type: ignore[assignment]
        return "stories"

    def action_cursor_down(self) -> None:
        pane = self._focused_pane()
        if pane == "sidebar":
            self.sidebar.action_cursor_down()
        elif pane in ("reading", "summary"):
            self.main.query_one(f"#{pane}").scroll_down(animate=False)
        else:
            self.stories.action_cursor_down()

    def action_cursor_up(self) -> None:
        pane = self._focused_pane()
        if pane == "sidebar":
            self.sidebar.action_cursor_up()
        elif pane in ("reading", "summary"):
            self.main.query_one(f"#{pane}").scroll_up(animate=False)
        else:
            self.stories.action_cursor_up()

    def action_first(self) -> None:
        pane = self._focused_pane()
        if pane == "sidebar":
            self.sidebar.action_first()
        elif pane in ("reading", "summary"):
            self.main.query_one(f"#{pane}").scroll_home(animate=False)
        else:
            self.stories.action_first()

    def action_last(self) -> None:
        pane = self._focused_pane()
        if pane == "sidebar":
            self.sidebar.action_last()
        elif pane in ("reading", "summary"):
            self.main.query_one(f"#{pane}").scroll_end(animate=False)
        else:
            self.stories.action_last()

    def action_open_story(self) -> None:
        if self._focused_pane() == "sidebar":
            place = self.sidebar.highlighted_place
            if place:
                self.go_to_place(place)
            return
        self.open_story(self.current_id())

    def action_next_unread(self) -> None:
        if self.stories.next_unread():
            self.open_story(self.current_id())
        elif self.stories.next_unread(wrap=True):  # none below: the first above, as newsboat wraps
            self.notify("No unread story below: back to the first one above.", markup=False, timeout=2)
            self.open_story(self.current_id())
        elif self._previewed_unread():  # the view's last unread story, shown but never opened
            self.open_story(self.current_id())
        else:
            self.notify("No more unread stories in this view.", markup=False)

    def _previewed_unread(self) -> bool:
        """Whether the story under the cursor is unread and only previewed (not opened)."""
        story_id = self.current_id()
        return (story_id is not None and story_id != self.open_story_id
                and self.stories.row_unread(self.stories.cursor_index))

    def action_prev_unread(self) -> None:
        if self.stories.prev_unread():
            self.open_story(self.current_id())
        else:
            self.notify("No earlier unread story in this view.", markup=False)

    def action_expand_event(self) -> None:
        if self._focused_pane() == "stories" and not self.stories.expand_event():
            if not self.stories.collapse_events:
                self.notify("Every feed's version has its own line (fold_events = false in the config).",
                            markup=False, timeout=2)
            elif self.stories.event_at(self.stories.cursor_index) is None:
                self.notify("Only a story told by several feeds unfolds.", markup=False, timeout=2)

    def action_collapse_event(self) -> None:
        if self._focused_pane() == "stories":
            self.stories.collapse_event()

    def action_open_source(self, number: int) -> None:
        """Open the summary panel's source ``number`` (1 is the first listed)."""
        sources = [s for s in self.summary.sources if s.story_id is not None]
        if len(sources) < 2:
            self.notify("Number keys read the sources of a story told by several feeds.", markup=False, timeout=2)
            return
        if not 1 <= number <= len(sources):
            self.notify(f"This story has {len(sources)} sources.", markup=False, timeout=2)
            return
        self.open_story(sources[number - 1].story_id)

    def action_page(self) -> None:
        hidden = self.main.has_class("-narrow") and not self.has_class("-reading")
        if hidden or self.open_story_id is None or self.reading.story is None:
            self.open_story(self.current_id())
            return
        if not self.reading.page():
            self.action_next_unread()

    def action_cycle_filter(self) -> None:
        flt = self.view
        state = STATES[(STATES.index(flt.state) + 1) % len(STATES)]
        self.load_view(StoryFilter(state, flt.feed_id, flt.folder, flt.query), self.current_id())
        self.notify(f"Showing {STATE_LABELS[state].lower()} stories.", markup=False, timeout=2)

    def _step_feed(self, step: int) -> None:
        feed_ids = self.sidebar.feed_ids()
        if not feed_ids:
            self.notify(f"No feeds yet: {self.key_label('add_feed')} adds one.", markup=False)
            return
        current = self.view.feed_id
        if current in feed_ids:
            index = (feed_ids.index(current) + step) % len(feed_ids)
        else:
            index = 0 if step > 0 else len(feed_ids) - 1
        self.go_to_feed(feed_ids[index])

    def action_next_feed(self) -> None:
        self._step_feed(1)

    def action_prev_feed(self) -> None:
        self._step_feed(-1)

    def _panes(self) -> list[str]:
        narrow = self.main.has_class("-narrow")
        if narrow:
            panes = ["reading", "summary"] if self.has_class("-reading") else ["sidebar", "stories"]
        else:
            panes = ["sidebar", "stories", "reading", "summary"]
        hidden = set()
        if self.has_class("-hide-sidebar"):
            hidden.add("sidebar")
        if self.has_class("-hide-summary"):
            hidden.add("summary")
        return [p for p in panes if p not in hidden]

    def _move_pane(self, step: int) -> None:
        if len(self.screen_stack) > 1:  # a dialog: tab moves between its fields as usual
            if step > 0:
                self.screen.focus_next()
            else:
                self.screen.focus_previous()
            return
        if self.focused is not None and self.focused.id == "search":
            self.stories.focus()
            return
        narrow = self.main.has_class("-narrow")
        panes = self._panes()
        current = self._focused_pane()
        if narrow and current in ("stories", "sidebar") and step > 0 and current == panes[-1]:
            # at 80 columns the list and the reading pane take turns
            if self.reading.story is not None:
                self.add_class("-reading")
                self.reading.focus()
                return
        if narrow and current in ("reading", "summary") and current == (panes[0] if step < 0 else panes[-1]):
            self.remove_class("-reading")
            self.stories.focus()
            return
        index = panes.index(current) if current in panes else 0
        self.main.query_one(f"#{panes[(index + step) % len(panes)]}").focus()

    def action_next_pane(self) -> None:
        self._move_pane(1)

    def action_prev_pane(self) -> None:
        self._move_pane(-1)

    def action_back(self) -> None:
        if self.has_class("-reading"):
            self.remove_class("-reading")
            self.stories.focus()
        elif self.view.query is not None:
            self.load_view(self.before_search or StoryFilter("all"))
            self.before_search = None
        elif self._focused_pane() in ("reading", "summary", "sidebar"):
            self.stories.focus()

    def action_toggle_sidebar(self) -> None:
        self.toggle_class("-hide-sidebar")
        if self.has_class("-hide-sidebar") and self._focused_pane() == "sidebar":
            self.stories.focus()

    def action_toggle_summary(self) -> None:
        self.toggle_class("-hide-summary")
        if self.has_class("-hide-summary") and self._focused_pane() == "summary":
            self.reading.focus()

    def action_toggle_source(self) -> None:
        self.notify(self.reading.toggle_source(), markup=False, timeout=2)

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.help_rows()))

    # -- links ------------------------------------------------------------------------------

    def _current_story(self) -> Story | None:
        if self.reading.story is not None and self.reading.story.id == self.current_id():
            return self.reading.story
        sid = self.current_id()
        return self.store.get_story(sid) if sid is not None else None

    def open_link(self, url: str | None) -> None:
        if not url:
            self.notify("This story has no link.", markup=False)
            return
        if not is_web_url(url):
            self.notify(f"Not opening {safe_url(url)!r}: only http and https links are opened.", severity="warning", markup=False)
            return
        self.opened_links.append(url)
        self.open_url(url.strip())
        self.notify(f"Opening {safe_url(url)}", markup=False, timeout=2)

    def action_open_link(self) -> None:
        story = self._current_story()
        if story is not None:
            self.open_link(story.url)

    def action_open_attachment(self) -> None:
        story = self._current_story()
        if story is None:
            return
        enclosures = [enc for enc in story.enclosures if enc.url]
        if not enclosures:
            self.notify("This story has no attachments.", markup=False)
        elif len(enclosures) == 1:
            self.open_link(enclosures[0].url)
        else:
            choices = [
                (f"{n}. {one_line(enc.type) or 'file'}, {format_size(enc.length)}  {safe_url(enc.url)}", enc.url)
                for n, enc in enumerate(enclosures, 1)
            ]
            self.push_screen(ChoiceScreen("Open which attachment?", choices), self.open_link)

    def action_copy_link(self) -> None:
        story = self._current_story()
        if story is None or not story.url:
            self.notify("This story has no link.", markup=False)
            return
        self.copy_to_clipboard(story.url)
        self.notify(f"Copied {safe_url(story.url)}", markup=False, timeout=2)

    # -- search -----------------------------------------------------------------------------

    def action_search(self) -> None:
        search = self.main.query_one("#search", Input)
        # shown and hidden on the widget itself: a class on the app would restyle every widget (~80 ms)
        search.display = True
        self.remove_class("-reading")
        search.value = self.view.query or ""
        search.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id != "search":
            return
        event.stop()
        query = event.value.strip()
        if query:  # its first stories read while it is typed: enter then only draws them
            self.stories.prepare(StoryFilter("all", query=query))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "search":
            return
        event.stop()
        query = event.value.strip()
        event.input.display = False
        self.stories.focus()
        if not query:
            return
        if self.view.query is None:
            self.before_search = self.view
        self.load_view(StoryFilter("all", query=query))

    def on_key(self, event) -> None:
        if event.key == "escape" and self.focused is not None and self.focused.id == "search":
            event.stop()
            event.prevent_default()
            self.focused.display = False
            self.stories.focus()

    # -- refreshing -------------------------------------------------------------------------

    def _auto_refresh_tick(self) -> None:
        if not self.refreshing:
            self.start_refresh(None, quiet=True)

    def action_refresh_all(self) -> None:
        self.start_refresh(None)

    def _current_feed_id(self) -> int | None:
        if self.view.feed_id is not None:
            return self.view.feed_id
        if self._focused_pane() == "sidebar":
            place = self.sidebar.highlighted_place
            if place and place.kind == "feed":
                return place.feed_id
        row = self.stories.current_row
        return row.feed_id if row is not None else None

    def action_refresh_feed(self) -> None:
        feed_id = self._current_feed_id()
        if feed_id is None:
            self.notify("No feed here to refresh: pick a feed or a story first.", markup=False)
            return
        self.start_refresh([feed_id])

    def start_refresh(self, feed_ids: list[int] | None, quiet: bool = False) -> None:
        if self.refreshing:
            if not quiet:
                self.notify("A refresh is already running.", markup=False)
            return
        self.refreshing = True
        start_process_helpers()
        self.add_class("-refreshing")
        bar = self.main.query_one("#refresh-progress", ProgressBar)
        bar.update(total=None, progress=0)
        self.main.query_one("#refresh-label", Static).update(Content("Refreshing feeds…"))
        self.run_refresh(tuple(feed_ids) if feed_ids is not None else None)

    @work(thread=True, exclusive=True, group="refresh")
    def run_refresh(self, feed_ids: tuple[int, ...] | None) -> None:
        try:
            from reader.refresh import refresh

            def progress(done: int, total: int, result) -> None:
                self.post_message(RefreshProgress(done, total, result))

            summary = refresh(self.db_path, feed_ids, on_progress=progress, clock=self.clock)
        except Exception as exc:  # a worker reports, never raises into the UI
            self.post_message(RefreshFinished(None, f"Refresh failed: {exc}", feed_ids))
            return
        self.post_message(RefreshFinished(summary, None, feed_ids))

    def on_refresh_progress(self, message: RefreshProgress) -> None:
        bar = self.main.query_one("#refresh-progress", ProgressBar)
        bar.update(total=max(1, message.total), progress=message.done)
        self.main.query_one("#refresh-label", Static).update(
            Content(f"Refreshing feeds {message.done}/{message.total}")
        )

    def on_refresh_finished(self, message: RefreshFinished) -> None:
        self.refreshing = False
        if not self.reading_ahead:
            self.remove_class("-refreshing")
        # reload keeps the cursor on the story being read; new stories appear around it
        self.stories.reload()
        self._summaries.clear()  # a refresh can group stories into new events
        self.refresh_counts()
        if message.error:
            self.notify(message.error, severity="error", markup=False)
            return
        summary = message.summary
        if summary is None:
            return
        fetched = [f for f in summary.feeds if not f.skipped]
        if not fetched:
            self.notify(self._nothing_refreshed(), markup=False)
            return
        text = f"Refreshed {len(fetched)} {'feed' if len(fetched) == 1 else 'feeds'}: {summary.new} new"
        if summary.updated:
            text += f", {summary.updated} updated"
        failed = summary.failed
        if failed:
            text += f"; {len(failed)} failed (marked ! in the sidebar, {self.key_label('show_error')} shows why)"
        self.notify(text + ".", severity="warning" if failed else "information", markup=False)
        if getattr(self.settings, "fetch_articles", False):
            self.start_read_ahead(message.feed_ids)

    def _nothing_refreshed(self) -> str:
        """Why a refresh fetched no feed at all ("Refreshed 0 feeds" would leave it a riddle)."""
        from reader.demo import is_demo_url

        feeds = list(self.sidebar.feeds.values())
        if not feeds:
            return f"No feeds to refresh yet: {self.key_label('add_feed')} adds one."
        if all(is_demo_url(f.url) for f in feeds):
            return f"The demo feeds are built in and never fetched; {self.key_label('add_feed')} adds a real feed."
        return "No feed was due: those left out are disabled or asked to wait (their errors say so)."

    # -- reading ahead: full articles for offline reading -----------------------------------

    def start_read_ahead(self, feed_ids: tuple[int, ...] | None) -> None:
        """Fetch the full articles of new unread stories (of these feeds) in a worker, after the
        feeds are refreshed so they never wait for it; progress shows in the refresh bar."""
        if self.reading_ahead:
            self._read_ahead_next = None if self._read_ahead_next is None or feed_ids is None else (
                tuple(feed_ids) + (self._read_ahead_next or ()))
            return
        self.reading_ahead = True
        start_process_helpers()
        self.add_class("-refreshing")
        if not self.refreshing:
            self.main.query_one("#refresh-progress", ProgressBar).update(total=None, progress=0)
            self.main.query_one("#refresh-label", Static).update(Content("Fetching articles…"))
        self.run_read_ahead(feed_ids)

    @work(thread=True, group="read-ahead")
    def run_read_ahead(self, feed_ids: tuple[int, ...] | None) -> None:
        try:
            from reader.extract import fetch_articles

            def progress(done: int, total: int, result) -> None:
                self.post_message(ArticlesProgress(done, total))

            summary = fetch_articles(self.db_path, feed_id=list(feed_ids) if feed_ids else None,
                                     on_progress=progress, clock=self.clock)
        except Exception as exc:  # a worker reports, never raises into the UI
            self.post_message(ArticlesFetched(None, f"Fetching articles failed: {exc}"))
            return
        self.post_message(ArticlesFetched(summary))

    def on_articles_progress(self, message: ArticlesProgress) -> None:
        if self.refreshing:
            return  # the feeds' progress has the bar
        bar = self.main.query_one("#refresh-progress", ProgressBar)
        bar.update(total=max(1, message.total), progress=message.done)
        self.main.query_one("#refresh-label", Static).update(
            Content(f"Fetching articles {message.done}/{message.total}")
        )

    def on_articles_fetched(self, message: ArticlesFetched) -> None:
        self.reading_ahead = False
        if not self.refreshing:
            self.remove_class("-refreshing")
        if message.error:
            self.notify(message.error, severity="error", markup=False)
        summary = message.summary
        if summary is not None and summary.results:
            failed = len(summary.failed)
            text = f"Fetched {len(summary.results)} full {'article' if len(summary.results) == 1 else 'articles'} to read offline"
            if failed:
                text += f" ({failed} with the feed's text only)"
            self.notify(text + ".", markup=False, timeout=4)
            self.articles_kept(r.story_id for r in summary.results if r.source == "article" and r.error is None)
            if self.open_story_id in {r.story_id for r in summary.results}:
                self.fetch_article(self.open_story_id)  # from the database now
        again, self._read_ahead_next = self._read_ahead_next, False
        if again is not False:
            self.start_read_ahead(again)

    # -- feeds ------------------------------------------------------------------------------

    def action_add_feed(self) -> None:
        self.push_screen(AddFeedScreen(self._add_feed_requested))

    def _add_feed_requested(self, request: AddFeedRequest) -> None:
        self.run_add_feed(request.url, request.folder)

    def _adding_dialog(self, url: str | None = None) -> AddFeedScreen | None:
        """The add dialog on top, waiting for a feed (``url``'s, when given) to be added."""
        screen = self.screen
        if isinstance(screen, AddFeedScreen) and screen.waiting is not None:
            if url is None or screen.waiting.url == url:
                return screen
        return None

    @work(thread=True, group="add-feed")
    def run_add_feed(self, url: str, folder: str | None) -> None:
        try:
            from reader.refresh import AddFeedError, add_feed_from_url
        except ImportError as exc:
            self.post_message(FeedAddFailed(url, f"adding feeds is not available ({exc})"))
            return
        try:
            feed, result = add_feed_from_url(self.db_path, url, folder, clock=self.clock)
        except AddFeedError as exc:
            self.post_message(FeedAddFailed(url, str(exc)))
            return
        except Exception as exc:  # a worker reports, never raises into the UI
            self.post_message(FeedAddFailed(url, f"could not add it ({exc})"))
            return
        self.post_message(FeedAdded(feed, result))

    def on_feed_added(self, message: FeedAdded) -> None:
        dialog = self._adding_dialog()
        if dialog is not None:
            dialog.added()
        self.reload_sidebar()
        self.load_view(StoryFilter(self.view.state, feed_id=message.feed.id))
        error = getattr(message.result, "error", None)
        text = f"Added {one_line(message.feed.display_title)}"
        if error:
            text += f", but its first refresh failed: {one_line(error)}"
        self.notify(text, markup=False, severity="warning" if error else "information")

    def on_feed_add_failed(self, message: FeedAddFailed) -> None:
        dialog = self._adding_dialog(message.url)
        if dialog is not None:  # told where it was asked, with the address still there to correct
            dialog.failed(one_line(message.error))
            return
        self.notify(f"Could not add {safe_url(message.url)}: {one_line(message.error)}", severity="error", markup=False, timeout=8)

    def action_remove_feed(self) -> None:
        feed_id = self._current_feed_id()
        feed = self.store.get_feed(feed_id) if feed_id is not None else None
        if feed is None:
            self.notify("Pick a feed (in the sidebar, or a story from it) to remove.", markup=False)
            return
        question = f"Remove {one_line(feed.display_title)} ({safe_url(feed.url)}) and all its stories?"
        self.push_screen(ConfirmScreen(question, yes="Remove"), partial(self._remove_answer, feed.id))

    def _remove_answer(self, feed_id: int, yes: bool | None) -> None:
        if not yes:
            return
        feed = self.store.get_feed(feed_id)
        try:
            self.store.remove_feed(feed_id)
        except StoreError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        self.undo_stack = [u for u in self.undo_stack if self.store.existing_story_ids(u[1])]
        if self.view.feed_id == feed_id:
            self.view = StoryFilter(self.view.state)
        if self.reading.story is not None and self.reading.story.feed_id == feed_id:
            self.open_story_id = None
            self.reading.show_story(None)
            self.summary.clear()
        self.reload_sidebar()
        self.load_view(self.view)
        self.notify(f"Removed {one_line(feed.display_title) if feed else 'the feed'}.", markup=False)

    def action_show_error(self) -> None:
        feed_id = None
        if self._focused_pane() == "sidebar":
            place = self.sidebar.highlighted_place
            feed_id = place.feed_id if place and place.kind == "feed" else None
        if feed_id is None:
            feed_id = self._current_feed_id()
        feed = self.store.get_feed(feed_id) if feed_id is not None else None
        if feed is None:
            self.notify("Pick a feed to see its last error.", markup=False)
            return
        if not feed.last_error and not feed.warning:
            self.notify(f"{one_line(feed.display_title)}: the last refresh went fine.", markup=False)
            return
        lines = [f"Feed: {safe_url(feed.url)}"]
        if feed.last_error:
            lines.append(f"Last error: {one_line(feed.last_error)}")
        if feed.last_status:
            lines.append(f"HTTP status: {feed.last_status}")
        if feed.consecutive_errors:
            lines.append(f"Failed {feed.consecutive_errors} time(s) in a row")
        if feed.disabled:
            lines.append("Disabled: it is no longer refreshed")
        if feed.warning:
            lines.append(f"Warning: {one_line(feed.warning)}")
        self.push_screen(MessageScreen(one_line(feed.display_title), "\n".join(lines)))

    # -- first run --------------------------------------------------------------------------

    def first_run(self) -> None:
        self.push_screen(FirstRunScreen(), self._first_run_choice)

    def _first_run_choice(self, choice: str | None) -> None:
        if choice == "add":
            self.action_add_feed()
        elif choice == "import":
            self.action_import_subscriptions()
        elif choice == "demo":
            self.load_demo_feeds()

    def action_import_subscriptions(self) -> None:
        """Ask for an OPML file or a newsboat urls file; newsboat's own is filled in when found."""
        from reader.paths import newsboat_urls_file

        found = newsboat_urls_file()
        value = note = ""
        if found is not None:
            home = Path.home()
            value = f"~/{found.relative_to(home)}" if found.is_relative_to(home) else str(found)
            note = "These are your newsboat subscriptions (its tags become folders); enter imports them."
        self.push_screen(PathScreen("Import subscriptions from a file", value=value, note=note), self._import_path)

    def load_demo_feeds(self) -> None:
        from reader.demo import load_demo

        count = load_demo(self.store)
        self.reload_sidebar()
        self.load_view(StoryFilter("all"))
        self.notify(f"Loaded {count} demo stories.", markup=False)

    def _import_path(self, path: str | None) -> None:
        if not path:
            return
        file = Path(path).expanduser()
        try:
            data = file.read_bytes()
        except OSError as exc:
            self.notify(f"Cannot read {file}: {exc.strerror or exc}", severity="error", markup=False)
            return
        try:
            from reader.opml import read_subscriptions

            result = read_subscriptions(data, file.name)
        except Exception as exc:
            self.notify(f"Cannot import {file.name}: {exc}", severity="error", markup=False)
            return
        added: list[int] = []
        for sub in result.subscriptions:
            try:
                feed = self.store.add_feed(
                    sub.url, title=getattr(sub, "title", None), folder=getattr(sub, "folder", None)
                )
            except StoreError:
                continue
            added.append(feed.id)
        self.reload_sidebar()
        self.load_view(self.view)
        skipped = len(getattr(result, "skipped", ()) or ())
        text = f"Imported {len(added)} feeds" + (f", skipped {skipped}" if skipped else "") + "; refreshing them now."
        self.notify(text, markup=False)
        if added:
            self.start_refresh(added)


def run_app(db_path: Path, *, demo: bool = False, settings: Any = None, problems: Sequence[str] = ()) -> int:
    """Run the app on ``db_path`` until the person quits (the CLI's entry point); returns the exit
    status (129 when the terminal went away)."""
    app = NewsdeskApp(db_path, demo=demo, settings=settings, problems=problems, freeze_gc=True)
    app.run()
    return app.return_code or 0
