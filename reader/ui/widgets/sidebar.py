"""The sidebar: the views (All, Unread, Saved), then folders and their feeds, with unread counts.

Like the story list it draws lines (Textual's Line API), so 1,000 feeds are 1,000 small tuples, not
1,000 widgets. Counts live in dictionaries: marking a story changes a few numbers and repaints the
few lines that show them (``adjust``); a full recount (``load`` or ``apply``) is for start-up and
after a refresh, mark-all or undo.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Iterable, Mapping, Sequence

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.geometry import Size
from textual.message import Message
from textual.strip import Strip

from reader.models import Feed, StoryFilter
from reader.store import Store
from reader.ui.widgets.flow import SteadyScrollView
from reader.ui.widgets.safe_text import one_line


@dataclass(frozen=True)
class Place:
    """One row of the sidebar: a state view, a folder or a feed."""

    kind: str  # "state" | "folder" | "feed"
    state: str = "all"
    folder: str | None = None
    feed_id: int | None = None

    @property
    def key(self) -> str:
        if self.kind == "state":
            return f"state:{self.state}"
        if self.kind == "folder":
            return f"folder:{self.folder}"
        return f"feed:{self.feed_id}"


STATE_LABELS = {"all": "All", "unread": "Unread", "saved": "Saved"}


def place_for(flt: StoryFilter) -> Place:
    if flt.feed_id is not None:
        return Place("feed", feed_id=flt.feed_id)
    if flt.folder is not None:
        return Place("folder", folder=flt.folder)
    return Place("state", state=flt.state)


@dataclass(frozen=True)
class Totals:
    """The three numbers of the state views."""

    all: int = 0
    unread: int = 0
    saved: int = 0


def read_totals(store: Store, feeds: Sequence[Feed]) -> Totals:
    """The state views' numbers; all and unread are the sums of ``feeds``' own counts."""
    return Totals(
        sum(f.total for f in feeds),
        sum(f.unread for f in feeds),
        store.count_stories(StoryFilter("saved")),
    )


@dataclass(frozen=True)
class _Row:
    place: Place
    label: str
    kind: str  # "view" | "folder" | "feed" | "failed"
    indent: bool = False


class Sidebar(SteadyScrollView, can_focus=True):
    """Where to read from. Enter (the app's key) or a click on a row posts ``Sidebar.PlaceChosen``."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "sidebar--view",
        "sidebar--folder",
        "sidebar--feed",
        "sidebar--failed",
        "sidebar--count",
        "sidebar--cursor",
    }

    DEFAULT_CSS = """
    Sidebar {
        overflow-x: hidden;
        overflow-y: auto;
        & > .sidebar--view { text-style: bold; }
        & > .sidebar--folder { color: $accent; text-style: bold; }
        & > .sidebar--failed { color: $error; }
        & > .sidebar--count { color: $text-muted; }
        & > .sidebar--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        &:focus > .sidebar--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
    }
    """

    class PlaceChosen(Message):
        def __init__(self, place: Place) -> None:
            super().__init__()
            self.place = place

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.places: list[Place] = []
        self.feeds: dict[int, Feed] = {}
        self._rows: list[_Row] = []
        self._line_of: dict[str, int] = {}  # place key -> row index
        self._unread: dict[int, int] = {}  # feed id -> unread stories
        self._folder_unread: dict[str, int] = {}
        self._totals = Totals()
        self._cursor: int | None = None
        self._styles: dict[tuple[str, bool, bool], tuple[Style, Style]] = {}

    # -- data -------------------------------------------------------------------------------

    def load(self, store: Store, current: Place | None = None) -> None:
        """Read feeds and counts from ``store`` (the full recount)."""
        feeds = store.list_feeds()
        self.apply(feeds, read_totals(store, feeds), current)

    def apply(self, feeds: Sequence[Feed], totals: Totals, current: Place | None = None) -> None:
        """Show these feeds and counts; the highlight stays on the same place when it still exists.

        Lines are repainted only when what they show changed, so applying a recount that agrees
        with the counts already on screen costs next to nothing.
        """
        keep = current or self.highlighted_place
        rows = [_Row(Place("state", state=s), STATE_LABELS[s], "view") for s in ("all", "unread", "saved")]
        folder: str | None = None
        folder_unread: dict[str, int] = {}
        for feed in feeds:
            if feed.folder and feed.folder != folder:
                folder = feed.folder
                rows.append(_Row(Place("folder", folder=folder), folder, "folder"))
            if feed.folder:
                folder_unread[feed.folder] = folder_unread.get(feed.folder, 0) + feed.unread
            kind = "failed" if feed.last_error else "feed"
            rows.append(_Row(Place("feed", feed_id=feed.id), feed.display_title, kind, bool(feed.folder)))
        self.feeds = {f.id: f for f in feeds}
        unread = {f.id: f.unread for f in feeds}
        if rows == self._rows:
            changed = [i for i, row in enumerate(rows) if self._count(row.place) != self._count(
                row.place, unread, folder_unread, totals)]
        else:
            changed = None
        self._unread, self._folder_unread, self._totals = unread, folder_unread, totals
        if changed is None:
            self._rows = rows
            self.places = [r.place for r in rows]
            self._line_of = {p.key: i for i, p in enumerate(self.places)}
            self.virtual_size = Size(0, len(rows))
            self.refresh()
        else:
            for index in changed:
                self.refresh_line(index)
        if keep is not None and keep.key in self._line_of:
            self.select_place(keep)
        elif self._cursor is not None and self._cursor >= len(rows):
            self.highlighted = len(rows) - 1 if rows else None

    def adjust(self, unread_by_feed: Mapping[int, int] | None = None, saved: int = 0) -> None:
        """Add to the counts: ``unread_by_feed`` maps feed id -> change in its unread stories."""
        touched: set[str] = set()
        total = 0
        for feed_id, delta in (unread_by_feed or {}).items():
            if not delta or feed_id not in self._unread:
                continue
            self._unread[feed_id] = max(0, self._unread[feed_id] + delta)
            total += delta
            touched.add(f"feed:{feed_id}")
            folder = self.feeds[feed_id].folder
            if folder:
                self._folder_unread[folder] = max(0, self._folder_unread.get(folder, 0) + delta)
                touched.add(f"folder:{folder}")
        if total:
            self._totals = Totals(self._totals.all, max(0, self._totals.unread + total), self._totals.saved)
            touched.add("state:unread")
        if saved:
            self._totals = Totals(self._totals.all, self._totals.unread, max(0, self._totals.saved + saved))
            touched.add("state:saved")
        for key in touched:
            index = self._line_of.get(key)
            if index is not None:
                self.refresh_line(index)

    def count(self, place: Place) -> int:
        """The number the sidebar shows for ``place`` (unread stories for folders and feeds)."""
        return self._count(place)

    def _count(
        self,
        place: Place,
        unread: Mapping[int, int] | None = None,
        folder_unread: Mapping[str, int] | None = None,
        totals: Totals | None = None,
    ) -> int:
        if place.kind == "feed":
            return (self._unread if unread is None else unread).get(place.feed_id or 0, 0)
        if place.kind == "folder":
            return (self._folder_unread if folder_unread is None else folder_unread).get(place.folder or "", 0)
        return getattr(totals or self._totals, place.state)

    def labels(self) -> list[str]:
        """Every row's text as shown (for tests and the command palette)."""
        return [row.label for row in self._rows]

    # -- the highlight ----------------------------------------------------------------------

    @property
    def highlighted(self) -> int | None:
        """The highlighted row, or None (search results belong to no row)."""
        return self._cursor

    @highlighted.setter
    def highlighted(self, index: int | None) -> None:
        if index is not None:
            if not self._rows:
                index = None
            else:
                index = max(0, min(index, len(self._rows) - 1))
        old, self._cursor = self._cursor, index
        if old == index:
            return
        if old is not None:
            self.refresh_line(old)
        if index is not None:
            self.refresh_line(index)
            self._scroll_into_view()

    @property
    def highlighted_place(self) -> Place | None:
        if self._cursor is None or not (0 <= self._cursor < len(self.places)):
            return None
        return self.places[self._cursor]

    def feed_ids(self) -> list[int]:
        """Feeds in the order the sidebar shows them."""
        return [p.feed_id for p in self.places if p.kind == "feed" and p.feed_id is not None]

    def select_place(self, place: Place) -> None:
        index = self._line_of.get(place.key)
        if index is not None:
            self.highlighted = index

    def _scroll_into_view(self) -> None:
        if self._cursor is None or not self.is_mounted:
            return
        height = self.scrollable_content_region.height
        if height <= 0:
            self.call_after_refresh(self._scroll_into_view)
            return
        top = self.scroll_offset.y
        if self._cursor < top:
            self.scroll_to(y=self._cursor, animate=False, force=True)
        elif self._cursor >= top + height:
            self.scroll_to(y=self._cursor - height + 1, animate=False, force=True)

    # -- actions (the app's keys call them while the sidebar has focus) ----------------------

    def action_cursor_down(self) -> None:
        self.highlighted = 0 if self._cursor is None else self._cursor + 1

    def action_cursor_up(self) -> None:
        self.highlighted = 0 if self._cursor is None else self._cursor - 1

    def action_first(self) -> None:
        self.highlighted = 0

    def action_last(self) -> None:
        self.highlighted = len(self._rows) - 1

    def action_page_down(self) -> None:
        step = max(1, self.scrollable_content_region.height - 1)
        self.highlighted = (self._cursor or 0) + step

    def action_page_up(self) -> None:
        step = max(1, self.scrollable_content_region.height - 1)
        self.highlighted = (self._cursor or 0) - step

    def action_select(self) -> None:
        place = self.highlighted_place
        if place is not None:
            self.post_message(self.PlaceChosen(place))

    def _on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        index = self.scroll_offset.y + offset.y
        if 0 <= index < len(self._rows):
            event.stop()
            self.highlighted = index
            self.action_select()

    # -- drawing ----------------------------------------------------------------------------

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles.clear()

    def _style(self, kind: str, selected: bool, focused: bool) -> tuple[Style, Style]:
        """The label's and the count's style (full styles, so translucent cursors blend)."""
        key = (kind, selected, focused)
        styles = self._styles.get(key)
        if styles is None:
            get = self.get_component_rich_style
            base = self.rich_style
            label = base + get(f"sidebar--{kind}") if kind != "feed" else base
            count = label if kind == "view" else base + Style(color=get("sidebar--count").color)
            if selected:
                cursor = get("sidebar--cursor")
                label, count = label + cursor, count + cursor
            styles = self._styles[key] = (label, count)
        return styles

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        index = self.scroll_offset.y + y
        if not 0 <= index < len(self._rows) or width <= 0:
            return Strip.blank(width, self.rich_style)
        row = self._rows[index]
        label_style, count_style = self._style(row.kind, index == self._cursor, self.has_focus)
        number = str(self._count(row.place) or "")
        indent = "  " if row.indent else ""
        flag = "! " if row.kind == "failed" else ""
        # " label…   12 ": one cell of padding either side
        room = width - 2 - len(indent) - len(flag) - (len(number) + 1 if number else 0)
        label = one_line(row.label)
        if cell_len(label) > room:
            label = set_cell_size(label, max(0, room - 1)) + "…" if room > 1 else set_cell_size(label, max(0, room))
        pad = width - 2 - len(indent) - len(flag) - cell_len(label) - len(number)
        segments = [
            Segment(" " + indent, label_style),
            Segment(flag, label_style),
            Segment(label, label_style),
            Segment(" " * max(0, pad), label_style),
            Segment(number, count_style),
            Segment(" ", label_style),
        ]
        return Strip(segments).crop_extend(0, width, label_style)


def feed_deltas(rows: Iterable, read: bool) -> dict[int, int]:
    """Change in unread stories per feed when these story rows became ``read`` (or unread)."""
    deltas: dict[int, int] = {}
    step = -1 if read else 1
    for row in rows:
        deltas[row.feed_id] = deltas.get(row.feed_id, 0) + step
    return deltas
