"""The consult service's windows against a real server: enroll this device, the
directory, "Call an expert", the ringing dialog, a request and the expert's queue.
Screenshots in both languages at 1366x768 and 1920x1080 go to test-artifacts/."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from signaling_server.enrollment import DeviceKind
from tests.support.consult import ConsultServer
from ultrasound_consult.protocol.consult import CallFailed, CallFailure, CallReady, Duty, Status
from ultrasound_consult.session.presence import DeviceCredential
from ultrasound_consult.ui.app import application
from ultrasound_consult.ui.consult_bridge import PresenceBridge
from ultrasound_consult.ui.consult_dialogs import EnrollDialog
from ultrasound_consult.ui.consult_window import ConsultWindow, failure_text
from ultrasound_consult.ui.i18n import install_translator

SIZES = ((1366, 768), (1920, 1080))


@pytest.fixture
def server(tmp_path) -> Iterator[ConsultServer]:
    s = ConsultServer(ring_timeout="45s", log_file=tmp_path / "s.log").start()
    yield s
    s.stop()


def window_for(qtbot, engine, credential) -> ConsultWindow:
    window = ConsultWindow(PresenceBridge(engine, credential))
    qtbot.addWidget(window)
    window.bridge.start()
    window.resize(*SIZES[0])
    window.show()
    qtbot.waitUntil(lambda: bool(window.directory), timeout=10_000)
    return window


def shoot(widget, artifacts, name: str, lang: str, sizes=SIZES) -> None:
    for w, h in sizes:
        widget.resize(w, h)
        QApplication.processEvents()
        widget.grab().save(str(artifacts / f"consult_{name}_{lang}_{w}x{h}.png"))
    widget.resize(*sizes[0])


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_directory_call_ring_request_and_queue(
    qtbot, engine, server, artifacts, lang, tmp_path, monkeypatch
):
    import asyncio

    monkeypatch.setenv("ULTRASOUND_CONSULT_OPINIONS", str(tmp_path / "clinic"))
    app = application(lang)
    install_translator(app, lang)
    run = asyncio.new_event_loop().run_until_complete
    spec = "msk"
    station_cred = run(server.device(DeviceKind.STATION, "Puzi clinic", site="puzi"))
    expert_cred = run(server.device(DeviceKind.EXPERT, "Dr. Wang", specialty=f"{spec},cardiac"))
    run(server.device(DeviceKind.EXPERT, "Dr. Li", specialty="obs"))
    expert = window_for(qtbot, engine, expert_cred)
    station = window_for(qtbot, engine, station_cred)
    try:
        # The expert goes on duty; the station's directory shows it.
        expert.duty.setCurrentIndex(expert.duty.findData("on"))
        expert.duty.activated.emit(expert.duty.currentIndex())

        def on_duty() -> bool:
            entry = station.directory.get(expert_cred.device_id)
            return entry is not None and entry.status is Status.ON_DUTY

        qtbot.waitUntil(on_duty, timeout=10_000)
        shoot(station, artifacts, "directory_station", lang)
        # "Call an expert": the expert's app rings.
        station.specialty.setCurrentIndex(station.specialty.findData(spec))
        qtbot.mouseClick(station.call_button, Qt.LeftButton)
        qtbot.waitUntil(lambda: bool(expert.ringing), timeout=10_000)
        dialog = next(iter(expert.ringing.values()))
        assert dialog.isVisible() and "Puzi clinic" in dialog.findChild(type(expert.me)).text()
        dialog.adjustSize()
        dialog.grab().save(str(artifacts / f"consult_ringing_{lang}.png"))
        readies: list[CallReady] = []
        station.call_ready.connect(readies.append)
        expert.call_ready.connect(readies.append)
        qtbot.mouseClick(dialog.accept_button, Qt.LeftButton)
        qtbot.waitUntil(lambda: len(readies) == 2, timeout=10_000)
        assert {r.role.value for r in readies} == {"station", "expert"}
        assert len({r.room for r in readies}) == 1
        station.call_ended()
        expert.call_ended()
        # After hanging up, the expert writes the opinion; the server keeps it for the
        # station, which keeps it at the clinic and opens it.
        assert expert.opinions.write_button.isEnabled()
        assert not station.opinions.received_button.isEnabled()
        written = expert.opinions.write()
        written.findings.setPlainText("Gallbladder wall 4 mm; a 12 mm stone.")
        written.impression.setPlainText("Acute cholecystitis likely.")
        qtbot.mouseClick(written.send_button, Qt.LeftButton)
        qtbot.waitUntil(lambda: station.opinions.received_button.isEnabled(), timeout=10_000)
        assert "Dr. Wang" in station.status.text()
        view = station.opinions.open_latest()
        assert view is not None and view.entry.verified and view.entry.signer == "Dr. Wang"
        view.grab().save(str(artifacts / f"consult_opinion_after_call_{lang}.png"))
        view.close()
        # A request: the form refuses a name as the reference.
        form = station.leave_request()
        form.exam.setText("Knee")
        form.question.setPlainText("Effusion after a fall?")
        form.reference.setText("Wang Li")
        qtbot.mouseClick(form.send_button, Qt.LeftButton)
        assert form.isVisible() and form.message.isVisible() and form.message.text()
        form.adjustSize()
        form.grab().save(str(artifacts / f"consult_request_form_{lang}.png"))
        form.reference.setText("PZ-2026-0142")
        qtbot.mouseClick(form.send_button, Qt.LeftButton)
        qtbot.waitUntil(lambda: len(expert.requests) == 1, timeout=10_000)
        qtbot.waitUntil(lambda: expert.queue.rowCount() == 1, timeout=10_000)
        request = next(iter(expert.requests.values()))
        assert request.reference == ""  # the clinic's reference stays at the clinic
        shoot(expert, artifacts, "queue_expert", lang)
        # Take and call back: the station rings.
        expert.queue.selectRow(0)
        qtbot.mouseClick(expert.take_button, Qt.LeftButton)
        qtbot.waitUntil(lambda: bool(station.ringing), timeout=10_000)
        qtbot.waitUntil(
            lambda: next(iter(station.requests.values())).status == "taken", timeout=10_000
        )
        ring = next(iter(station.ringing.values()))
        assert ring.ring.request is not None and ring.ring.request.exam == "Knee"
        qtbot.mouseClick(ring.decline_button, Qt.LeftButton)
        declined = failure_text(CallFailed("x", CallFailure.DECLINED, ""))
        qtbot.waitUntil(lambda: expert.status.text() == declined, timeout=10_000)
        shoot(station, artifacts, "requests_station", lang)
    finally:
        for w in (expert, station):
            w.bridge.stop()


def test_enroll_dialog_redeems_and_stores_the_credential(
    qtbot, engine, server, tmp_path, monkeypatch
):
    monkeypatch.setenv("ULTRASOUND_CONSULT_CONFIG", str(tmp_path / "cfg"))
    application("en")
    dialog = EnrollDialog(engine, server.url)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.code.setText("AAAA-BBBB-CCCC")
    qtbot.mouseClick(dialog.enroll_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: "Not enrolled" in dialog.message.text(), timeout=10_000)
    dialog.code.setText(server.enroll_code(DeviceKind.STATION, "Dialog clinic"))
    with qtbot.waitSignal(dialog.enrolled, timeout=10_000):
        qtbot.mouseClick(dialog.enroll_button, Qt.LeftButton)
    saved = DeviceCredential.load(tmp_path / "cfg" / "device.json")
    assert saved.name == "Dialog clinic"
    assert (tmp_path / "cfg" / "device.json").stat().st_mode & 0o077 == 0


def test_the_app_calls_an_expert_and_opens_the_call(qtbot, engine, server, tmp_path, monkeypatch):
    """The whole app of an enrolled station: first screen -> directory -> Call an expert
    -> the expert accepts -> the ordinary call window opens with the server's invite;
    ending it logs the session."""
    import asyncio
    import json

    from tests.support.ui import make_app

    monkeypatch.setenv("ULTRASOUND_CONSULT_CONFIG", str(tmp_path / "cfg"))
    application("en")
    run = asyncio.new_event_loop().run_until_complete
    station_cred = run(server.device(DeviceKind.STATION, "App clinic", site="app"))
    station_cred.save()  # where the app looks: it signs in in the background at start
    expert_cred = run(server.device(DeviceKind.EXPERT, "Dr. App", specialty="msk"))
    expert = window_for(qtbot, engine, expert_cred)
    try:
        expert.bridge.ask("duty", lambda: expert.bridge.client.set_duty(Duty.ON))
        app = make_app(qtbot, engine, tmp_path, "consult-app", source="synthetic:320x240@15")
        assert app.start.consult_button.text() == "Experts and requests"
        qtbot.mouseClick(app.start.consult_button, Qt.LeftButton)
        consult = app.consult
        assert consult is not None and consult.isVisible()
        qtbot.waitUntil(
            lambda: (
                consult.specialty.findData("msk") >= 0
                and consult.directory[expert_cred.device_id].status is Status.ON_DUTY
            ),
            timeout=10_000,
        )
        consult.specialty.setCurrentIndex(consult.specialty.findData("msk"))
        qtbot.mouseClick(consult.call_button, Qt.LeftButton)
        qtbot.waitUntil(lambda: bool(expert.ringing), timeout=10_000)
        qtbot.mouseClick(next(iter(expert.ringing.values())).accept_button, Qt.LeftButton)
        qtbot.waitUntil(lambda: app.current is not None, timeout=10_000)
        assert app.current.call.config.room.startswith("call-")
        qtbot.waitUntil(lambda: app.current.window.state == "waiting", timeout=20_000)
        app.current.window.end_call()
        qtbot.waitUntil(lambda: app.current is None, timeout=10_000)

        def logged() -> bool:
            rows = json.loads(server.cli("log", "--json").stdout)
            return [r["outcome"] for r in rows] == ["completed"]

        qtbot.waitUntil(logged, timeout=10_000)
    finally:
        expert.bridge.stop()


def test_duty_hours_and_a_trainer_inviting_a_trainee(qtbot, engine, server, artifacts):
    import asyncio

    from ultrasound_consult.protocol.consult import DutyHours

    application("en")
    run = asyncio.new_event_loop().run_until_complete
    trainer_cred = run(server.device(DeviceKind.TRAINER, "Dr. Teach", specialty="obs"))
    station_cred = run(server.device(DeviceKind.STATION, "Teach clinic"))
    trainee_cred = run(server.device(DeviceKind.TRAINEE, "Student Zhao"))
    trainer = window_for(qtbot, engine, trainer_cred)
    station = window_for(qtbot, engine, station_cred)
    trainee = window_for(qtbot, engine, trainee_cred)
    try:
        # Weekly hours covering the whole week: on duty now.
        dialog = trainer.edit_hours()
        for on, start, end in dialog.rows:
            on.setChecked(True)
            start.setTime(start.time().fromString("00:00", "HH:mm"))
            end.setTime(end.time().fromString("23:59", "HH:mm"))
        dialog.adjustSize()
        dialog.grab().save(str(artifacts / "consult_duty_hours_en.png"))
        dialog.accept()
        assert trainer.hours == [DutyHours(d, "00:00", "23:59") for d in range(7)]
        qtbot.waitUntil(
            lambda: station.directory[trainer_cred.device_id].status is Status.ON_DUTY,
            timeout=10_000,
        )
        # The station calls; the trainer answers and brings the trainee in.
        station.specialty.setCurrentIndex(station.specialty.findData("obs"))
        qtbot.mouseClick(station.call_button, Qt.LeftButton)
        qtbot.waitUntil(lambda: bool(trainer.ringing), timeout=10_000)
        qtbot.mouseClick(next(iter(trainer.ringing.values())).accept_button, Qt.LeftButton)
        qtbot.waitUntil(lambda: trainer.invite_button.isEnabled(), timeout=10_000)
        readies: list[CallReady] = []
        trainee.call_ready.connect(readies.append)
        row = next(
            r
            for r in range(trainer.table.rowCount())
            if trainer.table.item(r, 0).text() == "Student Zhao"
        )
        trainer.table.selectRow(row)
        qtbot.mouseClick(trainer.invite_button, Qt.LeftButton)
        qtbot.waitUntil(lambda: len(readies) == 1, timeout=10_000)
        assert readies[0].role.value == "observer"
        trainer.call_ended()
    finally:
        for w in (trainer, station, trainee):
            w.bridge.stop()
