"""The benchmark's network impairment: profiles, and what it does to datagrams."""

from __future__ import annotations

import pytest

from ultrasound_consult.benchmark.netem import Impairment, NetworkProfile, parse_profile


def test_profiles_parse():
    assert parse_profile("none") == NetworkProfile()
    assert parse_profile("rtt40-loss1") == NetworkProfile(delay_s=0.02, loss=0.01)
    p = parse_profile("delay=20ms,jitter=5ms,loss=2%,rate=4mbit,down=5s@10s")
    assert (p.delay_s, p.jitter_s, p.loss, p.rate_bps, p.down_s, p.down_at_s) == (
        0.02,
        0.005,
        0.02,
        4e6,
        5.0,
        10.0,
    )
    assert parse_profile(p.describe()) == p
    with pytest.raises(ValueError, match="delay=20ms"):
        parse_profile("latency=20")


def test_loss_rate_and_delay(monkeypatch):
    imp = Impairment(parse_profile("delay=20ms,loss=10%"), start=0.0, seed=1)
    holds = [imp.schedule(1200) for _ in range(5000)]
    kept = [h for h in holds if h is not None]
    assert 0.08 < 1 - len(kept) / len(holds) < 0.12
    assert all(h == pytest.approx(0.02, abs=1e-3) for h in kept[:10])


def test_rate_cap_queues_then_drops(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr("ultrasound_consult.benchmark.netem.time.monotonic", lambda: now[0])
    imp = Impairment(parse_profile("rate=1mbit"), start=0.0)
    holds = [imp.schedule(1250) for _ in range(60)]  # 10 ms each at 1 Mbit/s
    assert holds[0] == pytest.approx(0.01) and holds[9] == pytest.approx(0.1)
    assert None in holds, "a queue past 0.5 s drops (a router's tail drop)"


def test_outage_drops_everything_then_lets_go(monkeypatch):
    now = [0.0]
    monkeypatch.setattr("ultrasound_consult.benchmark.netem.time.monotonic", lambda: now[0])
    imp = Impairment(parse_profile("down=5s@10s"), start=0.0)
    now[0] = 9.9
    assert imp.schedule(100) is not None
    now[0] = 12.0
    assert imp.schedule(100) is None
    now[0] = 15.1
    assert imp.schedule(100) is not None


def constant_sender(profile: str, mbps: float, seconds: float, monkeypatch, seed: int = 3):
    """A known-good sender: 1200-byte packets at a constant rate; returns (send, hold|None)."""
    now = [0.0]
    monkeypatch.setattr("ultrasound_consult.benchmark.netem.time.monotonic", lambda: now[0])
    imp = Impairment(parse_profile(profile), start=0.0, seed=seed)
    gap = 1200 * 8 / (mbps * 1e6)
    out = []
    while now[0] < seconds:
        out.append((now[0], imp.schedule(1200)))
        now[0] += gap
    return out


def test_a_sender_under_the_cap_passes_untouched_with_the_paths_delay(monkeypatch):
    sent = constant_sender("delay=60ms,jitter=20ms,rate=2mbit", 1.5, 10, monkeypatch)
    holds = [h for _, h in sent]
    assert None not in holds, "no loss configured, none happens under the cap"
    assert min(holds) >= 0.04 - 1e-9 and max(holds) < 0.085 + 0.01, "delay +/- jitter, no queue"
    arrivals = [t + h for t, h in sent]
    assert arrivals == sorted(arrivals), "jitter keeps the packets in order"


def test_a_sender_over_the_cap_gets_the_cap_and_a_bounded_queue(monkeypatch):
    sent = constant_sender("delay=60ms,rate=2mbit", 3.0, 10, monkeypatch)
    kept = [(t, h) for t, h in sent if h is not None]
    out_by_10s = [1 for t, h in kept if t + h <= 10]
    delivered_mbps = len(out_by_10s) * 1200 * 8 / 10 / 1e6
    assert 1.85 < delivered_mbps < 2.05, "the link carries its capacity, no more"
    assert max(h for _, h in kept) <= 0.06 + netem_queue() + 0.01
    late = [h for t, h in kept if t > 5]
    assert min(late) > 0.06 + 0.4, "an overfull queue stands (this is what the apps must avoid)"


def netem_queue() -> float:
    from ultrasound_consult.benchmark.netem import QUEUE_LIMIT_S

    return QUEUE_LIMIT_S


def test_bursty_loss_has_the_configured_mean_and_bursts(monkeypatch):
    sent = constant_sender("ge=0.5%:25%", 5.0, 40, monkeypatch)
    lost = [h is None for _, h in sent]
    assert 0.015 < sum(lost) / len(lost) < 0.025, "p / (p + r) = 2% on average"
    bursts, run = [], 0
    for x in lost:
        if x:
            run += 1
        elif run:
            bursts.append(run)
            run = 0
    assert 3.0 < sum(bursts) / len(bursts) < 5.0, "bursts of 1 / r = 4 packets on average"


def test_capacity_steps_take_effect_at_their_time(monkeypatch):
    p = parse_profile("4g-step")
    assert (p.rate_at(0), p.rate_at(15.5), p.rate_at(28)) == (8e6, 1.5e6, 4e6)
    assert parse_profile(p.describe()) == p
    sent = constant_sender("rate=8mbit,rate=1mbit@5s", 4.0, 10, monkeypatch)
    before = [h for t, h in sent if 1 < t < 5]
    after = [h for t, h in sent if t > 8]
    assert None not in before and max(before) < 0.01
    assert after.count(None) > len(after) / 2, "4 Mbit into 1 Mbit: most are dropped"
