"""The WebSocket shell around :class:`signaling_server.core.SignalingCore`.

It owns sockets and nothing else: each connection gets a bounded send queue drained
by its own writer task, so one slow reader is disconnected instead of stalling the
room or buffering without bound.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from http import HTTPStatus

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from signaling_server.core import Action, Close, ConnId, Limits, Send, SignalingCore
from ultrasound_consult.protocol.signaling import MAX_SIGNAL_BYTES, IceServer

logger = logging.getLogger(__name__)

#: Messages queued for one connection before it counts as too slow and is dropped.
SEND_QUEUE_LIMIT = 256
CLOSE_TOO_SLOW = 4008


@dataclass
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 8765
    limits: Limits | None = None
    ice_servers: tuple[IceServer, ...] = ()
    ping_interval: float = 20.0
    ping_timeout: float = 20.0


class _Outbox:
    """A bounded queue of actions for one connection, drained by a writer task."""

    def __init__(self, ws: ServerConnection) -> None:
        self.ws = ws
        self.queue: asyncio.Queue[Action] = asyncio.Queue(maxsize=SEND_QUEUE_LIMIT)
        self.task = asyncio.create_task(self._drain())

    def put(self, action: Action) -> bool:
        try:
            self.queue.put_nowait(action)
            return True
        except asyncio.QueueFull:
            return False

    async def _drain(self) -> None:
        try:
            while True:
                action = await self.queue.get()
                if isinstance(action, Send):
                    await self.ws.send(action.text)
                else:
                    await self.ws.close(action.code, action.reason)
                    return
        except ConnectionClosed:
            pass


class SignalingServer:
    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.core = SignalingCore(limits=config.limits, ice_servers=config.ice_servers)
        self._outboxes: dict[ConnId, _Outbox] = {}
        self._closing: set[asyncio.Future[None]] = set()
        self._server: Server | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "server not started"
        sock = self._server.sockets[0]
        host, port = sock.getsockname()[:2]
        if ":" in host:
            host = f"[{host}]"
        return f"ws://{host}:{port}/"

    async def start(self) -> None:
        self._server = await serve(
            self._handle,
            self.config.host,
            self.config.port,
            process_request=self._http,
            # The core rejects anything over MAX_SIGNAL_BYTES with a clear error; the
            # transport drops (close 1009) only what is far beyond it.
            max_size=2 * MAX_SIGNAL_BYTES,
            ping_interval=self.config.ping_interval,
            ping_timeout=self.config.ping_timeout,
        )

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def serve_forever(self) -> None:
        assert self._server is not None
        await self._server.serve_forever()

    def _http(self, connection: ServerConnection, request: Request) -> Response | None:
        if request.path == "/healthz":
            return connection.respond(HTTPStatus.OK, "ok\n")
        return None

    async def _handle(self, ws: ServerConnection) -> None:
        conn = self.core.connect()
        outbox = _Outbox(ws)
        self._outboxes[conn] = outbox
        try:
            async for data in ws:
                self._perform(self.core.receive(conn, data))
        except ConnectionClosed:
            pass
        finally:
            self._outboxes.pop(conn, None)
            self._perform(self.core.disconnect(conn))
            if not outbox.task.done():
                # Let queued frames (a final error, say) go out, then stop the writer.
                outbox.put(Close(conn, 1000, "bye"))
                try:
                    await asyncio.wait_for(outbox.task, timeout=2.0)
                except TimeoutError:
                    outbox.task.cancel()

    def _perform(self, actions: list[Action]) -> None:
        for action in actions:
            outbox = self._outboxes.get(action.conn)
            if outbox is None:
                continue
            if not outbox.put(action):
                logger.warning("connection %s reads too slowly; disconnecting it", action.conn)
                self._outboxes.pop(action.conn, None)
                outbox.task.cancel()
                closing = asyncio.ensure_future(
                    outbox.ws.close(CLOSE_TOO_SLOW, "reading too slowly")
                )
                self._closing.add(closing)
                closing.add_done_callback(self._closing.discard)
