"""Built-in demo feeds, so Newsdesk works offline out of the box (``newsdesk --demo``).

The feeds in ``reader/demo_data/`` are fictional news written for Newsdesk. They are parsed by the
same ``parse_feed`` as real feeds, then saved with their dates moved so the newest story is a few
minutes old. Their URLs use the ``.invalid`` top-level domain, which never resolves; a refresh must
skip them (``is_demo_url``) rather than try.

What the data holds on purpose: RSS 2.0, Atom 1.0 and JSON Feed 1.1; full content and bare
teasers; an image and podcast enclosures; a title with ``[bold]`` and ``<script>`` that must stay
literal, and a "[Update]" prefix; one event (Eastmere's tram vote) told by three outlets in
different words; two look-alike stories about different events ("wins Ohio primary" / "wins Iowa
caucuses"); and a second, two-source event (a coral reef found by the ship Aurelia: a wire story
and a podcast episode).
"""

from __future__ import annotations

import dataclasses
from importlib import resources
from urllib.parse import urlsplit

from reader.cluster import group_new_stories
from reader.models import ParsedStory
from reader.parse import parse_feed
from reader.store import FeedExists, Store

DEMO_HOST = "demo.newsdesk.invalid"
DEMO_BASE = f"https://{DEMO_HOST}/"
# The newest demo story is this old when loaded, so it reads "5m" rather than "now".
NEWEST_AGE_S = 5 * 60

# (file in reader/demo_data, feed URL, folder)
DEMO_FEEDS: list[tuple[str, str, str]] = [
    ("courier.xml", DEMO_BASE + "courier.xml", "News"),
    ("meridian.atom", DEMO_BASE + "meridian.atom", "News"),
    ("rails-and-streets.json", DEMO_BASE + "rails-and-streets.json", "Cities"),
    ("kernel.atom", DEMO_BASE + "kernel.atom", "Tech"),
    ("fieldnotes.xml", DEMO_BASE + "fieldnotes.xml", "Podcasts"),
]

_CONTENT_TYPES = {
    ".xml": "application/xml",
    ".atom": "application/atom+xml",
    ".json": "application/feed+json",
}


def is_demo_url(url: str | None) -> bool:
    """Whether ``url`` is one of the built-in demo feeds (which must never be fetched)."""
    if not url:
        return False
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return False
    return host == DEMO_HOST


def demo_document(filename: str) -> bytes:
    """The bytes of one demo feed file, read from the installed package."""
    return resources.files("reader").joinpath("demo_data").joinpath(filename).read_bytes()


def _parse_all() -> list[tuple[str, str, str | None, str | None, tuple[ParsedStory, ...]]]:
    parsed = []
    for filename, url, folder in DEMO_FEEDS:
        suffix = filename[filename.rfind(".") :]
        feed = parse_feed(demo_document(filename), url, content_type=_CONTENT_TYPES.get(suffix))
        if feed.error or not feed.stories:
            # Our own data: a failure here is a bug in the package, not a user's problem.
            raise RuntimeError(f"demo feed {filename} did not parse: {feed.error or 'no stories'}")
        parsed.append((url, folder, feed.title, feed.site_url, feed.stories))
    return parsed


def _shift(story: ParsedStory, delta: int) -> ParsedStory:
    return dataclasses.replace(
        story,
        published=None if story.published is None else story.published + delta,
        updated=None if story.updated is None else story.updated + delta,
    )


def load_demo(store: Store, now: int | None = None) -> int:
    """Add the demo feeds to ``store`` and save their stories; returns the number of stories.

    Every date moves by the same amount so that the newest story is NEWEST_AGE_S old at ``now``
    (default: the store's clock); the same ``now`` always gives the same dates. Loading twice adds
    nothing new: feeds already present are reused and ``save_stories`` skips unchanged stories.
    Nothing is fetched.
    """
    if now is None:
        now = store.now()
    feeds = _parse_all()
    newest = max(
        max(t for t in (s.published, s.updated) if t is not None)
        for *_, stories in feeds
        for s in stories
        if s.published is not None or s.updated is not None
    )
    delta = int(now) - NEWEST_AGE_S - newest
    count = 0
    for url, folder, title, site_url, stories in feeds:
        try:
            feed = store.add_feed(url, title=title, folder=folder, site_url=site_url)
        except FeedExists as exc:
            feed = exc.feed
        store.update_feed(feed.id, title=title, site_url=site_url)
        with store.write():  # stored and grouped together, feed by feed, as a refresh does
            new_ids, _ = store.save_stories_ids(feed.id, [_shift(s, delta) for s in stories])
            group_new_stories(store, new_ids)
        count += len(stories)
    return count
