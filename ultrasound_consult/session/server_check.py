"""The station's pre-call network test: can this computer reach the server, how fast?

It opens the same WebSocket a call would (same address, TLS, proxy path), sends a few
WebSocket pings and closes without joining any room, so nobody sees a phantom peer.
The round trip to the server bounds how quick the expert's marks can come back; it
says nothing yet about the peer-to-peer path (that is measured during the call).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass, field

from websockets.exceptions import ConnectionClosed

from ultrasound_consult.session.signaling_client import (
    SignalingError,
    describe_server,
    open_socket,
    tls_context,
)

PINGS = 5
TIMEOUT_S = 5.0
#: Round trips to the server above these are "slow" / "very slow" for a live consult.
SLOW_MS, VERY_SLOW_MS = 150.0, 400.0


@dataclass(frozen=True)
class ServerCheck:
    ok: bool
    server: str
    code: str = ""  # an engine error code when not ok (server_unreachable, bad_url, ...)
    message: str = ""
    rtt_ms: tuple[float, ...] = field(default_factory=tuple)
    connect_ms: float | None = None

    @property
    def median_ms(self) -> float | None:
        return statistics.median(self.rtt_ms) if self.rtt_ms else None

    @property
    def verdict(self) -> str:
        """good / fair / poor, like the call's link quality; ``failed`` if unreachable."""
        if not self.ok or self.median_ms is None:
            return "failed"
        if self.median_ms > VERY_SLOW_MS:
            return "poor"
        return "fair" if self.median_ms > SLOW_MS else "good"


async def check_server(
    url: str, *, ca_file: str | None = None, pings: int = PINGS, timeout: float = TIMEOUT_S
) -> ServerCheck:
    where = describe_server(url) if "://" in url else url
    started = time.perf_counter()
    try:
        ws = await open_socket(url, timeout, tls_context(ca_file))
    except SignalingError as exc:
        return ServerCheck(False, where, exc.code, exc.message)
    except OSError as exc:  # a CA file that cannot be read
        return ServerCheck(False, where, "tls_untrusted", f"cannot use the CA file: {exc}")
    connect_ms = (time.perf_counter() - started) * 1000
    rtts: list[float] = []
    try:
        for _ in range(pings):
            waiter = await ws.ping()
            latency = await asyncio.wait_for(waiter, timeout)
            rtts.append(latency * 1000)
    except (TimeoutError, ConnectionClosed, OSError) as exc:
        await ws.close()
        return ServerCheck(
            False,
            where,
            "server_unreachable",
            f"The server at {where} answered, then stopped answering ({type(exc).__name__}). "
            "The network may be unstable.",
            tuple(rtts),
            connect_ms,
        )
    await ws.close()
    return ServerCheck(True, where, rtt_ms=tuple(rtts), connect_ms=connect_ms)
