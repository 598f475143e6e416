"""Full articles, offline: a story's web page fetched, its main text extracted as Markdown, and kept.

The stages are those of a refresh: which stories → fetch (the refresh's ``Fetcher`` and
``FetchLimits``) → decode and extract (trafilatura, in worker processes) → decide (the article, or
the feed's own text and why) → store. What is decided is kept with the story (zlib when large);
an article's text joins the story's entry in the search index. Network trouble is retried on the
next read; a page with nothing better than the feed is remembered with the reason.

For the app::

    cached_article(store, story_id)      # instant, no network: Article or None
    get_article(db_path, story_id)       # in a worker thread: cached, or fetched now
    fetch_articles(db_path)              # read ahead: unread stories of the last days

trafilatura, lxml and httpx are imported where they are used: the CLI and the app import this module
and must not pay for them at start-up.
"""

from __future__ import annotations

import codecs
import os
import re
import sqlite3
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Literal
from urllib.parse import urljoin, urlsplit

from reader.models import Clock, Story, system_clock
from reader.store import Store
from reader.text import MAX_TEXT_CHARS, clean_text, html_to_text

if TYPE_CHECKING:
    from concurrent.futures import Executor

    from reader.fetch import Fetcher, FetchLimits
    from reader.models import FetchResult

__all__ = [
    "Article",
    "ArticleResult",
    "ArticleSummary",
    "cached_article",
    "decode_page",
    "extract_article",
    "feed_has_full_text",
    "fetch_articles",
    "get_article",
    "html_to_markdown",
    "markdown_to_text",
    "prune_articles",
]

# -- defaults ---------------------------------------------------------------------------------------

ARTICLE_MAX_AGE_DAYS = 30
"""Kept articles older than this are pruned (a saved story's never)."""
ARTICLE_CACHE_MAX_BYTES = 200 * 1024 * 1024
"""Kept articles beyond this size are pruned, oldest first (a saved story's never)."""
READ_AHEAD_LIMIT = 500
"""Most stories one read-ahead run (``fetch_articles`` without ids) fetches, newest first."""
COMPRESS_OVER = 2048
"""Articles longer than this many bytes of Markdown are stored zlib-compressed."""

# Below this many pages, starting worker processes costs more than extracting in a thread.
POOL_THRESHOLD = 8
# Extraction workers run at a lower priority than the app and a refresh: reading ahead can wait.
WORKER_NICENESS = 10
# Feed content is the whole story when it is much longer than the feed's teaser, or, without a
# separate teaser, when it is as long as a short article.
FULL_TEXT_RATIO = 2.0
FULL_TEXT_MIN_WORDS = 150
FULL_TEXT_WORDS = 400
# A paywalled page showing this many words, or twice the feed's, has the article in it after all.
PAYWALL_WORDS = 150
# A page with fewer visible words than this and scripts is built in the browser.
SCRIPT_PAGE_WORDS = 60
MAX_MARKDOWN_CHARS = 1_000_000
# HTTP answers worth remembering: the page will not come back by asking again soon.
_PERMANENT_STATUSES = frozenset({400, 401, 402, 403, 404, 405, 406, 410, 414, 451})

ArticleSource = Literal["article", "feed"]
_DAY = 86_400


@dataclass(frozen=True, slots=True)
class Article:
    """What the reading pane shows for a story's full text."""

    markdown: str | None
    """The story's whole text as Markdown, from its web page or from a feed that carries it all;
    None: keep showing the feed's content (``error`` says why)."""
    error: str | None
    """Why the full article is not available, one line for the reading pane; None when it is."""
    from_cache: bool
    """Read from the database, without the network."""
    source: ArticleSource
    """Where the text is from: "article" (the web page) or "feed" (the feed's own content)."""


@dataclass(frozen=True, slots=True)
class ArticleResult:
    """What ``fetch_articles`` did for one story (passed to its progress callback)."""

    story_id: int
    source: ArticleSource
    error: str | None = None
    fetched: bool = False  # a web page was downloaded


@dataclass(frozen=True, slots=True)
class ArticleSummary:
    results: tuple[ArticleResult, ...] = ()
    pruned: int = 0
    elapsed: float = 0.0

    @property
    def extracted(self) -> int:
        """Stories whose article came from their web page."""
        return sum(r.source == "article" and r.error is None for r in self.results)

    @property
    def from_feed(self) -> int:
        """Stories whose feed carries the whole text: no page was fetched."""
        return sum(r.source == "feed" and r.error is None for r in self.results)

    @property
    def failed(self) -> tuple[ArticleResult, ...]:
        return tuple(r for r in self.results if r.error)


Progress = Callable[[int, int, ArticleResult], None]

# -- decoding ---------------------------------------------------------------------------------------

_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))
# The HTML standard looks for <meta charset> in the first 1024 bytes; pages put more before it.
_PRESCAN_BYTES = 4096
_META_CHARSET = re.compile(rb"""<meta\s[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)
# Labels browsers read as another encoding (WHATWG Encoding Standard): latin-1 and ASCII pages are
# windows-1252 in practice, and a <meta> that could be read as ASCII cannot be in UTF-16.
_LATIN1_LABELS = frozenset({"iso-8859-1", "iso8859-1", "latin-1", "latin1", "l1", "us-ascii", "ascii"})
_UTF16_LABELS = frozenset({"utf-16", "utf-16le", "utf-16be"})
_DETECT_BYTES = 200_000


def decode_page(body: bytes, charset: str | None = None) -> str:
    """A web page's text: by its byte-order mark, else ``charset`` (the HTTP header's), else its
    ``<meta charset>``, else as UTF-8 when it is valid UTF-8, else as detection guesses."""
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(encoding, errors="replace")
    for label, in_header in ((charset, True), (_meta_charset(body), False)):
        encoding = _encoding(label, in_header)
        if encoding:
            return body.decode(encoding, errors="replace")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes  # a dependency of trafilatura

    best = from_bytes(body[:_DETECT_BYTES]).best()
    encoding = _encoding(best.encoding if best is not None else None, True) or "cp1252"
    return body.decode(encoding, errors="replace")


def _meta_charset(body: bytes) -> str | None:
    match = _META_CHARSET.search(body[:_PRESCAN_BYTES])
    return match.group(1).decode("ascii", errors="replace") if match else None


def _encoding(label: str | None, in_header: bool) -> str | None:
    if not label:
        return None
    label = label.strip().lower()
    if label in _LATIN1_LABELS:
        label = "cp1252"
    elif label in _UTF16_LABELS and not in_header:
        label = "utf-8"
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


# -- extraction -------------------------------------------------------------------------------------

# trafilatura's options for the reading pane: Markdown with headings, lists, quotes, tables, links
# and images; reader comments are not the article. Measured in docs/quality.md.
_TRAFILATURA_OPTIONS = dict(
    output_format="markdown",
    include_formatting=True,
    include_links=True,
    include_images=True,
    include_tables=True,
    include_comments=False,
)
# A block of this many words or fewer that ends like a label ("Related:", "You may also like…") and
# stood right before links we removed introduced them; it goes too.
_LABEL_WORDS = 6
# Three links in a row with nothing but spaces between them are navigation, not a sentence.
_LINK_RUN = 3
# The headline at the top of a page repeats the story's title when this share of its words are in
# it; above the headline, only short lines (a date, a kicker, a credit) are expected.
_TITLE_OVERLAP = 0.7
_PREAMBLE_WORDS = 12
_LINK_SCHEMES = ("http", "https")
_WORD = re.compile(r"\w+")
_SPACES = re.compile(r"\s+")
_BLOCK_TAGS = ("p", "head", "item", "quote")


def extract_article(html: str | bytes, url: str | None = None, *, title: str | None = None) -> str:
    """The main text of a web page as Markdown ("" when the page has none).

    Keeps headings, paragraphs, lists, block quotes, tables, links (made absolute against ``url``)
    and images (``![alt](address)``); drops navigation that trafilatura lets through (blocks and
    runs of nothing but links). ``title`` is the story's: a headline repeating it at the top is
    dropped, as the reading pane shows the title already. Never raises.
    """
    try:
        body = _extract_tree(html, url)
        if body is None:
            return ""
        _clean_tree(body, url, title)
        if _is_link_only(body):
            return ""  # a page of nothing but links (a front page, a menu) has no article
        return _finish(_serialise(body))
    except Exception:  # noqa: BLE001 - a page that breaks the extractor has no text for us
        return ""


def _extract_tree(html: str | bytes, url: str | None, **options: object):
    import trafilatura

    document = trafilatura.bare_extraction(html, url=url, **{**_TRAFILATURA_OPTIONS, **options})
    return None if document is None else document.body


def _serialise(body) -> str:
    """trafilatura's Markdown, with block quotes marked as such (it writes them as paragraphs)."""
    from lxml.etree import Element
    from trafilatura.xml import xmltotxt

    pieces: list[str] = []
    group = Element("body")
    group.text = body.text
    for child in list(body):
        if child.tag != "quote":
            group.append(child)
            continue
        if len(group) or (group.text or "").strip():
            pieces.append(xmltotxt(group, True))
            group = Element("body")
        group.text, child.tail = child.tail, None
        quote = Element("body")
        quote.append(child)
        lines = xmltotxt(quote, True).strip().split("\n")
        pieces.append("\n".join(f"> {line}" if line.strip() else ">" for line in lines))
    if len(group) or (group.text or "").strip():
        pieces.append(xmltotxt(group, True))
    return unicodedata.normalize("NFC", "\n\n".join(p.strip("\n") for p in pieces))


def _finish(markdown: str) -> str:
    """Markdown fit for a terminal: no control characters, no trailing spaces, no blank runs."""
    markdown = clean_text(markdown[:MAX_MARKDOWN_CHARS])
    markdown = re.sub(r"[ \t]+\n", "\n", markdown)
    return re.sub(r"\n{3,}", "\n\n", markdown).strip()


def _clean_tree(body, url: str | None, title: str | None) -> None:
    _fix_links(body, url)
    _drop_link_runs(body)
    before_removed = _drop_link_blocks(body)
    _drop_labels(before_removed)
    _drop_repeated_captions(body)
    _drop_empty(body)
    if title:
        _drop_title(body, title)
    _collapse_spaces(body)  # last: removals leave the spaces that stood around what they removed


def _collapse_spaces(body) -> None:
    """Source indentation is not text: runs of spaces, tabs and newlines become one space (code
    keeps its own). Left alone, a tab-indented line would read as a Markdown code block."""
    for element in body.iter():
        in_code = element.tag == "code" or any(a.tag == "code" for a in element.iterancestors())
        if element.text and not in_code:
            element.text = _SPACES.sub(" ", element.text)
        if element.tail and (element.tag == "code" or not in_code):
            element.tail = _SPACES.sub(" ", element.tail)


def _fix_links(body, url: str | None) -> None:
    """Links made absolute against the page; script, anchor and mail links reduced to their text;
    images without a usable address removed."""
    for ref in list(body.iter("ref")):
        target = _absolute(ref.get("target"), url)
        if target is None:
            _unwrap(ref)
        else:
            ref.set("target", target)
    for graphic in list(body.iter("graphic")):
        src = _absolute(graphic.get("src"), url)
        if src is None:
            _remove(graphic)
        else:
            graphic.set("src", src)


def _absolute(address: str | None, base: str | None) -> str | None:
    address = (address or "").strip()
    if not address or address.startswith("#"):
        return None
    try:
        absolute = urljoin(base, address) if base else address
        scheme = urlsplit(absolute).scheme.lower()
    except ValueError:
        return None
    if scheme and scheme not in _LINK_SCHEMES:
        return None  # javascript:, data:, mailto: …
    return absolute


def _text_outside_links(element) -> str:
    parts = [element.text or ""]
    for child in element:
        if child.tag not in ("ref", "graphic"):
            parts.append(_text_outside_links(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _is_link_only(element) -> bool:
    """True for a block whose every word is inside a link: a "related stories" entry."""
    if next(element.iter("ref"), None) is None:
        return False
    return _WORD.search(_text_outside_links(element)) is None


def _drop_link_blocks(body) -> list:
    """Remove paragraphs, headings and list items made of nothing but links (a list left empty
    goes too); returns the blocks that stood right before them, for ``_drop_labels``."""
    before = []
    for element in list(body.iter(*_BLOCK_TAGS)):
        if element.getparent() is None or not _is_link_only(element):
            continue
        if element.tag == "item":
            parent = element.getparent()
            _remove(element)
            if parent.tag != "list" or len(parent):
                continue
            element = parent
        previous = element.getprevious()
        _remove(element)
        if previous is not None:
            before.append(previous)
    return before


def _drop_link_runs(body) -> None:
    """Remove runs of links with only spaces between them (a navigation strip inside a block)."""
    for block in list(body.iter(*_BLOCK_TAGS)):
        run: list = []
        for child in list(block):
            if child.tag != "ref":
                _remove_run(run)
                continue
            run.append(child)
            if (child.tail or "").strip():
                _remove_run(run)
        _remove_run(run)


def _remove_run(run: list) -> None:
    if len(run) >= _LINK_RUN:
        for ref in run:
            _remove(ref)
    run.clear()


def _drop_labels(before_removed: list) -> None:
    for element in before_removed:
        if element.getparent() is None or element.tag not in ("p", "head"):
            continue
        text = "".join(element.itertext()).strip()
        following = element.getnext()
        if (
            text
            and len(_WORD.findall(text)) <= _LABEL_WORDS
            and (text.endswith((":", "...", "…")) or element.tag == "head")
            and (following is None or following.tag in ("head", "list", "p", "graphic"))
        ):
            _remove(element)


def _drop_repeated_captions(body) -> None:
    """Drop a paragraph that only repeats the alt text of the image just before it."""
    for graphic in list(body.iter("graphic")):
        alt = _WORD.findall((graphic.get("alt") or "").casefold())
        if len(alt) < 3:
            continue
        block = graphic if graphic.getparent() is body else graphic.getparent()
        following = block.getnext() if block is not None else None
        if following is not None and following.tag == "p":
            if _WORD.findall("".join(following.itertext()).casefold()) == alt:
                _remove(following)


def _drop_empty(body) -> None:
    for element in list(body.iter("p", "head", "quote", "list", "item")):
        if element.getparent() is None:
            continue
        if not "".join(element.itertext()).strip() and next(element.iter("graphic"), None) is None:
            _remove(element)


def _drop_title(body, title: str) -> None:
    """Drop the page's own headline: the first heading, when no paragraph of prose comes before it
    and most of its words are in the story's title (sites reword and suffix their titles)."""
    wanted = set(_WORD.findall(title.casefold()))
    if not wanted:
        return
    for element in body:
        text = "".join(element.itertext())
        if element.tag == "head":
            words = _WORD.findall(text.casefold())
            if words and sum(w in wanted for w in words) >= _TITLE_OVERLAP * len(words):
                _remove(element)
            return
        if len(_WORD.findall(text)) > _PREAMBLE_WORDS:
            return


def _unwrap(element) -> None:
    """Replace an element by its text and children."""
    parent = element.getparent()
    if parent is None:
        return
    index = parent.index(element)
    children = list(element)
    _add_text_before(parent, index, element.text or "")
    for offset, child in enumerate(children):
        parent.insert(index + offset, child)
    tail = element.tail or ""
    parent.remove(element)
    if children:
        children[-1].tail = (children[-1].tail or "") + tail
    else:
        _add_text_before(parent, index, tail)


def _remove(element) -> None:
    """Remove an element, keeping the text that follows it."""
    parent = element.getparent()
    if parent is None:
        return
    index = parent.index(element)
    tail = element.tail or ""
    parent.remove(element)
    _add_text_before(parent, index, tail)


def _add_text_before(parent, index: int, text: str) -> None:
    """Put ``text`` where child ``index`` of ``parent`` starts (after the child before it)."""
    if not text:
        return
    if index > 0:
        previous = parent[index - 1]
        previous.tail = (previous.tail or "") + text
    else:
        parent.text = (parent.text or "") + text


# -- feed HTML to Markdown --------------------------------------------------------------------------

# Never text: dropped with everything inside.
_SKIP_TAGS = frozenset(
    "script style noscript template iframe object embed head form button input select textarea"
    " svg canvas video audio map".split()
)
_CONTAINER_TAGS = frozenset(
    "p div section article main header footer aside figure figcaption details summary dl dt dd"
    " address center nav hgroup".split()
)
_HEADING_TAGS = {f"h{n}": n for n in range(1, 7)}
_INLINE_ESCAPE = re.compile(r"([\\`*_\[\]<>])")
_BLOCK_START = re.compile(r"^(?:([#>+-])|(\d{1,9})([.)])(?=\s))")


def html_to_markdown(fragment: str, url: str | None = None) -> str:
    """Markdown of a feed's HTML content: paragraphs, headings, lists, quotes, code, tables, links
    and images (made absolute against ``url``). Everything is kept, nothing is judged boilerplate:
    the feed chose it. Never raises."""
    if not fragment or not fragment.strip():
        return ""
    try:
        import lxml.html

        root = lxml.html.fragment_fromstring(fragment[: MAX_MARKDOWN_CHARS * 2], create_parent="div")
        return _finish("\n\n".join(_MarkdownWriter(url).blocks(root)))
    except Exception:  # noqa: BLE001 - hostile or broken HTML: plain text is still readable
        return _finish(_INLINE_ESCAPE.sub(r"\\\1", html_to_text(fragment)))


class _MarkdownWriter:
    def __init__(self, base: str | None) -> None:
        self.base = base

    def blocks(self, element) -> list[str]:
        """The element's content as Markdown blocks; inline runs become paragraphs."""
        out: list[str] = []
        run: list[str] = [_escape(element.text)]

        def flush() -> None:
            text = _paragraph("".join(run))
            run.clear()
            if text:
                out.append(text)

        for child in element:
            tag = _tag(child)
            if tag in _SKIP_TAGS or not tag:
                pass
            elif tag in _HEADING_TAGS:
                flush()
                text = _squash(self.inline(child)).replace("\n", " ")
                if text:
                    out.append("#" * _HEADING_TAGS[tag] + " " + text)
            elif tag in ("ul", "ol"):
                flush()
                items = self.list(child, ordered=tag == "ol")
                if items:
                    out.append(items)
            elif tag == "blockquote":
                flush()
                inner = "\n\n".join(self.blocks(child))
                if inner:
                    out.append("\n".join(f"> {line}" if line else ">" for line in inner.split("\n")))
            elif tag == "pre":
                flush()
                code = child.text_content().strip("\n")
                if code.strip():
                    fence = "~~~~" if "```" in code else "```"
                    out.append(f"{fence}\n{code}\n{fence}")
            elif tag == "hr":
                flush()
                out.append("---")
            elif tag == "table":
                flush()
                table = self.table(child)
                if table:
                    out.append(table)
            elif tag in _CONTAINER_TAGS:
                flush()
                out.extend(self.blocks(child))
            else:
                run.append(self.inline(child))
            run.append(_escape(child.tail))
        flush()
        return out

    def inline(self, element) -> str:
        tag = _tag(element)
        if tag == "br":
            return "\n"
        if tag == "img":
            return self.image(element)
        parts = [_escape(element.text)]
        for child in element:
            if _tag(child) not in _SKIP_TAGS and _tag(child):
                parts.append(self.inline(child))
            parts.append(_escape(child.tail))
        text = "".join(parts)
        if tag == "a":
            href = _absolute(element.get("href"), self.base)
            label = _squash(text).replace("\n", " ")
            return f"[{label}]({_destination(href)})" if href and label else text
        if tag in ("strong", "b"):
            return _wrap(text, "**")
        if tag in ("em", "i", "cite"):
            return _wrap(text, "*")
        if tag in ("del", "s", "strike"):
            return _wrap(text, "~~")
        if tag == "code":
            code = element.text_content()
            return f"`{code}`" if code.strip() and "`" not in code else text
        return text

    def image(self, element) -> str:
        src = _absolute(element.get("src"), self.base)
        if src is None:
            return ""
        alt = _INLINE_ESCAPE.sub(r"\\\1", " ".join((element.get("alt") or element.get("title") or "").split()))
        return f"![{alt}]({_destination(src)})"

    def list(self, element, ordered: bool) -> str:
        lines: list[str] = []
        number = 0
        indent = ""
        for item in element:
            tag = _tag(item)
            if tag in _SKIP_TAGS or not tag:
                continue
            if tag in ("ul", "ol") and lines:
                # a list straight inside a list (bad markup) belongs to the item before it
                nested = self.list(item, ordered=tag == "ol")
                if nested:
                    lines[-1] += "\n" + indent + nested.replace("\n", "\n" + indent)
                continue
            # anything else in a list (bad markup too) reads best as an item of it
            blocks = self.blocks(item) if tag != "ul" and tag != "ol" else [self.list(item, tag == "ol")]
            number += 1
            marker = f"{number}. " if ordered else "- "
            indent = " " * len(marker)
            first, *rest = [b for b in blocks if b] or [""]
            text = marker + first.replace("\n", "\n" + indent)
            for block in rest:
                text += "\n" + indent + block.replace("\n", "\n" + indent)
            lines.append(text.rstrip())
        return "\n".join(lines)

    def table(self, element) -> str:
        rows = []
        for row in element.iter("tr"):
            cells = [
                _squash(self.inline(cell)).replace("\n", " ").replace("|", "\\|")
                for cell in row
                if _tag(cell) in ("td", "th")
            ]
            if any(cells):
                rows.append(cells)
        if not rows:
            return ""
        width = max(len(r) for r in rows)
        lines = ["| " + " | ".join(r + [""] * (width - len(r))) + " |" for r in rows]
        lines.insert(1, "|" + "---|" * width)
        return "\n".join(lines)


def _tag(element) -> str:
    tag = element.tag
    return tag.lower() if isinstance(tag, str) else ""  # comments and processing instructions: ""


def _escape(text: str | None) -> str:
    return _INLINE_ESCAPE.sub(r"\\\1", text) if text else ""


def _squash(text: str) -> str:
    """Whitespace collapsed, line breaks (from <br>) kept."""
    lines = (" ".join(line.split()) for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def _paragraph(text: str) -> str:
    """A paragraph that cannot be misread as a heading, quote or list item."""
    text = _squash(text)
    return _BLOCK_START.sub(lambda m: f"\\{m.group(1)}" if m.group(1) else f"{m.group(2)}\\{m.group(3)}", text, 1)


def _wrap(text: str, mark: str) -> str:
    inner = text.strip()
    if not inner:
        return text
    start = text.index(inner[0])
    return f"{text[:start]}{mark}{inner}{mark}{text[start + len(inner):]}"


def _destination(url: str) -> str:
    if any(c in url for c in " <>()"):
        return "<" + url.replace("\\", "\\\\").replace("<", "\\<").replace(">", "\\>") + ">"
    return url


# -- Markdown to plain text -------------------------------------------------------------------------

_DESTINATION = r"\((?:<(?:\\.|[^\\>\n])*>|[^\s()]*(?:\([^\s()]*\)[^\s()]*)*)(?:\s+\"[^\"]*\")?\)"
_IMAGE = re.compile(r"!\[((?:\\.|[^\\\]])*)\]" + _DESTINATION)
_LINK = re.compile(r"\[((?:\\.|[^\\\]])*)\]" + _DESTINATION)
_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+", re.MULTILINE)
_QUOTE = re.compile(r"^ {0,3}(?:> ?)+", re.MULTILINE)
_FENCE = re.compile(r"^ {0,3}(?:```+|~~~+)[^\n]*$", re.MULTILINE)
_MARKUP = re.compile(r"(?<!\\)(?:\*\*|__|~~|[*_`])|^\|?(?: *:?-{3,}:? *\|)+ *$", re.MULTILINE)
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|~<>])")


def markdown_to_text(markdown: str) -> str:
    """The words a person reads in Markdown, for search and counting: links and images without
    their addresses (an image's alt text is kept), markup and escapes removed."""
    s = _IMAGE.sub(lambda m: m.group(1), markdown)
    s = _LINK.sub(lambda m: m.group(1), s)
    s = _HEADING.sub("", s)
    s = _QUOTE.sub("", s)
    s = _FENCE.sub("", s)
    s = _MARKUP.sub("", s)
    return _ESCAPE.sub(r"\1", s).strip()


def _count_words(text: str) -> int:
    return len(_WORD.findall(text))


# -- deciding ---------------------------------------------------------------------------------------

_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_SNIFFED_TYPES = frozenset({"", "application/octet-stream", "text/plain", "application/xml", "text/xml"})
_PAYWALL = re.compile(
    r"""["']isAccessibleForFree["']\s*:\s*["']?false"""
    r"""|itemprop=["']isAccessibleForFree["'][^>]*content=["']false""",
    re.IGNORECASE,
)
_TRUNCATED = re.compile(r"(?:\[?(?:…|\.\.\.)\]?|continue reading\W*|read more\W*)\s*$", re.IGNORECASE)
_PAYWALLED = "paywall"
_SCRIPTED = "script"


def feed_has_full_text(story: Story) -> bool:
    """True when the feed's content is the whole story, so the web page need not be fetched:
    much longer than the feed's teaser, or long on its own when there is no separate teaser."""
    words = _count_words(story.text)
    if _TRUNCATED.search(story.text[-200:]):
        return False  # "… Continue reading": the feed stops where the page goes on
    if not story.summary or story.summary == story.content:
        return words >= FULL_TEXT_WORDS
    teaser = _count_words(html_to_text(story.summary))
    return words >= FULL_TEXT_MIN_WORDS and words >= FULL_TEXT_RATIO * teaser


def _read_page(body: bytes, charset: str | None, url: str | None, title: str | None) -> tuple[str, str | None]:
    """Decode and extract one page: (Markdown, what is wrong with the page or None). Runs in a
    worker process; never raises."""
    try:
        html = decode_page(body, charset)
        markdown = extract_article(html, url, title=title)
        problem = None
        if _PAYWALL.search(html):
            problem = _PAYWALLED
        elif "<script" in html.lower() and _count_words(html_to_text(html)) < SCRIPT_PAGE_WORDS:
            problem = _SCRIPTED
        return markdown, problem
    except Exception:  # noqa: BLE001
        return "", None


def _decide(story: Story, markdown: str, problem: str | None) -> tuple[str | None, str | None]:
    """The article's Markdown, or None and why the feed's own text is better."""
    words = _count_words(markdown_to_text(markdown)) if markdown else 0
    feed_words = _count_words(story.text)
    if problem == _PAYWALLED and words < max(2 * feed_words, PAYWALL_WORDS):
        return None, "the article is for subscribers only (the page is behind a paywall)"
    if problem == _SCRIPTED and words <= feed_words:
        return None, "the page shows its text only with JavaScript, which Newsdesk does not run"
    if words == 0:
        return None, "no article text found on the web page"
    if words <= feed_words:
        return None, "the web page has less text than the feed (a paywall, or a page built by scripts?)"
    return markdown, None


def _is_page(fetched: FetchResult) -> bool:
    kind = fetched.content_type or ""
    if kind in _HTML_TYPES:
        return True
    return kind in _SNIFFED_TYPES and (fetched.body or b"").lstrip()[:1] == b"<"


def _is_web_link(url: str | None) -> bool:
    return bool(url) and urlsplit(url).scheme.lower() in _LINK_SCHEMES


@dataclass(frozen=True, slots=True)
class _Outcome:
    markdown: str | None
    error: str | None
    source: ArticleSource
    keep: bool  # False for trouble worth trying again later (network, server errors)
    url: str | None = None
    fetched: bool = False


async def _article_outcome(story: Story, fetcher: Fetcher, executor: Executor | None) -> _Outcome:
    """Fetch, extract and decide one story's article. Never raises (cancellation aside)."""
    import asyncio
    from concurrent.futures.process import BrokenProcessPool

    if feed_has_full_text(story):
        return _Outcome(html_to_markdown(story.content, story.url) or None, None, "feed", True)
    if not _is_web_link(story.url):
        return _Outcome(None, "the story has no web page to fetch", "feed", True)
    from reader.fetch import ACCEPT_PAGE

    fetched = await fetcher.fetch(story.url, accept=ACCEPT_PAGE)
    page_url = fetched.final_url or story.url
    if fetched.error:
        permanent = fetched.status in _PERMANENT_STATUSES
        return _Outcome(None, f"could not fetch the web page: {fetched.error}", "feed", permanent, page_url, True)
    if not _is_page(fetched):
        kind = fetched.content_type or "something else"
        return _Outcome(None, f"the link leads to {kind}, not a web page", "feed", True, page_url, True)
    loop = asyncio.get_running_loop()
    try:
        markdown, problem = await loop.run_in_executor(
            executor, _read_page, fetched.body or b"", fetched.charset, page_url, story.title
        )
    except BrokenProcessPool:
        return _Outcome(None, "the article could not be extracted (a worker stopped)", "feed", False, page_url, True)
    article, error = _decide(story, markdown, problem)
    return _Outcome(article, error, "article" if article else "feed", True, page_url, True)


def _keep(store: Store, story: Story, outcome: _Outcome) -> None:
    if not outcome.keep:
        return
    search = None
    if outcome.source == "article" and outcome.markdown:
        search = markdown_to_text(outcome.markdown)[:MAX_TEXT_CHARS]
    try:
        store.save_article(
            story.id,
            source=outcome.source,
            markdown=outcome.markdown,
            search=search,
            error=outcome.error,
            url=outcome.url,
            content_hash=story.content_hash,
            compress_over=COMPRESS_OVER,
        )
    except sqlite3.IntegrityError:
        pass  # the story was removed (its feed unsubscribed) while its page was read


# -- the public API ---------------------------------------------------------------------------------


def cached_article(store: Store, story_id: int) -> Article | None:
    """The kept article of a story, without the network; None when there is none yet (or the feed
    changed the story since its own text was judged)."""
    kept = store.article(story_id)
    if kept is None:
        return None
    if kept["source"] == "feed" and kept["content_hash"] != kept["story_hash"]:
        return None
    return Article(kept["markdown"], kept["error"], True, kept["source"])


def _offline_outcome(store: Store, story: Story) -> _Outcome | None:
    """The outcome for a story of a built-in demo feed, whose links lead to made-up pages: its
    own text, never the network. None for every other story."""
    feed = store.get_feed(story.feed_id)
    if feed is None or ".invalid" not in feed.url.lower():  # no demo feed: spare the import
        return None
    from reader.demo import is_demo_url

    if not is_demo_url(feed.url):
        return None
    if feed_has_full_text(story):
        return _Outcome(html_to_markdown(story.content, story.url) or None, None, "feed", True)
    return _Outcome(None, "none for a demo story, whose web page is made up; this is the feed's text",
                    "feed", True)


def get_article(
    db_path: str | os.PathLike[str],
    story_id: int,
    clock: Clock = system_clock,
    *,
    limits: FetchLimits | None = None,
) -> Article:
    """A story's full article: the kept one at once, else fetched, extracted and kept now.

    Synchronous, for a worker thread: opens its own connection and event loop. Never raises for a
    network or extraction problem: ``Article.error`` says what went wrong, and the reading pane keeps
    the feed's text. Network trouble is not remembered, so the next call tries again.
    """
    with Store(Path(db_path), clock=clock) as store:
        cached = cached_article(store, story_id)
        if cached is not None:
            return cached
        story = store.get_story(story_id)
        if story is None:
            return Article(None, "the story is no longer in the database", False, "feed")
        outcome = _offline_outcome(store, story) or _run(_outcomes([story], limits, clock, None, None))[0]
        _keep(store, story, outcome)
    return Article(outcome.markdown, outcome.error, False, outcome.source)


def fetch_articles(
    db_path: str | os.PathLike[str],
    story_ids: Iterable[int] | None = None,
    *,
    feed_id: int | Iterable[int] | None = None,
    on_progress: Progress | None = None,
    clock: Clock = system_clock,
    limits: FetchLimits | None = None,
    workers: int | None = None,
    limit: int = READ_AHEAD_LIMIT,
    prune: bool = True,
    max_age_days: float = ARTICLE_MAX_AGE_DAYS,
    max_bytes: int = ARTICLE_CACHE_MAX_BYTES,
) -> ArticleSummary:
    """Fetch and keep the full articles of many stories, in parallel, for reading offline.

    ``story_ids``: those stories (unless already kept). Otherwise read ahead: the unread stories
    (of ``feed_id``, one id or several, or of every feed) first seen in the last ``max_age_days``,
    newest first, at most ``limit``. Pages are fetched with the refresh's limits; extraction runs
    in worker processes at a lower priority. Kept articles are then pruned to ``max_age_days`` and
    ``max_bytes`` (``prune=False`` skips it). ``on_progress(done, total, result)`` is called as each
    story is kept. Synchronous, like ``refresh``: run it after a refresh, not during one.
    """
    started = time.perf_counter()
    with Store(Path(db_path), clock=clock) as store:
        if story_ids is None:
            since = int(store.now() - max_age_days * _DAY)
            feeds = None if feed_id is None else [feed_id] if isinstance(feed_id, int) else list(feed_id)
            ids = store.stories_without_article(feed_ids=feeds, since=since, limit=limit)
        else:
            ids = [i for i in dict.fromkeys(story_ids) if cached_article(store, i) is None]
        stories = [s for s in map(store.get_story, ids) if s is not None]
        results: list[ArticleResult] = []

        def keep(story: Story, outcome: _Outcome) -> None:
            _keep(store, story, outcome)
            result = ArticleResult(story.id, outcome.source, outcome.error, outcome.fetched)
            results.append(result)
            if on_progress is not None:
                on_progress(len(results), len(stories), result)

        online = []
        for story in stories:
            offline = _offline_outcome(store, story)
            if offline is None:
                online.append(story)
            else:
                keep(story, offline)
        executor = _extraction_pool(len(online), workers)
        try:
            if online:
                _run(_outcomes(online, limits, clock, executor, keep))
        finally:
            if executor is not None:
                executor.shutdown(wait=True, cancel_futures=True)
        pruned = _prune(store, max_age_days, max_bytes) if prune else 0
    return ArticleSummary(tuple(results), pruned, time.perf_counter() - started)


def prune_articles(
    db_path: str | os.PathLike[str],
    *,
    max_age_days: float = ARTICLE_MAX_AGE_DAYS,
    max_bytes: int = ARTICLE_CACHE_MAX_BYTES,
    clock: Clock = system_clock,
) -> int:
    """Remove kept articles older than ``max_age_days``, then the oldest until the rest fit in
    ``max_bytes``; a saved story's article always stays. Returns how many were removed."""
    with Store(Path(db_path), clock=clock) as store:
        return _prune(store, max_age_days, max_bytes)


def _prune(store: Store, max_age_days: float, max_bytes: int) -> int:
    return store.prune_articles(fetched_before=int(store.now() - max_age_days * _DAY), max_bytes=max_bytes)


async def _outcomes(
    stories: list[Story],
    limits: FetchLimits | None,
    clock: Clock,
    executor: Executor | None,
    on_outcome: Callable[[Story, _Outcome], None] | None,
) -> list[_Outcome]:
    import asyncio

    from reader.fetch import Fetcher, FetchLimits

    limits = limits or FetchLimits()
    # No more pages in hand than can be fetched at once: the rest wait before fetching, not after.
    in_hand = asyncio.Semaphore(limits.max_connections)
    async with Fetcher(limits, clock=clock) as fetcher:

        async def one(story: Story) -> tuple[Story, _Outcome]:
            async with in_hand:
                return story, await _article_outcome(story, fetcher, executor)

        outcomes = []
        for next_done in asyncio.as_completed([one(s) for s in stories]):
            story, outcome = await next_done
            if on_outcome is not None:
                on_outcome(story, outcome)
            outcomes.append(outcome)
    return outcomes


def _run(coroutine):
    """Run a coroutine to the end from synchronous code, even from a thread with a running loop."""
    import asyncio
    import threading

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    box: dict = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(coroutine)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=target, name="newsdesk-articles")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


def _extraction_pool(pages: int, workers: int | None) -> Executor | None:
    if pages < POOL_THRESHOLD:
        return None  # the event loop's default thread
    from concurrent.futures import ProcessPoolExecutor

    from reader.refresh import _pool_context  # the refresh's rule: fork only a single-threaded process

    n = max(1, min(workers or os.cpu_count() or 1, pages))
    executor = ProcessPoolExecutor(max_workers=n, mp_context=_pool_context(), initializer=_start_worker)
    # Start the workers now, before the event loop's threads exist; don't wait for them.
    for _ in range(n):
        executor.submit(int)
    return executor


def _start_worker() -> None:
    try:
        os.nice(WORKER_NICENESS)
    except (AttributeError, OSError):
        pass  # no nice() here (Windows), or not allowed: the same priority then
    import trafilatura  # noqa: F401 - imported once per worker, not on its first page
