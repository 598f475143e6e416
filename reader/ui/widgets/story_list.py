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
- a search is listed newest first, like every view; with many matches its first ``SEARCH_WINDOW``
  stories are listed at once and the rest, with ``story_count`` (None meanwhile), come from a
  worker, after which ``StoryList.Listed`` is posted; ``prepare(flt)`` reads a search's first
  stories in a worker while it is typed, and ``load(flt)`` uses them if the database is unchanged
- events told by several feeds (``collapse_events``, on by default) are listed once, on the line of
  their newest listed story, with "N sources" ("×N" in a narrow list); ``toggle_event()``,
  ``expand_event()``, ``collapse_event()`` show or fold their other stories under it;
  ``event_at(index)``, ``row_unread(index)``, ``story_count`` (stories listed, folded ones included)
"""

from __future__ import annotations

import gc
import re
import textwrap
import time
from array import array
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Callable, ClassVar, Iterable

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.message import Message
from textual.scrollbar import ScrollBar
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
# A search with at most this many results looks up their events by id, not all events in scope.
SEARCH_BY_IDS = 5000
# A search lists its newest stories at once, this many or SEARCH_SCREENS screens' worth, and the
# rest from a worker: a common word's 23,000 matches would hold the key for ~30 ms.
SEARCH_WINDOW = 50
SEARCH_SCREENS = 2
STRIP_CACHE_SIZE = 1024
AGE_WIDTH = 6  # "Mar 02"
AGE_REFRESH_S = 60.0
# The feed column appears when the titles keep at least this many cells beside a column of at least
# SOURCE_MIN; it is as wide as the longest feed name (``source_width``) up to a limit that grows with
# the list, and narrower where that limit would leave titles less.
TITLE_MIN_WITH_SOURCE = 30  # (an 80-column terminal's list: a 12-cell feed name and 33 of title)
SOURCE_MIN, SOURCE_MAX = 10, 20
# An event's line says "3 sources" after its title when the title keeps this many cells beside it,
# else "×3".
BADGE_FULL_TITLE = 30


def one_line(text: str | None) -> str:
    """Text from the network fit for one terminal line: no escapes, no controls, no newlines."""
    if not text:
        return ""
    text = _core_one_line(text) if _core_one_line is not None else _ESCAPE.sub("", text)
    # Whitespace first (newlines become spaces, not nothing), then what is left of the controls.
    return " ".join(_CONTROL.sub("", _SPACE.sub(" ", text)).split())


# A feed's name, cleaned once: every row of a feed has it.
_feed_name = lru_cache(maxsize=4096)(one_line)


def fit(text: str, width: int) -> str:
    """``text`` padded or cut to exactly ``width`` cells, with "…" where it was cut."""
    if width <= 0:
        return ""
    if cell_len(text) <= width:
        return set_cell_size(text, width)
    return set_cell_size(text, width - 1) + "…"


# A row's title, cleaned and fitted to its column once per title and width: a search's worker
# fits its first screens' titles before enter (``StoryList.prepare``), the cursor's row is drawn
# again on every move, and wide characters (CJK) cost ~20 µs a title to measure and cut.
_title_line = lru_cache(maxsize=8192)(one_line)
_fitted = lru_cache(maxsize=8192)(fit)


@lru_cache(maxsize=4096)
def _source_cell(source: str, width: int) -> str:
    """The feed column's text: a feed's name (or "3 sources") fitted once per width."""
    return fit(source, width)


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


@dataclass
class Folding:
    """A list's rows with each event told by several feeds once (``fold_events``)."""

    ids: array  # the rows: story ids in list order, an unfolded event's other stories after its first
    event: dict[int, int]  # story -> its event, for stories of events with two or more listed
    members: dict[int, list[int]]  # event -> its listed stories in list order (the first heads it)
    feeds: dict[int, int]  # event -> distinct feeds ("N sources")
    heads: set[int]  # each event's first listed story
    expanded: set[int]  # the unfolded events that are still listed


def event_rows(store: Store, flt: StoryFilter, ids: list[int]) -> list[tuple[int, int, int]]:
    """(story, event, feeds) of the events ``ids`` may fold: by id for a search's few results (or
    its first window), else every multi-feed event in the filter's scope."""
    if flt.query is not None and len(ids) <= SEARCH_BY_IDS:
        return store.event_members_of(ids)
    return store.event_members(flt)


def fold_events(flt: StoryFilter, ids: list[int], rows: list[tuple[int, int, int]],
                expanded: set[int]) -> Folding:
    """The rows of ``ids``: each event told by several feeds once, at its first listed story,
    followed by its other stories when it is unfolded (in ``expanded``). Touches no widget, so a
    worker can fold a search's 23,000 results."""
    if not ids or not rows:
        return Folding(array("q", ids), {}, {}, {}, set(), set())
    members: dict[int, list[int]] = {}
    feeds: dict[int, int] = {}
    if flt.query is None and flt.feed_id is None:
        # Event by event, each one's stories oldest first: the last listed one heads it (it is
        # the newest), and the list's 100,000 ids need no walk.
        if flt.state != "all":
            shown = set(ids)
            rows = [r for r in rows if r[0] in shown]
        run: list[int] = []
        group = None
        for story_id, g, n in rows:
            if g != group:
                if len(run) > 1:
                    run.reverse()
                    members[group] = run
                run, group = [story_id], g
                feeds[g] = n
            else:
                run.append(story_id)
        if len(run) > 1:
            run.reverse()
            members[group] = run
    else:
        group_of = {r[0]: r[1] for r in rows}
        feeds = {r[1]: r[2] for r in rows}
        listed: dict[int, list[int]] = {}
        for story_id in ids:  # in list order: the newest listed story heads its event
            g = group_of.get(story_id)
            if g is not None:
                listed.setdefault(g, []).append(story_id)
        members = {g: m for g, m in listed.items() if len(m) > 1}
    if not members:
        return Folding(array("q", ids), {}, {}, {}, set(), set())
    event = {story_id: g for g, m in members.items() for story_id in m}
    heads = {m[0] for m in members.values()}
    expanded = expanded & members.keys()
    # Every story but an event's first leaves its place; an unfolded event's follow its first.
    away = event.keys() - heads
    if not expanded:
        return Folding(array("q", [i for i in ids if i not in away]), event, members, feeds, heads, expanded)
    after = {members[g][0]: members[g][1:] for g in expanded}
    out = array("q")
    for story_id in ids:
        if story_id not in away:
            out.append(story_id)
            tail = after.get(story_id)
            if tail:
                out.extend(tail)
    return Folding(out, event, members, feeds, heads, expanded)


class ListScrollBar(ScrollBar):
    """The list's scrollbar, its lines kept for the last few states it was drawn in: every
    search's first screens draw the same bar (as does the top of a long list), ~1 ms through Rich
    each time. The state is what ``render`` hands Rich: sizes, position, thickness and style."""

    def __init__(self, vertical: bool = True, name: str | None = None, *, thickness: int = 1) -> None:
        super().__init__(vertical, name, thickness=thickness)
        self._drawn: LRUCache[tuple, list[Strip]] = LRUCache(8)

    def render_lines(self, crop: Region) -> list[Strip]:
        bar = self.render()
        state = getattr(bar, "__dict__", None)
        if state is None:  # a renderer of unknown shape: draw it every time
            return super().render_lines(crop)
        key = (crop, self.size, type(bar), *sorted(state.items()), tuple(self.get_line_filters()))
        strips = self._drawn.get(key)
        if strips is None:
            strips = super().render_lines(crop)
            self._drawn.set(key, strips)
        return list(strips)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._drawn.clear()


@dataclass(frozen=True)
class _Prepared:
    """A search's first stories read ahead by a worker (``StoryList.prepare``)."""

    flt: StoryFilter
    window: int  # how many were asked for (one more is read, to know whether there are more)
    version: tuple  # the database's ``data_version`` when they were asked for
    collapse: bool  # whether events were to be folded (``events`` read)
    ids: list[int]
    events: list[tuple[int, int, int]]  # ``event_rows`` of the first ``window`` ids
    rows: list[StoryRow]  # the rows of the first ``window`` ids

    def answers(self, flt: StoryFilter, window: int, collapse: bool, store: Store) -> bool:
        """Whether these hold the first ``window`` stories of ``flt`` in ``store`` as it is now
        (the newest first, so the first ``window`` of a longer answer are those)."""
        return (flt == self.flt and window <= self.window and collapse == self.collapse
                and store.data_version() == self.version)


_GONE = object()  # a cached "this id no longer exists", so a deleted story is not fetched again
_UNKNOWN = object()  # "the store cannot say where the next unread story is": scan the list


class StoryList(SteadyScrollView, can_focus=True, inherit_bindings=False):
    """Stories of one filter, newest first, one line each; the app binds the keys to the actions.

    The scroll bindings a ScrollView inherits are dropped: up and down must move the cursor (the
    app's keys), not scroll the view away from it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "story-list--unread",
        "story-list--read",
        "story-list--cursor",
        "story-list--cursor-focused",
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
    | `story-list--cursor` | The row under the cursor while the list does not have focus. |
    | `story-list--cursor-focused` | The row under the cursor while the list has focus. |
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
        & > .story-list--cursor-focused {
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
        self.collapse_events = True
        """List an event told by several feeds once (its newest story stands for it)."""
        # Of the listed stories that belong to an event with two or more of them listed: each
        # story's event, each event's stories in list order (the first one heads it) and feeds.
        self._event: dict[int, int] = {}
        self._members: dict[int, list[int]] = {}
        self._feeds: dict[int, int] = {}
        self._expanded: set[int] = set()
        self._story_count: int | None = 0
        self._complete = True  # False while a search's rest is read by a worker
        self._rest_token = 0  # which load a worker's list belongs to
        self._last_pending = False  # G before a search's end was known: go there once it is
        self._heads: set[int] = set()  # each event's first listed story
        self._member_read: dict[int, bool] = {}  # read state of events' stories, fetched as needed
        self._prepared: _Prepared | None = None  # a search's first stories, read before it is listed
        self._prepare_wanted: tuple | None = None  # the search to read next (prepare)
        self._preparing = False  # a worker is reading one

    # -- state ------------------------------------------------------------------------------

    @property
    def filter(self) -> StoryFilter:
        """The filter whose stories are listed."""
        return self._filter

    @property
    def row_count(self) -> int:
        return len(self._ids)

    @property
    def story_count(self) -> int | None:
        """Stories the filter selects, the folded stories of events included (None while a search's
        rest is still being listed)."""
        return self._story_count

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
            # narrower than the limit (down to SOURCE_MIN) before titles lose their room: it goes last
            source = min(limit, self._source_width, width - fixed - 2 - TITLE_MIN_WITH_SOURCE)
            if source < SOURCE_MIN:
                source = 0
        return source, max(0, width - fixed - (source + 2 if source else 0))

    def index_of(self, story_id: int) -> int | None:
        """Where ``story_id`` is listed (None when it is not, or is folded into its event)."""
        return self._index_of(story_id, hint=self._cursor)

    def is_listed(self, story_id: int) -> bool:
        """Whether the filter selects ``story_id`` (on a line of its own or folded into its event)."""
        return story_id in self._event or self._index_of(story_id, hint=self._cursor) is not None

    def move_to(self, story_id: int) -> bool:
        """Put the cursor on ``story_id``, unfolding its event if it is folded; False (cursor
        unchanged) when it is not listed."""
        index = self._index_of(story_id)
        if index is None:
            group = self._event.get(story_id)
            if group is None:
                return False
            self._expand(group)
            index = self._index_of(story_id)
            if index is None:
                return False
        self._set_cursor(index)
        return True

    # -- events told by several feeds -------------------------------------------------------

    def event_at(self, index: int) -> tuple[int, list[int], int] | None:
        """(group id, its listed stories in list order, distinct feeds) of the event the row at
        ``index`` belongs to, when two or more of its stories are listed; else None."""
        if not 0 <= index < len(self._ids):
            return None
        group = self._event.get(self._ids[index])
        if group is None:
            return None
        return group, self._members[group], self._feeds.get(group, 0)

    def is_expanded(self, group: int) -> bool:
        return group in self._expanded

    def _folded_unread(self, story_id: int) -> bool | None:
        """Whether any story of the folded event ``story_id`` heads is unread; None when the row
        is no folded event (its own read state counts)."""
        group = self._event.get(story_id)
        if group is None or group in self._expanded:
            return None
        members = self._members[group]
        if members[0] != story_id:
            return None
        self._load_member_reads([group])
        return not all(self._member_read.get(m, True) for m in members)

    def _load_member_reads(self, groups: Iterable[int]) -> None:
        """Fetch the read state of these events' stories, those not known yet, in one query."""
        missing = [m for g in groups for m in self._members[g] if m not in self._member_read]
        if not missing:
            return
        for row in self.store.story_rows(missing):
            self._member_read[row.id] = row.read
        for story_id in missing:
            self._member_read.setdefault(story_id, True)  # gone: nothing left to read

    def row_unread(self, index: int) -> bool:
        """Whether the row at ``index`` shows as unread (a folded event: any of its stories)."""
        if not 0 <= index < len(self._ids):
            return False
        folded = self._folded_unread(self._ids[index])
        if folded is not None:
            return folded
        row = self._row_at(index)
        return row is not None and not row.read

    def toggle_event(self) -> bool:
        """Unfold the event under the cursor, or fold it; False when the row is no event."""
        event = self.event_at(self._cursor)
        if event is None:
            return False
        if event[0] in self._expanded:
            return self.collapse_event()
        return self.expand_event()

    def expand_event(self) -> bool:
        """Show the stories of the event under the cursor under its line."""
        event = self.event_at(self._cursor)
        if event is None or event[0] in self._expanded:
            return False
        self._expand(event[0])
        return True

    def collapse_event(self) -> bool:
        """Fold the event under the cursor (or whose story it is on) back into one line."""
        event = self.event_at(self._cursor)
        if event is None or event[0] not in self._expanded:
            return False
        group, members = event[0], event[1]
        head = self._index_of(members[0], hint=self._cursor)
        if head is None:
            return False
        self._expanded.discard(group)
        del self._ids[head + 1 : head + len(members)]
        cursor = self._cursor
        if head < cursor < head + len(members):
            cursor = head
        elif cursor >= head + len(members):
            cursor -= len(members) - 1
        self._after_shape_change(cursor)
        return True

    def _expand(self, group: int) -> None:
        members = self._members.get(group)
        if not members or group in self._expanded:
            return
        head = self._index_of(members[0], hint=self._cursor)
        if head is None:
            return
        self._expanded.add(group)
        self._ids[head + 1 : head + 1] = array("q", members[1:])
        self._after_shape_change(self._cursor if self._cursor <= head else self._cursor + len(members) - 1)

    def _after_shape_change(self, cursor: int) -> None:
        self.virtual_size = Size(0, len(self._ids))
        self._strips.clear()
        self._cursor = max(0, min(cursor, len(self._ids) - 1))
        self._scroll_cursor_into_view()
        self.refresh()
        self._announce()

    def _fold(self, flt: StoryFilter, ids: list[int], rows: list[tuple[int, int, int]] | None = None) -> array:
        """The rows of ``ids`` (``fold_events``), its events kept for drawing and keys."""
        if not self.collapse_events or not ids:
            folding = fold_events(flt, ids, [], set())
        else:
            rows = event_rows(self.store, flt, ids) if rows is None else rows
            folding = fold_events(flt, ids, rows, self._expanded)
        self._take(folding)
        return folding.ids

    def _take(self, folding: Folding) -> None:
        self._event, self._members, self._feeds = folding.event, folding.members, folding.feeds
        self._heads, self._member_read = folding.heads, {}
        self._expanded = set(folding.expanded)

    # -- loading ----------------------------------------------------------------------------

    def load(self, flt: StoryFilter, keep_story_id: int | None = None) -> None:
        """List the stories of ``flt``.

        The cursor stays on ``keep_story_id`` when it is still listed, at the same screen row when
        possible, so a background refresh never moves it off the story being read. Otherwise a
        reload of the same filter keeps the cursor's index (clamped: the next story takes the place
        of one that left), and a different filter starts at the top.

        A search with more than ``SEARCH_WINDOW`` matches lists its newest ones now and the rest
        from a worker (``story_count`` is None until then), unless the story to keep is further down.
        """
        self._load(flt, keep_story_id)

    def _load(self, flt: StoryFilter, keep_story_id: int | None, whole: bool = False) -> None:
        same_filter = flt == self._filter
        old_index = self._cursor
        screen_row = old_index - self.scroll_offset.y
        self._filter = flt
        self._rest_token += 1  # a worker still listing an earlier search's rest is not waited for
        self._complete = True
        self._last_pending = False
        if not same_filter:
            self._expanded.clear()
        # The old list's ids, events, rows and lines (100,000 ids for "all") are freed once the new
        # list is drawn, not before: freeing them held a search's key ~1 ms.
        released = [self._ids, self._event, self._members, self._feeds, self._heads, self._member_read,
                    self._rows, self._strips]
        self._rows = LRUCache(ROW_CACHE_SIZE)
        self._strips = LRUCache(STRIP_CACHE_SIZE)
        # Tens of thousands of ids and tuples, none in a cycle: a collection of the app's whole
        # heap halfway through would only double the time. Collections wait until the new list is
        # drawn (a search's frame allocates enough for one or two, 1-1.5 ms each).
        enabled = gc.isenabled()
        gc.disable()
        try:
            ids, prepared = self._first_ids(flt, keep_story_id, old_index if same_filter else 0, whole)
            self._story_count = len(ids) if self._complete else None
            events = None
            if prepared is not None:  # read for as many stories as were asked for, maybe more
                listed = set(ids)
                events = [r for r in prepared.events if r[0] in listed]
            self._ids = self._fold(flt, ids, events)
            if prepared is not None:
                for row in prepared.rows:
                    self._rows.set(row.id, row)
                    if row.id in self._event:  # an event's line shows whether any of its stories is unread
                        self._member_read[row.id] = row.read
            group = self._event.get(keep_story_id) if keep_story_id is not None else None
            if group is not None and keep_story_id not in self._heads and group not in self._expanded:
                # A newer story joined the event of the one being read: unfold it, so the cursor
                # stays on that story instead of moving to the event's new first line.
                self._expanded.add(group)
                self._ids = self._fold(flt, ids)
        except BaseException:
            if enabled:
                gc.enable()
            raise
        if enabled:
            if self.is_mounted:
                self.call_after_refresh(gc.enable)
            else:
                gc.enable()
        if self.is_mounted:
            self.call_after_refresh(released.clear)
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
        if not self._complete:
            # the first screen goes out first; the rest is listed while it is looked at
            self.call_after_refresh(self._list_rest, self._rest_token)

    def _first_ids(self, flt: StoryFilter, keep_story_id: int | None, keep_index: int,
                   whole: bool) -> tuple[list[int], "_Prepared | None"]:
        """The ids to list now: all of them, or a big search's newest (``_complete`` False) when
        the story or row to keep is among them; with what ``prepare`` read of them, if it is
        still true."""
        prepared, self._prepared = self._prepared, None
        if flt.query is None or whole or not self._can_work:
            return self.store.story_ids(flt, newest_first=True), None
        window = self._search_window()
        if prepared is not None and not prepared.answers(flt, window, self.collapse_events, self.store):
            prepared = None
        if prepared is not None:
            ids = prepared.ids[: window + 1]
        else:
            ids = self.store.story_ids(flt, window + 1, newest_first=True)
        if len(ids) <= window:
            return ids, prepared
        if keep_index >= window or (keep_story_id is not None and keep_story_id not in ids[:window]):
            return self.store.story_ids(flt, newest_first=True), None  # the cursor's story is further down
        self._complete = False
        return ids[:window], prepared

    @property
    def _can_work(self) -> bool:
        """Whether a worker can open the list's database (not an in-memory one)."""
        return str(self.store.path) != ":memory:"

    def _search_window(self, height: int | None = None) -> int:
        """How many of a big search's newest stories are listed at once."""
        return max(SEARCH_WINDOW, SEARCH_SCREENS * (self._page_height() if height is None else height))

    # -- preparing a search -----------------------------------------------------------------

    def prepare(self, flt: StoryFilter) -> None:
        """Read the first stories of a search about to be listed (what is being typed in the
        search box) in a worker, so that ``load(flt)`` finds them ready instead of waiting for
        the database (2-4 ms of a search's key at 100,000 stories). Only the latest filter asked
        for is read; its answer is used only if nothing was written to the database since."""
        if flt.query is None or not self._can_work or not self.is_mounted:
            return
        # As tall as the list may grow (the search box hides): the screen's height.
        window = self._search_window(max(self._page_height(), self.app.size.height))
        show_source, self._show_source = self._show_source, flt.feed_id is None  # as the search will list
        try:
            title_width = self.columns(self.scrollable_content_region.width)[1]
        finally:
            self._show_source = show_source
        self._prepare_wanted = (flt, window, self.store.data_version(), self.collapse_events, title_width)
        if not self._preparing:
            self._start_prepare()

    def _start_prepare(self) -> None:
        wanted, self._prepare_wanted = self._prepare_wanted, None
        if wanted is None:
            return
        self._preparing = True
        self.run_worker(partial(self._read_first, *wanted), thread=True, group="story-list-prepare",
                        exit_on_error=False)

    def _read_first(self, flt: StoryFilter, window: int, version: tuple, collapse: bool, title_width: int) -> None:
        """In a worker: a search's first ``window`` (+1) stories, their events and their rows,
        their titles fitted to the title column (rows of an event are fitted when drawn)."""
        prepared = None
        try:
            with Store(self.store.path, clock=self.store.clock) as store:
                ids = store.story_ids(flt, window + 1, newest_first=True)
                first = ids[:window]
                events = event_rows(store, flt, first) if collapse and first else []
                rows = store.story_rows(first)
            for row in rows:
                _fitted(_title_line(row.title), title_width)
            prepared = _Prepared(flt, window, version, collapse, ids, events, rows)
        except Exception:  # noqa: BLE001 - the search is then read when it is listed
            pass
        finally:
            self.post_message(self._FirstRead(prepared))

    class _FirstRead(Message, bubble=False):
        """A worker's answer to ``prepare`` (None when it failed)."""

        def __init__(self, prepared: "_Prepared | None") -> None:
            super().__init__()
            self.prepared = prepared

    def _on_story_list__first_read(self, message: "StoryList._FirstRead") -> None:
        message.stop()
        self._preparing = False
        if self._prepare_wanted is not None:
            self._start_prepare()  # typed on meanwhile: only the newest is wanted
        else:
            self._prepared = message.prepared

    def _complete_now(self) -> None:
        """List a search's rest here and now (a key needs it before the worker is done)."""
        last = self._last_pending
        self._load(self._filter, self.current_story_id, whole=True)
        if last:
            self._set_cursor(len(self._ids) - 1)

    @property
    def complete(self) -> bool:
        """Whether every story of the filter is listed (False while a search's rest is on its way)."""
        return self._complete

    def _list_rest(self, token: int) -> None:
        if token != self._rest_token or not self.is_mounted:
            return  # another list was loaded meanwhile, or the app is closing
        work = partial(self._read_rest, self._filter, token, set(self._expanded), self.collapse_events)
        self.run_worker(work, thread=True, exclusive=True, group="story-list-rest", exit_on_error=False)

    def _read_rest(self, flt: StoryFilter, token: int, expanded: set[int], collapse: bool) -> None:
        """In a worker: a search's whole list, newest first, folded; posted back as ``_RestListed``."""
        try:
            with Store(self.store.path, clock=self.store.clock) as store:
                ids = store.story_ids(flt, newest_first=True)
                rows = event_rows(store, flt, ids) if collapse and ids else []
            enabled = gc.isenabled()
            gc.disable()  # tens of thousands of tuples and no cycle among them
            try:
                folding = fold_events(flt, ids, rows, expanded)
            finally:
                if enabled:
                    gc.enable()
        except Exception:  # noqa: BLE001 - the list is then read here, on the UI's thread
            self.post_message(self._RestListed(token, None, None, None, expanded))
            return
        self.post_message(self._RestListed(token, ids, rows, folding, expanded))

    class _RestListed(Message, bubble=False):
        """A worker's whole list of a search whose first stories are listed."""

        def __init__(self, token: int, ids: list[int] | None, rows: list | None, folding: Folding | None,
                     expanded: set[int]) -> None:
            super().__init__()
            self.token, self.ids, self.rows, self.folding, self.expanded = token, ids, rows, folding, expanded

    class Listed(Message):
        """Every story of the filter is listed now, and counted (``story_count``): a search's rest arrived."""

        def __init__(self, story_count: int, story_list: "StoryList | None" = None) -> None:
            super().__init__()
            self.story_count = story_count
            self.story_list = story_list

        @property
        def control(self) -> "StoryList | None":
            return self.story_list

    def _on_story_list__rest_listed(self, message: "_RestListed") -> None:
        message.stop()
        if message.token != self._rest_token:
            return  # another list was loaded since
        if message.ids is None:  # the worker failed: read it here
            self._complete_now()
            return
        story_id = self.current_story_id
        screen_row = self._cursor - self.scroll_offset.y
        flt, ids = self._filter, message.ids
        if not self.collapse_events:
            folding = fold_events(flt, ids, [], set())
        elif message.expanded != self._expanded:  # an event was unfolded or folded meanwhile
            folding = fold_events(flt, ids, message.rows or [], self._expanded)
        else:
            folding = message.folding
        member_read = self._member_read
        self._take(folding)
        self._member_read = member_read  # still true: a marking forgets what it changed
        self._ids = folding.ids
        self._story_count = len(ids)
        self._complete = True
        self.virtual_size = Size(0, len(self._ids))
        # The first stories are where they were (the rest come after them): the cursor stays put,
        # unless it was sent to the end (G) before the end was known.
        index = len(self._ids) - 1 if self._last_pending else self._index_of(story_id, hint=self._cursor)
        self._last_pending = False
        if index is not None:
            self._cursor = max(0, min(index, len(self._ids) - 1))
            self._scroll_y_to(self._cursor - screen_row)
            self._scroll_cursor_into_view(centre=True)
        else:
            self._cursor = max(0, min(self._cursor, len(self._ids) - 1))
        self.refresh()
        self._announce()
        self.post_message(self.Listed(self._story_count, self))

    def reload(self) -> None:
        """Load the current filter again, keeping the cursor on the current story."""
        self.load(self._filter, keep_story_id=self.current_story_id)

    def invalidate(self, story_ids: Iterable[int] | None = None) -> None:
        """Forget cached rows (all, or these stories') after their read/saved state changed."""
        if story_ids is None:
            self._rows.clear()
            self._member_read.clear()
            self._strips.clear()
            self.refresh()
            return
        changed = set(story_ids)
        for story_id in changed:
            self._rows.discard(story_id)
        # An event's line shows whether any of its stories is unread.
        members = [i for i in changed if i in self._event]
        if members:
            for story_id in members:
                self._member_read.pop(story_id, None)
            changed |= {self._members[self._event[i]][0] for i in members}
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
        self._last_pending = not self._complete

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
        if found is None and not self._complete:  # further down than the search's first stories
            self._complete_now()
            return self.next_unread(wrap)
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
            if not self._complete:  # from the bottom: the whole list is needed
                self._complete_now()
                return self.prev_unread(wrap)
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
        self._last_pending = False
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
        one lookup; None when there is none; ``_UNKNOWN`` when the store cannot tell (a search:
        its unread matches are rarely far apart, and looking row by row costs no index walk) or
        its answer is not listed (the list is older than the database)."""
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
        if self._expanded:
            return _UNKNOWN  # unfolded stories are out of date order: look row by row
        if not self._event:
            story_id = seek(self._filter, *key, backwards=backwards)
            if story_id is None:
                return None
            found = self._index_of(story_id, hint=self._cursor)
            return _UNKNOWN if found is None else found
        return self._seek_with_events(index, key, backwards)

    def _seek_with_events(self, index: int | None, key: tuple[int, int], backwards: bool) -> int | None | object:
        """``_seek_unread`` when events are folded. The store finds the nearest unread story; one
        folded into its event counts at the event's line. A folded event between here and there
        may also hold an unread story (older than the one found), so those are checked too."""
        n = len(self._ids)
        base = (n if backwards else -1) if index is None else index
        seek = self.store.next_unread_id
        target: int | None = None
        story_id = seek(self._filter, *key, backwards=backwards)
        for _ in range(200):
            if story_id is None:
                break
            if story_id in self._event and story_id not in self._heads:
                head = self._index_of(self._members[self._event[story_id]][0], hint=self._cursor)
                if head is None:
                    return _UNKNOWN
                if (head < base) if backwards else (head > base):
                    target = head
                    break
                rows = self.store.story_rows([story_id])  # its event is behind us: look past it
                if not rows:
                    return _UNKNOWN
                story_id = seek(self._filter, rows[0].published, rows[0].id, backwards=backwards)
                continue
            target = self._index_of(story_id, hint=self._cursor)
            if target is None:
                return _UNKNOWN
            break
        else:
            return _UNKNOWN
        # Folded events on the way: forwards only up to the story found (past it, their stories
        # are older than it), backwards all the way up when nothing was found.
        if backwards:
            between = range(base - 1, -1 if target is None else target, -1)
        else:
            between = range(base + 1, n if target is None else target)
        ids, heads = self._ids, self._heads
        on_the_way = [i for i in between if ids[i] in heads]
        if on_the_way:
            self._load_member_reads(self._event[ids[i]] for i in on_the_way)
            for i in on_the_way:
                if self._folded_unread(ids[i]):
                    return i
        return target

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
            if self._heads:
                self._load_member_reads(self._event[i] for i in wanted if i in self._heads)
            for i, story_id in zip(part, wanted):
                folded = self._folded_unread(story_id) if self._event else None
                if folded or (folded is None and read.get(story_id) is False):
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
        if self._heads:  # the events on screen show whether any of their stories is unread
            self._load_member_reads(self._event[i] for i in self._ids[start:end] if i in self._heads)

    # -- rendering --------------------------------------------------------------------------

    def _on_mount(self, event: events.Mount) -> None:
        self._scroll_cursor_into_view()
        # Ages ("5m") grow while the app is open; only lines whose age text changed are rebuilt.
        self.set_interval(AGE_REFRESH_S, self.refresh, name="story-list-ages")

    @property
    def vertical_scrollbar(self) -> ScrollBar:
        """The vertical scrollbar (a ``ListScrollBar``), made on first use as Textual makes its own."""
        if self._vertical_scrollbar is None:
            self._vertical_scrollbar = ListScrollBar(
                vertical=True, name="vertical", thickness=self.scrollbar_size_vertical
            )
            self._vertical_scrollbar.display = False
            self.app._start_widget(self, self._vertical_scrollbar)
        return self._vertical_scrollbar

    def _on_resize(self, event: events.Resize) -> None:
        self._scroll_cursor_into_view()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles.clear()
        self._strips.clear()

    def watch_has_focus(self, has_focus: bool) -> None:
        # The focused cursor has a component class of its own, not a :focus rule: gaining or
        # losing focus repaints the list (Widget._on_focus does) without restyling it through
        # the whole stylesheet, 1.5 ms on every search and every move between panes.
        pass

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
        shape = self._shape(row.id, index) if self._event else None
        read = not shape[3] if shape is not None and shape[0] == "event" and not shape[2] else row.read
        key = (row.id, width, selected, focused, row.read, row.saved, age, row.title,
               row.feed_title, self._show_source, self._source_width, shape)
        strip = self._strips.get(key)
        if strip is None:
            strip = self._render_row(row, width, self._row_styles(read, selected, focused), age, shape)
            self._strips.set(key, strip)
        return strip

    def _shape(self, story_id: int, index: int) -> tuple | None:
        """("event", sources, unfolded, any unread) for an event's line, ("source", last) for one
        of an unfolded event's other stories, None for a story of its own."""
        group = self._event.get(story_id)
        if group is None:
            return None
        members = self._members[group]
        unfolded = group in self._expanded
        if members[0] == story_id:
            unread = False  # unfolded, each line shows its own story's state
            if not unfolded:
                self._load_member_reads([group])
                unread = not all(self._member_read.get(m, True) for m in members)
            return ("event", self._feeds.get(group, len(members)), unfolded, unread)
        return ("source", story_id == members[-1])

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
                cursor = get("story-list--cursor-focused" if focused else "story-list--cursor")
                text, source, age = text + cursor, source + cursor, age + cursor
            # Equal styles as one object: a row's runs of one style merge into one segment.
            source = text if source == text else source
            age = text if age == text else source if age == source else age
            saved = text + Style(color=get("story-list--saved").color)
            styles = self._styles[key] = (text, saved, source, age)
        return styles

    def _render_empty(self, y: int, width: int) -> Strip:
        """The empty message, centred, wrapped at words when the list is narrower than it."""
        base = self.rich_style
        lines = textwrap.wrap(one_line(self.empty_message), max(1, width)) or [""]
        top = max(0, self._page_height() // 2 - len(lines) // 2)
        if not top <= y < top + len(lines):
            return Strip.blank(width, base)
        style = self.get_component_rich_style("story-list--empty")
        text = lines[y - top]
        text = set_cell_size(text, width) if cell_len(text) > width else text
        left = (width - cell_len(text)) // 2
        right = width - left - cell_len(text)
        return Strip(
            [Segment(" " * left, base), Segment(text, style), Segment(" " * right, base)], width
        )

    def _render_row(
        self, row: StoryRow, width: int, styles: tuple[Style, ...], age: str, shape: tuple | None = None
    ) -> Strip:
        """One story as a line of exactly ``width`` cells. Feed text goes in as plain segments,
        never as markup, so "[bold]" or "[@click=...]" in a title is shown as typed.

        An event told by several feeds shows "3 sources" where the feed goes (after the title when
        there is no feed column; "×3" in a narrow list) and ▸ (folded) or
        ▾ (unfolded) before its title; its other stories, unfolded, hang under it with their feed."""
        text_style, saved_style, source_style, age_style = styles
        # " ● Source  Title…  3h ": one mark, ★ for a saved story (bold while unread) else ● unread.
        source_width, title_width = self.columns(width)
        read = not shape[3] if shape is not None and shape[0] == "event" and not shape[2] else row.read
        # (text, style) runs; neighbours of one style become one segment (a read row is one), as
        # every segment costs again in each later stage of a frame (filters, cuts, the terminal).
        if row.saved:
            runs = [(" ", text_style), ("★", saved_style), (" ", text_style)]
        else:
            runs = [("   " if read else " ● ", text_style)]
        source = _feed_name(row.feed_title)
        title = _title_line(row.title)
        badge = ""  # "3 sources" after the title when there is no feed column to hold it
        if shape is not None and shape[0] == "event":
            sources = f"{shape[1]} sources"
            title = ("▾ " if shape[2] else "▸ ") + title
            if source_width:
                source = sources
            elif title_width - len(sources) - 1 >= BADGE_FULL_TITLE:
                badge = sources
            elif title_width > 4 * len(f"×{shape[1]}"):
                badge = f"×{shape[1]}"  # a narrow list: the title keeps the room ("3 sources" in the summary)
        elif shape is not None:
            title = ("└ " if shape[1] else "├ ") + (title if source_width else f"{source}: {title}")
        if source_width:
            runs += [(_source_cell(source, source_width), source_style), ("  ", text_style)]
        if badge:
            runs += [(_fitted(title, title_width - len(badge) - 1), text_style), (" ", text_style), (badge, source_style)]
        else:
            runs.append((_fitted(title, title_width), text_style))
        runs += [(" ", text_style), (age.rjust(AGE_WIDTH)[-AGE_WIDTH:], age_style), (" ", text_style)]
        segments: list[Segment] = []
        text, style = runs[0]
        for next_text, next_style in runs[1:]:
            if next_style is style:
                text += next_text
            else:
                segments.append(Segment(text, style))
                text, style = next_text, next_style
        segments.append(Segment(text, style))
        if title_width:  # every column was fitted to its width: the line is exactly ``width``
            return Strip(segments, width)
        return Strip(segments).crop_extend(0, width, text_style)
