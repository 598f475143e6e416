"""reader/fastparse.py: whenever the lxml fast path reads a document, it reads it exactly as the
feedparser path does (differential tests on every feed we have and on generated hostile ones)."""

from __future__ import annotations

import importlib.util
from dataclasses import fields
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

import reader.fastparse as fastparse
from reader.models import ParsedFeed
from reader.parse import _parse_with_feedparser, parse_feed
from tests.test_reliability_helpers import cpu_seconds

ROOT = Path(__file__).resolve().parents[1]
FEEDS = Path(__file__).resolve().parent / "data" / "feeds"
CORPUS = Path(__file__).resolve().parents[2] / "shared/corpus/feeds"
URL = "https://news.example.org/feeds/main.xml"


def _documents(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix != ".csv")


OUR_FEEDS = _documents(FEEDS)
CORPUS_FEEDS = _documents(CORPUS)


class Recorder:
    """Stands in for fast_parse inside parse_feed: records whether it accepted the document, and
    lets any exception other than a decline fail the test instead of silently declining."""

    def __init__(self) -> None:
        self.accepted: list[bool] = []

    def __call__(self, body, url, charset=None, bom_charset=None):
        try:
            result = fastparse._fast_parse(body, url, charset, bom_charset)
        except fastparse._Decline:
            result = None
        self.accepted.append(result is not None)
        return result


def both_paths(
    body: bytes, url: str = URL, content_type: str | None = None, charset: str | None = None
) -> tuple[ParsedFeed, ParsedFeed, bool]:
    """(parse_feed's answer, the feedparser path's answer, whether the fast path gave the first)."""
    recorder = Recorder()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(fastparse, "fast_parse", recorder)
        fast = parse_feed(body, url, content_type, charset)
    slow = _parse_with_feedparser(body, url, content_type, charset)
    return fast, slow, any(recorder.accepted)


def differences(fast: ParsedFeed, slow: ParsedFeed) -> list[str]:
    out = []
    for name in ("title", "site_url", "warning", "error"):
        if getattr(fast, name) != getattr(slow, name):
            out.append(f"feed {name}: {getattr(fast, name)!r} != {getattr(slow, name)!r}")
    if len(fast.stories) != len(slow.stories):
        out.append(f"{len(fast.stories)} stories != {len(slow.stories)}")
    for i, (a, b) in enumerate(zip(fast.stories, slow.stories)):
        for f in fields(a):
            x, y = getattr(a, f.name), getattr(b, f.name)
            if x != y:
                out.append(f"story {i} {f.name}: {str(x)[:200]!r} != {str(y)[:200]!r}")
    return out


def assert_same(body: bytes, url: str = URL, content_type: str | None = None, charset: str | None = None) -> bool:
    fast, slow, accepted = both_paths(body, url, content_type, charset)
    assert fast == slow, "\n".join(differences(fast, slow)[:20])
    return accepted


# --- every feed we have ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", OUR_FEEDS, ids=[p.name for p in OUR_FEEDS])
@pytest.mark.parametrize("url", [URL, "http://example.org/a/b/", ""])
def test_our_feeds_read_the_same_on_both_paths(path: Path, url: str) -> None:
    assert_same(path.read_bytes(), url)


@pytest.mark.parametrize("path", CORPUS_FEEDS, ids=[p.name for p in CORPUS_FEEDS])
@pytest.mark.parametrize(
    "url, charset", [(URL, None), ("http://example.org/a/b/", "utf-8"), ("", "windows-1252")]
)
def test_corpus_feeds_read_the_same_on_both_paths(path: Path, url: str, charset: str | None) -> None:
    assert_same(path.read_bytes(), url, "application/rss+xml", charset)


# Ordinary RSS 2.0 and Atom 1.0 files the fast path must take (not decline): it is only fast if it
# is used. The rest of the corpus is RSS 1.0, Atom 0.3, XHTML content, DOCTYPEs or broken XML.
MUST_ACCEPT = [
    "rss20-full.xml",
    "rss20-dates.xml",
    "rss20-no-guids.xml",
    "rss20-empty.xml",
    "atom10-empty.xml",
    "rss20-utf-16le-bom.xml",
    "rss20-iso-8859-1-declared.xml",
    "rss20-windows-1252-declared.xml",
]
MUST_ACCEPT_CORPUS = [
    "rss20__theguardian-us__55-items.rss",
    "rss20__techcrunch__content-encoded.xml",
    "rss20__washingtonpost-wellness.xml",
    "rss20__hacker-news__no-guid-no-encoding-decl.xml",
    "rss20__dustri-org-artificial-truth__full-content-25-items.xml",
    "rss20__medium-tag-food__content-encoded.rss",
    "rss20__huffpost-canada__cdata-title.xml",
    "atom10__github-commits-miniflux.xml",
    "atom10__youtube-google-channel__media-group.xml",
    "atom10__thoughtbot-giant-robots.xml",
    "atom10__aws-blog-typepad__xml-base.xml",
    "atom10__talkingpointsmemo__xml-base-fragment.atom",
    "podcast-rss20__welcome-to-night-vale__feedburner.xml",
    "enc-windows-1251__rss20__ibash-org-ru.xml",
    "enc-iso-8859-1__rss20__golem-de__40-items.xml",
    "relurl__rss20__item-scoped-xml-base-unit.xml",
]


@pytest.mark.parametrize("name", MUST_ACCEPT)
def test_ordinary_feeds_take_the_fast_path(name: str) -> None:
    assert assert_same((FEEDS / name).read_bytes())


@pytest.mark.parametrize("name", MUST_ACCEPT_CORPUS)
def test_ordinary_corpus_feeds_take_the_fast_path(name: str) -> None:
    path = CORPUS / name
    if not path.exists():
        pytest.skip("no corpus")
    assert assert_same(path.read_bytes())


def test_how_many_documents_the_fast_path_takes(capsys: pytest.CaptureFixture[str]) -> None:
    accepted = {}
    for path in OUR_FEEDS + CORPUS_FEEDS:
        if path.suffix == ".json":
            continue
        accepted[path.name] = assert_same(path.read_bytes())
    taken = sorted(name for name, ok in accepted.items() if ok)
    with capsys.disabled():
        print(f"\nfast path: {len(taken)} of {len(accepted)} XML documents accepted")
    # our own feeds are mostly edge cases; the corpus is mostly ordinary feeds
    assert len(taken) >= 6
    if CORPUS_FEEDS:
        assert len(taken) >= 60


# --- declines -------------------------------------------------------------------------------------

RSS_HEAD = b'<?xml version="1.0" encoding="utf-8"?>\n'


@pytest.mark.parametrize(
    "name",
    ["rss10-rdf.xml", "atom03.xml", "atom10-full.xml", "rss091.xml", "rss20-malformed.xml",
     "rss20-billion-laughs.xml", "rss20-xxe-external-entity.xml", "jsonfeed11.json"],
)
def test_unusual_documents_go_to_feedparser(name: str) -> None:
    fast, slow, accepted = both_paths((FEEDS / name).read_bytes())
    assert not accepted
    assert fast == slow


@pytest.mark.parametrize(
    "body",
    [
        # real markup inside a description: feedparser serialises it
        RSS_HEAD + b"<rss version='2.0'><channel><item><description>a <b>bold</b> move</description></item></channel></rss>",
        # XHTML content
        RSS_HEAD + b"<feed xmlns='http://www.w3.org/2005/Atom'><entry><content type='xhtml'><div xmlns='http://www.w3.org/1999/xhtml'>x</div></content></entry></feed>",
        # XML 1.1 has other rules for characters
        b"<?xml version='1.1'?><rss version='2.0'><channel><item><title>t</title></item></channel></rss>",
        # UTF-8 declared, not UTF-8: feedparser guesses
        RSS_HEAD + "<rss version='2.0'><channel><item><title>caf\xe9</title></item></channel></rss>".encode("latin-1"),
        # GeoRSS GML
        RSS_HEAD + b"<rss version='2.0' xmlns:georss='http://www.georss.org/georss'><channel><item><georss:where/></item></channel></rss>",
    ],
)
def test_documents_feedparser_reads_differently_are_declined(body: bytes) -> None:
    fast, slow, accepted = both_paths(body)
    assert not accepted
    assert fast == slow


@pytest.mark.parametrize("n", [3, 40])
def test_elements_with_many_attributes_read_the_same(n: int) -> None:
    # past a few dozen attributes the fast path reads them another way (lxml's items() is quadratic)
    attributes = " ".join(f"a{i}='{i}'" for i in range(n))
    body = RSS_HEAD + (
        "<rss version='2.0' xmlns:x='http://unknown.example/'><channel><title>T</title><item>"
        f"<title>A</title><enclosure {attributes} url='/e.mp3' x:size='1' xml:base='/b/' type='Audio/MPEG'/>"
        f"<atom:link xmlns:atom='http://www.w3.org/2005/Atom' {attributes} rel='enclosure' href='f.mp3'/>"
        "</item></channel></rss>"
    ).encode()
    assert assert_same(body)
    (story,) = parse_feed(body, URL).stories
    # as feedparser has it: an enclosure's url is not resolved against its own xml:base
    assert [e.url for e in story.enclosures] == [
        "https://news.example.org/e.mp3",
        "https://news.example.org/feeds/f.mp3",
    ]


def test_an_element_past_the_attribute_cap_reads_the_same_on_both_paths() -> None:
    # reader.parse keeps the first 100 attributes before either path sees the document
    attributes = " ".join(f"a{i}='{i}'" for i in range(150))
    body = RSS_HEAD + (
        "<rss version='2.0'><channel><title>T</title><item><title>A</title>"
        f"<enclosure url='/first.mp3' type='audio/mpeg' {attributes}/>"
        f"<enclosure {attributes} url='/last.mp3' type='audio/mpeg'/>"
        "</item></channel></rss>"
    ).encode()
    assert assert_same(body)
    feed = parse_feed(body, URL)
    assert "more than 100 attributes" in feed.warning
    (story,) = feed.stories
    assert [e.url for e in story.enclosures] == ["https://news.example.org/first.mp3"]  # /last.mp3 was 151st


def test_sixty_thousand_attributes_take_a_fraction_of_a_second() -> None:
    attributes = " ".join(f"a{i}='1'" for i in range(60_000))
    body = RSS_HEAD + f"<rss version='2.0'><channel><item><title>A</title><x {attributes}/></item></channel></rss>".encode()
    feed, cpu = cpu_seconds(parse_feed, body, URL)
    assert cpu < 2  # about 0.05 s; feedparser alone takes half a minute
    assert [s.title for s in feed.stories] == ["A"]


def test_parse_feed_never_raises_when_the_fast_path_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args):
        raise RuntimeError("boom")

    monkeypatch.setattr(fastparse, "_fast_parse", broken)
    body = (FEEDS / "rss20-full.xml").read_bytes()
    assert parse_feed(body, URL) == _parse_with_feedparser(body, URL)
    assert parse_feed(body, URL).stories


# --- the benchmark's feeds --------------------------------------------------------------------------


def _benchmark_make_feed():
    spec = importlib.util.spec_from_file_location("refresh_benchmark", ROOT / "benchmarks" / "refresh.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.make_feed


@pytest.mark.parametrize("i", [0, 1, 7, 999])
def test_benchmark_feeds_take_the_fast_path(i: int) -> None:
    body = _benchmark_make_feed()(i, 100)
    assert assert_same(body, f"http://127.0.0.{i % 250 + 1}:8000/feed{i}.xml", "application/rss+xml", "utf-8")
    assert len(parse_feed(body, URL).stories) == 100


# --- generated documents ----------------------------------------------------------------------------

# Text a feed may carry: markup, entities (escaped and not), control characters, bidi overrides,
# UTF-8 read as Latin-1, C1 controls (feedparser maps them to windows-1252), CDATA terminators.
HOSTILE = [
    "<p>", "</p>", "<b>x</b>", "<br/>", "&amp;", "&", "&lt;", "&nbsp;", "&#27;", "&#x41;", "&copy;",
    "\x1b[31m", "\x85", "\x92", "\x9b", "\u202e", "\ufeff", "Ã©", "â€™", "]]>", "\n", "\r\n", "\t",
    " ", "  ", "é", "日本", "😀", "<script>x</script>", "<!-- c -->", "a@b.example", "(", ")", ";",
    "javascript:", "http://", "//", "?", "#", "%20", "x", "Feed", "&amp;amp;", "aGVsbG8gd29ybGQ=",
]
# characters XML 1.0 forbids make the document ill-formed: both paths then go to feedparser
ILLEGAL = ["\x00", "\x01", "\x0b", "\x1f", "\ufffe"]
DATES = [
    "Wed, 17 Jan 2018 15:50:00 EST", "Sun, 01 Mar 2026 12:00:00 +0000", "Sun, 1 Mar 2026 12:00 GMT",
    "2026-03-01T12:00:00Z", "2026-03-01T12:00:00+02:00", "2026-03-01", "2026-03-01 12:00:00",
    "1709649000", "  1709649000 ", "yesterday", "", "0000-00-00T00:00:00Z", "9999-12-31T23:59:59Z",
    "Mon, 31 Feb 2026 25:61:00 +9999", "Tue, 10 Jun 2003 04:00:00 GMT", "2003-12-31T10:14:55.123-08:00",
    "Thu, 01 Jan 1970 00:00:00 GMT", "-1", "12345678901", "2026-W09-7",
]
LINKS = [
    "https://site.example/news/1", "http://site.example/a?b=1&c=2", "/relative/path", "relative",
    "../up", "?q=1", "#frag", "//other.example/x", "javascript:alert(1)", "mailto:a@b.example",
    "ftp://files.example/a.mp3", "https://site.example/a b", " https://site.example/padded ", "",
    "https://例え.jp/パス", "https://site.example/a;p?q#f", "http:///triple", "https://[::1]/x",
    "https://site.example/%zz", "magnet:?xt=urn:btih:abc", "https://site.example/x?a=1&amp;b=2",
    "HTTP://SITE.EXAMPLE/UPPER", "https://site.example/a?", "tag:site.example,2026:1",
]
AUTHORS = [
    "desk@site.example (News Desk)", "News Desk", "desk@site.example", "<b>Bold</b> Name",
    "Name <desk@site.example>", "", "  ", "(Parenthesised)", "a@b.c (x) y@z.example",
    "mailto:desk@site.example", "Ann &amp; Bob",
]
TYPES = [None, "text", "html", "xhtml", "text/html", "text/plain", "TEXT", "application/octet-stream", "image/png"]


def text_strategy(allow_illegal: bool = True) -> st.SearchStrategy[str]:
    pieces = st.sampled_from(HOSTILE + (ILLEGAL if allow_illegal else []))
    chars = st.characters(blacklist_categories=("Cs",), max_codepoint=0x2FFFF)
    return st.lists(st.one_of(pieces, chars, st.sampled_from(LINKS + AUTHORS + DATES)), max_size=8).map("".join)


def xml_text(text: str, mode: str) -> str:
    """Text as element content: escaped, in CDATA, or with every character as a reference."""
    if mode == "cdata":
        return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"
    if mode == "refs":
        return "".join(f"&#{ord(c)};" for c in text)
    return escape(text)


def element(name: str, text: str | None, attrs: dict[str, str | None], mode: str) -> str:
    attr_text = "".join(f" {k}={quoteattr(v)}" for k, v in attrs.items() if v is not None)
    if text is None:
        return f"<{name}{attr_text}/>"
    return f"<{name}{attr_text}>{xml_text(text, mode)}</{name}>"


@st.composite
def rss_item(draw) -> str:
    text = text_strategy()
    mode = st.sampled_from(["escape", "escape", "cdata", "refs"])
    children = []
    for _ in range(draw(st.integers(0, 9))):
        kind = draw(st.sampled_from(
            ["title", "title", "link", "link", "guid", "description", "description", "content:encoded",
             "pubDate", "dc:date", "atom:updated", "dcterms:modified", "author", "dc:creator",
             "enclosure", "media:content", "media:group", "category", "itunes:summary",
             "itunes:author", "source", "comments", "date", "x:unknown", "atom:link", "media:title",
             "media:description", "expirationDate", "itunes:image", "comment", "dc:title"]
        ))
        if kind in ("link",):
            children.append(element(kind, draw(st.sampled_from(LINKS)), {}, draw(mode)))
        elif kind == "guid":
            attrs = {"isPermaLink": draw(st.sampled_from([None, "true", "false", "True"]))}
            value = draw(st.one_of(st.sampled_from(LINKS), text))
            children.append(element(kind, value, attrs, draw(mode)))
        elif kind in ("pubDate", "dc:date", "atom:updated", "dcterms:modified", "expirationDate", "date"):
            children.append(element(kind, draw(st.sampled_from(DATES)), {}, draw(mode)))
        elif kind in ("author", "dc:creator", "itunes:author"):
            children.append(element(kind, draw(st.one_of(st.sampled_from(AUTHORS), text)), {}, draw(mode)))
        elif kind == "enclosure":
            attrs = {
                "url": draw(st.sampled_from(LINKS + [None])),
                "type": draw(st.sampled_from([None, "audio/mpeg", "AUDIO/MP3", ""])),
                "length": draw(st.sampled_from([None, "123", "0", "-5", "abc", " 42 "])),
            }
            children.append(element(kind, None, attrs, "escape"))
        elif kind == "media:content":
            attrs = {
                "url": draw(st.sampled_from(LINKS + [None])),
                "type": draw(st.sampled_from([None, "image/jpeg", "video/MP4"])),
                "fileSize": draw(st.sampled_from([None, "1000", "x"])),
                "medium": draw(st.sampled_from([None, "image"])),
            }
            inner = draw(st.sampled_from(["", "<media:title>inner title</media:title>", "<media:description>d</media:description>"]))
            children.append(element(kind, None, attrs, "escape") if not inner else element(kind, None, attrs, "escape")[:-2] + ">" + inner + "</media:content>")
        elif kind == "media:group":
            children.append(
                "<media:group>"
                + element("media:content", None, {"url": draw(st.sampled_from(LINKS)), "type": "video/mp4"}, "escape")
                + element("media:title", draw(text), {}, draw(mode))
                + "</media:group>"
            )
        elif kind == "atom:link":
            attrs = {
                "href": draw(st.sampled_from(LINKS)),
                "rel": draw(st.sampled_from([None, "alternate", "enclosure", "self", "ALTERNATE"])),
                "type": draw(st.sampled_from([None, "text/html", "audio/mpeg"])),
                "length": draw(st.sampled_from([None, "10"])),
            }
            children.append(element(kind, None, attrs, "escape"))
        elif kind == "source":
            children.append(element(kind, draw(text), {"url": draw(st.sampled_from(LINKS))}, draw(mode)))
        elif kind == "itunes:image":
            children.append(element(kind, None, {"href": draw(st.sampled_from(LINKS))}, "escape"))
        elif kind == "comment":
            children.append("<!-- " + draw(st.sampled_from(["c", "x y", "<b>"])) + " -->")
        elif kind == "x:unknown":
            children.append(element(kind, draw(text), {"a": draw(st.sampled_from([None, "1"]))}, draw(mode)))
        else:
            attrs = {}
            if kind in ("title", "description") and draw(st.booleans()):
                attrs["type"] = draw(st.sampled_from(TYPES))
            children.append(element(kind, draw(text), attrs, draw(mode)))
    base = draw(st.sampled_from([None, None, None, "https://base.example/dir/", "sub/", "javascript:x"]))
    attrs = f" xml:base={quoteattr(base)}" if base is not None else ""
    return f"<item{attrs}>" + "".join(children) + "</item>"


NAMESPACES = (
    ' xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:content="http://purl.org/rss/1.0/modules/content/"'
    ' xmlns:atom="http://www.w3.org/2005/Atom" xmlns:media="http://search.yahoo.com/mrss/"'
    ' xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd" xmlns:dcterms="http://purl.org/dc/terms/"'
    ' xmlns:x="http://unknown.example/ns"'
)


@st.composite
def rss_document(draw) -> tuple[bytes, str, str | None]:
    text = text_strategy()
    mode = st.sampled_from(["escape", "cdata", "refs"])
    head = [
        element("title", draw(text), {}, draw(mode)),
        element("link", draw(st.sampled_from(LINKS)), {}, draw(mode)),
        element("description", draw(text), {}, draw(mode)),
    ]
    if draw(st.booleans()):
        head.append('<atom:link rel="self" type="application/rss+xml" href="https://site.example/feed"/>')
    if draw(st.booleans()):
        # feedparser leaves the image at any unprefixed element other than these
        inside = draw(st.lists(st.sampled_from(["url", "title", "link", "width", "ttl", "x:y"]), max_size=4))
        head.append("<image>" + "".join(f"<{n}>{escape(draw(st.sampled_from(LINKS)))}</{n}>" for n in inside) + "</image>")
    items = draw(st.lists(rss_item(), max_size=5))
    version = draw(st.sampled_from(["2.0", "0.91", "0.92", "2.0.1", ""]))
    channel_base = draw(st.sampled_from([None, None, "https://channel.example/c/"]))
    channel_attrs = f" xml:base={quoteattr(channel_base)}" if channel_base else ""
    doc = (
        f'<rss version="{version}"{NAMESPACES}><channel{channel_attrs}>'
        + "".join(head) + "".join(items) + "</channel></rss>"
    )
    return encode(draw, doc)


def encode(draw, doc: str) -> tuple[bytes, str, str | None]:
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "UTF-8", None, "iso-8859-1", "windows-1252", "utf-16", "gb2312", "koi8-r"]))
    declaration = f'<?xml version="1.0" encoding="{encoding}"?>\n' if encoding else draw(
        st.sampled_from(['<?xml version="1.0"?>\n', ""])
    )
    codec = encoding or "utf-8"
    if codec == "utf-16":
        body = (declaration + doc).encode("utf-16")
    else:
        body = (declaration + doc).encode(codec, "xmlcharrefreplace" if codec != "utf-8" else "surrogatepass")
    url = draw(st.sampled_from([URL, "http://site.example/feeds/", "", "feed.xml"]))
    charset = draw(st.sampled_from([None, None, "utf-8", "iso-8859-1", "koi8-r", "bogus"]))
    return body, url, charset


ATOM_NAMESPACES = NAMESPACES.replace(' xmlns:atom="http://www.w3.org/2005/Atom"', "")


@st.composite
def atom_entry(draw) -> str:
    text = text_strategy()
    mode = st.sampled_from(["escape", "cdata", "refs"])
    children = []
    for _ in range(draw(st.integers(0, 9))):
        kind = draw(st.sampled_from(
            ["title", "title", "link", "link", "id", "summary", "content", "content", "updated",
             "published", "author", "author", "contributor", "category", "source", "media:group",
             "x:unknown", "rights", "comment"]
        ))
        if kind in ("title", "summary", "content", "rights"):
            attrs = {"type": draw(st.sampled_from(TYPES))}
            if kind == "content" and draw(st.integers(0, 5)) == 0:
                attrs["src"] = draw(st.sampled_from(LINKS))
            children.append(element(kind, draw(text), attrs, draw(mode)))
        elif kind == "link":
            attrs = {
                "href": draw(st.sampled_from(LINKS + [None])),
                "rel": draw(st.sampled_from([None, "alternate", "enclosure", "self", "related", "replies"])),
                "type": draw(st.sampled_from([None, "text/html", "application/xhtml+xml", "audio/mpeg", "HTML"])),
                "length": draw(st.sampled_from([None, "10", "x"])),
                "xml:base": draw(st.sampled_from([None, None, "https://link-base.example/"])),
            }
            children.append(element(kind, None, attrs, "escape"))
        elif kind == "id":
            children.append(element(kind, draw(st.one_of(st.sampled_from(LINKS), text)), {}, draw(mode)))
        elif kind in ("updated", "published"):
            children.append(element(kind, draw(st.sampled_from(DATES)), {}, draw(mode)))
        elif kind in ("author", "contributor"):
            parts = []
            for part in draw(st.lists(st.sampled_from(["name", "email", "uri"]), max_size=3)):
                value = draw(st.sampled_from(AUTHORS + LINKS[:3])) if part != "name" else draw(st.one_of(st.sampled_from(AUTHORS), text))
                parts.append(element(part, value, {}, draw(mode)))
            children.append(f"<{kind}>" + "".join(parts) + f"</{kind}>")
        elif kind == "source":
            children.append("<source><id>urn:source</id><title>Source title</title><link href='https://source.example/'/><author><name>Source Author</name></author></source>")
        elif kind == "media:group":
            children.append("<media:group><media:title>MT</media:title>" + element("media:content", None, {"url": draw(st.sampled_from(LINKS)), "type": "video/mp4", "fileSize": "99"}, "escape") + "</media:group>")
        elif kind == "comment":
            children.append("<!--c-->")
        elif kind == "x:unknown":
            children.append(element(kind, draw(text), {}, draw(mode)))
        else:
            children.append(element(kind, None, {"term": "t"}, "escape"))
    base = draw(st.sampled_from([None, None, "https://entry-base.example/e/", "rel/"]))
    attrs = f" xml:base={quoteattr(base)}" if base is not None else ""
    return f"<entry{attrs}>" + "".join(children) + "</entry>"


@st.composite
def atom_document(draw) -> tuple[bytes, str, str | None]:
    text = text_strategy()
    head = [element("title", draw(text), {"type": draw(st.sampled_from([None, "html", "text"]))}, "escape")]
    if draw(st.booleans()):
        head.append(element("link", None, {"href": draw(st.sampled_from(LINKS)), "rel": draw(st.sampled_from([None, "alternate", "self"]))}, "escape"))
    if draw(st.booleans()):
        head.append("<author><name>" + escape(draw(st.sampled_from(AUTHORS))) + "</name></author>")
    entries = draw(st.lists(atom_entry(), max_size=5))
    base = draw(st.sampled_from([None, None, "https://feed-base.example/f/"]))
    attrs = f" xml:base={quoteattr(base)}" if base else ""
    doc = (
        f'<feed xmlns="http://www.w3.org/2005/Atom"{ATOM_NAMESPACES}{attrs}>'
        + "".join(head) + "".join(entries) + "</feed>"
    )
    return encode(draw, doc)


@settings(max_examples=400)
@given(rss_document())
def test_generated_rss_reads_the_same_on_both_paths(doc: tuple[bytes, str, str | None]) -> None:
    body, url, charset = doc
    event("fast path" if assert_same(body, url, "application/rss+xml", charset) else "declined")


@settings(max_examples=400)
@given(atom_document())
def test_generated_atom_reads_the_same_on_both_paths(doc: tuple[bytes, str, str | None]) -> None:
    body, url, charset = doc
    event("fast path" if assert_same(body, url, "application/atom+xml", charset) else "declined")


def test_generated_documents_mostly_take_the_fast_path() -> None:
    """The property tests above only mean something if the fast path takes most of what they make."""
    taken: list[bool] = []

    @settings(max_examples=150, derandomize=True, database=None)
    @given(st.one_of(rss_document(), atom_document()))
    def run(doc: tuple[bytes, str, str | None]) -> None:
        body, url, charset = doc
        taken.append(assert_same(body, url, None, charset))

    run()
    # ~19% without the shared corpus on disk, more with it; below 15% the properties would say little
    assert sum(taken) / len(taken) > 0.15, f"only {sum(taken)} of {len(taken)} took the fast path"


# Real documents with pieces inserted or cut out at element boundaries: near-ordinary input is where
# a fast path that almost matches would go wrong.
SNIPPETS = [
    "<title>x</title>", "<link>/rel</link>", "<guid>g</guid>", "<guid isPermaLink='false'>g</guid>",
    "<description>&lt;p&gt;d</description>", "<pubDate>Sun, 01 Mar 2026 12:00:00 +0000</pubDate>",
    "<author>a@b.example (A)</author>", "<enclosure url='e.mp3' type='audio/mpeg' length='5'/>",
    "<media:content url='m.jpg' xmlns:media='http://search.yahoo.com/mrss/'/>", "<!-- c -->",
    "<summary>s</summary>", "<content type='html'>&lt;b&gt;c</content>", "<id>urn:x</id>",
    "<link href='/x' rel='alternate'/>", "<updated>2026-03-01T00:00:00Z</updated>", "&amp;", "é", "\x85",
    "<author><name>N</name><email>e@x.example</email></author>", " xml:base='/base/' ",
    "<source url='http://s'>S</source>", "<image><title>I</title><foo/></image>", "<item>", "</item>",
    "<entry>", "</entry>", "<x:y xmlns:x='http://unk'>z</x:y>", "<date>1709649000</date>",
    "<dc:creator xmlns:dc='http://purl.org/dc/elements/1.1/'>D</dc:creator>", "<category>c</category>",
    "<itunes:summary xmlns:itunes='http://www.itunes.com/dtds/podcast-1.0.dtd'>is</itunes:summary>",
]
XML_DOCUMENTS = [p for p in OUR_FEEDS + CORPUS_FEEDS if p.suffix != ".json"]


@settings(max_examples=300)
@given(
    st.sampled_from(XML_DOCUMENTS),
    st.lists(
        st.tuples(st.integers(0, 10**6), st.one_of(*[st.sampled_from(SNIPPETS).map(str.encode)] * 4, st.integers(1, 200))),
        min_size=1,
        max_size=3,
    ),
    st.sampled_from([URL, "", "http://h.example/a/"]),
    st.sampled_from([None, "utf-8", "iso-8859-1"]),
)
def test_edited_real_documents_read_the_same_on_both_paths(path: Path, edits, url: str, charset) -> None:
    doc = bytearray(path.read_bytes())
    for where, edit in edits:
        ends = [i + 1 for i, byte in enumerate(doc) if byte == 0x3E] or [0]  # after a ">"
        at = ends[where % len(ends)]
        if isinstance(edit, bytes):
            doc[at:at] = edit
        else:
            del doc[at : at + edit]
    event("fast path" if assert_same(bytes(doc), url, None, charset) else "declined")
