"""What the expert's hands send and the station shows: annotations, measurements,
probe-guidance cues, the live pointer and snapshots.

One :class:`Collaboration` per call. On a viewer (expert, trainer) it numbers and
sends operations, shows them at once (dashed until the station confirms), re-sends
the unconfirmed ones when the channel comes back, and keeps undo/redo. On the station
it puts each viewer's operations back in order, applies them to the authoritative
scene, acknowledges them, passes them on to the other viewers and resends the whole
scene to anyone who (re)connects.

Operations go on the reliable ``ops`` data channel; when it is down they go through
the signalling server (``app`` messages) and still arrive, in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from ultrasound_consult.annotate.calibration import Calibration, CalibrationError
from ultrasound_consult.annotate.guidance import GuidanceBoard
from ultrasound_consult.annotate.history import Intent, UndoHistory, added, changed, removed
from ultrasound_consult.annotate.scene import AnnotationScene, PointerBoard, SceneError
from ultrasound_consult.annotate.sequencer import GAP_TIMEOUT_S, OpSequencer
from ultrasound_consult.media.snapshot import SnapshotImageError, decode_image, encode_image
from ultrasound_consult.protocol.annotation import (
    MAX_POINTS_PER_MESSAGE,
    Annotation,
    AnnotationKind,
    Point,
)
from ultrasound_consult.protocol.channel import (
    OPS_CHANNEL,
    POINTER_CHANNEL,
    SNAPSHOT_CHANNEL,
    VIEWER_OPS,
    Ack,
    AnnotationAdd,
    AnnotationClear,
    AnnotationExtend,
    AnnotationRemove,
    AnnotationUpdate,
    CalibrationOrigin,
    CalibrationSet,
    ChannelMessage,
    Pointer,
    RecordingNotice,
    SceneSync,
    ViewerOp,
    annotation_ops,
    encode_channel,
    rejected_op,
)
from ultrasound_consult.protocol.errors import ErrorCode, ProtocolError
from ultrasound_consult.protocol.guidance import (
    Action,
    Cue,
    CueCancel,
    CueSend,
    CueState,
    CueStatus,
    Direction,
)
from ultrasound_consult.protocol.signaling import ANNOTATING_ROLES, PeerInfo, Role
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

if TYPE_CHECKING:
    from ultrasound_consult.session.call import ConsultCall
    from ultrasound_consult.session.peer_link import PeerLink

logger = logging.getLogger(__name__)

DEFAULT_COLOR = "#ffd400"
#: Live pointer updates are coalesced to at most this rate.
POINTER_HZ = 60.0
#: Snapshots kept for the snapshot panel, and the memory their pixels may take.
SNAPSHOTS_KEPT = 12
SNAPSHOT_BYTES_KEPT = 48 * 1024 * 1024
#: Points of drawing one author, and the whole call, may hold at the station: each is
#: kept, recorded and re-sent to every viewer (at most about 1 MB of events per author).
MAX_POINTS_PER_AUTHOR = 50_000
MAX_POINTS_PER_CALL = 150_000
#: Cues (with their outcome) sent to a viewer that (re)connects.
CUES_RESENT = 20
#: A mark belongs to its author's presence: when the author leaves, the station takes
#: their marks off the live image (a moving scan must not keep a stale arrow), and puts
#: them back if the same person rejoins within this many seconds (the resume window:
#: the server notices a silent drop within a minute; a flaky link takes a few more).
MARKS_RESUME_S = 300.0

Reply = Any  # Callable[[ChannelMessage], None]
ANNOTATION_OPS = (
    AnnotationAdd,
    AnnotationUpdate,
    AnnotationExtend,
    AnnotationRemove,
    AnnotationClear,
)


@dataclass
class _Pending:
    op: ViewerOp | None  # None: a snapshot, whose round trip is all that is kept
    sent_at: float
    annotation_id: str | None = None
    via_server: bool = False


@dataclass
class _Pointer:
    seq: int = 0
    last_sent: float = 0.0
    pending: Pointer | None = None
    timer: asyncio.TimerHandle | None = None
    counter: itertools.count = field(default_factory=itertools.count)


@dataclass(frozen=True)
class Snapshot:
    header: SnapshotHeader
    image: np.ndarray
    received_at: float


class Collaboration:
    def __init__(self, call: ConsultCall) -> None:
        self.call = call
        self.scene = AnnotationScene()
        self.pointers = PointerBoard()
        self.guidance = GuidanceBoard()
        self.history = UndoHistory()
        self.calibration: CalibrationSet | None = None
        self.snapshots: deque[Snapshot] = deque(maxlen=SNAPSHOTS_KEPT)
        self._pending: OrderedDict[str, _Pending] = OrderedDict()
        self._ids = itertools.count(1)
        self._seq = itertools.count(1)
        self._sequencer: OpSequencer[tuple[ViewerOp | Ack, Reply]] = OpSequencer()
        self._gap_timer: asyncio.TimerHandle | None = None
        self._reassembly: dict[str, Reassembler] = {}
        #: Peers whose last snapshot is being decoded (one at a time each).
        self._decoding: set[str] = set()
        self._sync_epoch: str | None = None
        self._pointer = _Pointer()
        self._strokes: dict[str, str] = {}
        #: Who records this call (peer id or "me" -> name): everyone shows an indicator.
        self.recorders: dict[str, str] = {}
        #: Station: marks of authors who left, (annotations, when), until they come back.
        self.set_aside: dict[str, tuple[tuple[Annotation, ...], float]] = {}

    @property
    def role(self) -> Role:
        return self.call.role

    @property
    def stats(self):  # type: ignore[no-untyped-def]
        return self.call.stats

    # ======================================================================
    # Viewer actions (expert, trainer)
    # ======================================================================

    def add_annotation(
        self,
        kind: AnnotationKind,
        points: tuple[Point, ...],
        *,
        color: str = DEFAULT_COLOR,
        label: str = "",
        lifetime_s: float | None = None,
        media_ts: float | None = None,
    ) -> str:
        """Draw an annotation for everyone; returns its id. Raises :class:`CallError`."""
        seen_ts = media_ts if media_ts is not None else self.call.last_remote_media_ts
        try:
            # Rounded as the wire rounds them, so every side holds the very same annotation.
            ann = Annotation(
                id=f"a-{self._prefix()}-{next(self._ids)}",
                kind=kind,
                points=tuple((round(x, 5), round(y, 5)) for x, y in map(_clamp, points)),
                author=self.call.author,
                color=color,
                media_ts=None if seen_ts is None else round(seen_ts, 6),
                created_ms=_now_ms(),
                lifetime_s=lifetime_s,
                label=label,
            )
        except ProtocolError as exc:
            raise CallError(exc.reason) from None
        self._check_can_send()
        for op in annotation_ops(ann, self._next_op):
            self._send(op, ann.id)
        self.history.record(added(ann))
        return ann.id

    def extend_stroke(self, annotation_id: str, points: tuple[Point, ...]) -> None:
        """More points for a stroke being drawn (sent in pieces that fit a message)."""
        before = self.scene.get(annotation_id)
        pts = tuple(_clamp(p) for p in points)
        for i in range(0, len(pts), MAX_POINTS_PER_MESSAGE):
            op, seq = self._next_op()
            self._send(
                AnnotationExtend(op, annotation_id, pts[i : i + MAX_POINTS_PER_MESSAGE], seq)
            )
        after = self.scene.get(annotation_id)
        if before is not None and after is not None:
            self.history.amend_last(before.id, after)

    def stroke(self, key: str, points: tuple[Point, ...], *, color: str = DEFAULT_COLOR) -> str:
        """A freehand stroke as it is drawn: the first batch adds it, later ones extend it.

        ``key`` names the stroke on the drawing side (the window does not wait for the
        id); returns the annotation's id.
        """
        ann_id = self._strokes.get(key)
        if ann_id is None or ann_id not in self.scene:
            ann_id = self.add_annotation(AnnotationKind.STROKE, points, color=color)
            self._strokes[key] = ann_id
            while len(self._strokes) > 64:
                self._strokes.pop(next(iter(self._strokes)))
        else:
            self.extend_stroke(ann_id, points)
        return ann_id

    def update_annotation(
        self,
        annotation_id: str,
        *,
        points: tuple[Point, ...] | None = None,
        label: str | None = None,
        color: str | None = None,
    ) -> None:
        before = self.scene.get(annotation_id)
        if before is None:
            raise CallError("that annotation is no longer there")
        op, seq = self._next_op()
        pts = None if points is None else tuple(_clamp(p) for p in points)
        self._send(AnnotationUpdate(op, annotation_id, pts, label, color, seq), annotation_id)
        after = self.scene.get(annotation_id)
        if after is not None and after != before:
            self.history.record(changed(before, after))

    def remove_annotation(self, annotation_id: str) -> None:
        before = self.scene.get(annotation_id)
        op, seq = self._next_op()
        self._send(AnnotationRemove(op, annotation_id, seq))
        if before is not None:
            self.history.record(removed((before,)))

    def clear_annotations(self, *, mine_only: bool = False) -> None:
        author = self.call.author if mine_only else None
        gone = tuple(a for a in self.scene.annotations() if author is None or a.author == author)
        op, seq = self._next_op()
        self._send(AnnotationClear(op, author, seq))
        self.history.record(removed(gone))

    def undo(self) -> bool:
        intents = self.history.undo()
        if intents is None:
            return False
        self._carry_out(intents)
        return True

    def redo(self) -> bool:
        intents = self.history.redo()
        if intents is None:
            return False
        self._carry_out(intents)
        return True

    def _carry_out(self, intents: tuple[Intent, ...]) -> None:
        for intent in intents:
            if isinstance(intent, Annotation):
                for op in annotation_ops(intent, self._next_op):
                    self._send(op, intent.id)
            else:
                op, seq = self._next_op()
                self._send(AnnotationRemove(op, intent, seq))

    def calibrate(self, a: Point, b: Point, mm: float) -> Calibration:
        """Two points on the depth scale ``mm`` apart set the scale for everyone."""
        size = self.call.frame_size()
        if size is None:
            raise CallError("no picture yet to calibrate on")
        try:
            cal = Calibration.from_two_points(a, b, mm, *size)
        except CalibrationError as exc:
            raise CallError(str(exc)) from None
        op, seq = self._next_op()
        msg = CalibrationSet(
            op,
            CalibrationOrigin.USER,
            size[0],
            size[1],
            cal.mm_per_px_x,
            cal.mm_per_px_y,
            _clamp(a),
            _clamp(b),
            mm,
            by=self.call.author,
            seq=seq,
        )
        if self.role is Role.STATION:
            self._station_calibration(msg)
        else:
            self._send(msg)
        return cal

    def send_cue(
        self,
        action: Action,
        direction: Direction | None = None,
        *,
        angle_deg: float | None = None,
        probe: Point | None = None,
        marker_deg: float | None = None,
        note: str = "",
    ) -> str:
        try:
            cue = Cue(
                id=f"c-{self._prefix()}-{next(self._ids)}",
                action=action,
                author=self.call.author,
                direction=direction,
                angle_deg=angle_deg,
                probe=probe,
                marker_deg=marker_deg,
                note=note,
                created_ms=_now_ms(),
                media_ts=self.call.last_remote_media_ts,
            )
        except ProtocolError as exc:
            raise CallError(exc.reason) from None
        op, seq = self._next_op()
        self._send(CueSend(op, cue, seq))
        return cue.id

    def cancel_cue(self, cue_id: str) -> None:
        op, seq = self._next_op()
        self._send(CueCancel(op, cue_id, seq))

    def send_snapshot(
        self,
        frame: np.ndarray,
        annotations: tuple[Annotation, ...],
        *,
        media_ts: float | None,
        note: str = "",
    ) -> str:
        """Send a frozen frame with the annotations drawn on it; returns its id."""
        links = [link for link in self._station_links() if link.channel_open(SNAPSHOT_CHANNEL)]
        if not links:
            raise CallError(
                "the snapshot needs the direct connection to the station, which is not up; "
                "try again when the picture is moving"
            )
        header = SnapshotHeader(
            id=f"s-{self._prefix()}-{next(self._ids)}",
            author=self.call.author,
            width=frame.shape[1],
            height=frame.shape[0],
            created_ms=_now_ms(),
            media_ts=media_ts,
            annotations=annotations,
            note=note,
        )
        try:
            blob = pack_snapshot(header, encode_image(frame))
        except (ProtocolError, SnapshotImageError) as exc:
            raise CallError(f"cannot send this snapshot: {exc}") from None
        chunks = chunk_snapshot(blob)
        for link in links:
            for chunk in chunks:
                link.send(SNAPSHOT_CHANNEL, chunk)
        self._pending[header.id] = _Pending(None, time.perf_counter())
        self._record_snapshot(header, frame)
        self.stats.snapshots_sent += 1
        self.stats.snapshot_bytes_sent += len(blob)
        return header.id

    # --- the live pointer -----------------------------------------------------

    def move_pointer(self, x: float, y: float, *, visible: bool = True) -> None:
        """The live pointer; coalesced to :data:`POINTER_HZ` on the unreliable channel."""
        p = self._pointer
        p.pending = Pointer(
            seq=next(p.counter),
            x=min(1.0, max(0.0, x)),
            y=min(1.0, max(0.0, y)),
            author=self.call.author,
            visible=visible,
            media_ts=self.call.last_remote_media_ts,
        )
        if p.timer is not None:
            return
        wait = p.last_sent + 1.0 / POINTER_HZ - time.perf_counter()
        if wait <= 0 or not visible:
            self._flush_pointer()
        else:
            p.timer = asyncio.get_running_loop().call_later(wait, self._flush_pointer)

    def _flush_pointer(self) -> None:
        p = self._pointer
        p.timer = None
        if p.pending is None:
            return
        text = encode_channel(p.pending)
        p.pending = None
        p.last_sent = time.perf_counter()
        for link in self._station_links():
            if link.send(POINTER_CHANNEL, text):
                self.stats.pointer_sent += 1

    # --- sending ----------------------------------------------------------------

    def _check_can_send(self) -> None:
        if self.role is Role.STATION:
            raise CallError("the station shows annotations; experts draw them")
        # An observer is not stopped here: the station refuses it (and the window
        # offers it no tools), so a modified client gains nothing.
        if self.call.station_peer() is None:
            raise CallError("not connected to the station yet; annotations are sent once it is")

    def _send(self, op: ViewerOp, annotation_id: str | None = None) -> None:
        self._check_can_send()
        pending = _Pending(op, time.perf_counter(), annotation_id)
        self._pending[op.op] = pending
        pending.via_server = not self._transmit(op)
        self._apply_own(op)

    def _transmit(self, op: ViewerOp) -> bool:
        """Send on the data channel if it is open, else through the server.

        Returns whether it went on the data channel. Neither works: it stays pending
        and goes when the channel opens.
        """
        text = encode_channel(op)
        links = [link for link in self._station_links() if link.channel_open(OPS_CHANNEL)]
        for link in links:
            link.send(OPS_CHANNEL, text)
        if links:
            self.stats.annotations_sent += 1
            return True
        station = self.call.station_peer()
        if station is not None and self.call.send_app(station.id, op.to_wire()):
            self.stats.annotations_sent += 1
            self.stats.ops_via_server += 1
        return False

    def _apply_own(self, op: ViewerOp) -> None:
        """Show our own operation at once; the ack confirms the station has it."""
        self._record(op, self.call.author)
        if isinstance(op, CueSend):
            self.guidance.remember(op.cue)
            self.stats.cues_sent += 1
            self.call.observer.on_cues(self.guidance.entries(), self.guidance.active_entry)
        elif isinstance(op, CueCancel):
            pass  # the station answers with the cue's new state
        elif isinstance(op, CalibrationSet):
            self._set_calibration(op)
        else:
            try:
                self.scene.apply(op)
            except SceneError as exc:
                self._pending.pop(op.op, None)
                raise CallError(str(exc)) from None
            self._notify_annotations()

    def _next_op(self) -> tuple[str, int]:
        return f"o-{self._prefix()}-{next(self._ids)}", next(self._seq)

    def _prefix(self) -> str:
        return self.call.me.id if self.call.me else "local"

    def pending_annotation_ids(self) -> frozenset[str]:
        return frozenset(p.annotation_id for p in self._pending.values() if p.annotation_id)

    def _notify_annotations(self) -> None:
        self.call.observer.on_annotations(self.scene.annotations(), self.pending_annotation_ids())

    def _station_links(self) -> list[PeerLink]:
        return [link for link in self.call.links.values() if link.remote.role is Role.STATION]

    def _viewer_links(self) -> list[PeerLink]:
        return [link for link in self.call.links.values() if link.remote.role is not Role.STATION]

    # ======================================================================
    # Incoming
    # ======================================================================

    def on_channel_open(self, link: PeerLink, label: str) -> None:
        if label != OPS_CHANNEL:
            return
        if self.role is Role.STATION:
            self._sync_viewer(link)
        else:
            # Whatever the station has not confirmed goes again, in order; it drops
            # what it already has (by op id) and acknowledges it anyway.
            for pending in list(self._pending.values()):
                if pending.op is None:
                    continue  # a snapshot: only its round trip is waited for
                link.send(OPS_CHANNEL, encode_channel(pending.op))
                self.stats.ops_resent += 1

    def on_message(self, peer: PeerInfo, msg: ChannelMessage, reply: Reply) -> None:
        """A message from ``peer`` (data channel or server); ``reply`` answers the same way."""
        if isinstance(msg, Pointer):
            if self.role is Role.STATION and peer.role not in ANNOTATING_ROLES:
                self.stats.rejected += 1  # observers watch; a pointer has no op to refuse
                return
            msg = replace(msg, author=_name_of(peer))  # who sent it, never who it claims
            if self.pointers.update(msg):
                self.stats.pointer_received += 1
                self._record(msg, msg.author)
                self.call.observer.on_pointers(self.pointers.visible())
        elif isinstance(msg, RecordingNotice):
            self._recording_notice(peer, msg)
        elif isinstance(msg, Ack):
            self._on_ack(msg)
        elif self.role is Role.STATION:
            self._station_receive(peer, msg, reply)
        elif peer.role is Role.STATION:
            self._viewer_receive(msg)

    def on_snapshot_chunk(self, link: PeerLink, data: bytes) -> None:
        """A chunk of a snapshot. A whole one is checked cheaply on the loop (sender's
        role, image header against the stream's size) and only then decoded, off the
        loop: a small file claiming a huge picture is refused before any allocation."""
        reassembler = self._reassembly.setdefault(link.remote.id, Reassembler())
        try:
            blob = reassembler.push(data, time.monotonic())
        except ProtocolError as exc:
            self._refuse_snapshot(link, None, exc.reason)
            return
        if blob is None:
            return
        try:
            header, image_bytes = unpack_snapshot(blob)
        except ProtocolError as exc:
            self._refuse_snapshot(link, peek_snapshot_id(blob), exc.reason)
            return
        sender = link.remote.role
        if self.role is Role.STATION and sender not in ANNOTATING_ROLES:
            self._refuse_snapshot(link, header.id, f"a {sender.value} may not send snapshots")
            return
        if self.role is not Role.STATION and sender is not Role.STATION:
            self._refuse_snapshot(link, header.id, "snapshots come from the station only")
            return
        if link.remote.id in self._decoding:
            self._refuse_snapshot(link, header.id, "the last snapshot is still being opened")
            return
        try:
            check_snapshot_image(header, image_bytes, max_size=self.call.frame_size())
            if self.role is Role.STATION and header.author != _name_of(link.remote):
                # Recorded and passed on under the sender's admitted name, not its claim.
                header = replace(header, author=_name_of(link.remote))
                blob = pack_snapshot(header, image_bytes)
        except ProtocolError as exc:
            self._refuse_snapshot(link, header.id, exc.reason)
            return
        self._decoding.add(link.remote.id)
        self.call._spawn(self._open_snapshot(link, blob, header, image_bytes))

    async def _open_snapshot(
        self, link: PeerLink, blob: bytes, header: SnapshotHeader, image_bytes: bytes
    ) -> None:
        loop = asyncio.get_running_loop()
        try:
            image = await loop.run_in_executor(
                None, decode_image, image_bytes, header.width, header.height
            )
        except SnapshotImageError as exc:
            self._refuse_snapshot(link, header.id, str(exc))
            return
        finally:
            self._decoding.discard(link.remote.id)
        if self.role is Role.STATION:
            link.send(OPS_CHANNEL, encode_channel(Ack(header.id)))
            for other in self._viewer_links():  # trainees watching see it too
                if other is not link and other.channel_open(SNAPSHOT_CHANNEL):
                    for chunk in chunk_snapshot(blob):
                        other.send(SNAPSHOT_CHANNEL, chunk)
        self.stats.snapshots_received += 1
        self._record_snapshot(header, image)
        self._keep_snapshot(Snapshot(header, image, time.time()))

    def _keep_snapshot(self, snap: Snapshot) -> None:
        """Keep it for the panel, within a count and a byte budget (oldest go first)."""
        self.snapshots.append(snap)
        while (
            len(self.snapshots) > 1
            and sum(s.image.nbytes for s in self.snapshots) > SNAPSHOT_BYTES_KEPT
        ):
            self.snapshots.popleft()
        self.call.observer.on_snapshot(snap)

    def _refuse_snapshot(self, link: PeerLink, snapshot_id: str | None, reason: str) -> None:
        self.stats.rejected += 1
        logger.warning("refused a snapshot from %s: %s", link.remote.id, reason)
        if snapshot_id is not None:
            link.send(OPS_CHANNEL, encode_channel(Ack(snapshot_id, ok=False, reason=reason)))

    def forget(self, peer: PeerInfo) -> None:
        if self.recorders.pop(peer.id, None) is not None:
            self._broadcast(RecordingNotice(peer.name, False))
            self._notify_recorders()
        self.pointers.forget(peer.name or peer.id)
        self._sequencer.forget(peer.id)
        self._reassembly.pop(peer.id, None)
        self.call.observer.on_pointers(self.pointers.visible())
        if self.role is Role.STATION and peer.role is not Role.STATION:
            self._set_aside_marks(peer.name or peer.id)

    # --- presence: a mark lives while its author is in the call ---------------------------

    def _set_aside_marks(self, author: str) -> None:
        """Station: ``author`` left; their marks leave the image for everyone (and the
        recording), kept aside for :data:`MARKS_RESUME_S`."""
        theirs = tuple(a for a in self.scene.annotations() if a.author == author)
        if not theirs:
            return
        self.set_aside[author] = (theirs, time.monotonic())
        self._station_op(AnnotationClear(self._next_op()[0], author, 0), by=author)

    def peer_joined(self, peer: PeerInfo) -> None:
        """Station: someone (re)joined; the marks they left with come back if they left
        less than :data:`MARKS_RESUME_S` ago."""
        if self.role is not Role.STATION:
            return
        now = time.monotonic()
        for author, (_, at) in list(self.set_aside.items()):
            if now - at > MARKS_RESUME_S:
                del self.set_aside[author]
        kept = self.set_aside.pop(peer.name or peer.id, None)
        if kept is None:
            return
        for ann in kept[0]:
            if ann.id not in self.scene:
                for op in annotation_ops(ann, self._next_op):
                    self._station_op(_unsequenced(op), by=ann.author)

    def station_clear(self) -> None:
        """Station: take every mark off the image, for everyone (always allowed: the
        sonographer owns the live image)."""
        if self.role is not Role.STATION:
            raise CallError("only the station clears the whole overlay this way")
        self.set_aside.clear()
        if len(self.scene):
            self._station_op(AnnotationClear(self._next_op()[0], None, 0), by=self.call.author)

    def _station_op(self, op: Any, *, by: str) -> None:
        """Apply an operation the station makes itself, record it, tell every viewer."""
        try:
            changed_ = self.scene.apply(op)
        except SceneError as exc:
            logger.warning("the station's own operation did not apply: %s", exc)
            return
        if changed_:
            self._record(op, by, synced=True)
            self._broadcast(op)
            self._notify_annotations()

    # --- viewer side -----------------------------------------------------------------

    def _viewer_receive(self, msg: ChannelMessage) -> None:
        if isinstance(msg, SceneSync | CueSend | CueState) or (
            isinstance(msg, ANNOTATION_OPS) and not self.scene.seen(msg.op)
        ):
            self._record(msg, _author_of(msg), synced=self._sync_epoch is not None)
        if isinstance(msg, SceneSync):
            if msg.phase == "begin":
                self._sync_epoch = msg.epoch
                self.scene.reset(())
            else:
                self._sync_epoch = None
                # Our unconfirmed operations are on their way again: keep showing them.
                for pending in self._pending.values():
                    if isinstance(pending.op, ANNOTATION_OPS):
                        with contextlib.suppress(SceneError):
                            self.scene.replay(pending.op)
                            self._record(pending.op, self.call.author, synced=True)
                self.stats.scene_syncs += 1
                self._notify_annotations()
        elif isinstance(msg, ANNOTATION_OPS):
            try:
                changed_ = self.scene.apply(msg)
            except SceneError as exc:
                logger.warning("the station sent an operation that does not apply: %s", exc)
                return
            self.stats.annotations_received += 1
            if changed_ and self._sync_epoch is None:
                self._notify_annotations()
        elif isinstance(msg, CalibrationSet):
            self._set_calibration(msg)
        elif isinstance(msg, CueSend):
            self.guidance.remember(msg.cue)
            self.stats.cues_received += 1
            self.call.observer.on_cues(self.guidance.entries(), self.guidance.active_entry)
        elif isinstance(msg, CueState) and self.guidance.apply_state(msg):
            self.call.observer.on_cues(self.guidance.entries(), self.guidance.active_entry)

    def _on_ack(self, ack: Ack) -> None:
        pending = self._pending.pop(ack.op, None)
        if pending is None:
            return
        rtt_ms = (time.perf_counter() - pending.sent_at) * 1000.0
        recording = self.call.recording
        if recording is not None:
            recording.event(
                "ack",
                op=ack.op,
                ok=ack.ok,
                code=ack.code,
                reason=ack.reason,
                rtt_ms=round(rtt_ms, 1),
            )
        if ack.ok:
            self.stats.annotations_acked += 1
            self.stats.ack_rtt_ms.append(rtt_ms)
        else:
            self.stats.annotations_refused += 1
            self.stats.errors.append(f"annotation_refused ({ack.code or 'no code'}): {ack.reason}")
            if isinstance(pending.op, AnnotationAdd):
                # The station will not show it: take it off our screen too.
                op, _ = self._next_op()
                self.scene.apply(AnnotationRemove(op, pending.op.ann.id))
        self.call.observer.on_ack(ack.op, ack.ok, rtt_ms, ack.reason)
        self._notify_annotations()

    # --- station side -----------------------------------------------------------------

    def on_rejected(
        self, peer: PeerInfo, data: str | bytes, error: ProtocolError, reply: Reply
    ) -> None:
        """A message from ``peer`` that failed its check. On the station an operation is
        refused by the road it came (``reply``), in its ``seq`` place: the seq counts as
        used, so the sender's next operation is not held for the gap timer."""
        named = rejected_op(data)
        if self.role is not Role.STATION or named is None:
            return
        op, seq = named
        if peer.role not in (Role.EXPERT, Role.TRAINER):
            self._refuse(reply, op, ErrorCode.FORBIDDEN, "observers can watch but not annotate")
            return
        self._sequence(peer, seq, Ack.refusal(op, error.code, error.reason), reply)

    def _station_receive(self, peer: PeerInfo, msg: ChannelMessage, reply: Reply) -> None:
        if not isinstance(msg, VIEWER_OPS):
            return  # viewers do not send the station scene syncs or cue states
        if peer.role not in (Role.EXPERT, Role.TRAINER):
            self._refuse(reply, msg.op, ErrorCode.FORBIDDEN, "observers can watch but not annotate")
            self.stats.rejected += 1
            return
        self._sequence(peer, msg.seq, msg, reply)

    def _sequence(self, peer: PeerInfo, seq: int, item: ViewerOp | Ack, reply: Reply) -> None:
        """Apply (or refuse) in the sender's ``seq`` order; each keeps the road it came by."""
        for ready, answer in self._sequencer.push(peer.id, seq, (item, reply), time.monotonic()):
            self._station_apply(peer, ready, answer)
        self._arm_gap_timer()

    def _refuse(self, reply: Reply, op: str, code: ErrorCode, reason: str) -> None:
        reply(Ack.refusal(op, code, reason))
        self.stats.refusals_sent += 1

    def _arm_gap_timer(self) -> None:
        if self._sequencer.waiting() and self._gap_timer is None:
            self._gap_timer = asyncio.get_running_loop().call_later(
                GAP_TIMEOUT_S, self._release_gaps
            )

    def _release_gaps(self) -> None:
        self._gap_timer = None
        for sender, (op, reply) in self._sequencer.due(time.monotonic()):
            peer = self.call.peers.get(sender)
            if peer is not None:
                self._station_apply(peer, op, reply)
        self.stats.sequence_gaps = self._sequencer.gaps_skipped
        self._arm_gap_timer()

    def send_to(self, peer_id: str, msg: ChannelMessage) -> None:
        """To one peer: data channel if open, else through the server."""
        link = self.call.links.get(peer_id)
        if link is not None and link.send(OPS_CHANNEL, encode_channel(msg)):
            return
        self.call.send_app(peer_id, msg.to_wire())

    def _station_apply(self, peer: PeerInfo, op: ViewerOp | Ack, reply: Reply) -> None:
        if isinstance(op, Ack):  # a refusal of a message that failed its check, in its place
            reply(op)
            self.stats.refusals_sent += 1
            return
        self.stats.annotations_received += 1
        op = _authored(op, _name_of(peer))
        if isinstance(op, CalibrationSet):
            refusal = self._station_calibration(op)
            if refusal is None:
                reply(Ack(op.op))
            else:
                self._refuse(reply, op.op, ErrorCode.CONFLICT, refusal)
            return
        if isinstance(op, CueSend):
            changes = self.guidance.show(op.cue, _now_ms())
            if changes:
                self._record(op, peer.name)
                self.stats.cues_received += 1
                self._broadcast(CueSend(op.op, op.cue), but=peer.id)
                self._publish_cues(changes)
            reply(Ack(op.op))
            return
        if isinstance(op, CueCancel):
            self._record(op, peer.name)
            changes = self.guidance.answer(op.id, CueStatus.CANCELLED, peer.name, _now_ms())
            self._publish_cues(changes)
            reply(Ack(op.op))
            return
        refusal = self._over_drawing_budget(op, _name_of(peer))
        if refusal is not None:
            reply(Ack(op.op, ok=False, reason=refusal))
            self.stats.rejected += 1
            return
        try:
            if self.scene.apply(op):
                self._record(op, peer.name)
                self._notify_annotations()
                self._broadcast(_unsequenced(op), but=peer.id)
        except SceneError as exc:
            self._refuse(reply, op.op, ErrorCode.CONFLICT, str(exc))
            self.stats.rejected += 1
            return
        reply(Ack(op.op))

    def _over_drawing_budget(self, op: ViewerOp, name: str) -> str | None:
        """Why ``op`` would take the drawing past its author's or the call's point budget
        (each point is kept, recorded and sent to every viewer); None if it fits."""
        if isinstance(op, AnnotationAdd):
            adding = len(op.ann.points)
        elif isinstance(op, AnnotationExtend | AnnotationUpdate):
            adding = len(op.points or ())
        else:
            return None
        if adding == 0 or self.scene.seen(op.op):
            return None
        annotations = self.scene.annotations()
        mine = sum(len(a.points) for a in annotations if a.author == name)
        if mine + adding > MAX_POINTS_PER_AUTHOR:
            return (
                f"your drawings already hold {mine} points, the most one person may have is "
                f"{MAX_POINTS_PER_AUTHOR}; clear some first"
            )
        if sum(len(a.points) for a in annotations) + adding > MAX_POINTS_PER_CALL:
            return f"the drawings of this call hold {MAX_POINTS_PER_CALL} points; clear some first"
        return None

    def _broadcast(self, msg: ChannelMessage, *, but: str | None = None) -> None:
        """To every viewer (but one): data channel, or the server if it is down."""
        text = encode_channel(msg)
        for link in self._viewer_links():
            if link.remote.id == but:
                continue
            if not link.send(OPS_CHANNEL, text):
                self.call.send_app(link.remote.id, msg.to_wire())

    def _station_calibration(self, msg: CalibrationSet) -> str | None:
        size = self.call.frame_size()
        if size is not None and (msg.width, msg.height) != size:
            return (
                f"that calibration was made on a {msg.width}x{msg.height} picture; the picture "
                f"is now {size[0]}x{size[1]}. Calibrate again."
            )
        self._set_calibration(msg)
        self._broadcast(_unsequenced(msg))
        return None

    def source_switched(self, calibration: Calibration | None, size: tuple[int, int]) -> None:
        """The station sends another source: its own scale, or none (the old one was for
        another picture), for everyone."""
        if calibration is not None:
            self.set_source_calibration(calibration, size)
            msg = self.calibration
        else:
            msg = CalibrationSet(self._next_op()[0], CalibrationOrigin.NONE, size[0], size[1])
            self._set_calibration(msg)
        if msg is not None:
            self._broadcast(_unsequenced(msg))

    def set_source_calibration(
        self, calibration: Calibration | None, size: tuple[int, int]
    ) -> None:
        """The station's source knows its scale (DICOM regions, the phantom)."""
        if calibration is None:
            return
        origin = (
            CalibrationOrigin(calibration.origin)
            if calibration.origin in CalibrationOrigin.__members__.values()
            else CalibrationOrigin.DICOM
        )
        op, _ = self._next_op()
        self._set_calibration(
            CalibrationSet(
                op, origin, size[0], size[1], calibration.mm_per_px_x, calibration.mm_per_px_y
            )
        )

    def _set_calibration(self, msg: CalibrationSet) -> None:
        if msg != self.calibration:
            self._record(msg, msg.by)
        self.calibration = msg if msg.origin is not CalibrationOrigin.NONE else None
        self.call.observer.on_calibration(self.calibration)

    def answer_cue(self, status: CueStatus, cue_id: str | None = None) -> bool:
        """The sonographer's answer to the cue on screen: done or can't."""
        if self.role is not Role.STATION:
            raise CallError("only the station answers guidance cues")
        target = cue_id or self.guidance.active
        if target is None:
            return False
        changes = self.guidance.answer(target, status, self.call.author, _now_ms())
        self._publish_cues(changes)
        return bool(changes)

    def _publish_cues(self, changes: list[CueState]) -> None:
        for state in changes:
            self._record(state, state.by)
            self._broadcast(state)
        self.call.observer.on_cues(self.guidance.entries(), self.guidance.active_entry)

    def _sync_viewer(self, link: PeerLink) -> None:
        """The whole scene, calibration and recent cues to a viewer that (re)connected."""
        epoch = f"e-{next(self._ids)}"
        items = self.scene.annotations()
        send = lambda msg: link.send(OPS_CHANNEL, encode_channel(msg))  # noqa: E731
        send(SceneSync("begin", epoch, len(items)))
        station_op = lambda: (f"s-{epoch}-{next(self._ids)}", 0)  # noqa: E731
        for ann in items:
            for op in annotation_ops(ann, station_op):
                send(op)
        send(SceneSync("end", epoch, len(items)))
        if self.calibration is not None:
            send(_unsequenced(self.calibration))
        for entry in self.guidance.entries()[-CUES_RESENT:]:
            send(CueSend(f"s-{epoch}-{next(self._ids)}", entry.cue))
            send(CueState(entry.cue.id, entry.status, entry.by, entry.at_ms))
        for name in self.recorders.values():
            send(RecordingNotice(name, True))
        self.stats.scene_syncs += 1

    # --- recording ---------------------------------------------------------------------

    def _record(self, msg: ChannelMessage, by: str, *, synced: bool = False) -> None:
        """Into this side's recording, if it records. An annotation is anchored to the
        frame its author saw, except when the station resends the scene (its frames
        are long past: it belongs where the resend happened)."""
        recording = self.call.recording
        if recording is None:
            return
        anchor = None
        if isinstance(msg, AnnotationAdd) and not synced:
            anchor = msg.ann.media_ts
        recording.message(msg, by, anchor=anchor)

    def _record_snapshot(self, header: SnapshotHeader, image: np.ndarray) -> None:
        recording = self.call.recording
        if recording is not None:
            recording.snapshot(header.id, image, header.author, header.to_wire())

    def announce_recording(self, on: bool) -> None:
        """This side started or stopped recording: tell everyone (an indicator each)."""
        name = self.call.author
        if on:
            self.recorders["me"] = name
        else:
            self.recorders.pop("me", None)
        notice = RecordingNotice(name, on)
        if self.role is Role.STATION:
            self._broadcast(notice)
        else:
            for link in self._station_links():
                if not link.send(OPS_CHANNEL, encode_channel(notice)):
                    self.call.send_app(link.remote.id, notice.to_wire())
        self._notify_recorders()

    def _recording_notice(self, peer: PeerInfo, msg: RecordingNotice) -> None:
        if self.role is Role.STATION:
            key, name = peer.id, _name_of(peer)  # the server's name, not a claim
            self._broadcast(RecordingNotice(name, msg.on), but=peer.id)
        elif peer.role is Role.STATION:
            key, name = f"by:{msg.by}", msg.by
        else:
            return
        if msg.on:
            self.recorders[key] = name
        else:
            self.recorders.pop(key, None)
        self._record(replace(msg, by=name), name)
        self._notify_recorders()

    def _notify_recorders(self) -> None:
        self.call.observer.on_recording(tuple(sorted(set(self.recorders.values()))))

    async def close(self) -> None:
        if self._pointer.timer is not None:
            self._pointer.timer.cancel()
        if self._gap_timer is not None:
            self._gap_timer.cancel()


def _name_of(peer: PeerInfo) -> str:
    """A peer's name as the server admitted it (its id if it gave none)."""
    return peer.name or peer.id


def _authored(op: ViewerOp, name: str) -> ViewerOp:
    """``op`` with every author field set to ``name``: a viewer cannot speak for another."""
    if isinstance(op, AnnotationAdd) and op.ann.author != name:
        return replace(op, ann=replace(op.ann, author=name))
    if isinstance(op, CueSend) and op.cue.author != name:
        return replace(op, cue=replace(op.cue, author=name))
    if isinstance(op, CalibrationSet) and op.by != name:
        return replace(op, by=name)
    return op


def _author_of(msg: ChannelMessage) -> str:
    if isinstance(msg, AnnotationAdd):
        return msg.ann.author
    if isinstance(msg, CueSend):
        return msg.cue.author
    if isinstance(msg, CueState):
        return msg.by
    return ""


def _unsequenced(op: Any) -> Any:
    """The same operation without its sender's sequence number (for passing on)."""
    return replace(op, seq=0)


def _clamp(p: Point) -> Point:
    return (min(1.0, max(0.0, float(p[0]))), min(1.0, max(0.0, float(p[1]))))


def _now_ms() -> int:
    return int(time.time() * 1000)
