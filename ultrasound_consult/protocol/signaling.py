"""Signalling messages: JSON text frames over a WebSocket.

Sequence (see docs/protocol.md)::

    client                      server
      | -- join ------------------> |   room, role, name, v
      | <------------------ welcome |   your peer id, peers already there, ICE servers
      | <-------------- peer_joined |   (to everyone else in the room)
      | -- offer {to} ------------> | -- offer {from} --> named peer
      | <---------- answer {from}   | <-- answer {to} --- named peer
      | -- candidate {to} --------> | -- candidate {from} -->
      | -- ping ------------------> |
      | <--------------------- pong |
      | -- leave -----------------> | -- peer_left --> everyone else
      | -- sfu_request -----------> |   (lectures, with an SFU configured)
      | <--------------- sfu_access |   the lecture room on the SFU: url, room, pin, token

Every message carries ``type``. ``join`` carries the protocol major version ``v``;
a server that does not speak it answers ``error`` with code ``unsupported_version``
and the versions it does speak. Both sides also state their release (``join.app_version``,
``welcome.server_version``; optional, absent from releases before 0.2), so that a mismatch
names what to update and each side's log says what it talked to.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar

from ultrasound_consult import __version__
from ultrasound_consult.protocol.errors import ErrorCode, ProtocolError
from ultrasound_consult.protocol.fields import (
    bad,
    check_text,
    check_text_tree,
    decode_object,
    encode_object,
    message_type,
    opt_float,
    opt_str,
    req_enum,
    req_id,
    req_int,
    req_list,
    req_object,
    req_str,
)

PROTOCOL_VERSION = 1
SUPPORTED_VERSIONS: tuple[int, ...] = (1,)

#: SDP from aiortc with all candidates gathered is typically 2-6 KiB.
MAX_SIGNAL_BYTES = 64 * 1024
MAX_SDP_CHARS = 48 * 1024
MAX_NAME_CHARS = 64
MAX_ROOM_CHARS = 64
MAX_RELEASE_CHARS = 32


def version_mismatch_reason(client_protocol: int, client_release: str) -> str:
    """What a server that cannot speak ``client_protocol`` tells the client, in words: which
    side is older and what to update."""
    supported = ", ".join(str(v) for v in SUPPORTED_VERSIONS)
    app = f"ultrasound-consult {client_release}" if client_release else "this app"
    server = f"this server (ultrasound-consult-server {__version__})"
    if client_protocol > max(SUPPORTED_VERSIONS):
        return (
            f"{app} speaks signalling protocol {client_protocol}; {server} speaks only "
            f"{supported}. The server is older: update ultrasound-consult-server to "
            f"{client_release or 'the release of the app'} or later."
        )
    return (
        f"{app} speaks signalling protocol {client_protocol}; {server} speaks only "
        f"{supported}. The app is older: update it to ultrasound-consult {__version__}."
    )


class Role(StrEnum):
    STATION = "station"  # the clinic with the scanner: sends video, shows guidance
    EXPERT = "expert"  # watches, annotates, guides
    TRAINER = "trainer"  # as an expert, for teaching sessions
    OBSERVER = "observer"  # watches only (a trainee)


#: Roles that may draw and guide.
ANNOTATING_ROLES = frozenset({Role.EXPERT, Role.TRAINER})

#: Why a peer left, in ``peer_left.reason``. Only ``left`` is final: after the others
#: (``disconnected``, ``timeout``) the peer may come back with the same id, and its
#: media, which never went through the server, may well still be flowing.
LEFT = "left"
DISCONNECTED = "disconnected"
TIMED_OUT = "timeout"
REPLACED = "replaced"

#: Seconds between the client's keep-alive pings; the server closes a joined
#: connection that has sent nothing for IDLE_TIMEOUT_S.
HEARTBEAT_S = 15.0
IDLE_TIMEOUT_S = 60.0
MAX_APP_BYTES = 16 * 1024
#: Feeds one ``sfu_request`` may reclaim (the station's and the lecture's voices).
MAX_RECLAIM = 8


@dataclass(frozen=True)
class PeerInfo:
    id: str
    role: Role
    name: str

    def to_wire(self) -> dict[str, Any]:
        return {"id": self.id, "role": self.role.value, "name": self.name}

    @classmethod
    def from_wire(cls, obj: Any) -> PeerInfo:
        if not isinstance(obj, dict):
            raise bad("peer entries must be objects")
        return cls(
            id=req_id(obj, "id"),
            role=req_enum(obj, "role", Role),
            name=req_str(obj, "name", max_len=MAX_NAME_CHARS, allow_empty=True),
        )


@dataclass(frozen=True)
class IceServer:
    urls: tuple[str, ...]
    username: str | None = None
    credential: str | None = None

    def to_wire(self) -> dict[str, Any]:
        out: dict[str, Any] = {"urls": list(self.urls)}
        if self.username is not None:
            out["username"] = self.username
        if self.credential is not None:
            out["credential"] = self.credential
        return out

    @classmethod
    def from_wire(cls, obj: Any) -> IceServer:
        if not isinstance(obj, dict):
            raise bad("ice_servers entries must be objects")
        urls = req_list(obj, "urls", max_len=8)
        if not urls or not all(isinstance(u, str) and 0 < len(u) <= 256 for u in urls):
            raise bad("'urls' must be a non-empty list of STUN/TURN URLs")
        for url in urls:
            check_text(url, "urls")
        return cls(
            urls=tuple(urls),
            username=opt_str(obj, "username"),
            credential=opt_str(obj, "credential"),
        )


# --- client -> server ------------------------------------------------------


@dataclass(frozen=True)
class Resume:
    """Rejoin as the same peer after a lost connection or a server restart."""

    peer_id: str
    key: str

    def to_wire(self) -> dict[str, Any]:
        return {"peer_id": self.peer_id, "key": self.key}

    @classmethod
    def from_wire(cls, obj: Any) -> Resume:
        if not isinstance(obj, dict):
            raise bad("'resume' must be an object")
        return cls(peer_id=req_id(obj, "peer_id"), key=req_str(obj, "key", max_len=64))


@dataclass(frozen=True)
class Join:
    TYPE: ClassVar[str] = "join"
    room: str
    role: Role
    name: str = ""
    version: int = PROTOCOL_VERSION
    token: str | None = None
    resume: Resume | None = None
    #: The app's release (``ultrasound_consult.__version__``); "" from releases before 0.2.
    app_version: str = __version__

    def to_wire(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": self.TYPE,
            "v": self.version,
            "room": self.room,
            "role": self.role.value,
            "name": self.name,
        }
        if self.app_version:
            out["app_version"] = self.app_version
        if self.token is not None:
            out["token"] = self.token
        if self.resume is not None:
            out["resume"] = self.resume.to_wire()
        return out

    @classmethod
    def from_wire(cls, obj: dict[str, Any]) -> Join:
        version = req_int(obj, "v", lo=0, hi=1_000_000)
        try:
            release = opt_str(obj, "app_version", max_len=MAX_RELEASE_CHARS, default="") or ""
        except ProtocolError:
            if version in SUPPORTED_VERSIONS:
                raise
            release = ""  # a newer client's release string must not hide the real problem
        if version not in SUPPORTED_VERSIONS:
            raise ProtocolError(
                ErrorCode.UNSUPPORTED_VERSION, version_mismatch_reason(version, release)
            )
        return cls(
            room=req_id(obj, "room"),
            role=req_enum(obj, "role", Role),
            name=req_str(obj, "name", max_len=MAX_NAME_CHARS, allow_empty=True),
            version=version,
            token=opt_str(obj, "token", max_len=256),
            resume=Resume.from_wire(obj["resume"]) if obj.get("resume") is not None else None,
            app_version=release,
        )


@dataclass(frozen=True)
class Offer:
    """An SDP offer. ``peer`` is the recipient going up and the sender coming down."""

    TYPE: ClassVar[str] = "offer"
    peer: str
    sdp: str

    def to_wire(self, direction: str) -> dict[str, Any]:
        return {"type": self.TYPE, direction: self.peer, "sdp": self.sdp}

    @classmethod
    def from_wire(cls, obj: dict[str, Any], direction: str) -> Offer:
        return cls(peer=req_id(obj, direction), sdp=req_str(obj, "sdp", max_len=MAX_SDP_CHARS))


@dataclass(frozen=True)
class Answer:
    TYPE: ClassVar[str] = "answer"
    peer: str
    sdp: str

    def to_wire(self, direction: str) -> dict[str, Any]:
        return {"type": self.TYPE, direction: self.peer, "sdp": self.sdp}

    @classmethod
    def from_wire(cls, obj: dict[str, Any], direction: str) -> Answer:
        return cls(peer=req_id(obj, direction), sdp=req_str(obj, "sdp", max_len=MAX_SDP_CHARS))


@dataclass(frozen=True)
class Candidate:
    """A trickled ICE candidate; ``candidate`` None means end of candidates."""

    TYPE: ClassVar[str] = "candidate"
    peer: str
    candidate: str | None
    sdp_mid: str | None = None
    sdp_mline_index: int | None = None

    def to_wire(self, direction: str) -> dict[str, Any]:
        return {
            "type": self.TYPE,
            direction: self.peer,
            "candidate": self.candidate,
            "sdpMid": self.sdp_mid,
            "sdpMLineIndex": self.sdp_mline_index,
        }

    @classmethod
    def from_wire(cls, obj: dict[str, Any], direction: str) -> Candidate:
        index = obj.get("sdpMLineIndex")
        if index is not None and (isinstance(index, bool) or not isinstance(index, int)):
            raise bad("'sdpMLineIndex' must be an integer or null")
        return cls(
            peer=req_id(obj, direction),
            candidate=opt_str(obj, "candidate", max_len=1024),
            sdp_mid=opt_str(obj, "sdpMid", max_len=64),
            sdp_mline_index=index,
        )


@dataclass(frozen=True)
class App:
    """A data-channel message carried by the server (when the channel is down).

    ``data`` is the channel message as an object; the server checks only its
    ``type`` against the sender's role and relays it to ``peer``.
    """

    TYPE: ClassVar[str] = "app"
    peer: str
    data: dict[str, Any]

    def to_wire(self, direction: str) -> dict[str, Any]:
        return {"type": self.TYPE, direction: self.peer, "data": self.data}

    @classmethod
    def from_wire(cls, obj: dict[str, Any], direction: str) -> App:
        data = req_object(obj, "data")
        kind = data.get("type")
        if not isinstance(kind, str) or not kind:
            raise bad("'data.type' must be a non-empty string")
        # Relayed as it is: the server checks its text so no receiver gets what it refuses.
        check_text_tree(data, "data")
        if len(encode_object(data).encode("utf-8", "surrogatepass")) > MAX_APP_BYTES:
            raise ProtocolError(
                ErrorCode.MESSAGE_TOO_LARGE, f"'data' is over {MAX_APP_BYTES} bytes"
            )
        return cls(peer=req_id(obj, direction), data=data)

    @property
    def data_type(self) -> str:
        return str(self.data["type"])


@dataclass(frozen=True)
class Fanout:
    """The station's channel message for every trainee (observer) in the room at once.

    In a lecture the trainees watch through the SFU and have no data channel with the
    station: the server hands ``data`` to each of them as an ``app`` from the station,
    so the station sends each annotation once, whatever the number of trainees.
    """

    TYPE: ClassVar[str] = "fanout"
    data: dict[str, Any]

    def to_wire(self) -> dict[str, Any]:
        return {"type": self.TYPE, "data": self.data}

    @classmethod
    def from_wire(cls, obj: dict[str, Any]) -> Fanout:
        App.from_wire({**obj, "to": "all"}, "to")  # the same checks as one relay
        return cls(data=obj["data"])


@dataclass(frozen=True)
class Leave:
    TYPE: ClassVar[str] = "leave"

    def to_wire(self) -> dict[str, Any]:
        return {"type": self.TYPE}


@dataclass(frozen=True)
class Ping:
    TYPE: ClassVar[str] = "ping"

    def to_wire(self) -> dict[str, Any]:
        return {"type": self.TYPE}


@dataclass(frozen=True)
class SfuRequest:
    """Ask for the way into this room's lecture on the SFU; only joined peers may.

    ``reclaim`` (the station's only): publisher ids the server frees first, with the
    room's secret, so that nobody holding the pin can sit on the station's feed or a
    voice's before the one it belongs to publishes (a stale session of its own, too).
    """

    TYPE: ClassVar[str] = "sfu_request"
    reclaim: tuple[int, ...] = ()

    def to_wire(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.TYPE}
        if self.reclaim:
            out["reclaim"] = list(self.reclaim)
        return out

    @classmethod
    def from_wire(cls, obj: dict[str, Any]) -> SfuRequest:
        raw = obj.get("reclaim")
        if raw is None:
            return cls()
        if not isinstance(raw, list) or len(raw) > MAX_RECLAIM:
            raise bad(f"'reclaim' must be a list of at most {MAX_RECLAIM} feed ids")
        feeds = tuple(req_int({"feed": f}, "feed", lo=1, hi=2**53) for f in raw)
        return cls(reclaim=feeds)


# --- server -> client ------------------------------------------------------


@dataclass(frozen=True)
class Welcome:
    TYPE: ClassVar[str] = "welcome"
    peer_id: str
    room: str
    role: Role
    peers: tuple[PeerInfo, ...] = ()
    ice_servers: tuple[IceServer, ...] = ()
    version: int = PROTOCOL_VERSION
    #: Present this (with ``peer_id``) in ``join.resume`` to come back as the same peer.
    resume_key: str = ""
    heartbeat_s: float = HEARTBEAT_S
    #: The server's release; "" from servers before 0.2.
    server_version: str = __version__

    def to_wire(self) -> dict[str, Any]:
        return {
            "type": self.TYPE,
            "v": self.version,
            "peer_id": self.peer_id,
            "room": self.room,
            "role": self.role.value,
            "peers": [p.to_wire() for p in self.peers],
            "ice_servers": [s.to_wire() for s in self.ice_servers],
            "resume_key": self.resume_key,
            "heartbeat_s": self.heartbeat_s,
            "server_version": self.server_version,
        }

    @classmethod
    def from_wire(cls, obj: dict[str, Any]) -> Welcome:
        return cls(
            peer_id=req_id(obj, "peer_id"),
            room=req_id(obj, "room"),
            role=req_enum(obj, "role", Role),
            peers=tuple(PeerInfo.from_wire(p) for p in req_list(obj, "peers", max_len=1000)),
            ice_servers=tuple(
                IceServer.from_wire(s) for s in req_list(obj, "ice_servers", max_len=16)
            ),
            version=req_int(obj, "v", lo=0),
            resume_key=opt_str(obj, "resume_key", max_len=64, default="") or "",
            heartbeat_s=opt_float(obj, "heartbeat_s", lo=1.0, hi=300.0) or HEARTBEAT_S,
            server_version=opt_str(obj, "server_version", max_len=MAX_RELEASE_CHARS, default="")
            or "",
        )


@dataclass(frozen=True)
class PeerJoined:
    TYPE: ClassVar[str] = "peer_joined"
    peer: PeerInfo

    def to_wire(self) -> dict[str, Any]:
        return {"type": self.TYPE, "peer": self.peer.to_wire()}

    @classmethod
    def from_wire(cls, obj: dict[str, Any]) -> PeerJoined:
        return cls(peer=PeerInfo.from_wire(req_object(obj, "peer")))


@dataclass(frozen=True)
class PeerLeft:
    TYPE: ClassVar[str] = "peer_left"
    peer_id: str
    reason: str = ""

    def to_wire(self) -> dict[str, Any]:
        return {"type": self.TYPE, "peer_id": self.peer_id, "reason": self.reason}

    @classmethod
    def from_wire(cls, obj: dict[str, Any]) -> PeerLeft:
        return cls(peer_id=req_id(obj, "peer_id"), reason=opt_str(obj, "reason", default="") or "")


@dataclass(frozen=True)
class Pong:
    TYPE: ClassVar[str] = "pong"

    def to_wire(self) -> dict[str, Any]:
        return {"type": self.TYPE}


@dataclass(frozen=True)
class Error:
    """A rejection. ``fatal`` errors are followed by the server closing the socket."""

    TYPE: ClassVar[str] = "error"
    code: ErrorCode
    message: str
    fatal: bool = False
    supported_versions: tuple[int, ...] = field(default=())

    def to_wire(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": self.TYPE,
            "code": self.code.value,
            "message": self.message,
            "fatal": self.fatal,
        }
        if self.supported_versions:
            out["supported_versions"] = list(self.supported_versions)
        return out

    @classmethod
    def from_wire(cls, obj: dict[str, Any]) -> Error:
        code_text = req_str(obj, "code", max_len=64)
        try:
            code = ErrorCode(code_text)
        except ValueError:
            # A newer server may add codes; keep the message rather than fail.
            code = ErrorCode.INTERNAL
        fatal = obj.get("fatal", False)
        versions = obj.get("supported_versions") or []
        return cls(
            code=code,
            message=req_str(obj, "message", max_len=1024, allow_empty=True),
            fatal=bool(fatal),
            supported_versions=tuple(v for v in versions if isinstance(v, int))
            if isinstance(versions, list)
            else (),
        )

    @classmethod
    def from_exception(cls, exc: ProtocolError, *, fatal: bool = False) -> Error:
        versions = SUPPORTED_VERSIONS if exc.code is ErrorCode.UNSUPPORTED_VERSION else ()
        return cls(code=exc.code, message=exc.reason, fatal=fatal, supported_versions=versions)


@dataclass(frozen=True)
class SfuAccess:
    """The answer to ``sfu_request``: this room's lecture on the Janus SFU.

    ``url`` is Janus's WebSocket API, ``room`` the VideoRoom (a number), ``pin`` its pin,
    ``token`` a signed Janus token that expires, ``feed`` the station's publisher id.
    Whoever holds these may watch the lecture: they go to admitted peers only.
    """

    TYPE: ClassVar[str] = "sfu_access"
    url: str
    room: int
    pin: str
    token: str
    feed: int

    def to_wire(self) -> dict[str, Any]:
        return {
            "type": self.TYPE,
            "url": self.url,
            "room": self.room,
            "pin": self.pin,
            "token": self.token,
            "feed": self.feed,
        }

    @classmethod
    def from_wire(cls, obj: dict[str, Any]) -> SfuAccess:
        url = req_str(obj, "url", max_len=512)
        if not url.startswith(("ws://", "wss://")):
            raise bad("'url' must be a ws:// or wss:// URL")
        return cls(
            url=url,
            room=req_int(obj, "room", lo=1, hi=2**53),
            pin=req_str(obj, "pin", max_len=256),
            token=req_str(obj, "token", max_len=1024),
            feed=req_int(obj, "feed", lo=1, hi=2**53),
        )


ClientMessage = Join | Offer | Answer | Candidate | App | Leave | Ping | SfuRequest | Fanout
ServerMessage = (
    Welcome | PeerJoined | PeerLeft | Offer | Answer | Candidate | App | Pong | Error | SfuAccess
)
Relay = Offer | Answer | Candidate | App

_RELAYS: dict[str, type[Offer | Answer | Candidate | App]] = {
    Offer.TYPE: Offer,
    Answer.TYPE: Answer,
    Candidate.TYPE: Candidate,
    App.TYPE: App,
}


def parse_client_message(data: str | bytes) -> ClientMessage:
    """Decode what a client sent to the server; raises :class:`ProtocolError`."""
    obj = decode_object(data, max_bytes=MAX_SIGNAL_BYTES)
    kind = message_type(obj)
    if kind == Join.TYPE:
        return Join.from_wire(obj)
    if kind in _RELAYS:
        return _RELAYS[kind].from_wire(obj, "to")
    if kind == Leave.TYPE:
        return Leave()
    if kind == Ping.TYPE:
        return Ping()
    if kind == SfuRequest.TYPE:
        return SfuRequest.from_wire(obj)
    if kind == Fanout.TYPE:
        return Fanout.from_wire(obj)
    raise ProtocolError(ErrorCode.UNKNOWN_TYPE, f"unknown message type {kind[:40]!r}")


def parse_server_message(data: str | bytes) -> ServerMessage:
    """Decode what the server sent to a client; raises :class:`ProtocolError`."""
    obj = decode_object(data, max_bytes=MAX_SIGNAL_BYTES)
    kind = message_type(obj)
    if kind in _RELAYS:
        return _RELAYS[kind].from_wire(obj, "from")
    parsers: dict[str, Callable[[Any], ServerMessage]] = {
        Welcome.TYPE: Welcome.from_wire,
        PeerJoined.TYPE: PeerJoined.from_wire,
        PeerLeft.TYPE: PeerLeft.from_wire,
        Pong.TYPE: lambda _obj: Pong(),
        Error.TYPE: Error.from_wire,
        SfuAccess.TYPE: SfuAccess.from_wire,
    }
    parser = parsers.get(kind)
    if parser is None:
        raise ProtocolError(ErrorCode.UNKNOWN_TYPE, f"unknown message type {kind[:40]!r}")
    return parser(obj)


def encode_client(msg: ClientMessage) -> str:
    if isinstance(msg, Offer | Answer | Candidate | App):
        return encode_object(msg.to_wire("to"))
    return encode_object(msg.to_wire())


def encode_server(msg: ServerMessage) -> str:
    if isinstance(msg, Offer | Answer | Candidate | App):
        return encode_object(msg.to_wire("from"))
    return encode_object(msg.to_wire())
