"""Network faults, served by a real local server, through the whole refresh pipeline and the CLI.

tests/test_fetch.py covers the fetcher alone; here every fault goes fetch → parse → store → `newsdesk
feeds`, next to healthy feeds, and must end as: the others refreshed, the failing feed's error stored
and shown in words, memory bounded, and the error gone once the server answers properly again.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import format_datetime
from typing import Callable

import pytest

import reader.refresh
from reader.fetch import FetchLimits
from reader.models import StoryFilter, feed_locator
from reader.refresh import refresh
from reader.store import Store
from tests.conftest import T0, cli
from tests.httpserver import MB, LocalServer
from tests.test_refresh import rss
from tests.test_reliability_helpers import crashing_parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Short waits so that a stalled server costs half a second, and a small body limit so that the
# oversized answers stay quick; the memory test below uses the real defaults.
LIMITS = FetchLimits(connect_timeout=1, read_timeout=0.5, total_timeout=1.5, max_bytes=1 * MB)
GOOD = rss("Healthy", [("h1", "All is well"), ("h2", "Still well")])
HTTP_DATE_WAIT = 600


def http_date(ts: float) -> str:
    return format_datetime(datetime.fromtimestamp(ts, timezone.utc), usegmt=True)


def feeds_row(db_path, feed_id: int) -> list[str]:
    """The `newsdesk feeds` line of one feed, split into its tab-separated cells."""
    code, out, _ = cli(db_path, "feeds")
    assert code == 0
    for line in out.splitlines():
        cells = line.split("\t")
        if cells[0] == str(feed_id):
            return cells
    raise AssertionError(f"feed {feed_id} not in `newsdesk feeds`:\n{out}")


@dataclass(frozen=True)
class Fault:
    """A misbehaving server: ``serve(server, path)`` sets the route up and returns its URL."""

    name: str
    serve: Callable[[LocalServer, str], str]
    words: str | None  # what the stored error must say; None: not an error at all
    title: str | None = None  # for a feed that must still be read: its first story's title


FAULTS = [
    Fault("trickle past the read timeout", lambda s, p: s.trickle(p, interval=0.05),
          "timed out after 1.5 s before the whole response arrived"),
    Fault("accepts and never answers", lambda s, p: s.stall(p),
          "timed out after 0.5 s waiting for the server"),
    Fault("connection reset mid-body", lambda s, p: s.reset(p, after=1000),
          "connection reset by the server"),
    Fault("truncated body", lambda s, p: s.truncate(p, body=GOOD[:200].encode(), missing=500),
          "connection closed before the whole response arrived (got 200 of 700 bytes)"),
    Fault("HTTP 500", lambda s, p: s.add(p, "oops", status=500), "HTTP 500 Internal Server Error"),
    Fault("429 with Retry-After seconds", lambda s, p: s.add(p, "", status=429, retry_after="120"),
          "HTTP 429 Too Many Requests; retry after 2026-03-01 12:02 UTC"),
    Fault("503 with Retry-After HTTP-date",
          lambda s, p: s.add(p, "", status=503, retry_after=http_date(T0 + HTTP_DATE_WAIT)),
          "HTTP 503 Service Unavailable; retry after 2026-03-01 12:10 UTC"),
    Fault("redirect loop", lambda s, p: (s.redirect(p, p + "-loop"), s.redirect(p + "-loop", p))[0],
          "too many redirects (more than 10)"),
    Fault("redirect to ftp:", lambda s, p: s.redirect(p, "ftp://example.org/feed.xml"),
          "redirect to unsupported scheme 'ftp:'"),
    Fault("redirect to file:", lambda s, p: s.redirect(p, "file:///etc/passwd"),
          "redirect to unsupported scheme 'file:'"),
    Fault("redirect to javascript:", lambda s, p: s.redirect(p, "javascript:alert(1)"),
          "redirect to unsupported scheme 'javascript:'"),
    Fault("redirect to data:", lambda s, p: s.redirect(p, "data:text/xml,<rss/>"),
          "redirect to unsupported scheme 'data:'"),
    Fault("over the size limit, with Content-Length", lambda s, p: s.too_much(p, size=5 * MB),
          "response larger than 1 MB"),
    Fault("over the size limit, no Content-Length",
          lambda s, p: s.too_much(p, size=5 * MB, content_length=False), "response larger than 1 MB"),
    Fault("over the size limit, chunked",
          lambda s, p: s.too_much(p, size=5 * MB, content_length=False, chunked=True),
          "response larger than 1 MB"),
    Fault("gzip bomb", lambda s, p: s.gzip_bomb(p, size=100 * MB), "response larger than 1 MB"),
    Fault("an HTML page", lambda s, p: s.add(
        p, "<!doctype html><html><head><title>Shop</title></head><body>Buy</body></html>",
        content_type="text/html"), "not a feed: got an HTML page"),
    Fault("empty 200", lambda s, p: s.empty(p), "empty response"),
    Fault("binary garbage", lambda s, p: s.add(p, os.urandom(1) + bytes(range(256)) * 64),
          "not a feed: the response is not XML or JSON"),
    Fault("a JPEG where the feed was", lambda s, p: s.add(
        p, b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(4000), content_type="image/jpeg"),
        "not a feed: the response is not XML or JSON"),
    Fault("a feed served as image/png", lambda s, p: s.add(p, GOOD, content_type="image/png"),
          None, title="All is well"),
    Fault("a feed served as text/html", lambda s, p: s.add(p, GOOD, content_type="text/html"),
          None, title="All is well"),
    Fault("a feed served with no Content-Type", lambda s, p: s.add(p, GOOD, content_type=""),
          None, title="All is well"),
    Fault("header charset contradicts the XML declaration", lambda s, p: s.add(
        p, rss("Köln", [("k1", "Grüße aus Köln — “quoted”")]),
        content_type="application/rss+xml; charset=koi8-r"), None, title="Grüße aus Köln — “quoted”"),
    Fault("header says UTF-8, body is windows-1252 without a declaration", lambda s, p: s.add(
        p, rss("Café", [("c1", "Café crème")]).replace('encoding="utf-8"', "")
        .replace('<?xml version="1.0" ?>', "").encode("windows-1252"),
        content_type="application/xml; charset=utf-8"), None, title="Café crème"),
    Fault("unknown charset in the header", lambda s, p: s.add(
        p, GOOD, content_type="application/xml; charset=x-no-such-charset"),
        None, title="All is well"),
]


@pytest.mark.parametrize("fault", FAULTS, ids=[f.name for f in FAULTS])
def test_each_fault_is_stored_shown_in_words_and_cleared_by_a_good_answer(
    fault, server, store, db_path, clock
):
    healthy = [store.add_feed(server.add(f"/ok{i}.xml", GOOD)) for i in range(2)]
    feed = store.add_feed(fault.serve(server, "/f"))

    summary = refresh(db_path, clock=clock, limits=LIMITS)

    for ok in healthy:  # the others completed
        assert store.count_stories(StoryFilter(feed_id=ok.id)) == 2
        assert store.get_feed(ok.id).last_error is None
    stored = store.get_feed(feed.id)
    if fault.words is None:
        assert stored.last_error is None and not summary.failed
        assert store.list_stories(StoryFilter(feed_id=feed.id))[0].title == fault.title
        return
    assert [r.feed_id for r in summary.failed] == [feed.id]
    assert stored.last_error == fault.words and stored.consecutive_errors == 1
    cells = feeds_row(db_path, feed.id)
    assert cells[7] == "error" and cells[8] == fault.words
    _, out, _ = cli(db_path, "feeds", tty=True)
    assert f"error: {fault.words}" in out

    clock.advance(3600)  # past any Retry-After
    server.add("/f", GOOD)
    summary = refresh(db_path, clock=clock, limits=LIMITS)
    healed = store.get_feed(feed.id)
    assert not summary.failed
    assert healed.last_error is None and healed.consecutive_errors == 0
    assert healed.fetch_not_before is None
    assert store.count_stories(StoryFilter(feed_id=feed.id)) == 2
    assert feeds_row(db_path, feed.id)[7:] == ["ok", ""]


def test_retry_after_holds_back_only_that_feed_until_the_time_it_named(server, store, db_path, clock):
    ok = store.add_feed(server.add("/ok.xml", GOOD))
    busy = store.add_feed(server.add("/busy.xml", "", status=503, retry_after=http_date(T0 + 600)))
    refresh(db_path, clock=clock, limits=LIMITS)
    assert store.get_feed(busy.id).fetch_not_before == T0 + 600
    server.clear()
    clock.advance(599)
    refresh(db_path, clock=clock, limits=LIMITS)
    assert server.requests_for("/busy.xml") == [] and len(server.requests_for("/ok.xml")) == 1
    assert store.get_feed(ok.id).last_error is None
    clock.advance(1)
    server.add("/busy.xml", GOOD)
    refresh(db_path, clock=clock, limits=LIMITS)
    assert len(server.requests_for("/busy.xml")) == 1
    assert store.get_feed(busy.id).last_error is None


def test_every_fault_at_once_through_newsdesk_refresh(server, store, db_path, monkeypatch):
    """All faults in one `newsdesk refresh`: enough feeds for worker processes, none blocks the rest."""
    monkeypatch.setattr(reader.refresh, "FetchLimits", lambda: LIMITS)
    healthy = [store.add_feed(server.add(f"/ok{i}.xml", rss(f"OK {i}", [(f"ok{i}", f"Fine {i}")])))
               for i in range(4)]
    failing = {}
    for n, fault in enumerate(FAULTS):
        feed = store.add_feed(fault.serve(server, f"/fault{n}"))
        if fault.words is not None:
            failing[feed.id] = (feed, fault)
    started = time.perf_counter()
    code, out, err = cli(db_path, "refresh")
    elapsed = time.perf_counter() - started
    assert code == 1
    total = len(healthy) + len(FAULTS)
    assert out.startswith(f"Refreshed {total} feeds in ")
    assert f", {len(failing)} failed" in out
    assert elapsed < LIMITS.total_timeout + 8  # the slow ones wait side by side, not one after another
    for ok in healthy:
        assert store.count_stories(StoryFilter(feed_id=ok.id)) == 1
    for feed_id, (feed, fault) in failing.items():
        words = fault.words.split(";")[0]  # the Retry-After time is real time here
        # each line names its own feed (by its address, as it has no title), not just the host
        assert f"  {feed_locator(feed.url)}: {words}" in err, (fault.name, err)
        assert store.get_feed(feed_id).last_error.startswith(words)
    with Store(db_path) as check:
        assert check.integrity_ok()


MEMORY_PROBE = textwrap.dedent(
    """
    import json, re, resource, sys
    from reader.cli import main
    code = main(["--db", sys.argv[1], "refresh"])
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss across execve, so it would report the peak of
    # the test runner that started us
    with open("/proc/self/status") as status:
        self_kb = int(re.search(r"VmHWM:\\s+(\\d+)", status.read())[1])
    children_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(json.dumps({"code": code, "self_mb": self_kb / 1024, "children_mb": children_kb / 1024}))
    """
)


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="reads VmHWM from /proc (Linux)")
def test_memory_stays_bounded_with_the_real_limits(server, db_path):
    """A subprocess runs `newsdesk refresh` with the default limits (10 MB) against 100-200 MB
    answers; its peak RSS, and that of its parser processes, stays far below what they would cost."""
    with Store(db_path) as store:
        for path, url in [
            ("/bomb", server.gzip_bomb("/bomb", size=200 * MB)),
            ("/cl", server.too_much("/cl", size=100 * MB)),
            ("/nocl", server.too_much("/nocl", size=100 * MB, content_length=False)),
            ("/chunked", server.too_much("/chunked", size=100 * MB, content_length=False, chunked=True)),
        ]:
            store.add_feed(url)
        for i in range(6):  # enough feeds for the worker processes
            store.add_feed(server.add(f"/ok{i}.xml", GOOD))
    proc = subprocess.run(
        [sys.executable, "-c", MEMORY_PROBE, str(db_path)],
        capture_output=True, text=True, timeout=60, cwd=ROOT,
    )
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["code"] == 1
    assert proc.stderr.count("response larger than 10 MB") == 4, proc.stderr
    # python + httpx + feedparser is ~60 MB; a 10 MB body is held twice at most
    assert result["self_mb"] < 120, result
    assert result["children_mb"] < 120, result
    with Store(db_path) as store:
        assert store.count_stories() == 12


@pytest.mark.slow
def test_a_parser_process_that_dies_fails_only_its_own_feed(server, store, db_path, clock, monkeypatch):
    monkeypatch.setattr(reader.refresh, "parse_feed", crashing_parse)  # importable by workers
    good = [store.add_feed(server.add(f"/ok{i}.xml", rss(f"OK {i}", [(f"ok{i}", f"Fine {i}")], )))
            for i in range(10)]
    bad = store.add_feed(server.add("/crash.xml", rss("CRASH", [("c", "CRASH")])))
    summary = refresh(db_path, clock=clock, limits=LIMITS)
    assert [r.feed_id for r in summary.failed] == [bad.id]
    assert "crash" in store.get_feed(bad.id).last_error
    for feed in good:
        assert store.count_stories(StoryFilter(feed_id=feed.id)) == 1, store.get_feed(feed.id)


def test_a_bug_while_storing_one_feed_fails_only_that_feed(server, store, db_path, clock, monkeypatch):
    real = reader.refresh.store_result

    def buggy(store, feed, fetched, parsed):
        if feed.url.endswith("/buggy.xml"):
            raise AttributeError("'NoneType' object has no attribute 'group'")
        return real(store, feed, fetched, parsed)

    monkeypatch.setattr(reader.refresh, "store_result", buggy)
    good = [store.add_feed(server.add(f"/ok{i}.xml", rss(f"OK {i}", [(f"ok{i}", f"Fine {i}")]))) for i in range(3)]
    bad = store.add_feed(server.add("/buggy.xml", GOOD))
    summary = refresh(db_path, clock=clock, limits=LIMITS)
    assert [r.feed_id for r in summary.failed] == [bad.id]
    for feed in good:
        assert store.count_stories(StoryFilter(feed_id=feed.id)) == 1
    error = store.get_feed(bad.id).last_error
    assert error.startswith("Newsdesk failed on this feed, which is a bug (AttributeError:")
    assert feeds_row(db_path, bad.id)[7] == "error"
