"""The expert's written opinion: a form to write (or amend) it, and the page the
station reads, prints and saves as PDF.

The form checks what it can before anything is sent (findings or an impression, a
reason for an amendment, details for "other"); the engine signs it with this
device's key and the station confirms it, or says why not.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from ultrasound_consult.protocol.errors import ProtocolError
from ultrasound_consult.protocol.opinion import (
    MAX_EXAM_CHARS,
    MAX_FINDINGS_CHARS,
    MAX_IMPRESSION_CHARS,
    MAX_NOTE_CHARS,
    MAX_REASON_CHARS,
    MAX_RECOMMENDATION_CHARS,
    MAX_REF_CHARS,
    Opinion,
    Recommendation,
    Urgency,
)
from ultrasound_consult.record.opinions import StoredOpinion, opinion_html
from ultrasound_consult.session.observer import OpinionEntry
from ultrasound_consult.session.signing import fingerprint
from ultrasound_consult.ui.i18n import tr
from ultrasound_consult.ui.report_pdf import html_to_pdf


def recommendation_names() -> dict[Recommendation, str]:
    return {
        Recommendation.NO_ACTION: tr("No further action"),
        Recommendation.FOLLOW_UP: tr("Follow-up scan"),
        Recommendation.REPEAT_NOW: tr("Repeat the scan now"),
        Recommendation.REFER: tr("Refer"),
        Recommendation.REFER_URGENTLY: tr("Refer urgently (today)"),
        Recommendation.OTHER: tr("Other (say what)"),
    }


def urgency_names() -> dict[Urgency, str]:
    return {Urgency.ROUTINE: tr("Routine"), Urgency.SOON: tr("Soon"), Urgency.URGENT: tr("Urgent")}


def _text(limit: int, lines: int) -> QPlainTextEdit:
    box = QPlainTextEdit()
    box.setTabChangesFocus(True)
    box.setMinimumHeight(lines * 22)
    box.setProperty("limit", limit)
    return box


class OpinionForm(QDialog):
    """Write an opinion, or (``previous``) its next version."""

    def __init__(self, parent: QWidget | None = None, previous: Opinion | None = None) -> None:
        super().__init__(parent)
        self.previous = previous
        self.setWindowTitle(tr("Amend the opinion") if previous else tr("Write an opinion"))
        self.setMinimumWidth(560)
        col = QVBoxLayout(self)
        form = QFormLayout()
        self.exam = QLineEdit(maxLength=MAX_EXAM_CHARS)
        self.exam.setPlaceholderText(tr("e.g. abdomen, obstetric, thyroid"))
        self.local_ref = QLineEdit(maxLength=MAX_REF_CHARS)
        self.local_ref.setPlaceholderText(tr("The clinic's own reference; never a name"))
        self.findings = _text(MAX_FINDINGS_CHARS, 5)
        self.impression = _text(MAX_IMPRESSION_CHARS, 3)
        self.recommendation = QComboBox()
        for value, name in recommendation_names().items():
            self.recommendation.addItem(name, value)
        self.recommendation_text = QLineEdit(maxLength=MAX_RECOMMENDATION_CHARS)
        self.recommendation_text.setPlaceholderText(tr("Details: where, when, what to repeat"))
        self.urgency = QComboBox()
        for level, label in urgency_names().items():
            self.urgency.addItem(label, level)
        self.note = _text(MAX_NOTE_CHARS, 2)
        self.reason = QLineEdit(maxLength=MAX_REASON_CHARS)
        form.addRow(tr("Exam"), self.exam)
        form.addRow(tr("Clinic reference"), self.local_ref)
        form.addRow(tr("Findings"), self.findings)
        form.addRow(tr("Impression"), self.impression)
        form.addRow(tr("Recommendation"), self.recommendation)
        form.addRow("", self.recommendation_text)
        form.addRow(tr("Urgency"), self.urgency)
        form.addRow(tr("Note"), self.note)
        if previous is not None:
            form.addRow(tr("Why amend"), self.reason)
            self._fill(previous)
        col.addLayout(form)
        self.problem = QLabel(objectName="banner")  # type: ignore[call-overload]
        self.problem.setWordWrap(True)
        self.problem.hide()
        col.addWidget(self.problem)
        for box in (self.findings, self.impression):
            box.textChanged.connect(self.problem.hide)
        self.reason.textChanged.connect(self.problem.hide)
        buttons = QDialogButtonBox()
        self.send_button = buttons.addButton(
            tr("Sign and send"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        buttons.addButton(tr("Cancel"), QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self._check)
        buttons.rejected.connect(self.reject)
        col.addWidget(buttons)
        self.result_opinion: Opinion | None = None

    def _fill(self, o: Opinion) -> None:
        self.exam.setText(o.exam)
        self.local_ref.setText(o.local_ref)
        self.findings.setPlainText(o.findings)
        self.impression.setPlainText(o.impression)
        self.recommendation.setCurrentIndex(self.recommendation.findData(o.recommendation))
        self.recommendation_text.setText(o.recommendation_text)
        self.urgency.setCurrentIndex(self.urgency.findData(o.urgency))
        self.note.setPlainText(o.note)

    def _check(self) -> None:
        too_long = [
            name
            for name, box in (
                (tr("Findings"), self.findings),
                (tr("Impression"), self.impression),
                (tr("Note"), self.note),
            )
            if len(box.toPlainText()) > box.property("limit")
        ]
        if too_long:
            self._say(tr("Too long: {fields}").format(fields=", ".join(too_long)))
            return
        try:
            opinion = Opinion(**self.draft_fields())  # type: ignore[arg-type]
        except ProtocolError as exc:
            self._say(self._why(exc.reason))
            return
        self.result_opinion = opinion
        self.accept()

    def draft_fields(self) -> dict[str, object]:
        return {
            "id": self.previous.id if self.previous else "draft",
            "version": self.previous.version + 1 if self.previous else 1,
            "exam": self.exam.text().strip(),
            "findings": self.findings.toPlainText().strip(),
            "impression": self.impression.toPlainText().strip(),
            # Qt hands an enum stored as item data back as its plain string.
            "recommendation": Recommendation(self.recommendation.currentData()),
            "urgency": Urgency(self.urgency.currentData()),
            "author": "",
            "created_ms": 0,
            "recommendation_text": self.recommendation_text.text().strip(),
            "note": self.note.toPlainText().strip(),
            "local_ref": self.local_ref.text().strip(),
            "amends_reason": self.reason.text().strip(),
        }

    @staticmethod
    def _why(reason: str) -> str:
        if "findings or an impression" in reason:
            return tr("Write the findings or the impression.")
        if "amends_reason" in reason:
            return tr("Say why you amend it: the station keeps both versions.")
        if "recommendation_text" in reason:
            return tr("Say what you recommend in the details.")
        return reason

    def _say(self, text: str) -> None:
        self.problem.setText(text)
        self.problem.show()


class OpinionView(QDialog):
    """One version of an opinion as the station (or a trainer) reads it."""

    def __init__(self, entry: OpinionEntry, parent: QWidget | None = None, room: str = "") -> None:
        super().__init__(parent)
        self.entry = entry
        self.room = room
        o = entry.opinion
        self.setWindowTitle(tr("Opinion from {who}").format(who=entry.signer or o.author))
        self.resize(640, 620)
        col = QVBoxLayout(self)
        self.page = QTextBrowser()
        self.page.setHtml(self.html())
        col.addWidget(self.page, 1)
        buttons = QDialogButtonBox()
        self.pdf_button = QPushButton(tr("Save as PDF…"))
        self.pdf_button.clicked.connect(self._save_pdf)
        buttons.addButton(self.pdf_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(tr("Close"), QDialogButtonBox.ButtonRole.RejectRole)
        buttons.rejected.connect(self.reject)
        col.addWidget(buttons)
        self.saved: Path | None = None

    def html(self) -> str:
        o = self.entry.opinion
        stored = StoredOpinion(
            o, Path(self.entry.path or "."), self.entry.signer, self.entry.verified
        )
        labels = {
            "Exam": tr("Exam"),
            "Clinic reference": tr("Clinic reference"),
            "Consult": tr("Consult"),
            "Urgency": tr("Urgency"),
            "Findings": tr("Findings"),
            "Impression": tr("Impression"),
            "Recommendation": tr("Recommendation"),
            "Note": tr("Note"),
        }
        return opinion_html(
            stored,
            room=self.room,
            key_print=fingerprint(o.key),
            labels=labels,
            recommendation=recommendation_names()[o.recommendation],
            urgency=urgency_names()[o.urgency],
            verdict=tr("Signature verified")
            if self.entry.verified
            else tr("The signature does not match: do not rely on this copy"),
            title=tr("Ultrasound opinion"),
            version=tr("Version {n}").format(n=o.version),
        )

    def save_pdf(self, path: Path) -> Path:
        self.saved = html_to_pdf(self.html(), path, title=self.windowTitle())
        return self.saved

    def _save_pdf(self) -> None:
        o = self.entry.opinion
        default = str(Path.home() / f"opinion-{o.id}-v{o.version}.pdf")
        name, _ = QFileDialog.getSaveFileName(self, tr("Save as PDF…"), default, "PDF (*.pdf)")
        if name:
            self.save_pdf(Path(name))
