"""reader.fetch against a real local HTTP server: every failure must come back as a value."""

from __future__ import annotations

import asyncio
import gzip
import os
import socket
import subprocess
import sys
import time
import tracemalloc
import zlib
from pathlib import Path

import pytest

from reader.fetch import ACCEPT, ACCEPT_PAGE, FetchLimits, Fetcher
from tests.conftest import T0, FakeClock
from tests.httpserver import MB, LocalServer, etag_of

# Small limits keep the slow cases (stall, trickle) fast.
FAST = FetchLimits(connect_timeout=0.5, read_timeout=0.5, total_timeout=1.0, max_bytes=MB)
LAST_MODIFIED = "Sun, 01 Mar 2026 10:00:00 GMT"
RSS = '<?xml version="1.0"?><rss version="2.0"><channel><title>Tëst</title></channel></rss>'


@pytest.fixture
async def fetcher(clock: FakeClock):
    async with Fetcher(FAST, clock=clock) as f:
        yield f


# --- success and conditional GET ---------------------------------------------------------------


async def test_ok_returns_body_validators_and_content_type(server, fetcher):
    url = server.add(
        "/feed",
        RSS,
        content_type='application/rss+xml; charset="ISO-8859-1"',
        last_modified=LAST_MODIFIED,
    )
    result = await fetcher.fetch(url)
    assert result.error is None
    assert result.status == 200
    assert result.body == RSS.encode()
    assert result.etag == etag_of(RSS.encode())
    assert result.last_modified == LAST_MODIFIED
    assert (result.content_type, result.charset) == ("application/rss+xml", "iso-8859-1")
    assert result.final_url == url
    assert result.permanent_redirect is None
    assert not result.not_modified and not result.gone
    assert result.elapsed > 0
    (request,) = server.requests_for("/feed")
    assert request.headers["User-Agent"].startswith("Newsdesk/")
    assert request.headers["If-None-Match"] is None
    assert request.headers["If-Modified-Since"] is None


async def test_a_feed_is_asked_for_as_a_feed_and_a_web_page_as_html(server, fetcher):
    page = server.add("/story.html", "<html><p>Text</p></html>")
    server.redirect("/old-story", "/story.html")
    feed = server.add("/feed", RSS)
    await fetcher.fetch(feed)
    result = await fetcher.fetch(server.url("/old-story"), accept=ACCEPT_PAGE)
    assert result.final_url == page
    assert server.requests_for("/feed")[0].headers["Accept"] == ACCEPT
    # every hop of a redirect asks for the same
    assert server.requests_for("/old-story")[0].headers["Accept"] == ACCEPT_PAGE
    assert server.requests_for("/story.html")[0].headers["Accept"] == ACCEPT_PAGE
    assert ACCEPT.startswith("application/rss+xml") and ACCEPT_PAGE.startswith("text/html")


async def test_empty_body_is_not_an_error(server, fetcher):
    result = await fetcher.fetch(server.empty("/empty"))
    assert (result.status, result.body, result.error) == (200, b"", None)


async def test_conditional_get_sends_validators_and_gets_304_without_body(server, fetcher):
    url = server.add("/feed", RSS, last_modified=LAST_MODIFIED)
    first = await fetcher.fetch(url)
    second = await fetcher.fetch(url, etag=first.etag, last_modified=first.last_modified)
    assert second.not_modified
    assert second.status == 304
    assert second.body is None
    assert second.error is None
    assert (second.etag, second.last_modified) == (first.etag, LAST_MODIFIED)
    sent = server.requests_for("/feed")[1].headers
    assert sent["If-None-Match"] == first.etag
    assert sent["If-Modified-Since"] == LAST_MODIFIED


async def test_changed_etag_gets_the_new_body(server, fetcher):
    url = server.add("/feed", RSS)
    result = await fetcher.fetch(url, etag='"stale"')
    assert (result.status, result.not_modified, result.body) == (200, False, RSS.encode())


async def test_304_that_does_not_repeat_validators_keeps_the_ones_sent(server, fetcher):
    url = server.add("/feed", status=304)
    result = await fetcher.fetch(url, etag='"abc"', last_modified=LAST_MODIFIED)
    assert result.not_modified
    assert (result.etag, result.last_modified) == ('"abc"', LAST_MODIFIED)


async def test_validator_that_cannot_be_a_header_is_not_sent(server, fetcher):
    url = server.add("/feed", RSS)
    result = await fetcher.fetch(url, etag='"caf\u00e9"', last_modified="Mon,\r\n01")
    assert (result.status, result.error) == (200, None)
    sent = server.requests_for("/feed")[0].headers
    assert sent["If-None-Match"] is None and sent["If-Modified-Since"] is None


async def test_data_files_are_served_with_validators(tmp_path: Path, fetcher):
    (tmp_path / "a.atom").write_text("<feed/>")
    with LocalServer(tmp_path) as local:
        url = local.url("/data/a.atom")
        first = await fetcher.fetch(url)
        by_date = await fetcher.fetch(url, last_modified=first.last_modified)
        missing = await fetcher.fetch(local.url("/data/nope.xml"))
        escape = await fetcher.fetch(local.url("/data/../a.atom"))
    assert (first.body, first.content_type) == (b"<feed/>", "application/atom+xml")
    assert first.etag == etag_of(b"<feed/>") and first.last_modified
    assert by_date.not_modified
    assert missing.error == "HTTP 404 Not Found"
    assert escape.status == 404


# --- HTTP errors -------------------------------------------------------------------------------


async def test_404_is_an_error_value(server, fetcher):
    result = await fetcher.fetch(server.add("/missing", status=404))
    assert result.error == "HTTP 404 Not Found"
    assert (result.status, result.body, result.gone, result.retry_after) == (404, None, False, None)
    assert result.final_url == server.url("/missing")


async def test_410_is_gone(server, fetcher):
    result = await fetcher.fetch(server.add("/old", status=410))
    assert result.gone
    assert result.error == "HTTP 410 Gone"


async def test_500_is_an_error_without_retry_after(server, fetcher):
    result = await fetcher.fetch(server.add("/boom", status=500, retry_after=60))
    assert result.error == "HTTP 500 Internal Server Error"
    assert result.retry_after is None  # only 429 and 503 ask us to wait


@pytest.mark.parametrize(
    ("status", "retry_after", "expected", "when"),
    [
        (429, "120", T0 + 120, "2026-03-01 12:02 UTC"),
        (503, "Sun, 01 Mar 2026 12:05:00 GMT", T0 + 300, "2026-03-01 12:05 UTC"),
        (429, str(365 * 86400), T0 + 7 * 86400, "2026-03-08 12:00 UTC"),  # capped at a week
        (503, "Sun, 01 Mar 2026 11:00:00 GMT", T0, "2026-03-01 12:00 UTC"),  # in the past
    ],
)
async def test_retry_after_becomes_epoch_seconds_against_the_clock(
    server, fetcher, status, retry_after, expected, when
):
    result = await fetcher.fetch(server.add("/busy", status=status, retry_after=retry_after))
    assert result.status == status
    assert result.retry_after == expected
    assert result.error.endswith(f"; retry after {when}")
    assert not result.gone


async def test_unreadable_retry_after_is_ignored(server, fetcher):
    result = await fetcher.fetch(server.add("/busy", status=429, retry_after="soon"))
    assert result.retry_after is None
    assert result.error == "HTTP 429 Too Many Requests"


# --- redirects ---------------------------------------------------------------------------------


async def test_chain_of_permanent_redirects_reports_where_it_ended(server, fetcher):
    server.redirect("/a", "/b", 301)
    server.redirect("/b", server.url("/c"), 308)
    final = server.add("/c", RSS)
    result = await fetcher.fetch(server.url("/a"))
    assert result.error is None
    assert result.body == RSS.encode()
    assert result.final_url == final
    assert result.permanent_redirect == final
    assert [r.path for r in server.requests] == ["/a", "/b", "/c"]


@pytest.mark.parametrize("statuses", [(302,), (301, 307), (308, 302, 301), (303,)])
async def test_any_temporary_redirect_means_no_permanent_move(server, fetcher, statuses):
    for i, status in enumerate(statuses):
        server.redirect(f"/r{i}", f"/r{i + 1}", status)
    final = server.add(f"/r{len(statuses)}", RSS)
    result = await fetcher.fetch(server.url("/r0"))
    assert (result.status, result.final_url) == (200, final)
    assert result.permanent_redirect is None


async def test_permanent_redirect_to_an_error_is_not_a_move(server, fetcher):
    server.redirect("/a", "/b", 301)
    server.add("/b", status=404)
    result = await fetcher.fetch(server.url("/a"))
    assert result.error == "HTTP 404 Not Found"
    assert result.final_url == server.url("/b")
    assert result.permanent_redirect is None


async def test_permanent_redirect_to_not_modified_is_a_move(server, fetcher):
    server.redirect("/a", "/b", 301)
    server.add("/b", RSS)
    result = await fetcher.fetch(server.url("/a"), etag=etag_of(RSS.encode()))
    assert result.not_modified
    assert result.permanent_redirect == server.url("/b")


async def test_redirect_loop_stops_after_max_redirects(server, clock):
    server.redirect("/ping", "/pong", 302)
    server.redirect("/pong", "/ping", 301)
    async with Fetcher(FetchLimits(max_redirects=3), clock=clock) as fetcher:
        result = await fetcher.fetch(server.url("/ping"))
    assert result.error == "too many redirects (more than 3)"
    assert result.permanent_redirect is None
    assert len(server.requests) == 4


@pytest.mark.parametrize(
    ("location", "scheme"),
    [("ftp://example.com/feed.xml", "ftp:"), ("file:///etc/passwd", "file:")],
)
async def test_redirect_to_another_scheme_is_refused(server, fetcher, location, scheme):
    result = await fetcher.fetch(server.redirect("/away", location, 301))
    assert result.error == f"redirect to unsupported scheme '{scheme}'"
    assert result.body is None
    assert result.final_url == server.url("/away")


async def test_redirect_without_location_is_an_error(server, fetcher):
    result = await fetcher.fetch(server.add("/moved", status=302))
    assert result.error == "HTTP 302 Found without a Location to go to"


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("ftp://example.com/feed", "unsupported URL scheme 'ftp:'"),
        ("file:///etc/passwd", "unsupported URL scheme 'file:'"),
        ("example.com/feed", "not a web address (it needs http:// or https://): example.com/feed"),
    ],
)
async def test_url_that_is_not_http_is_an_error(fetcher, url, error):
    result = await fetcher.fetch(url)
    assert (result.error, result.status, result.final_url) == (error, None, None)


# --- slow, broken and oversized answers --------------------------------------------------------


async def test_stalled_server_times_out(server, fetcher):
    started = time.perf_counter()
    result = await fetcher.fetch(server.stall("/stall"))
    assert result.error == "timed out after 0.5 s waiting for the server"
    assert result.status is None and result.final_url is None
    assert time.perf_counter() - started < 2


async def test_trickling_server_hits_the_total_timeout(server, fetcher):
    started = time.perf_counter()
    result = await fetcher.fetch(server.trickle("/slow", interval=0.05))  # 200 bytes take 10 s
    assert result.error == "timed out after 1 s before the whole response arrived"
    assert result.body is None
    assert time.perf_counter() - started < 2.5


async def test_connection_reset_mid_body(server, fetcher):
    result = await fetcher.fetch(server.reset("/reset"))
    assert result.error == "connection reset by the server"
    assert result.body is None


async def test_truncated_body(server, fetcher):
    result = await fetcher.fetch(server.truncate("/short", b"<rss>", missing=100))
    assert result.error == (
        "connection closed before the whole response arrived (got 5 of 105 bytes)"
    )
    assert result.body is None


@pytest.mark.parametrize(
    "framing",
    [
        {"content_length": True},
        {"content_length": False},
        {"content_length": False, "chunked": True},
    ],
    ids=["content-length", "until-close", "chunked"],
)
async def test_too_large_body_is_refused(server, fetcher, framing):
    started = time.perf_counter()
    result = await fetcher.fetch(server.too_much("/huge", size=50 * MB, **framing))
    assert result.error == "response larger than 1 MB"
    assert result.body is None
    assert time.perf_counter() - started < 2  # stopped at the limit, not after 50 MB


async def test_body_of_exactly_the_limit_is_accepted(server, clock):
    limits = FetchLimits(max_bytes=1000)
    server.add("/fits", b"x" * 1000)
    server.add("/over", b"x" * 1001, headers={"Content-Length": "1001"})
    server.add("/over-gz", b"x" * 1001, encoding="gzip")  # small on the wire, big decoded
    async with Fetcher(limits, clock=clock) as fetcher:
        fits = await fetcher.fetch(server.url("/fits"))
        over = await fetcher.fetch(server.url("/over"))
        over_gz = await fetcher.fetch(server.url("/over-gz"))
    assert (fits.error, len(fits.body)) == (None, 1000)
    assert over.error == over_gz.error == "response larger than 1000 bytes"


async def test_gzip_bomb_stops_at_the_limit_with_bounded_memory(server, fetcher):
    url = server.gzip_bomb("/bomb", size=100 * MB)
    tracemalloc.start()
    try:
        result = await fetcher.fetch(url)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.error == "response larger than 1 MB"
    assert result.body is None
    # The limit plus a few decoding pieces; inflating one 64 KB network read would take ~64 MB.
    assert peak < 4 * MB


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br"])
async def test_compressed_bodies_are_decoded(server, fetcher, encoding):
    body = (RSS * 500).encode()
    result = await fetcher.fetch(server.add("/z", body, encoding=encoding))
    assert result.error is None
    assert result.body == body
    assert encoding in server.requests[0].headers["Accept-Encoding"]


async def test_raw_deflate_is_decoded_too(server, fetcher):
    body = (RSS * 50).encode()
    packer = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    raw = packer.compress(body) + packer.flush()
    result = await fetcher.fetch(server.add("/raw", raw, headers={"Content-Encoding": "deflate"}))
    assert (result.error, result.body) == (None, body)


@pytest.mark.parametrize(
    ("payload", "encoding", "error"),
    [
        (b"definitely not gzip", "gzip", "the server sent a corrupt gzip body"),
        (gzip.compress(b"x"), "zstd", "the server used an unsupported compression: zstd"),
    ],
)
async def test_undecodable_bodies_are_errors(server, fetcher, payload, encoding, error):
    url = server.add("/bad", payload, headers={"Content-Encoding": encoding})
    result = await fetcher.fetch(url)
    assert (result.error, result.body) == (error, None)


# --- no server at all --------------------------------------------------------------------------


async def test_connection_refused(fetcher):
    with socket.socket() as sock:  # a port that was free a moment ago and has no listener
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = await fetcher.fetch(f"http://127.0.0.1:{port}/feed")
    assert result.error == f"connection refused by 127.0.0.1:{port}"
    assert result.status is None


async def test_unknown_host(fetcher):
    result = await fetcher.fetch("http://nonexistent.invalid/feed")
    # Without any DNS at all the lookup may time out instead; both are values, not exceptions.
    assert result.error in (
        "server not found: nonexistent.invalid",
        "could not look up nonexistent.invalid (name resolution failed)",
        "timed out after 0.5 s connecting to nonexistent.invalid",
    )


# --- concurrency -------------------------------------------------------------------------------


async def test_limits_per_host_and_overall_are_respected(server, clock):
    limits = FetchLimits(max_connections=3, per_host=2)
    paths = [f"/f{i}" for i in range(12)]
    for path in paths:
        server.add(path, RSS, delay=0.05)
    # One host's fetches first: without a per-host limit they would take every global slot.
    urls = [server.url(p) for p in paths] + [server.url(p, host="localhost") for p in paths]
    async with Fetcher(limits, clock=clock) as fetcher:
        results = await asyncio.gather(*(fetcher.fetch(u) for u in urls))
    assert all(r.error is None for r in results)
    by_host = server.max_in_flight_by_host
    # Reaching the limits shows the fetches did overlap; not exceeding them is the point.
    assert by_host == {"127.0.0.1": 2, "localhost": 2}
    assert server.max_in_flight == 3


async def test_a_connection_is_kept_only_while_another_fetch_waits_for_its_host(server, clock):
    paths = [f"/same/{i}" for i in range(3)]
    for path in paths:
        server.add(path, RSS, delay=0.02)
    async with Fetcher(FetchLimits(per_host=1), clock=clock) as fetcher:
        await asyncio.gather(*(fetcher.fetch(server.url(p)) for p in paths))
        await fetcher.fetch(server.add("/alone", RSS))
    asked = [r.headers["Connection"] for r in server.requests]
    # the first two had a fetch for the same host waiting behind them; the last ones did not
    assert [c is not None and c.lower() == "close" for c in asked] == [False, False, True, True]


async def test_two_hundred_fetches_at_once(server, clock):
    paths = [f"/feed/{i}" for i in range(200)]
    for path in paths:
        server.add(path, f"<rss>{path}</rss>", delay=0.005)
    async with Fetcher(clock=clock) as fetcher:
        results = await asyncio.gather(*(fetcher.fetch(server.url(p)) for p in paths))
    assert [r.body for r in results] == [f"<rss>{p}</rss>".encode() for p in paths]
    assert all(len(server.requests_for(p)) == 1 for p in paths)
    assert server.max_in_flight == FetchLimits().per_host  # overlapped, and no more than allowed


async def test_fetch_each_takes_the_hosts_in_turn_within_the_limits(server, clock):
    busy = [server.add(f"/busy/{i}", RSS, delay=0.05) for i in range(8)]
    for i in range(2):
        server.add(f"/other/{i}", RSS, delay=0.05)
    other = [server.url(f"/other/{i}", host="localhost") for i in range(2)]
    got: dict[int, object] = {}
    async with Fetcher(FetchLimits(max_connections=4, per_host=2), clock=clock) as fetcher:
        await fetcher.fetch_each([(u, None, None) for u in busy + other], got.__setitem__)
    assert sorted(got) == list(range(10))
    assert [got[i].body for i in range(10)] == [RSS.encode()] * 10
    # the second host's fetches went out with the first ones, not after the busy host's eight
    assert [r.host for r in server.requests[:4]].count("localhost") == 2
    assert server.max_in_flight_by_host == {"127.0.0.1": 2, "localhost": 2}
    assert server.max_in_flight == 4


async def test_fetch_each_keeps_a_connection_while_more_of_its_host_are_to_come(server, clock):
    same = [server.add(f"/same/{i}", RSS, delay=0.02) for i in range(5)]
    alone = server.add("/alone", RSS).replace("127.0.0.1", "localhost")
    async with Fetcher(FetchLimits(per_host=1), clock=clock) as fetcher:
        await fetcher.fetch_each([(u, None, None) for u in [*same, alone]], lambda i, r: None)
    closes = [(r.headers["Connection"] or "").lower() == "close" for r in server.requests if r.host != "localhost"]
    assert closes == [False, False, False, False, True]
    assert [(r.headers["Connection"] or "").lower() for r in server.requests if r.host == "localhost"] == ["close"]


async def test_fetch_each_reports_a_bug_as_the_exception_of_its_own_request(server, clock, monkeypatch):
    urls = [server.add(f"/f{i}", RSS) for i in range(3)]
    real = Fetcher._fetch_value

    async def buggy(self, url, *args, **kwargs):
        if url == urls[1]:
            raise KeyError("boom")
        return await real(self, url, *args, **kwargs)

    monkeypatch.setattr(Fetcher, "_fetch_value", buggy)
    got: dict[int, object] = {}
    async with Fetcher(FAST, clock=clock) as fetcher:
        await fetcher.fetch_each([(u, None, None) for u in urls], got.__setitem__)
    assert isinstance(got[1], KeyError)
    assert got[0].body == got[2].body == RSS.encode()


async def test_cancelled_fetch_raises_and_frees_its_slot(server, clock):
    stalled = server.stall("/stall")
    ok = server.add("/ok", RSS)
    async with Fetcher(FetchLimits(per_host=1, max_connections=1), clock=clock) as fetcher:
        task = asyncio.create_task(fetcher.fetch(stalled))
        while not server.requests_for("/stall"):
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        result = await asyncio.wait_for(fetcher.fetch(ok), 2)
    assert result.body == RSS.encode()


# A request that asks the server to close the connection gets a connection of its own (h11 on
# asyncio); one that keeps it, because another fetch waits for the host, goes to httpx's pool.
FAULTS = {
    "stall": (lambda s: s.stall("/fault"), "timed out after 0.5 s waiting for the server"),
    "reset": (lambda s: s.reset("/fault"), "connection reset by the server"),
    "truncated": (
        lambda s: s.truncate("/fault", b"<rss>", missing=100),
        "connection closed before the whole response arrived (got 5 of 105 bytes)",
    ),
    "too large": (lambda s: s.too_much("/fault", size=5 * MB, content_length=False), "response larger than 1 MB"),
    "404": (lambda s: s.add("/fault", status=404), "HTTP 404 Not Found"),
    "ok": (lambda s: s.add("/fault", RSS, content_type="application/rss+xml; charset=utf-8"), None),
}


@pytest.mark.parametrize("case", FAULTS)
async def test_an_answer_reads_the_same_on_a_connection_of_its_own_and_a_kept_one(server, clock, case):
    make, error = FAULTS[case]
    url = make(server)
    other = server.add("/other", RSS, delay=0.05)
    limits = FetchLimits(connect_timeout=0.5, read_timeout=0.5, total_timeout=1.0, max_bytes=MB, per_host=1)
    async with Fetcher(limits, clock=clock) as fetcher:
        alone = await fetcher.fetch(url)
        kept, _ = await asyncio.gather(fetcher.fetch(url), fetcher.fetch(other))
    asked = [r.headers["Connection"] for r in server.requests_for("/fault")]
    assert [c is not None and c.lower() == "close" for c in asked] == [True, False]
    assert alone.error == kept.error == error
    assert alone.body == kept.body == (RSS.encode() if error is None else None)
    assert (alone.status, alone.charset) == (kept.status, kept.charset)


async def test_a_host_name_is_looked_up_and_its_refusal_named(server, fetcher):
    ok = await fetcher.fetch(server.add("/feed", RSS).replace("127.0.0.1", "localhost"))
    assert (ok.error, ok.body) == (None, RSS.encode())
    with socket.socket() as sock:  # a port that was free a moment ago and has no listener
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    refused = await fetcher.fetch(f"http://localhost:{port}/feed")
    assert refused.error == f"connection refused by localhost:{port}"


def test_fetches_on_connections_of_their_own_leave_the_pool_unloaded(server):
    # Every feed on a host of its own, as in most subscription lists: httpx's pool (httpcore,
    # anyio) is never needed, and not loaded (20 ms at start).
    url = server.add("/feed", RSS)
    code = (
        "import asyncio, sys\n"
        "from reader.fetch import Fetcher\n"
        "async def main():\n"
        "    async with Fetcher() as fetcher:\n"
        "        print((await fetcher.fetch(sys.argv[1])).body.decode())\n"
        "asyncio.run(main())\n"
        "print(sorted({'httpcore', 'anyio'} & set(sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, url],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert out.stdout.splitlines() == [RSS, "[]"]


async def test_fetch_needs_the_context_manager():
    with pytest.raises(RuntimeError):
        await Fetcher().fetch("http://127.0.0.1/")


def test_fetching_does_not_load_textual_rich_or_httpx_command_line():
    # httpx's __init__ would import its command-line client, and with it rich and click (slow).
    code = (
        "import asyncio, sys\n"
        "from reader.fetch import Fetcher\n"
        "async def main():\n"
        "    async with Fetcher() as fetcher:\n"
        "        await fetcher.fetch('http://127.0.0.1:9/')\n"
        "asyncio.run(main())\n"
        "print(sorted({'textual', 'rich', 'click'} & set(sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert out.stdout.strip() == "[]"


# --- TLS ---------------------------------------------------------------------------------------

TLS = Path(__file__).resolve().parent / "tls"  # a test CA (ca.pem) and a certificate for 127.0.0.1


class _TLSServer:
    """An https server on 127.0.0.1 whose certificate only tests/tls/ca.pem vouches for."""

    def __init__(self) -> None:
        import http.server
        import ssl
        import threading

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml")
                self.send_header("Content-Length", str(len(RSS.encode())))
                self.end_headers()
                self.wfile.write(RSS.encode())

            def log_message(self, *args: object) -> None:
                pass

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(TLS / "server.pem", TLS / "server.key")
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.url = f"https://127.0.0.1:{self.httpd.server_address[1]}/feed.xml"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _fetch_in_a_new_process(url: str, **env: str) -> str:
    # A new process: the CA bundle is read once per process, on its first https fetch.
    code = (
        "import asyncio, sys\n"
        "from reader.fetch import Fetcher\n"
        "async def main():\n"
        "    async with Fetcher() as fetcher:\n"
        "        result = await fetcher.fetch(sys.argv[1])\n"
        "    print(result.error or result.body.decode())\n"
        "asyncio.run(main())\n"
    )
    clean = {k: v for k, v in os.environ.items() if k not in ("SSL_CERT_FILE", "SSL_CERT_DIR")}
    out = subprocess.run(
        [sys.executable, "-c", code, url],
        capture_output=True,
        text=True,
        check=True,
        env={**clean, **env},
        cwd=Path(__file__).resolve().parents[1],
    )
    return out.stdout.strip()


def test_the_first_https_fetch_waits_for_the_ca_bundle_and_verifies_with_it():
    server = _TLSServer()
    try:
        # The bundle is read in a thread on first use; had the handshake not waited for it, the
        # certificate could not be verified.
        assert _fetch_in_a_new_process(server.url, SSL_CERT_FILE=str(TLS / "ca.pem")) == RSS
        refused = _fetch_in_a_new_process(server.url)  # the usual bundle does not know our test CA
        assert refused.startswith("the TLS certificate of 127.0.0.1:") and "not valid" in refused
    finally:
        server.close()


def test_a_ca_bundle_that_cannot_be_read_fails_the_https_fetch_not_the_fetcher(tmp_path):
    missing = str(tmp_path / "no-such-bundle.pem")
    error = _fetch_in_a_new_process("https://127.0.0.1:9/feed.xml", SSL_CERT_FILE=missing)
    assert error == f"could not read the certificate authorities in {missing}: No such file or directory"


# --- proxies from the environment ---------------------------------------------------------------


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "http_proxy", "ALL_PROXY"])
async def test_a_proxy_named_in_the_environment_is_used(server, clock, monkeypatch, variable):
    """People behind a proxy set HTTP_PROXY; every fetch must go through it (the server here plays
    the proxy: it receives the request with the whole URL as its target)."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    monkeypatch.setenv(variable, server.url("/"))
    target = "http://feeds.example.invalid/feed.xml"  # .invalid never resolves: only a proxy reaches it
    server.add(target, RSS)
    async with Fetcher(FAST, clock=clock) as fetcher:
        result = await fetcher.fetch(target)
    assert result.error is None, result.error
    assert result.body == RSS.encode()
    assert [r.path for r in server.requests] == [target]


async def test_no_proxy_in_the_environment_means_a_direct_connection(server, clock, monkeypatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    url = server.add("/direct.xml", RSS)
    async with Fetcher(FAST, clock=clock) as fetcher:
        result = await fetcher.fetch(url)
    assert result.error is None and result.body == RSS.encode()
    assert [r.path for r in server.requests] == ["/direct.xml"]


async def test_a_proxy_that_refuses_is_named_in_the_error(clock, monkeypatch):
    """The connection that failed was to the proxy, not to the feed's server: say so."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    with socket.socket() as s:  # a port that nobody listens on once closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{port}")
    async with Fetcher(FAST, clock=clock) as fetcher:
        result = await fetcher.fetch("http://feeds.example.invalid/feed.xml")
    assert result.error == f"connection refused by the proxy 127.0.0.1:{port}"
