"""Source specifications as typed on the command line, and opening them.

``synthetic[:WxH[@FPS]]``, ``testcard[:WxH[@FPS]]``, ``dicom:PATH``, ``file:PATH``,
``device:N[:WxH[@FPS]]``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ultrasound_consult.media.source import SourceError, VideoSource

SPEC_HELP = (
    "synthetic[:WxH[@FPS]] (built-in phantom), dicom:PATH (DICOM image or cine), "
    "file:PATH (video file), device:N[:WxH[@FPS]] (capture card N), "
    "testcard[:WxH[@FPS]] (moving colour card, for the second camera)"
)

_MODE_RE = re.compile(r"^(?P<w>\d{2,5})x(?P<h>\d{2,5})(?:@(?P<fps>\d+(?:\.\d+)?))?$")


@dataclass(frozen=True)
class SourceSpec:
    kind: str  # synthetic | testcard | dicom | file | device
    path: str | None = None
    device: int | None = None
    width: int | None = None
    height: int | None = None
    fps: float | None = None

    def __str__(self) -> str:
        mode = ""
        if self.width and self.height:
            mode = f":{self.width}x{self.height}" + (f"@{self.fps:g}" if self.fps else "")
        if self.kind in ("dicom", "file"):
            return f"{self.kind}:{self.path}"
        if self.kind == "device":
            return f"device:{self.device}{mode}"
        return f"{self.kind}{mode}"


def parse_source_spec(text: str) -> SourceSpec:
    """Parse a source spec; raises :class:`SourceError` with the accepted forms."""
    kind, _, rest = text.strip().partition(":")
    kind = kind.lower()
    if kind in ("synthetic", "testcard"):
        return SourceSpec(kind, **_mode(rest, text))
    if kind in ("dicom", "file"):
        if not rest:
            raise SourceError(f"'{text}': give a path, as in {kind}:/path/to/clip")
        return SourceSpec(kind, path=rest)
    if kind == "device":
        index, _, mode = rest.partition(":")
        if not index.isdigit():
            raise SourceError(f"'{text}': give the device number, as in device:0")
        return SourceSpec("device", device=int(index), **_mode(mode, text))
    raise SourceError(f"unknown source '{text}'. Use one of: {SPEC_HELP}")


def _mode(text: str, whole: str) -> dict:
    if not text:
        return {}
    m = _MODE_RE.match(text)
    if not m:
        raise SourceError(f"'{whole}': the mode must look like 1024x768 or 1920x1080@59.94")
    fps = float(m["fps"]) if m["fps"] else None
    if fps is not None and not 1 <= fps <= 240:
        raise SourceError(f"'{whole}': frame rate must be between 1 and 240")
    return {"width": int(m["w"]), "height": int(m["h"]), "fps": fps}


def open_source(spec: SourceSpec | str, *, seed: int = 0) -> VideoSource:
    """Build the source a spec names. Files are checked now; devices open on start."""
    if isinstance(spec, str):
        spec = parse_source_spec(spec)
    if spec.kind == "synthetic":
        from ultrasound_consult.media.phantom import SyntheticSource

        return SyntheticSource(spec.width or 1024, spec.height or 768, spec.fps or 30.0, seed=seed)
    if spec.kind == "testcard":
        from ultrasound_consult.media.testcard import TestCardSource

        return TestCardSource(spec.width or 640, spec.height or 360, spec.fps or 15.0)
    if spec.kind == "dicom":
        from ultrasound_consult.media.dicom import DicomCineSource

        return DicomCineSource(spec.path or "")
    if spec.kind == "file":
        from ultrasound_consult.media.file_source import VideoFileSource

        return VideoFileSource(spec.path or "")
    if spec.kind == "device":
        from ultrasound_consult.media.capture import CaptureSource

        return CaptureSource(spec.device or 0, width=spec.width, height=spec.height, fps=spec.fps)
    raise SourceError(f"unknown source kind {spec.kind!r}")  # pragma: no cover
