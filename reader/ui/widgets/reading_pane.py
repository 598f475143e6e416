"""The reading pane: a story's title, source, author, date and link, then the article itself.

The feed's own text is plain text and is shown as such (``Content`` in ``Static`` widgets: one
update, one layout pass, nothing parsed); the full article is Markdown. A long text is shown a
screenful first and the rest added in pieces afterwards, so opening it never holds up the next key.
"""

from __future__ import annotations

import asyncio
import re

from textual.content import Content
from textual.message import Message
from textual.widgets import Markdown, Static

from reader.ui.widgets.flow import FlowGroup, FlowScroll, FlowText, ScrollPosition

from reader.models import Story
from reader.ui.widgets.safe_text import clean, format_size, format_time, is_web_url, one_line, safe_url

_TAG = re.compile(r"<[^>]+>")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
# Markdown of 60,000 characters blocks the app for ~170 ms in one piece, plain text ~90 ms.
FIRST_CHARS = 4000
CHUNK_CHARS = 4000
CHUNK_PAUSE_S = 0.01


def split_markdown(text: str, first: int = FIRST_CHARS, size: int = CHUNK_CHARS) -> list[str]:
    """``text`` cut at blank lines into pieces of about ``first``, then ``size``, characters.

    Joined, the pieces are ``text`` again; a cut inside a block is harmless because
    ``Markdown.append`` parses the last block again with what follows.
    """
    pieces: list[str] = []
    start = 0
    limit = first
    while len(text) - start > limit:
        cut = text.find("\n\n", start + limit)
        if cut < 0:
            break
        pieces.append(text[start:cut])
        start = cut
        limit = size
    pieces.append(text[start:])
    return pieces


def paragraphs(text: str) -> list[str]:
    """Plain text as paragraphs (blank lines separate them; controls removed).

    A paragraph keeps its line breaks: the feed's text has them only where the HTML had a list
    item, a ``<br>``, a table row or a line of ``<pre>``; joined, a list or a code block read as
    one run-on line. Each line's spaces are collapsed but its indentation is kept (code), less the
    indentation every line of the paragraph shares."""
    paras = []
    for para in _PARAGRAPH_BREAK.split(clean(text)):
        lines = [_line(line) for line in para.split("\n")]
        lines = [line for line in lines if line.strip()]
        if lines:
            shared = min(len(line) - len(line.lstrip(" ")) for line in lines)
            paras.append("\n".join(line[shared:] for line in lines))
    return paras


def _line(line: str) -> str:
    """One line of a paragraph: its indentation (tabs as 4 spaces), then its words, one space apart."""
    line = line.expandtabs(4)
    words = one_line(line)
    return " " * (len(line) - len(line.lstrip())) + words if words else ""


def split_paragraphs(paras: list[str], first: int = FIRST_CHARS, size: int = CHUNK_CHARS) -> list[list[str]]:
    """Paragraphs grouped into pieces of about ``first``, then ``size``, characters."""
    pieces: list[list[str]] = [[]]
    used, limit = 0, first
    for para in paras:
        if used >= limit and pieces[-1]:
            pieces.append([])
            used, limit = 0, size
        pieces[-1].append(para)
        used += len(para) + 2
    return pieces


def story_text(story: Story) -> str:
    """The feed's own text of a story, as plain text."""
    if story.text.strip():
        return story.text
    html = story.content or story.summary
    if not html:
        return ""
    try:
        from reader.text import html_to_text
    except ImportError:  # reader.text not there yet: a crude but safe fallback
        import html as html_lib

        return html_lib.unescape(_TAG.sub(" ", html))
    return html_to_text(html)


class ReadingPane(FlowScroll, can_focus=True):
    """Shows one story. The feed's content appears at once; the full article replaces it later."""

    class LinkOpened(Message):
        """A link in the article was chosen; the app decides whether it may be opened."""

        def __init__(self, href: str) -> None:
            super().__init__()
            self.href = href

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.story: Story | None = None
        self.article_markdown: str | None = None
        self.article_error: str | None = None
        self.article_pending = False
        self.showing = "feed"  # "feed" or "article"
        self.prefer = "article"  # what `v` last chose: the next story opens in this mode too
        self.attachment_key = "E"  # named next to "Attachments"; the app sets the remapped key
        self.source_key = "v"  # switches article / feed text, named in the status line (likewise)
        self._open_key = "enter"  # named in the line shown while no story is open (likewise)
        self._generation = 0  # bumps on every render; pieces still being added for an older one stop
        self._streaming = False
        self._article_shown: str | None = None  # the Markdown the article body holds
        self._nothing: str | None = None  # shown instead of the placeholder (show_nothing)

    def compose(self):
        yield FlowText(Content(self.placeholder), id="story-head")
        yield FlowText(Content(""), id="article-status")
        with FlowGroup(id="story-text"):
            yield FlowText(Content(""), id="story-text-first")
        yield Markdown("", id="story-body", open_links=False)
        yield FlowText(Content(""), id="story-attachments")
        yield ScrollPosition(id="reading-position")

    def on_mount(self) -> None:
        self.query_one("#story-body", Markdown).display = False
        self.query_one("#story-attachments", Static).display = False

    # -- showing ----------------------------------------------------------------------------

    def show_story(self, story: Story | None, *, pending: bool = False) -> None:
        """Show a story's feed content now; ``pending`` says a full article is being fetched."""
        self._show(story, pending, None)

    def show_nothing(self, line: str) -> None:
        """No story, and ``line`` instead of the placeholder (the list has no story to pick)."""
        self._show(None, False, line)

    def _show(self, story: Story | None, pending: bool, nothing: str | None) -> None:
        self.story = story
        self._nothing = nothing
        self.article_markdown = None
        self.article_error = None
        self.article_pending = pending
        self.showing = "feed"
        self.scroll_home(animate=False)
        self._render_story()

    def set_article(self, story_id: int, markdown: str | None, error: str | None) -> None:
        if self.story is None or self.story.id != story_id:
            return
        self.article_pending = False
        self.article_markdown = markdown if markdown and markdown.strip() else None
        self.article_error = error if not self.article_markdown else None
        if self.article_markdown and self.prefer == "article":
            self.showing = "article"
        self._render_story()

    def toggle_source(self) -> str:
        """Switch between the full article and the feed's own content; returns a line saying which."""
        if self.story is None:
            return "No story is open."
        if self.showing == "article":
            self.showing = self.prefer = "feed"
        elif self.article_markdown:
            self.showing = self.prefer = "article"
        else:
            return "No full article to switch to: " + (self.article_error or "not fetched yet")
        self._render_story()
        return "Showing the full article." if self.showing == "article" else "Showing the feed's own text."

    def _render_story(self) -> None:
        self._generation += 1
        self._streaming = False
        head = self.query_one("#story-head", Static)
        status = self.query_one("#article-status", Static)
        story = self.story
        if story is None:
            head.update(self._no_story_line())
            status.update(Content(""))
            self._show_text([], empty=Content(""))
            self._show_attachments(None)
            return
        head.update(self.head_content(story))
        status.update(Content(self.status_line()))
        if self.showing == "article" and self.article_markdown:
            self._show_article(clean(self.article_markdown))
        else:
            self._show_text(paragraphs(story_text(story)))
        self._show_attachments(story)

    def _show_text(self, paras: list[str], empty: Content | None = None) -> None:
        """The feed's text: the first piece now, in place; the rest in the background. ``empty``:
        what stands for no text at all (a story's "(This story has no text.)" by default)."""
        self.query_one("#story-body", Markdown).display = False
        box = self.query_one("#story-text", FlowGroup)
        box.display = True
        box.query(".story-text-more").remove()
        first, *rest = split_paragraphs(paras)
        if empty is None:
            empty = Content.styled("(This story has no text.)", "$foreground-muted")
        text = Content("\n\n".join(first)) if first else empty
        self.query_one("#story-text-first", Static).update(text)
        if rest:
            self._streaming = True
            self.run_worker(self._add_text(box, rest, self._generation), group="reading-body")

    async def _add_text(self, box: FlowGroup, pieces: list[list[str]], generation: int) -> None:
        for piece in pieces:
            await asyncio.sleep(CHUNK_PAUSE_S)  # a key pressed meanwhile goes first
            if generation != self._generation:
                return
            await box.mount(FlowText(Content("\n\n".join(piece)), classes="story-text-more"))
        if generation == self._generation:
            self._streaming = False

    def _show_article(self, markdown: str) -> None:
        self.query_one("#story-text", FlowGroup).display = False
        body = self.query_one("#story-body", Markdown)
        body.display = True
        if markdown == self._article_shown:
            return  # v back to an article already laid out
        self._article_shown = markdown
        first, *rest = split_markdown(markdown)
        shown = body.update(first)
        if rest:
            self._streaming = True
            self.run_worker(self._add_markdown(body, shown, rest, self._generation), group="reading-body")

    async def _add_markdown(self, body: Markdown, shown, pieces: list[str], generation: int) -> None:
        await shown  # append continues from where the first piece's parse ended
        for piece in pieces:
            await asyncio.sleep(CHUNK_PAUSE_S)
            if generation != self._generation:
                self._article_shown = None  # left half-added: lay it out again next time
                return
            await body.append(piece)
        if generation == self._generation:
            self._streaming = False

    def _show_attachments(self, story: Story | None) -> None:
        box = self.query_one("#story-attachments", Static)
        enclosures = story.enclosures if story is not None else ()
        box.display = bool(enclosures)
        if enclosures:
            box.update(self.attachments_content(story))

    def refresh_head(self) -> None:
        if self.story is not None:
            self.query_one("#story-head", Static).update(self.head_content(self.story))

    def head_content(self, story: Story) -> Content:
        parts: list = [(one_line(story.title) or "(untitled)", "bold $text"), "\n"]
        meta = [one_line(story.feed_title)]
        if story.author:
            meta.append(one_line(story.author))
        if story.published:
            meta.append(format_time(story.published))
        parts.append((" · ".join(m for m in meta if m), "$foreground-muted"))
        if story.url:
            parts += ["\n", (safe_url(story.url), "underline $text-accent")]
        if story.saved:
            parts += ["\n", ("★ saved", "$warning")]
        return Content.assemble(*parts)

    def attachments_content(self, story: Story) -> Content:
        count = len(story.enclosures)
        parts: list = [("Attachments", "bold"), (f"  {self.attachment_key} opens {'it' if count == 1 else 'one'}", "$foreground-muted")]
        for enc in story.enclosures:
            label = f"{one_line(enc.type) or 'file'}, {format_size(enc.length)}"
            parts += ["\n", ("• ", "$accent"), label, "  ", (safe_url(enc.url), "$foreground-muted")]
        return Content.assemble(*parts)

    @property
    def placeholder(self) -> str:
        return f"No story open. Pick one from the list and press {self._open_key}."

    def _no_story_line(self) -> Content:
        if self._nothing is not None:
            return Content.styled(self._nothing, "$foreground-muted")
        return Content(self.placeholder)

    @property
    def open_key(self) -> str:
        return self._open_key

    @open_key.setter
    def open_key(self, key: str) -> None:
        self._open_key = key
        if self.story is None and self.is_mounted:
            self.query_one("#story-head", Static).update(self._no_story_line())

    def status_line(self) -> str:
        if self.showing == "article":
            return f"Full article ({self.source_key}: the feed's own text)"
        if self.article_pending:
            return "Full article: fetching…"
        if self.article_markdown:
            return f"The feed's own text ({self.source_key}: full article)"
        if self.article_error:
            return "Full article: " + one_line(self.article_error)
        if self.story is None or not is_web_url(self.story.url):
            return "Full article: none, the story has no web link"
        return f"Full article: {self._open_key} fetches it"

    def feed_text(self, story: Story) -> str:
        """The feed's text as shown (paragraphs separated by blank lines)."""
        return "\n\n".join(paragraphs(story_text(story)))

    # -- reading ----------------------------------------------------------------------------

    @property
    def at_end(self) -> bool:
        return self.scroll_y >= self.max_scroll_y

    def page(self) -> bool:
        """Page down; False when already at the end (the caller moves on to the next story)."""
        if self.at_end:
            return self._streaming  # the rest of a long story is still being added: stay
        self.scroll_page_down(animate=False)
        return True

    def on_markdown_link_clicked(self, event: Markdown.LinkClicked) -> None:
        event.stop()
        self.post_message(self.LinkOpened(event.href))
