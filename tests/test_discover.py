"""Feed autodiscovery from web pages, and telling feeds from pages."""

from __future__ import annotations

import json
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reader.discover import FeedLink, find_feed_links, looks_like_feed, looks_like_html
from tests.conftest import DATA

PAGES = DATA / "pages"
RSS_TYPE, ATOM_TYPE = "application/rss+xml", "application/atom+xml"


def links(name: str, base_url: str, **kwargs) -> list[FeedLink]:
    return find_feed_links((PAGES / name).read_bytes(), base_url, **kwargs)


# -- <link rel="alternate"> ----------------------------------------------------------------


def test_declared_feeds_in_document_order_resolved_and_deduplicated():
    blog = "https://lighthouse.example.org/blog/"
    assert links("several-feeds.html", blog) == [
        FeedLink(blog + "feed.xml", "All posts", RSS_TYPE),
        # The fragment goes; the same address again later ("Duplicate of the first") is dropped.
        FeedLink(blog + "atom.xml", "All posts (Atom)", ATOM_TYPE),
        # rel="home alternate": one of several tokens.
        FeedLink(blog + "feed.json", "JSON Feed", "application/feed+json"),
        # Not the WordPress REST API link (application/json under /wp-json/), not javascript:,
        # not the link without href; a scheme-relative address takes the page's scheme.
        FeedLink("https://comments.example.org/lighthouse.rss", "Comments", RSS_TYPE),
        # Declared in the body: still a declaration, in its place in the document.
        FeedLink(blog + "late.xml", "Late declaration", "text/xml"),
    ]


def test_base_href_applies_to_every_link_and_only_the_first_base_counts():
    assert links("base-href.html", "https://almanac.example.com/2026/03/") == [
        FeedLink("https://static.example.net/almanac/almanac.rss", "Before the base", RSS_TYPE),
        FeedLink("https://static.example.net/atom/all.xml", "Relative to the base", ATOM_TYPE),
        FeedLink("https://static.example.net/rooted.atom", "Rooted", ATOM_TYPE),
        FeedLink("https://almanac.example.com/rss", "Absolute", RSS_TYPE),
    ]


def test_a_relative_base_href_is_resolved_against_the_page():
    page = b'<base href="/mirror/"><link rel=alternate type=application/rss+xml href=feed.rss>'
    assert [link.url for link in find_feed_links(page, "https://e.example.org/a/b")] == [
        "https://e.example.org/mirror/feed.rss"
    ]


def test_a_javascript_base_is_ignored():
    page = b'<base href="javascript:void(0)"><link rel=alternate type=text/xml href=a.xml>'
    assert [link.url for link in find_feed_links(page, "https://e.example.org/x/")] == [
        "https://e.example.org/x/a.xml"
    ]


@pytest.mark.parametrize(
    ("rel", "type_", "found"),
    [
        ("alternate", "application/rss+xml", True),
        ("ALTERNATE", "APPLICATION/ATOM+XML", True),
        ("  feed\talternate  ", "application/atom+xml", True),
        ("alternate", "application/rss+xml; charset=UTF-8", True),
        ("alternate", "application/json", True),
        ("alternate", "text/html", False),
        ("alternative", "application/rss+xml", False),
        ("stylesheet", "application/rss+xml", False),
        ("alternate", "", False),
    ],
)
def test_rel_tokens_and_types(rel: str, type_: str, found: bool):
    page = f'<link rel="{rel}" type="{type_}" href="/f">'
    assert bool(find_feed_links(page, "https://e.example.org/")) is found


def test_charset_from_meta_decodes_titles():
    assert links("windows-1252.html", "https://cafe.example.fr/") == [
        FeedLink("https://cafe.example.fr/caf%C3%A9/rss", "Café Journal — Frédéric", RSS_TYPE),
        FeedLink("https://cafe.example.fr/creme.rss", "Crème Brûlée", RSS_TYPE),
    ]


def test_charset_from_the_header_comes_before_guessing():
    page = '<link rel=alternate type=text/xml title="Ærøskøbing" href=/f>'.encode("cp1252")
    assert find_feed_links(page, "https://e.example.org/")[0].title != "Ærøskøbing"
    found = find_feed_links(page, "https://e.example.org/", charset="windows-1252")
    assert found[0].title == "Ærøskøbing"


# -- the <a href> fallback -----------------------------------------------------------------


def test_without_declarations_feed_like_anchors_are_used_own_host_first():
    assert links("anchor-feeds.html", "https://www.allotment.example.org/diary/") == [
        FeedLink("https://www.allotment.example.org/feed/", "Subscribe (RSS)"),
        FeedLink("https://www.allotment.example.org/posts/index.xml", "📰"),
        FeedLink("https://feeds.feedburner.com/allotment-diary", "Subscribe via FeedBurner"),
        FeedLink("https://elsewhere.example.com/feed/", "A friend's feed"),
    ]


def test_anchors_are_ignored_when_the_page_declares_a_feed():
    found = links("several-feeds.html", "https://lighthouse.example.org/blog/")
    assert "https://lighthouse.example.org/blog/other-feed.rss" not in [f.url for f in found]


@pytest.mark.parametrize(
    ("href", "found"),
    [
        ("/feed", True),
        ("/blog/rss/", True),
        ("/news.rss", True),
        ("/atom.xml", True),
        ("/index.xml", True),
        ("/feed.json", True),
        ("/?feed=rss2", True),
        ("https://feeds.feedburner.com/x", True),
        ("/sitemap.xml", False),
        ("/feedback", False),
        ("/about", False),
        ("mailto:rss@example.org", False),
    ],
)
def test_which_anchors_look_like_feeds(href: str, found: bool):
    page = f'<a href="{href}">link</a>'
    assert bool(find_feed_links(page, "https://e.example.org/")) is found


def test_a_page_without_feeds_gives_nothing():
    assert links("no-feeds.html", "https://plain.example.org/") == []


# -- garbage -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "page",
    [
        b"",
        b"\x00\x01\x02\xff\xfe",
        b"\xff\xfe<\x00h\x00",
        b"<<<<>>>><a href=",
        b'<link rel=alternate type=application/rss+xml href="http://[::1">',
        b"<![CDATA[ <link rel=alternate type=application/rss+xml href=/x>",
        b'<meta charset="no-such-charset"><a href="/feed">',
        "<a href='/feed'>\ud800</a>",
    ],
)
def test_garbage_never_raises(page: bytes | str):
    assert isinstance(find_feed_links(page, "https://e.example.org/"), list)


MARKUP = "<>/=\"' &#;!-?[]ahreflinkbs\n\x00"


@settings(max_examples=300, deadline=None)
@given(
    st.binary(max_size=300)
    | st.text(st.sampled_from(list(MARKUP)) | st.characters(), max_size=300)
)
def test_any_input_gives_a_list_of_http_links(page: bytes | str):
    for link in find_feed_links(page, "https://e.example.org/"):
        assert link.url.startswith(("http://", "https://"))


def test_hostile_markup_is_read_in_linear_time():
    # html.parser takes seconds on 40 kB of this; a page can be megabytes.
    page = "<a b='" * 200_000
    started = time.perf_counter()
    find_feed_links(page, "https://e.example.org/")
    assert time.perf_counter() - started < 2.0


# -- is it a feed or a page? ---------------------------------------------------------------

RSS = b'<?xml version="1.0" encoding="utf-8"?>\n<!-- made by hand -->\n<rss version="2.0"/>'
RSS_091 = (
    b'<?xml version="1.0"?>\n<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN"'
    b' "http://my.netscape.com/publish/formats/rss-0.91.dtd">\n<rss version="0.91"/>'
)
RDF = b'\xef\xbb\xbf<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>'
ATOM_UTF16 = '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"/>'.encode("utf-16")
JSON_FEED = b'{"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": []}'
JSON_FEED_VERSION_LAST = json.dumps(
    {"items": [{"id": str(i), "content_text": "x" * 100} for i in range(1000)],
     "version": "https://jsonfeed.org/version/1"}
).encode()
HTML5 = b"<!doctype html>\n<html><head><title>t</title></head></html>"
XHTML = (
    b'<?xml version="1.0"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN"'
    b' "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\n'
    b'<html xmlns="http://www.w3.org/1999/xhtml"/>'
)
FRAGMENT = b"\n\n<div class=main><p>No html element at all</p></div>"
PHP_WARNING = b"Warning: Undefined variable $x in /srv/index.php on line 3\n<html><body>"


@pytest.mark.parametrize(
    ("body", "content_type", "feed", "html"),
    [
        (RSS, "application/rss+xml", True, False),
        (RSS, "text/html; charset=utf-8", True, False),  # the body wins over a wrong header
        (RSS_091, None, True, False),
        (RDF, "text/xml", True, False),
        (ATOM_UTF16, None, True, False),
        (JSON_FEED, "application/json", True, False),
        (JSON_FEED_VERSION_LAST, None, True, False),
        (b'{"version": "1.0", "items": []}', "application/json", False, False),
        (b'{"items": []}', "application/feed+json", True, False),
        (b"[1, 2, 3]", None, False, False),
        (HTML5, "text/html", False, True),
        (HTML5, "application/rss+xml", False, True),  # a page behind a feed's header
        (XHTML, "application/xhtml+xml", False, True),
        (FRAGMENT, None, False, True),
        (PHP_WARNING, "text/html", False, True),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml", False, False),
        (b"plain words", "text/plain", False, False),
        (b"plain words", "text/html", False, True),
        (b"", "text/html", False, False),
        (b"\x89PNG\r\n\x1a\n", "image/png", False, False),
    ],
    ids=[
        "rss", "rss-as-html", "rss-0.91-doctype", "rdf-bom", "atom-utf16", "json-feed",
        "json-feed-version-last", "other-json", "json-with-feed-type", "json-array", "html5",
        "html-as-rss", "xhtml", "fragment", "php-warning", "svg", "text", "text-as-html", "empty",
        "png",
    ],
)
def test_sniffing(body: bytes, content_type: str | None, feed: bool, html: bool):
    assert looks_like_feed(body, content_type) is feed
    assert looks_like_html(body, content_type) is html


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200), st.none() | st.sampled_from(["text/html", RSS_TYPE, "x"]))
def test_sniffers_never_raise_and_never_both_say_yes(body: bytes, content_type: str | None):
    assert not (looks_like_feed(body, content_type) and looks_like_html(body, content_type))
