"""Text messages in the call windows: typed and sent with Enter, a badge and a notice
where the panel is closed, confirmed on the sender's side; looked at in both languages
at 1366x768 and 1920x1080 (test-artifacts/screen_chat_*)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import QApplication

from tests.support.ui import join, make_app
from ultrasound_consult.protocol.guidance import Action, Direction
from ultrasound_consult.ui.app import application
from ultrasound_consult.ui.i18n import install_translator, tr
from ultrasound_consult.ui.screen_fit import DEFAULT_FRAME, place

SIZES = ((1366, 768), (1920, 1080))
TASKBAR = 40


def type_in(qtbot, entry, text: str) -> None:
    """Latin text key by key; Chinese as an input method commits it (QTest cannot
    type characters outside Latin-1)."""
    if text.isascii():
        qtbot.keyClicks(entry, text)
    else:
        entry.insert(text)


@pytest.mark.parametrize("lang", ("en", "zh_CN"))
def test_a_message_typed_at_the_expert_reaches_the_station(
    qtbot, engine, tmp_path, artifacts, signaling_url, invite, lang
):
    app = application(lang)
    install_translator(app, lang)
    station = make_app(qtbot, engine, tmp_path, "st", source="synthetic:1024x768@30")
    expert = make_app(qtbot, engine, tmp_path, "ex", role="expert")
    st = join(qtbot, station, "station", invite("station"), "Clinic 12", signaling_url)
    ex = join(qtbot, expert, "expert", invite("expert"), "Dr. Wang", signaling_url)
    qtbot.waitUntil(lambda: ex.window.view.frame_size == (1024, 768), timeout=20_000)

    qtbot.mouseClick(ex.window.chat_button, Qt.LeftButton)
    assert ex.window.chat_panel.isVisible()
    text = "请把探头向头侧滑动 2 cm" if lang == "zh_CN" else "Slide 2 cm toward the head, please"
    type_in(qtbot, ex.window.chat_panel.entry, text)
    qtbot.keyClick(ex.window.chat_panel.entry, Qt.Key_Return)
    assert ex.window.chat_panel.entry.text() == ""
    # The station has the panel closed: a badge with the count, and the text as a notice.
    qtbot.waitUntil(lambda: st.window.conversation.unread == 1, timeout=10_000)
    assert st.window.chat_button.text() == tr("Messages ({n})").format(n=1)
    assert text in st.window.notice.text()
    # Confirmed at the expert (no "sending…").
    qtbot.waitUntil(
        lambda: ex.window.chat_panel.lines and not ex.window.chat_panel.lines[-1].pending,
        timeout=10_000,
    )
    assert tr("sending…") not in ex.window.chat_panel.log.toPlainText()
    # The station answers from its own panel, while a cue is on its screen: the spaces
    # and backspaces typed are the message's, not "done" and "can't".
    ex.bridge.call(ex.call.collab.send_cue, Action.SLIDE, Direction.HEAD)
    qtbot.waitUntil(lambda: st.window.active_cue is not None, timeout=10_000)
    qtbot.mouseClick(st.window.chat_button, Qt.LeftButton)
    assert st.window.conversation.unread == 0 and st.window.chat_button.text() == tr("Messages")
    reply = "好的" if lang == "zh_CN" else "OK, sliding now"
    sent = reply + " "  # the trailing "x" was typed and taken back
    type_in(qtbot, st.window.chat_panel.entry, reply + " x")
    qtbot.keyClick(st.window.chat_panel.entry, Qt.Key_Backspace)
    qtbot.mouseClick(st.window.chat_panel.send_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: sent.strip() in ex.window.chat_panel.log.toPlainText(), timeout=10_000)
    assert text in st.window.chat_panel.log.toPlainText()
    assert st.window.active_cue is not None, "typing did not answer the cue"

    for w, h in SIZES:
        for name, window in (("station", st.window), ("expert", ex.window)):
            place(window, available=QRect(0, 0, w, h - TASKBAR), frame=DEFAULT_FRAME)
            QApplication.processEvents()
            window.grab().save(str(artifacts / f"screen_chat_{name}_{lang}_{w}x{h}.png"))
            panel = window.chat_panel
            corner = panel.send_button.mapTo(window, panel.send_button.rect().bottomRight())
            assert 0 < corner.x() <= window.width() and 0 < corner.y() <= window.height()
            # The image still dominates with the panel open.
            assert window.view.width() > 0.45 * window.width()
    st.window.close()
    ex.window.close()
