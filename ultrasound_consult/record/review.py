"""QC reviews of a recording: scores, checklists and comments, kept apart from the record.

Each review is one JSON file in the bundle's ``reviews/`` folder, so several
reviewers can score the same session and no review ever changes what was recorded.
Image quality uses the ACEP 5-point scale, per view and overall.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ultrasound_consult.record.bundle import REVIEWS_DIR, write_json_atomic
from ultrasound_consult.schema import Migration, SchemaError, migrate

logger = logging.getLogger(__name__)

REVIEW_SCHEMA = 1
#: Review files' migrations, ``{from_schema: step}`` (see :mod:`ultrasound_consult.schema`).
REVIEW_STEPS: dict[int, Migration] = {}

#: ACEP emergency ultrasound image-quality scale.
ACEP_SCALE: dict[int, str] = {
    1: "No recognisable structures; no objective data can be gathered",
    2: "Minimally recognisable structures but insufficient for diagnosis",
    3: "Minimal criteria met for diagnosis; recognisable structures with some technical flaws",
    4: "Minimal criteria met; all structures imaged well and diagnosis easily supported",
    5: "Minimal criteria met; all structures imaged with excellent quality, diagnosis "
    "completely supported",
}

#: Standard views per protocol; "custom" starts empty (the reviewer adds views).
VIEW_PRESETS: dict[str, tuple[str, ...]] = {
    "FAST": (
        "RUQ (hepatorenal)",
        "LUQ (splenorenal)",
        "Pelvis (suprapubic)",
        "Subxiphoid cardiac",
    ),
    "eFAST": (
        "RUQ (hepatorenal)",
        "LUQ (splenorenal)",
        "Pelvis (suprapubic)",
        "Subxiphoid cardiac",
        "Right anterior chest (lung sliding)",
        "Left anterior chest (lung sliding)",
    ),
    "custom": (),
}

#: Agreement with the interpretation given during the consult.
AGREEMENT = ("agree", "minor_disagreement", "major_disagreement", "not_assessed")


class ReviewError(ValueError):
    pass


@dataclass
class ViewScore:
    name: str
    obtained: bool = False
    quality: int | None = None  # ACEP 1..5
    note: str = ""


@dataclass
class Comment:
    at_s: float  # seconds from the start of the recording
    text: str


@dataclass
class Review:
    reviewer: str
    preset: str = "FAST"
    views: list[ViewScore] = field(default_factory=list)
    overall_quality: int | None = None
    indication_stated: bool = False
    images_labelled: bool = False
    conclusion_written: bool = False
    agreement: str = "not_assessed"
    comments: list[Comment] = field(default_factory=list)
    summary: str = ""
    created_wall: float = 0.0
    updated_wall: float = 0.0
    schema: int = REVIEW_SCHEMA
    #: The file it lives in (set when saved or loaded).
    file: str = ""

    @classmethod
    def new(cls, reviewer: str, preset: str = "FAST") -> Review:
        if preset not in VIEW_PRESETS:
            raise ReviewError(f"unknown view preset {preset!r}; use one of {list(VIEW_PRESETS)}")
        return cls(reviewer, preset, [ViewScore(name) for name in VIEW_PRESETS[preset]])

    def validate(self) -> None:
        if not self.reviewer.strip():
            raise ReviewError("a review needs the reviewer's name")
        for score in [v.quality for v in self.views] + [self.overall_quality]:
            if score is not None and score not in ACEP_SCALE:
                raise ReviewError(f"image quality is scored 1 to 5 (ACEP), not {score}")
        if self.agreement not in AGREEMENT:
            raise ReviewError(f"agreement must be one of {AGREEMENT}")
        for c in self.comments:
            if c.at_s < 0 or not c.text.strip():
                raise ReviewError("each comment needs a time and some text")

    def mean_view_quality(self) -> float | None:
        scores = [v.quality for v in self.views if v.quality is not None]
        return sum(scores) / len(scores) if scores else None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("file")
        return data

    @classmethod
    def from_json(cls, obj: Any) -> Review:
        if not isinstance(obj, dict) or not isinstance(obj.get("reviewer"), str):
            raise ReviewError("not a review")
        try:
            obj, _ = migrate(obj, what="this review", current=REVIEW_SCHEMA, steps=REVIEW_STEPS)
        except SchemaError as exc:
            raise ReviewError(str(exc)) from None
        try:
            views = [ViewScore(**v) for v in obj.get("views", [])]
            comments = [Comment(float(c["at_s"]), str(c["text"])) for c in obj.get("comments", [])]
            known = {k: v for k, v in obj.items() if k in cls.__dataclass_fields__}
            known.update(views=views, comments=comments)
            review = cls(**known)
        except (TypeError, KeyError, ValueError) as exc:
            raise ReviewError(f"malformed review: {exc}") from None
        review.validate()
        return review


def save_review(bundle_folder: Path, review: Review, *, now: float | None = None) -> Path:
    """Write (or overwrite) ``review`` in the bundle's reviews folder; returns the file."""
    review.validate()
    now = time.time() if now is None else now
    review.updated_wall = now
    if not review.created_wall:
        review.created_wall = now
    folder = Path(bundle_folder) / REVIEWS_DIR
    folder.mkdir(exist_ok=True)
    if not review.file:
        stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(review.created_wall))
        who = "".join(c if c.isalnum() else "-" for c in review.reviewer)[:30].strip("-")
        name = f"{stamp}-{who or 'reviewer'}.json"
        n = 2
        while (folder / name).exists():
            name = f"{stamp}-{who or 'reviewer'}-{n}.json"
            n += 1
        review.file = name
    path = folder / review.file
    write_json_atomic(path, review.to_json())
    return path


def load_reviews(bundle_folder: Path) -> tuple[list[Review], list[str]]:
    """Every readable review (oldest first) and a sentence for each unreadable one."""
    folder = Path(bundle_folder) / REVIEWS_DIR
    reviews: list[Review] = []
    problems: list[str] = []
    if not folder.is_dir():
        return reviews, problems
    for path in sorted(folder.glob("*.json")):
        try:
            review = Review.from_json(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError) as exc:
            problems.append(f"review {path.name} cannot be read: {exc}")
            continue
        review.file = path.name
        reviews.append(review)
    reviews.sort(key=lambda r: r.created_wall)
    return reviews, problems
