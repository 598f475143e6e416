"""Every feed of the shared evaluation corpus (../shared/corpus/feeds/) through parse_feed.

The corpus is third-party material and stays where it is; this reads it by path. INDEX.csv has one
row per file: ``items`` is the number of items in the document, ``guid_or_id_count`` and
``duplicate_guids`` describe its ids, and the ``feedparser_6_0_14_*`` columns record what plain
feedparser made of it. Where ``items`` is what a correct reader should produce we assert it. We
deliberately differ in a few places, each listed below with the reason.
"""

from __future__ import annotations

import csv
import gzip
import re
from pathlib import Path

import pytest

from reader.models import ParsedFeed
from reader.parse import parse_feed

CORPUS_FEEDS = Path(__file__).resolve().parents[2] / "shared/corpus/feeds"
INDEX = CORPUS_FEEDS / "INDEX.csv"
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]")

pytestmark = pytest.mark.skipif(
    not INDEX.is_file(), reason=f"the shared feed corpus is not there ({CORPUS_FEEDS})"
)

# Where our story count differs from INDEX.csv's, on purpose.
EXPECTED_COUNT = {
    # feedparser turns each illegally nested <item> into an extra, completely empty entry; an
    # entry with no title, link, id or content is no story, so only the 10 real ones remain
    "malformed__rss20__pcmag-dvorak__illegally-nested-items.xml": 10,
}

# Files with no stories that are an error, and why. Every other file must parse without error.
EXPECTED_ERROR = {
    "malformed__rss20__reuters-most-read__truncated-after-server-error-comment.xml": "not well-formed",
    "malformed__rss20__unclosed-root-unit.xml": "not well-formed",
    "malformed__rss20__undeclared-itunes-prefix-unit.xml": "not well-formed",
}

# Read, but with a warning a person should see.
EXPECTED_WARNING = {
    "rss__uol-noticias__no-version-no-encoding-decl.rss": "encoding",
    "podcast-rss20__apple-spec-example-all-about-everything.xml": "not well-formed",
    # feedparser's unit expects chardet to find Shift_JIS; charset-normalizer finds it (we trust
    # a detector only for CJK encodings), and the warning says it was a guess
    "enc-shift_jis-undeclared__atom10__feedparser-chardet-unit.xml": "encoding",
    "malformed__rss20__invalid-utf8-linenoise-unit.xml": "encoding",
    "malformed__rss20__no-guid-unix-timestamp-dc-date-missing-rss-end-tag-unit.xml": "not well-formed",
    "malformed__rss20__unescaped-ampersand-in-link-unit.xml": "not well-formed",
    "malformed__rss20__unclosed-root-escaped-amp-link-unit.xml": "not well-formed",
}

# Titles a correct reader shows (plain text: markup removed, entities decoded, CDATA trimmed).
EXPECTED_FIRST_TITLE = {
    "enc-shift_jis-undeclared__atom10__feedparser-chardet-unit.xml": "DrecomRSSに記事投稿が反映されない…",
    "html-title__atom10__escaped-html-unit.xml": "Example Atom",
    "html-title__atom10__xhtml-inline-markup-unit.xml": "Example Atom",
    "html-title__atom03__naked-markup-unit.xml": "Example Atom",
    "rss20__varthabharathi-kannada__cdata-title-whitespace.rss": (
        "ISUZU launches the ‘mu-X’ premium full-size 7 seater SUV in Bengaluru"
    ),
    "rss20__huffpost-canada__cdata-title.xml": "Winnipeg High School Orders Custom Hijabs For Muslim Athletes",
    "enc-cp1252-smart-quotes__rss20__feedparser-demoronize-unit.xml": "don’t",
    "enc-koi8-r__rss20__aviaport-ru.xml": "Найдены тела двух погибших в авиакатастрофе под Харьковом",
    "enc-windows-1255__rss20__carshops-co-il__338-items.xml": "מוט מייצב OMP",
    "enc-euc-kr__rss20__chisato-info.xml": "황우석, 그리고 피디수첩 - 시일야방성대곡(是日也放聲大哭)",
    "enc-big5__atom03__letterlego-blogspot.xml": "【轉載】紐約公共圖書館『世紀之書』（下）",
    "enc-iso-8859-2__rss20__auto-apro-hu.xml": "Renault Clio",
    "enc-windows-1250__rss10-rdf__bbc-hungarian.xml": "Rumsfeld: még évekig tarthat a lázadás Irakban",
    "rss__uol-noticias__no-version-no-encoding-decl.rss": (
        "Ibope: Bolsonaro perde de Haddad, Ciro e Alckmin em simulações de 2º turno"
    ),
}
EXPECTED_FEED_TITLE = {
    "jsonfeed11__influxdata-blog__html-entity-in-title.json": "Blog – InfluxData",
    "enc-koi8-r__rss20__aviaport-ru.xml": "АвиаПорт.Ru",
    "enc-windows-1255__rss20__carshops-co-il__338-items.xml": "CarShops - שיפורים לרכב",
    "enc-shift_jis__rss10-rdf__10e-org.xml": "エルエル",
    "enc-gb2312__rss20__softsea-net__100-items.xml": "系统工具",
    "enc-iso-8859-1__rss20__jornal-de-noticias-pt__crlf.rss": "Jornal de Notícias - Últimas Notícias",
    "html-title__atom10__google-alerts-slack.xml": "Google Alert - Slack",
}
# A title may legitimately contain markup-looking text only when the feed said it was plain text.
LITERAL_MARKUP_TITLES = {
    "relurl__atom10__lemon24-reader-unit.atom",  # untitled; taken from a text/plain content
    "relurl__rss20__lemon24-reader-unit.rss",
}
MARKUP = re.compile(r"</?[a-zA-Z][^<>]*>|&(?:#[0-9]+|#x[0-9a-fA-F]+|[a-zA-Z]+);")


def index_rows() -> list[dict[str, str]]:
    if not INDEX.is_file():
        return []
    with INDEX.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


ROWS = index_rows()
_parsed: dict[str, ParsedFeed] = {}


def parsed(name: str) -> ParsedFeed:
    if name not in _parsed:
        _parsed[name] = parse_feed(
            (CORPUS_FEEDS / name).read_bytes(), f"https://corpus.example/feeds/{name}"
        )
    return _parsed[name]


def test_index_lists_every_file() -> None:
    on_disk = {
        p.name
        for p in CORPUS_FEEDS.iterdir()
        if p.name != "INDEX.csv" and not p.name.endswith(".md")
    }
    assert {row["file"] for row in ROWS} == on_disk


@pytest.mark.parametrize("row", ROWS, ids=[row["file"] for row in ROWS])
def test_corpus_feed(row: dict[str, str]) -> None:
    name = row["file"]
    try:
        feed = parsed(name)
    except Exception as exc:  # parse_feed promises never to raise; say which file broke it
        pytest.fail(f"{name}: {type(exc).__name__}: {exc}")

    # item count
    expected = EXPECTED_COUNT.get(name, int(row["items"]))
    assert len(feed.stories) == expected

    # error only where the document gives nothing a reader could use
    if name in EXPECTED_ERROR:
        assert feed.error is not None and EXPECTED_ERROR[name] in feed.error
    else:
        assert feed.error is None
    if name in EXPECTED_WARNING:
        assert feed.warning is not None and EXPECTED_WARNING[name] in feed.warning
    else:
        # e.g. whitespace before the XML declaration is forgiven silently
        assert feed.warning is None

    # ids: when every item has a guid/id, duplicates collapse (in the store, not here) to exactly
    # the number of distinct ids the index counted
    items, ids, duplicates = (
        int(row["items"]),
        int(row["guid_or_id_count"]),
        int(row["duplicate_guids"]),
    )
    uids = [s.uid for s in feed.stories]
    assert all(uid and uid == uid.strip() for uid in uids)
    if ids == items and items and name not in EXPECTED_COUNT:
        assert len(set(uids)) == items - duplicates

    # titles: present, one line, plain text, terminal-safe
    for story in feed.stories:
        assert story.title and "\n" not in story.title and story.title == story.title.strip()
        assert len(story.title) <= 1000
        if name not in LITERAL_MARKUP_TITLES:
            assert not MARKUP.search(story.title), story.title
        for value in (story.title, story.author or "", story.text, story.summary, story.content):
            assert UNSAFE.search(value) is None
        if story.url is not None:
            assert story.url.startswith(("http://", "https://"))
        for enclosure in story.enclosures:
            assert re.match(r"(https?|ftp|magnet):", enclosure.url)
            assert enclosure.length is None or enclosure.length > 0
    if name in EXPECTED_FIRST_TITLE:
        assert feed.stories[0].title == EXPECTED_FIRST_TITLE[name]
    if name in EXPECTED_FEED_TITLE:
        assert feed.title == EXPECTED_FEED_TITLE[name]
    if feed.title is not None:
        assert "\n" not in feed.title and not MARKUP.search(feed.title)


def test_gzip_file_is_the_same_feed_compressed_or_not() -> None:
    name = "gzip-body__rss20__nshipster__807kb-uncompressed.xml.gz"
    if not (CORPUS_FEEDS / name).is_file():
        pytest.skip(f"{name} is not in the corpus")
    raw = gzip.decompress((CORPUS_FEEDS / name).read_bytes())
    plain = parse_feed(raw, f"https://corpus.example/feeds/{name}")
    assert plain == parsed(name)


def test_relative_links_resolve_against_xml_base_and_document_url() -> None:
    name = "relurl__rss20__item-scoped-xml-base-unit.xml"
    if not (CORPUS_FEEDS / name).is_file():
        pytest.skip(f"{name} is not in the corpus")
    first, second = parsed(name).stories
    assert first.url == "https://example.com/first/first"  # the item's own xml:base
    assert second.url == "https://corpus.example/feeds/second"  # that base ended with the item
