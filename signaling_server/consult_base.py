"""What the parts of the consult service share: a connection's session, a device's
status from its presence entry, and :class:`ServiceBase`, the state and the sending
helpers that :mod:`signaling_server.consult` (sign-in, presence, duty),
:mod:`signaling_server.consult_calls` and :mod:`signaling_server.consult_requests`
work on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from signaling_server.presence_board import PresenceBoard
from signaling_server.store import ConsultStore, Device, RequestRow
from signaling_server.tokens import InviteSigner
from ultrasound_consult.protocol.consult import (
    ConsultError,
    DeviceEntry,
    DeviceKind,
    Duty,
    DutyHours,
    RequestInfo,
    ServerMessage,
    Status,
    Urgency,
    encode,
)
from ultrasound_consult.protocol.errors import ProtocolError

logger = logging.getLogger("signaling_server.consult")

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
class Session:
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


class ServiceBase:
    """The consult service's state and its ways of answering; see ConsultService."""

    store: ConsultStore
    board: PresenceBoard
    signer: InviteSigner
    ring_timeout_s: float
    _sessions: dict[str, Session]
    _timers: dict[str, asyncio.Task[None]]

    async def _write(self, session: Session) -> None:
        with contextlib.suppress(ConnectionClosed):
            while True:
                item = await session.queue.get()
                if isinstance(item, tuple):
                    await session.ws.close(*item)
                    return
                await session.ws.send(item)

    def _push(self, session: Session, item: str | tuple[int, str]) -> None:
        try:
            session.queue.put_nowait(item)
        except asyncio.QueueFull:
            logger.warning("a consult connection reads too slowly; closing it")
            session.queue = asyncio.Queue(maxsize=1)
            session.queue.put_nowait((1008, "reading too slowly"))

    def _send(self, session: Session, msg: ServerMessage) -> None:
        self._push(session, encode(msg))

    def _error(
        self,
        session: Session,
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

    async def _entry(self, device_id: str) -> dict[str, Any] | None:
        return (await self.board.entries()).get(device_id)

    async def _broadcast(self, msg: ServerMessage) -> None:
        await self.board.send(list((await self.board.entries()).keys()), encode(msg))

    async def _name(self, device_id: str | None) -> str:
        if not device_id:
            return ""
        d = await self.store.run(self.store.device, device_id)
        return d.name if d else ""

    def _request_info(
        self,
        row: RequestRow,
        station: Device | None,
        *,
        with_reference: bool,
        taken_by: str = "",
    ) -> RequestInfo:
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
            station_id=row.station_id,
            taken_by=taken_by,
        )
