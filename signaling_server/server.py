"""The WebSocket shell around :class:`signaling_server.core.SignalingCore`.

It owns sockets, timers and the directory, and carries out the core's effects.
Each connection gets a bounded send queue drained by its own writer task: a slow
reader is disconnected instead of stalling the room or buffering without bound.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import ipaddress
import logging
import ssl
import time
from http import HTTPStatus

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from signaling_server.admin_page import AdminPage, read_admin_password
from signaling_server.config import ServerSettings
from signaling_server.consult import ConsultService
from signaling_server.core import (
    Close,
    ConnId,
    Effect,
    GrantSfu,
    Send,
    SignalingCore,
)
from signaling_server.directory import Directory, InMemoryDirectory, perform
from signaling_server.guard import ConnectionGuard, guarded_connection
from signaling_server.logfilter import flush_repeats
from signaling_server.metrics import ServerGauges, render_metrics
from signaling_server.presence_board import LocalBoard, PresenceBoard
from signaling_server.sfu import SfuRooms
from signaling_server.store import ConsultStore
from signaling_server.tokens import InviteSigner, turn_credentials
from ultrasound_consult.protocol.errors import ErrorCode
from ultrasound_consult.protocol.signaling import (
    MAX_SIGNAL_BYTES,
    Error,
    IceServer,
    SfuAccess,
    encode_server,
)

logger = logging.getLogger(__name__)

#: Messages queued for one connection before it counts as too slow and is dropped.
SEND_QUEUE_LIMIT = 256
CLOSE_TOO_SLOW = 4008
TICK_S = 1.0
#: permessage-deflate off: measured with 2,000 clients it halves the server's memory
#: (155 -> 73 MB) and raises relay throughput by a fifth; signalling messages are small.
COMPRESSION: str | None = None
#: The consult service (enrolled devices, presence, calling) lives on this path.
CONSULT_PATH = "/consult"


class BackplaneUnavailable(RuntimeError):
    """Redis (``--redis``) cannot be reached or used; the text says which URL."""


class _Outbox:
    """A bounded queue of frames for one connection, drained by a writer task."""

    def __init__(self, ws: ServerConnection) -> None:
        self.ws = ws
        self.queue: asyncio.Queue[Send | Close] = asyncio.Queue(maxsize=SEND_QUEUE_LIMIT)
        self.task = asyncio.create_task(self._drain())

    def put(self, effect: Send | Close) -> bool:
        try:
            self.queue.put_nowait(effect)
            return True
        except asyncio.QueueFull:
            return False

    async def _drain(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            while True:
                effect = await self.queue.get()
                if isinstance(effect, Send):
                    try:
                        await self.ws.send(effect.text)
                    except UnicodeEncodeError:
                        # The decoders refuse such text; should one slip through, it
                        # costs this one frame, not every later frame of the connection.
                        logger.error("dropped a frame that is not UTF-8 text")
                else:
                    await self.ws.close(effect.code, effect.reason)
                    return


class SignalingServer:
    def __init__(self, settings: ServerSettings, secret: bytes) -> None:
        settings.check()
        self.settings = settings
        self.signer = InviteSigner(secret)
        self._turn = settings.turn_config()
        self._metrics_token = settings.metrics_token()
        sfu = settings.sfu_config()
        #: Lecture rooms on the Janus SFU (``--sfu``), or None.
        self.sfu: SfuRooms | None = SfuRooms(*sfu) if sfu else None
        self.core = SignalingCore(
            self.signer, limits=settings.limits(), ice_servers=self._ice_servers
        )
        self.directory: Directory = InMemoryDirectory(self.core.limits, self._deliver, self._kick)
        self.guard = ConnectionGuard(
            max_connections=settings.max_connections,
            per_address=settings.max_connections_per_address,
            handshakes_per_address=settings.max_handshakes_per_address,
            refused=self.core.rejects,
        )
        self._outboxes: dict[ConnId, _Outbox] = {}
        self._closing: set[asyncio.Task[None]] = set()
        self._server: Server | None = None
        self._ticker: asyncio.Task[None] | None = None
        self.consult: ConsultService | None = None
        self.admin: AdminPage | None = None
        self.started_at = time.time()
        #: Connection handlers still running (including ones finishing their close).
        self.active_handlers = 0

    @property
    def url(self) -> str:
        assert self._server is not None, "server not started"
        host, port = self._server.sockets[0].getsockname()[:2]
        if ":" in host:
            host = f"[{host}]"
        scheme = "wss" if self.settings.tls_cert else "ws"
        return f"{scheme}://{host}:{port}/"

    async def start(self) -> None:
        await self._start_consult()
        if self.settings.redis:
            try:
                from signaling_server.redis_directory import RedisDirectory
            except ImportError:
                raise BackplaneUnavailable(
                    "--redis needs the 'redis' package: "
                    "pip install 'ultrasound-consult-server[redis]' (or pip install redis)"
                ) from None
            directory = RedisDirectory(
                self.settings.redis, self.core.limits, self._deliver, self._kick
            )
            try:
                await directory.start()
            except OSError as exc:
                raise BackplaneUnavailable(str(exc)) from None
            self.directory = directory
            if self.sfu is not None:
                from signaling_server.sfu import RedisLectureStore

                self.sfu.store = RedisLectureStore(directory.redis)
        if self.sfu is not None:
            await self.sfu.start()
            logger.info("lecture rooms go to the SFU at %s", self.sfu.url)
        tls = None
        if self.settings.tls_cert and self.settings.tls_key:
            tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            tls.minimum_version = ssl.TLSVersion.TLSv1_2
            tls.load_cert_chain(self.settings.tls_cert, self.settings.tls_key)
        self._server = await serve(
            self._handle,
            self.settings.host,
            self.settings.port,
            ssl=tls,
            process_request=self._http,
            # The core rejects anything over MAX_SIGNAL_BYTES with a clear error; the
            # transport drops (close 1009) only what is far beyond it.
            max_size=2 * MAX_SIGNAL_BYTES,
            ping_interval=20,
            ping_timeout=20,
            compression=COMPRESSION,
            create_connection=guarded_connection(self.guard),
        )
        self._ticker = asyncio.create_task(self._tick_forever(), name="signaling-tick")

    async def _start_consult(self) -> None:
        """The consult service's database (migrated now) and presence board."""
        store = ConsultStore(self.settings.database_url())
        await store.run(store.migrate)  # StoreError says what is wrong
        board: PresenceBoard = LocalBoard()
        if self.settings.redis:
            try:
                from signaling_server.presence_board import RedisBoard
            except ImportError:
                raise BackplaneUnavailable(
                    "--redis needs the 'redis' package: pip install 'ultrasound-consult[redis]'"
                ) from None
            board = RedisBoard(self.settings.redis)
        self.consult = ConsultService(
            store, board, self.signer, ring_timeout_s=self.settings.ring_timeout_s
        )
        try:
            await self.consult.start()
        except OSError as exc:
            store.close()
            raise BackplaneUnavailable(str(exc)) from None
        # Last: nothing after it can fail and leave its thread behind.
        if self.settings.admin_port is not None and self.settings.admin_password_file:
            password = read_admin_password(self.settings.admin_password_file)
            self.admin = AdminPage(
                store, password, host=self.settings.admin_host, port=self.settings.admin_port
            )
            self.admin.start()
            logger.info("admin page on %s", self.admin.url)

    async def close(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
        if self.consult is not None:
            await self.consult.close()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        await self.directory.close()
        if self.admin is not None:
            self.admin.close()
        if self.consult is not None:
            self.consult.store.close()
        if self.sfu is not None:
            await self.sfu.close()

    # --- HTTP ----------------------------------------------------------------

    def _http(self, connection: ServerConnection, request: Request) -> Response | None:
        if request.path == "/healthz":
            return connection.respond(HTTPStatus.OK, "ok\n")
        if request.path == "/metrics":
            if not self._metrics_allowed(connection, request):
                self.core.rejects["metrics_refused"] += 1
                return connection.respond(HTTPStatus.FORBIDDEN, "metrics are not public here\n")
            body = render_metrics(self.gauges())
            return Response(
                HTTPStatus.OK.value,
                "OK",
                Headers(
                    {"Content-Type": "text/plain; version=0.0.4", "Content-Length": str(len(body))}
                ),
                body.encode(),
            )
        if self.core.connection_count >= self.settings.max_connections:
            self.core.rejects["server_full"] += 1
            return connection.respond(
                HTTPStatus.SERVICE_UNAVAILABLE, "server full, try again later\n"
            )
        return None

    def gauges(self) -> ServerGauges:
        """A snapshot of this process's counts for ``/metrics``."""
        return ServerGauges(
            connections=self.core.connection_count,
            peers=self.core.peer_count,
            rooms=self.directory.local_rooms(),
            started_at=self.started_at,
            counters=dict(self.core.counters),
            rejects=dict(self.core.rejects),
        )

    def _metrics_allowed(self, connection: ServerConnection, request: Request) -> bool:
        mode = self.settings.metrics
        if mode == "open":
            return True
        if mode == "token":
            given = request.headers.get("Authorization", "")
            expected = f"Bearer {self._metrics_token}"
            return hmac.compare_digest(given.encode(), expected.encode())
        address = connection.remote_address
        host = address[0] if isinstance(address, tuple) and address else ""
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            return False
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        return ip.is_loopback

    # --- connections -----------------------------------------------------------

    async def _handle(self, ws: ServerConnection) -> None:
        mark_established = getattr(ws, "mark_established", None)
        if mark_established is not None:
            mark_established()
        self.active_handlers += 1
        try:
            if ws.request is not None and ws.request.path.startswith(CONSULT_PATH):
                if self.consult is not None:
                    await self.consult.handle(ws)
                return
            await self._serve(ws)
        finally:
            self.active_handlers -= 1

    async def _serve(self, ws: ServerConnection) -> None:
        conn = self.core.connect(time.time())
        outbox = _Outbox(ws)
        self._outboxes[conn] = outbox
        try:
            async for data in ws:
                await self._perform(self.core.receive(conn, data, time.time()))
        except ConnectionClosed:
            pass
        finally:
            self._outboxes.pop(conn, None)
            await self._perform(self.core.disconnect(conn, time.time()))
            if not outbox.task.done():
                # Let queued frames (a final error, say) go out, then stop the writer.
                outbox.put(Close(conn, 1000, "bye"))
                try:
                    await asyncio.wait_for(outbox.task, timeout=2.0)
                except TimeoutError:
                    outbox.task.cancel()

    async def _perform(self, effects: list[Effect]) -> None:
        await perform(
            effects,
            self.core,
            self.directory,
            self._put,
            time.time,
            room_released=self._end_lecture_if_empty,
            grant_sfu=self._grant_sfu,
        )

    async def _grant_sfu(self, effect: GrantSfu) -> None:
        """Answer an admitted peer's ``sfu_request``: the room's lecture, opened if need be."""
        if self.sfu is None:
            error = Error(
                ErrorCode.SFU_UNAVAILABLE,
                "this server has no SFU: a lecture stays peer-to-peer, up to 4 viewers",
            )
            self._put(Send(effect.conn, encode_server(error)))
            return
        try:
            await self.sfu.open_room(effect.room)
            for feed in effect.reclaim:
                await self.sfu.reclaim(effect.room, feed)
            grant = self.sfu.grant(effect.room)
        except Exception as exc:  # Janus, Redis or the network: the peer still gets an answer
            logger.warning("the SFU could not open a lecture room: %s", exc)
            error = Error(ErrorCode.SFU_UNAVAILABLE, "the SFU does not answer; try again shortly")
            self._put(Send(effect.conn, encode_server(error)))
            return
        access = SfuAccess(grant.url, grant.room, grant.pin, grant.token, grant.feed)
        self._put(Send(effect.conn, encode_server(access)))

    async def _end_lecture_if_empty(self, room: str) -> None:
        """The call is over when its room is empty: its SFU room goes with it."""
        # Whichever process sees the room empty closes it (the store says if it has one).
        if self.sfu is None or not await self.directory.is_empty(room):
            return
        try:
            await self.sfu.close_room(room)
        except Exception as exc:  # Janus or Redis; the leaving peer is gone either way
            # Janus drops it when it restarts; the tokens handed out for it expire.
            logger.warning("could not close the lecture room of %s: %s", room, exc)

    def _put(self, effect: Send | Close) -> None:
        outbox = self._outboxes.get(effect.conn)
        if outbox is None or outbox.put(effect):
            return
        logger.warning("connection %s reads too slowly; disconnecting it", effect.conn)
        self.core.rejects["too_slow"] += 1
        self._outboxes.pop(effect.conn, None)
        outbox.task.cancel()
        closing = asyncio.create_task(outbox.ws.close(CLOSE_TOO_SLOW, "reading too slowly"))
        self._closing.add(closing)
        closing.add_done_callback(self._closing.discard)

    def _deliver(self, peer_id: str, text: str) -> None:
        conn = self.core.conn_of(peer_id)
        if conn is not None:
            self._put(Send(conn, text))

    def _kick(self, seat: str) -> None:
        for effect in self.core.kick(seat):
            if isinstance(effect, Close):
                self._put(effect)

    def _ice_servers(self, peer_id: str, now: float) -> tuple[IceServer, ...]:
        servers = [IceServer(urls=(url,)) for url in self.settings.stun]
        if self._turn is not None:
            servers.append(turn_credentials(self._turn, peer_id, now=now))
        return tuple(servers)

    async def _tick_forever(self) -> None:
        while True:
            await asyncio.sleep(TICK_S)
            try:
                await self._perform(self.core.tick(time.time()))
                flush_repeats()
            except Exception:
                logger.exception("housekeeping failed")
