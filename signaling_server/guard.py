"""Connection admission below HTTP: file descriptors, per-address limits, cheap refusals.

Every accepted socket is counted, in total and per client address, from the moment the
TCP (or TLS) connection is made, before any HTTP is read: a flood of half-open or slow
connections is refused from its first byte, with a short canned HTTP response and no
WebSocket machinery. Headroom is kept below the process's open-file limit so ``accept``
never fails with EMFILE: a full server still answers ``/healthz`` and says 503.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from typing import Any

from websockets.asyncio.server import ServerConnection

logger = logging.getLogger(__name__)

#: Sockets beyond ``max_connections`` still accepted, to answer ``/healthz``,
#: ``/metrics`` and a 503 over HTTP rather than failing ``accept``.
HTTP_SLACK = 64
#: Where a reverse proxy on the same host connects from: one address for every client,
#: so no per-address limit applies to it (the proxy limits per client: nginx limit_conn).
PROXY_ADDRESSES = frozenset({"127.0.0.1", "::1", "::ffff:127.0.0.1"})
#: Process file descriptors kept for everything that is not a client: the listening
#: sockets, Redis, log files, the HTTP slack above.
MIN_RESERVED_FDS = 256


def raise_fd_limit() -> int:
    """Raise the soft open-file limit to the hard one; return the soft limit now in force."""
    try:
        import resource
    except ImportError:  # pragma: no cover (Windows)
        return 0
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else 1 << 20
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    return int(soft) if soft != resource.RLIM_INFINITY else 1 << 20


def connection_budget(fd_limit: int) -> int:
    """How many client connections fit under ``fd_limit`` with headroom kept free."""
    if fd_limit <= 0:
        return 1 << 30
    return max(1, fd_limit - max(MIN_RESERVED_FDS, fd_limit // 20))


def fds_needed(max_connections: int) -> int:
    """The open-file limit (systemd ``LimitNOFILE``) that ``max_connections`` needs."""
    limit = max_connections  # the budget never falls as the limit grows: the first fits
    while connection_budget(limit) < max_connections:
        limit += 1
    return limit


def canned_response(status: int, phrase: str, body: str) -> bytes:
    data = body.encode()
    return (
        f"HTTP/1.1 {status} {phrase}\r\nContent-Type: text/plain; charset=utf-8\r\n"
        f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n"
    ).encode() + data


SERVER_FULL = canned_response(503, "Service Unavailable", "server full, try again later\n")
TOO_MANY_FROM_YOU = canned_response(
    429, "Too Many Requests", "too many connections from your address; close some first\n"
)


class ConnectionGuard:
    """Counts of open sockets, in total and per address, and who is still handshaking."""

    def __init__(
        self,
        *,
        max_connections: int,
        per_address: int = 0,
        handshakes_per_address: int = 0,
        refused: Counter[str] | None = None,
    ) -> None:
        self.max_sockets = max_connections + HTTP_SLACK
        self.per_address = per_address
        self.handshakes_per_address = handshakes_per_address
        self.open: Counter[str] = Counter()
        self.handshaking: Counter[str] = Counter()
        self.total = 0
        #: Refusals by reason (the server passes its own rejects counter, for /metrics).
        self.refused: Counter[str] = refused if refused is not None else Counter()

    def admit(self, address: str) -> bytes | None:
        """Count a new socket in; or the canned response refusing it."""
        if self.total >= self.max_sockets:
            self.refused["server_full"] += 1
            return SERVER_FULL
        if address not in PROXY_ADDRESSES:
            if self.per_address and self.open[address] >= self.per_address:
                self.refused["address_connections"] += 1
                return TOO_MANY_FROM_YOU
            if self.handshakes_per_address and (
                self.handshaking[address] >= self.handshakes_per_address
            ):
                self.refused["address_handshakes"] += 1
                return TOO_MANY_FROM_YOU
        self.total += 1
        self.open[address] += 1
        self.handshaking[address] += 1
        return None

    def established(self, address: str) -> None:
        _decrement(self.handshaking, address)

    def closed(self, address: str, *, handshaking: bool) -> None:
        self.total -= 1
        _decrement(self.open, address)
        if handshaking:
            _decrement(self.handshaking, address)


def _decrement(counter: Counter[str], key: str) -> None:
    counter[key] -= 1
    if counter[key] <= 0:
        del counter[key]


def guarded_connection(guard: ConnectionGuard) -> type[ServerConnection]:
    """A :class:`ServerConnection` that asks ``guard`` before it costs anything."""

    class GuardedConnection(ServerConnection):
        address = ""
        admitted = False
        handshaking = False

        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            peer = transport.get_extra_info("peername")
            self.address = str(peer[0]) if isinstance(peer, tuple) and peer else "?"
            refusal = guard.admit(self.address)
            if refusal is not None:
                assert isinstance(transport, asyncio.Transport)
                transport.write(refusal)
                transport.close()
                return
            self.admitted = self.handshaking = True
            super().connection_made(transport)

        def mark_established(self) -> None:
            if self.handshaking:
                self.handshaking = False
                guard.established(self.address)

        def data_received(self, data: bytes) -> None:
            if self.admitted:
                super().data_received(data)

        def eof_received(self) -> Any:
            return super().eof_received() if self.admitted else None

        def connection_lost(self, exc: Exception | None) -> None:
            if not self.admitted:
                return
            guard.closed(self.address, handshaking=self.handshaking)
            self.handshaking = False
            super().connection_lost(exc)

    return GuardedConnection
