"""One side of a benchmark call, run as its own process with its real window offscreen.

    python -m ultrasound_consult.benchmark.role_window station|expert --server URL --invite CODE \\
        --out FILE --start T --warmup S --duration S [--source SPEC] [--quality Q] \\
        [--stock] [--network PROFILE]

``--start`` is a ``time.monotonic()`` value shared with the other side (the clock is
system-wide), from which the network profile's schedule counts. Each side records
timestamps on ``time.perf_counter()``, also system-wide on Linux, so the runner can
join them by media time. Writes one JSON file (and, for the expert, an ``.npz`` of
sampled received frames for quality measurement).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
from PySide6.QtCore import Qt, QTimer

from ultrasound_consult.benchmark import frame_counter, netem
from ultrasound_consult.media.audio import open_capture, open_output
from ultrasound_consult.media.camera import open_camera
from ultrasound_consult.media.convert import i420_planes
from ultrasound_consult.media.encoder import PresetVp8Encoder
from ultrasound_consult.media.privacy import PrivacyMask
from ultrasound_consult.media.source_spec import open_source
from ultrasound_consult.protocol.annotation import AnnotationKind
from ultrasound_consult.session.call import CallConfig
from ultrasound_consult.session.engine_thread import EngineThread
from ultrasound_consult.ui.app import application, open_call

#: Received frames kept for quality measurement, one every this many seconds.
SAMPLE_EVERY_S = 0.25
ANNOTATE_EVERY_S = 0.5
MARK_ONLY = (AnnotationKind.MARK, ((0.5, 0.5),), "")
#: --hands: one of each kind in turn (positions shifted each time).
HANDS_MIX = [
    (AnnotationKind.MARK, ((0.5, 0.5),), ""),
    (AnnotationKind.ARROW, ((0.45, 0.45), (0.55, 0.55)), ""),
    (AnnotationKind.STROKE,
     tuple((0.4 + i / 500, 0.5 + 0.03 * math.sin(i / 9)) for i in range(100)), ""),
    (AnnotationKind.ELLIPSE, ((0.45, 0.45), (0.55, 0.52)), ""),
    (AnnotationKind.RECT, ((0.45, 0.45), (0.55, 0.52)), ""),
    (AnnotationKind.TEXT, ((0.5, 0.5),), "GB 胆囊"),
    (AnnotationKind.CALIPER, ((0.42, 0.5), (0.58, 0.5)), ""),
    (AnnotationKind.AREA, ((0.42, 0.5), (0.58, 0.5), (0.5, 0.55)), ""),
]  # fmt: skip
#: --hands: live pointer input rate (a mouse reports 125 Hz or more).
POINTER_INPUT_HZ = 125
STROKE_POINTS = 10_000


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def key(media_ts: float | None) -> str | None:
    return None if media_ts is None else f"{media_ts:.3f}"


class Recorder:
    """Timestamps of one side, written as JSON at the end."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.window_start = args.start + args.warmup  # monotonic; == perf_counter on Linux
        self.window_end = self.window_start + args.duration
        self.captured: dict[str, float] = {}
        self.decoded: dict[str, float] = {}
        self.painted: dict[str, float] = {}
        self.annotations_sent: dict[str, float] = {}
        self.annotations_painted: dict[str, float] = {}
        self.frames_in_window = 0
        self.cpu_start = self.cpu_end = 0.0
        self.bytes_sent_start = self.bytes_sent_end = 0
        self.encoded_start = 0
        self.encoders: list[Any] = []
        self.camera_encoders: list[Any] = []
        self.camera_start = 0
        self.fec_start = 0
        self.samples: list[tuple[float, np.ndarray]] = []
        self._last_sample = 0.0
        self.errors: list[str] = []
        self.extra: dict[str, Any] = {}

    def in_window(self, t: float) -> bool:
        return self.window_start <= t < self.window_end


async def bytes_sent(call: Any) -> int:
    total = 0
    for link in list(call.links.values()):
        stats = await link.pc.getStats()
        total += sum(getattr(s, "bytesSent", 0) for s in stats.values() if s.type == "outbound-rtp")
    return total


def fec_bytes(call: Any) -> int:
    """Parity bytes sent so far (they travel on a data channel, outside the RTP counts)."""
    return sum(link.fec.bytes_sent for link in list(call.links.values()) if link.fec)


def install_hands(args, rec, window, bridge, call, at) -> None:
    """The expert's hands under load: a live pointer at mouse rate all through the
    window, and a 10,000-point stroke in the middle of it."""
    rec.extra["pointer_received"] = []
    rec.extra["stroke"] = {}
    if args.role == "station":
        original = bridge.on_pointers

        def on_pointers(pointers: Any) -> None:  # engine thread
            rec.extra["pointer_received"].append(time.perf_counter())
            original(pointers)

        bridge.on_pointers = on_pointers

        def on_painted(_tag: object, _ids: list[str]) -> None:  # GUI thread
            if "painted_whole" in rec.extra["stroke"]:
                return
            for a in window.view._annotations:
                if a.kind is AnnotationKind.STROKE:
                    most = max(rec.extra["stroke"].get("most_points", 0), len(a.points))
                    rec.extra["stroke"]["most_points"] = most
                    if len(a.points) == STROKE_POINTS:
                        rec.extra["stroke"]["painted_whole"] = time.perf_counter()

        window.view.painted.connect(on_painted)
        return
    tick = [0]

    def move() -> None:  # GUI thread, like mouse moves
        if window.state != "connected":
            return
        tick[0] += 1
        a = tick[0] / POINTER_INPUT_HZ
        bridge.call(call.collab.pointer.move, 0.5 + 0.3 * math.cos(a), 0.5 + 0.3 * math.sin(a))

    pointer = QTimer(window, interval=round(1000 / POINTER_INPUT_HZ), timeout=move)  # type: ignore[call-arg]
    pointer.setTimerType(Qt.TimerType.PreciseTimer)
    pointer.start()
    pts = tuple(
        (0.5 + 0.4 * math.cos(i / 300) * math.cos(i / 41), 0.5 + 0.4 * math.sin(i / 170))
        for i in range(STROKE_POINTS)
    )

    def stroke() -> None:
        def send() -> None:  # engine thread
            rec.extra["stroke"]["sent"] = time.perf_counter()
            call.collab.add_annotation(AnnotationKind.STROKE, pts)

        bridge.call(send)

    at(rec.window_start + args.duration / 2, stroke)


def run(args: argparse.Namespace) -> int:
    rec = Recorder(args)
    impairment = netem.install(netem.parse_profile(args.network), args.start)
    app = application("en")
    engine = EngineThread().start()
    config = CallConfig.from_invite(
        args.server,
        args.invite,
        args.role,
        quality=args.quality,
        media_tuning=not args.stock,
        video_codec=args.codec.upper(),
        bitrate_mbps=args.bitrate,
    )
    source = open_source(args.source) if args.role == "station" else None
    camera = open_camera(args.camera) if args.role == "station" and args.camera else None
    audio = speaker = None
    if args.audio:
        # Voice both ways: a tone stands for each microphone, a file for each speaker
        # (the same playback path, with its underrun count).
        audio = open_capture("tone:440" if args.role == "station" else "tone:880")
        speaker = open_output(f"record:{Path(args.out).with_suffix('.wav')}")
    opened = open_call(
        engine,
        config,
        source=source,
        mask=PrivacyMask(),
        camera=camera,
        audio=audio,
        speaker=speaker,
    )
    window, bridge, call = opened.window, opened.bridge, opened.call
    window.resize(1100, 860)
    window.show()

    # --- hooks into the real app path --------------------------------------------
    if args.role == "station":
        original_local = bridge.on_local_frame

        fps = (source.info.fps if source is not None else None) or 30.0

        def on_local_frame(frame: Any) -> None:  # engine thread
            k = key(frame.media_ts)
            if k is not None:
                rec.captured[k] = frame.captured_at
            # The first consumer: the counter reaches the encoder with the frame. (The
            # pipeline hands frames on read-only; only this instrumentation writes.)
            frame.image.flags.writeable = True
            frame_counter.stamp(frame.image, round(frame.media_ts * fps))
            frame.image.flags.writeable = False
            original_local(frame)

        bridge.on_local_frame = on_local_frame  # type: ignore[method-assign]
    else:
        original_remote = bridge.on_remote_frame

        def on_remote_frame(frame: Any) -> None:  # engine thread
            k = key(frame.media_ts)
            if k is not None:
                rec.decoded.setdefault(k, frame.received_at)
                if rec.in_window(frame.received_at):
                    rec.frames_in_window += 1
                    if frame.received_at - rec._last_sample >= SAMPLE_EVERY_S:
                        rec._last_sample = frame.received_at
                        i420 = frame.frame.to_ndarray()
                        y = i420_planes(i420, frame.width, frame.height)[0].copy()
                        rec.samples.append((frame.media_ts, y))
            original_remote(frame)

        bridge.on_remote_frame = on_remote_frame  # type: ignore[method-assign]

    def on_painted(tag: object, annotation_ids: list[str]) -> None:  # GUI thread
        now = time.perf_counter()
        k = key(tag) if isinstance(tag, float) else None
        if k is not None:
            rec.painted.setdefault(k, now)
        for ann_id in annotation_ids:
            rec.annotations_painted.setdefault(ann_id, now)

    window.view.painted.connect(on_painted)

    step = [0]

    def annotate() -> None:  # GUI thread: through the same bridge as a click
        if args.role != "expert" or window.state != "connected":
            return
        step[0] += 1
        x, y = 0.3 + 0.4 * ((step[0] * 0.37) % 1), 0.4 + 0.3 * ((step[0] * 0.61) % 1)
        # With --hands every kind takes its turn; otherwise marks, as before.
        kind, points, label = HANDS_MIX[step[0] % len(HANDS_MIX)] if args.hands else MARK_ONLY
        shifted = tuple((min(1.0, px + x - 0.5), min(1.0, py + y - 0.5)) for px, py in points)

        def send() -> None:  # engine thread
            ann_id = call.collab.add_annotation(kind, shifted, label=label)
            rec.annotations_sent[ann_id] = time.perf_counter()

        bridge.call(send)

    marker = QTimer(interval=int(ANNOTATE_EVERY_S * 1000), timeout=annotate)  # type: ignore[call-arg]
    marker.start()

    async def sample_bytes() -> int:
        return await bytes_sent(call)

    def window_opens() -> None:
        rec.window_start = time.perf_counter()  # the actual moment, not the planned one
        rec.cpu_start = cpu_seconds()
        recoveries = [link.recovery for link in call.links.values() if link.recovery is not None]
        if recoveries:
            rec.extra["receive_before_window"] = {
                "nack_retries": recoveries[0].sent,
                "frames_abandoned": recoveries[0].buffer.frames_abandoned,
            }
        if args.role == "station":
            rec.bytes_sent_start = engine.submit(sample_bytes()).result(5)
            # Kept now: the expert may already have gone when the window closes.
            rec.encoders = [link.encoder for link in call.links.values() if link.encoder]
            rec.encoded_start = sum(getattr(e, "bytes", 0) for e in rec.encoders)
            rec.extra["keyframes_before_window"] = sum(
                getattr(e, "keyframes", 0) for e in rec.encoders
            )
            rec.camera_encoders = [
                link.outgoing.camera_encoder
                for link in call.links.values()
                if link.outgoing is not None and link.outgoing.camera_encoder is not None
            ]
            rec.camera_start = sum(e.bytes for e in rec.camera_encoders)
            rec.fec_start = fec_bytes(call)

    def start_recording() -> None:
        bridge.call(call.start_recording, Path(args.record))

    def window_closes() -> None:
        rec.window_end = time.perf_counter()
        rec.cpu_end = cpu_seconds()
        recording = call.journal.recording
        if recording is not None:
            stats = recording.recorder.stats.get("ultrasound")
            if stats is not None:
                rec.extra["recording"] = {"written": stats.written, "dropped": stats.dropped,
                                          "queued": stats.queued}  # fmt: skip
        if args.role == "station":
            rec.bytes_sent_end = engine.submit(sample_bytes()).result(5)
            if rec.encoders:
                enc = rec.encoders[0]
                span = rec.window_end - rec.window_start
                rec.extra["encoder"] = {
                    "output_mbps": round((enc.bytes - rec.encoded_start) * 8 / span / 1e6, 3),
                    "frames": enc.frames,
                    "keyframes": enc.keyframes,
                    "keyframes_in_window": enc.keyframes
                    - rec.extra.get("keyframes_before_window", 0),
                    "reconfigurations": enc.reconfigurations,
                    "target_mbps": round(enc.policy.current / 1e6, 2),
                }
                control = next(
                    (link.rate_control for link in call.links.values() if link.rate_control), None
                )
                if control is not None:
                    rec.extra["encoder"]["retransmissions_dropped"] = control.pacer.rtx_dropped
            rec.extra["fec_mbps"] = round(
                (fec_bytes(call) - rec.fec_start) * 8 / (rec.window_end - rec.window_start) / 1e6, 3
            )
            if rec.camera_encoders:
                span = rec.window_end - rec.window_start
                sent = sum(e.bytes for e in rec.camera_encoders) - rec.camera_start
                rec.extra["camera_encoder"] = {
                    "output_mbps": round(sent * 8 / span / 1e6, 3),
                    "target_mbps": round(rec.camera_encoders[0].policy.current / 1e6, 3),
                }
        call.refresh_stats()
        rec.extra["stats"] = call.stats.summary()
        recoveries = [link.recovery for link in call.links.values() if link.recovery is not None]
        if recoveries:
            buffer = recoveries[0].buffer
            before = rec.extra.get("receive_before_window", {})
            rec.extra["receive"] = {
                "nack_retries": recoveries[0].sent,
                "frames_abandoned": buffer.frames_abandoned,
                "released_on_marker": buffer.released_on_marker,
                "nack_retries_in_window": recoveries[0].sent - before.get("nack_retries", 0),
                "frames_abandoned_in_window": buffer.frames_abandoned
                - before.get("frames_abandoned", 0),
                "rtt_ms": None if buffer.rtt is None else round(buffer.rtt * 1000, 1),
                "gaps_asked": recoveries[0].sent_first,
                "retries_too_late": recoveries[0].given_up,
                "keyframe_requests": buffer.keyframe_requests,
            }
        # The expert stays a moment, so the station can still read its statistics.
        QTimer.singleShot(1500 if args.role == "expert" else 0, app.quit)

    rec.extra["series"] = []
    last = {"bytes": 0, "frames": 0, "t": time.perf_counter()}

    def sample_second() -> None:  # GUI thread: the engine answers with a copy
        if args.role != "station":
            return

        def read() -> dict[str, Any] | None:  # engine thread
            link = next(iter(call.links.values()), None)
            # Ours only: the stock variant (and H.264) leave aiortc's encoder in place.
            if link is None or not isinstance(link.encoder, PresetVp8Encoder):
                return None
            encoder, control = link.encoder, link.rate_control
            state = control.state() if control is not None else None
            policy = encoder.policy
            return {
                "bytes": encoder.bytes,
                "frames": encoder.frames,
                "target_mbps": round(policy.current / 1e6, 3),
                "lines": link.video_out.last_sent_size[1] if link.video_out else None,
                "max_fps": policy.max_fps() if hasattr(policy, "max_fps") else None,
                "queuing_ms": None
                if state is None or state.queuing_delay_ms is None
                else round(state.queuing_delay_ms, 1),
                "delivery_mbps": None
                if state is None or state.delivery_bps is None
                else round(state.delivery_bps / 1e6, 3),
            }

        now = time.perf_counter()
        try:
            got = engine.submit(_as_coroutine(read)).result(2)
        except Exception:  # the call is ending
            return
        if got is None:
            return
        span = now - last["t"]
        total_bytes, total_frames = got.pop("bytes"), got.pop("frames")
        rec.extra["series"].append(
            {
                "t": round(now - rec.window_start, 2),  # seconds from the measured window
                "sent_mbps": round((total_bytes - last["bytes"]) * 8 / span / 1e6, 3),
                "fps_encoded": round((total_frames - last["frames"]) / span, 1),
                **got,
            }
        )
        last.update(bytes=total_bytes, frames=total_frames, t=now)

    per_second = QTimer(interval=1000, timeout=sample_second)  # type: ignore[call-arg]
    per_second.start()

    timers: list[QTimer] = []

    def at(monotonic: float, fn: Any) -> None:
        # Precise: Qt's default (coarse) timers may fire 5% early, half a second here.
        timer = QTimer(singleShot=True, timerType=Qt.TimerType.PreciseTimer, timeout=fn)  # type: ignore[call-arg]
        timer.start(max(0, int((monotonic - time.monotonic()) * 1000)))
        timers.append(timer)

    if args.hands:
        install_hands(args, rec, window, bridge, call, at)
    if args.record:
        at(rec.args.start + 1.0, start_recording)  # recording runs through warm-up and window
    at(rec.window_start, window_opens)
    at(rec.window_end, window_closes)
    app.exec()
    window.end_call()
    engine.stop()
    write(rec, impairment)
    return 0


async def _as_coroutine(fn: Any) -> Any:
    return fn()


def write(rec: Recorder, impairment: netem.Impairment | None) -> None:
    out = Path(rec.args.out)
    wall = rec.window_end - rec.window_start
    result = {
        "role": rec.args.role,
        "cpu_percent": round(100 * (rec.cpu_end - rec.cpu_start) / wall, 1),
        "captured": rec.captured,
        "decoded": rec.decoded,
        "painted": rec.painted,
        "annotations_sent": rec.annotations_sent,
        "annotations_painted": rec.annotations_painted,
        "frames_in_window": rec.frames_in_window,
        "bitrate_mbps": round((rec.bytes_sent_end - rec.bytes_sent_start) * 8 / wall / 1e6, 3),
        "window": [rec.window_start, rec.window_end],
        "start": rec.args.start,
        "impairment": {"sent": impairment.sent, "dropped": impairment.dropped}
        if impairment
        else None,
        "errors": rec.errors,
        **rec.extra,
    }
    out.write_text(json.dumps(result))
    if rec.samples:
        np.savez_compressed(
            out.with_suffix(".npz"),
            media_ts=np.array([t for t, _ in rec.samples]),
            # numpy's stubs match the arrays' names against allow_pickle.
            **{f"y{i}": y for i, (_, y) in enumerate(rec.samples)},  # type: ignore[arg-type]
        )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m ultrasound_consult.benchmark.role_window")
    p.add_argument("role", choices=["station", "expert"])
    p.add_argument("--server", required=True)
    p.add_argument("--invite", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--start", type=float, required=True)
    p.add_argument("--warmup", type=float, default=4.0)
    p.add_argument("--duration", type=float, default=20.0)
    p.add_argument("--source", default="synthetic:1024x768@30")
    p.add_argument("--camera", default=None)
    p.add_argument("--audio", action="store_true", help="voice both ways (tones)")
    p.add_argument("--quality", default="diagnostic")
    p.add_argument("--stock", action="store_true")
    p.add_argument("--codec", default="vp8", choices=["vp8", "h264"])
    p.add_argument("--bitrate", type=float, default=None)
    p.add_argument("--network", default="none")
    p.add_argument("--hands", action="store_true")
    p.add_argument("--record", default=None, help="record the call into this bundle folder")
    args = p.parse_args(argv)
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
