"""Every visible string has a Simplified Chinese translation, and the shipped .qm is current."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QTranslator

from tests.support.ui import make_app
from ultrasound_consult.session.call import CallConfig
from ultrasound_consult.session.engine_thread import EngineThread
from ultrasound_consult.ui import i18n
from ultrasound_consult.ui.app import application, open_call

UI = Path(i18n.__file__).parent
TS = i18n.I18N_DIR / "ultrasound_consult_zh_CN.ts"
QM = i18n.I18N_DIR / "ultrasound_consult_zh_CN.qm"
TOOLS = Path(sys.executable).parent


def messages(ts: Path) -> dict[tuple[str, str], str]:
    out = {}
    for context in ET.parse(ts).getroot().iter("context"):
        name = context.findtext("name") or ""
        for msg in context.iter("message"):
            tr = msg.find("translation")
            finished = tr is not None and tr.get("type") not in (
                "unfinished",
                "obsolete",
                "vanished",
            )
            out[(name, msg.findtext("source"))] = (tr.text or "") if finished else ""
    return out


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> dict[tuple[str, str], str]:
    fresh = tmp_path_factory.mktemp("i18n") / "fresh.ts"
    sources = sorted(str(p) for p in UI.glob("*.py"))
    subprocess.run(
        [str(TOOLS / "pyside6-lupdate"), *sources, "-ts", str(fresh)],
        check=True,
        capture_output=True,
    )
    found = messages(fresh)
    assert len(found) > 20, "lupdate found the UI strings"
    return found


def test_every_visible_string_is_translated(extracted):
    shipped = messages(TS)
    untranslated = [
        src for key, src in ((k, k[1]) for k in extracted) if not shipped.get(key, "").strip()
    ]
    assert untranslated == [], (
        "strings without a Chinese translation; run pyside6-lupdate, translate, pyside6-lrelease "
        "(see ultrasound_consult/ui/i18n.py)"
    )


def test_shipped_qm_matches_the_ts(extracted, qapp):
    translator = QTranslator()
    assert translator.load(str(QM))
    shipped = messages(TS)
    for context, source in extracted:
        assert translator.translate(context, source) == shipped[(context, source)], source


def test_placeholders_survive_translation():
    for (_, source), translation in messages(TS).items():
        for name in (
            "{w}",
            "{h}",
            "{room}",
            "{name}",
            "{reason}",
            "{ms:.0f}",
            "{fps:.0f}",
            "{pct:.1f}",
            "{mbps:.1f}",
        ):
            assert (name in source) == (name in translation), (source, translation)


def test_windows_speak_chinese(qtbot, signaling_url, room, invite, artifacts):
    application("zh_CN")
    engine = EngineThread().start()
    try:
        expert = open_call(
            engine, CallConfig.from_invite(signaling_url, invite("expert"), "王医生")
        )
        qtbot.addWidget(expert.window)
        expert.window.show()
        qtbot.waitUntil(lambda: expert.window.state == "waiting", timeout=10_000)
        assert expert.window.windowTitle() == "专家端 — 超声远程会诊"
        assert expert.window.clear_button.text() == "清除我的标记"
        assert expert.window.state_label.text() == f"等待扫查端加入房间 {room}"
        expert.window.grab().save(str(artifacts / "expert-window-zh_CN.png"))
        expert.window.end_call()
    finally:
        engine.stop()
        i18n.install_translator(QCoreApplication.instance(), "en")


def test_language_choice():
    assert i18n.resolve_language("en") == "en"
    assert i18n.resolve_language("zh_CN") == "zh_CN"
    assert i18n.resolve_language(None) in i18n.LANGUAGES
    with pytest.raises(ValueError):
        i18n.resolve_language("fr")


def test_chinese_from_the_command_line_reaches_qt_dialogs_and_the_selector(
    qtbot,
    engine,
    tmp_path,
):
    """Issue 15, item 23: ``ultrasound-consult --lang zh_CN`` works as the README says;
    Qt's own buttons are Chinese too; the selector shows the language in use."""
    from PySide6.QtWidgets import QDialogButtonBox

    from ultrasound_consult.cli import parse_args

    assert parse_args(["--lang", "zh_CN"]).lang == "zh_CN"
    assert parse_args(["--lang", "zh_CN", "gui"]).lang == "zh_CN"
    assert parse_args(["--lang", "zh_CN", "gui", "--lang", "en"]).lang == "en"
    app = application("zh_CN")
    try:
        assert i18n.current_language() == "zh_CN"
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        qtbot.addWidget(buttons)
        texts = "".join(b.text() for b in buttons.buttons())
        assert "取消" in texts, texts
        consult = make_app(qtbot, engine, tmp_path, "zh")  # its setting says "auto"
        assert consult.settings.language == "auto"
        assert consult.start.language.currentData() == "zh_CN"
    finally:
        i18n.install_translator(app, "en")
