"""reader/parse.py: feed documents to ParsedFeed, on our own small feeds in tests/data/feeds/."""

from __future__ import annotations

import gzip
import json
import pickle
import re
from calendar import timegm
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import reader.parse
from reader.models import Enclosure, ParsedFeed, ParsedStory
from reader.parse import parse_feed
from tests.test_reliability_helpers import cpu_seconds

FEEDS = Path(__file__).resolve().parent / "data" / "feeds"
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]")


def parse(name: str, url: str | None = None, **kwargs) -> ParsedFeed:
    body = (FEEDS / name).read_bytes()
    return parse_feed(body, url or f"https://example.org/feeds/{name}", **kwargs)


def utc(*fields: int) -> int:
    return timegm((*fields, 0, 0, 0)[:9])


def assert_story_safe(story: ParsedStory) -> None:
    for field in ("uid", "title", "author", "url", "text", "summary", "content"):
        value = getattr(story, field) or ""
        assert UNSAFE.search(value) is None, f"{field}: {value[:100]!r}"
    assert "\n" not in story.title and story.title == story.title.strip()
    assert story.author is None or "\n" not in story.author


def assert_feed_safe(feed: ParsedFeed) -> None:
    for value in (feed.title, feed.site_url, feed.warning, feed.error):
        assert value is None or UNSAFE.search(value) is None, repr(value)
    for story in feed.stories:
        assert_story_safe(story)


# --- every format ---------------------------------------------------------------------------------


def test_rss091() -> None:
    feed = parse("rss091.xml")
    assert feed.error is None and feed.warning is None
    assert feed.title == "Harbour Town Notes"
    assert feed.site_url == "https://harbour.example.org/"
    assert [s.title for s in feed.stories] == [
        "Ferry timetable changes for winter",
        "Lighthouse open day",
    ]
    first, second = feed.stories
    # no guid: the link is the id
    assert first.uid == first.url == "https://harbour.example.org/notes/ferry-winter"
    assert first.published is None and first.updated is None
    assert second.text == "Visitors may climb the lighthouse stairs on Saturday & Sunday."


def test_rss10_rdf() -> None:
    feed = parse("rss10-rdf.xml")
    assert feed.error is None and feed.warning is None
    assert feed.title == "Hilltop Observatory"
    assert len(feed.stories) == 3
    comet, clouds, mirror = feed.stories
    assert comet.uid == comet.url == "https://observatory.example.org/log/comet"
    assert comet.author == "Mira Castell"
    # dc:date is all RSS 1.0 has: it is both the publication and the update time
    assert comet.published == comet.updated == utc(2024, 3, 4, 20, 30)
    assert comet.summary == "Seen for two nights running, low in the north-east."
    assert "<em>second</em>" in comet.content
    assert comet.text == (
        "Seen for two nights running, low in the north-east.\n\n"
        "It brightened slightly on the second night."
    )
    assert clouds.published == utc(2024, 3, 1, 8, 0)
    assert clouds.content == clouds.summary  # no content:encoded: the description is the content
    assert mirror.published is None


def test_rss20_full() -> None:
    url = "https://allotment.example.org/gazette/feed.xml"
    feed = parse("rss20-full.xml", url)
    assert feed.error is None and feed.warning is None
    assert feed.title == "The Allotment Gazette"
    assert feed.site_url == "https://allotment.example.org/gazette/"  # relative <link>, resolved
    frost, compost, swap = feed.stories

    assert frost.uid == "gazette-2024-0042"  # guid isPermaLink="false" is an id, not a link
    assert frost.url == "https://allotment.example.org/gazette/2024/04/tomatoes"
    assert frost.title == "Tomatoes & the late frost"
    assert frost.author == "Pat Greenway"
    assert frost.published == utc(2024, 4, 6, 7, 15)
    assert frost.updated is None
    assert frost.summary.startswith("<p>The seedlings survived.")  # the teaser, still HTML
    assert "cold frame made of old windows" in frost.content  # content:encoded, the fullest
    assert frost.text == (
        "The seedlings survived the frost of the 3rd of April.\n\nWhat helped:\n\n"
        "- fleece at night\n- a cold frame made of old windows\n\n"
        "Read the tips page for more.\nHappy growing!"
    )
    # the enclosure and the media:content of the same file are one; the image is another
    assert frost.enclosures == (
        Enclosure("https://allotment.example.org/gazette/audio/frost.mp3", "audio/mpeg", 2456789),
        Enclosure("https://images.allotment.example.org/frost.jpg", "image/jpeg", None),
    )

    # HTML inside an RSS title is markup, not text
    assert compost.title == "Why compost matters"
    # a permalink guid is both the id and, without <link>, the link
    assert compost.uid == compost.url == "https://allotment.example.org/gazette/2024/03/compost"
    assert compost.author == "Sam Rowe"

    assert swap.enclosures == (
        Enclosure("https://allotment.example.org/files/swap-list.pdf", "application/pdf", None),
    )


def test_atom03() -> None:
    feed = parse("atom03.xml")
    assert feed.error is None and feed.warning is None
    assert feed.title == "Bicycle Repair Diary"
    assert feed.site_url == "https://bikes.example.org/"
    truing, chain = feed.stories
    assert truing.uid == "tag:bikes.example.org,2024:truing"
    assert truing.published == utc(2024, 2, 10, 9, 0)  # <issued>
    assert truing.updated == utc(2024, 2, 10, 9, 30)  # <modified>
    assert truing.author == "Lee Spokes"  # inherited from the feed
    assert truing.summary == "A cheap trick for a wobbly rim."
    assert (
        truing.text
        == "Fix a zip tie to the frame so it just touches the rim.\n\nSpin the wheel and listen."
    )
    assert chain.content == chain.summary == "Twelve links should measure twelve inches."


def test_atom10_full() -> None:
    feed = parse("atom10-full.xml", "https://mirror.example.com/quarry.atom")
    assert feed.error is None and feed.warning is None
    assert feed.title == "Notes from the Quarry"  # type="html", markup removed
    # xml:base on the feed wins over the document URL
    assert feed.site_url == "https://quarry.example.org/journal/"
    granite, chisel, plain = feed.stories

    assert granite.uid == "tag:quarry.example.org,2024:granite"
    assert granite.title == "Splitting granite by hand"
    # rel="alternate" among several links, resolved against feed and entry xml:base
    assert granite.url == "https://quarry.example.org/journal/2024/05/granite.html"
    assert granite.enclosures == (
        Enclosure("https://quarry.example.org/journal/media/granite.mp4", "video/mp4", 104857600),
    )
    assert granite.author == "Ruth Mason, Iwan Flint"
    assert granite.published == utc(2024, 5, 1, 7, 0)
    assert granite.updated == utc(2024, 5, 2, 11, 0)
    assert granite.summary == "Feathers, wedges and patience."
    assert (
        granite.text
        == "Tools\n\nA row of holes, then feathers and wedges.\n\nTap each wedge in turn."
    )

    assert chisel.title == "Sharpening a point chisel"  # type="xhtml"
    assert chisel.url == "https://quarry.example.org/journal/2024/04/chisel.html"  # no rel
    assert chisel.published == chisel.updated == utc(2024, 4, 20, 13, 30)  # falls back to updated
    assert chisel.summary == ""  # the feed gave no teaser
    assert chisel.text == "Use the grinder sparingly.\n\nFinish on a flat stone."

    # type="text": angle brackets are characters, kept as such and escaped in the stored HTML
    assert plain.title == "Plain title with <angle brackets> kept"
    assert plain.url == "https://elsewhere.example.com/absolute"
    assert plain.text == "Line one.\nLine two <not a tag>."
    assert "&lt;not a tag&gt;" in plain.content


def test_jsonfeed10() -> None:
    feed = parse("jsonfeed10.json", "https://physics.example.org/feed.json")
    assert feed.error is None and feed.warning is None
    assert feed.title == "Kitchen Table Physics"
    assert feed.site_url == "https://physics.example.org/"
    spoon, ice = feed.stories
    assert spoon.uid == "2"
    assert spoon.author == "Dana Ohm"  # 1.0 "author" object, from the feed
    assert spoon.published == utc(2024, 6, 1, 8, 0)
    assert spoon.updated == utc(2024, 6, 2, 9, 0)
    assert (
        spoon.text
        == "Hold it loosely by the handle and tap the bowl.\n\nThe pitch depends on the length."
    )
    assert spoon.summary == "Tapping cutlery, with numbers."
    assert spoon.enclosures == (
        Enclosure("https://physics.example.org/audio/spoon.ogg", "audio/ogg", 48213),
    )
    assert ice.url == "https://physics.example.org/posts/ice-cubes"  # relative, resolved
    assert ice.text == "They don't, really.\nBut the bubbles make it look so."  # content_text
    assert (
        ice.content == "They don't, really.<br>\nBut the bubbles make it look so."
    )  # stored as HTML


def test_jsonfeed11() -> None:
    feed = parse("jsonfeed11.json", "https://moths.example.org/feed.json")
    assert feed.error is None and feed.warning is None
    assert feed.title == "Moth Survey – Weekly"  # an entity in a JSON title is decoded
    moth, quiet, numeric = feed.stories
    assert moth.author == "Nell Wing, Tom Brindle"  # 1.1 "authors"
    assert moth.published == utc(2024, 7, 12, 4, 10)
    assert moth.text == "Pink and olive, about five centimetres.\n\n- Trap: garden\n- Bulb: 125 W"
    # attachments: relative URL resolved, the duplicate dropped
    assert moth.enclosures == (
        Enclosure("https://moths.example.org/photos/hawk-moth.jpg", "image/jpeg", 310220),
        Enclosure("https://moths.example.org/2024/07/count.csv", "text/csv", None),
    )
    assert quiet.url == "https://weather.example.net/2024-07-10"  # external_url
    assert quiet.title == "Only two moths last night. Cold wind from the north and a…"
    assert quiet.author == "Nell Wing"  # the feed's authors
    assert quiet.published == utc(2024, 7, 11, 0, 0)
    assert numeric.uid == "1234"  # a number is coerced to a string
    assert numeric.published is None


def test_jsonfeed_detected_by_content_and_type() -> None:
    body = (FEEDS / "jsonfeed10.json").read_bytes()
    for content_type in (None, "application/feed+json", "application/json", "text/plain"):
        assert len(parse_feed(body, "https://x.example/f", content_type).stories) == 2
    assert len(parse_feed(b"\xef\xbb\xbf  \n" + body, "https://x.example/f").stories) == 2


# --- ids ------------------------------------------------------------------------------------------


def test_ids_fall_back_to_link_then_hash() -> None:
    feed = parse("rss20-no-guids.xml")
    cat, choir1, choir2, barrow, blank = feed.stories
    assert cat.uid == "https://village.example.org/notes/lost-cat"
    for story in (choir1, choir2, barrow, blank):
        assert re.fullmatch(r"h:[0-9a-f]{40}", story.uid)
    # same title, different dates: different stories
    assert choir1.title == choir2.title and choir1.uid != choir2.uid
    assert len({s.uid for s in feed.stories}) == 5
    # no title: one from the first words of the text
    assert barrow.title == "For sale: a wheelbarrow with one careful owner and a slightly flat…"
    assert blank.title == "Blank guid, no link, no date"


def test_ids_are_stable_across_parses_and_processes() -> None:
    body = (FEEDS / "rss20-no-guids.xml").read_bytes()
    here = parse_feed(body, "https://v.example/f")
    with ProcessPoolExecutor(max_workers=1) as pool:
        there = pool.submit(parse_feed, body, "https://v.example/f").result(timeout=60)
    assert there == here
    assert [s.content_hash for s in there.stories] == [s.content_hash for s in here.stories]


def test_untitled_story() -> None:
    body = b'<rss version="2.0"><channel><title>t</title><item><guid isPermaLink="false">x</guid></item></channel></rss>'
    (story,) = parse_feed(body, "https://x.example/").stories
    assert story.title == "(untitled)"
    assert story.uid == "x"


def test_ids_are_stripped_and_long_ones_hashed() -> None:
    long_id = "x" * 5000
    body = (
        '<rss version="2.0"><channel><title>t</title>'
        "<item><title>a</title><guid isPermaLink='false'>\n   spaced-id \t</guid></item>"
        f"<item><title>b</title><guid isPermaLink='false'>{long_id}</guid></item>"
        "</channel></rss>"
    ).encode()
    a, b = parse_feed(body, "https://x.example/").stories
    assert a.uid == "spaced-id"
    assert b.uid.startswith("h:") and len(b.uid) == 42


# --- content hash ---------------------------------------------------------------------------------


def _rss_item(**fields: str) -> bytes:
    item = "".join(f"<{k}>{v}</{k}>" for k, v in fields.items())
    return (
        f'<rss version="2.0"><channel><title>t</title><item>{item}</item></channel></rss>'.encode()
    )


def test_content_hash_changes_with_what_a_reader_sees() -> None:
    base = dict(
        guid="id-1",
        title="Title",
        link="https://x.example/1",
        description="Teaser",
        pubDate="Tue, 05 Mar 2024 14:30:00 GMT",
    )
    reference = parse_feed(_rss_item(**base), "https://x.example/").stories[0].content_hash
    assert re.fullmatch(r"[0-9a-f]{40}", reference)
    assert parse_feed(_rss_item(**base), "https://x.example/").stories[0].content_hash == reference
    for field, value in [
        ("title", "Other title"),
        ("link", "https://x.example/2"),
        ("description", "Other teaser"),
        ("pubDate", "Wed, 06 Mar 2024 14:30:00 GMT"),
        ("author", "someone@example.org (Someone)"),
    ]:
        changed = parse_feed(_rss_item(**{**base, field: value}), "https://x.example/").stories[0]
        assert changed.content_hash != reference, field
    with_enclosure = _rss_item(**base).replace(
        b"</item>",
        b'<enclosure url="https://x.example/a.mp3" length="1" type="audio/mpeg"/></item>',
    )
    assert parse_feed(with_enclosure, "https://x.example/").stories[0].content_hash != reference
    # feed-level changes (a new lastBuildDate) do not rewrite stories
    rebuilt = _rss_item(**base).replace(
        b"<title>t</title>", b"<title>t</title><lastBuildDate>now</lastBuildDate>"
    )
    assert parse_feed(rebuilt, "https://x.example/").stories[0].content_hash == reference


# --- dates ----------------------------------------------------------------------------------------

EXPECTED_DATES = {
    "rfc822-gmt": utc(2024, 3, 5, 14, 30),
    "rfc822-offset": utc(2024, 3, 5, 19, 30),
    "rfc822-named-zone": utc(2024, 3, 5, 19, 30),
    "rfc822-no-weekday": utc(2024, 3, 5, 14, 30),
    "rfc822-no-seconds": utc(2024, 3, 5, 14, 30),
    "rfc822-two-digit-year": utc(2024, 3, 5, 14, 30),
    "rfc822-wrong-weekday": utc(2024, 3, 5, 14, 30),
    "w3cdtf-dc-date": utc(2024, 3, 5, 13, 30),
    "iso8601-fraction-z": utc(2024, 3, 5, 14, 30),
    "date-only": utc(2024, 3, 5, 0, 0),
    "atom-updated-only": utc(2024, 3, 6, 0, 0),
    "unix-timestamp": utc(2024, 3, 5, 14, 30),
    "portuguese": utc(2024, 3, 5, 14, 30),
    "german-zone-name": utc(2024, 3, 5, 14, 30),
    "french-dotted": utc(2024, 3, 5, 14, 30),
    "spanish-long": utc(2024, 3, 5, 0, 0),
    "unknown-month-word": None,
    "unparseable": None,
    "empty": None,
    "missing": None,
}


def test_dates_in_many_formats() -> None:
    feed = parse("rss20-dates.xml")
    assert feed.error is None
    published = {s.uid: s.published for s in feed.stories}
    assert published == EXPECTED_DATES


def test_published_and_updated_are_kept_apart() -> None:
    by_id = {s.uid: s for s in parse("rss20-dates.xml").stories}
    assert by_id["rfc822-gmt"].updated is None  # pubDate only: no update time
    assert by_id["atom-updated-only"].updated == by_id["atom-updated-only"].published


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2024-06-01T10:00:00+02:00", utc(2024, 6, 1, 8, 0)),
        ("2024-06-01T10:00:00Z", utc(2024, 6, 1, 10, 0)),
        ("2024-06-01T10:00:00.123456z", utc(2024, 6, 1, 10, 0)),
        ("2024-06-01", utc(2024, 6, 1, 0, 0)),
        ("Sat, 01 Jun 2024 10:00:00 GMT", utc(2024, 6, 1, 10, 0)),
        ("1717236000", utc(2024, 6, 1, 10, 0)),
        ("not a date", None),
        ("", None),
    ],
)
def test_jsonfeed_dates(value: str, expected: int | None) -> None:
    doc = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "t",
        "items": [{"id": "1", "content_text": "x", "date_published": value}],
    }
    (story,) = parse_feed(json.dumps(doc).encode(), "https://x.example/").stories
    assert story.published == expected


# --- encodings ------------------------------------------------------------------------------------


def test_undeclared_encoding_comes_from_the_http_charset() -> None:
    feed = parse(
        "rss20-windows-1251-undeclared.xml", content_type="text/xml", charset="windows-1251"
    )
    assert feed.warning is None
    assert feed.title == "Новости библиотеки"
    assert feed.stories[0].title == "Новые поступления: книги о море"
    assert feed.stories[0].text == "Двенадцать книг о кораблях и маяках уже на полках."


def test_undeclared_encoding_without_a_charset_is_read_and_reported() -> None:
    feed = parse("rss20-windows-1251-undeclared.xml")
    assert len(feed.stories) == 1
    assert feed.warning is not None and "encoding" in feed.warning


CJK_STORIES = {
    "shift_jis": ("東京の天気予報", ["明日は晴れのち曇り、午後から雨が降るでしょう。", "週末は気温が下がる見込みです。"]),
    "euc_kr": ("서울 날씨 소식", ["내일은 맑고 오후에 비가 올 예정입니다.", "주말에는 기온이 떨어질 것으로 보입니다."]),
    "gb18030": ("北京天气预报", ["明天晴转多云，下午可能有雨。", "周末气温将会下降，请注意保暖。"]),
    "big5": ("台北天氣預報", ["明天晴時多雲，午後可能有陣雨。", "週末氣溫將會下降，請注意保暖。"]),
}


def undeclared(encoding: str, title: str, lines: list[str]) -> bytes:
    items = "".join(f"<item><guid>{n}</guid><title>{line}</title><description>{line * 3}</description></item>"
                    for n, line in enumerate(lines))
    return f"<rss version='2.0'><channel><title>{title}</title>{items}</channel></rss>".encode(encoding)


@pytest.mark.parametrize("encoding", list(CJK_STORIES))
def test_undeclared_cjk_encodings_are_recognised(encoding: str) -> None:
    title, lines = CJK_STORIES[encoding]
    body = undeclared(encoding, title, lines)
    for parse_with in (parse_feed, reader.parse._parse_with_feedparser):
        feed = parse_with(body, "https://x.example/feed")
        assert feed.title == title
        assert [story.title for story in feed.stories] == lines
        assert "does not say its encoding" in feed.warning and "read as that" in feed.warning


def test_a_cjk_guess_never_overrides_what_the_document_or_server_says() -> None:
    title, lines = CJK_STORIES["shift_jis"]
    body = undeclared("shift_jis", title, lines)
    # the server names another real encoding: believed, as before (and wrong here)
    feed = parse_feed(body, "https://x.example/feed", "text/xml", "iso-8859-1")
    assert feed.title != title and "looks like" not in (feed.warning or "")
    # the document names one: believed
    declared = b"<?xml version='1.0' encoding='iso-8859-1'?>" + body
    assert parse_feed(declared, "https://x.example/feed").title != title
    # a server that says UTF-8 when it is not is no help: the bytes decide
    assert parse_feed(body, "https://x.example/feed", "text/xml", "utf-8").title == title


def test_undeclared_western_text_is_still_read_as_windows_1252() -> None:
    # a detector cannot tell windows-1252 from windows-1250 or Mac Roman; feedparser's fallback stays
    body = ("<rss version='2.0'><channel><title>Café crème</title><item><title>Grüße aus Köln — "
            "“quoted” déjà vu</title></item></channel></rss>").encode("windows-1252")
    feed = parse_feed(body, "https://x.example/feed")
    assert feed.title == "Café crème"
    assert feed.stories[0].title == "Grüße aus Köln — “quoted” déjà vu"
    assert "looks like" not in feed.warning


def test_declared_iso_8859_1() -> None:
    feed = parse("rss20-iso-8859-1-declared.xml")
    assert feed.warning is None
    assert feed.title == "Café Crème - Wochenkarte"
    assert feed.stories[0].title == "Grüne Soße mit Kartoffeln"
    assert feed.stories[0].text == "Sieben Kräuter, frisch gehackt. Preis: £8 · Straße & Hof."


def test_declared_windows_1252() -> None:
    feed = parse("rss20-windows-1252-declared.xml")
    assert feed.title == "“Smart” Quotes Weekly"
    assert feed.stories[0].title == "It’s 5 € – or “free” on Sundays"
    assert feed.stories[0].text == "Prices rose… slightly."


def test_the_documents_declaration_wins_over_the_http_charset() -> None:
    feed = parse(
        "rss20-windows-1252-declared.xml", content_type="application/rss+xml", charset="utf-8"
    )
    assert feed.warning is None
    assert feed.stories[0].title == "It’s 5 € – or “free” on Sundays"
    feed = parse("rss20-iso-8859-1-declared.xml", content_type="text/xml", charset="windows-1251")
    assert feed.stories[0].title == "Grüne Soße mit Kartoffeln"


def test_unknown_declared_encoding_uses_the_http_charset() -> None:
    body = (
        (FEEDS / "rss20-iso-8859-1-declared.xml").read_bytes().replace(b"ISO-8859-1", b"latin-one")
    )
    feed = parse_feed(body, "https://x.example/", "text/xml", "iso-8859-1")
    assert feed.stories[0].title == "Grüne Soße mit Kartoffeln"


def test_utf16_with_bom() -> None:
    feed = parse("rss20-utf-16le-bom.xml")
    assert feed.error is None and feed.warning is None
    assert feed.stories[0].title == "Ünïcödé in UTF-16 — with a BOM"


def test_utf8_bom_and_leading_whitespace_are_not_an_error() -> None:
    body = b"\xef\xbb\xbf\n\n  " + (FEEDS / "rss091.xml").read_bytes()
    feed = parse_feed(body, "https://x.example/")
    assert feed.warning is None and len(feed.stories) == 2


def test_junk_charset_argument_is_ignored() -> None:
    feed = parse("rss091.xml", charset='utf-8"; x="y')
    assert feed.error is None and len(feed.stories) == 2


# --- ill-formed documents and things that are not feeds -------------------------------------------


def test_malformed_but_readable_feed_gives_stories_and_a_warning() -> None:
    feed = parse("rss20-malformed.xml")
    assert feed.error is None
    assert [s.title for s in feed.stories] == [
        "Dumplings at stall 4",
        "Noodles moved",
        "Closing early on Sunday",
    ]
    assert feed.warning is not None
    assert "not well-formed XML" in feed.warning
    assert "line 6" in feed.warning
    assert feed.warning.endswith("3 stories were read anyway")
    assert feed.stories[0].url == "https://market.example.org/stalls/4?day=fri&time=late"


def test_truncated_feed_without_stories_is_an_error() -> None:
    body = (FEEDS / "rss20-full.xml").read_bytes()
    cut = body[: body.index(b"<item>")]
    feed = parse_feed(cut, "https://x.example/")
    assert feed.stories == ()
    assert feed.error is not None and "not well-formed XML" in feed.error


@pytest.mark.parametrize("name", ["rss20-empty.xml", "atom10-empty.xml"])
def test_valid_feed_without_items_is_not_an_error(name: str) -> None:
    feed = parse(name)
    assert feed.error is None and feed.warning is None
    assert feed.stories == ()
    assert feed.title in ("Quiet Feed", "Empty Atom Feed")


def test_html_page() -> None:
    feed = parse("not-a-feed.html")
    assert feed == ParsedFeed(error="not a feed: got an HTML page")
    assert (
        parse("not-a-feed.html", content_type="text/html").error == "not a feed: got an HTML page"
    )
    bare = b"<html><body><p>Hello</p></body></html>"
    assert parse_feed(bare, "https://x.example/").error == "not a feed: got an HTML page"
    no_doctype = b"\n<!-- generated -->\n<HTML lang=en><head><title>x</title></head></HTML>"
    assert parse_feed(no_doctype, "https://x.example/", "text/html; charset=utf-8").error == (
        "not a feed: got an HTML page"
    )


def test_feed_served_as_text_html_is_still_read() -> None:
    feed = parse("rss20-full.xml", content_type="text/html", charset="utf-8")
    assert feed.error is None and len(feed.stories) == 3


@pytest.mark.parametrize("body", [b"", b"   \n\t  ", b"\xef\xbb\xbf"])
def test_empty_response(body: bytes) -> None:
    assert parse_feed(body, "https://x.example/").error == "empty response"


@pytest.mark.parametrize(
    "body",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4,
        bytes(range(256)) * 16,
        b"just some words, no markup at all",
        b"\x00\x01\x02\x03" * 1000,
    ],
    ids=["png", "bytes", "words", "zeros"],
)
def test_binary_or_plain_text_is_not_a_feed(body: bytes) -> None:
    assert (
        parse_feed(body, "https://x.example/").error
        == "not a feed: the response is not XML or JSON"
    )


@pytest.mark.parametrize(
    "body",
    [b'{"hello": "world"}', b"[1, 2, 3]", b'{"version": 2, "entries": []}', b'"string"'],
)
def test_json_that_is_not_a_json_feed(body: bytes) -> None:
    error = parse_feed(body, "https://x.example/", "application/json").error
    assert error in (
        "not a feed: JSON that is not a JSON Feed",
        "not a feed: the response is not XML or JSON",
    )
    if body[:1] in b"{[":
        assert error == "not a feed: JSON that is not a JSON Feed"


def test_broken_json_feed() -> None:
    body = (FEEDS / "jsonfeed10.json").read_bytes()[:200]
    error = parse_feed(body, "https://x.example/").error
    assert error is not None and error.startswith("the JSON Feed is not valid JSON")


def test_xml_that_is_not_a_feed() -> None:
    body = b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>https://x/</loc></url></urlset>'
    error = parse_feed(body, "https://x.example/").error
    assert error is not None and error.startswith("not a feed") and "urlset" in error


def test_gzip_body_is_decompressed() -> None:
    body = gzip.compress((FEEDS / "rss20-full.xml").read_bytes())
    feed = parse_feed(body, "https://x.example/")
    assert feed.error is None and len(feed.stories) == 3


def test_gzip_bomb_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader.parse, "MAX_BODY_BYTES", 1_000_000)
    body = gzip.compress(b"<rss>" + b" " * 5_000_000)
    error = parse_feed(body, "https://x.example/").error
    assert error is not None and "larger than" in error
    assert parse_feed(b"\x1f\x8b\x08\x00garbage", "https://x.example/").error is not None


def test_a_body_that_names_a_file_is_not_opened() -> None:
    # feedparser opens a path or URL given as a string/bytes; we always hand it a stream
    feed = parse_feed(str(FEEDS / "rss091.xml").encode(), "https://x.example/")
    assert feed.stories == () and feed.error is not None


# --- security -------------------------------------------------------------------------------------


def test_external_entity_is_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    body = (FEEDS / "rss20-xxe-external-entity.xml").read_bytes()
    for target in (b"file:///etc/passwd", secret.as_uri().encode()):
        feed = parse_feed(body.replace(b"file:///etc/passwd", target), "https://x.example/")
        everything = repr(feed)
        assert "TOP-SECRET" not in everything and "root:" not in everything
        assert len(feed.stories) == 1
        assert feed.warning is not None and "entities" in feed.warning


def test_billion_laughs_is_harmless() -> None:
    feed, cpu = cpu_seconds(parse_feed, (FEEDS / "rss20-billion-laughs.xml").read_bytes(), "https://x.example/")
    assert cpu < 2  # about 0.03 s; 10^9 "lol"s would take minutes
    assert len(repr(feed)) < 10_000
    assert feed.warning is not None and "entities" in feed.warning


def test_one_large_entity_used_many_times_is_harmless() -> None:
    # feedparser's fallback parser would expand this to 2 GB
    body = (
        b'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY a "' + b"x" * 100_000 + b'">\n]>\n'
        b'<rss version="2.0"><channel><title>t</title><item><title>'
        + b"&a;" * 20_000
        + b"</title></item></channel></rss>"
    )
    feed, cpu = cpu_seconds(parse_feed, body, "https://x.example/")
    assert cpu < 2  # about 0.05 s
    assert len(feed.stories) == 1 and len(feed.stories[0].title) <= 1000


def test_simple_character_entities_still_work() -> None:
    body = (
        b'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY nbsp "&#160;">\n<!ENTITY mdash "&#8212;">\n]>\n'
        b'<rss version="2.0"><channel><title>a&mdash;b</title><item><title>x&nbsp;y</title></item>'
        b"</channel></rss>"
    )
    feed = parse_feed(body, "https://x.example/")
    assert feed.warning is None
    assert feed.title == "a—b"
    assert feed.stories[0].title == "x y"


def test_hostile_text_never_reaches_the_terminal() -> None:
    feed = parse("rss20-hostile-text.xml")
    assert_feed_safe(feed)
    bidi, ansi = feed.stories
    assert feed.title == "Hostile Text Feed"
    assert bidi.title == "Bidi override and isolate in a title"
    assert bidi.text == "Paragraph with gnirts desrever inside."
    assert ansi.title == "Escape red in a title"
    assert ansi.text == "Clipboard write and a link here."


def test_only_web_links_are_kept() -> None:
    body = (
        b'<rss version="2.0"><channel><title>t</title><link>javascript:alert(1)</link>'
        b"<item><title>a</title><link>javascript:alert(1)</link>"
        b'<enclosure url="file:///etc/passwd" type="text/plain"/>'
        b'<enclosure url="data:text/html,x" type="text/html"/>'
        b'<enclosure url="magnet:?xt=urn:btih:abc" type="application/x-bittorrent"/></item>'
        b"</channel></rss>"
    )
    feed = parse_feed(body, "https://x.example/")
    assert feed.site_url is None
    (story,) = feed.stories
    assert story.url is None
    assert [e.url for e in story.enclosures] == ["magnet:?xt=urn:btih:abc"]


def test_enormous_fields_are_capped() -> None:
    huge_title = "t" * 5_000_000
    huge_text = "<p>" + "word " * 1_000_000 + "</p>"
    body = (
        f'<rss version="2.0"><channel><title>{huge_title}</title><item><title>{huge_title}</title>'
        f"<description><![CDATA[{huge_text}]]></description></item></channel></rss>"
    ).encode()
    feed, cpu = cpu_seconds(parse_feed, body, "https://x.example/")
    assert cpu < 5  # about 0.12 s
    (story,) = feed.stories
    assert len(feed.title or "") <= 1000
    assert len(story.title) <= 1000
    assert len(story.text) <= 200_000


# --- robustness -----------------------------------------------------------------------------------


def test_parse_feed_never_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(reader.parse.feedparser, "parse", explode)
    feed = parse("rss091.xml")
    assert feed.stories == ()
    assert feed.error is not None and "boom" in feed.error


def test_parse_feed_and_its_results_pickle() -> None:
    assert pickle.loads(pickle.dumps(parse_feed)) is parse_feed
    for name in ("rss20-full.xml", "atom10-full.xml", "jsonfeed11.json"):
        feed = parse(name)
        assert pickle.loads(pickle.dumps(feed)) == feed


@pytest.mark.parametrize("name", sorted(p.name for p in FEEDS.iterdir()))
def test_every_data_file_parses_safely(name: str) -> None:
    feed = parse(name)
    assert_feed_safe(feed)
    assert (feed.error is None) != (name == "not-a-feed.html")


relaxed = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@relaxed
@given(st.binary(max_size=2000))
def test_any_bytes_give_a_value(body: bytes) -> None:
    feed = parse_feed(body, "https://x.example/feed")
    assert isinstance(feed, ParsedFeed)
    assert_feed_safe(feed)


nasty = st.lists(
    st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from(
            [
                "\x1b",
                "\x9b",
                "\u202e",
                "\ufeff",
                "<",
                "&",
                "]]>",
                "\n",
                "\x00",
                "&#27;",
                "<p>",
                "\x1b[31m",
            ]
        ),
    ),
    max_size=40,
).map("".join)


@relaxed
@given(title=nasty, description=nasty, link=nasty, author=nasty, date=nasty)
def test_any_item_text_gives_safe_stories(
    title: str, description: str, link: str, author: str, date: str
) -> None:
    def cdata(s: str) -> str:
        return "<![CDATA[" + s.replace("]]>", "]]]]><![CDATA[>") + "]]>"

    body = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title><item>'
        f"<title>{cdata(title)}</title><description>{cdata(description)}</description>"
        f"<link>{cdata(link)}</link><author>{cdata(author)}</author><pubDate>{cdata(date)}</pubDate>"
        "</item></channel></rss>"
    ).encode("utf-8", "surrogatepass")
    feed = parse_feed(body, "https://x.example/feed")
    assert_feed_safe(feed)
    assert feed.error is None or feed.stories == ()


@relaxed
@given(
    title=nasty,
    body_text=nasty,
    item_id=st.one_of(nasty, st.integers(), st.none(), st.lists(st.integers())),
)
def test_any_json_item_gives_safe_stories(title: str, body_text: str, item_id: object) -> None:
    doc = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": title,
        "items": [
            {
                "id": item_id,
                "title": title,
                "content_html": body_text,
                "summary": body_text,
                "url": body_text,
                "authors": [{"name": title}],
                "date_published": body_text,
            }
        ],
    }
    feed = parse_feed(json.dumps(doc).encode("utf-8", "surrogatepass"), "https://x.example/feed")
    assert feed.error is None
    assert len(feed.stories) == 1
    assert_feed_safe(feed)


# --- speed ----------------------------------------------------------------------------------------


def make_rss(items: int) -> bytes:
    parts = [
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Bench</title>'
        "<link>https://bench.example/</link>"
    ]
    for i in range(items):
        parts.append(
            f"<item><title>Story number {i} about the council &amp; the budget</title>"
            f"<link>https://bench.example/{i}</link><guid>https://bench.example/{i}</guid>"
            "<pubDate>Tue, 05 Mar 2024 14:30:00 GMT</pubDate>"
            "<description><![CDATA[<p>Council members met on <a href='https://bench.example/x'>Tuesday"
            "</a> to discuss the new cycle lane plan, which would run from the station to the "
            "hospital.</p><p>Residents have until Friday to comment.</p>]]></description></item>"
        )
    parts.append("</channel></rss>")
    return "".join(parts).encode()


def test_a_hundred_item_feed_parses_quickly() -> None:
    body = make_rss(100)
    feed, elapsed = cpu_seconds(parse_feed, body, "https://bench.example/feed", runs=2)
    assert len(feed.stories) == 100
    assert elapsed < 2.0, f"{elapsed * 500:.0f} ms for 100 items"  # about 30 ms each


# --- the shape caps: attributes per element, depth ------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(
    counts=st.lists(st.integers(0, 140), min_size=1, max_size=4),
    quote=st.sampled_from(["'", '"']),
    space=st.sampled_from([" ", "\n", "  \t"]),
)
def test_only_elements_with_more_than_100_attributes_lose_any(counts: list[int], quote: str, space: str) -> None:
    def element(n: int) -> bytes:
        attrs = "".join(f"{space}a{i}{space}={quote}v>{i}{quote}" for i in range(n))
        return f"<x{attrs}/>".encode()

    body = b"<rss version='2.0'><channel><item><title>t</title>" + b"".join(map(element, counts)) + b"</item></channel></rss>"
    thinned, crowded = reader.parse._thin_crowded_elements(body)
    assert crowded == any(n > 100 for n in counts)
    assert thinned == b"<rss version='2.0'><channel><item><title>t</title>" + b"".join(
        element(n)[: len(element(min(n, 100))) - 2] + b"/>" for n in counts) + b"</item></channel></rss>"


@settings(max_examples=200, deadline=None)
@given(tree=st.recursive(st.just("text"), lambda children: st.lists(children, max_size=3), max_leaves=60),
       limit=st.integers(0, 12))
def test_the_depth_count_of_a_well_formed_document_is_its_depth(tree, limit: int) -> None:
    def render(node, name="n") -> str:
        if node == "text":
            return "t &amp; <e/> <![CDATA[ x ]]>"
        return f"<{name}>" + "".join(render(child, f"n{i}") for i, child in enumerate(node)) + f"</{name}>"

    def depth(node) -> int:
        return 0 if node == "text" else 1 + max((depth(c) for c in node), default=0)

    body = render(tree if tree != "text" else []).encode()
    assert reader.parse._nested_deeper_than(body, limit) == (depth(tree if tree != "text" else []) > limit)
