"""The summary panel: a few bullets for the open story, and the sources a multi-source story has."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from reader.ui.widgets.safe_text import one_line, safe_url


@dataclass(frozen=True)
class Source:
    """One feed's telling of a story (for "Summary based on N sources")."""

    feed_title: str
    title: str
    url: str | None = None


def make_bullets(text: str, title: str = "", max_bullets: int = 5) -> list[str]:
    """summarize.bullets when it is there; otherwise the first sentences."""
    try:
        from reader.summarize import bullets
    except ImportError:
        import re

        sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+", " ".join(text.split())) if s.strip()]
        return sentences[:max_bullets]
    return list(bullets(text, title=title, max_bullets=max_bullets))


class SummaryPanel(VerticalScroll, can_focus=True):
    """Bullets for the open story. ``show(..., sources=[...])`` with 2+ sources lists them."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.bullets: list[str] = []
        self.sources: tuple[Source, ...] = ()
        self.feeds = 0

    def compose(self):
        yield Static(Content("Summary"), id="summary-title")
        yield Static(Content("Open a story to see its summary."), id="summary-body")

    def show(self, bullets: Sequence[str], sources: Sequence[Source] = (), feeds: int | None = None) -> None:
        """``feeds``: how many distinct feeds tell the story (default: one per source)."""
        self.bullets = [one_line(b) for b in bullets if one_line(b)]
        self.sources = tuple(sources)
        self.feeds = feeds if feeds is not None else len(self.sources)
        title = "Summary"
        if self.feeds > 1:
            title = f"Summary based on {self.feeds} sources"
        self.query_one("#summary-title", Static).update(Content.assemble((title, "bold")))
        parts: list = []
        if self.feeds > 1:
            names = list(dict.fromkeys(one_line(source.feed_title) for source in self.sources))
            parts += [("From " + " · ".join(names), "$text-muted"), "\n"]
        if self.bullets:
            for bullet in self.bullets:
                parts += [("• ", "$accent"), bullet, "\n"]
        else:
            parts.append(("Nothing to summarise: this story has no text.", "$text-muted"))
        if self.feeds > 1:
            parts += ["\n", ("Sources", "bold"), "\n"]
            for source in self.sources:
                parts += [("– ", "$accent"), (one_line(source.feed_title), "bold"), ": ", one_line(source.title)]
                if source.url:
                    parts += ["\n  ", (safe_url(source.url), "$text-muted")]
                parts.append("\n")
        self.query_one("#summary-body", Static).update(Content.assemble(*parts).rstrip())
        self.scroll_home(animate=False)

    def clear(self) -> None:
        self.bullets = []
        self.sources = ()
        self.query_one("#summary-title", Static).update(Content("Summary"))
        self.query_one("#summary-body", Static).update(Content("Open a story to see its summary."))
