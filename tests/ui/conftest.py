"""Fixtures for driving the real app: a database with fixed stories and a fixed clock."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from reader.models import Enclosure, ParsedStory
from reader.store import Store
from tests.conftest import T0, FakeClock

# Dates on screen must not depend on the machine's time zone.
os.environ["TZ"] = "UTC"
time.tzset()

TEXT = (
    "The city council approved the new tram line on Tuesday after a long debate. "
    "Construction will start in the spring and take about three years. "
    "The line will connect the harbour with the university and the hospital. "
    "Critics say the budget of 400 million euros is too optimistic. "
    "Supporters point to fewer cars in the old town and cleaner air.\n\n"
    "The first trams are expected to run in 2029. "
    "Residents can comment on the plans until the end of the month."
)


def fill(path: Path, clock: FakeClock) -> dict[str, int]:
    """Two feeds in a folder and one outside, eight stories; returns ids by name."""
    with Store(path, clock=clock) as store:
        tech = store.add_feed("https://user:secret@tech.example/feed.xml", title="Tech Daily", folder="News")
        city = store.add_feed("https://city.example/rss", title="City [b]Paper[/b]", folder="News")
        blog = store.add_feed("https://blog.example/atom", title="A Blog")
        stories = [
            ParsedStory(
                uid=f"t{i}",
                title=f"Tech story {i}",
                url=f"https://tech.example/{i}",
                author="Ada",
                published=T0 - 3600 * i,
                text=TEXT,
                enclosures=(Enclosure("https://tech.example/ep.mp3", "audio/mpeg", 12_345_678),) if i == 0 else (),
            )
            for i in range(4)
        ]
        store.save_stories(tech.id, stories)
        store.save_stories(
            city.id,
            [
                ParsedStory(
                    uid="c0",
                    title="Tram line [red]approved[/red]",
                    url="javascript:alert(1)",
                    published=T0 - 1800,
                    text=TEXT,
                ),
                ParsedStory(uid="c1", title="Harbour festival", url="https://city.example/1", published=T0 - 7200 * 3, text=TEXT),
            ],
        )
        store.save_stories(
            blog.id,
            [
                ParsedStory(uid="b0", title="Notes on trams", url="https://blog.example/0", published=T0 - 600, text=TEXT),
                ParsedStory(uid="b1", title="Old post", url="https://blog.example/1", published=T0 - 86400 * 3, text=TEXT),
            ],
        )
        store.update_feed(blog.id, last_error="HTTP 500 Internal Server Error", last_status=500, consecutive_errors=2)
        return {"tech": tech.id, "city": city.id, "blog": blog.id}


@pytest.fixture
def feeds(db_path: Path, clock: FakeClock) -> dict[str, int]:
    return fill(db_path, clock)


# The stories of ``fill`` newest first: t0, b0, c0, t1, t2, t3, c1, b1. The ``event`` fixture makes
# b0 (A Blog, the newest: it stands for the event), c0 (City Paper) and t2 (Tech Daily) one event.
EVENT = ("b0", "c0", "t2")


def sid(store: Store, uid: str) -> int:
    return store.conn.execute("SELECT id FROM stories WHERE uid = ?", (uid,)).fetchone()[0]


def group(store: Store, uids: tuple[str, ...]) -> int:
    """Record ``uids`` as one event, as reader.cluster would after a refresh."""
    stories = sorted((store.get_story(sid(store, uid)) for uid in uids), key=lambda s: (s.published, s.id))
    group_id = store.next_group_id()
    first = stories[0]
    store.save_grouping(
        [(group_id, first.id, len(stories), len({s.feed_id for s in stories}), first.published,
          stories[-1].published)],
        [(s.id, group_id, s.feed_id, s.published, None, "", "") for s in stories],
    )
    return group_id


@pytest.fixture
def event(db_path: Path, clock: FakeClock, feeds) -> int:
    with Store(db_path, clock=clock) as store:
        return group(store, EVENT)


@pytest.fixture(autouse=True)
def no_article_fetching(monkeypatch):
    """No test reaches the network for a full article: the app finds no article source (and shows
    the feed's text alone) unless a test puts a fake reader.extract in sys.modules."""
    import sys
    import types

    from reader.ui.app import NewsdeskApp

    def fake_source_only():
        module = sys.modules.get("reader.extract")
        return getattr(module, "get_article", None) if isinstance(module, types.SimpleNamespace) else None

    monkeypatch.setattr(NewsdeskApp, "_article_source", staticmethod(fake_source_only))


@pytest.fixture
def settings():
    from reader.config import Settings

    return Settings(auto_refresh_minutes=0)


@pytest.fixture
def make_app(db_path: Path, clock: FakeClock, settings, feeds):
    from reader.ui.app import NewsdeskApp

    def make(**kwargs) -> NewsdeskApp:
        kwargs.setdefault("settings", settings)
        kwargs.setdefault("clock", clock)
        return NewsdeskApp(db_path, **kwargs)

    return make


@pytest.fixture
def check(db_path: Path, clock: FakeClock):
    """A second connection to the same database, to assert on what the app wrote."""
    store = Store(db_path, clock=clock)
    yield store
    store.close()
