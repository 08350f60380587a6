"""What the expert's hands send and the station shows: annotations, measurements,
probe-guidance cues, text messages, the live pointer and snapshots.

A viewer numbers and sends operations, shows them at once (dashed until the station
confirms), re-sends the unconfirmed ones when the channel comes back, and keeps
undo/redo; what the station sends goes through the overlay reducer replay uses too
(``annotate/overlay.py``). The station's authority is ``station_scene.py``'s. It
never sees the call: it gets :class:`CollabPorts`, and sends through the messenger.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import replace

from ultrasound_consult.annotate.calibration import Calibration, CalibrationError
from ultrasound_consult.annotate.history import Intent, UndoHistory, added, changed, removed
from ultrasound_consult.annotate.scene import SceneError
from ultrasound_consult.protocol.annotation import (
    MAX_POINTS_PER_MESSAGE,
    Annotation,
    AnnotationKind,
    Point,
)
from ultrasound_consult.protocol.channel import (
    ANNOTATION_OPS,
    OPS_CHANNEL,
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
)
from ultrasound_consult.protocol.chat import ChatSend
from ultrasound_consult.protocol.errors import ProtocolError
from ultrasound_consult.protocol.guidance import (
    Action,
    Cue,
    CueCancel,
    CueSend,
    CueState,
    Direction,
)
from ultrasound_consult.protocol.opinion import Opinion, OpinionSend
from ultrasound_consult.protocol.signaling import ANNOTATING_ROLES, PeerInfo, Role
from ultrasound_consult.session.chat import ChatLog
from ultrasound_consult.session.config import CallError
from ultrasound_consult.session.messenger import Reply, Road
from ultrasound_consult.session.opinions import OpinionDesk
from ultrasound_consult.session.peer_link import PeerLink
from ultrasound_consult.session.pending import PendingOps
from ultrasound_consult.session.pointer import PointerSender
from ultrasound_consult.session.ports import CollabContext, CollabPorts, name_of, now_ms
from ultrasound_consult.session.recorders import Recorders
from ultrasound_consult.session.snapshots import SnapshotExchange
from ultrasound_consult.session.station_scene import StationScene

logger = logging.getLogger(__name__)

DEFAULT_COLOR = "#ffd400"


class Collaboration:
    def __init__(self, ports: CollabPorts) -> None:
        self.ports = ports
        self.ctx = CollabContext(ports)
        self.ctx.pending_ids = self.pending_annotation_ids
        self.overlay = self.ctx.overlay
        self.scene = self.overlay.scene
        self.guidance = self.overlay.guidance
        self.pointers = self.overlay.pointers
        self.history = UndoHistory()
        self._pending = PendingOps()
        self.pointer = PointerSender(ports)
        self._strokes: dict[str, str] = {}
        self.recorders = Recorders(self.ctx)
        self.chat = ChatLog(self.ctx)
        self.opinions = OpinionDesk(self.ctx)
        self.station = StationScene(self.ctx, self.chat, self.opinions)
        self.snapshots = SnapshotExchange(self.ctx, self._pending.add_snapshot)

    @property
    def role(self) -> Role:
        return self.ports.role

    @property
    def calibration(self) -> CalibrationSet | None:
        return self.overlay.calibration

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
        seen_ts = media_ts if media_ts is not None else self.ports.media_ts()
        try:
            # Rounded as the wire rounds them, so every side holds the very same annotation.
            ann = Annotation(
                id=self.ctx.new_id("a"),
                kind=kind,
                points=tuple((round(x, 5), round(y, 5)) for x, y in map(_clamp, points)),
                author=self.ports.author(),
                color=color,
                media_ts=None if seen_ts is None else round(seen_ts, 6),
                created_ms=now_ms(),
                lifetime_s=lifetime_s,
                label=label,
            )
        except ProtocolError as exc:
            raise CallError(exc.reason) from None
        self._check_can_send()
        for op in annotation_ops(ann, self.ctx.next_op):
            self._send(op, ann.id)
        self.history.record(added(ann))
        return ann.id

    def extend_stroke(self, annotation_id: str, points: tuple[Point, ...]) -> None:
        """More points for a stroke being drawn (sent in pieces that fit a message)."""
        before = self.scene.get(annotation_id)
        pts = tuple(_clamp(p) for p in points)
        for i in range(0, len(pts), MAX_POINTS_PER_MESSAGE):
            op, seq = self.ctx.next_op()
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
        op, seq = self.ctx.next_op()
        pts = None if points is None else tuple(_clamp(p) for p in points)
        self._send(AnnotationUpdate(op, annotation_id, pts, label, color, seq), annotation_id)
        after = self.scene.get(annotation_id)
        if after is not None and after != before:
            self.history.record(changed(before, after))

    def remove_annotation(self, annotation_id: str) -> None:
        before = self.scene.get(annotation_id)
        op, seq = self.ctx.next_op()
        self._send(AnnotationRemove(op, annotation_id, seq))
        if before is not None:
            self.history.record(removed((before,)))

    def clear_annotations(self, *, mine_only: bool = False) -> None:
        author = self.ports.author() if mine_only else None
        gone = tuple(a for a in self.scene.annotations() if author is None or a.author == author)
        op, seq = self.ctx.next_op()
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
                for op in annotation_ops(intent, self.ctx.next_op):
                    self._send(op, intent.id)
            else:
                op_id, seq = self.ctx.next_op()
                self._send(AnnotationRemove(op_id, intent, seq))

    def calibrate(self, a: Point, b: Point, mm: float) -> Calibration:
        """Two points on the depth scale ``mm`` apart set the scale for everyone."""
        size = self.ports.frame_size()
        if size is None:
            raise CallError("no picture yet to calibrate on")
        try:
            cal = Calibration.from_two_points(a, b, mm, *size)
        except CalibrationError as exc:
            raise CallError(str(exc)) from None
        op, seq = self.ctx.next_op()
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
            by=self.ports.author(),
            seq=seq,
        )
        if self.role is Role.STATION:
            self.station.calibrate(msg)
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
                id=self.ctx.new_id("c"),
                action=action,
                author=self.ports.author(),
                direction=direction,
                angle_deg=angle_deg,
                probe=probe,
                marker_deg=marker_deg,
                note=note,
                created_ms=now_ms(),
                media_ts=self.ports.media_ts(),
            )
        except ProtocolError as exc:
            raise CallError(exc.reason) from None
        op, seq = self.ctx.next_op()
        self._send(CueSend(op, cue, seq))
        return cue.id

    def cancel_cue(self, cue_id: str) -> None:
        op, seq = self.ctx.next_op()
        self._send(CueCancel(op, cue_id, seq))

    def send_opinion(self, draft: Opinion, *, amends: str | None = None) -> str:
        """Sign and send an opinion (or, with ``amends``, the next version of one);
        returns its id. Raises :class:`CallError`."""
        msg = self.opinions.compose(draft, amends)
        self._send(msg)
        return msg.opinion.id

    def send_chat(self, text: str) -> str:
        """A text message for everyone in the call; returns its id. Raises
        :class:`CallError` (blank, too long, not text, nobody to send it to)."""
        msg = self.chat.compose(text)
        if self.role is Role.STATION:
            self.chat.send_from_station(msg)
        else:
            self._send(msg)
        return msg.id

    # --- sending ----------------------------------------------------------------

    def _check_can_send(self) -> None:
        if self.role is Role.STATION:
            raise CallError("the station shows annotations; experts draw them")
        # An observer is not stopped here: the station refuses it (and the window
        # offers it no tools), so a modified client gains nothing.
        if self.ports.station() is None:
            raise CallError("not connected to the station yet; annotations are sent once it is")

    def _send(self, op: ViewerOp, annotation_id: str | None = None) -> None:
        self._check_can_send()
        pending = self._pending.add(op, annotation_id)
        pending.via_server = not self._transmit(op)
        self._apply_own(op)

    def _transmit(self, op: ViewerOp) -> bool:
        """Returns whether it went on the data channel. Neither road works: it stays
        pending and goes when the channel opens."""
        station = self.ports.station()
        road = self.ports.messenger.to_station(op, station.id if station else None)
        stats = self.ports.stats
        if road is not Road.NONE:
            stats.annotations_sent += 1
        if road is Road.SERVER:
            stats.ops_via_server += 1
        return road is Road.CHANNEL

    def _apply_own(self, op: ViewerOp) -> None:
        """Show our own operation at once; the ack confirms the station has it."""
        self.ctx.record(op, self.ports.author())
        if isinstance(op, CueSend):
            self.guidance.remember(op.cue)
            self.ports.stats.cues_sent += 1
            self.ctx.notify_cues()
        elif isinstance(op, CueCancel):
            pass  # the station answers with the cue's new state
        elif isinstance(op, ChatSend):
            self.chat.add(op, pending=True)
            self.ports.stats.chat_sent += 1
        elif isinstance(op, OpinionSend):
            self.opinions.sent(op)
        elif isinstance(op, CalibrationSet):
            self.ctx.set_calibration(op)
        else:
            try:
                self.overlay.apply(op)
            except SceneError as exc:
                self._pending.discard(op.op)
                raise CallError(str(exc)) from None
            self.ctx.notify_annotations()

    def pending_annotation_ids(self) -> frozenset[str]:
        return self._pending.annotation_ids()

    # ======================================================================
    # Incoming
    # ======================================================================

    def on_channel_open(self, link: PeerLink, label: str) -> None:
        if label != OPS_CHANNEL:
            return
        if self.role is Role.STATION:
            self.station.sync_viewer(lambda msg: self.ports.messenger.on_link(link, msg))
        else:
            # Whatever the station has not confirmed goes again, in order; it drops
            # what it already has (by op id) and acknowledges it anyway.
            for op in self._pending.ops():
                self.ports.messenger.on_link(link, op)
                self.ports.stats.ops_resent += 1

    def on_message(self, peer: PeerInfo, msg: ChannelMessage, reply: Reply) -> None:
        """A message from ``peer`` (data channel or server); ``reply`` answers the same way."""
        if isinstance(msg, Pointer):
            if self.role is Role.STATION and peer.role not in ANNOTATING_ROLES:
                self.ports.stats.rejected += 1  # observers watch; a pointer has no op to refuse
                return
            if self.role is Role.STATION or peer.role is not Role.STATION:
                msg = replace(msg, author=name_of(peer))  # who sent it, never who it claims
            # else: the station passes an expert's pointer on, under the admitted name
            if self.overlay.apply(msg):
                self.ports.stats.pointer_received += 1
                self.ctx.record(msg, msg.author)
                self.ports.events.on_pointers(self.pointers.visible())
                if self.role is Role.STATION:
                    self.ports.messenger.pointer_to_viewers(msg, but=peer.id)
                    self.ports.pointer_out(msg)
        elif isinstance(msg, RecordingNotice):
            self.recorders.receive(peer, msg)
        elif isinstance(msg, Ack):
            self._on_ack(msg)
        elif self.role is Role.STATION:
            self.station.receive(peer, msg, reply)
        elif peer.role is Role.STATION:
            self._viewer_receive(msg)

    def on_rejected(
        self, peer: PeerInfo, data: str | bytes, error: ProtocolError, reply: Reply
    ) -> None:
        """A message from ``peer`` that failed its check: the station refuses an
        operation by the road it came; a viewer only counts it."""
        if self.role is Role.STATION:
            self.station.rejected(peer, data, error, reply)

    def _viewer_receive(self, msg: ChannelMessage) -> None:
        """What the station sends, through the reducer replay uses too."""
        overlay, stats = self.overlay, self.ports.stats
        if isinstance(msg, SceneSync | CueSend | CueState) or (
            isinstance(msg, ANNOTATION_OPS) and not self.scene.seen(msg.op)
        ):
            self.ctx.record(msg, _author_of(msg), synced=overlay.sync_epoch is not None)
        if isinstance(msg, CalibrationSet):
            self.ctx.set_calibration(msg)
            return
        if isinstance(msg, ChatSend):
            if self.chat.add(msg):
                self.ctx.record(msg, msg.by)
                stats.chat_received += 1
            return
        if isinstance(msg, OpinionSend):
            self.opinions.passed_on(msg)
            return
        try:
            changed_ = overlay.apply(msg)
        except SceneError as exc:
            logger.warning("the station sent an operation that does not apply: %s", exc)
            return
        if isinstance(msg, SceneSync) and msg.phase == "end":
            # Our unconfirmed operations are on their way again: keep showing them.
            for op in self._pending.annotation_ops():
                with contextlib.suppress(SceneError):
                    self.scene.replay(op)
                    self.ctx.record(op, self.ports.author(), synced=True)
            stats.scene_syncs += 1
            self.ctx.notify_annotations()
        elif isinstance(msg, ANNOTATION_OPS):
            stats.annotations_received += 1
            if changed_ and overlay.sync_epoch is None:
                self.ctx.notify_annotations()
        elif isinstance(msg, CueSend):
            stats.cues_received += 1
            self.ctx.notify_cues()
        elif isinstance(msg, CueState) and changed_:
            self.ctx.notify_cues()

    def _on_ack(self, ack: Ack) -> None:
        answered = self._pending.answered(ack.op)
        if answered is None:
            return
        pending, rtt_ms = answered
        self.ports.journal.event(
            "ack", op=ack.op, ok=ack.ok, code=ack.code, reason=ack.reason, rtt_ms=round(rtt_ms, 1)
        )
        stats = self.ports.stats
        if ack.ok:
            stats.annotations_acked += 1
            stats.ack_rtt_ms.append(rtt_ms)
        else:
            stats.annotations_refused += 1
            stats.errors.append(f"annotation_refused ({ack.code or 'no code'}): {ack.reason}")
            if isinstance(pending.op, AnnotationAdd):
                # The station will not show it: take it off our screen too.
                op, _ = self.ctx.next_op()
                self.overlay.apply(AnnotationRemove(op, pending.op.ann.id))
        if isinstance(pending.op, ChatSend):
            self.chat.answered(pending.op.id, ack.ok, ack.reason)
        elif isinstance(pending.op, OpinionSend):
            self.opinions.answered(pending.op, ack.ok, ack.reason)
        self.ports.events.on_ack(ack.op, ack.ok, rtt_ms, ack.reason)
        self.ctx.notify_annotations()

    # --- people ---------------------------------------------------------------------

    def peer_joined(self, peer: PeerInfo) -> None:
        if self.role is Role.STATION:
            self.station.peer_joined(peer)

    def forget(self, peer: PeerInfo) -> None:
        """``peer`` left the call."""
        self.recorders.forget(peer)
        self.overlay.forget_author(name_of(peer))
        self.snapshots.forget(peer.id)
        self.ports.events.on_pointers(self.pointers.visible())
        if self.role is Role.STATION:
            self.station.peer_left(peer)

    async def close(self) -> None:
        self.pointer.close()
        self.station.close()


def _author_of(msg: ChannelMessage) -> str:
    if isinstance(msg, AnnotationAdd):
        return msg.ann.author
    if isinstance(msg, CueSend):
        return msg.cue.author
    if isinstance(msg, CueState):
        return msg.by
    return ""


def _clamp(p: Point) -> Point:
    return (min(1.0, max(0.0, float(p[0]))), min(1.0, max(0.0, float(p[1]))))
