"""The QC replay window, offscreen: frame-accurate overlays, seeking, loop, review form."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from tests.support.ui import choose, click_item, grab_array, widget_point
from ultrasound_consult.record.bundle import ULTRASOUND
from ultrasound_consult.record.review import load_reviews
from ultrasound_consult.record.session_bundle import SessionBundle
from ultrasound_consult.ui.app import application
from ultrasound_consult.ui.i18n import install_translator
from ultrasound_consult.ui.replay_window import ReplayWindow


def caliper_pixels(view) -> int:
    """Yellow pixels along the caliper's line (y = 0.4, x from 0.3 to 0.6)."""
    pixels = grab_array(view).astype(int)
    a, b = widget_point(view, 0.33, 0.4), widget_point(view, 0.57, 0.4)
    band = pixels[a.y() - 3 : a.y() + 4, a.x() : b.x()]
    yellow = (band[:, :, 0] > 200) & (band[:, :, 1] > 170) & (band[:, :, 2] < 90)
    return int(yellow.sum())


@pytest.fixture
def replay(qtbot, recorded_bundle, tmp_path):
    application("en")
    # A copy (under 1 MB): reviews saved here must not reach the other tests' bundle.
    folder = Path(shutil.copytree(recorded_bundle[0], tmp_path / "bundle"))
    facts = recorded_bundle[1]
    window = ReplayWindow(SessionBundle.open(folder))
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    qtbot.waitExposed(window)
    return window, facts


def test_the_caliper_appears_on_its_own_frame_and_not_before(qtbot, replay, artifacts):
    window, facts = replay
    reader = window.reader
    i = reader.index_at(facts["caliper_ts"])
    assert abs(reader.media_ts(i) - facts["caliper_ts"]) < 1e-4
    window.show_frame(i - 1)
    assert caliper_pixels(window.view) == 0
    window.show_frame(i)
    assert caliper_pixels(window.view) > 40
    assert window.view.frame_size == (640, 480)
    # Later, the cue is on the station's screen in the replay too.
    cue_shown = next(
        e.t for e in window.bundle.events if e.type == "cue.state" and e.data["status"] == "shown"
    )
    window.seek_seconds(cue_shown - window.origin + 0.05)
    assert window.view.cue is not None and window.view.cue.cue.action.value == "rotate"
    window.grab().save(str(artifacts / "replay-window-en.png"))


def test_step_seek_speed_and_ab_loop(qtbot, replay):
    window, _ = replay
    window.show_frame(10)
    window.step(1)
    assert window.index == 11
    window.step(-1)
    window.step(-1)
    assert window.index == 9
    # Clicking an event in the list jumps to its moment.
    item = next(
        window.events.item(i)
        for i in range(window.events.count())
        if "Marker" in window.events.item(i).text()
    )
    window.side.setCurrentWidget(window.events)
    click_item(qtbot, window.events, item)
    assert abs(window.position_s - item.data(Qt.UserRole)) < 0.05
    # A/B loop: playing past B comes back to A.
    window.show_frame(5)
    qtbot.mouseClick(window.loop_button, Qt.LeftButton)
    window.show_frame(20)
    qtbot.mouseClick(window.loop_button, Qt.LeftButton)
    assert window.loop == pytest.approx((window.reader.media_ts(5) - window.origin,
                                         window.reader.media_ts(20) - window.origin))  # fmt: skip
    window.set_speed(2.0)
    window.play()
    qtbot.waitUntil(lambda: window.index >= 18, timeout=5000)
    qtbot.waitUntil(lambda: window.index <= 8, timeout=5000)  # back at A
    window.pause()
    assert max(window.seek_ms) < 1000


def test_the_form_shows_the_scale_in_words_and_every_fast_view(qtbot, replay, artifacts):
    """Issue 15, items 16 and 17: ACEP choices carry the scale's words; the four FAST
    views (and eFAST's six) are all in sight without scrolling, at 1366x768."""
    window, _ = replay
    form = window.form
    window.side.setCurrentWidget(window.form_scroll)
    QApplication.processEvents()
    assert window.height() == 768, "the form scrolls; it does not push the window off-screen"
    assert form.overall.itemText(form.overall.findData(3)) == "3 — Diagnostic, some flaws"
    assert "technical flaws" in form.overall.itemData(form.overall.findData(3), Qt.ToolTipRole)
    cell = form.views.cellWidget(0, 2)
    assert cell.itemText(cell.findData(5)) == "5 — Excellent"
    for preset in ("FAST", "eFAST"):
        choose(qtbot, form.preset, form.preset.findData(preset))
        QApplication.processEvents()
        viewport = form.views.viewport().rect()
        rows = form.views.rowCount()
        assert rows == {"FAST": 4, "eFAST": 6}[preset]
        for row in range(rows):
            rect = form.views.visualItemRect(form.views.item(row, 0))
            assert viewport.contains(rect), f"{preset}: view {row + 1} is scrolled out of sight"
        form_scroll_view = window.form_scroll.viewport().rect()
        table = form.views.geometry().translated(0, -window.form_scroll.verticalScrollBar().value())
        assert table.height() <= form_scroll_view.height(), "the whole table fits on screen"
    window.grab().save(str(artifacts / "replay-review-form-en.png"))


def test_export_says_where_it_saved_beside_the_button(qtbot, replay, tmp_path, monkeypatch):
    """Issue 15, item 18: the confirmation is in sight, not in a status bar."""
    window, _ = replay
    out = tmp_path / "frame-1.png"
    monkeypatch.setattr(window, "_ask", lambda title, suffix: out)
    window.show_frame(0)
    window.export_png_dialog()
    assert out.is_file()
    assert window.export_status.isVisible() and "frame-1.png" in window.export_status.text()
    corner = window.export_status.mapTo(window, window.export_status.rect().bottomRight())
    assert window.rect().contains(corner)


def test_the_review_report_as_pdf(qtbot, replay, tmp_path):
    """Issue 15, item 22: a PDF of the report, by Qt's own writer, key frames included."""
    window, _ = replay
    out = window.export_pdf(tmp_path / "report.pdf")
    data = out.read_bytes()
    assert data.startswith(b"%PDF-") and b"/Image" in data and len(data) > 20_000
    assert b"ultrasound-consult" in data  # the creator


def test_a_review_is_saved_with_a_pinned_comment(qtbot, replay, tmp_path):
    window, _ = replay
    form = window.form
    window.show_frame(30)
    form.reviewer.setText("Dr Chen")
    form.overall.setCurrentIndex(form.overall.findData(4))
    form.views.cellWidget(0, 1).setChecked(True)
    form.views.cellWidget(0, 2).setCurrentIndex(3)
    form.indication.setChecked(True)
    window.side.setCurrentWidget(window.form_scroll)
    form.comment_text.setText("Probe pressure too light here")
    qtbot.keyClick(form.comment_text, Qt.Key_Return)
    assert form.save(), form.status.text()
    reviews, _ = load_reviews(window.bundle.folder)
    mine = [r for r in reviews if r.reviewer == "Dr Chen"]
    assert len(mine) == 1
    review = mine[0]
    assert review.overall_quality == 4 and review.views[0].obtained and review.views[0].quality == 3
    assert review.comments[0].text == "Probe pressure too light here"
    assert review.comments[0].at_s == pytest.approx(window.position_s, abs=1e-3)
    assert review.views[0].name == "RUQ (hepatorenal)", "the file keeps the English name"
    # A name is required: nothing is saved without one.
    assert form.existing.currentIndex() != 0, "the saved review is on show"
    choose(qtbot, form.existing, 0)  # "New review"
    form.reviewer.setText("")
    assert not form.save() and "name" in form.status.text()


def test_replay_in_chinese(qtbot, recorded_bundle, artifacts):
    app = application("zh_CN")
    try:
        window = ReplayWindow(SessionBundle.open(recorded_bundle[0]))
        qtbot.addWidget(window)
        window.resize(1366, 768)
        window.show()
        qtbot.waitExposed(window)
        assert window.play_button.text() == "播放"
        # The FAST views and the ACEP scale in Chinese too (item 23).
        names = [window.form.views.item(r, 0).text() for r in range(window.form.views.rowCount())]
        assert all(any("\u4e00" <= ch <= "\u9fff" for ch in n) for n in names), names
        overall = window.form.overall
        assert any("\u4e00" <= ch <= "\u9fff" for ch in overall.itemText(overall.findData(4)))
        window.grab().save(str(artifacts / "replay-window-zh_CN.png"))
    finally:
        install_translator(app, "en")


def test_a_damaged_recording_opens_and_says_what_is_missing(qtbot, recorded_bundle, tmp_path):
    import shutil

    application("en")
    copy = tmp_path / "damaged"
    shutil.copytree(recorded_bundle[0], copy)
    video = copy / "video-ultrasound.mp4"
    video.write_bytes(video.read_bytes()[: video.stat().st_size // 2])
    window = ReplayWindow(SessionBundle.open(copy))
    qtbot.addWidget(window)
    window.show()
    assert window.problems.isVisible() and "could not be read" in window.problems.text()
    window.show_frame(len(window.reader) - 1)
    assert window.view.frame_size == (640, 480)
    assert len(window.reader) < len(SessionBundle.open(recorded_bundle[0]).reader(ULTRASOUND))


def test_recordings_are_listed_newest_first_and_open_on_double_click(
    qtbot, recorded_bundle, tmp_path, monkeypatch
):
    """Issue 15, item 21: date, room, people, length, reviewed; newest first."""
    import json
    import shutil

    from ultrasound_consult.record.catalog import list_recordings
    from ultrasound_consult.record.review import Review, save_review
    from ultrasound_consult.session.engine_thread import EngineThread
    from ultrasound_consult.ui.settings import AppSettings
    from ultrasound_consult.ui.start_window import StartWindow

    application("en")
    root = tmp_path / "recordings"
    root.mkdir()
    older, newer = root / "older", root / "newer"
    for folder, shift in ((older, -3600.0), (newer, 0.0)):
        shutil.copytree(recorded_bundle[0], folder)
        info = json.loads((folder / "session.json").read_text())
        info["started_wall"] += shift
        if info.get("ended_wall"):
            info["ended_wall"] += shift
        (folder / "session.json").write_text(json.dumps(info))
    shutil.rmtree(older / "reviews", ignore_errors=True)
    shutil.rmtree(newer / "reviews", ignore_errors=True)
    save_review(older, Review.new("Dr Chen"))
    (root / "not-a-recording").mkdir()
    entries = list_recordings(root)
    assert [e.folder.name for e in entries] == ["newer", "older"]
    assert [e.reviewed for e in entries] == [False, True]
    assert entries[0].length_s is not None and entries[0].length_s > 0
    assert any("(station)" in p for p in entries[0].people)

    monkeypatch.setenv("ULTRASOUND_CONSULT_RECORDINGS", str(root))
    engine = EngineThread().start()
    try:
        start = StartWindow(AppSettings(tmp_path / "s.ini"), engine)
        qtbot.addWidget(start)
        start.role_buttons["review"].setChecked(True)
        tree = start.recordings
        assert tree.topLevelItemCount() == 2 and start.recordings.isVisibleTo(start)
        first = tree.topLevelItem(0)
        assert first.text(3) == "no" and tree.topLevelItem(1).text(3) == "yes"
        assert "People:" in first.toolTip(0)
        opened = []
        start.recording_requested.connect(opened.append)
        tree.itemActivated.emit(first, 0)
        assert opened == [str(newer)]
    finally:
        engine.stop()
