"""Helpers that worker processes import by name; kept light so a new worker starts quickly."""

from __future__ import annotations

import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor

from reader.parse import parse_feed


def crashing_parse(body: bytes, url: str, content_type=None, charset=None):
    """parse_feed, except that a body saying CRASH kills the process, as an out-of-memory kill or a
    crash in C code would."""
    if b"CRASH" in body:
        os._exit(70)
    return parse_feed(body, url, content_type, charset)


def _timed(function, args):
    started = time.process_time()
    result = function(*args)
    return result, time.process_time() - started


def _repeat(function, args, runs):
    for _ in range(runs):
        result = function(*args)
    return result


def cpu_seconds(function, *args, runs: int = 1):
    """``function(*args)``, ``runs`` times, in a forked process of its own: the last result and the
    CPU time the calls took there. Tests bound that, never wall-clock time, which a busy machine
    stretches; ``function`` must be importable by name."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool:
        return pool.submit(_timed, _repeat, (function, args, runs)).result()
