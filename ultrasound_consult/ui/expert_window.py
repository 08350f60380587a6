"""The expert's window: the station's image to draw, measure and guide on.

The tool palette sits above the image, the cue panel beside it. The image zooms
(wheel, + / - / 0) and pans (middle or right drag) with every annotation attached to
the anatomy; the station's second camera is a picture-in-picture the expert can drag
anywhere. "Refresh picture" asks the station for a keyframe; the quality menu asks it
for another preset. Observers get the same window, watch-only.
"""

from __future__ import annotations

import itertools
import time

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ultrasound_consult.annotate.guidance import CueEntry
from ultrasound_consult.protocol.annotation import Annotation, AnnotationKind
from ultrasound_consult.protocol.signaling import ANNOTATING_ROLES
from ultrasound_consult.protocol.snapshot import MAX_SNAPSHOT_ANNOTATIONS
from ultrasound_consult.session.call import ConsultCall
from ultrasound_consult.ui.bridge import EngineBridge
from ultrasound_consult.ui.call_window import AnnotationsShown, CallWindow
from ultrasound_consult.ui.cue_panel import STATUS_COLOR, CuePanel
from ultrasound_consult.ui.cue_text import cue_text, status_text
from ultrasound_consult.ui.guidance_view import is_live
from ultrasound_consult.ui.i18n import tr
from ultrasound_consult.ui.lecture_view import attach as attach_lecture
from ultrasound_consult.ui.messages import window_title
from ultrasound_consult.ui.opinion_dialog import OpinionForm
from ultrasound_consult.ui.tools import ToolPalette
from ultrasound_consult.ui.video_view import ZOOM_STEP

#: The station's answer to a cue stays on the expert's image this long.
BADGE_S = 10


class ExpertWindow(CallWindow):
    """Experts and trainers draw, measure and guide; observers get the same window, watch-only."""

    def __init__(
        self, bridge: EngineBridge, call: ConsultCall, *, shortcuts: dict[str, str] | None = None
    ) -> None:
        super().__init__(
            bridge, call, interactive=call.role in ANNOTATING_ROLES, shortcuts=shortcuts
        )
        self.setWindowTitle(window_title(call.role.value))
        self.view.zoomable = True
        # A thin row under the palette: what the tool does, the station's confirmation,
        # the zoom, and "Refresh picture" (the status bar is full at 1366 wide).
        self.info_row = QWidget(objectName="toolbar")  # type: ignore[call-arg]
        info = QHBoxLayout(self.info_row)
        info.setContentsMargins(10, 2, 10, 4)
        self.hint = QLabel(objectName="hint")  # type: ignore[call-overload]
        self.ack_label = QLabel(objectName="hint")  # type: ignore[call-overload]
        self.zoom_label = QLabel(objectName="hint")  # type: ignore[call-overload]
        info.addWidget(self.hint, 1)
        info.addWidget(self.ack_label)
        info.addSpacing(16)
        info.addWidget(self.zoom_label)
        self.view.zoom_changed.connect(self._show_zoom)
        self._show_zoom(1.0)
        self.bind("zoom_in", lambda: self.view.set_zoom(self.view.zoom * ZOOM_STEP))
        self.bind("zoom_out", lambda: self.view.set_zoom(self.view.zoom / ZOOM_STEP))
        self.bind("zoom_fit", lambda: self.view.set_zoom(1.0))
        self.keyframe_button = QPushButton(tr("Refresh picture"), objectName="plain")  # type: ignore[call-overload]
        self.keyframe_button.setToolTip(
            tr("Ask the station for a fresh full picture (when the image looks smeared)")
        )
        self.keyframe_button.clicked.connect(self.request_keyframe)
        info.addWidget(self.keyframe_button)
        self.write_opinion_button = QPushButton(tr("Write opinion…"), objectName="plain")  # type: ignore[call-overload]
        self.write_opinion_button.setToolTip(
            tr("Findings, impression and recommendation, signed and left at the clinic")
        )
        self.write_opinion_button.clicked.connect(self.write_opinion)
        info.addWidget(self.write_opinion_button)
        self.opinion_form: OpinionForm | None = None
        if call.role not in ANNOTATING_ROLES:
            self.keyframe_button.hide()
            self.write_opinion_button.hide()
            self.quality_box.setEnabled(False)
            self.quality_box.setToolTip(tr("The station and the expert choose the quality"))
        else:
            self.quality_box.setToolTip(tr("Ask the station to send at another quality"))
        self.last_rtt_ms: float | None = None
        self.color = "#ffd400"
        self.frozen: tuple[object, float | None] | None = None
        self.drafts: list[Annotation] = []
        #: The live marks on screen when the frame was frozen: shown on it, sent with it.
        self.frozen_marks: tuple[Annotation, ...] = ()
        self._draft_ids = itertools.count(1)
        self._stroke_key: str | None = None
        self._stroke_keys = itertools.count(1)
        self.palette_ = ToolPalette(self)
        self.clear_button = self.palette_.clear_button
        self.layout_.insertWidget(2, self.palette_)
        self.layout_.insertWidget(3, self.info_row)
        self.cue_panel = CuePanel()
        # Scrolls rather than making the window taller than a 768-line laptop screen.
        self.cue_scroll = QScrollArea()
        self.cue_scroll.setWidget(self.cue_panel)
        self.cue_scroll.setWidgetResizable(True)
        self.cue_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.cue_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # The live cue and its answer on top, Send at the bottom: pinned, never scrolled.
        self.cue_column = QWidget()
        column = QVBoxLayout(self.cue_column)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.cue_panel.header)
        column.addWidget(self.cue_scroll, 1)
        column.addWidget(self.cue_panel.footer)
        self.cue_column.setFixedWidth(self.cue_panel.maximumWidth() + 14)
        self.body.addWidget(self.cue_column)
        if not self.view.interactive:
            self.hint.setText(tr("Watching (observers cannot draw)"))
            self.palette_.hide()
            self.cue_column.hide()
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
            (QKeySequence.StandardKey.Undo, self.undo),
            (QKeySequence(Qt.Modifier.CTRL | Qt.Modifier.SHIFT | Qt.Key.Key_Z), self.redo),
            (QKeySequence(Qt.Modifier.CTRL | Qt.Key.Key_Y), self.redo),
            (QKeySequence(Qt.Key.Key_Delete), self.clear_mine),
            (QKeySequence(Qt.Modifier.SHIFT | Qt.Key.Key_Delete), self.clear_all),
            (QKeySequence(Qt.Key.Key_F), p.freeze_button.toggle),
            (QKeySequence(Qt.Key.Key_Return), self.send_frame),
            (QKeySequence(Qt.Key.Key_Enter), self.send_frame),
        ):
            QShortcut(keys, self, activated=slot)  # type: ignore[call-overload]
        self._badge_timer = QTimer(self, singleShot=True, timeout=lambda: self.view.set_badge(""))  # type: ignore[call-arg]
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
        #: The lecture's controls for a trainer or a trainee (ui/lecture_view.py).
        self.lecture = attach_lecture(self)

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
            self._show_frozen()
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
                self._show_frozen()
        elif points:
            if self._stroke_key is None:
                self._stroke_key = f"k{next(self._stroke_keys)}"
            self.bridge.call(self.call.collab.stroke, self._stroke_key, points, color=self.color)
        if finished:
            self._stroke_key = None

    def move_pointer(self, x: float, y: float, visible: bool) -> None:
        if self.state == "connected":
            self.bridge.call(self.call.collab.pointer.move, x, y, visible=visible)

    def undo(self) -> None:
        if self.frozen is not None:
            if self.drafts:
                self.drafts.pop()
                self._show_frozen()
            return
        self.bridge.call(self.call.collab.undo)

    def redo(self) -> None:
        if self.frozen is None:
            self.bridge.call(self.call.collab.redo)

    def clear_mine(self) -> None:
        if self.frozen is not None:
            self.drafts.clear()
            self._show_frozen()
            return
        self.bridge.call(self.call.collab.clear_annotations, mine_only=True)

    def clear_all(self) -> None:
        if self.frozen is None:
            self.bridge.call(self.call.collab.clear_annotations, mine_only=False)

    # --- freeze and send ----------------------------------------------------------

    def set_frozen(self, frozen: bool) -> None:
        """Hold the current frame to draw on it; drawings stay here until sent. The live
        marks on screen when freezing stay on the frozen frame (and go with it)."""
        if frozen:
            array = self.view._array
            if array is None:
                self.palette_.freeze_button.setChecked(False)
                return
            tag = self.view._tag  # the frame's media time
            self.frozen = (array.copy(), tag if isinstance(tag, float) else None)
            self.frozen_marks = self.live_annotations[0]
            self.drafts = []
            self._show_frozen()
            self.hint.setText(tr("Frozen: draw on this frame, then Send frame (Enter)"))
        else:
            self.frozen = None
            self.frozen_marks = ()
            self.drafts = []
            self.view.set_annotations(*self.live_annotations)
            self._tool_changed(self.palette_.tool)
        self.palette_.send_button.setEnabled(frozen)

    def _show_frozen(self) -> None:
        self.view.set_annotations(self.frozen_marks + tuple(self.drafts))

    def send_frame(self) -> None:
        if self.frozen is None:
            return
        array, media_ts = self.frozen
        self.bridge.call(
            self.call.collab.snapshots.send,
            array,
            # The newest fit a snapshot (the drafts are last, so they always go).
            (self.frozen_marks + tuple(self.drafts))[-MAX_SNAPSHOT_ANNOTATIONS:],
            media_ts=media_ts,
        )
        self.palette_.freeze_button.setChecked(False)

    def _on_annotations(self, payload: AnnotationsShown) -> None:
        if self.frozen is None:
            super()._on_annotations(payload)
        else:
            self.live_annotations = payload

    # --- guidance --------------------------------------------------------------------

    def send_cue(self, action, direction, angle, probe, marker) -> None:
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
        if not entries:
            return
        # On the image too, where the expert looks: the cue and the station's answer,
        # for a while after the answer, all along while it is on the station's screen.
        last = entries[-1]
        self.view.set_badge(
            f"● {cue_text(last.cue)} — {status_text(last.status)}", STATUS_COLOR[last.status]
        )
        if is_live(last):
            self._badge_timer.stop()
        else:
            self._badge_timer.start(BADGE_S * 1000)

    def _on_ack(self, op: str, ok: bool, rtt_ms: float, reason: str) -> None:
        self.last_rtt_ms = rtt_ms
        if ok:
            self.history.add_annotation_rtt(rtt_ms)
            self.ack_label.setText(tr("Station confirmed in {ms:.0f} ms").format(ms=rtt_ms))
        else:
            self.ack_label.setText(tr("Station refused: {reason}").format(reason=reason))

    # --- zoom, picture and quality -------------------------------------------------------

    def _show_zoom(self, zoom: float) -> None:
        if zoom <= 1.0:
            self.zoom_label.setText(tr("Whole image (wheel to zoom)"))
        else:
            self.zoom_label.setText(tr("Zoom {z:.1f}× (0: whole image)").format(z=zoom))

    def request_keyframe(self) -> None:
        self.bridge.call(self.call.stream.request, keyframe=True)
        self.show_notice(tr("Asked the station for a fresh picture."))

    def choose_preset(self, name: str) -> None:
        self.bridge.call(self.call.stream.request, preset=name)
        self.show_notice(tr("Asked the station to send at another quality."))

    # --- the written opinion ------------------------------------------------------------

    def write_opinion(self) -> OpinionForm:
        """The form: a new opinion, or the next version of the one sent from here."""
        entries = self.conversation.opinion_entries
        mine = [e for e in entries if e.signer == self.call.author and e.delivered]
        previous = mine[-1].opinion if mine else None
        form = OpinionForm(self, previous)
        form.accepted.connect(lambda: self._send_opinion(form))
        form.show()
        self.opinion_form = form
        return form

    def _send_opinion(self, form: OpinionForm) -> None:
        if form.result_opinion is None:
            return
        amends = form.previous.id if form.previous is not None else None
        self.bridge.call(self.call.collab.send_opinion, form.result_opinion, amends=amends)
        self.show_notice(tr("Opinion signed and sent; the station confirms it."))
