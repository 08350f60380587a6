"""Video files generated for tests with PyAV (real encoded media, written to disk)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from ultrasound_consult.media.phantom import PhantomGenerator


def write_phantom_video(
    path: Path, *, frames: int = 30, width: int = 320, height: int = 240, fps: int = 30
) -> Path:
    gen = PhantomGenerator(width, height, fps, seed=3)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264" if path.suffix == ".mp4" else "mpeg4", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.time_base = Fraction(1, fps)
        for i in range(frames):
            gray = gen.frame(i)
            frame = av.VideoFrame.from_ndarray(np.dstack([gray] * 3), format="rgb24")
            frame.pts = i
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path
