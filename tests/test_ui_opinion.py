"""The expert writes an opinion in a form, the station reads it and saves it as PDF;
the form and the page are looked at in both languages (test-artifacts/)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import QApplication

from tests.support.ui import join, make_app
from ultrasound_consult.protocol.opinion import Recommendation
from ultrasound_consult.ui.app import application
from ultrasound_consult.ui.i18n import install_translator, tr
from ultrasound_consult.ui.screen_fit import DEFAULT_FRAME, place

SIZES = ((1366, 768), (1920, 1080))
TASKBAR = 40


@pytest.mark.parametrize("lang", ("en", "zh_CN"))
def test_an_opinion_written_at_the_expert_is_read_and_saved_at_the_station(
    qtbot, engine, tmp_path, artifacts, signaling_url, invite, lang, monkeypatch
):
    monkeypatch.setenv("ULTRASOUND_CONSULT_OPINIONS", str(tmp_path / "clinic"))
    app = application(lang)
    install_translator(app, lang)
    station = make_app(qtbot, engine, tmp_path, "st", source="synthetic:1024x768@30")
    expert = make_app(qtbot, engine, tmp_path, "ex", role="expert")
    st = join(qtbot, station, "station", invite("station"), "Clinic 12", signaling_url)
    ex = join(qtbot, expert, "expert", invite("expert"), "Dr. Wang", signaling_url)
    qtbot.waitUntil(lambda: ex.window.view.frame_size == (1024, 768), timeout=20_000)

    qtbot.mouseClick(ex.window.write_opinion_button, Qt.LeftButton)
    form = ex.window.opinion_form
    assert form is not None and form.isVisible()
    # Nothing written: the form says what is missing and sends nothing.
    qtbot.mouseClick(form.send_button, Qt.LeftButton)
    assert form.isVisible() and form.problem.isVisible()
    assert form.problem.text() == tr("Write the findings or the impression.")
    form.exam.setText("腹部 RUQ" if lang == "zh_CN" else "Abdomen (RUQ)")
    form.findings.setPlainText(
        "胆囊壁增厚 4 mm，可见 12 mm 结石伴声影。"
        if lang == "zh_CN"
        else "Gallbladder wall 4 mm; a 12 mm stone with acoustic shadow."
    )
    form.impression.setPlainText(
        "急性结石性胆囊炎可能。" if lang == "zh_CN" else "Acute cholecystitis likely."
    )
    form.recommendation.setCurrentIndex(form.recommendation.findData(Recommendation.REFER))
    form.recommendation_text.setText("County hospital surgery, this week")
    form.local_ref.setText("P-0412")
    form.resize(620, 640)
    QApplication.processEvents()
    form.grab().save(str(artifacts / f"screen_opinion_form_{lang}.png"))
    qtbot.mouseClick(form.send_button, Qt.LeftButton)
    assert not form.isVisible()

    qtbot.waitUntil(lambda: st.window.opinion_button.isVisible(), timeout=10_000)
    assert "Dr. Wang" in st.window.notice.text()
    view = st.window.conversation.open_opinion()
    assert view is not None and view.entry.verified
    text = view.page.toPlainText()
    assert "P-0412" in text and tr("Signature verified") in text
    pdf = view.save_pdf(tmp_path / "opinion.pdf")
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 2000
    view.grab().save(str(artifacts / f"screen_opinion_view_{lang}.png"))
    # Kept at the clinic.
    assert list((tmp_path / "clinic").glob("*/*-v1.json"))
    # The expert amends: the form opens with the last version and asks why.
    qtbot.waitUntil(
        lambda: (
            bool(ex.window.conversation.opinion_entries)
            and ex.window.conversation.opinion_entries[-1].delivered is True
        ),
        timeout=10_000,
    )
    amend = ex.window.write_opinion()
    assert amend.previous is not None and amend.findings.toPlainText()
    qtbot.mouseClick(amend.send_button, Qt.LeftButton)
    assert amend.problem.text() == tr("Say why you amend it: the station keeps both versions.")
    amend.reason.setText("stone 15 mm on review")
    qtbot.mouseClick(amend.send_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: len(st.window.conversation.opinion_entries) == 2, timeout=10_000)
    assert st.window.conversation.opinion_entries[-1].opinion.version == 2

    for w, h in SIZES:
        for name, window in (("station", st.window), ("expert", ex.window)):
            place(window, available=QRect(0, 0, w, h - TASKBAR), frame=DEFAULT_FRAME)
            QApplication.processEvents()
            window.grab().save(str(artifacts / f"screen_opinion_{name}_{lang}_{w}x{h}.png"))
            for button in (window.opinion_button, window.chat_button):
                if button.isVisible():
                    corner = button.mapTo(window, button.rect().bottomRight())
                    assert 0 < corner.x() <= window.width()
    view.close()
    st.window.close()
    ex.window.close()
