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
