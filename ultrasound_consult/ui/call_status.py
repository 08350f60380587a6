"""Call status: a compact good / fair / poor button, a panel of graphs over the last
minutes, and plain-language notices when the network weakens or recovers.

:class:`StatsHistory` keeps what the link monitor reports each second (the worst
peer's round trip, loss, bitrate, frame rate, resolution, the encoder's target) and
the annotation round trips (expert's mark to the station's acknowledgement).
:class:`QualityNotices` turns changes into a few sentences a sonographer
understands, with hysteresis so a one-second blip says nothing. Both the button and
the notices read the link monitor's one judgement (``LinkStats.quality``, with
``lowered`` for the wording), so a "Network weak" never shows beside a "Good". :class:`StatsPanel`
plots the history with pyqtgraph.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ultrasound_consult.session.link_monitor import LinkStats
from ultrasound_consult.ui.i18n import tr
from ultrasound_consult.ui.theme import QUALITY_COLOURS

#: How much history the panel keeps and plots.
HISTORY_S = 300
QUALITY_ORDER = ("good", "fair", "poor")
#: A drop must last this long before the user is told (a one-second blip is noise) ...
WEAK_AFTER_S = 3
#: ... and a recovery this long before the all-clear.
RECOVERED_AFTER_S = 10


def worst(stats: tuple[LinkStats, ...]) -> LinkStats | None:
    return max(stats, key=lambda s: QUALITY_ORDER.index(s.quality)) if stats else None


@dataclass(frozen=True)
class Sample:
    at: float
    rtt_ms: float
    loss_percent: float
    bitrate_mbps: float
    target_mbps: float
    fps: float
    width: int
    height: int
    quality: str
    lowered: bool = False


class StatsHistory:
    def __init__(self, seconds: int = HISTORY_S, clock=time.monotonic) -> None:
        self.samples: deque[Sample] = deque(maxlen=seconds)
        self.annotation_rtts: deque[tuple[float, float]] = deque(maxlen=500)
        self._clock = clock
        self.seconds = seconds

    def add(self, stats: tuple[LinkStats, ...]) -> Sample | None:
        w = worst(stats)
        if w is None:
            return None
        nan = float("nan")
        sample = Sample(
            self._clock(),
            nan if w.rtt_ms is None else w.rtt_ms,
            nan if w.loss_percent is None else w.loss_percent,
            nan if w.bitrate_mbps is None else w.bitrate_mbps,
            nan if w.target_mbps is None else w.target_mbps,
            nan if w.fps is None else w.fps,
            w.width,
            w.height,
            w.quality,
            w.lowered,
        )
        self.samples.append(sample)
        return sample

    def add_annotation_rtt(self, ms: float) -> None:
        self.annotation_rtts.append((self._clock(), ms))

    def series(self, field: str) -> tuple[np.ndarray, np.ndarray]:
        """(seconds ago, negative; values) for plotting."""
        now = self._clock()
        xs = np.array([s.at - now for s in self.samples], dtype=float)
        ys = np.array([getattr(s, field) for s in self.samples], dtype=float)
        return xs, ys

    def annotation_series(self) -> tuple[np.ndarray, np.ndarray]:
        now = self._clock()
        keep = [(t - now, ms) for t, ms in self.annotation_rtts if now - t <= self.seconds]
        if not keep:
            return np.array([]), np.array([])
        xs, ys = zip(*keep, strict=True)
        return np.array(xs), np.array(ys)


class QualityNotices:
    """``weak`` / ``lowered`` / ``recovered`` (or None) after each sample; keys the window
    turns into sentences (:func:`notice_text`)."""

    def __init__(self) -> None:
        self.bad_run = 0
        self.good_run = 0
        self.warned: str | None = None

    def update(self, sample: Sample | None) -> str | None:
        if sample is None:
            return None
        if sample.quality != "good":
            self.bad_run += 1
            self.good_run = 0
        else:
            self.good_run += 1
            self.bad_run = 0
        if self.bad_run == WEAK_AFTER_S:
            kind = "lowered" if sample.lowered else "weak"
            if self.warned != kind:
                self.warned = kind
                return kind
        if self.warned and self.good_run == RECOVERED_AFTER_S:
            self.warned = None
            return "recovered"
        return None


def notice_text(kind: str, sending: bool, allows: LinkStats | None = None) -> str:
    """The sentence for a notice; ``allows``: the link's latest statistics, whose ladder
    fields say what the station sends now (the rung its rate control chose)."""
    if kind == "lowered":
        fps = allows.ladder_fps if allows is not None else None
        lines = allows.ladder_lines if allows is not None else None
        if sending and fps is not None and lines is not None:
            return tr("Network weak: sending {lines} lines at {fps} frames per second.").format(
                lines=lines, fps=round(fps)
            )
        if sending and fps is not None:
            return tr("Network weak: sending {fps} frames per second, full detail.").format(
                fps=round(fps)
            )
        if sending and lines is not None:
            return tr("Network weak: sending {lines} lines to keep the image moving.").format(
                lines=lines
            )
        return tr("Network weak: lowering quality to keep the image moving.")
    if kind == "weak":
        if sending:
            return tr("Network weak: the expert's picture may be less sharp or jerky for a while.")
        return tr("Network weak: the picture may be less sharp or jerky for a while.")
    return tr("The network has recovered: full quality again.")


class StatusButton(QPushButton):
    """● Good · 32 ms — one glance; a click opens the graphs."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, objectName="status")  # type: ignore[call-overload]
        self.setCheckable(True)
        self.setToolTip(tr("Connection details and graphs over the last minutes"))
        self.quality: str | None = None
        self.show_stats(None)

    def show_stats(self, w: LinkStats | None) -> None:
        if w is None:
            self.quality = None
            self.setText(tr("No connection yet"))
            return
        changed = w.quality != self.quality
        self.quality = w.quality
        words = {"good": tr("Good"), "fair": tr("Fair"), "poor": tr("Poor")}
        parts = [words.get(w.quality, w.quality)]
        if w.rtt_ms is not None:
            parts.append(tr("{ms:.0f} ms").format(ms=w.rtt_ms))
        if w.loss_percent:
            parts.append(tr("loss {pct:.1f}%").format(pct=w.loss_percent))
        self.setText("● " + " · ".join(parts))
        if changed:  # a style sheet re-polishes the widget: only when the colour changes
            colour = QUALITY_COLOURS.get(w.quality, "#eceef0")
            self.setStyleSheet(f"QPushButton#status {{ color: {colour}; font-weight: bold; }}")


class StatsPanel(QWidget):
    """Graphs of the last five minutes: round trip (with annotation round trips), loss,
    bitrate (with the encoder's target) and frame rate; the latest numbers above."""

    closed = Signal()

    def __init__(self, history: StatsHistory, parent: QWidget | None = None) -> None:
        super().__init__(parent, objectName="sidepanel")  # type: ignore[call-arg]
        self.history = history
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        top = QHBoxLayout()
        self.summary = QLabel()
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        top.addWidget(self.summary, 1)
        close = QPushButton(tr("Hide"))
        close.clicked.connect(self.closed.emit)
        top.addWidget(close)
        layout.addLayout(top)
        #: Who is in the call, with role and link quality (see CallWindow.people).
        self.people = QLabel(objectName="hint")  # type: ignore[call-overload]
        self.people.setWordWrap(True)
        layout.addWidget(self.people)
        self.graphs = pg.GraphicsLayoutWidget()
        self.graphs.setBackground("#15171a")
        self.graphs.setMinimumHeight(100)
        layout.addWidget(self.graphs, 1)
        self.curves: dict[str, pg.PlotDataItem] = {}
        specs = (
            ("rtt_ms", tr("Round trip (ms)"), "#4fc3f7"),
            ("loss_percent", tr("Loss (%)"), "#f0554a"),
            ("bitrate_mbps", tr("Bitrate (Mbit/s)"), "#3ccf6e"),
            ("fps", tr("Frames per second"), "#f2c14e"),
        )
        for col, (field, title, colour) in enumerate(specs):
            plot = self.graphs.addPlot(row=0, col=col, title=title)
            plot.setXRange(-history.seconds, 0, padding=0)
            plot.showGrid(x=True, y=True, alpha=0.2)
            plot.setMouseEnabled(x=False, y=False)
            plot.hideButtons()
            plot.getAxis("bottom").setLabel(tr("seconds ago"))
            self.curves[field] = plot.plot(pen=pg.mkPen(colour, width=2))
            if field == "rtt_ms":
                self.annotation_points = pg.ScatterPlotItem(
                    size=7, brush=pg.mkBrush("#ffd400"), pen=None, name="annotations"
                )
                plot.addItem(self.annotation_points)
            if field == "bitrate_mbps":
                self.curves["target_mbps"] = plot.plot(
                    pen=pg.mkPen("#9aa0a6", width=1, style=Qt.PenStyle.DashLine)
                )
        self.refresh()

    def show_people(self, lines: list[str]) -> None:
        self.people.setText(tr("In the call:") + " " + ";  ".join(lines))

    def refresh(self) -> None:
        for field, curve in self.curves.items():
            xs, ys = self.history.series(field)
            ok = ~np.isnan(ys) if len(ys) else np.array([], dtype=bool)
            curve.setData(xs[ok], ys[ok])
        xs, ys = self.history.annotation_series()
        self.annotation_points.setData(xs, ys)
        self.summary.setText(self._summary())

    def _summary(self) -> str:
        if not self.history.samples:
            return tr("No connection yet")
        s = self.history.samples[-1]
        parts = []
        if s.rtt_ms == s.rtt_ms:
            parts.append(tr("Round trip {ms:.0f} ms").format(ms=s.rtt_ms))
        if s.loss_percent == s.loss_percent:
            parts.append(tr("loss {pct:.1f}%").format(pct=s.loss_percent))
        if s.bitrate_mbps == s.bitrate_mbps:
            parts.append(tr("{mbps:.1f} Mbit/s").format(mbps=s.bitrate_mbps))
        if s.fps == s.fps:
            parts.append(tr("{fps:.0f} fps").format(fps=s.fps))
        if s.width:
            parts.append(f"{s.width}×{s.height}")
        if self.history.annotation_rtts:
            ms = self.history.annotation_rtts[-1][1]
            parts.append(
                "<span style='color:#ffd400'>●</span> "
                + tr("marks confirmed in {ms:.0f} ms").format(ms=ms)
            )
        return " · ".join(parts)
