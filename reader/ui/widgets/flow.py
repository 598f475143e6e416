"""Widgets that repaint a key's result in one frame.

Textual paints a screen update in frames about 17 ms apart, and every refresh asked for while a
frame is being laid out waits for the next one (the screen's update timer starts a new period).
Three habits of stock widgets made opening a story take two or three frames, 25-45 ms apart, so
its update trickled out over 60 ms although the first frame already showed everything:

- a widget whose virtual size changes asks for another layout pass, even text that never scrolls
  (``FlowText``, ``FlowGroup``; the first pass already measured their ``height: auto``);
- a scrolling container redraws its scrollbar whenever its content changes height, and asks for a
  layout when the scrollbar appears or goes (``FlowScroll``: no scrollbar; a ``ScrollPosition``
  line says how far down you are instead, as newsboat's "(42%)" does);
- a Line API ``ScrollView`` compares its parent's size with its own inner size on every layout,
  finds them different and redraws its scrollbars (``SteadyScrollView``).
"""

from __future__ import annotations

from textual.containers import VerticalGroup, VerticalScroll
from textual.content import Content
from textual.geometry import Size
from textual.reactive import Reactive
from textual.scroll_view import ScrollView
from textual.widgets import Static


class FlowText(Static):
    """A Static whose change of height costs one layout pass, not two."""

    virtual_size = Reactive(Size(0, 0), layout=False, repaint=False)


class FlowGroup(VerticalGroup):
    """A VerticalGroup whose change of height costs one layout pass, not two."""

    virtual_size = Reactive(Size(0, 0), layout=False, repaint=False)


class ScrollPosition(Static):
    """One line at the bottom of a ``FlowScroll``: how much is read, and whether more follows.

    It reads the position while it is drawn, so a change of content needs no refresh of its own:
    the frame that lays out the new content draws it too.
    """

    DEFAULT_CSS = """
    ScrollPosition {
        dock: bottom;
        height: 1;
        width: 1fr;
        text-align: right;
        color: $text-muted;
        background: transparent;
    }
    """

    def render(self) -> Content:
        pane = self.parent
        if not isinstance(pane, FlowScroll):
            return Content("")
        return Content(position_text(pane.scroll_y, pane.scrollable_content_region.height, pane.virtual_size.height))


def position_text(top: float, height: int, total: int) -> str:
    """"" when everything shows, "end" at the end, else how much has been seen ("42% ↓")."""
    if height <= 0 or total <= height:
        return ""
    if top + height >= total:
        return "end"
    return f"{min(99, round(100 * (top + height) / total))}% ↓"


class FlowScroll(VerticalScroll):
    """A scrolling column whose content changing costs one frame: no scrollbar, a position line.

    Its style sheet should keep the scrollbar hidden and constant (``overflow-y: scroll;
    scrollbar-size-vertical: 0``); compose a ``ScrollPosition`` as its last child.
    """

    virtual_size = Reactive(Size(0, 0), layout=False, repaint=False)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if round(old_value) != round(new_value):
            for marker in self.query_children(ScrollPosition):
                marker.refresh()

    def watch_virtual_size(self, size: Size) -> None:
        # Called while the frame that changed the content is laid out: marking the line dirty
        # (not refresh(), which would wait for the next frame) gets it drawn in this one.
        for marker in self.query_children(ScrollPosition):
            marker._set_dirty()


class SteadyScrollView(ScrollView):
    """A Line API ScrollView that leaves its scrollbars alone when a layout pass changes nothing."""

    _last_sizes: tuple[Size, Size, Size] | None = None

    def _size_updated(self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True) -> bool:
        sizes = (size, self.virtual_size, container_size)
        if sizes == self._last_sizes:
            return False
        self._last_sizes = sizes
        return super()._size_updated(size, virtual_size, container_size, layout)
