"""The app as a clinician uses it, offscreen: the first screen, joining a room on the
real local server, frames, a cue answered with the keyboard, the scanner's cable
pulled mid-call, another source, the end of the call; and the errors a person can act
on (wrong, expired code; server down) shown on the first screen.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication

from tests.support.ui import answer_end_question, choose, join, make_app
from ultrasound_consult.media.source import SourceError, SourceFrame, SourceInfo, VideoSource
from ultrasound_consult.media.source_spec import open_source
from ultrasound_consult.protocol.guidance import Action, CueStatus, Direction
from ultrasound_consult.protocol.signaling import Role
from ultrasound_consult.ui import launcher
from ultrasound_consult.ui.app import application
from ultrasound_consult.ui.station_window import StationWindow


class UnpluggableSource(VideoSource):
    """A real synthetic source behind a cable that can be pulled: after :meth:`unplug`
    the next read fails the way a capture card's does (``SourceError``)."""

    def __init__(self, inner: VideoSource) -> None:
        self.inner = inner
        self.unplugged = asyncio.Event()

    @property
    def info(self) -> SourceInfo:  # type: ignore[override]
        return self.inner.info

    async def start(self) -> None:
        await self.inner.start()

    async def next_frame(self) -> SourceFrame:
        if self.unplugged.is_set():
            raise SourceError("the capture device stopped sending frames (unplugged?)")
        return await self.inner.next_frame()

    async def stop(self) -> None:
        await self.inner.stop()

    def unplug(self) -> None:
        self.unplugged.set()


def test_whole_consult_from_the_first_screen(
    qtbot, engine, tmp_path, signaling_url, invite, monkeypatch, artifacts
):
    application("en")
    opened_sources: list[UnpluggableSource] = []

    def cabled_source(spec: str) -> VideoSource:
        source = UnpluggableSource(open_source(spec))
        opened_sources.append(source)
        return source

    monkeypatch.setattr(launcher, "open_source", cabled_source)
    station = make_app(qtbot, engine, tmp_path, "station", source="synthetic:640x480@30")
    expert = make_app(qtbot, engine, tmp_path, "expert", role="expert")
    # The station's pre-call check shows the masked picture before anyone joins.
    qtbot.waitUntil(lambda: station.start.preview.frames > 3, timeout=10_000)
    assert station.start.preview_view.frame_size == (640, 480)

    st = join(qtbot, station, "station", invite("station"), "Township clinic", signaling_url)
    assert st is not None and isinstance(st.window, StationWindow)
    assert not station.start.isVisible() and st.window.isVisible()
    # The code decided the role: typing an expert's code selects the expert card.
    ex = join(qtbot, expert, "station", invite("expert"), "Dr. Wang", signaling_url)
    assert ex is not None and expert.start.role_choice == "expert"
    qtbot.waitUntil(lambda: ex.window.view.frame_size == (640, 480), timeout=20_000)
    qtbot.waitUntil(lambda: ex.call.stream_info is not None, timeout=20_000)
    qtbot.waitUntil(lambda: st.window.status_button.quality is not None, timeout=20_000)

    # A cue from the expert, answered at the station with the space bar.
    ex.bridge.call(ex.call.collab.send_cue, Action.ROTATE, Direction.CLOCKWISE, angle_deg=45)
    qtbot.waitUntil(lambda: st.window.active_cue is not None, timeout=10_000)
    assert st.window.answers.isVisible()
    st.window.grab().save(str(artifacts / "app_station_cue_en.png"))
    with qtbot.waitActive(st.window):
        st.window.activateWindow()
    qtbot.keyClick(st.window, Qt.Key_Space)
    qtbot.waitUntil(
        lambda: any(e.status is CueStatus.DONE for e in ex.call.collab.guidance.entries()),
        timeout=10_000,
    )
    qtbot.waitUntil(lambda: not st.window.answers.isVisible(), timeout=5_000)
    # A foot pedal sends Page Up: "can't".
    ex.bridge.call(ex.call.collab.send_cue, Action.COMPRESS, Direction.MORE)
    qtbot.waitUntil(lambda: st.window.active_cue is not None, timeout=10_000)
    qtbot.keyClick(st.window, Qt.Key_PageUp)
    qtbot.waitUntil(
        lambda: any(e.status is CueStatus.CANT for e in ex.call.collab.guidance.entries()),
        timeout=10_000,
    )

    # The scanner's cable is pulled: the station hears what to do, the call goes on.
    opened_sources[-1].unplug()
    qtbot.waitUntil(lambda: st.window.banner.isVisible(), timeout=10_000)
    assert "video source stopped" in st.window.banner.text()
    assert st.window.switch_button.objectName() == "attention"
    assert st.call.state.value == "connected"
    st.window.grab().save(str(artifacts / "app_station_unplugged_en.png"))

    # Another source, same call: the expert gets its pictures (a new size) at once.
    before = ex.window.view.frames_shown
    assert st.window.switch_source("synthetic:800x600@30")
    qtbot.waitUntil(lambda: ex.window.view.frame_size == (800, 600), timeout=20_000)
    qtbot.waitUntil(lambda: ex.window.view.frames_shown > before + 10, timeout=20_000)
    assert not st.window.banner.isVisible()
    assert st.call.pipeline is not None and st.call.pipeline.switches == 1

    # End the call (it asks first): the first screen comes back, the room is in the
    # recent list.
    answer_end_question(st.window, end=True)
    qtbot.mouseClick(st.window.end_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: station.current is None and station.start.isVisible(), timeout=10_000)
    assert "Call ended" in station.start.info.text()
    rooms = station.settings.recent_rooms()
    assert rooms and rooms[0].role == "station" and rooms[0].usable
    qtbot.waitUntil(lambda: ex.window.state == "waiting", timeout=10_000)
    qtbot.waitUntil(lambda: ex.window.notice.isVisible(), timeout=10_000)
    assert "Township clinic left the call" in ex.window.notice.text()
    ex.window.close()
    qtbot.waitUntil(lambda: expert.start.isVisible(), timeout=10_000)


def test_wrong_code_and_expired_code_are_explained(
    qtbot, engine, tmp_path, signaling_url, invite, signer, room
):
    application("en")
    app = make_app(qtbot, engine, tmp_path, "expert", role="expert")
    start = app.start
    # Not a code at all: nothing is attempted.
    assert join(qtbot, app, "expert", "hello", "Dr. Li", signaling_url) is None
    assert "invite code is wrong" in start.error.text()
    # A code that expired: said before any connection.
    expired = signer.mint(room, Role.EXPERT, ttl_s=60, now=time.time() - 600).code()
    assert join(qtbot, app, "expert", expired, "Dr. Li", signaling_url) is None
    assert "expired" in start.error.text()
    # A code the server refuses (signature altered): the call closes, the first screen
    # says so and stays usable.
    good = invite("expert")
    forged = good[:-1] + ("A" if good[-1] != "A" else "B")
    assert join(qtbot, app, "expert", forged, "Dr. Li", signaling_url) is not None
    qtbot.waitUntil(lambda: app.current is None and start.isVisible(), timeout=15_000)
    assert start.error.isVisible()
    assert "invite code" in start.error.text().lower()
    assert "Traceback" not in start.error.text()


def test_server_down_is_explained(qtbot, engine, tmp_path, invite):
    application("en")
    app = make_app(qtbot, engine, tmp_path, "expert", role="expert")
    assert join(qtbot, app, "expert", invite("expert"), "Dr. Li", "ws://127.0.0.1:9/") is not None
    qtbot.waitUntil(lambda: app.current is None and app.start.isVisible(), timeout=20_000)
    assert "Cannot reach the server" in app.start.error.text()
    # What happened and what to do; the socket's errno only in the log (item 9).
    assert "ask your IT contact" in app.start.error.text()
    assert "Errno" not in app.start.error.text() and "Connect call" not in app.start.error.text()
    # The network test says the same before anyone tries to join.
    app.start.server.setText("ws://127.0.0.1:9/")
    app.start.test_network()
    qtbot.waitUntil(lambda: app.start.network.result is not None, timeout=15_000)
    assert not app.start.network.result.ok
    assert "Cannot reach the server" in app.start.network_label.text()


def test_network_test_measures_the_server(qtbot, engine, tmp_path, signaling_url):
    application("en")
    app = make_app(qtbot, engine, tmp_path, "station")
    app.start.server.setText(signaling_url)
    app.start.test_network()
    qtbot.waitUntil(lambda: app.start.network.result is not None, timeout=15_000)
    result = app.start.network.result
    assert result.ok and len(result.rtt_ms) == 5 and result.verdict == "good"
    assert "Server reached" in app.start.network_label.text()
    # ... and it joined no room: nobody saw a phantom peer (the server has no room).


def test_language_switch_rebuilds_the_first_screen(qtbot, engine, tmp_path):
    application("en")
    app = make_app(qtbot, engine, tmp_path, "expert", role="expert")
    assert app.start.join_button.text() == "Join"
    app.start.language.setCurrentIndex(app.start.language.findData("zh_CN"))
    assert app.settings.language == "zh_CN"
    assert app.start.join_button.text() == "加入"
    qtbot.addWidget(app.start)
    app.set_language("en")
    assert app.start.join_button.text() == "Join"


class UnopenableSource(UnpluggableSource):
    """A capture device that is not there (``device:7`` on a machine with one card)."""

    async def start(self) -> None:
        raise SourceError("cannot open capture device 7 ([Errno 2] No such file or directory)")


def test_errors_read_as_what_happened_and_what_to_do(qtbot, engine, signaling_url, invite):
    """Issue 15, item 9: a source that cannot open says so once, with what to do, not
    "That cannot be done right now"; a microphone error is not "Error querying device"."""
    from ultrasound_consult.media.audio import RecordingOutput
    from ultrasound_consult.session.call import CallConfig
    from ultrasound_consult.ui.app import open_call

    application("en")
    opened = open_call(
        engine,
        CallConfig.from_invite(signaling_url, invite("station"), "Clinic"),
        source=UnopenableSource(open_source("synthetic:320x240@15")),
        speaker=RecordingOutput(),
    )
    window = opened.window
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.state == "failed", timeout=10_000)
    qtbot.waitUntil(lambda: window.banner.isVisible(), timeout=5_000)
    # A second, vaguer report would come from the start's failure callback, queued on the
    # engine before this no-op; once the no-op is done, its signal is in Qt's queue.
    engine.submit(asyncio.sleep(0)).result(5)
    QApplication.processEvents()
    text = window.banner.text()
    assert "The video source cannot be opened" in text and "capture card" in text
    assert "cannot be done right now" not in text and "Errno" not in text
    window.show_error("microphone_unavailable", "Error querying device -1")
    assert "querying" not in window.banner.text() and "microphone" in window.banner.text()
    assert window.mic_button.text() == "No microphone"
    assert "querying" not in window.mic_button.toolTip()
    window.end_call()


def test_recent_rooms_keep_only_joins_that_worked_and_rejoin_on_double_click(
    qtbot, engine, tmp_path, signaling_url, invite
):
    """Issue 15, item 8: a mistyped code does not replace a working one, a server that
    is down adds nothing, and a double click joins again."""
    application("en")
    app = make_app(qtbot, engine, tmp_path, "expert", role="expert")
    start = app.start
    good = invite("expert")
    opened = join(qtbot, app, "expert", good, "Dr. Li", signaling_url)
    qtbot.waitUntil(lambda: opened.window.state == "waiting", timeout=15_000)
    assert [r.code for r in app.settings.recent_rooms()] == [good]
    opened.window.close()
    qtbot.waitUntil(lambda: app.current is None and start.isVisible(), timeout=10_000)
    # A mistyped code for the same room: refused, and the working code stays.
    forged = good[:-1] + ("A" if good[-1] != "A" else "B")
    assert join(qtbot, app, "expert", forged, "Dr. Li", signaling_url) is not None
    qtbot.waitUntil(lambda: app.current is None and start.error.isVisible(), timeout=15_000)
    # The server down: no second, indistinguishable entry.
    assert join(qtbot, app, "expert", good, "Dr. Li", "ws://127.0.0.1:9/") is not None
    qtbot.waitUntil(lambda: app.current is None and start.error.isVisible(), timeout=15_000)
    (room,) = app.settings.recent_rooms()
    assert room.code == good and room.server == signaling_url
    # A double click on it joins (the tooltip says so), with its server.
    start.server.setText("ws://127.0.0.1:9/")
    item = start.recent.item(0)
    start.recent.itemActivated.emit(item)
    qtbot.waitUntil(lambda: app.current is not None, timeout=5_000)
    qtbot.waitUntil(lambda: app.current.window.state == "waiting", timeout=15_000)
    app.current.window.close()


def test_a_station_cannot_join_without_a_working_source(
    qtbot, engine, tmp_path, signaling_url, invite
):
    """Issue 15, item 10: Join waits for a source that opens; nothing is remembered."""
    application("en")
    app = make_app(qtbot, engine, tmp_path, "station", source=f"file:{tmp_path}/missing.mp4")
    start = app.start
    qtbot.mouseClick(start.role_buttons["station"], Qt.LeftButton)
    qtbot.waitUntil(lambda: not start.join_button.isEnabled(), timeout=10_000)
    assert "source" in start.join_button.toolTip()
    assert start.error.isVisible() and "cannot be opened" in start.error.text()
    start.code.setText(invite("station"))
    start.server.setText(signaling_url)
    start.join()  # Enter in the code field
    assert app.current is None and app.settings.recent_rooms() == []
    # Another role needs no source; a working source enables Join again.
    qtbot.mouseClick(start.role_buttons["expert"], Qt.LeftButton)
    assert start.join_button.isEnabled()
    qtbot.mouseClick(start.role_buttons["station"], Qt.LeftButton)
    qtbot.waitUntil(lambda: not start.join_button.isEnabled(), timeout=10_000)
    editor = start.source.lineEdit()
    editor.selectAll()
    qtbot.keyClicks(editor, "synthetic:320x240@15")
    qtbot.keyClick(editor, Qt.Key_Return)
    qtbot.waitUntil(lambda: start.join_button.isEnabled(), timeout=10_000)


def test_sources_and_sound_devices_are_chosen_not_typed(
    qtbot, engine, tmp_path, signaling_url, invite, grey_banner_frame, monkeypatch
):
    """Issue 15, item 11: a file picker for DICOM and video, lists of real microphones
    and speakers, and "Switch source" shows the masked preview before it switches."""
    import sounddevice

    from ultrasound_consult.ui import start_window as start_module
    from ultrasound_consult.ui.settings_dialog import SettingsDialog
    from ultrasound_consult.ui.source_dialog import spec_for_file

    assert spec_for_file("/data/clip.MP4") == "file:/data/clip.MP4"
    assert spec_for_file("/data/IM0001") == "dicom:/data/IM0001"
    application("en")
    # No sound card here: PortAudio's list is the one thing faked, through the same code.
    fake = [
        {"name": "USB headset", "max_input_channels": 1, "max_output_channels": 2},
        {"name": "HDMI", "max_input_channels": 0, "max_output_channels": 2},
    ]
    monkeypatch.setattr(sounddevice, "query_devices", lambda: fake)
    station = make_app(qtbot, engine, tmp_path, "station", source="synthetic:640x480@30")
    dialog = SettingsDialog(station.settings, station.start)
    qtbot.addWidget(dialog)
    mics = [dialog.microphone.itemText(i) for i in range(dialog.microphone.count())]
    assert "USB headset (mic:0)" in mics and "HDMI (mic:1)" not in mics
    speakers = [dialog.speaker.itemData(i) for i in range(dialog.speaker.count())]
    assert {"default", "0", "1", "none"} <= set(speakers)
    dialog.microphone.setCurrentIndex(dialog.microphone.findData("mic:0"))
    dialog.speaker.setCurrentIndex(dialog.speaker.findData("1"))
    dialog.accept()
    assert station.settings.microphone == "mic:0" and station.settings.speaker == "1"
    station.settings.microphone = "tone:440"  # back to what this machine can open
    station.settings.speaker = "none"

    # The first screen's File… button: the real Philips frame, through its mask.
    start = station.start
    qtbot.mouseClick(start.role_buttons["station"], Qt.LeftButton)
    picked = f"dicom:{grey_banner_frame}"
    monkeypatch.setattr(start_module, "pick_source_file", lambda parent: picked)
    frames = start.preview.frames
    qtbot.mouseClick(start.browse_button, Qt.LeftButton)
    assert start.source_spec() == picked
    qtbot.waitUntil(lambda: start.preview.frames > frames, timeout=10_000)
    assert start.join_button.isEnabled()
    choose(qtbot, start.source, start.source.findData("synthetic:640x480@30"))

    # In the call, "Switch source" previews the next source masked, then switches.
    st = join(qtbot, station, "station", invite("station"), "Clinic", signaling_url)
    qtbot.waitUntil(lambda: st.window.view.frame_size == (640, 480), timeout=20_000)
    seen = {}

    def drive() -> None:
        dialog = st.window.source_dialog
        if dialog is None:
            QTimer.singleShot(20, drive)
            return
        try:  # whatever happens, the dialog closes: a failure must not hang the test
            dialog.source.setEditText(picked)
            before = dialog.preview.frames
            seen["opened"] = dialog.preview_chosen()
            qtbot.waitUntil(
                lambda: dialog.preview.frames > before and dialog.view._array is not None,
                timeout=10_000,
            )
            shown = dialog.view._array
            seen["masked_top"] = int(shown[:30].max())
            seen["picture"] = float(shown[100:].mean())
            dialog.accept()
        finally:
            if dialog.isVisible():
                dialog.reject()

    QTimer.singleShot(20, drive)
    st.window.choose_source()
    assert seen.get("opened"), seen
    assert seen["masked_top"] == 0, "the name band is black in the preview"
    assert seen["picture"] > 5, "the scan itself shows"
    qtbot.waitUntil(lambda: st.call.pipeline.switches == 1, timeout=10_000)
    assert st.window.source_spec == picked
    st.window.close()  # ends the call (no question: the program closes it)
    qtbot.waitUntil(lambda: station.start.isVisible(), timeout=10_000)
    qtbot.waitUntil(lambda: start.preview.frames > 0, timeout=10_000)  # checks back on


def test_the_mask_editor_covers_what_is_dragged_and_remembers_it(
    qtbot, engine, tmp_path, grey_banner_frame
):
    """Issue 15, item 12: drag a box on the pre-call preview of the real Philips frame;
    that area is black at once (what the expert would get), and stays so next time."""
    from tests.support.ui import widget_point
    from ultrasound_consult.ui.devices import remembered_mask

    application("en")
    spec = f"dicom:{grey_banner_frame}"
    remember_mask = remembered_mask(spec)[0]
    app = make_app(qtbot, engine, tmp_path, "mask", source=spec)
    start = app.start
    qtbot.mouseClick(start.role_buttons["station"], Qt.LeftButton)
    view = start.preview_view
    qtbot.waitUntil(lambda: view._array is not None, timeout=10_000)
    box = (slice(int(0.3 * view._array.shape[0]), int(0.5 * view._array.shape[0])),
           slice(int(0.6 * view._array.shape[1]), int(0.9 * view._array.shape[1])))  # fmt: skip
    assert view._array[box].max() > 30, "the scan shows there before"
    frames = start.preview.frames
    qtbot.mousePress(view, Qt.LeftButton, pos=widget_point(view, 0.6, 0.3))
    qtbot.mouseMove(view, widget_point(view, 0.75, 0.4))
    qtbot.mouseRelease(view, Qt.LeftButton, pos=widget_point(view, 0.9, 0.5))
    qtbot.waitUntil(lambda: start.preview.frames > frames, timeout=10_000)
    qtbot.waitUntil(lambda: view._array[box].max() == 0, timeout=10_000)
    (rect,) = remembered_mask(spec)[0].rects
    assert rect[0] == pytest.approx(0.6, abs=0.01) and rect[3] == pytest.approx(0.5, abs=0.01)
    assert remembered_mask(spec)[0].top_band == remember_mask.top_band, "the band stays"
    # Uncover: the area shows again, and the store forgets it.
    frames = start.preview.frames
    qtbot.mouseClick(start.clear_mask_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: start.preview.frames > frames, timeout=10_000)
    qtbot.waitUntil(lambda: view._array[box].max() > 30, timeout=10_000)
    assert remembered_mask(spec)[0].rects == ()


def test_the_join_link_as_a_qr_code_for_a_phone(qtbot, engine, tmp_path, invite, signaling_url):
    """Issue 15, item 24: a QR code of the join link (OpenCV encodes it; no new package)."""
    import cv2

    from ultrasound_consult.protocol.invite import join_link

    application("en")
    app = make_app(qtbot, engine, tmp_path, "qr", role="expert")
    start = app.start
    assert start.qr_button.isHidden(), "no code, no QR"
    code = invite("expert")
    start.server.setText(signaling_url)
    start.code.setText(code)
    assert start.qr_button.isVisible()
    dialog = start.show_qr()
    qtbot.addWidget(dialog)
    decoded, _points, _ = cv2.QRCodeDetector().detectAndDecode(dialog.image)
    assert decoded == join_link(signaling_url, code)
    out = tmp_path / "qr.png"
    assert dialog.save_to(out)
    assert cv2.QRCodeDetector().detectAndDecode(cv2.imread(str(out)))[0] == decoded
    dialog.close()
