"""Helpers that worker processes import by name; kept light so a new worker starts quickly."""

from __future__ import annotations

import os

from reader.parse import parse_feed


def crashing_parse(body: bytes, url: str, content_type=None, charset=None):
    """parse_feed, except that a body saying CRASH kills the process, as an out-of-memory kill or a
    crash in C code would."""
    if b"CRASH" in body:
        os._exit(70)
    return parse_feed(body, url, content_type, charset)
