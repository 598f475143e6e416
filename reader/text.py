"""Text from the network made safe and plain: control characters, terminal escapes and HTML removed.

Everything a feed says ends up on a terminal. A story may carry ANSI/VT escape sequences (colour,
cursor moves, OSC 8 links, OSC 52 clipboard writes), C0/C1 controls or bidi overrides that reorder
what a person reads; ``clean_text`` removes them all, whole sequences at a time. The HTML functions
return plain strings; escaping Rich/Textual markup is the UI's job, not this module's.

These functions run for every story of every refresh, so they are built from compiled regular
expressions and ``str`` methods, never an HTML tree, and each has a fast path for the common case.
Every pattern is linear in its input (possessive quantifiers, no nested repetition that can
backtrack), and none of them raises on any ``str``.
"""

from __future__ import annotations

import html
import re
from itertools import repeat
from urllib.parse import urlsplit, urlunsplit

__all__ = [
    "clean_text",
    "one_line",
    "html_to_text",
    "html_to_title",
    "safe_url",
    "MAX_HTML_CHARS",
    "MAX_TEXT_CHARS",
]

# Bounds on hostile input: HTML longer than this is cut before conversion, text after it.
MAX_HTML_CHARS = 2_000_000
MAX_TEXT_CHARS = 200_000

# --- clean_text ----------------------------------------------------------------------------------

# Terminal control sequences (ECMA-48 / VT), in their 7-bit (ESC x) and 8-bit (C1) forms. The whole
# sequence goes, so no "[31m" residue is left behind. String-type sequences (OSC, DCS, SOS, PM, APC)
# end at BEL or ST; an unterminated 7-bit one ends at the next newline, so a stray byte cannot eat a
# story. The 8-bit forms take text with them only when complete: a lone C1 byte is more often
# mojibake (UTF-8 read as Latin-1) than an attack, and on its own it is simply dropped.
_ESCAPE_SEQUENCE = (
    # CSI: parameters 0x30-0x3F, intermediates 0x20-0x2F, final 0x40-0x7E
    r"\x1b\[[\x30-\x3f]*+[\x20-\x2f]*+[\x40-\x7e]?"
    r"|\x9b[\x30-\x3f]*+[\x20-\x2f]*+[\x40-\x7e]"
    # OSC (incl. OSC 8 hyperlinks and OSC 52 clipboard), DCS, SOS, PM, APC
    r"|\x1b[\]P_^X][^\x07\x1b\x9c\n]*+(?:\x07|\x1b\\|\x9c)?"
    r"|[\x90\x98\x9d\x9e\x9f][^\x07\x1b\x9c\n\x90\x98\x9d\x9e\x9f]*+(?:\x07|\x1b\\|\x9c)"
    # two-character and nF sequences: ESC, intermediates, one final byte (ESC 7, ESC ( B, ESC c …)
    r"|\x1b[\x20-\x2f]*+[\x30-\x7e]?"
)
# Single characters: C0 except \t \n (\r is turned into \n first), DEL, C1, bidi embeddings,
# overrides and isolates, lone surrogates, BOM / zero-width no-break space.
_UNSAFE_CHAR = r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufeff]"
_UNSAFE = re.compile(_ESCAPE_SEQUENCE + "|" + _UNSAFE_CHAR)
# Anything clean_text would change; one C-level scan decides the fast path.
_SUSPECT = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufeff]"
)
_NEWLINES = re.compile(r"\r\n?|[\u2028\u2029]")


def clean_text(s: str) -> str:
    """``s`` without anything that could act on a terminal or mislead a reader.

    Removes C0 controls except newline and tab, DEL, C1 controls, complete ANSI/VT escape sequences
    (CSI, OSC incl. OSC 8 and 52, DCS/SOS/PM/APC strings, two-character ESC sequences), bidi
    embeddings/overrides/isolates (U+202A–U+202E, U+2066–U+2069), lone surrogates and U+FEFF.
    Carriage returns and U+2028/U+2029 become newlines.
    """
    if not s or _SUSPECT.search(s) is None:
        return s
    if "\r" in s or "\u2028" in s or "\u2029" in s:
        s = _NEWLINES.sub("\n", s)
    return _UNSAFE.sub("", s)


def one_line(s: str) -> str:
    """``clean_text(s)`` with every run of whitespace collapsed to one space, stripped."""
    if not s:
        return ""
    return " ".join(clean_text(s).split())


def safe_url(url: str | None) -> str:
    """A URL fit to show: one line, no control characters or escapes, and never a password.

    ``user:password@`` goes even from a URL that does not parse ("http://u:pw@[::1"): then
    everything from the ``//`` to the authority's last ``@`` is dropped.
    """
    url = one_line(url) if url else ""
    if not url:
        return ""
    try:
        parts = urlsplit(url)
        if parts.username or parts.password:
            host = parts.hostname or ""
            if ":" in host:
                host = f"[{host}]"  # IPv6
            if parts.port:
                host = f"{host}:{parts.port}"
            parts = parts._replace(netloc=host)
        return urlunsplit(parts)
    except ValueError:  # not even a URL: show it, but without its user:password@
        return _without_userinfo(url)


_USERINFO = re.compile(r"(?<=//)[^/?#@\s]*@")


def _without_userinfo(url: str) -> str:
    start = url.find("://")
    if start == -1:
        return _USERINFO.sub("", url)
    start += 3
    end = min((i for i in (url.find(c, start) for c in "/?#") if i != -1), default=len(url))
    at = url.rfind("@", start, end)
    return url if at == -1 else url[:start] + url[at + 1 :]


# --- HTML ----------------------------------------------------------------------------------------

# Private-use characters mark structure while tags are replaced; any in the input are dropped first.
_PARA = "\ue000"  # paragraph break
_LINE = "\ue001"  # line break
_PRE_SPACE = "\ue002"  # a space inside <pre>, kept through whitespace collapsing
_PRE_TAB = "\ue003"  # a tab inside <pre>
_MARKERS = re.compile("[\ue000-\ue003]")
# Character references that would decode to one of the markers.
_MARKER_REFS = re.compile(r"&#(?:[xX]0*[eE]00[0-3]|0*5734[4-7])(?![0-9A-Fa-f]);?")
# html.unescape drops a referenced ESC (&#27;) but keeps the rest of its sequence ("[31m");
# decode it first so that clean_text removes the sequence whole.
_ESC_REF = re.compile(r"&#(?:0*27|[xX]0*1[bB])(?![0-9A-Fa-f]);?")


def _unescape(s: str) -> str:
    if "&#" in s:
        s = _MARKER_REFS.sub("", s)
        s = _ESC_REF.sub("\x1b", s)
    return html.unescape(s)


# Comments, and elements whose content is never text; unclosed ones run to the end, as in browsers.
_DROP = re.compile(
    r"<!--[^-]*+(?:-(?!->)[^-]*+)*+(?:-->)?"
    r"|<(script|style|head|template)(?![\w:-])[^<>]*+>"
    r"[^<]*+(?:<(?!/\1(?![\w:-]))[^<]*+)*+(?:</\1\s*+>)?",
    re.IGNORECASE,
)
_PRE = re.compile(
    r"(<pre(?![\w:-])[^<>]*+>)([^<]*+(?:<(?!/pre(?![\w:-]))[^<]*+)*+)((?:</pre\s*+>)?)",
    re.IGNORECASE,
)
# The rest of a tag after its name. Attribute values may hold ">" when quoted; no part may cross a
# "<", which keeps every pattern linear on hostile input (an attempt stops at the next "<"). A tag
# with unbalanced quotes falls back to the second form.
_TAG_REST = r"""(?:(?:[^<>"']++|"[^<"]*+"|'[^<']*+')*+>|[^<>]*+>)"""
_BLOCK_NAMES = (
    "address article aside blockquote caption center dd details dialog div dl dt fieldset"
    " figcaption figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr legend main nav ol p pre"
    " section summary table tbody tfoot thead ul"
).split()
# What a tag turns into: block elements a paragraph break, <br> and rows a line break, list items
# a line starting "- ", table cells a space; every other tag nothing. Keys in lower, upper and
# capitalised spelling, so the lookup needs no per-tag Python code.
_TAG_TEXT: dict[str | None, str] = {}
for _name, _text in [
    *((name, _PARA) for name in _BLOCK_NAMES),
    *(("/" + name, _PARA) for name in _BLOCK_NAMES),
    ("br", _LINE),
    ("/br", _LINE),
    ("tr", _LINE),
    ("li", _LINE + "- "),
    ("td", " "),
    ("th", " "),
]:
    for _spelling in (_name, _name.upper(), _name.capitalize(), "/" + _name[1:].capitalize()):
        if _spelling.lower() == _name:
            _TAG_TEXT[_spelling] = _text
del _name, _text, _spelling
# Splitting on tags leaves [text, name, text, name, …, text]; name is None for a comment-like
# declaration or processing instruction.
_TAG_SPLIT = re.compile(rf"<(/?[A-Za-z][A-Za-z0-9:-]*+){_TAG_REST}|<[!?][^<>]*+>")
_NEWLINE_RUN = re.compile("\n{3,}")


def _strip_tags(s: str) -> str:
    parts = _TAG_SPLIT.split(s)
    if len(parts) > 1:
        # every odd slot holds a tag name: replace each by its text, all in C (map over dict.get)
        parts[1::2] = map(_TAG_TEXT.get, parts[1::2], repeat(""))
        s = "".join(parts)
    return s


def _pre_replacement(m: re.Match[str]) -> str:
    body = m.group(2).replace("\n", _LINE).replace(" ", _PRE_SPACE).replace("\t", _PRE_TAB)
    return m.group(1) + body + m.group(3)


def html_to_text(html_fragment: str) -> str:
    """Plain text of an HTML fragment, for reading in a terminal, search and summaries.

    Script, style and head content and comments are dropped; block elements become paragraphs
    separated by a blank line; ``<br>`` is a line break; list items start with "- "; entities are
    decoded; whitespace is collapsed (kept inside ``<pre>``); the result is ``clean_text``-clean.
    Never raises.
    """
    if not html_fragment:
        return ""
    s = html_fragment
    if len(s) > MAX_HTML_CHARS:
        s = s[:MAX_HTML_CHARS]
    if not s.isascii() and _has_marker(s):
        s = _MARKERS.sub("", s)
    if "<" not in s and "&" not in s:
        s = " ".join(clean_text(s).split())
        return s[:MAX_TEXT_CHARS].rstrip() if len(s) > MAX_TEXT_CHARS else s
    if "<" in s:
        low = s.lower()  # only to see which passes are needed
        if _needs_drop(low):
            s = _DROP.sub(" ", s)
        if "<pre" in low:
            s = _PRE.sub(_pre_replacement, s)
        s = _strip_tags(s)
    if "&" in s:
        s = _unescape(s)
    # split/join collapses whitespace; the markers are not whitespace, so structure survives it
    s = " ".join(clean_text(s).split())
    if _PARA in s or _LINE in s:
        s = s.replace(_PARA, "\n\n").replace(_LINE, "\n").replace(" \n", "\n").replace("\n ", "\n")
        if "\n\n\n" in s:
            s = _NEWLINE_RUN.sub("\n\n", s)
    if _PRE_SPACE in s or _PRE_TAB in s:
        s = s.replace(_PRE_SPACE, " ").replace(_PRE_TAB, "\t")
    s = s.strip()
    if len(s) > MAX_TEXT_CHARS:
        s = s[:MAX_TEXT_CHARS].rstrip()
    return s


def _has_marker(s: str) -> bool:
    return "\ue000" in s or "\ue001" in s or "\ue002" in s or "\ue003" in s


def _needs_drop(lowered: str) -> bool:
    return (
        "<!--" in lowered
        or "<script" in lowered
        or "<style" in lowered
        or "<head" in lowered
        or "<template" in lowered
    )


# In a title, a tag that separates words (<br>, <p>, <div> …) becomes a space; any other tag goes.
_TITLE_TAG_TEXT = {name: " " for name in _TAG_TEXT if name is not None}
_TITLE_TAG_TEXT.update(
    {"/" + name: " " for name in ("li", "td", "th", "tr", "LI", "TD", "TH", "TR")}
)


def html_to_title(s: str) -> str:
    """A title or name given as HTML, as one line of plain text: tags removed, entities decoded."""
    if not s:
        return ""
    if len(s) > MAX_HTML_CHARS:
        s = s[:MAX_HTML_CHARS]
    if "<" in s:
        if _needs_drop(s.lower()):
            s = _DROP.sub(" ", s)
        parts = _TAG_SPLIT.split(s)
        if len(parts) > 1:
            parts[1::2] = map(_TITLE_TAG_TEXT.get, parts[1::2], repeat(""))
            s = "".join(parts)
    if "&" in s:
        s = _unescape(s)
    return one_line(s)
