"""The client side of the signalling protocol, over a WebSocket.

Connects, joins a room, and then hands every server message to a callback. Every
failure a user can meet becomes a :class:`SignalingError` whose text says what
happened and what to do.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from urllib.parse import urlsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from ultrasound_consult.protocol.errors import ErrorCode, ProtocolError
from ultrasound_consult.protocol.signaling import (
    MAX_SIGNAL_BYTES,
    ClientMessage,
    Error,
    Join,
    Leave,
    ServerMessage,
    Welcome,
    encode_client,
    parse_server_message,
)

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 10.0


class SignalingError(RuntimeError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def describe_server(url: str) -> str:
    """The server's address without anything secret (query strings may carry tokens)."""
    parts = urlsplit(url)
    return (
        f"{parts.scheme}://{parts.hostname}:{parts.port}"
        if parts.port
        else f"{parts.scheme}://{parts.hostname}"
    )


class SignalingClient:
    def __init__(
        self,
        url: str,
        join: Join,
        *,
        on_message: Callable[[ServerMessage], None],
        on_closed: Callable[[str], None],
    ) -> None:
        self.url = url
        self.join = join
        self._on_message = on_message
        self._on_closed = on_closed
        self._ws: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._closing = False

    async def connect(self, timeout: float = CONNECT_TIMEOUT_S) -> Welcome:
        where = describe_server(self.url)
        try:
            self._ws = await asyncio.wait_for(
                connect(self.url, max_size=2 * MAX_SIGNAL_BYTES, open_timeout=timeout),
                timeout=timeout + 1,
            )
        except InvalidURI:
            raise SignalingError(
                "bad_url",
                f"'{self.url}' is not a server address. It should look like ws://host:8765/ "
                "or wss://host/.",
            ) from None
        except (OSError, TimeoutError, InvalidHandshake) as exc:
            raise SignalingError(
                "server_unreachable",
                f"Cannot reach the signalling server at {where} ({_short(exc)}). "
                "Check the address and the network; if it is right, ask your IT contact "
                "whether the server is running.",
            ) from None
        try:
            await self._ws.send(encode_client(self.join))
            reply = parse_server_message(await asyncio.wait_for(self._ws.recv(), timeout))
        except (ConnectionClosed, TimeoutError, ProtocolError) as exc:
            await self._ws.close()
            raise SignalingError(
                "join_failed",
                f"The signalling server at {where} did not accept the join ({_short(exc)}). "
                "Check that both apps are the same version.",
            ) from None
        if isinstance(reply, Error):
            await self._ws.close()
            raise SignalingError(reply.code.value, reply.message)
        if not isinstance(reply, Welcome):
            await self._ws.close()
            raise SignalingError(
                ErrorCode.BAD_MESSAGE.value, f"unexpected first reply {type(reply).__name__}"
            )
        self._reader = asyncio.create_task(self._read(), name="signaling-reader")
        return reply

    async def send(self, msg: ClientMessage) -> None:
        if self._ws is None:
            raise SignalingError("not_connected", "not connected to the signalling server")
        try:
            await self._ws.send(encode_client(msg))
        except ConnectionClosed:
            raise SignalingError(
                "server_lost", "the connection to the signalling server was lost"
            ) from None

    async def close(self) -> None:
        self._closing = True
        if self._ws is not None:
            with contextlib.suppress(ConnectionClosed, SignalingError):
                await self.send(Leave())
            await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader

    async def _read(self) -> None:
        assert self._ws is not None
        reason = "closed"
        try:
            async for data in self._ws:
                try:
                    msg = parse_server_message(data)
                except ProtocolError as exc:
                    logger.warning("ignoring a malformed message from the server: %s", exc)
                    continue
                try:
                    self._on_message(msg)
                except Exception:
                    logger.exception("handling %s failed", type(msg).__name__)
        except ConnectionClosed as exc:
            reason = exc.rcvd.reason if exc.rcvd and exc.rcvd.reason else "connection lost"
        if not self._closing:
            self._on_closed(reason)


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) < 120 else text[:117] + "..."
