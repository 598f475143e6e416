"""Messages workers post back to the app. Workers run core functions and never touch widgets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.message import Message

from reader.models import Feed, FeedRefresh, RefreshSummary


@dataclass
class RefreshProgress(Message):
    """One more feed finished refreshing."""

    done: int
    total: int
    result: FeedRefresh | None = None


@dataclass
class RefreshFinished(Message):
    """A refresh ended: ``summary`` when it ran, ``error`` when it could not run at all."""

    summary: RefreshSummary | None
    error: str | None = None
    feed_ids: tuple[int, ...] | None = None


@dataclass
class ArticleLoaded(Message):
    """The full article of a story (``article`` has ``markdown``, ``error``, ``from_cache``)."""

    story_id: int
    markdown: str | None
    error: str | None
    from_cache: bool = False
    source: str = "feed"  # "article": extracted from the web page and kept (summaries draw on it)


@dataclass
class FeedAdded(Message):
    feed: Feed
    result: Any = None


@dataclass
class FeedAddFailed(Message):
    url: str
    error: str


@dataclass
class CountsLoaded(Message):
    """A full recount for the sidebar and header, made by a worker with its own connection.

    ``epoch`` says which state of the counts it was asked for; the app drops a recount that
    marking has overtaken. ``view_unread`` is the open search's unread count (None otherwise).
    """

    feeds: list[Feed] | None  # None: only the view was counted
    totals: Any
    epoch: int
    view: Any = None
    view_unread: int | None = None


@dataclass
class SummaryReady(Message):
    """Summary bullets for a story, computed by a worker (long articles and multi-feed events)."""

    story_id: int
    summary: Any
    generation: int = 0  # when it was begun (see NewsdeskApp.articles_kept)


@dataclass
class ArticlesProgress(Message):
    """Reading ahead: one more story's full article was fetched (or found wanting)."""

    done: int
    total: int


@dataclass
class ArticlesFetched(Message):
    """Reading ahead ended: ``summary`` (reader.extract.ArticleSummary) when it ran, else ``error``."""

    summary: Any
    error: str | None = None
