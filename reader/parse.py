"""Feed documents → ``ParsedFeed``: ids, dates, links, encodings and text normalised.

``parse_feed`` is a pure, top-level function so that it can run in a worker process; it never
raises.
RSS 0.9x/1.0/2.0 and Atom 0.3/1.0 go through feedparser, with its HTML sanitising and relative-URI
passes turned off (we never render HTML as HTML, and the two passes cost about half of its time);
the links we keep are resolved here. JSON Feed 1.0/1.1 is read directly. Ordinary, well-formed
RSS 2.0 and Atom 1.0 documents take a faster road to the same result: ``reader.fastparse`` reads
them with lxml into the dictionaries feedparser would have made, and declines anything else.

Character encoding: a byte-order mark wins, then the document's own XML declaration, then the
charset of the HTTP Content-Type header, then UTF-8; a document that is not UTF-8 either is read
as the CJK encoding charset-normalizer recognises in it, if any, else with feedparser's fallbacks
(windows-1252 …).

Before any parser sees a document, its shape is bounded: an element keeps at most MAX_ATTRIBUTES
attributes, and a document nested deeper than MAX_NESTING elements is refused.
"""

from __future__ import annotations

import calendar
import codecs
import dataclasses
import hashlib
import html
import io
import json
import re
import zlib
from collections.abc import Iterable
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser
import feedparser.mixin
import feedparser.urls
from feedparser.datetimes import _parse_date as _feedparser_parse_date

from reader.models import Enclosure, ParsedFeed, ParsedStory
from reader.text import clean_text, html_to_text, html_to_title, one_line

__all__ = ["parse_feed", "MAX_BODY_BYTES"]

# Caps on what one feed can make us hold or store.
MAX_BODY_BYTES = 50_000_000  # a gzip body is not inflated beyond this
MAX_TITLE_CHARS = 1_000
MAX_AUTHOR_CHARS = 300
MAX_URL_CHARS = 4_096
MAX_UID_CHARS = 1_024
MAX_HTML_FIELD_CHARS = 2_000_000  # summary and content
MAX_TEXT_CHARS = 200_000
MAX_ENCLOSURES = 50
# Caps on the shape of a document, applied before any parser reads it. feedparser's SAX path looks
# each attribute up by a linear scan of the others (quadratic: 10,000 on one element take 0.75 s),
# and it keeps every open element on its stacks (~700 bytes a level: 1,000,000 levels, 650 MB).
# Real feeds stay far below both: at most 11 attributes and 18 levels in the shared corpus.
MAX_ATTRIBUTES = 100
MAX_NESTING = 1_000
UNTITLED = "(untitled)"
UNTITLED_WORDS = 12
# Dates outside years 1..9999 are nonsense (and some would overflow a datetime).
_MIN_TIME = -62_135_596_800
_MAX_TIME = 253_402_300_799

_LINK_SCHEMES = frozenset({"http", "https"})
_ENCLOSURE_SCHEMES = frozenset({"http", "https", "ftp", "magnet"})
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml", "html", "xhtml"})
# With a base URI, feedparser re-joins the current base at every element it opens: a quarter of
# its time. The two functions are pure, so remembering their answers changes nothing but speed.
if hasattr(feedparser.mixin, "make_safe_absolute_uri") and hasattr(feedparser.mixin, "_urljoin"):
    feedparser.mixin.make_safe_absolute_uri = lru_cache(maxsize=4096)(
        feedparser.urls.make_safe_absolute_uri
    )
    feedparser.mixin._urljoin = lru_cache(maxsize=4096)(feedparser.urls._urljoin)
# feedparser's dict answers .get() through a Python-level key map (and warns when "updated" falls
# back to "published"); the plain dict lookup is faster and says what the feed actually had.
_get = dict.get


def parse_feed(
    body: bytes, url: str, content_type: str | None = None, charset: str | None = None
) -> ParsedFeed:
    """Parse one fetched document. Failures come back as ``ParsedFeed(error=...)``, never raised.

    ``url`` is where the document came from (after redirects): relative links resolve against it
    unless the document sets an ``xml:base``. ``content_type`` and ``charset`` are those of the
    HTTP response, if any.
    """
    return _parse_safely(body, url, content_type, charset, fast=True)


def _parse_with_feedparser(
    body: bytes, url: str, content_type: str | None = None, charset: str | None = None
) -> ParsedFeed:
    """``parse_feed`` without the lxml fast path: what the fast path must agree with."""
    return _parse_safely(body, url, content_type, charset, fast=False)


def _parse_safely(
    body: bytes, url: str, content_type: str | None, charset: str | None, fast: bool
) -> ParsedFeed:
    try:
        return _parse(body, url or "", content_type, charset, fast)
    except Exception as exc:  # a worker process must return a value, whatever the input
        return ParsedFeed(error=f"could not read the feed ({type(exc).__name__}: {exc})"[:300])


def _parse(
    body: bytes, url: str, content_type: str | None, charset: str | None, fast: bool = True
) -> ParsedFeed:
    if isinstance(body, str):
        body = body.encode("utf-8", "surrogatepass")
    elif not isinstance(body, bytes):
        body = bytes(body or b"")
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    if body[:2] == b"\x1f\x8b":
        # gzip without Content-Encoding (a .xml.gz served as is): inflate, within limits
        body, problem = _gunzip(body)
        if problem:
            return ParsedFeed(error=problem)
    if not body.strip():
        return ParsedFeed(error="empty response")
    body, bom_charset = _to_utf8(body)
    if body is None:
        return ParsedFeed(error="not a feed: the response is not XML or JSON")
    if not body:
        return ParsedFeed(error="empty response")
    if body[:1] in (b"{", b"["):
        return _parse_json(body, url)
    if _looks_binary(body):
        return ParsedFeed(error="not a feed: the response is not XML or JSON")
    if mime == "text/html" or _HTML_START.match(body[:4096]):
        if _FEED_ROOT.search(body) is None:
            return ParsedFeed(error="not a feed: got an HTML page")
    body, crowded = _thin_crowded_elements(body)
    warnings = []
    if crowded:
        warnings.append(f"an element had more than {MAX_ATTRIBUTES} attributes; the rest were ignored")
    guessed = _guess_cjk_charset(body, charset, bom_charset)
    if guessed:
        charset = guessed  # as if the server had said it
        warnings.append(
            f"the feed does not say its encoding and is not UTF-8; it looks like {guessed}"
            " and was read as that"
        )
    parsed = None
    if fast:
        from reader.fastparse import fast_parse  # imported here: fastparse imports this module

        parsed = fast_parse(body, url, charset, bom_charset)
    if parsed is None:
        parsed = _parse_xml(body, url, charset, bom_charset)
    if warnings and parsed.error is None:
        warnings.append(parsed.warning)
        parsed = dataclasses.replace(parsed, warning="; ".join(w for w in warnings if w))
    return parsed


# --- bytes: compression, encodings, sniffing -----------------------------------------------------


def _gunzip(body: bytes) -> tuple[bytes, str | None]:
    try:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        out = inflater.decompress(body, MAX_BODY_BYTES)
    except zlib.error:
        return b"", "not a feed: a gzip-compressed response that could not be decompressed"
    if inflater.unconsumed_tail:
        return b"", f"the compressed response is larger than {MAX_BODY_BYTES // 1_000_000} MB"
    return out, None


_BOMS = (
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xfe\xff", "utf-16-be"),
    (b"\xff\xfe", "utf-16-le"),
)
# "<?" or "<" followed by a name in UTF-16/32 without a byte-order mark (XML spec, appendix F)
_WIDE_STARTS = (
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00<\x00", "utf-16-be"),
    (b"<\x00", "utf-16-le"),
)
_XML_DECLARATION = re.compile(rb"^<\?xml[^>]*?\?>")
_DECLARED_ENCODING = re.compile(
    rb"""^<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._:-]{1,40})["']"""
)


def _to_utf8(body: bytes) -> tuple[bytes | None, str | None]:
    """Strip a byte-order mark and leading whitespace; transcode UTF-16/32 to UTF-8.

    Returns the body and the charset the mark named (None without one), so that everything after
    works on ASCII-compatible bytes. None as body: a wide encoding that does not decode.
    """
    bom_charset = None
    for bom, name in _BOMS:
        if body.startswith(bom):
            bom_charset = name
            body = body[len(bom) :]
            break
    wide = bom_charset if bom_charset and bom_charset != "utf-8" else None
    if wide is None and bom_charset is None:
        for start, name in _WIDE_STARTS:
            if body.startswith(start):
                wide = name
                break
    if wide is not None:
        try:
            text = body.decode(wide)
        except UnicodeDecodeError:
            return None, None
        # the declaration would still say UTF-16; what follows is UTF-8
        body = _XML_DECLARATION.sub(b"", text.lstrip().encode("utf-8", "surrogatepass"), count=1)
        return body.lstrip(), "utf-8"
    # Whitespace before "<?xml" is not well-formed and would send feedparser to its slow parser.
    return body.lstrip(), bom_charset


# Legacy encodings of Chinese, Japanese and Korean, as codecs.lookup names them. A detector tells
# these apart from each other and from Western text reliably, because their byte pairs follow strict
# rules; it does not tell windows-1252 from windows-1250 or Mac Roman, so for those feedparser's
# own fallbacks decide, as before.
_CJK_ENCODINGS = frozenset(
    codecs.lookup(name).name
    for name in (
        "shift_jis", "cp932", "shift_jis_2004", "shift_jisx0213", "euc_jp", "euc_jis_2004",
        "euc_jisx0213", "iso2022_jp", "euc_kr", "cp949", "johab", "gb2312", "gbk", "gb18030",
        "hz", "big5", "big5hkscs", "cp950",
    )
)


def _guess_cjk_charset(body: bytes, charset: str | None, bom_charset: str | None) -> str | None:
    """The CJK encoding of a document that names no encoding and is not UTF-8, if its bytes
    clearly are one; else None (feedparser falls back to windows-1252 and iso-8859-2)."""
    if bom_charset or _DECLARED_ENCODING.match(body):
        return None
    http = _safe_charset(charset)
    if http and _known_codec(http) and codecs.lookup(http).name != "utf-8":
        return None  # the server named a real encoding other than UTF-8: it is believed
    try:
        body.decode("utf-8")
        return None
    except UnicodeDecodeError:
        pass
    import charset_normalizer  # only for the rare document that gets here

    best = charset_normalizer.from_bytes(body).best()
    if best is None or not _known_codec(best.encoding):
        return None
    name = codecs.lookup(best.encoding).name
    return name if name in _CJK_ENCODINGS else None


def _looks_binary(body: bytes) -> bool:
    head = body[:4096]
    if b"\x00" in head or b"<" not in body[:65536]:
        return True
    controls = len(head) - len(head.translate(None, _BINARY_BYTES))
    return controls > len(head) // 20


_BINARY_BYTES = bytes(c for c in range(32) if c not in (9, 10, 13))
# An HTML page: its first tag (after comments and a doctype) is <html>, or the doctype is "html".
_HTML_START = re.compile(
    rb"^(?:<!--.*?-->\s*)*(?:<!doctype\s+html|<html[\s>])", re.IGNORECASE | re.DOTALL
)
# The root element of an RSS, RDF or Atom document, possibly inside a page that wraps it.
_FEED_ROOT = re.compile(rb"<(?:rss|feed|rdf:RDF|RDF|channel)[\s>]")


# --- XML entities: refuse the ones that could read files or blow up memory ---------------------

_FIRST_ELEMENT = re.compile(rb"<[A-Za-z_]")
_ENTITY_DECLARATION = re.compile(rb"<!ENTITY")
# Declarations we let through: a name for one character reference, or a few plain characters.
_SAFE_ENTITY = re.compile(
    rb"""<!ENTITY\s+[A-Za-z_][\w.-]*\s+(?:"(?:&\#[0-9]{1,7};|&\#x[0-9A-Fa-f]{1,6};|[^&%"<>]{0,16})"|'(?:&\#[0-9]{1,7};|&\#x[0-9A-Fa-f]{1,6};|[^&%'<>]{0,16})')\s*>"""
)


def _defuse_entities(body: bytes) -> tuple[bytes, str | None]:
    """Remove the prolog's DTD when it declares entities that are external, nested or large.

    feedparser keeps only simple internal entities and expat limits expansion, but feedparser's
    fallback parser expands what it kept without any limit, and a large plain entity used many
    times costs gigabytes; so anything beyond one character or a few letters goes.
    """
    first = _FIRST_ELEMENT.search(body)
    prolog = body[: first.start()] if first else body
    if b"<!ENTITY" not in prolog:
        return body, None
    declared = len(_ENTITY_DECLARATION.findall(prolog))
    if declared == len(_SAFE_ENTITY.findall(prolog)):
        return body, None
    declaration = _XML_DECLARATION.match(prolog)
    kept = declaration.group() + b"\n" if declaration else b""
    rest = body[first.start() :] if first else b""
    warning = (
        "the feed declares XML entities that could read files or exhaust memory; they were ignored"
    )
    return kept + rest, warning


# --- the shape of a document: attributes per element, depth --------------------------------------

# An attribute as expat reads one (whitespace, name, "=", a quoted value, which holds no "<"), and
# an element with more than MAX_ATTRIBUTES of them: group 1 ends after the last one kept. Each
# part can match in one way only, so a failed attempt costs the length of the tag, not more.
_ATTRIBUTE = rb"""\s+[^\s<>=/"']+\s*=\s*(?:"[^"<]*"|'[^'<]*')"""
_CROWDED_ELEMENT = re.compile(
    rb"""(<[^\s<>/!?][^\s<>/="']*(?:%s){%d})(?:%s)+""" % (_ATTRIBUTE, MAX_ATTRIBUTES, _ATTRIBUTE)
)


def _thin_crowded_elements(body: bytes) -> tuple[bytes, bool]:
    """Keep the first MAX_ATTRIBUTES attributes of any element that has more; say if any had.

    Also inside CDATA sections and comments: a regular expression cannot tell, and an HTML tag with
    a hundred attributes is no more real there.
    """
    thinned, count = _CROWDED_ELEMENT.subn(rb"\1", body)
    return thinned, count > 0


# A tag as either of feedparser's parsers might read one: "<name" or "</name", or "<>" (which its
# forgiving parser reads as the last tag again); then what follows it up to the next "<" or ">".
_TAG = re.compile(rb"<(/?)([^\s<>/!?][^\s<>/]*|(?=>))([^<>]*)(>?)")


def _nested_deeper_than(body: bytes, limit: int) -> bool:
    """Whether more than ``limit`` elements are ever open at once, counted as a forgiving parser
    nests them.

    An end tag closes the nearest open element of its name (ignoring case) and all opened inside
    it; an end tag with no open element of its name closes nothing; "<x/>" opens nothing. Tags in
    CDATA sections, comments and declarations are counted as well: where those end is exactly
    what a hostile document could make two parsers disagree on, and counting too many is safe
    (an unclosed "<br>" in a story's HTML is closed with the element that holds it).
    """
    if body.count(b"<") - body.count(b"</") <= limit:
        return False
    stack: list[bytes] = []
    open_by_name: dict[bytes, int] = {}  # names on the stack: an end tag finds its element in O(1)
    for match in _TAG.finditer(body):
        closing, name, rest, end = match.groups()
        name = name.lower()
        if closing:
            if name and name in open_by_name:
                while True:
                    top = stack.pop()
                    if open_by_name[top] == 1:
                        del open_by_name[top]
                    else:
                        open_by_name[top] -= 1
                    if top == name:
                        break
        elif not (end and rest.endswith(b"/")):
            stack.append(name)
            open_by_name[name] = open_by_name.get(name, 0) + 1
            if len(stack) > limit:
                return True
    return False


# --- RSS and Atom ---------------------------------------------------------------------------------


def _parse_xml(body: bytes, url: str, charset: str | None, bom_charset: str | None) -> ParsedFeed:
    warnings: list[str] = []
    body, entity_warning = _defuse_entities(body)
    if entity_warning:
        warnings.append(entity_warning)
    # lxml stops at 256 levels by itself, so only feedparser's documents need counting
    if _nested_deeper_than(body, MAX_NESTING):
        return ParsedFeed(
            error=f"the feed is nested too deeply to read: more than {MAX_NESTING:,} elements"
            " inside one another, which no real feed has"
        )
    declared_name, use_charset = _charset_for_feedparser(body, charset, bom_charset)
    headers = {
        "content-type": "application/xml" + (f"; charset={use_charset}" if use_charset else "")
    }
    if urlsplit(url).scheme in ("http", "https"):
        headers["content-location"] = url  # the base URI of the document, for xml:base
    result = feedparser.parse(
        io.BytesIO(body),
        response_headers=headers,
        sanitize_html=False,
        resolve_relative_uris=False,
    )
    entries = _story_entries(_get(result, "entries"))
    feed = _get(result, "feed") or {}
    version = _get(result, "version") or ""
    had_declaration = _XML_DECLARATION.match(body) is not None
    problem, ill_formed = _bozo_problem(result, had_declaration, declared_name, bool(use_charset))

    if not entries:
        if not version:
            if _HTML_START.match(body[:4096]) or re.search(rb"<html[\s>]", body[:4096], re.I):
                return ParsedFeed(error="not a feed: got an HTML page")
            root = re.search(rb"<([A-Za-z_][\w.:-]{0,40})", body)
            if root is None:
                return ParsedFeed(error="not a feed: the response is not XML or JSON")
            name = root.group(1).decode("ascii", "replace")
            return ParsedFeed(
                error=f"not a feed: XML whose root element is <{name}>, not RSS or Atom"
            )
        if ill_formed:
            return ParsedFeed(error=f"{problem}, and no stories could be read")

    title, site_url, stories = _feed_parts(feed, entries, version, url)
    if problem and ill_formed:
        n = len(stories)
        warnings.append(f"{problem}; {n} {'story was' if n == 1 else 'stories were'} read anyway")
    elif problem:
        warnings.append(problem)
    return ParsedFeed(
        title=title,
        site_url=site_url,
        stories=stories,
        warning="; ".join(warnings) or None,
    )


_ENTRY_KEYS = ("id", "title", "link", "links", "summary", "content", "media_content")


def _charset_for_feedparser(
    body: bytes, charset: str | None, bom_charset: str | None
) -> tuple[str | None, str | None]:
    """The encoding the document declares, and the charset to tell feedparser (None: let it read
    the declaration)."""
    match = _DECLARED_ENCODING.match(body)
    declared_name = match.group(1).decode("ascii") if match else None
    # a name Python does not know counts as no declaration
    declared = declared_name if declared_name and _known_codec(declared_name) else None
    # BOM first, then the document's declaration, then the HTTP charset (see the module docstring).
    use_charset = bom_charset if bom_charset else (None if declared else _safe_charset(charset))
    return declared_name, use_charset


def _story_entries(entries: Any) -> list:
    # an entry with nothing in it (feedparser makes these of illegally nested items) is no story
    return [e for e in entries or () if any(_get(e, k) for k in _ENTRY_KEYS)]


def _feed_parts(
    feed: Any, entries: list, version: str, url: str
) -> tuple[str | None, str | None, tuple[ParsedStory, ...]]:
    """Title, site URL and stories from feedparser's feed and entry dictionaries (or the same
    dictionaries as reader.fastparse builds them)."""
    feed_base = _detail_base(_get(feed, "title_detail")) or url
    title = _title(_get(feed, "title"), _get(feed, "title_detail")) or None
    site_url = _resolve(_get(feed, "link"), feed_base, _LINK_SCHEMES)
    # Atom entries without an author inherit the feed's (RFC 4287 4.2.1)
    feed_author = _entry_author(feed) if version.startswith("atom") else None
    stories = tuple(_story_from_entry(entry, feed_base, feed_author) for entry in entries)
    return title, site_url, stories


def _known_codec(name: str) -> bool:
    try:
        codecs.lookup(name)
    except LookupError:
        return False
    return True


def _safe_charset(charset: str | None) -> str | None:
    if charset and re.fullmatch(r"[A-Za-z0-9._:-]{1,40}", charset.strip()):
        return charset.strip()
    return None


def _bozo_problem(
    result: Any, had_declaration: bool, declared_name: str | None, http_charset: bool
) -> tuple[str | None, bool]:
    """feedparser's complaint about the document as a short sentence, and whether the document
    was ill-formed (rather than, say, mislabelled)."""
    exc = _get(result, "bozo_exception") if _get(result, "bozo") else None
    if exc is None:
        return None, False
    if isinstance(exc, feedparser.CharacterEncodingOverride):
        match = re.search(r"declared as (\S+), but parsed as (\S+)", str(exc))
        if match and declared_name and not _known_codec(declared_name):
            return (
                f"the feed names an unknown encoding ({declared_name}); it was read as {match[2]}",
                False,
            )
        if match and not declared_name and not http_charset:
            return (
                f"the feed does not say its encoding and is not UTF-8; it was read as {match[2]}",
                False,
            )
        if match and not declared_name:
            return (
                f"the server says the feed's encoding is {match[1]} but it is not;"
                f" it was read as {match[2]}",
                False,
            )
        if match:
            return (
                f"the feed says its encoding is {match[1]} but it is not;"
                f" it was read as {match[2]}",
                False,
            )
        return "the feed's character encoding is wrong", False
    if isinstance(exc, feedparser.CharacterEncodingUnknown):
        return "the feed's character encoding is unknown", False
    if isinstance(exc, feedparser.NonXMLContentType):
        return None, False
    get_message = getattr(exc, "getMessage", None)
    get_line = getattr(exc, "getLineNumber", None)
    message = one_line(str(get_message() if get_message else exc))[:120] or type(exc).__name__
    if message.startswith("not well-formed (") and message.endswith(")"):
        message = message[
            len("not well-formed (") : -1
        ]  # expat's "not well-formed (invalid token)"
    if get_line is not None:
        line = get_line()
        # feedparser adds a declaration line to documents that have none
        if isinstance(line, int) and line > 0:
            line = line if had_declaration or line == 1 else line - 1
            return f"the feed is not well-formed XML ({message} at line {line})", True
    return f"the feed is not well-formed XML ({message})", True


def _detail_base(detail: Any) -> str | None:
    if detail:
        base = _get(detail, "base")
        if base:
            return base
    return None


def _entry_base(entry: Any, feed_base: str) -> str:
    """The base URI in effect inside an entry (xml:base on the entry or above, else the URL)."""
    for key in ("title_detail", "summary_detail"):
        base = _detail_base(_get(entry, key))
        if base:
            return base
    for content in _get(entry, "content") or ():
        base = _detail_base(content)
        if base:
            return base
    return feed_base


def _story_from_entry(entry: Any, feed_base: str, feed_author: str | None) -> ParsedStory:
    base = _entry_base(entry, feed_base)
    link = _resolve(_get(entry, "link"), base, _LINK_SCHEMES)
    author = _entry_author(entry) or feed_author

    summary_detail = _get(entry, "summary_detail")
    # feedparser copies content into summary when there is none; a teaser only if the feed gave one
    summary = (_get(entry, "summary") or "") if summary_detail else ""
    summary_plain = bool(summary_detail) and not _is_html(_get(summary_detail, "type"))
    content, content_plain = _fullest_content(_get(entry, "content"))
    if not content:
        content, content_plain = summary, summary_plain

    published = _entry_time(entry, "published")
    updated = _entry_time(entry, "updated")
    if published is None:
        published = updated if updated is not None else _entry_time(entry, "created")

    enclosures = _dedupe_enclosures(
        [
            *(
                (_get(e, "href"), _get(e, "type"), _get(e, "length"))
                for e in _get(entry, "links") or ()
                if _get(e, "rel") == "enclosure"
            ),
            *(
                (_get(m, "url"), _get(m, "type"), _get(m, "filesize") or _get(m, "fileSize"))
                for m in _get(entry, "media_content") or ()
            ),
        ],
        base,
    )
    return _make_story(
        raw_id=_get(entry, "id"),
        raw_title=_get(entry, "title"),
        title_detail=_get(entry, "title_detail"),
        link=link,
        author=author,
        published=published,
        updated=updated,
        raw_date=_get(entry, "published") or _get(entry, "updated") or "",
        summary=summary,
        summary_plain=summary_plain,
        content=content,
        content_plain=content_plain,
        enclosures=enclosures,
    )


def _is_html(content_type: Any) -> bool:
    return not content_type or content_type in _HTML_TYPES


def _fullest_content(contents: Any) -> tuple[str, bool]:
    best, best_plain = "", False
    for item in contents or ():
        value = _get(item, "value") or ""
        if len(value) > len(best):
            best, best_plain = value, not _is_html(_get(item, "type"))
    return best, best_plain


def _entry_author(entry: Any) -> str | None:
    names: list[str] = []
    for person in _get(entry, "authors") or ():
        name = _get(person, "name") if hasattr(person, "get") else None
        if name:
            name = html_to_title(name[: MAX_AUTHOR_CHARS * 4])
            if name and name not in names:
                names.append(name)
    author = _get(entry, "author")
    if not names and author and isinstance(author, str):
        names.append(html_to_title(author[: MAX_AUTHOR_CHARS * 4]))
    author = ", ".join(n for n in names if n)
    return author[:MAX_AUTHOR_CHARS] or None


def _entry_time(entry: Any, key: str) -> int | None:
    raw = _get(entry, key)
    if isinstance(raw, str):
        # feedparser reads "1709649000" as an ISO date in 2017; a bare number is epoch seconds
        numeric = _numeric_time(raw)
        if numeric is not None:
            return numeric
    parsed = _from_struct(_get(entry, key + "_parsed"))
    if parsed is None and isinstance(raw, str) and raw:
        return _localized_time(raw)
    return parsed


# Month names and abbreviations of the languages whose feeds write RFC 822 dates in their own words
# ("Seg, 24 Set 2018 19:42:40 -0300", "Di, 23 Okt 2018 10:00:00 +0200", "mar., 23 oct. 2018"):
# Portuguese, Spanish, French, German, Italian, Dutch. No word names two different months.
_MONTHS = {
    word: number
    for number, words in enumerate(
        (
            "jan janeiro ene enero janv janvier januar jänner jaenner gen gennaio januari",
            "fev fevereiro feb febrero févr fevr février fevrier februar febbraio februari",
            "mar março marco marzo mars märz maerz mär mrz maart mrt",
            "abr abril avr avril apr april aprile",
            "mai maio may mayo mag maggio mei",
            "jun junho junio juin juni giu giugno",
            "jul julho julio juil juillet juli lug luglio",
            "ago agosto août aout aug august augustus",
            "set setembro sep sept septiembre setiembre septembre september settembre",
            "out outubro oct octubre octobre okt oktober ott ottobre",
            "nov novembro noviembre novembre november",
            "dez dezembro dic diciembre déc dec décembre decembre dezember dicembre december",
        ),
        start=1,
    )
    for word in words.split()
}
_ENGLISH_MONTHS = ("", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# Zone names such feeds use that feedparser does not know (it would take them for UTC).
_ZONES = {
    "MEZ": "+0100", "MESZ": "+0200", "CET": "+0100", "CEST": "+0200", "WET": "+0000",
    "WEST": "+0100", "EET": "+0200", "EEST": "+0300", "BRT": "-0300", "BRST": "-0200",
    "ART": "-0300",
}
# [weekday,] day[.] month[.] year [time] [zone]
_LOCALIZED_DATE = re.compile(
    r"\s*(?:[^\W\d_]{2,12}\.?,?\s+)?(\d{1,2})\.?\s+(?:de\s+)?([^\W\d_]{3,10})\.?,?\s+(?:de\s+)?(\d{4})"
    r"(?:\s+(\d{1,2}:\d{2}(?::\d{2})?))?\s*(\S*)\s*$"
)


def _localized_time(raw: str) -> int | None:
    """Epoch seconds of a date written like RFC 822 but with the month (and weekday) in another
    language, which feedparser does not read; None for anything else."""
    match = _LOCALIZED_DATE.match(raw[:80])
    if match is None:
        return None
    day, month, year, clock, zone = match.groups()
    number = _MONTHS.get(month.lower())
    if number is None:
        return None
    zone = _ZONES.get(zone.upper(), zone) if zone else "GMT"
    english = f"{day} {_ENGLISH_MONTHS[number]} {year} {clock or '00:00:00'} {zone}"
    return _from_struct(_feedparser_parse_date(english))


def _from_struct(parsed) -> int | None:
    """Epoch seconds of a UTC ``time.struct_time`` (feedparser's dates), None when it is none or absurd."""
    if not parsed:
        return None
    try:
        return _bounded(calendar.timegm(parsed))
    except (TypeError, ValueError, OverflowError):
        return None


def _numeric_time(raw: str) -> int | None:
    """Seconds since the epoch written out as a number (some feeds put one in dc:date)."""
    raw = raw.strip()
    if raw.isascii() and raw.isdigit() and 9 <= len(raw) <= 10:
        return _bounded(int(raw))
    return None


def _bounded(t: int) -> int | None:
    return t if _MIN_TIME <= t <= _MAX_TIME else None


# --- JSON Feed ------------------------------------------------------------------------------------


def _parse_json(body: bytes, url: str) -> ParsedFeed:
    try:
        doc = json.loads(body.decode("utf-8", "replace"))
    except (ValueError, RecursionError) as exc:
        if b"jsonfeed.org" in body[:4096]:
            detail = one_line(str(exc))[:100]
            return ParsedFeed(error=f"the JSON Feed is not valid JSON ({detail})")
        return ParsedFeed(error="not a feed: the response is not XML or JSON")
    if not isinstance(doc, dict):
        return ParsedFeed(error="not a feed: JSON that is not a JSON Feed")
    version = doc.get("version")
    items = doc.get("items")
    if not (isinstance(version, str) and "jsonfeed.org" in version) and not (
        isinstance(items, list) and ("title" in doc or "home_page_url" in doc or "feed_url" in doc)
    ):
        return ParsedFeed(error="not a feed: JSON that is not a JSON Feed")
    warnings = []
    if not isinstance(version, str) or "jsonfeed.org" not in version:
        warnings.append("the JSON Feed has no version")
    title = _json_title(_str(doc.get("title"))) or None
    site_url = _resolve(_str(doc.get("home_page_url")), url, _LINK_SCHEMES)
    feed_author = _json_authors(doc)
    stories = []
    if not isinstance(items, list):
        if items is not None:
            warnings.append("the JSON Feed's items are not a list")
        items = []
    for item in items:
        if isinstance(item, dict) and item:
            stories.append(_story_from_json(item, url, feed_author))
    return ParsedFeed(
        title=title, site_url=site_url, stories=tuple(stories), warning="; ".join(warnings) or None
    )


def _str(value: Any) -> str:
    """A JSON string, or "" for any other type (JSON Feed gives every field a type)."""
    return value if isinstance(value, str) else ""


def _id(value: Any) -> str:
    # JSON Feed 1.1: an id given as a number "must be coerced to a string"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return _str(value)


_LOOKS_LIKE_HTML = re.compile(
    r"&(?:#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});|</?[A-Za-z][^<>]*>"
)


def _json_title(value: str) -> str:
    # JSON Feed titles are plain text, but publishers often put entities or markup in them
    if _LOOKS_LIKE_HTML.search(value):
        return html_to_title(value)
    return one_line(value)


def _json_authors(obj: dict) -> str | None:
    people = obj.get("authors")
    if not isinstance(people, list):
        people = [obj.get("author")]
    names: list[str] = []
    for person in people:
        name = _str(person.get("name")) if isinstance(person, dict) else ""
        name = html_to_title(name[: MAX_AUTHOR_CHARS * 4])
        if name and name not in names:
            names.append(name)
    return ", ".join(names)[:MAX_AUTHOR_CHARS] or None


def _json_time(value: Any) -> int | None:
    raw = _str(value).strip()
    if not raw:
        return None
    numeric = _numeric_time(raw)  # fromisoformat reads "1717236000" as a date in the year 1717
    if numeric is not None:
        return numeric
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return _from_struct(_feedparser_parse_date(raw))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return _bounded(int(moment.timestamp()))


def _story_from_json(item: dict, url: str, feed_author: str | None) -> ParsedStory:
    content_html = _str(item.get("content_html"))
    content_text = _str(item.get("content_text"))
    if content_html:
        content, content_plain = content_html, False
    else:
        content, content_plain = content_text, True
    summary = _str(item.get("summary"))
    if not content:
        content, content_plain = summary, True
    link = _resolve(_str(item.get("url")) or _str(item.get("external_url")), url, _LINK_SCHEMES)
    published = _json_time(item.get("date_published"))
    updated = _json_time(item.get("date_modified"))
    attachments = item.get("attachments")
    enclosures = _dedupe_enclosures(
        [
            (_str(a.get("url")), _str(a.get("mime_type")), a.get("size_in_bytes"))
            for a in (attachments if isinstance(attachments, list) else ())
            if isinstance(a, dict)
        ],
        url,
    )
    return _make_story(
        raw_id=_id(item.get("id")),
        raw_title=_str(item.get("title")),
        title_detail=None,
        json_title=True,
        link=link,
        author=_json_authors(item) or feed_author,
        published=published if published is not None else updated,
        updated=updated,
        raw_date=_str(item.get("date_published")) or _str(item.get("date_modified")),
        summary=summary,
        summary_plain=True,  # JSON Feed's summary is plain text
        content=content,
        content_plain=content_plain,
        enclosures=enclosures,
    )


# --- shared: one story ----------------------------------------------------------------------------


def _title(value: Any, detail: Any, json_title: bool = False) -> str:
    if not value or not isinstance(value, str):
        return ""
    value = value[: MAX_TITLE_CHARS * 20]
    if json_title:
        title = _json_title(value)
    elif detail and not _is_html(_get(detail, "type")):
        title = one_line(value)
    else:
        title = html_to_title(value)
    return title[:MAX_TITLE_CHARS].rstrip()


def _as_html(value: str, plain: bool) -> str:
    """Stored summaries and contents are HTML: plain text is escaped, its line breaks kept."""
    if not value:
        return ""
    value = clean_text(value[:MAX_HTML_FIELD_CHARS])
    if plain:
        value = html.escape(value, quote=False).replace("\n", "<br>\n")
    return value


def _plain_text(value: str, plain: bool) -> str:
    if not value:
        return ""
    if plain:
        text = clean_text(value[:MAX_TEXT_CHARS]).strip()
        return _BLANK_LINES.sub("\n\n", text)
    return html_to_text(value)


_BLANK_LINES = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")


def _make_story(
    *,
    raw_id: Any,
    raw_title: Any,
    title_detail: Any,
    link: str | None,
    author: str | None,
    published: int | None,
    updated: int | None,
    raw_date: str,
    summary: str,
    summary_plain: bool,
    content: str,
    content_plain: bool,
    enclosures: tuple[Enclosure, ...],
    json_title: bool = False,
) -> ParsedStory:
    text = _plain_text(content, content_plain)
    summary_html = _as_html(summary, summary_plain)
    content_html = (
        summary_html
        if content is summary and content_plain == summary_plain
        else _as_html(content, content_plain)
    )
    title = _title(raw_title, title_detail, json_title)
    if not title:
        title = _title_from_text(text) or _title_from_text(html_to_text(summary_html)) or UNTITLED
    uid = _uid(raw_id, link, title, published, raw_date)
    return ParsedStory(
        uid=uid,
        title=title,
        url=link,
        author=author,
        published=published,
        updated=updated,
        summary=summary_html,
        content=content_html,
        text=text,
        enclosures=enclosures,
        content_hash=_content_hash(
            title, link, author, published, content_html, summary_html, enclosures
        ),
    )


def _title_from_text(text: str) -> str:
    words = text[:2_000].split()
    if not words:
        return ""
    title = " ".join(words[:UNTITLED_WORDS])
    if len(words) > UNTITLED_WORDS:
        title += "…"
    return title[:MAX_TITLE_CHARS]


def _uid(raw_id: Any, link: str | None, title: str, published: int | None, raw_date: str) -> str:
    uid = raw_id.strip() if isinstance(raw_id, str) else ""
    if uid:
        if len(uid) > MAX_UID_CHARS or not uid.isprintable():
            return "h:" + _sha1(uid)
        return uid
    if link:
        return link
    when = str(published) if published is not None else (raw_date or "").strip()
    return "h:" + _sha1(f"{title}\n{when}")


def _sha1(s: str) -> str:
    return hashlib.sha1(s.encode("utf-8", "surrogatepass"), usedforsecurity=False).hexdigest()


def _content_hash(
    title: str,
    url: str | None,
    author: str | None,
    published: int | None,
    content: str,
    summary: str,
    enclosures: tuple[Enclosure, ...],
) -> str:
    """sha1 of what a reader sees; every field length-prefixed so no two stories can collide by
    shifting text from one field to the next. Deterministic across processes (no ``hash()``)."""
    h = hashlib.sha1(usedforsecurity=False)
    fields: list[str] = [
        title,
        url or "",
        author or "",
        "" if published is None else str(published),
    ]
    fields += [content, summary]
    for e in enclosures:
        fields += [e.url, e.type, "" if e.length is None else str(e.length)]
    for field in fields:
        data = field.encode("utf-8", "surrogatepass")
        h.update(b"%d:" % len(data))
        h.update(data)
    return h.hexdigest()


def _resolve(value: Any, base: str, schemes: frozenset[str]) -> str | None:
    """An absolute URL with an allowed scheme, or None."""
    if not value or not isinstance(value, str):
        return None
    value = value.strip()
    if len(value) > MAX_URL_CHARS or not value:
        return None
    if not value.isprintable():
        value = one_line(clean_text(value))
    if " " in value:
        value = value.replace(" ", "%20")
    if not (value.startswith("https://") or value.startswith("http://")):
        value = _join(base, value)
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    if parts.scheme.lower() not in schemes:
        return None
    if parts.scheme in ("http", "https") and not parts.netloc:
        return None
    return value


@lru_cache(maxsize=1024)
def _join(base: str, ref: str) -> str:
    """urljoin, remembered: most entries of a feed share one base."""
    if not base:
        return ref
    try:
        return urljoin(base, ref)
    except ValueError:
        return ref


def _dedupe_enclosures(raw: Iterable[tuple[Any, Any, Any]], base: str) -> tuple[Enclosure, ...]:
    found: dict[str, Enclosure] = {}
    for href, mime, length in raw:
        url = _resolve(href, base, _ENCLOSURE_SCHEMES)
        if url is None:
            continue
        mime = one_line(mime)[:200] if isinstance(mime, str) else ""
        size = _length(length)
        old = found.get(url)
        if old is None:
            if len(found) < MAX_ENCLOSURES:
                found[url] = Enclosure(url=url, type=mime, length=size)
        elif (not old.type and mime) or (old.length is None and size is not None):
            # the same file listed twice (enclosure and media:content): keep what each one knew
            found[url] = Enclosure(
                url=url,
                type=old.type or mime,
                length=old.length if old.length is not None else size,
            )
    return tuple(found.values())


def _length(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if isinstance(value, float):
        return int(value) if value >= 1 and value < 2**63 else None
    if isinstance(value, str):
        value = value.strip()
        if value.isascii() and value.isdigit() and len(value) <= 18:
            n = int(value)
            return n if n > 0 else None
    return None
