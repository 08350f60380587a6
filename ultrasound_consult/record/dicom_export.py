"""A recording (or a range of it) as one DICOM file for a PACS or a teaching file.

Ultrasound Multi-frame Image when the scale is known (it travels as a
SequenceOfUltrasoundRegions, so a DICOM viewer measures in mm); Multi-frame Secondary
Capture with Conversion Type "DV" (digitised video) otherwise. Frames are JPEG
Baseline, marked as lossy (they were H.264 before). No patient attribute was ever
recorded: the patient module holds placeholders, ``PatientIdentityRemoved`` is YES,
and ``BurnedInAnnotation`` is NO because the privacy mask blacked out the banner
before any pixel was recorded.
"""

from __future__ import annotations

import hashlib
import io
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pydicom
from PIL import Image
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.uid import UID, JPEGBaseline8Bit, generate_uid

from ultrasound_consult import __version__
from ultrasound_consult.annotate.calibration import calibration_of
from ultrasound_consult.record.bundle import ULTRASOUND
from ultrasound_consult.record.export import ExportError, frame_range
from ultrasound_consult.record.session_bundle import SessionBundle

US_MULTIFRAME = UID("1.2.840.10008.5.1.4.1.1.3.1")
SC_MULTIFRAME_GREY = UID("1.2.840.10008.5.1.4.1.1.7.2")
SC_MULTIFRAME_COLOR = UID("1.2.840.10008.5.1.4.1.1.7.4")
#: A DICOM file holds at most this many frames (a minute at 30 fps); export a range.
MAX_FRAMES = 1800
JPEG_QUALITY = 95


@dataclass(frozen=True)
class DicomSummary:
    path: Path
    sop_class: str
    frames: int
    calibrated: bool
    color: bool


def export_dicom(
    bundle: SessionBundle,
    out: Path,
    *,
    start_s: float | None = None,
    end_s: float | None = None,
) -> DicomSummary:
    reader = bundle.reader(ULTRASOUND)
    span = frame_range(bundle, start_s, end_s)
    count = span.last - span.first + 1
    if count > MAX_FRAMES:
        raise ExportError(
            f"{count} frames is more than one DICOM file should hold ({MAX_FRAMES}); "
            "export a range with --from and --to"
        )
    frames = [reader.frame(i) for i in range(span.first, span.last + 1)]
    color = any(f.ndim == 3 for f in frames)
    if color:
        frames = [f if f.ndim == 3 else np.repeat(f[:, :, None], 3, axis=2) for f in frames]
    height, width = frames[0].shape[:2]
    fragments = [_jpeg(f) for f in frames]
    state = bundle.timeline.state_at(reader.media_ts(span.last))
    calibration = calibration_of(state.calibration)
    calib_msg = state.calibration
    ds = _dataset(bundle, color=color, calibrated=calibration is not None)
    ds.Rows, ds.Columns = height, width
    ds.NumberOfFrames = count
    ds.FrameIncrementPointer = pydicom.tag.Tag("FrameTime")
    duration = reader.media_ts(span.last) - reader.media_ts(span.first)
    ds.FrameTime = f"{1000.0 * duration / max(1, count - 1):.3f}" if count > 1 else "33.333"
    ds.CineRate = round(1000.0 / float(ds.FrameTime))
    ds.RecommendedDisplayFrameRate = ds.CineRate
    ds.StartTrim, ds.StopTrim = 1, count
    raw = height * width * (3 if color else 1) * count
    ds.LossyImageCompressionRatio = [f"{raw / max(1, sum(map(len, fragments))):.2f}"[:16]]
    if calibration is not None and calib_msg is not None:
        # The scale was for the transmitted frame; the record may be smaller.
        sx = calib_msg.width / width
        sy = calib_msg.height / height
        region = Dataset()
        region.RegionSpatialFormat = 1  # 2D
        region.RegionDataType = 1  # tissue
        region.RegionFlags = 0
        region.RegionLocationMinX0, region.RegionLocationMinY0 = 0, 0
        region.RegionLocationMaxX1, region.RegionLocationMaxY1 = width - 1, height - 1
        region.PhysicalUnitsXDirection = 3  # cm
        region.PhysicalUnitsYDirection = 3
        region.PhysicalDeltaX = calibration.mm_per_px_x * sx / 10.0
        region.PhysicalDeltaY = calibration.mm_per_px_y * sy / 10.0
        ds.SequenceOfUltrasoundRegions = [region]
    ds.PixelData = encapsulate(fragments)
    ds["PixelData"].VR = "OB"
    ds["PixelData"].is_undefined_length = True
    try:
        ds.save_as(out, enforce_file_format=True)
    except OSError as exc:
        raise ExportError(f"could not write {out}: {exc.strerror or exc}") from None
    return DicomSummary(Path(out), ds.SOPClassUID, count, calibration is not None, color)


def _jpeg(image: np.ndarray) -> bytes:
    buf = io.BytesIO()
    pil = Image.fromarray(np.ascontiguousarray(image))
    # 4:2:2 chroma for colour: what YBR_FULL_422 says the stream holds.
    pil.save(buf, "JPEG", quality=JPEG_QUALITY, subsampling=1 if image.ndim == 3 else 0)
    return buf.getvalue()


def _dataset(bundle: SessionBundle, *, color: bool, calibrated: bool) -> Dataset:
    info = bundle.info
    started = info.started_wall or time.time()
    sop_class = (
        US_MULTIFRAME if calibrated else SC_MULTIFRAME_COLOR if color else SC_MULTIFRAME_GREY
    )
    sop_instance = generate_uid()
    # Same recording -> same study and series, so several exports group together.
    seed = f"{info.room}|{info.recorded_by}|{started}"
    study_uid = generate_uid(entropy_srcs=[seed, "study"])
    series_uid = generate_uid(entropy_srcs=[seed, "series", sop_class])

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = sop_instance
    meta.TransferSyntaxUID = JPEGBaseline8Bit
    meta.ImplementationVersionName = f"USCONSULT_{__version__}"[:16]

    ds = Dataset()
    ds.file_meta = meta
    ds.SpecificCharacterSet = "ISO_IR 192"  # UTF-8: names may be Chinese
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = sop_instance
    when = time.localtime(started)
    date, clock = time.strftime("%Y%m%d", when), time.strftime("%H%M%S", when)
    ds.StudyDate = ds.SeriesDate = ds.ContentDate = ds.AcquisitionDate = date
    ds.StudyTime = ds.SeriesTime = ds.ContentTime = ds.AcquisitionTime = clock
    ds.InstanceCreationDate = time.strftime("%Y%m%d")
    ds.InstanceCreationTime = time.strftime("%H%M%S")
    # Patient: nothing was recorded about them; placeholders the PACS can match on.
    ds.PatientName = "ANONYMOUS^PATIENT"
    ds.PatientID = "USC-" + hashlib.sha256(seed.encode()).hexdigest()[:12].upper()
    ds.PatientBirthDate = ""
    ds.PatientSex = ""
    ds.PatientIdentityRemoved = "YES"
    ds.DeidentificationMethod = (
        "ultrasound-consult: patient banner masked at the source before recording; "
        "no patient attributes recorded"
    )[:64]
    ds.StudyInstanceUID = study_uid
    ds.SeriesInstanceUID = series_uid
    ds.StudyID = hashlib.sha256(seed.encode()).hexdigest()[:8].upper()
    ds.AccessionNumber = ""
    ds.ReferringPhysicianName = ""
    ds.StudyDescription = f"Remote ultrasound consult {info.room}"[:64]
    ds.SeriesDescription = f"Recorded by {info.recorded_by} ({info.recorder_role})"[:64]
    ds.Modality = "US"
    ds.SeriesNumber = 1
    # Type 2C: dciodvfy wants it present; empty = unknown (a scan may be of either side).
    ds.Laterality = ""
    ds.InstanceNumber = 1
    ds.PatientOrientation = ""
    ds.Manufacturer = "ultrasound-consult"
    ds.SoftwareVersions = __version__
    ds.BurnedInAnnotation = "NO"
    ds.SamplesPerPixel = 3 if color else 1
    ds.PhotometricInterpretation = "YBR_FULL_422" if color else "MONOCHROME2"
    if color:
        ds.PlanarConfiguration = 0
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = 8, 8, 7
    ds.PixelRepresentation = 0
    ds.LossyImageCompression = "01"
    ds.LossyImageCompressionMethod = ["ISO_14496_10", "ISO_10918_1"]
    ds.ImageType = ["DERIVED", "SECONDARY"]
    if sop_class != US_MULTIFRAME:
        ds.ConversionType = "DV"  # digitised video: the scanner's video output
        if not color:
            ds.PresentationLUTShape = "IDENTITY"
            ds.RescaleIntercept, ds.RescaleSlope, ds.RescaleType = 0, 1, "US"
    return ds
