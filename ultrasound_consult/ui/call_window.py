"""The station and expert windows: the image first, a little status, nothing else.

Both show a :class:`VideoView` filling the window, an error banner that says what to
do, and a status bar (call state, who is connected, frame rate, resolution). The
station shows its own masked feed with the expert's marks; the expert shows the
station's feed and draws on it.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ultrasound_consult.protocol.annotation import AnnotationKind
from ultrasound_consult.protocol.signaling import ANNOTATING_ROLES, PeerInfo, Role
from ultrasound_consult.session.call import ConsultCall
from ultrasound_consult.session.link_monitor import LinkStats
from ultrasound_consult.ui.bridge import EngineBridge
from ultrasound_consult.ui.i18n import tr
from ultrasound_consult.ui.messages import error_headline, link_quality_text, state_text
from ultrasound_consult.ui.pip import CameraInset
from ultrasound_consult.ui.video_view import VideoView

QUALITY_ORDER = ["good", "fair", "poor"]

logger = logging.getLogger(__name__)

STOP_TIMEOUT_S = 5.0

STYLE = """
QMainWindow, QWidget#central { background: #0b0c0e; }
QStatusBar { background: #15171a; color: #d8dadd; font-size: 13px; }
QStatusBar QLabel { color: #d8dadd; padding: 0 8px; }
QLabel#banner { background: #7a1f1f; color: white; padding: 8px 12px; font-size: 14px; }
QPushButton { background: #2a2e33; color: #eceef0; border: 1px solid #3b4047;
              border-radius: 4px; padding: 6px 14px; font-size: 13px; }
QPushButton:hover { background: #353a40; }
QPushButton#mic, QPushButton#camera { padding: 2px 10px; }
QPushButton#camera:!checked { color: #7d838a; }
QPushButton#mic:checked { background: #7a1f1f; border-color: #a33; }
QPushButton#mic:disabled { color: #7d838a; }
QWidget#toolbar { background: #15171a; }
QLabel#hint { color: #9aa0a6; font-size: 13px; }
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
        self.layout_.addWidget(self.view, 1)
        self.setCentralWidget(central)
        self.state_label = QLabel()
        self.link_label = QLabel()
        self.video_label = QLabel()
        self.mic_button = QPushButton(objectName="mic")
        self.mic_button.setCheckable(True)
        self.mic_button.toggled.connect(self.set_muted)
        self.statusBar().addWidget(self.state_label, 1)
        self.statusBar().addPermanentWidget(self.link_label)
        self.statusBar().addPermanentWidget(self.video_label)
        self.statusBar().addPermanentWidget(self.mic_button)
        self.camera_inset = CameraInset(self.view)
        self.camera_button = QPushButton(tr("Camera"), objectName="camera")
        self.camera_button.setCheckable(True)
        self.camera_button.setChecked(True)
        self.camera_button.setToolTip(tr("Show or hide the second camera's picture"))
        self.camera_button.toggled.connect(self.camera_inset.set_wanted)
        self.camera_button.hide()
        self.statusBar().addPermanentWidget(self.camera_button)
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

    def show_error(self, code: str, message: str) -> None:
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

    def _show_local_frame(self) -> None:
        frame = self.bridge.local_frames.take()
        if frame is not None:
            # At once: the frame slot fires once per frame (latest wins), and waiting for
            # Qt's next update pass added up to a frame of delay (measured).
            self.view.set_frame(frame.display_array(), tag=frame.media_ts, immediate=True)


class ExpertWindow(CallWindow):
    """Experts and trainers draw; observers get the same window, watch-only."""

    def __init__(self, bridge: EngineBridge, call: ConsultCall) -> None:
        super().__init__(bridge, call, interactive=call.role in ANNOTATING_ROLES)
        self.setWindowTitle(tr("Expert — ultrasound-consult"))
        self.last_rtt_ms: float | None = None
        toolbar = QWidget(objectName="toolbar")
        row = QHBoxLayout(toolbar)
        row.setContentsMargins(10, 6, 10, 6)
        self.hint = QLabel(tr("Click to mark · drag to draw an arrow"), objectName="hint")
        self.clear_button = QPushButton(tr("Clear my marks"))
        self.clear_button.clicked.connect(self.clear_mine)
        row.addWidget(self.hint, 1)
        row.addWidget(self.clear_button)
        self.layout_.insertWidget(1, toolbar)
        if not self.view.interactive:
            self.hint.setText(tr("Watching (observers cannot draw)"))
            self.clear_button.hide()
        self.ack_label = QLabel()
        self.statusBar().addPermanentWidget(self.ack_label)
        QShortcut(QKeySequence(Qt.Key_Delete), self, activated=self.clear_mine)
        self.view.placeholder = tr("Waiting for video…")
        bridge.remote_frame_ready.connect(self._show_remote_frame)
        bridge.ack_received.connect(self._on_ack)
        self.view.mark_requested.connect(self.add_mark)
        self.view.arrow_requested.connect(self.add_arrow)
        self.view.pointer_moved.connect(self.move_pointer)

    def _show_remote_frame(self) -> None:
        frame = self.bridge.remote_frames.take()
        if frame is not None:
            # At once: the frame slot fires once per frame (latest wins), and waiting for
            # Qt's next update pass added up to a frame of delay (measured).
            self.view.set_frame(frame.display_array(), tag=frame.media_ts, immediate=True)

    def add_mark(self, x: float, y: float) -> None:
        self.bridge.call(self.call.add_annotation, AnnotationKind.MARK, ((x, y),))

    def add_arrow(self, x0: float, y0: float, x1: float, y1: float) -> None:
        self.bridge.call(self.call.add_annotation, AnnotationKind.ARROW, ((x0, y0), (x1, y1)))

    def move_pointer(self, x: float, y: float, visible: bool) -> None:
        if self.state == "connected":
            self.bridge.call(self.call.move_pointer, x, y, visible=visible)

    def clear_mine(self) -> None:
        self.bridge.call(self.call.clear_annotations, mine_only=True)

    def _on_ack(self, op: str, ok: bool, rtt_ms: float, reason: str) -> None:
        self.last_rtt_ms = rtt_ms
        if ok:
            self.ack_label.setText(tr("Station confirmed in {ms:.0f} ms").format(ms=rtt_ms))
        else:
            self.ack_label.setText(tr("Station refused: {reason}").format(reason=reason))
