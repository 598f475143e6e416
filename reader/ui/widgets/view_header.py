"""The line above the panes: the open view's name, its counts, and what to know about it."""

from __future__ import annotations

from rich.cells import cell_len, set_cell_size
from textual.content import Content
from textual.widgets import Static


class ViewHeader(Static):
    """One line, always. A name too long for it is cut with "…" so the counts after it stay in
    sight: a feed named by its address has no space to wrap at, went to a second line the header
    has no room for, and left "Newsdesk" alone on the first."""

    NAME_MIN = 12
    """Cells the name keeps however much follows it (the rest is then cut at the right edge)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(Content("Newsdesk"), **kwargs)
        self._parts: tuple[Content, str, Content] | None = None

    def show(self, lead: Content, name: str, tail: Content) -> None:
        """``lead``, then ``name`` in bold (shortened to fit), then ``tail``; no layout pass."""
        self._parts = (lead, name, tail)  # (Content's == compares text only, not styles)
        self.refresh()

    def render(self):
        if self._parts is None:
            return super().render()
        lead, name, tail = self._parts
        width = self.content_region.width
        spare = width - lead.cell_length - tail.cell_length
        if width > 0 and cell_len(name) > spare:
            name = set_cell_size(name, max(self.NAME_MIN, spare) - 1) + "…"
        return Content.assemble(lead, (name, "bold"), tail)
