"""The client side of the signalling protocol, over a WebSocket.

Joins a room, hands every server message to a callback, pings so the server knows
it is alive, and, when the connection drops, reconnects with backoff and rejoins as
the same peer (``join.resume``). Media never goes through the server, so a call
keeps running while this reconnects.

Every failure a user can meet becomes a :class:`SignalingError` whose text says what
happened and what to do.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import ssl
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI

from ultrasound_consult.protocol.errors import ErrorCode, ProtocolError
from ultrasound_consult.protocol.fields import encode_object
from ultrasound_consult.protocol.signaling import (
    MAX_APP_BYTES,
    MAX_SIGNAL_BYTES,
    PROTOCOL_VERSION,
    App,
    ClientMessage,
    Error,
    Fanout,
    Join,
    Leave,
    Ping,
    Resume,
    ServerMessage,
    Welcome,
    encode_client,
    parse_server_message,
)

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 10.0
BACKOFF_S = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0)
BACKOFF_MAX_S = 10.0

#: Errors that no amount of retrying fixes: stop reconnecting and tell the user.
PERMANENT = frozenset(
    {
        ErrorCode.UNAUTHORIZED.value,
        ErrorCode.TOKEN_INVALID.value,
        ErrorCode.TOKEN_EXPIRED.value,
        ErrorCode.TOKEN_WRONG_ROOM.value,
        ErrorCode.TOKEN_WRONG_ROLE.value,
        ErrorCode.UNSUPPORTED_VERSION.value,
        "server_outdated",
        "app_outdated",
        ErrorCode.ROOM_FULL.value,
        "bad_url",
        "tls_untrusted",
    }
)


def outdated_side(error: Error, sent_version: int = PROTOCOL_VERSION) -> str:
    """``unsupported_version`` says which side to update: ``server_outdated`` when the
    server speaks only protocols older than the one sent, ``app_outdated`` otherwise; any
    other error keeps its code."""
    if error.code is not ErrorCode.UNSUPPORTED_VERSION:
        return error.code.value
    if error.supported_versions and max(error.supported_versions) < sent_version:
        return "server_outdated"
    return "app_outdated"


class SignalingError(RuntimeError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    @property
    def permanent(self) -> bool:
        return self.code in PERMANENT


def describe_server(url: str) -> str:
    """The server's address without anything secret (query strings may carry tokens)."""
    parts = urlsplit(url)
    if parts.port:
        return f"{parts.scheme}://{parts.hostname}:{parts.port}"
    return f"{parts.scheme}://{parts.hostname}"


def tls_context(ca_file: str | Path | None = None) -> ssl.SSLContext:
    """Trust the system's CAs, plus ``ca_file`` (a clinic's own CA or self-signed cert).

    The system trust store is always in: a server with a certificate from a public CA
    (Let's Encrypt, say) needs no option at all.
    """
    context = ssl.create_default_context()
    if ca_file is not None:
        context.load_verify_locations(cafile=str(ca_file))
    return context


async def open_socket(
    url: str, timeout: float = CONNECT_TIMEOUT_S, ssl_context: ssl.SSLContext | None = None
) -> ClientConnection:
    """A WebSocket to the signalling server; raises :class:`SignalingError` saying what to do."""
    where = describe_server(url)
    # websockets wants a context for wss:// and none for ws:// (it raises otherwise).
    secure = urlsplit(url).scheme.lower() == "wss"
    tls = (ssl_context or tls_context()) if secure else None
    try:
        ws = await asyncio.wait_for(
            connect(url, max_size=2 * MAX_SIGNAL_BYTES, open_timeout=timeout, ssl=tls),
            timeout=timeout + 1,
        )
    except InvalidURI:
        raise SignalingError(
            "bad_url",
            f"'{url}' is not a server address. It should look like ws://host:8765/ or wss://host/.",
        ) from None
    except ssl.SSLCertVerificationError as exc:
        raise SignalingError(
            "tls_untrusted",
            f"The server at {where} presented a certificate this computer does not trust "
            f"({exc.verify_message}). Ask your IT contact for the server's CA certificate "
            "and either install it among this computer's trusted certificates or give it "
            "to the app with --ca-file.",
        ) from None
    except InvalidStatus as exc:
        status = exc.response.status_code
        raise SignalingError(
            "server_busy" if status == 503 else "server_unreachable",
            f"The signalling server at {where} refused the connection (HTTP {status}); "
            "try again in a minute.",
        ) from None
    except (OSError, TimeoutError, InvalidHandshake) as exc:
        raise SignalingError(
            "server_unreachable",
            f"Cannot reach the signalling server at {where} ({_short(exc)}). "
            "Check the address and the network; if it is right, ask your IT contact "
            "whether the server is running.",
        ) from None
    return ws


def backoff(attempt: int) -> float:
    base = BACKOFF_S[attempt] if attempt < len(BACKOFF_S) else BACKOFF_MAX_S
    return base * random.uniform(0.8, 1.2)


class SignalingClient:
    def __init__(
        self,
        url: str,
        join: Join,
        *,
        on_message: Callable[[ServerMessage], None],
        on_connection: Callable[[str, str], None],
        on_rejoined: Callable[[Welcome], None],
        ssl_context: ssl.SSLContext | None = None,
        reconnect: bool = True,
    ) -> None:
        """``on_connection(state, detail)``: ``lost`` (reconnecting), ``back``, or ``gone``."""
        self.url = url
        self.join = join
        self._on_message = on_message
        self._on_connection = on_connection
        self._on_rejoined = on_rejoined
        self._ssl = ssl_context
        self._reconnect = reconnect
        self._ws: ClientConnection | None = None
        self._runner: asyncio.Task[None] | None = None
        self._closing = False
        self.welcome: Welcome | None = None
        self.reconnects = 0
        self._relays: set[asyncio.Task[None]] = set()

    @property
    def connected(self) -> bool:
        return self._ws is not None

    async def connect(self, timeout: float = CONNECT_TIMEOUT_S) -> Welcome:
        """The first join; raises :class:`SignalingError` (no retry: the user must know)."""
        self._ws, self.welcome = await self._open(self.join, timeout)
        self._runner = asyncio.create_task(self._run(), name="signaling-client")
        return self.welcome

    async def send(self, msg: ClientMessage) -> None:
        ws = self._ws
        if ws is None:
            raise SignalingError("server_lost", "not connected to the signalling server")
        try:
            await ws.send(encode_client(msg))
        except ConnectionClosed:
            raise SignalingError(
                "server_lost", "the connection to the signalling server was lost"
            ) from None

    def relay(self, peer_id: str, data: dict[str, Any]) -> bool:
        """A channel message to ``peer_id`` through the server (an ``app`` message, for
        when the data channel is down). Returns whether it could be handed to the
        connection; it goes in the background."""
        if self._ws is None or len(encode_object(data)) > MAX_APP_BYTES:
            return False
        task = asyncio.ensure_future(self._relay(App(peer=peer_id, data=data)))
        self._relays.add(task)
        task.add_done_callback(self._relays.discard)
        return True

    def fanout(self, data: dict[str, Any]) -> bool:
        """A channel message to every trainee in the room at once (a lecture's); the
        station's only. Returns whether it could be handed to the connection."""
        if self._ws is None or len(encode_object(data)) > MAX_APP_BYTES:
            return False
        task = asyncio.ensure_future(self._relay(Fanout(data)))
        self._relays.add(task)
        task.add_done_callback(self._relays.discard)
        return True

    async def _relay(self, msg: App | Fanout) -> None:
        try:
            await self.send(msg)
        except SignalingError as exc:
            logger.info("could not relay through the server: %s", exc.message)

    async def close(self) -> None:
        self._closing = True
        for task in list(self._relays):
            task.cancel()
        if self._ws is not None:
            with contextlib.suppress(ConnectionClosed, SignalingError):
                await self.send(Leave())
            await self._ws.close()
        if self._runner is not None:
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._runner

    # --- internals -------------------------------------------------------------

    async def _open(self, join: Join, timeout: float) -> tuple[ClientConnection, Welcome]:
        where = describe_server(self.url)
        ws = await open_socket(self.url, timeout, self._ssl)
        try:
            await ws.send(encode_client(join))
            reply = parse_server_message(await asyncio.wait_for(ws.recv(), timeout))
        except (ConnectionClosed, TimeoutError, ProtocolError) as exc:
            await ws.close()
            raise SignalingError(
                "join_failed",
                f"The signalling server at {where} did not accept the join ({_short(exc)}). "
                "Check that both apps are the same version.",
            ) from None
        if isinstance(reply, Error):
            await ws.close()
            raise SignalingError(outdated_side(reply, join.version), reply.message)
        if not isinstance(reply, Welcome):
            await ws.close()
            raise SignalingError(
                ErrorCode.BAD_MESSAGE.value, f"unexpected first reply {type(reply).__name__}"
            )
        logger.info(
            "joined %s: ultrasound-consult-server %s, this app %s",
            where,
            reply.server_version or "older than 0.2",
            join.app_version,
        )
        return ws, reply

    async def _run(self) -> None:
        while not self._closing:
            reason = await self._serve_connection()
            self._ws = None
            if self._closing:
                return
            if not self._reconnect or reason.startswith("fatal:"):
                self._on_connection("gone", reason.removeprefix("fatal:"))
                return
            self._on_connection("lost", reason)
            if not await self._rejoin():
                return

    async def _serve_connection(self) -> str:
        """Read until the connection ends; returns why (``fatal:...`` if retrying is pointless)."""
        assert self._ws is not None and self.welcome is not None
        ws = self._ws
        pinger = asyncio.create_task(self._ping(ws, self.welcome.heartbeat_s))
        try:
            async for data in ws:
                try:
                    msg = parse_server_message(data)
                except ProtocolError as exc:
                    logger.warning("ignoring a malformed message from the server: %s", exc)
                    continue
                if isinstance(msg, Error) and msg.fatal and msg.code.value in PERMANENT:
                    self._on_message(msg)
                    return f"fatal:{msg.message}"
                try:
                    self._on_message(msg)
                except Exception:
                    logger.exception("handling %s failed", type(msg).__name__)
            return "the server closed the connection"
        except ConnectionClosed as exc:
            return exc.rcvd.reason if exc.rcvd and exc.rcvd.reason else "connection lost"
        finally:
            pinger.cancel()

    async def _ping(self, ws: ClientConnection, every_s: float) -> None:
        with contextlib.suppress(ConnectionClosed):
            while True:
                await asyncio.sleep(every_s)
                await ws.send(encode_client(Ping()))

    async def _rejoin(self) -> bool:
        attempt = 0
        while not self._closing:
            await asyncio.sleep(backoff(attempt))
            attempt += 1
            assert self.welcome is not None
            join = replace(self.join, resume=Resume(self.welcome.peer_id, self.welcome.resume_key))
            try:
                self._ws, welcome = await self._open(join, CONNECT_TIMEOUT_S)
            except SignalingError as exc:
                if exc.permanent:
                    self._on_connection("gone", exc.message)
                    return False
                logger.info("reconnect attempt %d failed: %s", attempt, exc.code)
                continue
            self.welcome = welcome
            self.reconnects += 1
            self._on_connection("back", f"reconnected after {attempt} attempt(s)")
            self._on_rejoined(welcome)
            return True
        return False


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) < 120 else text[:117] + "..."
