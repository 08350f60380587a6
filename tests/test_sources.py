"""Sources: spec parsing, real DICOM files, generated video files, the capture path."""

from __future__ import annotations

import asyncio
import time

import numpy as np
import pytest

from tests.support.media_files import write_phantom_video
from ultrasound_consult.media.capture import CaptureSource, list_capture_devices
from ultrasound_consult.media.dicom import DicomCineSource
from ultrasound_consult.media.file_source import VideoFileSource
from ultrasound_consult.media.phantom import SyntheticSource
from ultrasound_consult.media.source import SourceError
from ultrasound_consult.media.source_spec import SourceSpec, open_source, parse_source_spec


@pytest.mark.parametrize(
    ("text", "spec"),
    [
        ("synthetic", SourceSpec("synthetic")),
        ("synthetic:1920x1080@59.94", SourceSpec("synthetic", width=1920, height=1080, fps=59.94)),
        ("dicom:/data/a b.dcm", SourceSpec("dicom", path="/data/a b.dcm")),
        ("file:C:\\clips\\x.mp4", SourceSpec("file", path="C:\\clips\\x.mp4")),
        ("device:2", SourceSpec("device", device=2)),
        ("device:0:1280x720@30", SourceSpec("device", device=0, width=1280, height=720, fps=30.0)),
    ],
)
def test_specs_parse(text, spec):
    assert parse_source_spec(text) == spec
    assert parse_source_spec(str(spec)) == spec


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("camera", "unknown source"),
        ("dicom:", "give a path"),
        ("device:x", "device number"),
        ("synthetic:big", "1024x768"),
        ("synthetic:640x480@999", "frame rate"),
    ],
)
def test_bad_specs_say_what_to_type(text, words):
    with pytest.raises(SourceError, match=words):
        parse_source_spec(text)


def test_missing_files_are_clear_errors(tmp_path):
    with pytest.raises(SourceError, match="not found"):
        open_source(f"dicom:{tmp_path / 'nope.dcm'}")
    with pytest.raises(SourceError, match="not found"):
        open_source(f"file:{tmp_path / 'nope.mp4'}")
    junk = tmp_path / "junk.dcm"
    junk.write_bytes(b"\x00" * 50)
    with pytest.raises(SourceError, match="not a readable DICOM"):
        open_source(f"dicom:{junk}")
    with pytest.raises(SourceError, match="cannot open"):
        open_source(f"file:{junk}")


def test_real_sonosite_cine(color_cine):
    src = DicomCineSource(color_cine)
    assert src.frame_count == 30
    assert (src.info.width, src.info.height) == (320, 240)
    assert src.info.fps == pytest.approx(30.0, abs=0.01)  # FrameTime 33.333 ms
    frame = src.render(0)
    assert frame.shape == (240, 320, 3) and frame.dtype == np.uint8
    # Its regions describe a 640x480 image: calibration must be refused, with a warning.
    assert src.info.calibration is None
    assert src.info.warnings and "outside the 320x240 image" in src.info.warnings[0]
    assert "SonoSite" in src.info.description


def test_real_philips_frame_is_grey_and_calibrated(grey_banner_frame):
    src = DicomCineSource(grey_banner_frame)
    assert (src.info.width, src.info.height) == (1024, 768)
    frame = src.render(5)
    assert frame.shape == (768, 1024), "MONOCHROME2 stays single-channel"
    cal = src.info.calibration
    assert cal is not None and cal.origin == "dicom"
    assert cal.mm_per_px_x == pytest.approx(0.064904689685, rel=1e-9)
    (region,) = src.info.image_regions
    assert (region.x0, region.y0, region.x1, region.y1) == (14, 38, 1010, 758)
    frame[:10] = 77  # render() hands out a copy the mask may write into
    assert not (src.render(5)[:10] == 77).all()


async def test_paced_source_keeps_the_rate_and_never_builds_a_backlog():
    src = SyntheticSource(160, 120, fps=50)
    await src.start()
    first = await src.next_frame()
    t0 = time.perf_counter()
    frames = [await src.next_frame() for _ in range(10)]
    elapsed = time.perf_counter() - t0
    assert [f.index for f in frames] == list(range(first.index + 1, first.index + 11))
    assert elapsed >= 9 * 0.02 * 0.9, "frames come at the source rate, not faster"
    # A consumer that stalls for a while gets the current frame, not the ones it missed.
    stall_until = time.perf_counter() + 0.2
    while time.perf_counter() < stall_until:  # busy, as a slow consumer would be
        pass
    late = await src.next_frame()
    assert late.index >= frames[-1].index + 8
    assert late.media_ts == pytest.approx(late.index / 50)


async def test_video_file_source_loops(tmp_path):
    path = write_phantom_video(tmp_path / "clip.mp4", frames=12, width=320, height=240, fps=30)
    src = VideoFileSource(path)
    assert (src.info.width, src.info.height) == (320, 240)
    assert src.info.fps == pytest.approx(30)
    frames = [src.render(i) for i in range(30)]  # beyond the end: loops
    assert all(f.shape == (240, 320, 3) for f in frames)
    assert np.abs(frames[0].astype(int) - frames[12].astype(int)).mean() < 2, (
        "frame 12 is frame 0 again"
    )
    await src.stop()


async def test_capture_path_delivers_then_reports_the_device_gone(tmp_path):
    # No capture card here: a generated file goes through the same VideoCapture reader
    # thread; its end is what an unplugged card looks like.
    path = write_phantom_video(tmp_path / "card.mp4", frames=20, width=320, height=240, fps=30)
    src = CaptureSource(str(path))
    await src.start()
    assert (src.info.width, src.info.height) == (320, 240)
    got = []
    with pytest.raises(SourceError, match="stopped delivering video"):
        for _ in range(100):
            got.append(await src.next_frame())
    assert got and got[0].image.shape == (240, 320, 3)
    assert [f.index for f in got] == list(range(len(got)))
    await src.stop()


async def test_missing_capture_device_says_what_to_check():
    src = CaptureSource(63)
    with pytest.raises(SourceError, match="capture card"):
        await src.start()


def test_device_listing_does_not_fail():
    assert isinstance(list_capture_devices(), list)


async def test_capture_reader_keeps_only_the_newest_frame(tmp_path):
    path = write_phantom_video(tmp_path / "fast.mp4", frames=60, width=160, height=120, fps=30)
    src = CaptureSource(str(path))
    await src.start()
    await src.next_frame()
    # The file "device" delivers as fast as it can decode while nobody reads.
    await asyncio.wait_for(asyncio.to_thread(src._thread.join, 10), 15)
    newest = await src.next_frame()
    last_in_file = VideoFileSource(path).render(59)
    assert np.abs(newest.image.astype(int) - last_in_file.astype(int)).mean() < 1, (
        "after falling behind, the consumer gets the newest frame, not the next queued one"
    )
    with pytest.raises(SourceError):
        await src.next_frame()
    await src.stop()
