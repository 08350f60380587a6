"""The station and expert windows: the image first, a little status, nothing else.

Both show a :class:`VideoView` filling the window, an error banner that says what to
do, and a status bar (call state, who is connected, frame rate, resolution, scale).
The station shows its own masked feed with the expert's marks and guidance cues
(answered with Space / Backspace) and the frames the expert sent; the expert shows
the station's feed and draws, measures and guides on it (tool palette above, cue
panel beside).
"""

from __future__ import annotations

import itertools
import logging
import time

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMainWindow,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ultrasound_consult.annotate.calibration import calibration_of
from ultrasound_consult.annotate.guidance import CueEntry
from ultrasound_consult.protocol.annotation import Annotation, AnnotationKind
from ultrasound_consult.protocol.channel import CalibrationSet
from ultrasound_consult.protocol.guidance import CueStatus
from ultrasound_consult.protocol.signaling import ANNOTATING_ROLES, PeerInfo, Role
from ultrasound_consult.session.call import ConsultCall
from ultrasound_consult.session.collab import Snapshot
from ultrasound_consult.session.link_monitor import LinkStats
from ultrasound_consult.session.recording import default_folder, recordings_root
from ultrasound_consult.ui.bridge import EngineBridge
from ultrasound_consult.ui.cue_panel import CuePanel
from ultrasound_consult.ui.guidance_view import is_live
from ultrasound_consult.ui.i18n import tr
from ultrasound_consult.ui.messages import error_headline, link_quality_text, state_text
from ultrasound_consult.ui.pip import CameraInset
from ultrasound_consult.ui.snapshot_panel import SnapshotPanel
from ultrasound_consult.ui.tools import ToolPalette
from ultrasound_consult.ui.video_view import VideoView

QUALITY_ORDER = ["good", "fair", "poor"]

logger = logging.getLogger(__name__)

STOP_TIMEOUT_S = 5.0

STYLE = """
QMainWindow, QWidget#central { background: #0b0c0e; }
QStatusBar { background: #15171a; color: #d8dadd; font-size: 13px; }
QStatusBar QLabel { color: #d8dadd; padding: 0 8px; }
QLabel#banner { background: #7a1f1f; color: white; padding: 8px 12px; font-size: 14px; }
QStatusBar QLabel#rec { background: #c62828; color: white; font-weight: bold; border-radius: 4px; }
QPushButton#record:checked { background: #7a1f1f; border-color: #a33; }
QPushButton { background: #2a2e33; color: #eceef0; border: 1px solid #3b4047;
              border-radius: 4px; padding: 6px 14px; font-size: 13px; }
QPushButton:hover { background: #353a40; }
QPushButton#mic, QPushButton#camera, QPushButton#record { padding: 2px 10px; }
QPushButton#camera:!checked { color: #7d838a; }
QPushButton#mic:checked { background: #7a1f1f; border-color: #a33; }
QPushButton#mic:disabled { color: #7d838a; }
QWidget#toolbar { background: #15171a; }
QLabel#hint { color: #9aa0a6; font-size: 13px; }
QPushButton#tool { padding: 5px 10px; }
QPushButton#tool:checked, QPushButton#choice:checked { background: #2d5b8a; border-color: #4f8fd0; }
QPushButton#choice { padding: 4px 6px; font-size: 12px; }
QPushButton#primary { background: #2d6a3e; border-color: #3c8f53; font-weight: bold; padding: 8px; }
QPushButton:disabled { color: #6b7077; }
QWidget#cuepanel, QWidget#snapshots { background: #15171a; }
QWidget#cuepanel QLabel, QWidget#snapshots QLabel { color: #d8dadd; font-size: 13px; }
QWidget#answers { background: #1d1f23; }
QPushButton#done { background: #2d6a3e; border-color: #3c8f53; font-size: 20px; padding: 12px 28px;}
QPushButton#cant { background: #6a2d2d; border-color: #8f3c3c; font-size: 20px; padding: 12px 28px;}
QSpinBox { background: #2a2e33; color: #eceef0; border: 1px solid #3b4047; padding: 3px; }
"""


class CallWindow(QMainWindow):
    """What both roles share; subclasses add their own controls."""

    def __init__(self, bridge: EngineBridge, call: ConsultCall, *, interactive: bool) -> None:
        super().__init__()
        self.bridge, self.call = bridge, call
        self.peers: tuple[PeerInfo, ...] = ()
        self.latest_stats: tuple[LinkStats, ...] = ()
        self.state = "idle"
        self._closing = False
        self.setStyleSheet(STYLE)
        central = QWidget(objectName="central")
        self.layout_ = QVBoxLayout(central)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.layout_.setSpacing(0)
        self.banner = QLabel(objectName="banner")
        self.banner.setWordWrap(True)
        self.banner.hide()
        self.view = VideoView(interactive=interactive)
        self.layout_.addWidget(self.banner)
        body = QWidget()
        self.body = QHBoxLayout(body)
        self.body.setContentsMargins(0, 0, 0, 0)
        self.body.setSpacing(0)
        self.body.addWidget(self.view, 1)
        self.snapshot_panel = SnapshotPanel()
        self.body.addWidget(self.snapshot_panel)
        self.layout_.addWidget(body, 1)
        self.setCentralWidget(central)
        self.state_label = QLabel()
        self.link_label = QLabel()
        self.video_label = QLabel()
        self.scale_label = QLabel()
        self.mic_button = QPushButton(objectName="mic")
        self.mic_button.setCheckable(True)
        self.mic_button.toggled.connect(self.set_muted)
        self.statusBar().addWidget(self.state_label, 1)
        self.statusBar().addPermanentWidget(self.link_label)
        self.statusBar().addPermanentWidget(self.video_label)
        self.statusBar().addPermanentWidget(self.scale_label)
        self.statusBar().addPermanentWidget(self.mic_button)
        self.camera_inset = CameraInset(self.view)
        self.camera_button = QPushButton(tr("Camera"), objectName="camera")
        self.camera_button.setCheckable(True)
        self.camera_button.setChecked(True)
        self.camera_button.setToolTip(tr("Show or hide the second camera's picture"))
        self.camera_button.toggled.connect(self.camera_inset.set_wanted)
        self.camera_button.hide()
        self.statusBar().addPermanentWidget(self.camera_button)
        self.rec_label = QLabel(objectName="rec")
        self.rec_label.hide()
        self.record_button = QPushButton(tr("Record"), objectName="record")
        self.record_button.setCheckable(True)
        self.record_button.setToolTip(
            tr("Record this session for teaching and review; everyone sees that you do (Ctrl+R)")
        )
        self.record_button.toggled.connect(self.set_recording)
        self.statusBar().insertPermanentWidget(0, self.rec_label)
        self.statusBar().addPermanentWidget(self.record_button)
        QShortcut(QKeySequence(Qt.CTRL | Qt.Key_R), self, activated=self.record_button.toggle)
        self.recordings_root = recordings_root()
        self._mic_problem = "" if call.media.audio_capture else tr("No microphone in this call")
        self._show_mic()
        QShortcut(QKeySequence(Qt.CTRL | Qt.Key_M), self, activated=self.mic_button.toggle)
        self.resize(1100, 860)

        bridge.state_changed.connect(self._on_state)
        bridge.server_changed.connect(self._on_server)
        bridge.peers_changed.connect(self._on_peers)
        bridge.error_raised.connect(self.show_error)
        bridge.annotations_changed.connect(self._on_annotations)
        bridge.pointers_changed.connect(self.view.set_pointers)
        bridge.stats_changed.connect(self._on_stats)
        bridge.camera_frame_ready.connect(self._show_camera_frame)
        bridge.calibration_changed.connect(self._on_calibration)
        bridge.snapshot_received.connect(self._on_snapshot)
        bridge.cues_changed.connect(self._on_cues)
        bridge.recording_changed.connect(self._on_recording)
        self._show_scale(None)
        self._status_timer = QTimer(self, interval=1000, timeout=self._refresh_video_status)
        self._status_timer.start()
        self._on_state("idle", "")

    # --- engine events --------------------------------------------------------

    def _on_state(self, state: str, detail: str) -> None:
        self.state = state
        text = state_text(state, self.call.role.value, self.call.config.room, self._peer_name())
        self.state_label.setText(text)
        if state not in ("connected", "negotiating") and self.view.frame_size is None:
            self.view.set_placeholder(text)
        if state == "connected":
            self.banner.hide()

    def _on_server(self, connected: bool, detail: str) -> None:
        if connected:
            self.banner.hide()
        else:
            self.banner.setText(
                "<b>" + tr("Reconnecting to the server… The video continues.") + "</b>"
            )
            self.banner.show()

    def _on_peers(self, peers: tuple[PeerInfo, ...]) -> None:
        self.peers = peers
        self._on_state(self.state, "")

    def _on_annotations(self, payload: object) -> None:
        annotations, pending = payload  # type: ignore[misc]
        self.view.set_annotations(annotations, pending)

    def _on_calibration(self, msg: CalibrationSet | None) -> None:
        self.view.set_calibration(calibration_of(msg))
        self._show_scale(msg)

    def _show_scale(self, msg: CalibrationSet | None) -> None:
        cal = calibration_of(msg)
        if cal is None:
            self.scale_label.setText(tr("Not calibrated"))
            self.scale_label.setToolTip(
                tr("Measurements show pixels. Calibrate on the depth scale (K).")
            )
            return
        origin = {
            "dicom": tr("from the scanner"),
            "user": tr("calibrated by {name}").format(name=msg.by or "?"),
            "synthetic": tr("test picture"),
        }.get(cal.origin, cal.origin)
        self.scale_label.setText(
            tr("Scale {mm:.3f} mm/px").format(mm=cal.mm_per_px_y) + f" ({origin})"
        )
        self.scale_label.setToolTip("")

    def _on_snapshot(self, snapshot: Snapshot) -> None:
        self.snapshot_panel.add(snapshot)

    def _on_cues(self, entries: tuple[CueEntry, ...], active: CueEntry | None) -> None:
        """Guidance cues changed; the windows show them their own way."""

    def show_error(self, code: str, message: str) -> None:
        self._sync_record_button()  # a recording that failed to start or stopped on its own
        if code == "microphone_unavailable":
            self._mic_problem = message
            self._show_mic()
        self.banner.setText(f"<b>{error_headline(code)}</b><br>{message}")
        self.banner.show()

    def _on_stats(self, stats: tuple[LinkStats, ...]) -> None:
        if not stats:
            self.link_label.setText("")
            return
        worst = max(stats, key=lambda s: QUALITY_ORDER.index(s.quality))
        colour = {"good": "#3ccf6e", "fair": "#f2c14e", "poor": "#f0554a"}[worst.quality]
        parts = [link_quality_text(worst.quality)]
        if worst.rtt_ms is not None:
            parts.append(tr("RTT {ms:.0f} ms").format(ms=worst.rtt_ms))
        if worst.loss_percent is not None:
            parts.append(tr("loss {pct:.1f}%").format(pct=worst.loss_percent))
        if worst.bitrate_mbps is not None:
            parts.append(tr("{mbps:.1f} Mbit/s").format(mbps=worst.bitrate_mbps))
        self.link_label.setText(f"<span style='color:{colour}'>●</span> " + " · ".join(parts))
        self.latest_stats = stats

    # --- recording ------------------------------------------------------------------

    def set_recording(self, on: bool) -> None:
        """Start (into a new folder under :attr:`recordings_root`) or stop recording."""
        if on and self.call.recording is None:
            folder = default_folder(
                self.recordings_root, self.call.config.room, self.call.role.value
            )
            self.bridge.call(self.call.start_recording, folder)
        elif not on and self.call.recording is not None:
            self.bridge.submit(self.call.stop_recording())

    def _on_recording(self, recorders: tuple[str, ...]) -> None:
        """Someone (maybe this side) records: a red indicator everyone can see."""
        self.rec_label.setVisible(bool(recorders))
        self.rec_label.setText(
            "<span style='color:#ff4d4d'>●</span> "
            + tr("REC: {names}").format(names=", ".join(recorders))
        )
        self._sync_record_button()

    def _sync_record_button(self) -> None:
        mine = self.call.recording is not None
        if self.record_button.isChecked() != mine:
            self.record_button.blockSignals(True)
            self.record_button.setChecked(mine)
            self.record_button.blockSignals(False)
        self.record_button.setText(tr("Stop recording") if mine else tr("Record"))

    # --- microphone ---------------------------------------------------------------

    def set_muted(self, muted: bool) -> None:
        self.bridge.call(self.call.mute, muted)
        self._show_mic()

    def _show_mic(self) -> None:
        if self._mic_problem:
            self.mic_button.setEnabled(False)
            self.mic_button.setText(tr("No microphone"))
            self.mic_button.setToolTip(self._mic_problem)
        elif self.mic_button.isChecked():
            self.mic_button.setText(tr("Muted — click to talk"))
            self.mic_button.setToolTip(tr("The others cannot hear you (Ctrl+M)"))
        else:
            self.mic_button.setText(tr("Microphone on"))
            self.mic_button.setToolTip(tr("Click to mute your microphone (Ctrl+M)"))

    def _peer_name(self) -> str:
        other = [
            p for p in self.peers if (p.role is Role.STATION) != (self.call.role is Role.STATION)
        ]
        return ", ".join(p.name or p.role.value for p in other)

    def _show_camera_frame(self) -> None:
        frame = self.bridge.camera_frames.take()
        if frame is not None:
            self.camera_inset.set_frame(frame.display_array())
            self.camera_button.show()

    def _refresh_video_status(self) -> None:
        self.camera_inset.refresh()
        self.camera_button.setVisible(self.camera_inset.live)
        size = self.view.frame_size
        if size is None:
            self.video_label.setText("")
            return
        self.video_label.setText(
            tr("{w}×{h} · {fps:.0f} fps").format(w=size[0], h=size[1], fps=self.view.display_fps)
        )

    # --- lifecycle ------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        self.end_call()
        super().closeEvent(event)

    def end_call(self) -> None:
        if self._closing:
            return
        self._closing = True
        self._status_timer.stop()
        try:
            self.bridge.engine.submit(self.call.stop()).result(STOP_TIMEOUT_S)
        except Exception:
            logger.warning("the call did not stop cleanly", exc_info=True)


class StationWindow(CallWindow):
    def __init__(self, bridge: EngineBridge, call: ConsultCall) -> None:
        super().__init__(bridge, call, interactive=False)
        self.setWindowTitle(tr("Station — ultrasound-consult"))
        bridge.local_frame_ready.connect(self._show_local_frame)
        answers = QWidget(objectName="answers")
        row = QHBoxLayout(answers)
        row.setContentsMargins(12, 8, 12, 8)
        self.cue_hint = QLabel(objectName="hint")
        self.done_button = QPushButton(tr("Done ✓  (Space)"), objectName="done")
        self.cant_button = QPushButton(tr("Can't ✗  (Backspace)"), objectName="cant")
        for b in (self.done_button, self.cant_button):
            b.setFocusPolicy(Qt.NoFocus)
            b.setMinimumHeight(52)
        row.addWidget(self.cue_hint, 1)
        row.addWidget(self.done_button)
        row.addWidget(self.cant_button)
        self.answers = answers
        answers.hide()
        self.layout_.addWidget(answers)
        self.done_button.clicked.connect(lambda: self.answer_cue(CueStatus.DONE))
        self.cant_button.clicked.connect(lambda: self.answer_cue(CueStatus.CANT))
        QShortcut(
            QKeySequence(Qt.Key_Space), self, activated=lambda: self.answer_cue(CueStatus.DONE)
        )
        QShortcut(
            QKeySequence(Qt.Key_Backspace), self, activated=lambda: self.answer_cue(CueStatus.CANT)
        )
        # The cue animates even if the picture stalls.
        self._cue_timer = QTimer(self, interval=33, timeout=self._animate_cue)
        self._frames_at_tick = 0
        self.active_cue: CueEntry | None = None

    def _on_cues(self, entries: tuple[CueEntry, ...], active: CueEntry | None) -> None:
        self.active_cue = active if is_live(active) else None
        self.view.set_cue(self.active_cue)
        self.answers.setVisible(self.active_cue is not None)
        if self.active_cue is not None:
            self.cue_hint.setText(tr("The expert asks — answer when you have done it"))
            self._cue_timer.start()
        else:
            self._cue_timer.stop()

    def _animate_cue(self) -> None:
        """Keep the cue moving when the picture stalls; frames repaint it otherwise."""
        if self.view.frames_shown == self._frames_at_tick:
            self.view.update()
        self._frames_at_tick = self.view.frames_shown

    def answer_cue(self, status: CueStatus) -> None:
        if self.active_cue is not None:
            self.bridge.call(self.call.collab.answer_cue, status, self.active_cue.cue.id)

    def _show_local_frame(self) -> None:
        frame = self.bridge.local_frames.take()
        if frame is not None:
            # At once: the frame slot fires once per frame (latest wins), and waiting for
            # Qt's next update pass added up to a frame of delay (measured).
            self.view.set_frame(frame.display_array(), tag=frame.media_ts, immediate=True)


class ExpertWindow(CallWindow):
    """Experts and trainers draw, measure and guide; observers get the same window, watch-only."""

    def __init__(self, bridge: EngineBridge, call: ConsultCall) -> None:
        super().__init__(bridge, call, interactive=call.role in ANNOTATING_ROLES)
        self.setWindowTitle(tr("Expert — ultrasound-consult"))
        self.last_rtt_ms: float | None = None
        self.color = "#ffd400"
        self.frozen: tuple[object, float | None] | None = None
        self.drafts: list[Annotation] = []
        self._draft_ids = itertools.count(1)
        self._stroke_key: str | None = None
        self._stroke_keys = itertools.count(1)
        self.palette_ = ToolPalette(self)
        self.clear_button = self.palette_.clear_button
        self.layout_.insertWidget(1, self.palette_)
        self.cue_panel = CuePanel()
        self.body.addWidget(self.cue_panel)
        self.hint = QLabel(objectName="hint")
        self.statusBar().addWidget(self.hint)
        if not self.view.interactive:
            self.hint.setText(tr("Watching (observers cannot draw)"))
            self.palette_.hide()
            self.cue_panel.hide()
        self.ack_label = QLabel()
        self.statusBar().addPermanentWidget(self.ack_label)
        p = self.palette_
        p.tool_changed.connect(self._tool_changed)
        p.color_changed.connect(self._color_changed)
        p.undo_button.clicked.connect(self.undo)
        p.redo_button.clicked.connect(self.redo)
        p.clear_button.clicked.connect(self.clear_mine)
        p.clear_all_button.clicked.connect(self.clear_all)
        p.freeze_button.toggled.connect(self.set_frozen)
        p.send_button.clicked.connect(self.send_frame)
        for keys, slot in (
            (QKeySequence.Undo, self.undo),
            (QKeySequence(Qt.CTRL | Qt.SHIFT | Qt.Key_Z), self.redo),
            (QKeySequence(Qt.CTRL | Qt.Key_Y), self.redo),
            (QKeySequence(Qt.Key_Delete), self.clear_mine),
            (QKeySequence(Qt.SHIFT | Qt.Key_Delete), self.clear_all),
            (QKeySequence(Qt.Key_F), p.freeze_button.toggle),
            (QKeySequence(Qt.Key_Return), self.send_frame),
            (QKeySequence(Qt.Key_Enter), self.send_frame),
        ):
            QShortcut(keys, self, activated=slot)
        self.cue_panel.cue_requested.connect(self.send_cue)
        self.cue_panel.cancel_requested.connect(
            lambda cue_id: self.bridge.call(self.call.collab.cancel_cue, cue_id)
        )
        self.view.placeholder = tr("Waiting for video…")
        bridge.remote_frame_ready.connect(self._show_remote_frame)
        bridge.ack_received.connect(self._on_ack)
        self.view.mark_requested.connect(self.add_mark)
        self.view.arrow_requested.connect(self.add_arrow)
        self.view.shape_drawn.connect(self._shape_drawn)
        self.view.stroke_points.connect(self._stroke_points)
        self.view.pointer_moved.connect(self.move_pointer)
        self._tool_changed("point")

    def _show_remote_frame(self) -> None:
        frame = self.bridge.remote_frames.take()
        if frame is not None and self.frozen is None:
            # At once: the frame slot fires once per frame (latest wins), and waiting for
            # Qt's next update pass added up to a frame of delay (measured).
            self.view.set_frame(frame.display_array(), tag=frame.media_ts, immediate=True)

    # --- drawing --------------------------------------------------------------

    def _tool_changed(self, tool: str) -> None:
        self.view.set_tool(tool)
        hints = {
            "point": tr("Click to mark · drag to draw an arrow"),
            "stroke": tr("Drag to draw freehand"),
            "ellipse": tr("Drag to circle a structure"),
            "rect": tr("Drag to draw a box"),
            "text": tr("Click where the text goes"),
            "caliper": tr("Drag from one edge to the other to measure"),
            "area": tr("Drag a box around the structure to measure its area"),
            "calibrate": tr("Drag between two marks of the depth scale"),
        }
        if self.view.interactive:
            self.hint.setText(hints[tool])

    def _color_changed(self, color: str) -> None:
        self.color = color
        self.view.color = color

    def _draw(self, kind: AnnotationKind, points: tuple, label: str = "") -> None:
        if self.frozen is not None:
            self.drafts.append(
                Annotation(
                    id=f"d{next(self._draft_ids)}",
                    kind=kind,
                    points=points,
                    author=self.call.author,
                    color=self.color,
                    media_ts=self.frozen[1],
                    created_ms=int(time.time() * 1000),
                    label=label,
                )
            )
            self.view.set_annotations(tuple(self.drafts))
            return
        self.bridge.call(
            self.call.collab.add_annotation, kind, points, color=self.color, label=label
        )

    def add_mark(self, x: float, y: float) -> None:
        self._draw(AnnotationKind.MARK, ((x, y),))

    def add_arrow(self, x0: float, y0: float, x1: float, y1: float) -> None:
        self._draw(AnnotationKind.ARROW, ((x0, y0), (x1, y1)))

    def _shape_drawn(self, tool: str, points: tuple) -> None:
        if tool == "text":
            text, ok = QInputDialog.getText(self, tr("Text"), tr("Text to show on the image:"))
            if ok and text.strip():
                self._draw(AnnotationKind.TEXT, points, text.strip()[:200])
        elif tool == "calibrate":
            mm, ok = QInputDialog.getDouble(
                self,
                tr("Calibrate"),
                tr("Distance between the two marks, in millimetres:"),
                10.0,
                0.1,
                1000.0,
                1,
            )
            if ok:
                self.bridge.call(self.call.collab.calibrate, points[0], points[1], mm)
        else:
            kind = {
                "ellipse": AnnotationKind.ELLIPSE,
                "rect": AnnotationKind.RECT,
                "caliper": AnnotationKind.CALIPER,
                "area": AnnotationKind.AREA,
            }[tool]
            self._draw(kind, points)

    def _stroke_points(self, points: tuple, finished: bool) -> None:
        if self.frozen is not None:
            if self._stroke_key is None and points:
                self._stroke_key = "frozen"
                self._draw(AnnotationKind.STROKE, points)
            elif points and self.drafts:
                last = self.drafts[-1]
                self.drafts[-1] = last.with_points(last.points + points)
                self.view.set_annotations(tuple(self.drafts))
        elif points:
            if self._stroke_key is None:
                self._stroke_key = f"k{next(self._stroke_keys)}"
            self.bridge.call(self.call.collab.stroke, self._stroke_key, points, color=self.color)
        if finished:
            self._stroke_key = None

    def move_pointer(self, x: float, y: float, visible: bool) -> None:
        if self.state == "connected":
            self.bridge.call(self.call.move_pointer, x, y, visible=visible)

    def undo(self) -> None:
        if self.frozen is not None:
            if self.drafts:
                self.drafts.pop()
                self.view.set_annotations(tuple(self.drafts))
            return
        self.bridge.call(self.call.collab.undo)

    def redo(self) -> None:
        if self.frozen is None:
            self.bridge.call(self.call.collab.redo)

    def clear_mine(self) -> None:
        if self.frozen is not None:
            self.drafts.clear()
            self.view.set_annotations(())
            return
        self.bridge.call(self.call.clear_annotations, mine_only=True)

    def clear_all(self) -> None:
        if self.frozen is None:
            self.bridge.call(self.call.clear_annotations, mine_only=False)

    # --- freeze and send ----------------------------------------------------------

    def set_frozen(self, frozen: bool) -> None:
        """Hold the current frame to draw on it; drawings stay here until sent."""
        if frozen:
            array = self.view._array
            if array is None:
                self.palette_.freeze_button.setChecked(False)
                return
            self.frozen = (array.copy(), self.view._tag)
            self.drafts = []
            self.view.set_annotations(())
            self.hint.setText(tr("Frozen: draw on this frame, then Send frame (Enter)"))
        else:
            self.frozen = None
            self.drafts = []
            self.view.set_annotations(
                self.call.scene.annotations(), self.call.pending_annotation_ids()
            )
            self._tool_changed(self.palette_.tool)
        self.palette_.send_button.setEnabled(frozen)

    def send_frame(self) -> None:
        if self.frozen is None:
            return
        array, media_ts = self.frozen
        self.bridge.call(
            self.call.collab.send_snapshot, array, tuple(self.drafts), media_ts=media_ts
        )
        self.palette_.freeze_button.setChecked(False)

    def _on_annotations(self, payload: object) -> None:
        if self.frozen is None:
            super()._on_annotations(payload)

    # --- guidance --------------------------------------------------------------------

    def send_cue(self, action, direction, angle, probe, marker) -> None:  # type: ignore[no-untyped-def]
        self.bridge.call(
            self.call.collab.send_cue,
            action,
            direction,
            angle_deg=angle,
            probe=probe,
            marker_deg=marker,
        )

    def _on_cues(self, entries: tuple[CueEntry, ...], active: CueEntry | None) -> None:
        self.cue_panel.show_cues(entries)

    def _on_ack(self, op: str, ok: bool, rtt_ms: float, reason: str) -> None:
        self.last_rtt_ms = rtt_ms
        if ok:
            self.ack_label.setText(tr("Station confirmed in {ms:.0f} ms").format(ms=rtt_ms))
        else:
            self.ack_label.setText(tr("Station refused: {reason}").format(reason=reason))
