"""What the station tells others (and records) about its video source: a neutral label.

A source's own description names its file, and files exported from a scanner are often
named after the patient ("DOE^JANE_12345.dcm"). What leaves the station, and what goes
into a recording, is only the kind of source, the scanner's make and model (for DICOM),
the picture size and the frame rate: never a path or a file name.
"""

from __future__ import annotations

import logging

from ultrasound_consult.media.capture import CaptureSource
from ultrasound_consult.media.dicom import DicomCineSource
from ultrasound_consult.media.file_source import VideoFileSource
from ultrasound_consult.media.phantom import SyntheticSource
from ultrasound_consult.media.source import VideoSource
from ultrasound_consult.media.testcard import TestCardSource
from ultrasound_consult.protocol.errors import ProtocolError
from ultrasound_consult.protocol.fields import check_text

logger = logging.getLogger(__name__)

_KINDS: tuple[tuple[type[VideoSource], str], ...] = (
    (DicomCineSource, "DICOM cine"),
    (VideoFileSource, "Video file"),
    (SyntheticSource, "Synthetic phantom"),
    (TestCardSource, "Test card"),
    (CaptureSource, "Capture card"),
)
#: Make and model are free text in the file: kept short and to printable characters.
MAX_MODEL_CHARS = 64


def source_label(source: VideoSource | None) -> str:
    """``"DICOM cine (GE Vivid E9), 800x600 @ 30 fps"``; ``""`` without a source."""
    if source is None:
        return ""
    info = source.info
    kind = next((name for cls, name in _KINDS if isinstance(source, cls)), "Video source")
    if isinstance(source, DicomCineSource):
        model = scanner_model(source)
        if model:
            kind = f"{kind} ({model})"
    return f"{kind}, {info.width}x{info.height} @ {info.fps:.3g} fps"


def scanner_model(source: DicomCineSource) -> str:
    """The scanner's Manufacturer and ManufacturerModelName, read from the file's header."""
    try:
        import pydicom

        ds = pydicom.dcmread(
            source.path,
            stop_before_pixels=True,
            specific_tags=["Manufacturer", "ManufacturerModelName"],
        )
    except Exception as exc:  # a header it read once already; the label can do without
        logger.info("no scanner model for the source label: %s", type(exc).__name__)
        return ""
    words = " ".join(
        str(getattr(ds, tag, "") or "") for tag in ("Manufacturer", "ManufacturerModelName")
    )
    text = "".join(c for c in words if c.isprintable()).strip()[:MAX_MODEL_CHARS]
    try:
        return check_text(text, "model")
    except ProtocolError:
        return ""
