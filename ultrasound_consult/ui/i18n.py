"""Translations: English source strings, Simplified Chinese shipped as a compiled .qm.

Every visible string goes through :func:`tr`. ``pyside6-lupdate`` files calls of a
plain ``tr("...")`` under the empty context, so :func:`tr` looks them up there;
tests/test_i18n.py extracts the strings afresh and fails if any lacks a translation.

Regenerate after changing strings::

    cd ultrasound_consult/ui
    pyside6-lupdate -locations none -no-obsolete *.py -ts i18n/ultrasound_consult_zh_CN.ts
    pyside6-lrelease i18n/ultrasound_consult_zh_CN.ts
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

logger = logging.getLogger(__name__)

I18N_DIR = Path(__file__).with_name("i18n")
LANGUAGES = {"en": "English", "zh_CN": "简体中文"}

_installed: list[QTranslator] = []
_current = "en"


def current_language() -> str:
    """The language the windows are in now (``en`` or ``zh_CN``)."""
    return _current


def tr(text: str) -> str:
    return QCoreApplication.translate("", text)


def resolve_language(requested: str | None) -> str:
    """``en`` or ``zh_CN``; ``None`` or ``auto`` follows the system locale."""
    if requested and requested != "auto":
        if requested not in LANGUAGES:
            raise ValueError(
                f"unknown language {requested!r}; choose one of {', '.join(LANGUAGES)}"
            )
        return requested
    return "zh_CN" if QLocale.system().name().startswith("zh") else "en"


def install_translator(app: QCoreApplication, requested: str | None = None) -> str:
    """Load the translation for ``requested`` (or the system language); returns the code used."""
    global _current
    for old in _installed:
        app.removeTranslator(old)
    _installed.clear()
    _current = "en"
    language = resolve_language(requested)
    if language == "en":
        return language
    translator = QTranslator(app)
    qm = I18N_DIR / f"ultrasound_consult_{language}.qm"
    if not translator.load(str(qm)):
        logger.warning("translation %s is missing; showing English", qm)
        return "en"
    app.installTranslator(translator)
    _installed.append(translator)
    # Qt's own words (OK, Cancel, Yes, No in dialogs, the file chooser) from Qt's
    # translations, shipped with PySide6.
    qt_words = QTranslator(app)
    qt_dir = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    if qt_words.load(f"qtbase_{language}", qt_dir):
        app.installTranslator(qt_words)
        _installed.append(qt_words)
    else:
        logger.info("Qt's own translation qtbase_%s is not in %s", language, qt_dir)
    _current = language
    return language
