"""Small frozen values passed between the stages of Newsdesk.

Times are integer seconds since the Unix epoch (UTC) everywhere in the core; formatting for people
happens at the edges (CLI, UI).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Literal
from urllib.parse import urlsplit

# A clock tests can replace: every "now" in the core comes from a callable of this type.
Clock = Callable[[], float]


def system_clock() -> float:
    return time.time()


@dataclass(frozen=True, slots=True)
class Enclosure:
    url: str
    type: str = ""
    length: int | None = None


@dataclass(frozen=True, slots=True)
class Feed:
    id: int
    url: str
    title: str | None = None
    site_url: str | None = None
    folder: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    last_fetched: int | None = None
    last_status: int | None = None
    last_error: str | None = None
    consecutive_errors: int = 0
    fetch_not_before: int | None = None
    disabled: bool = False
    warning: str | None = None
    added: int | None = None
    unread: int = 0
    total: int = 0

    @property
    def display_title(self) -> str:
        """The feed's title; until it has one, its address without the scheme ("example.com/
        news/rss.xml"): a site's several feeds, or feeds that never worked, are told apart."""
        if self.title:
            return self.title
        return feed_locator(self.url)


def feed_locator(url: str) -> str:
    """Where a feed is, short: host (without "www.", with a port if one is given) and path,
    without the scheme, query or a trailing slash; the URL itself when it has no host."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        port = parts.port
    except ValueError:  # a port that is not a number
        return url
    if not host:
        return url
    if host.startswith("www."):
        host = host[4:]
    if port is not None:
        host = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    elif ":" in host:
        host = f"[{host}]"
    return host + parts.path.rstrip("/")


@dataclass(frozen=True, slots=True)
class ParsedStory:
    """One item as the parser understood it; ``uid`` is the stable id within its feed."""

    uid: str
    title: str
    url: str | None = None
    author: str | None = None
    published: int | None = None
    updated: int | None = None
    summary: str = ""  # the feed's teaser (HTML)
    content: str = ""  # the feed's fullest content (HTML)
    text: str = ""  # plain text of the content, for search and summaries
    enclosures: tuple[Enclosure, ...] = ()
    content_hash: str = ""


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    title: str | None = None
    site_url: str | None = None
    stories: tuple[ParsedStory, ...] = ()
    warning: str | None = None  # the document was ill-formed but yielded stories
    error: str | None = None  # nothing usable: say why, in words a person understands


@dataclass(frozen=True, slots=True)
class FetchResult:
    """What one HTTP fetch produced. Errors are values here, never exceptions."""

    url: str  # the URL asked for
    final_url: str | None = None  # after redirects
    status: int | None = None
    body: bytes | None = None
    content_type: str | None = None
    charset: str | None = None  # from the Content-Type header
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False  # 304: nothing to parse
    permanent_redirect: str | None = None  # where a 301/308 chain ended
    retry_after: int | None = None  # epoch seconds, from Retry-After on 429/503
    gone: bool = False  # 410
    error: str | None = None
    elapsed: float = 0.0


@dataclass(frozen=True, slots=True)
class StoryRow:
    """What the story list shows for one story."""

    id: int
    feed_id: int
    feed_title: str
    title: str
    published: int
    read: bool
    saved: bool
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Story:
    id: int
    feed_id: int
    uid: str
    title: str
    feed_title: str
    url: str | None = None
    author: str | None = None
    published: int = 0
    updated: int | None = None
    summary: str = ""
    content: str = ""
    text: str = ""
    content_hash: str = ""
    first_seen: int = 0
    read: bool = False
    read_at: int | None = None
    saved: bool = False
    saved_at: int | None = None
    enclosures: tuple[Enclosure, ...] = ()


StateFilter = Literal["all", "unread", "saved"]


@dataclass(frozen=True, slots=True)
class StoryFilter:
    """Which stories a list shows: a state filter within a scope (everything, a folder, a feed)."""

    state: StateFilter = "all"
    feed_id: int | None = None
    folder: str | None = None
    query: str | None = None  # full-text search; results ranked instead of newest first


@dataclass(frozen=True, slots=True)
class FeedRefresh:
    """The outcome of refreshing one feed."""

    feed_id: int
    url: str
    new: int = 0
    updated: int = 0
    not_modified: bool = False
    skipped: bool = False  # not due (fetch-not-before in the future) or disabled
    error: str | None = None
    warning: str | None = None


@dataclass(frozen=True, slots=True)
class RefreshSummary:
    feeds: tuple[FeedRefresh, ...] = field(default_factory=tuple)
    elapsed: float = 0.0

    @property
    def new(self) -> int:
        return sum(f.new for f in self.feeds)

    @property
    def updated(self) -> int:
        return sum(f.updated for f in self.feeds)

    @property
    def failed(self) -> tuple[FeedRefresh, ...]:
        return tuple(f for f in self.feeds if f.error)


@dataclass(frozen=True, slots=True)
class StoryGroup:
    """Stories about one event, from one or more feeds (``reader.cluster`` decides)."""

    id: int
    story_ids: tuple[int, ...]  # earliest first
    feeds: int  # distinct feeds telling it: the "N sources" a person sees
    title: str  # the earliest story's title
    published: int = 0  # the earliest story's date
    latest: int = 0  # the newest story's date


@dataclass(frozen=True, slots=True)
class GroupSource:
    """One story of a group, as the summary lists it under "Sources"."""

    feed_title: str
    title: str
    published: int
    story_id: int


@dataclass(frozen=True, slots=True)
class GroupSummary:
    """Bullets for a story or the event it belongs to, and the stories they were taken from."""

    bullets: tuple[str, ...]
    sources: tuple[GroupSource, ...]
    feeds: int  # "Summary based on N sources"
    title: str
