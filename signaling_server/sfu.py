"""Lecture rooms on a Janus SFU, created and destroyed by the signalling server alone.

The server talks to Janus over its WebSocket API with the SFU secret (Janus's
``api_secret``, VideoRoom's ``admin_key`` and ``token_auth_secret`` are that one
secret, see deploy/janus/). Each lecture gets a private VideoRoom with a random id, a
secret that never leaves this process, and a pin; admitted participants get a
:class:`SfuGrant` (the pin and a signed, expiring token), nobody else gets anything.

Should Janus restart, the control connection notices, reconnects and creates every
open room again with the same id, secret and pin, so grants already handed out keep
working and publishers and viewers only have to join again.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, WebSocketException
from websockets.typing import Subprotocol

from ultrasound_consult.protocol import janus
from ultrasound_consult.protocol.janus import JanusError, SfuGrant

logger = logging.getLogger(__name__)

REQUEST_TIMEOUT_S = 5.0
#: Reconnection backoff after Janus went away: fast first (a restart takes ~0.1 s).
RECONNECT_FIRST_S = 0.1
RECONNECT_MAX_S = 1.0
#: Uplink cap Janus announces to the station (REMB); the diagnostic preset peaks at 8.
DEFAULT_BITRATE = 8_000_000


class SfuUnavailable(RuntimeError):
    """Janus cannot be reached or refused our secret; the text says which URL."""


def parse_sfu_url(text: str) -> str:
    """``janus:ws://host:port`` -> ``ws://host:port``; anything else is refused."""
    kind, _, url = text.partition(":")
    if kind != "janus" or not url.startswith(("ws://", "wss://")):
        raise ValueError(f"{text!r}: use janus:ws://HOST:PORT (or janus:wss://...)")
    return url


@dataclass(frozen=True)
class LectureRoom:
    code: str
    janus_id: int
    secret: str
    pin: str


class JanusControl:
    """One Janus session with one VideoRoom handle, used for room requests only."""

    def __init__(self, url: str, api_secret: str, *, on_reconnected: Callable[[], Any]) -> None:
        self.url = url
        self._secret = api_secret
        self._on_reconnected = on_reconnected
        self._ws: ClientConnection | None = None
        self._session = 0
        self._handle = 0
        self._pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._ready = asyncio.Event()
        self._closed = False
        #: Times the connection was lost and made again (for tests and /metrics).
        self.reconnects = 0

    async def start(self) -> None:
        try:
            await self._connect()
        except (OSError, WebSocketException, TimeoutError) as exc:
            raise SfuUnavailable(f"cannot reach Janus at {self.url}: {exc}") from None
        except JanusError as exc:
            raise SfuUnavailable(f"Janus at {self.url} refused the SFU secret: {exc}") from None

    async def _connect(self) -> None:
        ws = await asyncio.wait_for(
            connect(self.url, subprotocols=[Subprotocol(janus.SUBPROTOCOL)], max_size=2**20),
            REQUEST_TIMEOUT_S,
        )
        self._ws = ws
        self._spawn(self._read(ws), "janus-control-read")
        reply = await self._call(janus.create_session(janus.new_transaction()))
        self._session = int(reply["data"]["id"])
        reply = await self._call(janus.attach(janus.new_transaction(), self._session))
        self._handle = int(reply["data"]["id"])
        self._spawn(self._keepalive(ws, self._session), "janus-control-keepalive")
        self._ready.set()

    def _spawn(self, coro: Any, name: str) -> None:
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _call(self, msg: dict[str, Any]) -> dict[str, Any]:
        ws = self._ws
        if ws is None:
            raise ConnectionError("not connected to Janus")
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[msg["transaction"]] = future
        try:
            await ws.send(json.dumps(janus.with_auth(msg, api_secret=self._secret, token=None)))
            return janus.check(await asyncio.wait_for(future, REQUEST_TIMEOUT_S))
        finally:
            self._pending.pop(msg["transaction"], None)

    async def request(self, body: dict[str, Any]) -> dict[str, Any]:
        """A synchronous VideoRoom request; returns its plugin data or raises JanusError."""
        await asyncio.wait_for(self._ready.wait(), REQUEST_TIMEOUT_S)
        msg = janus.message(janus.new_transaction(), self._session, self._handle, body)
        reply = await self._call(msg)
        return janus.plugin_data(reply) or {}

    async def _read(self, ws: ClientConnection) -> None:
        try:
            async for text in ws:
                try:
                    reply = json.loads(text)
                except ValueError:
                    logger.warning("Janus sent a frame that is not JSON; ignored")
                    continue
                future = self._pending.get(str(reply.get("transaction", "")))
                # "ack" only says a request arrived: the answer comes with the same id.
                if future is not None and not future.done() and reply.get("janus") != "ack":
                    future.set_result(reply)
        except ConnectionClosed:
            pass
        finally:
            self._lost(ws)

    def _lost(self, ws: ClientConnection) -> None:
        if self._ws is not ws:
            return
        self._ws = None
        self._ready.clear()
        for future in self._pending.values():
            if not future.done():
                future.set_exception(ConnectionError("Janus closed the connection"))
        if not self._closed:
            logger.warning("lost the connection to Janus at %s; reconnecting", self.url)
            self._spawn(self._reconnect(), "janus-control-reconnect")

    async def _reconnect(self) -> None:
        delay = RECONNECT_FIRST_S
        while not self._closed:
            try:
                await self._connect()
            except (OSError, ConnectionError, WebSocketException, TimeoutError, JanusError) as exc:
                logger.debug("Janus not back yet: %s", exc)
                # A backoff between attempts, not a wait for an event: nothing tells us
                # when Janus is listening again.
                await asyncio.sleep(delay)
                delay = min(delay * 2, RECONNECT_MAX_S)
                continue
            self.reconnects += 1
            logger.info("reconnected to Janus at %s", self.url)
            await self._on_reconnected()
            return

    async def _keepalive(self, ws: ClientConnection, session: int) -> None:
        while self._ws is ws:
            await asyncio.sleep(janus.KEEPALIVE_S)
            with contextlib.suppress(ConnectionClosed):
                msg = janus.keepalive(janus.new_transaction(), session)
                await ws.send(json.dumps(janus.with_auth(msg, api_secret=self._secret, token=None)))

    async def close(self) -> None:
        self._closed = True
        ws, self._ws = self._ws, None
        if ws is not None:
            with contextlib.suppress(ConnectionClosed):
                msg = janus.destroy_session(janus.new_transaction(), self._session)
                await ws.send(json.dumps(janus.with_auth(msg, api_secret=self._secret, token=None)))
            await ws.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


class LectureStore(Protocol):
    """Where a room code's lecture room is written down, for every server process."""

    async def get(self, code: str) -> LectureRoom | None: ...

    async def put_if_absent(self, room: LectureRoom) -> LectureRoom:
        """Store ``room`` unless the code has one already; returns the one stored."""
        ...

    async def pop(self, code: str) -> LectureRoom | None: ...


class MemoryLectureStore:
    """One server process: a dict."""

    def __init__(self) -> None:
        self._rooms: dict[str, LectureRoom] = {}

    async def get(self, code: str) -> LectureRoom | None:
        return self._rooms.get(code)

    async def put_if_absent(self, room: LectureRoom) -> LectureRoom:
        return self._rooms.setdefault(room.code, room)

    async def pop(self, code: str) -> LectureRoom | None:
        return self._rooms.pop(code, None)


class RedisLectureStore:
    """Several processes (``--redis``): peers of one room on different processes must
    get the same Janus room and pin. The room's secret and pin sit in Redis, which
    the deployment already trusts with every seat; keys expire after two days."""

    TTL_S = 2 * 86400

    def __init__(self, redis: Any) -> None:
        self._redis = redis

    @staticmethod
    def _key(code: str) -> str:
        return f"uc:sfu:{code}"

    @staticmethod
    def _decode(raw: Any) -> LectureRoom | None:
        return LectureRoom(**json.loads(raw)) if raw else None

    async def get(self, code: str) -> LectureRoom | None:
        return self._decode(await self._redis.get(self._key(code)))

    async def put_if_absent(self, room: LectureRoom) -> LectureRoom:
        text = json.dumps(asdict(room))
        if await self._redis.set(self._key(room.code), text, nx=True, ex=self.TTL_S):
            return room
        stored = await self.get(room.code)
        return stored if stored is not None else room

    async def pop(self, code: str) -> LectureRoom | None:
        return self._decode(await self._redis.getdel(self._key(code)))


class SfuRooms:
    """Our room codes -> private VideoRooms on one Janus, with the grants to enter them."""

    def __init__(
        self,
        url: str,
        secret: str,
        *,
        token_ttl_s: float = 12 * 3600,
        bitrate: int = DEFAULT_BITRATE,
        store: LectureStore | None = None,
    ) -> None:
        self.url = url
        self._secret = secret
        self.token_ttl_s = token_ttl_s
        self.bitrate = bitrate
        #: Set by the server to a Redis store when processes share rooms.
        self.store: LectureStore = store or MemoryLectureStore()
        self.control = JanusControl(url, secret, on_reconnected=self._recreate)
        #: The rooms this process has seen (to grant, and to create again after a
        #: Janus restart); the store is the authority.
        self._rooms: dict[str, LectureRoom] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        #: Set each time the rooms stand again after Janus came back (tests wait on it).
        self.recreated = asyncio.Event()

    async def start(self) -> None:
        await self.control.start()

    async def close(self) -> None:
        """Stop; with a shared store, rooms other processes serve stay open."""
        if isinstance(self.store, MemoryLectureStore):
            for code in list(self._rooms):
                with contextlib.suppress(Exception):
                    await self.close_room(code)
        await self.control.close()

    @property
    def open_rooms(self) -> list[str]:
        return sorted(self._rooms)

    async def open_room(self, code: str) -> LectureRoom:
        """The lecture room of our room ``code``, created on Janus if it is not yet."""
        async with self._locks.setdefault(code, asyncio.Lock()):
            room = await self.store.get(code)
            if room is None:
                room = await self.store.put_if_absent(
                    LectureRoom(
                        code,
                        janus.new_room_id(),
                        secret=secrets.token_urlsafe(24),
                        pin=secrets.token_urlsafe(12),
                    )
                )
            if self._rooms.get(code) == room:
                return room
            try:
                await self._create(room)
            except JanusError as exc:
                # Another process made it (ids are random below 2**52: never a clash).
                if exc.code != janus.ROOM_EXISTS:
                    raise
            self._rooms[code] = room
            logger.info("opened a lecture room on the SFU for room %s", code)
            return room

    async def _create(self, room: LectureRoom) -> None:
        await self.control.request(
            janus.create_room(
                room.janus_id,
                admin_key=self._secret,
                secret=room.secret,
                pin=room.pin,
                bitrate=self.bitrate,
                description=f"lecture {room.code}",
            )
        )

    def grant(self, code: str, *, now: float | None = None) -> SfuGrant:
        """What one admitted participant of room ``code`` gets; the room must be open."""
        room = self._rooms[code]
        expires = int((time.time() if now is None else now) + self.token_ttl_s)
        token = janus.sign_token(self._secret, expires_at=expires)
        return SfuGrant(url=self.url, room=room.janus_id, pin=room.pin, token=token)

    async def reclaim(self, code: str, feed: int) -> bool:
        """Free publisher id ``feed`` in ``code``'s room (whoever sits on it is kicked
        out, with the room's secret); False if nobody did."""
        room = self._rooms[code]
        try:
            await self.control.request(janus.kick(room.janus_id, secret=room.secret, feed=feed))
        except JanusError as exc:
            if exc.code == janus.NO_SUCH_FEED:
                return False
            raise
        logger.info("freed feed %d in the lecture room of room %s", feed, code)
        return True

    async def close_room(self, code: str) -> bool:
        """Destroy the lecture room (everyone in it is dropped); False if there was none."""
        known = self._rooms.pop(code, None)
        self._locks.pop(code, None)
        room = await self.store.pop(code) or known
        if room is None:
            return False
        try:
            await self.control.request(janus.destroy_room(room.janus_id, secret=room.secret))
        except JanusError as exc:
            if exc.code != janus.NO_SUCH_ROOM:  # gone already (Janus restarted): fine
                raise
        logger.info("closed the lecture room of room %s", code)
        return True

    async def _recreate(self) -> None:
        for room in list(self._rooms.values()):
            try:
                if await self.store.get(room.code) != room:
                    # Closed (or replaced) by another process meanwhile: not ours to revive.
                    self._rooms.pop(room.code, None)
                    continue
                await self._create(room)
            except JanusError as exc:
                if exc.code != janus.ROOM_EXISTS:
                    logger.error("could not create lecture room %s again: %s", room.code, exc)
            except (ConnectionError, TimeoutError) as exc:
                logger.warning("Janus went away again while rooms were recreated: %s", exc)
                return
            except Exception as exc:  # the store (Redis): try the next room
                logger.error("could not check lecture room %s: %s", room.code, exc)
        self.recreated.set()
