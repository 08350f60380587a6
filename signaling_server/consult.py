"""The consult service: enrolled devices sign in, show presence, call and ring, leave
requests. It serves the ``/consult`` WebSocket path of the signalling server.

A call rings every matching on-duty expert for ``ring_timeout_s``; the database settles
who accepted first (:meth:`ConsultStore.accept_call`), so it holds across processes.
The winner and the caller get a fresh room and an invite each (``call_ready``): the
apps then join through the ordinary room signalling, with no code typed. The process
where the caller is connected keeps the ring timer.

Logs name devices by id only: never a credential, code, request text or reference.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from signaling_server.enrollment import normalise_code
from signaling_server.presence_board import PresenceBoard
from signaling_server.store import CallRow, ConsultStore, Device, RequestRow, new_id
from signaling_server.tokens import InviteSigner
from ultrasound_consult.protocol.consult import (
    ROOM_ROLE,
    Accept,
    CallFailed,
    CallFailure,
    CallKind,
    CallReady,
    Cancel,
    ConsultError,
    ConsultPing,
    ConsultPong,
    Decline,
    Declined,
    DeviceEntry,
    DeviceKind,
    Directory,
    Duty,
    DutyHours,
    GetDirectory,
    GetQueue,
    HangUp,
    Hello,
    InviteTrainee,
    LeaveRequest,
    Ok,
    PlaceCall,
    Presence,
    Queue,
    Ready,
    Redeem,
    RequestInfo,
    RequestStatus,
    Ring,
    Ringing,
    RingStop,
    ServerMessage,
    SetDuty,
    Status,
    TakeRequest,
    encode,
    parse_consult_client,
    parse_target,
)
from ultrasound_consult.protocol.consult import Enrolled as EnrolledMsg
from ultrasound_consult.protocol.errors import ErrorCode, ProtocolError

logger = logging.getLogger(__name__)

CLOSE_UNAUTHORIZED = 4002
CLOSE_REVOKED = 4003
CLOSE_REPLACED = 4005
CLOSE_RESTART = 1012
#: Failed redemptions or sign-ins one address may make per minute, and the whole
#: server: a 60-bit code cannot be guessed at that rate.
AUTH_FAILURES_PER_ADDRESS = 10
AUTH_FAILURES_PER_SERVER = 100
AUTH_WINDOW_S = 60.0
#: Invites handed out for a call's room: long enough for a long consult and a resume.
CALL_INVITE_TTL_S = 12 * 3600.0
EXPERT_KINDS = (DeviceKind.EXPERT, DeviceKind.TRAINER)

NEXT_STEP = {
    CallFailure.NOBODY: "nobody is on duty for {what} now: leave a request, and an expert "
    "will call back",
    CallFailure.BUSY: "everyone on duty for {what} is busy: try again in a few minutes, or "
    "leave a request",
    CallFailure.DECLINED: "{what}: every expert rung declined; leave a request, or try again later",
    CallFailure.NO_ANSWER: "no answer from {what}: try again, or leave a request",
    CallFailure.CANCELLED: "the call was cancelled",
    CallFailure.OFFLINE: "{what} is not connected now: leave a request, or call a specialty",
    CallFailure.INTERRUPTED: "the server restarted while it was ringing: call again",
}


def failure_message(reason: CallFailure, what: str) -> str:
    if reason is CallFailure.BUSY and what.startswith("device:"):
        return f"{what[7:]} is busy or in a call: try again later, or leave a request"
    return NEXT_STEP[reason].format(what=what)


class AuthLimiter:
    """Failed redemptions and sign-ins, per address and overall, in a sliding minute."""

    def __init__(self) -> None:
        self._by_address: dict[str, deque[float]] = defaultdict(deque)
        self._all: deque[float] = deque()

    def blocked(self, address: str, now: float) -> bool:
        for q in (self._by_address[address], self._all):
            while q and now - q[0] > AUTH_WINDOW_S:
                q.popleft()
        return (
            len(self._by_address[address]) >= AUTH_FAILURES_PER_ADDRESS
            or len(self._all) >= AUTH_FAILURES_PER_SERVER
        )

    def failed(self, address: str, now: float) -> None:
        self._by_address[address].append(now)
        self._all.append(now)
        if len(self._by_address) > 10_000:
            self._by_address.clear()


@dataclass(eq=False)
class _Session:
    ws: ServerConnection
    address: str
    device: Device | None = None
    queue: asyncio.Queue[str | tuple[int, str]] = field(
        default_factory=lambda: asyncio.Queue(maxsize=256)
    )


def entry_of(device: Device, status: Status = Status.OFFLINE) -> DeviceEntry:
    return DeviceEntry(
        id=device.id,
        kind=device.kind,
        name=device.name,
        site=device.site,
        specialties=device.specialties,
        status=status,
    )


def status_of(entry: dict[str, Any] | None, now: float) -> Status:
    """A device's status from its presence entry (None: not connected)."""
    if entry is None:
        return Status.OFFLINE
    if entry.get("in_call"):
        return Status.IN_CALL
    if entry["device"]["kind"] not in (k.value for k in EXPERT_KINDS):
        return Status.ONLINE
    duty = entry.get("duty", "off")
    if duty == Duty.ON:
        return Status.ON_DUTY
    if duty == Duty.BUSY:
        return Status.BUSY
    if duty == Duty.HOURS:
        moment = datetime.fromtimestamp(now, UTC)
        hhmm = moment.strftime("%H:%M")
        hours = [DutyHours.from_wire(h) for h in entry.get("hours", [])]
        if any(h.covers(moment.weekday(), hhmm) for h in hours):
            return Status.ON_DUTY
    return Status.ONLINE


class ConsultService:
    def __init__(
        self,
        store: ConsultStore,
        board: PresenceBoard,
        signer: InviteSigner,
        *,
        ring_timeout_s: float = 45.0,
    ) -> None:
        self.store = store
        self.board = board
        self.signer = signer
        self.ring_timeout_s = ring_timeout_s
        self.limiter = AuthLimiter()
        self._sessions: dict[str, _Session] = {}
        self._all: set[_Session] = set()
        self._timers: dict[str, asyncio.Task[None]] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._revoked_checked = time.time()

    async def start(self) -> None:
        await self.board.start(self._deliver)
        self._tasks.append(asyncio.create_task(self._watch_revocations(), name="revocations"))

    async def close(self) -> None:
        for task in [*self._tasks, *self._timers.values()]:
            task.cancel()
        for session in list(self._all):
            # Apps reconnect on 1012 (service restart) and tell their user about a ring.
            self._push(session, (CLOSE_RESTART, "server restarting"))
        await self.board.close()

    # --- connections -----------------------------------------------------------

    async def handle(self, ws: ServerConnection) -> None:
        address = ws.remote_address[0] if isinstance(ws.remote_address, tuple) else ""
        session = _Session(ws, str(address))
        self._all.add(session)
        writer = asyncio.create_task(self._write(session))
        try:
            async for data in ws:
                kind = ""
                try:
                    msg = parse_consult_client(data)
                    kind = msg.TYPE
                    await self._dispatch(session, msg)
                except ProtocolError as exc:
                    fatal = exc.code is ErrorCode.UNSUPPORTED_VERSION
                    self._error(session, exc, fatal=fatal, re=kind)
                except Exception:
                    logger.exception("consult message failed")
                    failed = ProtocolError(ErrorCode.INTERNAL, "the server failed; try again")
                    self._error(session, failed, re=kind)
        except ConnectionClosed:
            pass
        finally:
            self._all.discard(session)
            await self._signed_out(session)
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer

    async def _write(self, session: _Session) -> None:
        with contextlib.suppress(ConnectionClosed):
            while True:
                item = await session.queue.get()
                if isinstance(item, tuple):
                    await session.ws.close(*item)
                    return
                await session.ws.send(item)

    def _push(self, session: _Session, item: str | tuple[int, str]) -> None:
        try:
            session.queue.put_nowait(item)
        except asyncio.QueueFull:
            logger.warning("a consult connection reads too slowly; closing it")
            session.queue = asyncio.Queue(maxsize=1)
            session.queue.put_nowait((1008, "reading too slowly"))

    def _send(self, session: _Session, msg: ServerMessage) -> None:
        self._push(session, encode(msg))

    def _error(
        self,
        session: _Session,
        exc: ProtocolError,
        *,
        fatal: bool = False,
        re: str = "",
        close: int = 1008,
    ) -> None:
        self._send(session, ConsultError(exc.code, exc.reason, fatal, re))
        if fatal:
            self._push(session, (close, exc.reason[:120]))

    def _deliver(self, device_id: str, text: str) -> None:
        session = self._sessions.get(device_id)
        if session is not None:
            self._push(session, text)

    async def _to(self, device_ids: list[str], msg: ServerMessage) -> None:
        await self.board.send(device_ids, encode(msg))

    # --- dispatch --------------------------------------------------------------

    async def _dispatch(self, session: _Session, msg: object) -> None:
        if isinstance(msg, ConsultPing):
            self._send(session, ConsultPong())
            return
        if isinstance(msg, Redeem):
            await self._redeem(session, msg)
            return
        if isinstance(msg, Hello):
            await self._hello(session, msg)
            return
        device = session.device
        if device is None:
            raise ProtocolError(ErrorCode.NOT_JOINED, "send 'hello' with the credential first")
        handler = {
            SetDuty: self._duty,
            GetDirectory: self._directory,
            PlaceCall: self._call,
            Accept: self._accept,
            Decline: self._decline,
            Cancel: self._cancel,
            HangUp: self._hang_up,
            InviteTrainee: self._invite_trainee,
            LeaveRequest: self._request,
            GetQueue: self._queue,
            TakeRequest: self._take,
        }[type(msg)]
        await handler(session, device, msg)  # type: ignore[operator]

    async def _redeem(self, session: _Session, msg: Redeem) -> None:
        now = time.time()
        if self.limiter.blocked(session.address, now):
            raise ProtocolError(ErrorCode.RATE_LIMITED, "too many attempts; wait a minute")
        code = normalise_code(msg.code)
        result = await self.store.run(self.store.redeem, code) if code else None
        if result is None:
            self.limiter.failed(session.address, now)
            raise ProtocolError(
                ErrorCode.TOKEN_INVALID,
                "this enrollment code is not valid: mistyped, used already, or expired. "
                "Ask IT for a new one.",
            )
        device, credential = result
        logger.info("device %s (%s) enrolled", device.id, device.kind.value)
        self._send(session, EnrolledMsg(entry_of(device), credential))

    async def _hello(self, session: _Session, msg: Hello) -> None:
        now = time.time()
        if session.device is not None:
            raise ProtocolError(ErrorCode.ALREADY_JOINED, "already signed in")
        if self.limiter.blocked(session.address, now):
            raise ProtocolError(ErrorCode.RATE_LIMITED, "too many attempts; wait a minute")
        device = await self.store.run(self.store.authenticate, msg.credential)
        if device is None:
            self.limiter.failed(session.address, now)
            self._error(
                session,
                ProtocolError(
                    ErrorCode.UNAUTHORIZED,
                    "this device's credential is not valid or was revoked; enroll it again",
                ),
                fatal=True,
                close=CLOSE_UNAUTHORIZED,
            )
            return
        old = self._sessions.get(device.id)
        if old is not None:
            old.device = None
            self._push(old, (CLOSE_REPLACED, "signed in elsewhere"))
        session.device = device
        self._sessions[device.id] = session
        # A station back after losing its server mid-ring: those rings are over.
        for call_id in await self.store.run(self.store.interrupt_calls_of, device.id, now):
            logger.info("call %s interrupted (its caller reconnected)", call_id)
        await self.board.set_in_call([device.id], False)
        status = await self._put_entry(device)
        logger.info("device %s signed in", device.id)
        self._send(
            session,
            Ready(
                entry_of(device, status),
                Duty(device.duty),
                tuple(DutyHours.from_wire(h) for h in device.duty_hours),
                ring_timeout_s=self.ring_timeout_s,
            ),
        )
        await self._broadcast(Presence(entry_of(device, status)))

    async def _signed_out(self, session: _Session) -> None:
        device = session.device
        if device is None or self._sessions.get(device.id) is not session:
            return
        del self._sessions[device.id]
        await self.board.remove(device.id, self.board.proc)
        await self._broadcast(Presence(entry_of(device, Status.OFFLINE)))
        logger.info("device %s signed out", device.id)

    async def _put_entry(self, device: Device) -> Status:
        """(Re)write this device's presence entry; its status now."""
        entry = {
            "device": entry_of(device).to_wire(),
            "duty": device.duty,
            "hours": list(device.duty_hours),
        }
        await self.board.put(device.id, entry)
        return status_of(await self._entry(device.id), time.time())

    async def _publish(self, device: Device) -> None:
        """(Re)write this device's presence entry and tell everyone its status."""
        status = await self._put_entry(device)
        await self._broadcast(Presence(entry_of(device, status)))

    async def _entry(self, device_id: str) -> dict[str, Any] | None:
        return (await self.board.entries()).get(device_id)

    async def _broadcast(self, msg: ServerMessage) -> None:
        await self.board.send(list((await self.board.entries()).keys()), encode(msg))

    # --- presence and duty -------------------------------------------------------

    async def _duty(self, session: _Session, device: Device, msg: SetDuty) -> None:
        if device.kind not in EXPERT_KINDS:
            raise ProtocolError(ErrorCode.FORBIDDEN, "only experts and trainers go on duty")
        hours = None if msg.hours is None else [h.to_wire() for h in msg.hours]
        await self.store.run(self.store.set_duty, device.id, msg.duty.value, hours)
        updated = await self.store.run(self.store.device, device.id)
        assert updated is not None
        session.device = updated
        await self._publish(updated)
        self._send(session, Ok(SetDuty.TYPE))

    async def _directory(self, session: _Session, device: Device, msg: GetDirectory) -> None:
        now = time.time()
        entries = await self.board.entries()
        devices = await self.store.run(lambda: self.store.devices(include_revoked=False))
        listed = tuple(
            entry_of(d, status_of(entries.get(d.id), now)) for d in devices if d.enrolled_at
        )
        self._send(session, Directory(listed))

    # --- calls -----------------------------------------------------------------

    async def _call(self, session: _Session, device: Device, msg: PlaceCall) -> None:
        now = time.time()
        call_id = new_id()
        kind, value = parse_target(msg.target)
        entries = await self.board.entries()
        request = None
        if msg.request_id is not None:
            request = await self.store.run(self.store.request, msg.request_id)
            if request is None:
                raise ProtocolError(ErrorCode.CONFLICT, "no such request")
        if kind == "specialty":
            what = value.upper() if len(value) <= 4 else value
            matching = [
                (d, e)
                for d, e in entries.items()
                if d != device.id
                and e["device"]["kind"] in (k.value for k in EXPERT_KINDS)
                and value in e["device"]["specialties"]
            ]
            rung = [d for d, e in matching if status_of(e, now) is Status.ON_DUTY]
            if not rung:
                busy = any(status_of(e, now) in (Status.BUSY, Status.IN_CALL) for _, e in matching)
                reason = CallFailure.BUSY if busy else CallFailure.NOBODY
                await self._refuse_call(session, device, call_id, msg, reason, what, now)
                return
        else:
            target = entries.get(value)
            callee = await self.store.run(self.store.device, value)
            if callee is None or callee.revoked_at is not None or value == device.id:
                raise ProtocolError(ErrorCode.UNKNOWN_PEER, "no such device in the directory")
            what = callee.name
            status = status_of(target, now)
            if status is Status.OFFLINE:
                await self._refuse_call(
                    session, device, call_id, msg, CallFailure.OFFLINE, what, now
                )
                return
            if status in (Status.BUSY, Status.IN_CALL):
                busy = CallFailure.BUSY
                await self._refuse_call(session, device, call_id, msg, busy, f"device:{what}", now)
                return
            rung = [value]
        station_id = device.id if device.kind is DeviceKind.STATION else None
        if (
            station_id is None
            and kind == "device"
            and entries[value]["device"]["kind"] == "station"
        ):
            station_id = value
        call = CallRow(
            id=call_id,
            kind=msg.kind.value,
            caller_id=device.id,
            station_id=station_id,
            site=device.site if device.kind is DeviceKind.STATION else "",
            target=msg.target,
            state="ringing",
            outcome=None,
            expert_id=None,
            rung=rung,
            request_id=msg.request_id,
            requested_at=now,
        )
        if call.station_id and not call.site:
            station = await self.store.run(self.store.device, call.station_id)
            call.site = station.site if station else ""
        await self.store.run(self.store.start_call, call)
        self._send(session, Ringing(call_id, len(rung), self.ring_timeout_s))
        info = self._request_info(request, device, with_reference=False) if request else None
        await self._to(
            rung,
            Ring(
                call_id,
                entry_of(device, Status.ONLINE),
                msg.target,
                msg.kind,
                self.ring_timeout_s,
                info,
            ),
        )
        logger.info("call %s from %s rings %d device(s)", call_id, device.id, len(rung))
        self._timers[call_id] = asyncio.create_task(self._ring_timeout(call_id, what))

    async def _refuse_call(
        self,
        session: _Session,
        device: Device,
        call_id: str,
        msg: PlaceCall,
        reason: CallFailure,
        what: str,
        now: float,
    ) -> None:
        """Nobody to ring: logged as a call that failed, and the caller told what next."""
        call = CallRow(
            id=call_id,
            kind=msg.kind.value,
            caller_id=device.id,
            station_id=device.id if device.kind is DeviceKind.STATION else None,
            site=device.site,
            target=msg.target,
            state="failed",
            outcome=reason.value,
            expert_id=None,
            requested_at=now,
            ended_at=now,
            request_id=msg.request_id,
        )
        await self.store.run(self.store.start_call, call)
        self._send(session, CallFailed(call_id, reason, failure_message(reason, what)))

    async def _ring_timeout(self, call_id: str, what: str) -> None:
        await asyncio.sleep(self.ring_timeout_s)
        self._timers.pop(call_id, None)
        await self._fail(call_id, CallFailure.NO_ANSWER, what)

    async def _fail(self, call_id: str, reason: CallFailure, what: str) -> None:
        call = await self.store.run(self.store.fail_call, call_id, reason.value, time.time())
        if call is None:
            return  # answered (maybe on another process) or already over
        timer = self._timers.pop(call_id, None)
        if timer is not None and timer is not asyncio.current_task():
            timer.cancel()
        logger.info("call %s failed: %s", call_id, reason.value)
        await self._to([call.caller_id], CallFailed(call_id, reason, failure_message(reason, what)))
        await self._to(call.rung, RingStop(call_id, reason.value))

    async def _rung_call(self, device: Device, call_id: str) -> CallRow:
        call = await self.store.run(self.store.call, call_id)
        if call is None or device.id not in call.rung:
            raise ProtocolError(ErrorCode.UNKNOWN_PEER, "no such call rang here")
        return call

    async def _accept(self, session: _Session, device: Device, msg: Accept) -> None:
        call = await self._rung_call(device, msg.call_id)
        room = f"call-{call.id}-{secrets.token_hex(4)}"
        now = time.time()
        caller = await self.store.run(self.store.device, call.caller_id)
        if caller is None:
            raise ProtocolError(ErrorCode.CONFLICT, "the caller is no longer enrolled")
        experts = [d.id for d in (caller, device) if d.kind in EXPERT_KINDS]
        won = await self.store.run(
            lambda: self.store.accept_call(call.id, device.id, room, now, experts=experts)
        )
        if won is None:
            current = await self.store.run(self.store.call, call.id)
            taker = ""
            if current is not None and current.expert_id:
                other = await self.store.run(self.store.device, current.expert_id)
                taker = other.name if other else ""
            reason = "taken" if taker else (current.outcome if current else "") or "over"
            self._send(session, RingStop(call.id, reason, taker))
            return
        timer = self._timers.pop(call.id, None)
        if timer is not None:
            timer.cancel()
        logger.info("call %s accepted by %s", call.id, device.id)
        await self.board.set_in_call([device.id, caller.id], True)
        for who, other in ((device, caller), (caller, device)):
            role = ROOM_ROLE[who.kind]
            token = self.signer.mint(room, role, ttl_s=CALL_INVITE_TTL_S, now=now).code()
            await self._to(
                [who.id], CallReady(call.id, room, role, token, entry_of(other, Status.IN_CALL))
            )
        others = [d for d in call.rung if d != device.id]
        await self._to(others, RingStop(call.id, "taken", device.name))
        for who in (device, caller):
            await self._broadcast(Presence(entry_of(who, Status.IN_CALL)))
        if call.request_id:
            await self._request_changed(call.request_id, "called", call.id)

    async def _decline(self, session: _Session, device: Device, msg: Decline) -> None:
        await self._rung_call(device, msg.call_id)
        call = await self.store.run(self.store.decline_call, msg.call_id)
        self._send(session, RingStop(msg.call_id, "declined"))
        if call is None:
            return
        await self._to([call.caller_id], Declined(call.id, device.name))
        if call.declines >= len(call.rung):
            what = call.target.partition(":")[2]
            if call.target.startswith("specialty:"):
                what = what.upper() if len(what) <= 4 else what
            else:
                what = device.name
            await self._fail(call.id, CallFailure.DECLINED, what)

    async def _cancel(self, session: _Session, device: Device, msg: Cancel) -> None:
        call = await self.store.run(self.store.call, msg.call_id)
        if call is None or call.caller_id != device.id:
            raise ProtocolError(ErrorCode.UNKNOWN_PEER, "no such call of yours")
        if call.state != "ringing":
            raise ProtocolError(ErrorCode.CONFLICT, f"the call is {call.state}, not ringing")
        await self._fail(call.id, CallFailure.CANCELLED, "")

    def _participants(self, call: CallRow) -> list[str]:
        people = [call.caller_id, call.station_id, call.expert_id, *call.experts, *call.trainees]
        return list(dict.fromkeys(p for p in people if p))

    async def _hang_up(self, session: _Session, device: Device, msg: HangUp) -> None:
        call = await self.store.run(self.store.call, msg.call_id)
        if call is None or device.id not in self._participants(call):
            raise ProtocolError(ErrorCode.UNKNOWN_PEER, "no such call of yours")
        ended = await self.store.run(
            lambda: self.store.end_call(
                call.id, time.time(), recorded=msg.recorded, outcome="completed"
            )
        )
        if ended:
            people = self._participants(call)
            await self.board.set_in_call(people, False)
            entries = await self.board.entries()
            for person in people:
                if person in entries:
                    d = entries[person]
                    await self._broadcast(
                        Presence(
                            DeviceEntry.from_wire(
                                {**d["device"], "status": status_of(d, time.time()).value}
                            )
                        )
                    )
            if call.request_id:
                await self._request_changed(call.request_id, "done")
            logger.info("call %s ended", call.id)
        self._send(session, Ok(HangUp.TYPE))

    async def _invite_trainee(self, session: _Session, device: Device, msg: InviteTrainee) -> None:
        call = await self.store.run(self.store.call, msg.call_id)
        if call is None or device.id not in (call.experts or []) or call.room is None:
            raise ProtocolError(
                ErrorCode.FORBIDDEN, "only an expert or trainer in this call may invite"
            )
        trainee = await self.store.run(self.store.device, msg.device_id)
        if trainee is None or trainee.kind is not DeviceKind.TRAINEE or trainee.revoked_at:
            raise ProtocolError(ErrorCode.UNKNOWN_PEER, "no such enrolled trainee")
        if status_of(await self._entry(trainee.id), time.time()) is Status.OFFLINE:
            raise ProtocolError(ErrorCode.CONFLICT, f"{trainee.name} is not connected now")
        updated = await self.store.run(
            lambda: self.store.add_participant(call.id, trainee.id, trainee=True)
        )
        if updated is None:
            raise ProtocolError(ErrorCode.CONFLICT, "the call is over")
        token = self.signer.mint(
            call.room, ROOM_ROLE[DeviceKind.TRAINEE], ttl_s=CALL_INVITE_TTL_S, now=time.time()
        ).code()
        await self.board.set_in_call([trainee.id], True)
        await self._to(
            [trainee.id],
            CallReady(
                call.id,
                call.room,
                ROOM_ROLE[DeviceKind.TRAINEE],
                token,
                entry_of(device, Status.IN_CALL),
            ),
        )
        self._send(session, Ok(InviteTrainee.TYPE))

    # --- requests ----------------------------------------------------------------

    def _request_info(
        self,
        row: RequestRow,
        station: Device | None,
        *,
        with_reference: bool,
        taken_by: str = "",
    ) -> RequestInfo:
        from ultrasound_consult.protocol.consult import Urgency

        return RequestInfo(
            id=row.id,
            station=station.name if station else "",
            site=row.site,
            exam=row.exam,
            specialty=row.specialty,
            question=row.question,
            urgency=Urgency(row.urgency),
            preferred_time=row.preferred_time,
            status=row.status,
            created_at=row.created_at,
            reference=row.reference if with_reference else "",
            taken_by=taken_by,
        )

    async def _request(self, session: _Session, device: Device, msg: LeaveRequest) -> None:
        if device.kind is not DeviceKind.STATION:
            raise ProtocolError(ErrorCode.FORBIDDEN, "stations leave requests; experts take them")
        row = RequestRow(
            id=new_id(),
            station_id=device.id,
            site=device.site,
            exam=msg.exam,
            specialty=msg.specialty,
            question=msg.question,
            urgency=msg.urgency.value,
            preferred_time=msg.preferred_time,
            reference=msg.reference,
            status="open",
            created_at=time.time(),
            taken_by=None,
            taken_at=None,
            call_id=None,
        )
        await self.store.run(self.store.add_request, row)
        logger.info("request %s left by %s", row.id, device.id)
        self._send(session, RequestStatus(self._request_info(row, device, with_reference=True)))
        now = time.time()
        experts = [
            d
            for d, e in (await self.board.entries()).items()
            if status_of(e, now) is Status.ON_DUTY
            and (not row.specialty or row.specialty in e["device"]["specialties"])
        ]
        await self._to(
            experts, RequestStatus(self._request_info(row, device, with_reference=False))
        )

    async def _queue(self, session: _Session, device: Device, msg: GetQueue) -> None:
        if device.kind is DeviceKind.STATION:
            rows = await self.store.run(self.store.requests_of, device.id)
            mine = True
        elif device.kind in EXPERT_KINDS:
            rows = await self.store.run(self.store.open_requests)
            mine = False
        else:
            raise ProtocolError(ErrorCode.FORBIDDEN, "trainees have no request queue")
        infos = []
        for row in rows:
            station = device if mine else await self.store.run(self.store.device, row.station_id)
            taker = await self._name(row.taken_by)
            infos.append(self._request_info(row, station, with_reference=mine, taken_by=taker))
        self._send(session, Queue(tuple(infos)))

    async def _name(self, device_id: str | None) -> str:
        if not device_id:
            return ""
        d = await self.store.run(self.store.device, device_id)
        return d.name if d else ""

    async def _take(self, session: _Session, device: Device, msg: TakeRequest) -> None:
        if device.kind not in EXPERT_KINDS:
            raise ProtocolError(ErrorCode.FORBIDDEN, "experts take requests")
        row = await self.store.run(self.store.take_request, msg.request_id, device.id, time.time())
        if row is None:
            current = await self.store.run(self.store.request, msg.request_id)
            if current is None:
                raise ProtocolError(ErrorCode.UNKNOWN_PEER, "no such request")
            taker = await self._name(current.taken_by)
            raise ProtocolError(
                ErrorCode.CONFLICT,
                f"this request is {current.status}" + (f" by {taker}" if taker else ""),
            )
        station = await self.store.run(self.store.device, row.station_id)
        logger.info("request %s taken by %s", row.id, device.id)
        self._send(
            session,
            RequestStatus(
                self._request_info(row, station, with_reference=False, taken_by=device.name)
            ),
        )
        await self._to(
            [row.station_id],
            RequestStatus(
                self._request_info(row, station, with_reference=True, taken_by=device.name)
            ),
        )

    async def _request_changed(
        self, request_id: str, status: str, call_id: str | None = None
    ) -> None:
        row = await self.store.run(self.store.set_request_status, request_id, status, call_id)
        if row is None:
            return
        station = await self.store.run(self.store.device, row.station_id)
        taker = await self._name(row.taken_by)
        await self._to(
            [row.station_id],
            RequestStatus(self._request_info(row, station, with_reference=True, taken_by=taker)),
        )

    # --- revocation --------------------------------------------------------------

    async def _watch_revocations(self) -> None:
        """A device revoked (by the CLI, another process or the admin page) is closed
        within a second wherever it is connected: every process polls the database."""
        while True:
            await asyncio.sleep(1.0)
            try:
                since = self._revoked_checked - 5.0
                self._revoked_checked = time.time()
                for device_id in await self.store.run(self.store.revoked_since, since):
                    await self.disconnect_revoked(device_id)
            except Exception:
                logger.exception("checking for revoked devices failed")

    async def disconnect_revoked(self, device_id: str) -> None:
        session = self._sessions.pop(device_id, None)
        if session is None or session.device is None:
            return
        logger.info("device %s was revoked; disconnecting it", device_id)
        self._error(
            session,
            ProtocolError(ErrorCode.UNAUTHORIZED, "this device was revoked by the administrator"),
            fatal=True,
            close=CLOSE_REVOKED,
        )
        device, session.device = session.device, None
        await self.board.remove(device.id, self.board.proc)
        await self._broadcast(Presence(entry_of(device, Status.OFFLINE)))


__all__ = ["CallKind", "ConsultService"]
