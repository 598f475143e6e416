"""Finding feeds: is this response a feed or a page, and which feeds does a page point to?

``newsdesk add URL`` fetches the address, asks ``looks_like_feed``; when the answer is no and
``looks_like_html`` says it is a page, ``find_feed_links`` lists the feeds the page names. The
sniffers look at the first bytes only and trust the body over the Content-Type header, which
servers often get wrong. Nothing here raises on malformed input.
"""

from __future__ import annotations

import codecs
import json
import re
from dataclasses import dataclass
from urllib.parse import urldefrag, urljoin, urlsplit

from lxml import etree

# Types a <link rel="alternate"> carries when it points at a feed.
FEED_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/feed+json",
        "application/json",
        "application/x-rss+xml",
        "application/x-atom+xml",
        "application/xml",
        "text/xml",
        "text/rss+xml",
        "text/atom+xml",
    }
)
# Content types that name a feed outright; a body of another kind overrules them only if it is HTML.
_FEED_CONTENT_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/feed+json",
        "application/x-rss+xml",
        "application/x-atom+xml",
    }
)
_HTML_CONTENT_TYPES = frozenset({"text/html", "application/xhtml+xml"})
# Root elements of RSS 0.9x/2.0, RSS 1.0 (rdf:RDF), Atom, and the odd bare <channel>.
_FEED_ROOTS = frozenset({"rss", "rdf", "feed", "channel"})
# Elements that open an HTML document when there is no <html> (WHATWG MIME sniffing, and more).
_HTML_ROOTS = frozenset(
    "html head body title meta link script style iframe noscript div p a b br font table h1 h2"
    " h3 h4 h5 h6 span ul ol section header nav main article".split()
)
# An <a href> whose address looks like a feed: the fallback when a page declares none.
_FEED_PATH = re.compile(
    r"(/feeds?|/rss|/atom|\.rss|\.atom|\.rdf|\.xml|/feed\.json|/feeds/posts/default)/?$"
)
_FEED_QUERY = re.compile(r"(^|&)(feed|format)=(rss|rss2|atom|rdf)\b")
_FEED_HOSTS = ("feeds.feedburner.", "feeds2.feedburner.", "feedproxy.google.")
_NOT_FEED_PATH = re.compile(r"(sitemap[^/]*|/wp-json/.*|/oembed.*)$")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_JSON_FEED_VERSION = re.compile(r'"version"\s*:\s*"https?://jsonfeed\.org/version/')
_NAME = re.compile(r"[A-Za-z_][\w:.-]*")
SNIFF_BYTES = 64 * 1024
# A JSON body this small is parsed in full when its version is not near the top.
JSON_PARSE_LIMIT = 8 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class FeedLink:
    """A feed a page points to. ``type`` is the declared media type; None for a plain <a> link."""

    url: str
    title: str | None = None
    type: str | None = None


def find_feed_links(
    html: bytes | str, base_url: str, *, charset: str | None = None
) -> list[FeedLink]:
    """Feeds a page declares with ``<link rel="alternate">``, in document order, each URL once.

    Addresses are resolved against the page's ``<base href>``, then ``base_url``; only http(s)
    results are kept. When the page declares none, ``<a href>`` links whose address looks like a
    feed are returned instead, those on the page's own host first. ``charset`` is the one from the
    Content-Type header, used for bytes before the page's own ``<meta charset>``.
    """
    text = html if isinstance(html, str) else _decode_html(html, charset)
    collector = _LinkCollector()
    # libxml2's HTML parser: linear on any input (html.parser goes quadratic on some garbage).
    parser = etree.HTMLParser(target=collector, recover=True, no_network=True, remove_comments=True)
    try:
        parser.feed(text)
        parser.close()
    except Exception:  # a page we cannot read has no feeds; keep whatever was seen before
        collector.close()
    base = base_url
    if collector.base_href is not None:
        resolved = _resolve(base_url, collector.base_href)
        if resolved is not None:
            base = resolved
    declared = _unique(
        FeedLink(url, title, type_)
        for href, title, type_ in collector.alternates
        if (url := _resolve(base, href)) is not None
        and not (type_ == "application/json" and _NOT_FEED_PATH.search(urlsplit(url).path))
    )
    if declared:
        return declared
    found = _unique(
        FeedLink(url, title, None)
        for href, title in collector.anchors
        if (url := _resolve(base, href)) is not None and _looks_like_feed_url(url)
    )
    home = _site_host(base_url)
    return [f for f in found if _site_host(f.url) == home] + [
        f for f in found if _site_host(f.url) != home
    ]


def looks_like_feed(body: bytes, content_type: str | None) -> bool:
    """True for RSS, RDF, Atom and JSON Feed bodies; False for HTML and anything else."""
    if not body:
        return False
    head = _sniff_text(body)
    stripped = head.lstrip()
    if stripped.startswith(("{", "[")):
        return _is_json_feed(body, head) or _media_type(content_type) == "application/feed+json"
    doctype, root = _prolog(head)
    if root is not None:
        return root.rpartition(":")[2].lower() in _FEED_ROOTS
    if _is_html(doctype, root, head):
        return False
    return _media_type(content_type) in _FEED_CONTENT_TYPES


def looks_like_html(body: bytes, content_type: str | None) -> bool:
    """True when the body is a web page (HTML or XHTML), whatever the Content-Type says."""
    if not body:
        return False
    head = _sniff_text(body)
    if head.lstrip().startswith(("{", "[")):
        return False
    doctype, root = _prolog(head)
    if root is not None and root.rpartition(":")[2].lower() in _FEED_ROOTS:
        return False
    if _is_html(doctype, root, head):
        return True
    return root is None and _media_type(content_type) in _HTML_CONTENT_TYPES


# -- the page ------------------------------------------------------------------------------


class _LinkCollector:
    """An lxml parser target: sees start tags, end tags and text, builds no tree."""

    def __init__(self) -> None:
        self.base_href: str | None = None
        self.alternates: list[tuple[str, str | None, str]] = []
        self.anchors: list[tuple[str, str | None]] = []
        self._anchor: tuple[str, str | None, list[str]] | None = None

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        # libxml2 lower-cases names and keeps the first of repeated attributes, as browsers do.
        if tag == "base":
            if self.base_href is None and "href" in attrib:
                self.base_href = attrib["href"]
        elif tag == "link":
            rel = attrib.get("rel", "").lower().split()
            media_type = _media_type(attrib.get("type"))
            href = attrib.get("href", "")
            if "alternate" in rel and media_type in FEED_TYPES and href.strip():
                self.alternates.append((href, _title(attrib.get("title")), media_type))
        elif tag == "a":
            self.finish_anchor()
            href = attrib.get("href", "")
            if href.strip():
                self._anchor = (href, _title(attrib.get("title")), [])

    def end(self, tag: str) -> None:
        if tag == "a":
            self.finish_anchor()

    def data(self, data: str) -> None:
        if self._anchor is not None and len(self._anchor[2]) < 50:
            self._anchor[2].append(data)

    def close(self) -> None:
        self.finish_anchor()

    def finish_anchor(self) -> None:
        if self._anchor is not None:
            href, title, text = self._anchor
            self.anchors.append((href, _title("".join(text)) or title))
            self._anchor = None


def _title(text: str | None) -> str | None:
    if not text:
        return None
    return " ".join(text.split())[:200] or None


def _resolve(base: str, href: str) -> str | None:
    """An absolute http(s) URL without its fragment, or None."""
    # The URL parser in browsers drops tabs and newlines anywhere and spaces at either end.
    href = re.sub(r"[\t\n\r]", "", href).strip(" \f")
    try:
        url = urldefrag(urljoin(base, href)).url
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


def _unique(links) -> list[FeedLink]:
    seen: set[str] = set()
    out: list[FeedLink] = []
    for link in links:
        if link.url not in seen:
            seen.add(link.url)
            out.append(link)
    return out


def _looks_like_feed_url(url: str) -> bool:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    path = parts.path.lower()
    if _NOT_FEED_PATH.search(path):
        return False
    return (
        host.startswith(_FEED_HOSTS)
        or bool(_FEED_PATH.search(path))
        or bool(_FEED_QUERY.search(parts.query.lower()))
    )


def _site_host(url: str) -> str:
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return host.lower().removeprefix("www.")


def _decode_html(body: bytes, charset: str | None) -> str:
    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if body.startswith(bom):
            return body[len(bom) :].decode(encoding, errors="replace")
    candidates = [charset]
    match = _META_CHARSET.search(body[:4096])
    if match:
        candidates.append(match.group(1).decode("ascii"))
    for candidate in candidates:
        if not candidate:
            continue
        try:
            encoding = codecs.lookup(candidate).name
        except LookupError:
            continue
        if encoding.startswith("utf-16") or encoding.startswith("utf-32"):
            encoding = "utf-8"  # an ASCII-compatible page cannot be UTF-16 (HTML spec)
        return body.decode(encoding, errors="replace")
    return body.decode("utf-8", errors="replace")


# -- sniffing ------------------------------------------------------------------------------


def _media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def _sniff_text(body: bytes) -> str:
    """The start of the body as text; only its ASCII structure matters, so latin-1 will do."""
    head = body[:SNIFF_BYTES]
    if head.startswith(codecs.BOM_UTF8):
        return head[3:].decode("latin-1")
    if head.startswith(codecs.BOM_UTF16_LE) or head.startswith(codecs.BOM_UTF16_BE):
        return head.decode("utf-16", errors="replace")
    if head.startswith(b"<\x00"):
        return head.decode("utf-16-le", errors="replace")
    if head.startswith(b"\x00<"):
        return head.decode("utf-16-be", errors="replace")
    return head.decode("latin-1")


def _prolog(text: str) -> tuple[str | None, str | None]:
    """The DOCTYPE name and the first element's name, skipping declarations and comments."""
    doctype = None
    i, n = 0, len(text)
    while True:
        while i < n and text[i] in " \t\r\n\f":
            i += 1
        if text.startswith("<?", i):
            end = text.find("?>", i + 2)
            if end < 0:
                return doctype, None
            i = end + 2
        elif text.startswith("<!--", i):
            end = text.find("-->", i + 4)
            if end < 0:
                return doctype, None
            i = end + 3
        elif text[i : i + 9].upper() == "<!DOCTYPE":
            name = _NAME.match(text[i + 9 :].lstrip())
            doctype = name.group(0) if name else ""
            bracket, close = text.find("[", i), text.find(">", i)
            if 0 <= bracket < close:  # an internal subset may hold ">" of its own
                close = text.find(">", max(text.find("]", bracket), bracket))
            if close < 0:
                return doctype, None
            i = close + 1
        elif text.startswith("<", i):
            name = _NAME.match(text, i + 1)
            return doctype, name.group(0) if name else None
        else:
            return doctype, None


def _is_html(doctype: str | None, root: str | None, head: str) -> bool:
    if doctype is not None and doctype.lower() == "html":
        return True
    if root is not None:
        return root.lower() in _HTML_ROOTS
    # Text before the markup (a stray warning, a byte-order mess): look a little further.
    return re.search(r"<(html|head|body)[\s>]", head[:4096], re.I) is not None


def _is_json_feed(body: bytes, head: str) -> bool:
    if _JSON_FEED_VERSION.search(head):
        return True
    if len(body) > JSON_PARSE_LIMIT:
        return False
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return False
    version = document.get("version") if isinstance(document, dict) else None
    return isinstance(version, str) and bool(re.match(r"https?://jsonfeed\.org/version/", version))
