"""How fast a long recording opens and seeks: ``ultrasound-consult bench --replay``.

Records a bundle of the given length from the synthetic phantom through the real
recorder (1024x768, 30 fps, an annotation every 2 s and a pointer at 30 Hz), then
opens it and times: opening (indexing), random seeks (frame decoded plus what is
drawn on it), and sequential playback. Prints one JSON object.
"""

from __future__ import annotations

import asyncio
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from ultrasound_consult.benchmark.percentiles import summary
from ultrasound_consult.media.source_spec import open_source
from ultrasound_consult.protocol.annotation import Annotation, AnnotationKind
from ultrasound_consult.protocol.channel import AnnotationAdd, Pointer
from ultrasound_consult.record.bundle import ULTRASOUND, SessionInfo
from ultrasound_consult.record.recorder import BundleRecorder
from ultrasound_consult.record.session_bundle import SessionBundle


async def _frames(spec: str, count: int):
    # The phantom renders each frame on the fly; a cycle of distinct frames keeps the
    # content realistic for the encoder without spending the run on rendering.
    source = open_source(spec)
    await source.start()
    cycle = [await source.next_frame() for _ in range(count)]
    await source.stop()
    return cycle


def record_bundle(folder: Path, minutes: float, spec: str, fps: float = 30.0) -> dict[str, Any]:
    cycle = asyncio.run(_frames(spec, 90))
    frames = round(minutes * 60 * fps)
    recorder = BundleRecorder(folder, SessionInfo("bench", "bench", "station", "bench"),
                              queue_frames=10**9)  # fmt: skip
    recorder.add_track(ULTRASOUND, fps=fps)
    recorder.start()
    started = time.perf_counter()
    for i in range(frames):
        t = i / fps
        recorder.video(ULTRASOUND, t, image=cycle[i % len(cycle)].image)
        if i % round(fps / 30) == 0:
            p = Pointer(i, 0.5, 0.5, "bench", True, t)
            recorder.event("pointer", by="bench", data=p.to_wire(), t=t)
        if i % round(2 * fps) == 0:
            ann = Annotation(f"a{i}", AnnotationKind.MARK, ((0.3, 0.4),), "bench", media_ts=t)
            recorder.event("ann.add", by="bench", data=AnnotationAdd(f"o{i}", ann).to_wire(),
                           t=t, anchor=t)  # fmt: skip
        # Keep the queue short so memory stays flat: wait for the writer now and then.
        while recorder.stats[ULTRASOUND].queued - recorder.stats[ULTRASOUND].written > 60:
            time.sleep(0.005)
    recorder.stop("benchmark done")
    return {
        "frames": frames,
        "record_s": round(time.perf_counter() - started, 1),
        "bytes": (folder / "video-ultrasound.mp4").stat().st_size,
    }


def run_replay_bench(minutes: float = 30.0, spec: str = "synthetic:1024x768@30",
                     seeks: int = 200) -> dict[str, Any]:  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="uc-replay-") as tmp:
        folder = Path(tmp) / "bundle"
        made = record_bundle(folder, minutes, spec)
        t0 = time.perf_counter()
        bundle = SessionBundle.open(folder)
        reader = bundle.reader(ULTRASOUND)
        timeline = bundle.timeline
        open_s = time.perf_counter() - t0
        rng = random.Random(7)
        seek_ms = []
        for _ in range(seeks):
            i = rng.randrange(len(reader))
            t = time.perf_counter()
            reader.frame(i)
            timeline.state_at(reader.media_ts(i))
            seek_ms.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        span = range(len(reader) // 2, min(len(reader), len(reader) // 2 + 300))
        for i in span:
            reader.frame(i)
            timeline.state_at(reader.media_ts(i))
        play_fps = len(span) / (time.perf_counter() - t)
        report = bundle.check()
        bundle.close()
    return {
        "benchmark": "replay",
        "minutes": minutes,
        "source": spec,
        "recorded": made,
        "events": report["events"]["total"],
        "open_s": round(open_s, 2),
        "seek_ms": summary(seek_ms, 50, 95, 100),
        "sequential_decode_fps": round(play_fps, 1),
    }
