"""Calling, part of the consult service: ring the on-duty experts of a specialty (or one
device), first accept wins (settled by the database, so across processes), decline,
timeout, cancel, hang up, and a trainer bringing a trainee into a running call.

The process where the caller is connected keeps the ring timer.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from typing import TYPE_CHECKING

from signaling_server.consult_base import (
    CALL_INVITE_TTL_S,
    EXPERT_KINDS,
    ServiceBase,
    Session,
    entry_of,
    logger,
    status_of,
)
from signaling_server.store import CallRow, Device, new_id
from ultrasound_consult.protocol.consult import (
    ROOM_ROLE,
    Accept,
    CallFailed,
    CallFailure,
    CallReady,
    Cancel,
    Decline,
    Declined,
    DeviceEntry,
    DeviceKind,
    HangUp,
    InviteTrainee,
    Ok,
    PlaceCall,
    Presence,
    Ring,
    Ringing,
    RingStop,
    Status,
    parse_target,
)
from ultrasound_consult.protocol.errors import ErrorCode, ProtocolError

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


#: A consult's outcome in the log when the expert's written opinion reached the station.
OPINION_GIVEN = "opinion given"


class CallHandling(ServiceBase):
    if TYPE_CHECKING:  # the requests' side of the service (consult_requests.py)

        async def _request_changed(
            self, request_id: str, status: str, call_id: str | None = None
        ) -> None: ...

    async def _call(self, session: Session, device: Device, msg: PlaceCall) -> None:
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
                failure = CallFailure.BUSY
                await self._refuse_call(
                    session, device, call_id, msg, failure, f"device:{what}", now
                )
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
        session: Session,
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
        try:
            await self._fail(call_id, CallFailure.NO_ANSWER, what)
        except Exception:  # a task nobody awaits: say it here, or it is lost
            logger.exception("ending the unanswered call %s failed", call_id)

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

    async def _accept(self, session: Session, device: Device, msg: Accept) -> None:
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

    async def _decline(self, session: Session, device: Device, msg: Decline) -> None:
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

    async def _cancel(self, session: Session, device: Device, msg: Cancel) -> None:
        call = await self.store.run(self.store.call, msg.call_id)
        if call is None or call.caller_id != device.id:
            raise ProtocolError(ErrorCode.UNKNOWN_PEER, "no such call of yours")
        if call.state != "ringing":
            raise ProtocolError(ErrorCode.CONFLICT, f"the call is {call.state}, not ringing")
        await self._fail(call.id, CallFailure.CANCELLED, "")

    def _participants(self, call: CallRow) -> list[str]:
        people = [call.caller_id, call.station_id, call.expert_id, *call.experts, *call.trainees]
        return list(dict.fromkeys(p for p in people if p))

    async def _hang_up(self, session: Session, device: Device, msg: HangUp) -> None:
        call = await self.store.run(self.store.call, msg.call_id)
        if call is None or device.id not in self._participants(call):
            raise ProtocolError(ErrorCode.UNKNOWN_PEER, "no such call of yours")
        ended = await self.store.run(
            lambda: self.store.end_call(
                call.id,
                time.time(),
                recorded=msg.recorded,
                outcome=OPINION_GIVEN if msg.opinion else "completed",
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

    async def _invite_trainee(self, session: Session, device: Device, msg: InviteTrainee) -> None:
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
