"""The station's authority over what is drawn: every viewer's operations put back in
order, checked, applied, answered and passed on; the scene resent to anyone who
(re)connects; a mark kept only while its author is in the call.

Only the station has one (see :class:`~ultrasound_consult.session.collab.Collaboration`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from ultrasound_consult.annotate.calibration import Calibration
from ultrasound_consult.annotate.scene import SceneError
from ultrasound_consult.annotate.sequencer import GAP_TIMEOUT_S, OpSequencer
from ultrasound_consult.protocol.annotation import Annotation
from ultrasound_consult.protocol.channel import (
    VIEWER_OPS,
    Ack,
    AnnotationAdd,
    AnnotationClear,
    AnnotationExtend,
    AnnotationUpdate,
    CalibrationOrigin,
    CalibrationSet,
    ChannelMessage,
    RecordingNotice,
    SceneSync,
    ViewerOp,
    annotation_ops,
    claimed_type,
    rejected_op,
)
from ultrasound_consult.protocol.chat import ChatSend
from ultrasound_consult.protocol.errors import ErrorCode, ProtocolError
from ultrasound_consult.protocol.guidance import CueCancel, CueSend, CueState, CueStatus
from ultrasound_consult.protocol.opinion import OpinionSend
from ultrasound_consult.protocol.signaling import PeerInfo, Role
from ultrasound_consult.session.chat import CHAT_RESENT, ChatLog
from ultrasound_consult.session.config import CallError
from ultrasound_consult.session.messenger import Reply
from ultrasound_consult.session.opinions import OpinionDesk
from ultrasound_consult.session.ports import CollabContext, name_of, now_ms

logger = logging.getLogger(__name__)

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
#: Who may draw, point, calibrate and send cues (anyone admitted may write a message).
DRAWING_ROLES = (Role.EXPERT, Role.TRAINER)


class StationScene:
    def __init__(self, ctx: CollabContext, chat: ChatLog, opinions: OpinionDesk) -> None:
        self.ctx = ctx
        self.chat = chat
        self.opinions = opinions
        self.ports = ctx.ports
        self._sequencer: OpSequencer[tuple[ViewerOp | Ack, Reply]] = OpSequencer()
        self._gap_timer: asyncio.TimerHandle | None = None
        #: Marks of authors who left, (annotations, when), until they come back.
        self.set_aside: dict[str, tuple[tuple[Annotation, ...], float]] = {}

    # --- operations from viewers ----------------------------------------------------

    def receive(self, peer: PeerInfo, msg: ChannelMessage, reply: Reply) -> None:
        if not isinstance(msg, VIEWER_OPS):
            return  # viewers do not send the station scene syncs or cue states
        if peer.role not in DRAWING_ROLES and not isinstance(msg, ChatSend):
            self._refuse(reply, msg.op, ErrorCode.FORBIDDEN, "observers can watch but not annotate")
            self.ports.stats.rejected += 1
            return
        self._sequence(peer, msg.seq, msg, reply)

    def rejected(
        self, peer: PeerInfo, data: str | bytes, error: ProtocolError, reply: Reply
    ) -> None:
        """A message that failed its check is refused by the road it came, in its
        ``seq`` place: the seq counts as used, so the sender's next operation is not
        held for the gap timer."""
        named = rejected_op(data)
        if named is None:
            return
        op, seq = named
        if peer.role not in DRAWING_ROLES and claimed_type(data) != ChatSend.TYPE:
            self._refuse(reply, op, ErrorCode.FORBIDDEN, "observers can watch but not annotate")
            return
        self._sequence(peer, seq, Ack.refusal(op, error.code, error.reason), reply)

    def _sequence(self, peer: PeerInfo, seq: int, item: ViewerOp | Ack, reply: Reply) -> None:
        """Apply (or refuse) in the sender's ``seq`` order; each keeps the road it came by."""
        for ready, answer in self._sequencer.push(peer.id, seq, (item, reply), time.monotonic()):
            self._apply(peer, ready, answer)
        self._arm_gap_timer()

    def _refuse(self, reply: Reply, op: str, code: ErrorCode, reason: str) -> None:
        reply(Ack.refusal(op, code, reason))
        self.ports.stats.refusals_sent += 1

    def _arm_gap_timer(self) -> None:
        if self._sequencer.waiting() and self._gap_timer is None:
            self._gap_timer = asyncio.get_running_loop().call_later(
                GAP_TIMEOUT_S, self._release_gaps
            )

    def _release_gaps(self) -> None:
        self._gap_timer = None
        for sender, (op, reply) in self._sequencer.due(time.monotonic()):
            peer = self.ports.peer(sender)
            if peer is not None:
                self._apply(peer, op, reply)
        self.ports.stats.sequence_gaps = self._sequencer.gaps_skipped
        self._arm_gap_timer()

    def _apply(self, peer: PeerInfo, op: ViewerOp | Ack, reply: Reply) -> None:
        stats = self.ports.stats
        if isinstance(op, Ack):  # a refusal of a message that failed its check, in its place
            reply(op)
            stats.refusals_sent += 1
            return
        stats.annotations_received += 1
        op = _authored(op, name_of(peer))
        if isinstance(op, CalibrationSet):
            refusal = self.calibrate(op)
            if refusal is None:
                reply(Ack(op.op))
            else:
                self._refuse(reply, op.op, ErrorCode.CONFLICT, refusal)
            return
        if isinstance(op, OpinionSend):
            self.opinions.receive(peer, op, reply)
            return
        if isinstance(op, ChatSend):
            if self.chat.add(op):
                self.ctx.record(op, op.by)
                stats.chat_received += 1
                self.ports.messenger.to_viewers(unsequenced(op), but=peer.id)
            reply(Ack(op.op))
            return
        guidance = self.ctx.overlay.guidance
        if isinstance(op, CueSend):
            changes = guidance.show(op.cue, now_ms())
            if changes:
                self.ctx.record(op, peer.name)
                stats.cues_received += 1
                self.ports.messenger.to_viewers(CueSend(op.op, op.cue), but=peer.id)
                self._publish_cues(changes)
            reply(Ack(op.op))
            return
        if isinstance(op, CueCancel):
            self.ctx.record(op, peer.name)
            changes = guidance.answer(op.id, CueStatus.CANCELLED, peer.name, now_ms())
            self._publish_cues(changes)
            reply(Ack(op.op))
            return
        refusal = self._over_drawing_budget(op, name_of(peer))
        if refusal is not None:
            reply(Ack(op.op, ok=False, reason=refusal))
            stats.rejected += 1
            return
        try:
            if self.ctx.overlay.apply(op):
                self.ctx.record(op, peer.name)
                self.ctx.notify_annotations()
                self.ports.messenger.to_viewers(unsequenced(op), but=peer.id)
        except SceneError as exc:
            self._refuse(reply, op.op, ErrorCode.CONFLICT, str(exc))
            stats.rejected += 1
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
        scene = self.ctx.overlay.scene
        if adding == 0 or scene.seen(op.op):
            return None
        annotations = scene.annotations()
        mine = sum(len(a.points) for a in annotations if a.author == name)
        if mine + adding > MAX_POINTS_PER_AUTHOR:
            return (
                f"your drawings already hold {mine} points, the most one person may have is "
                f"{MAX_POINTS_PER_AUTHOR}; clear some first"
            )
        if sum(len(a.points) for a in annotations) + adding > MAX_POINTS_PER_CALL:
            return f"the drawings of this call hold {MAX_POINTS_PER_CALL} points; clear some first"
        return None

    # --- the scale ------------------------------------------------------------------

    def calibrate(self, msg: CalibrationSet) -> str | None:
        """Set the scale for everyone; why not (a picture of another size), or None."""
        size = self.ports.frame_size()
        if size is not None and (msg.width, msg.height) != size:
            return (
                f"that calibration was made on a {msg.width}x{msg.height} picture; the picture "
                f"is now {size[0]}x{size[1]}. Calibrate again."
            )
        self.ctx.set_calibration(msg)
        self.ports.messenger.to_viewers(unsequenced(msg))
        return None

    def source_switched(self, calibration: Calibration | None, size: tuple[int, int]) -> None:
        """The station sends another source: its own scale, or none (the old one was for
        another picture), for everyone."""
        if calibration is not None:
            self.set_source_calibration(calibration, size)
            msg = self.ctx.overlay.calibration
        else:
            msg = CalibrationSet(self.ctx.next_op()[0], CalibrationOrigin.NONE, size[0], size[1])
            self.ctx.set_calibration(msg)
        if msg is not None:
            self.ports.messenger.to_viewers(unsequenced(msg))

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
        op, _ = self.ctx.next_op()
        self.ctx.set_calibration(
            CalibrationSet(
                op, origin, size[0], size[1], calibration.mm_per_px_x, calibration.mm_per_px_y
            )
        )

    # --- cues -------------------------------------------------------------------------

    def answer_cue(self, status: CueStatus, cue_id: str | None = None) -> bool:
        """The sonographer's answer to the cue on screen: done or can't."""
        guidance = self.ctx.overlay.guidance
        target = cue_id or guidance.active
        if target is None:
            return False
        changes = guidance.answer(target, status, self.ports.author(), now_ms())
        self._publish_cues(changes)
        return bool(changes)

    def _publish_cues(self, changes: list[CueState]) -> None:
        for state in changes:
            self.ctx.record(state, state.by)
            self.ports.messenger.to_viewers(state)
        self.ctx.notify_cues()

    # --- a viewer (re)connects ----------------------------------------------------------

    def sync_viewer(self, send: Callable[[ChannelMessage], object]) -> None:
        """The whole scene, calibration and recent cues to a viewer that (re)connected
        (``send``: on its link, or through the server to a lecture's trainee)."""
        epoch = f"e-{self.ctx.serial()}"
        overlay = self.ctx.overlay
        items = overlay.scene.annotations()
        send(SceneSync("begin", epoch, len(items)))
        station_op = lambda: (f"s-{epoch}-{self.ctx.serial()}", 0)  # noqa: E731
        for ann in items:
            for op in annotation_ops(ann, station_op):
                send(op)
        send(SceneSync("end", epoch, len(items)))
        if overlay.calibration is not None:
            send(unsequenced(overlay.calibration))
        for entry in overlay.guidance.entries()[-CUES_RESENT:]:
            send(CueSend(f"s-{epoch}-{self.ctx.serial()}", entry.cue))
            send(CueState(entry.cue.id, entry.status, entry.by, entry.at_ms))
        for name in self.ctx.recorders.values():
            send(RecordingNotice(name, True))
        for message in self.chat.messages()[-CHAT_RESENT:]:
            send(replace(message, op=f"s-{epoch}-{self.ctx.serial()}", seq=0))
        self.ports.stats.scene_syncs += 1

    # --- presence: a mark lives while its author is in the call ---------------------------

    def peer_left(self, peer: PeerInfo) -> None:
        """``peer`` left; their marks leave the image for everyone (and the recording),
        kept aside for :data:`MARKS_RESUME_S`."""
        self._sequencer.forget(peer.id)
        if peer.role is Role.STATION:
            return
        author = name_of(peer)
        theirs = tuple(a for a in self.ctx.overlay.scene.annotations() if a.author == author)
        if not theirs:
            return
        self.set_aside[author] = (theirs, time.monotonic())
        self._station_op(AnnotationClear(self.ctx.next_op()[0], author, 0), by=author)

    def peer_joined(self, peer: PeerInfo) -> None:
        """Someone (re)joined; the marks they left with come back if they left less
        than :data:`MARKS_RESUME_S` ago."""
        now = time.monotonic()
        for author, (_, at) in list(self.set_aside.items()):
            if now - at > MARKS_RESUME_S:
                del self.set_aside[author]
        kept = self.set_aside.pop(name_of(peer), None)
        if kept is None:
            return
        for ann in kept[0]:
            if ann.id not in self.ctx.overlay.scene:
                for op in annotation_ops(ann, self.ctx.next_op):
                    self._station_op(unsequenced(op), by=ann.author)

    def clear(self) -> None:
        """Take every mark off the image, for everyone (always allowed: the sonographer
        owns the live image)."""
        if self.ports.role is not Role.STATION:
            raise CallError("only the station clears the whole overlay this way")
        self.set_aside.clear()
        if len(self.ctx.overlay.scene):
            self._station_op(
                AnnotationClear(self.ctx.next_op()[0], None, 0), by=self.ports.author()
            )

    def _station_op(self, op: Any, *, by: str) -> None:
        """Apply an operation the station makes itself, record it, tell every viewer."""
        try:
            changed = self.ctx.overlay.apply(op)
        except SceneError as exc:
            logger.warning("the station's own operation did not apply: %s", exc)
            return
        if changed:
            self.ctx.record(op, by, synced=True)
            self.ports.messenger.to_viewers(op)
            self.ctx.notify_annotations()

    def close(self) -> None:
        if self._gap_timer is not None:
            self._gap_timer.cancel()


def _authored(op: ViewerOp, name: str) -> ViewerOp:
    """``op`` with every author field set to ``name``: a viewer cannot speak for another."""
    if isinstance(op, AnnotationAdd) and op.ann.author != name:
        return replace(op, ann=replace(op.ann, author=name))
    if isinstance(op, CueSend) and op.cue.author != name:
        return replace(op, cue=replace(op.cue, author=name))
    if isinstance(op, CalibrationSet | ChatSend) and op.by != name:
        return replace(op, by=name)
    return op


def unsequenced(op: Any) -> Any:
    """The same operation without its sender's sequence number (for passing on)."""
    return replace(op, seq=0)
