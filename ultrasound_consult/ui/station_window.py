"""The sonographer's window: the masked live image as large as the screen allows.

The expert's marks and guidance cues are drawn on it; the cue's answer buttons are
big and on the keyboard (Space / Backspace, and PageDown / PageUp, which most foot
pedals and presenter remotes send); frames the expert sent collect in the snapshot
panel. When the scanner's video stops (a cable pulled), the call goes on and
"Switch source" carries it on from another source without hanging up.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from ultrasound_consult.annotate.guidance import CueEntry
from ultrasound_consult.media.source import SourceError
from ultrasound_consult.media.source_spec import open_source
from ultrasound_consult.protocol.guidance import CueStatus
from ultrasound_consult.session.call import ConsultCall
from ultrasound_consult.ui.bridge import EngineBridge
from ultrasound_consult.ui.call_window import AnnotationsShown, CallWindow
from ultrasound_consult.ui.devices import remembered_mask
from ultrasound_consult.ui.guidance_view import is_live
from ultrasound_consult.ui.i18n import tr
from ultrasound_consult.ui.lecture_view import StationLecture
from ultrasound_consult.ui.messages import window_title
from ultrasound_consult.ui.source_dialog import SwitchSourceDialog
from ultrasound_consult.ui.theme import restyle

logger = logging.getLogger(__name__)


class StationWindow(CallWindow):
    def __init__(
        self,
        bridge: EngineBridge,
        call: ConsultCall,
        *,
        shortcuts: dict[str, str] | None = None,
        source_spec: str = "",
    ) -> None:
        super().__init__(bridge, call, interactive=False, shortcuts=shortcuts)
        self.setWindowTitle(window_title("station"))
        self.source_spec = source_spec
        self.switch_button = QPushButton(tr("Switch source…"), objectName="plain")  # type: ignore[call-overload]
        self.switch_button.setToolTip(
            tr("Carry on from another video source without ending the call")
        )
        self.switch_button.clicked.connect(self.choose_source)
        self.statusBar().insertPermanentWidget(1, self.switch_button)
        # The sonographer owns the live image: whoever drew, the station can clear it.
        self.clear_marks_button = QPushButton(tr("Clear marks"), objectName="plain")  # type: ignore[call-overload]
        self.clear_marks_button.setToolTip(tr("Take every mark off the image, for everyone"))
        self.clear_marks_button.clicked.connect(self.clear_marks)
        self.clear_marks_button.hide()
        self.statusBar().insertPermanentWidget(2, self.clear_marks_button)
        bridge.local_frame_ready.connect(self._show_local_frame)
        answers = QWidget(objectName="answers")  # type: ignore[call-arg]
        row = QHBoxLayout(answers)
        row.setContentsMargins(12, 8, 12, 8)
        self.cue_hint = QLabel(objectName="cuehint")  # type: ignore[call-overload]
        self.cue_hint.setWordWrap(True)
        self.done_button = QPushButton(tr("Done ✓  (Space)"), objectName="done")  # type: ignore[call-overload]
        self.cant_button = QPushButton(tr("Can't ✗  (Backspace)"), objectName="cant")  # type: ignore[call-overload]
        for b in (self.done_button, self.cant_button):
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            b.setMinimumHeight(64)
        row.addWidget(self.cue_hint, 1)
        row.addWidget(self.done_button)
        row.addWidget(self.cant_button)
        self.answers = answers
        answers.hide()
        self.layout_.addWidget(answers)
        self.done_button.clicked.connect(lambda: self.answer_cue(CueStatus.DONE))
        self.cant_button.clicked.connect(lambda: self.answer_cue(CueStatus.CANT))
        for action in ("cue_done", "cue_done_pedal"):
            self.bind(action, lambda: self.answer_cue(CueStatus.DONE))
        for action in ("cue_cant", "cue_cant_pedal"):
            self.bind(action, lambda: self.answer_cue(CueStatus.CANT))
        # The cue animates even if the picture stalls.
        self._cue_timer = QTimer(self, interval=33, timeout=self._animate_cue)  # type: ignore[call-arg]
        self._frames_at_tick = 0
        self.active_cue: CueEntry | None = None
        #: The "Switch source" dialog while it is open (tests drive it).
        self.source_dialog: SwitchSourceDialog | None = None
        #: "Lecture: N watching" while the call is a lecture.
        self.lecture = StationLecture(self)

    def _on_cues(self, entries: tuple[CueEntry, ...], active: CueEntry | None) -> None:
        self.active_cue = active if is_live(active) else None
        self.view.set_cue(self.active_cue)
        self.answers.setVisible(self.active_cue is not None)
        if self.active_cue is not None:
            self.cue_hint.setText(tr("The expert asks — answer when you have done it"))
            self._cue_timer.start()
        else:
            self._cue_timer.stop()

    def _on_annotations(self, payload: AnnotationsShown) -> None:
        super()._on_annotations(payload)
        self.clear_marks_button.setVisible(bool(payload[0]))

    def clear_marks(self) -> None:
        self.bridge.call(self.call.collab.station.clear)

    def _animate_cue(self) -> None:
        """Keep the cue moving when the picture stalls; frames repaint it otherwise."""
        if self.view.frames_shown == self._frames_at_tick:
            self.view.update()
        self._frames_at_tick = self.view.frames_shown

    def answer_cue(self, status: CueStatus) -> None:
        if self.active_cue is not None:
            self.bridge.call(self.call.collab.station.answer_cue, status, self.active_cue.cue.id)

    def _show_local_frame(self) -> None:
        frame = self.bridge.local_frames.take()
        if frame is not None:
            # At once: the frame slot fires once per frame (latest wins), and waiting for
            # Qt's next update pass added up to a frame of delay (measured).
            self.view.set_frame(frame.display_array(), tag=frame.media_ts, immediate=True)

    # --- quality and source ---------------------------------------------------------

    def choose_preset(self, name: str) -> None:
        self.bridge.call(self.call.stream.set_quality, name)

    def show_error(self, code: str, message: str) -> None:
        super().show_error(code, message)
        if code in ("source_lost", "source_unavailable"):
            restyle(self.switch_button, "attention")

    def choose_source(self) -> None:
        """The next source, seen through its privacy mask first (the same check as
        before the call), or a DICOM or video file picked from disk."""
        dialog = SwitchSourceDialog(self.bridge.engine, self.source_spec, self)
        self.source_dialog = dialog
        dialog.preview_chosen()
        try:
            if dialog.exec() and dialog.spec:
                self.switch_source(dialog.spec)
        finally:
            self.source_dialog = None

    def switch_source(self, spec: str) -> bool:
        """Open ``spec`` and carry the call on from it; False (and a banner) if it
        cannot be opened."""
        try:
            source = open_source(spec)
        except (SourceError, ValueError) as exc:
            self.show_error("source_unavailable", str(exc))
            return False
        mask, problem = remembered_mask(spec)
        if problem:
            self.show_notice(problem)
        self.source_spec = spec
        self.banner.hide()
        restyle(self.switch_button, "plain")
        self.bridge.submit(self.call.switch_source(source, mask))
        return True
