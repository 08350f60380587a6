"""The signalling server as a pure state machine (no sockets, no asyncio).

Feed it events with :meth:`SignalingCore.connect`, :meth:`receive` and
:meth:`disconnect`; each returns the actions the I/O shell must perform, in order:
:class:`Send` a text frame to a connection, or :class:`Close` it. The shell in
:mod:`signaling_server.server` does nothing else, so everything here is tested by
feeding strings in and reading actions out.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field

from ultrasound_consult.protocol.errors import ErrorCode, ProtocolError
from ultrasound_consult.protocol.signaling import (
    Answer,
    Candidate,
    Error,
    IceServer,
    Join,
    Leave,
    Offer,
    PeerInfo,
    PeerJoined,
    PeerLeft,
    Ping,
    Pong,
    Role,
    ServerMessage,
    Welcome,
    encode_server,
    parse_client_message,
)

logger = logging.getLogger(__name__)

ConnId = int


@dataclass(frozen=True)
class Send:
    conn: ConnId
    text: str


@dataclass(frozen=True)
class Close:
    conn: ConnId
    code: int
    reason: str


Action = Send | Close

#: WebSocket close codes (RFC 6455 and the private range).
CLOSE_NORMAL = 1000
CLOSE_POLICY = 1008
CLOSE_UNSUPPORTED_VERSION = 4001
CLOSE_ROOM_FULL = 4003


@dataclass(frozen=True)
class Limits:
    max_rooms: int = 10_000
    max_peers_per_room: int = 16
    max_stations_per_room: int = 1
    #: A connection that sends this many rejected messages in a row is closed.
    max_consecutive_errors: int = 20


@dataclass
class _Conn:
    id: ConnId
    peer: PeerInfo | None = None
    room: str | None = None
    consecutive_errors: int = 0


@dataclass
class _Room:
    name: str
    members: dict[str, ConnId] = field(default_factory=dict)  # peer id -> connection


class SignalingCore:
    """Rooms, roles and relays. One instance per server process."""

    def __init__(
        self,
        *,
        limits: Limits | None = None,
        ice_servers: Iterable[IceServer] = (),
    ) -> None:
        self.limits = limits or Limits()
        self.ice_servers = tuple(ice_servers)
        self._conns: dict[ConnId, _Conn] = {}
        self._rooms: dict[str, _Room] = {}
        self._peers: dict[str, PeerInfo] = {}
        self._next_conn = 1
        self.counters: dict[str, int] = {"messages": 0, "relayed": 0, "rejected": 0}

    # --- queries -------------------------------------------------------------

    @property
    def room_count(self) -> int:
        return len(self._rooms)

    @property
    def peer_count(self) -> int:
        return sum(1 for c in self._conns.values() if c.peer is not None)

    def room_members(self, room: str) -> list[PeerInfo]:
        r = self._rooms.get(room)
        return [self._peers[p] for p in r.members] if r else []

    # --- events --------------------------------------------------------------

    def connect(self) -> ConnId:
        conn = _Conn(id=self._next_conn)
        self._next_conn += 1
        self._conns[conn.id] = conn
        return conn.id

    def receive(self, conn_id: ConnId, data: str | bytes) -> list[Action]:
        conn = self._conns.get(conn_id)
        if conn is None:
            return []
        self.counters["messages"] += 1
        try:
            msg = parse_client_message(data)
            actions = self._dispatch(conn, msg)
        except ProtocolError as exc:
            return self._reject(conn, exc)
        conn.consecutive_errors = 0
        return actions

    def disconnect(self, conn_id: ConnId, reason: str = "disconnected") -> list[Action]:
        conn = self._conns.pop(conn_id, None)
        if conn is None:
            return []
        return self._remove_from_room(conn, reason)

    # --- internals -----------------------------------------------------------

    def _reject(self, conn: _Conn, exc: ProtocolError) -> list[Action]:
        self.counters["rejected"] += 1
        conn.consecutive_errors += 1
        fatal = exc.code is ErrorCode.UNSUPPORTED_VERSION or (
            conn.consecutive_errors >= self.limits.max_consecutive_errors
        )
        logger.info("rejected message from conn %s: %s", conn.id, exc.code)
        actions: list[Action] = [self._send(conn.id, Error.from_exception(exc, fatal=fatal))]
        if fatal:
            code = (
                CLOSE_UNSUPPORTED_VERSION
                if exc.code is ErrorCode.UNSUPPORTED_VERSION
                else CLOSE_POLICY
            )
            actions.append(Close(conn.id, code, exc.code.value))
        return actions

    def _dispatch(self, conn: _Conn, msg: object) -> list[Action]:
        if isinstance(msg, Join):
            return self._join(conn, msg)
        if isinstance(msg, Ping):
            return [self._send(conn.id, Pong())]
        if conn.peer is None or conn.room is None:
            raise ProtocolError(ErrorCode.NOT_JOINED, "send 'join' before anything else")
        if isinstance(msg, Offer | Answer | Candidate):
            return self._relay(conn, msg)
        if isinstance(msg, Leave):
            actions = self._remove_from_room(conn, "left")
            actions.append(Close(conn.id, CLOSE_NORMAL, "left"))
            return actions
        raise ProtocolError(ErrorCode.UNKNOWN_TYPE, "message not handled")  # pragma: no cover

    def _join(self, conn: _Conn, msg: Join) -> list[Action]:
        if conn.peer is not None:
            raise ProtocolError(ErrorCode.ALREADY_JOINED, f"already in room {conn.room!r}")
        room = self._rooms.get(msg.room)
        if room is None:
            if len(self._rooms) >= self.limits.max_rooms:
                raise ProtocolError(
                    ErrorCode.SERVER_FULL, "this server has no room left; try again later"
                )
            room = _Room(msg.room)
        members = [self._peers[p] for p in room.members]
        if len(members) >= self.limits.max_peers_per_room:
            raise ProtocolError(
                ErrorCode.ROOM_FULL,
                f"room {msg.room!r} already has {len(members)} participants (the limit)",
            )
        if msg.role is Role.STATION and (
            sum(1 for p in members if p.role is Role.STATION) >= self.limits.max_stations_per_room
        ):
            raise ProtocolError(
                ErrorCode.ROOM_FULL,
                f"room {msg.room!r} already has a station; use another room code",
            )
        self._rooms[msg.room] = room
        peer = PeerInfo(id=secrets.token_hex(6), role=msg.role, name=msg.name)
        conn.peer, conn.room = peer, msg.room
        self._peers[peer.id] = peer
        room.members[peer.id] = conn.id
        logger.info("peer %s joined room %s as %s", peer.id, msg.room, peer.role.value)
        actions = [
            self._send(
                conn.id,
                Welcome(
                    peer_id=peer.id,
                    room=msg.room,
                    role=msg.role,
                    peers=tuple(members),
                    ice_servers=self.ice_servers,
                ),
            )
        ]
        joined = PeerJoined(peer)
        actions.extend(self._send(c, joined) for p, c in room.members.items() if p != peer.id)
        return actions

    def _relay(self, conn: _Conn, msg: Offer | Answer | Candidate) -> list[Action]:
        assert conn.peer is not None and conn.room is not None
        room = self._rooms[conn.room]
        target = room.members.get(msg.peer)
        # A peer in another room is reported exactly like one that does not exist,
        # so room membership does not leak.
        if target is None or msg.peer == conn.peer.id:
            raise ProtocolError(ErrorCode.UNKNOWN_PEER, f"no peer {msg.peer!r} in this room")
        self.counters["relayed"] += 1
        relayed = type(msg)(**{**msg.__dict__, "peer": conn.peer.id})
        return [self._send(target, relayed)]

    def _remove_from_room(self, conn: _Conn, reason: str) -> list[Action]:
        if conn.peer is None or conn.room is None:
            return []
        peer, room = conn.peer, self._rooms.get(conn.room)
        conn.peer, conn.room = None, None
        self._peers.pop(peer.id, None)
        if room is None:
            return []
        room.members.pop(peer.id, None)
        logger.info("peer %s left room %s (%s)", peer.id, room.name, reason)
        if not room.members:
            del self._rooms[room.name]
            return []
        left = PeerLeft(peer.id, reason)
        return [self._send(c, left) for c in room.members.values()]

    @staticmethod
    def _send(conn_id: ConnId, msg: ServerMessage) -> Send:
        return Send(conn_id, encode_server(msg))
