"""The reading pane: a story's title, source, author, date and link, then the article itself."""

from __future__ import annotations

import re

from textual.containers import VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Markdown, Static

from reader.models import Story
from reader.ui.widgets.safe_text import (
    clean,
    format_size,
    format_time,
    is_web_url,
    markdown_escape,
    markdown_link,
    one_line,
    paragraphs_markdown,
    safe_url,
)

_TAG = re.compile(r"<[^>]+>")


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


class ReadingPane(VerticalScroll, can_focus=True):
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

    def compose(self):
        yield Static(Content("No story open. Pick one from the list and press enter."), id="story-head")
        yield Static(Content(""), id="article-status")
        yield Markdown("", id="story-body", open_links=False)

    # -- showing ----------------------------------------------------------------------------

    def show_story(self, story: Story | None, *, pending: bool = False) -> None:
        """Show a story's feed content now; ``pending`` says a full article is being fetched."""
        self.story = story
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
        head = self.query_one("#story-head", Static)
        status = self.query_one("#article-status", Static)
        body = self.query_one("#story-body", Markdown)
        story = self.story
        if story is None:
            head.update(Content("No story open. Pick one from the list and press enter."))
            status.update(Content(""))
            body.update("")
            return
        head.update(self.head_content(story))
        status.update(Content(self.status_line()))
        body.update(self.body_markdown(story))

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
        parts.append((" · ".join(m for m in meta if m), "$text-muted"))
        if story.url:
            parts += ["\n", (safe_url(story.url), "underline $text-accent")]
        if story.saved:
            parts += ["\n", ("★ saved", "$warning")]
        return Content.assemble(*parts)

    def status_line(self) -> str:
        if self.showing == "article":
            return "Full article (v: the feed's own text)"
        if self.article_pending:
            return "Full article: fetching…"
        if self.article_markdown:
            return "The feed's own text (v: full article)"
        if self.article_error:
            return "Full article: " + one_line(self.article_error)
        return "Full article: not available yet"

    def body_markdown(self, story: Story) -> str:
        if self.showing == "article" and self.article_markdown:
            text = clean(self.article_markdown)
        else:
            text = paragraphs_markdown(story_text(story)) or markdown_escape("(This story has no text.)")
        if story.enclosures:
            lines = ["", "", "---", "", "**Attachments**", ""]
            for enc in story.enclosures:
                label = f"{enc.type or 'file'}, {format_size(enc.length)}"
                if is_web_url(enc.url):
                    lines.append(f"- {markdown_link(label, enc.url)} {markdown_escape(safe_url(enc.url))}")
                else:
                    lines.append(f"- {markdown_escape(label)} {markdown_escape(safe_url(enc.url))}")
            text += "\n".join(lines)
        return text

    # -- reading ----------------------------------------------------------------------------

    @property
    def at_end(self) -> bool:
        return self.scroll_y >= self.max_scroll_y

    def page(self) -> bool:
        """Page down; False when already at the end (the caller moves on to the next story)."""
        if self.at_end:
            return False
        self.scroll_page_down(animate=False)
        return True

    def on_markdown_link_clicked(self, event: Markdown.LinkClicked) -> None:
        event.stop()
        self.post_message(self.LinkOpened(event.href))
