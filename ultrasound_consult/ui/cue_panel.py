"""The expert's guidance panel: pick a probe motion and its direction, place the
probe on the body marker, send; imaging requests go with one click.

Only the directions a motion accepts can be chosen (rock goes toward or away from
the marker; rotate is clockwise or not, with an angle), so a cue can never be
ambiguous. The last cue and its fate (on screen, done, can't) sit in :attr:`header`,
and "Send cue" in :attr:`footer`: the window pins both above and below the scrolling
choices, so neither moves with the cue type nor scrolls out of sight.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ultrasound_consult.annotate.guidance import CueEntry
from ultrasound_consult.protocol.guidance import (
    ANGLED,
    DIRECTIONS,
    MOTIONS,
    REQUESTS,
    Action,
    Cue,
    CueStatus,
    Direction,
)
from ultrasound_consult.ui.cue_text import action_name, cue_text, direction_name, status_text
from ultrasound_consult.ui.guidance_view import BodyMarkerWidget
from ultrasound_consult.ui.i18n import tr

STATUS_COLOR = {
    CueStatus.SENT: "#9aa0a6",
    CueStatus.SHOWN: "#f2c14e",
    CueStatus.DONE: "#3ccf6e",
    CueStatus.CANT: "#f0554a",
    CueStatus.CANCELLED: "#9aa0a6",
    CueStatus.REPLACED: "#9aa0a6",
}


class CuePanel(QWidget):
    #: action, direction (or None), angle (or None), probe (or None), marker degrees
    cue_requested = Signal(object, object, object, object, object)
    cancel_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, objectName="cuepanel")  # type: ignore[call-arg]
        self.setMinimumWidth(250)
        self.setMaximumWidth(330)
        col = QVBoxLayout(self)
        col.setContentsMargins(10, 8, 10, 8)
        col.setSpacing(6)
        self.motion_group = QButtonGroup(self)
        grid = QGridLayout()
        grid.setSpacing(4)
        self.motion_buttons: dict[Action, QPushButton] = {}
        for i, action in enumerate(MOTIONS):
            b = QPushButton(action_name(action), objectName="choice")  # type: ignore[call-overload]
            b.setCheckable(True)
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            self.motion_group.addButton(b)
            b.clicked.connect(lambda _=False, a=action: self._pick_motion(a))
            self.motion_buttons[action] = b
            grid.addWidget(b, i // 2, i % 2)
        col.addLayout(grid)
        self.direction_group = QButtonGroup(self)
        dgrid = QGridLayout()
        dgrid.setSpacing(4)
        self.direction_buttons: dict[Direction, QPushButton] = {}
        for i, direction in enumerate(Direction):
            b = QPushButton(direction_name(direction), objectName="choice")  # type: ignore[call-overload]
            b.setCheckable(True)
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            self.direction_group.addButton(b)
            b.clicked.connect(self._refresh)
            self.direction_buttons[direction] = b
            dgrid.addWidget(b, i // 2, i % 2)
        col.addLayout(dgrid)
        angle_row = QHBoxLayout()
        self.angle_label = QLabel(tr("Angle"))
        self.angle = QSpinBox()
        self.angle.setRange(5, 180)
        self.angle.setSingleStep(15)
        self.angle.setValue(45)
        self.angle.setSuffix("°")
        self.angle.valueChanged.connect(self._refresh)
        angle_row.addWidget(self.angle_label)
        angle_row.addWidget(self.angle, 1)
        col.addLayout(angle_row)
        self.body = BodyMarkerWidget()
        self.body.changed.connect(self._refresh)
        col.addWidget(self.body, 1)
        self.send_button = QPushButton(tr("Send cue"), objectName="primary")  # type: ignore[call-overload]
        self.send_button.clicked.connect(self._send)
        self.footer = QWidget(objectName="cuepanel")  # type: ignore[call-arg]
        foot = QVBoxLayout(self.footer)
        foot.setContentsMargins(10, 4, 10, 6)
        foot.addWidget(self.send_button)
        col.addWidget(QLabel("<b>" + tr("Ask for") + "</b>"))
        rgrid = QGridLayout()
        rgrid.setSpacing(4)
        self.request_buttons: dict[Action, QPushButton] = {}
        for i, action in enumerate(REQUESTS):
            b = QPushButton(action_name(action), objectName="choice")  # type: ignore[call-overload]
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            b.clicked.connect(
                lambda _=False, a=action: self.cue_requested.emit(a, None, None, None, None)
            )
            self.request_buttons[action] = b
            rgrid.addWidget(b, i // 2, i % 2)
        col.addLayout(rgrid)
        self.header = QWidget(objectName="cuepanel")  # type: ignore[call-arg]
        head = QVBoxLayout(self.header)
        head.setContentsMargins(10, 6, 10, 4)
        head.setSpacing(4)
        head.addWidget(QLabel("<b>" + tr("Probe guidance") + "</b>"))
        self.status = QLabel(objectName="cuestatus")  # type: ignore[call-overload]
        self.status.setWordWrap(True)
        self.status.setText(tr("No cue sent yet"))
        head.addWidget(self.status)
        self.cancel_button = QPushButton(tr("Withdraw cue"))
        self.cancel_button.clicked.connect(self._cancel)
        self.cancel_button.hide()
        head.addWidget(self.cancel_button)
        self._last: CueEntry | None = None
        self._anim = QTimer(self, interval=50, timeout=self.body.update)  # type: ignore[call-arg]
        self._anim.start()
        self._pick_motion(Action.SLIDE)
        self.direction_buttons[Direction.HEAD].setChecked(True)
        self._refresh()

    # --- choosing -------------------------------------------------------------

    @property
    def motion(self) -> Action:
        return next(a for a, b in self.motion_buttons.items() if b.isChecked())

    @property
    def direction(self) -> Direction | None:
        return next((d for d, b in self.direction_buttons.items() if b.isChecked()), None)

    def _pick_motion(self, action: Action) -> None:
        self.motion_buttons[action].setChecked(True)
        allowed = DIRECTIONS[action]
        current = self.direction
        for d, b in self.direction_buttons.items():
            b.setVisible(d in allowed)
        if current not in allowed:
            self.direction_group.setExclusive(False)
            for b in self.direction_buttons.values():
                b.setChecked(False)
            self.direction_group.setExclusive(True)
            if allowed:
                first = sorted(allowed, key=list(Direction).index)[0]
                self.direction_buttons[first].setChecked(True)
        angled = action in ANGLED
        self.angle.setVisible(angled)
        self.angle_label.setVisible(angled)
        self._refresh()

    def _refresh(self) -> None:
        self.body.preview = self.draft()
        self.body.update()
        draft = self.body.preview
        self.send_button.setToolTip(cue_text(draft) if draft else "")

    def draft(self) -> Cue | None:
        """The cue as chosen now (None if a direction is missing)."""
        action = self.motion
        direction = self.direction if DIRECTIONS[action] else None
        if DIRECTIONS[action] and direction is None:
            return None
        try:
            return Cue(
                id="draft",
                action=action,
                author="",
                direction=direction,
                angle_deg=float(self.angle.value()) if action in ANGLED else None,
                probe=self.body.probe,
                marker_deg=self.body.marker_deg if self.body.probe is not None else None,
            )
        except ValueError:
            return None

    def _send(self) -> None:
        cue = self.draft()
        if cue is not None:
            self.cue_requested.emit(
                cue.action, cue.direction, cue.angle_deg, cue.probe, cue.marker_deg
            )

    def _cancel(self) -> None:
        if self._last is not None:
            self.cancel_requested.emit(self._last.cue.id)

    # --- what became of it ---------------------------------------------------------

    def show_cues(self, entries: tuple[CueEntry, ...]) -> None:
        if not entries:
            return
        last = entries[-1]
        self._last = last
        colour = STATUS_COLOR[last.status]
        self.status.setText(
            f"{cue_text(last.cue)}<br><span style='color:{colour}'>● "
            + status_text(last.status)
            + "</span>"
        )
        self.cancel_button.setVisible(last.status in (CueStatus.SENT, CueStatus.SHOWN))
