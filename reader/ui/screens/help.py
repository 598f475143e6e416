"""The help screen: every key binding of the app, generated from ``BINDINGS`` and the keymap."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,q,question_mark", "dismiss", "Close help", id="help.close"),
        Binding("j,down", "scroll('down')", "Scroll down", show=False),
        Binding("k,up", "scroll('up')", "Scroll up", show=False),
        # the list's own paging keys page here too (the app's G, g and space do nothing over a dialog)
        Binding("space,pagedown", "scroll('page_down')", "Page down", show=False),
        Binding("pageup", "scroll('page_up')", "Page up", show=False),
        Binding("G,end", "scroll('end')", "To the end", show=False),
        Binding("g,home", "scroll('home')", "To the top", show=False),
    ]

    def __init__(self, rows: list[tuple[str, str, str]]) -> None:
        """``rows`` are (keys, description, binding id) in the order of the app's BINDINGS."""
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        with Vertical(id="help-dialog", classes="dialog"):
            yield Static(Content.assemble(("Keys", "bold"), "  (remap any of them in config.toml [keys] by id)"), id="help-title")
            with VerticalScroll(id="help-scroll"):
                yield Static(self.table(), id="help-table")
            yield Static(Content("esc: close · ctrl+p: run any of these by name"), id="help-hint")

    def table(self) -> Content:
        key_width = max(len(r[0]) for r in self.rows) if self.rows else 4
        desc_width = max(len(r[1]) for r in self.rows) if self.rows else 10
        parts: list = []
        for keys, description, binding_id in self.rows:
            parts += [
                (keys.ljust(key_width + 2), "bold $accent"),
                description.ljust(desc_width + 2),
                (binding_id, "$foreground-muted"),
                "\n",
            ]
        return Content.assemble(*parts).rstrip()

    def action_scroll(self, direction: str) -> None:
        scroll = self.query_one("#help-scroll", VerticalScroll)
        move = {
            "down": scroll.scroll_down,
            "up": scroll.scroll_up,
            "page_down": scroll.scroll_page_down,
            "page_up": scroll.scroll_page_up,
            "end": scroll.scroll_end,
            "home": scroll.scroll_home,
        }[direction]
        move(animate=False)
