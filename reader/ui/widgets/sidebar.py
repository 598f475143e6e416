"""The sidebar: the views (All, Unread, Saved), then folders and their feeds, with unread counts."""

from __future__ import annotations

from dataclasses import dataclass

from textual.content import Content
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from reader.models import Feed, StoryFilter
from reader.store import Store
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


class Sidebar(OptionList):
    """Where to read from. Enter (or a click) on a row posts ``Sidebar.PlaceChosen``."""

    DEFAULT_CSS = """
    Sidebar > .option-list--option { padding: 0 1; }
    """

    class PlaceChosen(Message):
        def __init__(self, place: Place) -> None:
            super().__init__()
            self.place = place

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.places: list[Place] = []
        self.feeds: dict[int, Feed] = {}
        self._rows: list[tuple[Place, str, int, str]] = []

    # -- data -------------------------------------------------------------------------------

    def load(self, store: Store, current: Place | None = None) -> None:
        """Re-read feeds and counts; keep the highlight on the same row when it still exists."""
        keep = current.key if current else self.highlighted_place.key if self.highlighted_place else None
        feeds = store.list_feeds()
        self.feeds = {f.id: f for f in feeds}
        rows: list[tuple[Place, str, int, str]] = [
            (Place("state", state="all"), "All", store.count_stories(StoryFilter("all")), "view"),
            (Place("state", state="unread"), "Unread", store.unread_count(StoryFilter()), "view"),
            (Place("state", state="saved"), "Saved", store.count_stories(StoryFilter("saved")), "view"),
        ]
        folder: str | None = None
        for feed in feeds:
            if feed.folder and feed.folder != folder:
                folder = feed.folder
                unread = sum(f.unread for f in feeds if f.folder == folder)
                rows.append((Place("folder", folder=folder), folder, unread, "folder"))
            mark = "failed" if feed.last_error else "feed"
            if feed.folder:
                mark += "-in-folder"
            rows.append((Place("feed", feed_id=feed.id), feed.display_title, feed.unread, mark))
        self._rows = rows
        self.places = [r[0] for r in rows]
        self._rebuild(keep)

    def _rebuild(self, keep: str | None) -> None:
        width = max(10, self.scrollable_content_region.width - 2 or (self.size.width - 4))
        options = [Option(self._label(label, count, kind, width)) for _, label, count, kind in self._rows]
        self.set_options(options)
        if keep is not None:
            for index, place in enumerate(self.places):
                if place.key == keep:
                    self.highlighted = index
                    break

    def _label(self, label: str, count: int, kind: str, width: int) -> Content:
        label = one_line(label)
        number = str(count) if count else ""
        indent = ""
        if kind.endswith("-in-folder"):
            indent, kind = "  ", kind.removesuffix("-in-folder")
        flag = "! " if kind == "failed" else ""
        room = width - len(indent) - len(flag) - len(number) - 1
        if len(label) > room:
            label = label[: max(1, room - 1)] + "…"
        pad = " " * max(1, width - len(indent) - len(flag) - len(label) - len(number))
        style = {"view": "bold", "folder": "bold $accent", "failed": "$error"}.get(kind, "")
        number_style = "bold" if kind == "view" else "$text-muted"
        return Content.assemble(indent, (flag, "bold $error"), (label, style), pad, (number, number_style))

    def on_resize(self) -> None:
        if self._rows:
            place = self.highlighted_place
            self._rebuild(place.key if place else None)

    # -- queries ----------------------------------------------------------------------------

    @property
    def highlighted_place(self) -> Place | None:
        if self.highlighted is None or not (0 <= self.highlighted < len(self.places)):
            return None
        return self.places[self.highlighted]

    def feed_ids(self) -> list[int]:
        """Feeds in the order the sidebar shows them."""
        return [p.feed_id for p in self.places if p.kind == "feed" and p.feed_id is not None]

    def select_place(self, place: Place) -> None:
        for index, candidate in enumerate(self.places):
            if candidate.key == place.key:
                self.highlighted = index
                return

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if 0 <= event.option_index < len(self.places):
            self.post_message(self.PlaceChosen(self.places[event.option_index]))
