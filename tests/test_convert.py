"""Frame conversions on the per-frame path."""

from __future__ import annotations

import numpy as np

from ultrasound_consult.media.convert import (
    i420_planes,
    resize_i420,
    to_video_frame,
    video_frame_to_display,
    video_frame_to_rgb,
)
from ultrasound_consult.media.privacy import PrivacyMask


def test_grey_becomes_limited_range_luma_and_comes_back():
    grey = np.tile(np.arange(256, dtype=np.uint8), (64, 4))[:, : 256 * 2]  # 64 x 512 ramp
    frame = to_video_frame(grey, 1.5)
    assert frame.pts == 135_000 and frame.time_base.denominator == 90_000
    y, u, v = i420_planes(frame.to_ndarray(), frame.width, frame.height)
    assert y.min() == 16 and y.max() == 235 and (u == 128).all() and (v == 128).all()
    back = video_frame_to_display(frame)
    assert back.ndim == 2, "grey stays one channel for display"
    assert np.abs(back.astype(int) - grey.astype(int)).max() <= 1


def test_colour_frames_are_shown_in_colour():
    rgb = np.zeros((64, 64, 3), np.uint8)
    rgb[..., 0] = 200  # red (Doppler-ish)
    back = video_frame_to_display(to_video_frame(rgb, 0))
    assert back.ndim == 3 and back[..., 0].mean() > 150 and back[..., 2].mean() < 50
    assert np.array_equal(back, video_frame_to_rgb(to_video_frame(rgb, 0)))


def test_masked_pixels_are_sent_below_black():
    grey = np.full((100, 80), 120, np.uint8)
    plan = PrivacyMask(top_band=0.2).plan(80, 100)
    plan.apply(grey)
    y, _, _ = i420_planes(to_video_frame(grey, 0, mask=plan).to_ndarray(), 80, 100)
    assert (y[:20] == 0).all() and (y[20:] > 100).all()


def test_resize_keeps_planes_apart():
    grey = np.zeros((768, 1024), np.uint8)
    grey[300:500, 400:600] = 200
    frame = to_video_frame(grey, 0, size=(720, 540))
    assert (frame.width, frame.height) == (720, 540)
    shown = video_frame_to_display(frame)
    assert abs(shown[211:351, 281:421].mean() - 200) < 2 and shown[:100].max() == 0
    out = resize_i420(np.zeros((6 * 3 // 2, 8), np.uint8), 8, 6, 4, 2)
    assert out.shape == (3, 4)
