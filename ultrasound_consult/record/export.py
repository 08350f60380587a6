"""Exports a reviewer takes away: MP4 clips (annotations burned in or not), PNG frames,
WebVTT captions of the cues, markers and review comments.

Times given by a user are seconds from the start of the recording (its first
frame), as the replay window's timeline shows them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from ultrasound_consult.annotate.calibration import calibration_of
from ultrasound_consult.annotate.render import draw_label, render_annotations
from ultrasound_consult.annotate.shapes import Label, unit_for
from ultrasound_consult.protocol.errors import ProtocolError
from ultrasound_consult.protocol.guidance import Cue, CueStatus
from ultrasound_consult.record.bundle import MARKER, ULTRASOUND
from ultrasound_consult.record.review import Review
from ultrasound_consult.record.session_bundle import SessionBundle
from ultrasound_consult.record.timeline import ReplayState

logger = logging.getLogger(__name__)

CueCaption = Callable[[Cue], str]
#: What became of a cue, in words ("done", "could not be done"...).
CueOutcome = Callable[[CueStatus], str]

#: Plain English for the files a reviewer takes away (the app passes its own, translated
#: phrase book): what the station read, not the protocol's names.
_VERBS = {
    "slide": "Slide the probe",
    "sweep": "Sweep slowly",
    "rock": "Rock the probe",
    "tilt": "Tilt the probe",
    "rotate": "Rotate the probe",
    "hold": "Hold the probe still",
    "depth_up": "Increase the depth",
    "depth_down": "Decrease the depth",
    "gain_up": "Increase the gain",
    "gain_down": "Decrease the gain",
    "color_doppler": "Turn on colour Doppler",
    "power_doppler": "Turn on power Doppler",
    "freeze": "Freeze the image",
    "save_clip": "Save a clip",
}
_WAYS = {
    "head": "toward the patient's head",
    "feet": "toward the patient's feet",
    "patient_left": "to the patient's left",
    "patient_right": "to the patient's right",
    "toward_marker": "toward its marker",
    "away_from_marker": "away from its marker",
    "clockwise": "clockwise",
    "counterclockwise": "counter-clockwise",
}
_OUTCOMES = {
    CueStatus.SENT: "sent",
    CueStatus.SHOWN: "on the station's screen",
    CueStatus.DONE: "done",
    CueStatus.CANT: "could not be done",
    CueStatus.CANCELLED: "withdrawn",
    CueStatus.REPLACED: "replaced by a newer cue",
}


class ExportError(Exception):
    pass


def plain_caption(cue: Cue) -> str:
    """The cue as the station read it, in English ("Tilt the probe toward the patient's
    head (45°)"), for exports made without the app's phrase book."""
    if cue.action.value == "compress":
        text = (
            "Press harder with the probe"
            if cue.direction == "more"
            else ("Ease the pressure on the probe")
        )
    else:
        text = _VERBS.get(cue.action.value, cue.action.value.replace("_", " ").capitalize())
        if cue.direction is not None:
            text += " " + _WAYS.get(cue.direction.value, cue.direction.value.replace("_", " "))
    if cue.angle_deg is not None:
        text += f" ({cue.angle_deg:.0f}°)"
    return text


def plain_outcome(status: CueStatus) -> str:
    return _OUTCOMES.get(status, status.value)


def outcome_text(status: str, by: str, outcome: CueOutcome = plain_outcome) -> str:
    """ "done (Township A)" from a recorded ``cue.state``; unknown statuses as they are."""
    try:
        words = outcome(CueStatus(status))
    except ValueError:
        words = status
    return words + (f" ({by})" if by else "")


@dataclass(frozen=True)
class FrameRange:
    first: int
    last: int  # inclusive


def frame_range(bundle: SessionBundle, start_s: float | None, end_s: float | None) -> FrameRange:
    reader = bundle.reader(ULTRASOUND)
    origin = reader.media_ts(0)
    first = 0 if start_s is None else reader.index_at(origin + max(0.0, start_s))
    last = len(reader) - 1 if end_s is None else reader.index_at(origin + end_s)
    if last < first:
        raise ExportError(f"the range {start_s}..{end_s} s holds no frames")
    return FrameRange(first, last)


def burn_in(
    image: np.ndarray, state: ReplayState, *, caption: CueCaption = plain_caption
) -> np.ndarray:
    """RGB copy of ``image`` with the annotations, pointers and the cue on screen."""
    out = render_annotations(
        image, state.annotations, calibration=calibration_of(state.calibration)
    )
    h, w = out.shape[:2]
    unit = unit_for(w, h)
    for pointer in state.pointers:
        centre = (round(pointer.x * (w - 1)), round(pointer.y * (h - 1)))
        cv2.circle(out, centre, max(3, round(unit * 5)), (255, 80, 80), 2, cv2.LINE_AA)
        cv2.circle(out, centre, 1, (255, 80, 80), -1, cv2.LINE_AA)
    if state.cue is not None and state.cue.status is CueStatus.SHOWN:
        text = caption(state.cue.cue)
        # Readable, and on the picture whole: about 5% of its height, narrower for a
        # long sentence (a glyph is ~0.6 of the size wide, CJK ~1.0).
        per_char = 1.0 if not text.isascii() else 0.6
        fits = (w - unit * 16) / max(1, len(text)) / per_char
        size = max(12.0, min(unit * 4.5, fits))
        draw_label(out, Label(unit * 4, unit * 4, text, size), (255, 212, 0))
    return out


def frame_image(
    bundle: SessionBundle, index: int, *, annotated: bool, caption: CueCaption = plain_caption
) -> np.ndarray:
    reader = bundle.reader(ULTRASOUND)
    image = reader.frame(index)
    if not annotated:
        return image
    return burn_in(image, bundle.timeline.state_at(reader.media_ts(index)), caption=caption)


def export_png(
    bundle: SessionBundle,
    out: Path,
    at_s: float,
    *,
    annotated: bool = True,
    caption: CueCaption = plain_caption,
) -> int:
    """The frame on screen ``at_s`` seconds into the recording; returns its index."""
    reader = bundle.reader(ULTRASOUND)
    index = reader.index_at(reader.media_ts(0) + at_s)
    image = frame_image(bundle, index, annotated=annotated, caption=caption)
    pixels = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    if not cv2.imwrite(str(out), pixels):
        raise ExportError(f"could not write {out}: check the folder exists and is writable")
    return index


def export_mp4(
    bundle: SessionBundle,
    out: Path,
    *,
    annotated: bool = False,
    start_s: float | None = None,
    end_s: float | None = None,
    caption: CueCaption = plain_caption,
    progress: Callable[[int, int], None] | None = None,
    crf: int = 18,
) -> int:
    """An MP4 (H.264, playable anywhere) of a range; returns the frames written."""
    reader = bundle.reader(ULTRASOUND)
    span = frame_range(bundle, start_s, end_s)
    fps = bundle.track_info(ULTRASOUND).fps or 30.0
    tmp = Path(out).with_name(Path(out).name + ".part")
    written = 0
    try:
        with av.open(str(tmp), "w", format="mp4", options={"movflags": "+faststart"}) as container:
            stream = container.add_stream("libx264", rate=Fraction(fps).limit_denominator(1001))
            w, h = reader.width - reader.width % 2, reader.height - reader.height % 2
            stream.width, stream.height = w, h
            stream.pix_fmt = "yuv420p"
            stream.time_base = Fraction(1, 90000)
            stream.options = {"crf": str(crf), "preset": "veryfast"}
            origin = reader.media_ts(span.first)
            for i in range(span.first, span.last + 1):
                if annotated:
                    image = frame_image(bundle, i, annotated=True, caption=caption)
                    rgb = cv2.cvtColor(image, cv2.COLOR_GRAY2RGB) if image.ndim == 2 else image
                    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb[:h, :w]), "rgb24")
                else:  # the decoded frame as it is: no display conversion on the way
                    frame = reader.av_frame(i).reformat(w, h, "yuv420p")
                frame.pts = round((reader.media_ts(i) - origin) * 90000)
                frame.time_base = Fraction(1, 90000)
                for packet in stream.encode(frame):
                    container.mux(packet)
                written += 1
                if progress is not None:
                    progress(written, span.last - span.first + 1)
            for packet in stream.encode(None):
                container.mux(packet)
        tmp.replace(out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ExportError(f"could not write {out}: {exc.strerror or exc}") from None
    return written


# --- WebVTT --------------------------------------------------------------------------------


def _vtt_time(seconds: float) -> str:
    seconds = max(0.0, seconds)
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{int(h):02d}:{int(m):02d}:{s:06.3f}"


def vtt_text(
    bundle: SessionBundle,
    reviews: Sequence[Review] = (),
    *,
    caption: CueCaption = plain_caption,
    outcome: CueOutcome = plain_outcome,
) -> str:
    """Captions: each cue while it was on the station's screen (with its outcome),
    each marker, each text message, and each review comment pinned to a moment (4 s
    each)."""
    reader = bundle.reader(ULTRASOUND)
    origin = reader.media_ts(0)
    end = reader.media_ts(len(reader) - 1) - origin
    items: list[tuple[float, float, str]] = []
    shown: dict[str, tuple[float, Cue]] = {}
    cues: dict[str, Cue] = {}
    chat_seen: set[object] = set()
    for event in bundle.events:
        if event.t is None:
            continue
        t = event.t - origin
        if event.type == "cue":
            try:  # the events file is untrusted input: a malformed cue is skipped
                cue = Cue.from_wire(event.data.get("cue"))
            except ProtocolError:
                continue
            cues[cue.id] = cue
        elif event.type == "cue.state":
            cue_id, status = event.data.get("id"), event.data.get("status")
            if not isinstance(cue_id, str) or not isinstance(status, str):
                continue
            if status == CueStatus.SHOWN.value and cue_id in cues:
                shown[cue_id] = (t, cues[cue_id])
            elif cue_id in shown:
                start, cue = shown.pop(cue_id)
                said = outcome_text(str(status), event.data.get("by") or "", outcome)
                items.append((start, max(t, start + 0.5), f"{caption(cue)} → {said}"))
        elif event.type == "chat" and isinstance(event.data.get("text"), str):
            if event.data.get("id") not in chat_seen:
                chat_seen.add(event.data.get("id"))
                by = event.data.get("by") or event.by
                items.append(
                    (t, t + 4.0, f"{by}: {event.data['text']}" if by else event.data["text"])
                )
        elif event.type == MARKER:
            label = event.data.get("label")
            label = label if isinstance(label, str) and label else "marker"
            items.append((t, t + 3.0, f"★ {label} ({event.by})" if event.by else f"★ {label}"))
    for start, cue in shown.values():  # still on screen when the recording ended
        items.append((start, max(end, start + 0.5), caption(cue)))
    for review in reviews:
        for comment in review.comments:
            items.append((comment.at_s, comment.at_s + 4.0, f"{review.reviewer}: {comment.text}"))
    items.sort()
    lines = ["WEBVTT", ""]
    for n, (start, stop, text) in enumerate(items, start=1):
        lines += [str(n), f"{_vtt_time(start)} --> {_vtt_time(stop)}", _vtt_escape(text), ""]
    return "\n".join(lines)


def _vtt_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("-->", "→")


def export_vtt(
    bundle: SessionBundle,
    out: Path,
    reviews: Sequence[Review] = (),
    *,
    caption: CueCaption = plain_caption,
    outcome: CueOutcome = plain_outcome,
) -> None:
    Path(out).write_text(
        vtt_text(bundle, list(reviews), caption=caption, outcome=outcome), encoding="utf-8"
    )
