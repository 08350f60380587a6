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
    jpeg_of,
    snapshot_path,
)
from ultrasound_consult.session.source_label import source_label

if TYPE_CHECKING:
    import numpy as np

    from ultrasound_consult.media.receiver import ReceivedFrame
    from ultrasound_consult.media.source import SourceFrame
    from ultrasound_consult.protocol.channel import ChannelMessage
    from ultrasound_consult.session.call import ConsultCall

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


class CallRecording:
    """One recording of a call; :meth:`ConsultCall.start_recording` makes it."""

    def __init__(
        self,
        call: ConsultCall,
        folder: Path,
        *,
        on_problem: Callable[[str, str], None],
        settings: EncoderSettings | None = None,
    ) -> None:
        self.call = call
        self.folder = Path(folder)
        info = SessionInfo(
            room=call.config.room,
            recorded_by=call.author,
            recorder_role=call.role.value,
            app_version=__version__,
            source=self._source_description(),
        )
        self.recorder = BundleRecorder(self.folder, info, settings=settings, on_problem=on_problem)
        self._camera = False
        self._people: dict[str, Participant] = {}

    def _source_description(self) -> str:
        if self.call.pipeline is not None:  # a neutral label: no file name, no path
            return source_label(self.call.media.source)
        return self.call.stream_info.source if self.call.stream_info is not None else ""

    @property
    def failed(self) -> str | None:
        return self.recorder.failed

    def start(self) -> None:
        """Raises :class:`RecordingFailed` (folder not writable, not empty...)."""
        call = self.call
        fps = call._nominal_fps()
        self.recorder.add_track(ULTRASOUND, fps=fps)
        if call.media.camera is not None:
            self.recorder.add_track(CAMERA, fps=call.media.camera_fps())
            self._camera = True
        self._describe_call()
        self.recorder.start()
        self.event(CALL_STATE, state=call.state.value, detail="when recording started")
        self._record_scene_at_start()
        if call.pipeline is not None:
            call.pipeline.add_sink(self.station_frame)
        if call.media.camera is not None:
            call.media.camera.add_sink(self.camera_frame)

    def _record_scene_at_start(self) -> None:
        """What everyone is looking at when Record is pressed: every annotation, the
        cue on screen (and the recent ones, with their outcome) and the scale, logged
        before the first frame (``t`` is None), so replay, the report, the burned-in
        export and QC open with the full scene at frame 0, not only what was drawn
        afterwards. The annotations are wrapped in a ``scene.sync`` like a resync."""
        collab = self.call.collab
        items = collab.scene.annotations()
        entries = collab.guidance.entries()[-CUES_AT_START:]
        if collab.calibration is not None:
            # session.json holds it too, but is rewritten when people come and go.
            self._log_start(collab.calibration, by=collab.calibration.by)
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
        call = self.call
        if call.pipeline is not None:
            call.pipeline.remove_sink(self.station_frame)
        if call.media.camera is not None:
            call.media.camera.remove_sink(self.camera_frame)
        await asyncio.to_thread(self.recorder.stop, reason)

    def _describe_call(self) -> None:
        call = self.call

        def describe(info: SessionInfo) -> None:
            now = time.time()
            present = {p.id: (p.name, p.role.value) for p in call.peers.values()}
            if call.me is not None:
                present[call.me.id] = (call.author, call.role.value)
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
            calib = call.collab.calibration
            info.calibration = calib.to_wire() if calib is not None else None
            info.source = self._source_description() or info.source

        self.recorder.update_session(describe)

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

    def snapshot(self, snapshot_id: str, image: np.ndarray, by: str, data: dict[str, Any]) -> None:
        relative = snapshot_path(snapshot_id)
        self.recorder.blob(relative, jpeg_of(image))
        self.recorder.event(SNAPSHOT, by=by, data={**data, "file": relative})

    def participants_changed(self) -> None:
        self._describe_call()


__all__ = ["CallRecording", "RecordingFailed", "default_folder"]
