"""A real recorded consult, then everything a reviewer takes from it: check, PNG, MP4,
DICOM (validated by dciodvfy), WebVTT, the HTML report, and reviews."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import av
import cv2
import numpy as np
import pydicom
import pytest

from ultrasound_consult.record.bundle import SESSION_FILE, ULTRASOUND
from ultrasound_consult.record.dicom_export import SC_MULTIFRAME_GREY, US_MULTIFRAME
from ultrasound_consult.record.review import Comment, Review, ReviewError, load_reviews, save_review
from ultrasound_consult.record.session_bundle import SessionBundle
from ultrasound_consult.session.collab import DEFAULT_COLOR

CLI = [sys.executable, "-m", "ultrasound_consult"]


def frames_between(folder: Path, start: float, end: float) -> int:
    """Frames the bundle holds from ``start`` to ``end`` s (a loaded machine skips some)."""
    reader = SessionBundle.open(folder).reader(ULTRASOUND)
    first = reader.index_at(reader.media_ts(0) + start)
    return reader.index_at(reader.media_ts(0) + end) - first + 1


@pytest.fixture
def recorded(recorded_bundle):
    return recorded_bundle


def test_check_reports_a_complete_recording(recorded):
    folder, _ = recorded
    proc = subprocess.run(
        [*CLI, "replay", str(folder), "--check"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1
    report = json.loads(lines[0])
    assert report["ok"] and report["complete"] and report["problems"] == []
    assert report["tracks"]["ultrasound"]["frames"] >= 60
    assert 1.5 < report["duration_s"] < 10
    assert report["events"]["by_type"]["ann.add"] == 1
    assert report["events"]["by_type"]["marker"] == 1
    assert report["events"]["first_media_ts"] <= report["events"]["last_media_ts"]


def test_png_with_and_without_annotations(recorded, tmp_path):
    folder, facts = recorded
    bundle = SessionBundle.open(folder)
    reader = bundle.reader(ULTRASOUND)
    # 5 ms into the caliper's frame (frames are 33 ms apart): the text form of --at
    # rounds, and a time a hair before the frame belongs to the frame before it.
    at = facts["caliper_ts"] - reader.media_ts(0) + 0.005
    for flag, name in ((None, "burned.png"), ("--clean", "clean.png")):
        args = [*CLI, "export", str(folder), "--png", str(tmp_path / name), "--at", f"{at:.4f}"]
        proc = subprocess.run(args + ([flag] if flag else []), capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
    burned = cv2.imread(str(tmp_path / "burned.png"))[:, :, ::-1]
    clean = cv2.imread(str(tmp_path / "clean.png"))
    assert burned.shape[:2] == (480, 640) == clean.shape[:2]
    # The caliper line runs at y = 0.4 between x = 0.3 and 0.6, in its colour.
    want = np.array([int(DEFAULT_COLOR[i : i + 2], 16) for i in (1, 3, 5)])
    row = burned[round(0.4 * 479) - 2 : round(0.4 * 479) + 3, 250:360].reshape(-1, 3)
    assert (np.abs(row.astype(int) - want).sum(axis=1) < 60).mean() > 0.15
    assert np.abs(clean.astype(int)[:, :, 0] - burned[:, :, 0]).max() > 100


def test_mp4_range_with_burn_in_plays_anywhere(recorded, tmp_path):
    folder, _ = recorded
    out = tmp_path / "clip.mp4"
    proc = subprocess.run(
        [
            *CLI,
            "export",
            str(folder),
            "--mp4",
            str(out),
            "--burn-in",
            "--from",
            "0.5",
            "--to",
            "1.5",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    written = json.loads(proc.stdout)["frames"]
    assert written == frames_between(folder, 0.5, 1.5) and written > 10
    with av.open(str(out)) as container:
        stream = container.streams.video[0]
        frames = list(container.decode(stream))
    assert len(frames) == written
    assert (frames[0].width, frames[0].height) == (640, 480)
    assert abs(float(frames[-1].pts * stream.time_base) - 1.0) < 0.1


@pytest.mark.parametrize("calibrated", [True, False], ids=["us-multiframe", "secondary-capture"])
def test_dicom_passes_dciodvfy_with_no_errors(recorded, tmp_path, calibrated):
    folder, _ = recorded
    if not calibrated:
        copy = tmp_path / "uncalibrated"
        shutil.copytree(folder, copy)
        info = json.loads((copy / SESSION_FILE).read_text())
        info["calibration"] = None
        (copy / SESSION_FILE).write_text(json.dumps(info))
        # ... and no scale among the events either (recordings log the one in force).
        events = copy / "events.jsonl"
        kept = [line for line in events.read_text().splitlines() if '"type":"calib"' not in line]
        events.write_text("\n".join(kept) + "\n")
        folder = copy
    out = tmp_path / "clip.dcm"
    proc = subprocess.run(
        [*CLI, "export", str(folder), "--dicom", str(out), "--to", "1.0"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    check = subprocess.run(["dciodvfy", str(out)], capture_output=True, text=True, timeout=60)
    report = check.stdout + check.stderr
    errors = [line for line in report.splitlines() if line.startswith("Error")]
    assert errors == [], report
    ds = pydicom.dcmread(out)
    assert ds.SOPClassUID == (US_MULTIFRAME if calibrated else SC_MULTIFRAME_GREY)
    assert ds.PatientIdentityRemoved == "YES" and ds.BurnedInAnnotation == "NO"
    assert str(ds.PatientName) == "ANONYMOUS^PATIENT"
    pixels = ds.pixel_array
    assert pixels.shape[1:] == (480, 640)
    assert pixels.shape[0] == frames_between(folder, 0.0, 1.0) > 10
    assert pixels[:, 60:, :].mean() > 5  # a real picture, not a black one
    if calibrated:
        region = ds.SequenceOfUltrasoundRegions[0]
        info = json.loads((folder / SESSION_FILE).read_text())
        assert abs(region.PhysicalDeltaX * 10 - info["calibration"]["mm_per_px_x"]) < 1e-6
    else:
        assert ds.ConversionType == "DV"


def test_reviews_vtt_and_report(recorded, tmp_path):
    # A copy: the recording is shared by the session's tests, these reviews are not.
    folder = Path(shutil.copytree(recorded[0], tmp_path / "bundle"))
    first = Review.new("Dr Zhao", "eFAST")
    first.views[0].obtained, first.views[0].quality = True, 4
    first.overall_quality, first.indication_stated, first.agreement = 3, True, "agree"
    first.comments.append(Comment(1.2, "Good depth; <fan> more"))
    save_review(folder, first)
    second = Review.new("李医生", "custom")
    second.overall_quality = 5
    save_review(folder, second)
    with pytest.raises(ReviewError):
        bad = Review.new("X")
        bad.overall_quality = 6
        save_review(folder, bad)
    reviews, problems = load_reviews(folder)
    assert [r.reviewer for r in reviews] == ["Dr Zhao", "李医生"] and problems == []
    assert len(reviews[0].views) == 6 and reviews[0].views[0].quality == 4
    # Reviews never touch the record.
    assert SessionBundle.open(folder).check()["ok"]

    vtt = tmp_path / "cues.vtt"
    proc = subprocess.run([*CLI, "export", str(folder), "--vtt", str(vtt)], capture_output=True)
    assert proc.returncode == 0, proc.stderr
    text = vtt.read_text()
    assert text.startswith("WEBVTT\n")
    # What the station read, not the protocol's names (issue 15, item 19).
    assert "Rotate the probe clockwise (90°) → done (Clinic)" in text
    assert "cant" not in text and "Rotate clockwise 90°" not in text
    assert "portal vein" in text and "Dr Zhao: Good depth; &lt;fan&gt; more" in text
    assert "00:00:01.200 --> 00:00:05.200" in text

    report = tmp_path / "report.html"
    proc = subprocess.run(
        [*CLI, "export", str(folder), "--report", str(report)], capture_output=True
    )
    assert proc.returncode == 0, proc.stderr
    page = report.read_text()
    assert "Dr Zhao" in page and "李医生" in page and "Rotate the probe clockwise (90°)" in page
    assert "3 — Minimal criteria met for diagnosis" in page
    assert page.count("data:image/jpeg;base64,") >= 3
    assert "portal vein" in page
    # Key frames at the moments flagged (item 20): the marker, the cue, the comment.
    captions = re.findall(r"<figcaption>[^<]*</figcaption>", page)
    assert any("marker: portal vein" in c for c in captions), captions
    assert any("cue: Rotate the probe clockwise" in c for c in captions), captions
    assert any("Dr Zhao: Good depth" in c for c in captions), captions
