"""A real HTTP/1.1 server on 127.0.0.1 for tests, answering on a thread per connection.

Use the ``server`` fixture (``tests/conftest.py``); a new server, on a free port, for each test::

    async def test_something(server):
        url = server.add("/feed.xml", "<rss>…</rss>")        # register a route; returns its URL
        ...                                                  # fetch it with the code under test
        assert server.requests_for("/feed.xml")[0].headers["If-None-Match"] is None

Files
    ``server.url("/data/<name>")`` serves ``tests/data/<name>`` (``LocalServer(some_dir)`` serves
    another directory). Content-Type is guessed from the extension (``CONTENT_TYPES``: .xml
    application/xml, .rss application/rss+xml, .atom application/atom+xml, .json
    application/feed+json, .html text/html; anything else application/octet-stream). ETag (a hash
    of the content) and Last-Modified (the file's mtime) are sent, and ``If-None-Match`` /
    ``If-Modified-Since`` get a 304. To override the type or add headers for one file, register it
    as a route: ``server.add("/data/a.xml", DATA / "a.xml", content_type="text/plain")``. A missing
    file is a 404.

Routes (each method returns the route's absolute URL; registering a path again replaces it)
    ``add(path, body=b"", *, status=200, headers=None, content_type=None, delay=0.0, etag=True,
    last_modified=None, retry_after=None, encoding=None)``
        Canned content. ``body`` is bytes, str (sent as UTF-8) or a ``Path`` (read now).
        ``content_type``: None guesses from the path's extension (default application/xml); ""
        sends no Content-Type. ``etag``: True sends a hash of the body, a str sends that value,
        False none. ``last_modified``: an HTTP date to send (a ``Path`` body defaults to its mtime).
        With status 200, a matching ``If-None-Match`` (else ``If-Modified-Since``) gets a 304 that
        repeats both validators. ``status`` can be anything: ``add(p, status=304)`` answers 304 to
        every request without repeating validators; 404, 410, 500 have an empty body by default.
        ``retry_after`` (seconds or an HTTP date) sends ``Retry-After``, e.g. with 429 or 503.
        ``encoding``: "gzip", "deflate" or "br" compresses the body and sends Content-Encoding.
        ``headers`` are sent as given, last (they can replace any of the above).
        ``delay``: seconds to wait before answering.
    ``redirect(path, location, status=301, delay=0.0)``
        A redirect; ``location`` may be relative. Chains and loops are made of several calls.
    ``stall(path)``
        Reads the request and never answers (until the server shuts down).
    ``trickle(path, body=b"x" * 200, interval=0.05)``
        Sends the headers (with Content-Length) at once, then the body one byte every ``interval``.
    ``reset(path, body=b"x" * 100_000, after=1000)``
        Sends the headers and ``after`` bytes of the body, then resets the connection (TCP RST).
    ``truncate(path, body=b"<rss>", missing=100)``
        Content-Length says ``missing`` bytes more than are sent, then the connection closes.
    ``too_much(path, size=20 MB, content_length=True, chunked=False)``
        Streams ``size`` bytes; without Content-Length the body ends when the connection closes
        (or is chunked with ``chunked=True``). Stops when the client goes away.
    ``gzip_bomb(path, size=100 MB)``
        A ~100 KB gzip body (Content-Encoding: gzip) that inflates to ``size`` bytes of zeros.
    ``empty(path)``
        200 with an empty body.

What it saw
    ``requests``: every request so far, in order, as ``Request(method, path, headers, host)``;
    ``path`` includes the query; ``headers`` is case-insensitive and ``headers["X"]`` is None when
    absent. ``requests_for(path)``: those for one path (matched with or without the query).
    ``max_in_flight``: most requests being answered at once; ``max_in_flight_by_host[name]`` the
    same per Host header name (``server.url(path, host="localhost")`` reaches this server under a
    second name). A request is in flight from its arrival until its answer starts to be written.
    ``clear()`` forgets requests and counts.

Other
    ``url(path="/", host=None)``, ``host``, ``port``, ``data_dir``. ``close()`` (the fixture calls
    it) stops the server promptly even with stalled or trickling handlers: connection threads are
    daemons, sockets time out after ``SOCKET_TIMEOUT`` seconds and are shut down on close.
"""

from __future__ import annotations

import email.utils
import functools
import gzip
import hashlib
import socket
import struct
import threading
import time
import zlib
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable

DATA = Path(__file__).resolve().parent / "data"
MB = 1024 * 1024
SOCKET_TIMEOUT = 10.0
CONTENT_TYPES = {
    ".xml": "application/xml",
    ".rss": "application/rss+xml",
    ".atom": "application/atom+xml",
    ".rdf": "application/rdf+xml",
    ".json": "application/feed+json",
    ".html": "text/html",
    ".htm": "text/html",
    ".opml": "text/x-opml",
    ".txt": "text/plain",
}


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # with the query string
    headers: Message  # case-insensitive; a missing header reads as None
    host: str  # the Host header's name, without the port

    @property
    def bare_path(self) -> str:
        return self.path.split("?", 1)[0]


@dataclass
class Route:
    kind: str  # content, redirect, stall, trickle, reset, truncate, stream
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    etag: str | None = None
    last_modified: str | None = None
    interval: float = 0.0  # trickle
    after: int = 0  # reset
    missing: int = 0  # truncate
    size: int = 0  # stream
    content_length: bool = True  # stream
    chunked: bool = False  # stream


def content_type_for(path: str) -> str | None:
    return CONTENT_TYPES.get(Path(path.split("?", 1)[0]).suffix.lower())


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha1(body).hexdigest()[:16] + '"'


@functools.lru_cache(maxsize=4)
def gzip_bomb_body(size: int) -> bytes:
    """``size`` zero bytes, gzip-compressed (about a thousandth of the size)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    zeros = bytes(MB)
    parts = [packer.compress(zeros) for _ in range(size // MB)]
    parts.append(packer.compress(bytes(size % MB)))
    parts.append(packer.flush())
    return b"".join(parts)


def compress(body: bytes, encoding: str) -> bytes:
    if encoding == "gzip":
        return gzip.compress(body)
    if encoding == "deflate":
        return zlib.compress(body)
    if encoding == "br":
        import brotli

        return brotli.compress(body)
    raise ValueError(f"unknown encoding {encoding!r}")


class LocalServer:
    """See the module docstring."""

    def __init__(self, data_dir: Path = DATA, host: str = "127.0.0.1") -> None:
        self.data_dir = Path(data_dir)
        self.host = host
        self._routes: dict[str, Route] = {}
        self._lock = threading.Lock()
        self._requests: list[Request] = []
        self._in_flight: dict[str, int] = {}
        self._max_total = 0
        self._max_by_host: dict[str, int] = {}
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._httpd = _HTTPServer((host, 0), _Handler)
        self._httpd.owner = self
        self.port: int = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.02},
            name=f"test-http-{self.port}",
            daemon=True,
        )
        self._thread.start()

    # --- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> LocalServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        if self._stopping.is_set():
            return
        self._stopping.set()  # wakes stalled, delayed and trickling handlers
        self._httpd.shutdown()
        self._httpd.server_close()
        with self._lock:
            connections = list(self._connections)
        for sock in connections:  # wakes handlers waiting for the next keep-alive request
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._thread.join(timeout=5)

    # --- addresses ---------------------------------------------------------------------------

    def url(self, path: str = "/", host: str | None = None) -> str:
        if not path.startswith("/"):
            path = "/" + path
        return f"http://{host or self.host}:{self.port}{path}"

    # --- routes ------------------------------------------------------------------------------

    def add(
        self,
        path: str,
        body: bytes | str | Path = b"",
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
        content_type: str | None = None,
        delay: float = 0.0,
        etag: bool | str = True,
        last_modified: str | None = None,
        retry_after: int | str | None = None,
        encoding: str | None = None,
    ) -> str:
        if isinstance(body, Path):
            if last_modified is None:
                last_modified = email.utils.formatdate(body.stat().st_mtime, usegmt=True)
            body = body.read_bytes()
        elif isinstance(body, str):
            body = body.encode("utf-8")
        all_headers = {}
        if content_type is None:
            content_type = content_type_for(path) or "application/xml"
        if content_type:
            all_headers["Content-Type"] = content_type
        if retry_after is not None:
            all_headers["Retry-After"] = str(retry_after)
        tag = etag_of(body) if etag is True else (etag or None)
        if encoding:
            body = compress(body, encoding)
            all_headers["Content-Encoding"] = encoding
        all_headers.update(headers or {})
        route = Route(
            "content",
            body=body,
            status=status,
            headers=all_headers,
            delay=delay,
            etag=tag,
            last_modified=last_modified,
        )
        return self._add(path, route)

    def redirect(self, path: str, location: str, status: int = 301, delay: float = 0.0) -> str:
        return self._add(
            path, Route("redirect", status=status, headers={"Location": location}, delay=delay)
        )

    def stall(self, path: str) -> str:
        return self._add(path, Route("stall"))

    def trickle(self, path: str, body: bytes = b"x" * 200, interval: float = 0.05) -> str:
        return self._add(path, Route("trickle", body=body, interval=interval))

    def reset(self, path: str, body: bytes = b"x" * 100_000, after: int = 1000) -> str:
        return self._add(path, Route("reset", body=body, after=after))

    def truncate(self, path: str, body: bytes = b"<rss>", missing: int = 100) -> str:
        return self._add(path, Route("truncate", body=body, missing=missing))

    def too_much(
        self, path: str, size: int = 20 * MB, content_length: bool = True, chunked: bool = False
    ) -> str:
        return self._add(
            path, Route("stream", size=size, content_length=content_length, chunked=chunked)
        )

    def gzip_bomb(self, path: str, size: int = 100 * MB) -> str:
        return self.add(
            path,
            gzip_bomb_body(size),
            content_type="application/xml",
            etag=False,
            headers={"Content-Encoding": "gzip"},
        )

    def empty(self, path: str) -> str:
        return self.add(path, b"")

    def _add(self, path: str, route: Route) -> str:
        with self._lock:
            self._routes[path] = route
        return self.url(path)

    # --- what it saw -------------------------------------------------------------------------

    @property
    def requests(self) -> list[Request]:
        with self._lock:
            return list(self._requests)

    def requests_for(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path or r.bare_path == path]

    @property
    def max_in_flight(self) -> int:
        with self._lock:
            return self._max_total

    @property
    def max_in_flight_by_host(self) -> dict[str, int]:
        with self._lock:
            return dict(self._max_by_host)

    def clear(self) -> None:
        with self._lock:
            self._requests.clear()
            self._max_total = 0
            self._max_by_host.clear()

    # --- used by the handler -----------------------------------------------------------------

    def _arrived(self, request: Request) -> None:
        with self._lock:
            self._requests.append(request)
            count = self._in_flight.get(request.host, 0) + 1
            self._in_flight[request.host] = count
            self._max_by_host[request.host] = max(self._max_by_host.get(request.host, 0), count)
            self._max_total = max(self._max_total, sum(self._in_flight.values()))

    def _answering(self, request: Request) -> None:
        with self._lock:
            self._in_flight[request.host] -= 1

    def _route(self, path: str) -> Route | None:
        with self._lock:
            return self._routes.get(path) or self._routes.get(path.split("?", 1)[0])

    def _file_route(self, path: str) -> Route | None:
        name = path.split("?", 1)[0].removeprefix("/data/")
        if not path.startswith("/data/") or not name:
            return None
        root = self.data_dir.resolve()
        file = (root / name).resolve()
        if root not in file.parents or not file.is_file():
            return None
        body = file.read_bytes()
        headers = {"Content-Type": content_type_for(name) or "application/octet-stream"}
        return Route(
            "content",
            body=body,
            headers=headers,
            etag=etag_of(body),
            last_modified=email.utils.formatdate(file.stat().st_mtime, usegmt=True),
        )


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 1024  # 200+ clients may connect at once
    allow_reuse_address = True
    owner: LocalServer

    def process_request(self, request, client_address):  # type: ignore[no-untyped-def]
        with self.owner._lock:
            self.owner._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):  # type: ignore[no-untyped-def]
        with self.owner._lock:
            self.owner._connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request, client_address):  # type: ignore[no-untyped-def]
        pass  # clients that go away mid-answer are the point of many tests


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = SOCKET_TIMEOUT
    disable_nagle_algorithm = True  # else headers and body in two writes wait 40 ms for an ACK
    server: _HTTPServer

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self._serve(head=False)

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def finish(self) -> None:
        try:
            super().finish()
        except (OSError, ValueError):
            pass

    # --- dispatch ----------------------------------------------------------------------------

    def _serve(self, head: bool) -> None:
        owner = self.server.owner
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0].strip("[]")
        request = Request(self.command, self.path, self.headers, host)
        owner._arrived(request)
        answering = False

        def answer() -> None:
            nonlocal answering
            if not answering:
                answering = True
                owner._answering(request)

        try:
            route = owner._route(self.path) or owner._file_route(self.path)
            if route is None:
                answer()
                self._head(404, {"Content-Type": "text/plain", "Content-Length": "9"})
                self._write(b"not found", head)
                return
            if route.delay and owner._stopping.wait(route.delay):
                return
            kind: Callable[[Route, bool, Callable[[], None]], None] = getattr(
                self, "_" + route.kind
            )
            kind(route, head, answer)
        except OSError:
            self.close_connection = True  # the client went away
        finally:
            answer()

    def _head(self, status: int, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()

    def _write(self, data: bytes, head: bool = False) -> None:
        if not head and data:
            self.wfile.write(data)

    # --- kinds of answer ---------------------------------------------------------------------

    def _content(self, route: Route, head: bool, answer: Callable[[], None]) -> None:
        validators = {}
        if route.etag:
            validators["ETag"] = route.etag
        if route.last_modified:
            validators["Last-Modified"] = route.last_modified
        answer()
        if route.status == 200 and self._not_modified(route):
            self._head(304, {**validators, **_without_body_headers(route.headers)})
            return
        headers = dict(route.headers)
        if route.status == 200:
            headers.update(validators)
        if route.status in (204, 304):
            self._head(route.status, headers)
            return
        headers["Content-Length"] = str(len(route.body))
        self._head(route.status, headers)
        self._write(route.body, head)

    def _not_modified(self, route: Route) -> bool:
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:
            if not route.etag:
                return False
            tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
            return "*" in tags or route.etag.removeprefix("W/") in tags
        since = self.headers.get("If-Modified-Since")
        if since and route.last_modified:
            try:
                return email.utils.parsedate_to_datetime(
                    route.last_modified
                ) <= email.utils.parsedate_to_datetime(since)
            except (TypeError, ValueError):
                return False
        return False

    def _redirect(self, route: Route, head: bool, answer: Callable[[], None]) -> None:
        answer()
        self._head(route.status, {**route.headers, "Content-Length": "0"})

    def _stall(self, route: Route, head: bool, answer: Callable[[], None]) -> None:
        self.server.owner._stopping.wait(SOCKET_TIMEOUT * 6)
        self.close_connection = True

    def _trickle(self, route: Route, head: bool, answer: Callable[[], None]) -> None:
        answer()
        self._head(
            200, {"Content-Type": "application/xml", "Content-Length": str(len(route.body))}
        )
        stopping = self.server.owner._stopping
        for i in range(len(route.body)):
            if stopping.wait(route.interval):
                break
            self.wfile.write(route.body[i : i + 1])
        self.close_connection = True

    def _reset(self, route: Route, head: bool, answer: Callable[[], None]) -> None:
        answer()
        self._head(
            200, {"Content-Type": "application/xml", "Content-Length": str(len(route.body))}
        )
        self.wfile.write(route.body[: route.after])
        time.sleep(0.05)  # let the client read what was sent before the reset
        # SO_LINGER with a zero timeout turns close() into a TCP RST.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.rfile.close()  # the socket's file must go too, or close() waits for it
        self.connection.close()
        self.close_connection = True

    def _truncate(self, route: Route, head: bool, answer: Callable[[], None]) -> None:
        answer()
        length = len(route.body) + route.missing
        self._head(200, {"Content-Type": "application/xml", "Content-Length": str(length)})
        self.wfile.write(route.body)
        self.close_connection = True

    def _stream(self, route: Route, head: bool, answer: Callable[[], None]) -> None:
        answer()
        headers = {"Content-Type": "application/xml"}
        if route.content_length:
            headers["Content-Length"] = str(route.size)
        elif route.chunked:
            headers["Transfer-Encoding"] = "chunked"
        else:
            headers["Connection"] = "close"
            self.close_connection = True
        self._head(200, headers)
        if head:
            return
        piece = b"x" * 65536
        left = route.size
        stopping = self.server.owner._stopping
        while left > 0 and not stopping.is_set():
            chunk = piece[: min(left, len(piece))]
            if route.chunked and not route.content_length:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            else:
                self.wfile.write(chunk)
            left -= len(chunk)
        if route.chunked and not route.content_length:
            self.wfile.write(b"0\r\n\r\n")


def _without_body_headers(headers: dict[str, str]) -> dict[str, str]:
    drop = {"content-length", "content-encoding", "content-type"}
    return {k: v for k, v in headers.items() if k.lower() not in drop}
