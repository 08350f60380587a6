"""The consult service: enrolled devices sign in, show presence, call and ring, leave
requests. It serves the ``/consult`` WebSocket path of the signalling server.

This module holds sign-in (redeem a code, hello with a credential), presence, duty,
the directory and revocation; calling is in :mod:`signaling_server.consult_calls` and
requests in :mod:`signaling_server.consult_requests`. A call rings every matching
on-duty expert for ``ring_timeout_s``; the database settles who accepted first, so it
holds across processes. The winner and the caller get a fresh room and an invite each
(``call_ready``): the apps then join through the ordinary room signalling, no code
typed.

Logs name devices by id only: never a credential, code, request text or reference.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from signaling_server.consult_base import (
    CLOSE_REPLACED,
    CLOSE_RESTART,
    CLOSE_REVOKED,
    CLOSE_UNAUTHORIZED,
    EXPERT_KINDS,
    AuthLimiter,
    Session,
    entry_of,
    logger,
    status_of,
)
from signaling_server.consult_calls import CallHandling
from signaling_server.consult_opinions import OpinionHandling
from signaling_server.consult_requests import RequestHandling
from signaling_server.enrollment import normalise_code
from signaling_server.presence_board import PresenceBoard
from signaling_server.store import ConsultStore, Device
from signaling_server.store.opinions import OpinionShelf
from signaling_server.tokens import InviteSigner
from ultrasound_consult.protocol.consult import (
    Accept,
    Cancel,
    ConsultPing,
    ConsultPong,
    Decline,
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
    OpinionKept,
    PlaceCall,
    Presence,
    Ready,
    Redeem,
    SetDuty,
    Status,
    SubmitOpinion,
    TakeRequest,
    parse_consult_client,
)
from ultrasound_consult.protocol.consult import Enrolled as EnrolledMsg
from ultrasound_consult.protocol.errors import ErrorCode, ProtocolError


class ConsultService(CallHandling, RequestHandling, OpinionHandling):
    def __init__(
        self,
        store: ConsultStore,
        board: PresenceBoard,
        signer: InviteSigner,
        *,
        ring_timeout_s: float = 45.0,
    ) -> None:
        self.store = store
        self.shelf = OpinionShelf(store.engine)
        self.board = board
        self.signer = signer
        self.ring_timeout_s = ring_timeout_s
        self.limiter = AuthLimiter()
        self._sessions: dict[str, Session] = {}
        self._all: set[Session] = set()
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
        session = Session(ws, str(address))
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

    # --- dispatch --------------------------------------------------------------

    async def _dispatch(self, session: Session, msg: object) -> None:
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
            SubmitOpinion: self._submit_opinion,
            OpinionKept: self._opinion_kept,
        }[type(msg)]
        await handler(session, device, msg)  # type: ignore[operator]

    async def _redeem(self, session: Session, msg: Redeem) -> None:
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

    async def _hello(self, session: Session, msg: Hello) -> None:
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
        if msg.signing_key and device.kind in (DeviceKind.EXPERT, DeviceKind.TRAINER):
            same = await self.store.run(self.shelf.register_key, device.id, msg.signing_key)
            if not same:  # never the key itself in the log
                logger.warning("device %s signed in with another signing key", device.id)
            device = await self.store.run(self.store.device, device.id) or device
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
        await self._hand_over_opinions(session, device)

    async def _signed_out(self, session: Session) -> None:
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

    # --- presence and duty -------------------------------------------------------

    async def _duty(self, session: Session, device: Device, msg: SetDuty) -> None:
        if device.kind not in EXPERT_KINDS:
            raise ProtocolError(ErrorCode.FORBIDDEN, "only experts and trainers go on duty")
        hours = None if msg.hours is None else [h.to_wire() for h in msg.hours]
        await self.store.run(self.store.set_duty, device.id, msg.duty.value, hours)
        updated = await self.store.run(self.store.device, device.id)
        assert updated is not None
        session.device = updated
        await self._publish(updated)
        self._send(session, Ok(SetDuty.TYPE))

    async def _directory(self, session: Session, device: Device, msg: GetDirectory) -> None:
        now = time.time()
        entries = await self.board.entries()
        devices = await self.store.run(lambda: self.store.devices(include_revoked=False))
        listed = tuple(
            entry_of(d, status_of(entries.get(d.id), now)) for d in devices if d.enrolled_at
        )
        self._send(session, Directory(listed))

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
