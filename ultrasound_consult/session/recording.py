"""Recording a call into a session bundle: what the call feeds the recorder.

The station records its own masked source at full quality; a viewer records the
stream it receives. Both log every event of the call (annotation operations, cues
and their outcome, calibration, acknowledgements, pointer, snapshots, people joining
and leaving, errors) with the station's media time, so replay puts each one on the
frame where it happened.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ultrasound_consult import __version__
from ultrasound_consult.protocol.channel import SceneSync, annotation_ops
from ultrasound_consult.protocol.guidance import CueSend, CueState
from ultrasound_consult.record.bundle import (
    CALL_STATE,
    CAMERA,
    MARKER,
    SNAPSHOT,
    ULTRASOUND,
    Participant,
    SessionInfo,
)
from ultrasound_consult.record.recorder import (
    BundleRecorder,
    EncoderSettings,
    RecordingFailed,
    snapshot_path,
)

if TYPE_CHECKING:
    from ultrasound_consult.annotate.guidance import CueEntry
    from ultrasound_consult.media.receiver import ReceivedFrame
    from ultrasound_consult.media.source import SourceFrame
    from ultrasound_consult.protocol.annotation import Annotation
    from ultrasound_consult.protocol.channel import CalibrationSet, ChannelMessage

logger = logging.getLogger(__name__)


#: Where recordings go unless the user says otherwise.
RECORDINGS_ENV = "ULTRASOUND_CONSULT_RECORDINGS"
#: Cues (with their outcome) written at the start of a recording, as a resync sends.
CUES_AT_START = 20


def recordings_root() -> Path:
    """``$ULTRASOUND_CONSULT_RECORDINGS``, else ``~/ultrasound-consult-recordings``."""
    return Path(os.environ.get(RECORDINGS_ENV) or Path.home() / "ultrasound-consult-recordings")


def default_folder(root: Path, room: str, role: str, *, now: float | None = None) -> Path:
    """``root/2026-11-22_143005_room_station``: sorts by time, says what it is."""
    stamp = time.strftime("%Y-%m-%d_%H%M%S", time.localtime(now or time.time()))
    safe_room = "".join(c if c.isalnum() or c in "-_" else "-" for c in room)[:40] or "room"
    folder = Path(root) / f"{stamp}_{safe_room}_{role}"
    n = 2
    while folder.exists():
        folder = Path(root) / f"{stamp}_{safe_room}_{role}-{n}"
        n += 1
    return folder


@dataclass(frozen=True)
class RecordingStart:
    """What the call tells a recording as it starts (pushed, never read from the call)."""

    room: str
    author: str
    role: str
    #: A neutral label of the ultrasound source: no file name, no path.
    source: str
    fps: float
    #: The second camera's rate, if this side has one.
    camera_fps: float | None
    #: What everyone is looking at when Record is pressed.
    annotations: tuple[Annotation, ...] = ()
    cues: tuple[CueEntry, ...] = ()
    calibration: CalibrationSet | None = None
    state: str = ""
    people: tuple[Person, ...] = ()


#: Someone in the call: (peer id, name, role).
Person = tuple[str, str, str]


class CallRecording:
    """One recording of a call; :meth:`ConsultCall.start_recording` makes it."""

    def __init__(
        self,
        folder: Path,
        start: RecordingStart,
        *,
        on_problem: Callable[[str, str], None],
        settings: EncoderSettings | None = None,
    ) -> None:
        self.folder = Path(folder)
        self._start = start
        info = SessionInfo(
            room=start.room,
            recorded_by=start.author,
            recorder_role=start.role,
            app_version=__version__,
            source=start.source,
        )
        self.recorder = BundleRecorder(self.folder, info, settings=settings, on_problem=on_problem)
        self._camera = False
        self._people: dict[str, Participant] = {}
        self._calibration = start.calibration
        self._source = start.source

    @property
    def failed(self) -> str | None:
        return self.recorder.failed

    def start(self) -> None:
        """Raises :class:`RecordingFailed` (folder not writable, not empty...)."""
        start = self._start
        self.recorder.add_track(ULTRASOUND, fps=start.fps)
        if start.camera_fps is not None:
            self.recorder.add_track(CAMERA, fps=start.camera_fps)
            self._camera = True
        self.participants_changed(start.people)
        self.recorder.start()
        self.event(CALL_STATE, state=start.state, detail="when recording started")
        self._record_scene_at_start()

    def _record_scene_at_start(self) -> None:
        """What everyone is looking at when Record is pressed: every annotation, the
        cue on screen (and the recent ones, with their outcome) and the scale, logged
        before the first frame (``t`` is None), so replay, the report, the burned-in
        export and QC open with the full scene at frame 0, not only what was drawn
        afterwards. The annotations are wrapped in a ``scene.sync`` like a resync."""
        start = self._start
        items = start.annotations
        entries = start.cues[-CUES_AT_START:]
        if start.calibration is not None:
            # session.json holds it too, but is rewritten when people come and go.
            self._log_start(start.calibration, by=start.calibration.by)
        if not items and not entries:
            return
        epoch = "rec-start"
        ids = itertools.count(1)
        op_id = lambda: (f"r-{epoch}-{next(ids)}", 0)  # noqa: E731
        self._log_start(SceneSync("begin", epoch, len(items)))
        for ann in items:
            for op in annotation_ops(ann, op_id):
                self._log_start(op, by=ann.author)
        self._log_start(SceneSync("end", epoch, len(items)))
        for entry in entries:
            self._log_start(CueSend(op_id()[0], entry.cue), by=entry.cue.author)
            self._log_start(CueState(entry.cue.id, entry.status, entry.by, entry.at_ms))

    def _log_start(self, msg: ChannelMessage, *, by: str = "") -> None:
        # No anchor: these belong before the first frame, whatever frame they were made on.
        self.recorder.event(msg.TYPE, by=by, data=msg.to_wire(), t=None)

    async def stop(self, reason: str = "") -> None:
        await asyncio.to_thread(self.recorder.stop, reason)

    # --- what the call pushes --------------------------------------------------------

    def participants_changed(self, people: tuple[Person, ...]) -> None:
        """Who is in the call now (this side included)."""

        def describe(info: SessionInfo) -> None:
            now = time.time()
            present = {pid: (name, role) for pid, name, role in people}
            for pid, (name, role) in present.items():
                person = self._people.get(pid)
                if person is None:
                    self._people[pid] = Participant(pid, name, role, now)
                else:
                    person.left_wall = None
            for pid, person in self._people.items():
                if pid not in present and person.left_wall is None:
                    person.left_wall = now
            info.participants = list(self._people.values())
            self._describe(info)

        self.recorder.update_session(describe)

    def calibration_changed(self, calibration: CalibrationSet | None) -> None:
        self._calibration = calibration
        self.recorder.update_session(self._describe)

    def source_changed(self, source: str) -> None:
        self._source = source or self._source
        self.recorder.update_session(self._describe)

    def _describe(self, info: SessionInfo) -> None:
        calib = self._calibration
        info.calibration = calib.to_wire() if calib is not None else None
        info.source = self._source or info.source

    # --- frames ---------------------------------------------------------------------

    def station_frame(self, frame: SourceFrame) -> None:
        self.recorder.video(ULTRASOUND, frame.media_ts, image=frame.image, mask=frame.mask)

    def remote_frame(self, frame: ReceivedFrame) -> None:
        if frame.media_ts is None:
            return  # before the station said how its clock maps (a frame or two)
        self.recorder.video(ULTRASOUND, frame.media_ts, frame=frame.frame)

    def camera_frame(self, frame: SourceFrame | ReceivedFrame) -> None:
        now = self.recorder.media_now
        if not self._camera:
            self.recorder.add_track(CAMERA, fps=15.0)
            self._camera = True
        if now is None:
            return
        # The camera has its own clock: place its frames on the ultrasound's.
        image = getattr(frame, "image", None)
        if image is not None:
            self.recorder.video(CAMERA, now, image=image)
        else:
            self.recorder.video(CAMERA, now, frame=frame.frame)  # type: ignore[union-attr]

    # --- events -----------------------------------------------------------------------

    def message(self, msg: ChannelMessage, by: str, *, anchor: float | None = None) -> None:
        self.recorder.event(msg.TYPE, by=by, data=msg.to_wire(), anchor=anchor)

    def event(self, kind: str, *, by: str = "", **data: Any) -> None:
        self.recorder.event(kind, by=by, data=data)

    def marker(self, label: str, by: str) -> None:
        self.recorder.event(MARKER, by=by, data={"label": label})

    def attach(self, relative: str, data: bytes) -> None:
        """A file into the bundle's folder, as it is (an opinion, say)."""
        self.recorder.blob(relative, lambda: data)

    def snapshot(self, snapshot_id: str, jpeg: bytes, by: str, data: dict[str, Any]) -> None:
        """The JPEG as it came (or went): kept byte for byte, never encoded again."""
        relative = snapshot_path(snapshot_id)
        self.recorder.blob(relative, lambda: jpeg)
        self.recorder.event(SNAPSHOT, by=by, data={**data, "file": relative})


__all__ = ["CallRecording", "RecordingFailed", "default_folder"]
