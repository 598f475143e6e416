"""Reading OPML and newsboat subscription lists, writing OPML, and the round trip between them."""

from __future__ import annotations

import re
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reader.models import Feed
from reader.opml import ImportResult, Subscription, read_subscriptions, write_opml
from tests.conftest import DATA, T0

OPML = DATA / "opml"


def read(name: str) -> ImportResult:
    return read_subscriptions((OPML / name).read_bytes(), name)


def fixed_clock() -> float:
    return T0


# -- OPML ----------------------------------------------------------------------------------


def test_opml_2_feeds_in_document_order_with_nested_folders():
    result = read("subscriptions-2.0.opml")
    assert result.format == "opml"
    assert result.subscriptions == (
        Subscription(
            "https://harbour.example.org/feed.xml",
            "Harbour Gazette",
            None,
            "https://harbour.example.org/",
        ),
        Subscription(
            "https://kc.example.net/atom.xml?tag=a&b=c",
            "Kernel & Compilers",
            "Technology",
            "https://kc.example.net/",
        ),
        Subscription("https://distro.example.com/rss", 'Weekly "Distro" Notes', "Technology/Linux"),
        Subscription("https://tux.example.com/index.xml", "Preferred title", "Technology/Linux"),
        Subscription("https://cafe.example.fr/feed/", "Café Électronique", "Technology"),
        # A folder titled "News/World" is the folder World inside News.
        Subscription("https://wire.example.org/world.rss", "Slash Folder Wire", "News/World"),
    )


def test_opml_reports_what_it_left_out():
    skipped = read("subscriptions-2.0.opml").skipped
    assert len(skipped) == 3
    duplicate, bookmark, local = skipped
    assert "Harbour Gazette again" in duplicate and "more than once" in duplicate
    assert "A bookmark" in bookmark and "no feed address" in bookmark
    assert "file:///etc/hostname" in local and "not a web address" in local


def test_opml_1_without_head_in_latin_1_with_odd_attribute_case():
    result = read("subscriptions-1.0.opml")
    assert result.subscriptions == (
        Subscription(
            "http://radio.example.com/rss.xml", "Radio Notes", None, "http://radio.example.com/"
        ),
        Subscription("http://garden.example.de/index.rss", "Gärtner's Log", "Blogs"),
        Subscription("http://untitled.example.com/feed", None, "Blogs"),
        # Blank titles are no titles; the address loses its surrounding spaces.
        Subscription("http://blank-title.example.com/atom", None, "Blogs"),
    )
    assert result.skipped == ()


def test_outlines_directly_under_opml_without_body():
    data = b'<opml><outline text="Loose" xmlUrl="https://loose.example.org/rss"/></opml>'
    assert read_subscriptions(data).subscriptions == (
        Subscription("https://loose.example.org/rss", "Loose"),
    )


def test_a_folder_without_a_name_adds_no_level():
    data = (
        b'<opml version="2.0"><body><outline text="A"><outline text="  ">'
        b'<outline text="f" xmlUrl="https://f.example.org/"/></outline></outline></body></opml>'
    )
    assert read_subscriptions(data).subscriptions[0].folder == "A"


def test_a_slash_in_a_folder_title_nests_and_empty_segments_vanish():
    data = (
        b'<opml><body><outline text=" News / /World/ "><outline text="Sport">'
        b'<outline text="f" xmlUrl="https://f.example.org/"/></outline></outline></body></opml>'
    )
    assert read_subscriptions(data).subscriptions[0].folder == "News/World/Sport"


def test_deep_nesting_reads_and_writes_without_recursion():
    depth = 5000
    data = (
        b"<opml><body>"
        + b'<outline text="f">' * depth
        + b'<outline text="deep" xmlUrl="https://deep.example.org/"/>'
        + b"</outline>" * depth
        + b"</body></opml>"
    )
    (deep,) = read_subscriptions(data).subscriptions
    assert deep.folder == "/".join(["f"] * depth)
    assert read_subscriptions(write_opml([deep]).encode()).subscriptions == (deep,)


def test_a_bare_doctype_is_harmless_and_accepted():
    data = b'<!DOCTYPE opml><opml><body><outline xmlUrl="https://ok.example.org/"/></body></opml>'
    assert [s.url for s in read_subscriptions(data).subscriptions] == ["https://ok.example.org/"]


def test_an_empty_opml_file_has_no_subscriptions():
    result = read_subscriptions(b'<?xml version="1.0"?><opml version="2.0"><head/><body/></opml>')
    assert result == ImportResult((), (), "opml")


def test_utf_16_opml_with_byte_order_mark():
    text = (
        '<?xml version="1.0" encoding="UTF-16"?>'
        '<opml><body><outline text="Ünï" xmlUrl="https://u.example.org/"/></body></opml>'
    )
    result = read_subscriptions(text.encode("utf-16"))
    assert result.subscriptions == (Subscription("https://u.example.org/", "Ünï"),)


# -- hostile XML ---------------------------------------------------------------------------


def test_billion_laughs_is_refused_before_any_expansion():
    started = time.perf_counter()
    with pytest.raises(ValueError, match="declares a DTD or XML entities"):
        read("billion-laughs.opml")
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize(
    "doctype",
    [
        '<!DOCTYPE opml [<!ENTITY secret SYSTEM "{uri}">]>',
        '<!DOCTYPE opml [<!ENTITY % remote SYSTEM "{uri}"> %remote;]>',
        '<!DOCTYPE opml SYSTEM "{uri}">',
        '<!DOCTYPE opml PUBLIC "-//Example//DTD Evil//EN" "{uri}">',
    ],
    ids=["external-entity", "parameter-entity", "external-dtd", "public-dtd"],
)
def test_external_entities_never_read_local_files(tmp_path: Path, doctype: str):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-TOKEN")
    body = (
        '<?xml version="1.0"?>'
        + doctype.format(uri=secret.as_uri())
        + '<opml><body><outline text="&secret;" title="x" xmlUrl="https://e.example.org/"/>'
        "</body></opml>"
    )
    with pytest.raises(ValueError, match="refusing to read") as caught:
        read_subscriptions(body.encode(), "evil.opml")
    assert "TOP-SECRET-TOKEN" not in str(caught.value)
    assert "evil.opml" in str(caught.value)


def test_an_internal_entity_is_refused_too():
    data = (
        b'<!DOCTYPE opml [<!ENTITY name "Harmless">]>'
        b'<opml><body><outline text="&name;" xmlUrl="https://e.example.org/"/></body></opml>'
    )
    with pytest.raises(ValueError, match="refusing to read"):
        read_subscriptions(data)


def test_an_undeclared_entity_is_not_well_formed():
    data = (
        b'<opml><body><outline text="&undefined;" xmlUrl="https://e.example.org/"/>'
        b"</body></opml>"
    )
    expected = r"not an OPML file: .* not well-formed XML \(undefined entity"
    with pytest.raises(ValueError, match=expected):
        read_subscriptions(data)


# -- what is not a subscription list -------------------------------------------------------


def test_truncated_xml_says_where_it_broke():
    with pytest.raises(ValueError) as caught:
        read("truncated.opml")
    message = str(caught.value)
    assert message.startswith("not an OPML file: truncated.opml is not well-formed XML")
    assert "line 5" in message


def test_a_feed_is_not_a_subscription_list():
    with pytest.raises(ValueError, match=r"not an OPML file: .* is a feed \(<rss>\)"):
        read("a-feed-not-a-list.xml")


def test_a_feed_with_a_netscape_dtd_is_called_a_feed_not_unsafe():
    # RSS 0.91 feeds carry <!DOCTYPE rss SYSTEM "...rss-0.91.dtd">: refused as "declares a DTD",
    # the user was not told the file is a feed to add, not a list.
    data = (b'<?xml version="1.0"?>\n<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN"'
            b' "http://my.netscape.com/publish/formats/rss-0.91.dtd">\n<rss version="0.91"><channel/></rss>')
    with pytest.raises(ValueError, match=r"not an OPML file: news\.rss is a feed \(<rss>\).*its address"):
        read_subscriptions(data, "news.rss")
    with pytest.raises(ValueError, match=r"refusing to read"):  # any other DTD is still refused
        read_subscriptions(data.replace(b"rss", b"opml"), "list.opml")


def test_a_newsboat_file_of_query_feeds_and_a_stray_word_is_not_refused():
    result = read_subscriptions(b'"query:Unread:unread = \\"yes\\""\nunread-only\n')
    assert result.subscriptions == () and len(result.skipped) == 2


def test_other_xml_is_not_a_subscription_list():
    with pytest.raises(ValueError, match=r"another kind \(<svg>\).*starts with <opml>"):
        read_subscriptions(b'<svg xmlns="http://www.w3.org/2000/svg"/>', "drawing.svg")


NEITHER = r"^notes\.txt is neither an OPML file nor a newsboat urls file: "


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", r"^notes\.txt is empty"),
        (b" \n\t\n", r"^notes\.txt is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", NEITHER + r"it holds binary data"),
        (
            b"Dear diary,\nToday I subscribed to nothing.\n",
            NEITHER + r"line 1 starts with 'Dear' where a feed address",
        ),
        (
            # A word with a colon reads like a URL scheme; it once kept prose "a newsboat file"
            # of nothing but skipped lines (this README gave "Imported 0 feeds" and 110 of them).
            b"# Notes\n\nExamples:\nDear diary, nothing today.\n",
            NEITHER + r"line 3 starts with 'Examples:' where a feed address",
        ),
    ],
    ids=["empty", "blank", "binary", "prose", "prose-with-a-colon"],
)
def test_neither_format_is_explained(data: bytes, expected: str):
    with pytest.raises(ValueError, match=expected):
        read_subscriptions(data, "notes.txt")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400) | st.text(max_size=400).map(str.encode))
def test_any_bytes_give_subscriptions_or_a_value_error(data: bytes):
    try:
        result = read_subscriptions(data)
    except ValueError as exc:
        assert str(exc)
    else:
        assert all(s.url.startswith(("http://", "https://")) for s in result.subscriptions)


# -- newsboat ------------------------------------------------------------------------------


def test_newsboat_urls_file():
    result = read("newsboat-urls")
    assert result.format == "newsboat"
    assert result.subscriptions == (
        Subscription("https://plain.example.org/feed.xml"),
        Subscription("https://tagged.example.org/rss", folder="tech"),
        Subscription("https://titled.example.org/atom.xml", "Titled Journal", "news"),
        Subscription("https://indented.example.org/feed"),
        # "!hidden" hides the feed in newsboat; we keep the feed and ignore the tag.
        Subscription("https://hidden.example.org/rss", "Hidden but Kept", "reading/long-form"),
        Subscription("https://quoted.example.org/rss", 'Say "hello" \\ goodbye', "two words"),
        Subscription("https://fragment.example.org/page#section", "Hash in URL"),
        Subscription("https://glued.example.org/rss", "Glued", "folder"),
    )


def test_newsboat_skipped_lines_are_reported_by_line_number():
    skipped = read("newsboat-urls").skipped
    assert [re.match(r"line (\d+):", s).group(1) for s in skipped] == ["13", "14", "15", "16", "17"]
    query, exec_, filter_, duplicate, junk = skipped
    assert 'query:Unread Articles:unread = "yes"' in query and "query feed" in query
    assert "exec:~/bin/weather-to-rss" in exec_ and "command" in exec_
    assert "filter feed" in filter_
    assert filter_.endswith("(newsdesk add https://filtered.example.org/rss subscribes to it unfiltered)")
    assert "more than once" in duplicate
    assert "'not-a-url' is not a feed address" in junk


A = "https://a.example.org/"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (f'{A} "~Unterminated title', Subscription(A, "Unterminated title")),
        (f'{A} "~Tab\\there"', Subscription(A, "Tab\there")),
        (f'{A} "" "~"', Subscription(A)),
        (f'{A} "~First" "~Second"', Subscription(A, "First")),
        (f'{A} "!" "Folder"', Subscription(A, folder="Folder")),
        (f'{A} "/Outer//Inner/"', Subscription(A, folder="Outer/Inner")),
        (f'{A}#x #comment "~Not a title"', Subscription(A + "#x")),
        (f'"{A}quoted" tag', Subscription(A + "quoted", folder="tag")),
    ],
    ids=[
        "unterminated", "escape", "empty-tags", "first-title", "bare-bang", "slashes", "comment",
        "quoted-url",
    ],
)
def test_newsboat_quoting(line: str, expected: Subscription):
    assert read_subscriptions(line.encode()).subscriptions == (expected,)


def test_newsboat_file_in_latin_1_keeps_its_titles():
    data = 'https://a.example.org/ "~Café Crème" "Nouvelles du jour"\r\n'.encode("latin-1")
    assert read_subscriptions(data).subscriptions == (
        Subscription("https://a.example.org/", "Café Crème", "Nouvelles du jour"),
    )


def test_newsboat_file_of_comments_only_is_empty_not_an_error():
    assert read_subscriptions(b"# nothing yet\n\n").subscriptions == ()


def test_newsboat_local_file_urls_are_skipped_not_fatal():
    result = read_subscriptions(b"file:///home/me/feed.xml\n")
    assert result.subscriptions == ()
    assert "not a web address" in result.skipped[0]


# -- writing -------------------------------------------------------------------------------


def feed(id: int, url: str, title=None, folder=None, site_url=None) -> Feed:
    return Feed(id=id, url=url, title=title, folder=folder, site_url=site_url)


def test_write_opml_2_with_nested_folders():
    text = write_opml(
        [
            feed(1, "https://top.example.org/rss", "Top", None, "https://top.example.org/"),
            feed(2, "https://linux.example.org/rss", "Linux Weekly", "Tech/Linux"),
            feed(3, "https://tech.example.org/rss", None, "Tech"),
        ],
        title="My & your feeds",
        clock=fixed_clock,
    )
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    root = ET.fromstring(text.encode("utf-8"))
    assert root.tag == "opml" and root.get("version") == "2.0"
    assert root.findtext("head/title") == "My & your feeds"
    assert root.findtext("head/dateCreated") == "Sun, 01 Mar 2026 12:00:00 GMT"
    top, tech = root.find("body")
    assert top.attrib == {
        "type": "rss",
        "text": "Top",
        "title": "Top",
        "xmlUrl": "https://top.example.org/rss",
        "htmlUrl": "https://top.example.org/",
    }
    assert tech.attrib == {"text": "Tech", "title": "Tech"}
    linux, untitled = tech
    assert linux.attrib == {"text": "Linux", "title": "Linux"}
    assert linux[0].get("xmlUrl") == "https://linux.example.org/rss"
    # No title: an empty text and no title attribute, so nothing invented comes back on import.
    assert untitled.attrib == {"type": "rss", "text": "", "xmlUrl": "https://tech.example.org/rss"}


def test_write_escapes_markup_and_drops_characters_xml_cannot_hold():
    title = 'A & B <c> "quoted" \'single\'\x00\x07\x1b\ufffe end\tx\ny\r\nz'
    kept = 'A & B <c> "quoted" \'single\' end\tx\ny\r\nz'
    text = write_opml([feed(1, "https://e.example.org/?a=1&b=2", title, 'Q&A "folder" <x>')])
    assert "\x00" not in text and "\x1b" not in text and "\ufffe" not in text
    outline = ET.fromstring(text.encode("utf-8")).find("body/outline/outline")
    assert outline.get("title") == kept
    assert outline.get("xmlUrl") == "https://e.example.org/?a=1&b=2"
    assert read_subscriptions(text.encode()).subscriptions == (
        Subscription("https://e.example.org/?a=1&b=2", kept, 'Q&A "folder" <x>'),
    )


def test_addresses_lose_characters_xml_cannot_hold():
    feeds = [feed(1, "https://e.example.org/\x01a\x1fb", site_url="https://e.example.org/\x0b")]
    text = write_opml(feeds)
    outline = ET.fromstring(text.encode("utf-8")).find("body/outline")
    assert outline.get("xmlUrl") == "https://e.example.org/ab"
    assert outline.get("htmlUrl") == "https://e.example.org/"


def test_store_export_then_import_round_trips(store):
    store.add_feed("https://b.example.org/rss", title="Bravo", folder="News")
    store.add_feed("https://a.example.org/rss", title="Alpha", folder="News/Local")
    store.add_feed("https://c.example.org/rss", site_url="https://c.example.org/")
    store.add_feed("https://d.example.org/rss", title="Delta", folder="Tech")
    feeds = store.list_feeds()
    result = read_subscriptions(write_opml(feeds).encode("utf-8"), "export.opml")
    assert result.skipped == ()
    assert result.subscriptions == tuple(
        Subscription(f.url, f.title, f.folder, f.site_url) for f in feeds
    )


def test_feeds_read_back_grouped_by_folder_where_the_folder_first_appears():
    feeds = [
        Subscription("https://1.example.org/", "one", "X"),
        Subscription("https://2.example.org/", "two"),
        Subscription("https://3.example.org/", "three", "X/Y"),
        Subscription("https://4.example.org/", "four", "X"),
    ]
    back = read_subscriptions(write_opml(feeds).encode()).subscriptions
    assert [s.title for s in back] == ["one", "three", "four", "two"]


# -- round trip, property-based ------------------------------------------------------------

# Text as a person might type it, including markup characters, quotes, slashes and controls.
any_text = st.text(
    st.characters(codec="utf-8") | st.sampled_from('&<>"\'/\t\n\r\x00\x01\x1f\x7f\x85\ufeff\ufffe'),
    max_size=30,
)
url_chars = st.characters(
    codec="utf-8", exclude_categories=("Cc", "Cs", "Cn", "Zs", "Zl", "Zp")
) | st.sampled_from("&<>\"'?=#%;")
urls = st.builds(
    "{}://{}.example.{}/{}".format,
    st.sampled_from(["http", "https"]),
    st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True),
    st.sampled_from(["org", "com", "net"]),
    st.text(url_chars, max_size=40),
)
XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def clean(text: str | None) -> str | None:
    """The documented normalisation: drop what XML cannot hold, strip, empty means none."""
    if text is None:
        return None
    return XML_CHAR.sub("", text).strip() or None


def clean_folder(folder: str | None) -> str | None:
    parts = [clean(p) for p in (folder or "").split("/")]
    return "/".join(p for p in parts if p) or None


def tree_order(subs: list[Subscription]) -> list[Subscription]:
    """Feeds grouped by folder, each folder where its first feed was: the reference for export."""
    first: dict[tuple[str, ...], int] = {}
    for i, sub in enumerate(subs):
        parts = tuple((sub.folder or "").split("/")) if sub.folder else ()
        for depth in range(1, len(parts) + 1):
            first.setdefault(parts[:depth], i)

    def key(item: tuple[int, Subscription]) -> tuple[int, ...]:
        i, sub = item
        parts = tuple(sub.folder.split("/")) if sub.folder else ()
        return tuple(first[parts[:d]] for d in range(1, len(parts) + 1)) + (i,)

    return [sub for _, sub in sorted(enumerate(subs), key=key)]


clean_titles = any_text.map(clean)
clean_folders = st.lists(
    st.sampled_from(["News", "Tech", "Café", "A & B", "<x>"])
    | any_text.map(lambda t: clean(t.replace("/", ""))),
    max_size=3,
).map(lambda parts: clean_folder("/".join(p for p in parts if p)))
subscriptions = st.builds(
    Subscription, url=urls, title=clean_titles, folder=clean_folders, site_url=st.none() | urls
)


@settings(max_examples=200, deadline=None)
@given(st.lists(subscriptions, max_size=12, unique_by=lambda s: s.url))
def test_export_import_round_trips_exactly(subs: list[Subscription]):
    subs = tree_order(subs)  # the order a store lists feeds in: folder by folder
    result = read_subscriptions(write_opml(subs, clock=fixed_clock).encode("utf-8"))
    assert result.skipped == ()
    assert list(result.subscriptions) == subs


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.builds(Subscription, url=urls, title=st.none() | any_text, folder=st.none() | any_text),
        max_size=12,
        unique_by=lambda s: s.url,
    ),
    any_text,
)
def test_any_names_come_back_normalised_and_grouped(subs: list[Subscription], list_title: str):
    expected = tree_order(
        [Subscription(s.url, clean(s.title), clean_folder(s.folder)) for s in subs]
    )
    result = read_subscriptions(write_opml(subs, title=list_title).encode("utf-8"))
    assert list(result.subscriptions) == expected
