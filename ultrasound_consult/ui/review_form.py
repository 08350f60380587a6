"""The QC reviewer's form beside the replay: ACEP scores per view and overall, checklist,
agreement, comments pinned to the moment on screen. Saves into the bundle's reviews/."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ultrasound_consult.record.review import (
    ACEP_SCALE,
    AGREEMENT,
    VIEW_PRESETS,
    Comment,
    Review,
    ReviewError,
    ViewScore,
    load_reviews,
    save_review,
)
from ultrasound_consult.ui.i18n import tr

logger = logging.getLogger(__name__)


def clock_text(seconds: float) -> str:
    m, s = divmod(max(0.0, seconds), 60)
    return f"{int(m):02d}:{s:04.1f}"


def acep_words(score: int) -> str:
    """The ACEP image-quality scale in the reviewer's language (record/review.py holds
    the English the report uses)."""
    return {
        1: tr("No recognisable structures; no objective data can be gathered"),
        2: tr("Minimally recognisable structures but insufficient for diagnosis"),
        3: tr(
            "Minimal criteria met for diagnosis; recognisable structures with some technical flaws"
        ),
        4: tr("Minimal criteria met; all structures imaged well and diagnosis easily supported"),
        5: tr(
            "Minimal criteria met; all structures imaged with excellent quality, diagnosis "
            "completely supported"
        ),
    }[score]


def acep_short(score: int) -> str:
    """The scale's words, short enough for a table cell."""
    return {
        1: tr("No recognisable structures"),
        2: tr("Minimally recognisable"),
        3: tr("Diagnostic, some flaws"),
        4: tr("All structures imaged well"),
        5: tr("Excellent"),
    }[score]


def add_acep_choices(box: QComboBox) -> None:
    """``1 — No recognisable structures`` ... with the scale's full words as tooltip."""
    for score in ACEP_SCALE:
        box.addItem(f"{score} — {acep_short(score)}", score)
        box.setItemData(box.count() - 1, acep_words(score), Qt.ItemDataRole.ToolTipRole)
    box.view().setMinimumWidth(box.view().sizeHintForColumn(0) + 24)


def view_name(name: str) -> str:
    """A standard view's name in the reviewer's language (the file keeps the English)."""
    return {
        "RUQ (hepatorenal)": tr("RUQ (hepatorenal)"),
        "LUQ (splenorenal)": tr("LUQ (splenorenal)"),
        "Pelvis (suprapubic)": tr("Pelvis (suprapubic)"),
        "Subxiphoid cardiac": tr("Subxiphoid cardiac"),
        "Right anterior chest (lung sliding)": tr("Right anterior chest (lung sliding)"),
        "Left anterior chest (lung sliding)": tr("Left anterior chest (lung sliding)"),
    }.get(name, name)


def agreement_name(value: str) -> str:
    return {
        "agree": tr("Agree"),
        "minor_disagreement": tr("Minor disagreement"),
        "major_disagreement": tr("Major disagreement"),
        "not_assessed": tr("Not assessed"),
    }[value]


def preset_name(value: str) -> str:
    return {"FAST": "FAST", "eFAST": "eFAST", "custom": tr("Free list")}[value]


class ReviewForm(QWidget):
    """``now_s()`` gives the moment on screen (seconds into the recording)."""

    #: A comment's moment was clicked: seek there (seconds into the recording).
    seek_requested = Signal(float)
    saved = Signal(str)

    def __init__(self, bundle_folder: Path, now_s: Callable[[], float], parent=None) -> None:
        super().__init__(parent)
        self.folder = Path(bundle_folder)
        self._now_s = now_s
        self.review: Review | None = None
        layout = QVBoxLayout(self)

        top = QHBoxLayout()
        self.existing = QComboBox()
        self.existing.activated.connect(self._pick)
        top.addWidget(QLabel(tr("Review:")))
        top.addWidget(self.existing, 1)
        layout.addLayout(top)

        form = QFormLayout()
        self.reviewer = QLineEdit()
        self.reviewer.setPlaceholderText(tr("Your name"))
        form.addRow(tr("Reviewer"), self.reviewer)
        self.preset = QComboBox()
        for key in VIEW_PRESETS:
            self.preset.addItem(preset_name(key), key)
        self.preset.activated.connect(self._preset_changed)
        form.addRow(tr("Protocol"), self.preset)
        self.overall = QComboBox()
        self.overall.addItem(tr("Not scored"), None)
        add_acep_choices(self.overall)
        self.overall.setToolTip("\n".join(f"{k}: {acep_words(k)}" for k in ACEP_SCALE))
        form.addRow(tr("Overall quality (ACEP 1-5)"), self.overall)
        layout.addLayout(form)

        self.views = QTableWidget(0, 3)
        self.views.setHorizontalHeaderLabels([tr("View"), tr("Obtained"), tr("Quality")])
        self.views.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.views.verticalHeader().setVisible(False)
        # Every eFAST view without scrolling (the table used to show two or three).
        self.views.setMinimumHeight(self.views_height(6))
        layout.addWidget(self.views, 3)
        add_view = QHBoxLayout()
        self.new_view = QLineEdit()
        self.new_view.setPlaceholderText(tr("Add a view (e.g. Gallbladder long axis)"))
        add_button = QPushButton(tr("Add view"))
        add_button.clicked.connect(self._add_view)
        add_view.addWidget(self.new_view, 1)
        add_view.addWidget(add_button)
        layout.addLayout(add_view)

        self.indication = QCheckBox(tr("Indication stated"))
        self.labelled = QCheckBox(tr("Images labelled"))
        self.conclusion = QCheckBox(tr("Conclusion written"))
        for box in (self.indication, self.labelled, self.conclusion):
            layout.addWidget(box)
        agreement = QHBoxLayout()
        agreement.addWidget(QLabel(tr("Agreement with the interpretation")))
        self.agreement = QComboBox()
        for key in AGREEMENT:
            self.agreement.addItem(agreement_name(key), key)
        agreement.addWidget(self.agreement, 1)
        layout.addLayout(agreement)

        layout.addWidget(QLabel(tr("Comments (double-click one to go to its moment)")))
        self.comments = QListWidget()
        self.comments.itemDoubleClicked.connect(self._comment_clicked)
        layout.addWidget(self.comments, 2)
        comment_row = QHBoxLayout()
        self.comment_text = QLineEdit()
        self.comment_text.setPlaceholderText(tr("A comment at the moment on screen"))
        self.comment_text.returnPressed.connect(self._add_comment)
        pin = QPushButton(tr("Pin comment"))
        pin.clicked.connect(self._add_comment)
        comment_row.addWidget(self.comment_text, 1)
        comment_row.addWidget(pin)
        layout.addLayout(comment_row)
        self.summary = QPlainTextEdit()
        self.summary.setPlaceholderText(tr("Summary and teaching points"))
        self.summary.setMaximumHeight(80)
        layout.addWidget(self.summary)
        bottom = QHBoxLayout()
        self.status = QLabel("")
        self.status.setWordWrap(True)
        save = QPushButton(tr("Save review"))
        save.clicked.connect(self.save)
        bottom.addWidget(self.status, 1)
        bottom.addWidget(save)
        layout.addLayout(bottom)
        self.reload()

    # --- loading ---------------------------------------------------------------------------

    def reload(self, select: str = "") -> None:
        reviews, problems = load_reviews(self.folder)
        self._reviews = reviews
        self.existing.clear()
        self.existing.addItem(tr("New review"), "")
        for r in reviews:
            self.existing.addItem(f"{r.reviewer} — {r.file}", r.file)
        if problems:
            self.status.setText("\n".join(problems))
        index = max(0, self.existing.findData(select)) if select else 0
        self.existing.setCurrentIndex(index)
        self._pick(index)

    def _pick(self, index: int) -> None:
        file = self.existing.itemData(index)
        review = next((r for r in self._reviews if r.file == file), None)
        self.show_review(review or Review.new(self.reviewer.text() or "", "FAST"))

    def show_review(self, review: Review) -> None:
        self.review = review
        self.reviewer.setText(review.reviewer)
        self.preset.setCurrentIndex(max(0, self.preset.findData(review.preset)))
        self.overall.setCurrentIndex(max(0, self.overall.findData(review.overall_quality)))
        self._fill_views(review.views)
        self.indication.setChecked(review.indication_stated)
        self.labelled.setChecked(review.images_labelled)
        self.conclusion.setChecked(review.conclusion_written)
        self.agreement.setCurrentIndex(max(0, self.agreement.findData(review.agreement)))
        self.comments.clear()
        for c in sorted(review.comments, key=lambda c: c.at_s):
            self._comment_item(c)
        self.summary.setPlainText(review.summary)

    def views_height(self, rows: int) -> int:
        """Pixels the table needs to show ``rows`` rows and its header."""
        row = max(self.views.verticalHeader().defaultSectionSize(), 30)
        return self.views.horizontalHeader().sizeHint().height() + rows * row + 4

    def _fill_views(self, views: list[ViewScore]) -> None:
        self.views.setRowCount(0)
        for v in views:
            self._view_row(v)

    def _view_row(self, v: ViewScore) -> None:
        row = self.views.rowCount()
        self.views.insertRow(row)
        name = QTableWidgetItem(view_name(v.name))
        name.setData(Qt.ItemDataRole.UserRole, v.name)  # the English the file and the report keep
        name.setFlags(name.flags() & ~Qt.ItemFlag.ItemIsEditable)
        self.views.setItem(row, 0, name)
        obtained = QCheckBox()
        obtained.setChecked(v.obtained)
        self.views.setCellWidget(row, 1, obtained)
        quality = QComboBox()
        quality.addItem("—", None)
        add_acep_choices(quality)
        quality.setCurrentIndex(max(0, quality.findData(v.quality)))
        self.views.setCellWidget(row, 2, quality)

    def _preset_changed(self) -> None:
        names = VIEW_PRESETS[self.preset.currentData()]
        self._fill_views([ViewScore(n) for n in names])

    def _add_view(self) -> None:
        name = self.new_view.text().strip()
        if name:
            self._view_row(ViewScore(name))
            self.new_view.clear()

    def _comment_item(self, c: Comment) -> None:
        item = QListWidgetItem(f"{clock_text(c.at_s)}  {c.text}")
        item.setData(Qt.ItemDataRole.UserRole, c.at_s)
        item.setData(Qt.ItemDataRole.UserRole + 1, c.text)
        self.comments.addItem(item)

    def _add_comment(self) -> None:
        text = self.comment_text.text().strip()
        if not text:
            return
        self._comment_item(Comment(round(self._now_s(), 3), text))
        self.comment_text.clear()

    def _comment_clicked(self, item: QListWidgetItem) -> None:
        self.seek_requested.emit(float(item.data(Qt.ItemDataRole.UserRole)))

    # --- saving ------------------------------------------------------------------------

    def collect(self) -> Review:
        base = self.review or Review.new("")
        views = []
        for row in range(self.views.rowCount()):
            name, obtained = self.views.item(row, 0), self.views.cellWidget(row, 1)
            quality = self.views.cellWidget(row, 2)
            # What _add_view put in the row.
            assert name is not None and isinstance(obtained, QCheckBox)
            assert isinstance(quality, QComboBox)
            views.append(
                ViewScore(
                    name.data(Qt.ItemDataRole.UserRole) or name.text(),
                    obtained.isChecked(),
                    quality.currentData(),
                )
            )
        comments = []
        for i in range(self.comments.count()):
            item = self.comments.item(i)
            at = float(item.data(Qt.ItemDataRole.UserRole))
            comments.append(Comment(at, str(item.data(Qt.ItemDataRole.UserRole + 1))))
        return Review(
            reviewer=self.reviewer.text().strip(),
            preset=self.preset.currentData(),
            views=views,
            overall_quality=self.overall.currentData(),
            indication_stated=self.indication.isChecked(),
            images_labelled=self.labelled.isChecked(),
            conclusion_written=self.conclusion.isChecked(),
            agreement=self.agreement.currentData(),
            comments=comments,
            summary=self.summary.toPlainText().strip(),
            created_wall=base.created_wall,
            file=base.file,
        )

    def save(self) -> bool:
        review = self.collect()
        try:
            path = save_review(self.folder, review)
        except ReviewError as exc:
            self.status.setText(tr("Not saved: {reason}").format(reason=str(exc)))
            return False
        except OSError as exc:
            self.status.setText(
                tr("Not saved: cannot write to {folder} ({reason}).").format(
                    folder=str(self.folder), reason=exc.strerror or str(exc)
                )
            )
            return False
        self.status.setText(tr("Saved as {name}.").format(name=path.name))
        self.reload(select=path.name)
        self.saved.emit(str(path))
        return True
