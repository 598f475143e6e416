"""The key footer: one line of "key description" pairs, drawn as text.

Textual's Footer is a widget per key, and it unmounts and mounts all of them whenever the focus
moves; leaving the search box for the story list cost about 25 ms and a layout pass of the screen
that way. This footer is one widget that draws one line, redrawn only when what it shows changes.
A click on a key presses that key, as in Textual's Footer.
"""

from __future__ import annotations

from rich.cells import cell_len
from textual import events
from textual.content import Content
from textual.screen import Screen
from textual.strip import Strip
from textual.style import Style
from textual.widget import Widget


DIM = Style(dim=True)  # a key that does nothing here


class KeyFooter(Widget):
    """The keys that the focused widget and the app answer to, and what they do."""

    COMPONENT_CLASSES = {"key-footer--key", "key-footer--description"}

    DEFAULT_CSS = """
    KeyFooter {
        dock: bottom;
        height: 1;
        width: 1fr;
        background: $footer-background;
        color: $footer-foreground;
        .key-footer--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        .key-footer--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._shown: tuple[tuple[str, str, str, bool], ...] = ()
        self._spans: list[tuple[int, int, str, bool]] = []  # (start, end, key, enabled) by cell
        self._line: Content = Content("")
        self._line_width = -1  # the width _line was built for
        # The lines drawn, by keys shown and width: the focus moves back and forth between a few
        # widgets (the search box and the list on every search), each with its keys.
        self._drawn: dict[tuple, tuple[Strip, list[tuple[int, int, str, bool]]]] = {}

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self.bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def shown_keys(self, screen: Screen) -> tuple[tuple[str, str, str, bool], ...]:
        """(key, key as shown, description, enabled) for each action with a shown binding."""
        seen: set[str] = set()
        shown = []
        for _node, binding, enabled, _tooltip in screen.active_bindings.values():
            if binding.show and binding.action not in seen:
                seen.add(binding.action)
                shown.append((binding.key, self.app.get_key_display(binding), binding.description, enabled))
        return tuple(shown)

    def bindings_changed(self, screen: Screen) -> None:
        if not self.is_attached or screen is not self.screen:
            return
        shown = self.shown_keys(screen)
        if shown != self._shown:
            self._shown = shown
            self._line_width = -1  # built again on the next render, with the styles of now
            self.refresh()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._line_width = -1  # a new theme: build the line again with its colours
        self._drawn.clear()

    def _build(self, width: int) -> Content:
        key_style = self.get_visual_style("key-footer--key")
        text_style = self.get_visual_style("key-footer--description")
        parts: list = []
        self._spans = []
        x = 0
        for key, display, description, enabled in self._shown:
            label = f"{display} " if description else display
            gap = 3 if parts else 0
            if x + gap + cell_len(label) + cell_len(description) > width:
                break  # whole keys only: a key cut in half says nothing
            if gap:
                parts.append(" " * gap)
                x += gap
            parts.append((label, key_style if enabled else key_style + DIM))
            span = cell_len(label)
            if description:
                parts.append((description, text_style if enabled else text_style + DIM))
                span += cell_len(description)
            self._spans.append((x, x + span, key, enabled))
            x += span
        return Content.assemble(*parts)

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if y != 0:
            return Strip.blank(width, self.rich_style)
        key = (self._shown, width)
        drawn = self._drawn.get(key)
        if drawn is not None:
            strip, self._spans = drawn
            return strip
        if self._line_width != width and self._shown:
            self._line = self._build(width)
            self._line_width = width
        line = self._line.truncate(width, pad=True)
        strip = Strip(line.render_segments(self.visual_style), width)
        if len(self._drawn) >= 16:
            self._drawn.clear()
        self._drawn[key] = (strip, list(self._spans))
        return strip

    def on_click(self, event: events.Click) -> None:
        for start, end, key, enabled in self._spans:
            if start <= event.x < end:
                if enabled:
                    self.app.simulate_key(key)
                else:
                    self.app.bell()
                return
