"""The summary panel: a few bullets for the open story, and the sources a multi-source story has."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from rich.cells import cell_len, set_cell_size
from textual.content import Content
from textual.geometry import Size
from textual.reactive import Reactive
from textual.widget import Widget
from textual.widgets import Static

from reader.models import Story
from reader.ui.widgets.flow import FlowScroll, FlowText, ScrollPosition
from reader.ui.widgets.safe_text import one_line, safe_url

# Above this much text a summary is computed by a worker, so opening a long article never waits
# for it (bullets of 15,000 characters take ~8 ms, of 60,000 ~35 ms).
SYNC_SUMMARY_CHARS = 4000


@dataclass(frozen=True)
class Source:
    """One feed's telling of a story (for "Summary based on N sources")."""

    feed_title: str
    title: str
    url: str | None = None
    story_id: int | None = None


@dataclass(frozen=True)
class SummaryData:
    """What the panel shows for one story: bullets, and the feeds telling the same event."""

    bullets: tuple[str, ...]
    sources: tuple[Source, ...] = ()
    feeds: int = 0
    from_articles: frozenset[int] = frozenset()
    """The stories whose full article (not the feed's teaser) the bullets were drawn from."""
    has_text: bool = True
    """False when there was no text to draw bullets from (no bullets then says why)."""


def make_bullets(text: str, title: str = "", max_bullets: int = 5) -> list[str]:
    """summarize.bullets when it is there; otherwise the first sentences."""
    try:
        from reader.summarize import bullets
    except ImportError:
        import re

        sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+", " ".join(text.split())) if s.strip()]
        return sentences[:max_bullets]
    return list(bullets(text, title=title, max_bullets=max_bullets))


def group_summary(store: Any, story_id: int):
    """The event's summary from every feed telling it (cluster.story_summary), when grouped."""
    if not all(hasattr(store, name) for name in ("group_of", "get_group")):
        return None  # the store has no story groups yet
    try:
        from reader.cluster import story_summary
    except ImportError:
        return None
    return story_summary(store, story_id)


def kept_article(store: Any, story_id: int) -> str | None:
    """The plain text of the story's kept full article, which its summary is drawn from; None
    when it has none (the feed's text is summed up)."""
    article_text = getattr(store, "article_text", None)
    text = article_text(story_id) if article_text is not None else None
    return text if text and text.strip() else None


def summary_for(store: Any, story: Story, text: str) -> SummaryData:
    """The summary of ``story`` (whose plain text is ``text``), read from ``store``."""
    grouped = group_summary(store, story.id)
    if grouped is not None:
        sources = tuple(
            Source(g.feed_title, g.title, getattr(store.get_story(g.story_id), "url", None), g.story_id)
            for g in grouped.sources
        )
        # Which articles it drew on, read after the bullets: an article kept meanwhile makes
        # the summary look older than it is (computed again), never newer.
        articles = frozenset(s.story_id for s in grouped.sources if kept_article(store, s.story_id))
        has_text = bool(text.strip()) or bool(articles) or len(sources) > 1
        return SummaryData(tuple(grouped.bullets), sources, grouped.feeds, articles, has_text)
    return SummaryData(tuple(make_bullets(text, title=story.title)), has_text=bool(text.strip()))


def is_quick(store: Any, story: Story, text: str) -> bool:
    """Whether the summary is cheap enough to compute on the key path: one feed, and short text
    (the kept full article when there is one, as that is what is summed up)."""
    group_of = getattr(store, "group_of", None)
    group = group_of(story.id) if group_of is not None else None
    if group is not None and len(group.story_ids) > 1:
        return False
    article = kept_article(store, story.id)
    return len(article if article is not None else text) <= SYNC_SUMMARY_CHARS


def keys_hint(keys: Sequence[str]) -> str:
    """The keys that read the sources, for the list's heading: "1–3" for the digits in order,
    else each one ("f1 f2 f3")."""
    if len(keys) > 1 and keys == [str(n) for n in range(1, len(keys) + 1)]:
        return f"1–{len(keys)}"
    return " ".join(keys)


class HangingList(Widget):
    """Lines that each start with a mark ("• ") and wrap under their text, not under the mark."""

    DEFAULT_CSS = """
    HangingList { height: auto; text-wrap: nowrap; text-overflow: fold; }
    """

    virtual_size = Reactive(Size(0, 0), layout=False, repaint=False)  # see reader.ui.widgets.flow

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._items: list[tuple[Content, Content]] = []
        self._wrapped: tuple[int, list[Content]] | None = None

    def set_items(self, items: Sequence[tuple[Content | str, Content | str]]) -> None:
        """``items`` are (mark, text); an empty mark makes an ordinary wrapped paragraph."""
        self._items = [(Content(m) if isinstance(m, str) else m, Content(t) if isinstance(t, str) else t)
                       for m, t in items]
        self._wrapped = None
        self.refresh(layout=True)

    def lines(self, width: int) -> list[Content]:
        if self._wrapped is not None and self._wrapped[0] == width:
            return self._wrapped[1]
        out: list[Content] = []
        for mark, text in self._items:
            indent = mark.cell_length
            wrapped = text.wrap(max(1, width - indent)) if text.cell_length else [Content("")]
            out.append(mark + wrapped[0].rstrip())
            out.extend(Content(" " * indent) + line.rstrip() for line in wrapped[1:])
        self._wrapped = (width, out)
        return out

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return container.width

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self.lines(width))

    def render(self) -> Content:
        return Content("\n").join(self.lines(self.content_region.width))


class SummaryPanel(FlowScroll, can_focus=True):
    """Bullets for the open story. ``show(..., sources=[...])`` with 2+ sources lists them."""

    PLACEHOLDER = "Open a story to see its summary."

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.bullets: list[str] = []
        self.sources: tuple[Source, ...] = ()
        self.feeds = 0
        self.source_keys: Sequence[str] = [str(n) for n in range(1, 10)]
        """The key that reads each source, first to ninth (the app's bindings, remapped or not)."""
        self._shown: tuple | None = None  # what show_data last drew

    def compose(self):
        yield FlowText(Content("Summary"), id="summary-title")
        yield HangingList(id="summary-body")
        yield ScrollPosition(id="summary-position")

    def on_mount(self) -> None:
        self.query_one(HangingList).set_items([("", Content(self.PLACEHOLDER))])

    def show(self, bullets: Sequence[str], sources: Sequence[Source] = (), feeds: int | None = None,
             reading: int | None = None, has_text: bool = False) -> None:
        """``feeds``: how many distinct feeds tell the story (default: one per source); ``reading``:
        the story in the reading pane, marked among the sources; ``has_text``: the story has text,
        though no sentence of it became a bullet."""
        self._shown = None
        self.bullets = [one_line(b) for b in bullets if one_line(b)]
        self.sources = tuple(sources)
        self.feeds = feeds if feeds is not None else len(self.sources)
        title = "Summary"
        if self.feeds > 1:
            title = f"Summary based on {self.feeds} sources"
        self.query_one("#summary-title", Static).update(Content.assemble((title, "bold")))
        items: list[tuple[Content | str, Content | str]] = []
        if self.feeds > 1:
            names = list(dict.fromkeys(one_line(source.feed_title) for source in self.sources))
            items.append(("", Content.styled("From " + " · ".join(names), "$foreground-muted")))
        if self.bullets:
            items += [(Content.styled("• ", "$accent"), Content(bullet)) for bullet in self.bullets]
        elif has_text:  # e.g. Japanese or Hebrew text, whose sentences the summariser cannot pick
            items.append(("", Content.styled("No summary: no sentence of this text could be picked out.",
                                             "$foreground-muted")))
        else:
            items.append(("", Content.styled("Nothing to summarise: this story has no text.", "$foreground-muted")))
        if self.feeds > 1:
            keys = [one_line(k) for k in self.source_keys[: len(self.sources)]]
            numbered = (len(self.sources) <= len(keys) and all(keys)
                        and all(s.story_id is not None for s in self.sources))
            heading = Content.styled("Sources", "bold")
            if numbered:
                heading += Content.styled(f"  ({keys_hint(keys)}: read one)", "$foreground-muted")
            items += [("", ""), ("", heading)]
            width = max((cell_len(k) for k in keys), default=1) if numbered else 1
            for n, source in enumerate(self.sources, 1):
                text = Content.assemble((one_line(source.feed_title), "bold"), ": ", one_line(source.title))
                here = "▸" if reading is not None and source.story_id == reading else " "  # the one read
                label = set_cell_size(keys[n - 1], width) if numbered else "–"
                mark = Content.styled(f"{label}{here} ", "bold $accent")
                items.append((mark, text))
                if source.url:  # under the title, past the mark
                    items.append((" " * mark.cell_length, Content.styled(safe_url(source.url), "$foreground-muted")))
        self.query_one(HangingList).set_items(items)
        self.scroll_home(animate=False)

    def show_data(self, data: SummaryData, reading: int | None = None) -> None:
        shown = (data.bullets, data.sources, data.feeds, reading, data.has_text)
        if self._shown == shown:
            return  # the same again (an article brought the same bullets): keep the scroll
        self.show(data.bullets, data.sources, feeds=data.feeds or None, reading=reading, has_text=data.has_text)
        self._shown = shown

    def show_pending(self) -> None:
        """A long article's bullets are on their way (from a worker)."""
        self._shown = None
        self.bullets, self.sources, self.feeds = [], (), 0
        self.query_one("#summary-title", Static).update(Content.assemble(("Summary", "bold")))
        self.query_one(HangingList).set_items([("", Content.styled("Summarising…", "$foreground-muted"))])

    def clear(self, line: str | None = None) -> None:
        """No story: the placeholder, or ``line`` (muted) when there is no story to open."""
        self._shown = None
        self.bullets = []
        self.sources = ()
        self.feeds = 0
        self.query_one("#summary-title", Static).update(Content("Summary"))
        text = Content(self.PLACEHOLDER) if line is None else Content.styled(line, "$foreground-muted")
        self.query_one(HangingList).set_items([("", text)])
