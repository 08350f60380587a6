"""The QC review report: one self-contained HTML page (images inline), printable to PDF.

What was recorded (room, people, times, source, scale), each review (ACEP scores per
view and overall, checklist, agreement, comments at their moments), the guidance
cues with their outcome, markers, and key frames with the annotations burned in.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
from collections.abc import Sequence
from pathlib import Path

import cv2

from ultrasound_consult.protocol.errors import ProtocolError
from ultrasound_consult.protocol.guidance import Cue, CueStatus
from ultrasound_consult.protocol.opinion import Opinion
from ultrasound_consult.record.bundle import MARKER, ULTRASOUND
from ultrasound_consult.record.export import (
    CueCaption,
    CueOutcome,
    frame_image,
    outcome_text,
    plain_caption,
    plain_outcome,
)
from ultrasound_consult.record.opinions import RECOMMENDATIONS, URGENCIES
from ultrasound_consult.record.review import ACEP_SCALE, Review
from ultrasound_consult.record.session_bundle import SessionBundle

#: Key frames shown: flagged moments (markers, comments, cues), then evenly spread.
KEY_FRAMES = 6

CSS = """
body { font: 11pt/1.45 "Noto Sans", "WenQuanYi Micro Hei", "Microsoft YaHei", sans-serif;
       color: #111; margin: 2em auto; max-width: 60em; }
h1 { font-size: 18pt; margin-bottom: 0.2em; } h2 { font-size: 14pt; border-bottom: 1px solid #999; }
table { border-collapse: collapse; width: 100%; margin: 0.5em 0 1em; }
th, td { border: 1px solid #bbb; padding: 0.25em 0.5em; text-align: left; vertical-align: top; }
th { background: #eee; } .muted { color: #555; } .bad { color: #a00; }
.frames { display: grid; grid-template-columns: repeat(2, 1fr); gap: 0.6em; }
.frames figure { margin: 0; } .frames img { width: 100%; border: 1px solid #888; }
figcaption { font-size: 9pt; color: #333; }
@media print { body { margin: 0; max-width: none; } h2 { break-after: avoid; }
  .frames figure, table { break-inside: avoid; } }
"""


def _e(text: object) -> str:
    return html.escape(str(text))


def _when(wall: float | None) -> str:
    if not wall:
        return "—"
    return dt.datetime.fromtimestamp(wall).strftime("%Y-%m-%d %H:%M:%S")


def _clock(seconds: float) -> str:
    m, s = divmod(max(0.0, seconds), 60)
    return f"{int(m):02d}:{s:04.1f}"


def _yes(value: bool) -> str:
    return "yes" if value else '<span class="bad">no</span>'


def report_html(
    bundle: SessionBundle,
    reviews: Sequence[Review],
    *,
    caption: CueCaption = plain_caption,
    outcome: CueOutcome = plain_outcome,
) -> str:
    info = bundle.info
    reader = bundle.reader(ULTRASOUND)
    origin = reader.media_ts(0)
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>QC review — {_e(info.room)}</title><style>{CSS}</style></head><body>",
        "<h1>Ultrasound consult — QC review report</h1>",
        f"<p class='muted'>Generated {_e(_when(dt.datetime.now().timestamp()))} by "
        f"ultrasound-consult {_e(info.app_version)} from {_e(bundle.folder.name)}</p>",
        "<h2>Session</h2><table>",
        f"<tr><th>Room</th><td>{_e(info.room)}</td></tr>",
        f"<tr><th>Recorded by</th><td>{_e(info.recorded_by)} ({_e(info.recorder_role)})</td></tr>",
        f"<tr><th>Started / ended</th><td>{_e(_when(info.started_wall))} / "
        f"{_e(_when(info.ended_wall))}</td></tr>",
        f"<tr><th>Length</th><td>{_e(_clock(reader.duration))} ({len(reader)} frames, "
        f"{reader.width}×{reader.height})</td></tr>",
        f"<tr><th>Source</th><td>{_e(info.source)}</td></tr>",
        "<tr><th>Participants</th><td>"
        + ", ".join(f"{_e(p.name or p.id)} ({_e(p.role)})" for p in info.participants)
        + "</td></tr>",
    ]
    calib = info.calibration
    scale = (
        f"{calib.get('mm_per_px_x', 0):.4f} mm/px ({_e(calib.get('origin'))})"
        if calib and calib.get("mm_per_px_x")
        else "not calibrated (measurements in pixels)"
    )
    parts.append(f"<tr><th>Scale</th><td>{scale}</td></tr>")
    if bundle.problems:
        parts.append(
            "<tr><th>Integrity</th><td class='bad'>"
            + "<br>".join(_e(p) for p in bundle.problems)
            + "</td></tr>"
        )
    parts.append("</table>")

    parts.append("<h2>Reviews</h2>")
    if not reviews:
        parts.append("<p class='muted'>No review has been saved for this recording yet.</p>")
    for review in reviews:
        parts += _review_html(review)

    parts.append("<h2>Guidance cues</h2>")
    parts += _cues_html(bundle, origin, caption, outcome)

    parts.append("<h2>Expert's opinion</h2>")
    parts += _opinions_html(bundle)

    parts.append("<h2>Messages</h2>")
    parts += _chat_html(bundle, origin)

    parts.append("<h2>Key frames</h2><div class='frames'>")
    for index, label in _key_frames(bundle, origin, reviews, caption):
        image = frame_image(bundle, index, annotated=True, caption=caption)
        pixels = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
        scale_to = 640 / max(1, pixels.shape[1])
        small = cv2.resize(pixels, None, fx=scale_to, fy=scale_to, interpolation=cv2.INTER_AREA)
        ok, jpg = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, 85])
        if not ok:
            continue
        data = base64.b64encode(jpg.tobytes()).decode()
        t = reader.media_ts(index) - origin
        parts.append(
            f"<figure><img alt='frame at {_clock(t)}' src='data:image/jpeg;base64,{data}'>"
            f"<figcaption>{_clock(t)} — {_e(label)}</figcaption></figure>"
        )
    parts.append("</div></body></html>")
    return "\n".join(parts)


def _review_html(review: Review) -> list[str]:
    mean = review.mean_view_quality()
    out = [
        f"<h3>{_e(review.reviewer)} — {_e(_when(review.updated_wall))}</h3><table>",
        f"<tr><th>Protocol</th><td>{_e(review.preset)}</td></tr>",
        "<tr><th>Overall image quality (ACEP)</th><td>"
        + (
            f"{review.overall_quality} — {_e(ACEP_SCALE[review.overall_quality])}"
            if review.overall_quality
            else "not scored"
        )
        + (f" (views: mean {mean:.1f})" if mean is not None else "")
        + "</td></tr>",
        f"<tr><th>Indication stated</th><td>{_yes(review.indication_stated)}</td></tr>",
        f"<tr><th>Images labelled</th><td>{_yes(review.images_labelled)}</td></tr>",
        f"<tr><th>Conclusion written</th><td>{_yes(review.conclusion_written)}</td></tr>",
        "<tr><th>Agreement with the interpretation</th><td>"
        f"{_e(review.agreement.replace('_', ' '))}</td></tr>",
    ]
    if review.summary:
        out.append(f"<tr><th>Summary</th><td>{_e(review.summary)}</td></tr>")
    out.append("</table>")
    if review.views:
        out.append("<table><tr><th>View</th><th>Obtained</th><th>Quality</th><th>Note</th></tr>")
        for v in review.views:
            out.append(
                f"<tr><td>{_e(v.name)}</td><td>{_yes(v.obtained)}</td>"
                f"<td>{v.quality if v.quality else '—'}</td><td>{_e(v.note)}</td></tr>"
            )
        out.append("</table>")
    if review.comments:
        out.append("<table><tr><th>At</th><th>Comment</th></tr>")
        for c in sorted(review.comments, key=lambda c: c.at_s):
            out.append(f"<tr><td>{_clock(c.at_s)}</td><td>{_e(c.text)}</td></tr>")
        out.append("</table>")
    return out


def _opinions_html(bundle: SessionBundle) -> list[str]:
    """Each opinion given during the recording, its latest version in full and the
    versions before it listed (an amendment never hides what it replaced)."""
    versions: dict[str, dict[int, Opinion]] = {}
    for event in bundle.events:
        if event.type != "opinion" or not isinstance(event.data.get("opinion"), dict):
            continue
        try:
            opinion = Opinion.from_wire(event.data["opinion"])
        except ProtocolError:
            continue
        versions.setdefault(opinion.id, {}).setdefault(opinion.version, opinion)
    if not versions:
        return ["<p class='muted'>No opinion was given during this recording.</p>"]
    out: list[str] = []
    for by_version in versions.values():
        latest = by_version[max(by_version)]
        rec = RECOMMENDATIONS[latest.recommendation]
        if latest.recommendation_text:
            rec += f": {latest.recommendation_text}"
        out.append("<table>")
        for label, value in (
            ("From", f"{latest.author}, version {latest.version}"),
            ("Exam", latest.exam),
            ("Findings", latest.findings),
            ("Impression", latest.impression),
            ("Recommendation", rec),
            ("Urgency", URGENCIES[latest.urgency]),
            ("Note", latest.note),
        ):
            if value:
                out.append(f"<tr><th>{label}</th><td>{_e(value)}</td></tr>")
        out.append("</table>")
        for version in sorted(by_version)[:-1]:
            earlier = by_version[version]
            out.append(
                f"<p class='muted'>Version {version} ({_e(earlier.impression[:200])}) was "
                f"amended: {_e(by_version.get(version + 1, latest).amends_reason)}</p>"
            )
    return out


def _chat_html(bundle: SessionBundle, origin: float) -> list[str]:
    """The call's text messages, in the order they were written (each once: a resync
    resends them, with the same id)."""
    rows: dict[str, list[str]] = {}
    for event in bundle.events:
        if event.type != "chat" or event.t is None:
            continue
        msg_id, text = event.data.get("id"), event.data.get("text")
        if not isinstance(msg_id, str) or not isinstance(text, str) or msg_id in rows:
            continue
        by = event.data.get("by") if isinstance(event.data.get("by"), str) else event.by
        rows[msg_id] = [_clock(event.t - origin), _e(by), _e(text)]
    if not rows:
        return ["<p class='muted'>No message was written.</p>"]
    out = ["<table><tr><th>At</th><th>From</th><th>Message</th></tr>"]
    out += [f"<tr><td>{'</td><td>'.join(r)}</td></tr>" for r in rows.values()]
    out.append("</table>")
    return out


def _cues_html(
    bundle: SessionBundle, origin: float, caption: CueCaption, outcome: CueOutcome
) -> list[str]:
    rows: dict[str, list[str]] = {}
    for event in bundle.events:
        if event.t is None:
            continue
        if event.type == "cue" and isinstance(event.data.get("cue"), dict):
            try:
                cue = Cue.from_wire(event.data["cue"])
            except Exception:
                continue
            rows[cue.id] = [
                _clock(event.t - origin),
                _e(cue.author),
                _e(caption(cue)),
                _e(outcome(CueStatus.SENT)),
            ]
        elif event.type == "cue.state" and event.data.get("id") in rows:
            by = event.data.get("by") or ""
            status = str(event.data.get("status", ""))
            rows[event.data["id"]][3] = _e(outcome_text(status, by, outcome))
    if not rows:
        return ["<p class='muted'>No guidance cue was sent.</p>"]
    out = ["<table><tr><th>At</th><th>From</th><th>Cue</th><th>Outcome</th></tr>"]
    out += [f"<tr><td>{'</td><td>'.join(r)}</td></tr>" for r in rows.values()]
    out.append("</table>")
    return out


def _key_frames(
    bundle: SessionBundle,
    origin: float,
    reviews: Sequence[Review] = (),
    caption: CueCaption = plain_caption,
) -> list[tuple[int, str]]:
    """The frames worth a look: where someone flagged a moment (markers, pinned review
    comments) and where a cue went on the station's screen; frames spread evenly only
    fill what is left. At most :data:`KEY_FRAMES`, the flagged ones first."""
    reader = bundle.reader(ULTRASOUND)
    flagged: list[tuple[int, str]] = []
    cues: dict[str, str] = {}
    for event in bundle.events:
        if event.t is None:
            continue
        if event.type == MARKER:
            label = str(event.data.get("label") or "marker")
            flagged.append((reader.index_at(event.t), f"marker: {label} ({event.by})"))
        elif event.type == "cue" and isinstance(event.data.get("cue"), dict):
            try:
                cue = Cue.from_wire(event.data["cue"])
            except Exception:
                continue
            cues[cue.id] = caption(cue)
        elif event.type == "cue.state" and event.data.get("status") == CueStatus.SHOWN.value:
            text = cues.get(str(event.data.get("id")))
            if text is not None:
                flagged.append((reader.index_at(event.t), f"cue: {text}"))
    for review in reviews:
        for comment in review.comments:
            index = reader.index_at(origin + comment.at_s)
            flagged.append((index, f"{review.reviewer}: {comment.text}"))
    out: list[tuple[int, str]] = []
    seen: set[int] = set()
    for index, label in flagged:
        if index not in seen and len(out) < KEY_FRAMES:
            seen.add(index)
            out.append((index, label))
    n = len(reader)
    spread = KEY_FRAMES - len(out)
    for k in range(max(0, spread)):
        index = (2 * k + 1) * n // (2 * spread)
        if index not in seen:
            seen.add(index)
            out.append((index, "sampled"))
    return sorted(out)


def write_report(
    bundle: SessionBundle,
    out: Path,
    reviews: Sequence[Review],
    *,
    caption: CueCaption = plain_caption,
    outcome: CueOutcome = plain_outcome,
) -> None:
    Path(out).write_text(
        report_html(bundle, reviews, caption=caption, outcome=outcome), encoding="utf-8"
    )
