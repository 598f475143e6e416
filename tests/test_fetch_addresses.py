"""A host name with several addresses (reader.fetch._open_socket): the addresses are raced as in
Happy Eyeballs, a refused or silent one gives way to the next, and when every one fails the error
says why in words. Real sockets on loopback, the real fetcher and the real refresh throughout.

Few machines resolve a name to several loopback addresses ("localhost" is 127.0.0.1 alone on many,
this one included, and CI may differ), so most tests here run in a real event loop whose
``getaddrinfo`` answers the names of a hosts table, the way a line of /etc/hosts would: for each
address of the name it asks the system resolver, and it passes every other name on unchanged. The
test with the real "localhost" runs where that name has more than one address.
"""

from __future__ import annotations

import asyncio
import errno
import select
import socket
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import pytest

from reader.fetch import (
    HAPPY_EYEBALLS_DELAY,
    FetchLimits,
    Fetcher,
    _interleaved,
    _open_socket,
)
from reader.models import FetchResult, StoryFilter
from reader.refresh import refresh
from tests.test_refresh import rss

# Long next to HAPPY_EYEBALLS_DELAY: only a fetcher that waits for a silent address runs into it.
LIMITS = FetchLimits(connect_timeout=3, read_timeout=3, total_timeout=5)
RSS = rss("Two addresses", [("a1", "Served by the second address")])
V4, V6 = socket.AF_INET, socket.AF_INET6


class HostsLoop(asyncio.SelectorEventLoop):
    """A real event loop that resolves the names of ``hosts`` to their addresses, in the order
    given (each address as the system resolves it), and every other name as usual."""

    def __init__(self, hosts: dict[str, list[str]]) -> None:
        super().__init__()
        self.hosts = hosts

    async def getaddrinfo(  # type: ignore[override]
        self, host, port, *, family=0, type=0, proto=0, flags=0
    ):
        if host not in self.hosts:
            return await super().getaddrinfo(
                host, port, family=family, type=type, proto=proto, flags=flags
            )
        infos = []
        for address in self.hosts[host]:
            infos += await super().getaddrinfo(
                address, port, family=family, type=type, proto=proto,
                flags=flags | socket.AI_NUMERICHOST,
            )
        return infos


@contextmanager
def hosts_table(hosts: dict[str, list[str]]) -> Iterator[None]:
    """Every event loop made meanwhile (``asyncio.run``, so also ``refresh``) resolves ``hosts``."""

    class Policy(asyncio.DefaultEventLoopPolicy):
        def new_event_loop(self) -> asyncio.AbstractEventLoop:
            return HostsLoop(hosts)

    before = asyncio.get_event_loop_policy()
    asyncio.set_event_loop_policy(Policy())
    try:
        yield
    finally:
        asyncio.set_event_loop_policy(before)


def fetch(url: str, hosts: dict[str, list[str]]) -> FetchResult:
    async def main() -> FetchResult:
        async with Fetcher(LIMITS) as fetcher:
            return await fetcher.fetch(url)

    with hosts_table(hosts):
        return asyncio.run(main())


def open_socket(host: str, port: int, hosts: dict[str, list[str]]) -> socket.socket:
    async def main() -> socket.socket:
        return await _open_socket(asyncio.get_running_loop(), host, port)

    with hosts_table(hosts):
        return asyncio.run(main())


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch):
    """With a proxy in the environment httpx connects (to the proxy) itself, not _open_socket."""
    for scheme in ("http", "https", "all"):
        for name in (f"{scheme}_proxy", f"{scheme.upper()}_PROXY"):
            monkeypatch.delenv(name, raising=False)


@pytest.fixture
def sockets() -> Iterator[ExitStack]:
    """Sockets a test holds open to the end: closed at teardown."""
    with ExitStack() as stack:
        yield stack


def _family(address: str) -> socket.AddressFamily:
    return V6 if ":" in address else V4


def _sockaddr(address: str, port: int) -> tuple:
    return (address, port, 0, 0) if ":" in address else (address, port)


def _socket(sockets: ExitStack, address: str) -> socket.socket:
    try:
        return sockets.enter_context(socket.socket(_family(address), socket.SOCK_STREAM))
    except OSError as exc:
        pytest.skip(f"this machine makes no {_family(address).name} sockets ({exc})")


def refusing(sockets: ExitStack, address: str, port: int) -> None:
    """Make ``address:port`` refuse connections: a socket bound there that does not listen (and
    keeps anyone else from listening there during the test)."""
    sock = _socket(sockets, address)
    try:
        sock.bind(_sockaddr(address, port))
    except OSError as exc:
        pytest.skip(f"cannot bind {address} port {port} on this machine ({exc}): no such loopback")


def silent(sockets: ExitStack, address: str, port: int) -> None:
    """Make ``address:port`` take no new connection: a listener that never accepts and whose
    backlog is full, so the kernel drops a new connection's SYN and its connect stays pending."""
    listener = _socket(sockets, address)
    try:
        listener.bind(_sockaddr(address, port))
    except OSError as exc:
        pytest.skip(f"cannot bind {address} port {port} on this machine ({exc}): no such loopback")
    listener.listen(0)
    for _ in range(8):  # Linux queues one connection for a backlog of 0, some systems more
        client = _socket(sockets, address)
        client.setblocking(False)
        client.connect_ex(_sockaddr(address, port))
        # (a connection on loopback is up at once unless the listener's queue is full)
        if not select.select([], [client], [], 1.0)[1]:
            return
    pytest.skip(f"a listener on {address} with a backlog of 0 took 8 connections: cannot fill it")


def unroutable(sockets: ExitStack) -> str:
    """An address that a TCP connect fails for at once with 'network unreachable', as the IPv6
    address of a server does on a machine without an IPv6 route (Linux says so for multicast)."""
    for address in ("ff02::1", "224.0.0.1"):
        try:
            probe = _socket(sockets, address)
        except pytest.skip.Exception:
            continue
        if probe.connect_ex(_sockaddr(address, 9)) == errno.ENETUNREACH:
            return address
    pytest.skip("no address fails a TCP connect with ENETUNREACH at once on this machine")


# --- the order in which addresses are tried -------------------------------------------------------


def test_the_first_address_of_each_family_comes_first_the_rest_in_the_resolvers_order():
    a6, b6, c6 = ((V6, (f"2001:db8::{n}", 80, 0, 0)) for n in "abc")
    a4, b4 = (V4, ("192.0.2.1", 80)), (V4, ("192.0.2.2", 80))

    assert _interleaved([a6, b6, a4, b4]) == [a6, a4, b6, b4]
    assert _interleaved([a4, b4, a6]) == [a4, a6, b4]  # the resolver's first family stays first
    assert _interleaved([a6, a4, b6]) == [a6, a4, b6]
    assert _interleaved([a4, b4]) == [a4, b4]
    assert _interleaved([]) == []
    # More of one family: its first two are still split by the other family's first, so an IPv6
    # that answers nothing costs one delay before an IPv4 address is tried.
    mixed = _interleaved([a6, b6, c6, a4, b4])
    assert mixed[:2] == [a6, a4]
    assert sorted(mixed) == sorted([a6, b6, c6, a4, b4])
    assert [a for a in mixed if a[0] == V6] == [a6, b6, c6]
    assert [a for a in mixed if a[0] == V4] == [a4, b4]


# --- one address serves ---------------------------------------------------------------------------

# What each case puts beside 127.0.0.1, where the test server is: the IPv6 loopback (a name with an
# IPv6 and an IPv4 address) or a second IPv4 loopback address (Linux routes all of 127/8 to lo).
OTHER_LOOPBACKS = pytest.mark.parametrize("other", ["::1", "127.0.0.2"], ids=["ipv6", "ipv4"])


@OTHER_LOOPBACKS
@pytest.mark.parametrize("serving_at", [0, 1, 2])
def test_the_fetch_reaches_the_one_address_that_serves_wherever_it_is_in_the_list(
    server, sockets, other, serving_at
):
    """Three addresses, the server at one of them, the two others refusing: every one is tried."""
    refused = [other, "127.0.0.3"]
    for address in refused:
        refusing(sockets, address, server.port)
    addresses = list(refused)
    addresses.insert(serving_at, "127.0.0.1")
    server.add("/feed.xml", RSS)

    result = fetch(server.url("/feed.xml", host="three.test"), {"three.test": addresses})

    assert (result.error, result.status, result.body) == (None, 200, RSS.encode())
    assert [r.host for r in server.requests_for("/feed.xml")] == ["three.test"]


@OTHER_LOOPBACKS
def test_a_refused_first_address_gives_way_to_the_next(server, sockets, other):
    refusing(sockets, other, server.port)
    server.add("/feed.xml", RSS)

    result = fetch(server.url("/feed.xml", host="two.test"), {"two.test": [other, "127.0.0.1"]})

    assert (result.error, result.body) == (None, RSS.encode())
    assert len(server.requests_for("/feed.xml")) == 1


@OTHER_LOOPBACKS
def test_a_first_address_that_does_not_answer_gives_way_to_the_next_after_the_delay(
    server, sockets, other
):
    """The first address takes the connection in but never completes it (a full backlog): the next
    is started alongside after HAPPY_EYEBALLS_DELAY and wins, long before the connect timeout."""
    assert HAPPY_EYEBALLS_DELAY < LIMITS.connect_timeout
    silent(sockets, other, server.port)
    server.add("/feed.xml", RSS)

    result = fetch(server.url("/feed.xml", host="slow.test"), {"slow.test": [other, "127.0.0.1"]})

    assert (result.error, result.body) == (None, RSS.encode())


async def test_real_localhost_with_two_addresses_falls_back_from_the_refused_one(server, sockets):
    """As the previous tests, through the system resolver: where "localhost" is ::1 and 127.0.0.1,
    a server on 127.0.0.1 alone is reached after the ::1 attempt is refused."""
    infos = socket.getaddrinfo("localhost", server.port, type=socket.SOCK_STREAM)
    order = [address[0] for _, address in _interleaved([(i[0], i[4]) for i in infos])]
    if len(set(order)) < 2:
        pytest.skip(
            f"'localhost' resolves to {order} alone on this machine (its hosts file gives it one"
            " address); the hosts-table tests above cover several addresses"
        )
    if order[0] == "127.0.0.1":
        pytest.skip(f"'localhost' resolves to {order} here: 127.0.0.1, the server, is tried first")
    for address in set(order) - {"127.0.0.1"}:
        refusing(sockets, address, server.port)
    server.add("/feed.xml", RSS)

    async with Fetcher(LIMITS) as fetcher:
        result = await fetcher.fetch(server.url("/feed.xml", host="localhost"))

    assert (result.error, result.body) == (None, RSS.encode())


# --- every address fails --------------------------------------------------------------------------


def _free_port(sockets: ExitStack, addresses: list[str]) -> int:
    """A port on which every one of ``addresses`` refuses connections (see ``refusing``)."""
    for _ in range(20):
        port = 0
        for address in addresses:
            sock = _socket(sockets, address)
            try:
                sock.bind(_sockaddr(address, port))
            except OSError as exc:
                if port and exc.errno == errno.EADDRINUSE:
                    break  # taken on this address by someone else: another port
                pytest.skip(f"cannot bind {address} on this machine ({exc}): no such loopback")
            port = sock.getsockname()[1]
        else:
            return port
    pytest.skip(f"found no port free on all of {addresses}")


@OTHER_LOOPBACKS
def test_all_addresses_refused_is_one_error_that_names_the_host(sockets, other):
    port = _free_port(sockets, [other, "127.0.0.1"])
    hosts = {"down.test": [other, "127.0.0.1"]}

    result = fetch(f"http://down.test:{port}/feed.xml", hosts)

    assert result.error == f"connection refused by down.test:{port}"
    assert result.status is None and result.body is None

    with pytest.raises(OSError) as raised:  # the same reason for each: that reason, once
        open_socket("down.test", port, hosts)
    assert raised.value.errno == errno.ECONNREFUSED


def test_each_attempts_error_is_kept_when_they_differ(sockets):
    """No route to one address, a refusal from the other: the error says all attempts failed and
    carries each one's reason."""
    far = unroutable(sockets)
    port = _free_port(sockets, ["127.0.0.1"])
    hosts = {"mixed.test": [far, "127.0.0.1"]}

    with pytest.raises(OSError, match=r"^all 2 connection attempts failed$") as raised:
        open_socket("mixed.test", port, hosts)

    group = raised.value.__cause__
    assert isinstance(group, ExceptionGroup)
    reasons = sorted(e.errno for e in group.exceptions)
    assert reasons == sorted([errno.ENETUNREACH, errno.ECONNREFUSED])
    assert any("127.0.0.1" in str(e) for e in group.exceptions)
    assert any(far in str(e) for e in group.exceptions)


def test_a_refusal_is_told_rather_than_another_addresss_missing_route(sockets):
    """A machine without an IPv6 route fails the server's IPv6 address at once with 'network
    unreachable', then the IPv4 one is refused: the server was reached and said no, and the person
    is told that, not to check whether they are offline."""
    far = unroutable(sockets)
    port = _free_port(sockets, ["127.0.0.1"])

    result = fetch(f"http://mixed.test:{port}/feed.xml", {"mixed.test": [far, "127.0.0.1"]})

    assert result.error == f"connection refused by mixed.test:{port}"


@OTHER_LOOPBACKS
def test_a_feed_whose_addresses_all_refuse_fails_alone_and_its_error_is_stored(
    server, store, db_path, clock, sockets, other
):
    port = _free_port(sockets, [other, "127.0.0.1"])
    healthy = store.add_feed(server.add("/ok.xml", rss("Healthy", [("h1", "All is well")])))
    down = store.add_feed(f"http://down.test:{port}/feed.xml")

    with hosts_table({"down.test": [other, "127.0.0.1"]}):
        summary = refresh(db_path, clock=clock, limits=LIMITS)

    assert [r.feed_id for r in summary.failed] == [down.id]
    stored = store.get_feed(down.id)
    assert stored.last_error == f"connection refused by down.test:{port}"
    assert stored.consecutive_errors == 1
    assert store.count_stories(StoryFilter(feed_id=healthy.id)) == 1
    assert store.get_feed(healthy.id).last_error is None
