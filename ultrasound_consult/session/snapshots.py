"""Frozen, annotated frames: an expert sends one, the station shows it (and passes it
to the trainees watching), everyone who records keeps the JPEG as it travelled.

JPEG encoding and decoding run off the engine loop (a 1024x768 frame takes a few
milliseconds to tens of milliseconds, which the loop must not spend while it paces
video). A whole snapshot is checked cheaply on the loop first (sender's role, image
header against the stream's size), so a small file claiming a huge picture is
refused before anything is allocated.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from ultrasound_consult.media.snapshot import SnapshotImageError, decode_image, encode_image
from ultrasound_consult.protocol.annotation import Annotation
from ultrasound_consult.protocol.channel import Ack
from ultrasound_consult.protocol.errors import ProtocolError
from ultrasound_consult.protocol.signaling import ANNOTATING_ROLES, Role
from ultrasound_consult.protocol.snapshot import (
    Reassembler,
    SnapshotHeader,
    check_snapshot_image,
    chunk_snapshot,
    pack_snapshot,
    peek_snapshot_id,
    unpack_snapshot,
)
from ultrasound_consult.session.config import CallError
from ultrasound_consult.session.observer import Snapshot
from ultrasound_consult.session.peer_link import PeerLink
from ultrasound_consult.session.ports import CollabContext, name_of, now_ms

logger = logging.getLogger(__name__)

#: Snapshots kept for the snapshot panel, and the memory their pixels may take.
SNAPSHOTS_KEPT = 12
SNAPSHOT_BYTES_KEPT = 48 * 1024 * 1024


class SnapshotExchange:
    def __init__(self, ctx: CollabContext, on_sent: Callable[[str], None]) -> None:
        """``on_sent(id)``: a snapshot went out; its acknowledgement will come."""
        self.ctx = ctx
        self.ports = ctx.ports
        self._on_sent = on_sent
        self.kept: deque[Snapshot] = deque(maxlen=SNAPSHOTS_KEPT)
        self._reassembly: dict[str, Reassembler] = {}
        #: Peers whose last snapshot is being decoded (one at a time each).
        self._decoding: set[str] = set()

    # --- sending --------------------------------------------------------------------

    def send(
        self,
        frame: np.ndarray,
        annotations: tuple[Annotation, ...],
        *,
        media_ts: float | None,
        note: str = "",
    ) -> str:
        """Send a frozen frame with the annotations drawn on it; returns its id.

        Raises :class:`CallError` at once if it cannot go; an image that will not
        encode is reported through the observer (it is encoded off the loop)."""
        if not self._station_links():
            raise CallError(
                "the snapshot needs the direct connection to the station, which is not up; "
                "try again when the picture is moving"
            )
        header = SnapshotHeader(
            id=self.ctx.new_id("s"),
            author=self.ports.author(),
            width=frame.shape[1],
            height=frame.shape[0],
            created_ms=now_ms(),
            media_ts=media_ts,
            annotations=annotations,
            note=note,
        )
        self.ports.spawn(self._encode_and_send(header, frame.copy()))
        return header.id

    async def _encode_and_send(self, header: SnapshotHeader, frame: np.ndarray) -> None:
        loop = asyncio.get_running_loop()
        try:
            jpeg = await loop.run_in_executor(None, encode_image, frame)
            blob = pack_snapshot(header, jpeg)
        except (ProtocolError, SnapshotImageError) as exc:
            self.ports.events.on_error("snapshot_failed", f"Cannot send this snapshot: {exc}")
            return
        links = self._station_links()
        if not links:
            self.ports.events.on_error(
                "snapshot_failed",
                "The connection to the station closed before the snapshot could go; "
                "send it again when the picture is moving.",
            )
            return
        chunks = chunk_snapshot(blob)
        self._on_sent(header.id)
        for link in links:
            self.ports.messenger.snapshot_chunks(link, chunks)
        self.ports.journal.snapshot(header.id, jpeg, header.author, header.to_wire())
        stats = self.ports.stats
        stats.snapshots_sent += 1
        stats.snapshot_bytes_sent += len(blob)

    def _station_links(self) -> list[PeerLink]:
        messenger = self.ports.messenger
        return [link for link in messenger.station_links() if messenger.snapshot_open(link)]

    # --- receiving ------------------------------------------------------------------

    def on_chunk(self, link: PeerLink, data: bytes) -> None:
        """A chunk of a snapshot; a whole one is checked here and decoded off the loop."""
        reassembler = self._reassembly.setdefault(link.remote.id, Reassembler())
        try:
            blob = reassembler.push(data, time.monotonic())
        except ProtocolError as exc:
            self._refuse(link, None, exc.reason)
            return
        if blob is None:
            return
        try:
            header, image_bytes = unpack_snapshot(blob)
        except ProtocolError as exc:
            self._refuse(link, peek_snapshot_id(blob), exc.reason)
            return
        sender, station = link.remote.role, self.ports.role is Role.STATION
        if station and sender not in ANNOTATING_ROLES:
            self._refuse(link, header.id, f"a {sender.value} may not send snapshots")
            return
        if not station and sender is not Role.STATION:
            self._refuse(link, header.id, "snapshots come from the station only")
            return
        if link.remote.id in self._decoding:
            self._refuse(link, header.id, "the last snapshot is still being opened")
            return
        try:
            check_snapshot_image(header, image_bytes, max_size=self.ports.frame_size())
            if station and header.author != name_of(link.remote):
                # Recorded and passed on under the sender's admitted name, not its claim.
                header = replace(header, author=name_of(link.remote))
                blob = pack_snapshot(header, image_bytes)
        except ProtocolError as exc:
            self._refuse(link, header.id, exc.reason)
            return
        self._decoding.add(link.remote.id)
        self.ports.spawn(self._open(link, blob, header, image_bytes))

    async def _open(
        self, link: PeerLink, blob: bytes, header: SnapshotHeader, image_bytes: bytes
    ) -> None:
        loop = asyncio.get_running_loop()
        try:
            image = await loop.run_in_executor(
                None, decode_image, image_bytes, header.width, header.height
            )
        except SnapshotImageError as exc:
            self._refuse(link, header.id, str(exc))
            return
        finally:
            self._decoding.discard(link.remote.id)
        messenger = self.ports.messenger
        if self.ports.role is Role.STATION:
            messenger.on_link(link, Ack(header.id))
            chunks = chunk_snapshot(blob)
            for other in messenger.viewer_links():  # trainees watching see it too
                if other is not link and messenger.snapshot_open(other):
                    messenger.snapshot_chunks(other, chunks)
        self.ports.stats.snapshots_received += 1
        self.ports.journal.snapshot(header.id, image_bytes, header.author, header.to_wire())
        self._keep(Snapshot(header, image, time.time()))

    def _keep(self, snap: Snapshot) -> None:
        """Keep it for the panel, within a count and a byte budget (oldest go first)."""
        self.kept.append(snap)
        while len(self.kept) > 1 and sum(s.image.nbytes for s in self.kept) > SNAPSHOT_BYTES_KEPT:
            self.kept.popleft()
        self.ports.events.on_snapshot(snap)

    def _refuse(self, link: PeerLink, snapshot_id: str | None, reason: str) -> None:
        self.ports.stats.rejected += 1
        logger.warning("refused a snapshot from %s: %s", link.remote.id, reason)
        if snapshot_id is not None:
            self.ports.messenger.on_link(link, Ack(snapshot_id, ok=False, reason=reason))

    def forget(self, peer_id: str) -> None:
        self._reassembly.pop(peer_id, None)
