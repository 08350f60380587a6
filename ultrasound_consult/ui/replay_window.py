"""The QC replay window: a recorded session with every annotation and cue where it
happened, a timeline of events, A/B loop, the review form and exports.

Frames are decoded on demand from the bundle (seek = keyframe + at most a second of
decoding); what is drawn over each frame comes from the recorded events through
:class:`~ultrasound_consult.record.timeline.Timeline`, the same models as the live call.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ultrasound_consult.annotate.calibration import calibration_of
from ultrasound_consult.protocol.guidance import Cue, CueStatus
from ultrasound_consult.record.bundle import MARKER, ULTRASOUND, BundleError
from ultrasound_consult.record.export import ExportError, export_mp4, export_png, export_vtt
from ultrasound_consult.record.player import VideoReadError
from ultrasound_consult.record.review import load_reviews
from ultrasound_consult.record.session_bundle import SessionBundle
from ultrasound_consult.ui.cue_text import cue_text, status_text
from ultrasound_consult.ui.i18n import tr
from ultrasound_consult.ui.review_form import ReviewForm, clock_text
from ultrasound_consult.ui.screen_fit import place
from ultrasound_consult.ui.video_view import VideoView

logger = logging.getLogger(__name__)

SPEEDS = (0.25, 0.5, 1.0, 1.5, 2.0)
#: Event types on the timeline and in the list, with their lane and colour.
LANES: dict[str, tuple[int, str]] = {
    "ann.add": (3, "#ffd400"),
    "ann.clear": (3, "#ff8c00"),
    "cue": (2, "#4fc3f7"),
    "cue.state": (2, "#81c784"),
    MARKER: (1, "#ff5252"),
    "snapshot": (1, "#ce93d8"),
    "chat": (1, "#80cbc4"),
    "opinion": (1, "#ffb74d"),
    "peer.joined": (0, "#9e9e9e"),
    "peer.left": (0, "#9e9e9e"),
    "error": (0, "#ff5252"),
}


def kind_name(kind: str) -> str:
    return {
        "mark": tr("mark"),
        "arrow": tr("arrow"),
        "stroke": tr("freehand line"),
        "ellipse": tr("ellipse"),
        "rect": tr("box"),
        "text": tr("text label"),
        "caliper": tr("distance measurement"),
        "area": tr("area measurement"),
    }.get(kind, kind)


def describe_event(event) -> str:
    """One line for the event list, in the user's language."""
    data = event.data
    if event.type == "ann.add":
        ann = data.get("ann", {})
        return tr("{who} drew a {kind}").format(who=event.by, kind=kind_name(ann.get("kind", "?")))
    if event.type == "ann.clear":
        return tr("{who} cleared annotations").format(who=event.by)
    if event.type == "cue":
        try:
            return tr("Cue: {text}").format(text=cue_text(Cue.from_wire(data["cue"])))
        except Exception:
            return tr("Cue")
    if event.type == "cue.state":
        try:
            status = status_text(CueStatus(data.get("status")))
        except ValueError:
            status = str(data.get("status", ""))
        return tr("Cue: {status} {who}").format(status=status, who=event.by)
    if event.type == MARKER:
        return tr("Marker: {label} ({who})").format(label=data.get("label", ""), who=event.by)
    if event.type == "snapshot":
        return tr("Snapshot from {who}").format(who=event.by)
    if event.type == "opinion":
        opinion = data.get("opinion") if isinstance(data.get("opinion"), dict) else {}
        return tr("Opinion from {who} (version {n})").format(
            who=opinion.get("author") or event.by, n=opinion.get("version", "?")
        )
    if event.type == "chat":
        text = str(data.get("text", ""))
        return tr("{who}: {text}").format(who=event.by or data.get("by", ""), text=text[:200])
    if event.type == "peer.joined":
        return tr("{who} joined").format(who=event.by)
    if event.type == "peer.left":
        return tr("{who} left").format(who=event.by)
    if event.type == "error":
        return tr("Problem: {message}").format(message=data.get("message", ""))
    return event.type


class ReplayWindow(QMainWindow):
    def __init__(self, bundle: SessionBundle) -> None:
        super().__init__()
        self.bundle = bundle
        self.reader = bundle.reader(ULTRASOUND)
        self.origin = self.reader.media_ts(0)
        self.index = 0
        self.playing = False
        self.speed = 1.0
        self.loop: tuple[float, float] | None = None
        self._loop_a: float | None = None
        self._play_from: tuple[float, float] = (0.0, 0.0)  # (wall, media seconds)
        self.seek_ms: list[float] = []
        self.setWindowTitle(
            tr("Replay — {room} ({who})").format(
                room=bundle.info.room or bundle.folder.name, who=bundle.info.recorded_by
            )
        )

        central = QWidget()
        outer = QVBoxLayout(central)
        self.problems = QLabel("")
        self.problems.setWordWrap(True)
        self.problems.setStyleSheet(
            "background:#5a4500;color:#ffe082;padding:6px;border-radius:4px;"
        )
        outer.addWidget(self.problems)
        split = QSplitter(Qt.Orientation.Horizontal)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        self.view = VideoView()
        self.view.show_cue_keys = False  # nobody answers a cue in a replay
        left_layout.addWidget(self.view, 5)
        left_layout.addLayout(self._controls())
        self.timeline = self._timeline()
        left_layout.addWidget(self.timeline, 1)
        split.addWidget(left)

        side = QTabWidget()
        self.events = QListWidget()
        self.events.itemClicked.connect(self._event_clicked)
        side.addTab(self.events, tr("Events"))
        self.form = ReviewForm(bundle.folder, lambda: self.position_s)
        self.form.seek_requested.connect(self.seek_seconds)
        self.form.saved.connect(lambda _path: self._draw_comments())
        # The form is taller than a laptop's screen: it scrolls, the window stays on it.
        self.form_scroll = QScrollArea()
        self.form_scroll.setWidget(self.form)
        self.form_scroll.setWidgetResizable(True)
        self.form_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.form_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.form_scroll.setMinimumWidth(max(440, self.form.minimumSizeHint().width() + 24))
        side.addTab(self.form_scroll, tr("Review"))
        self.side = side
        split.addWidget(side)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        outer.addWidget(split, 1)
        self.setCentralWidget(central)

        self._fill_events()
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._tick)
        self._shortcuts()
        self._show_problems()
        self.show_frame(0)

    # --- layout pieces ---------------------------------------------------------------------

    def _controls(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.play_button = QPushButton(tr("Play"))
        self.play_button.clicked.connect(self.toggle_play)
        back = QPushButton("◀|")
        back.setToolTip(tr("Previous frame (Left arrow)"))
        back.clicked.connect(lambda: self.step(-1))
        forward = QPushButton("|▶")
        forward.setToolTip(tr("Next frame (Right arrow)"))
        forward.clicked.connect(lambda: self.step(1))
        self.speed_box = QComboBox()
        for s in SPEEDS:
            self.speed_box.addItem(f"{s:g}×", s)
        self.speed_box.setCurrentIndex(SPEEDS.index(1.0))
        self.speed_box.activated.connect(lambda _i: self.set_speed(self.speed_box.currentData()))
        self.loop_button = QPushButton(tr("Set A"))
        self.loop_button.setToolTip(tr("A/B loop: set the start, then the end; again to clear"))
        self.loop_button.clicked.connect(self._loop_clicked)
        self.time_label = QLabel("")
        self.time_label.setMinimumWidth(150)
        export = QPushButton(tr("Export…"))
        export.clicked.connect(self._export_menu)
        for w in (self.play_button, back, forward, self.speed_box, self.loop_button):
            row.addWidget(w)
        row.addWidget(self.time_label, 1)
        # Export confirmations here, beside the button that made them (the status bar
        # is easy to miss, and used to be off a laptop's screen).
        self.export_status = QLabel(objectName="hint")  # type: ignore[call-overload]
        self.export_status.setTextFormat(Qt.TextFormat.PlainText)
        row.addWidget(self.export_status)
        row.addWidget(export)
        return row

    def _timeline(self) -> pg.PlotWidget:
        plot = pg.PlotWidget(background="#1b1b1b")
        plot.setMinimumHeight(90)
        plot.setMaximumHeight(140)
        plot.hideAxis("left")
        plot.setMouseEnabled(x=True, y=False)
        plot.setYRange(-0.5, 3.5, padding=0)
        duration = max(self.reader.duration, 0.1)
        plot.setXRange(0, duration, padding=0.01)
        plot.getAxis("bottom").setLabel(tr("seconds"))
        for name, (lane, color) in LANES.items():
            xs = [
                e.t - self.origin for e in self.bundle.events if e.type == name and e.t is not None
            ]
            if xs:
                plot.plot(
                    xs, [lane] * len(xs), pen=None, symbol="o", symbolSize=7,
                    symbolBrush=color, symbolPen=None, name=name,
                )  # fmt: skip
        self._comment_items: list[pg.PlotDataItem] = []
        self.playhead = pg.InfiniteLine(0, movable=True, pen=pg.mkPen("#ffffff", width=2))
        self.playhead.sigPositionChanged.connect(self._playhead_dragged)
        plot.addItem(self.playhead)
        self.loop_region = pg.LinearRegionItem(brush=pg.mkBrush(80, 160, 255, 50), movable=True)
        self.loop_region.setVisible(False)
        self.loop_region.sigRegionChanged.connect(self._region_moved)
        plot.addItem(self.loop_region)
        plot.scene().sigMouseClicked.connect(self._timeline_clicked)
        self._plot = plot
        self._draw_comments()
        return plot

    def _draw_comments(self) -> None:
        for item in self._comment_items:
            self._plot.removeItem(item)
        self._comment_items.clear()
        reviews, _ = load_reviews(self.bundle.folder)
        xs = [c.at_s for r in reviews for c in r.comments]
        if xs:
            item = self._plot.plot(
                xs, [0] * len(xs), pen=None, symbol="t", symbolSize=10,
                symbolBrush="#ffffff", symbolPen=None,
            )  # fmt: skip
            self._comment_items.append(item)

    def _fill_events(self) -> None:
        self.events.clear()
        for event in self.bundle.events:
            if event.type not in LANES or event.t is None:
                continue
            t = event.t - self.origin
            item = QListWidgetItem(f"{clock_text(t)}  {describe_event(event)}")
            item.setData(Qt.ItemDataRole.UserRole, max(0.0, t))
            item.setForeground(pg.mkColor(LANES[event.type][1]))
            self.events.addItem(item)

    def _shortcuts(self) -> None:
        for key, slot in (
            (Qt.Key.Key_Space, self.toggle_play),
            (Qt.Key.Key_Left, lambda: self.step(-1)),
            (Qt.Key.Key_Right, lambda: self.step(1)),
            (Qt.Key.Key_Home, lambda: self.show_frame(0)),
            (Qt.Key.Key_End, lambda: self.show_frame(len(self.reader) - 1)),
        ):
            QShortcut(QKeySequence(key), self, activated=slot)  # type: ignore[call-overload]

    def _show_problems(self) -> None:
        problems = self.bundle.problems
        self.problems.setVisible(bool(problems))
        if problems:
            self.problems.setText(
                tr("Part of this recording could not be read; what is readable is shown.")
                + "\n• "
                + "\n• ".join(problems)
            )

    # --- playback --------------------------------------------------------------------------

    @property
    def position_s(self) -> float:
        return self.reader.media_ts(self.index) - self.origin

    def show_frame(self, index: int) -> None:
        index = min(max(0, index), len(self.reader) - 1)
        started = time.perf_counter()
        try:
            image = self.reader.frame(index)
        except VideoReadError as exc:
            self.pause()
            self.problems.setVisible(True)
            self.problems.setText(str(exc))
            return
        self.index = index
        media_ts = self.reader.media_ts(index)
        state = self.bundle.timeline.state_at(media_ts)
        self.view.now_ms = state.wall_ms
        self.view.set_calibration(calibration_of(state.calibration))
        self.view.set_annotations(state.annotations)
        self.view.set_pointers(state.pointers)
        self.view.set_cue(state.cue)
        self.view.set_frame(image, media_ts)
        self.seek_ms.append((time.perf_counter() - started) * 1000)
        del self.seek_ms[:-200]
        t = media_ts - self.origin
        self.time_label.setText(
            f"{clock_text(t)} / {clock_text(self.reader.duration)}   "
            + tr("frame {n}").format(n=index + 1)
        )
        self.playhead.blockSignals(True)
        self.playhead.setValue(t)
        self.playhead.blockSignals(False)

    def seek_seconds(self, seconds: float) -> None:
        self.show_frame(self.reader.index_at(self.origin + seconds))
        if self.playing:
            self._play_from = (time.perf_counter(), self.position_s)

    def step(self, delta: int) -> None:
        self.pause()
        self.show_frame(self.index + delta)

    def set_speed(self, speed: float) -> None:
        self.speed = float(speed)
        if self.playing:
            self._play_from = (time.perf_counter(), self.position_s)

    def toggle_play(self) -> None:
        if self.playing:
            self.pause()
        else:
            self.play()

    def play(self) -> None:
        if self.index >= len(self.reader) - 1:
            self.show_frame(0)
        self.playing = True
        self._play_from = (time.perf_counter(), self.position_s)
        self.play_button.setText(tr("Pause"))
        fps = self.bundle.track_info(ULTRASOUND).fps or 30.0
        self._timer.start(max(5, int(500 / (fps * max(self.speed, 1.0)))))

    def pause(self) -> None:
        self.playing = False
        self._timer.stop()
        self.play_button.setText(tr("Play"))

    def _tick(self) -> None:
        wall0, media0 = self._play_from
        target = media0 + (time.perf_counter() - wall0) * self.speed
        if self.loop is not None and target > self.loop[1]:
            self.seek_seconds(self.loop[0])
            return
        index = self.reader.index_at(self.origin + target)
        if index >= len(self.reader) - 1 and self.index >= len(self.reader) - 1:
            self.pause()
            return
        if index != self.index:
            # The frame due now: when decoding falls behind, frames are skipped, not queued.
            self.show_frame(index)

    # --- timeline interaction --------------------------------------------------------------

    def _playhead_dragged(self) -> None:
        self.seek_seconds(float(self.playhead.value()))

    def _timeline_clicked(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        point = self._plot.getPlotItem().vb.mapSceneToView(event.scenePos())
        self.seek_seconds(max(0.0, float(point.x())))

    def _event_clicked(self, item: QListWidgetItem) -> None:
        self.seek_seconds(float(item.data(Qt.ItemDataRole.UserRole)))

    def _loop_clicked(self) -> None:
        if self.loop is not None:
            self.set_loop(None)
        elif self._loop_a is None:
            self._loop_a = self.position_s
            self.loop_button.setText(tr("Set B"))
        else:
            a, b = sorted((self._loop_a, self.position_s))
            self.set_loop((a, b) if b - a > 0.05 else None)

    def set_loop(self, loop: tuple[float, float] | None) -> None:
        self.loop = loop
        self._loop_a = None
        self.loop_region.setVisible(loop is not None)
        if loop is not None:
            self.loop_region.blockSignals(True)
            self.loop_region.setRegion(loop)
            self.loop_region.blockSignals(False)
        self.loop_button.setText(tr("Clear loop") if loop else tr("Set A"))

    def _region_moved(self) -> None:
        if self.loop is not None:
            a, b = self.loop_region.getRegion()
            self.loop = (float(a), float(b))

    # --- exports -----------------------------------------------------------------------------

    def _export_menu(self) -> None:
        from PySide6.QtWidgets import QMenu

        menu = QMenu(self)
        menu.addAction(tr("This frame as PNG…"), self.export_png_dialog)
        menu.addAction(tr("Clip as MP4 (annotations burned in)…"), self.export_mp4_dialog)
        menu.addAction(tr("Cues and comments as WebVTT…"), self.export_vtt_dialog)
        menu.addAction(tr("DICOM…"), self.export_dicom_dialog)
        menu.addAction(tr("Review report (HTML)…"), self.export_report_dialog)
        menu.addAction(tr("Review report (PDF)…"), self.export_pdf_dialog)
        menu.exec(self.cursor().pos())

    def _ask(self, title: str, suffix: str) -> Path | None:
        name, _ = QFileDialog.getSaveFileName(
            self, title, str(self.bundle.folder.parent / f"{self.bundle.folder.name}{suffix}")
        )
        return Path(name) if name else None

    def _run_export(self, what: str, job) -> None:
        try:
            out = job()
        except (ExportError, VideoReadError, OSError) as exc:
            QMessageBox.warning(self, tr("Export failed"), str(exc))
            return
        if out is not None:
            path = Path(out)
            self.export_status.setText(
                "✓ " + tr("Saved {what}: {path}").format(what=what, path=path.name)
            )
            self.export_status.setToolTip(str(path))
            self.statusBar().showMessage(tr("Saved {what}: {path}").format(what=what, path=out))

    def export_png_dialog(self) -> None:
        out = self._ask(tr("Save frame"), f"-{self.index + 1}.png")
        if out is not None:
            # (frame index 0 is falsy: "and out" would lose the confirmation)
            self._run_export("PNG", lambda: (export_png(
                self.bundle, out, self.position_s, caption=cue_text), out)[1])  # fmt: skip

    def export_mp4_dialog(self) -> None:
        out = self._ask(tr("Save clip"), ".mp4")
        if out is None:
            return
        start, end = self.loop if self.loop else (None, None)
        self._run_export("MP4", lambda: export_mp4(
            self.bundle, out, annotated=True, start_s=start, end_s=end, caption=cue_text
        ) and out)  # fmt: skip

    def export_vtt_dialog(self) -> None:
        out = self._ask(tr("Save captions"), ".vtt")
        if out is not None:
            reviews, _ = load_reviews(self.bundle.folder)

            def job() -> Path:
                export_vtt(self.bundle, out, reviews, caption=cue_text, outcome=status_text)
                return out

            self._run_export("WebVTT", job)

    def export_dicom_dialog(self) -> None:
        from ultrasound_consult.record.dicom_export import export_dicom

        out = self._ask(tr("Save DICOM"), ".dcm")
        if out is None:
            return
        start, end = self.loop if self.loop else (None, None)
        self._run_export("DICOM", lambda: export_dicom(
            self.bundle, out, start_s=start, end_s=end) and out)  # fmt: skip

    def export_report_dialog(self) -> None:
        from ultrasound_consult.record.report import write_report

        out = self._ask(tr("Save report"), "-report.html")
        if out is not None:
            reviews, _ = load_reviews(self.bundle.folder)

            def job() -> Path:
                write_report(self.bundle, out, reviews, caption=cue_text, outcome=status_text)
                return out

            self._run_export("HTML", job)

    def export_pdf_dialog(self) -> None:
        out = self._ask(tr("Save report"), "-report.pdf")
        if out is not None:
            self._run_export("PDF", lambda: self.export_pdf(out))

    def export_pdf(self, out: Path) -> Path:
        """The review report as PDF (Qt's own writer), beside the HTML one."""
        from ultrasound_consult.record.report import report_html
        from ultrasound_consult.ui.report_pdf import html_to_pdf

        reviews, _ = load_reviews(self.bundle.folder)
        html = report_html(self.bundle, reviews, caption=cue_text, outcome=status_text)
        return html_to_pdf(html, out, title=f"QC review — {self.bundle.info.room}")

    def closeEvent(self, event) -> None:
        self.pause()
        self.bundle.close()
        super().closeEvent(event)


def open_replay(folder: Path, parent: QWidget | None = None) -> ReplayWindow | None:
    """Open a bundle in a window; a bundle that cannot be read at all says why."""
    try:
        bundle = SessionBundle.open(folder)
        return ReplayWindow(bundle)
    except (BundleError, VideoReadError) as exc:
        QMessageBox.warning(
            parent,
            tr("Cannot open the recording"),
            tr("{folder} cannot be replayed: {reason}").format(folder=str(folder), reason=str(exc)),
        )
        return None


def run_replay_window(folder: Path, *, language: str | None = None) -> int:
    from ultrasound_consult.ui.app import application

    app = application(language)
    window = open_replay(Path(folder))
    if window is None:
        return 2
    place(window)
    window.show()
    return app.exec()
