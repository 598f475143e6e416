"""A fast path for ordinary RSS 2.0/0.9x and Atom 1.0 documents: lxml instead of feedparser's SAX.

feedparser spends most of its time in Python callbacks, one per element and one per text chunk,
each going through its general handler machinery. Here lxml builds the tree in C and one walk over
it replays what feedparser's handlers do, for the handlers that matter, into the same entry
dictionaries feedparser makes (the same keys, values, types and xml:base). ``reader.parse`` turns
those into stories with the very functions it uses for feedparser's output, so both paths agree by
construction; ``tests/test_fastparse.py`` checks that they agree on every document we have.

Anything out of the ordinary is declined (``None``) and goes to feedparser: a DOCTYPE, XML that is
not well-formed (or XML 1.1), RSS 1.0/RDF, Atom 0.3, a body that does not decode in the encoding
feedparser tries first (it would then guess), markup inside a text element (Atom type="xhtml", an
RSS description with real child elements), a namespaced attribute whose local name a handler
reads, GML/GeoRSS "where", Podlove chapters, licence elements, and any element feedparser has a
handler for that this module does not replay (so a new feedparser handler is declined, not missed).

The replay mirrors feedparser 6.0's ``_FeedParserMixin`` (mixin.py, namespaces/*.py) and its strict
parser's name handling (parsers/strict.py); method names below are feedparser's.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import feedparser.mixin
import feedparser.util
from feedparser.api import StrictFeedParser
from feedparser.datetimes import _parse_date
from feedparser.html import _cp1252
from feedparser.mixin import _FeedParserMixin
from lxml import etree

# reader.parse first: it replaces feedparser's URI helpers with memoised copies, which we share.
from reader import parse as _parse_module
from reader.models import ParsedFeed

__all__ = ["fast_parse"]

_urljoin = feedparser.mixin._urljoin
_make_safe_absolute_uri = feedparser.mixin.make_safe_absolute_uri
_looks_like_html = _FeedParserMixin.looks_like_html
_map_content_type = _FeedParserMixin.map_content_type
_enforce_href = _FeedParserMixin._enforce_href
_sync_author_detail = _FeedParserMixin._sync_author_detail

_ATOM_NS = "http://www.w3.org/2005/Atom"
_XML_NS = "http://www.w3.org/XML/1998/namespace"
_XLINK_NS = "http://www.w3.org/1999/xlink"
# feedparser's table of known namespaces, keyed by lower-cased URI, as its parser matches them
_MATCH_NAMESPACES = {uri.lower(): prefix for uri, prefix in _FeedParserMixin.namespaces.items()}
_HTML_TYPES = frozenset(_FeedParserMixin.html_types)
# FeedParserDict renames some keys when they are set
_KEYMAP = {
    key: (value[0] if isinstance(value, list) else value)
    for key, value in feedparser.util.FeedParserDict.keymap.items()
}
# what reader.parse reads from an entry or the feed: an unknown element by one of these names
# would overwrite it with a string
_READ_KEYS = frozenset(
    {"links", "authors", "content", "media_content", "title", "summary", "link", "id", "author"}
)
# elements whose text reader.parse reads (by the name feedparser pushes); the text of any other
# element only matters for whether it is empty
_KEPT = frozenset(
    {"title", "description", "summary", "content", "link", "id", "author", "published", "updated",
     "created", "date"}
)
# attributes a replayed handler or reader.parse reads
_READ_ATTRIBUTES = frozenset(
    {"base", "lang", "type", "mode", "src", "rel", "href", "url", "uri", "ispermalink", "lastmod",
     "version", "length", "filesize", "about", "resource", "term", "scheme", "label", "domain", "text"}
)
# feedparser leaves an image or text input at any other unprefixed element
_TEXTINPUT_CHILDREN = frozenset({"title", "link", "description", "name"})
_IMAGE_CHILDREN = frozenset({"title", "link", "description", "url", "href", "width", "height"})
_C1_CONTROL = re.compile("[\x80-\x9f]")
assert all(0x80 <= c <= 0x9F for c in _cp1252)  # what _C1_CONTROL looks for
_AMP_REF = re.compile("&([A-Za-z0-9_]+);")
_XML_DECLARATION = re.compile(rb"^<\?xml[^>]*?\?>")
# feedparser's own rule for the encoding in the declaration (encodings.RE_XML_PI_ENCODING)
_FEEDPARSER_PI_ENCODING = re.compile(rb"^<\?.*encoding=['\"](.*?)['\"].*\?>")
_PARSER_OPTIONS = dict(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    huge_tree=False,
    recover=False,
    remove_comments=True,  # so that text on both sides of a comment joins, as it does in SAX
    remove_pis=True,
    collect_ids=False,
    encoding="utf-8",  # the body is made what feedparser parses: UTF-8 (see _utf8_body)
)


class _Decline(Exception):
    """The document is not one this module reproduces exactly; feedparser reads it."""


def fast_parse(
    body: bytes, url: str, charset: str | None = None, bom_charset: str | None = None
) -> ParsedFeed | None:
    """The ``ParsedFeed`` feedparser's path would give for ``body``, or None to let feedparser read it.

    ``body``, ``charset`` and ``bom_charset`` are what ``reader.parse`` hands its XML stage: the
    document without a byte-order mark or leading whitespace, the HTTP charset, and the charset the
    byte-order mark named. Never raises.
    """
    try:
        return _fast_parse(body, url, charset, bom_charset)
    except Exception:  # _Decline, or a document this module did not foresee: feedparser decides
        return None


def _fast_parse(body: bytes, url: str, charset: str | None, bom_charset: str | None) -> ParsedFeed:
    body = _utf8_body(body, charset, bom_charset)
    try:
        root = etree.fromstring(body, etree.XMLParser(**_PARSER_OPTIONS))
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise _Decline("not well-formed") from exc
    if root.getroottree().docinfo.doctype:
        raise _Decline("DOCTYPE")
    tag = root.tag
    if tag != "rss" and tag != "{" + _ATOM_NS + "}feed":
        raise _Decline(f"root element {tag}")
    base = url if urlsplit(url).scheme in ("http", "https") else ""
    replay = _Replay(base)
    replay.walk(root)
    entries = _parse_module._story_entries(replay.entries)
    title, site_url, stories = _parse_module._feed_parts(replay.feeddata, entries, replay.version, url)
    return ParsedFeed(title=title, site_url=site_url, stories=stories)


# An absolute http(s) URL that urllib's urljoin gives back unchanged whatever the base: a
# lower-case scheme, a plain host, no ";" parameters, no empty "?" or "#", nothing urllib strips.
_PLAIN_ABSOLUTE_URL = re.compile(
    r"https?://[A-Za-z0-9.-]++(?::[0-9]++)?+"
    r"(?:/[A-Za-z0-9\-._~!$&'()*+,=:@%/]*+)?+"
    r"(?:\?[A-Za-z0-9\-._~!$&'()*+,=:@%/?]++)?+"
    r"(?:#[A-Za-z0-9\-._~!$&'()*+,=:@%/?#]++)?+"
)


def _resolve_uri(base: str, uri: str) -> str:
    """feedparser's resolve_uri (its _urljoin), without urllib for the common absolute URL."""
    if _PLAIN_ABSOLUTE_URL.fullmatch(uri):
        return uri
    return _urljoin(base, uri)


def _utf8_body(body: bytes, charset: str | None, bom_charset: str | None) -> bytes:
    """The body as the UTF-8 feedparser parses, or _Decline if feedparser would have to guess.

    feedparser decodes with the HTTP charset reader.parse gives it, else the declared encoding,
    else UTF-8; when that works it parses the result re-encoded as UTF-8 and complains of nothing.
    When it fails feedparser tries other encodings and reports it; that case is left to it.
    """
    first = _parse_module._FIRST_ELEMENT.search(body)
    prolog = body[: first.start()] if first else body
    if b"<!DOCTYPE" in prolog or b"<!ENTITY" in prolog:
        raise _Decline("DOCTYPE")
    declaration = _XML_DECLARATION.match(body)
    if declaration and b'"1.0"' not in declaration.group() and b"'1.0'" not in declaration.group():
        raise _Decline("XML version")  # feedparser rewrites the declaration to 1.0
    _, use_charset = _parse_module._charset_for_feedparser(body, charset, bom_charset)
    # feedparser's RFC 3023 choice for application/xml: HTTP charset, then the declaration, then UTF-8
    encoding = use_charset or _feedparser_declared_encoding(body) or "utf-8"
    if encoding.lower() == "gb2312":
        encoding = "gb18030"  # as feedparser does
    try:
        codec = codecs.lookup(encoding).name
        if codec == "utf-8" or (codec == "ascii" and body.isascii()):
            if not body.isascii():
                body.decode("utf-8")  # only to check it
            return body
        return body.decode(encoding).encode("utf-8")
    except (LookupError, UnicodeError):
        raise _Decline("encoding") from None


def _feedparser_declared_encoding(body: bytes) -> str:
    """What feedparser's RE_XML_PI_ENCODING finds, without its backtracking over a one-line file."""
    if not body.startswith(b"<?"):
        return ""
    end = body.find(b"\n")
    line = body if end < 0 else body[:end]
    if len(line) > 4096:
        match = _feedparser_pi_encoding_long(line)
    else:
        match = _FEEDPARSER_PI_ENCODING.match(line)
        match = match.group(1) if match else None
    if match is None:
        return ""
    if not match.isascii():
        raise _Decline("declared encoding")
    return match.decode("ascii").lower()


def _feedparser_pi_encoding_long(line: bytes) -> bytes | None:
    # ^<\?.*encoding=['"](.*?)['"].*\?> : the last "encoding=" plus quote that is followed by a
    # quote and, after that quote, by "?>"
    pos = len(line)
    while True:
        pos = line.rfind(b"encoding=", 2, pos)
        if pos < 0:
            return None
        start = pos + len(b"encoding=")
        if line[start : start + 1] in (b"'", b'"'):
            quotes = [q for q in (line.find(b"'", start + 1), line.find(b'"', start + 1)) if q >= 0]
            if quotes and line.find(b"?>", min(quotes) + 1) >= 0:
                return line[start + 1 : min(quotes)]
        pos = pos + len(b"encoding=") - 1  # rfind's end is exclusive: look before this one


class _Scratch:
    """Just enough of a feedparser parser to run one of its methods on a dictionary."""

    def __init__(self, context: dict):
        self.context = context

    def _get_context(self) -> dict:
        return self.context


@lru_cache(maxsize=4096)
def _split_author(author: str) -> tuple[str | None, str | None]:
    """The name and e-mail address feedparser makes of an author string ("a@b.c (Name)")."""
    context: dict[str, Any] = {"author": author}
    _sync_author_detail(_Scratch(context))
    detail = context.get("author_detail") or {}
    return detail.get("name"), detail.get("email")


# --- the replay of feedparser's handlers ----------------------------------------------------------


class _Replay:
    """feedparser's parser state and the handlers that matter, driven by an lxml tree."""

    def __init__(self, baseuri: str):
        self.feeddata: dict[str, Any] = {}
        self.entries: list[dict[str, Any]] = []
        self.version = ""
        self.namespaces_in_use: dict[str, str] = {}
        self.namespacemap: dict[str | None, str] = {}
        self.pending_decls: dict[str, str] = {}
        self.names: dict[str, tuple] = {}  # lxml tag → what _kind says of it
        self.infeed = self.inentry = self.incontent = 0
        self.inimage = self.intextinput = self.inauthor = 0
        self.incontributor = self.inpublisher = self.insource = 0
        self.sourcedata: dict[str, Any] = {}
        self.contentparams: dict[str, Any] = {}
        self.base64 = False
        self.summary_key: str | None = None
        self.guidislink = False
        self.stack: list[list[Any]] = []
        self.baseuri = baseuri
        self.basestack: list[str] = []
        self.stable_base: str | None = None
        self.title_depth = -1
        self.depth = 0
        self.has_content = 0
        self.depthmap: dict[str, int] = {}

    # -- walking ------------------------------------------------------------------------------

    def walk(self, root: Any) -> None:
        stack = self.stack
        basestack = self.basestack
        names = self.names
        for event, el in etree.iterwalk(root, events=("start-ns", "start", "end")):
            if event == "start":
                name, leaves_textinput, leaves_image, start, end = names.get(el.tag) or self._kind(el.tag)
                # mixin.unknown_starttag
                self.depth += 1
                keys = el.keys()
                if keys or self.pending_decls:
                    # lxml's items() looks each value up by name: quadratic in the attributes
                    items = el.items() if len(keys) <= 32 else [(a.attrname, str(a)) for a in el.xpath("@*")]
                    attrs_d = self._attributes(items)
                    given = attrs_d.get("xml:base", attrs_d.get("base"))
                else:
                    attrs_d = {}
                    given = None
                baseuri = self.baseuri
                if given or baseuri is not self.stable_base:
                    baseuri = self._element_base(baseuri, given)
                basestack.append(baseuri)
                if self.incontent:
                    raise _Decline("markup inside a text element")
                if leaves_textinput:
                    self.intextinput = 0
                if leaves_image:
                    self.inimage = 0
                if start is None:
                    self._unknown_start(name, attrs_d)
                else:
                    start(self, attrs_d)
                text = el.text
                if text and stack:
                    stack[-1][2].append(text)
            elif event == "end":
                # mixin.unknown_endtag: the name again, as namespaces are now
                name, _, _, _, end = names.get(el.tag) or self._kind(el.tag)
                if end is None:
                    self.pop(name)
                else:
                    end(self)
                basestack.pop()
                if basestack and basestack[-1]:
                    self.baseuri = basestack[-1]
                self.depth -= 1
                tail = el.tail
                if tail and stack:
                    stack[-1][2].append(tail)
            else:
                self._start_prefix_mapping(*el)
                names = self.names

    def _start_prefix_mapping(self, prefix: str | None, uri: str) -> None:
        if not uri:
            return
        prefix = prefix or None
        self._track_namespace(prefix, uri)
        if prefix and uri == _XLINK_NS:
            self.pending_decls["xmlns:" + prefix] = uri
        self.names = {}

    def _track_namespace(self, prefix: str | None, uri: str) -> None:
        loweruri = uri.lower()
        if not self.version:
            if (prefix, loweruri) == (None, "http://my.netscape.com/rdf/simple/0.9/"):
                self.version = "rss090"
            elif loweruri == "http://purl.org/rss/1.0/":
                self.version = "rss10"
            elif loweruri == "http://www.w3.org/2005/atom":
                self.version = "atom10"
        if loweruri.find("backend.userland.com/rss") != -1:
            uri = "http://backend.userland.com/rss"
            loweruri = uri
        if loweruri in _MATCH_NAMESPACES:
            self.namespacemap[prefix] = _MATCH_NAMESPACES[loweruri]
            self.namespaces_in_use[_MATCH_NAMESPACES[loweruri]] = uri
        else:
            self.namespaces_in_use[prefix or ""] = uri

    def _kind(self, tag: Any) -> tuple[str, bool, bool, Any, Any]:
        """feedparser's name for an element (``dc_creator``, ``title``), whether it leaves a text
        input and an image (mixin.unknown_starttag's "special hack"), and its two handlers."""
        if not isinstance(tag, str):
            raise _Decline("entity or other node")
        # strict.py startElementNS, with expat's qname=None, then mixin.unknown_starttag
        if tag[0] == "{":
            namespace, localname = tag[1:].split("}", 1)
        else:
            namespace, localname = None, tag
        lowernamespace = (namespace or "").lower()
        if lowernamespace.find("backend.userland.com/rss") != -1:
            raise _Decline("userland namespace")  # feedparser names these differently at the end tag
        prefix = _MATCH_NAMESPACES.get(lowernamespace)
        localname = localname.lower()
        if prefix:
            localname = prefix.lower() + ":" + localname
        elif namespace:
            for name, value in self.namespaces_in_use.items():
                if name and value == namespace:
                    localname = name + ":" + localname
                    break
        tag_name = localname.lower()
        if ":" in tag_name:
            prefix, suffix = tag_name.split(":", 1)
        else:
            prefix, suffix = "", tag_name
        prefix = self.namespacemap.get(prefix, prefix)
        name = prefix + "_" + suffix if prefix else suffix
        if name in _DECLINED:
            raise _Decline(f"<{name}>")
        result = (
            name,
            not prefix and tag_name not in _TEXTINPUT_CHILDREN,
            not prefix and tag_name not in _IMAGE_CHILDREN,
            _STARTS.get(name),
            _ENDS.get(name),
        )
        self.names[tag] = result
        return result

    def _attributes(self, items: list[tuple[str, str]]) -> dict[str, str]:
        # strict.py startElementNS: a namespaced attribute is keyed by its local name (an unknown
        # namespace) or "prefix:name" (a known one), and again by its qualified name; only keys
        # nothing reads are let through that way
        attrs_d = dict(self.pending_decls) if self.pending_decls else {}
        self.pending_decls = {}
        for key, value in items:
            if key[0] == "{":
                namespace, local = key[1:].split("}", 1)
                if namespace == _XML_NS:
                    key = "xml:" + local
                else:
                    local = local.lower()
                    if local in _READ_ATTRIBUTES:
                        raise _Decline("namespaced attribute")
                    prefix = _MATCH_NAMESPACES.get(namespace.lower(), "")
                    key = prefix + ":" + local if prefix else local
            key = key.lower()
            attrs_d[key] = value.lower() if key in ("rel", "type") and value else value
        return attrs_d

    def _element_base(self, baseuri: str, given: str | None) -> str:
        if given:
            if baseuri:
                baseuri = _make_safe_absolute_uri(baseuri, given) or baseuri
            else:
                baseuri = _urljoin(baseuri, given)
        elif baseuri:
            # feedparser re-joins the base with itself at every element; once that changes
            # nothing, it never will
            joined = _make_safe_absolute_uri(baseuri, baseuri) or baseuri
            if joined == baseuri:
                self.stable_base = baseuri
            else:
                baseuri = joined
        else:
            baseuri = _urljoin(baseuri, baseuri)
        self.baseuri = baseuri
        return baseuri

    def _unknown_start(self, name: str, attrs_d: dict) -> None:
        if name in _READ_KEYS or name.endswith("_detail") or name.endswith("_parsed"):
            raise _Decline(f"unknown element <{name}>")  # it would overwrite what is read
        if not attrs_d:
            self.push(name, 1)
        else:
            self._get_context()[_KEYMAP.get(name, name)] = attrs_d

    # -- feedparser's machinery -----------------------------------------------------------------

    def _get_context(self) -> dict[str, Any]:
        if self.insource:
            return self.sourcedata
        if self.inimage and "image" in self.feeddata:
            return self.feeddata["image"]
        if self.intextinput:
            textinput = self.feeddata.get("textinput")
            if textinput is None:
                raise _Decline("textinput context")  # feedparser raises KeyError here
            return textinput
        if self.inentry:
            return self.entries[-1]
        return self.feeddata

    def push(self, element: str, expecting_text: Any) -> None:
        self.stack.append([element, expecting_text, []])

    def pop(self, element: str) -> str | None:
        stack = self.stack
        if not stack or stack[-1][0] != element:
            return None
        _, expecting_text, pieces = stack.pop()
        output = "".join(pieces).strip()
        if not expecting_text or element not in _KEPT:
            return output  # nothing reader.parse reads is made from it
        contentparams = self.contentparams
        if self.base64 and contentparams:
            try:
                output = base64.decodebytes(output.encode("utf8")).decode("utf8")
            except (binascii.Error, binascii.Incomplete, UnicodeDecodeError):
                pass
        if element == "id" or element == "link":
            if output and (element != "id" or self.guidislink):
                output = _resolve_uri(self.baseuri or "", output)
        if contentparams and contentparams.get("type") == "text/plain" and not self.version.startswith("atom"):
            # looks_like_html needs a closing tag or an entity reference
            if ("<" in output or ("&" in output and ";" in output)) and _looks_like_html(output):
                contentparams["type"] = "text/html"
        if not output.isascii():
            # feedparser "fixes" UTF-8 read as Latin-1, and maps C1 controls to windows-1252
            try:
                output = output.encode("iso-8859-1").decode("utf-8")
            except (UnicodeEncodeError, UnicodeDecodeError):
                pass
            if _C1_CONTROL.search(output):  # the translation changes nothing else, and is slow
                output = output.translate(_cp1252)
        if element == "title" and -1 < self.title_depth <= self.depth:
            return output
        if self.inentry and not self.insource:
            entry = self.entries[-1]
            if element == "content":
                entry.setdefault("content", []).append({**contentparams, "value": output})
            elif element == "link":
                if not self.inimage:
                    if "&" in output:
                        output = _AMP_REF.sub(r"&\g<1>", output.replace("&amp;", "&"))
                    entry["link"] = output
                    if output:
                        links = entry.get("links")
                        if not links:
                            raise _Decline("link without links")
                        links[-1]["href"] = output
            else:
                if element == "description":
                    element = "summary"
                depths = self.depthmap
                old = depths.get(element)
                if old is None or self.depth <= old:
                    depths[element] = self.depth
                    entry[_KEYMAP.get(element, element)] = output
                if self.incontent:
                    entry[element + "_detail"] = {**contentparams, "value": output}
        elif self.infeed or self.insource:
            context = self._get_context()
            if element == "description":
                element = "subtitle"
            context[_KEYMAP.get(element, element)] = output
            if element == "link":
                if "&" in output:
                    output = _AMP_REF.sub(r"&\g<1>", output)
                context["link"] = output
                links = context.get("links")
                if not links:
                    raise _Decline("link without links")
                links[-1]["href"] = output
            elif self.incontent:
                context[element + "_detail"] = {**contentparams, "value": output}
        return output

    def push_content(self, tag: str, attrs_d: dict, default_content_type: str, expecting_text: Any) -> None:
        self.incontent += 1
        if "type" not in attrs_d and "mode" not in attrs_d:
            # the usual case: the element's default type, never base64
            self.base64 = False
            self.contentparams = {"type": default_content_type, "base": self.baseuri}
            self.stack.append([tag, expecting_text, []])
            return
        content_type = _map_content_type(attrs_d.get("type", default_content_type))
        if content_type == "application/xhtml+xml":
            raise _Decline("xhtml content")
        self.base64 = attrs_d.get("mode", "") == "base64" or not (
            content_type.startswith("text/") or content_type.endswith("+xml") or content_type.endswith("/xml")
        )
        self.contentparams = {"type": content_type, "base": self.baseuri}
        self.push(tag, expecting_text)

    def pop_content(self, tag: str) -> str | None:
        value = self.pop(tag)
        self.incontent -= 1
        self.contentparams = {}
        self.base64 = False
        return value

    def _save(self, key: str, value: Any, overwrite: bool = False) -> None:
        context = self._get_context()
        if overwrite:
            context[key] = value
        else:
            context.setdefault(key, value)

    def _save_author(self, key: str, value: Any, prefix: str = "author") -> None:
        context = self._get_context()
        context.setdefault(prefix + "_detail", {})[key] = value
        self._sync_author_detail()
        context.setdefault("authors", [{}])
        context["authors"][-1][key] = value

    def _sync_author_detail(self) -> None:
        """feedparser's _sync_author_detail('author'), its e-mail search remembered per string."""
        context = self._get_context()
        authors = context.get("authors")
        if authors is not None and not (isinstance(authors, list) and authors):
            raise _Decline("authors")
        detail = authors[-1] if authors else {}
        if detail:
            name = detail.get("name")
            email = detail.get("email")
            if name and email:
                context["author"] = "%s (%s)" % (name, email)
            elif name:
                context["author"] = name
            elif email:
                context["author"] = email
            return
        author = context.get("author")
        if not author:
            return
        if not isinstance(author, str):
            raise _Decline("author")
        name, email = _split_author(author)
        if name or email:
            context.setdefault("author_detail", detail)
        if name:
            detail["name"] = name
        if email:
            detail["email"] = email

    def _date(self, key: str, value: str | None) -> None:
        context = self._get_context()
        # only an entry's dates are read; elsewhere the value is kept but not parsed
        context[key] = _parse_date(value) if self.inentry and context is self.entries[-1] else None

    # -- handlers (feedparser's names; namespaces/_base.py unless noted) ----------------------------

    def _start_rss(self, attrs_d: dict) -> None:
        versionmap = {"0.91": "rss091u", "0.92": "rss092", "0.93": "rss093", "0.94": "rss094"}
        if not self.version or not self.version.startswith("rss"):
            attr_version = attrs_d.get("version", "")
            version = versionmap.get(attr_version)
            if version:
                self.version = version
            elif attr_version.startswith("2."):
                self.version = "rss20"
            else:
                self.version = "rss"

    def _start_channel(self, attrs_d: dict) -> None:
        self.infeed = 1
        self._cdf_common(attrs_d)

    def _cdf_common(self, attrs_d: dict) -> None:
        if "lastmod" in attrs_d or "href" in attrs_d:
            raise _Decline("CDF attributes")

    def _start_feed(self, attrs_d: dict) -> None:
        self.infeed = 1
        if not self.version:
            version = {"0.1": "atom01", "0.2": "atom02", "0.3": "atom03"}.get(attrs_d.get("version"))
            self.version = version or "atom"

    def _end_channel(self) -> None:
        self.infeed = 0

    def _start_image(self, attrs_d: dict) -> None:
        if self.inentry or self.insource:
            raise _Decline("image inside an entry")
        context = self._get_context()
        if not self.inentry:
            context.setdefault("image", {})
        self.inimage = 1
        self.title_depth = -1
        self.push("image", 0)

    def _end_image(self) -> None:
        self.pop("image")
        self.inimage = 0

    def _start_textinput(self, attrs_d: dict) -> None:
        if self.inentry or self.insource or self.inimage:
            raise _Decline("textinput inside an entry")  # feedparser then fails with KeyError
        context = self._get_context()
        context.setdefault("textinput", {})
        self.intextinput = 1
        self.title_depth = -1
        self.push("textinput", 0)

    def _end_textinput(self) -> None:
        self.pop("textinput")
        self.intextinput = 0

    def _start_author(self, attrs_d: dict) -> None:
        self.inauthor = 1
        self.push("author", 1)
        context = self._get_context()
        context.setdefault("authors", [])
        context["authors"].append({})

    def _end_author(self) -> None:
        self.pop("author")
        self.inauthor = 0
        self._sync_author_detail()

    def _start_contributor(self, attrs_d: dict) -> None:
        self.incontributor = 1
        self.push("contributor", 0)

    def _end_contributor(self) -> None:
        self.pop("contributor")
        self.incontributor = 0

    def _start_dc_contributor(self, attrs_d: dict) -> None:  # namespaces/dc.py
        self.incontributor = 1
        self.push("name", 0)

    def _end_dc_contributor(self) -> None:
        self._end_name()
        self.incontributor = 0

    def _start_name(self, attrs_d: dict) -> None:
        self.push("name", 0)

    def _end_name(self) -> None:
        value = self.pop("name")
        if self.inpublisher:
            self._save_author("name", value, "publisher")
        elif self.inauthor:
            self._save_author("name", value)
        elif self.incontributor:
            pass  # contributors are not read
        elif self.intextinput:
            self._get_context()["name"] = value

    def _start_width(self, attrs_d: dict) -> None:
        self.push("width", 0)

    def _end_width(self) -> None:
        if self.pop("width") is None:
            raise _Decline("int(None)")  # feedparser raises TypeError

    def _start_height(self, attrs_d: dict) -> None:
        self.push("height", 0)

    def _end_height(self) -> None:
        if self.pop("height") is None:
            raise _Decline("int(None)")

    def _start_url(self, attrs_d: dict) -> None:
        self.push("href", 1)

    def _end_url(self) -> None:
        value = self.pop("href")
        if self.inauthor:
            self._save_author("href", value)

    def _start_email(self, attrs_d: dict) -> None:
        self.push("email", 0)

    def _end_email(self) -> None:
        value = self.pop("email")
        if self.inpublisher:
            self._save_author("email", value, "publisher")
        elif self.inauthor:
            self._save_author("email", value)

    def _start_subtitle(self, attrs_d: dict) -> None:
        self.push_content("subtitle", attrs_d, "text/plain", 1)

    def _end_subtitle(self) -> None:
        self.pop_content("subtitle")

    def _start_rights(self, attrs_d: dict) -> None:
        self.push_content("rights", attrs_d, "text/plain", 1)

    def _end_rights(self) -> None:
        self.pop_content("rights")

    def _start_item(self, attrs_d: dict) -> None:
        self.entries.append({})
        self.depthmap = {}
        self.push("item", 0)
        self.inentry = 1
        self.guidislink = False
        self.title_depth = -1
        self._cdf_common(attrs_d)

    def _end_item(self) -> None:
        self.pop("item")
        self.inentry = 0
        self.has_content = 0

    def _start_language(self, attrs_d: dict) -> None:
        self.push("language", 1)

    def _end_language(self) -> None:
        self.pop("language")

    def _start_webmaster(self, attrs_d: dict) -> None:
        self.push("publisher", 1)

    def _end_webmaster(self) -> None:
        self.pop("publisher")  # then _sync_author_detail('publisher'): only publisher_detail

    def _start_published(self, attrs_d: dict) -> None:
        self.push("published", 1)

    def _end_published(self) -> None:
        self._date("published_parsed", self.pop("published"))

    def _start_updated(self, attrs_d: dict) -> None:
        self.push("updated", 1)

    def _end_updated(self) -> None:
        self._date("updated_parsed", self.pop("updated"))

    def _start_created(self, attrs_d: dict) -> None:
        self.push("created", 1)

    def _end_created(self) -> None:
        self._date("created_parsed", self.pop("created"))

    def _start_expirationdate(self, attrs_d: dict) -> None:
        self.push("expired", 1)

    def _end_expirationdate(self) -> None:
        self.pop("expired")

    def _start_category(self, attrs_d: dict) -> None:
        self.push("category", 1)

    def _end_category(self) -> None:
        self.pop("category")

    def _start_media_category(self, attrs_d: dict) -> None:  # namespaces/mediarss.py
        self.push("category", 1)

    def _start_link(self, attrs_d: dict) -> None:
        attrs_d.setdefault("rel", "alternate")
        if attrs_d["rel"] == "self":
            attrs_d.setdefault("type", "application/atom+xml")
        else:
            attrs_d.setdefault("type", "text/html")
        context = self._get_context()
        attrs_d = _enforce_href(attrs_d)
        if "href" in attrs_d:
            attrs_d["href"] = _urljoin(self.baseuri or "", attrs_d["href"])
        expecting_text = self.infeed or self.inentry or self.insource
        context.setdefault("links", [])
        if not (self.inentry and self.inimage):
            context["links"].append(attrs_d)
        if "href" in attrs_d:
            if attrs_d.get("rel") == "alternate" and _map_content_type(attrs_d.get("type")) in _HTML_TYPES:
                context["link"] = attrs_d["href"]
        else:
            self.push("link", expecting_text)

    def _end_link(self) -> None:
        self.pop("link")

    def _start_guid(self, attrs_d: dict) -> None:
        self.guidislink = attrs_d.get("ispermalink", "true") == "true"
        self.push("id", 1)

    def _end_guid(self) -> None:
        value = self.pop("id")
        if self.guidislink:
            # guid acts as link only if the entry has none (yet)
            self._save("link", value)

    def _start_title(self, attrs_d: dict) -> None:
        self.push_content("title", attrs_d, "text/plain", self.infeed or self.inentry or self.insource)

    def _end_title(self) -> None:
        value = self.pop_content("title")
        if not value:
            return
        self.title_depth = self.depth

    def _end_media_title(self) -> None:  # namespaces/mediarss.py
        title_depth = self.title_depth
        self._end_title()
        self.title_depth = title_depth

    def _start_description(self, attrs_d: dict) -> None:
        context = self._get_context()
        if "summary" in context and not self.has_content:
            self.summary_key = "content"
            self._start_content(attrs_d)
        else:
            self.push_content("description", attrs_d, "text/html", self.infeed or self.inentry or self.insource)

    def _start_abstract(self, attrs_d: dict) -> None:
        self.push_content("description", attrs_d, "text/plain", self.infeed or self.inentry or self.insource)

    def _end_description(self) -> None:
        if self.summary_key == "content":
            self._end_content()
        else:
            self.pop_content("description")
        self.summary_key = None

    def _start_info(self, attrs_d: dict) -> None:
        self.push_content("info", attrs_d, "text/plain", 1)

    def _end_info(self) -> None:
        self.pop_content("info")

    def _start_generator(self, attrs_d: dict) -> None:
        self.push("generator", 1)

    def _end_generator(self) -> None:
        self.pop("generator")

    def _start_summary(self, attrs_d: dict) -> None:
        context = self._get_context()
        if "summary" in context and not self.has_content:
            self.summary_key = "content"
            self._start_content(attrs_d)
        else:
            self.summary_key = "summary"
            self.push_content(self.summary_key, attrs_d, "text/plain", 1)

    def _end_summary(self) -> None:
        if self.summary_key == "content":
            self._end_content()
        else:
            self.pop_content(self.summary_key or "summary")
        self.summary_key = None

    def _start_enclosure(self, attrs_d: dict) -> None:
        attrs_d = _enforce_href(attrs_d)
        context = self._get_context()
        attrs_d["rel"] = "enclosure"
        context.setdefault("links", []).append(attrs_d)

    def _start_source(self, attrs_d: dict) -> None:
        self.push("source", 1)
        self.insource = 1
        self.title_depth = -1

    def _end_source(self) -> None:
        self.insource = 0
        self.pop("source")  # the entry's "source" is not read
        self.sourcedata = {}

    def _start_content(self, attrs_d: dict) -> None:
        self.has_content = 1
        self.push_content("content", attrs_d, "text/plain", 1)
        src = attrs_d.get("src")
        if src:
            self.contentparams["src"] = src
        self.push("content", 1)  # feedparser pushes twice; the outer one is never popped

    def _start_content_encoded(self, attrs_d: dict) -> None:
        self.has_content = 1
        self.push_content("content", attrs_d, "text/html", 1)

    def _end_content(self) -> None:
        content_type = self.contentparams.get("type")
        if content_type is None:
            raise _Decline("content without a type")  # feedparser's AttributeError path
        copy_to_summary = _map_content_type(content_type) in ({"text/plain"} | _HTML_TYPES)
        value = self.pop_content("content")
        if copy_to_summary:
            self._save("summary", value)

    def _start_newlocation(self, attrs_d: dict) -> None:
        self.push("newlocation", 1)

    def _end_newlocation(self) -> None:
        self.pop("newlocation")

    def _start_tags(self, attrs_d: dict) -> None:
        self.push("tags", 1)

    def _end_tags(self) -> None:
        self.pop("tags")

    def _start_dcterms_valid(self, attrs_d: dict) -> None:  # namespaces/dc.py
        self.push("validity", 1)

    def _end_dcterms_valid(self) -> None:
        self.pop("validity")

    # namespaces/mediarss.py
    def _start_media_group(self, attrs_d: dict) -> None:
        pass

    def _start_media_content(self, attrs_d: dict) -> None:
        self._get_context().setdefault("media_content", []).append(attrs_d)

    def _start_media_thumbnail(self, attrs_d: dict) -> None:
        self.push("url", 1)

    def _end_media_thumbnail(self) -> None:
        self.pop("url")

    def _start_media_rating(self, attrs_d: dict) -> None:
        self.push("rating", 1)

    def _end_media_rating(self) -> None:
        self.pop("rating")

    def _start_media_credit(self, attrs_d: dict) -> None:
        self.push("credit", 1)

    def _end_media_credit(self) -> None:
        self.pop("credit")

    def _start_media_restriction(self, attrs_d: dict) -> None:
        self.push("restriction", 1)

    def _end_media_restriction(self) -> None:
        self.pop("restriction")

    def _start_media_license(self, attrs_d: dict) -> None:
        self.push("license", 1)

    def _end_media_license(self) -> None:
        self.pop("license")

    def _start_media_player(self, attrs_d: dict) -> None:
        self.push("media_player", 0)

    def _end_media_player(self) -> None:
        self.pop("media_player")

    def _end_media_keywords(self) -> None:
        self.pop("media_keywords")  # if that finds nothing, feedparser's retry finds nothing too

    # namespaces/georss.py: simple GeoRSS geometries (the gml ones are declined)
    def _start_georssgeom(self, attrs_d: dict) -> None:
        self.push("geometry", 0)

    def _end_georssgeom(self) -> None:
        self.pop("geometry")

    # namespaces/itunes.py
    def _start_itunes_owner(self, attrs_d: dict) -> None:
        self.inpublisher = 1
        self.push("publisher", 0)

    def _end_itunes_owner(self) -> None:
        self.pop("publisher")
        self.inpublisher = 0

    def _start_itunes_category(self, attrs_d: dict) -> None:
        self.push("category", 1)

    def _start_itunes_image(self, attrs_d: dict) -> None:
        self.push("itunes_image", 0)
        if attrs_d.get("href"):
            self._get_context()["image"] = {"href": attrs_d.get("href")}
        elif attrs_d.get("url"):
            self._get_context()["image"] = {"href": attrs_d.get("url")}

    def _end_itunes_keywords(self) -> None:
        self.pop("itunes_keywords")

    def _end_itunes_block(self) -> None:
        self.pop("itunes_block")

    def _end_itunes_explicit(self) -> None:
        self.pop("itunes_explicit")


R = _Replay
_STARTS = {
    "rss": R._start_rss,
    "channel": R._start_channel,
    "feed": R._start_feed,
    "image": R._start_image,
    "textinput": R._start_textinput,
    "author": R._start_author,
    "managingeditor": R._start_author,
    "dc_author": R._start_author,
    "dc_creator": R._start_author,
    "itunes_author": R._start_author,
    "contributor": R._start_contributor,
    "dc_contributor": R._start_dc_contributor,
    "name": R._start_name,
    "itunes_name": R._start_name,
    "width": R._start_width,
    "height": R._start_height,
    "url": R._start_url,
    "homepage": R._start_url,
    "uri": R._start_url,
    "email": R._start_email,
    "itunes_email": R._start_email,
    "subtitle": R._start_subtitle,
    "tagline": R._start_subtitle,
    "itunes_subtitle": R._start_subtitle,
    "rights": R._start_rights,
    "copyright": R._start_rights,
    "dc_rights": R._start_rights,
    "item": R._start_item,
    "entry": R._start_item,
    "language": R._start_language,
    "dc_language": R._start_language,
    "webmaster": R._start_webmaster,
    "dc_publisher": R._start_webmaster,
    "published": R._start_published,
    "issued": R._start_published,
    "pubdate": R._start_published,
    "dcterms_issued": R._start_published,
    "updated": R._start_updated,
    "modified": R._start_updated,
    "lastbuilddate": R._start_updated,
    "dc_date": R._start_updated,
    "dcterms_modified": R._start_updated,
    "created": R._start_created,
    "dcterms_created": R._start_created,
    "expirationdate": R._start_expirationdate,
    "category": R._start_category,
    "keywords": R._start_category,
    "dc_subject": R._start_category,
    "media_category": R._start_media_category,
    "itunes_category": R._start_itunes_category,
    "cloud": lambda self, attrs_d: None,
    "link": R._start_link,
    "guid": R._start_guid,
    "id": R._start_guid,
    "title": R._start_title,
    "dc_title": R._start_title,
    "media_title": R._start_title,
    "description": R._start_description,
    "dc_description": R._start_description,
    "media_description": R._start_description,
    "abstract": R._start_abstract,
    "info": R._start_info,
    "feedburner_browserfriendly": R._start_info,
    "generator": R._start_generator,
    "summary": R._start_summary,
    "itunes_summary": R._start_summary,
    "enclosure": R._start_enclosure,
    "source": R._start_source,
    "content": R._start_content,
    "content_encoded": R._start_content_encoded,
    "fullitem": R._start_content_encoded,
    "newlocation": R._start_newlocation,
    "tags": R._start_tags,
    "dcterms_valid": R._start_dcterms_valid,
    "media_group": R._start_media_group,
    "media_content": R._start_media_content,
    "media_thumbnail": R._start_media_thumbnail,
    "media_rating": R._start_media_rating,
    "media_credit": R._start_media_credit,
    "media_restriction": R._start_media_restriction,
    "media_license": R._start_media_license,
    "media_player": R._start_media_player,
    "itunes_owner": R._start_itunes_owner,
    "georss_point": R._start_georssgeom,
    "georss_line": R._start_georssgeom,
    "georss_polygon": R._start_georssgeom,
    "georss_box": R._start_georssgeom,
    "itunes_image": R._start_itunes_image,
    "itunes_link": R._start_itunes_image,
}
_ENDS = {
    "channel": R._end_channel,
    "feed": R._end_channel,
    "image": R._end_image,
    "textinput": R._end_textinput,
    "author": R._end_author,
    "managingeditor": R._end_author,
    "dc_author": R._end_author,
    "dc_creator": R._end_author,
    "itunes_author": R._end_author,
    "contributor": R._end_contributor,
    "dc_contributor": R._end_dc_contributor,
    "name": R._end_name,
    "itunes_name": R._end_name,
    "width": R._end_width,
    "height": R._end_height,
    "url": R._end_url,
    "homepage": R._end_url,
    "uri": R._end_url,
    "email": R._end_email,
    "itunes_email": R._end_email,
    "subtitle": R._end_subtitle,
    "tagline": R._end_subtitle,
    "itunes_subtitle": R._end_subtitle,
    "rights": R._end_rights,
    "copyright": R._end_rights,
    "dc_rights": R._end_rights,
    "item": R._end_item,
    "entry": R._end_item,
    "language": R._end_language,
    "dc_language": R._end_language,
    "webmaster": R._end_webmaster,
    "dc_publisher": R._end_webmaster,
    "published": R._end_published,
    "issued": R._end_published,
    "pubdate": R._end_published,
    "dcterms_issued": R._end_published,
    "updated": R._end_updated,
    "modified": R._end_updated,
    "lastbuilddate": R._end_updated,
    "dc_date": R._end_updated,
    "dcterms_modified": R._end_updated,
    "created": R._end_created,
    "dcterms_created": R._end_created,
    "expirationdate": R._end_expirationdate,
    "category": R._end_category,
    "keywords": R._end_category,
    "dc_subject": R._end_category,
    "media_category": R._end_category,
    "itunes_category": R._end_category,
    "link": R._end_link,
    "guid": R._end_guid,
    "id": R._end_guid,
    "title": R._end_title,
    "dc_title": R._end_title,
    "media_title": R._end_media_title,
    "description": R._end_description,
    "dc_description": R._end_description,
    "media_description": R._end_description,
    "abstract": R._end_description,
    "info": R._end_info,
    "feedburner_browserfriendly": R._end_info,
    "generator": R._end_generator,
    "summary": R._end_summary,
    "itunes_summary": R._end_summary,
    "source": R._end_source,
    "content": R._end_content,
    "content_encoded": R._end_content,
    "fullitem": R._end_content,
    "newlocation": R._end_newlocation,
    "tags": R._end_tags,
    "dcterms_valid": R._end_dcterms_valid,
    "media_thumbnail": R._end_media_thumbnail,
    "media_rating": R._end_media_rating,
    "media_credit": R._end_media_credit,
    "media_restriction": R._end_media_restriction,
    "media_license": R._end_media_license,
    "media_player": R._end_media_player,
    "media_keywords": R._end_media_keywords,
    "itunes_owner": R._end_itunes_owner,
    "georss_point": R._end_georssgeom,
    "georss_line": R._end_georssgeom,
    "georss_polygon": R._end_georssgeom,
    "georss_box": R._end_georssgeom,
    "itunes_keywords": R._end_itunes_keywords,
    "itunes_block": R._end_itunes_block,
    "itunes_explicit": R._end_itunes_explicit,
}
del R


def _feedparser_handler_names() -> frozenset[str]:
    names = set()
    for attr in dir(StrictFeedParser):
        if attr.startswith("_start_"):
            names.add(attr[len("_start_") :].lower())
        elif attr.startswith("_end_"):
            names.add(attr[len("_end_") :].lower())
    return frozenset(names)


# Elements feedparser handles and this module does not replay (GeoRSS, Podlove chapters, licences,
# inline XHTML bodies …), and any handler a later feedparser adds: the document goes to feedparser.
_DECLINED = _feedparser_handler_names() - _STARTS.keys() - _ENDS.keys()
