"""The recordings in a folder, for a QC reviewer to choose from: newest first.

Each entry is read from the bundle's ``session.json`` and its ``reviews/`` folder only
(no video is opened), so listing a few hundred recordings takes a moment, not minutes.
A folder that is not a readable bundle is left out of the list and logged.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from ultrasound_consult.record.bundle import REVIEWS_DIR, SESSION_FILE, BundleError, read_session

logger = logging.getLogger(__name__)

#: More than this many recordings: the newest this many are listed.
MAX_LISTED = 500


@dataclass(frozen=True)
class RecordingEntry:
    folder: Path
    started_wall: float
    room: str
    people: tuple[str, ...]  # "name (role)"
    length_s: float | None  # None while it is being recorded or if it never ended
    reviewed: bool
    complete: bool


def list_recordings(root: Path) -> list[RecordingEntry]:
    """Every readable recording directly under ``root``, newest first."""
    root = Path(root)
    if not root.is_dir():
        return []
    entries: list[RecordingEntry] = []
    for folder in root.iterdir():
        if not (folder / SESSION_FILE).is_file():
            continue
        try:
            info = read_session(folder)
        except BundleError as exc:
            logger.info("not listed: %s: %s", folder.name, exc)
            continue
        length = None
        if info.ended_wall is not None and info.started_wall:
            length = max(0.0, info.ended_wall - info.started_wall)
        reviews = folder / REVIEWS_DIR
        entries.append(
            RecordingEntry(
                folder=folder,
                started_wall=info.started_wall,
                room=info.room,
                people=tuple(f"{p.name} ({p.role})" for p in info.participants),
                length_s=length,
                reviewed=reviews.is_dir() and any(reviews.glob("*.json")),
                complete=info.status == "complete",
            )
        )
    entries.sort(key=lambda e: e.started_wall, reverse=True)
    return entries[:MAX_LISTED]
