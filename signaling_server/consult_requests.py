"""Consult requests, part of the consult service: a station leaves one (no patient
identity: the clinic's own reference, shown only to that clinic), the on-duty experts
see it in their queue, one takes it and calls back; the station sees every step.
"""

from __future__ import annotations

import time

from signaling_server.consult_base import EXPERT_KINDS, ServiceBase, Session, logger, status_of
from signaling_server.store import Device, RequestRow, new_id
from ultrasound_consult.protocol.consult import (
    DeviceKind,
    GetQueue,
    LeaveRequest,
    Queue,
    RequestStatus,
    Status,
    TakeRequest,
)
from ultrasound_consult.protocol.errors import ErrorCode, ProtocolError


class RequestHandling(ServiceBase):
    async def _request(self, session: Session, device: Device, msg: LeaveRequest) -> None:
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

    async def _queue(self, session: Session, device: Device, msg: GetQueue) -> None:
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

    async def _take(self, session: Session, device: Device, msg: TakeRequest) -> None:
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
