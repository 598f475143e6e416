"""Turning text from the network into something fit to show: no markup, no escapes, no passwords.

Everything a feed sends is data. These helpers never return Rich/Textual markup; widgets get
``Content`` objects (which are never parsed) or Markdown whose every punctuation mark is escaped.
"""

from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

from textual.content import Content
from textual.fuzzy import Matcher

from reader import text as core_text
from reader.text import safe_url as safe_url  # one function for the CLI and the app

# Every ASCII punctuation character may be backslash-escaped in CommonMark.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~\"'&=:$%^;,?@/])")


def clean(text: str | None) -> str:
    """Text with whole escape sequences, control and bidi characters removed (newlines and tabs kept)."""
    return core_text.clean_text(text) if text else ""


def one_line(text: str | None) -> str:
    """Text on one line with runs of whitespace collapsed."""
    return core_text.one_line(text) if text else ""


def as_markup(text: str | None) -> str:
    """Markup that Textual reads back as exactly ``one_line(text)``, for the few Textual APIs that
    take nothing but markup (the command palette's help line)."""
    return one_line(text).replace("[", "\\[")


def highlighted(matcher: Matcher, text: str) -> Content:
    """``matcher.highlight(text)`` without reading ``text`` as markup (Textual's does)."""
    content = Content(text)
    score, offsets = matcher.fuzzy_search.match(matcher.query, text)
    if score:
        for offset in offsets:
            if not text[offset].isspace():
                content = content.stylize(matcher.match_style, offset, offset + 1)
    return content


def is_web_url(url: str | None) -> bool:
    """True for http and https links, the only ones Newsdesk opens."""
    if not url:
        return False
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


def markdown_escape(text: str) -> str:
    """Plain text as Markdown that renders to exactly that text (nothing becomes markup)."""
    return _MD_SPECIAL.sub(r"\\\1", clean(text))


def paragraphs_markdown(text: str) -> str:
    """Plain text with blank-line separated paragraphs as escaped Markdown paragraphs."""
    paras = [one_line(p) for p in re.split(r"\n\s*\n", clean(text))]
    return "\n\n".join(markdown_escape(p) for p in paras if p)


def markdown_link(label: str, url: str) -> str:
    """A Markdown link whose label and target cannot break out of the link syntax."""
    target = safe_url(url).replace("(", "%28").replace(")", "%29").replace(" ", "%20")
    target = target.replace("<", "%3C").replace(">", "%3E")
    return f"[{markdown_escape(one_line(label))}]({target})"


def format_time(ts: int | float | None) -> str:
    if not ts:
        return ""
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts))


def format_size(length: int | None) -> str:
    if not length or length < 0:
        return "size unknown"
    size = float(length)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{length} B"

