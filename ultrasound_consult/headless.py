"""Headless station and expert: a real call without windows, for automation and servers.

Prints progress to stderr and, at exit, exactly one JSON line on stdout summarising
the call. Never imports Qt.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import signal
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from ultrasound_consult.media.audio import AudioCapture, AudioOutput
from ultrasound_consult.media.camera import open_camera
from ultrasound_consult.media.privacy import PrivacyMask
from ultrasound_consult.media.source import SourceError
from ultrasound_consult.media.source_spec import open_source
from ultrasound_consult.protocol.annotation import AnnotationKind
from ultrasound_consult.protocol.signaling import ANNOTATING_ROLES, Role
from ultrasound_consult.session.call import CallConfig, CallError, ConsultCall
from ultrasound_consult.session.observer import CallObserver, CallState
from ultrasound_consult.session.recording import default_folder
from ultrasound_consult.session.signaling_client import describe_server

EXIT_OK = 0
EXIT_CALL_FAILED = 1
EXIT_BAD_INPUT = 2


class ProgressLog(CallObserver):
    """Tells a person at the terminal what is happening (stderr)."""

    def __init__(self, out: TextIO = sys.stderr) -> None:
        self.out = out
        self.connected = asyncio.Event()
        self.first_frame = asyncio.Event()

    def _say(self, text: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {text}", file=self.out, flush=True)

    def on_state(self, state: CallState, detail: str) -> None:
        self._say(f"{state.value}: {detail}")
        if state is CallState.CONNECTED:
            self.connected.set()
        else:
            self.connected.clear()

    def on_error(self, code: str, message: str) -> None:
        self._say(f"error ({code}): {message}")

    def on_server(self, connected: bool, detail: str) -> None:
        self._say(f"signalling server {'back' if connected else 'lost'}: {detail}")

    def on_remote_frame(self, frame: Any) -> None:
        self.first_frame.set()

    def on_recording(self, recorders: tuple[str, ...], mine: bool) -> None:
        self._say(f"recording by: {', '.join(recorders)}" if recorders else "nobody is recording")


async def report_recording(call: ConsultCall, log: ProgressLog) -> None:
    """Once a second, how much this side has recorded (stderr)."""
    while call.journal.recording is not None:
        await asyncio.sleep(1.0)
        recording = call.journal.recording
        if recording is None:
            break
        stats = recording.recorder.stats
        frames = sum(s.written for s in stats.values())
        dropped = sum(s.dropped for s in stats.values())
        log._say(f"recorded: {frames} frames, {dropped} dropped, in {recording.folder}")


async def autopilot(call: ConsultCall, log: ProgressLog, every_s: float) -> None:
    """A scripted expert: moves the pointer at 30 Hz and draws a mark or arrow every ``every_s``."""
    await log.first_frame.wait()
    step, next_mark = 0, time.perf_counter() + every_s
    while True:
        t = step / 30.0
        x, y = 0.5 + 0.3 * math.sin(t * 0.9), 0.55 + 0.25 * math.sin(t * 1.3)
        if log.connected.is_set():
            call.collab.pointer.move(x, y)
            if time.perf_counter() >= next_mark:
                next_mark += every_s
                with contextlib.suppress(CallError):
                    if step % 2:
                        call.collab.add_annotation(AnnotationKind.ARROW, ((x, y), (0.5, 0.5)))
                    else:
                        call.collab.add_annotation(AnnotationKind.MARK, ((x, y),))
        step += 1
        await asyncio.sleep(1 / 30)


async def run_headless(
    config: CallConfig,
    *,
    source_spec: str | None = None,
    mask: PrivacyMask | None = None,
    duration: float | None = None,
    auto_annotate: float = 0.0,
    audio: AudioCapture | None = None,
    speaker: AudioOutput | None = None,
    camera_spec: str | None = None,
    record: Path | None = None,
    log_out: TextIO = sys.stderr,
    log: ProgressLog | None = None,
) -> tuple[dict[str, Any], int]:
    """``log``: a :class:`ProgressLog` of the caller's (the consult service's headless
    modes time the first frame with it)."""
    log = log or ProgressLog(log_out)
    extra: dict[str, Any] = {"room": config.room, "server": describe_server(config.server_url)}
    source = None
    if config.role is Role.STATION:
        try:
            source = open_source(source_spec or "synthetic")
        except SourceError as exc:
            log.on_error("source_unavailable", str(exc))
            return {
                "role": config.role.value,
                **extra,
                "errors": [f"source_unavailable: {exc}"],
            }, EXIT_BAD_INPUT
        extra["source"] = source.info.description
    camera = None
    if camera_spec and source is not None:
        try:
            camera = open_camera(camera_spec)
        except SourceError as exc:  # the ultrasound goes on without it
            log.on_error("camera_unavailable", f"{exc}; the ultrasound goes on without it")
            extra["camera_error"] = str(exc)
    call = ConsultCall(
        config, log, source=source, mask=mask, audio=audio, speaker=speaker, camera=camera
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    started = time.perf_counter()
    try:
        await call.start()
    except CallError:
        return call.stats.summary(**extra, duration_s=0.0, state=call.state.value), EXIT_CALL_FAILED
    reporter = None
    if record is not None:
        try:
            folder = call.start_recording(default_folder(record, config.room, config.role.value))
        except CallError as exc:
            log.on_error("recording_failed", str(exc))
            extra["recording"] = {"failed": str(exc)}
        else:
            log._say(f"recording to {folder}")
            reporter = asyncio.create_task(report_recording(call, log))
    pilot = None
    if auto_annotate > 0 and config.role in ANNOTATING_ROLES:
        pilot = asyncio.create_task(autopilot(call, log, auto_annotate))
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=duration)
    if pilot is not None:
        pilot.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await pilot
    state_at_end = call.state.value
    recording = call.journal.recording
    await call.stop()
    if reporter is not None:
        reporter.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reporter
    if recording is not None:
        stats = recording.recorder.stats
        extra["recording"] = {
            "folder": str(recording.folder),
            "frames": {n: s.written for n, s in stats.items()},
            "dropped": {n: s.dropped for n, s in stats.items()},
            "events": recording.recorder.events_written,
            "failed": recording.failed,
        }
    extra["duration_s"] = round(time.perf_counter() - started, 2)
    extra["state"] = state_at_end
    return call.stats.summary(**extra), EXIT_OK


def run_headless_main(config: CallConfig, **kwargs: Any) -> int:
    summary, code = asyncio.run(run_headless(config, **kwargs))
    print(json.dumps(summary, ensure_ascii=False), flush=True)
    return code
