"""The expert's written opinion through the server: kept until the call's station has
it, so an opinion written after hanging up, or while the station is offline, still
reaches the clinic. The server checks who sends it (an expert or trainer of that call,
signing under their enrolled name) and keeps every version; the station checks the
signature itself (the server never holds a key). Never logged: its text is clinical.
"""

from __future__ import annotations

import logging
import time

from signaling_server.consult_base import ServiceBase, Session
from signaling_server.store import Device
from signaling_server.store.opinions import OpinionRow, OpinionShelf
from ultrasound_consult.protocol.consult import (
    DeviceKind,
    Ok,
    OpinionArrived,
    OpinionKept,
    SubmitOpinion,
)
from ultrasound_consult.protocol.errors import ErrorCode, ProtocolError
from ultrasound_consult.protocol.opinion import Opinion

logger = logging.getLogger(__name__)

#: Who may give an opinion.
WRITERS = (DeviceKind.EXPERT, DeviceKind.TRAINER)


class OpinionHandling(ServiceBase):
    shelf: OpinionShelf

    async def _submit_opinion(self, session: Session, device: Device, msg: SubmitOpinion) -> None:
        call = await self.store.run(self.store.call, msg.call_id)
        experts = [call.expert_id, *call.experts] if call is not None else []
        if call is None or device.id not in experts or device.kind not in WRITERS:
            raise ProtocolError(
                ErrorCode.FORBIDDEN, "only an expert of that call gives its opinion"
            )
        if call.station_id is None:
            raise ProtocolError(ErrorCode.CONFLICT, "that call has no station to send it to")
        opinion = msg.opinion
        if not device.signing_key or opinion.key != device.signing_key:
            raise ProtocolError(
                ErrorCode.FORBIDDEN,
                "not signed with the key this device registered when it signed in first; "
                "if the device lost its key, ask IT to enroll it again",
            )
        if opinion.author != device.name:
            raise ProtocolError(
                ErrorCode.FORBIDDEN,
                f"signed as {opinion.author!r}; this device is enrolled as {device.name!r}",
            )
        row = OpinionRow(
            opinion.id, opinion.version, call.id, device.id, call.station_id,
            opinion.to_wire(), time.time(), None,
        )  # fmt: skip
        added = await self.store.run(self.shelf.add, row)
        if added == "conflict":
            raise ProtocolError(
                ErrorCode.CONFLICT,
                "that version differs from the one kept, or the one before it is missing",
            )
        await self.store.run(self.shelf.note_in_log, call.id)
        logger.info("an opinion for call %s was kept (version %d)", call.id, opinion.version)
        self._send(session, Ok(SubmitOpinion.TYPE))
        await self._to([call.station_id], OpinionArrived(call.id, device.name, opinion))

    async def _opinion_kept(self, session: Session, device: Device, msg: OpinionKept) -> None:
        await self.store.run(
            self.shelf.delivered, msg.opinion_id, msg.version, device.id, time.time()
        )
        self._send(session, Ok(OpinionKept.TYPE))

    async def _hand_over_opinions(self, session: Session, device: Device) -> None:
        """A station signed in: every opinion it has not confirmed yet."""
        if device.kind is not DeviceKind.STATION:
            return
        for row in await self.store.run(self.shelf.undelivered, device.id):
            signer = await self._name(row.expert_id)
            self._send(session, OpinionArrived(row.call_id, signer, Opinion.from_wire(row.body)))
