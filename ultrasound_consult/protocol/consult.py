"""The consult service's wire messages: enrollment, presence, calling and requests.

JSON text frames on the server's ``/consult`` WebSocket path, apart from the room
signalling of :mod:`ultrasound_consult.protocol.signaling` (a call, once accepted, is
joined there with the invite the server hands out in ``call_ready``). Every message
that asks for something gets an answer: the reply named below, or ``error`` with a
code and a reason. docs/protocol.md ("Consult service") lists every field.

Pure: no I/O. Decoding validates and raises :class:`ProtocolError` with the reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Any, ClassVar

from ultrasound_consult.protocol.errors import ErrorCode, ProtocolError
from ultrasound_consult.protocol.fields import (
    bad,
    decode_object,
    encode_object,
    message_type,
    opt_id,
    opt_str,
    req_bool,
    req_enum,
    req_id,
    req_int,
    req_list,
    req_object,
    req_str,
)
from ultrasound_consult.protocol.opinion import MAX_VERSION, Opinion
from ultrasound_consult.protocol.signaling import MAX_NAME_CHARS, Role

CONSULT_VERSION = 1
MAX_CONSULT_BYTES = 64 * 1024
#: An expert's app rings this long unless the server says otherwise.
RING_TIMEOUT_S = 45.0
MAX_QUESTION_CHARS = 2000
MAX_DIRECTORY = 2000
_SPECIALTY_RE = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
_TIME_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
#: A local reference: the clinic's own number for the patient's visit, never a name.
#: Letters, digits and ./-_ only, and at least one digit: "PZ-2026-0142" passes,
#: "Wang Li" or "WangLi" does not.
_REFERENCE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_./-]{0,31}$")


class DeviceKind(StrEnum):
    STATION = "station"
    EXPERT = "expert"
    TRAINER = "trainer"
    TRAINEE = "trainee"


class Duty(StrEnum):
    OFF = "off"
    ON = "on"
    BUSY = "busy"
    #: On duty within the weekly hours only.
    HOURS = "hours"


class Status(StrEnum):
    OFFLINE = "offline"
    ONLINE = "online"
    ON_DUTY = "on_duty"
    BUSY = "busy"
    IN_CALL = "in_call"


class CallKind(StrEnum):
    CONSULT = "consult"
    TEACHING = "teaching"
    QC = "qc"


class Urgency(StrEnum):
    ROUTINE = "routine"
    SOON = "soon"
    URGENT = "urgent"


class CallFailure(StrEnum):
    """Why a call found no one; each comes with what to do next."""

    NOBODY = "nobody"  # no one on duty for it
    BUSY = "busy"  # those on duty are all busy or in a call
    DECLINED = "declined"  # everyone rung declined
    NO_ANSWER = "no_answer"  # the ring timed out
    CANCELLED = "cancelled"  # the caller hung up first
    OFFLINE = "offline"  # the person called is not connected
    INTERRUPTED = "interrupted"  # the server restarted mid-ring


#: The role each kind of device joins a call's room with.
ROOM_ROLE = {
    DeviceKind.STATION: Role.STATION,
    DeviceKind.EXPERT: Role.EXPERT,
    DeviceKind.TRAINER: Role.TRAINER,
    DeviceKind.TRAINEE: Role.OBSERVER,
}


def check_specialty(value: str, name: str = "specialty") -> str:
    if not _SPECIALTY_RE.match(value):
        raise bad(f"'{name}' must be a short lower-case word like msk or ob-gyn")
    return value


def check_reference(value: str) -> str:
    """Refuse what looks like a patient's name rather than the clinic's own number."""
    if value and (not _REFERENCE_RE.match(value) or not any(c.isdigit() for c in value)):
        raise bad(
            "'reference' must be the clinic's own number for the visit (letters, digits, "
            "- . / _, with at least one digit, e.g. PZ-2026-0142), never a patient's name"
        )
    return value


def parse_target(text: str) -> tuple[str, str]:
    """``"specialty:msk"`` or ``"device:<id>"`` -> (kind, value)."""
    kind, _, value = text.partition(":")
    if kind == "specialty":
        return kind, check_specialty(value, "target")
    if kind == "device" and re.fullmatch(r"[0-9a-f]{1,16}", value):
        return kind, value
    raise bad("'target' must be 'specialty:NAME' or 'device:ID'")


@dataclass(frozen=True)
class DutyHours:
    """One weekly span, in UTC: ``day`` 0 = Monday; ``end`` after ``start``."""

    day: int
    start: str
    end: str

    def to_wire(self) -> dict[str, Any]:
        return {"day": self.day, "start": self.start, "end": self.end}

    @classmethod
    def from_wire(cls, obj: Any) -> DutyHours:
        if not isinstance(obj, dict):
            raise bad("'hours' entries must be objects")
        day = req_int(obj, "day", lo=0, hi=6)
        start, end = req_str(obj, "start", max_len=5), req_str(obj, "end", max_len=5)
        if not _TIME_RE.match(start) or not _TIME_RE.match(end) or end <= start:
            raise bad("duty hours are 'HH:MM' with 'end' after 'start' (same day)")
        return cls(day, start, end)

    def covers(self, weekday: int, hhmm: str) -> bool:
        return weekday == self.day and self.start <= hhmm < self.end


@dataclass(frozen=True)
class DeviceEntry:
    """A device as the directory shows it; ``status`` only in directory replies."""

    id: str
    kind: DeviceKind
    name: str
    site: str = ""
    specialties: tuple[str, ...] = ()
    status: Status = Status.OFFLINE

    def to_wire(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind.value,
            "name": self.name,
            "site": self.site,
            "specialties": list(self.specialties),
            "status": self.status.value,
        }

    @classmethod
    def from_wire(cls, obj: Any) -> DeviceEntry:
        if not isinstance(obj, dict):
            raise bad("device entries must be objects")
        specialties = req_list(obj, "specialties", max_len=16)
        return cls(
            id=req_id(obj, "id"),
            kind=req_enum(obj, "kind", DeviceKind),
            name=req_str(obj, "name", max_len=MAX_NAME_CHARS),
            site=req_str(obj, "site", max_len=MAX_NAME_CHARS, allow_empty=True),
            specialties=tuple(
                check_specialty(s) if isinstance(s, str) else "" for s in specialties
            ),
            status=req_enum(obj, "status", Status),
        )


@dataclass(frozen=True)
class RequestInfo:
    """A consult request as it travels; ``reference`` only to its own station."""

    id: str
    station: str
    site: str
    exam: str
    specialty: str
    question: str
    urgency: Urgency
    preferred_time: str
    status: str
    created_at: float
    reference: str = ""
    taken_by: str = ""
    #: The station's device id: an expert calls it back with ``device:ID``.
    station_id: str = ""

    def to_wire(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["urgency"] = self.urgency.value
        return out

    @classmethod
    def from_wire(cls, obj: Any) -> RequestInfo:
        if not isinstance(obj, dict):
            raise bad("'request' must be an object")
        created = obj.get("created_at")
        if isinstance(created, bool) or not isinstance(created, int | float):
            raise bad("'created_at' must be a number")
        return cls(
            id=req_id(obj, "id"),
            station=req_str(obj, "station", max_len=MAX_NAME_CHARS, allow_empty=True),
            site=req_str(obj, "site", max_len=MAX_NAME_CHARS, allow_empty=True),
            exam=req_str(obj, "exam", max_len=64),
            specialty=req_str(obj, "specialty", max_len=32, allow_empty=True),
            question=req_str(obj, "question", max_len=MAX_QUESTION_CHARS),
            urgency=req_enum(obj, "urgency", Urgency),
            preferred_time=req_str(obj, "preferred_time", max_len=32, allow_empty=True),
            status=req_str(obj, "status", max_len=12),
            created_at=float(created),
            reference=opt_str(obj, "reference", max_len=32, default="") or "",
            taken_by=opt_str(obj, "taken_by", max_len=MAX_NAME_CHARS, default="") or "",
            station_id=opt_id(obj, "station_id") or "",
        )


class _Message:
    """Messages are flat dataclasses: ``to_wire`` is their fields plus ``type``."""

    TYPE: ClassVar[str]

    def to_wire(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.TYPE}
        for f in fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if hasattr(value, "to_wire"):
                value = value.to_wire()
            elif isinstance(value, tuple):
                value = [v.to_wire() if hasattr(v, "to_wire") else v for v in value]
            elif isinstance(value, StrEnum):
                value = value.value
            out[f.name] = value
        return out


# --- client -> server --------------------------------------------------------


@dataclass(frozen=True)
class Redeem(_Message):
    """Exchange an enrollment code for a credential; answered by ``enrolled``."""

    TYPE: ClassVar[str] = "redeem"
    code: str
    v: int = CONSULT_VERSION


@dataclass(frozen=True)
class Hello(_Message):
    """Sign in with a device credential; answered by ``ready``."""

    TYPE: ClassVar[str] = "hello"
    credential: str
    v: int = CONSULT_VERSION
    #: An expert's or trainer's signing key (base64 Ed25519), registered at the first
    #: sign-in: the key its opinions must carry.
    signing_key: str = ""


@dataclass(frozen=True)
class SetDuty(_Message):
    """An expert's duty switch (and weekly hours); answered by ``ok``."""

    TYPE: ClassVar[str] = "duty"
    duty: Duty
    hours: tuple[DutyHours, ...] | None = None

    def to_wire(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.TYPE, "duty": self.duty.value}
        if self.hours is not None:
            out["hours"] = [h.to_wire() for h in self.hours]
        return out


@dataclass(frozen=True)
class GetDirectory(_Message):
    """Answered by ``directory``."""

    TYPE: ClassVar[str] = "get_directory"


@dataclass(frozen=True)
class PlaceCall(_Message):
    """Ring a specialty's on-duty experts or one device; answered by ``ringing`` or
    ``call_failed``."""

    TYPE: ClassVar[str] = "call"
    target: str
    kind: CallKind = CallKind.CONSULT
    request_id: str | None = None


@dataclass(frozen=True)
class Accept(_Message):
    """Answered by ``call_ready`` (first to accept) or ``ring_stop`` (someone else did)."""

    TYPE: ClassVar[str] = "accept"
    call_id: str


@dataclass(frozen=True)
class Decline(_Message):
    TYPE: ClassVar[str] = "decline"
    call_id: str


@dataclass(frozen=True)
class Cancel(_Message):
    """The caller hangs up while it rings; answered by ``call_failed`` (cancelled)."""

    TYPE: ClassVar[str] = "cancel"
    call_id: str


@dataclass(frozen=True)
class HangUp(_Message):
    """A call that was answered ends (for the consult log); answered by ``ok``."""

    TYPE: ClassVar[str] = "hang_up"
    call_id: str
    recorded: bool = False
    #: The expert's written opinion reached the station in this call.
    opinion: bool = False


@dataclass(frozen=True)
class SubmitOpinion(_Message):
    """An expert's signed opinion for a call of theirs, through the server: after the
    call, or when its data channel is gone. Answered by ``ok`` once the server keeps it;
    the call's station gets it (``opinion``) now or when it next signs in."""

    TYPE: ClassVar[str] = "submit_opinion"
    call_id: str
    opinion: Opinion


@dataclass(frozen=True)
class OpinionKept(_Message):
    """The station has kept an opinion the server handed it; answered by ``ok``."""

    TYPE: ClassVar[str] = "opinion_kept"
    opinion_id: str
    version: int


@dataclass(frozen=True)
class InviteTrainee(_Message):
    """A trainer (or expert) in a call brings an enrolled trainee in; answered by ``ok``."""

    TYPE: ClassVar[str] = "invite_trainee"
    call_id: str
    device_id: str


@dataclass(frozen=True)
class LeaveRequest(_Message):
    """A station's consult request; answered by ``request_status``."""

    TYPE: ClassVar[str] = "request"
    exam: str
    question: str
    urgency: Urgency
    specialty: str = ""
    preferred_time: str = ""
    reference: str = ""


@dataclass(frozen=True)
class GetQueue(_Message):
    """Experts: the open requests; stations: their own. Answered by ``queue``."""

    TYPE: ClassVar[str] = "get_queue"


@dataclass(frozen=True)
class TakeRequest(_Message):
    """An expert takes a request (then calls back); answered by ``request_status``."""

    TYPE: ClassVar[str] = "take"
    request_id: str


@dataclass(frozen=True)
class ConsultPing(_Message):
    TYPE: ClassVar[str] = "ping"


# --- server -> client --------------------------------------------------------


@dataclass(frozen=True)
class Enrolled(_Message):
    """The credential, shown this once: the app stores it owner-only."""

    TYPE: ClassVar[str] = "enrolled"
    device: DeviceEntry
    credential: str


@dataclass(frozen=True)
class Ready(_Message):
    TYPE: ClassVar[str] = "ready"
    device: DeviceEntry
    duty: Duty
    hours: tuple[DutyHours, ...] = ()
    heartbeat_s: float = 15.0
    ring_timeout_s: float = RING_TIMEOUT_S


@dataclass(frozen=True)
class Ok(_Message):
    TYPE: ClassVar[str] = "ok"
    re: str


@dataclass(frozen=True)
class Directory(_Message):
    TYPE: ClassVar[str] = "directory"
    devices: tuple[DeviceEntry, ...]


@dataclass(frozen=True)
class Presence(_Message):
    """Pushed to every connected device when someone's status changes."""

    TYPE: ClassVar[str] = "presence"
    device: DeviceEntry


@dataclass(frozen=True)
class Ringing(_Message):
    """To the caller: ``rung`` devices are ringing."""

    TYPE: ClassVar[str] = "ringing"
    call_id: str
    rung: int
    timeout_s: float


@dataclass(frozen=True)
class Ring(_Message):
    """To each callee: ring (sound, raised window) for ``timeout_s``."""

    TYPE: ClassVar[str] = "ring"
    call_id: str
    caller: DeviceEntry
    target: str
    kind: CallKind
    timeout_s: float
    request: RequestInfo | None = None


@dataclass(frozen=True)
class RingStop(_Message):
    """Stop ringing: ``reason`` is a :class:`CallFailure` or ``taken`` (by ``taken_by``)."""

    TYPE: ClassVar[str] = "ring_stop"
    call_id: str
    reason: str
    taken_by: str = ""


@dataclass(frozen=True)
class Declined(_Message):
    """To the caller: one callee declined; others may still answer."""

    TYPE: ClassVar[str] = "declined"
    call_id: str
    by: str


@dataclass(frozen=True)
class CallReady(_Message):
    """To both ends (and an invited trainee): join ``room`` as ``role`` with ``token``
    through the ordinary room signalling; ``peer`` is who is on the other end."""

    TYPE: ClassVar[str] = "call_ready"
    call_id: str
    room: str
    role: Role
    token: str
    peer: DeviceEntry


@dataclass(frozen=True)
class CallFailed(_Message):
    TYPE: ClassVar[str] = "call_failed"
    call_id: str
    reason: CallFailure
    message: str


@dataclass(frozen=True)
class RequestStatus(_Message):
    TYPE: ClassVar[str] = "request_status"
    request: RequestInfo


@dataclass(frozen=True)
class Queue(_Message):
    TYPE: ClassVar[str] = "queue"
    requests: tuple[RequestInfo, ...]


@dataclass(frozen=True)
class OpinionArrived(_Message):
    """To a station: an expert's signed opinion for one of its calls (``signer``: the
    enrolled name of the expert's device, as the server knows it). Answer with
    ``opinion_kept`` once it is stored; until then it comes again at each sign-in."""

    TYPE: ClassVar[str] = "opinion"
    call_id: str
    signer: str
    opinion: Opinion


@dataclass(frozen=True)
class ConsultPong(_Message):
    TYPE: ClassVar[str] = "pong"


@dataclass(frozen=True)
class ConsultError(_Message):
    """A refusal; after a ``fatal`` one the server closes the connection."""

    TYPE: ClassVar[str] = "error"
    code: ErrorCode
    message: str
    fatal: bool = False
    re: str = ""


ClientMessage = (
    Redeem
    | Hello
    | SetDuty
    | GetDirectory
    | PlaceCall
    | Accept
    | Decline
    | Cancel
    | HangUp
    | InviteTrainee
    | LeaveRequest
    | GetQueue
    | TakeRequest
    | SubmitOpinion
    | OpinionKept
    | ConsultPing
)
ServerMessage = (
    Enrolled
    | Ready
    | Ok
    | Directory
    | Presence
    | Ringing
    | Ring
    | RingStop
    | Declined
    | CallReady
    | CallFailed
    | RequestStatus
    | Queue
    | OpinionArrived
    | ConsultPong
    | ConsultError
)


def _version(obj: dict[str, Any]) -> int:
    v = req_int(obj, "v", lo=0, hi=1_000_000)
    if v != CONSULT_VERSION:
        raise ProtocolError(
            ErrorCode.UNSUPPORTED_VERSION,
            f"this server speaks consult version {CONSULT_VERSION}; the app sent {v}. "
            "Install the same ultrasound-consult release on both sides.",
        )
    return v


def _call_id(obj: dict[str, Any]) -> str:
    return req_id(obj, "call_id")


def _client_parsers() -> dict[str, Any]:
    def duty(o: dict[str, Any]) -> SetDuty:
        hours = o.get("hours")
        return SetDuty(
            duty=req_enum(o, "duty", Duty),
            hours=None
            if hours is None
            else tuple(DutyHours.from_wire(h) for h in req_list(o, "hours", max_len=28)),
        )

    def call(o: dict[str, Any]) -> PlaceCall:
        target = req_str(o, "target", max_len=80)
        parse_target(target)
        kind = CallKind(o["kind"]) if o.get("kind") in set(CallKind) else None
        if o.get("kind") is not None and kind is None:
            raise bad("'kind' must be consult, teaching or qc")
        return PlaceCall(target, kind or CallKind.CONSULT, opt_id(o, "request_id"))

    def request(o: dict[str, Any]) -> LeaveRequest:
        specialty = (
            req_str(o, "specialty", max_len=32, allow_empty=True) if "specialty" in o else ""
        )
        if specialty:
            check_specialty(specialty)
        preferred = opt_str(o, "preferred_time", max_len=32, default="") or ""
        return LeaveRequest(
            exam=req_str(o, "exam", max_len=64),
            question=req_str(o, "question", max_len=MAX_QUESTION_CHARS),
            urgency=req_enum(o, "urgency", Urgency),
            specialty=specialty,
            preferred_time=preferred,
            reference=check_reference(opt_str(o, "reference", max_len=32, default="") or ""),
        )

    return {
        Redeem.TYPE: lambda o: Redeem(req_str(o, "code", max_len=32), _version(o)),
        Hello.TYPE: lambda o: Hello(
            req_str(o, "credential", max_len=128),
            _version(o),
            opt_str(o, "signing_key", max_len=64, default="") or "",
        ),
        SetDuty.TYPE: duty,
        GetDirectory.TYPE: lambda o: GetDirectory(),
        PlaceCall.TYPE: call,
        Accept.TYPE: lambda o: Accept(_call_id(o)),
        Decline.TYPE: lambda o: Decline(_call_id(o)),
        Cancel.TYPE: lambda o: Cancel(_call_id(o)),
        HangUp.TYPE: lambda o: HangUp(
            _call_id(o),
            req_bool(o, "recorded") if "recorded" in o else False,
            req_bool(o, "opinion") if "opinion" in o else False,
        ),
        InviteTrainee.TYPE: lambda o: InviteTrainee(_call_id(o), req_id(o, "device_id")),
        LeaveRequest.TYPE: request,
        GetQueue.TYPE: lambda o: GetQueue(),
        TakeRequest.TYPE: lambda o: TakeRequest(req_id(o, "request_id")),
        SubmitOpinion.TYPE: lambda o: SubmitOpinion(
            _call_id(o), Opinion.from_wire(req_object(o, "opinion"))
        ),
        OpinionKept.TYPE: lambda o: OpinionKept(
            req_id(o, "opinion_id"), req_int(o, "version", lo=1, hi=MAX_VERSION)
        ),
        ConsultPing.TYPE: lambda o: ConsultPing(),
    }


def _server_parsers() -> dict[str, Any]:
    def entry(o: dict[str, Any], key: str) -> DeviceEntry:
        return DeviceEntry.from_wire(req_object(o, key))

    def ready(o: dict[str, Any]) -> Ready:
        return Ready(
            device=entry(o, "device"),
            duty=req_enum(o, "duty", Duty),
            hours=tuple(DutyHours.from_wire(h) for h in req_list(o, "hours", max_len=28)),
            heartbeat_s=float(o.get("heartbeat_s") or 15.0),
            ring_timeout_s=float(o.get("ring_timeout_s") or RING_TIMEOUT_S),
        )

    def ring(o: dict[str, Any]) -> Ring:
        request = o.get("request")
        return Ring(
            call_id=_call_id(o),
            caller=entry(o, "caller"),
            target=req_str(o, "target", max_len=80),
            kind=req_enum(o, "kind", CallKind),
            timeout_s=float(o.get("timeout_s") or RING_TIMEOUT_S),
            request=RequestInfo.from_wire(request) if request is not None else None,
        )

    def error(o: dict[str, Any]) -> ConsultError:
        try:
            code = ErrorCode(req_str(o, "code", max_len=64))
        except ValueError:
            code = ErrorCode.INTERNAL
        return ConsultError(
            code,
            req_str(o, "message", max_len=1024, allow_empty=True),
            bool(o.get("fatal", False)),
            opt_str(o, "re", max_len=32, default="") or "",
        )

    return {
        Enrolled.TYPE: lambda o: Enrolled(
            entry(o, "device"), req_str(o, "credential", max_len=128)
        ),
        Ready.TYPE: ready,
        Ok.TYPE: lambda o: Ok(req_str(o, "re", max_len=32)),
        Directory.TYPE: lambda o: Directory(
            tuple(DeviceEntry.from_wire(d) for d in req_list(o, "devices", max_len=MAX_DIRECTORY))
        ),
        Presence.TYPE: lambda o: Presence(entry(o, "device")),
        Ringing.TYPE: lambda o: Ringing(
            _call_id(o), req_int(o, "rung", lo=0), float(o.get("timeout_s") or RING_TIMEOUT_S)
        ),
        Ring.TYPE: ring,
        RingStop.TYPE: lambda o: RingStop(
            _call_id(o),
            req_str(o, "reason", max_len=32),
            opt_str(o, "taken_by", max_len=MAX_NAME_CHARS, default="") or "",
        ),
        Declined.TYPE: lambda o: Declined(_call_id(o), req_str(o, "by", max_len=MAX_NAME_CHARS)),
        CallReady.TYPE: lambda o: CallReady(
            _call_id(o),
            req_id(o, "room"),
            req_enum(o, "role", Role),
            req_str(o, "token", max_len=256),
            entry(o, "peer"),
        ),
        CallFailed.TYPE: lambda o: CallFailed(
            _call_id(o), req_enum(o, "reason", CallFailure), req_str(o, "message", max_len=1024)
        ),
        RequestStatus.TYPE: lambda o: RequestStatus(RequestInfo.from_wire(o.get("request"))),
        Queue.TYPE: lambda o: Queue(
            tuple(RequestInfo.from_wire(r) for r in req_list(o, "requests", max_len=1000))
        ),
        OpinionArrived.TYPE: lambda o: OpinionArrived(
            _call_id(o),
            req_str(o, "signer", max_len=MAX_NAME_CHARS),
            Opinion.from_wire(req_object(o, "opinion")),
        ),
        ConsultPong.TYPE: lambda o: ConsultPong(),
        ConsultError.TYPE: error,
    }


_CLIENT = _client_parsers()
_SERVER = _server_parsers()


def parse_consult_client(data: str | bytes) -> ClientMessage:
    """Decode what an app sent to the consult service; raises :class:`ProtocolError`."""
    obj = decode_object(data, max_bytes=MAX_CONSULT_BYTES)
    kind = message_type(obj)
    parser = _CLIENT.get(kind)
    if parser is None:
        raise ProtocolError(ErrorCode.UNKNOWN_TYPE, f"unknown message type {kind[:40]!r}")
    msg: ClientMessage = parser(obj)
    return msg


def parse_consult_server(data: str | bytes) -> ServerMessage:
    """Decode what the consult service sent; raises :class:`ProtocolError`."""
    obj = decode_object(data, max_bytes=MAX_CONSULT_BYTES)
    kind = message_type(obj)
    parser = _SERVER.get(kind)
    if parser is None:
        raise ProtocolError(ErrorCode.UNKNOWN_TYPE, f"unknown message type {kind[:40]!r}")
    msg: ServerMessage = parser(obj)
    return msg


def encode(msg: ClientMessage | ServerMessage) -> str:
    return encode_object(msg.to_wire())
