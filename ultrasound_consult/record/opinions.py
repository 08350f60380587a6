"""Opinions kept at the clinic: every version of every opinion the station received,
one JSON file each, never overwritten; and the page a clinician prints.

``ULTRASOUND_CONSULT_OPINIONS``, else ``~/ultrasound-consult-opinions``: one folder
per consult (``2026-12-01_143005_room``), files ``<opinion id>-v<version>.json``
(owner-only, written atomically). An amendment is a new file beside the old one.
"""

from __future__ import annotations

import html
import json
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ultrasound_consult.protocol.errors import ProtocolError
from ultrasound_consult.protocol.opinion import Opinion, Recommendation, Urgency
from ultrasound_consult.record.bundle import write_json_atomic

OPINIONS_ENV = "ULTRASOUND_CONSULT_OPINIONS"
#: Where a recording keeps the opinions given during it.
OPINIONS_DIR = "opinions"

RECOMMENDATIONS = {
    Recommendation.NO_ACTION: "No further action",
    Recommendation.FOLLOW_UP: "Follow-up scan",
    Recommendation.REPEAT_NOW: "Repeat the scan now",
    Recommendation.REFER: "Refer",
    Recommendation.REFER_URGENTLY: "Refer urgently (today)",
    Recommendation.OTHER: "Other",
}
URGENCIES = {Urgency.ROUTINE: "Routine", Urgency.SOON: "Soon", Urgency.URGENT: "Urgent"}


def opinions_root() -> Path:
    return Path(os.environ.get(OPINIONS_ENV) or Path.home() / "ultrasound-consult-opinions")


def file_name(opinion: Opinion) -> str:
    return f"{opinion.id}-v{opinion.version}.json"


@dataclass(frozen=True)
class StoredOpinion:
    opinion: Opinion
    path: Path
    #: The signer as the server admitted them, and whether the signature held.
    signer: str
    verified: bool


class OpinionStore:
    def __init__(self, root: Path | None = None) -> None:
        self.root = Path(root) if root is not None else opinions_root()

    def folder_for(self, room: str, started: float) -> Path:
        stamp = time.strftime("%Y-%m-%d_%H%M%S", time.localtime(started))
        safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in room)[:40] or "room"
        return self.root / f"{stamp}_{safe}"

    def save(self, folder: Path, opinion: Opinion, *, signer: str, verified: bool) -> Path:
        """Keep one version; raises OSError (disk full, not writable). A version that
        is already here is left as it was (the first copy is the one received)."""
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = folder / file_name(opinion)
        if not path.exists():
            record = {"signer": signer, "verified": verified, "opinion": opinion.to_wire()}
            write_json_atomic(path, record)
        return path

    def load(self, path: Path) -> StoredOpinion:
        """Raises ValueError for a file that is not a stored opinion."""
        try:
            record = json.loads(Path(path).read_text(encoding="utf-8"))
            opinion = Opinion.from_wire(record["opinion"])
        except (OSError, ValueError, KeyError, TypeError, ProtocolError) as exc:
            raise ValueError(f"{path} is not a readable opinion: {exc}") from None
        return StoredOpinion(
            opinion, Path(path), str(record.get("signer", "")), record.get("verified") is True
        )

    def all(self) -> list[StoredOpinion]:
        """Every readable version, newest consult first."""
        found = []
        if self.root.is_dir():
            for path in sorted(self.root.glob("*/*.json"), reverse=True):
                try:
                    found.append(self.load(path))
                except ValueError:
                    continue
        return found


def opinion_html(
    stored: StoredOpinion,
    *,
    room: str = "",
    key_print: str = "",
    labels: Mapping[str, str] | None = None,
    recommendation: str | None = None,
    urgency: str | None = None,
    verdict: str | None = None,
    title: str = "Ultrasound opinion",
    version: str | None = None,
) -> str:
    """The page a clinician prints: what the expert found and recommends, who signed
    it. The words come in the reader's language from the caller (``labels`` maps the
    English headings; defaults are English)."""
    o = stored.opinion
    e = html.escape
    word = (lambda k: labels.get(k, k)) if labels else (lambda k: k)
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(o.created_ms / 1000))
    rec = recommendation or RECOMMENDATIONS[o.recommendation]
    if o.recommendation_text:
        rec += f": {o.recommendation_text}"
    rows = [
        (word("Exam"), o.exam),
        (word("Clinic reference"), o.local_ref),
        (word("Consult"), room),
        (word("Urgency"), urgency or URGENCIES[o.urgency]),
    ]
    check = verdict or ("Signature verified" if stored.verified else "SIGNATURE DOES NOT MATCH")

    def block(heading: str, text: str) -> list[str]:
        body = e(text).replace("\n", "<br>")
        return [f"<h2>{e(word(heading))}</h2>", f"<p>{body}</p>"] if text else []

    parts = [
        f"<html><head><meta charset='utf-8'><title>{e(title)}</title></head><body>",
        f"<h1>{e(title)} — {e(o.author)}</h1>",
        f"<p>{e(version or f'Version {o.version}')}, {e(when)}"
        + (f" — {e(o.amends_reason)}" if o.version > 1 else "")
        + "</p><table>",
        *(f"<tr><th align='left'>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in rows if v),
        "</table>",
        *block("Findings", o.findings),
        *block("Impression", o.impression),
        *block("Recommendation", rec),
        *block("Note", o.note),
        f"<p><small>{e(stored.signer or o.author)} — {e(check)}"
        + (f" ({e(key_print)})" if key_print else "")
        + "</small></p></body></html>",
    ]
    return "\n".join(parts)
