"""The signalling server as a pure state machine: no sockets, no clock, no Redis.

The shell (:mod:`signaling_server.server`) feeds it events, always with the current
time: :meth:`SignalingCore.connect`, :meth:`receive`, :meth:`disconnect`, :meth:`tick`;
each returns *effects* for the shell to carry out, in order:

* :class:`Send` a text frame to a local connection, :class:`Close` one;
* :class:`Claim` a seat in a room, :class:`Release` one, :class:`Route` a message to a
  peer, :class:`Broadcast` to a room, :class:`GrantSfu` (a lecture's way in). These
  go to the room directory
  (:mod:`signaling_server.directory`): in memory for one process, Redis for several.
  A claim's outcome comes back through :meth:`claimed`, a failed route through
  :meth:`route_failed`, so one code path serves both deployments.

Everything about *who may do what* lives here: invite tokens, roles, capacities,
rate limits, idle timeouts, and the rejection of malformed input.
"""

from __future__ import annotations

import logging
import secrets
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from ultrasound_consult.protocol.errors import ErrorCode, ProtocolError
from ultrasound_consult.protocol.lecture import TRAINEE_TYPES
from ultrasound_consult.protocol.signaling import (
    ANNOTATING_ROLES,
    DISCONNECTED,
    IDLE_TIMEOUT_S,
    LEFT,
    REPLACED,
    TIMED_OUT,
    Answer,
    App,
    Candidate,
    Error,
    Fanout,
    IceServer,
    Join,
    Leave,
    Offer,
    PeerInfo,
    PeerJoined,
    PeerLeft,
    Ping,
    Pong,
    Relay,
    Role,
    ServerMessage,
    SfuRequest,
    Welcome,
    encode_server,
    parse_client_message,
)

logger = logging.getLogger(__name__)

ConnId = int

#: WebSocket close codes (RFC 6455 and the private range).
CLOSE_NORMAL = 1000
CLOSE_POLICY = 1008
CLOSE_UNSUPPORTED_VERSION = 4001
CLOSE_UNAUTHORIZED = 4002
CLOSE_IDLE = 4004
CLOSE_REPLACED = 4005

#: A connection must join within this many seconds of opening.
JOIN_TIMEOUT_S = 10.0
FLOOD_WINDOW_S = 10.0


# --- effects ------------------------------------------------------------------


@dataclass(frozen=True)
class Send:
    conn: ConnId
    text: str


@dataclass(frozen=True)
class Close:
    conn: ConnId
    code: int
    reason: str


@dataclass(frozen=True)
class Claim:
    """Take a seat for ``peer`` in ``room`` if the room's limits allow it."""

    conn: ConnId
    room: str
    peer: PeerInfo
    seat: str
    resume: bool


@dataclass(frozen=True)
class Release:
    """Give up a seat; if it was still ours, tell the room with ``notice``."""

    room: str
    peer_id: str
    seat: str
    notice: str


@dataclass(frozen=True)
class Route:
    conn: ConnId
    room: str
    to_peer: str
    text: str


@dataclass(frozen=True)
class Broadcast:
    room: str
    text: str
    exclude_peer: str | None = None
    #: Only to the peers of this role (a lecture's fan-out goes to trainees only).
    role: Role | None = None


@dataclass(frozen=True)
class GrantSfu:
    """Answer ``conn`` with the way into ``room``'s lecture on the SFU (or an error)."""

    conn: ConnId
    room: str
    #: Publisher ids to free first (the station's request only).
    reclaim: tuple[int, ...] = ()


Effect = Send | Close | Claim | Release | Route | Broadcast | GrantSfu


class InviteSignerLike(Protocol):
    """What the core needs from :class:`signaling_server.tokens.InviteSigner`."""

    def verify(
        self, token: str, *, room: str, role: Role, now: float, allow_expired: bool = False
    ) -> object: ...
    def resume_key(
        self, room: str, peer_id: str, role: Role, *, now: float, name: str = ""
    ) -> str: ...
    def resume_ok(
        self, room: str, peer_id: str, role: Role, key: str, *, now: float, name: str = ""
    ) -> bool: ...


@dataclass(frozen=True)
class Limits:
    max_rooms: int = 10_000
    max_peers_per_room: int = 24
    max_stations_per_room: int = 1
    #: Experts and trainers together.
    max_experts: int = 4
    max_observers: int = 16
    #: Messages a connection may send: sustained rate and burst (token bucket).
    rate_per_s: float = 30.0
    burst: float = 90.0
    #: Rejected messages in a row before the connection is closed.
    max_consecutive_errors: int = 20
    #: Messages dropped by the rate limit within FLOOD_WINDOW_S before the
    #: connection is closed (a steady flood gets some through; it still goes).
    max_flood_drops: int = 300
    #: The station speaks for the whole call (a trainee's scene sync, a lecture's
    #: fan-out, answers to everyone): its bucket is this many times larger.
    station_rate_factor: float = 4.0

    def role_cap(self, role: Role) -> int:
        if role is Role.STATION:
            return self.max_stations_per_room
        if role in ANNOTATING_ROLES:
            return self.max_experts
        return self.max_observers


@dataclass(frozen=True)
class ClaimResult:
    ok: bool
    #: The others in the room when the seat was taken.
    members: tuple[PeerInfo, ...] = ()
    error: ProtocolError | None = None


class TokenBucket:
    def __init__(self, rate: float, burst: float, now: float) -> None:
        self.rate, self.burst = rate, burst
        self.level, self.at = burst, now

    def take(self, now: float) -> bool:
        self.level = min(self.burst, self.level + (now - self.at) * self.rate)
        self.at = now
        if self.level >= 1.0:
            self.level -= 1.0
            return True
        return False


@dataclass
class _Conn:
    id: ConnId
    opened_at: float
    last_seen: float
    bucket: TokenBucket
    peer: PeerInfo | None = None
    room: str | None = None
    seat: str | None = None
    joining: bool = False
    consecutive_errors: int = 0
    last_rate_notice: float = 0.0
    flood_window_start: float = 0.0
    flood_drops: int = 0
    #: Closed by us (fatal error, leave, idle): whatever it still sends is ignored,
    #: so a flood is not answered with a flood of errors.
    closing: bool = False


class SignalingCore:
    """Connections, authorisation and the protocol, for one server process."""

    def __init__(
        self,
        signer: InviteSignerLike,
        *,
        limits: Limits | None = None,
        ice_servers: Callable[[str, float], tuple[IceServer, ...]] = lambda _peer, _now: (),
    ) -> None:
        self.signer = signer
        self.limits = limits or Limits()
        self._ice_servers = ice_servers
        self._conns: dict[ConnId, _Conn] = {}
        self._by_seat: dict[str, ConnId] = {}
        self._by_peer: dict[str, ConnId] = {}
        self._next_conn = 1
        self.counters: Counter[str] = Counter()
        self.rejects: Counter[str] = Counter()

    # --- queries -------------------------------------------------------------

    @property
    def connection_count(self) -> int:
        return len(self._conns)

    @property
    def peer_count(self) -> int:
        return len(self._by_peer)

    def conn_of(self, peer_id: str) -> ConnId | None:
        return self._by_peer.get(peer_id)

    # --- events from the shell -------------------------------------------------

    def connect(self, now: float) -> ConnId:
        conn = _Conn(
            id=self._next_conn,
            opened_at=now,
            last_seen=now,
            bucket=TokenBucket(self.limits.rate_per_s, self.limits.burst, now),
        )
        self._next_conn += 1
        self._conns[conn.id] = conn
        return conn.id

    def receive(self, conn_id: ConnId, data: str | bytes, now: float) -> list[Effect]:
        conn = self._conns.get(conn_id)
        if conn is None or conn.closing:
            return []
        self.counters["messages"] += 1
        conn.last_seen = now
        if not conn.bucket.take(now):
            return self._rate_limited(conn, now)
        try:
            msg = parse_client_message(data)
            effects = self._dispatch(conn, msg, now)
        except ProtocolError as exc:
            return self._reject(conn, exc)
        conn.consecutive_errors = 0
        return effects

    def disconnect(
        self, conn_id: ConnId, now: float, *, reason: str = DISCONNECTED
    ) -> list[Effect]:
        conn = self._conns.pop(conn_id, None)
        if conn is None:
            return []
        return self._vacate(conn, reason)

    def tick(self, now: float) -> list[Effect]:
        """Close connections that never joined, or went quiet (the client pings)."""
        effects: list[Effect] = []
        for conn in list(self._conns.values()):
            if conn.peer is None and not conn.joining and now - conn.opened_at > JOIN_TIMEOUT_S:
                effects += self._fatal(
                    conn, ErrorCode.IDLE_TIMEOUT, "no join received in time", CLOSE_IDLE
                )
            elif conn.peer is not None and now - conn.last_seen > IDLE_TIMEOUT_S:
                self.rejects[ErrorCode.IDLE_TIMEOUT.value] += 1
                effects += self._vacate(conn, TIMED_OUT)
                effects.append(self._close(conn, CLOSE_IDLE, "idle"))
        return effects

    def claimed(
        self, conn_id: ConnId, result: ClaimResult, claim: Claim, now: float
    ) -> list[Effect]:
        """The directory's answer to a :class:`Claim`."""
        conn = self._conns.get(conn_id)
        if conn is None:
            # Gone while the claim was in flight: give the seat back at once.
            return (
                [
                    Release(
                        claim.room,
                        claim.peer.id,
                        claim.seat,
                        self._left(claim.peer.id, DISCONNECTED),
                    )
                ]
                if result.ok
                else []
            )
        conn.joining = False
        if not result.ok:
            assert result.error is not None
            return self._reject(conn, result.error)
        conn.peer, conn.room, conn.seat = claim.peer, claim.room, claim.seat
        if claim.peer.role is Role.STATION:
            factor = self.limits.station_rate_factor
            conn.bucket = TokenBucket(
                self.limits.rate_per_s * factor, self.limits.burst * factor, now
            )
        self._by_seat[claim.seat] = conn.id
        self._by_peer[claim.peer.id] = conn.id
        self.counters["joins"] += 1
        logger.info(
            "peer %s %s room %s as %s",
            claim.peer.id,
            "resumed in" if claim.resume else "joined",
            claim.room,
            claim.peer.role.value,
        )
        welcome = Welcome(
            peer_id=claim.peer.id,
            room=claim.room,
            role=claim.peer.role,
            peers=result.members,
            ice_servers=self._ice_servers(claim.peer.id, now),
            resume_key=self.signer.resume_key(
                claim.room, claim.peer.id, claim.peer.role, now=now, name=claim.peer.name
            ),
        )
        return [
            Send(conn.id, encode_server(welcome)),
            Broadcast(
                claim.room, encode_server(PeerJoined(claim.peer)), exclude_peer=claim.peer.id
            ),
        ]

    def route_failed(self, conn_id: ConnId, to_peer: str) -> list[Effect]:
        conn = self._conns.get(conn_id)
        if conn is None:
            return []
        return self._reject(
            conn, ProtocolError(ErrorCode.UNKNOWN_PEER, f"no peer {to_peer!r} in this room")
        )

    def kick(self, seat: str, reason: str = REPLACED) -> list[Effect]:
        """A newer connection resumed this seat: close the old one without a release."""
        conn_id = self._by_seat.pop(seat, None)
        conn = self._conns.get(conn_id) if conn_id is not None else None
        if conn is None or conn.peer is None:
            return []
        if self._by_peer.get(conn.peer.id) == conn.id:
            del self._by_peer[conn.peer.id]
        conn.peer = conn.room = conn.seat = None
        return [Close(conn.id, CLOSE_REPLACED, reason)]

    # --- internals -----------------------------------------------------------

    def _dispatch(self, conn: _Conn, msg: object, now: float) -> list[Effect]:
        if isinstance(msg, Join):
            return self._join(conn, msg, now)
        if isinstance(msg, Ping):
            return [self._send(conn.id, Pong())]
        if conn.peer is None or conn.room is None:
            raise ProtocolError(ErrorCode.NOT_JOINED, "send 'join' before anything else")
        if isinstance(msg, Offer | Answer | Candidate | App):
            return self._relay(conn, msg)
        if isinstance(msg, Fanout):
            return self._fanout(conn, msg)
        if isinstance(msg, SfuRequest):
            # Only here, after the join: whoever has not been admitted gets nothing.
            if msg.reclaim and conn.peer.role is not Role.STATION:
                raise ProtocolError(ErrorCode.FORBIDDEN, "only the station reclaims SFU feeds")
            return [GrantSfu(conn.id, conn.room, msg.reclaim)]
        if isinstance(msg, Leave):
            effects = self._vacate(conn, LEFT)
            effects.append(self._close(conn, CLOSE_NORMAL, "left"))
            return effects
        raise ProtocolError(ErrorCode.UNKNOWN_TYPE, "message not handled")  # pragma: no cover

    def _join(self, conn: _Conn, msg: Join, now: float) -> list[Effect]:
        if conn.peer is not None or conn.joining:
            raise ProtocolError(ErrorCode.ALREADY_JOINED, "already in a room")
        if not msg.token:
            raise ProtocolError(ErrorCode.UNAUTHORIZED, "joining needs an invite code; ask for one")
        # The key binds the name of the first admission: with another name it is refused
        # (and the join goes ahead as a new peer), so a replayed key cannot rename a peer.
        resuming = msg.resume is not None and self.signer.resume_ok(
            msg.room, msg.resume.peer_id, msg.role, msg.resume.key, now=now, name=msg.name
        )
        if msg.resume is not None and not resuming:
            self.rejects["resume_refused"] += 1  # join afresh under a new id instead
        self.signer.verify(msg.token, room=msg.room, role=msg.role, now=now, allow_expired=resuming)
        peer_id = msg.resume.peer_id if resuming and msg.resume else secrets.token_hex(6)
        conn.joining = True
        peer = PeerInfo(id=peer_id, role=msg.role, name=msg.name)
        return [Claim(conn.id, msg.room, peer, secrets.token_hex(8), resume=resuming)]

    def _relay(self, conn: _Conn, msg: Relay) -> list[Effect]:
        assert conn.peer is not None and conn.room is not None
        role = conn.peer.role
        if isinstance(msg, Offer) and role is not Role.STATION:
            raise ProtocolError(
                ErrorCode.FORBIDDEN, f"a {role.value} does not send offers; the station does"
            )
        if isinstance(msg, Answer) and role is Role.STATION:
            raise ProtocolError(ErrorCode.FORBIDDEN, "the station sends offers, not answers")
        if isinstance(msg, App) and role is Role.OBSERVER and msg.data_type not in TRAINEE_TYPES:
            # A trainee without a data channel (a lecture through the SFU) may raise a
            # hand, ask, and say how well it watches; nothing else.
            raise ProtocolError(
                ErrorCode.FORBIDDEN, f"observers may watch but not send {msg.data_type[:40]!r}"
            )
        if msg.peer == conn.peer.id:
            raise ProtocolError(ErrorCode.UNKNOWN_PEER, "cannot send to yourself")
        self.counters["relayed"] += 1
        relayed = type(msg)(**{**msg.__dict__, "peer": conn.peer.id})
        return [Route(conn.id, conn.room, msg.peer, encode_server(relayed))]

    def _fanout(self, conn: _Conn, msg: Fanout) -> list[Effect]:
        assert conn.peer is not None and conn.room is not None
        if conn.peer.role is not Role.STATION:
            raise ProtocolError(ErrorCode.FORBIDDEN, "only the station sends to every trainee")
        self.counters["fanouts"] += 1
        text = encode_server(App(peer=conn.peer.id, data=msg.data))
        return [Broadcast(conn.room, text, exclude_peer=conn.peer.id, role=Role.OBSERVER)]

    def _vacate(self, conn: _Conn, reason: str) -> list[Effect]:
        if conn.peer is None or conn.room is None or conn.seat is None:
            return []
        peer, room, seat = conn.peer, conn.room, conn.seat
        conn.peer = conn.room = conn.seat = None
        self._by_seat.pop(seat, None)
        if self._by_peer.get(peer.id) == conn.id:
            del self._by_peer[peer.id]
        logger.info("peer %s left room %s (%s)", peer.id, room, reason)
        return [Release(room, peer.id, seat, self._left(peer.id, reason))]

    @staticmethod
    def _left(peer_id: str, reason: str) -> str:
        return encode_server(PeerLeft(peer_id, reason))

    def _rate_limited(self, conn: _Conn, now: float) -> list[Effect]:
        self.rejects[ErrorCode.RATE_LIMITED.value] += 1
        if now - conn.flood_window_start > FLOOD_WINDOW_S:
            conn.flood_window_start, conn.flood_drops = now, 0
        conn.flood_drops += 1
        if conn.flood_drops >= self.limits.max_flood_drops:
            return self._fatal(
                conn, ErrorCode.RATE_LIMITED, "too many messages", CLOSE_POLICY, counted=True
            )
        if now - conn.last_rate_notice < 1.0:
            return []  # one notice a second, so a flood is not answered with a flood
        conn.last_rate_notice = now
        return [self._send(conn.id, Error(ErrorCode.RATE_LIMITED, "too many messages; slow down"))]

    def _reject(self, conn: _Conn, exc: ProtocolError) -> list[Effect]:
        self.rejects[exc.code.value] += 1
        conn.consecutive_errors += 1
        logger.info("rejected a message from connection %s: %s", conn.id, exc.code.value)
        close_code = {
            ErrorCode.UNSUPPORTED_VERSION: CLOSE_UNSUPPORTED_VERSION,
        }.get(exc.code)
        if close_code is not None or conn.consecutive_errors >= self.limits.max_consecutive_errors:
            return self._fatal(conn, exc.code, exc.reason, close_code or CLOSE_POLICY, counted=True)
        return [self._send(conn.id, Error.from_exception(exc))]

    def _fatal(
        self, conn: _Conn, code: ErrorCode, reason: str, close_code: int, *, counted: bool = False
    ) -> list[Effect]:
        if not counted:
            self.rejects[code.value] += 1
        error = Error.from_exception(ProtocolError(code, reason), fatal=True)
        effects: list[Effect] = [self._send(conn.id, error)]
        effects += self._vacate(conn, DISCONNECTED)
        effects.append(self._close(conn, close_code, code.value))
        return effects

    @staticmethod
    def _close(conn: _Conn, code: int, reason: str) -> Close:
        conn.closing = True
        return Close(conn.id, code, reason)

    @staticmethod
    def _send(conn_id: ConnId, msg: ServerMessage) -> Send:
        return Send(conn_id, encode_server(msg))
