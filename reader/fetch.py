"""Fetching feeds over HTTP: concurrency limits, conditional GET, size and time limits.

One :class:`Fetcher` owns one ``httpx.AsyncClient`` and is shared by every fetch of a refresh::

    async with Fetcher() as fetcher:
        result = await fetcher.fetch(feed.url, feed.etag, feed.last_modified)

``fetch`` never raises for a network or HTTP problem: it returns a :class:`FetchResult` whose
``error`` says what went wrong in words a person understands. Only cancellation propagates. There
are no retries here; the refresh pipeline decides when to try again (``retry_after``, ``gone``).

Bodies are decoded (gzip, deflate, br) here rather than by httpx, in bounded pieces, so that the
size limit counts decoded bytes and a compression bomb stops at the limit without inflating first.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import email.utils
import errno
import functools
import os
import re
import socket
import ssl
import sys
import threading
import time
import zlib
from collections import Counter, deque
from collections.abc import Awaitable, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from http import HTTPStatus
from typing import TYPE_CHECKING, AsyncIterator, Callable
from urllib.parse import urlsplit

from reader import __version__
from reader.models import Clock, FetchResult
from reader.text import one_line

try:  # httpx[brotli] installs one of the two
    import brotli
except ImportError:  # pragma: no cover - PyPy
    try:
        import brotlicffi as brotli  # type: ignore[no-redef]
    except ImportError:
        brotli = None  # type: ignore[assignment]
try:  # br is only accepted from a decoder whose output can be bounded (brotli >= 1.2)
    brotli.Decompressor().process(b"", output_buffer_limit=1)
except (AttributeError, TypeError):
    brotli = None  # type: ignore[assignment]

# httpx's __init__ imports its command-line client, and with it rich and click: 40-100 ms at every
# start, for a ``main`` we never call. A None entry makes that import fail, and httpx goes on without.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]

if TYPE_CHECKING:
    # Imported where used: a command that never fetches does not pay for loading httpx.
    import httpx

USER_AGENT = f"Newsdesk/{__version__} (+https://github.com/newsdesk)"
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/rdf+xml;q=0.9,"
    " application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, text/html;q=0.7, */*;q=0.5"
)
# For a story's web page (article extraction) rather than a feed.
ACCEPT_PAGE = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
ACCEPT_ENCODING = "gzip, deflate, br" if brotli is not None else "gzip, deflate"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
PERMANENT_REDIRECT_STATUSES = frozenset({301, 308})
RETRY_AFTER_STATUSES = frozenset({429, 503})
# A server asking us to wait longer than this is capped: the user still wants the feed eventually.
RETRY_AFTER_CAP_S = 7 * 24 * 3600
# Most a decompressor may produce at once, so a compression bomb cannot inflate in one go.
DECODE_CHUNK = 64 * 1024


@dataclass(frozen=True, slots=True)
class FetchLimits:
    """How much the fetcher may do at once, and how long and how much it will wait for."""

    max_connections: int = 32
    """Requests in flight at once, over all hosts."""
    per_host: int = 4
    """Requests in flight at once to one host name, so a refresh does not hammer one server."""
    connect_timeout: float = 10.0
    """Seconds to resolve the name and open the connection."""
    read_timeout: float = 20.0
    """Seconds the server may stay silent, before answering or between two pieces of the body."""
    total_timeout: float = 60.0
    """Seconds for the whole exchange, redirects included: stops a server that trickles bytes."""
    max_bytes: int = 10 * 1024 * 1024
    """Largest body accepted, counted after decompression."""
    max_redirects: int = 10
    """Redirects followed before giving up."""
    user_agent: str = USER_AGENT


class _FetchError(Exception):
    """A failure already phrased for a person; becomes ``FetchResult.error`` at the edge."""


@dataclass(slots=True)
class _Progress:
    """What one fetch has learnt so far, kept so that an error result can still report it."""

    final_url: str | None = None
    status: int | None = None
    spent: float = 0.0  # seconds on the network, waiting for a free slot excluded


class Fetcher:
    """Fetches URLs with one shared HTTP client, within :class:`FetchLimits`.

    Use as ``async with Fetcher(limits) as fetcher``; ``fetch`` may be called from many tasks at
    once. ``clock`` gives the wall time that ``Retry-After`` delays are added to. ``transport`` lets
    a test replace the network (e.g. ``httpx.MockTransport``).
    """

    def __init__(
        self,
        limits: FetchLimits | None = None,
        *,
        clock: Clock = time.time,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.limits = limits or FetchLimits()
        self.clock = clock
        self._transport = transport
        self._client: httpx.AsyncClient | None = None
        self._all = asyncio.Semaphore(self.limits.max_connections)
        self._hosts: dict[str, asyncio.Semaphore] = {}
        self._wanted: dict[str, int] = {}  # host -> fetches waiting for or holding one of its slots
        self._queued: Counter[str] = Counter()  # host -> fetches of fetch_each not yet started

    async def __aenter__(self) -> Fetcher:
        import httpx

        lim = self.limits
        # Made here, not in __init__, so they belong to the loop that uses them.
        self._all = asyncio.Semaphore(lim.max_connections)
        self._hosts = {}
        self._wanted = {}
        self._queued = Counter()
        pool_limits = httpx.Limits(
            max_connections=lim.max_connections,
            max_keepalive_connections=lim.max_connections,
        )
        transport = self._transport
        if transport is None and not _environment_proxies():
            # (httpx applies HTTP_PROXY/HTTPS_PROXY/ALL_PROXY/NO_PROXY only to a client without a
            # transport of ours: with a proxy set, every request goes through httpx's own.)
            transport = _FeedTransport(
                lambda: httpx.AsyncHTTPTransport(
                    verify=_tls().context, http1=True, http2=False, limits=pool_limits
                ),
                _tls().context,
            )
        self._client = httpx.AsyncClient(
            http1=True,
            http2=False,
            follow_redirects=False,  # followed by hand: each hop is checked and counted
            limits=pool_limits,  # for httpx's own transports (a proxy set); ours is made above
            timeout=httpx.Timeout(
                connect=lim.connect_timeout,
                read=lim.read_timeout,
                write=lim.read_timeout,
                pool=lim.connect_timeout,
            ),
            headers={
                "User-Agent": lim.user_agent,
                "Accept": ACCEPT,
                "Accept-Encoding": ACCEPT_ENCODING,
            },
            verify=_tls().context,  # its CA bundle is loaded before the first https request
            transport=transport,
            event_hooks={"response": [_check_redirect]},
        )
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            await client.aclose()

    async def fetch(
        self,
        url: str,
        etag: str | None = None,
        last_modified: str | None = None,
        *,
        accept: str | None = None,
    ) -> FetchResult:
        """GET ``url``, conditionally when ``etag``/``last_modified`` are given.

        ``accept`` replaces the Accept header, which asks for feeds (``ACCEPT_PAGE`` for a web
        page). A result with ``error`` set has nothing to parse, whatever its ``status`` says.
        """
        return await self._fetch_value(url, etag, last_modified, accept)

    async def fetch_each(
        self,
        requests: Sequence[tuple[str, str | None, str | None]],
        done: Callable[[int, FetchResult | Exception], None],
        admit: Callable[[], Awaitable[object]] | None = None,
    ) -> None:
        """Fetch every ``(url, etag, last_modified)``, calling ``done(index, result)`` as each
        result arrives (an exception in place of the result only for a bug in Newsdesk).

        As many fetches run as the limits allow, each host's in the order given and the hosts in
        turn, so a host with many feeds does not hold the others up. Each of up to
        ``max_connections`` lanes starts its next fetch as soon as it has called ``done``, in the
        same turn of the event loop: a refresh's requests do not go out in rounds that each wait
        for the whole of the last one to be handled. ``admit`` is awaited before each fetch
        starts (a refresh bounds the results it has not yet stored with it).
        """
        if self._client is None:
            raise RuntimeError("use 'async with Fetcher() as fetcher' before fetching")
        per_host = self.limits.per_host
        waiting: dict[str | None, deque[int]] = {}
        for i, (url, _, _) in enumerate(requests):
            host = _host_name(url)
            waiting.setdefault(host, deque()).append(i)
            if host is not None:
                self._queued[host] += 1  # keeps the connection for the next fetch of its host
        ready = deque(waiting)  # hosts with fetches waiting and a slot free
        busy: Counter[str | None] = Counter()
        freed = asyncio.Event()

        def take() -> tuple[str | None, int] | None:
            while ready:
                host = ready.popleft()
                queue = waiting[host]
                if not queue or (host is not None and busy[host] >= per_host):
                    continue  # back in `ready` once one of its fetches ends
                i = queue.popleft()
                busy[host] += 1
                if queue and (host is None or busy[host] < per_host):
                    ready.append(host)
                return host, i
            return None

        async def lane() -> None:
            while True:
                taken = take()
                while taken is None:
                    if not any(waiting.values()):
                        return
                    freed.clear()
                    await freed.wait()
                    taken = take()
                host, i = taken
                if host is not None:
                    self._queued[host] -= 1
                if admit is not None:
                    await admit()
                url, etag, last_modified = requests[i]
                try:
                    result: FetchResult | Exception = await self._fetch_value(
                        url, etag, last_modified, None, counted=True
                    )
                except Exception as exc:  # a bug: the caller records it against this feed
                    result = exc
                finally:
                    busy[host] -= 1
                    if waiting[host] and host not in ready:
                        ready.append(host)
                    freed.set()
                done(i, result)

        lanes = [
            asyncio.ensure_future(lane())
            for _ in range(min(self.limits.max_connections, len(requests)))
        ]
        try:
            await asyncio.gather(*lanes)
        finally:
            for task in lanes:
                task.cancel()
            for host, queue in waiting.items():
                if host is not None:
                    self._queued[host] -= len(queue)

    async def _fetch_value(
        self,
        url: str,
        etag: str | None,
        last_modified: str | None,
        accept: str | None,
        counted: bool = False,
    ) -> FetchResult:
        import httpx

        if self._client is None:
            raise RuntimeError("use 'async with Fetcher() as fetcher' before fetching")
        progress = _Progress()
        try:
            result = await self._fetch(url, etag, last_modified, accept, progress, counted)
        except _FetchError as exc:
            error = str(exc)
        except TimeoutError:
            total = self.limits.total_timeout
            error = f"timed out after {total:g} s before the whole response arrived"
        except (httpx.HTTPError, httpx.InvalidURL, OSError) as exc:
            error = self._describe(exc, progress.final_url or url)
        else:
            return replace(result, elapsed=progress.spent)
        return FetchResult(
            url=url,
            final_url=progress.final_url,
            status=progress.status,
            error=without_credentials(error),
            elapsed=progress.spent,
        )

    async def _fetch(
        self,
        url: str,
        etag: str | None,
        last_modified: str | None,
        accept: str | None,
        progress: _Progress,
        counted: bool = False,
    ) -> FetchResult:
        import httpx

        client = self._client
        assert client is not None
        target = _http_url(url, "unsupported URL scheme")
        headers = {"Accept": accept} if accept else {}
        # A validator that cannot go in a header is dropped: the fetch is then merely unconditional.
        if etag and _header_safe(etag):
            headers["If-None-Match"] = etag
        if last_modified and _header_safe(last_modified):
            headers["If-Modified-Since"] = last_modified
        permanent = True  # every redirect so far was 301/308
        for hops in range(self.limits.max_redirects + 1):
            remaining = self.limits.total_timeout - progress.spent
            if remaining <= 0:
                raise TimeoutError
            if target.scheme == "https":
                await _tls().ready()
            async with self._slot(target.host, counted and not hops):
                started = time.perf_counter()
                try:
                    async with asyncio.timeout(remaining):
                        hop_headers = self._headers(target.host, headers)
                        request = client.build_request("GET", target, headers=hop_headers)
                        try:
                            response = await client.send(request, stream=True)
                        except _FetchError as exc:  # _check_redirect refused where it leads
                            progress.final_url = str(request.url)
                            progress.status = getattr(exc, "status", None)
                            raise
                        try:
                            progress.final_url = str(response.url)
                            progress.status = response.status_code
                            location = response.headers.get("location")
                            if response.status_code not in REDIRECT_STATUSES or not location:
                                moved = str(response.url) if hops and permanent else None
                                return await self._result(
                                    url, response, etag, last_modified, moved
                                )
                        finally:
                            await response.aclose()
                finally:
                    progress.spent += time.perf_counter() - started
            permanent = permanent and response.status_code in PERMANENT_REDIRECT_STATUSES
            try:
                target = _http_url(response.url.join(location), "redirect to unsupported scheme")
            except httpx.InvalidURL:
                raise _FetchError(f"redirect to an invalid address: {location!r}") from None
        raise _FetchError(f"too many redirects (more than {self.limits.max_redirects})")

    @asynccontextmanager
    async def _slot(self, host: str, counted: bool = False) -> AsyncIterator[None]:
        # The host first: a task queued behind a busy host must not hold one of the global slots.
        per_host = self._hosts.get(host)
        if per_host is None:
            per_host = self._hosts[host] = asyncio.Semaphore(self.limits.per_host)
        self._wanted[host] = self._wanted.get(host, 0) + 1
        try:
            if not counted:  # (fetch_each counts its fetches in before it starts them)
                await asyncio.sleep(0)  # fetches started together all count themselves in first
            async with per_host, self._all:
                yield
        finally:
            self._wanted[host] -= 1

    def _headers(self, host: str, headers: dict[str, str]) -> dict[str, str]:
        """The request's headers, asking the server to close the connection when no other fetch
        waits for this host: a kept connection nobody reuses costs httpx time on every request
        (it checks every pooled connection each time), and most feeds have a host of their own."""
        if self._wanted.get(host, 0) + self._queued[host] > 1:
            return headers
        return {**headers, "Connection": "close"}

    async def _result(
        self,
        url: str,
        response: httpx.Response,
        etag: str | None,
        last_modified: str | None,
        moved: str | None,
    ) -> FetchResult:
        status = response.status_code
        content_type, charset = _content_type(response.headers.get("content-type"))
        result = FetchResult(
            url=url,
            final_url=str(response.url),
            status=status,
            content_type=content_type,
            charset=charset,
        )
        if status == 304:
            return replace(
                result,
                not_modified=True,
                etag=response.headers.get("etag") or etag,
                last_modified=response.headers.get("last-modified") or last_modified,
                permanent_redirect=moved,
            )
        if 200 <= status < 300:
            return replace(
                result,
                body=await self._read_body(response),
                etag=response.headers.get("etag"),
                last_modified=response.headers.get("last-modified"),
                permanent_redirect=moved,
            )
        error = f"HTTP {status} {_reason(response)}".rstrip()
        if status in REDIRECT_STATUSES:
            error += " without a Location to go to"
        retry_after = None
        if status in RETRY_AFTER_STATUSES:
            retry_after = _retry_after(response.headers.get("retry-after"), self.clock())
            if retry_after is not None:
                error += "; retry after " + time.strftime(
                    "%Y-%m-%d %H:%M UTC", time.gmtime(retry_after)
                )
        return replace(result, error=error, gone=status == 410, retry_after=retry_after)

    async def _read_body(self, response: httpx.Response) -> bytes:
        limit = self.limits.max_bytes
        too_large = f"response larger than {_size(limit)}"
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise _FetchError(too_large)
        decoder = _decoder(response.headers.get("content-encoding", ""))
        body = bytearray()
        async for raw in response.aiter_raw():
            for piece in decoder.feed(raw):
                if len(body) + len(piece) > limit:
                    raise _FetchError(too_large)
                body += piece
        return bytes(body)

    def _describe(self, exc: BaseException, url: str) -> str:
        """Say in a short sentence what an httpx or socket error means for the person reading."""
        import httpx

        host = _host(url)
        proxy = _proxy_for(url)
        if proxy is not None and isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout)):
            host = f"the proxy {_host(proxy)}"  # the connection that failed was to the proxy
        if isinstance(exc, httpx.ConnectTimeout):
            return f"timed out after {self.limits.connect_timeout:g} s connecting to {host}"
        if isinstance(exc, httpx.ReadTimeout):
            return f"timed out after {self.limits.read_timeout:g} s waiting for the server"
        if isinstance(exc, httpx.WriteTimeout):
            return f"timed out after {self.limits.read_timeout:g} s sending the request"
        if isinstance(exc, httpx.PoolTimeout):
            return "timed out waiting for a free connection"
        if isinstance(exc, httpx.InvalidURL):
            return f"invalid URL: {exc}"
        if isinstance(exc, httpx.UnsupportedProtocol):
            return f"unsupported URL: {url}"
        causes = list(_causes(exc))
        for cause in causes:
            if isinstance(cause, ssl.SSLCertVerificationError):
                return f"the TLS certificate of {host} is not valid: {cause.verify_message}"
            if isinstance(cause, ssl.SSLError):
                return f"TLS failed with {host}: {cause.reason or cause}"
            if isinstance(cause, OSError) and cause.errno is not None:
                if cause.errno in _GAI_NOT_FOUND:
                    return f"server not found: {host}"
                if cause.errno in _GAI_TEMPORARY:
                    return f"could not look up {host} (name resolution failed)"
                if cause.errno in _ERRNO_TEXT:
                    return _ERRNO_TEXT[cause.errno].format(host=host)
        message = str(exc)
        if isinstance(exc, httpx.RemoteProtocolError):
            got = _INCOMPLETE.search(message)
            if got:
                return (
                    "connection closed before the whole response arrived"
                    f" (got {got['got']} of {got['expected']} bytes)"
                )
            if "without sending a response" in message:
                return "the server closed the connection without answering"
            if "peer closed connection" in message:
                return "connection closed before the whole response arrived"
            return f"the server broke the HTTP protocol: {message}"
        if isinstance(exc, httpx.ConnectError):
            return f"could not connect to {host}: {message}"
        return f"network error: {message or type(exc).__name__}"


_SCHEME = re.compile(r"\s*([A-Za-z][A-Za-z0-9+.-]{0,31}):(?!\d)")
_INCOMPLETE = re.compile(r"received (?P<got>\d+) bytes, expected (?P<expected>\d+)")
_GAI_NOT_FOUND = {
    getattr(socket, name)
    for name in ("EAI_NONAME", "EAI_NODATA", "EAI_ADDRFAMILY")
    if hasattr(socket, name)
}
_GAI_TEMPORARY = {
    getattr(socket, name) for name in ("EAI_AGAIN", "EAI_FAIL") if hasattr(socket, name)
}
_ERRNO_TEXT = {
    errno.ECONNREFUSED: "connection refused by {host}",
    errno.ECONNRESET: "connection reset by the server",
    errno.ECONNABORTED: "connection aborted",
    errno.EPIPE: "connection closed by the server",
    errno.ENETUNREACH: "network unreachable (are you offline?)",
    errno.EHOSTUNREACH: "cannot reach {host}",
    errno.ETIMEDOUT: "timed out connecting to {host}",
}


async def _check_redirect(response: httpx.Response) -> None:
    """Refuse a Location that is not a web address, in words, before httpx reads it: even with
    redirects not followed it parses the next URL, and cannot parse some (javascript:alert(1))."""
    import httpx

    location = response.headers.get("location")
    if response.status_code not in REDIRECT_STATUSES or not location:
        return
    scheme = _SCHEME.match(location)
    if scheme and scheme[1].lower() not in ("http", "https"):
        refused = _FetchError(f"redirect to unsupported scheme '{scheme[1].lower()}:'")
    else:
        try:
            response.url.join(location)
            return
        except httpx.InvalidURL:
            refused = _FetchError(f"redirect to an invalid address: {location!r}")
    refused.status = response.status_code  # type: ignore[attr-defined]
    raise refused


# -- a connection of its own for each request that asks to close it ------------------------------

MAX_HEAD_BYTES = 100 * 1024  # a response head may take this much, as httpcore allows
READ_BUFFER_BYTES = 256 * 1024  # read from the socket ahead of the body's reader, at most
HAPPY_EYEBALLS_DELAY = 0.25  # seconds before the next address is tried alongside (RFC 8305)


class _FeedTransport:
    """The client's transport: a request that asks the server to close the connection
    (``Connection: close``, which :meth:`Fetcher._headers` sets when no other fetch waits for the
    host) gets a connection of its own, spoken to with h11 straight on asyncio; every other request
    goes to httpx's pooled transport, made on first use.

    Most feeds have a host of their own, so most requests take the first path. It does what the
    pool did for them at about half the CPU (0.4 instead of 0.75 ms a request) and in fewer turns of
    the event loop, with no pool to search and no anyio task group, cancel scope or lock around each
    connect, read and write: a refresh's requests go out and come back in rounds of up to 32, and
    each round waited for all of that work before its next requests went out."""

    def __init__(self, make_pool: Callable[[], httpx.AsyncBaseTransport], ssl_context: ssl.SSLContext):
        self._make_pool = make_pool
        self._ssl_context = ssl_context
        self._pool: httpx.AsyncBaseTransport | None = None

    async def __aenter__(self) -> _FeedTransport:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.aclose()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        import h11
        import httpx

        if not _own_connection(request):
            if self._pool is None:
                self._pool = self._make_pool()
            return await self._pool.handle_async_request(request)
        url = request.url
        timeouts = request.extensions.get("timeout", {})
        https = url.scheme == "https"
        host = url.raw_host.decode("ascii")
        conn = await _connect(
            host,
            url.port or (443 if https else 80),
            self._ssl_context if https else None,
            timeouts.get("connect"),
        )
        read_timeout = timeouts.get("read")
        try:
            try:
                head = conn.h11.send(
                    h11.Request(method=request.method, target=url.raw_path, headers=request.headers.raw)
                )
                head += conn.h11.send(h11.EndOfMessage()) or b""
            except h11.LocalProtocolError as exc:
                raise httpx.LocalProtocolError(str(exc)) from exc
            try:
                await conn.send(head)
            except OSError:
                pass  # as httpcore: the server may have answered already; reading will tell
            event = await conn.next_event(read_timeout)
            while isinstance(event, h11.InformationalResponse):  # 100 Continue and the like
                event = await conn.next_event(read_timeout)
        except BaseException:
            conn.close()
            raise
        return httpx.Response(
            status_code=event.status_code,
            headers=event.headers.raw_items(),
            stream=_body_stream_type()(conn, read_timeout),
            extensions={"http_version": b"HTTP/" + event.http_version, "reason_phrase": event.reason},
        )


def _environment_proxies() -> bool:
    """Whether the environment names a proxy for http or https (``http_proxy``, ``HTTPS_PROXY``,
    ``all_proxy``…), which httpx honours only when it makes the client's transport itself."""
    import urllib.request

    return any(scheme in ("http", "https", "all") for scheme in urllib.request.getproxies_environment())


def _proxy_for(url: str) -> str | None:
    """The proxy the environment names for ``url`` (as httpx picks it: by scheme, else
    ``all_proxy``, unless ``no_proxy`` covers the host), or None."""
    import urllib.request

    proxies = urllib.request.getproxies_environment()
    if not proxies:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if urllib.request.proxy_bypass_environment(parts.hostname or "", proxies):
        return None
    return proxies.get(parts.scheme.lower()) or proxies.get("all")


def _own_connection(request: httpx.Request) -> bool:
    """Whether a request gets a connection of its own: a GET (or HEAD) without a body that asks
    the server to close the connection after it."""
    headers = request.headers
    return (
        request.method in ("GET", "HEAD")
        and request.url.scheme in ("http", "https")
        and headers.get("connection", "").lower() == "close"
        and "content-length" not in headers
        and "transfer-encoding" not in headers
    )


async def _connect(
    host: str, port: int, ssl_context: ssl.SSLContext | None, timeout: float | None
) -> _Exchange:
    """A connection to ``host``, TLS done when a context is given; errors as httpx's."""
    import httpx

    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(timeout):
            sock = await _open_socket(loop, host, port)
            if ssl_context is None:
                return _SocketExchange(loop, sock)
            try:
                _, conn = await loop.create_connection(
                    _TLSExchange, sock=sock, ssl=ssl_context, server_hostname=host
                )
            except BaseException:
                sock.close()
                raise
            return conn
    except TimeoutError:
        raise httpx.ConnectTimeout(f"timed out connecting to {host}") from None
    except OSError as exc:  # refused, unreachable, name not found, TLS (ssl.SSLError is an OSError)
        raise httpx.ConnectError(str(exc) or type(exc).__name__) from exc


async def _open_socket(loop: asyncio.AbstractEventLoop, host: str, port: int) -> socket.socket:
    """A socket connected to ``host``: its addresses tried in turn, the next one started alongside
    when the last has not connected within HAPPY_EYEBALLS_DELAY, as httpx's anyio backend does."""
    try:
        addresses = [_literal_address(host, port)]
    except ValueError:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        addresses = _interleaved([(family, address) for family, _, _, _, address in infos])
    if len(addresses) == 1:
        return await _connect_socket(loop, *addresses[0])
    from asyncio.staggered import staggered_race

    sock, _, errors = await staggered_race(
        [functools.partial(_connect_socket, loop, *a) for a in addresses], HAPPY_EYEBALLS_DELAY
    )
    if sock is not None:
        return sock
    errors = [e for e in errors if isinstance(e, OSError)]
    if errors and all(e.errno == errors[0].errno for e in errors):
        raise errors[0]
    # No route to one address (a machine without IPv6) is not "offline" when another was reached.
    errors.sort(key=lambda e: e.errno == errno.ENETUNREACH)
    raise OSError(f"all {len(addresses)} connection attempts failed") from ExceptionGroup(
        "connection attempts", errors or [OSError("no address")]
    )


def _literal_address(host: str, port: int) -> tuple[int, tuple]:
    """(family, address) of an IP address written as the host; ValueError for a name."""
    try:
        socket.inet_pton(socket.AF_INET, host)
        return socket.AF_INET, (host, port)
    except OSError:
        pass
    try:
        socket.inet_pton(socket.AF_INET6, host.partition("%")[0])
        return socket.AF_INET6, (host, port, 0, 0)
    except OSError:
        raise ValueError(f"not an IP address: {host}") from None


def _interleaved(addresses: list[tuple[int, tuple]]) -> list[tuple[int, tuple]]:
    """The first address of each family first, alternating, so a broken IPv6 costs one delay."""
    first, rest = [], []
    seen: set[int] = set()
    for family, address in addresses:
        (rest if family in seen else first).append((family, address))
        seen.add(family)
    return first + rest


_CONNECTING = {errno.EINPROGRESS, errno.EAGAIN, errno.EWOULDBLOCK, getattr(errno, "WSAEWOULDBLOCK", -1)}


async def _connect_socket(loop: asyncio.AbstractEventLoop, family: int, address: tuple) -> socket.socket:
    """A non-blocking socket connected to ``address``. A connection that is up as soon as it was
    asked for (a server on the same machine or network) takes no turn of the event loop."""
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        error = sock.connect_ex(address)
        if error in _CONNECTING:
            try:
                sock.getpeername()  # raises while the handshake is still under way
                error = 0
            except OSError:
                await _writable(loop, sock)
                error = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if error:
            raise OSError(error, f"Connect call failed {address}")
    except BaseException:
        sock.close()
        raise
    return sock


async def _writable(loop: asyncio.AbstractEventLoop, sock: socket.socket) -> None:
    done = loop.create_future()
    fd = sock.fileno()
    loop.add_writer(fd, lambda: done.done() or done.set_result(None))
    try:
        await done
    finally:
        loop.remove_writer(fd)


class _Exchange:
    """One request and its response on a connection of its own: h11's events, read as needed."""

    def __init__(self) -> None:
        import h11

        self.h11 = h11.Connection(h11.CLIENT, max_incomplete_event_size=MAX_HEAD_BYTES)

    async def send(self, data: bytes) -> None:
        raise NotImplementedError

    async def _read(self, timeout: float | None) -> bytes:
        """The next bytes from the server, b"" once it has closed the connection."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    async def next_event(self, timeout: float | None) -> object:
        """h11's next event of the response, reading as needed; errors as httpx's."""
        import h11
        import httpx

        while True:
            try:
                event = self.h11.next_event()
            except h11.RemoteProtocolError as exc:
                raise httpx.RemoteProtocolError(str(exc)) from exc
            if event is not h11.NEED_DATA:
                return event
            data = await self._read(timeout)
            if not data and self.h11.their_state is h11.SEND_RESPONSE:
                raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
            self.h11.receive_data(data)


class _SocketExchange(_Exchange):
    """Plain HTTP on the socket itself: written at once when it can be (a request always fits),
    read with the event loop's ``sock_recv``, which returns at once when data is waiting."""

    def __init__(self, loop: asyncio.AbstractEventLoop, sock: socket.socket) -> None:
        super().__init__()
        self._loop = loop
        self._sock = sock

    async def send(self, data: bytes) -> None:
        await self._loop.sock_sendall(self._sock, data)

    async def _read(self, timeout: float | None) -> bytes:
        import httpx

        try:
            async with asyncio.timeout(timeout):
                return await self._loop.sock_recv(self._sock, DECODE_CHUNK)
        except TimeoutError:
            raise httpx.ReadTimeout(f"no data for {timeout:g} s") from None
        except OSError as exc:
            raise httpx.ReadError(str(exc) or type(exc).__name__) from exc

    def close(self) -> None:
        self._sock.close()


class _TLSExchange(_Exchange, asyncio.Protocol):
    """HTTPS through asyncio's TLS transport: bytes come in as the protocol's callbacks."""

    def __init__(self) -> None:
        super().__init__()
        self.transport: asyncio.Transport = None  # type: ignore[assignment]
        self._buffer = bytearray()
        self._eof = False
        self._error: BaseException | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._paused = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        if len(self._buffer) > READ_BUFFER_BYTES and not self._paused:
            self._paused = True  # the reader is behind: let TCP hold the rest
            self.transport.pause_reading()
        self._wake()

    def eof_received(self) -> None:
        self._eof = True
        self._wake()

    def connection_lost(self, exc: BaseException | None) -> None:
        self._eof = True
        self._error = exc
        self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def send(self, data: bytes) -> None:
        self.transport.write(data)  # a request is small: the transport takes it whole

    def close(self) -> None:
        self.transport.close()

    async def _read(self, timeout: float | None) -> bytes:
        import httpx

        if not self._buffer and not self._eof:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                async with asyncio.timeout(timeout):
                    await self._waiter
            except TimeoutError:
                raise httpx.ReadTimeout(f"no data for {timeout:g} s") from None
            finally:
                self._waiter = None
        if self._buffer:
            data = bytes(self._buffer)
            self._buffer.clear()
            if self._paused:
                self._paused = False
                self.transport.resume_reading()
            return data
        if self._error is not None:
            raise httpx.ReadError(str(self._error) or type(self._error).__name__) from self._error
        return b""  # the server closed the connection


class _Body:
    """A response body read from its own connection, which closes with it."""

    def __init__(self, conn: _Exchange, timeout: float | None) -> None:
        self._conn = conn
        self._timeout = timeout

    async def __aiter__(self) -> AsyncIterator[bytes]:
        import h11

        while True:
            event = await self._conn.next_event(self._timeout)
            if isinstance(event, h11.Data):
                yield bytes(event.data)
            elif isinstance(event, (h11.EndOfMessage, h11.ConnectionClosed)) or event is h11.PAUSED:
                return

    async def aclose(self) -> None:
        self._conn.close()


@functools.cache
def _body_stream_type() -> type:
    # httpx reads a streamed body only from an httpx.AsyncByteStream; made on first use, so that
    # importing this module does not load httpx.
    import httpx

    return type("_BodyStream", (_Body, httpx.AsyncByteStream), {})


_USERINFO = re.compile(r"(?<=//)[^/?#@\s]*@")


def without_credentials(text: str) -> str:
    """``text`` with the ``user:password@`` of every URL in it removed: errors are shown and stored."""
    return _USERINFO.sub("", text) if "@" in text else text


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception, what caused it, and so on down, exception groups included."""
    seen: set[int] = set()
    todo = [exc]
    while todo:
        current = todo.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        if isinstance(current, BaseExceptionGroup):
            todo.extend(current.exceptions)
        for nxt in (current.__cause__, current.__context__):
            if nxt is not None:
                todo.append(nxt)


def _http_url(url: str | httpx.URL, unsupported: str) -> httpx.URL:
    import httpx

    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise _FetchError(f"invalid URL: {exc}") from None
    if not parsed.scheme:
        raise _FetchError(f"not a web address (it needs http:// or https://): {url}")
    if parsed.scheme not in ("http", "https"):
        raise _FetchError(f"{unsupported} '{parsed.scheme}:'")
    if not parsed.host:
        raise _FetchError(f"invalid URL (no host): {url}")
    return parsed


class _TLS:
    """The TLS context every client of the process shares. Reading its CA bundle takes 20-80 ms,
    so it is read in a thread the first time an https URL is fetched: a refresh of http feeds never
    pays for it, and the event loop goes on meanwhile. Which bundle: as httpx chooses (certifi, or
    the SSL_CERT_FILE / SSL_CERT_DIR environment variables)."""

    def __init__(self) -> None:
        # What ssl.create_default_context(cafile=...) makes, as httpx asks for, but without the CAs yet.
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # verifies certificates and host names
        context.set_alpn_protocols(["http/1.1"])
        if sys.version_info >= (3, 13):
            context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN | ssl.VERIFY_X509_STRICT
        keylog = os.environ.get("SSLKEYLOGFILE")
        if keylog and not sys.flags.ignore_environment:
            context.keylog_filename = keylog
        self.context = context
        self._lock = threading.Lock()
        self._loaded: concurrent.futures.Future[None] | None = None

    async def ready(self) -> None:
        """Return once the CA bundle is loaded; raises what loading it raised."""
        with self._lock:
            if self._loaded is None:
                self._loaded = concurrent.futures.Future()
                threading.Thread(target=self._load, name="newsdesk-tls", daemon=True).start()
        loaded = self._loaded
        if not loaded.done():
            await asyncio.wrap_future(loaded)
        loaded.result()

    def _load(self) -> None:
        assert self._loaded is not None
        where = "?"
        try:
            if os.environ.get("SSL_CERT_FILE"):
                where = os.environ["SSL_CERT_FILE"]
                self.context.load_verify_locations(cafile=where)
            elif os.environ.get("SSL_CERT_DIR"):
                where = os.environ["SSL_CERT_DIR"]
                self.context.load_verify_locations(capath=where)
            else:
                import certifi

                where = certifi.where()
                self.context.load_verify_locations(cafile=where)
        except Exception as exc:
            reason = getattr(exc, "strerror", None) or exc
            error = _FetchError(f"could not read the certificate authorities in {where}: {reason}")
            self._loaded.set_exception(error)
        else:
            self._loaded.set_result(None)


@functools.cache
def _tls() -> _TLS:
    return _TLS()


def _host_name(url: str) -> str | None:
    """The host of a URL as httpx names it (lower case), cheaply; None when there is none. (A
    punycode name differs, which only costs its feeds their shared connection.)"""
    try:
        return urlsplit(url).hostname
    except ValueError:
        return None


def _header_safe(value: str) -> bool:
    return value.isascii() and value.isprintable()


def _host(url: str) -> str:
    """``host:port`` of a URL, for messages; the URL itself when it has no host."""
    try:
        parts = urlsplit(url)
        return parts.netloc.rpartition("@")[2] or url
    except ValueError:
        return url


def _reason(response: httpx.Response) -> str:
    try:
        return HTTPStatus(response.status_code).phrase
    except ValueError:
        # the server's own words: escape sequences removed whole, then printable ASCII only
        return _UNPRINTABLE.sub("", one_line(response.reason_phrase))[:80].strip()


_UNPRINTABLE = re.compile(r"[^\x20-\x7e]+")


def _content_type(header: str | None) -> tuple[str | None, str | None]:
    """``'text/xml; charset="UTF-8"'`` → ``('text/xml', 'utf-8')``."""
    if not header:
        return None, None
    media, _, params = header.partition(";")
    charset = None
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip("\"'").lower() or None
    return media.strip().lower() or None, charset


def _retry_after(value: str | None, now: float) -> int | None:
    """``Retry-After`` as epoch seconds: delay in seconds or an HTTP date, capped at a week."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        when = now + int(value)
    else:
        try:
            when = email.utils.parsedate_to_datetime(value).timestamp()
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
    return int(min(max(when, now), now + RETRY_AFTER_CAP_S))


def _size(n: int) -> str:
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if n >= scale:
            return f"{n / scale:.{0 if n % scale == 0 else 1}f} {unit}"
    return f"{n} bytes"


class _Identity:
    def feed(self, data: bytes) -> Iterator[bytes]:
        if data:
            yield data


class _Zlib:
    """gzip or deflate, inflated at most ``DECODE_CHUNK`` bytes at a time."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._inflate = zlib.decompressobj(zlib.MAX_WBITS | 16) if name == "gzip" else None

    def feed(self, data: bytes) -> Iterator[bytes]:
        if self._inflate is None:
            if not data:
                return
            # "deflate" means zlib-wrapped, but some servers send raw deflate: look at the header.
            wrapped = len(data) < 2 or (data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0)
            self._inflate = zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
        while not self._inflate.eof:
            try:
                out = self._inflate.decompress(data, DECODE_CHUNK)
            except zlib.error:
                raise _FetchError(f"the server sent a corrupt {self.name} body") from None
            data = self._inflate.unconsumed_tail
            if out:
                yield out
            if not data and len(out) < DECODE_CHUNK:
                return


class _Brotli:
    def __init__(self) -> None:
        self._decompress = brotli.Decompressor()

    def feed(self, data: bytes) -> Iterator[bytes]:
        try:
            out = self._decompress.process(data, output_buffer_limit=DECODE_CHUNK)
            if out:
                yield out
            while not self._decompress.can_accept_more_data():
                out = self._decompress.process(b"", output_buffer_limit=DECODE_CHUNK)
                if not out:
                    break  # nothing more will come out; do not spin
                yield out
        except brotli.error:
            raise _FetchError("the server sent a corrupt br body") from None


class _Chain:
    """Content-Encoding ``a, b`` was applied a then b, so it is undone b then a."""

    def __init__(self, decoders: list[_Identity | _Zlib | _Brotli]) -> None:
        self._decoders = decoders

    def feed(self, data: bytes) -> Iterator[bytes]:
        pieces: Iterator[bytes] = iter((data,))
        for decoder in self._decoders:
            pieces = _through(decoder.feed, pieces)
        return pieces


def _through(feed: Callable[[bytes], Iterator[bytes]], pieces: Iterator[bytes]) -> Iterator[bytes]:
    for piece in pieces:
        yield from feed(piece)


def _decoder(header: str) -> _Identity | _Zlib | _Brotli | _Chain:
    names = [n.strip().lower() for n in header.split(",") if n.strip()]
    decoders: list[_Identity | _Zlib | _Brotli] = []
    for name in reversed(names):
        if name in ("gzip", "x-gzip"):
            decoders.append(_Zlib("gzip"))
        elif name == "deflate":
            decoders.append(_Zlib("deflate"))
        elif name == "br" and brotli is not None:
            decoders.append(_Brotli())
        elif name != "identity":
            raise _FetchError(f"the server used an unsupported compression: {name}")
    if not decoders:
        return _Identity()
    return decoders[0] if len(decoders) == 1 else _Chain(decoders)
