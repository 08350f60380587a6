"""The synthetic phantom looks and moves like a B-mode scan, deterministically."""

from __future__ import annotations

import numpy as np
import pytest

from ultrasound_consult.media.phantom import BANNER_FRACTION, PhantomGenerator


@pytest.fixture(scope="module")
def gen() -> PhantomGenerator:
    return PhantomGenerator(640, 480, 30, seed=7)


def test_shape_and_type(gen):
    f = gen.frame(0)
    assert f.shape == (480, 640) and f.dtype == np.uint8


def test_same_seed_same_video_and_random_access():
    a, b = PhantomGenerator(320, 240, 30, seed=1), PhantomGenerator(320, 240, 30, seed=1)
    frames_a = [a.frame(i) for i in range(5)]
    assert np.array_equal(b.frame(4), frames_a[4]), (
        "frame 4 rendered first must equal frame 4 in order"
    )
    assert np.array_equal(b.frame(0), frames_a[0])
    assert not np.array_equal(PhantomGenerator(320, 240, 30, seed=2).frame(0), frames_a[0])


def test_speckle_is_correlated_frame_to_frame_but_evolves(gen):
    f0, f1, f60 = (gen.frame(i).astype(np.float64) for i in (0, 1, 60))
    sector = f0 > 10
    adjacent = np.corrcoef(f0[sector], f1[sector])[0, 1]
    distant = np.corrcoef(f0[sector], f60[sector])[0, 1]
    assert adjacent > 0.95, adjacent
    assert distant < adjacent - 0.05, (adjacent, distant)
    assert not np.array_equal(f0, f1)


def test_anatomy_moves_with_breathing(gen):
    # The capsule line (bright band) shifts between inhale and exhale (2 s apart).
    def capsule_row(frame: np.ndarray) -> int:
        centre = frame[:, 300:340].astype(np.float64).mean(axis=1)
        top = int(frame.shape[0] * 0.1)
        return top + int(np.argmax(centre[top : frame.shape[0] // 2]))

    assert abs(capsule_row(gen.frame(0)) - capsule_row(gen.frame(30))) >= 3


def test_banner_and_depth_scale_are_burned_in(gen):
    f = gen.frame(0)
    banner = f[: int(480 * BANNER_FRACTION)]
    assert banner.max() > 200, "the fake patient name must be there for the mask to hide"
    right_margin = f[:, int(640 * 0.85) :]
    assert (right_margin > 150).sum() > 50, "depth scale ticks and labels"


def test_rejects_silly_sizes():
    with pytest.raises(ValueError):
        PhantomGenerator(10, 10)
    with pytest.raises(ValueError):
        PhantomGenerator(640, 480, fps=0)
