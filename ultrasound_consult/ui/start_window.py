"""The first screen: who I am, which room, and (station) is everything ready?

Joining takes the invite code and one click: the code names the room and the role
(a pasted join link names the server too), so the role card follows the code. The
server, name, role and devices are remembered (:mod:`settings`); recent rooms rejoin
with a double click while their code is valid. The station's pre-call check shows the
masked picture, the microphone's level and a network test (:mod:`precheck`). QC
reviewers open a recording instead.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import partial
from urllib.parse import urlsplit

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ultrasound_consult.media.mask_store import MaskStoreError
from ultrasound_consult.protocol.errors import ProtocolError
from ultrasound_consult.protocol.invite import join_link, parse_invite, split_join_text
from ultrasound_consult.protocol.signaling import Role
from ultrasound_consult.record.catalog import list_recordings
from ultrasound_consult.session.engine_thread import EngineThread
from ultrasound_consult.session.presence import default_credential_path
from ultrasound_consult.session.recording import recordings_root
from ultrasound_consult.ui.devices import (
    chosen_spec,
    remember_mask_rects,
    remembered_mask,
    source_choices,
)
from ultrasound_consult.ui.i18n import LANGUAGES, current_language, resolve_language, tr
from ultrasound_consult.ui.messages import error_html, role_text
from ultrasound_consult.ui.precheck import MicMeter, NetworkTest, SourcePreview
from ultrasound_consult.ui.qr import QrDialog
from ultrasound_consult.ui.screen_fit import parse_geometry, place
from ultrasound_consult.ui.settings import AppSettings, RecentRoom
from ultrasound_consult.ui.source_dialog import add_file_choice, pick_source_file
from ultrasound_consult.ui.video_view import VideoView

#: Which first-screen choice an invite's role belongs to.
CHOICE_OF_ROLE = {
    Role.STATION: "station",
    Role.EXPERT: "expert",
    Role.TRAINER: "teaching",
    Role.OBSERVER: "teaching",
}


@dataclass(frozen=True)
class JoinRequest:
    server: str
    code: str
    name: str
    role: Role
    source: str = ""
    camera: str = ""


class StartWindow(QMainWindow):
    join_requested = Signal(object)  # JoinRequest
    recording_requested = Signal(str)  # a bundle folder
    language_requested = Signal(str)
    settings_requested = Signal()
    about_requested = Signal()
    consult_requested = Signal()  # "Enroll this device" / "Experts and requests"

    def __init__(self, settings: AppSettings, engine: EngineThread) -> None:
        super().__init__()
        #: The station's source opened in the pre-call check (Join waits for one that does).
        self.source_works = True
        self.settings, self.engine = settings, engine
        self.setWindowTitle(tr("ultrasound-consult — join a consult"))
        central = QWidget(objectName="central")  # type: ignore[call-arg]
        self.setCentralWidget(central)
        outer = QVBoxLayout(central)
        outer.setContentsMargins(28, 20, 28, 20)
        outer.setSpacing(14)
        outer.addLayout(self._header())
        columns = QHBoxLayout()
        columns.setSpacing(24)
        columns.addLayout(self._roles_column(), 3)
        columns.addLayout(self._join_column(), 4)
        columns.addWidget(self._check_column(), 5)
        outer.addLayout(columns, 1)
        self.preview = SourcePreview(engine, self.preview_view, self)
        self.preview.failed.connect(self._preview_failed)
        self.mic = MicMeter(self.mic_bar, self.mic_label, self)
        self.network = NetworkTest(engine, self.network_label, self)
        self.code.textChanged.connect(self._code_changed)
        self.code.returnPressed.connect(self.join)
        self.name.returnPressed.connect(self.join)
        QShortcut(QKeySequence("Ctrl+O"), self, activated=self.open_recording)  # type: ignore[call-overload]
        self._load()
        # Where it was last, fitted to the screen it opens on now (which may be smaller).
        place(self, parse_geometry(settings.window_geometry))

    # --- layout -------------------------------------------------------------------

    def _header(self) -> QHBoxLayout:
        row = QHBoxLayout()
        titles = QVBoxLayout()
        titles.addWidget(QLabel(tr("Ultrasound consult"), objectName="title"))  # type: ignore[call-overload]
        titles.addWidget(
            QLabel(  # type: ignore[call-overload]
                tr("Live ultrasound guidance between a clinic and a remote expert"),
                objectName="subtitle",
            )
        )
        row.addLayout(titles, 1)
        self.language = QComboBox()
        self.language.addItem(tr("System language"), "auto")
        for code, name in LANGUAGES.items():
            self.language.addItem(name, code)
        self.language.setToolTip(tr("Language of the app"))
        row.addWidget(self.language, 0, Qt.AlignmentFlag.AlignTop)
        # The consult service: enroll once, then the directory, calls and requests.
        enrolled = default_credential_path().exists()
        self.consult_button = QPushButton(
            tr("Experts and requests") if enrolled else tr("Enroll this device")
        )
        self.consult_button.clicked.connect(self.consult_requested.emit)
        row.addWidget(self.consult_button, 0, Qt.AlignmentFlag.AlignTop)
        self.settings_button = QPushButton(tr("Settings"))
        self.settings_button.clicked.connect(self.settings_requested.emit)
        self.about_button = QPushButton(tr("About"))
        self.about_button.clicked.connect(self.about_requested.emit)
        row.addWidget(self.settings_button, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(self.about_button, 0, Qt.AlignmentFlag.AlignTop)
        return row

    def _roles_column(self) -> QVBoxLayout:
        col = QVBoxLayout()
        col.setSpacing(8)
        col.addWidget(QLabel(tr("I am"), objectName="section"))  # type: ignore[call-overload]
        self.role_group = QButtonGroup(self)
        self.role_buttons: dict[str, QPushButton] = {}
        for key, title, detail in (
            ("station", tr("Station"), tr("scanning a patient here")),
            ("expert", tr("Expert"), tr("guiding the scan remotely")),
            ("teaching", tr("Trainer or trainee"), tr("teaching or watching")),
            ("review", tr("QC reviewer"), tr("replaying a recording")),
        ):
            button = QPushButton(f"{title}\n{detail}", objectName="role")  # type: ignore[call-overload]
            button.setCheckable(True)
            self.role_group.addButton(button)
            self.role_buttons[key] = button
            col.addWidget(button)
            button.toggled.connect(partial(self._role_toggled, key))
        col.addSpacing(10)
        col.addWidget(QLabel(tr("Recent rooms"), objectName="section"))  # type: ignore[call-overload]
        self.recent = QListWidget()
        self.recent.setToolTip(tr("Double-click to join again while the code is valid"))
        # A click fills the form; a double click (or Enter) joins, as the tooltip says.
        self.recent.itemActivated.connect(lambda item: self._recent_chosen(item, join=True))
        self.recent.itemClicked.connect(self._recent_chosen)
        col.addWidget(self.recent, 1)
        return col

    def _join_column(self) -> QVBoxLayout:
        col = QVBoxLayout()
        col.setSpacing(8)
        self.join_title = QLabel(tr("Join a consult"), objectName="section")  # type: ignore[call-overload]
        col.addWidget(self.join_title)
        self.join_form = QWidget()
        form = QFormLayout(self.join_form)
        form.setContentsMargins(0, 0, 0, 0)
        form.setVerticalSpacing(10)
        self.code = QLineEdit()
        self.code.setPlaceholderText(tr("invite code or link"))
        self.code.setToolTip(
            tr("The code you were sent, e.g. clinic-12.E1KZ4M2P.7HXM-4QPA-9TKD-W3FN")
        )
        self.code_role = QLabel()
        self.name = QLineEdit()
        self.name.setPlaceholderText(tr("as the others will see it"))
        self.server = QLineEdit()
        form.addRow(tr("Invite code"), self.code)
        role_row = QWidget()
        row = QHBoxLayout(role_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.code_role, 1)
        # The join link for a phone (a trainee's, a colleague's) instead of 37 characters.
        self.qr_button = QPushButton(tr("QR code…"), objectName="plain")  # type: ignore[call-overload]
        self.qr_button.setToolTip(tr("Show the join link as a QR code for a phone"))
        self.qr_button.clicked.connect(self.show_qr)
        self.qr_button.hide()
        row.addWidget(self.qr_button)
        form.addRow("", role_row)
        form.addRow(tr("My name"), self.name)
        form.addRow(tr("Server"), self.server)
        col.addWidget(self.join_form)
        self.error = QLabel(objectName="error")  # type: ignore[call-overload]
        self.error.setWordWrap(True)
        self.error.setTextFormat(Qt.TextFormat.RichText)
        self.error.hide()
        col.addWidget(self.error)
        self.info = QLabel(objectName="subtitle")  # type: ignore[call-overload]
        self.info.setWordWrap(True)
        self.info.hide()
        col.addWidget(self.info)
        self.join_button = QPushButton(tr("Join"), objectName="join")  # type: ignore[call-overload]
        self.join_button.clicked.connect(self.join)
        col.addWidget(self.join_button)
        self.review_box = QWidget()
        review = QVBoxLayout(self.review_box)
        review.setContentsMargins(0, 0, 0, 0)
        self.review_hint = QLabel(
            tr("Replay a recorded session with every mark and cue, score it and export it.")
        )
        self.review_hint.setWordWrap(True)
        self.open_button = QPushButton(tr("Open a recording…"), objectName="join")  # type: ignore[call-overload]
        self.open_button.clicked.connect(lambda: self.open_recording())
        self.recordings_label = QLabel(objectName="subtitle")  # type: ignore[call-overload]
        self.recordings_label.setWordWrap(True)
        # The recordings themselves, newest first: double click (or Enter) opens one.
        self.recordings = QTreeWidget()
        self.recordings.setRootIsDecorated(False)
        self.recordings.setHeaderLabels([tr("Date"), tr("Room"), tr("Length"), tr("Reviewed")])
        self.recordings.setToolTip(tr("Double-click to open"))
        self.recordings.header().setMinimumSectionSize(90)
        self.recordings.itemActivated.connect(
            lambda item, _col: self.open_recording(item.data(0, Qt.ItemDataRole.UserRole))
        )
        review.addWidget(self.review_hint)
        review.addWidget(self.recordings, 1)
        review.addWidget(self.open_button)
        review.addWidget(self.recordings_label)
        col.addWidget(self.review_box, 1)
        col.addStretch(1)
        return col

    def fill_recordings(self) -> None:
        """The recordings folder's bundles: date, room, length, reviewed; people in the
        tooltip; newest first."""
        self.recordings.clear()
        for entry in list_recordings(recordings_root()):
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(entry.started_wall))
            length = "—" if entry.length_s is None else _duration(entry.length_s)
            item = QTreeWidgetItem(
                [when, entry.room, length, tr("yes") if entry.reviewed else tr("no")]
            )
            item.setData(0, Qt.ItemDataRole.UserRole, str(entry.folder))
            people = ", ".join(entry.people) or "—"
            tip = tr("People: {people}").format(people=people)
            if not entry.complete:
                tip += "\n" + tr("Not closed properly (the app or the computer stopped)")
            for column in range(4):
                item.setToolTip(column, tip)
            self.recordings.addTopLevelItem(item)
        for column in range(3):
            self.recordings.resizeColumnToContents(column)

    def _check_column(self) -> QWidget:
        box = QWidget(objectName="sidepanel")  # type: ignore[call-arg]
        grid = QGridLayout(box)
        grid.setContentsMargins(14, 12, 14, 12)
        grid.setVerticalSpacing(8)
        self.check_title = QLabel(tr("Before you join"), objectName="section")  # type: ignore[call-overload]
        grid.addWidget(self.check_title, 0, 0, 1, 3)
        self.preview_view = VideoView()
        self.preview_view.setMinimumSize(240, 180)
        self.preview_view.set_placeholder(tr("Choose the video source"))
        grid.addWidget(self.preview_view, 1, 0, 1, 3)
        self.mask_hint = QLabel(
            tr("Check that the patient's name is covered: this is what the expert will see.")
            + " "
            + tr("Drag on the picture to cover more; it is remembered for this source.")
        )
        self.mask_hint.setWordWrap(True)
        grid.addWidget(self.mask_hint, 2, 0, 1, 2)
        self.clear_mask_button = QPushButton(tr("Uncover"))
        self.clear_mask_button.setToolTip(
            tr("Forget the areas you covered for this source (the top band stays)")
        )
        self.clear_mask_button.clicked.connect(lambda: self.set_mask_rects(()))
        grid.addWidget(self.clear_mask_button, 2, 2)
        # The mask editor: a box dragged on the preview covers that area, at once.
        self.preview_view.interactive = True
        self.preview_view.set_tool("rect")
        self.preview_view.shape_drawn.connect(self._cover)
        self.source_label = QLabel(tr("Video source"))
        self.source = QComboBox()
        self.source.setEditable(True)
        self.source.activated.connect(lambda _i: self._source_changed())
        editor = self.source.lineEdit()
        assert editor is not None  # an editable combo box has one
        editor.returnPressed.connect(self._source_changed)
        self.browse_button = QPushButton(tr("File…"))
        self.browse_button.setToolTip(tr("A DICOM image or cine, or a video file"))
        self.browse_button.clicked.connect(self.browse_source)
        grid.addWidget(self.source_label, 3, 0)
        grid.addWidget(self.source, 3, 1)
        grid.addWidget(self.browse_button, 3, 2)
        grid.addWidget(QLabel(tr("Microphone")), 4, 0)
        self.mic_bar = QProgressBar()
        self.mic_bar.setRange(0, 100)
        self.mic_bar.setTextVisible(False)
        grid.addWidget(self.mic_bar, 4, 1, 1, 2)
        self.mic_label = QLabel()
        self.mic_label.setWordWrap(True)
        grid.addWidget(self.mic_label, 5, 1, 1, 2)
        grid.addWidget(QLabel(tr("Network")), 6, 0)
        self.network_button = QPushButton(tr("Test the connection"))
        self.network_button.clicked.connect(self.test_network)
        grid.addWidget(self.network_button, 6, 1, 1, 2)
        self.network_label = QLabel()
        self.network_label.setWordWrap(True)
        grid.addWidget(self.network_label, 7, 0, 1, 3)
        grid.setRowStretch(1, 1)
        grid.setColumnStretch(1, 1)
        self.check_grid = grid
        self.check_box = box
        return box

    # --- state ------------------------------------------------------------------------

    def _load(self) -> None:
        s = self.settings
        self.server.setText(s.server)
        self.name.setText(s.name)
        # The language in use, when it is not what the setting says (--lang zh_CN).
        shown = s.language
        if resolve_language(s.language) != current_language():
            shown = current_language()
        index = self.language.findData(shown)
        self.language.setCurrentIndex(max(0, index))
        self.language.currentIndexChanged.connect(
            lambda i: self.language_requested.emit(self.language.itemData(i))
        )
        self._fill_sources(s.source)
        self._fill_recent()
        self.recordings_label.setText(
            tr("Recordings are kept in {folder}").format(folder=recordings_root())
        )
        self.role_buttons.get(s.role, self.role_buttons["station"]).setChecked(True)

    def _fill_sources(self, current: str) -> None:
        self.source.clear()
        for label, spec in source_choices(current):
            self.source.addItem(label, spec)
        index = self.source.findData(current)
        if index >= 0:
            self.source.setCurrentIndex(index)
        else:
            self.source.setEditText(current)

    def _fill_recent(self) -> None:
        self.recent.clear()
        rooms = self.settings.recent_rooms()
        # The server's host tells apart the same room on two servers.
        several = len({r.server for r in rooms}) > 1
        for room in rooms:
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(room.joined_at))
            text = f"{room.room} · {role_text(room.role)} · {when}"
            host = urlsplit(room.server).hostname or room.server
            if several:
                text += f" · {host}"
            if not room.usable:
                text += "\n" + tr("code expired: ask for a new one")
            item = QListWidgetItem(text)
            item.setToolTip(f"{room.room} · {room.server}")
            item.setData(Qt.ItemDataRole.UserRole, room)
            if not room.usable:
                item.setForeground(Qt.GlobalColor.gray)
            self.recent.addItem(item)
        if not self.settings.recent_rooms():
            item = QListWidgetItem(tr("Rooms you join appear here."))
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.recent.addItem(item)

    @property
    def role_choice(self) -> str:
        for key, button in self.role_buttons.items():
            if button.isChecked():
                return key
        return "station"

    def source_spec(self) -> str:
        return chosen_spec(self.source) or "synthetic"

    def _role_toggled(self, key: str, on: bool) -> None:
        if on:
            self._role_chosen(key)

    def _role_chosen(self, key: str) -> None:
        self.settings.role = key
        review = key == "review"
        station = key == "station"
        self.join_form.setVisible(not review)
        self.join_button.setVisible(not review)
        self.review_box.setVisible(review)
        if review:
            self.fill_recordings()
        self.check_box.setVisible(not review)
        self.join_title.setText(tr("Open a recording") if review else tr("Join a consult"))
        for w in (
            self.preview_view,
            self.mask_hint,
            self.clear_mask_button,
            self.source_label,
            self.source,
            self.browse_button,
        ):
            w.setVisible(station)
        # Without the preview, the checks sit at the top of their panel.
        self.check_grid.setRowStretch(1, 1 if station else 0)
        self.check_grid.setRowStretch(8, 0 if station else 1)
        self.hide_error()
        self._source_ok(self.source_works or not station)
        if self.isVisible():
            self.start_checks()

    def _code_changed(self) -> None:
        server, code = split_join_text(self.code.text())
        if server:
            self.server.setText(server)
        try:
            invite = parse_invite(code)
        except ProtocolError:
            self.code_role.setText("")
            self.qr_button.hide()
            return
        self.hide_error()
        expired = invite.expires_at < time.time()
        self.qr_button.setVisible(not expired)
        text = tr("Code for: {role}, room {room}").format(
            role=role_text(invite.role.value), room=invite.room
        )
        if expired:
            text += " — " + tr("expired")
        self.code_role.setText(text)
        choice = CHOICE_OF_ROLE[invite.role]
        if self.role_choice != choice:
            self.role_buttons[choice].setChecked(True)

    def _recent_chosen(self, item: QListWidgetItem, join: bool = False) -> None:
        room = item.data(Qt.ItemDataRole.UserRole)
        if not isinstance(room, RecentRoom):
            return
        if not room.usable:
            self.show_error(
                "token_expired",
                advice=tr("The code for room {room} has expired.").format(room=room.room),
            )
            return
        self.server.setText(room.server)
        self.code.setText(room.code)
        if room.name and not self.name.text().strip():
            self.name.setText(room.name)
        if join:
            self.join()

    # --- checks -------------------------------------------------------------------------

    def showEvent(self, event) -> None:
        super().showEvent(event)
        QTimer.singleShot(0, self.start_checks)

    def start_checks(self) -> None:
        """Start what the chosen role needs: the station's preview, everyone's microphone."""
        if not self.isVisible():
            return
        self.stop_checks()
        if self.role_choice == "review":
            return
        if self.role_choice == "station":
            self._source_ok(self.preview.start(self.source_spec()))
        self.mic.start(self.settings.microphone)

    def stop_checks(self) -> None:
        self.preview.stop()
        self.mic.stop()

    def _source_changed(self) -> None:
        spec = self.source_spec()
        self.settings.source = spec
        if self.role_choice == "station" and self.isVisible():
            self.hide_error()
            self._source_ok(self.preview.start(spec))

    def _cover(self, tool: str, points: tuple[tuple[float, float], ...]) -> None:
        (x0, y0), (x1, y1) = points
        rect = (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
        if rect[2] - rect[0] < 0.01 or rect[3] - rect[1] < 0.01:
            return
        current, _ = remembered_mask(self.source_spec())
        self.set_mask_rects((*current.rects, rect))

    def set_mask_rects(self, rects: tuple) -> None:
        """Remember the covered areas for the chosen source and show the result."""
        spec = self.source_spec()
        try:
            remember_mask_rects(spec, rects)
        except (MaskStoreError, ValueError) as exc:
            self.show_error("mask", str(exc))
            return
        if self.role_choice == "station" and self.isVisible():
            self._source_ok(self.preview.start(spec))  # the pipeline takes the new mask

    def show_qr(self) -> QDialog | None:
        server, code = split_join_text(self.code.text())
        server = (server or self.server.text()).strip()
        try:
            invite = parse_invite(code)
        except ProtocolError:
            return None
        dialog = QrDialog(join_link(server, invite.code()), self)
        dialog.show()
        self.qr_dialog = dialog
        return dialog

    def browse_source(self) -> None:
        """A DICOM or video file instead of typing ``dicom:/path`` into the combo."""
        spec = pick_source_file(self)
        if spec:
            add_file_choice(self.source, spec)
            self._source_changed()

    def _preview_failed(self, code: str, message: str) -> None:
        self.show_error(code, message)
        if code in ("source_unavailable", "device_busy", "source_lost"):
            self._source_ok(False)

    def _source_ok(self, ok: bool) -> None:
        """A station cannot join without a picture: Join waits for a source that opens."""
        self.source_works = ok
        self.join_button.setEnabled(ok or self.role_choice != "station")
        self.join_button.setToolTip(
            "" if self.join_button.isEnabled() else tr("Choose a video source that works first")
        )

    def test_network(self) -> None:
        self.settings.server = self.server.text()
        self.network.run(self.server.text().strip())

    # --- actions -------------------------------------------------------------------------

    def show_error(self, code: str, message: str = "", *, advice: str | None = None) -> None:
        """``message``: the engine's detail (logged; shown only if plain); ``advice``:
        this window's own translated words."""
        self.error.setText(error_html(code, message, advice=advice))
        self.error.show()
        self.info.hide()

    def hide_error(self) -> None:
        self.error.hide()

    def show_info(self, text: str) -> None:
        self.info.setText(text)
        self.info.show()

    def join(self) -> None:
        server, code = split_join_text(self.code.text())
        server = (server or self.server.text()).strip()
        try:
            invite = parse_invite(code)
        except ProtocolError:
            self.show_error(
                "token_invalid",
                advice=tr("Type or paste the invite code exactly as you were given it."),
            )
            self.code.setFocus()
            return
        if not server:
            self.show_error(
                "bad_url", advice=tr("Enter the server address your IT contact gave you.")
            )
            return
        if invite.expires_at < time.time():
            self.show_error(
                "token_expired",
                advice=tr("This code expired at {when}.").format(when=_when(invite)),
            )
            return
        station = invite.role is Role.STATION
        if station and not self.source_works:
            self.show_error("source_unavailable")
            return
        self.hide_error()
        s = self.settings
        s.server, s.name = server, self.name.text()
        if station:
            s.source = self.source_spec()
        self.join_requested.emit(
            JoinRequest(
                server=server,
                code=code.strip(),
                name=self.name.text().strip(),
                role=invite.role,
                source=self.source_spec() if station else "",
                camera=s.camera if station else "",
            )
        )

    def open_recording(self, folder: str | None = None) -> None:
        if not folder:
            folder = QFileDialog.getExistingDirectory(
                self, tr("Open a recording"), str(recordings_root())
            )
        if folder:
            self.recording_requested.emit(folder)

    def refresh(self) -> None:
        """After a call: recent rooms and devices may have changed."""
        self._fill_recent()
        self._fill_sources(self.settings.source)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.stop_checks()
        super().closeEvent(event)


def _when(invite) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(invite.expires_at))


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
