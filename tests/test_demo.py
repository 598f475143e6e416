from __future__ import annotations

import re
import socket
from importlib import resources

import pytest

from reader import demo
from reader.demo import DEMO_FEEDS, NEWEST_AGE_S, demo_document, is_demo_url, load_demo
from reader.models import StoryFilter
from reader.store import Store
from reader.summarize import bullets
from tests.conftest import T0, FakeClock


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a connection fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"the demo tried to use the network: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


@pytest.fixture
def loaded(store, no_network):
    count = load_demo(store, now=T0)
    return store, count


def stories(store: Store):
    return [store.get_story(i) for i in store.story_ids()]


def test_loads_about_forty_stories_across_five_feeds_with_folders(loaded):
    store, count = loaded
    assert count == 40
    assert store.count_stories() == 40
    feeds = store.list_feeds()
    assert len(feeds) == len(DEMO_FEEDS) == 5
    assert {f.folder for f in feeds} == {"News", "Cities", "Tech", "Podcasts"}
    for feed in feeds:
        assert feed.title and feed.title != feed.url
        assert feed.site_url and feed.site_url.startswith("https://")
        assert feed.total >= 6
        assert is_demo_url(feed.url)
        assert feed.last_fetched is None  # loaded, never fetched
    assert store.count_stories(StoryFilter(folder="News")) == 19


def test_dates_are_shifted_so_the_newest_story_is_a_few_minutes_old(loaded):
    store, _ = loaded
    published = [s.published for s in stories(store)]
    assert max(published) == T0 - NEWEST_AGE_S
    assert min(published) >= T0 - 7 * 86400  # spread over the last few days
    assert max(published) - min(published) >= 3 * 86400
    assert len(set(published)) == len(published)


def test_the_shift_is_deterministic_given_now(tmp_path, no_network):
    def dates(now: int, name: str) -> list[tuple[str, int]]:
        with Store(tmp_path / name, clock=FakeClock(now)) as s:
            load_demo(s, now=now)
            return sorted((x.uid, x.published) for x in stories(s))

    first = dates(T0, "a.db")
    assert dates(T0, "b.db") == first
    later = dates(T0 + 86400, "c.db")
    assert [p for _, p in later] == [p + 86400 for _, p in first]


def test_now_defaults_to_the_stores_clock(store, clock, no_network):
    clock.advance(3600)
    load_demo(store)
    assert max(s.published for s in stories(store)) == T0 + 3600 - NEWEST_AGE_S


def test_loading_twice_adds_nothing(loaded):
    store, _ = loaded
    assert load_demo(store, now=T0) == 40
    assert store.count_stories() == 40
    assert len(store.list_feeds()) == 5


def test_one_event_told_by_three_feeds_in_different_words(loaded):
    store, _ = loaded
    tram = [s for s in stories(store) if "Harbour Line" in s.text]
    assert len(tram) == 3
    assert len({s.feed_id for s in tram}) == 3
    assert len({s.title for s in tram}) == 3
    for s in tram:
        for fact in ("Eastmere", "31", "14", "$1.24 billion", "19 stops", "40 percent", "2030",
                     "Helena Varga", "Tomasz Brandt", "Priya Raman"):
            assert fact in s.text, (s.title, fact)
    # told in different words: no long run of words shared between any two of them
    texts = [s.text for s in tram]
    for i in range(3):
        for j in range(i + 1, 3):
            assert not _shared_run(texts[i], texts[j], 12)


def test_the_demo_groups_its_two_events_and_nothing_else(loaded):
    """The module docstring promises two multi-source events: the tram vote (three feeds) and the
    coral reef (a wire story and a podcast episode); the look-alike primaries stay apart."""
    store, _ = loaded
    groups = store.multi_source_groups()
    titles = {g.feeds: [store.get_story(i).title for i in g.story_ids] for g in groups}
    assert len(groups) == 2 and sorted(titles) == [2, 3], titles
    assert all("Harbour Line" in store.get_story(i).text or "Eastmere" in store.get_story(i).text
               for i in next(g for g in groups if g.feeds == 3).story_ids)
    reef = titles[2]
    assert any(t.startswith("Ep. 112") for t in reef) and any("coral reef at 1,100" in t for t in reef), reef


def test_look_alike_stories_about_different_events(loaded):
    store, _ = loaded
    ohio = [s for s in stories(store) if "Ohio primary" in s.title]
    iowa = [s for s in stories(store) if "Iowa caucuses" in s.title]
    assert len(ohio) == len(iowa) == 1
    ohio, iowa = ohio[0], iowa[0]
    assert ohio.feed_id != iowa.feed_id
    # the titles differ in little more than the state...
    assert ohio.title.replace("Ohio primary", "X").replace("16", "N") == iowa.title.replace(
        "Iowa caucuses", "X"
    ).replace("5", "N")
    # ...but the facts differ
    assert "54 percent" in ohio.text and "54 percent" not in iowa.text
    assert "41 percent" in iowa.text and "41 percent" not in ohio.text
    assert abs(ohio.published - iowa.published) > 86400


def test_markup_looking_text_stays_literal(loaded):
    store, _ = loaded
    (story,) = [s for s in stories(store) if s.title.startswith("Escaping 101")]
    assert "[bold]" in story.title
    assert "<script>" in story.title
    assert '<script>alert("gotcha")</script>' in story.text
    assert "[red]alert[/red]" in story.text
    assert "\x1b" not in story.text
    assert any(s.title.startswith("[Update]") for s in stories(store))


def test_enclosures_podcast_audio_and_an_image(loaded):
    store, _ = loaded
    enclosures = [e for s in stories(store) for e in s.enclosures]
    audio = [e for e in enclosures if e.type == "audio/mpeg"]
    images = [e for e in enclosures if e.type.startswith("image/")]
    assert len(audio) == 6 and all(e.length and e.length > 1_000_000 for e in audio)
    assert len(images) == 2 and all(e.length for e in images)


def test_full_bodies_and_short_teasers(loaded):
    store, _ = loaded
    words = [len(s.text.split()) for s in stories(store)]
    full = [w for w in words if w >= 90]
    teasers = [w for w in words if w < 40]
    assert len(full) >= 28
    assert len(teasers) >= 6
    assert all(s.author for s in stories(store))
    paragraphs = [len([p for p in s.text.split("\n") if p.strip()]) for s in stories(store)]
    assert max(paragraphs) >= 7 and sorted(paragraphs)[len(paragraphs) // 2] >= 3


def test_every_long_story_gets_summary_bullets(loaded):
    store, _ = loaded
    for s in stories(store):
        if len(s.text.split()) >= 90:
            result = bullets(s.text, s.title)
            assert 3 <= len(result) <= 5, s.title


def test_formats_are_mixed():
    documents = {name: demo_document(name) for name, _, _ in DEMO_FEEDS}
    docs = documents.values()
    assert any(d.lstrip().startswith(b"{") and b"jsonfeed.org/version/1.1" in d for d in docs)
    assert any(b'<rss version="2.0"' in d for d in docs)
    assert any(b'<feed xmlns="http://www.w3.org/2005/Atom"' in d for d in docs)


def test_every_demo_file_is_listed_and_shipped():
    shipped = {
        p.name
        for p in resources.files("reader").joinpath("demo_data").iterdir()
        if p.is_file() and not p.name.startswith((".", "_"))
    }
    assert shipped == {name for name, _, _ in DEMO_FEEDS}
    for name, url, _ in DEMO_FEEDS:
        assert url == demo.DEMO_BASE + name


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://demo.newsdesk.invalid/courier.xml", True),
        ("http://DEMO.newsdesk.invalid/anything", True),
        ("https://demo.newsdesk.invalid:443/kernel.atom", True),
        ("https://courier.example.org/", False),
        ("https://demo.newsdesk.invalid.example.com/x.xml", False),
        ("https://example.com/?u=demo.newsdesk.invalid", False),
        ("http://[::1", False),
        ("", False),
        (None, False),
    ],
)
def test_is_demo_url(url, expected):
    assert is_demo_url(url) is expected


def test_a_broken_demo_file_is_a_loud_error(store, monkeypatch):
    monkeypatch.setattr(demo, "demo_document", lambda name: b"<html>not a feed</html>")
    with pytest.raises(RuntimeError, match="demo feed"):
        load_demo(store, now=T0)


def _shared_run(a: str, b: str, n: int) -> bool:
    """Whether two texts share a run of ``n`` consecutive words."""
    words_a = re.findall(r"\w+", a.lower())
    words_b = re.findall(r"\w+", b.lower())
    runs = {tuple(words_a[i : i + n]) for i in range(len(words_a) - n + 1)}
    return any(tuple(words_b[i : i + n]) in runs for i in range(len(words_b) - n + 1))
