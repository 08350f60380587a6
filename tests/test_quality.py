"""Presets and the bitrate policy, on a clock the test controls."""

from __future__ import annotations

import pytest

from ultrasound_consult.media.quality import PRESETS, REFERENCE_PIXEL_RATE, BitratePolicy, preset


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def policy(name: str = "diagnostic") -> tuple[BitratePolicy, Clock]:
    clock = Clock()
    return BitratePolicy(preset(name), REFERENCE_PIXEL_RATE, clock=clock), clock


def feed(p: BitratePolicy, clock: Clock, seconds: float, estimate_of) -> None:
    """Estimates every half second, like aiortc's REMB."""
    end = clock.t + seconds
    while clock.t < end:
        clock.t += 0.5
        p.on_estimate(estimate_of(p.current))


def test_a_good_link_climbs_to_the_target_and_stays():
    p, clock = policy()
    assert p.current == int(p.target * BitratePolicy.START_FRACTION)
    feed(p, clock, 12, lambda current: current * 1.08)  # what aiortc's estimator reports
    assert p.current == p.target == 5_000_000
    changes = p.changes
    feed(p, clock, 60, lambda current: current * 1.08)
    assert p.changes == changes, "no changes (each costs a keyframe) once at the target"


def test_congestion_drops_at_once_below_the_estimate_and_is_remembered():
    p, clock = policy()
    feed(p, clock, 12, lambda current: current * 1.08)
    feed(p, clock, 1.5, lambda current: 3_000_000)
    assert p.current == int(3_000_000 * BitratePolicy.HEADROOM)
    # The link is fine again, but we do not climb back to where it broke for a while.
    feed(p, clock, 20, lambda current: current * 1.08)
    assert p.current <= int(5_000_000 * 0.9)
    feed(p, clock, 40, lambda current: current * 1.08)
    assert p.current == p.target


def test_never_below_the_floor():
    p, clock = policy("weak")
    feed(p, clock, 5, lambda current: 10_000)
    assert p.current == p.floor > 0


def test_the_estimators_lag_after_a_step_up_is_not_congestion():
    p, clock = policy()
    before = p.current
    feed(p, clock, 3, lambda current: current * 1.08)
    stepped = p.current
    assert stepped > before
    # Right after the step the estimate still reflects the old rate.
    clock.t += 0.5
    p.on_estimate(before * 1.08)
    assert p.current == stepped


def test_presets():
    assert set(PRESETS) == {"diagnostic", "balanced", "weak"}
    diag = preset("diagnostic")
    assert diag.max_height is None and diag.denoise == 0, "native resolution, speckle untouched"
    assert diag.output_size(1920, 1080) == (1920, 1080)
    assert preset("balanced").output_size(1920, 1080) == (1280, 720)
    assert preset("weak").output_size(1024, 768) == (720, 540)
    assert preset("weak").max_fps == 15
    assert diag.scaled(5_000_000, REFERENCE_PIXEL_RATE * 4) == 10_000_000, (
        "square root of pixel rate"
    )
    with pytest.raises(ValueError, match="diagnostic, balanced, weak"):
        preset("ultra")
