"""Mask rectangles drawn once per source, remembered, and applied before anything sees a frame."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.support.calls import connected_with_frames, party
from tests.support.observers import RecordingObserver
from ultrasound_consult.media.convert import video_frame_to_rgb
from ultrasound_consult.media.mask_store import MaskStore, MaskStoreError, parse_rect, source_key
from ultrasound_consult.media.privacy import PrivacyMask
from ultrasound_consult.media.source_spec import open_source
from ultrasound_consult.session.call import CallConfig, ConsultCall


def test_sources_are_known_by_what_stays_the_same():
    assert source_key("device:0:1920x1080@60", "Magewell USB Capture HDMI") == (
        "device:Magewell USB Capture HDMI"
    )
    assert source_key("device:2") == "device:2"
    assert source_key("dicom:/data/a/clip.dcm") == source_key("dicom:/other/clip.dcm")
    assert source_key("synthetic:640x480@30") == source_key("synthetic") == "synthetic"


def test_rectangles_are_parsed_and_checked():
    assert parse_rect("0.75,0,1,0.12") == (0.75, 0.0, 1.0, 0.12)
    with pytest.raises(ValueError, match="fractions of the frame"):
        parse_rect("10,20,30")
    with pytest.raises(ValueError, match=r"within 0\.\.1"):
        parse_rect("0.5,0.5,0.2,0.9")


def test_saved_masks_survive_and_a_damaged_file_is_kept_and_reported(tmp_path):
    store = MaskStore(tmp_path / "cfg" / "masks.json")
    assert store.load("synthetic") is None
    mask = PrivacyMask(top_band=0.08, rects=((0.75, 0.0, 1.0, 0.12),))
    store.save("synthetic", mask)
    store.save("device:Scanner", PrivacyMask())
    assert MaskStore(store.path).load("synthetic") == mask
    assert not list(store.path.parent.glob("*.tmp")), "written atomically"

    store.path.write_text('{"sources": [1, 2')  # a half-written or hand-edited file
    with pytest.raises(MaskStoreError, match=r"could not be read.*kept as"):
        store.load("synthetic")
    (kept,) = store.path.parent.glob("masks.json.damaged-*")
    assert kept.read_text().startswith('{"sources"')
    store.save("synthetic", mask)  # a new file starts cleanly
    assert store.load("synthetic") == mask


def test_a_store_that_cannot_be_written_says_so(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(MaskStoreError, match="applies to this call only"):
        MaskStore(blocker / "masks.json").save("synthetic", PrivacyMask())


async def test_a_rectangle_is_black_at_the_expert(signaling_url, invite):
    source = open_source("synthetic:640x480@30")
    # The phantom prints scanner text (probe, preset, depth) down the left side.
    text = (0.0, 0.1, 0.12, 0.5)
    first = source.render(0)
    assert first[60:230, 5:70].max() > 150
    station = ConsultCall(
        CallConfig.from_invite(signaling_url, invite("station"), "Clinic"),
        RecordingObserver(),
        source=source,
        mask=PrivacyMask(rects=(text,)),
    )
    await station.start()
    try:
        async with party(signaling_url, invite("expert"), "Dr") as ex:
            await connected_with_frames(ex, 10)
    finally:
        await station.stop()
    for f in ex.obs.remote_frames:
        rgb = video_frame_to_rgb(f.frame)
        assert rgb[48 + 8 : 240 - 8, 0 : 76 - 8].max() == 0, "inside the rectangle: black"
        assert rgb[100:400, 200:450].max() > 50, "the image itself is untouched"


def test_the_command_line_remembers_a_mask(tmp_path, invite):
    env = {"ULTRASOUND_CONSULT_CONFIG": str(tmp_path), "PATH": "/usr/bin:/bin"}
    base = [
        sys.executable,
        "-m",
        "ultrasound_consult",
        "station",
        "--server",
        "ws://127.0.0.1:9/",
        "--invite",
        invite("station"),
        "--headless",
        "--duration",
        "0",
    ]
    first = subprocess.run(
        [*base, "--mask-rect", "0.75,0,1,0.12", "--remember-mask"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert "privacy mask remembered for synthetic: top 10% and 1 rectangle" in first.stderr
    saved = json.loads((tmp_path / "masks.json").read_text())
    assert saved["sources"]["synthetic"]["rects"] == [[0.75, 0.0, 1.0, 0.12]]
    again = subprocess.run(base, capture_output=True, text=True, env=env, timeout=60)
    assert "privacy mask for synthetic (remembered): top 10% and 1 rectangle" in again.stderr
    bad = subprocess.run([*base, "--mask-rect", "1,2"], capture_output=True, text=True, env=env)
    assert bad.returncode == 2 and "fractions of the frame" in bad.stderr
