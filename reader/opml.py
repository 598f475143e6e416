"""Subscription lists in and out: OPML (1.0 and 2.0) and newsboat ``urls`` files.

``read_subscriptions`` turns a file a person hands us into ``Subscription`` values and a list of
what it left out and why; ``write_opml`` turns feeds back into OPML 2.0. The two round-trip: what
``write_opml`` writes, ``read_subscriptions`` reads back with the same URLs, titles, folders and
site URLs, in the same order when the feeds are listed folder by folder (see ``write_opml``).

Folders are strings; a nested folder is written ``"Parent/Child"``. A slash is therefore the one
character a folder name cannot hold: an OPML folder titled ``"News/Politics"`` is read as the folder
``Politics`` inside ``News``, exactly as if the file had nested two outlines. Names are normalised
the same way on both sides: characters XML 1.0 cannot carry are dropped, surrounding whitespace is
stripped, and an empty title or folder segment counts as none.

XML is read with expat and no DTD processing: a document that declares entities or points at an
external DTD is refused before anything is expanded or fetched (billion laughs, XXE).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.utils import formatdate
from pyexpat import ExpatError, ParserCreate
from typing import Iterable, Iterator, Literal
from urllib.parse import urlsplit

from reader.models import Clock, Feed, system_clock

# Characters XML 1.0 allows; everything else (most C0 controls, lone surrogates, U+FFFE/U+FFFF)
# cannot appear in a well-formed document, not even as a character reference.
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# Tabs and line breaks as references: a parser turns literal ones in attributes into spaces.
_ATTR_ESCAPES = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}
    | {"\t": "&#9;", "\n": "&#10;", "\r": "&#13;"}
)
_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_WEB_SCHEMES = ("http", "https")
_FEED_ROOTS = ("rss", "feed", "rdf")  # root elements of RSS, Atom and RSS 1.0 documents
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
# Newsboat's "URLs" that are not addresses we can subscribe to.
_NEWSBOAT_SPECIAL = {
    "query": "a newsboat query feed (a saved search, not a feed address)",
    "exec": "a newsboat exec feed (a command to run, not a feed address)",
    "filter": "a newsboat filter feed (runs a command on the feed)",
}


@dataclass(frozen=True, slots=True)
class Subscription:
    """One feed as a subscription list names it."""

    url: str
    title: str | None = None
    folder: str | None = None  # "Parent/Child" for nested folders
    site_url: str | None = None


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What a subscription list held: the feeds to add, and a sentence for each entry left out."""

    subscriptions: tuple[Subscription, ...]
    skipped: tuple[str, ...] = ()
    format: Literal["opml", "newsboat"] = "opml"


# -- normalising names ---------------------------------------------------------------------


def _clean(text: str | None) -> str | None:
    """A title as we store it: XML-safe, stripped, None when nothing is left."""
    if text is None:
        return None
    text = _NOT_XML_CHAR.sub("", text).strip()
    return text or None


def _folder_segments(folder: str | None) -> list[str]:
    if not folder:
        return []
    return [s for s in (_clean(part) for part in folder.split("/")) if s]


def normalise_folder(folder: str | None) -> str | None:
    """A folder as the user typed it, stored as an import would store it: " /Tech// News/ " is
    "Tech/News", and a blank one is none."""
    return "/".join(_folder_segments(folder)) or None


def normalise_title(title: str | None) -> str | None:
    """A title as an import would store it: stripped, and a blank one is none."""
    return _clean(title)


def _web_url(url: str | None) -> str | None:
    """The address when it is an http(s) URL, else None."""
    url = _clean(url)
    if url is None:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme.lower() in _WEB_SCHEMES and parts.netloc else None


# -- reading -------------------------------------------------------------------------------


def read_subscriptions(data: bytes, name: str = "") -> ImportResult:
    """Read an OPML file or a newsboat ``urls`` file; ``name`` is used in messages only.

    Raises ``ValueError`` with a sentence a person can act on when the data is neither, is not
    well-formed XML, or declares XML entities.
    """
    label = name or "the file"
    start = data.removeprefix(b"\xef\xbb\xbf").lstrip()
    if not start:
        raise ValueError(f"{label} is empty: there are no subscriptions to import")
    if start.startswith(b"<") or data.startswith((b"\xff\xfe", b"\xfe\xff", b"<\x00", b"\x00<")):
        return _read_opml(data, label)
    return _read_newsboat(data, label)


class _Unsafe(Exception):
    pass


class _NotAList(Exception):
    """The document is a feed (its root element is given), known before its DTD is read."""


@dataclass
class _Element:
    tag: str  # lower case: OPML in the wild spells "xmlUrl" every which way
    attrs: dict[str, str]
    children: list[_Element]


def _parse_xml(data: bytes, label: str) -> _Element:
    parser = ParserCreate()
    root = _Element("", {}, [])
    stack = [root]

    def start(tag: str, attrs: dict[str, str]) -> None:
        lowered: dict[str, str] = {}
        for key, value in attrs.items():
            lowered.setdefault(key.lower(), value)
        element = _Element(tag.lower(), lowered, [])
        stack[-1].children.append(element)
        stack.append(element)

    def end(tag: str) -> None:
        stack.pop()

    def doctype(name: str, system_id: str | None, public_id: str | None, internal: int) -> None:
        # A bare <!DOCTYPE opml> is harmless; anything that could define or fetch entities is not.
        if system_id or public_id or internal:
            if name.lower().rpartition(":")[2] in _FEED_ROOTS:  # RSS 0.91's Netscape DTD
                raise _NotAList(name)
            raise _Unsafe

    def entity(*args: object) -> None:
        raise _Unsafe

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = entity
    parser.UnparsedEntityDeclHandler = entity
    parser.ExternalEntityRefHandler = entity
    try:
        parser.Parse(data, True)
    except _NotAList as exc:
        raise ValueError(_a_feed(label, str(exc))) from None
    except _Unsafe:
        raise ValueError(
            f"refusing to read {label}: it declares a DTD or XML entities, which subscription lists"
            " never need and which can be used to make a program read local files or run out of"
            " memory"
        ) from None
    except ExpatError as exc:
        raise ValueError(
            f"not an OPML file: {label} is not well-formed XML"
            f" ({_expat_reason(exc)} at line {exc.lineno}, column {exc.offset + 1})"
        ) from None
    return root.children[0]  # expat insists on exactly one root element


def _a_feed(label: str, root: str) -> str:
    return (f"not an OPML file: {label} is a feed (<{root}>), not a list of subscriptions;"
            " add it by its address instead")


def _expat_reason(exc: ExpatError) -> str:
    return str(exc).split(":", 1)[0]


def _read_opml(data: bytes, label: str) -> ImportResult:
    root = _parse_xml(data, label)
    if root.tag != "opml":
        if root.tag.rpartition(":")[2] in _FEED_ROOTS:
            raise ValueError(_a_feed(label, root.tag))
        raise ValueError(
            f"not an OPML file: {label} is an XML document of another kind (<{root.tag}>),"
            " where a subscription list starts with <opml>"
        )
    reader = _OutlineReader()
    reader.walk(root)
    return ImportResult(tuple(reader.subscriptions), tuple(reader.skipped), "opml")


class _OutlineReader:
    def __init__(self) -> None:
        self.subscriptions: list[Subscription] = []
        self.skipped: list[str] = []
        self.seen: set[str] = set()

    def walk(self, root: _Element) -> None:
        # Depth-first in document order with a stack of our own: nesting depth is the file's choice.
        pending: list[tuple[Iterator[_Element], list[str]]] = [(iter(root.children), [])]
        while pending:
            children, path = pending[-1]
            child = next(children, None)
            if child is None:
                pending.pop()
            elif child.tag == "body":  # a missing <head> or <body> is tolerated
                pending.append((iter(child.children), path))
            elif child.tag == "outline":
                inner = self.outline(child, path)
                if inner is not None:
                    pending.append((iter(child.children), inner))

    def outline(self, element: _Element, path: list[str]) -> list[str] | None:
        """Take in one outline; returns the folder path for its children, if they matter."""
        attrs = element.attrs
        title = _clean(attrs.get("title")) or _clean(attrs.get("text"))
        xml_url = _clean(attrs.get("xmlurl"))
        if xml_url is not None:
            self.feed(xml_url, title, attrs, path)
            # A feed outline with children is odd but seen; its children stay in this folder.
            return path
        if any(child.tag == "outline" for child in element.children):
            return path + _folder_segments(title)
        if attrs.get("type", "").lower() in ("rss", "atom") or "url" in attrs:
            name = f"“{title}”" if title else "an outline"
            self.skipped.append(f"{name}: no feed address (xmlUrl); left out")
        # Otherwise an empty folder or a note: folders exist only through their feeds.
        return None

    def feed(self, url: str, title: str | None, attrs: dict[str, str], path: list[str]) -> None:
        name = f"“{title}” ({url})" if title else url
        if _web_url(url) is None:
            self.skipped.append(f"{name}: not a web address (http or https); left out")
            return
        if url in self.seen:
            self.skipped.append(f"{name}: listed more than once; the first entry was kept")
            return
        self.seen.add(url)
        self.subscriptions.append(
            Subscription(
                url=url,
                title=title,
                folder="/".join(path) or None,
                site_url=_web_url(attrs.get("htmlurl")),
            )
        )


def _newsboat_tokens(line: str) -> list[str]:
    """Split a urls line the way newsboat does.

    Whitespace separates tokens; a token that starts with ``"`` runs to the next unescaped ``"``
    (``\\n``, ``\\r``, ``\\t``, ``\\"`` and ``\\\\`` are escapes; ``\\x`` is ``x``) or to the end of
    the line; a token that starts with ``#`` starts a comment. A ``#`` or ``"`` inside an unquoted
    token is an ordinary character.
    """
    tokens: list[str] = []
    i, n = 0, len(line)
    while i < n:
        while i < n and line[i] in " \t\r\n":
            i += 1
        if i >= n or line[i] == "#":
            break
        if line[i] == '"':
            i += 1
            chars: list[str] = []
            while i < n and line[i] != '"':
                if line[i] == "\\" and i + 1 < n:
                    i += 1
                    chars.append({"n": "\n", "r": "\r", "t": "\t"}.get(line[i], line[i]))
                elif line[i] != "\\":
                    chars.append(line[i])
                i += 1
            tokens.append("".join(chars))
            i += 1  # the closing quote; the next token may follow at once, as in newsboat
        else:
            j = i
            while j < n and line[j] not in " \t\r\n":
                j += 1
            tokens.append(line[i:j])
            i = j
    return tokens


def _read_newsboat(data: bytes, label: str) -> ImportResult:
    if b"\x00" in data:
        raise ValueError(
            f"{label} is neither an OPML file nor a newsboat urls file: it holds binary data"
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:  # a file from a Latin-1 locale: "~Café" must not become "~Caf�"
        text = data.decode("cp1252", errors="replace")
    subscriptions: list[Subscription] = []
    skipped: list[str] = []
    unusable: list[tuple[int, str]] = []  # lines whose first word is no web address
    strangers = 0  # of them, those whose first word is no URL of any kind
    seen: set[str] = set()
    specials = 0  # newsboat's query, exec and filter lines
    for number, line in enumerate(text.splitlines(), start=1):
        tokens = _newsboat_tokens(line)
        if not tokens:
            continue
        url, tags = tokens[0], tokens[1:]
        scheme = url.partition(":")[0].lower()
        if scheme in _NEWSBOAT_SPECIAL:
            what = _NEWSBOAT_SPECIAL[scheme]
            hint = ""
            if scheme == "filter":  # filter:PROGRAM:URL; the feed itself can still be had
                inner = _web_url(url.split(":", 2)[-1])
                if inner:
                    hint = f" (newsdesk add {inner} subscribes to it unfiltered)"
            skipped.append(f"line {number}: {_shorten(url)} is {what}; left out{hint}")
            specials += 1
            continue
        web_url = _web_url(url)
        if web_url is None:
            unusable.append((number, url))
            if _SCHEME.match(url):
                reason = "is not a web address (http or https)"
            else:
                strangers += 1
                reason = "is not a feed address"
            skipped.append(f"line {number}: {_shorten(url)!r} {reason}; left out")
            continue
        if web_url in seen:
            skipped.append(f"line {number}: {web_url} is listed more than once; the first was kept")
            continue
        seen.add(web_url)
        title = None
        folder = None
        for tag in tags:
            if tag.startswith("~"):
                title = title or _clean(tag[1:])
            elif tag.startswith("!"):
                continue  # hides the feed in newsboat; we keep the feed
            elif folder is None:
                folder = "/".join(_folder_segments(tag)) or None
        subscriptions.append(Subscription(url=web_url, title=title, folder=folder))
    # Nothing to subscribe to, and words where addresses go (a stray "Note:" looks like a scheme):
    # prose or some other file, unless newsboat's own query/exec/filter lines say otherwise.
    if strangers and not subscriptions and not specials:
        number, word = unusable[0]
        raise ValueError(
            f"{label} is neither an OPML file nor a newsboat urls file: line {number} starts with"
            f" {_shorten(word)!r} where a feed address (http://… or https://…) should be"
        )
    return ImportResult(tuple(subscriptions), tuple(skipped), "newsboat")


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- writing -------------------------------------------------------------------------------


class _Folder:
    def __init__(self) -> None:
        self.children: list[tuple[str, _Folder] | Feed | Subscription] = []
        self.subfolders: dict[str, _Folder] = {}

    def folder(self, name: str) -> _Folder:
        sub = self.subfolders.get(name)
        if sub is None:
            sub = self.subfolders[name] = _Folder()
            self.children.append((name, sub))
        return sub


def write_opml(
    feeds: Iterable[Feed | Subscription],
    title: str = "Newsdesk subscriptions",
    *,
    clock: Clock = system_clock,
) -> str:
    """OPML 2.0 for ``feeds`` (``Feed`` or ``Subscription`` values), to be saved as UTF-8.

    Folders become nested outlines, each written where its first feed appears. Feeds listed folder
    by folder, each folder's subfolders right after it, read back in the same order; others read
    back grouped that way. (``Store.list_feeds`` sorts folder names as text, so "A B" comes between
    "A" and "A/B"; such a list reads back with "A/B" before "A B".) A feed without a title is
    written with an empty ``text`` and no ``title``, so it reads back without one.
    """
    tree = _Folder()
    for feed in feeds:
        node = tree
        for segment in _folder_segments(feed.folder):
            node = node.folder(segment)
        node.children.append(feed)
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<opml version="2.0">',
        "  <head>",
        f"    <title>{_text(title)}</title>",
        f"    <dateCreated>{formatdate(clock(), usegmt=True)}</dateCreated>",
        "    <docs>https://opml.org/spec2.opml</docs>",
        "  </head>",
        "  <body>",
    ]
    # Depth-first with a stack of our own, as folders can be nested arbitrarily deep.
    pending: list[Iterator[tuple[str, _Folder] | Feed | Subscription]] = [iter(tree.children)]
    while pending:
        indent = "    " + "  " * (len(pending) - 1)
        child = next(pending[-1], None)
        if child is None:
            pending.pop()
            if pending:
                lines.append(f"{indent[:-2]}</outline>")
        elif isinstance(child, tuple):
            name, sub = child
            lines.append(f'{indent}<outline text="{_attr(name)}" title="{_attr(name)}">')
            pending.append(iter(sub.children))
        else:
            lines.append(indent + _feed_outline(child))
    lines += ["  </body>", "</opml>", ""]
    return "\n".join(lines)


def _feed_outline(feed: Feed | Subscription) -> str:
    title = _clean(feed.title)
    attrs = ['type="rss"', f'text="{_attr(title or "")}"']
    if title:
        attrs.append(f'title="{_attr(title)}"')
    attrs.append(f'xmlUrl="{_attr(feed.url)}"')
    if feed.site_url:
        attrs.append(f'htmlUrl="{_attr(feed.site_url)}"')
    return f"<outline {' '.join(attrs)}/>"


def _attr(value: str) -> str:
    return _NOT_XML_CHAR.sub("", value).translate(_ATTR_ESCAPES)


def _text(value: str) -> str:
    return _NOT_XML_CHAR.sub("", value).translate(_TEXT_ESCAPES)
