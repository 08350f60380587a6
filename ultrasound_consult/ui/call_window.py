"""What the station and expert windows share: the image first, a little status.

A :class:`VideoView` fills the window; above it an error banner that says what to
do and a notice line for things that pass (the network weakened, the expert left);
below, a status bar: call state, the connection button (good / fair / poor, a click
opens :class:`~ultrasound_consult.ui.call_status.StatsPanel`), frame rate and size,
scale, quality preset, microphone, camera, record, end call. The station's window is
in :mod:`station_window`, the expert's in :mod:`expert_window`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ultrasound_consult.annotate.calibration import calibration_of
from ultrasound_consult.annotate.guidance import CueEntry
from ultrasound_consult.media.quality import PRESETS
from ultrasound_consult.protocol.annotation import Annotation
from ultrasound_consult.protocol.channel import CalibrationSet, StreamInfo
from ultrasound_consult.protocol.signaling import PeerInfo, Role
from ultrasound_consult.session.call import ConsultCall
from ultrasound_consult.session.link_monitor import LinkStats
from ultrasound_consult.session.observer import Snapshot
from ultrasound_consult.session.recording import default_folder, recordings_root
from ultrasound_consult.ui.bridge import EngineBridge
from ultrasound_consult.ui.call_status import (
    QualityNotices,
    StatsHistory,
    StatsPanel,
    StatusButton,
    notice_text,
    worst,
)
from ultrasound_consult.ui.conversation import Conversation
from ultrasound_consult.ui.i18n import tr
from ultrasound_consult.ui.messages import (
    error_headline,
    error_html,
    left_text,
    preset_text,
    role_text,
    state_text,
)
from ultrasound_consult.ui.pip import CameraInset
from ultrasound_consult.ui.screen_fit import place
from ultrasound_consult.ui.settings import DEFAULT_SHORTCUTS
from ultrasound_consult.ui.snapshot_panel import SnapshotPanel
from ultrasound_consult.ui.video_view import VideoView

#: A notice (not an error) stays this long.
NOTICE_S = 12

logger = logging.getLogger(__name__)

STOP_TIMEOUT_S = 5.0
#: What the bridge's annotations signal carries: the scene's annotations, and the ids
#: still waiting for the other side's ack.
AnnotationsShown = tuple[tuple[Annotation, ...], frozenset[str]]


class CallWindow(QMainWindow):
    """What both roles share; subclasses add their own controls."""

    #: The call has ended and the window closed (the app shows its first screen again).
    ended = Signal()
    #: A recording this side stopped is on disk (its folder), from the engine thread.
    recording_saved = Signal(str)

    def __init__(
        self,
        bridge: EngineBridge,
        call: ConsultCall,
        *,
        interactive: bool,
        shortcuts: dict[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.bridge, self.call = bridge, call
        self.shortcuts = {**DEFAULT_SHORTCUTS, **(shortcuts or {})}
        self.peers: tuple[PeerInfo, ...] = ()
        self.latest_stats: tuple[LinkStats, ...] = ()
        self.state = "idle"
        #: The live marks and those not yet confirmed, as the engine last reported them
        #: (the window reads no engine state: it keeps what the bridge brings).
        self.live_annotations: tuple[tuple[Annotation, ...], frozenset[str]] = ((), frozenset())
        #: Whether this side records (as the engine last reported it).
        self.recording_mine = False
        self._closing = False
        self._confirmed = False
        #: The "End the call?" question while it is open (tests answer it).
        self.end_question: QMessageBox | None = None
        central = QWidget(objectName="central")  # type: ignore[call-arg]
        self.layout_ = QVBoxLayout(central)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.layout_.setSpacing(0)
        self.banner = QLabel(objectName="banner")  # type: ignore[call-overload]
        self.banner.setWordWrap(True)
        self.banner.hide()
        self.notice = QLabel(objectName="notice")  # type: ignore[call-overload]
        self.notice.setWordWrap(True)
        self.notice.hide()
        self.notice_kind = ""
        self._notice_timer = QTimer(self, singleShot=True, timeout=self.notice.hide)  # type: ignore[call-arg]
        self.view = VideoView(interactive=interactive)
        self.layout_.addWidget(self.banner)
        self.layout_.addWidget(self.notice)
        body = QWidget()
        self.body = QHBoxLayout(body)
        self.body.setContentsMargins(0, 0, 0, 0)
        self.body.setSpacing(0)
        self.body.addWidget(self.view, 1)
        self.snapshot_panel = SnapshotPanel()
        self.body.addWidget(self.snapshot_panel)
        self.layout_.addWidget(body, 1)
        self.history = StatsHistory()
        self.notices = QualityNotices()
        self.stats_panel = StatsPanel(self.history)
        self.stats_panel.setMaximumHeight(190)
        self.stats_panel.hide()
        self.layout_.addWidget(self.stats_panel)
        self.setCentralWidget(central)
        self.state_label = QLabel()
        self.status_button = StatusButton()
        self.status_button.toggled.connect(self._show_stats_panel)
        self.stats_panel.closed.connect(lambda: self.status_button.setChecked(False))
        self.video_label = QLabel()
        self.scale_label = QLabel()
        self.mic_button = QPushButton(objectName="mic")  # type: ignore[call-overload]
        self.mic_button.setCheckable(True)
        self.mic_button.toggled.connect(self.set_muted)
        self.statusBar().addWidget(self.state_label, 1)
        self.statusBar().addPermanentWidget(self.status_button)
        # Size and frame rate live in the connection button's tooltip and its panel: at
        # 1366 wide the status bar has no room for what is not essential.
        self.statusBar().addPermanentWidget(self.scale_label)
        self.statusBar().addPermanentWidget(self.mic_button)
        self.camera_inset = CameraInset(self.view)
        self.camera_button = QPushButton(tr("Camera"), objectName="camera")  # type: ignore[call-overload]
        self.camera_button.setCheckable(True)
        self.camera_button.setChecked(True)
        self.camera_button.setToolTip(tr("Show or hide the second camera's picture"))
        self.camera_button.toggled.connect(self.camera_inset.set_wanted)
        self.camera_button.hide()
        self.statusBar().addPermanentWidget(self.camera_button)
        self.rec_label = QLabel(objectName="rec")  # type: ignore[call-overload]
        self.rec_label.hide()
        self.record_button = QPushButton(tr("Record"), objectName="record")  # type: ignore[call-overload]
        self.record_button.setCheckable(True)
        self.record_button.setToolTip(
            tr("Record this session for teaching and review; everyone sees that you do (Ctrl+R)")
        )
        self.record_button.toggled.connect(self.set_recording)
        self.statusBar().addPermanentWidget(self.rec_label)  # just before Record
        self.statusBar().addPermanentWidget(self.record_button)
        self.quality_box = QComboBox()
        for name in PRESETS:
            self.quality_box.addItem(preset_text(name), name)
        self._show_preset(call.config.quality)
        self.quality_box.activated.connect(
            lambda i: self.choose_preset(self.quality_box.itemData(i))
        )
        self.statusBar().addPermanentWidget(self.quality_box)
        self.end_button = QPushButton(tr("End call"), objectName="endcall")  # type: ignore[call-overload]
        self.end_button.clicked.connect(self.request_end)
        self.statusBar().addPermanentWidget(self.end_button)
        self.recordings_root = recordings_root()
        self.saved_folder = ""
        self.recording_saved.connect(self._on_recording_saved)
        self._mic_problem = "" if call.media.audio_capture else tr("No microphone in this call")
        self._show_mic()
        self.bind("record", self.record_button.toggle)
        self.bind("mute", self.mic_button.toggle)
        self.bind("end_call", self.request_end)
        place(self)  # the whole screen it opens on, frame and taskbar left free

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
        #: Text messages and the expert's opinion (ui/conversation.py).
        self.conversation = Conversation(self)
        self.body.addWidget(self.conversation.panel)
        self.chat_panel = self.conversation.panel
        self.chat_button = self.conversation.chat_button
        self.opinion_button = self.conversation.opinion_button
        bridge.cues_changed.connect(self._on_cues)
        bridge.recording_changed.connect(self._on_recording)
        bridge.quality_changed.connect(self._on_quality)
        bridge.stream_info_changed.connect(self._on_stream_info)
        self._show_scale(None)
        self._status_timer = QTimer(self, interval=1000, timeout=self._refresh_video_status)  # type: ignore[call-arg]
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
        gone = {p.id: p for p in self.peers if p.role is not Role.OBSERVER}
        for p in peers:
            gone.pop(p.id, None)
        self.peers = peers
        self._on_state(self.state, "")
        # The call waits only for what it needs: the station, or (at the station) its
        # last viewer who draws; a trainee or a second expert leaving is just news.
        if self.call.role is Role.STATION:
            still = [p for p in peers if p.role is not Role.OBSERVER]
        else:
            still = [p for p in peers if p.role is Role.STATION]
        for peer in gone.values():
            name = peer.name or peer.role.value
            needed = peer.role is Role.STATION or (self.call.role is Role.STATION and not still)
            self.show_notice(left_text(name, peer.role.value, needed=needed))
        self._show_people()

    def people(self) -> list[str]:
        """Who is in the call, with their role and (where this side has a link to them)
        the link's quality: one line each, this side first."""
        quality = {s.peer_id: s for s in self.latest_stats}
        words = {"good": tr("Good"), "fair": tr("Fair"), "poor": tr("Poor")}
        lines = [
            tr("{name} ({role}) — you").format(
                name=self.call.author, role=role_text(self.call.role.value)
            )
        ]
        for peer in self.peers:
            line = f"{peer.name or '?'} ({role_text(peer.role.value)})"
            stats = quality.get(peer.id)
            if stats is not None:
                line += " · ● " + words.get(stats.quality, stats.quality)
                if stats.rtt_ms is not None:
                    line += " · " + tr("{ms:.0f} ms").format(ms=stats.rtt_ms)
            lines.append(line)
        return lines

    def _show_people(self) -> None:
        lines = self.people()
        self.state_label.setToolTip("\n".join(lines))
        self.stats_panel.show_people(lines)

    def show_notice(self, text: str, *, kind: str = "") -> None:
        """Something passing the user should know (not an error): shown for a while.
        ``kind`` names a network notice, which goes when the link is good again."""
        self.notice.setText(text)
        self.notice_kind = kind
        self.notice.show()
        self._notice_timer.start(NOTICE_S * 1000)

    def bind(self, action: str, slot: Callable[[], object]) -> list[QShortcut]:
        """Attach ``slot`` to the user's keys for ``action`` (settings, or the default)."""
        made = []
        for keys in self.shortcuts.get(action, "").split(";"):
            if keys.strip():
                made.append(QShortcut(QKeySequence(keys.strip()), self, activated=slot))  # type: ignore[call-overload]
        return made

    def _on_annotations(self, payload: AnnotationsShown) -> None:
        annotations, pending = payload
        self.live_annotations = (annotations, pending)
        self.view.set_annotations(annotations, pending)

    def _on_calibration(self, msg: CalibrationSet | None) -> None:
        self.view.set_calibration(calibration_of(msg))
        self._show_scale(msg)

    def _show_scale(self, msg: CalibrationSet | None) -> None:
        cal = calibration_of(msg)
        if cal is None or msg is None:  # (calibration_of(None) is None)
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
        if code in ("microphone_unavailable", "microphone_silent"):
            self._mic_problem = error_headline(code)
            self._show_mic()
        self.banner.setText(error_html(code, message))
        self.banner.show()

    def _on_stats(self, stats: tuple[LinkStats, ...]) -> None:
        self.latest_stats = stats
        self._show_people()
        judged = worst(stats)
        self.status_button.show_stats(judged)
        sample = self.history.add(stats)
        kind = self.notices.update(sample)
        sending = self.call.role is Role.STATION
        if kind is not None:
            self.show_notice(notice_text(kind, sending=sending, allows=judged), kind=kind)
        elif self.notice_kind == "lowered" and sending:
            # The ladder may have moved while the notice is up: say what it sends now.
            self.notice.setText(notice_text("lowered", sending=True, allows=judged))
        elif (
            judged is not None
            and judged.quality == "good"
            and self.notice_kind in ("weak", "lowered")
        ):
            # One judgement: the button says Good, so no "Network weak" beside it.
            self.notice.hide()
            self.notice_kind = ""
        if self.stats_panel.isVisible():
            self.stats_panel.refresh()

    def _show_stats_panel(self, show: bool) -> None:
        if show:
            self.stats_panel.refresh()
        self.stats_panel.setVisible(show)

    # --- quality preset ---------------------------------------------------------------

    def choose_preset(self, name: str) -> None:
        """The station switches; a viewer asks the station (see the subclasses)."""

    def _show_preset(self, name: str) -> None:
        index = self.quality_box.findData(name)
        if index >= 0:
            self.quality_box.setCurrentIndex(index)

    def _on_quality(self, preset: str, by: str) -> None:
        self._show_preset(preset)

    def _on_stream_info(self, info: StreamInfo) -> None:
        if info.preset:
            self._show_preset(info.preset)

    # --- recording ------------------------------------------------------------------

    def set_recording(self, on: bool) -> None:
        """Start (into a new folder under :attr:`recordings_root`) or stop recording."""
        # The engine decides (a second start or a stop with nothing recording does
        # nothing); the button follows what it reports (recording_changed).
        if on:
            folder = default_folder(
                self.recordings_root, self.call.config.room, self.call.role.value
            )
            self.bridge.call(self.call.start_recording, folder)
        else:
            future = self.bridge.submit(self.call.stop_recording())
            # Done on the engine thread; the signal brings it to this (GUI) thread.
            future.add_done_callback(
                lambda f: self.recording_saved.emit(
                    "" if f.cancelled() or f.exception() or f.result() is None else str(f.result())
                )
            )

    def _on_recording_saved(self, folder: str) -> None:
        if folder:
            self.saved_folder = folder
            self.show_notice(tr("Recording saved to {folder}").format(folder=folder))

    def _on_recording(self, recorders: tuple[str, ...], mine: bool) -> None:
        """Someone (maybe this side) records: a red indicator everyone can see."""
        self.recording_mine = mine
        self.rec_label.setVisible(bool(recorders))
        self.rec_label.setText(
            "<span style='color:#ff4d4d'>●</span> "
            + tr("REC: {names}").format(names=", ".join(recorders))
        )
        self._sync_record_button()

    def _sync_record_button(self) -> None:
        mine = self.recording_mine
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
        self.status_button.setToolTip(
            self.video_label.text()
            + "\n"
            + tr("Connection details and graphs over the last minutes")
        )

    # --- lifecycle ------------------------------------------------------------

    def confirm_end(self) -> bool:
        """Ask before ending a call others are in (a stray Ctrl+W must not hang up)."""
        if self.state != "connected" and not self.recording_mine:
            return True
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle(tr("End call"))
        box.setText(tr("End the call? The others stay in the room and can wait for you."))
        end = box.addButton(tr("End call"), QMessageBox.ButtonRole.AcceptRole)
        box.addButton(tr("Stay in the call"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(end)
        self.end_question = box
        try:
            box.exec()
        finally:
            self.end_question = None
        return box.clickedButton() is end

    def request_end(self) -> None:
        """End call (button or Ctrl+W): ask, then close."""
        if self.confirm_end():
            self._confirmed = True
            self.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        # The window manager's close button asks too; a close from the program does not.
        if event.spontaneous() and not self._confirmed and not self.confirm_end():
            event.ignore()
            return
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
        self.ended.emit()
