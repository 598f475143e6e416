"""The story list: one line per story, virtualised so 100,000 stories cost what one screen costs.

The widget holds only the ordered story ids of its filter (an ``array('q')``, 8 bytes a story).
Row data is fetched from the store for the window around what is on screen and kept in an LRU
cache; rendered lines are cached by everything that changes how they look.

Public API (the app embeds this widget and binds the keys):

- ``StoryList(store, clock=time.time, *, id=None, classes=None)``
- ``load(flt, keep_story_id=None)``, ``reload()``, ``invalidate(story_ids=None)``, ``filter``
- ``cursor_index`` (settable), ``current_story_id``, ``current_row``, ``row_count``,
  ``move_to(story_id)``, ``index_of(story_id)``, ``next_unread(wrap=False)``, ``prev_unread(wrap=False)``
- ``source_width``: the longest feed name in cells (the feed column is no wider); ``show_source``
- actions: ``cursor_down``, ``cursor_up``, ``page_down``, ``page_up``, ``first``, ``last``, ``select``
- messages: ``StoryList.Highlighted(story_id)``, ``StoryList.Selected(story_id)`` (``.control`` is the
  list, so ``@on(StoryList.Selected, "#stories")`` works)
- ``empty_message``: the line shown when the filter selects nothing
"""

from __future__ import annotations

import re
import time
from array import array
from typing import Callable, ClassVar, Iterable

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.message import Message
from textual.strip import Strip

from reader.models import StoryFilter, StoryRow
from reader.store import Store
from reader.ui.widgets.flow import SteadyScrollView

try:  # the core's cleaner, once it exists, so every screen strips the same things
    from reader.text import one_line as _core_one_line  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - the widget also works without it
    _core_one_line = None

# Terminal escape sequences (CSI, OSC, two-byte ESC) go whole, so no "[31m" debris is left behind.
_ESCAPE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])?")
# Also applied after reader.text: C0/C1 controls, bidi marks, overrides and isolates, and the
# zero-width characters that make cell widths disagree with the terminal's.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
_SPACE = re.compile(r"\s+")

# A cursor search checks read state this many rows at a time, growing to SEARCH_CHUNK_MAX.
SEARCH_CHUNK_MIN = 64
SEARCH_CHUNK_MAX = 500
ROW_CACHE_SIZE = 4096
STRIP_CACHE_SIZE = 1024
AGE_WIDTH = 6  # "Mar 02"
AGE_REFRESH_S = 60.0
# The feed column appears when the titles keep at least this many cells beside it; it is as wide
# as the longest feed name (``source_width``) up to a limit that grows with the list.
TITLE_MIN_WITH_SOURCE = 40
SOURCE_MIN, SOURCE_MAX = 10, 20


def one_line(text: str | None) -> str:
    """Text from the network fit for one terminal line: no escapes, no controls, no newlines."""
    if not text:
        return ""
    text = _core_one_line(text) if _core_one_line is not None else _ESCAPE.sub("", text)
    # Whitespace first (newlines become spaces, not nothing), then what is left of the controls.
    return " ".join(_CONTROL.sub("", _SPACE.sub(" ", text)).split())


def fit(text: str, width: int) -> str:
    """``text`` padded or cut to exactly ``width`` cells, with "…" where it was cut."""
    if width <= 0:
        return ""
    if cell_len(text) <= width:
        return set_cell_size(text, width)
    return set_cell_size(text, width - 1) + "…"


def format_age(published: float, now: float) -> str:
    """How long ago, in at most six cells: now, 5m, 3h, 2d, 3w, then Mar 02, then the year."""
    seconds = now - published
    if seconds < 60:
        return "now"
    if seconds < 3600:
        return f"{int(seconds // 60)}m"
    if seconds < 86400:
        return f"{int(seconds // 3600)}h"
    if seconds < 7 * 86400:
        return f"{int(seconds // 86400)}d"
    if seconds < 28 * 86400:
        return f"{int(seconds // (7 * 86400))}w"
    # Within the last eleven months a month and day is unambiguous; older stories show the year.
    if seconds < 330 * 86400:
        return time.strftime("%b %d", time.localtime(published))
    return time.strftime("%Y", time.localtime(published))


_GONE = object()  # a cached "this id no longer exists", so a deleted story is not fetched again
_UNKNOWN = object()  # "the store cannot say where the next unread story is": scan the list


class StoryList(SteadyScrollView, can_focus=True):
    """Stories of one filter, newest first, one line each; the app binds the keys to the actions."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "story-list--unread",
        "story-list--read",
        "story-list--cursor",
        "story-list--saved",
        "story-list--age",
        "story-list--source",
        "story-list--empty",
    }
    """
    | Class | Description |
    | :- | :- |
    | `story-list--unread` | An unread story's row. |
    | `story-list--read` | A read story's row. |
    | `story-list--cursor` | The row under the cursor (styled apart when the list has focus). |
    | `story-list--saved` | The saved mark. |
    | `story-list--age` | The age column. |
    | `story-list--source` | The feed column. |
    | `story-list--empty` | The message shown when there are no stories. |
    """

    DEFAULT_CSS = """
    StoryList {
        background: $surface;
        color: $foreground;
        overflow-x: hidden;
        overflow-y: auto;
        & > .story-list--unread {
            color: $foreground;
            text-style: bold;
        }
        & > .story-list--read {
            color: $text-muted;
        }
        & > .story-list--saved {
            color: $warning;
        }
        & > .story-list--source {
            color: $text-secondary;
        }
        & > .story-list--age {
            color: $text-muted;
        }
        & > .story-list--empty {
            color: $text-muted;
            text-style: italic;
        }
        & > .story-list--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        &:focus > .story-list--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
    }
    """

    class Highlighted(Message):
        """The cursor landed on a different story (``None`` when the list became empty)."""

        def __init__(self, story_id: int | None, story_list: "StoryList | None" = None) -> None:
            super().__init__()
            self.story_id = story_id
            self.story_list = story_list

        @property
        def control(self) -> "StoryList | None":
            return self.story_list

    class Selected(Message):
        """The story under the cursor was chosen (enter or a double click)."""

        def __init__(self, story_id: int, story_list: "StoryList | None" = None) -> None:
            super().__init__()
            self.story_id = story_id
            self.story_list = story_list

        @property
        def control(self) -> "StoryList | None":
            return self.story_list

    def __init__(
        self,
        store: Store,
        clock: Callable[[], float] = time.time,
        *,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.store = store
        self.clock = clock
        self.empty_message = "No stories"
        """The line shown, centred, when the filter selects no stories."""
        self._filter = StoryFilter()
        self._ids: array[int] = array("q")
        self._cursor = 0
        self._highlighted: int | None = None  # the story id last announced with Highlighted
        self._rows: LRUCache[int, object] = LRUCache(ROW_CACHE_SIZE)
        self._strips: LRUCache[tuple, Strip] = LRUCache(STRIP_CACHE_SIZE)
        self._styles: dict[tuple[bool, bool, bool], tuple[Style, ...]] = {}
        self._frame: tuple[int, float, bool] | None = None  # (width, now, focused) while painting
        self._source_width = SOURCE_MAX
        self._show_source = True

    # -- state ------------------------------------------------------------------------------

    @property
    def filter(self) -> StoryFilter:
        """The filter whose stories are listed."""
        return self._filter

    @property
    def row_count(self) -> int:
        return len(self._ids)

    @property
    def story_ids(self) -> array:
        """The listed story ids in order (read-only by convention; do not modify)."""
        return self._ids

    @property
    def cursor_index(self) -> int:
        """The cursor's row (0 when the list is empty). Setting it clamps, scrolls and announces."""
        return self._cursor

    @cursor_index.setter
    def cursor_index(self, index: int) -> None:
        self._set_cursor(index)

    @property
    def current_story_id(self) -> int | None:
        if not self._ids:
            return None
        return self._ids[self._cursor]

    @property
    def current_row(self) -> StoryRow | None:
        if not self._ids:
            return None
        return self._row_at(self._cursor)

    @property
    def source_width(self) -> int:
        """The longest feed name in cells: the feed column is never wider than that."""
        return self._source_width

    @source_width.setter
    def source_width(self, width: int) -> None:
        width = max(SOURCE_MIN, min(SOURCE_MAX, width))
        if width != self._source_width:
            self._source_width = width
            self._strips.clear()
            self.refresh()

    @property
    def show_source(self) -> bool:
        """Whether rows name their feed (pointless in a one-feed view, so the app turns it off)."""
        return self._show_source

    @show_source.setter
    def show_source(self, show: bool) -> None:
        if show != self._show_source:
            self._show_source = show
            self._strips.clear()
            self.refresh()

    def columns(self, width: int) -> tuple[int, int]:
        """(feed column, title column) widths of a ``width``-cell row; 0 means no feed column."""
        fixed = 3 + 1 + AGE_WIDTH + 1  # " ● " mark, then " " age " "
        source = 0
        if self._show_source:
            limit = SOURCE_MAX if width >= 100 else 16 if width >= 80 else 12
            source = min(limit, self._source_width)
            if width - fixed - source - 2 < TITLE_MIN_WITH_SOURCE:
                source = 0
        return source, max(0, width - fixed - (source + 2 if source else 0))

    def index_of(self, story_id: int) -> int | None:
        """Where ``story_id`` is listed (None when it is not)."""
        return self._index_of(story_id, hint=self._cursor)

    def move_to(self, story_id: int) -> bool:
        """Put the cursor on ``story_id``; False (cursor unchanged) when it is not listed."""
        index = self._index_of(story_id)
        if index is None:
            return False
        self._set_cursor(index)
        return True

    # -- loading ----------------------------------------------------------------------------

    def load(self, flt: StoryFilter, keep_story_id: int | None = None) -> None:
        """List the stories of ``flt``.

        The cursor stays on ``keep_story_id`` when it is still listed, at the same screen row when
        possible, so a background refresh never moves it off the story being read. Otherwise a
        reload of the same filter keeps the cursor's index (clamped: the next story takes the place
        of one that left), and a different filter starts at the top.
        """
        same_filter = flt == self._filter
        old_index = self._cursor
        screen_row = old_index - self.scroll_offset.y
        self._filter = flt
        self._ids = array("q", self.store.story_ids(flt))
        self._rows.clear()
        self._strips.clear()
        self.virtual_size = Size(0, len(self._ids))

        index = self._index_of(keep_story_id, hint=old_index) if keep_story_id is not None else None
        if index is None:
            index = old_index if same_filter else 0
            if not same_filter:
                screen_row = 0
        self._cursor = max(0, min(index, len(self._ids) - 1))
        height = self._page_height()
        if 0 <= screen_row < height:
            self._scroll_y_to(self._cursor - screen_row)
        else:
            self._scroll_y_to(self._cursor - height // 2)
        self._scroll_cursor_into_view()
        self.refresh()
        self._announce()

    def reload(self) -> None:
        """Load the current filter again, keeping the cursor on the current story."""
        self.load(self._filter, keep_story_id=self.current_story_id)

    def invalidate(self, story_ids: Iterable[int] | None = None) -> None:
        """Forget cached rows (all, or these stories') after their read/saved state changed."""
        if story_ids is None:
            self._rows.clear()
            self._strips.clear()
            self.refresh()
            return
        changed = set(story_ids)
        for story_id in changed:
            self._rows.discard(story_id)
        # Repaint only the lines on screen that show those stories: a smaller screen update.
        top = self.scroll_offset.y
        for index in range(top, min(top + self._page_height(), len(self._ids))):
            if self._ids[index] in changed:
                self.refresh_line(index)

    # -- cursor actions ---------------------------------------------------------------------

    def action_cursor_down(self) -> None:
        self._set_cursor(self._cursor + 1)

    def action_cursor_up(self) -> None:
        self._set_cursor(self._cursor - 1)

    def action_page_down(self) -> None:
        self._page(+1)

    def action_page_up(self) -> None:
        self._page(-1)

    def action_first(self) -> None:
        self._set_cursor(0)

    def action_last(self) -> None:
        self._set_cursor(len(self._ids) - 1)

    def action_select(self) -> None:
        story_id = self.current_story_id
        if story_id is not None:
            self.post_message(self.Selected(story_id, self))

    def action_next_unread(self) -> None:
        self.next_unread()

    def action_prev_unread(self) -> None:
        self.prev_unread()

    def next_unread(self, wrap: bool = False) -> bool:
        """Move to the next unread story after the cursor (from the top again if ``wrap``)."""
        n = len(self._ids)
        found = self._seek_unread(self._cursor, backwards=False)
        if found is _UNKNOWN:
            found = self._find_unread(range(self._cursor + 1, n))
        if found is None and wrap:
            found = self._seek_unread(None, backwards=False)
            if found is _UNKNOWN:
                found = self._find_unread(range(0, min(self._cursor, n)))
            elif found is not None and found >= self._cursor:
                found = None
        if found is None:
            return False
        self._set_cursor(found)
        return True

    def prev_unread(self, wrap: bool = False) -> bool:
        """Move to the nearest unread story above the cursor (from the bottom again if ``wrap``)."""
        n = len(self._ids)
        found = self._seek_unread(self._cursor, backwards=True)
        if found is _UNKNOWN:
            found = self._find_unread(range(self._cursor - 1, -1, -1))
        if found is None and wrap:
            found = self._seek_unread(None, backwards=True)
            if found is _UNKNOWN:
                found = self._find_unread(range(n - 1, self._cursor, -1))
            elif found is not None and found <= self._cursor:
                found = None
        if found is None:
            return False
        self._set_cursor(found)
        return True

    # -- mouse ------------------------------------------------------------------------------

    def _on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        index = self.scroll_offset.y + offset.y
        if not 0 <= index < len(self._ids):
            return
        event.stop()
        self._set_cursor(index)
        if event.chain >= 2:
            self.action_select()

    # -- cursor internals -------------------------------------------------------------------

    def _set_cursor(self, index: int) -> None:
        if not self._ids:
            self._cursor = 0
            self._announce()
            return
        index = max(0, min(index, len(self._ids) - 1))
        old = self._cursor
        self._cursor = index
        if old != index:
            self.refresh_line(old)
            self.refresh_line(index)
        # A step (j/k) scrolls by a line; a jump off screen (n, G, move_to) centres the cursor, so
        # the stories around it are in view and the next few jumps need no scrolling.
        self._scroll_cursor_into_view(centre=abs(index - old) > 1)
        self._announce()

    def _page(self, direction: int) -> None:
        """Move a page, keeping the cursor's screen row as the view scrolls with it."""
        if not self._ids:
            return
        step = max(1, self._page_height() - 1)
        screen_row = self._cursor - self.scroll_offset.y
        target = max(0, min(self._cursor + direction * step, len(self._ids) - 1))
        self._scroll_y_to(target - screen_row)
        self._set_cursor(target)

    def _page_height(self) -> int:
        return self.scrollable_content_region.height

    def _scroll_y_to(self, y: int) -> None:
        if not self.is_mounted:
            return  # _on_mount brings the cursor into view
        self.scroll_to(y=max(0, min(y, self.max_scroll_y)), animate=False, force=True)

    def _scroll_cursor_into_view(self, centre: bool = False) -> None:
        height = self._page_height()
        if height <= 0:
            # Not laid out yet: look again once we have a size.
            if self.is_mounted:
                self.call_after_refresh(self._scroll_cursor_into_view, centre)
            return
        top = self.scroll_offset.y
        if top <= self._cursor < top + height:
            return
        if centre:
            self._scroll_y_to(self._cursor - height // 2)
        elif self._cursor < top:
            self._scroll_y_to(self._cursor)
        else:
            self._scroll_y_to(self._cursor - height + 1)

    def _announce(self) -> None:
        story_id = self.current_story_id
        if story_id != self._highlighted:
            self._highlighted = story_id
            self.post_message(self.Highlighted(story_id, self))

    def _index_of(self, story_id: int | None, hint: int = 0) -> int | None:
        """Where ``story_id`` is listed; looks near ``hint`` first, as it rarely moves far."""
        if story_id is None:
            return None
        ids = self._ids
        lo = max(0, hint - 200)
        try:
            return ids.index(story_id, lo, min(len(ids), hint + 200))
        except ValueError:
            pass
        try:
            return ids.index(story_id)
        except ValueError:
            return None

    def _seek_unread(self, index: int | None, backwards: bool) -> int | None | object:
        """The list position of the nearest unread story past ``index`` (None: from the very top,
        or bottom), asked of the store's unread index, so a thousand read stories in a row cost
        one lookup; None when there is none; ``_UNKNOWN`` when the store cannot tell (a search is
        ordered by rank) or its answer is not listed (the list is older than the database)."""
        seek = getattr(self.store, "next_unread_id", None)
        if seek is None or self._filter.query is not None or not self._ids:
            return _UNKNOWN
        if index is None:
            key = (-(2**62), -(2**62)) if backwards else (2**62, 2**62)
        else:
            row = self._row_at(index)
            if row is None:
                return _UNKNOWN
            key = (row.published, row.id)
        story_id = seek(self._filter, *key, backwards=backwards)
        if story_id is None:
            return None
        found = self._index_of(story_id, hint=self._cursor)
        return _UNKNOWN if found is None else found

    def _find_unread(self, positions: range) -> int | None:
        """The first position in ``positions`` whose story is unread, checking in growing chunks."""
        ids = self._ids
        chunk = SEARCH_CHUNK_MIN
        start = 0
        while start < len(positions):
            part = positions[start : start + chunk]
            wanted = [ids[i] for i in part]
            read: dict[int, bool] = {}
            missing = []
            for story_id in wanted:
                cached = self._rows.get(story_id)
                if isinstance(cached, StoryRow):
                    read[story_id] = cached.read
                else:
                    missing.append(story_id)
            if missing:
                for row in self.store.story_rows(missing):
                    read[row.id] = row.read
            for i, story_id in zip(part, wanted):
                if read.get(story_id) is False:
                    return i
            start += chunk
            chunk = min(chunk * 2, SEARCH_CHUNK_MAX)
        return None

    # -- rows -------------------------------------------------------------------------------

    def _row_at(self, index: int) -> StoryRow | None:
        story_id = self._ids[index]
        row = self._rows.get(story_id)
        if row is None:
            self._fetch_around(index)
            row = self._rows.get(story_id)
        return row if isinstance(row, StoryRow) else None

    def _fetch_around(self, index: int) -> None:
        """Fetch the rows on screen plus half a page either side (or around ``index`` if it is off
        screen), skipping those already cached."""
        height = max(self._page_height(), 1)
        margin = max(height // 2, 8)
        top = self.scroll_offset.y
        if not top <= index < top + height:
            top, height = index, 1
        start = max(0, top - margin)
        end = min(len(self._ids), top + height + margin)
        missing = [i for i in self._ids[start:end] if i not in self._rows]
        if not missing:
            return
        found = {row.id: row for row in self.store.story_rows(missing)}
        for story_id in missing:
            self._rows.set(story_id, found.get(story_id, _GONE))

    # -- rendering --------------------------------------------------------------------------

    def _on_mount(self, event: events.Mount) -> None:
        self._scroll_cursor_into_view()
        # Ages ("5m") grow while the app is open; only lines whose age text changed are rebuilt.
        self.set_interval(AGE_REFRESH_S, self.refresh, name="story-list-ages")

    def _on_resize(self, event: events.Resize) -> None:
        self._scroll_cursor_into_view()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles.clear()
        self._strips.clear()

    def render_lines(self, crop: Region) -> list[Strip]:
        # Width, time and focus are the same for every line of one paint: look them up once.
        self._frame = (self.scrollable_content_region.width, self.clock(), self.has_focus)
        try:
            return super().render_lines(crop)
        finally:
            self._frame = None

    def render_line(self, y: int) -> Strip:
        width, now, focused = self._frame or (
            self.scrollable_content_region.width, self.clock(), self.has_focus
        )
        index = self.scroll_offset.y + y
        if not self._ids:
            return self._render_empty(y, width)
        row = self._row_at(index) if index < len(self._ids) and width > 0 else None
        if row is None:
            return Strip.blank(width, self._row_styles(True, False, focused)[0])
        selected = index == self._cursor
        age = format_age(row.published, now)
        key = (row.id, width, selected, focused, row.read, row.saved, age, row.title,
               row.feed_title, self._show_source, self._source_width)
        strip = self._strips.get(key)
        if strip is None:
            strip = self._render_row(row, width, self._row_styles(row.read, selected, focused), age)
            self._strips.set(key, strip)
        return strip

    def _row_styles(self, read: bool, selected: bool, focused: bool) -> tuple[Style, ...]:
        """Styles of a row's text, saved mark, source and age (cached until the styles change).

        Full component styles, not partial ones: only those blend translucent theme colours
        (the blurred cursor) and resolve "auto" text colours against the real background.
        """
        key = (read, selected, focused)
        styles = self._styles.get(key)
        if styles is None:
            get = self.get_component_rich_style
            text = get("story-list--read" if read else "story-list--unread")
            source = age = text
            if not read:  # a read row is muted as a whole; an unread one has coloured columns
                source = text + Style(color=get("story-list--source").color)
                age = text + Style(color=get("story-list--age").color)
            if selected:
                cursor = get("story-list--cursor")
                text, source, age = text + cursor, source + cursor, age + cursor
            saved = text + Style(color=get("story-list--saved").color)
            styles = self._styles[key] = (text, saved, source, age)
        return styles

    def _render_empty(self, y: int, width: int) -> Strip:
        base = self.rich_style
        if y != self._page_height() // 2:
            return Strip.blank(width, base)
        style = self.get_component_rich_style("story-list--empty")
        text = one_line(self.empty_message)
        text = set_cell_size(text, width) if cell_len(text) > width else text
        left = (width - cell_len(text)) // 2
        right = width - left - cell_len(text)
        return Strip(
            [Segment(" " * left, base), Segment(text, style), Segment(" " * right, base)], width
        )

    def _render_row(
        self, row: StoryRow, width: int, styles: tuple[Style, ...], age: str
    ) -> Strip:
        """One story as a line of exactly ``width`` cells. Feed text goes in as plain segments,
        never as markup, so "[bold]" or "[@click=...]" in a title is shown as typed."""
        text_style, saved_style, source_style, age_style = styles
        # " ● Source  Title…  3h ": one mark, ★ for a saved story (bold while unread) else ● unread.
        source_width, title_width = self.columns(width)
        if row.saved:
            segments = [Segment(" ", text_style), Segment("★", saved_style), Segment(" ", text_style)]
        else:
            segments = [Segment("   " if row.read else " ● ", text_style)]
        if source_width:
            segments.append(Segment(fit(one_line(row.feed_title), source_width), source_style))
            segments.append(Segment("  ", text_style))
        segments += [
            Segment(fit(one_line(row.title), title_width), text_style),
            Segment(" ", text_style),
            Segment(age.rjust(AGE_WIDTH)[-AGE_WIDTH:], age_style),
            Segment(" ", text_style),
        ]
        if title_width:  # every column was fitted to its width: the line is exactly ``width``
            return Strip(segments, width)
        return Strip(segments).crop_extend(0, width, text_style)
